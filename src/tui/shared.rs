//! What every screen shares: the library as loaded, the response being
//! worked (its journal and the fold of it), the exercise's clock, the dialog
//! stack and the status line.
//!
//! [`Shared`] hands every core [`Command`] to [`Session::execute`] (decided
//! on the journal as it is on disk, each entry synced), and the screen folds
//! exactly the entries the session hands back, colleagues' included, so it
//! only ever shows what is on disk. Refusals and I/O errors become a status
//! line, never a panic. The screens (`library`, `run`, `exercise`,
//! `replay`) hold their own state and keys and work through this.

use std::path::{Path, PathBuf};

use chrono::{
    DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone as _,
    Utc,
};

use super::dialog::{Dialog, FormPurpose};
use super::keys::Action;
use super::theme::{Look, Theme};
use crate::calendar::Calendar;
use crate::config::LastSession;
use crate::crypto::{Identities, Recipients};
use crate::exercise::{Exercise, ExerciseClock, RealTime};
use crate::journal::{Actor, Entry, Event, NewJournal, Quarantined};
use crate::library::{LoadReport, LoadedRunbook};
use crate::response::{Command, ResponseState, StepRef, current_step};
use crate::runbook::{Runbook, Step};
use crate::session::{Opening, Session, SessionError};
use crate::text::printable_line;

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

/// A response in progress: the journal and the fold of it.
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
    /// The runbook's register of cases is shown instead of its steps.
    pub register: bool,
    /// The case picked on the register: its row, by next due.
    pub register_cursor: usize,
}

impl Response {
    /// A response with nothing folded yet, on its first runbook's steps.
    pub fn new(session: Option<Session>) -> Response {
        Response {
            session,
            state: ResponseState::new(),
            log: Vec::new(),
            active: 0,
            selected: None,
            scroll: 0,
            register: false,
            register_cursor: 0,
        }
    }
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

/// What the screens share.
pub struct Shared<'a> {
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
    /// The working days the library's deadlines count on.
    pub calendar: Calendar,
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
    /// The response, once one is started or resumed.
    pub response: Option<Response>,
    /// The exercise being played, when the response is one.
    pub exercise: Option<Exercising>,
    /// The status line.
    pub status: Option<Status>,
    /// The start form's last answers.
    pub last: LastSession,
    /// Where the start form's answers are remembered.
    pub last_path: Option<PathBuf>,
    /// The journal and its closing witness code, once the session has been
    /// ended on quit: shown before leaving and printed after.
    pub closing: Option<Closing>,
    /// A journal being resumed, read in steps ([`Shared::resume_step`])
    /// while the run screen shows what it holds so far.
    pub opening: Option<Opening>,
    /// The runbooks are still loading: a journal being resumed is read
    /// meanwhile, and its session starts once they are in.
    pub runbooks_pending: bool,
    /// While the runbooks load, the last entries of the journal being
    /// resumed, to word its log lines with the runbooks' titles once they
    /// arrive.
    resume_tail: Vec<Entry>,
}

/// An exercise being played: its definition and its clock, which stamps
/// every entry with the exercise time.
pub struct Exercising {
    /// The exercise.
    pub exercise: Exercise,
    /// The exercise clock (wall time through [`RealTime`]).
    pub clock: ExerciseClock<RealTime>,
}

/// What a responder copies onto the paper log when they leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    /// The journal.
    pub path: PathBuf,
    /// The witness code of its last entry (the session's end).
    pub witness: String,
}

