//! People and teams named as agents or targets, as runbook contacts: one
//! contact per person however many times it is named, systems left to the
//! steps that use them.

use std::collections::{BTreeMap, BTreeSet};

use super::super::model::{AgentExt, AgentTarget, pointer_escape};
use super::{Importer, slug, unique};
use crate::runbook::Contact;

impl Importer<'_> {
    /// People named as agents or targets, as runbook contacts.
    pub(super) fn contacts(&mut self) -> Vec<Contact> {
        let mut taken = BTreeSet::new();
        let mut out = Vec::new();
        let parsed = self.parsed;
        let defs = [
            ("agent_definitions", &parsed.agents),
            ("target_definitions", &parsed.targets),
        ];
        for (key, defs) in defs {
            for (id, def) in defs {
                let path = format!("/{key}/{}", pointer_escape(id));
                let ext: Option<AgentExt> = self.extension(
                    &format!("{path}/agent_target_extensions"),
                    &def.agent_target_extensions,
                );
                self.leftovers(&path, &def.other);
                if !def.is_people() {
                    continue;
                }
                if let Some(c) = &def.contact {
                    self.leftovers(&format!("{path}/contact"), &c.other);
                }
                // A person or team is a contact when it is a target, or an
                // agent with details to reach it; otherwise only a role.
                let reachable = def.contact.as_ref().is_some_and(|c| {
                    !c.phone.is_empty() || !c.email.is_empty() || c.contact_details.is_some()
                });
                if key == "agent_definitions" && !reachable && ext.is_none() {
                    continue;
                }
                if let Some(existing) = self
                    .contact_of
                    .values()
                    .find(|c| ext.as_ref().is_some_and(|e| e.contact_id == **c))
                {
                    // The same contact as agent and target: one entry.
                    let existing = existing.clone();
                    self.contact_of.insert(id.clone(), existing);
                    continue;
                }
                let wanted = ext
                    .as_ref()
                    .map(|e| e.contact_id.clone())
                    .unwrap_or_else(|| slug(&def.name));
                let contact_id = unique(&wanted, "contact", &mut taken);
                self.contact_of.insert(id.clone(), contact_id.clone());
                out.push(contact(def, contact_id, ext.as_ref()));
            }
        }
        out
    }
}

fn contact(def: &AgentTarget, id: String, ext: Option<&AgentExt>) -> Contact {
    let info = def.contact.clone().unwrap_or_default();
    let pick = |map: &BTreeMap<String, String>| -> (Option<String>, Vec<String>) {
        let first = map.get("work").or_else(|| map.values().next()).cloned();
        let rest = map
            .iter()
            .filter(|(_, v)| Some(*v) != first.as_ref())
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        (first, rest)
    };
    let (phone, more_phones) = pick(&info.phone);
    let (email, more_emails) = pick(&info.email);
    let mut when: Vec<String> = info.contact_details.into_iter().collect();
    let more: Vec<String> = more_phones.into_iter().chain(more_emails).collect();
    if !more.is_empty() {
        when.push(format!("Also: {}", more.join(", ")));
    }
    Contact {
        id,
        name: if def.name.trim().is_empty() {
            def.kind.clone()
        } else {
            def.name.clone()
        },
        role: def.description.clone(),
        phone,
        email,
        when: if when.is_empty() {
            None
        } else {
            Some(when.join("\n"))
        },
        placeholder: ext.is_some_and(|e| e.placeholder),
    }
}
