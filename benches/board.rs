//! The command-room board (issue 22): 10 journals of 10,000 entries each,
//! encrypted as responders' journals are by default.
//!
//! - the first board: find the files, read and decrypt every entry, fold
//!   each journal, build the picture (goal: < 300 ms);
//! - a refresh after one new entry in one journal (appended by a real
//!   writer, `Journal::append`, outside the timing): read what was
//!   appended, fold it, build the picture again (goal: < 10 ms);
//! - beside them, what `journal merge` does with the same files in
//!   process: read each file and merge them into one timeline.
//!
//! Run with `cargo bench --bench board` (release profile). Plain `fn main`,
//! no harness and no assertions: it prints figures and the machine's load.
//! Environment: `GRABBAG_BENCH_DIR` (default the system temp dir),
//! `GRABBAG_BENCH_JOURNALS` (default 10), `GRABBAG_BENCH_ENTRIES` (default
//! 10000), `GRABBAG_BENCH_PLAINTEXT=1` (plaintext journals instead),
//! `GRABBAG_BENCH_KEEP=DIR` (keeps the journals and the identity there).
#![forbid(unsafe_code)]

// Only the timing helpers: the runbook generator is for the library benches.
#[allow(dead_code)]
mod common;

use std::path::{Path, PathBuf};

use chrono::{TimeDelta, TimeZone as _, Utc};
use grabbag::board::Board;
use grabbag::crypto::{Identities, Identity};
use grabbag::journal::entry::plaintext_journal;
use grabbag::journal::merge::{self, Source};
use grabbag::journal::store::{read_journal_bytes, sealed_copy};
use grabbag::journal::{Actor, Event, Journal};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One responder's journal of `entries` entries: a session, a runbook, then
/// notes, steps done, checks ticked and deadlines started in turn.
fn responder(i: usize, entries: usize) -> Vec<u8> {
    let actor = Actor {
        name: format!("Responder {i}"),
        role: ["Gold", "Silver", "Bronze"][i % 3].to_owned(),
    };
    let rb = || "cyber/ransomware".to_owned();
    let mut events = vec![
        Event::SessionStarted {
            library: None,
            grabbag: "bench".to_owned(),
            host: format!("laptop-{i}"),
            incident: Some("Cyber outage".to_owned()),
            exercise: None,
            plaintext: false,
            resumed: false,
        },
        Event::RunbookOpened {
            runbook: rb(),
            title: "Ransomware".to_owned(),
            commit: None,
            blob: None,
            dirty: false,
            unencrypted: false,
            trust: "not checked".to_owned(),
        },
    ];
    let start = Utc.with_ymd_and_hms(2026, 12, 5, 8, 0, 0).unwrap();
    for n in 2..entries {
        events.push(match n % 4 {
            0 => Event::Note {
                text: format!("note {n}: the generator is running, fuel for six hours"),
                happened_at: None,
            },
            1 => Event::StepDone {
                runbook: rb(),
                step: format!("step-{}", n % 40),
            },
            2 => Event::CheckTicked {
                runbook: rb(),
                step: format!("step-{}", n % 40),
                check: n % 3,
                text: "done".to_owned(),
            },
            _ => Event::ClockStarted {
                runbook: rb(),
                clock: format!("clock-{}", n % 50),
                label: "Report to the ICO".to_owned(),
                due_at: (start + TimeDelta::hours(72)).to_rfc3339(),
                anchor: None,
                case: None,
                basis: None,
            },
        });
    }
    plaintext_journal(
        start,
        1000,
        "+00:00",
        events
            .into_iter()
            .map(|e| (actor.clone(), e, None))
            .collect(),
    )
    .expect("journal")
}

