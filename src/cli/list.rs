//! `grabbag list`, `show ID` and `log ID`: what is in the library, one
//! runbook as readable text, and its history.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::anyhow;

use super::{Context, print_json, today};
use crate::library::trust::Trust;
use crate::library::{LibraryError, LoadReport, LoadedRunbook};
use crate::text::printable_line;

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

/// Says on stderr which files did not load.
pub(super) fn report_failures(report: &LoadReport) {
    warn_did_not_load(&report.printable_failures());
}

/// Says on stderr which files did not load, once per cause, naming every file
/// it hit (a wrong identity fails them all with the same words).
pub(super) fn warn_did_not_load(causes: &[(String, Vec<String>)]) {
    for (why, files) in causes {
        match files.as_slice() {
            [one] => eprintln!("warning: {one} did not load: {why}"),
            files => {
                eprintln!("warning: {} files did not load: {why}", files.len());
                for file in files {
                    eprintln!("  {file}");
                }
            }
        }
    }
}

/// Runs `list`.
pub fn list(ctx: &Context, args: ListArgs) -> anyhow::Result<ExitCode> {
    let (_, report) = ctx.load(args.require_signed)?;
    if args.json {
        print_json(&report)?;
    } else {
        out!("{}", render_list(&report))?;
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
        out!("{}", crate::report::pack::runbook_text(r, today()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `log`.
pub fn log(ctx: &Context, args: LogArgs) -> anyhow::Result<ExitCode> {
    let library = ctx.library()?;
    let file = library.file_for(&args.id).map_err(|e| match e {
        LibraryError::UnknownRunbook(_) => {
            anyhow!("no runbook with id `{}` (try `grabbag list`)", args.id)
        }
        e => e.into(),
    })?;
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
        outln!(
            "{}  {}  {}",
            &h.commit[..12.min(h.commit.len())],
            h.date,
            printable_line(&h.summary)
        )?;
        outln!("              {}  ·  {trust}", printable_line(&h.author))?;
    }
    if history.is_empty() {
        outln!("{} has no committed history yet", file.path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}
