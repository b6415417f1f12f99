//! `grabbag exercise lint|score|report|check`: tabletop exercises from the
//! command line (the interactive `exercise run` screen lives beside these).
//!
//! Exercises are read from the library's `exercises/` folder (or a file given
//! with `--exercise`); recorded runs are journals, plaintext or encrypted (the
//! identity comes from the usual flags). All the logic is in
//! [`crate::exercise`]; this module finds files, prints and picks exit codes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow, bail};
use serde::Serialize;

use super::{Context, print_json};
use crate::diagnostic::Diagnostic;
use crate::exercise::aar::{self, percent};
use crate::exercise::files::{self, Baseline, EXERCISES_DIR, ExerciseFile};
use crate::exercise::score::Scorecard;
use crate::exercise::{self, Exercise};
use crate::journal::{Entry, Journal, VerifyOptions};
use crate::library::{self, RunbookFile};
use crate::response::ResponseState;
use crate::runbook::Runbook;
use crate::text::printable_line;

/// Arguments of `exercise`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Sub,
}

/// The `exercise` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Check exercise files against the library's runbooks, reported like `grabbag lint`.
    Lint(LintArgs),
    /// Score a recorded run (a journal) against its exercise.
    Score(ScoreArgs),
    /// The after-action report of a recorded run.
    Report(ReportArgs),
    /// Check every exercise against the current runbooks and re-score the recorded runs; exit 1 on drift.
    Check(CheckArgs),
    /// Play an exercise: facilitator and players on one screen, one journal.
    Run(super::exercise_run::Args),
    /// Keep a finished run in the library's exercises/runs/ with its baseline, so `exercise check` guards it.
    Keep(KeepArgs),
}

/// Arguments of `exercise keep`.
#[derive(Debug, clap::Args)]
pub struct KeepArgs {
    /// The run.
    #[command(flatten)]
    pub run: RunArgs,
    /// The name it is kept under in `exercises/runs/` (default: the journal's file name).
    #[arg(long)]
    pub name: Option<String>,
}

/// Arguments of `exercise lint`.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Exercise files (`.toml` or `.toml.age`). Default: the library's `exercises/`.
    pub paths: Vec<PathBuf>,
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Which run and which exercise.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The journal of the run.
    pub journal: PathBuf,
    /// The exercise file (default: found by the id the journal records, in
    /// `exercises/` beside `runs/`, then in the library's `exercises/`).
    #[arg(long, value_name = "FILE")]
    pub exercise: Option<PathBuf>,
}

/// Arguments of `exercise score`.
#[derive(Debug, clap::Args)]
pub struct ScoreArgs {
    /// The run.
    #[command(flatten)]
    pub run: RunArgs,
    /// Print the scorecard as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Report formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Markdown.
    Md,
    /// One self-contained HTML page (inline CSS, print stylesheet, no script).
    Html,
    /// The report's data as JSON.
    Json,
}

/// Arguments of `exercise report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The run.
    #[command(flatten)]
    pub run: RunArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "md")]
    pub format: Format,
    /// Write to this file instead of standard output (owner-only; an existing
    /// file only with `--force`).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
}

/// Arguments of `exercise check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Accept the current scores of the recorded runs as their baselines.
    #[arg(long)]
    pub bless: bool,
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `exercise`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Sub::Lint(a) => lint(ctx, a),
        Sub::Score(a) => score(ctx, a),
        Sub::Report(a) => report_cmd(ctx, a),
        Sub::Check(a) => check(ctx, a),
        Sub::Run(a) => super::exercise_run::run(ctx, a),
        Sub::Keep(a) => keep(ctx, a),
    }
}

