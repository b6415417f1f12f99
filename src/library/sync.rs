//! Offline sync from a bare repository on removable media or a `git bundle` file.
//!
//! `grabbag sync SOURCE` is how an updated library reaches a laptop that never
//! goes online: someone carries a USB stick with a bare repository (or a
//! bundle file) and the laptop fast-forwards to it. This module owns that
//! whole step: fetching objects with git2 alone (no network transports, no
//! `git` binary), reading bundles itself (git2 cannot fetch one), the trust
//! policy for incoming commits, the fast-forward-only rule, updating the
//! working tree, and the report of which runbooks were added, changed or
//! removed. It never merges: a responder under stress must not be asked to
//! resolve conflicts, so anything but a fast-forward is refused with advice.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use git2::{
    AutotagOption, ErrorCode, FetchOptions, ObjectType, Oid, Repository, Sort, StatusOptions,
    TreeWalkMode, TreeWalkResult,
};

use super::LibraryError;
use super::checkout;
use super::history_cache::CacheKey;
use super::signed_history::{self, SignedHistory};
use super::trust::{self, Trust, TrustError};
use crate::signing::AllowedSigners;

/// The temporary reference a repository source is fetched into.
const SYNC_REF: &str = "refs/grabbag/sync";

/// The longest bundle header line accepted (an object id plus a ref name).
const MAX_HEADER_LINE: usize = 4096;

/// The most header lines (capabilities, prerequisites and refs) accepted.
const MAX_HEADER_LINES: usize = 100_000;

/// Top-level folders whose `.toml` files are not runbooks.
const NOT_RUNBOOK_DIRS: [&str; 3] = [".grabbag/", "journals/", "exercises/"];

/// How to sync.
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Refuse unless every new commit is signed by an allowed signer.
    pub require_signed: bool,
    /// The SOURCE branch to take; default: the library's current branch name
    /// (e.g. `main`). The library's current branch is the one fast-forwarded.
    pub branch: Option<String>,
}

/// A new commit that is not signed by an allowed signer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UntrustedCommit {
    /// Full commit id (hex).
    pub id: String,
    /// First line of the commit message.
    pub summary: String,
    /// Why it is not trusted.
    pub reason: String,
}

/// What a sync did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SyncReport {
    /// The library's head before the sync (hex), `None` for an empty library.
    pub from: Option<String>,
    /// The library's head after the sync (hex).
    pub to: String,
    /// Runbook ids added, sorted.
    pub added: Vec<String>,
    /// Runbook ids whose file changed (or was sealed: `x.toml` to `x.toml.age`), sorted.
    pub changed: Vec<String>,
    /// Runbook ids removed, sorted.
    pub removed: Vec<String>,
    /// Nothing to do: SOURCE had nothing new.
    pub up_to_date: bool,
    /// SOURCE is behind the library (its tip is an ancestor of the library's
    /// head): nothing was done, and the stick may want refreshing.
    pub source_behind: bool,
    /// Number of commits the library gained.
    pub new_commits: usize,
    /// Trust of SOURCE's tip commit.
    pub tip_trust: Trust,
    /// New commits that are not trusted (only when allowed_signers exists and
    /// signatures are not required), oldest first.
    pub untrusted_commits: Vec<UntrustedCommit>,
    /// The commit that made SOURCE's allowed_signers this library's trust
    /// anchor, when the library had none before this sync (trust on first
    /// use: nothing could be checked against).
    pub trust_anchor_set_by: Option<String>,
    /// Live journals (at the top of `journals/`) that SOURCE removed: kept on
    /// disk, no longer tracked, because a responder may be writing them.
    pub kept_journals: Vec<String>,
    /// An earlier sync was interrupted; its files were put back first.
    pub recovered: bool,
}

