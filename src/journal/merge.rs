//! Many responders, one timeline: merging journals so that each source stays
//! verifiable byte for byte.
//!
//! A merged file is JSON Lines in its own format, `grabbag-merge`
//! (docs/journal-format.md, "Merged timelines"). The first line is a header
//! listing each source: its file name, entry count, head seq, head hash and
//! witness code. Every other line carries one source line verbatim:
//!
//! ```text
//! {"n":1,"source":0,"entry":<the source line, byte for byte>,"prev":"…","hash":"…"}
//! ```
//!
//! Lines come in order of `at`, ties broken by source order, and never out of
//! a source's own seq order (a k-way merge, so a source whose clock went
//! backwards still reads back in its original order). The merged lines form
//! their own hash chain, by the journal's rule, starting from the header. So
//! the merged file proves its own integrity, and each source's lines,
//! concatenated, are exactly the source journal up to the recorded head:
//! its chain re-verifies without the source file and without any key
//! (encrypted bodies stay sealed). Merging the same sources again gives the
//! same bytes.

use serde::{Deserialize, Serialize};

use std::io::Write as _;

use super::entry::{GENESIS, hashed_line, line_hash, seal_line, witness_code};
use super::scan::{Finding, scan};
use super::verify::{
    Boundary, Format, Head, SourceReport, VerifyReport, WitnessCheck, check_witness, torn_finding,
};

/// The `format` of a merged file's header.
pub const FORMAT: &str = "grabbag-merge";

/// The version of the merged format this grabbag writes and reads.
pub const VERSION: u32 = 1;

/// Length of the `,"prev":"<64 hex>","hash":"<64 hex>"}` suffix of a merged line.
const LINE_SUFFIX_LEN: usize = 149;

/// One journal to merge.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// Its file name, recorded in the header.
    pub name: &'a str,
    /// Its bytes, as read once.
    pub bytes: &'a [u8],
}

/// Why journals cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no journals to merge")]
    NoSources,
    /// A source is broken, torn or empty.
    #[error("{name}: {problem}")]
    Broken {
        /// The source's name.
        name: String,
        /// What is wrong (the first bad entry).
        problem: String,
    },
    /// Two sources are the same journal (or one is an earlier copy of the other).
    #[error(
        "{first} and {second} are copies of the same journal (same first entry): merge one of them"
    )]
    SameJournal {
        /// The first source.
        first: String,
        /// The other.
        second: String,
    },
    /// The header could not be serialised.
    #[error("writing the merge header: {0}")]
    Json(#[from] serde_json::Error),
    /// The merged file could not be written.
    #[error("writing the merged timeline: {0}")]
    Io(#[from] std::io::Error),
}

/// A source as the header records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceHead {
    /// Its file name when merged.
    pub file: String,
    /// How many entries were merged.
    pub entries: u64,
    /// The seq of its last entry.
    pub head_seq: u64,
    /// The hash of its last entry.
    pub head_hash: String,
    /// The witness code of its last entry.
    pub witness: String,
    /// Whether its bodies are encrypted.
    pub encrypted: bool,
}

impl SourceHead {
    /// The source as `journal verify` reports it, as number `index`.
    pub fn report(&self, index: usize) -> SourceReport {
        SourceReport {
            index,
            file: self.file.clone(),
            entries: self.entries,
            head: Head {
                seq: self.head_seq,
                hash: self.head_hash.clone(),
                witness: self.witness.clone(),
                at: None,
            },
            encrypted: self.encrypted,
            ok: true,
        }
    }
}

/// The first line of a merged file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Header {
    pub(super) format: String,
    pub(super) version: u32,
    pub(super) sources: Vec<SourceHead>,
    pub(super) prev: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(super) hash: String,
}

/// A merged line, parsed only to check its shape: the entry is sliced out of
/// the bytes, never re-serialised.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MergedLine {
    n: u64,
    source: usize,
    #[allow(dead_code)]
    entry: serde::de::IgnoredAny,
    prev: String,
    hash: String,
}