/// Copies a finished, verified run into `exercises/runs/` with its
/// baseline: from then on `exercise check` re-scores it against the
/// exercise and the runbooks as they change, and reports earlier runs
/// beside later ones.
fn keep(ctx: &Context, args: KeepArgs) -> anyhow::Result<ExitCode> {
    let journal = &args.run.journal;
    let (_, state) = read_run(ctx, journal)?;
    let (file, exercise) = find_exercise(ctx, &args.run, &state)?;
    if !crate::response::PlayClock::of(&state).ended {
        bail!(
            "{}: play has not ended (no ENDEX): only a finished run is kept",
            journal.display()
        );
    }
    let verified = crate::journal::verify(journal, &VerifyOptions::default())
        .with_context(|| format!("verifying {}", journal.display()))?;
    if !verified.ok {
        bail!(
            "{}: the journal does not verify (grabbag journal verify says why): a run is kept only whole",
            journal.display()
        );
    }
    let name = match &args.name {
        Some(name) => name.clone(),
        None => journal
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".jsonl"))
            .ok_or_else(|| anyhow!("{}: give --name for it", journal.display()))?
            .to_owned(),
    };
    // One plain file name: nothing may land outside `runs/`.
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        bail!("--name {name:?} must be a plain file name");
    }
    let runs = library_exercises(ctx)?.join(files::RUNS_DIR);
    std::fs::create_dir_all(&runs).with_context(|| format!("creating {}", runs.display()))?;
    let kept = runs.join(format!("{name}.jsonl"));
    if kept.exists() {
        bail!(
            "{} is already kept: choose another --name (a kept run is never replaced)",
            kept.display()
        );
    }
    let bytes = std::fs::read(journal).with_context(|| format!("reading {}", journal.display()))?;
    super::write_private(&kept, &bytes, false)?;
    let card = exercise::score(&exercise, &state);
    let baseline = Baseline::path_for(&kept);
    Baseline::of(&card, &exercise::digest(&file.text))
        .write(&baseline)
        .with_context(|| format!("writing {}", baseline.display()))?;
    outln!(
        "kept {} with its baseline ({}): exercise check guards it from now on",
        printable_line(&kept.display().to_string()),
        percent(card.overall.percent)
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The library's recorded runs of `exercise` other than the one whose
/// state is `this` (its kept copy included), scored against the exercise as
/// it is now: how the same exercise went before. Runs that cannot be read
/// (no key) are left out.
fn earlier_runs(
    ctx: &Context,
    this: &ResponseState,
    exercise: &Exercise,
) -> anyhow::Result<Vec<aar::PastRun>> {
    let Ok(dir) = library_exercises(ctx) else {
        return Ok(Vec::new());
    };
    // The same run, wherever its file is: the same T+0 entry.
    let started = |s: &ResponseState| s.exercise_start.as_ref().map(|e| (e.stamp.at, e.stamp.seq));
    let mut past = Vec::new();
    for run in files::runs(&dir) {
        let Ok(state) = fold(ctx, &run) else {
            continue;
        };
        if state.exercise_id() != Some(exercise.id.as_str()) || started(&state) == started(this) {
            continue;
        }
        let card = exercise::score(exercise, &state);
        past.push(aar::PastRun {
            run: run
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            started_at: state.exercise_start.as_ref().map(|s| s.stamp.at),
            overall: card.overall.percent,
            objectives: card
                .objectives
                .iter()
                .map(|o| (o.id.clone(), o.total.percent))
                .collect(),
        });
    }
    past.sort_by_key(|p| p.started_at);
    Ok(past)
}

/// The runbooks of the library, as loaded now.
fn runbooks(ctx: &Context) -> anyhow::Result<Vec<Runbook>> {
    let (_, report) = ctx.load(false)?;
    Ok(report.runbooks.into_iter().map(|r| r.runbook).collect())
}

/// The library's `exercises/` folder, refused when a symlink (a commit can
/// plant one) or `..` would lead it out of the library: runs and baselines
/// are written under it.
fn library_exercises(ctx: &Context) -> anyhow::Result<PathBuf> {
    Ok(library::inside(
        ctx.library_path()?,
        Path::new(EXERCISES_DIR),
    )?)
}

/// Reads one exercise file named on the command line.
fn read_file(ctx: &Context, path: &Path) -> anyhow::Result<ExerciseFile> {
    let name = path
        .file_name()
        .map(PathBuf::from)
        .ok_or_else(|| anyhow!("{}: not a file", path.display()))?;
    let id = library::id_for(&name)
        .ok_or_else(|| anyhow!("{}: expected a `.toml` or `.toml.age` file", path.display()))?;
    let encrypted = name.to_string_lossy().ends_with(".age");
    let ids = if encrypted {
        Some(ctx.identities()?)
    } else {
        None
    };
    let base = crate::fsutil::parent_dir(path);
    let file = RunbookFile {
        path: name,
        id,
        encrypted,
    };
    let text = library::read_text(base, &file, ids).map_err(|f| anyhow!("{}", f.summary()))?;
    Ok(ExerciseFile {
        shown: path.display().to_string(),
        file,
        text,
    })
}

/// Exercise files: those named, or the library's.
pub(super) fn gather(
    ctx: &Context,
    paths: &[PathBuf],
    problems: &mut Vec<Diagnostic>,
) -> anyhow::Result<Vec<ExerciseFile>> {
    if paths.is_empty() {
        let (found, failed) = files::discover(&library_exercises(ctx)?, ctx.identities_if_any()?);
        problems.extend(failed);
        return Ok(found);
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let (found, failed) = files::discover(p, ctx.identities_if_any()?);
            problems.extend(failed);
            out.extend(found);
        } else {
            match read_file(ctx, p) {
                Ok(f) => out.push(f),
                Err(e) => problems.push(files::problem(p, format!("{e:#}"))),
            }
        }
    }
    Ok(out)
}

