//! The flow walk: from a CACAO workflow graph to runbook steps in order.
//!
//! Every step of a branch, its `end` step included, gets a [`Fall`]: where
//! the flow goes when it leaves the branch (the next branch of a parallel
//! step, or what follows the innermost conditional or parallel step whose
//! branch reaches it, or the end of the runbook). A branch that stops
//! without an `end` step (CACAO requires one, its schema cannot say so), or
//! that goes straight to what follows its construct while other parallel
//! branches remain, ends there just the same, so no branch is lost. Each step's successors are resolved through start and
//! `end` steps and these falls; then a
//! depth-first walk orders the runbook steps so every goto goes forward, and
//! a jump back (a retry loop) becomes the end of the runbook with a note,
//! since runbooks cannot loop.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use super::super::model::{Step, StepExt};
use super::super::validate::describe;
use super::{Importer, join, slug, step_path, unique};
use crate::cacao::{CacaoError, Finding};
use crate::runbook::{self, Contact, Decision, DecisionOption, Target};

/// Where an `end` step leads.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cont {
    Step(String),
    End,
    /// Back to the while loop whose body it closes.
    Loop,
}

/// Where a step of a branch goes when its flow stops without an `end` step.
#[derive(Debug, Clone)]
pub(super) struct Fall {
    /// The conditional or parallel step whose branch holds the step.
    construct: String,
    /// What follows the construct: flowing straight there also ends the branch.
    after: Option<String>,
    /// Where the branch's end leads.
    cont: Cont,
}

/// A flow leaving a construct: the construct, and the step it goes to
/// (`None`: nowhere).
pub(super) type Leaving = (String, Option<String>);

/// What follows a runbook step, in CACAO step ids.
#[derive(Debug, Clone)]
pub(super) enum Succ {
    Next(Option<String>),
    Decision(String, Vec<(String, Option<String>)>),
}

impl Succ {
    pub(super) fn targets(&self) -> Vec<Option<&str>> {
        match self {
            Succ::Next(t) => vec![t.as_deref()],
            Succ::Decision(_, options) => options.iter().map(|(_, t)| t.as_deref()).collect(),
        }
    }
}

