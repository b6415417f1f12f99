//! Dialogs over a screen: each knows its keys and how it draws.
//!
//! One-line prompts (skip and block reasons), a multi-line editor (notes,
//! rationales, corrections: `ratatui-textarea`), small forms (starting a
//! response, changing who is at the keyboard), the decision picker, the entry
//! picker for corrections, the resume question and the `?` help. A dialog that
//! ends in a refused command stays open with its text, and the refusal shows
//! in the status line: nothing typed is lost.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, Local, NaiveDateTime, NaiveTime, TimeDelta, TimeZone as _};

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui_textarea::TextArea;

use super::app::{Action, App, Screen};
use super::exercise::{MANUAL_SCORES, ManualItem, lesson_category};
use crate::config::LastSession;
use crate::journal::Actor;
use crate::response::{Command, StepRef};
use crate::text::printable_line;

/// What a one-line prompt is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptPurpose {
    /// The reason to skip this step.
    Skip(StepRef),
    /// What this step waits for.
    Block(StepRef),
    /// The exercise time to seek to in a replay.
    Seek,
}

/// What the multi-line editor is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditorPurpose {
    /// A note.
    Note,
    /// The replacement text of the entry with this seq.
    Correct(u64),
    /// The rationale of a decision.
    Rationale {
        /// The decision step.
        step: StepRef,
        /// The option chosen.
        option: usize,
    },
    /// An exercise observer's note.
    ObserverNote,
}

/// What a form is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormPurpose {
    /// Start a response on this runbook.
    Start(String),
    /// Someone else takes the keyboard.
    Actor,
    /// An unscripted exercise inject: from, channel, text.
    Inject,
    /// A lesson learned: kind, text, owner, due.
    Lesson,
    /// When the council became aware: time, why; then open this runbook,
    /// whose deadlines count from it, when one is waiting.
    Awareness(Option<String>),
}

/// A dialog.
pub enum Dialog {
    /// Every key.
    Help,
    /// A one-line answer.
    Prompt {
        /// What for.
        purpose: PromptPurpose,
        /// The question.
        title: String,
        /// The answer so far.
        input: String,
    },
    /// A multi-line text.
    Editor {
        /// What for.
        purpose: EditorPurpose,
        /// Its title.
        title: String,
        /// The text being edited.
        area: Box<TextArea<'static>>,
        /// A note's "happened at" field (Ctrl-T): empty means now.
        when: String,
        /// True while typing in the "happened at" field.
        on_when: bool,
    },
    /// A few one-line fields.
    Form {
        /// What for.
        purpose: FormPurpose,
        /// Labels and values.
        fields: Vec<(String, String)>,
        /// The field being typed in.
        focus: usize,
    },
    /// Choose an option of a decision step.
    Decision {
        /// The step.
        step: StepRef,
        /// The option highlighted.
        cursor: usize,
    },
    /// Choose a journal entry to correct.
    Pick {
        /// Seqs, latest first.
        items: Vec<u64>,
        /// The highlighted one.
        cursor: usize,
    },
    /// Score a manual exercise expectation.
    Score {
        /// The manual expectations of delivered injects.
        items: Vec<ManualItem>,
        /// The highlighted one.
        cursor: usize,
    },
    /// Resume a journal whose session never ended?
    Resume {
        /// The journal.
        path: PathBuf,
        /// Its incident name (printable).
        incident: String,
    },
    /// The session is ended: the closing witness code (`App::closing`) to
    /// copy onto the paper log; any key leaves.
    Closed,
    /// Mark a step done although some of its checks are not ticked?
    ConfirmDone {
        /// The step.
        step: StepRef,
        /// Checks not ticked.
        unticked: usize,
        /// Checks the step has.
        checks: usize,
    },
}

impl Dialog {
    /// A one-line prompt.
    pub fn prompt(purpose: PromptPurpose, title: &str) -> Self {
        Dialog::Prompt {
            purpose,
            title: title.to_owned(),
            input: String::new(),
        }
    }

