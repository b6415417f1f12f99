//! A runbook library: a git working tree of (usually encrypted) runbooks.
//!
//! Discovery, decryption, version pinning (commit and blob id), trust (signed
//! commits) and offline sync all live here. Nothing in this module draws on a
//! terminal; the CLI and TUI ask it for loaded runbooks and reports.
//!
//! Loading is forgiving by design: one bad file (malformed, undecryptable,
//! oversized, a symlink out of the library) becomes a [`LoadFailure`] naming the
//! file, and every other runbook still loads. On the day, a responder must never
//! lose the ransomware runbook because somebody broke the payments one.

mod checkout;
mod discover;
pub mod exchange;
mod git;
pub mod history_cache;
mod lock;
mod log_cache;
pub mod settings;
pub mod signed_history;
pub mod sync;
pub mod trust;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDate;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::calendar::Calendar;
use crate::crypto::{self, CryptoError, Identities, Recipients};
use crate::diagnostic::{Diagnostic, Level};
use crate::runbook::{self, Runbook};
use crate::signing::{AllowedSigners, Signer, SigningError};
use crate::text::printable_line;
pub use checkout::is_live_journal;
pub use discover::{MAX_RUNBOOK_BYTES, RunbookFile, id_for};
pub use git::{HistoryEntry, ReadBlob, Version};
pub use lock::ChangeLock;
use signed_history::SignedHistory;
use trust::Trust;

/// The folder inside a library that holds its settings.
pub const SETTINGS_DIR: &str = ".grabbag";
/// The recipients file, relative to the library root.
pub const RECIPIENTS_FILE: &str = ".grabbag/recipients";
/// The folder of journals that travel with a library (`journal commit`).
pub const JOURNALS_DIR: &str = "journals";
/// Where `journal commit` puts the snapshots it commits; the live journals
/// above it in `journals/` are never tracked.
pub const COMMITTED_JOURNALS_DIR: &str = "journals/committed";
/// The allowed signers file, relative to the library root.
pub const ALLOWED_SIGNERS_FILE: &str = trust::ALLOWED_SIGNERS_PATH;

/// Errors that stop a library operation as a whole (per-file problems are
/// [`LoadFailure`]s instead).
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    /// The folder is not a grabbag library.
    #[error("{0} is not a grabbag library (no git repository with {SETTINGS_DIR}/ in it)")]
    NotALibrary(PathBuf),
    /// The library is a git repository with SHA-256 object ids.
    #[error(
        "{0} is a SHA-256 git repository, which libgit2 (and so grabbag) cannot read yet: make the library with SHA-1 ids (the default of `git init`, or `grabbag init`)"
    )]
    Sha256Repository(PathBuf),
    /// The library's git folder holds a file that makes git read commits'
    /// parents from it instead of from the commits (`info/grafts`, or
    /// `shallow` from a shallow clone): the signed history trust is judged
    /// from would say what the file says.
    #[error(
        "{0}: git reads commits' parents from this file instead of from the commits, so the library's signed history cannot be judged; remove it (for a shallow clone, clone the library in full)"
    )]
    RewrittenHistory(PathBuf),
    /// `grabbag init` made the settings folder but was stopped before git.
    #[error(
        "{0} has a {SETTINGS_DIR}/ folder but no git repository: a `grabbag init` was interrupted; run `grabbag init {0}` again to finish it"
    )]
    UnfinishedInit(PathBuf),
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// git failed.
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    /// git failed while staging (or writing the index for) a file.
    #[error("git could not stage {}: {}", .path.display(), git_cause(.source))]
    Stage {
        /// The file, or the index itself.
        path: PathBuf,
        /// What libgit2 said.
        source: git2::Error,
    },
    /// git failed while writing a commit (its tree, the commit, or HEAD).
    #[error("git could not write the commit in {}: {}", .git_dir.display(), git_cause(.source))]
    Commit {
        /// The repository's git folder.
        git_dir: PathBuf,
        /// What libgit2 said.
        source: git2::Error,
    },
    /// Keys or encryption failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// Signing or trust failed.
    #[error(transparent)]
    Trust(#[from] trust::TrustError),
    /// A signing key or allowed signers failed.
    #[error(transparent)]
    Signing(#[from] SigningError),
    /// No runbook has this id.
    #[error("no runbook with id `{0}` in the library")]
    UnknownRunbook(String),
    /// More than one file is named after this id (`x.toml` beside
    /// `x.toml.age`): picking one by file order would let a planted file
    /// stand in for the real runbook.
    #[error(
        "runbook id `{id}` names more than one file ({}): remove or rename all but one (`grabbag list` says which one loads and why)",
        files.join(", ")
    )]
    AmbiguousId {
        /// The id asked for.
        id: String,
        /// The files named after it.
        files: Vec<String>,
    },
    /// A runbook did not load.
    #[error("{}", .0.summary())]
    Failed(Box<LoadFailure>),
    /// The operation was refused, with a reason.
    #[error("{0}")]
    Refused(String),
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> LibraryError + '_ {
    move |source| LibraryError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A runbook loaded from the library, with where and which version it came from.
#[derive(Debug, Clone, Serialize)]
pub struct LoadedRunbook {
    /// The runbook itself.
    pub runbook: Runbook,
    /// Its file, relative to the library root.
    pub file: PathBuf,
    /// False for plaintext drafts (shown as UNENCRYPTED everywhere).
    pub encrypted: bool,
    /// Commit, blob and dirty state.
    pub version: Version,
    /// Whether its last changing commit is signed by an allowed signer.
    pub trust: Trust,
    /// Lint warnings (an overdue review, say).
    pub warnings: Vec<Diagnostic>,
}

