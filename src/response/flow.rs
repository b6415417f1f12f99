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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::testkit::{RB, Sim, flow};
    use crate::response::{Command, StepRef};

    fn current(sim: &Sim) -> Option<String> {
        current_step(&sim.state, &sim.runbooks[0]).map(|s| s.id.clone())
    }

    fn run(sim: &mut Sim, command: Command) {
        if let Err(e) = sim.run(&command) {
            panic!("{command:?}: {e}");
        }
    }

    fn done(sim: &mut Sim, step: &str) {
        run(sim, Command::Done(StepRef::new(RB, step)));
    }

    fn decide(sim: &mut Sim, option: usize) {
        run(
            sim,
            Command::Decide {
                step: StepRef::new(RB, "assess"),
                option,
                rationale: "because".to_owned(),
            },
        );
    }

    fn skip(sim: &mut Sim, step: &str) {
        run(
            sim,
            Command::Skip {
                step: StepRef::new(RB, step),
                reason: "not needed".to_owned(),
            },
        );
    }

    fn block(sim: &mut Sim, step: &str) {
        run(
            sim,
            Command::Block {
                step: StepRef::new(RB, step),
                reason: "waiting".to_owned(),
            },
        );
    }

    #[test]
    fn the_flow_starts_at_the_first_step_even_before_the_runbook_is_opened() {
        assert_eq!(current(&Sim::new()).as_deref(), Some("triage"));
        assert_eq!(current(&Sim::opened()).as_deref(), Some("triage"));
    }

    #[test]
    fn the_flow_follows_the_decision_taken() {
        let mut sim = Sim::opened();
        run(&mut sim, Command::Start(StepRef::new(RB, "triage")));
        assert_eq!(
            current(&sim).as_deref(),
            Some("triage"),
            "started is current"
        );
        done(&mut sim, "triage");
        assert_eq!(current(&sim).as_deref(), Some("assess"));
        decide(&mut sim, 0);
        assert_eq!(current(&sim).as_deref(), Some("notify"));
        skip(&mut sim, "notify");
        assert_eq!(current(&sim).as_deref(), Some("report"));
        done(&mut sim, "report");
        assert_eq!(current(&sim).as_deref(), Some("wrap"), "report's `next`");
        done(&mut sim, "wrap");
        assert_eq!(current(&sim), None);
    }

    #[test]
    fn a_decision_that_goes_to_the_end_ends_the_flow() {
        let mut sim = Sim::opened();
        done(&mut sim, "triage");
        decide(&mut sim, 1);
        assert_eq!(current(&sim), None);
    }

    #[test]
    fn a_skipped_decision_goes_on_in_file_order() {
        let mut sim = Sim::opened();
        done(&mut sim, "triage");
        skip(&mut sim, "assess");
        assert_eq!(current(&sim).as_deref(), Some("notify"));
    }

    #[test]
    fn steps_done_out_of_order_are_passed_over_later() {
        let mut sim = Sim::opened();
        done(&mut sim, "notify");
        assert_eq!(current(&sim).as_deref(), Some("triage"));
        done(&mut sim, "triage");
        decide(&mut sim, 0);
        assert_eq!(current(&sim).as_deref(), Some("report"));
    }

    #[test]
    fn blocked_steps_are_worked_around_until_nothing_else_is_left() {
        let mut sim = Sim::opened();
        done(&mut sim, "triage");
        decide(&mut sim, 0);
        block(&mut sim, "notify");
        assert_eq!(current(&sim).as_deref(), Some("report"));
        block(&mut sim, "report");
        assert_eq!(current(&sim).as_deref(), Some("wrap"));
        done(&mut sim, "wrap");
        assert_eq!(current(&sim).as_deref(), Some("notify"), "the first block");
        run(&mut sim, Command::Unblock(StepRef::new(RB, "notify")));
        assert_eq!(current(&sim).as_deref(), Some("notify"));
    }

    #[test]
    fn a_blocked_decision_goes_on_in_file_order() {
        let mut sim = Sim::opened();
        done(&mut sim, "triage");
        block(&mut sim, "assess");
        assert_eq!(current(&sim).as_deref(), Some("notify"));
    }

    #[test]
    fn a_goto_the_runbook_no_longer_has_goes_on_in_file_order() {
        let mut sim = Sim::opened();
        done(&mut sim, "triage");
        decide(&mut sim, 0);
        sim.runbooks[0].steps.retain(|s| s.id != "notify");
        assert_eq!(current(&sim).as_deref(), Some("report"));
    }

    #[test]
    fn a_runbook_edited_into_a_loop_still_ends() {
        let mut sim = Sim::opened();
        for step in ["triage", "notify", "report", "wrap"] {
            done(&mut sim, step);
        }
        decide(&mut sim, 0);
        let wrap = sim.runbooks[0].steps.len() - 1;
        sim.runbooks[0].steps[wrap].next = Some(Target::Step("triage".to_owned()));
        assert_eq!(current(&sim), None);
    }

    #[test]
    fn an_empty_runbook_has_no_current_step() {
        let mut rb = flow();
        rb.steps.clear();
        assert!(current_step(&Sim::opened().state, &rb).is_none());
    }
}