/// How a merged file starts: its header's first key, `format`, naming [`FORMAT`].
pub(super) const MARKER: &str = "{\"format\":\"grabbag-merge\"";

/// True when `bytes` start like a merged file.
pub fn is_merged(bytes: &[u8]) -> bool {
    bytes.starts_with(MARKER.as_bytes())
}

/// Merges journals into one timeline (see the module docs). Each source must
/// scan clean: no problem, no torn tail.
pub fn merge(sources: &[Source<'_>]) -> Result<Vec<u8>, MergeError> {
    let prepared = sources
        .iter()
        .map(|source| super::verify::index_source(*source))
        .collect();
    let plan = Plan::new(prepared)?;
    let mut out = Vec::new();
    plan.write(&mut out)?;
    Ok(out)
}

/// One entry of a source, as merging needs it: when it was written, and
/// where its line (without the newline) is in the source's bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Indexed {
    pub at: chrono::DateTime<chrono::Utc>,
    pub start: u64,
    pub end: u64,
}

/// A source checked and indexed in the same pass as its verification.
pub(crate) struct Prepared<'a> {
    bytes: &'a [u8],
    head: SourceHead,
    first_hash: String,
    lines: Vec<Indexed>,
}

impl<'a> Prepared<'a> {
    /// A source as its check left it: the report, how many of its problems
    /// are breaks in the chain (the rest are about exercise time, which
    /// merging leaves to `verify`), the first entry's hash and the index of
    /// its good entries.
    pub(crate) fn new(
        source: Source<'a>,
        report: &VerifyReport,
        chain_problems: usize,
        first_hash: Option<String>,
        lines: Vec<Indexed>,
    ) -> Result<Self, MergeError> {
        let broken = |problem: String| MergeError::Broken {
            name: source.name.to_owned(),
            problem,
        };
        if let Some(p) = report.problems[..chain_problems].first() {
            return Err(broken(format!(
                "seq {} at byte {}: {}",
                p.seq.map_or("?".to_owned(), |s| s.to_string()),
                p.offset,
                p.message
            )));
        }
        if let Some(t) = report.torn {
            return Err(broken(format!(
                "a torn tail of {} bytes at byte {}",
                t.len, t.offset
            )));
        }
        let (Some(first_hash), Some(head)) = (first_hash, &report.head) else {
            return Err(broken("no entries: not a journal".to_owned()));
        };
        Ok(Prepared {
            bytes: source.bytes,
            head: SourceHead {
                file: source.name.to_owned(),
                entries: report.entries,
                head_seq: head.seq,
                head_hash: head.hash.clone(),
                witness: head.witness.clone(),
                encrypted: report.encrypted,
            },
            first_hash,
            lines,
        })
    }
}

/// Sources that can be merged, in order, with the header that lists them.
pub(crate) struct Plan<'a> {
    sources: Vec<Prepared<'a>>,
    header: Header,
}

/// What a merge wrote.
#[derive(Debug, Clone)]
pub(crate) struct Merged {
    /// The sources as the header records them.
    pub sources: Vec<SourceHead>,
    /// Merged lines after the header.
    pub lines: u64,
    /// The hash of the last line (the header's, when no line follows).
    pub head_hash: String,
}

impl<'a> Plan<'a> {
    /// The first source that cannot be merged (broken, or a copy of an
    /// earlier one) is the error.
    pub(crate) fn new(sources: Vec<Result<Prepared<'a>, MergeError>>) -> Result<Self, MergeError> {
        if sources.is_empty() {
            return Err(MergeError::NoSources);
        }
        let mut ready: Vec<Prepared<'a>> = Vec::with_capacity(sources.len());
        for source in sources {
            let source = source?;
            if let Some(other) = ready.iter().find(|p| p.first_hash == source.first_hash) {
                return Err(MergeError::SameJournal {
                    first: other.head.file.clone(),
                    second: source.head.file.clone(),
                });
            }
            ready.push(source);
        }
        let header = Header {
            format: FORMAT.to_owned(),
            version: VERSION,
            sources: ready.iter().map(|p| p.head.clone()).collect(),
            prev: GENESIS.to_owned(),
            hash: String::new(),
        };
        Ok(Plan {
            sources: ready,
            header,
        })
    }

