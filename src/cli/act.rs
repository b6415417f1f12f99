//! `grabbag act JOURNAL VERB ...`: every action a responder or a facilitator
//! takes in the interface, from a script or a second terminal.
//!
//! Each verb becomes one core [`Command`], checked by the same rules as a key
//! press on the run screen (the session decides it on the journal as it is
//! on disk, under its lock) and appended as a one-shot writer. A refused
//! action exits 1 with the core's reason and writes nothing; a malformed
//! one (a step that names no runbook while two are open, a time that is not
//! one) is a usage error, exit 2. A missing journal is started as `note`
//! starts one.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::{DateTime, FixedOffset, Utc};

use super::Context;
use super::note::{Create, Opening, open_session};
use crate::calendar::{Duration, Period};
use crate::journal::{Actor, LessonCategory};
use crate::response::{ClockRequest, Command, DeadlineDue, StepRef};
use crate::session::{Session, SessionError};
use crate::text::printable_line;

/// Arguments of `act`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The journal file (created if missing, as `note` does).
    pub journal: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub verb: Verb,
    /// Who is acting (default: as for `note`).
    #[arg(long, global = true)]
    pub actor: Option<String>,
    /// Their role (default: as for `note`).
    #[arg(long, global = true)]
    pub role: Option<String>,
    /// When it happened (RFC 3339): for `note`, when what it records
    /// happened; for `aware`, the time of awareness (required there); for
    /// `case add`, when the case was received.
    #[arg(long, global = true, value_name = "TIME")]
    pub at: Option<String>,
    /// The incident's name, for a new journal.
    #[arg(long, global = true)]
    pub incident: Option<String>,
    /// Create the journal unencrypted (an explicit choice, recorded in its first entry).
    #[arg(long, global = true)]
    pub plaintext: bool,
}

