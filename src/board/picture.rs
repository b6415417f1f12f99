//! The picture a board shows, built from each journal's own fold: which
//! incident, the journals and their integrity, responders, runbooks open,
//! steps, decisions, every deadline in one list by due, and (for a sitrep)
//! what changed since a time. Serialised as `grabbag board --json`; the
//! shape is documented in `docs/board.md`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Board, Tracked, integrity};
use crate::journal::Actor;
use crate::response::{
    ClockStatus, ResponseState, Runbooks, Stamp, StepStatus, current_step, deadline_now, describe,
};

/// Everything the board shows at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct Picture {
    /// When it was built (UTC).
    pub now: DateTime<Utc>,
    /// The incident shown (`None`: journals that name none).
    pub incident: Option<String>,
    /// The start of "what changed" (`--since`), when asked.
    pub since: Option<DateTime<Utc>>,
    /// Every journal file found, this incident's first; `merged` says
    /// which ones the sections below are built from.
    pub journals: Vec<JournalView>,
    /// Paths found where a journal would be that were not read.
    pub refused: Vec<RefusedView>,
    /// Everyone who wrote in a merged journal, most recent first.
    pub responders: Vec<Responder>,
    /// Runbooks open, by whom.
    pub runbooks: Vec<RunbookOpen>,
    /// Steps anyone started, finished, skipped or blocked, each with every
    /// journal's word on it.
    pub steps: Vec<StepRow>,
    /// Decisions taken, oldest first.
    pub decisions: Vec<DecisionRow>,
    /// Decision steps a responder has reached and not decided (known only
    /// when the library's runbooks are loaded).
    pub open_decisions: Vec<OpenDecision>,
    /// Every clock and case deadline of every merged journal, by due time.
    pub deadlines: Vec<Deadline>,
    /// Deadlines past due and not met (overdue or breached).
    pub breaches: usize,
    /// What changed after `since`, oldest first (empty without `since`).
    pub changes: Vec<Change>,
}

/// One journal file.
#[derive(Debug, Clone, Serialize)]
pub struct JournalView {
    /// The file, as found.
    pub file: String,
    /// The incident it names.
    pub incident: Option<String>,
    /// Folded into the sections: of the incident shown, verified up to
    /// its last good entry, readable, and not a second copy.
    pub merged: bool,
    /// Why it is not merged, when it is not.
    pub not_merged: Option<String>,
    /// Good entries read.
    pub entries: u64,
    /// Its bodies are encrypted.
    pub encrypted: bool,
    /// Whether it verifies.
    pub integrity: Integrity,
    /// It was rewritten while the board watched (shrank, or its last known
    /// entry changed) and was read again from the start.
    pub rewritten: bool,
    /// The last good entry's seq and witness code.
    pub head: Option<Head>,
    /// Its last good entry.
    pub last: Option<LastEntry>,
}

/// Whether a journal verifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Integrity {
    /// The chain verifies to the end of the file.
    Verified,
    /// Read up to its last good entry; the file ends in an incomplete line
    /// (a copy taken mid-write).
    Torn {
        /// The last good entry.
        after_seq: Option<u64>,
        /// Where the incomplete part starts.
        offset: u64,
        /// Its length.
        bytes: u64,
    },
    /// The chain or structure breaks at this entry: never merged.
    Failing {
        /// The first bad entry, when it could be read that far.
        seq: Option<u64>,
        /// Its byte offset.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// Encrypted, and the identity given does not open it.
    NoKey {
        /// Why.
        reason: String,
    },
    /// The file could not be read (a link, not a regular file, an I/O error).
    Unreadable {
        /// Why.
        reason: String,
    },
    /// No entry yet.
    Empty,
}

impl Integrity {
    /// True when what was read can be merged.
    fn mergeable(&self) -> bool {
        matches!(self, Integrity::Verified | Integrity::Torn { .. })
    }
}