/// Why a sync was refused or failed. Every refusal says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The library folder is not a git repository.
    #[error("{path} is not a git library: {error}")]
    Library {
        /// The library root.
        path: PathBuf,
        /// What git2 said.
        error: git2::Error,
    },
    /// The library is a bare repository.
    #[error("{path} is a bare repository: sync needs a library with a working tree")]
    BareLibrary {
        /// The library root.
        path: PathBuf,
    },
    /// SOURCE does not exist.
    #[error(
        "{path}: no such file or folder (SOURCE is a bare repository folder, e.g. made by `git clone --bare`, or a file made by `git bundle create`)"
    )]
    SourceMissing {
        /// SOURCE as given.
        path: PathBuf,
    },
    /// SOURCE is a folder but not a git repository.
    #[error(
        "{path} is not a git repository (expected a bare repository, e.g. made by `git clone --bare`, or a bundle file): {error}"
    )]
    SourceNotRepository {
        /// SOURCE as given.
        path: PathBuf,
        /// What git2 said.
        error: git2::Error,
    },
    /// The bundle file is malformed, truncated or unsupported.
    #[error("{path}: {message}")]
    Bundle {
        /// The bundle file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An incremental bundle needs commits the library does not have.
    #[error(
        "{path} is an incremental bundle that needs commit(s) the library does not have: {}; sync the earlier bundle first, or ask for a full bundle (`git bundle create FILE main`)",
        missing.join(", ")
    )]
    MissingPrerequisites {
        /// The bundle file.
        path: PathBuf,
        /// The missing commits (hex, with the bundle's comment when given).
        missing: Vec<String>,
    },
    /// SOURCE has no such branch.
    #[error(
        "{source_path} has no branch {branch:?} (it has: {available}); choose one with --branch"
    )]
    BranchNotFound {
        /// SOURCE as given.
        source_path: PathBuf,
        /// The branch looked for.
        branch: String,
        /// What SOURCE offers.
        available: String,
    },
    /// SOURCE's branch does not point at a commit.
    #[error("{source_path}: {refname} does not point at a commit")]
    NotACommit {
        /// SOURCE as given.
        source_path: PathBuf,
        /// The reference.
        refname: String,
    },
    /// The library's HEAD is not on a branch.
    #[error(
        "the library's HEAD is detached (not on a branch): check out its branch (e.g. `git switch main`), then sync again"
    )]
    DetachedHead,
    /// Tracked files have uncommitted changes.
    #[error(
        "the library has uncommitted changes to tracked files ({}): commit or discard them, then sync again",
        paths.join(", ")
    )]
    DirtyWorkTree {
        /// The changed paths (at most a handful).
        paths: Vec<String>,
    },
    /// SOURCE and the library both have commits the other lacks.
    #[error(
        "{source_path}'s {branch} has diverged from the library (local commit {local} \"{summary}\" is not in {source_path}): sync refuses to merge. Bring SOURCE up to date from this library first (push the library's commits to it, or make a new bundle from here), or merge by hand with git, then sync again"
    )]
    Diverged {
        /// SOURCE as given.
        source_path: PathBuf,
        /// The branch synced.
        branch: String,
        /// Short id of the newest local commit missing from SOURCE.
        local: String,
        /// Its summary line.
        summary: String,
    },
    /// SOURCE's first-parent line does not run through the library's head.
    #[error(
        "{source_path}'s {branch} has the library's history only on a side branch: its first-parent line leaves the library's commits at {joins} \"{summary}\" instead of running through the library's head. Trust is judged along first parents, so such a history could bring back removed signers or older runbooks as signed; sync refused. Merge on top of the library's branch (so its head is the merge's first parent), make the bundle again, then sync"
    )]
    SideBranch {
        /// SOURCE as given.
        source_path: PathBuf,
        /// The branch synced.
        branch: String,
        /// Short id of the first commit on the first-parent line that is not new.
        joins: String,
        /// Its summary line.
        summary: String,
    },
    /// A new commit is not trusted and signatures are required.
    #[error(
        "commit {id} \"{summary}\" from {source_path} is not trusted ({reason}): with signatures required, sync refuses it. Have it signed by a key listed in the library's .grabbag/allowed_signers, or sync without requiring signatures to accept it marked untrusted"
    )]
    Untrusted {
        /// SOURCE as given.
        source_path: PathBuf,
        /// Short id of the first untrusted commit (oldest first).
        id: String,
        /// Its summary line.
        summary: String,
        /// Why it is not trusted.
        reason: String,
    },
    /// SOURCE's history would start trust at another allowed_signers than
    /// the library's own anchor.
    #[error(
        "{source_path} would replace the library's trust anchor: {detail}. A library's allowed signers change only by a commit signed by a key it already allows; sync refused"
    )]
    AnchorReplaced {
        /// SOURCE as given.
        source_path: PathBuf,
        /// Which anchors differ.
        detail: String,
    },
    /// Signatures are required but there is nothing to check them against.
    #[error(
        "signatures are required but the library has no .grabbag/allowed_signers: add one (a line per signer: `name@council namespaces=\"git\" ssh-ed25519 AAAA...`), commit it, then sync again"
    )]
    NoAllowedSigners,
    /// SOURCE's tip tree is missing objects (a broken repository or bundle).
    #[error(
        "{source_path} is incomplete: {count} object(s) of the new runbooks are missing (first: {first}); make the bare repository or bundle again"
    )]
    Incomplete {
        /// SOURCE as given.
        source_path: PathBuf,
        /// How many objects are missing.
        count: usize,
        /// Path of the first missing file.
        first: String,
    },
    /// SOURCE changes a journal this laptop is writing.
    #[error(
        "{path} is a live journal on this laptop (it may be being written right now) and SOURCE has a different version of it: sync never replaces a live journal. Nothing was changed. Move the file aside (and commit it with `grabbag journal commit`), then sync again"
    )]
    LiveJournal {
        /// The journal, relative to the library.
        path: String,
    },
    /// An interrupted sync cannot be put back: files it wrote changed since.
    #[error(
        "an earlier sync was interrupted, and files it was changing have been changed since ({}): nothing was changed now. Restore them (`git checkout -- FILE` in the library) or move them aside, then sync again",
        paths.join(", ")
    )]
    Interrupted {
        /// The changed paths.
        paths: Vec<String>,
    },
    /// The library is locked or could not be prepared for a change.
    #[error(transparent)]
    Change(#[from] LibraryError),
    /// Untracked files would be overwritten by files from SOURCE.
    #[error(
        "untracked files in the library are in the way of files from SOURCE ({}): move them aside, then sync again",
        paths.join(", ")
    )]
    InTheWay {
        /// The untracked paths.
        paths: Vec<String>,
    },
    /// The allowed signers could not be read.
    #[error(transparent)]
    Trust(#[from] TrustError),
    /// A git operation failed.
    #[error("{context}: {error}")]
    Git {
        /// What was being done.
        context: String,
        /// What git2 said.
        error: git2::Error,
    },
    /// A file could not be read.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        error: io::Error,
    },
}

