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
        paused: false,
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
            comment: "seen".to_owned(),
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
        paused: false,
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

/// A random command on the test runbook, accepted or not.
fn any_command(rng: &mut crate::testrng::Rng) -> Command {
    let step = StepRef::new(
        RB,
        *rng.pick(&["triage", "assess", "notify", "report", "wrap"]),
    );
    match rng.below(7) {
        0 => Command::Start(step),
        1 => Command::Done(step),
        2 => Command::Tick {
            step,
            check: rng.below(3),
        },
        3 => Command::Skip {
            step,
            reason: "not needed".to_owned(),
        },
        4 => Command::Decide {
            step,
            option: rng.below(2),
            rationale: "because".to_owned(),
        },
        5 => Command::Block {
            step,
            reason: "waiting".to_owned(),
        },
        _ => Command::Note {
            text: "n".to_owned(),
            happened_at: None,
        },
    }
}

/// Two sessions on one file, taking turns at random: each hands back a run
/// of seqs that continues exactly where it last looked, and both end with
/// the fold of the file, however their actions interleaved.
#[test]
fn two_sessions_interleaved_at_random_never_skip_a_seq_and_agree_with_the_file() {
    for seed in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let mut a = started(dir.path());
        let (mut b, _) = Session::open(a.journal().path(), None, vec![flow()]).unwrap();
        b.one_shot();
        let mut seen = [2_u64, b.take_unseen().len() as u64];
        let mut rng = crate::testrng::Rng(seed);
        for _ in 0..30 {
            let who = rng.below(2);
            let session = if who == 0 { &mut a } else { &mut b };
            let command = any_command(&mut rng);
            let entries = match session.execute(&actor("Sam"), &command, Utc::now()) {
                Ok(entries) => entries,
                Err(SessionError::Refused(_)) => session.take_unseen(),
                Err(e) => panic!("seed {seed}: {e}"),
            };
            for entry in &entries {
                assert_eq!(entry.seq, seen[who] + 1, "seed {seed}: {command:?}");
                seen[who] = entry.seq;
            }
        }
        a.refresh().unwrap();
        b.refresh().unwrap();
        let on_disk = ResponseState::fold(&Journal::read(a.journal().path(), None).unwrap());
        assert_eq!(*a.state(), on_disk, "seed {seed}");
        assert_eq!(*b.state(), on_disk, "seed {seed}");
        // No rule was judged on a stale state: nothing decide would refuse
        // reached the file.
        assert!(
            on_disk.anomalies.is_empty(),
            "seed {seed}: {:?}",
            on_disk.anomalies
        );
    }
}

