//! The register: the cases of the runbook on screen (referrals, households,
//! registrations), one line each: reference, received, state, next due,
//! owner, sorted by next due so the most urgent is on top. `R` on the run
//! screen shows it in place of the step; PgUp/PgDn scroll it.
//!
//! Only the lines that fit are drawn; the register itself is the core's
//! [`register`] (the same rows `grabbag cases` and `status` count).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::shared::{Shared, elapsed};
use crate::response::cases::{CaseProgress, counts, register};
use crate::response::deadline_now;
use crate::text::printable_line;

/// Draws the register of `runbook` (its id) in `area`.
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
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{:<12} {:<16} {:<8} {:<22} {}",
            "Ref", "Received", "State", "Next due", "Owner"
        ),
        theme.accent,
    ))];
    if rows.is_empty() {
        lines.push(Line::from(Span::styled(
            "No case yet: add one with `grabbag act JOURNAL case add RUNBOOK REF`.",
            theme.dim,
        )));
    }
    let room = usize::from(area.height.saturating_sub(3));
    let skip = usize::from(response.scroll).min(rows.len().saturating_sub(1));
    for row in rows.iter().skip(skip).take(room) {
        let case = row.case;
        let due = row.next_due.map_or_else(String::new, |due| {
            let at = app.local(due).format("%a %d %b %H:%M");
            if due < now {
                format!("{at} ({} ago)", elapsed(now - due))
            } else {
                at.to_string()
            }
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
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<12} ", truncate(&printable_line(&case.reference), 12)),
                theme.text,
            ),
            Span::styled(
                format!(
                    "{:<16} ",
                    app.local(case.received_at).format("%a %d %b %H:%M")
                ),
                theme.dim,
            ),
            Span::styled(
                format!("{:<8} ", row.progress.as_str().to_uppercase()),
                style,
            ),
            Span::styled(format!("{due:<22} "), style),
            Span::styled(owner, theme.text),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title)),
        area,
    );
}

/// At most `width` characters.
fn truncate(text: &str, width: usize) -> String {
    text.chars().take(width).collect()
}
