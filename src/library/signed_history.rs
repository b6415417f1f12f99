//! Trust from signed history: which allowed signers were in force when each
//! commit was made, judged from commits alone, never from the working tree.
//!
//! A sync writes whatever files SOURCE holds, `.grabbag/allowed_signers`
//! included, so the file on disk proves nothing: a commit signed by a key it
//! adds itself would otherwise trust itself. Instead:
//!
//! - The **trust anchor** is the oldest commit on the first-parent line that
//!   has an allowed_signers file (for a library made by `demo`, the commit
//!   "Trust the demo signing key"). Its file is the root of trust; `sync`
//!   refuses any update whose history would start trust elsewhere, so no
//!   stick can replace it (see [`anchor`] and `sync`).
//! - The signers **in force after** a commit are those of its first parent,
//!   unless the commit changes allowed_signers *and* is itself trusted by the
//!   signers in force at its parent: only then does its file take over (an
//!   empty set when a trusted commit deletes the file). Commits older than
//!   the anchor, and the anchor itself, are judged by the anchor's signers.
//! - A commit is **trusted** when it is signed (namespace `git`) by a key in
//!   force at its first parent, valid at its committer date, and it is not
//!   dated before any of its parents: the signer chooses that date, so a
//!   commit "made in the past" is how an expired key would try to sign.
//!
//! Because all of this follows first parents, `sync` also insists that the
//! library's head stays on the new tip's first-parent line, and judges
//! side-branch commits by the signers where they are merged too
//! ([`SignedHistory::trust_at`]).
//!
//! A library with no allowed_signers anywhere in its history checks nothing
//! ([`Trust::NotChecked`]). `list`, `show`, `log`, `sync`, `audit`, journal
//! verification and `exercise check` all ask this module, so they agree.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use git2::{Oid, Repository};

use super::history_cache::{CacheKey, HistoryCache};
use super::trust::{ALLOWED_SIGNERS_PATH, Trust, TrustError, commit_trust};
use crate::signing::{AllowedSigners, SigningError};

/// The commit whose allowed_signers are a library's root of trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    /// The oldest commit on the first-parent line with an allowed_signers file.
    pub commit: Oid,
    /// That file's blob.
    pub blob: Oid,
}

/// The trust anchor of the history ending at `head`: the oldest commit on
/// its first-parent line whose tree has `.grabbag/allowed_signers` as a
/// regular file. `None` when no commit has one.
pub fn anchor(repo: &Repository, head: Oid) -> Result<Option<Anchor>, TrustError> {
    let mut line = Line::default();
    line.walk(repo, head)?;
    Ok(line.anchor)
}

/// The first-parent line from a head: each commit's first parent and
/// allowed_signers blob, and the anchor.
#[derive(Default)]
struct Line {
    parents: HashMap<Oid, Option<Oid>>,
    blobs: HashMap<Oid, Option<Oid>>,
    anchor: Option<Anchor>,
}

impl Line {
    /// Reads the line from `head` with git.
    fn walk(&mut self, repo: &Repository, head: Oid) -> Result<(), TrustError> {
        let mut next = Some(head);
        while let Some(id) = next {
            let commit = repo.find_commit(id)?;
            next = commit.parent_id(0).ok();
            self.note(id, next, signers_blob(&commit)?);
        }
        Ok(())
    }

    /// One commit, newer ones first: the last with a blob is the anchor.
    fn note(&mut self, id: Oid, parent: Option<Oid>, blob: Option<Oid>) {
        self.parents.insert(id, parent);
        self.blobs.insert(id, blob);
        if let Some(blob) = blob {
            self.anchor = Some(Anchor { commit: id, blob });
        }
    }
}

