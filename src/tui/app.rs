//! The application state and what keys do to it.
//!
//! [`App`] holds everything a frame needs (loaded runbooks, the response's
//! folded state, its session, the dialog stack), so drawing is a pure
//! function of it. [`handle_key`] turns a key into a core [`Command`]; every
//! command goes to [`Session::execute`] (decided on the journal as it is on
//! disk, each entry synced), and the screen folds exactly the entries the
//! session hands back, colleagues' included, so it only ever shows what is
//! on disk. Refusals and I/O errors become a status line, never a panic.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Local, NaiveDate, TimeDelta, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::dialog::{Dialog, EditorPurpose, FormPurpose, PromptPurpose, list_cursor};
use super::theme::{Look, Theme};
use crate::config::LastSession;
use crate::crypto::{Identities, Recipients};
use crate::journal::{Actor, Entry, Event, NewJournal};
use crate::library::{LoadReport, LoadedRunbook};
use crate::response::{Command, ResponseState, StepRef, StepStatus, current_step};
use crate::runbook::{Runbook, Step};
use crate::session::{Session, SessionError};
use crate::text::printable_line;

/// What the event loop should do after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Keep going (redraw).
    Continue,
    /// Leave the interface.
    Quit,
}

/// Which screen is under the dialogs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Pick a runbook.
    Library,
    /// Work a response.
    Run,
}

/// A message under the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Something happened as asked.
    Info(String),
    /// Something was refused or failed.
    Error(String),
}

/// One line of the log pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// The entry's seq.
    pub seq: u64,
    /// When it was written.
    pub at: DateTime<Utc>,
    /// Who wrote it.
    pub actor: String,
    /// What happened, in one line (already printable).
    pub text: String,
}

/// A response in progress: its session and the fold of what it showed.
pub struct Response {
    /// The session that writes the journal; `None` in a replay, which
    /// writes nothing.
    pub session: Option<Session>,
    /// The fold of every entry the session handed back (all of them, in
    /// order: the same fold as the session's), or of a replay's entries.
    pub state: ResponseState,
    /// The latest entries, for the log pane and corrections.
    pub log: Vec<LogLine>,
    /// Index in `state.runbooks` of the runbook on screen.
    pub active: usize,
    /// A step picked with the arrows; `None` follows the flow's current step.
    pub selected: Option<usize>,
    /// Lines scrolled in the step pane (PgUp/PgDn).
    pub scroll: u16,
}

/// What the interface starts from: the loaded library and its keys.
pub struct Setup<'a> {
    /// The library's root folder (journals go to `<root>/journals`).
    pub root: PathBuf,
    /// What loaded and what failed.
    pub report: LoadReport,
    /// Whom new journals are encrypted to; `None` writes plaintext journals.
    pub recipients: Option<Recipients>,
    /// Keys to open encrypted journals when resuming.
    pub identities: Option<&'a Identities>,
    /// Today, for review-due badges.
    pub today: NaiveDate,
    /// Look (colour, contrast, ASCII).
    pub look: Look,
    /// The last answers of the start form.
    pub last: LastSession,
    /// Where those answers are remembered; `None` remembers them nowhere.
    pub last_path: Option<PathBuf>,
}

