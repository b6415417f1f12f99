//! `grabbag list`, `show ID` and `log ID`: what is in the library, one
//! runbook as readable text, and its history.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::anyhow;

use super::{Context, print_json, today};
use crate::library::trust::Trust;
use crate::library::{LoadReport, LoadedRunbook};
use crate::runbook::Target;
use crate::text::{printable, printable_line};

/// Arguments of `list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
    /// Refuse runbooks whose last change is not signed by an allowed signer.
    #[arg(long)]
    pub require_signed: bool,
}

/// Arguments of `show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The runbook id, e.g. `cyber/ransomware`.
    pub id: String,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
    /// Refuse the runbook unless its last change is signed by an allowed signer.
    #[arg(long)]
    pub require_signed: bool,
}

/// Arguments of `log`.
#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// The runbook id.
    pub id: String,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The badges shown beside a runbook everywhere: each names a reason for care.
pub fn badges(r: &LoadedRunbook) -> Vec<&'static str> {
    r.badges(today())
}

fn report_failures(report: &LoadReport) {
    for f in &report.failures {
        eprintln!(
            "warning: {} did not load: {}",
            printable_line(&f.file.display().to_string()),
            printable_line(&f.summary())
        );
    }
}

/// Runs `list`.
pub fn list(ctx: &Context, args: ListArgs) -> anyhow::Result<ExitCode> {
    let (_, report) = ctx.load(args.require_signed)?;
    if args.json {
        print_json(&report)?;
    } else {
        print!("{}", render_list(&report));
        report_failures(&report);
    }
    Ok(if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The `list` table.
pub fn render_list(report: &LoadReport) -> String {
    let mut out = String::new();
    let width = report
        .runbooks
        .iter()
        .map(|r| r.runbook.id.chars().count())
        .max()
        .unwrap_or(2)
        .max(2);
    let _ = writeln!(
        out,
        "{:<width$}  {:<10}  {:<8}  {:<14}  {:<10}  TITLE / BADGES",
        "ID", "KIND", "SEVERITY", "VERSION", "REVIEWED"
    );
    for r in &report.runbooks {
        let badges = badges(r);
        let badges = if badges.is_empty() {
            String::new()
        } else {
            format!("  [{}]", badges.join(" "))
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:<10}  {:<8}  {:<14}  {:<10}  {}{badges}",
            printable_line(&r.runbook.id),
            r.runbook.kind.as_str(),
            r.runbook.severity.as_str(),
            r.version.short(),
            r.runbook.reviewed,
            printable_line(&r.runbook.title),
        );
    }
    let _ = writeln!(
        out,
        "{} runbook(s){}",
        report.runbooks.len(),
        if report.failures.is_empty() {
            String::new()
        } else {
            format!(", {} file(s) did not load", report.failures.len())
        }
    );
    out
}

/// The runbook with `id` in a loaded library, or why it is not there (it did
/// not load, or no runbook has that id).
pub fn find<'r>(report: &'r LoadReport, id: &str) -> anyhow::Result<&'r LoadedRunbook> {
    if let Some(r) = report.get(id) {
        return Ok(r);
    }
    if let Some(f) = report
        .failures
        .iter()
        .find(|f| crate::library::id_for(&f.file).as_deref() == Some(id))
    {
        return Err(anyhow!("{}", f.summary()));
    }
    Err(anyhow!("no runbook with id `{id}` (try `grabbag list`)"))
}

/// Runs `show`.
pub fn show(ctx: &Context, args: ShowArgs) -> anyhow::Result<ExitCode> {
    let (_, report) = ctx.load(args.require_signed)?;
    let r = find(&report, &args.id)?;
    if args.json {
        print_json(r)?;
    } else {
        print!("{}", render_runbook(r));
    }
    Ok(ExitCode::SUCCESS)
}

/// A runbook as plain text for reading or printing.
pub fn render_runbook(r: &LoadedRunbook) -> String {
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
    let _ = writeln!(
        o,
        "version {} (blob {})  ·  reviewed {} (next due {})",
        r.version.short(),
        r.version
            .blob
            .as_deref()
            .map_or("-", |b| &b[..b.len().min(8)]),
        rb.reviewed,
        rb.review_due()
    );
    match &r.trust {
        Trust::Trusted { signer } => {
            let _ = writeln!(o, "trust: signed by {}", p(signer));
        }
        Trust::Untrusted { reason } => {
            let _ = writeln!(o, "trust: UNTRUSTED ({})", p(reason));
        }
        Trust::NotChecked => {}
    }
    let b = badges(r);
    if !b.is_empty() {
        let _ = writeln!(o, "badges: {}", b.join(" "));
    }
    let _ = writeln!(o, "\n{}\n", p(rb.summary.trim()));
    if !rb.tags.is_empty() {
        let _ = writeln!(o, "tags: {}", p(&rb.tags.join(", ")));
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
        let _ = writeln!(o, "\n{}. {}  [{}]", i + 1, p(&s.title), p(&s.id));
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
                let to = match &opt.goto {
                    Target::End => "end of runbook".to_owned(),
                    Target::Step(id) => format!(
                        "step {}",
                        rb.steps
                            .iter()
                            .position(|s| &s.id == id)
                            .map_or(0, |n| n + 1)
                    ),
                };
                let _ = writeln!(o, "     ( ) {} → {to}", p(&opt.label));
            }
        } else if let Some(Target::End) = &s.next {
            let _ = writeln!(o, "   → end of runbook");
        } else if let Some(Target::Step(id)) = &s.next {
            let n = rb
                .steps
                .iter()
                .position(|s| &s.id == id)
                .map_or(0, |n| n + 1);
            let _ = writeln!(o, "   → go to step {n}");
        }
        for id in &s.contacts {
            if let Some(c) = rb.contact(id) {
                let _ = writeln!(
                    o,
                    "   call: {} {}",
                    p(&c.name),
                    p(c.phone.as_deref().unwrap_or(""))
                );
            }
        }
    }
    if !rb.contacts.is_empty() {
        let _ = writeln!(o, "\nCONTACTS");
        for c in &rb.contacts {
            let mark = if c.placeholder {
                "  (placeholder: replace before use)"
            } else {
                ""
            };
            let _ = writeln!(o, "  {}{mark}", p(&c.name));
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

/// Runs `log`.
pub fn log(ctx: &Context, args: LogArgs) -> anyhow::Result<ExitCode> {
    let library = ctx.library()?;
    let (files, _) = library.discover();
    let file = files
        .iter()
        .find(|f| f.id == args.id)
        .ok_or_else(|| anyhow!("no runbook with id `{}` (try `grabbag list`)", args.id))?;
    let history = library.history(&file.path)?;
    if args.json {
        print_json(&history)?;
        return Ok(ExitCode::SUCCESS);
    }
    for h in &history {
        let trust = match &h.trust {
            Trust::Trusted { signer } => format!("signed by {}", printable_line(signer)),
            Trust::Untrusted { reason } => format!("UNTRUSTED: {}", printable_line(reason)),
            Trust::NotChecked => "trust not checked".to_owned(),
        };
        println!(
            "{}  {}  {}",
            &h.commit[..12.min(h.commit.len())],
            h.date,
            printable_line(&h.summary)
        );
        println!("              {}  ·  {trust}", printable_line(&h.author));
    }
    if history.is_empty() {
        println!("{} has no committed history yet", file.path.display());
    }
    Ok(ExitCode::SUCCESS)
}