/// Attach context to a git2 error.
fn git(context: impl Into<String>) -> impl FnOnce(git2::Error) -> SyncError {
    let context = context.into();
    move |error| SyncError::Git { context, error }
}

/// The runbook id for a path in the library, or `None` when the path is not a
/// runbook: runbooks end in `.toml.age` or `.toml` and live outside
/// `.grabbag/`, `journals/` and `exercises/`. The id is the path without the
/// extension: `cyber/ransomware.toml.age` is `cyber/ransomware`.
pub fn runbook_id_for_path(path: &str) -> Option<String> {
    if NOT_RUNBOOK_DIRS.iter().any(|dir| path.starts_with(dir)) {
        return None;
    }
    super::discover::id_for(Path::new(path))
}

/// Fast-forward the library at `library_root` to SOURCE (a repository folder
/// or a bundle file), applying the library's trust policy.
///
/// Steps: the library must be on a branch with no uncommitted changes to
/// tracked files; objects are fetched; SOURCE's branch must descend from the
/// library's head; with an allowed_signers file every new commit's trust is
/// checked (and, with `require_signed`, must be trusted); then the new tree is
/// checked out and the branch moved. Objects fetched before a refusal stay in
/// the object database unreferenced (as with `git fetch`); they change
/// nothing and `git gc` prunes them.
///
/// This form keeps no history cache; [`super::Library::sync`] builds the
/// library's cache as it goes.
pub fn sync(
    library_root: &Path,
    source: &Path,
    options: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    sync_keyed(library_root, source, options, None)
}

