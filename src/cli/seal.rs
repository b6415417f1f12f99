//! `grabbag seal FILE...` and `grabbag rekey`: encrypting runbooks to the
//! library's recipients.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use super::{Context, today};
use crate::crypto::{Identities, Recipients};
use crate::exercise::files::{EXERCISES_DIR, RUNS_DIR};
use crate::journal::merge::is_merged;
use crate::journal::store::{journals_in, read_journal_bytes, rewrapped_key, write_key};
use crate::library::trust::Trust;
use crate::library::{
    self, COMMITTED_JOURNALS_DIR, JOURNALS_DIR, Library, LoadOptions, RECIPIENTS_FILE, RunbookFile,
};
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
/// A file that is gone (sealed by an earlier run) is placed by its folder.
fn relative_to(library: &Library, file: &Path) -> anyhow::Result<PathBuf> {
    let root = library.root().canonicalize()?;
    let cannot_open = || format!("{}: cannot open", file.display());
    let full = match file.canonicalize() {
        Ok(full) => full,
        Err(_) => {
            let (Some(dir), Some(name)) = (file.parent(), file.file_name()) else {
                bail!(cannot_open());
            };
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            dir.canonicalize().with_context(cannot_open)?.join(name)
        }
    };
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
    let (library, _lock) = ctx.library_for_change()?;
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
        let target = PathBuf::from(format!("{name}.age"));
        let id = library::id_for(&rel).unwrap_or_default();
        if !file.exists() {
            match earlier_seal(&library, &target, &rel, ids)? {
                Earlier::Unfinished => {
                    outln!(
                        "{} was sealed by an earlier run that did not finish: staged {}",
                        printable_line(&name),
                        target.display()
                    )?;
                    sealed.push(id);
                    continue;
                }
                Earlier::Committed => {
                    outln!(
                        "{} is already sealed: {} is committed",
                        printable_line(&name),
                        target.display()
                    )?;
                    continue;
                }
                Earlier::None => {}
            }
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
        // Encrypted, staged, then the plaintext goes: stopped at any point,
        // a re-run finds either the plaintext (and seals it again) or the
        // staged `.age` (and finishes).
        library.write_encrypted(&target, text.as_bytes(), ids)?;
        library.stage_changes(&[&target], &[&rel])?;
        crate::fault::point("remove plaintext")?;
        std::fs::remove_file(file)
            .with_context(|| format!("{shown}: sealed, but the plaintext could not be removed"))?;
        if head_tree.as_ref().is_some_and(|t| t.get_path(&rel).is_ok()) {
            eprintln!(
                "warning: {} was committed in plaintext before: it stays readable in git history",
                printable_line(&name)
            );
        }
        outln!("sealed {} → {}", printable_line(&name), target.display())?;
        sealed.push(id);
    }
    if !sealed.is_empty() {
        match &args.commit {
            Some(message) => {
                let signer = library.configured_signer()?;
                let oid = library.commit(message, signer.as_ref())?;
                outln!(
                    "committed {}{}",
                    &oid.to_string()[..12],
                    if signer.is_some() { " (signed)" } else { "" }
                )?;
            }
            None => outln!(
                "staged {} runbook(s); commit with `git commit` (or seal with -m MESSAGE)",
                sealed.len()
            )?,
        }
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What an earlier `seal` of a plaintext that is gone left.
enum Earlier {
    /// Nothing: the plaintext is simply missing.
    None,
    /// Its `.age`, not committed: staged again, to be committed now.
    Unfinished,
    /// Its `.age`, committed: nothing is left to do.
    Committed,
}

/// Whether the plaintext `rel` is gone because an earlier `seal` encrypted
/// it to `target` (which must decrypt): when that run was stopped before
/// committing, `target` is staged again with the plaintext's removal.
fn earlier_seal(
    library: &Library,
    target: &Path,
    rel: &Path,
    ids: &crate::crypto::Identities,
) -> anyhow::Result<Earlier> {
    let full = library::inside(library.root(), target)?;
    if !full.is_file() {
        return Ok(Earlier::None);
    }
    let on_disk = git2::Oid::hash_file(git2::ObjectType::Blob, &full)?;
    let committed = library.head_blob(target)? == Some(on_disk.to_string());
    let sealed = std::fs::read(&full).with_context(|| format!("reading {}", full.display()))?;
    ids.decrypt(&sealed).with_context(|| {
        format!(
            "{}: left by an earlier seal, but it does not decrypt",
            target.display()
        )
    })?;
    if committed {
        return Ok(Earlier::Committed);
    }
    library.stage_changes(&[target], &[rel])?;
    Ok(Earlier::Unfinished)
}

/// Runs `rekey`: every encrypted file (runbooks and exercises) to the
/// recipients file as it is now, and the recipients file itself, in one
/// commit. Everything is decrypted (in memory) before the first write, so a
/// file this identity cannot open stops it with nothing changed; stopped
/// later, a re-run does it all again and commits.
pub fn rekey(ctx: &Context, args: RekeyArgs) -> anyhow::Result<ExitCode> {
    let (library, _lock) = ctx.library_for_change()?;
    let ids = ctx.identities()?;
    let recipients = library.recipients()?;
    let root = library.root().to_owned();
    let mut plain: Vec<(PathBuf, zeroize::Zeroizing<String>)> = Vec::new();
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
    for file in encrypted {
        // By path, never by id: a planted `x.toml` beside `x.toml.age` must
        // not become the new `x.toml.age`.
        let text = library::read_text(&root, file, Some(ids))
            .map_err(|f| anyhow::anyhow!("{}", f.summary()))?;
        plain.push((file.path.clone(), text));
    }
    let runbooks = plain.len();
    let exercises_dir = library::inside(&root, Path::new(EXERCISES_DIR))?;
    let (files, _) = library::discover_in(&exercises_dir);
    for file in files.iter().filter(|f| f.encrypted) {
        let text = library::read_text(&exercises_dir, file, Some(ids))
            .map_err(|f| anyhow::anyhow!("{}: {}", EXERCISES_DIR, f.summary()))?;
        plain.push((Path::new(EXERCISES_DIR).join(&file.path), text));
    }
    let exercises = plain.len() - runbooks;
    let journals = JournalKeys::read(&library, ids, &recipients)?;
    for (path, text) in &plain {
        library.write_encrypted(path, text.as_bytes(), ids)?;
    }
    let mut paths: Vec<PathBuf> = plain.into_iter().map(|(p, _)| p).collect();
    paths.push(PathBuf::from(RECIPIENTS_FILE));
    paths.extend(journals.write(&library)?);
    let paths: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    library.stage(&paths)?;
    let signer = library.configured_signer()?;
    let message = format!(
        "Rekey {runbooks} runbook(s) and {exercises} exercise(s) to {} recipient(s)",
        recipients.keys().len()
    );
    let oid = library.commit(&message, signer.as_ref())?;
    outln!("{message}: committed {}", &oid.to_string()[..12])?;
    journals.report()?;
    outln!(
        "\nImportant: earlier versions in git history are still encrypted to the old recipients.\n\
         Anyone removed from {RECIPIENTS_FILE} who has a copy of the repository (or a bundle) can\n\
         still decrypt those old versions with their key. Rekeying protects future changes only.\n\
         If a removed key may be compromised: treat the content of every runbook as disclosed,\n\
         change anything sensitive in it (numbers, names, passwords), and if needed start a new\n\
         repository from the current files and destroy old copies and bundles."
    )?;
    Ok(if journals.unreadable.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The library's encrypted journals with their keys wrapped again to the
/// current recipients (`<journal>.key`, see docs/journal-format.md, "Readers
/// added later"): live ones in `journals/`, committed snapshots and recorded
/// exercise runs. Journals are never re-encrypted, because their hash chain
/// covers the stored bytes.
struct JournalKeys {
    /// Each journal (relative to the library), its new `.key`, and whether
    /// the journal is tracked (then its `.key` is committed with it).
    wrapped: Vec<(PathBuf, Vec<u8>, bool)>,
    /// Journals whose key this identity cannot open, with why: they stay
    /// readable only by their earlier readers until one of them rekeys.
    unreadable: Vec<(PathBuf, String)>,
}

impl JournalKeys {
    /// Opens every journal's key in memory; writes nothing.
    fn read(library: &Library, ids: &Identities, recipients: &Recipients) -> anyhow::Result<Self> {
        let root = library.root();
        let mut keys = Self {
            wrapped: Vec::new(),
            unreadable: Vec::new(),
        };
        for dir in [
            PathBuf::from(JOURNALS_DIR),
            PathBuf::from(COMMITTED_JOURNALS_DIR),
            Path::new(EXERCISES_DIR).join(RUNS_DIR),
        ] {
            // A folder that leads out of the library is refused, not read.
            let full = library::inside(root, &dir)?;
            for journal in journals_in(&full) {
                let Some(name) = journal.file_name() else {
                    continue;
                };
                let rel = dir.join(name);
                let bytes = match read_journal_bytes(&journal) {
                    Ok(bytes) => bytes,
                    Err(e) => {
                        keys.unreadable.push((rel, e.to_string()));
                        continue;
                    }
                };
                // A merged timeline has no key of its own: its sources do.
                if is_merged(&bytes) {
                    continue;
                }
                match rewrapped_key(&journal, &bytes, ids, recipients) {
                    Ok(Some(wrapped)) => {
                        let tracked = library.head_blob(&rel)?.is_some();
                        keys.wrapped.push((rel, wrapped, tracked));
                    }
                    Ok(None) => {}
                    Err(e) => keys.unreadable.push((rel, e.to_string())),
                }
            }
        }
        Ok(keys)
    }

    /// Writes each `.key`; returns those to commit (beside tracked
    /// journals), and `.gitignore` when it had to learn to ignore a live
    /// journal's `.key`, which must never travel in place of its snapshot's.
    fn write(&self, library: &Library) -> anyhow::Result<Vec<PathBuf>> {
        let mut staged = Vec::new();
        for (rel, wrapped, tracked) in &self.wrapped {
            let written = write_key(&library.root().join(rel), wrapped)?;
            if *tracked && let Some(name) = written.file_name() {
                staged.push(rel.with_file_name(name));
            }
        }
        let live = self
            .wrapped
            .iter()
            .any(|(rel, _, _)| library::is_live_journal(&rel.to_string_lossy()));
        if live && library.ignore_live_journals()? {
            staged.push(PathBuf::from(".gitignore"));
        }
        Ok(staged)
    }

    /// Says what was given to whom, and what could not be.
    fn report(&self) -> Result<(), super::out::StdoutError> {
        if !self.wrapped.is_empty() {
            let committed = self.wrapped.iter().filter(|(_, _, t)| *t).count();
            outln!(
                "Journal keys wrapped to the same recipients: {} journal(s) ({committed} committed, {} live, each in JOURNAL.key)",
                self.wrapped.len(),
                self.wrapped.len() - committed
            )?;
        }
        for (rel, why) in &self.unreadable {
            eprintln!(
                "warning: {}: its key was not wrapped to the new recipients: {}",
                printable_line(&rel.display().to_string()),
                printable_line(why)
            );
        }
        if !self.unreadable.is_empty() {
            eprintln!(
                "hint: someone who can read those journals runs `grabbag rekey` too, so that every recipient can read them"
            );
        }
        Ok(())
    }
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
                Trust::Untrusted { .. } if rekeyed_trusted_text(library, ids, file)? => None,
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

/// Whether `file` differs from HEAD only by its encryption, and HEAD's
/// version is trusted: what a rekey stopped before its commit leaves, which
/// a re-run must be able to finish.
fn rekeyed_trusted_text(
    library: &Library,
    ids: &Identities,
    file: &RunbookFile,
) -> anyhow::Result<bool> {
    let Some(blob) = library.head_blob(&file.path)? else {
        return Ok(false);
    };
    let committed = library.blob_text(&blob, Some(ids))?;
    let Ok(now) = library::read_text(library.root(), file, Some(ids)) else {
        return Ok(false);
    };
    let trusted = library
        .history(&file.path)?
        .first()
        .is_some_and(|last| matches!(last.trust, Trust::Trusted { .. }));
    Ok(trusted && committed.as_str() == now.as_str())
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
