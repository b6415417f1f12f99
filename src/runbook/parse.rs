//! From TOML text to a [`Runbook`], remembering where every value came from.
//!
//! We walk toml's spanned document tree by hand instead of deriving `Deserialize`
//! because serde stops at the first problem, and an author fixing a runbook wants
//! all of them at once, each with its line and column. The model built here is
//! best effort: a missing field gets a neutral value and an error, so that lint
//! can still report everything else in the same pass.

use std::collections::HashMap;
use std::ops::Range;

use chrono::NaiveDate;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::grab_bag;
use super::{
    CaseClock, CaseField, CaseItem, CaseKind, Clock, Contact, Decision, DecisionOption, Duration,
    FORMAT_VERSION, Kind, Runbook, Severity, Step, Target,
};
use crate::calendar::Period;
use crate::diagnostic::{Diagnostic, Source, did_you_mean};

/// Where each value was found, keyed by its dotted path (`steps.2.next`,
/// `steps.0.contacts.1`, `clocks.0.starts_on`).
#[derive(Debug, Default)]
pub(crate) struct Spans {
    by_path: HashMap<String, Range<usize>>,
}

impl Spans {
    /// The span of the value at `path`, or the start of the file.
    pub(crate) fn at(&self, path: &str) -> Range<usize> {
        self.by_path.get(path).cloned().unwrap_or(0..0)
    }
}

/// The state of one walk over a TOML document: the source, the problems
/// found so far and the spans of the values read. Shared by the runbook and
/// exercise readers.
pub(crate) struct Cx<'s> {
    pub(crate) source: Source<'s>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) spans: Spans,
}

impl Cx<'_> {
    pub(crate) fn error(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let d = self.source.error(span, message);
        self.diagnostics.push(d);
        let last = self.diagnostics.len() - 1;
        &mut self.diagnostics[last]
    }
}

/// A table being read, with its dotted path and span.
pub(crate) struct Table<'t, 'i> {
    pub(crate) table: &'t DeTable<'i>,
    span: Range<usize>,
    path: String,
}

type Value<'t, 'i> = &'t Spanned<DeValue<'i>>;

fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

impl<'t, 'i> Table<'t, 'i> {
    pub(crate) fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Reports keys outside `allowed`, with a "did you mean" where one is close.
    pub(crate) fn only(&self, cx: &mut Cx<'_>, allowed: &[&str]) {
        for (key, _) in self.table.iter() {
            let name: &str = key.get_ref();
            if allowed.contains(&name) {
                continue;
            }
            let where_ = if self.path.is_empty() {
                "at the top level".to_owned()
            } else {
                format!("in `{}`", self.path)
            };
            let d = cx.error(key.span(), format!("unknown field `{name}` {where_}"));
            match did_you_mean(name, allowed) {
                Some(close) => d.label = Some(format!("did you mean `{close}`?")),
                None => d.help = Some(format!("expected one of: {}", allowed.join(", "))),
            }
        }
    }

    pub(crate) fn get(&self, cx: &mut Cx<'_>, key: &str, required: bool) -> Option<Value<'t, 'i>> {
        match self.table.get(key) {
            Some(value) => {
                cx.spans.by_path.insert(self.child_path(key), value.span());
                Some(value)
            }
            None => {
                if required && self.path.is_empty() {
                    // A top-level field belongs to no line in particular: name
                    // the file's start without quoting an unrelated line.
                    let mut d = cx.source.diagnostic(
                        crate::diagnostic::Level::Error,
                        None,
                        format!("missing required field `{key}`"),
                    );
                    (d.line, d.column) = (Some(1), Some(1));
                    cx.diagnostics.push(d);
                } else if required {
                    cx.error(
                        self.header_span(cx),
                        format!("missing required field `{key}` in `{}`", self.path),
                    );
                }
                None
            }
        }
    }

    /// Where to point for a problem with the table as a whole: its first line.
    pub(crate) fn header_span(&self, cx: &Cx<'_>) -> Range<usize> {
        let text = cx.source.text;
        let start = self.span.start.min(text.len());
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        start..end.max(start)
    }