/// Lints files against the library's runbooks; returns the exercises that passed.
pub(super) fn lint_files(
    found: Vec<ExerciseFile>,
    runbooks: &[Runbook],
    out: &mut Vec<Diagnostic>,
) -> Vec<(ExerciseFile, Exercise)> {
    let refs: Vec<&Runbook> = runbooks.iter().collect();
    files::check_all(found, Some(&refs), out)
}

fn lint(ctx: &Context, args: LintArgs) -> anyhow::Result<ExitCode> {
    let mut diagnostics = Vec::new();
    let found = gather(ctx, &args.paths, &mut diagnostics)?;
    let files = found.len();
    lint_files(found, &runbooks(ctx)?, &mut diagnostics);
    super::lint::report("exercise lint", files, diagnostics, args.json)
}

/// A journal's fold, refusing one whose entries cannot all be read. Read
/// only: no lock, nothing written beside the journal.
fn fold(ctx: &Context, path: &Path) -> anyhow::Result<ResponseState> {
    read_run(ctx, path).map(|(_, state)| state)
}

/// A journal's entries and their fold, refusing a journal whose entries
/// cannot all be read (for scoring and replay). Read only.
pub(super) fn read_run(ctx: &Context, path: &Path) -> anyhow::Result<(Vec<Entry>, ResponseState)> {
    let entries = Journal::read(path, ctx.identities_if_any()?)
        .with_context(|| format!("reading {}", path.display()))?;
    let state = readable(path, &entries)?;
    Ok((entries, state))
}

/// The fold of `entries` (read from `path`), or an error when some could not
/// be decrypted: a run judged on part of its entries would be wrong.
pub(super) fn readable(path: &Path, entries: &[Entry]) -> anyhow::Result<ResponseState> {
    let state = ResponseState::fold(entries);
    if state.unreadable > 0 {
        bail!(
            "{}: {} of {} entries could not be decrypted: pass --identity (or set GRABBAG_IDENTITY) with a key the journal is encrypted to",
            path.display(),
            state.unreadable,
            state.entries
        );
    }
    Ok(state)
}

/// Parses an exercise file that must have no errors.
fn parse(f: ExerciseFile) -> anyhow::Result<(ExerciseFile, Exercise)> {
    let checked = exercise::check(&f.shown, &f.text, &f.file.id, None);
    match checked.exercise {
        Some(e) => Ok((f, e)),
        None => {
            let shown: Vec<String> = checked.diagnostics.iter().map(Diagnostic::render).collect();
            bail!("{} has errors:\n{}", f.shown, shown.join("\n"))
        }
    }
}

/// The `exercises/` folders where the exercise of the run at `journal` is
/// looked for: the one above it when it is in `runs/`, then the library's.
fn exercise_dirs(ctx: &Context, journal: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let parent = journal.parent();
    if let Some(runs) = parent.filter(|p| p.file_name().is_some_and(|n| n == files::RUNS_DIR)) {
        dirs.extend(runs.parent().map(Path::to_owned));
    }
    if let Ok(dir) = library_exercises(ctx) {
        dirs.push(dir);
    }
    dirs
}

