//! Readers added later: `grabbag rekey` (and `grabbag journal rekey FILE`)
//! wraps each encrypted journal's key again to the recipients as they are
//! now, in `JOURNAL.key` beside it, without touching the journal's bytes.
//! With the real binary, real git, real age keys (and the `age` CLI where
//! installed).

use std::path::{Path, PathBuf};
use std::process::Command;

use grabbag::crypto::Identity;

use crate::harness::{Run, TestLibrary, have, run, runbook_text};
use crate::journal_cli::{doc_block, python};

/// A library of one runbook, encrypted to its owner.
fn library() -> TestLibrary {
    TestLibrary::with(&[("cyber/alpha.toml", &runbook_text("cyber/alpha", "Alpha"))])
}

/// Writes `.grabbag/recipients`: the owner's keys and `others`.
fn set_recipients(lib: &TestLibrary, owner: &[String], others: &[&str]) {
    let mut text = String::new();
    for key in owner
        .iter()
        .map(String::as_str)
        .chain(others.iter().copied())
    {
        text.push_str(key);
        text.push('\n');
    }
    std::fs::write(lib.root.join(".grabbag/recipients"), text).unwrap();
}

/// A new age identity saved in the test's home; returns its file and key.
fn person(lib: &TestLibrary, name: &str) -> (PathBuf, String) {
    let identity = Identity::generate();
    let path = lib.home.path().join(format!("{name}.txt"));
    identity.write(&path, None).unwrap();
    (path, identity.public_key())
}

/// `grabbag ARGS` as the holder of `identity`, in the library's folder.
fn as_person(lib: &TestLibrary, identity: &Path, args: &[&str]) -> Run {
    run(lib
        .grabbag()
        .current_dir(&lib.root)
        .env("GRABBAG_IDENTITY", identity)
        .args(args))
}

/// A note in `journal` (relative to the library), written by the owner.
fn note(lib: &TestLibrary, journal: &str, text: &str) {
    let out = run(lib
        .grabbag()
        .arg("note")
        .arg(lib.root.join(journal))
        .arg(text));
    assert_eq!(out.code, 0, "note: {}", out.stderr);
}

fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs")
}

