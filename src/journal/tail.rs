//! `<journal>.tail`: what a one-shot writer needs to append, kept beside the
//! journal so that `grabbag note` costs the same at 100,000 entries as at 10.
//!
//! A note is judged by the clocks only (is an exercise running, paused or
//! ended, and what exercise time it is), so a one-shot writer needs the
//! first entry (the journal key), the entries that set the clocks (session
//! starts, the exercise start and every change of its clock), the last entry
//! (to chain onto), the last entry that carries an exercise time, and the
//! sessions' last monotonic times, not the other
//! 99,990 entries. The record holds exactly those, as **copies of the
//! journal's own stored lines** (sealed bodies stay sealed: nothing is in it
//! that the journal does not already hold, and no plaintext of an encrypted
//! journal), with their byte offsets.
//!
//! It is a cache, never evidence. Before it is used, every line it holds is
//! compared byte for byte with the journal at its offset and must carry its
//! own correct hash, and the last one must end where the record says the
//! journal's checked part ends; the entries appended after that are read and
//! chain-checked from it as any catch-up is. A record that is missing,
//! unreadable, of another journal or out of date is ignored and the journal
//! is opened the full way (and the record rewritten). The full chain is
//! `grabbag journal verify`'s job: an entry altered in the middle of the
//! journal is not seen by a one-shot append, and verify still names its seq.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::entry::{StoredEntry, line_hash};

/// The record's format version.
pub(super) const VERSION: u32 = 1;

/// The largest record read: it holds a line per session and per change of
/// the exercise clock, far below this.
const MAX_RECORD_BYTES: u64 = 16 << 20;

/// A stored line of the journal and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct KeptLine {
    /// Byte offset of the line in the journal.
    pub offset: u64,
    /// The line as stored, without its newline.
    pub line: String,
}

/// The record as stored.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct TailRecord {
    /// [`VERSION`].
    pub version: u32,
    /// The entries that set the clocks and the last that carries an
    /// exercise time, in file order (the first entry always among them),
    /// ending with the last entry covered.
    pub lines: Vec<KeptLine>,
    /// Each writer session's last monotonic time, up to the last entry.
    pub sessions: HashMap<u32, u64>,
}

/// A record checked against its journal.
pub(super) struct Checked {
    /// The kept entries, in file order, with their offsets; the last is the head.
    pub entries: Vec<(StoredEntry, u64)>,
    /// The kept lines, as [`TailRecord::lines`].
    pub lines: Vec<KeptLine>,
    /// Where the covered part of the journal ends.
    pub end: u64,
    /// As [`TailRecord::sessions`].
    pub sessions: HashMap<u32, u64>,
}

/// `<journal>.tail`.
pub fn tail_path(path: &Path) -> PathBuf {
    let mut name = path.to_path_buf().into_os_string();
    name.push(".tail");
    PathBuf::from(name)
}

/// The record beside `path`, checked against the open `file`; `None` when
/// it is missing or does not match the journal byte for byte.
pub(super) fn load(path: &Path, file: &File) -> Option<Checked> {
    let bytes = crate::fsutil::read_regular(&tail_path(path), MAX_RECORD_BYTES).ok()?;
    let record: TailRecord = serde_json::from_slice(&bytes).ok()?;
    if record.version != VERSION || record.lines.first()?.offset != 0 {
        return None;
    }
    let len = file.metadata().ok()?.len();
    let mut entries = Vec::with_capacity(record.lines.len());
    let mut end = 0u64;
    for kept in &record.lines {
        let line = kept.line.as_bytes();
        let stop = kept.offset.checked_add(line.len() as u64 + 1)?;
        if kept.offset < end || stop > len {
            return None;
        }
        let mut on_disk = vec![0u8; line.len() + 1];
        read_exact_at(file, &mut on_disk, kept.offset)?;
        if on_disk[..line.len()] != *line || on_disk[line.len()] != b'\n' {
            return None;
        }
        let (computed, stored) = line_hash(line).ok()?;
        if computed.as_bytes() != stored {
            return None;
        }
        let entry: StoredEntry = serde_json::from_slice(line).ok()?;
        if entries
            .last()
            .is_some_and(|(prev, _): &(StoredEntry, u64)| entry.seq <= prev.seq)
            || (kept.offset == 0) != (entry.seq == 1)
        {
            return None;
        }
        entries.push((entry, kept.offset));
        end = stop;
    }
    Some(Checked {
        entries,
        lines: record.lines,
        end,
        sessions: record.sessions,
    })
}

/// Writes the record whole or not at all. A failure is not an error of the
/// append it follows (the entry is on disk; the next open goes the full
/// way), so it is only reported to the caller to ignore.
pub(super) fn store(path: &Path, record: &TailRecord) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(record).map_err(std::io::Error::other)?;
    crate::fsutil::replace_atomically(&tail_path(path), &bytes)
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> Option<()> {
    use std::os::unix::fs::FileExt as _;
    file.read_exact_at(buf, offset).ok()
}

#[cfg(windows)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> Option<()> {
    use std::os::windows::fs::FileExt as _;
    let mut done = 0;
    while done < buf.len() {
        let n = file
            .seek_read(&mut buf[done..], offset + done as u64)
            .ok()?;
        if n == 0 {
            return None;
        }
        done += n;
    }
    Some(())
}
