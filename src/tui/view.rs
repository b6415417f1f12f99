//! Drawing: [`draw`] is a pure function of the [`App`], so a snapshot of a
//! `TestBackend` is the screen a responder sees. The frame is the screen on
//! show (each screen module draws its own), the status line, the hint bar
//! built from the screen's key table, and the top dialog. Every untrusted
//! string (runbook text, notes, names, file names) passes through
//! [`printable`](crate::text::printable)/[`printable_line`] before it
//! reaches the buffer.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::app::{App, Screen, Status};
use crate::text::printable_line;

/// The smallest terminal the screens are laid out for; below it a squeeze
/// would hide steps and deadlines, so the screen says so instead.
pub const MIN_SIZE: (u16, u16) = (60, 16);

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, app: &App<'_>) {
    let shared = &app.shared;
    let area = frame.area();
    frame.render_widget(Paragraph::new("").style(shared.theme.text), area);
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let text = format!(
            "This terminal is {}x{}: grabbag needs at least {}x{}. Make the window larger; nothing is lost meanwhile (q still quits).",
            area.width, area.height, MIN_SIZE.0, MIN_SIZE.1
        );
        frame.render_widget(
            Paragraph::new(text)
                .style(shared.theme.warn)
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let shown = status_rows(app, area.width);
    let [main, status, hints] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(shown.rows),
        Constraint::Length(1),
    ])
    .areas(area);
    match shared.screen {
        Screen::Library => super::library::draw(frame, &app.library, shared, main),
        Screen::Run => {
            let feed = app.replay.as_ref().and_then(|r| r.exercise.as_ref());
            super::run::draw(frame, shared, feed, main);
        }
    }
    draw_status(frame, app, shown, status);
    frame.render_widget(
        Paragraph::new(super::keys::hint_line(
            &shared.theme,
            &app.hints(),
            hints.width,
        )),
        hints,
    );
    if let Some(dialog) = shared.dialogs.last() {
        super::dialog::draw(frame, &shared.theme, dialog);
    }
}

/// The most rows a status may take: a refusal is read whole, and the
/// screen under it keeps its place.
const STATUS_ROWS: u16 = 3;

/// The status as it is drawn: its text (an error marked `!`), the summary
/// on its right (the witness code when both fit on one row; a replay's
/// position always), and how many rows it takes.
struct Shown {
    text: Option<(String, bool)>,
    right: Option<String>,
    rows: u16,
}

/// A status that does not fit beside the witness code takes the row alone
/// (the code is back after the next key); one wider than its room wraps
/// onto up to [`STATUS_ROWS`] rows, so no reason or hint is cut off.
fn status_rows(app: &App<'_>, width: u16) -> Shown {
    let text = match &app.shared.status {
        Some(Status::Info(text)) => Some((printable_line(text).into_owned(), false)),
        Some(Status::Error(text)) => Some((format!("! {}", printable_line(text)), true)),
        None => None,
    };
    let right = match &app.replay {
        Some(replay) => Some(format!("  {}", replay.summary())),
        None => app
            .shared
            .response
            .as_ref()
            .and_then(|r| r.session.as_ref())
            .and_then(|s| s.journal().witness())
            .map(|w| format!("  witness {w}")),
    };
    let len = |t: Option<&String>| t.map_or(0, |t| Line::from(t.as_str()).width());
    let width = usize::from(width);
    if len(text.as_ref().map(|(t, _)| t)) + reserved(right.as_ref()) <= width {
        return Shown {
            text,
            right,
            rows: 1,
        };
    }
    // A replay's position stays (it is what the replay is about); the
    // witness code gives way.
    let right = right.filter(|_| app.replay.is_some());
    let rows = text.as_ref().map_or(1, |(t, _)| {
        wrapped(t, width.saturating_sub(reserved(right.as_ref())))
            .lines()
            .count()
            .max(1)
    });
    Shown {
        text,
        right,
        rows: u16::try_from(rows).unwrap_or(STATUS_ROWS).min(STATUS_ROWS),
    }
}

/// The columns the summary on the right takes, with the gap before it.
fn reserved(right: Option<&String>) -> usize {
    right.map_or(0, |w| w.chars().count() + 1)
}

/// A status set in lines of `width` columns.
fn wrapped(text: &str, width: usize) -> String {
    crate::text::wrap(text, width.max(10), "", "")
}

fn draw_status(frame: &mut Frame<'_>, app: &App<'_>, shown: Shown, area: Rect) {
    let theme = &app.shared.theme;
    let lines: Vec<Line<'_>> = match &shown.text {
        Some((text, error)) => {
            let style = if *error { theme.bad } else { theme.good };
            let text = if shown.rows > 1 {
                wrapped(
                    text,
                    usize::from(area.width).saturating_sub(reserved(shown.right.as_ref())),
                )
            } else {
                text.clone()
            };
            text.lines()
                .map(|l| Line::from(Span::styled(l.to_owned(), style)))
                .collect()
        }
        None => Vec::new(),
    };
    let [left, right_area] = Layout::horizontal([
        Constraint::Min(10),
        Constraint::Length(u16::try_from(reserved(shown.right.as_ref())).unwrap_or(0)),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(lines), left);
    if let Some(w) = shown.right {
        frame.render_widget(Paragraph::new(Span::styled(w, theme.dim)), right_area);
    }
}
