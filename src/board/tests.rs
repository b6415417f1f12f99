//! The board on real files: journals written by the journal's own fixture
//! writer, folders made with real links, copies and edits.

use std::io::Write as _;

use chrono::{DateTime, TimeZone as _, Utc};

use super::*;
use crate::journal::Event;
use crate::journal::entry::plaintext_journal;

pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap()
}

pub(crate) fn actor(name: &str, role: &str) -> Actor {
    Actor {
        name: name.to_owned(),
        role: role.to_owned(),
    }
}

pub(crate) fn start(incident: &str) -> Event {
    Event::SessionStarted {
        library: None,
        grabbag: "test".to_owned(),
        host: "laptop".to_owned(),
        incident: Some(incident.to_owned()),
        exercise: None,
        plaintext: true,
        resumed: false,
    }
}

pub(crate) fn opened() -> Event {
    Event::RunbookOpened {
        runbook: "cyber/outage".to_owned(),
        title: "Outage".to_owned(),
        commit: None,
        blob: None,
        dirty: false,
        unencrypted: true,
        trust: "not checked".to_owned(),
    }
}

pub(crate) fn done(step: &str) -> Event {
    Event::StepDone {
        runbook: "cyber/outage".to_owned(),
        step: step.to_owned(),
    }
}

/// A deadline: of the runbook opened, or (`press`) one added by hand.
pub(crate) fn clock(id: &str, due: DateTime<Utc>) -> Event {
    Event::ClockStarted {
        runbook: if id == "press" { "" } else { "cyber/outage" }.to_owned(),
        clock: id.to_owned(),
        label: format!("deadline {id}"),
        due_at: due.to_rfc3339(),
        anchor: None,
        case: None,
        basis: None,
    }
}

pub(crate) fn note(text: &str) -> Event {
    Event::Note {
        text: text.to_owned(),
        happened_at: None,
    }
}

/// A journal by `who` of `events`, written a second apart from `t0`.
pub(crate) fn journal(who: &Actor, events: Vec<Event>) -> Vec<u8> {
    plaintext_journal(
        t0(),
        1000,
        "+00:00",
        events.into_iter().map(|e| (who.clone(), e, None)).collect(),
    )
    .unwrap()
}

fn board(dir: &Path) -> Board {
    let mut board = Board::new(vec![dir.to_owned()]);
    board.refresh(None);
    board
}

fn view<'a>(picture: &'a Picture, file: &str) -> &'a JournalView {
    picture
        .journals
        .iter()
        .find(|j| j.file.ends_with(file))
        .unwrap_or_else(|| panic!("{file} not on the board: {:?}", picture.journals))
}