/// The actions. STEP is `RUNBOOK#STEP`, or the step id alone when one
/// runbook is open; checks and options are numbered from 1, as on screen.
#[derive(Debug, clap::Subcommand)]
pub enum Verb {
    /// Open a runbook of the library (pinned to its version).
    Open {
        /// Runbook id.
        runbook: String,
    },
    /// Begin work on a step.
    Start {
        /// The step.
        step: String,
    },
    /// Mark a step done.
    Done {
        /// The step.
        step: String,
    },
    /// Skip a step, with the reason.
    Skip {
        /// The step.
        step: String,
        /// Why (required).
        #[arg(long)]
        reason: String,
    },
    /// Tick check N of a step.
    Tick {
        /// The step.
        step: String,
        /// The check, from 1.
        n: usize,
    },
    /// Take back the tick of check N.
    Untick {
        /// The step.
        step: String,
        /// The check, from 1.
        n: usize,
    },
    /// Take a decision: the option by its label (or its number), and why.
    Decide {
        /// The decision step.
        step: String,
        /// The option chosen: its label, or its number from 1.
        #[arg(long)]
        option: String,
        /// Why (required).
        #[arg(long)]
        rationale: String,
    },
    /// Block a step: what it waits for.
    Block {
        /// The step.
        step: String,
        /// What it waits for (required).
        #[arg(long)]
        reason: String,
    },
    /// Lift a block.
    Unblock {
        /// The step.
        step: String,
    },
    /// Write a note (`--at` says when it happened).
    Note {
        /// The note.
        text: String,
    },
    /// Correct an earlier entry (it stays; the correction points at it).
    Correct {
        /// The entry's seq.
        seq: u64,
        /// What it should have said, and why.
        text: String,
    },
    /// Give or correct when the council became aware (`--at TIME`).
    Aware {
        /// Why this time.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Add a deadline of the response's own: due at a time, or after a period.
    Deadline {
        /// What must happen by then.
        label: String,
        /// When it falls due (RFC 3339).
        #[arg(
            long,
            value_name = "TIME",
            conflicts_with = "after",
            required_unless_present = "after"
        )]
        due: Option<String>,
        /// How long from now: `4h`, `1h30m`, `1 working day`, `1 month`.
        #[arg(long, value_name = "DURATION")]
        after: Option<String>,
        /// What it rests on (law, contract, a promise made).
        #[arg(long)]
        basis: Option<String>,
    },
    /// Mark a deadline added during the response met (its id from `status`).
    Met {
        /// The deadline's id (`deadline-1`...).
        deadline: String,
    },
    /// Cases on a runbook's register: add, done, keyed.
    #[command(subcommand)]
    Case(CaseVerb),
    /// Someone else takes the keyboard (of the interface that has the journal open).
    Handover {
        /// Their name.
        name: String,
        /// Their role.
        role: String,
    },
    /// End the writer session.
    End {
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Facilitator: start an exercise of the library at T+0.
    ExerciseStart {
        /// The exercise's id.
        exercise: String,
        /// How fast exercise time runs: 1 (real time) to 60.
        #[arg(long, default_value_t = 1)]
        speed: u32,
        /// Exercise time moves only when the facilitator moves it.
        #[arg(long)]
        manual: bool,
        /// The clock stands at T+0 until `resume` (the brief is read first).
        #[arg(long)]
        paused: bool,
    },
    /// Sign in to the exercise as --actor in --role: a player, facilitator or observer.
    SignIn {
        /// Their team, if play is by teams.
        #[arg(long)]
        team: Option<String>,
        /// player, facilitator or observer.
        #[arg(long = "as", value_name = "CAPACITY", default_value = "player")]
        capacity: String,
    },
    /// Facilitator: deliver a scripted inject by its id, or an unscripted one (--text).
    Inject {
        /// The inject's id in the exercise (none for an unscripted inject).
        id: Option<String>,
        /// Who it is from (unscripted).
        #[arg(long, default_value = "Facilitator")]
        from: String,
        /// How it arrives (unscripted).
        #[arg(long, default_value = "phone")]
        channel: String,
        /// What it says (unscripted).
        #[arg(long, conflicts_with = "id")]
        text: Option<String>,
        /// The team or role it is aimed at (unscripted; everyone when absent).
        #[arg(long, conflicts_with = "id")]
        to: Option<String>,
    },
    /// Facilitator: score an expectation met, late, partial or missed.
    Score {
        /// The inject's id.
        inject: String,
        /// The expectation's id.
        expectation: String,
        /// met, late, partial or missed.
        outcome: String,
        /// The entry that proves it.
        #[arg(long, value_name = "SEQ")]
        evidence: Option<u64>,
        /// What was seen that earns it (required).
        #[arg(long)]
        comment: Option<String>,
    },
    /// Facilitator: a lesson learned (went_well, did_not_go_well or action).
    Lesson {
        /// went_well, did_not_go_well or action.
        kind: String,
        /// The lesson.
        text: String,
        /// Who owns the action.
        #[arg(long)]
        owner: Option<String>,
        /// When the action is due.
        #[arg(long)]
        due: Option<String>,
    },
    /// Facilitator: an observer's note (never counts as a player's).
    Observe {
        /// The note.
        text: String,
    },
    /// Facilitator: pause the exercise clock.
    Pause,
    /// Facilitator: start the exercise clock again.
    Resume,
    /// Facilitator: run the exercise clock at this speed (1 to 60).
    Speed {
        /// The speed.
        speed: u32,
    },
    /// Facilitator: manual mode on or off.
    Manual {
        /// on or off.
        #[arg(value_parser = ["on", "off"])]
        mode: String,
    },
    /// Facilitator: move exercise time forward to T+ this long (45m, 1h30m).
    Jump {
        /// Exercise time to jump to.
        to: String,
    },
    /// Facilitator: ENDEX, the end of play (final).
    Endex,
    /// Facilitator: NO DUTY, play suspended for a real incident (`resume` takes it up again).
    NoDuty,
}

/// What is done to a case.
#[derive(Debug, clap::Subcommand)]
pub enum CaseVerb {
    /// A case arrives (`--at` when it was received, if not now).
    Add {
        /// The runbook whose register it joins (open).
        runbook: String,
        /// The case's reference, unique in the journal.
        reference: String,
        /// The case kind (may be left out when the runbook declares one).
        #[arg(long)]
        kind: Option<String>,
        /// A field, as NAME=VALUE (repeat for each).
        #[arg(long = "field", value_name = "NAME=VALUE")]
        fields: Vec<String>,
    },
    /// An item of the case's checklist is done.
    Done {
        /// The case's reference.
        reference: String,
        /// The checklist item's id.
        step: String,
    },
    /// The case was keyed back into the line-of-business system.
    Keyed {
        /// The case's reference.
        reference: String,
    },
}

/// The role observer notes are written under.
const OBSERVER_ROLE: &str = "Observer";

