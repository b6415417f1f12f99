//! The library end to end: real git repositories, real age, the real binary.
//! Every bad input named in the issue has a test with its exact message, and
//! each checks that the rest of the library still loads.

use std::path::Path;

use grabbag::library::LoadOptions;

use crate::harness::{TestLibrary, grabbag, run, runbook_text};

fn two_runbooks() -> TestLibrary {
    TestLibrary::with(&[
        ("cyber/alpha.toml", &runbook_text("cyber/alpha", "Alpha")),
        ("cyber/beta.toml", &runbook_text("cyber/beta", "Beta")),
    ])
}

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 29).expect("valid date")
}

fn options() -> LoadOptions {
    LoadOptions {
        today: today(),
        require_signed: false,
    }
}

#[test]
fn loaded_runbooks_carry_commit_and_blob() {
    let lib = two_runbooks();
    let report = lib
        .library
        .load(Some(&lib.identities), &options())
        .expect("loads");
    assert_eq!(report.runbooks.len(), 2);
    assert!(report.failures.is_empty());
    let alpha = report.get("cyber/alpha").expect("alpha loaded");
    let head = lib.library.repo().head().unwrap().peel_to_commit().unwrap();
    assert_eq!(
        alpha.version.commit.as_deref(),
        Some(head.id().to_string().as_str())
    );
    let blob = head
        .tree()
        .unwrap()
        .get_path(Path::new("cyber/alpha.toml.age"))
        .unwrap()
        .id();
    assert_eq!(
        alpha.version.blob.as_deref(),
        Some(blob.to_string().as_str())
    );
    assert!(!alpha.version.dirty);
    assert!(alpha.encrypted);
}

#[test]
fn version_is_the_last_commit_that_changed_the_file() {
    let lib = two_runbooks();
    let first = lib
        .library
        .repo()
        .head()
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id();
    lib.library
        .write_encrypted(
            Path::new("cyber/beta.toml.age"),
            runbook_text("cyber/beta", "Beta v2").as_bytes(),
            &lib.identities,
        )
        .unwrap();
    lib.library
        .stage(&[Path::new("cyber/beta.toml.age")])
        .unwrap();
    let second = lib.library.commit("Change beta", None).unwrap();
    let report = lib.library.load(Some(&lib.identities), &options()).unwrap();
    assert_eq!(
        report.get("cyber/alpha").unwrap().version.commit,
        Some(first.to_string())
    );
    assert_eq!(
        report.get("cyber/beta").unwrap().version.commit,
        Some(second.to_string())
    );
    let history = lib
        .library
        .history(Path::new("cyber/beta.toml.age"))
        .unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].summary, "Change beta");
}

#[test]
fn changed_and_untracked_files_are_dirty() {
    let lib = two_runbooks();
    lib.library
        .write_encrypted(
            Path::new("cyber/alpha.toml.age"),
            runbook_text("cyber/alpha", "Alpha edited").as_bytes(),
            &lib.identities,
        )
        .unwrap();
    std::fs::write(lib.root.join("draft.toml"), runbook_text("draft", "Draft")).unwrap();
    let report = lib.library.load(Some(&lib.identities), &options()).unwrap();
    assert!(report.get("cyber/alpha").unwrap().version.dirty);
    assert!(!report.get("cyber/beta").unwrap().version.dirty);
    let draft = report.get("draft").unwrap();
    assert!(draft.version.dirty && !draft.encrypted && draft.version.commit.is_none());
    let out = run(lib.grabbag().arg("list"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let draft_line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("draft "))
        .expect("draft listed");
    assert!(draft_line.contains("[DIRTY UNENCRYPTED]"), "{draft_line}");
    let alpha_line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("cyber/alpha "))
        .expect("alpha listed");
    assert!(
        alpha_line.contains("+dirty") && alpha_line.contains("DIRTY"),
        "{alpha_line}"
    );
}

/// Runs `list` and returns (exit code, stdout, stderr), checking that the good
/// runbook `cyber/alpha` still loads whatever else is broken.
fn list_with_breakage(lib: &TestLibrary) -> (i32, String, String) {
    let out = run(lib.grabbag().arg("list"));
    assert!(
        out.stdout.contains("cyber/alpha "),
        "the good runbook must still load:\n{}{}",
        out.stdout,
        out.stderr
    );
    (out.code, out.stdout, out.stderr)
}

