//! The command line: clap definitions, dispatch, exit codes and output.
//!
//! Each subcommand lives in its own module and does three things only: turn
//! arguments into calls on the library, print the result for a person or (with
//! `--json`) for a tool, and choose the exit code. Exit codes follow DESIGN.md:
//! 0 ok, 1 findings (lint errors, verification failures), 2 usage or
//! environment errors (clap's own usage errors are 2 as well). Standard
//! output goes through [`out`] (`out!`, `outln!`), never `println!`: see there
//! for what a closed pipe or a full disk does.
// `println!` panics when standard output cannot be written.
#![deny(clippy::print_stdout)]

#[macro_use]
mod out;
mod act;
mod audit;
mod board;
mod cases;
mod completions;
mod demo;
mod edit;
mod exchange;
mod exercise;
mod exercise_run;
mod export;
mod import;
mod journal;
mod keys;
mod lesson;
mod lint;
mod list;
mod man;
mod note;
mod print;
mod replay;
mod review;
mod run;
mod seal;
mod sitrep;
mod status;
mod sync;

use std::cell::OnceCell;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow};
use clap::{Parser, Subcommand};

use crate::config::{self, Config};
use crate::crypto::{self, Identities};
use crate::journal::Actor;
use crate::library::{Library, LoadOptions, LoadReport};

