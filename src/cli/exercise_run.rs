//! `grabbag exercise run ID`: plays an exercise in the terminal interface,
//! facilitator and players on one screen (see `crate::tui::exercise`).
//!
//! The exercise is taken from the library's `exercises/` folder and checked
//! against the runbooks as loaded now before anything is written: an
//! exercise whose expectations name a step that no longer exists would be
//! scored against nothing, so it is refused with the lint's findings.

use std::path::Path;
use std::process::ExitCode;

use anyhow::anyhow;

use super::Context;
use super::run::{LookArgs, setup};
use crate::diagnostic::Diagnostic;
use crate::exercise::files::{self, EXERCISES_DIR};
use crate::exercise::{self, Speed};
use crate::library;
use crate::runbook::Runbook;
use crate::text::printable_line;
use crate::tui;

/// Arguments of `exercise run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The exercise's id (as `grabbag exercise lint` shows them).
    pub id: String,
    /// How fast exercise time runs: 1 (real time) to 60.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=60), conflicts_with = "manual")]
    pub speed: u32,
    /// Exercise time moves only when the facilitator fires the next inject.
    #[arg(long)]
    pub manual: bool,
    /// Write a plaintext journal even when the library has recipients (an
    /// exercise journal holds no real incident data).
    #[arg(long)]
    pub plaintext: bool,
    /// Look.
    #[command(flatten)]
    pub look: LookArgs,
}

/// Runs `exercise run`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let (library, report) = ctx.load(false)?;
    let ids = ctx.identities_if_any()?;
    let dir = library::inside(library.root(), Path::new(EXERCISES_DIR))?;
    let found = files::find(std::slice::from_ref(&dir), &args.id, ids).ok_or_else(|| {
        let known: Vec<String> = files::discover(&dir, ids)
            .0
            .iter()
            .map(|f| printable_line(&f.file.id).into_owned())
            .collect();
        let no_identity = if ids.is_none() {
            "; encrypted exercises are read only with an identity (--identity or GRABBAG_IDENTITY)"
        } else {
            ""
        };
        anyhow!(
            "exercise `{}` is not in {} (there: {}){no_identity}",
            printable_line(&args.id),
            dir.display(),
            if known.is_empty() {
                "none readable".to_owned()
            } else {
                known.join(", ")
            }
        )
    })?;
    let runbooks: Vec<&Runbook> = report.runbooks.iter().map(|r| &r.runbook).collect();
    let checked = exercise::check(&found.shown, &found.text, &found.file.id, Some(&runbooks));
    let Some(definition) = checked.exercise else {
        for d in checked.diagnostics.iter().filter(|d| d.is_error()) {
            eprintln!("{}", Diagnostic::render(d));
        }
        eprintln!(
            "{}: not played: fix the exercise or the runbooks it names first",
            found.shown
        );
        return Ok(ExitCode::from(1));
    };
    let speed = Speed::new(args.speed)?;
    let mut setup = setup(ctx, &library, report, ids, &args.look);
    if args.plaintext {
        setup.recipients = None;
    }
    // The facilitator signs in under the exercise's facilitator role (the
    // screen does it); only the name comes from the last session.
    let name = match setup.last.name.trim() {
        "" => "Facilitator".to_owned(),
        name => name.to_owned(),
    };
    let text = found.text;
    let outcome = tui::run(setup, None, |app| {
        app.start_exercise(definition, &text, speed, args.manual, &name);
    })?;
    Ok(super::run::left(&outcome))
}
