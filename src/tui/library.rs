//! The library screen: find the right runbook in seconds.
//!
//! Its state is the search typed and the cursor; [`KEYS`] drives the
//! handler, the hint bar and the help. Enter starts a response on the
//! highlighted runbook (the start form) or opens it in the response already
//! running.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::dialog::{Dialog, FormPurpose, list_cursor};
use super::keys::{Action, Binding, GLOBAL, Key, Table, ch};
use super::shared::{Screen, Shared, safe};
use crate::library::LoadedRunbook;
use crate::runbook::Runbook;
use crate::text::printable_line;

/// The library screen's state.
#[derive(Debug, Default)]
pub struct Library {
    /// The search text (changed through [`Library::set_search`]).
    search: String,
    /// Indices into `Shared::loaded` matching the search, in display order.
    matches: Vec<usize>,
    /// The highlighted row among the visible runbooks.
    pub cursor: usize,
    /// The runbooks are still being decrypted and checked in the background:
    /// the screen says so and the search typed meanwhile waits.
    pub loading: bool,
}

/// What a key does on the library screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Do {
    /// Help (typed into the search once one is begun).
    Help,
    /// Start searching (typed into the search once one is begun).
    Slash,
    /// Clear the search; else back to the response; else quit.
    Back,
    /// Up or down one runbook.
    Move,
    /// Ten up.
    PageUp,
    /// Ten down.
    PageDown,
    /// The first runbook.
    First,
    /// The last runbook.
    Last,
    /// Delete the last character of the search.
    Delete,
    /// Start a response on the runbook, or open it in the current one.
    Choose,
    /// Type into the search.
    Type,
}

/// The library screen's keys.
pub const KEYS: Table<Do> = Table {
    title: "Library",
    bindings: &[
        Binding {
            keys: &[ch('?')],
            label: "?",
            hint: Some(("?", "keys")),
            help: "this help (typed into a search once one is begun)",
            command: Do::Help,
        },
        Binding {
            keys: &[ch('/')],
            label: "/",
            hint: None,
            help: "start a search (or simply type)",
            command: Do::Slash,
        },
        Binding {
            keys: &[Key::Typing],
            label: "type",
            hint: Some(("type", "search")),
            help: "search (fuzzy)",
            command: Do::Type,
        },
        Binding {
            keys: &[Key::Is(KeyCode::Up), Key::Is(KeyCode::Down)],
            label: "Up/Down",
            hint: Some(("Up/Down", "choose")),
            help: "choose a runbook",
            command: Do::Move,
        },
        Binding {
            keys: &[Key::Is(KeyCode::Enter)],
            label: "Enter",
            hint: Some(("Enter", "start")),
            help: "start a response (or open it in the current one)",
            command: Do::Choose,
        },
        Binding {
            keys: &[Key::Is(KeyCode::Esc)],
            label: "Esc",
            hint: Some(("Esc", "clear/quit")),
            help: "clear the search; back to the response; quit",
            command: Do::Back,
        },
        Binding {
            keys: &[Key::Is(KeyCode::Backspace)],
            label: "Backspace",
            hint: None,
            help: "delete the last letter of the search",
            command: Do::Delete,
        },
        Binding {
            keys: &[Key::Is(KeyCode::PageUp)],
            label: "PgUp",
            hint: None,
            help: "ten runbooks up",
            command: Do::PageUp,
        },
        Binding {
            keys: &[Key::Is(KeyCode::PageDown)],
            label: "PgDn",
            hint: None,
            help: "ten runbooks down",
            command: Do::PageDown,
        },
        Binding {
            keys: &[Key::Is(KeyCode::Home)],
            label: "Home",
            hint: None,
            help: "the first runbook",
            command: Do::First,
        },
        Binding {
            keys: &[Key::Is(KeyCode::End)],
            label: "End",
            hint: None,
            help: "the last runbook",
            command: Do::Last,
        },
    ],
};

/// Whether `key` acts on the runbooks listed (moving the cursor, choosing
/// one), so it must wait while they are still loading; typing a search,
/// help and quitting need none.
pub fn needs_runbooks(key: &KeyEvent) -> bool {
    matches!(
        KEYS.command(key),
        Some(Do::Move | Do::PageUp | Do::PageDown | Do::First | Do::Last | Do::Choose)
    )
}

impl Library {
    /// Changes the search text, refilters, and puts the cursor on the best
    /// match.
    pub fn set_search(&mut self, shared: &Shared<'_>, search: String) {
        self.search = search;
        let runbooks: Vec<&Runbook> = shared.loaded.iter().map(|r| &r.runbook).collect();
        self.matches = crate::runbook::search::rank(&runbooks, &self.search);
        self.cursor = 0;
    }

