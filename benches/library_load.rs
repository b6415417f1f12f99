//! Library load benchmark: 1,000 encrypted runbooks of realistic size.
//!
//! Builds a real library with the crate's own API (age-encrypted runbooks,
//! one git commit), then measures in the same run:
//!
//! * the floor of decryption: one X25519 unwrap (decrypting a one-byte age
//!   file encrypted to one recipient);
//! * parsing and linting alone (`runbook::check` over the 1,000 plaintexts,
//!   on one thread);
//! * a phase breakdown (discovery, git status, serial decryption);
//! * `Library::load` end to end (discover, decrypt, parse, validate, pin
//!   versions);
//! * the peak memory of a fresh process that only opens the library, loads the
//!   identity and loads every runbook once.
//!
//! The goal is `load <= 2 × (1,000 × floor ÷ cores) + parse` and a peak
//! resident set under 64 MiB; the bench prints the ratio `load / bound`.
//!
//! Run with `cargo bench --bench library_load`. Environment:
//!
//! * `GRABBAG_BENCH_KEEP=DIR` keeps the generated library in `DIR/library`
//!   and its identity in `DIR/identity.txt` (DIR must not exist or be empty),
//!   and prints the `GRABBAG_LIBRARY` / `GRABBAG_IDENTITY` to use with
//!   `grabbag list`.
//! * `GRABBAG_BENCH_RUNS=N` sets the number of timed loads (default 7).
//! * `GRABBAG_BENCH_ONLY_LOAD=DIR` (used internally; works by hand too) loads
//!   the library kept in `DIR` once and prints the process's memory figures.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;
use common::{generate, ms, timed};

use chrono::NaiveDate;
use grabbag::crypto::{self, Identities, Identity};
use grabbag::library::{Library, LoadOptions};

/// How many runbooks the generated library holds.
const RUNBOOKS: usize = 1_000;
/// Timed runs of the tiny decryption that gives the floor.
const FLOOR_RUNS: usize = 200;
/// Passes of parse + lint over all plaintexts.
const PARSE_PASSES: usize = 5;
/// Default timed runs of the whole load (after one warm-up).
const LOAD_RUNS: usize = 7;
/// Memory goal for a load, in KiB (64 MiB).
const MEMORY_GOAL_KIB: u64 = 64 * 1024;

