//! `grabbag journal push|pull [REMOTE]`: journals travel between laptops
//! through a remote the library already uses, with no server
//! (docs/journal-exchange.md). Exit codes: 0 done, 1 a journal was refused
//! (by name, mode, size, verification or the fast-forward rule), 2 usage or
//! environment errors.

use std::process::ExitCode;

use super::{Context, print_json};
use crate::library::exchange::{self, Arrival, Refusal};
use crate::text::printable_line;

/// Arguments of `journal push`.
#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// A git repository on a path (a USB stick), a URL (ssh://, user@host:path, file://) or a remote name; default: the library's `origin`.
    pub remote: Option<String>,
    /// This laptop's sender name (lowercase letters, digits, - and _), remembered in the library's .git/config; default: the remembered one, else made from the machine's name.
    #[arg(long)]
    pub sender: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `journal pull` (the same as push's).
pub type PullArgs = PushArgs;

/// Prints refusals on standard error.
fn print_refused(refused: &[Refusal]) {
    for r in refused {
        let at = if r.file.is_empty() {
            r.sender.clone()
        } else {
            format!("{}/{}", r.sender, r.file)
        };
        eprintln!(
            "refused: {}: {}",
            printable_line(&at),
            printable_line(&r.reason)
        );
    }
}

fn exit(refused: &[Refusal]) -> ExitCode {
    if refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Runs `journal push`.
pub fn push(ctx: &Context, args: PushArgs) -> anyhow::Result<ExitCode> {
    let library = ctx.library()?;
    let remote = exchange::resolve_remote(&library, args.remote.as_deref())?;
    let sender = exchange::sender(&library, args.sender.as_deref())?;
    let report = exchange::push(&library, &remote, &sender)?;
    if args.json {
        print_json(&report)?;
        print_refused(&report.refused);
        return Ok(exit(&report.refused));
    }
    let to = printable_line(&report.remote).into_owned();
    if !report.refused.is_empty() {
        print_refused(&report.refused);
        eprintln!(
            "error: nothing was pushed to {to}: every journal must verify and extend what the remote holds"
        );
        return Ok(exit(&report.refused));
    }
    if report.up_to_date {
        outln!("{to} already holds this laptop's journals as they are (sender {sender}).")?;
    } else if let Some(commit) = &report.commit {
        outln!(
            "Pushed {} journal(s) as sender {sender} to {to} (commit {}):",
            report.sent.len(),
            &commit[..12.min(commit.len())]
        )?;
    }
    for sent in &report.sent {
        let grew = sent.bytes.saturating_sub(sent.remote_had);
        outln!(
            "  {}: {} entries, head {}{}{}",
            printable_line(&sent.file),
            sent.entries,
            sent.head.as_deref().unwrap_or("?"),
            if sent.signed { ", signed" } else { "" },
            match (sent.remote_had, grew) {
                (0, _) => ", new".to_owned(),
                (_, 0) => ", unchanged".to_owned(),
                (_, n) => format!(", {n} new bytes"),
            }
        )?;
        if sent.held_back > 0 {
            outln!(
                "    held back {} bytes of a last entry still being written: it travels with the next push",
                sent.held_back
            )?;
        }
    }
    for kept in &report.kept {
        outln!(
            "  {}: kept on the remote (no longer on this laptop; a journal that travelled is never deleted)",
            printable_line(kept)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `journal pull`.
pub fn pull(ctx: &Context, args: PullArgs) -> anyhow::Result<ExitCode> {
    let library = ctx.library()?;
    let remote = exchange::resolve_remote(&library, args.remote.as_deref())?;
    let sender = exchange::sender(&library, args.sender.as_deref())?;
    let report = exchange::pull(&library, &remote, &sender)?;
    if args.json {
        print_json(&report)?;
        print_refused(&report.refused);
        return Ok(exit(&report.refused));
    }
    outln!(
        "Pulled from {} (this laptop is sender {sender}; its own journals are not pulled):",
        printable_line(&report.remote)
    )?;
    if report.received.is_empty() && report.refused.is_empty() {
        outln!("  no journals from other senders")?;
    }
    for r in &report.received {
        let what = match r.arrival {
            Arrival::New => "new      ",
            Arrival::Grew => "grew     ",
            Arrival::Unchanged => "unchanged",
            Arrival::Behind => "BEHIND   ",
        };
        outln!(
            "  {what} {}: {} entries, head {}{}",
            printable_line(&r.stored),
            r.entries,
            r.head.as_deref().unwrap_or("?"),
            r.signature
                .as_deref()
                .map_or_else(String::new, |s| format!(", signature {s}"))
        )?;
        if r.arrival == Arrival::Behind {
            outln!(
                "            the remote holds less of it than was received before: the copy here is kept"
            )?;
        }
    }
    print_refused(&report.refused);
    if !report.refused.is_empty() {
        eprintln!(
            "error: {} journal(s) or file(s) refused: none of them was stored where the board reads",
            report.refused.len()
        );
    }
    Ok(exit(&report.refused))
}