/// Everything on screen.
pub struct App<'a> {
    /// Styles and symbols.
    pub theme: Theme,
    /// The library's root folder.
    pub root: PathBuf,
    /// Runbooks that loaded, sorted by kind then title.
    pub loaded: Vec<LoadedRunbook>,
    /// Files that failed to load, by cause: (why, the files), printable.
    pub failures: Vec<(String, Vec<String>)>,
    /// The runbook definitions, for `decide`.
    pub runbooks: Vec<Runbook>,
    /// The runbooks are still being decrypted and checked in the background:
    /// the library screen says so and the search typed meanwhile waits.
    pub loading: bool,
    /// Whom new journals are encrypted to.
    pub recipients: Option<Recipients>,
    /// Keys to open journals.
    pub identities: Option<&'a Identities>,
    /// Today (local date).
    pub today: NaiveDate,
    /// Now, set by the event loop on each tick and key.
    pub now: DateTime<Utc>,
    /// Time zone for displayed times: `None` is the machine's local zone.
    pub zone: Option<FixedOffset>,
    /// The screen under the dialogs.
    pub screen: Screen,
    /// Open dialogs, the top one last.
    pub dialogs: Vec<Dialog>,
    /// The library search text (changed through [`App::set_search`]).
    search: String,
    /// Indices into `loaded` matching the search, in display order.
    matches: Vec<usize>,
    /// The highlighted row among the visible runbooks.
    pub cursor: usize,
    /// The response, once one is started or resumed.
    pub response: Option<Response>,
    /// The exercise being played, when the response is one.
    pub exercise: Option<super::exercise::Exercising>,
    /// The recorded journal being replayed (read-only).
    pub replay: Option<super::replay::Replay>,
    /// The status line.
    pub status: Option<Status>,
    /// The start form's last answers.
    pub last: LastSession,
    /// Where the start form's answers are remembered.
    pub last_path: Option<PathBuf>,
    /// The journal and its closing witness code, once the session has been
    /// ended on quit: shown before leaving and printed after.
    pub closing: Option<Closing>,
}

/// What a responder copies onto the paper log when they leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    /// The journal.
    pub path: PathBuf,
    /// The witness code of its last entry (the session's end).
    pub witness: String,
}

impl<'a> App<'a> {
    /// A new app on the library screen.
    pub fn new(setup: Setup<'a>, now: DateTime<Utc>) -> Self {
        let mut app = Self {
            theme: Theme::new(setup.look),
            root: setup.root,
            loaded: Vec::new(),
            failures: Vec::new(),
            runbooks: Vec::new(),
            loading: false,
            recipients: setup.recipients,
            identities: setup.identities,
            today: setup.today,
            now,
            zone: None,
            screen: Screen::Library,
            dialogs: Vec::new(),
            search: String::new(),
            matches: Vec::new(),
            cursor: 0,
            response: None,
            exercise: None,
            replay: None,
            status: None,
            last: setup.last,
            last_path: setup.last_path,
            closing: None,
        };
        app.library_loaded(setup.report);
        app
    }

    /// Takes the library's runbooks: at the start, or when a background load
    /// finishes (the search typed meanwhile is kept and applied).
    pub fn library_loaded(&mut self, report: LoadReport) {
        self.failures = report.printable_failures();
        let mut loaded = report.runbooks;
        loaded.sort_by(|a, b| {
            (a.runbook.kind, &a.runbook.title, &a.runbook.id).cmp(&(
                b.runbook.kind,
                &b.runbook.title,
                &b.runbook.id,
            ))
        });
        self.runbooks = loaded.iter().map(|r| r.runbook.clone()).collect();
        if let Some(session) = self.response.as_mut().and_then(|r| r.session.as_mut()) {
            session.set_runbooks(self.runbooks.clone());
        }
        self.loaded = loaded;
        self.loading = false;
        let search = std::mem::take(&mut self.search);
        self.set_search(search);
    }

    /// Changes the search text, refilters, and puts the cursor on the best
    /// match.
    pub fn set_search(&mut self, search: String) {
        self.search = search;
        self.matches = self.filter();
        self.cursor = 0;
    }

    /// The search text.
    pub fn search(&self) -> &str {
        &self.search
    }

    /// Indices into `loaded` of the runbooks matching the search, best match
    /// first (the library's order, grouped by kind, when nothing is typed).
    pub fn visible(&self) -> &[usize] {
        &self.matches
    }

    /// A time as shown on screen (local, or the fixed zone of a test).
    pub fn local(&self, at: DateTime<Utc>) -> DateTime<FixedOffset> {
        match self.zone {
            Some(zone) => at.with_timezone(&zone),
            None => at.with_timezone(&Local).fixed_offset(),
        }
    }

    fn filter(&self) -> Vec<usize> {
        let runbooks: Vec<&Runbook> = self.loaded.iter().map(|r| &r.runbook).collect();
        crate::runbook::search::rank(&runbooks, &self.search)
    }

