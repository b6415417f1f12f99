//! Tabletop exercises: the model, its TOML reader and lint, the exercise
//! clock, inject scheduling, expectation scoring and after-action data.
//!
//! An exercise (format v1, see `docs/exercise-format.md`) is a scenario played
//! against the runbooks: injects arrive on a timeline (at an offset, a delay
//! after another inject, or when something happens in the response), and each
//! may carry expectations (a runbook step done, a decision taken, a note by a
//! role, or a facilitator's judgement) that are scored met, late, partial or
//! missed. Everything here is a function of the exercise definition and the
//! journal's fold ([`crate::response::ResponseState`]): the same state drives
//! the live screen, scoring, replay and the after-action report, so they
//! cannot disagree. No UI, no sleeping: "now" is always a parameter or a
//! [`clock::TimeSource`].
//!
//! - [`parse`](mod@parse) and [`lint`](mod@lint): text to [`Exercise`], with
//!   diagnostics located like runbook lint.
//! - [`clock`]: exercise time (T+) from a system or simulated time source,
//!   with speed, pause and manual mode.
//! - [`schedule`]: which injects are due now, and what comes next.
//! - [`score`](mod@score): expectation outcomes with the seq that proves them.
//! - [`replay`]: the state at any seq, from checkpoints of the fold.
//! - [`aar`]: the after-action report's data (rendered by `crate::report::aar`).
//! - [`files`]: exercise files in a library's `exercises/` folder.
//! - [`roster`]: the roles and teams a sign-in or an inject's `to` may name.

pub mod aar;
pub mod clock;
pub mod files;
pub mod lint;
pub mod parse;
pub mod replay;
pub mod roster;
pub mod schedule;
pub mod score;
#[cfg(test)]
pub(crate) mod testkit;
pub mod trend;

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::journal::Actor;
use crate::response::{ResponseState, Stamp};
use crate::runbook::{Duration, Runbook};

pub use clock::{ClockStatus, ExerciseClock, RealTime, SimulatedTime, Speed, TimeSource};
pub use schedule::{Due, Planned};
pub use score::{Outcome, Scorecard, score};

/// The only exercise format version this build reads.
pub const FORMAT_VERSION: i64 = 1;

/// A parsed exercise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exercise {
    /// Stable identifier (defaults to the path under `exercises/`).
    pub id: String,
    /// One-line title.
    pub title: String,
    /// The scenario as told to the players at the start.
    pub brief: String,
    /// Who it is for.
    pub audience: String,
    /// How long it is planned to last.
    pub duration: Duration,
    /// The runbooks it exercises (ids).
    pub runbooks: Vec<String>,
    /// What the exercise sets out to test.
    pub objectives: Vec<Objective>,
    /// Roles taking part.
    pub participants: Vec<Participant>,
    /// The teams players sign in to, when play is by teams ([`roster`]).
    pub teams: Vec<String>,
    /// The injects, in file order.
    pub injects: Vec<Inject>,
    /// Questions asked at the hot debrief.
    pub lessons_prompts: Vec<String>,
}

/// An objective.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Objective {
    /// Identifier, named by expectations.
    pub id: String,
    /// What is tested, in words.
    pub text: String,
}

/// How someone takes part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantKind {
    /// Plays a role in the response.
    Player,
    /// Runs the exercise and releases injects.
    Facilitator,
    /// Watches and takes notes.
    Observer,
}

impl ParticipantKind {
    /// The kind a word names (`player`, `facilitator`, `observer`).
    pub fn parse(word: &str) -> Option<Self> {
        [Self::Player, Self::Facilitator, Self::Observer]
            .into_iter()
            .find(|k| k.as_str() == word)
    }

    /// The word used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            ParticipantKind::Player => "player",
            ParticipantKind::Facilitator => "facilitator",
            ParticipantKind::Observer => "observer",
        }
    }
}

/// A role in the exercise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Participant {
    /// The role, as players sign in with it (e.g. "Incident Lead (Silver)").
    pub role: String,
    /// Player, facilitator or observer.
    pub kind: ParticipantKind,
    /// Who usually plays it (a post, not a person's name).
    pub who: Option<String>,
}

/// Something that happens in the response and can trigger an inject or meet
/// an expectation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Happening {
    /// A runbook step was done (a decision step counts once decided).
    StepDone {
        /// Runbook id.
        runbook: String,
        /// Step id.
        step: String,
    },
    /// A decision was taken at a decision step, optionally a given option.
    Decision {
        /// Runbook id.
        runbook: String,
        /// The decision step.
        step: String,
        /// The option label expected; any option when `None`.
        option: Option<String>,
    },
}

impl Happening {
    /// The runbook and step named.
    pub fn step_ref(&self) -> (&str, &str) {
        match self {
            Happening::StepDone { runbook, step } | Happening::Decision { runbook, step, .. } => {
                (runbook, step)
            }
        }
    }
}

/// When an inject is released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// At an offset from T+0.
    At {
        /// The offset.
        offset: Duration,
    },
    /// A delay after another inject was delivered.
    After {
        /// The other inject's id.
        inject: String,
        /// The delay.
        delay: Duration,
    },
    /// A delay after something happened in the response.
    On {
        /// What must happen.
        happening: Happening,
        /// The delay.
        delay: Duration,
    },
}

