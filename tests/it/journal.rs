//! The journal core on real files: create, append, reopen, encryption at rest,
//! torn-tail recovery and the chain's tamper evidence.

use std::io::Write;

use grabbag::crypto::{Identities, Identity};
use grabbag::journal::{Actor, Event, Journal, NewJournal, scan};

fn actor() -> Actor {
    Actor {
        name: "Sam Patel".to_owned(),
        role: "Incident Lead (Silver)".to_owned(),
    }
}

fn note(text: &str) -> Event {
    Event::Note {
        text: text.to_owned(),
        happened_at: None,
    }
}

fn new_journal<'a>(recipients: Option<&'a grabbag::crypto::Recipients>) -> NewJournal<'a> {
    NewJournal {
        recipients,
        library: None,
        incident: Some("Ransomware in revenues".to_owned()),
        exercise: None,
    }
}

#[test]
fn plaintext_journal_appends_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let mut j = Journal::create(&path, &new_journal(None), &actor()).unwrap();
    for i in 0..5 {
        let e = j
            .append(&actor(), note(&format!("note {i}")), None)
            .unwrap();
        assert_eq!(e.seq, i + 2);
    }
    let head = j.witness().unwrap();
    drop(j);
    let (j, entries, torn) = Journal::open(&path, None).unwrap();
    assert!(torn.is_none());
    assert_eq!(entries.len(), 6);
    assert_eq!(j.witness().unwrap(), head);
    assert!(matches!(
        &entries[0].event,
        Some(Event::SessionStarted {
            plaintext: true,
            ..
        })
    ));
    assert_eq!(entries[3].event, Some(note("note 2")));
    let s = scan(&std::fs::read(&path).unwrap());
    assert!(s.problems.is_empty() && s.warnings.is_empty() && s.torn.is_none());
    assert_eq!(s.entries.len(), 6);
}

#[test]
fn encrypted_journal_hides_text_but_verifies_without_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let id = Identity::generate();
    let recipients = id.recipients();
    let ids = Identities::from_identity(id, &dir.path().join("id"));
    let mut j = Journal::create(&path, &new_journal(Some(&recipients)), &actor()).unwrap();
    j.append(
        &actor(),
        note("ransom note photographed in the revenues office"),
        None,
    )
    .unwrap();
    drop(j);
    let bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains("ransom note")
            && !text.contains("Sam Patel")
            && !text.contains("Ransomware in revenues")
    );
    let s = scan(&bytes);
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    let (_, entries, _) = Journal::open(&path, None).unwrap();
    assert!(
        entries.iter().all(|e| e.event.is_none()),
        "no key: bodies stay sealed"
    );
    let read = Journal::read(&path, Some(&ids)).unwrap();
    let (mut j, entries, _) = Journal::open(&path, Some(&ids)).unwrap();
    assert_eq!(read, entries, "a read-only read sees what an open sees");
    assert!(
        Journal::read(&path, None)
            .unwrap()
            .iter()
            .all(|e| e.event.is_none())
    );
    assert_eq!(
        entries[1].event,
        Some(note("ransom note photographed in the revenues office"))
    );
    j.start_session(&actor(), &new_journal(Some(&recipients)))
        .unwrap();
    let e = j.append(&actor(), note("after resume"), None).unwrap();
    assert_eq!((e.seq, e.session), (4, 2));
    let (mut j, _, _) = Journal::open(&path, None).unwrap();
    let err = j
        .append(&actor(), note("no key"), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("is encrypted: appending needs an identity"),
        "{err}"
    );
}

#[test]
fn torn_tail_is_quarantined_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let mut j = Journal::create(&path, &new_journal(None), &actor()).unwrap();
    j.append(&actor(), note("kept"), None).unwrap();
    drop(j);
    let good_len = std::fs::metadata(&path).unwrap().len();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(b"{\"seq\":3,\"session\":1,\"at\":\"2026-")
        .unwrap();
    drop(f);
    let read = Journal::read(&path, None).unwrap();
    assert_eq!(read.len(), 2, "a read returns the good entries");
    assert!(
        std::fs::metadata(&path).unwrap().len() > good_len,
        "a read moves nothing"
    );
    let (mut j, entries, torn) = Journal::open(&path, None).unwrap();
    let torn = torn.expect("the torn tail is reported");
    assert_eq!(torn.torn.offset, good_len);
    assert_eq!(torn.torn.len, 32);
    assert_eq!(
        std::fs::read(&torn.moved_to).unwrap(),
        b"{\"seq\":3,\"session\":1,\"at\":\"2026-"
    );
    assert_eq!(entries.len(), 2);
    assert_eq!(j.append(&actor(), note("continues"), None).unwrap().seq, 3);
    assert!(scan(&std::fs::read(&path).unwrap()).problems.is_empty());
}

