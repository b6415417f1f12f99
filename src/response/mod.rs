//! The state of a response as the fold of its journal, and the commands that
//! validate and become journal events.
//!
//! Principle 7, "the log is the state": a response is nothing but its journal
//! read in order. [`ResponseState::fold`] (a loop over
//! [`ResponseState::apply`]) is the one code path that turns entries into
//! state, so resume after a crash (fold what `Journal::open` read), replay to
//! a moment (fold the entries up to it), exercise scoring and an auditor's
//! review cannot disagree. A front end turns keys or arguments into
//! [`Command`]s, responders' and facilitators' alike; [`decide`] checks them
//! against the state and the runbooks and returns the events to append (the
//! `session` module runs it under the journal's lock and folds what it
//! writes). [`current_step`] reads where a responder is in a runbook's flow, and
//! [`due_breaches`] says which deadlines have passed unmet.
//!
//! This module does no I/O and reads no clock (`now` is always a parameter),
//! so all of it is tested on hand-made entries with no files and no waiting.
//!
//! - [`state`] holds [`ResponseState`] and what it is made of.
//! - [`command`] holds [`Command`], [`decide`] and [`due_breaches`].
//! - [`flow`] holds [`current_step`].
//! - [`play`] reads the exercise clock from the journal ([`PlayClock`]).
//! - [`describe`](mod@describe) says what an event records, in words.
//! - [`review`] finds steps, checks and clocks the journal names but the
//!   runbooks (as loaded now) do not have.

pub mod cases;
pub mod command;
pub mod describe;
pub mod flow;
pub mod play;
pub mod review;
pub mod state;

pub use command::{
    CAPACITIES, CHANNELS, ClockRequest, Command, CommandError, DeadlineDue, OUTCOMES, OnCalendar,
    RunbookPin, Runbooks, StepRef, check_capacity, decide, due_breaches, play_stopped,
};
pub use describe::describe;
pub use flow::current_step;
pub use play::{PlayClock, deadline_now};
pub use review::definition_anomalies;
pub use state::{
    AD_HOC, Anomaly, CaseState, ClockControl, ClockState, ClockStatus, Correction, DecisionTaken,
    ExerciseStart, ExpectationScore, InjectDelivery, Lesson, Note, OpenedRunbook, ResponseState,
    RunbookVersion, SNAPSHOT_FORMAT, Sessions, SignIn, SnapshotStart, Stamp, StepState, StepStatus,
    Tick,
};

#[cfg(test)]
pub(crate) mod testkit;

#[cfg(test)]
mod properties;
