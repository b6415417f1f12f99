//! Import tests: the SOARCA examples, every step type, branches, loops,
//! hostile text and structural fuzzing of the playbook with every step type.

use super::*;
use crate::cacao::import_json;
use crate::runbook::Target;

macro_rules! soarca {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../../tests/data/cacao/soarca/", $name)),
        )
    };
}

const SOARCA: &[(&str, &str)] = &[
    soarca!("http-playbook.json"),
    soarca!("manual-playbook.json"),
    soarca!("openc2-playbook.json"),
    soarca!("playbook.json"),
    soarca!("powershell-playbook.json"),
    soarca!("ssh-playbook.json"),
];
const EVERY: &str = include_str!("../../../tests/data/cacao/every-step-type.json");

#[test]
fn soarca_examples_import_and_lint() {
    for (name, text) in SOARCA {
        let imported = import_json(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!imported.runbook.steps.is_empty(), "{name}");
        let again = runbook::check(name, &imported.toml, "x", NaiveDate::MIN);
        assert!(!again.has_errors(), "{name}: {:?}", again.diagnostics);
    }
}

#[test]
fn soarca_manual_command_becomes_an_instruction() {
    let imported = import_json(SOARCA[1].1).unwrap();
    let step = &imported.runbook.steps[0];
    assert_eq!(step.title, "manual");
    assert!(
        step.instructions
            .contains("prepare Falcon for hyperspeed jump")
    );
    assert_eq!(step.expect_within, Some(Duration::from_secs(100)));
    // The target is a person: a contact of the step.
    assert_eq!(step.contacts, ["luke-skywalker"]);
    let paths: Vec<&str> = imported.warnings.iter().map(|w| w.path.as_str()).collect();
    assert!(
        paths.iter().any(|p| p.ends_with("/step_variables")),
        "{paths:?}"
    );
    assert!(paths.iter().any(|p| p.ends_with("/out_args")), "{paths:?}");
}

#[test]
fn other_command_types_are_text_never_run() {
    let imported = import_json(SOARCA[5].1).unwrap();
    let text = &imported.runbook.steps[0].instructions;
    assert!(text.contains("grabbag never runs commands"), "{text}");
    assert!(text.contains("ssh command"), "{text}");
    assert!(text.contains("192.168.0.10"), "{text}");
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.message.contains("never runs them"))
    );
    // Credentials are reported by path, never copied.
    assert!(!imported.toml.contains("password\""));
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.path == "/authentication_info_definitions")
    );
}

#[test]
fn invalid_and_infinite_playbooks_are_refused_clearly() {
    let invalid = include_str!("../../../tests/data/cacao/soarca/invalid_playbook.json");
    let Err(CacaoError::Invalid(findings)) = import_json(invalid) else {
        panic!("invalid playbook imported");
    };
    assert!(
        findings.iter().any(|f| f.is_error()
            && f.path == "/agent_definitions/http-api--7e9174ec-a293-43df-a72d-471c79e276bf/type"),
        "{findings:?}"
    );
    let infinite = include_str!("../../../tests/data/cacao/soarca/infinite_playbook.json");
    let Err(CacaoError::Invalid(findings)) = import_json(infinite) else {
        panic!("infinite playbook imported");
    };
    let errors: Vec<&Finding> = findings.iter().filter(|f| f.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].message.starts_with("loop with no exit"));
    assert_eq!(
        errors[0].path,
        "/workflow/action--6b23c237-ade8-4d00-9aa1-75999738d557/on_completion"
    );
}