    pub(crate) fn mismatch(cx: &mut Cx<'_>, key: &str, value: Value<'_, '_>, expected: &str) {
        cx.error(
            value.span(),
            format!(
                "`{key}` must be {expected}, found {}",
                type_name(value.get_ref())
            ),
        );
    }

    pub(crate) fn string(&self, cx: &mut Cx<'_>, key: &str, required: bool) -> Option<String> {
        let value = self.get(cx, key, required)?;
        match value.get_ref() {
            DeValue::String(s) if required && s.trim().is_empty() => {
                cx.error(value.span(), format!("`{key}` must not be empty"));
                None
            }
            DeValue::String(s) => Some(s.to_string()),
            _ => {
                Self::mismatch(cx, key, value, "a string");
                None
            }
        }
    }

    pub(crate) fn strings(&self, cx: &mut Cx<'_>, key: &str) -> Vec<String> {
        let Some(value) = self.get(cx, key, false) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            Self::mismatch(cx, key, value, "an array of strings");
            return Vec::new();
        };
        let path = self.child_path(key);
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::String(s) => {
                    cx.spans.by_path.insert(format!("{path}.{i}"), item.span());
                    out.push(s.to_string());
                }
                other => {
                    cx.error(
                        item.span(),
                        format!(
                            "items of `{key}` must be strings, found {}",
                            type_name(other)
                        ),
                    );
                }
            }
        }
        out
    }

    pub(crate) fn integer(&self, cx: &mut Cx<'_>, key: &str) -> Option<i64> {
        let value = self.get(cx, key, false)?;
        match value.get_ref() {
            DeValue::Integer(n) => match i64::from_str_radix(n.as_str(), n.radix()) {
                Ok(n) => Some(n),
                Err(_) => {
                    cx.error(value.span(), format!("`{key}` is out of range"));
                    None
                }
            },
            _ => {
                Self::mismatch(cx, key, value, "an integer");
                None
            }
        }
    }

    pub(crate) fn boolean(&self, cx: &mut Cx<'_>, key: &str) -> Option<bool> {
        let value = self.get(cx, key, false)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                Self::mismatch(cx, key, value, "true or false");
                None
            }
        }
    }

    pub(crate) fn date(&self, cx: &mut Cx<'_>, key: &str, required: bool) -> Option<NaiveDate> {
        let value = self.get(cx, key, required)?;
        let date = match value.get_ref() {
            DeValue::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => dt.date,
            _ => None,
        };
        let parsed =
            date.and_then(|d| NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into()));
        if parsed.is_none() {
            let d = cx.error(
                value.span(),
                format!("`{key}` must be a date written as YYYY-MM-DD, without quotes"),
            );
            d.label = Some(format!("found {}", type_name(value.get_ref())));
        }
        parsed
    }

    pub(crate) fn duration(&self, cx: &mut Cx<'_>, key: &str, required: bool) -> Option<Duration> {
        self.parsed(
            cx,
            key,
            required,
            "a duration string such as \"15m\"",
            Duration::parse,
        )
    }

    /// A deadline's length: a duration, `N working days` or `N months`.
    pub(crate) fn period(&self, cx: &mut Cx<'_>, key: &str, required: bool) -> Option<Period> {
        self.parsed(
            cx,
            key,
            required,
            "a period string such as \"72h\" or \"1 working day\"",
            Period::parse,
        )
    }

    /// A string value read by `parse`, its error reported at the value.
    fn parsed<T>(
        &self,
        cx: &mut Cx<'_>,
        key: &str,
        required: bool,
        expected: &str,
        parse: fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = self.get(cx, key, required)?;
        let DeValue::String(text) = value.get_ref() else {
            Self::mismatch(cx, key, value, expected);
            return None;
        };
        match parse(text) {
            Ok(d) => Some(d),
            Err(why) => {
                cx.error(value.span(), format!("`{key}`: {why}"));
                None
            }
        }
    }

    pub(crate) fn target(&self, cx: &mut Cx<'_>, key: &str, required: bool) -> Option<Target> {
        let text = self.string(cx, key, required)?;
        Some(if text == "end" {
            Target::End
        } else {
            Target::Step(text)
        })
    }

    pub(crate) fn choice<T: Copy>(
        &self,
        cx: &mut Cx<'_>,
        key: &str,
        choices: &[(&str, T)],
    ) -> Option<T> {
        let text = self.string(cx, key, true)?;
        if let Some((_, v)) = choices.iter().find(|(name, _)| *name == text) {
            return Some(*v);
        }
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        let span = cx.spans.at(&self.child_path(key));
        let d = cx.error(
            span,
            format!("`{key}` must be one of: {}", names.join(", ")),
        );
        if let Some(close) = did_you_mean(&text, &names) {
            d.label = Some(format!("did you mean `{close}`?"));
        }
        None
    }

    /// An array of words, each one of `choices`; an unknown word (with a
    /// "did you mean") or a repeated one is an error at its own place.
    pub(crate) fn choices<T: Copy + PartialEq>(
        &self,
        cx: &mut Cx<'_>,
        key: &str,
        choices: &[(&str, T)],
    ) -> Vec<T> {
        let words = self.strings(cx, key);
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        let path = self.child_path(key);
        let mut out = Vec::with_capacity(words.len());
        for (i, word) in words.iter().enumerate() {
            let span = cx.spans.at(&format!("{path}.{i}"));
            match choices.iter().find(|(name, _)| name == word) {
                Some((_, v)) if out.contains(v) => {
                    cx.error(span, format!("`{word}` is listed twice in `{key}`"));
                }
                Some((_, v)) => out.push(*v),
                None => {
                    let d = cx.error(span, format!("unknown value `{word}` in `{key}`"));
                    match did_you_mean(word, &names) {
                        Some(close) => d.label = Some(format!("did you mean `{close}`?")),
                        None => d.help = Some(format!("expected any of: {}", names.join(", "))),
                    }
                }
            }
        }
        out
    }

    pub(crate) fn table(&self, cx: &mut Cx<'_>, key: &str) -> Option<Table<'t, 'i>> {
        let value = self.get(cx, key, false)?;
        match value.get_ref() {
            DeValue::Table(table) => Some(Table {
                table,
                span: value.span(),
                path: self.child_path(key),
            }),
            _ => {
                Self::mismatch(cx, key, value, "a table");
                None
            }
        }
    }

    /// An array of tables, written either as `[[key]]` or as inline tables.
    pub(crate) fn tables(&self, cx: &mut Cx<'_>, key: &str, required: bool) -> Vec<Table<'t, 'i>> {
        let Some(value) = self.get(cx, key, required) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            Self::mismatch(cx, key, value, "an array of tables");
            return Vec::new();
        };
        let path = self.child_path(key);
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::Table(table) => out.push(Table {
                    table,
                    span: item.span(),
                    path: format!("{path}.{i}"),
                }),
                other => {
                    cx.error(
                        item.span(),
                        format!(
                            "items of `{key}` must be tables, found {}",
                            type_name(other)
                        ),
                    );
                }
            }
        }
        out
    }
}

