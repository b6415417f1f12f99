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
use crate::text::printable;

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

/// A runbook as plain text for reading or printing (`grabbag show`, and
/// each runbook of the text pack), with badges as of `today`.
pub fn runbook_text(r: &LoadedRunbook, today: NaiveDate) -> String {
    let rb = &r.runbook;
    let mut o = String::new();
    let p = |s: &str| printable(s).into_owned();
    let _ = writeln!(o, "{}", p(&rb.title));
    let _ = writeln!(o, "{}", "=".repeat(rb.title.chars().count().min(100)));
    let _ = writeln!(
        o,
        "id {}  ·  {}  ·  severity {}  ·  owner {}",
        p(&rb.id),
        rb.kind.as_str(),
        rb.severity.as_str(),
        p(&rb.owner)
    );
    let _ = writeln!(o, "{}", version_line(r));
    match &r.trust {
        Trust::Trusted { signer } => {
            let _ = writeln!(o, "trust: signed by {}", p(signer));
        }
        Trust::Untrusted { reason } => {
            let _ = writeln!(o, "trust: UNTRUSTED ({})", p(reason));
        }
        Trust::NotChecked => {}
    }
    let b = r.badges(today);
    if !b.is_empty() {
        let _ = writeln!(o, "badges: {}", b.join(" "));
    }
    let _ = writeln!(o, "\n{}\n", p(rb.summary.trim()));
    if !rb.tags.is_empty() {
        let _ = writeln!(o, "tags: {}", p(&rb.tags.join(", ")));
    }
    if !rb.themes.is_empty() {
        let themes: Vec<&str> = rb.themes.iter().map(|t| t.as_str()).collect();
        let stages: Vec<&str> = rb.stages.iter().map(|s| s.as_str()).collect();
        let _ = writeln!(
            o,
            "LGA grab bag: {} at {}",
            themes.join(", "),
            stages.join(", ")
        );
    }
    if !rb.clocks.is_empty() {
        let _ = writeln!(o, "\nCLOCKS");
        for c in &rb.clocks {
            let _ = writeln!(
                o,
                "  ⏱ {} — {} after step `{}` is done",
                p(&c.label),
                c.due_after,
                p(&c.starts_on)
            );
            if let Some(basis) = &c.basis {
                let _ = writeln!(o, "    basis: {}", p(basis));
            }
        }
    }
    let _ = writeln!(o, "\nSTEPS");
    for (i, s) in rb.steps.iter().enumerate() {
        let _ = writeln!(o, "\n[ ] {}. {}  [{}]", i + 1, p(&s.title), p(&s.id));
        if let Some(role) = &s.role {
            let _ = writeln!(o, "   who: {}", p(role));
        }
        if let Some(d) = s.expect_within {
            let _ = writeln!(o, "   within: {d}");
        }
        for line in s.instructions.trim().lines() {
            let _ = writeln!(o, "   {}", p(line));
        }
        for c in &s.checks {
            let _ = writeln!(o, "   [ ] {}", p(c));
        }
        if let Some(d) = &s.decision {
            let _ = writeln!(o, "   DECISION: {}", p(&d.question));
            for opt in &d.options {
                let to = target(rb, &opt.goto);
                let _ = writeln!(o, "     ( ) {} → {to}", p(&opt.label));
            }
        } else if let Some(Target::End) = &s.next {
            let _ = writeln!(o, "   → end of runbook");
        } else if let Some(Target::Step(id)) = &s.next {
            let _ = writeln!(o, "   → go to step {}", step_number(rb, id));
        }
        for id in &s.contacts {
            if let Some(c) = rb.contact(id) {
                let _ = writeln!(
                    o,
                    "   call: {} {}",
                    p(&c.marked_name()),
                    p(c.phone.as_deref().unwrap_or(""))
                );
            }
        }
    }
    if !rb.contacts.is_empty() {
        let _ = writeln!(o, "\nCONTACTS");
        for c in &rb.contacts {
            let _ = writeln!(o, "  {}", p(&c.marked_name()));
            for (label, value) in [
                ("role", &c.role),
                ("phone", &c.phone),
                ("email", &c.email),
                ("when", &c.when),
            ] {
                if let Some(v) = value {
                    let _ = writeln!(o, "    {label}: {}", p(v));
                }
            }
        }
    }
    if !rb.references.is_empty() {
        let _ = writeln!(o, "\nREFERENCES");
        for r in &rb.references {
            let _ = writeln!(o, "  - {}", p(r));
        }
    }
    o
}

