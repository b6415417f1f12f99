//! A private scratch folder for handing decrypted text to an editor.
//!
//! `grabbag edit` is the one place plaintext must exist as a file, because an
//! editor needs one. The folder is made owner-only (0700) on a RAM-backed
//! runtime directory where the system has one (`$XDG_RUNTIME_DIR`, then
//! `/dev/shm`, each used only when its file system really is tmpfs or ramfs),
//! so the plaintext never reaches a disk; and it is overwritten and removed
//! when the [`Scratch`] is dropped, on success and error paths alike, nested
//! folders included. Editors' swap and backup files land in the same folder
//! and go with it. A folder left by a process that was killed outright (no
//! drop ran) is wiped by the next [`Scratch::create`]: each folder holds a
//! file its process keeps an OS lock on, which the kernel drops with it.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The prefix of every scratch folder's name.
const PREFIX: &str = "grabbag-edit-";
/// The file a live scratch folder's process holds locked.
const ALIVE: &str = ".alive";
/// What a folder's file is an edit of: the library, the runbook's path in
/// it, and the file's name in the folder, a line each.
const ORIGIN: &str = ".origin";

/// An owner-only temporary folder, wiped on drop.
#[derive(Debug)]
pub struct Scratch {
    dir: PathBuf,
    ram_backed: bool,
    _alive: File,
    left: bool,
}

impl Scratch {
    /// Makes a new scratch folder, first wiping any that a killed process
    /// left in the same place.
    pub fn create() -> std::io::Result<Self> {
        let (base, ram_backed) = Self::base();
        wipe_abandoned(&base);
        let unique = format!(
            "{PREFIX}{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        );
        let dir = base.join(unique);
        crate::fsutil::create_private_dir(&dir)?;
        let alive = File::create(dir.join(ALIVE))?;
        alive.lock()?;
        Ok(Self {
            dir,
            ram_backed,
            _alive: alive,
            left: false,
        })
    }

    /// Records what `file` in this folder is an edit of, so that an edit
    /// saved by a process killed before it could keep it is found by the
    /// next `edit` of the same library ([`abandoned_edits`]).
    pub fn note_origin(&self, library: &Path, runbook: &Path, file: &str) -> std::io::Result<()> {
        let library = library.canonicalize()?;
        let text = format!("{}\n{}\n{file}\n", library.display(), runbook.display());
        self.write(ORIGIN, text.as_bytes()).map(drop)
    }

    /// Where to put the folder, and whether that place is in memory: the
    /// first of `$XDG_RUNTIME_DIR` and `/dev/shm` that is a writable folder
    /// on tmpfs or ramfs, else the temporary folder.
    fn base() -> (PathBuf, bool) {
        for candidate in [
            std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from),
            cfg!(unix).then(|| PathBuf::from("/dev/shm")),
        ]
        .into_iter()
        .flatten()
        {
            if candidate.is_dir()
                && std::fs::metadata(&candidate).is_ok_and(|m| !m.permissions().readonly())
                && ram_backed(&candidate)
            {
                return (candidate, true);
            }
        }
        let temp = std::env::temp_dir();
        let in_ram = ram_backed(&temp);
        (temp, in_ram)
    }

    /// Leaves the folder as it is instead of wiping it (its text could be
    /// kept no other way); the next [`Scratch::create`] wipes it.
    pub fn leave(mut self) {
        self.left = true;
    }

    /// True when the folder is on a RAM-backed file system.
    pub fn ram_backed(&self) -> bool {
        self.ram_backed
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a new owner-only file in the folder.
    pub fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let path = self.dir.join(name);
        crate::fsutil::write_new_private(&path, bytes)?;
        Ok(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.left {
            wipe(&self.dir);
        }
    }
}

/// Overwrites every file under `dir` (nested folders too; symlinks are not
/// followed) with zeros, then removes the folder. On tmpfs this really
/// clears the text.
fn wipe(dir: &Path) {
    let mut pending = vec![dir.to_owned()];
    while let Some(folder) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                pending.push(path);
            } else if meta.is_file()
                && let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&path)
            {
                let _ = f.write_all(&vec![0u8; meta.len() as usize]);
                let _ = f.sync_all();
            }
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Wipes the scratch folders in `base` whose process is gone.
fn wipe_abandoned(base: &Path) {
    for dir in abandoned(base) {
        wipe(&dir);
    }
}

