//! One CACAO step as one runbook step, without its flow: title, instructions
//! from commands (only manual ones are instructions; any other command type
//! becomes text to do by hand, never run), checks, agents and targets in
//! words, timeouts and delays.

use std::collections::BTreeSet;

use base64::Engine as _;
use serde_json::Value;

use super::super::model::{AgentTarget, Command, Step, StepExt};
use super::{CHECK, Importer, TITLE_ONLY, join, millis, reference_text, step_path};
use crate::runbook::{self, Contact};

impl Importer<'_> {
    /// One runbook step from one CACAO step, without its flow.
    pub(super) fn step(
        &mut self,
        id: &str,
        step: &Step,
        ext: Option<&StepExt>,
        contacts: &[Contact],
    ) -> runbook::Step {
        let path = step_path(id);
        self.leftovers(&path, &step.other);
        let default_title = match step.kind.as_str() {
            "if-condition" | "switch-condition" => "Decide",
            "parallel" => "Work these branches in any order",
            "while-condition" => "Repeat",
            "playbook-action" => "Run another playbook",
            _ => "Action",
        };
        let title = step
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| default_title.to_owned());
        let mut text: Vec<String> = Vec::new();
        text.extend(step.description.clone());
        if let Some(delay) = millis(step.delay) {
            text.push(format!("Wait {delay} before starting this step."));
        }
        let mut checks = Vec::new();
        let mut role = None;
        let mut step_contacts = Vec::new();
        match step.kind.as_str() {
            "action" => {
                for (i, c) in step.commands.iter().enumerate() {
                    let cpath = format!("{path}/commands/{i}");
                    self.leftovers(&cpath, &c.other);
                    match self.command(&cpath, c) {
                        CommandText::Check(t) if ext.is_none() => checks.push(t),
                        CommandText::Check(_) | CommandText::TitleOnly => {}
                        CommandText::Text(t) => text.push(t),
                    }
                }
                if let Some(agent) = step.agent.as_ref() {
                    match self.parsed.agents.get(agent) {
                        Some(def) if def.is_people() => {
                            role = Some(def.name.clone());
                            step_contacts.extend(self.contact_of.get(agent).cloned());
                        }
                        Some(def) => text.push(format!("Carried out by: {}", system(def))),
                        None => {}
                    }
                }
                for t in &step.targets {
                    match self.parsed.targets.get(t) {
                        Some(def) if def.is_people() => {
                            step_contacts.extend(self.contact_of.get(t).cloned())
                        }
                        Some(def) => text.push(format!("Target: {}", system(def))),
                        None => {}
                    }
                }
            }
            "playbook-action" => {
                let pid = step.playbook_id.as_deref().unwrap_or("");
                let version = step
                    .playbook_version
                    .as_deref()
                    .map(|v| format!(" (version {v})"))
                    .unwrap_or_default();
                text.push(format!(
                    "Follow the playbook {pid}{version}. If it has been imported into grabbag, open that runbook now, and come back here when it is done."
                ));
            }
            "parallel" => {
                let names: Vec<String> = step
                    .next_steps
                    .iter()
                    .map(|b| format!("- {}", self.branch_name(b)))
                    .collect();
                text.push(format!(
                    "These branches can be worked at the same time, in any order; the runbook lists them one after another:\n{}",
                    names.join("\n")
                ));
            }
            "while-condition" => {
                let condition = step.condition.clone().unwrap_or_default();
                let body = self.bodies.get(id).cloned().unwrap_or_default();
                let mut lines = vec![format!("Repeat while: {condition}")];
                if !body.is_empty() {
                    lines.push("Each time round:".to_owned());
                }
                for b in &body {
                    let Some(s) = self.steps.get(b) else { continue };
                    lines.push(format!("- {}", self.body_line(b, s)));
                    checks.push(s.name.clone().unwrap_or_else(|| s.kind.clone()));
                }
                checks.push(format!("Stopped: no longer true that {condition}"));
                text.push(lines.join("\n"));
                if !body.is_empty() {
                    self.warn(
                        &path,
                        format!(
                            "while loop folded into one step: the {} step(s) of its body are listed in its text",
                            body.len()
                        ),
                    );
                }
            }
            _ => {}
        }
        for r in &step.external_references {
            text.push(format!("See: {}", reference_text(r)));
        }
        if let Some(e) = ext {
            role = e.role.clone();
            checks = e.checks.clone();
            step_contacts = e.contacts.clone();
        }
        let known: BTreeSet<&str> = contacts.iter().map(|c| c.id.as_str()).collect();
        step_contacts.retain(|c| known.contains(c.as_str()));
        step_contacts.dedup();
        runbook::Step {
            id: String::new(),
            title,
            role,
            instructions: join(&text.iter().map(String::as_str).collect::<Vec<_>>()),
            checks,
            expect_within: millis(step.timeout),
            contacts: step_contacts,
            next: None,
            decision: None,
        }
    }

    fn command(&mut self, path: &str, c: &Command) -> CommandText {
        let mut body = c.command.clone().unwrap_or_default();
        if body.is_empty()
            && let Some(b64) = &c.command_b64
        {
            match base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
            {
                Some(text) => body = text,
                None => self.warn(
                    &format!("{path}/command_b64"),
                    "not imported: not base64-encoded UTF-8 text",
                ),
            }
        }
        if c.kind == "manual" {
            match c.description.as_deref() {
                Some(CHECK) => return CommandText::Check(body),
                Some(TITLE_ONLY) => return CommandText::TitleOnly,
                _ => {}
            }
            return CommandText::Text(match &c.description {
                Some(d) if !body.is_empty() => format!("{d}: {body}"),
                Some(d) => d.clone(),
                None => body,
            });
        }
        self.hand_commands.insert(c.kind.clone());
        let what = c
            .description
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        CommandText::Text(format!(
            "By hand, if at all (grabbag never runs commands) — {} command{what}: {body}",
            c.kind
        ))
    }

    fn branch_name(&self, id: &str) -> String {
        let shown = self.resolve(Some(id)).unwrap_or_else(|| id.to_owned());
        self.steps
            .get(&shown)
            .and_then(|s| s.name.clone())
            .unwrap_or(shown)
    }

    fn body_line(&mut self, id: &str, step: &Step) -> String {
        let name = step.name.clone().unwrap_or_else(|| step.kind.clone());
        let mut parts = vec![name];
        parts.extend(step.description.clone());
        for (i, c) in step.commands.iter().enumerate() {
            if let CommandText::Text(t) | CommandText::Check(t) =
                self.command(&format!("{}/commands/{i}", step_path(id)), c)
            {
                parts.push(t);
            }
        }
        if let Some(cond) = &step.condition {
            parts.push(format!("({} on: {cond})", step.kind));
        }
        parts.join(": ")
    }
}

enum CommandText {
    Text(String),
    Check(String),
    TitleOnly,
}

/// A system agent or target in words: name, type and addresses.
fn system(def: &AgentTarget) -> String {
    let mut out = format!("{} ({})", def.name, def.kind);
    if let Some(Value::Object(address)) = def.other.get("address") {
        let list: Vec<String> = address
            .values()
            .flat_map(|v| v.as_array().cloned().unwrap_or_default())
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        if !list.is_empty() {
            out.push_str(&format!(" at {}", list.join(", ")));
        }
    }
    out
}
