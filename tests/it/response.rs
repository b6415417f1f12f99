//! The response state on real journals: commands decided against the sample
//! runbooks, appended with the real journal core, then the file reopened and
//! folded. Resume must give exactly the state the responder had on screen,
//! and replay to any seq exactly the state they had then.

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use grabbag::crypto::{Identities, Identity};
use grabbag::journal::{Actor, Entry, Event, Journal, NewJournal};
use grabbag::response::{
    ClockStatus, Command, ResponseState, RunbookPin, StepRef, StepStatus, current_step, decide,
    definition_anomalies, due_breaches,
};
use grabbag::runbook::Runbook;

const RANSOMWARE: &str = "cyber/ransomware";
const BREACH: &str = "cyber/personal-data-breach";

fn sample(id: &str) -> Runbook {
    let name = format!("{id}.toml");
    let (_, text) = grabbag::samples::SAMPLE_RUNBOOKS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no sample {name}"));
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 6).unwrap();
    let checked = grabbag::runbook::check(&name, text, id, today);
    checked
        .runbook
        .unwrap_or_else(|| panic!("{name}: {:#?}", checked.diagnostics))
}

fn sam() -> Actor {
    Actor {
        name: "Sam Patel".to_owned(),
        role: "Incident Lead (Silver)".to_owned(),
    }
}

fn new_journal(recipients: Option<&grabbag::crypto::Recipients>) -> NewJournal<'_> {
    NewJournal {
        recipients,
        library: Some("/media/grabbag/library".to_owned()),
        incident: Some("Ransomware in revenues and benefits".to_owned()),
        exercise: None,
    }
}

/// A response as the run screen holds it: the journal, every entry it wrote,
/// the state folded entry by entry, and that state after each entry.
struct Live {
    journal: Journal,
    runbooks: Vec<Runbook>,
    actor: Actor,
    entries: Vec<Entry>,
    state: ResponseState,
    snapshots: Vec<ResponseState>,
}

impl Live {
    fn start(journal: Journal, first: Entry) -> Self {
        let mut live = Self {
            journal,
            runbooks: vec![sample(RANSOMWARE), sample(BREACH)],
            actor: sam(),
            entries: Vec::new(),
            state: ResponseState::new(),
            snapshots: Vec::new(),
        };
        live.record(first);
        live
    }

    fn record(&mut self, entry: Entry) {
        self.state.apply(&entry);
        self.entries.push(entry);
        self.snapshots.push(self.state.clone());
    }

    fn append(&mut self, event: Event) {
        let entry = self.journal.append(&self.actor, event, None).unwrap();
        self.record(entry);
    }

    fn at(&mut self, now: DateTime<Utc>, command: Command) {
        let events = decide(&self.state, &self.runbooks, &command, now)
            .unwrap_or_else(|e| panic!("{command:?} refused: {e}"));
        for event in events {
            if let Event::ActorChanged { name, role } = &event {
                self.actor = Actor {
                    name: name.clone(),
                    role: role.clone(),
                };
            }
            self.append(event);
        }
    }

    fn run(&mut self, command: Command) {
        self.at(Utc::now(), command);
    }
}

fn open(runbook: &str) -> Command {
    Command::OpenRunbook {
        runbook: runbook.to_owned(),
        pin: RunbookPin {
            commit: Some("4f1c2e9".to_owned()),
            blob: Some("a93b7d1".to_owned()),
            dirty: false,
            unencrypted: false,
            trust: "signed by ict-security@council.example.org".to_owned(),
        },
    }
}

fn done(runbook: &str, step: &str) -> Command {
    Command::Done(StepRef::new(runbook, step))
}

fn decide_option(runbook: &str, step: &str, option: usize, rationale: &str) -> Command {
    Command::Decide {
        step: StepRef::new(runbook, step),
        option,
        rationale: rationale.to_owned(),
    }
}

