//! Planted files: a synced commit (made with the real `git`, real symbolic
//! links) puts links under `journals/` and `exercises/`, and the real binary
//! (`note`, `journal verify`, `exercise check`, the interface in tmux) must
//! neither write nor read outside the library through them. Every test hashes
//! the fake HOME (all of it but the library) before and after.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use grabbag::journal::Journal;
use grabbag::journal::entry::sha256_hex;

use crate::harness::{TestLibrary, have, run, runbook_text};
use crate::support::Sandbox;

/// A clean, unfinished two-entry journal, then half a line (a torn tail).
const TORN: &str = include_str!("../data/journals/torn-tail.jsonl");

/// Every file and link under `home` except the library (and the script
/// the tmux helper writes), with a digest of its content or a link's target.
fn snapshot(home: &Path, library: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![home.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read home").flatten() {
            let path = entry.path();
            if path == library || path == home.join("start.sh") {
                continue;
            }
            let kind = entry.file_type().expect("file type");
            let digest = if kind.is_symlink() {
                format!("link to {}", std::fs::read_link(&path).unwrap().display())
            } else if kind.is_dir() {
                stack.push(path.clone());
                continue;
            } else {
                sha256_hex(&std::fs::read(&path).expect("read file"))
            };
            out.insert(path, digest);
        }
    }
    out
}

/// The library of `lib`, with the files `plant` makes in a clone (with
/// links) committed by the real `git` and brought in by `grabbag sync`.
fn sync_planted(lib: &TestLibrary, plant: impl FnOnce(&Path)) {
    let git = Sandbox::new();
    let upstream = git.join("upstream");
    git.git(
        git.path(),
        &[
            "clone",
            "-q",
            lib.root.to_str().expect("utf-8"),
            upstream.to_str().expect("utf-8"),
        ],
    );
    plant(&upstream);
    // -f: the library's .gitignore leaves out `*.lock`; an attacker does not.
    git.git(&upstream, &["add", "-f", "-A"]);
    git.git(
        &upstream,
        &["commit", "-q", "-m", "Archive last week's journals"],
    );
    let out = run(lib.grabbag().arg("sync").arg(&upstream));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

fn link(target: &Path, at: &Path) {
    std::fs::create_dir_all(at.parent().expect("parent")).expect("mkdir");
    std::os::unix::fs::symlink(target, at).expect("symlink");
}

/// The fake HOME's precious files, outside the library.
fn precious(home: &Path) -> (PathBuf, PathBuf) {
    let bashrc = home.join(".bashrc");
    let key = home.join(".ssh/id_ed25519");
    crate::support::write(home, ".bashrc", "alias ls='ls --color'\n");
    crate::support::write(
        home,
        ".ssh/id_ed25519",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n",
    );
    (bashrc, key)
}

#[test]
fn planted_lock_and_torn_links_beside_a_synced_journal_change_nothing() {
    let lib = TestLibrary::with(&[("cyber/a", &runbook_text("cyber/a", "Alpha"))]);
    let home = lib.home.path();
    let (bashrc, key) = precious(home);
    sync_planted(&lib, |up| {
        crate::support::write(up, "journals/X.jsonl", TORN);
        link(&bashrc, &up.join("journals/X.jsonl.torn"));
        link(&key, &up.join("journals/X.jsonl.lock"));
    });
    let journal = lib.root.join("journals/X.jsonl");
    assert!(
        std::fs::symlink_metadata(journal.with_extension("jsonl.lock"))
            .unwrap()
            .file_type()
            .is_symlink(),
        "the sync checked out the planted link"
    );
    let before = snapshot(home, &lib.root);
    let journal_before = std::fs::read(&journal).unwrap();

    let out = run(lib.grabbag().arg("note").arg(&journal).arg("hello"));
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("NOT recorded"), "{}", out.stderr);
    assert!(
        out.stderr.contains("X.jsonl.lock: is a symbolic link"),
        "{}",
        out.stderr
    );

    let out = run(lib.grabbag().args(["journal", "verify"]).arg(&journal));
    assert_eq!(out.code, 1, "a torn tail: {}{}", out.stdout, out.stderr);

    if have(
        "tmux",
        "planted_lock_and_torn_links_beside_a_synced_journal_change_nothing (interface part)",
    ) {
        let tmux = crate::tui::Tmux {
            socket: format!("grabbag-attack-{}", std::process::id()),
            home: home.to_owned(),
        };
        tmux.start(&lib.root, &lib.identity_path, "run");
        // The scan offered the journal without touching it or its links...
        tmux.wait_for("resume it?");
        assert_eq!(snapshot(home, &lib.root), before);
        // ...and resuming it is refused, naming the planted file.
        tmux.keys(&["y"]);
        tmux.wait_for("X.jsonl.lock: is a symbolic link");
        tmux.keys(&["Escape", "Escape"]);
        tmux.wait_gone();
    }

    assert_eq!(
        snapshot(home, &lib.root),
        before,
        "a file outside the library changed"
    );
    assert_eq!(std::fs::read(&journal).unwrap(), journal_before);
}