/// [`sync`], leaving the history cache kept under `key` built for the new
/// head (see [`super::history_cache`]), so the first load after a long
/// history arrives does not walk it again: the walk trust needs anyway is
/// the one that fills the cache.
pub(super) fn sync_keyed(
    library_root: &Path,
    source: &Path,
    options: &SyncOptions,
    key: Option<&CacheKey>,
) -> Result<SyncReport, SyncError> {
    let repo = Repository::open(library_root).map_err(|error| SyncError::Library {
        path: library_root.to_path_buf(),
        error,
    })?;
    if repo.is_bare() {
        return Err(SyncError::BareLibrary {
            path: library_root.to_path_buf(),
        });
    }
    let _lock = super::lock::begin(repo.path())?;
    super::lock::durable(&repo)?;
    let head_ref = current_branch(&repo)?;
    let branch = match &options.branch {
        Some(b) => b.clone(),
        None => head_ref
            .strip_prefix("refs/heads/")
            .unwrap_or(&head_ref)
            .to_owned(),
    };
    let old = match repo.refname_to_id(&head_ref) {
        Ok(id) => Some(id),
        Err(e) if e.code() == ErrorCode::NotFound => None,
        Err(e) => return Err(git(format!("reading {head_ref}"))(e)),
    };
    let recovered = checkout::recover(&repo, old)?;
    ensure_clean(&repo)?;

    // Trust comes from the library's signed history (see signed_history),
    // anchored before anything is fetched and never in SOURCE's files:
    // otherwise a stick could add its own key to allowed_signers in the very
    // commits it asks us to trust. Only an empty library believes a file: an
    // allowed_signers put there by hand before the first sync.
    let anchor = match old {
        Some(old) => signed_history::anchor(&repo, old)?,
        None => None,
    };
    let bootstrap = match old {
        Some(_) => None,
        None => trust::working_tree_text(library_root)?,
    };
    if let Some((text, path)) = &bootstrap {
        AllowedSigners::parse(text, path).map_err(TrustError::from)?;
    }
    if options.require_signed && anchor.is_none() && bootstrap.is_none() {
        return Err(SyncError::NoAllowedSigners);
    }

    let tip = if source.is_dir() {
        fetch_repository(&repo, source, &branch)?
    } else if source.is_file() {
        fetch_bundle(&repo, source, &branch)?
    } else {
        return Err(SyncError::SourceMissing {
            path: source.to_path_buf(),
        });
    };
    super::lock::sync_packs(&repo)?;
    let tip_commit = repo.find_commit(tip).map_err(|_| SyncError::NotACommit {
        source_path: source.to_path_buf(),
        refname: format!("refs/heads/{branch}"),
    })?;
    // The cache's records are facts about commits computed from git, read
    // only under this user's key; trust is judged from them exactly as
    // without. The verdicts reached here (one per new commit) are not kept:
    // a load asks only for each runbook's last change, and a cache holding
    // every commit's verdict would make every later load read more.
    let mut history = SignedHistory::open_cached(&repo, Some(tip), key)?.keeping_no_verdicts();
    let tip_trust = history.trust(tip)?;

    let mut report = SyncReport {
        from: old.map(|o| o.to_string()),
        to: tip.to_string(),
        added: Vec::new(),
        changed: Vec::new(),
        removed: Vec::new(),
        up_to_date: false,
        source_behind: false,
        new_commits: 0,
        tip_trust,
        untrusted_commits: Vec::new(),
        trust_anchor_set_by: None,
        kept_journals: Vec::new(),
        recovered,
    };
    if let Some(old) = old {
        if old == tip {
            report.up_to_date = true;
            return Ok(report);
        }
        let descends = |a, b| {
            repo.graph_descendant_of(a, b)
                .map_err(git("comparing the library with SOURCE"))
        };
        if descends(old, tip)? {
            report.up_to_date = true;
            report.source_behind = true;
            report.to = old.to_string();
            report.tip_trust = SignedHistory::open(&repo, Some(old))?.trust(old)?;
            return Ok(report);
        }
        if !descends(tip, old)? {
            let (local, summary) = first_missing_commit(&repo, old, tip)?;
            return Err(SyncError::Diverged {
                source_path: source.to_path_buf(),
                branch,
                local,
                summary,
            });
        }
    }

    let new_anchor = history.anchor();
    match (anchor, &bootstrap, new_anchor) {
        (Some(ours), _, theirs) if theirs != Some(ours) => {
            return Err(SyncError::AnchorReplaced {
                source_path: source.to_path_buf(),
                detail: format!(
                    "the library's trust starts at commit {} but SOURCE's history starts it {}",
                    short(ours.commit),
                    theirs.map_or_else(
                        || "nowhere (no allowed_signers on its first-parent line)".to_owned(),
                        |t| format!("at commit {}", short(t.commit))
                    )
                ),
            });
        }
        (None, Some((text, path)), theirs) => {
            let same = match theirs {
                Some(t) => {
                    repo.find_blob(t.blob)
                        .map_err(git("reading SOURCE's allowed_signers"))?
                        .content()
                        == text.as_bytes()
                }
                None => false,
            };
            if !same {
                return Err(SyncError::AnchorReplaced {
                    source_path: source.to_path_buf(),
                    detail: format!(
                        "the first allowed_signers in SOURCE's history{} is not the {} this empty library holds",
                        theirs
                            .map_or_else(String::new, |t| format!(" (commit {})", short(t.commit))),
                        path.display()
                    ),
                });
            }
        }
        (None, None, Some(theirs)) => {
            report.trust_anchor_set_by = Some(theirs.commit.to_string());
        }
        _ => {}
    }

    let new_commits = new_commits(&repo, tip, old)?;
    // Trust follows first parents (signed_history), so the library's head
    // must stay on SOURCE's first-parent line: a merge whose first parent is
    // an old fork would judge everything after it by the fork's signers,
    // bringing back removed signers and older runbooks as signed.
    let merged_at = match old {
        Some(old) => side_branches(&repo, tip, old, &new_commits).map_err(|e| match e {
            Leaves::At(joins) => SyncError::SideBranch {
                source_path: source.to_path_buf(),
                branch: branch.clone(),
                joins: short(joins),
                summary: summary_of(&repo, joins),
            },
            Leaves::Git(error) => git("following SOURCE's first parents")(error),
        })?,
        None => HashMap::new(),
    };
    report.new_commits = new_commits.len();
    if history.anchor().is_some() {
        for id in &new_commits {
            let mut trust = history.trust(*id)?;
            if let (true, Some(&merge_parent)) = (trust.is_trusted(), merged_at.get(id))
                && let Trust::Untrusted { reason } = history.trust_at(*id, merge_parent)?
            {
                trust = Trust::Untrusted {
                    reason: format!(
                        "{reason}, judged by the signers in force where its branch was merged (after {}): a side branch keeps only the signers still allowed there",
                        short(merge_parent)
                    ),
                };
            }
            if let Trust::Untrusted { reason } = trust {
                let summary = summary_of(&repo, *id);
                if options.require_signed {
                    return Err(SyncError::Untrusted {
                        source_path: source.to_path_buf(),
                        id: short(*id),
                        summary,
                        reason,
                    });
                }
                report.untrusted_commits.push(UntrustedCommit {
                    id: id.to_string(),
                    summary,
                    reason,
                });
            }
        }
    }

    let new_tree = tip_commit.tree().map_err(git("reading SOURCE's tree"))?;
    ensure_complete(&repo, &new_tree, source)?;
    let old_tree = match old {
        Some(o) => Some(
            repo.find_commit(o)
                .and_then(|c| c.tree())
                .map_err(git("reading the library's tree"))?,
        ),
        None => None,
    };
    let changes = runbook_changes(&repo, old_tree.as_ref(), &new_tree)?;
    report.added = changes.added;
    report.changed = changes.changed;
    report.removed = changes.removed;

    report.kept_journals =
        checkout::apply(&repo, (old, old_tree.as_ref()), (tip, &new_tree))?.kept_journals;
    let log = format!("grabbag sync: fast-forward from {}", source.display());
    crate::fault::point("sync branch").map_err(|error| SyncError::Io {
        path: repo.path().join(&head_ref),
        error,
    })?;
    let moved = match old {
        Some(o) => repo.reference_matching(&head_ref, tip, true, o, &log),
        None => repo.reference(&head_ref, tip, false, &log),
    };
    moved.map_err(git(format!(
        "the files were updated but {head_ref} could not be moved to {tip} (run sync again to put the files back and retry)"
    )))?;
    checkout::finish(&repo)?;
    // Only now is the tip the library's head: the cache is written for it.
    history.save_cache();
    Ok(report)
}

/// The full name of the branch HEAD is on (which may be unborn).
fn current_branch(repo: &Repository) -> Result<String, SyncError> {
    let head = repo
        .find_reference("HEAD")
        .map_err(git("reading the library's HEAD"))?;
    match head.symbolic_target() {
        Ok(Some(target)) if target.starts_with("refs/heads/") => Ok(target.to_owned()),
        Ok(_) => Err(SyncError::DetachedHead),
        Err(e) => Err(git("reading the library's HEAD")(e)),
    }
}

