//! The journal file: create, open (with torn-tail recovery), append with fsync
//! under an exclusive lock, and pick up entries other processes appended.
//!
//! The lock is taken for each append, not for the life of the process, so a
//! second terminal (`grabbag note`) can add an entry while the TUI has the
//! journal open; before writing, each writer reads whatever others appended, so
//! the chain never forks and lines never interleave. An append returns only
//! after `fdatasync`: what the screen confirms is on the disk.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use chrono::{DateTime, Local, SecondsFormat, SubsecRound as _, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::entry::{Body, GENESIS, JournalKey, SealError, StoredEntry, witness_code};
use super::event::{Actor, Event};
use super::scan::{Finding, Scan, Scanned, Torn, scan_from, scan_part};
use super::tail::{self, KeptLine, TailRecord};
use crate::crypto::{self, CryptoError, Identities, Recipients};

/// How long an append waits for another writer before giving up.
pub const LOCK_WAIT: Duration = Duration::from_secs(5);

/// The largest journal read whole (1 GiB): far above any response (a day of
/// notes is a few megabytes), low enough that a hostile file cannot exhaust
/// memory.
pub const MAX_JOURNAL_BYTES: u64 = 1 << 30;

/// How many bytes a step of a journal read in steps reads
/// ([`Journal::open_step`], [`Reading::step`]): a few tens of milliseconds
/// of reading, checking, decoding and folding, so a screen stays responsive
/// between steps.
pub const STEP_BYTES: u64 = 2 << 20;

/// Reads a whole journal file: a regular file only, never through a symbolic
/// link, at most [`MAX_JOURNAL_BYTES`]. Every reader of a journal a user or a
/// sync may have placed goes through here.
pub fn read_journal_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    crate::fsutil::read_regular(path, MAX_JOURNAL_BYTES)
}

/// Errors from the journal file.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The journal already exists (create refuses to overwrite).
    #[error("{0} already exists")]
    Exists(PathBuf),
    /// The chain or structure is broken before its end: not a torn tail.
    #[error("{path}: broken at byte {} (seq {}): {}; run `grabbag journal verify` for details, and do not append to it", .finding.offset, .finding.seq.map_or("?".to_owned(), |s| s.to_string()), .finding.message)]
    Broken {
        /// The journal.
        path: PathBuf,
        /// The first problem.
        finding: Finding,
    },
    /// The file holds no entry.
    #[error("{0} is empty: not a journal")]
    Empty(PathBuf),
    /// Another process holds the lock.
    #[error("{path} is being written by {holder}; waited {waited:?}")]
    Locked {
        /// The journal.
        path: PathBuf,
        /// Who, as recorded in the `.lock` file.
        holder: String,
        /// How long we waited.
        waited: Duration,
    },
    /// The journal is encrypted and no identity can open its key.
    #[error("{path} is encrypted: {reason}")]
    NoKey {
        /// The journal.
        path: PathBuf,
        /// Why the key is unavailable.
        reason: String,
    },
    /// Encryption failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// A body did not seal or open.
    #[error("{path}: seq {seq}: {source}")]
    Seal {
        /// The journal.
        path: PathBuf,
        /// The entry.
        seq: u64,
        /// Why.
        source: SealError,
    },
    /// An entry could not be serialised or read.
    #[error("{path}: seq {seq}: {message}")]
    Entry {
        /// The journal.
        path: PathBuf,
        /// The entry.
        seq: u64,
        /// Why.
        message: String,
    },
}

/// An entry as the program uses it: decrypted when the key is known.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Position in the journal, from 1.
    pub seq: u64,
    /// Writer session (0 for one-shot writers such as `grabbag note`).
    pub session: u32,
    /// Wall-clock time (UTC).
    pub at: DateTime<Utc>,
    /// Local offset when written, e.g. `+01:00`.
    pub offset: String,
    /// Milliseconds since the session began.
    pub mono_ms: u64,
    /// Exercise time, ms.
    pub ex_t: Option<u64>,
    /// Who (None when encrypted and no key is held).
    pub actor: Option<Actor>,
    /// What (None when encrypted and no key is held).
    pub event: Option<Event>,
    /// This entry's hash.
    pub hash: String,
    /// Byte offset in the file.
    pub byte_offset: u64,
}

impl Entry {
    /// The witness code of this entry.
    pub fn witness(&self) -> String {
        witness_code(self.seq, &self.hash)
    }
}

/// What to record when a journal is created.
pub struct NewJournal<'a> {
    /// Encrypt bodies to these recipients; `None` means an explicit `--plaintext`.
    pub recipients: Option<&'a Recipients>,
    /// The library path, recorded in the first entry.
    pub library: Option<String>,
    /// The incident's name.
    pub incident: Option<String>,
    /// The exercise, if any.
    pub exercise: Option<String>,
}

/// An entry to append, as [`Journal::append_planned`]'s plan gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// Who.
    pub actor: Actor,
    /// What.
    pub event: Event,
    /// Exercise time, ms, in an exercise.
    pub ex_t: Option<u64>,
}

/// A torn tail that was moved aside on open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quarantined {
    /// Where it started and how long it was.
    pub torn: Torn,
    /// The file it was appended to.
    pub moved_to: PathBuf,
}

/// What [`Journal::catch_up`] read past our end.
struct CaughtUp {
    /// The entries, with where they are.
    entries: Vec<Scanned>,
    /// A torn tail moved aside.
    quarantined: Option<Quarantined>,
    /// The bytes read, from the old end (the entries' lines are in them).
    bytes: Vec<u8>,
    /// The old end: the file offset of `bytes[0]`.
    base: u64,
}

impl CaughtUp {
    /// The stored line of `s` (one of `entries`), without its newline.
    fn line(&self, s: &Scanned) -> &[u8] {
        let start = (s.offset - self.base) as usize;
        &self.bytes[start..start + s.len as usize - 1]
    }
}

/// A journal being read in steps by [`Journal::read_in_steps`], read-only:
/// only the part a step reads is in memory at a time.
pub struct Reading {
    path: PathBuf,
    file: File,
    /// The file's length when it was opened.
    len: u64,
    /// Where the next step starts.
    pos: u64,
    /// The last entry read, which the next step's chain goes on from.
    head: Option<StoredEntry>,
    sessions: HashMap<u32, u64>,
    key: Option<JournalKey>,
    done: bool,
    /// Where the last entry read ends (a torn tail after it is not counted).
    end: u64,
    /// Where the last entry read starts.
    head_offset: u64,
    /// SHA-256 of the file's bytes up to `end`, when asked for
    /// ([`Reading::keep_digest`]).
    digest: Option<Sha256>,
    /// The first entry carries a journal key.
    encrypted: bool,
    /// The wrapped key `key` was opened from: a read started again
    /// ([`Reading::start_again`]) on a first entry that still carries it
    /// does not open it again (an age plugin may ask for a touch each time).
    key_from: Option<String>,
}

/// Where a read of a journal stood, to go on from later without reading
/// what came before again ([`Reading::mark`], [`Reading::go_on_from`]): a
/// fold snapshot keeps one beside the state it folded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadMark {
    /// Where the entries read end: the next entry starts here.
    pub end: u64,
    /// Where the last entry read starts: the chain goes on from it, read
    /// again from the file (never kept parsed: its line is what counts).
    pub head_offset: u64,
    /// Each writer session's last monotonic time, as the chain check needs.
    pub sessions: HashMap<u32, u64>,
}

