//! Writing runbook TOML by hand, for people to read: fields in the order of
//! `docs/runbook-format.md`, multi-line text as `"""` blocks, and comments.
//!
//! Text from a playbook is untrusted. Every string is written as a TOML basic
//! string in which control characters and bidirectional overrides are escaped
//! (`\u001B`), so the file holds no raw escape sequence and reads the same in
//! any editor or terminal; comments go through [`printable_line`].

use std::fmt::Write as _;

use crate::runbook::Runbook;
use crate::text::printable_line;

/// True for characters written as `\uXXXX` escapes.
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

fn escape(text: &str, multiline: bool) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' if multiline => out.push('\n'),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` as a TOML string: `"…"` on one line, or a `"""` block when it has
/// several lines.
pub(super) fn string(text: &str) -> String {
    if text.contains('\n') {
        // A newline right after the opening quotes is not part of the value.
        format!("\"\"\"\n{}\"\"\"", escape(text, true))
    } else {
        format!("\"{}\"", escape(text, false))
    }
}

/// A TOML array of strings on one line, or one item per line when long.
pub(super) fn strings(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| string(s)).collect();
    let one_line = format!("[{}]", parts.join(", "));
    if one_line.chars().count() <= 100 && !one_line.contains('\n') {
        return one_line;
    }
    let mut out = String::from("[\n");
    for p in parts {
        let _ = writeln!(out, "  {p},");
    }
    out.push(']');
    out
}

/// Builds the document line by line.
#[derive(Default)]
pub(super) struct Writer {
    out: String,
}

impl Writer {
    /// `# text`, made safe and kept on one line.
    pub(super) fn comment(&mut self, text: &str) {
        let _ = writeln!(self.out, "# {}", printable_line(text));
    }

    /// An empty line.
    pub(super) fn blank(&mut self) {
        self.out.push('\n');
    }

    /// A table header such as `[[steps]]`.
    pub(super) fn header(&mut self, header: &str) {
        let _ = writeln!(self.out, "{header}");
    }

    /// `key = "value"`.
    pub(super) fn str(&mut self, key: &str, value: &str) {
        let _ = writeln!(self.out, "{key} = {}", string(value));
    }

    /// `key = "value"` when there is a value.
    pub(super) fn opt(&mut self, key: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.str(key, v);
        }
    }

    /// `key = ["a", "b"]` when the list is not empty.
    pub(super) fn list(&mut self, key: &str, items: &[String]) {
        if !items.is_empty() {
            let _ = writeln!(self.out, "{key} = {}", strings(items));
        }
    }

    /// `key = value` with a value already in TOML syntax (numbers, dates, booleans).
    pub(super) fn raw(&mut self, key: &str, value: impl std::fmt::Display) {
        let _ = writeln!(self.out, "{key} = {value}");
    }

    /// The document.
    pub(super) fn finish(self) -> String {
        self.out
    }
}

/// Comments to place in a written runbook.
#[derive(Debug, Default)]
pub(super) struct Notes {
    /// Lines at the top of the file.
    pub header: Vec<String>,
    /// Lines above each step, by step index.
    pub steps: Vec<Vec<String>>,
}

