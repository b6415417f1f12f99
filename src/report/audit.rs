//! The library audit: one report answering "are our plans current, exercised
//! and followed?" for a council, an auditor or an insurer.
//!
//! [`Audit::gather`] reads the library as loaded (review dates, trust, dirty
//! and unencrypted files), the exercise definitions in `exercises/`, and every
//! journal in `journals/` and `exercises/runs/` (verified like `journal
//! verify`, and read with the identity when there is one, to learn which
//! exercise it ran and which runbooks it opened). A runbook counts as
//! exercised when a journal whose session names an exercise opened it; an
//! exercise counts as run when such a journal names its id. Rendered as text,
//! JSON or one HTML page.
//!
//! For an assessor it also answers the council strategy's two questions and
//! maps the evidence to NCSC CAF objective D ([`super::caf`]), tracks the
//! lessons learned ([`crate::lessons`]) and shows the scores of every
//! recorded run, oldest to newest ([`crate::exercise::trend`]).
//!
//! Exercise definitions are found and parsed by the exercise module
//! ([`crate::exercise::files`]), the same reader `exercise lint`, `exercise
//! score` and `lint` use, so the audit cannot count a file the rest of
//! grabbag refuses.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::Serialize;

use super::Integrity;
use super::caf::{self, Answer, Contributing};
use super::coverage::Coverage;
use super::html::{self, escape};
use crate::crypto::Identities;
use crate::exercise::files;
pub use crate::exercise::files::{EXERCISES_DIR, RUNS_DIR};
use crate::exercise::trend::{self, RunScore};
use crate::exercise::{Exercise, digest};
use crate::journal::verify::{SignatureStatus, VerifyOptions, verify_bytes};
use crate::lessons::{Evidence, JournalLessons, Register, Status, TrackedLesson};
use crate::library::trust::Trust;
use crate::library::{COMMITTED_JOURNALS_DIR, JOURNALS_DIR, Library, LoadReport};
use crate::response::ResponseState;
use crate::runbook::Kind;
use crate::signing::AllowedSigners;
use crate::text::printable_line;

/// An exercise not run for this many months is overdue.
pub const EXERCISE_EVERY_MONTHS: u32 = 12;

/// One runbook's standing.
#[derive(Debug, Clone, Serialize)]
pub struct RunbookStatus {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Cyber or continuity.
    pub kind: Kind,
    /// The role that owns it.
    pub owner: String,
    /// File, relative to the library.
    pub file: PathBuf,
    /// Short version (commit, `+dirty`).
    pub version: String,
    /// Next review date.
    pub review_due: NaiveDate,
    /// The review date has passed.
    pub review_overdue: bool,
    /// Its last commit is signed by an allowed signer.
    pub signed: bool,
    /// Trust in words.
    pub trust: String,
    /// Differs from the commit.
    pub dirty: bool,
    /// A plaintext draft.
    pub unencrypted: bool,
    /// Exercises that list it (definitions).
    pub planned_in: Vec<String>,
    /// When an exercise run last opened it.
    pub last_exercised: Option<DateTime<Utc>>,
    /// Response (non-exercise) journals that opened it.
    pub used_in_responses: usize,
}

/// An exercise definition, as far as the audit needs it.
#[derive(Debug, Clone, Serialize)]
pub struct ExerciseDef {
    /// Id (the `id` key, else the file name).
    pub id: String,
    /// Title, if given.
    pub title: Option<String>,
    /// File, relative to the library.
    pub file: PathBuf,
    /// The runbooks it exercises.
    pub runbooks: Vec<String>,
}

/// An exercise and its runs.
#[derive(Debug, Clone, Serialize)]
pub struct ExerciseStatus {
    /// The definition (`None` for runs of an exercise with no definition).
    #[serde(flatten)]
    pub def: ExerciseDef,
    /// Journals that ran it.
    pub runs: usize,
    /// When it was last run (first entry of the latest run).
    pub last_run: Option<DateTime<Utc>>,
    /// Not run in the last [`EXERCISE_EVERY_MONTHS`] months.
    pub overdue: bool,
}