    /// The runbook under the cursor on the library screen.
    pub fn highlighted(&self) -> Option<&LoadedRunbook> {
        let visible = self.visible();
        visible
            .get(self.cursor.min(visible.len().saturating_sub(1)))
            .and_then(|&i| self.loaded.get(i))
    }

    /// The definition of an open runbook.
    pub fn definition(&self, id: &str) -> Option<&Runbook> {
        self.runbooks.iter().find(|r| r.id == id)
    }

    /// The runbook on the run screen and the index of the step worked on.
    pub fn focus(&self) -> Option<(&Runbook, Option<usize>)> {
        let response = self.response.as_ref()?;
        let open = response.state.runbooks.get(response.active)?;
        let runbook = self.definition(&open.id)?;
        let index = response.selected.or_else(|| {
            current_step(&response.state, runbook)
                .and_then(|s| runbook.steps.iter().position(|x| x.id == s.id))
        });
        Some((runbook, index))
    }

    /// The step worked on, as a reference for commands.
    fn focused_step(&self) -> Option<(StepRef, &Step)> {
        let (runbook, index) = self.focus()?;
        let step = runbook.steps.get(index?)?;
        Some((StepRef::new(runbook.id.clone(), step.id.clone()), step))
    }

    /// How long the step has been the one to work on (since its start, else
    /// the latest finish of another step of its runbook, else the runbook's
    /// opening): in exercise time during an exercise, whose expectations
    /// are timed on that clock too.
    pub fn step_time(&self, runbook: &str, step: &str) -> Option<TimeDelta> {
        let state = &self.response.as_ref()?.state;
        let open = state.runbook(runbook)?;
        let since = match open.steps.get(step).and_then(|s| s.started.as_ref()) {
            Some(started) => started,
            None => open
                .steps
                .values()
                .filter(|s| s.status.is_finished())
                .map(|s| &s.changed)
                .max_by_key(|stamp| stamp.at)
                .unwrap_or(open.opened()),
        };
        let exercise_now = match &self.exercise {
            Some(ex) => Some(ex.clock.now()),
            None => state
                .exercise_start
                .as_ref()
                .map(|_| state.ex_t.unwrap_or(0)),
        };
        Some(match exercise_now {
            Some(now) => {
                let ms = now.saturating_sub(crate::exercise::ex_time(since, state));
                TimeDelta::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX))
            }
            None => self.now - since.at,
        })
    }

    /// Sets the status line.
    pub fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status::Info(text.into()));
    }

    /// Sets the status line to an error.
    pub fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status::Error(text.into()));
    }

    /// Has the session check a command and append its events, then folds
    /// in every entry that reached the journal since the last look. True
    /// when it went through; a refusal is shown on the status line.
    pub fn execute(&mut self, command: &Command) -> bool {
        let actor = self.at_keyboard();
        self.execute_as(&actor, command)
    }

    /// [`App::execute`] as `actor` (an observer's note is not the player's).
    pub fn execute_as(&mut self, actor: &Actor, command: &Command) -> bool {
        match self.run_command(actor, command) {
            Ok(()) => true,
            Err(e) => {
                self.error(e);
                false
            }
        }
    }

    /// Executes `command` in the session and folds what it hands back
    /// (after a refusal too: others' entries may have been read); `Err` is
    /// the text for the status line.
    fn run_command(&mut self, actor: &Actor, command: &Command) -> Result<(), String> {
        let Some(response) = self.response.as_mut() else {
            return Err("no response is open".to_owned());
        };
        let Some(session) = response.session.as_mut() else {
            return Err("a replay is read-only".to_owned());
        };
        let (entries, result) = match session.execute(actor, command, self.now) {
            Ok(entries) => (entries, Ok(())),
            Err(SessionError::Refused(e)) => (session.take_unseen(), Err(e.to_string())),
            Err(e) => (session.take_unseen(), Err(format!("not saved: {e}"))),
        };
        take_all(response, &self.runbooks, &entries);
        result
    }

    /// Whoever is at the keyboard: the response's current actor, else the
    /// start form's last answers.
    pub fn at_keyboard(&self) -> Actor {
        self.response
            .as_ref()
            .and_then(|r| r.state.actor.clone())
            .unwrap_or_else(|| self.last_actor())
    }

    /// The start form's last answers as an actor.
    fn last_actor(&self) -> Actor {
        Actor {
            name: self.last.name.clone(),
            role: self.last.role.clone(),
        }
    }

    /// The 1 s tick: take in entries other processes wrote (`grabbag
    /// note`), then journal every deadline that has passed unmet.
    pub fn tick(&mut self, now: DateTime<Utc>) {
        if self.replay.is_some() {
            // A replay's "now" is the moment shown, not the wall clock.
            super::replay::tick(self);
            return;
        }
        self.now = now;
        let Some(response) = self.response.as_mut() else {
            return;
        };
        let Some(session) = response.session.as_mut() else {
            return;
        };
        match session.refresh() {
            Ok(entries) => take_all(response, &self.runbooks, &entries),
            Err(e) => self.status = Some(Status::Error(format!("reading the journal: {e}"))),
        }
        let actor = self.at_keyboard();
        if let Err(e) = self.run_command(&actor, &Command::RecordBreaches) {
            self.error(format!("a deadline passed but could not be journaled: {e}"));
        }
        self.deliver_due_injects();
    }

    /// Starts a response on the highlighted runbook: a new journal in
    /// `<root>/journals`, then the runbook opened in it.
    pub fn start_response(&mut self, runbook: &str, incident: &str, actor: Actor) {
        self.start_journal(incident, None, &actor);
        if self.response.is_some() {
            self.open_runbook(runbook);
        }
    }

    /// Starts a new journal in `<root>/journals` (of an exercise, when
    /// `exercise` names one) and shows the run screen.
    pub(super) fn start_journal(
        &mut self,
        incident: &str,
        exercise: Option<String>,
        actor: &Actor,
    ) {
        let path = match new_journal_path(&self.root, &self.local(self.now).date_naive(), incident)
        {
            Some(path) => path,
            None => {
                self.error("no usable journal name in the library's journals folder");
                return;
            }
        };
        let new = NewJournal {
            recipients: self.recipients.as_ref(),
            library: Some(self.root.display().to_string()),
            incident: Some(incident.to_owned()),
            exercise,
        };
        let mut session = match Session::start(&path, &new, actor, self.runbooks.clone()) {
            Ok(session) => session,
            Err(e) => {
                self.error(format!("could not start the journal: {e}"));
                return;
            }
        };
        let first = session.take_unseen();
        let mut response = Response {
            session: Some(session),
            state: ResponseState::new(),
            log: Vec::new(),
            active: 0,
            selected: None,
            scroll: 0,
        };
        take_all(&mut response, &self.runbooks, &first);
        self.response = Some(response);
        self.screen = Screen::Run;
    }

    /// Opens (another) runbook in the response and shows it. A runbook with
    /// deadlines from the time of awareness asks for that time first, when
    /// the response does not know it yet.
    pub fn open_runbook(&mut self, id: &str) {
        let Some(loaded) = self.loaded.iter().find(|r| r.runbook.id == id) else {
            self.error(format!("runbook `{}` is not loaded", printable_line(id)));
            return;
        };
        let unknown = self
            .response
            .as_ref()
            .is_some_and(|r| r.state.awareness.is_none());
        if unknown && loaded.runbook.clocks.iter().any(|c| c.from_awareness()) {
            self.dialogs.push(awareness_form(None, Some(id.to_owned())));
            return;
        }
        let command = Command::OpenRunbook {
            runbook: id.to_owned(),
            pin: crate::session::pin(loaded),
        };
        let title = printable_line(&loaded.runbook.title).into_owned();
        if self.execute(&command)
            && let Some(response) = self.response.as_mut()
        {
            response.active = response
                .state
                .runbooks
                .iter()
                .position(|r| r.id == id)
                .unwrap_or(0);
            response.selected = None;
            self.info(format!("opened {title}"));
        }
    }

    /// Resumes a journal: open, fold, new writer session.
    pub fn resume(&mut self, path: &Path) {
        let (mut session, quarantined) =
            match Session::open(path, self.identities, self.runbooks.clone()) {
                Ok(opened) => opened,
                Err(e) => {
                    self.error(format!("could not open the journal: {e}"));
                    return;
                }
            };
        let actor = session
            .state()
            .actor
            .clone()
            .unwrap_or_else(|| self.last_actor());
        let begun = session.begin(&actor, Some(self.root.display().to_string()));
        let mut response = Response {
            state: ResponseState::new(),
            log: Vec::new(),
            active: 0,
            selected: None,
            scroll: 0,
            session: None,
        };
        take_all(&mut response, &self.runbooks, &session.take_unseen());
        if let Err(e) = begun {
            self.error(format!("could not resume: {e}"));
            return;
        }
        response.session = Some(session);
        let exercise = response
            .state
            .exercise_start
            .as_ref()
            .map(|s| s.exercise.clone());
        self.response = Some(response);
        self.screen = Screen::Run;
        if let Some(id) = exercise {
            match super::exercise::find_in_library(&self.root, &id, self.identities) {
                Some(definition) => self.resume_exercise(definition),
                None => {
                    self.error(format!(
                        "exercise `{}` is not in the library: players can go on, but no inject will arrive",
                        printable_line(&id)
                    ));
                    return;
                }
            }
        }
        let odd = self.response.as_ref().map_or(0, |r| {
            r.state.anomalies.len()
                + crate::response::definition_anomalies(&r.state, &self.runbooks).len()
        });
        let missing: Vec<String> = self.response.as_ref().map_or_else(Vec::new, |r| {
            r.state
                .runbooks
                .iter()
                .filter(|open| self.definition(&open.id).is_none())
                .map(|open| printable_line(&open.id).into_owned())
                .collect()
        });
        match quarantined {
            None if !missing.is_empty() => self.error(format!(
                "resumed; not in the library now: {}",
                missing.join(", ")
            )),
            Some(q) => self.error(format!(
                "resumed; a torn tail was moved to {}",
                printable_line(&q.moved_to.display().to_string())
            )),
            None if odd > 0 => self.error(format!(
                "resumed, but {odd} entries do not match the runbooks as loaded now (did the library change?)"
            )),
            None if self.exercise.is_some() => {
                self.info("exercise resumed with its clock paused: p starts it again")
            }
            None => self.info("resumed: everything journaled before is back"),
        }
    }
}

