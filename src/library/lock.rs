//! One change at a time, git locks left by dead processes, and durable git
//! writes: what every command that changes a library does before its first
//! write.
//!
//! A command killed between writing git's `index.lock` (or a ref's `.lock`)
//! and renaming it leaves the lock behind, and libgit2 then refuses every
//! later write with a raw "failed to create locked file". Finding that out
//! after `seal` or `edit` has already re-encrypted a runbook is too late, so
//! [`begin`] looks first:
//!
//! - it takes grabbag's own lock, `.git/grabbag.lock` (an OS file lock, which
//!   the kernel releases when its holder dies, with the holder's pid written
//!   inside for the message), so two grabbag commands never change
//!   one library at once;
//! - holding it, no other grabbag is mid-change here, so a git lock file that
//!   no process has open (Linux: no `/proc/*/fd` link to it) or that is older
//!   than the last boot was left by a dead process: it is removed and
//!   reported. Any other git lock stops the command, before any file changed,
//!   with the exact `rm` to run once no git command is running;
//! - it makes libgit2 sync objects and refs to disk before a commit is
//!   reported: `core.fsyncObjectFiles` in `.git/grabbag.config`, a config file
//!   only grabbag adds to its repository handle ([`durable`]; the process-wide
//!   libgit2 option would need `unsafe`, and in the repository's own config
//!   the git CLI would warn on every command that the key is deprecated). The
//!   index, which libgit2 never syncs, is synced by [`sync_index`].

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use super::LibraryError;

/// grabbag's own lock file, inside the git directory.
const LOCK_FILE: &str = "grabbag.lock";
/// The config file only grabbag reads, inside the git directory.
const DURABLE_CONFIG: &str = "grabbag.config";
/// What it says.
const DURABLE_TEXT: &str = "# Read by grabbag only: sync git objects and refs to disk before a commit is reported.\n[core]\n\tfsyncObjectFiles = true\n";

/// Held while a command changes the library; released when dropped (or when
/// the process dies, whatever way it dies).
#[derive(Debug)]
pub struct ChangeLock {
    file: File,
    recovered: Vec<PathBuf>,
}

impl ChangeLock {
    /// Stale git locks that were removed, to tell the user about.
    pub fn recovered(&self) -> &[PathBuf] {
        &self.recovered
    }
}

impl Drop for ChangeLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// Takes the change lock of the repository whose git directory is `git_dir`,
/// clears git locks left by dead processes (refusing on live ones), and
/// makes sure the config of [`durable`] is there. Call before the first
/// write, then [`durable`] on the repository handle that writes.
pub fn begin(git_dir: &Path) -> Result<ChangeLock, LibraryError> {
    crate::fault::point("grabbag.lock").map_err(super::io_err(git_dir))?;
    let path = git_dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(super::io_err(&path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            return Err(LibraryError::Refused(format!(
                "another grabbag command is changing this library ({}): wait for it to finish, then run this again",
                holder.trim().trim_end_matches('.')
            )));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(super::io_err(&path)(e)),
    }
    let holder = format!(
        "pid {}, since {}",
        std::process::id(),
        chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ")
    );
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = file.write_all(holder.as_bytes());

    let mut recovered = Vec::new();
    for lock in git_locks(git_dir) {
        if !stale(&lock) {
            let since = std::fs::metadata(&lock)
                .and_then(|m| m.modified())
                .map(|t| {
                    chrono::DateTime::<chrono::Local>::from(t)
                        .format(" (made %Y-%m-%d %H:%M)")
                        .to_string()
                })
                .unwrap_or_default();
            return Err(LibraryError::Refused(format!(
                "git's lock file {}{since} exists: a git command is working on this library, or one was interrupted. Nothing was changed. If no `git` command is running here, remove it (rm '{}') and run this again",
                lock.display(),
                lock.display()
            )));
        }
        std::fs::remove_file(&lock).map_err(super::io_err(&lock))?;
        recovered.push(lock);
    }
    let config = git_dir.join(DURABLE_CONFIG);
    if std::fs::read_to_string(&config).ok().as_deref() != Some(DURABLE_TEXT) {
        crate::fault::point("grabbag.config").map_err(super::io_err(&config))?;
        crate::fsutil::replace_atomically(&config, DURABLE_TEXT.as_bytes())
            .map_err(super::io_err(&config))?;
    }
    Ok(ChangeLock { file, recovered })
}

/// git's lock files: the index, HEAD, config, packed refs and any ref.
fn git_locks(git_dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = ["index.lock", "HEAD.lock", "config.lock", "packed-refs.lock"]
        .iter()
        .map(|name| git_dir.join(name))
        .filter(|p| p.symlink_metadata().is_ok())
        .collect();
    let mut dirs = vec![git_dir.join("refs")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => dirs.push(path),
                Ok(_) if path.extension().is_some_and(|e| e == "lock") => found.push(path),
                _ => {}
            }
        }
    }
    found
}

