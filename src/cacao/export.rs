//! From a grabbag runbook to a CACAO 2.0 playbook.
//!
//! Each runbook step becomes one workflow step between a start and an end
//! step: a step without a decision becomes an `action` whose commands are
//! `manual` (the instructions, then one command per check), done by an agent
//! named after the step's role; a decision with two options becomes an
//! `if-condition`, one with more a `switch-condition`. Contacts become
//! `individual` or `group` targets with their phone, email and when-to-call.
//! What CACAO has no property for (the runbook and step ids, owner, kind,
//! review period, clocks, option labels) travels in grabbag's own extension,
//! so importing the export gives the same runbook back.
//!
//! Identifiers are derived from the runbook (see `ids.rs`) and
//! dictionaries are sorted, so exporting the same runbook twice gives the same
//! bytes. Before it is returned the result is imported back, which checks it
//! against the embedded schemas and the workflow rules, and the runbook that
//! comes back must be the one that went out ([`super::differences`]).

use std::collections::BTreeMap;

use serde_json::Value;

use super::ids::object_id;
use super::import::{CHECK, TITLE_ONLY, slug};
use super::model::{
    AgentExt, AgentTarget, ClockExt, Command, ContactInfo, ExtensionDefinition, ExternalReference,
    Playbook, PlaybookExt, Step, StepExt,
};
use super::{CacaoError, Finding, ImportOptions, differences, import};
use crate::runbook::{Contact, Runbook, Severity, Target};

/// The id of grabbag's extension definition (the same in every export).
pub(super) fn extension_id() -> String {
    object_id("extension-definition", &["grabbag runbook"])
}

fn timestamp(date: chrono::NaiveDate) -> String {
    format!("{}T00:00:00.000Z", date.format("%Y-%m-%d"))
}

fn to_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn severity(s: Severity) -> i64 {
    match s {
        Severity::Low => 25,
        Severity::Medium => 50,
        Severity::High => 75,
        Severity::Critical => 100,
    }
}

/// `group` for names that read as a team, desk or organisation, else `individual`.
fn contact_type(name: &str) -> &'static str {
    const GROUP_WORDS: &[&str] = &[
        "team",
        "desk",
        "line",
        "service",
        "centre",
        "center",
        "office",
        "unit",
        "hub",
        "forum",
        "secretariat",
        "reporting",
        "police",
        "bank",
        "insurer",
        "provider",
        "contractor",
        "/",
    ];
    let lower = name.to_lowercase();
    if GROUP_WORDS.iter().any(|w| lower.contains(w)) {
        "group"
    } else {
        "individual"
    }
}

/// A switch case key: CACAO allows letters, digits, `-` and `_`. A numbered
/// prefix keeps the options in order once keys are sorted; the last option
/// is the `default` case.
fn case_key(index: usize, count: usize, label: &str) -> String {
    if index + 1 == count {
        return "default".to_owned();
    }
    let slug = slug(label);
    let width = count.to_string().len().max(2);
    format!("{:0width$}-{slug}", index + 1)
}

/// The runbook as a CACAO 2.0 playbook (pretty JSON), checked against the
/// official schemas and the workflow rules.
pub fn export(rb: &Runbook) -> Result<String, CacaoError> {
    let playbook = playbook(rb);
    let text = serde_json::to_string_pretty(&playbook)
        .map_err(|e| CacaoError::Export(vec![Finding::error("", e.to_string())]))?;
    // Runbook text is untrusted: controls and bidi overrides become `\uXXXX`
    // escapes (the same JSON value), so the playbook is inert on a terminal and
    // printing it never needs the placeholders that would break the JSON.
    let text = crate::text::json_safe(&text).into_owned();
    // The self-check: the schemas and workflow rules (inside the import),
    // then the runbook that comes back must be the one that went out.
    let options = ImportOptions {
        default_id: rb.id.clone(),
        today: chrono::NaiveDate::MIN,
    };
    match import(&text, &options) {
        Ok(back) => {
            let diffs = differences(rb, &back.runbook);
            if diffs.is_empty() {
                Ok(text + "\n")
            } else {
                Err(CacaoError::Export(
                    diffs
                        .into_iter()
                        .map(|d| Finding::error("", format!("does not import back the same: {d}")))
                        .collect(),
                ))
            }
        }
        Err(CacaoError::Invalid(findings)) => Err(CacaoError::Export(findings)),
        Err(e) => Err(CacaoError::Export(vec![Finding::error("", e.to_string())])),
    }
}

