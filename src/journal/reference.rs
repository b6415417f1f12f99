//! Property tests for the journal checks: the chain checks as they stream
//! (`scan`, `verify`, each line read as a [`Link`](super::links::Link)) against
//! the straightforward reference they replaced, which read every line into a
//! [`StoredEntry`] after splitting the whole file, on random journals, damaged
//! ones included.
//!
//! The reference is the code as it stood before (issue 24), kept here
//! verbatim apart from names: it is what "the same results on every input"
//! means.

use std::collections::HashMap;
use std::path::Path;

use super::entry::{GENESIS, StoredEntry, hashed_line, line_hash, witness_code};
use super::links::Link;
use super::merge::{FORMAT, Header, MergeError, Source, SourceHead, VERSION, interleave, merge};
use super::scan::{Finding, Scan, Scanned, Torn, scan};
use super::verify::{
    Format, Head, VerifyOptions, VerifyReport, check_witness, torn_finding, verify, verify_bytes,
};
use crate::testrng::Rng;

/// The scan as it was: split every line, parse every line, then check.
fn reference_scan(
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
        if let Err(why) = reference_structure(&entry, seq == 1) {
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
fn reference_structure(entry: &StoredEntry, first: bool) -> Result<(), &'static str> {
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

/// `check_journal` as it was, over the reference scan.
fn reference_check(path: &Path, bytes: &[u8], witnesses: &[(u64, String)]) -> VerifyReport {
    let Scan {
        entries,
        mut problems,
        mut warnings,
        torn,
    } = reference_scan(bytes, 0, None, &mut HashMap::new());
    let head = entries.last().map(|s| Head {
        seq: s.entry.seq,
        hash: s.entry.hash.clone(),
        witness: witness_code(s.entry.seq, &s.entry.hash),
        at: Some(s.entry.at.clone()),
    });
    if let Some(torn) = torn {
        problems.push(torn_finding(
            path,
            torn,
            head.as_ref().map_or(1, |h| h.seq + 1),
        ));
    }
    if bytes.is_empty() {
        problems.push(Finding {
            seq: None,
            offset: 0,
            message: "the file is empty: not a journal".to_owned(),
        });
    }
    let backwards = exercise_time(&entries);
    let broken = !problems.is_empty();
    let witnesses = witnesses
        .iter()
        .map(|(seq, code)| {
            let found = entries
                .get((*seq as usize).wrapping_sub(1))
                .filter(|s| s.entry.seq == *seq)
                .map(|s| s.entry.hash.as_str());
            check_witness(*seq, code, found, head.as_ref(), broken, None)
        })
        .collect();
    // After the witnesses: exercise time is no break in the chain.
    for (within_session, finding) in backwards {
        if within_session {
            problems.push(finding);
        } else {
            warnings.push(finding);
        }
    }
    VerifyReport {
        file: path.to_owned(),
        format: Format::Journal,
        ok: false,
        bytes: bytes.len() as u64,
        entries: entries.len() as u64,
        encrypted: entries
            .first()
            .is_some_and(|s| s.entry.journal_key.is_some()),
        head,
        problems,
        warnings,
        torn,
        witnesses,
        signature: None,
        sources: Vec::new(),
    }
}

fn exercise_time(entries: &[Scanned]) -> Vec<(bool, Finding)> {
    let mut out = Vec::new();
    let mut before: Option<(u64, u32, u64)> = None;
    for s in entries {
        let e = &s.entry;
        let Some(now) = e.ex_t else { continue };
        if let Some((seq, session, then)) = before
            && now < then
        {
            let within = session == e.session && e.session != 0;
            let place = if within {
                format!("within session {session}")
            } else {
                format!("after seq {seq} of session {session}")
            };
            out.push((
                within,
                Finding {
                    seq: Some(e.seq),
                    offset: s.offset,
                    message: format!(
                        "seq {}: exercise time went backwards {place} ({now} ms after {then} ms at seq {seq}): scores built on it are wrong",
                        e.seq
                    ),
                },
            ));
        }
        before = Some((e.seq, e.session, now));
    }
    out
}

/// In a wild journal, any of `items`; in a tame one, the first.
fn pick<'a, T>(rng: &mut Rng, wild: bool, items: &'a [T]) -> &'a T {
    if wild { rng.pick(items) } else { &items[0] }
}

/// In a wild journal, `percent` percent of the time.
fn chance(rng: &mut Rng, wild: bool, percent: u64) -> bool {
    wild && rng.chance(percent)
}