    /// An empty editor.
    pub fn editor(purpose: EditorPurpose, title: &str) -> Self {
        Dialog::Editor {
            purpose,
            title: title.to_owned(),
            area: Box::new(TextArea::default()),
            when: String::new(),
            on_when: false,
        }
    }

    /// A form with these fields and values.
    pub fn form(purpose: FormPurpose, fields: &[(&str, String)]) -> Self {
        Dialog::Form {
            purpose,
            fields: fields
                .iter()
                .map(|(l, v)| ((*l).to_owned(), v.clone()))
                .collect(),
            focus: 0,
        }
    }

    /// The decision picker.
    pub fn decision(step: StepRef) -> Self {
        Dialog::Decision { step, cursor: 0 }
    }
}

fn ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

/// Handles a key for the top dialog (already popped: push it back to keep it).
pub fn handle_key(app: &mut App<'_>, dialog: Dialog, key: KeyEvent) -> Action {
    match dialog {
        Dialog::Help => {}
        Dialog::Prompt {
            purpose,
            title,
            mut input,
        } => match key.code {
            KeyCode::Esc => {}
            KeyCode::Enter if purpose == PromptPurpose::Seek => {
                if let Err(e) = super::replay::seek_to_text(app, &input) {
                    app.error(e);
                    app.dialogs.push(Dialog::Prompt {
                        purpose,
                        title,
                        input,
                    });
                }
            }
            KeyCode::Enter => {
                let command = match &purpose {
                    PromptPurpose::Seek => return Action::Continue,
                    PromptPurpose::Skip(step) => Command::Skip {
                        step: step.clone(),
                        reason: input.trim().to_owned(),
                    },
                    PromptPurpose::Block(step) => Command::Block {
                        step: step.clone(),
                        reason: input.trim().to_owned(),
                    },
                };
                if app.execute(&command) {
                    app.status = None;
                    clear_selection(app);
                } else {
                    app.dialogs.push(Dialog::Prompt {
                        purpose,
                        title,
                        input,
                    });
                }
            }
            code => {
                edit_line(&mut input, code, key.modifiers);
                app.dialogs.push(Dialog::Prompt {
                    purpose,
                    title,
                    input,
                });
            }
        },
        Dialog::Editor {
            purpose,
            title,
            mut area,
            mut when,
            mut on_when,
        } => {
            let note = purpose == EditorPurpose::Note;
            if key.code == KeyCode::Esc {
                app.info("not saved");
                return Action::Continue;
            } else if ctrl(&key, 's') || ctrl(&key, 'd') {
                let text = area.lines().join("\n").trim_end().to_owned();
                let command = match &purpose {
                    EditorPurpose::ObserverNote => {
                        if text.trim().is_empty() {
                            app.error("an empty note says nothing: write it, or Esc");
                        } else if app.observer_note(&text) {
                            app.info("observer note saved to the journal");
                            return Action::Continue;
                        }
                        None
                    }
                    EditorPurpose::Note => match happened_at(app, &when) {
                        Ok(happened_at) => Some(Command::Note { text, happened_at }),
                        Err(e) => {
                            app.error(e);
                            None
                        }
                    },
                    EditorPurpose::Correct(of) => Some(Command::Correct {
                        of: *of,
                        replacement: text,
                    }),
                    EditorPurpose::Rationale { step, option } => Some(Command::Decide {
                        step: step.clone(),
                        option: *option,
                        rationale: text,
                    }),
                };
                if let Some(command) = command
                    && app.execute(&command)
                {
                    match &command {
                        Command::Note {
                            happened_at: Some(t),
                            ..
                        } => app.info(format!(
                            "saved to the journal: happened {}",
                            t.format("%a %d %b %H:%M")
                        )),
                        _ => app.info("saved to the journal"),
                    }
                    clear_selection(app);
                    return Action::Continue;
                }
            } else if note && (ctrl(&key, 't') || (on_when && key.code == KeyCode::Enter)) {
                on_when = !on_when;
            } else if on_when {
                edit_line(&mut when, key.code, key.modifiers);
            } else {
                area.input(key);
            }
            app.dialogs.push(Dialog::Editor {
                purpose,
                title,
                area,
                when,
                on_when,
            });
        }
        Dialog::Form {
            purpose,
            mut fields,
            mut focus,
        } => match key.code {
            KeyCode::Esc => {}
            KeyCode::Tab | KeyCode::Down => {
                focus = (focus + 1) % fields.len().max(1);
                app.dialogs.push(Dialog::Form {
                    purpose,
                    fields,
                    focus,
                });
            }
            KeyCode::BackTab | KeyCode::Up => {
                focus = (focus + fields.len().max(1) - 1) % fields.len().max(1);
                app.dialogs.push(Dialog::Form {
                    purpose,
                    fields,
                    focus,
                });
            }
            KeyCode::Enter if focus + 1 < fields.len() => {
                focus += 1;
                app.dialogs.push(Dialog::Form {
                    purpose,
                    fields,
                    focus,
                });
            }
            KeyCode::Enter => submit_form(app, purpose, fields, focus),
            code => {
                if let Some((_, value)) = fields.get_mut(focus) {
                    edit_line(value, code, key.modifiers);
                }
                app.dialogs.push(Dialog::Form {
                    purpose,
                    fields,
                    focus,
                });
            }
        },
        Dialog::Decision { step, cursor } => {
            let options = app
                .definition(&step.runbook)
                .and_then(|r| r.step(&step.step))
                .and_then(|s| s.decision.as_ref())
                .map_or(0, |d| d.options.len());
            match key.code {
                KeyCode::Esc => {}
                KeyCode::Up | KeyCode::Down => app.dialogs.push(Dialog::Decision {
                    step,
                    cursor: list_cursor(cursor, options, key.code),
                }),
                KeyCode::Char(c @ '1'..='9') if (c as usize - '1' as usize) < options => {
                    let option = c as usize - '1' as usize;
                    app.dialogs.push(Dialog::editor(
                        EditorPurpose::Rationale { step, option },
                        "Why this option? (rationale, required)",
                    ));
                }
                KeyCode::Enter if options > 0 => app.dialogs.push(Dialog::editor(
                    EditorPurpose::Rationale {
                        step,
                        option: cursor,
                    },
                    "Why this option? (rationale, required)",
                )),
                _ => app.dialogs.push(Dialog::Decision { step, cursor }),
            }
        }
        Dialog::Pick { items, cursor } => match key.code {
            KeyCode::Esc => {}
            KeyCode::Up | KeyCode::Down => app.dialogs.push(Dialog::Pick {
                cursor: list_cursor(cursor, items.len(), key.code),
                items,
            }),
            KeyCode::Enter => match items.get(cursor) {
                Some(&seq) => app.dialogs.push(Dialog::editor(
                    EditorPurpose::Correct(seq),
                    &format!("Correction of entry #{seq}: what it should say, and why"),
                )),
                None => app.dialogs.push(Dialog::Pick { items, cursor }),
            },
            _ => app.dialogs.push(Dialog::Pick { items, cursor }),
        },
        Dialog::Score { items, cursor } => match key.code {
            KeyCode::Esc => {}
            KeyCode::Up | KeyCode::Down => app.dialogs.push(Dialog::Score {
                cursor: list_cursor(cursor, items.len(), key.code),
                items,
            }),
            KeyCode::Char(c @ '1'..='4') => {
                let outcome = MANUAL_SCORES[c as usize - '1' as usize];
                match items.get(cursor) {
                    Some(item) if app.score_manual(item, outcome) => {
                        app.info(format!("scored {}: {}", item.expectation, outcome.as_str()));
                    }
                    _ => app.dialogs.push(Dialog::Score { items, cursor }),
                }
            }
            _ => app.dialogs.push(Dialog::Score { items, cursor }),
        },
        Dialog::Resume { path, incident } => match key.code {
            KeyCode::Char('y' | 'Y') | KeyCode::Enter => app.resume(&path),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                app.info("not resumed: the journal stays as it is");
            }
            _ => app.dialogs.push(Dialog::Resume { path, incident }),
        },
        Dialog::Closed => return Action::Quit,
        Dialog::ConfirmDone {
            step,
            unticked,
            checks,
        } => match key.code {
            KeyCode::Enter | KeyCode::Char('y' | 'Y') => {
                if app.execute(&Command::Done(step)) {
                    app.step_recorded();
                }
            }
            KeyCode::Esc | KeyCode::Char('n' | 'N') => {
                app.info("not marked done: Space or 1-9 ticks a check");
            }
            // Anything else, `d` held down included, leaves the question open.
            _ => app.dialogs.push(Dialog::ConfirmDone {
                step,
                unticked,
                checks,
            }),
        },
    }
    Action::Continue
}