/// A journal found in the library.
#[derive(Debug, Clone, Serialize)]
pub struct JournalStatus {
    /// File, relative to the library.
    pub file: PathBuf,
    /// Verified (chain, signature not invalid).
    pub verified: bool,
    /// Entries.
    pub entries: u64,
    /// Encrypted at rest.
    pub encrypted: bool,
    /// Could be read (plaintext, or the identity opened it).
    pub readable: bool,
    /// Signature: valid, partial, unchecked, invalid or none.
    pub signature: String,
    /// Head witness code.
    pub head: Option<String>,
    /// Incident name.
    pub incident: Option<String>,
    /// Exercise id, for an exercise run.
    pub exercise: Option<String>,
    /// First entry's time.
    pub started: Option<DateTime<Utc>>,
    /// Runbooks opened.
    pub runbooks: Vec<String>,
    /// The verdict in one line.
    pub summary: String,
}

/// The whole audit.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    /// The library folder.
    pub library: String,
    /// The date judged against.
    pub today: NaiveDate,
    /// Every runbook that loaded, by id.
    pub runbooks: Vec<RunbookStatus>,
    /// Files that did not load: (file, why).
    pub failures: Vec<(PathBuf, String)>,
    /// Library files found but not used, one line each (settings changed
    /// by an untrusted commit or only in the working tree).
    pub notices: Vec<String>,
    /// Exercises, by id.
    pub exercises: Vec<ExerciseStatus>,
    /// Exercise files that could not be read: (file, why).
    pub exercise_problems: Vec<(PathBuf, String)>,
    /// Journals, by file.
    pub journals: Vec<JournalStatus>,
    /// Every exercise run scored against its definition, oldest first.
    pub runs: Vec<RunScore>,
    /// Lessons learned, tracked.
    pub lessons: Vec<TrackedLesson>,
    /// Why the lessons register could not be read, if it could not.
    pub lessons_problem: Option<String>,
    /// The CAF version followed.
    pub caf_version: &'static str,
    /// NCSC CAF objective D, outcome by outcome.
    pub objective_d: Vec<Contributing>,
    /// The strategy's two questions, answered.
    pub questions: Vec<Answer>,
    /// The LGA grab-bag themes by stage, with the runbooks serving each.
    pub grab_bag: Coverage,
    /// What needs doing, one sentence each (empty: all in order).
    pub findings: Vec<String>,
}

/// Exercise definitions as the audit reads them.
pub struct Definitions {
    /// Summaries, by id.
    pub defs: Vec<ExerciseDef>,
    /// The parsed definitions with the digest of their text, to score runs.
    pub parsed: Vec<(Exercise, String)>,
    /// Files that could not be read or have errors: (file, first error).
    pub problems: Vec<(PathBuf, String)>,
}

