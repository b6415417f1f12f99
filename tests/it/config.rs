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