impl Reading {
    /// The next entries, from about `max` bytes, checked (the chain goes
    /// on from the last step's) and decoded, the key opened with
    /// `identities` at the first entry (bodies stay `None` without it). A
    /// broken chain is an error naming the entry, as for
    /// [`Journal::read`]; a torn tail at the end is left out.
    pub fn step(
        &mut self,
        identities: Option<&Identities>,
        max: u64,
    ) -> Result<Vec<Entry>, JournalError> {
        if self.done {
            return Ok(Vec::new());
        }
        let (bytes, scan, end) = scan_next_part(
            &mut self.file,
            self.pos,
            max.max(1),
            self.head.as_ref(),
            &mut self.sessions,
        )
        .map_err(io(&self.path))?;
        if let Some(finding) = scan.problems.first() {
            return Err(JournalError::Broken {
                path: self.path.clone(),
                finding: finding.clone(),
            });
        }
        if self.head.is_none() {
            let Some(first) = scan.entries.first() else {
                return Err(JournalError::Empty(self.path.clone()));
            };
            self.take_first(&first.entry, identities)?;
        }
        let head = scan.entries.last().map(|last| last.entry.clone());
        if let Some(last) = scan.entries.last() {
            let end = last.offset + last.len;
            if let Some(digest) = &mut self.digest {
                digest.update(&bytes[..usize::try_from(end - self.pos).unwrap_or(bytes.len())]);
            }
            (self.end, self.head_offset) = (end, last.offset);
        }
        let mut entries = Vec::with_capacity(scan.entries.len());
        for s in scan.entries {
            entries.push(decode(&self.path, self.key.as_ref(), s.entry, s.offset)?);
        }
        self.pos += bytes.len() as u64;
        self.done = end;
        if head.is_some() {
            self.head = head;
        }
        Ok(entries)
    }

    /// The whole file has been read.
    pub fn done(&self) -> bool {
        self.done
    }

    /// Keeps a SHA-256 of the file's bytes as they are read, going on from
    /// `so_far` (the bytes before where this read starts).
    pub fn keep_digest(&mut self, so_far: Sha256) {
        self.digest = Some(so_far);
    }

    /// The SHA-256 of the file's bytes up to the last entry read, when
    /// [`Reading::keep_digest`] asked for it.
    pub fn digest(&self) -> Option<[u8; 32]> {
        self.digest.clone().map(|d| d.finalize().into())
    }

    /// The file's length when it was opened, in bytes.
    pub fn file_len(&self) -> u64 {
        self.len
    }

    /// What the first entry says for the whole read: whether the bodies
    /// are sealed, and the journal key, opened with `identities` unless it
    /// is the key already open (none when it carries none or there are no
    /// identities, as a read from the start has none).
    fn take_first(
        &mut self,
        first: &StoredEntry,
        identities: Option<&Identities>,
    ) -> Result<(), JournalError> {
        self.encrypted = first.journal_key.is_some();
        match (&first.journal_key, identities) {
            (Some(wrapped), Some(ids)) => {
                if self.key.is_none() || self.key_from.as_ref() != Some(wrapped) {
                    self.key = Some(journal_key(&self.path, first, wrapped, ids)?);
                    self.key_from = Some(wrapped.clone());
                }
            }
            _ => (self.key, self.key_from) = (None, None),
        }
        Ok(())
    }

    /// The same journal read again from its start (opened afresh), keeping
    /// the journal key already opened for a first entry that carries it.
    pub fn start_again(self) -> Result<Reading, JournalError> {
        let mut again = Journal::read_in_steps(&self.path)?;
        (again.key, again.key_from) = (self.key, self.key_from);
        Ok(again)
    }

    /// The first entry carries a journal key: the bodies are sealed.
    pub fn encrypted(&self) -> bool {
        self.encrypted
    }

    /// The journal key, once the first entry was read with identities that
    /// open it.
    pub fn key(&self) -> Option<&JournalKey> {
        self.key.as_ref()
    }

    /// Where this read stands: `None` before any entry.
    pub fn mark(&self) -> Option<ReadMark> {
        self.head.as_ref()?;
        Some(ReadMark {
            end: self.end,
            head_offset: self.head_offset,
            sessions: self.sessions.clone(),
        })
    }

    /// A SHA-256 of the file's first `len` bytes, to be computed by whoever
    /// calls the function returned (another thread: it reads through its own
    /// handle of the same open file, so a file renamed into the path since
    /// is not the one read). `None` when the file is shorter.
    pub fn prefix_digest(
        &self,
        len: u64,
    ) -> Option<impl Fn() -> std::io::Result<Sha256> + Send + Sync + use<>> {
        let file = self.file.try_clone().ok()?;
        (len <= self.len).then_some(move || {
            let mut file = &file;
            file.seek(SeekFrom::Start(0))?;
            let mut hasher = Sha256::new();
            let mut left = len;
            let mut buf = vec![0u8; 1 << 20];
            while left > 0 {
                let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
                file.read_exact(&mut buf[..want])?;
                hasher.update(&buf[..want]);
                left -= want as u64;
            }
            Ok(hasher)
        })
    }

    /// Goes on from `mark` (of a read of this same file, whose bytes up to
    /// `mark.end` the caller has checked are unchanged) instead of from the
    /// start: the next step reads the entries after it, chain-checked from
    /// its head, which is read from the file as any read parses a line. The
    /// journal key is opened with `identities` from the first entry, as a
    /// read from the start opens it. Returns the head, decoded.
    pub fn go_on_from(
        &mut self,
        mark: ReadMark,
        identities: Option<&Identities>,
    ) -> Result<Entry, JournalError> {
        let broken = || JournalError::Empty(self.path.clone());
        if mark.end > self.len || mark.head_offset >= mark.end {
            return Err(broken());
        }
        let first = read_line_at(&mut self.file, 0, mark.end).map_err(io(&self.path))?;
        let first: StoredEntry = serde_json::from_slice(&first).map_err(|_| broken())?;
        let head = read_line_at(
            &mut self.file,
            mark.head_offset,
            mark.end - mark.head_offset,
        )
        .map_err(io(&self.path))?;
        if mark.head_offset + head.len() as u64 + 1 != mark.end {
            return Err(broken());
        }
        let head: StoredEntry = serde_json::from_slice(&head).map_err(|_| broken())?;
        self.take_first(&first, identities)?;
        let decoded = decode(
            &self.path,
            self.key.as_ref(),
            head.clone(),
            mark.head_offset,
        )?;
        (self.pos, self.end, self.head_offset) = (mark.end, mark.end, mark.head_offset);
        self.head = Some(head);
        self.sessions = mark.sessions;
        Ok(decoded)
    }

    /// The share of the file read so far, in percent.
    pub fn percent(&self) -> u8 {
        if self.done {
            return 100;
        }
        u8::try_from(self.pos * 100 / self.len.max(1)).unwrap_or(100)
    }