    /// Writes the merged file to `out`, line by line: the sources stay
    /// where they are, only the order is held in memory.
    pub(crate) fn write(&self, out: &mut impl std::io::Write) -> Result<Merged, MergeError> {
        let (header, mut prev) = hashed_line(serde_json::to_vec(&self.header)?);
        out.write_all(&header)?;
        let queues: Vec<&[Indexed]> = self.sources.iter().map(|p| p.lines.as_slice()).collect();
        let mut n = 0u64;
        let mut line = Vec::new();
        for (source, index) in interleave(&queues, |i| i.at) {
            let entry = queues[source][index];
            // Clamped: the index comes from a scan of these bytes.
            let bytes = self.sources[source].bytes;
            let end = (entry.end as usize).min(bytes.len());
            let start = (entry.start as usize).min(end);
            n += 1;
            line.clear();
            write!(line, "{{\"n\":{n},\"source\":{source},\"entry\":")?;
            line.extend_from_slice(&bytes[start..end]);
            write!(line, ",\"prev\":\"{prev}\"}}")?;
            prev = seal_line(&mut line);
            out.write_all(&line)?;
        }
        Ok(Merged {
            sources: self.header.sources.clone(),
            lines: n,
            head_hash: prev,
        })
    }
}

/// The merge order of several sources' items, as (source, index) pairs: a
/// k-way merge taking the earliest next item of any source by `key`, ties to
/// the lower source index, never reordering a source's own items. `merge`
/// writes lines in this order, and a reader that interleaves the entries of
/// the rebuilt sources with it gets the merged file's order back.
pub fn interleave<Q: AsRef<[T]>, T, K: Ord>(
    queues: &[Q],
    key: impl Fn(&T) -> K,
) -> Vec<(usize, usize)> {
    let queues: Vec<&[T]> = queues.iter().map(AsRef::as_ref).collect();
    let mut cursors = vec![0usize; queues.len()];
    let mut out = Vec::with_capacity(queues.iter().map(|q| q.len()).sum());
    // min_by_key keeps the first minimum: ties go to the lower source.
    while let Some(source) = (0..queues.len())
        .filter(|&i| cursors[i] < queues[i].len())
        .min_by_key(|&i| key(&queues[i][cursors[i]]))
    {
        out.push((source, cursors[source]));
        cursors[source] += 1;
    }
    out
}

/// A source rebuilt from a merged file: its lines, and where each came from.
#[derive(Default)]
struct Rebuilt {
    bytes: Vec<u8>,
    /// (offset in `bytes`, offset of the merged line) per line.
    origins: Vec<(u64, u64)>,
}

/// The lines of `bytes` as (offset, content without newline, complete).
fn lines(bytes: &[u8]) -> Vec<(usize, &[u8], bool)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        match bytes[pos..].iter().position(|b| *b == b'\n') {
            Some(len) => {
                out.push((pos, &bytes[pos..pos + len], true));
                pos += len + 1;
            }
            None => {
                out.push((pos, &bytes[pos..], false));
                pos = bytes.len();
            }
        }
    }
    out
}

/// The source entry inside a merged line, when the line has the canonical
/// shape `{"n":N,"source":S,"entry":…,"prev":"…","hash":"…"}`.
fn entry_span(line: &[u8], n: u64, source: usize) -> Option<&[u8]> {
    let prefix = format!("{{\"n\":{n},\"source\":{source},\"entry\":");
    let end = line.len().checked_sub(LINE_SUFFIX_LEN)?;
    if !line.starts_with(prefix.as_bytes())
        || end <= prefix.len()
        || !line[end..].starts_with(b",\"prev\":\"")
    {
        return None;
    }
    Some(&line[prefix.len()..end])
}