/// A journal's last good entry, by seq and witness code.
#[derive(Debug, Clone, Serialize)]
pub struct Head {
    /// Its seq.
    pub seq: u64,
    /// Its witness code.
    pub witness: String,
}

/// The latest entry of a journal.
#[derive(Debug, Clone, Serialize)]
pub struct LastEntry {
    /// Its seq.
    pub seq: u64,
    /// When it was written (UTC).
    pub at: DateTime<Utc>,
    /// Seconds before `now`.
    pub age_s: i64,
    /// Who wrote it.
    pub actor: Option<Actor>,
    /// What it records, in words.
    pub what: String,
}

/// A path not read.
#[derive(Debug, Clone, Serialize)]
pub struct RefusedView {
    /// The path.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// Someone who wrote in a merged journal.
#[derive(Debug, Clone, Serialize)]
pub struct Responder {
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: String,
    /// Their cell: the team they signed in with, else the command level
    /// (Gold, Silver, Bronze) their role names.
    pub cell: Option<String>,
    /// The journal.
    pub journal: String,
    /// Their latest entry there.
    pub last_seq: u64,
    /// When (UTC).
    pub last_at: DateTime<Utc>,
    /// Seconds before `now`.
    pub age_s: i64,
    /// At that journal's keyboard now (the latest session's actor).
    pub at_keyboard: bool,
}

/// A runbook open in a journal.
#[derive(Debug, Clone, Serialize)]
pub struct RunbookOpen {
    /// Runbook id.
    pub runbook: String,
    /// Its title when opened.
    pub title: String,
    /// The commit followed.
    pub commit: Option<String>,
    /// The journal.
    pub journal: String,
    /// Who opened it.
    pub by: Option<Actor>,
    /// When (UTC).
    pub at: DateTime<Utc>,
}

/// One step, with what every journal says of it.
#[derive(Debug, Clone, Serialize)]
pub struct StepRow {
    /// Runbook id.
    pub runbook: String,
    /// Step id.
    pub step: String,
    /// Its title, when the runbook is loaded.
    pub title: Option<String>,
    /// Each journal's word on it, in journal order.
    pub by: Vec<StepBy>,
}

/// One journal's word on a step.
#[derive(Debug, Clone, Serialize)]
pub struct StepBy {
    /// The journal.
    pub journal: String,
    /// Who last changed it.
    pub actor: Option<Actor>,
    /// started, done, skipped or blocked.
    pub status: &'static str,
    /// Why skipped, or what it waits for.
    pub reason: Option<String>,
    /// The entry that last changed it.
    pub seq: u64,
    /// When (UTC).
    pub at: DateTime<Utc>,
}

/// A decision taken.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionRow {
    /// Runbook id.
    pub runbook: String,
    /// The decision step.
    pub step: String,
    /// The option chosen.
    pub option: String,
    /// Where it leads.
    pub goto: String,
    /// Why.
    pub rationale: String,
    /// The journal.
    pub journal: String,
    /// Who took it.
    pub actor: Option<Actor>,
    /// The entry.
    pub seq: u64,
    /// When (UTC).
    pub at: DateTime<Utc>,
}

/// A decision a responder has reached and not taken.
#[derive(Debug, Clone, Serialize)]
pub struct OpenDecision {
    /// Runbook id.
    pub runbook: String,
    /// The decision step.
    pub step: String,
    /// The question.
    pub question: String,
    /// The journal.
    pub journal: String,
    /// Who is at that journal's keyboard.
    pub holder: Option<Actor>,
}

