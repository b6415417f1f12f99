//! The board screen: one incident across every responder's journal, live.
//!
//! It polls the journals once a second (the event loop's tick) through
//! [`Board::refresh`], which reads only what was appended, and redraws: a
//! file-system watcher would add a dependency and still need polling on the
//! network shares and USB sticks journals meet on. Four sections: journals
//! and responders (last entry and its age, integrity, witness code),
//! deadlines (by due, breaches marked), decisions, steps. Tab moves the focus,
//! which gives a section the room left and lets the arrows scroll it.
//! Read-only: there is nothing to type.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::keys::{Action, Binding, GLOBAL, Global, Help, Key, Table, ch, hint_line};
use super::terminal::{self, Interface};
use super::theme::{Look, Theme};
use crate::board::{Board, Integrity, Picture};
use crate::crypto::Identities;
use crate::runbook::Runbook;
use crate::text::printable_line;

/// What a key does on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Do {
    /// Focus the next section.
    Next,
    /// Scroll the focused section.
    Scroll,
    /// Read the journals now.
    Refresh,
    /// Show the keys.
    Help,
    /// Leave.
    Quit,
}

/// The board's keys.
pub const KEYS: Table<Do> = Table {
    title: "Board (read-only: nothing is ever written)",
    bindings: &[
        Binding {
            keys: &[Key::Is(KeyCode::Tab)],
            label: "Tab",
            hint: Some(("Tab", "section")),
            help: "focus the next section: it gets the room left",
            command: Do::Next,
        },
        Binding {
            keys: &[Key::Is(KeyCode::Up), Key::Is(KeyCode::Down)],
            label: "Up/Down",
            hint: Some(("Up/Down", "scroll")),
            help: "scroll the focused section",
            command: Do::Scroll,
        },
        Binding {
            keys: &[ch('r')],
            label: "r",
            hint: Some(("r", "refresh")),
            help: "read the journals now (they are read every second anyway)",
            command: Do::Refresh,
        },
        Binding {
            keys: &[ch('?')],
            label: "?",
            hint: Some(("?", "keys")),
            help: "show every key",
            command: Do::Help,
        },
        Binding {
            keys: &[ch('q'), Key::Is(KeyCode::Esc)],
            label: "q/Esc",
            hint: Some(("q", "quit")),
            help: "leave the board",
            command: Do::Quit,
        },
    ],
};

/// The sections, in screen order.
const SECTIONS: [&str; 4] = ["Journals and responders", "Deadlines", "Decisions", "Steps"];

/// The board screen's state.
pub struct BoardScreen<'a> {
    board: Board,
    identities: Option<&'a Identities>,
    runbooks: Vec<Runbook>,
    picture: Picture,
    theme: Theme,
    focus: usize,
    scroll: [u16; 4],
    help: Option<Help>,
}

impl<'a> BoardScreen<'a> {
    /// The screen over a board already read, pictured at `now`.
    pub fn new(
        board: Board,
        identities: Option<&'a Identities>,
        runbooks: Vec<Runbook>,
        look: Look,
        now: DateTime<Utc>,
    ) -> Self {
        let picture = board.picture(now, None, Some(&runbooks));
        Self {
            board,
            identities,
            runbooks,
            picture,
            theme: Theme::new(look),
            focus: 0,
            scroll: [0; 4],
            help: None,
        }
    }

    /// Reads what the journals appended and pictures them at `now`.
    pub fn refresh(&mut self, now: DateTime<Utc>) {
        self.board.refresh(self.identities);
        self.picture = self.board.picture(now, None, Some(&self.runbooks));
    }