/// In a wild journal, a number below `n`; in a tame one, `n - 1`.
fn odd(rng: &mut Rng, wild: bool, n: usize) -> usize {
    if wild { rng.below(n) } else { n - 1 }
}

/// One random line's fields as JSON text, mostly well formed, sometimes not
/// (each odd form is one the reader must treat exactly as the reference).
fn random_line(
    rng: &mut Rng,
    wild: bool,
    i: u64,
    encrypted: bool,
    clock: &mut (u64, u64, u64),
) -> String {
    let (ms, mono, ex) = clock;
    *ms += 1000 * rng.below(3) as u64;
    *mono += rng.below(3000) as u64;
    *ex += rng.below(3000) as u64;
    let seq = match odd(rng, wild, 60) {
        0 => i + 1,
        1 => i.saturating_sub(1),
        _ => i,
    };
    let session = *pick(rng, wild, &[1, 1, 1, 2, 0]);
    let at_ms = if chance(rng, wild, 3) {
        ms.saturating_sub(5000)
    } else {
        *ms
    };
    let at = chrono::DateTime::from_timestamp_millis(1_795_000_000_000 + at_ms as i64)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let at = match odd(rng, wild, 60) {
        0 => "\"yesterday\"".to_owned(),
        1 => format!("\"\\u0032{}\"", &at[1..]),
        2 => "17".to_owned(),
        _ => format!("\"{at}\""),
    };
    let mono_ms = if chance(rng, wild, 2) {
        mono.saturating_sub(9000)
    } else {
        *mono
    };
    let mut out = format!(
        "{{\"seq\":{seq},\"session\":{session},\"at\":{at},\"offset\":{},\"mono_ms\":{mono_ms}",
        pick(
            rng,
            wild,
            &[
                "\"+00:00\"",
                "\"+00:00\"",
                "\"+00:00\"",
                "\"+01:00\"",
                "5",
                "null"
            ]
        ),
    );
    if chance(rng, wild, 30) {
        let ex_t = if chance(rng, wild, 10) {
            ex.saturating_sub(9000)
        } else {
            *ex
        };
        out.push_str(&format!(",\"ex_t\":{ex_t}"));
    }
    if (encrypted && i == 1) || chance(rng, wild, 2) {
        out.push_str(pick::<&str>(
            rng,
            wild,
            &[
                ",\"encrypted_to\":[\"age1x\"],\"journal_key\":\"a2V5\"",
                ",\"encrypted_to\":[\"age1x\"],\"journal_key\":\"a2V5\"",
                ",\"encrypted_to\":[1],\"journal_key\":\"a2V5\"",
                ",\"journal_key\":\"a2V5\"",
                ",\"encrypted_to\":null",
            ],
        ));
    }
    let actor = *pick(
        rng,
        wild,
        &[
            "{\"name\":\"Ann\",\"role\":\"Lead\"}",
            "{\"name\":\"Ann\",\"role\":\"Lead\"}",
            "{\"name\":\"B\\u00e9\",\"role\":\"L\",\"x\":1}",
            "[\"Ann\",\"Lead\"]",
            "{\"name\":\"Ann\"}",
            "{\"name\":\"Ann\",\"role\":\"Lead\",\"role\":\"L\"}",
            "null",
            "7",
        ],
    );
    let event = *pick(
        rng,
        wild,
        &[
            "{\"type\":\"note\",\"text\":\"Phones down\"}",
            "{\"type\":\"note\",\"text\":\"Phones down\"}",
            "{\"type\":\"step_done\",\"runbook\":\"cyber/r\",\"step\":\"isolate\"}",
            "{\"type\":\"note\",\"text\":\"x\",\"extra\":[1,{\"a\":null}]}",
            "{\"type\":\"photo_attached\",\"sha256\":\"ab\"}",
            "{\"text\":\"x\",\"type\":\"note\"}",
            "{\"type\":9,\"text\":\"x\"}",
            "{\"type\":\"note\",\"type\":\"note\",\"text\":\"x\"}",
            "{\"type\":\"a\",\"type\":5}",
            "{\"text\":\"x\"}",
            "[\"note\",\"x\"]",
            "[\"session_ended\"]",
            "\"note\"",
            "{\"type\":\"note\",\"text\":5}",
            "{\"t\\u0079pe\":\"note\",\"text\":\"x\"}",
            "{\"type\":\"session_ended\"}",
            "{}",
            "null",
        ],
    );
    match odd(rng, wild, 12) {
        0 => out.push_str(&format!(",\"actor\":{actor}")),
        1 => out.push_str(&format!(
            ",\"actor\":{actor},\"event\":{event},\"sealed\":\"c2Vh\""
        )),
        2 => out.push_str(&format!(
            ",\"sealed\":{}",
            pick(rng, wild, &["\"c2Vh\"", "1", "null"])
        )),
        _ if encrypted => out.push_str(",\"sealed\":\"bm9uY2UgYW5kIGNpcGhlcnRleHQ=\""),
        _ => out.push_str(&format!(",\"actor\":{actor},\"event\":{event}")),
    }
    if chance(rng, wild, 5) {
        out.push_str(pick::<&str>(
            rng,
            wild,
            &[",\"future\":{\"a\":[1,2]}", ",\"seq\":1", ",\"hash\":\"x\""],
        ));
    }
    out
}

