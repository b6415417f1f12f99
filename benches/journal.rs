//! Journal benchmarks for issue 3's performance goals, printed beside their
//! baselines measured in the same run on the same file system:
//!
//! - append latency p50/p99 (plaintext and encrypted journals) beside a raw
//!   `write_all` + `sync_data` of the same bytes: goal ratio ≤ 1.3;
//! - verify a 100,000-entry journal beside `sha256sum` of the same file:
//!   goal ≥ half its throughput, memory not growing with the file (issue 24);
//! - `journal merge` of 10 journals of 100,000 entries: goal under 3 s and
//!   under twice the inputs' size in memory (issue 24);
//! - a note (what `grabbag note` does in process: open for notes, judge,
//!   append, sync) on a 100,000-entry journal beside the same on a
//!   1,000-entry one (issue 24): goal ratio ≤ 2, with the full open and fold
//!   it replaced measured beside it;
//! - resuming a 100,000-entry journal in the interface (issue 24): the time
//!   to its first frame (goal under 300 ms) and until all of it is in, beside
//!   the whole open and fold the resume did before;
//!
//! Folding 100,000 entries into response state has its own bench,
//! `cargo bench --bench response_fold`.
//!
//! Run with `cargo bench --bench journal` (release profile). Plain `fn main`,
//! no harness and no assertions: it prints figures, the machine and its load
//! (on a shared VM other builds run at the same time), and a breakdown of where
//! the time goes for each measurement so a missed goal points at its cause.
//!
//! Environment: `GRABBAG_BENCH_DIR` (where the files go: the file system under
//! test; default the system temp dir), `GRABBAG_BENCH_APPENDS` (default 2000),
//! `GRABBAG_BENCH_ENTRIES` (default 100000), `GRABBAG_BENCH_NOTES` (notes timed
//! per journal, default 30), `GRABBAG_BENCH_ONLY=note|append|verify|merge|resume` (only that
//! part), `GRABBAG_BENCH_SOURCES` (journals merged, default 10), `GRABBAG_BENCH_KEEP=DIR` (the
//! resume part keeps its plaintext journal there).
#![forbid(unsafe_code)]

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use grabbag::crypto::{self, Identities, Identity, Recipients};
use grabbag::journal::entry::{GENESIS, JournalKey, StoredEntry, line_hash};
use grabbag::journal::{Actor, Event, Journal, NewJournal, VerifyOptions, scan, verify};
use grabbag::response::Command as Action;
use grabbag::session::Session;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// xorshift64*: deterministic content for generated journals.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn main() {
    let base = std::env::var_os("GRABBAG_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(&base).expect("bench dir");
    machine(dir.path());
    let only = std::env::var("GRABBAG_BENCH_ONLY").unwrap_or_default();
    let runs = |part: &str| only.is_empty() || only == part;
    if runs("note") {
        let notes = env_usize("GRABBAG_BENCH_NOTES", 30);
        note_cost(dir.path(), false, notes);
        note_cost(dir.path(), true, notes);
    }
    if runs("resume") {
        let entries = env_usize("GRABBAG_BENCH_ENTRIES", 100_000);
        resume_first_frame(dir.path(), false, entries);
        resume_first_frame(dir.path(), true, entries);
    }
    if runs("append") {
        let appends = env_usize("GRABBAG_BENCH_APPENDS", 2000);
        append_latency(dir.path(), false, appends);
        append_latency(dir.path(), true, appends);
    }
    if !runs("verify") && !runs("merge") {
        return;
    }
    let entries = env_usize("GRABBAG_BENCH_ENTRIES", 100_000);
    if runs("verify") {
        verify_throughput(dir.path(), false, entries);
        verify_throughput(dir.path(), true, entries);
    }
    if runs("merge") {
        merge_cost(dir.path(), env_usize("GRABBAG_BENCH_SOURCES", 10), entries);
    }
    println!("\nload at the end: {}", load());
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().take(3).collect();
            format!("load average {}", f.join(" "))
        })
        .unwrap_or_else(|_| "load average unknown".to_owned())
}

