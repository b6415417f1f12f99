//! `grabbag lint [PATH...]`: check runbook and exercise files and report
//! every problem.
//!
//! Exercises are linted by the same code as `grabbag exercise lint`
//! ([`super::exercise::lint_files`]), against the runbooks checked in the
//! same run (or, when only exercises are given, the library's), so an
//! expectation naming a missing runbook, step or option is an error at its
//! file, line and column like any runbook error. A path counts as exercises
//! when one of its folders is `exercises` (the library layout); a folder
//! holding an `exercises/` folder (a library) has its exercises checked too.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;

use super::{Context, print_json, today};
use crate::diagnostic::{Diagnostic, Level};
use crate::exercise::files::EXERCISES_DIR;
use crate::library::{self, RunbookFile};
use crate::runbook::Runbook;

/// Arguments of `lint`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or folders to check (plaintext `.toml` or encrypted `.toml.age`):
    /// runbooks, and exercises (in an `exercises/` folder). Default: the library.
    pub paths: Vec<PathBuf>,
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Report {
    files: usize,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<Diagnostic>,
}

/// Runs `lint`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let paths = if args.paths.is_empty() {
        vec![ctx.library_path()?.to_owned()]
    } else {
        args.paths
    };
    let mut diagnostics = Vec::new();
    let mut files = 0;
    let mut runbooks = Vec::new();
    let mut exercises = Vec::new();
    for path in &paths {
        if is_exercise_path(path) {
            exercises.push(path.clone());
            continue;
        }
        let targets = targets(path, &mut diagnostics);
        files += targets.len();
        lint_set(ctx, &targets, &mut diagnostics, &mut runbooks)?;
        if path.is_dir() && path.join(EXERCISES_DIR).is_dir() {
            exercises.push(path.join(EXERCISES_DIR));
        }
    }
    if !exercises.is_empty() {
        // Exercises given alone are checked against the library's runbooks.
        if runbooks.is_empty()
            && let Ok((_, report)) = ctx.load(false)
        {
            runbooks = report.runbooks.into_iter().map(|r| r.runbook).collect();
        }
        let found = super::exercise::gather(ctx, &exercises, &mut diagnostics)?;
        files += found.len();
        super::exercise::lint_files(found, &runbooks, &mut diagnostics);
    }
    report("lint", files, diagnostics, args.json)
}

/// True when `path` names exercises: one of its folders (or itself, for a
/// folder) is `exercises`, counting the current folder's (`lint x.toml` run
/// inside `exercises/`).
fn is_exercise_path(path: &Path) -> bool {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let folders = if path.is_dir() {
        path.as_path()
    } else {
        crate::fsutil::parent_dir(&path)
    };
    folders
        .components()
        .any(|c| c.as_os_str() == std::ffi::OsStr::new(EXERCISES_DIR))
}

/// Prints diagnostics (or JSON) and a summary line headed `what`; exit 1 when
/// any is an error. Runbook and exercise lint report the same way.
pub(super) fn report(
    what: &str,
    files: usize,
    diagnostics: Vec<Diagnostic>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    if json {
        print_json(&Report {
            files,
            errors,
            warnings,
            diagnostics,
        })?;
    } else {
        for d in &diagnostics {
            outln!("{}", d.render())?;
        }
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        outln!(
            "{what}: {} checked, {}, {}",
            plural(files, "file"),
            plural(errors, "error"),
            plural(warnings, "warning")
        )?;
    }
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A file to check: its path on disk, its display name and its default id.
struct Target {
    base: PathBuf,
    file: RunbookFile,
}

fn targets(path: &Path, diagnostics: &mut Vec<Diagnostic>) -> Vec<Target> {
    if path.is_dir() {
        let (files, failures) = library::discover_in(path);
        for f in failures {
            diagnostics.extend(f.diagnostics.into_iter().map(|mut d| {
                d.file = path.join(&d.file).display().to_string();
                d
            }));
        }
        return files
            .into_iter()
            .map(|file| Target {
                base: path.to_owned(),
                file,
            })
            .collect();
    }
    let name = path.file_name().map(PathBuf::from).unwrap_or_default();
    match library::id_for(&name) {
        Some(id) => vec![Target {
            // A bare file name has an empty parent: that is the current folder.
            base: path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_owned),
            file: RunbookFile {
                encrypted: name.to_string_lossy().ends_with(".age"),
                path: name,
                id,
            },
        }],
        None => {
            diagnostics.push(Diagnostic::file_level(
                Level::Error,
                &path.display().to_string(),
                if path.exists() {
                    "not a runbook: expected a `.toml` or `.toml.age` file"
                } else {
                    "no such file or folder"
                },
            ));
            Vec::new()
        }
    }
}

/// Checks a set of files found together, including ids shared between them;
/// adds the runbooks that passed to `passed`.
fn lint_set(
    ctx: &Context,
    targets: &[Target],
    out: &mut Vec<Diagnostic>,
    passed: &mut Vec<Runbook>,
) -> anyhow::Result<()> {
    let mut ids: Vec<(String, String)> = Vec::new();
    for t in targets {
        let shown = t.base.join(&t.file.path).display().to_string();
        let identities = if t.file.encrypted {
            match ctx.identities() {
                Ok(ids) => Some(ids),
                Err(e) => {
                    out.push(Diagnostic::file_level(
                        Level::Error,
                        &shown,
                        format!("cannot decrypt: {e:#}"),
                    ));
                    continue;
                }
            }
        } else {
            None
        };
        match library::check_runbook_file(&t.base, &t.file, identities, today(), "") {
            Ok(checked) => {
                if let Some(rb) = &checked.runbook {
                    if let Some((_, other)) = ids.iter().find(|(id, _)| *id == rb.id) {
                        out.push(Diagnostic::file_level(
                            Level::Error,
                            &shown,
                            format!("duplicate runbook id `{}`: {other} has it too", rb.id),
                        ));
                    }
                    ids.push((rb.id.clone(), shown.clone()));
                }
                out.extend(checked.diagnostics.into_iter().map(|mut d| {
                    d.file = shown.clone();
                    d
                }));
                passed.extend(checked.runbook);
            }
            Err(failure) => out.extend(failure.diagnostics.into_iter().map(|mut d| {
                d.file = shown.clone();
                d
            })),
        }
    }
    Ok(())
}
