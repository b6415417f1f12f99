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
use crate::journal;
use crate::library::{self, ALLOWED_SIGNERS_FILE, Library, LoadOptions};
use crate::runbook;
use crate::samples::{SAMPLE_EXERCISES, SAMPLE_RUNBOOKS, SAMPLE_RUNS};
use crate::signing::Signer;

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

/// Empties `dir` if an earlier demo made it and holds no journal of the
/// user's; refuses any other non-empty folder.
fn prepare(dir: &Path) -> anyhow::Result<()> {
    if dir.join(MARKER).exists() {
        // A response tried on the demo is still a record someone made:
        // grabbag never deletes a journal, so the old demo stays as it is.
        let journals = user_journals(dir);
        if !journals.is_empty() {
            let listed: Vec<String> = journals
                .iter()
                .take(5)
                .map(|p| format!("  {}", p.display()))
                .collect();
            let more = journals.len().saturating_sub(listed.len());
            bail!(
                "{dir} holds an earlier demo with {n} journal file(s), and grabbag never deletes a journal:\n{list}{more}\n\
                 To keep using that demo:\n  export GRABBAG_LIBRARY={library}\n  export GRABBAG_IDENTITY={identity}\n\
                 To build a fresh one, move those journals out of {dir} first, or choose another folder with --dir.",
                dir = dir.display(),
                n = journals.len(),
                list = listed.join("\n"),
                more = if more > 0 {
                    format!("\n  and {more} more")
                } else {
                    String::new()
                },
                library = shell_quote(&dir.join("library")),
                identity = shell_quote(&dir.join("keys").join("demo-identity.txt")),
            );
        }
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
        Signer::generate_ed25519("grabbag demo signing key (generated; not for real use)")?;
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
    // journals, made by a script, that name runbooks and what was done) are
    // sealed to the library's recipients like any journal grabbag writes.
    // Committed before the runbooks, so the runbooks stay the library's
    // latest commits.
    let exercises = Path::new(EXERCISES_DIR);
    let runs = library.root().join(exercises).join(RUNS_DIR);
    crate::fsutil::create_private_dir(&runs)
        .with_context(|| format!("creating {}", runs.display()))?;
    let mut added = Vec::new();
    for (name, text) in SAMPLE_EXERCISES {
        let path = exercises.join(format!("{name}.age"));
        library.write_encrypted(&path, text.as_bytes(), &ids)?;
        added.push(path);
    }
    for (name, text) in SAMPLE_RUNS {
        let path = exercises.join(RUNS_DIR).join(name);
        let full = library.root().join(&path);
        let bytes = if name.ends_with(".jsonl") {
            journal::store::sealed_copy(&full, text.as_bytes(), &library.recipients()?)?
        } else {
            text.as_bytes().to_vec()
        };
        crate::fsutil::write_new_private(&full, &bytes)
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
        "\nDelete {} when you are done; `grabbag demo` rebuilds it from scratch while it holds no journal of yours.\n",
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

/// A journal, or what holds part of one: its quarantined torn tail, its
/// signature or its rekeyed key (a `.lock` holds nothing of the record).
fn is_journal_file(name: &str) -> bool {
    [".jsonl", ".jsonl.torn", ".jsonl.sig", ".jsonl.key"]
        .iter()
        .any(|end| name.ends_with(end))
}

/// Journal files in an old demo folder that the demo did not ship (see
/// [`is_journal_file`]), outside the sample runs. Links are not followed.
fn user_journals(dir: &Path) -> Vec<PathBuf> {
    let samples: Vec<PathBuf> = SAMPLE_RUNS
        .iter()
        .map(|(name, _)| {
            dir.join("library")
                .join(EXERCISES_DIR)
                .join(RUNS_DIR)
                .join(name)
        })
        .collect();
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if entry.file_name() != ".git" {
                    folders.push(path);
                }
            } else if is_journal_file(&entry.file_name().to_string_lossy())
                && !samples.contains(&path)
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
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
