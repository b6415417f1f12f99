//! The paper pack: every runbook a council might need on the day the laptop
//! is gone too, printed in advance and kept in the grab bag.
//!
//! Each runbook gets its version and review date, contacts (phone numbers
//! first), deadlines, each step with a tick box and its checks, decision
//! points with their options, and then blank decision-log sheets (time,
//! decision, rationale, by whom, witness code) for the responders to fill in
//! by hand, as a JESIP decision log. Two renderings: one HTML page that
//! prints on A4 with a page break before each runbook, and plain text with a
//! form feed between runbooks. Runbook text is untrusted: the HTML escapes it
//! and the text shows control characters as visible placeholders.

use std::fmt::Write as _;

use chrono::NaiveDate;

use super::html::{self, escape, prose, tel};
use crate::library::LoadedRunbook;
use crate::library::trust::Trust;
use crate::runbook::{Runbook, Target};
use crate::text::{printable, wrap};

/// Blank rows on each decision-log sheet.
pub const SHEET_ROWS: usize = 14;
/// Decision-log sheets after each runbook.
pub const SHEETS: usize = 2;
/// The decision log's columns.
pub const SHEET_HEAD: [&str; 5] = ["Time", "Decision", "Rationale", "By whom", "Witness code"];

/// A step's number (1-based) in its runbook, 0 when it has no such step.
fn step_number(rb: &Runbook, id: &str) -> usize {
    rb.steps
        .iter()
        .position(|s| s.id == id)
        .map_or(0, |n| n + 1)
}

/// Where an option or a step leads, in words.
fn target(rb: &Runbook, goto: &Target) -> String {
    match goto {
        Target::End => "end of runbook".to_owned(),
        Target::Step(id) => format!("step {}", step_number(rb, id)),
    }
}

/// The version line: commit, blob, review dates.
fn version_line(r: &LoadedRunbook) -> String {
    format!(
        "version {} (blob {})  ·  reviewed {} (next due {})",
        r.version.short(),
        r.version.blob.as_deref().map_or("-", super::short_id),
        r.runbook.reviewed,
        r.runbook.review_due()
    )
}

/// Columns of the text pack and of `grabbag show`: what a terminal shows
/// by default and what fits across A4 in a 10-point fixed-width font.
pub const TEXT_WIDTH: usize = 80;

/// Appends `text` as prose wrapped to [`TEXT_WIDTH`] (see [`wrap`]) after
/// `prefix`, its other lines indented to line up with the text after it.
/// Control characters are made visible first.
fn put(o: &mut String, prefix: &str, text: &str) {
    let hanging = " ".repeat(prefix.chars().count());
    o.push_str(&wrap(&printable(text), TEXT_WIDTH, prefix, &hanging));
}

