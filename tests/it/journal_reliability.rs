//! Reliability of the journal under crashes and a full disk.
//!
//! Where a process must die, the real binary dies: `grabbag note` is killed
//! with SIGKILL at random moments, hundreds of rounds, each round's choices
//! drawn from a seeded PRNG so a failure can be replayed (the seed is printed;
//! set `GRABBAG_KILL_SEED` to rerun with it). The library-level tests build the
//! tails a crash or a power cut leaves (zero-filled blocks, a complete but
//! unreadable line, a journal cut short while being created), and `note` runs
//! under a file-size limit (`ulimit -f`, SIGXFSZ ignored) standing in for a
//! full disk.
//!
//! Every check is on bytes and on what was acknowledged: an entry whose
//! `seq N witness CODE` line was printed must be in the file with that hash and
//! text; nothing before it may change; a torn tail must be moved byte for byte
//! to `<journal>.torn` and reported at the offset where it began. No timing is
//! asserted: kill delays only decide which case a round exercises, and how many
//! rounds fell in each case is printed.
//!
//! Unix only: SIGKILL, exit signals and `ulimit` are what is being tested.
#![cfg(unix)]
#![forbid(unsafe_code)]

use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use grabbag::crypto::{Identities, Identity};
use grabbag::journal::{Actor, Entry, Event, Journal, JournalError, NewJournal, Quarantined, scan};

use crate::harness::{self, Run, grabbag};

/// xorshift64*: tiny, deterministic, good enough to choose kill delays.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform enough in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

/// The run's base seed: `GRABBAG_KILL_SEED` (decimal or 0x-hex) or a fixed one.
fn base_seed() -> u64 {
    std::env::var("GRABBAG_KILL_SEED")
        .ok()
        .and_then(|s| match s.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => s.parse().ok(),
        })
        .unwrap_or(0x6772_6162_6261_6721)
}

fn round_seed(base: u64, round: usize) -> u64 {
    base ^ (round as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

fn actor() -> Actor {
    Actor {
        name: "Priya Shah".to_owned(),
        role: "Loggist".to_owned(),
    }
}

fn note(text: &str) -> Event {
    Event::Note {
        text: text.to_owned(),
        happened_at: None,
    }
}

fn note_text(entry: &Entry) -> Option<&str> {
    match &entry.event {
        Some(Event::Note { text, .. }) => Some(text),
        _ => None,
    }
}

/// `seq N witness CODE`, as `grabbag note` prints once the entry is on disk.
fn parse_ack(stdout: &str) -> Option<(u64, String)> {
    let mut words = stdout.split_whitespace();
    match (words.next(), words.next(), words.next(), words.next()) {
        (Some("seq"), Some(seq), Some("witness"), Some(code)) => {
            Some((seq.parse().ok()?, code.to_owned()))
        }
        _ => None,
    }
}

fn torn_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".torn");
    PathBuf::from(name)
}

/// True when `bytes` is exactly one line: non-empty, one newline, at the end.
fn one_complete_line(bytes: &[u8]) -> bool {
    bytes.last() == Some(&b'\n') && bytes.iter().filter(|b| **b == b'\n').count() == 1
}

/// A journal on disk that the binary appends to, plaintext or encrypted.
struct Subject {
    dir: tempfile::TempDir,
    path: PathBuf,
    identity: Option<(PathBuf, Identities)>,
}

