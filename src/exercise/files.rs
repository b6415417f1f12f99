//! Exercise files on disk: a library's `exercises/` folder (plaintext `.toml`
//! or encrypted `.toml.age`, decrypted in memory only), recorded runs in
//! `exercises/runs/` and their scoring baselines.
//!
//! A run is a journal (`*.jsonl`); its baseline (`*.baseline.json` beside it)
//! holds the outcome of every expectation when the run was last accepted.
//! `grabbag exercise check` re-scores each run against the current definition
//! and reports drift when an outcome differs from the baseline.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::Exercise;
use super::score::Scorecard;
use crate::crypto::Identities;
use crate::diagnostic::{Diagnostic, Level};
use crate::library::{self, RunbookFile};
use crate::runbook::Runbook;

/// The folder of exercises in a library.
pub const EXERCISES_DIR: &str = "exercises";
/// The folder of recorded runs in it.
pub const RUNS_DIR: &str = "runs";

/// An exercise file found, with its text (in memory).
pub struct ExerciseFile {
    /// Path as shown to the user.
    pub shown: String,
    /// The file as discovery found it (path relative to `exercises/`, id).
    pub file: RunbookFile,
    /// Its text.
    pub text: Zeroizing<String>,
}

/// The exercise files under `dir` (an `exercises/` folder), and the files
/// that could not be read. `runs/` is skipped.
pub fn discover(
    dir: &Path,
    identities: Option<&Identities>,
) -> (Vec<ExerciseFile>, Vec<Diagnostic>) {
    let mut problems = Vec::new();
    if !dir.is_dir() {
        return (Vec::new(), problems);
    }
    let (files, failures) = library::discover_in(dir);
    let shown = |p: &Path| dir.join(p).display().to_string();
    for f in failures {
        problems.extend(f.diagnostics.into_iter().map(|mut d| {
            d.file = shown(Path::new(&d.file));
            d
        }));
    }
    let mut out = Vec::new();
    for file in files {
        if file.path.starts_with(RUNS_DIR) {
            continue;
        }
        match library::read_text(dir, &file, identities) {
            Ok(text) => out.push(ExerciseFile {
                shown: shown(&file.path),
                file,
                text,
            }),
            Err(failure) => problems.extend(failure.diagnostics.into_iter().map(|mut d| {
                d.file = shown(&file.path);
                d
            })),
        }
    }
    (out, problems)
}

/// Parses and lints exercise files found together (against `runbooks` when
/// given, see [`super::check`]), adding every problem to `out`; returns the
/// exercises that passed. A second file with an id already taken is an
/// error: journals name exercises by id, so two files with one id would make
/// scoring and the audit pick one at random.
pub fn check_all(
    found: Vec<ExerciseFile>,
    runbooks: Option<&[&Runbook]>,
    out: &mut Vec<Diagnostic>,
) -> Vec<(ExerciseFile, Exercise)> {
    let mut ok: Vec<(ExerciseFile, Exercise)> = Vec::new();
    for f in found {
        let checked = super::check(&f.shown, &f.text, &f.file.id, runbooks);
        out.extend(checked.diagnostics);
        let Some(e) = checked.exercise else { continue };
        if let Some((other, _)) = ok.iter().find(|(_, o)| o.id == e.id) {
            out.push(problem(
                Path::new(&f.shown),
                format!(
                    "duplicate exercise id `{}`: {} has it too",
                    e.id, other.shown
                ),
            ));
            continue;
        }
        ok.push((f, e));
    }
    ok
}

/// The exercise with id `id` in the first of `dirs` (each an `exercises/`
/// folder) that has it: matched by the id in the file, or by its path when
/// the file does not parse. Unreadable files are skipped.
pub fn find(dirs: &[PathBuf], id: &str, identities: Option<&Identities>) -> Option<ExerciseFile> {
    dirs.iter().find_map(|dir| {
        discover(dir, identities).0.into_iter().find(|f| {
            let checked = super::check(&f.shown, &f.text, &f.file.id, None);
            checked
                .exercise
                .as_ref()
                .map_or(f.file.id == id, |e| e.id == id)
        })
    })
}

/// The recorded run journals in `dir/runs`, sorted.
pub fn runs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir.join(RUNS_DIR))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The outcomes of a run when it was accepted: `inject/expectation` → outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Exercise id.
    pub exercise: String,
    /// Digest of the definition scored against.
    pub digest: String,
    /// Overall percentage then.
    pub percent: Option<u64>,
    /// Each expectation's outcome.
    pub outcomes: BTreeMap<String, String>,
}

impl Baseline {
    /// The baseline of a scorecard.
    pub fn of(card: &Scorecard, digest: &str) -> Self {
        Self {
            exercise: card.exercise.clone(),
            digest: digest.to_owned(),
            percent: card.overall.percent,
            outcomes: card
                .injects
                .iter()
                .flat_map(|i| {
                    i.expectations
                        .iter()
                        .map(|e| (format!("{}/{}", i.id, e.id), e.outcome.as_str().to_owned()))
                })
                .collect(),
        }
    }

    /// Where the baseline of run `journal` lives.
    pub fn path_for(journal: &Path) -> PathBuf {
        journal.with_extension("baseline.json")
    }

    /// Reads a baseline file: a regular file of at most 1 MiB, never
    /// through a symbolic link (a synced one could point anywhere).
    pub fn read(path: &Path) -> Result<Self, String> {
        let bytes =
            crate::fsutil::read_regular(path, 1 << 20).map_err(|e| format!("cannot read: {e}"))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("not a baseline: {e}"))
    }

    /// Writes it as pretty JSON with a final newline, by temp + rename: the
    /// old one is replaced whole or not at all, and a link a sync planted in
    /// its place is replaced, never written through (a baseline is the
    /// library's own file, unlike a user's `-o` target, which is refused).
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        text.push('\n');
        crate::fsutil::replace_atomically(path, text.as_bytes())
    }

    /// How `now` differs from this baseline, one line each (empty: no drift).
    pub fn drift(&self, now: &Baseline) -> Vec<String> {
        let mut out = Vec::new();
        for (key, was) in &self.outcomes {
            match now.outcomes.get(key) {
                None => out.push(format!("{key}: was {was}, no longer in the exercise")),
                Some(is) if is != was => out.push(format!("{key}: was {was}, now {is}")),
                Some(_) => {}
            }
        }
        for (key, is) in &now.outcomes {
            if !self.outcomes.contains_key(key) {
                out.push(format!("{key}: new expectation, now {is}"));
            }
        }
        out
    }
}

/// A diagnostic about a whole file.
pub fn problem(file: &Path, message: impl Into<String>) -> Diagnostic {
    Diagnostic::file_level(Level::Error, &file.display().to_string(), message)
}
