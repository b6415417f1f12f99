//! Version pinning and history with git: which commit and blob each runbook
//! came from, whether the working tree differs from HEAD, and commits.
//!
//! A journal later records the commit and blob of every runbook it opened, so an
//! auditor can say exactly which text the responder followed.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::LibraryError;
use super::history_cache::{self, HistoryCache};
use super::signed_history::SignedHistory;
use super::trust::{SignCommit, Trust};
use crate::signing::Signer;

/// Which version of a runbook file was loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Version {
    /// The last commit that changed the file (hex), if it is committed.
    pub commit: Option<String>,
    /// The blob id (hex) of the bytes read, if the file is committed: HEAD's
    /// blob unless the file is dirty.
    pub blob: Option<String>,
    /// The file on disk differs from HEAD (modified, staged or untracked).
    pub dirty: bool,
}

/// The git blob id of the bytes of a file as read, with the id they would
/// have with CRLF line ends turned into LF (what git's `autocrlf` or `eol`
/// checkout does to a text file such as an armored `.toml.age`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadBlob {
    /// The id of the bytes as read.
    pub exact: git2::Oid,
    /// The id after CRLF to LF, when that changes anything.
    pub lf: Option<git2::Oid>,
}

impl ReadBlob {
    /// Hashes `bytes` as git does for a blob.
    pub fn of(bytes: &[u8]) -> Result<Self, git2::Error> {
        let exact = git2::Oid::hash_object(git2::ObjectType::Blob, bytes)?;
        let lf = if bytes.windows(2).any(|w| w == b"\r\n") {
            let mut normal = Vec::with_capacity(bytes.len());
            let mut rest = bytes.iter().peekable();
            while let Some(&b) = rest.next() {
                if !(b == b'\r' && rest.peek() == Some(&&b'\n')) {
                    normal.push(b);
                }
            }
            Some(git2::Oid::hash_object(git2::ObjectType::Blob, &normal)?)
        } else {
            None
        };
        Ok(Self { exact, lf })
    }
}

impl Version {
    /// The commit as an object id.
    pub fn commit_oid(&self) -> Option<git2::Oid> {
        self.commit
            .as_deref()
            .and_then(|c| git2::Oid::from_str(c).ok())
    }

    /// Pins the bytes actually read: when they are not HEAD's blob the file
    /// is dirty whatever `git status` says (the index flags
    /// `--assume-unchanged` and `--skip-worktree` hide an edit from status),
    /// and the blob recorded is that of the bytes read, not HEAD's.
    pub fn pin_read(&mut self, read: &ReadBlob) {
        let head = self.blob.as_deref();
        let matches = |id: git2::Oid| head == Some(id.to_string().as_str());
        if matches(read.exact) || read.lf.is_some_and(matches) {
            return;
        }
        self.dirty = true;
        if self.blob.is_some() {
            self.blob = Some(read.exact.to_string());
        }
    }

    /// Short form for listings: `1a2b3c4d`, with `+dirty` when changed.
    pub fn short(&self) -> String {
        let commit = self
            .commit
            .as_deref()
            .map_or("uncommitted", |c| &c[..c.len().min(8)]);
        if self.dirty && self.commit.is_some() {
            format!("{commit}+dirty")
        } else {
            commit.to_owned()
        }
    }
}

/// Versions of many files, read in one pass over the history.
pub(super) struct Versions {
    dirty: HashSet<PathBuf>,
    blobs: HashMap<PathBuf, git2::Oid>,
    last_change: HashMap<PathBuf, git2::Oid>,
}

