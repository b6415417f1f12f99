//! `grabbag edit ID`: edit an encrypted runbook without leaving plaintext behind.
//!
//! The runbook is decrypted in memory and written only into a private scratch
//! folder (RAM-backed where possible) for the editor; the scratch is wiped when
//! this function returns, whichever way it returns. While the editor runs,
//! Ctrl-C, SIGTERM and SIGHUP are caught rather than killing grabbag, so the
//! wipe still happens (the editor, in the foreground, gets them as usual).

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow, bail};

use super::{Context, today};
use crate::runbook;
use crate::scratch::Scratch;

/// Arguments of `edit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The runbook id, e.g. `cyber/ransomware`.
    pub id: String,
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
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!("Reopen the editor to fix them? [Y/n] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    !answer.trim().eq_ignore_ascii_case("n")
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
    let scratch = Scratch::create().context("making a private scratch folder")?;
    if !scratch.ram_backed() {
        eprintln!(
            "warning: no RAM-backed runtime folder found; the plaintext will sit briefly in {} (owner-only) and is wiped afterwards",
            scratch.dir().display()
        );
    }
    let base = file
        .path
        .file_name()
        .map(|n| n.to_string_lossy().replace(".toml.age", ".toml"))
        .unwrap_or_else(|| "runbook.toml".to_owned());
    let path = scratch.write(&base, original.as_bytes())?;
    let command = editor();
    let (program, rest) = command
        .split_first()
        .ok_or_else(|| anyhow!("no editor configured: set EDITOR"))?;
    let guard = SignalGuard::new();
    let edited = loop {
        let status = std::process::Command::new(program)
            .args(rest)
            .arg(&path)
            .status()
            .with_context(|| {
                format!("starting the editor `{program}` (set EDITOR to change it)")
            })?;
        if guard.caught() {
            bail!("interrupted: nothing was changed");
        }
        if !status.success() {
            bail!("the editor exited with {status}: nothing was changed");
        }
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(&path).context("reading the edited file back")?,
        );
        if text.as_str() == original.as_str() {
            println!("No changes.");
            return Ok(ExitCode::SUCCESS);
        }
        let shown = format!("{} (edited)", file.path.display());
        let checked = runbook::check(&shown, &text, &file.id, today());
        for d in &checked.diagnostics {
            eprintln!("{}", d.render());
        }
        if !checked.has_errors() {
            break text;
        }
        if !ask_reopen() {
            bail!("lint found errors: nothing was changed");
        }
    };
    drop(guard);
    library.write_encrypted(&file.path, edited.as_bytes(), ids)?;
    drop(scratch);
    library.stage(&[&file.path])?;
    let signer = library.configured_signer()?;
    let oid = library.commit(&format!("Edit {}", args.id), signer.as_ref())?;
    println!(
        "Saved {}: committed {}{}",
        args.id,
        &oid.to_string()[..12],
        if signer.is_some() { " (signed)" } else { "" }
    );
    Ok(ExitCode::SUCCESS)
}
