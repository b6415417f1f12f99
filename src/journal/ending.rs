//! Reading a journal from its end: the newest entry of a kind, found by
//! reading backwards, without reading (or checking) what comes before.
//!
//! Starting grabbag offers the newest journal whose last session never
//! ended. Folding every journal in `journals/` to learn that made launch
//! grow with whatever the folder holds (issue 24); the answer is in the last
//! session start or end, which sits near the end. Each line read carries its
//! own hash and is checked against it; the chain is not (that is
//! `journal verify`'s job, and the full open of the journal picked does it).
//! Read-only, like [`Journal::read`](super::Journal::read): no lock, a torn
//! tail left where it is and passed over.

use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::Path;

use super::entry::{StoredEntry, line_hash};
use super::event::Event;
use super::scan::Finding;
use super::store::{Entry, JournalError, MAX_JOURNAL_BYTES, decode, journal_key};
use crate::crypto::Identities;

/// How much is read at a time, from the end backwards.
const CHUNK: u64 = 64 * 1024;

/// What the ends of a journal say.
#[derive(Debug)]
pub struct Ending {
    /// The first entry (decrypted when the identities open the key).
    pub first: Entry,
    /// The newest entry whose event `wanted` accepted, if any.
    pub newest: Option<Entry>,
}

/// The first entry of the journal at `path` and the newest one whose event
/// `wanted` accepts, read backwards from the end. A body that cannot be
/// read (no key) is never accepted. An incomplete or unreadable end is
/// passed over as a torn tail is; a line that does not match its own hash,
/// or an unreadable line before a good one, is an error naming it.
pub fn read_ending(
    path: &Path,
    identities: Option<&Identities>,
    wanted: impl Fn(&Event) -> bool,
) -> Result<Ending, JournalError> {
    let io = |source| JournalError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = crate::fsutil::open_regular(path, File::options().read(true)).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len > MAX_JOURNAL_BYTES {
        return Err(io(std::io::Error::other("larger than any journal")));
    }
    let first_line = read_first_line(&mut file, len).map_err(io)?;
    let broken = |offset: u64, seq: Option<u64>, message: String| JournalError::Broken {
        path: path.to_owned(),
        finding: Finding {
            seq,
            offset,
            message,
        },
    };
    let Some(first_line) = first_line else {
        return Err(JournalError::Empty(path.to_owned()));
    };
    let first = checked(&first_line).map_err(|why| broken(0, Some(1), why))?;
    if first.seq != 1 {
        return Err(broken(
            0,
            Some(first.seq),
            "the first line is not seq 1".to_owned(),
        ));
    }
    let key = match (&first.journal_key, identities) {
        (Some(wrapped), Some(ids)) => Some(journal_key(path, &first, wrapped, ids)?),
        _ => None,
    };
    let first_entry = decode(path, key.as_ref(), first.clone(), 0)?;
    // Backwards: `buf` holds the bytes from `start` to the end of the part
    // not yet looked at; complete lines are taken off its end.
    let mut end = len;
    let mut start = len;
    let mut buf: Vec<u8> = Vec::new();
    let mut seen_good = false;
    let mut newest = None;
    'lines: while end > 0 {
        // The line ending at `end` (or the unfinished one at the very end).
        let line_start = loop {
            let upto = (end - start) as usize;
            if upto > 0 {
                // Past this line's own newline (only the file's last line
                // can lack one).
                let search_to = if buf[upto - 1] == b'\n' {
                    upto - 1
                } else {
                    upto
                };
                if let Some(nl) = buf[..search_to].iter().rposition(|b| *b == b'\n') {
                    break start + nl as u64 + 1;
                }
            }
            if start == 0 {
                break 0;
            }
            let from = start.saturating_sub(CHUNK);
            let mut more = vec![0u8; (start - from) as usize];
            file.seek(SeekFrom::Start(from)).map_err(io)?;
            file.read_exact(&mut more).map_err(io)?;
            more.extend_from_slice(&buf);
            buf = more;
            start = from;
        };
        let bytes = buf.split_off((line_start - start) as usize);
        let complete = bytes.last() == Some(&b'\n');
        let line = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        let this = line_start;
        end = line_start;
        // As the scan judges a line: one that does not parse (or is not
        // finished) after the last good entry is a torn tail, passed over
        // as a read-only open leaves it; one that carries its own correct
        // hash was written whole, and a good entry after it makes it damage.
        let parses = complete && serde_json::from_slice::<StoredEntry>(line).is_ok();
        let whole = complete && line_hash(line).is_ok_and(|(c, stored)| c.as_bytes() == stored);
        let entry = if parses || whole {
            checked(line).map_err(|why| broken(this, None, why))?
        } else if !seen_good {
            continue 'lines;
        } else {
            return Err(broken(
                this,
                None,
                format!("the line at byte {this} is not a journal entry"),
            ));
        };
        seen_good = true;
        if entry.seq == 1 {
            break;
        }
        let decoded = decode(path, key.as_ref(), entry, this)?;
        if decoded.event.as_ref().is_some_and(&wanted) {
            newest = Some(decoded);
            break;
        }
    }
    if newest.is_none() && first_entry.event.as_ref().is_some_and(&wanted) {
        newest = Some(first_entry.clone());
    }
    Ok(Ending {
        first: first_entry,
        newest,
    })
}

/// A line parsed, carrying its own correct hash.
fn checked(line: &[u8]) -> Result<StoredEntry, String> {
    let (computed, stored) = line_hash(line).map_err(str::to_owned)?;
    if computed.as_bytes() != stored {
        return Err("content does not match its hash: the entry was altered".to_owned());
    }
    serde_json::from_slice(line).map_err(|e| format!("not a journal entry: {e}"))
}

/// The first line of the file, without its newline; `None` for a file with
/// no complete line.
fn read_first_line(file: &mut File, len: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; CHUNK as usize];
    file.seek(SeekFrom::Start(0))?;
    while (out.len() as u64) < len {
        let n = file.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        if let Some(nl) = chunk[..n].iter().position(|b| *b == b'\n') {
            out.extend_from_slice(&chunk[..nl]);
            return Ok(Some(out));
        }
        out.extend_from_slice(&chunk[..n]);
    }
    Ok(None)
}
