//! Replay: the run (and exercise) screen driven by a recorded journal.
//!
//! Nothing is written. The position is a count of entries; the state on
//! screen is the fold of the entries up to it, taken from the core's
//! [`Seeker`] (checkpoints of the same fold), so a replay cannot show
//! anything the journal does not say. Playing moves a replay clock at a
//! chosen speed over each entry's moment: its exercise time (T+) in an
//! exercise, its wall-clock time since the first entry otherwise.

use std::time::Instant;

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::dialog::{Dialog, PromptPurpose};
use super::exercise::step_speed;
use super::keys::{Action, Binding, GLOBAL, Key, Table, ch};
use super::run;
use super::shared::{LogLine, Shared, describe};
use crate::exercise::Exercise;
use crate::exercise::replay::Seeker;
use crate::journal::{Entry, Event, Reading, STEP_BYTES};
use crate::runbook::Duration;

/// The speeds `+` and `-` step through.
const SPEEDS: [u32; 9] = [1, 2, 5, 10, 30, 60, 120, 300, 600];

/// How often the fold is checkpointed: a seek folds at most this many
/// entries on top of a clone, or, on a journal long enough to need more than
/// `MAX_CHECKPOINTS` of them, a quarter of it (see `docs/PERFORMANCE.md`).
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
    /// The rest of the journal, while it is still being read
    /// ([`Replay::read_step`]).
    reading: Option<Reading>,
    /// Where moments count from: the exercise's start, else the first entry
    /// (`false`: an exercise start may still come in the rest).
    start: Option<(DateTime<Utc>, bool)>,
}

impl Replay {
    /// A replay of `entries` (in journal order), at speed `speed`, paused
    /// on the first entry.
    pub fn new(entries: Vec<Entry>, speed: u32, exercise: Option<Exercise>, name: String) -> Self {
        let mut replay = Self {
            seeker: Seeker::new(Vec::new(), CHECKPOINT_EVERY),
            moments: Vec::new(),
            pos: 0,
            cursor_ms: 0,
            playing: false,
            speed: speed.clamp(1, SPEEDS[SPEEDS.len() - 1]),
            last_real: None,
            exercise,
            name,
            reading: None,
            start: None,
        };
        replay.add(entries);
        replay.seeker.complete();
        replay
    }

    /// A replay that opens on `entries`, the first part of a journal, and
    /// takes in the rest from `reading` a step at a time
    /// ([`Replay::read_step`]), so the first screen of a long journal does
    /// not wait for all of it.
    pub fn reading(mut self, reading: Reading) -> Self {
        if !reading.done() {
            let more = reading
                .estimated_entries(self.len())
                .saturating_sub(self.len());
            self.seeker.reserve(more);
            self.moments.reserve_exact(more);
            self.reading = Some(reading);
        }
        self
    }

    /// Takes in entries that follow the others: their moments, and the
    /// seeker's fold.
    fn add(&mut self, entries: Vec<Entry>) {
        let exercise_start = entries
            .iter()
            .find(|e| matches!(e.event, Some(Event::ExerciseStarted { .. })));
        match (self.start, exercise_start) {
            // Moments count from the exercise's start: those already taken
            // counted from the first entry.
            (Some((_, false)) | None, Some(e)) => {
                self.start = Some((e.at, true));
                let all: Vec<u64> = self
                    .seeker
                    .entries()
                    .iter()
                    .map(|e| self.moment(e))
                    .collect();
                self.moments.clear();
                self.push_moments(all);
            }
            (None, None) => self.start = entries.first().map(|e| (e.at, false)),
            _ => {}
        }
        let new: Vec<u64> = entries.iter().map(|e| self.moment(e)).collect();
        self.push_moments(new);
        self.seeker.extend(entries);
    }

    /// An entry's moment, before it is made never to decrease.
    fn moment(&self, e: &Entry) -> u64 {
        let wall = self.start.map_or(0, |(s, _)| {
            u64::try_from((e.at - s).num_milliseconds()).unwrap_or(0)
        });
        e.ex_t.unwrap_or(wall)
    }

    fn push_moments(&mut self, moments: Vec<u64>) {
        let mut last = self.moments.last().copied().unwrap_or(0);
        for m in moments {
            last = last.max(m);
            self.moments.push(last);
        }
    }