    /// About how many entries the whole file holds, from those `read` so far
    /// and a sixteenth more (to size what will hold them once, rather than
    /// doubling it as they come).
    pub fn estimated_entries(&self, read: usize) -> usize {
        if self.pos == 0 {
            return read;
        }
        let whole =
            read as u128 * u128::from(self.len.max(self.pos)) * 17 / 16 / u128::from(self.pos);
        usize::try_from(whole).unwrap_or(read)
    }
}

/// One part of a journal read by [`Journal::open_step`].
#[derive(Debug)]
pub struct OpenStep {
    /// The entries of this part, in file order.
    pub entries: Vec<Entry>,
    /// A torn tail moved aside at the end.
    pub quarantined: Option<Quarantined>,
    /// The end of the file was reached.
    pub done: bool,
}

/// An open journal.
pub struct Journal {
    path: PathBuf,
    file: File,
    key: Option<JournalKey>,
    head: Option<StoredEntry>,
    end: u64,
    sessions: HashMap<u32, u64>,
    session: u32,
    session_start: Instant,
    /// The lines of the entries that set the clocks (see [`tail`](mod@tail)),
    /// in file order; `None` when some body could not be read to tell (no
    /// key), so no `.tail` record is written.
    clock_lines: Option<Vec<KeptLine>>,
    /// The stored line of the last entry that carries an exercise time
    /// (the clock never reads earlier than it).
    ex_t_line: Option<KeptLine>,
    /// The head's stored line.
    head_line: Option<KeptLine>,
    /// Entries were added since the `.tail` record was last written.
    tail_stale: bool,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_owned(),
        source,
    }
}

/// This machine's name, as a journal's first entry records it.
pub fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_owned())
}

/// The event that opens a session.
pub fn session_event(new: &NewJournal<'_>, resumed: bool) -> Event {
    Event::SessionStarted {
        library: new.library.clone(),
        grabbag: env!("CARGO_PKG_VERSION").to_owned(),
        host: host_name(),
        incident: new.incident.clone(),
        exercise: new.exercise.clone(),
        plaintext: new.recipients.is_none(),
        resumed,
    }
}

impl Journal {
    /// Creates a journal whose first entry starts session 1. With recipients,
    /// a fresh journal key is wrapped to them with age and every body is
    /// encrypted; without, the first entry records the plaintext choice.
    pub fn create(path: &Path, new: &NewJournal<'_>, actor: &Actor) -> Result<Self, JournalError> {
        Self::create_with_entry(path, new, actor).map(|(journal, _)| journal)
    }