/// The text of edits of `library` left in scratch folders whose process was
/// killed (after the editor saved, before the edit could be kept sealed), with
/// the runbook each edits. Read before [`Scratch::create`] wipes them.
pub fn abandoned_edits(library: &Path) -> Vec<(PathBuf, zeroize::Zeroizing<String>)> {
    let Ok(library) = library.canonicalize() else {
        return Vec::new();
    };
    let (base, _) = Scratch::base();
    abandoned(&base)
        .into_iter()
        .filter_map(|dir| {
            let origin = crate::fsutil::read_regular(&dir.join(ORIGIN), 64 * 1024).ok()?;
            let origin = String::from_utf8(origin).ok()?;
            let mut lines = origin.lines();
            let (root, runbook, file) = (lines.next()?, lines.next()?, lines.next()?);
            if Path::new(root) != library || file.contains(['/', '\\']) {
                return None;
            }
            let bytes =
                crate::fsutil::read_regular(&dir.join(file), crate::library::MAX_RUNBOOK_BYTES)
                    .ok()?;
            let text = String::from_utf8(bytes).ok()?;
            Some((PathBuf::from(runbook), zeroize::Zeroizing::new(text)))
        })
        .collect()
}

/// The scratch folders in `base` whose process is gone: their `.alive` file
/// can be locked (or, from before the lock existed, is missing and no process
/// has the pid in the name, on Linux).
fn abandoned(base: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(base) else {
        return found;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        let dir = entry.path();
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let abandoned = match File::open(dir.join(ALIVE)) {
            Ok(file) => file.try_lock().is_ok(),
            Err(_) => {
                let pid = rest.split('-').next().unwrap_or_default();
                cfg!(target_os = "linux") && !Path::new("/proc").join(pid).exists()
            }
        };
        if abandoned {
            found.push(dir);
        }
    }
    found
}

/// Whether `dir` is on a RAM-backed file system (tmpfs or ramfs). Read from
/// the mount table on Linux; elsewhere it cannot be told, and the answer is
/// no (so `edit` warns).
fn ram_backed(dir: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        let (Ok(dir), Ok(table)) = (
            dir.canonicalize(),
            std::fs::read_to_string("/proc/self/mountinfo"),
        ) else {
            return false;
        };
        mount_type(&table, &dir).is_some_and(|t| t == "tmpfs" || t == "ramfs")
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        false
    }
}

/// The file system type of the mount holding `path`, from a mountinfo table
/// (the deepest mount point that contains it; the last one mounted wins).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn mount_type(table: &str, path: &Path) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for line in table.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let (Some(point), Some(dash)) = (fields.get(4), fields.iter().position(|f| *f == "-"))
        else {
            continue;
        };
        let Some(fstype) = fields.get(dash + 1) else {
            continue;
        };
        let point = PathBuf::from(point.replace("\\040", " ").replace("\\011", "\t"));
        if path.starts_with(&point) {
            let depth = point.components().count();
            if best.as_ref().is_none_or(|(d, _)| depth >= *d) {
                best = Some((depth, (*fstype).to_owned()));
            }
        }
    }
    best.map(|(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_is_private_and_removed() {
        let scratch = Scratch::create().unwrap();
        let file = scratch.write("x.toml", b"secret").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(scratch.dir())
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777,
                0o700
            );
            assert_eq!(
                std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let dir = scratch.dir().to_owned();
        drop(scratch);
        assert!(!dir.exists());
    }

    #[test]
    fn nested_files_are_wiped_and_abandoned_folders_removed() {
        let base = tempfile::tempdir().unwrap();
        let nested = base.path().join("grabbag-edit-1-2/.swap/deeper");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(nested.join("x.swp"), "secret").unwrap();
        // No `.alive`, and pid 1 is alive: only a lock says a folder is abandoned.
        let held = base.path().join("grabbag-edit-3-4");
        std::fs::create_dir_all(&held).unwrap();
        let alive = File::create(held.join(ALIVE)).unwrap();
        alive.lock().unwrap();
        let dead = base.path().join("grabbag-edit-5-6");
        std::fs::create_dir_all(dead.join("sub")).unwrap();
        std::fs::write(dead.join("sub/runbook.toml"), "secret").unwrap();
        File::create(dead.join(ALIVE)).unwrap();
        wipe_abandoned(base.path());
        assert!(!dead.exists(), "a folder nobody holds is wiped");
        assert!(held.exists(), "a folder whose process lives is left alone");
        wipe(&base.path().join("grabbag-edit-1-2"));
        assert!(!base.path().join("grabbag-edit-1-2").exists());
    }

    #[test]
    fn mount_types_come_from_the_deepest_mount() {
        let table = "22 1 0:21 / / rw - ext4 /dev/sda1 rw\n\
                     23 22 0:22 / /run/user/1000 rw,nosuid - tmpfs tmpfs rw\n\
                     24 22 0:23 / /home/a\\040b rw - ext4 /dev/sdb rw\n";
        let of = |p: &str| mount_type(table, Path::new(p));
        assert_eq!(of("/run/user/1000/x").as_deref(), Some("tmpfs"));
        assert_eq!(of("/run/user").as_deref(), Some("ext4"));
        assert_eq!(of("/home/a b/c").as_deref(), Some("ext4"));
        assert_eq!(of("/home/ab").as_deref(), Some("ext4"));
    }
}
