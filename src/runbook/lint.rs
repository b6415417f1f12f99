//! Lint: the checks that need the whole runbook, not one field at a time.
//!
//! References between parts (a `goto`, a clock's `starts_on`, a step's
//! contacts), duplicate ids, the shape of the flow (every step reachable from the
//! first, no cycles, so a responder can never be sent round in circles), and
//! warnings such as an overdue review.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::Runbook;
use super::parse::Spans;
use crate::diagnostic::{Diagnostic, Source, did_you_mean};

pub(super) fn lint(
    source: &Source<'_>,
    runbook: &Runbook,
    spans: &Spans,
    today: NaiveDate,
    out: &mut Vec<Diagnostic>,
) {
    let mut lint = Lint { source, spans, out };
    lint.duplicates("steps", runbook.steps.iter().map(|s| s.id.as_str()));
    lint.duplicates("contacts", runbook.contacts.iter().map(|c| c.id.as_str()));
    lint.duplicates("clocks", runbook.clocks.iter().map(|c| c.id.as_str()));
    lint.duplicates("cases", runbook.cases.iter().map(|c| c.id.as_str()));
    for (i, kind) in runbook.cases.iter().enumerate() {
        let at = |what: &str| format!("cases.{i}.{what}");
        lint.duplicates(&at("fields"), kind.fields.iter().map(|f| f.id.as_str()));
        lint.duplicates(
            &at("checklist"),
            kind.checklist.iter().map(|c| c.id.as_str()),
        );
        lint.duplicates(&at("clocks"), kind.clocks.iter().map(|c| c.id.as_str()));
        for (j, clock) in kind.clocks.iter().enumerate() {
            let Some(met_by) = &clock.met_by else {
                continue;
            };
            if !kind.checklist.iter().any(|c| c.id == *met_by) {
                let ids: Vec<&str> = kind.checklist.iter().map(|c| c.id.as_str()).collect();
                let mut d = lint.source.error(
                    lint.spans.at(&format!("cases.{i}.clocks.{j}.met_by")),
                    format!("`met_by` names checklist item `{met_by}`, which case kind `{}` does not have", kind.id),
                );
                d.label = did_you_mean(met_by, &ids).map(|c| format!("did you mean `{c}`?"));
                lint.out.push(d);
            }
        }
    }
    lint.references(runbook);
    lint.flow(runbook);
    lint.grab_bag(runbook);
    lint.warnings(runbook, today);
}

/// An error for each id of `what` (an array of tables with an `id` key, at
/// dotted path `what`) that repeats an earlier one. Runbooks and exercises
/// share it.
pub(crate) fn duplicates<'r>(
    source: &Source<'_>,
    spans: &Spans,
    what: &str,
    ids: impl Iterator<Item = &'r str>,
    out: &mut Vec<Diagnostic>,
) {
    let line_of = |path: &str| {
        let start = spans.at(path).start.min(source.text.len());
        source.text[..start].matches('\n').count() + 1
    };
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, id) in ids.enumerate() {
        if id.is_empty() {
            continue;
        }
        if let Some(first) = seen.get(id) {
            let first_line = line_of(&format!("{what}.{first}.id"));
            let d = source
                .error(
                    spans.at(&format!("{what}.{i}.id")),
                    format!("duplicate id `{id}` in `{what}`"),
                )
                .with_label(format!("first defined on line {first_line}"));
            out.push(d);
        } else {
            seen.insert(id, i);
        }
    }
}

struct Lint<'a, 's> {
    source: &'a Source<'s>,
    spans: &'a Spans,
    out: &'a mut Vec<Diagnostic>,
}