/// The exercise definitions in `root/exercises/` (not `runs/`), plaintext or
/// decrypted in memory with `identities`, parsed by the exercise module
/// (references to runbooks are `lint`'s business, not checked here).
pub fn exercise_definitions(root: &Path, identities: Option<&Identities>) -> Definitions {
    // A symlinked `exercises/` could lead out of the library: refused.
    let dir = match crate::library::inside(root, Path::new(EXERCISES_DIR)) {
        Ok(dir) => dir,
        Err(e) => {
            return Definitions {
                defs: Vec::new(),
                parsed: Vec::new(),
                problems: vec![(PathBuf::from(EXERCISES_DIR), e.to_string())],
            };
        }
    };
    let (found, mut diagnostics) = files::discover(&dir, identities);
    let relative = |shown: &str| {
        let path = Path::new(shown);
        path.strip_prefix(root).unwrap_or(path).to_owned()
    };
    let parsed = files::check_all(found, None, &mut diagnostics);
    let mut problems: Vec<(PathBuf, String)> = Vec::new();
    for d in diagnostics.iter().filter(|d| d.is_error()) {
        let file = relative(&d.file);
        if !problems.iter().any(|(f, _)| *f == file) {
            let place = match (d.line, d.column) {
                (Some(l), Some(c)) => format!("line {l}, column {c}: "),
                _ => String::new(),
            };
            problems.push((file, format!("{place}{}", d.message)));
        }
    }
    let mut defs: Vec<ExerciseDef> = parsed
        .iter()
        .map(|(f, e)| ExerciseDef {
            id: e.id.clone(),
            title: Some(e.title.clone()),
            file: relative(&f.shown),
            runbooks: e.runbooks.clone(),
        })
        .collect();
    defs.sort_by(|a, b| a.id.cmp(&b.id));
    Definitions {
        defs,
        parsed: parsed
            .into_iter()
            .map(|(f, e)| (e, digest(&f.text)))
            .collect(),
        problems,
    }
}

/// Verifies and reads one journal file for the audit.
fn journal_status(
    root: &Path,
    path: &Path,
    signers: Option<&AllowedSigners>,
    identities: Option<&Identities>,
) -> (JournalStatus, Option<ResponseState>) {
    let file = path.strip_prefix(root).unwrap_or(path).to_owned();
    let failed = |why: String| JournalStatus {
        file: file.clone(),
        verified: false,
        entries: 0,
        encrypted: false,
        readable: false,
        signature: "none".to_owned(),
        head: None,
        incident: None,
        exercise: None,
        started: None,
        runbooks: Vec::new(),
        summary: why,
    };
    let bytes = match crate::journal::store::read_journal_bytes(path) {
        Ok(bytes) => bytes,
        Err(e) => return (failed(format!("cannot read: {e}")), None),
    };
    let options = VerifyOptions {
        witnesses: Vec::new(),
        allowed_signers: signers,
        require_known_signer: false,
    };
    let report = match verify_bytes(path, &bytes, &options) {
        Ok(report) => report,
        Err(e) => return (failed(e.to_string()), None),
    };
    // A merged timeline is an archive of journals counted on their own.
    let read = crate::journal::read_prefix(path, &bytes, identities);
    let (state, readable) = match &read {
        Ok(read) if read.readable => (Some(ResponseState::fold(&read.entries)), true),
        _ => (None, false),
    };
    let signature = match &report.signature {
        None => "none",
        Some(s) => match (s.status, s.whole_file) {
            (SignatureStatus::Valid, true) => "valid",
            (SignatureStatus::Valid, false) => "partial",
            (SignatureStatus::Unchecked, _) => "unchecked",
            (SignatureStatus::UnknownSigner, _) => "valid, unknown signer",
            (SignatureStatus::Invalid, _) => "INVALID",
        },
    };
    let integrity = Integrity {
        report: report.clone(),
        readable,
    };
    let status = JournalStatus {
        file,
        verified: report.ok(),
        entries: report.entries,
        encrypted: report.encrypted,
        readable,
        signature: signature.to_owned(),
        head: report.head.as_ref().map(|h| h.witness.clone()),
        incident: state.as_ref().and_then(|s| s.incident.clone()),
        exercise: state
            .as_ref()
            .and_then(|s| s.exercise_id().map(str::to_owned)),
        started: state.as_ref().and_then(|s| s.first_at),
        runbooks: state
            .as_ref()
            .map(|s| s.runbooks.iter().map(|r| r.id.clone()).collect())
            .unwrap_or_default(),
        summary: integrity.summary(),
    };
    (status, state)
}