/// A note's "happened at" field: empty is now (`None`); `HH:MM` is the
/// latest such time not after now (today's, else yesterday's: "called the ICO
/// at 23:50" written at 00:10); `YYYY-MM-DD HH:MM` is a local date and time;
/// RFC 3339 is taken as written. Local means the screen's zone.
fn happened_at(app: &App<'_>, text: &str) -> Result<Option<DateTime<FixedOffset>>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(t));
    }
    let now = app.local(app.now);
    let naive = if let Ok(time) = NaiveTime::parse_from_str(text, "%H:%M") {
        let today = now.date_naive().and_time(time);
        if today > now.naive_local() {
            today - TimeDelta::days(1)
        } else {
            today
        }
    } else if let Ok(at) = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M") {
        at
    } else {
        return Err(format!(
            "not a time: {:?} (HH:MM or YYYY-MM-DD HH:MM)",
            printable_line(text)
        ));
    };
    let local = match app.zone {
        Some(zone) => zone.from_local_datetime(&naive).single(),
        // The offset in force at that time, not now's (a summer time change).
        None => Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.fixed_offset()),
    };
    local
        .map(Some)
        .ok_or_else(|| format!("{naive} does not exist in the local time zone"))
}

fn clear_selection(app: &mut App<'_>) {
    if let Some(r) = app.response.as_mut() {
        r.selected = None;
    }
}

