//! Reading a journal's bytes back: every check that needs no key.
//!
//! One pass over the lines checks the hash chain, seq continuity, sessions and
//! their monotonic clocks, and notes wall-clock time going backwards. Opening
//! for writing and `journal verify` both use this scan, so what the writer
//! accepts is exactly what an auditor accepts.

use std::collections::HashMap;

use serde::Serialize;

use super::entry::{GENESIS, StoredEntry, line_hash};

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
    let mut scan = Scan::default();
    let mut prev_hash = prior.map_or(GENESIS.to_owned(), |e| e.hash.clone());
    let mut prev_seq = prior.map_or(0, |e| e.seq);
    let mut prev_at = prior.and_then(|e| chrono::DateTime::parse_from_rfc3339(&e.at).ok());
    let mut pos = 0usize;
    // Lines that end without a newline, or that do not parse at all, at the
    // very end of the file are a torn tail; anywhere else they are damage.
    let lines: Vec<(usize, &[u8], bool)> = {
        let mut out = Vec::new();
        while pos < bytes.len() {
            match bytes[pos..].iter().position(|b| *b == b'\n') {
                Some(n) => {
                    out.push((pos, &bytes[pos..pos + n], true));
                    pos += n + 1;
                }
                None => {
                    out.push((pos, &bytes[pos..], false));
                    pos = bytes.len();
                }
            }
        }
        out
    };
    let parsed: Vec<Option<StoredEntry>> = lines
        .iter()
        .map(|(_, line, complete)| {
            if *complete {
                serde_json::from_slice(line).ok()
            } else {
                None
            }
        })
        .collect();
    let last_good = parsed.iter().rposition(Option::is_some);
    for (i, ((start, line, complete), entry)) in lines.iter().zip(parsed).enumerate() {
        let offset = base + *start as u64;
        let finding = |seq: Option<u64>, message: String| Finding {
            seq,
            offset,
            message,
        };
        let Some(entry) = entry else {
            // A complete line that carries its own correct hash was written
            // whole, by some writer: never torn, even when this version
            // cannot read it. Moving it aside would let the next append
            // reuse its seq, and a witness code written down would stop
            // matching.
            let whole =
                *complete && line_hash(line).is_ok_and(|(c, stored)| c.as_bytes() == stored);
            if whole {
                scan.problems.push(finding(
                    Some(prev_seq + 1),
                    format!(
                        "the line at byte {offset} is a complete entry (its hash matches) in a form this version cannot read: written by a newer grabbag?"
                    ),
                ));
                break;
            }
            // A torn tail is an unfinished last line, or unreadable lines
            // after the last good entry. A file with no good entry at all is
            // not a journal: never quarantine the whole thing.
            if last_good.map_or(prior.is_some(), |g| i > g) {
                scan.torn = Some(Torn {
                    offset,
                    len: base + bytes.len() as u64 - offset,
                });
                break;
            }
            let what = if *complete {
                "is not a journal entry"
            } else {
                "is incomplete"
            };
            scan.problems.push(finding(
                Some(prev_seq + 1),
                format!("the line at byte {offset} {what}"),
            ));
            break;
        };
        let seq = entry.seq;
        match line_hash(line) {
            Err(why) => {
                scan.problems
                    .push(finding(Some(seq), format!("seq {seq}: {why}")));
                break;
            }
            Ok((computed, stored)) if computed.as_bytes() != stored => {
                scan.problems.push(finding(
                    Some(seq),
                    format!("seq {seq}: content does not match its hash: the entry was altered"),
                ));
                break;
            }
            Ok(_) => {}
        }
        if entry.prev != prev_hash {
            let what = if prev_seq == 0 {
                "the first entry must have prev = 64 zeros: the start of the journal is missing"
                    .to_owned()
            } else {
                format!(
                    "prev does not match the hash of seq {prev_seq}: entries were removed, inserted or reordered"
                )
            };
            scan.problems
                .push(finding(Some(seq), format!("seq {seq}: {what}")));
            break;
        }
        if seq != prev_seq + 1 {
            scan.problems.push(finding(
                Some(seq),
                format!("seq {seq} follows seq {prev_seq}: seq must go up by one"),
            ));
            break;
        }
        if let Err(why) = structure(&entry, seq == 1) {
            scan.problems
                .push(finding(Some(seq), format!("seq {seq}: {why}")));
            break;
        }
        // Session 0 marks one-shot writers (`grabbag note`): no monotonic clock.
        if entry.session != 0 {
            let last = sessions.entry(entry.session).or_insert(entry.mono_ms);
            if entry.mono_ms < *last {
                scan.problems.push(finding(
                    Some(seq),
                    format!(
                        "seq {seq}: monotonic time went backwards within session {} ({} ms after {} ms)",
                        entry.session, entry.mono_ms, last
                    ),
                ));
                break;
            }
            *last = entry.mono_ms;
        }
        match chrono::DateTime::parse_from_rfc3339(&entry.at) {
            Ok(at) => {
                if let Some(before) = prev_at
                    && at < before
                {
                    scan.warnings.push(finding(
                        Some(seq),
                        format!(
                            "seq {seq}: wall-clock time went backwards ({} after {}): the system clock was changed",
                            entry.at,
                            before.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                        ),
                    ));
                }
                prev_at = Some(at);
            }
            Err(_) => {
                scan.problems.push(finding(
                    Some(seq),
                    format!("seq {seq}: `at` is not an RFC 3339 time"),
                ));
                break;
            }
        }
        prev_hash = entry.hash.clone();
        prev_seq = seq;
        scan.entries.push(Scanned {
            entry,
            offset,
            len: line.len() as u64 + 1,
        });
    }
    scan
}

/// Shape rules: a body in the clear or sealed, never both; keys only first.
fn structure(entry: &StoredEntry, first: bool) -> Result<(), &'static str> {
    let clear = entry.actor.is_some() && entry.event.is_some();
    let sealed = entry.sealed.is_some();
    if clear == sealed || (entry.actor.is_some() != entry.event.is_some()) {
        return Err("an entry needs either `actor` and `event`, or `sealed`");
    }
    if !first && (entry.journal_key.is_some() || entry.encrypted_to.is_some()) {
        return Err("only the first entry may carry the journal key");
    }
    Ok(())
}
