//! Colours and symbols: one [`Theme`] decides how every screen looks.
//!
//! Three palettes (normal colour, high contrast, and none at all when
//! `NO_COLOR` is set: meaning is then carried by bold, reverse and words) and
//! two symbol sets (Unicode, and plain ASCII for `--ascii` terminals). Screens
//! never pick a colour or a glyph themselves: they ask the theme.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;
use ratatui::widgets::{Block, Borders};

/// How the interface should look, from flags and the environment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Look {
    /// No colour at all (`NO_COLOR`).
    pub no_color: bool,
    /// Strong colours on black for bright rooms and projectors.
    pub high_contrast: bool,
    /// ASCII only: no box drawing, no Unicode symbols.
    pub ascii: bool,
}

impl Look {
    /// `NO_COLOR` set to anything non-empty turns colour off (no-color.org).
    pub fn no_color_from_env() -> bool {
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }
}

/// Styles and symbols for every screen.
#[derive(Debug, Clone)]
pub struct Theme {
    /// What it was made from.
    pub look: Look,
    /// Ordinary text.
    pub text: Style,
    /// Secondary text (hints, times).
    pub dim: Style,
    /// Headings and the focused item's accent.
    pub accent: Style,
    /// The selected row.
    pub selected: Style,
    /// Good news (done, signed, met).
    pub good: Style,
    /// Care needed (skipped, review due, running clock).
    pub warn: Style,
    /// Bad news (blocked, untrusted, breached, errors).
    pub bad: Style,
    /// The key names in the hint bar.
    pub key: Style,
    /// Step markers and check boxes.
    pub symbols: Symbols,
}

/// The glyphs used for states.
#[derive(Debug, Clone, Copy)]
pub struct Symbols {
    /// A step done.
    pub done: &'static str,
    /// The step to work on now.
    pub current: &'static str,
    /// A step still to do.
    pub todo: &'static str,
    /// A step skipped.
    pub skipped: &'static str,
    /// A step blocked.
    pub blocked: &'static str,
    /// A ticked check.
    pub ticked: &'static str,
    /// A check not ticked.
    pub unticked: &'static str,
    /// Separator in one-line texts.
    pub dot: &'static str,
    /// Arrow for "goes to".
    pub arrow: &'static str,
    /// A deadline.
    pub clock: &'static str,
    /// Marks text shortened to fit.
    pub ellipsis: &'static str,
}

const UNICODE: Symbols = Symbols {
    done: "✔",
    current: "▶",
    todo: "·",
    skipped: "↷",
    blocked: "■",
    ticked: "[✔]",
    unticked: "[ ]",
    dot: "·",
    arrow: "→",
    clock: "◷",
    ellipsis: "…",
};

const ASCII: Symbols = Symbols {
    done: "x",
    current: ">",
    todo: "-",
    skipped: "~",
    blocked: "!",
    ticked: "[x]",
    unticked: "[ ]",
    dot: "|",
    arrow: "->",
    clock: "@",
    ellipsis: "...",
};

/// Box drawing in plain ASCII.
const ASCII_BORDER: border::Set<'static> = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

impl Theme {
    /// The theme for a look.
    pub fn new(look: Look) -> Self {
        let symbols = if look.ascii { ASCII } else { UNICODE };
        let bold = Style::new().add_modifier(Modifier::BOLD);
        if look.no_color {
            return Self {
                look,
                text: Style::new(),
                dim: Style::new(),
                accent: bold,
                selected: Style::new().add_modifier(Modifier::REVERSED),
                good: Style::new(),
                warn: bold,
                bad: bold.add_modifier(Modifier::UNDERLINED),
                key: bold,
                symbols,
            };
        }
        if look.high_contrast {
            return Self {
                look,
                text: Style::new().fg(Color::White).bg(Color::Black),
                dim: Style::new().fg(Color::White).bg(Color::Black),
                accent: bold.fg(Color::LightYellow).bg(Color::Black),
                selected: bold.fg(Color::Black).bg(Color::LightYellow),
                good: bold.fg(Color::LightGreen).bg(Color::Black),
                warn: bold.fg(Color::LightYellow).bg(Color::Black),
                bad: bold.fg(Color::LightRed).bg(Color::Black),
                key: bold.fg(Color::LightCyan).bg(Color::Black),
                symbols,
            };
        }
        Self {
            look,
            text: Style::new(),
            dim: Style::new().fg(Color::DarkGray),
            accent: bold.fg(Color::Cyan),
            selected: Style::new().fg(Color::Black).bg(Color::Cyan),
            good: Style::new().fg(Color::Green),
            warn: Style::new().fg(Color::Yellow),
            bad: bold.fg(Color::Red),
            key: bold.fg(Color::Cyan),
            symbols,
        }
    }

    /// A bordered block with a title, in this theme's box drawing.
    pub fn block<'a>(&self, title: impl Into<ratatui::text::Line<'a>>) -> Block<'a> {
        let block = Block::new()
            .borders(Borders::ALL)
            .title(title)
            .style(self.text);
        if self.look.ascii {
            block.border_set(ASCII_BORDER)
        } else {
            block.border_set(border::PLAIN)
        }
    }
}
