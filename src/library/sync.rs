//! Offline sync from a bare repository on removable media or a `git bundle` file.
//! (Temporary stub: the real implementation lands from the `trust` branch.)
#![allow(missing_docs)]

use std::path::Path;

use super::trust::Trust;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("sync is not built yet")]
    NotYet,
}

pub struct SyncOptions {
    pub require_signed: bool,
    pub branch: Option<String>,
}

#[derive(Debug, serde::Serialize)]
pub struct SyncReport {
    pub from: Option<String>,
    pub to: String,
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    pub up_to_date: bool,
    pub tip_trust: Trust,
}

pub fn sync(
    library_root: &Path,
    source: &Path,
    options: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    let _ = (library_root, source, options.require_signed);
    Err(SyncError::NotYet)
}
