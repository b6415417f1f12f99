//! The run screen: a response worked step by step.
//!
//! The steps with their states, the current step's instructions, checks and
//! contacts, the deadlines, the latest journal lines and who is at the
//! keyboard. [`KEYS`] drives the handler, the hint bar and the help; every
//! key that records something becomes a core [`Command`] executed through
//! [`Shared::execute`]. A replay and an exercise use this screen too: the
//! replay with the keys that only look about ([`look`]), the exercise with
//! the facilitator's keys before these.

use std::ops::RangeInclusive;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::dialog::{Dialog, EditorPurpose, FormPurpose, PromptPurpose};
use super::keys::{Action, Binding, GLOBAL, Key, Table, ch};
use super::shared::{Screen, Shared, awareness_form, case_form, deadline_form, elapsed, safe};
use crate::calendar::time_left;
use crate::exercise::Exercise;
use crate::response::{ClockStatus, Command, StepRef, StepStatus};
use crate::runbook::Step;
use crate::text::printable_line;

/// What a key does on the run screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Do {
    /// The keys.
    Help,
    /// Leave, ending the session in the journal.
    Quit,
    /// Look at the step above (Up, `k`) or below (Down, `j`).
    Move,
    /// Back to the flow's current step.
    Current,
    /// The next open runbook (Tab) or the previous one (Shift-Tab).
    Switch,
    /// Scroll the instructions down (PgDn) or up (PgUp).
    Scroll,
    /// Open another runbook (the library screen).
    Open,
    /// Write a note.
    Note,
    /// Correct an earlier entry.
    Correct,
    /// When the council became aware.
    Awareness,
    /// Add a deadline of the response's own.
    Deadline,
    /// Mark a deadline of the response's own met.
    DeadlineMet,
    /// Show the runbook's register of cases, or its steps again.
    Register,
    /// Add a case to the runbook's register.
    Case,
    /// Someone else at the keyboard.
    Actor,
    /// Start the step.
    Go,
    /// Mark the step done (a decision step asks for its option).
    Done,
    /// Skip the step.
    Skip,
    /// Take the step's decision.
    Decide,
    /// Block the step, or unblock it.
    Block,
    /// Tick the next check.
    TickNext,
    /// Tick check number n.
    Tick,
}

/// The run screen's keys, most used first.
pub const KEYS: Table<Do> = Table {
    title: "Run",
    bindings: &[
        Binding {
            keys: &[ch('?')],
            label: "?",
            hint: Some(("?", "keys")),
            help: "this help",
            command: Do::Help,
        },
        Binding {
            keys: &[ch('g')],
            label: "g",
            hint: Some(("g", "go")),
            help: "go: start the step (the journal says when work began)",
            command: Do::Go,
        },
        Binding {
            keys: &[ch('d')],
            label: "d",
            hint: Some(("d", "done")),
            help: "mark the step done (a decision step asks for its option)",
            command: Do::Done,
        },
        Binding {
            keys: &[ch('s')],
            label: "s",
            hint: Some(("s", "skip")),
            help: "skip the step (reason required)",
            command: Do::Skip,
        },
        Binding {
            keys: &[ch(' ')],
            label: "Space",
            hint: Some(("Spc", "tick")),
            help: "tick the next check",
            command: Do::TickNext,
        },
        Binding {
            keys: &[ch('D'), Key::Is(KeyCode::Enter)],
            label: "D / Enter",
            hint: Some(("D", "decide")),
            help: "take the decision: option, then rationale",
            command: Do::Decide,
        },
        Binding {
            keys: &[ch('b')],
            label: "b",
            hint: Some(("b", "block")),
            help: "block the step (reason), or unblock it",
            command: Do::Block,
        },
        Binding {
            keys: &[ch('n')],
            label: "n",
            hint: Some(("n", "note")),
            help: "write a note (Ctrl-T: when it happened; Ctrl-S saves)",
            command: Do::Note,
        },
        Binding {
            keys: &[ch('c')],
            label: "c",
            hint: Some(("c", "fix")),
            help: "correct an earlier entry (nothing is erased)",
            command: Do::Correct,
        },
        Binding {
            keys: &[ch('o')],
            label: "o",
            hint: Some(("o", "open")),
            help: "open another runbook in this response",
            command: Do::Open,
        },
        Binding {
            keys: &[ch('q')],
            label: "q",
            hint: Some(("q", "quit")),
            help: "quit (the journal records the end of the session)",
            command: Do::Quit,
        },
        Binding {
            keys: &[ch('a')],
            label: "a",
            hint: Some(("a", "actor")),
            help: "change who is at the keyboard",
            command: Do::Actor,
        },
        Binding {
            keys: &[Key::Is(KeyCode::Tab), Key::Is(KeyCode::BackTab)],
            label: "Tab / S-Tab",
            hint: Some(("Tab", "switch")),
            help: "switch to the next / the previous open runbook",
            command: Do::Switch,
        },
        Binding {
            keys: &[Key::Digit],
            label: "1-9",
            hint: None,
            help: "tick check number n",
            command: Do::Tick,
        },
        Binding {
            keys: &[ch('A')],
            label: "A",
            hint: None,
            help: "when we became aware: the ICO's 72 hours count from it",
            command: Do::Awareness,
        },
        Binding {
            keys: &[ch('R')],
            label: "R",
            hint: None,
            help: "the register of cases, by next due (R again: steps)",
            command: Do::Register,
        },
        Binding {
            keys: &[ch('C')],
            label: "C",
            hint: None,
            help: "add a case to the register (a referral, a household...)",
            command: Do::Case,
        },
        Binding {
            keys: &[ch('T')],
            label: "T",
            hint: None,
            help: "add a deadline (due at a time, or in 4h, 1 working day...)",
            command: Do::Deadline,
        },
        Binding {
            keys: &[ch('X')],
            label: "X",
            hint: None,
            help: "cross off a deadline added with T: it is met (as `act met`)",
            command: Do::DeadlineMet,
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
            command: Do::Move,
        },
        Binding {
            keys: &[Key::Is(KeyCode::Esc)],
            label: "Esc",
            hint: None,
            help: "back to the current step",
            command: Do::Current,
        },
        Binding {
            keys: &[Key::Is(KeyCode::PageUp), Key::Is(KeyCode::PageDown)],
            label: "PgUp / PgDn",
            hint: None,
            help: "scroll the step's instructions",
            command: Do::Scroll,
        },
    ],
};

