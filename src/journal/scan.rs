//! Reading a journal's bytes back: every check that needs no key.
//!
//! One pass over the lines checks the hash chain, seq continuity, sessions and
//! their monotonic clocks, and notes wall-clock time going backwards. Opening
//! for writing and `journal verify` both use this scan, so what the writer
//! accepts is exactly what an auditor accepts.

use std::collections::HashMap;

use serde::Serialize;

use super::entry::{GENESIS, StoredEntry, line_digest};
use super::links::Link;

/// A line that passed the checks, with where it is.
#[derive(Debug, Clone)]
pub struct Scanned {
    /// The entry as stored.
    pub entry: StoredEntry,
    /// Byte offset of the line in the file.
    pub offset: u64,
    /// Length of the line including its newline.
    pub len: u64,
}

/// Something wrong (or worth a warning) at a place in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The entry's seq, when the line could be read that far.
    pub seq: Option<u64>,
    /// Byte offset of the line.
    pub offset: u64,
    /// What is wrong.
    pub message: String,
}

/// A partial or unreadable end of file, as a crash mid-write leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Torn {
    /// Where the torn part starts.
    pub offset: u64,
    /// How many bytes it has.
    pub len: u64,
}

/// The result of scanning a journal.
#[derive(Debug, Default)]
pub struct Scan {
    /// Entries that passed, in order, up to the first problem.
    pub entries: Vec<Scanned>,
    /// Problems: the chain or the structure is broken. The first is the first
    /// bad entry.
    pub problems: Vec<Finding>,
    /// Warnings: suspicious but not a break (the wall clock went backwards).
    pub warnings: Vec<Finding>,
    /// A torn tail, if the file ends in an incomplete or unreadable region.
    pub torn: Option<Torn>,
}

impl Scan {
    /// The last good entry.
    pub fn head(&self) -> Option<&Scanned> {
        self.entries.last()
    }
}

/// Scans `bytes` (a whole journal, or the part after `start`, continuing from
/// `prior`: the last entry already known and the sessions' last mono times).
pub fn scan(bytes: &[u8]) -> Scan {
    scan_from(bytes, 0, None, &mut HashMap::new())
}

/// Scans the complete lines of `bytes`, a part of a journal read from
/// `base` that the file goes on after (a read in steps), exactly as
/// [`scan_from`] scans them within the whole file. `None` when that cannot be
/// told from the part alone: it has no complete line, or it ends in lines
/// that would be a torn tail at the end of the file (there they may be
/// damage, or a line the read cut); the caller then scans on to the end.
/// `sessions` moves on only when a scan is returned.
pub(super) fn scan_part(
    bytes: &[u8],
    base: u64,
    prior: Option<&StoredEntry>,
    sessions: &mut HashMap<u32, u64>,
) -> Option<(Scan, usize)> {
    let cut = bytes.iter().rposition(|b| *b == b'\n')? + 1;
    let mut trial = sessions.clone();
    let scan = scan_from(&bytes[..cut], base, prior, &mut trial);
    if scan.torn.is_some() {
        return None;
    }
    *sessions = trial;
    Some((scan, cut))
}

pub(super) fn scan_from(
    bytes: &[u8],
    base: u64,
    prior: Option<&StoredEntry>,
    sessions: &mut HashMap<u32, u64>,
) -> Scan {
    let mut chain = Chain::new(prior.map(Link::from).as_ref(), sessions);
    let mut entries = Vec::new();
    for (start, line, complete) in lines(bytes) {
        let offset = base + start as u64;
        let entry: Option<StoredEntry> = if complete {
            serde_json::from_slice(line).ok()
        } else {
            None
        };
        if chain.line(
            offset,
            line,
            complete,
            entry.as_ref().map(Link::from).as_ref(),
        ) {
            if let Some(entry) = entry {
                entries.push(Scanned {
                    entry,
                    offset,
                    len: line.len() as u64 + 1,
                });
            }
        } else if chain.done() {
            break;
        }
    }
    let (problems, warnings, torn) = chain.finish(base + bytes.len() as u64);
    Scan {
        entries,
        problems,
        warnings,
        torn,
    }
}