fn playbook(rb: &Runbook) -> Playbook<Step, AgentTarget> {
    let ext_id = extension_id();
    let rid = rb.id.as_str();
    let start_id = object_id("start", &[rid]);
    let end_id = object_id("end", &[rid]);
    let step_id = |i: usize| -> String {
        let step = &rb.steps[i];
        let kind = match &step.decision {
            None => "action",
            Some(d) if d.options.len() == 2 => "if-condition",
            Some(_) => "switch-condition",
        };
        object_id(kind, &[rid, &step.id])
    };
    let ids: BTreeMap<&str, String> = rb
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), step_id(i)))
        .collect();
    let goto = |t: &Target| match t {
        Target::Step(id) => ids
            .get(id.as_str())
            .cloned()
            .unwrap_or_else(|| end_id.clone()),
        Target::End => end_id.clone(),
    };
    let contact_ids: BTreeMap<&str, String> = rb
        .contacts
        .iter()
        .map(|c| {
            (
                c.id.as_str(),
                object_id(contact_type(&c.name), &[rid, "contact", &c.id]),
            )
        })
        .collect();
    let anyone = object_id("group", &[rid, "anyone"]);
    let mut agents: BTreeMap<String, AgentTarget> = BTreeMap::new();

    let mut workflow: BTreeMap<String, Step> = BTreeMap::new();
    workflow.insert(
        start_id.clone(),
        Step {
            kind: "start".to_owned(),
            name: Some("Start".to_owned()),
            on_completion: rb.steps.first().map(|s| ids[s.id.as_str()].clone()),
            ..Step::default()
        },
    );
    workflow.insert(
        end_id.clone(),
        Step {
            kind: "end".to_owned(),
            name: Some("End".to_owned()),
            ..Step::default()
        },
    );
    for (i, s) in rb.steps.iter().enumerate() {
        let ext = StepExt {
            step_id: s.id.clone(),
            role: s.role.clone(),
            checks: s.checks.clone(),
            contacts: s.contacts.clone(),
            options: s
                .decision
                .iter()
                .flat_map(|d| d.options.iter().map(|o| o.label.clone()))
                .collect(),
        };
        let mut step = Step {
            name: Some(s.title.clone()),
            timeout: s
                .expect_within
                .map(|d| (d.as_secs() as i64).saturating_mul(1000)),
            step_extensions: BTreeMap::from([(ext_id.clone(), to_value(&ext))]),
            ..Step::default()
        };
        match &s.decision {
            None => {
                let next = match &s.next {
                    Some(t) => goto(t),
                    None => rb
                        .steps
                        .get(i + 1)
                        .map_or_else(|| end_id.clone(), |n| ids[n.id.as_str()].clone()),
                };
                let first = if s.instructions.trim().is_empty() {
                    Command {
                        kind: "manual".to_owned(),
                        description: Some(TITLE_ONLY.to_owned()),
                        command: Some(s.title.clone()),
                        ..Command::default()
                    }
                } else {
                    Command {
                        kind: "manual".to_owned(),
                        command: Some(s.instructions.clone()),
                        ..Command::default()
                    }
                };
                step.kind = "action".to_owned();
                step.commands = std::iter::once(first)
                    .chain(s.checks.iter().map(|c| Command {
                        kind: "manual".to_owned(),
                        description: Some(CHECK.to_owned()),
                        command: Some(c.clone()),
                        ..Command::default()
                    }))
                    .collect();
                let agent = match &s.role {
                    Some(role) => {
                        let id = object_id("group", &[rid, "role", role]);
                        agents.insert(
                            id.clone(),
                            AgentTarget {
                                kind: "group".to_owned(),
                                name: role.clone(),
                                description: Some("A role in the runbook".to_owned()),
                                ..AgentTarget::default()
                            },
                        );
                        id
                    }
                    None => {
                        agents.insert(
                            anyone.clone(),
                            AgentTarget {
                                kind: "group".to_owned(),
                                name: "Whoever is working the runbook".to_owned(),
                                ..AgentTarget::default()
                            },
                        );
                        anyone.clone()
                    }
                };
                step.agent = Some(agent);
                step.targets = s
                    .contacts
                    .iter()
                    .filter_map(|c| contact_ids.get(c.as_str()).cloned())
                    .collect();
                step.on_completion = Some(next);
            }
            Some(d) => {
                if !s.instructions.trim().is_empty() {
                    step.description = Some(s.instructions.clone());
                }
                if d.options.len() == 2 {
                    step.kind = "if-condition".to_owned();
                    step.condition = Some(d.question.clone());
                    step.on_true = Some(goto(&d.options[0].goto));
                    step.on_false = Some(goto(&d.options[1].goto));
                } else {
                    step.kind = "switch-condition".to_owned();
                    step.switch = Some(d.question.clone());
                    let n = d.options.len();
                    step.cases = d
                        .options
                        .iter()
                        .enumerate()
                        .map(|(j, o)| (case_key(j, n, &o.label), goto(&o.goto)))
                        .collect();
                }
            }
        }
        workflow.insert(ids[s.id.as_str()].clone(), step);
    }

    let targets: BTreeMap<String, AgentTarget> = rb
        .contacts
        .iter()
        .map(|c| (contact_ids[c.id.as_str()].clone(), target(c, &ext_id)))
        .collect();
    let ext = PlaybookExt {
        runbook_id: rb.id.clone(),
        kind: rb.kind.as_str().to_owned(),
        owner: rb.owner.clone(),
        review_every_months: rb.review_every_months,
        themes: rb.themes.iter().map(|t| t.as_str().to_owned()).collect(),
        stages: rb.stages.iter().map(|s| s.as_str().to_owned()).collect(),
        clocks: rb
            .clocks
            .iter()
            .map(|c| ClockExt {
                clock_id: c.id.clone(),
                label: c.label.clone(),
                due_after: c.due_after.to_string(),
                starts_on: c.starts_on.clone(),
                counts_from: c.counts_from.clone(),
                met_by: c.met_by.clone(),
                basis: c.basis.clone(),
            })
            .collect(),
        cases: rb.cases.clone(),
    };
    let definition = ExtensionDefinition {
        kind: "extension-definition",
        name: "grabbag runbook",
        description: "Runbook fields that CACAO has no property for: runbook and step ids, \
                      owner, kind, review period, clocks, case kinds, step roles, checks, contacts and \
                      decision option labels. Importing into grabbag restores them.",
        created_by: object_id("identity", &["grabbag"]),
        schema: "grabbag docs/cacao.md, section \"The grabbag extension\"",
        version: "1",
    };
    let reviewed = timestamp(rb.reviewed);
    Playbook {
        kind: "playbook".to_owned(),
        spec_version: "cacao-2.0".to_owned(),
        id: object_id("playbook", &[rid]),
        name: rb.title.clone(),
        description: Some(rb.summary.clone()),
        created_by: object_id("identity", &[&rb.owner]),
        created: reviewed.clone(),
        modified: reviewed,
        severity: Some(severity(rb.severity)),
        labels: rb.tags.clone(),
        external_references: rb
            .references
            .iter()
            .map(|r| ExternalReference {
                name: r.clone(),
                source: Some(r.clone()),
                ..ExternalReference::default()
            })
            .collect(),
        workflow_start: start_id,
        workflow_exception: None,
        workflow,
        agent_definitions: agents,
        target_definitions: targets,
        extension_definitions: BTreeMap::from([(ext_id.clone(), to_value(&definition))]),
        playbook_extensions: BTreeMap::from([(ext_id, to_value(&ext))]),
        other: BTreeMap::new(),
    }
}

