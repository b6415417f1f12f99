//! Journals travel without a server: `grabbag journal push` sends this
//! laptop's live journals to a remote the library already uses (a bare
//! repository on a USB stick, or over SSH), and `grabbag journal pull` brings
//! every other responder's into `journals/received/<sender>/`, where the
//! board reads them.
//!
//! Each sender has one ref on the remote, `refs/grabbag/journals/<sender>`,
//! whose commits hold only that sender's journals (flat: `NAME.jsonl` with
//! its `.sig` and `.key`). Runbooks and the library's branches are never
//! read or written. Journals are append-only, so both directions are
//! fast-forward only, by bytes: what is pushed must extend what the remote
//! holds for the sender, and what is pulled must extend what was received
//! before. Everything received is hostile until checked: names, modes, sizes
//! and counts first (without reading a blob), then each journal's hash chain
//! and signature, and only then is it written, atomically, where the board
//! reads. The design and threat model are in docs/journal-exchange.md.

mod names;
mod transport;

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository};
use serde::Serialize;

use super::{JOURNALS_DIR, Library, LibraryError};
use crate::fsutil;
use crate::journal::store::{MAX_JOURNAL_BYTES, host_name, key_path, read_journal_bytes};
use crate::journal::verify::{
    Format, SignatureStatus, VerifyOptions, VerifyReport, signature_path, verify_with_signature,
};
use crate::text::printable_line;
pub use names::{Kind, check_file, check_sender, sender_from_host};
pub use transport::{JOURNAL_REFS, Remote};

/// Where pulled journals are stored, one folder per sender.
pub const RECEIVED_DIR: &str = "journals/received";

/// The most files one sender's commit may hold; more is refused unread.
pub const MAX_FILES: usize = 1000;

/// The most senders one pull takes; the rest are refused unread.
pub const MAX_SENDERS: usize = 1000;

/// The largest `.sig` or `.key` accepted.
pub const MAX_SIDE_BYTES: u64 = 1 << 20;

/// The git config key (in the library's own `.git/config`) that remembers
/// this laptop's sender name.
pub const SENDER_CONFIG: &str = "grabbag.sender";

/// The line that keeps received journals out of `git status`, added to the
/// library's `.git/info/exclude` (never to a tracked file).
const EXCLUDE_LINE: &str = "/journals/received/";

/// Why a push or pull could not run at all. What is wrong with one journal
/// is a [`Refusal`] in the report instead.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// REMOTE is a path with nothing there.
    #[error(
        "{0}: no such folder (REMOTE is a git repository on a path, e.g. a USB stick's `git init --bare journals.git`, or a URL such as ssh://host/path.git)"
    )]
    RemoteMissing(PathBuf),
    /// REMOTE is a path but not a git repository.
    #[error("{path} is not a git repository (make one with `git init --bare {path}`): {error}")]
    RemoteNotRepository {
        /// REMOTE as given.
        path: PathBuf,
        /// What git2 said.
        error: git2::Error,
    },
    /// A sender name breaks the rule.
    #[error("sender name {name:?} refused: {why}; choose one with --sender NAME")]
    BadSender {
        /// The name, made printable.
        name: String,
        /// Which rule it breaks.
        why: String,
    },
    /// No sender name was given, remembered or derivable.
    #[error(
        "no sender name: this machine's name gives none that can travel; choose one with --sender NAME (lowercase letters, digits, - and _)"
    )]
    NoSender,
    /// No REMOTE was given and the library has no `origin`.
    #[error(
        "no REMOTE given and the library has no `origin` remote: give one (a path such as /media/usb/journals.git, or a URL)"
    )]
    NoRemote,
    /// A URL remote needs the system's `git`, which could not be started.
    #[error(
        "{url} is a URL, which grabbag reaches through the system's `git`, and `git` could not be started ({error}): install git, or use a repository on a path"
    )]
    GitMissing {
        /// The remote.
        url: String,
        /// Why it could not start.
        error: io::Error,
    },
    /// The system's `git` failed.
    #[error("git {what} {url} failed: {message}")]
    GitCommand {
        /// `fetch` or `push`.
        what: String,
        /// The remote.
        url: String,
        /// What git said.
        message: String,
    },
    /// The remote refused the push (another push got there first).
    #[error("{remote} refused {refname}: {message}; nothing changed there. Pull, then push again")]
    PushRejected {
        /// The remote.
        remote: String,
        /// The ref pushed.
        refname: String,
        /// What the remote said.
        message: String,
    },
    /// The repository on a path would lead git elsewhere on this laptop.
    #[error(
        "{path}: {why}; journals travel only through a repository of its own (`git init --bare`)"
    )]
    RemoteRefused {
        /// REMOTE as given.
        path: PathBuf,
        /// What it points at.
        why: String,
    },
    /// This laptop's own ref on the remote could not be read safely, so a
    /// push cannot build on it.
    #[error(
        "{remote} holds {refname} in a form this laptop will not read ({why}): nothing was pushed; remove or repair that ref on the remote by hand"
    )]
    OwnRefUnreadable {
        /// The remote.
        remote: String,
        /// This laptop's ref.
        refname: String,
        /// Why it was not read.
        why: String,
    },
    /// The library could not be locked or read.
    #[error(transparent)]
    Library(#[from] LibraryError),
    /// A git operation failed.
    #[error("{context}: {error}")]
    Git {
        /// What was being done.
        context: String,
        /// What git2 said.
        error: git2::Error,
    },
    /// A file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        error: io::Error,
    },
}

