//! `grabbag demo` and the commands a new user tries on it, through the real
//! binary: a signed, encrypted library that stock git and age can read too,
//! `--require-signed`, and sync from a bare repository on "removable media".

use std::process::Command;

use crate::harness::{Demo, grabbag, have, run};

#[test]
fn demo_library_is_signed_encrypted_and_trusted() {
    let demo = Demo::build();
    assert!(
        demo.stdout
            .starts_with("Built a demo library of 23 encrypted, signed runbooks."),
        "{}",
        demo.stdout
    );
    let out = run(demo.grabbag().args(["list", "--require-signed"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("[SIGNED]"))
        .collect();
    assert_eq!(rows.len(), 23, "{}", out.stdout);
    assert!(out.stdout.contains("cyber/ransomware "));
    assert!(out.stdout.contains("continuity/payments "));
    // Nothing decrypted was left in the library.
    for entry in walk(&demo.library) {
        let name = entry.to_string_lossy();
        assert!(!name.ends_with(".toml"), "plaintext left behind: {name}");
    }
    // 23 runbooks, then the 6 encrypted exercises against them.
    let lint = run(demo.grabbag().arg("lint"));
    assert_eq!(lint.code, 0, "{}", lint.stdout);
    assert!(
        lint.stdout
            .contains("29 files checked, 0 errors, 0 warnings"),
        "{}",
        lint.stdout
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn stock_git_verifies_demo_signatures() {
    if !have("git", "stock_git_verifies_demo_signatures") {
        return;
    }
    let demo = Demo::build();
    let out = Command::new("git")
        .current_dir(&demo.library)
        .env("HOME", demo.home.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args([
            "-c",
            "gpg.ssh.allowedSignersFile=.grabbag/allowed_signers",
            "verify-commit",
            "HEAD",
        ])
        .output()
        .expect("git runs");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("Good \"git\" signature for demo-signer@grabbag.example"),
        "{said}"
    );
}

#[test]
fn unsigned_change_is_untrusted_and_refused_when_required() {
    let demo = Demo::build();
    let repo = git2::Repository::open(&demo.library).expect("repo");
    repo.config()
        .unwrap()
        .set_bool("commit.gpgsign", false)
        .unwrap();
    let draft = demo.library.join("cyber/unsigned.toml");
    std::fs::write(
        &draft,
        crate::harness::runbook_text("cyber/unsigned", "Unsigned"),
    )
    .unwrap();
    let out = run(demo
        .grabbag()
        .args(["seal", "-m", "Unsigned change"])
        .arg(&draft));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("(signed)"), "{}", out.stdout);
    let out = run(demo.grabbag().arg("list"));
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("cyber/unsigned "))
        .expect("listed");
    assert!(line.contains("[UNTRUSTED]"), "{line}");
    let out = run(demo.grabbag().args(["list", "--require-signed"]));
    assert_eq!(out.code, 1);
    assert!(!out.stdout.contains("cyber/unsigned "), "{}", out.stdout);
    assert!(
        out.stdout.contains("cyber/ransomware "),
        "signed runbooks still load: {}",
        out.stdout
    );
    assert!(out.stderr.contains("warning: cyber/unsigned.toml.age did not load: refused by --require-signed: untrusted: unsigned"), "{}", out.stderr);
}

#[test]
fn sync_from_a_bare_repository_reports_changes() {
    if !have("git", "sync_from_a_bare_repository_reports_changes") {
        return;
    }
    let demo = Demo::build();
    // The command room's copy: a clone of the library, then a signed edit there.
    let usb = demo.home.path().join("usb.git");
    let status = Command::new("git")
        .args(["clone", "-q", "--bare"])
        .arg(&demo.library)
        .arg(&usb)
        .env("HOME", demo.home.path())
        .status()
        .unwrap();
    assert!(status.success());
    let field = demo.home.path().join("field");
    let out = run(grabbag(demo.home.path())
        .args(["demo", "--no-tui", "--dir"])
        .arg(&field));
    assert_eq!(out.code, 0);
    // A library that is behind: fresh clone of the first commits of the USB copy.
    let behind = demo.home.path().join("behind");
    let status = Command::new("git")
        .args(["clone", "-q"])
        .arg(&usb)
        .arg(&behind)
        .env("HOME", demo.home.path())
        .status()
        .unwrap();
    assert!(status.success());
    let status = Command::new("git")
        .current_dir(&behind)
        .args(["reset", "-q", "--hard", "HEAD~2"])
        .status()
        .unwrap();
    assert!(status.success());
    let out = run(demo
        .grabbag()
        .env("GRABBAG_LIBRARY", &behind)
        .args(["sync", "--require-signed"])
        .arg(&usb));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("Fast-forwarded"), "{}", out.stdout);
    assert_eq!(out.stdout.matches("  added ").count(), 2, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("New tip signed by demo-signer@grabbag.example."),
        "{}",
        out.stdout
    );
    let again = run(demo
        .grabbag()
        .env("GRABBAG_LIBRARY", &behind)
        .arg("sync")
        .arg(&usb));
    assert_eq!(again.code, 0);
    assert!(
        again.stdout.starts_with("Already up to date"),
        "{}",
        again.stdout
    );
    // A stick from another library entirely is refused, with what to do.
    let other = run(demo
        .grabbag()
        .env("GRABBAG_LIBRARY", &behind)
        .arg("sync")
        .arg(field.join("library")));
    assert_eq!(other.code, 2, "{}", other.stdout);
    assert!(other.stderr.starts_with("error: "), "{}", other.stderr);
}

#[test]
fn unsigned_update_on_the_stick_is_refused_with_exit_1() {
    if !have("git", "unsigned_update_on_the_stick_is_refused_with_exit_1") {
        return;
    }
    let demo = Demo::build();
    let field = demo.home.path().join("field");
    let status = Command::new("git")
        .args(["clone", "-q"])
        .arg(&demo.library)
        .arg(&field)
        .env("HOME", demo.home.path())
        .status()
        .unwrap();
    assert!(status.success());
    // An unsigned change lands in the source library.
    let repo = git2::Repository::open(&demo.library).unwrap();
    repo.config()
        .unwrap()
        .set_bool("commit.gpgsign", false)
        .unwrap();
    let draft = demo.library.join("cyber/unsigned.toml");
    std::fs::write(
        &draft,
        crate::harness::runbook_text("cyber/unsigned", "Unsigned"),
    )
    .unwrap();
    assert_eq!(
        run(demo
            .grabbag()
            .args(["seal", "-m", "Unsigned change"])
            .arg(&draft))
        .code,
        0
    );
    let before = git2::Repository::open(&field)
        .unwrap()
        .head()
        .unwrap()
        .target();
    let out = run(demo
        .grabbag()
        .env("GRABBAG_LIBRARY", &field)
        .args(["sync", "--require-signed"])
        .arg(&demo.library));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("\"Unsigned change\""), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("is not trusted (unsigned): with signatures required, sync refuses it"),
        "{}",
        out.stderr
    );
    let after = git2::Repository::open(&field)
        .unwrap()
        .head()
        .unwrap()
        .target();
    assert_eq!(before, after, "a refused sync changes nothing");
}

#[test]
fn demo_exercise_runs_are_sealed_and_still_score() {
    let demo = Demo::build();
    let runs = demo.library.join("exercises/runs");
    let journals = grabbag::journal::store::journals_in(&runs);
    assert_eq!(journals.len(), 6, "{journals:?}");
    for journal in &journals {
        let bytes = std::fs::read(journal).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        // No event in the clear: no runbook title, no note, no decision.
        assert!(
            !text.contains("\"event\""),
            "{}: plaintext",
            journal.display()
        );
        assert!(text.starts_with("{\"seq\":1,"), "{}", journal.display());
        assert!(text.contains("\"journal_key\""), "{}", journal.display());
        let out = run(demo.grabbag().args(["journal", "verify"]).arg(journal));
        assert_eq!(out.code, 0, "{}", out.stdout);
        assert!(out.stdout.contains("encrypted"), "{}", out.stdout);
    }
    // With the identity they score as recorded.
    let out = run(demo.grabbag().args(["exercise", "check"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("6 run(s): no drift"), "{}", out.stdout);
    let out = run(demo
        .grabbag()
        .args(["exercise", "score"])
        .arg(runs.join("total-it-loss.jsonl")));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("Overall 89%"), "{}", out.stdout);
}