#[test]
fn every_step_type_maps() {
    let imported = import_json(EVERY).unwrap_or_else(|e| panic!("{e}"));
    let rb = &imported.runbook;
    let ids: Vec<&str> = rb.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids[0], "confirm-the-alert", "{ids:?}");
    let step = |id: &str| rb.step(id).unwrap_or_else(|| panic!("{id} in {ids:?}"));
    let confirm = step("confirm-the-alert");
    assert_eq!(confirm.role.as_deref(), Some("ICT on-call engineer"));
    assert_eq!(confirm.checks, ["User reached by phone"]);
    assert_eq!(confirm.expect_within, Some(Duration::from_secs(900)));
    assert!(
        confirm
            .instructions
            .starts_with("Look at the sign-in alert")
    );
    assert!(confirm.instructions.contains("Wait 1m before starting"));
    assert!(
        confirm
            .instructions
            .contains("See: Sign-in log guide — ICT wiki")
    );
    assert_eq!(
        confirm.contacts,
        ["ict-on-call-engineer", "data-protection-officer"]
    );
    let unknown = step("unknown-location").decision.as_ref().unwrap();
    assert_eq!(unknown.options.len(), 2);
    assert_eq!(unknown.options[0].label, "Yes");
    assert_eq!(
        unknown.options[0].goto,
        Target::Step("contain-the-account".into())
    );
    assert_eq!(unknown.options[1].goto, Target::End);
    let parallel = step("contain-the-account");
    assert!(parallel.instructions.contains("- Reset the password"));
    assert!(parallel.instructions.contains("- Tell the user's manager"));
    // The branches follow one another, then the loop.
    assert!(
        step("tell-the-user-s-manager")
            .instructions
            .contains("Phone the manager.")
    );
    let order = |id: &str| ids.iter().position(|i| *i == id).unwrap();
    assert!(order("reset-the-password") < order("tell-the-user-s-manager"));
    assert!(order("tell-the-user-s-manager") < order("revoke-sessions"));
    let loop_ = step("revoke-sessions");
    assert!(
        loop_
            .instructions
            .contains("Repeat while: suspicious sessions remain")
    );
    assert!(
        loop_
            .instructions
            .contains("Revoke the oldest suspicious session.")
    );
    assert!(loop_.checks.iter().any(|c| c.starts_with("Stopped")));
    assert!(
        rb.step("revoke-one-session").is_none(),
        "the body is folded"
    );
    let switch = step("what-data-was-in-the-mailbox")
        .decision
        .as_ref()
        .unwrap();
    let labels: Vec<&str> = switch.options.iter().map(|o| o.label.as_str()).collect();
    assert_eq!(labels, ["financial", "personal", "Otherwise"]);
    assert!(
        step("run-the-personal-data-breach-playbook")
            .instructions
            .contains("playbook--5e1f0000-0000-4000-8000-000000000061")
    );
    let close = step("record-and-close").decision.as_ref().unwrap();
    assert_eq!(close.options[0].label, "Succeeded");
    assert_eq!(close.options[0].goto, Target::End);
    assert_eq!(
        close.options[1].goto,
        Target::Step("escalate-to-silver".into())
    );
    assert_eq!(rb.severity, Severity::High);
    assert_eq!(rb.reviewed, NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
    let contacts: Vec<&str> = rb.contacts.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        contacts,
        [
            "ict-on-call-engineer",
            "data-protection-officer",
            "council-s-bank-fraud-team"
        ]
    );
    for path in ["/playbook_variables", "/playbook_types"] {
        assert!(
            imported.warnings.iter().any(|w| w.path == path),
            "{path}: {:?}",
            imported.warnings
        );
    }
    // Nothing silently: the header lists what was not carried over.
    assert!(imported.toml.contains("# Not carried over"));
}

#[test]
fn every_step_type_round_trips() {
    let first = import_json(EVERY).unwrap().runbook;
    let exported = crate::cacao::export(&first).unwrap_or_else(|e| panic!("{e}"));
    let second = import_json(&exported).unwrap().runbook;
    assert_eq!(
        crate::cacao::differences(&first, &second),
        Vec::<String>::new()
    );
    // The export is stable: the same runbook gives the same bytes.
    assert_eq!(crate::cacao::export(&second).unwrap(), exported);
}

/// A step id of type `t`, numbered.
fn sid(t: &str, n: u32) -> String {
    format!("{t}--00000000-0000-4000-8000-{n:012}")
}