/// A deadline, from one journal.
#[derive(Debug, Clone, Serialize)]
pub struct Deadline {
    /// When it falls due (UTC).
    pub due_at: DateTime<Utc>,
    /// Seconds left (negative: overdue); `None` once met or breached.
    pub remaining_s: Option<i64>,
    /// running, overdue, breached, met or met_late.
    pub state: &'static str,
    /// Past due and not met.
    pub breach: bool,
    /// What must happen by then.
    pub label: String,
    /// Runbook id ("" for a deadline added during the response).
    pub runbook: String,
    /// Clock id.
    pub clock: String,
    /// The case, for a case's clock.
    pub case: Option<String>,
    /// The journal.
    pub journal: String,
    /// Who started it.
    pub started_by: Option<Actor>,
}

/// Something recorded after `since`.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// The journal.
    pub journal: String,
    /// The entry.
    pub seq: u64,
    /// Who.
    pub actor: Option<Actor>,
    /// What, in words.
    pub what: String,
}

/// The incident a journal belongs to: its name, else its exercise's id;
/// compared without case or surrounding spaces.
fn incident_of(state: &ResponseState) -> Option<String> {
    state
        .incident
        .as_deref()
        .or(state.exercise_id())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
}

fn same_incident(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.to_lowercase() == b.to_lowercase(),
        (None, None) => true,
        _ => false,
    }
}

fn age(now: DateTime<Utc>, at: DateTime<Utc>) -> i64 {
    (now - at).num_seconds()
}

/// The cell of `actor` in `state`: the team they signed in with, else the
/// command level their role names.
fn cell(state: &ResponseState, actor: &Actor) -> Option<String> {
    if let Some(team) = state.signed_in_as(actor).and_then(|s| s.team.clone()) {
        return Some(team);
    }
    actor
        .role
        .split(|c: char| !c.is_alphanumeric())
        .find_map(|word| {
            ["Gold", "Silver", "Bronze"]
                .into_iter()
                .find(|level| word.eq_ignore_ascii_case(level))
        })
        .map(str::to_owned)
}