/// Refuse when tracked files differ from HEAD (in the index or on disk).
/// Untracked files are fine unless the new tree would overwrite them, which
/// the checkout detects.
fn ensure_clean(repo: &Repository) -> Result<(), SyncError> {
    let mut opts = StatusOptions::new();
    opts.include_untracked(false)
        .include_ignored(false)
        .exclude_submodules(true);
    let statuses = repo
        .statuses(Some(&mut opts))
        .map_err(git("checking the library for uncommitted changes"))?;
    let dirty: Vec<String> = statuses
        .iter()
        .filter(|s| s.status() != git2::Status::CURRENT)
        .map(|s| String::from_utf8_lossy(s.path_bytes()).into_owned())
        .filter(|path| !only_grew(repo, path))
        .collect();
    if dirty.is_empty() {
        return Ok(());
    }
    let mut paths: Vec<String> = dirty.iter().take(5).cloned().collect();
    if dirty.len() > paths.len() {
        paths.push(format!("and {} more", dirty.len() - paths.len()));
    }
    Err(SyncError::DirtyWorkTree { paths })
}

/// Whether `path` is a live journal whose file only grew since HEAD's version
/// (entries appended after `journal commit`): that is not a change that
/// blocks a sync, and the sync never touches the file.
fn only_grew(repo: &Repository, path: &str) -> bool {
    if !checkout::is_live_journal(path) {
        return false;
    }
    let committed = repo
        .head()
        .and_then(|h| h.peel_to_tree())
        .and_then(|t| t.get_path(Path::new(path)))
        .and_then(|e| repo.find_blob(e.id()));
    let Ok(committed) = committed else {
        return false;
    };
    let Some(workdir) = repo.workdir() else {
        return false;
    };
    let Ok(mut file) = File::open(workdir.join(path)) else {
        return false;
    };
    let want = committed.content();
    let mut start = Vec::with_capacity(want.len());
    file.by_ref()
        .take(want.len() as u64)
        .read_to_end(&mut start)
        .is_ok_and(|_| start == want)
}

/// Fetch `branch` from a repository folder (bare or not) into the library;
/// returns the fetched tip.
fn fetch_repository(repo: &Repository, source: &Path, branch: &str) -> Result<Oid, SyncError> {
    let source_repo = Repository::open(source).map_err(|error| SyncError::SourceNotRepository {
        path: source.to_path_buf(),
        error,
    })?;
    let wanted = format!("refs/heads/{branch}");
    if let Err(e) = source_repo.find_reference(&wanted) {
        if e.code() != ErrorCode::NotFound {
            return Err(git(format!("reading {wanted} in {}", source.display()))(e));
        }
        let branches = source_repo
            .references_glob("refs/heads/*")
            .map_err(git(format!("listing branches of {}", source.display())))?
            .names()
            .filter_map(|n| {
                n.ok()
                    .map(|n| n.trim_start_matches("refs/heads/").to_owned())
            })
            .collect::<Vec<_>>();
        return Err(SyncError::BranchNotFound {
            source_path: source.to_path_buf(),
            branch: branch.to_owned(),
            available: list_or_none(&branches),
        });
    }
    drop(source_repo);

    // libgit2's local transport copies objects from a path with no network
    // code at all, and takes care of what the library already has.
    let absolute = std::path::absolute(source).map_err(|error| SyncError::Io {
        path: source.to_path_buf(),
        error,
    })?;
    let url = absolute.to_str().ok_or_else(|| SyncError::Io {
        path: source.to_path_buf(),
        error: io::Error::new(io::ErrorKind::InvalidInput, "the path is not valid UTF-8"),
    })?;
    let context = format!("fetching {branch} from {}", source.display());
    let mut remote = repo.remote_anonymous(url).map_err(git(&context))?;
    let mut fetch = FetchOptions::new();
    fetch
        .download_tags(AutotagOption::None)
        .update_fetchhead(false);
    let refspec = format!("+{wanted}:{SYNC_REF}");
    remote
        .fetch(&[refspec.as_str()], Some(&mut fetch), None)
        .map_err(git(&context))?;
    let tip = repo.refname_to_id(SYNC_REF).map_err(git(&context))?;
    // The objects are in; the temporary ref would only keep unvetted commits
    // alive, so it goes now whatever happens next.
    if let Ok(mut r) = repo.find_reference(SYNC_REF) {
        r.delete().map_err(git(format!("removing {SYNC_REF}")))?;
    }
    Ok(tip)
}

/// A parsed bundle header.
#[derive(Debug, Default)]
pub(crate) struct BundleHeader {
    /// Commits the bundle's pack builds on, with their comments.
    pub(crate) prerequisites: Vec<(Oid, String)>,
    /// The refs the bundle carries.
    pub(crate) refs: Vec<(Oid, String)>,
}

