//! A register of 10,000 cases with 30,000 clocks (issue 17's goal: the run
//! screen draws in under 1 ms median and `status` answers in under 100 ms).
//! The journal is made through the real session (each case checked by the
//! core and appended with fsync, in /dev/shm when there is one so that the
//! setup does not take minutes), resumed by the interface as a responder
//! would, and `status` is the real binary on that file. Prints medians; no
//! assertion on time (figures go to `docs/PERFORMANCE.md`).
//! `GRABBAG_BENCH_KEEP=DIR` keeps the journal as `DIR/register.jsonl`.

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Instant;

use chrono::{TimeDelta, Utc};
use grabbag::journal::{Actor, NewJournal};
use grabbag::library::LoadedRunbook;
use grabbag::response::{Command, RunbookPin};
use grabbag::session::Session;
use ratatui::crossterm::event::KeyCode;

mod screen;

use screen::{median_us, press};

const CASES: usize = 10_000;

const RUNBOOK: &str = r#"
format = 1
id = "continuity/referrals"
title = "Referrals on paper"
kind = "continuity"
severity = "high"
owner = "Head of Children's Services"
reviewed = 2026-11-01
review_every_months = 12
summary = "A register of referrals, for the benchmark."

[[cases]]
id = "referral"
label = "Referral"
fields = [{ id = "child", label = "Child", required = true }, { id = "referrer", label = "Referrer" }]
checklist = [{ id = "decided", title = "Decided" }, { id = "visited", title = "Visited" }]
clocks = [
  { id = "decision", label = "Decide", due_after = "1 working day", met_by = "decided" },
  { id = "visit", label = "Visit", due_after = "5 working days", met_by = "visited" },
  { id = "assessment", label = "Assess", due_after = "45 working days" },
]

[[steps]]
id = "activate"
title = "Open the paper register"
do = "Open it."
"#;

fn loaded() -> LoadedRunbook {
    screen::loaded("continuity/referrals", RUNBOOK)
}

/// The journal: the runbook opened and 10,000 cases, each with 3 clocks.
fn journal(dir: &Path) -> PathBuf {
    let path = dir.join("register.jsonl");
    let actor = Actor {
        name: "Sam Lee".to_owned(),
        role: "Duty social worker".to_owned(),
    };
    let new = NewJournal {
        recipients: None,
        library: None,
        incident: Some("Bench".to_owned()),
        exercise: None,
    };
    let mut session =
        Session::start(&path, &new, &actor, vec![loaded().runbook]).expect("journal started");
    let now = Utc::now();
    let run = |session: &mut Session, command: &Command| {
        session.execute(&actor, command, now).expect("accepted");
    };
    run(
        &mut session,
        &Command::OpenRunbook {
            runbook: "continuity/referrals".to_owned(),
            pin: RunbookPin::default(),
        },
    );
    for i in 0..CASES {
        let minutes = i64::try_from(i).unwrap_or(0) * 7;
        run(
            &mut session,
            &Command::AddCase {
                runbook: "continuity/referrals".to_owned(),
                kind: None,
                reference: format!("CS-{i:05}"),
                received_at: Some((now - TimeDelta::minutes(minutes)).fixed_offset()),
                fields: vec![
                    ("child".to_owned(), format!("Child {i}")),
                    ("referrer".to_owned(), "School".to_owned()),
                ],
            },
        );
    }
    path
}

/// `grabbag status` on `journal`, 8 runs in a row with no fold snapshot at
/// first: the first run's time (it reads the whole journal and keeps the
/// snapshot) and the median of the other 7 (they read the snapshot), in ms.
fn status_ms(journal: &Path, home: &Path, json: bool) -> (f64, f64) {
    // Where the config folder under this HOME keeps snapshots.
    let _ = std::fs::remove_dir_all(home.join(".config/grabbag/fold-cache"));
    let mut times: Vec<f64> = (0..8)
        .map(|_| {
            let mut cmd = Process::new(env!("CARGO_BIN_EXE_grabbag"));
            cmd.env_clear()
                .env("HOME", home)
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .arg("status")
                .arg(journal);
            if json {
                cmd.arg("--json");
            }
            let start = Instant::now();
            let out = cmd.output().expect("grabbag runs");
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            ms
        })
        .collect();
    let first = times.remove(0);
    times.sort_by(f64::total_cmp);
    (first, times[times.len() / 2])
}

fn main() {
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    }
    .expect("temp dir");
    let made = Instant::now();
    let path = journal(dir.path());
    println!(
        "made a journal of {CASES} cases ({} clocks) through the session in {:.1} s",
        CASES * 3,
        made.elapsed().as_secs_f64()
    );

    let mut app = screen::app(dir.path(), vec![loaded()]);
    let resumed = Instant::now();
    app.resume(&path);
    println!(
        "resumed by the interface in {:.0} ms",
        resumed.elapsed().as_secs_f64() * 1000.0
    );
    println!(
        "run screen, 10,000 cases, 80x24: median {:.0} µs per frame",
        median_us(&app, 80, 24, 200)
    );
    println!(
        "run screen, 10,000 cases, 200x60: median {:.0} µs per frame",
        median_us(&app, 200, 60, 200)
    );
    press(&mut app, KeyCode::Char('R'));
    println!(
        "register view, 10,000 cases, 200x60: median {:.0} µs per frame",
        median_us(&app, 200, 60, 50)
    );
    // The interface's memory (and any thread it keeps) would otherwise be
    // part of every `status` process started from here.
    drop(app);
    for (what, json) in [("status (text)", false), ("status --json", true)] {
        let (first, then) = status_ms(&path, dir.path(), json);
        println!(
            "grabbag {what}, 10,000 cases: first {first:.0} ms (keeps the fold snapshot), then median {then:.0} ms"
        );
    }
    // To time `status` with other tools (docs/PERFORMANCE.md).
    if let Some(keep) = std::env::var_os("GRABBAG_BENCH_KEEP") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).expect("GRABBAG_BENCH_KEEP is a folder");
        std::fs::copy(&path, keep.join("register.jsonl")).expect("the journal is kept");
        println!("journal kept in {}", keep.display());
    }
}
