//! The exercise clock as the journal records it: where play stands (started,
//! paused, manual, ended) and the exercise time at any wall-clock moment.
//!
//! A second terminal (`grabbag act`, `grabbag note`) has no live clock of its
//! own: during a 60x exercise its entries must carry the exercise time of the
//! clock the facilitator runs, not 1x time since the start, or the timeline
//! and the scoring put them out of order. That clock is fully in the journal
//! (`exercise_started`, then each `exercise_clock` change with the exercise
//! time and wall time it happened at), so every writer reads the same time
//! from the same entries. Pure: `now` is a parameter.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::state::ResponseState;
use crate::journal::ClockChange;

/// The exercise clock as the fold of a journal leaves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PlayClock {
    /// An exercise has started.
    pub started: bool,
    /// The latest exercise time recorded (ms since T+0).
    pub ex_t: u64,
    /// Speed (1 to 60), as last recorded.
    pub speed: u32,
    /// Manual mode: time moves only when the facilitator moves it.
    pub manual: bool,
    /// Paused.
    pub paused: bool,
    /// Play ended (ENDEX): final.
    pub ended: bool,
    /// Play suspended for a real incident (NO DUTY) until resumed.
    pub no_duty: bool,
    /// Exercise time at the last start or change of the clock.
    anchor_ex: u64,
    /// Wall time of the entry that made that start or change.
    anchor_at: Option<DateTime<Utc>>,
}

impl PlayClock {
    /// Reads the clock from the fold.
    pub fn of(state: &ResponseState) -> Self {
        let start = state.exercise_start.as_ref();
        let mut clock = Self {
            started: start.is_some(),
            ex_t: state.ex_t.unwrap_or(0),
            speed: start.map_or(1, |s| s.speed),
            manual: start.is_some_and(|s| s.manual),
            paused: false,
            ended: false,
            no_duty: false,
            anchor_ex: start.and_then(|s| s.stamp.ex_t).unwrap_or(0),
            anchor_at: start.map(|s| s.stamp.at),
        };
        let mut last_seq = start.map_or(0, |s| s.stamp.seq);
        for change in &state.exercise_clock {
            last_seq = change.stamp.seq;
            clock.speed = change.speed;
            clock.manual = change.manual;
            clock.ex_t = clock.ex_t.max(change.ex_t);
            clock.anchor_ex = change.ex_t;
            clock.anchor_at = Some(change.stamp.at);
            match change.change {
                ClockChange::Paused => clock.paused = true,
                ClockChange::NoDuty => {
                    clock.paused = true;
                    clock.no_duty = true;
                }
                ClockChange::Resumed => {
                    clock.paused = false;
                    clock.no_duty = false;
                }
                ClockChange::Ended => clock.ended = true,
                ClockChange::Speed | ClockChange::Mode | ClockChange::Jumped => {}
            }
        }
        // A writer session started since the clock last changed is a resume
        // (after a crash, a kill or a break): the clock stands where the
        // journal left it until the facilitator starts it again, so a gap
        // never counts as exercise time, for this writer or any other.
        if let Some(resumed) = &state.sessions.current
            && clock.started
            && !clock.ended
            && resumed.seq > last_seq
        {
            clock.paused = true;
            clock.anchor_ex = clock.ex_t;
            clock.anchor_at = Some(resumed.at);
        }
        clock
    }

    /// True while exercise time moves by itself.
    pub fn running(&self) -> bool {
        self.started && !(self.paused || self.manual || self.ended)
    }

    /// The exercise time at wall time `now`: `None` outside an exercise.
    /// While the clock runs, the time at its last change plus the wall time
    /// since, at its speed; never earlier than an entry already recorded.
    pub fn at(&self, now: DateTime<Utc>) -> Option<u64> {
        if !self.started {
            return None;
        }
        let moved = match self.anchor_at {
            Some(since) if self.running() => {
                let ms = u64::try_from((now - since).num_milliseconds()).unwrap_or(0);
                self.anchor_ex
                    .saturating_add(ms.saturating_mul(u64::from(self.speed)))
            }
            _ => 0,
        };
        Some(self.ex_t.max(moved))
    }
}