/// Read objects from a `git bundle` file (v2 or v3) into the library;
/// returns the tip for `branch`.
fn fetch_bundle(repo: &Repository, source: &Path, branch: &str) -> Result<Oid, SyncError> {
    let bad = |message: String| SyncError::Bundle {
        path: source.to_path_buf(),
        message,
    };
    let io_err = |error| SyncError::Io {
        path: source.to_path_buf(),
        error,
    };
    let file = File::open(source).map_err(io_err)?;
    let size = file.metadata().map_err(io_err)?.len();
    // Never read past the size the file had when opened.
    let mut reader = BufReader::new(file.take(size));
    let header = read_bundle_header(&mut reader).map_err(|e| match e {
        HeaderError::Io(error) => io_err(error),
        HeaderError::Bad(message) => bad(message),
    })?;

    let wanted = format!("refs/heads/{branch}");
    let tip = match header.refs.iter().find(|(_, name)| *name == wanted) {
        Some((oid, _)) => *oid,
        None => match header.refs.as_slice() {
            [(oid, name)] if name == "HEAD" => *oid,
            refs => {
                let names: Vec<String> = refs.iter().map(|(_, n)| n.clone()).collect();
                return Err(SyncError::BranchNotFound {
                    source_path: source.to_path_buf(),
                    branch: branch.to_owned(),
                    available: list_or_none(&names),
                });
            }
        },
    };

    let missing: Vec<String> = header
        .prerequisites
        .iter()
        .filter(|(oid, _)| repo.find_commit(*oid).is_err())
        .map(|(oid, comment)| {
            if comment.is_empty() {
                oid.to_string()
            } else {
                format!("{oid} ({comment})")
            }
        })
        .collect();
    if !missing.is_empty() {
        return Err(SyncError::MissingPrerequisites {
            path: source.to_path_buf(),
            missing,
        });
    }

    let start = reader.fill_buf().map_err(io_err)?;
    if !start.starts_with(b"PACK") {
        return Err(bad(if start.is_empty() {
            "truncated git bundle: no packfile after the header".into()
        } else {
            "damaged git bundle: the header is not followed by a packfile".into()
        }));
    }
    let odb = repo.odb().map_err(git("opening the library's objects"))?;
    // The odb's pack writer indexes as it goes and completes thin packs
    // (bundles are thin: deltas against prerequisite objects) from the odb.
    let mut writer = odb
        .packwriter()
        .map_err(git("preparing to store the bundle's objects"))?;
    io::copy(&mut reader, &mut writer).map_err(|e| {
        // git2's writer reports every indexer failure as "Write error"; the
        // reason is in libgit2's last error for this thread.
        let reason = if e.kind() == io::ErrorKind::Other {
            git2::Error::last_error(-1).message().to_owned()
        } else {
            e.to_string()
        };
        bad(format!("damaged or truncated packfile: {reason}"))
    })?;
    writer
        .commit()
        .map_err(|e| bad(format!("damaged or truncated packfile: {}", e.message())))?;
    if !odb.exists(tip) {
        return Err(bad(format!(
            "the bundle's packfile does not contain its own tip {tip}"
        )));
    }
    Ok(tip)
}

/// Why a bundle header could not be read.
pub(crate) enum HeaderError {
    Io(io::Error),
    Bad(String),
}

impl From<io::Error> for HeaderError {
    fn from(e: io::Error) -> Self {
        HeaderError::Io(e)
    }
}

/// Parse a bundle header up to and including its blank line, leaving the
/// reader at the packfile. Lines are bounded so a hostile file cannot make us
/// buffer without limit.
pub(crate) fn read_bundle_header(reader: &mut impl BufRead) -> Result<BundleHeader, HeaderError> {
    let bad = |m: String| HeaderError::Bad(m);
    let mut buf = Vec::new();
    let mut read_line = |reader: &mut dyn BufRead, number: usize| -> Result<String, HeaderError> {
        buf.clear();
        reader
            .take(MAX_HEADER_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)?;
        if buf.last() != Some(&b'\n') {
            return Err(if buf.len() > MAX_HEADER_LINE {
                bad(format!(
                    "not a usable git bundle: header line {number} is longer than {MAX_HEADER_LINE} bytes"
                ))
            } else if number == 1 {
                bad(not_a_bundle())
            } else {
                bad("truncated git bundle: the file ends inside the header".into())
            });
        }
        buf.pop();
        String::from_utf8(buf.clone()).map_err(|_| {
            bad(format!(
                "damaged git bundle: header line {number} is not text"
            ))
        })
    };

    let first = read_line(reader, 1).map_err(|e| match e {
        HeaderError::Bad(_) => bad(not_a_bundle()),
        other => other,
    })?;
    let v3 = match first.as_str() {
        "# v2 git bundle" => false,
        "# v3 git bundle" => true,
        _ => return Err(bad(not_a_bundle())),
    };
    let mut header = BundleHeader::default();
    for number in 2.. {
        if number > MAX_HEADER_LINES {
            return Err(bad(format!(
                "not a usable git bundle: more than {MAX_HEADER_LINES} header lines"
            )));
        }
        let line = read_line(reader, number)?;
        if line.is_empty() {
            break;
        }
        if let Some(capability) = line.strip_prefix('@') {
            if !v3 {
                return Err(bad(format!(
                    "damaged git bundle: capability line {number} in a v2 bundle"
                )));
            }
            match capability {
                "object-format=sha1" => {}
                c if c.starts_with("object-format=") => {
                    return Err(bad(format!(
                        "unsupported git bundle: {c} (grabbag libraries use SHA-1 object ids)"
                    )));
                }
                c if c.starts_with("filter=") => {
                    return Err(bad(format!(
                        "unsupported git bundle: {c} (a partial bundle lacks files; make a full one)"
                    )));
                }
                c => return Err(bad(format!("unsupported git bundle capability @{c}"))),
            }
        } else if let Some(rest) = line.strip_prefix('-') {
            let (hex, comment) = rest.split_once(' ').unwrap_or((rest, ""));
            let oid = parse_oid(hex).ok_or_else(|| {
                bad(format!(
                    "damaged git bundle: bad prerequisite on header line {number}"
                ))
            })?;
            header.prerequisites.push((oid, comment.to_owned()));
        } else {
            let (hex, name) = line.split_once(' ').unwrap_or((&line, ""));
            let oid = parse_oid(hex).filter(|_| !name.is_empty()).ok_or_else(|| {
                bad(format!(
                    "damaged git bundle: bad ref on header line {number}"
                ))
            })?;
            header.refs.push((oid, name.to_owned()));
        }
    }
    if header.refs.is_empty() {
        return Err(bad("git bundle lists no refs".into()));
    }
    Ok(header)
}