/// Folds entries the session handed back into the screen's state and log.
fn take_all(response: &mut Response, runbooks: &[Runbook], entries: &[Entry]) {
    for entry in entries {
        fold_in(&mut response.state, &mut response.log, runbooks, entry);
    }
}

/// Folds one entry in and adds its log line.
pub(super) fn fold_in(
    state: &mut ResponseState,
    log: &mut Vec<LogLine>,
    runbooks: &[Runbook],
    entry: &Entry,
) {
    state.apply(entry);
    log.push(LogLine {
        seq: entry.seq,
        at: entry.at,
        actor: entry
            .actor
            .as_ref()
            .map(|a| printable_line(&a.name).into_owned())
            .unwrap_or_default(),
        text: describe(entry.event.as_ref(), runbooks),
    });
    const KEEP: usize = 500;
    if log.len() > KEEP {
        log.drain(..log.len() - KEEP);
    }
}

/// One line saying what an event records (printable).
pub fn describe(event: Option<&Event>, runbooks: &[Runbook]) -> String {
    printable_line(&crate::response::describe(event, runbooks)).into_owned()
}

/// The form that gives or corrects the time of awareness (`current`, shown
/// as written), opening `then_open` after.
fn awareness_form(current: Option<String>, then_open: Option<String>) -> Dialog {
    Dialog::form(
        FormPurpose::Awareness(then_open),
        &[
            ("Aware since (optional)", current.unwrap_or_default()),
            ("Why (optional)", String::new()),
        ],
    )
}

