//! Commands: what a responder asks for, checked against the state and the
//! runbooks, turned into the events to journal.
//!
//! A screen never writes events itself: it sends a [`Command`] to [`decide`],
//! which either refuses it with a [`CommandError`] the screen can show as it
//! is, or returns the events to append, derived ones included (completing the
//! step a clock starts on also starts the clock). Nothing here reads a clock or
//! touches a file: `now` is a parameter, and the caller appends the events and
//! folds the entries it gets back, so what the screen shows is always the fold
//! of what is on disk.
//!
//! The rules are a responder's, not a bureaucrat's: steps may be done out of
//! order; a skipped step may still be done (or decided) later; completing or
//! skipping a blocked step lifts the block first, so the journal says so. What
//! is refused is what would make the log wrong or ambiguous: a step done twice,
//! a decision or skip without a reason, a tick of a check that does not exist.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde::Serialize;

use super::play::PlayClock;
use super::state::{AD_HOC, ResponseState, StepStatus};
use crate::calendar::{Calendar, Period};
use crate::journal::{ClockAnchor, ClockChange, Event, LessonCategory};
use crate::runbook::{Runbook, Step};

/// Where runbook definitions come from (the loaded library, a test's list).
pub trait Runbooks {
    /// The runbook with this id.
    fn runbook(&self, id: &str) -> Option<&Runbook>;

    /// The working days deadlines count on: the library's (see
    /// [`OnCalendar`]), England and Wales' bank holidays by default.
    fn calendar(&self) -> &Calendar {
        static DEFAULT: LazyLock<Calendar> = LazyLock::new(Calendar::default);
        &DEFAULT
    }
}

/// Runbooks with the calendar of the library they come from.
pub struct OnCalendar<'a> {
    /// The runbooks.
    pub runbooks: &'a [Runbook],
    /// The library's calendar.
    pub calendar: &'a Calendar,
}

impl Runbooks for OnCalendar<'_> {
    fn runbook(&self, id: &str) -> Option<&Runbook> {
        self.runbooks.runbook(id)
    }

    fn calendar(&self) -> &Calendar {
        self.calendar
    }
}

impl Runbooks for [Runbook] {
    fn runbook(&self, id: &str) -> Option<&Runbook> {
        self.iter().find(|r| r.id == id)
    }
}

impl Runbooks for Vec<Runbook> {
    fn runbook(&self, id: &str) -> Option<&Runbook> {
        self.as_slice().runbook(id)
    }
}

impl Runbooks for BTreeMap<String, Runbook> {
    fn runbook(&self, id: &str) -> Option<&Runbook> {
        self.get(id)
    }
}

impl<S: BuildHasher> Runbooks for HashMap<String, Runbook, S> {
    fn runbook(&self, id: &str) -> Option<&Runbook> {
        self.get(id)
    }
}

/// A step of a runbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepRef {
    /// Runbook id.
    pub runbook: String,
    /// Step id.
    pub step: String,
}

impl StepRef {
    /// A reference to `step` of `runbook`.
    pub fn new(runbook: impl Into<String>, step: impl Into<String>) -> Self {
        Self {
            runbook: runbook.into(),
            step: step.into(),
        }
    }
}

/// The version of a runbook being opened, as the library pinned it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunbookPin {
    /// The last commit that changed the file.
    pub commit: Option<String>,
    /// The blob id at HEAD.
    pub blob: Option<String>,
    /// The file differs from HEAD.
    pub dirty: bool,
    /// The file is a plaintext draft.
    pub unencrypted: bool,
    /// Trust, as text ("signed by …", "UNTRUSTED: …", "not checked").
    pub trust: String,
}

/// Something a responder asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Command {
    /// Open a runbook in this response (or a newer version of one).
    OpenRunbook {
        /// Runbook id.
        runbook: String,
        /// The version, as the library pinned it.
        pin: RunbookPin,
    },
    /// Begin work on a step.
    Start(StepRef),
    /// Complete a step (not a decision: see [`Command::Decide`]).
    Done(StepRef),
    /// Pass over a step, with the reason.
    Skip {
        /// The step.
        step: StepRef,
        /// Why (required).
        reason: String,
    },
    /// Tick a check of a step.
    Tick {
        /// The step.
        step: StepRef,
        /// Index of the check in the step.
        check: usize,
    },
    /// Take a decision: this completes the decision step.
    Decide {
        /// The decision step.
        step: StepRef,
        /// Index of the option chosen.
        option: usize,
        /// Why (required).
        rationale: String,
    },
    /// Mark a step as unable to proceed.
    Block {
        /// The step.
        step: StepRef,
        /// What it waits for (required).
        reason: String,
    },
    /// Lift a block.
    Unblock(StepRef),
    /// Write a note.
    Note {
        /// The note.
        text: String,
        /// When it happened, if not now.
        happened_at: Option<DateTime<FixedOffset>>,
    },
    /// Correct an earlier entry (it stays; the correction points at it).
    Correct {
        /// The seq of the entry corrected.
        of: u64,
        /// What it should have said, and why.
        replacement: String,
    },
    /// Someone else takes the keyboard.
    ChangeActor {
        /// Their name.
        name: String,
        /// Their role.
        role: String,
    },
    /// Give or correct when the council became aware of the incident:
    /// deadlines that count from awareness start, or move, with it.
    SetAwareness {
        /// The time of awareness.
        at: DateTime<FixedOffset>,
        /// Why this time (who said so; what a correction corrects).
        reason: Option<String>,
    },
    /// End the session normally.
    EndSession {
        /// Why, if given.
        reason: Option<String>,
    },
    /// Take back a tick given by mistake (the tick stays in the journal).
    Untick {
        /// The step.
        step: StepRef,
        /// Index of the check in the step.
        check: usize,
    },
    /// Journal every deadline that has passed unmet (see [`due_breaches`]);
    /// nothing when none has.
    RecordBreaches,
    /// The facilitator starts an exercise: T+0.
    StartExercise {
        /// Exercise id.
        exercise: String,
        /// Its title.
        title: String,
        /// SHA-256 (hex) of the exercise file's text.
        digest: String,
        /// Speed the clock starts at (1 to 60).
        speed: u32,
        /// Injects released by hand only.
        manual: bool,
        /// The clock stands at T+0 until the facilitator starts it (the
        /// brief is read first).
        paused: bool,
    },
    /// Someone signs in to an exercise: a player, a facilitator or an
    /// observer, with their role and team.
    SignIn {
        /// Their name.
        name: String,
        /// The role they play or watch.
        role: String,
        /// Their team, if play is by teams.
        team: Option<String>,
        /// player, facilitator or observer.
        capacity: String,
    },
    /// The facilitator delivers an inject (a scripted one by its id, or an
    /// unscripted one with an empty id).
    DeliverInject {
        /// Inject id ("" when unscripted).
        inject: String,
        /// Where it comes from.
        from: String,
        /// How it arrives.
        channel: String,
        /// What it says.
        text: String,
        /// The team or role it is aimed at; everyone when `None`.
        to: Option<String>,
    },
    /// The facilitator scores an expectation.
    Score {
        /// Inject id.
        inject: String,
        /// Expectation id.
        expectation: String,
        /// met, late, partial or missed.
        outcome: String,
        /// The entry that proves it.
        evidence: Option<u64>,
        /// What the facilitator saw (required: a score is a judgement, and
        /// the report shows its grounds).
        comment: String,
    },
    /// The facilitator records a lesson learned (also after ENDEX: that is
    /// when the hot debrief happens).
    Lesson {
        /// Went well, did not go well, or an action.
        category: LessonCategory,
        /// The lesson.
        text: String,
        /// Who owns an action.
        owner: Option<String>,
        /// When an action is due, as written.
        due: Option<String>,
    },
    /// The facilitator changes the exercise clock.
    Clock(ClockRequest),
    /// Add a deadline of the response's own, during the incident.
    AddDeadline {
        /// What must happen by then.
        label: String,
        /// When it falls due.
        due: DeadlineDue,
        /// What it rests on (law, contract, a promise made).
        basis: Option<String>,
    },
    /// Mark an ad-hoc deadline met.
    MeetDeadline {
        /// Its id (`deadline-1`...).
        clock: String,
    },
    /// A case arrives on a runbook's register; its clocks start.
    AddCase {
        /// The runbook (open).
        runbook: String,
        /// The case kind; may be left out when the runbook declares one.
        kind: Option<String>,
        /// Its reference, unique in the journal.
        reference: String,
        /// When it was received (default: now).
        received_at: Option<DateTime<FixedOffset>>,
        /// Fields, by name, in the order given.
        fields: Vec<(String, String)>,
    },
    /// An item of a case's checklist is done (meeting the clocks it meets).
    CaseDone {
        /// The case's reference.
        reference: String,
        /// The checklist item's id.
        step: String,
    },
    /// A case was keyed back into the line-of-business system.
    CaseKeyed {
        /// The case's reference.
        reference: String,
    },
}

/// When an ad-hoc deadline falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DeadlineDue {
    /// At this time.
    At(DateTime<FixedOffset>),
    /// This long from now, on the library's calendar.
    After(Period),
}

/// A change the facilitator asks of the exercise clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ClockRequest {
    /// Stop exercise time.
    Pause,
    /// Start it again.
    Resume,
    /// Run at this speed (1 to 60) from now.
    Speed(u32),
    /// Manual mode on (time moves only by jumps) or off.
    Manual(bool),
    /// Move forward to this exercise time (ms), never back.
    JumpTo(u64),
    /// ENDEX: play ends, for good.
    End,
    /// NO DUTY: play is suspended for a real incident (resumed by
    /// [`ClockRequest::Resume`]).
    NoDuty,
}

/// The capacities someone signs in to an exercise with.
pub const CAPACITIES: [&str; 3] = ["player", "facilitator", "observer"];

/// How injects arrive: the words an exercise file and an unscripted inject
/// may use.
pub const CHANNELS: &[&str] = &[
    "phone",
    "email",
    "walk-in",
    "press",
    "social-media",
    "radio",
    "letter",
    "meeting",
    "system-alert",
    "text-message",
];

/// The outcomes a facilitator may score.
pub const OUTCOMES: [&str; 4] = ["met", "late", "partial", "missed"];