fn not_a_bundle() -> String {
    "not a git bundle (the first line should be `# v2 git bundle` or `# v3 git bundle`; make one with `git bundle create FILE main`)".into()
}

/// A full 40-digit hex object id (git2's `Oid::from_str` also takes prefixes).
fn parse_oid(hex: &str) -> Option<Oid> {
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Oid::from_str(hex).ok()
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

fn short(id: Oid) -> String {
    id.to_string().chars().take(10).collect()
}

fn summary_of(repo: &Repository, id: Oid) -> String {
    repo.find_commit(id)
        .ok()
        .and_then(|c| {
            c.summary_bytes()
                .map(|s| String::from_utf8_lossy(s).into_owned())
        })
        .unwrap_or_default()
}

/// The newest commit of the library that SOURCE's tip lacks, for the
/// "diverged" message.
fn first_missing_commit(
    repo: &Repository,
    old: Oid,
    tip: Oid,
) -> Result<(String, String), SyncError> {
    let context = "finding the library's commits missing from SOURCE";
    let mut walk = repo.revwalk().map_err(git(context))?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)
        .map_err(git(context))?;
    walk.push(old).map_err(git(context))?;
    walk.hide(tip).map_err(git(context))?;
    let id = match walk.next() {
        Some(id) => id.map_err(git(context))?,
        None => old,
    };
    Ok((short(id), summary_of(repo, id)))
}

/// Why [`side_branches`] failed.
enum Leaves {
    /// The first-parent line leaves the new commits at this commit.
    At(Oid),
    /// A git operation failed.
    Git(git2::Error),
}

impl From<git2::Error> for Leaves {
    fn from(e: git2::Error) -> Self {
        Leaves::Git(e)
    }
}

/// Checks that `old` is on `tip`'s first-parent line, then maps each new
/// commit on a side branch to the first parent of the (oldest) merge on
/// that line that brings it in.
fn side_branches(
    repo: &Repository,
    tip: Oid,
    old: Oid,
    new: &[Oid],
) -> Result<HashMap<Oid, Oid>, Leaves> {
    let new_set: HashSet<Oid> = new.iter().copied().collect();
    let mut line = Vec::new();
    let mut at = tip;
    while at != old {
        if !new_set.contains(&at) {
            return Err(Leaves::At(at));
        }
        line.push(at);
        // A root among the new commits: the line never reaches `old`.
        at = repo
            .find_commit(at)?
            .parent_id(0)
            .map_err(|_| Leaves::At(at))?;
    }
    let mut merged_at = HashMap::new();
    for merge in line.iter().rev() {
        let commit = repo.find_commit(*merge)?;
        let Ok(first) = commit.parent_id(0) else {
            continue;
        };
        for side in commit.parent_ids().skip(1) {
            let mut walk = repo.revwalk()?;
            walk.push(side)?;
            walk.hide(first)?;
            walk.hide(old)?;
            for id in walk {
                merged_at.entry(id?).or_insert(first);
            }
        }
    }
    Ok(merged_at)
}

/// Commits reachable from `tip` but not from `old`, oldest first.
fn new_commits(repo: &Repository, tip: Oid, old: Option<Oid>) -> Result<Vec<Oid>, SyncError> {
    let context = "listing the new commits (SOURCE may be incomplete)";
    let mut walk = repo.revwalk().map_err(git(context))?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
        .map_err(git(context))?;
    walk.push(tip).map_err(git(context))?;
    if let Some(old) = old {
        walk.hide(old).map_err(git(context))?;
    }
    walk.map(|id| id.map_err(git(context))).collect()
}

/// Refuse before touching any file if the new tree lacks objects.
fn ensure_complete(
    repo: &Repository,
    tree: &git2::Tree<'_>,
    source: &Path,
) -> Result<(), SyncError> {
    let odb = repo.odb().map_err(git("opening the library's objects"))?;
    let mut missing = Vec::new();
    let walked = tree.walk(TreeWalkMode::PreOrder, |root, entry| {
        let exists = match entry.kind() {
            Some(ObjectType::Blob) | Some(ObjectType::Tree) => odb.exists(entry.id()),
            // Submodules (commits) are not stored here.
            _ => true,
        };
        if !exists {
            missing.push(format!(
                "{root}{}",
                String::from_utf8_lossy(entry.name_bytes())
            ));
            // A missing subtree cannot be descended into.
            return TreeWalkResult::Skip;
        }
        TreeWalkResult::Ok
    });
    if let Err(e) = walked
        && missing.is_empty()
    {
        return Err(git("checking SOURCE's files")(e));
    }
    match missing.first() {
        None => Ok(()),
        Some(first) => Err(SyncError::Incomplete {
            source_path: source.to_path_buf(),
            count: missing.len(),
            first: first.clone(),
        }),
    }
}