impl Audit {
    /// Gathers the audit of `library`, loaded as `report`.
    pub fn gather(
        library: &Library,
        report: &LoadReport,
        signers: Option<&AllowedSigners>,
        identities: Option<&Identities>,
        today: NaiveDate,
    ) -> Self {
        let root = library.root();
        let Definitions {
            defs,
            parsed,
            problems: exercise_problems,
        } = exercise_definitions(root, identities);
        // Only folders inside the library: one a commit made a symlink out
        // of it is not read (and `exercise_definitions` reports it).
        let mut journal_files = Vec::new();
        for dir in [
            Path::new(JOURNALS_DIR).to_path_buf(),
            Path::new(COMMITTED_JOURNALS_DIR).to_path_buf(),
            Path::new(EXERCISES_DIR).join(RUNS_DIR),
        ] {
            if let Ok(dir) = crate::library::inside(root, &dir) {
                journal_files.extend(crate::journal::store::journals_in(&dir));
            }
        }
        let (journals, states): (Vec<JournalStatus>, Vec<Option<ResponseState>>) = journal_files
            .iter()
            .map(|path| journal_status(root, path, signers, identities))
            .unzip();
        // A run kept into `exercises/runs/` beside its live journal counts
        // once, as in an after-action report's trend.
        let mut met = trend::Runs::default();
        let mut runs: Vec<RunScore> = journals
            .iter()
            .zip(&states)
            .filter_map(|(j, state)| {
                let state = state.as_ref().filter(|s| met.first_copy(s))?;
                let (exercise, digest) = parsed
                    .iter()
                    .find(|(e, _)| Some(e.id.as_str()) == state.exercise_id())?;
                Some(trend::run_score(
                    exercise,
                    digest,
                    state,
                    &j.file.display().to_string(),
                ))
            })
            .collect();
        trend::oldest_first(&mut runs);
        let runbook_files: Vec<PathBuf> = report.runbooks.iter().map(|r| r.file.clone()).collect();
        let exercises_parsed: Vec<Exercise> = parsed.into_iter().map(|(e, _)| e).collect();
        let evidence = Evidence {
            library,
            runbook_files: &runbook_files,
            exercises: &exercises_parsed,
            identities,
        };
        let (register, lessons_problem) = match Register::read(root, identities) {
            Ok(register) => (register, None),
            Err(e) => (Register::default(), Some(e.to_string())),
        };
        let journal_lessons: Vec<JournalLessons<'_>> = journals
            .iter()
            .zip(&states)
            .filter_map(|(j, s)| {
                Some(JournalLessons {
                    file: &j.file,
                    state: s.as_ref()?,
                })
            })
            .collect();
        let lessons = crate::lessons::track(&journal_lessons, &register, &evidence, today);
        let year_ago = today
            .checked_sub_months(Months::new(EXERCISE_EVERY_MONTHS))
            .unwrap_or(NaiveDate::MIN);
        // Exercise runs, by exercise id: (runs, latest start).
        let mut played: BTreeMap<&str, (usize, Option<DateTime<Utc>>)> = BTreeMap::new();
        // A kept copy is the same run (as in the trend above).
        let mut copies = trend::Runs::default();
        for (j, state) in journals.iter().zip(&states) {
            if state.as_ref().is_some_and(|s| !copies.first_copy(s)) {
                continue;
            }
            if let Some(ex) = &j.exercise {
                let entry = played.entry(ex.as_str()).or_default();
                entry.0 += 1;
                entry.1 = entry.1.max(j.started);
            }
        }
        let mut exercises: Vec<ExerciseStatus> = defs
            .iter()
            .map(|def| {
                let (count, last) = played.get(def.id.as_str()).copied().unwrap_or_default();
                ExerciseStatus {
                    def: def.clone(),
                    runs: count,
                    last_run: last,
                    overdue: last.is_none_or(|t| t.date_naive() < year_ago),
                }
            })
            .collect();
        // Runs of exercises with no definition in the library still count.
        for (id, (count, last)) in &played {
            if !defs.iter().any(|d| d.id == *id) {
                exercises.push(ExerciseStatus {
                    def: ExerciseDef {
                        id: (*id).to_owned(),
                        title: None,
                        file: PathBuf::new(),
                        runbooks: Vec::new(),
                    },
                    runs: *count,
                    last_run: *last,
                    overdue: last.is_none_or(|t| t.date_naive() < year_ago),
                });
            }
        }
        let runbooks: Vec<RunbookStatus> = report
            .runbooks
            .iter()
            .map(|r| {
                let id = &r.runbook.id;
                let opened_by = |exercise: bool| {
                    journals.iter().filter(move |j| {
                        j.exercise.is_some() == exercise && j.runbooks.contains(id)
                    })
                };
                RunbookStatus {
                    id: id.clone(),
                    title: r.runbook.title.clone(),
                    kind: r.runbook.kind,
                    owner: r.runbook.owner.clone(),
                    file: r.file.clone(),
                    version: r.version.short(),
                    review_due: r.runbook.review_due(),
                    review_overdue: r.review_overdue(today),
                    signed: r.trust.is_trusted(),
                    trust: match &r.trust {
                        Trust::Trusted { signer } => format!("signed by {signer}"),
                        other => other.to_string(),
                    },
                    dirty: r.version.dirty,
                    unencrypted: !r.encrypted,
                    planned_in: defs
                        .iter()
                        .filter(|d| d.runbooks.contains(id))
                        .map(|d| d.id.clone())
                        .collect(),
                    last_exercised: opened_by(true).filter_map(|j| j.started).max(),
                    used_in_responses: opened_by(false).count(),
                }
            })
            .collect();
        let grab_bag = Coverage::of(
            report
                .runbooks
                .iter()
                .zip(&runbooks)
                .map(|(r, status)| (&r.runbook, status.last_exercised)),
        );
        let mut audit = Self {
            library: root.display().to_string(),
            today,
            runbooks,
            failures: report
                .failures
                .iter()
                .map(|f| (f.file.clone(), f.summary()))
                .collect(),
            notices: report
                .notices
                .iter()
                .map(|n| format!("{}: {}", n.location(), n.message))
                .collect(),
            exercises,
            exercise_problems,
            journals,
            runs,
            lessons,
            lessons_problem,
            caf_version: caf::CAF_VERSION,
            objective_d: Vec::new(),
            questions: Vec::new(),
            grab_bag,
            findings: Vec::new(),
        };
        audit.objective_d = caf::objective_d(&audit);
        audit.questions = caf::questions(&audit);
        audit.findings = audit.find();
        audit
    }

