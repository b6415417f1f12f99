//! Library history benchmark: 1,000 encrypted runbooks with one commit of
//! history against the same runbooks with 10,000 commits.
//!
//! Builds two real, signed libraries in one run (issue 24's library goals):
//!
//! * **one commit**: `Library::init` with a signing key, the allowed_signers
//!   file, then the 1,000 runbooks in one signed commit;
//! * **long history**: the same start, then commits made directly with git2
//!   (tree builders and signed commit objects, not the binary 10,000 times)
//!   until the first-parent line holds `GRABBAG_BENCH_HISTORY` commits
//!   (default 10,000). Each later commit re-encrypts one runbook, round
//!   robin, except runbook 0, untouched since the first runbook commit: its
//!   version is the oldest, which made pinning walk the whole history.
//!
//! Then it times, in the same process, with the history cache on (its key in
//! a temporary config folder) and, for the record, off:
//!
//! * `Library::load` (discover, decrypt, parse, pin versions, judge trust):
//!   long history warm / one commit is the goal ratio (≤ 1.2); the first load
//!   of the long history builds the cache and is timed once;
//! * `Library::history` (`grabbag log`) of runbook 0 and of a runbook changed
//!   about ten times.
//!
//! Run with `cargo bench --bench library_history`. Environment:
//! `GRABBAG_BENCH_KEEP=DIR` keeps both libraries (`DIR/one`, `DIR/long`) and
//! the identity (`DIR/identity.txt`) to time the CLI with `/usr/bin/time -v`;
//! `GRABBAG_BENCH_RUNS=N` sets the timed runs (default 7);
//! `GRABBAG_BENCH_HISTORY=N` the commits of the long history.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use git2::{FileMode, Oid, Repository};
use grabbag::crypto::{self, Identities, Identity};
use grabbag::library::trust::SignCommit;
use grabbag::library::{ALLOWED_SIGNERS_FILE, Library, LoadOptions};
use grabbag::signing::Signer;

mod common;
use common::{Timing, generate, ms, timed};

const RUNBOOKS: usize = 1_000;
const HISTORY: usize = 10_000;
const RUNS: usize = 7;

