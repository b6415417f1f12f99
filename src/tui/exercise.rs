//! The facilitator's side of the run screen: an exercise played live.
//!
//! Players work runbooks exactly as in a real response; this module adds the
//! exercise clock (T+, pause, speed, manual mode, end), inject delivery when
//! the schedule says so or when the facilitator fires the next one early,
//! unscripted injects, observer notes, manual scoring and lessons learned.
//! Every action is a core command through [`App::execute`] (the session
//! decides it and stamps it with the exercise time the journal's clock
//! reads), signed by whoever is at the keyboard ([`App::at_keyboard`], the
//! facilitator), so replay and scoring read the same story and the same
//! rules hold as from `grabbag act` (nothing is played after ENDEX). The
//! schedule, clock and scoring rules are the core's ([`crate::exercise`]);
//! nothing here decides what is due or how an expectation scores. The
//! clock shown follows the journal's after every change.

use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Span};

use super::app::{Action, App};
use super::dialog::{Dialog, EditorPurpose, FormPurpose};
use crate::exercise::files;
use crate::exercise::{
    ClockStatus, Exercise, ExerciseClock, Expected, Outcome, RealTime, Speed, schedule,
};
use crate::journal::{Actor, LessonCategory};
use crate::response::{ClockRequest, Command};
use crate::text::printable_line;

/// The speeds `+` and `-` step through.
const SPEEDS: [u32; 6] = [1, 2, 5, 10, 30, 60];

/// The next speed up `ladder` from `speed`, or down it when `key` is `-`.
pub(super) fn step_speed(ladder: &[u32], speed: u32, key: char) -> u32 {
    let at = ladder.iter().position(|s| *s >= speed).unwrap_or(0);
    let to = if key == '-' {
        at.saturating_sub(1)
    } else {
        (at + 1).min(ladder.len().saturating_sub(1))
    };
    ladder.get(to).copied().unwrap_or(speed)
}

/// The role observer notes are written under (a note by this role never
/// meets a player's note expectation).
pub const OBSERVER_ROLE: &str = "Observer";

/// An exercise being played: its definition and its clock.
pub struct Exercising {
    /// The exercise.
    pub exercise: Exercise,
    /// The exercise clock (wall time through [`RealTime`]).
    pub clock: ExerciseClock<RealTime>,
}

/// What the facilitator scores a manual expectation.
pub const MANUAL_SCORES: [Outcome; 4] = [
    Outcome::Met,
    Outcome::Late,
    Outcome::Partial,
    Outcome::Missed,
];

/// A manual expectation, for the scoring picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualItem {
    /// Inject id.
    pub inject: String,
    /// Expectation id.
    pub expectation: String,
    /// What is expected, in words (printable).
    pub description: String,
}