/// A random journal: chained lines by the journal's rule (so the checks
/// reach the fields), then sometimes damaged as bytes.
fn random_journal(rng: &mut Rng) -> Vec<u8> {
    let wild = rng.chance(50);
    journal_of(rng, wild, true)
}

/// A random journal, with odd fields when `wild`, sometimes damaged as bytes
/// when `damage`.
fn journal_of(rng: &mut Rng, wild: bool, damage: bool) -> Vec<u8> {
    let encrypted = rng.chance(40);
    let n = rng.below(12) as u64;
    let mut clock = (0, 0, 0);
    let mut prev = GENESIS.to_owned();
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for i in 1..=n {
        let mut text = random_line(rng, wild, i, encrypted, &mut clock);
        let p = if chance(rng, wild, 3) {
            "1".repeat(64)
        } else {
            prev.clone()
        };
        text.push_str(&format!(",\"prev\":\"{p}\"}}"));
        let (line, hash) = if chance(rng, wild, 2) {
            (format!("{text}\n").into_bytes(), prev.clone())
        } else {
            hashed_line(text.into_bytes())
        };
        lines.push(line);
        prev = hash;
    }
    match if damage { rng.below(8) } else { 7 } {
        0 if !lines.is_empty() => {
            let i = rng.below(lines.len());
            lines.remove(i);
        }
        1 if lines.len() > 1 => {
            let i = rng.below(lines.len() - 1);
            lines.swap(i, i + 1);
        }
        2 => {
            let i = rng.below(lines.len() + 1);
            let junk: &[u8] = rng.pick::<&[u8]>(&[b"garbage\n", b"\n", b"{\"seq\":\n", b"{}\n"]);
            lines.insert(i, junk.to_vec());
        }
        _ => {}
    }
    let mut bytes: Vec<u8> = lines.concat();
    match if damage { rng.below(6) } else { 5 } {
        0 if !bytes.is_empty() => {
            let cut = rng.below(bytes.len());
            bytes.truncate(cut);
        }
        1 if !bytes.is_empty() => {
            let i = rng.below(bytes.len());
            bytes[i] ^= 1 << rng.below(7);
        }
        2 => {
            bytes.extend_from_slice(rng.pick::<&[u8]>(&[b"{\"seq\":9", b"\x00\x00", b"garbage\n"]))
        }
        _ => {}
    }
    bytes
}