fn target(c: &Contact, ext_id: &str) -> AgentTarget {
    let work = |v: &Option<String>| -> BTreeMap<String, String> {
        v.iter().map(|v| ("work".to_owned(), v.clone())).collect()
    };
    let info = ContactInfo {
        phone: work(&c.phone),
        email: work(&c.email),
        contact_details: c.when.clone(),
        ..ContactInfo::default()
    };
    let empty = info.phone.is_empty() && info.email.is_empty() && info.contact_details.is_none();
    AgentTarget {
        kind: contact_type(&c.name).to_owned(),
        name: c.name.clone(),
        description: c.role.clone(),
        contact: (!empty).then_some(info),
        agent_target_extensions: BTreeMap::from([(
            ext_id.to_owned(),
            to_value(&AgentExt {
                contact_id: c.id.clone(),
                placeholder: c.placeholder,
            }),
        )]),
        ..AgentTarget::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<Runbook> {
        crate::samples::SAMPLE_RUNBOOKS
            .iter()
            .map(|(path, text)| {
                let id = path.trim_end_matches(".toml");
                let checked = crate::runbook::check(path, text, id, chrono::NaiveDate::MIN);
                checked
                    .runbook
                    .unwrap_or_else(|| panic!("{path}: {:?}", checked.diagnostics))
            })
            .collect()
    }

    #[test]
    fn every_sample_runbook_exports_validates_and_comes_back() {
        let samples = samples();
        assert!(samples.len() >= 10);
        for rb in samples {
            // `export` itself checks the schemas and the round trip.
            let text = export(&rb).unwrap_or_else(|e| panic!("{}: {e}", rb.id));
            assert_eq!(export(&rb).unwrap(), text, "{}: stable", rb.id);
            let value: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(value["spec_version"], "cacao-2.0");
            assert!(crate::cacao::schema::validate(&value).is_empty());
        }
    }

    #[test]
    fn decisions_become_if_or_switch() {
        let rb = samples()
            .into_iter()
            .find(|rb| rb.steps.iter().any(|s| s.decision.is_some()))
            .unwrap();
        let value: Value = serde_json::from_str(&export(&rb).unwrap()).unwrap();
        let workflow = value["workflow"].as_object().unwrap();
        let has = |prefix: &str| workflow.keys().filter(|k| k.starts_with(prefix)).count();
        assert!(has("if-condition--") + has("switch-condition--") > 0);
        assert_eq!(has("start--"), 1);
        assert_eq!(has("end--"), 1);
        assert_eq!(case_key(0, 3, "Yes, or unsure!"), "01-yes-or-unsure");
        assert_eq!(case_key(2, 3, "No"), "default");
    }
}