/// A runbook as TOML text, fields in the documented order. `write_id` leaves
/// `id` out so the runbook takes its id from where it is saved.
pub(super) fn runbook(rb: &Runbook, write_id: bool, notes: &Notes) -> String {
    let mut w = Writer::default();
    for line in &notes.header {
        w.comment(line);
    }
    if !notes.header.is_empty() {
        w.blank();
    }
    w.raw("format", crate::runbook::FORMAT_VERSION);
    if write_id {
        w.str("id", &rb.id);
    }
    w.str("title", &rb.title);
    w.str("kind", rb.kind.as_str());
    w.str("severity", rb.severity.as_str());
    w.str("owner", &rb.owner);
    w.raw("reviewed", rb.reviewed);
    w.raw("review_every_months", rb.review_every_months);
    w.str("summary", &rb.summary);
    w.list("tags", &rb.tags);
    w.list("references", &rb.references);
    let words = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect::<Vec<_>>();
    w.list(
        "themes",
        &words(rb.themes.iter().map(|t| t.as_str()).collect()),
    );
    w.list(
        "stages",
        &words(rb.stages.iter().map(|s| s.as_str()).collect()),
    );
    for c in &rb.contacts {
        w.blank();
        w.header("[[contacts]]");
        w.str("id", &c.id);
        w.str("name", &c.name);
        w.opt("role", c.role.as_deref());
        w.opt("phone", c.phone.as_deref());
        w.opt("email", c.email.as_deref());
        w.opt("when", c.when.as_deref());
        if c.placeholder {
            w.raw("placeholder", true);
        }
    }
    for c in &rb.clocks {
        w.blank();
        w.header("[[clocks]]");
        w.str("id", &c.id);
        w.str("label", &c.label);
        w.str("due_after", &c.due_after.to_string());
        w.str("starts_on", &c.starts_on);
        w.opt("counts_from", c.counts_from.as_deref());
        w.opt("met_by", c.met_by.as_deref());
        w.opt("basis", c.basis.as_deref());
    }
    for kind in &rb.cases {
        w.blank();
        w.header("[[cases]]");
        w.str("id", &kind.id);
        w.str("label", &kind.label);
        // Inline tables, one per line, as the samples write them.
        let table = |pairs: Vec<(&str, Option<String>)>| {
            let cells: Vec<String> = pairs
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| format!("{k} = {v}")))
                .collect();
            format!("  {{ {} }},\n", cells.join(", "))
        };
        let array = |rows: Vec<String>| format!("[\n{}]", rows.concat());
        w.raw(
            "fields",
            array(
                kind.fields
                    .iter()
                    .map(|f| {
                        table(vec![
                            ("id", Some(string(&f.id))),
                            ("label", Some(string(&f.label))),
                            ("required", f.required.then(|| "true".to_owned())),
                        ])
                    })
                    .collect(),
            ),
        );
        w.raw(
            "checklist",
            array(
                kind.checklist
                    .iter()
                    .map(|i| {
                        table(vec![
                            ("id", Some(string(&i.id))),
                            ("title", Some(string(&i.title))),
                        ])
                    })
                    .collect(),
            ),
        );
        w.raw(
            "clocks",
            array(
                kind.clocks
                    .iter()
                    .map(|c| {
                        table(vec![
                            ("id", Some(string(&c.id))),
                            ("label", Some(string(&c.label))),
                            ("due_after", Some(string(&c.due_after.to_string()))),
                            ("met_by", c.met_by.as_deref().map(string)),
                            ("basis", c.basis.as_deref().map(string)),
                        ])
                    })
                    .collect(),
            ),
        );
    }
    for (i, s) in rb.steps.iter().enumerate() {
        w.blank();
        for line in notes.steps.get(i).into_iter().flatten() {
            w.comment(line);
        }
        w.header("[[steps]]");
        w.str("id", &s.id);
        w.str("title", &s.title);
        w.opt("role", s.role.as_deref());
        if !s.instructions.is_empty() {
            w.str("do", &s.instructions);
        }
        w.list("checks", &s.checks);
        if let Some(d) = s.expect_within {
            w.str("expect_within", &d.to_string());
        }
        w.list("contacts", &s.contacts);
        if let Some(next) = &s.next {
            w.str("next", &next.to_string());
        }
        if let Some(d) = &s.decision {
            w.header("[steps.decision]");
            w.str("question", &d.question);
            for o in &d.options {
                w.header("[[steps.decision.options]]");
                w.str("label", &o.label);
                w.str("goto", &o.goto.to_string());
            }
        }
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(text: &str) -> String {
        let doc = format!("v = {}\n", string(text));
        let table: toml::Table = toml::from_str(&doc).unwrap_or_else(|e| panic!("{doc}: {e}"));
        table["v"].as_str().unwrap().to_owned()
    }

    #[test]
    fn strings_survive_toml() {
        for text in [
            "plain",
            "quote \" and backslash \\ and ''' and \"\"\"",
            "two\nlines\n",
            "\nleading newline",
            "ends with quote\"",
            "tab\tand CR\r\n",
            "escape \u{1b}[2J bell \u{7} del \u{7f} c1 \u{9b}",
            "bidi \u{202e}txt\u{2066}",
            "日本 £ é",
            "",
        ] {
            assert_eq!(roundtrip(text), text);
        }
    }

    #[test]
    fn hostile_text_is_escaped_in_the_file() {
        let s = string("a\u{1b}]0;pwned\u{7}\nb\u{202e}");
        assert!(!s.chars().any(needs_escape), "{s:?}");
        assert!(s.contains("\\u001B"));
    }

    #[test]
    fn long_lists_wrap() {
        let items: Vec<String> = (0..20).map(|i| format!("item number {i}")).collect();
        let s = strings(&items);
        assert!(s.starts_with("[\n"));
        let doc = format!("v = {s}\n");
        let table: toml::Table = toml::from_str(&doc).unwrap();
        assert_eq!(table["v"].as_array().unwrap().len(), 20);
    }
}