/// grabbag: the offline grab bag for incident response and IT-outage continuity.
#[derive(Debug, Parser)]
#[command(name = "grabbag", version, about, long_about = None)]
pub struct Cli {
    /// The runbook library (a git working tree). Default: GRABBAG_LIBRARY, then the library the current folder is in, then the config file.
    #[arg(long, global = true, env = "GRABBAG_LIBRARY", value_name = "DIR")]
    pub library: Option<PathBuf>,
    /// The age identity file. Default: GRABBAG_IDENTITY, then the config file, then the one `init` made.
    #[arg(long, global = true, env = "GRABBAG_IDENTITY", value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// Who is at the keyboard (start form, notes). Default: GRABBAG_ACTOR_NAME, then the config file.
    #[arg(long, global = true, env = "GRABBAG_ACTOR_NAME", value_name = "NAME")]
    pub actor_name: Option<String>,
    /// Their role. Default: GRABBAG_ACTOR_ROLE, then the config file.
    #[arg(long, global = true, env = "GRABBAG_ACTOR_ROLE", value_name = "ROLE")]
    pub actor_role: Option<String>,
    /// How the interface looks. Default: GRABBAG_THEME, then the config file.
    #[arg(long, global = true, env = "GRABBAG_THEME", value_name = "THEME")]
    pub theme: Option<config::Theme>,
    /// How long an age plugin (a YubiKey...) may stay silent, outside its prompts, before grabbag gives up on it. Default: GRABBAG_PLUGIN_TIMEOUT, then the config file, then 60.
    #[arg(
        long,
        global = true,
        env = "GRABBAG_PLUGIN_TIMEOUT",
        value_name = "SECONDS",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub plugin_timeout: Option<u64>,
    /// What to do (default: `run`, the interface).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build an encrypted, signed, git-versioned sample library and show it.
    Demo(demo::Args),
    /// Make a new library: a git repository, a recipients file and (if needed) an identity.
    Init(keys::InitArgs),
    /// Make a new age identity.
    Keygen(keys::KeygenArgs),
    /// Lint, encrypt and stage plaintext runbooks, removing the plaintext.
    Seal(seal::SealArgs),
    /// Edit an encrypted runbook in $EDITOR, relint, re-encrypt and commit.
    Edit(edit::Args),
    /// Re-encrypt every runbook to the current recipients and commit.
    Rekey(seal::RekeyArgs),
    /// Check runbooks (plaintext or encrypted) and report every problem.
    Lint(lint::Args),
    /// List the library's runbooks.
    List(list::ListArgs),
    /// Print a runbook as readable text.
    Show(list::ShowArgs),
    /// Show a runbook's history.
    Log(list::LogArgs),
    /// Open the interface: choose a runbook, work a response, resume one.
    Run(run::Args),
    /// Append a note to a journal (starting one if needed), from a script or a second terminal.
    Note(note::Args),
    /// Take any action of a response or an exercise on a journal, checked by the same rules as the interface.
    Act(act::Args),
    /// Show a journal's response as it stands: runbooks, steps, decisions, clocks.
    Status(status::Args),
    /// List the cases a response handled, with fields and clock outcomes, for keying back.
    Cases(cases::Args),
    /// Every responder's journal of one incident in one live picture.
    Board(board::Args),
    /// A situation report for a Gold briefing or a shift handover.
    Sitrep(sitrep::Args),
    /// Verify, sign, witness, merge and commit journals.
    Journal(journal::Args),
    /// Tabletop exercises: lint, score and report recorded runs, check for drift.
    Exercise(exercise::Args),
    /// Fast-forward the library from a bare repository or a git bundle (USB stick).
    Sync(sync::Args),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions(completions::Args),
    /// Print the manual page, or write one page per subcommand with -o DIR.
    Man(man::Args),
    /// Print the paper pack: runbooks with tick boxes and blank decision-log sheets.
    Print(print::Args),
    /// One report on the library: the strategy's two questions, NCSC CAF objective D evidence, lessons, trend, reviews, signatures, exercises, journals.
    Audit(audit::Args),
    /// Lessons learned as tracked items: list, add, assign an owner or due date, close with evidence.
    Lesson(lesson::Args),
    /// Replay a recorded journal (a response or an exercise run) on the run screen, read-only.
    Replay(replay::Args),
    /// Review journals read-only: integrity, timeline with filters, versions followed, scores.
    Review(review::Args),
    /// Turn a plan in another format (CACAO 2.0 playbooks) into a runbook draft, or check it.
    Import(import::Args),
    /// Write a runbook in another format (CACAO 2.0 playbooks).
    Export(export::Args),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", crate::text::printable(&error_chain(&e)));
            // A closed pipe never gets here (see `out`); a full disk does.
            if e.chain().any(|c| c.is::<out::StdoutError>()) {
                eprintln!(
                    "note: only the output was lost: whatever the command had done before it stands"
                );
            }
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Generated from the definitions alone: no config file, library or key.
    match cli.command {
        Some(Command::Completions(args)) => return completions::run(args),
        Some(Command::Man(args)) => return man::run(args),
        _ => {}
    }
    let ctx = Context::new(Settings {
        library: cli.library,
        identity: cli.identity,
        actor_name: cli.actor_name,
        actor_role: cli.actor_role,
        theme: cli.theme,
        plugin_timeout: cli.plugin_timeout,
    })?;
    let Some(command) = cli.command else {
        return run::run(&ctx, run::Args::default());
    };
    match command {
        Command::Run(args) => run::run(&ctx, args),
        Command::Demo(args) => demo::run(&ctx, args),
        Command::Init(args) => keys::init(&ctx, args),
        Command::Keygen(args) => keys::keygen(args),
        Command::Seal(args) => seal::seal(&ctx, args),
        Command::Edit(args) => edit::run(&ctx, args),
        Command::Rekey(args) => seal::rekey(&ctx, args),
        Command::Lint(args) => lint::run(&ctx, args),
        Command::List(args) => list::list(&ctx, args),
        Command::Show(args) => list::show(&ctx, args),
        Command::Log(args) => list::log(&ctx, args),
        Command::Note(args) => note::run(&ctx, args),
        Command::Act(args) => act::run(&ctx, args),
        Command::Status(args) => status::run(&ctx, args),
        Command::Cases(args) => cases::run(&ctx, args),
        Command::Board(args) => board::run(&ctx, args),
        Command::Sitrep(args) => sitrep::run(&ctx, args),
        Command::Journal(args) => journal::run(&ctx, args),
        Command::Sync(args) => sync::run(&ctx, args),
        Command::Exercise(args) => exercise::run(&ctx, args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
        Command::Print(args) => print::run(&ctx, args),
        Command::Audit(args) => audit::run(&ctx, args),
        Command::Lesson(args) => lesson::run(&ctx, args),
        Command::Review(args) => review::run(&ctx, args),
        Command::Replay(args) => replay::run(&ctx, args),
        Command::Import(args) => import::run(&ctx, args),
        Command::Export(args) => export::run(&ctx, args),
    }
}

/// Settings from flags and the environment (clap reads both), before the
/// config file fills in what they leave unset.
struct Settings {
    library: Option<PathBuf>,
    identity: Option<PathBuf>,
    actor_name: Option<String>,
    actor_role: Option<String>,
    theme: Option<config::Theme>,
    plugin_timeout: Option<u64>,
}

/// What every command may need: settings resolved from flags, environment and
/// the config file, and the identity, loaded at most once per process (so a
/// passphrase is asked once, never per runbook).
pub struct Context {
    library: Option<PathBuf>,
    identity: Option<PathBuf>,
    /// Who the flags or the environment of this shell name.
    shell_actor: (Option<String>, Option<String>),
    /// Who the config file names.
    config_actor: (Option<String>, Option<String>),
    theme: config::Theme,
    identities: OnceCell<Identities>,
}

impl Context {
    fn new(settings: Settings) -> anyhow::Result<Self> {
        let config = Config::load().context("reading the config file")?;
        // Before anything is decrypted: plugin prompts lend the interface's
        // screen when it is up, and are plain terminal prompts otherwise.
        crate::tui::lend::install_prompter();
        if let Some(seconds) = settings
            .plugin_timeout
            .or(config.plugin_timeout.map(std::num::NonZeroU64::get))
        {
            crypto::plugin::set_timeout(std::time::Duration::from_secs(seconds));
        }
        Ok(Self {
            // Like git: inside a library (or below it) it is the one in
            // effect, before the config file's.
            library: settings
                .library
                .or_else(|| {
                    std::env::current_dir()
                        .ok()
                        .and_then(|dir| Library::containing(&dir))
                })
                .or(config.library),
            identity: settings.identity.or(config.identity),
            shell_actor: (settings.actor_name, settings.actor_role),
            config_actor: (config.actor_name, config.actor_role),
            theme: settings.theme.or(config.theme).unwrap_or_default(),
            identities: OnceCell::new(),
        })
    }