impl Subject {
    /// A journal holding only its session-start entry.
    fn new(encrypted: bool) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("incident.jsonl");
        let (recipients, identity) = if encrypted {
            let id = Identity::generate();
            let id_path = dir.path().join("identity.txt");
            id.write(&id_path, None).expect("identity written");
            let recipients = id.recipients();
            let ids = Identities::from_identity(id, &id_path);
            (Some(recipients), Some((id_path, ids)))
        } else {
            (None, None)
        };
        let new = NewJournal {
            recipients: recipients.as_ref(),
            library: None,
            incident: Some("Reliability rounds".to_owned()),
            exercise: None,
        };
        Journal::create(&path, &new, &actor()).expect("journal created");
        Self {
            dir,
            path,
            identity,
        }
    }

    fn kind(&self) -> &'static str {
        if self.identity.is_some() {
            "encrypted"
        } else {
            "plaintext"
        }
    }

    /// The real binary, isolated, with the identity when encrypted.
    fn grabbag(&self) -> Command {
        let mut cmd = grabbag(self.dir.path());
        if let Some((id_path, _)) = &self.identity {
            cmd.env("GRABBAG_IDENTITY", id_path);
        }
        cmd
    }

    /// `grabbag note JOURNAL TEXT`.
    fn note(&self, text: &str) -> Command {
        let mut cmd = self.grabbag();
        cmd.arg("note").arg(&self.path).arg(text).args([
            "--actor",
            "Priya Shah",
            "--role",
            "Loggist",
        ]);
        cmd
    }

    fn open(&self) -> Result<(Journal, Vec<Entry>, Option<Quarantined>), JournalError> {
        Journal::open(&self.path, self.identity.as_ref().map(|(_, ids)| ids))
    }

    fn read(&self) -> Vec<u8> {
        std::fs::read(&self.path).expect("journal readable")
    }
}

/// How the kill rounds fell.
#[derive(Debug, Default)]
struct Tally {
    /// Killed before its line reached the file.
    before_write: u32,
    /// Killed after its line reached the file, before the acknowledgement.
    written_unacknowledged: u32,
    /// Killed with a partial line in the file.
    torn_by_kill: u32,
    /// Killed after it printed its acknowledgement.
    acknowledged_then_killed: u32,
    /// Finished before the kill came.
    finished: u32,
    /// An unacknowledged line then cut short, as a power cut may leave it.
    power_cut_truncated: u32,
    /// An unacknowledged line then read back as zeros, as a power cut may leave it.
    power_cut_zeroed: u32,
}

