//! The exercise clock: exercise time (T+, ms since T+0) from a time source,
//! running at 1× to 60×, paused and resumed, or moved by hand (manual mode).
//!
//! The clock reads "now" from a [`TimeSource`]: [`RealTime`] (a monotonic
//! clock, for the live screen) or [`SimulatedTime`] (moved by the caller, for
//! tests and scripted runs), so nothing here ever sleeps. Every change returns
//! the [`Event`] to journal (`exercise_clock`, with the exercise time), and
//! [`ClockStatus::of`] rebuilds the clock's state from a journal's fold, so
//! a resume or a replay knows whether play was paused and at what speed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::journal::{ClockChange, Event};
use crate::response::{PlayClock, ResponseState};

/// Where "now" comes from, in milliseconds from an arbitrary origin.
pub trait TimeSource {
    /// Milliseconds since the source's origin; never goes backwards.
    fn now_ms(&self) -> u64;
}

/// The machine's monotonic clock.
#[derive(Debug, Clone)]
pub struct RealTime {
    origin: Instant,
}

impl RealTime {
    /// A source whose origin is now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for RealTime {
    fn default() -> Self {
        Self::new()
    }
}

impl TimeSource for RealTime {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// A time source that moves only when told. Clones share the same time, so a
/// test keeps one handle and gives another to the clock.
#[derive(Debug, Clone, Default)]
pub struct SimulatedTime {
    ms: Arc<AtomicU64>,
}

impl SimulatedTime {
    /// A source at 0 ms.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves time forward by `ms`.
    pub fn advance(&self, ms: u64) {
        self.ms.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the time (never backwards: an earlier value is ignored).
    pub fn set(&self, ms: u64) {
        self.ms.fetch_max(ms, Ordering::SeqCst);
    }
}

impl TimeSource for SimulatedTime {
    fn now_ms(&self) -> u64 {
        self.ms.load(Ordering::SeqCst)
    }
}

/// How many exercise seconds pass per real second: 1 to 60.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Speed(u32);

impl Speed {
    /// Real time.
    pub const REAL_TIME: Speed = Speed(1);
    /// The fastest speed.
    pub const MAX: Speed = Speed(60);

    /// A speed of `factor`×, which must be 1 to 60.
    pub fn new(factor: u32) -> Result<Self, ClockError> {
        if (1..=60).contains(&factor) {
            Ok(Self(factor))
        } else {
            Err(ClockError::Speed(factor))
        }
    }

    /// The factor.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// A clock change that cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    /// Outside 1..=60.
    #[error("speed {0}x is out of range: choose 1 to 60")]
    Speed(u32),
    /// Pausing a paused clock, resuming a running one...
    #[error("the exercise clock is {0}")]
    State(&'static str),
    /// Moving time backwards.
    #[error("the exercise clock cannot go back (from T+{from} ms to T+{to} ms)")]
    Backwards {
        /// Exercise time now.
        from: u64,
        /// Requested.
        to: u64,
    },
}

/// The exercise clock.
#[derive(Debug, Clone)]
pub struct ExerciseClock<S> {
    source: S,
    /// Source time at the last change.
    anchor_real: u64,
    /// Exercise time at the last change.
    anchor_ex: u64,
    speed: Speed,
    paused: bool,
    manual: bool,
    ended: bool,
}

impl<S: TimeSource> ExerciseClock<S> {
    /// A clock at T+0 now, running at `speed` (or stopped, in manual mode).
    pub fn start(source: S, speed: Speed, manual: bool) -> Self {
        Self::at(source, 0, speed, manual, false)
    }

    /// A clock at exercise time `ex_t`, paused or not.
    pub fn at(source: S, ex_t: u64, speed: Speed, manual: bool, paused: bool) -> Self {
        Self {
            anchor_real: source.now_ms(),
            source,
            anchor_ex: ex_t,
            speed,
            paused,
            manual,
            ended: false,
        }
    }

