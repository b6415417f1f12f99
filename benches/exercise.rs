//! Exercise scoring and replay seek on a large run (issue 5's goals: score a
//! 100,000-entry journal against a 1,000-inject exercise in under 500 ms; seek
//! (the state at any seq) in under 50 ms). The exercise and the entries are
//! made in memory: 1,000 injects a minute apart, each with a `step_done`, a
//! `decision` or a `note` expectation; the journal delivers every inject and
//! holds the players' steps, ticks, decisions and notes in between. Prints
//! medians; no assertion on time (figures go to `docs/PERFORMANCE.md`).

use std::fmt::Write as _;
use std::time::Instant;

use chrono::{TimeDelta, TimeZone as _, Utc};
use grabbag::exercise::replay::Seeker;
use grabbag::exercise::{self, Exercise};
use grabbag::journal::{Actor, Entry, Event};
use grabbag::response::ResponseState;

const INJECTS: usize = 1_000;
const ENTRIES: u64 = 100_000;

fn step(i: usize) -> (String, String) {
    (format!("bench/rb-{}", i % 50), format!("step-{}", i % 40))
}

fn exercise_def() -> Exercise {
    let mut text = String::from(
        "format = 1\nid = \"bench\"\ntitle = \"Bench\"\nbrief = \"b\"\naudience = \"a\"\nduration = \"1000m\"\n\
         runbooks = []\n[[objectives]]\nid = \"o\"\ntext = \"o\"\n",
    );
    for i in 0..INJECTS {
        let (runbook, step) = step(i);
        let _ = write!(
            text,
            "[[injects]]\nid = \"i{i}\"\nat = \"{i}m\"\nfrom = \"f\"\nchannel = \"phone\"\ntext = \"t\"\n\
             [[injects.expect]]\nid = \"e\"\nobjectives = [\"o\"]\nwithin = \"30m\"\n"
        );
        let _ = match i % 3 {
            0 => writeln!(
                text,
                "kind = \"step_done\"\nrunbook = \"{runbook}\"\nstep = \"{step}\""
            ),
            1 => writeln!(
                text,
                "kind = \"decision\"\nrunbook = \"{runbook}\"\nstep = \"{step}\""
            ),
            _ => writeln!(
                text,
                "kind = \"note\"\nrole = \"Comms\"\ncontains = \"statement {i}\""
            ),
        };
    }
    let checked = exercise::check("bench.toml", &text, "bench", None);
    match checked.exercise {
        Some(e) => e,
        None => panic!("bench exercise: {:?}", checked.diagnostics.first()),
    }
}

fn entries() -> Vec<Entry> {
    let start = Utc.with_ymd_and_hms(2026, 3, 6, 14, 0, 0).unwrap();
    let player = Actor {
        name: "Sam Patel".to_owned(),
        role: "Incident Lead (Silver)".to_owned(),
    };
    let comms = Actor {
        name: "Dan Reilly".to_owned(),
        role: "Comms".to_owned(),
    };
    let per_inject = ENTRIES / INJECTS as u64;
    (1..=ENTRIES)
        .map(|seq| {
            let i = ((seq - 1) / per_inject) as usize;
            let ex_t = (seq - 1) * 60_000 / per_inject;
            let (runbook, step) = step(i);
            let mut actor = player.clone();
            let event = match (seq - 1) % per_inject {
                _ if seq == 1 => Event::SessionStarted {
                    library: None,
                    grabbag: "0.1.0".to_owned(),
                    host: "laptop".to_owned(),
                    incident: None,
                    exercise: Some("bench".to_owned()),
                    plaintext: true,
                    resumed: false,
                },
                _ if seq == 2 => Event::ExerciseStarted {
                    exercise: "bench".to_owned(),
                    title: "Bench".to_owned(),
                    digest: "0".repeat(64),
                    speed: 1,
                    manual: false,
                },
                _ if seq <= 52 => Event::RunbookOpened {
                    runbook: format!("bench/rb-{}", seq - 3),
                    title: "A runbook".to_owned(),
                    commit: Some("c0ffee".to_owned()),
                    blob: Some("b10b".to_owned()),
                    dirty: false,
                    unencrypted: false,
                    trust: "signed".to_owned(),
                },
                0 => Event::InjectDelivered {
                    inject: format!("i{i}"),
                    from: "f".to_owned(),
                    channel: "phone".to_owned(),
                    text: "t".to_owned(),
                    to: None,
                },
                1 => Event::StepStarted { runbook, step },
                2 | 3 => Event::CheckTicked {
                    runbook,
                    step,
                    check: (seq % 4) as usize,
                    text: "Cable unplugged".to_owned(),
                },
                4 => Event::StepDone { runbook, step },
                5 => Event::Decision {
                    runbook,
                    step,
                    option: "Yes or unsure".to_owned(),
                    goto: "next".to_owned(),
                    rationale: "Because".to_owned(),
                },
                n if n % 7 == 0 => {
                    actor = comms.clone();
                    Event::Note {
                        text: format!("Holding statement {i} agreed"),
                        happened_at: None,
                    }
                }
                _ => Event::Note {
                    text: "Ransom note photographed; time first seen written down".to_owned(),
                    happened_at: None,
                },
            };
            Entry {
                seq,
                session: 1,
                at: start + TimeDelta::milliseconds(ex_t as i64),
                offset: "+00:00".to_owned(),
                mono_ms: ex_t,
                ex_t: Some(ex_t),
                actor: Some(actor),
                event: Some(event),
                hash: format!("{seq:064x}"),
                byte_offset: seq * 300,
            }
        })
        .collect()
}

