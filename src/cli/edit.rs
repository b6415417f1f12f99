//! `grabbag edit ID`: edit an encrypted runbook without leaving plaintext behind.
//!
//! The runbook is decrypted in memory and written only into a private scratch
//! folder (RAM-backed where possible) for the editor; the scratch is wiped when
//! this function returns, whichever way it returns. While the editor runs,
//! Ctrl-C, SIGTERM and SIGHUP are caught rather than killing grabbag, so the
//! wipe still happens (the editor, in the foreground, gets them as usual).
//!
//! Text the user saved is never lost: as soon as the editor closes on changed
//! text, it is kept sealed to the library's recipients (see
//! [`Library::keep_edit`](crate::library::Library::keep_edit)) until it is
//! committed, so a hang-up, a refusal or a failure leaves it for the next
//! `edit` to offer. And an edit never lands on a runbook that changed while
//! the editor was open (a sync, another edit): the blob it started from is
//! compared with HEAD's and the working tree's at save time.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, anyhow, bail};

use super::{Context, today};
use crate::crypto::Identities;
use crate::library::{self, Library};
use crate::runbook;
use crate::scratch::Scratch;

/// Arguments of `edit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The runbook id, e.g. `cyber/ransomware`.
    pub id: String,
    /// Open the edit kept from an earlier `edit` that was not saved (a
    /// hang-up, a refusal), rather than the runbook as it is.
    #[arg(long)]
    pub kept: bool,
}

/// Catches terminating signals while it lives, so cleanup code still runs.
struct SignalGuard {
    #[cfg(unix)]
    ids: Vec<signal_hook::SigId>,
    caught: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl SignalGuard {
    fn new() -> Self {
        let caught = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        #[cfg(unix)]
        {
            use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
            let ids = [SIGINT, SIGTERM, SIGHUP]
                .into_iter()
                .filter_map(|s| signal_hook::flag::register(s, caught.clone()).ok())
                .collect();
            Self { ids, caught }
        }
        #[cfg(not(unix))]
        Self { caught }
    }

    fn caught(&self) -> bool {
        self.caught.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        #[cfg(unix)]
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// The editor command: `$VISUAL`, `$EDITOR`, or a platform default.
fn editor() -> Vec<String> {
    let configured = std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|v| !v.trim().is_empty())
        });
    match configured {
        Some(cmd) => cmd.split_whitespace().map(str::to_owned).collect(),
        None if cfg!(windows) => vec!["notepad".to_owned()],
        None => vec!["vi".to_owned()],
    }
}

fn ask_reopen() -> bool {
    ask("Reopen the editor to fix them? [Y/n] ")
}

/// Asks a yes/no question on the terminal (yes by default); no terminal, no.
fn ask(question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    !answer.trim().eq_ignore_ascii_case("n")
}

/// Which version of a runbook file an edit started from: the blob on disk
/// and the blob at HEAD.
#[derive(Debug, PartialEq, Eq)]
struct Base {
    on_disk: Option<git2::Oid>,
    head: Option<String>,
}

impl Base {
    fn of(library: &Library, path: &Path) -> anyhow::Result<Self> {
        let full = crate::library::inside(library.root(), path)?;
        Ok(Self {
            on_disk: git2::Oid::hash_file(git2::ObjectType::Blob, &full).ok(),
            head: library.head_blob(path)?,
        })
    }
}

/// The error when a saved edit could not be kept sealed (a full disk, say).
/// Where the scratch folder is in memory, the text is left there rather than
/// lost; elsewhere it must not stay on a disk, and is wiped.
fn unkept(scratch: Scratch, path: &Path, e: anyhow::Error) -> anyhow::Error {
    if scratch.ram_backed() {
        scratch.leave();
        anyhow!(
            "your edit could not be kept sealed ({e:#}): it is left, owner-only and in memory, at {}. Copy what you need now: the next `grabbag edit` wipes it",
            path.display()
        )
    } else {
        anyhow!("your edit could not be kept sealed ({e:#}), and was wiped with the scratch folder")
    }
}

/// Keeps sealed what an `edit` killed outright left saved in its scratch
/// folder (after the editor wrote the file, before the edit was kept), so
/// the wipe of that folder loses nothing: unless an edit of that runbook is
/// kept already, or the text is the runbook's as committed.
fn rescue_abandoned(library: &Library, ids: &Identities) -> anyhow::Result<()> {
    for (path, text) in crate::scratch::abandoned_edits(library.root()) {
        if library.kept_edit(&path, ids)?.is_some() {
            continue;
        }
        if let Some(blob) = library.head_blob(&path)?
            && library.blob_text(&blob, Some(ids))?.as_str() == text.as_str()
        {
            continue;
        }
        let at = library.keep_edit(&path, text.as_bytes(), ids)?;
        eprintln!(
            "An edit of {} was saved in the editor, but its `grabbag edit` was stopped before it could keep it: it is kept sealed at {}, and `grabbag edit {} --kept` opens it.",
            path.display(),
            at.display(),
            library::id_for(&path).unwrap_or_default()
        );
    }
    Ok(())
}