pub(super) fn build(
    board: &Board,
    now: DateTime<Utc>,
    since: Option<DateTime<Utc>>,
    runbooks: Option<&dyn Runbooks>,
) -> Picture {
    let name = |path: &std::path::Path| path.display().to_string();
    // The incident shown: the one asked for, else the one whose journals
    // were written to last.
    let shown: Option<String> = match &board.incident {
        Some(asked) => Some(asked.trim().to_owned()),
        None => board
            .files
            .values()
            .filter(|t| integrity(t).mergeable())
            .max_by_key(|t| t.state.last_at)
            .and_then(|t| incident_of(&t.state)),
    };
    // Copies of one journal (same first entry) count once: the longest.
    let mut longest: BTreeMap<&str, (&str, u64)> = BTreeMap::new();
    for t in board.files.values() {
        if let (Some(first), Some((seq, _))) = (t.follower.first_hash(), t.follower.head())
            && longest.get(first).is_none_or(|(_, best)| seq > *best)
        {
            longest.insert(first, (&t.shown, seq));
        }
    }
    let mut journals = Vec::new();
    let mut merged: Vec<(String, &Tracked)> = Vec::new();
    for t in board.files.values() {
        let integrity = integrity(t);
        let incident = incident_of(&t.state);
        let copy_of = t
            .follower
            .first_hash()
            .and_then(|first| longest.get(first))
            .filter(|(best, _)| *best != t.shown)
            .map(|(best, _)| (*best).to_owned());
        let not_merged = if !integrity.mergeable() {
            Some(match &integrity {
                Integrity::Failing { seq, reason, .. } => format!(
                    "fails verification at seq {}: {reason}",
                    seq.map_or("?".to_owned(), |s| s.to_string())
                ),
                Integrity::NoKey { reason } => format!("cannot be decrypted: {reason}"),
                Integrity::Unreadable { reason } => format!("cannot be read: {reason}"),
                _ => "holds no entry".to_owned(),
            })
        } else if let Some(copy) = copy_of {
            Some(format!("a copy of {copy}, which is further on"))
        } else if !same_incident(incident.as_deref(), shown.as_deref()) {
            Some(format!(
                "another incident ({})",
                incident.as_deref().unwrap_or("unnamed")
            ))
        } else {
            None
        };
        let file = t.shown.clone();
        if not_merged.is_none() {
            merged.push((file.clone(), t));
        }
        journals.push(JournalView {
            file,
            incident,
            merged: not_merged.is_none(),
            not_merged,
            entries: t.state.entries,
            encrypted: t.follower.encrypted(),
            integrity,
            rewritten: t.rewritten,
            head: t.follower.head().map(|(seq, hash)| Head {
                seq,
                witness: crate::journal::witness_code(seq, hash),
            }),
            last: t.last.as_ref().map(|e| LastEntry {
                seq: e.seq,
                at: e.at,
                age_s: age(now, e.at),
                actor: e.actor.clone(),
                what: what(e.event.as_ref(), runbooks),
            }),
        });
    }
    // This incident's journals first, then the rest, each in path order.
    journals.sort_by_key(|j| !j.merged);

    let mut picture = Picture {
        now,
        incident: shown,
        since,
        journals,
        refused: board
            .refused
            .iter()
            .map(|r| RefusedView {
                path: name(&r.path),
                reason: r.reason.clone(),
            })
            .collect(),
        responders: Vec::new(),
        runbooks: Vec::new(),
        steps: Vec::new(),
        decisions: Vec::new(),
        open_decisions: Vec::new(),
        deadlines: Vec::new(),
        breaches: 0,
        changes: Vec::new(),
    };
    let mut steps: BTreeMap<(String, String), StepRow> = BTreeMap::new();
    for (file, t) in &merged {
        add_journal(&mut picture, &mut steps, file, t, runbooks);
    }
    picture.steps = steps.into_values().collect();
    picture
        .responders
        .sort_by(|a, b| b.last_at.cmp(&a.last_at).then(a.name.cmp(&b.name)));
    picture.decisions.sort_by_key(|d| d.at);
    picture
        .deadlines
        .sort_by(|a, b| a.due_at.cmp(&b.due_at).then(a.journal.cmp(&b.journal)));
    picture.breaches = picture.deadlines.iter().filter(|d| d.breach).count();
    picture.changes.sort_by_key(|c| c.at);
    picture
}

/// An event in words: with the runbooks' titles when loaded.
fn what(event: Option<&crate::journal::Event>, runbooks: Option<&dyn Runbooks>) -> String {
    match runbooks {
        Some(runbooks) => describe(event, runbooks),
        None => describe(event, &Vec::new()),
    }
}

