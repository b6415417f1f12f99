//! One frame of the run screen on a 300-step runbook at 200×60 (issue 4's
//! goal: under 1 ms median), and one frame of the library screen with 1,000
//! runbooks and a search typed. Drawn on ratatui's `TestBackend`, so this is
//! the cost of building the frame, not of the terminal. Prints medians; no
//! assertion on time (figures go to `docs/PERFORMANCE.md`).

use grabbag::library::LoadedRunbook;
use ratatui::crossterm::event::KeyCode;

mod screen;

use screen::{app, median_us, press};

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
    screen::loaded(id, &text)
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
