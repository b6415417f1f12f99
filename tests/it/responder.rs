//! The responder's first hour, through the real binary: a second `demo` never
//! deletes a journal, `note` signs with a name the responder gave, the library
//! is found from inside it, and a journal signed with the responder's own key
//! reads as validly signed (issue 16).

use std::path::Path;

use grabbag::signing::Signer;

use crate::harness::{Demo, Run, grabbag, run};

/// `demo` run again on the same folder.
fn demo_again(demo: &Demo) -> Run {
    run(grabbag(demo.home.path())
        .args(["demo", "--no-tui", "--dir"])
        .arg(&demo.dir))
}

fn note(demo: &Demo, journal: &Path, text: &str) -> Run {
    run(demo.grabbag().arg("note").arg(journal).arg(text))
}

#[test]
fn a_second_demo_keeps_the_first_ones_journals() {
    let demo = Demo::build();
    let journal = demo.library.join("journals/2026-12-04-drill.jsonl");
    assert_eq!(note(&demo, &journal, "first note").code, 0);
    let before = std::fs::read(&journal).unwrap();

    let again = demo_again(&demo);
    assert_eq!(again.code, 2, "{}{}", again.stdout, again.stderr);
    for said in [
        "holds an earlier demo with 1 journal file(s), and grabbag never deletes a journal",
        "2026-12-04-drill.jsonl",
        "export GRABBAG_LIBRARY=",
        "choose another folder with --dir",
    ] {
        assert!(again.stderr.contains(said), "{said:?} in {}", again.stderr);
    }
    assert_eq!(std::fs::read(&journal).unwrap(), before);

    // Once the journal is moved out, the demo is rebuilt as before.
    std::fs::rename(&journal, demo.home.path().join("kept.jsonl")).unwrap();
    let rebuilt = demo_again(&demo);
    assert_eq!(rebuilt.code, 0, "{}", rebuilt.stderr);
}

#[test]
fn note_signs_with_the_last_session_or_the_login_name() {
    let demo = Demo::build();
    let journal = demo.home.path().join("j.jsonl");
    let config = demo.home.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("last-session.toml"),
        "incident = \"Drill\"\nname = \"Sam Okafor\"\nrole = \"Loggist\"\n",
    )
    .unwrap();
    assert_eq!(note(&demo, &journal, "from the last session").code, 0);
    std::fs::remove_file(config.join("last-session.toml")).unwrap();
    let out = run(demo
        .grabbag()
        .env("USER", "")
        .env("LOGNAME", "jo")
        .arg("note")
        .arg(&journal)
        .arg("from the login"));
    assert_eq!(out.code, 0, "{}", out.stderr);

    let export = run(demo
        .grabbag()
        .args(["journal", "export", "--format", "csv"])
        .arg(&journal));
    assert_eq!(export.code, 0, "{}", export.stderr);
    assert!(export.stdout.contains("Sam Okafor"), "{}", export.stdout);
    assert!(export.stdout.contains("Loggist"), "{}", export.stdout);
    assert!(
        export.stdout.contains("\"jo (responder)\""),
        "{}",
        export.stdout
    );
    assert!(!export.stdout.contains("unknown"), "{}", export.stdout);
}

#[test]
fn inside_a_library_no_setting_is_needed() {
    let demo = Demo::build();
    let below = demo.library.join("cyber");
    let list = |dir: &Path| {
        let mut cmd = grabbag(demo.home.path());
        cmd.current_dir(dir)
            .env("GRABBAG_IDENTITY", &demo.identity)
            .arg("list");
        run(&mut cmd)
    };
    for dir in [demo.library.clone(), below] {
        let out = list(&dir);
        assert_eq!(out.code, 0, "{}: {}", dir.display(), out.stderr);
        assert!(out.stdout.contains("cyber/ransomware"), "{}", out.stdout);
    }
    // Outside any library, the error says how to name one.
    let out = list(demo.home.path());
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains("run grabbag inside a library folder"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_journal_signed_with_the_responders_own_key_is_validly_signed() {
    let demo = Demo::build();
    let journal = demo.home.path().join("2026-12-04-own-key.jsonl");
    assert_eq!(note(&demo, &journal, "Called NCSC, ref 1234").code, 0);
    let signer = Signer::generate_ed25519("sam@laptop").unwrap();
    let key = demo.home.path().join("id_ed25519");
    signer.write_openssh_files(&key).unwrap();
    let signed = run(demo
        .grabbag()
        .args(["journal", "sign"])
        .arg(&journal)
        .arg("--key")
        .arg(&key));
    assert_eq!(signed.code, 0, "{}{}", signed.stdout, signed.stderr);

    let verify = run(demo.grabbag().args(["journal", "verify"]).arg(&journal));
    assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);
    assert!(
        verify
            .stdout
            .contains("valid, signer not in allowed_signers"),
        "{}",
        verify.stdout
    );
    assert!(!verify.stdout.contains("INVALID"), "{}", verify.stdout);

    let export = run(demo
        .grabbag()
        .args(["journal", "export", "--format", "md"])
        .arg(&journal));
    assert_eq!(export.code, 0, "{}", export.stderr);
    assert!(
        export
            .stdout
            .contains("Signed by a key not in allowed\\_signers: valid signature"),
        "{}",
        export.stdout
    );

    let audit = run(demo.grabbag().arg("audit"));
    assert!(!audit.stdout.contains("INVALID"), "{}", audit.stdout);

    let commit = run(demo.grabbag().args(["journal", "commit"]).arg(&journal));
    assert_eq!(commit.code, 0, "{}{}", commit.stdout, commit.stderr);

    let strict = run(demo
        .grabbag()
        .args(["journal", "verify", "--require-known-signer"])
        .arg(&journal));
    assert_eq!(strict.code, 1, "{}", strict.stdout);
}