fn main() {
    let journals = env("GRABBAG_BENCH_JOURNALS", 10);
    let entries = env("GRABBAG_BENCH_ENTRIES", 10_000);
    let plaintext = std::env::var_os("GRABBAG_BENCH_PLAINTEXT").is_some();
    let base = std::env::var_os("GRABBAG_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let dir = tempfile::tempdir_in(base).expect("bench dir");
    let id = Identity::generate();
    let recipients = id.recipients();
    // `GRABBAG_BENCH_KEEP=DIR`: the journals and the identity are kept there,
    // to time `grabbag board --json` as a whole process with other tools.
    let keep = std::env::var_os("GRABBAG_BENCH_KEEP").map(PathBuf::from);
    if let Some(keep) = &keep {
        std::fs::create_dir_all(keep.join("journals")).expect("GRABBAG_BENCH_KEEP is a folder");
        id.write(&keep.join("identity.txt"), None)
            .expect("the identity is kept");
    }
    let identities = Identities::from_identity(id, &dir.path().join("identity.txt"));
    let folder = dir.path().join("journals");
    std::fs::create_dir_all(&folder).expect("folder");
    let mut files = Vec::new();
    let mut bytes_total = 0;
    for i in 0..journals {
        let path = folder.join(format!("responder-{i:02}.jsonl"));
        let plain = responder(i, entries);
        let bytes = if plaintext {
            plain
        } else {
            sealed_copy(&path, &plain, &recipients).expect("sealed")
        };
        bytes_total += bytes.len();
        std::fs::write(&path, &bytes).expect("write");
        if let Some(keep) = &keep {
            std::fs::write(
                keep.join("journals").join(path.file_name().expect("named")),
                &bytes,
            )
            .expect("the journal is kept");
        }
        files.push(path);
    }
    println!(
        "board: {journals} journals x {entries} entries, {}, {:.1} MB in all, in {}",
        if plaintext { "plaintext" } else { "encrypted" },
        bytes_total as f64 / 1e6,
        folder.display()
    );
    println!(
        "machine: {} cores, load {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    );

    let now = Utc::now();
    let first = common::timed(5, || {
        let mut board = Board::new(vec![folder.clone()]);
        board.refresh(Some(&identities));
        let picture = board.picture(now, None, None);
        assert_eq!(picture.responders.len(), journals);
    });
    println!(
        "first board: median {:.1} ms, min {:.1} ms (goal < 300 ms)",
        common::ms(first.median),
        common::ms(first.min)
    );

    let mut board = Board::new(vec![folder.clone()]);
    board.refresh(Some(&identities));
    let (mut writer, _, _) = Journal::open(&files[0], Some(&identities)).expect("open");
    let actor = Actor {
        name: "Responder 0".to_owned(),
        role: "Gold".to_owned(),
    };
    let mut times = Vec::new();
    for n in 0..50 {
        writer
            .append(
                &actor,
                Event::Note {
                    text: format!("fresh note {n}"),
                    happened_at: None,
                },
                None,
            )
            .expect("append");
        let start = std::time::Instant::now();
        let changed = board.refresh(Some(&identities));
        let picture = board.picture(now, None, None);
        times.push(start.elapsed());
        assert!(changed && picture.journals[0].last.is_some());
    }
    times.sort();
    println!(
        "refresh after one new entry: median {:.2} ms, max {:.2} ms over {} (goal < 10 ms)",
        common::ms(times[times.len() / 2]),
        common::ms(times[times.len() - 1]),
        times.len()
    );

    let merge = common::timed(3, || merge_files(&files));
    println!(
        "journal merge of the same files (read + merge, in process): median {:.1} ms, min {:.1} ms",
        common::ms(merge.median),
        common::ms(merge.min)
    );
}

/// What `journal merge` does with the files, in process: read each, merge.
fn merge_files(files: &[PathBuf]) {
    let inputs: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|p: &PathBuf| (name(p), read_journal_bytes(p).expect("read")))
        .collect();
    let sources: Vec<Source<'_>> = inputs
        .iter()
        .map(|(name, bytes)| Source { name, bytes })
        .collect();
    let merged = merge::merge(&sources).expect("merge");
    assert!(!merged.is_empty());
}

fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
