//! Replay: the run (and exercise) screen driven by a recorded journal.
//!
//! Nothing is written. The position is a count of entries; the state on
//! screen is the fold of the entries up to it, taken from the core's
//! [`Seeker`] (checkpoints of the same fold), so a replay cannot show
//! anything the journal does not say. Playing moves a replay clock at a
//! chosen speed over each entry's moment: its exercise time (T+) in an
//! exercise, its wall-clock time since the first entry otherwise.

use std::time::Instant;

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::app::{Action, App, LogLine, Response, Screen, describe};
use super::dialog::{Dialog, PromptPurpose};
use crate::exercise::Exercise;
use crate::exercise::replay::Seeker;
use crate::journal::{Entry, Event};
use crate::response::ResponseState;
use crate::runbook::Duration;

/// The speeds `+` and `-` step through.
const SPEEDS: [u32; 9] = [1, 2, 5, 10, 30, 60, 120, 300, 600];

/// How often the fold is checkpointed: a seek folds at most this many
/// entries on top of a clone (see `docs/PERFORMANCE.md`).
const CHECKPOINT_EVERY: usize = 5_000;

/// A recorded journal being replayed.
pub struct Replay {
    seeker: Seeker,
    /// Each entry's moment (ms): exercise time, or time since the first
    /// entry; never decreasing.
    moments: Vec<u64>,
    /// Entries shown (the state is the fold of the first `pos`).
    pos: usize,
    /// The replay clock (ms, on the moments' scale).
    cursor_ms: u64,
    playing: bool,
    speed: u32,
    last_real: Option<Instant>,
    /// The exercise definition, when the journal is an exercise and the
    /// library has it (for "what comes next" in the feed).
    pub exercise: Option<Exercise>,
    /// The journal's name, as shown (printable).
    pub name: String,
}

impl Replay {
    /// A replay of `entries` (in journal order), at speed `speed`, paused
    /// on the first entry.
    pub fn new(entries: Vec<Entry>, speed: u32, exercise: Option<Exercise>, name: String) -> Self {
        let start = entries
            .iter()
            .find(|e| matches!(e.event, Some(Event::ExerciseStarted { .. })))
            .or(entries.first())
            .map(|e| e.at);
        let mut moments = Vec::with_capacity(entries.len());
        let mut last = 0;
        for e in &entries {
            let wall = start.map_or(0, |s| {
                u64::try_from((e.at - s).num_milliseconds()).unwrap_or(0)
            });
            last = e.ex_t.unwrap_or(wall).max(last);
            moments.push(last);
        }
        Self {
            seeker: Seeker::new(entries, CHECKPOINT_EVERY),
            moments,
            pos: 0,
            cursor_ms: 0,
            playing: false,
            speed: speed.clamp(1, SPEEDS[SPEEDS.len() - 1]),
            last_real: None,
            exercise,
            name,
        }
    }

    /// Entries in the journal.
    pub fn len(&self) -> usize {
        self.seeker.entries().len()
    }

    /// True when the journal has no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries shown.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The status bar's summary: where, how fast, playing or not.
    pub fn summary(&self) -> String {
        format!(
            "REPLAY {}  entry {}/{}  {} {}x",
            self.name,
            self.pos,
            self.len(),
            if self.playing { "playing" } else { "paused" },
            self.speed
        )
    }
}

impl App<'_> {
    /// Opens the run screen on a replay, showing its first entry.
    pub fn start_replay(&mut self, replay: Replay) {
        self.response = Some(Response {
            session: None,
            state: ResponseState::new(),
            log: Vec::new(),
            active: 0,
            selected: None,
            scroll: 0,
        });
        self.replay = Some(replay);
        self.screen = Screen::Run;
        // Open on the first runbook opened: before it there is nothing to
        // show but a header.
        let first = self.replay.as_ref().map_or(1, |r| {
            r.seeker
                .entries()
                .iter()
                .position(|e| matches!(e.event, Some(Event::RunbookOpened { .. })))
                .map_or(1, |i| i + 1)
        });
        show(self, first);
        self.info("replay: Space plays, Right/Left step, g goes to a T+, ? lists the keys");
    }
}

/// Shows the state after the first `pos` entries.
fn show(app: &mut App<'_>, pos: usize) {
    let Some(replay) = app.replay.as_mut() else {
        return;
    };
    let pos = pos.min(replay.len());
    replay.pos = pos;
    let Some(last) = pos
        .checked_sub(1)
        .and_then(|i| replay.seeker.entries().get(i))
    else {
        return;
    };
    let (seq, at) = (last.seq, last.at);
    replay.cursor_ms = replay.moments.get(pos - 1).copied().unwrap_or(0);
    let state = replay.seeker.seek(seq).clone();
    const KEEP: usize = 500;
    let from = pos.saturating_sub(KEEP);
    let log: Vec<LogLine> = replay.seeker.entries()[from..pos]
        .iter()
        .map(|e| LogLine {
            seq: e.seq,
            at: e.at,
            actor: e
                .actor
                .as_ref()
                .map(|a| crate::text::printable_line(&a.name).into_owned())
                .unwrap_or_default(),
            text: describe(e.event.as_ref(), &app.runbooks),
        })
        .collect();
    app.now = at;
    if let Some(response) = app.response.as_mut() {
        response.active = response.active.min(state.runbooks.len().saturating_sub(1));
        response.state = state;
        response.log = log;
    }
}

