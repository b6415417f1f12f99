//! Where a responder is in a runbook: the flow read against the state.
//!
//! A runbook is a flow, not a checklist: a decision sends the responder down
//! one branch, a `next` jumps. The current step is found by walking that flow
//! from the first step through what the journal says is finished, so two
//! screens (the run screen now, the replay screen at any moment) always agree
//! on it, and nothing about "where we are" needs storing beside the journal.
//!
//! Walking rules:
//! - a step to do or started is current;
//! - a done step goes where its decision went (if taken), else to its `next`,
//!   else to the following step;
//! - a skipped or blocked step goes to its `next` or the following step; a
//!   skipped or blocked *decision* has no branch chosen, so the walk goes on
//!   in file order;
//! - blocked steps are walked around (work goes on while one waits), but when
//!   nothing else is left the first blocked step met is current, so a runbook
//!   with a block left is never shown as finished.
//!
//! The walk visits each step at most once, so a runbook edited into a loop
//! (lint forbids it, but a journal may be replayed against anything) still ends.

use super::state::{ResponseState, StepStatus};
use crate::runbook::{Runbook, Step, Target};

/// Index of the step a finished or passed-over step leads to (`None`: the end).
fn after(runbook: &Runbook, index: usize, state: &ResponseState) -> Option<usize> {
    let step = runbook.steps.get(index)?;
    let by_id = |id: &str| runbook.steps.iter().position(|s| s.id == id);
    let following = || (index + 1 < runbook.steps.len()).then_some(index + 1);
    if step.decision.is_some() {
        let taken = state
            .step(&runbook.id, &step.id)
            .filter(|s| s.status == StepStatus::Done)
            .and_then(|s| s.decision.as_ref());
        return match taken {
            Some(d) if d.goto == "end" => None,
            // A goto the runbook no longer has: carry on in file order.
            Some(d) => by_id(&d.goto).or_else(following),
            None => following(),
        };
    }
    match &step.next {
        Some(Target::End) => None,
        Some(Target::Step(id)) => by_id(id).or_else(following),
        None => following(),
    }
}

/// The step to work on now in `runbook`, following its flow through what the
/// journal says is finished (see the module docs); `None` when the flow has
/// reached its end with nothing left blocked.
pub fn current_step<'r>(state: &ResponseState, runbook: &'r Runbook) -> Option<&'r Step> {
    let mut visited = vec![false; runbook.steps.len()];
    let mut first_blocked = None;
    let mut index = (!runbook.steps.is_empty()).then_some(0);
    while let Some(i) = index {
        let (Some(step), Some(seen)) = (runbook.steps.get(i), visited.get_mut(i)) else {
            break;
        };
        if *seen {
            break;
        }
        *seen = true;
        match state.status(&runbook.id, &step.id) {
            StepStatus::Todo | StepStatus::Started => return Some(step),
            StepStatus::Blocked { .. } => {
                first_blocked.get_or_insert(step);
            }
            StepStatus::Done | StepStatus::Skipped { .. } => {}
        }
        index = after(runbook, i, state);
    }
    first_blocked
}