/// A Friday afternoon's work on two runbooks, with every kind of command.
fn work(live: &mut Live) {
    live.run(open(RANSOMWARE));
    live.run(Command::Start(StepRef::new(
        RANSOMWARE,
        "confirm-and-declare",
    )));
    for check in [0, 1, 3] {
        live.run(Command::Tick {
            step: StepRef::new(RANSOMWARE, "confirm-and-declare"),
            check,
        });
    }
    live.run(done(RANSOMWARE, "confirm-and-declare"));
    live.run(done(RANSOMWARE, "isolate"));
    live.run(decide_option(
        RANSOMWARE,
        "spread",
        1,
        "Only the two revenues PCs show encrypted files; shares unchanged since 14:10",
    ));
    live.run(Command::Skip {
        step: StepRef::new(RANSOMWARE, "network-shutdown"),
        reason: "Not spreading: decided at the previous step".to_owned(),
    });
    live.run(done(RANSOMWARE, "protect-backups"));
    live.run(Command::Block {
        step: StepRef::new(RANSOMWARE, "stand-up-command"),
        reason: "Gold on-call not answering; trying the deputy".to_owned(),
    });
    let bst = FixedOffset::east_opt(3600).unwrap();
    live.run(Command::Note {
        text: "Ransom note first seen on the revenues printer".to_owned(),
        happened_at: Some((Utc::now() - TimeDelta::minutes(40)).with_timezone(&bst)),
    });
    let note_seq = live.entries.last().unwrap().seq;
    live.run(Command::ChangeActor {
        name: "Alex Morgan".to_owned(),
        role: "Loggist".to_owned(),
    });
    live.run(Command::Correct {
        of: note_seq,
        replacement: "First seen on the benefits printer, not revenues".to_owned(),
    });
    live.run(Command::Unblock(StepRef::new(
        RANSOMWARE,
        "stand-up-command",
    )));
    live.run(done(RANSOMWARE, "notify-insurer"));
    live.run(decide_option(
        RANSOMWARE,
        "personal-data",
        0,
        "Council tax records were on the encrypted share",
    ));
    live.run(open(BREACH));
    live.run(done(BREACH, "report-to-dpo"));
    live.run(done(RANSOMWARE, "notify-dpo"));
    // Nobody presses a key for three days: the ICO clocks breach on a tick.
    let later = Utc::now() + TimeDelta::hours(73);
    for event in due_breaches(&live.state, later) {
        live.append(event);
    }
}

fn check_story(state: &ResponseState) {
    assert_eq!(
        state.incident.as_deref(),
        Some("Ransomware in revenues and benefits")
    );
    assert_eq!(
        state.actor.as_ref().map(|a| a.name.as_str()),
        Some("Alex Morgan")
    );
    assert!(state.anomalies.is_empty(), "{:#?}", state.anomalies);
    let ids: Vec<_> = state.runbooks.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, [RANSOMWARE, BREACH]);
    assert_eq!(state.status(RANSOMWARE, "isolate"), &StepStatus::Done);
    assert!(matches!(
        state.status(RANSOMWARE, "network-shutdown"),
        StepStatus::Skipped { .. }
    ));
    assert_eq!(
        state.status(RANSOMWARE, "stand-up-command"),
        &StepStatus::Todo,
        "unblocked: back to what it was"
    );
    let spread = state.step(RANSOMWARE, "spread").unwrap();
    assert_eq!(spread.decision.as_ref().unwrap().goto, "protect-backups");
    let ticked: Vec<_> = state
        .step(RANSOMWARE, "confirm-and-declare")
        .unwrap()
        .ticked
        .keys()
        .copied()
        .collect();
    assert_eq!(ticked, [0, 1, 3]);
    let insurer = state.clock(RANSOMWARE, "insurer-notice").unwrap();
    assert!(matches!(
        insurer.status(Utc::now()),
        ClockStatus::Met { late: false }
    ));
    for (runbook, clock) in [(RANSOMWARE, "ico-72h"), (BREACH, "ico-72h")] {
        let c = state.clock(runbook, clock).unwrap();
        assert_eq!(c.status(Utc::now()), ClockStatus::Breached, "{runbook}");
    }
    assert_eq!(state.notes.len(), 1);
    assert!(state.is_corrected(state.notes[0].stamp.seq));
    assert!(state.notes[0].happened_at.is_some());
}

