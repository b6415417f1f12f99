//! The audit's assessor pages: the council strategy's two questions answered
//! in plain words, and the evidence grabbag holds for each contributing
//! outcome of NCSC Cyber Assessment Framework objective D (minimising the
//! impact of incidents), with the gaps.
//!
//! grabbag follows CAF version [`CAF_VERSION`] (the outcomes' ids and names
//! only; docs/audit.md asks the reader to check the current version). It
//! never claims a CAF outcome is achieved: where grabbag has a mechanical,
//! documented rule of its own (D1.c exercising, D2.b lessons) it says whether
//! that rule holds, naming the rule; everything else is evidence for the
//! assessor's judgement.

use std::fmt::Write as _;

use serde::Serialize;

use super::audit::{Audit, text_table};
use super::html::{self, escape};
use crate::exercise::trend::percent;
use crate::lessons::{Status, TrackedLesson};
use crate::runbook::Kind;
use crate::text::printable_line;

/// The CAF version whose objective D outcomes this follows.
pub const CAF_VERSION: &str = "3.2";

/// What a grabbag rule found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The rule holds.
    Achieved,
    /// Part of it holds.
    PartiallyAchieved,
    /// It does not hold.
    NotAchieved,
}

impl Verdict {
    /// In words.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Achieved => "achieved",
            Verdict::PartiallyAchieved => "partially achieved",
            Verdict::NotAchieved => "NOT achieved",
        }
    }
}

/// A grabbag rule and what it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// The verdict.
    pub verdict: Verdict,
    /// The rule, in words (also in docs/audit.md).
    pub rule: &'static str,
}

/// One contributing outcome of objective D.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contributing {
    /// `D1.a`...
    pub id: &'static str,
    /// Its name.
    pub name: &'static str,
    /// Evidence grabbag holds, each pointing at where it is.
    pub evidence: Vec<String>,
    /// What is missing or wrong.
    pub gaps: Vec<String>,
    /// grabbag's own rule, where there is a mechanical one.
    pub grabbag_rule: Option<Rule>,
}

/// One of the strategy's questions, answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    /// The question.
    pub question: &'static str,
    /// The answer in plain words.
    pub answer: String,
    /// The evidence behind it.
    pub evidence: Vec<String>,
}

/// The rule of D1.c.
pub const D1C_RULE: &str = "achieved when every runbook was opened by an exercise run in the last 12 months, every exercise was run in that time and every such run verifies; partially when at least one run in that time verifies; not achieved otherwise";
/// The rule of D2.b.
pub const D2B_RULE: &str = "achieved when lessons are tracked, each open one has an owner and a due date, none is overdue and every closure's evidence stands; not achieved when no lesson is tracked; partially otherwise";

/// `ids` joined, or `none`.
fn list(ids: &[String]) -> String {
    if ids.is_empty() {
        "none".to_owned()
    } else {
        ids.join(", ")
    }
}

/// A sentence naming `ids` when there are any.
fn gap(gaps: &mut Vec<String>, what: &str, ids: Vec<String>) {
    if !ids.is_empty() {
        gaps.push(format!("{what} ({}): {}", ids.len(), ids.join(", ")));
    }
}