impl LoadedRunbook {
    /// True when the review date has passed.
    pub fn review_overdue(&self, today: NaiveDate) -> bool {
        self.runbook.review_due() < today
    }

    /// True when the runbook's trust was checked and failed.
    pub fn untrusted(&self) -> bool {
        matches!(self.trust, Trust::Untrusted { .. })
    }

    /// The badges shown beside a runbook everywhere (list, library screen):
    /// each names a reason for care, or that its commit is signed.
    pub fn badges(&self, today: NaiveDate) -> Vec<&'static str> {
        let mut out = Vec::new();
        match self.trust {
            Trust::Trusted { .. } => out.push("SIGNED"),
            Trust::Untrusted { .. } => out.push("UNTRUSTED"),
            Trust::NotChecked => {}
        }
        if self.version.dirty {
            out.push("DIRTY");
        }
        if !self.encrypted {
            out.push("UNENCRYPTED");
        }
        if self.review_overdue(today) {
            out.push("REVIEW-DUE");
        }
        out
    }
}

/// Where unsaved edits are kept, inside the git directory.
const KEPT_EDITS_DIR: &str = "grabbag-kept-edits";

/// An edit that was not saved, kept sealed for the next `edit`.
#[derive(Debug)]
pub struct KeptEdit {
    /// The sealed file.
    pub path: PathBuf,
    /// When it was kept.
    pub when: Option<chrono::DateTime<chrono::Local>>,
    /// The edited text, in memory only.
    pub text: Zeroizing<String>,
}

/// A file that did not load, and why.
#[derive(Debug, Clone, Serialize)]
pub struct LoadFailure {
    /// The file, relative to the library root.
    pub file: PathBuf,
    /// What is wrong with it (at least one error).
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadFailure {
    fn new(file: &Path, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            diagnostics: vec![Diagnostic::file_level(
                Level::Error,
                &file.to_string_lossy(),
                message,
            )],
        }
    }

    /// The first error, as one line.
    pub fn summary(&self) -> String {
        format!("{}: {}", self.place(), self.cause())
    }

    /// Where the first error is: the file, with line and column when known.
    pub fn place(&self) -> String {
        self.diagnostics
            .iter()
            .find(|d| d.is_error())
            .map_or_else(|| self.file.display().to_string(), Diagnostic::location)
    }

    /// What the first error says, without where.
    pub fn cause(&self) -> &str {
        self.diagnostics
            .iter()
            .find(|d| d.is_error())
            .map_or("failed to load", |d| d.message.as_str())
    }
}

/// Files that failed for one reason: a wrong identity fails every file
/// with the same words, which are said once.
#[derive(Debug)]
pub struct FailureCause<'a> {
    /// What went wrong (the first error's message).
    pub cause: &'a str,
    /// The files it hit, in path order.
    pub files: Vec<&'a LoadFailure>,
}

/// Everything a load found: the runbooks and the files that failed.
#[derive(Debug, Default, Serialize)]
pub struct LoadReport {
    /// Runbooks that loaded, sorted by id.
    pub runbooks: Vec<LoadedRunbook>,
    /// Files that did not load, sorted by path.
    pub failures: Vec<LoadFailure>,
    /// Library files found but not used, and why (a settings file changed
    /// by an untrusted commit or in the working tree only).
    pub notices: Vec<Diagnostic>,
    /// The working days the library's deadlines count on (its settings).
    #[serde(skip)]
    pub calendar: Calendar,
}

impl LoadReport {
    /// The runbook with this id.
    pub fn get(&self, id: &str) -> Option<&LoadedRunbook> {
        self.runbooks.iter().find(|r| r.runbook.id == id)
    }

    /// [`LoadReport::failure_causes`] as text safe to show on a terminal:
    /// (why, the files with line and column where known).
    pub fn printable_failures(&self) -> Vec<(String, Vec<String>)> {
        self.failure_causes()
            .iter()
            .map(|c| {
                (
                    printable_line(c.cause).into_owned(),
                    c.files
                        .iter()
                        .map(|f| printable_line(&f.place()).into_owned())
                        .collect(),
                )
            })
            .collect()
    }

    /// The failures grouped by cause, causes in the order of their first file.
    pub fn failure_causes(&self) -> Vec<FailureCause<'_>> {
        let mut causes: Vec<FailureCause<'_>> = Vec::new();
        for failure in &self.failures {
            match causes.iter_mut().find(|c| c.cause == failure.cause()) {
                Some(cause) => cause.files.push(failure),
                None => causes.push(FailureCause {
                    cause: failure.cause(),
                    files: vec![failure],
                }),
            }
        }
        causes
    }
}

/// How to load.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The date reviews are judged against.
    pub today: NaiveDate,
    /// Refuse runbooks whose last change is not signed by an allowed signer.
    pub require_signed: bool,
}

/// An open library.
pub struct Library {
    root: PathBuf,
    repo: git2::Repository,
    /// The key of the history cache, when it is used.
    history_key: Option<history_cache::CacheKey>,
}

