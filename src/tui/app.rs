//! The application: the screens over what they share, and the one place a
//! key is routed.
//!
//! [`App`] holds the [`Shared`] state (library, response, dialogs, status)
//! and each screen's own: the library's search, the replay. [`handle_key`]
//! gives a key to the top dialog, else to the screen on show, each asking
//! its key table; a dialog answers with an [`Intent`] that [`App::apply`]
//! carries out, putting the dialog back with its text when it is refused.
//! Nothing here imports a screen's insides: each screen module holds its
//! keys, its handler and its drawing.

use std::path::Path;

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::dialog::{self, Dialog, FormPurpose, Intent, Reply};
use super::keys::{GLOBAL, Global};
use super::library::Library;
use super::replay::Replay;
use super::shared::{Response, Shared, case_form};
use super::{exercise, run};
use crate::config::LastSession;
use crate::exercise::{Exercise, Speed};
use crate::journal::{Actor, LessonCategory};
use crate::library::{LoadReport, LoadedRunbook};
use crate::response::{ClockRequest, Command, DeadlineDue};
use crate::text::printable_line;

pub use super::keys::Action;
pub use super::shared::{Screen, Setup, Status};

/// Everything on screen.
pub struct App<'a> {
    /// What the screens share.
    pub shared: Shared<'a>,
    /// The library screen.
    pub library: Library,
    /// The recorded journal being replayed (read-only), on the run screen.
    pub replay: Option<Replay>,
}

impl<'a> App<'a> {
    /// A new app on the library screen.
    pub fn new(setup: Setup<'a>, now: DateTime<Utc>) -> Self {
        let (shared, report) = Shared::new(setup, now);
        let mut app = Self {
            shared,
            library: Library::default(),
            replay: None,
        };
        app.library_loaded(report);
        app
    }

    /// Takes the library's runbooks: at the start, or when a background load
    /// finishes (the search typed meanwhile is kept and applied).
    pub fn library_loaded(&mut self, report: LoadReport) {
        self.shared.library_loaded(report);
        self.library.loading = false;
        let search = self.library.search().to_owned();
        self.library.set_search(&self.shared, search);
    }

    /// The runbook under the cursor on the library screen.
    pub fn highlighted(&self) -> Option<&LoadedRunbook> {
        self.library.highlighted(&self.shared)
    }

    /// Resumes a journal: open, new session, fold.
    pub fn resume(&mut self, path: &Path) {
        self.shared.resume(path);
    }

    /// Starts an exercise: a new journal named after it, `exercise_started`
    /// at T+0 with the clock standing, the facilitator (`name`) signed in,
    /// every runbook it uses opened, and the brief shown.
    pub fn start_exercise(
        &mut self,
        exercise: Exercise,
        text: &str,
        speed: Speed,
        manual: bool,
        name: &str,
    ) {
        self.shared
            .start_exercise(exercise, text, speed, manual, name);
    }

    /// Opens the run screen on a replay, showing its first entry.
    pub fn start_replay(&mut self, mut replay: Replay) {
        self.shared.response = Some(Response::new(None));
        self.shared.screen = Screen::Run;
        let first = replay.opening();
        replay.show(&mut self.shared, first);
        self.replay = Some(replay);
        self.shared
            .info("replay: Space plays, Right/Left step, g goes to a T+, ? lists the keys");
    }

    /// In a replay, goes to a T+ typed as `01:30:00`, `90:00` or `1h30m`.
    pub fn seek_to_text(&mut self, text: &str) -> Result<(), String> {
        match self.replay.as_mut() {
            Some(replay) => replay.seek_to_text(&mut self.shared, text),
            None => Err("no replay is open".to_owned()),
        }
    }

    /// The 1 s tick: a replay's clock moves on; otherwise entries other
    /// processes wrote are taken in, deadlines that passed are journaled and
    /// due injects delivered.
    pub fn tick(&mut self, now: DateTime<Utc>) {
        if let Some(replay) = self.replay.as_mut() {
            // A replay's "now" is the moment shown, not the wall clock.
            replay.tick(&mut self.shared);
            return;
        }
        self.shared.tick(now);
        self.shared.deliver_due_injects();
    }