/// `rounds` rounds of: spawn `grabbag note`, SIGKILL it after a random delay,
/// then check the journal on disk against everything acknowledged so far.
fn kill_rounds(encrypted: bool, rounds: usize) {
    let s = Subject::new(encrypted);
    let kind = s.kind();
    let base = base_seed();
    eprintln!(
        "kill -9 ({kind}): {rounds} rounds, base seed {base:#x} (GRABBAG_KILL_SEED={base:#x} reruns it)"
    );
    // Every note entry in the journal: (seq, text), and the acknowledged ones'
    // witness codes.
    let mut texts: Vec<(u64, String)> = Vec::new();
    let mut acked: Vec<(u64, String)> = Vec::new();

    // A few undisturbed runs tell how long one `note` takes here, now: kill
    // delays are drawn from that span. Nothing is asserted about the time.
    let mut runs = Vec::new();
    for i in 0..3 {
        let text = format!("calibration {i}");
        let started = Instant::now();
        let r = harness::run(&mut s.note(&text));
        runs.push(started.elapsed());
        assert_eq!(r.code, 0, "{}", r.stderr);
        let (seq, code) = parse_ack(&r.stdout).expect("acknowledged");
        acked.push((seq, code));
        texts.push((seq, text));
    }
    runs.sort();
    let typical_us = runs[1].as_micros() as u64;
    eprintln!("kill -9 ({kind}): one `note` takes about {typical_us} µs here");

    let torn_file = torn_path(&s.path);
    let mut torn_log: Vec<u8> = Vec::new();
    let mut tally = Tally::default();
    // The machine's load changes under a running suite: the delay span is
    // steered as rounds go, and if one case has still not come up the rounds
    // go on (up to twice as many).
    let mut span_us = typical_us;
    let mut round = 0;
    loop {
        let acknowledged = tally.acknowledged_then_killed + tally.finished;
        let unacknowledged = tally.before_write + tally.written_unacknowledged + tally.torn_by_kill;
        if round >= rounds && ((acknowledged > 0 && unacknowledged > 0) || round >= 2 * rounds) {
            break;
        }
        // Steer towards roughly a third acknowledged: enough of both, and of
        // kills landing around the write. Only the mix depends on timing.
        if round > 0 && round % 25 == 0 {
            if acknowledged * 5 < round as u32 {
                span_us = span_us * 5 / 4 + 1;
            } else if acknowledged * 2 > round as u32 {
                span_us = span_us * 4 / 5;
            }
        }
        let seed = round_seed(base, round);
        round += 1;
        let mut rng = Rng::new(seed);
        let ctx = format!("{kind} round {} (seed {seed:#x})", round - 1);
        let before = s.read();
        // Half the rounds anywhere in the run (most die before writing, some
        // after acknowledging), half in its second half, where the write and
        // the fdatasync happen.
        let delay_us = if rng.below(2) == 0 {
            rng.below(span_us * 5 / 4 + 1)
        } else {
            span_us / 2 + rng.below(span_us * 3 / 4 + 1)
        };
        let text = format!("round {} seed {seed:#x}", round - 1);
        let mut child = s
            .note(&text)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("grabbag starts");
        std::thread::sleep(Duration::from_micros(delay_us));
        if child.try_wait().expect("child state").is_none() {
            // SIGKILL on Unix. If the child exits in between, its status says so.
            child.kill().expect("kill");
        }
        let out = child.wait_with_output().expect("child reaped");
        let killed = out.status.signal() == Some(9);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let ack = parse_ack(&stdout);
        if !killed {
            assert!(
                out.status.success() && ack.is_some(),
                "{ctx}: `note` ended on its own without acknowledging: {:?}, stdout {stdout:?}, stderr {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }

        let after = s.read();
        assert!(
            after.starts_with(&before),
            "{ctx}: bytes before the append changed"
        );
        let tail = after[before.len()..].to_vec();
        let count_before = texts.last().map_or(1, |(seq, _)| *seq);
        let mut kept_line = false;
        if let Some((seq, code)) = &ack {
            assert!(
                one_complete_line(&tail),
                "{ctx}: acknowledged seq {seq} but the file's tail is {tail:?}"
            );
            assert_eq!(*seq, count_before + 1, "{ctx}");
            acked.push((*seq, code.clone()));
            texts.push((*seq, text.clone()));
            kept_line = true;
            if killed {
                tally.acknowledged_then_killed += 1;
            } else {
                tally.finished += 1;
            }
        } else if tail.is_empty() {
            tally.before_write += 1;
        } else if one_complete_line(&tail) {
            tally.written_unacknowledged += 1;
            // Not acknowledged, so not promised: a power cut could have
            // lost part of it. Every other such round simulates that.
            match rng.below(4) {
                0 => {
                    let keep = 1 + rng.below(tail.len() as u64 - 1) as usize;
                    let mut cut = before.clone();
                    cut.extend_from_slice(&tail[..keep]);
                    std::fs::write(&s.path, cut).expect("cut");
                    tally.power_cut_truncated += 1;
                }
                1 => {
                    let mut zeroed = before.clone();
                    zeroed.resize(after.len(), 0);
                    std::fs::write(&s.path, zeroed).expect("zeroed");
                    tally.power_cut_zeroed += 1;
                }
                _ => {
                    texts.push((count_before + 1, text.clone()));
                    kept_line = true;
                }
            }
        } else {
            tally.torn_by_kill += 1;
        }

        // What open must find: the old bytes, the new line if whole, and
        // otherwise a torn tail starting where the old bytes end.
        let now = s.read();
        let extra = now[before.len()..].to_vec();
        let expect_torn = (!kept_line && !extra.is_empty()).then_some(extra);
        let (journal, entries, quarantined) = s
            .open()
            .unwrap_or_else(|e| panic!("{ctx}: the journal does not open: {e}"));
        drop(journal);
        match (expect_torn, quarantined) {
            (None, None) => {}
            (Some(bytes), Some(q)) => {
                assert_eq!(q.torn.offset, before.len() as u64, "{ctx}: torn offset");
                assert_eq!(q.torn.len, bytes.len() as u64, "{ctx}: torn length");
                assert_eq!(q.moved_to, torn_file, "{ctx}");
                torn_log.extend_from_slice(&bytes);
                assert_eq!(
                    std::fs::read(&torn_file).expect(".torn readable"),
                    torn_log,
                    "{ctx}: the .torn file must hold every torn byte, in order"
                );
            }
            (expected, got) => {
                panic!("{ctx}: expected torn tail {expected:?}, open reported {got:?}")
            }
        }
        let repaired = s.read();
        let expected_len = if kept_line { after.len() } else { before.len() };
        assert_eq!(
            &repaired[..],
            &after[..expected_len],
            "{ctx}: after open the journal is its good entries, byte for byte"
        );
        let check = scan(&repaired);
        assert!(
            check.problems.is_empty() && check.torn.is_none(),
            "{ctx}: {:?} {:?}",
            check.problems,
            check.torn
        );
        assert_eq!(check.entries.len(), entries.len(), "{ctx}");
        let last_seq = texts.last().map_or(1, |(seq, _)| *seq);
        assert_eq!(entries.len() as u64, last_seq, "{ctx}: entry count");
        for (seq, code) in &acked {
            assert_eq!(
                &entries[*seq as usize - 1].witness(),
                code,
                "{ctx}: acknowledged seq {seq} is not the entry on disk"
            );
        }
        for (seq, text) in &texts {
            assert_eq!(
                note_text(&entries[*seq as usize - 1]),
                Some(text.as_str()),
                "{ctx}: seq {seq} reads back with the wrong text"
            );
        }
    }

    eprintln!("kill -9 ({kind}): {round} rounds: {tally:#?}");
    let acknowledged = tally.acknowledged_then_killed + tally.finished;
    let unacknowledged = tally.before_write + tally.written_unacknowledged + tally.torn_by_kill;
    eprintln!(
        "kill -9 ({kind}): {acknowledged} acknowledged, {unacknowledged} not ({} killed mid-write: line written, not yet acknowledged, or torn); {} entries acknowledged in all, every one on disk",
        tally.written_unacknowledged + tally.torn_by_kill,
        acked.len()
    );
    assert!(
        acknowledged > 0 && unacknowledged > 0,
        "{kind}: the rounds must exercise both acknowledged and unacknowledged appends: {tally:?}"
    );
}

#[test]
fn kill_9_during_appends_loses_nothing_acknowledged_plaintext() {
    kill_rounds(false, 200);
}

#[test]
fn kill_9_during_appends_loses_nothing_acknowledged_encrypted() {
    kill_rounds(true, 200);
}

#[test]
fn kill_9_while_creating_a_journal_leaves_it_absent_refused_or_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let new_note = |path: &Path, text: &str| {
        let mut cmd = grabbag(dir.path());
        cmd.arg("note")
            .arg(path)
            .arg(text)
            .args(["--plaintext", "--actor", "Priya Shah"]);
        cmd
    };
    let mut runs = Vec::new();
    for i in 0..3 {
        let started = Instant::now();
        let r = harness::run(&mut new_note(
            &dir.path().join(format!("cal{i}.jsonl")),
            "first",
        ));
        runs.push(started.elapsed());
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    runs.sort();
    let typical_us = runs[1].as_micros() as u64;
    let base = base_seed();
    eprintln!("kill -9 during create: base seed {base:#x}, one create takes about {typical_us} µs");
    let (mut absent, mut empty, mut first_entry_only, mut both) = (0, 0, 0, 0);
    let mut span_us = typical_us;
    let mut round = 0;
    loop {
        let unfinished = absent + empty + first_entry_only;
        if round >= 60 && ((unfinished > 0 && both > 0) || round >= 180) {
            break;
        }
        if round > 0 && round % 20 == 0 {
            if both == 0 {
                span_us *= 2;
            } else if unfinished == 0 {
                span_us /= 2;
            }
        }
        let seed = round_seed(base, round);
        let mut rng = Rng::new(seed);
        let ctx = format!("create round {round} (seed {seed:#x})");
        let path = dir.path().join(format!("new-{round}.jsonl"));
        round += 1;
        let mut child = new_note(&path, "first note")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("grabbag starts");
        std::thread::sleep(Duration::from_micros(rng.below(span_us * 5 / 4 + 1)));
        if child.try_wait().expect("child state").is_none() {
            child.kill().expect("kill");
        }
        let out = child.wait_with_output().expect("reaped");
        let ack = parse_ack(&String::from_utf8_lossy(&out.stdout));
        if out.status.signal() != Some(9) {
            assert!(out.status.success() && ack.is_some(), "{ctx}: {out:?}");
        }
        let Ok(bytes) = std::fs::read(&path) else {
            assert!(ack.is_none(), "{ctx}: acknowledged, but no file");
            absent += 1;
            continue;
        };
        let opened = Journal::open(&path, None);
        if !bytes.contains(&b'\n') {
            // No complete entry: not a journal. Refused, and left as it was.
            assert!(ack.is_none(), "{ctx}");
            assert!(
                opened.is_err(),
                "{ctx}: a file with no complete entry must be refused"
            );
            assert_eq!(std::fs::read(&path).expect("still there"), bytes, "{ctx}");
            assert!(!torn_path(&path).exists(), "{ctx}: nothing quarantined");
            empty += 1;
            continue;
        }
        let (_, entries, quarantined) =
            opened.unwrap_or_else(|e| panic!("{ctx}: a created journal must open: {e}"));
        assert!(quarantined.is_none(), "{ctx}: SIGKILL leaves whole lines");
        assert!(scan(&bytes).problems.is_empty(), "{ctx}");
        match (entries.len(), ack) {
            (1, None) => first_entry_only += 1,
            (2, ack) => {
                if let Some((seq, code)) = ack {
                    assert_eq!((seq, code), (2, entries[1].witness()), "{ctx}");
                }
                assert_eq!(note_text(&entries[1]), Some("first note"), "{ctx}");
                both += 1;
            }
            (n, ack) => panic!("{ctx}: {n} entries, acknowledgement {ack:?}"),
        }
    }
    eprintln!(
        "kill -9 during create: {round} rounds: {absent} no file yet, {empty} empty (refused), {first_entry_only} first entry only, {both} with the note"
    );
    assert!(
        absent + empty + first_entry_only > 0 && both > 0,
        "both cases exercised"
    );
}

/// A plaintext journal with a session start and `notes` notes, and its bytes.
fn small_journal(dir: &Path, notes: usize) -> (PathBuf, Vec<u8>) {
    let path = dir.join("j.jsonl");
    let new = NewJournal {
        recipients: None,
        library: None,
        incident: Some("Crash shapes".to_owned()),
        exercise: None,
    };
    let mut j = Journal::create(&path, &new, &actor()).expect("created");
    for i in 0..notes {
        j.append(&actor(), note(&format!("entry {i}")), None)
            .expect("appended");
    }
    drop(j);
    let bytes = std::fs::read(&path).expect("readable");
    (path, bytes)
}

/// Opens a journal whose good part is `good` (holding `entries` entries) and
/// whose tail is `torn`: the tail must be quarantined byte for byte at the
/// right offset, the journal cut back to `good`, and appends must continue.
fn assert_quarantined(path: &Path, good: &[u8], entries: usize, torn: &[u8], what: &str) {
    let (mut j, read, q) =
        Journal::open(path, None).unwrap_or_else(|e| panic!("{what}: must open: {e}"));
    let q = q.unwrap_or_else(|| panic!("{what}: the tail must be reported"));
    assert_eq!(q.torn.offset, good.len() as u64, "{what}: offset");
    assert_eq!(q.torn.len, torn.len() as u64, "{what}: length");
    assert_eq!(q.moved_to, torn_path(path), "{what}");
    assert_eq!(
        std::fs::read(&q.moved_to).expect(".torn"),
        torn,
        "{what}: .torn holds exactly the tail"
    );
    assert_eq!(read.len(), entries, "{what}");
    assert_eq!(std::fs::read(path).expect("journal"), good, "{what}");
    let e = j
        .append(&actor(), note("after recovery"), None)
        .expect("appends");
    assert_eq!(e.seq, entries as u64 + 1, "{what}");
    drop(j);
    let s = scan(&std::fs::read(path).expect("journal"));
    assert!(
        s.problems.is_empty() && s.torn.is_none(),
        "{what}: {:?}",
        s.problems
    );
    assert_eq!(s.entries.len(), entries + 1, "{what}");
}

#[test]
fn zero_filled_tail_is_quarantined_byte_for_byte() {
    // Some file systems, after a power cut, keep a file's new size but not the
    // data: the end reads back as zeros.
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, good) = small_journal(dir.path(), 2);
    let zeros = vec![0u8; 4096];
    let mut bytes = good.clone();
    bytes.extend_from_slice(&zeros);
    std::fs::write(&path, &bytes).expect("written");
    assert_quarantined(
        &path,
        &good,
        3,
        &zeros,
        "a zero-filled block after the last entry",
    );

    // The last entry's own bytes read back as zeros, newline included.
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, full) = small_journal(dir.path(), 2);
    let last_start = full[..full.len() - 1]
        .iter()
        .rposition(|b| *b == b'\n')
        .expect("several lines")
        + 1;
    let mut zeroed = full.clone();
    zeroed[last_start..].fill(0);
    std::fs::write(&path, &zeroed).expect("written");
    assert_quarantined(
        &path,
        &full[..last_start],
        2,
        &zeroed[last_start..],
        "the last entry zeroed in place",
    );

    // Zeros with a newline in them: complete lines, none of them an entry.
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, good) = small_journal(dir.path(), 1);
    let mut tail = vec![0u8; 300];
    tail.push(b'\n');
    tail.extend_from_slice(&[0u8; 100]);
    let mut bytes = good.clone();
    bytes.extend_from_slice(&tail);
    std::fs::write(&path, &bytes).expect("written");
    assert_quarantined(&path, &good, 2, &tail, "zeros around a newline");
}