    /// [`Journal::create`], also returning the first entry (the session
    /// start), so a new response folds its state from the entries it wrote
    /// without reading the file back.
    pub fn create_with_entry(
        path: &Path,
        new: &NewJournal<'_>,
        actor: &Actor,
    ) -> Result<(Self, Entry), JournalError> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        crate::fsutil::create_private_dir(dir).map_err(io(dir))?;
        // A dangling link at `path` is there too: never created through.
        if std::fs::symlink_metadata(path).is_ok() {
            return Err(JournalError::Exists(path.to_owned()));
        }
        refuse_planted_companions(path)?;
        // The first entry is written to a hidden temporary file and linked into
        // place only once it is on disk, so a crash or a full disk never
        // leaves an empty or half-written journal at `path` to block a retry.
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temporary = dir.join(format!(
            ".{name}.creating-{}-{}",
            std::process::id(),
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        let mut options = OpenOptions::new();
        options.read(true).append(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&temporary).map_err(io(&temporary))?;
        let created = Self::write_first(path, file, new, actor).and_then(|(journal, first)| {
            publish(&temporary, path)?;
            Ok((journal, first))
        });
        let _ = std::fs::remove_file(&temporary);
        let created = created?;
        let _ = crate::fsutil::sync_dir(dir);
        Ok(created)
    }

    /// Writes the session start of a new journal into `file`.
    fn write_first(
        path: &Path,
        file: File,
        new: &NewJournal<'_>,
        actor: &Actor,
    ) -> Result<(Self, Entry), JournalError> {
        let (key, wrapped) = match new.recipients {
            Some(recipients) => {
                let key = JournalKey::generate().map_err(|source| JournalError::Seal {
                    path: path.to_owned(),
                    seq: 1,
                    source,
                })?;
                let wrapped = crypto::encrypt(key.bytes(), recipients, false)?;
                (
                    Some(key),
                    Some((
                        recipients.keys(),
                        base64::engine::general_purpose::STANDARD.encode(wrapped),
                    )),
                )
            }
            None => (None, None),
        };
        let mut journal = Self {
            path: path.to_owned(),
            file,
            key,
            head: None,
            end: 0,
            sessions: HashMap::new(),
            session: 1,
            session_start: Instant::now(),
            clock_lines: Some(Vec::new()),
            ex_t_line: None,
            head_line: None,
            tail_stale: false,
        };
        let guard = journal.lock(LOCK_WAIT)?;
        let first = journal.write_entry(&guard, actor, session_event(new, false), None, wrapped)?;
        drop(guard);
        Ok((journal, first))
    }

    /// Opens an existing journal: verifies the chain, moves a torn tail aside
    /// (reported, never dropped), and decrypts the entries when `identities`
    /// can open the journal key. Returns the journal, its entries and what was
    /// quarantined. Appending needs the key for an encrypted journal.
    pub fn open(
        path: &Path,
        identities: Option<&Identities>,
    ) -> Result<(Self, Vec<Entry>, Option<Quarantined>), JournalError> {
        let mut journal = Self::open_file(path)?;
        let guard = journal.lock(LOCK_WAIT)?;
        let opened = journal.read_all(&guard, identities)?;
        journal.store_tail(&guard);
        Ok((journal, opened.0, opened.1))
    }

    /// Opens an existing journal to be read in steps ([`Journal::open_step`]),
    /// so a screen can show each part as it arrives: nothing is read yet.
    /// Read to the end, it is the journal [`Journal::open`] gives, with the
    /// same entries; it appends nothing meanwhile.
    pub fn open_in_steps(path: &Path) -> Result<Self, JournalError> {
        Self::open_file(path)
    }

    /// The next part of a journal from [`Journal::open_in_steps`]: about
    /// `max` bytes of entries, chain-checked from the last part, decoded
    /// (the key opened with `identities` at the first entry), under the lock
    /// for that step only. Once `done`, a torn tail was moved aside (in
    /// `quarantined`) and the `.tail` record written, as by [`Journal::open`].
    pub fn open_step(
        &mut self,
        identities: Option<&Identities>,
        max: u64,
    ) -> Result<OpenStep, JournalError> {
        let guard = self.lock(LOCK_WAIT)?;
        let step = self.read_part(&guard, identities, max.max(1))?;
        if step.done {
            self.store_tail(&guard);
        }
        Ok(step)
    }

    /// How far [`Journal::open_step`] has read, and the file's length now,
    /// in bytes.
    pub fn read_so_far(&self) -> (u64, u64) {
        let len = self.file.metadata().map_or(self.end, |m| m.len());
        (self.end, len.max(self.end))
    }

    /// Opens an existing journal to append to it without reading it all:
    /// from the `<journal>.tail` record (see [`tail`](mod@tail)) it reads the
    /// first entry, the entries that set the clocks and the last entry, then
    /// whatever was appended after the record, checked from there on; with
    /// no usable record, the whole journal, as [`Journal::open`]. The
    /// entries returned are those only (the full fold is not among them):
    /// for one-shot writers, whose commands are judged by the clocks. The
    /// full chain is `journal verify`'s to check.
    pub fn open_tail(
        path: &Path,
        identities: Option<&Identities>,
    ) -> Result<(Self, Vec<Entry>, Option<Quarantined>), JournalError> {
        let mut journal = Self::open_file(path)?;
        let guard = journal.lock(LOCK_WAIT)?;
        let Some(checked) = tail::load(path, &journal.file) else {
            let opened = journal.read_all(&guard, identities)?;
            journal.store_tail(&guard);
            return Ok((journal, opened.0, opened.1));
        };
        let first = checked.entries.first().map(|(e, _)| e);
        if let (Some(first), Some(wrapped)) = (first, first.and_then(|e| e.journal_key.as_ref())) {
            journal.key = identities
                .map(|ids| journal_key(path, first, wrapped, ids))
                .transpose()?;
        }
        let mut entries = Vec::with_capacity(checked.entries.len());
        let mut clock_lines = Some(Vec::new());
        let count = checked.entries.len();
        let lines = checked.entries.into_iter().zip(checked.lines);
        for (i, ((stored, offset), kept)) in lines.enumerate() {
            if stored.ex_t.is_some() {
                journal.ex_t_line = Some(kept.clone());
            }
            if i + 1 == count {
                journal.head = Some(stored.clone());
            }
            let entry = decode(path, journal.key.as_ref(), stored, offset)?;
            keep_if_clock(&mut clock_lines, &entry, || kept.clone());
            journal.head_line = Some(kept);
            entries.push(entry);
        }
        journal.clock_lines = clock_lines;
        journal.end = checked.end;
        journal.sessions = checked.sessions;
        let caught = journal.catch_up(&guard)?;
        entries.extend(journal.take_in(&caught)?);
        if !caught.entries.is_empty() {
            journal.store_tail(&guard);
        }
        Ok((journal, entries, caught.quarantined))
    }

    /// The journal file at `path`, opened for reading and appending, with
    /// nothing read yet.
    fn open_file(path: &Path) -> Result<Self, JournalError> {
        refuse_planted_companions(path)?;
        let file = crate::fsutil::open_regular(path, OpenOptions::new().read(true).append(true))
            .map_err(io(path))?;
        Ok(Self {
            path: path.to_owned(),
            file,
            key: None,
            head: None,
            end: 0,
            sessions: HashMap::new(),
            session: 0,
            session_start: Instant::now(),
            clock_lines: Some(Vec::new()),
            ex_t_line: None,
            head_line: None,
            tail_stale: false,
        })
    }

    /// Reads, checks and decodes the whole journal (opening its key with
    /// `identities`), moving a torn tail aside. Call with the lock held, on
    /// a journal just opened.
    fn read_all(
        &mut self,
        guard: &LockGuard,
        identities: Option<&Identities>,
    ) -> Result<(Vec<Entry>, Option<Quarantined>), JournalError> {
        let step = self.read_part(guard, identities, u64::MAX)?;
        Ok((step.entries, step.quarantined))
    }

    /// Reads, checks and decodes about `max` more bytes of a journal being
    /// opened (opening its key with `identities` at the first entry); at the
    /// end, moves a torn tail aside. Call with the lock held.
    fn read_part(
        &mut self,
        guard: &LockGuard,
        identities: Option<&Identities>,
        max: u64,
    ) -> Result<OpenStep, JournalError> {
        let starting = self.head.is_none();
        let caught = self.catch_up_at_most(guard, max)?;
        if starting {
            let Some(first) = caught.entries.first() else {
                return Err(JournalError::Empty(self.path.clone()));
            };
            if let Some(wrapped) = &first.entry.journal_key {
                self.key = identities
                    .map(|ids| journal_key(&self.path, &first.entry, wrapped, ids))
                    .transpose()?;
            }
        }
        let entries = self.take_in(&caught)?;
        let done = self.end >= self.file.metadata().map_err(io(&self.path))?.len();
        Ok(OpenStep {
            entries,
            quarantined: caught.quarantined,
            done,
        })
    }

    /// Reads a journal without opening it for writing: no lock, nothing moved
    /// (a torn tail is left where it is and not returned), so it works on a
    /// read-only copy an auditor was handed. A broken chain is an error naming
    /// the entry; bodies are decrypted when `identities` open the journal key,
    /// else left `None`.
    pub fn read(path: &Path, identities: Option<&Identities>) -> Result<Vec<Entry>, JournalError> {
        Self::read_in_steps(path)?.step(identities, u64::MAX)
    }

    /// [`Journal::read`] in steps ([`Reading::step`]), so a screen can show
    /// the first entries of a long journal while the rest is read: the file
    /// is read now, nothing is checked yet.
    pub fn read_in_steps(path: &Path) -> Result<Reading, JournalError> {
        // As `read_journal_bytes`: a regular file, never through a link,
        // within the size any journal may have.
        let file =
            crate::fsutil::open_regular(path, OpenOptions::new().read(true)).map_err(io(path))?;
        let len = file.metadata().map_err(io(path))?.len();
        if len > MAX_JOURNAL_BYTES {
            return Err(io(path)(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("is larger than {MAX_JOURNAL_BYTES} bytes: refused"),
            )));
        }
        Ok(Reading {
            path: path.to_owned(),
            file,
            len,
            pos: 0,
            head: None,
            sessions: HashMap::new(),
            key: None,
            done: false,
            end: 0,
            head_offset: 0,
            digest: None,
            encrypted: false,
            key_from: None,
        })
    }

    /// Starts a new writer session on an opened journal (a resume): session
    /// number one above any seen, monotonic clock from zero.
    pub fn start_session(
        &mut self,
        actor: &Actor,
        new: &NewJournal<'_>,
    ) -> Result<Entry, JournalError> {
        self.start_session_seen(actor, new, &mut Vec::new())
    }

    /// [`Journal::start_session`], handing the entries other processes
    /// appended since the last look to `seen` (in file order) rather than
    /// passing over them, for a writer that folds the journal.
    pub fn start_session_seen(
        &mut self,
        actor: &Actor,
        new: &NewJournal<'_>,
        seen: &mut Vec<Entry>,
    ) -> Result<Entry, JournalError> {
        self.require_key()?;
        let guard = self.lock(LOCK_WAIT)?;
        let caught = self.catch_up(&guard)?;
        seen.extend(self.take_in(&caught)?);
        // After the catch-up: a session another writer started meanwhile
        // counts too.
        self.session = self.sessions.keys().copied().max().unwrap_or(0) + 1;
        self.session_start = Instant::now();
        let mut event = session_event(new, true);
        // Whether bodies are encrypted is the journal's fact, not the caller's.
        if let Event::SessionStarted { plaintext, .. } = &mut event {
            *plaintext = self.key.is_none();
        }
        self.write_entry(&guard, actor, event, None, None)
    }