    /// The hint bar's entries for the screen on show.
    pub fn hints(&self) -> Vec<(&'static str, &'static str)> {
        if matches!(self.shared.dialogs.last(), Some(Dialog::Closed { .. })) {
            return vec![("any key", "leaves")];
        }
        if !self.shared.dialogs.is_empty() {
            return vec![("Esc", "cancel")];
        }
        if self.replay.is_some() {
            return super::replay::KEYS.hints();
        }
        match self.shared.screen {
            Screen::Library => super::library::KEYS.hints(),
            Screen::Run if self.shared.exercise.is_some() => {
                // `?` first, then the facilitator's keys (the room watches
                // the clock), then the players' as they fit; after ENDEX
                // the debrief's keys, and no key of play.
                let ended = self
                    .shared
                    .response
                    .as_ref()
                    .is_some_and(|r| crate::response::PlayClock::of(&r.state).ended);
                let (help, rest): (Vec<_>, Vec<_>) = run::KEYS
                    .bindings
                    .iter()
                    .filter(|b| !(ended && run::plays(b.command)))
                    .filter_map(|b| b.hint)
                    .partition(|(k, _)| *k == "?");
                [help, exercise::hints(ended), rest].concat()
            }
            Screen::Run if run::register_shown(&self.shared) => {
                // The register's keys first; a run key they take over
                // (Space) is not offered twice.
                let mut hints = super::register::KEYS.hints();
                let run = run::KEYS.hints();
                hints.extend(
                    run.into_iter().filter(|(k, _)| {
                        !super::register::KEYS.hints().iter().any(|(r, _)| r == k)
                    }),
                );
                hints
            }
            Screen::Run => run::KEYS.hints(),
        }
    }

    /// Carries out what a dialog asks; false when it was refused (the status
    /// line says why), so the dialog goes back with its text.
    pub fn apply(&mut self, intent: Intent) -> bool {
        let app = &mut self.shared;
        match intent {
            Intent::Say(text) => {
                app.info(text);
                true
            }
            Intent::Leave => true,
            Intent::Resume(path) => {
                app.resume(&path);
                true
            }
            Intent::Seek(text) => match self.seek_to_text(&text) {
                Ok(()) => true,
                Err(e) => {
                    self.shared.error(e);
                    false
                }
            },
            Intent::Command(command) => {
                if !app.execute(&command) {
                    return false;
                }
                match command {
                    Command::Correct { .. } | Command::Decide { .. } => {
                        app.info("saved to the journal");
                        app.clear_selection();
                    }
                    Command::ChangeActor { .. } => {
                        app.info("at the keyboard now: the journal says so");
                    }
                    _ => app.step_recorded(),
                }
                true
            }
            Intent::Note { text, when } => {
                let happened_at = match app.happened_at(&when) {
                    Ok(at) => at,
                    Err(e) => {
                        app.error(e);
                        return false;
                    }
                };
                if !app.execute(&Command::Note { text, happened_at }) {
                    return false;
                }
                match happened_at {
                    Some(t) => app.info(format!(
                        "saved to the journal: happened {}",
                        t.format("%a %d %b %H:%M")
                    )),
                    None => app.info("saved to the journal"),
                }
                app.clear_selection();
                true
            }
            Intent::ObserverNote(text) => {
                let saved = app.observer_note(&text);
                if saved {
                    app.info("observer note saved to the journal");
                }
                saved
            }
            Intent::Facilitate(command) => {
                let done = match &command {
                    Command::Clock(ClockRequest::Resume) => {
                        "exercise clock running: play has begun"
                    }
                    Command::Clock(ClockRequest::End) => {
                        "ENDEX: play is over; L records lessons learned, q quits"
                    }
                    _ => "",
                };
                let went = app.facilitate(&command, done);
                if went {
                    app.deliver_due_injects();
                }
                went
            }
            Intent::Score(item, outcome, comment) => {
                let scored = app.score_manual(&item, outcome, &comment);
                if scored {
                    app.info(format!("scored {}: {}", item.expectation, outcome.as_str()));
                }
                scored
            }
            Intent::Form(purpose, values) => self.submit_form(purpose, &values),
            Intent::SignIn => {
                app.open_sign_in();
                true
            }
        }
    }

