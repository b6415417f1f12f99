//! Dialogs over a screen: each knows its keys and how it draws, and what it
//! asks for comes back as an [`Intent`] that the screen applies.
//!
//! One-line prompts (skip and block reasons), a multi-line editor (notes,
//! rationales, corrections: `ratatui-textarea`), small forms (starting a
//! response, changing who is at the keyboard), the decision picker, the entry
//! picker for corrections, the resume question and the `?` help. A dialog
//! never touches the response: [`handle_key`] returns a [`Reply`], and a
//! dialog whose intent is refused goes back on the stack with its text (the
//! refusal shows in the status line): nothing typed is lost. What a dialog
//! shows of the response (a decision's options, the entries to correct) is
//! copied in when it opens, so drawing needs nothing else.

use std::path::PathBuf;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui_textarea::TextArea;

use super::keys::Help;
use super::theme::Theme;
use crate::exercise::Outcome;
use crate::response::{ClockRequest, Command, StepRef};
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
    /// What the facilitator saw that earns this score.
    ScoreComment(ManualItem, Outcome),
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
    /// Someone signs in to the exercise: name, role, team, capacity.
    SignIn,
    /// When the council became aware: time, why; then open this runbook,
    /// whose deadlines count from it, when one is waiting.
    Awareness(Option<String>),
    /// A deadline of the response's own: what, due (a time or a period),
    /// basis.
    Deadline,
    /// Which deadline of the response's own was met: its id.
    DeadlineMet,
    /// Which kind of case to add to this runbook's register.
    CaseKind(String),
    /// A case for the register of (runbook, kind): reference, when
    /// received, then the kind's fields in order.
    Case(String, String),
}

/// A manual exercise expectation, for the scoring picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualItem {
    /// Inject id.
    pub inject: String,
    /// Expectation id.
    pub expectation: String,
    /// What is expected, in words (printable).
    pub description: String,
    /// Its latest score, if it has one (printable).
    pub scored: Option<String>,
}

/// What the facilitator scores a manual expectation, by the keys 1 to 4.
pub const MANUAL_SCORES: [Outcome; 4] = [
    Outcome::Met,
    Outcome::Late,
    Outcome::Partial,
    Outcome::Missed,
];

/// A dialog.
pub enum Dialog {
    /// The keys of the screen under it: rows from its key tables (a row
    /// with no text is a heading).
    Help(Help),
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
        /// Above the fields, in the start form: the runbook's title and id
        /// (printable), so a search that highlighted the wrong one is caught.
        about: Option<(String, String)>,
        /// Labels and values.
        fields: Vec<(String, String)>,
        /// Per field, the values it offers (Left and Right step through
        /// them; typing still works); empty for free text.
        choices: Vec<Vec<String>>,
        /// The field being typed in.
        focus: usize,
    },
    /// Choose an option of a decision step.
    Decision {
        /// The step.
        step: StepRef,
        /// The question (printable).
        question: String,
        /// Each option as shown: label and where it goes (printable).
        options: Vec<(String, String)>,
        /// The option highlighted.
        cursor: usize,
    },
    /// Choose a journal entry to correct.
    Pick {
        /// Seqs, latest first, each with its line as shown.
        items: Vec<(u64, String)>,
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
    /// The session is ended: the closing witness code to copy onto the
    /// paper log; any key leaves.
    Closed {
        /// The journal (printable).
        path: String,
        /// The closing witness code (printable).
        witness: String,
    },
    /// Text to read over the whole screen, wrapped and scrolled, built by
    /// the exercise screen: the brief (scenario, objectives, who is signed
    /// in, the ground rules; the clock stands at T+0 until the facilitator
    /// starts it from here), every inject delivered, the facilitator's aids.
    Reading {
        /// The title.
        title: String,
        /// The lines (printable), wrapped when drawn.
        lines: Vec<Line<'static>>,
        /// Lines scrolled past.
        scroll: u16,
        /// True while play has not begun: Enter starts the clock.
        before_play: bool,
    },
    /// End play for good (ENDEX)?
    ConfirmEndex,
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

/// What a dialog asks the screen under it to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// Say this in the status line.
    Say(String),
    /// Execute a core command (a skip, a block, a correction, a decision,
    /// a change of who is at the keyboard, a step done).
    Command(Command),
    /// A note, with its "happened at" field as typed.
    Note {
        /// The text.
        text: String,
        /// When it happened, as typed (empty: now).
        when: String,
    },
    /// An observer's note in an exercise.
    ObserverNote(String),
    /// A facilitator's command in an exercise (journaled as the facilitator
    /// signed in, never as the player at the keyboard).
    Facilitate(Command),
    /// The answers of a form, in field order.
    Form(FormPurpose, Vec<String>),
    /// Open the sign-in form (the screen knows the exercise's roles and
    /// teams to offer).
    SignIn,
    /// Score a manual expectation, with the facilitator's comment.
    Score(ManualItem, Outcome, String),
    /// Go to this exercise time in a replay, as typed.
    Seek(String),
    /// Resume this journal.
    Resume(PathBuf),
    /// Leave the interface.
    Leave,
}

