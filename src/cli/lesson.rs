//! `grabbag lesson`: lessons learned as tracked items (see `crate::lessons`
//! and docs/lessons.md). `list` shows every lesson of the library's journals
//! and register with its owner, due date and status; `add` records one found
//! outside a journal (a post-incident review); `assign` gives one an owner or
//! a due date; `close` closes one with evidence, checked before anything is
//! written: a commit that changed a runbook, or a later exercise run whose
//! expectation was met. Each change is a commit of the encrypted register,
//! signed when the library signs. No TUI is needed, so a lesson can be
//! closed weeks after the exercise, on any laptop holding the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::NaiveDate;

use super::{Context, today};
use crate::journal::LessonCategory;
use crate::lessons::{Closure, Evidence, Register, TrackedLesson};
use crate::library::{Library, LoadOptions, LoadReport};
use crate::report::audit::{Audit, exercise_definitions};
use crate::report::caf::{LESSON_HEAD, lesson_rows};

/// Arguments of `lesson`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The `lesson` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List every tracked lesson: owner, due date, status, closure.
    List {
        /// Print JSON for tools.
        #[arg(long)]
        json: bool,
    },
    /// Record a lesson found outside a journal (a post-incident review).
    Add(AddArgs),
    /// Give a lesson an owner or a due date (replacing the journal's).
    Assign(AssignArgs),
    /// Close a lesson with evidence: a commit that changed a runbook, or a
    /// later exercise run whose expectation was met.
    Close(CloseArgs),
}

/// Arguments of `lesson add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The lesson, or the action to take.
    pub text: String,
    /// Who owns it.
    #[arg(long)]
    pub owner: String,
    /// When it is due (YYYY-MM-DD).
    #[arg(long, value_parser = parse_day)]
    pub due: NaiveDate,
    /// The incident's journal it comes from, relative to the library.
    #[arg(long, value_name = "JOURNAL")]
    pub source: Option<String>,
    /// Something that did not go well, rather than an action.
    #[arg(long)]
    pub did_not_go_well: bool,
}

/// Arguments of `lesson assign`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(true).args(["owner", "due"])))]
pub struct AssignArgs {
    /// The lesson's id, as `lesson list` shows it.
    pub id: String,
    /// Who owns it.
    #[arg(long)]
    pub owner: Option<String>,
    /// When it is due (YYYY-MM-DD).
    #[arg(long, value_parser = parse_day)]
    pub due: Option<NaiveDate>,
}

/// Arguments of `lesson close`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("evidence").required(true).args(["commit", "run"])))]
pub struct CloseArgs {
    /// The lesson's id, as `lesson list` shows it.
    pub id: String,
    /// A commit of the library that changed a runbook (any git revision).
    #[arg(long, value_name = "REV")]
    pub commit: Option<String>,
    /// An exercise run (journal, relative to the library) played after the lesson...
    #[arg(long, value_name = "JOURNAL", requires = "expectation")]
    pub run: Option<String>,
    /// ...and the expectation it met, as INJECT/EXPECTATION.
    #[arg(long, value_name = "INJECT/EXPECTATION", requires = "run")]
    pub expectation: Option<String>,
    /// Anything the auditor should know.
    #[arg(long)]
    pub note: Option<String>,
}

fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a date such as 2027-03-31"))
}

/// Runs `lesson`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::List { json } => list(ctx, json),
        Command::Add(args) => add(ctx, args),
        Command::Assign(args) => assign(ctx, args),
        Command::Close(args) => close(ctx, args),
    }
}

/// The library's tracked lessons, read as the audit reads them.
fn tracked(ctx: &Context, library: &Library) -> anyhow::Result<(LoadReport, Vec<TrackedLesson>)> {
    let ids = ctx.identities_if_any()?;
    let report = library.load(
        ids,
        &LoadOptions {
            today: today(),
            require_signed: false,
        },
    )?;
    let signers = library.allowed_signers()?;
    let audit = Audit::gather(library, &report, signers.as_ref(), ids, today());
    if let Some(problem) = audit.lessons_problem {
        bail!("the lessons register could not be read: {problem}");
    }
    Ok((report, audit.lessons))
}