#[test]
fn malformed_toml_names_file_and_place() {
    let lib = two_runbooks();
    let bad = "title = \"Broken\nkind = \"cyber\"\n";
    lib.library
        .write_encrypted(
            Path::new("cyber/beta.toml.age"),
            bad.as_bytes(),
            &lib.identities,
        )
        .unwrap();
    let (code, _, stderr) = list_with_breakage(&lib);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("warning: cyber/beta.toml.age:1:16 did not load: invalid TOML: invalid basic string, expected `\"`"),
        "{stderr}"
    );
    let lint = run(lib.grabbag().arg("lint"));
    assert_eq!(lint.code, 1);
    assert!(
        lint.stdout.contains("cyber/beta.toml.age:1:16"),
        "{}",
        lint.stdout
    );
}

#[test]
fn missing_identity_is_explained_per_file() {
    let lib = two_runbooks();
    std::fs::write(lib.root.join("plain.toml"), runbook_text("plain", "Plain")).unwrap();
    let out = run(grabbag(lib.home.path())
        .env("GRABBAG_LIBRARY", &lib.root)
        .arg("list"));
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("plain "),
        "plaintext still loads: {}",
        out.stdout
    );
    assert!(out.stderr.contains(
        "warning: 2 files did not load: cannot decrypt: no identity (use --identity, GRABBAG_IDENTITY or the config file; `grabbag init` makes one)\n  cyber/alpha.toml.age\n"
    ), "{}", out.stderr);
}

#[test]
fn identity_that_is_not_a_recipient_says_who_is() {
    let lib = two_runbooks();
    let other = lib.home.path().join("other.txt");
    let stranger = grabbag::crypto::Identity::generate();
    let stranger_key = stranger.public_key();
    stranger.write(&other, None).unwrap();
    let out = run(lib.grabbag().env("GRABBAG_IDENTITY", &other).arg("list"));
    assert_eq!(out.code, 1);
    let recipients = lib.identities.public_keys().join(", ");
    let expected = format!(
        "warning: 2 files did not load: cannot decrypt: no identity can decrypt this file: it is encrypted to 1 recipient(s), and the identity tried ({stranger_key}) is not one of them (identity file {}); .grabbag/recipients lists: {recipients}",
        other.display()
    );
    assert!(
        out.stderr.contains(&expected),
        "{}\nexpected: {expected}",
        out.stderr
    );
}