impl<'a> Shared<'a> {
    /// The shared state of a new interface, with no runbook yet (see
    /// [`Shared::library_loaded`]).
    pub fn new(setup: Setup<'a>, now: DateTime<Utc>) -> (Self, LoadReport) {
        let shared = Self {
            theme: Theme::new(setup.look),
            root: setup.root,
            loaded: Vec::new(),
            failures: Vec::new(),
            runbooks: Vec::new(),
            calendar: Calendar::default(),
            recipients: setup.recipients,
            identities: setup.identities,
            today: setup.today,
            now,
            zone: None,
            screen: Screen::Library,
            dialogs: Vec::new(),
            response: None,
            exercise: None,
            status: None,
            last: setup.last,
            last_path: setup.last_path,
            closing: None,
            opening: None,
            runbooks_pending: false,
            resume_tail: Vec::new(),
        };
        (shared, setup.report)
    }

    /// Takes the library's runbooks, sorted by kind then title.
    pub fn library_loaded(&mut self, report: LoadReport) {
        self.failures = report.printable_failures();
        // Settings that are not in force move deadlines: said at once.
        if let Some(notice) = report.notices.first() {
            self.error(format!(
                "{}: {}",
                notice.location(),
                crate::text::printable_line(&notice.message)
            ));
        }
        let mut loaded = report.runbooks;
        loaded.sort_by(|a, b| {
            (a.runbook.kind, &a.runbook.title, &a.runbook.id).cmp(&(
                b.runbook.kind,
                &b.runbook.title,
                &b.runbook.id,
            ))
        });
        self.runbooks = loaded.iter().map(|r| r.runbook.clone()).collect();
        self.calendar = report.calendar;
        if let Some(session) = self.response.as_mut().and_then(|r| r.session.as_mut()) {
            session.set_runbooks(self.runbooks.clone());
            session.set_calendar(self.calendar.clone());
        }
        self.loaded = loaded;
        self.runbooks_pending = false;
        // A journal read while they loaded: its session runs against them,
        // and its log lines are worded again with their titles.
        if let Some(opening) = self.opening.as_mut() {
            opening.set_runbooks(self.runbooks.clone());
        }
        let tail = std::mem::take(&mut self.resume_tail);
        if let Some(response) = self.response.as_mut().filter(|_| !tail.is_empty()) {
            response.log = tail.iter().map(|e| log_line(e, &self.runbooks)).collect();
        }
    }