/// A runbook as plain text for reading or printing (`grabbag show`, and
/// each runbook of the text pack), with badges as of `today`. Prose is
/// set by its meaning, not by the TOML source's line breaks.
pub fn runbook_text(r: &LoadedRunbook, today: NaiveDate) -> String {
    let rb = &r.runbook;
    let mut o = String::new();
    let mut title = String::new();
    put(&mut title, "", &rb.title);
    let rule = title.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    let _ = writeln!(o, "{title}{}", "=".repeat(rule));
    put(
        &mut o,
        "",
        &format!(
            "id {} · {} · severity {} · owner {}",
            rb.id,
            rb.kind.as_str(),
            rb.severity.as_str(),
            rb.owner
        ),
    );
    put(&mut o, "", &version_line(r));
    match &r.trust {
        Trust::Trusted { signer } => put(&mut o, "trust: ", &format!("signed by {signer}")),
        Trust::Untrusted { reason } => put(&mut o, "trust: ", &format!("UNTRUSTED ({reason})")),
        Trust::NotChecked => {}
    }
    let b = r.badges(today);
    if !b.is_empty() {
        put(&mut o, "badges: ", &b.join(" "));
    }
    o.push('\n');
    put(&mut o, "", &rb.summary);
    o.push('\n');
    if !rb.tags.is_empty() {
        put(&mut o, "tags: ", &rb.tags.join(", "));
    }
    if !rb.themes.is_empty() {
        let themes: Vec<&str> = rb.themes.iter().map(|t| t.as_str()).collect();
        let stages: Vec<&str> = rb.stages.iter().map(|s| s.as_str()).collect();
        put(
            &mut o,
            "LGA grab bag: ",
            &format!("{} at {}", themes.join(", "), stages.join(", ")),
        );
    }
    if !rb.clocks.is_empty() {
        let _ = writeln!(o, "\nCLOCKS");
        for c in &rb.clocks {
            put(
                &mut o,
                "  ⏱ ",
                &format!(
                    "{} — {} after step `{}` is done",
                    c.label, c.due_after, c.starts_on
                ),
            );
            if let Some(basis) = &c.basis {
                put(&mut o, "    basis: ", basis);
            }
        }
    }
    let _ = writeln!(o, "\nSTEPS");
    for (i, s) in rb.steps.iter().enumerate() {
        o.push('\n');
        put(
            &mut o,
            "[ ] ",
            &format!("{}. {} [{}]", i + 1, s.title, s.id),
        );
        if let Some(role) = &s.role {
            put(&mut o, "   who: ", role);
        }
        if let Some(d) = s.expect_within {
            let _ = writeln!(o, "   within: {d}");
        }
        put(&mut o, "   ", &s.instructions);
        for c in &s.checks {
            put(&mut o, "   [ ] ", c);
        }
        if let Some(d) = &s.decision {
            put(&mut o, "   DECISION: ", &d.question);
            for opt in &d.options {
                let to = target(rb, &opt.goto);
                put(&mut o, "     ( ) ", &format!("{} → {to}", opt.label));
            }
        } else if let Some(Target::End) = &s.next {
            let _ = writeln!(o, "   → end of runbook");
        } else if let Some(Target::Step(id)) = &s.next {
            let _ = writeln!(o, "   → go to step {}", step_number(rb, id));
        }
        for id in &s.contacts {
            if let Some(c) = rb.contact(id) {
                let phone = c.phone.as_deref().unwrap_or("");
                put(&mut o, "   call: ", &format!("{} {phone}", c.marked_name()));
            }
        }
    }
    if !rb.contacts.is_empty() {
        let _ = writeln!(o, "\nCONTACTS");
        for c in &rb.contacts {
            put(&mut o, "  ", &c.marked_name());
            for (label, value) in [
                ("role", &c.role),
                ("phone", &c.phone),
                ("email", &c.email),
                ("when", &c.when),
            ] {
                if let Some(v) = value {
                    put(&mut o, &format!("    {label}: "), v);
                }
            }
        }
    }
    if !rb.references.is_empty() {
        let _ = writeln!(o, "\nREFERENCES");
        for r in &rb.references {
            put(&mut o, "  - ", r);
        }
    }
    o
}

/// The text decision log's column widths; with their separators they fill
/// [`TEXT_WIDTH`].
const SHEET_WIDTHS: [usize; 5] = [6, 22, 22, 12, 14];

/// A blank decision-log sheet as text.
fn sheet_text(o: &mut String, number: usize, title: &str, n: usize) {
    o.push_str("\x0c\n");
    put(
        o,
        "",
        &format!("DECISION LOG {n}/{SHEETS}: {number}. {title}"),
    );
    o.push('\n');
    let cells = |texts: [&str; 5]| {
        let cells: Vec<String> = texts
            .iter()
            .zip(SHEET_WIDTHS)
            .map(|(t, w)| format!(" {t:<width$}", width = w - 1))
            .collect();
        cells.join("|").trim_end().to_owned()
    };
    let rule = SHEET_WIDTHS
        .iter()
        .map(|w| "-".repeat(*w))
        .collect::<Vec<_>>()
        .join("+");
    let _ = writeln!(o, "{}", cells(SHEET_HEAD));
    for _ in 0..SHEET_ROWS {
        let _ = writeln!(o, "{rule}\n{}\n", cells(["", "", "", "", ""]));
    }
    let _ = writeln!(o, "{rule}");
}

