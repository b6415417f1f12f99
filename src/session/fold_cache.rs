//! Fold snapshots: the state a one-shot reader (`status`, `cases`) folded
//! from a long journal, kept in the user's config folder so that the next
//! read folds only what was appended since. At 10,000 cases (40,000
//! entries, 18 MB) reading, checking and folding the whole journal is most
//! of what `status` costs; the snapshot turns that into checking the
//! journal's bytes and reading the state back (docs/PERFORMANCE.md).
//!
//! A snapshot may only make an answer faster, never different:
//!
//! - It holds the state and where the read stood ([`ReadMark`]: the end of
//!   the last entry, where that entry starts, the sessions' monotonic
//!   times), with the SHA-256 of the journal's bytes up to that end, and
//!   the [`SNAPSHOT_FORMAT`] of the fold. The last entry (which the chain
//!   goes on from) and the first (the journal key) are read again from the
//!   journal's lines, never kept parsed. It is used only when the journal's bytes up to there hash the
//!   same now: any change before the end (an entry altered, removed or
//!   reordered, a torn tail completed differently) is a miss, and the
//!   journal is read from the start, as without a snapshot, with its
//!   chain checked. Entries after the end are read and chain-checked from
//!   the head as any read's next part is, then folded on top: the same
//!   state, entry for entry, as folding the whole journal.
//! - It is authenticated with HMAC-SHA256 under the user's cache key (the
//!   history cache's, kept in the same folder: [`CacheKey`]), over a tag
//!   naming this format, so a file placed there by anything else, or
//!   edited, truncated or of another grabbag version, is a miss.
//! - The state of an encrypted journal holds what its bodies say, so it is
//!   sealed with the journal key (bound to the header), never written in
//!   the clear; a state folded without the key (bodies unread) is not kept.
//! - It is kept only for journals past [`KEEP_AFTER`] bytes, and rewritten
//!   once that much more was appended: a short journal folds faster than a
//!   snapshot is written, and a status after each colleague's note reads
//!   the snapshot and the few entries since.
//! - Failing to read or write it is never an error: the journal is read
//!   as if there were no snapshot.
//!
//! docs/SECURITY.md ("Fold snapshots") says what it may and may not decide.

use std::path::{Path, PathBuf};

use hmac::Mac as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::crypto::Identities;
use crate::fsutil;
use crate::journal::{Entry, JournalKey, ReadMark, Reading, digest_hex as hex};
use crate::library::history_cache::CacheKey;
use crate::response::{ClockState, ResponseState, SNAPSHOT_FORMAT, SnapshotStart};

/// The folder of snapshots, inside the user's config folder.
const DIR: &str = "fold-cache";
/// Format tag, covered by the MAC: another tag is another format, a miss.
const MAGIC: &[u8] = b"grabbag fold snapshot 1\n";
/// The length of the MAC at the end of the file.
const MAC_LEN: usize = 32;
/// The largest header read (the head entry and the sessions' times).
const MAX_HEADER: usize = 1 << 20;
/// The largest snapshot read: a state is smaller than the journal it folds.
const MAX_BYTES: u64 = crate::journal::store::MAX_JOURNAL_BYTES * 2;
/// Journals shorter than this (and appends shorter than this since the
/// snapshot) are folded, not snapshotted: 1 MiB is about 2,500 entries,
/// which fold in a few milliseconds.
pub const KEEP_AFTER: u64 = 1 << 20;

/// What comes before the state: which read of which journal it is the
/// fold of.
#[derive(Serialize, Deserialize)]
struct Header {
    /// The grabbag that folded it: another version may fold differently.
    grabbag: String,
    /// [`SNAPSHOT_FORMAT`] of the fold.
    format: u32,
    /// SHA-256 of the journal's bytes up to `mark.end`, hex.
    digest: String,
    /// Where the read stood.
    mark: ReadMark,
    /// The state is sealed with the journal key.
    sealed: bool,
    /// The length of each part of the state that follows
    /// ([`ResponseState::snapshot_part`]).
    parts: Vec<u64>,
}

/// The state is kept in this many runs of clocks besides the rest of it,
/// shared out between the two cores that read them.
const CLOCK_PARTS: usize = 8;

/// Where fold snapshots are kept, and the key that authenticates them.
pub struct FoldCache {
    dir: PathBuf,
    key: CacheKey,
    keep_after: u64,
}

