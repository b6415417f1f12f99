//! `grabbag cases JOURNAL [--runbook R] [--format csv|json|md] [-o FILE]`:
//! every case a response handled on paper, one row each with its fields and
//! clock outcomes, for keying back into the line-of-business system.
//! Read-only, like `status`.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;

use super::Context;
use crate::report::cases;

/// Arguments of `cases`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The journal file.
    pub journal: PathBuf,
    /// Only the cases of this runbook.
    #[arg(long)]
    pub runbook: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// How the cases are written.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// RFC 4180 CSV for a spreadsheet (formula-led cells neutralised).
    Csv,
    /// JSON for tools.
    Json,
    /// A Markdown table.
    Md,
}

/// Runs `cases`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let (state, _) = crate::session::read_folded(
        &args.journal,
        ctx.identities_if_any()?,
        super::fold_cache().as_ref(),
    )?;
    let now = Utc::now();
    let register = crate::response::cases::register(&state, args.runbook.as_deref(), now);
    let rows = cases::rows(&register, now);
    let text = match args.format {
        Format::Csv => cases::to_csv(&rows),
        Format::Md => cases::to_markdown(&rows),
        Format::Json => format!(
            "{}\n",
            crate::text::json_safe(&serde_json::to_string_pretty(&rows)?)
        ),
    };
    super::write_output(args.output.as_deref(), text.as_bytes(), args.force)?;
    if let Some(out) = &args.output {
        // An encrypted journal's case fields are now in the file in clear.
        super::say_written(out, &format!("{} cases", rows.len()), !state.plaintext);
    }
    Ok(ExitCode::SUCCESS)
}
