//! Helpers the interface benches share: a runbook as the library would load
//! it, an interface over a few runbooks, key presses and frame timing.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use grabbag::config::LastSession;
use grabbag::library::trust::Trust;
use grabbag::library::{LoadReport, LoadedRunbook, Version};
use grabbag::tui::{App, Look, Setup, draw, handle_key};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The day the benches run on, so review dates never expire.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 29).expect("date")
}

/// `text` parsed as runbook `id`, as an encrypted, committed library file.
pub fn loaded(id: &str, text: &str) -> LoadedRunbook {
    let checked = grabbag::runbook::check("bench.toml", text, id, today());
    LoadedRunbook {
        file: PathBuf::from(format!("{id}.toml.age")),
        runbook: checked.runbook.expect("bench runbook parses"),
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

/// The interface over `runbooks`, journals kept under `root`.
pub fn app(root: &Path, runbooks: Vec<LoadedRunbook>) -> App<'static> {
    App::new(
        Setup {
            root: root.to_owned(),
            report: LoadReport {
                runbooks,
                failures: Vec::new(),
                notices: Vec::new(),
                calendar: Default::default(),
            },
            recipients: None,
            identities: None,
            today: today(),
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

/// Presses `code` with no modifier.
pub fn press(app: &mut App<'_>, code: KeyCode) {
    handle_key(app, KeyEvent::new(code, KeyModifiers::NONE));
}

/// The median time, in µs, of drawing `app` on a `w` x `h` screen.
pub fn median_us(app: &App<'_>, w: u16, h: u16, runs: usize) -> f64 {
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