/// The agent every test action names.
fn walker() -> String {
    sid("individual", 99_999)
}

/// A manual action named `name`, flowing to `next` (or nowhere).
fn action(name: &str, next: Option<&str>) -> Value {
    let mut step = serde_json::json!({"type": "action", "name": name,
        "commands": [{"type": "manual", "command": name}], "agent": walker()});
    if let Some(next) = next {
        step["on_completion"] = Value::from(next);
    }
    step
}

/// A playbook around `workflow`, starting at `start`.
fn playbook(workflow: Value, start: &str) -> String {
    serde_json::json!({
        "type": "playbook", "spec_version": "cacao-2.0", "id": sid("playbook", 99_998),
        "name": "Test", "created_by": sid("identity", 99_997), "created": "2026-01-01T00:00:00Z",
        "modified": "2026-01-01T00:00:00Z", "severity": 10, "workflow_start": start,
        "workflow": workflow,
        "agent_definitions": {walker(): {"type": "individual", "name": "Walker"}},
    })
    .to_string()
}

#[test]
fn branches_return_to_the_conditional_and_go_on() {
    let id = sid;
    let action = |name: &str, next: &str| action(name, Some(next));
    let workflow = serde_json::json!({
        id("start", 1): {"type": "start", "on_completion": id("if-condition", 2)},
        id("if-condition", 2): {"type": "if-condition", "name": "Cold?", "condition": "it is cold",
            "on_true": id("action", 3), "on_false": id("action", 4), "on_completion": id("action", 5)},
        id("action", 3): action("Coat", &id("end", 6)),
        id("action", 4): action("Hat", &id("end", 7)),
        id("end", 6): {"type": "end"},
        id("end", 7): {"type": "end"},
        id("action", 5): action("Go out", &id("end", 8)),
        id("end", 8): {"type": "end"},
    });
    let text = playbook(workflow, &id("start", 1));
    let rb = import_json(&text).unwrap_or_else(|e| panic!("{e}")).runbook;
    let cold = rb.step("cold").unwrap().decision.as_ref().unwrap();
    assert_eq!(cold.options[0].goto, Target::Step("coat".into()));
    assert_eq!(cold.options[1].goto, Target::Step("hat".into()));
    let i = |id: &str| rb.steps.iter().position(|s| s.id == id).unwrap();
    for branch in ["coat", "hat"] {
        assert_eq!(rb.successors(i(branch)), [Some("go-out")], "{branch}");
    }
    assert_eq!(rb.successors(i("go-out")), [None]);
    assert_eq!(rb.steps[i("coat")].role.as_deref(), Some("Walker"));
}

/// Issue 14 item 7: parallel branches that stop without an `end` step lost
/// the second branch (its action survived only as text) and ended the flow.
#[test]
fn parallel_branches_without_end_steps_keep_every_step_and_go_on() {
    let workflow = serde_json::json!({
        sid("start", 1): {"type": "start", "on_completion": sid("parallel", 2)},
        sid("parallel", 2): {"type": "parallel", "name": "Contain",
            "next_steps": [sid("action", 3), sid("action", 4), sid("action", 6)],
            "on_completion": sid("action", 5)},
        sid("action", 3): action("Reset", None),
        // Straight to what follows the parallel step: ends this branch too.
        sid("action", 4): action("Tell", Some(&sid("action", 5))),
        sid("action", 6): action("Log", None),
        sid("action", 5): action("Close", None),
    });
    let text = playbook(workflow, &sid("start", 1));
    let imported = import_json(&text).unwrap_or_else(|e| panic!("{e}"));
    let rb = &imported.runbook;
    let ids: Vec<&str> = rb.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["contain", "reset", "tell", "log", "close"]);
    let i = |id: &str| rb.steps.iter().position(|s| s.id == id).unwrap();
    assert_eq!(rb.successors(i("reset")), [Some("tell")]);
    assert_eq!(rb.successors(i("tell")), [Some("log")]);
    assert_eq!(rb.successors(i("log")), [Some("close")]);
    assert_eq!(rb.successors(i("close")), [None]);
    // The check says what the schema cannot: these branches have no end.
    let findings = crate::cacao::check_json(&text);
    for name in ["Reset", "Log", "Close"] {
        assert!(
            findings.iter().any(|f| !f.is_error()
                && f.message.contains(name)
                && f.message.contains("no `end` step")),
            "{name}: {findings:?}"
        );
    }
}

