//! Cases: the register a continuity runbook keeps when a service runs on
//! paper (referrals, households, death registrations, requests).
//!
//! A runbook declares kinds of case, each with fields, a short checklist and
//! clocks; a case added to the register starts its kind's clocks from the
//! time it was received, on the library's calendar, and each case's clocks
//! run, are met and breach on their own (`clock_started` with the case's
//! reference). When systems return, each case is keyed back into the
//! line-of-business system and marked so: what is left is what the register
//! still shows. The checks here are the command side; the fold keeps
//! [`CaseState`](super::state::CaseState).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde::Serialize;

use super::command::{CommandError, Runbooks, required};
use super::state::{CaseState, ClockState, ClockStatus, ResponseState};
use crate::journal::Event;
use crate::runbook::CaseKind;

/// A case as a responder gives it.
pub(super) struct NewCase<'a> {
    pub runbook: &'a str,
    pub kind: Option<&'a str>,
    pub reference: &'a str,
    pub received_at: Option<DateTime<FixedOffset>>,
    pub fields: &'a [(String, String)],
}

/// `case_added` and its clocks, or why not. A case given no time was
/// received `now` (exercise time in an exercise); none may be received after
/// `latest`.
pub(super) fn add<R: Runbooks + ?Sized>(
    state: &ResponseState,
    runbooks: &R,
    new: NewCase<'_>,
    now: DateTime<Utc>,
    latest: DateTime<Utc>,
) -> Result<Vec<Event>, CommandError> {
    let runbook = runbooks
        .runbook(new.runbook)
        .ok_or_else(|| CommandError::UnknownRunbook(new.runbook.to_owned()))?;
    if state.runbook(new.runbook).is_none() {
        return Err(CommandError::RunbookNotOpen(new.runbook.to_owned()));
    }
    let kinds = || runbook.cases.iter().map(|k| k.id.clone()).collect();
    let kind = match (new.kind, runbook.cases.as_slice()) {
        (_, []) => return Err(CommandError::NoCaseKinds(runbook.id.clone())),
        (None, [only]) => only,
        (None, _) => {
            return Err(CommandError::CaseKindNeeded {
                runbook: runbook.id.clone(),
                kinds: kinds(),
            });
        }
        (Some(wanted), _) => {
            runbook
                .case_kind(wanted.trim())
                .ok_or_else(|| CommandError::UnknownCaseKind {
                    runbook: runbook.id.clone(),
                    kind: wanted.to_owned(),
                    kinds: kinds(),
                })?
        }
    };
    let reference = required(new.reference, "a case needs a reference")?;
    if let Some(first) = state.case(&reference) {
        return Err(CommandError::DuplicateCase {
            reference,
            seq: first.added.seq,
        });
    }
    let received = match new.received_at {
        Some(at) if at.with_timezone(&Utc) > latest => {
            return Err(CommandError::CaseInFuture {
                at: at.with_timezone(&Utc),
                now: latest,
            });
        }
        Some(at) => at.with_timezone(&Utc),
        None => now,
    };
    let fields = fields(kind, new.fields)?;
    let mut events = vec![Event::CaseAdded {
        runbook: runbook.id.clone(),
        kind: kind.id.clone(),
        reference: reference.clone(),
        received_at: received.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        fields,
    }];
    for clock in &kind.clocks {
        let due = runbooks
            .calendar()
            .due(clock.due_after, received)
            .ok_or_else(|| CommandError::DeadlineOutOfRange {
                runbook: runbook.id.clone(),
                clock: clock.id.clone(),
            })?;
        events.push(Event::ClockStarted {
            runbook: runbook.id.clone(),
            clock: clock.id.clone(),
            label: clock.label.clone(),
            due_at: due.to_rfc3339_opts(SecondsFormat::Millis, true),
            anchor: None,
            case: Some(reference.clone()),
            basis: None,
        });
    }
    Ok(events)
}

/// The fields given, checked against the kind: known names, each once,
/// every required one present and not blank.
fn fields(
    kind: &CaseKind,
    given: &[(String, String)],
) -> Result<BTreeMap<String, String>, CommandError> {
    let mut out = BTreeMap::new();
    for (name, value) in given {
        let name = name.trim();
        if !kind.fields.iter().any(|f| f.id == name) {
            return Err(CommandError::UnknownCaseField {
                kind: kind.id.clone(),
                field: name.to_owned(),
                fields: kind.fields.iter().map(|f| f.id.clone()).collect(),
            });
        }
        if out
            .insert(name.to_owned(), value.trim().to_owned())
            .is_some()
        {
            return Err(CommandError::FieldTwice(name.to_owned()));
        }
    }
    if let Some(missing) = kind
        .fields
        .iter()
        .find(|f| f.required && out.get(&f.id).is_none_or(|v| v.is_empty()))
    {
        return Err(CommandError::MissingCaseField {
            kind: kind.id.clone(),
            field: missing.id.clone(),
        });
    }
    Ok(out)
}

