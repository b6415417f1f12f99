//! Moving journal commits to and from a remote. A repository on a path (a
//! USB stick) is read and written with libgit2, object by object, which
//! needs no `git` program and no network code: a pull first reads each
//! sender's history on the stick (sizes from object headers, nothing copied)
//! and copies only what passes [`Limits`], since a hostile stick could
//! otherwise fill the disk before a journal is judged. Anything else (an
//! `ssh://`, `user@host:path` or `file://` remote) goes through the
//! system's `git`, since this build of libgit2 has no network transports;
//! those objects are copied before they are judged. Either way only refs
//! under `refs/grabbag/journals/` are read or written: never a branch.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use git2::{Oid, Repository};

use super::ExchangeError;

/// Where each sender's journals live on a remote: `refs/grabbag/journals/<sender>`.
pub const JOURNAL_REFS: &str = "refs/grabbag/journals/";

/// Where a fetch puts the remote's journal refs in the library, for the
/// length of one command.
const INCOMING_REFS: &str = "refs/grabbag/incoming/";

/// Where a push puts the commit it sends, for the length of one command.
const OUTGOING_REFS: &str = "refs/grabbag/outgoing/";

/// A remote to exchange journals with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remote {
    /// A repository folder (bare or not), e.g. on a USB stick.
    Path(PathBuf),
    /// A URL the system's `git` understands (`ssh://`, `user@host:path`, `file://`).
    Url(String),
}

impl Remote {
    /// Reads REMOTE as typed: a URL when it has a scheme (`x://`) or is
    /// scp-like (`host:path`, with the `:` before any `/`, and not a Windows
    /// drive letter such as `E:\`); a path otherwise.
    pub fn parse(text: &str) -> Self {
        let scp_like = match text.split_once(':') {
            Some((host, _)) => !host.is_empty() && !host.contains('/') && host.len() > 1,
            None => false,
        };
        if text.contains("://") || scp_like {
            Remote::Url(text.to_owned())
        } else {
            Remote::Path(PathBuf::from(text))
        }
    }
}

impl std::fmt::Display for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Remote::Path(path) => write!(f, "{}", path.display()),
            Remote::Url(url) => f.write_str(url),
        }
    }
}

fn git(context: impl Into<String>) -> impl FnOnce(git2::Error) -> ExchangeError {
    let context = context.into();
    move |error| ExchangeError::Git { context, error }
}

/// The refs under `prefix` in the library, with what each points at. Names
/// are raw bytes: they came from elsewhere.
fn refs_under(repo: &Repository, prefix: &str) -> Result<Vec<(Vec<u8>, Oid)>, ExchangeError> {
    let context = "listing the journal refs fetched";
    let mut out = Vec::new();
    for reference in repo.references().map_err(git(context))? {
        let reference = reference.map_err(git(context))?;
        if let (Some(rest), Some(target)) = (
            reference.name_bytes().strip_prefix(prefix.as_bytes()),
            reference.target(),
        ) {
            out.push((rest.to_vec(), target));
        }
    }
    Ok(out)
}

/// Deletes every ref under `prefix` (what an earlier, interrupted command left).
fn clear(repo: &Repository, prefix: &str) -> Result<(), ExchangeError> {
    let context = format!("clearing {prefix}");
    let mut found = Vec::new();
    for reference in repo.references().map_err(git(&context))? {
        let reference = reference.map_err(git(&context))?;
        if reference.name_bytes().starts_with(prefix.as_bytes()) {
            found.push(reference);
        }
    }
    for mut reference in found {
        reference.delete().map_err(git(&context))?;
    }
    Ok(())
}

/// What a fetch brought, and what it would not.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Fetched {
    /// Each journal ref fetched: its name below `refs/grabbag/journals/`
    /// (raw bytes, unchecked) and its target.
    pub refs: Vec<(Vec<u8>, Oid)>,
    /// Refs of a path remote left on the remote, by name, and why: what
    /// they would bring was refused before anything was copied.
    pub withheld: Vec<(Vec<u8>, String)>,
    /// Files of a path remote larger than a file of their name may be,
    /// left there, with their size: the tip's are refused by name and size
    /// without being read.
    pub not_copied: HashMap<Oid, u64>,
}

