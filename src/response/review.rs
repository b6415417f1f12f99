//! What the journal names that the runbooks, as loaded now, do not have.
//!
//! Folding needs nothing but the journal (so a journal folds the same on any
//! machine, with any library), which means the fold alone cannot know that a
//! step id is unknown: only the runbook definition can. This check reads the
//! folded state against the definitions and reports, with the seq that first
//! named it, each runbook missing from the library, each step, check, decision
//! option or clock the runbook does not have. A runbook edited since the
//! response (a step renamed) shows up here, as do hand-made journals.

use super::command::Runbooks;
use super::state::{Anomaly, ResponseState};

/// Anomalies of `state` against the runbook definitions, in the order of the
/// runbooks opened then the clocks started.
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
                            "step `{id}` of runbook `{}` has {} checks; check {index} was ticked",
                            open.id,
                            step.checks.len()
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
    out
}
