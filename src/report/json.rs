//! JSON: the journal export for tools, documented in `docs/exports.md`.
//!
//! One object: `format` (`grabbag-export`) and `version`, the verification
//! report of each file (the same object `journal verify --json` prints), the
//! runbook versions followed, and every entry with its stored event, the
//! event in words and its corrections. JSON escaping is serde_json's, so any
//! text is inert; a consumer that prints it to a terminal must still treat
//! it as untrusted.

use serde::Serialize;

use super::{Row, Timeline, VersionRow, versions};
use crate::journal::verify::VerifyReport;
use crate::journal::{Actor, Event};

/// The `format` of a JSON export.
pub const FORMAT: &str = "grabbag-export";
/// The version of the JSON export this grabbag writes.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Export<'a> {
    format: &'static str,
    version: u32,
    title: String,
    verified: bool,
    files: Vec<File<'a>>,
    runbook_versions: Vec<VersionRow>,
    entries: Vec<EntryOut<'a>>,
}

#[derive(Serialize)]
struct File<'a> {
    readable: bool,
    summary: Vec<String>,
    #[serde(flatten)]
    report: &'a VerifyReport,
}

#[derive(Serialize)]
struct Correction<'a> {
    seq: u64,
    replacement: &'a str,
}

#[derive(Serialize)]
struct EntryOut<'a> {
    journal: &'a str,
    seq: u64,
    session: u32,
    utc: String,
    local_time: String,
    offset: &'a str,
    mono_ms: u64,
    ex_t: Option<u64>,
    exercise_time: Option<String>,
    actor: Option<&'a Actor>,
    #[serde(rename = "type")]
    kind: &'static str,
    runbook: Option<&'a str>,
    text: &'a str,
    event: Option<&'a Event>,
    corrected_by: Vec<Correction<'a>>,
    hash: &'a str,
    witness: String,
}

fn entry<'a>(timeline: &'a Timeline, row: &'a Row) -> EntryOut<'a> {
    EntryOut {
        journal: timeline.source_name(row),
        seq: row.entry.seq,
        session: row.entry.session,
        utc: row.utc(),
        local_time: row.local(),
        offset: &row.entry.offset,
        mono_ms: row.entry.mono_ms,
        ex_t: row.entry.ex_t,
        exercise_time: row.ex_t(),
        actor: row.entry.actor.as_ref(),
        kind: row.kind(),
        runbook: row.runbook(),
        text: &row.text,
        event: row.entry.event.as_ref(),
        corrected_by: row
            .corrected_by
            .iter()
            .map(|(seq, replacement)| Correction {
                seq: *seq,
                replacement,
            })
            .collect(),
        hash: &row.entry.hash,
        witness: row.witness(),
    }
}

/// The journal export, pretty-printed, ending with a newline.
pub fn render(timeline: &Timeline) -> Result<String, serde_json::Error> {
    let export = Export {
        format: FORMAT,
        version: VERSION,
        title: timeline.title(),
        verified: timeline.ok(),
        files: timeline
            .files
            .iter()
            .map(|f| File {
                readable: f.readable,
                summary: f.lines(),
                report: &f.report,
            })
            .collect(),
        runbook_versions: versions(timeline),
        entries: timeline.rows.iter().map(|r| entry(timeline, r)).collect(),
    };
    // Notes and runbook text are untrusted: C1 controls and bidi overrides
    // are written as escapes (the same value), so the file is inert on a terminal.
    let mut text = crate::text::json_safe(&serde_json::to_string_pretty(&export)?).into_owned();
    text.push('\n');
    Ok(text)
}