impl App<'_> {
    /// Starts an exercise: a new journal named after it, `exercise_started`
    /// at T+0, then every runbook it uses opened.
    pub fn start_exercise(
        &mut self,
        exercise: Exercise,
        text: &str,
        speed: Speed,
        manual: bool,
        actor: Actor,
    ) {
        let title = exercise.title.clone();
        self.start_journal(
            &format!("Exercise: {title}"),
            Some(exercise.id.clone()),
            &actor,
        );
        if self.response.is_none() {
            return;
        }
        let start = Command::StartExercise {
            exercise: exercise.id.clone(),
            title: exercise.title.clone(),
            digest: crate::exercise::digest(text),
            speed: speed.get(),
            manual,
        };
        self.exercise = Some(Exercising {
            clock: ExerciseClock::start(RealTime::new(), speed, manual),
            exercise,
        });
        if !self.execute_as(&actor, &start) {
            return;
        }
        self.follow_clock();
        let runbooks = self
            .exercise
            .as_ref()
            .map(|e| e.exercise.runbooks.clone())
            .unwrap_or_default();
        for id in &runbooks {
            self.open_runbook(id);
        }
        if let Some(r) = self.response.as_mut() {
            r.active = 0;
        }
        self.deliver_due_injects();
        self.info(format!(
            "exercise started: {} (f fires the next inject, p pauses, ? lists the keys)",
            printable_line(&title)
        ));
    }

    /// Picks up an exercise journal being resumed: the clock comes back
    /// paused where the journal left it (the core's rule for a resumed
    /// session, so a second terminal reads the same time).
    pub fn resume_exercise(&mut self, exercise: Exercise) {
        let Some(response) = self.response.as_ref() else {
            return;
        };
        let clock = ExerciseClock::following(RealTime::new(), &response.state, self.now);
        self.exercise = Some(Exercising { exercise, clock });
    }

    /// Sets the clock shown to the journal's, after a change went in.
    fn follow_clock(&mut self) {
        if let (Some(ex), Some(response)) = (self.exercise.as_mut(), self.response.as_ref()) {
            ex.clock = ExerciseClock::following(RealTime::new(), &response.state, self.now);
        }
    }

    /// Delivers every inject the schedule says is due at the clock's time.
    pub fn deliver_due_injects(&mut self) {
        let (Some(ex), Some(response)) = (self.exercise.as_ref(), self.response.as_ref()) else {
            return;
        };
        if ex.clock.ended() {
            // After ENDEX nothing is delivered (the core would refuse it).
            return;
        }
        let now = ex.clock.now();
        let due: Vec<Command> = schedule::due(&ex.exercise, &response.state, now)
            .iter()
            .filter_map(|due| ex.exercise.injects.get(due.index))
            .map(|inject| Command::DeliverInject {
                inject: inject.id.clone(),
                from: inject.from.clone(),
                channel: inject.channel.clone(),
                text: inject.text.clone(),
            })
            .collect();
        let mut shown = None;
        for command in &due {
            if !self.execute(command) {
                return;
            }
            if let Command::DeliverInject {
                from,
                channel,
                text,
                ..
            } = command
            {
                shown = Some(format!(
                    "INJECT ({}, from {}): {}",
                    printable_line(channel),
                    printable_line(from),
                    printable_line(text)
                ));
            }
        }
        if let Some(shown) = shown {
            self.info(shown);
        }
    }

    /// Journals a change of the exercise clock.
    fn change_clock(&mut self, request: ClockRequest, done: &str) {
        if self.execute(&Command::Clock(request)) {
            self.follow_clock();
            self.info(done.to_owned());
        }
    }

    /// Moves the clock to the next scheduled inject and delivers it.
    pub fn fire_next_inject(&mut self) {
        let (Some(ex), Some(response)) = (self.exercise.as_ref(), self.response.as_ref()) else {
            return;
        };
        let now = ex.clock.now();
        match schedule::next(&ex.exercise, &response.state, now) {
            Some(next) => {
                self.change_clock(ClockRequest::JumpTo(next.at), "");
                self.deliver_due_injects();
            }
            None if schedule::due(&ex.exercise, &response.state, now).is_empty() => {
                self.info("no inject is scheduled: the rest wait for the players (i adds one)");
            }
            None => self.deliver_due_injects(),
        }
    }

    /// Delivers an inject the exercise does not define.
    pub fn unscripted_inject(&mut self, from: &str, channel: &str, text: &str) -> bool {
        self.execute(&Command::DeliverInject {
            inject: String::new(),
            from: from.to_owned(),
            channel: channel.to_owned(),
            text: text.to_owned(),
        })
    }

    /// Journals an observer's note (under the observer role, so it never
    /// counts as a player's).
    pub fn observer_note(&mut self, text: &str) -> bool {
        let actor = Actor {
            name: self.at_keyboard().name,
            role: OBSERVER_ROLE.to_owned(),
        };
        let note = Command::Note {
            text: text.to_owned(),
            happened_at: None,
        };
        self.execute_as(&actor, &note)
    }

    /// Journals the facilitator's score of a manual expectation.
    pub fn score_manual(&mut self, item: &ManualItem, outcome: Outcome) -> bool {
        self.execute(&Command::Score {
            inject: item.inject.clone(),
            expectation: item.expectation.clone(),
            outcome: outcome.as_str().to_owned(),
            evidence: None,
        })
    }

    /// Journals a lesson learned.
    pub fn record_lesson(
        &mut self,
        category: LessonCategory,
        text: &str,
        owner: Option<String>,
        due: Option<String>,
    ) -> bool {
        self.execute(&Command::Lesson {
            category,
            text: text.to_owned(),
            owner,
            due,
        })
    }

    /// The manual expectations of delivered injects, for scoring.
    pub fn manual_items(&self) -> Vec<ManualItem> {
        let (Some(ex), Some(response)) = (self.exercise.as_ref(), self.response.as_ref()) else {
            return Vec::new();
        };
        let delivered = |id: &str| response.state.injects.iter().any(|d| d.inject == id);
        ex.exercise
            .injects
            .iter()
            .filter(|i| delivered(&i.id))
            .flat_map(|i| {
                i.expectations
                    .iter()
                    .filter(|e| e.expected == Expected::Manual)
                    .map(|e| ManualItem {
                        inject: i.id.clone(),
                        expectation: e.id.clone(),
                        description: printable_line(&e.description).into_owned(),
                    })
            })
            .collect()
    }
}