/// One step of a random journal's life for the notes-only property test.
fn random_step(rng: &mut crate::testrng::Rng, path: &Path, ex_t: &mut u64) {
    use crate::journal::ClockChange;
    let ids = None;
    match rng.below(10) {
        // A note by a one-shot writer, through the fast open.
        0..=2 => {
            let (mut s, _) = Session::open_for_notes(path, ids).unwrap_or_else(|e| panic!("{e}"));
            let note = Command::Note {
                text: format!("note {}", rng.next()),
                happened_at: None,
            };
            // Refused once play has ended: either way the same as the full fold says.
            let _ = s.execute(&actor("Kim"), &note, Utc::now());
        }
        // A resume: a new writer session.
        3 => {
            let (mut s, _) = Session::open(path, ids, Vec::new()).unwrap_or_else(|e| panic!("{e}"));
            s.begin(&actor("Sam"), None)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        // Entries straight into the journal, as a writer that keeps it open
        // does: exercise start and clock changes, plain entries with or
        // without an exercise time.
        _ => {
            let (mut j, _, _) = Journal::open(path, ids).unwrap_or_else(|e| panic!("{e}"));
            if rng.chance(30) {
                j.one_shot();
            }
            for _ in 0..rng.below(5) + 1 {
                *ex_t += rng.below(5_000) as u64;
                let stamp = rng.chance(70).then_some(*ex_t);
                let event = match rng.below(9) {
                    8 => Event::SessionEnded { reason: None },
                    0 => Event::ExerciseStarted {
                        exercise: "ex".to_owned(),
                        title: "Exercise".to_owned(),
                        digest: "00".to_owned(),
                        speed: 1 + rng.below(60) as u32,
                        manual: rng.chance(30),
                    },
                    1 | 2 => Event::ExerciseClock {
                        change: *rng.pick(&[
                            ClockChange::Paused,
                            ClockChange::Resumed,
                            ClockChange::Speed,
                            ClockChange::Mode,
                            ClockChange::Jumped,
                            ClockChange::Ended,
                        ]),
                        ex_t: *ex_t,
                        speed: 1 + rng.below(60) as u32,
                        manual: rng.chance(30),
                    },
                    _ => Event::Note {
                        text: "x".to_owned(),
                        happened_at: None,
                    },
                };
                j.append(&actor("Sam"), event, stamp)
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
}

#[test]
fn a_session_opened_for_notes_judges_a_note_as_the_full_fold_does() {
    // Property: on every journal, whatever the `.tail` record beside it says
    // (written by a note, a full open, a writer that closed, or stale), the
    // notes-only state reads the same exercise clock and decides a note the
    // same way as folding every entry.
    for seed in 0..24u64 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        drop(Session::start(&path, &new_journal(), &actor("Sam"), Vec::new()).unwrap());
        let mut rng = crate::testrng::Rng(seed);
        let mut ex_t = 0;
        for step in 0..30 {
            random_step(&mut rng, &path, &mut ex_t);
            let now = Utc::now();
            let note = Command::Note {
                text: "same?".to_owned(),
                happened_at: None,
            };
            let (fast, _) = Session::open_for_notes(&path, None).unwrap();
            let full = Session::peek(&path, None).unwrap();
            let context = format!("seed {seed}, step {step}");
            assert_eq!(
                crate::response::PlayClock::of(fast.state()),
                crate::response::PlayClock::of(&full),
                "{context}"
            );
            assert_eq!(
                fast.exercise_time(now),
                PlayClock::of(&full).at(now),
                "{context}"
            );
            let fast_says =
                decide(fast.state(), &[] as &[Runbook], &note, now).map_err(|e| e.to_string());
            let full_says = decide(&full, &[] as &[Runbook], &note, now).map_err(|e| e.to_string());
            assert_eq!(fast_says, full_says, "{context}");
            assert_eq!(fast.state().last_seq, full.last_seq, "{context}");
            assert_eq!(fast.state().last_hash, full.last_hash, "{context}");
        }
    }
}

#[test]
fn a_note_reads_the_tail_record_not_the_whole_journal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let (mut journal, _) =
        Journal::create_with_entry(&path, &new_journal(), &actor("Sam")).unwrap();
    for i in 0..500 {
        let note = Event::Note {
            text: format!("note {i}"),
            happened_at: None,
        };
        journal.append(&actor("Sam"), note, None).unwrap();
    }
    // The writer that kept it open leaves the record as it closes.
    drop(journal);
    let (mut session, _) = Session::open_for_notes(&path, None).unwrap();
    // The session start and the last entry: not 501.
    assert_eq!(session.state().entries, 2);
    assert_eq!(session.state().last_seq, Some(501));
    let note = Command::Note {
        text: "called NCSC".to_owned(),
        happened_at: None,
    };
    let written = session.execute(&actor("Kim"), &note, Utc::now()).unwrap();
    assert_eq!(seqs(&written), [502]);
    // Any other command needs the whole fold: refused, nothing written.
    let refused = session.execute(&actor("Kim"), &open(RB), Utc::now());
    assert!(
        matches!(refused, Err(SessionError::NotesOnly)),
        "{refused:?}"
    );
    drop(session);
    let all = Journal::read(&path, None).unwrap();
    assert_eq!(all.len(), 502);
    assert!(matches!(&all[501].event, Some(Event::Note { text, .. }) if text == "called NCSC"));
}

#[test]
fn a_record_that_does_not_match_the_journal_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let make = |name: &str, notes: usize| {
        let path = dir.path().join(name);
        let (mut journal, _) =
            Journal::create_with_entry(&path, &new_journal(), &actor("Sam")).unwrap();
        for i in 0..notes {
            let note = Event::Note {
                text: format!("{name} {i}"),
                happened_at: None,
            };
            journal.append(&actor("Sam"), note, None).unwrap();
        }
        path
    };
    let ours = make("ours.jsonl", 20);
    let theirs = make("theirs.jsonl", 30);
    // Another journal's record, planted beside ours: its lines are not ours.
    std::fs::copy(
        crate::journal::tail::tail_path(&theirs),
        crate::journal::tail::tail_path(&ours),
    )
    .unwrap();
    let (session, _) = Session::open_for_notes(&ours, None).unwrap();
    // Opened the full way: every entry folded, the head is ours.
    assert_eq!(session.state().entries, 21);
    assert_eq!(session.state().last_seq, Some(21));
    drop(session);
    // Garbage is as good as none.
    std::fs::write(crate::journal::tail::tail_path(&ours), b"{not json").unwrap();
    let (session, _) = Session::open_for_notes(&ours, None).unwrap();
    assert_eq!(session.state().last_seq, Some(21));
    assert_eq!(session.state().entries, 21);
}

#[test]
fn a_journal_left_open_is_found_from_its_end_as_the_fold_finds_it() {
    // Property: `left_open` (read backwards) says what folding the whole
    // journal says, on random journals with sessions started and ended,
    // notes after the end, incidents named or not, and torn tails.
    for seed in 0..24u64 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut rng = crate::testrng::Rng(1000 + seed);
        let mut new = new_journal();
        if rng.chance(30) {
            new.incident = None;
        }
        drop(Session::start(&path, &new, &actor("Sam"), Vec::new()).unwrap());
        let mut ex_t = 0;
        for step in 0..25 {
            random_step(&mut rng, &path, &mut ex_t);
            if rng.chance(15) {
                // A torn tail, as a crash mid-write leaves.
                use std::io::Write as _;
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .unwrap();
                f.write_all(br#"{"seq":9999,"session":1,"at":"20"#).unwrap();
            }
            let full = Session::peek(&path, None).unwrap();
            let expected = full.sessions.open.then(|| LeftOpen {
                incident: full.incident.clone(),
            });
            let found = Session::left_open(&path, None).unwrap();
            assert_eq!(found, expected, "seed {seed}, step {step}");
        }
    }
}

/// What [`open_in_steps`] gives: the entries handed out, the session, and
/// the bytes of the torn tail moved aside.
type Opened = (Vec<Entry>, Session, Option<Vec<u8>>);

/// Opens a copy of the journal at `path` in steps of at most `max` bytes,
/// as a resume does: the entries handed out, and the session with what was
/// moved aside (its `.torn` file's bytes), or the error.
fn open_in_steps(path: &Path, max: u64) -> Result<Opened, JournalError> {
    let mut opening = Session::opening(path, Vec::new())?;
    let mut entries = Vec::new();
    let mut last = 0;
    while !opening.done() {
        entries.extend(opening.step_of(None, max)?);
        let percent = opening.percent();
        assert!(percent >= last && percent <= 100, "{percent} after {last}");
        last = percent;
    }
    assert_eq!(opening.percent(), 100);
    let Some((session, quarantined)) = opening.finish() else {
        panic!("done, but not finished");
    };
    let torn = quarantined.map(|q| std::fs::read(&q.moved_to).unwrap());
    Ok((entries, session, torn))
}

#[test]
fn a_journal_opened_in_steps_ends_as_the_full_open_does() {
    // Property: reading a journal in parts of any size (a resume drawing as
    // it reads) gives the entries, the state, the quarantined tail and the
    // error the whole read gives, on random journals with torn tails and
    // damage in the middle; and the session it ends with appends after them.
    for seed in 0..16u64 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut rng = crate::testrng::Rng(5000 + seed);
        drop(Session::start(&path, &new_journal(), &actor("Sam"), Vec::new()).unwrap());
        let mut ex_t = 0;
        for _ in 0..12 {
            random_step(&mut rng, &path, &mut ex_t);
        }
        use std::io::Write as _;
        let mut bytes = std::fs::read(&path).unwrap();
        match rng.below(4) {
            // A torn tail, as a crash mid-write leaves.
            0 => bytes.extend_from_slice(br#"{"seq":9999,"session":1,"at":"20"#),
            // A line in the middle altered.
            1 => {
                let at = bytes.len() / 2;
                bytes[at] = if bytes[at] == b'x' { b'y' } else { b'x' };
            }
            // An unreadable line, then good ones: damage, not a torn tail.
            2 => {
                let at = bytes[..bytes.len() / 2]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .unwrap();
                bytes.splice(at + 1..at + 1, b"not json\n".iter().copied());
            }
            _ => {}
        }
        let (whole_dir, part_dir) = (dir.path().join("whole"), dir.path().join("parts"));
        for d in [&whole_dir, &part_dir] {
            std::fs::create_dir(d).unwrap();
            std::fs::File::create(d.join("j.jsonl"))
                .unwrap()
                .write_all(&bytes)
                .unwrap();
        }
        let max = 1 + rng.below(700) as u64;
        let whole = Session::open(&whole_dir.join("j.jsonl"), None, Vec::new());
        let parts = open_in_steps(&part_dir.join("j.jsonl"), max);
        let (mut whole, quarantined, (entries, mut parts, torn)) = match (whole, parts) {
            (Ok((w, q)), Ok(p)) => (w, q, p),
            (Err(w), Err(p)) => {
                assert_eq!(w.to_string(), p.to_string().replace("/parts/", "/whole/"));
                continue;
            }
            (w, p) => panic!(
                "seed {seed}, max {max}: {:?} against {:?}",
                w.err(),
                p.err()
            ),
        };
        let context = format!("seed {seed}, steps of {max} bytes");
        assert_eq!(entries, whole.take_unseen(), "{context}");
        assert_eq!(parts.state(), whole.state(), "{context}");
        let moved = quarantined.map(|q| std::fs::read(&q.moved_to).unwrap());
        assert_eq!(torn, moved, "{context}");
        // The same `.tail` record (its sessions are a map: compared as JSON).
        let record = |d: &Path| -> Option<serde_json::Value> {
            let bytes = std::fs::read(d.join("j.jsonl.tail")).ok()?;
            Some(serde_json::from_slice(&bytes).unwrap())
        };
        assert!(
            record(&part_dir) == record(&whole_dir),
            "{context}: the .tail record"
        );
        // The session it ends with appends (or refuses) as the other does.
        let note = Command::Note {
            text: "after".to_owned(),
            happened_at: None,
        };
        let after: Vec<String> = [&mut whole, &mut parts]
            .into_iter()
            .map(|session| {
                session.begin(&actor("Sam"), None).unwrap();
                let result = session.execute(&actor("Sam"), &note, Utc::now());
                format!("{:?}", result.map(|entries| seqs(&entries)))
            })
            .collect();
        assert_eq!(after[0], after[1], "{context}");
        assert_eq!(parts.state().last_seq, whole.state().last_seq, "{context}");
    }
}

/// [`read_folded`] (the read on one thread, the fold on another, a part at a
/// time) gives exactly the fold of [`Journal::read`] and its last entry on a
/// journal of several parts, and the same error where the chain breaks.
#[test]
fn read_folded_equals_the_whole_read_and_fold_across_parts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.jsonl");
    let start = crate::response::testkit::t0();
    let mut events = Vec::new();
    // Some 3 MB: three parts of FOLD_PART.
    for n in 0..9_001 {
        let text = format!("Note {n}: {}", "paper register checked ".repeat(10));
        events.push((
            actor("Sam Lee"),
            Event::Note {
                text,
                happened_at: None,
            },
            None,
        ));
    }
    let bytes = crate::journal::entry::plaintext_journal(start, 1_000, "+00:00", events).unwrap();
    assert!(bytes.len() as u64 > 2 * FOLD_PART, "{} bytes", bytes.len());
    std::fs::write(&path, &bytes).unwrap();

    let whole = Journal::read(&path, None).unwrap();
    let (state, head) = read_folded(&path, None, None).unwrap();
    assert_eq!(state, ResponseState::fold(&whole));
    assert_eq!(head.as_ref(), whole.last());
    assert_eq!(state.entries, 9_001);

    // One character changed in an entry of the second part.
    let mut tampered = bytes.clone();
    let at = tampered.len() / 2;
    let at = at
        + tampered[at..]
            .windows(5)
            .position(|w| w == b"Note ")
            .unwrap();
    tampered[at] = b'n';
    std::fs::write(&path, &tampered).unwrap();
    let expected = Journal::read(&path, None).unwrap_err().to_string();
    let got = read_folded(&path, None, None).unwrap_err().to_string();
    assert_eq!(got, expected);
    assert!(got.contains("seq"), "{got}");
}
