//! Finding runbook files in a working tree, and reading them with limits.
//!
//! A runbook is `*.toml.age` (encrypted) or `*.toml` (a plaintext draft)
//! anywhere in the library except hidden folders, `journals/` and `exercises/`.
//! A symlink is followed only when it stays inside the library: a runbook that
//! points at `/etc/shadow` or at another user's files must not be read.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use zeroize::Zeroizing;

use super::LoadFailure;

/// Largest runbook file read (1 MiB): real runbooks are a few KiB, and a
/// bound keeps a hostile file from exhausting memory.
pub const MAX_RUNBOOK_BYTES: u64 = 1024 * 1024;

/// Top-level folders that hold other things than runbooks.
const NOT_RUNBOOKS: &[&str] = &["journals", "exercises"];

/// A runbook file found in the library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunbookFile {
    /// Path relative to the library root.
    pub path: PathBuf,
    /// The id implied by the path: `cyber/ransomware` for `cyber/ransomware.toml.age`.
    pub id: String,
    /// True for `.toml.age`.
    pub encrypted: bool,
}

/// Classifies a file name: `Some(encrypted)` for runbooks.
fn runbook_kind(name: &str) -> Option<(bool, &str)> {
    if let Some(stem) = name.strip_suffix(".toml.age") {
        Some((true, stem))
    } else {
        name.strip_suffix(".toml").map(|stem| (false, stem))
    }
}

/// The runbook id for a relative path, with `/` separators on every platform.
pub fn id_for(relative: &Path) -> Option<String> {
    let name = relative.file_name()?.to_str()?;
    let (_, stem) = runbook_kind(name).filter(|(_, stem)| !stem.is_empty())?;
    let mut parts: Vec<String> = relative
        .parent()
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    parts.push(stem.to_owned());
    Some(parts.join("/"))
}

/// Walks the library. Never fails as a whole: unreadable folders and symlinks
/// leading outside become failures.
pub(super) fn discover(root: &Path) -> (Vec<RunbookFile>, Vec<LoadFailure>) {
    let mut files = Vec::new();
    let mut failures = Vec::new();
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_owned());
    let mut pending: Vec<PathBuf> = vec![PathBuf::new()];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(root.join(&dir)) {
            Ok(entries) => entries,
            Err(e) => {
                failures.push(LoadFailure::new(&dir, format!("cannot read folder: {e}")));
                continue;
            }
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                continue;
            };
            if name.starts_with('.') || (dir.as_os_str().is_empty() && NOT_RUNBOOKS.contains(&name))
            {
                continue;
            }
            let relative = dir.join(name);
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_symlink() {
                let target = root.join(&relative).canonicalize();
                match target {
                    Ok(t) if t.starts_with(&canonical_root) => {
                        // Inside the library: a file link is read like a file;
                        // a folder link is not walked (its files are found
                        // where they really are, and loops are impossible).
                        if t.is_file() {
                            push_runbook(&mut files, relative);
                        }
                    }
                    Ok(t) => {
                        if runbook_kind(name).is_some() || t.is_dir() {
                            failures.push(LoadFailure::new(
                                &relative,
                                format!(
                                    "refused: symlink leads outside the library (to {})",
                                    t.display()
                                ),
                            ));
                        }
                    }
                    Err(_) => {
                        if runbook_kind(name).is_some() {
                            failures.push(LoadFailure::new(&relative, "broken symlink"));
                        }
                    }
                }
            } else if kind.is_dir() {
                pending.push(relative);
            } else if kind.is_file() {
                push_runbook(&mut files, relative);
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    (files, failures)
}

fn push_runbook(files: &mut Vec<RunbookFile>, relative: PathBuf) {
    let Some(name) = relative.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    let Some((encrypted, _)) = runbook_kind(name) else {
        return;
    };
    if let Some(id) = id_for(&relative) {
        files.push(RunbookFile {
            path: relative,
            id,
            encrypted,
        });
    }
}

/// `root/relative`, once it is sure to stay inside the library: `relative`
/// has no `..` (nor a root or drive), and no symlink along the way leads out
/// of the library, checked up to the deepest part that exists (a file not
/// made yet cannot be a symlink; a dangling symlink is refused). Every path
/// grabbag reads or writes under a library it did not choose itself goes
/// through here, because a library's content comes from other people (a USB
/// stick, a colleague's commit), and git checks symlinks out as symlinks.
pub(super) fn resolve_inside(root: &Path, relative: &Path) -> Result<PathBuf, String> {
    use std::path::Component;
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err("refused: the path leads outside the library".to_owned());
    }
    let canonical_root = root
        .canonicalize()
        .map_err(|e| format!("cannot resolve library: {e}"))?;
    let full = root.join(relative);
    let mut existing = full.as_path();
    while std::fs::symlink_metadata(existing).is_err() {
        match existing.parent() {
            Some(parent) => existing = parent,
            None => break,
        }
    }
    let real = existing
        .canonicalize()
        .map_err(|e| format!("cannot open: {e}"))?;
    if !real.starts_with(&canonical_root) {
        return Err(format!(
            "refused: leads outside the library (to {})",
            real.display()
        ));
    }
    Ok(full)
}

/// Reads a runbook file of at most [`MAX_RUNBOOK_BYTES`], re-checking that it
/// stays inside the library.
pub(super) fn read_bounded(root: &Path, relative: &Path) -> Result<Zeroizing<Vec<u8>>, String> {
    let real = resolve_inside(root, relative)?;
    let file = std::fs::File::open(&real).map_err(|e| format!("cannot open: {e}"))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_RUNBOOK_BYTES {
        return Err(format!(
            "file is {size} bytes; runbooks are limited to {MAX_RUNBOOK_BYTES} bytes (1 MiB)"
        ));
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(size as usize));
    file.take(MAX_RUNBOOK_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_RUNBOOK_BYTES {
        return Err(format!(
            "file grew past the {MAX_RUNBOOK_BYTES}-byte limit while being read"
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_paths() {
        assert_eq!(
            id_for(Path::new("cyber/ransomware.toml.age")).as_deref(),
            Some("cyber/ransomware")
        );
        assert_eq!(id_for(Path::new("draft.toml")).as_deref(), Some("draft"));
        assert_eq!(id_for(Path::new("notes.txt")), None);
    }

    #[test]
    fn paths_stay_inside_the_library() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("lib");
        std::fs::create_dir_all(root.join("cyber")).unwrap();
        let ok = resolve_inside(&root, Path::new("cyber/new/file.toml")).unwrap();
        assert_eq!(ok, root.join("cyber/new/file.toml"));
        for bad in ["../x", "cyber/../../x", "/etc/passwd"] {
            assert!(resolve_inside(&root, Path::new(bad)).is_err(), "{bad}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path(), root.join("out")).unwrap();
            std::os::unix::fs::symlink(root.join("cyber"), root.join("in")).unwrap();
            std::os::unix::fs::symlink(dir.path().join("gone"), root.join("dangling")).unwrap();
            let err = resolve_inside(&root, Path::new("out/not-yet.jsonl")).unwrap_err();
            assert!(
                err.starts_with("refused: leads outside the library"),
                "{err}"
            );
            assert!(resolve_inside(&root, Path::new("in/x.toml")).is_ok());
            assert!(resolve_inside(&root, Path::new("dangling/x")).is_err());
        }
    }
}