    /// A time as shown on screen (local, or the fixed zone of a test).
    pub fn local(&self, at: DateTime<Utc>) -> DateTime<FixedOffset> {
        match self.zone {
            Some(zone) => at.with_timezone(&zone),
            None => at.with_timezone(&Local).fixed_offset(),
        }
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
    pub(super) fn focused_step(&self) -> Option<(StepRef, &Step)> {
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

    /// [`Shared::execute`] as `actor` (an observer's note is not the player's).
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
            return Err("read-only: a replay, or an exercise after ENDEX".to_owned());
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
        session.set_calendar(self.calendar.clone());
        let first = session.take_unseen();
        let mut response = Response::new(Some(session));
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
        // In an exercise play is not held up by a form: the runbook's opening
        // takes the time of awareness as then, which the players may correct.
        let unknown = self.exercise.is_none()
            && self
                .response
                .as_ref()
                .is_some_and(|r| r.state.awareness.is_none());
        if unknown
            && loaded
                .runbook
                .clocks
                .iter()
                .any(|c| c.starts_at_awareness())
        {
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

    /// Resumes a journal: the run screen comes up at once and fills as the
    /// journal is read, checked and folded in steps ([`Shared::resume_step`],
    /// from the event loop), so a long journal shows its first entries at
    /// once; the new writer session starts when all of it is in.
    pub fn resume(&mut self, path: &Path) {
        let opening = match Session::opening(path, self.runbooks.clone()) {
            Ok(opening) => opening,
            Err(e) => {
                self.error(format!("could not open the journal: {e}"));
                return;
            }
        };
        self.opening = Some(opening);
        self.response = Some(Response::new(None));
        self.screen = Screen::Run;
        self.resume_step();
    }

    /// Reads the next part of a journal being resumed into the screen; when
    /// it is all in, starts the writer session. Returns whether anything
    /// changed (false when no resume is in progress).
    pub fn resume_step(&mut self) -> bool {
        let Some(opening) = self.opening.as_mut() else {
            return false;
        };
        // All read, and waiting for the runbooks to start the session.
        if opening.done() && self.runbooks_pending {
            return false;
        }
        let read = opening.step(self.identities);
        let percent = opening.percent();
        match read {
            Ok(entries) => {
                if self.runbooks_pending {
                    let from = entries.len().saturating_sub(LOG_KEEP);
                    self.resume_tail.extend_from_slice(&entries[from..]);
                    let over = self.resume_tail.len().saturating_sub(LOG_KEEP);
                    self.resume_tail.drain(..over);
                }
                if let Some(response) = self.response.as_mut() {
                    take_all(response, &self.runbooks, &entries);
                }
            }
            Err(e) => {
                self.opening = None;
                self.response = None;
                self.screen = Screen::Library;
                self.error(format!("could not open the journal: {e}"));
                return true;
            }
        }
        if !self.opening.as_ref().is_some_and(Opening::done) {
            self.info(format!(
                "reading the journal: {percent}%; keys wait until it is all in"
            ));
            return true;
        }
        if self.runbooks_pending {
            self.info("journal read; loading the runbooks: keys wait until they are in");
            return true;
        }
        if let Some(opened) = self.opening.take().and_then(Opening::finish) {
            self.resumed(opened);
        }
        true
    }

    /// A journal read to the end ([`Shared::resume_step`]): the writer
    /// session starts, under the actor it names.
    fn resumed(&mut self, (mut session, quarantined): (Session, Option<Quarantined>)) {
        session.set_calendar(self.calendar.clone());
        let actor = session
            .state()
            .actor
            .clone()
            .unwrap_or_else(|| self.last_actor());
        // An exercise after ENDEX is over: it opens read-only (no writer
        // session, nothing appended), never reopened for play.
        let ended = crate::response::PlayClock::of(session.state()).ended;
        let begun = if ended {
            Ok(())
        } else {
            session.begin(&actor, Some(self.root.display().to_string()))
        };
        let Some(mut response) = self.response.take() else {
            return;
        };
        take_all(&mut response, &self.runbooks, &session.take_unseen());
        if let Err(e) = begun {
            self.screen = Screen::Library;
            self.error(format!("could not resume: {e}"));
            return;
        }
        if !ended {
            response.session = Some(session);
        }
        let exercise = response
            .state
            .exercise_start
            .as_ref()
            .map(|s| s.exercise.clone());
        self.response = Some(response);
        self.screen = Screen::Run;
        if let Some(id) = exercise {
            match find_in_library(&self.root, &id, self.identities) {
                Some(definition) => self.resume_exercise(definition),
                // Over: there is nothing to deliver anyway.
                None if ended => {}
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
            None if ended => self.info(
                "this exercise ended (ENDEX): opened read-only; grabbag exercise report gives its report",
            ),
            None if self.exercise.is_some() => {
                self.info("exercise resumed with its clock paused: p starts it again")
            }
            None => self.info("resumed: everything journaled before is back"),
        }
    }
}

/// Folds entries the session handed back into the screen's state and log.
fn take_all(response: &mut Response, runbooks: &[Runbook], entries: &[Entry]) {
    // Only the last lines stay in the log, so only they are described (a
    // resume hands over 100,000 entries).
    let (folded, logged) = entries.split_at(entries.len().saturating_sub(LOG_KEEP));
    for entry in folded {
        response.state.apply(entry);
    }
    for entry in logged {
        fold_in(&mut response.state, &mut response.log, runbooks, entry);
    }
}

/// The log lines a response keeps for its pane and corrections.
const LOG_KEEP: usize = 500;

/// Folds one entry in and adds its log line.
pub(super) fn fold_in(
    state: &mut ResponseState,
    log: &mut Vec<LogLine>,
    runbooks: &[Runbook],
    entry: &Entry,
) {
    state.apply(entry);
    log.push(log_line(entry, runbooks));
    if log.len() > LOG_KEEP {
        log.drain(..log.len() - LOG_KEEP);
    }
}

/// The log line of one entry.
fn log_line(entry: &Entry, runbooks: &[Runbook]) -> LogLine {
    LogLine {
        seq: entry.seq,
        at: entry.at,
        actor: entry
            .actor
            .as_ref()
            .map(|a| printable_line(&a.name).into_owned())
            .unwrap_or_default(),
        text: describe(entry.event.as_ref(), runbooks),
    }
}

/// One line saying what an event records (printable).
pub fn describe(event: Option<&Event>, runbooks: &[Runbook]) -> String {
    printable_line(&crate::response::describe(event, runbooks)).into_owned()
}

/// The form that gives or corrects the time of awareness (`current`, shown
/// as written), opening `then_open` after.
pub(super) fn awareness_form(current: Option<String>, then_open: Option<String>) -> Dialog {
    Dialog::form(
        FormPurpose::Awareness(then_open),
        &[
            ("Aware since (optional)", current.unwrap_or_default()),
            ("Why (optional)", String::new()),
        ],
    )
}

/// The form that adds a deadline of the response's own.
pub(super) fn deadline_form() -> Dialog {
    Dialog::form(
        FormPurpose::Deadline,
        &[
            ("What by then", String::new()),
            ("Due", String::new()),
            ("Basis (optional)", String::new()),
        ],
    )
}

/// The form that adds a case of `kind` to `runbook`'s register: its
/// reference, when it was received, and the kind's fields.
pub(super) fn case_form(runbook: &str, kind: &crate::runbook::CaseKind) -> Dialog {
    let mut fields = vec![
        (format!("{} reference", kind.label), String::new()),
        ("Received (optional)".to_owned(), String::new()),
    ];
    fields.extend(kind.fields.iter().map(|f| {
        let label = printable_line(&f.label);
        let label = if f.required {
            label.into_owned()
        } else {
            format!("{label} (optional)")
        };
        (label, String::new())
    }));
    let labels: Vec<(&str, String)> = fields
        .iter()
        .map(|(l, v)| (l.as_str(), v.clone()))
        .collect();
    Dialog::form(
        FormPurpose::Case(runbook.to_owned(), kind.id.clone()),
        &labels,
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

/// Multi-line untrusted text, tabs as spaces, reflowed so the pane wraps
/// it (see [`crate::text::reflow`]).
pub fn safe(text: &str) -> String {
    crate::text::reflow(&crate::text::printable(text).replace('\t', "    "))
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

impl Shared<'_> {
    /// After a step's action is recorded: the status line and any picked
    /// step give way to the flow's current step.
    pub(super) fn step_recorded(&mut self) {
        self.status = None;
        self.clear_selection();
    }

    /// The flow's current step is shown again, not one picked with the
    /// arrows.
    pub(super) fn clear_selection(&mut self) {
        if let Some(r) = self.response.as_mut() {
            r.selected = None;
        }
    }

    /// Leaves: a response's session is ended in the journal first. If that
    /// cannot be written, the session simply stays open and the next start
    /// offers to resume it: every action before is already on disk. Once it
    /// is ended, the closing witness code is shown until a key is pressed
    /// (`q` and `Ctrl-C` alike: the code is printed after the terminal is
    /// restored too).
    pub fn quit(&mut self) -> Action {
        if self.closing.is_some() {
            return Action::Quit;
        }
        if self.response.is_some() {
            self.execute(&Command::EndSession { reason: None });
            let ended = self
                .response
                .as_ref()
                .is_some_and(|r| !r.state.sessions.open);
            let journal = self
                .response
                .as_ref()
                .and_then(|r| r.session.as_ref())
                .map(Session::journal);
            if let Some((journal, true)) = journal.map(|j| (j, ended))
                && let Some(witness) = journal.witness()
            {
                let closing = Closing {
                    path: journal.path().to_owned(),
                    witness,
                };
                self.dialogs.push(Dialog::Closed {
                    path: printable_line(&closing.path.display().to_string()).into_owned(),
                    witness: printable_line(&closing.witness).into_owned(),
                });
                self.closing = Some(closing);
                return Action::Continue;
            }
        }
        Action::Quit
    }

    /// Picks up an exercise journal being resumed: the clock comes back
    /// paused where the journal left it (the core's rule for a resumed
    /// session, so a second terminal reads the same time).
    pub fn resume_exercise(&mut self, exercise: Exercise) {
        let Some(response) = self.response.as_ref() else {
            return;
        };
        let clock = ExerciseClock::following(RealTime::new(), &response.state, self.now);
        self.exercise = Some(Exercising { exercise, clock });
    }

    /// A "happened at" or "aware since" field: empty is now (`None`);
    /// `HH:MM` is the latest such time not after now (today's, else
    /// yesterday's: "called the ICO at 23:50" written at 00:10);
    /// `YYYY-MM-DD HH:MM` is a local date and time; RFC 3339 is taken as
    /// written. Local means the screen's zone.
    pub fn happened_at(&self, text: &str) -> Result<Option<DateTime<FixedOffset>>, String> {
        self.local_time(text, false)
    }

    /// A due time: as [`Shared::happened_at`], but `HH:MM` is the next such
    /// time (today's, else tomorrow's).
    pub fn due_at(&self, text: &str) -> Result<Option<DateTime<FixedOffset>>, String> {
        self.local_time(text, true)
    }

    fn local_time(&self, text: &str, ahead: bool) -> Result<Option<DateTime<FixedOffset>>, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return Ok(Some(t));
        }
        let now = self.local(self.now);
        let naive = if let Ok(time) = NaiveTime::parse_from_str(text, "%H:%M") {
            let today = now.date_naive().and_time(time);
            match (ahead, today > now.naive_local()) {
                (false, true) => today - TimeDelta::days(1),
                (true, false) => today + TimeDelta::days(1),
                _ => today,
            }
        } else if let Ok(at) = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M") {
            at
        } else {
            return Err(format!(
                "not a time: {:?} (HH:MM or YYYY-MM-DD HH:MM)",
                printable_line(text)
            ));
        };
        let local = match self.zone {
            Some(zone) => zone.from_local_datetime(&naive).single(),
            // The offset in force at that time, not now's (a summer time change).
            None => Local
                .from_local_datetime(&naive)
                .earliest()
                .map(|t| t.fixed_offset()),
        };
        local
            .map(Some)
            .ok_or_else(|| format!("{naive} does not exist in the local time zone"))
    }
}

/// The exercise `id` from the library's `exercises/` folder, if it is there
/// and parses (references to runbooks are checked when it is started).
pub fn find_in_library(root: &Path, id: &str, identities: Option<&Identities>) -> Option<Exercise> {
    let dir =
        crate::library::inside(root, Path::new(crate::exercise::files::EXERCISES_DIR)).ok()?;
    let found = crate::exercise::files::find(&[dir], id, identities)?;
    crate::exercise::check(&found.shown, &found.text, &found.file.id, None).exercise
}

/// The incident of a journal whose last session never ended, to offer it
/// for resuming, read from the journal's end (nothing folded until it is
/// picked). Read-only: no lock, no `.lock` written, a torn tail left where
/// it is, so merely starting grabbag changes no file (a journal that arrived
/// by sync with planted links beside it is refused only once it is picked).
pub fn open_session_left(path: &Path, identities: Option<&Identities>) -> Option<Option<String>> {
    Session::left_open(path, identities)
        .ok()
        .flatten()
        .map(|left| left.incident)
}
