//! Lessons learned as tracked items: each lesson from an exercise or an
//! incident has an owner and a due date, and stays open until evidence
//! closes it: the commit that changed a runbook, or a later exercise run
//! whose expectation was met. Overdue ones are flagged by `audit` and the
//! review screen.
//!
//! The lessons themselves come from two places: `lesson_recorded` entries of
//! the journals (the exercise's hot debrief, an incident's own log) and the
//! library's [`Register`], which also assigns owners and due dates the
//! journal lacked and records every closure (docs/lessons.md says why the
//! register, not the journals, holds them). [`track`] folds both into
//! [`TrackedLesson`]s; [`Evidence::check`] is the one rule deciding whether a
//! closure stands, used by `grabbag lesson close` before it writes and by
//! the audit every time it reads, so evidence that later vanishes (a commit
//! dropped from history, a run deleted) reopens the lesson.

pub mod register;

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::crypto::{CryptoError, Identities};
use crate::exercise::{Exercise, Outcome};
use crate::journal::LessonCategory;
use crate::journal::verify::{VerifyOptions, verify_bytes};
use crate::library::{Library, LibraryError};
use crate::response::ResponseState;
pub use register::{Closure, REGISTER_FILE, Record, Register};

/// Why the lessons register could not be read, written or changed.
#[derive(Debug, thiserror::Error)]
pub enum LessonsError {
    /// Reading failed.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Something other than a file is where the register should be.
    #[error("{} is not a regular file", .0.display())]
    NotAFile(PathBuf),
    /// Over the size limit.
    #[error("{} is larger than {limit} bytes", path.display())]
    TooBig {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// Encrypted, and no identity was given.
    #[error("{} is encrypted: an identity is needed to read it", .0.display())]
    NeedsIdentity(PathBuf),
    /// Decryption failed.
    #[error("cannot decrypt {}: {source}", path.display())]
    Decrypt {
        /// The file.
        path: PathBuf,
        /// Why.
        source: CryptoError,
    },
    /// Not a register.
    #[error("{}: {message}", file.display())]
    Parse {
        /// The file.
        file: PathBuf,
        /// What and where.
        message: String,
    },
    /// Could not be turned into text.
    #[error("cannot write the lessons register: {0}")]
    Write(String),
    /// The library refused.
    #[error(transparent)]
    Library(#[from] LibraryError),
    /// No such lesson.
    #[error("no lesson `{0}` in the journals or the register")]
    Unknown(String),
    /// The evidence offered does not close the lesson.
    #[error("{0}")]
    Evidence(String),
}

/// Where a lesson stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Closed with evidence that still checks.
    Closed,
    /// Open, not yet due (or with no due date: see the gaps).
    Open,
    /// Open past its due date.
    Overdue,
}

impl Status {
    /// The word shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Closed => "closed",
            Status::Open => "open",
            Status::Overdue => "OVERDUE",
        }
    }
}

/// A closure and whether its evidence stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClosureCheck {
    /// Who closed it.
    pub by: String,
    /// When.
    pub on: NaiveDate,
    /// The evidence, in words: what was checked and found, or why it does
    /// not close the lesson.
    pub evidence: String,
    /// The evidence checked out.
    pub proven: bool,
}

/// One lesson, tracked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackedLesson {
    /// `<journal name>#<seq>`, or `R<n>` for one recorded in the register.
    pub id: String,
    /// Did not go well, or an action.
    pub category: LessonCategory,
    /// The lesson.
    pub text: String,
    /// The journal it was recorded in, or the register.
    pub source: String,
    /// The exercise whose run recorded it.
    pub exercise: Option<String>,
    /// The incident whose journal recorded it.
    pub incident: Option<String>,
    /// When it was recorded.
    pub recorded: Option<DateTime<Utc>>,
    /// Who owns it.
    pub owner: Option<String>,
    /// When it is due.
    pub due: Option<NaiveDate>,
    /// The closure recorded, checked.
    pub closure: Option<ClosureCheck>,
    /// Where it stands.
    pub status: Status,
    /// What is missing: no owner, no due date, a due date that is not a
    /// date, evidence that does not stand.
    pub gaps: Vec<String>,
}

impl TrackedLesson {
    /// From an exercise run (else an incident or the register).
    pub fn from_exercise(&self) -> bool {
        self.exercise.is_some()
    }
}

/// A journal's lessons, as the caller read them.
pub struct JournalLessons<'a> {
    /// The journal, relative to the library.
    pub file: &'a Path,
    /// Its fold.
    pub state: &'a ResponseState,
}

