//! Following a journal that another process (or another laptop, through a
//! shared folder) keeps appending to, reading only what was appended.
//!
//! A [`Follower`] remembers where the last good entry ended, that entry's
//! bytes, the sessions' monotonic times and the journal key, so each
//! [`Follower::poll`] reads the new bytes only and checks them with the same
//! scan as every other reader (chain, seq, structure). It never writes, never
//! locks, never moves a torn tail aside: the file may be someone else's copy
//! on a read-only share.
//!
//! Before reading on, a poll checks that the last entry it read is still
//! there byte for byte: a file that shrank or whose last known line changed
//! was rewritten (a copy replaced by an older or a different one, or an
//! edit), and is read again from the start, flagged so the reader can say
//! so. Any rewrite that keeps the chain valid must change that line, since
//! it carries the hash of everything before it.
//!
//! An edit in the middle that leaves the chain broken keeps that line, so the
//! follower also remembers the file's stamp (length, modification and change
//! times, and on Unix which file it is): a file replaced by another (a copy
//! renamed over it) or changed without growing (an edit in place: appends
//! always grow a journal) is read again from the start. It counts as
//! rewritten only when what was read before is no longer its beginning. An
//! edit in the middle of a file that also grew, within one poll, is found by
//! the next full read (starting the board, `grabbag journal verify`).

use std::collections::HashMap;
use std::fs::{Metadata, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::entry::{JournalKey, StoredEntry};
use super::scan::{Finding, Torn, scan_from};
use super::store::{Entry, JournalError, MAX_JOURNAL_BYTES, decode, journal_key};
use crate::crypto::Identities;

/// Where a followed journal stands after the last poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Every byte read so far verifies.
    Good,
    /// The file ends in an incomplete line (a copy taken mid-write, or a
    /// writer that crashed): read up to the last good entry, which a later
    /// poll continues from.
    Torn(Torn),
    /// The chain or structure breaks here: nothing after it is read.
    Broken(Finding),
    /// The journal is encrypted and the identities given do not open it.
    NoKey(String),
}

/// What one poll found.
#[derive(Debug, Default)]
pub struct Polled {
    /// The file was rewritten (shrank, or its last known entry changed):
    /// `entries` are the whole journal again, not an addition.
    pub rewritten: bool,
    /// Entries read by this poll, in order, decrypted when the key is held.
    pub entries: Vec<Entry>,
}

/// The last good entry read: where the next poll starts, and the bytes it
/// must still find there.
struct Last {
    entry: StoredEntry,
    offset: u64,
    line: Vec<u8>,
}

/// Reads a journal incrementally; see the module docs.
pub struct Follower {
    path: PathBuf,
    last: Option<Last>,
    sessions: HashMap<u32, u64>,
    key: Option<JournalKey>,
    first_hash: Option<String>,
    encrypted: bool,
    health: Health,
    /// The file's stamp when it was last read.
    stamp: Option<Stamp>,
}

/// What the file system says about a file, to tell an append from a
/// replacement or an edit in place.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    /// Device, inode and status-change time: a copy renamed over the file
    /// is another inode, and the change time cannot be set back the way
    /// `touch` sets the modification time.
    #[cfg(unix)]
    node: (u64, u64, i64, i64),
}

