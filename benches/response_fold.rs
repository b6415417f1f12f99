//! Folding a 100,000-entry journal into response state (issue 3's goal: under
//! 200 ms). The entries are made in memory with the shape of a long response:
//! many runbooks opened, steps started, ticked and done, decisions, notes,
//! corrections and clocks, so every arm of the fold is exercised. Prints the
//! median of several runs; no assertion on time (figures go to
//! `docs/PERFORMANCE.md`).

use std::time::Instant;

use chrono::{TimeDelta, TimeZone as _, Utc};
use grabbag::journal::{Actor, Entry, Event};
use grabbag::response::ResponseState;

fn entries(n: u64) -> Vec<Entry> {
    let start = Utc.with_ymd_and_hms(2026, 3, 6, 14, 0, 0).unwrap();
    let actor = Actor {
        name: "Sam Patel".to_owned(),
        role: "Incident Lead (Silver)".to_owned(),
    };
    (1..=n)
        .map(|seq| {
            let runbook = format!("cyber/runbook-{}", (seq / 1000) % 50);
            let step = format!("step-{}", seq % 40);
            let event = match seq % 10 {
                _ if seq == 1 => Event::SessionStarted {
                    library: None,
                    grabbag: "0.1.0".to_owned(),
                    host: "laptop".to_owned(),
                    incident: Some("Bench".to_owned()),
                    exercise: None,
                    plaintext: true,
                    resumed: false,
                },
                0 => Event::RunbookOpened {
                    runbook,
                    title: "A runbook".to_owned(),
                    commit: Some("c0ffee".to_owned()),
                    blob: Some("b10b".to_owned()),
                    dirty: false,
                    unencrypted: false,
                    trust: "signed".to_owned(),
                },
                1 => Event::StepStarted { runbook, step },
                2 => Event::CheckTicked {
                    runbook,
                    step,
                    check: (seq % 4) as usize,
                    text: "Cable unplugged".to_owned(),
                },
                3 => Event::StepDone { runbook, step },
                4 => Event::Decision {
                    runbook,
                    step,
                    option: "Yes or unsure".to_owned(),
                    goto: "notify-dpo".to_owned(),
                    rationale: "Case files on the share".to_owned(),
                },
                5 => Event::Correction {
                    of: seq - 1,
                    replacement: "It was the payroll share".to_owned(),
                },
                6 => Event::ClockStarted {
                    runbook,
                    clock: format!("clock-{}", seq % 7),
                    label: "Report".to_owned(),
                    due_at: "2026-03-09T14:00:00.000Z".to_owned(),
                    anchor: None,
                    case: None,
                    basis: None,
                },
                7 => Event::ClockMet {
                    runbook,
                    clock: format!("clock-{}", seq % 7),
                    case: None,
                },
                _ => Event::Note {
                    text: "Ransom note photographed; time first seen written down".to_owned(),
                    happened_at: None,
                },
            };
            Entry {
                seq,
                session: 1,
                at: start + TimeDelta::seconds(seq as i64),
                offset: "+00:00".to_owned(),
                mono_ms: seq * 1000,
                ex_t: None,
                actor: Some(actor.clone()),
                event: Some(event),
                hash: format!("{seq:064x}"),
                byte_offset: seq * 300,
            }
        })
        .collect()
}

fn main() {
    let entries = entries(100_000);
    let mut times: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            let state = ResponseState::fold(&entries);
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            std::hint::black_box(state);
            ms
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "fold 100,000 entries: median {:.1} ms (min {:.1}, max {:.1})",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    );
}