/// The id of the lesson at `seq` of journal `file`: the file's name without
/// `.jsonl`, so a live journal and its committed snapshot give one lesson.
pub fn journal_lesson_id(file: &Path, seq: u64) -> String {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{}#{seq}", name.trim_end_matches(".jsonl"))
}

/// Whether a category is tracked: what went well needs no owner.
fn tracked(category: LessonCategory) -> bool {
    category != LessonCategory::WentWell
}

/// The lessons of `journals` and `register`, tracked as of `today`: journal
/// lessons in journal order (each id once), then those recorded in the
/// register, then register records naming a journal lesson no journal given
/// holds (shown, so a lost or unreadable journal is not a lost lesson).
pub fn track(
    journals: &[JournalLessons<'_>],
    register: &Register,
    evidence: &Evidence<'_>,
    today: NaiveDate,
) -> Vec<TrackedLesson> {
    let mut out: Vec<TrackedLesson> = Vec::new();
    for journal in journals {
        for lesson in journal.state.lessons.iter().filter(|l| tracked(l.category)) {
            let mut id = journal_lesson_id(journal.file, lesson.stamp.seq);
            match out.iter().find(|t| t.id == id) {
                // A live journal and its committed snapshot: one lesson.
                Some(seen) if seen.text == lesson.text => continue,
                // Another journal of the same name: never dropped, told
                // apart by its path.
                Some(_) => {
                    let path = journal.file.display().to_string();
                    id = format!("{}#{}", path.trim_end_matches(".jsonl"), lesson.stamp.seq);
                }
                None => {}
            }
            let mut gaps = Vec::new();
            let due = lesson
                .due
                .as_deref()
                .filter(|d| !d.trim().is_empty())
                .and_then(|d| match crate::calendar::due_date(d, lesson.stamp.at) {
                    Ok(date) => Some(date),
                    Err(text) => {
                        gaps.push(format!("due date {text:?} is not a date"));
                        None
                    }
                });
            out.push(TrackedLesson {
                id,
                category: lesson.category,
                text: lesson.text.clone(),
                source: journal.file.display().to_string(),
                exercise: journal.state.exercise_id().map(str::to_owned),
                incident: journal.state.incident.clone(),
                recorded: Some(lesson.stamp.at),
                owner: lesson.owner.clone().filter(|o| !o.trim().is_empty()),
                due,
                closure: None,
                status: Status::Open,
                gaps,
            });
        }
    }
    for record in &register.lessons {
        if let Some(tracked) = out.iter_mut().find(|t| t.id == record.id) {
            if record.due.is_some() {
                tracked.gaps.retain(|g| !g.starts_with("due date"));
            }
            tracked.owner = record.owner.clone().or(tracked.owner.take());
            tracked.due = record.due.or(tracked.due);
            continue;
        }
        let category = record.category.unwrap_or(LessonCategory::Action);
        if !tracked(category) {
            continue;
        }
        let text = record.text.clone().unwrap_or_else(|| {
            "(the journal holding this lesson was not found or could not be read)".to_owned()
        });
        out.push(TrackedLesson {
            id: record.id.clone(),
            category,
            text,
            source: record
                .source
                .clone()
                .unwrap_or_else(|| REGISTER_FILE.to_owned()),
            exercise: None,
            incident: None,
            recorded: record.recorded,
            owner: record.owner.clone(),
            due: record.due,
            closure: None,
            status: Status::Open,
            gaps: Vec::new(),
        });
    }
    for lesson in &mut out {
        let closure = register.get(&lesson.id).and_then(|r| r.closed.as_ref());
        lesson.closure = closure.map(|c| {
            let (proven, evidence) = match evidence.check(c, lesson.recorded) {
                Ok(found) => (true, found),
                Err(why) => (false, why),
            };
            ClosureCheck {
                by: c.by.clone(),
                on: c.on,
                evidence,
                proven,
            }
        });
        lesson.status = match (&lesson.closure, lesson.due) {
            (Some(c), _) if c.proven => Status::Closed,
            (_, Some(due)) if due < today => Status::Overdue,
            _ => Status::Open,
        };
        if lesson.status != Status::Closed {
            if lesson.owner.is_none() {
                lesson.gaps.push("no owner".to_owned());
            }
            if lesson.due.is_none() && !lesson.gaps.iter().any(|g| g.starts_with("due date")) {
                lesson.gaps.push("no due date".to_owned());
            }
            if let Some(c) = lesson.closure.as_ref().filter(|c| !c.proven) {
                lesson
                    .gaps
                    .push(format!("closure does not stand: {}", c.evidence));
            }
        }
    }
    out
}

/// What a closure's evidence is checked against.
pub struct Evidence<'a> {
    /// The library (its git history and its files).
    pub library: &'a Library,
    /// Runbook files, relative to the library: a closing commit must change
    /// one of them.
    pub runbook_files: &'a [PathBuf],
    /// The exercise definitions, to score a closing run.
    pub exercises: &'a [Exercise],
    /// To read encrypted runs.
    pub identities: Option<&'a Identities>,
}

