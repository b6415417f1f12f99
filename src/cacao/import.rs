//! From a validated CACAO playbook to a grabbag runbook.
//!
//! CACAO workflows are graphs with structure (branches that return to the
//! conditional or parallel step that opened them, loops); a runbook is a list
//! of steps with gotos and no cycles. The importer:
//!
//! 1. gives every `end` step a continuation: the `on_completion` of the
//!    innermost conditional or parallel step whose branch reaches it (branches
//!    of a parallel step follow one another), or the end of the runbook;
//! 2. turns each step reached from the start into one runbook step: actions
//!    and playbook actions into instructions (only people act: commands of any
//!    other type become text to do by hand, never run), if and switch
//!    conditions into decisions, `on_success`/`on_failure` into a "did it
//!    work?" decision, a parallel step into a step that lists its branches,
//!    and a while loop into one step that says what to repeat and until when;
//! 3. orders the steps so every goto goes forward, and turns any remaining
//!    jump back (a retry) into the end of the runbook with a note, since
//!    runbooks cannot loop;
//! 4. writes the TOML and runs it through [`crate::runbook::check`], so the
//!    result provably lints.
//!
//! Whatever has no place in a runbook (variables, credentials, markings,
//! properties of other extensions...) is listed as a warning with its JSON
//! path, never dropped silently.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use base64::Engine as _;
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::model::{
    AgentExt, AgentTarget, Command, ExternalReference, Other, PlaybookExt, Step, StepExt,
    pointer_escape,
};
use super::toml_text::{self, Notes};
use super::validate::{Parsed, describe, validate};
use super::{CacaoError, Finding, Imported, export};
use crate::runbook::{
    self, Clock, Contact, Decision, DecisionOption, Duration, Kind, Runbook, Severity, Target,
};

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The id the runbook takes when the playbook does not carry a grabbag one
    /// (the TOML then has no `id`, so it takes its path in the library).
    pub default_id: String,
    /// The date reviews are judged against in the lint of the result.
    pub today: NaiveDate,
}

/// The description of a manual command that holds a runbook check.
pub(super) const CHECK: &str = "Check";

/// The description of the manual command of a step with no instructions
/// (an action needs one): it repeats the title and is not imported.
pub(super) const TITLE_ONLY: &str = "No instructions: the step's name says it all";

/// Imports `text`, a CACAO 2.0 playbook.
pub fn import(text: &str, options: &ImportOptions) -> Result<Imported, CacaoError> {
    let (parsed, mut warnings) = validate(text)?;
    let mut importer = Importer::new(&parsed, &mut warnings);
    let (runbook, notes, write_id) = importer.runbook()?;
    let toml = toml_text::runbook(&runbook, write_id, &notes);
    let checked = runbook::check("imported.toml", &toml, &options.default_id, options.today);
    warnings.sort();
    warnings.dedup();
    match checked.runbook {
        Some(runbook) => Ok(Imported {
            toml,
            runbook,
            warnings,
        }),
        None => Err(CacaoError::Lint(
            checked
                .diagnostics
                .into_iter()
                .filter(|d| d.is_error())
                .collect(),
        )),
    }
}

/// Where an `end` step leads.
#[derive(Debug, Clone, PartialEq)]
enum Cont {
    Step(String),
    End,
    /// Back to the while loop whose body it closes.
    Loop,
}

/// What follows a runbook step, in CACAO step ids.
#[derive(Debug, Clone)]
enum Succ {
    Next(Option<String>),
    Decision(String, Vec<(String, Option<String>)>),
}

impl Succ {
    fn targets(&self) -> Vec<Option<&str>> {
        match self {
            Succ::Next(t) => vec![t.as_deref()],
            Succ::Decision(_, options) => options.iter().map(|(_, t)| t.as_deref()).collect(),
        }
    }
}

struct Importer<'p> {
    parsed: &'p Parsed,
    steps: &'p BTreeMap<String, Step>,
    warnings: &'p mut Vec<Finding>,
    ext_id: String,
    ends: HashMap<String, Cont>,
    /// Body steps of each while loop, in the order they are met.
    bodies: HashMap<String, Vec<String>>,
    /// Runbook contact id for each agent or target id that is one.
    contact_of: BTreeMap<String, String>,
    hand_commands: BTreeSet<String>,
}

fn step_path(id: &str) -> String {
    format!("/workflow/{}", pointer_escape(id))
}