/// The time deadlines are judged at: the wall time, or in an exercise the
/// exercise's start plus the exercise time, so that regulatory clocks run on
/// exercise time: a jump to T+1 day brings every deadline a day nearer, and
/// a 90-minute exercise played at speed can reach the ICO's 72 hours.
pub fn deadline_now(state: &ResponseState, now: DateTime<Utc>) -> DateTime<Utc> {
    let Some(start) = &state.exercise_start else {
        return now;
    };
    let ex_t = PlayClock::of(state).at(now).unwrap_or(0);
    i64::try_from(ex_t)
        .ok()
        .and_then(chrono::TimeDelta::try_milliseconds)
        .and_then(|d| start.stamp.at.checked_add_signed(d))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::journal::{Actor, Entry, Event};

    fn entry(seq: u64, at: DateTime<Utc>, ex_t: Option<u64>, event: Event) -> Entry {
        Entry {
            seq,
            session: 1,
            at,
            offset: "+00:00".to_owned(),
            mono_ms: 0,
            ex_t,
            actor: Some(Actor {
                name: "Fran".to_owned(),
                role: "Facilitator".to_owned(),
            }),
            event: Some(event),
            hash: String::new(),
            byte_offset: 0,
        }
    }

    /// A writer session started again on the journal.
    fn resumed() -> Event {
        Event::SessionStarted {
            library: None,
            grabbag: String::new(),
            host: String::new(),
            incident: None,
            exercise: None,
            plaintext: true,
            resumed: true,
        }
    }

    fn clock_change(change: ClockChange, ex_t: u64, speed: u32, manual: bool) -> Event {
        Event::ExerciseClock {
            change,
            ex_t,
            speed,
            manual,
        }
    }

    #[test]
    fn time_runs_at_the_recorded_speed_from_the_last_change_and_stops_when_paused() {
        let t0 = DateTime::parse_from_rfc3339("2026-12-04T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut state = ResponseState::new();
        assert_eq!(PlayClock::of(&state).at(t0), None);
        state.apply(&entry(
            1,
            t0,
            Some(0),
            Event::ExerciseStarted {
                exercise: "x".to_owned(),
                title: "X".to_owned(),
                digest: String::new(),
                speed: 60,
                manual: false,
            },
        ));
        // One real second at 60x is a minute of exercise time.
        let clock = PlayClock::of(&state);
        assert_eq!(clock.at(t0 + TimeDelta::seconds(1)), Some(60_000));
        // Slowed to 2x at T+10:00 (ten real seconds in).
        let t1 = t0 + TimeDelta::seconds(10);
        state.apply(&entry(
            2,
            t1,
            Some(600_000),
            clock_change(ClockChange::Speed, 600_000, 2, false),
        ));
        let clock = PlayClock::of(&state);
        assert_eq!(clock.at(t1 + TimeDelta::seconds(5)), Some(610_000));
        // Paused: time stands still however long the break.
        let t2 = t1 + TimeDelta::seconds(5);
        state.apply(&entry(
            3,
            t2,
            Some(610_000),
            clock_change(ClockChange::Paused, 610_000, 2, false),
        ));
        let clock = PlayClock::of(&state);
        assert!(clock.paused && !clock.running());
        assert_eq!(clock.at(t2 + TimeDelta::hours(1)), Some(610_000));
        // A wall clock set back never takes exercise time backwards.
        state.apply(&entry(
            4,
            t2,
            Some(610_000),
            clock_change(ClockChange::Resumed, 610_000, 2, false),
        ));
        assert_eq!(
            PlayClock::of(&state).at(t2 - TimeDelta::hours(1)),
            Some(610_000)
        );
        // A resumed writer session stops the clock where the journal left
        // it: the hour the laptop was off is not exercise time.
        let t3 = t2 + TimeDelta::hours(1);
        state.apply(&entry(5, t3, None, resumed()));
        let clock = PlayClock::of(&state);
        assert!(clock.paused);
        assert_eq!(clock.at(t3 + TimeDelta::minutes(5)), Some(610_000));
        // ENDEX is final: a resume after it does not reopen play.
        state.apply(&entry(
            6,
            t3,
            Some(610_000),
            clock_change(ClockChange::Ended, 610_000, 2, false),
        ));
        state.apply(&entry(7, t3 + TimeDelta::hours(1), None, resumed()));
        let clock = PlayClock::of(&state);
        assert!(clock.ended && !clock.running());
    }
}