impl Evidence<'_> {
    /// Whether `closure` closes a lesson recorded at `recorded`: `Ok` with
    /// what was found, `Err` with why not.
    pub fn check(
        &self,
        closure: &Closure,
        recorded: Option<DateTime<Utc>>,
    ) -> Result<String, String> {
        match (&closure.commit, &closure.run, &closure.expectation) {
            (Some(commit), None, None) => self.commit(commit, recorded),
            (None, Some(run), Some(expectation)) => self.run(run, expectation, recorded),
            _ => {
                Err("the closure must give either a commit, or a run and an expectation".to_owned())
            }
        }
    }

    /// A commit on the library's branch, made after the lesson, that
    /// changed a runbook.
    fn commit(&self, rev: &str, recorded: Option<DateTime<Utc>>) -> Result<String, String> {
        let repo = self.library.repo();
        let commit = repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map_err(|_| format!("commit {rev} is not in the library's history"))?;
        let oid = commit.id();
        let short = oid.to_string().chars().take(8).collect::<String>();
        let head = repo
            .head()
            .ok()
            .and_then(|h| h.target())
            .ok_or_else(|| "the library has no commits".to_owned())?;
        if oid != head && !repo.graph_descendant_of(head, oid).unwrap_or(false) {
            return Err(format!("commit {short} is not on the library's branch"));
        }
        let changed = changed_paths(repo, &commit).map_err(|e| format!("commit {short}: {e}"))?;
        let runbooks: Vec<String> = changed
            .iter()
            .filter(|p| self.runbook_files.iter().any(|r| r == *p))
            .map(|p| p.display().to_string())
            .collect();
        if runbooks.is_empty() {
            return Err(format!("commit {short} changed no runbook"));
        }
        let when = DateTime::from_timestamp(commit.time().seconds(), 0).unwrap_or_default();
        if let Some(recorded) = recorded
            && when.timestamp() <= recorded.timestamp()
        {
            let second = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            return Err(format!(
                "commit {short} ({}) is not later than the lesson ({})",
                second(when),
                second(recorded)
            ));
        }
        let trust = self
            .library
            .signed_history()
            .and_then(|mut h| h.trust(oid).map_err(LibraryError::from))
            .map_or_else(|e| format!("trust unknown: {e}"), |t| t.to_string());
        Ok(format!(
            "commit {short} ({}, {trust}) changed {}",
            when.date_naive(),
            runbooks.join(", ")
        ))
    }

    /// A verified exercise run, started after the lesson, in which the
    /// expectation `inject/expectation` was met.
    fn run(
        &self,
        run: &str,
        expectation: &str,
        recorded: Option<DateTime<Utc>>,
    ) -> Result<String, String> {
        let root = self.library.root();
        let path = crate::library::inside(root, Path::new(run)).map_err(|e| e.to_string())?;
        let bytes = crate::journal::store::read_journal_bytes(&path)
            .map_err(|e| format!("run {run} cannot be read: {e}"))?;
        let options = VerifyOptions {
            witnesses: Vec::new(),
            allowed_signers: None,
            require_known_signer: false,
        };
        let verified = verify_bytes(&path, &bytes, &options).map_err(|e| e.to_string())?;
        if !verified.ok() {
            return Err(format!("run {run} fails verification"));
        }
        let read = crate::journal::read_prefix(&path, &bytes, self.identities)
            .map_err(|e| format!("run {run}: {e}"))?;
        if !read.readable {
            return Err(format!("run {run} cannot be read without the identity"));
        }
        let state = ResponseState::fold(&read.entries);
        let Some(id) = state.exercise_id() else {
            return Err(format!("{run} is not an exercise run"));
        };
        let definition = self
            .exercises
            .iter()
            .find(|e| e.id == id)
            .ok_or_else(|| format!("no definition of exercise {id} to score {run} against"))?;
        if let (Some(recorded), Some(started)) = (recorded, state.first_at)
            && started < recorded
        {
            return Err(format!(
                "run {run} started ({}) before the lesson was recorded",
                started.date_naive()
            ));
        }
        let (inject, exp) = expectation
            .split_once('/')
            .ok_or_else(|| format!("expectation {expectation:?} is not INJECT/EXPECTATION"))?;
        let card = crate::exercise::score(definition, &state);
        match card.expectation(inject, exp).map(|e| e.outcome) {
            Some(Outcome::Met) => Ok(format!(
                "exercise run {run} ({id}, {}): expectation {expectation} met",
                state
                    .first_at
                    .map_or_else(String::new, |t| t.date_naive().to_string())
            )),
            Some(other) => Err(format!(
                "expectation {expectation} of run {run} was {}, not met",
                other.as_str()
            )),
            None => Err(format!("exercise {id} has no expectation {expectation}")),
        }
    }
}