#[test]
fn three_journals_of_one_incident_make_one_picture_and_another_incident_is_set_apart() {
    let dir = tempfile::tempdir().unwrap();
    let gold = actor("Gita", "Strategic lead (Gold)");
    let silver = actor("Sam", "Incident lead (Silver)");
    let bronze = actor("Bo", "ICT engineer (Bronze)");
    std::fs::create_dir_all(dir.path().join("received/bo")).unwrap();
    std::fs::write(
        dir.path().join("gold.jsonl"),
        journal(
            &gold,
            vec![
                start("Outage"),
                clock("press", t0() + chrono::TimeDelta::hours(4)),
            ],
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("silver.jsonl"),
        journal(
            &silver,
            vec![
                start("Outage"),
                opened(),
                done("triage"),
                clock("ico", t0() + chrono::TimeDelta::hours(72)),
            ],
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("received/bo/bronze.jsonl"),
        journal(
            &bronze,
            vec![
                start(" outage "),
                opened(),
                done("triage"),
                clock("restore", t0() + chrono::TimeDelta::hours(1)),
            ],
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("drill.jsonl"),
        journal(&silver, vec![start("Tabletop"), note("an old drill")]),
    )
    .unwrap();
    // The other incident's journal was written to earlier than these.
    let picture = board(dir.path()).picture(t0() + chrono::TimeDelta::hours(2), None, None);
    assert!(
        picture
            .incident
            .as_deref()
            .is_some_and(|i| i.eq_ignore_ascii_case("outage")),
        "{:?}",
        picture.incident
    );
    let merged: Vec<&str> = picture
        .journals
        .iter()
        .filter(|j| j.merged)
        .map(|j| j.file.as_str())
        .collect();
    assert_eq!(merged.len(), 3, "{merged:?}");
    let drill = view(&picture, "drill.jsonl");
    assert!(!drill.merged);
    assert_eq!(
        drill.not_merged.as_deref(),
        Some("another incident (Tabletop)")
    );
    // One list of deadlines across the laptops, by due time; the one an
    // hour past due is a breach.
    let due: Vec<&str> = picture.deadlines.iter().map(|d| d.clock.as_str()).collect();
    assert_eq!(due, ["restore", "press", "ico"]);
    assert_eq!(picture.deadlines[0].state, "overdue");
    assert_eq!(picture.breaches, 1);
    assert_eq!(
        picture.deadlines[0]
            .started_by
            .as_ref()
            .map(|a| a.name.as_str()),
        Some("Bo")
    );
    // The same step done on two laptops shows both.
    let triage = picture.steps.iter().find(|s| s.step == "triage").unwrap();
    let who: Vec<&str> = triage
        .by
        .iter()
        .filter_map(|b| b.actor.as_ref().map(|a| a.name.as_str()))
        .collect();
    assert_eq!(who.len(), 2);
    assert!(who.contains(&"Sam") && who.contains(&"Bo"), "{who:?}");
    // Cells from the roles' command levels.
    let cells: Vec<(&str, Option<&str>)> = picture
        .responders
        .iter()
        .map(|r| (r.name.as_str(), r.cell.as_deref()))
        .collect();
    assert!(cells.contains(&("Gita", Some("Gold"))), "{cells:?}");
    assert!(cells.contains(&("Bo", Some("Bronze"))), "{cells:?}");
    assert_eq!(picture.responders.len(), 3, "{cells:?}");
}

#[test]
fn a_tampered_journal_fails_with_its_seq_and_is_never_merged() {
    let dir = tempfile::tempdir().unwrap();
    let sam = actor("Sam", "Silver");
    let text = String::from_utf8(journal(
        &sam,
        vec![
            start("Outage"),
            note("first"),
            clock("ico", t0() + chrono::TimeDelta::hours(72)),
        ],
    ))
    .unwrap();
    std::fs::write(
        dir.path().join("sam.jsonl"),
        text.replacen("\"first\"", "\"fiRst\"", 1),
    )
    .unwrap();
    let picture = board(dir.path()).picture(t0(), None, None);
    let sam = view(&picture, "sam.jsonl");
    assert!(!sam.merged);
    match &sam.integrity {
        Integrity::Failing { seq, reason, .. } => {
            assert_eq!(*seq, Some(2));
            assert!(reason.contains("altered"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        sam.not_merged
            .as_deref()
            .is_some_and(|why| why.starts_with("fails verification at seq 2")),
        "{:?}",
        sam.not_merged
    );
    assert!(picture.deadlines.is_empty());
    assert!(picture.responders.is_empty());
}

#[test]
fn a_copy_taken_mid_write_is_read_to_its_last_good_entry_then_followed() {
    let dir = tempfile::tempdir().unwrap();
    let sam = actor("Sam", "Silver");
    let whole = journal(&sam, vec![start("Outage"), note("one"), note("two")]);
    let cut = whole.len() - 20;
    let path = dir.path().join("sam.jsonl");
    std::fs::write(&path, &whole[..cut]).unwrap();
    let mut board = board(dir.path());
    let picture = board.picture(t0(), None, None);
    let sam = view(&picture, "sam.jsonl");
    assert!(sam.merged);
    assert_eq!(sam.entries, 2);
    assert!(
        matches!(
            sam.integrity,
            Integrity::Torn {
                after_seq: Some(2),
                ..
            }
        ),
        "{:?}",
        sam.integrity
    );
    // The rest of the line arrives: the next refresh reads it whole.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(&whole[cut..])
        .unwrap();
    assert!(board.refresh(None));
    let picture = board.picture(t0(), None, None);
    let sam = view(&picture, "sam.jsonl");
    assert_eq!(sam.entries, 3);
    assert_eq!(sam.integrity, Integrity::Verified);
    assert_eq!(sam.last.as_ref().map(|l| l.seq), Some(3));
}

#[test]
fn a_refresh_reads_what_was_appended_and_a_rewritten_file_is_read_again_and_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let sam = actor("Sam", "Silver");
    let long = journal(&sam, vec![start("Outage"), note("one"), note("two")]);
    let lines: Vec<&[u8]> = long.split_inclusive(|b| *b == b'\n').collect();
    let path = dir.path().join("sam.jsonl");
    std::fs::write(&path, lines[..2].concat()).unwrap();
    let mut board = board(dir.path());
    assert!(!board.refresh(None), "nothing changed");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(lines[2])
        .unwrap();
    assert!(board.refresh(None));
    let picture = board.picture(t0(), None, None);
    assert_eq!(view(&picture, "sam.jsonl").entries, 3);
    assert!(!view(&picture, "sam.jsonl").rewritten);
    // Replaced by a different journal that is shorter: read again, flagged.
    std::fs::write(&path, journal(&sam, vec![start("Outage"), note("other")])).unwrap();
    assert!(board.refresh(None));
    let picture = board.picture(t0(), None, None);
    let sam = view(&picture, "sam.jsonl");
    assert!(sam.rewritten);
    assert_eq!(sam.entries, 2);
    assert_eq!(sam.integrity, Integrity::Verified);
}

#[cfg(unix)]
#[test]
fn links_are_refused_by_name_and_a_second_copy_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let sam = actor("Sam", "Silver");
    let bytes = journal(&sam, vec![start("Outage"), note("one"), note("two")]);
    std::fs::write(outside.path().join("secret.jsonl"), &bytes).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.jsonl"),
        dir.path().join("link.jsonl"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("away")).unwrap();
    std::fs::write(dir.path().join("sam.jsonl"), &bytes).unwrap();
    let lines: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
    std::fs::write(dir.path().join("sam-committed.jsonl"), lines[..2].concat()).unwrap();
    let picture = board(dir.path()).picture(t0(), None, None);
    assert_eq!(picture.refused.len(), 1, "{:?}", picture.refused);
    assert!(picture.refused[0].path.ends_with("link.jsonl"));
    assert!(picture.refused[0].reason.contains("symbolic link"));
    assert!(!picture.journals.iter().any(|j| j.file.contains("away")));
    let copy = view(&picture, "sam-committed.jsonl");
    assert!(!copy.merged);
    assert!(copy.not_merged.as_deref().unwrap().contains("a copy of"));
    assert!(view(&picture, "sam.jsonl").merged);
    assert_eq!(picture.responders.len(), 1);
}

#[test]
fn what_changed_since_a_time_lists_only_later_entries() {
    let dir = tempfile::tempdir().unwrap();
    let sam = actor("Sam", "Silver");
    std::fs::write(
        dir.path().join("sam.jsonl"),
        journal(
            &sam,
            vec![start("Outage"), note("before"), note("after"), opened()],
        ),
    )
    .unwrap();
    let since = t0() + chrono::TimeDelta::milliseconds(1500);
    let picture = board(dir.path()).picture(t0(), Some(since), None);
    let what: Vec<&str> = picture.changes.iter().map(|c| c.what.as_str()).collect();
    assert_eq!(what, ["note: after", "opened Outage"]);
}

#[test]
fn hostile_files_are_listed_with_the_reason_and_nothing_of_them_is_merged() {
    let dir = tempfile::tempdir().unwrap();
    let sam = actor("Sam", "Silver");
    let good = journal(&sam, vec![start("Outage"), note("one"), note("two")]);
    let lines: Vec<&[u8]> = good.split_inclusive(|b| *b == b'\n').collect();
    // Malformed JSON in the middle: not a torn tail, a break.
    std::fs::write(
        dir.path().join("garbled.jsonl"),
        [lines[0], b"{\"seq\":2,\"oops\n", lines[2]].concat(),
    )
    .unwrap();
    // Not a journal at all.
    std::fs::write(dir.path().join("notes.jsonl"), b"hello\n").unwrap();
    // A huge note (8 MB on one line) is read like any other.
    let huge = journal(&sam, vec![start("Outage"), note(&"x".repeat(8 << 20))]);
    std::fs::write(dir.path().join("huge.jsonl"), huge).unwrap();
    // Encrypted with real age to someone else: no identity opens it.
    let other = crate::crypto::Identity::generate();
    let sealed = crate::journal::store::sealed_copy(
        &dir.path().join("sealed.jsonl"),
        &good,
        &other.recipients(),
    )
    .unwrap();
    std::fs::write(dir.path().join("sealed.jsonl"), sealed).unwrap();
    // A sparse file that says it is a terabyte: refused unread (reading,
    // or sizing a buffer for it, would take the machine down).
    std::fs::File::create(dir.path().join("sparse.jsonl"))
        .and_then(|f| f.set_len(1 << 40))
        .unwrap();
    let picture = board(dir.path()).picture(t0(), None, None);
    let sparse = view(&picture, "sparse.jsonl");
    assert!(
        matches!(&sparse.integrity, Integrity::Unreadable { reason } if reason.contains("larger than")),
        "{:?}",
        sparse.integrity
    );
    assert!(!sparse.merged);
    let garbled = view(&picture, "garbled.jsonl");
    assert!(
        matches!(&garbled.integrity, Integrity::Failing { seq: Some(2), .. }),
        "{:?}",
        garbled.integrity
    );
    assert!(!garbled.merged);
    assert!(matches!(
        view(&picture, "notes.jsonl").integrity,
        Integrity::Failing { .. }
    ));
    let sealed = view(&picture, "sealed.jsonl");
    assert!(sealed.encrypted && !sealed.merged);
    assert!(
        matches!(&sealed.integrity, Integrity::NoKey { reason } if reason.contains("no identity")),
        "{:?}",
        sealed.integrity
    );
    let huge = view(&picture, "huge.jsonl");
    assert!(huge.merged, "{:?}", huge.not_merged);
    assert_eq!(huge.entries, 2);
    // Only the huge journal's writer is on the board.
    assert_eq!(picture.responders.len(), 1);
}
