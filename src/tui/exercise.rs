//! The facilitator's side of the run screen: an exercise played live.
//!
//! Players work runbooks exactly as in a real response; this module adds the
//! exercise clock (T+, pause, speed, manual mode, end), inject delivery when
//! the schedule says so or when the facilitator fires the next one early,
//! unscripted injects, observer notes, manual scoring and lessons learned.
//! It opens on the brief with the clock standing at T+0; facilitator,
//! observers and players sign in (name, role, team). Every action is a core
//! command through the session (which decides it and stamps it with the
//! exercise time the journal's clock reads), signed by who did it in their
//! capacity: the facilitator's keys as the facilitator signed in
//! ([`Shared::facilitator`]), an observer's note as the observer signed in,
//! the players' keys as the player at the keyboard. So replay and scoring
//! read the same story and the same rules hold as from `grabbag act`
//! (nothing is played after ENDEX, nor while NO DUTY holds play). The
//! schedule, clock and scoring rules are the core's ([`crate::exercise`]);
//! nothing here decides what is due or how an expectation scores. The
//! clock shown follows the journal's after every change.

use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Span};

use super::dialog::{Dialog, EditorPurpose, FormPurpose, ManualItem, sign_in_form};
use super::keys::{Action, Binding, Table, ch};
use super::shared::{Exercising, Shared};
use crate::exercise::{
    ClockStatus, Exercise, ExerciseClock, Expected, Outcome, RealTime, Speed, roster::Unknown,
    schedule,
};
use crate::journal::{Actor, ClockChange, LessonCategory};
use crate::response::{CHANNELS, ClockRequest, Command, PlayClock};
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

/// The role a facilitator signs in with when the exercise names none.
const FACILITATOR_ROLE: &str = "Facilitator";