const TOP_KEYS: &[&str] = &[
    "format",
    "id",
    "title",
    "kind",
    "severity",
    "owner",
    "reviewed",
    "review_every_months",
    "summary",
    "tags",
    "references",
    "themes",
    "stages",
    "contacts",
    "clocks",
    "cases",
    "steps",
];
const CONTACT_KEYS: &[&str] = &[
    "id",
    "name",
    "role",
    "phone",
    "email",
    "when",
    "placeholder",
];
const CLOCK_KEYS: &[&str] = &[
    "id",
    "label",
    "due_after",
    "starts_on",
    "counts_from",
    "met_by",
    "basis",
];
const CASE_KEYS: &[&str] = &["id", "label", "fields", "checklist", "clocks"];
const CASE_FIELD_KEYS: &[&str] = &["id", "label", "required"];
const CASE_ITEM_KEYS: &[&str] = &["id", "title"];
const CASE_CLOCK_KEYS: &[&str] = &["id", "label", "due_after", "met_by", "basis"];
const STEP_KEYS: &[&str] = &[
    "id",
    "title",
    "role",
    "do",
    "checks",
    "expect_within",
    "contacts",
    "next",
    "decision",
];
const DECISION_KEYS: &[&str] = &["question", "options"];
const OPTION_KEYS: &[&str] = &["label", "goto"];

