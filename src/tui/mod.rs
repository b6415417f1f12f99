//! The terminal interface: the library, run, exercise, replay and review
//! screens over the core.
//!
//! Layout, gitui style: each screen module ([`library`], [`run`],
//! [`exercise`], [`replay`], [`review`]) owns its state, its key table
//! ([`keys`]: one table drives the handler, the hint bar and the `?` help)
//! and its drawing. [`shared`] is what the screens share (the response and
//! its journal, the dialog stack, the status line); [`dialog`] holds the
//! prompts, editors and pickers, which answer with an intent; [`app`] routes
//! each key to the top dialog or the screen on show and applies intents;
//! [`view`] draws the frame (pure, so snapshots are exact); [`theme`] the
//! colours and symbols; [`terminal`] the terminal and the one event loop.
//! Imports run one way, down that list and never back (tests/it/tui_imports.rs).
//! Nothing here touches a file except through the core (journal, config).

pub mod app;
pub mod board;
pub mod dialog;
pub mod exercise;
pub mod keys;
pub mod lend;
pub mod library;
pub mod register;
pub mod replay;
pub mod review;
pub mod run;
pub mod shared;
pub mod terminal;
pub mod theme;
pub mod view;

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::sync::mpsc::TryRecvError;
use std::time::{Duration, Instant};

use chrono::Utc;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};

pub use app::{Action, App, Setup, handle_key};
pub use theme::{Look, Theme};
pub use view::draw;

use crate::library::{LibraryError, LoadReport};
use crate::text::printable_line;

/// Journals in `<root>/journals` whose last session never ended, newest
/// first, with their incident names.
pub fn unfinished_journals(app: &App<'_>) -> Vec<(PathBuf, String)> {
    let journals = crate::library::inside(&app.shared.root, std::path::Path::new("journals"));
    let mut found: Vec<(PathBuf, String)> = journals
        .map(|dir| crate::journal::store::journals_in(&dir))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|path| {
            let incident = shared::open_session_left(&path, app.shared.identities)?;
            let incident = printable_line(incident.as_deref().unwrap_or("(unnamed)")).into_owned();
            Some((path, incident))
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0));
    found
}