    /// A form's answers, checked as filled (required fields are checked by
    /// the form itself).
    fn submit_form(&mut self, purpose: FormPurpose, values: &[String]) -> bool {
        let app = &mut self.shared;
        let value = |i: usize| values.get(i).cloned().unwrap_or_default();
        let optional = |i: usize| Some(value(i)).filter(|v| !v.is_empty());
        // What was saved, to say so; `None` keeps the form open with its text
        // (the refusal is already in the status line).
        let saved = match &purpose {
            FormPurpose::Start(runbook) => {
                let (incident, name, role) = (value(0), value(1), value(2));
                app.last = LastSession {
                    incident: incident.clone(),
                    name: name.clone(),
                    role: role.clone(),
                };
                // Remembered now, not at exit, so that a crash or a kill keeps
                // them. A convenience only: a failure is said and stops nothing.
                let remembered = match &app.last_path {
                    Some(path) => app.last.save_to(path).map(drop),
                    None => Ok(()),
                };
                app.start_response(runbook, &incident, Actor { name, role });
                if app.screen == Screen::Run
                    && let Err(e) = remembered
                {
                    app.error(format!(
                        "started; these answers could not be remembered for next time: {e}"
                    ));
                }
                // The response says what happened in the status line itself.
                (app.screen == Screen::Run).then_some(None)
            }
            FormPurpose::Inject => app
                .unscripted_inject(&value(0), &value(1), &value(2), optional(3))
                .then_some(Some("unscripted inject delivered")),
            FormPurpose::SignIn => {
                let signed = app.sign_in(&value(0), &value(1), optional(2), &value(3));
                // Signing in from the brief goes back to it, where Enter
                // starts the clock: the room has not started playing yet.
                if signed && app.before_play() {
                    app.show_brief();
                }
                signed.then_some(Some("signed in: S signs in another, B shows the brief"))
            }
            FormPurpose::Lesson => match LessonCategory::parse(&value(0)) {
                Some(category) => app
                    .record_lesson(category, &value(1), optional(2), optional(3))
                    .then_some(Some("lesson saved to the journal: L adds another")),
                None => {
                    app.error(
                        "Kind must be one of: went well, did not go well, action (as written: nothing is filed under a guess)",
                    );
                    None
                }
            },
            FormPurpose::Awareness(then_open) => match app.happened_at(&value(0)) {
                Err(e) => {
                    app.error(e);
                    None
                }
                Ok(at) => {
                    let at = at.unwrap_or_else(|| app.local(app.now));
                    let reason = optional(1);
                    let set = app.execute(&Command::SetAwareness { at, reason });
                    if set && let Some(id) = then_open {
                        app.open_runbook(id);
                    }
                    set.then_some(Some(
                        "time of awareness recorded: deadlines from it are due from then",
                    ))
                }
            },
            FormPurpose::Deadline => {
                let due = value(1);
                let due = match crate::calendar::Period::parse(due.trim()) {
                    Ok(period) => Ok(DeadlineDue::After(period)),
                    Err(_) => match app.due_at(&due) {
                        Ok(Some(at)) => Ok(DeadlineDue::At(at)),
                        Ok(None) => Err(
                            "Due: a time (HH:MM, YYYY-MM-DD HH:MM) or a period (4h, 1 working day)"
                                .to_owned(),
                        ),
                        Err(e) => Err(format!("{e}, or a period (4h, 1 working day)")),
                    },
                };
                match due {
                    Err(e) => {
                        app.error(e);
                        None
                    }
                    Ok(due) => app
                        .execute(&Command::AddDeadline {
                            label: value(0),
                            due,
                            basis: optional(2),
                        })
                        .then_some(Some("deadline added: it counts down with the others")),
                }
            }
            FormPurpose::DeadlineMet => {
                let clock = value(0).trim().to_owned();
                app.execute(&Command::MeetDeadline { clock })
                    .then_some(Some("deadline met"))
            }
            FormPurpose::CaseKind(runbook) => {
                let wanted = value(0);
                let kind = app
                    .definition(runbook)
                    .and_then(|r| r.case_kind(wanted.trim()))
                    .cloned();
                match kind {
                    Some(kind) => {
                        app.dialogs.push(case_form(runbook, &kind));
                        Some(None)
                    }
                    None => {
                        app.error(format!("no kind of case {:?}", printable_line(&wanted)));
                        None
                    }
                }
            }
            FormPurpose::Case(runbook, kind) => match app.happened_at(&value(1)) {
                Err(e) => {
                    app.error(e);
                    None
                }
                Ok(received_at) => {
                    let fields = app
                        .definition(runbook)
                        .and_then(|r| r.case_kind(kind))
                        .map(|k| {
                            k.fields
                                .iter()
                                .enumerate()
                                .map(|(i, f)| (f.id.clone(), value(i + 2)))
                                .filter(|(_, v)| !v.trim().is_empty())
                                .collect()
                        })
                        .unwrap_or_default();
                    let reference = value(0);
                    app.execute(&Command::AddCase {
                        runbook: runbook.clone(),
                        kind: Some(kind.clone()),
                        reference: reference.clone(),
                        received_at,
                        fields,
                    })
                    .then(|| {
                        app.info(format!(
                            "case {} added: its deadlines count from when it was received (R: register)",
                            printable_line(reference.trim())
                        ));
                        None
                    })
                }
            },
            FormPurpose::Actor => {
                let command = Command::ChangeActor {
                    name: value(0),
                    role: value(1),
                };
                return self.apply(Intent::Command(command));
            }
        };
        match saved {
            Some(Some(message)) => {
                self.shared.info(message);
                true
            }
            Some(None) => true,
            None => false,
        }
    }
}