/// Objective D, outcome by outcome.
pub fn objective_d(a: &Audit) -> Vec<Contributing> {
    let year_ago = a.year_ago();
    let n = a.runbooks.len();
    let of_kind = |kind: Kind| a.runbooks.iter().filter(|r| r.kind == kind).count();
    let runbook_ids = |keep: &dyn Fn(&super::audit::RunbookStatus) -> bool| {
        a.runbooks
            .iter()
            .filter(|r| keep(r))
            .map(|r| r.id.clone())
            .collect::<Vec<_>>()
    };
    let incidents: Vec<_> = a.journals.iter().filter(|j| j.exercise.is_none()).collect();
    let recent_runs: Vec<_> = a
        .runs
        .iter()
        .filter(|r| r.started.is_some_and(|t| t.date_naive() >= year_ago))
        .collect();
    let verified = |file: &str| {
        a.journals
            .iter()
            .any(|j| j.file.display().to_string() == file && j.verified)
    };

    // D1.a
    let mut d1a = Contributing {
        id: "D1.a",
        name: "Response plan",
        evidence: vec![
            format!(
                "{n} runbooks in the library: {} for cyber incidents, {} for carrying on with no IT (RUNBOOKS)",
                of_kind(Kind::Cyber),
                of_kind(Kind::Continuity)
            ),
            format!(
                "each names its owner and next review date; {} of {n} within their review date, {} signed by an allowed signer (RUNBOOKS)",
                runbook_ids(&|r| !r.review_overdue).len(),
                runbook_ids(&|r| r.signed).len()
            ),
            format!(
                "{} of {n} runbooks are in an exercise's plan (COVERAGE)",
                runbook_ids(&|r| !r.planned_in.is_empty()).len()
            ),
            format!(
                "LGA grab-bag: {} of {} themes served at some stage, {} of {} theme-and-stage cells (the grab-bag table)",
                crate::runbook::Theme::ALL.len() - a.grab_bag.empty_themes.len(),
                crate::runbook::Theme::ALL.len(),
                a.grab_bag.cells.len() - a.grab_bag.empty_cells.len(),
                a.grab_bag.cells.len()
            ),
        ],
        gaps: Vec::new(),
        grabbag_rule: None,
    };
    if n == 0 {
        d1a.gaps.push("no runbook loaded".to_owned());
    }
    if of_kind(Kind::Continuity) == 0 {
        d1a.gaps
            .push("no continuity runbook: nothing says how services run with no IT".to_owned());
    }
    d1a.gaps.extend(a.grab_bag.findings());
    gap(
        &mut d1a.gaps,
        "review overdue",
        runbook_ids(&|r| r.review_overdue),
    );
    gap(
        &mut d1a.gaps,
        "not signed by an allowed signer",
        runbook_ids(&|r| !r.signed),
    );
    gap(
        &mut d1a.gaps,
        "UNENCRYPTED",
        runbook_ids(&|r| r.unencrypted),
    );
    gap(
        &mut d1a.gaps,
        "did not load",
        a.failures
            .iter()
            .map(|(f, _)| f.display().to_string())
            .collect(),
    );

    // D1.b
    let mut d1b = Contributing {
        id: "D1.b",
        name: "Response and recovery capability",
        evidence: vec![format!(
            "continuity runbooks for recovery with no IT, each with its steps, roles and contacts held offline: {}",
            of_kind(Kind::Continuity)
        )],
        gaps: Vec::new(),
        grabbag_rule: None,
    };
    for j in &incidents {
        d1b.evidence.push(format!(
            "incident journal {}{}: {}, signature {} (JOURNALS)",
            j.file.display(),
            j.incident
                .as_deref()
                .map_or_else(String::new, |i| format!(" ({i})")),
            if j.verified {
                "verified"
            } else {
                "FAILS verification"
            },
            j.signature
        ));
    }
    if incidents.is_empty() {
        d1b.gaps.push(
            "no incident journal in the library: the capability is shown by exercises only"
                .to_owned(),
        );
    }

    // D1.c
    let exercised = runbook_ids(&|r| r.last_exercised.is_some_and(|t| t.date_naive() >= year_ago));
    let mut d1c = Contributing {
        id: "D1.c",
        name: "Testing and exercising",
        evidence: vec![format!(
            "{} of {n} runbooks opened by an exercise run in the last 12 months",
            exercised.len()
        )],
        gaps: Vec::new(),
        grabbag_rule: None,
    };
    for run in &recent_runs {
        let versions: Vec<String> = run
            .versions
            .iter()
            .map(|(id, commit)| format!("{id}@{commit}"))
            .collect();
        d1c.evidence.push(format!(
            "{} on {}: score {}, runbooks {}; journal {} {}, signature {}{}",
            run.exercise,
            run.started
                .map_or_else(String::new, |t| t.date_naive().to_string()),
            percent(run.overall),
            list(&versions),
            run.file,
            if verified(&run.file) {
                "verified"
            } else {
                "FAILS verification"
            },
            a.journals
                .iter()
                .find(|j| j.file.display().to_string() == run.file)
                .map_or("none", |j| j.signature.as_str()),
            if run.definition_changed {
                " (scored against a definition changed since it was played)"
            } else {
                ""
            }
        ));
    }
    gap(
        &mut d1c.gaps,
        "not exercised in the last 12 months",
        runbook_ids(&|r| r.last_exercised.is_none_or(|t| t.date_naive() < year_ago)),
    );
    gap(
        &mut d1c.gaps,
        "exercises not run in the last 12 months",
        a.exercises
            .iter()
            .filter(|e| e.overdue)
            .map(|e| e.def.id.clone())
            .collect(),
    );
    gap(
        &mut d1c.gaps,
        "exercise runs that fail verification",
        recent_runs
            .iter()
            .filter(|r| !verified(&r.file))
            .map(|r| r.file.clone())
            .collect(),
    );
    let any_verified = recent_runs.iter().any(|r| verified(&r.file));
    d1c.grabbag_rule = Some(Rule {
        verdict: if n > 0 && exercised.len() == n && d1c.gaps.is_empty() {
            Verdict::Achieved
        } else if any_verified {
            Verdict::PartiallyAchieved
        } else {
            Verdict::NotAchieved
        },
        rule: D1C_RULE,
    });

    // D2.a
    let incident_lessons = a.lessons.iter().filter(|l| !l.from_exercise()).count();
    let mut d2a = Contributing {
        id: "D2.a",
        name: "Incident root cause analysis",
        evidence: vec![
            format!(
                "incident journals, each a timestamped, hash-chained record of what was seen, decided and done (the material an analysis rests on): {} (JOURNALS)",
                incidents.len()
            ),
            format!("lessons recorded from incidents and reviews: {incident_lessons} (LESSONS)"),
        ],
        gaps: Vec::new(),
        grabbag_rule: None,
    };
    gap(
        &mut d2a.gaps,
        "incident journals with no lesson to act on",
        incidents
            .iter()
            .map(|j| j.file.display().to_string())
            .filter(|file| !a.lessons.iter().any(|l| l.source == *file))
            .collect(),
    );
    gap(
        &mut d2a.gaps,
        "incident journals not signed",
        incidents
            .iter()
            .filter(|j| j.signature == "none")
            .map(|j| j.file.display().to_string())
            .collect(),
    );
    gap(
        &mut d2a.gaps,
        "incident journals that fail verification",
        incidents
            .iter()
            .filter(|j| !j.verified)
            .map(|j| j.file.display().to_string())
            .collect(),
    );

    // D2.b
    let with = |status: Status| {
        a.lessons
            .iter()
            .filter(|l| l.status == status)
            .map(|l| l.id.clone())
            .collect::<Vec<_>>()
    };
    let mut d2b = Contributing {
        id: "D2.b",
        name: "Using incidents to drive improvements",
        evidence: vec![format!(
            "{} lessons tracked ({} from exercises, {incident_lessons} from incidents and reviews): {} closed with evidence, {} open, {} overdue (LESSONS)",
            a.lessons.len(),
            a.lessons.len() - incident_lessons,
            with(Status::Closed).len(),
            with(Status::Open).len(),
            with(Status::Overdue).len()
        )],
        gaps: Vec::new(),
        grabbag_rule: None,
    };
    for l in a.lessons.iter().filter(|l| l.status == Status::Closed) {
        if let Some(c) = &l.closure {
            d2b.evidence
                .push(format!("{} closed: {}", l.id, c.evidence));
        }
    }
    if let Some(problem) = &a.lessons_problem {
        d2b.gaps.push(format!("lessons register: {problem}"));
    }
    gap(&mut d2b.gaps, "lessons OVERDUE", with(Status::Overdue));
    gap(
        &mut d2b.gaps,
        "open lessons with no owner or no due date",
        a.lessons
            .iter()
            .filter(|l| l.status != Status::Closed && (l.owner.is_none() || l.due.is_none()))
            .map(|l| l.id.clone())
            .collect(),
    );
    gap(
        &mut d2b.gaps,
        "closures whose evidence does not stand",
        a.lessons
            .iter()
            .filter(|l| l.closure.as_ref().is_some_and(|c| !c.proven))
            .map(|l| l.id.clone())
            .collect(),
    );
    d2b.grabbag_rule = Some(Rule {
        verdict: if a.lessons.is_empty() {
            Verdict::NotAchieved
        } else if d2b.gaps.is_empty() {
            Verdict::Achieved
        } else {
            Verdict::PartiallyAchieved
        },
        rule: D2B_RULE,
    });
    vec![d1a, d1b, d1c, d2a, d2b]
}

