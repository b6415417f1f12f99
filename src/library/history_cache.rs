//! The history cache: what each commit on HEAD's first-parent line changed,
//! and trust verdicts already reached, kept in the library's git dir so that
//! loading a library and `log` cost the same at 10,000 commits as at one.
//!
//! Everything in it is a fact about immutable commits, keyed by commit id:
//! per commit, the paths its diff with its first parent touches (and whether
//! each path's blob id changed), and its allowed_signers blob; per commit and
//! signer set, the trust verdict. Version pinning, `log` and the signed-history
//! walk read these instead of diffing trees and reading commits.
//!
//! The cache may only make an answer faster, never different:
//!
//! - It is authenticated with HMAC-SHA256 under a key kept in the user's
//!   config folder, outside the library ([`CacheKey`]). A cache that arrived
//!   with a copied library, or was edited, truncated or corrupted, fails the
//!   check and is rebuilt from git; so is one whose format is unknown.
//! - It is read only when it describes HEAD's own first-parent line (HEAD
//!   itself or a commit on its line is in it); commits newer than what it
//!   holds are computed from git and added.
//! - A verdict that depends on the clock (a commit time out of range, judged
//!   at "now") is never stored.
//! - Failing to read or write it is never an error: the answer is computed
//!   from git as if there were no cache.
//!
//! docs/SECURITY.md ("History cache") says what it may and may not decide.

use std::cell::{Cell, OnceCell};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};

use git2::{Oid, Repository};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::trust::Trust;
use crate::fsutil;

/// The cache file, inside the repository's git dir.
pub(super) const CACHE_DIR: &str = "grabbag-cache";
const CACHE_FILE: &str = "history";
/// The key file, inside the user's config folder.
const KEY_FILE: &str = "history-cache.key";
/// Format tag: a different tag is an unknown format, rebuilt.
const MAGIC: &[u8] = b"grabbag history cache 3\n";
/// Largest cache file read (a hostile one cannot exhaust memory).
const MAX_BYTES: u64 = 1 << 30;
pub(super) const MAC_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// The secret that authenticates history caches written by this user.
#[derive(Clone)]
pub struct CacheKey([u8; 64]);

impl CacheKey {
    /// The key kept in `dir` (the user's config folder), made on first use
    /// (owner-only); `None` when it can be neither read nor made.
    pub fn in_dir(dir: &Path) -> Option<Self> {
        let path = dir.join(KEY_FILE);
        if let Some(key) = Self::read(&path) {
            return Some(key);
        }
        let mut key = [0u8; 64];
        getrandom::getrandom(&mut key).ok()?;
        fsutil::create_private_dir(dir).ok()?;
        // Another process may make it first: then theirs is the key.
        match fsutil::write_new_private(&path, &key) {
            Ok(()) => Some(Self(key)),
            Err(_) => Self::read(&path),
        }
    }

    fn read(path: &Path) -> Option<Self> {
        let bytes = fsutil::read_regular_followed(path, 128).ok()?;
        bytes.try_into().ok().map(Self)
    }

    pub(crate) fn mac(&self) -> HmacSha256 {
        // A key of one block, the size HMAC-SHA256 takes as is.
        <HmacSha256 as hmac::digest::KeyInit>::new(&self.0.into())
    }
}

/// One path a commit's diff with its first parent touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Touch {
    /// Index into the path table.
    pub path: u32,
    /// The blob id at the path differs between parent and commit (false for
    /// a change of mode alone, or a file turned into a link with the same
    /// bytes).
    pub blob_changed: bool,
}

impl Touch {
    const CHANGED: u32 = 1 << 31;

    fn pack(self) -> u32 {
        self.path | if self.blob_changed { Self::CHANGED } else { 0 }
    }

    fn unpack(word: u32) -> Self {
        Self {
            path: word & !Self::CHANGED,
            blob_changed: word & Self::CHANGED != 0,
        }
    }
}

/// What one commit of the line changed.
#[derive(Debug, Clone, Copy)]
pub(super) struct Record<'c> {
    pub id: Oid,
    /// Its `.grabbag/allowed_signers` blob, when that is a regular file.
    pub signers: Option<Oid>,
    touches: &'c [u32],
}

impl Record<'_> {
    /// The paths it touched.
    pub fn touched(&self) -> impl Iterator<Item = Touch> + '_ {
        self.touches.iter().map(|&w| Touch::unpack(w))
    }
}

/// A verdict's key: the commit, and the signer set it was judged by (the
/// allowed_signers blob, none for a trusted deletion, and the commit whose
/// file it is, which error texts name).
pub(super) type VerdictKey = (Oid, Option<Oid>, Oid);