/// Builds random acyclic playbooks of actions, if-conditions and parallel
/// steps, whose branches end with an `end` step, with nothing, or by flowing
/// straight to what follows their construct.
struct Playbooks {
    rng: crate::testrng::Rng,
    workflow: serde_json::Map<String, Value>,
    n: u32,
    actions: BTreeSet<String>,
    constructs: usize,
}

impl Playbooks {
    fn id(&mut self, kind: &str) -> String {
        self.n += 1;
        sid(kind, self.n)
    }

    /// A sequence of one to three items flowing to `next`; its head.
    fn sequence(&mut self, depth: u32, next: Option<String>) -> String {
        let mut head = next;
        for _ in 0..=self.rng.below(3) {
            head = Some(self.item(depth, head));
        }
        head.unwrap_or_default()
    }

    /// How a branch ends when nothing follows it: an end step or nothing.
    fn ending(&mut self, next: Option<String>) -> Option<String> {
        if next.is_some() || self.rng.chance(50) {
            return next;
        }
        let end = self.id("end");
        self.workflow
            .insert(end.clone(), serde_json::json!({"type": "end"}));
        Some(end)
    }

    fn item(&mut self, depth: u32, next: Option<String>) -> String {
        let kind = if depth >= 3 { 0 } else { self.rng.below(4) };
        match kind {
            2 | 3 => {
                self.constructs += 1;
                let id = self.id(if kind == 2 {
                    "parallel"
                } else {
                    "if-condition"
                });
                // A branch ends in an end step, in nothing, or flows
                // straight to what follows the construct.
                let branch = |me: &mut Self| {
                    let last = match me.rng.below(3) {
                        0 => next.clone(),
                        _ => me.ending(None),
                    };
                    me.sequence(depth + 1, last)
                };
                let mut step = if kind == 2 {
                    let heads: Vec<String> =
                        (0..2 + self.rng.below(2)).map(|_| branch(self)).collect();
                    serde_json::json!({"type": "parallel", "name": format!("P{}", self.n),
                        "next_steps": heads})
                } else {
                    let on_true = branch(self);
                    let mut step = serde_json::json!({"type": "if-condition",
                        "name": format!("C{}", self.n), "condition": "it holds",
                        "on_true": on_true});
                    if self.rng.chance(50) {
                        step["on_false"] = Value::from(branch(self));
                    }
                    step
                };
                if let Some(next) = &next {
                    step["on_completion"] = Value::from(next.clone());
                }
                self.workflow.insert(id.clone(), step);
                id
            }
            _ => {
                let id = self.id("action");
                let name = format!("A{}", self.n);
                let next = self.ending(next);
                self.workflow
                    .insert(id.clone(), action(&name, next.as_deref()));
                self.actions.insert(name);
                id
            }
        }
    }
}