/// The strategy's two questions (the LGA's), answered from the audit.
pub fn questions(a: &Audit) -> Vec<Answer> {
    let year_ago = a.year_ago();
    let recent = |r: &super::audit::RunbookStatus| {
        r.last_exercised.is_some_and(|t| t.date_naive() >= year_ago)
    };
    let n = a.runbooks.len();
    let cyber = a.runbooks.iter().filter(|r| r.kind == Kind::Cyber).count();
    let continuity: Vec<_> = a
        .runbooks
        .iter()
        .filter(|r| r.kind == Kind::Continuity)
        .collect();
    // Runs of the last 12 months answer "are they exercised?"; older ones
    // are in the trend.
    let recent_runs: Vec<_> = a
        .runs
        .iter()
        .filter(|r| r.started.is_some_and(|t| t.date_naive() >= year_ago))
        .collect();
    let latest = recent_runs.last();
    let never: Vec<String> = a
        .runbooks
        .iter()
        .filter(|r| r.last_exercised.is_none())
        .map(|r| r.id.clone())
        .collect();
    let mut first = format!(
        "The library holds {n} runbooks: {cyber} for cyber incidents and {} for keeping services running with no IT. Signed by an allowed signer: {} of {n}. Within their review date: {} of {n}. Exercised in the last 12 months: {} of {n}",
        continuity.len(),
        a.runbooks.iter().filter(|r| r.signed).count(),
        a.runbooks.iter().filter(|r| !r.review_overdue).count(),
        a.runbooks.iter().filter(|r| recent(r)).count(),
    );
    match latest {
        Some(run) => {
            let _ = write!(
                first,
                ", in {} exercise {} in that time (the latest, {}, on {}, scored {}).",
                recent_runs.len(),
                if recent_runs.len() == 1 {
                    "run"
                } else {
                    "runs"
                },
                run.exercise,
                run.started.map_or_else(
                    || "an unknown day".to_owned(),
                    |t| t.date_naive().to_string()
                ),
                percent(run.overall)
            );
        }
        None => first.push_str(": no exercise run is recorded in that time."),
    }
    if !never.is_empty() {
        let _ = write!(first, " Never exercised: {}.", never.join(", "));
    }
    let mut first_evidence: Vec<String> = recent_runs
        .iter()
        .map(|r| {
            format!(
                "{} run {} ({}): score {}",
                r.exercise,
                r.started
                    .map_or_else(|| "undated".to_owned(), |t| t.date_naive().to_string()),
                r.file,
                percent(r.overall)
            )
        })
        .collect();
    first_evidence.push("older runs in TREND; RUNBOOKS, EXERCISES and JOURNALS below".to_owned());
    let second = if continuity.is_empty() {
        "The library holds no continuity runbook: there is no written answer yet.".to_owned()
    } else {
        format!(
            "{} how services carry on with no IT, on paper and by phone: {}. Exercised in the last 12 months: {} of them.",
            match continuity.len() {
                1 => "1 continuity runbook says".to_owned(),
                n => format!("{n} continuity runbooks say"),
            },
            continuity
                .iter()
                .map(|r| r.title.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            continuity.iter().filter(|r| recent(r)).count()
        )
    };
    let second_evidence = continuity
        .iter()
        .map(|r| {
            format!(
                "{}: owner {}, review due {}, last exercised {}",
                r.id,
                r.owner,
                r.review_due,
                r.last_exercised
                    .map_or_else(|| "never".to_owned(), |t| t.date_naive().to_string())
            )
        })
        .collect();
    vec![
        Answer {
            question: "What are the response, recovery and continuity plans for cyber incidents? Are they exercised and tested?",
            answer: first,
            evidence: first_evidence,
        },
        Answer {
            question: "How would the council deliver services if, following a cyber incident, it had no access to IT?",
            answer: second,
            evidence: second_evidence,
        },
    ]
}

/// The two pages as text.
pub fn text(o: &mut String, a: &Audit) {
    let p = |s: &str| printable_line(s).into_owned();
    let _ = writeln!(o, "\nTHE STRATEGY'S TWO QUESTIONS");
    for q in &a.questions {
        let _ = writeln!(o, "\n  Q: {}\n  A: {}", q.question, p(&q.answer));
        for e in &q.evidence {
            let _ = writeln!(o, "     - {}", p(e));
        }
    }
    let _ = writeln!(
        o,
        "\nNCSC CAF OBJECTIVE D, MINIMISING THE IMPACT OF INCIDENTS (CAF {CAF_VERSION}; check the current version)\n  Evidence for the assessor; a verdict only where grabbag has a mechanical rule (docs/audit.md)."
    );
    for c in &a.objective_d {
        let _ = writeln!(o, "\n  {} {}", c.id, c.name);
        if let Some(rule) = &c.grabbag_rule {
            let _ = writeln!(
                o,
                "    grabbag's rule: {} ({})",
                rule.verdict.as_str(),
                rule.rule
            );
        }
        for e in &c.evidence {
            let _ = writeln!(o, "    evidence: {}", p(e));
        }
        for g in &c.gaps {
            let _ = writeln!(o, "    GAP: {}", p(g));
        }
    }
}

/// The two pages as HTML: the questions on the first page, objective D on
/// the next.
pub fn html(o: &mut String, a: &Audit) {
    o.push_str("<h2>The strategy's two questions</h2>\n");
    for q in &a.questions {
        let _ = writeln!(
            o,
            "<h3>{}</h3>\n<p>{}</p>",
            escape(q.question),
            html::breakable(&q.answer)
        );
        list_html(o, &q.evidence, "");
    }
    let _ = writeln!(
        o,
        "<h2 class=\"break\">NCSC CAF objective D: minimising the impact of incidents</h2>\n<p class=\"muted\">CAF {CAF_VERSION} (check the current version). Evidence for the assessor's judgement; a verdict only where grabbag has a mechanical rule, named beside it (docs/audit.md).</p>"
    );
    for c in &a.objective_d {
        let _ = writeln!(o, "<h3>{} {}</h3>", c.id, escape(c.name));
        if let Some(rule) = &c.grabbag_rule {
            let class = if rule.verdict == Verdict::Achieved {
                "ok"
            } else {
                "bad"
            };
            let _ = writeln!(
                o,
                "<p><span class=\"{class}\">grabbag's rule: {}</span> <span class=\"muted\">({})</span></p>",
                rule.verdict.as_str(),
                escape(rule.rule)
            );
        }
        list_html(o, &c.evidence, "");
        list_html(o, &c.gaps, "bad");
    }
}

/// A bulleted list, each item escaped, with `class` on each item.
fn list_html(o: &mut String, items: &[String], class: &str) {
    if items.is_empty() {
        return;
    }
    o.push_str("<ul>\n");
    for item in items {
        if class.is_empty() {
            let _ = writeln!(o, "<li>{}</li>", html::breakable(item));
        } else {
            let _ = writeln!(
                o,
                "<li class=\"{class}\">Gap: {}</li>",
                html::breakable(item)
            );
        }
    }
    o.push_str("</ul>\n");
}

/// Tracked lessons as table rows (the audit's LESSONS, `lesson list`).
pub fn lesson_rows(lessons: &[TrackedLesson]) -> Vec<Vec<String>> {
    lessons
        .iter()
        .map(|l| {
            vec![
                l.id.clone(),
                l.status.as_str().to_owned(),
                l.owner.clone().unwrap_or_else(|| "NO OWNER".to_owned()),
                l.due
                    .map_or_else(|| "NO DUE DATE".to_owned(), |d| d.to_string()),
                l.text.clone(),
                match &l.closure {
                    Some(c) if c.proven => format!("closed {} by {}: {}", c.on, c.by, c.evidence),
                    _ => l.gaps.join("; "),
                },
            ]
        })
        .collect()
}

/// The lessons table's columns.
pub const LESSON_HEAD: [&str; 6] = [
    "Lesson",
    "Status",
    "Owner",
    "Due",
    "What",
    "Closure or gaps",
];

/// The lessons as a text table.
pub fn lessons_text(o: &mut String, a: &Audit) {
    let _ = writeln!(
        o,
        "\nLESSONS (from exercise and incident journals and {}; docs/lessons.md)",
        crate::lessons::REGISTER_FILE
    );
    text_table(o, &LESSON_HEAD, &lesson_rows(&a.lessons));
}