impl Library {
    /// Opens the library at `root` (the top of its git working tree).
    pub fn open(root: &Path) -> Result<Self, LibraryError> {
        if !root.join(SETTINGS_DIR).is_dir() {
            return Err(LibraryError::NotALibrary(root.to_owned()));
        }
        let repo = git2::Repository::open(root).map_err(|_| {
            if sha256_repository(root) {
                LibraryError::Sha256Repository(root.to_owned())
            } else if !root.join(".git").exists() {
                LibraryError::UnfinishedInit(root.to_owned())
            } else {
                LibraryError::NotALibrary(root.to_owned())
            }
        })?;
        refuse_rewritten_history(&repo)?;
        let root = repo
            .workdir()
            .ok_or_else(|| LibraryError::NotALibrary(root.to_owned()))?
            .to_owned();
        Ok(Self {
            root,
            repo,
            history_key: None,
        })
    }

    /// Keeps a history cache in the library's git dir, authenticated with
    /// the key kept in `key_dir` (the user's config folder; made on first
    /// use), so loading and `log` do not grow with the history (see
    /// [`history_cache`]). Without a usable key, nothing changes.
    pub fn with_history_cache(mut self, key_dir: &Path) -> Self {
        self.history_key = history_cache::CacheKey::in_dir(key_dir);
        self
    }

    /// The library that `dir` is in, as git finds the repository it is in:
    /// `dir` itself or the nearest folder above it that holds both a `.git`
    /// and a `.grabbag` folder. `None` when there is none.
    pub fn containing(dir: &Path) -> Option<PathBuf> {
        dir.ancestors()
            .find(|d| d.join(SETTINGS_DIR).is_dir() && d.join(".git").exists())
            .map(Path::to_path_buf)
    }

    /// Opens the library for a change: takes its change lock (one change at
    /// a time), clears git locks left by dead processes or refuses naming a
    /// live one, and makes git's writes durable, all before any file changes.
    pub fn open_for_change(root: &Path) -> Result<(Self, ChangeLock), LibraryError> {
        let library = Self::open(root)?;
        let lock = lock::begin(library.repo.path())?;
        lock::durable(&library.repo)?;
        Ok((library, lock))
    }

    /// Makes a new library in `root`: a git repository on branch `main`, a
    /// recipients file listing `recipients`, and a first commit. A folder an
    /// interrupted `init` left (settings but no first commit) is finished:
    /// its recipients file is kept, with any of `recipients` it lacks added.
    pub fn init(
        root: &Path,
        recipients: &[String],
        signer: Option<&Signer>,
    ) -> Result<Self, LibraryError> {
        if root.join(SETTINGS_DIR).exists()
            && git2::Repository::open(root).is_ok_and(|r| r.head().is_ok())
        {
            return Err(LibraryError::Refused(format!(
                "{} already holds a grabbag library",
                root.display()
            )));
        }
        crate::fault::point("library folder").map_err(io_err(root))?;
        std::fs::create_dir_all(root.join(SETTINGS_DIR)).map_err(io_err(root))?;
        let mut opts = git2::RepositoryInitOptions::new();
        opts.initial_head("main");
        crate::fault::point("git init").map_err(io_err(root))?;
        let repo = git2::Repository::init_opts(root, &opts)?;
        let _lock = lock::begin(repo.path())?;
        let repo = git2::Repository::open(root)?;
        lock::durable(&repo)?;
        let recipients_path = root.join(RECIPIENTS_FILE);
        let mut text = match std::fs::read_to_string(&recipients_path) {
            Ok(kept) if Recipients::parse(&kept, &recipients_path).is_ok() => kept,
            _ => String::from(
                "# age recipients for this library: one public key per line.\n\
                 # Everyone listed can decrypt every runbook. After changing this file, run `grabbag rekey`.\n",
            ),
        };
        for key in recipients {
            if !text.lines().any(|l| l.trim() == key.trim()) {
                text.push_str(key);
                text.push('\n');
            }
        }
        Recipients::parse(&text, &recipients_path)?;
        write_file(&recipients_path, text.as_bytes())?;
        // Encrypted runbooks are binary; stop git from "fixing" line endings in them.
        write_file(&root.join(".gitattributes"), b"*.age binary\n")?;
        // A journal's `.lock` file only says who is writing it right now; a
        // journal at the top of `journals/` is live (being written) and never
        // tracked: `journal commit` commits a snapshot under
        // `journals/committed/` (docs/journal-format.md).
        write_file(&root.join(".gitignore"), GITIGNORE.as_bytes())?;
        let library = Self {
            root: root.to_owned(),
            repo,
            history_key: None,
        };
        library.stage(&[
            Path::new(RECIPIENTS_FILE),
            Path::new(".gitattributes"),
            Path::new(".gitignore"),
        ])?;
        library.commit("Initialise grabbag library", signer)?;
        Ok(library)
    }

    /// The top of the working tree.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The git repository.
    pub fn repo(&self) -> &git2::Repository {
        &self.repo
    }

    /// The library's recipients.
    pub fn recipients(&self) -> Result<Recipients, LibraryError> {
        Ok(Recipients::load(&inside(
            &self.root,
            Path::new(RECIPIENTS_FILE),
        )?)?)
    }

    /// The allowed signers in force at HEAD, as established by signed
    /// history (never the working tree's file: see [`signed_history`]);
    /// `None` when the library has none.
    pub fn allowed_signers(&self) -> Result<Option<AllowedSigners>, LibraryError> {
        let Some(head) = git::head_commit(&self.repo)? else {
            return Ok(None);
        };
        let mut history = self.signed_history()?;
        Ok(history.signers_after(head.id())?.cloned())
    }

