//! The register: the cases of the runbook on screen (referrals, households,
//! registrations), one line each: reference, received, state, next due,
//! what is left, owner, sorted by next due so the most urgent is on top.
//! `R` on the run screen shows it in place of the step.
//!
//! A cursor picks a case, and [`KEYS`] (consulted before the run screen's
//! own while the register is shown) ticks its checklist and marks it keyed
//! back, each as a core [`Command`] through [`Shared::execute`], like every
//! other action. Only the lines that fit are drawn; the register itself is
//! the core's [`register`] (the same rows `grabbag cases` and `status`
//! count).

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::keys::{Action, Binding, Key, Table, ch};
use super::shared::Shared;
use crate::calendar::time_left;
use crate::response::cases::{CaseProgress, CaseRow, counts, register};
use crate::response::{Command, deadline_now};
use crate::runbook::CaseKind;
use crate::text::printable_line;

/// What a key does on the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Do {
    /// Pick the case above (Up, `k`) or below (Down, `j`).
    Move,
    /// A page up or down.
    Page,
    /// Tick the picked case's next checklist item.
    TickNext,
    /// Tick item n of its checklist.
    Tick,
    /// Mark it keyed back into the line-of-business system.
    Keyed,
}

/// The register's keys, before the run screen's.
pub const KEYS: Table<Do> = Table {
    title: "Register (R)",
    bindings: &[
        Binding {
            keys: &[
                Key::Is(KeyCode::Up),
                Key::Is(KeyCode::Down),
                ch('k'),
                ch('j'),
            ],
            label: "Up/Down j/k",
            hint: Some(("j/k", "case")),
            help: "pick a case",
            command: Do::Move,
        },
        Binding {
            keys: &[ch(' ')],
            label: "Space",
            hint: Some(("Spc", "tick")),
            help: "tick the case's next checklist item (as `act case done`)",
            command: Do::TickNext,
        },
        Binding {
            keys: &[Key::Digit],
            label: "1-9",
            hint: None,
            help: "tick item n of the case's checklist",
            command: Do::Tick,
        },
        Binding {
            keys: &[ch('K')],
            label: "K",
            hint: Some(("K", "keyed")),
            help: "the case is keyed back into its system (as `act case keyed`)",
            command: Do::Keyed,
        },
        Binding {
            keys: &[Key::Is(KeyCode::PageUp), Key::Is(KeyCode::PageDown)],
            label: "PgUp / PgDn",
            hint: None,
            help: "a page of cases up / down",
            command: Do::Page,
        },
    ],
};

/// Handles a key while the register is shown; `None` when it is not one of
/// [`KEYS`] (the run screen's keys then apply).
pub fn handle_key(app: &mut Shared<'_>, key: KeyEvent) -> Option<Action> {
    let command = KEYS.command(&key)?;
    let runbook = app.focus().map(|(r, _)| r.id.clone())?;
    let response = app.response.as_ref()?;
    let now = deadline_now(&response.state, app.now);
    let rows = register(&response.state, Some(&runbook), now);
    let last = rows.len().saturating_sub(1);
    let cursor = response.register_cursor.min(last);
    let picked = rows.get(cursor).map(|row| {
        (
            row.case.reference.clone(),
            row.case.kind.clone(),
            row.case.done.keys().cloned().collect::<Vec<_>>(),
        )
    });
    let moved = match (command, key.code) {
        (Do::Move, KeyCode::Up | KeyCode::Char('k')) => Some(cursor.saturating_sub(1)),
        (Do::Move, _) => Some((cursor + 1).min(last)),
        (Do::Page, KeyCode::PageUp) => Some(cursor.saturating_sub(10)),
        (Do::Page, _) => Some((cursor + 10).min(last)),
        _ => None,
    };
    if let Some(at) = moved {
        if let Some(r) = app.response.as_mut() {
            r.register_cursor = at;
        }
        return Some(Action::Continue);
    }
    let Some((reference, kind, done)) = picked else {
        app.error("no case on this register yet: C adds one");
        return Some(Action::Continue);
    };
    let shown = printable_line(&reference).into_owned();
    match command {
        Do::Keyed => {
            if app.execute(&Command::CaseKeyed { reference }) {
                app.info(format!("case {shown} is keyed back"));
            }
        }
        Do::TickNext | Do::Tick => {
            let checklist = app
                .definition(&runbook)
                .and_then(|r| r.case_kind(&kind))
                .map(|k: &CaseKind| k.checklist.clone())
                .unwrap_or_default();
            let item = match key.code {
                KeyCode::Char(c @ '1'..='9') => {
                    let n = c as usize - '0' as usize;
                    checklist.get(n - 1).ok_or_else(|| {
                        format!("case {shown}'s checklist has {} items", checklist.len())
                    })
                }
                _ => checklist
                    .iter()
                    .find(|i| !done.contains(&i.id))
                    .ok_or_else(|| format!("case {shown}'s checklist is all done")),
            };
            match item.cloned() {
                Err(why) => app.error(why),
                Ok(item) => {
                    if app.execute(&Command::CaseDone {
                        reference,
                        step: item.id.clone(),
                    }) {
                        app.info(format!(
                            "case {shown}: {} done",
                            printable_line(&item.title)
                        ));
                    }
                }
            }
        }
        Do::Move | Do::Page => {}
    }
    Some(Action::Continue)
}