impl Stamp {
    fn of(meta: &Metadata) -> Self {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        Self {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            node: (meta.dev(), meta.ino(), meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// True when the file now stamped `now` is another file, or was changed
    /// without growing.
    fn replaced_by(&self, now: &Stamp) -> bool {
        #[cfg(unix)]
        if (self.node.0, self.node.1) != (now.node.0, now.node.1) {
            return true;
        }
        now.len == self.len && now != self
    }
}

impl Follower {
    /// A follower of the journal at `path` that has read nothing yet.
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            last: None,
            sessions: HashMap::new(),
            key: None,
            first_hash: None,
            encrypted: false,
            health: Health::Good,
            stamp: None,
        }
    }

    /// Where it stands after the last poll.
    pub fn health(&self) -> &Health {
        &self.health
    }

    /// True when its bodies are encrypted.
    pub fn encrypted(&self) -> bool {
        self.encrypted
    }

    /// The seq and hash of the last good entry read.
    pub fn head(&self) -> Option<(u64, &str)> {
        self.last
            .as_ref()
            .map(|l| (l.entry.seq, l.entry.hash.as_str()))
    }

    /// The hash of the first entry: the journal's identity, the same in
    /// every copy of it, however far each copy has got.
    pub fn first_hash(&self) -> Option<&str> {
        self.first_hash.as_deref()
    }

    /// Reads what was appended since the last poll (everything, the first
    /// time or after a rewrite). Only an unreadable file is an error; what
    /// is wrong inside it is in [`Follower::health`].
    pub fn poll(&mut self, identities: Option<&Identities>) -> Result<Polled, JournalError> {
        let path = self.path.clone();
        let io = |source| JournalError::Io {
            path: path.clone(),
            source,
        };
        let mut file =
            crate::fsutil::open_regular(&self.path, OpenOptions::new().read(true)).map_err(io)?;
        let stamp = Stamp::of(&file.metadata().map_err(io)?);
        let len = stamp.len;
        // As any read of a journal: one larger than a journal may be (a
        // sparse file that says it is a terabyte) is refused unread.
        if len > MAX_JOURNAL_BYTES {
            return Err(io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("is larger than {MAX_JOURNAL_BYTES} bytes: refused"),
            )));
        }
        let rewritten = match &self.last {
            Some(last) => !still_there(&mut file, len, last).map_err(io)?,
            None => false,
        };
        if !rewritten
            && self.last.is_some()
            && self.stamp.as_ref().is_some_and(|s| s.replaced_by(&stamp))
        {
            return self.read_again(identities);
        }
        if rewritten {
            *self = Self::new(&self.path);
        }
        self.stamp = Some(stamp);
        if matches!(self.health, Health::Broken(_) | Health::NoKey(_)) {
            return Ok(Polled::default());
        }
        let start = self
            .last
            .as_ref()
            .map_or(0, |l| l.offset + l.line.len() as u64);
        // Sized once from the file's length (never past what may be read:
        // a file that says it is huge is read up to the limit and judged),
        // not doubled as it is read.
        let most = MAX_JOURNAL_BYTES.saturating_sub(start);
        let mut bytes =
            Vec::with_capacity(usize::try_from(len.saturating_sub(start).min(most)).unwrap_or(0));
        file.seek(SeekFrom::Start(start)).map_err(io)?;
        file.take(most).read_to_end(&mut bytes).map_err(io)?;
        let prior = self.last.as_ref().map(|l| &l.entry);
        let scan = scan_from(&bytes, start, prior, &mut self.sessions);
        let mut entries = Vec::with_capacity(scan.entries.len());
        self.health = Health::Good;
        // Where the last entry read is; its line is copied and read again
        // once, at the end, so that no entry is copied on the way.
        let mut newest = None;
        for scanned in scan.entries {
            if scanned.entry.seq == 1 {
                self.first_hash = Some(scanned.entry.hash.clone());
                if let Some(wrapped) = &scanned.entry.journal_key {
                    self.encrypted = true;
                    match identities
                        .map(|ids| journal_key(&self.path, &scanned.entry, wrapped, ids))
                    {
                        Some(Ok(key)) => self.key = Some(key),
                        Some(Err(e)) => {
                            self.health = Health::NoKey(e.to_string());
                        }
                        None => {
                            self.health =
                                Health::NoKey("no identity was given to open it".to_owned());
                        }
                    }
                }
            }
            let (seq, offset, len) = (scanned.entry.seq, scanned.offset, scanned.len);
            let entry = match decode(&self.path, self.key.as_ref(), scanned.entry, offset) {
                Ok(entry) => entry,
                Err(e) => {
                    // A body the journal's own key does not open was altered.
                    self.health = Health::Broken(Finding {
                        seq: Some(seq),
                        offset,
                        message: e.to_string(),
                    });
                    break;
                }
            };
            entries.push(entry);
            newest = Some((offset, len));
            if matches!(self.health, Health::NoKey(_)) {
                break;
            }
        }
        if let Some((offset, len)) = newest {
            let from = usize::try_from(offset - start).unwrap_or(usize::MAX);
            let to = from.saturating_add(usize::try_from(len).unwrap_or(usize::MAX));
            let line = bytes.get(from..to).unwrap_or_default();
            // The scan read this line as this entry a moment ago.
            if let Ok(entry) = serde_json::from_slice(line) {
                self.last = Some(Last {
                    line: line.to_vec(),
                    entry,
                    offset,
                });
            }
        }
        if !matches!(self.health, Health::Good) {
            return Ok(Polled { rewritten, entries });
        }
        if let Some(problem) = scan.problems.into_iter().next() {
            self.health = Health::Broken(problem);
        } else if let Some(torn) = scan.torn {
            self.health = Health::Torn(torn);
        }
        Ok(Polled { rewritten, entries })
    }

    /// Reads the whole file again, for one replaced or changed in place.
    /// When what was read before is still its beginning, only the entries
    /// after it are new; otherwise it was rewritten.
    fn read_again(&mut self, identities: Option<&Identities>) -> Result<Polled, JournalError> {
        let head = self.head().map(|(seq, hash)| (seq, hash.to_owned()));
        let mut fresh = Self::new(&self.path);
        let mut polled = fresh.poll(identities)?;
        let kept = head.and_then(|(seq, hash)| {
            polled
                .entries
                .iter()
                .position(|e| e.seq == seq && e.hash == hash)
        });
        match kept {
            Some(at) => {
                polled.entries.drain(..=at);
            }
            None => polled.rewritten = true,
        }
        *self = fresh;
        Ok(polled)
    }
}

/// True when the file is at least as long as what was read and the last
/// entry read is still there, byte for byte.
fn still_there(file: &mut std::fs::File, len: u64, last: &Last) -> std::io::Result<bool> {
    let end = last.offset + last.line.len() as u64;
    if len < end {
        return Ok(false);
    }
    let mut now = vec![0u8; last.line.len()];
    file.seek(SeekFrom::Start(last.offset))?;
    file.read_exact(&mut now)?;
    Ok(now == last.line)
}
