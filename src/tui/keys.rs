//! Key tables: each screen declares its keys once, gitui style
//! (`Component::commands()`).
//!
//! A [`Table`] lists a screen's [`Binding`]s: the keys, how the help writes
//! them, the hint bar's word and the help's sentence, and the command they
//! stand for. A screen's handler asks its table which command a key is and
//! matches on that command, so a key the table does not list reaches no
//! handler, and the hint bar and the `?` help are built from the same table:
//! no key can be bound and undocumented, or documented and dead.

use std::cell::Cell;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::theme::Theme;

/// What the event loop should do after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Keep going (redraw).
    Continue,
    /// Leave the interface.
    Quit,
}

/// What a key does on every screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Global {
    /// Leave (a response's session is ended in the journal first).
    Quit,
}

/// The keys every screen answers to, before its own.
pub const GLOBAL: Table<Global> = Table {
    title: "Everywhere",
    bindings: &[Binding {
        keys: &[Key::Ctrl('c')],
        label: "Ctrl-C",
        hint: None,
        help: "quit, even from a dialog",
        command: Global::Quit,
    }],
};

/// A key, or a family of keys, a binding answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// This key without Ctrl (a capital letter arrives as its character).
    Is(KeyCode),
    /// This letter with Ctrl held.
    Ctrl(char),
    /// A digit from 1 to 9.
    Digit,
    /// Any printable character, typed as text (a search).
    Typing,
}

impl Key {
    /// Whether `key` is this key.
    pub fn matches(self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match self {
            Key::Is(code) => !ctrl && key.code == code,
            Key::Ctrl(c) => ctrl && key.code == KeyCode::Char(c),
            Key::Digit => !ctrl && matches!(key.code, KeyCode::Char('1'..='9')),
            Key::Typing => !ctrl && matches!(key.code, KeyCode::Char(c) if !c.is_control()),
        }
    }

    /// Key events this key answers to, for tests that press every key.
    #[cfg(test)]
    pub fn examples(self) -> Vec<KeyEvent> {
        let plain = |code| KeyEvent::new(code, KeyModifiers::NONE);
        match self {
            Key::Is(code) => vec![plain(code)],
            Key::Ctrl(c) => vec![KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)],
            Key::Digit => ('1'..='9').map(|c| plain(KeyCode::Char(c))).collect(),
            Key::Typing => vec![plain(KeyCode::Char('x')), plain(KeyCode::Char('é'))],
        }
    }
}

/// A character key, for tables.
pub const fn ch(c: char) -> Key {
    Key::Is(KeyCode::Char(c))
}

/// One command of a screen and the keys that give it.
#[derive(Debug)]
pub struct Binding<C: 'static> {
    /// The keys, the first match in the table winning.
    pub keys: &'static [Key],
    /// How the help writes the keys (`Up/Down`, `Space`).
    pub label: &'static str,
    /// In the hint bar: how it writes the keys, and the word after them.
    pub hint: Option<(&'static str, &'static str)>,
    /// What the help says the command does.
    pub help: &'static str,
    /// The command.
    pub command: C,
}

/// A screen's keys: a heading for the help and its bindings, most used
/// first (the hint bar shows them in this order, as many as fit).
#[derive(Debug)]
pub struct Table<C: 'static> {
    /// The help's heading.
    pub title: &'static str,
    /// The bindings.
    pub bindings: &'static [Binding<C>],
}

impl<C: Copy> Table<C> {
    /// The command `key` gives here, if any.
    pub fn command(&self, key: &KeyEvent) -> Option<C> {
        self.binding(key).map(|b| b.command)
    }

    /// The binding `key` falls to, if any.
    pub fn binding(&self, key: &KeyEvent) -> Option<&'static Binding<C>> {
        self.bindings
            .iter()
            .find(|b| b.keys.iter().any(|k| k.matches(key)))
    }
}

impl<C> Table<C> {
    /// The hint bar's entries.
    pub fn hints(&self) -> Vec<(&'static str, &'static str)> {
        self.bindings.iter().filter_map(|b| b.hint).collect()
    }

    /// The help's rows: the heading (with no text), then each binding.
    pub fn help(&self) -> Vec<(&'static str, &'static str)> {
        std::iter::once((self.title, ""))
            .chain(self.bindings.iter().map(|b| (b.label, b.help)))
            .collect()
    }
}

/// The hint bar: `keys` in order, as many as fit in `width` columns.
pub fn hint_line(theme: &Theme, keys: &[(&str, &str)], width: u16) -> Line<'static> {
    let mut spans = Vec::new();
    let mut used = 0;
    for (k, what) in keys {
        let what = format!(" {what} ");
        let needs = Span::raw(*k).width() + Span::raw(what.as_str()).width();
        if used + needs > usize::from(width) {
            break;
        }
        used += needs;
        spans.push(Span::styled((*k).to_owned(), theme.key));
        spans.push(Span::styled(what, theme.dim));
    }
    Line::from(spans)
}

/// The `?` overlay: the rows of the key tables in force (a row with no text
/// is a heading). When they do not all fit it takes the whole screen and the
/// arrows scroll it; any other key closes it.
#[derive(Debug)]
pub struct Help {
    rows: Vec<(&'static str, &'static str)>,
    scroll: u16,
    /// Rows that did not fit when last drawn (only drawing knows the
    /// screen's height): how far the arrows may scroll.
    hidden: Cell<u16>,
}

impl Help {
    /// The help over these rows.
    pub fn new(rows: Vec<(&'static str, &'static str)>) -> Self {
        Self {
            rows,
            scroll: 0,
            hidden: Cell::new(0),
        }
    }

    /// A key pressed on it: whether it stays open.
    pub fn key(&mut self, code: KeyCode) -> bool {
        let hidden = self.hidden.get();
        if hidden == 0 {
            return false;
        }
        self.scroll = match code {
            KeyCode::Down => self.scroll.saturating_add(1),
            KeyCode::Up => self.scroll.saturating_sub(1),
            KeyCode::PageDown => self.scroll.saturating_add(10),
            KeyCode::PageUp => self.scroll.saturating_sub(10),
            _ => return false,
        }
        .min(hidden);
        true
    }

    /// Draws it centred, `width` wide when it fits.
    pub fn draw(&self, frame: &mut Frame<'_>, theme: &Theme, width: u16) {
        let full = frame.area();
        let rows = self.rows.len();
        let room = usize::from(full.height.saturating_sub(2));
        let hidden = u16::try_from(rows.saturating_sub(room)).unwrap_or(u16::MAX);
        self.hidden.set(hidden);
        let height = u16::try_from(rows + 2).unwrap_or(u16::MAX).min(full.height);
        // A help too long for the screen takes all of it, so nothing behind
        // shows at its edges.
        let width = if hidden == 0 {
            width.min(full.width)
        } else {
            full.width
        };
        let area = Rect::new(
            full.x + (full.width - width) / 2,
            full.y + (full.height - height) / 2,
            width,
            height,
        );
        let lines: Vec<Line<'_>> = self
            .rows
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
        let title = if hidden == 0 {
            " Keys (any key closes) "
        } else {
            " Keys (Up/Down scroll, any other key closes) "
        };
        frame.render_widget(Clear, area);
        frame.render_widget(
            Paragraph::new(lines)
                .style(theme.text)
                .scroll((self.scroll.min(hidden), 0))
                .block(theme.block(title)),
            area,
        );
    }
}