    /// Appends one entry and returns it once it is on disk (fdatasync).
    /// Entries other processes appended meanwhile are chained onto but not
    /// returned: for writers that keep no state (`grabbag note`, scripts).
    /// A writer that folds the journal uses [`Journal::append_planned`].
    pub fn append(
        &mut self,
        actor: &Actor,
        event: Event,
        ex_t: Option<u64>,
    ) -> Result<Entry, JournalError> {
        self.require_key()?;
        let guard = self.lock(LOCK_WAIT)?;
        let caught = self.catch_up(&guard)?;
        self.take_in(&caught)?;
        let entry = self.write_entry(&guard, actor, event, ex_t, None)?;
        self.store_tail_if_one_shot(&guard);
        Ok(entry)
    }

    /// Appends what `plan` decides, all under one hold of the lock: first
    /// the entries other processes appended since we last looked are read
    /// (in file order) and handed to `plan`, so it decides on the journal as
    /// it is on disk; then each entry it returns is written and synced and
    /// pushed onto `written` as soon as it is on disk (so an error part-way
    /// still hands back what did get written). Nothing is written when
    /// `plan` refuses; the entries it was handed are its to keep either way.
    pub fn append_planned<E: From<JournalError>>(
        &mut self,
        plan: impl FnOnce(Vec<Entry>) -> Result<Vec<Planned>, E>,
        written: &mut Vec<Entry>,
    ) -> Result<(), E> {
        self.require_key()?;
        let guard = self.lock(LOCK_WAIT)?;
        let caught = self.catch_up(&guard)?;
        let others = self.take_in(&caught)?;
        for planned in plan(others)? {
            let entry =
                self.write_entry(&guard, &planned.actor, planned.event, planned.ex_t, None)?;
            written.push(entry);
        }
        self.store_tail_if_one_shot(&guard);
        Ok(())
    }

    /// Entries other processes appended since we last looked.
    pub fn refresh(&mut self) -> Result<Vec<Entry>, JournalError> {
        let guard = self.lock(LOCK_WAIT)?;
        let caught = self.catch_up(&guard)?;
        drop(guard);
        self.take_in(&caught)
    }

    /// The last entry's seq and hash.
    pub fn head(&self) -> Option<(u64, &str)> {
        self.head.as_ref().map(|h| (h.seq, h.hash.as_str()))
    }

