//! The situation report (`grabbag sitrep`) for a Gold briefing or a shift
//! handover, from a board's [`Picture`]: what changed since a time, open
//! decisions, deadlines due, blocked steps, and each cell and responder.
//!
//! The sections are built once as tables of raw text ([`sections`]) and
//! written by the shared Markdown and HTML table writers, which escape every
//! cell for their format: names and notes come from other people's laptops.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::{html, markdown};
use crate::board::{Integrity, Picture};
use crate::journal::Actor;

/// One section: a heading, and a table or, when it has no rows, a line
/// saying so.
pub struct Section {
    /// The heading.
    pub title: &'static str,
    /// The column heads.
    pub head: &'static [&'static str],
    /// The rows, raw text.
    pub rows: Vec<Vec<String>>,
    /// What to say when there are no rows.
    pub none: &'static str,
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn who(actor: Option<&Actor>) -> String {
    actor.map_or_else(
        || "(unreadable)".to_owned(),
        |a| format!("{} ({})", a.name, a.role),
    )
}

/// "2h 5m", "3d 4h", or "overdue by ..." for a negative number of seconds.
fn left(seconds: i64) -> String {
    let span = seconds.unsigned_abs();
    let (d, h, m) = (span / 86_400, span % 86_400 / 3600, span % 3600 / 60);
    let text = if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else {
        format!("{m}m")
    };
    if seconds < 0 {
        format!("overdue by {text}")
    } else {
        format!("{text} left")
    }
}

fn integrity(integrity: &Integrity) -> String {
    match integrity {
        Integrity::Verified => "verified".to_owned(),
        Integrity::Torn {
            after_seq, bytes, ..
        } => format!(
            "verified to seq {}; {bytes} bytes after it incomplete (copied mid-write?)",
            after_seq.map_or("?".to_owned(), |s| s.to_string())
        ),
        Integrity::Failing { seq, reason, .. } => format!(
            "FAILS at seq {}: {reason}",
            seq.map_or("?".to_owned(), |s| s.to_string())
        ),
        Integrity::NoKey { reason } => format!("cannot be decrypted: {reason}"),
        Integrity::Unreadable { reason } => format!("cannot be read: {reason}"),
        Integrity::Empty => "empty".to_owned(),
    }
}

/// The report's title.
pub fn title(picture: &Picture) -> String {
    format!(
        "Situation report: {}",
        picture.incident.as_deref().unwrap_or("unnamed incident")
    )
}

/// The lines under the title: as of when, since when, how many journals.
fn summary(picture: &Picture) -> Vec<String> {
    let merged = picture.journals.iter().filter(|j| j.merged).count();
    let mut lines = vec![format!("As of {}.", time(picture.now))];
    if let Some(since) = picture.since {
        lines.push(format!("Changes since {}.", time(since)));
    }
    lines.push(format!(
        "{merged} journal(s) of this incident merged; {} file(s) found in all; {} deadline(s) past due.",
        picture.journals.len(),
        picture.breaches
    ));
    lines
}

