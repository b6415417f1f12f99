//! A private scratch folder for handing decrypted text to an editor.
//!
//! `grabbag edit` is the one place plaintext must exist as a file, because an
//! editor needs one. The folder is made owner-only (0700) on a RAM-backed
//! runtime directory where the system has one (`$XDG_RUNTIME_DIR`, then
//! `/dev/shm`), so the plaintext never reaches a disk; and it is overwritten and
//! removed when the [`Scratch`] is dropped, on success and error paths alike.
//! Editors' swap and backup files land in the same folder and go with it.

use std::io::Write;
use std::path::{Path, PathBuf};

/// An owner-only temporary folder, wiped on drop.
#[derive(Debug)]
pub struct Scratch {
    dir: PathBuf,
    ram_backed: bool,
}

impl Scratch {
    /// Makes a new scratch folder.
    pub fn create() -> std::io::Result<Self> {
        let (base, ram_backed) = Self::base();
        let unique = format!(
            "grabbag-edit-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        );
        let dir = base.join(unique);
        crate::fsutil::create_private_dir(&dir)?;
        Ok(Self { dir, ram_backed })
    }

    /// Where to put the folder, and whether that place is in memory.
    fn base() -> (PathBuf, bool) {
        #[cfg(unix)]
        {
            for candidate in [
                std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from),
                Some(PathBuf::from("/dev/shm")),
            ]
            .into_iter()
            .flatten()
            {
                if candidate.is_dir()
                    && std::fs::metadata(&candidate).is_ok_and(|m| !m.permissions().readonly())
                {
                    return (candidate, true);
                }
            }
        }
        (std::env::temp_dir(), false)
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
        // Overwrite what we can before unlinking; on tmpfs this really clears it.
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                if let Ok(meta) = std::fs::symlink_metadata(&path)
                    && meta.is_file()
                    && let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&path)
                {
                    let _ = f.write_all(&vec![0u8; meta.len() as usize]);
                    let _ = f.sync_all();
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
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
}