    /// The clock the journal records (see [`PlayClock`]), read at wall
    /// time `now` and running on from there: a live screen shows exactly
    /// the time the session stamps entries with. A journal being resumed
    /// comes back paused where it left off (a crash or a break must not
    /// make exercise time jump).
    pub fn following(source: S, state: &ResponseState, now: DateTime<Utc>) -> Self {
        let play = PlayClock::of(state);
        let speed = Speed::new(play.speed).unwrap_or(Speed::REAL_TIME);
        let ex_t = play.at(now).unwrap_or(0);
        let mut clock = Self::at(source, ex_t, speed, play.manual, play.paused);
        clock.ended = play.ended;
        clock
    }

    /// Exercise time now, ms since T+0.
    pub fn now(&self) -> u64 {
        if self.paused || self.manual || self.ended {
            return self.anchor_ex;
        }
        let real = self.source.now_ms().saturating_sub(self.anchor_real);
        self.anchor_ex
            .saturating_add(real.saturating_mul(u64::from(self.speed.get())))
    }

    /// The speed.
    pub fn speed(&self) -> Speed {
        self.speed
    }

    /// True when paused.
    pub fn paused(&self) -> bool {
        self.paused
    }

    /// True in manual mode.
    pub fn manual(&self) -> bool {
        self.manual
    }

    /// True once play has ended.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Fixes the exercise time reached and restarts measuring from now.
    fn rebase(&mut self) {
        self.anchor_ex = self.now();
        self.anchor_real = self.source.now_ms();
    }

    fn event(&self, change: ClockChange) -> Event {
        Event::ExerciseClock {
            change,
            ex_t: self.anchor_ex,
            speed: self.speed.get(),
            manual: self.manual,
        }
    }

    fn live(&self) -> Result<(), ClockError> {
        if self.ended {
            Err(ClockError::State("ended"))
        } else {
            Ok(())
        }
    }

    /// Stops exercise time.
    pub fn pause(&mut self) -> Result<Event, ClockError> {
        self.live()?;
        if self.paused {
            return Err(ClockError::State("already paused"));
        }
        self.rebase();
        self.paused = true;
        Ok(self.event(ClockChange::Paused))
    }

    /// Starts exercise time again.
    pub fn resume(&mut self) -> Result<Event, ClockError> {
        self.live()?;
        if !self.paused {
            return Err(ClockError::State("not paused"));
        }
        self.rebase();
        self.paused = false;
        Ok(self.event(ClockChange::Resumed))
    }

    /// Changes the speed from now on.
    pub fn set_speed(&mut self, speed: Speed) -> Result<Event, ClockError> {
        self.live()?;
        self.rebase();
        self.speed = speed;
        Ok(self.event(ClockChange::Speed))
    }

    /// Switches manual mode on (time moves only by [`jump_to`](Self::jump_to))
    /// or off (time runs at the speed from now).
    pub fn set_manual(&mut self, manual: bool) -> Result<Event, ClockError> {
        self.live()?;
        self.rebase();
        self.manual = manual;
        Ok(self.event(ClockChange::Mode))
    }

    /// Moves exercise time forward to `ex_t` (the facilitator fires an inject
    /// before its time): never backwards.
    pub fn jump_to(&mut self, ex_t: u64) -> Result<Event, ClockError> {
        self.live()?;
        self.rebase();
        if ex_t < self.anchor_ex {
            return Err(ClockError::Backwards {
                from: self.anchor_ex,
                to: ex_t,
            });
        }
        self.anchor_ex = ex_t;
        Ok(self.event(ClockChange::Jumped))
    }