/// Draws the register of `runbook` (its id) in `area`: the table, and under
/// it the picked case's checklist.
pub fn draw(frame: &mut Frame<'_>, app: &Shared<'_>, runbook: &str, area: Rect) {
    let theme = &app.theme;
    let Some(response) = app.response.as_ref() else {
        return;
    };
    // Deadlines run on exercise time in an exercise.
    let now = deadline_now(&response.state, app.now);
    let rows = register(&response.state, Some(runbook), now);
    let n = counts(&rows, now);
    let title = format!(
        " Register: {} cases, {} with a deadline missed, {} not keyed back (R: steps) ",
        n.cases, n.missed, n.not_keyed
    );
    let cursor = response.register_cursor.min(rows.len().saturating_sub(1));
    let [table, detail] = Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(area);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{:<12} {:<16} {:<7} {:<16} {:<18} {}",
            "Ref", "Received", "State", "Next due", "Left", "Owner"
        ),
        theme.accent,
    ))];
    if rows.is_empty() {
        lines.push(Line::from(Span::styled(
            "No case yet: C adds one (or `grabbag act JOURNAL case add RUNBOOK REF`).",
            theme.dim,
        )));
    }
    // The picked case stays in view.
    let room = usize::from(table.height.saturating_sub(3)).max(1);
    let skip = (cursor + 1).saturating_sub(room);
    for (i, row) in rows.iter().enumerate().skip(skip).take(room) {
        lines.push(row_line(app, row, now, i == cursor));
    }
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title)),
        table,
    );
    if let Some(row) = rows.get(cursor) {
        frame.render_widget(
            Paragraph::new(checklist_line(app, runbook, row)).wrap(Wrap { trim: false }),
            detail,
        );
    }
}

/// One case's line, highlighted when picked.
fn row_line(
    app: &Shared<'_>,
    row: &CaseRow<'_>,
    now: chrono::DateTime<chrono::Utc>,
    picked: bool,
) -> Line<'static> {
    let theme = &app.theme;
    let case = row.case;
    let (due, left) = row.next_due.map_or_else(Default::default, |due| {
        (
            app.local(due).format("%a %d %b %H:%M").to_string(),
            time_left(due - now),
        )
    });
    let style = match row.progress {
        CaseProgress::Overdue => theme.bad,
        CaseProgress::Open => theme.warn,
        CaseProgress::Met => theme.text,
        CaseProgress::Keyed => theme.good,
    };
    let owner = case
        .added
        .actor
        .as_ref()
        .map(|a| printable_line(&a.name).into_owned())
        .unwrap_or_default();
    let pick = |s| if picked { theme.selected } else { s };
    let mark = if picked { theme.symbols.current } else { " " };
    Line::from(vec![
        Span::styled(
            format!(
                "{mark}{:<11} ",
                truncate(&printable_line(&case.reference), 11)
            ),
            pick(theme.text),
        ),
        Span::styled(
            format!(
                "{:<16} ",
                app.local(case.received_at).format("%a %d %b %H:%M")
            ),
            pick(theme.dim),
        ),
        Span::styled(
            format!("{:<7} ", row.progress.as_str().to_uppercase()),
            pick(style),
        ),
        Span::styled(format!("{due:<16} "), pick(style)),
        Span::styled(format!("{left:<18} "), pick(style)),
        Span::styled(owner, pick(theme.text)),
    ])
}

/// The picked case's checklist, numbered as the keys 1-9 tick it.
fn checklist_line(app: &Shared<'_>, runbook: &str, row: &CaseRow<'_>) -> Line<'static> {
    let theme = &app.theme;
    let case = row.case;
    let items = app
        .definition(runbook)
        .and_then(|r| r.case_kind(&case.kind))
        .map(|k| k.checklist.clone())
        .unwrap_or_default();
    let mut spans = vec![Span::styled(
        format!("{}: ", printable_line(&case.reference)),
        theme.accent,
    )];
    for (i, item) in items.iter().enumerate() {
        let mark = if case.done.contains_key(&item.id) {
            "[x]"
        } else {
            "[ ]"
        };
        spans.push(Span::styled(
            format!("{mark} {} {}  ", i + 1, printable_line(&item.title)),
            theme.text,
        ));
    }
    let keyed = if case.keyed.is_some() {
        "keyed back"
    } else {
        "not keyed back (K)"
    };
    spans.push(Span::styled(keyed.to_owned(), theme.dim));
    Line::from(spans)
}

/// At most `width` characters.
fn truncate(text: &str, width: usize) -> String {
    text.chars().take(width).collect()
}