/// Typing into a one-line field.
fn edit_line(value: &mut String, code: KeyCode, modifiers: KeyModifiers) {
    match code {
        KeyCode::Backspace => {
            value.pop();
        }
        KeyCode::Char('u') if modifiers.contains(KeyModifiers::CONTROL) => value.clear(),
        KeyCode::Char(c) if !modifiers.contains(KeyModifiers::CONTROL) && !c.is_control() => {
            value.push(c);
        }
        _ => {}
    }
}

fn submit_form(
    app: &mut App<'_>,
    purpose: FormPurpose,
    fields: Vec<(String, String)>,
    focus: usize,
) {
    let value = |i: usize| {
        fields
            .get(i)
            .map(|f| f.1.trim().to_owned())
            .unwrap_or_default()
    };
    // Fields labelled "(optional)" may stay empty.
    let missing = fields
        .iter()
        .find(|f| f.1.trim().is_empty() && !f.0.ends_with("(optional)"));
    if let Some((label, _)) = missing {
        app.error(format!("{label} is required"));
        app.dialogs.push(Dialog::Form {
            purpose,
            fields,
            focus,
        });
        return;
    }
    // What was saved, to say so; `None` keeps the form open with its text
    // (the refusal is already in the status line).
    let saved = match &purpose {
        FormPurpose::Start(runbook) => {
            let (incident, name, role) = (value(0), value(1), value(2));
            app.last = LastSession {
                incident: incident.clone(),
                name: name.clone(),
                role: role.clone(),
            };
            // Remembered now, not at exit, so that a crash or a kill keeps
            // them. A convenience only: a failure is said and stops nothing.
            let remembered = match &app.last_path {
                Some(path) => app.last.save_to(path).map(drop),
                None => Ok(()),
            };
            app.start_response(runbook, &incident, Actor { name, role });
            if app.screen == Screen::Run
                && let Err(e) = remembered
            {
                app.error(format!(
                    "started; these answers could not be remembered for next time: {e}"
                ));
            }
            // The response says what happened in the status line itself.
            (app.screen == Screen::Run).then_some(None)
        }
        FormPurpose::Inject => app
            .unscripted_inject(&value(0), &value(1), &value(2))
            .then_some(Some("unscripted inject delivered")),
        FormPurpose::Lesson => {
            let optional = |i: usize| Some(value(i)).filter(|v| !v.is_empty());
            match lesson_category(&value(0)) {
                Some(category) => app
                    .record_lesson(category, &value(1), optional(2), optional(3))
                    .then_some(Some("lesson saved to the journal: L adds another")),
                None => {
                    app.error("Kind: went well, did not go well, or action");
                    None
                }
            }
        }
        FormPurpose::Awareness(then_open) => {
            let reason = Some(value(1)).filter(|v| !v.is_empty());
            match happened_at(app, &value(0)) {
                Err(e) => {
                    app.error(e);
                    None
                }
                Ok(at) => {
                    let at = at.unwrap_or_else(|| app.local(app.now));
                    let set = app.execute(&Command::SetAwareness { at, reason });
                    if set && let Some(id) = then_open {
                        app.open_runbook(id);
                    }
                    set.then_some(Some(
                        "time of awareness recorded: deadlines from it are due from then",
                    ))
                }
            }
        }
        FormPurpose::Actor => {
            let command = Command::ChangeActor {
                name: value(0),
                role: value(1),
            };
            app.execute(&command)
                .then_some(Some("at the keyboard now: the journal says so"))
        }
    };
    match saved {
        Some(Some(message)) => app.info(message),
        Some(None) => {}
        None => app.dialogs.push(Dialog::Form {
            purpose,
            fields,
            focus,
        }),
    }
}