/// The replay clock moves on: called on every tick.
pub fn tick(app: &mut App<'_>) {
    let Some(replay) = app.replay.as_mut() else {
        return;
    };
    if !replay.playing {
        return;
    }
    let now = Instant::now();
    let real = replay.last_real.map_or(0, |t| {
        u64::try_from(now.duration_since(t).as_millis()).unwrap_or(0)
    });
    replay.last_real = Some(now);
    replay.cursor_ms = replay
        .cursor_ms
        .saturating_add(real.saturating_mul(u64::from(replay.speed)));
    let cursor = replay.cursor_ms;
    let upto = replay.moments.partition_point(|m| *m <= cursor);
    let at_end = upto >= replay.len();
    if upto > replay.pos {
        show(app, upto);
        if let Some(r) = app.replay.as_mut() {
            // `show` snaps the clock to the entry; keep the time played.
            r.cursor_ms = cursor;
        }
    }
    if at_end && let Some(r) = app.replay.as_mut() {
        r.playing = false;
        app.info("end of the journal: Home starts again");
    }
}

/// Goes to the last entry at or before a T+ typed as `01:30:00`, `90:00`
/// or `1h30m`.
pub fn seek_to_text(app: &mut App<'_>, text: &str) -> Result<(), String> {
    let ms = parse_moment(text.trim())?;
    let Some(replay) = app.replay.as_mut() else {
        return Err("no replay is open".to_owned());
    };
    let upto = replay.moments.partition_point(|m| *m <= ms).max(1);
    show(app, upto);
    if let Some(r) = app.replay.as_mut() {
        r.cursor_ms = ms;
    }
    Ok(())
}

/// Milliseconds from `hh:mm:ss`, `mm:ss` or a duration such as `1h30m`.
fn parse_moment(text: &str) -> Result<u64, String> {
    let expected = "a time such as 01:30:00, 45:00 or 1h30m";
    if !text.contains(':') {
        return Duration::parse(text)
            .map(|d| d.as_secs() * 1000)
            .map_err(|_| format!("expected {expected}"));
    }
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() > 3 {
        return Err(format!("expected {expected}"));
    }
    let mut secs: u64 = 0;
    for (i, part) in parts.iter().enumerate() {
        let n: u64 = part
            .parse()
            .map_err(|_| format!("`{part}` is not a number: expected {expected}"))?;
        if i > 0 && n >= 60 {
            return Err(format!("`{part}` is 60 or more: expected {expected}"));
        }
        secs = secs.saturating_mul(60).saturating_add(n);
    }
    Ok(secs.saturating_mul(1000))
}

/// Keys in a replay: moving in time, plus the run screen's keys for
/// looking about (never those that write).
pub fn replay_key(app: &mut App<'_>, key: KeyEvent) -> Action {
    let Some(replay) = app.replay.as_mut() else {
        return Action::Continue;
    };
    let pos = replay.pos;
    match key.code {
        KeyCode::Char('q') => return Action::Quit,
        KeyCode::Char(' ') => {
            if replay.pos >= replay.len() {
                app.info("at the end: Home starts again");
            } else {
                replay.playing = !replay.playing;
                replay.last_real = Some(Instant::now());
            }
        }
        KeyCode::Char(c @ ('+' | '=' | '-')) => {
            replay.speed = super::exercise::step_speed(&SPEEDS, replay.speed, c);
        }
        KeyCode::Right | KeyCode::Char('l') => show(app, pos + 1),
        KeyCode::Left | KeyCode::Char('h') => show(app, pos.saturating_sub(1).max(1)),
        KeyCode::Home => show(app, 1),
        KeyCode::End => {
            let end = replay.len();
            show(app, end);
        }
        KeyCode::Char('g') => app.dialogs.push(Dialog::prompt(
            PromptPurpose::Seek,
            "Go to T+ (01:30:00, 45:00 or 1h30m)",
        )),
        KeyCode::Char('?') => app.dialogs.push(Dialog::Help),
        KeyCode::Up
        | KeyCode::Down
        | KeyCode::Char('j' | 'k')
        | KeyCode::Tab
        | KeyCode::BackTab
        | KeyCode::PageUp
        | KeyCode::PageDown
        | KeyCode::Esc => return super::app::run_key(app, key),
        _ => app.info("a replay is read-only: ? lists its keys"),
    }
    Action::Continue
}

#[cfg(test)]
mod tests {
    use super::parse_moment;

    #[test]
    fn moments_parse_as_clock_times_or_durations() {
        assert_eq!(parse_moment("01:30:00"), Ok(5_400_000));
        assert_eq!(parse_moment("45:00"), Ok(2_700_000));
        assert_eq!(parse_moment("1h30m"), Ok(5_400_000));
        assert!(parse_moment("90").is_err(), "a bare number has no unit");
        assert!(parse_moment("1:60").is_err());
        assert!(parse_moment("a:b").is_err());
        assert!(parse_moment("1:2:3:4").is_err());
        assert!(parse_moment("").is_err());
    }
}