    /// The day a year before the audit: exercises and runs since count as
    /// recent.
    pub fn year_ago(&self) -> NaiveDate {
        self.today
            .checked_sub_months(Months::new(EXERCISE_EVERY_MONTHS))
            .unwrap_or(NaiveDate::MIN)
    }

    /// What needs doing, one sentence per kind of problem.
    fn find(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut say = |what: &str, ids: Vec<String>| {
            if !ids.is_empty() {
                out.push(format!("{what} ({}): {}", ids.len(), ids.join(", ")));
            }
        };
        let ids = |keep: &dyn Fn(&RunbookStatus) -> bool| {
            self.runbooks
                .iter()
                .filter(|r| keep(r))
                .map(|r| r.id.clone())
                .collect::<Vec<_>>()
        };
        say("Review overdue", ids(&|r| r.review_overdue));
        say("Not signed by an allowed signer", ids(&|r| !r.signed));
        say("Changed since their commit (dirty)", ids(&|r| r.dirty));
        say("UNENCRYPTED", ids(&|r| r.unencrypted));
        say("Never exercised", ids(&|r| r.last_exercised.is_none()));
        say(
            "Did not load",
            self.failures
                .iter()
                .map(|(f, _)| f.display().to_string())
                .collect(),
        );
        say("Library files not in force", self.notices.clone());
        say(
            &format!("Exercises not run in the last {EXERCISE_EVERY_MONTHS} months"),
            self.exercises
                .iter()
                .filter(|e| e.overdue)
                .map(|e| e.def.id.clone())
                .collect(),
        );
        say(
            "Exercise files that could not be read",
            self.exercise_problems
                .iter()
                .map(|(f, _)| f.display().to_string())
                .collect(),
        );
        let lessons = |keep: &dyn Fn(&TrackedLesson) -> bool| {
            self.lessons
                .iter()
                .filter(|l| keep(l))
                .map(|l| l.id.clone())
                .collect::<Vec<_>>()
        };
        say("Lessons OVERDUE", lessons(&|l| l.status == Status::Overdue));
        say(
            "Open lessons with no owner or no due date",
            lessons(&|l| l.status != Status::Closed && (l.owner.is_none() || l.due.is_none())),
        );
        say(
            "Lesson closures whose evidence does not stand",
            lessons(&|l| l.closure.as_ref().is_some_and(|c| !c.proven)),
        );
        say(
            "The lessons register could not be read",
            self.lessons_problem.iter().cloned().collect(),
        );
        say(
            "Journals that FAIL verification",
            self.journals
                .iter()
                .filter(|j| !j.verified)
                .map(|j| j.file.display().to_string())
                .collect(),
        );
        out.extend(self.grab_bag.findings());
        out
    }

