//! Scores across recorded runs, oldest to newest: per run the overall
//! score, each objective's and each runbook's (the expectations that name a
//! step of it), so an audit or an after-action report can show whether the
//! plans are getting better with practice. Data only; `report` renders it.
//!
//! A run is scored against the definition the caller found (the library's
//! current one, as `exercise score` does); a run whose definition changed
//! since it was played is scored against the new one, and says so
//! ([`RunScore::definition_changed`]).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::score::Total;
use super::{Exercise, Expected, score};
use crate::crypto::Identities;
use crate::response::ResponseState;

/// One recorded run, scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunScore {
    /// The journal, as shown.
    pub file: String,
    /// The exercise id.
    pub exercise: String,
    /// When the run began.
    pub started: Option<DateTime<Utc>>,
    /// The overall score, percent (`None`: nothing scorable).
    pub overall: Option<u64>,
    /// Per objective of the exercise: id and percent.
    pub objectives: Vec<(String, Option<u64>)>,
    /// Per runbook named by an expectation: id and percent.
    pub runbooks: Vec<(String, Option<u64>)>,
    /// The runbook versions the run opened: id and short commit.
    pub versions: Vec<(String, String)>,
    /// The definition scored against is not the one the run played.
    pub definition_changed: bool,
    /// It is the run the report is about ([`runs_of`] marks it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub this_run: bool,
}

/// Scores one run of `exercise` (whose file's [`super::digest`] is
/// `digest`), journal `file` folded into `state`.
pub fn run_score(exercise: &Exercise, digest: &str, state: &ResponseState, file: &str) -> RunScore {
    let card = score(exercise, state);
    let mut runbooks: Vec<(String, Total)> = Vec::new();
    for inject in &exercise.injects {
        for expectation in &inject.expectations {
            let Expected::Happening(happening) = &expectation.expected else {
                continue;
            };
            let Some(result) = card.expectation(&inject.id, &expectation.id) else {
                continue;
            };
            let runbook = happening.step_ref().0;
            let at = match runbooks.iter().position(|(r, _)| r == runbook) {
                Some(at) => at,
                None => {
                    runbooks.push((runbook.to_owned(), Total::default()));
                    runbooks.len() - 1
                }
            };
            runbooks[at].1.add(result.outcome, expectation.weight);
        }
    }
    runbooks.sort_by(|a, b| a.0.cmp(&b.0));
    RunScore {
        file: file.to_owned(),
        exercise: exercise.id.clone(),
        started: state.first_at,
        overall: card.overall.percent,
        objectives: card
            .objectives
            .iter()
            .map(|o| (o.id.clone(), o.total.percent))
            .collect(),
        runbooks: runbooks.into_iter().map(|(r, t)| (r, t.percent)).collect(),
        versions: state
            .runbooks
            .iter()
            .map(|r| {
                let commit = r.version.commit.as_deref().map_or_else(
                    || "no commit recorded".to_owned(),
                    |c| c.chars().take(8).collect(),
                );
                (r.id.clone(), commit)
            })
            .collect(),
        definition_changed: state
            .exercise_start
            .as_ref()
            .is_some_and(|s| s.digest != digest),
        this_run: false,
    }
}

/// One line of a trend: what is scored, then each run's score, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Series {
    /// A runbook id, or `exercise / objective`.
    pub subject: String,
    /// (day of the run, exercise, percent), oldest first.
    pub points: Vec<(String, String, Option<u64>)>,
}

impl Series {
    /// The points in words: `2026-06-01 62% → 2026-12-02 85%`.
    pub fn text(&self) -> String {
        self.points
            .iter()
            .map(|(day, _, p)| format!("{day} {}", percent(*p)))
            .collect::<Vec<_>>()
            .join(" → ")
    }
}

/// A percent, or `n/a` when nothing was scorable.
pub fn percent(p: Option<u64>) -> String {
    p.map_or_else(|| "n/a".to_owned(), |p| format!("{p}%"))
}

/// The runs sorted oldest to newest (a run with no time first).
pub fn oldest_first(runs: &mut [RunScore]) {
    runs.sort_by(|a, b| (a.started, &a.file).cmp(&(b.started, &b.file)));
}

/// Per runbook, its scores across `runs` (oldest first), by runbook id.
pub fn by_runbook(runs: &[RunScore]) -> Vec<Series> {
    series(runs, |run| {
        run.runbooks.iter().map(|(r, p)| (r.clone(), *p)).collect()
    })
}

/// Per exercise objective, its scores across `runs` (oldest first).
pub fn by_objective(runs: &[RunScore]) -> Vec<Series> {
    series(runs, |run| {
        run.objectives
            .iter()
            .map(|(o, p)| (format!("{} / {o}", run.exercise), *p))
            .collect()
    })
}

fn series(
    runs: &[RunScore],
    subjects: impl Fn(&RunScore) -> Vec<(String, Option<u64>)>,
) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    for run in runs {
        let day = run
            .started
            .map_or_else(|| "undated".to_owned(), |t| t.date_naive().to_string());
        for (subject, p) in subjects(run) {
            let point = (day.clone(), run.exercise.clone(), p);
            match out.iter_mut().find(|s| s.subject == subject) {
                Some(s) => s.points.push(point),
                None => out.push(Series {
                    subject,
                    points: vec![point],
                }),
            }
        }
    }
    out.sort_by(|a, b| a.subject.cmp(&b.subject));
    out
}