/// The cache of one repository, brought up to date with its HEAD.
pub(super) struct HistoryCache {
    file: PathBuf,
    key: CacheKey,
    /// HEAD's first-parent line, newest first, in columns (one allocation
    /// each, read straight from the file): `ids[i + 1]` is the first parent
    /// of `ids[i]`, and the last is a root commit.
    ids: Vec<Oid>,
    /// Per commit: 0, or 1 + the index of its allowed_signers blob in `blobs`.
    signers: Vec<u32>,
    blobs: Vec<Oid>,
    /// Commit `i` touched `touches[starts[i]..starts[i + 1]]` (packed [`Touch`]).
    starts: Vec<u32>,
    touches: Vec<u32>,
    /// Where each commit is.
    index: Finder<Oid, BuildHasherDefault<OidHasher>>,
    paths: Vec<PathBuf>,
    path_index: Finder<PathBuf, std::collections::hash_map::RandomState>,
    verdicts: HashMap<VerdictKey, Trust, BuildHasherDefault<OidHasher>>,
    /// Something was added since it was read.
    dirty: bool,
}

impl HistoryCache {
    /// The cache for the history ending at `head`: read from the git dir
    /// when its authentication holds, extended with the commits it lacks,
    /// rebuilt from git otherwise. `None` when git cannot be read.
    pub(super) fn open(repo: &Repository, head: Oid, key: &CacheKey) -> Option<Self> {
        let file = repo.path().join(CACHE_DIR).join(CACHE_FILE);
        let mut cache = read(&file, key).unwrap_or_else(|| Self {
            file,
            key: key.clone(),
            ids: Vec::new(),
            signers: Vec::new(),
            blobs: Vec::new(),
            starts: vec![0],
            touches: Vec::new(),
            index: Finder::default(),
            paths: Vec::new(),
            path_index: Finder::default(),
            verdicts: HashMap::default(),
            dirty: true,
        });
        cache.catch_up(repo, head).ok()?;
        Some(cache)
    }

    /// Makes `line` start at `head`: records for commits newer than the
    /// newest cached commit on head's line are computed, and the commits
    /// that are not on head's line any more are dropped.
    fn catch_up(&mut self, repo: &Repository, head: Oid) -> Result<(), git2::Error> {
        if self.ids.first() == Some(&head) {
            return Ok(());
        }
        let mut fresh: Vec<(Oid, Option<Oid>, Vec<u32>)> = Vec::new();
        let mut next = Some(head);
        let mut keep_from = self.ids.len();
        while let Some(id) = next {
            if let Some(i) = self.position(id) {
                keep_from = i;
                break;
            }
            let commit = repo.find_commit(id)?;
            let signers = super::signed_history::signers_blob(&commit)
                .map_err(|e| git2::Error::from_str(&e.to_string()))?;
            let touched = changes(repo, &commit)?
                .into_iter()
                .map(|(path, blob_changed)| {
                    Touch {
                        path: self.intern(path),
                        blob_changed,
                    }
                    .pack()
                })
                .collect();
            fresh.push((id, signers, touched));
            next = commit.parent_id(0).ok();
        }
        // The new commits, then the kept part of the old line.
        let kept = keep_from..self.ids.len();
        let mut ids: Vec<Oid> = fresh.iter().map(|f| f.0).collect();
        ids.extend_from_slice(&self.ids[kept.clone()]);
        let mut signers = Vec::with_capacity(ids.len());
        let mut starts = vec![0u32];
        let mut touches = Vec::new();
        for (_, blob, touched) in &fresh {
            signers.push(blob.map_or(0, |b| self.blob_number(b)));
            touches.extend_from_slice(touched);
            starts.push(touches.len() as u32);
        }
        signers.extend_from_slice(&self.signers[kept.clone()]);
        for i in kept {
            let old = &self.touches[self.starts[i] as usize..self.starts[i + 1] as usize];
            touches.extend_from_slice(old);
            starts.push(touches.len() as u32);
        }
        self.ids = ids;
        self.signers = signers;
        self.starts = starts;
        self.touches = touches;
        self.index = Finder::default();
        self.dirty = true;
        Ok(())
    }

    /// 1 + the index of `blob` in the blob table, added if new.
    fn blob_number(&mut self, blob: Oid) -> u32 {
        match self.blobs.iter().position(|b| *b == blob) {
            Some(i) => i as u32 + 1,
            None => {
                self.blobs.push(blob);
                self.blobs.len() as u32
            }
        }
    }

    /// Where `id` is on the line.
    fn position(&self, id: Oid) -> Option<usize> {
        self.index.find(&self.ids, &id)
    }

    /// The first parent of a commit on the line (`None`: not on it).
    pub(super) fn parent_of(&self, id: Oid) -> Option<Option<Oid>> {
        let i = self.position(id)?;
        Some(self.ids.get(i + 1).copied())
    }

    /// The allowed_signers blob of a commit on the line (`None`: not on it).
    pub(super) fn signers_of(&self, id: Oid) -> Option<Option<Oid>> {
        self.position(id).map(|i| self.record(i).signers)
    }

    /// The commits from the root up to `id` on the line whose
    /// allowed_signers blob differs from their first parent's (for the root:
    /// from none), oldest first, each with its blob: the only commits where
    /// the signers in force can change. `None`: `id` is not on the line.
    pub(super) fn signer_changes_to(&self, id: Oid) -> Option<Vec<(Oid, Option<Oid>)>> {
        let from = self.position(id)?;
        // Blob numbers are unique per blob, so comparing them compares blobs.
        let changed = |i: usize| self.signers[i] != self.signers.get(i + 1).copied().unwrap_or(0);
        Some(
            (from..self.ids.len())
                .rev()
                .filter(|&i| changed(i))
                .map(|i| (self.ids[i], self.record(i).signers))
                .collect(),
        )
    }

