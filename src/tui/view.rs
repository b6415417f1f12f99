//! Drawing: [`draw`] is a pure function of the [`App`], so a snapshot of a
//! `TestBackend` is the screen a responder sees. Every untrusted string
//! (runbook text, notes, names, file names) passes through
//! [`printable`]/[`printable_line`] before it reaches the buffer.

use std::ops::RangeInclusive;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::app::{App, Screen, Status, elapsed};
use super::dialog::Dialog;
use crate::response::{ClockStatus, StepStatus};
use crate::text::{printable, printable_line, reflow};

/// Multi-line untrusted text, tabs as spaces, reflowed so the pane wraps
/// it (see [`reflow`]).
fn safe(text: &str) -> String {
    reflow(&printable(text).replace('\t', "    "))
}

/// The smallest terminal the screens are laid out for; below it a squeeze
/// would hide steps and deadlines, so the screen says so instead.
pub const MIN_SIZE: (u16, u16) = (60, 16);

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, app: &App<'_>) {
    let area = frame.area();
    frame.render_widget(Paragraph::new("").style(app.theme.text), area);
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let text = format!(
            "This terminal is {}x{}: grabbag needs at least {}x{}. Make the window larger; nothing is lost meanwhile (q still quits).",
            area.width, area.height, MIN_SIZE.0, MIN_SIZE.1
        );
        frame.render_widget(
            Paragraph::new(text)
                .style(app.theme.warn)
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
    match app.screen {
        Screen::Library => draw_library(frame, app, main),
        Screen::Run => draw_run(frame, app, main),
    }
    draw_status(frame, app, status);
    draw_hints(frame, app, hints);
    super::dialog::draw(frame, app);
}

