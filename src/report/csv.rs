//! CSV: the journal as a table that opens cleanly in a spreadsheet.
//!
//! RFC 4180: comma-separated, CRLF line ends, every field quoted with `"`
//! doubled inside, UTF-8 with a byte-order mark so spreadsheets read accents
//! and `£` correctly. A spreadsheet runs a cell that starts with `=`, `+`,
//! `-` or `@` (and, in some, a tab or carriage return, or the full-width
//! forms of those signs) as a formula, which a hostile note could use
//! (`=HYPERLINK(...)`): such a cell gets a leading `'`, which spreadsheets
//! show as text and hide. Control characters become visible `\u{..}`
//! placeholders. The first row after the header is the integrity verdict of
//! the journal (type `integrity`), so it is the first thing a reader sees.

use super::Timeline;
use crate::text::printable;

/// Characters that make a spreadsheet treat a cell as a formula when first.
const FORMULA_START: [char; 10] = [
    '=', '+', '-', '@', '\t', '\r', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
];

/// One field, neutralised and quoted.
pub fn field(text: &str) -> String {
    // Tab and CR are kept raw only for the formula check (a tab-led cell is
    // neutralised), then become placeholders like every control character.
    let neutral = if text.starts_with(FORMULA_START) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    let safe = printable(&neutral).replace('\t', "\\t");
    format!("\"{}\"", safe.replace('"', "\"\""))
}

/// One record of fields, with its CRLF.
pub fn record(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// The column heads, in order.
pub const HEAD: [&str; 13] = [
    "journal",
    "seq",
    "local_time",
    "utc",
    "exercise_time",
    "actor",
    "type",
    "runbook",
    "event",
    "corrected_by",
    "correction",
    "witness",
    "hash",
];

/// The journal export.
pub fn render(timeline: &Timeline) -> String {
    let mut out = String::from("\u{FEFF}");
    out.push_str(&record(&HEAD.map(str::to_owned)));
    for file in &timeline.files {
        let mut row = vec![String::new(); HEAD.len()];
        row[0] = file.report.file.display().to_string();
        row[6] = "integrity".to_owned();
        row[8] = file.summary();
        out.push_str(&record(&row));
    }
    for row in &timeline.rows {
        let corrected_by = row
            .corrected_by
            .iter()
            .map(|(seq, _)| seq.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        let correction = row
            .corrected_by
            .iter()
            .map(|(_, text)| text.as_str())
            .collect::<Vec<_>>()
            .join(" / ");
        out.push_str(&record(&[
            timeline.source_name(row).to_owned(),
            row.entry.seq.to_string(),
            row.local(),
            row.utc(),
            row.ex_t().unwrap_or_default(),
            row.actor(),
            row.kind().to_owned(),
            row.runbook().unwrap_or_default().to_owned(),
            row.text.clone(),
            corrected_by,
            correction,
            row.witness(),
            row.entry.hash.clone(),
        ]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_and_quotes_are_neutralised() {
        assert_eq!(
            field("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(field("-1"), "\"'-1\"");
        assert_eq!(field("\u{FF1D}1+1"), "\"'\u{FF1D}1+1\"");
        assert_eq!(field("\tx"), "\"'\\tx\"");
        assert_eq!(field("a, b\nc"), "\"a, b\nc\"");
        assert_eq!(field("esc\u{1b}[2J"), "\"esc\\u{1b}[2J\"");
    }
}