    fn handle_key(&mut self, key: KeyEvent) -> Action {
        if let Some(help) = self.help.as_mut() {
            if !help.key(key.code) {
                self.help = None;
            }
            return Action::Continue;
        }
        if GLOBAL.command(&key) == Some(Global::Quit) {
            return Action::Quit;
        }
        let Some(command) = KEYS.command(&key) else {
            return Action::Continue;
        };
        match command {
            Do::Quit => return Action::Quit,
            Do::Help => self.help = Some(Help::new([KEYS.help(), GLOBAL.help()].concat())),
            Do::Next => self.focus = (self.focus + 1) % SECTIONS.len(),
            Do::Scroll => {
                let scroll = &mut self.scroll[self.focus];
                *scroll = if key.code == KeyCode::Up {
                    scroll.saturating_sub(1)
                } else {
                    scroll.saturating_add(1)
                };
            }
            Do::Refresh => self.refresh(Utc::now()),
        }
        Action::Continue
    }

    /// Each section's lines.
    fn sections(&self) -> [Vec<Line<'static>>; 4] {
        let p = &self.picture;
        let t = &self.theme;
        let text = |s: &str| printable_line(s).into_owned();
        let mut journals = Vec::new();
        for j in &p.journals {
            let (mark, style) = match (&j.integrity, j.merged) {
                (Integrity::Verified, true) => (t.symbols.done, t.good),
                (Integrity::Torn { .. }, true) => ("~", t.warn),
                (_, true) => (t.symbols.dot, t.text),
                (Integrity::Failing { .. } | Integrity::NoKey { .. }, false) => ("!", t.bad),
                (_, false) => ("-", t.dim),
            };
            let mut spans = vec![
                Span::styled(format!("{mark} "), style),
                Span::styled(text(&j.file), t.accent),
            ];
            if let Some(head) = &j.head {
                spans.push(Span::styled(format!(" {}", head.witness), t.dim));
            }
            let mut why_not = None;
            match &j.not_merged {
                Some(why) => {
                    why_not = Some(Line::styled(
                        format!("    not merged: {}", text(why)),
                        style,
                    ));
                }
                None => {
                    if let Integrity::Torn { after_seq, .. } = &j.integrity {
                        spans.push(Span::styled(
                            format!(
                                "  read to seq {} (rest incomplete)",
                                after_seq.unwrap_or_default()
                            ),
                            t.warn,
                        ));
                    }
                    if j.rewritten {
                        spans.push(Span::styled("  REWRITTEN, read again", t.warn));
                    }
                }
            }
            journals.push(Line::from(spans));
            if let Some(why) = why_not {
                journals.push(why);
                continue;
            }
            for r in p.responders.iter().filter(|r| r.journal == j.file) {
                let cell = r
                    .cell
                    .as_deref()
                    .map(|c| format!(" [{c}]"))
                    .unwrap_or_default();
                let last = j
                    .last
                    .as_ref()
                    .filter(|l| l.actor.as_ref().is_some_and(|a| a.name == r.name))
                    .map(|l| format!(": {}", text(&l.what)))
                    .unwrap_or_default();
                journals.push(Line::from(vec![
                    Span::raw("    "),
                    Span::styled(text(&r.name), t.text),
                    Span::styled(format!(" ({}){}", text(&r.role), text(&cell)), t.dim),
                    Span::styled(format!(" {} ago", age(r.age_s)), t.text),
                    Span::raw(last),
                ]));
            }
        }
        for r in &p.refused {
            journals.push(Line::styled(
                format!("! {}: {}", text(&r.path), text(&r.reason)),
                t.bad,
            ));
        }
        let deadlines = p
            .deadlines
            .iter()
            .map(|d| {
                let style = if d.breach { t.bad } else { t.text };
                let when = d.remaining_s.map_or_else(
                    || d.state.replace('_', " "),
                    |s| {
                        if s < 0 {
                            format!("OVERDUE {}", age(-s))
                        } else {
                            format!("{} left", age(s))
                        }
                    },
                );
                Line::from(vec![
                    Span::styled(if d.breach { "! " } else { "  " }, style),
                    Span::styled(d.due_at.format("%d %b %H:%M ").to_string(), style),
                    Span::styled(format!("{when:<14} "), style),
                    Span::raw(text(&d.label)),
                    Span::styled(
                        format!(
                            "  {}",
                            d.started_by
                                .as_ref()
                                .map(|a| text(&a.name))
                                .unwrap_or_default()
                        ),
                        t.dim,
                    ),
                ])
            })
            .collect();
        let mut decisions: Vec<Line<'static>> = p
            .open_decisions
            .iter()
            .map(|d| {
                Line::styled(
                    format!(
                        "? {}#{}: {} (waiting: {})",
                        text(&d.runbook),
                        text(&d.step),
                        text(&d.question),
                        d.holder.as_ref().map(|a| text(&a.name)).unwrap_or_default()
                    ),
                    t.warn,
                )
            })
            .collect();
        decisions.extend(p.decisions.iter().rev().map(|d| {
            Line::from(vec![
                Span::styled(d.at.format("%H:%M ").to_string(), t.dim),
                Span::styled(
                    d.actor.as_ref().map(|a| text(&a.name)).unwrap_or_default(),
                    t.accent,
                ),
                Span::raw(format!(
                    " {}#{}: {} because {}",
                    text(&d.runbook),
                    text(&d.step),
                    text(&d.option),
                    text(&d.rationale)
                )),
            ])
        }));
        let steps = p
            .steps
            .iter()
            .map(|s| {
                let by: Vec<String> =
                    s.by.iter()
                        .map(|b| {
                            format!(
                                "{} {}{}",
                                b.status,
                                b.actor.as_ref().map(|a| text(&a.name)).unwrap_or_default(),
                                b.reason
                                    .as_deref()
                                    .map(|r| format!(" ({})", text(r)))
                                    .unwrap_or_default()
                            )
                        })
                        .collect();
                let blocked = s.by.iter().any(|b| b.status == "blocked");
                Line::from(vec![
                    Span::styled(
                        format!(
                            "{}#{} ",
                            text(&s.runbook),
                            text(s.title.as_deref().unwrap_or(&s.step))
                        ),
                        if blocked { t.bad } else { t.text },
                    ),
                    Span::styled(by.join("; "), t.dim),
                ])
            })
            .collect();
        [journals, deadlines, decisions, steps]
    }
}