/// Whether a lock file was left by a process that is gone: older than the
/// last boot, or (on Linux) open in no process. Elsewhere it cannot be told,
/// and the user is asked.
fn stale(lock: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        older_than_boot(lock) || !open_anywhere(lock)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = lock;
        false
    }
}

#[cfg(target_os = "linux")]
fn older_than_boot(lock: &Path) -> bool {
    let boot = std::fs::read_to_string("/proc/stat").ok().and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("btime "))
            .and_then(|t| t.trim().parse::<u64>().ok())
    });
    let made = std::fs::metadata(lock)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
    matches!((boot, made), (Some(boot), Some(made)) if made.as_secs() < boot)
}

/// Whether any process has `lock` open. git and libgit2 keep a lock file open
/// from creating it until they rename it into place.
#[cfg(target_os = "linux")]
fn open_anywhere(lock: &Path) -> bool {
    let Ok(want) = lock.canonicalize() else {
        return false;
    };
    let Ok(procs) = std::fs::read_dir("/proc") else {
        // No /proc to look in: assume the worst.
        return true;
    };
    procs.flatten().any(|p| {
        let is_pid = p
            .file_name()
            .to_str()
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
        is_pid
            && std::fs::read_dir(p.path().join("fd")).is_ok_and(|fds| {
                fds.flatten()
                    .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|t| t == want))
            })
    })
}

/// Makes libgit2 sync the objects and refs `repo` writes: adds grabbag's
/// config file to this handle's configuration. Call right after opening,
/// before the first object or ref is read (libgit2 reads the setting once).
pub fn durable(repo: &git2::Repository) -> Result<(), LibraryError> {
    durable_as(repo, repo.path())
}

/// [`durable`] for a repository grabbag writes into but does not own (a
/// remote on a USB stick), with the config file of the library in `git_dir`.
pub fn durable_as(repo: &git2::Repository, git_dir: &Path) -> Result<(), LibraryError> {
    let path = git_dir.join(DURABLE_CONFIG);
    if path.is_file() {
        repo.config()?
            .add_file(&path, git2::ConfigLevel::App, false)?;
    }
    Ok(())
}

/// Syncs git's index and its folder after libgit2 wrote it (libgit2 does not
/// sync the index even when told to sync objects and refs).
pub fn sync_index(repo: &git2::Repository) -> Result<(), LibraryError> {
    let path = repo.path().join("index");
    if path.exists() {
        File::open(&path)
            .and_then(|f| f.sync_all())
            .map_err(super::io_err(&path))?;
    }
    crate::fsutil::sync_dir(repo.path()).map_err(super::io_err(repo.path()))
}

/// Syncs the pack files a fetch wrote (libgit2's indexer syncs only under a
/// process-wide option that needs `unsafe` to set).
pub fn sync_packs(repo: &git2::Repository) -> Result<(), LibraryError> {
    let dir = repo.path().join("objects").join("pack");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            let path = entry.path();
            File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(super::io_err(&path))?;
        }
    }
    crate::fsutil::sync_dir(&dir).map_err(super::io_err(&dir))
}