fn draw_status(frame: &mut Frame<'_>, app: &App<'_>, area: Rect) {
    let theme = &app.theme;
    let mut spans = Vec::new();
    match &app.status {
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
            .response
            .as_ref()
            .and_then(|r| r.session.as_ref())
            .and_then(|s| s.journal().witness())
            .map(|w| format!("  witness {w}")),
    };
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

fn draw_hints(frame: &mut Frame<'_>, app: &App<'_>, area: Rect) {
    let narrow = area.width < 110;
    let keys: &[(&str, &str)] = if matches!(app.dialogs.last(), Some(Dialog::Closed)) {
        &[("any key", "leaves")]
    } else if !app.dialogs.is_empty() {
        &[("Esc", "cancel")]
    } else if app.replay.is_some() {
        &[
            ("Spc", "play/pause"),
            ("+/-", "speed"),
            ("Left/Right", "step"),
            ("g", "go to T+"),
            ("Tab", "switch"),
            ("q", "quit"),
            ("?", "keys"),
        ]
    } else if app.exercise.is_some() && app.screen == Screen::Run {
        &[
            ("?", "keys"),
            ("d", "done"),
            ("s", "skip"),
            ("D", "decide"),
            ("n", "note"),
            ("f", "inject"),
            ("p", "pause"),
            ("+/-", "speed"),
            ("m", "score"),
            ("E", "end"),
            ("q", "quit"),
        ]
    } else if narrow && app.screen == Screen::Run {
        &[
            ("?", "keys"),
            ("g", "go"),
            ("d", "done"),
            ("s", "skip"),
            ("Spc", "tick"),
            ("D", "decide"),
            ("b", "block"),
            ("n", "note"),
            ("c", "fix"),
            ("o", "open"),
            ("q", "quit"),
        ]
    } else {
        match app.screen {
            Screen::Library => &[
                ("type", "search"),
                ("Up/Down", "choose"),
                ("Enter", "start"),
                ("Esc", "clear/quit"),
                ("?", "keys"),
            ],
            Screen::Run => &[
                ("g", "start"),
                ("d", "done"),
                ("s", "skip"),
                ("Spc", "tick"),
                ("D", "decide"),
                ("b", "block"),
                ("n", "note"),
                ("c", "correct"),
                ("a", "actor"),
                ("o", "open"),
                ("Tab", "switch"),
                ("q", "quit"),
                ("?", "keys"),
            ],
        }
    };
    let mut spans = Vec::new();
    for (k, what) in keys {
        spans.push(Span::styled(*k, app.theme.key));
        spans.push(Span::styled(format!(" {what} "), app.theme.dim));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The files that did not load, once per cause and wrapped, at the bottom of
/// the list (all of it when nothing loaded); returns the area left for the
/// list. A wrong identity is the usual cause, and its words say what to do.
fn draw_failures(frame: &mut Frame<'_>, app: &App<'_>, area: Rect) -> Rect {
    if app.failures.is_empty() {
        return area;
    }
    let theme = &app.theme;
    let mut lines = vec![Line::from(Span::styled("DID NOT LOAD", theme.bad))];
    for (why, files) in &app.failures {
        let count = match files.len() {
            1 => String::new(),
            n => format!("{n} files: "),
        };
        lines.push(Line::from(Span::styled(format!("{count}{why}"), theme.bad)));
        lines.push(Line::from(Span::styled(files.join(", "), theme.dim)));
    }
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let needed = u16::try_from(paragraph.line_count(area.width)).unwrap_or(u16::MAX);
    let height = if app.loaded.is_empty() {
        area.height.saturating_sub(1)
    } else {
        needed.min(area.height / 2)
    };
    let [list, failures] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(height)]).areas(area);
    frame.render_widget(paragraph, failures);
    list
}

fn draw_library(frame: &mut Frame<'_>, app: &App<'_>, area: Rect) {
    let theme = &app.theme;
    // Nothing to preview when nothing loaded: the reasons get the width.
    let [list_area, preview_area] = if app.loaded.is_empty() && !app.failures.is_empty() {
        [area, Rect::default()]
    } else if area.width >= 100 {
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area)
    } else {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area)
    };
    let search = if app.search().is_empty() {
        Span::styled(" type to search ", theme.dim)
    } else {
        Span::styled(
            format!(" search: {}_ ", printable_line(app.search())),
            theme.accent,
        )
    };
    let heading = if app.response.is_some() {
        " Open another runbook (Esc back) "
    } else {
        " Runbooks "
    };
    let block = theme.block(Line::from(vec![
        Span::styled(heading, theme.accent),
        search,
    ]));
    let inner = block.inner(list_area);
    frame.render_widget(block, list_area);
    let inner = draw_failures(frame, app, inner);

    let visible = app.visible();
    let cursor = app.cursor.min(visible.len().saturating_sub(1));
    let mut lines: Vec<Line<'_>> = Vec::new();
    let mut cursor_line = 0;
    let mut kind = None;
    // A search lists by match quality, so kind headings would repeat.
    let grouped = app.search().trim().is_empty();
    for (row, &i) in visible.iter().enumerate() {
        let Some(r) = app.loaded.get(i) else { continue };
        if grouped && kind != Some(r.runbook.kind) {
            kind = Some(r.runbook.kind);
            let heading = match r.runbook.kind {
                crate::runbook::Kind::Cyber => "CYBER",
                crate::runbook::Kind::Continuity => "CONTINUITY",
            };
            lines.push(Line::from(Span::styled(heading, theme.accent)));
        }
        let style = if row == cursor {
            theme.selected
        } else {
            theme.text
        };
        if row == cursor {
            cursor_line = lines.len();
        }
        lines.push(Line::from(Span::styled(
            format!(" {}", printable_line(&r.runbook.title)),
            style,
        )));
    }
    if app.loading {
        lines.push(Line::from(Span::styled(
            " loading the runbooks...",
            theme.dim,
        )));
    } else if app.loaded.is_empty() && !app.failures.is_empty() {
        lines.push(Line::from(Span::styled(
            " no runbook could be loaded: why below",
            theme.bad,
        )));
    } else if visible.is_empty() {
        lines.push(Line::from(Span::styled(" nothing matches", theme.dim)));
    }
    let height = inner.height as usize;
    let scroll = cursor_line.saturating_sub(height.saturating_sub(1));
    frame.render_widget(
        Paragraph::new(lines).scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        inner,
    );

    let block = theme.block(Span::styled(" Preview ", theme.accent));
    let Some(r) = app.highlighted() else {
        frame.render_widget(block, preview_area);
        return;
    };
    let mut lines = vec![
        Line::from(Span::styled(
            printable_line(&r.runbook.title).into_owned(),
            theme.accent,
        )),
        Line::from(Span::styled(
            printable_line(&r.runbook.id).into_owned(),
            theme.dim,
        )),
    ];
    let badges = r.badges(app.today);
    if !badges.is_empty() {
        let mut spans = Vec::new();
        for b in badges {
            let style = if b == "SIGNED" { theme.good } else { theme.bad };
            spans.push(Span::styled(format!("[{b}]"), style));
            spans.push(Span::raw(" "));
        }
        lines.push(Line::from(spans));
    }
    let field = |label: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{label:<10}"), theme.dim),
            Span::raw(value),
        ])
    };
    lines.push(field("severity", r.runbook.severity.as_str().to_owned()));
    lines.push(field(
        "owner",
        printable_line(&r.runbook.owner).into_owned(),
    ));
    lines.push(field(
        "version",
        printable_line(&r.version.short()).into_owned(),
    ));
    lines.push(field(
        "reviewed",
        format!("{} (due {})", r.runbook.reviewed, r.runbook.review_due()),
    ));
    lines.push(field("steps", r.runbook.steps.len().to_string()));
    lines.push(Line::default());
    for l in safe(&r.runbook.summary).lines() {
        lines.push(Line::from(l.to_owned()));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        preview_area,
    );
}