/// Facilitator keys on the run screen of a live exercise; `None` when the
/// key is not one of them (the run screen's keys apply).
pub fn exercise_key(app: &mut App<'_>, key: KeyEvent) -> Option<Action> {
    let ex = app.exercise.as_ref()?;
    let speed = ex.clock.speed().get();
    let paused = ex.clock.paused();
    let manual = ex.clock.manual();
    match key.code {
        KeyCode::Char('p') if paused => {
            app.change_clock(ClockRequest::Resume, "exercise clock running");
        }
        KeyCode::Char('p') => app.change_clock(ClockRequest::Pause, "exercise clock paused"),
        KeyCode::Char(c @ ('+' | '=' | '-')) => {
            let to = step_speed(&SPEEDS, speed, c);
            app.change_clock(ClockRequest::Speed(to), &format!("speed {to}x"));
        }
        KeyCode::Char('M') => app.change_clock(
            ClockRequest::Manual(!manual),
            if manual {
                "clock running: injects arrive on time"
            } else {
                "manual: time moves only when f fires the next inject"
            },
        ),
        KeyCode::Char('f') => app.fire_next_inject(),
        KeyCode::Char('i') => app.dialogs.push(Dialog::form(
            FormPurpose::Inject,
            &[
                ("From", "Facilitator".to_owned()),
                ("Channel", "phone".to_owned()),
                ("Text", String::new()),
            ],
        )),
        KeyCode::Char('w') => app.dialogs.push(Dialog::editor(
            EditorPurpose::ObserverNote,
            "Observer note (not a player's)",
        )),
        KeyCode::Char('m') => {
            let items = app.manual_items();
            if items.is_empty() {
                app.info("no manual expectation to score yet (they come with their injects)");
            } else {
                app.dialogs.push(Dialog::Score { items, cursor: 0 });
            }
        }
        KeyCode::Char('E') => app.change_clock(
            ClockRequest::End,
            "exercise ended: L records lessons learned, q quits",
        ),
        KeyCode::Char('L') => app.dialogs.push(Dialog::form(
            FormPurpose::Lesson,
            &[
                ("Kind", "went well".to_owned()),
                ("Lesson", String::new()),
                ("Owner (optional)", String::new()),
                ("Due (optional)", String::new()),
            ],
        )),
        _ => return None,
    }
    Some(Action::Continue)
}

/// The lesson category a facilitator typed: "went well", "did not go
/// well" or "action" (or their first letters).
pub fn lesson_category(text: &str) -> Option<LessonCategory> {
    match text.trim().to_lowercase().chars().next()? {
        'w' | 'g' => Some(LessonCategory::WentWell),
        'd' | 'n' | 'b' => Some(LessonCategory::DidNotGoWell),
        'a' => Some(LessonCategory::Action),
        _ => None,
    }
}

