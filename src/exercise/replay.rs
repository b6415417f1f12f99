//! Seeking in a recorded journal: the state at any seq, fast.
//!
//! Replay shows a run as it stood at any moment: which injects were
//! delivered, how expectations scored, whether the clock was paused. All of
//! that is the fold of the entries up to that seq ([`ResponseState`]), read by
//! [`super::schedule`], [`super::score()`] and [`super::ClockStatus`]. Folding
//! from the start on every seek is too slow for a long journal, so
//! [`Seeker`] keeps the fold at every `every`-th entry and folds only the
//! rest: the same fold, started from a checkpoint.
//!
//! A checkpoint is a whole state (every note and stamp so far), so their
//! number is capped at [`MAX_CHECKPOINTS`]: with one every 5,000 entries a
//! 300,000-entry journal held 60 states, memory growing with the square of
//! the journal (2.1 GB, issue 24). On a long journal they are spread wider
//! instead; a seek then folds at most a quarter of the journal past one.

use crate::journal::Entry;
use crate::response::ResponseState;

/// The most checkpoints a [`Seeker`] keeps: memory stays a few states,
/// whatever the journal's length.
pub const MAX_CHECKPOINTS: usize = 4;

/// A journal's entries with checkpoints of their fold, and a current
/// position for playing forward.
pub struct Seeker {
    entries: Vec<Entry>,
    every: usize,
    /// `checkpoints[i]` is the fold of `entries[..(i + 1) * every]`.
    checkpoints: Vec<ResponseState>,
    /// The fold of every entry, while more may come ([`Seeker::extend`]).
    tip: Option<ResponseState>,
    /// The fold of `entries[..pos]`.
    current: ResponseState,
    pos: usize,
}

impl Seeker {
    /// Folds `entries` (in journal order) once, keeping a checkpoint every
    /// `every` entries (at least 1; wider when that would make more than
    /// [`MAX_CHECKPOINTS`]). The position starts before the first.
    pub fn new(entries: Vec<Entry>, every: usize) -> Self {
        let every = every.max(1).max(entries.len().div_ceil(MAX_CHECKPOINTS));
        let mut seeker = Self {
            entries: Vec::with_capacity(entries.len()),
            every,
            checkpoints: Vec::new(),
            tip: None,
            current: ResponseState::new(),
            pos: 0,
        };
        seeker.extend(entries);
        seeker.complete();
        seeker
    }

    /// Adds entries that follow the others (a journal read in steps),
    /// folded on from the last and checkpointed as [`Seeker::new`] does; when
    /// that would keep more than [`MAX_CHECKPOINTS`], every other one goes and
    /// the spacing doubles. Seeks give the same states either way.
    pub fn extend(&mut self, entries: Vec<Entry>) {
        if entries.is_empty() {
            return;
        }
        let mut tip = match self.tip.take() {
            Some(tip) => tip,
            None => self.at(u64::MAX),
        };
        for entry in entries {
            tip.apply(&entry);
            self.entries.push(entry);
            if self.entries.len().is_multiple_of(self.every) {
                self.checkpoints.push(tip.clone());
                if self.checkpoints.len() > MAX_CHECKPOINTS {
                    // Those at multiples of twice the spacing stay.
                    let mut odd = true;
                    self.checkpoints.retain(|_| {
                        odd = !odd;
                        odd
                    });
                    self.every *= 2;
                }
            }
        }
        self.tip = Some(tip);
    }

    /// Makes room for `more` entries to come through [`Seeker::extend`].
    pub fn reserve(&mut self, more: usize) {
        self.entries.reserve_exact(more);
    }

    /// No more entries will come: the fold of all of them, kept for
    /// [`Seeker::extend`], goes.
    pub fn complete(&mut self) {
        self.tip = None;
    }

    /// The entries.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Moves the position to just after the last entry with a seq up to `seq`
    /// and returns the state there. Playing forward a little applies only
    /// the entries passed; going back (or far ahead) starts from a checkpoint.
    pub fn seek(&mut self, seq: u64) -> &ResponseState {
        let upto = self.entries.partition_point(|e| e.seq <= seq);
        if upto < self.pos || upto - self.pos > self.every {
            self.current = self.at(seq);
        } else {
            for entry in &self.entries[self.pos..upto] {
                self.current.apply(entry);
            }
        }
        self.pos = upto;
        &self.current
    }