impl Shared<'_> {
    /// Starts an exercise: a new journal named after it, `exercise_started`
    /// at T+0 with the clock standing, the facilitator signed in, every
    /// runbook it uses opened, and the brief shown (Enter starts the clock).
    pub fn start_exercise(
        &mut self,
        exercise: Exercise,
        text: &str,
        speed: Speed,
        manual: bool,
        name: &str,
    ) {
        let title = exercise.title.clone();
        // The one who starts it runs it: signed in under the exercise's
        // facilitator role, never as whoever last played.
        let role = exercise
            .participants
            .iter()
            .find(|p| p.kind == crate::exercise::ParticipantKind::Facilitator)
            .map_or_else(|| FACILITATOR_ROLE.to_owned(), |p| p.role.clone());
        let actor = Actor {
            name: name.to_owned(),
            role,
        };
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
            paused: true,
        };
        self.exercise = Some(Exercising {
            clock: ExerciseClock::start(RealTime::new(), speed, manual),
            exercise,
        });
        if !self.execute_as(&actor, &start) {
            return;
        }
        let facilitator = Command::SignIn {
            name: actor.name.clone(),
            role: actor.role.clone(),
            team: None,
            capacity: "facilitator".to_owned(),
        };
        if !self.execute_as(&actor, &facilitator) {
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
        self.show_brief();
        self.info(format!(
            "exercise ready at T+0: {} (Enter on the brief starts the clock, S signs in)",
            printable_line(&title)
        ));
    }

    /// Opens the brief over the screen.
    pub fn show_brief(&mut self) {
        let Some(lines) = self.brief_lines() else {
            return;
        };
        let before_play = self.before_play();
        self.dialogs.push(Dialog::Reading {
            title: "Brief (the facilitator reads it out)".to_owned(),
            lines,
            scroll: 0,
            before_play,
        });
    }

    /// True while the clock still stands at T+0 as the exercise opened it:
    /// play has not begun, so nothing is delivered yet.
    pub(super) fn before_play(&self) -> bool {
        self.response.as_ref().is_some_and(|r| {
            PlayClock::of(&r.state).paused
                && !r
                    .state
                    .exercise_clock
                    .iter()
                    .any(|c| c.change != ClockChange::Paused)
        })
    }

    /// The brief: scenario, objectives, participants (planned, and who has
    /// signed in), and the ground rules of play.
    fn brief_lines(&self) -> Option<Vec<Line<'static>>> {
        let ex = &self.exercise.as_ref()?.exercise;
        let state = &self.response.as_ref()?.state;
        let theme = &self.theme;
        let head = |t: &str| Line::from(Span::styled(t.to_owned(), theme.accent));
        let mut lines = vec![
            Line::from(Span::styled(
                printable_line(&ex.title).into_owned(),
                theme.accent,
            )),
            Line::from(Span::styled(
                format!("{} (planned {})", printable_line(&ex.audience), ex.duration),
                theme.dim,
            )),
            Line::default(),
            Line::from(printable_line(&ex.brief).into_owned()),
            Line::default(),
            head("Objectives"),
        ];
        lines.extend(
            ex.objectives
                .iter()
                .map(|o| Line::from(format!("- {}", printable_line(&o.text)))),
        );
        lines.push(Line::default());
        lines.push(head("Roles"));
        lines.extend(ex.participants.iter().map(|p| {
            let signed: Vec<String> = state
                .signed_in
                .iter()
                .filter(|s| s.role.eq_ignore_ascii_case(&p.role))
                .map(signed_name)
                .collect();
            let who = if signed.is_empty() {
                "not signed in".to_owned()
            } else {
                signed.join(", ")
            };
            Line::from(format!(
                "- {} [{}]: {who}",
                printable_line(&p.role),
                p.kind.as_str()
            ))
        }));
        let unplanned = state.signed_in.iter().filter(|s| {
            !ex.participants
                .iter()
                .any(|p| p.role.eq_ignore_ascii_case(&s.role))
        });
        lines.extend(unplanned.map(|s| {
            Line::from(format!(
                "- {} [{}, not in the exercise's roles]: {}",
                printable_line(&s.role),
                printable_line(&s.capacity),
                signed_name(s)
            ))
        }));
        // The teams, with who has signed in to each.
        if !ex.teams.is_empty() {
            lines.push(Line::default());
            lines.push(head("Teams"));
        }
        lines.extend(ex.teams.iter().map(|team| {
            let members: Vec<String> = state
                .signed_in
                .iter()
                .filter(|s| s.team.as_deref() == Some(team.as_str()))
                .map(|s| printable_line(&s.name).into_owned())
                .collect();
            let who = if members.is_empty() {
                "nobody signed in yet".to_owned()
            } else {
                members.join(", ")
            };
            Line::from(format!("- {}: {who}", printable_line(team)))
        }));
        lines.push(Line::default());
        lines.push(head("Ground rules"));
        for rule in GROUND_RULES {
            lines.push(Line::from(format!("- {rule}")));
        }
        Some(lines)
    }

    /// Opens every inject delivered (and the debrief questions after
    /// ENDEX) over the whole screen, wrapped and scrolled: the feed beside
    /// the journal holds only a few lines.
    pub fn show_injects(&mut self) {
        let lines = feed_lines(self, None);
        self.dialogs.push(Dialog::Reading {
            title: "Injects, newest first".to_owned(),
            lines,
            scroll: 0,
            before_play: false,
        });
    }

    /// Opens the facilitator's aids (what to watch for, questions, what
    /// good looks like) of the injects delivered, newest first, and of the
    /// next one: for the facilitator's eyes (the players never need them).
    pub fn show_aids(&mut self) {
        let (Some(ex), Some(response)) = (self.exercise.as_ref(), self.response.as_ref()) else {
            return;
        };
        let state = &response.state;
        let theme = &self.theme;
        let next = schedule::next(&ex.exercise, state, ex.clock.now()).map(|d| d.id);
        let delivered = state.injects.iter().rev().map(|d| d.inject.as_str());
        let ids: Vec<&str> = next.as_deref().into_iter().chain(delivered).collect();
        let mut lines = Vec::new();
        for inject in ids.iter().filter_map(|id| ex.exercise.inject(id)) {
            if inject.aids.is_empty() {
                continue;
            }
            let when = if next.as_deref() == Some(inject.id.as_str()) {
                "next"
            } else {
                "delivered"
            };
            lines.push(Line::from(Span::styled(
                format!("{} ({when})", printable_line(&inject.id)),
                theme.accent,
            )));
            lines.extend(aid_lines(&inject.aids));
            lines.push(Line::default());
        }
        if lines.is_empty() {
            self.info("no aids for the injects delivered or the next one");
            return;
        }
        self.dialogs.push(Dialog::Reading {
            title: "Facilitator's aids (not for the players)".to_owned(),
            lines,
            scroll: 0,
            before_play: false,
        });
    }

    /// Who the facilitator is: the latest facilitator signed in, else
    /// whoever is at the keyboard.
    pub fn facilitator(&self) -> Actor {
        self.signed_in_as("facilitator")
            .unwrap_or_else(|| self.at_keyboard())
    }

    /// The latest person signed in with `capacity`.
    fn signed_in_as(&self, capacity: &str) -> Option<Actor> {
        let state = &self.response.as_ref()?.state;
        state
            .signed_in
            .iter()
            .rfind(|s| s.capacity == capacity)
            .map(|s| Actor {
                name: s.name.clone(),
                role: s.role.clone(),
            })
    }

    /// Journals a facilitator's command as the facilitator, follows the
    /// clock it may have changed and says `done` when it went in.
    pub fn facilitate(&mut self, command: &Command, done: &str) -> bool {
        let facilitator = self.facilitator();
        if !self.execute_as(&facilitator, command) {
            return false;
        }
        self.follow_clock();
        if !done.is_empty() {
            self.info(done.to_owned());
        }
        true
    }

    /// Opens the sign-in form, offering the exercise's roles and teams.
    pub fn open_sign_in(&mut self) {
        let (roles, teams) = self
            .exercise
            .as_ref()
            .map(|e| (e.exercise.roles(), e.exercise.teams.clone()))
            .unwrap_or_default();
        self.dialogs.push(sign_in_form(roles, teams));
    }

    /// Signs someone in (as themselves); a player also takes the keyboard,
    /// so what they do next is theirs.
    pub fn sign_in(
        &mut self,
        name: &str,
        role: &str,
        team: Option<String>,
        capacity: &str,
    ) -> bool {
        // The roles and teams the exercise declares, as it spells them.
        let named = self.exercise.as_ref().map(|e| {
            let role = e.exercise.sign_in_role(role)?;
            Ok::<_, Unknown>((role, e.exercise.sign_in_team(team.as_deref())?))
        });
        let (role, team) = match named {
            Some(Err(unknown)) => {
                let field = if unknown.what == "team" {
                    "Team"
                } else {
                    "Role"
                };
                self.error(not_offered(&unknown, field));
                return false;
            }
            Some(Ok(named)) => named,
            None => (role.trim().to_owned(), team),
        };
        let actor = Actor {
            name: name.trim().to_owned(),
            role,
        };
        let capacity = capacity.trim().to_lowercase();
        let command = Command::SignIn {
            name: actor.name.clone(),
            role: actor.role.clone(),
            team,
            capacity: capacity.clone(),
        };
        if !self.execute_as(&actor, &command) {
            return false;
        }
        if capacity == "player" && self.at_keyboard() != actor {
            let change = Command::ChangeActor {
                name: actor.name.clone(),
                role: actor.role.clone(),
            };
            return self.execute_as(&actor, &change);
        }
        true
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
        if ex.clock.ended() || self.before_play() {
            // After ENDEX nothing is delivered (the core would refuse it);
            // before play begins, the brief is still being read.
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
                to: inject.to.clone(),
            })
            .collect();
        let mut shown = None;
        let facilitator = self.facilitator();
        for command in &due {
            if !self.execute_as(&facilitator, command) {
                return;
            }
            if let Command::DeliverInject {
                from,
                channel,
                text,
                to,
                ..
            } = command
            {
                let to = to
                    .as_deref()
                    .map(|t| format!(" to {}", printable_line(t)))
                    .unwrap_or_default();
                shown = Some(format!(
                    "INJECT ({}, from {}{to}): {}",
                    printable_line(channel),
                    printable_line(from),
                    printable_line(text)
                ));
            }
        }
        match (shown, due.len()) {
            // More than one in a tick: none is left unread without a word.
            (Some(shown), n) if n > 1 => {
                self.info(format!(
                    "{n} injects arrived (I reads them all); latest {shown}"
                ));
            }
            (Some(shown), _) => self.info(shown),
            (None, _) => {}
        }
    }

    /// Journals a change of the exercise clock.
    fn change_clock(&mut self, request: ClockRequest, done: &str) {
        self.facilitate(&Command::Clock(request), done);
    }

    /// Moves the clock to the next scheduled inject and delivers it.
    pub fn fire_next_inject(&mut self) {
        if self.before_play() {
            self.info("play has not begun: p starts the clock (B shows the brief)");
            return;
        }
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
    pub fn unscripted_inject(
        &mut self,
        from: &str,
        channel: &str,
        text: &str,
        to: Option<String>,
    ) -> bool {
        let to = match self
            .exercise
            .as_ref()
            .map(|e| e.exercise.audience(to.as_deref()))
        {
            Some(Err(unknown)) => {
                self.error(not_offered(&unknown, "To"));
                return false;
            }
            Some(Ok(named)) => named,
            None => to,
        };
        let command = Command::DeliverInject {
            inject: String::new(),
            from: from.to_owned(),
            channel: channel.to_owned(),
            text: text.to_owned(),
            to,
        };
        self.facilitate(&command, "")
    }

    /// Journals an observer's note as the observer signed in (so it never
    /// counts as a player's); refused when no observer has signed in.
    pub fn observer_note(&mut self, text: &str) -> bool {
        let Some(actor) = self.signed_in_as("observer") else {
            self.error("no observer has signed in: S signs one in (As: observer)");
            return false;
        };
        let note = Command::Note {
            text: text.to_owned(),
            happened_at: None,
        };
        self.execute_as(&actor, &note)
    }

    /// Journals the facilitator's score of a manual expectation.
    pub fn score_manual(&mut self, item: &ManualItem, outcome: Outcome, comment: &str) -> bool {
        self.facilitate(
            &Command::Score {
                inject: item.inject.clone(),
                expectation: item.expectation.clone(),
                outcome: outcome.as_str().to_owned(),
                evidence: None,
                comment: comment.to_owned(),
            },
            "",
        )
    }

    /// Journals a lesson learned.
    pub fn record_lesson(
        &mut self,
        category: LessonCategory,
        text: &str,
        owner: Option<String>,
        due: Option<String>,
    ) -> bool {
        self.facilitate(
            &Command::Lesson {
                category,
                text: text.to_owned(),
                owner,
                due,
            },
            "",
        )
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
                        scored: response
                            .state
                            .scores
                            .iter()
                            .rev()
                            .find(|s| s.inject == i.id && s.expectation == e.id)
                            .map(|s| printable_line(&s.score).into_owned()),
                    })
            })
            .collect()
    }
}