/// A free `<root>/journals/<date>-<slug>.jsonl` (with `-2`, `-3`... when
/// taken).
fn new_journal_path(root: &Path, date: &NaiveDate, incident: &str) -> Option<PathBuf> {
    let mut slug: String = incident
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while slug.contains("--") {
        slug = slug.replace("--", "-");
    }
    let slug: String = slug.trim_matches('-').chars().take(48).collect();
    let slug = if slug.is_empty() {
        "incident".to_owned()
    } else {
        slug
    };
    // Refused (no name) when `journals` is a symlink leading out of the library.
    let dir = crate::library::inside(root, Path::new("journals")).ok()?;
    (1..1000).find_map(|n| {
        let name = if n == 1 {
            format!("{date}-{slug}.jsonl")
        } else {
            format!("{date}-{slug}-{n}.jsonl")
        };
        let path = dir.join(name);
        // A dangling link is taken too: it would block the name, never be followed.
        std::fs::symlink_metadata(&path).is_err().then_some(path)
    })
}

/// Elapsed time as `1d 02:03:04` / `02:03:04`.
pub fn elapsed(delta: TimeDelta) -> String {
    let secs = delta.num_seconds();
    let sign = if secs < 0 { "-" } else { "" };
    let secs = secs.unsigned_abs();
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{sign}{d}d {h:02}:{m:02}:{s:02}")
    } else {
        format!("{sign}{h:02}:{m:02}:{s:02}")
    }
}