fn git(context: impl Into<String>) -> impl FnOnce(git2::Error) -> ExchangeError {
    let context = context.into();
    move |error| ExchangeError::Git { context, error }
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> ExchangeError + '_ {
    move |error| ExchangeError::Io {
        path: path.to_owned(),
        error,
    }
}

/// One journal (or file) that was not sent or not taken, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// Whose: the sender, made printable.
    pub sender: String,
    /// The file, made printable (empty when the whole sender is refused).
    pub file: String,
    /// Why.
    pub reason: String,
}

/// One journal in a push.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    /// Its file name.
    pub file: String,
    /// Entries sent.
    pub entries: u64,
    /// Bytes sent.
    pub bytes: u64,
    /// Bytes the remote held before (0 for a new journal).
    pub remote_had: u64,
    /// Bytes of a last line still being written, not sent this time.
    pub held_back: u64,
    /// The witness code of the last entry sent.
    pub head: Option<String>,
    /// Its `.sig` travels with it.
    pub signed: bool,
}

/// What a push did.
#[derive(Debug, Clone, Serialize)]
pub struct PushReport {
    /// This laptop's sender name.
    pub sender: String,
    /// The remote.
    pub remote: String,
    /// The journals in the commit pushed (or that would have been).
    pub sent: Vec<Sent>,
    /// Journals the remote holds for this sender that this laptop no longer
    /// has: kept there, never deleted.
    pub kept: Vec<String>,
    /// Journals that stopped the push; when any, nothing was pushed.
    pub refused: Vec<Refusal>,
    /// The commit pushed, when one was.
    pub commit: Option<String>,
    /// The remote already held exactly this.
    pub up_to_date: bool,
}

/// How a received journal compares with the copy received before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrival {
    /// Not received before.
    New,
    /// It grew: new entries stored.
    Grew,
    /// The same as before.
    Unchanged,
    /// The remote holds less than was received before: the copy here is kept.
    Behind,
}

/// One journal taken by a pull.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    /// The sender.
    pub sender: String,
    /// Its file name.
    pub file: String,
    /// Where it is stored, relative to the library.
    pub stored: String,
    /// New, grew, unchanged or behind.
    pub arrival: Arrival,
    /// Entries in the copy received.
    pub entries: u64,
    /// The witness code of its last entry.
    pub head: Option<String>,
    /// Its signature, when a `.sig` travelled: `valid`, `valid, partial`, or
    /// `valid, signer not in allowed_signers` (an invalid one is refused).
    pub signature: Option<String>,
}

/// What a pull did.
#[derive(Debug, Clone, Serialize)]
pub struct PullReport {
    /// This laptop's sender name (its own journals are not pulled).
    pub sender: String,
    /// The remote.
    pub remote: String,
    /// Journals verified and stored (or already there).
    pub received: Vec<Received>,
    /// Journals and files refused, by sender and file: none of them is
    /// stored where the board reads.
    pub refused: Vec<Refusal>,
}