/// What a facilitator's key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Do {
    /// Pause or resume the clock.
    Pause,
    /// Faster (`+`, `=`) or slower (`-`).
    Speed,
    /// Manual mode on or off.
    Manual,
    /// Fire the next inject now.
    Fire,
    /// An unscripted inject.
    Inject,
    /// An observer's note.
    Observe,
    /// Score a manual expectation.
    Score,
    /// End the exercise.
    End,
    /// A lesson learned.
    Lesson,
    /// Show the brief again.
    Brief,
    /// Sign someone in.
    SignIn,
    /// NO DUTY: suspend play for a real incident (p resumes).
    NoDuty,
    /// Read every inject delivered.
    Injects,
    /// The facilitator's aids.
    Aids,
}

/// Who signed in, with their team: `Ada (Blue)` (printable).
/// A name the exercise does not declare, refused in a form that offers
/// the ones it does: pointing at the list beats printing it on one line.
fn not_offered(unknown: &Unknown, field: &str) -> String {
    format!(
        "{:?} is not a {} of this exercise: Left/Right on {field} offers those it has",
        printable_line(&unknown.given),
        unknown.what
    )
}

fn signed_name(s: &crate::response::SignIn) -> String {
    match &s.team {
        Some(team) => format!("{} ({})", printable_line(&s.name), printable_line(team)),
        None => printable_line(&s.name).into_owned(),
    }
}