/// The allowed_signers blob in a commit's tree, if it is a regular file (a
/// symlink's blob is a path, not signers).
pub(super) fn signers_blob(commit: &git2::Commit<'_>) -> Result<Option<Oid>, TrustError> {
    let tree = commit.tree()?;
    let entry = match tree.get_path(std::path::Path::new(ALLOWED_SIGNERS_PATH)) {
        Ok(entry) => entry,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mode = entry.filemode();
    let regular = mode == i32::from(git2::FileMode::Blob)
        || mode == i32::from(git2::FileMode::BlobExecutable);
    Ok(regular.then(|| entry.id()))
}

/// Trust of commits in one repository, judged from its signed history.
/// Results are cached: build one per command and ask it about many commits.
pub struct SignedHistory<'r> {
    repo: &'r Repository,
    anchor: Option<Anchor>,
    /// Every set of signers in force at some point; index 0 is the anchor's.
    sets: Vec<AllowedSigners>,
    /// Each set's blob and the commit it was read from: what a cached
    /// verdict is keyed by.
    set_keys: Vec<(Option<Oid>, Oid)>,
    /// Which set of `sets` each blob parsed to.
    by_blob: HashMap<Option<Oid>, usize>,
    /// The set in force after each commit judged so far.
    after: HashMap<Oid, usize>,
    /// Each commit's allowed_signers blob.
    blobs: HashMap<Oid, Option<Oid>>,
    /// Each commit's first parent, where known without reading the commit.
    parents: HashMap<Oid, Option<Oid>>,
    verdicts: HashMap<Oid, Trust>,
    /// The history cache, when the library keeps one.
    cache: Option<HistoryCache>,
    /// Verdicts reached are added to the cache.
    keep_verdicts: bool,
    /// Some verdict reached was judged at "now" (see
    /// [`judged_without_the_clock`]): an answer built on it is not a fact
    /// of history to keep.
    used_the_clock: bool,
}

impl<'r> SignedHistory<'r> {
    /// The history ending at `head` (`None`: an empty repository, where
    /// nothing is checked).
    pub fn open(repo: &'r Repository, head: Option<Oid>) -> Result<Self, TrustError> {
        Self::open_cached(repo, head, None)
    }

    /// [`SignedHistory::open`], reading what it can from the history cache
    /// kept under `key` (see [`super::history_cache`]): the same answers,
    /// without reading every commit of a long history.
    pub(super) fn open_cached(
        repo: &'r Repository,
        head: Option<Oid>,
        key: Option<&CacheKey>,
    ) -> Result<Self, TrustError> {
        let cache = match (head, key) {
            (Some(head), Some(key)) => HistoryCache::open(repo, head, key),
            _ => None,
        };
        // With the cache, a commit's parent and blob are asked of it.
        let mut line = Line::default();
        match (&cache, head) {
            (Some(cache), _) => {
                line.anchor = cache
                    .line()
                    .rev()
                    .find_map(|r| r.signers.map(|blob| Anchor { commit: r.id, blob }));
            }
            (None, Some(head)) => line.walk(repo, head)?,
            (None, None) => {}
        }
        let mut history = Self {
            repo,
            anchor: line.anchor,
            sets: Vec::new(),
            set_keys: Vec::new(),
            by_blob: HashMap::new(),
            after: HashMap::new(),
            blobs: line.blobs,
            parents: line.parents,
            verdicts: HashMap::new(),
            cache,
            keep_verdicts: true,
            used_the_clock: false,
        };
        let anchor = history.anchor;
        if let Some(a) = anchor {
            history.set_for(Some(a.blob), a.commit)?;
        }
        Ok(history)
    }

    /// Adds no verdicts to the cache (those it holds are still read): for
    /// `sync`, which judges every new commit where a load judges a few.
    pub(super) fn keeping_no_verdicts(mut self) -> Self {
        self.keep_verdicts = false;
        self
    }

    /// The history cache, when one is kept: its line starts at HEAD.
    pub(super) fn cache(&self) -> Option<&HistoryCache> {
        self.cache.as_ref()
    }

    /// Whether some verdict reached so far was judged at "now": then every
    /// answer that rests on the verdicts reached (a commit's, or one judged
    /// by the signers a clock-judged commit put in force) may change with
    /// the clock alone.
    pub(super) fn used_the_clock(&self) -> bool {
        self.used_the_clock
    }

    /// Writes back what the cache learnt (best effort).
    pub(super) fn save_cache(&mut self) {
        if let Some(cache) = &mut self.cache {
            cache.save();
        }
    }

