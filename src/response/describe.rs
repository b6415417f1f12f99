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
fn clock_label<R: Runbooks + ?Sized>(
    runbooks: &R,
    runbook: &str,
    case: Option<&str>,
    clock: &str,
) -> String {
    let Some(definition) = runbooks.runbook(runbook) else {
        return clock.to_owned();
    };
    match case {
        None => definition
            .clocks
            .iter()
            .find(|c| c.id == clock)
            .map_or_else(|| clock.to_owned(), |c| c.label.clone()),
        Some(case) => definition
            .cases
            .iter()
            .flat_map(|k| &k.clocks)
            .find(|c| c.id == clock)
            .map_or_else(
                || format!("{clock} (case {case})"),
                |c| format!("{} (case {case})", c.label),
            ),
    }
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
                "blocked: {} (waiting for {})",
                step_title(runbooks, runbook, step),
                without_waiting_for(reason)
            ),
            Event::StepUnblocked { runbook, step } => {
                format!("unblocked: {}", step_title(runbooks, runbook, step))
            }
            Event::CheckTicked { text, .. } => format!("ticked: {text}"),
            Event::CheckUnticked {
                runbook,
                step,
                check,
            } => format!(
                "tick taken back: check {} of {}",
                check + 1,
                step_title(runbooks, runbook, step)
            ),
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
            Event::Awareness { at, reason } => {
                let at = chrono::DateTime::parse_from_rfc3339(at).map_or_else(
                    |_| at.clone(),
                    |t| t.format("%Y-%m-%d %H:%M %:z").to_string(),
                );
                match reason {
                    Some(why) => format!("aware of the incident since {at} ({why})"),
                    None => format!("aware of the incident since {at}"),
                }
            }
            Event::ClockMet {
                runbook,
                clock,
                case,
            } => {
                let label = clock_label(runbooks, runbook, case.as_deref(), clock);
                format!("clock met: {label}")
            }
            Event::ClockBreached {
                runbook,
                clock,
                case,
            } => {
                let label = clock_label(runbooks, runbook, case.as_deref(), clock);
                format!("DEADLINE MISSED: {label}")
            }
            Event::CaseAdded {
                kind,
                reference,
                received_at,
                ..
            } => {
                let at = chrono::DateTime::parse_from_rfc3339(received_at).map_or_else(
                    |_| received_at.clone(),
                    |t| t.format("%Y-%m-%d %H:%M %:z").to_string(),
                );
                format!("case {reference} ({kind}) received {at}")
            }
            Event::CaseStepDone { reference, step } => format!("case {reference}: {step} done"),
            Event::CaseKeyed { reference } => format!("case {reference} keyed back"),
            Event::ActorChanged { name, role } => format!("at the keyboard: {name} ({role})"),
            Event::Correction { of, replacement } => {
                format!("correction of #{of}: {replacement}")
            }
            Event::SignedIn {
                name,
                role,
                team,
                capacity,
            } => match team {
                Some(team) => format!("signed in: {name} ({role}, {team}) as {capacity}"),
                None => format!("signed in: {name} ({role}) as {capacity}"),
            },
            Event::InjectDelivered {
                inject, text, to, ..
            } => {
                let id = if inject.is_empty() {
                    "unscripted inject".to_owned()
                } else {
                    format!("inject {inject}")
                };
                match to {
                    Some(to) => format!("{id} to {to}: {text}"),
                    None => format!("{id}: {text}"),
                }
            }
            Event::ExpectationScored {
                expectation, score, ..
            } => format!("scored {expectation}: {score}"),
            Event::ExerciseStarted { title, .. } => format!("exercise started: {title}"),
            Event::ExerciseClock { change, speed, .. } => {
                format!("exercise clock {} (speed {speed}x)", change.words())
            }
            Event::LessonRecorded {
                category,
                text,
                owner,
                due,
            } => {
                let mut about = vec![category.as_str().to_owned()];
                about.extend(owner.iter().map(|o| format!("owner {o}")));
                about.extend(due.iter().map(|d| format!("due {d}")));
                format!("lesson ({}): {text}", about.join(", "))
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

/// A block's reason without the "waiting for" the sentence around it already
/// says: responders often type "Waiting for Silver" as the reason.
fn without_waiting_for(reason: &str) -> &str {
    let trimmed = reason.trim_start();
    let prefix = "waiting for ";
    match trimmed.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => trimmed[prefix.len()..].trim_start(),
        _ => reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One event of every kind, as the journal stores it, with the sentence
    /// each becomes: the wording responders and auditors read, pinned.
    #[test]
    fn every_event_kind_in_words() {
        let runbooks = crate::samples::parsed_runbooks();
        let rb = r#""runbook":"cyber/ransomware""#;
        let events = [
            r#"{"type":"session_started","library":"/lib","grabbag":"0.1.0","host":"laptop","incident":"Friday","plaintext":false,"resumed":false}"#.to_owned(),
            r#"{"type":"session_started","library":null,"grabbag":"0.1.0","host":"laptop","incident":null,"plaintext":true,"resumed":true}"#.to_owned(),
            format!(r#"{{"type":"runbook_opened",{rb},"title":"Ransomware","commit":null,"blob":null,"dirty":false,"unencrypted":false,"trust":"signed"}}"#),
            format!(r#"{{"type":"step_started",{rb},"step":"isolate"}}"#),
            format!(r#"{{"type":"step_done",{rb},"step":"isolate"}}"#),
            format!(r#"{{"type":"step_done",{rb},"step":"gone-since"}}"#),
            format!(r#"{{"type":"step_skipped",{rb},"step":"isolate","reason":"already off the network"}}"#),
            format!(r#"{{"type":"step_blocked",{rb},"step":"isolate","reason":"the on-call engineer"}}"#),
            format!(r#"{{"type":"step_blocked",{rb},"step":"isolate","reason":"Waiting for Silver"}}"#),
            format!(r#"{{"type":"step_unblocked",{rb},"step":"isolate"}}"#),
            format!(r#"{{"type":"check_ticked",{rb},"step":"isolate","check":0,"text":"Cable unplugged"}}"#),
            format!(r#"{{"type":"decision",{rb},"step":"personal-data","option":"Yes or unsure","goto":"notify-dpo","rationale":"HR share encrypted"}}"#),
            r#"{"type":"note","text":"Called NCSC, ref 1234"}"#.to_owned(),
            r#"{"type":"note","text":"Ransom note found","happened_at":"2026-12-04T09:15:00Z"}"#.to_owned(),
            format!(r#"{{"type":"clock_started",{rb},"clock":"ico-72h","label":"Report to the ICO","due_at":"2026-12-07T09:15:00Z"}}"#),
            format!(r#"{{"type":"clock_met",{rb},"clock":"ico-72h"}}"#),
            format!(r#"{{"type":"clock_breached",{rb},"clock":"insurer-notice"}}"#),
            r#"{"type":"actor_changed","name":"Sam Okafor","role":"Loggist"}"#.to_owned(),
            r#"{"type":"correction","of":7,"replacement":"Called at 09:20, not 09:02"}"#.to_owned(),
            r#"{"type":"inject_delivered","inject":"note","from":"Service desk","channel":"phone","text":"Files renamed .lock"}"#.to_owned(),
            r#"{"type":"expectation_scored","inject":"note","expectation":"isolate","score":"met","evidence":12}"#.to_owned(),
            r#"{"type":"exercise_started","exercise":"ransomware-friday","title":"Ransomware on a Friday","digest":"ab","speed":60,"manual":false}"#.to_owned(),
            r#"{"type":"exercise_clock","change":"paused","ex_t":60000,"speed":60,"manual":false}"#.to_owned(),
            r#"{"type":"lesson_recorded","category":"action","text":"Print the contact list monthly","owner":"ICT","due":"2027-01-31"}"#.to_owned(),
            r#"{"type":"session_ended"}"#.to_owned(),
            r#"{"type":"session_ended","reason":"handed over"}"#.to_owned(),
        ];
        let mut out = String::new();
        for json in &events {
            let event: Event = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            out.push_str(&describe(Some(&event), &runbooks));
            out.push('\n');
        }
        out.push_str(&describe(None, &runbooks));
        insta::assert_snapshot!(out);
    }
}