/// What became of a dialog after a key.
pub enum Reply {
    /// It stays (or gives way to this one).
    Keep(Dialog),
    /// It closed and asks for nothing.
    Close,
    /// It closed; apply this.
    Do(Intent),
    /// Apply this; if it is refused, the dialog goes back as it was.
    Try(Dialog, Intent),
    /// It stays, and the status line says why it did not close.
    Refuse(Dialog, String),
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
            about: None,
            fields: fields
                .iter()
                .map(|(l, v)| ((*l).to_owned(), v.clone()))
                .collect(),
            choices: Vec::new(),
            focus: 0,
        }
    }

    /// The form, with field `field` offering `values` to choose from.
    pub fn with_choices(mut self, field: usize, values: Vec<String>) -> Self {
        if let Dialog::Form { choices, .. } = &mut self {
            if choices.len() <= field {
                choices.resize(field + 1, Vec::new());
            }
            choices[field] = values;
        }
        self
    }

    /// The help over the rows of these key tables.
    pub fn help(rows: Vec<(&'static str, &'static str)>) -> Self {
        Dialog::Help(Help::new(rows))
    }
}

fn ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

/// Handles a key for a dialog (taken off the stack: [`Reply`] says whether
/// it goes back).
pub fn handle_key(dialog: Dialog, key: KeyEvent) -> Reply {
    match dialog {
        Dialog::Help(mut help) => match help.key(key.code) {
            true => Reply::Keep(Dialog::Help(help)),
            false => Reply::Close,
        },
        Dialog::Prompt {
            purpose,
            title,
            mut input,
        } => match key.code {
            KeyCode::Esc => Reply::Close,
            KeyCode::Enter => {
                let intent = match &purpose {
                    PromptPurpose::Seek => Intent::Seek(input.clone()),
                    PromptPurpose::ScoreComment(item, outcome) => {
                        Intent::Score(item.clone(), *outcome, input.trim().to_owned())
                    }
                    PromptPurpose::Skip(step) => Intent::Command(Command::Skip {
                        step: step.clone(),
                        reason: input.trim().to_owned(),
                    }),
                    PromptPurpose::Block(step) => Intent::Command(Command::Block {
                        step: step.clone(),
                        reason: input.trim().to_owned(),
                    }),
                };
                Reply::Try(
                    Dialog::Prompt {
                        purpose,
                        title,
                        input,
                    },
                    intent,
                )
            }
            code => {
                edit_line(&mut input, code, key.modifiers);
                Reply::Keep(Dialog::Prompt {
                    purpose,
                    title,
                    input,
                })
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
                return Reply::Do(Intent::Say("not saved".to_owned()));
            }
            if ctrl(&key, 's') || ctrl(&key, 'd') {
                let text = area.lines().join("\n").trim_end().to_owned();
                let intent = match &purpose {
                    EditorPurpose::ObserverNote if text.trim().is_empty() => None,
                    EditorPurpose::ObserverNote => Some(Intent::ObserverNote(text)),
                    EditorPurpose::Note => Some(Intent::Note {
                        text,
                        when: when.clone(),
                    }),
                    EditorPurpose::Correct(of) => Some(Intent::Command(Command::Correct {
                        of: *of,
                        replacement: text,
                    })),
                    EditorPurpose::Rationale { step, option } => {
                        Some(Intent::Command(Command::Decide {
                            step: step.clone(),
                            option: *option,
                            rationale: text,
                        }))
                    }
                };
                let dialog = Dialog::Editor {
                    purpose,
                    title,
                    area,
                    when,
                    on_when,
                };
                return match intent {
                    Some(intent) => Reply::Try(dialog, intent),
                    None => Reply::Refuse(
                        dialog,
                        "an empty note says nothing: write it, or Esc".to_owned(),
                    ),
                };
            }
            if note && (ctrl(&key, 't') || (on_when && key.code == KeyCode::Enter)) {
                on_when = !on_when;
            } else if on_when {
                edit_line(&mut when, key.code, key.modifiers);
            } else {
                area.input(key);
            }
            Reply::Keep(Dialog::Editor {
                purpose,
                title,
                area,
                when,
                on_when,
            })
        }
        Dialog::Form {
            purpose,
            about,
            mut fields,
            choices,
            mut focus,
        } => {
            let count = fields.len().max(1);
            let offered = choices.get(focus).filter(|c| !c.is_empty());
            match key.code {
                KeyCode::Esc => return Reply::Close,
                KeyCode::Left | KeyCode::Right if offered.is_some() => {
                    if let (Some(offered), Some((_, value))) = (offered, fields.get_mut(focus)) {
                        *value = step_choice(offered, value, key.code == KeyCode::Right);
                    }
                }
                KeyCode::Tab | KeyCode::Down => focus = (focus + 1) % count,
                KeyCode::BackTab | KeyCode::Up => focus = (focus + count - 1) % count,
                KeyCode::Enter if focus + 1 < fields.len() => focus += 1,
                KeyCode::Enter => {
                    // Fields labelled "(optional)" may stay empty.
                    let missing = fields
                        .iter()
                        .find(|f| f.1.trim().is_empty() && !f.0.ends_with("(optional)"))
                        .map(|f| format!("{} is required", f.0));
                    let values = fields.iter().map(|f| f.1.trim().to_owned()).collect();
                    let form = Dialog::Form {
                        purpose: purpose.clone(),
                        about,
                        fields,
                        choices,
                        focus,
                    };
                    return match missing {
                        Some(why) => Reply::Refuse(form, why),
                        None => Reply::Try(form, Intent::Form(purpose, values)),
                    };
                }
                code => {
                    if let Some((_, value)) = fields.get_mut(focus) {
                        edit_line(value, code, key.modifiers);
                    }
                }
            }
            Reply::Keep(Dialog::Form {
                purpose,
                about,
                fields,
                choices,
                focus,
            })
        }
        Dialog::Decision {
            step,
            question,
            options,
            cursor,
        } => {
            let chosen = match key.code {
                KeyCode::Esc => return Reply::Close,
                KeyCode::Char(c @ '1'..='9') if (c as usize - '1' as usize) < options.len() => {
                    Some(c as usize - '1' as usize)
                }
                KeyCode::Enter if !options.is_empty() => Some(cursor),
                _ => None,
            };
            match chosen {
                Some(option) => Reply::Keep(Dialog::editor(
                    EditorPurpose::Rationale { step, option },
                    "Why this option? (rationale, required)",
                )),
                None => Reply::Keep(Dialog::Decision {
                    cursor: list_cursor(cursor, options.len(), key.code),
                    step,
                    question,
                    options,
                }),
            }
        }
        Dialog::Pick { items, cursor } => match key.code {
            KeyCode::Esc => Reply::Close,
            KeyCode::Enter => match items.get(cursor) {
                Some(&(seq, _)) => Reply::Keep(Dialog::editor(
                    EditorPurpose::Correct(seq),
                    &format!("Correction of entry #{seq}: what it should say, and why"),
                )),
                None => Reply::Keep(Dialog::Pick { items, cursor }),
            },
            code => Reply::Keep(Dialog::Pick {
                cursor: list_cursor(cursor, items.len(), code),
                items,
            }),
        },
        Dialog::Score { items, cursor } => match key.code {
            KeyCode::Esc => Reply::Close,
            KeyCode::Char(c @ '1'..='4') => {
                let outcome = MANUAL_SCORES[c as usize - '1' as usize];
                match items.get(cursor).cloned() {
                    // A score is a judgement: its grounds go with it.
                    Some(item) => Reply::Keep(Dialog::prompt(
                        PromptPurpose::ScoreComment(item, outcome),
                        &format!("Scored {}: what was seen that earns it?", outcome.as_str()),
                    )),
                    None => Reply::Keep(Dialog::Score { items, cursor }),
                }
            }
            code => Reply::Keep(Dialog::Score {
                cursor: list_cursor(cursor, items.len(), code),
                items,
            }),
        },
        Dialog::Resume { path, incident } => match key.code {
            KeyCode::Char('y' | 'Y') | KeyCode::Enter => Reply::Do(Intent::Resume(path)),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => Reply::Do(Intent::Say(
                "not resumed: the journal stays as it is".to_owned(),
            )),
            _ => Reply::Keep(Dialog::Resume { path, incident }),
        },
        Dialog::Closed { .. } => Reply::Do(Intent::Leave),
        Dialog::Reading {
            title,
            lines,
            scroll,
            before_play,
        } => match key.code {
            KeyCode::Enter if before_play => {
                Reply::Do(Intent::Facilitate(Command::Clock(ClockRequest::Resume)))
            }
            KeyCode::Down | KeyCode::PageDown | KeyCode::Up | KeyCode::PageUp => {
                let scroll = match key.code {
                    KeyCode::Down => scroll.saturating_add(1),
                    KeyCode::PageDown => scroll.saturating_add(10),
                    KeyCode::Up => scroll.saturating_sub(1),
                    _ => scroll.saturating_sub(10),
                };
                Reply::Keep(Dialog::Reading {
                    title,
                    lines,
                    scroll,
                    before_play,
                })
            }
            KeyCode::Char('S') if before_play => Reply::Do(Intent::SignIn),
            _ => Reply::Close,
        },
        Dialog::ConfirmEndex => match key.code {
            KeyCode::Char('y' | 'Y') => {
                Reply::Do(Intent::Facilitate(Command::Clock(ClockRequest::End)))
            }
            // Enter is not a yes here: ENDEX cannot be taken back.
            _ => Reply::Do(Intent::Say("play goes on: ENDEX not called".to_owned())),
        },
        Dialog::ConfirmDone {
            step,
            unticked,
            checks,
        } => match key.code {
            KeyCode::Enter | KeyCode::Char('y' | 'Y') => {
                Reply::Do(Intent::Command(Command::Done(step)))
            }
            KeyCode::Esc | KeyCode::Char('n' | 'N') => Reply::Do(Intent::Say(
                "not marked done: Space or 1-9 ticks a check".to_owned(),
            )),
            // Anything else, `d` held down included, leaves the question open.
            _ => Reply::Keep(Dialog::ConfirmDone {
                step,
                unticked,
                checks,
            }),
        },
    }
}

