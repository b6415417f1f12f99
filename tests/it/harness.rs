//! Shared helpers: run the real binary in an isolated environment, build real
//! libraries, and skip (with a printed reason) when an outside tool is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use grabbag::crypto::{Identities, Identity};
use grabbag::library::Library;

/// The real `grabbag` binary, with no settings leaking in from the user: its
/// config dir and HOME point into `home`.
pub fn grabbag(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_grabbag"));
    for var in [
        "GRABBAG_LIBRARY",
        "GRABBAG_IDENTITY",
        "GRABBAG_PASSPHRASE",
        "GRABBAG_ACTOR_NAME",
        "GRABBAG_ACTOR_ROLE",
        "GRABBAG_THEME",
        "GRABBAG_PLUGIN_TIMEOUT",
        "VISUAL",
        "EDITOR",
        "NO_COLOR",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("GRABBAG_CONFIG_DIR", home.join("config"))
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", home.join("runtime"))
        .env("TMPDIR", home.join("tmp"));
    let _ = std::fs::create_dir_all(home.join("runtime"));
    let _ = std::fs::create_dir_all(home.join("tmp"));
    cmd
}

/// What a run of the binary printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("the grabbag binary runs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// True when `tool` runs; otherwise prints why the calling test is skipped.
pub fn have(tool: &str, test: &str) -> bool {
    let ok = crate::support::have(tool);
    if !ok {
        eprintln!("SKIPPED {test}: `{tool}` is not installed (.ci/run installs it where it can)");
    }
    ok
}

/// A library made with the crate's own API: real git, real age.
pub struct TestLibrary {
    pub home: tempfile::TempDir,
    pub root: PathBuf,
    pub identity_path: PathBuf,
    pub identities: Identities,
    pub library: Library,
}

/// A minimal valid runbook with the given id.
pub fn runbook_text(id: &str, title: &str) -> String {
    format!(
        "id = \"{id}\"\ntitle = \"{title}\"\nkind = \"cyber\"\nseverity = \"high\"\nowner = \"ICT Security Lead\"\n\
         reviewed = 2026-09-01\nreview_every_months = 120\nsummary = \"Test runbook.\"\n\n\
         [[steps]]\nid = \"first\"\ntitle = \"First step\"\ndo = \"Do the first thing.\"\n\n\
         [[steps]]\nid = \"second\"\ntitle = \"Second step\"\n"
    )
}

impl TestLibrary {
    /// A library with the given runbooks (relative path without `.age`,
    /// text), each encrypted and committed.
    pub fn with(runbooks: &[(&str, &str)]) -> Self {
        let home = tempfile::tempdir().expect("temp dir");
        let identity_path = home.path().join("identity.txt");
        let identity = Identity::generate();
        identity
            .write(&identity_path, None)
            .expect("identity written");
        let root = home.path().join("library");
        let library = Library::init(&root, &[identity.public_key()], None).expect("library made");
        let identities = Identities::from_identity(identity, &identity_path);
        let mut paths = Vec::new();
        for (path, text) in runbooks {
            let path = PathBuf::from(format!("{path}.age"));
            library
                .write_encrypted(&path, text.as_bytes(), &identities)
                .expect("runbook sealed");
            paths.push(path);
        }
        let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        library.stage(&refs).expect("staged");
        library.commit("Add runbooks", None).expect("committed");
        Self {
            home,
            root,
            identity_path,
            identities,
            library,
        }
    }

    /// The binary, pointed at this library and identity.
    pub fn grabbag(&self) -> Command {
        let mut cmd = grabbag(self.home.path());
        cmd.env("GRABBAG_LIBRARY", &self.root)
            .env("GRABBAG_IDENTITY", &self.identity_path);
        cmd
    }
}

/// The sample library `grabbag demo` builds, through the real binary, in a
/// HOME of its own: encrypted, signed, with exercises and recorded runs.
pub struct Demo {
    pub home: tempfile::TempDir,
    /// The folder given to `demo --dir`.
    pub dir: PathBuf,
    pub library: PathBuf,
    pub identity: PathBuf,
    /// What `demo` printed.
    pub stdout: String,
}

impl Demo {
    pub fn build() -> Self {
        let home = tempfile::tempdir().expect("temp dir");
        let dir = home.path().join("demo");
        let out = run(grabbag(home.path())
            .args(["demo", "--no-tui", "--dir"])
            .arg(&dir));
        assert_eq!(out.code, 0, "{}", out.stderr);
        Self {
            library: dir.join("library"),
            identity: dir.join("keys/demo-identity.txt"),
            dir,
            home,
            stdout: out.stdout,
        }
    }

    /// The real binary, pointed at the demo library and identity, run from
    /// its HOME (outside any library).
    pub fn grabbag(&self) -> Command {
        let mut cmd = grabbag(self.home.path());
        cmd.env("GRABBAG_LIBRARY", &self.library)
            .env("GRABBAG_IDENTITY", &self.identity)
            .current_dir(self.home.path());
        cmd
    }
}
