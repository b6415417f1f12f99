//! The runbook model, TOML parsing with spans, and lint.
//!
//! A runbook is a small TOML document (format v1, see `docs/runbook-format.md`):
//! metadata, contacts, clocks (deadlines started by a step, such as the ICO's
//! 72 hours) and an ordered list of steps, some of which are decisions whose
//! options go to other steps. This module turns text into a [`Runbook`] and a
//! list of [`Diagnostic`]s; it reads no files and knows nothing of encryption or
//! git, so the same checks serve plaintext drafts, decrypted runbooks in memory
//! and the fuzzers.

pub mod grab_bag;
pub(crate) mod lint;
pub(crate) mod parse;
pub mod search;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use crate::calendar::{Duration, Period};
use crate::diagnostic::Diagnostic;
pub use grab_bag::{Stage, Theme};

/// The only runbook format version this build reads.
pub const FORMAT_VERSION: i64 = 1;

/// What kind of plan a runbook is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A cyber incident (ransomware, phishing, data breach...).
    Cyber,
    /// Keeping a service running with no IT.
    Continuity,
}

impl Kind {
    /// The word used in files and listings.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Cyber => "cyber",
            Kind::Continuity => "continuity",
        }
    }
}

/// How serious the situation a runbook covers is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Minor.
    Low,
    /// Significant.
    Medium,
    /// Serious.
    High,
    /// Threatens life, safety or the council's ability to operate.
    Critical,
}

impl Severity {
    /// The word used in files and listings.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A parsed, validated runbook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Runbook {
    /// Stable identifier, e.g. `cyber/ransomware` (defaults to the path).
    pub id: String,
    /// One-line title.
    pub title: String,
    /// Cyber incident or continuity plan.
    pub kind: Kind,
    /// How serious the situation is.
    pub severity: Severity,
    /// The role that owns and reviews the runbook.
    pub owner: String,
    /// When it was last reviewed.
    pub reviewed: NaiveDate,
    /// How often it must be reviewed, in months.
    pub review_every_months: u32,
    /// When to use it.
    pub summary: String,
    /// Search tags.
    pub tags: Vec<String>,
    /// Laws and guidance the runbook rests on, in words.
    pub references: Vec<String>,
    /// The LGA grab-bag themes it serves (`themes`), for the audit's coverage.
    pub themes: Vec<Theme>,
    /// The grab-bag stages of a response it serves (`stages`).
    pub stages: Vec<Stage>,
    /// People and organisations to call.
    pub contacts: Vec<Contact>,
    /// Deadlines started by steps.
    pub clocks: Vec<Clock>,
    /// Kinds of case the runbook keeps a register of (referrals,
    /// households, requests), each with its own fields, checklist and clocks.
    pub cases: Vec<CaseKind>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// Someone to call, written down because the directory may be gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    /// Identifier used by steps.
    pub id: String,
    /// Person, team or organisation.
    pub name: String,
    /// Their role.
    pub role: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// When to call them.
    pub when: Option<String>,
    /// A sample value that must be replaced before real use.
    pub placeholder: bool,
}

impl Clock {
    /// Whether it counts from the time of awareness (starting then, or
    /// starting on a step but counting from awareness).
    pub fn from_awareness(&self) -> bool {
        self.starts_at_awareness() || self.counts_from.as_deref() == Some(AWARENESS)
    }

    /// Whether it starts at the time of awareness (when the runbook is
    /// opened), rather than when a step is done.
    pub fn starts_at_awareness(&self) -> bool {
        self.starts_on == AWARENESS
    }
}

impl Contact {
    /// The name as printed: a placeholder is marked once, whether or not its
    /// author already wrote "(replace before use)" into the name.
    pub fn marked_name(&self) -> String {
        if self.placeholder && !self.name.to_lowercase().contains("replace before use") {
            format!("{} (placeholder: replace before use)", self.name)
        } else {
            self.name.clone()
        }
    }
}

/// The `starts_on` of a clock that counts from the incident's time of
/// awareness (the ICO's 72 hours) rather than from a step.
pub const AWARENESS: &str = "awareness";

/// A deadline: starts when one step is done (or at the time of awareness),
/// met when another step is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clock {
    /// Identifier.
    pub id: String,
    /// What must happen by the deadline.
    pub label: String,
    /// Time allowed from the start: a duration, working days or months.
    pub due_after: Period,
    /// The step whose completion starts the clock, or [`AWARENESS`].
    pub starts_on: String,
    /// What the deadline counts from when it starts on a step but the law
    /// counts from earlier: [`AWARENESS`] (the ICO's 72 hours, started when
    /// the DPO confirms personal data is involved, run from awareness).
    pub counts_from: Option<String>,
    /// The step whose completion meets the deadline.
    pub met_by: Option<String>,
    /// What the deadline rests on (law, contract, guidance).
    pub basis: Option<String>,
}