pub(super) fn head_commit(
    repo: &git2::Repository,
) -> Result<Option<git2::Commit<'_>>, git2::Error> {
    match repo.head() {
        Ok(head) => Ok(Some(head.peel_to_commit()?)),
        Err(e)
            if matches!(
                e.code(),
                git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn blob_at(tree: &git2::Tree<'_>, path: &Path) -> Option<git2::Oid> {
    tree.get_path(path).ok().map(|e| e.id())
}

impl Versions {
    /// The versions of `paths`: from the history cache's records when
    /// there is one (its line starts at HEAD), else by diffing commits.
    pub(super) fn read<'p>(
        repo: &git2::Repository,
        paths: impl Iterator<Item = &'p Path>,
        cache: Option<&HistoryCache>,
    ) -> Result<Self, LibraryError> {
        let paths: Vec<&Path> = paths.collect();
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(true).recurse_untracked_dirs(true);
        let dirty = repo
            .statuses(Some(&mut opts))?
            .iter()
            .filter(|s| !s.status().is_ignored() && s.status() != git2::Status::CURRENT)
            .filter_map(|s| s.path().ok().map(PathBuf::from))
            .collect();
        let mut blobs = HashMap::new();
        let mut last_change = HashMap::new();
        if let Some(head) = head_commit(repo)? {
            // One walk of HEAD's tree, not a path lookup per file: libgit2
            // caches only small tree objects, so per-path lookups re-read a
            // large folder's tree each time (measured: 362 ms of a 565 ms
            // load of 1,000 runbooks, see docs/PERFORMANCE.md).
            let wanted: HashSet<&Path> = paths.iter().copied().collect();
            head.tree()?
                .walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
                    if entry.kind() == Some(git2::ObjectType::Blob)
                        && let Ok(name) = entry.name()
                    {
                        let path = Path::new(dir).join(name);
                        if wanted.contains(path.as_path()) {
                            blobs.insert(path, entry.id());
                        }
                    }
                    git2::TreeWalkResult::Ok
                })?;
            // Walk first parents from HEAD; a file's version is the newest
            // commit whose diff with its parent touches the file. Diffing
            // trees skips unchanged folders by id, so the cost follows what
            // changed, not how many files there are.
            let mut pending: HashSet<PathBuf> = blobs.keys().cloned().collect();
            match cache {
                Some(cache) => {
                    // The same diffs, read from the cache.
                    let mut pending: HashMap<u32, &Path> = pending
                        .iter()
                        .filter_map(|p| Some((cache.path_id(p)?, p.as_path())))
                        .collect();
                    for record in cache.line() {
                        if pending.is_empty() {
                            break;
                        }
                        for touch in record.touched() {
                            if let Some(path) = pending.remove(&touch.path) {
                                last_change.insert(path.to_path_buf(), record.id);
                            }
                        }
                    }
                }
                None => {
                    let mut walk = repo.revwalk()?;
                    walk.push(head.id())?;
                    walk.simplify_first_parent()?;
                    for oid in walk {
                        if pending.is_empty() {
                            break;
                        }
                        let commit = repo.find_commit(oid?)?;
                        for (path, _) in history_cache::changes(repo, &commit)? {
                            if pending.remove(&path) {
                                last_change.insert(path, commit.id());
                            }
                        }
                    }
                }
            }
        }
        Ok(Self {
            dirty,
            blobs,
            last_change,
        })
    }

    pub(super) fn of(&self, path: &Path) -> Version {
        Version {
            commit: self.last_change.get(path).map(ToString::to_string),
            blob: self.blobs.get(path).map(ToString::to_string),
            dirty: self.dirty.contains(path) || !self.blobs.contains_key(path),
        }
    }
}

/// Commits the index on top of HEAD (or as the first commit), signed when a
/// signer is given.
pub(super) fn commit_index(
    repo: &git2::Repository,
    message: &str,
    signer: Option<&Signer>,
) -> Result<git2::Oid, LibraryError> {
    // A full disk makes libgit2 say "no error": name what was being written.
    let writing = |source| LibraryError::Commit {
        git_dir: repo.path().to_owned(),
        source,
    };
    let mut index = repo.index()?;
    let tree = repo.find_tree(index.write_tree().map_err(writing)?)?;
    let author = repo
        .signature()
        .or_else(|_| git2::Signature::now("grabbag", "grabbag@localhost"))?;
    let parent = head_commit(repo)?;
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    crate::fault::point("git commit").map_err(super::io_err(repo.path()))?;
    let oid = match signer {
        Some(signer) => signer.commit(repo, "HEAD", &author, message, &tree, &parents)?,
        None => repo
            .commit(Some("HEAD"), &author, &author, message, &tree, &parents)
            .map_err(writing)?,
    };
    Ok(oid)
}