/// What one pull may bring into the library from a path remote, checked on
/// the remote before anything is copied: a stick is hostile until proven
/// otherwise, and a fetch copies every object a ref reaches. A file over its
/// limit is left on the remote (and refused by name and size when it is in
/// a ref's last commit); anything else over a limit withholds the whole ref.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// The largest file named as a journal.
    pub journal: u64,
    /// The largest file of any other name (signatures, keys, anything).
    pub side: u64,
    /// The largest commit or folder listing (a journal commit is a few
    /// hundred bytes; a listing of 1,000 files under 100 KB).
    pub record: u64,
    /// The most bytes of objects the library lacks, over all refs, each
    /// object counted with [`OBJECT_COST`] more for the file it is stored in.
    pub total: u64,
    /// The most objects the library lacks, over all refs.
    pub objects: usize,
}

/// What an object costs on disk beyond its bytes: each is its own file.
const OBJECT_COST: u64 = 4096;

/// The most parents a commit of a journal ref may have (a push makes one).
const MAX_PARENTS: usize = 16;

impl Limits {
    /// A journal's own limit; four of them in all, and as many pushes as a
    /// long incident makes.
    pub(super) const PULL: Limits = Limits {
        journal: crate::journal::store::MAX_JOURNAL_BYTES,
        side: super::MAX_SIDE_BYTES,
        record: 1 << 20,
        total: 4 * crate::journal::store::MAX_JOURNAL_BYTES,
        objects: 1_000_000,
    };
}

/// Fetches every sender's journal ref from `remote`. From a path remote,
/// each ref's history is first read on the remote (see [`Limits`]): a ref
/// that would bring too much is withheld and none of its objects copied,
/// and what passes is copied object by object, files first, so a commit in
/// the library always has its files. The objects fetched stay in the
/// library's object store; no ref is left in the library.
pub(super) fn fetch(
    repo: &Repository,
    remote: &Remote,
    limits: Limits,
) -> Result<Fetched, ExchangeError> {
    clear(repo, INCOMING_REFS)?;
    let mut withheld = Vec::new();
    let mut not_copied = HashMap::new();
    let refs = match remote {
        Remote::Path(path) => {
            let theirs = open_plain(path)?;
            let from = theirs
                .odb()
                .map_err(git(format!("opening the objects of {}", path.display())))?;
            let to = repo.odb().map_err(git("opening the library's objects"))?;
            let mut theirs_refs = refs_under(&theirs, JOURNAL_REFS)?;
            theirs_refs.sort();
            let mut left = Spent {
                bytes: limits.total,
                objects: limits.objects,
            };
            let mut taken = Vec::new();
            for (n, (name, target)) in theirs_refs.into_iter().enumerate() {
                if n >= super::MAX_SENDERS {
                    withheld.push((name, super::too_many_senders()));
                    continue;
                }
                // A name no sender can have is refused unread.
                if let Err(why) = super::ref_sender(&name) {
                    withheld.push((name, why));
                    continue;
                }
                // Copied object by object once checked: libgit2's fetch
                // copies what every ref reaches, withheld or not.
                let fetched = vet(&theirs, &from, &to, target, limits, left).and_then(|vetted| {
                    copy_objects(&from, &to, &vetted.wanted)?;
                    Ok(vetted)
                });
                match fetched {
                    Ok(vetted) => {
                        left = vetted.left;
                        not_copied.extend(vetted.over);
                        taken.push((name, target));
                    }
                    Err(why) => withheld.push((name, why)),
                }
            }
            taken
        }
        Remote::Url(url) => {
            let refspec = format!("+{JOURNAL_REFS}*:{INCOMING_REFS}*");
            run_git(
                repo,
                "fetch",
                url,
                &[
                    "fetch",
                    "--quiet",
                    "--no-tags",
                    "--no-write-fetch-head",
                    "--",
                    url,
                    &refspec,
                ],
            )?;
            let fetched = refs_under(repo, INCOMING_REFS)?;
            clear(repo, INCOMING_REFS)?;
            fetched
        }
    };
    Ok(Fetched {
        refs,
        withheld,
        not_copied,
    })
}

/// What is left of a pull's [`Limits`].
#[derive(Debug, Clone, Copy)]
struct Spent {
    bytes: u64,
    objects: usize,
}