/// The paths a commit changed against its first parent (everything, for a
/// root commit).
fn changed_paths(
    repo: &git2::Repository,
    commit: &git2::Commit<'_>,
) -> Result<Vec<PathBuf>, git2::Error> {
    let tree = commit.tree()?;
    let parent = match commit.parent(0) {
        Ok(p) => Some(p.tree()?),
        Err(_) => None,
    };
    let diff = repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), None)?;
    Ok(diff
        .deltas()
        .filter_map(|d| {
            d.new_file()
                .path()
                .or(d.old_file().path())
                .map(Path::to_owned)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lessons(texts: &[(&str, Option<&str>)]) -> ResponseState {
        use crate::response::testkit::{entry, t0};
        let entries: Vec<_> = texts
            .iter()
            .enumerate()
            .map(|(n, (text, due))| {
                entry(
                    n as u64 + 1,
                    t0(),
                    Some(crate::journal::Event::LessonRecorded {
                        category: LessonCategory::Action,
                        text: (*text).to_owned(),
                        owner: Some("ICT".to_owned()),
                        due: due.map(str::to_owned),
                    }),
                )
            })
            .collect();
        ResponseState::fold(&entries)
    }

    #[test]
    fn one_lesson_per_journal_and_seq_even_when_two_journals_share_a_name() {
        let dir = tempfile::tempdir().unwrap();
        let key = crate::crypto::Identity::generate().public_key();
        let library = Library::init(&dir.path().join("lib"), &[key], None).unwrap();
        let evidence = Evidence {
            library: &library,
            runbook_files: &[],
            exercises: &[],
            identities: None,
        };
        let live = lessons(&[("Print the call tree", Some("2026-04-01"))]);
        let other = lessons(&[("Test the generator", Some("2027-01-01"))]);
        let journals = [
            JournalLessons {
                file: Path::new("journals/fraud.jsonl"),
                state: &live,
            },
            // Its committed snapshot: the same lesson.
            JournalLessons {
                file: Path::new("journals/committed/fraud.jsonl"),
                state: &live,
            },
            // Another journal of the same name: kept, told apart by its path.
            JournalLessons {
                file: Path::new("exercises/runs/fraud.jsonl"),
                state: &other,
            },
        ];
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let tracked = track(&journals, &Register::default(), &evidence, today);
        let seen: Vec<(&str, Status)> = tracked.iter().map(|t| (t.id.as_str(), t.status)).collect();
        assert_eq!(
            seen,
            [
                ("fraud#1", Status::Overdue),
                ("exercises/runs/fraud#1", Status::Open)
            ]
        );
    }

    #[test]
    fn a_due_date_is_a_date_or_a_time_from_the_lesson_and_anything_else_is_said_back() {
        let recorded = DateTime::parse_from_rfc3339("2026-12-02T18:55:00Z")
            .map(|t| t.to_utc())
            .unwrap();
        let due_date = crate::calendar::due_date;
        assert_eq!(
            due_date("2027-03-31", recorded),
            Ok(NaiveDate::from_ymd_opt(2027, 3, 31).unwrap())
        );
        assert_eq!(
            due_date(" 14d ", recorded),
            Ok(NaiveDate::from_ymd_opt(2026, 12, 16).unwrap())
        );
        assert_eq!(due_date("end of Q1", recorded), Err("end of Q1".to_owned()));
        assert_eq!(
            journal_lesson_id(Path::new("journals/committed/fraud.jsonl"), 7),
            "fraud#7"
        );
        assert!(!tracked(LessonCategory::WentWell) && tracked(LessonCategory::DidNotGoWell));
    }
}