/// Why a property has no place in a runbook.
fn reason(key: &str) -> &'static str {
    match key {
        "playbook_variables" | "step_variables" => "variables have no place in a runbook",
        "in_args" | "out_args" => "step arguments have no place in a runbook",
        "authentication_info_definitions" | "authentication_info" => {
            "credentials are never imported"
        }
        "markings" | "data_marking_definitions" => {
            "data markings (TLP, IEP) are not carried over: mark the runbook by hand"
        }
        "signatures" => "signatures cover the JSON, not the runbook: verify them before importing",
        "owner" | "created_by" => "STIX identities are not part of the playbook",
        "playbook_types" | "playbook_activities" | "industry_sectors" => {
            "classification has no field in a runbook"
        }
        "priority" | "impact" => "no field in a runbook (severity is)",
        "valid_from" | "valid_until" | "revoked" => "validity dates are not carried over",
        _ => "no place in a grabbag runbook",
    }
}

/// A lower-case id made of letters, digits and dashes, at most 40 long.
pub(super) fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// Makes `wanted` unique among `taken` (and never `end`), then takes it.
fn unique(wanted: &str, fallback: &str, taken: &mut BTreeSet<String>) -> String {
    let base = if wanted.is_empty() || wanted == "end" || wanted.chars().count() > 100 {
        fallback.to_owned()
    } else {
        wanted.to_owned()
    };
    let mut id = base.clone();
    let mut n = 2;
    while taken.contains(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(id.clone());
    id
}

/// Milliseconds as a runbook duration, rounded up to whole seconds.
fn millis(ms: Option<i64>) -> Option<Duration> {
    ms.filter(|ms| *ms > 0)
        .map(|ms| Duration::from_secs((ms as u64).div_ceil(1000)))
}

fn reference_text(r: &ExternalReference) -> String {
    let mut parts: Vec<&str> = vec![r.name.as_str()];
    for extra in [
        &r.description,
        &r.source,
        &r.url,
        &r.external_id,
        &r.reference_id,
    ]
    .into_iter()
    .flatten()
    {
        if !parts.contains(&extra.as_str()) {
            parts.push(extra);
        }
    }
    parts.join(" — ")
}

fn severity(value: Option<i64>) -> Option<Severity> {
    match value? {
        1..=25 => Some(Severity::Low),
        26..=50 => Some(Severity::Medium),
        51..=75 => Some(Severity::High),
        76..=100 => Some(Severity::Critical),
        _ => None,
    }
}

fn date(timestamp: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(timestamp.get(..10)?, "%Y-%m-%d").ok()
}

impl<'p> Importer<'p> {
    fn new(parsed: &'p Parsed, warnings: &'p mut Vec<Finding>) -> Self {
        Self {
            parsed,
            steps: &parsed.steps,
            warnings,
            ext_id: export::extension_id(),
            ends: HashMap::new(),
            bodies: HashMap::new(),
            contact_of: BTreeMap::new(),
            hand_commands: BTreeSet::new(),
        }
    }

    fn warn(&mut self, path: &str, message: impl Into<String>) {
        self.warnings.push(Finding::warning(path, message));
    }

    /// Warns about each unnamed property of an object at `path`.
    fn leftovers(&mut self, path: &str, other: &Other) {
        for key in other.keys() {
            self.warn(
                &format!("{path}/{}", pointer_escape(key)),
                format!("not imported: {}", reason(key)),
            );
        }
    }

    /// grabbag's extension data in `extensions`, if present and readable;
    /// other extensions are reported.
    fn extension<T: DeserializeOwned>(
        &mut self,
        path: &str,
        extensions: &BTreeMap<String, Value>,
    ) -> Option<T> {
        let mut found = None;
        for (id, value) in extensions {
            let here = format!("{path}/{}", pointer_escape(id));
            if *id != self.ext_id {
                self.warn(&here, "not imported: an extension grabbag does not know");
                continue;
            }
            match serde_json::from_value(value.clone()) {
                Ok(v) => found = Some(v),
                Err(e) => self.warn(&here, format!("grabbag extension ignored: {e}")),
            }
        }
        found
    }

    fn runbook(&mut self) -> Result<(Runbook, Notes, bool), CacaoError> {
        let pb = &self.parsed.playbook;
        self.leftovers("", &pb.other);
        for (i, r) in pb.external_references.iter().enumerate() {
            self.leftovers(&format!("/external_references/{i}"), &r.other);
        }
        let ext: Option<PlaybookExt> =
            self.extension("/playbook_extensions", &pb.playbook_extensions);
        for id in pb.extension_definitions.keys() {
            if *id != self.ext_id {
                self.warn(
                    &format!("/extension_definitions/{}", pointer_escape(id)),
                    "not imported: an extension grabbag does not know",
                );
            }
        }
        let severity = severity(pb.severity).unwrap_or_else(|| {
            self.warn(
                "/severity",
                "no severity from 1 to 100: set to medium, check it",
            );
            Severity::Medium
        });
        let owner = match ext
            .as_ref()
            .map(|e| e.owner.trim())
            .filter(|o| !o.is_empty())
        {
            Some(owner) => owner.to_owned(),
            None => {
                self.warn(
                    "/created_by",
                    "CACAO names no owning role: `owner` needs setting",
                );
                "Not set: name the owning role (imported from CACAO)".to_owned()
            }
        };
        let kind = match ext.as_ref().map(|e| e.kind.as_str()) {
            Some("continuity") => Kind::Continuity,
            _ => Kind::Cyber,
        };
        let title = if pb.name.trim().is_empty() {
            "Imported CACAO playbook".to_owned()
        } else {
            pb.name.clone()
        };
        let summary = pb
            .description
            .clone()
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| title.clone());
        let contacts = self.contacts();
        let (steps, step_notes) = self.steps(&contacts)?;
        let clocks = self.clocks(ext.as_ref(), &steps);
        let runbook_id = ext
            .as_ref()
            .map(|e| e.runbook_id.trim().to_owned())
            .filter(|id| !id.is_empty());
        let rb = Runbook {
            id: runbook_id.clone().unwrap_or_default(),
            title,
            kind,
            severity,
            owner,
            reviewed: date(&pb.modified)
                .or_else(|| date(&pb.created))
                .unwrap_or(NaiveDate::MIN),
            review_every_months: ext
                .as_ref()
                .map(|e| e.review_every_months)
                .filter(|m| (1..=120).contains(m))
                .unwrap_or(12),
            summary,
            tags: pb.labels.clone(),
            references: pb.external_references.iter().map(reference_text).collect(),
            contacts,
            clocks,
            steps,
        };
        if !self.hand_commands.is_empty() {
            let types: Vec<&str> = self.hand_commands.iter().map(String::as_str).collect();
            self.warn(
                "/workflow",
                format!(
                    "commands of type {} are shown as text to carry out by hand: grabbag never runs them",
                    types.join(", ")
                ),
            );
        }
        let mut header = vec![
            format!(
                "Imported by `grabbag import cacao` from CACAO 2.0 playbook {} ({}), modified {}.",
                pb.id, pb.name, pb.modified
            ),
            "Review it before use: roles, contacts, owner and severity come from the playbook or are placeholders.".to_owned(),
        ];
        let notes: Vec<&Finding> = self.warnings.iter().collect();
        if !notes.is_empty() {
            header.push("Not carried over, or changed in shape:".to_owned());
            for f in notes {
                let path = if f.path.is_empty() { "/" } else { &f.path };
                header.push(format!("  {path}: {}", f.message));
            }
        }
        Ok((
            rb,
            Notes {
                header,
                steps: step_notes,
            },
            runbook_id.is_some(),
        ))
    }

    /// People named as agents or targets, as runbook contacts.
    fn contacts(&mut self) -> Vec<Contact> {
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

    fn clocks(&mut self, ext: Option<&PlaybookExt>, steps: &[runbook::Step]) -> Vec<Clock> {
        let Some(ext) = ext else { return Vec::new() };
        let has = |id: &str| steps.iter().any(|s| s.id == id);
        let mut out = Vec::new();
        for (i, c) in ext.clocks.iter().enumerate() {
            let due = Duration::parse(&c.due_after);
            let met_ok = c.met_by.as_deref().is_none_or(has);
            match due {
                Ok(due_after) if has(&c.starts_on) && met_ok && !c.clock_id.is_empty() => {
                    out.push(Clock {
                        id: c.clock_id.clone(),
                        label: c.label.clone(),
                        due_after,
                        starts_on: c.starts_on.clone(),
                        met_by: c.met_by.clone(),
                        basis: c.basis.clone(),
                    })
                }
                _ => self.warn(
                    &format!("/playbook_extensions/{}/clocks/{i}", self.ext_id),
                    "clock not imported: its duration or steps do not match the runbook",
                ),
            }
        }
        out
    }

    /// Gives each `end` step its continuation (see the module documentation).
    fn continuations(&mut self, start: &str) {
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
        for id in order {
            let Some(step) = self.steps.get(&id) else {
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
            let stop = match &after {
                Cont::Step(next) => Some(next.as_str()),
                _ => None,
            };
            let mut body = Vec::new();
            let own = pre.get(&id).copied().unwrap_or(0);
            for (heads, cont) in branches {
                let mut seen: BTreeSet<&str> = BTreeSet::from([id.as_str()]);
                seen.extend(stop);
                let mut queue: VecDeque<&str> = heads.iter().map(|h| h.as_str()).collect();
                while let Some(node) = queue.pop_front() {
                    if pre.get(node).is_some_and(|p| *p < own) || !seen.insert(node) {
                        continue;
                    }
                    let Some(s) = self.steps.get(node) else {
                        continue;
                    };
                    if s.kind == "end" {
                        self.ends.entry(node.to_owned()).or_insert(cont.clone());
                        continue;
                    }
                    body.push(node.to_owned());
                    queue.extend(s.references().into_iter().map(|(_, t)| t));
                }
            }
            if step.kind == "while-condition" {
                self.bodies.insert(id.clone(), body);
            }
        }
    }

    /// The runbook step a CACAO step leads to: through start steps and `end`
    /// steps with continuations; `None` is the end of the runbook.
    fn resolve(&self, id: Option<&str>) -> Option<String> {
        let mut at = id?.to_owned();
        let mut seen = BTreeSet::new();
        loop {
            if !seen.insert(at.clone()) {
                return None;
            }
            let step = self.steps.get(&at)?;
            match step.kind.as_str() {
                "start" => at = step.on_completion.clone()?,
                "end" => match self.ends.get(&at) {
                    Some(Cont::Step(next)) => at = next.clone(),
                    _ => return None,
                },
                _ => return Some(at),
            }
        }
    }

    /// What follows the runbook step made from CACAO step `id`.
    fn successors(&self, step: &Step, ext: Option<&StepExt>) -> Succ {
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
                    self.resolve(step.on_true.as_deref()),
                    self.resolve(step.on_false.as_deref().or(after)),
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
                        (label.to_owned(), self.resolve(Some(t)))
                    })
                    .collect();
                if !step.cases.contains_key("default") {
                    options.push(("None of these".to_owned(), self.resolve(after)));
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
            "parallel" => Succ::Next(self.resolve(step.next_steps.first().map(String::as_str))),
            "while-condition" => Succ::Next(self.resolve(after)),
            _ => {
                let success =
                    self.resolve(step.on_success.as_deref().or(step.on_completion.as_deref()));
                let failure =
                    self.resolve(step.on_failure.as_deref().or(step.on_completion.as_deref()));
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
    fn steps(
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
                let succ = self.successors(step, ext.as_ref());
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

    /// One runbook step from one CACAO step, without its flow.
    fn step(
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

fn join(parts: &[&str]) -> String {
    parts
        .iter()
        .copied()
        .filter(|p| !p.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cacao::import_json;

    macro_rules! soarca {
        ($name:literal) => {
            (
                $name,
                include_str!(concat!("../../tests/data/cacao/soarca/", $name)),
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
    const EVERY: &str = include_str!("../../tests/data/cacao/every-step-type.json");

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
        let invalid = include_str!("../../tests/data/cacao/soarca/invalid_playbook.json");
        let Err(CacaoError::Invalid(findings)) = import_json(invalid) else {
            panic!("invalid playbook imported");
        };
        assert!(
            findings.iter().any(|f| f.is_error()
                && f.path
                    == "/agent_definitions/http-api--7e9174ec-a293-43df-a72d-471c79e276bf/type"),
            "{findings:?}"
        );
        let infinite = include_str!("../../tests/data/cacao/soarca/infinite_playbook.json");
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

    #[test]
    fn branches_return_to_the_conditional_and_go_on() {
        let id = |t: &str, n: u32| format!("{t}--00000000-0000-4000-8000-{n:012}");
        let agent = id("individual", 99);
        let action = |name: &str, next: &str| {
            serde_json::json!({"type": "action", "name": name, "on_completion": next,
                "commands": [{"type": "manual", "command": name}], "agent": agent})
        };
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
        let text = serde_json::json!({
            "type": "playbook", "spec_version": "cacao-2.0", "id": id("playbook", 10), "name": "Out",
            "created_by": id("identity", 11), "created": "2026-01-01T00:00:00Z",
            "modified": "2026-01-01T00:00:00Z", "severity": 10, "workflow_start": id("start", 1),
            "workflow": workflow,
            "agent_definitions": {agent.clone(): {"type": "individual", "name": "Walker"}},
        })
        .to_string();
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
}
