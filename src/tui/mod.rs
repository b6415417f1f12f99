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
pub mod lend;
pub mod replay;
pub mod review;
pub mod theme;
pub mod view;

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::TryRecvError;
use std::time::{Duration, Instant};

use chrono::Utc;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind};

pub use app::{Action, App, Setup, handle_key};
pub use theme::{Look, Theme};
pub use view::draw;

use crate::library::{LibraryError, LoadReport};
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

/// Runbooks still being loaded in the background, arriving once.
pub type PendingLoad = std::sync::mpsc::Receiver<Result<LoadReport, LibraryError>>;

/// How the interface ended, for the command line to report.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Files of the library that did not load, by cause (printable): the
    /// interface showed them, and the command says so again and exits 1.
    pub did_not_load: Vec<(String, Vec<String>)>,
}

/// Runs the interface until the responder quits or a signal arrives.
/// `prepare` sets up the first screen: resume a journal, offer one, start an
/// exercise or a replay. With `pending`, the library screen is drawn at once
/// (saying it is loading, taking a search) and `prepare` runs when the
/// runbooks arrive, since resuming needs their definitions.
pub fn run(
    setup: Setup<'_>,
    pending: Option<PendingLoad>,
    prepare: impl FnOnce(&mut App<'_>),
) -> anyhow::Result<Outcome> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "the interface needs a terminal: run grabbag in one, or use `grabbag list`, `grabbag note` and `grabbag journal` from scripts"
        );
    }
    let mut app = App::new(setup, Utc::now());
    let mut start = Start {
        pending,
        prepare: Some(prepare),
        held: Vec::new(),
    };
    app.loading = start.pending.is_some();
    // Without a pending load this runs `prepare` now, before the first draw.
    start.poll(&mut app)?;
    let stop = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    spawn_watchdog(Arc::clone(&stop));
    let lender = lend::lender();
    let mut terminal = lender.start_screen()?;
    let result = event_loop(&mut terminal, &mut app, &stop, &mut start, lender);
    lender.end_screen();
    if let Some(closing) = &app.closing {
        // Where the screen can no longer show it: the terminal's scrollback.
        // A terminal already gone takes nothing: the session end is on disk.
        let _ = writeln!(
            std::io::stdout(),
            "Journal {}\nClosing witness code {}: write it on the paper log, with the time.",
            printable_line(&closing.path.display().to_string()),
            printable_line(&closing.witness)
        );
    }
    result.map(|()| Outcome {
        did_not_load: app.failures,
    })
}

/// What is left to do before the first screen is complete: the background
/// load to take in, then `prepare`.
struct Start<P> {
    pending: Option<PendingLoad>,
    prepare: Option<P>,
    /// Keys typed during the load that need the runbooks (Enter on a search,
    /// moving the cursor) and every key after them, to replay in order.
    held: Vec<KeyEvent>,
}

impl<P: FnOnce(&mut App<'_>)> Start<P> {
    /// Takes in the load if it has arrived, runs `prepare` and replays the
    /// held keys; returns whether anything changed on screen, and whether a
    /// held key quit. A load that failed ends the interface with its error.
    fn poll(&mut self, app: &mut App<'_>) -> anyhow::Result<(bool, Action)> {
        if let Some(pending) = &self.pending {
            match pending.try_recv() {
                Ok(report) => {
                    self.pending = None;
                    app.library_loaded(report?);
                }
                Err(TryRecvError::Empty) => return Ok((false, Action::Continue)),
                Err(TryRecvError::Disconnected) => {
                    anyhow::bail!("loading the library stopped before it finished")
                }
            }
        }
        let Some(prepare) = self.prepare.take() else {
            return Ok((false, Action::Continue));
        };
        prepare(app);
        for key in std::mem::take(&mut self.held) {
            if handle_key(app, key) == Action::Quit {
                return Ok((true, Action::Quit));
            }
        }
        Ok((true, Action::Continue))
    }

    /// Whether `key` waits for the load: keys that act on the runbooks wait,
    /// and so does every key after one that waits, so the order typed is the
    /// order done. Typing a search, help and quitting go at once.
    fn hold(&mut self, app: &App<'_>, key: KeyEvent) -> bool {
        if self.pending.is_none() {
            return false;
        }
        let needs_runbooks = app.dialogs.is_empty()
            && matches!(
                key.code,
                KeyCode::Enter
                    | KeyCode::Up
                    | KeyCode::Down
                    | KeyCode::PageUp
                    | KeyCode::PageDown
                    | KeyCode::Home
                    | KeyCode::End
            );
        if needs_runbooks || !self.held.is_empty() {
            self.held.push(key);
            return true;
        }
        false
    }

    /// How long the event loop may wait for a key: briefly while the load is
    /// due, so the runbooks show as soon as they arrive.
    fn wait(&self, until_tick: Duration) -> Duration {
        let most = if self.pending.is_some() {
            Duration::from_millis(10)
        } else {
            Duration::from_millis(250)
        };
        until_tick.min(most)
    }
}

/// A key held down, not pressed: the terminal repeats it some 30 times a
/// second, and on the run screen each letter records something (`d` marks the
/// current step done, then the next one...). A letter that arrives within
/// [`HeldKey::GAP`] of the same letter is dropped until the key is let go, so
/// holding `d` for two seconds marks one step done, not six. Typing in a
/// dialog or the search is never filtered.
#[derive(Default)]
struct HeldKey {
    last: Option<(KeyCode, Instant)>,
}

impl HeldKey {
    const GAP: Duration = Duration::from_millis(250);

    /// Whether `key` is a repeat to drop.
    fn repeats(&mut self, app: &App<'_>, key: KeyEvent) -> bool {
        let now = Instant::now();
        let acting = app.screen == app::Screen::Run
            && app.dialogs.is_empty()
            && matches!(key.code, KeyCode::Char(_));
        let previous = self.last.replace((key.code, now));
        acting && previous.is_some_and(|(code, at)| code == key.code && now - at < Self::GAP)
    }
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

fn event_loop<P: FnOnce(&mut App<'_>)>(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App<'_>,
    stop: &AtomicBool,
    start: &mut Start<P>,
    lender: &lend::Lender,
) -> anyhow::Result<()> {
    const TICK: Duration = Duration::from_secs(1);
    let mut last_tick = Instant::now();
    let mut held = HeldKey::default();
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
        let wait = start.wait(TICK.saturating_sub(last_tick.elapsed()));
        let (mut redraw, action) = start.poll(app)?;
        if action == Action::Quit {
            return Ok(());
        }
        // Keys are read only while no plugin prompt has the terminal.
        let event = {
            let turn = lender.turn(terminal)?;
            redraw |= turn.cleared;
            if event::poll(wait)? {
                Some(event::read()?)
            } else {
                None
            }
        };
        if let Some(event) = event {
            match event {
                Event::Key(key) if key.kind == KeyEventKind::Press && start.hold(app, key) => {}
                Event::Key(key) if key.kind == KeyEventKind::Press && held.repeats(app, key) => {}
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
            let _turn = lender.turn(terminal)?;
            terminal.draw(|f| draw(f, app))?;
        }
    }
}

#[cfg(test)]
mod exercise_tests;
#[cfg(test)]
mod tests;
