//! What the journal names that the runbooks, as loaded now, do not have.
//!
//! Folding needs nothing but the journal (so a journal folds the same on any
//! machine, with any library), which means the fold alone cannot know that a
//! step id is unknown: only the runbook definition can. This check reads the
//! folded state against the definitions and reports, with the seq that first
//! named it, each runbook missing from the library, each step, check, decision
//! option or clock the runbook does not have. A runbook edited since the
//! response (a step renamed) shows up here, as do hand-made journals.

use super::command::{Runbooks, counted};
use super::state::{Anomaly, ResponseState};

/// Anomalies of `state` against the runbook definitions, in journal order.
pub fn definition_anomalies<R: Runbooks + ?Sized>(
    state: &ResponseState,
    runbooks: &R,
) -> Vec<Anomaly> {
    let mut out = Vec::new();
    let mut push = |seq: u64, message: String| out.push(Anomaly { seq, message });
    for open in &state.runbooks {
        let Some(runbook) = runbooks.runbook(&open.id) else {
            push(
                open.opened().seq,
                format!("runbook `{}` is not in the library", open.id),
            );
            continue;
        };
        for (id, step_state) in &open.steps {
            let Some(step) = runbook.step(id) else {
                push(
                    step_state.first_seq,
                    format!("runbook `{}` has no step `{id}`", open.id),
                );
                continue;
            };
            for (index, tick) in &step_state.ticked {
                if step.checks.get(*index).is_none() {
                    push(
                        tick.stamp.seq,
                        format!(
                            "step `{id}` of runbook `{}` has {}; check {index} was ticked",
                            open.id,
                            counted(step.checks.len(), "check")
                        ),
                    );
                }
            }
            if let Some(taken) = &step_state.decision {
                let known = step
                    .decision
                    .as_ref()
                    .is_some_and(|d| d.options.iter().any(|o| o.label == taken.option));
                if !known {
                    push(
                        taken.stamp.seq,
                        format!(
                            "step `{id}` of runbook `{}` has no option {:?}",
                            open.id, taken.option
                        ),
                    );
                }
            }
        }
    }
    for clock in &state.clocks {
        let known = runbooks
            .runbook(&clock.runbook)
            .is_some_and(|r| r.clocks.iter().any(|c| c.id == clock.clock));
        if !known && runbooks.runbook(&clock.runbook).is_some() {
            push(
                clock.started.seq,
                format!("runbook `{}` has no clock `{}`", clock.runbook, clock.clock),
            );
        }
    }
    out.sort_by_key(|a| a.seq);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Event;
    use crate::response::testkit::{RB, Sim, flow};

    fn messages(sim: &Sim) -> Vec<String> {
        definition_anomalies(&sim.state, &sim.runbooks)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_journal_made_by_commands_matches_its_runbook() {
        let mut sim = Sim::opened();
        sim.run(&crate::response::Command::Done(
            crate::response::StepRef::new(RB, "triage"),
        ))
        .unwrap();
        assert!(messages(&sim).is_empty());
    }

    #[test]
    fn what_the_runbook_does_not_have_is_reported_with_the_first_seq() {
        let mut sim = Sim::opened();
        let (runbook, step) = (RB.to_owned(), "renamed".to_owned());
        sim.push(Event::StepStarted {
            runbook: runbook.clone(),
            step: step.clone(),
        });
        sim.push(Event::StepDone { runbook, step });
        sim.push(Event::CheckTicked {
            runbook: RB.to_owned(),
            step: "notify".to_owned(),
            check: 4,
            text: "gone".to_owned(),
        });
        sim.push(Event::Decision {
            runbook: RB.to_owned(),
            step: "assess".to_owned(),
            option: "Maybe".to_owned(),
            goto: "notify".to_owned(),
            rationale: "r".to_owned(),
        });
        sim.push(Event::ClockStarted {
            runbook: RB.to_owned(),
            clock: "old-clock".to_owned(),
            label: "Old".to_owned(),
            due_at: "2026-03-07T00:00:00Z".to_owned(),
            anchor: None,
            case: None,
            basis: None,
        });
        assert_eq!(
            messages(&sim),
            [
                "seq 3: runbook `t/flow` has no step `renamed`",
                "seq 5: step `notify` of runbook `t/flow` has 1 check; check 4 was ticked",
                "seq 6: step `assess` of runbook `t/flow` has no option \"Maybe\"",
                "seq 7: runbook `t/flow` has no clock `old-clock`",
            ]
        );
    }

    #[test]
    fn a_runbook_missing_from_the_library_is_reported_once() {
        let mut sim = Sim::opened();
        sim.push(Event::ClockStarted {
            runbook: RB.to_owned(),
            clock: "ico".to_owned(),
            label: "ICO".to_owned(),
            due_at: "2026-03-07T00:00:00Z".to_owned(),
            anchor: None,
            case: None,
            basis: None,
        });
        sim.runbooks.clear();
        assert_eq!(
            messages(&sim),
            ["seq 2: runbook `t/flow` is not in the library"]
        );
        sim.runbooks.push(flow());
        assert!(messages(&sim).is_empty());
    }
}