/// The help of the run screen: in an exercise, the facilitator's keys
/// first.
pub fn help(app: &Shared<'_>) -> Vec<(&'static str, &'static str)> {
    let facilitator = match app.exercise {
        Some(_) => super::exercise::KEYS.help(),
        None => Vec::new(),
    };
    let register = if register_shown(app) {
        super::register::KEYS.help()
    } else {
        Vec::new()
    };
    [facilitator, register, KEYS.help(), GLOBAL.help()].concat()
}

/// Handles a key; `None` when it is not one of [`KEYS`] (nor, while the
/// register is shown, of its keys, which come first).
pub fn handle_key(app: &mut Shared<'_>, key: KeyEvent) -> Option<Action> {
    if register_shown(app)
        && let Some(action) = super::register::handle_key(app, key)
    {
        return Some(action);
    }
    let command = KEYS.command(&key)?;
    Some(run(app, command, key))
}

/// Whether the register of cases is on screen in place of the steps.
pub fn register_shown(app: &Shared<'_>) -> bool {
    app.response.as_ref().is_some_and(|r| r.register)
}

/// Whether a command is play (a note, work on a step, opening another
/// runbook): refused once play has stopped in an exercise.
pub fn plays(command: Do) -> bool {
    matches!(
        command,
        Do::Note
            | Do::Open
            | Do::Go
            | Do::Done
            | Do::Skip
            | Do::Decide
            | Do::Block
            | Do::TickNext
            | Do::Tick
    )
}

/// Whether a command only looks about (a replay allows these alone).
pub fn looks(command: Do) -> bool {
    matches!(
        command,
        Do::Move | Do::Current | Do::Switch | Do::Scroll | Do::Register
    )
}

/// Runs a command that only looks about (see [`looks`]), for a replay.
pub fn look(app: &mut Shared<'_>, command: Do, key: KeyEvent) {
    if looks(command) {
        run(app, command, key);
    }
}