#[test]
fn tampering_is_pinpointed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let mut j = Journal::create(&path, &new_journal(None), &actor()).unwrap();
    for i in 0..4 {
        j.append(&actor(), note(&format!("entry {i}")), None)
            .unwrap();
    }
    drop(j);
    let original = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = original.lines().collect();
    let offset_of = |n: usize| lines[..n].iter().map(|l| l.len() as u64 + 1).sum::<u64>();
    // An edited entry.
    let edited = original.replace("entry 2", "entry X");
    let s = scan(edited.as_bytes());
    assert_eq!(s.problems[0].seq, Some(4));
    assert_eq!(s.problems[0].offset, offset_of(3));
    assert!(
        s.problems[0]
            .message
            .contains("content does not match its hash"),
        "{:?}",
        s.problems
    );
    // A deleted line.
    let deleted: String = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let s = scan(deleted.as_bytes());
    assert_eq!(s.problems[0].seq, Some(4));
    assert!(
        s.problems[0]
            .message
            .contains("prev does not match the hash of seq 2"),
        "{:?}",
        s.problems
    );
    // Two lines swapped.
    let mut swapped: Vec<&str> = lines.clone();
    swapped.swap(1, 2);
    let swapped: String = swapped.iter().map(|l| format!("{l}\n")).collect();
    let s = scan(swapped.as_bytes());
    assert_eq!(s.problems[0].seq, Some(3));
    assert_eq!(s.problems[0].offset, offset_of(1));
    // Opening a tampered journal for writing is refused, never "repaired".
    std::fs::write(&path, edited).unwrap();
    let err = Journal::open(&path, None)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("broken at byte") && err.contains("(seq 4)"),
        "{err}"
    );
}

#[test]
fn create_and_append_return_the_entries_a_reopen_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let (mut j, first) = Journal::create_with_entry(&path, &new_journal(None), &actor()).unwrap();
    let appended: Vec<_> = (0..3)
        .map(|i| {
            j.append(&actor(), note(&format!("note {i}")), Some(i * 1000))
                .unwrap()
        })
        .collect();
    drop(j);
    let (_, entries, _) = Journal::open(&path, None).unwrap();
    assert_eq!(entries[0], first);
    assert_eq!(entries[1..], appended[..]);
}

#[test]
fn a_note_from_another_process_is_picked_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let mut j = Journal::create(&path, &new_journal(None), &actor()).unwrap();
    j.append(&actor(), note("from the TUI"), None).unwrap();
    let out = crate::harness::run(
        crate::harness::grabbag(dir.path())
            .args(["note", "--actor", "Loggist", "--role", "Loggist"])
            .arg(&path)
            .arg("from a second terminal"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("seq 3 witness 3:"), "{}", out.stdout);
    let new = j.refresh().unwrap();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].event, Some(note("from a second terminal")));
    assert_eq!(
        new[0].session, 0,
        "a one-shot writer claims no session clock"
    );
    // Our next append chains after theirs.
    assert_eq!(j.append(&actor(), note("again"), None).unwrap().seq, 4);
    assert!(scan(&std::fs::read(&path).unwrap()).problems.is_empty());
}

#[test]
fn a_second_writer_is_told_who_holds_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let j = Journal::create(&path, &new_journal(None), &actor()).unwrap();
    drop(j);
    // Hold the lock as a writer would mid-append (the holder line is written
    // by the last writer that took the lock: here, create).
    let held = std::fs::OpenOptions::new().read(true).open(&path).unwrap();
    held.lock().unwrap();
    let out = crate::harness::run(
        crate::harness::grabbag(dir.path())
            .arg("note")
            .arg(&path)
            .arg("blocked"),
    );
    held.unlock().unwrap();
    assert_eq!(out.code, 2, "{}", out.stdout);
    let pid = std::process::id();
    assert!(
        out.stderr
            .contains(&format!("is being written by process {pid} (")),
        "the holder is named: {}",
        out.stderr
    );
    assert!(out.stderr.contains("waited"), "{}", out.stderr);
    assert!(
        out.stderr.contains("the note was NOT recorded"),
        "{}",
        out.stderr
    );
}