    /// The trust of commits as judged from the library's signed history up
    /// to HEAD: the one place every command asks.
    pub fn signed_history(&self) -> Result<SignedHistory<'_>, LibraryError> {
        let head = git::head_commit(&self.repo)?.map(|c| c.id());
        Ok(SignedHistory::open_cached(
            &self.repo,
            head,
            self.history_key.as_ref(),
        )?)
    }

    /// The runbook files in the working tree, and the entries refused before
    /// reading (symlinks leading out of the library).
    pub fn discover(&self) -> (Vec<RunbookFile>, Vec<LoadFailure>) {
        discover::discover(&self.root)
    }

    /// Loads every runbook. Files that fail are reported, never fatal.
    pub fn load(
        &self,
        identities: Option<&Identities>,
        options: &LoadOptions,
    ) -> Result<LoadReport, LibraryError> {
        let (files, mut failures) = self.discover();
        let mut history = self.signed_history()?;
        let checking = history.anchor().is_some();
        let versions = git::Versions::read(
            &self.repo,
            files.iter().map(|f| f.path.as_path()),
            history.cache(),
        )?;
        let recipients_hint = self.recipients_hint();
        let root = self.root.as_path();

        // Decrypting and checking is the expensive part; git and trust are
        // done afterwards on this thread because a git2 repository is not
        // shareable.
        let checked =
            check_runbook_files(root, &files, identities, options.today, &recipients_hint)
                .into_iter()
                .zip(&files)
                .map(|(checked, f)| checked.map(|c| (c, f)));

        let mut candidates: Vec<LoadedRunbook> = Vec::new();
        for item in checked {
            let (checked, file) = match item {
                Ok(ok) => ok,
                Err(failure) => {
                    failures.push(failure);
                    continue;
                }
            };
            let CheckedFile { checked, blob } = checked;
            let Some(runbook) = checked.runbook else {
                failures.push(LoadFailure {
                    file: file.path.clone(),
                    diagnostics: checked.diagnostics,
                });
                continue;
            };
            let mut version = versions.of(&file.path);
            version.pin_read(&blob);
            let trust = match (checking, version.dirty, version.commit_oid()) {
                (false, _, _) => Trust::NotChecked,
                (true, true, _) => Trust::Untrusted {
                    reason: "uncommitted changes in the working tree".to_owned(),
                },
                (true, false, None) => Trust::Untrusted {
                    reason: "not committed".to_owned(),
                },
                (true, false, Some(oid)) => history.trust(oid)?,
            };
            if options.require_signed && !matches!(trust, Trust::Trusted { .. }) {
                let why = match &trust {
                    Trust::Untrusted { reason } => format!("untrusted: {reason}"),
                    _ => format!(
                        "no {ALLOWED_SIGNERS_FILE} in the library's history, so no runbook can be trusted"
                    ),
                };
                failures.push(LoadFailure::new(
                    &file.path,
                    format!("refused by --require-signed: {why}"),
                ));
                continue;
            }
            candidates.push(LoadedRunbook {
                runbook,
                file: file.path.clone(),
                encrypted: file.encrypted,
                version,
                trust,
                warnings: checked.diagnostics,
            });
        }
        let settings = settings::in_force(&self.root, &self.repo, &mut history)?;
        history.save_cache();
        let mut runbooks = settle_duplicate_ids(candidates, &mut failures);
        runbooks.sort_by(|a, b| a.runbook.id.cmp(&b.runbook.id));
        failures.extend(settings.failures);
        failures.sort_by(|a, b| a.file.cmp(&b.file));
        Ok(LoadReport {
            runbooks,
            failures,
            notices: settings.notices,
            calendar: settings.calendar,
        })
    }

    /// What to say when our identity is not a recipient: who the library
    /// encrypts to, so the user can tell a wrong key from a stale file.
    fn recipients_hint(&self) -> String {
        match self.recipients() {
            Ok(r) => format!("{RECIPIENTS_FILE} lists: {}", r.keys().join(", ")),
            Err(e) => format!("the library's recipients could not be read: {e}"),
        }
    }

    /// The one file named after runbook `id`; refused when none is, or more
    /// than one (see [`LibraryError::AmbiguousId`]).
    pub fn file_for(&self, id: &str) -> Result<RunbookFile, LibraryError> {
        let (files, _) = self.discover();
        let mut named: Vec<RunbookFile> = files.into_iter().filter(|f| f.id == id).collect();
        match named.len() {
            0 => Err(LibraryError::UnknownRunbook(id.to_owned())),
            1 => Ok(named.remove(0)),
            _ => Err(LibraryError::AmbiguousId {
                id: id.to_owned(),
                files: named.iter().map(|f| f.path.display().to_string()).collect(),
            }),
        }
    }

    /// Finds the file of runbook `id` and returns it with its decrypted text.
    pub fn read_runbook(
        &self,
        id: &str,
        identities: Option<&Identities>,
    ) -> Result<(RunbookFile, Zeroizing<String>), LibraryError> {
        let file = self.file_for(id)?;
        let text = self.read_file(&file, identities)?;
        Ok((file, text))
    }

    /// The decrypted text of one runbook file, chosen by path.
    pub fn read_file(
        &self,
        file: &RunbookFile,
        identities: Option<&Identities>,
    ) -> Result<Zeroizing<String>, LibraryError> {
        plaintext(&self.root, file, identities, &self.recipients_hint())
            .map_err(|f| LibraryError::Failed(Box::new(f)))
    }

    /// Encrypts `plaintext` to the library's recipients, checks that
    /// `identities` can decrypt it back to the same bytes, and writes it to
    /// `path` (relative) atomically. Returns the ciphertext size.
    pub fn write_encrypted(
        &self,
        path: &Path,
        plaintext: &[u8],
        identities: &Identities,
    ) -> Result<usize, LibraryError> {
        let sealed = self.seal_checked(path, plaintext, identities)?;
        let full = inside(&self.root, path)?;
        if let Some(dir) = full.parent() {
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        crate::fault::point("encrypted file").map_err(io_err(&full))?;
        crate::fsutil::replace_atomically(&full, &sealed).map_err(io_err(&full))?;
        Ok(sealed.len())
    }

    /// Keeps an edit of runbook file `path` that was not saved (a hang-up, a
    /// refusal, a failure), sealed to the library's recipients like the
    /// runbook itself, inside the git directory where it never travels and
    /// never shows as a change. Returns where it is.
    pub fn keep_edit(
        &self,
        path: &Path,
        plaintext: &[u8],
        identities: &Identities,
    ) -> Result<PathBuf, LibraryError> {
        let sealed = self.seal_checked(path, plaintext, identities)?;
        let kept = self.kept_edit_path(path);
        if let Some(dir) = kept.parent() {
            crate::fsutil::create_private_dir(dir).map_err(io_err(dir))?;
        }
        crate::fault::point("kept edit").map_err(io_err(&kept))?;
        crate::fsutil::replace_atomically(&kept, &sealed).map_err(io_err(&kept))?;
        Ok(kept)
    }

    /// An edit of `path` kept by [`keep_edit`](Self::keep_edit), decrypted
    /// in memory, with where it is and when it was kept.
    pub fn kept_edit(
        &self,
        path: &Path,
        identities: &Identities,
    ) -> Result<Option<KeptEdit>, LibraryError> {
        let kept = self.kept_edit_path(path);
        let sealed = match std::fs::read(&kept) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(&kept)(e)),
        };
        let when = std::fs::metadata(&kept)
            .and_then(|m| m.modified())
            .map(chrono::DateTime::<chrono::Local>::from)
            .ok();
        let plain = identities.decrypt(&sealed)?;
        let text = String::from_utf8(plain.to_vec())
            .map_err(|_| LibraryError::Refused(format!("{}: not UTF-8 text", kept.display())))?;
        Ok(Some(KeptEdit {
            path: kept,
            when,
            text: Zeroizing::new(text),
        }))
    }

    /// Forgets the kept edit of `path` (it was saved, or the user dropped it).
    pub fn drop_kept_edit(&self, path: &Path) -> Result<(), LibraryError> {
        let kept = self.kept_edit_path(path);
        match std::fs::remove_file(&kept) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(&kept)(e)),
        }
    }

    fn kept_edit_path(&self, path: &Path) -> PathBuf {
        self.repo.path().join(KEPT_EDITS_DIR).join(path)
    }

    /// `plaintext` encrypted to the library's recipients, checked to decrypt
    /// back to the same bytes with `identities`.
    fn seal_checked(
        &self,
        path: &Path,
        plaintext: &[u8],
        identities: &Identities,
    ) -> Result<Vec<u8>, LibraryError> {
        let recipients = self.recipients()?;
        let sealed = crypto::encrypt(plaintext, &recipients, false)?;
        let back = identities.decrypt(&sealed).map_err(|e| {
            // The question helps only when no identity was a recipient; a
            // plugin's own failure (wrong PIN, no token) says what to do.
            let hint = if matches!(e, CryptoError::NotARecipient { .. }) {
                format!(". Is your identity listed in {RECIPIENTS_FILE}?")
            } else {
                String::new()
            };
            LibraryError::Refused(format!(
                "round-trip check failed for {}: {e}{hint}",
                path.display()
            ))
        })?;
        if back.as_slice() != plaintext {
            return Err(LibraryError::Refused(format!(
                "round-trip check failed for {}: decrypted bytes differ",
                path.display()
            )));
        }
        Ok(sealed)
    }

    /// The text of a stored blob (a runbook version a journal pinned),
    /// decrypted in memory when it is age-encrypted.
    pub fn blob_text(
        &self,
        blob: &str,
        identities: Option<&Identities>,
    ) -> Result<Zeroizing<String>, LibraryError> {
        let oid = git2::Oid::from_str(blob)?;
        let found = self.repo.find_blob(oid)?;
        let bytes = found.content();
        let plain = if crypto::is_age(bytes) {
            let ids = identities.ok_or_else(|| {
                LibraryError::Refused(format!(
                    "blob {blob} is encrypted and no identity was given"
                ))
            })?;
            ids.decrypt(bytes)?
        } else {
            Zeroizing::new(bytes.to_vec())
        };
        String::from_utf8(plain.to_vec())
            .map(Zeroizing::new)
            .map_err(|_| LibraryError::Refused(format!("blob {blob} is not UTF-8 text")))
    }

    /// The blob id of `path` (relative) in HEAD's tree, if it is there.
    pub fn head_blob(&self, path: &Path) -> Result<Option<String>, LibraryError> {
        let tree = match self.repo.head() {
            Ok(head) => head.peel_to_tree()?,
            Err(_) => return Ok(None),
        };
        Ok(tree.get_path(path).ok().map(|e| e.id().to_string()))
    }

    /// Stages files (relative paths) in git's index; a path no longer on disk
    /// is staged as removed.
    pub fn stage(&self, paths: &[&Path]) -> Result<(), LibraryError> {
        self.stage_changes(paths, &[])
    }

    /// Stages `add` as [`stage`](Self::stage) does, and stages `untrack` as
    /// removed even when the file is still on disk (a plaintext draft about
    /// to be deleted, a live journal that must leave git's care). The index
    /// is synced to disk before this returns.
    pub fn stage_changes(&self, add: &[&Path], untrack: &[&Path]) -> Result<(), LibraryError> {
        let staging = |path: &Path| {
            let path = path.to_owned();
            move |source| LibraryError::Stage { path, source }
        };
        let mut index = self.repo.index()?;
        for path in add {
            if self.root.join(path).exists() {
                index.add_path(path).map_err(staging(path))?;
            } else if index.get_path(path, 0).is_some() {
                index.remove_path(path).map_err(staging(path))?;
            }
        }
        for path in untrack {
            if index.get_path(path, 0).is_some() {
                index.remove_path(path).map_err(staging(path))?;
            }
        }
        crate::fault::point("git index").map_err(io_err(self.repo.path()))?;
        index.write().map_err(staging(Path::new(".git/index")))?;
        lock::sync_index(&self.repo)
    }

    /// Whether a sync was stopped before it finished: files it was changing
    /// may show as changed (DIRTY) until the next sync puts things right.
    pub fn sync_interrupted(&self) -> bool {
        checkout::pending(&self.repo)
    }

    /// Makes sure `.gitignore` keeps live journals out of git (a library made
    /// before snapshots lacks the lines); true when it changed the file.
    pub fn ignore_live_journals(&self) -> Result<bool, LibraryError> {
        let path = inside(&self.root, Path::new(".gitignore"))?;
        let mut text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io_err(&path)(e)),
        };
        let missing: Vec<&str> = GITIGNORE
            .lines()
            .filter(|want| !text.lines().any(|l| l.trim() == *want))
            .collect();
        if missing.is_empty() {
            return Ok(false);
        }
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        for line in missing {
            text.push_str(line);
            text.push('\n');
        }
        write_file(&path, text.as_bytes())?;
        Ok(true)
    }

    /// Commits the index, signed when a signer is given.
    pub fn commit(
        &self,
        message: &str,
        signer: Option<&Signer>,
    ) -> Result<git2::Oid, LibraryError> {
        git::commit_index(&self.repo, message, signer)
    }

    /// The signer configured in the repository the way git itself configures
    /// SSH signing (`gpg.format = ssh`, `commit.gpgsign = true`,
    /// `user.signingkey = PATH`), so grabbag and the git CLI sign alike.
    pub fn configured_signer(&self) -> Result<Option<Signer>, LibraryError> {
        let config = self.repo.config()?;
        let ssh = config.get_string("gpg.format").is_ok_and(|f| f == "ssh");
        let sign = config.get_bool("commit.gpgsign").unwrap_or(false);
        if !(ssh && sign) {
            return Ok(None);
        }
        let key = config.get_path("user.signingkey").map_err(|_| {
            LibraryError::Refused("commit.gpgsign is set but user.signingkey is not".to_owned())
        })?;
        Ok(Some(Signer::from_openssh_file(&key)?))
    }

    /// Configures SSH commit signing in the repository's own config.
    pub fn configure_signing(
        &self,
        key: &Path,
        name: &str,
        email: &str,
    ) -> Result<(), LibraryError> {
        let mut config = self.repo.config()?.open_level(git2::ConfigLevel::Local)?;
        config.set_str("gpg.format", "ssh")?;
        config.set_bool("commit.gpgsign", true)?;
        config.set_str("user.signingkey", &key.to_string_lossy())?;
        config.set_str("user.name", name)?;
        config.set_str("user.email", email)?;
        Ok(())
    }

    /// Fast-forwards the library from `source` (see [`sync::sync`]),
    /// leaving its history cache built for the new head when it keeps one.
    pub fn sync(
        &self,
        source: &Path,
        options: &sync::SyncOptions,
    ) -> Result<sync::SyncReport, sync::SyncError> {
        sync::sync_keyed(&self.root, source, options, self.history_key.as_ref())
    }

    /// The commits that changed runbook file `path`, newest first.
    pub fn history(&self, path: &Path) -> Result<Vec<HistoryEntry>, LibraryError> {
        let head = git::head_commit(&self.repo)?.map(|c| c.id());
        let kept = self.history_key.as_ref().zip(head);
        if let Some((key, head)) = kept
            && let Some(changes) = log_cache::read(&self.repo, key, head, path)
        {
            return changes
                .into_iter()
                .map(|c| {
                    let commit = self.repo.find_commit(c.commit)?;
                    Ok(git::history_entry(&commit, c.blob, c.trust))
                })
                .collect();
        }
        let mut signed = self.signed_history()?;
        let entries = git::history(&self.repo, path, &mut signed)?;
        signed.save_cache();
        if let Some((key, head)) = kept
            && !signed.used_the_clock()
        {
            log_cache::write(&self.repo, key, head, path, &entries);
        }
        Ok(entries)
    }
}