/// One inject: a message that reaches the players.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inject {
    /// Identifier, unique in the exercise.
    pub id: String,
    /// When it is released.
    pub trigger: Trigger,
    /// Who it comes from (a caller, a journalist, the service desk...).
    pub from: String,
    /// How it arrives: phone, email, walk-in, press...
    pub channel: String,
    /// What it says.
    pub text: String,
    /// The team or role it is aimed at (`to` in the file); everyone when
    /// `None`.
    pub to: Option<String>,
    /// What the players are expected to do about it.
    pub expectations: Vec<Expectation>,
    /// The facilitator's aids: never shown to the players.
    pub aids: Aids,
}

/// A facilitator's aids for one inject (`[injects.aids]`): shown on the
/// facilitator's side of the screen and in the after-action report, never
/// to the players.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Aids {
    /// What to watch for in the room.
    pub watch: Option<String>,
    /// Discussion questions (prompts if the room stalls).
    pub questions: Vec<String>,
    /// What good looks like.
    pub good: Option<String>,
}

impl Aids {
    /// True when the inject has none.
    pub fn is_empty(&self) -> bool {
        self.watch.is_none() && self.questions.is_empty() && self.good.is_none()
    }
}

/// What counts as meeting an expectation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expected {
    /// A step done or a decision taken.
    Happening(Happening),
    /// Whichever of these happens first (`or` in the file): the same work
    /// done through any of the runbooks an exercise lists, such as an ICO
    /// report made from either the phishing or the data breach runbook.
    AnyOf {
        /// The alternatives, the expectation's own `runbook`/`step` first.
        any_of: Vec<Happening>,
    },
    /// A note written by someone in a role (optionally containing a phrase).
    Note {
        /// The role (compared without case).
        role: String,
        /// A phrase the note must contain (without case), if any.
        contains: Option<String>,
    },
    /// The facilitator judges it and scores it by hand.
    Manual,
}

/// One expectation of an inject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expectation {
    /// Identifier, unique in the inject.
    pub id: String,
    /// What meets it.
    pub expected: Expected,
    /// What is expected, in words (required for manual ones).
    pub description: String,
    /// Time allowed after the inject is delivered.
    pub within: Option<Duration>,
    /// Weight in the totals (1 to 100).
    pub weight: u32,
    /// Objectives it evidences (ids).
    pub objectives: Vec<String>,
}

impl Exercise {
    /// The inject with this id.
    pub fn inject(&self, id: &str) -> Option<&Inject> {
        self.injects.iter().find(|i| i.id == id)
    }

    /// The objective with this id.
    pub fn objective(&self, id: &str) -> Option<&Objective> {
        self.objectives.iter().find(|o| o.id == id)
    }
}

/// The outcome of checking one exercise text.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The exercise, when it has no errors (warnings allowed).
    pub exercise: Option<Exercise>,
    /// Every problem found, errors first then warnings, each in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses and lints an exercise text against the runbooks it names.
///
/// `name` is how the file is shown in diagnostics, `default_id` the id used
/// when the file has none, and `runbooks` the runbooks available now: an
/// expectation or trigger naming a missing runbook, step or option is an error.
/// With `None`, references to runbooks are not checked (scoring a recorded run
/// needs only the exercise).
pub fn check(name: &str, text: &str, default_id: &str, runbooks: Option<&[&Runbook]>) -> Checked {
    let source = crate::diagnostic::Source::new(name, text);
    let (exercise, spans, mut diagnostics) = parse::parse(&source, default_id);
    if let Some(exercise) = &exercise {
        lint::lint(&source, exercise, &spans, runbooks, &mut diagnostics);
    }
    diagnostics.sort_by_key(|d| (d.level, d.line, d.column));
    let exercise = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        exercise
    };
    Checked {
        exercise,
        diagnostics,
    }
}

/// Exercise time of an entry: its `ex_t`, or, for an entry written without
/// one (a one-shot writer such as `grabbag note`), the wall-clock time since
/// the exercise started, as if played at 1×.
pub fn ex_time(stamp: &Stamp, state: &ResponseState) -> u64 {
    if let Some(t) = stamp.ex_t {
        return t;
    }
    let start = state.exercise_start.as_ref().map(|s| s.stamp.at);
    let start = start.or(state.first_at).unwrap_or(stamp.at);
    u64::try_from((stamp.at - start).num_milliseconds()).unwrap_or(0)
}

/// In which capacity `actor` acted: as they signed in (`signed_in`, by name
/// and role), else as the exercise lists their role, else as a player. One
/// answer for scoring (only players' actions count), the report and the
/// screens.
pub fn capacity_of(exercise: &Exercise, state: &ResponseState, actor: &Actor) -> ParticipantKind {
    if let Some(kind) = state
        .signed_in_as(actor)
        .and_then(|s| ParticipantKind::parse(&s.capacity))
    {
        return kind;
    }
    exercise
        .participants
        .iter()
        .find(|p| p.role.eq_ignore_ascii_case(&actor.role))
        .map_or(ParticipantKind::Player, |p| p.kind)
}

/// SHA-256 (hex) of an exercise file's text, as `exercise_started` records it.
pub fn digest(text: &str) -> String {
    crate::journal::entry::sha256_hex(text.as_bytes())
}
