//! Journal test vectors as files (rage style, `tests/data/journals/`), each
//! with its expected verdict, checked by the real binary: `journal verify`
//! says what it is, and `note` appends only where the chain is whole, never
//! taking a complete entry for a torn tail. See `tests/data/journals/README.md`.

use std::path::{Path, PathBuf};

use grabbag::journal::{Event, Journal};

use crate::harness::{grabbag, run};

/// A vector copied into a fresh folder (note changes it).
fn vector(home: &Path, name: &str) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/journals")
        .join(name);
    let to = home.join(name);
    std::fs::copy(&from, &to).expect("vector copied");
    to
}

/// (file, verify exit code, entries verify counts, text verify must say,
/// note exit code)
const VECTORS: &[(&str, i32, usize, &str, i32)] = &[
    ("newer-event.jsonl", 0, 4, "OK: journal, 4 entries", 0),
    ("unknown-fields.jsonl", 0, 3, "OK: journal, 3 entries", 0),
    ("torn-tail.jsonl", 1, 2, "a torn tail: the last 67 bytes", 0),
    (
        "broken-chain.jsonl",
        1,
        1,
        "seq 2 at byte 428: content does not match its hash",
        2,
    ),
    (
        "unreadable-last.jsonl",
        1,
        2,
        "is a complete entry (its hash matches)",
        2,
    ),
];

#[test]
fn each_vector_verifies_and_takes_a_note_as_expected() {
    let home = tempfile::tempdir().expect("temp dir");
    for &(name, verify_code, good, says, note_code) in VECTORS {
        let path = vector(home.path(), name);
        let before = std::fs::read(&path).unwrap();
        let out = run(grabbag(home.path()).args(["journal", "verify"]).arg(&path));
        assert_eq!(
            out.code, verify_code,
            "{name}: {}{}",
            out.stdout, out.stderr
        );
        assert!(out.stdout.contains(says), "{name}: {}", out.stdout);
        assert!(
            out.stdout.contains(&format!("{good} entries"))
                || out.stdout.contains(&format!("{good} good entries")),
            "{name}: {}",
            out.stdout
        );
        let out = run(grabbag(home.path())
            .arg("note")
            .arg(&path)
            .arg("later note"));
        assert_eq!(out.code, note_code, "{name}: {}{}", out.stdout, out.stderr);
        let after = std::fs::read(&path).unwrap();
        if note_code == 0 {
            // The next seq after the last good entry, every good entry kept.
            assert!(
                out.stdout.starts_with(&format!("seq {} ", good + 1)),
                "{name}: {}",
                out.stdout
            );
            let kept = if verify_code == 0 {
                before.len()
            } else {
                TORN_AT
            };
            assert_eq!(after[..kept], before[..kept], "{name}");
            let out = run(grabbag(home.path()).args(["journal", "verify"]).arg(&path));
            assert_eq!(out.code, 0, "{name} after the note: {}", out.stdout);
        } else {
            assert_eq!(after, before, "{name}: a refused note changed the file");
        }
    }
}

/// Where the torn tail of `torn-tail.jsonl` starts.
const TORN_AT: usize = 766;

#[test]
fn events_of_a_newer_version_are_kept_shown_and_folded_as_nothing() {
    let home = tempfile::tempdir().expect("temp dir");
    let path = vector(home.path(), "newer-event.jsonl");
    let entries = Journal::read(&path, None).expect("reads");
    let unknown: Vec<&str> = entries
        .iter()
        .filter_map(|e| match &e.event {
            Some(Event::Unknown(u)) => Some(u.type_name()),
            _ => None,
        })
        .collect();
    assert_eq!(unknown, ["photo_attached", "handover_signed"]);
    let state = grabbag::response::ResponseState::fold(&entries);
    assert!(state.sessions.open, "the session start still counts");
    assert_eq!(state.entries, 4);

    for format in ["md", "csv", "json", "html", "timesketch"] {
        let out = run(grabbag(home.path())
            .args(["journal", "export", "--format", format])
            .arg(&path));
        assert_eq!(out.code, 0, "{format}: {}", out.stderr);
        assert!(
            out.stdout.contains("unknown event (newer version)"),
            "{format}: {}",
            out.stdout
        );
    }
    // The JSON export keeps the unknown event's fields as they were stored.
    let out = run(grabbag(home.path())
        .args(["journal", "export", "--format", "json"])
        .arg(&path));
    assert!(
        out.stdout.contains("\"caption\": \"server room door\""),
        "{}",
        out.stdout
    );

    // Two later appends: the unknown entries stay, with their witness codes.
    let witnesses: Vec<String> = entries.iter().map(|e| e.witness()).collect();
    for text in ["one", "two"] {
        let out = run(grabbag(home.path()).arg("note").arg(&path).arg(text));
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let after = Journal::read(&path, None).expect("reads");
    assert_eq!(after.len(), 6);
    let kept: Vec<String> = after[..4].iter().map(|e| e.witness()).collect();
    assert_eq!(kept, witnesses);
    assert!(!home.path().join("newer-event.jsonl.torn").exists());
}