/// `case_step_done` and the case's clocks it meets, or why not.
pub(super) fn done<R: Runbooks + ?Sized>(
    state: &ResponseState,
    runbooks: &R,
    reference: &str,
    step: &str,
) -> Result<Vec<Event>, CommandError> {
    let case = state
        .case(reference.trim())
        .ok_or_else(|| CommandError::UnknownCase(reference.to_owned()))?;
    let kind = runbooks
        .runbook(&case.runbook)
        .ok_or_else(|| CommandError::UnknownRunbook(case.runbook.clone()))?
        .case_kind(&case.kind)
        .ok_or_else(|| CommandError::UnknownCaseKind {
            runbook: case.runbook.clone(),
            kind: case.kind.clone(),
            kinds: Vec::new(),
        })?;
    let step = step.trim();
    if !kind.checklist.iter().any(|i| i.id == step) {
        return Err(CommandError::UnknownCaseItem {
            reference: case.reference.clone(),
            step: step.to_owned(),
            items: kind.checklist.iter().map(|i| i.id.clone()).collect(),
        });
    }
    if let Some(done) = case.done.get(step) {
        return Err(CommandError::CaseItemDone {
            reference: case.reference.clone(),
            step: step.to_owned(),
            seq: done.seq,
        });
    }
    let mut events = vec![Event::CaseStepDone {
        reference: case.reference.clone(),
        step: step.to_owned(),
    }];
    for clock in kind
        .clocks
        .iter()
        .filter(|c| c.met_by.as_deref() == Some(step))
    {
        let running = state
            .case_clock(&case.runbook, Some(&case.reference), &clock.id)
            .is_some_and(|c| c.met.is_none());
        if running {
            events.push(Event::ClockMet {
                runbook: case.runbook.clone(),
                clock: clock.id.clone(),
                case: Some(case.reference.clone()),
            });
        }
    }
    Ok(events)
}

/// Where a case stands on the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseProgress {
    /// A clock is still running.
    Open,
    /// A clock passed its due time unmet.
    Overdue,
    /// Every clock met (or none): waiting to be keyed back.
    Met,
    /// Keyed back into the line-of-business system.
    Keyed,
}

impl CaseProgress {
    /// The word shown.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseProgress::Open => "open",
            CaseProgress::Overdue => "overdue",
            CaseProgress::Met => "met",
            CaseProgress::Keyed => "keyed",
        }
    }
}

/// One line of the register.
#[derive(Debug, Clone)]
pub struct CaseRow<'a> {
    /// The case.
    pub case: &'a CaseState,
    /// Where it stands.
    pub progress: CaseProgress,
    /// The earliest due time of its clocks still running (or overdue).
    pub next_due: Option<DateTime<Utc>>,
    /// Its clocks, in the order started.
    pub clocks: Vec<&'a ClockState>,
}

impl CaseRow<'_> {
    /// Clocks that passed their due time unmet (breached or overdue) at `now`.
    pub fn missed(&self, now: DateTime<Utc>) -> usize {
        self.clocks
            .iter()
            .filter(|c| {
                matches!(
                    c.status(now),
                    ClockStatus::Breached | ClockStatus::Overdue | ClockStatus::Met { late: true }
                )
            })
            .count()
    }
}

/// How many cases, how many missed a deadline, how many are not keyed back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CaseCounts {
    /// Cases on the registers.
    pub cases: usize,
    /// Cases with a deadline missed (breached, overdue or met late).
    pub missed: usize,
    /// Cases not yet keyed back.
    pub not_keyed: usize,
}

