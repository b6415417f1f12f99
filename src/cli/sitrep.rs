//! `grabbag sitrep [DIR...] [--since TIME] --format md|html [-o FILE]`: the
//! situation report for a Gold briefing or a shift handover, from the same
//! picture as the board (see `report::sitrep`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::Context;
use super::board::Source;
use crate::calendar::Duration;
use crate::report::sitrep;

/// Arguments of `sitrep`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the journals are.
    #[command(flatten)]
    pub source: Source,
    /// List what changed after this time: RFC 3339
    /// (`2026-12-05T08:00:00+00:00`), or a span back from now (`90m`, `12h`).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// How the sitrep is written.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Markdown.
    Md,
    /// A self-contained HTML page that prints on A4.
    Html,
}

/// The time `--since` names, at `now`.
fn since(text: &str, now: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let span = Duration::parse(text)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .and_then(chrono::TimeDelta::try_seconds)
        .with_context(|| {
            format!(
                "--since {}: not an RFC 3339 time (2026-12-05T08:00:00Z) nor a span back from now (90m, 12h)",
                crate::text::printable_line(text)
            )
        })?;
    Ok(now - span)
}

/// Runs `sitrep`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    let since = args.since.as_deref().map(|t| since(t, now)).transpose()?;
    let (board, runbooks) = super::board::open(ctx, args.source)?;
    let picture = board.picture(now, since, Some(&runbooks));
    let text = match args.format {
        Format::Md => sitrep::to_markdown(&picture),
        Format::Html => sitrep::to_html(&picture),
    };
    super::write_output(args.output.as_deref(), text.as_bytes(), args.force)?;
    if let Some(out) = &args.output {
        let decrypted = picture.journals.iter().any(|j| j.merged && j.encrypted);
        super::say_written(out, "sitrep", decrypted);
    }
    Ok(ExitCode::SUCCESS)
}