#[test]
fn complete_but_unreadable_tail_lines_are_quarantined() {
    let cases: [(&str, &[u8]); 3] = [
        (
            "a line cut mid-entry, ended by a later newline",
            b"{\"seq\":4,\"session\":1,\"at\":\"2026-11-29T10:0\n",
        ),
        ("JSON that is not an entry", b"{\"seq\":4}\n"),
        (
            "two unreadable lines and a partial one",
            b"{\"seq\":4,\"sess\n\x00\x00garbage\n{\"seq\":",
        ),
    ];
    for (what, tail) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let (path, good) = small_journal(dir.path(), 2);
        let mut bytes = good.clone();
        bytes.extend_from_slice(tail);
        std::fs::write(&path, &bytes).expect("written");
        let s = scan(&bytes);
        assert!(
            s.problems.is_empty(),
            "{what}: a tail is not damage: {:?}",
            s.problems
        );
        assert_quarantined(&path, &good, 3, tail, what);
    }
}

#[test]
fn a_file_with_no_valid_entry_is_refused_untouched() {
    let cases: [(&str, &[u8]); 3] = [
        ("an empty file (killed between create and first write)", b""),
        (
            "a text file with complete lines",
            b"meeting notes\nsecond line\n",
        ),
        (
            "a first entry cut short, then a newline",
            b"{\"seq\":1,\"session\":1,\"at\":\"2026-11-29T10:0\n",
        ),
    ];
    for (what, bytes) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("j.jsonl");
        std::fs::write(&path, bytes).expect("written");
        let err = Journal::open(&path, None)
            .err()
            .unwrap_or_else(|| panic!("{what}: must be refused"));
        match (&err, bytes.is_empty()) {
            (JournalError::Empty(_), true) | (JournalError::Broken { .. }, false) => {}
            _ => panic!("{what}: refused for the wrong reason: {err}"),
        }
        assert_eq!(
            std::fs::read(&path).expect("kept"),
            bytes,
            "{what}: untouched"
        );
        assert!(!torn_path(&path).exists(), "{what}: nothing quarantined");
        // The binary refuses it too, and leaves it alone.
        let r = harness::run(grabbag(dir.path()).arg("note").arg(&path).arg("hello"));
        assert_eq!(r.code, 2, "{what}: {r:?}");
        assert!(
            r.stderr.contains(&path.display().to_string()),
            "{what}: {}",
            r.stderr
        );
        assert_eq!(
            std::fs::read(&path).expect("kept"),
            bytes,
            "{what}: untouched"
        );
        assert!(!torn_path(&path).exists(), "{what}: nothing quarantined");
    }
}