/// What a ref may bring: the objects the library lacks (commits, then their
/// listings, then files, as found), the files left on the remote for their
/// size, and what is left of the pull's limits once they are copied.
struct Vetted {
    wanted: Vec<Oid>,
    over: HashMap<Oid, u64>,
    left: Spent,
}

/// What the ref at `target` of the remote `theirs` (its objects `odb`)
/// would bring into a library whose objects are `have`, or why it may not
/// be fetched (see [`Limits`]). Only commits and files
/// the library lacks count: what an earlier pull took is not read again.
/// Every object's size and type are read from its header before it is
/// read whole, if at all.
fn vet(
    theirs: &Repository,
    odb: &git2::Odb<'_>,
    have: &git2::Odb<'_>,
    target: Oid,
    limits: Limits,
    mut left: Spent,
) -> Result<Vetted, String> {
    use git2::ObjectType;
    let unreadable = |e: git2::Error| format!("its history cannot be read: {}", e.message());
    // Each object the library lacks, once: its size, against the limits.
    let mut take = |size: u64, wanted: &mut Vec<Oid>, id: Oid| -> Result<(), String> {
        let cost = size.saturating_add(OBJECT_COST);
        if left.objects == 0 || cost > left.bytes {
            return Err(format!(
                "more than {} bytes or {} objects the library does not have, over this pull: not fetched",
                limits.total, limits.objects
            ));
        }
        left.bytes -= cost;
        left.objects -= 1;
        wanted.push(id);
        Ok(())
    };
    let record = |id: Oid, kind: ObjectType, what: &str| -> Result<u64, String> {
        let (size, found) = odb.read_header(id).map_err(unreadable)?;
        let size = size as u64;
        if found != kind {
            return Err(format!("{id} is not a {what}: not fetched"));
        }
        if size > limits.record {
            return Err(format!(
                "a {what} of {size} bytes, more than the {} allowed: not fetched",
                limits.record
            ));
        }
        Ok(size)
    };
    let mut seen = std::collections::HashSet::new();
    let mut next = vec![target];
    let mut wanted = Vec::new();
    let mut over = HashMap::new();
    while let Some(id) = next.pop() {
        if !seen.insert(id) || have.exists(id) {
            continue;
        }
        let size = record(id, ObjectType::Commit, "commit")?;
        take(size, &mut wanted, id)?;
        let commit = theirs.find_commit(id).map_err(unreadable)?;
        if commit.parent_count() > MAX_PARENTS {
            return Err(format!(
                "a commit with {} parents, more than the {MAX_PARENTS} a journal's has: not fetched",
                commit.parent_count()
            ));
        }
        next.extend(commit.parent_ids().filter(|p| !seen.contains(p)));
        let tree = commit.tree_id();
        if have.exists(tree) || !seen.insert(tree) {
            continue;
        }
        let size = record(tree, ObjectType::Tree, "folder listing")?;
        take(size, &mut wanted, tree)?;
        let tree = theirs.find_tree(tree).map_err(unreadable)?;
        if tree.len() > super::MAX_FILES {
            return Err(format!(
                "{} files, more than the {} a sender may send: not fetched",
                tree.len(),
                super::MAX_FILES
            ));
        }
        for entry in tree.iter() {
            // A folder or a gitlink is refused by name when the tip is read
            // (only files travel), never read: what it holds is not copied.
            if entry.kind() != Some(ObjectType::Blob) {
                continue;
            }
            let blob = entry.id();
            if have.exists(blob) || seen.contains(&blob) {
                continue;
            }
            let (size, kind) = odb.read_header(blob).map_err(unreadable)?;
            let size = size as u64;
            let limit = match super::names::check_file(entry.name_bytes()) {
                Ok((_, super::names::Kind::Journal)) => limits.journal,
                _ => limits.side,
            };
            if kind != ObjectType::Blob || size > limit {
                // Left on the remote; the same file under a name allowed
                // more may still be taken.
                over.insert(blob, size);
                continue;
            }
            seen.insert(blob);
            take(size, &mut wanted, blob)?;
        }
    }
    Ok(Vetted { wanted, over, left })
}

