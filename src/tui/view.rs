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
    let [main, status, hints] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(1),
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
    draw_status(frame, app, status);
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

fn draw_status(frame: &mut Frame<'_>, app: &App<'_>, area: Rect) {
    let theme = &app.shared.theme;
    let mut spans = Vec::new();
    match &app.shared.status {
        Some(Status::Info(text)) => {
            spans.push(Span::styled(printable_line(text).into_owned(), theme.good))
        }
        Some(Status::Error(text)) => {
            spans.push(Span::styled(
                format!("! {}", printable_line(text)),
                theme.bad,
            ));
        }
        None => {}
    }
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
    // An error is what the eye needs: the summary beside it gives way when
    // both do not fit (it is back after the next key).
    let needed =
        Line::from(spans.clone()).width() + right.as_ref().map_or(0, |w| w.chars().count());
    let right = right.filter(|_| {
        !matches!(app.shared.status, Some(Status::Error(_))) || needed <= usize::from(area.width)
    });
    let [left, right_area] = Layout::horizontal([
        Constraint::Min(10),
        Constraint::Length(right.as_ref().map_or(0, |w| w.chars().count() as u16 + 1)),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(Line::from(spans)), left);
    if let Some(w) = right {
        frame.render_widget(Paragraph::new(Span::styled(w, theme.dim)), right_area);
    }
}
