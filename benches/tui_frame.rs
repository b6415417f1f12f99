//! One frame of the run screen on a 300-step runbook at 200×60 (issue 4's
//! goal: under 1 ms median), and one frame of the library screen with 1,000
//! runbooks and a search typed. Drawn on ratatui's `TestBackend`, so this is
//! the cost of building the frame, not of the terminal. Prints medians; no
//! assertion on time (figures go to `docs/PERFORMANCE.md`).

use std::path::PathBuf;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use grabbag::config::LastSession;
use grabbag::library::trust::Trust;
use grabbag::library::{LoadReport, LoadedRunbook, Version};
use grabbag::tui::{App, Look, Setup, draw, handle_key};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn runbook(id: &str, title: &str, steps: usize) -> LoadedRunbook {
    let mut text = format!(
        "format = 1\nid = \"{id}\"\ntitle = \"{title}\"\nkind = \"cyber\"\nseverity = \"high\"\n\
         owner = \"ICT Security Lead\"\nreviewed = 2026-11-01\nreview_every_months = 12\n\
         summary = \"A long runbook for the benchmark.\"\n"
    );
    for i in 0..steps {
        text.push_str(&format!(
            "\n[[steps]]\nid = \"s{i}\"\ntitle = \"Step number {i}: do the thing carefully\"\n\
             do = \"Instructions for step {i}, long enough to wrap across a line or two of the pane on a wide screen.\"\n\
             checks = [\"First check\", \"Second check\"]\nexpect_within = \"15m\"\n"
        ));
    }
    let today = NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
    let checked = grabbag::runbook::check("bench.toml", &text, id, today);
    let runbook = checked.runbook.expect("bench runbook parses");
    LoadedRunbook {
        file: PathBuf::from(format!("{id}.toml.age")),
        runbook,
        encrypted: true,
        version: Version {
            commit: Some("c0ffee00".repeat(5)),
            blob: None,
            dirty: false,
        },
        trust: Trust::NotChecked,
        warnings: Vec::new(),
    }
}

fn app(root: &std::path::Path, runbooks: Vec<LoadedRunbook>) -> App<'static> {
    App::new(
        Setup {
            root: root.to_owned(),
            report: LoadReport {
                runbooks,
                failures: Vec::new(),
                calendar: Default::default(),
            },
            recipients: None,
            identities: None,
            today: NaiveDate::from_ymd_opt(2026, 11, 29).expect("date"),
            look: Look::default(),
            last: LastSession {
                incident: "Bench".to_owned(),
                name: "Sam".to_owned(),
                role: "Lead".to_owned(),
            },
            last_path: None,
        },
        Utc::now(),
    )
}

fn press(app: &mut App<'_>, code: KeyCode) {
    handle_key(app, KeyEvent::new(code, KeyModifiers::NONE));
}

fn median_us(app: &App<'_>, w: u16, h: u16, runs: usize) -> f64 {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("backend");
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            terminal.draw(|f| draw(f, app)).expect("draw");
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut run = app(dir.path(), vec![runbook("cyber/long", "Long", 300)]);
    press(&mut run, KeyCode::Enter);
    for _ in 0..3 {
        press(&mut run, KeyCode::Enter);
    }
    for _ in 0..150 {
        press(&mut run, KeyCode::Char('d'));
    }
    println!(
        "run screen, 300 steps (150 done), 200x60: median {:.0} µs per frame",
        median_us(&run, 200, 60, 200)
    );
    println!(
        "run screen, 300 steps (150 done), 80x24: median {:.0} µs per frame",
        median_us(&run, 80, 24, 200)
    );

    let many = (0..1000)
        .map(|i| {
            runbook(
                &format!("cyber/r{i:04}"),
                &format!("Runbook {i} about ransomware"),
                3,
            )
        })
        .collect();
    let mut library = app(dir.path(), many);
    for c in "ransom".chars() {
        press(&mut library, KeyCode::Char(c));
    }
    println!(
        "library screen, 1,000 runbooks, search typed, 200x60: median {:.0} µs per frame",
        median_us(&library, 200, 60, 50)
    );
}