/// Copies `wanted` from the remote's objects into the library's, each
/// checked to be what its id says, in the reverse of the order found:
/// files, then their listings, then the commits, oldest first, so that an
/// interrupted copy never leaves a commit without what it names.
fn copy_objects(from: &git2::Odb<'_>, to: &git2::Odb<'_>, wanted: &[Oid]) -> Result<(), String> {
    for &id in wanted.iter().rev() {
        let object = from
            .read(id)
            .map_err(|e| format!("object {id} cannot be read: {}", e.message()))?;
        let written = to
            .write(object.kind(), object.data())
            .map_err(|e| format!("object {id} cannot be written: {}", e.message()))?;
        if written != id {
            return Err(format!("object {id} is damaged on the remote: not taken"));
        }
    }
    Ok(())
}

/// The repository at `path` (a stick), refused when it would lead libgit2
/// elsewhere on this laptop: a `.git` file or a `commondir` pointing at
/// another git folder, object alternates, or an objects folder that is a
/// link. Its own files only, read or written.
fn open_plain(path: &Path) -> Result<Repository, ExchangeError> {
    local_url(path)?;
    let refused = |why: &str| ExchangeError::RemoteRefused {
        path: path.to_owned(),
        why: why.to_owned(),
    };
    let dot_git = path.join(".git");
    let git_dir = match std::fs::symlink_metadata(&dot_git) {
        Ok(m) if m.is_dir() => dot_git,
        Ok(_) => {
            return Err(refused(
                "its .git is a file or a link pointing elsewhere: refused",
            ));
        }
        Err(_) => path.to_owned(),
    };
    if std::fs::symlink_metadata(git_dir.join("commondir")).is_ok() {
        return Err(refused(
            "it shares another repository's folder (commondir): refused",
        ));
    }
    if std::fs::symlink_metadata(git_dir.join("objects/info/alternates")).is_ok() {
        return Err(refused(
            "it borrows objects from elsewhere (alternates): refused",
        ));
    }
    if std::fs::symlink_metadata(git_dir.join("objects")).is_ok_and(|m| !m.is_dir()) {
        return Err(refused("its objects folder is a link or a file: refused"));
    }
    Repository::open(path).map_err(|error| ExchangeError::RemoteNotRepository {
        path: path.to_owned(),
        error,
    })
}

/// Sends `commit` as `refs/grabbag/journals/<sender>` on `remote`, where
/// the ref must still be `expected` (what the fetch saw; `None`: no ref):
/// the remote never takes anything but a fast-forward of what was read.
pub fn push(
    repo: &Repository,
    remote: &Remote,
    sender: &str,
    commit: Oid,
    expected: Option<Oid>,
) -> Result<(), ExchangeError> {
    let target = format!("{JOURNAL_REFS}{sender}");
    match remote {
        Remote::Path(path) => push_local(repo, path, &target, commit, expected),
        Remote::Url(url) => {
            let outgoing = format!("{OUTGOING_REFS}{sender}");
            repo.reference(&outgoing, commit, true, "grabbag journal push")
                .map_err(git(format!("writing {outgoing}")))?;
            // No `+`: git refuses a push that is not a fast-forward.
            let refspec = format!("{outgoing}:{target}");
            let pushed = match run_git(repo, "push", url, &["push", "--quiet", "--", url, &refspec])
            {
                Err(ExchangeError::GitCommand { message, .. })
                    if message.contains("non-fast-forward") || message.contains("fetch first") =>
                {
                    Err(ExchangeError::PushRejected {
                        remote: url.clone(),
                        refname: target,
                        message,
                    })
                }
                other => other,
            };
            clear(repo, OUTGOING_REFS)?;
            pushed
        }
    }
}