fn median(mut times: Vec<f64>) -> (f64, f64, f64) {
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[0], times[times.len() - 1])
}

fn timed<T>(f: impl Fn() -> T) -> f64 {
    let t = Instant::now();
    std::hint::black_box(f());
    t.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let ex = exercise_def();
    let entries = entries();
    let (m, lo, hi) = median(
        (0..7)
            .map(|_| timed(|| exercise::score(&ex, &ResponseState::fold(&entries))))
            .collect(),
    );
    println!(
        "score 100,000 entries x 1,000 injects (fold + score): median {m:.1} ms (min {lo:.1}, max {hi:.1})"
    );
    let state = ResponseState::fold(&entries);
    let card = exercise::score(&ex, &state);
    println!(
        "  check: {} injects delivered, overall {:?}%",
        card.injects
            .iter()
            .filter(|i| i.delivered_seq.is_some())
            .count(),
        card.overall.percent
    );
    let (m, lo, hi) = median(
        (0..7)
            .map(|_| timed(|| exercise::score(&ex, &state)))
            .collect(),
    );
    println!("score alone (fold already done): median {m:.1} ms (min {lo:.1}, max {hi:.1})");

    let (m, lo, hi) = median(
        (0..5)
            .map(|_| timed(|| Seeker::new(entries.clone(), 5_000)))
            .collect(),
    );
    println!(
        "seeker checkpoints (copy the entries, one fold, every 5,000 entries): median {m:.1} ms (min {lo:.1}, max {hi:.1})"
    );
    let mut seeker = Seeker::new(entries.clone(), 5_000);
    let seeks: Vec<f64> = (0..50u64)
        .map(|k| {
            // Spread over the journal, worst case just before a checkpoint.
            let seq = (k * 2_003 + 4_999) % ENTRIES;
            timed(|| seeker.at(seq))
        })
        .collect();
    let (m, lo, hi) = median(seeks);
    println!(
        "seek to a seq (checkpoint + rest of fold): median {m:.1} ms (min {lo:.1}, max {hi:.1})"
    );
    seeker.seek(50_000);
    let steps: Vec<f64> = (1..=100u64)
        .map(|k| {
            let t = Instant::now();
            std::hint::black_box(seeker.seek(50_000 + k * 10));
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let (m, lo, hi) = median(steps);
    println!("play forward 10 entries at a time: median {m:.3} ms (min {lo:.3}, max {hi:.3})");
    let (m, lo, hi) = median(
        (0..5)
            .map(|_| timed(|| ResponseState::fold(entries.iter().take(99_999))))
            .collect(),
    );
    println!(
        "seek by folding from the start (to seq 99,999): median {m:.1} ms (min {lo:.1}, max {hi:.1})"
    );
    replay_screen(&ex, &entries);
}

/// What `grabbag replay` does on `g`: seek, clone the state for the screen,
/// rebuild the log pane's last 500 lines.
fn replay_screen(ex: &Exercise, entries: &[Entry]) {
    use grabbag::tui::replay::Replay;
    use grabbag::tui::{App, Look, Setup};
    let setup = Setup {
        root: std::env::temp_dir(),
        report: grabbag::library::LoadReport {
            runbooks: Vec::new(),
            failures: Vec::new(),
            notices: Vec::new(),
            calendar: Default::default(),
        },
        recipients: None,
        identities: None,
        today: Utc::now().date_naive(),
        look: Look::default(),
        last: grabbag::config::LastSession::default(),
        last_path: None,
    };
    let mut app = App::new(setup, Utc::now());
    app.start_replay(Replay::new(
        entries.to_vec(),
        10,
        Some(ex.clone()),
        "bench.jsonl".to_owned(),
    ));
    let last_ms = entries.last().and_then(|e| e.ex_t).unwrap_or(0);
    let times: Vec<f64> = (0..50u64)
        .map(|k| {
            let ms = (k * 7_919 * 60_000 / 50 + 1) % last_ms.max(1);
            let at = format!(
                "{}:{:02}:{:02}",
                ms / 3_600_000,
                ms / 60_000 % 60,
                ms / 1000 % 60
            );
            let t = Instant::now();
            if let Err(e) = app.seek_to_text(&at) {
                panic!("{e}");
            }
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let (m, lo, hi) = median(times);
    println!(
        "replay screen: go to a T+ (seek, clone, log pane): median {m:.1} ms (min {lo:.1}, max {hi:.1})"
    );
}