    /// Exercise ids, in column order for the coverage matrix.
    fn columns(&self) -> Vec<&str> {
        self.exercises.iter().map(|e| e.def.id.as_str()).collect()
    }

    /// A coverage cell: `run` when a run of `exercise` opened `runbook`,
    /// `planned` when the exercise lists it but no run opened it, else empty.
    pub fn coverage(&self, runbook: &str, exercise: &str) -> &'static str {
        let ran = self.journals.iter().any(|j| {
            j.exercise.as_deref() == Some(exercise) && j.runbooks.iter().any(|r| r == runbook)
        });
        let planned = self
            .exercises
            .iter()
            .any(|e| e.def.id == exercise && e.def.runbooks.iter().any(|r| r == runbook));
        match (ran, planned) {
            (true, _) => "run",
            (false, true) => "planned",
            _ => "",
        }
    }

    /// Table rows of the runbooks.
    fn runbook_rows(&self) -> Vec<Vec<String>> {
        self.runbooks
            .iter()
            .map(|r| {
                let mut flags = Vec::new();
                if r.review_overdue {
                    flags.push("REVIEW-DUE");
                }
                if !r.signed {
                    flags.push("UNSIGNED");
                }
                if r.dirty {
                    flags.push("DIRTY");
                }
                if r.unencrypted {
                    flags.push("UNENCRYPTED");
                }
                if r.last_exercised.is_none() {
                    flags.push("NEVER-EXERCISED");
                }
                vec![
                    // One cell: a seventh column does not fit across A4.
                    format!("{} ({})", r.id, r.owner),
                    r.version.clone(),
                    r.review_due.to_string(),
                    r.last_exercised
                        .map_or_else(|| "never".to_owned(), |t| t.date_naive().to_string()),
                    r.used_in_responses.to_string(),
                    flags.join(" "),
                ]
            })
            .collect()
    }

    /// Table rows of the exercises.
    fn exercise_rows(&self) -> Vec<Vec<String>> {
        self.exercises
            .iter()
            .map(|e| {
                vec![
                    e.def.id.clone(),
                    e.def.title.clone().unwrap_or_default(),
                    e.runs.to_string(),
                    e.last_run
                        .map_or_else(|| "never".to_owned(), |t| t.date_naive().to_string()),
                    if e.overdue { "OVERDUE" } else { "ok" }.to_owned(),
                ]
            })
            .collect()
    }

    /// Table rows of the journals.
    fn journal_rows(&self) -> Vec<Vec<String>> {
        self.journals
            .iter()
            .map(|j| {
                vec![
                    j.file.display().to_string(),
                    if j.verified { "VERIFIED" } else { "FAILED" }.to_owned(),
                    j.entries.to_string(),
                    j.signature.clone(),
                    if j.encrypted {
                        "encrypted"
                    } else {
                        "PLAINTEXT"
                    }
                    .to_owned(),
                    j.exercise
                        .clone()
                        .map(|e| format!("exercise {e}"))
                        .or_else(|| j.incident.clone())
                        .unwrap_or_else(|| {
                            if j.readable {
                                String::new()
                            } else {
                                "(not readable without the identity)".to_owned()
                            }
                        }),
                    j.started
                        .map_or_else(String::new, |t| t.date_naive().to_string()),
                ]
            })
            .collect()
    }

    /// The coverage matrix rows: runbook id, then one cell per exercise.
    fn matrix_rows(&self) -> Vec<Vec<String>> {
        self.runbooks
            .iter()
            .map(|r| {
                std::iter::once(r.id.clone())
                    .chain(
                        self.columns()
                            .iter()
                            .map(|e| self.coverage(&r.id, e).to_owned()),
                    )
                    .collect()
            })
            .collect()
    }

    /// The coverage as a list per runbook: the exercises whose runs opened
    /// it, and those that plan it but have not run it.
    fn coverage_list_rows(&self) -> Vec<Vec<String>> {
        self.runbooks
            .iter()
            .map(|r| {
                let with = |cell: &str| {
                    self.columns()
                        .into_iter()
                        .filter(|e| self.coverage(&r.id, e) == cell)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                vec![r.id.clone(), with("run"), with("planned")]
            })
            .collect()
    }

    /// The audit for a terminal (untrusted text made printable).
    pub fn text(&self) -> String {
        let mut o = String::new();
        let p = |s: &str| printable_line(s).into_owned();
        let _ = writeln!(o, "Library audit of {} on {}", p(&self.library), self.today);
        // The first page answers the strategy's questions; findings follow.
        caf::text(&mut o, self);
        if self.findings.is_empty() {
            let _ = writeln!(
                o,
                "\nAll in order: nothing overdue, unsigned, dirty, unencrypted or unexercised."
            );
        } else {
            let _ = writeln!(o, "\nFINDINGS (what needs doing)");
            for f in &self.findings {
                let _ = writeln!(o, "  - {}", p(f));
            }
        }
        caf::lessons_text(&mut o, self);
        self.trend_text(&mut o);
        let sections: [Section<'_>; 3] = [
            ("RUNBOOKS", &RUNBOOK_HEAD, self.runbook_rows()),
            ("EXERCISES", &EXERCISE_HEAD, self.exercise_rows()),
            ("JOURNALS", &JOURNAL_HEAD, self.journal_rows()),
        ];
        for (title, head, rows) in sections {
            let _ = writeln!(o, "\n{title}");
            text_table(&mut o, head, &rows);
        }
        let _ = writeln!(
            o,
            "\nCOVERAGE (run: a run of the exercise opened the runbook; planned: listed, never run)"
        );
        if self.exercises.is_empty() {
            let _ = writeln!(
                o,
                "  (no exercises in {EXERCISES_DIR}/ and no exercise runs)"
            );
        } else {
            let mut head = vec!["RUNBOOK \\ EXERCISE"];
            head.extend(self.columns());
            text_table(&mut o, &head, &self.matrix_rows());
        }
        self.grab_bag.text(&mut o);
        o
    }

    /// The audit as one HTML page.
    pub fn html(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "<h1>Library audit</h1>\n<p class=\"muted\">library <span class=\"mono\">{}</span> · {}</p>",
            escape(&self.library),
            self.today
        );
        caf::html(&mut o, self);
        o.push_str("<h2 class=\"break\">Findings</h2>\n");
        if self.findings.is_empty() {
            o.push_str("<p class=\"ok\">All in order: nothing overdue, unsigned, dirty, unencrypted or unexercised.</p>\n");
        } else {
            o.push_str("<ul>\n");
            for f in &self.findings {
                let _ = writeln!(o, "<li class=\"bad\">{}</li>", escape(f));
            }
            o.push_str("</ul>\n");
        }
        o.push_str("<h2>Lessons</h2>\n");
        html::table(&mut o, &caf::LESSON_HEAD, &caf::lesson_rows(&self.lessons));
        self.trend_html(&mut o);
        o.push_str("<h2>Runbooks</h2>\n");
        html::table(&mut o, &RUNBOOK_HEAD, &self.runbook_rows());
        o.push_str("<h2>Coverage: runbooks by exercise</h2>\n<p class=\"muted\">run: a run of the exercise opened the runbook; planned: the exercise lists it but no run opened it.</p>\n");
        if self.columns().len() > MATRIX_MAX_COLUMNS {
            html::table(&mut o, &COVERAGE_LIST_HEAD, &self.coverage_list_rows());
        } else {
            let mut head = vec!["Runbook"];
            head.extend(self.columns());
            html::table(&mut o, &head, &self.matrix_rows());
        }
        self.grab_bag.html(&mut o);
        o.push_str("<h2>Exercises</h2>\n");
        html::table(&mut o, &EXERCISE_HEAD, &self.exercise_rows());
        o.push_str("<h2>Journals</h2>\n");
        html::table(&mut o, &JOURNAL_HEAD, &self.journal_rows());
        html::document("Library audit", &o)
    }
}

