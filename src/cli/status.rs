//! `grabbag status JOURNAL [--json]`: the response a journal records, as it
//! stands now: runbooks open with each step's state and who changed it,
//! decisions, every deadline (start, due, remaining, state) and the exercise
//! clock. Read-only: no lock is taken and nothing is written, so it can be
//! run on a journal another terminal is writing, or on a copy.
//!
//! It is the fold of the journal (the same as the run screen's), with the
//! library's runbooks, when one is set, for the steps not yet touched.
//! `--json` prints [`Status`]; its shape is documented in
//! `docs/journal-format.md` ("grabbag status --json").

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Context;
use crate::calendar::time_left;
use crate::journal::Actor;
use crate::response::cases::{self, CaseCounts};
use crate::response::{
    ClockStatus, PlayClock, ResponseState, Stamp, StepState, StepStatus, deadline_now,
};
use crate::runbook::Runbook;
use crate::text::printable_line;

/// Arguments of `status`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The journal file.
    pub journal: PathBuf,
    /// Print JSON for tools.
    #[arg(long)]
    pub json: bool,
}

/// The state of a response, for people and tools.
#[derive(Debug, Serialize)]
pub struct Status<'a> {
    /// The journal file.
    pub journal: String,
    /// Entries in it.
    pub entries: u64,
    /// Entries whose body could not be read (no key).
    pub unreadable: u64,
    /// The last entry: seq and witness code.
    pub head: Option<Head>,
    /// The incident's name.
    pub incident: Option<String>,
    /// The exercise id, in an exercise.
    pub exercise: Option<String>,
    /// Who is at the keyboard of the latest session.
    pub actor: Option<Actor>,
    /// A writer session is open (started, not ended).
    pub session_open: bool,
    /// When the council became aware, once given.
    pub awareness: Option<Awareness>,
    /// Runbooks open, in the order opened.
    pub runbooks: Vec<RunbookStatus<'a>>,
    /// Deadlines, in the order started (cases' only when asked for).
    pub clocks: Vec<ClockView<'a>>,
    /// The exercise clock, in an exercise.
    pub exercise_clock: Option<ExerciseClockView>,
    /// Who signed in to the exercise, in order.
    pub signed_in: Vec<SignedIn>,
    /// Cases on the registers: how many, how many missed a deadline, how
    /// many are not keyed back.
    pub case_counts: CaseCounts,
    /// Every case, by next due time.
    pub cases: Vec<CaseView<'a>>,
    /// What in the journal does not make sense (seq: message).
    pub anomalies: Vec<String>,
    /// The time deadlines were judged at (exercise time in an exercise).
    #[serde(skip)]
    pub deadline_now: DateTime<Utc>,
}

/// The last entry.
#[derive(Debug, Serialize)]
pub struct Head {
    /// Its seq.
    pub seq: u64,
    /// Its witness code.
    pub witness: String,
}

/// The time of awareness.
#[derive(Debug, Serialize)]
pub struct Awareness {
    /// The time (UTC).
    pub at: DateTime<Utc>,
    /// Why this time.
    pub reason: Option<String>,
    /// The entry that gave it.
    pub seq: u64,
}

/// Who recorded something, and where.
#[derive(Debug, Serialize)]
pub struct By<'a> {
    /// The entry.
    pub seq: u64,
    /// When it was written (UTC).
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Option<&'a Actor>,
}

impl<'a> From<&'a Stamp> for By<'a> {
    fn from(stamp: &'a Stamp) -> Self {
        Self {
            seq: stamp.seq,
            at: stamp.at,
            actor: stamp.actor.as_ref(),
        }
    }
}