fn draw_run(frame: &mut Frame<'_>, app: &App<'_>, area: Rect) {
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
        draw_log(frame, app, log_area);
        return;
    };
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
    draw_log(frame, app, log_area);
}

/// The log pane: the latest entries; beside it, in an exercise, the injects.
fn draw_log(frame: &mut Frame<'_>, app: &App<'_>, log_area: Rect) {
    let theme = &app.theme;
    let Some(response) = app.response.as_ref() else {
        return;
    };
    let log_area = if super::exercise::clock_text(app).is_some() {
        let [log, feed] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(log_area);
        let block = theme.block(Span::styled(" Injects ", theme.accent));
        frame.render_widget(
            Paragraph::new(super::exercise::feed_lines(app))
                .wrap(Wrap { trim: false })
                .block(block),
            feed,
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
fn draw_not_loaded(frame: &mut Frame<'_>, app: &App<'_>, area: Rect) {
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
    let mut lines = vec![
        Line::from(Span::styled(
            format!(
                "Runbook `{}` is not in the library as loaded now.",
                printable_line(&open.id)
            ),
            theme.bad,
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
    app: &App<'_>,
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

/// One line per deadline, fitted to `width`: the due time and what is left
/// always show whole, the label is shortened to make room.
fn clock_lines(app: &App<'_>, width: usize) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let Some(response) = app.response.as_ref() else {
        return Vec::new();
    };
    let mut clocks: Vec<_> = response.state.clocks.iter().collect();
    let rank = |c: &crate::response::ClockState| match c.status(app.now) {
        ClockStatus::Breached | ClockStatus::Overdue => 0,
        ClockStatus::Running => 1,
        ClockStatus::Met { .. } => 2,
    };
    clocks.sort_by_key(|c| (rank(c), c.due_at));
    clocks
        .into_iter()
        .map(|clock| {
            let due = app.local(clock.due_at).format("%a %d %b %H:%M");
            let (text, style) = match clock.status(app.now) {
                ClockStatus::Met { .. } => (format!("met (was due {due})"), theme.good),
                ClockStatus::Breached | ClockStatus::Overdue => (
                    format!(
                        "MISSED: was due {due}, {} ago",
                        elapsed(app.now - clock.due_at)
                    ),
                    theme.bad,
                ),
                ClockStatus::Running => (
                    format!("due {due}, {} left", elapsed(clock.due_at - app.now)),
                    theme.warn,
                ),
            };
            // A deadline from awareness says so, with the time it counts from.
            let text = match (&clock.anchor, &response.state.awareness) {
                (Some(_), Some(aware)) => format!(
                    "{text} (from awareness {})",
                    app.local(aware.at).format("%a %d %b %H:%M")
                ),
                _ => text,
            };
            let room = width.saturating_sub(text.chars().count() + 4);
            let label = fit(
                &printable_line(&clock.label),
                room.max(8),
                theme.symbols.ellipsis,
            );
            Line::from(vec![
                Span::styled(format!("{} {label}: ", theme.symbols.clock), theme.accent),
                Span::styled(text, style),
            ])
        })
        .collect()
}

/// True when the step has taken longer than its `expect_within`.
fn overrun(app: &App<'_>, runbook: &str, step: &crate::runbook::Step) -> bool {
    let (Some(within), Some(taken)) = (step.expect_within, app.step_time(runbook, &step.id)) else {
        return false;
    };
    let limit = chrono::TimeDelta::seconds(i64::try_from(within.as_secs()).unwrap_or(i64::MAX));
    taken > limit
}

fn line_style(app: &App<'_>, text: &str) -> Style {
    if text.starts_with("DEADLINE") {
        app.theme.bad
    } else {
        app.theme.text
    }
}

fn truncate(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}
