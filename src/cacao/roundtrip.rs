//! Are two runbooks the same plan? Used to prove that an export imports back
//! to the runbook it came from.
//!
//! The comparison is of the model, not the text: every field of the runbook,
//! its contacts and clocks by id, and each step by id with where the flow goes
//! after it. Step order and whether a `next` is written out do not matter, as
//! long as the flow starts at the same step and goes to the same places.

use std::collections::BTreeMap;

use crate::runbook::{Runbook, Target};

/// Where each step leads, by step id: its options, or its one successor.
fn flow(rb: &Runbook) -> BTreeMap<&str, Vec<String>> {
    (0..rb.steps.len())
        .map(|i| {
            let targets = rb
                .successors(i)
                .into_iter()
                .map(|t| t.map_or_else(|| Target::End.to_string(), str::to_owned))
                .collect();
            (rb.steps[i].id.as_str(), targets)
        })
        .collect()
}

/// Every way `b` differs from `a`, in words; empty when they are the same plan.
pub fn differences(a: &Runbook, b: &Runbook) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = |name: &str, x: String, y: String| {
        if x != y {
            out.push(format!("{name}: {x:?} became {y:?}"));
        }
    };
    field("id", a.id.clone(), b.id.clone());
    field("title", a.title.clone(), b.title.clone());
    field("kind", a.kind.as_str().into(), b.kind.as_str().into());
    field(
        "severity",
        a.severity.as_str().into(),
        b.severity.as_str().into(),
    );
    field("owner", a.owner.clone(), b.owner.clone());
    field("reviewed", a.reviewed.to_string(), b.reviewed.to_string());
    field(
        "review_every_months",
        a.review_every_months.to_string(),
        b.review_every_months.to_string(),
    );
    field("summary", a.summary.clone(), b.summary.clone());
    field("tags", format!("{:?}", a.tags), format!("{:?}", b.tags));
    field(
        "references",
        format!("{:?}", a.references),
        format!("{:?}", b.references),
    );
    field(
        "themes",
        format!("{:?}", a.themes),
        format!("{:?}", b.themes),
    );
    field(
        "stages",
        format!("{:?}", a.stages),
        format!("{:?}", b.stages),
    );
    let by_id = |rb: &Runbook| -> BTreeMap<String, String> {
        rb.contacts
            .iter()
            .map(|c| (format!("contact {}", c.id), format!("{c:?}")))
            .chain(
                rb.clocks
                    .iter()
                    .map(|c| (format!("clock {}", c.id), format!("{c:?}"))),
            )
            .collect()
    };
    let (ca, cb) = (by_id(a), by_id(b));
    for key in ca.keys().chain(cb.keys().filter(|k| !ca.contains_key(*k))) {
        field(
            key,
            ca.get(key).cloned().unwrap_or_default(),
            cb.get(key).cloned().unwrap_or_default(),
        );
    }
    field(
        "first step",
        a.steps.first().map(|s| s.id.clone()).unwrap_or_default(),
        b.steps.first().map(|s| s.id.clone()).unwrap_or_default(),
    );
    let (fa, fb) = (flow(a), flow(b));
    let steps = |rb: &Runbook| -> BTreeMap<String, String> {
        rb.steps
            .iter()
            .map(|s| {
                let mut s = s.clone();
                s.next = None;
                (s.id.clone(), format!("{s:?}"))
            })
            .collect()
    };
    let (sa, sb) = (steps(a), steps(b));
    for key in sa.keys().chain(sb.keys().filter(|k| !sa.contains_key(*k))) {
        field(
            &format!("step {key}"),
            sa.get(key).cloned().unwrap_or_default(),
            sb.get(key).cloned().unwrap_or_default(),
        );
        field(
            &format!("step {key} leads to"),
            format!("{:?}", fa.get(key.as_str())),
            format!("{:?}", fb.get(key.as_str())),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Runbook {
        let checked = crate::runbook::check("t.toml", text, "t", chrono::NaiveDate::MIN);
        checked.runbook.expect("valid runbook")
    }

    const A: &str = r#"
title = "T"
kind = "cyber"
severity = "low"
owner = "O"
reviewed = 2026-01-01
summary = "S"
[[steps]]
id = "a"
title = "A"
[[steps]]
id = "b"
title = "B"
"#;

    #[test]
    fn an_explicit_next_to_the_following_step_is_the_same_plan() {
        let b = A.replace("title = \"A\"", "title = \"A\"\nnext = \"b\"");
        assert!(differences(&parse(A), &parse(&b)).is_empty());
    }

    #[test]
    fn a_changed_title_or_flow_is_reported() {
        let b = A.replace("title = \"B\"", "title = \"Bee\"");
        assert_eq!(differences(&parse(A), &parse(&b)).len(), 1);
        let c = A.replace("title = \"A\"", "title = \"A\"\nnext = \"end\"");
        let c = c.replace("[[steps]]\nid = \"b\"\ntitle = \"B\"\n", "");
        let diffs = differences(&parse(A), &parse(&c));
        assert!(diffs.iter().any(|d| d.contains("step b")), "{diffs:?}");
    }
}
