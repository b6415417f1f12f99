//! `grabbag seal FILE...` and `grabbag rekey`: encrypting runbooks to the
//! library's recipients.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use super::{Context, today};
use crate::crypto::Identities;
use crate::library::trust::Trust;
use crate::library::{self, Library, LoadOptions, RECIPIENTS_FILE, RunbookFile};
use crate::runbook;
use crate::text::printable_line;

/// Arguments of `seal`.
#[derive(Debug, clap::Args)]
pub struct SealArgs {
    /// Plaintext runbooks (`.toml`) inside the library.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Also commit, with this message (signed when the library is set up to sign).
    #[arg(short = 'm', long = "commit", value_name = "MESSAGE")]
    pub commit: Option<String>,
}

/// Arguments of `rekey`.
#[derive(Debug, clap::Args)]
pub struct RekeyArgs {
    /// Rekey runbooks that are not trusted as well (unsigned or unknown-key
    /// edits, uncommitted changes, files that do not load): the rekey commit
    /// vouches for their text, signed when the library is set up to sign.
    #[arg(long)]
    pub include_untrusted: bool,
}

/// The path of `file` relative to the library root, refusing files outside it.
fn relative_to(library: &Library, file: &Path) -> anyhow::Result<PathBuf> {
    let root = library.root().canonicalize()?;
    let full = file
        .canonicalize()
        .with_context(|| format!("{}: cannot open", file.display()))?;
    match full.strip_prefix(&root) {
        Ok(rel) => Ok(rel.to_owned()),
        Err(_) => bail!(
            "{} is outside the library {}: move it into the library first",
            file.display(),
            root.display()
        ),
    }
}