/// The register of `runbook` (every runbook's with `None`) at `now`, sorted
/// by next due time (cases with nothing running last, in order received).
/// One pass over the clocks, so a register of thousands stays quick.
pub fn register<'a>(
    state: &'a ResponseState,
    runbook: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<CaseRow<'a>> {
    // foldhash, as the state's own indexes: SipHash was a tenth of `status`
    // drawing a register of 10,000 cases.
    let mut clocks: HashMap<&str, Vec<&ClockState>, foldhash::fast::RandomState> =
        HashMap::with_capacity_and_hasher(state.cases.len(), Default::default());
    for clock in &state.clocks {
        if let Some(case) = clock.case.as_deref() {
            clocks.entry(case).or_default().push(clock);
        }
    }
    let mut rows: Vec<CaseRow<'a>> = state
        .cases
        .iter()
        .filter(|c| runbook.is_none_or(|r| c.runbook == r))
        .map(|case| {
            let clocks = clocks.remove(case.reference.as_str()).unwrap_or_default();
            let unmet = || clocks.iter().filter(|c| c.met.is_none());
            let next_due = unmet().map(|c| c.due_at).min();
            let progress = if case.keyed.is_some() {
                CaseProgress::Keyed
            } else if unmet().any(|c| c.breached.is_some() || now > c.due_at) {
                CaseProgress::Overdue
            } else if next_due.is_some() {
                CaseProgress::Open
            } else {
                CaseProgress::Met
            };
            CaseRow {
                case,
                progress,
                next_due,
                clocks,
            }
        })
        .collect();
    rows.sort_by_key(|r| (r.next_due.is_none(), r.next_due, r.case.received_at));
    rows
}