    fn record(&self, i: usize) -> Record<'_> {
        let touches = &self.touches[self.starts[i] as usize..self.starts[i + 1] as usize];
        Record {
            id: self.ids[i],
            signers: self.signers[i]
                .checked_sub(1)
                .and_then(|b| self.blobs.get(b as usize).copied()),
            touches,
        }
    }

    fn intern(&mut self, path: PathBuf) -> u32 {
        if let Some(i) = self.path_index.find(&self.paths, &path) {
            return i as u32;
        }
        self.paths.push(path);
        // The index, if made, no longer covers every path.
        self.path_index = Finder::default();
        self.paths.len() as u32 - 1
    }

    /// HEAD's first-parent line, newest first.
    pub(super) fn line(&self) -> impl DoubleEndedIterator<Item = Record<'_>> {
        (0..self.ids.len()).map(|i| self.record(i))
    }

    /// The index of `path` in the path table, if any commit touched it.
    pub(super) fn path_id(&self, path: &Path) -> Option<u32> {
        self.path_index.find(&self.paths, path).map(|i| i as u32)
    }

    /// Whether some commit touched a path below `path`, i.e. `path` was a
    /// folder at some point (then the per-file records cannot say when the
    /// folder's tree id changed).
    pub(super) fn has_below(&self, path: &Path) -> bool {
        // The table's paths come from git: relative, `/`-separated, no `.`
        // or empty parts. The query is put in that form and compared as
        // bytes (`Path::starts_with`, component by component over a
        // thousand paths, was a tenth of `grabbag log`).
        let mut prefix = Vec::new();
        for part in path.components() {
            prefix.extend_from_slice(part.as_os_str().as_encoded_bytes());
            prefix.push(b'/');
        }
        if prefix.is_empty() {
            return self.paths.iter().any(|p| p != path);
        }
        self.paths
            .iter()
            .any(|p| p.as_os_str().as_encoded_bytes().starts_with(&prefix))
    }

    /// A verdict reached before.
    pub(super) fn verdict(&self, key: &VerdictKey) -> Option<&Trust> {
        self.verdicts.get(key)
    }

    /// Keeps a verdict.
    pub(super) fn keep_verdict(&mut self, key: VerdictKey, trust: Trust) {
        self.verdicts.insert(key, trust);
        self.dirty = true;
    }

    /// Writes the cache back when something was added; failing to is not an
    /// error (the next command computes again).
    pub(super) fn save(&mut self) {
        if !self.dirty {
            return;
        }
        let on_line: std::collections::HashSet<Oid> = self.ids.iter().copied().collect();
        self.verdicts.retain(|k, _| on_line.contains(&k.0));
        let bytes = self.encode();
        let dir = fsutil::parent_dir(&self.file);
        let ready = fsutil::real_dir(dir) || std::fs::create_dir(dir).is_ok();
        if ready && fsutil::replace_atomically(&self.file, &bytes).is_ok() {
            self.dirty = false;
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        put_u32(&mut out, self.paths.len() as u32);
        for path in &self.paths {
            put_bytes(&mut out, &path_bytes(path));
        }
        // The columns as they are held.
        put_u32(&mut out, self.blobs.len() as u32);
        for blob in &self.blobs {
            out.extend_from_slice(blob.as_bytes());
        }
        put_u32(&mut out, self.ids.len() as u32);
        for id in &self.ids {
            out.extend_from_slice(id.as_bytes());
        }
        for column in [&self.signers, &self.starts] {
            for &n in column.iter() {
                put_u32(&mut out, n);
            }
        }
        put_u32(&mut out, self.touches.len() as u32);
        for &n in &self.touches {
            put_u32(&mut out, n);
        }
        put_u32(&mut out, self.verdicts.len() as u32);
        for ((commit, blob, origin), trust) in &self.verdicts {
            out.extend_from_slice(commit.as_bytes());
            put_oid_opt(&mut out, *blob);
            out.extend_from_slice(origin.as_bytes());
            put_trust(&mut out, trust);
        }
        let mut mac = self.key.mac();
        mac.update(&out);
        out.extend_from_slice(&mac.finalize().into_bytes());
        out
    }
}