#[test]
fn resume_folds_exactly_the_state_the_responder_had() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("incident.jsonl");
    let (journal, first) = Journal::create_with_entry(&path, &new_journal(None), &sam()).unwrap();
    let mut live = Live::start(journal, first);
    work(&mut live);
    check_story(&live.state);
    let runbooks = live.runbooks.clone();
    assert!(definition_anomalies(&live.state, &runbooks).is_empty());

    // The process is killed: no session end. Reopen and fold.
    let Live {
        journal,
        entries,
        state,
        snapshots,
        ..
    } = live;
    drop(journal);
    let (mut journal, reopened, torn) = Journal::open(&path, None).unwrap();
    assert!(torn.is_none());
    assert_eq!(
        reopened, entries,
        "the file holds exactly what was appended"
    );
    let resumed = ResponseState::fold(&reopened);
    assert_eq!(resumed, state);
    for runbook in &runbooks {
        assert_eq!(
            current_step(&resumed, runbook).map(|s| &s.id),
            current_step(&state, runbook).map(|s| &s.id)
        );
    }
    assert_eq!(
        current_step(&resumed, &runbooks[0]).map(|s| s.id.as_str()),
        Some("stand-up-command")
    );

    // Replay: the fold of the journal up to each seq is the state at that seq.
    for (k, snapshot) in snapshots.iter().enumerate() {
        assert_eq!(
            &ResponseState::fold(&reopened[..=k]),
            snapshot,
            "seq {}",
            k + 1
        );
    }

    // The resumed session goes on from there.
    let mut state = resumed;
    let entry = journal.start_session(&sam(), &new_journal(None)).unwrap();
    state.apply(&entry);
    assert_eq!(state.sessions.count, 2);
    assert_eq!(state.sessions.resumed, 1);
    assert_eq!(state.sessions.interrupted, 1, "the kill is visible");
    assert_eq!(state.actor, Some(sam()));
    let events = decide(
        &state,
        &runbooks,
        &Command::EndSession {
            reason: Some("Handed over to the night shift".to_owned()),
        },
        Utc::now(),
    )
    .unwrap();
    for e in events {
        state.apply(&journal.append(&sam(), e, None).unwrap());
    }
    drop(journal);
    let (_, all, _) = Journal::open(&path, None).unwrap();
    assert_eq!(ResponseState::fold(&all), state);
    assert!(!state.sessions.open);
}

#[test]
fn an_encrypted_journal_folds_the_same_with_the_key_and_reveals_nothing_without() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("incident.jsonl");
    let id = Identity::generate();
    let recipients = id.recipients();
    let ids = Identities::from_identity(id, &dir.path().join("id"));
    let (journal, first) =
        Journal::create_with_entry(&path, &new_journal(Some(&recipients)), &sam()).unwrap();
    let mut live = Live::start(journal, first);
    work(&mut live);
    let Live {
        journal,
        entries,
        state,
        ..
    } = live;
    drop(journal);

    let (_, reopened, _) = Journal::open(&path, Some(&ids)).unwrap();
    assert_eq!(reopened, entries);
    assert_eq!(ResponseState::fold(&reopened), state);
    check_story(&ResponseState::fold(&reopened));

    let (_, sealed, _) = Journal::open(&path, None).unwrap();
    let blind = ResponseState::fold(&sealed);
    assert_eq!(blind.unreadable, entries.len() as u64);
    assert_eq!(blind.entries, entries.len() as u64);
    assert_eq!(
        blind.last_hash, state.last_hash,
        "the chain is visible, the story is not"
    );
    assert!(blind.incident.is_none() && blind.runbooks.is_empty() && blind.notes.is_empty());
}