fn list(ctx: &Context, json: bool) -> anyhow::Result<ExitCode> {
    let library = ctx.library()?;
    let (_, lessons) = tracked(ctx, &library)?;
    if json {
        let text = serde_json::to_string_pretty(&lessons)?;
        outln!("{}", crate::text::json_safe(&text))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut o = String::new();
    crate::report::audit::text_table(&mut o, &LESSON_HEAD, &lesson_rows(&lessons));
    out!("{o}")?;
    Ok(ExitCode::SUCCESS)
}

/// Reads the register under the change lock, lets `change` edit it (with
/// the tracked lessons to check against), then writes and commits it.
fn change(
    ctx: &Context,
    change: impl FnOnce(
        &mut Register,
        &Library,
        &LoadReport,
        &[TrackedLesson],
    ) -> anyhow::Result<String>,
) -> anyhow::Result<ExitCode> {
    let (library, _lock) = ctx.library_for_change()?;
    let identities = ctx.identities()?;
    let (report, lessons) = tracked(ctx, &library)?;
    let mut register = Register::read(library.root(), Some(identities))?;
    let message = change(&mut register, &library, &report, &lessons)?;
    let commit = register
        .save(&library, identities, &format!("lessons: {message}"))
        .context("the lessons register was NOT changed")?;
    let short: String = commit.to_string().chars().take(8).collect();
    outln!("{message} (commit {short})")?;
    Ok(ExitCode::SUCCESS)
}

/// The tracked lesson `id`, or an error listing what there is.
fn find<'a>(lessons: &'a [TrackedLesson], id: &str) -> anyhow::Result<&'a TrackedLesson> {
    lessons.iter().find(|l| l.id == id).ok_or_else(|| {
        let known: Vec<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
        anyhow::anyhow!(
            "no tracked lesson `{id}` (known: {}); `grabbag lesson list` shows them",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )
    })
}

/// `given` (relative to the library, or a path to a file in it) as the
/// library-relative path the audit names journals by.
fn in_library(root: &Path, given: &str) -> anyhow::Result<String> {
    let root =
        std::fs::canonicalize(root).with_context(|| format!("reading {}", root.display()))?;
    let candidates = [root.join(given), PathBuf::from(given)];
    candidates
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .find_map(|p| p.strip_prefix(&root).ok().map(|r| r.display().to_string()))
        .ok_or_else(|| anyhow::anyhow!("{given:?} is not a file in the library"))
}

fn add(ctx: &Context, args: AddArgs) -> anyhow::Result<ExitCode> {
    change(ctx, |register, library, _, _| {
        let source = args
            .source
            .as_deref()
            .map(|s| in_library(library.root(), s))
            .transpose()?;
        let id = register.next_id();
        let record = register.entry(&id);
        record.text = Some(args.text);
        record.category = Some(if args.did_not_go_well {
            LessonCategory::DidNotGoWell
        } else {
            LessonCategory::Action
        });
        record.source = source;
        record.recorded = Some(chrono::Utc::now());
        record.owner = Some(args.owner);
        record.due = Some(args.due);
        Ok(format!("lesson {id} recorded, due {}", args.due))
    })
}

fn assign(ctx: &Context, args: AssignArgs) -> anyhow::Result<ExitCode> {
    change(ctx, |register, _, _, lessons| {
        find(lessons, &args.id)?;
        let record = register.entry(&args.id);
        let mut said = Vec::new();
        if let Some(owner) = args.owner {
            said.push(format!("owner {owner}"));
            record.owner = Some(owner);
        }
        if let Some(due) = args.due {
            said.push(format!("due {due}"));
            record.due = Some(due);
        }
        Ok(format!("lesson {}: {}", args.id, said.join(", ")))
    })
}

fn close(ctx: &Context, args: CloseArgs) -> anyhow::Result<ExitCode> {
    let by = ctx.actor(None, None).name;
    let identities = ctx.identities_if_any()?;
    change(ctx, |register, library, report, lessons| {
        let lesson = find(lessons, &args.id)?;
        let commit = match &args.commit {
            Some(rev) => Some(
                library
                    .repo()
                    .revparse_single(rev)
                    .and_then(|o| o.peel_to_commit())
                    .map(|c| c.id().to_string())
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "lesson {} NOT closed: commit {rev} is not in the library's history",
                            args.id
                        )
                    })?,
            ),
            None => None,
        };
        let run = args
            .run
            .as_deref()
            .map(|r| in_library(library.root(), r))
            .transpose()?;
        let closure = Closure {
            on: today(),
            by,
            commit,
            run,
            expectation: args.expectation,
            note: args.note,
        };
        let runbook_files: Vec<PathBuf> = report.runbooks.iter().map(|r| r.file.clone()).collect();
        let exercises: Vec<_> = exercise_definitions(library.root(), identities)
            .parsed
            .into_iter()
            .map(|(e, _)| e)
            .collect();
        let evidence = Evidence {
            library,
            runbook_files: &runbook_files,
            exercises: &exercises,
            identities,
        };
        let found = evidence
            .check(&closure, lesson.recorded)
            .map_err(|why| anyhow::anyhow!("lesson {} NOT closed: {why}", args.id))?;
        register.entry(&args.id).closed = Some(closure);
        Ok(format!("lesson {} closed: {found}", args.id))
    })
}