/// The remote to use: REMOTE as given, a remote name the library's git
/// config knows (`origin`), or, with none given, `origin`'s URL.
pub fn resolve_remote(library: &Library, given: Option<&str>) -> Result<Remote, ExchangeError> {
    let config = library.repo().config().map_err(git("reading git config"))?;
    let url_of = |name: &str| config.get_string(&format!("remote.{name}.url")).ok();
    match given {
        Some(text) => Ok(match url_of(text) {
            Some(url) if !text.contains(['/', '\\', ':']) => Remote::parse(&url),
            _ => Remote::parse(text),
        }),
        None => url_of("origin")
            .map(|url| Remote::parse(&url))
            .ok_or(ExchangeError::NoRemote),
    }
}

/// This laptop's sender name: `chosen` (then remembered), else the one
/// remembered in the library's `.git/config`, else made from the machine's
/// name (then remembered, so it stays the same if the machine is renamed).
pub fn sender(library: &Library, chosen: Option<&str>) -> Result<String, ExchangeError> {
    let bad = |name: &str, why: String| ExchangeError::BadSender {
        name: printable_line(name).into_owned(),
        why,
    };
    let remembered = library
        .repo()
        .config()
        .and_then(|c| c.get_string(SENDER_CONFIG))
        .ok();
    let name = match (chosen, &remembered) {
        (Some(name), _) => {
            check_sender(name).map_err(|why| bad(name, why))?;
            name.to_owned()
        }
        (None, Some(name)) => {
            check_sender(name).map_err(|why| {
                bad(
                    name,
                    format!("{why} (it is {SENDER_CONFIG} in the library's .git/config)"),
                )
            })?;
            return Ok(name.clone());
        }
        (None, None) => sender_from_host(&host_name()).ok_or(ExchangeError::NoSender)?,
    };
    if remembered.as_deref() != Some(name.as_str()) {
        library
            .repo()
            .config()
            .and_then(|c| c.open_level(git2::ConfigLevel::Local))
            .and_then(|mut c| c.set_str(SENDER_CONFIG, &name))
            .map_err(git(format!("remembering {SENDER_CONFIG}")))?;
    }
    Ok(name)
}

/// The parts of one journal in a sender's commit.
#[derive(Debug, Default, Clone, Copy)]
struct Parts {
    journal: Option<Oid>,
    signature: Option<Oid>,
    key: Option<Oid>,
}

impl Parts {
    fn get(&self, kind: Kind) -> Option<Oid> {
        match kind {
            Kind::Journal => self.journal,
            Kind::Signature => self.signature,
            Kind::Key => self.key,
        }
    }

    fn slot(&mut self, kind: Kind) -> &mut Option<Oid> {
        match kind {
            Kind::Journal => &mut self.journal,
            Kind::Signature => &mut self.signature,
            Kind::Key => &mut self.key,
        }
    }
}

/// A blob's content, read only after its size was checked.
fn blob(repo: &Repository, id: Oid) -> Result<Vec<u8>, ExchangeError> {
    Ok(repo
        .find_blob(id)
        .map_err(git(format!("reading blob {id}")))?
        .content()
        .to_vec())
}

