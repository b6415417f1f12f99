//! `grabbag note JOURNAL TEXT`: append a note from a script or a second
//! terminal, even while a TUI has the journal open (the append waits briefly
//! for the lock; the other process picks the entry up). A path with no journal
//! yet starts one.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use super::Context;
use crate::journal::{Event, Journal, JournalError, NewJournal};

/// Said first on every failure: a responder must know the note is not in the log.
const NOT_RECORDED: &str = "the note was NOT recorded";

/// Arguments of `note`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The journal file (created if missing).
    pub journal: PathBuf,
    /// The note.
    pub text: String,
    /// Who is writing (default: --actor-name, GRABBAG_ACTOR_NAME, the config file, the last session, then the login name).
    #[arg(long)]
    pub actor: Option<String>,
    /// Their role (default: --actor-role, GRABBAG_ACTOR_ROLE, the config file, the last session, then `responder`).
    #[arg(long)]
    pub role: Option<String>,
    /// When it happened, if not now (RFC 3339, e.g. 2026-11-29T09:15:00Z).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Create the journal unencrypted (an explicit choice, recorded in its first entry).
    #[arg(long)]
    pub plaintext: bool,
    /// The incident's name, for a new journal.
    #[arg(long)]
    pub incident: Option<String>,
}

/// Runs `note`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let actor = ctx.actor(args.actor, args.role);
    let happened_at = match &args.at {
        Some(text) => Some(
            chrono::DateTime::parse_from_rfc3339(text)
                .with_context(|| {
                    format!("--at {text:?} is not an RFC 3339 time such as 2026-11-29T09:15:00Z")
                })?
                .to_rfc3339(),
        ),
        None => None,
    };
    if let Ok(root) = ctx.library_path() {
        // A journal inside the library must not be reached through a linked
        // folder (a synced `journals` link to a folder in the user's home).
        let absolute =
            |p: &std::path::Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
        crate::fsutil::check_no_links_below(&absolute(root), &absolute(&args.journal))
            .context(NOT_RECORDED)?;
    }
    let open = || -> anyhow::Result<Journal> {
        let (mut journal, _, quarantined) =
            Journal::open(&args.journal, ctx.identities_if_any()?).context(NOT_RECORDED)?;
        if let Some(q) = quarantined {
            eprintln!(
                "warning: a torn tail of {} bytes at byte {} was moved to {}",
                q.torn.len,
                q.torn.offset,
                q.moved_to.display()
            );
        }
        journal.one_shot();
        Ok(journal)
    };
    // `symlink_metadata`, not `exists`: a dangling link is there too, and
    // opening it is refused by name.
    let mut journal = if std::fs::symlink_metadata(&args.journal).is_ok() {
        open()?
    } else {
        let recipients = if args.plaintext {
            None
        } else {
            match ctx.library() {
                Ok(library) => Some(library.recipients()?),
                Err(_) => bail!(
                    "{} does not exist and no library is set to encrypt a new journal to: pass --library DIR, or --plaintext to choose an unencrypted journal",
                    args.journal.display()
                ),
            }
        };
        let new = NewJournal {
            recipients: recipients.as_ref(),
            library: ctx.library_path().ok().map(|p| p.display().to_string()),
            incident: args.incident.clone(),
            exercise: None,
        };
        match Journal::create(&args.journal, &new, &actor) {
            Ok(journal) => journal,
            // Another writer created it since we looked: append to theirs.
            Err(JournalError::Exists(_)) => open()?,
            Err(e) => return Err(e).context(NOT_RECORDED),
        }
    };
    let entry = journal
        .append(
            &actor,
            Event::Note {
                text: args.text,
                happened_at,
            },
            None,
        )
        .context(NOT_RECORDED)?;
    // The entry is on disk: a script that retries on this error would
    // record it twice, so the error says so.
    outln!("seq {} witness {}", entry.seq, entry.witness()).with_context(|| {
        format!(
            "the note WAS recorded as seq {} (witness {}) in {}: do not record it again",
            entry.seq,
            entry.witness(),
            args.journal.display()
        )
    })?;
    Ok(ExitCode::SUCCESS)
}