/// Handles one key press.
pub fn handle_key(app: &mut App<'_>, key: KeyEvent) -> Action {
    if let Some(Global::Quit) = GLOBAL.command(&key) {
        // A replay, or a resume still reading, has written nothing to end.
        if app.replay.is_some() || app.shared.opening.is_some() {
            return Action::Quit;
        }
        return app.shared.quit();
    }
    if let Some(opening) = &app.shared.opening {
        // Every command is judged on the whole journal, never on part of it,
        // and against the runbooks.
        let why = if opening.done() {
            "still loading the runbooks: keys wait until they are in (Ctrl-C quits)".to_owned()
        } else {
            format!(
                "still reading the journal ({}%): keys wait until it is all in (Ctrl-C quits)",
                opening.percent()
            )
        };
        app.shared.error(why);
        return Action::Continue;
    }
    if let Some(top) = app.shared.dialogs.pop() {
        return match dialog::handle_key(top, key) {
            Reply::Keep(dialog) => {
                app.shared.dialogs.push(dialog);
                Action::Continue
            }
            Reply::Close => Action::Continue,
            Reply::Refuse(dialog, why) => {
                app.shared.error(why);
                app.shared.dialogs.push(dialog);
                Action::Continue
            }
            Reply::Do(Intent::Leave) => Action::Quit,
            Reply::Do(intent) => {
                app.apply(intent);
                Action::Continue
            }
            Reply::Try(dialog, intent) => {
                if !app.apply(intent) {
                    app.shared.dialogs.push(dialog);
                }
                Action::Continue
            }
        };
    }
    let before = app.shared.screen;
    let handled = match (&mut app.replay, app.shared.screen) {
        (Some(replay), _) => replay.handle_key(&mut app.shared, key),
        (None, Screen::Library) => app.library.handle_key(&mut app.shared, key),
        (None, Screen::Run) => exercise::handle_key(&mut app.shared, key)
            .or_else(|| run::handle_key(&mut app.shared, key)),
    };
    if before == Screen::Run && app.shared.screen == Screen::Library {
        // `o` opens the library on a fresh search.
        app.library.set_search(&app.shared, String::new());
    }
    match handled {
        Some(action) => action,
        None => {
            unbound(app, key);
            Action::Continue
        }
    }
}

/// A key no table of the screen on show lists: it does nothing, and the
/// status line says where the keys are.
fn unbound(app: &mut App<'_>, key: KeyEvent) {
    let name = match key.code {
        KeyCode::Char(c) => c.to_string(),
        code => code.to_string(),
    };
    if app.replay.is_some() {
        app.shared.info("a replay is read-only: ? lists its keys");
    } else {
        app.shared
            .info(format!("{name} is not a key here: ? lists the keys"));
    }
}