    /// A commit's first parent.
    fn parent(&mut self, id: Oid) -> Result<Option<Oid>, TrustError> {
        if let Some(parent) = self.parents.get(&id) {
            return Ok(*parent);
        }
        if let Some(parent) = self.cache.as_ref().and_then(|c| c.parent_of(id)) {
            return Ok(parent);
        }
        let parent = self.repo.find_commit(id)?.parent_id(0).ok();
        self.parents.insert(id, parent);
        Ok(parent)
    }

    /// The trust anchor, when the history has one.
    pub fn anchor(&self) -> Option<Anchor> {
        self.anchor
    }

    /// The allowed signers in force after `commit` (for HEAD: the signers a
    /// new commit or a journal signature is judged by); `None` when nothing
    /// is checked.
    pub fn signers_after(&mut self, commit: Oid) -> Result<Option<&AllowedSigners>, TrustError> {
        if self.anchor.is_none() {
            return Ok(None);
        }
        let set = self.set_after(commit)?;
        Ok(self.sets.get(set))
    }

    /// The trust of one commit.
    pub fn trust(&mut self, commit: Oid) -> Result<Trust, TrustError> {
        if self.anchor.is_none() {
            return Ok(Trust::NotChecked);
        }
        if let Some(verdict) = self.verdicts.get(&commit) {
            return Ok(verdict.clone());
        }
        let set = match self.parent(commit)? {
            Some(p) => self.set_after(p)?,
            None => 0,
        };
        self.judge(commit, set)
    }

    /// The trust of `commit` judged by the signers in force after `at`
    /// instead of its own first parent's (not cached). `sync` asks this for
    /// commits on a side branch, judged by the signers at the merge that
    /// brings them in as well: a signer removed on the library's line must
    /// not come back through a branch forked before the removal.
    pub fn trust_at(&mut self, commit: Oid, at: Oid) -> Result<Trust, TrustError> {
        if self.anchor.is_none() {
            return Ok(Trust::NotChecked);
        }
        let set = self.set_after(at)?;
        self.verdict(commit, set)
    }

    /// Judge `commit` by signer set `set` (the one in force at its parent).
    fn judge(&mut self, id: Oid, set: usize) -> Result<Trust, TrustError> {
        if let Some(verdict) = self.verdicts.get(&id) {
            return Ok(verdict.clone());
        }
        let verdict = self.verdict(id, set)?;
        self.verdicts.insert(id, verdict.clone());
        Ok(verdict)
    }

    /// Judge `commit` by signer set `set`: from the history cache when it
    /// has the verdict for this commit and set, else from the signature.
    fn verdict(&mut self, id: Oid, set: usize) -> Result<Trust, TrustError> {
        let key = self
            .set_keys
            .get(set)
            .map(|&(blob, origin)| (id, blob, origin));
        if let (Some(cache), Some(key)) = (&self.cache, &key)
            && let Some(verdict) = cache.verdict(key)
        {
            return Ok(verdict.clone());
        }
        let commit = self.repo.find_commit(id)?;
        let verdict = match backdated(&commit)? {
            Some(reason) => Trust::Untrusted { reason },
            None => commit_trust(self.repo, id, self.sets.get(set)),
        };
        let timeless = judged_without_the_clock(&commit);
        self.used_the_clock |= !timeless;
        if let (Some(cache), Some(key), true) =
            (&mut self.cache, key, timeless && self.keep_verdicts)
        {
            cache.keep_verdict(key, verdict.clone());
        }
        Ok(verdict)
    }

