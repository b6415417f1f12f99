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

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeDelta, Utc};
use serde::Serialize;

use super::state::{ResponseState, StepStatus};
use crate::journal::Event;
use crate::runbook::{Runbook, Step};

/// Where runbook definitions come from (the loaded library, a test's list).
pub trait Runbooks {
    /// The runbook with this id.
    fn runbook(&self, id: &str) -> Option<&Runbook>;
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
    /// End the session normally.
    EndSession {
        /// Why, if given.
        reason: Option<String>,
    },
}

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
    #[error("step `{step}` has {count} options; index {index} is out of range")]
    NoSuchOption {
        /// Step id.
        step: String,
        /// The index asked for.
        index: usize,
        /// How many options there are.
        count: usize,
    },
    /// No check with that index.
    #[error("step `{step}` has {count} checks; index {index} is out of range")]
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
    /// A deadline beyond what a calendar can hold.
    #[error("clock `{clock}` of runbook `{runbook}` would fall due beyond the calendar")]
    DeadlineOutOfRange {
        /// Runbook id.
        runbook: String,
        /// Clock id.
        clock: String,
    },
}

/// The text trimmed, or the error when nothing is left.
fn required(text: &str, message: &'static str) -> Result<String, CommandError> {
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

fn find<'r, 's>(
    state: &'s ResponseState,
    runbooks: &'r dyn Runbooks,
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

impl Found<'_, '_> {
    fn id(&self) -> String {
        self.step.id.clone()
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
pub fn decide(
    state: &ResponseState,
    runbooks: &dyn Runbooks,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, CommandError> {
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
            Ok(vec![Event::RunbookOpened {
                runbook: id.clone(),
                title: runbook.title.clone(),
                commit: pin.commit.clone(),
                blob: pin.blob.clone(),
                dirty: pin.dirty,
                unencrypted: pin.unencrypted,
                trust: pin.trust.clone(),
            }])
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
            events.extend(completion(state, found.runbook, &at.step, now)?);
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
            let text = found
                .step
                .checks
                .get(*check)
                .ok_or_else(|| CommandError::NoSuchCheck {
                    step: found.id(),
                    index: *check,
                    count: found.step.checks.len(),
                })?;
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
            events.extend(completion(state, found.runbook, &at.step, now)?);
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
            let reason = reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned);
            Ok(vec![Event::SessionEnded { reason }])
        }
    }
}

/// The clock events that completing `step` of `runbook` implies: clocks it
/// starts (met at once when their `met_by` step is already done) and running
/// clocks it meets.
fn completion(
    state: &ResponseState,
    runbook: &Runbook,
    step: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, CommandError> {
    let mut events = Vec::new();
    for clock in &runbook.clocks {
        let existing = state.clock(&runbook.id, &clock.id);
        let met_by = clock.met_by.as_deref();
        let starts = existing.is_none() && clock.starts_on == step;
        if starts {
            let due_at = i64::try_from(clock.due_after.as_secs())
                .ok()
                .and_then(TimeDelta::try_seconds)
                .and_then(|d| now.checked_add_signed(d))
                .ok_or_else(|| CommandError::DeadlineOutOfRange {
                    runbook: runbook.id.clone(),
                    clock: clock.id.clone(),
                })?;
            events.push(Event::ClockStarted {
                runbook: runbook.id.clone(),
                clock: clock.id.clone(),
                label: clock.label.clone(),
                due_at: due_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            });
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
        })
        .collect()
}
