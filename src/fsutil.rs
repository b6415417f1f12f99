//! Small file-system helpers for private files: created owner-only (0600, in
//! 0700 directories on Unix) and synced, because a key or a journal written with
//! the default umask would be readable by every user of the laptop.
//!
//! Files that may have arrived by sync (journals, their `.lock` and `.torn`
//! companions) or that sit where another program could plant something (the
//! config, the identity) are opened with [`open_regular`] and read with
//! [`read_regular`]: a symbolic link is never followed and anything but a
//! regular file (a FIFO, a device such as `/dev/zero`) is refused, so a planted
//! link cannot turn a write into one outside the library and a planted FIFO
//! cannot hang a command.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Component, Path};

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
    via_temp(path, |file| file.write_all(bytes), true)
}

/// Writes a synced sibling temporary file with `write`, then puts it at `path`:
/// renamed over whatever is there with `replace`; else linked into place,
/// which fails if `path` appeared meanwhile (no check-then-write race).
fn via_temp(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
    replace: bool,
) -> io::Result<()> {
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let result = (|| {
        let mut file = private_options().open(&tmp)?;
        write(&mut file)?;
        file.sync_all()?;
        if replace {
            std::fs::rename(&tmp, path)?;
        } else {
            match std::fs::hard_link(&tmp, path) {
                Ok(()) => std::fs::remove_file(&tmp)?,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(e),
                // A file system without hard links (a FAT-formatted stick):
                // check, then rename, as close together as it allows.
                Err(_) if std::fs::symlink_metadata(path).is_ok() => {
                    return Err(io::ErrorKind::AlreadyExists.into());
                }
                Err(_) => std::fs::rename(&tmp, path)?,
            }
        }
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Whether `dir` is a folder and not a link to one: a cache is neither
/// read nor written through a link, wherever it leads.
pub fn real_dir(dir: &Path) -> bool {
    std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir())
}

/// The bytes of a cache file, read in one allocation of its size (a
/// regular file in a real folder, never through a link, at most `max`).
pub fn read_sized(file: &Path, max: u64) -> Option<Vec<u8>> {
    use std::io::Read;
    if !real_dir(parent_dir(file)) {
        return None;
    }
    let opened = open_regular(file, std::fs::OpenOptions::new().read(true)).ok()?;
    let size = opened.metadata().ok()?.len();
    if size > max {
        return None;
    }
    let mut bytes = Vec::with_capacity(size as usize);
    opened.take(max).read_to_end(&mut bytes).ok()?;
    Some(bytes)
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
    write_output_with(path, replace, |file| file.write_all(bytes))
}

/// [`write_output`] for a file written piece by piece by `write` (a merged
/// timeline larger than memory should hold at once), with the same
/// guarantees: nothing at `path` until `write` has finished and the file is
/// synced.
pub fn write_output_with(
    path: &Path,
    replace: bool,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
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
        Ok(_) => return via_temp(path, write, true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    // Nothing there: without `replace`, created without replacing, so a file
    // that appears in the meantime is not overwritten either.
    via_temp(path, write, replace).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            io::Error::new(
                io::ErrorKind::AlreadyExists,
                "already exists: pass --force to replace it",
            )
        } else {
            e
        }
    })
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

/// The error for a path that is a symbolic link where grabbag follows none.
fn link_refused() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "is a symbolic link: refused (grabbag never follows a link here; remove it)",
    )
}

/// Opens `path` with `options` without following a symbolic link in its last
/// component, and only when it is a regular file: a link is refused, and so
/// is a FIFO, a socket or a device. On Unix the open itself refuses the link
/// (`O_NOFOLLOW`) and cannot block on a FIFO (`O_NONBLOCK`, which a regular
/// file ignores); elsewhere the link is checked just before opening. Callers
/// name the file in their error.
pub fn open_regular(path: &Path, options: &OpenOptions) -> io::Result<File> {
    open_checked(path, options, false)
}

/// [`open_regular`] or, with `follow`, the same but through a link the user
/// may have made on purpose (to a key on a USB stick): the file reached must
/// still be regular.
fn open_checked(path: &Path, options: &OpenOptions, follow: bool) -> io::Result<File> {
    let mut options = options.clone();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let no_follow = if follow { 0 } else { libc::O_NOFOLLOW };
        options.custom_flags(no_follow | libc::O_NONBLOCK);
    }
    let is_link = || std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    #[cfg(not(unix))]
    {
        if !follow && is_link() {
            return Err(link_refused());
        }
    }
    let file = match options.open(path) {
        Ok(file) => file,
        // ELOOP from O_NOFOLLOW says "too many levels of symbolic links";
        // say what it is instead.
        Err(_) if !follow && is_link() => return Err(link_refused()),
        Err(e) => return Err(e),
    };
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is not a regular file: refused (a FIFO, a device or a folder)",
        ));
    }
    Ok(file)
}