/// Offers the newest journal whose last session never ended for resuming.
pub fn offer_resume(app: &mut App<'_>) {
    if let Some((path, incident)) = unfinished_journals(app).into_iter().next() {
        app.shared
            .dialogs
            .push(dialog::Dialog::Resume { path, incident });
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
    run_with(setup, pending, prepare, false)
}

/// [`run`], with `prepare` run at once rather than once the runbooks are in:
/// for a resume (`grabbag run --journal`), whose journal is read while they
/// load (its session starts when they arrive), so a long journal and a large
/// library take the longer of the two to the screen, not their sum.
pub fn run_resuming(
    setup: Setup<'_>,
    pending: Option<PendingLoad>,
    prepare: impl FnOnce(&mut App<'_>),
) -> anyhow::Result<Outcome> {
    run_with(setup, pending, prepare, true)
}

fn run_with(
    setup: Setup<'_>,
    pending: Option<PendingLoad>,
    prepare: impl FnOnce(&mut App<'_>),
    early: bool,
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
        early,
        held: Vec::new(),
    };
    app.library.loading = start.pending.is_some();
    app.shared.runbooks_pending = start.pending.is_some();
    // Without a pending load this runs `prepare` now, before the first draw.
    start.poll(&mut app)?;
    let result = terminal::run(&mut Live {
        app: &mut app,
        start,
        held: HeldKey::default(),
    });
    if let Some(closing) = &app.shared.closing {
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
        did_not_load: app.shared.failures,
    })
}

/// The responder's screens as the event loop drives them: the background
/// load still to take in, and held-down keys to drop.
struct Live<'s, 'a, P> {
    app: &'s mut App<'a>,
    start: Start<P>,
    held: HeldKey,
}

impl<P: FnOnce(&mut App<'_>)> terminal::Interface for Live<'_, '_, P> {
    fn draw(&self, frame: &mut Frame<'_>) {
        draw(frame, self.app);
    }

    fn poll(&mut self) -> anyhow::Result<(bool, Action)> {
        let (changed, action) = self.start.poll(self.app)?;
        // A journal being resumed is read a step per turn of the loop, so
        // the screen shows each part and keys are answered between them.
        let mut stepped = self.app.shared.resume_step();
        if let Some(replay) = self.app.replay.as_mut() {
            stepped |= replay.read_step(&mut self.app.shared)?;
        }
        Ok((changed || stepped, action))
    }

    fn wait(&self, until_tick: Duration) -> Duration {
        let reading = self
            .app
            .replay
            .as_ref()
            .is_some_and(|r| r.reading_percent().is_some());
        // A resume reads a part per turn, without waiting; once all is read
        // and only the runbooks are awaited, the loop waits as for the load.
        let resuming = self
            .app
            .shared
            .opening
            .as_ref()
            .is_some_and(|o| !(o.done() && self.app.shared.runbooks_pending));
        if resuming || reading {
            return Duration::ZERO;
        }
        self.start.wait(until_tick)
    }

    fn key(&mut self, key: KeyEvent) -> Option<Action> {
        if self.start.hold(self.app, key) || self.held.repeats(self.app, key) {
            return None;
        }
        if self.app.replay.is_none() {
            self.app.shared.now = Utc::now();
        }
        Some(handle_key(self.app, key))
    }

    fn tick(&mut self) -> bool {
        self.app.tick(Utc::now());
        true
    }
}

/// What is left to do before the first screen is complete: the background
/// load to take in, then `prepare`.
struct Start<P> {
    pending: Option<PendingLoad>,
    prepare: Option<P>,
    /// `prepare` runs at the first poll, before the load has arrived.
    early: bool,
    /// Keys typed during the load that need the runbooks (Enter on a search,
    /// moving the cursor) and every key after them, to replay in order.
    held: Vec<KeyEvent>,
}

impl<P: FnOnce(&mut App<'_>)> Start<P> {
    /// Takes in the load if it has arrived, runs `prepare` and replays the
    /// held keys; returns whether anything changed on screen, and whether a
    /// held key quit. A load that failed ends the interface with its error.
    fn poll(&mut self, app: &mut App<'_>) -> anyhow::Result<(bool, Action)> {
        let mut prepared = false;
        if self.early
            && let Some(prepare) = self.prepare.take()
        {
            prepare(app);
            prepared = true;
        }
        let mut loaded = false;
        if let Some(pending) = &self.pending {
            match pending.try_recv() {
                Ok(report) => {
                    self.pending = None;
                    app.library_loaded(report?);
                    loaded = true;
                }
                Err(TryRecvError::Empty) => return Ok((prepared, Action::Continue)),
                Err(TryRecvError::Disconnected) => {
                    anyhow::bail!("loading the library stopped before it finished")
                }
            }
        }
        match self.prepare.take() {
            Some(prepare) => prepare(app),
            None if !(loaded || prepared) => return Ok((false, Action::Continue)),
            None => {}
        }
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
        // A journal being read (`run --journal` reads while the runbooks
        // load) answers keys itself: it says they wait, and Ctrl-C quits.
        if self.pending.is_none() || app.shared.opening.is_some() {
            return false;
        }
        let needs_runbooks = app.shared.dialogs.is_empty() && library::needs_runbooks(&key);
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
        let acting = app.shared.screen == app::Screen::Run
            && app.shared.dialogs.is_empty()
            && matches!(key.code, KeyCode::Char(_));
        let previous = self.last.replace((key.code, now));
        acting && previous.is_some_and(|(code, at)| code == key.code && now - at < Self::GAP)
    }
}

#[cfg(test)]
mod board_tests;
#[cfg(test)]
mod exercise_tests;
#[cfg(test)]
mod keys_tests;
#[cfg(test)]
mod tests;