#[test]
fn a_file_with_no_complete_line_is_refused_untouched() {
    let cases: [(&str, &[u8]); 3] = [
        (
            "a first entry cut short (crash during create)",
            b"{\"seq\":1,\"session\":1,\"at\":\"2026-11-29T10:0",
        ),
        ("a new journal's block read back as zeros", &[0u8; 512]),
        (
            "someone's text file with no final newline",
            b"meeting notes",
        ),
    ];
    for (what, bytes) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("j.jsonl");
        std::fs::write(&path, bytes).expect("written");
        assert!(
            Journal::open(&path, None).is_err(),
            "{what}: must be refused"
        );
        assert_eq!(
            std::fs::read(&path).expect("kept"),
            bytes,
            "{what}: untouched"
        );
        assert!(!torn_path(&path).exists(), "{what}: nothing quarantined");
        let r = harness::run(grabbag(dir.path()).arg("note").arg(&path).arg("hello"));
        assert_eq!(r.code, 2, "{what}: {r:?}");
        assert_eq!(
            std::fs::read(&path).expect("kept"),
            bytes,
            "{what}: untouched"
        );
    }
}

#[test]
fn note_moves_a_torn_tail_aside_and_says_where() {
    let s = Subject::new(false);
    let r = harness::run(&mut s.note("before the crash"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let good = s.read();
    let torn = b"{\"seq\":3,\"session\":0,\"at\":\"2026-11-29T1";
    let mut bytes = good.clone();
    bytes.extend_from_slice(torn);
    std::fs::write(&s.path, &bytes).expect("written");
    let r = harness::run(&mut s.note("after the crash"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(parse_ack(&r.stdout).map(|a| a.0), Some(3));
    let expected = format!(
        "a torn tail of {} bytes at byte {} was moved to {}",
        torn.len(),
        good.len(),
        torn_path(&s.path).display()
    );
    assert!(r.stderr.contains(&expected), "{}", r.stderr);
    assert_eq!(std::fs::read(torn_path(&s.path)).expect(".torn"), torn);
    let now = s.read();
    assert!(now.starts_with(&good));
    let check = scan(&now);
    assert!(check.problems.is_empty() && check.torn.is_none());
    assert_eq!(check.entries.len(), 3);
}

/// The block size `ulimit -f` counts in for this `sh` (512 for dash, 1024
/// for bash), measured rather than assumed.
fn ulimit_block(dir: &Path) -> u64 {
    let probe = dir.join("ulimit-probe");
    let status = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 1; head -c 4096 /dev/zero > \"$0\"")
        .arg(&probe)
        .stderr(Stdio::null())
        .status()
        .expect("sh runs");
    assert!(!status.success(), "the probe must hit the limit");
    let block = std::fs::metadata(&probe).expect("probe written").len();
    assert!(block > 0 && block < 4096, "ulimit block {block}");
    block
}

/// `cmd` (the isolated binary) run by `sh` under `ulimit -f blocks`, with
/// SIGXFSZ ignored so a write past the limit fails with EFBIG instead of
/// killing the process: what a full disk looks like to the writer.
fn under_file_size_limit(cmd: &Command, blocks: u64) -> Run {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" \"$@\""
        ))
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => sh.env(key, value),
            None => sh.env_remove(key),
        };
    }
    harness::run(&mut sh)
}