/// A centred rectangle of at most `w`×`h` inside `area`.
fn centred(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Every key, for the help overlay.
pub const KEYS: &[(&str, &str)] = &[
    ("Library", ""),
    ("type", "search (fuzzy); Backspace deletes, Esc clears"),
    ("Up/Down", "choose a runbook (PgUp/PgDn, Home/End)"),
    ("Enter", "start a response (or open it in the current one)"),
    ("Esc", "clear the search; back to the response; quit"),
    ("Run", ""),
    (
        "d",
        "mark the step done (a decision step asks for its option)",
    ),
    ("g", "go: start the step (the journal says when work began)"),
    ("s", "skip the step (reason required)"),
    ("Space / 1-9", "tick the next check / check number n"),
    ("D / Enter", "take the decision: option, then rationale"),
    ("b", "block the step (reason), or unblock it"),
    ("n", "write a note (Ctrl-T: when it happened; Ctrl-S saves)"),
    ("c", "correct an earlier entry (nothing is erased)"),
    ("a", "change who is at the keyboard"),
    (
        "A",
        "when we became aware: the ICO's 72 hours count from it",
    ),
    (
        "o / Tab",
        "open another runbook in this response / switch runbooks",
    ),
    (
        "Up/Down",
        "look at another step; Esc back to the current one",
    ),
    ("q", "quit (the journal records the end of the session)"),
    ("? / Ctrl-C", "this help (any key closes it) / quit"),
];

/// The facilitator's keys in an exercise, for the help overlay.
pub const EXERCISE_KEYS: &[(&str, &str)] = &[
    ("Exercise", "(facilitator; the run keys work as above)"),
    ("p", "pause or resume the exercise clock"),
    ("+ / -", "speed up or slow down (1x to 60x)"),
    ("M", "manual mode on/off (time moves only with f)"),
    ("f", "fire the next inject now"),
    ("i", "add an unscripted inject"),
    ("w", "write an observer note"),
    ("m", "score a manual expectation"),
    ("E / L", "end the exercise / record a lesson learned"),
];

/// The replay keys, for the help overlay.
pub const REPLAY_KEYS: &[(&str, &str)] = &[
    ("Replay", "(read-only: nothing is written)"),
    ("Space", "play or pause"),
    ("+ / -", "faster or slower (1x to 600x)"),
    ("Right / Left", "step one entry forward or back"),
    ("g", "go to a time: T+ as 1h30m or 01:30:00"),
    ("Home / End", "the start / the end of the journal"),
    ("Tab, Up/Down", "switch runbook, look at another step"),
    ("q / ? ", "quit / this help"),
];

/// The help overlay's lines for the mode the app is in.
fn help_keys(app: &App<'_>) -> Vec<(&'static str, &'static str)> {
    if app.replay.is_some() {
        return REPLAY_KEYS.to_vec();
    }
    if app.exercise.is_some() {
        // The run keys in short, so facilitator and players fit at 80x24.
        let mut keys = vec![
            ("Players", "(every run key works as in a response)"),
            ("d g s b Spc", "done, start, skip, block, tick a check"),
            (
                "D n c a",
                "decide, note, correct, change who is at the keyboard",
            ),
            ("o Tab q ?", "open a runbook, switch, quit, this help"),
        ];
        keys.extend_from_slice(EXERCISE_KEYS);
        return keys;
    }
    KEYS.to_vec()
}

/// Draws the top dialog, if any.
pub fn draw(frame: &mut Frame<'_>, app: &App<'_>) {
    let Some(dialog) = app.dialogs.last() else {
        return;
    };
    let theme = &app.theme;
    let full = frame.area();
    match dialog {
        Dialog::Help => {
            let keys = help_keys(app);
            let area = centred(full, 76, keys.len() as u16 + 2);
            let lines: Vec<Line<'_>> = keys
                .iter()
                .map(|(k, what)| {
                    if what.is_empty() {
                        Line::from(Span::styled(*k, theme.accent))
                    } else {
                        Line::from(vec![
                            Span::styled(format!("  {k:<12}"), theme.key),
                            Span::raw(*what),
                        ])
                    }
                })
                .collect();
            frame.render_widget(Clear, area);
            frame.render_widget(
                Paragraph::new(lines).block(theme.block(" Keys (any key closes) ")),
                area,
            );
        }
        Dialog::Prompt { title, input, .. } => {
            let area = centred(full, 70, 4);
            frame.render_widget(Clear, area);
            let text = vec![
                Line::from(Span::raw(format!("> {}_", printable_line(input)))),
                Line::from(Span::styled("Enter saves, Esc cancels", theme.dim)),
            ];
            frame.render_widget(
                Paragraph::new(text).block(theme.block(format!(" {title} "))),
                area,
            );
        }
        Dialog::Editor {
            purpose,
            title,
            area: text,
            when,
            on_when,
        } => {
            let note = *purpose == EditorPurpose::Note;
            let area = centred(full, 76, 14);
            frame.render_widget(Clear, area);
            let block = theme.block(format!(" {title} "));
            let inner = block.inner(area);
            frame.render_widget(block, area);
            let [edit, happened, hint] = Layout::vertical([
                Constraint::Min(1),
                Constraint::Length(u16::from(note)),
                Constraint::Length(1),
            ])
            .areas(inner);
            frame.render_widget(&**text, edit);
            let (value, style) = match (when.trim().is_empty(), *on_when) {
                (_, true) => (format!("{}_", printable_line(when)), theme.selected),
                (true, false) => ("now".to_owned(), theme.text),
                (false, false) => (printable_line(when).into_owned(), theme.text),
            };
            frame.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled("Happened at: ", theme.accent),
                    Span::styled(value, style),
                    Span::styled("  (HH:MM or YYYY-MM-DD HH:MM)", theme.dim),
                ])),
                happened,
            );
            let keys = if note {
                "Ctrl-S saves, Ctrl-T when it happened, Esc cancels"
            } else {
                "Ctrl-S or Ctrl-D saves to the journal, Esc cancels"
            };
            frame.render_widget(Paragraph::new(Span::styled(keys, theme.dim)), hint);
        }
        Dialog::Form {
            purpose,
            fields,
            focus,
        } => {
            let title = match purpose {
                FormPurpose::Start(_) => " Start a response ",
                FormPurpose::Actor => " Who is at the keyboard? ",
                FormPurpose::Inject => " Unscripted inject ",
                FormPurpose::Lesson => " Lesson learned (went well / did not go well / action) ",
                FormPurpose::Awareness(_) => {
                    " Aware of the incident since: HH:MM or YYYY-MM-DD HH:MM "
                }
            };
            // The start form says which runbook Enter will start, so a
            // search that highlighted the wrong one is caught here.
            let mut lines: Vec<Line<'_>> = Vec::new();
            if let FormPurpose::Start(id) = purpose {
                let title = app.definition(id).map_or(id.as_str(), |r| r.title.as_str());
                lines.push(Line::from(vec![
                    Span::styled(format!("{:>14}: ", "Runbook"), theme.accent),
                    Span::styled(printable_line(title).into_owned(), theme.text),
                ]));
                lines.push(Line::from(vec![
                    Span::raw(" ".repeat(16)),
                    Span::styled(printable_line(id).into_owned(), theme.dim),
                ]));
            }
            // Wide enough for a runbook's whole title at 80 columns.
            let width = if lines.is_empty() { 64 } else { 78 };
            let area = centred(full, width, (fields.len() + lines.len()) as u16 + 4);
            frame.render_widget(Clear, area);
            lines.extend(fields.iter().enumerate().map(|(i, (label, value))| {
                let cursor = if i == *focus { "_" } else { "" };
                let style = if i == *focus {
                    theme.selected
                } else {
                    theme.text
                };
                Line::from(vec![
                    Span::styled(format!("{label:>14}: "), theme.accent),
                    Span::styled(format!("{}{cursor}", printable_line(value)), style),
                ])
            }));
            lines.push(Line::default());
            lines.push(Line::from(Span::styled(
                if matches!(purpose, FormPurpose::Start(_)) {
                    "Tab next field, Enter on the last starts, Esc cancels"
                } else {
                    "Tab next field, Enter on the last saves, Esc cancels"
                },
                theme.dim,
            )));
            frame.render_widget(Paragraph::new(lines).block(theme.block(title)), area);
        }
        Dialog::Decision { step, cursor } => {
            let decision = app
                .definition(&step.runbook)
                .and_then(|r| r.step(&step.step))
                .and_then(|s| s.decision.as_ref());
            let Some(decision) = decision else {
                return;
            };
            let mut lines = vec![
                Line::from(Span::styled(
                    printable_line(&decision.question).into_owned(),
                    theme.accent,
                )),
                Line::default(),
            ];
            for (i, option) in decision.options.iter().enumerate() {
                let style = if i == *cursor {
                    theme.selected
                } else {
                    theme.text
                };
                lines.push(Line::from(Span::styled(
                    format!(
                        " {}. {}  {} {}",
                        i + 1,
                        printable_line(&option.label),
                        theme.symbols.arrow,
                        printable_line(&option.goto.to_string())
                    ),
                    style,
                )));
            }
            lines.push(Line::default());
            lines.push(Line::from(Span::styled(
                "Up/Down or 1-9 choose, Enter then write the rationale, Esc cancels",
                theme.dim,
            )));
            // As tall as the wrapped question and options: a long question
            // must never push an option out of sight.
            message_box(frame, app, full, 76, " Decision ", lines);
        }
        Dialog::Pick { items, cursor } => {
            let area = centred(full, 76, 16);
            frame.render_widget(Clear, area);
            let log = app
                .response
                .as_ref()
                .map(|r| r.log.as_slice())
                .unwrap_or(&[]);
            let height = area.height.saturating_sub(3) as usize;
            let mut lines = list_rows(theme, items, *cursor, height, |seq| {
                log.iter()
                    .find(|l| l.seq == *seq)
                    .map(|l| {
                        format!(
                            "#{seq:<4} {} {}",
                            app.local(l.at).format("%H:%M:%S"),
                            l.text
                        )
                    })
                    .unwrap_or_else(|| format!("#{seq}"))
            });
            lines.push(Line::from(Span::styled(
                "Up/Down choose, Enter write the correction, Esc cancels",
                theme.dim,
            )));
            frame.render_widget(
                Paragraph::new(lines).block(theme.block(" Correct which entry? ")),
                area,
            );
        }
        Dialog::Score { items, cursor } => {
            let area = centred(full, 76, 16);
            frame.render_widget(Clear, area);
            let height = area.height.saturating_sub(4) as usize;
            let scored = |item: &ManualItem| {
                app.response.as_ref().and_then(|r| {
                    r.state
                        .scores
                        .iter()
                        .rev()
                        .find(|s| s.inject == item.inject && s.expectation == item.expectation)
                        .map(|s| printable_line(&s.score).into_owned())
                })
            };
            let mut lines = list_rows(theme, items, *cursor, height, |item| {
                format!(
                    "{}/{} [{}] {}",
                    printable_line(&item.inject),
                    printable_line(&item.expectation),
                    scored(item).unwrap_or_else(|| "not scored".to_owned()),
                    item.description
                )
            });
            lines.push(Line::default());
            lines.push(Line::from(Span::styled(
                "Up/Down choose; 1 met, 2 late, 3 partial, 4 missed; Esc closes",
                theme.dim,
            )));
            frame.render_widget(
                Paragraph::new(lines).block(theme.block(" Score a manual expectation ")),
                area,
            );
        }
        Dialog::ConfirmDone {
            unticked, checks, ..
        } => {
            let lines = vec![
                Line::from(format!("{unticked} of {checks} checks are not ticked.")),
                Line::default(),
                Line::from(vec![
                    Span::styled("y", theme.key),
                    Span::raw(" done anyway, "),
                    Span::styled("n", theme.key),
                    Span::raw(" back to tick them (Space, 1-9)"),
                ]),
            ];
            message_box(frame, app, full, 64, " Mark the step done? ", lines);
        }
        Dialog::Closed => {
            let Some(closing) = &app.closing else {
                return;
            };
            let lines = vec![
                Line::from("The session is ended and on disk."),
                Line::default(),
                Line::from(vec![
                    Span::raw("Closing witness code: "),
                    Span::styled(printable_line(&closing.witness).into_owned(), theme.accent),
                ]),
                Line::from("Write it on the paper log, with the time."),
                Line::from(Span::styled(
                    printable_line(&closing.path.display().to_string()).into_owned(),
                    theme.dim,
                )),
                Line::from(Span::styled("Any key leaves.", theme.dim)),
            ];
            message_box(frame, app, full, 72, " Leaving ", lines);
        }
        Dialog::Resume { path, incident } => {
            let lines = vec![
                Line::from(format!("Incident: {incident}")),
                Line::from(Span::styled(
                    printable_line(&path.display().to_string()).into_owned(),
                    theme.dim,
                )),
                Line::default(),
                Line::from(vec![
                    Span::styled("y", theme.key),
                    Span::raw(" resume it, "),
                    Span::styled("n", theme.key),
                    Span::raw(" go to the library"),
                ]),
            ];
            message_box(
                frame,
                app,
                full,
                72,
                " A response was not ended: resume it? ",
                lines,
            );
        }
    }
}

