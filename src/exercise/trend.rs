//! Scores across recorded runs, oldest to newest: per run the overall
//! score, each objective's and each runbook's (the expectations that name a
//! step of it), so an audit or an after-action report can show whether the
//! plans are getting better with practice. Data only; `report` renders it.
//!
//! A run is scored against the definition the caller found (the library's
//! current one, as `exercise score` does); a run whose definition changed
//! since it was played is scored against the new one, and says so
//! ([`RunScore::definition_changed`]).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::score::Total;
use super::{Exercise, Expected, score};
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