/// A kind of case a runbook keeps a register of: many arrive during one
/// incident, and each runs its own short checklist and its own clocks from
/// the time it was received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseKind {
    /// Identifier (`referral`, `household`).
    pub id: String,
    /// What one case is called on screen.
    pub label: String,
    /// What is written down for each case.
    pub fields: Vec<CaseField>,
    /// The short checklist each case runs.
    pub checklist: Vec<CaseItem>,
    /// Deadlines each case counts from its time of receipt.
    pub clocks: Vec<CaseClock>,
}

/// A field of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseField {
    /// Identifier, as given to `--field NAME=VALUE`.
    pub id: String,
    /// What it is, in words.
    pub label: String,
    /// A case cannot be added without it.
    pub required: bool,
}

/// An item of a case's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseItem {
    /// Identifier, as given to `case done REF ITEM`.
    pub id: String,
    /// What to do.
    pub title: String,
}

/// A deadline of each case, counted from when it was received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseClock {
    /// Identifier.
    pub id: String,
    /// What must happen by then.
    pub label: String,
    /// Time allowed from receipt.
    pub due_after: Period,
    /// The checklist item whose completion meets it.
    pub met_by: Option<String>,
    /// What the deadline rests on.
    pub basis: Option<String>,
}

impl Runbook {
    /// The case kind with this id.
    pub fn case_kind(&self, id: &str) -> Option<&CaseKind> {
        self.cases.iter().find(|k| k.id == id)
    }
}

/// Where the flow goes next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// Go to this step.
    Step(String),
    /// The runbook ends here.
    End,
}

impl Target {
    /// The step named, if any.
    pub fn step(&self) -> Option<&str> {
        match self {
            Target::Step(id) => Some(id),
            Target::End => None,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Step(id) => f.write_str(id),
            Target::End => f.write_str("end"),
        }
    }
}

/// One thing to do (or decide).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Identifier, unique in the runbook.
    pub id: String,
    /// What the step is, in a line.
    pub title: String,
    /// Who does it.
    pub role: Option<String>,
    /// The instructions (`do` in the file).
    pub instructions: String,
    /// Things to tick off.
    pub checks: Vec<String>,
    /// How long it should take.
    pub expect_within: Option<Duration>,
    /// Contacts (ids) relevant to this step.
    pub contacts: Vec<String>,
    /// Where to go after it; `None` means the following step.
    pub next: Option<Target>,
    /// A decision to take; its options say where to go.
    pub decision: Option<Decision>,
}

/// A question with options that branch the flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The question.
    pub question: String,
    /// The possible answers.
    pub options: Vec<DecisionOption>,
}

/// One answer to a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionOption {
    /// The answer.
    pub label: String,
    /// Where it leads.
    pub goto: Target,
}

impl Runbook {
    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The contact with this id.
    pub fn contact(&self, id: &str) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.id == id)
    }

    /// The steps that can follow step `index`: the decision's options, the
    /// explicit `next`, or the following step. `None` stands for the end.
    pub fn successors(&self, index: usize) -> Vec<Option<&str>> {
        let step = &self.steps[index];
        if let Some(decision) = &step.decision {
            return decision.options.iter().map(|o| o.goto.step()).collect();
        }
        match &step.next {
            Some(target) => vec![target.step()],
            None => vec![self.steps.get(index + 1).map(|s| s.id.as_str())],
        }
    }

    /// The date the next review is due.
    pub fn review_due(&self) -> NaiveDate {
        self.reviewed
            .checked_add_months(chrono::Months::new(self.review_every_months))
            .unwrap_or(NaiveDate::MAX)
    }
}

/// The outcome of checking one runbook text.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The runbook, when it has no errors (warnings allowed).
    pub runbook: Option<Runbook>,
    /// Every problem found, errors first then warnings, each in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses and lints a runbook text.
///
/// `name` is how the file is shown in diagnostics, `default_id` the id used when
/// the file has none (its path without extensions), and `today` the date
/// reviews are judged against.
pub fn check(name: &str, text: &str, default_id: &str, today: NaiveDate) -> Checked {
    let source = crate::diagnostic::Source::new(name, text);
    let (runbook, spans, mut diagnostics) = parse::parse(&source, default_id);
    if let Some(runbook) = &runbook {
        lint::lint(&source, runbook, &spans, today, &mut diagnostics);
    }
    diagnostics.sort_by_key(|d| (d.level, d.line, d.column));
    let runbook = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        runbook
    };
    Checked {
        runbook,
        diagnostics,
    }
}