/// Handles one key press.
pub fn handle_key(app: &mut App<'_>, key: KeyEvent) -> Action {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return quit(app);
    }
    if let Some(dialog) = app.dialogs.pop() {
        return super::dialog::handle_key(app, dialog, key);
    }
    if app.replay.is_some() {
        return super::replay::replay_key(app, key);
    }
    match app.screen {
        Screen::Library => library_key(app, key),
        Screen::Run => match super::exercise::exercise_key(app, key) {
            Some(action) => action,
            None => run_key(app, key),
        },
    }
}

/// Leaves: a response's session is ended in the journal first. If that
/// cannot be written, the session simply stays open and the next start offers
/// to resume it: every action before is already on disk. Once it is ended, the
/// closing witness code is shown until a key is pressed (`q` and `Ctrl-C`
/// alike: the code is printed after the terminal is restored too).
fn quit(app: &mut App<'_>) -> Action {
    if app.closing.is_some() {
        return Action::Quit;
    }
    if app.response.is_some() && app.replay.is_none() {
        app.execute(&Command::EndSession { reason: None });
        let ended = app
            .response
            .as_ref()
            .is_some_and(|r| !r.state.sessions.open);
        let journal = app
            .response
            .as_ref()
            .and_then(|r| r.session.as_ref())
            .map(Session::journal);
        if let Some((journal, true)) = journal.map(|j| (j, ended))
            && let Some(witness) = journal.witness()
        {
            app.closing = Some(Closing {
                path: journal.path().to_owned(),
                witness,
            });
            app.dialogs.push(Dialog::Closed);
            return Action::Continue;
        }
    }
    Action::Quit
}

fn library_key(app: &mut App<'_>, key: KeyEvent) -> Action {
    let count = app.visible().len();
    match key.code {
        KeyCode::Esc if !app.search.is_empty() => {
            app.set_search(String::new());
        }
        KeyCode::Esc => {
            if app.response.is_some() {
                app.screen = Screen::Run;
            } else {
                return Action::Quit;
            }
        }
        KeyCode::Up | KeyCode::Down => app.cursor = list_cursor(app.cursor, count, key.code),
        KeyCode::PageUp => app.cursor = app.cursor.saturating_sub(10),
        KeyCode::PageDown => app.cursor = (app.cursor + 10).min(count.saturating_sub(1)),
        KeyCode::Home => app.cursor = 0,
        KeyCode::End => app.cursor = count.saturating_sub(1),
        KeyCode::Backspace => {
            let mut search = std::mem::take(&mut app.search);
            search.pop();
            app.set_search(search);
        }
        KeyCode::Enter => {
            let Some(id) = app.highlighted().map(|r| r.runbook.id.clone()) else {
                app.error("no runbook matches the search");
                return Action::Continue;
            };
            if app.response.is_some() {
                app.open_runbook(&id);
                app.screen = Screen::Run;
            } else {
                app.dialogs.push(Dialog::form(
                    FormPurpose::Start(id),
                    &[
                        ("Incident name", app.last.incident.clone()),
                        ("Your name", app.last.name.clone()),
                        ("Your role", app.last.role.clone()),
                    ],
                ));
            }
        }
        KeyCode::Char('?') if app.search.is_empty() => app.dialogs.push(Dialog::Help),
        KeyCode::Char('/') if app.search.is_empty() => {}
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            let mut search = std::mem::take(&mut app.search);
            search.push(c);
            app.set_search(search);
        }
        _ => {}
    }
    Action::Continue
}

