//! HTML: the shared writer every HTML output uses, and the journal export.
//!
//! One file, no script, no network: the stylesheet is inline, with a print
//! stylesheet for A4 (`@page`), so a report opens in any browser and prints
//! (or saves as PDF) as filed. Every piece of text goes through [`escape`]:
//! markup characters become entities and control characters become visible
//! `\u{..}` placeholders, so a `<script>` in a runbook or a note is only ever
//! text.

use std::fmt::Write as _;

use super::{Integrity, Timeline};
use crate::text::printable;

/// Text made safe for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    escape_with(text, |_, _| false)
}

/// [`escape`], letting `special` write its own form of a character first
/// (returning true when it did): Markdown adds its backslash escapes so.
pub fn escape_with(text: &str, special: impl Fn(char, &mut String) -> bool) -> String {
    let text = printable(text);
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if special(c, &mut out) {
            continue;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// [`escape`], keeping line breaks as `<br>`.
pub fn escape_lines(text: &str) -> String {
    escape(text).replace('\n', "<br>\n")
}

/// The stylesheet every page shares: screen, then print on A4.
const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Arial,sans-serif;font-size:11pt;line-height:1.35;color:#111;max-width:60rem;margin:1.5rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .5rem}h2{font-size:1.2rem;margin:1.2rem 0 .4rem}h3{font-size:1.05rem;margin:1rem 0 .3rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{border:1px solid #999;padding:.2rem .35rem;text-align:left;vertical-align:top}
th{background:#eee}td.n{white-space:nowrap}.muted{color:#555}.mono{font-family:ui-monospace,Consolas,monospace;font-size:.9em}
.ok{color:#064;font-weight:bold}.bad{color:#a00;font-weight:bold}.warn{color:#850;font-weight:bold}
del{color:#a00}ins{color:#064;text-decoration:none}ins::before{content:'\\2192  '}
.box{display:inline-block;width:.9em;height:.9em;border:1px solid #111;margin-right:.4em;vertical-align:-.1em}
.sheet td{height:2.2rem}.runbook{margin-top:1.5rem}ul.checks{list-style:none;padding-left:.5rem}
@page{size:A4;margin:15mm}
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}a{color:inherit;text-decoration:none}
.runbook,.break{break-before:page;page-break-before:always}tr,li{break-inside:avoid;page-break-inside:avoid}
thead{display:table-header-group}th{background:#eee!important;-webkit-print-color-adjust:exact;print-color-adjust:exact}}
";

/// A whole page: `title` (raw text, escaped here) and `body` (already HTML).
pub fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"grabbag\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// A table: `head` cells and rows of cells, all raw text escaped here.
pub fn table(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    out.push_str("<table>\n<thead><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", escape(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// The integrity of each file, as a section.
pub fn integrity(out: &mut String, files: &[Integrity]) {
    out.push_str("<section class=\"integrity\">\n<h2>Integrity</h2>\n");
    for file in files {
        let (class, verdict) = if file.report.ok() {
            ("ok", "VERIFIED")
        } else {
            ("bad", "FAILED")
        };
        let _ = writeln!(
            out,
            "<p><span class=\"mono\">{}</span>: <span class=\"{class}\">{verdict}</span></p>\n<ul>",
            escape(&file.report.file.display().to_string())
        );
        for line in file.lines() {
            let _ = writeln!(out, "<li>{}</li>", escape(&line));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

/// The runbook versions each journal followed, as a section.
pub fn versions(out: &mut String, timeline: &Timeline) {
    let rows: Vec<Vec<String>> = super::version_cells(timeline);
    if rows.is_empty() {
        return;
    }
    out.push_str("<section>\n<h2>Runbook versions followed</h2>\n");
    table(out, &super::VERSION_HEAD, &rows);
    for v in super::versions(timeline) {
        if let Some(super::diff::Comparison::Changed(lines)) = &v.against_head {
            let _ = writeln!(
                out,
                "<h3>{} (opened at seq {} in {}): what changed since, up to HEAD</h3>\n<pre class=\"mono\">{}</pre>",
                escape(&v.runbook),
                v.opened_seq,
                escape(&v.journal),
                escape(&lines.join("\n"))
            );
        }
    }
    out.push_str("</section>\n");
}

/// The journal export: integrity, runbook versions, then the timeline.
pub fn render(timeline: &Timeline) -> String {
    let mut body = String::new();
    let _ = writeln!(body, "<h1>{}</h1>", escape(&timeline.title()));
    integrity(&mut body, &timeline.files);
    versions(&mut body, timeline);
    body.push_str("<section>\n<h2>Timeline</h2>\n<table>\n<thead><tr>");
    let mut head = vec!["Seq", "Local time", "UTC", "T+", "Actor", "Event"];
    if timeline.merged() {
        head.insert(0, "Journal");
    }
    for h in head {
        let _ = write!(body, "<th>{h}</th>");
    }
    body.push_str("</tr></thead>\n<tbody>\n");
    for row in &timeline.rows {
        let corrected = !row.corrected_by.is_empty();
        let _ = write!(
            body,
            "<tr id=\"e{}-{}\"{}>",
            row.source,
            row.entry.seq,
            if corrected {
                " class=\"corrected\""
            } else {
                ""
            }
        );
        if timeline.merged() {
            let _ = write!(body, "<td>{}</td>", escape(timeline.source_name(row)));
        }
        let _ = write!(
            body,
            "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n mono\">{}</td><td class=\"n\">{}</td><td>{}</td><td>",
            row.entry.seq,
            escape(&row.local()),
            escape(&row.utc()),
            escape(&row.ex_t().unwrap_or_default()),
            escape(&row.actor()),
        );
        if corrected {
            let _ = write!(body, "<del>{}</del>", escape_lines(&row.text));
            for (seq, replacement) in &row.corrected_by {
                let _ = write!(
                    body,
                    "<br><ins>{} <span class=\"muted\">(corrected by #{seq})</span></ins>",
                    escape_lines(replacement)
                );
            }
        } else {
            body.push_str(&escape_lines(&row.text));
        }
        body.push_str("</td></tr>\n");
    }
    body.push_str("</tbody>\n</table>\n</section>\n");
    document(&timeline.title(), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_controls_become_text() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\" \u{1b}[2J"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot; \\u{1b}[2J"
        );
    }
}