/// An inject's aids as lines: what to watch for, the questions, what good
/// looks like (printable).
fn aid_lines(aids: &crate::exercise::Aids) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(watch) = &aids.watch {
        lines.push(Line::from(format!("Watch for: {}", printable_line(watch))));
    }
    for q in &aids.questions {
        lines.push(Line::from(format!("Ask: {}", printable_line(q))));
    }
    if let Some(good) = &aids.good {
        lines.push(Line::from(format!(
            "Good looks like: {}",
            printable_line(good)
        )));
    }
    lines
}

/// What the brief tells the room before play, whatever the exercise.
const GROUND_RULES: [&str; 5] = [
    "This is not a test of people: it tests the plans. Say what you would really do.",
    "Work the runbooks as in a real response: every step, decision and note is journaled.",
    "Injects reach you by the channel they name; the facilitator reads them out.",
    "NO DUTY: if a real incident needs anyone, say \"NO DUTY\": play stops until it is resumed.",
    "ENDEX ends play for good; the hot debrief and lessons learned follow.",
];

/// The facilitator's keys, on the run screen of a live exercise before the
/// run screen's own.
pub const KEYS: Table<Do> = Table {
    title: "Exercise (facilitator; the run keys below work too)",
    bindings: &[
        Binding {
            keys: &[ch('f')],
            label: "f",
            hint: Some(("f", "inject")),
            help: "fire the next inject now",
            command: Do::Fire,
        },
        Binding {
            keys: &[ch('p')],
            label: "p",
            hint: Some(("p", "pause")),
            help: "pause or resume the exercise clock",
            command: Do::Pause,
        },
        Binding {
            keys: &[ch('+'), ch('='), ch('-')],
            label: "+ / -",
            hint: Some(("+/-", "speed")),
            help: "speed up or slow down (1x to 60x)",
            command: Do::Speed,
        },
        Binding {
            keys: &[ch('m')],
            label: "m",
            hint: Some(("m", "score")),
            help: "score a manual expectation",
            command: Do::Score,
        },
        Binding {
            keys: &[ch('E')],
            label: "E",
            hint: Some(("E", "end")),
            help: "ENDEX: end play for good (asks first)",
            command: Do::End,
        },
        Binding {
            keys: &[ch('S')],
            label: "S",
            hint: Some(("S", "sign in")),
            help: "sign in a player, facilitator or observer (name, role, team)",
            command: Do::SignIn,
        },
        Binding {
            keys: &[ch('B')],
            label: "B",
            hint: Some(("B", "brief")),
            help: "show the brief again (scenario, who is signed in, rules)",
            command: Do::Brief,
        },
        Binding {
            keys: &[ch('I')],
            label: "I",
            hint: Some(("I", "injects")),
            help: "read every inject delivered, newest first (scrolls)",
            command: Do::Injects,
        },
        Binding {
            keys: &[ch('F')],
            label: "F",
            hint: Some(("F", "aids")),
            help: "facilitator's aids: what to watch, questions, what good is",
            command: Do::Aids,
        },
        Binding {
            keys: &[ch('N')],
            label: "N",
            hint: None,
            help: "NO DUTY: suspend play for a real incident (p resumes)",
            command: Do::NoDuty,
        },
        Binding {
            keys: &[ch('L')],
            label: "L",
            hint: Some(("L", "lesson")),
            help: "record a lesson learned",
            command: Do::Lesson,
        },
        Binding {
            keys: &[ch('M')],
            label: "M",
            hint: None,
            help: "manual mode on/off (time moves only with f)",
            command: Do::Manual,
        },
        Binding {
            keys: &[ch('i')],
            label: "i",
            hint: None,
            help: "add an unscripted inject",
            command: Do::Inject,
        },
        Binding {
            keys: &[ch('w')],
            label: "w",
            hint: None,
            help: "write an observer note",
            command: Do::Observe,
        },
    ],
};