/// Checks a merged file: its header, its own chain, then every source
/// rebuilt from it against the head the header records. Returns the report
/// (without signature) and the boundaries a signature may end at.
pub(super) fn check(
    path: &std::path::Path,
    bytes: &[u8],
    witnesses: &[(u64, String)],
) -> (VerifyReport, Vec<Boundary>) {
    let mut report = VerifyReport {
        file: path.to_owned(),
        format: Format::Merge,
        ok: false,
        bytes: bytes.len() as u64,
        entries: 0,
        head: None,
        encrypted: false,
        problems: Vec::new(),
        warnings: Vec::new(),
        torn: None,
        witnesses: Vec::new(),
        signature: None,
        sources: Vec::new(),
    };
    let mut boundaries = Vec::new();
    let all = lines(bytes);
    let header = all.first().and_then(|(_, line, complete)| {
        let header: Header = serde_json::from_slice(line).ok()?;
        let hashed = line_hash(line).ok()?;
        (*complete
            && header.format == FORMAT
            && header.version == VERSION
            && header.prev == GENESIS
            && hashed.0.as_bytes() == hashed.1)
            .then_some((header, line.len() as u64 + 1))
    });
    let Some((header, header_len)) = header else {
        report.problems.push(Finding {
            seq: None,
            offset: 0,
            message: format!(
                "the first line is not a valid {FORMAT} version {VERSION} header (altered, or written by a newer grabbag)"
            ),
        });
        report.witnesses = unchecked(witnesses, &report);
        return (report, boundaries);
    };
    boundaries.push(Boundary {
        end: header_len,
        label: 0,
    });
    let mut rebuilt: Vec<Rebuilt> = header.sources.iter().map(|_| Rebuilt::default()).collect();
    let mut prev = header.hash.clone();
    let mut last_n = 0u64;
    for (start, line, complete) in all.iter().skip(1) {
        let offset = *start as u64;
        let expected = last_n + 1;
        let mut problem = |message: String| {
            report.problems.push(Finding {
                seq: Some(expected),
                offset,
                message,
            });
        };
        if !complete {
            let torn = super::scan::Torn {
                offset,
                len: bytes.len() as u64 - offset,
            };
            report.torn = Some(torn);
            report.problems.push(torn_finding(path, torn, expected));
            break;
        }
        let Ok(parsed) = serde_json::from_slice::<MergedLine>(line) else {
            problem(format!("the line at byte {offset} is not a merged entry"));
            break;
        };
        match line_hash(line) {
            Ok((computed, stored)) if computed.as_bytes() == stored => {}
            Ok(_) => {
                problem(format!(
                    "merged line {}: content does not match its hash: the line was altered",
                    parsed.n
                ));
                break;
            }
            Err(why) => {
                problem(format!("merged line {}: {why}", parsed.n));
                break;
            }
        }
        if parsed.prev != prev {
            problem(format!(
                "merged line {}: prev does not match the hash of line {last_n}: lines were removed, inserted or reordered",
                parsed.n
            ));
            break;
        }
        if parsed.n != expected {
            problem(format!(
                "merged line {} follows line {last_n}: n must go up by one",
                parsed.n
            ));
            break;
        }
        let Some(target) = rebuilt.get_mut(parsed.source) else {
            problem(format!(
                "merged line {}: names source {}, but the header lists {}",
                parsed.n,
                parsed.source,
                header.sources.len()
            ));
            break;
        };
        let Some(entry) = entry_span(line, parsed.n, parsed.source) else {
            problem(format!(
                "merged line {}: not in the canonical form, so its source entry cannot be taken out byte for byte",
                parsed.n
            ));
            break;
        };
        target.origins.push((target.bytes.len() as u64, offset));
        target.bytes.extend_from_slice(entry);
        target.bytes.push(b'\n');
        boundaries.push(Boundary {
            end: offset + line.len() as u64 + 1,
            label: parsed.n,
        });
        prev = parsed.hash;
        last_n = parsed.n;
        report.head = Some(Head {
            seq: parsed.n,
            hash: prev.clone(),
            witness: witness_code(parsed.n, &prev),
            at: None,
        });
    }
    report.entries = last_n;
    if !report.problems.is_empty() {
        // The merged chain is broken: what follows cannot be trusted to say
        // anything about the sources.
        report.witnesses = unchecked(witnesses, &report);
        return (report, boundaries);
    }
    // Each source, rebuilt, must be a clean journal ending at the recorded head.
    let mut hashes_by_source: Vec<Vec<String>> = Vec::new();
    let mut all_encrypted = true;
    for (index, (recorded, source)) in header.sources.iter().zip(&rebuilt).enumerate() {
        let scanned = scan(&source.bytes);
        let name = &recorded.file;
        let at_merged = |offset: u64| match source.origins.binary_search_by_key(&offset, |o| o.0) {
            Ok(i) => source.origins[i].1,
            Err(i) => source.origins.get(i.saturating_sub(1)).map_or(0, |o| o.1),
        };
        let relabel = |f: &Finding| Finding {
            seq: f.seq,
            offset: at_merged(f.offset),
            message: format!("source {index} ({name}): {}", f.message),
        };
        let before = report.problems.len();
        report.problems.extend(scanned.problems.iter().map(relabel));
        report.warnings.extend(scanned.warnings.iter().map(relabel));
        let last = scanned.entries.last();
        let found = (
            scanned.entries.len() as u64,
            last.map_or(0, |s| s.entry.seq),
            last.map_or("", |s| s.entry.hash.as_str()),
        );
        if report.problems.len() == before
            && found
                != (
                    recorded.entries,
                    recorded.head_seq,
                    recorded.head_hash.as_str(),
                )
        {
            report.problems.push(Finding {
                seq: None,
                offset: 0,
                message: format!(
                    "source {index} ({name}): the header records {} entries ending at seq {} ({}), but the merged file holds {} ending at seq {}: entries were dropped or added",
                    recorded.entries, recorded.head_seq, recorded.witness, found.0, found.1
                ),
            });
        }
        let encrypted = scanned
            .entries
            .first()
            .is_some_and(|s| s.entry.journal_key.is_some());
        all_encrypted &= encrypted;
        report.sources.push(SourceReport {
            index,
            file: name.clone(),
            entries: found.0,
            head: Head {
                seq: recorded.head_seq,
                hash: recorded.head_hash.clone(),
                witness: recorded.witness.clone(),
                at: None,
            },
            encrypted,
            ok: report.problems.len() == before,
        });
        hashes_by_source.push(
            scanned
                .entries
                .iter()
                .map(|s| s.entry.hash.clone())
                .collect(),
        );
    }
    report.encrypted = all_encrypted && !header.sources.is_empty();
    let broken = !report.problems.is_empty();
    report.witnesses = witnesses
        .iter()
        .map(|(seq, code)| {
            let at = |hashes: &Vec<String>| hashes.get((*seq as usize).wrapping_sub(1)).cloned();
            let matching = header.sources.iter().zip(&hashes_by_source).find_map(|(s, h)| {
                let hash = at(h)?;
                let code_here = witness_code(*seq, &hash);
                (super::entry::parse_witness(&code_here).map(|(_, c)| c).as_deref()
                    == Some(code.as_str()))
                .then(|| (s.file.clone(), hash))
            });
            match matching {
                Some((file, hash)) => check_witness(*seq, code, Some(&hash), None, broken, Some(file)),
                None => {
                    let mut check = check_witness(*seq, code, None, None, broken, None);
                    let reached = hashes_by_source.iter().any(|h| at(h).is_some());
                    check.message = if reached {
                        format!(
                            "no source journal's seq {seq} has witness code {}: rewritten at or before seq {seq} (or the code was misread)",
                            check.witness
                        )
                    } else {
                        format!("no source journal reaches seq {seq}: truncated or rewritten")
                    };
                    check
                }
            }
        })
        .collect();
    (report, boundaries)
}