/// One commit in a runbook's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    /// Commit id (hex).
    pub commit: String,
    /// Commit time, RFC 3339.
    pub date: String,
    /// Author name and email.
    pub author: String,
    /// First line of the message.
    pub summary: String,
    /// Blob id of the file after the commit (None when it was removed).
    pub blob: Option<String>,
    /// Signature status.
    pub trust: Trust,
}

/// The commits that changed `path`, newest first (first-parent history):
/// those where the id at `path` differs from the first parent's.
pub(super) fn history(
    repo: &git2::Repository,
    path: &Path,
    signed: &mut SignedHistory<'_>,
) -> Result<Vec<HistoryEntry>, LibraryError> {
    let Some(head) = head_commit(repo)? else {
        return Ok(Vec::new());
    };
    // The cache's records say when a file's blob changed; a path that was
    // a folder at some point changes with its tree, which only git can say.
    let changed: Vec<git2::Oid> = match signed.cache().filter(|c| !c.has_below(path)) {
        Some(cache) => match cache.path_id(path) {
            Some(id) => cache
                .line()
                .filter(|r| r.touched().any(|t| t.path == id && t.blob_changed))
                .map(|r| r.id)
                .collect(),
            None => Vec::new(),
        },
        None => {
            let mut walk = repo.revwalk()?;
            walk.push(head.id())?;
            walk.simplify_first_parent()?;
            let mut changed = Vec::new();
            for oid in walk {
                let commit = repo.find_commit(oid?)?;
                let before = match commit.parent(0) {
                    Ok(p) => blob_at(&p.tree()?, path),
                    Err(_) => None,
                };
                if blob_at(&commit.tree()?, path) != before {
                    changed.push(commit.id());
                }
            }
            changed
        }
    };
    let mut out = Vec::with_capacity(changed.len());
    for oid in changed {
        let commit = repo.find_commit(oid)?;
        let here = blob_at(&commit.tree()?, path);
        out.push(history_entry(&commit, here, signed.trust(commit.id())?));
    }
    Ok(out)
}

/// One commit of a runbook's history as `log` shows it: `blob`, the file
/// after it, and `trust`, the commit's.
pub(super) fn history_entry(
    commit: &git2::Commit<'_>,
    blob: Option<git2::Oid>,
    trust: Trust,
) -> HistoryEntry {
    let time = commit.time();
    let date = chrono::DateTime::from_timestamp(time.seconds(), 0)
        .map(
            |d| match chrono::FixedOffset::east_opt(time.offset_minutes() * 60) {
                Some(offset) => d.with_timezone(&offset).to_rfc3339(),
                None => d.to_rfc3339(),
            },
        )
        .unwrap_or_default();
    let author = commit.author();
    HistoryEntry {
        commit: commit.id().to_string(),
        date,
        author: format!(
            "{} <{}>",
            String::from_utf8_lossy(author.name_bytes()),
            String::from_utf8_lossy(author.email_bytes())
        ),
        summary: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default()).into_owned(),
        blob: blob.map(|b| b.to_string()),
        trust,
    }
}

#[cfg(test)]
mod tests {
    use super::{ReadBlob, Version};

    fn head(bytes: &[u8]) -> Version {
        let blob = git2::Oid::hash_object(git2::ObjectType::Blob, bytes).unwrap();
        Version {
            commit: Some("c".repeat(40)),
            blob: Some(blob.to_string()),
            dirty: false,
        }
    }

    #[test]
    fn the_bytes_read_decide_dirty_and_the_blob() {
        let committed = b"-----BEGIN AGE ENCRYPTED FILE-----\nabc\n";
        // What git's autocrlf checkout writes is the same file.
        let mut same = head(committed);
        same.pin_read(&ReadBlob::of(b"-----BEGIN AGE ENCRYPTED FILE-----\r\nabc\r\n").unwrap());
        assert_eq!(same, head(committed));
        // Other bytes are dirty, and pinned as read.
        let mut other = head(committed);
        let read = ReadBlob::of(b"other\n").unwrap();
        other.pin_read(&read);
        assert!(other.dirty);
        assert_eq!(other.blob, Some(read.exact.to_string()));
        assert_eq!(read.lf, None);
    }
}
