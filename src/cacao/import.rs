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
//!
//! This file holds the importer's state, the playbook-level fields and the
//! small conversions; [`flow`] does steps 1 and 3 (continuations, successors,
//! the forward order), [`step`] turns one CACAO step into one runbook step,
//! and [`contacts`] turns people named as agents or targets into contacts.

mod contacts;
mod flow;
mod step;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::model::{ExternalReference, Other, PlaybookExt, Step, pointer_escape};
use super::toml_text::{self, Notes};
use super::validate::{Parsed, validate};
use super::{CacaoError, Finding, Imported, export};
use crate::runbook::{self, Clock, Duration, Kind, Runbook, Severity, Stage, Theme};
use flow::Fall;

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

struct Importer<'p> {
    parsed: &'p Parsed,
    steps: &'p BTreeMap<String, Step>,
    warnings: &'p mut Vec<Finding>,
    ext_id: String,
    /// Where each step of a branch (`end` steps too) goes when it leaves it.
    falls: HashMap<String, Fall>,
    /// Where leaving a construct (to a step, or nowhere) leads, once known.
    climbs: RefCell<HashMap<flow::Leaving, Option<String>>>,
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
            falls: HashMap::new(),
            climbs: RefCell::new(HashMap::new()),
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
            themes: self.grab_bag(
                ext.as_ref().map(|e| &e.themes[..]),
                "themes",
                &Theme::ALL,
                Theme::as_str,
            ),
            stages: self.grab_bag(
                ext.as_ref().map(|e| &e.stages[..]),
                "stages",
                &Stage::ALL,
                Stage::as_str,
            ),
            contacts,
            clocks,
            cases: ext.as_ref().map(|e| e.cases.clone()).unwrap_or_default(),
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

    /// The grab-bag themes or stages the extension names; a word this
    /// grabbag does not know is left out with a warning, never guessed.
    fn grab_bag<T: Copy + PartialEq>(
        &mut self,
        words: Option<&[String]>,
        key: &str,
        all: &[T],
        word_of: fn(T) -> &'static str,
    ) -> Vec<T> {
        let mut out = Vec::new();
        for (i, word) in words.unwrap_or_default().iter().enumerate() {
            match all.iter().find(|v| word_of(**v) == word) {
                Some(v) if !out.contains(v) => out.push(*v),
                Some(_) => {}
                None => self.warn(
                    &format!(
                        "/playbook_extensions/{}/{key}/{i}",
                        pointer_escape(&self.ext_id)
                    ),
                    format!(
                        "not imported: `{word}` is not a grab-bag {key} word this grabbag knows"
                    ),
                ),
            }
        }
        out
    }

    fn clocks(&mut self, ext: Option<&PlaybookExt>, steps: &[runbook::Step]) -> Vec<Clock> {
        let Some(ext) = ext else { return Vec::new() };
        let has = |id: &str| steps.iter().any(|s| s.id == id);
        let mut out = Vec::new();
        for (i, c) in ext.clocks.iter().enumerate() {
            let due = runbook::Period::parse(&c.due_after);
            let met_ok = c.met_by.as_deref().is_none_or(has);
            match due {
                Ok(due_after) if has(&c.starts_on) && met_ok && !c.clock_id.is_empty() => {
                    out.push(Clock {
                        id: c.clock_id.clone(),
                        label: c.label.clone(),
                        due_after,
                        starts_on: c.starts_on.clone(),
                        counts_from: c.counts_from.clone(),
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
mod tests;
