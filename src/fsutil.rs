//! Small file-system helpers for private files: created owner-only (0600, in
//! 0700 directories on Unix) and synced, because a key or a journal written with
//! the default umask would be readable by every user of the laptop.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Creates a directory (and parents) that only its owner can enter.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Opens options for a new owner-only file.
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Writes a new owner-only file and syncs it; fails if the file exists.
pub fn write_new_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file: File = private_options().open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Replaces `path` atomically with `bytes`: written to a sibling temporary
/// file, synced, then renamed over the original, so a crash leaves either the
/// old or the new content, never half of each. A symbolic link at `path` is
/// replaced by the file, never written through.
pub fn replace_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let result = (|| {
        let mut file = private_options().open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The folder a path's file sits in: `.` for a bare file name, whose
/// `parent()` is the empty path (which no call can open).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Writes a file the user asked for (an export, a report, a signature): the
/// one way grabbag writes such a file. The bytes go to a temporary file in the
/// same folder, owner-only and synced, which is then renamed into place and
/// the folder synced: a full disk or a kill leaves the old file or none,
/// never a truncated one. An existing `path` is replaced only with `replace`
/// (`--force`), and only when it is a regular file: a symbolic link or
/// anything else there is refused, so nothing is written through a link.
/// The error says what is wrong; callers name the file.
pub fn write_output(path: &Path, bytes: &[u8], replace: bool) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "is a symbolic link: refused (grabbag never writes through a link; remove it or choose another name)",
            ));
        }
        Ok(meta) if !meta.is_file() => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "exists and is not a regular file: refused",
            ));
        }
        Ok(_) if !replace => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "already exists: pass --force to replace it",
            ));
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    replace_atomically(path, bytes)
}

/// Syncs a directory so a rename or a new file in it survives power loss.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
