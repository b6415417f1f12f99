//! Shared helpers for the integration tests: a sandbox where the real `git`
//! and `ssh-keygen` run without the user's configuration, and a way to skip
//! (with a printed reason) when a tool is not installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Whether `tool` can be started at all.
pub fn have(tool: &str) -> bool {
    match Command::new(tool).arg("-h").output() {
        Ok(_) => true,
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    }
}

/// Return from the test with a printed reason when any tool is missing.
#[macro_export]
macro_rules! require_tools {
    ($($tool:expr),+) => {
        $(
            if !$crate::support::have($tool) {
                eprintln!("skipped: `{}` is not installed", $tool);
                return;
            }
        )+
    };
}

/// A temporary HOME in which `git` and `ssh-keygen` run, isolated from the
/// user's and the system's git configuration.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    /// A new empty sandbox.
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The sandbox folder (also HOME for the tools).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the sandbox.
    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A command for `program` with the isolated environment.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        for var in [
            "GIT_DIR",
            "GIT_WORK_TREE",
            "GIT_INDEX_FILE",
            "GIT_OBJECT_DIRECTORY",
            "GIT_ALTERNATE_OBJECT_DIRECTORIES",
            "GIT_CONFIG",
            "GIT_CONFIG_PARAMETERS",
            "GIT_CONFIG_COUNT",
            "SSH_AUTH_SOCK",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.join(".gitconfig"))
            .env("GIT_AUTHOR_NAME", "Test Author")
            .env("GIT_AUTHOR_EMAIL", "author@council.example")
            .env("GIT_COMMITTER_NAME", "Test Author")
            .env("GIT_COMMITTER_EMAIL", "author@council.example")
            .env("GIT_TERMINAL_PROMPT", "0");
        cmd
    }

    /// Run `program args` in `dir`; panics with its output when it fails.
    pub fn run(&self, dir: &Path, program: &str, args: &[&str]) -> String {
        let output = self.run_output(dir, program, args);
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Run `program args` in `dir` and return its output, whatever the status.
    pub fn run_output(&self, dir: &Path, program: &str, args: &[&str]) -> Output {
        self.command(program)
            .args(args)
            .current_dir(dir)
            .output()
            .expect("start tool")
    }

    /// Run `program args` in `dir` with `input` on standard input (no shell).
    pub fn run_with_stdin(&self, dir: &Path, program: &str, args: &[&str], input: &[u8]) -> Output {
        use std::io::Write;
        use std::process::Stdio;
        let mut child = self
            .command(program)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tool");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
        child.wait_with_output().expect("wait for tool")
    }

    /// Run `git args` in `dir`.
    pub fn git(&self, dir: &Path, args: &[&str]) -> String {
        self.run(dir, "git", args)
    }

    /// `git init -b main` a fresh working repository at `name`.
    pub fn git_init(&self, name: &str) -> PathBuf {
        let dir = self.join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        self.git(&dir, &["init", "-q", "-b", "main"]);
        dir
    }

    /// Make an unencrypted Ed25519 key with the real ssh-keygen; returns the
    /// private key path (the public key is beside it with `.pub`).
    pub fn ssh_keygen(&self, name: &str, comment: &str) -> PathBuf {
        let key = self.join(name);
        let key_str = key.to_str().expect("utf-8 temp path");
        self.run(
            self.path(),
            "ssh-keygen",
            &[
                "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", key_str,
            ],
        );
        key
    }

    /// Signs the sandbox file `file` with the real `ssh-keygen -Y sign` in
    /// `namespace`; returns the armored signature (and removes `file.sig`).
    pub fn ssh_sign(&self, key: &Path, namespace: &str, file: &str) -> String {
        let key = key.to_str().expect("utf-8 temp path");
        self.run(
            self.path(),
            "ssh-keygen",
            &["-Y", "sign", "-q", "-n", namespace, "-f", key, file],
        );
        let sig_path = self.join(&format!("{file}.sig"));
        let sig = std::fs::read_to_string(&sig_path).expect("ssh-keygen wrote a signature");
        std::fs::remove_file(&sig_path).expect("signature removed");
        sig
    }
}

/// Write `contents` to `dir/rel`, creating parent folders.
pub fn write(dir: &Path, rel: &str, contents: &str) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, contents).expect("write");
}

/// The public key text (`ssh-ed25519 AAAA... comment`) beside a private key.
pub fn public_key(private: &Path) -> String {
    let mut path = private.as_os_str().to_owned();
    path.push(".pub");
    std::fs::read_to_string(PathBuf::from(path))
        .expect("read .pub")
        .trim()
        .to_owned()
}