/// Every action of a playbook becomes a step of the runbook, and every step
/// is reached from the first: for generated playbooks with branches ending
/// every way CACAO playbooks end them.
#[test]
fn every_action_becomes_a_reachable_step() {
    for seed in 0..300 {
        let mut g = Playbooks {
            rng: crate::testrng::Rng(seed),
            workflow: serde_json::Map::new(),
            n: 0,
            actions: BTreeSet::new(),
            constructs: 0,
        };
        let head = g.sequence(0, None);
        let start = g.id("start");
        g.workflow.insert(
            start.clone(),
            serde_json::json!({"type": "start", "on_completion": head}),
        );
        let text = playbook(Value::Object(g.workflow.clone()), &start);
        let imported = import_json(&text).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{text}"));
        let rb = &imported.runbook;
        let from_actions: BTreeSet<String> = rb
            .steps
            .iter()
            .filter(|s| s.title.starts_with('A'))
            .map(|s| s.title.clone())
            .collect();
        assert_eq!(from_actions, g.actions, "seed {seed}\n{}", imported.toml);
        assert_eq!(
            rb.steps.len(),
            g.actions.len() + g.constructs,
            "seed {seed}\n{}",
            imported.toml
        );
        // Every step is reached from the first.
        let mut reached = BTreeSet::from([0usize]);
        let mut queue = vec![0usize];
        while let Some(i) = queue.pop() {
            for next in rb.successors(i).into_iter().flatten() {
                let j = rb.steps.iter().position(|s| s.id == next).unwrap();
                if reached.insert(j) {
                    queue.push(j);
                }
            }
        }
        assert_eq!(
            reached.len(),
            rb.steps.len(),
            "seed {seed}\n{}",
            imported.toml
        );
    }
}

#[test]
fn a_retry_loop_ends_with_a_note() {
    let mut value: Value = serde_json::from_str(EVERY).unwrap();
    // "Escalate" goes back to "Confirm the alert": a loop with an exit.
    value["workflow"]["action--5e1f0000-0000-4000-8000-000000000011"]["on_completion"] =
        Value::from("action--5e1f0000-0000-4000-8000-000000000002");
    let imported = import_json(&value.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<&str> = imported
        .runbook
        .steps
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    let escalate = imported
        .runbook
        .step("escalate-to-silver")
        .unwrap_or_else(|| panic!("{ids:?}\n{}", imported.toml));
    assert!(
        escalate
            .instructions
            .contains("loops back to step `confirm-the-alert`")
    );
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.message.contains("cannot loop"))
    );
}