/// The cache in `file`, if it is there, authentic and well formed.
fn read(file: &Path, key: &CacheKey) -> Option<HistoryCache> {
    let bytes = fsutil::read_sized(file, MAX_BYTES)?;
    let (body, tag) = bytes.split_at_checked(bytes.len().checked_sub(MAC_LEN)?)?;
    let mut mac = key.mac();
    mac.update(body);
    mac.verify_slice(tag).ok()?;
    let mut r = Reader(body.strip_prefix(MAGIC)?);
    let mut cache = HistoryCache {
        file: file.to_owned(),
        key: key.clone(),
        ids: Vec::new(),
        signers: Vec::new(),
        blobs: Vec::new(),
        starts: vec![0],
        touches: Vec::new(),
        index: Finder::default(),
        paths: Vec::new(),
        path_index: Finder::default(),
        verdicts: HashMap::default(),
        dirty: false,
    };
    for _ in 0..r.u32()? {
        cache.paths.push(path_from_bytes(r.bytes()?)?);
    }
    let blobs = r.u32()? as usize;
    cache.blobs = (0..blobs).map(|_| r.oid()).collect::<Option<_>>()?;
    let count = r.u32()? as usize;
    // Each column is taken from the bytes there are before it is
    // allocated: a hostile count cannot exhaust memory.
    cache.ids = r
        .take(count.checked_mul(20)?)?
        .chunks(20)
        .map(|c| Oid::from_bytes(c).ok())
        .collect::<Option<_>>()?;
    cache.signers = r.u32s(count)?;
    cache.starts = r.u32s(count + 1)?;
    let touches = r.u32()? as usize;
    cache.touches = r.u32s(touches)?;
    let valid = cache.signers.iter().all(|&b| b as usize <= blobs)
        && cache.starts.first() == Some(&0)
        && cache.starts.windows(2).all(|w| w[0] <= w[1])
        && cache.starts.last() == Some(&(touches as u32))
        && cache
            .touches
            .iter()
            .all(|&w| (Touch::unpack(w).path as usize) < cache.paths.len());
    if !valid {
        return None;
    }
    let verdicts = r.u32()? as usize;
    // A verdict takes at least 42 bytes: the count cannot reserve more.
    cache.verdicts.reserve(verdicts.min(r.0.len() / 42));
    for _ in 0..verdicts {
        let key = (r.oid()?, r.oid_opt()?, r.oid()?);
        cache.verdicts.insert(key, r.trust()?);
    }
    r.0.is_empty().then_some(cache)
}

/// The paths `commit`'s diff with its first parent touches, each with
/// whether its blob id changed: the same diff version pinning has always
/// used (trees compared by id, so unchanged folders cost nothing).
pub(super) fn changes(
    repo: &Repository,
    commit: &git2::Commit<'_>,
) -> Result<Vec<(PathBuf, bool)>, git2::Error> {
    let tree = commit.tree()?;
    let parent_tree = match commit.parent(0) {
        Ok(p) => Some(p.tree()?),
        Err(_) => None,
    };
    let diff = repo.diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)?;
    // Per path: the id before and after. A file turned into a link shows as
    // a deletion and an addition of the same path.
    let mut out: Vec<(PathBuf, Oid, Oid)> = Vec::new();
    let mut at: HashMap<PathBuf, usize> = HashMap::new();
    for delta in diff.deltas() {
        for (file, before) in [(delta.old_file(), true), (delta.new_file(), false)] {
            let Some(path) = file.path() else { continue };
            let i = *at.entry(path.to_owned()).or_insert_with(|| {
                out.push((path.to_owned(), Oid::ZERO_SHA1, Oid::ZERO_SHA1));
                out.len() - 1
            });
            if !file.id().is_zero() {
                if before {
                    out[i].1 = file.id();
                } else {
                    out[i].2 = file.id();
                }
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|(path, old, new)| (path, old != new))
        .collect())
}

pub(super) fn path_bytes(path: &Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        // git2 gives paths as UTF-8 outside Unix, so this round-trips.
        path.to_string_lossy().as_bytes().to_vec()
    }
}

fn path_from_bytes(bytes: &[u8]) -> Option<PathBuf> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
    }
    #[cfg(not(unix))]
    {
        std::str::from_utf8(bytes).ok().map(PathBuf::from)
    }
}

pub(super) fn put_trust(out: &mut Vec<u8>, trust: &Trust) {
    match trust {
        Trust::Trusted { signer } => {
            out.push(0);
            put_bytes(out, signer.as_bytes());
        }
        Trust::Untrusted { reason } => {
            out.push(1);
            put_bytes(out, reason.as_bytes());
        }
        Trust::NotChecked => out.push(2),
    }
}

pub(super) fn put_u32(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&n.to_le_bytes());
}

pub(super) fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(out, bytes.len() as u32);
    out.extend_from_slice(bytes);
}

pub(super) fn put_oid_opt(out: &mut Vec<u8>, oid: Option<Oid>) {
    match oid {
        Some(oid) => {
            out.push(1);
            out.extend_from_slice(oid.as_bytes());
        }
        None => out.push(0),
    }
}

/// Finds an item's place in a list: by search for the first few questions,
/// then by an index (one lookup does not pay for indexing 10,000 commits).
struct Finder<K, S> {
    index: OnceCell<HashMap<K, usize, S>>,
    searches: Cell<u32>,
}

impl<K, S> Default for Finder<K, S> {
    fn default() -> Self {
        Self {
            index: OnceCell::new(),
            searches: Cell::new(0),
        }
    }
}

impl<K: Eq + std::hash::Hash + Clone, S: std::hash::BuildHasher + Default> Finder<K, S> {
    fn find<Q>(&self, items: &[K], key: &Q) -> Option<usize>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + std::hash::Hash + ?Sized,
    {
        if self.index.get().is_none() && self.searches.get() < 16 {
            self.searches.set(self.searches.get() + 1);
            return items.iter().position(|k| k.borrow() == key);
        }
        let index = self.index.get_or_init(|| {
            let mut index = HashMap::with_capacity_and_hasher(items.len(), S::default());
            for (i, k) in items.iter().enumerate() {
                index.entry(k.clone()).or_insert(i);
            }
            index
        });
        index.get(key).copied()
    }
}