fn run(app: &mut Shared<'_>, command: Do, key: KeyEvent) -> Action {
    if app.response.is_none() {
        app.screen = Screen::Library;
        return Action::Continue;
    }
    // `None` when no runbook is open or the open one is no longer in the
    // library: the keys that need no step still work.
    let focus = app.focus().map(|(r, i)| (r.steps.len(), i));
    let (steps, index) = focus.unwrap_or((0, None));
    let step = app.focused_step().map(|(r, s)| (r, s.clone()));
    if let Some(r) = app.response.as_mut() {
        match (command, key.code) {
            (Do::Scroll, KeyCode::PageDown) => {
                r.scroll = r.scroll.saturating_add(5);
                return Action::Continue;
            }
            (Do::Scroll, _) => {
                r.scroll = r.scroll.saturating_sub(5);
                return Action::Continue;
            }
            _ => r.scroll = 0,
        }
    }
    // Once play has stopped (ENDEX, NO DUTY) the core refuses a note, work
    // on a step and opening a runbook: said at the key, before a dialog or
    // the library asks for what could not be recorded.
    if let Some(stopped) = app
        .response
        .as_ref()
        .filter(|_| plays(command))
        .and_then(|r| crate::response::play_stopped(&r.state))
    {
        app.error(stopped.to_string());
        return Action::Continue;
    }
    match command {
        Do::Scroll => {}
        Do::Quit => return app.quit(),
        Do::Help => app.dialogs.push(Dialog::help(help(app))),
        Do::Move => {
            let at = if matches!(key.code, KeyCode::Up | KeyCode::Char('k')) {
                index.unwrap_or(steps).saturating_sub(1)
            } else {
                index.map_or(0, |i| (i + 1).min(steps.saturating_sub(1)))
            };
            if let Some(r) = app.response.as_mut() {
                r.selected = Some(at);
            }
        }
        Do::Current => {
            if let Some(r) = app.response.as_mut() {
                r.selected = None;
            }
        }
        Do::Switch => {
            if let Some(r) = app.response.as_mut() {
                let n = r.state.runbooks.len().max(1);
                r.active = if key.code == KeyCode::Tab {
                    (r.active + 1) % n
                } else {
                    (r.active + n - 1) % n
                };
                r.selected = None;
            }
        }
        Do::Open => app.screen = Screen::Library,
        Do::Note => app
            .dialogs
            .push(Dialog::editor(EditorPurpose::Note, "Note")),
        Do::Correct => {
            let picks: Vec<(u64, String)> = app
                .response
                .as_ref()
                .map(|r| {
                    r.log
                        .iter()
                        .rev()
                        .map(|l| {
                            let line = format!(
                                "#{:<4} {} {}",
                                l.seq,
                                app.local(l.at).format("%H:%M:%S"),
                                l.text
                            );
                            (l.seq, line)
                        })
                        .collect()
                })
                .unwrap_or_default();
            if picks.is_empty() {
                app.error("nothing to correct yet");
            } else {
                app.dialogs.push(Dialog::Pick {
                    items: picks,
                    cursor: 0,
                });
            }
        }
        Do::Awareness => {
            let current = app.response.as_ref().and_then(|r| {
                r.state
                    .awareness
                    .as_ref()
                    .map(|a| app.local(a.at).format("%Y-%m-%d %H:%M").to_string())
            });
            app.dialogs.push(awareness_form(current, None));
        }
        Do::Deadline => app.dialogs.push(deadline_form()),
        Do::DeadlineMet => {
            // The response's own deadlines still open, soonest first.
            let mut open: Vec<(chrono::DateTime<chrono::Utc>, String)> = app
                .response
                .as_ref()
                .map(|r| {
                    r.state
                        .clocks
                        .iter()
                        .filter(|c| c.runbook.is_empty() && c.met.is_none())
                        .map(|c| {
                            let label = fit(&printable_line(&c.label), 24, "...");
                            (c.due_at, format!("{} {label}", c.clock))
                        })
                        .collect()
                })
                .unwrap_or_default();
            open.sort();
            match open.first() {
                None => app.error("no deadline added with T is open"),
                Some((_, first)) => {
                    let id = first.split(' ').next().unwrap_or_default().to_owned();
                    let choices: Vec<String> = open.into_iter().map(|(_, c)| c).collect();
                    app.info(format!("open: {}", choices.join(", ")));
                    app.dialogs
                        .push(Dialog::form(FormPurpose::DeadlineMet, &[("Deadline", id)]));
                }
            }
        }
        Do::Case => {
            let kinds = app.focus().map(|(r, _)| (r.id.clone(), r.cases.clone()));
            match kinds {
                Some((runbook, kinds)) => match kinds.as_slice() {
                    [] => app.error(format!(
                        "runbook `{}` keeps no register of cases",
                        printable_line(&runbook)
                    )),
                    [only] => app.dialogs.push(case_form(&runbook, only)),
                    several => {
                        let names: Vec<&str> = several.iter().map(|k| k.id.as_str()).collect();
                        app.dialogs.push(Dialog::form(
                            FormPurpose::CaseKind(runbook),
                            &[(&format!("Kind ({})", names.join(", ")), String::new())],
                        ));
                    }
                },
                None => app.error("no runbook of the library is on screen"),
            }
        }
        Do::Register => {
            if let Some(r) = app.response.as_mut() {
                r.register = !r.register;
            }
        }
        Do::Actor => {
            let (name, role) = app
                .response
                .as_ref()
                .and_then(|r| r.state.actor.clone())
                .map(|a| (a.name, a.role))
                .unwrap_or_default();
            app.dialogs.push(Dialog::form(
                FormPurpose::Actor,
                &[("Name", name), ("Role", role)],
            ));
        }
        Do::Go | Do::Done | Do::Skip | Do::Decide | Do::Block | Do::TickNext | Do::Tick => {
            let Some((step_ref, step)) = step else {
                if focus.is_some() {
                    app.info("this runbook has reached its end: o opens another, q quits");
                } else {
                    app.error("no step here: n writes a note, o opens a runbook");
                }
                return Action::Continue;
            };
            step_key(app, command, key, step_ref, &step);
        }
    }
    Action::Continue
}

/// The decision picker of a step, with what it shows copied in.
fn decision_dialog(step_ref: StepRef, step: &Step) -> Dialog {
    let (question, options) = step.decision.as_ref().map_or_else(Default::default, |d| {
        let options = d
            .options
            .iter()
            .map(|o| {
                (
                    printable_line(&o.label).into_owned(),
                    printable_line(&o.goto.to_string()).into_owned(),
                )
            })
            .collect();
        (printable_line(&d.question).into_owned(), options)
    });
    Dialog::Decision {
        step: step_ref,
        question,
        options,
        cursor: 0,
    }
}