fn main() {
    let runs = env_number("GRABBAG_BENCH_RUNS").unwrap_or(RUNS);
    let history = env_number("GRABBAG_BENCH_HISTORY").unwrap_or(HISTORY);
    let temp = tempfile::tempdir().expect("create a temporary folder");
    let base = match std::env::var_os("GRABBAG_BENCH_KEEP") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir).expect("create GRABBAG_BENCH_KEEP");
            dir.canonicalize().expect("canonicalize GRABBAG_BENCH_KEEP")
        }
        None => temp.path().to_owned(),
    };
    let config = temp.path().join("config");
    let identity_file = base.join("identity.txt");
    let identity = Identity::generate();
    identity
        .write(&identity_file, None)
        .expect("write the identity");
    let public_key = identity.public_key();
    let recipients = identity.recipients();
    let identities = Identities::from_identity(identity, &identity_file);
    let signer = Signer::generate_ed25519("bench").expect("make a signing key");
    let runbooks = generate(RUNBOOKS);

    let started = Instant::now();
    let one = build(
        &base.join("one"),
        &public_key,
        &signer,
        &identities,
        &runbooks,
    );
    let one_built = started.elapsed();
    let started = Instant::now();
    let long = build(
        &base.join("long"),
        &public_key,
        &signer,
        &identities,
        &runbooks,
    );
    let commits = grow(&long, &signer, &recipients, &runbooks, history);
    let long_built = started.elapsed();

    let options = LoadOptions {
        today: chrono::Local::now().date_naive(),
        require_signed: true,
    };
    let cached = |root: &Path| {
        Library::open(root)
            .expect("open the library")
            .with_history_cache(&config)
    };
    let load = |library: &Library| {
        let report = library
            .load(Some(&identities), &options)
            .expect("load the library");
        assert!(report.failures.is_empty(), "every runbook loads signed");
        assert_eq!(report.runbooks.len(), RUNBOOKS);
        report
    };
    let one_lib = cached(&one);
    let long_lib = cached(&long);
    let plain_lib = Library::open(&long).expect("open the library");

    // The first load of the long history builds its cache.
    let started = Instant::now();
    let first = load(&long_lib);
    let cold = started.elapsed();
    // The answers with and without the cache are the same.
    let uncached = load(&plain_lib);
    let pins = |r: &grabbag::library::LoadReport| -> Vec<_> {
        r.runbooks
            .iter()
            .map(|b| (b.version.clone(), b.trust.clone()))
            .collect()
    };
    assert_eq!(
        pins(&first),
        pins(&uncached),
        "cached and uncached loads agree"
    );

    let load_one = timed(runs, || drop(load(&one_lib)));
    let load_long = timed(runs, || drop(load(&long_lib)));
    let load_plain = timed(runs.min(3), || drop(load(&plain_lib)));

    let oldest = runbooks[0].0.as_path();
    let busy = runbooks[1].0.as_path();
    let log = |library: &Library, path: &Path, changes: usize| {
        let entries = library.history(path).expect("log of a runbook");
        assert_eq!(entries.len(), changes, "log of {}", path.display());
        assert!(entries.iter().all(|e| e.trust.is_trusted()));
    };
    let busy_changes = 1 + (commits - 1).div_ceil(RUNBOOKS - 1);
    let log_one = timed(runs, || log(&one_lib, oldest, 1));
    let log_long_oldest = timed(runs, || log(&long_lib, oldest, 1));
    let log_long_busy = timed(runs, || log(&long_lib, busy, busy_changes));
    let log_plain = timed(runs.min(3), || log(&plain_lib, oldest, 1));

    println!("library_history: {RUNBOOKS} encrypted runbooks, signed");
    println!(
        "  built                one commit in {:.1} s; {history} commits in {:.1} s",
        one_built.as_secs_f64(),
        long_built.as_secs_f64()
    );
    println!(
        "  cores                {}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let row = |name: &str, t: &Timing| {
        println!(
            "  {name:<38} median {:>10.3} ms, min {:>10.3} ms",
            ms(t.median),
            ms(t.min)
        );
    };
    row("load, 1 commit", &load_one);
    row(&format!("load, {history} commits, cache warm"), &load_long);
    println!(
        "  {:<38} {:>8.1} ms (once: builds the cache)",
        format!("load, {history} commits, cache cold"),
        ms(cold)
    );
    row(&format!("load, {history} commits, no cache"), &load_plain);
    row("log of runbook 0, 1 commit", &log_one);
    row(
        &format!("log of runbook 0, {history} commits"),
        &log_long_oldest,
    );
    row(
        &format!("log of runbook 1 ({busy_changes} changes), {history}"),
        &log_long_busy,
    );
    row(
        &format!("log of runbook 0, {history}, no cache"),
        &log_plain,
    );
    let ratio = |a: &Timing, b: &Timing| ms(a.median) / ms(b.median);
    let verdict = |r: f64| if r <= 1.2 { "met" } else { "MISSED" };
    let load_ratio = ratio(&load_long, &load_one);
    let log_ratio = ratio(&log_long_oldest, &log_one);
    println!(
        "  ratio load {history}/1            {load_ratio:.2} — goal ≤ 1.2: {}",
        verdict(load_ratio)
    );
    println!(
        "  ratio log {history}/1             {log_ratio:.2} — goal ≤ 1.2: {}",
        verdict(log_ratio)
    );
    if std::env::var_os("GRABBAG_BENCH_KEEP").is_some() {
        println!(
            "  kept: GRABBAG_LIBRARY={} or {}",
            one.display(),
            long.display()
        );
        println!("        GRABBAG_IDENTITY={}", identity_file.display());
    }
}

fn env_number(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|n| n.parse().ok())
}