/// Hashes object ids by folding their bytes: ids are already uniformly
/// random, and these maps are built for every commit of a long history
/// and every verdict kept.
#[derive(Default)]
struct OidHasher(u64);

impl Hasher for OidHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(29) ^ u64::from_le_bytes(word);
        }
    }
}

/// Reads the fields of a cache body; `None` at the first malformed one.
pub(super) struct Reader<'a>(pub(super) &'a [u8]);

impl<'a> Reader<'a> {
    pub(super) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    pub(super) fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    pub(super) fn u32(&mut self) -> Option<u32> {
        self.take(4)?.try_into().ok().map(u32::from_le_bytes)
    }

    pub(super) fn u32s(&mut self, n: usize) -> Option<Vec<u32>> {
        let bytes = self.take(n.checked_mul(4)?)?;
        Some(
            bytes
                .chunks(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )
    }

    pub(super) fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    pub(super) fn oid(&mut self) -> Option<Oid> {
        Oid::from_bytes(self.take(20)?).ok()
    }

    pub(super) fn trust(&mut self) -> Option<Trust> {
        Some(match self.byte()? {
            0 => Trust::Trusted {
                signer: String::from_utf8(self.bytes()?.to_vec()).ok()?,
            },
            1 => Trust::Untrusted {
                reason: String::from_utf8(self.bytes()?.to_vec()).ok()?,
            },
            2 => Trust::NotChecked,
            _ => return None,
        })
    }

    pub(super) fn oid_opt(&mut self) -> Option<Option<Oid>> {
        match self.byte()? {
            0 => Some(None),
            1 => self.oid().map(Some),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    //! The cache is only a speed-up: on random histories, answers with a
    //! cold cache, a warm one and a tampered one equal those without.

    use std::collections::BTreeMap;

    use git2::{FileMode, Repository, Signature, Time};

    use super::super::git::{self, HistoryEntry, Version};
    use super::super::signed_history::SignedHistory;
    use super::super::trust::{ALLOWED_SIGNERS_PATH, SignCommit, Trust};
    use super::*;
    use crate::signing::Signer;
    use crate::testrng::Rng;

    /// A tree: path to (mode, bytes).
    type Files = BTreeMap<String, (i32, Vec<u8>)>;

    /// Writes `files` as nested trees.
    fn write_tree(repo: &Repository, files: &Files, prefix: &str) -> Oid {
        let mut builder = repo.treebuilder(None).unwrap();
        let mut dirs: BTreeMap<&str, ()> = BTreeMap::new();
        for (path, (mode, bytes)) in files.range(prefix.to_owned()..) {
            let Some(rest) = path.strip_prefix(prefix) else {
                break;
            };
            match rest.split_once('/') {
                Some((dir, _)) => {
                    dirs.insert(dir, ());
                }
                None => {
                    let blob = repo.blob(bytes).unwrap();
                    builder.insert(rest, blob, *mode).unwrap();
                }
            }
        }
        for dir in dirs.keys() {
            let sub = write_tree(repo, files, &format!("{prefix}{dir}/"));
            builder.insert(dir, sub, FileMode::Tree.into()).unwrap();
        }
        builder.write().unwrap()
    }

    /// Everything the cache could change: versions, logs, trust, signers.
    #[derive(Debug, PartialEq)]
    struct Answers {
        versions: Vec<Version>,
        logs: Vec<Vec<(String, Option<String>, Trust)>>,
        trust: Vec<Trust>,
        /// Side-branch commits merged into the line: their own trust, and
        /// their trust by the signers where they are merged (what `sync`
        /// asks), off the cache's line but on top of it.
        side: Vec<(Trust, Trust)>,
        anchor: Option<super::super::signed_history::Anchor>,
        signers: Option<usize>,
    }

    /// The answers with no cache, or with the caches whose key is kept in
    /// `key_dir` (`log` as the library answers it: from its kept answer
    /// when one holds).
    fn answers(repo: &Repository, paths: &[&str], key_dir: Option<&Path>) -> Answers {
        let key = key_dir.map(|dir| CacheKey::in_dir(dir).unwrap());
        let head = git::head_commit(repo).unwrap().map(|c| c.id());
        let mut signed = SignedHistory::open_cached(repo, head, key.as_ref()).unwrap();
        let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        let versions =
            git::Versions::read(repo, paths.iter().map(PathBuf::as_path), signed.cache()).unwrap();
        let versions = paths.iter().map(|p| versions.of(p)).collect();
        let library = key_dir.map(|dir| {
            let root = repo.workdir().unwrap();
            std::fs::create_dir_all(root.join(super::super::SETTINGS_DIR)).unwrap();
            super::super::Library::open(root)
                .unwrap()
                .with_history_cache(dir)
        });
        let logs = paths
            .iter()
            .map(|p| {
                match &library {
                    Some(library) => library.history(p),
                    None => git::history(repo, p, &mut signed),
                }
                .unwrap()
                .into_iter()
                .map(|e: HistoryEntry| (e.commit, e.blob, e.trust))
                .collect()
            })
            .collect();
        let mut trust = Vec::new();
        let mut side = Vec::new();
        let mut next = head;
        while let Some(id) = next {
            trust.push(signed.trust(id).unwrap());
            let commit = repo.find_commit(id).unwrap();
            for merged in commit.parent_ids().skip(1) {
                side.push((
                    signed.trust(merged).unwrap(),
                    signed.trust_at(merged, id).unwrap(),
                ));
            }
            next = commit.parent_id(0).ok();
        }
        let anchor = signed.anchor();
        let signers = head.and_then(|h| signed.signers_after(h).unwrap().map(|s| s.len()));
        signed.save_cache();
        Answers {
            versions,
            logs,
            trust,
            side,
            anchor,
            signers,
        }
    }

    const PATHS: &[&str] = &[
        "a.toml.age",
        "cyber/b.toml.age",
        "cyber/c.toml",
        "continuity/d.toml.age",
        "cyber/deep/e.toml.age",
    ];

    /// A cache that lies (every runbook untouched, every verdict trusted)
    /// changes nothing unless it carries this user's key.
    #[test]
    fn a_forged_cache_without_the_key_changes_no_answer() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let config = dir.path().join("config");
        let key = CacheKey::in_dir(&config).unwrap();
        let forger = CacheKey::in_dir(&dir.path().join("forger")).unwrap();
        let signer = Signer::generate_ed25519("s").unwrap();
        let author = Signature::new("t", "t@example", &Time::new(1_700_000_000, 0)).unwrap();
        let mut files = Files::new();
        files.insert(
            ALLOWED_SIGNERS_PATH.to_owned(),
            (
                FileMode::Blob.into(),
                signer.allowed_signers_line("s@example").into_bytes(),
            ),
        );
        let mut parent: Option<git2::Commit<'_>> = None;
        for (n, text) in ["one", "two"].iter().enumerate() {
            files.insert(
                PATHS[0].to_owned(),
                (FileMode::Blob.into(), text.as_bytes().to_vec()),
            );
            let tree = repo.find_tree(write_tree(&repo, &files, "")).unwrap();
            let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
            // The second commit is unsigned: untrusted.
            let id = if n == 0 {
                signer
                    .commit(&repo, "HEAD", &author, "signed", &tree, &parents)
                    .unwrap()
            } else {
                repo.commit(Some("HEAD"), &author, &author, "unsigned", &tree, &parents)
                    .unwrap()
            };
            parent = Some(repo.find_commit(id).unwrap());
        }
        let plain = answers(&repo, PATHS, None);
        let head = parent.unwrap().id();
        let mut forged = HistoryCache::open(&repo, head, &forger).unwrap();
        forged.touches.clear();
        forged.starts.fill(0);
        let anchor = forged.line().last().map(|r| (r.signers, r.id)).unwrap();
        let ids = forged.ids.clone();
        for id in ids {
            let trust = Trust::Trusted {
                signer: "forger".into(),
            };
            forged.verdicts.insert((id, anchor.0, anchor.1), trust);
        }
        let file = repo.path().join(CACHE_DIR).join(CACHE_FILE);
        std::fs::create_dir_all(repo.path().join(CACHE_DIR)).unwrap();
        std::fs::write(&file, forged.encode()).unwrap();
        assert_eq!(answers(&repo, PATHS, Some(&config)), plain);
        // So does a forged answer of `log`, kept for the same HEAD and path.
        let forged_log = [HistoryEntry {
            trust: Trust::Trusted {
                signer: "forger".into(),
            },
            ..git::history(
                &repo,
                Path::new(PATHS[0]),
                &mut SignedHistory::open_cached(&repo, Some(head), None).unwrap(),
            )
            .unwrap()
            .remove(0)
        }];
        super::super::log_cache::write(&repo, &forger, head, Path::new(PATHS[0]), &forged_log);
        assert_eq!(answers(&repo, PATHS, Some(&config)), plain);
        // The same lies under the user's own key would be believed: the
        // key is what keeps them out.
        forged.key = key.clone();
        std::fs::write(&file, forged.encode()).unwrap();
        assert_ne!(answers(&repo, PATHS, Some(&config)), plain);
    }

    /// A cache folder that is a link (planted in a copied library) is not
    /// written through.
    #[cfg(unix)]
    #[test]
    fn the_cache_is_never_written_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let config = dir.path().join("config");
        let files: Files = [(PATHS[0].to_owned(), (FileMode::Blob.into(), b"x".to_vec()))].into();
        let tree = repo.find_tree(write_tree(&repo, &files, "")).unwrap();
        let author = Signature::new("t", "t@example", &Time::new(1_700_000_000, 0)).unwrap();
        repo.commit(Some("HEAD"), &author, &author, "one", &tree, &[])
            .unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, repo.path().join(CACHE_DIR)).unwrap();
        let plain = answers(&repo, PATHS, None);
        assert_eq!(answers(&repo, PATHS, Some(&config)), plain);
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
        // A real folder is used.
        std::fs::remove_file(repo.path().join(CACHE_DIR)).unwrap();
        assert_eq!(answers(&repo, PATHS, Some(&config)), plain);
        assert!(repo.path().join(CACHE_DIR).join(CACHE_FILE).is_file());
        // Nor are `log`'s kept answers written through a link.
        std::fs::create_dir(outside.join("log")).unwrap();
        std::fs::remove_dir_all(repo.path().join(CACHE_DIR).join("log")).unwrap();
        std::os::unix::fs::symlink(outside.join("log"), repo.path().join(CACHE_DIR).join("log"))
            .unwrap();
        assert_eq!(answers(&repo, PATHS, Some(&config)), plain);
        assert_eq!(std::fs::read_dir(outside.join("log")).unwrap().count(), 0);
        // Nor read through a linked cache folder: an answer kept there under
        // the user's own key (a lie here) is not believed.
        let cache = repo.path().join(CACHE_DIR);
        std::fs::remove_file(cache.join("log")).unwrap();
        let head = git::head_commit(&repo).unwrap().unwrap().id();
        let key = CacheKey::in_dir(&config).unwrap();
        let mut lie = git::history(
            &repo,
            Path::new(PATHS[0]),
            &mut SignedHistory::open_cached(&repo, Some(head), None).unwrap(),
        )
        .unwrap();
        lie[0].trust = Trust::Trusted {
            signer: "liar".into(),
        };
        super::super::log_cache::write(&repo, &key, head, Path::new(PATHS[0]), &lie);
        let moved = dir.path().join("moved-cache");
        std::fs::rename(&cache, &moved).unwrap();
        std::os::unix::fs::symlink(&moved, &cache).unwrap();
        assert!(super::super::log_cache::read(&repo, &key, head, Path::new(PATHS[0])).is_none());
        assert_eq!(answers(&repo, PATHS, Some(&config)), plain);
    }