/// `line` broken at spaces into lines of at most `width` columns, every
/// line after the first indented two columns past the first's own indent,
/// so that an item that wraps still reads as one item among its neighbours.
/// A word longer than a line is left to the paragraph's own wrapping.
pub(super) fn hang(line: Line<'static>, width: usize) -> Vec<Line<'static>> {
    let lead = leading_marks(&line);
    let indent = lead + 2;
    if line.width() <= width || width < indent + 10 {
        return vec![line];
    }
    let (style, alignment) = (line.style, line.alignment);
    let finish = |spans: Vec<Span<'static>>| {
        let mut done = Line::from(spans).style(style);
        done.alignment = alignment;
        done
    };
    let mut out = Vec::new();
    let mut spans: Vec<Span<'static>> = Vec::new();
    // Columns used on the line being filled, and where its text starts.
    let (mut used, mut start) = (0, lead);
    for span in line.spans {
        for piece in span.content.split_inclusive(' ') {
            let word = Span::raw(piece.trim_end_matches(' ')).width();
            if used > start && used + word > width {
                if let Some(last) = spans.last_mut() {
                    last.content = last.content.trim_end_matches(' ').to_owned().into();
                }
                out.push(finish(std::mem::take(&mut spans)));
                spans.push(Span::raw(" ".repeat(indent)));
                (used, start) = (indent, indent);
                if word == 0 {
                    // Spaces that fell at the break.
                    continue;
                }
            }
            used += Span::raw(piece).width();
            spans.push(Span::styled(piece.to_owned(), span.style));
        }
    }
    out.push(finish(spans));
    out
}

