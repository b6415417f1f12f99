//! `grabbag board [DIR...] [--json] [--incident NAME]`: every responder's
//! journal of one incident in one live picture (the board screen), or that
//! picture once as JSON (its shape is in `docs/board.md`; exit 1 when a
//! journal found fails verification, as `journal verify`).
//!
//! With no DIR it reads the library's `journals/` folder, recursively: the
//! laptop's own live journals at the top, the ones `journal pull` received
//! below. Read-only: nothing is locked or written, so it runs on a share
//! others are writing to.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;

use super::Context;
use crate::board::{Board, Integrity};
use crate::library::JOURNALS_DIR;
use crate::runbook::Runbook;

/// Arguments of `board`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the journals are.
    #[command(flatten)]
    pub source: Source,
    /// Print the picture once as JSON for tools, instead of the live board.
    #[arg(long)]
    pub json: bool,
    /// Look.
    #[command(flatten)]
    pub look: super::run::LookArgs,
}

/// Which journals a board or a sitrep reads.
#[derive(Debug, clap::Args)]
pub struct Source {
    /// Folders (searched recursively for `*.jsonl`) or journal files;
    /// default: the library's `journals/` folder.
    pub dirs: Vec<PathBuf>,
    /// The incident to show, by the name its journals carry (default: the
    /// one written to last).
    #[arg(long)]
    pub incident: Option<String>,
}

/// A board over the journals `source` names, read once, and the library's
/// runbooks when a library is set (for step titles and open decisions).
pub(super) fn open(ctx: &Context, source: Source) -> anyhow::Result<(Board, Vec<Runbook>)> {
    let roots = if source.dirs.is_empty() {
        vec![ctx.library_path()?.join(JOURNALS_DIR)]
    } else {
        source.dirs
    };
    // A mistyped folder is a usage error, not an empty board.
    if let Some(missing) = roots
        .iter()
        .find(|root| std::fs::symlink_metadata(root).is_err())
    {
        anyhow::bail!(
            "{} does not exist: name a folder of journals or a journal file",
            crate::text::printable_line(&missing.display().to_string())
        );
    }
    let runbooks = match ctx.library_path() {
        Ok(_) => match ctx.load(false) {
            Ok((_, report)) => report.runbooks.into_iter().map(|l| l.runbook).collect(),
            Err(e) => {
                eprintln!(
                    "note: the library's runbooks were not loaded ({}): steps show by id and open decisions are not known",
                    crate::text::printable_line(&format!("{e:#}"))
                );
                Vec::new()
            }
        },
        Err(_) => Vec::new(),
    };
    let mut board = Board::new(roots).with_incident(source.incident);
    board.refresh(ctx.identities_if_any()?);
    Ok((board, runbooks))
}

/// Runs `board`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let (board, runbooks) = open(ctx, args.source)?;
    if args.json {
        let picture = board.picture(Utc::now(), None, Some(&runbooks));
        super::print_json(&picture)?;
        // As `journal verify`: a journal that fails verification is a finding.
        let failing = picture
            .journals
            .iter()
            .any(|j| matches!(j.integrity, Integrity::Failing { .. }));
        return Ok(if failing {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    crate::tui::board::run(
        board,
        ctx.identities_if_any()?,
        runbooks,
        args.look.look(ctx.theme),
    )
}