/// The counts of a register.
pub fn counts(rows: &[CaseRow<'_>], now: DateTime<Utc>) -> CaseCounts {
    CaseCounts {
        cases: rows.len(),
        missed: rows.iter().filter(|r| r.missed(now) > 0).count(),
        not_keyed: rows.iter().filter(|r| r.case.keyed.is_none()).count(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone as _};

    use super::super::command::{Command, DeadlineDue};
    use super::super::state::{AD_HOC, ClockStatus};
    use super::super::testkit::{Sim, open, parse, t0};
    use crate::calendar::Period;

    const REGISTER: &str = r#"
format = 1
id = "t/referrals"
title = "Referrals on paper"
kind = "continuity"
severity = "high"
owner = "Head of Children's Services"
reviewed = 2026-01-01
review_every_months = 120
summary = "A register of referrals."

[[cases]]
id = "referral"
label = "Referral"
fields = [
  { id = "child", label = "Child's name", required = true },
  { id = "referrer", label = "Who referred" },
]
checklist = [
  { id = "checks", title = "Agency checks made" },
  { id = "decided", title = "Decision recorded" },
]
clocks = [
  { id = "decision", label = "Decide the response", due_after = "1 working day", met_by = "decided" },
]

[[steps]]
id = "activate"
title = "Start the paper register"
do = "Open the register."
"#;

    fn sim() -> Sim {
        let mut sim = Sim::with(vec![parse(REGISTER, "t/referrals")]);
        sim.run(&open("t/referrals")).unwrap();
        sim
    }

    fn add(reference: &str, fields: &[(&str, &str)]) -> Command {
        add_as(reference, None, None, fields)
    }

    fn add_as(
        reference: &str,
        kind: Option<&str>,
        received_at: Option<chrono::DateTime<chrono::FixedOffset>>,
        fields: &[(&str, &str)],
    ) -> Command {
        Command::AddCase {
            runbook: "t/referrals".to_owned(),
            kind: kind.map(str::to_owned),
            reference: reference.to_owned(),
            received_at,
            fields: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn each_case_runs_its_own_clocks_on_working_days() {
        let mut sim = sim();
        // Friday 28 August 2026, 15:00 BST: Monday is a bank holiday.
        sim.now = chrono::Utc.with_ymd_and_hms(2026, 8, 28, 14, 0, 0).unwrap();
        sim.run(&add("R-1", &[("child", "A")])).unwrap();
        sim.run(&add("R-2", &[("child", "B"), ("referrer", "School")]))
            .unwrap();
        let due = |case: &str| {
            sim.state
                .case_clock("t/referrals", Some(case), "decision")
                .map(|c| c.due_at)
        };
        let tuesday_end = chrono::Utc
            .with_ymd_and_hms(2026, 9, 1, 22, 59, 59)
            .unwrap();
        assert_eq!(due("R-1"), Some(tuesday_end));
        assert_eq!(due("R-2"), Some(tuesday_end));
        // Deciding one meets its clock only.
        sim.run(&Command::CaseDone {
            reference: "R-1".to_owned(),
            step: "decided".to_owned(),
        })
        .unwrap();
        let status = |sim: &Sim, case: &str, at| {
            sim.state
                .case_clock("t/referrals", Some(case), "decision")
                .map(|c| c.status(at))
        };
        let wednesday = tuesday_end + TimeDelta::hours(1);
        assert_eq!(
            status(&sim, "R-1", wednesday),
            Some(ClockStatus::Met { late: false })
        );
        assert_eq!(status(&sim, "R-2", wednesday), Some(ClockStatus::Overdue));
        sim.now = wednesday;
        let breaches = sim.run(&Command::RecordBreaches).unwrap();
        assert_eq!(breaches.len(), 1, "{breaches:?}");
        assert_eq!(status(&sim, "R-2", wednesday), Some(ClockStatus::Breached));
        // Keyed back once.
        sim.run(&Command::CaseKeyed {
            reference: "R-1".to_owned(),
        })
        .unwrap();
        let left: Vec<&str> = sim
            .state
            .cases
            .iter()
            .filter(|c| c.keyed.is_none())
            .map(|c| c.reference.as_str())
            .collect();
        assert_eq!(left, ["R-2"]);
        let rows = super::register(&sim.state, Some("t/referrals"), wednesday);
        let order: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.case.reference.as_str(), r.progress.as_str()))
            .collect();
        assert_eq!(order, [("R-2", "overdue"), ("R-1", "keyed")]);
        assert_eq!(
            super::counts(&rows, wednesday),
            super::CaseCounts {
                cases: 2,
                missed: 1,
                not_keyed: 1
            }
        );
        assert!(sim.state.anomalies.is_empty(), "{:?}", sim.state.anomalies);
    }

    #[test]
    fn bad_cases_are_refused_by_name() {
        let mut sim = sim();
        sim.run(&add("R-1", &[("child", "A")])).unwrap();
        let refusals = [
            (
                add("R-1", &[("child", "B")]),
                "case `R-1` is already on the register (seq 3): give each case its own reference",
            ),
            (add("R-2", &[]), "a referral needs the field `child`"),
            (
                add("R-2", &[("child", "B"), ("colour", "red")]),
                "a referral has no field `colour` (its fields: child, referrer)",
            ),
            (
                add_as("R-2", Some("household"), None, &[("child", "B")]),
                "runbook `t/referrals` has no kind of case `household` (it has: referral)",
            ),
            (
                add_as(
                    "R-2",
                    None,
                    Some((t0() + TimeDelta::days(1)).fixed_offset()),
                    &[("child", "B")],
                ),
                "a case cannot be received at 2026-03-07 14:00:00 UTC, after now (2026-03-06 14:04:00 UTC)",
            ),
            (
                Command::CaseDone {
                    reference: "R-1".to_owned(),
                    step: "visit".to_owned(),
                },
                "case `R-1` has no checklist item `visit` (its items: checks, decided)",
            ),
            (
                Command::CaseKeyed {
                    reference: "R-9".to_owned(),
                },
                "there is no case `R-9` in this response",
            ),
        ];
        for (command, says) in refusals {
            assert_eq!(sim.refuse(&command), says);
        }
    }

    #[test]
    fn ad_hoc_deadlines_are_added_and_met() {
        let mut sim = sim();
        let added = sim
            .run(&Command::AddDeadline {
                label: "Brief the leader of the council".to_owned(),
                due: DeadlineDue::After(Period::Exact(crate::calendar::Duration::from_secs(7200))),
                basis: Some("Chief executive's instruction".to_owned()),
            })
            .unwrap();
        assert_eq!(added.len(), 1);
        let clock = sim.state.clock(AD_HOC, "deadline-1").cloned();
        let clock = clock.unwrap_or_else(|| panic!("{:?}", sim.state.clocks));
        assert_eq!(clock.due_at, clock.started.at + TimeDelta::hours(2));
        assert_eq!(
            clock.basis.as_deref(),
            Some("Chief executive's instruction")
        );
        assert_eq!(
            sim.refuse(&Command::AddDeadline {
                label: " ".to_owned(),
                due: DeadlineDue::At(t0().fixed_offset()),
                basis: None,
            }),
            "a deadline needs a label: what must happen by then"
        );
        sim.run(&Command::MeetDeadline {
            clock: "deadline-1".to_owned(),
        })
        .unwrap();
        assert!(
            sim.refuse(&Command::MeetDeadline {
                clock: "deadline-1".to_owned(),
            })
            .starts_with("deadline `deadline-1` is already met")
        );
        assert_eq!(
            sim.refuse(&Command::MeetDeadline {
                clock: "deadline-7".to_owned(),
            }),
            "there is no deadline `deadline-7` added during this response (see `grabbag status`)"
        );
        assert!(sim.state.anomalies.is_empty(), "{:?}", sim.state.anomalies);
    }
}