/// Reads a whole regular file of at most `limit` bytes, opened as
/// [`open_regular`] does: a link to `/dev/zero` or a FIFO is refused instead of
/// exhausting memory or hanging, and a file over the limit is an error.
pub fn read_regular(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    read_checked(path, limit, false)
}

/// [`read_regular`] through a symbolic link: for the user's own files (the
/// config, an identity), which they may link on purpose; what the link
/// reaches must still be a regular file within the limit.
pub fn read_regular_followed(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    read_checked(path, limit, true)
}

fn read_checked(path: &Path, limit: u64, follow: bool) -> io::Result<Vec<u8>> {
    let file = open_checked(path, OpenOptions::new().read(true), follow)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("is larger than {limit} bytes: refused"),
        ));
    }
    Ok(bytes)
}

/// [`read_regular_followed`] for a UTF-8 text file.
pub fn read_text_followed(path: &Path, limit: u64) -> io::Result<String> {
    String::from_utf8(read_regular_followed(path, limit)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "is not UTF-8 text"))
}

/// Refuses `path` when a folder between `root` and it is a symbolic link
/// (`root` itself may be one: the user chose it). A synced commit can make
/// `journals/` a link to a folder in the user's home; `O_NOFOLLOW` guards only
/// the last component, so the folders are checked here. Returns the first
/// link found as the error's message. A path outside `root` is not checked.
pub fn check_no_links_below(root: &Path, path: &Path) -> io::Result<()> {
    let Ok(rest) = path.strip_prefix(root) else {
        return Ok(());
    };
    let mut at = root.to_path_buf();
    let folders: Vec<Component<'_>> = rest.components().collect();
    for part in folders.iter().take(folders.len().saturating_sub(1)) {
        at.push(part);
        if std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} is a symbolic link: refused (grabbag never follows a link inside the library)",
                    at.display()
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_is_created_whole_never_replaced_without_force_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("out.md");
        write_output(&path, b"first", false).unwrap_or_else(|e| panic!("{e}"));
        let again = write_output(&path, b"second", false).map(drop);
        assert_eq!(
            again.map_err(|e| e.to_string()),
            Err("already exists: pass --force to replace it".to_owned())
        );
        write_output(&path, b"third", true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read(&path).unwrap_or_default(), b"third");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        assert_eq!(names, ["out.md"], "no temporary file is left");
    }

    #[cfg(unix)]
    #[test]
    fn links_fifos_and_devices_are_refused_and_targets_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, b"precious").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let mut append = OpenOptions::new();
        append.append(true).create(true);
        let e = open_regular(&link, &append).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read(&target).unwrap(), b"precious");
        let zero = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert!(
            read_regular(&zero, 10)
                .unwrap_err()
                .to_string()
                .contains("symbolic link")
        );
        assert!(
            read_regular(Path::new("/dev/zero"), 10)
                .unwrap_err()
                .to_string()
                .contains("not a regular file")
        );
        let fifo = dir.path().join("fifo");
        match std::process::Command::new("mkfifo").arg(&fifo).status() {
            // Opening a FIFO with no writer would block without O_NONBLOCK.
            Ok(s) if s.success() => assert!(
                read_regular(&fifo, 10)
                    .unwrap_err()
                    .to_string()
                    .contains("not a regular file")
            ),
            _ => eprintln!("skipped the FIFO case: mkfifo is not available"),
        }
        assert_eq!(read_regular(&target, 8).unwrap(), b"precious");
        // Followed on purpose, a link must still reach a regular file.
        assert_eq!(read_regular_followed(&link, 8).unwrap(), b"precious");
        assert!(
            read_regular_followed(&zero, 10)
                .unwrap_err()
                .to_string()
                .contains("not a regular file")
        );
        assert!(
            read_regular(&target, 7)
                .unwrap_err()
                .to_string()
                .contains("larger than 7")
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_folder_below_the_root_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("lib");
        std::fs::create_dir(&root).unwrap();
        std::os::unix::fs::symlink(dir.path(), root.join("journals")).unwrap();
        let e = check_no_links_below(&root, &root.join("journals/x.jsonl")).unwrap_err();
        assert!(e.to_string().contains("journals is a symbolic link"), "{e}");
        std::fs::create_dir(root.join("real")).unwrap();
        check_no_links_below(&root, &root.join("real/x.jsonl")).unwrap();
    }
}