fn shell(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Machine facts: the figures mean nothing without them.
fn machine(dir: &Path) {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let sha_ni = std::fs::read_to_string("/proc/cpuinfo")
        .map(|c| c.split_whitespace().any(|w| w == "sha_ni"))
        .unwrap_or(false);
    // findmnt names ext4 as such (stat -f says ext2/ext3) and shows the mount
    // options, which matter to fsync (e.g. `discard`).
    let fs = shell(
        "findmnt",
        &[
            "-n",
            "-o",
            "FSTYPE,OPTIONS",
            "-T",
            &dir.display().to_string(),
        ],
    )
    .or_else(|| shell("stat", &["-f", "-c", "%T", &dir.display().to_string()]))
    .unwrap_or_else(|| "unknown".to_owned());
    let sha256sum = shell("sha256sum", &["--version"])
        .and_then(|v| v.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "not installed".to_owned());
    let kernel = shell("uname", &["-r"]).unwrap_or_else(|| "unknown".to_owned());
    println!("# grabbag journal benchmarks");
    println!(
        "machine: {cpus} CPUs ({model}{}), kernel {kernel}",
        if sha_ni { ", SHA-NI" } else { "" }
    );
    println!("files in {} (file system: {fs})", dir.display());
    println!("baseline tool: {sha256sum}");
    println!("{} at the start", load());
}

fn actor() -> Actor {
    Actor {
        name: "Sam Patel".to_owned(),
        role: "Incident Lead (Silver)".to_owned(),
    }
}

/// A note of the length responders type: 40 to 200 characters.
fn note_text(rng: &mut Rng, i: usize) -> String {
    const WORDS: &[&str] = &[
        "called",
        "ICT",
        "on-call",
        "engineer",
        "revenues",
        "server",
        "isolated",
        "ransom",
        "note",
        "photographed",
        "DPO",
        "informed",
        "Gold",
        "command",
        "agreed",
        "backups",
        "offline",
        "switch",
        "unplugged",
        "payments",
        "manual",
        "process",
        "started",
    ];
    let target = 40 + rng.below(160) as usize;
    let mut text = format!("{i}:");
    while text.len() < target {
        text.push(' ');
        text.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    text
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The bytes from `offset` to the end of `file`.
fn tail_of(path: &Path, offset: u64) -> Vec<u8> {
    let mut f = File::open(path).expect("journal");
    f.seek(SeekFrom::Start(offset)).expect("seek");
    let mut out = Vec::new();
    f.read_to_end(&mut out).expect("read");
    out
}

struct Keys {
    recipients: Recipients,
    identities: Identities,
}

fn keys(dir: &Path) -> Keys {
    let id = Identity::generate();
    let recipients = id.recipients();
    let identities = Identities::from_identity(id, &dir.join("identity.txt"));
    Keys {
        recipients,
        identities,
    }
}

/// (a) Append latency: `Journal::append` beside a raw `write_all` +
/// `sync_data` of the same line to a sibling file. Three more raw variants
/// attribute the difference: the raw write under the flock the core takes;
/// under the flock plus the `<journal>.lock` holder-info rewrite the core does
/// on every append (open with O_TRUNC, write, close); and under the flock plus
/// the same info overwritten in place in a `.lock` file kept open (the change
/// proposed for the core). The five rotate their order each iteration so none
/// always follows another's fsync; a raw variant that runs before the journal
/// in an iteration writes the previous line (same shape, a few bytes apart).
fn append_latency(dir: &Path, encrypted: bool, n: usize) {
    let kind = if encrypted { "encrypted" } else { "plaintext" };
    let path = dir.join(format!("append-{kind}.jsonl"));
    let k = keys(dir);
    let new = NewJournal {
        recipients: encrypted.then_some(&k.recipients),
        library: None,
        incident: Some("Benchmark".to_owned()),
        exercise: None,
    };
    let mut journal = Journal::create(&path, &new, &actor()).expect("journal");
    let raw_file = |suffix: &str| {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("append-{kind}.{suffix}")))
            .expect("raw file")
    };
    let mut raw = raw_file("raw");
    let mut raw_flock = raw_file("raw-flock");
    let mut raw_info = raw_file("raw-info");
    let mut raw_inplace = raw_file("raw-inplace");
    let info_path = dir.join(format!("append-{kind}.raw-info.lock"));
    let mut inplace_info = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!("append-{kind}.raw-inplace.lock")))
        .expect("in-place lock info");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut line = Vec::new();
    let mut us: [Vec<f64>; 5] = std::array::from_fn(|_| Vec::with_capacity(n));
    let warm_up = 50;
    for i in 0..n + warm_up {
        let mut event = Some(Event::Note {
            text: note_text(&mut rng, i),
            happened_at: None,
        });
        let mut took = [Duration::ZERO; 5];
        for step in 0..5 {
            let variant = (i + step) % 5;
            let t = Instant::now();
            match variant {
                0 => {
                    let event = event.take().expect("one append per iteration");
                    let entry = journal.append(&actor(), event, None).expect("append");
                    took[0] = t.elapsed();
                    line = tail_of(&path, entry.byte_offset);
                    continue;
                }
                1 => {
                    raw.write_all(&line).expect("write");
                    raw.sync_data().expect("fdatasync");
                }
                2 => {
                    let dup = raw_flock.try_clone().expect("dup");
                    dup.try_lock().expect("flock");
                    raw_flock.write_all(&line).expect("write");
                    raw_flock.sync_data().expect("fdatasync");
                    dup.unlock().expect("unlock");
                }
                3 => {
                    let dup = raw_info.try_clone().expect("dup");
                    dup.try_lock().expect("flock");
                    // As the core does: rewrite the holder info (open with
                    // O_TRUNC, write, close) on every append.
                    std::fs::write(
                        &info_path,
                        format!(
                            "process {} (grabbag run) on ict-laptop-07 since {}",
                            std::process::id(),
                            chrono::Local::now().format("%Y-%m-%d %H:%M:%S %:z")
                        ),
                    )
                    .expect("lock info");
                    raw_info.write_all(&line).expect("write");
                    raw_info.sync_data().expect("fdatasync");
                    dup.unlock().expect("unlock");
                }
                _ => {
                    let dup = raw_inplace.try_clone().expect("dup");
                    dup.try_lock().expect("flock");
                    // The proposal: the same info, padded to a fixed width,
                    // overwritten at offset 0 of a file opened once.
                    let info = format!(
                        "process {} (grabbag run) on ict-laptop-07 since {}",
                        std::process::id(),
                        chrono::Local::now().format("%Y-%m-%d %H:%M:%S %:z")
                    );
                    inplace_info.seek(SeekFrom::Start(0)).expect("seek");
                    inplace_info
                        .write_all(format!("{info:<255}\n").as_bytes())
                        .expect("lock info");
                    raw_inplace.write_all(&line).expect("write");
                    raw_inplace.sync_data().expect("fdatasync");
                    dup.unlock().expect("unlock");
                }
            }
            took[variant] = t.elapsed();
        }
        if i >= warm_up {
            for (v, d) in us.iter_mut().zip(took) {
                v.push(micros(d));
            }
        }
    }
    drop(journal);
    let line_len = std::fs::metadata(&path).map_or(0, |m| m.len()) / (n + warm_up + 1) as u64;
    for v in &mut us {
        v.sort_by(f64::total_cmp);
    }
    let p = |v: &[f64]| (percentile(v, 0.5), percentile(v, 0.99));
    let (r50, r99) = p(&us[1]);
    println!("\n## append latency, {kind} journal ({n} appends, ~{line_len} bytes a line)");
    println!("                                        p50 µs    p99 µs   p50/raw   p99/raw");
    let names = [
        "Journal::append",
        "raw write + fdatasync",
        "raw, under flock",
        "raw, under flock + .lock info rewrite",
        "raw, under flock + info in place",
    ];
    for (name, v) in names.iter().zip(&us) {
        let (a, b) = p(v);
        println!(
            "{name:<38} {a:>9.0} {b:>9.0} {:>9.2} {:>9.2}",
            a / r50,
            b / r99
        );
    }
    let (j50, j99) = p(&us[0]);
    println!(
        "goal: Journal::append ≤ 1.3 × raw at p50 and p99: {}",
        if j50 / r50 <= 1.3 && j99 / r99 <= 1.3 {
            "met"
        } else {
            "MISSED"
        }
    );
    encode_cost(encrypted);
}

