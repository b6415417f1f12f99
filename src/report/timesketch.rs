//! Timesketch JSON Lines: one event per line, ready for `timesketch_importer`
//! or the web upload, beside the other evidence of an incident.
//!
//! Each line carries the three fields Timesketch requires (`message`,
//! `datetime` in ISO 8601 and `timestamp_desc`) and, as attributes, the seq,
//! journal, actor, runbook, event type, exercise time, corrections, witness
//! code and the journal's integrity verdict (so a timeline filtered down to
//! one event still says whether the log it came from verified).

use serde::Serialize;

use super::Timeline;

#[derive(Serialize)]
struct Line<'a> {
    message: String,
    datetime: String,
    timestamp_desc: &'static str,
    journal: &'a str,
    seq: u64,
    actor: String,
    event_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    runbook: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exercise_time: Option<String>,
    local_time: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    corrected_by: Vec<u64>,
    witness: String,
    journal_integrity: String,
}

/// The journal export: one JSON object per line.
pub fn render(timeline: &Timeline) -> Result<String, serde_json::Error> {
    let mut out = String::new();
    for row in &timeline.rows {
        let integrity = timeline
            .sources
            .get(row.source)
            .and_then(|s| timeline.files.get(s.file))
            .map_or_else(String::new, super::Integrity::summary);
        let mut message = row.text.clone();
        for (seq, replacement) in &row.corrected_by {
            message = format!("{message} [CORRECTED by #{seq}: {replacement}]");
        }
        let line = Line {
            message,
            datetime: row.utc(),
            timestamp_desc: "Journal entry written",
            journal: timeline.source_name(row),
            seq: row.entry.seq,
            actor: row.actor(),
            event_type: row.kind(),
            runbook: row.runbook(),
            exercise_time: row.ex_t(),
            local_time: row.local(),
            corrected_by: row.corrected_by.iter().map(|(seq, _)| *seq).collect(),
            witness: row.witness(),
            journal_integrity: integrity,
        };
        // Inert on a terminal, the same value for a parser (see `json_safe`).
        out.push_str(&crate::text::json_safe(&serde_json::to_string(&line)?));
        out.push('\n');
    }
    Ok(out)
}
