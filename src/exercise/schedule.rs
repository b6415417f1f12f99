//! Inject scheduling: given the exercise, the journal's fold and the exercise
//! time now, which injects are due, in what order, and what comes next.
//!
//! An inject's due time is its `at` offset; or the delivery time of the inject
//! it follows plus the delay (predicted from that inject's own due time while
//! it is undelivered, so a clock that leaps at 60× releases a chain in order in
//! one tick); or the exercise time of the entry where the awaited step was done
//! or decision taken, plus the delay. Undelivered injects whose due time has
//! come are due now, ordered by due time and then by their order in the file,
//! so the same journal and time always give the same order.

use serde::Serialize;

use super::{Exercise, Happening, Trigger, ex_time};
use crate::response::{ResponseState, StepStatus};

/// An inject and when it falls due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Due {
    /// Index in [`Exercise::injects`].
    pub index: usize,
    /// Inject id.
    pub id: String,
    /// Exercise time it falls due (ms).
    pub at: u64,
}

/// Where an inject stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Planned {
    /// Delivered by this entry, at this exercise time.
    Delivered {
        /// The `inject_delivered` entry.
        seq: u64,
        /// Its exercise time.
        ex_t: u64,
    },
    /// Not delivered; falls due at this exercise time (maybe already passed).
    Due {
        /// Due time (ms).
        at: u64,
    },
    /// Waits for something that has not happened yet.
    Waiting,
}

/// Each inject's standing, in file order.
pub fn plan(exercise: &Exercise, state: &ResponseState) -> Vec<Planned> {
    let mut memo: Vec<Option<Option<u64>>> = vec![None; exercise.injects.len()];
    (0..exercise.injects.len())
        .map(|i| match delivered(exercise, state, i) {
            Some((seq, ex_t)) => Planned::Delivered { seq, ex_t },
            None => match due_time(exercise, state, i, &mut memo, 0) {
                Some(at) => Planned::Due { at },
                None => Planned::Waiting,
            },
        })
        .collect()
}

/// Undelivered injects due at or before `now`, in delivery order.
pub fn due(exercise: &Exercise, state: &ResponseState, now: u64) -> Vec<Due> {
    let mut out = pending(exercise, state);
    out.retain(|d| d.at <= now);
    out
}

/// The undelivered inject that falls due first after `now` (none when all
/// remaining ones wait for something to happen).
pub fn next(exercise: &Exercise, state: &ResponseState, now: u64) -> Option<Due> {
    pending(exercise, state).into_iter().find(|d| d.at > now)
}

/// Undelivered injects with a known due time, in delivery order.
fn pending(exercise: &Exercise, state: &ResponseState) -> Vec<Due> {
    let mut out: Vec<Due> = plan(exercise, state)
        .into_iter()
        .enumerate()
        .filter_map(|(index, p)| match p {
            Planned::Due { at } => Some(Due {
                index,
                id: exercise.injects[index].id.clone(),
                at,
            }),
            _ => None,
        })
        .collect();
    out.sort_by_key(|d| (d.at, d.index));
    out
}

/// The first delivery of inject `index`: (seq, exercise time).
pub fn delivered(exercise: &Exercise, state: &ResponseState, index: usize) -> Option<(u64, u64)> {
    let id = &exercise.injects.get(index)?.id;
    state
        .injects
        .iter()
        .find(|d| &d.inject == id)
        .map(|d| (d.stamp.seq, ex_time(&d.stamp, state)))
}

/// When inject `index` falls due, if that is known yet.
fn due_time(
    exercise: &Exercise,
    state: &ResponseState,
    index: usize,
    memo: &mut Vec<Option<Option<u64>>>,
    depth: usize,
) -> Option<u64> {
    if let Some(known) = memo[index] {
        return known;
    }
    // Lint refuses loops of `after`; a file that slipped past waits forever.
    if depth > exercise.injects.len() {
        return None;
    }
    let inject = &exercise.injects[index];
    let at = match &inject.trigger {
        Trigger::At { offset } => Some(offset.as_secs() * 1000),
        Trigger::After {
            inject: other,
            delay,
        } => {
            let other = exercise.injects.iter().position(|i| &i.id == other)?;
            let base = match delivered(exercise, state, other) {
                Some((_, ex_t)) => Some(ex_t),
                None => due_time(exercise, state, other, memo, depth + 1),
            };
            base.map(|b| b + delay.as_secs() * 1000)
        }
        Trigger::On { happening, delay } => {
            happened(state, happening).map(|t| t + delay.as_secs() * 1000)
        }
    };
    memo[index] = Some(at);
    at
}

/// Exercise time at which `happening` happened, if it has.
pub fn happened(state: &ResponseState, happening: &Happening) -> Option<u64> {
    let (runbook, step) = happening.step_ref();
    let s = state.step(runbook, step)?;
    match happening {
        Happening::StepDone { .. } => {
            (s.status == StepStatus::Done).then(|| ex_time(&s.changed, state))
        }
        Happening::Decision { option, .. } => {
            let d = s.decision.as_ref()?;
            option
                .as_ref()
                .is_none_or(|o| *o == d.option)
                .then(|| ex_time(&d.stamp, state))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercise::testkit::{Run, exercise};

    #[test]
    fn offsets_after_and_on_events_fall_due_in_order() {
        let ex = exercise();
        let mut run = Run::new();
        // At T+0 only the opening inject is due.
        assert_eq!(ids(&due(&ex, &run.state, 0)), ["open"]);
        // `call` follows `open` by 5 minutes (predicted before delivery).
        assert_eq!(next(&ex, &run.state, 0).map(|d| d.at), Some(300_000));
        run.deliver("open", 0);
        // At T+20m: `call` (5m after open) then `press` (at 15m); `dpo` waits
        // for the triage step.
        assert_eq!(ids(&due(&ex, &run.state, 1_200_000)), ["call", "press"]);
        assert_eq!(plan(&ex, &run.state)[3], Planned::Waiting);
        run.step_done("triage", 1_260_000);
        assert_eq!(plan(&ex, &run.state)[3], Planned::Due { at: 1_380_000 });
        assert_eq!(
            ids(&due(&ex, &run.state, 1_380_000)),
            ["call", "press", "dpo"]
        );
    }

    #[test]
    fn a_chain_released_late_keeps_its_order_and_delays() {
        let ex = exercise();
        let mut run = Run::new();
        run.deliver("open", 600_000);
        // `call` is due 5m after open's actual delivery, not after T+0.
        assert_eq!(next(&ex, &run.state, 600_000).map(|d| d.at), Some(900_000));
        run.deliver("call", 950_000);
        run.deliver("press", 960_000);
        assert!(due(&ex, &run.state, 10_000_000).is_empty());
        assert_eq!(next(&ex, &run.state, 10_000_000), None);
    }

    fn ids(due: &[Due]) -> Vec<&str> {
        due.iter().map(|d| d.id.as_str()).collect()
    }
}
