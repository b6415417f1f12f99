//! Is this a CACAO 2.0 playbook grabbag can follow? The official schemas, then
//! what no schema can say: every step a step names exists, the start leads
//! somewhere, agents and targets are defined, and no loop lacks a way out.
//!
//! Errors refuse the playbook; warnings (a step never reached, an exception
//! handler that names nothing) let it through and are shown with the import.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::model::{AgentTarget, Playbook, Step, pointer_escape};
use super::{CacaoError, Finding, schema};

/// Past this many steps a playbook is refused: no real one comes close, and
/// it bounds the work a hostile file can cause.
const MAX_STEPS: usize = 10_000;

/// The step types of CACAO 2.0.
const STEP_TYPES: &[&str] = &[
    "start",
    "end",
    "action",
    "playbook-action",
    "parallel",
    "if-condition",
    "while-condition",
    "switch-condition",
];

/// A playbook that passed validation, with its parts read into types.
#[derive(Debug)]
pub(super) struct Parsed {
    /// Metadata and raw dictionaries.
    pub playbook: Playbook,
    /// The steps by id.
    pub steps: BTreeMap<String, Step>,
    /// Agents by id.
    pub agents: BTreeMap<String, AgentTarget>,
    /// Targets by id.
    pub targets: BTreeMap<String, AgentTarget>,
}

/// A short description of a step for messages: its id and name.
pub(super) fn describe(id: &str, step: Option<&Step>) -> String {
    match step.and_then(|s| s.name.as_deref()) {
        Some(name) if !name.trim().is_empty() => {
            let short: String = name.chars().take(60).collect();
            let more = if short.len() < name.len() { "…" } else { "" };
            format!("`{id}` ({short}{more})")
        }
        _ => format!("`{id}`"),
    }
}

fn typed<T: DeserializeOwned>(value: &Value, path: &str, out: &mut Vec<Finding>) -> Option<T> {
    match serde_json::from_value(value.clone()) {
        Ok(v) => Some(v),
        Err(e) => {
            out.push(Finding::error(path, format!("cannot be read: {e}")));
            None
        }
    }
}

/// Validates `text`: the parsed playbook and its warnings, or every error.
pub(super) fn validate(text: &str) -> Result<(Parsed, Vec<Finding>), CacaoError> {
    let value: Value = serde_json::from_str(text).map_err(|e| CacaoError::Json(e.to_string()))?;
    let mut findings = schema::validate(&value);
    if !value.is_object() {
        return Err(CacaoError::Invalid(findings));
    }
    let mut parsed = None;
    if let Some(playbook) = typed::<Playbook>(&value, "", &mut findings) {
        parsed = check_workflow(playbook, &mut findings);
    }
    findings.sort();
    findings.dedup();
    match parsed {
        Some(parsed) if !findings.iter().any(Finding::is_error) => Ok((parsed, findings)),
        _ => Err(CacaoError::Invalid(findings)),
    }
}

fn definitions(
    raw: &BTreeMap<String, Value>,
    key: &str,
    out: &mut Vec<Finding>,
) -> BTreeMap<String, AgentTarget> {
    raw.iter()
        .filter_map(|(id, v)| {
            let path = format!("/{key}/{}", pointer_escape(id));
            typed::<AgentTarget>(v, &path, out).map(|d| (id.clone(), d))
        })
        .collect()
}

fn check_workflow(playbook: Playbook, out: &mut Vec<Finding>) -> Option<Parsed> {
    if playbook.workflow.len() > MAX_STEPS {
        out.push(Finding::error(
            "/workflow",
            format!(
                "{} steps: grabbag imports at most {MAX_STEPS}",
                playbook.workflow.len()
            ),
        ));
        return None;
    }
    let mut steps = BTreeMap::new();
    for (id, raw) in &playbook.workflow {
        let path = format!("/workflow/{}", pointer_escape(id));
        let Some(step) = typed::<Step>(raw, &path, out) else {
            continue;
        };
        if !STEP_TYPES.contains(&step.kind.as_str()) {
            out.push(Finding::error(
                &format!("{path}/type"),
                format!("unknown step type `{}`", step.kind),
            ));
        } else if id.split_once("--").map(|(t, _)| t) != Some(step.kind.as_str()) {
            out.push(Finding::error(
                &path,
                format!(
                    "a step's id must be `{}--` followed by a UUID, matching its type",
                    step.kind
                ),
            ));
        }
        steps.insert(id.clone(), step);
    }
    let agents = definitions(&playbook.agent_definitions, "agent_definitions", out);
    let targets = definitions(&playbook.target_definitions, "target_definitions", out);

    if steps.is_empty() {
        out.push(Finding::error("/workflow", "the workflow has no steps"));
    }
    for (id, step) in &steps {
        let path = format!("/workflow/{}", pointer_escape(id));
        for (field, to) in step.references() {
            if !steps.contains_key(to) {
                out.push(Finding::error(
                    &format!("{path}/{field}"),
                    format!("names step `{to}`, which is not in the workflow"),
                ));
            }
        }
        if let Some(agent) = &step.agent
            && !playbook.agent_definitions.contains_key(agent)
        {
            out.push(Finding::error(
                &format!("{path}/agent"),
                format!("names agent `{agent}`, which is not in `agent_definitions`"),
            ));
        }
        for (i, target) in step.targets.iter().enumerate() {
            if !playbook.target_definitions.contains_key(target) {
                out.push(Finding::error(
                    &format!("{path}/targets/{i}"),
                    format!("names target `{target}`, which is not in `target_definitions`"),
                ));
            }
        }
        if step.kind == "start" && step.on_completion.is_none() {
            out.push(Finding::error(
                &path,
                "the start step leads nowhere: it needs `on_completion`",
            ));
        }
    }
    match steps.get(&playbook.workflow_start) {
        None => out.push(Finding::error(
            "/workflow_start",
            format!(
                "names step `{}`, which is not in the workflow",
                playbook.workflow_start
            ),
        )),
        Some(step) if step.kind != "start" => out.push(Finding::warning(
            "/workflow_start",
            format!(
                "is a `{}` step, where CACAO expects a start step (the flow begins there anyway)",
                step.kind
            ),
        )),
        Some(_) => {}
    }
    if let Some(exception) = &playbook.workflow_exception
        && !steps.contains_key(exception)
    {
        out.push(Finding::warning(
            "/workflow_exception",
            format!("names step `{exception}`, which is not in the workflow: ignored"),
        ));
    }
    if steps.contains_key(&playbook.workflow_start) {
        flow(&playbook, &steps, out);
    }
    Some(Parsed {
        playbook,
        steps,
        agents,
        targets,
    })
}