/// Runbook ids added, changed and removed between two trees, each sorted.
#[derive(Debug, Default)]
struct RunbookChanges {
    added: Vec<String>,
    changed: Vec<String>,
    removed: Vec<String>,
}

/// Compare two trees by runbook id. A runbook whose extension changed
/// (sealed or unsealed) counts as changed, not as removed and added.
fn runbook_changes(
    repo: &Repository,
    old: Option<&git2::Tree<'_>>,
    new: &git2::Tree<'_>,
) -> Result<RunbookChanges, SyncError> {
    let diff = repo
        .diff_tree_to_tree(old, Some(new), None)
        .map_err(git("comparing the library's runbooks"))?;
    let (mut added, mut changed, mut removed) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for delta in diff.deltas() {
        let path_of = |file: git2::DiffFile<'_>| {
            file.path_bytes()
                .map(|p| String::from_utf8_lossy(p).into_owned())
        };
        match delta.status() {
            git2::Delta::Added => {
                if let Some(id) = path_of(delta.new_file()).and_then(|p| runbook_id_for_path(&p)) {
                    added.insert(id);
                }
            }
            git2::Delta::Deleted => {
                if let Some(id) = path_of(delta.old_file()).and_then(|p| runbook_id_for_path(&p)) {
                    removed.insert(id);
                }
            }
            _ => {
                if let Some(id) = path_of(delta.new_file()).and_then(|p| runbook_id_for_path(&p)) {
                    changed.insert(id);
                }
            }
        }
    }
    let both: Vec<String> = added.intersection(&removed).cloned().collect();
    for id in both {
        added.remove(&id);
        removed.remove(&id);
        changed.insert(id);
    }
    Ok(RunbookChanges {
        added: added.into_iter().collect(),
        changed: changed.into_iter().collect(),
        removed: removed.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runbook_ids() {
        assert_eq!(
            runbook_id_for_path("cyber/ransomware.toml.age").as_deref(),
            Some("cyber/ransomware")
        );
        assert_eq!(runbook_id_for_path("draft.toml").as_deref(), Some("draft"));
        assert_eq!(runbook_id_for_path("journals/x.toml"), None);
        assert_eq!(runbook_id_for_path("exercises/x.toml"), None);
        assert_eq!(runbook_id_for_path(".grabbag/recipients"), None);
        assert_eq!(runbook_id_for_path("README.md"), None);
        assert_eq!(runbook_id_for_path("cyber/.toml"), None);
        assert_eq!(runbook_id_for_path("x.age"), None);
    }

    fn header(text: &[u8]) -> Result<BundleHeader, String> {
        let mut reader = io::Cursor::new(text);
        read_bundle_header(&mut reader).map_err(|e| match e {
            HeaderError::Io(e) => e.to_string(),
            HeaderError::Bad(m) => m,
        })
    }

    #[test]
    fn bundle_headers() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let h =
            header(format!("# v2 git bundle\n-{a} msg\n{b} refs/heads/main\n\nPACK").as_bytes())
                .unwrap();
        assert_eq!(h.prerequisites.len(), 1);
        assert_eq!(h.prerequisites[0].1, "msg");
        assert_eq!(h.refs[0].1, "refs/heads/main");
        let h = header(format!("# v3 git bundle\n@object-format=sha1\n{b} HEAD\n\n").as_bytes())
            .unwrap();
        assert_eq!(h.refs[0].1, "HEAD");

        for (text, needle) in [
            (String::new(), "not a git bundle"),
            ("PACK\0\0".into(), "not a git bundle"),
            ("# v2 git bundle\n".into(), "truncated"),
            (format!("# v2 git bundle\n{b} refs/heads/main"), "truncated"),
            (
                format!("# v2 git bundle\n{b} refs/heads/main\n"),
                "truncated",
            ),
            ("# v2 git bundle\nxyz refs/heads/main\n\n".into(), "bad ref"),
            (
                format!("# v2 git bundle\n{} refs/heads/main\n\n", &b[..39]),
                "bad ref",
            ),
            (format!("# v2 git bundle\n{b}\n\n"), "bad ref"),
            ("# v2 git bundle\n-zz\n\n".into(), "bad prerequisite"),
            ("# v2 git bundle\n\n".into(), "no refs"),
            (
                format!("# v2 git bundle\n@object-format=sha1\n{b} HEAD\n\n"),
                "v2",
            ),
            (
                format!("# v3 git bundle\n@object-format=sha256\n{b} HEAD\n\n"),
                "sha256",
            ),
            (
                format!("# v3 git bundle\n@filter=blob:none\n{b} HEAD\n\n"),
                "partial",
            ),
            (
                format!("# v2 git bundle\n{b} {}\n\n", "r".repeat(5000)),
                "longer than",
            ),
        ] {
            let err = header(text.as_bytes()).unwrap_err();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }
}