/// The CPU part of an append, in memory: build the stored entry, seal the
/// body when encrypted, serialise and hash it, as the core does.
fn encode_cost(encrypted: bool) {
    let reps = 2000;
    let key = JournalKey::generate().expect("key");
    let mut rng = Rng(7);
    let t = Instant::now();
    let mut prev = GENESIS.to_owned();
    for i in 0..reps {
        let event = Event::Note {
            text: note_text(&mut rng, i),
            happened_at: None,
        };
        let (actor_field, event_field, sealed) = if encrypted {
            let body = serde_json::to_vec(&serde_json::json!({ "actor": actor(), "event": event }))
                .expect("body");
            (
                None,
                None,
                Some(key.seal(i as u64 + 2, &body).expect("seal")),
            )
        } else {
            (Some(actor()), Some(event), None)
        };
        let now = chrono::Local::now();
        let stored = StoredEntry {
            seq: i as u64 + 2,
            session: 1,
            at: now
                .with_timezone(&Utc)
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            offset: now.offset().to_string(),
            mono_ms: i as u64,
            ex_t: None,
            encrypted_to: None,
            journal_key: None,
            actor: actor_field,
            event: event_field,
            sealed,
            prev,
            hash: String::new(),
        };
        prev = stored.to_line().expect("line").1;
    }
    println!(
        "CPU part of an append (build, serialise{}, hash), in memory: {:.1} µs",
        if encrypted { ", seal" } else { "" },
        micros(t.elapsed()) / reps as f64
    );
}

