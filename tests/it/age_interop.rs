//! Interoperability with the reference `age` CLI, both ways: a runbook it
//! encrypted loads in grabbag, and one grabbag sealed decrypts with `age -d`.
//! Skipped, with a printed reason, where `age` is not installed.

use std::path::Path;
use std::process::Command;

use crate::harness::{TestLibrary, have, run, runbook_text};

#[test]
fn runbook_encrypted_by_age_cli_loads() {
    if !have("age", "runbook_encrypted_by_age_cli_loads") {
        return;
    }
    let lib = TestLibrary::with(&[("cyber/alpha.toml", &runbook_text("cyber/alpha", "Alpha"))]);
    let plain = lib.home.path().join("beta.toml");
    std::fs::write(&plain, runbook_text("cyber/beta", "Beta from age")).unwrap();
    for (armor, name) in [(false, "beta"), (true, "gamma")] {
        let target = lib.root.join(format!("cyber/{name}.toml.age"));
        if name == "gamma" {
            std::fs::write(
                &plain,
                runbook_text("cyber/gamma", "Gamma from age, armored"),
            )
            .unwrap();
        }
        let mut cmd = Command::new("age");
        cmd.arg("-R").arg(lib.root.join(".grabbag/recipients"));
        if armor {
            cmd.arg("-a");
        }
        let status = cmd.arg("-o").arg(&target).arg(&plain).status().unwrap();
        assert!(status.success());
    }
    let out = run(lib.grabbag().arg("list"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Beta from age"), "{}", out.stdout);
    assert!(
        out.stdout.contains("Gamma from age, armored"),
        "{}",
        out.stdout
    );
}

#[test]
fn sealed_runbook_decrypts_with_age_cli() {
    if !have("age", "sealed_runbook_decrypts_with_age_cli") {
        return;
    }
    let text = runbook_text("cyber/alpha", "Alpha");
    let lib = TestLibrary::with(&[("cyber/alpha.toml", &text)]);
    let out = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&lib.identity_path)
        .arg(lib.root.join(Path::new("cyber/alpha.toml.age")))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), text);
}

#[test]
fn identity_from_age_keygen_works() {
    if !have("age-keygen", "identity_from_age_keygen_works") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let key = home.path().join("key.txt");
    assert!(
        Command::new("age-keygen")
            .arg("-o")
            .arg(&key)
            .output()
            .unwrap()
            .status
            .success()
    );
    let lib = home.path().join("lib");
    let out = run(crate::harness::grabbag(home.path())
        .arg("--identity")
        .arg(&key)
        .arg("init")
        .arg(&lib));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let public = std::fs::read_to_string(&key).unwrap();
    let public = public
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_owned();
    assert!(
        std::fs::read_to_string(lib.join(".grabbag/recipients"))
            .unwrap()
            .contains(&public)
    );
}