/// Keys on the run screen (a replay uses those that only look about).
pub(super) fn run_key(app: &mut App<'_>, key: KeyEvent) -> Action {
    if app.response.is_none() {
        app.screen = Screen::Library;
        return Action::Continue;
    }
    // `None` when no runbook is open or the open one is no longer in the
    // library: the keys that need no step still work.
    let focus = app.focus().map(|(r, i)| (r.steps.len(), i));
    let (steps, index) = focus.unwrap_or((0, None));
    let step = app.focused_step().map(|(r, s)| (r, s.clone()));
    if let Some(r) = app.response.as_mut() {
        match key.code {
            KeyCode::PageDown => {
                r.scroll = r.scroll.saturating_add(5);
                return Action::Continue;
            }
            KeyCode::PageUp => {
                r.scroll = r.scroll.saturating_sub(5);
                return Action::Continue;
            }
            _ => r.scroll = 0,
        }
    }
    match key.code {
        KeyCode::Char('q') => return quit(app),
        KeyCode::Char('?') => app.dialogs.push(Dialog::Help),
        KeyCode::Up | KeyCode::Char('k') => {
            let at = index.unwrap_or(steps).saturating_sub(1);
            if let Some(r) = app.response.as_mut() {
                r.selected = Some(at);
            }
        }
        KeyCode::Down | KeyCode::Char('j') => {
            let at = index.map_or(0, |i| (i + 1).min(steps.saturating_sub(1)));
            if let Some(r) = app.response.as_mut() {
                r.selected = Some(at);
            }
        }
        KeyCode::Esc => {
            if let Some(r) = app.response.as_mut() {
                r.selected = None;
            }
        }
        KeyCode::Tab | KeyCode::BackTab => {
            if let Some(r) = app.response.as_mut() {
                let n = r.state.runbooks.len().max(1);
                r.active = if key.code == KeyCode::Tab {
                    (r.active + 1) % n
                } else {
                    (r.active + n - 1) % n
                };
                r.selected = None;
            }
        }
        KeyCode::Char('o') => {
            app.set_search(String::new());
            app.screen = Screen::Library;
        }
        KeyCode::Char('n') => app
            .dialogs
            .push(Dialog::editor(EditorPurpose::Note, "Note")),
        KeyCode::Char('c') => {
            let picks: Vec<u64> = app
                .response
                .as_ref()
                .map(|r| r.log.iter().rev().map(|l| l.seq).collect())
                .unwrap_or_default();
            if picks.is_empty() {
                app.error("nothing to correct yet");
            } else {
                app.dialogs.push(Dialog::Pick {
                    items: picks,
                    cursor: 0,
                });
            }
        }
        KeyCode::Char('A') => {
            let current = app.response.as_ref().and_then(|r| {
                r.state
                    .awareness
                    .as_ref()
                    .map(|a| app.local(a.at).format("%Y-%m-%d %H:%M").to_string())
            });
            app.dialogs.push(awareness_form(current, None));
        }
        KeyCode::Char('a') => {
            let (name, role) = app
                .response
                .as_ref()
                .and_then(|r| r.state.actor.clone())
                .map(|a| (a.name, a.role))
                .unwrap_or_default();
            app.dialogs.push(Dialog::form(
                FormPurpose::Actor,
                &[("Name", name), ("Role", role)],
            ));
        }
        _ => {
            let Some((step_ref, step)) = step else {
                if focus.is_some() {
                    app.info("this runbook has reached its end: o opens another, q quits");
                } else {
                    app.error("no step here: n writes a note, o opens a runbook");
                }
                return Action::Continue;
            };
            step_key(app, key, step_ref, &step);
        }
    }
    Action::Continue
}