/// The report's sections, in order.
pub fn sections(picture: &Picture) -> Vec<Section> {
    let mut out = Vec::new();
    if picture.since.is_some() {
        out.push(Section {
            title: "What changed",
            head: &["Time", "Who", "What", "Journal"],
            rows: picture
                .changes
                .iter()
                .map(|c| {
                    vec![
                        time(c.at),
                        who(c.actor.as_ref()),
                        c.what.clone(),
                        format!("{} #{}", c.journal, c.seq),
                    ]
                })
                .collect(),
            none: "Nothing recorded since then.",
        });
    }
    out.push(Section {
        title: "Open decisions",
        head: &["Runbook step", "Question", "Waiting on", "Journal"],
        rows: picture
            .open_decisions
            .iter()
            .map(|d| {
                vec![
                    format!("{}#{}", d.runbook, d.step),
                    d.question.clone(),
                    who(d.holder.as_ref()),
                    d.journal.clone(),
                ]
            })
            .collect(),
        none: "None waiting (or the library's runbooks were not loaded).",
    });
    out.push(Section {
        title: "Deadlines due",
        head: &["Due", "State", "Deadline", "Started by", "Journal"],
        rows: picture
            .deadlines
            .iter()
            .filter(|d| d.remaining_s.is_some() || d.state == "breached")
            .map(|d| {
                vec![
                    time(d.due_at),
                    d.remaining_s.map_or_else(|| d.state.to_uppercase(), left),
                    match &d.case {
                        Some(case) => format!("{} (case {case})", d.label),
                        None => d.label.clone(),
                    },
                    who(d.started_by.as_ref()),
                    d.journal.clone(),
                ]
            })
            .collect(),
        none: "No deadline is running.",
    });
    out.push(Section {
        title: "Blocked steps",
        head: &["Runbook step", "Waiting for", "Who", "Journal"],
        rows: picture
            .steps
            .iter()
            .flat_map(|s| {
                s.by.iter().filter(|b| b.status == "blocked").map(move |b| {
                    vec![
                        format!("{}#{}", s.runbook, s.title.as_deref().unwrap_or(&s.step)),
                        b.reason.clone().unwrap_or_default(),
                        who(b.actor.as_ref()),
                        b.journal.clone(),
                    ]
                })
            })
            .collect(),
        none: "No step is blocked.",
    });
    out.push(Section {
        title: "Decisions taken",
        head: &["Time", "Runbook step", "Decision", "Rationale", "Who"],
        rows: picture
            .decisions
            .iter()
            .map(|d| {
                vec![
                    time(d.at),
                    format!("{}#{}", d.runbook, d.step),
                    d.option.clone(),
                    d.rationale.clone(),
                    who(d.actor.as_ref()),
                ]
            })
            .collect(),
        none: "No decision recorded.",
    });
    let mut responders = picture.responders.clone();
    responders.sort_by(|a, b| a.cell.cmp(&b.cell).then(a.name.cmp(&b.name)));
    out.push(Section {
        title: "By cell and responder",
        head: &[
            "Cell",
            "Responder",
            "Last entry",
            "Steps done",
            "Changes",
            "Journal",
        ],
        rows: responders
            .iter()
            .map(|r| {
                let mine = |actor: Option<&Actor>| {
                    actor.is_some_and(|a| a.name == r.name && a.role == r.role)
                };
                let done = picture
                    .steps
                    .iter()
                    .flat_map(|s| &s.by)
                    .filter(|b| b.journal == r.journal && b.status == "done")
                    .filter(|b| mine(b.actor.as_ref()))
                    .count();
                let changes = picture
                    .changes
                    .iter()
                    .filter(|c| c.journal == r.journal && mine(c.actor.as_ref()))
                    .count();
                vec![
                    r.cell.clone().unwrap_or_else(|| "-".to_owned()),
                    format!("{} ({})", r.name, r.role),
                    format!("{} (seq {})", time(r.last_at), r.last_seq),
                    done.to_string(),
                    if picture.since.is_some() {
                        changes.to_string()
                    } else {
                        "-".to_owned()
                    },
                    r.journal.clone(),
                ]
            })
            .collect(),
        none: "No responder's journal could be merged.",
    });
    out.push(Section {
        title: "Journals and integrity",
        head: &["Journal", "Entries", "Integrity", "Head", "Merged"],
        rows: picture
            .journals
            .iter()
            .map(|j| {
                vec![
                    j.file.clone(),
                    j.entries.to_string(),
                    integrity(&j.integrity),
                    j.head
                        .as_ref()
                        .map(|h| h.witness.clone())
                        .unwrap_or_default(),
                    j.not_merged
                        .as_deref()
                        .map_or_else(|| "yes".to_owned(), |why| format!("no: {why}")),
                ]
            })
            .chain(picture.refused.iter().map(|r| {
                vec![
                    r.path.clone(),
                    String::new(),
                    r.reason.clone(),
                    String::new(),
                    "no".to_owned(),
                ]
            }))
            .collect(),
        none: "No journal found.",
    });
    out
}

/// The sitrep as Markdown.
pub fn to_markdown(picture: &Picture) -> String {
    let mut out = format!("# {}\n\n", markdown::escape(&title(picture)));
    for line in summary(picture) {
        let _ = writeln!(out, "{}  ", markdown::escape(&line));
    }
    for section in sections(picture) {
        let _ = writeln!(out, "\n## {}\n", markdown::escape(section.title));
        if section.rows.is_empty() {
            let _ = writeln!(out, "{}", markdown::escape(section.none));
        } else {
            markdown::table(&mut out, section.head, &section.rows);
        }
    }
    out
}

/// The sitrep as a self-contained HTML page that prints on A4.
pub fn to_html(picture: &Picture) -> String {
    let title = title(picture);
    let mut body = format!("<h1>{}</h1>\n", html::escape(&title));
    for line in summary(picture) {
        let _ = writeln!(body, "<p>{}</p>", html::escape(&line));
    }
    for section in sections(picture) {
        let _ = writeln!(body, "<h2>{}</h2>", html::escape(section.title));
        if section.rows.is_empty() {
            let _ = writeln!(body, "<p>{}</p>", html::escape(section.none));
        } else {
            html::table(&mut body, section.head, &section.rows);
        }
    }
    html::document(&title, &body)
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::board::Board;
    use crate::board::tests::{actor, journal, note, start, t0};

    /// A note and a name from another laptop are text in both formats:
    /// no element, no link, no control character.
    #[test]
    fn what_other_laptops_wrote_is_escaped_in_markdown_and_html() {
        let dir = tempfile::tempdir().unwrap();
        let who = actor("<b>Eve</b>", "Silver [x](http://evil)");
        std::fs::write(
            dir.path().join("eve.jsonl"),
            journal(
                &who,
                vec![
                    start("Outage"),
                    note("<script>alert(1)</script> \u{1b}[2J www.example.com"),
                ],
            ),
        )
        .unwrap();
        let mut board = Board::new(vec![dir.path().to_owned()]);
        board.refresh(None);
        let picture = board.picture(t0() + TimeDelta::hours(1), Some(t0()), None);
        assert_eq!(picture.changes.len(), 1, "{:?}", picture.changes);
        let html = to_html(&picture);
        assert!(
            !html.contains("<script>") && !html.contains("<b>Eve"),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;alert("), "{html}");
        let md = to_markdown(&picture);
        assert!(!md.contains("<script>") && !md.contains("[x](http"), "{md}");
        for text in [&html, &md] {
            assert!(!text.contains('\u{1b}'));
        }
    }
}