/// The journals in one sender's commit, by journal name. Everything is
/// checked before any blob is read: the tree's size, each entry's name, its
/// mode (a symbolic link, a submodule or a folder is refused, never
/// followed) and the blob's size from its header. What fails is added to
/// `refused`; what is returned is safe to read.
fn read_commit(
    repo: &Repository,
    commit: Oid,
    sender: &str,
    not_copied: &HashMap<Oid, u64>,
    refused: &mut Vec<Refusal>,
) -> Result<BTreeMap<String, Parts>, ExchangeError> {
    let mut refuse = |file: &str, reason: String| {
        refused.push(Refusal {
            sender: sender.to_owned(),
            file: printable_line(file).into_owned(),
            reason,
        });
    };
    let tree = match repo.find_commit(commit).and_then(|c| c.tree()) {
        Ok(tree) => tree,
        Err(e) => {
            refuse(
                "",
                format!(
                    "{JOURNAL_REFS}{sender} is not a commit with files: {}",
                    e.message()
                ),
            );
            return Ok(BTreeMap::new());
        }
    };
    if tree.len() > MAX_FILES {
        refuse(
            "",
            format!(
                "{} files, more than the {MAX_FILES} a sender may send: nothing taken",
                tree.len()
            ),
        );
        return Ok(BTreeMap::new());
    }
    let odb = repo.odb().map_err(git("opening the library's objects"))?;
    let mut journals: BTreeMap<String, Parts> = BTreeMap::new();
    for entry in tree.iter() {
        let shown = String::from_utf8_lossy(entry.name_bytes()).into_owned();
        let (journal, kind) = match check_file(entry.name_bytes()) {
            Ok(found) => found,
            Err(why) => {
                refuse(&shown, format!("its name is refused: {why}"));
                continue;
            }
        };
        let mode = entry.filemode();
        let why_not = match (entry.kind(), mode) {
            (Some(ObjectType::Blob), 0o100644 | 0o100755) => None,
            (Some(ObjectType::Blob), 0o120000) => Some("a symbolic link: never followed"),
            (Some(ObjectType::Commit), _) => Some("a submodule: only files travel"),
            (Some(ObjectType::Tree), _) => Some("a folder: only files travel"),
            _ => Some("not a regular file"),
        };
        if let Some(why) = why_not {
            refuse(&shown, why.to_owned());
            continue;
        }
        let limit = match kind {
            Kind::Journal => MAX_JOURNAL_BYTES,
            Kind::Signature | Kind::Key => MAX_SIDE_BYTES,
        };
        let size = match not_copied.get(&entry.id()) {
            Some(&size) => Ok(size),
            None => odb.read_header(entry.id()).map(|(size, _)| size as u64),
        };
        match size {
            Ok(size) if size <= limit => {}
            Ok(size) => {
                refuse(
                    &shown,
                    format!("{size} bytes, more than the {limit} allowed"),
                );
                continue;
            }
            Err(e) => {
                refuse(&shown, format!("its content is missing ({})", e.message()));
                continue;
            }
        }
        *journals.entry(journal).or_default().slot(kind) = Some(entry.id());
    }
    journals.retain(|name, parts| {
        if parts.journal.is_none() {
            refuse(name, "a .sig or .key came without its journal".to_owned());
        }
        parts.journal.is_some()
    });
    Ok(journals)
}

/// The complete entries of a journal's bytes: up to and including the last
/// line end. A writer appends whole lines, so anything after it is an entry
/// still being written.
fn complete_entries(bytes: &[u8]) -> &[u8] {
    match bytes.iter().rposition(|&b| b == b'\n') {
        Some(end) => &bytes[..=end],
        None => &[],
    }
}

/// Why a journal that was checked may not travel or be stored, if it may not:
/// a failed verification (with its first problem), a torn tail, or a merged
/// timeline where a responder's own journal belongs.
fn unfit(report: &VerifyReport) -> Option<String> {
    if report.format == Format::Merge {
        return Some(
            "a merged timeline: only a responder's own journals travel (merge after pulling)"
                .to_owned(),
        );
    }
    if !report.ok {
        let why = match (report.problems.first(), &report.signature) {
            (Some(p), _) => format!("byte {}: {}", p.offset, p.message),
            (None, Some(sig)) if sig.status == SignatureStatus::Invalid => {
                format!("signature {}", sig.message)
            }
            _ => "a witness code does not match".to_owned(),
        };
        return Some(format!("fails verification: {}", printable_line(&why)));
    }
    report.torn.map(|torn| {
        format!(
            "fails verification: {} bytes at byte {} are not a whole entry",
            torn.len, torn.offset
        )
    })
}

/// A signature status in words, for a journal that passed.
fn signature_words(report: &VerifyReport) -> Option<String> {
    report.signature.as_ref().map(|sig| {
        match (sig.status, sig.whole_file) {
            (SignatureStatus::Valid, true) => "valid",
            (SignatureStatus::Valid, false) => "valid, partial",
            (SignatureStatus::UnknownSigner, _) => "valid, signer not in allowed_signers",
            (SignatureStatus::Unchecked, _) => "unchecked (no allowed_signers)",
            (SignatureStatus::Invalid, _) => "invalid",
        }
        .to_owned()
    })
}

/// Opens the library's repository for a change: locked against syncs and
/// other exchanges, and with durable writes.
fn open_for_change(library: &Library) -> Result<(Repository, super::ChangeLock), ExchangeError> {
    let repo = Repository::open(library.root())
        .map_err(git(format!("opening {}", library.root().display())))?;
    let lock = super::lock::begin(repo.path())?;
    super::lock::durable(&repo)?;
    Ok((repo, lock))
}

/// A side file of a local journal (`.sig`, `.key`), if there is one.
fn read_side(path: &Path) -> Result<Option<Vec<u8>>, ExchangeError> {
    match fsutil::read_regular(path, MAX_SIDE_BYTES) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(ExchangeError::Io {
            path: path.to_owned(),
            error,
        }),
    }
}