/// The keys that still do something once play has ended: the debrief's.
const AFTER_ENDEX: [Do; 4] = [Do::Lesson, Do::Injects, Do::Aids, Do::Brief];

/// The facilitator's keys in the hint bar: during play the clock's, the
/// injects' and sign-in; after ENDEX the debrief's (a lesson, the injects,
/// the aids, the brief), which the bar had no room for.
pub fn hints(ended: bool) -> Vec<(&'static str, &'static str)> {
    KEYS.bindings
        .iter()
        .filter(|b| AFTER_ENDEX.contains(&b.command) == ended)
        .filter_map(|b| b.hint)
        .collect()
}

/// Play is suspended for a real incident (NO DUTY).
fn no_duty(app: &Shared<'_>) -> bool {
    app.response
        .as_ref()
        .is_some_and(|r| PlayClock::of(&r.state).no_duty)
}

/// Facilitator keys on the run screen of a live exercise; `None` when the
/// key is not one of [`KEYS`] (the run screen's keys apply).
pub fn handle_key(app: &mut Shared<'_>, key: KeyEvent) -> Option<Action> {
    let command = KEYS.command(&key)?;
    let ex = app.exercise.as_ref()?;
    let speed = ex.clock.speed().get();
    let paused = ex.clock.paused();
    let manual = ex.clock.manual();
    match command {
        // After NO DUTY the facilitator is bringing the room back to play,
        // not merely restarting a clock.
        Do::Pause if paused && no_duty(app) => app.change_clock(
            ClockRequest::Resume,
            "play resumed after NO DUTY: exercise clock running",
        ),
        Do::Pause if paused => app.change_clock(ClockRequest::Resume, "exercise clock running"),
        Do::Pause => app.change_clock(ClockRequest::Pause, "exercise clock paused"),
        Do::Speed => {
            let KeyCode::Char(c) = key.code else {
                return Some(Action::Continue);
            };
            let to = step_speed(&SPEEDS, speed, c);
            app.change_clock(ClockRequest::Speed(to), &format!("speed {to}x"));
        }
        Do::Manual => app.change_clock(
            ClockRequest::Manual(!manual),
            if manual {
                "clock running: injects arrive on time"
            } else {
                "manual: time moves only when f fires the next inject"
            },
        ),
        Do::Fire => app.fire_next_inject(),
        Do::Inject => {
            let audiences = app
                .exercise
                .as_ref()
                .map(|e| e.exercise.audiences())
                .unwrap_or_default();
            app.dialogs.push(
                Dialog::form(
                    FormPurpose::Inject,
                    &[
                        ("From", "Facilitator".to_owned()),
                        ("Channel", "phone".to_owned()),
                        ("Text", String::new()),
                        ("To (optional)", String::new()),
                    ],
                )
                .with_choices(1, CHANNELS.iter().map(|c| (*c).to_owned()).collect())
                .with_choices(3, audiences),
            );
        }
        Do::Observe => {
            // A note is play: refused at the key once play has stopped.
            match app
                .response
                .as_ref()
                .and_then(|r| crate::response::play_stopped(&r.state))
            {
                Some(stopped) => app.error(stopped.to_string()),
                None => app.dialogs.push(Dialog::editor(
                    EditorPurpose::ObserverNote,
                    "Observer note (not a player's)",
                )),
            }
        }
        Do::Score => {
            let items = app.manual_items();
            if items.is_empty() {
                app.info("no manual expectation to score yet (they come with their injects)");
            } else {
                app.dialogs.push(Dialog::Score { items, cursor: 0 });
            }
        }
        Do::End => app.dialogs.push(Dialog::ConfirmEndex),
        Do::Brief => app.show_brief(),
        Do::Injects => app.show_injects(),
        Do::Aids => app.show_aids(),
        Do::SignIn => app.open_sign_in(),
        Do::NoDuty => app.change_clock(
            ClockRequest::NoDuty,
            "NO DUTY: play suspended for a real incident (p resumes play)",
        ),
        Do::Lesson => app.dialogs.push(Dialog::form(
            FormPurpose::Lesson,
            &[
                ("Kind", "went well".to_owned()),
                ("Lesson", String::new()),
                ("Owner (optional)", String::new()),
                ("Due (optional)", String::new()),
            ],
        )),
    }
    Some(Action::Continue)
}