    /// Reads the next part of a journal still being read (keys from
    /// `app`), and shows it when the replay stands at the end of what had
    /// arrived. Returns whether anything was read; an error (a broken chain,
    /// entries the keys cannot open) ends the replay, as it would have before
    /// the first screen.
    pub fn read_step(&mut self, app: &mut Shared<'_>) -> anyhow::Result<bool> {
        let Some(reading) = self.reading.as_mut() else {
            return Ok(false);
        };
        let entries = reading.step(app.identities, STEP_BYTES)?;
        // The first part opened with the journal key, so this is an entry
        // sealed in a journal that has none.
        if let Some(e) = entries.iter().find(|e| e.event.is_none()) {
            anyhow::bail!("seq {} could not be decrypted: replay stopped", e.seq);
        }
        if reading.done() {
            self.reading = None;
        }
        self.add(entries);
        if self.reading.is_none() {
            self.seeker.complete();
        }
        Ok(true)
    }

    /// The share of the journal read, while it is still being read.
    pub fn reading_percent(&self) -> Option<u8> {
        self.reading.as_ref().map(Reading::percent)
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
        let reading = self
            .reading_percent()
            .map(|p| format!(" (reading {p}%)"))
            .unwrap_or_default();
        format!(
            "REPLAY {}  entry {}/{}{reading}  {} {}x",
            self.name,
            self.pos,
            self.len(),
            if self.playing { "playing" } else { "paused" },
            self.speed
        )
    }
}

impl Replay {
    /// The entry the replay opens on: the first runbook opened, since
    /// before it there is nothing to show but a header.
    pub fn opening(&self) -> usize {
        self.seeker
            .entries()
            .iter()
            .position(|e| matches!(e.event, Some(Event::RunbookOpened { .. })))
            .map_or(1, |i| i + 1)
    }

    /// Shows the state after the first `pos` entries.
    pub fn show(&mut self, app: &mut Shared<'_>, pos: usize) {
        let pos = pos.min(self.len());
        self.pos = pos;
        let Some(last) = pos
            .checked_sub(1)
            .and_then(|i| self.seeker.entries().get(i))
        else {
            return;
        };
        let (seq, at) = (last.seq, last.at);
        self.cursor_ms = self.moments.get(pos - 1).copied().unwrap_or(0);
        let state = self.seeker.seek(seq).clone();
        const KEEP: usize = 500;
        let from = pos.saturating_sub(KEEP);
        let log: Vec<LogLine> = self.seeker.entries()[from..pos]
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
    pub fn tick(&mut self, app: &mut Shared<'_>) {
        if !self.playing {
            return;
        }
        let now = Instant::now();
        let real = self.last_real.map_or(0, |t| {
            u64::try_from(now.duration_since(t).as_millis()).unwrap_or(0)
        });
        self.last_real = Some(now);
        self.cursor_ms = self
            .cursor_ms
            .saturating_add(real.saturating_mul(u64::from(self.speed)));
        let cursor = self.cursor_ms;
        let upto = self.moments.partition_point(|m| *m <= cursor);
        let at_end = upto >= self.len();
        if upto > self.pos {
            self.show(app, upto);
            // `show` snaps the clock to the entry; keep the time played.
            self.cursor_ms = cursor;
        }
        // Past what has been read so far, play waits for the rest.
        if at_end && self.reading.is_none() {
            self.playing = false;
            app.info("end of the journal: Home starts again");
        }
    }

    /// Goes to the last entry at or before a T+ typed as `01:30:00`, `90:00`
    /// or `1h30m`.
    pub fn seek_to_text(&mut self, app: &mut Shared<'_>, text: &str) -> Result<(), String> {
        let ms = parse_moment(text.trim())?;
        let upto = self.moments.partition_point(|m| *m <= ms).max(1);
        self.show(app, upto);
        self.cursor_ms = ms;
        Ok(())
    }

    /// Handles a key; `None` when it is not one of [`KEYS`].
    pub fn handle_key(&mut self, app: &mut Shared<'_>, key: KeyEvent) -> Option<Action> {
        let command = KEYS.command(&key)?;
        let pos = self.pos;
        match command {
            Do::Quit => return Some(Action::Quit),
            Do::Play => {
                if self.pos >= self.len() && self.reading.is_none() {
                    app.info("at the end: Home starts again");
                } else {
                    self.playing = !self.playing;
                    self.last_real = Some(Instant::now());
                }
            }
            Do::Speed => {
                if let KeyCode::Char(c) = key.code {
                    self.speed = step_speed(&SPEEDS, self.speed, c);
                }
            }
            Do::Forward => self.show(app, pos + 1),
            Do::Back => self.show(app, pos.saturating_sub(1).max(1)),
            Do::Start => self.show(app, 1),
            Do::End => {
                let end = self.len();
                self.show(app, end);
            }
            Do::Seek => app.dialogs.push(Dialog::prompt(
                PromptPurpose::Seek,
                "Go to T+ (01:30:00, 45:00 or 1h30m)",
            )),
            Do::Help => app
                .dialogs
                .push(Dialog::help([KEYS.help(), GLOBAL.help()].concat())),
            Do::Look(look) => run::look(app, look, key),
        }
        Some(Action::Continue)
    }
}

/// What a key does in a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Do {
    /// Leave.
    Quit,
    /// Play or pause.
    Play,
    /// Faster (`+`, `=`) or slower (`-`).
    Speed,
    /// One entry forward.
    Forward,
    /// One entry back.
    Back,
    /// The first entry.
    Start,
    /// The last entry.
    End,
    /// Go to a T+.
    Seek,
    /// The keys.
    Help,
    /// A run screen key that only looks about.
    Look(run::Do),
}