/// A blank decision-log sheet as text.
fn sheet_text(o: &mut String, title: &str, n: usize) {
    let _ = writeln!(o, "\x0c\nDECISION LOG {n}/{SHEETS}: {}\n", printable(title));
    let _ = writeln!(
        o,
        "{:<8}| {:<24}| {:<24}| {:<12}| {}",
        SHEET_HEAD[0], SHEET_HEAD[1], SHEET_HEAD[2], SHEET_HEAD[3], SHEET_HEAD[4]
    );
    let rule = format!(
        "{}+{}+{}+{}+{}",
        "-".repeat(8),
        "-".repeat(25),
        "-".repeat(25),
        "-".repeat(13),
        "-".repeat(14)
    );
    for _ in 0..SHEET_ROWS {
        let _ = writeln!(
            o,
            "{rule}\n{:<8}| {:<24}| {:<24}| {:<12}|\n",
            "", "", "", ""
        );
    }
    let _ = writeln!(o, "{rule}");
}

/// The text pack: a cover, then each runbook and its decision-log sheets,
/// with a form feed before each page that must start on its own.
pub fn text(runbooks: &[&LoadedRunbook], library: &str, today: NaiveDate) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "GRAB BAG PAPER PACK\n===================\n");
    let _ = writeln!(o, "library {}  ·  printed {today}", printable(library));
    let _ = writeln!(
        o,
        "Use when no IT is available. Write every decision on a decision-log sheet: time, what, why, who;\n\
         copy the witness code from the screen when one is available.\n"
    );
    for r in runbooks {
        let _ = writeln!(
            o,
            "  [ ] {}  ({}, {})",
            printable(&r.runbook.title),
            printable(&r.runbook.id),
            r.version.short()
        );
    }
    for r in runbooks {
        o.push_str("\x0c\n");
        o.push_str(&runbook_text(r, today));
        for n in 1..=SHEETS {
            sheet_text(&mut o, &r.runbook.title, n);
        }
    }
    o
}

/// One runbook as HTML, with its decision-log sheets.
fn runbook_html(o: &mut String, number: usize, r: &LoadedRunbook, today: NaiveDate) {
    let rb = &r.runbook;
    let _ = writeln!(
        o,
        "<section class=\"runbook\">\n<h2>{number}. {}</h2>\n<p class=\"muted\">id <span class=\"mono\">{}</span> · {} · severity {} · owner {}<br>{}</p>",
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
        let rows: Vec<Vec<String>> = rb
            .contacts
            .iter()
            .map(|c| {
                let text = |v: &Option<String>| html::breakable(v.as_deref().unwrap_or_default());
                vec![
                    tel(c.phone.as_deref().unwrap_or_default()),
                    html::breakable(&c.marked_name()),
                    text(&c.role),
                    text(&c.email),
                    text(&c.when),
                ]
            })
            .collect();
        html::table_html(o, &["Phone", "Name", "Role", "Email", "When"], &rows);
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
            "<section class=\"break sheet\">\n<h2>Decision log {n}/{SHEETS}: {number}. {}</h2>\n<p class=\"muted\">{} · {}</p>",
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
         <p>Each runbook starts on a new page under its number below, followed by its decision-log sheets; \
         every page is numbered at its foot.</p>\n<ul class=\"checks\">",
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
    for (i, r) in runbooks.iter().enumerate() {
        runbook_html(&mut o, i + 1, r, today);
    }
    html::document(&format!("Grab bag paper pack · printed {today}"), &o)
}
