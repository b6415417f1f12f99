//! `grabbag replay JOURNAL`: the run and exercise screens driven by a
//! recorded journal, read-only (see `crate::tui::replay`). The runbooks are
//! the library's as loaded now; `grabbag review` shows how the versions
//! followed differ from them.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;

use super::Context;
use super::exercise::{RunArgs, find_exercise, read_run};
use super::run::{LookArgs, setup};
use crate::text::printable_line;
use crate::tui::{self, replay::Replay};

/// Arguments of `replay`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The journal (a response or an exercise run).
    pub journal: PathBuf,
    /// Replay speed: 1 (as it happened) to 600.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=600))]
    pub speed: u32,
    /// Look.
    #[command(flatten)]
    pub look: LookArgs,
}

/// Runs `replay`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let (entries, state) = read_run(ctx, &args.journal)?;
    if entries.is_empty() {
        bail!("{}: no entries to replay", args.journal.display());
    }
    let (library, report) = ctx.load(false)?;
    let ids = ctx.identities_if_any()?;
    // The definition only adds "what comes next" to the inject feed: a
    // replay without it still shows everything the journal holds.
    let exercise = find_exercise(
        ctx,
        &RunArgs {
            journal: args.journal.clone(),
            exercise: None,
        },
        &state,
    )
    .ok()
    .map(|(_, e)| e);
    // The replay folds its own checkpoints: this whole-journal state would
    // only sit beside them for as long as the screen is open.
    drop(state);
    let name = args
        .journal
        .file_name()
        .map(|n| printable_line(&n.to_string_lossy()).into_owned())
        .unwrap_or_default();
    let setup = setup(ctx, &library, report, ids, &args.look);
    let replay = Replay::new(entries, args.speed, exercise, name);
    let outcome = tui::run(setup, None, |app| app.start_replay(replay))?;
    Ok(super::run::left(&outcome))
}