/// A signed library at `root` holding `runbooks` in one commit.
fn build(
    root: &Path,
    public_key: &str,
    signer: &Signer,
    identities: &Identities,
    runbooks: &[(PathBuf, String, String)],
) -> PathBuf {
    std::fs::create_dir_all(root).expect("create the library folder");
    let library = Library::init(root, &[public_key.to_owned()], Some(signer))
        .expect("initialise the library");
    let signers = root.join(ALLOWED_SIGNERS_FILE);
    std::fs::write(
        &signers,
        signer.allowed_signers_line("bench@example") + "\n",
    )
    .expect("write allowed_signers");
    library
        .stage(&[Path::new(ALLOWED_SIGNERS_FILE)])
        .expect("stage allowed_signers");
    library
        .commit("Trust the bench key", Some(signer))
        .expect("commit allowed_signers");
    for (path, _, text) in runbooks {
        library
            .write_encrypted(path, text.as_bytes(), identities)
            .expect("write a runbook");
    }
    let paths: Vec<&Path> = runbooks.iter().map(|(p, _, _)| p.as_path()).collect();
    library.stage(&paths).expect("stage the runbooks");
    library
        .commit("Add the runbooks", Some(signer))
        .expect("commit the runbooks");
    root.to_owned()
}

/// Grows the library at `root` to `history` commits on its first-parent
/// line with git2, each re-encrypting one runbook (never runbook 0), then
/// checks out the result. Returns the number of runbook commits.
fn grow(
    root: &Path,
    signer: &Signer,
    recipients: &grabbag::crypto::Recipients,
    runbooks: &[(PathBuf, String, String)],
    history: usize,
) -> usize {
    let repo = Repository::open(root).expect("open the repository");
    let mut head = repo.head().and_then(|h| h.peel_to_commit()).expect("HEAD");
    // Folder trees by name, so each commit rebuilds one folder and the root.
    let root_tree = head.tree().expect("HEAD's tree");
    let mut folders: BTreeMap<String, Oid> = BTreeMap::new();
    for entry in root_tree.iter() {
        if entry.kind() == Some(git2::ObjectType::Tree) {
            folders.insert(entry.name().expect("UTF-8 name").to_owned(), entry.id());
        }
    }
    let author = repo.signature().expect("a git identity");
    let made = 3; // init, allowed_signers, runbooks
    let mut runbook_commits = 1;
    for n in made..history {
        let (path, _, text) = &runbooks[1 + (n - made) % (runbooks.len() - 1)];
        let sealed = crypto::encrypt(text.as_bytes(), recipients, false).expect("encrypt");
        let blob = repo.blob(&sealed).expect("write a blob");
        let (folder, name) = match path.to_str().and_then(|p| p.split_once('/')) {
            Some((folder, name)) => (folder.to_owned(), name.to_owned()),
            None => (String::new(), path.to_string_lossy().into_owned()),
        };
        let mut root_builder = repo
            .treebuilder(Some(&head.tree().expect("tree")))
            .expect("tree builder");
        if folder.is_empty() {
            root_builder
                .insert(&name, blob, FileMode::Blob.into())
                .expect("insert");
        } else {
            let old = repo.find_tree(folders[&folder]).expect("folder tree");
            let mut builder = repo.treebuilder(Some(&old)).expect("tree builder");
            builder
                .insert(&name, blob, FileMode::Blob.into())
                .expect("insert");
            let id = builder.write().expect("write a tree");
            folders.insert(folder.clone(), id);
            root_builder
                .insert(&folder, id, FileMode::Tree.into())
                .expect("insert");
        }
        let tree = repo
            .find_tree(root_builder.write().expect("write the root tree"))
            .expect("root tree");
        let message = format!("Revise {}", path.display());
        let id = signer
            .commit(&repo, "HEAD", &author, &message, &tree, &[&head])
            .expect("commit");
        head = repo.find_commit(id).expect("the new commit");
        runbook_commits += 1;
    }
    repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .expect("check out the last commit");
    runbook_commits
}