/// Runs `edit`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let library = ctx.library()?;
    let ids = ctx.identities()?;
    let (file, original) = library.read_runbook(&args.id, Some(ids))?;
    if !file.encrypted {
        bail!(
            "{} is a plaintext draft: edit it directly, then `grabbag seal` it",
            file.path.display()
        );
    }
    super::seal::warn_if_untrusted(&library, &file.path)?;
    let base = Base::of(&library, &file.path)?;
    rescue_abandoned(&library, ids)?;
    let kept = library.kept_edit(&file.path, ids)?;
    let opened = match &kept {
        Some(k) => {
            let when = k.when.map_or(String::new(), |w| {
                format!(" from {}", w.format("%Y-%m-%d %H:%M"))
            });
            eprintln!(
                "An edit of {}{when} was not saved; it is kept sealed at {}.",
                args.id,
                k.path.display()
            );
            if args.kept || ask("Open it instead of the runbook as it is now? [Y/n] ") {
                eprintln!(
                    "Opening the kept edit: if the runbook changed since (`grabbag log {}`), carry those changes over before saving.",
                    args.id
                );
                k.text.clone()
            } else {
                eprintln!(
                    "Opening the runbook as it is; the kept edit stays (open it with `grabbag edit {} --kept`, or delete the file).",
                    args.id
                );
                original.clone()
            }
        }
        None if args.kept => bail!("no kept edit of {}", args.id),
        None => original.clone(),
    };
    let scratch = Scratch::create().context("making a private scratch folder")?;
    if !scratch.ram_backed() {
        eprintln!(
            "warning: no RAM-backed folder found ($XDG_RUNTIME_DIR and /dev/shm are missing or not tmpfs); the plaintext will sit briefly in {} (owner-only) and is wiped afterwards",
            scratch.dir().display()
        );
    }
    let name = file
        .path
        .file_name()
        .map(|n| n.to_string_lossy().replace(".toml.age", ".toml"))
        .unwrap_or_else(|| "runbook.toml".to_owned());
    let path = scratch.write(&name, opened.as_bytes())?;
    scratch.note_origin(library.root(), &file.path, &name)?;
    let command = editor();
    let (program, rest) = command
        .split_first()
        .ok_or_else(|| anyhow!("no editor configured: set EDITOR"))?;
    let guard = SignalGuard::new();
    // Whatever the user saved is kept sealed before anything can go wrong.
    let keep = |text: &str| -> anyhow::Result<String> {
        let at = library.keep_edit(&file.path, text.as_bytes(), ids)?;
        Ok(format!(
            "your edit is kept sealed at {}; `grabbag edit {}` offers it",
            at.display(),
            args.id
        ))
    };
    let edited = loop {
        let status = std::process::Command::new(program)
            .args(rest)
            .arg(&path)
            .status()
            .with_context(|| {
                format!("starting the editor `{program}` (set EDITOR to change it)")
            })?;
        let text = zeroize::Zeroizing::new(std::fs::read_to_string(&path).unwrap_or_default());
        let saved = !text.is_empty() && text.as_str() != opened.as_str();
        if guard.caught() || !status.success() {
            let why = if guard.caught() {
                "interrupted".to_owned()
            } else {
                format!("the editor exited with {status}")
            };
            if saved {
                let note = keep(&text).map_err(|e| unkept(scratch, &path, e))?;
                bail!("{why}: the runbook was not changed; {note}");
            }
            bail!("{why}: nothing was changed");
        }
        if text.as_str() == original.as_str() {
            outln!("No changes.")?;
            return Ok(ExitCode::SUCCESS);
        }
        let note = match keep(&text) {
            Ok(note) => note,
            Err(e) => return Err(unkept(scratch, &path, e)),
        };
        let shown = format!("{} (edited)", file.path.display());
        let checked = runbook::check(&shown, &text, &file.id, today());
        for d in &checked.diagnostics {
            eprintln!("{}", d.render());
        }
        if !checked.has_errors() {
            break text;
        }
        if !ask_reopen() {
            bail!("lint found errors: the runbook was not changed; {note}");
        }
    };
    drop(guard);
    drop(scratch);
    let kept_note = || {
        format!(
            "your edit is kept sealed; `grabbag edit {}` offers it",
            args.id
        )
    };
    let (library, _lock) = ctx
        .library_for_change()
        .with_context(|| format!("the runbook was not changed; {}", kept_note()))?;
    if Base::of(&library, &file.path)? != base {
        bail!(
            "{} changed while the editor was open (a sync or another edit): your edit was not saved over it. Run `grabbag edit {} --kept` to open your edit again and carry it into the new version",
            file.path.display(),
            args.id
        );
    }
    let save = || -> anyhow::Result<(git2::Oid, bool)> {
        library.write_encrypted(&file.path, edited.as_bytes(), ids)?;
        library.stage(&[&file.path])?;
        let signer = library.configured_signer()?;
        let oid = library.commit(&format!("Edit {}", args.id), signer.as_ref())?;
        Ok((oid, signer.is_some()))
    };
    let (oid, signed) = save().with_context(kept_note)?;
    library.drop_kept_edit(&file.path)?;
    outln!(
        "Saved {}: committed {}{}",
        args.id,
        &oid.to_string()[..12],
        if signed { " (signed)" } else { "" }
    )?;
    Ok(ExitCode::SUCCESS)
}