    /// A verdict judged at "now" (a commit time out of range) that others
    /// rest on, here through the signers it puts in force, keeps `log`'s
    /// answer from being kept: the clock alone may change it.
    #[test]
    fn an_answer_that_rests_on_the_clock_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let config = dir.path().join("config");
        let keys: Vec<Signer> = (0..2)
            .map(|i| Signer::generate_ed25519(&format!("k{i}")).unwrap())
            .collect();
        let line = |i: usize| keys[i].allowed_signers_line(&format!("k{i}@example"));
        let mut files = Files::new();
        let mut parent: Option<Oid> = None;
        // The anchor; K1 adds K2 at a time out of range; K2 changes a file.
        let steps = [
            (0, line(0), 1_700_000_000i64, "one"),
            (
                0,
                format!("{}\n{}", line(0), line(1)),
                99_999_999_999_999,
                "one",
            ),
            (1, format!("{}\n{}", line(0), line(1)), 1_700_000_060, "two"),
        ];
        for (signer, signers, when, text) in steps {
            files.insert(
                ALLOWED_SIGNERS_PATH.to_owned(),
                (FileMode::Blob.into(), signers.into_bytes()),
            );
            files.insert(
                PATHS[0].to_owned(),
                (FileMode::Blob.into(), text.as_bytes().to_vec()),
            );
            let tree = repo.find_tree(write_tree(&repo, &files, "")).unwrap();
            let author = Signature::new("t", "t@example", &Time::new(1_700_000_030, 0)).unwrap();
            let parents: Vec<git2::Commit<'_>> = parent
                .map(|p| repo.find_commit(p).unwrap())
                .into_iter()
                .collect();
            let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
            // git2 cannot write a time out of chrono's range: the commit is
            // written as text, with the time the test wants, and signed.
            let buffer = repo
                .commit_create_buffer(&author, &author, "step\n", &tree, &parents)
                .unwrap();
            let content = buffer
                .as_str()
                .unwrap()
                .replace(" 1700000030 +0000", &format!(" {when} +0000"));
            let sig = keys[signer]
                .sign(content.as_bytes(), crate::signing::GIT_NAMESPACE)
                .unwrap();
            let id = repo
                .commit_signed(&content, sig.trim_end(), Some("gpgsig"))
                .unwrap();
            repo.reference("refs/heads/main", id, true, "t").unwrap();
            repo.set_head("refs/heads/main").unwrap();
            parent = Some(id);
        }
        // The time is as written.
        let out_of_range = repo
            .find_commit(parent.unwrap())
            .unwrap()
            .parent(0)
            .unwrap();
        assert_eq!(
            out_of_range.committer().when().seconds(),
            99_999_999_999_999
        );
        let plain = answers(&repo, PATHS, None);
        assert_eq!(answers(&repo, PATHS, Some(&config)), plain);
        let key = CacheKey::in_dir(&config).unwrap();
        let kept = super::super::log_cache::read(&repo, &key, parent.unwrap(), Path::new(PATHS[0]));
        assert!(kept.is_none(), "{kept:?}");
    }

    #[test]
    fn cached_answers_equal_uncached_on_random_histories() {
        let keys: Vec<Signer> = (0..3)
            .map(|i| Signer::generate_ed25519(&format!("k{i}")).unwrap())
            .collect();
        let line = |i: usize| keys[i].allowed_signers_line(&format!("k{i}@example"));
        for seed in 0..12u64 {
            let mut rng = Rng(seed);
            let dir = tempfile::tempdir().unwrap();
            let repo = Repository::init(dir.path()).unwrap();
            repo.set_head("refs/heads/main").unwrap();
            let config = dir.path().join("config");
            let elsewhere = dir.path().join("elsewhere");
            let mut files = Files::new();
            let mut time = 1_700_000_000i64;
            let mut commits: Vec<Oid> = Vec::new();
            let mut side = 0;
            for step in 0..40 {
                // Change the tree.
                for _ in 0..1 + rng.below(3) {
                    let path = *rng.pick(PATHS);
                    let content = vec![b'0' + rng.below(3) as u8];
                    match rng.below(10) {
                        0 => {
                            files.remove(path);
                        }
                        1 => {
                            // The same bytes as a link, or executable.
                            let mode = *rng.pick(&[
                                i32::from(FileMode::Link),
                                i32::from(FileMode::BlobExecutable),
                            ]);
                            let bytes = files.get(path).map_or(content, |f| f.1.clone());
                            files.insert(path.to_owned(), (mode, bytes));
                        }
                        2 => {
                            // The runbook's path becomes a folder.
                            files.remove(path);
                            files.insert(format!("{path}/inner"), (FileMode::Blob.into(), content));
                        }
                        3 => {
                            // A rename: the bytes move.
                            if let Some(f) = files.remove(path) {
                                files.insert((*rng.pick(PATHS)).to_owned(), f);
                            }
                        }
                        4 | 5 => {
                            let text: String = (0..3)
                                .filter(|_| rng.chance(60))
                                .map(|i| format!("{}\n", line(i)))
                                .collect();
                            if rng.chance(15) {
                                files.remove(ALLOWED_SIGNERS_PATH);
                            } else {
                                files.insert(
                                    ALLOWED_SIGNERS_PATH.to_owned(),
                                    (FileMode::Blob.into(), text.into_bytes()),
                                );
                            }
                        }
                        _ => {
                            files.retain(|p, _| !p.starts_with(&format!("{path}/")));
                            files.insert(path.to_owned(), (FileMode::Blob.into(), content));
                        }
                    }
                }
                let tree = repo.find_tree(write_tree(&repo, &files, "")).unwrap();
                time += 60;
                let when = if rng.chance(10) { time - 3600 } else { time };
                let author = Signature::new("t", "t@example", &Time::new(when, 0)).unwrap();
                let head = git::head_commit(&repo).unwrap();
                let mut parents: Vec<git2::Commit<'_>> = head.into_iter().collect();
                // A merge of a side commit made on an earlier commit.
                if !commits.is_empty() && rng.chance(15) {
                    let base = repo.find_commit(*rng.pick(&commits)).unwrap();
                    let side_tree = repo
                        .find_tree(write_tree(&repo, &Files::new(), ""))
                        .unwrap();
                    side += 1;
                    let side_ref = format!("refs/heads/side{side}");
                    repo.reference(&side_ref, base.id(), false, "side").unwrap();
                    let id = keys[rng.below(3)]
                        .commit(&repo, &side_ref, &author, "side", &side_tree, &[&base])
                        .unwrap();
                    parents.push(repo.find_commit(id).unwrap());
                }
                let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
                let message = format!("step {step}");
                let id = if rng.chance(25) {
                    repo.commit(
                        Some("refs/heads/main"),
                        &author,
                        &author,
                        &message,
                        &tree,
                        &parents,
                    )
                    .unwrap()
                } else {
                    keys[rng.below(3)]
                        .commit(&repo, "refs/heads/main", &author, &message, &tree, &parents)
                        .unwrap()
                };
                commits.push(id);
                // A rewrite: main goes back to an earlier commit.
                if rng.chance(8) {
                    let back = *rng.pick(&commits);
                    repo.reference("refs/heads/main", back, true, "rewrite")
                        .unwrap();
                }
                if step % 5 != 4 {
                    continue;
                }
                let plain = answers(&repo, PATHS, None);
                let context = format!("seed {seed}, step {step}");
                assert_eq!(
                    answers(&repo, PATHS, Some(&config)),
                    plain,
                    "cold or caught up: {context}"
                );
                assert_eq!(
                    answers(&repo, PATHS, Some(&config)),
                    plain,
                    "warm: {context}"
                );
                // A cache written under another key (copied with the
                // library, or forged) and a corrupted one are rebuilt.
                let file = repo.path().join(CACHE_DIR).join(CACHE_FILE);
                let good = std::fs::read(&file).unwrap();
                assert_eq!(
                    answers(&repo, PATHS, Some(&elsewhere)),
                    plain,
                    "other key: {context}"
                );
                let mut flipped = good.clone();
                let at = rng.below(flipped.len());
                flipped[at] ^= 1 << rng.below(8);
                std::fs::write(&file, &flipped).unwrap();
                assert_eq!(
                    answers(&repo, PATHS, Some(&config)),
                    plain,
                    "flipped: {context}"
                );
                std::fs::write(&file, &good[..rng.below(good.len())]).unwrap();
                assert_eq!(
                    answers(&repo, PATHS, Some(&config)),
                    plain,
                    "truncated: {context}"
                );
            }
        }
    }
}