/// One job of reading a snapshot back, done.
enum Done {
    /// The MAC and the journal's bytes matched: the digest so far.
    Checked(Sha256),
    /// The state but its clocks.
    Start(Box<SnapshotStart>),
    /// A run of clocks.
    Clocks(Vec<ClockState>),
}

/// A snapshot that matched its journal.
pub(super) struct Found {
    /// The state it holds.
    pub state: ResponseState,
    /// The journal's last entry it covers.
    pub head: Entry,
    /// Where its read ended.
    pub end: u64,
}

impl FoldCache {
    /// Snapshots kept in the user's config folder `dir`, authenticated with
    /// the cache key kept there; `None` when there is no key to be had.
    pub fn in_config_dir(dir: &Path) -> Option<Self> {
        Some(Self {
            dir: dir.join(DIR),
            key: CacheKey::in_dir(dir)?,
            keep_after: KEEP_AFTER,
        })
    }

    /// As [`FoldCache::in_config_dir`], keeping a snapshot of any journal
    /// past `keep_after` bytes (tests keep short ones).
    #[cfg(test)]
    pub(super) fn keeping_after(dir: &Path, keep_after: u64) -> Option<Self> {
        Some(Self {
            keep_after,
            ..Self::in_config_dir(dir)?
        })
    }

    /// A journal of `len` bytes is long enough to keep a snapshot of.
    pub(super) fn would_keep(&self, len: u64) -> bool {
        len >= self.keep_after
    }

    /// The snapshot file of the journal at `journal`: named by a hash of
    /// its full path, so two journals never share one.
    fn file(&self, journal: &Path) -> Option<PathBuf> {
        let full = std::fs::canonicalize(journal).ok()?;
        let name = Sha256::digest(full.as_os_str().as_encoded_bytes());
        Some(self.dir.join(hex(&name)))
    }

