//! The terminal interface: library and run screens over the core.
//!
//! Layout, gitui style: [`app`] holds the state and turns keys into core
//! commands; [`view`] draws it (pure, so snapshots are exact); [`dialog`] holds
//! the prompts, editors and pickers; [`theme`] the colours and symbols. This
//! module owns the terminal: raw mode and the alternate screen on entry,
//! restored on quit, on panic (ratatui's hook) and on SIGTERM/SIGHUP (a flag the
//! event loop checks). It redraws on key events, resizes and a 1 s tick only.
//! Nothing here touches a file except through the core (journal, config).

pub mod app;
pub mod dialog;
pub mod exercise;
pub mod replay;
pub mod review;
pub mod theme;
pub mod view;

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use ratatui::crossterm::event::{self, Event, KeyEventKind};

pub use app::{Action, App, Setup, handle_key};
pub use theme::{Look, Theme};
pub use view::draw;

use crate::text::printable_line;

/// Journals in `<root>/journals` whose last session never ended, newest
/// first, with their incident names.
pub fn unfinished_journals(app: &App<'_>) -> Vec<(PathBuf, String)> {
    let journals = crate::library::inside(&app.root, std::path::Path::new("journals"));
    let mut found: Vec<(PathBuf, String)> = journals
        .map(|dir| crate::journal::store::journals_in(&dir))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|path| {
            let state = app::open_session_left(&path, app.identities)?;
            let incident =
                printable_line(state.incident.as_deref().unwrap_or("(unnamed)")).into_owned();
            Some((path, incident))
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0));
    found
}

/// Offers the newest journal whose last session never ended for resuming.
pub fn offer_resume(app: &mut App<'_>) {
    if let Some((path, incident)) = unfinished_journals(app).into_iter().next() {
        app.dialogs.push(dialog::Dialog::Resume { path, incident });
    }
}

/// Runs the interface until the responder quits or a signal arrives.
/// `prepare` sets up the first screen: resume a journal, offer one, start an
/// exercise or a replay.
pub fn run(setup: Setup<'_>, prepare: impl FnOnce(&mut App<'_>)) -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "the interface needs a terminal: run grabbag in one, or use `grabbag list`, `grabbag note` and `grabbag journal` from scripts"
        );
    }
    let mut app = App::new(setup, Utc::now());
    prepare(&mut app);
    let stop = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    spawn_watchdog(Arc::clone(&stop));
    let mut terminal = ratatui::try_init()?;
    let result = event_loop(&mut terminal, &mut app, &stop);
    ratatui::restore();
    result
}

/// Ends the process when the terminal is gone. crossterm's `poll` spins on a
/// hung-up terminal (every read returns end of file) and never returns to the
/// event loop, so neither a SIGHUP flag nor any check there is ever seen: found
/// when interfaces left in killed tmux sessions ran at full CPU for an hour.
/// Every action is already on disk, and the session stays open in the journal,
/// so the next start offers to resume it exactly where it was.
fn spawn_watchdog(stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let mut stopping_since: Option<Instant> = None;
        loop {
            std::thread::sleep(Duration::from_millis(500));
            if stop.load(Ordering::Relaxed) {
                // The event loop normally sees the flag within 250 ms.
                let since = *stopping_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= Duration::from_secs(2) {
                    std::process::exit(1);
                }
            }
            #[cfg(unix)]
            if std::fs::File::open("/dev/tty").is_err() {
                std::process::exit(1);
            }
        }
    });
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App<'_>,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    const TICK: Duration = Duration::from_secs(1);
    let mut last_tick = Instant::now();
    app.tick(Utc::now());
    terminal.draw(|f| draw(f, app))?;
    // Debug builds only: a panic on a drawn screen, so the tests can prove
    // the terminal is restored (tests/it/tui.rs).
    #[cfg(debug_assertions)]
    if std::env::var_os("GRABBAG_TEST_PANIC").is_some() {
        panic!("GRABBAG_TEST_PANIC is set: a deliberate panic");
    }
    loop {
        if stop.load(Ordering::Relaxed) {
            // Killed or hung up: the session stays open in the journal, so the
            // next start offers to resume it exactly where it was.
            return Ok(());
        }
        let wait = TICK
            .saturating_sub(last_tick.elapsed())
            .min(Duration::from_millis(250));
        let mut redraw = false;
        if event::poll(wait)? {
            match event::read()? {
                Event::Key(key) if key.kind == KeyEventKind::Press => {
                    if app.replay.is_none() {
                        app.now = Utc::now();
                    }
                    if handle_key(app, key) == Action::Quit {
                        return Ok(());
                    }
                    redraw = true;
                }
                Event::Resize(..) => redraw = true,
                _ => {}
            }
        }
        if last_tick.elapsed() >= TICK {
            last_tick = Instant::now();
            app.tick(Utc::now());
            redraw = true;
        }
        if redraw {
            terminal.draw(|f| draw(f, app))?;
        }
    }
}

#[cfg(test)]
mod exercise_tests;
#[cfg(test)]
mod tests;