/// The exercise clock as the header shows it: `T+00:12:00 60x PAUSED`.
pub fn clock_text(app: &App<'_>) -> Option<String> {
    let (ex_t, speed, paused, manual, ended) = match (&app.exercise, &app.response) {
        (Some(ex), _) => (
            ex.clock.now(),
            ex.clock.speed().get(),
            ex.clock.paused(),
            ex.clock.manual(),
            ex.clock.ended(),
        ),
        (None, Some(r)) if r.state.exercise_start.is_some() => {
            let status = ClockStatus::of(&r.state);
            (
                r.state.ex_t.unwrap_or(0),
                status.speed.get(),
                status.paused,
                status.manual,
                status.ended,
            )
        }
        _ => return None,
    };
    let mode = if ended {
        " ENDED"
    } else if paused {
        " PAUSED"
    } else if manual {
        " MANUAL"
    } else {
        ""
    };
    Some(format!("T+{} {speed}x{mode}", ex_time(ex_t)))
}

/// Exercise time (ms) as `hh:mm:ss`.
pub fn ex_time(ms: u64) -> String {
    super::app::elapsed(chrono::TimeDelta::milliseconds(
        i64::try_from(ms).unwrap_or(i64::MAX),
    ))
}

/// The inject feed: what comes next, then what was delivered, newest first.
pub fn feed_lines(app: &App<'_>) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let Some(response) = app.response.as_ref() else {
        return Vec::new();
    };
    let state = &response.state;
    let mut lines = Vec::new();
    let definition = app
        .exercise
        .as_ref()
        .map(|e| &e.exercise)
        .or(app.replay.as_ref().and_then(|r| r.exercise.as_ref()));
    let ended = match &app.exercise {
        Some(ex) => ex.clock.ended(),
        None => ClockStatus::of(state).ended,
    };
    if let Some(ex) = definition.filter(|_| ended) {
        // The hot debrief: the exercise's own questions, then L for each answer.
        lines.push(Line::from(Span::styled(
            "Debrief (L records a lesson):",
            theme.accent,
        )));
        for prompt in &ex.lessons_prompts {
            lines.push(Line::from(format!("- {}", printable_line(prompt))));
        }
    }
    if let Some(ex) = definition {
        let now = state
            .ex_t
            .unwrap_or(0)
            .max(app.exercise.as_ref().map_or(0, |e| e.clock.now()));
        let total = ex.injects.len();
        let out = ex
            .injects
            .iter()
            .filter(|i| state.injects.iter().any(|d| d.inject == i.id))
            .count();
        let next = match schedule::next(ex, state, now) {
            Some(due) => format!(
                "next: {} at T+{} ({out}/{total} out)",
                printable_line(&due.id),
                ex_time(due.at)
            ),
            None if out == total => format!("all {total} injects delivered"),
            None => format!("next: waits for the players ({out}/{total} out)"),
        };
        lines.push(Line::from(Span::styled(next, theme.dim)));
    }
    for d in state.injects.iter().rev() {
        let at = crate::exercise::ex_time(&d.stamp, state);
        let id = if d.inject.is_empty() {
            "unscripted".to_owned()
        } else {
            printable_line(&d.inject).into_owned()
        };
        lines.push(Line::from(vec![
            Span::styled(format!("T+{} ", ex_time(at)), theme.warn),
            Span::styled(
                format!(
                    "{id}, {} from {}: ",
                    printable_line(&d.channel),
                    printable_line(&d.from)
                ),
                theme.accent,
            ),
            Span::raw(printable_line(&d.text).into_owned()),
        ]));
    }
    lines
}

/// The exercise `id` from the library's `exercises/` folder, if it is there
/// and parses (references to runbooks are checked when it is started).
pub fn find_in_library(
    root: &std::path::Path,
    id: &str,
    identities: Option<&crate::crypto::Identities>,
) -> Option<Exercise> {
    let dir = crate::library::inside(root, std::path::Path::new(files::EXERCISES_DIR)).ok()?;
    let found = files::find(&[dir], id, identities)?;
    crate::exercise::check(&found.shown, &found.text, &found.file.id, None).exercise
}