/// `root/relative`, refused (naming `relative`) when it would lead out of the
/// library: a `..`, or a symlink along the way that points outside. Use it for
/// every file or folder under a library: its content comes from other people.
pub fn inside(root: &Path, relative: &Path) -> Result<PathBuf, LibraryError> {
    discover::resolve_inside(root, relative)
        .map_err(|why| LibraryError::Refused(format!("{}: {why}", relative.display())))
}

/// Keeps one runbook per id. Several files claiming one id (a planted file
/// shadowing a genuine runbook, or a slip) are settled without regard to
/// file order: a trusted file beats untrusted ones; otherwise the one file
/// whose path gives the id (`cyber/ransomware.toml.age` for
/// `cyber/ransomware`) beats files that only claim it in their `id`; when
/// that still leaves no single file, none loads. Every refused file becomes
/// a failure naming the others, and a winner carries a warning naming them.
fn settle_duplicate_ids(
    candidates: Vec<LoadedRunbook>,
    failures: &mut Vec<LoadFailure>,
) -> Vec<LoadedRunbook> {
    let mut by_id: BTreeMap<String, Vec<LoadedRunbook>> = BTreeMap::new();
    for r in candidates {
        by_id.entry(r.runbook.id.clone()).or_default().push(r);
    }
    let mut kept = Vec::new();
    for (id, mut claimants) in by_id {
        if claimants.len() == 1 {
            kept.append(&mut claimants);
            continue;
        }
        let single = |pick: &dyn Fn(&LoadedRunbook) -> bool, among: &[usize]| {
            let hits: Vec<usize> = among
                .iter()
                .copied()
                .filter(|&i| pick(&claimants[i]))
                .collect();
            (hits.len() == 1).then(|| hits[0])
        };
        let all: Vec<usize> = (0..claimants.len()).collect();
        let trusted: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| claimants[i].trust.is_trusted())
            .collect();
        let named_after = |r: &LoadedRunbook| id_for(&r.file).as_deref() == Some(id.as_str());
        let (winner, why) = match trusted.len() {
            1 => (Some(trusted[0]), "it is signed by an allowed signer"),
            0 => (single(&named_after, &all), "its path gives the id"),
            _ => (
                single(&named_after, &trusted),
                "it is signed and its path gives the id",
            ),
        };
        let files: Vec<String> = claimants
            .iter()
            .map(|r| r.file.display().to_string())
            .collect();
        for (i, r) in claimants.iter().enumerate() {
            if Some(i) == winner {
                continue;
            }
            let others: Vec<&str> = files
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, f)| f.as_str())
                .collect();
            let message = match winner {
                Some(w) => format!(
                    "duplicate runbook id `{id}`: {} keeps it because {why}; this file is refused",
                    files[w]
                ),
                None => format!(
                    "duplicate runbook id `{id}`: {} claim(s) it too and none can be preferred, so none loads; rename a file or fix its `id`",
                    others.join(", ")
                ),
            };
            failures.push(LoadFailure::new(&r.file, message));
        }
        if let Some(w) = winner {
            let mut r = claimants.swap_remove(w);
            let refused: Vec<&str> = files
                .iter()
                .filter(|f| **f != r.file.display().to_string())
                .map(String::as_str)
                .collect();
            r.warnings.push(Diagnostic::file_level(
                Level::Warning,
                &r.file.to_string_lossy(),
                format!(
                    "other file(s) claim this runbook's id and were refused: {}",
                    refused.join(", ")
                ),
            ));
            kept.push(r);
        }
    }
    kept
}