    /// The witness code of the current head.
    pub fn witness(&self) -> Option<String> {
        self.head.as_ref().map(|h| witness_code(h.seq, &h.hash))
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when bodies are encrypted.
    pub fn encrypted(&self) -> bool {
        self.key.is_some()
    }

    /// Marks this process as a one-shot writer (session 0, no monotonic clock),
    /// as `grabbag note` is: it must not claim a session's clock.
    pub fn one_shot(&mut self) {
        self.session = 0;
    }

    fn require_key(&self) -> Result<(), JournalError> {
        let encrypted = self.head.as_ref().is_some_and(|h| h.sealed.is_some());
        if encrypted && self.key.is_none() {
            return Err(JournalError::NoKey {
                path: self.path.clone(),
                reason: "appending needs an identity that can open its key (--identity or GRABBAG_IDENTITY)".to_owned(),
            });
        }
        Ok(())
    }

    fn decode(&self, e: &StoredEntry, offset: u64) -> Result<Entry, JournalError> {
        decode(&self.path, self.key.as_ref(), e.clone(), offset)
    }

    /// Reads what lies after `self.end`, checks it, quarantines a torn tail,
    /// and advances the head. Call with the lock held, then hand the result
    /// to [`Journal::take_in`].
    fn catch_up(&mut self, guard: &LockGuard) -> Result<CaughtUp, JournalError> {
        self.catch_up_at_most(guard, u64::MAX)
    }

    /// [`Journal::catch_up`] of about `max` bytes at most: the complete
    /// entries in them, or, when those cannot be told apart from a torn
    /// tail, everything to the end (see [`scan_part`]).
    fn catch_up_at_most(&mut self, _guard: &LockGuard, max: u64) -> Result<CaughtUp, JournalError> {
        let base = self.end;
        let (bytes, scan, _) = scan_next_part(
            &mut self.file,
            base,
            max,
            self.head.as_ref(),
            &mut self.sessions,
        )
        .map_err(io(&self.path))?;
        if let Some(finding) = scan.problems.first() {
            return Err(JournalError::Broken {
                path: self.path.clone(),
                finding: finding.clone(),
            });
        }
        let quarantined = match scan.torn {
            Some(torn) => Some(self.quarantine(torn, &bytes[(torn.offset - base) as usize..])?),
            None => None,
        };
        if let Some(last) = scan.entries.last() {
            self.end = last.offset + last.len;
            self.head = Some(last.entry.clone());
        }
        Ok(CaughtUp {
            entries: scan.entries,
            quarantined,
            bytes,
            base,
        })
    }

    /// The entries `caught` read, decoded; the lines of those that set the
    /// clocks, and the head's, are kept for the `.tail` record.
    fn take_in(&mut self, caught: &CaughtUp) -> Result<Vec<Entry>, JournalError> {
        let mut out = Vec::with_capacity(caught.entries.len());
        for s in &caught.entries {
            let entry = self.decode(&s.entry, s.offset)?;
            let kept = || KeptLine {
                offset: s.offset,
                line: String::from_utf8_lossy(caught.line(s)).into_owned(),
            };
            if s.entry.ex_t.is_some() {
                self.ex_t_line = Some(kept());
            }
            keep_if_clock(&mut self.clock_lines, &entry, kept);
            out.push(entry);
        }
        if let Some(last) = caught.entries.last() {
            self.head_line = Some(KeptLine {
                offset: last.offset,
                line: String::from_utf8_lossy(caught.line(last)).into_owned(),
            });
            self.tail_stale = true;
        }
        Ok(out)
    }

    /// Writes the `.tail` record after a one-shot writer's append, so the
    /// next one starts from here.
    fn store_tail_if_one_shot(&mut self, guard: &LockGuard) {
        if self.session == 0 {
            self.store_tail(guard);
        }
    }

    /// Writes the `.tail` record for what has been read and written so far,
    /// when it changed (a cache: a failure only means the next one-shot
    /// writer reads the whole journal). Call with the lock held, so that
    /// two writers never race on it.
    fn store_tail(&mut self, _guard: &LockGuard) {
        if !self.tail_stale {
            return;
        }
        let (Some(clocks), Some(head)) = (&self.clock_lines, &self.head_line) else {
            return;
        };
        let mut lines = clocks.clone();
        lines.extend(self.ex_t_line.iter().cloned());
        lines.push(head.clone());
        lines.sort_by_key(|l| l.offset);
        lines.dedup_by_key(|l| l.offset);
        let record = TailRecord {
            version: tail::VERSION,
            lines,
            sessions: self.sessions.clone(),
        };
        if tail::store(&self.path, &record).is_ok() {
            self.tail_stale = false;
        }
    }

    /// Appends the torn bytes to `<journal>.torn` (synced), then truncates the
    /// journal to its last good entry. Nothing is dropped: the bytes are kept.
    fn quarantine(&mut self, torn: Torn, bytes: &[u8]) -> Result<Quarantined, JournalError> {
        let moved_to = companion(&self.path, ".torn");
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut out = crate::fsutil::open_regular(&moved_to, &options).map_err(io(&moved_to))?;
        out.write_all(bytes).map_err(io(&moved_to))?;
        out.sync_all().map_err(io(&moved_to))?;
        self.file.set_len(torn.offset).map_err(io(&self.path))?;
        self.file.sync_all().map_err(io(&self.path))?;
        Ok(Quarantined { torn, moved_to })
    }

    /// Writes one entry after the head and syncs it. Call with the lock
    /// held, caught up.
    fn write_entry(
        &mut self,
        _guard: &LockGuard,
        actor: &Actor,
        event: Event,
        ex_t: Option<u64>,
        wrapped: Option<(Vec<String>, String)>,
    ) -> Result<Entry, JournalError> {
        let seq = self.head.as_ref().map_or(1, |h| h.seq + 1);
        let now = Local::now();
        let mono_ms = if self.session == 0 {
            0
        } else {
            let elapsed = self.session_start.elapsed().as_millis() as u64;
            // Never behind what this session already wrote (another clock
            // source cannot make ours go backwards).
            elapsed.max(self.sessions.get(&self.session).copied().unwrap_or(0))
        };
        let (encrypted_to, journal_key) =
            wrapped.map_or((None, None), |(to, key)| (Some(to), Some(key)));
        let (clear_actor, clear_event, sealed) = match &self.key {
            Some(key) => {
                let body = serde_json::to_vec(&Body {
                    actor: actor.clone(),
                    event: event.clone(),
                })
                .map_err(|e| self.entry_error(seq, e.to_string()))?;
                let sealed = key.seal(seq, &body).map_err(|source| JournalError::Seal {
                    path: self.path.clone(),
                    seq,
                    source,
                })?;
                (None, None, Some(sealed))
            }
            None => (Some(actor.clone()), Some(event.clone()), None),
        };
        let stored = StoredEntry {
            seq,
            session: self.session,
            at: now
                .with_timezone(&Utc)
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            offset: now.offset().to_string(),
            mono_ms,
            ex_t,
            encrypted_to,
            journal_key,
            actor: clear_actor,
            event: clear_event,
            sealed,
            prev: self
                .head
                .as_ref()
                .map_or(GENESIS.to_owned(), |h| h.hash.clone()),
            hash: String::new(),
        };
        let (line, hash) = stored
            .to_line()
            .map_err(|e| self.entry_error(seq, e.to_string()))?;
        let offset = self.end;
        if let Err(e) = self
            .file
            .write_all(&line)
            .and_then(|()| self.file.sync_data())
        {
            // A partial line (disk full, file-size limit) must not stay as the
            // tail of the chain: cut back to the last good entry.
            let _ = self.file.set_len(offset);
            let _ = self.file.sync_data();
            return Err(JournalError::Io {
                path: self.path.clone(),
                source: e,
            });
        }
        let mut stored = stored;
        stored.hash = hash;
        let kept = KeptLine {
            offset,
            line: String::from_utf8_lossy(&line[..line.len() - 1]).into_owned(),
        };
        if event.sets_clocks()
            && let Some(lines) = &mut self.clock_lines
        {
            lines.push(kept.clone());
        }
        if ex_t.is_some() {
            self.ex_t_line = Some(kept.clone());
        }
        self.head_line = Some(kept);
        self.tail_stale = true;
        self.end = offset + line.len() as u64;
        if self.session != 0 {
            self.sessions.insert(self.session, mono_ms);
        }
        self.head = Some(stored);
        Ok(Entry {
            seq,
            session: self.session,
            // As stored (milliseconds), so the entry an append returns equals
            // the one a reopen reads: resume folds exactly what was on screen.
            at: now.with_timezone(&Utc).trunc_subsecs(3),
            offset: now.offset().to_string(),
            mono_ms,
            ex_t,
            actor: Some(actor.clone()),
            event: Some(event),
            hash: self
                .head
                .as_ref()
                .map(|h| h.hash.clone())
                .unwrap_or_default(),
            byte_offset: offset,
        })
    }

    fn entry_error(&self, seq: u64, message: String) -> JournalError {
        JournalError::Entry {
            path: self.path.clone(),
            seq,
            message,
        }
    }

    /// Takes the exclusive lock, waiting up to `wait`, and records who holds
    /// it in `<journal>.lock` so a waiting writer can say who is in the way.
    fn lock(&self, wait: Duration) -> Result<LockGuard, JournalError> {
        // The guard holds its own handle to the same open file (a dup shares
        // the lock), so holding it does not borrow the journal.
        let file = self.file.try_clone().map_err(io(&self.path))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    // Never through a link, never more than the line we write.
                    let holder = crate::fsutil::read_regular(
                        &lock_info_path(&self.path),
                        LOCK_INFO_WIDTH as u64,
                    )
                    .map(|s| String::from_utf8_lossy(&s).trim().to_owned())
                    .unwrap_or_else(|_| "another process".to_owned());
                    return Err(JournalError::Locked {
                        path: self.path.clone(),
                        holder,
                        waited: started.elapsed(),
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io(&self.path)(e)),
            }
        }
        write_lock_info(&self.path);
        Ok(LockGuard { file })
    }
}

impl Drop for Journal {
    /// A writer that kept the journal open (the TUI) leaves the `.tail`
    /// record where it stopped, so the next `grabbag note` reads only what
    /// came after. Never waits: with another writer holding the lock, the
    /// record stays as it was (the next one-shot writer reads a bit more).
    fn drop(&mut self) {
        if self.tail_stale
            && let Ok(guard) = self.lock(Duration::ZERO)
        {
            self.store_tail(&guard);
        }
    }
}

/// Keeps the line `kept` gives when `entry` sets the clocks; a body that
/// could not be read (no key) makes the kept lines unknown.
fn keep_if_clock(
    lines: &mut Option<Vec<KeptLine>>,
    entry: &Entry,
    kept: impl FnOnce() -> KeptLine,
) {
    match &entry.event {
        Some(event) if event.sets_clocks() => {
            if let Some(lines) = lines {
                lines.push(kept());
            }
        }
        Some(_) => {}
        None => *lines = None,
    }
}

/// Links a fully written new journal into place, refusing to replace one.
/// File systems without hard links (FAT on a USB stick) fall back to a rename
/// after a check, with a small race that only another creator could lose.
fn publish(temporary: &Path, path: &Path) -> Result<(), JournalError> {
    match std::fs::hard_link(temporary, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(JournalError::Exists(path.to_owned()))
        }
        Err(_) if std::fs::symlink_metadata(path).is_ok() => {
            Err(JournalError::Exists(path.to_owned()))
        }
        Err(_) => std::fs::rename(temporary, path).map_err(io(path)),
    }
}

/// Records who holds the lock in `<journal>.lock`: overwritten in place at a
/// fixed width, never truncated, because truncating and re-allocating a block
/// on every append doubled the append latency (the journal's fdatasync then
/// had that metadata to commit too).
fn write_lock_info(path: &Path) {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let host = HOST.get_or_init(host_name);
    let mut info = format!(
        "process {} ({}) on {host} since {}",
        std::process::id(),
        std::env::args().take(2).collect::<Vec<_>>().join(" "),
        Local::now().format("%Y-%m-%d %H:%M:%S %:z")
    );
    info.truncate(LOCK_INFO_WIDTH - 1);
    let mut bytes = format!("{info:<width$}", width = LOCK_INFO_WIDTH - 1).into_bytes();
    bytes.push(b'\n');
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    if let Ok(mut file) = crate::fsutil::open_regular(&lock_info_path(path), &options) {
        let _ = file.write_all(&bytes);
    }
}

