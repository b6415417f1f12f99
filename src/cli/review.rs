//! `grabbag review JOURNAL...`: the read-only review screen (see
//! `crate::tui::review`) on one or more journals or merged timelines, with
//! each runbook version followed compared with the library's HEAD when a
//! library is configured (see `journal::read_timeline`). Nothing is written.

use std::path::PathBuf;
use std::process::ExitCode;

use super::Context;
use super::journal::{Checks, read_timeline};
use super::run::LookArgs;
use crate::tui::review::{self, Review};

/// Arguments of `review`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Journals or merged timelines; several show on one merged timeline.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Witness codes and signers, checked in the banner.
    #[command(flatten)]
    pub checks: Checks,
    /// Look.
    #[command(flatten)]
    pub look: LookArgs,
}

/// Runs `review`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let timeline = read_timeline(ctx, &args.files, args.checks)?;
    let ok = timeline.ok();
    review::run(Review::new(timeline, args.look.look(ctx.theme)))?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