/// Parses `source` into a best-effort runbook, the spans of its values, and the
/// problems found. `None` only when the text is not TOML at all.
pub(super) fn parse(
    source: &Source<'_>,
    default_id: &str,
) -> (Option<Runbook>, Spans, Vec<Diagnostic>) {
    walk(source, |cx, root| read_runbook(cx, root, default_id))
}

/// Parses `source` as TOML and hands its root table to `read`, which builds a
/// best-effort model; returns it with the spans and the problems found.
/// `None` only when the text is not TOML at all.
pub(crate) fn walk<T>(
    source: &Source<'_>,
    read: impl FnOnce(&mut Cx<'_>, &Table<'_, '_>) -> T,
) -> (Option<T>, Spans, Vec<Diagnostic>) {
    let mut cx = Cx {
        source: *source,
        diagnostics: Vec::new(),
        spans: Spans::default(),
    };
    let (doc, errors) = DeTable::parse_recoverable(source.text);
    if !errors.is_empty() {
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            cx.error(span, format!("invalid TOML: {}", e.message().trim()));
        }
        return (None, cx.spans, cx.diagnostics);
    }
    let root = Table {
        table: doc.get_ref(),
        span: 0..0,
        path: String::new(),
    };
    let model = read(&mut cx, &root);
    (Some(model), cx.spans, cx.diagnostics)
}

fn read_runbook(cx: &mut Cx<'_>, root: &Table<'_, '_>, default_id: &str) -> Runbook {
    root.only(cx, TOP_KEYS);
    if let Some(version) = root.integer(cx, "format")
        && version != FORMAT_VERSION
    {
        let span = cx.spans.at("format");
        cx.error(
            span,
            format!(
                "unsupported runbook format {version}: this grabbag reads format {FORMAT_VERSION}"
            ),
        );
    }
    let review_every_months = match root.integer(cx, "review_every_months") {
        Some(n) if (1..=120).contains(&n) => n as u32,
        Some(_) => {
            let span = cx.spans.at("review_every_months");
            cx.error(span, "`review_every_months` must be between 1 and 120");
            12
        }
        None => 12,
    };
    Runbook {
        id: root
            .string(cx, "id", false)
            .unwrap_or_else(|| default_id.to_owned()),
        title: root.string(cx, "title", true).unwrap_or_default(),
        kind: root
            .choice(
                cx,
                "kind",
                &[("cyber", Kind::Cyber), ("continuity", Kind::Continuity)],
            )
            .unwrap_or(Kind::Cyber),
        severity: root
            .choice(
                cx,
                "severity",
                &[
                    ("low", Severity::Low),
                    ("medium", Severity::Medium),
                    ("high", Severity::High),
                    ("critical", Severity::Critical),
                ],
            )
            .unwrap_or(Severity::Medium),
        owner: root.string(cx, "owner", true).unwrap_or_default(),
        reviewed: root.date(cx, "reviewed", true).unwrap_or(NaiveDate::MIN),
        review_every_months,
        summary: root.string(cx, "summary", true).unwrap_or_default(),
        tags: root.strings(cx, "tags"),
        references: root.strings(cx, "references"),
        themes: root.choices(cx, "themes", &grab_bag::theme_choices()),
        stages: root.choices(cx, "stages", &grab_bag::stage_choices()),
        contacts: root
            .tables(cx, "contacts", false)
            .iter()
            .map(|t| read_contact(cx, t))
            .collect(),
        clocks: root
            .tables(cx, "clocks", false)
            .iter()
            .map(|t| read_clock(cx, t))
            .collect(),
        cases: root
            .tables(cx, "cases", false)
            .iter()
            .map(|t| read_case_kind(cx, t))
            .collect(),
        steps: root
            .tables(cx, "steps", false)
            .iter()
            .map(|t| read_step(cx, t))
            .collect(),
    }
}

fn read_contact(cx: &mut Cx<'_>, t: &Table<'_, '_>) -> Contact {
    t.only(cx, CONTACT_KEYS);
    Contact {
        id: t.string(cx, "id", true).unwrap_or_default(),
        name: t.string(cx, "name", true).unwrap_or_default(),
        role: t.string(cx, "role", false),
        phone: t.string(cx, "phone", false),
        email: t.string(cx, "email", false),
        when: t.string(cx, "when", false),
        placeholder: t.boolean(cx, "placeholder").unwrap_or(false),
    }
}

