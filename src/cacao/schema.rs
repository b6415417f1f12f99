//! The official CACAO 2.0 JSON schemas, embedded in the binary, and
//! validation of a playbook against them.
//!
//! Every schema file is registered under its `$id`, so each cross-file `$ref`
//! resolves from these copies; a `$ref` to anything else fails instead of
//! reaching for the network (grabbag never makes a network call). The schemas
//! declare draft-07, under which `unevaluatedProperties` is not a keyword: like
//! other draft-07 validators we ignore it, which is what lets real playbooks
//! (with vendor agent types such as `soarca--…`) validate.

use std::sync::OnceLock;

use jsonschema::{Registry, Resource, Validator};
use serde_json::Value;

use super::Finding;

/// The `$id` of the playbook schema, the root of the set.
const ROOT_ID: &str =
    "https://raw.githubusercontent.com/oasis-open/cacao-json-schemas/main/schemas/playbook.json";

/// Every schema file, as shipped by OASIS.
const SCHEMAS: &[&str] = &[
    include_str!("schemas/agent-target/agent-target.json"),
    include_str!("schemas/agent-target/group.json"),
    include_str!("schemas/agent-target/http-api.json"),
    include_str!("schemas/agent-target/individual.json"),
    include_str!("schemas/agent-target/linux.json"),
    include_str!("schemas/agent-target/location.json"),
    include_str!("schemas/agent-target/net-address.json"),
    include_str!("schemas/agent-target/organization.json"),
    include_str!("schemas/agent-target/sector.json"),
    include_str!("schemas/agent-target/security-category.json"),
    include_str!("schemas/agent-target/ssh.json"),
    include_str!("schemas/authentication-info/authentication-info.json"),
    include_str!("schemas/authentication-info/http-basic.json"),
    include_str!("schemas/authentication-info/oauth2.json"),
    include_str!("schemas/authentication-info/user-auth.json"),
    include_str!("schemas/commands/bash.json"),
    include_str!("schemas/commands/caldera-cmd.json"),
    include_str!("schemas/commands/command-data.json"),
    include_str!("schemas/commands/elastic.json"),
    include_str!("schemas/commands/http-api.json"),
    include_str!("schemas/commands/jupyter.json"),
    include_str!("schemas/commands/kestrel.json"),
    include_str!("schemas/commands/manual.json"),
    include_str!("schemas/commands/openc2-http.json"),
    include_str!("schemas/commands/powershell.json"),
    include_str!("schemas/commands/sigma.json"),
    include_str!("schemas/commands/ssh.json"),
    include_str!("schemas/commands/yara.json"),
    include_str!("schemas/data-markings/data-marking.json"),
    include_str!("schemas/data-markings/marking-iep.json"),
    include_str!("schemas/data-markings/marking-statement.json"),
    include_str!("schemas/data-markings/marking-tlp.json"),
    include_str!("schemas/data-types/civic-location.json"),
    include_str!("schemas/data-types/contact.json"),
    include_str!("schemas/data-types/external-reference.json"),
    include_str!("schemas/data-types/identifier.json"),
    include_str!("schemas/data-types/playbook-processing-summary.json"),
    include_str!("schemas/data-types/signature.json"),
    include_str!("schemas/data-types/timestamp.json"),
    include_str!("schemas/data-types/variable.json"),
    include_str!("schemas/extension-definition/extension-definition.json"),
    include_str!("schemas/playbook.json"),
    include_str!("schemas/workflows/action.json"),
    include_str!("schemas/workflows/end.json"),
    include_str!("schemas/workflows/if-condition.json"),
    include_str!("schemas/workflows/parallel.json"),
    include_str!("schemas/workflows/playbook-action.json"),
    include_str!("schemas/workflows/start.json"),
    include_str!("schemas/workflows/switch-condition.json"),
    include_str!("schemas/workflows/while-condition.json"),
    include_str!("schemas/workflows/workflow-step.json"),
];

/// Refuses every retrieval: all schemas are embedded, and a `$ref` to
/// anything else is an error, never a download.
struct NoRetrieval;

impl jsonschema::Retrieve for NoRetrieval {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        Err(format!("{uri} is not one of the embedded CACAO schemas").into())
    }
}

fn build() -> Result<Validator, String> {
    let mut root = None;
    let mut resources = Vec::with_capacity(SCHEMAS.len());
    for text in SCHEMAS {
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let id = value
            .get("$id")
            .and_then(Value::as_str)
            .ok_or("an embedded schema has no $id")?
            .to_owned();
        if id == ROOT_ID {
            root = Some(value.clone());
        }
        let resource = Resource::from_contents(value);
        resources.push((id, resource));
    }
    let root = root.ok_or("the playbook schema is missing")?;
    let registry = Registry::new()
        .retriever(NoRetrieval)
        .extend(resources)
        .and_then(|b| b.prepare())
        .map_err(|e| e.to_string())?;
    jsonschema::options()
        .with_registry(&registry)
        .with_retriever(NoRetrieval)
        .build(&root)
        .map_err(|e| e.to_string())
}

/// The validator, compiled once per process.
fn validator() -> Result<&'static Validator, String> {
    static VALIDATOR: OnceLock<Result<Validator, String>> = OnceLock::new();
    VALIDATOR.get_or_init(build).as_ref().map_err(Clone::clone)
}

/// Every way `playbook` breaks the CACAO 2.0 schemas, each with its JSON path.
pub(super) fn validate(playbook: &Value) -> Vec<Finding> {
    let validator = match validator() {
        Ok(v) => v,
        Err(e) => {
            return vec![Finding::error(
                "",
                format!("the embedded CACAO schemas did not load: {e}"),
            )];
        }
    };
    let mut findings: Vec<Finding> = validator
        .iter_errors(playbook)
        .map(|e| Finding::error(e.instance_path().as_str(), shorten(&e.to_string())))
        .collect();
    findings.sort_by(|a, b| a.path.cmp(&b.path).then(a.message.cmp(&b.message)));
    findings.dedup();
    findings
}

/// Validator messages quote the offending value whole; a 10,000-character
/// string would bury the message, so long ones are cut.
fn shorten(message: &str) -> String {
    const MAX: usize = 300;
    if message.chars().count() <= MAX {
        return message.to_owned();
    }
    let cut: String = message.chars().take(MAX).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_schema_loads_and_compiles() {
        assert_eq!(SCHEMAS.len(), 51);
        assert!(validator().is_ok(), "{:?}", validator().err());
    }

    #[test]
    fn reports_errors_by_json_path() {
        let playbook = serde_json::json!({
            "type": "playbook",
            "spec_version": "cacao-1.0",
            "id": "playbook--not-a-uuid",
        });
        let findings = validate(&playbook);
        let paths: Vec<&str> = findings.iter().map(|f| f.path.as_str()).collect();
        assert!(paths.contains(&"/spec_version"), "{findings:?}");
        assert!(paths.contains(&"/id"), "{findings:?}");
        // Missing required properties are reported at the root.
        assert!(
            findings
                .iter()
                .any(|f| f.path.is_empty() && f.message.contains("workflow")),
            "{findings:?}"
        );
    }
}