/// A runbook file as read, decrypted and checked.
pub struct CheckedFile {
    /// The runbook and its diagnostics.
    pub checked: runbook::Checked,
    /// The git blob id of the bytes read.
    pub blob: ReadBlob,
}

/// Reads, decrypts and checks one runbook file found under `root`.
pub fn check_runbook_file(
    root: &Path,
    file: &RunbookFile,
    identities: Option<&Identities>,
    today: NaiveDate,
    recipients_hint: &str,
) -> Result<runbook::Checked, LoadFailure> {
    read_and_check(root, file, identities, today, recipients_hint).map(|c| c.checked)
}

/// [`check_runbook_file`], keeping the blob id of the bytes read.
fn read_and_check(
    root: &Path,
    file: &RunbookFile,
    identities: Option<&Identities>,
    today: NaiveDate,
    recipients_hint: &str,
) -> Result<CheckedFile, LoadFailure> {
    let (text, blob) = plaintext_and_blob(root, file, identities, recipients_hint)?;
    let name = file.path.to_string_lossy();
    Ok(CheckedFile {
        checked: runbook::check(&name, &text, &file.id, today),
        blob,
    })
}

/// [`check_runbook_file`] for every file, spread over the cores (an X25519
/// exchange and a TOML parse a file), with the results in the order of
/// `files`, so which of two duplicate ids loads does not depend on the
/// threads. Each thread takes the next file from a shared index, so a thread
/// that drew large runbooks does not hold the others up.
pub fn check_runbook_files(
    root: &Path,
    files: &[RunbookFile],
    identities: Option<&Identities>,
    today: NaiveDate,
    recipients_hint: &str,
) -> Vec<Result<CheckedFile, LoadFailure>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let next = AtomicUsize::new(0);
    let check_next = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(f) = files.get(i) else { break done };
            done.push((
                i,
                read_and_check(root, f, identities, today, recipients_hint),
            ));
        }
    };
    let numbered: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|_| s.spawn(check_next)).collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut slots: Vec<Option<Result<CheckedFile, LoadFailure>>> =
        files.iter().map(|_| None).collect();
    for (i, checked) in numbered {
        if let Some(slot) = slots.get_mut(i) {
            *slot = Some(checked);
        }
    }
    // A file whose worker died is reported, never silently left out.
    slots
        .into_iter()
        .zip(files)
        .map(|(slot, f)| {
            slot.unwrap_or_else(|| {
                Err(LoadFailure::new(
                    &f.path,
                    "checking this file stopped unexpectedly (a worker thread failed)",
                ))
            })
        })
        .collect()
}