/// Writes the commit's objects straight into the repository at `path`
/// (blobs, then the tree, then the commit, so no object ever points at a
/// missing one), then moves the ref only if it still is `expected`: a
/// compare-and-swap, so a push that raced another is refused. The remote's
/// handle syncs objects and refs to disk as the library's does, so a stick
/// pulled out as soon as the command returns holds the push whole.
fn push_local(
    repo: &Repository,
    path: &Path,
    target: &str,
    commit: Oid,
    expected: Option<Oid>,
) -> Result<(), ExchangeError> {
    let context = format!("writing journals to {}", path.display());
    let remote = open_plain(path)?;
    crate::library::lock::durable_as(&remote, repo.path())?;
    let source = repo.odb().map_err(git(&context))?;
    let dest = remote.odb().map_err(git(&context))?;
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(git(&context))?;
    let objects = tree
        .iter()
        .map(|entry| entry.id())
        .chain([tree.id(), commit]);
    for id in objects {
        if !dest.exists(id) {
            let object = source.read(id).map_err(git(&context))?;
            dest.write(object.kind(), object.data())
                .map_err(git(&context))?;
        }
    }
    let message = "grabbag journal push";
    let moved = match expected {
        Some(old) => remote.reference_matching(target, commit, true, old, message),
        None => remote.reference(target, commit, false, message),
    };
    match moved {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.code(),
                git2::ErrorCode::Modified | git2::ErrorCode::Exists
            ) =>
        {
            Err(ExchangeError::PushRejected {
                remote: path.display().to_string(),
                refname: target.to_owned(),
                message: "it changed since it was read (another push got there first)".to_owned(),
            })
        }
        Err(e) => Err(git(context)(e)),
    }
}

/// The URL libgit2's local transport takes for a repository folder, after
/// checking that the folder is there and is a repository.
fn local_url(path: &Path) -> Result<String, ExchangeError> {
    if std::fs::symlink_metadata(path).is_err() {
        return Err(ExchangeError::RemoteMissing(path.to_owned()));
    }
    Repository::open(path).map_err(|error| ExchangeError::RemoteNotRepository {
        path: path.to_owned(),
        error,
    })?;
    let absolute = std::path::absolute(path).map_err(|error| ExchangeError::Io {
        path: path.to_owned(),
        error,
    })?;
    absolute
        .to_str()
        .map(str::to_owned)
        .ok_or_else(|| ExchangeError::Io {
            path: path.to_owned(),
            error: io::Error::new(io::ErrorKind::InvalidInput, "the path is not valid UTF-8"),
        })
}