/// Witness results when the merged file is too broken to look them up.
fn unchecked(witnesses: &[(u64, String)], report: &VerifyReport) -> Vec<WitnessCheck> {
    witnesses
        .iter()
        .map(|(seq, code)| check_witness(*seq, code, None, report.head.as_ref(), true, None))
        .collect()
}

/// The source journals inside a merged file, rebuilt byte for byte, as
/// (file name, bytes). `None` when the file is not a readable merged file;
/// use [`super::verify::verify`] to learn why.
pub fn sources(bytes: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let all = lines(bytes);
    let (_, first, _) = all.first()?;
    let header: Header = serde_json::from_slice(first).ok()?;
    let mut out: Vec<(String, Vec<u8>)> = header
        .sources
        .into_iter()
        .map(|s| (s.file, Vec::new()))
        .collect();
    for (_, line, _) in all.iter().skip(1) {
        let parsed: MergedLine = serde_json::from_slice(line).ok()?;
        let entry = entry_span(line, parsed.n, parsed.source)?;
        let target = &mut out.get_mut(parsed.source)?.1;
        target.extend_from_slice(entry);
        target.push(b'\n');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::entry::test_note;
    use crate::journal::verify::{VerifyOptions, verify_bytes};

    fn journal(name: &str, times: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut prev = GENESIS.to_owned();
        for (i, at) in times.iter().enumerate() {
            let text = format!("{name} {i}");
            let entry = test_note(i as u64 + 1, 0, at, 0, name, &text, &prev);
            let (line, hash) = entry.to_line().unwrap();
            out.extend_from_slice(&line);
            prev = hash;
        }
        out
    }

    #[test]
    fn interleaves_by_time_and_keeps_each_source_whole() {
        let a = journal(
            "a",
            &["2026-01-01T10:00:00.000Z", "2026-01-01T10:02:00.000Z"],
        );
        // b's clock went backwards: its order must survive the merge.
        let b = journal(
            "b",
            &[
                "2026-01-01T10:01:00.000Z",
                "2026-01-01T09:00:00.000Z",
                "2026-01-01T10:02:00.000Z",
            ],
        );
        let merged = merge(&[
            Source {
                name: "a",
                bytes: &a,
            },
            Source {
                name: "b",
                bytes: &b,
            },
        ])
        .unwrap();
        let order: Vec<usize> = lines(&merged)
            .iter()
            .skip(1)
            .map(|(_, l, _)| serde_json::from_slice::<MergedLine>(l).unwrap().source)
            .collect();
        assert_eq!(order, [0, 1, 1, 0, 1]);
        let back = sources(&merged).unwrap();
        assert_eq!(
            back,
            [("a".to_owned(), a.clone()), ("b".to_owned(), b.clone())]
        );
        let report = verify_bytes(
            std::path::Path::new("m"),
            &merged,
            &VerifyOptions::default(),
        )
        .unwrap();
        assert!(report.ok(), "{:?}", report.problems);
        assert_eq!(report.entries, 5);
        assert_eq!(report.sources.len(), 2);
        assert_eq!(report.warnings.len(), 1, "b's clock warning survives");
        // Same sources, same bytes.
        let again = merge(&[
            Source {
                name: "a",
                bytes: &a,
            },
            Source {
                name: "b",
                bytes: &b,
            },
        ])
        .unwrap();
        assert_eq!(again, merged);
        assert!(matches!(
            merge(&[
                Source {
                    name: "a",
                    bytes: &a
                },
                Source {
                    name: "a2",
                    bytes: &a
                },
            ]),
            Err(MergeError::SameJournal { .. })
        ));
    }
}