/// The text pack: a cover with a numbered contents list, then each runbook
/// under its number and its decision-log sheets, with a form feed before
/// each page that must start on its own.
pub fn text(runbooks: &[&LoadedRunbook], library: &str, today: NaiveDate) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "GRAB BAG PAPER PACK\n===================\n");
    put(&mut o, "", &format!("library {library} · printed {today}"));
    put(
        &mut o,
        "",
        "Use when no IT is available. Write every decision on a decision-log sheet: time, what, \
         why, who; copy the witness code from the screen when one is available. Each runbook \
         starts on a new page under its number below.",
    );
    o.push('\n');
    for (i, r) in runbooks.iter().enumerate() {
        put(
            &mut o,
            "  [ ] ",
            &format!(
                "{}. {} ({}, {})",
                i + 1,
                r.runbook.title,
                r.runbook.id,
                r.version.short()
            ),
        );
    }
    for (i, r) in runbooks.iter().enumerate() {
        let _ = writeln!(o, "\x0c\nRUNBOOK {} OF {}\n", i + 1, runbooks.len());
        o.push_str(&runbook_text(r, today));
        for n in 1..=SHEETS {
            sheet_text(&mut o, i + 1, &r.runbook.title, n);
        }
    }
    o
}

/// One runbook as HTML, with its decision-log sheets.
fn runbook_html(o: &mut String, number: usize, r: &LoadedRunbook, today: NaiveDate) {
    let rb = &r.runbook;
    let _ = writeln!(
        o,
        "<section class=\"runbook\" style=\"page:{}\">\n<h2>{number}. {}</h2>\n<p class=\"muted\">id <span class=\"mono\">{}</span> · {} · severity {} · owner {}<br>{}</p>",
        part_name(number),
        escape(&rb.title),
        escape(&rb.id),
        rb.kind.as_str(),
        rb.severity.as_str(),
        escape(&rb.owner),
        escape(&version_line(r))
    );
    let mut notes = Vec::new();
    match &r.trust {
        Trust::Trusted { signer } => notes.push(format!("signed by {signer}")),
        Trust::Untrusted { reason } => notes.push(format!("UNTRUSTED ({reason})")),
        Trust::NotChecked => {}
    }
    let badges = r.badges(today);
    if !badges.is_empty() {
        notes.push(badges.join(" "));
    }
    if !notes.is_empty() {
        let _ = writeln!(o, "<p class=\"warn\">{}</p>", escape(&notes.join(" · ")));
    }
    o.push_str(&prose(&rb.summary));
    if !rb.contacts.is_empty() {
        o.push_str("<h3>Contacts</h3>\n");
        // A column nobody filled in is left out rather than printed empty.
        let roles = rb.contacts.iter().any(|c| c.role.is_some());
        let rows: Vec<Vec<String>> = rb
            .contacts
            .iter()
            .map(|c| {
                let text = |v: &Option<String>| html::breakable(v.as_deref().unwrap_or_default());
                let mut row = vec![
                    tel(c.phone.as_deref().unwrap_or_default()),
                    html::breakable(&c.marked_name()),
                ];
                if roles {
                    row.push(text(&c.role));
                }
                row.extend([text(&c.email), text(&c.when)]);
                row
            })
            .collect();
        let head: &[&str] = if roles {
            &["Phone", "Name", "Role", "Email", "When"]
        } else {
            &["Phone", "Name", "Email", "When"]
        };
        html::table_html(o, head, &rows);
    }
    if !rb.clocks.is_empty() {
        o.push_str("<h3>Deadlines</h3>\n");
        let rows: Vec<Vec<String>> = rb
            .clocks
            .iter()
            .map(|c| {
                vec![
                    c.label.clone(),
                    format!(
                        "{} after step {} ({}) is done",
                        c.due_after,
                        step_number(rb, &c.starts_on),
                        c.starts_on
                    ),
                    c.basis.clone().unwrap_or_default(),
                    String::new(),
                ]
            })
            .collect();
        html::table(o, &["Deadline", "Due", "Basis", "Started at (time)"], &rows);
    }
    o.push_str("<h3>Steps</h3>\n");
    for (i, s) in rb.steps.iter().enumerate() {
        let _ = write!(
            o,
            "<div class=\"step\"><h3><span class=\"box\"></span>{}. {} <span class=\"muted mono\">[{}]</span></h3>\n<p>",
            i + 1,
            escape(&s.title),
            escape(&s.id)
        );
        let mut meta = Vec::new();
        if let Some(role) = &s.role {
            meta.push(format!("Who: {role}"));
        }
        if let Some(d) = s.expect_within {
            meta.push(format!("Within: {d}"));
        }
        meta.push("Done at: ________".to_owned());
        let _ = writeln!(
            o,
            "<span class=\"muted\">{}</span></p>",
            escape(&meta.join(" · "))
        );
        o.push_str(&prose(&s.instructions));
        if !s.checks.is_empty() {
            o.push_str("<ul class=\"checks\">\n");
            for c in &s.checks {
                let _ = writeln!(o, "<li><span class=\"box\"></span>{}</li>", escape(c));
            }
            o.push_str("</ul>\n");
        }
        if let Some(d) = &s.decision {
            let _ = writeln!(
                o,
                "<p><strong>Decision:</strong> {}</p>\n<ul class=\"checks\">",
                escape(&d.question)
            );
            for opt in &d.options {
                let _ = writeln!(
                    o,
                    "<li><span class=\"box\"></span>{} → {}</li>",
                    escape(&opt.label),
                    escape(&target(rb, &opt.goto))
                );
            }
            o.push_str(
                "</ul>\n<p class=\"muted\">Record the decision and why on the decision log.</p>\n",
            );
        } else if let Some(next) = &s.next {
            let _ = writeln!(
                o,
                "<p class=\"muted\">→ go to {}</p>",
                escape(&target(rb, next))
            );
        }
        let contacts: Vec<String> = s
            .contacts
            .iter()
            .filter_map(|id| rb.contact(id))
            .map(|c| match c.phone.as_deref() {
                Some(phone) => format!("{} {}", escape(&c.marked_name()), tel(phone)),
                None => escape(&c.marked_name()),
            })
            .collect();
        if !contacts.is_empty() {
            let _ = writeln!(o, "<p>Call: {}</p>", contacts.join("; "));
        }
        o.push_str("</div>\n");
    }
    if !rb.references.is_empty() {
        o.push_str("<h3>References</h3>\n<ul>\n");
        for reference in &rb.references {
            let _ = writeln!(o, "<li>{}</li>", escape(reference));
        }
        o.push_str("</ul>\n");
    }
    html::sign_off(o, "steps above done as ticked");
    o.push_str("</section>\n");
    for n in 1..=SHEETS {
        let _ = writeln!(
            o,
            "<section class=\"break sheet\" style=\"page:{}\">\n<h2>Decision log {n}/{SHEETS}: {number}. {}</h2>\n<p class=\"muted\">{} · {}</p>",
            part_name(number),
            escape(&rb.title),
            escape(&rb.id),
            escape(&r.version.short())
        );
        html::table(
            o,
            &SHEET_HEAD,
            &vec![vec![String::new(); SHEET_HEAD.len()]; SHEET_ROWS],
        );
        html::sign_off(o, "decisions above recorded as made");
        o.push_str("</section>\n");
    }
}