/// The trend tables' columns.
pub const HEAD: [&str; 2] = ["Scored", "Runs, oldest to newest"];

/// The trend as two tables of rows (by runbook, by exercise objective):
/// the subject, then its scores oldest to newest. The audit and the
/// after-action report print the same tables.
pub fn tables(runs: &[RunScore]) -> [(&'static str, Vec<Vec<String>>); 2] {
    let rows = |series: Vec<Series>| {
        series
            .into_iter()
            .map(|s| {
                let text = s.text();
                vec![s.subject, text]
            })
            .collect()
    };
    [
        ("by runbook", rows(by_runbook(runs))),
        ("by exercise objective", rows(by_objective(runs))),
    ]
}

/// Every readable run of `exercise` among the journals in `dirs`, scored
/// and oldest first, with `this` (the run being reported on) marked.
/// Each run counts once: however many folders name a file, and however
/// many copies of a run there are (a run kept by `exercise keep` is a copy
/// of its live journal, known by the same T+0 entry); the first found wins,
/// so list the run's own folder first. A journal that cannot be read
/// (encrypted without the identity, broken before its start) is left out:
/// the trend says what it could score.
pub fn runs_of(
    exercise: &Exercise,
    digest: &str,
    dirs: &[PathBuf],
    identities: Option<&Identities>,
    this: &ResponseState,
) -> Vec<RunScore> {
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut started = Runs::default();
    let mut out = Vec::new();
    for dir in dirs {
        for path in crate::journal::store::journals_in(dir) {
            let real = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if seen.contains(&real) {
                continue;
            }
            seen.push(real);
            let Some(state) = read_state(&path, identities)
                .filter(|s| s.exercise_id() == Some(exercise.id.as_str()))
            else {
                continue;
            };
            if !started.first_copy(&state) {
                continue;
            }
            let t0 = run_start(&state);
            let mut run = run_score(exercise, digest, &state, &shown(&path));
            run.this_run = t0.is_some() && t0 == run_start(this);
            out.push(run);
        }
    }
    oldest_first(&mut out);
    out
}

/// The runs met so far, to count each once: a run kept by `exercise keep`
/// is a copy of its live journal, known by the same T+0 entry.
#[derive(Debug, Default)]
pub struct Runs(Vec<Option<(DateTime<Utc>, u64)>>);

impl Runs {
    /// True the first time a run is met; false for a later copy of it.
    pub fn first_copy(&mut self, state: &ResponseState) -> bool {
        let t0 = run_start(state);
        if t0.is_some() && self.0.contains(&t0) {
            return false;
        }
        self.0.push(t0);
        true
    }
}

/// A run's identity: its T+0 entry's time and seq, the same in every copy
/// (a kept run is a copy of its live journal).
pub fn run_start(state: &ResponseState) -> Option<(DateTime<Utc>, u64)> {
    state
        .exercise_start
        .as_ref()
        .map(|s| (s.stamp.at, s.stamp.seq))
}

/// The fold of the journal at `path`, when it can be read.
fn read_state(path: &Path, identities: Option<&Identities>) -> Option<ResponseState> {
    let bytes = crate::journal::store::read_journal_bytes(path).ok()?;
    let read = crate::journal::read_prefix(path, &bytes, identities).ok()?;
    read.readable.then(|| ResponseState::fold(&read.entries))
}

/// A journal's name as the trend shows it: its file name.
fn shown(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercise::testkit::{EXERCISE, Run, exercise};

    const MIN: u64 = 60_000;

    #[test]
    fn the_trend_shows_each_runbook_and_objective_oldest_to_newest() {
        let ex = exercise();
        let digest = crate::exercise::digest(EXERCISE);
        // The first run triages late; the second in time.
        let mut first = Run::new();
        first.deliver("open", 0);
        first.step_done("triage", 20 * MIN);
        let mut second = Run::new();
        second.deliver("open", 0);
        second.step_done("triage", 5 * MIN);
        let mut runs = vec![
            run_score(&ex, &digest, &second.state, "b-second.jsonl"),
            run_score(&ex, &digest, &first.state, "a-first.jsonl"),
        ];
        oldest_first(&mut runs);
        let files: Vec<&str> = runs.iter().map(|r| r.file.as_str()).collect();
        assert_eq!(files, ["a-first.jsonl", "b-second.jsonl"]);
        assert!(!runs[0].definition_changed);

        let runbook = by_runbook(&runs);
        assert_eq!(runbook.len(), 1);
        assert_eq!(runbook[0].subject, "t/flow");
        let scores: Vec<Option<u64>> = runbook[0].points.iter().map(|p| p.2).collect();
        assert_eq!(scores.len(), 2);
        assert!(scores[0] < scores[1], "{scores:?}");

        let objectives = by_objective(&runs);
        let triage = objectives
            .iter()
            .find(|s| s.subject == "t/drill / triage")
            .unwrap_or_else(|| panic!("{objectives:?}"));
        // Late is half the points; in time, all of them.
        assert_eq!(triage.text(), "2026-03-06 50% → 2026-03-06 100%");
        let tables = tables(&runs);
        assert_eq!(tables[0].1[0], ["t/flow".to_owned(), runbook[0].text()]);
    }
}