/// Runs the system's `git` on the library for a URL remote. `--` keeps a
/// URL from being read as an option, and `ext::` (which runs a command) is
/// refused whatever the user's configuration says.
fn run_git(repo: &Repository, what: &str, url: &str, args: &[&str]) -> Result<(), ExchangeError> {
    let mut command = Command::new("git");
    // The library's own git folder, whatever the environment says: an
    // exported GIT_DIR (say, from inside a hook) must not redirect the
    // objects and refs elsewhere.
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_NAMESPACE",
    ] {
        command.env_remove(var);
    }
    let output = command
        .arg("--git-dir")
        .arg(repo.path())
        .args(["-c", "protocol.ext.allow=never"])
        .args(args)
        .output()
        .map_err(|error| ExchangeError::GitMissing {
            url: url.to_owned(),
            error,
        })?;
    if output.status.success() {
        return Ok(());
    }
    let message = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    Err(ExchangeError::GitCommand {
        what: what.to_owned(),
        url: url.to_owned(),
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remote_takes_fast_forwards_only_and_no_temporary_ref_stays() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        Repository::init_bare(dir.path().join("stick.git")).unwrap_or_else(|e| panic!("{e}"));
        let repo = Repository::init(dir.path().join("lib")).unwrap_or_else(|e| panic!("{e}"));
        let who = git2::Signature::now("t", "t@example").unwrap_or_else(|e| panic!("{e}"));
        let commit = |message: &str, parents: &[Oid]| -> Oid {
            let tree = repo
                .treebuilder(None)
                .and_then(|b| b.write())
                .and_then(|t| repo.find_tree(t))
                .unwrap_or_else(|e| panic!("{e}"));
            let parents: Vec<git2::Commit<'_>> = parents
                .iter()
                .map(|p| repo.find_commit(*p).unwrap_or_else(|e| panic!("{e}")))
                .collect();
            let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
            repo.commit(None, &who, &who, message, &tree, &parents)
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let stick = Remote::Path(dir.path().join("stick.git"));
        let first = commit("first", &[]);
        let second = commit("second", &[first]);
        let unrelated = commit("unrelated", &[]);
        push(&repo, &stick, "laptop-a", first, None).unwrap_or_else(|e| panic!("{e}"));
        push(&repo, &stick, "laptop-a", second, Some(first)).unwrap_or_else(|e| panic!("{e}"));
        // What a second writer under the same name, or a race, would send:
        // built on an older view of the ref, or on none.
        for expected in [Some(first), None] {
            match push(&repo, &stick, "laptop-a", unrelated, expected) {
                Err(ExchangeError::PushRejected { refname, .. }) => {
                    assert_eq!(refname, "refs/grabbag/journals/laptop-a");
                }
                other => panic!("expected a refusal, got {other:?}"),
            }
        }
        let fetched = fetch(&repo, &stick, Limits::PULL).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            fetched,
            Fetched {
                refs: vec![(b"laptop-a".to_vec(), second)],
                withheld: Vec::new(),
                not_copied: HashMap::new(),
            }
        );
        let left: Vec<String> = repo
            .references()
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|r| r.ok().and_then(|r| r.name().ok().map(str::to_owned)))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    /// A stick whose refs would bring a huge file (at the tip or only in
    /// history), a folder, a ref to a bare file, or too much in all: each
    /// is withheld by name before any of its objects reach the library, and
    /// the good sender on the same stick is fetched.
    #[test]
    fn a_ref_that_would_bring_too_much_is_withheld_before_anything_is_copied() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let stick = Repository::init_bare(dir.path().join("stick.git")).unwrap();
        let repo = Repository::init(dir.path().join("lib")).unwrap();
        let who = git2::Signature::now("t", "t@example").unwrap();
        let limits = Limits {
            journal: 2_000,
            side: 1_000,
            record: 10_000,
            total: 80_000,
            objects: 1_000,
        };
        // Each sender's files, the last commit of each, and the blobs only
        // a withheld ref (or a folder) reaches.
        let mut kept_out: Vec<Oid> = Vec::new();
        let mut commit = |sender: &str, files: &[(&str, Vec<u8>)], folder: bool| {
            let mut tree = stick.treebuilder(None).unwrap();
            let mut ids = Vec::new();
            for (name, bytes) in files {
                let blob = stick.blob(bytes).unwrap();
                ids.push(blob);
                tree.insert(name, blob, 0o100644).unwrap();
            }
            if folder {
                let big = stick.blob(&[9; 5_000]).unwrap();
                kept_out.push(big);
                let mut inner = stick.treebuilder(None).unwrap();
                inner.insert("x.jsonl", big, 0o100644).unwrap();
                tree.insert("inner", inner.write().unwrap(), 0o040000)
                    .unwrap();
            }
            let tree = stick.find_tree(tree.write().unwrap()).unwrap();
            let refname = format!("{JOURNAL_REFS}{sender}");
            let parent = stick.refname_to_id(&refname).ok();
            let parents: Vec<git2::Commit<'_>> = parent
                .map(|p| stick.find_commit(p).unwrap())
                .into_iter()
                .collect();
            let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
            let id = stick
                .commit(Some(&refname), &who, &who, "push", &tree, &parents)
                .unwrap();
            (id, ids)
        };
        let small = |n: u8| vec![n; 100];
        let (good, _) = commit("good", &[("a.jsonl", small(1))], false);
        // Too big in history only: the tip is small.
        let (_, big) = commit("big", &[("a.jsonl", vec![2; 3_000])], false);
        let (big_tip, _) = commit("big", &[("a.jsonl", small(3))], false);
        let (side_tip, side) = commit(
            "side",
            &[("a.jsonl", small(4)), ("a.jsonl.sig", vec![5; 1_500])],
            false,
        );
        // A folder is refused by name at the tip, its content never copied.
        let (folder, _) = commit("folder", &[("a.jsonl", small(6))], true);
        let mut many = Vec::new();
        for n in 0..3 {
            many.extend(commit("many", &[("a.jsonl", vec![10 + n; 1_000])], false).1);
        }
        let mut long = Vec::new();
        for n in 0..12 {
            long.extend(commit("long", &[("a.jsonl", vec![20 + n; 10])], false).1);
        }
        let bare = stick.blob(&[7; 5_000]).unwrap();
        stick
            .reference(&format!("{JOURNAL_REFS}blob"), bare, false, "t")
            .unwrap();
        kept_out.extend(big.iter().chain(&side[1..]).chain(&many).chain(&long));
        kept_out.push(bare);
        let fetched = fetch(&repo, &Remote::Path(dir.path().join("stick.git")), limits)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            fetched.refs,
            vec![
                (b"big".to_vec(), big_tip),
                (b"folder".to_vec(), folder),
                (b"good".to_vec(), good),
                (b"side".to_vec(), side_tip),
            ]
        );
        let withheld: Vec<(String, &str)> = fetched
            .withheld
            .iter()
            .map(|(name, why)| (String::from_utf8_lossy(name).into_owned(), why.as_str()))
            .collect();
        let why = |name: &str| {
            withheld
                .iter()
                .find(|(n, _)| n == name)
                .map_or_else(|| panic!("{name} not withheld: {withheld:?}"), |w| w.1)
        };
        // The limits hold over the whole pull, each object counted with
        // the file it takes: senders are read in order of name.
        assert!(why("long").contains("more than 80000 bytes"));
        assert!(why("many").contains("more than 80000 bytes"));
        assert!(why("blob").contains("is not a commit"));
        assert_eq!(withheld.len(), 3, "{withheld:?}");
        // A file over its limit is left behind, with its size for the
        // refusal; the rest of its sender is taken.
        assert_eq!(fetched.not_copied.get(&big[0]), Some(&3_000));
        assert_eq!(fetched.not_copied.get(&side[1]), Some(&1_500));
        // None of what was refused reached the library; what was taken did.
        let odb = repo.odb().unwrap();
        let copied: Vec<&Oid> = kept_out.iter().filter(|b| odb.exists(**b)).collect();
        assert!(copied.is_empty(), "{copied:?}");
        assert!(odb.exists(good) && odb.exists(folder));
    }

    /// A stick repository that would lead libgit2 to another repository on
    /// the laptop (borrowed objects, a shared folder, a `.git` file) is
    /// refused before anything is read from it.
    #[test]
    fn a_stick_that_points_elsewhere_is_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let repo = Repository::init(dir.path().join("lib")).unwrap();
        let elsewhere = dir.path().join("elsewhere.git");
        Repository::init_bare(&elsewhere).unwrap();
        type Make<'a> = &'a dyn Fn(&Path);
        let cases: [(&str, Make<'_>); 3] = [
            ("alternates", &|stick| {
                Repository::init_bare(stick).unwrap();
                std::fs::write(
                    stick.join("objects/info/alternates"),
                    format!("{}\n", elsewhere.join("objects").display()),
                )
                .unwrap();
            }),
            ("commondir", &|stick| {
                Repository::init_bare(stick).unwrap();
                std::fs::write(stick.join("commondir"), elsewhere.display().to_string()).unwrap();
            }),
            ("is a file", &|stick| {
                std::fs::create_dir(stick).unwrap();
                std::fs::write(
                    stick.join(".git"),
                    format!("gitdir: {}\n", elsewhere.display()),
                )
                .unwrap();
            }),
        ];
        for (n, (why, make)) in cases.iter().enumerate() {
            let stick = dir.path().join(format!("stick{n}"));
            make(&stick);
            match fetch(&repo, &Remote::Path(stick), Limits::PULL) {
                Err(e @ ExchangeError::RemoteRefused { .. }) => {
                    let text = e.to_string();
                    assert!(
                        text.contains(why) && text.contains("git init --bare"),
                        "{text}"
                    );
                }
                other => panic!("{why}: expected a refusal, got {other:?}"),
            }
        }
    }

    #[test]
    fn remotes_are_read_as_typed() {
        let path = |p: &str| Remote::Path(PathBuf::from(p));
        let url = |u: &str| Remote::Url(u.to_owned());
        assert_eq!(Remote::parse("/media/usb/j.git"), path("/media/usb/j.git"));
        assert_eq!(Remote::parse("stick/j.git"), path("stick/j.git"));
        assert_eq!(Remote::parse("./a:b"), path("./a:b"));
        assert_eq!(Remote::parse("E:\\journals.git"), path("E:\\journals.git"));
        assert_eq!(Remote::parse("file:///tmp/j.git"), url("file:///tmp/j.git"));
        assert_eq!(Remote::parse("ssh://gold/j.git"), url("ssh://gold/j.git"));
        assert_eq!(Remote::parse("me@gold:j.git"), url("me@gold:j.git"));
    }
}