/// The lines of `bytes` as (offset, content without its newline, whether it
/// had one).
pub(super) fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8], bool)> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let start = pos;
        let rest = bytes.get(start..).filter(|r| !r.is_empty())?;
        Some(match rest.iter().position(|b| *b == b'\n') {
            Some(n) => {
                pos += n + 1;
                (start, &rest[..n], true)
            }
            None => {
                pos = bytes.len();
                (start, rest, false)
            }
        })
    })
}

/// The chain checks, one line at a time, so a journal can be checked as it
/// is read ([`scan`] over bytes in memory, `journal verify` over a stream)
/// with the same rules in the same order.
pub(crate) struct Chain<'s> {
    prev_hash: String,
    prev_seq: u64,
    prev_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    sessions: &'s mut HashMap<u32, u64>,
    /// Some entry came before (in this scan, or as `prior`): an unreadable
    /// line after it may be a torn tail.
    after_entry: bool,
    /// The first unreadable line, while it is not yet known whether a
    /// readable one follows (then it is damage) or not (a torn tail): its
    /// offset and whether it had a newline.
    pending: Option<(u64, bool)>,
    done: bool,
    problems: Vec<Finding>,
    warnings: Vec<Finding>,
}

impl<'s> Chain<'s> {
    /// Checks that continue after `prior` (or start a journal).
    pub(crate) fn new(prior: Option<&Link<'_>>, sessions: &'s mut HashMap<u32, u64>) -> Self {
        Chain {
            prev_hash: prior.map_or(GENESIS.to_owned(), |e| e.hash.clone().into_owned()),
            prev_seq: prior.map_or(0, |e| e.seq),
            prev_at: prior.and_then(|e| chrono::DateTime::parse_from_rfc3339(&e.at).ok()),
            sessions,
            after_entry: prior.is_some(),
            pending: None,
            done: false,
            problems: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The time of the last good entry, in UTC.
    pub(crate) fn last_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.prev_at.map(|at| at.with_timezone(&chrono::Utc))
    }

    /// True once a problem ended the checks: later lines change nothing.
    pub(crate) fn done(&self) -> bool {
        self.done
    }

    /// Checks the line at `offset` (without its newline; `complete` when it
    /// had one), read as `link` (`None`: not an entry, or incomplete).
    /// Returns true when it is a good entry.
    pub(crate) fn line(
        &mut self,
        offset: u64,
        line: &[u8],
        complete: bool,
        link: Option<&Link<'_>>,
    ) -> bool {
        if self.done {
            return false;
        }
        if let Some((at, whole_line)) = self.pending {
            // A readable line after an unreadable one: the unreadable one is
            // damage, not a torn tail.
            if link.is_some() {
                self.unreadable(at, whole_line);
            }
            return false;
        }
        let Some(link) = link else {
            // A complete line that carries its own correct hash was written
            // whole, by some writer: never torn, even when this version
            // cannot read it. Moving it aside would let the next append
            // reuse its seq, and a witness code written down would stop
            // matching.
            let whole = complete && line_digest(line).is_ok_and(|(c, stored)| c == stored);
            if whole {
                self.fail(
                    Some(self.prev_seq + 1),
                    offset,
                    format!(
                        "the line at byte {offset} is a complete entry (its hash matches) in a form this version cannot read: written by a newer grabbag?"
                    ),
                );
            } else if self.after_entry {
                // A torn tail is an unfinished last line, or unreadable
                // lines after the last good entry: known at the end.
                self.pending = Some((offset, complete));
            } else {
                // A file with no good entry at all is not a journal: never
                // quarantine the whole thing.
                self.unreadable(offset, complete);
            }
            return false;
        };
        match self.check(offset, line, link) {
            Ok(()) => {
                self.prev_hash.clear();
                self.prev_hash.push_str(&link.hash);
                self.prev_seq = link.seq;
                self.after_entry = true;
                true
            }
            Err(finding) => {
                self.problems.push(finding);
                self.done = true;
                false
            }
        }
    }

    /// The problems, the warnings and the torn tail, for a file that ends at
    /// byte `end`.
    pub(crate) fn finish(mut self, end: u64) -> (Vec<Finding>, Vec<Finding>, Option<Torn>) {
        let torn = self.pending.take().map(|(offset, _)| Torn {
            offset,
            len: end - offset,
        });
        (self.problems, self.warnings, torn)
    }

    fn fail(&mut self, seq: Option<u64>, offset: u64, message: String) {
        self.problems.push(Finding {
            seq,
            offset,
            message,
        });
        self.done = true;
    }

    fn unreadable(&mut self, offset: u64, complete: bool) {
        let what = if complete {
            "is not a journal entry"
        } else {
            "is incomplete"
        };
        self.pending = None;
        self.fail(
            Some(self.prev_seq + 1),
            offset,
            format!("the line at byte {offset} {what}"),
        );
    }

    /// Every rule for one readable entry, in order; the first broken one.
    fn check(&mut self, offset: u64, line: &[u8], entry: &Link<'_>) -> Result<(), Finding> {
        let seq = entry.seq;
        let finding = |message: String| Finding {
            seq: Some(seq),
            offset,
            message,
        };
        match line_digest(line) {
            Err(why) => return Err(finding(format!("seq {seq}: {why}"))),
            Ok((computed, stored)) if computed != stored => {
                return Err(finding(format!(
                    "seq {seq}: content does not match its hash: the entry was altered"
                )));
            }
            Ok(_) => {}
        }
        let prev_seq = self.prev_seq;
        if entry.prev != self.prev_hash {
            let what = if prev_seq == 0 {
                "the first entry must have prev = 64 zeros: the start of the journal is missing"
                    .to_owned()
            } else {
                format!(
                    "prev does not match the hash of seq {prev_seq}: entries were removed, inserted or reordered"
                )
            };
            return Err(finding(format!("seq {seq}: {what}")));
        }
        if seq != prev_seq + 1 {
            return Err(finding(format!(
                "seq {seq} follows seq {prev_seq}: seq must go up by one"
            )));
        }
        structure(entry, seq == 1).map_err(|why| finding(format!("seq {seq}: {why}")))?;
        // Session 0 marks one-shot writers (`grabbag note`): no monotonic clock.
        if entry.session != 0 {
            let last = self.sessions.entry(entry.session).or_insert(entry.mono_ms);
            if entry.mono_ms < *last {
                return Err(finding(format!(
                    "seq {seq}: monotonic time went backwards within session {} ({} ms after {} ms)",
                    entry.session, entry.mono_ms, last
                )));
            }
            *last = entry.mono_ms;
        }
        match chrono::DateTime::parse_from_rfc3339(&entry.at) {
            Ok(at) => {
                if let Some(before) = self.prev_at
                    && at < before
                {
                    self.warnings.push(finding(format!(
                        "seq {seq}: wall-clock time went backwards ({} after {}): the system clock was changed",
                        entry.at,
                        before.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                    )));
                }
                self.prev_at = Some(at);
                Ok(())
            }
            Err(_) => Err(finding(format!("seq {seq}: `at` is not an RFC 3339 time"))),
        }
    }
}

/// Shape rules: a body in the clear or sealed, never both; keys only first.
fn structure(entry: &Link<'_>, first: bool) -> Result<(), &'static str> {
    let clear = entry.actor && entry.event;
    if clear == entry.sealed || entry.actor != entry.event {
        return Err("an entry needs either `actor` and `event`, or `sealed`");
    }
    if !first && (entry.journal_key || entry.encrypted_to) {
        return Err("only the first entry may carry the journal key");
    }
    Ok(())
}