/// Finds and parses exercise `id`, recorded by the run at `journal`, in
/// [`exercise_dirs`]. `Err` with where it looked (then `hint`) when it is
/// not there.
pub(super) fn find_recorded(
    ctx: &Context,
    journal: &Path,
    id: &str,
    hint: &str,
) -> anyhow::Result<(ExerciseFile, Exercise)> {
    let dirs = exercise_dirs(ctx, journal);
    if let Some(found) = files::find(&dirs, id, ctx.identities_if_any()?) {
        return parse(found);
    }
    let no_identity = if ctx.identities_if_any()?.is_none() {
        " (encrypted exercises are read only with an identity: --identity or GRABBAG_IDENTITY)"
    } else {
        ""
    };
    bail!(
        "exercise `{}` not found in {}{no_identity}{hint}",
        printable_line(id),
        if dirs.is_empty() {
            "any exercises folder".to_owned()
        } else {
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(" or ")
        }
    )
}

/// Finds and parses the exercise of a run: the file given, or the one the
/// journal records.
pub(super) fn find_exercise(
    ctx: &Context,
    run: &RunArgs,
    state: &ResponseState,
) -> anyhow::Result<(ExerciseFile, Exercise)> {
    if let Some(path) = &run.exercise {
        return parse(read_file(ctx, path)?);
    }
    let id = state.exercise_id().ok_or_else(|| {
        anyhow!(
            "{} records no exercise: pass --exercise FILE",
            run.journal.display()
        )
    })?;
    find_recorded(ctx, &run.journal, id, ": pass --exercise FILE")
}

fn score(ctx: &Context, args: ScoreArgs) -> anyhow::Result<ExitCode> {
    let state = fold(ctx, &args.run.journal)?;
    let (_, exercise) = find_exercise(ctx, &args.run, &state)?;
    let card = exercise::score(&exercise, &state);
    if args.json {
        print_json(&card)?;
    } else {
        out!("{}", render_card(&card, &args.run.journal))?;
    }
    // A score resting on an anomaly is a finding, not a result.
    Ok(if card.warnings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Every recorded run of `exercise` beside `journal` (its folder) and in
/// the library's runs folder, scored oldest first, for the report's trend.
fn trend_of(
    ctx: &Context,
    exercise: &crate::exercise::Exercise,
    text: &str,
    journal: &Path,
) -> Vec<crate::exercise::trend::RunScore> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(dir) = journal.parent() {
        dirs.push(if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir.to_owned()
        });
    }
    if let Ok(root) = ctx.library_path()
        && let Ok(runs) = crate::library::inside(
            root,
            &Path::new(crate::exercise::files::EXERCISES_DIR)
                .join(crate::exercise::files::RUNS_DIR),
        )
    {
        dirs.push(runs);
    }
    let identities = ctx.identities_if_any().ok().flatten();
    crate::exercise::trend::runs_of(exercise, &crate::exercise::digest(text), &dirs, identities)
}

/// The scorecard as text for a terminal.
fn render_card(card: &Scorecard, journal: &Path) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Exercise {}: {}",
        printable_line(&card.exercise),
        printable_line(&card.title)
    );
    let _ = writeln!(
        out,
        "Journal {} ({} entries)",
        printable_line(&journal.display().to_string()),
        card.entries
    );
    for (_, line) in aar::card_lines(card) {
        let _ = writeln!(out, "{}", printable_line(&line));
    }
    out
}