/// Sends this laptop's live journals (the `*.jsonl` at the top of the
/// library's `journals/`, with their `.sig` and `.key`) to `remote` as one
/// commit on `refs/grabbag/journals/<sender>`.
///
/// All or nothing: every journal must verify and extend what the remote
/// holds for it, or nothing is pushed and the report's `refused` says why.
/// A last line still being written is held back (only complete entries
/// travel). Journals the remote holds that this laptop no longer has stay
/// on the remote.
pub fn push(library: &Library, remote: &Remote, sender: &str) -> Result<PushReport, ExchangeError> {
    check_sender(sender).map_err(|why| ExchangeError::BadSender {
        name: printable_line(sender).into_owned(),
        why,
    })?;
    let (repo, _lock) = open_for_change(library)?;
    let signers = library.allowed_signers()?;
    let options = VerifyOptions {
        witnesses: Vec::new(),
        allowed_signers: signers.as_ref(),
        require_known_signer: false,
    };
    let transport::Fetched {
        refs: fetched,
        withheld,
        ..
    } = transport::fetch(&repo, remote, transport::Limits::PULL)?;
    if let Some((_, why)) = withheld.iter().find(|(name, _)| name == sender.as_bytes()) {
        return Err(ExchangeError::OwnRefUnreadable {
            remote: remote.to_string(),
            refname: format!("{JOURNAL_REFS}{sender}"),
            why: why.clone(),
        });
    }
    let parent = fetched
        .iter()
        .find(|(name, _)| name == sender.as_bytes())
        .map(|(_, id)| *id);
    let mut report = PushReport {
        sender: sender.to_owned(),
        remote: remote.to_string(),
        sent: Vec::new(),
        kept: Vec::new(),
        refused: Vec::new(),
        commit: None,
        up_to_date: false,
    };
    let mut held = match parent {
        Some(id) => read_commit(&repo, id, sender, &HashMap::new(), &mut report.refused)?,
        None => BTreeMap::new(),
    };
    for refusal in &mut report.refused {
        refusal.reason = format!(
            "the remote's copy of this laptop's journals holds something refused ({}): repair the remote's {JOURNAL_REFS}{sender} by hand",
            refusal.reason
        );
    }

    let root = library.root();
    let dir = super::inside(root, Path::new(JOURNALS_DIR))?;
    let mut tree: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let refuse = |file: &str, reason: String, report: &mut PushReport| {
        report.refused.push(Refusal {
            sender: sender.to_owned(),
            file: printable_line(file).into_owned(),
            reason,
        });
    };
    for (name, path) in live_journals(&dir)? {
        if let Err(why) = check_file(name.as_bytes()) {
            refuse(
                &name,
                format!("cannot travel: {why}; rename it"),
                &mut report,
            );
            continue;
        }
        let meta = std::fs::symlink_metadata(&path).map_err(io_at(&path))?;
        if !meta.file_type().is_file() {
            refuse(
                &name,
                "not a regular file (a symbolic link is never followed)".to_owned(),
                &mut report,
            );
            continue;
        }
        let bytes = read_journal_bytes(&path).map_err(io_at(&path))?;
        let complete = complete_entries(&bytes);
        if complete.is_empty() {
            continue;
        }
        let sig = read_side(&signature_path(&path))?;
        let key = read_side(&key_path(&path))?;
        let checked = verify_with_signature(&path, complete, sig.as_deref(), &options);
        if let Some(why) = unfit(&checked) {
            refuse(&name, why, &mut report);
            continue;
        }
        let before = held.remove(&name).unwrap_or_default();
        let remote_had = match before.journal {
            Some(id) => {
                let theirs = blob(&repo, id)?;
                if !complete.starts_with(&theirs) {
                    let why = if theirs.starts_with(complete) {
                        "the remote holds more of this journal than this laptop (was it restored from an older copy?)"
                    } else {
                        "the remote holds a version this journal does not extend (it was rewritten, or another journal has this name)"
                    };
                    refuse(
                        &name,
                        format!("{why}: a journal only grows, so the push is refused"),
                        &mut report,
                    );
                    continue;
                }
                theirs.len() as u64
            }
            None => 0,
        };
        // A side file missing here stays as the remote has it: nothing
        // that travelled is ever deleted.
        for (kind, local, theirs) in [
            (Kind::Signature, &sig, before.signature),
            (Kind::Key, &key, before.key),
        ] {
            let content = match (local, theirs) {
                (Some(bytes), _) => Some(bytes.clone()),
                (None, Some(id)) => Some(blob(&repo, id)?),
                (None, None) => None,
            };
            if let Some(content) = content {
                tree.insert(format!("{name}{}", kind.suffix()), content);
            }
        }
        report.sent.push(Sent {
            file: name.clone(),
            entries: checked.entries,
            bytes: complete.len() as u64,
            remote_had,
            held_back: (bytes.len() - complete.len()) as u64,
            head: checked.head.as_ref().map(|h| h.witness.clone()),
            signed: tree.contains_key(&format!("{name}.sig")),
        });
        tree.insert(name, complete.to_vec());
    }
    // What the remote holds that this laptop no longer has stays there.
    for (name, parts) in held {
        report.kept.push(name.clone());
        for kind in [Kind::Journal, Kind::Signature, Kind::Key] {
            if let Some(id) = parts.get(kind) {
                tree.insert(format!("{name}{}", kind.suffix()), blob(&repo, id)?);
            }
        }
    }
    if tree.len() > MAX_FILES {
        report.refused.push(Refusal {
            sender: sender.to_owned(),
            file: String::new(),
            reason: format!(
                "{} files (journals with their .sig and .key), more than the {MAX_FILES} a pull takes from one sender: every other laptop would refuse them all",
                tree.len()
            ),
        });
    }
    if !report.refused.is_empty() {
        return Ok(report);
    }

    let tree_id = write_tree(&repo, &tree)?;
    let parent_commit = match parent {
        Some(id) => Some(
            repo.find_commit(id)
                .map_err(git("reading the remote's commit"))?,
        ),
        None => None,
    };
    if parent_commit.as_ref().map(|c| c.tree_id()) == Some(tree_id) {
        report.up_to_date = true;
        return Ok(report);
    }
    if report.sent.is_empty() && parent_commit.is_none() {
        report.up_to_date = true;
        return Ok(report);
    }
    let tree_obj = repo
        .find_tree(tree_id)
        .map_err(git("reading the new tree"))?;
    let who = repo
        .signature()
        .or_else(|_| git2::Signature::now(sender, &format!("{sender}@grabbag")))
        .map_err(git("making the commit's author"))?;
    let mut message = format!("grabbag journal push from {sender}\n\n");
    for sent in &report.sent {
        message.push_str(&format!(
            "{} ({} entries, head {})\n",
            sent.file,
            sent.entries,
            sent.head.as_deref().unwrap_or("?")
        ));
    }
    let parents: Vec<&git2::Commit<'_>> = parent_commit.iter().collect();
    let commit = repo
        .commit(None, &who, &who, &message, &tree_obj, &parents)
        .map_err(git("writing the journal commit"))?;
    transport::push(&repo, remote, sender, commit, parent)?;
    report.commit = Some(commit.to_string());
    Ok(report)
}