    /// The search text.
    pub fn search(&self) -> &str {
        &self.search
    }

    /// Indices into `loaded` of the runbooks matching the search, best match
    /// first (the library's order, grouped by kind, when nothing is typed).
    pub fn visible(&self) -> &[usize] {
        &self.matches
    }

    /// The runbook under the cursor.
    pub fn highlighted<'s>(&self, shared: &'s Shared<'_>) -> Option<&'s LoadedRunbook> {
        let visible = self.visible();
        visible
            .get(self.cursor.min(visible.len().saturating_sub(1)))
            .and_then(|&i| shared.loaded.get(i))
    }

    /// Handles a key; `None` when it is not one of [`KEYS`].
    pub fn handle_key(&mut self, shared: &mut Shared<'_>, key: KeyEvent) -> Option<Action> {
        let command = KEYS.command(&key)?;
        let count = self.visible().len();
        match command {
            Do::Back if !self.search.is_empty() => self.set_search(shared, String::new()),
            Do::Back if shared.response.is_some() => shared.screen = Screen::Run,
            Do::Back => return Some(Action::Quit),
            Do::Move => self.cursor = list_cursor(self.cursor, count, key.code),
            Do::PageUp => self.cursor = self.cursor.saturating_sub(10),
            Do::PageDown => self.cursor = (self.cursor + 10).min(count.saturating_sub(1)),
            Do::First => self.cursor = 0,
            Do::Last => self.cursor = count.saturating_sub(1),
            Do::Delete => {
                let mut search = std::mem::take(&mut self.search);
                search.pop();
                self.set_search(shared, search);
            }
            Do::Choose => self.choose(shared),
            Do::Help if self.search.is_empty() => shared
                .dialogs
                .push(Dialog::help([KEYS.help(), GLOBAL.help()].concat())),
            Do::Slash if self.search.is_empty() => {}
            Do::Help | Do::Slash | Do::Type => {
                if let KeyCode::Char(c) = key.code {
                    let mut search = std::mem::take(&mut self.search);
                    search.push(c);
                    self.set_search(shared, search);
                }
            }
        }
        Some(Action::Continue)
    }

    /// Enter: the start form, or the runbook opened in the response.
    fn choose(&mut self, shared: &mut Shared<'_>) {
        let Some(runbook) = self.highlighted(shared).map(|r| r.runbook.clone()) else {
            shared.error("no runbook matches the search");
            return;
        };
        if shared.response.is_some() {
            shared.open_runbook(&runbook.id);
            shared.screen = Screen::Run;
        } else {
            let mut form = Dialog::form(
                FormPurpose::Start(runbook.id.clone()),
                &[
                    ("Incident name", shared.last.incident.clone()),
                    ("Your name", shared.last.name.clone()),
                    ("Your role", shared.last.role.clone()),
                ],
            );
            if let Dialog::Form { about, .. } = &mut form {
                *about = Some((
                    printable_line(&runbook.title).into_owned(),
                    printable_line(&runbook.id).into_owned(),
                ));
            }
            shared.dialogs.push(form);
        }
    }
}

/// The files that did not load, once per cause and wrapped, at the bottom of
/// the list (all of it when nothing loaded); returns the area left for the
/// list. A wrong identity is the usual cause, and its words say what to do.
fn draw_failures(frame: &mut Frame<'_>, app: &Shared<'_>, area: Rect) -> Rect {
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

/// Draws the library screen.
pub fn draw(frame: &mut Frame<'_>, library: &Library, app: &Shared<'_>, area: Rect) {
    let theme = &app.theme;
    // Nothing to preview when nothing loaded: the reasons get the width.
    let [list_area, preview_area] = if app.loaded.is_empty() && !app.failures.is_empty() {
        [area, Rect::default()]
    } else if area.width >= 100 {
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area)
    } else {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area)
    };
    let search = if library.search().is_empty() {
        Span::styled(" type to search ", theme.dim)
    } else {
        Span::styled(
            format!(" search: {}_ ", printable_line(library.search())),
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

    let visible = library.visible();
    let cursor = library.cursor.min(visible.len().saturating_sub(1));
    let mut lines: Vec<Line<'_>> = Vec::new();
    let mut cursor_line = 0;
    let mut kind = None;
    // A search lists by match quality, so kind headings would repeat.
    let grouped = library.search().trim().is_empty();
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
    if library.loading {
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
    let Some(r) = library.highlighted(app) else {
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