    /// The identity file in effect: flag, environment, config, or the default.
    fn identity_path(&self) -> Option<PathBuf> {
        self.identity
            .clone()
            .or_else(|| config::default_identity_path().filter(|p| p.exists()))
    }

    /// The identities, loaded on first use.
    pub fn identities(&self) -> anyhow::Result<&Identities> {
        if let Some(ids) = self.identities.get() {
            return Ok(ids);
        }
        let path = self.identity_path().ok_or_else(|| {
            anyhow!("no identity: pass --identity FILE, set GRABBAG_IDENTITY, or run `grabbag init` to make one")
        })?;
        if !path.exists() {
            return Err(anyhow!(
                "identity file {} does not exist (from --identity, GRABBAG_IDENTITY or the config file)",
                path.display()
            ));
        }
        let ids = Identities::load(&path, &mut crypto::passphrase_from_env_or_tty)?;
        Ok(self.identities.get_or_init(|| ids))
    }

    /// The identities when one is configured; `None` lets plaintext work on.
    pub fn identities_if_any(&self) -> anyhow::Result<Option<&Identities>> {
        if self.identity_path().is_none() {
            return Ok(None);
        }
        self.identities().map(Some)
    }

    /// Who signs an entry written from the command line: the names given,
    /// else the configured actor, else the last session's answers, else the
    /// login name (role `responder`); never a made-up name while one of
    /// those is known.
    pub fn actor(&self, name: Option<String>, role: Option<String>) -> Actor {
        self.actor_at(name, role, None)
    }

    /// [`Context::actor`] for a journal whose keyboard `holder` is known
    /// (its last actor change or session start): unless this command or
    /// this shell (`--actor-name`, GRABBAG_ACTOR_NAME) names someone, the
    /// entry is the holder's, before the config file and the last session,
    /// which belong to the laptop, not to the response.
    pub fn actor_at(
        &self,
        name: Option<String>,
        role: Option<String>,
        holder: Option<&Actor>,
    ) -> Actor {
        let (shell_name, shell_role) = &self.shell_actor;
        let (config_name, config_role) = &self.config_actor;
        let holder = holder.filter(|_| name.is_none() && shell_name.is_none());
        let last = config::LastSession::load();
        let known = |s: &String| !s.trim().is_empty();
        Actor {
            name: name
                .or_else(|| shell_name.clone())
                .or_else(|| holder.map(|h| h.name.clone()))
                .or_else(|| config_name.clone())
                .or_else(|| Some(last.name.clone()).filter(known))
                .or_else(config::login_name)
                .unwrap_or_else(|| "unknown".to_owned()),
            role: role
                .or_else(|| shell_role.clone())
                .or_else(|| holder.map(|h| h.role.clone()))
                .or_else(|| config_role.clone())
                .or_else(|| Some(last.role.clone()).filter(known))
                .unwrap_or_else(|| "responder".to_owned()),
        }
    }

