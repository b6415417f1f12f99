//! An event in words: the one wording the run screen's log, the review
//! screen and every export use, so a responder and an auditor read the same
//! sentence for the same entry.

use super::command::Runbooks;
use crate::journal::Event;

/// A step's title, or its id when the runbook does not have it.
fn step_title<R: Runbooks + ?Sized>(runbooks: &R, runbook: &str, step: &str) -> String {
    runbooks
        .runbook(runbook)
        .and_then(|r| r.step(step))
        .map_or_else(|| step.to_owned(), |s| s.title.clone())
}

/// A clock's label, or its id when the runbook does not have it.
fn clock_label<R: Runbooks + ?Sized>(runbooks: &R, runbook: &str, clock: &str) -> String {
    runbooks
        .runbook(runbook)
        .and_then(|r| r.clocks.iter().find(|c| c.id == clock))
        .map_or_else(|| clock.to_owned(), |c| c.label.clone())
}

/// What an event records, in words, with step titles and clock labels from
/// `runbooks` where they have them (ids otherwise). Raw text: a caller escapes
/// it for its medium (`crate::text::printable_line` for a terminal).
pub fn describe<R: Runbooks + ?Sized>(event: Option<&Event>, runbooks: &R) -> String {
    match event {
        None => "(unreadable entry)".to_owned(),
        Some(event) => match event {
            Event::SessionStarted { resumed, .. } => {
                if *resumed {
                    "session resumed".to_owned()
                } else {
                    "session started".to_owned()
                }
            }
            Event::RunbookOpened { title, .. } => format!("opened runbook: {title}"),
            Event::StepStarted { runbook, step } => {
                format!("started: {}", step_title(runbooks, runbook, step))
            }
            Event::StepDone { runbook, step } => {
                format!("done: {}", step_title(runbooks, runbook, step))
            }
            Event::StepSkipped {
                runbook,
                step,
                reason,
            } => format!(
                "skipped: {} (because {reason})",
                step_title(runbooks, runbook, step)
            ),
            Event::StepBlocked {
                runbook,
                step,
                reason,
            } => format!(
                "blocked: {} (waiting for {reason})",
                step_title(runbooks, runbook, step)
            ),
            Event::StepUnblocked { runbook, step } => {
                format!("unblocked: {}", step_title(runbooks, runbook, step))
            }
            Event::CheckTicked { text, .. } => format!("ticked: {text}"),
            Event::Decision {
                option, rationale, ..
            } => format!("decided: {option} (because {rationale})"),
            Event::Note {
                text,
                happened_at: Some(at),
            } => {
                // Shown as written, with its offset; as stored if unreadable.
                let at = chrono::DateTime::parse_from_rfc3339(at).map_or_else(
                    |_| at.clone(),
                    |t| t.format("%Y-%m-%d %H:%M %:z").to_string(),
                );
                format!("note (happened {at}): {text}")
            }
            Event::Note { text, .. } => format!("note: {text}"),
            Event::ClockStarted { label, .. } => format!("clock started: {label}"),
            Event::ClockMet { runbook, clock } => {
                format!("clock met: {}", clock_label(runbooks, runbook, clock))
            }
            Event::ClockBreached { runbook, clock } => {
                format!("DEADLINE MISSED: {}", clock_label(runbooks, runbook, clock))
            }
            Event::ActorChanged { name, role } => format!("at the keyboard: {name} ({role})"),
            Event::Correction { of, replacement } => {
                format!("correction of #{of}: {replacement}")
            }
            Event::InjectDelivered { inject, text, .. } if inject.is_empty() => {
                format!("unscripted inject: {text}")
            }
            Event::InjectDelivered { inject, text, .. } => format!("inject {inject}: {text}"),
            Event::ExpectationScored {
                expectation, score, ..
            } => format!("scored {expectation}: {score}"),
            Event::ExerciseStarted { title, .. } => format!("exercise started: {title}"),
            Event::ExerciseClock { change, speed, .. } => {
                format!("exercise clock {} (speed {speed}x)", change.as_str())
            }
            Event::LessonRecorded { category, text, .. } => {
                format!("lesson ({}): {text}", category.as_str())
            }
            Event::SessionEnded { reason } => match reason {
                Some(r) => format!("session ended ({r})"),
                None => "session ended".to_owned(),
            },
            Event::Unknown(unknown) => {
                format!("unknown event (newer version): {}", unknown.type_name())
            }
        },
    }
}