/// The columns a line's text starts after: its leading spaces and the
/// one-character marks set before it (`! `, `? `, `✔ `), so that every item
/// of a section hangs the same way, marked or not.
fn leading_marks(line: &Line<'_>) -> usize {
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let mut chars = text.chars().peekable();
    let mut columns = 0;
    while let Some(c) = chars.next() {
        if c == ' ' {
            columns += 1;
        } else if !c.is_alphanumeric() && chars.peek() == Some(&' ') {
            columns += Span::raw(c.to_string()).width();
        } else {
            break;
        }
    }
    columns
}

/// Seconds as "45s", "12m", "3h05m", "2d04h".
fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

fn draw(frame: &mut Frame<'_>, screen: &BoardScreen<'_>) {
    let t = &screen.theme;
    let p = &screen.picture;
    let sections = screen.sections();
    let area = frame.area();
    let merged = p.journals.iter().filter(|j| j.merged).count();
    let header = Line::from(vec![
        Span::styled(" Board ", t.accent),
        Span::raw(
            printable_line(p.incident.as_deref().unwrap_or("(unnamed incident)")).into_owned(),
        ),
        Span::styled(
            format!(
                "  {merged} journal(s)  {} breach(es)  {} UTC",
                p.breaches,
                p.now.format("%H:%M:%S")
            ),
            if p.breaches > 0 { t.bad } else { t.dim },
        ),
    ]);
    // The focused section takes the room the others leave: each of them
    // shows up to three lines.
    let constraints: Vec<Constraint> = std::iter::once(Constraint::Length(1))
        .chain(sections.iter().enumerate().map(|(i, lines)| {
            if i == screen.focus {
                Constraint::Fill(1)
            } else {
                Constraint::Length(u16::try_from(lines.len().clamp(1, 3)).unwrap_or(3) + 2)
            }
        }))
        .chain(std::iter::once(Constraint::Length(1)))
        .collect();
    let rows = Layout::vertical(constraints).split(area);
    frame.render_widget(Paragraph::new(header).style(t.text), rows[0]);
    for (i, lines) in sections.into_iter().enumerate() {
        let count = lines.len();
        // Inside the block's borders.
        let width = usize::from(rows[i + 1].width.saturating_sub(2));
        let lines: Vec<Line<'static>> = lines.into_iter().flat_map(|l| hang(l, width)).collect();
        let rows_shown = lines.len();
        let title = format!(" {} ({count}) ", SECTIONS[i]);
        let block = if i == screen.focus {
            t.block(Line::styled(title, t.selected))
        } else {
            t.block(title)
        };
        let lines = if lines.is_empty() {
            vec![Line::styled("none", t.dim)]
        } else {
            lines
        };
        frame.render_widget(
            Paragraph::new(lines)
                .style(t.text)
                .wrap(Wrap { trim: false })
                .scroll((
                    screen.scroll[i].min(u16::try_from(rows_shown).unwrap_or(u16::MAX)),
                    0,
                ))
                .block(block),
            rows[i + 1],
        );
    }
    let hints = rows[rows.len() - 1];
    frame.render_widget(
        Paragraph::new(hint_line(t, &KEYS.hints(), hints.width)),
        hints,
    );
    if let Some(help) = &screen.help {
        help.draw(frame, t, 70);
    }
}

impl Interface for BoardScreen<'_> {
    fn draw(&self, frame: &mut Frame<'_>) {
        draw(frame, self);
    }

    fn key(&mut self, key: KeyEvent) -> Option<Action> {
        Some(self.handle_key(key))
    }

    fn tick(&mut self) -> bool {
        // Ages and the clock move every second even when no journal did.
        self.refresh(Utc::now());
        true
    }
}

/// Runs the board until the user quits or a signal arrives.
pub fn run(
    board: Board,
    identities: Option<&Identities>,
    runbooks: Vec<Runbook>,
    look: Look,
) -> anyhow::Result<std::process::ExitCode> {
    use std::io::IsTerminal as _;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!("the board needs a terminal: run it in one, or use `grabbag board --json`");
    }
    terminal::run(&mut BoardScreen::new(
        board,
        identities,
        runbooks,
        look,
        Utc::now(),
    ))?;
    Ok(std::process::ExitCode::SUCCESS)
}
