//! `grabbag demo`: a fresh, real sample library in one command.
//!
//! Everything is generated at run time (no key is shipped in the repository):
//! an age identity, an SSH signing key, and a git library where every sample
//! runbook is encrypted and every commit is signed and trusted through
//! `.grabbag/allowed_signers`. It is what a new user needs to try every command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use super::list::render_list;
use super::today;
use crate::crypto::{Identities, Identity};
use crate::exercise::files::{EXERCISES_DIR, RUNS_DIR};
use crate::library::trust::CommitSigner;
use crate::library::{self, ALLOWED_SIGNERS_FILE, Library, LoadOptions};
use crate::runbook;
use crate::samples::{SAMPLE_EXERCISES, SAMPLE_RUNBOOKS, SAMPLE_RUNS};

/// Arguments of `demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to build the demo (default: grabbag/demo in your local data folder).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Build the library and stop, without opening the interface.
    #[arg(long)]
    pub no_tui: bool,
    /// Look of the interface.
    #[command(flatten)]
    pub look: super::run::LookArgs,
}

/// Marks a folder as made by `demo`, so a rerun may replace it.
const MARKER: &str = ".grabbag-demo";
/// The principal of the demo signing key.
const DEMO_SIGNER: &str = "demo-signer@grabbag.example";

fn default_dir() -> PathBuf {
    dirs::data_local_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("grabbag")
        .join("demo")
}

/// Empties `dir` if an earlier demo made it; refuses any other non-empty folder.
fn prepare(dir: &Path) -> anyhow::Result<()> {
    if dir.join(MARKER).exists() {
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("removing the old demo in {}", dir.display()))?;
    } else if dir.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        bail!(
            "{} is not empty and was not made by `grabbag demo`: choose another folder with --dir",
            dir.display()
        );
    }
    crate::fsutil::create_private_dir(dir)?;
    std::fs::write(dir.join(MARKER), "made by `grabbag demo`; safe to delete\n")?;
    Ok(())
}

/// Builds the demo library in `dir`; returns the library, identity and key paths.
pub fn build(dir: &Path) -> anyhow::Result<(Library, Identities, PathBuf)> {
    prepare(dir)?;
    let keys = dir.join("keys");
    crate::fsutil::create_private_dir(&keys)?;
    let identity_path = keys.join("demo-identity.txt");
    let identity = Identity::generate();
    identity.write(&identity_path, None)?;
    let recipients = vec![identity.public_key()];
    let ids = Identities::from_identity(identity, &identity_path);

    let signing_key = keys.join("demo-signing-ed25519");
    let signer =
        CommitSigner::generate_ed25519("grabbag demo signing key (generated; not for real use)")?;
    signer.write_openssh_files(&signing_key)?;

    let library = Library::init(&dir.join("library"), &recipients, Some(&signer))?;
    library.configure_signing(&signing_key, "grabbag demo", DEMO_SIGNER)?;
    let allowed = library.root().join(ALLOWED_SIGNERS_FILE);
    std::fs::write(
        &allowed,
        format!("{}\n", signer.allowed_signers_line(DEMO_SIGNER)),
    )?;
    library.stage(&[Path::new(ALLOWED_SIGNERS_FILE)])?;
    library.commit("Trust the demo signing key", Some(&signer))?;

    // Exercises are encrypted like runbooks; their recorded runs (plaintext
    // journals, made by a script) are copied byte for byte so their hash
    // chains still verify. Committed before the runbooks, so the runbooks
    // stay the library's latest commits.
    let exercises = Path::new(EXERCISES_DIR);
    let runs = library.root().join(exercises).join(RUNS_DIR);
    std::fs::create_dir_all(&runs).with_context(|| format!("creating {}", runs.display()))?;
    let mut added = Vec::new();
    for (name, text) in SAMPLE_EXERCISES {
        let path = exercises.join(format!("{name}.age"));
        library.write_encrypted(&path, text.as_bytes(), &ids)?;
        added.push(path);
    }
    for (name, text) in SAMPLE_RUNS {
        let path = exercises.join(RUNS_DIR).join(name);
        std::fs::write(library.root().join(&path), text)
            .with_context(|| format!("writing the sample run {name}"))?;
        added.push(path);
    }
    let added: Vec<&Path> = added.iter().map(PathBuf::as_path).collect();
    library.stage(&added)?;
    library.commit(
        "Add the sample exercises and their recorded runs",
        Some(&signer),
    )?;
    for (name, text) in SAMPLE_RUNBOOKS {
        let target = PathBuf::from(format!("{name}.age"));
        let id = library::id_for(&target).unwrap_or_default();
        let checked = runbook::check(name, text, &id, today());
        let title = checked
            .runbook
            .as_ref()
            .map(|r| r.title.clone())
            .unwrap_or_default();
        library.write_encrypted(&target, text.as_bytes(), &ids)?;
        library.stage(&[&target])?;
        library.commit(&format!("Add {id}: {title}"), Some(&signer))?;
    }
    Ok((library, ids, signing_key))
}

/// Runs `demo`.
pub fn run(ctx: &super::Context, args: Args) -> anyhow::Result<ExitCode> {
    let dir = args.dir.unwrap_or_else(default_dir);
    let (library, ids, signing_key) = build(&dir)?;
    let dir = dir.canonicalize().unwrap_or(dir);
    let root = library.root().to_owned();
    outln!(
        "Built a demo library of {} encrypted, signed runbooks.\n",
        SAMPLE_RUNBOOKS.len()
    )?;
    outln!("  library        {}", root.display())?;
    outln!(
        "  age identity   {}   (demo only: generated now)",
        ids.origin().display()
    )?;
    outln!(
        "  signing key    {}   (demo only: generated now)",
        signing_key.display()
    )?;
    outln!("\nTo use it again from any shell:")?;
    outln!("  export GRABBAG_LIBRARY={}", shell_quote(&root))?;
    outln!("  export GRABBAG_IDENTITY={}", shell_quote(ids.origin()))?;
    outln!("  grabbag list            # what is in the library")?;
    outln!("  grabbag show cyber/ransomware")?;
    outln!("  grabbag lint            # check every runbook")?;
    outln!(
        "  grabbag exercise check  # exercises against the runbooks; re-score the recorded runs"
    )?;
    outln!(
        "  grabbag edit cyber/ransomware   # decrypt in memory, edit, re-encrypt, signed commit"
    )?;
    outln!(
        "  age -d -i \"$GRABBAG_IDENTITY\" \"$GRABBAG_LIBRARY/cyber/ransomware.toml.age\"   # any age tool reads it"
    )?;
    outln!(
        "\nDelete {} when you are done; `grabbag demo` rebuilds it from scratch.\n",
        dir.display()
    )?;
    if args.no_tui {
        return Ok(ExitCode::SUCCESS);
    }
    let report = library.load(
        Some(&ids),
        &LoadOptions {
            today: today(),
            require_signed: true,
        },
    )?;
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        out!("{}", render_list(&report))?;
        return Ok(ExitCode::SUCCESS);
    }
    let setup = super::run::setup(ctx, &library, report, Some(&ids), &args.look);
    super::run::open(setup, None, None)
}

fn shell_quote(path: &Path) -> String {
    let s = path.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