impl Audit {
    fn trend_text(&self, o: &mut String) {
        let _ = writeln!(
            o,
            "\nTREND (scores of every recorded run, oldest to newest)"
        );
        for (what, rows) in trend::tables(&self.runs) {
            let _ = writeln!(o, "\n  {what}");
            text_table(o, &trend::HEAD, &rows);
        }
    }

    fn trend_html(&self, o: &mut String) {
        o.push_str("<h2>Trend: scores of every recorded run, oldest to newest</h2>\n");
        for (what, rows) in trend::tables(&self.runs) {
            let _ = writeln!(o, "<h3>{}</h3>", escape(&format!("Scores {what}")));
            html::table(o, &trend::HEAD, &rows);
        }
    }
}

/// Exercises beyond which the printed coverage is a list per runbook, not a
/// matrix: more columns do not fit across A4, and Chromium would shrink the
/// whole audit until they did.
const MATRIX_MAX_COLUMNS: usize = 6;

/// The coverage list's columns.
const COVERAGE_LIST_HEAD: [&str; 3] = ["Runbook", "Run in", "Planned in, not yet run"];

const RUNBOOK_HEAD: [&str; 6] = [
    "Runbook (owner)",
    "Version",
    "Review due",
    "Last exercised",
    "Responses",
    "Flags",
];
const EXERCISE_HEAD: [&str; 5] = ["Exercise", "Title", "Runs", "Last run", "Status"];
const JOURNAL_HEAD: [&str; 7] = [
    "Journal",
    "Verification",
    "Entries",
    "Signature",
    "At rest",
    "What",
    "Started",
];

/// A titled table: title, column heads, rows.
type Section<'a> = (&'a str, &'a [&'a str], Vec<Vec<String>>);

/// A plain-text table with columns padded to their widest cell.
pub fn text_table(o: &mut String, head: &[&str], rows: &[Vec<String>]) {
    if rows.is_empty() {
        let _ = writeln!(o, "  (none)");
        return;
    }
    let cells: Vec<Vec<String>> = std::iter::once(head.iter().map(|h| (*h).to_owned()).collect())
        .chain(
            rows.iter()
                .map(|r| r.iter().map(|c| printable_line(c).into_owned()).collect()),
        )
        .collect();
    let widths: Vec<usize> = (0..head.len())
        .map(|i| {
            cells
                .iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in &cells {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        let _ = writeln!(o, "  {}", line.join("  ").trim_end());
    }
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