/// The live journals at the top of `dir` (`*.jsonl`), sorted by name.
/// Names that are not UTF-8 are kept (lossily) so they are refused by name.
fn live_journals(dir: &Path) -> Result<Vec<(String, PathBuf)>, ExchangeError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(ExchangeError::Io {
                path: dir.to_owned(),
                error,
            });
        }
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_at(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".jsonl") {
            out.push((name, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Writes a flat tree of regular files.
fn write_tree(repo: &Repository, files: &BTreeMap<String, Vec<u8>>) -> Result<Oid, ExchangeError> {
    let context = "writing the journal commit's files";
    let mut builder = repo.treebuilder(None).map_err(git(context))?;
    for (name, content) in files {
        let id = repo.blob(content).map_err(git(context))?;
        builder.insert(name, id, 0o100644).map_err(git(context))?;
    }
    builder.write().map_err(git(context))
}

/// Takes every other sender's journals from `remote` into
/// `journals/received/<sender>/`. Each journal is checked (names, modes and
/// sizes, then its hash chain and its signature when a `.sig` travels)
/// before it is written, atomically; one that fails, or that does not extend
/// the copy received before, is refused and not stored, and an earlier good
/// copy stays as it was.
pub fn pull(library: &Library, remote: &Remote, sender: &str) -> Result<PullReport, ExchangeError> {
    let (repo, _lock) = open_for_change(library)?;
    let signers = library.allowed_signers()?;
    let options = VerifyOptions {
        witnesses: Vec::new(),
        allowed_signers: signers.as_ref(),
        require_known_signer: false,
    };
    let transport::Fetched {
        refs: mut fetched,
        withheld,
        not_copied,
    } = transport::fetch(&repo, remote, transport::Limits::PULL)?;
    fetched.sort();
    exclude_received(&repo)?;
    let mut report = PullReport {
        sender: sender.to_owned(),
        remote: remote.to_string(),
        received: Vec::new(),
        refused: Vec::new(),
    };
    for (raw, reason) in withheld {
        report.refused.push(Refusal {
            sender: printable_line(&String::from_utf8_lossy(&raw)).into_owned(),
            file: String::new(),
            reason,
        });
    }
    let root = library.root();
    for (n, (raw, commit)) in fetched.into_iter().enumerate() {
        let shown = printable_line(&String::from_utf8_lossy(&raw)).into_owned();
        if n >= MAX_SENDERS {
            report.refused.push(Refusal {
                sender: shown,
                file: String::new(),
                reason: too_many_senders(),
            });
            continue;
        }
        let from = match ref_sender(&raw) {
            Ok(name) => name,
            Err(reason) => {
                report.refused.push(Refusal {
                    sender: shown,
                    file: String::new(),
                    reason,
                });
                continue;
            }
        };
        if from == sender {
            continue;
        }
        let journals = read_commit(&repo, commit, from, &not_copied, &mut report.refused)?;
        for (name, parts) in journals {
            let Some(id) = parts.journal else { continue };
            let rel = Path::new(RECEIVED_DIR).join(from).join(&name);
            match take(&repo, root, &rel, id, parts, &options)? {
                Ok((arrival, checked)) => report.received.push(Received {
                    sender: from.to_owned(),
                    file: name,
                    stored: rel.display().to_string(),
                    arrival,
                    entries: checked.entries,
                    head: checked.head.as_ref().map(|h| h.witness.clone()),
                    signature: signature_words(&checked),
                }),
                Err(reason) => report.refused.push(Refusal {
                    sender: from.to_owned(),
                    file: name,
                    reason,
                }),
            }
        }
    }
    Ok(report)
}

/// The sender a journal ref names (its name below `refs/grabbag/journals/`,
/// raw bytes from the remote), or why it names none that can be stored.
fn ref_sender(raw: &[u8]) -> Result<&str, String> {
    let why = match std::str::from_utf8(raw) {
        Ok(name) => match check_sender(name) {
            Ok(()) => return Ok(name),
            Err(why) => why,
        },
        Err(_) => "not UTF-8".to_owned(),
    };
    let shown = printable_line(&String::from_utf8_lossy(raw)).into_owned();
    Err(format!(
        "the ref {JOURNAL_REFS}{shown} names no sender that can be stored: {why}"
    ))
}

/// Why a sender past [`MAX_SENDERS`] is not read.
fn too_many_senders() -> String {
    format!("more than the {MAX_SENDERS} senders a pull takes: not read")
}

/// Checks one received journal and stores it at `rel` when it passes and
/// extends what is there. The outer error stops the pull; the inner one is
/// a refusal of this journal.
fn take(
    repo: &Repository,
    root: &Path,
    rel: &Path,
    id: Oid,
    parts: Parts,
    options: &VerifyOptions<'_>,
) -> Result<Result<(Arrival, VerifyReport), String>, ExchangeError> {
    // A file the remote left behind, or that is no file at all, is this
    // journal's refusal, not the pull's end.
    let content = match blob(repo, id) {
        Ok(content) => content,
        Err(e) => return Ok(Err(format!("{e}; not stored"))),
    };
    let sig = match parts.signature.map(|s| blob(repo, s)).transpose() {
        Ok(sig) => sig,
        Err(e) => return Ok(Err(format!("its signature: {e}; not stored"))),
    };
    let dest = match super::inside(root, rel) {
        Ok(dest) => dest,
        Err(e) => return Ok(Err(e.to_string())),
    };
    if let Err(e) = fsutil::check_no_links_below(root, &dest) {
        return Ok(Err(e.to_string()));
    }
    let checked = verify_with_signature(&dest, &content, sig.as_deref(), options);
    if let Some(why) = unfit(&checked) {
        return Ok(Err(format!("{why}; not stored")));
    }
    let arrival = match read_journal_bytes(&dest) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Arrival::New,
        Err(e) => return Ok(Err(format!("{}: {e}; not stored", rel.display()))),
        Ok(before) if before == content => Arrival::Unchanged,
        Ok(before) if content.starts_with(&before) => Arrival::Grew,
        Ok(before) if before.starts_with(&content) => Arrival::Behind,
        Ok(_) => {
            return Ok(Err(
                "does not extend the copy received before (a journal only grows: it was rewritten); the earlier copy is kept".to_owned(),
            ));
        }
    };
    if arrival == Arrival::Behind {
        return Ok(Ok((arrival, checked)));
    }
    let folder = fsutil::parent_dir(&dest);
    fsutil::create_private_dir(folder).map_err(io_at(folder))?;
    if arrival != Arrival::Unchanged {
        fsutil::replace_atomically(&dest, &content).map_err(io_at(&dest))?;
    }
    // The journal first: until its `.sig` follows, the old one covers a
    // prefix of it (a partial signature), never more than is there.
    for (side, path) in [
        (sig, signature_path(&dest)),
        (
            parts.key.map(|k| blob(repo, k)).transpose()?,
            key_path(&dest),
        ),
    ] {
        if let Some(bytes) = side
            && fsutil::read_regular(&path, MAX_SIDE_BYTES).ok().as_ref() != Some(&bytes)
        {
            fsutil::replace_atomically(&path, &bytes).map_err(io_at(&path))?;
        }
    }
    Ok(Ok((arrival, checked)))
}

/// Whether `path` is inside the library's `journals/received/`: another
/// laptop's journal, which only its sender writes. Writers refuse it (a
/// received journal is read, never resumed or appended to). Both sides are
/// resolved as far as they exist, so `..` or a linked folder cannot hide it.
pub fn is_received(root: &Path, path: &Path) -> bool {
    let resolve = |p: &Path| -> PathBuf {
        let absolute = std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
        let mut lexical = PathBuf::new();
        for part in absolute.components() {
            match part {
                std::path::Component::ParentDir => {
                    lexical.pop();
                }
                std::path::Component::CurDir => {}
                other => lexical.push(other),
            }
        }
        // The longest part that exists is resolved (links and all); the
        // rest, not there yet, is appended as written.
        let (mut head, mut tail) = (lexical.clone(), Vec::new());
        loop {
            if let Ok(real) = head.canonicalize() {
                return tail.iter().rev().fold(real, |acc, part| acc.join(part));
            }
            match (head.file_name().map(ToOwned::to_owned), head.parent()) {
                (Some(name), Some(parent)) => {
                    tail.push(name);
                    head = parent.to_owned();
                }
                _ => return lexical,
            }
        }
    };
    resolve(path).starts_with(resolve(&root.join(RECEIVED_DIR)))
}

/// Keeps received journals out of `git status` with a line in the library's
/// own `.git/info/exclude`, which is never committed or synced.
fn exclude_received(repo: &Repository) -> Result<(), ExchangeError> {
    let path = repo.path().join("info").join("exclude");
    let mut text = match fsutil::read_regular(&path, MAX_SIDE_BYTES) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(ExchangeError::Io { path, error }),
    };
    if text.lines().any(|l| l.trim() == EXCLUDE_LINE) {
        return Ok(());
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(EXCLUDE_LINE);
    text.push('\n');
    let folder = fsutil::parent_dir(&path);
    std::fs::create_dir_all(folder).map_err(io_at(folder))?;
    fsutil::replace_atomically(&path, text.as_bytes()).map_err(io_at(&path))
}

#[cfg(test)]
mod tests {
    use super::{complete_entries, is_received};

    #[test]
    fn only_complete_entries_travel() {
        assert_eq!(complete_entries(b"{}\n{}\n{\"se"), b"{}\n{}\n");
        assert_eq!(complete_entries(b"{}\n"), b"{}\n");
        assert_eq!(complete_entries(b"{\"se"), b"");
        assert_eq!(complete_entries(b""), b"");
    }

    #[test]
    fn received_journals_are_known_however_they_are_named() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path().join("lib");
        std::fs::create_dir_all(root.join("journals/received/laptop-a"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(is_received(
            &root,
            &root.join("journals/received/laptop-a/x.jsonl")
        ));
        assert!(is_received(
            &root,
            &root.join("journals/other/../received/laptop-a/x.jsonl")
        ));
        assert!(!is_received(&root, &root.join("journals/x.jsonl")));
        assert!(!is_received(
            &root,
            &root.join("journals/receivedx/x.jsonl")
        ));
    }
}
