//! The parts of a CACAO 2.0 playbook that grabbag reads and writes, as serde
//! types, and grabbag's own CACAO extension.
//!
//! Every object keeps the properties it does not name in `other`, so the
//! importer can list each one it could not carry into a runbook (nothing is
//! dropped silently) and the exporter writes exactly the fields set here.
//! Dictionaries are `BTreeMap`s: CACAO gives their order no meaning, and sorted
//! keys make an export byte-for-byte stable.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Unnamed properties of an object, kept to be reported.
pub type Other = BTreeMap<String, Value>;

fn is_false(b: &bool) -> bool {
    !*b
}

/// A playbook: metadata, the workflow and the definitions its steps refer to.
///
/// Read, the workflow and the agent and target dictionaries stay raw JSON
/// (`S` and `A` are [`Value`]): each entry is then read on its own, so a
/// malformed one is reported with its path. Written, they are [`Step`]s and
/// [`AgentTarget`]s, so each object keeps its fields in a readable order.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Playbook<S = Value, A = Value> {
    /// Always `playbook`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Always `cacao-2.0`.
    pub spec_version: String,
    /// `playbook--UUID`.
    pub id: String,
    /// The playbook's name.
    pub name: String,
    /// What it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The identity that made it (`identity--UUID`).
    pub created_by: String,
    /// RFC 3339 timestamp.
    pub created: String,
    /// RFC 3339 timestamp: the version.
    pub modified: String,
    /// 1 (lowest) to 100 (highest); 0 means undefined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<i64>,
    /// Free-form labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// Documents the playbook rests on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_references: Vec<ExternalReference>,
    /// The first step.
    pub workflow_start: String,
    /// The step run on an exception.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_exception: Option<String>,
    /// The steps, by id.
    pub workflow: BTreeMap<String, S>,
    /// Agents, by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub agent_definitions: BTreeMap<String, A>,
    /// Targets, by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub target_definitions: BTreeMap<String, A>,
    /// Extension definitions, by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extension_definitions: BTreeMap<String, Value>,
    /// Extension data on the playbook, by extension id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub playbook_extensions: BTreeMap<String, Value>,
    /// Everything else.
    #[serde(flatten)]
    pub other: Other,
}

/// A workflow step of any type; the fields used depend on `kind`.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Step {
    /// `start`, `end`, `action`, `playbook-action`, `parallel`, `if-condition`,
    /// `while-condition` or `switch-condition`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Shown in a user interface.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the step does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Documents for this step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_references: Vec<ExternalReference>,
    /// Milliseconds to wait before starting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<i64>,
    /// Milliseconds after which the step has failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    /// Next step whatever the outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_completion: Option<String>,
    /// Next step on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_success: Option<String>,
    /// Next step on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<String>,
    /// Action: what to do.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<Command>,
    /// Action: who does it (an agent id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Action: what or whom it acts on (target ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// If and while: the condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// If and while: the branch taken when the condition holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_true: Option<String>,
    /// If: the branch taken otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_false: Option<String>,
    /// Switch: what is compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switch: Option<String>,
    /// Switch: case value to step id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cases: BTreeMap<String, String>,
    /// Parallel: the branches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next_steps: Vec<String>,
    /// Playbook action: the playbook to run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playbook_id: Option<String>,
    /// Playbook action: its version (a `modified` timestamp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playbook_version: Option<String>,
    /// Extension data, by extension id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub step_extensions: BTreeMap<String, Value>,
    /// Everything else.
    #[serde(flatten)]
    pub other: Other,
}

impl Step {
    /// Every step id this step names, with the property (as a JSON pointer
    /// suffix such as `on_true` or `next_steps/1`) that names it.
    pub fn references(&self) -> Vec<(String, &str)> {
        let mut out: Vec<(String, &str)> = [
            ("on_completion", &self.on_completion),
            ("on_success", &self.on_success),
            ("on_failure", &self.on_failure),
            ("on_true", &self.on_true),
            ("on_false", &self.on_false),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.as_deref().map(|v| (key.to_owned(), v)))
        .collect();
        for (i, s) in self.next_steps.iter().enumerate() {
            out.push((format!("next_steps/{i}"), s.as_str()));
        }
        for (case, s) in &self.cases {
            out.push((format!("cases/{}", pointer_escape(case)), s.as_str()));
        }
        out
    }
}