/// The sign-in form: name, role, team, and in which capacity, offering
/// the roles and teams the exercise declares (free text when it declares
/// none) and the three capacities.
pub fn sign_in_form(roles: Vec<String>, teams: Vec<String>) -> Dialog {
    Dialog::form(
        FormPurpose::SignIn,
        &[
            ("Name", String::new()),
            ("Role", String::new()),
            ("Team (optional)", String::new()),
            ("As", "player".to_owned()),
        ],
    )
    .with_choices(1, roles)
    .with_choices(2, teams)
    .with_choices(
        3,
        crate::response::CAPACITIES
            .iter()
            .map(|c| (*c).to_owned())
            .collect(),
    )
}

/// The value after `value` among `offered` (`forward`), or before it; the
/// first (or last) when `value` is none of them. Matched without case, as
/// the roster matches a typed name.
fn step_choice(offered: &[String], value: &str, forward: bool) -> String {
    let at = offered
        .iter()
        .position(|o| o.eq_ignore_ascii_case(value.trim()));
    let n = offered.len();
    let next = match (at, forward) {
        (Some(i), true) => (i + 1) % n,
        (Some(i), false) => (i + n - 1) % n,
        (None, true) => 0,
        (None, false) => n - 1,
    };
    offered[next].clone()
}