/// Keys that act on the focused step.
fn step_key(app: &mut Shared<'_>, command: Do, key: KeyEvent, step_ref: StepRef, step: &Step) {
    let status = app
        .response
        .as_ref()
        .map(|r| r.state.status(&step_ref.runbook, &step_ref.step).clone())
        .unwrap_or(StepStatus::Todo);
    let ok = match command {
        Do::Done if step.decision.is_some() => {
            app.dialogs.push(decision_dialog(step_ref, step));
            false
        }
        Do::Decide if step.decision.is_some() => {
            app.dialogs.push(decision_dialog(step_ref, step));
            false
        }
        Do::Decide => {
            app.info("this step is not a decision: d marks it done");
            false
        }
        Do::Done => {
            // Done with checks not ticked is allowed (the step's work may be
            // done another way) but asked once, so it is never an accident.
            let ticked = app
                .response
                .as_ref()
                .and_then(|r| r.state.step(&step_ref.runbook, &step_ref.step))
                .map_or(0, |s| {
                    s.ticked.keys().filter(|&&i| i < step.checks.len()).count()
                });
            let unticked = step.checks.len().saturating_sub(ticked);
            if unticked > 0 {
                app.dialogs.push(Dialog::ConfirmDone {
                    step: step_ref,
                    unticked,
                    checks: step.checks.len(),
                });
                false
            } else {
                app.execute(&Command::Done(step_ref))
            }
        }
        Do::Go => {
            // The selection stays: a step started out of order is the one
            // being looked at.
            if app.execute(&Command::Start(step_ref)) {
                app.status = None;
            }
            false
        }
        Do::Skip => {
            app.dialogs.push(Dialog::prompt(
                PromptPurpose::Skip(step_ref),
                "Why skip this step? (required)",
            ));
            false
        }
        Do::Block if matches!(status, StepStatus::Blocked { .. }) => {
            app.execute(&Command::Unblock(step_ref))
        }
        Do::Block => {
            app.dialogs.push(Dialog::prompt(
                PromptPurpose::Block(step_ref),
                "What is it waiting for? (required)",
            ));
            false
        }
        Do::TickNext => {
            let ticked = app
                .response
                .as_ref()
                .and_then(|r| r.state.step(&step_ref.runbook, &step_ref.step))
                .map(|s| s.ticked.keys().copied().collect::<Vec<_>>())
                .unwrap_or_default();
            match (0..step.checks.len()).find(|i| !ticked.contains(i)) {
                Some(check) => app.execute(&Command::Tick {
                    step: step_ref,
                    check,
                }),
                None => {
                    app.info("every check of this step is ticked");
                    false
                }
            }
        }
        Do::Tick => {
            let KeyCode::Char(c @ '1'..='9') = key.code else {
                return;
            };
            let check = (c as usize) - ('1' as usize);
            app.execute(&Command::Tick {
                step: step_ref,
                check,
            })
        }
        _ => false,
    };
    if ok {
        app.step_recorded();
    }
}