/// Adds one merged journal's responders, runbooks, steps, decisions,
/// deadlines and changes to the picture.
fn add_journal(
    picture: &mut Picture,
    steps: &mut BTreeMap<(String, String), StepRow>,
    file: &str,
    t: &Tracked,
    runbooks: Option<&dyn Runbooks>,
) {
    let now = picture.now;
    let state = &t.state;
    let after = |stamp: &Stamp| picture.since.is_some_and(|since| stamp.at > since);
    let mut changes = Vec::new();
    let change = |stamp: &Stamp, what: String| Change {
        at: stamp.at,
        journal: file.to_owned(),
        seq: stamp.seq,
        actor: stamp.actor.clone(),
        what,
    };
    for seen in &t.actors {
        picture.responders.push(Responder {
            name: seen.actor.name.clone(),
            role: seen.actor.role.clone(),
            cell: cell(state, &seen.actor),
            journal: file.to_owned(),
            last_seq: seen.last_seq,
            last_at: seen.last_at,
            age_s: age(now, seen.last_at),
            at_keyboard: state.actor.as_ref() == Some(&seen.actor),
        });
    }
    for open in &state.runbooks {
        let definition = runbooks.and_then(|r| r.runbook(&open.id));
        let stamp = open.opened();
        picture.runbooks.push(RunbookOpen {
            runbook: open.id.clone(),
            title: open.version.title.clone(),
            commit: open.version.commit.clone(),
            journal: file.to_owned(),
            by: stamp.actor.clone(),
            at: stamp.at,
        });
        if after(stamp) {
            changes.push(change(stamp, format!("opened {}", open.version.title)));
        }
        for (id, step) in &open.steps {
            let reason = match &step.status {
                StepStatus::Todo => continue,
                StepStatus::Skipped { reason } | StepStatus::Blocked { reason, .. } => {
                    Some(reason.clone())
                }
                _ => None,
            };
            let title = definition
                .and_then(|d| d.steps.iter().find(|s| s.id == *id))
                .map(|s| s.title.clone());
            if after(&step.changed) {
                changes.push(change(
                    &step.changed,
                    format!(
                        "{} {}#{id}{}",
                        step.status.label(),
                        open.id,
                        reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default()
                    ),
                ));
            }
            steps
                .entry((open.id.clone(), id.clone()))
                .or_insert_with(|| StepRow {
                    runbook: open.id.clone(),
                    step: id.clone(),
                    title,
                    by: Vec::new(),
                })
                .by
                .push(StepBy {
                    journal: file.to_owned(),
                    actor: step.changed.actor.clone(),
                    status: step.status.label(),
                    reason,
                    seq: step.changed.seq,
                    at: step.changed.at,
                });
            if let Some(decision) = &step.decision {
                if after(&decision.stamp) {
                    changes.push(change(
                        &decision.stamp,
                        format!(
                            "decided {}#{id}: {} ({})",
                            open.id, decision.option, decision.rationale
                        ),
                    ));
                }
                picture.decisions.push(DecisionRow {
                    runbook: open.id.clone(),
                    step: id.clone(),
                    option: decision.option.clone(),
                    goto: decision.goto.clone(),
                    rationale: decision.rationale.clone(),
                    journal: file.to_owned(),
                    actor: decision.stamp.actor.clone(),
                    seq: decision.stamp.seq,
                    at: decision.stamp.at,
                });
            }
        }
        if let Some(definition) = definition
            && let Some(step) = current_step(state, definition)
            && let Some(decision) = &step.decision
            && state
                .step(&open.id, &step.id)
                .is_none_or(|s| s.decision.is_none())
        {
            picture.open_decisions.push(OpenDecision {
                runbook: open.id.clone(),
                step: step.id.clone(),
                question: decision.question.clone(),
                journal: file.to_owned(),
                holder: state.actor.clone(),
            });
        }
    }
    // Deadlines are judged on the journal's own time: exercise time in an
    // exercise, the wall clock otherwise.
    let judged = deadline_now(state, now);
    for clock in &state.clocks {
        let status = clock.status(judged);
        if after(&clock.started) {
            changes.push(change(
                &clock.started,
                format!("deadline started: {}", clock.label),
            ));
        }
        for (stamp, word) in [(&clock.met, "met"), (&clock.breached, "breached")] {
            if let Some(stamp) = stamp.as_ref().filter(|s| after(s)) {
                changes.push(change(stamp, format!("deadline {word}: {}", clock.label)));
            }
        }
        picture.deadlines.push(Deadline {
            due_at: clock.due_at,
            remaining_s: matches!(status, ClockStatus::Running | ClockStatus::Overdue)
                .then(|| (clock.due_at - judged).num_seconds()),
            state: status.as_str(),
            breach: matches!(status, ClockStatus::Overdue | ClockStatus::Breached),
            label: clock.label.clone(),
            runbook: clock.runbook.clone(),
            clock: clock.clock.clone(),
            case: clock.case.clone(),
            journal: file.to_owned(),
            started_by: clock.started.actor.clone(),
        });
    }
    for note in state.notes.iter().filter(|n| after(&n.stamp)) {
        changes.push(change(&note.stamp, format!("note: {}", note.text)));
    }
    picture.changes.append(&mut changes);
}
