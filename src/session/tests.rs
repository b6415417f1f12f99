//! The session on real journal files: a second writer's entries (another
//! `Journal` on the same file, as `grabbag note` is) come back from the next
//! execute and are folded before the command is decided.

use chrono::Utc;

use super::*;
use crate::journal::Event;
use crate::response::testkit::{RB, actor, flow, open};
use crate::response::{ClockRequest, StepRef, StepStatus};

fn new_journal() -> NewJournal<'static> {
    NewJournal {
        recipients: None,
        library: None,
        incident: Some("Test".to_owned()),
        exercise: None,
    }
}

fn started(dir: &Path) -> Session {
    let path = dir.join("j.jsonl");
    let mut session = Session::start(&path, &new_journal(), &actor("Sam"), vec![flow()])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.take_unseen().len(), 1);
    session
        .execute(&actor("Sam"), &open(RB), Utc::now())
        .unwrap_or_else(|e| panic!("{e}"));
    session
}

/// A second writer, as `grabbag note` is.
fn colleague(session: &Session, event: Event) -> Entry {
    let (mut other, _, _) = Journal::open(session.journal().path(), None).unwrap();
    other.one_shot();
    other.append(&actor("Kim"), event, None).unwrap()
}

fn seqs(entries: &[Entry]) -> Vec<u64> {
    entries.iter().map(|e| e.seq).collect()
}

#[test]
fn another_writers_entry_between_two_executes_is_returned_first_and_folded() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = started(dir.path());
    let note = colleague(
        &session,
        Event::Note {
            text: "Called NCSC, ref 1234".to_owned(),
            happened_at: None,
        },
    );
    assert_eq!(note.seq, 3);
    let back = session
        .execute(
            &actor("Sam"),
            &Command::Start(StepRef::new(RB, "triage")),
            Utc::now(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    // The colleague's note first, in file order, then ours: no seq gap.
    assert_eq!(seqs(&back), [3, 4]);
    assert_eq!(back[0].actor.as_ref().map(|a| a.name.as_str()), Some("Kim"));
    let state = session.state();
    assert_eq!(state.entries, 4);
    assert!(state.anomalies.is_empty(), "{:?}", state.anomalies);
    assert_eq!(state.notes.len(), 1);
    assert_eq!(state.notes[0].text, "Called NCSC, ref 1234");
    // The state is exactly the fold of what is on disk.
    let on_disk = Journal::read(session.journal().path(), None).unwrap();
    assert_eq!(*state, ResponseState::fold(&on_disk));
}

#[test]
fn a_command_is_decided_on_the_journal_as_it_is_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = started(dir.path());
    // Kim marks triage done from another terminal; Sam's screen has not
    // seen it yet, so without the catch-up Sam's `done` would be accepted
    // and triage done twice.
    let done = colleague(
        &session,
        Event::StepDone {
            runbook: RB.to_owned(),
            step: "triage".to_owned(),
        },
    );
    let refused = session
        .execute(
            &actor("Sam"),
            &Command::Done(StepRef::new(RB, "triage")),
            Utc::now(),
        )
        .map(|_| ())
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        format!("step `triage` is already done (seq {})", done.seq)
    );
    // Nothing of the refused command was written; Kim's entry is folded
    // and waits to be shown.
    assert_eq!(
        Journal::read(session.journal().path(), None).unwrap().len(),
        3
    );
    assert_eq!(*session.state().status(RB, "triage"), StepStatus::Done);
    assert_eq!(seqs(&session.take_unseen()), [done.seq]);
    assert!(session.take_unseen().is_empty());
}

#[test]
fn refresh_returns_what_others_appended_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = started(dir.path());
    assert!(session.take_unseen().is_empty());
    assert!(session.refresh().unwrap().is_empty());
    colleague(
        &session,
        Event::Note {
            text: "x".to_owned(),
            happened_at: None,
        },
    );
    assert_eq!(seqs(&session.refresh().unwrap()), [3]);
    assert!(session.refresh().unwrap().is_empty());
}

#[test]
fn after_endex_play_is_refused_and_lessons_are_still_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = started(dir.path());
    let fran = actor("Fran");
    let now = Utc::now();
    let start = Command::StartExercise {
        exercise: "x".to_owned(),
        title: "X".to_owned(),
        digest: String::new(),
        speed: 60,
        manual: true,
    };
    session.execute(&fran, &start, now).unwrap();
    session
        .execute(&fran, &Command::Clock(ClockRequest::End), now)
        .unwrap();
    let before = Journal::read(session.journal().path(), None).unwrap().len();
    for command in [
        Command::Done(StepRef::new(RB, "triage")),
        Command::Note {
            text: "late".to_owned(),
            happened_at: None,
        },
        Command::Score {
            inject: "i".to_owned(),
            expectation: "e".to_owned(),
            outcome: "met".to_owned(),
            evidence: None,
        },
        Command::Clock(ClockRequest::Resume),
    ] {
        let refused = session
            .execute(&fran, &command, now)
            .map(|_| ())
            .unwrap_err();
        assert!(
            refused.to_string().contains("ENDEX is final"),
            "{command:?}: {refused}"
        );
    }
    assert_eq!(
        Journal::read(session.journal().path(), None).unwrap().len(),
        before
    );
    let lesson = Command::Lesson {
        category: crate::journal::LessonCategory::Action,
        text: "Print the call tree".to_owned(),
        owner: Some("ICT".to_owned()),
        due: None,
    };
    assert_eq!(session.execute(&fran, &lesson, now).unwrap().len(), 1);
}

#[test]
fn a_second_writer_during_a_fast_exercise_is_stamped_on_the_exercise_clock() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = started(dir.path());
    let fran = actor("Fran");
    let t0 = Utc::now();
    let start = Command::StartExercise {
        exercise: "x".to_owned(),
        title: "X".to_owned(),
        digest: String::new(),
        speed: 60,
        manual: false,
    };
    session.execute(&fran, &start, t0).unwrap();
    let started_at = session.state().exercise_start.as_ref().unwrap().stamp.at;
    // Another process opens the journal two real seconds later: at 60x that
    // is two exercise minutes, not two seconds.
    let (mut other, _) = Session::open(session.journal().path(), None, vec![flow()]).unwrap();
    other.one_shot();
    let later = started_at + chrono::TimeDelta::seconds(2);
    let note = Command::Note {
        text: "from the second terminal".to_owned(),
        happened_at: None,
    };
    let written = other.execute(&actor("Kim"), &note, later).unwrap();
    assert_eq!(written.last().and_then(|e| e.ex_t), Some(120_000));
}
