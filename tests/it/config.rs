//! The config file and its flags and environment variables, through the
//! real binary: a flag wins over the variable, which wins over the file.

use std::path::Path;

use grabbag::journal::Journal;

use crate::harness::{grabbag, run};

/// The actor of the last entry of a plaintext journal.
fn last_actor(path: &Path) -> (String, String) {
    let entries = Journal::read(path, None).unwrap();
    let actor = entries.last().and_then(|e| e.actor.clone()).unwrap();
    (actor.name, actor.role)
}

#[test]
fn actor_comes_from_flag_then_environment_then_file() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    crate::support::write(
        home,
        "config/config.toml",
        "actor_name = \"File Name\"\nactor_role = \"File Role\"\n",
    );
    let journal = home.join("j.jsonl");
    let note = |global: &[&str], env: &[(&str, &str)]| {
        let mut cmd = grabbag(home);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let (global, own) = match global.iter().position(|a| *a == "note") {
            Some(i) => (&global[..i], &global[i + 1..]),
            None => (global, &[][..]),
        };
        let out = run(cmd
            .args(global)
            .args(["note", "--plaintext"])
            .args(own)
            .arg(&journal)
            .arg("text"));
        assert_eq!(out.code, 0, "{}", out.stderr);
        last_actor(&journal)
    };
    assert_eq!(note(&[], &[]), ("File Name".into(), "File Role".into()));
    let env = [
        ("GRABBAG_ACTOR_NAME", "Env Name"),
        ("GRABBAG_ACTOR_ROLE", "Env Role"),
    ];
    assert_eq!(note(&[], &env), ("Env Name".into(), "Env Role".into()));
    assert_eq!(
        note(&["--actor-name", "Flag Name"], &env),
        ("Flag Name".into(), "Env Role".into())
    );
    // `note --actor/--role` name the writer of one note.
    assert_eq!(
        note(
            &[
                "--actor-name",
                "Flag Name",
                "note",
                "--actor",
                "One",
                "--role",
                "Once"
            ],
            &env
        ),
        ("One".into(), "Once".into())
    );
}

#[test]
fn mistakes_name_their_place_wherever_they_come_from() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    crate::support::write(home, "config/config.toml", "library = \"/x\"\ncolour = 1\n");
    let out = run(grabbag(home).arg("list"));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("config/config.toml:2:1: unknown field `colour`"),
        "{}",
        out.stderr
    );
    let out = run(grabbag(home).env("GRABBAG_THEME", "sepia").arg("list"));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("invalid value 'sepia'"),
        "{}",
        out.stderr
    );
    crate::support::write(home, "config/config.toml", "theme = \"sepia\"\n");
    let out = run(grabbag(home).arg("list"));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("config.toml:1:9: unknown variant `sepia`"),
        "{}",
        out.stderr
    );
    // A valid flag does not hide a broken file: the file is still read.
    let out = run(grabbag(home).args(["--theme", "high-contrast", "list"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
}

/// Runs `grabbag list` with `home`'s config, giving up (and killing it)
/// after a liveness limit: a command that hangs on a FIFO fails the test
/// instead of hanging the suite. Never a timing assertion.
fn list_within_limit(home: &Path, identity: Option<&Path>) -> crate::harness::Run {
    let mut cmd = grabbag(home);
    if let Some(identity) = identity {
        cmd.env("GRABBAG_IDENTITY", identity);
    }
    let mut child = cmd
        .arg("list")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("grabbag list hung (on a FIFO?)");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    crate::harness::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_fifo_or_a_device_as_config_or_identity_is_refused_by_name() {
    if !crate::harness::have(
        "mkfifo",
        "a_fifo_or_a_device_as_config_or_identity_is_refused_by_name",
    ) {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    std::fs::create_dir_all(home.join("config")).unwrap();
    let config = home.join("config/config.toml");
    let fifo = |path: &Path| {
        let _ = std::fs::remove_file(path);
        assert!(
            std::process::Command::new("mkfifo")
                .arg(path)
                .status()
                .unwrap()
                .success()
        );
    };
    fifo(&config);
    let out = list_within_limit(home, None);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("config.toml: is not a regular file"),
        "{}",
        out.stderr
    );

    // A link to /dev/zero: refused before a byte is read. The address-space
    // limit turns the old unbounded read into a failure, not a machine
    // out of memory.
    std::fs::remove_file(&config).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &config).unwrap();
    let out = run(std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 4000000; exec \"$@\"")
        .arg("sh")
        .arg(grabbag(home).get_program())
        .arg("list")
        .envs(grabbag(home).get_envs().filter_map(|(k, v)| Some((k, v?)))));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("config.toml: is not a regular file"),
        "{}",
        out.stderr
    );

    std::fs::remove_file(&config).unwrap();
    // The identity is read once there is a library to use it on.
    let out = run(grabbag(home).arg("init").arg(home.join("library")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let identity = home.join("identity.txt");
    fifo(&identity);
    let out = list_within_limit(home, Some(&identity));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("identity.txt: is not a regular file"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_empty_passphrase_from_the_environment_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let identity = home.join("id.txt");
    let out = run(grabbag(home)
        .env("GRABBAG_PASSPHRASE", "")
        .args(["keygen", "--passphrase", "-o"])
        .arg(&identity));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("GRABBAG_PASSPHRASE is set but empty"),
        "{}",
        out.stderr
    );
    assert!(!identity.exists());
    let out = run(grabbag(home)
        .env("GRABBAG_PASSPHRASE", "")
        .args(["init", "--passphrase"])
        .arg(home.join("library")));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("GRABBAG_PASSPHRASE is set but empty"),
        "{}",
        out.stderr
    );
}