/// Draws the run screen; `feed` is the exercise a replay shows the
/// injects of.
pub fn draw(frame: &mut Frame<'_>, app: &Shared<'_>, feed: Option<&Exercise>, area: Rect) {
    let theme = &app.theme;
    let Some(response) = app.response.as_ref() else {
        return;
    };
    let state = &response.state;
    let exercise = super::exercise::clock_text(app);
    let log_height = match (area.height >= 30, exercise.is_some()) {
        (true, true) => 10,
        (true, false) => 8,
        (false, true) => 7,
        (false, false) => 5,
    };
    let clocks = clock_lines(app, usize::from(area.width));
    let clock_rows = clocks.len().min(if area.height >= 30 { 6 } else { 2 });
    let [header, body, log_area] = Layout::vertical([
        Constraint::Length(2 + clock_rows as u16),
        Constraint::Min(5),
        Constraint::Length(log_height),
    ])
    .areas(area);

    // Header: incident, time since it began, who is at the keyboard, tabs.
    let since = state
        .first_at
        .map(|t| elapsed(app.now - t))
        .unwrap_or_default();
    let actor = state
        .actor
        .as_ref()
        .map(|a| format!("{} ({})", printable_line(&a.name), printable_line(&a.role)))
        .unwrap_or_default();
    let incident = printable_line(state.incident.as_deref().unwrap_or("incident")).into_owned();
    let titles: Vec<String> = state
        .runbooks
        .iter()
        .map(|open| printable_line(&open.version.title).into_owned())
        .collect();
    let tabs = tabs(app, &titles, response.active, usize::from(area.width));
    let clock = match &exercise {
        Some(clock) => Span::styled(format!("{clock}  "), theme.warn),
        None => Span::styled(format!("  T+{since}  "), theme.warn),
    };
    // Who is at the keyboard always shows whole: at 80 columns the role
    // gives way first, then the incident's name is shortened.
    let width = usize::from(area.width);
    let fixed = clock.width() + "  at keyboard: ".len();
    let actor = if fixed + incident.chars().count().min(12) + actor.chars().count() > width {
        state
            .actor
            .as_ref()
            .map(|a| printable_line(&a.name).into_owned())
            .unwrap_or_default()
    } else {
        actor
    };
    let incident = fit(
        &incident,
        width.saturating_sub(fixed + actor.chars().count()),
        theme.symbols.ellipsis,
    );
    // An exercise's clock comes first: it is what the room watches.
    let first = if exercise.is_some() {
        vec![
            clock,
            Span::styled(incident, theme.accent),
            Span::styled(format!("  at keyboard: {actor}"), theme.text),
        ]
    } else {
        vec![
            Span::styled(incident, theme.accent),
            clock,
            Span::styled(format!("at keyboard: {actor}"), theme.text),
        ]
    };
    let lines = vec![Line::from(first), Line::from(tabs)];
    let lines: Vec<Line<'_>> = lines.into_iter().chain(clocks).collect();
    frame.render_widget(Paragraph::new(lines), header);

    let Some((runbook, focus)) = app.focus() else {
        draw_not_loaded(frame, app, body);
        draw_log(frame, app, feed, log_area);
        return;
    };
    if response.register {
        super::register::draw(frame, app, &runbook.id, body);
        draw_log(frame, app, feed, log_area);
        return;
    }
    let current = crate::response::current_step(state, runbook).map(|s| s.id.as_str());
    // The step list takes what its titles need, up to two fifths of a wide
    // terminal; at 80 columns the instructions need the room more.
    let longest = runbook
        .steps
        .iter()
        .map(|s| printable_line(&s.title).chars().count())
        .max()
        .unwrap_or(0);
    let list_width = u16::try_from(longest + 7)
        .unwrap_or(u16::MAX)
        .min(if body.width >= 100 {
            body.width * 2 / 5
        } else {
            28
        })
        .max(28);
    let [list_area, detail_area] =
        Layout::horizontal([Constraint::Length(list_width), Constraint::Min(20)]).areas(body);

    // Step list.
    let sym = &theme.symbols;
    let mut lines = Vec::new();
    for (i, step) in runbook.steps.iter().enumerate() {
        let status = state.status(&runbook.id, &step.id);
        let (mark, style) = match status {
            StepStatus::Done => (sym.done, theme.good),
            StepStatus::Skipped { .. } => (sym.skipped, theme.warn),
            StepStatus::Blocked { .. } => (sym.blocked, theme.bad),
            _ if Some(step.id.as_str()) == current => (sym.current, theme.accent),
            StepStatus::Started => (sym.current, theme.accent),
            _ => (sym.todo, theme.text),
        };
        let overrun = !status.is_finished()
            && (Some(step.id.as_str()) == current || matches!(status, StepStatus::Started))
            && overrun(app, &runbook.id, step);
        let style = if overrun { theme.bad } else { style };
        let style = if Some(i) == focus {
            theme.selected
        } else {
            style
        };
        lines.push(Line::from(Span::styled(
            format!("{mark} {:>2} {}", i + 1, printable_line(&step.title)),
            style,
        )));
    }
    let block = theme.block(Span::styled(" Steps ", theme.accent));
    let inner_h = block.inner(list_area).height as usize;
    let scroll = focus.unwrap_or(0).saturating_sub(inner_h.saturating_sub(2));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        list_area,
    );

    // The focused step.
    let mut lines: Vec<Line<'_>> = Vec::new();
    // Checks and contacts: pinned under the instructions, so they show at
    // 80×24 whatever the length of the text above.
    let mut below: Vec<Line<'_>> = Vec::new();
    match focus.and_then(|i| runbook.steps.get(i)) {
        None => lines.push(Line::from(Span::styled(
            "End of this runbook. o opens another, Tab switches, q quits.",
            theme.good,
        ))),
        Some(step) => {
            let status = state.status(&runbook.id, &step.id);
            let mut head = vec![Span::styled(
                printable_line(&step.title).into_owned(),
                theme.accent,
            )];
            head.push(Span::styled(format!("  [{}]", status.label()), theme.dim));
            lines.push(Line::from(head));
            if let StepStatus::Skipped { reason } | StepStatus::Blocked { reason, .. } = status {
                lines.push(Line::from(Span::styled(
                    format!("reason: {}", printable_line(reason)),
                    theme.warn,
                )));
            }
            if let Some(role) = &step.role {
                lines.push(Line::from(vec![
                    Span::styled("role: ", theme.dim),
                    Span::raw(printable_line(role).into_owned()),
                ]));
            }
            if let (Some(within), false, Some(taken)) = (
                step.expect_within,
                status.is_finished(),
                app.step_time(&runbook.id, &step.id),
            ) {
                let limit =
                    chrono::TimeDelta::seconds(i64::try_from(within.as_secs()).unwrap_or(i64::MAX));
                let (text, style) = if taken > limit {
                    (
                        format!(
                            "OVERRUN: {} (expected within {})",
                            elapsed(taken),
                            elapsed(limit)
                        ),
                        theme.bad,
                    )
                } else {
                    (
                        format!("{} of {} expected", elapsed(taken), elapsed(limit)),
                        theme.dim,
                    )
                };
                lines.push(Line::from(Span::styled(text, style)));
            }
            if !step.instructions.trim().is_empty() {
                lines.push(Line::default());
                for l in safe(&step.instructions).lines() {
                    lines.push(Line::from(l.to_owned()));
                }
            }
            if let Some(decision) = &step.decision {
                lines.push(Line::default());
                lines.push(Line::from(Span::styled(
                    format!("Decision: {}", printable_line(&decision.question)),
                    theme.accent,
                )));
                let taken = state
                    .step(&runbook.id, &step.id)
                    .and_then(|s| s.decision.as_ref());
                for (i, o) in decision.options.iter().enumerate() {
                    let chosen = taken.is_some_and(|t| t.option == o.label);
                    lines.push(Line::from(Span::styled(
                        format!(
                            " {}. {}{}",
                            i + 1,
                            printable_line(&o.label),
                            if chosen { "  (chosen)" } else { "" }
                        ),
                        if chosen { theme.good } else { theme.text },
                    )));
                }
            }
            if !step.checks.is_empty() {
                if !below.is_empty() {
                    below.push(Line::default());
                }
                let ticked = state.step(&runbook.id, &step.id).map(|s| &s.ticked);
                for (i, check) in step.checks.iter().enumerate() {
                    let done = ticked.is_some_and(|t| t.contains_key(&i));
                    below.push(Line::from(Span::styled(
                        format!(
                            "{} {} {}",
                            if done { sym.ticked } else { sym.unticked },
                            i + 1,
                            printable_line(check)
                        ),
                        if done { theme.good } else { theme.text },
                    )));
                }
            }
            let contacts: Vec<_> = step
                .contacts
                .iter()
                .filter_map(|c| runbook.contact(c))
                .collect();
            if !contacts.is_empty() {
                if !below.is_empty() {
                    below.push(Line::default());
                }
                for c in contacts {
                    below.push(Line::from(vec![
                        Span::styled("call ", theme.dim),
                        Span::styled(
                            printable_line(c.phone.as_deref().unwrap_or("(no phone)")).into_owned(),
                            theme.accent,
                        ),
                        Span::raw(format!("  {}", printable_line(&c.marked_name()))),
                    ]));
                }
            }
        }
    }
    let title = format!(" {} ", printable_line(&runbook.title));
    let mut block = theme.block(Span::styled(title, theme.accent));
    let inner = block.inner(detail_area);
    // Checks and contacts wrap rather than lose their ends.
    let below = Paragraph::new(below).wrap(Wrap { trim: false });
    let pinned = u16::try_from(below.line_count(inner.width))
        .unwrap_or(u16::MAX)
        .min(inner.height / 2);
    // Roughly how many rows the text above needs once wrapped: enough to say
    // there is more below (PgDn) or above (PgUp).
    let width = usize::from(inner.width.max(1));
    let needed: usize = lines.iter().map(|l| l.width().div_ceil(width).max(1)).sum();
    let shown = usize::from(inner.height.saturating_sub(pinned)) + usize::from(response.scroll);
    let more = match (needed > shown, response.scroll > 0) {
        (true, true) => Some(" PgUp/PgDn: more "),
        (true, false) => Some(" PgDn: more "),
        (false, true) => Some(" PgUp: back "),
        (false, false) => None,
    };
    if let Some(more) = more {
        block = block.title_bottom(Line::from(Span::styled(more, theme.dim)).right_aligned());
    }
    frame.render_widget(block, detail_area);
    let [top, bottom] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(pinned)]).areas(inner);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((response.scroll, 0)),
        top,
    );
    frame.render_widget(below, bottom);
    draw_log(frame, app, feed, log_area);
}