/// The exercise clock as the header shows it: `T+00:12:00 60x PAUSED`; a
/// recorded one (a replay) says the speed it was played at, so it is not
/// read as the replay's own speed (the status bar's).
pub fn clock_text(app: &Shared<'_>) -> Option<String> {
    let (ex_t, speed, paused, manual, ended, recorded) = match (&app.exercise, &app.response) {
        (Some(ex), _) => (
            ex.clock.now(),
            ex.clock.speed().get(),
            ex.clock.paused(),
            ex.clock.manual(),
            ex.clock.ended(),
            false,
        ),
        (None, Some(r)) if r.state.exercise_start.is_some() => {
            let status = ClockStatus::of(&r.state);
            (
                r.state.ex_t.unwrap_or(0),
                status.speed.get(),
                status.paused,
                status.manual,
                status.ended,
                true,
            )
        }
        _ => return None,
    };
    let mode = if ended {
        " ENDED"
    } else if no_duty(app) {
        " NO DUTY"
    } else if paused {
        " PAUSED"
    } else if manual {
        " MANUAL"
    } else {
        ""
    };
    let speed = if recorded {
        format!("(played {speed}x)")
    } else {
        format!("{speed}x")
    };
    Some(format!("T+{} {speed}{mode}", ex_time(ex_t)))
}

/// Exercise time (ms) as `hh:mm:ss`.
pub fn ex_time(ms: u64) -> String {
    super::shared::elapsed(chrono::TimeDelta::milliseconds(
        i64::try_from(ms).unwrap_or(i64::MAX),
    ))
}

/// The inject feed: what comes next, then what was delivered, newest first.
pub fn feed_lines(app: &Shared<'_>, replayed: Option<&Exercise>) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let Some(response) = app.response.as_ref() else {
        return Vec::new();
    };
    let state = &response.state;
    let mut lines = Vec::new();
    let definition = app.exercise.as_ref().map(|e| &e.exercise).or(replayed);
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
        // Who it reached: the team or role it was aimed at, else everyone.
        let to =
            d.to.as_deref()
                .map(|t| format!(" to {}", printable_line(t)))
                .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(format!("T+{} ", ex_time(at)), theme.warn),
            Span::styled(
                format!(
                    "{id}, {} from {}{to}: ",
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