    /// The snapshot of `journal` when it matches the journal `reading` has
    /// open (not read yet): `reading` then goes on from where the snapshot's
    /// read ended, keeping the digest of the bytes so far. `None` on any
    /// miss, after which `reading` must be opened afresh.
    pub(super) fn load(
        &self,
        journal: &Path,
        reading: &mut Reading,
        identities: Option<&Identities>,
    ) -> Option<Found> {
        let bytes = fsutil::read_sized(&self.file(journal)?, MAX_BYTES)?;
        let (signed, mac) = bytes.split_at_checked(bytes.len().checked_sub(MAC_LEN)?)?;
        let rest = signed.strip_prefix(MAGIC)?;
        let (len, rest) = rest.split_at_checked(4)?;
        let len = usize::try_from(u32::from_le_bytes(len.try_into().ok()?)).ok()?;
        if len > MAX_HEADER {
            return None;
        }
        let (header_bytes, body) = rest.split_at_checked(len)?;
        let header: Header = serde_json::from_slice(header_bytes).ok()?;
        if header.grabbag != env!("CARGO_PKG_VERSION") || header.format != SNAPSHOT_FORMAT {
            return None;
        }
        let mut parts = Vec::with_capacity(header.parts.len());
        let mut rest = body;
        for &len in &header.parts {
            let (part, after) = rest.split_at_checked(usize::try_from(len).ok()?)?;
            parts.push(part);
            rest = after;
        }
        if !rest.is_empty() || parts.is_empty() {
            return None;
        }
        let end = header.mark.end;
        let prefix = reading.prefix_digest(end)?;
        let head = reading.go_on_from(header.mark, identities).ok()?;
        if header.sealed != reading.encrypted() {
            return None;
        }
        let digest = header.digest.as_str();
        let key = match header.sealed {
            true => Some(reading.key()?),
            false => None,
        };
        // The MAC and the journal's bytes are checked on one core while the
        // state but its clocks is read on the other; then each reads the
        // next run of clocks until all are read, so neither waits long for
        // the other. Job `None` is the checks, `Some(i)` part `i`.
        let jobs: Vec<Option<usize>> = std::iter::once(None)
            .chain((0..parts.len()).map(Some))
            .collect();
        let done = crate::parallel::map(&jobs, 2, |job| match *job {
            None => {
                let mut tag = self.key.mac();
                tag.update(signed);
                let hasher = prefix().ok()?;
                let same = hex(&hasher.clone().finalize()) == digest;
                (tag.verify_slice(mac).is_ok() && same).then_some(Done::Checked(hasher))
            }
            Some(0) => read_part(key, digest, 0, parts[0], ResponseState::from_snapshot)
                .map(|start| Done::Start(Box::new(start))),
            Some(i) => read_part(
                key,
                digest,
                i,
                parts[i],
                ResponseState::clocks_from_snapshot,
            )
            .map(Done::Clocks),
        });
        let mut done = done.into_iter().map(Option::flatten);
        let (Some(Some(Done::Checked(checked))), Some(Some(Done::Start(start)))) =
            (done.next(), done.next())
        else {
            return None;
        };
        let runs = done
            .map(|run| match run {
                Some(Done::Clocks(clocks)) => Some(clocks),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        let state = start.with_clocks(runs);
        reading.keep_digest(checked);
        Some(Found { state, head, end })
    }

    /// Keeps `state`, the fold of what `reading` read of `journal` (from the
    /// start, or on from a snapshot that ended at `from`), when enough is
    /// new since; failing is not an error.
    pub(super) fn store(
        &self,
        journal: &Path,
        reading: &Reading,
        state: &ResponseState,
        from: u64,
    ) {
        let (Some(mark), Some(digest), Some(file)) =
            (reading.mark(), reading.digest(), self.file(journal))
        else {
            return;
        };
        let sealed = reading.encrypted();
        if mark.end.saturating_sub(from) < self.keep_after || (sealed && reading.key().is_none()) {
            return;
        }
        let digest = hex(&digest);
        // The parts are made (and sealed) on both cores.
        let key = reading.key().filter(|_| sealed);
        let indices: Vec<usize> = (0..state.snapshot_parts(CLOCK_PARTS)).collect();
        let made = crate::parallel::map(&indices, 2, |&i| {
            let plain = state.snapshot_part(i, CLOCK_PARTS).ok()?;
            match key {
                Some(key) => key
                    .seal_bytes(&aad(&digest, i), &Zeroizing::new(plain))
                    .ok(),
                None => Some(plain),
            }
        });
        let Some(parts) = made.into_iter().flatten().collect::<Option<Vec<_>>>() else {
            return;
        };
        if parts.len() != indices.len() {
            return;
        }
        let header = Header {
            grabbag: env!("CARGO_PKG_VERSION").to_owned(),
            format: SNAPSHOT_FORMAT,
            digest,
            mark,
            sealed,
            parts: parts.iter().map(|p| p.len() as u64).collect(),
        };
        let Ok(header) = serde_json::to_vec(&header) else {
            return;
        };
        let Ok(len) = u32::try_from(header.len()) else {
            return;
        };
        let size = parts.iter().map(Vec::len).sum::<usize>();
        let mut out = Vec::with_capacity(MAGIC.len() + 4 + header.len() + size + MAC_LEN);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&header);
        for part in &parts {
            out.extend_from_slice(part);
        }
        let mut tag = self.key.mac();
        tag.update(&out);
        out.extend_from_slice(&tag.finalize().into_bytes());
        // Never written through a link, wherever it leads.
        let _ = fsutil::create_private_dir(&self.dir);
        if fsutil::real_dir(&self.dir) {
            let _ = fsutil::replace_atomically(&file, &out);
        }
    }
}

/// What a sealed part of a snapshot authenticates besides itself: this
/// format, the journal bytes it is the fold of, and its place.
fn aad(digest: &str, part: usize) -> Vec<u8> {
    let mut aad = MAGIC.to_vec();
    aad.extend_from_slice(digest.as_bytes());
    aad.extend_from_slice(&(part as u64).to_le_bytes());
    aad
}

/// Part `i` of a snapshot, opened with the journal key when it is sealed,
/// read by `read`.
fn read_part<T>(
    key: Option<&JournalKey>,
    digest: &str,
    i: usize,
    part: &[u8],
    read: impl FnOnce(&[u8]) -> Option<T>,
) -> Option<T> {
    match key {
        Some(key) => read(&key.open_bytes(&aad(digest, i), part.to_vec()).ok()?),
        None => read(part),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::crypto::{Identity, Recipients};
    use crate::journal::entry::plaintext_journal;
    use crate::journal::{Actor, Event, Journal, NewJournal};
    use crate::response::testkit::{actor, t0};
    use crate::session::read_folded;

    /// A register's events: a runbook opened, then per case its arrival, a
    /// clock and a note, so the state has cases, clocks and notes.
    fn events(cases: usize) -> Vec<(Actor, Event, Option<u64>)> {
        let runbook = "continuity/referrals".to_owned();
        let mut events = vec![(
            actor("Sam"),
            Event::RunbookOpened {
                runbook: runbook.clone(),
                title: "Referrals".to_owned(),
                commit: None,
                blob: None,
                dirty: false,
                unencrypted: false,
                trust: String::new(),
            },
            None,
        )];
        for n in 0..cases {
            let reference = format!("CS-{n:05}");
            events.push((
                actor("Sam"),
                Event::CaseAdded {
                    runbook: runbook.clone(),
                    kind: "referral".to_owned(),
                    reference: reference.clone(),
                    received_at: "2026-12-04T10:00:00Z".to_owned(),
                    fields: BTreeMap::from([("child".to_owned(), format!("Child {n}"))]),
                },
                None,
            ));
            events.push((
                actor("Kim"),
                Event::ClockStarted {
                    runbook: runbook.clone(),
                    clock: "decision".to_owned(),
                    label: "Decide".to_owned(),
                    due_at: "2026-12-07T23:59:59Z".to_owned(),
                    anchor: None,
                    case: Some(reference),
                    basis: None,
                },
                None,
            ));
            events.push((
                actor("Kim"),
                Event::Note {
                    text: format!("Called about case {n}"),
                    happened_at: None,
                },
                None,
            ));
        }
        events
    }

    /// The first `cases` cases of the same register: a longer one has the
    /// shorter one's bytes as its start.
    fn register(path: &Path, cases: usize) -> Vec<u8> {
        let bytes = plaintext_journal(t0(), 1_000, "+00:00", events(cases)).unwrap();
        std::fs::write(path, &bytes).unwrap();
        bytes
    }

    fn hit(cache: &FoldCache, path: &Path, ids: Option<&Identities>) -> bool {
        let mut reading = Journal::read_in_steps(path).unwrap();
        cache.load(path, &mut reading, ids).is_some()
    }

    /// The fold and last entry of a read with no snapshot at all.
    fn full(path: &Path, ids: Option<&Identities>) -> (ResponseState, Option<Entry>) {
        read_folded(path, ids, None).unwrap()
    }

    #[test]
    fn a_snapshot_stands_for_what_it_covers_and_what_came_after_is_folded_on() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FoldCache::keeping_after(&dir.path().join("config"), 0).unwrap();
        let path = dir.path().join("register.jsonl");
        register(&path, 300);
        assert!(!hit(&cache, &path, None), "nothing kept yet");
        assert_eq!(
            read_folded(&path, None, Some(&cache)).unwrap(),
            full(&path, None)
        );
        assert!(hit(&cache, &path, None), "kept by the first read");
        assert_eq!(
            read_folded(&path, None, Some(&cache)).unwrap(),
            full(&path, None)
        );

        // Appended to: the snapshot still covers its start.
        register(&path, 450);
        assert!(hit(&cache, &path, None));
        let (state, head) = read_folded(&path, None, Some(&cache)).unwrap();
        assert_eq!((state.clone(), head), full(&path, None));
        assert_eq!(state.cases.len(), 450);
        assert_eq!(state.clocks.len(), 450);
        assert!(
            state
                .case_clock(RB_REFERRALS, Some("CS-00449"), "decision")
                .is_some()
        );
    }

    const RB_REFERRALS: &str = "continuity/referrals";

    #[test]
    fn an_entry_altered_before_the_snapshots_end_is_the_chains_error_not_the_snapshots_state() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FoldCache::keeping_after(&dir.path().join("config"), 0).unwrap();
        let path = dir.path().join("register.jsonl");
        let bytes = register(&path, 200);
        read_folded(&path, None, Some(&cache)).unwrap();
        assert!(hit(&cache, &path, None));
        let at = bytes.len() / 2;
        let at = at
            + bytes[at..]
                .windows(7)
                .position(|w| w == b"Called ")
                .unwrap();
        let mut altered = bytes.clone();
        altered[at] = b'c';
        std::fs::write(&path, &altered).unwrap();
        assert!(!hit(&cache, &path, None));
        let expected = Journal::read(&path, None).unwrap_err().to_string();
        let got = read_folded(&path, None, Some(&cache))
            .unwrap_err()
            .to_string();
        assert_eq!(got, expected);
        // Cut short before the snapshot's end: the same.
        std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
        assert!(!hit(&cache, &path, None));
        assert_eq!(
            read_folded(&path, None, Some(&cache)).unwrap(),
            full(&path, None)
        );
    }