/// `merge` as it was: every source scanned into entries, then merged in
/// memory.
fn reference_merge(sources: &[Source<'_>]) -> Result<Vec<u8>, MergeError> {
    if sources.is_empty() {
        return Err(MergeError::NoSources);
    }
    // Per source: (time, line without its newline) in seq order.
    let mut queues: Vec<Vec<(chrono::DateTime<chrono::Utc>, &[u8])>> = Vec::new();
    let mut heads = Vec::new();
    let mut firsts: Vec<(String, String)> = Vec::new();
    for source in sources {
        let broken = |problem: String| MergeError::Broken {
            name: source.name.to_owned(),
            problem,
        };
        let scanned = reference_scan(source.bytes, 0, None, &mut HashMap::new());
        if let Some(p) = scanned.problems.first() {
            return Err(broken(format!(
                "seq {} at byte {}: {}",
                p.seq.map_or("?".to_owned(), |s| s.to_string()),
                p.offset,
                p.message
            )));
        }
        if let Some(t) = scanned.torn {
            return Err(broken(format!(
                "a torn tail of {} bytes at byte {}",
                t.len, t.offset
            )));
        }
        let (Some(first), Some(last)) = (scanned.entries.first(), scanned.entries.last()) else {
            return Err(broken("no entries: not a journal".to_owned()));
        };
        if let Some((other, _)) = firsts.iter().find(|(_, h)| *h == first.entry.hash) {
            return Err(MergeError::SameJournal {
                first: other.clone(),
                second: source.name.to_owned(),
            });
        }
        firsts.push((source.name.to_owned(), first.entry.hash.clone()));
        heads.push(SourceHead {
            file: source.name.to_owned(),
            entries: scanned.entries.len() as u64,
            head_seq: last.entry.seq,
            head_hash: last.entry.hash.clone(),
            witness: witness_code(last.entry.seq, &last.entry.hash),
            encrypted: first.entry.journal_key.is_some(),
        });
        let mut queue = Vec::with_capacity(scanned.entries.len());
        for s in &scanned.entries {
            // The scan accepted these times; a failure here cannot happen,
            // but would only misplace the line, never lose it.
            let at = chrono::DateTime::parse_from_rfc3339(&s.entry.at)
                .map(|t| t.with_timezone(&chrono::Utc))
                .unwrap_or_default();
            let start = s.offset as usize;
            let end = (s.offset + s.len) as usize - 1;
            queue.push((at, &source.bytes[start..end]));
        }
        queues.push(queue);
    }
    let header = Header {
        format: FORMAT.to_owned(),
        version: VERSION,
        sources: heads,
        prev: GENESIS.to_owned(),
        hash: String::new(),
    };
    let (mut out, mut prev) = hashed_line(serde_json::to_vec(&header)?);
    let mut n = 0u64;
    for (source, index) in interleave(&queues, |(at, _)| *at) {
        let line = queues[source][index].1;
        n += 1;
        let mut unhashed = format!("{{\"n\":{n},\"source\":{source},\"entry\":").into_bytes();
        unhashed.extend_from_slice(line);
        unhashed.extend_from_slice(format!(",\"prev\":\"{prev}\"}}").as_bytes());
        let (bytes, hash) = hashed_line(unhashed);
        out.extend_from_slice(&bytes);
        prev = hash;
    }
    Ok(out)
}

fn json(report: &VerifyReport) -> serde_json::Value {
    serde_json::to_value(report).unwrap()
}

fn scanned(entries: &[Scanned]) -> Vec<(u64, u64, u64, String)> {
    entries
        .iter()
        .map(|s| (s.entry.seq, s.offset, s.len, s.entry.hash.clone()))
        .collect()
}

fn same_scan(a: &Scan, b: &Scan, seed: u64) {
    assert_eq!(scanned(&a.entries), scanned(&b.entries), "seed {seed}");
    assert_eq!(a.problems, b.problems, "seed {seed}");
    assert_eq!(a.warnings, b.warnings, "seed {seed}");
    assert_eq!(a.torn, b.torn, "seed {seed}");
}

#[test]
fn reading_a_link_agrees_with_the_stored_form_on_every_line() {
    for seed in 0..3000u64 {
        let mut rng = Rng(seed);
        let bytes = random_journal(&mut rng);
        for line in bytes.split(|b| *b == b'\n') {
            let stored: Option<StoredEntry> = serde_json::from_slice(line).ok();
            let expected = stored.as_ref().map(Link::from);
            assert_eq!(
                Link::parse(line),
                expected,
                "seed {seed}: {}",
                String::from_utf8_lossy(line)
            );
        }
    }
}

#[test]
fn the_chain_checks_agree_with_the_reference_on_random_journals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let (mut good, mut torn, mut broken) = (0, 0, 0);
    for seed in 0..3000u64 {
        let mut rng = Rng(seed);
        let bytes = random_journal(&mut rng);
        let reference = reference_scan(&bytes, 0, None, &mut HashMap::new());
        same_scan(&scan(&bytes), &reference, seed);
        match (&reference.torn, reference.problems.is_empty()) {
            (Some(_), _) => torn += 1,
            (None, true) => good += 1,
            (None, false) => broken += 1,
        }
        // Continuing from a known entry, as a writer reads what others appended.
        if let Some(split) = reference
            .entries
            .get(rng.below(reference.entries.len() + 1))
        {
            let cut = (split.offset + split.len) as usize;
            let mut sessions = HashMap::new();
            let before = reference_scan(&bytes[..cut], 0, None, &mut sessions);
            let prior = &before.entries.last().unwrap().entry;
            let mut theirs = sessions.clone();
            let expected = reference_scan(&bytes[cut..], cut as u64, Some(prior), &mut theirs);
            let mut ours = sessions;
            let got = super::scan::scan_from(&bytes[cut..], cut as u64, Some(prior), &mut ours);
            same_scan(&got, &expected, seed);
            assert_eq!(ours, theirs, "seed {seed}");
        }
        let mut witnesses = Vec::new();
        for _ in 0..rng.below(3) {
            let seq = rng.below(14) as u64;
            let hash = reference
                .entries
                .get(rng.below(reference.entries.len() + 1))
                .map_or("0".repeat(64), |s| s.entry.hash.clone());
            let code = witness_code(seq, &hash);
            witnesses.push(super::entry::parse_witness(&code).unwrap());
        }
        let options = VerifyOptions {
            witnesses: witnesses.clone(),
            ..VerifyOptions::default()
        };
        let expected = json(&reference_check(&path, &bytes, &witnesses));
        let mut in_memory = verify_bytes(&path, &bytes, &options).unwrap();
        in_memory.ok = false;
        assert_eq!(json(&in_memory), expected, "seed {seed}");
        if !super::merge::is_merged(&bytes) {
            std::fs::write(&path, &bytes).unwrap();
            let mut streamed = verify(&path, &options).unwrap();
            streamed.ok = false;
            assert_eq!(json(&streamed), expected, "seed {seed}");
        }
    }
    // The generator must reach every outcome, or the test proves little.
    assert!(
        good > 100 && torn > 100 && broken > 100,
        "{good} {torn} {broken}"
    );
}

