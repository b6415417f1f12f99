//! Bringing the working tree from one tree to another, file by file, so that a
//! sync killed (or out of disk) half-way can always be put right.
//!
//! libgit2's checkout truncates a file and then writes it, so an interruption
//! in between leaves a runbook of 0 bytes, and files of the new version that
//! every later sync calls local changes. Here each file is written to a
//! temporary sibling, synced and renamed into place, so a file is always whole,
//! old or new; the folders are synced afterwards; git's index follows; and the
//! branch moves last (the caller's step). Before the first write,
//! `.git/grabbag-sync` records both commits, so the next sync knows that files
//! differing from HEAD are its own unfinished work: [`recover`] puts them back
//! to HEAD, and the sync then runs again from the start (trust checked again).
//!
//! Two kinds of file get special care. Journals (under `journals/` and
//! `exercises/runs/`) are written owner-only, in owner-only folders, as the
//! rest of grabbag writes them. A live journal (a file at the top of
//! `journals/`, which a responder may be writing right now) is never removed
//! or replaced: one that SOURCE removes stays on disk, no longer tracked, and
//! one that SOURCE changes differently stops the sync before any file changes.

use std::collections::BTreeSet;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use git2::{ObjectType, Oid, Repository, Tree};

use super::sync::SyncError;

/// The marker of a sync in progress, in the git directory.
const MARKER: &str = "grabbag-sync";

/// git's file modes.
const MODE_EXEC: i32 = 0o100755;
const MODE_LINK: i32 = 0o120000;
const MODE_GITLINK: i32 = 0o160000;

/// Which way [`apply`] runs: a sync refuses to replace a live journal; a
/// rollback leaves it as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Rollback,
}

/// What [`apply`] left alone.
#[derive(Debug, Default)]
pub(super) struct Applied {
    /// Live journals SOURCE removed, kept on disk and no longer tracked.
    pub kept_journals: Vec<String>,
}

/// Whether `path` is a live journal: a journal file at the top of
/// `journals/`, where the interface and `note` write.
pub fn is_live_journal(path: &str) -> bool {
    path.strip_prefix("journals/").is_some_and(|name| {
        !name.contains('/')
            && [".jsonl", ".jsonl.sig", ".jsonl.torn", ".jsonl.key"]
                .iter()
                .any(|end| name.ends_with(end))
    })
}

/// Whether `path` holds journals, which are kept owner-only.
fn is_private(path: &str) -> bool {
    path == "journals"
        || path.starts_with("journals/")
        || path == "exercises/runs"
        || path.starts_with("exercises/runs/")
}

fn git(context: &str) -> impl FnOnce(git2::Error) -> SyncError + '_ {
    move |error| SyncError::Git {
        context: context.to_owned(),
        error,
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SyncError + '_ {
    move |error| SyncError::Io {
        path: path.to_owned(),
        error,
    }
}

/// Whether a sync was stopped before it finished (its marker is there).
pub(super) fn pending(repo: &Repository) -> bool {
    repo.path().join(MARKER).exists()
}

/// Records that the working tree is about to move from `from` to `to`.
fn begin(repo: &Repository, from: Option<Oid>, to: Oid) -> Result<(), SyncError> {
    let path = repo.path().join(MARKER);
    let text = format!(
        "from {}\nto {to}\n",
        from.map_or("none".to_owned(), |f| f.to_string())
    );
    crate::fault::point("sync marker").map_err(io(&path))?;
    crate::fsutil::replace_atomically(&path, text.as_bytes()).map_err(io(&path))
}

/// The sync is complete (the branch has moved): forget the marker.
pub(super) fn finish(repo: &Repository) -> Result<(), SyncError> {
    let path = repo.path().join(MARKER);
    crate::fault::point("sync marker removal").map_err(io(&path))?;
    match std::fs::remove_file(&path) {
        Ok(()) => crate::fsutil::sync_dir(repo.path()).map_err(io(repo.path())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(&path)(e)),
    }
}

/// Puts right what an interrupted sync left: files of the new version go back
/// to HEAD's (or, when the branch had already moved, nothing is to do).
/// Returns true when there was something to put right.
pub(super) fn recover(repo: &Repository, head: Option<Oid>) -> Result<bool, SyncError> {
    let path = repo.path().join(MARKER);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io(&path)(e)),
    };
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .map(str::trim)
    };
    let from = field("from").and_then(|h| Oid::from_str(h).ok());
    let to = field("to").and_then(|h| Oid::from_str(h).ok());
    if let Some(to) = to
        && head != Some(to)
        && head == from
        && let Ok(to_commit) = repo.find_commit(to)
    {
        let context = "putting back the files of an interrupted sync";
        let new_tree = to_commit.tree().map_err(git(context))?;
        let head_tree = match head {
            Some(h) => Some(
                repo.find_commit(h)
                    .and_then(|c| c.tree())
                    .map_err(git(context))?,
            ),
            None => None,
        };
        apply_trees(
            repo,
            Some(&new_tree),
            head_tree.as_ref(),
            Direction::Rollback,
            &|| Ok(()),
        )
        .map_err(|e| match e {
            SyncError::InTheWay { paths } => SyncError::Interrupted { paths },
            other => other,
        })?;
    }
    // The branch moved (the sync had finished but for this marker), or it was
    // moved by other means: either way the marker has nothing left to say.
    finish(repo)?;
    Ok(true)
}

