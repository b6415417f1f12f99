//! The case registers, for keying back: one row per case with every field
//! and the outcome of every clock, as CSV (formula-safe, as the journal
//! export is), JSON or a Markdown table.
//!
//! When systems return, someone re-keys each case handled on paper into the
//! line-of-business system; this is their worklist, and the `keyed` column
//! says which are done.

use std::collections::BTreeSet;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::{csv, markdown};
use crate::response::cases::CaseRow;
use crate::response::{ClockState, ClockStatus};

/// One case, as exported.
#[derive(Debug, Serialize)]
pub struct CaseExport {
    /// Its reference.
    pub reference: String,
    /// The runbook whose register it is on.
    pub runbook: String,
    /// Its kind.
    pub kind: String,
    /// When it was received (UTC).
    pub received_at: DateTime<Utc>,
    /// open, overdue, met or keyed.
    pub state: &'static str,
    /// Who added it (name, role).
    pub owner: String,
    /// When it was keyed back.
    pub keyed_at: Option<DateTime<Utc>>,
    /// Every field given, by name.
    pub fields: std::collections::BTreeMap<String, String>,
    /// Checklist items done.
    pub done: Vec<String>,
    /// Its clocks.
    pub clocks: Vec<ClockOutcome>,
}

/// How one clock of a case came out.
#[derive(Debug, Serialize)]
pub struct ClockOutcome {
    /// Clock id.
    pub clock: String,
    /// What was due.
    pub label: String,
    /// When it fell due (UTC).
    pub due_at: DateTime<Utc>,
    /// running, overdue, breached, met or met_late.
    pub outcome: &'static str,
    /// When it was met.
    pub met_at: Option<DateTime<Utc>>,
}

/// The word for a clock's state at `now`.
pub fn outcome(clock: &ClockState, now: DateTime<Utc>) -> &'static str {
    match clock.status(now) {
        ClockStatus::Running => "running",
        ClockStatus::Overdue => "overdue",
        ClockStatus::Breached => "breached",
        ClockStatus::Met { late: false } => "met",
        ClockStatus::Met { late: true } => "met_late",
    }
}

/// The rows of a register, for export.
pub fn rows(register: &[CaseRow<'_>], now: DateTime<Utc>) -> Vec<CaseExport> {
    register
        .iter()
        .map(|row| {
            let case = row.case;
            CaseExport {
                reference: case.reference.clone(),
                runbook: case.runbook.clone(),
                kind: case.kind.clone(),
                received_at: case.received_at,
                state: row.progress.as_str(),
                owner: case
                    .added
                    .actor
                    .as_ref()
                    .map(|a| format!("{} ({})", a.name, a.role))
                    .unwrap_or_default(),
                keyed_at: case.keyed.as_ref().map(|k| k.at),
                fields: case.fields.clone(),
                done: case.done.keys().cloned().collect(),
                clocks: row
                    .clocks
                    .iter()
                    .map(|c| ClockOutcome {
                        clock: c.clock.clone(),
                        label: c.label.clone(),
                        due_at: c.due_at,
                        outcome: outcome(c, now),
                        met_at: c.met.as_ref().map(|m| m.at),
                    })
                    .collect(),
            }
        })
        .collect()
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The table: a head and one line per case. Field and clock columns are the
/// union over the cases (registers of several kinds share one table).
fn table(cases: &[CaseExport]) -> (Vec<String>, Vec<Vec<String>>) {
    let fields: BTreeSet<&str> = cases
        .iter()
        .flat_map(|c| c.fields.keys().map(String::as_str))
        .collect();
    let mut clocks: Vec<&str> = Vec::new();
    for c in cases.iter().flat_map(|c| &c.clocks) {
        if !clocks.contains(&c.clock.as_str()) {
            clocks.push(&c.clock);
        }
    }
    let mut head: Vec<String> = [
        "reference",
        "runbook",
        "kind",
        "received_utc",
        "state",
        "owner",
        "keyed_utc",
        "done",
    ]
    .map(str::to_owned)
    .to_vec();
    head.extend(fields.iter().map(|f| format!("field:{f}")));
    for clock in &clocks {
        head.push(format!("{clock}:due_utc"));
        head.push(format!("{clock}:outcome"));
    }
    let lines = cases
        .iter()
        .map(|c| {
            let mut line = vec![
                c.reference.clone(),
                c.runbook.clone(),
                c.kind.clone(),
                time(c.received_at),
                c.state.to_owned(),
                c.owner.clone(),
                c.keyed_at.map(time).unwrap_or_default(),
                c.done.join(" "),
            ];
            line.extend(
                fields
                    .iter()
                    .map(|f| c.fields.get(*f).cloned().unwrap_or_default()),
            );
            for clock in &clocks {
                match c.clocks.iter().find(|o| o.clock == *clock) {
                    Some(o) => {
                        line.push(time(o.due_at));
                        line.push(o.outcome.to_owned());
                    }
                    None => line.extend([String::new(), String::new()]),
                }
            }
            line
        })
        .collect();
    (head, lines)
}

/// CSV, RFC 4180 with a byte-order mark; formula-led cells neutralised.
pub fn to_csv(cases: &[CaseExport]) -> String {
    let (head, lines) = table(cases);
    let mut out = String::from("\u{FEFF}");
    out.push_str(&csv::record(&head));
    for line in &lines {
        out.push_str(&csv::record(line));
    }
    out
}

/// A Markdown table, every cell escaped.
pub fn to_markdown(cases: &[CaseExport]) -> String {
    let (head, lines) = table(cases);
    let mut out = format!("# Cases to key back ({})\n\n", cases.len());
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    markdown::table(&mut out, &head, &lines);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(reference: &str, child: &str) -> CaseExport {
        CaseExport {
            reference: reference.to_owned(),
            runbook: "continuity/childrens-safeguarding".to_owned(),
            kind: "referral".to_owned(),
            received_at: DateTime::UNIX_EPOCH,
            state: "open",
            owner: "Duty social worker (MASH)".to_owned(),
            keyed_at: None,
            fields: [("child".to_owned(), child.to_owned())].into(),
            done: Vec::new(),
            clocks: vec![ClockOutcome {
                clock: "decision".to_owned(),
                label: "Decide".to_owned(),
                due_at: DateTime::UNIX_EPOCH,
                outcome: "breached",
                met_at: None,
            }],
        }
    }

    #[test]
    fn csv_neutralises_formulas_and_has_a_column_per_field_and_clock() {
        let text = to_csv(&[case("R-1", "=HYPERLINK(\"x\")"), case("R-2", "Sam")]);
        let mut lines = text.lines();
        let head = lines.next().unwrap_or_default();
        assert!(head.contains("\"field:child\""), "{head}");
        assert!(head.contains("\"decision:outcome\""), "{head}");
        let first = lines.next().unwrap_or_default();
        assert!(first.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{first}");
        assert!(first.ends_with("\"breached\""), "{first}");
    }

    #[test]
    fn markdown_escapes_cells() {
        let text = to_markdown(&[case("R|1", "<b>Sam</b>")]);
        assert!(text.contains("R\\|1"), "{text}");
        assert!(!text.contains("<b>"), "{text}");
    }
}