/// A command of an action step.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Command {
    /// `manual`, `bash`, `ssh`, `http-api`...
    #[serde(rename = "type")]
    pub kind: String,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The command as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The command, base64-encoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_b64: Option<String>,
    /// Everything else.
    #[serde(flatten)]
    pub other: Other,
}

/// An agent or a target: a person, a team, an organisation or a system.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct AgentTarget {
    /// `individual`, `group`, `organization`, `ssh`, `http-api`...
    #[serde(rename = "type")]
    pub kind: String,
    /// Its name.
    pub name: String,
    /// More about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How to reach a person, team or organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactInfo>,
    /// Extension data, by extension id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub agent_target_extensions: BTreeMap<String, Value>,
    /// Everything else (addresses, locations, credentials references...).
    #[serde(flatten)]
    pub other: Other,
}

impl AgentTarget {
    /// True for the types that name people: individuals, groups and organisations.
    pub fn is_people(&self) -> bool {
        matches!(self.kind.as_str(), "individual" | "group" | "organization")
    }
}

/// CACAO's `contact` data type.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct ContactInfo {
    /// Email addresses by kind (`work`, `home`...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub email: BTreeMap<String, String>,
    /// Phone numbers by kind.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub phone: BTreeMap<String, String>,
    /// Anything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_details: Option<String>,
    /// Everything else.
    #[serde(flatten)]
    pub other: Other,
}

/// A pointer to a document outside the playbook.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct ExternalReference {
    /// Title or author.
    pub name: String,
    /// What it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A citation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Where it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The source's own identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// An identifier of the data referred to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_id: Option<String>,
    /// Everything else.
    #[serde(flatten)]
    pub other: Other,
}

/// The definition of grabbag's extension, written into every export.
#[derive(Debug, Clone, Serialize)]
pub struct ExtensionDefinition {
    /// Always `extension-definition`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Its name.
    pub name: &'static str,
    /// What it carries.
    pub description: &'static str,
    /// Who defined it.
    pub created_by: String,
    /// Where its properties are described.
    pub schema: &'static str,
    /// Its version.
    pub version: &'static str,
}

/// grabbag's playbook-level extension: the runbook fields CACAO has no
/// property for. Property names follow CACAO's rule (`a-z0-9_`, 3+ chars).
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaybookExt {
    /// The runbook id, e.g. `cyber/ransomware`.
    pub runbook_id: String,
    /// `cyber` or `continuity`.
    pub kind: String,
    /// The owning role.
    pub owner: String,
    /// Review period in months.
    pub review_every_months: u32,
    /// Deadlines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clocks: Vec<ClockExt>,
    /// Kinds of case the runbook keeps a register of, as the runbook
    /// declares them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cases: Vec<crate::runbook::CaseKind>,
    /// LGA grab-bag themes served (`healthy-teaming`...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub themes: Vec<String>,
    /// LGA grab-bag stages served (`identify`...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<String>,
}

/// A runbook clock in the extension.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockExt {
    /// Clock id.
    pub clock_id: String,
    /// What must happen by the deadline.
    pub label: String,
    /// Duration text such as `72h`.
    pub due_after: String,
    /// Step id whose completion starts it.
    pub starts_on: String,
    /// `awareness` when it counts from the time of awareness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts_from: Option<String>,
    /// Step id whose completion meets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub met_by: Option<String>,
    /// What it rests on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
}

/// grabbag's step-level extension: the step id and the fields a CACAO step
/// of that type cannot hold. When present it is authoritative for them.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepExt {
    /// The runbook step id.
    pub step_id: String,
    /// Who does it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Tick boxes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<String>,
    /// Contact ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
    /// Decision option labels, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// grabbag's agent/target extension: which runbook contact this is.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentExt {
    /// The runbook contact id.
    pub contact_id: String,
    /// A sample value to replace before use.
    #[serde(default, skip_serializing_if = "is_false")]
    pub placeholder: bool,
}

/// Escapes a JSON object key for use in a JSON pointer (RFC 6901).
pub fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