/// Writes a valid `n`-entry journal with the core's own `to_line` (one write,
/// one fsync, not `n`): a mix of notes, steps, checks and decisions, one
/// entry per 1.5 s. Returns the path and, for an encrypted one, its keys.
fn generate(dir: &Path, encrypted: bool, n: usize) -> (PathBuf, Option<Keys>) {
    generate_for(dir, encrypted, n, 0)
}

/// [`generate`] as responder number `responder` writes it: its own file,
/// laptop and content, its entries starting `responder` × 0.7 s later (so
/// several responders' journals interleave when merged).
fn generate_for(dir: &Path, encrypted: bool, n: usize, responder: u64) -> (PathBuf, Option<Keys>) {
    let kind = if encrypted { "encrypted" } else { "plaintext" };
    let path = dir.join(format!("big-{kind}-{n}-r{responder}.jsonl"));
    let k = encrypted.then(|| keys(dir));
    let key = JournalKey::generate().expect("key");
    let (encrypted_to, journal_key) = match &k {
        Some(k) => {
            let wrapped = crypto::encrypt(key.bytes(), &k.recipients, false).expect("wrap");
            (
                Some(k.recipients.keys()),
                Some(base64::engine::general_purpose::STANDARD.encode(wrapped)),
            )
        }
        None => (None, None),
    };
    let start: DateTime<Utc> = "2026-11-29T08:00:00Z".parse().expect("time");
    let start = start + chrono::Duration::milliseconds(responder as i64 * 700);
    let mut rng = Rng(0x0123_4567_89AB_CDEF ^ responder);
    let mut out = Vec::with_capacity(n * 450);
    let mut prev = GENESIS.to_owned();
    for i in 0..n {
        let seq = i as u64 + 1;
        let event = if i == 0 {
            Event::SessionStarted {
                library: Some("/media/grabbag/library".to_owned()),
                grabbag: "0.1.0".to_owned(),
                host: format!("ict-laptop-{responder:02}"),
                incident: Some("Ransomware in revenues".to_owned()),
                exercise: None,
                plaintext: !encrypted,
                resumed: false,
            }
        } else {
            match rng.below(10) {
                0 | 1 => Event::StepDone {
                    runbook: "cyber/ransomware".to_owned(),
                    step: format!("step-{}", rng.below(30)),
                },
                2 => Event::CheckTicked {
                    runbook: "cyber/ransomware".to_owned(),
                    step: format!("step-{}", rng.below(30)),
                    check: rng.below(4) as usize,
                    text: "Cable unplugged".to_owned(),
                },
                3 => Event::Decision {
                    runbook: "cyber/ransomware".to_owned(),
                    step: "personal-data".to_owned(),
                    option: "Yes or unsure".to_owned(),
                    goto: "notify-dpo".to_owned(),
                    rationale: note_text(&mut rng, i),
                },
                _ => Event::Note {
                    text: note_text(&mut rng, i),
                    happened_at: None,
                },
            }
        };
        let (actor_field, event_field, sealed) = if encrypted {
            let body = serde_json::to_vec(&serde_json::json!({ "actor": actor(), "event": event }))
                .expect("body");
            (None, None, Some(key.seal(seq, &body).expect("seal")))
        } else {
            (Some(actor()), Some(event), None)
        };
        let stored = StoredEntry {
            seq,
            session: 1,
            at: (start + chrono::Duration::milliseconds(i as i64 * 1500))
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            offset: "+00:00".to_owned(),
            mono_ms: i as u64 * 1500,
            ex_t: None,
            encrypted_to: if i == 0 { encrypted_to.clone() } else { None },
            journal_key: if i == 0 { journal_key.clone() } else { None },
            actor: actor_field,
            event: event_field,
            sealed,
            prev,
            hash: String::new(),
        };
        let (line, hash) = stored.to_line().expect("line");
        out.extend_from_slice(&line);
        prev = hash;
    }
    let mut f = File::create(&path).expect("big journal");
    f.write_all(&out).expect("write");
    f.sync_all().expect("sync");
    (path, k)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// (b) Verify throughput: `journal::verify` (streamed, the fields the chain
/// needs) beside `sha256sum` of the same file (warm page cache for both),
/// median of 5 runs each; the writer's full read (`read + scan`, which
/// builds every entry) beside it; then the peak memory of the release
/// binary's `journal verify` at this size and at 3x, from `/usr/bin/time -v`.
fn verify_throughput(dir: &Path, encrypted: bool, n: usize) {
    let kind = if encrypted { "encrypted" } else { "plaintext" };
    let t = Instant::now();
    let (path, k) = generate(dir, encrypted, n);
    let generated = t.elapsed();
    let bytes = std::fs::read(&path).expect("big journal");
    let mb = bytes.len() as f64 / 1e6;
    let check = scan(&bytes);
    assert!(
        check.problems.is_empty() && check.torn.is_none() && check.entries.len() == n,
        "the generated journal must be a valid chain: {:?}",
        check.problems.first()
    );
    drop(check);
    println!(
        "\n## verify, {kind} journal: {n} entries, {mb:.1} MB (generated and checked in {:.1} s)",
        generated.as_secs_f64()
    );
    let runs = 5;
    let timed = |f: &dyn Fn()| {
        median(
            (0..runs)
                .map(|_| {
                    let t = Instant::now();
                    f();
                    t.elapsed().as_secs_f64()
                })
                .collect(),
        )
    };
    let verify_t = timed(&|| {
        let report = verify(&path, &VerifyOptions::default()).expect("verifies");
        assert!(
            report.ok && report.entries == n as u64,
            "{:?}",
            report.problems
        );
    });
    let scan_t = timed(&|| {
        let bytes = std::fs::read(&path).expect("read");
        assert_eq!(scan(&bytes).entries.len(), n);
    });
    let sha = (0..=runs)
        .filter_map(|_| {
            let t = Instant::now();
            let out = Command::new("sha256sum").arg(&path).output().ok()?;
            out.status.success().then(|| t.elapsed().as_secs_f64())
        })
        .skip(1)
        .collect::<Vec<_>>();
    println!("                      time ms      MB/s");
    println!(
        "journal::verify     {:>9.1} {:>9.0}",
        verify_t * 1e3,
        mb / verify_t
    );
    println!(
        "read + scan         {:>9.1} {:>9.0}   (the writer's full read: every entry built)",
        scan_t * 1e3,
        mb / scan_t
    );
    if sha.is_empty() {
        println!("sha256sum: not installed, no baseline");
    } else {
        let sha_t = median(sha);
        println!(
            "sha256sum           {:>9.1} {:>9.0}",
            sha_t * 1e3,
            mb / sha_t
        );
        let ratio = sha_t / verify_t;
        println!(
            "throughput ratio    {ratio:>9.2}             (verify / sha256sum, goal ≥ 0.5: {})",
            if ratio >= 0.5 { "met" } else { "MISSED" }
        );
    }
    let inproc = timed(&|| {
        use sha2::Digest as _;
        let bytes = std::fs::read(&path).expect("read");
        let _ = sha2::Sha256::digest(&bytes);
    });
    println!(
        "read + SHA-256 in-process (sha2 crate, the hash verify uses) {:.1} ms, {:.0} MB/s: verify reaches {:.2} of it",
        inproc * 1e3,
        mb / inproc,
        inproc / verify_t
    );
    scan_phases(&bytes);
    drop(bytes);
    if let Some(k) = &k {
        let t = Instant::now();
        let (_, entries, _) = Journal::open(&path, Some(&k.identities)).expect("opens");
        let e = t.elapsed();
        assert_eq!(entries.len(), n);
        assert!(entries.iter().all(|e| e.event.is_some()), "all decrypted");
        println!(
            "Journal::open with the key (scan + decrypt + decode every entry): {:.0} ms",
            e.as_secs_f64() * 1e3
        );
    } else {
        let t = Instant::now();
        let (_, entries, _) = Journal::open(&path, None).expect("opens");
        let e = t.elapsed();
        assert_eq!(entries.len(), n);
        println!(
            "Journal::open (scan + decode every entry): {:.0} ms",
            e.as_secs_f64() * 1e3
        );
    }
    let _ = std::fs::remove_file(&path);
    verify_memory(dir, encrypted, &[n, 3 * n]);
}

/// Peak memory of `grabbag journal verify FILE` (the release binary) on
/// journals of `sizes` entries, beside each file's size.
fn verify_memory(dir: &Path, encrypted: bool, sizes: &[usize]) {
    let bin = env!("CARGO_BIN_EXE_grabbag");
    if !Path::new("/usr/bin/time").exists() {
        println!("/usr/bin/time: not installed, no memory figures");
        return;
    }
    println!("entries     file MB   `grabbag journal verify` peak RSS MB   time s");
    for &n in sizes {
        let (path, _) = generate(dir, encrypted, n);
        let mb = std::fs::metadata(&path).map_or(0.0, |m| m.len() as f64 / 1e6);
        let (rss, secs) = peak_rss(&[bin, "journal", "verify"], &path);
        println!("{n:>7} {mb:>11.1} {rss:>38.1} {secs:>8.2}");
        let _ = std::fs::remove_file(&path);
    }
}

/// Runs `argv` with `file` appended under `/usr/bin/time -v`: its peak
/// resident memory in MB and its wall time in seconds.
fn peak_rss(argv: &[&str], file: &Path) -> (f64, f64) {
    let (rss, secs, _) = time_v(argv, file);
    (rss, secs)
}

/// [`peak_rss`], with the CPU seconds (user + system) it used.
fn time_v(argv: &[&str], file: &Path) -> (f64, f64, f64) {
    let t = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .args(argv)
        .arg(file)
        .output()
        .expect("runs /usr/bin/time");
    let secs = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8_lossy(&out.stderr);
    let field = |name: &str| -> f64 {
        report
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .expect("time -v reports it")
    };
    let rss_kb = field("Maximum resident set size (kbytes): ");
    let cpu = field("User time (seconds): ") + field("System time (seconds): ");
    (rss_kb / 1e3, secs, cpu)
}

/// (d) `grabbag journal merge` (the release binary) of `sources` journals of
/// `n` entries each, half of them encrypted: its time and peak memory beside
/// the inputs' size (goal: under 3 s and under 2x the inputs at 10 x 100k).
fn merge_cost(dir: &Path, sources: usize, n: usize) {
    println!("\n## merge: {sources} journals x {n} entries");
    let t = Instant::now();
    let paths: Vec<PathBuf> = (0..sources)
        .map(|r| generate_for(dir, r % 2 == 1, n, r as u64).0)
        .collect();
    let generated = t.elapsed();
    let inputs: u64 = paths
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();
    let out = dir.join("merged.jsonl");
    let bin = env!("CARGO_BIN_EXE_grabbag");
    let mut argv = vec![bin, "journal", "merge", "--force"];
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    argv.extend(names.iter().map(String::as_str));
    argv.push("--output");
    let runs = 3;
    let mut took = Vec::new();
    let mut peak = Vec::new();
    let mut cpu = Vec::new();
    for _ in 0..runs {
        let (rss, secs, used) = time_v(&argv, &out);
        took.push(secs);
        peak.push(rss);
        cpu.push(used);
    }
    // Where the time goes: verifying the sources (in process, one after the
    // other), and hashing the merged file's bytes once.
    let t = Instant::now();
    for p in &paths {
        let report = verify(p, &VerifyOptions::default()).expect("verifies");
        assert!(report.ok);
    }
    let verify_all = t.elapsed().as_secs_f64();
    let t = Instant::now();
    {
        use sha2::Digest as _;
        let bytes = std::fs::read(&out).expect("merged");
        let _ = sha2::Sha256::digest(&bytes);
    }
    let hash_out = t.elapsed().as_secs_f64();
    let merged = std::fs::metadata(&out).map_or(0, |m| m.len());
    let report = verify(&out, &VerifyOptions::default()).expect("verifies");
    assert!(
        report.ok && report.entries == (sources * n) as u64,
        "the merged file must verify: {:?}",
        report.problems.first()
    );
    let (secs, rss) = (median(took), median(peak));
    let inputs_mb = inputs as f64 / 1e6;
    println!(
        "inputs {inputs_mb:.1} MB (generated in {:.1} s), merged file {:.1} MB",
        generated.as_secs_f64(),
        merged as f64 / 1e6
    );
    println!(
        "`grabbag journal merge` median of {runs}: {secs:.2} s (goal < 3: {}; CPU user + sys {:.2} s), peak RSS {rss:.1} MB = {:.2}x the inputs (goal < 2: {})",
        if secs < 3.0 { "met" } else { "MISSED" },
        median(cpu),
        rss / inputs_mb,
        if rss / inputs_mb < 2.0 {
            "met"
        } else {
            "MISSED"
        }
    );
    println!(
        "phases: verify every source in process {verify_all:.2} s; read + SHA-256 of the merged file {hash_out:.2} s"
    );
    for p in paths.iter().chain([&out]) {
        let _ = std::fs::remove_file(p);
    }
}

/// (c) One note, as `grabbag note` does it in process
/// (`Session::open_for_notes`, judge, append with fdatasync, close), on a
/// 1,000- and a 100,000-entry journal, median of `runs` each after one
/// untimed note (which writes the `.tail` record a first note after an
/// upgrade has to build); beside it the full open and fold that `note` did
/// before (`Session::open`), median of 3.
fn note_cost(dir: &Path, encrypted: bool, runs: usize) {
    let kind = if encrypted { "encrypted" } else { "plaintext" };
    println!("\n## note, {kind} journal ({runs} notes each)");
    println!("entries     note p50 ms   note max ms   full open + fold p50 ms   file MB");
    let mut p50 = Vec::new();
    for n in [1_000, 100_000] {
        let (path, k) = generate(dir, encrypted, n);
        let ids = k.as_ref().map(|k| &k.identities);
        let note = |i: usize| {
            let t = Instant::now();
            let (mut session, _) = Session::open_for_notes(&path, ids).expect("opens");
            let command = Action::Note {
                text: format!("bench note {i}"),
                happened_at: None,
            };
            session
                .execute(&actor(), &command, Utc::now())
                .expect("note recorded");
            drop(session);
            t.elapsed().as_secs_f64() * 1e3
        };
        note(0);
        let mut took: Vec<f64> = (1..=runs).map(note).collect();
        took.sort_by(f64::total_cmp);
        let full = median(
            (0..3)
                .map(|_| {
                    let t = Instant::now();
                    let (session, _) = Session::open(&path, ids, Vec::new()).expect("opens");
                    assert!(session.state().entries >= n as u64);
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect(),
        );
        let mb = std::fs::metadata(&path).map_or(0.0, |m| m.len() as f64 / 1e6);
        println!(
            "{n:>7} {:>13.2} {:>13.2} {full:>25.1} {mb:>9.1}",
            percentile(&took, 0.5),
            took[took.len() - 1]
        );
        p50.push(percentile(&took, 0.5));
        let _ = std::fs::remove_file(&path);
    }
    let ratio = p50[1] / p50[0];
    println!(
        "ratio 100k / 1k at p50: {ratio:.2} (goal ≤ 2: {})",
        if ratio <= 2.0 { "met" } else { "MISSED" }
    );
}

/// Where scan's time goes: each phase redone with the public functions the
/// scan calls, over the same bytes.
fn scan_phases(bytes: &[u8]) {
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let lines: Vec<&[u8]> = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let split = ms(t);
    let t = Instant::now();
    let parsed: Vec<StoredEntry> = lines
        .iter()
        .map(|l| serde_json::from_slice(l).expect("entry"))
        .collect();
    let parse = ms(t);
    let t = Instant::now();
    for l in &lines {
        let (computed, stored) = line_hash(l).expect("hash");
        assert_eq!(computed.as_bytes(), stored);
    }
    let hash = ms(t);
    let t = Instant::now();
    for e in &parsed {
        let _ = chrono::DateTime::parse_from_rfc3339(&e.at).expect("time");
    }
    let time = ms(t);
    let t = Instant::now();
    drop(parsed);
    let free = ms(t);
    println!(
        "scan phases, ms: split lines {split:.1}; serde_json parse into StoredEntry {parse:.1}; line hashes {hash:.1}; RFC 3339 times {time:.1}; freeing entries {free:.1}"
    );
}

/// Resuming an `n`-entry journal in the interface, as `grabbag run
/// --journal` does once the runbooks are in: the time from the resume to
/// its first frame drawn (on ratatui's `TestBackend`, 120x40), then until
/// the whole journal is in and the writer session started, beside the whole
/// open and fold the resume did before it read in steps (`Session::open`).
/// Median of 5 each, on copies of one generated journal (a resume appends).
fn resume_first_frame(dir: &Path, encrypted: bool, n: usize) {
    use grabbag::tui::{App, Look, Setup, draw};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    let kind = if encrypted { "encrypted" } else { "plaintext" };
    println!("\n## resume in the interface, {kind} journal of {n} entries");
    let (original, k) = generate(dir, encrypted, n);
    let ids = k.as_ref().map(|k| &k.identities);
    let copy = dir.join(format!("resume-{kind}.jsonl"));
    let fresh = || {
        std::fs::copy(&original, &copy).expect("copy");
        let _ = std::fs::remove_file(dir.join(format!("resume-{kind}.jsonl.tail")));
    };
    let (mut first, mut all, mut before) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        fresh();
        let setup = Setup {
            root: dir.to_owned(),
            report: Default::default(),
            recipients: None,
            identities: ids,
            today: Utc::now().date_naive(),
            look: Look::default(),
            last: Default::default(),
            last_path: None,
        };
        let mut app = App::new(setup, Utc::now());
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("backend");
        let t = Instant::now();
        app.resume(&copy);
        terminal.draw(|f| draw(f, &app)).expect("draw");
        first.push(t.elapsed().as_secs_f64() * 1e3);
        while app.shared.resume_step() {
            terminal.draw(|f| draw(f, &app)).expect("draw");
        }
        all.push(t.elapsed().as_secs_f64() * 1e3);
        let state = &app.shared.response.as_ref().expect("resumed").state;
        assert!(
            state.entries > n as u64,
            "the whole journal and the new session"
        );
        fresh();
        let t = Instant::now();
        let (session, _) = Session::open(&copy, ids, Vec::new()).expect("opens");
        assert_eq!(session.state().entries, n as u64);
        before.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let mb = std::fs::metadata(&original).map_or(0.0, |m| m.len() as f64 / 1e6);
    println!("file {mb:.1} MB");
    println!(
        "first frame, median ms: {:.1} (goal under 300)",
        median(first)
    );
    println!(
        "all in and the session started, median ms: {:.1}",
        median(all)
    );
    println!(
        "before: open and fold all at once (nothing drawn meanwhile), median ms: {:.1}",
        median(before)
    );
    // `GRABBAG_BENCH_KEEP=DIR` keeps the plaintext journal, to try with the
    // real binary.
    if let Some(keep) = std::env::var_os("GRABBAG_BENCH_KEEP").filter(|_| !encrypted) {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).expect("keep dir");
        std::fs::copy(&original, keep.join(format!("{kind}-{n}.jsonl"))).expect("kept");
    }
    for path in [original, copy] {
        let _ = std::fs::remove_file(&path);
    }
}