/// `items` set in lines of at most `width` columns, `sep` between them,
/// the one equal to `current` in `chosen` (for a form's offered values).
fn packed<'a>(
    items: &'a [String],
    current: &str,
    width: usize,
    text: ratatui::style::Style,
    chosen: ratatui::style::Style,
) -> Vec<Line<'a>> {
    const SEP: &str = " · ";
    let mut lines: Vec<Line<'a>> = Vec::new();
    let mut spans: Vec<Span<'a>> = Vec::new();
    let mut used = 0;
    for item in items {
        let w = item.chars().count();
        if used > 0 && used + SEP.len() + w > width {
            lines.push(Line::from(std::mem::take(&mut spans)));
            used = 0;
        }
        if used > 0 {
            spans.push(Span::styled(SEP, text));
            used += SEP.chars().count();
        }
        let style = if item.eq_ignore_ascii_case(current.trim()) {
            chosen
        } else {
            text
        };
        spans.push(Span::styled(item.as_str(), style));
        used += w;
    }
    if !spans.is_empty() {
        lines.push(Line::from(spans));
    }
    lines
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

/// Draws a dialog over the screen.
pub fn draw(frame: &mut Frame<'_>, theme: &Theme, dialog: &Dialog) {
    let full = frame.area();
    match dialog {
        Dialog::Help(help) => help.draw(frame, theme, 76),
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
            about,
            fields,
            choices,
            focus,
        } => {
            let title = match purpose {
                FormPurpose::Start(_) => " Start a response ",
                FormPurpose::Actor => " Who is at the keyboard? ",
                FormPurpose::Inject => " Unscripted inject ",
                FormPurpose::Lesson => " Lesson learned (went well / did not go well / action) ",
                FormPurpose::SignIn => " Sign in (As: player / facilitator / observer) ",
                FormPurpose::Awareness(_) => {
                    " Aware of the incident since: HH:MM or YYYY-MM-DD HH:MM "
                }
                FormPurpose::Deadline => {
                    " Deadline: due HH:MM, YYYY-MM-DD HH:MM, 4h, 1 working day "
                }
                FormPurpose::DeadlineMet => " Which deadline was met? (its id) ",
                FormPurpose::CaseKind(_) => " Which kind of case? ",
                FormPurpose::Case(..) => " New case: received HH:MM or YYYY-MM-DD HH:MM ",
            };
            // The start form says which runbook Enter will start, so a
            // search that highlighted the wrong one is caught here.
            let mut lines: Vec<Line<'_>> = Vec::new();
            if let Some((title, id)) = about {
                lines.push(Line::from(vec![
                    Span::styled(format!("{:>14}: ", "Runbook"), theme.accent),
                    Span::styled(title.clone(), theme.text),
                ]));
                lines.push(Line::from(vec![
                    Span::raw(" ".repeat(16)),
                    Span::styled(id.clone(), theme.dim),
                ]));
            }
            // Wide enough for a runbook's whole title at 80 columns.
            let width = if lines.is_empty() { 64 } else { 78 };
            // The focused field's offered values, under the fields.
            let offered = choices
                .get(*focus)
                .filter(|c| !c.is_empty())
                .zip(fields.get(*focus));
            let mut offer: Vec<Line<'_>> = Vec::new();
            if let Some((values, (label, value))) = offered {
                offer.push(Line::default());
                offer.push(Line::from(Span::styled(
                    format!("{label}: Left/Right choose one of"),
                    theme.dim,
                )));
                offer.extend(packed(
                    values,
                    value,
                    usize::from(width.min(full.width)).saturating_sub(2),
                    theme.text,
                    theme.selected,
                ));
            }
            let area = centred(
                full,
                width,
                (fields.len() + lines.len() + offer.len()) as u16 + 4,
            );
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
            lines.extend(offer);
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
        Dialog::Decision {
            question,
            options,
            cursor,
            ..
        } => {
            let mut lines = vec![
                Line::from(Span::styled(question.clone(), theme.accent)),
                Line::default(),
            ];
            for (i, (label, goto)) in options.iter().enumerate() {
                let style = if i == *cursor {
                    theme.selected
                } else {
                    theme.text
                };
                lines.push(Line::from(Span::styled(
                    format!(" {}. {label}  {} {goto}", i + 1, theme.symbols.arrow),
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
            message_box(frame, theme, full, 76, " Decision ", lines);
        }
        Dialog::Pick { items, cursor } => {
            let area = centred(full, 76, 16);
            frame.render_widget(Clear, area);
            let height = area.height.saturating_sub(3) as usize;
            let mut lines = list_rows(theme, items, *cursor, height, |(_, line)| line.clone());
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
            // The highlighted expectation in full below the list: a long
            // description is cut off in its row.
            let about = items.get(*cursor).map(|i| i.description.clone());
            let about = Paragraph::new(about.unwrap_or_default()).wrap(Wrap { trim: false });
            let about_height = u16::try_from(about.line_count(area.width.saturating_sub(2)))
                .unwrap_or(u16::MAX)
                .min(area.height.saturating_sub(6) / 2);
            let [list_area, about_area] =
                Layout::vertical([Constraint::Min(1), Constraint::Length(about_height)])
                    .areas(theme.block("").inner(area));
            let height = list_area.height.saturating_sub(2) as usize;
            let mut lines = list_rows(theme, items, *cursor, height, |item| {
                format!(
                    "{}/{} [{}] {}",
                    printable_line(&item.inject),
                    printable_line(&item.expectation),
                    item.scored.as_deref().unwrap_or("not scored"),
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
            frame.render_widget(about.style(theme.dim), about_area);
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
            message_box(frame, theme, full, 64, " Mark the step done? ", lines);
        }
        Dialog::Reading {
            title,
            lines,
            scroll,
            before_play,
        } => {
            // Below the header, so the room sees the clock standing at T+0.
            let area = Rect {
                y: full.y.saturating_add(1),
                height: full.height.saturating_sub(1),
                ..full
            };
            frame.render_widget(Clear, area);
            let block = theme.block(format!(" {title} "));
            let inner = block.inner(area);
            frame.render_widget(block, area);
            let [text, hint] =
                Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
            let paragraph = Paragraph::new(lines.clone()).wrap(Wrap { trim: false });
            // Never scrolled past the last line (only drawing knows the height).
            let room = usize::from(text.height);
            let most = paragraph.line_count(text.width).saturating_sub(room);
            let scroll = (*scroll).min(u16::try_from(most).unwrap_or(u16::MAX));
            frame.render_widget(paragraph.scroll((scroll, 0)), text);
            let keys = if *before_play {
                "Enter starts the clock  S signs in  Up/Down scroll  Esc later (p)"
            } else {
                "Up/Down PgUp/PgDn scroll  any other key closes"
            };
            frame.render_widget(Paragraph::new(Span::styled(keys, theme.dim)), hint);
        }
        Dialog::ConfirmEndex => {
            let lines = vec![
                Line::from("ENDEX ends play for good: from now on nothing is played or scored."),
                Line::from("Lessons learned (L) and corrections are still recorded."),
                Line::default(),
                Line::from(vec![
                    Span::styled("y", theme.key),
                    Span::raw(" end play now, "),
                    Span::styled("any other key", theme.key),
                    Span::raw(" play goes on"),
                ]),
            ];
            message_box(frame, theme, full, 72, " ENDEX? ", lines);
        }
        Dialog::Closed { path, witness } => {
            let lines = vec![
                Line::from("The session is ended and on disk."),
                Line::default(),
                Line::from(vec![
                    Span::raw("Closing witness code: "),
                    Span::styled(witness.clone(), theme.accent),
                ]),
                Line::from("Write it on the paper log, with the time."),
                Line::from(Span::styled(path.clone(), theme.dim)),
                Line::from(Span::styled("Any key leaves.", theme.dim)),
            ];
            message_box(frame, theme, full, 72, " Leaving ", lines);
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
                theme,
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
    theme: &Theme,
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
    frame.render_widget(paragraph.block(theme.block(title)), area);
}

/// The rows of a list dialog that fit in `height`, scrolled so the cursor's
/// row (highlighted) is on screen.
fn list_rows<T>(
    theme: &Theme,
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
