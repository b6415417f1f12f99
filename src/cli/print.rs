//! `grabbag print`: the paper pack (see `crate::report::pack`), for the day
//! the laptop is gone too. Prints the runbooks named (or `--all`) as one
//! HTML page for A4 or as plain text, to a file or standard output.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail};

use super::{Context, today};
use crate::library::LoadedRunbook;
use crate::report::pack;
use crate::text::printable_line;

/// Pack formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PackFormat {
    /// One HTML page, print-ready on A4 (print it, or save it as PDF).
    Html,
    /// Plain text, a form feed between runbooks.
    Txt,
}

/// Arguments of `print`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Runbook ids, in the order to print them.
    pub ids: Vec<String>,
    /// Every runbook in the library, by id.
    #[arg(long, conflicts_with = "ids")]
    pub all: bool,
    /// The format.
    #[arg(long, value_enum, default_value = "html")]
    pub format: PackFormat,
    /// Write here instead of standard output.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Replace OUT if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Runs `print`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    if args.ids.is_empty() && !args.all {
        bail!("name the runbooks to print (see `grabbag list`), or pass --all");
    }
    let (library, report) = ctx.load(false)?;
    super::list::report_failures(&report);
    let chosen: Vec<&LoadedRunbook> = if args.all {
        report.runbooks.iter().collect()
    } else {
        args.ids
            .iter()
            .map(|id| {
                report.get(id).ok_or_else(|| {
                    anyhow!(
                        "no runbook with id `{}` (try `grabbag list`)",
                        printable_line(id)
                    )
                })
            })
            .collect::<anyhow::Result<_>>()?
    };
    if chosen.is_empty() {
        bail!("the library has no runbook that loads: nothing to print");
    }
    let name = library.root().display().to_string();
    let text = match args.format {
        PackFormat::Html => pack::html(&chosen, &name, today()),
        PackFormat::Txt => pack::text(&chosen, &name, today()),
    };
    super::write_output(args.output.as_deref(), text.as_bytes(), args.force)?;
    if let Some(out) = &args.output {
        eprintln!(
            "Wrote {}: {} runbook(s) with decision-log sheets; it holds them DECRYPTED, keep it as safe as the paper.",
            printable_line(&out.display().to_string()),
            chosen.len()
        );
    }
    Ok(if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