#[test]
fn truncated_and_altered_ciphertext_are_refused() {
    let lib = TestLibrary::with(&[
        ("cyber/alpha.toml", &runbook_text("cyber/alpha", "Alpha")),
        ("cyber/beta.toml", &runbook_text("cyber/beta", "Beta")),
        ("cyber/gamma.toml", &runbook_text("cyber/gamma", "Gamma")),
    ]);
    let beta = lib.root.join("cyber/beta.toml.age");
    let bytes = std::fs::read(&beta).unwrap();
    std::fs::write(&beta, &bytes[..bytes.len() - 20]).unwrap();
    let gamma = lib.root.join("cyber/gamma.toml.age");
    let mut bytes = std::fs::read(&gamma).unwrap();
    let at = bytes.len() - 30;
    bytes[at] ^= 0x40;
    std::fs::write(&gamma, &bytes).unwrap();
    let (code, _, stderr) = list_with_breakage(&lib);
    assert_eq!(code, 1);
    // Losing the end of the last chunk looks like tampering to age's STREAM
    // construction (and is: the tag no longer matches), so the wording varies
    // between "truncated" and "does not authenticate"; the refusal does not.
    // Both can fail with the same words: then they are said once, both named.
    for file in ["cyber/beta.toml.age", "cyber/gamma.toml.age"] {
        assert!(stderr.contains(file), "{stderr}");
    }
    assert!(
        stderr.contains("did not load: cannot decrypt: damaged or altered ciphertext: "),
        "{stderr}"
    );
    assert!(stderr.contains("did not load: cannot decrypt: damaged or altered ciphertext: payload does not authenticate (decryption error)"), "{stderr}");
    std::fs::write(&beta, b"age-encryption.org/v1\n-> nonsense\n").unwrap();
    std::fs::write(&gamma, b"title = \"plaintext posing as ciphertext\"\n").unwrap();
    let (_, _, stderr) = list_with_breakage(&lib);
    assert!(stderr.contains("cyber/beta.toml.age did not load: cannot decrypt: damaged or altered ciphertext: the file is truncated"), "{stderr}");
    assert!(stderr.contains("cyber/gamma.toml.age did not load: cannot decrypt: damaged or altered ciphertext: not an age file (no age header)"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn symlink_out_of_the_library_is_refused() {
    let lib = two_runbooks();
    let outside = lib.home.path().join("outside.toml");
    std::fs::write(&outside, runbook_text("outside", "Outside")).unwrap();
    std::os::unix::fs::symlink(&outside, lib.root.join("cyber/escape.toml")).unwrap();
    std::os::unix::fs::symlink(lib.home.path(), lib.root.join("linked-dir")).unwrap();
    let (code, stdout, stderr) = list_with_breakage(&lib);
    assert_eq!(code, 1);
    assert!(!stdout.contains("outside"), "{stdout}");
    let real = outside.canonicalize().unwrap();
    assert!(stderr.contains(&format!(
        "warning: cyber/escape.toml did not load: refused: symlink leads outside the library (to {})",
        real.display()
    )), "{stderr}");
    assert!(
        stderr.contains(
            "warning: linked-dir did not load: refused: symlink leads outside the library"
        ),
        "{stderr}"
    );
}

#[test]
fn oversized_and_non_utf8_files_are_refused() {
    let lib = two_runbooks();
    std::fs::write(lib.root.join("huge.toml"), vec![b'#'; 1024 * 1024 + 1]).unwrap();
    lib.library
        .write_encrypted(
            Path::new("cyber/latin1.toml.age"),
            b"title = \"caf\xe9\"\n",
            &lib.identities,
        )
        .unwrap();
    let (code, _, stderr) = list_with_breakage(&lib);
    assert_eq!(code, 1);
    assert!(stderr.contains("warning: huge.toml did not load: file is 1048577 bytes; runbooks are limited to 1048576 bytes (1 MiB)"), "{stderr}");
    assert!(stderr.contains("warning: cyber/latin1.toml.age did not load: not valid UTF-8 text (first bad byte at offset 12)"), "{stderr}");
}

#[test]
fn duplicate_runbook_ids_are_reported() {
    let lib = two_runbooks();
    std::fs::write(
        lib.root.join("copy.toml"),
        runbook_text("cyber/alpha", "Copy of alpha"),
    )
    .unwrap();
    let (code, _, stderr) = list_with_breakage(&lib);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("duplicate runbook id `cyber/alpha`"),
        "{stderr}"
    );
}

#[test]
fn show_prints_readable_text_and_json() {
    let lib = two_runbooks();
    let out = run(lib.grabbag().args(["show", "cyber/alpha"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("Alpha\n=====\nid cyber/alpha · cyber · severity high"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("[ ] 1. First step [first]"),
        "{}",
        out.stdout
    );
    let out = run(lib.grabbag().args(["show", "--json", "cyber/alpha"]));
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["runbook"]["steps"][1]["id"], "second");
    assert_eq!(v["encrypted"], true);
    let out = run(lib.grabbag().args(["show", "cyber/nope"]));
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "error: no runbook with id `cyber/nope` (try `grabbag list`)\n"
    );
}

#[test]
fn list_json_has_versions_and_badges_data() {
    let lib = two_runbooks();
    let out = run(lib.grabbag().args(["list", "--json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let first = &v["runbooks"][0];
    assert_eq!(first["runbook"]["id"], "cyber/alpha");
    assert_eq!(first["version"]["dirty"], false);
    assert_eq!(first["version"]["commit"].as_str().map(str::len), Some(40));
    assert_eq!(first["trust"]["status"], "not_checked");
    assert_eq!(v["failures"].as_array().map(Vec::len), Some(0));
}

#[test]
fn seal_lints_encrypts_stages_and_removes_plaintext() {
    let lib = two_runbooks();
    let draft = lib.root.join("continuity/new.toml");
    std::fs::create_dir_all(draft.parent().unwrap()).unwrap();
    std::fs::write(&draft, runbook_text("continuity/new", "New")).unwrap();
    let bad = lib.root.join("bad.toml");
    std::fs::write(&bad, "title = 1\n").unwrap();
    let out = run(lib
        .grabbag()
        .args(["seal", "-m", "Seal new runbook"])
        .arg(&draft)
        .arg(&bad));
    assert_eq!(
        out.code, 1,
        "bad.toml fails lint: {}{}",
        out.stdout, out.stderr
    );
    assert!(
        out.stderr.contains("not sealed because lint found errors"),
        "{}",
        out.stderr
    );
    assert!(bad.exists(), "a file that failed lint is left alone");
    assert!(!draft.exists(), "plaintext removed");
    let sealed = std::fs::read(lib.root.join("continuity/new.toml.age")).unwrap();
    assert!(grabbag::crypto::is_age(&sealed));
    assert!(!String::from_utf8_lossy(&sealed).contains("New"));
    let head = lib.library.repo().head().unwrap().peel_to_commit().unwrap();
    assert_eq!(head.summary().ok().flatten(), Some("Seal new runbook"));
    assert!(
        head.tree()
            .unwrap()
            .get_path(Path::new("continuity/new.toml.age"))
            .is_ok()
    );
    let out = run(lib.grabbag().args(["show", "continuity/new"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn seal_refuses_files_outside_the_library() {
    let lib = two_runbooks();
    let outside = lib.home.path().join("elsewhere.toml");
    std::fs::write(&outside, runbook_text("x", "X")).unwrap();
    let out = run(lib.grabbag().arg("seal").arg(&outside));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("is outside the library"),
        "{}",
        out.stderr
    );
    assert!(outside.exists());
}

#[cfg(unix)]
#[test]
fn edit_reencrypts_commits_and_leaves_no_plaintext() {
    let lib = two_runbooks();
    let editor = lib.home.path().join("editor.sh");
    std::fs::write(&editor, "#!/bin/sh\nsed -i 's/Alpha/Alpha edited/' \"$1\"\necho \"$1\" > \"$(dirname \"$0\")/edited-path\"\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(lib
        .grabbag()
        .env("EDITOR", &editor)
        .args(["edit", "cyber/alpha"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("Saved cyber/alpha: committed"),
        "{}",
        out.stdout
    );
    let used = std::fs::read_to_string(lib.home.path().join("edited-path")).unwrap();
    let used = Path::new(used.trim());
    // The test's XDG_RUNTIME_DIR is an ordinary folder, not tmpfs: the
    // scratch goes to a RAM-backed one instead (/dev/shm here).
    assert!(
        !used.starts_with(lib.home.path().join("runtime")),
        "scratch never on a runtime dir that is not RAM-backed: {}",
        used.display()
    );
    assert!(
        !used.exists() && !used.parent().unwrap().exists(),
        "scratch removed"
    );
    let show = run(lib.grabbag().args(["show", "cyber/alpha"]));
    assert!(show.stdout.starts_with("Alpha edited\n"), "{}", show.stdout);
    let head = lib.library.repo().head().unwrap().peel_to_commit().unwrap();
    assert_eq!(head.summary().ok().flatten(), Some("Edit cyber/alpha"));
}

#[cfg(unix)]
#[test]
fn edit_with_lint_errors_changes_nothing_and_cleans_up() {
    let lib = two_runbooks();
    let before = std::fs::read(lib.root.join("cyber/alpha.toml.age")).unwrap();
    let editor = lib.home.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nsed -i 's/^title = .*/titel = \"oops\"/' \"$1\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(lib
        .grabbag()
        .env("EDITOR", &editor)
        .args(["edit", "cyber/alpha"])
        .stdin(std::process::Stdio::null()));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("did you mean `title`?"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "error: lint found errors: the runbook was not changed; your edit is kept sealed at "
        ),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read(lib.root.join("cyber/alpha.toml.age")).unwrap(),
        before
    );
    let leftovers: Vec<_> = std::fs::read_dir(lib.home.path().join("runtime"))
        .unwrap()
        .collect();
    assert!(leftovers.is_empty(), "scratch removed: {leftovers:?}");
}

#[test]
fn rekey_reencrypts_to_new_recipients_and_warns_about_history() {
    let lib = two_runbooks();
    let newcomer = grabbag::crypto::Identity::generate();
    let newcomer_key = newcomer.public_key();
    let newcomer_path = lib.home.path().join("newcomer.txt");
    newcomer.write(&newcomer_path, None).unwrap();
    let recipients = lib.root.join(".grabbag/recipients");
    let mut text = std::fs::read_to_string(&recipients).unwrap();
    text.push_str(&format!("{newcomer_key}\n"));
    std::fs::write(&recipients, text).unwrap();
    let out = run(lib.grabbag().arg("rekey"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("Rekey 2 runbook(s) and 0 exercise(s) to 2 recipient(s): committed"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("earlier versions in git history are still encrypted to the old recipients"),
        "{}",
        out.stdout
    );
    let out = run(lib
        .grabbag()
        .env("GRABBAG_IDENTITY", &newcomer_path)
        .arg("list"));
    assert_eq!(
        out.code, 0,
        "the newcomer can read everything: {}",
        out.stderr
    );
}

#[test]
fn init_makes_private_identity_and_config() {
    let home = tempfile::tempdir().unwrap();
    let lib = home.path().join("lib");
    let out = run(grabbag(home.path()).arg("init").arg(&lib));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let identity = home.path().join("config/identity.txt");
    assert!(
        out.stdout
            .contains(&format!("Made a new identity: {}", identity.display())),
        "{}",
        out.stdout
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&identity), 0o600);
        assert_eq!(mode(&home.path().join("config")), 0o700);
        assert_eq!(mode(&home.path().join("config/config.toml")), 0o600);
    }
    assert!(lib.join(".git").is_dir() && lib.join(".grabbag/recipients").is_file());
    // The config now names the library: commands work with no flags.
    std::fs::write(lib.join("draft.toml"), runbook_text("draft", "Draft")).unwrap();
    let out = run(grabbag(home.path())
        .args(["seal", "-m", "first"])
        .arg(lib.join("draft.toml")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(grabbag(home.path()).arg("list"));
    assert!(out.stdout.contains("draft "), "{}", out.stdout);
    let again = run(grabbag(home.path()).arg("init").arg(&lib));
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("already holds a grabbag library"),
        "{}",
        again.stderr
    );
}

#[test]
fn passphrase_protected_identity_round_trips() {
    let home = tempfile::tempdir().unwrap();
    let lib = home.path().join("lib");
    let identity = home.path().join("protected.age");
    let out = run(grabbag(home.path())
        .env("GRABBAG_PASSPHRASE", "correct horse battery staple")
        .arg("--identity")
        .arg(&identity)
        .args(["init", "--passphrase"])
        .arg(&lib));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        std::fs::read(&identity)
            .unwrap()
            .starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
    );
    std::fs::write(lib.join("a.toml"), runbook_text("a", "A")).unwrap();
    let out = run(grabbag(home.path())
        .env("GRABBAG_PASSPHRASE", "correct horse battery staple")
        .env("GRABBAG_IDENTITY", &identity)
        .env("GRABBAG_LIBRARY", &lib)
        .arg("seal")
        .arg(lib.join("a.toml")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(grabbag(home.path())
        .env("GRABBAG_PASSPHRASE", "wrong")
        .env("GRABBAG_IDENTITY", &identity)
        .env("GRABBAG_LIBRARY", &lib)
        .arg("list"));
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        format!("error: {}: wrong passphrase\n", identity.display())
    );
}

#[test]
fn not_a_library_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    let out = run(grabbag(home.path())
        .env("GRABBAG_LIBRARY", home.path())
        .arg("list"));
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        format!(
            "error: {} is not a grabbag library (no git repository with .grabbag/ in it)\n",
            home.path().display()
        )
    );
    let out = run(grabbag(home.path()).arg("list"));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("pass --library DIR, set GRABBAG_LIBRARY"),
        "{}",
        out.stderr
    );
}