/// Why a command was refused. Messages are written to be shown as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The runbook is not in the library.
    #[error("runbook `{0}` is not in the library")]
    UnknownRunbook(String),
    /// The runbook is not open in this response.
    #[error("runbook `{0}` is not open in this response: open it first")]
    RunbookNotOpen(String),
    /// The runbook is already open at this version.
    #[error("runbook `{0}` is already open at this version")]
    RunbookAlreadyOpen(String),
    /// The runbook has no such step.
    #[error("runbook `{runbook}` has no step `{step}`")]
    UnknownStep {
        /// Runbook id.
        runbook: String,
        /// Step id.
        step: String,
    },
    /// The step was started already.
    #[error("step `{step}` is already started (seq {seq})")]
    AlreadyStarted {
        /// Step id.
        step: String,
        /// The entry that started it.
        seq: u64,
    },
    /// The step was done already.
    #[error("step `{step}` is already done (seq {seq})")]
    AlreadyDone {
        /// Step id.
        step: String,
        /// The entry that did it.
        seq: u64,
    },
    /// The step was skipped already.
    #[error("step `{step}` is already skipped (seq {seq})")]
    AlreadySkipped {
        /// Step id.
        step: String,
        /// The entry that skipped it.
        seq: u64,
    },
    /// The step is blocked.
    #[error("step `{step}` is blocked ({reason}): unblock it first")]
    Blocked {
        /// Step id.
        step: String,
        /// What it waits for.
        reason: String,
    },
    /// The step is blocked already.
    #[error("step `{step}` is already blocked ({reason})")]
    AlreadyBlocked {
        /// Step id.
        step: String,
        /// What it waits for.
        reason: String,
    },
    /// The step is not blocked.
    #[error("step `{step}` is not blocked")]
    NotBlocked {
        /// Step id.
        step: String,
    },
    /// A decision step is completed by deciding.
    #[error("step `{step}` is a decision: choose an option")]
    IsDecision {
        /// Step id.
        step: String,
    },
    /// The step has no decision.
    #[error("step `{step}` has no decision to take")]
    NotDecision {
        /// Step id.
        step: String,
    },
    /// The decision was taken already.
    #[error(
        "step `{step}` is already decided: {option:?} (seq {seq}); to change it, correct that entry"
    )]
    AlreadyDecided {
        /// Step id.
        step: String,
        /// The option taken.
        option: String,
        /// The entry that took it.
        seq: u64,
    },
    /// No option with that index.
    #[error("step `{step}` has {}; index {index} is out of range", counted(*.count, "option"))]
    NoSuchOption {
        /// Step id.
        step: String,
        /// The index asked for.
        index: usize,
        /// How many options there are.
        count: usize,
    },
    /// No check with that index.
    #[error("step `{step}` has {}; index {index} is out of range", counted(*.count, "check"))]
    NoSuchCheck {
        /// Step id.
        step: String,
        /// The index asked for.
        index: usize,
        /// How many checks there are.
        count: usize,
    },
    /// The check was ticked already.
    #[error("check {check:?} of step `{step}` is already ticked (seq {seq})")]
    AlreadyTicked {
        /// Step id.
        step: String,
        /// The check's text.
        check: String,
        /// The entry that ticked it.
        seq: u64,
    },
    /// A required text was empty (or only spaces).
    #[error("{0}")]
    Required(&'static str),
    /// No entry with that seq.
    #[error("there is no entry with seq {0} to correct")]
    NoSuchEntry(u64),
    /// Session starts record the software and host: not a responder's words.
    #[error("seq {0} starts a session and cannot be corrected")]
    CorrectsSession(u64),
    /// A note about the future.
    #[error("a note cannot say something happened at {happened_at}, after now ({now})")]
    InFuture {
        /// The time given.
        happened_at: DateTime<Utc>,
        /// Now.
        now: DateTime<Utc>,
    },
    /// The same person is already at the keyboard.
    #[error("{name} ({role}) is already at the keyboard")]
    SameActor {
        /// Their name.
        name: String,
        /// Their role.
        role: String,
    },
    /// No session is open.
    #[error("no session is open to end")]
    NoSession,
    /// A time of awareness later than now.
    #[error(
        "the time of awareness {at} is after now ({now}): give the time the council became aware, not a future one"
    )]
    AwarenessInFuture {
        /// The time given.
        at: DateTime<Utc>,
        /// Now.
        now: DateTime<Utc>,
    },
    /// A deadline beyond what a calendar can hold.
    #[error("clock `{clock}` of runbook `{runbook}` would fall due beyond the calendar")]
    DeadlineOutOfRange {
        /// Runbook id.
        runbook: String,
        /// Clock id.
        clock: String,
    },
    /// The check is not ticked.
    #[error("check {check:?} of step `{step}` is not ticked")]
    NotTicked {
        /// Step id.
        step: String,
        /// The check's text.
        check: String,
    },
    /// ENDEX was called: play is over.
    #[error(
        "the exercise ended at seq {seq} (ENDEX is final): nothing more is played or scored; lessons learned and corrections are still recorded"
    )]
    ExerciseEnded {
        /// The entry that ended it.
        seq: u64,
    },
    /// NO DUTY was called: play waits for the real incident.
    #[error(
        "play is suspended (NO DUTY at seq {seq}) for a real incident: only resuming, ENDEX, sign-in, lessons and corrections are recorded"
    )]
    NoDuty {
        /// The entry that suspended it.
        seq: u64,
    },
    /// An inject channel not in [`CHANNELS`].
    #[error("{0:?} is not a channel: use one of {list}", list = CHANNELS.join(", "))]
    Channel(String),
    /// Someone signed in as a facilitator or observer tried a player's
    /// action, or someone not signed in as a facilitator a facilitator's.
    #[error("{name} ({role}) is signed in {signed}: {needs}")]
    Capacity {
        /// Their name.
        name: String,
        /// Their role.
        role: String,
        /// How they are signed in ("as observer", "as player", "not as facilitator").
        signed: String,
        /// What the action needs.
        needs: &'static str,
    },
    /// A sign-in with a capacity not in [`CAPACITIES`].
    #[error("{0:?} is not a capacity: use player, facilitator or observer")]
    NoSuchCapacity(String),
    /// A facilitator's action outside an exercise.
    #[error("this journal is not an exercise: start one first")]
    NoExercise,
    /// The exercise was started already.
    #[error("the exercise has already started (seq {0})")]
    ExerciseStarted(u64),
    /// An exercise speed out of range.
    #[error("speed {0}x is out of range: choose 1 to 60")]
    Speed(u32),
    /// A clock change that makes no sense now (pausing a paused clock...).
    #[error("the exercise clock is {0}")]
    ClockState(&'static str),
    /// Exercise time moved backwards.
    #[error("the exercise clock cannot go back (from T+{from} ms to T+{to} ms)")]
    Backwards {
        /// Exercise time now.
        from: u64,
        /// Requested.
        to: u64,
    },
    /// A score that is not one of [`OUTCOMES`].
    #[error("{0:?} is not a score: use met, late, partial or missed")]
    Outcome(String),
    /// Evidence that is not an earlier entry.
    #[error("evidence seq {0} is not an entry of this journal")]
    NoSuchEvidence(u64),
    /// A lesson's due date that is neither a date nor a time from now.
    #[error("due {0:?} is not a date such as 2027-03-31 or a time from now such as 14d")]
    DueDate(String),
    /// No ad-hoc deadline has this id.
    #[error("there is no deadline `{0}` added during this response (see `grabbag status`)")]
    UnknownDeadline(String),
    /// The deadline was met already.
    #[error("deadline `{clock}` is already met (seq {seq})")]
    DeadlineMet {
        /// Its id.
        clock: String,
        /// The entry that met it.
        seq: u64,
    },
    /// The runbook keeps no register of cases.
    #[error("runbook `{0}` declares no kind of case")]
    NoCaseKinds(String),
    /// The runbook declares several kinds and none was named.
    #[error("runbook `{runbook}` declares several kinds of case: name one of {}", .kinds.join(", "))]
    CaseKindNeeded {
        /// Runbook id.
        runbook: String,
        /// The kinds it declares.
        kinds: Vec<String>,
    },
    /// No such case kind.
    #[error("runbook `{runbook}` has no kind of case `{kind}` (it has: {})", .kinds.join(", "))]
    UnknownCaseKind {
        /// Runbook id.
        runbook: String,
        /// The kind asked for.
        kind: String,
        /// The kinds it declares.
        kinds: Vec<String>,
    },
    /// A field the case kind does not have.
    #[error("a {kind} has no field `{field}` (its fields: {})", .fields.join(", "))]
    UnknownCaseField {
        /// The case kind.
        kind: String,
        /// The field given.
        field: String,
        /// The fields it has.
        fields: Vec<String>,
    },
    /// A field given twice.
    #[error("field `{0}` is given twice")]
    FieldTwice(String),
    /// A required field is missing.
    #[error("a {kind} needs the field `{field}`")]
    MissingCaseField {
        /// The case kind.
        kind: String,
        /// The missing field.
        field: String,
    },
    /// A case received in the future.
    #[error("a case cannot be received at {at}, after now ({now})")]
    CaseInFuture {
        /// The time given.
        at: DateTime<Utc>,
        /// Now.
        now: DateTime<Utc>,
    },
    /// The reference is taken.
    #[error(
        "case `{reference}` is already on the register (seq {seq}): give each case its own reference"
    )]
    DuplicateCase {
        /// The reference.
        reference: String,
        /// The entry that added the first.
        seq: u64,
    },
    /// No case has this reference.
    #[error("there is no case `{0}` in this response")]
    UnknownCase(String),
    /// The case's checklist has no such item.
    #[error("case `{reference}` has no checklist item `{step}` (its items: {})", .items.join(", "))]
    UnknownCaseItem {
        /// The case.
        reference: String,
        /// The item asked for.
        step: String,
        /// The items it has.
        items: Vec<String>,
    },
    /// The item was done already.
    #[error("`{step}` of case `{reference}` is already done (seq {seq})")]
    CaseItemDone {
        /// The case.
        reference: String,
        /// The item.
        step: String,
        /// The entry that did it.
        seq: u64,
    },
    /// The case was keyed back already.
    #[error("case `{reference}` is already keyed back (seq {seq})")]
    AlreadyKeyed {
        /// The case.
        reference: String,
        /// The entry that said so.
        seq: u64,
    },
}

