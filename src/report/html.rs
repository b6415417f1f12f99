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
use crate::text::{list_item, printable, reflow};

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
    breakable(text).replace('\n', "<br>\n")
}

/// Letters in a row after which a long word may break.
const BREAK_EVERY: usize = 16;

/// Longer words than this get break opportunities.
const LONG_WORD: usize = 20;

/// True for a date, a time or a number with hyphens or colons in it
/// (`2026-12-02`, `T+00:10:00`, `-3`): digits and their punctuation only.
fn is_date_or_number(word: &str) -> bool {
    word.contains(['-', ':'])
        && word.chars().count() <= LONG_WORD
        && word.chars().any(|c| c.is_ascii_digit())
        && word
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | ':' | '+' | '.' | 'T' | 'Z'))
}

/// [`escape`], with a break opportunity (`<wbr>`) inside each long word:
/// after `/ - _ . : = ( , ;` and every [`BREAK_EVERY`] letters without one.
/// A table sizes its columns by their longest unbreakable word, so one file
/// path or hash would push the right-hand columns off the paper; with these
/// the table fits and ordinary words still never break in the middle.
pub fn breakable(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if is_date_or_number(word) {
            // A browser breaks "2026-12-02" after a hyphen: a date or a time
            // in two halves reads as two values.
            let _ = write!(out, "<span class=\"nb\">{}</span>", escape(word));
            continue;
        }
        if word.chars().count() <= LONG_WORD {
            out.push_str(&escape(word));
            continue;
        }
        let mut run = 0;
        let mut piece = String::new();
        let mut chars = word.chars().peekable();
        while let Some(c) = chars.next() {
            piece.push(c);
            run += 1;
            let more = chars.peek().is_some();
            if more
                && (matches!(c, '/' | '-' | '_' | '.' | ':' | '=' | '(' | ',' | ';')
                    || run == BREAK_EVERY)
            {
                out.push_str(&escape(&piece));
                out.push_str("<wbr>");
                piece.clear();
                run = 0;
            }
        }
        out.push_str(&escape(&piece));
    }
    out
}