/// Brings the working tree and index from commit `from` to commit `to`
/// (with their trees), recording the move in the marker once every check has
/// passed and before the first write.
pub(super) fn apply(
    repo: &Repository,
    (from, from_tree): (Option<Oid>, Option<&Tree<'_>>),
    (to, to_tree): (Oid, &Tree<'_>),
) -> Result<Applied, SyncError> {
    apply_trees(repo, from_tree, Some(to_tree), Direction::Forward, &|| {
        begin(repo, from, to)
    })
}

/// One file's change: its blob id and mode before and after.
struct Change {
    path: String,
    old: Option<(Oid, i32)>,
    new: Option<(Oid, i32)>,
}

/// What is on disk at a path (symlinks not followed).
#[derive(Debug, PartialEq, Eq)]
enum OnDisk {
    Missing,
    /// A file or symlink with this blob id (a link's id is that of its target text).
    Blob(Oid),
    Dir,
    Other,
}

fn on_disk(full: &Path) -> OnDisk {
    let Ok(meta) = full.symlink_metadata() else {
        return OnDisk::Missing;
    };
    if meta.file_type().is_symlink() {
        return std::fs::read_link(full).map_or(OnDisk::Other, |target| {
            Oid::hash_object(
                ObjectType::Blob,
                target.as_os_str().to_string_lossy().as_bytes(),
            )
            .map_or(OnDisk::Other, OnDisk::Blob)
        });
    }
    if meta.is_dir() {
        return OnDisk::Dir;
    }
    if meta.is_file() {
        return Oid::hash_file(ObjectType::Blob, full).map_or(OnDisk::Other, OnDisk::Blob);
    }
    OnDisk::Other
}

fn matches(disk: &OnDisk, want: Option<(Oid, i32)>) -> bool {
    match want {
        None => *disk == OnDisk::Missing,
        Some((_, MODE_GITLINK)) => true,
        Some((id, _)) => *disk == OnDisk::Blob(id),
    }
}

/// Refuses a path from a tree that could lead out of the working tree or into
/// the git directory.
fn safe_path(path: &str) -> Result<PathBuf, SyncError> {
    let relative = PathBuf::from(path);
    let ok = !path.is_empty()
        && relative.components().all(|c| match c {
            Component::Normal(name) => {
                let name = name.to_string_lossy();
                let bad_on_windows = cfg!(windows) && name.contains([':', '\\']);
                !(name.eq_ignore_ascii_case(".git") || bad_on_windows)
            }
            _ => false,
        });
    if ok {
        Ok(relative)
    } else {
        Err(SyncError::InTheWay {
            paths: vec![format!(
                "{path} (a path that would lead out of the library)"
            )],
        })
    }
}

fn apply_trees(
    repo: &Repository,
    from: Option<&Tree<'_>>,
    to: Option<&Tree<'_>>,
    direction: Direction,
    before_writes: &dyn Fn() -> Result<(), SyncError>,
) -> Result<Applied, SyncError> {
    let context = "updating the library's files";
    let root = repo
        .workdir()
        .ok_or_else(|| SyncError::BareLibrary {
            path: repo.path().to_owned(),
        })?
        .to_owned();
    // A file that became a link (or the other way) is one change with both
    // sides, not a removal and an unrelated addition of the same path.
    let mut options = git2::DiffOptions::new();
    options.include_typechange(true);
    let diff = repo
        .diff_tree_to_tree(from, to, Some(&mut options))
        .map_err(git(context))?;
    let side = |file: git2::DiffFile<'_>| {
        (!file.id().is_zero()).then(|| (file.id(), i32::from(file.mode())))
    };
    let mut changes: Vec<Change> = diff
        .deltas()
        .filter_map(|d| {
            let path = d
                .new_file()
                .path_bytes()
                .or(d.old_file().path_bytes())
                .map(|p| String::from_utf8_lossy(p).into_owned())?;
            Some(Change {
                path,
                old: side(d.old_file()),
                new: side(d.new_file()),
            })
        })
        .collect();
    changes.sort_by(|a, b| a.path.cmp(&b.path));

    // Check everything before the first write.
    let removed: BTreeSet<&str> = changes
        .iter()
        .filter(|c| c.old.is_some())
        .map(|c| c.path.as_str())
        .collect();
    let mut in_the_way = Vec::new();
    let mut applied = Applied::default();
    let mut skip: BTreeSet<&str> = BTreeSet::new();
    for change in &changes {
        let relative = safe_path(&change.path)?;
        let disk = on_disk(&root.join(&relative));
        let live = is_live_journal(&change.path) && disk != OnDisk::Missing;
        if live && !matches(&disk, change.new) {
            if change.new.is_none() {
                applied.kept_journals.push(change.path.clone());
            } else if direction == Direction::Forward {
                return Err(SyncError::LiveJournal {
                    path: change.path.clone(),
                });
            }
            skip.insert(&change.path);
            continue;
        }
        if !matches(&disk, change.old) && !matches(&disk, change.new) {
            in_the_way.push(change.path.clone());
            continue;
        }
        // Every folder on the way must be a real folder (or a file or link
        // this very change removes first): never write through a symlink.
        let mut walked = PathBuf::new();
        let mut parents = relative.components().peekable();
        while let Some(part) = parents.next() {
            if parents.peek().is_none() {
                break;
            }
            walked.push(part);
            let name = walked.to_string_lossy();
            match on_disk(&root.join(&walked)) {
                OnDisk::Missing | OnDisk::Dir => {}
                _ if removed.contains(name.as_ref()) => {}
                _ => in_the_way.push(name.into_owned()),
            }
        }
    }
    if !in_the_way.is_empty() {
        in_the_way.sort();
        in_the_way.dedup();
        return Err(SyncError::InTheWay { paths: in_the_way });
    }

    before_writes()?;
    // Temporary files an interrupted run left behind go first.
    for change in &changes {
        let _ = std::fs::remove_file(temp_for(&root.join(&change.path)));
    }
    let mut touched: BTreeSet<PathBuf> = BTreeSet::new();
    // Removals first, so a file that becomes a folder (or a folder a file)
    // has room; then folders left empty go too.
    for change in changes
        .iter()
        .filter(|c| c.new.is_none() && !skip.contains(c.path.as_str()))
    {
        let full = root.join(&change.path);
        if on_disk(&full) == OnDisk::Missing {
            continue;
        }
        crate::fault::point("sync remove").map_err(io(&full))?;
        std::fs::remove_file(&full).map_err(io(&full))?;
        let mut dir = full.parent().map(Path::to_owned);
        while let Some(d) = dir {
            if d == root || std::fs::remove_dir(&d).is_err() {
                touched.insert(d);
                break;
            }
            dir = d.parent().map(Path::to_owned);
        }
    }
    let mut jobs: Vec<Job> = Vec::new();
    for change in changes.iter().filter(|c| !skip.contains(c.path.as_str())) {
        let Some((id, mode)) = change.new else {
            continue;
        };
        let full = root.join(&change.path);
        let disk = on_disk(&full);
        if matches(&disk, change.new) && (mode == MODE_GITLINK || disk != OnDisk::Missing) {
            continue;
        }
        if mode == MODE_GITLINK {
            continue;
        }
        let blob = repo.find_blob(id).map_err(git(context))?;
        make_parents(&root, &change.path, &mut touched)?;
        if disk == OnDisk::Dir {
            // A folder the new tree replaces by a file; its files were
            // removed above, so it is empty unless untracked files remain.
            std::fs::remove_dir(&full).map_err(io(&full))?;
        }
        if let Some(dir) = full.parent() {
            touched.insert(dir.to_owned());
        }
        jobs.push(Job {
            full,
            content: blob.content().to_vec(),
            mode,
            private: is_private(&change.path),
        });
    }
    // Each file is written to its temporary sibling and synced, several at a
    // time (each fsync waits for the disk; concurrent ones share the file
    // system's journal commits), then renamed into place in order.
    let written = write_all(&jobs);
    let renamed = jobs.iter().zip(&written).try_for_each(|(job, tmp)| {
        let tmp = match tmp {
            Ok(tmp) => tmp,
            Err(e) => return Err(io(&job.full)(std::io::Error::new(e.kind(), e.to_string()))),
        };
        crate::fault::point("sync rename").map_err(io(&job.full))?;
        std::fs::rename(tmp, &job.full).map_err(io(&job.full))
    });
    if renamed.is_err() {
        for tmp in written.iter().flatten() {
            let _ = std::fs::remove_file(tmp);
        }
    }
    renamed?;
    for dir in &touched {
        if dir.is_dir() {
            crate::fsutil::sync_dir(dir).map_err(io(dir))?;
        }
    }

    let mut index = repo.index().map_err(git(context))?;
    match to {
        Some(tree) => index.read_tree(tree).map_err(git(context))?,
        None => index.clear().map_err(git(context))?,
    }
    // A live journal SOURCE changed while this laptop's copy differs stays
    // as it is (rollback only); the index follows the tree regardless.
    crate::fault::point("sync index").map_err(io(repo.path()))?;
    index.write().map_err(git(context))?;
    super::lock::sync_index(repo).map_err(|e| SyncError::Io {
        path: repo.path().join("index"),
        error: std::io::Error::other(e.to_string()),
    })?;
    Ok(applied)
}

/// Creates the missing folders on the way to `path` (owner-only for
/// journals), refusing a symlink where a folder should be.
fn make_parents(root: &Path, path: &str, touched: &mut BTreeSet<PathBuf>) -> Result<(), SyncError> {
    let mut walked = PathBuf::new();
    let parts: Vec<&str> = path.split('/').collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        walked.push(part);
        let full = root.join(&walked);
        let private = is_private(&walked.to_string_lossy());
        match on_disk(&full) {
            OnDisk::Dir => {}
            OnDisk::Missing => {
                let mut builder = std::fs::DirBuilder::new();
                #[cfg(unix)]
                {
                    use std::os::unix::fs::DirBuilderExt;
                    builder.mode(if private { 0o700 } else { 0o755 });
                }
                builder.create(&full).map_err(io(&full))?;
                if let Some(dir) = full.parent() {
                    touched.insert(dir.to_owned());
                }
            }
            _ => {
                return Err(SyncError::InTheWay {
                    paths: vec![walked.display().to_string()],
                });
            }
        }
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&full, std::fs::Permissions::from_mode(0o700))
                .map_err(io(&full))?;
        }
    }
    Ok(())
}