    /// The state after every entry with a seq up to `seq` (none: the empty
    /// state; past the end: the whole journal).
    pub fn at(&self, seq: u64) -> ResponseState {
        let upto = self.entries.partition_point(|e| e.seq <= seq);
        let full = upto / self.every;
        let (mut state, from) = match full.checked_sub(1) {
            Some(i) => match self.checkpoints.get(i) {
                Some(s) => (s.clone(), full * self.every),
                None => (ResponseState::new(), 0),
            },
            None => (ResponseState::new(), 0),
        };
        for entry in &self.entries[from..upto] {
            state.apply(entry);
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercise::testkit::{Run, exercise};
    use crate::exercise::{ClockStatus, schedule, score};
    use crate::journal::{ClockChange, Event};

    #[test]
    fn any_seq_gives_the_same_state_as_folding_from_the_start() {
        let mut run = Run::new();
        run.deliver("open", 0);
        run.step_done("triage", 60_000);
        run.push(
            "Facilitator",
            90_000,
            Event::ExerciseClock {
                change: ClockChange::Paused,
                ex_t: 90_000,
                speed: 1,
                manual: false,
            },
        );
        run.deliver("call", 300_000);
        run.note("Comms", "holding statement out", 400_000);
        let mut seeker = Seeker::new(run.entries.clone(), 3);
        let last = run.entries.len() as u64 + 1;
        // Forward, then backward, then jumping about.
        let order = (0..=last).chain((0..=last).rev()).chain([7, 1, 8, 2, 0, 9]);
        for seq in order {
            let direct = ResponseState::fold(run.entries.iter().filter(|e| e.seq <= seq));
            assert_eq!(seeker.at(seq), direct, "at seq {seq}");
            assert_eq!(seeker.seek(seq), &direct, "seek to seq {seq}");
        }
        // At seq 6 the clock is paused, one inject is out and triage is met.
        let state = seeker.at(6);
        assert!(ClockStatus::of(&state).paused);
        let ex = exercise();
        let plan = schedule::plan(&ex, &state);
        assert!(matches!(
            plan[0],
            schedule::Planned::Delivered { seq: 4, .. }
        ));
        let card = score(&ex, &state);
        assert_eq!(
            card.expectation("open", "triaged").map(|e| e.outcome),
            Some(crate::exercise::Outcome::Met)
        );
    }

    #[test]
    fn a_journal_added_in_parts_seeks_the_same_as_one_given_whole() {
        let mut run = Run::new();
        run.deliver("open", 0);
        for i in 0..600u64 {
            run.note("Comms", &format!("update {i}"), 1_000 + i * 1_000);
        }
        run.step_done("triage", 700_000);
        let mut rng = crate::testrng::Rng(7);
        let mut seeker = Seeker::new(Vec::new(), 3);
        let mut rest = run.entries.clone();
        while !rest.is_empty() {
            let part = rest.drain(..(1 + rng.below(90)).min(rest.len())).collect();
            seeker.extend(part);
            assert!(seeker.checkpoints.len() <= MAX_CHECKPOINTS);
            // Seeking between parts sees what has arrived.
            let upto = seeker.entries().len() as u64;
            let direct = ResponseState::fold(run.entries.iter().filter(|e| e.seq <= upto));
            assert_eq!(seeker.at(u64::MAX), direct, "after {upto} entries");
        }
        seeker.complete();
        let whole = Seeker::new(run.entries.clone(), 3);
        for seq in [0, 1, 2, 3, 150, 299, 300, 301, 450, 601, 602, 603, 9_999, 5] {
            let direct = ResponseState::fold(run.entries.iter().filter(|e| e.seq <= seq));
            assert_eq!(seeker.at(seq), direct, "at seq {seq}");
            assert_eq!(seeker.seek(seq), &direct, "seek to seq {seq}");
            assert_eq!(whole.at(seq), direct, "whole, at seq {seq}");
        }
    }

    #[test]
    fn a_long_journal_keeps_a_few_checkpoints_and_seeks_the_same() {
        let mut run = Run::new();
        run.deliver("open", 0);
        for i in 0..1_000u64 {
            run.note("Comms", &format!("update {i}"), 1_000 + i * 1_000);
        }
        let mut seeker = Seeker::new(run.entries.clone(), 3);
        // Not one state per 3 entries (333 of them): a few, whatever the length.
        assert!(
            seeker.checkpoints.len() <= MAX_CHECKPOINTS,
            "{}",
            seeker.checkpoints.len()
        );
        for seq in [0, 1, 2, 250, 251, 500, 777, 999, 1_001, 1_002, 5_000, 3] {
            let direct = ResponseState::fold(run.entries.iter().filter(|e| e.seq <= seq));
            assert_eq!(seeker.at(seq), direct, "at seq {seq}");
            assert_eq!(seeker.seek(seq), &direct, "seek to seq {seq}");
        }
    }
}