/// The same result from both: the merged bytes, or the same error.
fn same_merge(sources: &[Source<'_>], what: &str) {
    let ours = merge(sources).map_err(|e| e.to_string());
    let theirs = reference_merge(sources).map_err(|e| e.to_string());
    assert!(ours == theirs, "{what}: {ours:?} vs {theirs:?}");
}

#[test]
fn merging_gives_the_bytes_it_gave_before_on_random_journals() {
    let mut merged = 0;
    for seed in 0..1500u64 {
        let mut rng = Rng(seed);
        let journals: Vec<Vec<u8>> = (0..1 + rng.below(4))
            .map(|_| {
                let (wild, damage) = (rng.chance(10), rng.chance(10));
                journal_of(&mut rng, wild, damage)
            })
            .collect();
        let names = ["a.jsonl", "b.jsonl", "c.jsonl", "d.jsonl", "e.jsonl"];
        let mut sources: Vec<Source<'_>> = journals
            .iter()
            .zip(names)
            .map(|(bytes, name)| Source { name, bytes })
            .collect();
        if rng.chance(5) {
            // The same journal twice.
            sources.push(sources[0]);
        }
        same_merge(&sources, &format!("seed {seed}"));
        merged += usize::from(merge(&sources).is_ok());
    }
    assert!(merged > 500, "only {merged} merges succeeded");
}

#[test]
fn merging_real_journals_plain_and_encrypted_gives_the_bytes_it_gave_before() {
    use super::{Actor, Event, Journal, NewJournal};
    let dir = tempfile::tempdir().unwrap();
    let id = crate::crypto::Identity::generate();
    let recipients =
        crate::crypto::Recipients::parse(&id.public_key(), Path::new("recipients")).unwrap();
    let mut paths = Vec::new();
    for (i, encrypted) in [true, false, true].into_iter().enumerate() {
        let path = dir.path().join(format!("r{i}.jsonl"));
        let new = NewJournal {
            recipients: encrypted.then_some(&recipients),
            library: None,
            incident: Some("Merge".to_owned()),
            exercise: None,
        };
        let actor = Actor {
            name: format!("R{i}"),
            role: "Loggist".to_owned(),
        };
        let mut journal = Journal::create(&path, &new, &actor).unwrap();
        paths.push(path);
        for n in 0..40 {
            let note = Event::Note {
                text: format!("note {n} by {i}"),
                happened_at: None,
            };
            journal.append(&actor, note, None).unwrap();
        }
    }
    let bytes: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let sources: Vec<Source<'_>> = bytes
        .iter()
        .zip(["r0.jsonl", "r1.jsonl", "r2.jsonl"])
        .map(|(bytes, name)| Source { name, bytes })
        .collect();
    same_merge(&sources, "real journals");
    let merged = merge(&sources).unwrap();
    let lines = merged.iter().filter(|b| **b == b'\n').count();
    assert_eq!(lines, 1 + 3 * 41);
}