/// A runbook open in the response.
#[derive(Debug, Serialize)]
pub struct RunbookStatus<'a> {
    /// Runbook id.
    pub id: String,
    /// Title, as opened.
    pub title: String,
    /// The commit followed.
    pub commit: Option<String>,
    /// Trust, as recorded when opened.
    pub trust: String,
    /// The entry that opened it.
    pub opened: By<'a>,
    /// Whether the library (as loaded now) has it: without it, only the
    /// steps the journal names are listed.
    pub in_library: bool,
    /// Steps in the runbook's order (then any the journal names that the
    /// runbook no longer has).
    pub steps: Vec<StepView<'a>>,
}

/// One step.
#[derive(Debug, Serialize)]
pub struct StepView<'a> {
    /// Step id.
    pub id: String,
    /// Title (the id when the runbook is not in the library).
    pub title: String,
    /// todo, started, done, skipped or blocked.
    pub status: &'static str,
    /// Why skipped or what it waits for.
    pub reason: Option<String>,
    /// The entry that last changed its status.
    pub by: Option<By<'a>>,
    /// Checks, numbered from 1.
    pub checks: Vec<CheckView<'a>>,
    /// The decision taken, for a decision step.
    pub decision: Option<DecisionView<'a>>,
}

/// One check of a step.
#[derive(Debug, Serialize)]
pub struct CheckView<'a> {
    /// Number, from 1.
    pub n: usize,
    /// Its text.
    pub text: String,
    /// The entry that ticked it, when ticked.
    pub ticked: Option<By<'a>>,
}

/// A decision taken.
#[derive(Debug, Serialize)]
pub struct DecisionView<'a> {
    /// The option chosen.
    pub option: String,
    /// Where it leads.
    pub goto: String,
    /// Why.
    pub rationale: String,
    /// The entry.
    pub by: By<'a>,
}

/// A deadline.
#[derive(Debug, Serialize)]
pub struct ClockView<'a> {
    /// Runbook id ("" for a deadline added during the response).
    pub runbook: &'a str,
    /// Clock id.
    pub clock: &'a str,
    /// The case whose clock it is, for a case's clock.
    pub case: Option<&'a str>,
    /// What must happen by then.
    pub label: &'a str,
    /// What it counts from: step, awareness, case or deadline.
    pub anchor: &'static str,
    /// When that was (UTC): the time of awareness in force, the case's
    /// receipt, or the entry that started it.
    pub start: DateTime<Utc>,
    /// What an ad-hoc deadline rests on.
    pub basis: Option<&'a str>,
    /// The entry that started it.
    pub started: By<'a>,
    /// When it falls due (UTC).
    pub due_at: DateTime<Utc>,
    /// Seconds left now (negative: overdue); `None` once met or breached.
    pub remaining_s: Option<i64>,
    /// running, overdue, breached, met or met_late.
    pub state: &'static str,
    /// The entry that met it.
    pub met: Option<By<'a>>,
    /// The entry that recorded its breach.
    pub breached: Option<By<'a>>,
}

/// Someone signed in to an exercise.
#[derive(Debug, Serialize)]
pub struct SignedIn {
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: String,
    /// Their team, if any.
    pub team: Option<String>,
    /// player, facilitator or observer.
    pub capacity: String,
    /// The `signed_in` entry.
    pub seq: u64,
}

/// A case on a runbook's register.
#[derive(Debug, Serialize)]
pub struct CaseView<'a> {
    /// Its reference.
    pub reference: &'a str,
    /// The runbook whose register it is on.
    pub runbook: &'a str,
    /// Its kind.
    pub kind: &'a str,
    /// When it was received (UTC).
    pub received_at: DateTime<Utc>,
    /// open, overdue, met or keyed.
    pub state: &'static str,
    /// The earliest due time still running.
    pub next_due: Option<DateTime<Utc>>,
    /// Who added it.
    pub owner: Option<&'a Actor>,
    /// Checklist items done.
    pub done: Vec<&'a str>,
    /// The entry that marked it keyed back.
    pub keyed: Option<By<'a>>,
}