/// The stylesheet every page shares: screen, then print on A4. On paper a
/// table must never be wider than the page (Chromium clips what overflows,
/// so a right-hand column would silently not be printed): cells may break
/// a long word anywhere, long ids are set small and wrapped, phone numbers
/// and the short columns (`td.n`) never break, headers repeat on each page
/// and rows are not split. A table is 2px narrower than the page: half of
/// a collapsed border lies outside the table, and at full width Chromium
/// clipped the right-hand one off the paper.
const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Arial,sans-serif;font-size:11pt;line-height:1.35;color:#111;max-width:60rem;margin:1.5rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .5rem}h2{font-size:1.2rem;margin:1.2rem 0 .4rem}h3{font-size:1.05rem;margin:1rem 0 .3rem}
table{border-collapse:collapse;width:calc(100% - 2px);margin:.4rem 1px}th,td{border:1px solid #999;padding:.2rem .35rem;text-align:left;vertical-align:top}
th{background:#eee}td.n,.tel,.nb{white-space:nowrap}
span.id{font-family:ui-monospace,Consolas,monospace;font-size:.8em}.muted{color:#555}.mono{font-family:ui-monospace,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}
.ok{color:#064;font-weight:bold}.bad{color:#a00;font-weight:bold}.warn{color:#850;font-weight:bold}
del{color:#a00}ins{color:#064;text-decoration:none}ins::before{content:'\\2192  '}
.box{display:inline-block;width:.9em;height:.9em;border:1px solid #111;margin-right:.4em;vertical-align:-.1em}
.sheet td{height:2.2rem}.sheet table,.signoff table{table-layout:fixed}.sheet th:nth-child(1){width:12%}.sheet th:nth-child(n+4){width:14%}
.signoff td{height:2rem}.signoff{break-inside:avoid;page-break-inside:avoid}
.runbook{margin-top:1.5rem}ul.checks{list-style:none;padding-left:.5rem}
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}a{color:inherit;text-decoration:none}
.runbook,.break{break-before:page;page-break-before:always}tr,li,.step h3{break-inside:avoid;page-break-inside:avoid}
h2,h3{break-after:avoid;page-break-after:avoid}thead{display:table-header-group}
th{background:#eee!important;-webkit-print-color-adjust:exact;print-color-adjust:exact}}
";

/// The running header and footer's type: margin boxes do not inherit the
/// body's font.
const MARGIN_FONT: &str =
    "font-family:system-ui,-apple-system,'Segoe UI',Arial,sans-serif;font-size:8pt;color:#555";

/// The page box: A4 portrait, with the document's title at the top and the
/// page number at the foot of every sheet (CSS paged-media margin boxes,
/// which Chromium prints since version 131; older browsers print the pages
/// without them).
fn page_style(title: &str) -> String {
    format!(
        "@page{{size:A4;margin:15mm;\
         @top-left{{content:{};{MARGIN_FONT}}}\
         @bottom-right{{content:'Page ' counter(page) ' of ' counter(pages);{MARGIN_FONT}}}}}\n",
        css_string(title)
    )
}

/// Text as a quoted CSS string that is safe inside a `<style>` element:
/// quotes and backslashes escaped, `<` escaped so `</style>` cannot end the
/// element, and control characters made visible first.
fn css_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in printable(text).chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("\\3c "),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A named page for one part of a long document (a runbook of the paper
/// pack, with its decision-log sheets): each of its sheets carries `label`
/// in bold across its head, as a dictionary's guide words, so a reader
/// finds the part the contents names by leafing through; the document's
/// `title` moves to the foot beside the page number. Browsers cannot print
/// the page a part starts on (`target-counter()`), so the contents names
/// parts by number and every page says which part it belongs to. An
/// element joins the part with `style="page:NAME"`; `name` must be a CSS
/// identifier.
pub fn part_page(name: &str, label: &str, title: &str) -> String {
    format!(
        "@page {name}{{@top-left{{content:{};{MARGIN_FONT};font-size:10pt;font-weight:bold;color:#111}}\
         @bottom-left{{content:{};{MARGIN_FONT}}}}}\n",
        css_string(label),
        css_string(title)
    )
}

/// A whole page: `title` (raw text, escaped here; also printed at the top
/// of every sheet) and `body` (already HTML).
pub fn document(title: &str, body: &str) -> String {
    document_with(title, "", body)
}

/// [`document`] with more print rules (from [`part_page`]).
pub fn document_with(title: &str, pages: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"grabbag\">\n<title>{}</title>\n<style>\n{STYLE}{}{pages}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title),
        page_style(title)
    )
}

/// True for a cell that is a long id (a commit, a blob, a SHA-256): set in
/// small monospace and wrapped, so the whole value is on paper.
fn is_long_id(cell: &str) -> bool {
    cell.len() >= 16 && cell.chars().all(|c| c.is_ascii_hexdigit())
}

/// A table: `head` cells and rows of cells, all raw text escaped here
/// (and made [`breakable`]).
pub fn table(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| {
                    if is_long_id(cell) {
                        format!("<span class=\"id\">{}</span>", breakable(cell))
                    } else {
                        breakable(cell)
                    }
                })
                .collect()
        })
        .collect();
    table_html(out, head, &rows);
}

/// [`table`] with cells that are already HTML (a phone number in its
/// [`tel`] span, say); the head is raw text, escaped here.
pub fn table_html(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    out.push_str("<table>\n<thead><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// A phone number that never breaks across lines: "0161 / 496 / 0901" on
/// paper is a number nobody can dial.
pub fn tel(phone: &str) -> String {
    format!("<span class=\"tel\">{}</span>", escape(phone))
}

/// Prose (a runbook's summary or a step's instructions) as paragraphs and
/// lists by its meaning ([`reflow`]), not its source line breaks.
pub fn prose(text: &str) -> String {
    let mut out = String::new();
    // The list open now, by its closing tag.
    let mut list: Option<&str> = None;
    for line in reflow(text.trim()).lines() {
        let item = list_item(line);
        let wanted = item.map(|(n, _)| if n.is_some() { "</ol>" } else { "</ul>" });
        if list.is_some() && list != wanted {
            out.push_str(list.take().unwrap_or_default());
            out.push('\n');
        }
        match item {
            Some((number, rest)) => {
                if list.is_none() {
                    out.push_str(if number.is_some() { "<ol>" } else { "<ul>" });
                    out.push('\n');
                    list = wanted;
                }
                let value = number.map_or_else(String::new, |n| format!(" value=\"{n}\""));
                let _ = writeln!(out, "<li{value}>{}</li>", escape(rest.trim()));
            }
            None if line.trim().is_empty() => {}
            None => {
                let _ = writeln!(out, "<p>{}</p>", escape(line.trim()));
            }
        }
    }
    if let Some(close) = list {
        out.push_str(close);
        out.push('\n');
    }
    out
}

/// Sign-off rows for a printed log or step sheet: who signed it off, in
/// which role, their signature, and the date and time, written by hand.
pub fn sign_off(out: &mut String, what: &str) {
    let _ = writeln!(
        out,
        "<section class=\"signoff\">\n<h3>Sign-off: {}</h3>",
        escape(what)
    );
    table(
        out,
        &SIGN_OFF_HEAD,
        &vec![vec![String::new(); SIGN_OFF_HEAD.len()]; 2],
    );
    out.push_str("</section>\n");
}

/// The sign-off block's columns.
pub const SIGN_OFF_HEAD: [&str; 4] = ["Name", "Role", "Signature", "Date and time"];

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
    sign_off(&mut body, "this log checked against what happened");
    document(&timeline.title(), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_words_get_break_opportunities_and_short_ones_none() {
        assert_eq!(breakable("a <b> c"), "a &lt;b&gt; c");
        assert_eq!(
            breakable("due 2026-12-02 at T+00:10:00"),
            "due <span class=\"nb\">2026-12-02</span> at <span class=\"nb\">T+00:10:00</span>"
        );
        assert_eq!(
            breakable("library/exercises/runs/x.jsonl"),
            "library/<wbr>exercises/<wbr>runs/<wbr>x.<wbr>jsonl"
        );
        assert_eq!(
            breakable("1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"),
            "1a2b3c4d5e6f7081<wbr>92a3b4c5d6e7f809<wbr>1a2b3c4d"
        );
    }

    #[test]
    fn prose_is_paragraphs_and_lists_by_meaning() {
        let html = prose("Tell the\nteams <now>.\n\n- one\n  more\n- two\n3. three\nAfter.");
        assert_eq!(
            html,
            "<p>Tell the teams &lt;now&gt;.</p>\n<ul>\n<li>one more</li>\n<li>two</li>\n</ul>\n\
             <ol>\n<li value=\"3\">three After.</li>\n</ol>\n"
        );
    }

    #[test]
    fn a_title_cannot_leave_the_css_string_or_the_style_element() {
        assert_eq!(
            css_string("a\"b\\c</style>\n"),
            "\"a\\\"b\\\\c\\3c /style> \""
        );
    }

    #[test]
    fn markup_and_controls_become_text() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\" \u{1b}[2J"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot; \\u{1b}[2J"
        );
    }
}