    #[test]
    fn a_snapshot_edited_forged_linked_or_of_another_journal_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        let cache = FoldCache::keeping_after(&config, 0).unwrap();
        let path = dir.path().join("register.jsonl");
        register(&path, 100);
        read_folded(&path, None, Some(&cache)).unwrap();
        let file = cache.file(&path).unwrap();
        let good = std::fs::read(&file).unwrap();
        let mut rng = crate::testrng::Rng(11);
        for _ in 0..40 {
            let mut flipped = good.clone();
            let i = rng.below(flipped.len());
            flipped[i] ^= 1 << rng.below(8);
            std::fs::write(&file, &flipped).unwrap();
            assert!(!hit(&cache, &path, None), "byte {i} flipped");
            std::fs::write(&file, &good[..rng.below(good.len())]).unwrap();
            assert!(!hit(&cache, &path, None), "cut short");
        }
        // Written under another user's key.
        let forger = FoldCache::keeping_after(&dir.path().join("forger"), 0).unwrap();
        read_folded(&path, None, Some(&forger)).unwrap();
        std::fs::copy(forger.file(&path).unwrap(), &file).unwrap();
        assert!(!hit(&cache, &path, None), "forged");
        // Through a link.
        std::fs::write(dir.path().join("real"), &good).unwrap();
        std::fs::remove_file(&file).unwrap();
        std::os::unix::fs::symlink(dir.path().join("real"), &file).unwrap();
        assert!(!hit(&cache, &path, None), "linked");
        std::fs::remove_file(&file).unwrap();
        std::fs::write(&file, &good).unwrap();
        assert!(hit(&cache, &path, None));
        // Another journal whose start is the same bytes but is a different
        // file has a snapshot of its own.
        let other = dir.path().join("copy.jsonl");
        std::fs::copy(&path, &other).unwrap();
        assert!(!hit(&cache, &other, None));
        // A read that changes nothing and a miss both answer as a full read.
        assert_eq!(
            read_folded(&path, None, Some(&cache)).unwrap(),
            full(&path, None)
        );
        std::fs::write(&file, &good[..good.len() - 1]).unwrap();
        assert_eq!(
            read_folded(&path, None, Some(&cache)).unwrap(),
            full(&path, None)
        );
    }

    #[test]
    fn a_short_journal_or_a_short_append_is_folded_without_writing_a_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FoldCache::keeping_after(&dir.path().join("config"), 64 << 10).unwrap();
        let path = dir.path().join("register.jsonl");
        let short = register(&path, 20);
        assert!((short.len() as u64) < 64 << 10);
        read_folded(&path, None, Some(&cache)).unwrap();
        assert!(!cache.file(&path).unwrap().exists());
        let long = register(&path, 400);
        read_folded(&path, None, Some(&cache)).unwrap();
        let kept = std::fs::read(cache.file(&path).unwrap()).unwrap();
        // A few entries more: read on from the snapshot, which stays as it was.
        let longer = register(&path, 410);
        assert!(((longer.len() - long.len()) as u64) < 64 << 10);
        assert_eq!(
            read_folded(&path, None, Some(&cache)).unwrap(),
            full(&path, None)
        );
        assert_eq!(std::fs::read(cache.file(&path).unwrap()).unwrap(), kept);
        // Far more: rewritten to cover them.
        register(&path, 800);
        assert_eq!(
            read_folded(&path, None, Some(&cache)).unwrap(),
            full(&path, None)
        );
        assert_ne!(std::fs::read(cache.file(&path).unwrap()).unwrap(), kept);
    }

    #[test]
    fn an_encrypted_journals_snapshot_is_sealed_and_kept_only_when_its_bodies_were_read() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FoldCache::keeping_after(&dir.path().join("config"), 0).unwrap();
        let path = dir.path().join("sealed.jsonl");
        let id = Identity::generate();
        let recipients = Recipients::parse(&id.public_key(), Path::new("recipients")).unwrap();
        let ids = Identities::from_identity(id, Path::new("mem"));
        let new = NewJournal {
            recipients: Some(&recipients),
            library: None,
            incident: Some("Sealed".to_owned()),
            exercise: None,
        };
        let mut journal = Journal::create(&path, &new, &actor("Sam")).unwrap();
        for (who, event, _) in events(60) {
            journal.append(&who, event, None).unwrap();
        }
        drop(journal);

        // Without the key the bodies are unread: nothing is kept.
        let (blind, _) = read_folded(&path, None, Some(&cache)).unwrap();
        assert!(blind.unreadable > 0);
        assert!(!cache.file(&path).unwrap().exists());

        let (state, head) = read_folded(&path, Some(&ids), Some(&cache)).unwrap();
        assert_eq!(state.cases.len(), 60);
        let kept = std::fs::read(cache.file(&path).unwrap()).unwrap();
        for secret in [&b"Child 7"[..], b"Called about case", b"CS-00001", b"Kim"] {
            assert!(
                !kept.windows(secret.len()).any(|w| w == secret),
                "{} is in the snapshot in the clear",
                String::from_utf8_lossy(secret)
            );
        }
        assert!(hit(&cache, &path, Some(&ids)));
        assert_eq!(
            read_folded(&path, Some(&ids), Some(&cache)).unwrap(),
            (state, head)
        );
        // Without the key the snapshot cannot stand for the read.
        assert!(!hit(&cache, &path, None));
        assert_eq!(read_folded(&path, None, Some(&cache)).unwrap().0, blind);
    }

    /// A line as a hostile or newer writer may have written it, chained
    /// onto the journal's last entry: `event` as given, hashed correctly.
    fn append_raw(bytes: &mut Vec<u8>, event: &str) {
        use crate::journal::entry::{StoredEntry, hashed_line};
        let last = bytes[..bytes.len() - 1]
            .rsplit(|b| *b == b'\n')
            .next()
            .unwrap();
        let last: StoredEntry = serde_json::from_slice(last).unwrap();
        let unhashed = format!(
            r#"{{"seq":{},"session":1,"at":"2030-01-01T00:00:00.000Z","offset":"+00:00","mono_ms":99999999,"actor":{{"name":"Sam","role":"Loggist"}},"event":{event},"prev":"{}"}}"#,
            last.seq + 1,
            last.hash
        );
        bytes.extend_from_slice(&hashed_line(unhashed.into_bytes()).0);
    }

    /// The head is read from its line as every read parses it, never kept
    /// parsed: an event with a repeated field reads as unknown both ways,
    /// and one nested near the parser's limit still lets the snapshot be used.
    #[test]
    fn the_head_read_on_from_a_snapshot_is_the_one_a_full_read_gives() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FoldCache::keeping_after(&dir.path().join("config"), 0).unwrap();
        let path = dir.path().join("register.jsonl");
        for event in [
            r#"{"type":"note","text":"a","text":"b"}"#.to_owned(),
            format!(
                r#"{{"type":"x","v":{}{}}}"#,
                "[".repeat(124),
                "]".repeat(124)
            ),
        ] {
            let mut bytes = register(&path, 20);
            append_raw(&mut bytes, &event);
            std::fs::write(&path, &bytes).unwrap();
            let full = full(&path, None);
            assert_eq!(full.0.entries, 62, "{event}");
            assert_eq!(read_folded(&path, None, Some(&cache)).unwrap(), full);
            assert!(hit(&cache, &path, None), "{event}");
            assert_eq!(
                read_folded(&path, None, Some(&cache)).unwrap(),
                full,
                "{event}"
            );
        }
    }

    /// A first entry far longer than a read's part (a key wrapped to many
    /// recipients) is read whole where a read goes on from a snapshot.
    #[test]
    fn a_long_first_entry_is_read_whole_when_going_on_from_a_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FoldCache::keeping_after(&dir.path().join("config"), 0).unwrap();
        let path = dir.path().join("register.jsonl");
        let mut events = events(30);
        events.insert(
            0,
            (actor("Sam"), crate::response::testkit::session(false), None),
        );
        if let Event::SessionStarted { incident, .. } = &mut events[0].1 {
            *incident = Some("Outage ".repeat(40_000));
        }
        let bytes = plaintext_journal(t0(), 1_000, "+00:00", events).unwrap();
        assert!(bytes.iter().position(|b| *b == b'\n').unwrap() > 200_000);
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(
            read_folded(&path, None, Some(&cache)).unwrap(),
            full(&path, None)
        );
        assert!(hit(&cache, &path, None));
        assert_eq!(
            read_folded(&path, None, Some(&cache)).unwrap(),
            full(&path, None)
        );
    }
}