/// The exercise clock, as the journal records it.
#[derive(Debug, Serialize)]
pub struct ExerciseClockView {
    /// Exercise time now, ms since T+0.
    pub t_ms: u64,
    /// Speed, 1 to 60.
    pub speed: u32,
    /// running, paused, manual, no_duty (suspended for a real incident) or
    /// ended.
    pub state: &'static str,
}

/// Runs `status`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let (state, head) = crate::session::read_folded(
        &args.journal,
        ctx.identities_if_any()?,
        super::fold_cache().as_ref(),
    )?;
    let runbooks: Vec<Runbook> = match ctx.library_path() {
        Ok(_) => ctx
            .load(false)
            .context("loading the library for the runbooks' steps")?
            .1
            .runbooks
            .into_iter()
            .map(|l| l.runbook)
            .collect(),
        Err(_) => Vec::new(),
    };
    // The text sums cases' clocks up on their case's line: it views only
    // the response's own (a register's 30,000 case clocks are `--json`'s).
    let status = status(
        &args.journal,
        head.as_ref(),
        &state,
        &runbooks,
        Utc::now(),
        args.json,
    );
    if args.json {
        super::print_json(&status)?;
    } else {
        out!("{}", render(&status))?;
    }
    // The process ends here: freeing tens of thousands of clocks and cases
    // one by one took a third as long as reading them (measured at 10,000
    // cases, docs/PERFORMANCE.md), for memory the exit returns.
    std::mem::forget(status);
    std::mem::forget(state);
    Ok(ExitCode::SUCCESS)
}

/// The status of the response `state` folds, at `now`; with
/// `case_clocks`, every case's clocks are among its clocks.
pub fn status<'a>(
    path: &std::path::Path,
    head: Option<&crate::journal::Entry>,
    state: &'a ResponseState,
    runbooks: &[Runbook],
    now: DateTime<Utc>,
    case_clocks: bool,
) -> Status<'a> {
    let play = PlayClock::of(state);
    // Wall time for the session, exercise time for deadlines.
    let wall = now;
    let now = deadline_now(state, wall);
    let register = cases::register(state, None, now);
    Status {
        journal: path.display().to_string(),
        entries: state.entries,
        unreadable: state.unreadable,
        head: head.map(|e| Head {
            seq: e.seq,
            witness: e.witness(),
        }),
        incident: state.incident.clone(),
        exercise: state.exercise_id().map(str::to_owned),
        actor: state.actor.clone(),
        session_open: state.sessions.open,
        awareness: state.awareness.as_ref().map(|a| Awareness {
            at: a.at,
            reason: a.reason.clone(),
            seq: a.stamp.seq,
        }),
        runbooks: state
            .runbooks
            .iter()
            .map(|open| {
                let definition = runbooks.iter().find(|r| r.id == open.id);
                RunbookStatus {
                    id: open.id.clone(),
                    title: open.version.title.clone(),
                    commit: open.version.commit.clone(),
                    trust: open.version.trust.clone(),
                    opened: open.opened().into(),
                    in_library: definition.is_some(),
                    steps: steps(open, definition),
                }
            })
            .collect(),
        clocks: state
            .clocks
            .iter()
            .filter(|c| case_clocks || c.case.is_none())
            .map(|c| {
                let clock_state = c.status(now);
                let (anchor, start) = state.clock_start(c);
                ClockView {
                    runbook: &c.runbook,
                    clock: &c.clock,
                    case: c.case.as_deref(),
                    label: &c.label,
                    anchor,
                    start,
                    basis: c.basis.as_deref(),
                    started: (&c.started).into(),
                    due_at: c.due_at,
                    remaining_s: matches!(clock_state, ClockStatus::Running | ClockStatus::Overdue)
                        .then(|| (c.due_at - now).num_seconds()),
                    state: clock_state.as_str(),
                    met: c.met.as_ref().map(By::from),
                    breached: c.breached.as_ref().map(By::from),
                }
            })
            .collect(),
        exercise_clock: play.at(wall).map(|t_ms| ExerciseClockView {
            t_ms,
            speed: play.speed,
            state: if play.ended {
                "ended"
            } else if play.no_duty {
                "no_duty"
            } else if play.paused {
                "paused"
            } else if play.manual {
                "manual"
            } else {
                "running"
            },
        }),
        signed_in: state
            .signed_in
            .iter()
            .map(|s| SignedIn {
                name: s.name.clone(),
                role: s.role.clone(),
                team: s.team.clone(),
                capacity: s.capacity.clone(),
                seq: s.stamp.seq,
            })
            .collect(),
        case_counts: cases::counts(&register, now),
        cases: register
            .iter()
            .map(|row| CaseView {
                reference: &row.case.reference,
                runbook: &row.case.runbook,
                kind: &row.case.kind,
                received_at: row.case.received_at,
                state: row.progress.as_str(),
                next_due: row.next_due,
                owner: row.case.added.actor.as_ref(),
                done: row.case.done.keys().map(String::as_str).collect(),
                keyed: row.case.keyed.as_ref().map(By::from),
            })
            .collect(),
        anomalies: state.anomalies.iter().map(ToString::to_string).collect(),
        deadline_now: now,
    }
}