#[test]
fn journals_that_are_links_or_behind_a_linked_folder_are_refused() {
    let lib = TestLibrary::with(&[("cyber/a", &runbook_text("cyber/a", "Alpha"))]);
    let home = lib.home.path();
    let (bashrc, _) = precious(home);
    // A real journal of the user's, outside the library.
    let mine = home.join("notes/mine.jsonl");
    crate::support::write(
        home,
        "notes/mine.jsonl",
        &TORN[..TORN.rfind('\n').unwrap() + 1],
    );
    sync_planted(&lib, |up| {
        link(&home.join("notes"), &up.join("journals"));
        link(&mine, &up.join("exercises/runs/r.jsonl"));
        link(&bashrc, &up.join("exercises/runs/r.baseline.json"));
    });
    let before = snapshot(home, &lib.root);

    // A new journal in a `journals` folder that is a link out of the library.
    let out = run(lib
        .grabbag()
        .args(["note", "--plaintext"])
        .arg(lib.root.join("journals/new.jsonl"))
        .arg("hello"));
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("journals is a symbolic link"),
        "{}",
        out.stderr
    );

    // A journal that is itself a link: neither written nor read.
    let run_link = lib.root.join("exercises/runs/r.jsonl");
    let out = run(lib.grabbag().arg("note").arg(&run_link).arg("hello"));
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("r.jsonl: is a symbolic link"),
        "{}",
        out.stderr
    );
    let out = run(lib.grabbag().args(["journal", "verify"]).arg(&run_link));
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("is a symbolic link"), "{}", out.stderr);
    assert!(Journal::read(&run_link, None).is_err());

    assert_eq!(
        snapshot(home, &lib.root),
        before,
        "a file outside the library changed"
    );
}

#[test]
fn two_notes_creating_one_journal_at_once_both_succeed() {
    let home = tempfile::tempdir().expect("temp dir");
    for round in 0..20 {
        let journal = home.path().join(format!("race-{round}.jsonl"));
        let spawn = |text: &str| {
            crate::harness::grabbag(home.path())
                .args(["note", "--plaintext"])
                .arg(&journal)
                .arg(text)
                .output()
        };
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| spawn("first"));
            let b = s.spawn(|| spawn("second"));
            (a.join().unwrap(), b.join().unwrap())
        });
        for out in [a.unwrap(), b.unwrap()] {
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let entries = Journal::read(&journal, None).expect("a clean journal");
        let notes = entries.iter().filter(|e| e.seq > 1).count();
        assert_eq!((entries.len(), notes), (3, 2), "round {round}");
    }
}

#[test]
fn a_planted_baseline_link_is_replaced_not_written_through() {
    let home = tempfile::tempdir().expect("temp dir");
    let home = home.path();
    let out = run(crate::harness::grabbag(home)
        .args(["demo", "--no-tui", "--dir"])
        .arg(home.join("demo")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let library = home.join("demo/library");
    let grabbag = || {
        let mut cmd = crate::harness::grabbag(home);
        cmd.env("GRABBAG_LIBRARY", &library)
            .env("GRABBAG_IDENTITY", home.join("demo/keys/demo-identity.txt"));
        cmd
    };
    let (bashrc, _) = precious(home);
    let baseline = "exercises/runs/total-it-loss.baseline.json";
    let git = Sandbox::new();
    let upstream = git.join("upstream");
    git.git(
        git.path(),
        &[
            "clone",
            "-q",
            library.to_str().unwrap(),
            upstream.to_str().unwrap(),
        ],
    );
    std::fs::remove_file(upstream.join(baseline)).unwrap();
    link(&bashrc, &upstream.join(baseline));
    git.git(&upstream, &["commit", "-q", "-a", "-m", "Update baselines"]);
    let out = run(grabbag().arg("sync").arg(&upstream));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let before = snapshot(home, &library);

    // Checking reads no baseline through the link...
    let out = run(grabbag().args(["exercise", "check"]));
    assert!(out.stdout.contains("is a symbolic link"), "{}", out.stdout);
    // ...and accepting the scores replaces the link with a file.
    let out = run(grabbag().args(["exercise", "check", "--bless"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let meta = std::fs::symlink_metadata(library.join(baseline)).unwrap();
    assert!(meta.is_file(), "the baseline is a file of its own now");
    assert_eq!(
        snapshot(home, &library),
        before,
        "a file outside the library changed"
    );
}

#[test]
fn a_new_journal_beside_a_planted_lock_link_is_refused() {
    let lib = TestLibrary::with(&[("cyber/a", &runbook_text("cyber/a", "Alpha"))]);
    let home = lib.home.path();
    let (_, key) = precious(home);
    // Waiting for the journal a responder will start under this name.
    sync_planted(&lib, |up| link(&key, &up.join("journals/new.jsonl.lock")));
    let before = snapshot(home, &lib.root);
    let journal = lib.root.join("journals/new.jsonl");
    let out = run(lib.grabbag().arg("note").arg(&journal).arg("hello"));
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("new.jsonl.lock: is a symbolic link"),
        "{}",
        out.stderr
    );
    assert!(
        std::fs::symlink_metadata(&journal).is_err(),
        "no journal made"
    );
    assert_eq!(
        snapshot(home, &lib.root),
        before,
        "a file outside the library changed"
    );
}

#[test]
fn a_synced_settings_file_that_is_a_link_is_refused_not_followed() {
    let lib = TestLibrary::with(&[("cyber/a.toml", &runbook_text("cyber/a", "Alpha"))]);
    let home = lib.home.path();
    // A calendar of the attacker's choosing, outside the library.
    crate::support::write(home, "elsewhere.toml", "bank_holidays = \"scotland\"\n");
    sync_planted(&lib, |up| {
        link(
            &home.join("elsewhere.toml"),
            &up.join(".grabbag/settings.toml"),
        );
    });
    let out = run(lib.grabbag().arg("list"));
    // The runbooks still load; the settings are a finding named by file
    // (exit 1), and the link is never read.
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("cyber/a"), "{}", out.stdout);
    assert!(
        out.stderr.contains(".grabbag/settings.toml did not load")
            && out.stderr.contains("leads outside the library"),
        "{}",
        out.stderr
    );
}
