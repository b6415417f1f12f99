//! Markdown: the journal export for a wiki, a ticket or a plain-text reader.
//!
//! Markdown passes HTML through, so text is escaped twice over: markup
//! characters become entities (a `<script>` in a note is text in every
//! renderer) and Markdown's own punctuation is backslash-escaped, so a note
//! cannot become a link, emphasis or a table cell break (text never starts a
//! line, so line-start markup such as headings cannot arise). GFM also links
//! bare URLs, `www.` names and e-mail addresses with no syntax at all: the
//! character each of those hangs on is backslash-escaped too.

use std::fmt::Write as _;

use super::{Timeline, VERSION_HEAD, version_cells};

/// Text made safe for Markdown inline content: no markup, no HTML, one line.
/// Quotes stay as they are (they mean nothing in Markdown text).
pub fn escape(text: &str) -> String {
    no_autolinks(&escape_markup(text))
}

/// Backslash-escapes what GFM's autolink extension would turn into a link
/// although the text has no link syntax: the `:` of `scheme://` (extended URL
/// autolinks), the `.` after `www` (www autolinks) and every `@` (e-mail,
/// `mailto:` and `xmpp:` autolinks, and mentions). Each escaped character is
/// ASCII punctuation, so every CommonMark renderer shows it as it was.
fn no_autolinks(escaped: &str) -> String {
    let mut out = String::with_capacity(escaped.len());
    for (i, c) in escaped.char_indices() {
        let before = &escaped[..i];
        let after = &escaped[i + c.len_utf8()..];
        let autolinks = match c {
            '@' => true,
            ':' => after.starts_with("//"),
            '.' => before.len() >= 3 && before[before.len() - 3..].eq_ignore_ascii_case("www"),
            _ => false,
        };
        if autolinks {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Markup and HTML made inert (see [`escape`]).
fn escape_markup(text: &str) -> String {
    super::html::escape_with(text, |c, out| {
        match c {
            '\n' => out.push_str("<br>"),
            '\t' => out.push(' '),
            '"' | '\'' => out.push(c),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            _ => return false,
        }
        true
    })
}

/// A Markdown table of raw cells.
pub fn table(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(
        out,
        "| {} |",
        head.iter()
            .map(|h| escape(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(out, "|{}", "---|".repeat(head.len()));
    for row in rows {
        let _ = writeln!(
            out,
            "| {} |",
            row.iter()
                .map(|c| escape(c))
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
}

/// The journal export: integrity, runbook versions, then the timeline.
pub fn render(timeline: &Timeline) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n\n## Integrity\n", escape(&timeline.title()));
    for file in &timeline.files {
        let _ = writeln!(
            out,
            "**{}**: {}\n",
            escape(&file.report.file.display().to_string()),
            if file.report.ok() {
                "VERIFIED"
            } else {
                "FAILED"
            }
        );
        for line in file.lines() {
            let _ = writeln!(out, "- {}", escape(&line));
        }
        out.push('\n');
    }
    let versions = version_cells(timeline);
    if !versions.is_empty() {
        out.push_str("## Runbook versions followed\n\n");
        table(&mut out, &VERSION_HEAD, &versions);
        out.push('\n');
        for v in super::versions(timeline) {
            if let Some(super::diff::Comparison::Changed(lines)) = &v.against_head {
                let _ = writeln!(
                    out,
                    "What changed in {} (opened at seq {} in {}) since, up to HEAD:\n",
                    escape(&v.runbook),
                    v.opened_seq,
                    escape(&v.journal)
                );
                // An indented code block: every line indented, so no line
                // of the diff can end it; control characters made visible.
                for line in lines {
                    let _ = writeln!(out, "    {}", crate::text::printable_line(line));
                }
                out.push('\n');
            }
        }
    }
    out.push_str("## Timeline\n\n");
    let mut head = vec!["Seq", "Local time", "UTC", "T+", "Actor", "Event"];
    if timeline.merged() {
        head.insert(0, "Journal");
    }
    let rows: Vec<Vec<String>> = timeline
        .rows
        .iter()
        .map(|row| {
            let mut event = row.text.clone();
            for (seq, replacement) in &row.corrected_by {
                event = format!("{event} [CORRECTED by #{seq}: {replacement}]");
            }
            let mut cells = vec![
                row.entry.seq.to_string(),
                row.local(),
                row.utc(),
                row.ex_t().unwrap_or_default(),
                row.actor(),
                event,
            ];
            if timeline.merged() {
                cells.insert(0, timeline.source_name(row).to_owned());
            }
            cells
        })
        .collect();
    table(&mut out, &head, &rows);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_inert() {
        assert_eq!(
            escape("<b>[x](http://e)</b> | # a\nb"),
            "&lt;b&gt;\\[x\\](http\\://e)&lt;/b&gt; \\| # a<br>b"
        );
    }

    #[test]
    fn bare_urls_and_addresses_cannot_autolink() {
        assert_eq!(escape("https://x"), "https\\://x");
        assert_eq!(escape("see www.x.com now"), "see www\\.x.com now");
        assert_eq!(escape("WWW.X.COM"), "WWW\\.X.COM");
        assert_eq!(escape("a@b.com"), "a\\@b.com");
        assert_eq!(escape("mailto:a@b.com"), "mailto:a\\@b.com");
        assert_eq!(escape("ftp://h/p"), "ftp\\://h/p");
        // Times and ordinary dots are left alone.
        assert_eq!(escape("14:05 v1.2"), "14:05 v1.2");
    }
}