/// The steps of an open runbook: the definition's, in order, then any the
/// journal names that it does not have.
fn steps<'a>(
    open: &'a crate::response::OpenedRunbook,
    definition: Option<&Runbook>,
) -> Vec<StepView<'a>> {
    let mut out: Vec<StepView> = definition
        .map(|r| {
            r.steps
                .iter()
                .map(|s| view(&s.id, &s.title, &s.checks, open.steps.get(&s.id)))
                .collect()
        })
        .unwrap_or_default();
    for (id, recorded) in &open.steps {
        if !out.iter().any(|s| s.id == *id) {
            out.push(view(id, id, &[], Some(recorded)));
        }
    }
    out
}

fn view<'a>(
    id: &str,
    title: &str,
    checks: &[String],
    recorded: Option<&'a StepState>,
) -> StepView<'a> {
    let status = recorded.map_or(&StepStatus::Todo, |s| &s.status);
    let reason = match status {
        StepStatus::Skipped { reason } | StepStatus::Blocked { reason, .. } => Some(reason.clone()),
        _ => None,
    };
    let ticked = |n: usize| recorded.and_then(|s| s.ticked.get(&n));
    let mut check_views: Vec<CheckView> = checks
        .iter()
        .enumerate()
        .map(|(i, text)| CheckView {
            n: i + 1,
            text: text.clone(),
            ticked: ticked(i).map(|t| (&t.stamp).into()),
        })
        .collect();
    // Ticks of checks the runbook (as loaded now) does not have.
    for (i, tick) in recorded.map(|s| &s.ticked).into_iter().flatten() {
        if *i >= checks.len() {
            check_views.push(CheckView {
                n: i + 1,
                text: tick.text.clone(),
                ticked: Some((&tick.stamp).into()),
            });
        }
    }
    StepView {
        id: id.to_owned(),
        title: title.to_owned(),
        status: status.label(),
        reason,
        by: recorded
            .filter(|_| *status != StepStatus::Todo)
            .map(|s| (&s.changed).into()),
        checks: check_views,
        decision: recorded
            .and_then(|s| s.decision.as_ref())
            .map(|d| DecisionView {
                option: d.option.clone(),
                goto: d.goto.clone(),
                rationale: d.rationale.clone(),
                by: (&d.stamp).into(),
            }),
    }
}

/// A time as the text output shows it: UTC, to the second.
fn utc(at: DateTime<Utc>) -> String {
    use chrono::{Datelike as _, Timelike as _};
    // Written out rather than through `format`, which reads its pattern
    // again for each of the 10,000 cases a register can print; chrono's own
    // form (a sign before a year past 9999) for any other year.
    if (0..=9999).contains(&at.year()) {
        // A leap second is held as :59 and a second's worth of nanoseconds.
        let second = at.second() + u32::from(at.nanosecond() >= 1_000_000_000);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
            at.year(),
            at.month(),
            at.day(),
            at.hour(),
            at.minute(),
            second
        )
    } else {
        at.format("%Y-%m-%d %H:%M:%SZ").to_string()
    }
}