#[test]
fn full_disk_refuses_the_entry_and_leaves_no_partial_line() {
    for encrypted in [false, true] {
        let s = Subject::new(encrypted);
        let kind = s.kind();
        for i in 0..3 {
            let r = harness::run(&mut s.note(&format!("written before the disk filled {i}")));
            assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        }
        let before = s.read();
        let block = ulimit_block(s.dir.path());
        // A limit a little above the journal's size, and a note longer than
        // the room left: the kernel writes part of the line, then refuses
        // (EFBIG), exactly the partial write the core must cut back.
        let blocks = before.len() as u64 / block + 1;
        let room = blocks * block - before.len() as u64;
        let text = "x".repeat(room as usize + 200);
        let r = under_file_size_limit(&s.note(&text), blocks);
        assert_eq!(r.code, 2, "{kind}: {r:?}");
        assert!(r.stdout.is_empty(), "{kind}: nothing acknowledged: {r:?}");
        assert!(
            r.stderr.contains(&s.path.display().to_string()) && r.stderr.contains("File too large"),
            "{kind}: the error names the file and the cause: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{kind}: {}", r.stderr);
        assert_eq!(s.read(), before, "{kind}: no partial line is left behind");
        let check = scan(&before);
        assert!(check.problems.is_empty() && check.torn.is_none(), "{kind}");
        let (_, entries, q) = s.open().expect("opens");
        assert!(q.is_none(), "{kind}: nothing torn");
        assert_eq!(entries.len(), 4, "{kind}");
        assert_eq!(
            note_text(&entries[3]),
            Some("written before the disk filled 2"),
            "{kind}"
        );
        // Room again: the journal simply continues.
        let r = harness::run(&mut s.note("the disk has room again"));
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        assert_eq!(parse_ack(&r.stdout).map(|a| a.0), Some(5), "{kind}");
        let check = scan(&s.read());
        assert!(check.problems.is_empty() && check.torn.is_none(), "{kind}");
        assert_eq!(check.entries.len(), 5, "{kind}");
    }
}

#[test]
fn full_disk_while_creating_a_journal_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("new.jsonl");
    let mut cmd = grabbag(dir.path());
    cmd.arg("note").arg(&path).arg("first").arg("--plaintext");
    let r = under_file_size_limit(&cmd, 0);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
    assert!(
        r.stderr.contains(&path.display().to_string()) && r.stderr.contains("File too large"),
        "{}",
        r.stderr
    );
    // Whatever is left holds no partial line.
    let left = std::fs::read(&path).map(|b| b.len()).unwrap_or(0);
    assert_eq!(left, 0, "no partial first line");
}

#[test]
fn a_journal_whose_creation_failed_can_be_started_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("new.jsonl");
    let mut cmd = grabbag(dir.path());
    cmd.arg("note").arg(&path).arg("first").arg("--plaintext");
    let r = under_file_size_limit(&cmd, 0);
    assert_eq!(r.code, 2, "{r:?}");
    let r = harness::run(&mut cmd);
    assert_eq!(r.code, 0, "the retry starts the journal: {}", r.stderr);
    assert_eq!(parse_ack(&r.stdout).map(|a| a.0), Some(2));
}