impl Lint<'_, '_> {
    fn duplicates<'r>(&mut self, what: &str, ids: impl Iterator<Item = &'r str>) {
        duplicates(self.source, self.spans, what, ids, self.out);
    }

    /// An error when `id` names no step.
    fn step_ref(&mut self, runbook: &Runbook, path: &str, id: &str, what: &str) {
        if id == "end" || runbook.step(id).is_some() {
            return;
        }
        let ids: Vec<&str> = runbook.steps.iter().map(|s| s.id.as_str()).collect();
        let mut d = self.source.error(
            self.spans.at(path),
            format!("{what} names step `{id}`, which does not exist"),
        );
        d.label = did_you_mean(id, &ids).map(|c| format!("did you mean `{c}`?"));
        self.out.push(d);
    }

    fn references(&mut self, runbook: &Runbook) {
        for (reserved, why) in [
            ("end", "`end` is reserved: it marks where the runbook ends"),
            (
                super::AWARENESS,
                "`awareness` is reserved: a clock's `starts_on = \"awareness\"` means the time of awareness",
            ),
        ] {
            if let Some(i) = runbook.steps.iter().position(|s| s.id == reserved) {
                let d = self
                    .source
                    .error(self.spans.at(&format!("steps.{i}.id")), why);
                self.out.push(d);
            }
        }
        for (i, step) in runbook.steps.iter().enumerate() {
            if let Some(next) = &step.next {
                self.step_ref(
                    runbook,
                    &format!("steps.{i}.next"),
                    &next.to_string(),
                    "`next`",
                );
            }
            if let Some(decision) = &step.decision {
                for (j, option) in decision.options.iter().enumerate() {
                    let path = format!("steps.{i}.decision.options.{j}.goto");
                    self.step_ref(runbook, &path, &option.goto.to_string(), "`goto`");
                }
            }
            let contact_ids: Vec<&str> = runbook.contacts.iter().map(|c| c.id.as_str()).collect();
            for (j, contact) in step.contacts.iter().enumerate() {
                if runbook.contact(contact).is_none() {
                    let mut d = self.source.error(
                        self.spans.at(&format!("steps.{i}.contacts.{j}")),
                        format!("unknown contact `{contact}`"),
                    );
                    d.label =
                        did_you_mean(contact, &contact_ids).map(|c| format!("did you mean `{c}`?"));
                    if d.label.is_none() {
                        d.help = Some("define it in a [[contacts]] table".to_owned());
                    }
                    self.out.push(d);
                }
            }
        }
        for (i, clock) in runbook.clocks.iter().enumerate() {
            if clock.starts_on == "end" {
                let d = self.source.error(
                    self.spans.at(&format!("clocks.{i}.starts_on")),
                    "a clock cannot start on `end`",
                );
                self.out.push(d);
            }
            // A correction of the time of awareness moves its deadlines in
            // the fold of the journal, which knows no calendar: so a clock
            // from awareness runs around the clock, as the ICO's 72 hours do.
            if clock.from_awareness() && !matches!(clock.due_after, super::Period::Exact(_)) {
                let mut d = self.source.error(
                    self.spans.at(&format!("clocks.{i}.due_after")),
                    format!(
                        "a clock that starts on `awareness` runs around the clock: `{}` counts working days or months",
                        clock.due_after
                    ),
                );
                d.help = Some(
                    "give hours or days (`72h`, `5d`), or start it on a step or per case"
                        .to_owned(),
                );
                self.out.push(d);
            }
            if let Some(from) = clock.counts_from.as_deref()
                && from != super::AWARENESS
            {
                let d = self.source.error(
                    self.spans.at(&format!("clocks.{i}.counts_from")),
                    format!("`counts_from` is \"awareness\" or left out, not {from:?}"),
                );
                self.out.push(d);
            }
            // `awareness` is the incident's time of awareness, not a step.
            if !clock.starts_at_awareness() {
                self.step_ref(
                    runbook,
                    &format!("clocks.{i}.starts_on"),
                    &clock.starts_on,
                    "`starts_on`",
                );
            }
            if let Some(met_by) = &clock.met_by {
                self.step_ref(runbook, &format!("clocks.{i}.met_by"), met_by, "`met_by`");
            }
        }
    }

    /// Reachability from the first step, and cycles.
    fn flow(&mut self, runbook: &Runbook) {
        if runbook.steps.is_empty() {
            let d = self
                .source
                .error(0..0, "runbook has no steps")
                .with_help("add at least one [[steps]] table");
            self.out.push(d);
            return;
        }
        let index: HashMap<&str, usize> = runbook
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let edges: Vec<Vec<(usize, String)>> = (0..runbook.steps.len())
            .map(|i| self.edges(runbook, &index, i))
            .collect();

        // Iterative depth-first search: it finds reachability and back edges
        // (cycles) in one pass without recursion, so a hostile 100,000-step
        // runbook cannot overflow the stack.
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnPath,
            Done,
        }
        let mut mark = vec![Mark::New; runbook.steps.len()];
        let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
        mark[0] = Mark::OnPath;
        while let Some(&mut (node, ref mut edge)) = stack.last_mut() {
            if let Some((to, path)) = edges[node].get(*edge) {
                *edge += 1;
                match mark[*to] {
                    Mark::New => {
                        mark[*to] = Mark::OnPath;
                        stack.push((*to, 0));
                    }
                    Mark::OnPath => {
                        let from = stack.iter().position(|(n, _)| n == to).unwrap_or(0);
                        let mut cycle: Vec<&str> = stack[from..]
                            .iter()
                            .map(|(n, _)| runbook.steps[*n].id.as_str())
                            .collect();
                        cycle.push(&runbook.steps[*to].id);
                        let d = self
                            .source
                            .error(self.spans.at(path), "this goes back to an earlier step: a cycle")
                            .with_label(cycle.join(" → "))
                            .with_help(
                                "runbooks must always move forward; model a repeat as a check, or as a decision that goes on",
                            );
                        self.out.push(d);
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                stack.pop();
            }
        }
        for (i, step) in runbook.steps.iter().enumerate() {
            if mark[i] == Mark::New {
                let d = self
                    .source
                    .error(
                        self.spans.at(&format!("steps.{i}.id")),
                        format!(
                            "step `{}` can never be reached from the first step",
                            step.id
                        ),
                    )
                    .with_help("point a `next` or a decision's `goto` at it, or remove it");
                self.out.push(d);
            }
        }
    }

    /// Outgoing edges of step `i` with the path of what created each (for
    /// pointing at it); the implicit "following step" edge points at the id.
    fn edges(
        &self,
        runbook: &Runbook,
        index: &HashMap<&str, usize>,
        i: usize,
    ) -> Vec<(usize, String)> {
        let step = &runbook.steps[i];
        let named =
            |id: Option<&str>, path: String| id.and_then(|id| index.get(id)).map(|t| (*t, path));
        if let Some(decision) = &step.decision {
            return decision
                .options
                .iter()
                .enumerate()
                .filter_map(|(j, o)| {
                    named(
                        o.goto.step(),
                        format!("steps.{i}.decision.options.{j}.goto"),
                    )
                })
                .collect();
        }
        match &step.next {
            Some(target) => named(target.step(), format!("steps.{i}.next"))
                .into_iter()
                .collect(),
            None if i + 1 < runbook.steps.len() => vec![(i + 1, format!("steps.{i}.id"))],
            None => Vec::new(),
        }
    }

    /// A runbook serves each theme it names at each stage it names, so one
    /// list without the other would put it in no cell of the coverage table.
    fn grab_bag(&mut self, runbook: &Runbook) {
        let (has, lacks) = match (runbook.themes.is_empty(), runbook.stages.is_empty()) {
            (false, true) => ("themes", "stages"),
            (true, false) => ("stages", "themes"),
            _ => return,
        };
        let d = self
            .source
            .error(
                self.spans.at(has),
                format!("`{has}` is given without `{lacks}`"),
            )
            .with_help(format!(
                "the runbook serves each theme at each stage it names: add `{lacks}` (see docs/runbook-format.md)"
            ));
        self.out.push(d);
    }

    fn warnings(&mut self, runbook: &Runbook, today: NaiveDate) {
        let due = runbook.review_due();
        if due < today {
            let d = self
                .source
                .warning(
                    self.spans.at("reviewed"),
                    format!(
                        "review overdue since {due}: last reviewed {}, due every {} months",
                        runbook.reviewed, runbook.review_every_months
                    ),
                )
                .with_help("review the runbook with its owner, then update `reviewed`");
            self.out.push(d);
        }
        for (i, contact) in runbook.contacts.iter().enumerate() {
            if contact.phone.is_none() && contact.email.is_none() {
                let d = self.source.warning(
                    self.spans.at(&format!("contacts.{i}.id")),
                    format!(
                        "contact `{}` has neither a phone number nor an email",
                        contact.id
                    ),
                );
                self.out.push(d);
            }
        }
    }
}
