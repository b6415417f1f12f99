//! `grabbag replay JOURNAL`: the run and exercise screens driven by a
//! recorded journal, read-only (see `crate::tui::replay`). The runbooks are
//! the library's as loaded now; `grabbag review` shows how the versions
//! followed differ from them.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use super::Context;
use super::exercise::{RunArgs, find_exercise, readable};
use super::run::{LookArgs, setup};
use crate::journal::{Journal, STEP_BYTES};
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
    let ids = ctx.identities_if_any()?;
    // The first part now, for the first screen; the rest is read a step at a
    // time while the screen shows (`Replay::read_step`), and a problem found
    // there ends the replay with its error.
    let mut reading = Journal::read_in_steps(&args.journal)
        .with_context(|| format!("reading {}", args.journal.display()))?;
    let entries = reading
        .step(ids, STEP_BYTES)
        .with_context(|| format!("reading {}", args.journal.display()))?;
    let state = readable(&args.journal, entries.as_slice())?;
    if entries.is_empty() {
        bail!("{}: no entries to replay", args.journal.display());
    }
    let (library, report) = ctx.load(false)?;
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
    // The replay folds its own checkpoints: this state would only sit
    // beside them for as long as the screen is open.
    drop(state);
    let name = args
        .journal
        .file_name()
        .map(|n| printable_line(&n.to_string_lossy()).into_owned())
        .unwrap_or_default();
    let setup = setup(ctx, &library, report, ids, &args.look);
    let replay = Replay::new(entries, args.speed, exercise, name).reading(reading);
    let outcome = tui::run(setup, None, |app| app.start_replay(replay))?;
    Ok(super::run::left(&outcome))
}