/// The temporary sibling a file is written to before its rename.
fn temp_for(full: &Path) -> PathBuf {
    let name = full
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    full.with_file_name(format!(".{name}.grabbag-sync"))
}

/// One file to write.
struct Job {
    full: PathBuf,
    content: Vec<u8>,
    mode: i32,
    private: bool,
}

/// [`write_temp`] for every job, over a few threads; the results in the
/// order of `jobs`.
fn write_all(jobs: &[Job]) -> Vec<std::io::Result<PathBuf>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(4, 16)
        .min(jobs.len());
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(i) else { break done };
            done.push((i, write_temp(job)));
        }
    };
    let mut results: Vec<Option<std::io::Result<PathBuf>>> = jobs.iter().map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
        for handle in handles {
            for (i, result) in handle.join().unwrap_or_default() {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(result);
                }
            }
        }
    });
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(std::io::Error::other("a writer thread failed"))))
        .collect()
}

/// Writes one tree entry to a temporary sibling, synced: a file (owner-only
/// when private, executable when git says so) or a symlink. Returns it.
fn write_temp(job: &Job) -> std::io::Result<PathBuf> {
    let Job {
        full,
        content,
        mode,
        private,
    } = job;
    #[cfg(not(unix))]
    let _ = private;
    let tmp = temp_for(full);
    let _ = std::fs::remove_file(&tmp);
    crate::fault::point("sync write")?;
    let written = (|| {
        if *mode == MODE_LINK && cfg!(unix) {
            #[cfg(unix)]
            std::os::unix::fs::symlink(
                std::ffi::OsStr::new(&*String::from_utf8_lossy(content)),
                &tmp,
            )?;
        } else {
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(match (*private, *mode) {
                    (true, _) => 0o600,
                    (false, MODE_EXEC) => 0o755,
                    _ => 0o644,
                });
            }
            let mut file = options.open(&tmp)?;
            file.write_all(content)?;
            file.sync_all()?;
        }
        Ok(())
    })();
    match written {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_journals_are_the_top_of_journals() {
        assert!(is_live_journal("journals/2026-01-01-x.jsonl"));
        assert!(is_live_journal("journals/x.jsonl.sig"));
        assert!(!is_live_journal("journals/committed/x.jsonl"));
        assert!(!is_live_journal("exercises/runs/x.jsonl"));
        assert!(!is_live_journal("journals/notes.md"));
    }

    #[test]
    fn paths_into_git_or_up_are_refused() {
        for bad in [".git/config", "a/.GIT/x", "../x", "a/../../x", "/etc/x", ""] {
            assert!(safe_path(bad).is_err(), "{bad}");
        }
        assert!(safe_path("cyber/ransomware.toml.age").is_ok());
    }
}