/// Finds runbook files under any folder (not only a library), as lint does.
pub fn discover_in(dir: &Path) -> (Vec<RunbookFile>, Vec<LoadFailure>) {
    discover::discover(dir)
}

/// The text of a file [`discover_in`] found (a runbook, or an exercise in
/// `exercises/`), decrypted in memory when it is `.toml.age`; never on disk.
pub fn read_text(
    root: &Path,
    file: &RunbookFile,
    identities: Option<&Identities>,
) -> Result<Zeroizing<String>, LoadFailure> {
    plaintext(root, file, identities, "")
}

/// The decrypted text of a runbook file, held in memory only.
fn plaintext(
    root: &Path,
    file: &RunbookFile,
    identities: Option<&Identities>,
    recipients_hint: &str,
) -> Result<Zeroizing<String>, LoadFailure> {
    plaintext_and_blob(root, file, identities, recipients_hint).map(|(text, _)| text)
}

/// [`plaintext`], with the git blob id of the bytes read (before
/// decryption): what was shown is pinned by what was read, not by what the
/// index says (see [`Version::pin_read`]).
fn plaintext_and_blob(
    root: &Path,
    file: &RunbookFile,
    identities: Option<&Identities>,
    recipients_hint: &str,
) -> Result<(Zeroizing<String>, ReadBlob), LoadFailure> {
    let bytes = discover::read_bounded(root, &file.path)
        .map_err(|why| LoadFailure::new(&file.path, why))?;
    let blob = ReadBlob::of(&bytes)
        .map_err(|e| LoadFailure::new(&file.path, format!("cannot hash the file's bytes: {e}")))?;
    let plain = if file.encrypted {
        let Some(ids) = identities else {
            return Err(LoadFailure::new(
                &file.path,
                "cannot decrypt: no identity (use --identity, GRABBAG_IDENTITY or the config file; `grabbag init` makes one)",
            ));
        };
        ids.decrypt(&bytes).map_err(|e| {
            let message = match e {
                CryptoError::NotARecipient { .. } => {
                    let hint = if recipients_hint.is_empty() {
                        String::new()
                    } else {
                        format!("; {recipients_hint}")
                    };
                    format!(
                        "cannot decrypt: {e} (identity file {}){hint}",
                        ids.origin().display()
                    )
                }
                other => format!("cannot decrypt: {other}"),
            };
            LoadFailure::new(&file.path, message)
        })?
    } else {
        bytes
    };
    let text = String::from_utf8(plain.to_vec()).map_err(|e| {
        LoadFailure::new(
            &file.path,
            format!(
                "not valid UTF-8 text (first bad byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    Ok((Zeroizing::new(text), blob))
}

/// Refuses a repository whose git folder (or the common one it shares)
/// rewrites parents: libgit2 honours `info/grafts` and `shallow`, so a
/// library copied from a stick with one could show trust, version pinning
/// and `log` a first-parent line its commits do not have (a planted root
/// as the trust anchor). An empty `shallow` names no commit and is let be.
fn refuse_rewritten_history(repo: &git2::Repository) -> Result<(), LibraryError> {
    for dir in [repo.path(), repo.commondir()] {
        for name in ["info/grafts", "shallow"] {
            let file = dir.join(name);
            let Ok(meta) = std::fs::symlink_metadata(&file) else {
                continue;
            };
            if name == "info/grafts" || !meta.is_file() || meta.len() > 0 {
                return Err(LibraryError::RewrittenHistory(file));
            }
        }
    }
    Ok(())
}

/// What a new library's `.gitignore` says: journal locks and `.tail`
/// records (caches for one-shot writers, see `journal::tail`), and live journals
/// (with their signatures, torn tails and rekeyed keys) at the top of
/// `journals/`.
const GITIGNORE: &str = "*.lock\n*.jsonl.tail\n/journals/*.jsonl\n/journals/*.jsonl.sig\n/journals/*.jsonl.torn\n/journals/*.jsonl.key\n";

/// Writes a library file whole or not at all (temp + rename, synced).
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), LibraryError> {
    crate::fault::point("library file").map_err(io_err(path))?;
    crate::fsutil::replace_atomically(path, bytes).map_err(io_err(path))
}

/// Whether `root` is a git repository with SHA-256 object ids (git's
/// `extensions.objectformat`), which libgit2 cannot open.
fn sha256_repository(root: &Path) -> bool {
    git2::Config::open(&root.join(".git").join("config")).is_ok_and(|c| {
        c.get_string("extensions.objectformat")
            .is_ok_and(|f| f.eq_ignore_ascii_case("sha256"))
    })
}

/// libgit2's message, or what to check when it gave none: on a full disk
/// some of its writes fail without setting one, and it says "no error".
fn git_cause(e: &git2::Error) -> String {
    if e.message().is_empty() || e.message() == "no error" {
        "libgit2 gave no reason (most often a full disk or a read-only folder: check both)"
            .to_owned()
    } else {
        e.message().to_owned()
    }
}