/// The log pane: the latest entries; beside it, in an exercise, the injects.
fn draw_log(frame: &mut Frame<'_>, app: &Shared<'_>, feed: Option<&Exercise>, log_area: Rect) {
    let theme = &app.theme;
    let Some(response) = app.response.as_ref() else {
        return;
    };
    let log_area = if super::exercise::clock_text(app).is_some() {
        let [log, injects] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(log_area);
        let block = theme.block(Span::styled(" Injects ", theme.accent));
        frame.render_widget(
            Paragraph::new(super::exercise::feed_lines(app, feed))
                .wrap(Wrap { trim: false })
                .block(block),
            injects,
        );
        log
    } else {
        log_area
    };
    let block = theme.block(Span::styled(" Journal ", theme.accent));
    let rows = block.inner(log_area).height as usize;
    let start = response.log.len().saturating_sub(rows);
    let lines: Vec<Line<'_>> = response.log[start..]
        .iter()
        .map(|l| {
            Line::from(vec![
                Span::styled(
                    format!("{} ", app.local(l.at).format("%H:%M:%S")),
                    theme.dim,
                ),
                Span::styled(format!("{:<10} ", truncate(&l.actor, 10)), theme.dim),
                Span::styled(l.text.clone(), line_style(app, &l.text)),
                Span::styled(
                    if response.state.is_corrected(l.seq) {
                        " [corrected]"
                    } else {
                        ""
                    },
                    theme.warn,
                ),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), log_area);
}

/// The body of the run screen when the runbook on screen is not in the
/// library as loaded now (removed, renamed, or no key opens it): what the
/// journal holds of it, steps by id, so a resumed response shows everything it
/// had. With no runbook open at all, how to open one.
fn draw_not_loaded(frame: &mut Frame<'_>, app: &Shared<'_>, area: Rect) {
    let theme = &app.theme;
    let Some(response) = app.response.as_ref() else {
        return;
    };
    let Some(open) = response.state.runbooks.get(response.active) else {
        let text = Span::styled(
            "No runbook is open: o opens one, n writes a note.",
            theme.text,
        );
        let block = theme.block(Span::styled(" No runbook ", theme.accent));
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    };
    // A journal is read while the runbooks load (`grabbag run --journal`):
    // not being in the library yet is not news.
    let (why, style) = if app.runbooks_pending {
        (
            "is loading with the library; its steps by id meanwhile.",
            theme.dim,
        )
    } else {
        ("is not in the library as loaded now.", theme.bad)
    };
    let mut lines = vec![
        Line::from(Span::styled(
            format!("Runbook `{}` {why}", printable_line(&open.id)),
            style,
        )),
        Line::from(Span::styled(
            "Nothing is lost: below are its steps by id, as the journal has them. \
             n notes, c corrects, o opens a runbook, Tab switches.",
            theme.dim,
        )),
        Line::default(),
    ];
    let mut steps: Vec<_> = open.steps.iter().collect();
    steps.sort_by_key(|(_, step)| step.first_seq);
    if steps.is_empty() {
        lines.push(Line::from("No step of it was worked on."));
    }
    let sym = &theme.symbols;
    for (id, step) in steps {
        let (mark, style, why) = match &step.status {
            StepStatus::Done => (sym.done, theme.good, None),
            StepStatus::Skipped { reason } => (sym.skipped, theme.warn, Some(reason)),
            StepStatus::Blocked { reason, .. } => (sym.blocked, theme.bad, Some(reason)),
            StepStatus::Started => (sym.current, theme.accent, None),
            StepStatus::Todo => (sym.todo, theme.text, None),
        };
        let mut text = format!("{mark} {}  [{}]", printable_line(id), step.status.label());
        if let Some(decision) = &step.decision {
            text.push_str(&format!(" chose: {}", printable_line(&decision.option)));
        }
        if let Some(why) = why {
            text.push_str(&format!(" {}", printable_line(why)));
        }
        lines.push(Line::from(Span::styled(text, style)));
    }
    let title = format!(" {} (not loaded) ", printable_line(&open.version.title));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((response.scroll, 0))
            .block(theme.block(Span::styled(title, theme.accent))),
        area,
    );
}

/// The tab bar of the open runbooks within `width` columns: titles are
/// shortened with an ellipsis, the current tab keeping up to a third of the
/// width and the others sharing the rest; when even bare numbers do not fit,
/// only the tabs around the current one show, an ellipsis standing for the
/// others. The current tab is always shown.
pub(super) fn tabs(
    app: &Shared<'_>,
    titles: &[String],
    active: usize,
    width: usize,
) -> Vec<Span<'static>> {
    let theme = &app.theme;
    if titles.is_empty() {
        return Vec::new();
    }
    let ellipsis = theme.symbols.ellipsis;
    let columns = |text: &str| Span::raw(text).width();
    // " 2 Title " with the title cut to `cap` columns; " 2 " when `cap` is 0.
    let label = |i: usize, cap: usize| {
        let title = titles.get(i).map_or("", String::as_str);
        if cap == 0 {
            return format!(" {} ", i + 1);
        }
        format!(" {} {} ", i + 1, fit(title, cap, ellipsis))
    };
    // The labels of the tabs in `range`, titles cut to `cap` (the current
    // one to at least a third of the width), and whether they fit with their
    // separating spaces and the ellipses for tabs left out.
    let layout = |range: &RangeInclusive<usize>, cap: usize| {
        let labels: Vec<String> = range
            .clone()
            .map(|i| label(i, if i == active { cap.max(width / 3) } else { cap }))
            .collect();
        let edges = usize::from(*range.start() > 0) + usize::from(*range.end() + 1 < titles.len());
        let used: usize =
            labels.iter().map(|l| columns(l) + 1).sum::<usize>() + edges * (columns(ellipsis) + 1);
        // The last separator may fall off the edge.
        (labels, used <= width + 1)
    };
    let all = 0..=titles.len().saturating_sub(1);
    let longest = titles.iter().map(|t| columns(t)).max().unwrap_or(0);
    let fitted = (0..=longest)
        .rev()
        .map(|cap| layout(&all, cap))
        .find(|(_, fits)| *fits);
    let (range, labels) = match fitted {
        Some((labels, _)) => (all, labels),
        None => {
            // Even bare numbers overflow: widen a window around the current
            // tab, on its shorter side first, while it fits.
            let mut range = active..=active;
            loop {
                let (lo, hi) = (*range.start(), *range.end());
                let right = (hi + 1 < titles.len()).then(|| lo..=hi + 1);
                let left = (lo > 0).then(|| lo - 1..=hi);
                let sides = if hi - active <= active - lo {
                    [right, left]
                } else {
                    [left, right]
                };
                match sides.into_iter().flatten().find(|r| layout(r, 0).1) {
                    Some(wider) => range = wider,
                    None => break,
                }
            }
            let labels = layout(&range, 0).0;
            (range, labels)
        }
    };
    let mut spans = Vec::new();
    if *range.start() > 0 {
        spans.push(Span::styled(format!("{ellipsis} "), theme.dim));
    }
    for (i, text) in range.clone().zip(labels) {
        let style = if i == active {
            theme.selected
        } else {
            theme.dim
        };
        spans.push(Span::styled(text, style));
        spans.push(Span::raw(" "));
    }
    if *range.end() + 1 < titles.len() {
        spans.push(Span::styled(ellipsis, theme.dim));
    }
    spans
}