/// "no checks", "1 check", "2 checks".
pub(crate) fn counted(n: usize, noun: &str) -> String {
    match n {
        0 => format!("no {noun}s"),
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// The text trimmed, or the error when nothing is left.
pub(super) fn required(text: &str, message: &'static str) -> Result<String, CommandError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CommandError::Required(message));
    }
    Ok(text.to_owned())
}

/// A step checked to exist in a runbook open in this response.
struct Found<'r, 's> {
    runbook: &'r Runbook,
    step: &'r Step,
    status: &'s StepStatus,
    /// Seq of the last status change (0 when none).
    seq: u64,
}

fn find<'r, 's, R: Runbooks + ?Sized>(
    state: &'s ResponseState,
    runbooks: &'r R,
    at: &StepRef,
) -> Result<Found<'r, 's>, CommandError> {
    let runbook = runbooks
        .runbook(&at.runbook)
        .ok_or_else(|| CommandError::UnknownRunbook(at.runbook.clone()))?;
    if state.runbook(&at.runbook).is_none() {
        return Err(CommandError::RunbookNotOpen(at.runbook.clone()));
    }
    let step = runbook
        .step(&at.step)
        .ok_or_else(|| CommandError::UnknownStep {
            runbook: at.runbook.clone(),
            step: at.step.clone(),
        })?;
    let recorded = state.step(&at.runbook, &at.step);
    Ok(Found {
        runbook,
        step,
        status: state.status(&at.runbook, &at.step),
        seq: recorded.map_or(0, |s| s.changed.seq),
    })
}

impl<'r> Found<'r, '_> {
    fn id(&self) -> String {
        self.step.id.clone()
    }

    /// The text of the step's check `index`.
    fn check(&self, index: usize) -> Result<&'r String, CommandError> {
        self.step
            .checks
            .get(index)
            .ok_or_else(|| CommandError::NoSuchCheck {
                step: self.id(),
                index,
                count: self.step.checks.len(),
            })
    }

    fn refuse_done(&self) -> Result<(), CommandError> {
        match self.status {
            StepStatus::Done => Err(CommandError::AlreadyDone {
                step: self.id(),
                seq: self.seq,
            }),
            _ => Ok(()),
        }
    }

    fn refuse_skipped(&self) -> Result<(), CommandError> {
        match self.status {
            StepStatus::Skipped { .. } => Err(CommandError::AlreadySkipped {
                step: self.id(),
                seq: self.seq,
            }),
            _ => Ok(()),
        }
    }

    /// `step_unblocked` first when the step is blocked: completing or skipping
    /// a blocked step lifts its block, and the journal says so.
    fn unblock_first(&self) -> Vec<Event> {
        match self.status {
            StepStatus::Blocked { .. } => vec![Event::StepUnblocked {
                runbook: self.runbook.id.clone(),
                step: self.id(),
            }],
            _ => Vec::new(),
        }
    }
}