#[test]
fn a_colleague_added_after_journals_were_written_reads_them_all_after_rekey() {
    if !have("git", "a_colleague_added_after_journals_were_written") {
        return;
    }
    let lib = library();
    note(
        &lib,
        "journals/live.jsonl",
        "Ransom note on the revenues printer",
    );
    note(&lib, "journals/snap.jsonl", "Payments team moved to paper");
    let commit = run(lib
        .grabbag()
        .args(["journal", "commit"])
        .arg(lib.root.join("journals/snap.jsonl")));
    assert_eq!(commit.code, 0, "{}", commit.stderr);
    note(&lib, "journals/snap.jsonl", "Grew after its commit");
    // A merged timeline committed too: it has no key of its own to give.
    let merged = lib.home.path().join("merged.jsonl");
    let out = run(lib
        .grabbag()
        .args(["journal", "merge"])
        .arg(lib.root.join("journals/live.jsonl"))
        .arg(lib.root.join("journals/committed/snap.jsonl"))
        .arg("-o")
        .arg(&merged));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(lib.grabbag().args(["journal", "commit"]).arg(&merged));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let files = [
        "journals/live.jsonl",
        "journals/snap.jsonl",
        "journals/committed/snap.jsonl",
    ];
    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(lib.root.join(f)).unwrap())
        .collect();

    let (colleague, colleague_key) = person(&lib, "colleague");
    set_recipients(&lib, &lib.identities.public_keys(), &[&colleague_key]);
    let refused = as_person(
        &lib,
        &colleague,
        &["journal", "export", "journals/committed/snap.jsonl"],
    );
    assert_eq!(refused.code, 2, "not yet a reader: {refused:?}");
    assert!(
        refused.stderr.contains("snap.jsonl is encrypted"),
        "{}",
        refused.stderr
    );

    let rekey = run(lib.grabbag().arg("rekey"));
    assert_eq!(rekey.code, 0, "{}", rekey.stderr);
    assert!(
        rekey.stdout.contains(
            "Journal keys wrapped to the same recipients: 3 journal(s) (1 committed, 2 live"
        ),
        "{}",
        rekey.stdout
    );
    // The journals themselves are untouched: chain, witness codes, bytes.
    for (file, bytes) in files.iter().zip(&before) {
        assert_eq!(
            &std::fs::read(lib.root.join(file)).unwrap(),
            bytes,
            "{file}"
        );
    }
    // The snapshot's key travels in the rekey commit; live keys never do.
    let tracked = git(&lib.root, &["ls-files", "journals"]);
    assert_eq!(
        String::from_utf8_lossy(&tracked.stdout),
        "journals/committed/merged.jsonl\njournals/committed/snap.jsonl\njournals/committed/snap.jsonl.key\n"
    );
    let status = git(&lib.root, &["status", "--porcelain"]);
    assert_eq!(
        String::from_utf8_lossy(&status.stdout),
        "",
        "all committed or ignored"
    );

    for (file, text) in [
        (
            "journals/committed/snap.jsonl",
            "Payments team moved to paper",
        ),
        ("journals/snap.jsonl", "Grew after its commit"),
        ("journals/live.jsonl", "Ransom note on the revenues printer"),
    ] {
        let out = as_person(&lib, &colleague, &["journal", "export", file]);
        assert_eq!(out.code, 0, "{file}: {}", out.stderr);
        assert!(out.stdout.contains(text), "{file}: {}", out.stdout);
    }
    // The colleague can write to a live journal too, and it still verifies.
    let added = as_person(
        &lib,
        &colleague,
        &["note", "journals/live.jsonl", "Colleague took over the log"],
    );
    assert_eq!(added.code, 0, "{}", added.stderr);
    let verify = run(lib
        .grabbag()
        .args(["journal", "verify"])
        .arg(lib.root.join("journals/live.jsonl")));
    assert_eq!(verify.code, 0, "{}", verify.stdout);

    // Readable without grabbag: the `.key` is an age file holding the key.
    if have(
        "age",
        "a_colleague_added_after_journals_were_written (age part)",
    ) {
        let out = Command::new("age")
            .args(["-d", "-i"])
            .arg(&colleague)
            .arg(lib.root.join("journals/committed/snap.jsonl.key"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout.len(), 32, "the 32-byte journal key");
    }
}