/// The response's deadlines, most urgent first: missed, then running by due
/// time, then met. Due times in local time, with what is left.
/// `text` cut to `cap` columns, ending in `ellipsis` when it was cut.
fn fit(text: &str, cap: usize, ellipsis: &str) -> String {
    let columns = |text: &str| Span::raw(text).width();
    if columns(text) <= cap {
        return text.to_owned();
    }
    let room = cap.saturating_sub(columns(ellipsis));
    let (mut cut, mut used) = (String::new(), 0);
    for c in text.chars() {
        used += columns(c.encode_utf8(&mut [0; 4]));
        if used > room {
            break;
        }
        cut.push(c);
    }
    cut + ellipsis
}

/// How much of a deadline's label a narrow line keeps before it gives up
/// saying what the deadline counts from.
const LABEL_KEPT: usize = 30;

/// One line per deadline, fitted to `width`: the due time and what is left
/// always show whole, the label is shortened to make room.
fn clock_lines(app: &Shared<'_>, width: usize) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let Some(response) = app.response.as_ref() else {
        return Vec::new();
    };
    // Deadlines run on exercise time in an exercise.
    let now = crate::response::deadline_now(&response.state, app.now);
    // Cases' clocks are on the register (`R`): here, one line sums them up,
    // so a register of thousands costs one pass, not thousands of lines.
    let mut clocks: Vec<_> = Vec::new();
    let (mut missed, mut next_due) = (0_usize, None);
    for clock in &response.state.clocks {
        if clock.case.is_none() {
            clocks.push(clock);
            continue;
        }
        match clock.status(now) {
            ClockStatus::Breached | ClockStatus::Overdue => missed += 1,
            ClockStatus::Running => {
                next_due = Some(next_due.map_or(clock.due_at, |d| clock.due_at.min(d)));
            }
            ClockStatus::Met { .. } => {}
        }
    }
    let rank = |c: &crate::response::ClockState| match c.status(now) {
        ClockStatus::Breached | ClockStatus::Overdue => 0,
        ClockStatus::Running => 1,
        ClockStatus::Met { .. } => 2,
    };
    clocks.sort_by_key(|c| (rank(c), c.due_at));
    let cases = (!response.state.cases.is_empty()).then(|| {
        let due = next_due.map_or_else(String::new, |d| {
            format!(", next due {}", app.local(d).format("%a %d %b %H:%M"))
        });
        Line::from(vec![
            Span::styled(format!("{} cases: ", theme.symbols.clock), theme.accent),
            Span::styled(
                format!(
                    "{}, {missed} missed{due} (R: register)",
                    response.state.cases.len()
                ),
                if missed > 0 { theme.bad } else { theme.warn },
            ),
        ])
    });
    cases
        .into_iter()
        .chain(clocks.into_iter().map(|clock| {
            let due = app.local(clock.due_at).format("%a %d %b %H:%M");
            let (text, style) = match clock.status(now) {
                ClockStatus::Met { .. } => (format!("met (was due {due})"), theme.good),
                ClockStatus::Breached | ClockStatus::Overdue => (
                    format!("MISSED: was due {due}, {}", time_left(clock.due_at - now)),
                    theme.bad,
                ),
                ClockStatus::Running => (
                    format!("due {due}, {}", time_left(clock.due_at - now)),
                    theme.warn,
                ),
            };
            // A deadline from awareness says so, with the time it counts
            // from when the line has room; a narrow screen keeps what the
            // deadline is first ("Report p…" said nothing at 80 columns):
            // the time of awareness then goes, then the words.
            let label = printable_line(&clock.label);
            let endings = match (&clock.anchor, &response.state.awareness) {
                (Some(_), Some(aware)) => vec![
                    format!(
                        " (from awareness {})",
                        app.local(aware.at).format("%a %d %b %H:%M")
                    ),
                    " (from awareness)".to_owned(),
                    String::new(),
                ],
                _ => vec![String::new()],
            };
            let wanted = label.chars().count().min(LABEL_KEPT);
            let room = |ending: &str| {
                width.saturating_sub(text.chars().count() + ending.chars().count() + 4)
            };
            let ending = endings
                .iter()
                .find(|e| room(e) >= wanted)
                .or(endings.last())
                .map_or("", String::as_str);
            let text = format!("{text}{ending}");
            let label = fit(&label, room(ending).max(8), theme.symbols.ellipsis);
            Line::from(vec![
                Span::styled(format!("{} {label}: ", theme.symbols.clock), theme.accent),
                Span::styled(text, style),
            ])
        }))
        .collect()
}

/// True when the step has taken longer than its `expect_within`.
fn overrun(app: &Shared<'_>, runbook: &str, step: &crate::runbook::Step) -> bool {
    let (Some(within), Some(taken)) = (step.expect_within, app.step_time(runbook, &step.id)) else {
        return false;
    };
    let limit = chrono::TimeDelta::seconds(i64::try_from(within.as_secs()).unwrap_or(i64::MAX));
    taken > limit
}

fn line_style(app: &Shared<'_>, text: &str) -> Style {
    if text.starts_with("DEADLINE") {
        app.theme.bad
    } else {
        app.theme.text
    }
}

fn truncate(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}