    /// The index of the signer set in force after `commit`, walking its
    /// first-parent line back to the first commit already known.
    fn set_after(&mut self, commit: Oid) -> Result<usize, TrustError> {
        let mut line = Vec::new();
        let mut next = Some(commit);
        while let Some(id) = next {
            if self.after.contains_key(&id) {
                break;
            }
            // On the cache's line, only the commits that change
            // allowed_signers are visited, not every commit down to the root.
            if let Some(changes) = self.cache.as_ref().and_then(|c| c.signer_changes_to(id)) {
                let set = self.set_through(changes)?;
                self.after.insert(id, set);
                break;
            }
            line.push(id);
            next = self.parent(id)?;
        }
        // Oldest first: each commit's parent is known when it is reached.
        for id in line.into_iter().rev() {
            let parent = self.parent(id)?;
            let (before, parent_blob) = match parent {
                Some(p) => (self.after.get(&p).copied().unwrap_or(0), self.blob(p)?),
                None => (0, None),
            };
            let here = self.blob(id)?;
            let set = if here != parent_blob && self.judge(id, before)?.is_trusted() {
                self.set_for(here, id)?
            } else {
                before
            };
            self.after.insert(id, set);
        }
        Ok(self.after.get(&commit).copied().unwrap_or(0))
    }

    /// The signer set in force after the last of `changes`: the commits of
    /// a first-parent line, oldest first from its root, whose
    /// allowed_signers blob differs from their parent's (the commits in
    /// between pass their parent's set on unchanged). Each takes over only
    /// when trusted by the set in force before it, as in [`Self::set_after`].
    fn set_through(&mut self, changes: Vec<(Oid, Option<Oid>)>) -> Result<usize, TrustError> {
        let mut set = 0;
        for (id, blob) in changes {
            if self.judge(id, set)?.is_trusted() {
                set = self.set_for(blob, id)?;
            }
        }
        Ok(set)
    }

    /// The allowed_signers blob of a commit (cached).
    fn blob(&mut self, id: Oid) -> Result<Option<Oid>, TrustError> {
        if let Some(blob) = self.blobs.get(&id) {
            return Ok(*blob);
        }
        if let Some(blob) = self.cache.as_ref().and_then(|c| c.signers_of(id)) {
            return Ok(blob);
        }
        let blob = signers_blob(&self.repo.find_commit(id)?)?;
        self.blobs.insert(id, blob);
        Ok(blob)
    }

    /// The signer set of `blob` as written by `commit` (parsed once per
    /// blob); no blob is a trusted deletion: nobody is allowed any more.
    fn set_for(&mut self, blob: Option<Oid>, commit: Oid) -> Result<usize, TrustError> {
        if let Some(&set) = self.by_blob.get(&blob) {
            return Ok(set);
        }
        let short = &commit.to_string()[..12];
        let origin = PathBuf::from(format!("{short}:{ALLOWED_SIGNERS_PATH}"));
        let text = match blob {
            Some(blob) => {
                let found = self.repo.find_blob(blob)?;
                String::from_utf8(found.content().to_vec()).map_err(|_| {
                    SigningError::AllowedSigners {
                        path: origin.clone(),
                        line: 1,
                        message: "not UTF-8 text".into(),
                    }
                })?
            }
            None => String::new(),
        };
        let signers = AllowedSigners::parse(&text, &origin)?;
        self.sets.push(signers);
        self.set_keys.push((blob, commit));
        let set = self.sets.len() - 1;
        self.by_blob.insert(blob, set);
        Ok(set)
    }
}

/// Whether a commit's verdict is a fact of history alone, to keep: one whose
/// committer time is out of range is judged at "now".
fn judged_without_the_clock(commit: &git2::Commit<'_>) -> bool {
    DateTime::from_timestamp(commit.committer().when().seconds(), 0).is_some()
}

/// Why a commit dated before one of its parents is untrusted, if it is: the
/// committer date is the signer's word, and validity windows are checked
/// against it, so history must not run backwards.
fn backdated(commit: &git2::Commit<'_>) -> Result<Option<String>, TrustError> {
    let when = commit.committer().when().seconds();
    for parent in commit.parents() {
        let before = parent.committer().when().seconds();
        if when < before {
            let show = |s: i64| {
                DateTime::<Utc>::from_timestamp(s, 0)
                    .map_or_else(|| s.to_string(), |t| t.to_rfc3339())
            };
            return Ok(Some(format!(
                "dated {} but its parent {} is dated {}: a commit dated before its parent is not trusted (its signature time cannot be believed)",
                show(when),
                &parent.id().to_string()[..12],
                show(before)
            )));
        }
    }
    Ok(None)
}