impl Importer<'_> {
    /// Gives each `end` step its continuation (see the module documentation).
    pub(super) fn continuations(&mut self, start: &str) {
        // Depth-first post-order: inner constructs come before the ones
        // that enclose them, so they claim their own end steps first.
        let mut order = Vec::new();
        // Pre-order: a branch never reaches back to a step met before its
        // construct (that would be a jump back, not part of the branch).
        let mut pre: HashMap<String, usize> = HashMap::from([(start.to_owned(), 0)]);
        let mut stack: Vec<(String, usize)> = vec![(start.to_owned(), 0)];
        while let Some((node, edge)) = stack.last().cloned() {
            let refs: Vec<String> = self
                .steps
                .get(&node)
                .map(|s| {
                    s.references()
                        .into_iter()
                        .map(|(_, t)| t.to_owned())
                        .collect()
                })
                .unwrap_or_default();
            if let Some(next) = refs.get(edge) {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                if self.steps.contains_key(next) && !pre.contains_key(next) {
                    pre.insert(next.clone(), pre.len());
                    stack.push((next.clone(), 0));
                }
            } else {
                order.push(node);
                stack.pop();
            }
        }
        let steps = self.steps;
        // Where each construct's branches lead out of it: its on_completion,
        // and jumps back before it.
        let mut exits: HashMap<String, Vec<&str>> = HashMap::new();
        for id in order {
            let Some(step) = steps.get(&id) else {
                continue;
            };
            let after = match step.on_completion.as_ref().or(step.on_success.as_ref()) {
                Some(next) => Cont::Step(next.clone()),
                None => Cont::End,
            };
            let branches: Vec<(Vec<&String>, Cont)> = match step.kind.as_str() {
                "if-condition" => vec![(
                    step.on_true.iter().chain(step.on_false.iter()).collect(),
                    after.clone(),
                )],
                "switch-condition" => vec![(step.cases.values().collect(), after.clone())],
                "parallel" => step
                    .next_steps
                    .iter()
                    .enumerate()
                    .map(|(i, head)| {
                        let cont = match step.next_steps.get(i + 1) {
                            Some(next) => Cont::Step(next.clone()),
                            None => after.clone(),
                        };
                        (vec![head], cont)
                    })
                    .collect(),
                "while-condition" => vec![(step.on_true.iter().collect(), Cont::Loop)],
                _ => continue,
            };
            // `after` as a step id, borrowed from the playbook.
            let stop = step.on_completion.as_deref().or(step.on_success.as_deref());
            let mut body = Vec::new();
            let own = pre.get(&id).copied().unwrap_or(0);
            let whole = step.kind == "while-condition";
            let mut my_exits: Vec<&str> = stop.into_iter().collect();
            for (heads, cont) in branches {
                let mut seen: BTreeSet<&str> = BTreeSet::from([id.as_str()]);
                seen.extend(stop);
                let mut queue: VecDeque<&str> = heads.iter().map(|h| h.as_str()).collect();
                while let Some(node) = queue.pop_front() {
                    if pre.get(node).is_some_and(|p| *p < own) {
                        my_exits.push(node);
                        continue;
                    }
                    if !seen.insert(node) {
                        continue;
                    }
                    let Some(s) = steps.get(node) else {
                        continue;
                    };
                    // Inner constructs come first and keep their own.
                    self.falls.entry(node.to_owned()).or_insert_with(|| Fall {
                        construct: id.clone(),
                        after: stop.map(str::to_owned),
                        cont: cont.clone(),
                    });
                    if s.kind == "end" {
                        continue;
                    }
                    body.push(node.to_owned());
                    match exits.get(node) {
                        // An inner construct (met earlier in this order) has
                        // claimed its branches already: go on from where they
                        // leave it, so a chain of n conditionals costs n, not
                        // n². A loop's body lists every step, so it walks in.
                        Some(leaves) if !whole => queue.extend(leaves.iter().copied()),
                        _ => queue.extend(s.references().into_iter().map(|(_, t)| t)),
                    }
                }
            }
            exits.insert(id.clone(), my_exits);
            if whole {
                self.bodies.insert(id.clone(), body);
            }
        }
    }

    /// The runbook step a CACAO step leads to: through start steps and `end`
    /// steps (see [`Self::onward`]); `None` is the end of the runbook.
    pub(super) fn resolve(&self, id: Option<&str>) -> Option<String> {
        self.resolve_within(id, self.steps.len())
    }

    /// [`Self::resolve`], giving up after `budget` `end` steps (a hostile
    /// graph could send them round in a circle).
    fn resolve_within(&self, id: Option<&str>, budget: usize) -> Option<String> {
        let mut at = id?.to_owned();
        let mut seen = BTreeSet::new();
        loop {
            if !seen.insert(at.clone()) {
                return None;
            }
            let step = self.steps.get(&at)?;
            match step.kind.as_str() {
                "start" => at = step.on_completion.clone()?,
                "end" => return self.onward_within(&at, None, budget.checked_sub(1)?),
                _ => return Some(at),
            }
        }
    }

    /// Where the flow from CACAO step `id` to `target` (`None`: nowhere, as
    /// from an `end` step) leads, resolved. Leaving a branch (by its `end`
    /// step, by stopping, or by going straight to what follows its construct)
    /// goes where the branch's end leads (see [`Fall`]); leaving the last
    /// branch for what follows the construct, or a construct that itself
    /// stops, is then judged as a flow from the construct, in the branch that
    /// holds it.
    fn onward(&self, id: &str, target: Option<&str>) -> Option<String> {
        self.onward_within(id, target, self.steps.len())
    }

    fn onward_within(&self, id: &str, target: Option<&str>, budget: usize) -> Option<String> {
        let mut at = id;
        let mut target = target;
        // The constructs climbed through: each ends where this flow ends, so
        // the answer is remembered for them (a chain of n nested conditionals
        // would otherwise climb n times n).
        let mut climbed: Vec<Leaving> = Vec::new();
        let mut result = None;
        // Each round climbs one construct: at most one per fall.
        for _ in 0..=self.falls.len() {
            if let Some(known) = self
                .climbs
                .borrow()
                .get(&(at.to_owned(), target.map(str::to_owned)))
            {
                result = Some(known.clone());
                break;
            }
            let Some(fall) = self.falls.get(at) else {
                break;
            };
            if target.is_some() && target != fall.after.as_deref() {
                break;
            }
            match &fall.cont {
                Cont::Step(next) if fall.after.as_deref() == Some(next.as_str()) => {
                    at = &fall.construct;
                    target = Some(next);
                }
                Cont::Step(next) => {
                    result = Some(self.resolve_within(Some(next), budget));
                    break;
                }
                Cont::End => {
                    at = &fall.construct;
                    target = None;
                }
                Cont::Loop => break,
            }
            climbed.push((at.to_owned(), target.map(str::to_owned)));
        }
        let result = result.unwrap_or_else(|| self.resolve_within(target, budget));
        let mut climbs = self.climbs.borrow_mut();
        for key in climbed {
            climbs.insert(key, result.clone());
        }
        result
    }

    /// What follows the runbook step made from CACAO step `id`.
    pub(super) fn successors(&self, id: &str, step: &Step, ext: Option<&StepExt>) -> Succ {
        let after = step.on_completion.as_deref().or(step.on_success.as_deref());
        let labels = |defaults: Vec<String>| -> Vec<String> {
            match ext {
                Some(e) if e.options.len() == defaults.len() => e.options.clone(),
                _ => defaults,
            }
        };
        match step.kind.as_str() {
            "if-condition" => {
                let question = step.condition.clone().unwrap_or_default();
                let names = labels(vec!["Yes".to_owned(), "No".to_owned()]);
                let targets = [
                    self.onward(id, step.on_true.as_deref()),
                    self.onward(id, step.on_false.as_deref().or(after)),
                ];
                Succ::Decision(question, names.into_iter().zip(targets).collect())
            }
            "switch-condition" => {
                let mut cases: Vec<(&String, &String)> = step
                    .cases
                    .iter()
                    .filter(|(k, _)| k.as_str() != "default")
                    .collect();
                cases.extend(step.cases.get_key_value("default"));
                let mut options: Vec<(String, Option<String>)> = cases
                    .into_iter()
                    .map(|(k, t)| {
                        let label = if k == "default" { "Otherwise" } else { k };
                        (label.to_owned(), self.onward(id, Some(t)))
                    })
                    .collect();
                if !step.cases.contains_key("default") {
                    options.push(("None of these".to_owned(), self.onward(id, after)));
                }
                let names = labels(options.iter().map(|(l, _)| l.clone()).collect());
                let options: Vec<(String, Option<String>)> = names
                    .into_iter()
                    .zip(options.into_iter().map(|(_, t)| t))
                    .collect();
                let switch = step.switch.clone().unwrap_or_default();
                // A variable name alone makes a poor question for a person.
                let question = if ext.is_none() && switch.starts_with("__") {
                    format!("Which case applies to {switch}?")
                } else {
                    switch
                };
                if options.len() < 2 {
                    return Succ::Next(options.into_iter().next().and_then(|(_, t)| t));
                }
                Succ::Decision(question, options)
            }
            "parallel" => Succ::Next(self.onward(id, step.next_steps.first().map(String::as_str))),
            "while-condition" => Succ::Next(self.onward(id, after)),
            _ => {
                let success = self.onward(
                    id,
                    step.on_success.as_deref().or(step.on_completion.as_deref()),
                );
                let failure = self.onward(
                    id,
                    step.on_failure.as_deref().or(step.on_completion.as_deref()),
                );
                if step.on_failure.is_some() && success != failure {
                    let name = step.name.as_deref().unwrap_or("this step");
                    let names = labels(vec!["Succeeded".to_owned(), "Failed".to_owned()]);
                    Succ::Decision(
                        format!("Did “{name}” succeed?"),
                        names.into_iter().zip([success, failure]).collect(),
                    )
                } else {
                    Succ::Next(success)
                }
            }
        }
    }

    /// The runbook steps, in an order where every goto goes forward.
    pub(super) fn steps(
        &mut self,
        contacts: &[Contact],
    ) -> Result<(Vec<runbook::Step>, Vec<Vec<String>>), CacaoError> {
        let start = self.parsed.playbook.workflow_start.clone();
        self.continuations(&start);
        let Some(first) = self.resolve(Some(&start)) else {
            return Err(CacaoError::Invalid(vec![Finding::error(
                "/workflow_start",
                "the flow goes straight from start to end: there is nothing to do",
            )]));
        };
        let mut exts: BTreeMap<String, StepExt> = BTreeMap::new();
        let mut succs: BTreeMap<String, Succ> = BTreeMap::new();
        // Depth-first over runbook edges: post-order, and edges that go back.
        let mut post: Vec<String> = Vec::new();
        let mut on_path: BTreeSet<String> = BTreeSet::new();
        let mut done: BTreeSet<String> = BTreeSet::new();
        let mut back: BTreeSet<(String, usize)> = BTreeSet::new();
        let mut stack: Vec<(String, usize)> = vec![(first.clone(), 0)];
        on_path.insert(first.clone());
        while let Some((node, edge)) = stack.last().cloned() {
            if !succs.contains_key(&node) {
                let Some(step) = self.steps.get(&node) else {
                    stack.pop();
                    continue;
                };
                let path = step_path(&node);
                let ext: Option<StepExt> =
                    self.extension(&format!("{path}/step_extensions"), &step.step_extensions);
                let succ = self.successors(&node, step, ext.as_ref());
                succs.insert(node.clone(), succ);
                if let Some(ext) = ext {
                    exts.insert(node.clone(), ext);
                }
            }
            let targets: Vec<Option<String>> = succs
                .get(&node)
                .map(|s| {
                    s.targets()
                        .into_iter()
                        .map(|t| t.map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            match targets.get(edge) {
                Some(target) => {
                    if let Some(top) = stack.last_mut() {
                        top.1 += 1;
                    }
                    let Some(to) = target else { continue };
                    if on_path.contains(to) {
                        back.insert((node.clone(), edge));
                    } else if !done.contains(to) {
                        on_path.insert(to.clone());
                        stack.push((to.clone(), 0));
                    }
                }
                None => {
                    on_path.remove(&node);
                    done.insert(node.clone());
                    post.push(node);
                    stack.pop();
                }
            }
        }
        post.reverse();
        let order = post;

        // Runbook ids.
        let mut taken = BTreeSet::new();
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        for (i, node) in order.iter().enumerate() {
            let step = &self.steps[node];
            let wanted = exts
                .get(node)
                .map(|e| e.step_id.clone())
                .unwrap_or_else(|| slug(step.name.as_deref().unwrap_or(&step.kind)));
            ids.insert(
                node.clone(),
                unique(&wanted, &format!("step-{}", i + 1), &mut taken),
            );
        }
        let target = |t: &Option<String>| match t {
            Some(node) => ids
                .get(node)
                .map_or(Target::End, |id| Target::Step(id.clone())),
            None => Target::End,
        };

        let mut out = Vec::with_capacity(order.len());
        let mut notes = Vec::with_capacity(order.len());
        for (i, node) in order.iter().enumerate() {
            let step = &self.steps[node];
            let ext = exts.get(node);
            let mut built = self.step(node, step, ext, contacts);
            built.id = ids[node].clone();
            let mut note = vec![format!("CACAO {} step {node}", step.kind)];
            let succ = &succs[node];
            let mut targets: Vec<Target> = succ
                .targets()
                .iter()
                .map(|t| target(&t.map(str::to_owned)))
                .collect();
            for (edge, t) in targets.iter_mut().enumerate() {
                if back.contains(&(node.clone(), edge)) {
                    let to_id = std::mem::replace(t, Target::End).to_string();
                    let line = format!(
                        "The playbook loops back to step `{to_id}` here. A runbook cannot loop: if it must be repeated, go back to that step by hand."
                    );
                    built.instructions = join(&[built.instructions.as_str(), &line]);
                    note.push(format!(
                        "loops back to `{to_id}` in CACAO: ends here instead"
                    ));
                    self.warn(
                        &step_path(node),
                        format!(
                            "{} loops back to an earlier step: runbooks cannot loop, so this path ends here with a note",
                            describe(node, Some(step))
                        ),
                    );
                }
            }
            match succ {
                Succ::Decision(question, options) => {
                    built.decision = Some(Decision {
                        question: if question.trim().is_empty() {
                            built.title.clone()
                        } else {
                            question.clone()
                        },
                        options: options
                            .iter()
                            .zip(targets)
                            .map(|((label, _), goto)| DecisionOption {
                                label: if label.trim().is_empty() {
                                    "(no label)".to_owned()
                                } else {
                                    label.clone()
                                },
                                goto,
                            })
                            .collect(),
                    });
                }
                Succ::Next(_) => {
                    let t = targets.into_iter().next().unwrap_or(Target::End);
                    let following = order.get(i + 1).map(|n| Target::Step(ids[n].clone()));
                    built.next = match (&t, following) {
                        (t, Some(f)) if *t == f => None,
                        (Target::End, None) => None,
                        _ => Some(t),
                    };
                }
            }
            out.push(built);
            notes.push(note);
        }
        Ok((out, notes))
    }
}