/// A centred box of `width` with a title and wrapped lines, as tall as they
/// need.
fn message_box(
    frame: &mut Frame<'_>,
    app: &App<'_>,
    full: Rect,
    width: u16,
    title: &'static str,
    lines: Vec<Line<'_>>,
) {
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let height = u16::try_from(paragraph.line_count(width.saturating_sub(2)))
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let area = centred(full, width, height);
    frame.render_widget(Clear, area);
    frame.render_widget(paragraph.block(app.theme.block(title)), area);
}

/// The rows of a list dialog that fit in `height`, scrolled so the cursor's
/// row (highlighted) is on screen.
fn list_rows<T>(
    theme: &super::theme::Theme,
    items: &[T],
    cursor: usize,
    height: usize,
    text: impl Fn(&T) -> String,
) -> Vec<Line<'static>> {
    let start = cursor.saturating_sub(height.saturating_sub(1));
    items
        .iter()
        .enumerate()
        .skip(start)
        .take(height)
        .map(|(i, item)| {
            let style = if i == cursor {
                theme.selected
            } else {
                theme.text
            };
            Line::from(Span::styled(text(item), style))
        })
        .collect()
}

/// A list's cursor after Up or Down, kept on one of its `len` rows.
pub(super) fn list_cursor(cursor: usize, len: usize, code: KeyCode) -> usize {
    match code {
        KeyCode::Up => cursor.saturating_sub(1),
        KeyCode::Down => (cursor + 1).min(len.saturating_sub(1)),
        _ => cursor,
    }
}