fn main() {
    if let Some(dir) = std::env::var_os("GRABBAG_BENCH_ONLY_LOAD") {
        only_load(Path::new(&dir));
        return;
    }

    let today = chrono::Local::now().date_naive();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    // Where the library lives: a temporary folder, or the one to keep.
    let temp;
    let base: PathBuf = match std::env::var_os("GRABBAG_BENCH_KEEP") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir).expect("create GRABBAG_BENCH_KEEP folder");
            let empty = std::fs::read_dir(&dir)
                .expect("read GRABBAG_BENCH_KEEP folder")
                .next()
                .is_none();
            assert!(
                empty,
                "GRABBAG_BENCH_KEEP={} must be empty or not exist",
                dir.display()
            );
            dir.canonicalize().expect("canonicalize GRABBAG_BENCH_KEEP")
        }
        None => {
            temp = tempfile::tempdir().expect("create a temporary folder");
            temp.path().to_owned()
        }
    };
    let root = base.join("library");
    let identity_file = base.join("identity.txt");

    // 1. Build the library.
    let started = Instant::now();
    let identity = Identity::generate();
    identity
        .write(&identity_file, None)
        .expect("write the identity file");
    let public_key = identity.public_key();
    let recipients = identity.recipients();
    let identities = Identities::from_identity(identity, &identity_file);
    std::fs::create_dir_all(&root).expect("create the library folder");
    let library = Library::init(&root, std::slice::from_ref(&public_key), None)
        .expect("initialise the library");
    let generated = generate(RUNBOOKS);
    let mut plain_bytes = 0usize;
    let mut sealed_bytes = 0usize;
    for (path, _, text) in &generated {
        plain_bytes += text.len();
        sealed_bytes += library
            .write_encrypted(path, text.as_bytes(), &identities)
            .expect("write an encrypted runbook");
    }
    let paths: Vec<&Path> = generated.iter().map(|(p, _, _)| p.as_path()).collect();
    // One commit by default; GRABBAG_BENCH_COMMITS=N spreads the runbooks over
    // N commits, like a library that grew over time.
    let commits: usize = std::env::var("GRABBAG_BENCH_COMMITS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
        .clamp(1, RUNBOOKS);
    for (i, batch) in paths.chunks(RUNBOOKS.div_ceil(commits)).enumerate() {
        library.stage(batch).expect("stage the runbooks");
        library
            .commit(&format!("generated, part {}", i + 1), None)
            .expect("commit the runbooks");
    }
    let build_time = started.elapsed();
    let discovered = library.discover().0.len();
    assert_eq!(
        discovered, RUNBOOKS,
        "discovery found {discovered} runbooks"
    );

    // 2a. The floor: one X25519 unwrap.
    let tiny = crypto::encrypt(b"x", &recipients, false).expect("encrypt one byte");
    let floor = timed(FLOOR_RUNS, || {
        let plain = identities.decrypt(&tiny).expect("decrypt one byte");
        assert_eq!(plain.as_slice(), b"x");
    });

    // 2b. Parse + lint alone, on one thread.
    let parse = timed(PARSE_PASSES, || {
        for (path, id, text) in &generated {
            let name = path.to_string_lossy();
            let checked = grabbag::runbook::check(&name, text, id, today);
            assert!(
                !checked.has_errors(),
                "generated runbook {id} has errors: {:?}",
                checked.diagnostics
            );
        }
    });

    // 2c. Phases of a load, each on its own, to show where time goes.
    let discover = timed(PARSE_PASSES, || {
        let (files, failures) = library.discover();
        assert_eq!(files.len(), RUNBOOKS);
        assert!(failures.is_empty());
    });
    let status = timed(PARSE_PASSES, || {
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(true).recurse_untracked_dirs(true);
        let statuses = library
            .repo()
            .statuses(Some(&mut opts))
            .expect("git status");
        assert!(statuses.iter().all(|s| s.status() == git2::Status::CURRENT));
    });
    let sealed: Vec<Vec<u8>> = generated
        .iter()
        .map(|(p, _, _)| std::fs::read(root.join(p)).expect("read a sealed runbook"))
        .collect();
    let decrypt_serial = timed(PARSE_PASSES, || {
        for bytes in &sealed {
            let plain = identities.decrypt(bytes).expect("decrypt a runbook");
            assert!(!plain.is_empty());
        }
    });
    drop(sealed);
    let (files, _) = library.discover();
    let hint = "bench";
    let threads = cores.min(8);
    let parallel = timed(PARSE_PASSES, || {
        let checked =
            grabbag::library::check_runbook_files(&root, &files, Some(&identities), today, hint);
        let ok = checked
            .iter()
            .filter(|c| c.as_ref().is_ok_and(|c| c.checked.runbook.is_some()))
            .count();
        assert_eq!(ok, RUNBOOKS);
    });
    // 3. The whole load.
    let options = LoadOptions {
        today,
        require_signed: false,
    };
    let runs = std::env::var("GRABBAG_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(LOAD_RUNS);
    let load = timed(runs, || {
        let report = library
            .load(Some(&identities), &options)
            .expect("load the library");
        assert!(
            report.failures.is_empty(),
            "{} file(s) did not load, first: {}",
            report.failures.len(),
            report.failures[0].summary()
        );
        assert_eq!(report.runbooks.len(), RUNBOOKS, "runbooks loaded");
        assert!(
            report.runbooks.iter().all(|r| r.version.commit.is_some()
                && r.version.blob.is_some()
                && !r.version.dirty),
            "every runbook is pinned to a commit and blob"
        );
    });

    // 4. Peak memory of a process that only loads.
    let memory = child_memory(&base);

    // Figures.
    let floor_ms = ms(floor.median);
    let parse_ms = ms(parse.median);
    let decrypt_floor_ms = RUNBOOKS as f64 * floor_ms / cores as f64;
    let bound_ms = 2.0 * decrypt_floor_ms + parse_ms;
    let load_ms = ms(load.median);
    println!("library_load: {RUNBOOKS} encrypted runbooks");
    println!(
        "  library              {} runbooks in {commits} commit(s), {:.1} KiB plaintext avg, {:.1} MiB sealed; built in {:.1} s",
        RUNBOOKS,
        plain_bytes as f64 / RUNBOOKS as f64 / 1024.0,
        sealed_bytes as f64 / (1024.0 * 1024.0),
        build_time.as_secs_f64()
    );
    println!("  cores                {cores}");
    println!(
        "  floor (1 unwrap)     median {:.1} µs, min {:.1} µs ({FLOOR_RUNS} runs)",
        us(floor.median),
        us(floor.min)
    );
    println!(
        "  parse+lint           median {:.1} ms for {RUNBOOKS} ({:.1} µs each), min {:.1} ms, 1 thread ({PARSE_PASSES} passes)",
        parse_ms,
        parse_ms * 1000.0 / RUNBOOKS as f64,
        ms(parse.min)
    );
    println!(
        "  decrypt, serial      median {:.1} ms for {RUNBOOKS} ({:.1} µs each = {:.2} × floor), min {:.1} ms",
        ms(decrypt_serial.median),
        ms(decrypt_serial.median) * 1000.0 / RUNBOOKS as f64,
        ms(decrypt_serial.median) / RUNBOOKS as f64 / floor_ms,
        ms(decrypt_serial.min)
    );
    println!(
        "  discover             median {:.1} ms, min {:.1} ms",
        ms(discover.median),
        ms(discover.min)
    );
    println!(
        "  git status           median {:.1} ms, min {:.1} ms",
        ms(status.median),
        ms(status.min)
    );
    println!(
        "  decrypt+parse+lint   median {:.1} ms, min {:.1} ms ({threads} threads, as the load splits it)",
        ms(parallel.median),
        ms(parallel.min)
    );
    println!(
        "  load (end to end)    median {:.1} ms, min {:.1} ms ({runs} runs after 1 warm-up)",
        load_ms,
        ms(load.min)
    );
    println!(
        "  bound                2 × ({RUNBOOKS} × {:.1} µs ÷ {cores}) + {:.1} ms = {:.1} ms",
        us(floor.median),
        parse_ms,
        bound_ms
    );
    println!(
        "  ratio load/bound     {:.2} (median), {:.2} (min) — goal ≤ 1: {}",
        load_ms / bound_ms,
        ms(load.min) / bound_ms,
        if load_ms <= bound_ms { "met" } else { "MISSED" }
    );
    match memory {
        Some((before, peak)) => println!(
            "  peak RSS, load only  {:.1} MiB (VmHWM of a fresh process; {:.1} MiB before the load) — goal < 64 MiB: {}",
            peak as f64 / 1024.0,
            before as f64 / 1024.0,
            if peak < MEMORY_GOAL_KIB {
                "met"
            } else {
                "MISSED"
            }
        ),
        None => println!("  peak RSS, load only  not measured (needs Linux /proc)"),
    }
    if let Some(peak) = proc_status_kib("VmHWM") {
        println!(
            "  peak RSS, this bench {:.1} MiB (building and measuring included)",
            peak as f64 / 1024.0
        );
    }
    if std::env::var_os("GRABBAG_BENCH_KEEP").is_some() {
        println!("  kept; to load it with the CLI:");
        println!("    export GRABBAG_LIBRARY={}", root.display());
        println!("    export GRABBAG_IDENTITY={}", identity_file.display());
        println!("    /usr/bin/time -v grabbag list > /dev/null");
    }
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// A `kB` figure from /proc/self/status (Linux only).
fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// Runs this executable again in load-only mode and returns its resident set
/// before the load and its peak, in KiB.
fn child_memory(base: &Path) -> Option<(u64, u64)> {
    proc_status_kib("VmHWM")?;
    let exe = std::env::current_exe().expect("find this executable");
    let out = std::process::Command::new(exe)
        .env("GRABBAG_BENCH_ONLY_LOAD", base)
        .output()
        .expect("run the load-only child");
    assert!(
        out.status.success(),
        "load-only child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
    };
    Some((field("rss_before_kib")?, field("peak_kib")?))
}

/// Load-only mode: open the library kept in `dir`, load its identity, load
/// every runbook once, and print memory figures.
fn only_load(dir: &Path) {
    let before = proc_status_kib("VmRSS").unwrap_or(0);
    let identities = Identities::load(&dir.join("identity.txt"), &mut |p| {
        panic!("{} is passphrase-protected", p.display())
    })
    .expect("load the identity");
    let library = Library::open(&dir.join("library")).expect("open the library");
    let today: NaiveDate = chrono::Local::now().date_naive();
    let started = Instant::now();
    let report = library
        .load(
            Some(&identities),
            &LoadOptions {
                today,
                require_signed: false,
            },
        )
        .expect("load the library");
    let elapsed = started.elapsed();
    assert!(report.failures.is_empty(), "some runbooks did not load");
    println!("runbooks {}", report.runbooks.len());
    println!("load_ms {:.1}", ms(elapsed));
    println!("rss_before_kib {before}");
    println!("peak_kib {}", proc_status_kib("VmHWM").unwrap_or(0));
}
