//! `grabbag note JOURNAL TEXT`: append a note from a script or a second
//! terminal, even while a TUI has the journal open (the append waits briefly
//! for the lock; the other process picks the entry up). A path with no journal
//! yet starts one. It goes through the session like every action (so during
//! an exercise it is stamped on the exercise clock); [`open_session`] is
//! shared with `grabbag act`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use super::Context;
use crate::journal::{Actor, JournalError, NewJournal};
use crate::response::Command;
use crate::runbook::Runbook;
use crate::session::{Session, SessionError};

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
        Some(text) => Some(chrono::DateTime::parse_from_rfc3339(text).with_context(|| {
            format!("--at {text:?} is not an RFC 3339 time such as 2026-11-29T09:15:00Z")
        })?),
        None => None,
    };
    let create = Create {
        plaintext: args.plaintext,
        incident: args.incident,
    };
    let mut session = open_session(ctx, &args.journal, &create, &actor, Opening::NotesOnly)
        .context(NOT_RECORDED)?;
    let command = Command::Note {
        text: args.text,
        happened_at,
    };
    let entries = match session.execute(&actor, &command, chrono::Utc::now()) {
        Ok(entries) => entries,
        Err(SessionError::Refused(reason)) => {
            eprintln!("{NOT_RECORDED}: {reason}");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e).context(NOT_RECORDED),
    };
    let Some(entry) = entries.last() else {
        bail!("{NOT_RECORDED}: nothing was written");
    };
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

/// Refuses a journal that `journal pull` stored in `journals/received/`:
/// only its sender writes it.
pub(super) fn refuse_received(
    root: &std::path::Path,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    if crate::library::exchange::is_received(root, path) {
        bail!(
            "{} was received from another laptop by `grabbag journal pull`: only its sender writes it, so it is never resumed or appended to here; write your own journal (e.g. journals/<date>-<incident>.jsonl)",
            path.display()
        );
    }
    Ok(())
}

/// How a journal that does not exist yet is started.
pub(super) struct Create {
    /// Unencrypted, by explicit choice.
    pub plaintext: bool,
    /// The incident's name.
    pub incident: Option<String>,
}

/// What a one-shot writer opens an existing journal for.
pub(super) enum Opening {
    /// Notes only: the tail and the clocks are read, not the whole journal
    /// ([`Session::open_for_notes`]).
    NotesOnly,
    /// Any command, judged against these runbooks on the full fold.
    Full(Vec<Runbook>),
}

/// The session a one-shot writer (`note`, `act`) appends through: the
/// journal at `path` opened (a torn tail moved aside, with a warning), or,
/// when there is none, started as `create` says, encrypted to the library's
/// recipients unless `--plaintext`. A journal inside the library is never
/// reached through a linked folder.
pub(super) fn open_session(
    ctx: &Context,
    path: &std::path::Path,
    create: &Create,
    actor: &Actor,
    opening: Opening,
) -> anyhow::Result<Session> {
    if let Ok(root) = ctx.library_path() {
        refuse_received(root, path)?;
        // A synced `journals` link to a folder in the user's home must not
        // be written through.
        let absolute =
            |p: &std::path::Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
        crate::fsutil::check_no_links_below(&absolute(root), &absolute(path))?;
    }
    let open = |opening: Opening| -> anyhow::Result<Session> {
        let identities = ctx.identities_if_any()?;
        let (mut session, quarantined) = match opening {
            Opening::NotesOnly => Session::open_for_notes(path, identities)?,
            Opening::Full(runbooks) => Session::open(path, identities, runbooks)?,
        };
        if let Some(q) = quarantined {
            eprintln!(
                "warning: a torn tail of {} bytes at byte {} was moved to {}",
                q.torn.len,
                q.torn.offset,
                q.moved_to.display()
            );
        }
        session.one_shot();
        // Already on disk: not news to a one-shot writer.
        session.take_unseen();
        Ok(session)
    };
    // `symlink_metadata`, not `exists`: a dangling link is there too, and
    // opening it is refused by name.
    if std::fs::symlink_metadata(path).is_ok() {
        return open(opening);
    }
    let recipients = if create.plaintext {
        None
    } else {
        match ctx.library() {
            Ok(library) => Some(library.recipients()?),
            Err(_) => bail!(
                "{} does not exist and no library is set to encrypt a new journal to: pass --library DIR, or --plaintext to choose an unencrypted journal",
                path.display()
            ),
        }
    };
    let new = NewJournal {
        recipients: recipients.as_ref(),
        library: ctx.library_path().ok().map(|p| p.display().to_string()),
        incident: create.incident.clone(),
        exercise: None,
    };
    let runbooks = match &opening {
        Opening::Full(runbooks) => runbooks.clone(),
        Opening::NotesOnly => Vec::new(),
    };
    match Session::start(path, &new, actor, runbooks) {
        Ok(mut session) => {
            session.take_unseen();
            Ok(session)
        }
        // Another writer created it since we looked: append to theirs.
        Err(JournalError::Exists(_)) => open(opening),
        Err(e) => Err(e.into()),
    }
}