/// Width of the holder line in `<journal>.lock`.
const LOCK_INFO_WIDTH: usize = 256;

fn lock_info_path(path: &Path) -> PathBuf {
    companion(path, ".lock")
}

/// `<journal><suffix>`: the `.lock` and `.torn` files beside a journal.
fn companion(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.to_path_buf().into_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// Refuses a journal whose `.lock` or `.torn` is anything but a regular file:
/// a sync can plant them as links to files in the user's home, and writing
/// the lock text or a torn tail through them would change those files.
/// Checked before anything is written, so the refusal names the file and
/// nothing has changed.
fn refuse_planted_companions(path: &Path) -> Result<(), JournalError> {
    for suffix in [".lock", ".torn"] {
        let beside = companion(path, suffix);
        if let Ok(meta) = std::fs::symlink_metadata(&beside)
            && !meta.is_file()
        {
            let what = if meta.file_type().is_symlink() {
                "is a symbolic link"
            } else {
                "is not a regular file"
            };
            return Err(JournalError::Io {
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!(
                        "{what} beside the journal: refused, nothing was written (remove it if you did not put it there)"
                    ),
                ),
                path: beside,
            });
        }
    }
    Ok(())
}

/// Releases the journal lock when dropped.
struct LockGuard {
    file: File,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// An entry as the program uses it: its body decrypted when `key` is held.
/// Takes the stored entry by value: its strings move into the entry rather
/// than being copied (a long journal's read is mostly this, entry by entry).
pub(super) fn decode(
    path: &Path,
    key: Option<&JournalKey>,
    e: StoredEntry,
    offset: u64,
) -> Result<Entry, JournalError> {
    let StoredEntry {
        seq,
        session,
        at,
        offset: utc_offset,
        mono_ms,
        ex_t,
        actor,
        event,
        sealed,
        hash,
        ..
    } = e;
    let (actor, event) = match (sealed, key) {
        (Some(sealed), Some(key)) => {
            let plain = key
                .open(seq, &sealed)
                .map_err(|source| JournalError::Seal {
                    path: path.to_owned(),
                    seq,
                    source,
                })?;
            let body: Body = serde_json::from_slice(&plain).map_err(|err| JournalError::Entry {
                path: path.to_owned(),
                seq,
                message: format!("decrypted body is not valid: {err}"),
            })?;
            (Some(body.actor), Some(body.event))
        }
        (Some(_), None) => (None, None),
        (None, _) => (actor, event),
    };
    Ok(Entry {
        seq,
        session,
        at: DateTime::parse_from_rfc3339(&at)
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default(),
        offset: utc_offset,
        mono_ms,
        ex_t,
        actor,
        event,
        hash,
        byte_offset: offset,
    })
}

/// The entries of a scan, decrypted when `identities` open the journal key.
/// Reads about `max` bytes of `file` from `base` and scans them on from
/// `prior`: their complete entries (see [`scan_part`]), or, when those cannot
/// be told apart from a torn tail, everything to the end. Returns the bytes
/// the scan covers, the scan, and whether it reached the end of the file.
fn scan_next_part(
    file: &mut File,
    base: u64,
    max: u64,
    prior: Option<&StoredEntry>,
    sessions: &mut HashMap<u32, u64>,
) -> std::io::Result<(Vec<u8>, Scan, bool)> {
    // Sized once from the file's length (never past what any journal may
    // hold), not doubled as it is read.
    let left = file.metadata()?.len().saturating_sub(base);
    let mut bytes =
        Vec::with_capacity(usize::try_from(left.min(max).min(MAX_JOURNAL_BYTES)).unwrap_or(0));
    file.seek(SeekFrom::Start(base))?;
    (&mut *file).take(max).read_to_end(&mut bytes)?;
    if (bytes.len() as u64) == max
        && let Some((scan, cut)) = scan_part(&bytes, base, prior, sessions)
    {
        bytes.truncate(cut);
        return Ok((bytes, scan, false));
    }
    // The rest of the file, from where the part ended.
    (&mut *file)
        .take(MAX_JOURNAL_BYTES)
        .read_to_end(&mut bytes)?;
    if bytes.is_empty() {
        return Ok((bytes, Scan::default(), true));
    }
    let scan = scan_from(&bytes, base, prior, sessions);
    Ok((bytes, scan, true))
}

/// The line that starts at `offset`, without its newline, read a part at
/// a time up to `limit` bytes: where a read goes on from a mark, the first
/// entry (however many recipients its key is wrapped to) and the head.
fn read_line_at(file: &mut File, offset: u64, limit: u64) -> std::io::Result<Vec<u8>> {
    const PART: u64 = 64 << 10;
    file.seek(SeekFrom::Start(offset))?;
    let mut line = Vec::new();
    while (line.len() as u64) < limit {
        let from = line.len();
        let read = (&mut *file)
            .take(PART.min(limit - from as u64))
            .read_to_end(&mut line)?;
        if let Some(n) = line[from..].iter().position(|b| *b == b'\n') {
            line.truncate(from + n);
            return Ok(line);
        }
        if read == 0 {
            break;
        }
    }
    Err(std::io::ErrorKind::UnexpectedEof.into())
}

fn decode_scanned(
    path: &Path,
    scan: Scan,
    identities: Option<&Identities>,
) -> Result<ReadJournal, JournalError> {
    let first = scan.entries.first().map(|s| &s.entry);
    let wrapped = first.and_then(|e| e.journal_key.as_ref());
    let encrypted = wrapped.is_some();
    let key = match (first, wrapped, identities) {
        (Some(first), Some(wrapped), Some(ids)) => Some(journal_key(path, first, wrapped, ids)?),
        _ => None,
    };
    let mut entries = Vec::with_capacity(scan.entries.len());
    for s in scan.entries {
        entries.push(decode(path, key.as_ref(), s.entry, s.offset)?);
    }
    Ok(ReadJournal {
        entries,
        encrypted,
        readable: !encrypted || key.is_some(),
    })
}

/// What [`read_prefix`] found.
#[derive(Debug)]
pub struct ReadJournal {
    /// The good entries, up to the first problem, decrypted when the
    /// identities given open the journal key.
    pub entries: Vec<Entry>,
    /// Bodies are encrypted.
    pub encrypted: bool,
    /// The key was opened (always true for a plaintext journal).
    pub readable: bool,
}

/// Like [`Journal::read`] for bytes already read from `path`, but a broken
/// journal is not an error: its good entries, up to the first problem, are
/// returned (a report shows them under the verdict that says where it
/// breaks). A journal inside a merged timeline is read this way, from the
/// bytes rebuilt out of the merged file.
pub fn read_prefix(
    path: &Path,
    bytes: &[u8],
    identities: Option<&Identities>,
) -> Result<ReadJournal, JournalError> {
    decode_scanned(path, super::scan::scan(bytes), identities)
}

/// The key of the encrypted journal at `path`, whose first entry is
/// `first` and carries `wrapped`: opened from that first entry's own copy,
/// or, when `identities` are not among its recipients (a reader added
/// later), from the copy a rekey left in `<journal>.key`. A key from the
/// `.key` file counts only when it opens the first entry's body, so the
/// `.key` of another journal, or a forged one, is refused by name and never
/// used.
pub(super) fn journal_key(
    path: &Path,
    first: &StoredEntry,
    wrapped: &str,
    identities: &Identities,
) -> Result<JournalKey, JournalError> {
    let no_key = |reason: String| JournalError::NoKey {
        path: path.to_owned(),
        reason,
    };
    let own = match base64::engine::general_purpose::STANDARD.decode(wrapped) {
        Ok(bytes) => match key_from_age(&bytes, identities) {
            Ok(key) => return Ok(key),
            Err(why) => why,
        },
        Err(_) => "the wrapped journal key is not base64".to_owned(),
    };
    let beside = key_path(path);
    let bytes = match crate::fsutil::read_regular(&beside, MAX_KEY_FILE_BYTES) {
        Ok(bytes) => bytes,
        // A journal inside a merged timeline has a path below the merged
        // file: "not a directory" is as absent as "not found".
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Err(no_key(own));
        }
        Err(e) => return Err(no_key(format!("{own}; {}: {e}", beside.display()))),
    };
    let key = key_from_age(&bytes, identities)
        .map_err(|why| no_key(format!("{own}; {}: {why}", beside.display())))?;
    let opens = first
        .sealed
        .as_deref()
        .is_some_and(|sealed| key.open(first.seq, sealed).is_ok());
    if !opens {
        return Err(no_key(format!(
            "{own}; {} opens, but the key in it does not open this journal (the key of another journal, or altered)",
            beside.display()
        )));
    }
    Ok(key)
}