/// Runs `act`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let observer = |mut actor: Actor| {
        if matches!(args.verb, Verb::Observe { .. }) {
            actor.role = OBSERVER_ROLE.to_owned();
        }
        actor
    };
    // Who starts the journal when there is none yet.
    let actor = observer(ctx.actor(args.actor.clone(), args.role.clone()));
    let at = args
        .at
        .as_deref()
        .map(|text| {
            DateTime::parse_from_rfc3339(text).with_context(|| {
                format!("--at {text:?} is not an RFC 3339 time such as 2026-11-29T09:15:00Z")
            })
        })
        .transpose()?;
    // Runbook definitions, for the rules of steps: every loaded runbook of
    // the library, when there is one.
    let report = match ctx.library_path() {
        Ok(_) => ctx.load(false)?.1,
        Err(_) => crate::library::LoadReport::default(),
    };
    let loaded = report.runbooks;
    let create = Create {
        plaintext: args.plaintext,
        incident: args.incident.clone(),
    };
    let runbooks = loaded.iter().map(|l| l.runbook.clone()).collect();
    let mut session = open_session(ctx, &args.journal, &create, &actor, Opening::Full(runbooks))
        .context("nothing was recorded")?;
    // A second terminal writes as the journal's keyboard holder, not as
    // whoever last used this laptop.
    let mut actor = observer(ctx.actor_at(
        args.actor.clone(),
        args.role.clone(),
        session.state().actor.as_ref(),
    ));
    session.set_calendar(report.calendar);
    let command = match command(ctx, &args, at, &session, &loaded)? {
        Ok(command) => command,
        Err(refusal) => {
            eprintln!("refused: {refusal}");
            return Ok(ExitCode::from(1));
        }
    };
    // One signing in acts under the role as the exercise spells it, so
    // their sign-in is found by it.
    if let Command::SignIn { role, .. } = &command {
        actor.role.clone_from(role);
    }
    match session.execute(&actor, &command, Utc::now()) {
        Ok(entries) => {
            for entry in &entries {
                let who = entry
                    .actor
                    .as_ref()
                    .map(|a| printable_line(&a.name).into_owned())
                    .unwrap_or_default();
                outln!(
                    "seq {} {who}: {}",
                    entry.seq,
                    printable_line(&crate::response::describe(
                        entry.event.as_ref(),
                        session.runbooks()
                    ))
                )?;
            }
            if let Some(last) = entries.last() {
                outln!("witness {}", last.witness())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(SessionError::Refused(reason)) => {
            eprintln!("refused: {reason}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e).context("nothing was recorded"),
    }
}

/// The command a verb asks for; `Ok(Err(reason))` when the answer is
/// already no (an option the decision does not have), `Err` on a usage error.
fn command(
    ctx: &Context,
    args: &Args,
    at: Option<DateTime<FixedOffset>>,
    session: &Session,
    loaded: &[crate::library::LoadedRunbook],
) -> anyhow::Result<Result<Command, String>> {
    let step = |text: &str| step_ref(session, text);
    if at.is_some()
        && !matches!(
            args.verb,
            Verb::Note { .. } | Verb::Aware { .. } | Verb::Case(CaseVerb::Add { .. })
        )
    {
        bail!(
            "--at gives when a note's subject happened, the time of awareness or when a case was received: it does not apply to this verb"
        );
    }
    let check = |n: usize| -> anyhow::Result<usize> {
        n.checked_sub(1)
            .ok_or_else(|| anyhow::anyhow!("checks are numbered from 1"))
    };
    Ok(Ok(match &args.verb {
        Verb::Open { runbook } => {
            let Some(found) = loaded.iter().find(|l| l.runbook.id == *runbook) else {
                return Ok(Err(format!(
                    "runbook `{}` is not in the library (or did not load: see `grabbag list`)",
                    printable_line(runbook)
                )));
            };
            Command::OpenRunbook {
                runbook: runbook.clone(),
                pin: crate::session::pin(found),
            }
        }
        Verb::Start { step: s } => Command::Start(step(s)?),
        Verb::Done { step: s } => Command::Done(step(s)?),
        Verb::Skip { step: s, reason } => Command::Skip {
            step: step(s)?,
            reason: reason.clone(),
        },
        Verb::Tick { step: s, n } => Command::Tick {
            step: step(s)?,
            check: check(*n)?,
        },
        Verb::Untick { step: s, n } => Command::Untick {
            step: step(s)?,
            check: check(*n)?,
        },
        Verb::Decide {
            step: s,
            option,
            rationale,
        } => {
            let at = step(s)?;
            let index = match option_index(session, &at, option) {
                Ok(index) => index,
                Err(refusal) => return Ok(Err(refusal)),
            };
            Command::Decide {
                step: at,
                option: index,
                rationale: rationale.clone(),
            }
        }
        Verb::Block { step: s, reason } => Command::Block {
            step: step(s)?,
            reason: reason.clone(),
        },
        Verb::Unblock { step: s } => Command::Unblock(step(s)?),
        Verb::Note { text } | Verb::Observe { text } => Command::Note {
            text: text.clone(),
            happened_at: at,
        },
        Verb::Correct { seq, text } => Command::Correct {
            of: *seq,
            replacement: text.clone(),
        },
        Verb::Aware { reason } => Command::SetAwareness {
            at: at.ok_or_else(|| anyhow::anyhow!("aware needs --at TIME (RFC 3339)"))?,
            reason: reason.clone(),
        },
        Verb::Deadline {
            label,
            due,
            after,
            basis,
        } => Command::AddDeadline {
            label: label.clone(),
            due: match (due, after) {
                (Some(due), _) => {
                    DeadlineDue::At(DateTime::parse_from_rfc3339(due).with_context(|| {
                        format!(
                            "--due {:?} is not an RFC 3339 time such as 2026-11-29T09:15:00Z",
                            printable_line(due)
                        )
                    })?)
                }
                (None, Some(after)) => DeadlineDue::After(
                    Period::parse(after)
                        .map_err(|e| anyhow::anyhow!("--after {:?}: {e}", printable_line(after)))?,
                ),
                (None, None) => bail!("deadline needs --due TIME or --after DURATION"),
            },
            basis: basis.clone(),
        },
        Verb::Met { deadline } => Command::MeetDeadline {
            clock: deadline.clone(),
        },
        Verb::Case(CaseVerb::Add {
            runbook,
            reference,
            kind,
            fields,
        }) => Command::AddCase {
            runbook: runbook.clone(),
            kind: kind.clone(),
            reference: reference.clone(),
            received_at: at,
            fields: fields
                .iter()
                .map(|f| {
                    f.split_once('=')
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .ok_or_else(|| {
                            anyhow::anyhow!("--field {:?} is not NAME=VALUE", printable_line(f))
                        })
                })
                .collect::<anyhow::Result<_>>()?,
        },
        Verb::Case(CaseVerb::Done { reference, step }) => Command::CaseDone {
            reference: reference.clone(),
            step: step.clone(),
        },
        Verb::Case(CaseVerb::Keyed { reference }) => Command::CaseKeyed {
            reference: reference.clone(),
        },
        Verb::Handover { name, role } => Command::ChangeActor {
            name: name.clone(),
            role: role.clone(),
        },
        Verb::End { reason } => Command::EndSession {
            reason: reason.clone(),
        },
        Verb::ExerciseStart {
            exercise,
            speed,
            manual,
            paused,
        } => {
            let (file, definition) =
                super::exercise::find_recorded(ctx, &args.journal, exercise, "")?;
            Command::StartExercise {
                exercise: definition.id.clone(),
                title: definition.title.clone(),
                digest: crate::exercise::digest(&file.text),
                speed: *speed,
                manual: *manual,
                paused: *paused,
            }
        }
        Verb::SignIn { team, capacity } => {
            let who = ctx.actor(args.actor.clone(), args.role.clone());
            // The roles and teams the exercise declares, when it declares
            // any: a name it does not know is refused with the list.
            let (role, team) = match exercise_of(ctx, args, session)? {
                None => (who.role, team.clone()),
                Some(definition) => match definition
                    .sign_in_role(&who.role)
                    .and_then(|role| Ok((role, definition.sign_in_team(team.as_deref())?)))
                {
                    Ok(named) => named,
                    Err(unknown) => return Ok(Err(unknown.to_string())),
                },
            };
            Command::SignIn {
                name: who.name,
                role,
                team,
                capacity: capacity.clone(),
            }
        }
        Verb::Inject {
            id: Some(id),
            text: None,
            ..
        } => {
            let definition = exercise_of(ctx, args, session)?.ok_or_else(|| {
                anyhow::anyhow!("this journal is not an exercise: a scripted inject needs one")
            })?;
            let Some(inject) = definition.injects.iter().find(|i| i.id == *id) else {
                let known: Vec<&str> = definition.injects.iter().map(|i| i.id.as_str()).collect();
                bail!(
                    "exercise `{}` has no inject `{}` (there: {})",
                    printable_line(&definition.id),
                    printable_line(id),
                    known.join(", ")
                );
            };
            Command::DeliverInject {
                inject: inject.id.clone(),
                from: inject.from.clone(),
                channel: inject.channel.clone(),
                text: inject.text.clone(),
                to: inject.to.clone(),
            }
        }
        Verb::Inject {
            from,
            channel,
            text,
            to,
            ..
        } => Command::DeliverInject {
            inject: String::new(),
            // Aimed at a team or role the exercise declares, when it
            // declares any.
            to: match exercise_of(ctx, args, session)? {
                None => to.clone(),
                Some(definition) => match definition.audience(to.as_deref()) {
                    Ok(to) => to,
                    Err(unknown) => return Ok(Err(unknown.to_string())),
                },
            },
            from: from.clone(),
            channel: channel.clone(),
            text: text.clone().ok_or_else(|| {
                anyhow::anyhow!("inject needs an inject id, or --text for an unscripted one")
            })?,
        },
        Verb::Score {
            inject,
            expectation,
            outcome,
            evidence,
            comment,
        } => Command::Score {
            inject: inject.clone(),
            expectation: expectation.clone(),
            outcome: outcome.clone(),
            evidence: *evidence,
            comment: comment.clone().unwrap_or_default(),
        },
        Verb::Lesson {
            kind,
            text,
            owner,
            due,
        } => Command::Lesson {
            category: lesson_kind(kind)?,
            text: text.clone(),
            owner: owner.clone(),
            due: due.clone(),
        },
        Verb::Pause => Command::Clock(ClockRequest::Pause),
        Verb::Resume => Command::Clock(ClockRequest::Resume),
        Verb::Speed { speed } => Command::Clock(ClockRequest::Speed(*speed)),
        Verb::Manual { mode } => Command::Clock(ClockRequest::Manual(mode == "on")),
        Verb::Jump { to } => {
            let to = Duration::parse(to).map_err(|e| anyhow::anyhow!("jump {to:?}: {e}"))?;
            Command::Clock(ClockRequest::JumpTo(to.as_secs().saturating_mul(1000)))
        }
        Verb::Endex => Command::Clock(ClockRequest::End),
        Verb::NoDuty => Command::Clock(ClockRequest::NoDuty),
    }))
}

/// The exercise the journal records, read from the library (`None` when
/// the journal is not an exercise's); `Err` when it cannot be found.
fn exercise_of(
    ctx: &Context,
    args: &Args,
    session: &Session,
) -> anyhow::Result<Option<crate::exercise::Exercise>> {
    let Some(id) = session.state().exercise_id() else {
        return Ok(None);
    };
    let (_, definition) = super::exercise::find_recorded(ctx, &args.journal, id, "")?;
    Ok(Some(definition))
}

/// `RUNBOOK#STEP`, or a step id alone when exactly one runbook is open.
fn step_ref(session: &Session, text: &str) -> anyhow::Result<StepRef> {
    if let Some((runbook, step)) = text.split_once('#') {
        return Ok(StepRef::new(runbook, step));
    }
    match session.state().runbooks.as_slice() {
        [only] => Ok(StepRef::new(only.id.clone(), text)),
        [] => bail!("no runbook is open: `act JOURNAL open RUNBOOK` first"),
        open => bail!(
            "{} runbooks are open: name the step as RUNBOOK#{} (open: {})",
            open.len(),
            printable_line(text),
            open.iter()
                .map(|r| printable_line(&r.id).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The index of the option `wanted` (its label, without case, or its number
/// from 1) of the decision at `at`; index 0 when the step is not one the
/// runbooks know, so that the core refuses it with its own reason.
fn option_index(session: &Session, at: &StepRef, wanted: &str) -> Result<usize, String> {
    let decision = session
        .runbooks()
        .iter()
        .find(|r| r.id == at.runbook)
        .and_then(|r| r.step(&at.step))
        .and_then(|s| s.decision.as_ref());
    let Some(decision) = decision else {
        return Ok(0);
    };
    let wanted = wanted.trim();
    let by_label = decision
        .options
        .iter()
        .position(|o| o.label.trim().eq_ignore_ascii_case(wanted));
    let by_number = wanted
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .filter(|i| *i < decision.options.len());
    by_label.or(by_number).ok_or_else(|| {
        format!(
            "step `{}` has no option {:?}: choose one of {}",
            printable_line(&at.step),
            printable_line(wanted),
            decision
                .options
                .iter()
                .enumerate()
                .map(|(i, o)| format!("{} {:?}", i + 1, printable_line(&o.label)))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// A lesson's kind as the journal stores it.
fn lesson_kind(text: &str) -> anyhow::Result<LessonCategory> {
    match LessonCategory::parse(text) {
        Some(kind) => Ok(kind),
        None => bail!(
            "{:?} is not a kind of lesson: use went_well, did_not_go_well or action",
            printable_line(text.trim())
        ),
    }
}
