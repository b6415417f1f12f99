//! `grabbag audit`: one report on the library (see `crate::report::audit`):
//! reviews overdue, unsigned, dirty or unencrypted runbooks, exercises not
//! run in a year, runbooks never exercised, and every journal's verification.
//! Text for a terminal, `--json` for tools, `--html` for filing. Exit code 1
//! when there are findings, as `lint` does.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{Context, today, write_output};
use crate::report::audit::Audit;

/// Arguments of `audit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON for tools.
    #[arg(long, conflicts_with = "html")]
    pub json: bool,
    /// Write one HTML page (print-ready on A4).
    #[arg(long)]
    pub html: bool,
    /// Write here instead of standard output.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Replace OUT if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Runs `audit`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let (library, report) = ctx.load(false)?;
    let signers = library.allowed_signers()?;
    let audit = Audit::gather(
        &library,
        &report,
        signers.as_ref(),
        ctx.identities_if_any()?,
        today(),
    );
    let text = if args.json {
        // Runbook titles and file names are untrusted: escaped to be inert.
        crate::text::json_safe(&serde_json::to_string_pretty(&audit)?).into_owned() + "\n"
    } else if args.html {
        audit.html()
    } else {
        audit.text()
    };
    write_output(args.output.as_deref(), text.as_bytes(), args.force)?;
    Ok(if audit.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