fn read_clock(cx: &mut Cx<'_>, t: &Table<'_, '_>) -> Clock {
    t.only(cx, CLOCK_KEYS);
    Clock {
        id: t.string(cx, "id", true).unwrap_or_default(),
        label: t.string(cx, "label", true).unwrap_or_default(),
        due_after: t
            .period(cx, "due_after", true)
            .unwrap_or(Period::Exact(Duration::from_secs(0))),
        starts_on: t.string(cx, "starts_on", true).unwrap_or_default(),
        counts_from: t.string(cx, "counts_from", false),
        met_by: t.string(cx, "met_by", false),
        basis: t.string(cx, "basis", false),
    }
}

fn read_case_kind(cx: &mut Cx<'_>, t: &Table<'_, '_>) -> CaseKind {
    t.only(cx, CASE_KEYS);
    let id = t.string(cx, "id", true).unwrap_or_default();
    CaseKind {
        label: t.string(cx, "label", false).unwrap_or_else(|| id.clone()),
        id,
        fields: t
            .tables(cx, "fields", false)
            .iter()
            .map(|f| {
                f.only(cx, CASE_FIELD_KEYS);
                let id = f.string(cx, "id", true).unwrap_or_default();
                CaseField {
                    label: f.string(cx, "label", false).unwrap_or_else(|| id.clone()),
                    id,
                    required: f.boolean(cx, "required").unwrap_or(false),
                }
            })
            .collect(),
        checklist: t
            .tables(cx, "checklist", false)
            .iter()
            .map(|i| {
                i.only(cx, CASE_ITEM_KEYS);
                CaseItem {
                    id: i.string(cx, "id", true).unwrap_or_default(),
                    title: i.string(cx, "title", true).unwrap_or_default(),
                }
            })
            .collect(),
        clocks: t
            .tables(cx, "clocks", false)
            .iter()
            .map(|c| {
                c.only(cx, CASE_CLOCK_KEYS);
                CaseClock {
                    id: c.string(cx, "id", true).unwrap_or_default(),
                    label: c.string(cx, "label", true).unwrap_or_default(),
                    due_after: c
                        .period(cx, "due_after", true)
                        .unwrap_or(Period::Exact(Duration::from_secs(0))),
                    met_by: c.string(cx, "met_by", false),
                    basis: c.string(cx, "basis", false),
                }
            })
            .collect(),
    }
}

fn read_step(cx: &mut Cx<'_>, t: &Table<'_, '_>) -> Step {
    t.only(cx, STEP_KEYS);
    let decision = t.table(cx, "decision").map(|d| read_decision(cx, &d));
    let next = t.target(cx, "next", false);
    if decision.is_some() && next.is_some() {
        let span = cx.spans.at(&t.child_path("next"));
        cx.error(span, "a step with a decision cannot also have `next`")
            .help = Some("each option's `goto` says where the flow goes".to_owned());
    }
    Step {
        id: t.string(cx, "id", true).unwrap_or_default(),
        title: t.string(cx, "title", true).unwrap_or_default(),
        role: t.string(cx, "role", false),
        instructions: t.string(cx, "do", false).unwrap_or_default(),
        checks: t.strings(cx, "checks"),
        expect_within: t.duration(cx, "expect_within", false),
        contacts: t.strings(cx, "contacts"),
        next,
        decision,
    }
}

fn read_decision(cx: &mut Cx<'_>, t: &Table<'_, '_>) -> Decision {
    t.only(cx, DECISION_KEYS);
    let question = t.string(cx, "question", true).unwrap_or_default();
    let options: Vec<DecisionOption> = t
        .tables(cx, "options", true)
        .iter()
        .map(|o| {
            o.only(cx, OPTION_KEYS);
            DecisionOption {
                label: o.string(cx, "label", true).unwrap_or_default(),
                goto: o.target(cx, "goto", true).unwrap_or(Target::End),
            }
        })
        .collect();
    if options.len() < 2 && t.table.contains_key("options") {
        let span = cx.spans.at(&t.child_path("options"));
        cx.error(span, "a decision needs at least two options");
    }
    Decision { question, options }
}