    /// The actor setting (flags, environment, then the config file).
    pub fn actor_setting(&self) -> (Option<&String>, Option<&String>) {
        (
            self.shell_actor.0.as_ref().or(self.config_actor.0.as_ref()),
            self.shell_actor.1.as_ref().or(self.config_actor.1.as_ref()),
        )
    }

    /// The library folder in effect.
    pub fn library_path(&self) -> anyhow::Result<&Path> {
        self.library.as_deref().ok_or_else(|| {
            anyhow!(
                "no library: run grabbag inside a library folder, pass --library DIR, set GRABBAG_LIBRARY, or run `grabbag init DIR`"
            )
        })
    }

    /// Opens the library, with its history cache keyed from the config
    /// folder (docs/SECURITY.md, "History cache").
    pub fn library(&self) -> anyhow::Result<Library> {
        let path = self.library_path()?;
        Library::open(path)
            .map(with_history_cache)
            .map_err(|e| anyhow!("{e}"))
    }

    /// Opens the library to change it: holds its change lock until the lock
    /// is dropped, and says which git locks left by dead processes it removed.
    pub fn library_for_change(&self) -> anyhow::Result<(Library, crate::library::ChangeLock)> {
        let path = self.library_path()?;
        let (library, lock) = Library::open_for_change(path).map_err(|e| anyhow!("{e}"))?;
        let library = with_history_cache(library);
        for stale in lock.recovered() {
            eprintln!(
                "note: removed {}, a git lock left by an interrupted command (no process holds it)",
                crate::text::printable_line(&stale.display().to_string())
            );
        }
        Ok((library, lock))
    }

    /// Opens and loads the library.
    pub fn load(&self, require_signed: bool) -> anyhow::Result<(Library, LoadReport)> {
        let library = self.library()?;
        // Without an identity, plaintext runbooks still load and each
        // encrypted one fails with its own message naming the file.
        let ids = self.identities_if_any()?;
        warn_if_sync_interrupted(&library);
        let report = library.load(
            ids,
            &LoadOptions {
                today: today(),
                require_signed,
            },
        )?;
        for notice in &report.notices {
            eprintln!(
                "warning: {}: {}",
                notice.location(),
                crate::text::printable_line(&notice.message)
            );
        }
        Ok((library, report))
    }
}

/// Says so when a sync of `library` was stopped before it finished.
fn warn_if_sync_interrupted(library: &Library) {
    if library.sync_interrupted() {
        eprintln!(
            "warning: a sync of this library was stopped before it finished: runbooks it was changing may show as DIRTY; run the same `grabbag sync SOURCE` again to finish it"
        );
    }
}

/// `library` using the history cache, when there is a config folder to keep
/// its key in.
fn with_history_cache(library: Library) -> Library {
    match config::config_dir() {
        Some(dir) => library.with_history_cache(&dir),
        None => library,
    }
}

/// Where `status` and `cases` keep fold snapshots of long journals, when
/// there is a config folder to keep them and their key in.
fn fold_cache() -> Option<crate::session::FoldCache> {
    config::config_dir().and_then(|dir| crate::session::FoldCache::in_config_dir(&dir))
}

/// An error and its causes on one line, leaving out a cause whose text the
/// message already includes (many errors print their source themselves).
fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Today's date in local time (reviews are due on local dates).
pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// Writes a file the user asked for through [`crate::fsutil::write_output`]
/// (temp file, fsync, rename; owner-only; an existing file replaced only with
/// `force`, a link never written through), naming the file in any error.
fn write_private(path: &Path, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    crate::fsutil::write_output(path, bytes, force)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Writes a report to `out` (see [`write_private`]), or to standard output
/// when there is no `out`.
fn write_output(out: Option<&Path>, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    match out {
        Some(path) => write_private(path, bytes, force),
        None => out::bytes(bytes).map_err(Into::into),
    }
}

/// Says on stderr that a report went to `path`, and, when it was made from an
/// encrypted journal, that the file holds its text decrypted.
fn say_written(path: &Path, what: &str, decrypted: bool) {
    eprintln!(
        "Wrote {} ({what}){}.",
        crate::text::printable_line(&path.display().to_string()),
        if decrypted {
            ": it holds the journal DECRYPTED, keep it as safe as the library"
        } else {
            ""
        }
    );
}

/// Prints a value as pretty JSON on stdout, with controls and bidi
/// overrides from untrusted text escaped (see [`crate::text::json_safe`]).
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(value)?;
    outln!("{}", crate::text::json_safe(&json))?;
    Ok(())
}