/// A journal key from its age-encrypted form, or why not.
fn key_from_age(bytes: &[u8], identities: &Identities) -> Result<JournalKey, String> {
    let key = identities.decrypt(bytes).map_err(|e| e.to_string())?;
    JournalKey::from_bytes(&key).ok_or_else(|| "the journal key has the wrong length".to_owned())
}

/// The largest `<journal>.key` read: an age file for a few hundred
/// recipients is far smaller.
const MAX_KEY_FILE_BYTES: u64 = 1 << 20;

/// `<journal>.key`: the journal key wrapped again, by `rekey`, to the
/// recipients of that time (an armored age file whose plaintext is the 32
/// bytes of the key; see docs/journal-format.md, "Readers added later").
pub fn key_path(path: &Path) -> PathBuf {
    companion(path, ".key")
}

/// The `<journal>.key` that gives the encrypted journal at `path`, whose
/// bytes are `bytes`, to `recipients`, or `None` for a plaintext journal
/// (nothing to give). `identities` must open the journal key (from the
/// first entry, or from an earlier `.key`). Only computes: the caller writes
/// it with [`write_key`], once everything it changes has been read.
pub fn rewrapped_key(
    path: &Path,
    bytes: &[u8],
    identities: &Identities,
    recipients: &Recipients,
) -> Result<Option<Vec<u8>>, JournalError> {
    let scan = super::scan::scan(bytes);
    let Some(first) = scan.entries.first().map(|s| &s.entry) else {
        return Err(match scan.problems.first() {
            Some(finding) => JournalError::Broken {
                path: path.to_owned(),
                finding: finding.clone(),
            },
            None => JournalError::Empty(path.to_owned()),
        });
    };
    let Some(wrapped) = &first.journal_key else {
        return Ok(None);
    };
    let key = journal_key(path, first, wrapped, identities)?;
    Ok(Some(crypto::encrypt(key.bytes(), recipients, true)?))
}

/// Writes `<journal>.key` (see [`rewrapped_key`]) whole or not at all
/// (temp + rename, synced, owner-only). The journal itself is not touched:
/// its chain, witness codes and signature stay as they are, and a writer
/// may be appending to it meanwhile. Returns where it was written.
pub fn write_key(path: &Path, wrapped: &[u8]) -> Result<PathBuf, JournalError> {
    let beside = key_path(path);
    crate::fault::point("journal key")
        .and_then(|()| crate::fsutil::replace_atomically(&beside, wrapped))
        .map_err(io(&beside))?;
    Ok(beside)
}

/// A plaintext journal's entries re-recorded as a new journal encrypted to
/// `recipients`: the same seq, sessions, times and events, each body sealed
/// with a fresh journal key, chained anew (so the witness codes differ: it is
/// a new file, not the old one). Each session start says `plaintext: false`,
/// as it would have had the journal been encrypted from the start. For
/// journals written by a script, such as the demo's recorded exercise runs;
/// a journal that does not verify to its end is refused.
pub fn sealed_copy(
    path: &Path,
    plain: &[u8],
    recipients: &Recipients,
) -> Result<Vec<u8>, JournalError> {
    let scan = super::scan::scan(plain);
    if let Some(finding) = scan.problems.first() {
        return Err(JournalError::Broken {
            path: path.to_owned(),
            finding: finding.clone(),
        });
    }
    if scan.torn.is_some() || scan.entries.is_empty() {
        return Err(JournalError::Empty(path.to_owned()));
    }
    let seal_error = |seq| {
        move |source| JournalError::Seal {
            path: path.to_owned(),
            seq,
            source,
        }
    };
    let key = JournalKey::generate().map_err(seal_error(1))?;
    let wrapped = base64::engine::general_purpose::STANDARD.encode(crypto::encrypt(
        key.bytes(),
        recipients,
        false,
    )?);
    let mut out = Vec::with_capacity(plain.len() * 2);
    let mut prev = GENESIS.to_owned();
    for scanned in scan.entries {
        let mut entry = scanned.entry;
        let entry_error = |message: String| JournalError::Entry {
            path: path.to_owned(),
            seq: entry.seq,
            message,
        };
        let (Some(actor), Some(mut event)) = (entry.actor.take(), entry.event.take()) else {
            return Err(entry_error("already encrypted".to_owned()));
        };
        if let Event::SessionStarted { plaintext, .. } = &mut event {
            *plaintext = false;
        }
        let body =
            serde_json::to_vec(&Body { actor, event }).map_err(|e| entry_error(e.to_string()))?;
        entry.sealed = Some(key.seal(entry.seq, &body).map_err(seal_error(entry.seq))?);
        if entry.seq == 1 {
            entry.encrypted_to = Some(recipients.keys());
            entry.journal_key = Some(wrapped.clone());
        }
        entry.prev = prev;
        let (line, hash) = entry.to_line().map_err(|e| entry_error(e.to_string()))?;
        out.extend_from_slice(&line);
        prev = hash;
    }
    Ok(out)
}

/// The journal files (`*.jsonl`, symbolic links included) in a folder,
/// sorted by name; none when the folder does not exist.
pub fn journals_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .filter(|e| {
            // Links are listed (not followed) so that whoever reads them
            // refuses them by name rather than skipping them in silence.
            e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink())
        })
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    out.sort();
    out
}