    /// Ends play: time stops for good.
    pub fn end(&mut self) -> Result<Event, ClockError> {
        self.live()?;
        self.rebase();
        self.ended = true;
        Ok(self.event(ClockChange::Ended))
    }
}

/// The event that starts an exercise at T+0.
pub fn started_event(exercise: &super::Exercise, text: &str, speed: Speed, manual: bool) -> Event {
    Event::ExerciseStarted {
        exercise: exercise.id.clone(),
        title: exercise.title.clone(),
        digest: super::digest(text),
        speed: speed.get(),
        manual,
    }
}

/// The clock as a journal's fold leaves it: for a resume, and for replay at
/// any seq.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClockStatus {
    /// An exercise has started.
    pub started: bool,
    /// The latest exercise time recorded.
    pub ex_t: u64,
    /// Speed.
    pub speed: Speed,
    /// Manual mode.
    pub manual: bool,
    /// Paused.
    pub paused: bool,
    /// Play ended.
    pub ended: bool,
}

impl ClockStatus {
    /// Reads the clock's state from the fold (the core's
    /// [`PlayClock`], with the speed as a [`Speed`]).
    pub fn of(state: &ResponseState) -> Self {
        let play = PlayClock::of(state);
        Self {
            started: play.started,
            ex_t: play.ex_t,
            speed: Speed::new(play.speed).unwrap_or(Speed::REAL_TIME),
            manual: play.manual,
            paused: play.paused,
            ended: play.ended,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(speed: u32) -> (SimulatedTime, ExerciseClock<SimulatedTime>) {
        let time = SimulatedTime::new();
        time.set(5_000);
        let clock = ExerciseClock::start(time.clone(), Speed::new(speed).unwrap(), false);
        (time, clock)
    }

    #[test]
    fn speed_multiplies_real_time() {
        let (time, real) = clock(1);
        assert_eq!(real.now(), 0);
        time.advance(1_500);
        assert_eq!(real.now(), 1_500);
        let (time, fast) = clock(60);
        time.advance(1_000);
        assert_eq!(fast.now(), 60_000);
    }

    #[test]
    fn speed_outside_one_to_sixty_is_refused() {
        assert_eq!(Speed::new(0), Err(ClockError::Speed(0)));
        assert_eq!(Speed::new(61), Err(ClockError::Speed(61)));
        assert_eq!(Speed::new(60).map(Speed::get), Ok(60));
    }

    #[test]
    fn changing_speed_keeps_the_time_reached() {
        let (time, mut clock) = clock(2);
        time.advance(10_000);
        let event = clock.set_speed(Speed::new(10).unwrap()).unwrap();
        assert_eq!(
            event,
            Event::ExerciseClock {
                change: ClockChange::Speed,
                ex_t: 20_000,
                speed: 10,
                manual: false
            }
        );
        time.advance(1_000);
        assert_eq!(clock.now(), 30_000);
    }

    #[test]
    fn pause_stops_time_and_resume_continues_from_there() {
        let (time, mut clock) = clock(1);
        time.advance(60_000);
        assert!(matches!(
            clock.pause(),
            Ok(Event::ExerciseClock { ex_t: 60_000, .. })
        ));
        time.advance(600_000);
        assert_eq!(clock.now(), 60_000);
        assert_eq!(clock.pause(), Err(ClockError::State("already paused")));
        clock.resume().unwrap();
        time.advance(1_000);
        assert_eq!(clock.now(), 61_000);
        assert_eq!(clock.resume(), Err(ClockError::State("not paused")));
    }

    #[test]
    fn manual_mode_moves_only_by_jumps_and_never_back() {
        let time = SimulatedTime::new();
        let mut clock = ExerciseClock::start(time.clone(), Speed::REAL_TIME, true);
        time.advance(3_600_000);
        assert_eq!(clock.now(), 0);
        clock.jump_to(600_000).unwrap();
        assert_eq!(clock.now(), 600_000);
        assert_eq!(
            clock.jump_to(1),
            Err(ClockError::Backwards {
                from: 600_000,
                to: 1
            })
        );
        clock.set_manual(false).unwrap();
        time.advance(2_000);
        assert_eq!(clock.now(), 602_000);
    }

    #[test]
    fn ended_clock_stands_still_and_refuses_changes() {
        let (time, mut clock) = clock(5);
        time.advance(1_000);
        clock.end().unwrap();
        time.advance(1_000);
        assert_eq!(clock.now(), 5_000);
        assert!(clock.ended());
        assert_eq!(clock.resume(), Err(ClockError::State("ended")));
    }
}
