//! `grabbag review JOURNAL...`: the read-only review screen (see
//! `crate::tui::review`) on one or more journals or merged timelines, with
//! each runbook version followed compared with the library's HEAD when a
//! library is configured. Nothing is written.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;

use super::Context;
use super::journal::{parse_witness_arg, read_timeline};
use super::run::LookArgs;
use crate::report::diff;
use crate::tui::review::{self, Review};

/// Arguments of `review`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Journals or merged timelines; several show on one merged timeline.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// A witness code from the paper log (e.g. 12:ABCDE-FGHJK), checked in the banner. Repeatable; one FILE only.
    #[arg(long, value_name = "SEQ:CODE", value_parser = parse_witness_arg)]
    pub witness: Vec<(u64, String)>,
    /// The allowed_signers file that names who may sign (default: the library's).
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
    /// Look.
    #[command(flatten)]
    pub look: LookArgs,
}

/// Runs `review`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    if !args.witness.is_empty() && args.files.len() > 1 {
        bail!("--witness belongs to one journal: review one FILE when giving witness codes");
    }
    let timeline = read_timeline(
        ctx,
        &args.files,
        args.witness,
        args.allowed_signers.as_deref(),
    )?;
    let diffs = match ctx.library() {
        Ok(library) => diff::against_head(&timeline, &library, ctx.identities_if_any()?),
        Err(_) => Vec::new(),
    };
    let ok = timeline.ok();
    review::run(Review::new(timeline, diffs, args.look.look()))?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