/// The HTML pack: a cover with a contents list, then each runbook (each on a
/// new page) and its decision-log sheets.
pub fn html(runbooks: &[&LoadedRunbook], library: &str, today: NaiveDate) -> String {
    let mut o = String::new();
    o.push_str("<h1>Grab bag paper pack</h1>\n");
    let _ = writeln!(
        o,
        "<p class=\"muted\">library <span class=\"mono\">{}</span> · printed {today}</p>\n\
         <p>Use when no IT is available. Write every decision on a decision-log sheet: time, what, why, who; \
         copy the witness code from the screen when one is available.</p>\n\
         <p>Each runbook starts on a new page under its number below, followed by its decision-log sheets. \
         The head of every page names the runbook it belongs to, by number and title: leaf through to \
         the number. Every page is numbered at its foot.</p>\n<ul class=\"checks\">",
        escape(library)
    );
    for (i, r) in runbooks.iter().enumerate() {
        let _ = writeln!(
            o,
            "<li><span class=\"box\"></span>{}. {} <span class=\"muted mono\">({}, {})</span></li>",
            i + 1,
            escape(&r.runbook.title),
            escape(&r.runbook.id),
            escape(&r.version.short())
        );
    }
    o.push_str("</ul>\n");
    let title = format!("Grab bag paper pack · printed {today}");
    let mut pages = String::new();
    for (i, r) in runbooks.iter().enumerate() {
        runbook_html(&mut o, i + 1, r, today);
        let label = format!("{} · {}", i + 1, r.runbook.title);
        pages.push_str(&html::part_page(&part_name(i + 1), &label, &title));
    }
    html::document_with(&title, &pages, &o)
}

/// The named page (see [`html::part_page`]) of runbook `number`.
fn part_name(number: usize) -> String {
    format!("runbook{number}")
}
