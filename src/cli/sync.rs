//! `grabbag sync SOURCE`: fast-forward the library from removable media.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{Context, print_json};
use crate::journal::store::journals_in;
use crate::library::JOURNALS_DIR;
use crate::library::sync::{SyncError, SyncOptions};
use crate::library::trust::Trust;
use crate::text::printable_line;

/// Arguments of `sync`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A bare git repository (e.g. on a USB stick) or a file made by `git bundle create`.
    pub source: PathBuf,
    /// Refuse unless every new commit is signed by an allowed signer.
    #[arg(long)]
    pub require_signed: bool,
    /// The branch to take from SOURCE (default: the library's current branch).
    #[arg(long)]
    pub branch: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `sync`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let library = ctx.library()?;
    let readers = library.recipients().map(|r| r.keys()).ok();
    let options = SyncOptions {
        require_signed: args.require_signed,
        branch: args.branch,
    };
    let report = match library.sync(&args.source, &options) {
        Ok(report) => report,
        // An untrusted update is a verification finding (exit 1), not a
        // usage or environment problem.
        Err(
            e @ (SyncError::Untrusted { .. }
            | SyncError::AnchorReplaced { .. }
            | SyncError::SideBranch { .. }),
        ) => {
            eprintln!("error: {}", printable_line(&e.to_string()));
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    if report.recovered {
        eprintln!(
            "note: an earlier sync was interrupted; the files it had changed were put back before this one"
        );
    }
    if args.json {
        print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    if report.up_to_date {
        outln!(
            "Already up to date at {}.",
            &report.to[..12.min(report.to.len())]
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "Fast-forwarded {} → {}",
        report
            .from
            .as_deref()
            .map_or("(empty)", |f| &f[..12.min(f.len())]),
        &report.to[..12.min(report.to.len())]
    )?;
    for (label, ids) in [
        ("added", &report.added),
        ("changed", &report.changed),
        ("removed", &report.removed),
    ] {
        for id in ids {
            outln!("  {label:<8} {}", printable_line(id))?;
        }
    }
    if let Some(anchor) = &report.trust_anchor_set_by {
        outln!(
            "NOTE: the library had no allowed signers; commit {} brings .grabbag/allowed_signers and is now its trust anchor (check its keys: nothing vouched for them)",
            &anchor[..12.min(anchor.len())]
        )?;
    }
    if !report.untrusted_commits.is_empty() {
        outln!(
            "WARNING: {} of {} new commit(s) are UNTRUSTED:",
            report.untrusted_commits.len(),
            report.new_commits
        )?;
        for c in &report.untrusted_commits {
            outln!(
                "  {}  {}\n            {}",
                &c.id[..12.min(c.id.len())],
                printable_line(&c.summary),
                printable_line(&c.reason)
            )?;
        }
    }
    for path in &report.kept_journals {
        outln!(
            "  kept     {} (removed in SOURCE, but a journal being written here is never deleted: it stays, untracked)",
            printable_line(path)
        )?;
    }
    // Readers that arrive by sync cannot open this laptop's live journals
    // until a rekey here gives them their keys (docs/journal-format.md,
    // "Readers added later").
    if library.recipients().map(|r| r.keys()).ok() != readers
        && !journals_in(&library.root().join(JOURNALS_DIR)).is_empty()
    {
        outln!(
            "NOTE: .grabbag/recipients changed: run `grabbag rekey` here so that everyone it lists can read this laptop's live journals too."
        )?;
    }
    match &report.tip_trust {
        Trust::Trusted { signer } => outln!("New tip signed by {}.", printable_line(signer))?,
        Trust::Untrusted { reason } => outln!(
            "WARNING: the new tip is UNTRUSTED: {}",
            printable_line(reason)
        )?,
        Trust::NotChecked => {
            outln!("Trust not checked: the library has no .grabbag/allowed_signers.")?
        }
    }
    Ok(ExitCode::SUCCESS)
}
