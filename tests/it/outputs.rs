//! Output that cannot be written, and output files, with the real binary:
//! a closed pipe or a full disk on standard output never panics (exit 101)
//! after a command has acted, and every `-o` file is written whole or not at
//! all, never through a link.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::harness::{Run, grabbag, run};

/// A demo library (encrypted, signed, with exercises) in its own home.
struct Demo {
    home: tempfile::TempDir,
    dir: PathBuf,
}

impl Demo {
    fn new() -> Self {
        let home = tempfile::tempdir().expect("temp dir");
        let dir = home.path().join("demo");
        let out = run(grabbag(home.path())
            .args(["demo", "--no-tui", "--dir"])
            .arg(&dir));
        assert_eq!(out.code, 0, "{}", out.stderr);
        Self { home, dir }
    }

    fn grabbag(&self) -> Command {
        let mut cmd = grabbag(self.home.path());
        cmd.env("GRABBAG_LIBRARY", self.dir.join("library"))
            .env("GRABBAG_IDENTITY", self.dir.join("keys/demo-identity.txt"))
            .current_dir(self.home.path());
        cmd
    }
}

/// Runs `cmd` with standard output a pipe whose reader is already gone.
fn closed_pipe(cmd: &mut Command) -> Run {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = cmd
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("the grabbag binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `cmd` with standard output on a device that is always full.
fn full_disk(cmd: &mut Command) -> Run {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    run(cmd.stdout(full))
}

/// How many notes the journal holds.
fn notes(journal: &Path) -> usize {
    let text = std::fs::read_to_string(journal).expect("journal");
    text.lines().filter(|l| l.contains("\"note\"")).count()
}

#[test]
fn no_command_panics_when_standard_output_fails() {
    if !Path::new("/dev/full").exists() {
        eprintln!("SKIPPED no_command_panics_when_standard_output_fails: no /dev/full");
        return;
    }
    let demo = Demo::new();
    let journal = demo.home.path().join("j.jsonl");
    let note = |text: &str| {
        let mut cmd = demo.grabbag();
        cmd.args(["note", "--plaintext"]).arg(&journal).arg(text);
        cmd
    };
    // A full disk after the note is on disk: exit 2, and the message says it
    // WAS recorded, so a script does not record it twice.
    let out = full_disk(&mut note("first"));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("the note WAS recorded as seq"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("No space left on device"),
        "{}",
        out.stderr
    );
    assert_eq!(notes(&journal), 1);
    // A closed pipe: quiet, and the command's own status.
    let out = closed_pipe(&mut note("second"));
    assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{out:?}");
    assert_eq!(notes(&journal), 2);

    let journal_arg = journal.display().to_string();
    let commands: [&[&str]; 5] = [
        &["list"],
        &["lint"],
        &["journal", "verify", &journal_arg],
        &["exercise", "check"],
        &["show", "cyber/ransomware"],
    ];
    for args in commands {
        let normal = run(demo.grabbag().args(args));
        assert!(!normal.stdout.is_empty(), "{args:?} prints something");
        let out = full_disk(demo.grabbag().args(args));
        assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(
            out.stderr.contains("cannot write to standard output"),
            "{args:?}: {}",
            out.stderr
        );
        let out = closed_pipe(demo.grabbag().args(args));
        assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
        assert_eq!(out.code, normal.code, "{args:?}: {out:?}");
    }
}