/// Checks a command against the state and the runbooks and returns the events
/// to append, in order, or why it is refused. `now` dates new deadlines and
/// bounds a note's `happened_at`.
pub fn decide<R: Runbooks + ?Sized>(
    state: &ResponseState,
    runbooks: &R,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, CommandError> {
    let play = PlayClock::of(state);
    // Deadlines start, fall due and breach on exercise time in an exercise.
    let clock_now = super::play::deadline_now(state, now);
    if plays(command) {
        match play_stopped(state) {
            Some(CommandError::NoDuty { .. }) if resumes(command) => {}
            Some(stopped) => return Err(stopped),
            None => {}
        }
    }
    match command {
        Command::OpenRunbook { runbook: id, pin } => {
            let runbook = runbooks
                .runbook(id)
                .ok_or_else(|| CommandError::UnknownRunbook(id.clone()))?;
            if let Some(open) = state.runbook(id) {
                let v = &open.version;
                if v.commit == pin.commit
                    && v.blob == pin.blob
                    && v.dirty == pin.dirty
                    && v.unencrypted == pin.unencrypted
                    && v.title == runbook.title
                {
                    return Err(CommandError::RunbookAlreadyOpen(id.clone()));
                }
            }
            let mut events = vec![Event::RunbookOpened {
                runbook: id.clone(),
                title: runbook.title.clone(),
                commit: pin.commit.clone(),
                blob: pin.blob.clone(),
                dirty: pin.dirty,
                unencrypted: pin.unencrypted,
                trust: pin.trust.clone(),
            }];
            if runbook.clocks.iter().any(|c| c.starts_at_awareness()) {
                // A deadline from awareness needs the time: when nobody gave
                // it, it is taken as now, and the journal says so.
                let aware = match &state.awareness {
                    Some(a) => a.at,
                    None => {
                        events.push(Event::Awareness {
                            at: clock_now.to_rfc3339_opts(SecondsFormat::Millis, true),
                            reason: Some(
                                "not given when the runbook was opened: taken as then".to_owned(),
                            ),
                        });
                        clock_now
                    }
                };
                events.extend(awareness_clocks(
                    state,
                    runbook,
                    runbooks.calendar(),
                    aware,
                )?);
            }
            Ok(events)
        }
        Command::Start(at) => {
            let found = find(state, runbooks, at)?;
            match found.status {
                StepStatus::Todo => Ok(vec![Event::StepStarted {
                    runbook: at.runbook.clone(),
                    step: at.step.clone(),
                }]),
                StepStatus::Started => Err(CommandError::AlreadyStarted {
                    step: found.id(),
                    seq: found.seq,
                }),
                StepStatus::Blocked { reason, .. } => Err(CommandError::Blocked {
                    step: found.id(),
                    reason: reason.clone(),
                }),
                StepStatus::Done => Err(CommandError::AlreadyDone {
                    step: found.id(),
                    seq: found.seq,
                }),
                StepStatus::Skipped { .. } => Err(CommandError::AlreadySkipped {
                    step: found.id(),
                    seq: found.seq,
                }),
            }
        }
        Command::Done(at) => {
            let found = find(state, runbooks, at)?;
            if found.step.decision.is_some() {
                return Err(CommandError::IsDecision { step: found.id() });
            }
            found.refuse_done()?;
            let mut events = found.unblock_first();
            events.push(Event::StepDone {
                runbook: at.runbook.clone(),
                step: at.step.clone(),
            });
            events.extend(completion(
                state,
                found.runbook,
                runbooks.calendar(),
                &at.step,
                clock_now,
            )?);
            Ok(events)
        }
        Command::Skip { step: at, reason } => {
            let found = find(state, runbooks, at)?;
            found.refuse_done()?;
            found.refuse_skipped()?;
            let reason = required(reason, "a reason is required to skip a step")?;
            let mut events = found.unblock_first();
            events.push(Event::StepSkipped {
                runbook: at.runbook.clone(),
                step: at.step.clone(),
                reason,
            });
            Ok(events)
        }
        Command::Tick { step: at, check } => {
            let found = find(state, runbooks, at)?;
            let text = found.check(*check)?;
            if let Some(tick) = state
                .step(&at.runbook, &at.step)
                .and_then(|s| s.ticked.get(check))
            {
                return Err(CommandError::AlreadyTicked {
                    step: found.id(),
                    check: text.clone(),
                    seq: tick.stamp.seq,
                });
            }
            Ok(vec![Event::CheckTicked {
                runbook: at.runbook.clone(),
                step: at.step.clone(),
                check: *check,
                text: text.clone(),
            }])
        }
        Command::Decide {
            step: at,
            option,
            rationale,
        } => {
            let found = find(state, runbooks, at)?;
            let decision = found
                .step
                .decision
                .as_ref()
                .ok_or_else(|| CommandError::NotDecision { step: found.id() })?;
            if let Some(taken) = state
                .step(&at.runbook, &at.step)
                .and_then(|s| s.decision.as_ref())
            {
                return Err(CommandError::AlreadyDecided {
                    step: found.id(),
                    option: taken.option.clone(),
                    seq: taken.stamp.seq,
                });
            }
            found.refuse_done()?;
            let chosen =
                decision
                    .options
                    .get(*option)
                    .ok_or_else(|| CommandError::NoSuchOption {
                        step: found.id(),
                        index: *option,
                        count: decision.options.len(),
                    })?;
            let rationale = required(rationale, "a rationale is required for a decision")?;
            let mut events = found.unblock_first();
            events.push(Event::Decision {
                runbook: at.runbook.clone(),
                step: at.step.clone(),
                option: chosen.label.clone(),
                goto: chosen.goto.to_string(),
                rationale,
            });
            events.extend(completion(
                state,
                found.runbook,
                runbooks.calendar(),
                &at.step,
                clock_now,
            )?);
            Ok(events)
        }
        Command::Block { step: at, reason } => {
            let found = find(state, runbooks, at)?;
            found.refuse_done()?;
            found.refuse_skipped()?;
            if let StepStatus::Blocked { reason, .. } = found.status {
                return Err(CommandError::AlreadyBlocked {
                    step: found.id(),
                    reason: reason.clone(),
                });
            }
            let reason = required(reason, "a reason is required to block a step")?;
            Ok(vec![Event::StepBlocked {
                runbook: at.runbook.clone(),
                step: at.step.clone(),
                reason,
            }])
        }
        Command::Unblock(at) => {
            let found = find(state, runbooks, at)?;
            match found.status {
                StepStatus::Blocked { .. } => Ok(found.unblock_first()),
                _ => Err(CommandError::NotBlocked { step: found.id() }),
            }
        }
        Command::Note { text, happened_at } => {
            let text = required(text, "a note needs some text")?;
            if let Some(t) = happened_at {
                let utc = t.with_timezone(&Utc);
                if utc > now {
                    return Err(CommandError::InFuture {
                        happened_at: utc,
                        now,
                    });
                }
            }
            Ok(vec![Event::Note {
                text,
                happened_at: happened_at.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            }])
        }
        Command::SetAwareness { at, reason } => {
            let utc = at.with_timezone(&Utc);
            if utc > now.max(clock_now) {
                return Err(CommandError::AwarenessInFuture { at: utc, now });
            }
            let reason = optional(reason);
            let mut events = vec![Event::Awareness {
                at: at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                reason,
            }];
            // Clocks already running move in the fold; open runbooks whose
            // awareness clocks have not started yet start them now.
            for open in &state.runbooks {
                if let Some(runbook) = runbooks.runbook(&open.id) {
                    events.extend(awareness_clocks(state, runbook, runbooks.calendar(), utc)?);
                }
            }
            Ok(events)
        }
        Command::Correct { of, replacement } => {
            match state.entry_kind(*of) {
                None => return Err(CommandError::NoSuchEntry(*of)),
                Some(Some("session_started")) => return Err(CommandError::CorrectsSession(*of)),
                Some(_) => {}
            }
            let replacement = required(replacement, "a correction needs the corrected text")?;
            Ok(vec![Event::Correction {
                of: *of,
                replacement,
            }])
        }
        Command::ChangeActor { name, role } => {
            let name = required(name, "the person at the keyboard needs a name")?;
            let role = role.trim().to_owned();
            if state
                .actor
                .as_ref()
                .is_some_and(|a| a.name == name && a.role == role)
            {
                return Err(CommandError::SameActor { name, role });
            }
            Ok(vec![Event::ActorChanged { name, role }])
        }
        Command::EndSession { reason } => {
            if !state.sessions.open {
                return Err(CommandError::NoSession);
            }
            let reason = optional(reason);
            Ok(vec![Event::SessionEnded { reason }])
        }
        Command::Untick { step: at, check } => {
            let found = find(state, runbooks, at)?;
            let text = found.check(*check)?;
            let ticked = state
                .step(&at.runbook, &at.step)
                .is_some_and(|s| s.ticked.contains_key(check));
            if !ticked {
                return Err(CommandError::NotTicked {
                    step: found.id(),
                    check: text.clone(),
                });
            }
            Ok(vec![Event::CheckUnticked {
                runbook: at.runbook.clone(),
                step: at.step.clone(),
                check: *check,
            }])
        }
        Command::RecordBreaches => Ok(due_breaches(state, clock_now)),
        Command::StartExercise {
            exercise,
            title,
            digest,
            speed,
            manual,
            paused,
        } => {
            if let Some(start) = &state.exercise_start {
                return Err(CommandError::ExerciseStarted(start.stamp.seq));
            }
            let speed = speed_in_range(*speed)?;
            let mut events = vec![Event::ExerciseStarted {
                exercise: exercise.clone(),
                title: title.clone(),
                digest: digest.clone(),
                speed,
                manual: *manual,
            }];
            if *paused {
                // In the same append as T+0, so no moment of play passes
                // before the facilitator starts the clock.
                events.push(Event::ExerciseClock {
                    change: ClockChange::Paused,
                    ex_t: 0,
                    speed,
                    manual: *manual,
                });
            }
            Ok(events)
        }
        Command::SignIn {
            name,
            role,
            team,
            capacity,
        } => {
            in_exercise(&play)?;
            let capacity = capacity.trim().to_lowercase();
            if !CAPACITIES.contains(&capacity.as_str()) {
                return Err(CommandError::NoSuchCapacity(capacity));
            }
            Ok(vec![Event::SignedIn {
                name: required(name, "a sign-in needs a name")?,
                role: required(role, "a sign-in needs a role")?,
                team: optional(team),
                capacity,
            }])
        }
        Command::DeliverInject {
            inject,
            from,
            channel,
            text,
            to,
        } => {
            in_exercise(&play)?;
            let channel = required(channel, "an inject needs a channel")?;
            if !CHANNELS.contains(&channel.as_str()) {
                return Err(CommandError::Channel(channel));
            }
            Ok(vec![Event::InjectDelivered {
                inject: inject.trim().to_owned(),
                from: required(from, "an inject needs who it is from")?,
                channel,
                text: required(text, "an inject needs its text")?,
                to: optional(to),
            }])
        }
        Command::Score {
            inject,
            expectation,
            outcome,
            evidence,
            comment,
        } => {
            in_exercise(&play)?;
            let outcome = outcome.trim().to_lowercase();
            if !OUTCOMES.contains(&outcome.as_str()) {
                return Err(CommandError::Outcome(outcome));
            }
            if let Some(seq) = evidence
                && state.entry_kind(*seq).is_none()
            {
                return Err(CommandError::NoSuchEvidence(*seq));
            }
            Ok(vec![Event::ExpectationScored {
                inject: required(inject, "a score needs the inject")?,
                expectation: required(expectation, "a score needs the expectation")?,
                score: outcome,
                evidence: *evidence,
                comment: Some(required(
                    comment,
                    "a score needs a comment: what was seen that earns it",
                )?),
            }])
        }
        Command::Lesson {
            category,
            text,
            owner,
            due,
        } => {
            in_exercise(&play)?;
            let due = optional(due);
            // Caught now, while the facilitator can say it again, rather
            // than found by the audit as a lesson with no due date.
            if let Some(written) = &due
                && crate::calendar::due_date(written, now).is_err()
            {
                return Err(CommandError::DueDate(written.clone()));
            }
            Ok(vec![Event::LessonRecorded {
                category: *category,
                text: required(text, "a lesson needs some text")?,
                owner: optional(owner),
                due,
            }])
        }
        Command::Clock(request) => {
            in_exercise(&play)?;
            clock_change(&play, *request, now).map(|e| vec![e])
        }
        Command::AddDeadline { label, due, basis } => {
            let label = required(label, "a deadline needs a label: what must happen by then")?;
            let clock = format!(
                "deadline-{}",
                state.clocks.iter().filter(|c| c.runbook == AD_HOC).count() + 1
            );
            let due_at = match due {
                DeadlineDue::At(at) => Some(at.with_timezone(&Utc)),
                DeadlineDue::After(period) => runbooks.calendar().due(*period, clock_now),
            }
            .ok_or_else(|| CommandError::DeadlineOutOfRange {
                runbook: AD_HOC.to_owned(),
                clock: clock.clone(),
            })?;
            Ok(vec![Event::ClockStarted {
                runbook: AD_HOC.to_owned(),
                clock,
                label,
                due_at: due_at.to_rfc3339_opts(SecondsFormat::Millis, true),
                anchor: None,
                case: None,
                basis: optional(basis),
            }])
        }
        Command::MeetDeadline { clock } => {
            let found = state
                .clock(AD_HOC, clock)
                .ok_or_else(|| CommandError::UnknownDeadline(clock.clone()))?;
            if let Some(met) = &found.met {
                return Err(CommandError::DeadlineMet {
                    clock: clock.clone(),
                    seq: met.seq,
                });
            }
            Ok(vec![Event::ClockMet {
                runbook: AD_HOC.to_owned(),
                clock: clock.clone(),
                case: None,
            }])
        }
        Command::AddCase {
            runbook,
            kind,
            reference,
            received_at,
            fields,
        } => super::cases::add(
            state,
            runbooks,
            super::cases::NewCase {
                runbook,
                kind: kind.as_deref(),
                reference,
                received_at: *received_at,
                fields,
            },
            clock_now,
            now.max(clock_now),
        ),
        Command::CaseDone { reference, step } => {
            super::cases::done(state, runbooks, reference, step)
        }
        Command::CaseKeyed { reference } => {
            let case = state
                .case(reference.trim())
                .ok_or_else(|| CommandError::UnknownCase(reference.clone()))?;
            if let Some(keyed) = &case.keyed {
                return Err(CommandError::AlreadyKeyed {
                    reference: case.reference.clone(),
                    seq: keyed.seq,
                });
            }
            Ok(vec![Event::CaseKeyed {
                reference: case.reference.clone(),
            }])
        }
    }
}

/// Optional text, trimmed; `None` when empty.
fn optional(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// True for what counts as play in an exercise, refused after ENDEX:
/// everything but lessons learned, corrections of the record, who is at the
/// keyboard, the end of the session, and the deadlines a clock passes on its
/// own.
/// Why nothing is played now: play has ended (ENDEX) or NO DUTY holds it;
/// `None` while play goes on, and outside an exercise. `decide` refuses
/// every action of play with it; a front end asks first, so no dialog
/// gathers what would be refused.
pub fn play_stopped(state: &ResponseState) -> Option<CommandError> {
    let play = PlayClock::of(state);
    if play.ended {
        let seq = state
            .exercise_clock
            .iter()
            .find(|c| c.change == ClockChange::Ended)
            .map_or(0, |c| c.stamp.seq);
        return Some(CommandError::ExerciseEnded { seq });
    }
    if play.no_duty {
        let seq = state
            .exercise_clock
            .iter()
            .rfind(|c| c.change == ClockChange::NoDuty)
            .map_or(0, |c| c.stamp.seq);
        return Some(CommandError::NoDuty { seq });
    }
    None
}

fn plays(command: &Command) -> bool {
    !matches!(
        command,
        Command::Lesson { .. }
            | Command::SignIn { .. }
            | Command::Correct { .. }
            | Command::ChangeActor { .. }
            | Command::EndSession { .. }
            | Command::RecordBreaches
    )
}

/// Checks that `actor` may give `command` in the capacity they signed in
/// with, once a facilitator has signed in to the exercise (before that, and
/// outside exercises, anyone may do anything): a facilitator's or
/// observer's work on the runbooks would be scored as the players', and a
/// player's inject or score would read as the facilitator's. Notes, sign-ins,
/// corrections and opening runbooks are anyone's.
pub fn check_capacity(
    state: &ResponseState,
    actor: &crate::journal::Actor,
    command: &Command,
) -> Result<(), CommandError> {
    if !state.signed_in.iter().any(|s| s.capacity == "facilitator") {
        return Ok(());
    }
    let capacity = state.signed_in_as(actor).map(|s| s.capacity.as_str());
    let refuse = |signed: String, needs| {
        Err(CommandError::Capacity {
            name: actor.name.clone(),
            role: actor.role.clone(),
            signed,
            needs,
        })
    };
    match command {
        Command::Start(_)
        | Command::Done(_)
        | Command::Skip { .. }
        | Command::Tick { .. }
        | Command::Untick { .. }
        | Command::Decide { .. }
        | Command::Block { .. }
        | Command::Unblock(_) => match capacity {
            Some(c @ ("facilitator" | "observer")) => refuse(
                format!("as {c}"),
                "work on the runbooks is a player's (sign a player in and hand over)",
            ),
            _ => Ok(()),
        },
        Command::DeliverInject { .. }
        | Command::Score { .. }
        | Command::Clock(_)
        | Command::Lesson { .. }
            if capacity != Some("facilitator") =>
        {
            refuse(
                "not as facilitator".to_owned(),
                "injects, scores, the clock and lessons are the facilitator's",
            )
        }
        _ => Ok(()),
    }
}

/// True for what still goes in while play is suspended (NO DUTY): taking
/// play up again, or ending it for good.
fn resumes(command: &Command) -> bool {
    matches!(
        command,
        Command::Clock(ClockRequest::Resume | ClockRequest::End)
    )
}
/// Refuses a facilitator's action outside an exercise.
fn in_exercise(play: &PlayClock) -> Result<(), CommandError> {
    if play.started {
        Ok(())
    } else {
        Err(CommandError::NoExercise)
    }
}

fn speed_in_range(speed: u32) -> Result<u32, CommandError> {
    if (1..=60).contains(&speed) {
        Ok(speed)
    } else {
        Err(CommandError::Speed(speed))
    }
}

/// The `exercise_clock` event a request makes, at the exercise time the
/// journal's clock reads at `now` (ENDEX was checked before).
fn clock_change(
    play: &PlayClock,
    request: ClockRequest,
    now: DateTime<Utc>,
) -> Result<Event, CommandError> {
    let ex_t = play.at(now).unwrap_or(0);
    let (mut speed, mut manual) = (play.speed, play.manual);
    let (change, ex_t) = match request {
        ClockRequest::Pause if play.paused => {
            return Err(CommandError::ClockState("already paused"));
        }
        ClockRequest::Pause => (ClockChange::Paused, ex_t),
        ClockRequest::Resume if !play.paused => return Err(CommandError::ClockState("not paused")),
        ClockRequest::Resume => (ClockChange::Resumed, ex_t),
        ClockRequest::Speed(to) => {
            speed = speed_in_range(to)?;
            (ClockChange::Speed, ex_t)
        }
        ClockRequest::Manual(on) => {
            manual = on;
            (ClockChange::Mode, ex_t)
        }
        ClockRequest::JumpTo(to) if to < ex_t => {
            return Err(CommandError::Backwards { from: ex_t, to });
        }
        ClockRequest::JumpTo(to) => (ClockChange::Jumped, to),
        ClockRequest::End => (ClockChange::Ended, ex_t),
        ClockRequest::NoDuty if play.no_duty => {
            return Err(CommandError::ClockState("already suspended (NO DUTY)"));
        }
        ClockRequest::NoDuty => (ClockChange::NoDuty, ex_t),
    };
    Ok(Event::ExerciseClock {
        change,
        ex_t,
        speed,
        manual,
    })
}

/// The clock events that completing `step` of `runbook` implies: clocks it
/// starts (met at once when their `met_by` step is already done) and running
/// clocks it meets.
fn completion(
    state: &ResponseState,
    runbook: &Runbook,
    calendar: &Calendar,
    step: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, CommandError> {
    let mut events = Vec::new();
    for clock in &runbook.clocks {
        let existing = state.clock(&runbook.id, &clock.id);
        let met_by = clock.met_by.as_deref();
        let starts = existing.is_none() && clock.starts_on == step;
        if starts {
            // Started by a step, counted from awareness: the ICO's 72 hours
            // begin when the council became aware, not when the DPO said so.
            // Nobody gave that time yet: it is taken as now, and the journal
            // says so (a correction moves the deadline).
            let from = match (clock.from_awareness(), &state.awareness) {
                (false, _) => now,
                (true, Some(aware)) => aware.at,
                (true, None) => {
                    if !events.iter().any(|e| matches!(e, Event::Awareness { .. })) {
                        events.push(Event::Awareness {
                            at: now.to_rfc3339_opts(SecondsFormat::Millis, true),
                            reason: Some(
                                "not given when the first deadline from awareness started: taken as then"
                                    .to_owned(),
                            ),
                        });
                    }
                    now
                }
            };
            let anchor = awareness_anchor(clock).filter(|_| clock.from_awareness());
            events.push(clock_started(runbook, clock, calendar, from, anchor)?);
        }
        let meets = match existing {
            Some(c) => c.met.is_none() && met_by == Some(step),
            None if starts => {
                met_by == Some(step)
                    || met_by.is_some_and(|m| *state.status(&runbook.id, m) == StepStatus::Done)
            }
            None => false,
        };
        if meets {
            events.push(Event::ClockMet {
                runbook: runbook.id.clone(),
                clock: clock.id.clone(),
                case: None,
            });
        }
    }
    Ok(events)
}

/// `clock_started` for `clock`, due its `due_after` from `from` on
/// `calendar`'s working days.
fn clock_started(
    runbook: &Runbook,
    clock: &crate::runbook::Clock,
    calendar: &Calendar,
    from: DateTime<Utc>,
    anchor: Option<ClockAnchor>,
) -> Result<Event, CommandError> {
    let due_at =
        calendar
            .due(clock.due_after, from)
            .ok_or_else(|| CommandError::DeadlineOutOfRange {
                runbook: runbook.id.clone(),
                clock: clock.id.clone(),
            })?;
    Ok(Event::ClockStarted {
        runbook: runbook.id.clone(),
        clock: clock.id.clone(),
        label: clock.label.clone(),
        due_at: due_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        anchor,
        case: None,
        basis: None,
    })
}

/// What a clock from awareness records, so that a correction of the time
/// of awareness moves it. Lint keeps such a clock exact: the fold moves it
/// by seconds.
fn awareness_anchor(clock: &crate::runbook::Clock) -> Option<ClockAnchor> {
    match clock.due_after {
        Period::Exact(d) => Some(ClockAnchor {
            from: crate::runbook::AWARENESS.to_owned(),
            after_s: d.as_secs(),
        }),
        Period::WorkingDays(_) | Period::Months(_) => None,
    }
}

/// The clocks of `runbook` that start at awareness and have not started:
/// started from `aware`, and met at once when their `met_by` step is done.
fn awareness_clocks(
    state: &ResponseState,
    runbook: &Runbook,
    calendar: &Calendar,
    aware: DateTime<Utc>,
) -> Result<Vec<Event>, CommandError> {
    let mut events = Vec::new();
    for clock in runbook.clocks.iter().filter(|c| c.starts_at_awareness()) {
        if state.clock(&runbook.id, &clock.id).is_some() {
            continue;
        }
        let anchor = awareness_anchor(clock);
        events.push(clock_started(runbook, clock, calendar, aware, anchor)?);
        if clock
            .met_by
            .as_deref()
            .is_some_and(|m| *state.status(&runbook.id, m) == StepStatus::Done)
        {
            events.push(Event::ClockMet {
                runbook: runbook.id.clone(),
                clock: clock.id.clone(),
                case: None,
            });
        }
    }
    Ok(events)
}

/// `clock_breached` for each clock past due at `now`, neither met nor already
/// breached. The screen calls this on each tick, so a breach is journaled when
/// it happens even if nobody presses a key.
pub fn due_breaches(state: &ResponseState, now: DateTime<Utc>) -> Vec<Event> {
    state
        .clocks
        .iter()
        .filter(|c| c.met.is_none() && c.breached.is_none() && now > c.due_at)
        .map(|c| Event::ClockBreached {
            runbook: c.runbook.clone(),
            clock: c.clock.clone(),
            case: c.case.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone as _};

    use super::*;
    use crate::response::testkit::{RB, Sim, open, t0};

    fn at(step: &str) -> StepRef {
        StepRef::new(RB, step)
    }

    fn done(step: &str) -> Command {
        Command::Done(at(step))
    }

    fn skip(step: &str, reason: &str) -> Command {
        Command::Skip {
            step: at(step),
            reason: reason.to_owned(),
        }
    }

    fn block(step: &str, reason: &str) -> Command {
        Command::Block {
            step: at(step),
            reason: reason.to_owned(),
        }
    }

    fn decide_cmd(option: usize, rationale: &str) -> Command {
        Command::Decide {
            step: at("assess"),
            option,
            rationale: rationale.to_owned(),
        }
    }

    fn step_event(kind: &str, step: &str) -> Event {
        let (runbook, step) = (RB.to_owned(), step.to_owned());
        match kind {
            "done" => Event::StepDone { runbook, step },
            "started" => Event::StepStarted { runbook, step },
            "unblocked" => Event::StepUnblocked { runbook, step },
            _ => unreachable!(),
        }
    }

    fn clock(kind: &str, clock: &str) -> Event {
        let (runbook, clock) = (RB.to_owned(), clock.to_owned());
        match kind {
            "met" => Event::ClockMet {
                runbook,
                clock,
                case: None,
            },
            "breached" => Event::ClockBreached {
                runbook,
                clock,
                case: None,
            },
            _ => unreachable!(),
        }
    }

    fn started(clock: &str, label: &str, due_at: DateTime<Utc>) -> Event {
        Event::ClockStarted {
            runbook: RB.to_owned(),
            clock: clock.to_owned(),
            label: label.to_owned(),
            due_at: due_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            anchor: None,
            case: None,
            basis: None,
        }
    }

    #[test]
    fn open_runbook_pins_the_version_with_the_title_from_the_library() {
        let mut sim = Sim::new();
        assert_eq!(
            sim.run(&open(RB)).unwrap(),
            [Event::RunbookOpened {
                runbook: RB.to_owned(),
                title: "Test flow".to_owned(),
                commit: Some("c0ffee".to_owned()),
                blob: Some("b10b".to_owned()),
                dirty: false,
                unencrypted: false,
                trust: "signed by ict-security".to_owned(),
            }]
        );
        assert_eq!(
            sim.refuse(&open(RB)),
            "runbook `t/flow` is already open at this version"
        );
        assert_eq!(
            sim.refuse(&open("cyber/nope")),
            "runbook `cyber/nope` is not in the library"
        );
        // A newer version of the same runbook is recorded.
        let newer = Command::OpenRunbook {
            runbook: RB.to_owned(),
            pin: RunbookPin {
                blob: Some("b10b2".to_owned()),
                ..RunbookPin::default()
            },
        };
        assert_eq!(sim.run(&newer).unwrap().len(), 1);
        assert_eq!(sim.state.runbook(RB).unwrap().earlier.len(), 1);
    }

    #[test]
    fn step_commands_need_the_runbook_open_and_the_step_to_exist() {
        let mut sim = Sim::new();
        assert_eq!(
            sim.refuse(&done("triage")),
            "runbook `t/flow` is not open in this response: open it first"
        );
        assert_eq!(
            sim.refuse(&Command::Done(StepRef::new("cyber/nope", "triage"))),
            "runbook `cyber/nope` is not in the library"
        );
        sim.run(&open(RB)).unwrap();
        assert_eq!(
            sim.refuse(&done("nope")),
            "runbook `t/flow` has no step `nope`"
        );
    }

    #[test]
    fn start_once_and_only_from_to_do() {
        let mut sim = Sim::opened();
        assert_eq!(
            sim.run(&Command::Start(at("triage"))).unwrap(),
            [step_event("started", "triage")]
        );
        assert_eq!(
            sim.refuse(&Command::Start(at("triage"))),
            "step `triage` is already started (seq 3)"
        );
        sim.run(&done("triage")).unwrap();
        assert_eq!(
            sim.refuse(&Command::Start(at("triage"))),
            "step `triage` is already done (seq 4)"
        );
        sim.run(&skip("report", "Done by the DPO")).unwrap();
        assert_eq!(
            sim.refuse(&Command::Start(at("report"))),
            "step `report` is already skipped (seq 6)"
        );
        sim.run(&block("notify", "DPO on leave")).unwrap();
        assert_eq!(
            sim.refuse(&Command::Start(at("notify"))),
            "step `notify` is blocked (DPO on leave): unblock it first"
        );
    }

    #[test]
    fn done_starts_the_clocks_the_step_starts() {
        let mut sim = Sim::opened();
        let now = sim.now;
        assert_eq!(
            sim.run(&done("triage")).unwrap(),
            [
                step_event("done", "triage"),
                started(
                    "callback",
                    "Call the reporter back",
                    now + TimeDelta::hours(1)
                ),
            ]
        );
        assert_eq!(
            sim.refuse(&done("triage")),
            "step `triage` is already done (seq 3)"
        );
        assert_eq!(
            sim.refuse(&done("assess")),
            "step `assess` is a decision: choose an option"
        );
    }

    #[test]
    fn working_day_clocks_count_on_the_library_calendar() {
        let mut sim = Sim::opened();
        sim.runbooks[0].clocks[1].due_after = Period::WorkingDays(1);
        // Friday 28 August 2026, 16:40 BST; Monday 31st is a bank holiday
        // in England and Wales, not in Scotland.
        sim.now = Utc.with_ymd_and_hms(2026, 8, 28, 15, 40, 0).unwrap();
        let due_on = |calendar: &Calendar| {
            let rules = OnCalendar {
                runbooks: &sim.runbooks,
                calendar,
            };
            let events = decide(&sim.state, &rules, &done("triage"), sim.now).unwrap();
            match &events[1] {
                Event::ClockStarted { due_at, .. } => due_at.clone(),
                other => panic!("{other:?}"),
            }
        };
        // End of Tuesday 1 September, BST.
        assert_eq!(due_on(&Calendar::default()), "2026-09-01T22:59:59.000Z");
        assert_eq!(
            due_on(&Calendar::uk(crate::calendar::Jurisdiction::Scotland)),
            "2026-08-31T22:59:59.000Z"
        );
    }

    #[test]
    fn done_meets_running_clocks_and_a_clock_whose_step_is_already_done_is_met_at_once() {
        let mut sim = Sim::opened();
        sim.run(&done("triage")).unwrap();
        let now = sim.now;
        assert_eq!(
            sim.run(&done("notify")).unwrap(),
            [
                step_event("done", "notify"),
                clock("met", "callback"),
                started(
                    "after",
                    "Confirm triage in writing",
                    now + TimeDelta::hours(2)
                ),
                clock("met", "after"),
            ]
        );
        assert!(sim.state.anomalies.is_empty());
        assert!(sim.state.clock(RB, "callback").unwrap().met.is_some());
    }

    #[test]
    fn a_met_by_step_done_before_its_clock_started_does_not_meet_it_then() {
        let mut sim = Sim::opened();
        // `report` meets `ico`, which only starts on the decision.
        assert_eq!(
            sim.run(&done("report")).unwrap(),
            [step_event("done", "report")]
        );
        let events = sim
            .run(&decide_cmd(0, "Unsure: case files on the share"))
            .unwrap();
        assert_eq!(events.len(), 3);
        assert_eq!(events[2], clock("met", "ico"));
    }

    #[test]
    fn done_on_a_blocked_step_lifts_the_block_first_and_on_a_skipped_one_is_allowed() {
        let mut sim = Sim::opened();
        sim.run(&block("wrap", "Waiting for Gold")).unwrap();
        assert_eq!(
            sim.run(&done("wrap")).unwrap(),
            [step_event("unblocked", "wrap"), step_event("done", "wrap")]
        );
        sim.run(&skip("report", "Not reportable")).unwrap();
        assert_eq!(
            sim.run(&done("report")).unwrap(),
            [step_event("done", "report")]
        );
        assert!(sim.state.anomalies.is_empty());
    }

    #[test]
    fn skip_needs_a_reason_and_is_trimmed() {
        let mut sim = Sim::opened();
        assert_eq!(
            sim.refuse(&skip("triage", " \n\t ")),
            "a reason is required to skip a step"
        );
        assert_eq!(
            sim.run(&skip("triage", "  Reported by phone already \n"))
                .unwrap(),
            [Event::StepSkipped {
                runbook: RB.to_owned(),
                step: "triage".to_owned(),
                reason: "Reported by phone already".to_owned(),
            }]
        );
        assert_eq!(
            sim.refuse(&skip("triage", "again")),
            "step `triage` is already skipped (seq 3)"
        );
        sim.run(&done("report")).unwrap();
        // The step is checked before the text.
        assert_eq!(
            sim.refuse(&skip("report", "")),
            "step `report` is already done (seq 4)"
        );
        sim.run(&block("wrap", "Gold")).unwrap();
        let events = sim.run(&skip("wrap", "No debrief needed")).unwrap();
        assert_eq!(events[0], step_event("unblocked", "wrap"));
        assert!(sim.state.anomalies.is_empty());
    }

    #[test]
    fn tick_checks_by_index_once() {
        let mut sim = Sim::opened();
        let tick = |check| Command::Tick {
            step: at("triage"),
            check,
        };
        assert_eq!(
            sim.run(&tick(1)).unwrap(),
            [Event::CheckTicked {
                runbook: RB.to_owned(),
                step: "triage".to_owned(),
                check: 1,
                text: "Written down".to_owned(),
            }]
        );
        assert_eq!(
            sim.refuse(&tick(1)),
            "check \"Written down\" of step `triage` is already ticked (seq 3)"
        );
        assert_eq!(
            sim.refuse(&tick(2)),
            "step `triage` has 2 checks; index 2 is out of range"
        );
        assert_eq!(
            sim.refuse(&Command::Tick {
                step: at("assess"),
                check: 0
            }),
            "step `assess` has no checks; index 0 is out of range"
        );
        sim.run(&done("triage")).unwrap();
        sim.run(&tick(0)).unwrap();
    }

    #[test]
    fn decide_records_the_option_where_it_leads_and_why() {
        let mut sim = Sim::opened();
        let now = sim.now;
        assert_eq!(
            sim.run(&decide_cmd(0, "  Case files were on the share "))
                .unwrap(),
            [
                Event::Decision {
                    runbook: RB.to_owned(),
                    step: "assess".to_owned(),
                    option: "Yes or unsure".to_owned(),
                    goto: "notify".to_owned(),
                    rationale: "Case files were on the share".to_owned(),
                },
                started("ico", "Report to the ICO", now + TimeDelta::hours(72)),
            ]
        );
        assert_eq!(
            sim.refuse(&decide_cmd(1, "changed my mind")),
            "step `assess` is already decided: \"Yes or unsure\" (seq 3); to change it, correct that entry"
        );
    }

    #[test]
    fn decide_refusals() {
        let mut sim = Sim::opened();
        assert_eq!(
            sim.refuse(&decide_cmd(2, "why")),
            "step `assess` has 2 options; index 2 is out of range"
        );
        assert_eq!(
            sim.refuse(&decide_cmd(1, "  ")),
            "a rationale is required for a decision"
        );
        assert_eq!(
            sim.refuse(&Command::Decide {
                step: at("triage"),
                option: 0,
                rationale: "why".to_owned()
            }),
            "step `triage` has no decision to take"
        );
        let events = sim.run(&decide_cmd(1, "Public website only")).unwrap();
        assert_eq!(
            events,
            [
                Event::Decision {
                    runbook: RB.to_owned(),
                    step: "assess".to_owned(),
                    option: "No".to_owned(),
                    goto: "end".to_owned(),
                    rationale: "Public website only".to_owned(),
                },
                started(
                    "ico",
                    "Report to the ICO",
                    t0() + TimeDelta::minutes(2) + TimeDelta::hours(72)
                ),
            ]
        );
    }

    #[test]
    fn a_blocked_decision_is_unblocked_by_deciding() {
        let mut sim = Sim::opened();
        sim.run(&block("assess", "Waiting for the DPO")).unwrap();
        let events = sim.run(&decide_cmd(0, "DPO says unsure")).unwrap();
        assert_eq!(events[0], step_event("unblocked", "assess"));
        assert!(matches!(events[1], Event::Decision { .. }));
        assert!(sim.state.anomalies.is_empty());
    }

    #[test]
    fn block_and_unblock() {
        let mut sim = Sim::opened();
        assert_eq!(
            sim.refuse(&block("notify", "")),
            "a reason is required to block a step"
        );
        assert_eq!(
            sim.run(&block("notify", "DPO on leave")).unwrap(),
            [Event::StepBlocked {
                runbook: RB.to_owned(),
                step: "notify".to_owned(),
                reason: "DPO on leave".to_owned(),
            }]
        );
        assert_eq!(
            sim.refuse(&block("notify", "again")),
            "step `notify` is already blocked (DPO on leave)"
        );
        assert_eq!(
            sim.run(&Command::Unblock(at("notify"))).unwrap(),
            [step_event("unblocked", "notify")]
        );
        assert_eq!(
            sim.refuse(&Command::Unblock(at("notify"))),
            "step `notify` is not blocked"
        );
        sim.run(&done("triage")).unwrap();
        assert_eq!(
            sim.refuse(&block("triage", "late")),
            "step `triage` is already done (seq 5)"
        );
        sim.run(&skip("report", "n/a")).unwrap();
        assert_eq!(
            sim.refuse(&block("report", "late")),
            "step `report` is already skipped (seq 7)"
        );
    }

    #[test]
    fn notes_need_text_and_cannot_be_about_the_future() {
        let mut sim = Sim::new();
        let note = |text: &str, happened_at| Command::Note {
            text: text.to_owned(),
            happened_at,
        };
        assert_eq!(sim.refuse(&note(" \n ", None)), "a note needs some text");
        let bst = FixedOffset::east_opt(3600).unwrap();
        let earlier = bst.with_ymd_and_hms(2026, 3, 6, 14, 15, 0).unwrap();
        assert_eq!(
            sim.run(&note("Ransom note on the printer\n", Some(earlier)))
                .unwrap(),
            [Event::Note {
                text: "Ransom note on the printer".to_owned(),
                happened_at: Some("2026-03-06T14:15:00+01:00".to_owned()),
            }]
        );
        assert_eq!(
            sim.state.notes[0].happened_at,
            Some(t0() - TimeDelta::minutes(45))
        );
        let later = bst.with_ymd_and_hms(2026, 3, 6, 16, 0, 0).unwrap();
        assert_eq!(
            sim.refuse(&note("x", Some(later))),
            "a note cannot say something happened at 2026-03-06 15:00:00 UTC, after now (2026-03-06 14:02:00 UTC)"
        );
    }

    #[test]
    fn corrections_point_at_an_earlier_entry_that_is_not_a_session_start() {
        let mut sim = Sim::new();
        sim.run(&Command::Note {
            text: "HR share".to_owned(),
            happened_at: None,
        })
        .unwrap();
        let unreadable = sim.push_entry(None);
        let correct = |of, text: &str| Command::Correct {
            of,
            replacement: text.to_owned(),
        };
        assert_eq!(
            sim.run(&correct(2, " Payroll share, not HR ")).unwrap(),
            [Event::Correction {
                of: 2,
                replacement: "Payroll share, not HR".to_owned(),
            }]
        );
        sim.run(&correct(unreadable, "Sent by mistake")).unwrap();
        assert_eq!(
            sim.refuse(&correct(99, "x")),
            "there is no entry with seq 99 to correct"
        );
        assert_eq!(
            sim.refuse(&correct(1, "x")),
            "seq 1 starts a session and cannot be corrected"
        );
        assert_eq!(
            sim.refuse(&correct(2, "")),
            "a correction needs the corrected text"
        );
        // A correction may itself be corrected.
        sim.run(&correct(4, "Payroll and HR shares")).unwrap();
        assert!(sim.state.is_corrected(4));
    }

    #[test]
    fn change_actor_needs_a_name_and_someone_new() {
        let mut sim = Sim::new();
        let change = |name: &str, role: &str| Command::ChangeActor {
            name: name.to_owned(),
            role: role.to_owned(),
        };
        assert_eq!(
            sim.refuse(&change("Sam", "Incident Lead")),
            "Sam (Incident Lead) is already at the keyboard"
        );
        assert_eq!(
            sim.refuse(&change(" ", "Loggist")),
            "the person at the keyboard needs a name"
        );
        assert_eq!(
            sim.run(&change(" Alex ", " Loggist ")).unwrap(),
            [Event::ActorChanged {
                name: "Alex".to_owned(),
                role: "Loggist".to_owned(),
            }]
        );
        sim.run(&change("Sam", "Incident Lead")).unwrap();
    }

    #[test]
    fn end_session_once() {
        let mut sim = Sim::new();
        assert_eq!(
            sim.run(&Command::EndSession {
                reason: Some("  ".to_owned())
            })
            .unwrap(),
            [Event::SessionEnded { reason: None }]
        );
        assert_eq!(
            sim.refuse(&Command::EndSession { reason: None }),
            "no session is open to end"
        );
    }

    #[test]
    fn a_deadline_beyond_the_calendar_is_refused() {
        let mut sim = Sim::opened();
        sim.runbooks[0].clocks[1].due_after =
            Period::Exact(crate::runbook::Duration::from_secs(u64::MAX));
        assert_eq!(
            sim.refuse(&done("triage")),
            "clock `callback` of runbook `t/flow` would fall due beyond the calendar"
        );
    }

    #[test]
    fn breaches_are_due_only_after_the_deadline_and_only_once() {
        let mut sim = Sim::opened();
        assert!(due_breaches(&sim.state, t0() + TimeDelta::days(30)).is_empty());
        sim.run(&done("triage")).unwrap();
        let due = sim.state.clock(RB, "callback").unwrap().due_at;
        assert!(
            due_breaches(&sim.state, due).is_empty(),
            "due, not past due"
        );
        let late = due + TimeDelta::milliseconds(1);
        let breaches = due_breaches(&sim.state, late);
        assert_eq!(breaches, [clock("breached", "callback")]);
        for e in breaches {
            sim.push(e);
        }
        assert!(due_breaches(&sim.state, late).is_empty());
        // Met late: still met, and never breached again.
        sim.run(&done("notify")).unwrap();
        assert!(sim.state.clock(RB, "callback").unwrap().met.is_some());
        assert!(
            due_breaches(&sim.state, late + TimeDelta::days(9))
                .iter()
                .all(|e| !matches!(e, Event::ClockBreached { clock, .. } if clock == "callback"))
        );
    }

    #[test]
    fn runbook_sources() {
        let rb = crate::response::testkit::flow();
        let vec = vec![rb.clone()];
        let btree: BTreeMap<String, Runbook> = [(RB.to_owned(), rb.clone())].into();
        let hash: HashMap<String, Runbook> = [(RB.to_owned(), rb)].into();
        fn check<R: Runbooks + ?Sized>(source: &R) {
            assert_eq!(
                source.runbook(RB).map(|r| r.title.as_str()),
                Some("Test flow")
            );
            assert!(source.runbook("nope").is_none());
        }
        check(&vec);
        check(vec.as_slice());
        check(&btree);
        check(&hash);
        check(&hash as &dyn Runbooks);
    }

    fn aware_flow() -> crate::runbook::Runbook {
        crate::response::testkit::parse(
            &crate::response::testkit::FLOW
                .replace(r#"starts_on = "assess""#, r#"starts_on = "awareness""#),
            RB,
        )
    }

    fn aware(at: DateTime<Utc>, reason: &str) -> Command {
        Command::SetAwareness {
            at: at.fixed_offset(),
            reason: Some(reason.to_owned()),
        }
    }

    #[test]
    fn a_clock_started_by_a_step_but_counted_from_awareness_moves_with_it() {
        // The ICO clock starts when personal data is confirmed (the
        // decision), so a response without personal data never breaches it.
        let flow = crate::response::testkit::parse(
            &crate::response::testkit::FLOW.replace(
                r#"starts_on = "assess""#,
                "starts_on = \"assess\"\ncounts_from = \"awareness\"",
            ),
            RB,
        );
        // Nobody gave the time: the clock's start takes it as then, and says so.
        let mut untold = Sim::with(vec![flow.clone()]);
        let opened = untold.run(&open(RB)).unwrap();
        assert_eq!(opened.len(), 1, "opening asks nothing: {opened:?}");
        let events = untold.run(&decide_cmd(0, "HR share encrypted")).unwrap();
        assert!(
            matches!(&events[1], Event::Awareness { reason: Some(r), .. } if r.contains("taken as then")),
            "{events:?}"
        );
        let clock = untold.state.clock(RB, "ico").cloned();
        let clock = clock.unwrap_or_else(|| panic!("{events:?}"));
        let aware_at = untold.state.awareness.as_ref().map(|a| a.at);
        assert_eq!(
            Some(clock.due_at),
            aware_at.map(|a| a + TimeDelta::hours(72))
        );
        assert!(clock.anchor.is_some());

        let mut sim = Sim::with(vec![flow]);
        let ten = t0() - TimeDelta::hours(4);
        sim.run(&aware(ten, "ransom note seen")).unwrap();
        sim.run(&open(RB)).unwrap();
        assert!(sim.state.clock(RB, "ico").is_none(), "not started at open");
        sim.now = t0() + TimeDelta::hours(4);
        sim.run(&decide_cmd(0, "HR share encrypted")).unwrap();
        let due = |sim: &Sim| sim.state.clock(RB, "ico").map(|c| c.due_at);
        assert_eq!(due(&sim), Some(ten + TimeDelta::hours(72)));
        let half_nine = ten - TimeDelta::minutes(30);
        sim.run(&aware(half_nine, "photographed at 09:30")).unwrap();
        assert_eq!(due(&sim), Some(half_nine + TimeDelta::hours(72)));
        assert!(sim.state.anomalies.is_empty(), "{:?}", sim.state.anomalies);
    }

    #[test]
    fn the_ico_deadline_counts_from_awareness_and_moves_when_it_is_corrected() {
        let mut sim = Sim::with(vec![aware_flow()]);
        // Aware at 10:00; the response is opened at 14:00.
        let ten = t0() - TimeDelta::hours(4);
        sim.run(&aware(ten, "ransom note seen on the Revenues share"))
            .unwrap();
        let events = sim.run(&open(RB)).unwrap();
        assert!(events.iter().any(|e| matches!(
            e,
            Event::ClockStarted { clock, anchor: Some(a), .. } if clock == "ico" && a.from == "awareness"
        )));
        let due = |sim: &Sim| sim.state.clock(RB, "ico").map(|c| c.due_at);
        assert_eq!(due(&sim), Some(ten + TimeDelta::hours(72)));
        // The DPO is told at 18:00: the deadline does not move.
        sim.now = t0() + TimeDelta::hours(4);
        sim.run(&done("triage")).unwrap();
        sim.run(&decide_cmd(0, "HR share encrypted")).unwrap();
        sim.run(&done("notify")).unwrap();
        assert_eq!(due(&sim), Some(ten + TimeDelta::hours(72)));
        // Corrected to 09:30: every deadline from awareness moves with it.
        let half_nine = ten - TimeDelta::minutes(30);
        sim.run(&aware(half_nine, "the note was photographed at 09:30"))
            .unwrap();
        assert_eq!(due(&sim), Some(half_nine + TimeDelta::hours(72)));
        let awareness = sim.state.awareness.as_ref().unwrap();
        assert_eq!(awareness.at, half_nine);
        assert_eq!(awareness.earlier.len(), 1, "the journal keeps both");
        // A breach journaled against the earlier time is withdrawn when a
        // correction moves the deadline past it.
        sim.now = half_nine + TimeDelta::hours(72) + TimeDelta::minutes(1);
        for event in due_breaches(&sim.state, sim.now) {
            sim.push(event);
        }
        assert!(sim.state.clock(RB, "ico").unwrap().breached.is_some());
        sim.run(&aware(
            ten + TimeDelta::hours(1),
            "the 09:30 note was a test",
        ))
        .unwrap();
        let clock = sim.state.clock(RB, "ico").unwrap();
        assert!(clock.breached.is_none());
        assert_eq!(clock.withdrawn.len(), 1);
        // A time of awareness in the future is refused.
        let later = sim.now + TimeDelta::hours(1);
        assert!(
            sim.refuse(&aware(later, "typo")).contains("is after now"),
            "refused"
        );
    }

    #[test]
    fn a_runbook_with_deadlines_from_awareness_takes_now_when_no_time_was_given() {
        let mut sim = Sim::with(vec![aware_flow()]);
        let events = sim.run(&open(RB)).unwrap();
        let kinds: Vec<&str> = events.iter().map(Event::kind).collect();
        assert_eq!(kinds, ["runbook_opened", "awareness", "clock_started"]);
        let Event::Awareness { reason, .. } = &events[1] else {
            panic!("{events:?}");
        };
        assert!(reason.as_deref().unwrap_or("").contains("taken as then"));
        assert_eq!(
            sim.state.clock(RB, "ico").map(|c| c.due_at),
            Some(t0() + TimeDelta::minutes(1) + TimeDelta::hours(72))
        );
    }

    #[test]
    fn untick_takes_back_a_tick_that_was_given() {
        let mut sim = Sim::opened();
        let tick = Command::Tick {
            step: at("triage"),
            check: 0,
        };
        let untick = Command::Untick {
            step: at("triage"),
            check: 0,
        };
        assert_eq!(
            sim.refuse(&untick),
            "check \"Seen\" of step `triage` is not ticked"
        );
        sim.run(&tick).unwrap();
        assert_eq!(
            sim.run(&untick).unwrap(),
            [Event::CheckUnticked {
                runbook: RB.to_owned(),
                step: "triage".to_owned(),
                check: 0,
            }]
        );
        assert!(sim.state.step(RB, "triage").unwrap().ticked.is_empty());
        sim.run(&tick).unwrap();
        assert!(sim.state.anomalies.is_empty(), "{:?}", sim.state.anomalies);
    }

    #[test]
    fn in_an_exercise_deadlines_run_on_exercise_time_and_a_jump_moves_them() {
        let mut sim = Sim::opened();
        sim.run(&Command::StartExercise {
            exercise: "x".to_owned(),
            title: "X".to_owned(),
            digest: String::new(),
            speed: 1,
            manual: true,
            paused: false,
        })
        .unwrap();
        // The ICO clock (72h) starts when the decision is taken, at T+0.
        sim.run(&decide_cmd(0, "HR share encrypted")).unwrap();
        let started = sim.state.clock(RB, "ico").map(|c| c.due_at);
        // A day of exercise time later, nothing has breached...
        sim.run(&Command::Clock(ClockRequest::JumpTo(24 * 3_600_000)))
            .unwrap();
        assert_eq!(sim.run(&Command::RecordBreaches).unwrap(), []);
        let moved = crate::response::deadline_now(&sim.state, sim.now);
        assert!(
            started.is_some_and(|due| due - moved < TimeDelta::hours(49)),
            "a T+1 day jump brings the deadline a day nearer: {moved} vs {started:?}"
        );
        // ...and at T+72h01m the 72 hours have passed, in a few minutes of
        // wall time.
        sim.run(&Command::Clock(ClockRequest::JumpTo(
            (72 * 60 + 1) * 60_000,
        )))
        .unwrap();
        let breaches = sim.run(&Command::RecordBreaches).unwrap();
        assert!(
            breaches
                .iter()
                .any(|e| matches!(e, Event::ClockBreached { clock, .. } if clock == "ico")),
            "{breaches:?}"
        );
    }

    #[test]
    fn facilitator_commands_are_checked_like_players_and_endex_is_final() {
        let mut sim = Sim::opened();
        let score = |outcome: &str, evidence| Command::Score {
            inject: "i".to_owned(),
            expectation: "e".to_owned(),
            outcome: outcome.to_owned(),
            evidence,
            comment: "Gold briefed at 16:30".to_owned(),
        };
        let start = |speed| Command::StartExercise {
            exercise: "x".to_owned(),
            title: "X".to_owned(),
            digest: String::new(),
            speed,
            manual: false,
            paused: false,
        };
        let clock = |request| Command::Clock(request);
        let no_exercise = "this journal is not an exercise: start one first";
        assert_eq!(sim.refuse(&score("met", None)), no_exercise);
        assert_eq!(sim.refuse(&clock(ClockRequest::Pause)), no_exercise);
        assert_eq!(
            sim.refuse(&start(61)),
            "speed 61x is out of range: choose 1 to 60"
        );
        sim.run(&start(60)).unwrap();
        assert!(
            sim.refuse(&start(1))
                .starts_with("the exercise has already started")
        );
        assert_eq!(
            sim.refuse(&score("great", None)),
            "\"great\" is not a score: use met, late, partial or missed"
        );
        assert_eq!(
            sim.refuse(&score("met", Some(99))),
            "evidence seq 99 is not an entry of this journal"
        );
        let silent = Command::Score {
            inject: "i".to_owned(),
            expectation: "e".to_owned(),
            outcome: "met".to_owned(),
            evidence: None,
            comment: " ".to_owned(),
        };
        assert_eq!(
            sim.refuse(&silent),
            "a score needs a comment: what was seen that earns it"
        );
        sim.run(&score(" Met ", Some(2))).unwrap();
        assert_eq!(sim.state.scores[0].score, "met");
        assert_eq!(
            sim.refuse(&clock(ClockRequest::Resume)),
            "the exercise clock is not paused"
        );
        // Two minutes of wall time since the start, at 60x.
        let paused = sim.run(&clock(ClockRequest::Pause)).unwrap();
        assert!(
            matches!(
                paused.as_slice(),
                [Event::ExerciseClock {
                    change: ClockChange::Paused,
                    ex_t: 7_200_000,
                    speed: 60,
                    manual: false
                }]
            ),
            "{paused:?}"
        );
        assert_eq!(
            sim.refuse(&clock(ClockRequest::JumpTo(1_000))),
            "the exercise clock cannot go back (from T+7200000 ms to T+1000 ms)"
        );
        sim.run(&clock(ClockRequest::End)).unwrap();
        for refused in [
            done("triage"),
            score("met", None),
            clock(ClockRequest::Resume),
            Command::Note {
                text: "after".to_owned(),
                happened_at: None,
            },
        ] {
            assert!(
                sim.refuse(&refused).contains("ENDEX is final"),
                "{refused:?}"
            );
        }
        let lesson = Command::Lesson {
            category: LessonCategory::WentWell,
            text: "Calm".to_owned(),
            owner: None,
            due: None,
        };
        assert_eq!(sim.run(&lesson).unwrap().len(), 1);
        // A due date the audit could not track is refused while it can be
        // said again; a date or a time from now is kept as written.
        let due = |due: &str| Command::Lesson {
            category: LessonCategory::Action,
            text: "Print the call tree".to_owned(),
            owner: Some("ICT".to_owned()),
            due: Some(due.to_owned()),
        };
        assert!(sim.refuse(&due("end of Q1")).contains("is not a date"));
        assert_eq!(sim.run(&due("2027-03-31")).unwrap().len(), 1);
        assert_eq!(sim.run(&due("14d")).unwrap().len(), 1);
    }

    #[test]
    fn an_exercise_opens_at_t0_paused_people_sign_in_and_no_duty_suspends_play() {
        let mut sim = Sim::opened();
        let start = Command::StartExercise {
            exercise: "x".to_owned(),
            title: "X".to_owned(),
            digest: String::new(),
            speed: 60,
            manual: false,
            paused: true,
        };
        // T+0 and the paused clock in one append: no moment of play passes
        // while the brief is read, however long that takes.
        let events = sim.run(&start).unwrap();
        assert!(
            matches!(
                events.as_slice(),
                [
                    Event::ExerciseStarted { .. },
                    Event::ExerciseClock {
                        change: ClockChange::Paused,
                        ex_t: 0,
                        speed: 60,
                        ..
                    }
                ]
            ),
            "{events:?}"
        );
        let sign_in = |capacity: &str, team: Option<&str>| Command::SignIn {
            name: "Priya".to_owned(),
            role: "ICT Security Lead".to_owned(),
            team: team.map(str::to_owned),
            capacity: capacity.to_owned(),
        };
        assert_eq!(
            sim.refuse(&sign_in("boss", None)),
            "\"boss\" is not a capacity: use player, facilitator or observer"
        );
        sim.run(&sign_in(" Player ", Some(" Team A "))).unwrap();
        let signed = &sim.state.signed_in[0];
        assert_eq!(
            (signed.capacity.as_str(), signed.team.as_deref()),
            ("player", Some("Team A"))
        );
        sim.run(&Command::Clock(ClockRequest::Resume)).unwrap();
        // An unscripted inject names a channel the format knows.
        let inject = |channel: &str| Command::DeliverInject {
            inject: String::new(),
            from: "Facilitator".to_owned(),
            channel: channel.to_owned(),
            text: "The press are here".to_owned(),
            to: Some(" Team B ".to_owned()),
        };
        assert!(
            sim.refuse(&inject("fax"))
                .starts_with("\"fax\" is not a channel: use one of phone, email, walk-in")
        );
        sim.run(&inject("walk-in")).unwrap();
        assert_eq!(sim.state.injects[0].to.as_deref(), Some("Team B"));
        sim.run(&Command::Clock(ClockRequest::NoDuty)).unwrap();
        let note = Command::Note {
            text: "during".to_owned(),
            happened_at: None,
        };
        for refused in [
            done("triage"),
            note.clone(),
            Command::Clock(ClockRequest::Pause),
        ] {
            assert!(
                sim.refuse(&refused)
                    .starts_with("play is suspended (NO DUTY at seq"),
                "{refused:?}"
            );
        }
        assert_eq!(
            sim.refuse(&Command::Clock(ClockRequest::NoDuty)),
            "play is suspended (NO DUTY at seq 8) for a real incident: only resuming, ENDEX, sign-in, lessons and corrections are recorded"
        );
        // Once a facilitator signed in, each does only their own part.
        let fran = crate::journal::Actor {
            name: "Fran".to_owned(),
            role: "Facilitator".to_owned(),
        };
        let priya = crate::journal::Actor {
            name: "Priya".to_owned(),
            role: "ICT Security Lead".to_owned(),
        };
        let pause = Command::Clock(ClockRequest::Pause);
        assert!(check_capacity(&sim.state, &priya, &pause).is_ok());
        sim.run(&Command::SignIn {
            name: fran.name.clone(),
            role: fran.role.clone(),
            team: None,
            capacity: "facilitator".to_owned(),
        })
        .unwrap();
        assert_eq!(
            check_capacity(&sim.state, &priya, &pause).map_err(|e| e.to_string()),
            Err("Priya (ICT Security Lead) is signed in not as facilitator: injects, scores, the clock and lessons are the facilitator's".to_owned())
        );
        assert!(check_capacity(&sim.state, &fran, &pause).is_ok());
        assert!(check_capacity(&sim.state, &fran, &done("triage")).is_err());
        assert!(check_capacity(&sim.state, &priya, &done("triage")).is_ok());
        assert!(check_capacity(&sim.state, &fran, &note).is_ok());
        // Resumed, play goes on where it stood.
        sim.run(&Command::Clock(ClockRequest::Resume)).unwrap();
        sim.run(&note).unwrap();
        sim.run(&done("triage")).unwrap();
    }
}