#[test]
fn rekey_gives_journals_to_current_recipients_only() {
    let (lib, departed, departed_key) = {
        let lib = library();
        let (departed, key) = person(&lib, "departed");
        set_recipients(&lib, &lib.identities.public_keys(), &[&key]);
        assert_eq!(run(lib.grabbag().arg("rekey")).code, 0);
        (lib, departed, key)
    };
    note(
        &lib,
        "journals/j.jsonl",
        "Written while the departed was a reader",
    );
    // One colleague leaves, another arrives, and one added by mistake is
    // taken off again before the rekey.
    let (newcomer, newcomer_key) = person(&lib, "newcomer");
    let (mistake, mistake_key) = person(&lib, "mistake");
    set_recipients(
        &lib,
        &lib.identities.public_keys(),
        &[&newcomer_key, &mistake_key],
    );
    set_recipients(&lib, &lib.identities.public_keys(), &[&newcomer_key]);
    assert_ne!(departed_key, newcomer_key);
    assert_eq!(run(lib.grabbag().arg("rekey")).code, 0);

    let key_file = lib.root.join("journals/j.jsonl.key");
    let wrapped = std::fs::read(&key_file).unwrap();
    let load = |path: &Path| {
        grabbag::crypto::Identities::load(path, &mut |_| panic!("no passphrase")).unwrap()
    };
    assert!(load(&newcomer).decrypt(&wrapped).is_ok());
    assert!(
        load(&departed).decrypt(&wrapped).is_err(),
        "the departed colleague is not given the key again"
    );
    assert!(load(&mistake).decrypt(&wrapped).is_err());
    let out = as_person(&lib, &mistake, &["journal", "export", "journals/j.jsonl"]);
    assert_eq!(out.code, 2, "{out:?}");
    let out = as_person(&lib, &newcomer, &["journal", "export", "journals/j.jsonl"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // What was given cannot be taken back: the first entry still carries
    // the key wrapped to the recipients of its time (docs/journal-format.md).
    let out = as_person(&lib, &departed, &["journal", "export", "journals/j.jsonl"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_key_file_of_another_journal_is_refused_by_name() {
    let lib = library();
    note(&lib, "journals/a.jsonl", "Journal A");
    note(&lib, "journals/b.jsonl", "Journal B");
    let (colleague, colleague_key) = person(&lib, "colleague");
    set_recipients(&lib, &lib.identities.public_keys(), &[&colleague_key]);
    assert_eq!(run(lib.grabbag().arg("rekey")).code, 0);
    std::fs::copy(
        lib.root.join("journals/b.jsonl.key"),
        lib.root.join("journals/a.jsonl.key"),
    )
    .unwrap();
    let out = as_person(&lib, &colleague, &["journal", "export", "journals/a.jsonl"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("a.jsonl.key opens, but the key in it does not open this journal"),
        "{}",
        out.stderr
    );
}

#[test]
fn journal_commit_keeps_a_snapshots_key_and_brings_a_missing_one() {
    if !have("git", "journal_commit_keeps_a_snapshots_key") {
        return;
    }
    let lib = library();
    note(&lib, "journals/early.jsonl", "Committed before the rekey");
    note(&lib, "journals/late.jsonl", "Committed after the rekey");
    let commit = |file: &str| {
        let out = run(lib
            .grabbag()
            .args(["journal", "commit"])
            .arg(lib.root.join(file)));
        assert_eq!(out.code, 0, "{}", out.stderr);
    };
    commit("journals/early.jsonl");
    let (colleague, colleague_key) = person(&lib, "colleague");
    set_recipients(&lib, &lib.identities.public_keys(), &[&colleague_key]);
    assert_eq!(run(lib.grabbag().arg("rekey")).code, 0);
    let snapshot_key = lib.root.join("journals/committed/early.jsonl.key");
    let rekeyed = std::fs::read(&snapshot_key).unwrap();

    // The live key is wrapped again here (a stale or other copy); the
    // snapshot's, which a rekey may have written on another laptop, stays.
    let out = run(lib
        .grabbag()
        .args(["journal", "rekey"])
        .arg(lib.root.join("journals/early.jsonl")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    note(&lib, "journals/early.jsonl", "Grew");
    commit("journals/early.jsonl");
    assert_eq!(std::fs::read(&snapshot_key).unwrap(), rekeyed);

    // A journal first committed after the rekey brings its live key along.
    commit("journals/late.jsonl");
    let tracked = git(&lib.root, &["ls-files", "journals/committed"]);
    assert!(
        String::from_utf8_lossy(&tracked.stdout).contains("journals/committed/late.jsonl.key"),
        "{}",
        String::from_utf8_lossy(&tracked.stdout)
    );
    for file in [
        "journals/committed/early.jsonl",
        "journals/committed/late.jsonl",
    ] {
        let out = as_person(&lib, &colleague, &["journal", "export", file]);
        assert_eq!(out.code, 0, "{file}: {}", out.stderr);
    }
}

#[test]
fn journal_rekey_gives_a_journal_outside_the_library_to_the_recipients() {
    let lib = library();
    let outside = lib.home.path().join("usb/response.jsonl");
    std::fs::create_dir_all(outside.parent().unwrap()).unwrap();
    let out = run(lib
        .grabbag()
        .arg("note")
        .arg(&outside)
        .arg("Kept on a stick"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (colleague, colleague_key) = person(&lib, "colleague");
    set_recipients(&lib, &lib.identities.public_keys(), &[&colleague_key]);
    let shown = outside.to_string_lossy().into_owned();
    assert_eq!(
        as_person(&lib, &colleague, &["journal", "export", &shown]).code,
        2
    );
    // Someone who cannot read it cannot give it away: nothing is written.
    let refused = as_person(&lib, &colleague, &["journal", "rekey", &shown]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(!lib.home.path().join("usb/response.jsonl.key").exists());

    let out = run(lib.grabbag().args(["journal", "rekey", &shown]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("response.jsonl.key: readable by the 2 recipient(s)"),
        "{}",
        out.stdout
    );
    let read = as_person(&lib, &colleague, &["journal", "export", &shown]);
    assert_eq!(read.code, 0, "{}", read.stderr);
    assert!(read.stdout.contains("Kept on a stick"), "{}", read.stdout);

    // Without grabbag: the documented script, with the `age` CLI.
    let has_crypto = Command::new("python3")
        .args(["-c", "import cryptography"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_crypto {
        eprintln!("SKIPPED decryption recipe: python3 has no `cryptography` package");
        return;
    }
    if !have("age", "journal_rekey: the documented decryption recipe") {
        return;
    }
    let script = lib.home.path().join("decrypt.py");
    std::fs::write(&script, doc_block("python", "ChaCha20Poly1305")).unwrap();
    let out = python(&script, &[&outside, &colleague]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("\"text\":\"Kept on a stick\""),
        "{}",
        out.stdout
    );
    // Someone never given the key is told so by age, and reads nothing.
    let (stranger, _) = person(&lib, "stranger");
    let out = python(&script, &[&outside, &stranger]);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(!out.stdout.contains("Kept on a stick"));
}

#[test]
fn a_colleague_added_on_another_laptop_reads_this_laptops_journals_after_sync_and_rekey() {
    if !have("git", "a_colleague_added_on_another_laptop") {
        return;
    }
    // Laptop A and laptop B share the library through a stick.
    let a = library();
    let laptop_b = a.home.path().join("laptop-b");
    for args in [
        vec!["clone", "--bare", "-q", "library", "stick.git"],
        vec!["clone", "-q", "stick.git", "laptop-b"],
    ] {
        let out = git(a.home.path(), &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let on_b = |args: &[&str]| {
        run(a
            .grabbag()
            .env("GRABBAG_LIBRARY", &laptop_b)
            .current_dir(&laptop_b)
            .args(args))
    };
    let written = on_b(&["note", "journals/b-live.jsonl", "Written on laptop B"]);
    assert_eq!(written.code, 0, "{}", written.stderr);

    // A adds the colleague and rekeys; the commit travels by the stick.
    let (colleague, colleague_key) = person(&a, "colleague");
    set_recipients(&a, &a.identities.public_keys(), &[&colleague_key]);
    assert_eq!(run(a.grabbag().arg("rekey")).code, 0);
    let out = git(&a.root, &["push", "-q", "../stick.git", "HEAD"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let synced = on_b(&["sync", "../stick.git"]);
    assert_eq!(synced.code, 0, "{}", synced.stderr);
    assert!(
        synced
            .stdout
            .contains("NOTE: .grabbag/recipients changed: run `grabbag rekey` here"),
        "{}",
        synced.stdout
    );
    let as_colleague_on_b = |args: &[&str]| {
        run(a
            .grabbag()
            .env("GRABBAG_LIBRARY", &laptop_b)
            .env("GRABBAG_IDENTITY", &colleague)
            .current_dir(&laptop_b)
            .args(args))
    };
    let before = as_colleague_on_b(&["journal", "export", "journals/b-live.jsonl"]);
    assert_eq!(before.code, 2, "B's journal is not theirs yet: {before:?}");
    let rekey = on_b(&["rekey"]);
    assert_eq!(rekey.code, 0, "{}", rekey.stderr);
    let after = as_colleague_on_b(&["journal", "export", "journals/b-live.jsonl"]);
    assert_eq!(after.code, 0, "{}", after.stderr);
    assert!(
        after.stdout.contains("Written on laptop B"),
        "{}",
        after.stdout
    );
}