/// True when the flow can finish at this step without going anywhere else.
fn finishes_here(step: &Step) -> bool {
    let no_next = step.on_completion.is_none() && step.on_success.is_none();
    match step.kind.as_str() {
        "end" => true,
        "if-condition" => no_next && step.on_false.is_none(),
        "switch-condition" => no_next && !step.cases.contains_key("default"),
        "parallel" => false,
        _ => no_next,
    }
}

/// Reachability from the start, and loops with no way out.
fn flow(playbook: &Playbook, steps: &BTreeMap<String, Step>, out: &mut Vec<Finding>) {
    let succ = |id: &str| -> Vec<(String, String)> {
        steps
            .get(id)
            .map(|s| {
                s.references()
                    .into_iter()
                    .filter(|(_, to)| steps.contains_key(*to))
                    .map(|(f, to)| (f, to.to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut reached: BTreeSet<String> = BTreeSet::new();
    let mut queue = VecDeque::from([playbook.workflow_start.clone()]);
    while let Some(id) = queue.pop_front() {
        if reached.insert(id.clone()) {
            queue.extend(succ(&id).into_iter().map(|(_, to)| to));
        }
    }
    for (id, step) in steps {
        if !reached.contains(id) {
            let what = if playbook.workflow_exception.as_deref() == Some(id) {
                "the exception handler is not part of a runbook's flow: not imported"
            } else {
                "never reached from `workflow_start`: not imported"
            };
            out.push(Finding::warning(
                &format!("/workflow/{}", pointer_escape(id)),
                format!("{} {what}", describe(id, Some(step))),
            ));
        }
    }
    // CACAO ends every branch, and the workflow itself, with an `end` step;
    // its schema cannot require one, so a flow that just stops is named here
    // (the import ends that branch where it stops and goes on).
    for id in &reached {
        if let Some(step) = steps.get(id)
            && step.kind != "end"
            && finishes_here(step)
        {
            out.push(Finding::warning(
                &format!("/workflow/{}", pointer_escape(id)),
                format!(
                    "{} leads nowhere and is no `end` step: CACAO ends every branch with one; \
                     grabbag ends the branch here and goes on where its end would lead",
                    describe(id, Some(step))
                ),
            ));
        }
    }
    // Which reached steps can get to a finish? Walk the edges backwards from
    // the steps that finish, once each (a chain of 10,000 steps once took a
    // pass per step).
    let mut before: HashMap<&str, Vec<&str>> = HashMap::new();
    for id in &reached {
        if let Some(step) = steps.get(id) {
            for (_, to) in step.references() {
                before.entry(to).or_default().push(id.as_str());
            }
        }
    }
    let mut can_finish: BTreeSet<&str> = reached
        .iter()
        .filter(|id| {
            // A reference to a missing step is reported already: do not
            // report its step as a loop too.
            steps.get(*id).is_some_and(|s| {
                finishes_here(s)
                    || s.references()
                        .iter()
                        .any(|(_, to)| !steps.contains_key(*to))
            })
        })
        .map(String::as_str)
        .collect();
    let mut queue: Vec<&str> = can_finish.iter().copied().collect();
    while let Some(id) = queue.pop() {
        for from in before.get(id).into_iter().flatten() {
            if can_finish.insert(from) {
                queue.push(from);
            }
        }
    }
    let stuck: Vec<&String> = reached
        .iter()
        .filter(|id| !can_finish.contains(id.as_str()))
        .collect();
    let mut reported: BTreeSet<String> = BTreeSet::new();
    for start in stuck {
        if reported.contains(start) {
            continue;
        }
        // Walk forward inside the stuck set until a step repeats: that is the
        // loop. A walk into a loop already reported stops there.
        let mut path: Vec<(String, String)> = Vec::new();
        let mut on_path: HashMap<String, usize> = HashMap::new();
        let mut at = start.clone();
        let mut known = false;
        while !on_path.contains_key(&at) {
            if reported.contains(&at) {
                known = true;
                break;
            }
            let next = succ(&at)
                .into_iter()
                .find(|(_, to)| !can_finish.contains(to.as_str()));
            let Some((field, to)) = next else { break };
            on_path.insert(at.clone(), path.len());
            path.push((at.clone(), field));
            at = to;
        }
        for (id, _) in &path {
            reported.insert(id.clone());
        }
        if known {
            continue;
        }
        let from = on_path.get(&at).copied().unwrap_or(0);
        let cycle = &path[from..];
        let Some((last, field)) = cycle.last() else {
            continue;
        };
        let mut names: Vec<String> = cycle
            .iter()
            .map(|(id, _)| describe(id, steps.get(id)))
            .collect();
        names.push(describe(&at, steps.get(&at)));
        out.push(Finding::error(
            &format!("/workflow/{}/{field}", pointer_escape(last)),
            format!(
                "loop with no exit: {} (no step in it leads to an end)",
                names.join(" → ")
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn playbook(workflow: Value) -> String {
        serde_json::json!({
            "type": "playbook",
            "spec_version": "cacao-2.0",
            "id": "playbook--11111111-1111-4111-8111-111111111111",
            "name": "t",
            "created_by": "identity--11111111-1111-4111-8111-111111111112",
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "workflow_start": "start--11111111-1111-4111-8111-111111111113",
            "workflow": workflow,
            "agent_definitions": {
                "individual--11111111-1111-4111-8111-111111111119": {"type": "individual", "name": "Ann"}
            }
        })
        .to_string()
    }

    const START: &str = "start--11111111-1111-4111-8111-111111111113";
    const A: &str = "action--11111111-1111-4111-8111-111111111114";
    const B: &str = "action--11111111-1111-4111-8111-111111111115";
    const END: &str = "end--11111111-1111-4111-8111-111111111116";
    const AGENT: &str = "individual--11111111-1111-4111-8111-111111111119";

    fn action(next: &str) -> Value {
        serde_json::json!({"type": "action", "name": "Do it", "on_completion": next,
            "commands": [{"type": "manual", "command": "x"}], "agent": AGENT})
    }

    fn errors(text: &str) -> Vec<Finding> {
        match validate(text) {
            Ok(_) => Vec::new(),
            Err(CacaoError::Invalid(f)) => f.into_iter().filter(Finding::is_error).collect(),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_simple_playbook_is_valid() {
        let text = playbook(serde_json::json!({
            START: {"type": "start", "on_completion": A},
            A: action(END),
            END: {"type": "end"},
        }));
        assert!(errors(&text).is_empty(), "{:?}", errors(&text));
    }

    #[test]
    fn dangling_reference_is_named_by_path() {
        let text = playbook(serde_json::json!({
            START: {"type": "start", "on_completion": A},
            A: action(B),
            END: {"type": "end"},
        }));
        let errs = errors(&text);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].path, format!("/workflow/{A}/on_completion"));
        assert!(errs[0].message.contains(B));
    }

    #[test]
    fn loop_with_no_exit_is_an_error() {
        let text = playbook(serde_json::json!({
            START: {"type": "start", "on_completion": A},
            A: action(B),
            B: action(A),
            END: {"type": "end"},
        }));
        let errs = errors(&text);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].message.starts_with("loop with no exit"), "{errs:?}");
        assert!(errs[0].message.contains(A) && errs[0].message.contains(B));
    }

    #[test]
    fn a_loop_with_an_exit_passes_validation() {
        let mut retry = action(END);
        retry["on_success"] = Value::from(END);
        retry["on_failure"] = Value::from(A);
        retry.as_object_mut().unwrap().remove("on_completion");
        let text = playbook(serde_json::json!({
            START: {"type": "start", "on_completion": A},
            A: retry,
            END: {"type": "end"},
        }));
        assert!(errors(&text).is_empty(), "{:?}", errors(&text));
    }

    #[test]
    fn missing_start_and_unknown_agent() {
        let mut a = action(END);
        a["agent"] = Value::from("individual--11111111-1111-4111-8111-11111111111a");
        let text = playbook(serde_json::json!({ A: a, END: {"type": "end"} }));
        let paths: Vec<String> = errors(&text).into_iter().map(|f| f.path).collect();
        assert!(paths.contains(&"/workflow_start".to_owned()), "{paths:?}");
        assert!(paths.contains(&format!("/workflow/{A}/agent")), "{paths:?}");
    }

    #[test]
    fn not_json_and_not_an_object() {
        assert!(matches!(validate("{"), Err(CacaoError::Json(_))));
        assert!(matches!(validate("[]"), Err(CacaoError::Invalid(_))));
        assert!(matches!(validate("null"), Err(CacaoError::Invalid(_))));
    }
}