/// Keys that act on the focused step.
fn step_key(app: &mut App<'_>, key: KeyEvent, step_ref: StepRef, step: &Step) {
    let status = app
        .response
        .as_ref()
        .map(|r| r.state.status(&step_ref.runbook, &step_ref.step).clone())
        .unwrap_or(StepStatus::Todo);
    let ok = match key.code {
        KeyCode::Char('d') if step.decision.is_some() => {
            app.dialogs.push(Dialog::decision(step_ref));
            false
        }
        KeyCode::Char('D') | KeyCode::Enter if step.decision.is_some() => {
            app.dialogs.push(Dialog::decision(step_ref));
            false
        }
        KeyCode::Char('D') | KeyCode::Enter => {
            app.info("this step is not a decision: d marks it done");
            false
        }
        KeyCode::Char('d') => {
            // Done with checks not ticked is allowed (the step's work may be
            // done another way) but asked once, so it is never an accident.
            let ticked = app
                .response
                .as_ref()
                .and_then(|r| r.state.step(&step_ref.runbook, &step_ref.step))
                .map_or(0, |s| {
                    s.ticked.keys().filter(|&&i| i < step.checks.len()).count()
                });
            let unticked = step.checks.len().saturating_sub(ticked);
            if unticked > 0 {
                app.dialogs.push(Dialog::ConfirmDone {
                    step: step_ref,
                    unticked,
                    checks: step.checks.len(),
                });
                false
            } else {
                app.execute(&Command::Done(step_ref))
            }
        }
        KeyCode::Char('g') => {
            // The selection stays: a step started out of order is the one
            // being looked at.
            if app.execute(&Command::Start(step_ref)) {
                app.status = None;
            }
            false
        }
        KeyCode::Char('s') => {
            app.dialogs.push(Dialog::prompt(
                PromptPurpose::Skip(step_ref),
                "Why skip this step? (required)",
            ));
            false
        }
        KeyCode::Char('b') if matches!(status, StepStatus::Blocked { .. }) => {
            app.execute(&Command::Unblock(step_ref))
        }
        KeyCode::Char('b') => {
            app.dialogs.push(Dialog::prompt(
                PromptPurpose::Block(step_ref),
                "What is it waiting for? (required)",
            ));
            false
        }
        KeyCode::Char(' ') => {
            let ticked = app
                .response
                .as_ref()
                .and_then(|r| r.state.step(&step_ref.runbook, &step_ref.step))
                .map(|s| s.ticked.keys().copied().collect::<Vec<_>>())
                .unwrap_or_default();
            match (0..step.checks.len()).find(|i| !ticked.contains(i)) {
                Some(check) => app.execute(&Command::Tick {
                    step: step_ref,
                    check,
                }),
                None => {
                    app.info("every check of this step is ticked");
                    false
                }
            }
        }
        KeyCode::Char(c @ '1'..='9') => {
            let check = (c as usize) - ('1' as usize);
            app.execute(&Command::Tick {
                step: step_ref,
                check,
            })
        }
        _ => false,
    };
    if ok {
        app.step_recorded();
    }
}

impl App<'_> {
    /// After a step's action is recorded: the status line and any picked
    /// step give way to the flow's current step.
    pub(super) fn step_recorded(&mut self) {
        self.status = None;
        if let Some(r) = self.response.as_mut() {
            r.selected = None;
        }
    }
}

/// The state of a journal whose last session never ended, to offer it for
/// resuming. Read-only: no lock, no `.lock` written, a torn tail left where it
/// is, so merely starting grabbag changes no file (a journal that arrived by
/// sync with planted links beside it is refused only once it is picked).
pub fn open_session_left(path: &Path, identities: Option<&Identities>) -> Option<ResponseState> {
    let state = Session::peek(path, identities).ok()?;
    state.sessions.open.then_some(state)
}