/// `by Name (Role), seq N`.
fn by(by: &By) -> String {
    let who = by.actor.as_ref().map_or_else(
        || "(unreadable)".to_owned(),
        |a| format!("{} ({})", printable_line(&a.name), printable_line(&a.role)),
    );
    format!("{who}, seq {} at {}", by.seq, utc(by.at))
}

/// The text output.
pub fn render(s: &Status) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let line = |out: &mut String, text: String| {
        let _ = writeln!(out, "{text}");
    };
    line(&mut out, format!("Journal {}", printable_line(&s.journal)));
    let head = s.head.as_ref().map_or_else(String::new, |h| {
        format!(", head seq {} witness {}", h.seq, h.witness)
    });
    let unreadable = if s.unreadable > 0 {
        format!(" ({} unreadable: no key)", s.unreadable)
    } else {
        String::new()
    };
    line(&mut out, format!("{} entries{unreadable}{head}", s.entries));
    if let Some(incident) = &s.incident {
        line(&mut out, format!("Incident: {}", printable_line(incident)));
    }
    if let Some(actor) = &s.actor {
        line(
            &mut out,
            format!(
                "At the keyboard: {} ({}){}",
                printable_line(&actor.name),
                printable_line(&actor.role),
                if s.session_open {
                    ""
                } else {
                    "; session ended"
                }
            ),
        );
    }
    if let Some(a) = &s.awareness {
        let why = a
            .reason
            .as_deref()
            .map_or_else(String::new, |r| format!(" ({})", printable_line(r)));
        line(
            &mut out,
            format!("Aware since {}{why}, seq {}", utc(a.at), a.seq),
        );
    }
    if let (Some(id), Some(clock)) = (&s.exercise, &s.exercise_clock) {
        let secs = clock.t_ms / 1000;
        line(
            &mut out,
            format!(
                "Exercise {}: T+{:02}:{:02}:{:02} {}x {}",
                printable_line(id),
                secs / 3600,
                secs / 60 % 60,
                secs % 60,
                clock.speed,
                clock.state.replace('_', " ").to_uppercase()
            ),
        );
    }
    for p in &s.signed_in {
        let team = p
            .team
            .as_deref()
            .map(|t| format!(", team {}", printable_line(t)))
            .unwrap_or_default();
        line(
            &mut out,
            format!(
                "  signed in: {} ({}{team}) as {}, seq {}",
                printable_line(&p.name),
                printable_line(&p.role),
                printable_line(&p.capacity),
                p.seq
            ),
        );
    }
    for runbook in &s.runbooks {
        line(&mut out, String::new());
        let commit = runbook.commit.as_deref().map_or_else(String::new, |c| {
            format!(" commit {}", &c[..c.len().min(12)])
        });
        line(
            &mut out,
            format!(
                "Runbook {}: {}{commit}, {}; opened by {}{}",
                printable_line(&runbook.id),
                printable_line(&runbook.title),
                printable_line(&runbook.trust),
                by(&runbook.opened),
                if runbook.in_library {
                    ""
                } else {
                    " (not in the library now: only steps the journal names)"
                }
            ),
        );
        for (i, step) in runbook.steps.iter().enumerate() {
            let reason = step
                .reason
                .as_deref()
                .map_or_else(String::new, |r| format!(" ({})", printable_line(r)));
            let who = step
                .by
                .as_ref()
                .map_or_else(String::new, |b| format!(" by {}", by(b)));
            line(
                &mut out,
                format!(
                    "  {:>2}. {:<8} {} [{}]{reason}{who}",
                    i + 1,
                    step.status,
                    printable_line(&step.title),
                    printable_line(&step.id),
                ),
            );
            for check in &step.checks {
                let (mark, who) = check.ticked.as_ref().map_or_else(
                    || ("[ ]", String::new()),
                    |b| ("[x]", format!(", ticked by {}", by(b))),
                );
                line(
                    &mut out,
                    format!(
                        "        {mark} {}. {}{who}",
                        check.n,
                        printable_line(&check.text)
                    ),
                );
            }
            if let Some(d) = &step.decision {
                line(
                    &mut out,
                    format!(
                        "        decided {:?} (because {}) by {}",
                        printable_line(&d.option),
                        printable_line(&d.rationale),
                        by(&d.by)
                    ),
                );
            }
        }
    }
    // Cases' clocks are summed up on their case's line (every one is in
    // `--json` and `grabbag cases`): a register of thousands is one line a
    // case, not one a clock.
    let clocks: Vec<&ClockView> = s.clocks.iter().filter(|c| c.case.is_none()).collect();
    if !clocks.is_empty() {
        line(&mut out, String::new());
        line(&mut out, "Deadlines:".to_owned());
        for c in clocks {
            let left = c.remaining_s.map_or_else(String::new, |r| {
                format!(", {}", time_left(chrono::TimeDelta::seconds(r)))
            });
            let whose = if c.runbook.is_empty() {
                "deadline".to_owned()
            } else {
                printable_line(c.runbook).into_owned()
            };
            line(
                &mut out,
                format!(
                    "  {} {whose}#{}: {}; counts from {} {}, started by {}, due {}{left}",
                    c.state.to_uppercase(),
                    printable_line(c.clock),
                    printable_line(c.label),
                    c.anchor,
                    utc(c.start),
                    by(&c.started),
                    utc(c.due_at),
                ),
            );
        }
    }
    if s.case_counts.cases > 0 {
        let n = s.case_counts;
        line(&mut out, String::new());
        line(
            &mut out,
            format!(
                "Cases: {}, {} with a deadline missed, {} not keyed back",
                n.cases, n.missed, n.not_keyed
            ),
        );
        for c in &s.cases {
            let due = c.next_due.map_or_else(String::new, |d| {
                format!(", next due {} ({})", utc(d), time_left(d - s.deadline_now))
            });
            line(
                &mut out,
                format!(
                    "  {} {} ({}, {}): received {}{due}",
                    c.state.to_uppercase(),
                    printable_line(c.reference),
                    printable_line(c.kind),
                    printable_line(c.runbook),
                    utc(c.received_at),
                ),
            );
        }
    }
    if !s.anomalies.is_empty() {
        line(&mut out, String::new());
        line(&mut out, "Does not match:".to_owned());
        for a in &s.anomalies {
            line(&mut out, format!("  {}", printable_line(a)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone as _, Utc};

    #[test]
    fn a_time_reads_as_chrono_writes_it_in_any_year() {
        for (y, m, d, h, min, s) in [
            (2026, 12, 5, 6, 28, 1),
            (2026, 8, 31, 23, 59, 59),
            (1, 1, 1, 0, 0, 0),
            (0, 3, 1, 12, 0, 0),
            (9999, 12, 31, 23, 59, 59),
            (10_000, 1, 1, 0, 0, 0),
            (-44, 3, 15, 12, 0, 0),
        ] {
            let at = Utc.from_utc_datetime(
                &NaiveDate::from_ymd_opt(y, m, d)
                    .unwrap()
                    .and_hms_opt(h, min, s)
                    .unwrap(),
            );
            assert_eq!(
                super::utc(at),
                at.format("%Y-%m-%d %H:%M:%SZ").to_string(),
                "{y}"
            );
        }
        // A leap second, as RFC 3339 text may carry one.
        let leap = chrono::DateTime::parse_from_rfc3339("2016-12-31T23:59:60.5Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(super::utc(leap), "2016-12-31 23:59:60Z");
        assert_eq!(
            super::utc(leap),
            leap.format("%Y-%m-%d %H:%M:%SZ").to_string()
        );
    }
}
