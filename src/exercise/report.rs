//! The after-action report as Markdown.
//!
//! Renders [`AfterActionReport`] and nothing else: every fact comes from the
//! data struct. Text from runbooks, injects and notes is untrusted: control
//! characters are made visible ([`crate::text::printable_line`]) and every
//! character Markdown or HTML would interpret is backslash-escaped, so a note
//! cannot inject links, images, headings or raw HTML into the report.

use std::fmt::Write as _;

use super::aar::{AfterActionReport, Moment};
use super::score::Outcome;
use crate::text::printable_line;

/// Escapes untrusted text for Markdown, on one line: every character that
/// could start emphasis, code, a link or an image (`[`, `]`, `!`), raw HTML,
/// an entity or a table cell is backslash-escaped, and so is a leading list
/// or heading marker.
pub fn escape(text: &str) -> String {
    let flat = text.replace(['\r', '\n'], " ");
    let shown = printable_line(&flat);
    let mut out = String::with_capacity(shown.len() + 8);
    let digits = shown.chars().take_while(char::is_ascii_digit).count();
    for (i, c) in shown.chars().enumerate() {
        let leading =
            (i == 0 && "-+=".contains(c)) || (i == digits && digits > 0 && ".)".contains(c));
        if leading || "\\`*_[]<>#|!~&".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Untrusted text for inside a code span: printable, one line, and no
/// backtick to end the span early (backslashes are literal there).
pub fn code(text: &str) -> String {
    printable_line(&text.replace(['\r', '\n'], " ")).replace('`', "'")
}

/// `T+01:05:09` for an exercise time in ms.
pub fn t_plus(ms: u64) -> String {
    let s = ms / 1000;
    format!("T+{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// `4m05s` for a span of exercise time in ms, `–` for none.
pub fn minutes(ms: Option<u64>) -> String {
    ms.map_or_else(
        || "–".to_owned(),
        |ms| format!("{}m{:02}s", ms / 60_000, (ms / 1000) % 60),
    )
}

fn moments(out: &mut String, list: &[Moment]) {
    if list.is_empty() {
        out.push_str("None recorded.\n");
    }
    for m in list {
        let who = m.who.as_deref().map(escape).unwrap_or_default();
        let _ = writeln!(
            out,
            "- {} (seq {}) {}: {}",
            t_plus(m.ex_t),
            m.seq,
            who,
            escape(&m.what)
        );
    }
}

/// Renders the report.
pub fn markdown(r: &AfterActionReport) -> String {
    let mut out = String::new();
    let s = &r.scope;
    let _ = writeln!(out, "# After-action report: {}\n", escape(&s.title));
    let _ = writeln!(
        out,
        "Exercise `{}`; started {}; planned {}, played to {}.\n",
        code(&s.id),
        s.started_at
            .map_or_else(|| "(not recorded)".to_owned(), |t| t.to_rfc3339()),
        escape(&s.planned),
        t_plus(s.played_ms)
    );

    out.push_str("## Integrity\n\n");
    let j = &r.journal;
    let _ = writeln!(
        out,
        "- Journal: `{}`, {} entries, {}{}",
        code(&j.file),
        j.entries,
        if j.encrypted {
            "encrypted"
        } else {
            "plaintext"
        },
        j.witness
            .as_ref()
            .map(|w| format!(", head witness `{}`", code(w)))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "- Hash chain: {}",
        if j.ok {
            "verified, no problem found".to_owned()
        } else {
            format!("**FAILED** ({} problems)", j.problems.len())
        }
    );
    for p in &j.problems {
        let _ = writeln!(out, "  - {}", escape(p));
    }
    let d = &r.definition;
    let _ = writeln!(
        out,
        "- Exercise definition: {}\n",
        if d.same {
            format!("the one played (sha256 `{}`)", code(&d.scored))
        } else {
            format!(
                "**differs from the one played** (played `{}`, scored against `{}`)",
                code(d.played.as_deref().unwrap_or("not recorded")),
                code(&d.scored)
            )
        }
    );

    out.push_str("## Scope\n\n");
    let _ = writeln!(out, "{}\n", escape(&s.brief));
    let _ = writeln!(out, "- Audience: {}", escape(&s.audience));
    for rb in &s.runbooks {
        let _ = writeln!(out, "- Runbook in scope: `{}`", code(rb));
    }
    out.push_str("\n## Objectives\n\n| Objective | Score | Met | Late | Partial | Missed |\n|---|---|---|---|---|---|\n");
    for o in &r.scores.objectives {
        let n = |outcome: Outcome| {
            o.counts
                .iter()
                .find(|(x, _)| *x == outcome)
                .map_or(0, |(_, n)| *n)
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            escape(&o.text),
            o.total
                .percent
                .map_or_else(|| "–".to_owned(), |p| format!("{p}%")),
            n(Outcome::Met),
            n(Outcome::Late),
            n(Outcome::Partial),
            n(Outcome::Missed)
        );
    }
    let _ = writeln!(
        out,
        "\nOverall: **{}** ({} of {} points).\n",
        r.scores
            .overall
            .percent
            .map_or_else(|| "not scorable".to_owned(), |p| format!("{p}%")),
        r.scores.overall.earned_halves as f64 / 2.0,
        r.scores.overall.possible_halves as f64 / 2.0
    );

    out.push_str("## Participants\n\n");
    for p in &r.participants {
        let _ = writeln!(
            out,
            "- {} ({}){}",
            escape(&p.role),
            p.kind.as_str(),
            p.who
                .as_deref()
                .map(|w| format!(": {}", escape(w)))
                .unwrap_or_default()
        );
    }
    out.push_str("\nSeen in the journal:\n\n");
    for a in &r.actors {
        let _ = writeln!(out, "- {} ({})", escape(&a.name), escape(&a.role));
    }

    out.push_str("\n## Runbook versions used\n\n| Runbook | Title | Commit | Blob | Trust | Seq |\n|---|---|---|---|---|---|\n");
    for v in &r.runbook_versions {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {}{} | {} |",
            code(&v.id).replace('|', "\\|"),
            escape(&v.title),
            v.commit.as_deref().map_or("–".to_owned(), escape),
            v.blob.as_deref().map_or("–".to_owned(), escape),
            escape(&v.trust),
            if v.dirty { " (DIRTY)" } else { "" },
            v.seq
        );
    }

    out.push_str("\n## Scores by inject\n\n| Inject | Delivered | First action | Expectation | Outcome | Evidence | Time taken | Allowed |\n|---|---|---|---|---|---|---|---|\n");
    for i in &r.scores.injects {
        for (n, e) in i.expectations.iter().enumerate() {
            let (inject, delivered, first) = if n == 0 {
                (
                    escape(&i.id),
                    i.delivered_at.map_or("not delivered".to_owned(), t_plus),
                    minutes(i.first_action_ms),
                )
            } else {
                Default::default()
            };
            let _ = writeln!(
                out,
                "| {inject} | {delivered} | {first} | {} | {}{} | {} | {} | {} |",
                escape(if e.description.is_empty() {
                    &e.id
                } else {
                    &e.description
                }),
                e.outcome.as_str(),
                if e.by_facilitator {
                    " (facilitator)"
                } else {
                    ""
                },
                e.evidence.map_or("–".to_owned(), |s| format!("seq {s}")),
                minutes(e.elapsed_ms),
                minutes(e.within_ms)
            );
        }
    }
    if r.scores.unscripted_injects > 0 {
        let _ = writeln!(
            out,
            "\n{} unscripted inject(s) were added during play.",
            r.scores.unscripted_injects
        );
    }

    out.push_str("\n## Timeline\n\n");
    moments(&mut out, &r.timeline);
    out.push_str("\n## Observations\n\n");
    moments(&mut out, &r.observations);
    out.push_str("\n## Lessons learned\n\n### Went well\n\n");
    moments(&mut out, &r.went_well);
    out.push_str("\n### Did not go well\n\n");
    moments(&mut out, &r.did_not_go_well);
    out.push_str("\n## Recommendations\n\n| Action | Owner | Due | Seq |\n|---|---|---|---|\n");
    for a in &r.recommendations {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            escape(&a.text),
            a.owner.as_deref().map_or("**no owner**".to_owned(), escape),
            a.due.as_deref().map_or("–".to_owned(), escape),
            a.seq
        );
    }
    if !r.anomalies.is_empty() {
        out.push_str("\n## Journal anomalies\n\n");
        for a in &r.anomalies {
            let _ = writeln!(out, "- {}", escape(a));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_cannot_inject_markdown_or_html() {
        let e = escape("![x](http://evil) <script>| # \u{1b}[2J\nnext");
        assert!(e.starts_with("\\!\\[x\\](http"));
        assert_eq!(escape("- not a list"), "\\- not a list");
        assert_eq!(
            escape("12. not a list, 3.5 stays"),
            "12\\. not a list, 3.5 stays"
        );
        assert_eq!(code("a`b\ncd"), "a'b cd");
        assert!(e.contains(" \\<script\\>"));
        assert!(!e.contains('\u{1b}'));
        assert!(!e.contains('\n'));
        assert!(e.contains("\\|"));
    }

    #[test]
    fn exercise_time_reads_as_t_plus() {
        assert_eq!(t_plus(3_723_000), "T+01:02:03");
        assert_eq!(minutes(Some(125_000)), "2m05s");
    }
}