/// Runs `seal`.
pub fn seal(ctx: &Context, args: SealArgs) -> anyhow::Result<ExitCode> {
    let library = ctx.library()?;
    let ids = ctx.identities()?;
    let head_tree = library
        .repo()
        .head()
        .ok()
        .and_then(|h| h.peel_to_tree().ok());
    let mut failed = 0;
    let mut sealed = Vec::new();
    for file in &args.files {
        let shown = file.display().to_string();
        let rel = relative_to(&library, file)?;
        let name = rel.to_string_lossy().into_owned();
        if !name.ends_with(".toml") {
            eprintln!(
                "error: {}: only plaintext `.toml` runbooks can be sealed",
                printable_line(&shown)
            );
            failed += 1;
            continue;
        }
        let text = std::fs::read(file).with_context(|| format!("{shown}: cannot read"))?;
        if text.len() as u64 > library::MAX_RUNBOOK_BYTES {
            eprintln!(
                "error: {}: larger than the 1 MiB runbook limit",
                printable_line(&shown)
            );
            failed += 1;
            continue;
        }
        let Ok(text) = String::from_utf8(text) else {
            eprintln!("error: {}: not valid UTF-8 text", printable_line(&shown));
            failed += 1;
            continue;
        };
        warn_if_untrusted(&library, &rel)?;
        let id = library::id_for(&rel).unwrap_or_default();
        let checked = runbook::check(&shown, &text, &id, today());
        for d in &checked.diagnostics {
            eprintln!("{}", d.render());
        }
        if checked.has_errors() {
            eprintln!(
                "error: {}: not sealed because lint found errors",
                printable_line(&shown)
            );
            failed += 1;
            continue;
        }
        let target = PathBuf::from(format!("{name}.age"));
        library.write_encrypted(&target, text.as_bytes(), ids)?;
        std::fs::remove_file(file)
            .with_context(|| format!("{shown}: sealed, but the plaintext could not be removed"))?;
        library.stage(&[&target, &rel])?;
        if head_tree.as_ref().is_some_and(|t| t.get_path(&rel).is_ok()) {
            eprintln!(
                "warning: {} was committed in plaintext before: it stays readable in git history",
                printable_line(&name)
            );
        }
        println!("sealed {} → {}", printable_line(&name), target.display());
        sealed.push(id);
    }
    if !sealed.is_empty() {
        match &args.commit {
            Some(message) => {
                let signer = library.configured_signer()?;
                let oid = library.commit(message, signer.as_ref())?;
                println!(
                    "committed {}{}",
                    &oid.to_string()[..12],
                    if signer.is_some() { " (signed)" } else { "" }
                );
            }
            None => println!(
                "staged {} runbook(s); commit with `git commit` (or seal with -m MESSAGE)",
                sealed.len()
            ),
        }
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Runs `rekey`.
pub fn rekey(ctx: &Context, args: RekeyArgs) -> anyhow::Result<ExitCode> {
    let library = ctx.library()?;
    let ids = ctx.identities()?;
    let recipients = library.recipients()?;
    let (files, _) = library.discover();
    let encrypted: Vec<&RunbookFile> = files.iter().filter(|f| f.encrypted).collect();
    if !args.include_untrusted {
        let doubtful = not_trusted(&library, ids, &encrypted)?;
        if !doubtful.is_empty() {
            eprintln!(
                "error: rekey refused: {} runbook file(s) are not trusted, and the rekey commit would vouch for their text:",
                doubtful.len()
            );
            for (path, why) in &doubtful {
                eprintln!(
                    "  {}: {}",
                    printable_line(&path.display().to_string()),
                    printable_line(why)
                );
            }
            eprintln!(
                "hint: check them (`grabbag log ID`, `grabbag show ID`) and restore or re-sign them, or rekey them anyway with --include-untrusted"
            );
            return Ok(ExitCode::from(1));
        }
    }
    let mut done: Vec<PathBuf> = Vec::new();
    for file in encrypted {
        // By path, never by id: a planted `x.toml` beside `x.toml.age` must
        // not become the new `x.toml.age`.
        let text = library.read_file(file, Some(ids))?;
        library.write_encrypted(&file.path, text.as_bytes(), ids)?;
        done.push(file.path.clone());
    }
    let paths: Vec<&Path> = done.iter().map(PathBuf::as_path).collect();
    library.stage(&paths)?;
    let signer = library.configured_signer()?;
    let message = format!(
        "Rekey {} runbook(s) to {} recipient(s)",
        done.len(),
        recipients.keys().len()
    );
    let oid = library.commit(&message, signer.as_ref())?;
    println!("{message}: committed {}", &oid.to_string()[..12]);
    println!(
        "\nImportant: earlier versions in git history are still encrypted to the old recipients.\n\
         Anyone removed from {RECIPIENTS_FILE} who has a copy of the repository (or a bundle) can\n\
         still decrypt those old versions with their key. Rekeying protects future changes only.\n\
         If a removed key may be compromised: treat the content of every runbook as disclosed,\n\
         change anything sensitive in it (numbers, names, passwords), and if needed start a new\n\
         repository from the current files and destroy old copies and bundles."
    );
    Ok(ExitCode::SUCCESS)
}

/// The encrypted files whose current text is not trusted, with why: an
/// untrusted or uncommitted version, or a file that did not load (the
/// losing side of a duplicate id included). Judged by the same load as
/// `list`.
fn not_trusted(
    library: &Library,
    ids: &Identities,
    files: &[&RunbookFile],
) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let options = LoadOptions {
        today: today(),
        require_signed: false,
    };
    let report = library.load(Some(ids), &options)?;
    let mut doubtful = Vec::new();
    for file in files {
        let loaded = report.runbooks.iter().find(|r| r.file == file.path);
        let why = match loaded {
            Some(r) => match &r.trust {
                Trust::Untrusted { reason } => Some(format!("untrusted: {reason}")),
                _ => None,
            },
            None => Some(match report.failures.iter().find(|f| f.file == file.path) {
                Some(failure) => format!("did not load: {}", failure.cause()),
                None => "did not load".to_owned(),
            }),
        };
        if let Some(why) = why {
            doubtful.push((file.path.clone(), why));
        }
    }
    Ok(doubtful)
}

/// Warns when the committed version of `path` came from an untrusted
/// commit: a commit made now, signed, would vouch for all of its text, not
/// only for the change being made.
pub(super) fn warn_if_untrusted(library: &Library, path: &Path) -> anyhow::Result<()> {
    if let Some(last) = library.history(path)?.first()
        && let Trust::Untrusted { reason } = &last.trust
    {
        eprintln!(
            "warning: {} was last changed by commit {} \"{}\", which is UNTRUSTED ({}): committing it now vouches for all of its text, not only your change; read all of it first (`grabbag log ID` shows who changed it)",
            printable_line(&path.display().to_string()),
            &last.commit[..12.min(last.commit.len())],
            printable_line(&last.summary),
            printable_line(reason)
        );
    }
    Ok(())
}
