//! `grabbag log`'s answer for one file at one HEAD, kept beside the history
//! cache so that a log costs the same at 10,000 commits as at one.
//!
//! The history cache answers `log` without diffing a commit, but it holds
//! every commit of the line, and reading and authenticating all of it to
//! answer for one file was most of a log at 10,000 commits (1.1 ms against
//! 0.3 ms for a one-commit library). The answer itself is small: the commits
//! that changed the file, the file's blob after each, and each commit's
//! trust. All three are facts of the history ending at HEAD, so an answer
//! kept under HEAD's id and the file's path stays right until HEAD moves;
//! then it is computed again (from the history cache) and replaced.
//!
//! The same rules as the history cache hold (see its module docs): the file
//! is authenticated with the same key, kept outside the library; one that
//! fails the check, names another HEAD or path, or cannot be read is
//! ignored; it is never read or written through a link; failing to write it
//! is not an error. An answer that rests on a verdict judged at "now" (a
//! commit whose time is out of range, whether one the file names or one
//! that changed the signers they are judged by) is never kept.

use std::path::{Path, PathBuf};

use git2::{Oid, Repository};
use hmac::Mac as _;
use sha2::{Digest as _, Sha256};

use super::git::HistoryEntry;
use super::history_cache::{
    CACHE_DIR, CacheKey, MAC_LEN, Reader, path_bytes, put_bytes, put_oid_opt, put_trust, put_u32,
};
use super::trust::Trust;
use crate::fsutil;

/// Folder of the answers, inside the history cache's.
const LOG_DIR: &str = "log";
/// The largest answer read: a file changed 10,000 times takes under 1 MB.
const MAX_BYTES: u64 = 16 << 20;
/// Format tag: a different tag is an unknown format, ignored.
const MAGIC: &[u8] = b"grabbag log cache 1\n";

/// One commit of the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Change {
    pub commit: Oid,
    /// The file after the commit (`None`: removed).
    pub blob: Option<Oid>,
    pub trust: Trust,
}

/// Where the answer for `path` is kept: one file per path, named by a hash
/// of it (a path may be longer than a file name, or hold any byte).
fn file_for(repo: &Repository, path: &Path) -> PathBuf {
    let name: String = Sha256::digest(path_bytes(path))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    repo.path().join(CACHE_DIR).join(LOG_DIR).join(name)
}

/// The answer kept for `path` at `head`, when there is one and it holds.
pub(super) fn read(
    repo: &Repository,
    key: &CacheKey,
    head: Oid,
    path: &Path,
) -> Option<Vec<Change>> {
    // Neither through a linked cache folder nor a linked `log` folder.
    if !fsutil::real_dir(&repo.path().join(CACHE_DIR)) {
        return None;
    }
    let bytes = fsutil::read_sized(&file_for(repo, path), MAX_BYTES)?;
    let (body, tag) = bytes.split_at_checked(bytes.len().checked_sub(MAC_LEN)?)?;
    let mut mac = key.mac();
    mac.update(body);
    mac.verify_slice(tag).ok()?;
    let mut r = Reader(body.strip_prefix(MAGIC)?);
    if r.oid()? != head || r.bytes()? != path_bytes(path).as_slice() {
        return None;
    }
    let count = r.u32()? as usize;
    // A change takes at least 22 bytes: the count cannot reserve more.
    let mut changes = Vec::with_capacity(count.min(r.0.len() / 22));
    for _ in 0..count {
        changes.push(Change {
            commit: r.oid()?,
            blob: r.oid_opt()?,
            trust: r.trust()?,
        });
    }
    r.0.is_empty().then_some(changes)
}

/// Keeps `entries`, the answer for `path` at `head`. The caller keeps none
/// whose verdicts rested on one judged at "now".
pub(super) fn write(
    repo: &Repository,
    key: &CacheKey,
    head: Oid,
    path: &Path,
    entries: &[HistoryEntry],
) {
    let mut changes = Vec::with_capacity(entries.len());
    for entry in entries {
        let Ok(commit) = Oid::from_str(&entry.commit) else {
            return;
        };
        let blob = match entry.blob.as_deref().map(Oid::from_str) {
            None => None,
            Some(Ok(blob)) => Some(blob),
            Some(Err(_)) => return,
        };
        changes.push(Change {
            commit,
            blob,
            trust: entry.trust.clone(),
        });
    }
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(head.as_bytes());
    put_bytes(&mut out, &path_bytes(path));
    put_u32(&mut out, changes.len() as u32);
    for change in &changes {
        out.extend_from_slice(change.commit.as_bytes());
        put_oid_opt(&mut out, change.blob);
        put_trust(&mut out, &change.trust);
    }
    let mut mac = key.mac();
    mac.update(&out);
    out.extend_from_slice(&mac.finalize().into_bytes());
    let file = file_for(repo, path);
    let dir = fsutil::parent_dir(&file);
    let cache_dir = fsutil::parent_dir(dir);
    let ready = (fsutil::real_dir(cache_dir) || std::fs::create_dir(cache_dir).is_ok())
        && (fsutil::real_dir(dir) || std::fs::create_dir(dir).is_ok());
    if ready {
        // Not being able to keep it only means computing it next time.
        let _ = fsutil::replace_atomically(&file, &out);
    }
}