fn report_cmd(ctx: &Context, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let state = fold(ctx, &args.run.journal)?;
    let (file, exercise) = find_exercise(ctx, &args.run, &state)?;
    let verified = crate::journal::verify(&args.run.journal, &VerifyOptions::default())
        .with_context(|| format!("verifying {}", args.run.journal.display()))?;
    let mut data = aar::build(&exercise, &file.text, &state, &verified).with_trend(trend_of(
        ctx,
        &exercise,
        &file.text,
        &args.run.journal,
    ));
    data.earlier = earlier_runs(ctx, &state, &exercise)?;
    let text = match args.format {
        Format::Md => crate::report::aar::markdown(&data),
        Format::Html => crate::report::aar::html(&data),
        // The same JSON value, with controls and bidi overrides from notes
        // and injects escaped, so it is inert on a terminal too.
        Format::Json => {
            crate::text::json_safe(&serde_json::to_string_pretty(&data)?).into_owned() + "\n"
        }
    };
    // Like every other report: owner-only, never over a file without --force.
    super::write_output(args.output.as_deref(), text.as_bytes(), args.force)?;
    if let Some(out) = &args.output {
        let what = format!("the after-action report of {} entries", state.entries);
        super::say_written(out, &what, verified.encrypted);
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct RunCheck {
    journal: String,
    exercise: Option<String>,
    percent: Option<u64>,
    /// Outcomes that differ from the baseline, or why the run cannot be scored.
    drift: Vec<String>,
}

#[derive(Serialize)]
struct CheckReport {
    exercises: usize,
    diagnostics: Vec<Diagnostic>,
    runs: Vec<RunCheck>,
    drift: bool,
}

fn check(ctx: &Context, args: CheckArgs) -> anyhow::Result<ExitCode> {
    let dir = library_exercises(ctx)?;
    let mut diagnostics = Vec::new();
    let found = gather(ctx, &[], &mut diagnostics)?;
    let count = found.len();
    let ok = lint_files(found, &runbooks(ctx)?, &mut diagnostics);
    let mut runs = Vec::new();
    for journal in files::runs(&dir) {
        runs.push(check_run(ctx, &journal, &ok, args.bless));
    }
    let drift =
        diagnostics.iter().any(Diagnostic::is_error) || runs.iter().any(|r| !r.drift.is_empty());
    if args.json {
        print_json(&CheckReport {
            exercises: count,
            diagnostics,
            runs,
            drift,
        })?;
    } else {
        for d in &diagnostics {
            outln!("{}", d.render())?;
        }
        for r in &runs {
            let name = printable_line(&r.journal);
            if r.drift.is_empty() {
                outln!("run {name}: as recorded ({})", percent(r.percent))?;
            } else {
                outln!("run {name}: DRIFT")?;
                for line in &r.drift {
                    outln!("  {}", printable_line(line))?;
                }
            }
        }
        outln!(
            "exercise check: {count} exercise(s), {} run(s): {}",
            runs.len(),
            if drift { "drift found" } else { "no drift" }
        )?;
    }
    Ok(if drift {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Re-scores one recorded run against the current definitions.
fn check_run(
    ctx: &Context,
    journal: &Path,
    exercises: &[(ExerciseFile, Exercise)],
    bless: bool,
) -> RunCheck {
    let mut out = RunCheck {
        journal: journal.display().to_string(),
        exercise: None,
        percent: None,
        drift: Vec::new(),
    };
    let state = match fold(ctx, journal) {
        Ok(s) => s,
        Err(e) => {
            out.drift.push(format!("cannot be read: {e:#}"));
            return out;
        }
    };
    let Some(id) = state.exercise_id() else {
        out.drift.push("records no exercise".to_owned());
        return out;
    };
    out.exercise = Some(id.to_owned());
    let Some((file, exercise)) = exercises.iter().find(|(_, e)| e.id == id) else {
        out.drift.push(format!(
            "exercise `{id}` is missing or no longer passes lint, so the run cannot be scored"
        ));
        return out;
    };
    let card = exercise::score(exercise, &state);
    out.percent = card.overall.percent;
    let now = Baseline::of(&card, &exercise::digest(&file.text));
    let path = Baseline::path_for(journal);
    if bless {
        if let Err(e) = now.write(&path) {
            out.drift
                .push(format!("cannot write {}: {e}", path.display()));
        }
        return out;
    }
    match Baseline::read(&path) {
        Ok(baseline) => out.drift = baseline.drift(&now),
        Err(e) => out.drift.push(format!(
            "no baseline ({}: {e}); accept the current scores with `grabbag exercise check --bless`",
            path.display()
        )),
    }
    out
}