/// A replay's keys: moving in time, plus the run screen's keys that only
/// look about (never those that write).
pub const KEYS: Table<Do> = Table {
    title: "Replay (read-only: nothing is written)",
    bindings: &[
        Binding {
            keys: &[ch(' ')],
            label: "Space",
            hint: Some(("Spc", "play/pause")),
            help: "play or pause",
            command: Do::Play,
        },
        Binding {
            keys: &[ch('+'), ch('='), ch('-')],
            label: "+ / -",
            hint: Some(("+/-", "speed")),
            help: "faster or slower (1x to 600x)",
            command: Do::Speed,
        },
        Binding {
            keys: &[Key::Is(KeyCode::Right), ch('l')],
            label: "Right / l",
            hint: Some(("Left/Right", "step")),
            help: "step one entry forward",
            command: Do::Forward,
        },
        Binding {
            keys: &[Key::Is(KeyCode::Left), ch('h')],
            label: "Left / h",
            hint: None,
            help: "step one entry back",
            command: Do::Back,
        },
        Binding {
            keys: &[ch('g')],
            label: "g",
            hint: Some(("g", "go to T+")),
            help: "go to a time: T+ as 1h30m or 01:30:00",
            command: Do::Seek,
        },
        Binding {
            keys: &[Key::Is(KeyCode::Tab), Key::Is(KeyCode::BackTab)],
            label: "Tab / S-Tab",
            hint: Some(("Tab", "switch")),
            help: "switch to the next / the previous runbook",
            command: Do::Look(run::Do::Switch),
        },
        Binding {
            keys: &[ch('q')],
            label: "q",
            hint: Some(("q", "quit")),
            help: "quit",
            command: Do::Quit,
        },
        Binding {
            keys: &[ch('?')],
            label: "?",
            hint: Some(("?", "keys")),
            help: "this help",
            command: Do::Help,
        },
        Binding {
            keys: &[Key::Is(KeyCode::Home)],
            label: "Home",
            hint: None,
            help: "the start of the journal",
            command: Do::Start,
        },
        Binding {
            keys: &[Key::Is(KeyCode::End)],
            label: "End",
            hint: None,
            help: "the end of the journal",
            command: Do::End,
        },
        Binding {
            keys: &[
                Key::Is(KeyCode::Up),
                Key::Is(KeyCode::Down),
                ch('k'),
                ch('j'),
            ],
            label: "Up/Down j/k",
            hint: None,
            help: "look at another step",
            command: Do::Look(run::Do::Move),
        },
        Binding {
            keys: &[Key::Is(KeyCode::Esc)],
            label: "Esc",
            hint: None,
            help: "back to the current step",
            command: Do::Look(run::Do::Current),
        },
        Binding {
            keys: &[Key::Is(KeyCode::PageUp), Key::Is(KeyCode::PageDown)],
            label: "PgUp / PgDn",
            hint: None,
            help: "scroll the step's instructions",
            command: Do::Look(run::Do::Scroll),
        },
    ],
};

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
