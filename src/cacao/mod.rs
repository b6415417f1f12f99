//! Interoperability with OASIS CACAO 2.0 security playbooks (JSON).
//!
//! Security teams share playbooks in CACAO; this module turns one into a
//! grabbag runbook ([`import_json`]) and a runbook into one ([`export`]), so a
//! council can reuse what partners and vendors publish and send its own plans
//! the other way. It is core code: text in, text out, no files, no terminal.
//! `docs/cacao.md` has the mapping in both directions.
//!
//! - `schema`: the official JSON schemas, embedded, and validation against them.
//! - [`model`]: the playbook as serde types, and grabbag's CACAO extension.
//! - `validate`: schema plus the checks a schema cannot express (references
//!   that lead nowhere, loops with no way out).
//! - `import` and `toml_text`: playbook to runbook TOML, then linted.
//! - `export` and `ids`: runbook to playbook, with stable identifiers;
//!   `roundtrip`: proof that the export imports back to the same runbook.

mod export;
mod ids;
mod import;
pub mod model;
mod roundtrip;
mod schema;
mod toml_text;
mod validate;

use chrono::NaiveDate;
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Level};
use crate::runbook::Runbook;

pub use export::export;
pub use import::{ImportOptions, import};
pub use roundtrip::differences;

/// One problem or note about a playbook, located by a JSON pointer
/// (`/workflow/action--…/on_completion`; empty for the whole document).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// Error (the playbook is refused) or warning (something was not carried over).
    pub level: Level,
    /// Where, as a JSON pointer.
    pub path: String,
    /// What, in one line.
    pub message: String,
}

impl Finding {
    /// An error at `path`.
    pub fn error(path: &str, message: impl Into<String>) -> Self {
        Self {
            level: Level::Error,
            path: path.to_owned(),
            message: message.into(),
        }
    }

    /// A warning at `path`.
    pub fn warning(path: &str, message: impl Into<String>) -> Self {
        Self {
            level: Level::Warning,
            path: path.to_owned(),
            message: message.into(),
        }
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }

    /// As a diagnostic about `file`, rendered like every other grabbag finding
    /// (the JSON path leads the message; text is sanitised when rendered).
    pub fn to_diagnostic(&self, file: &str) -> Diagnostic {
        let path = if self.path.is_empty() {
            "(the whole playbook)"
        } else {
            &self.path
        };
        Diagnostic::file_level(self.level, file, format!("{path}: {}", self.message))
    }
}

/// Why a playbook could not be imported or a runbook exported.
#[derive(Debug, thiserror::Error)]
pub enum CacaoError {
    /// The text is not JSON.
    #[error("not JSON: {0}")]
    Json(String),
    /// The playbook breaks the schemas or the rules of a workflow.
    #[error("not a valid CACAO 2.0 playbook: {}", summary(.0))]
    Invalid(Vec<Finding>),
    /// The runbook made from a playbook does not lint (a bug in the importer).
    #[error("the runbook made from this playbook does not pass lint: {}", .0.first().map(|d| d.message.as_str()).unwrap_or("?"))]
    Lint(Vec<Diagnostic>),
    /// The playbook made from a runbook breaks the schemas (a bug in the exporter).
    #[error("the exported playbook does not validate: {}", summary(.0))]
    Export(Vec<Finding>),
}

fn summary(findings: &[Finding]) -> String {
    let errors: Vec<&Finding> = findings.iter().filter(|f| f.is_error()).collect();
    match errors.first() {
        Some(f) if errors.len() == 1 => format!("{}: {}", f.path, f.message),
        Some(f) => format!("{}: {} (and {} more)", f.path, f.message, errors.len() - 1),
        None => "no details".to_owned(),
    }
}

/// A playbook turned into a runbook.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The runbook as TOML text, with comments; it passes lint.
    pub toml: String,
    /// The same runbook, parsed back from that text.
    pub runbook: Runbook,
    /// What could not be carried over, and notes on what changed shape.
    pub warnings: Vec<Finding>,
}

/// Imports a CACAO 2.0 playbook with default options: the pure entry point
/// for tests and fuzzing. It never panics, whatever the input.
pub fn import_json(text: &str) -> Result<Imported, CacaoError> {
    import(
        text,
        &ImportOptions {
            default_id: "imported/playbook".to_owned(),
            today: NaiveDate::MIN,
        },
    )
}

/// Checks a playbook against the official schemas and the workflow rules
/// without importing it: every error and warning, errors first.
pub fn check_json(text: &str) -> Vec<Finding> {
    match validate::validate(text) {
        Ok((_, mut findings)) => {
            // A playbook can pass every schema and rule and still give a
            // runbook nothing to do (its start leads straight to an end):
            // only the import's flow walk finds that, and the check must
            // refuse what the import refuses.
            if let Err(CacaoError::Invalid(refused)) = import_json(text) {
                findings.extend(refused.into_iter().filter(Finding::is_error));
                findings.sort();
                findings.dedup();
            }
            findings
        }
        Err(CacaoError::Invalid(findings)) => findings,
        Err(e) => vec![Finding::error("", e.to_string())],
    }
}