#[test]
fn hostile_text_imports_safely() {
    let mut value: Value = serde_json::from_str(SOARCA[1].1).unwrap();
    let evil = format!(
        "\u{1b}]0;pwned\u{7}<script>alert(1)</script>\u{202e}{}",
        "x".repeat(10_000)
    );
    value["name"] = Value::from(evil.clone());
    value["workflow"]["action--eb9372d4-d524-49fc-bf24-be26ea084779"]["name"] =
        Value::from(evil.clone());
    value["labels"] = serde_json::json!([evil.clone()]);
    let imported = import_json(&value.to_string()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(imported.runbook.title, evil);
    assert_eq!(imported.runbook.steps[0].title, evil);
    assert!(!imported.toml.contains('\u{1b}'));
    assert!(!imported.toml.contains('\u{202e}'));
    assert!(!imported.toml.contains('\u{7}'));
}

/// Every JSON pointer in `value`, depth first.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                pointers(v, format!("{at}/{}", pointer_escape(k)), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

#[test]
fn every_value_replaced_by_every_kind_never_panics() {
    // A structural fuzz: each value of the playbook with every step type
    // replaced in turn by values of other types and odd strings.
    let original: Value = serde_json::from_str(EVERY).unwrap();
    let mut paths = Vec::new();
    pointers(&original, String::new(), &mut paths);
    let replacements = [
        Value::Null,
        Value::from(-1),
        Value::from(u64::MAX),
        Value::from(""),
        Value::from("end"),
        Value::from("start--5e1f0000-0000-4000-8000-000000000001"),
        serde_json::json!([]),
        serde_json::json!({}),
    ];
    let mut imported = 0;
    for path in paths.iter().filter(|p| !p.is_empty()) {
        for r in &replacements {
            let mut v = original.clone();
            if let Some(slot) = v.pointer_mut(path) {
                *slot = r.clone();
            }
            if import_json(&v.to_string()).is_ok() {
                imported += 1;
            }
        }
    }
    assert!(imported > 0);
}

#[test]
fn garbage_never_panics() {
    for text in [
        "",
        "null",
        "[]",
        "{}",
        "\"playbook\"",
        "{\"workflow\": 5}",
        &"[".repeat(100_000),
        "{\"type\":\"playbook\",\"workflow\":{\"x\":{\"type\":\"end\"}},\"workflow_start\":\"x\"}",
    ] {
        assert!(import_json(text).is_err());
    }
}

/// Found by the `cacao` fuzz target: a start that leads straight to an end
/// passed `check_json` (the schemas and workflow rules) but the import
/// refused it; the check now refuses it too, at the same path.
#[test]
fn check_refuses_a_playbook_with_nothing_to_do_like_the_import() {
    let mut value: Value = serde_json::from_str(EVERY).unwrap();
    value["workflow"]["start--5e1f0000-0000-4000-8000-000000000001"]["on_completion"] =
        Value::from("end--5e1f0000-0000-4000-8000-000000000013");
    let text = value.to_string();
    assert!(matches!(import_json(&text), Err(CacaoError::Invalid(_))));
    let findings = crate::cacao::check_json(&text);
    assert!(
        findings
            .iter()
            .any(|f| f.is_error() && f.path == "/workflow_start"),
        "{findings:?}"
    );
    assert!(
        findings.first().is_some_and(Finding::is_error),
        "errors first"
    );
}

/// Issue 25 item 12: long chains once cost a pass (or a climb) per step for
/// every step: a 9,990-step chain took 72 s to check, and the export of 5,000
/// chained decisions 12 s (the import inside its self-check). The shapes are
/// kept here (and timed in docs/PERFORMANCE.md): a long chain of actions, a
/// long chain of nested conditionals with no `on_completion`, and a long loop
/// with no exit.
#[test]
fn long_chains_check_and_import_in_one_pass() {
    const N: u32 = 5_000;
    let mut chain = serde_json::Map::new();
    let mut nested = serde_json::Map::new();
    chain.insert(
        sid("start", 0),
        serde_json::json!({"type": "start", "on_completion": sid("action", 1)}),
    );
    nested.insert(
        sid("start", 0),
        serde_json::json!({"type": "start", "on_completion": sid("if-condition", 1)}),
    );
    nested.insert(sid("end", N + 1), serde_json::json!({"type": "end"}));
    for i in 1..=N {
        let next = (i < N).then(|| sid("action", i + 1));
        chain.insert(sid("action", i), action(&format!("A{i}"), next.as_deref()));
        let on_true = if i < N {
            sid("if-condition", i + 1)
        } else {
            sid("end", N + 1)
        };
        nested.insert(
            sid("if-condition", i),
            serde_json::json!({"type": "if-condition", "name": format!("C{i}"),
                "condition": "go on", "on_true": on_true, "on_false": sid("end", N + 1)}),
        );
    }
    let chain = playbook(Value::Object(chain), &sid("start", 0));
    assert_eq!(import_json(&chain).unwrap().runbook.steps.len(), N as usize);
    let nested = playbook(Value::Object(nested), &sid("start", 0));
    let rb = import_json(&nested).unwrap().runbook;
    assert_eq!(rb.steps.len(), N as usize);
    // The way back out of the nesting is found for every conditional.
    assert!(rb.steps.iter().all(|s| {
        s.decision
            .as_ref()
            .is_some_and(|d| d.options[1].goto == Target::End)
    }));
    // A loop of N steps with no exit: one error naming it.
    let mut ring = serde_json::Map::new();
    ring.insert(
        sid("start", 0),
        serde_json::json!({"type": "start", "on_completion": sid("action", 1)}),
    );
    for i in 1..=N {
        let next = sid("action", i % N + 1);
        ring.insert(sid("action", i), action(&format!("A{i}"), Some(&next)));
    }
    let findings = crate::cacao::check_json(&playbook(Value::Object(ring), &sid("start", 0)));
    let errors: Vec<&Finding> = findings.iter().filter(|f| f.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].message.starts_with("loop with no exit"));
}
