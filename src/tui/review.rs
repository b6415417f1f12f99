//! The review screen: an auditor's read-only look at one or more journals.
//!
//! Nothing here can write: the screen holds a [`Timeline`] (read with
//! `crate::report`, the same reading every export uses) and the runbook
//! versions compared with the library's HEAD, and keys only move, filter and
//! switch views. At the top, the integrity banner of each file; then one of
//! three views: the timeline (with filters by actor, runbook, event type,
//! decisions only, corrections; the selected entry in detail, a corrected
//! entry struck through beside its replacement), the runbook versions
//! followed with a diff against HEAD, and the exercise scores: for a journal
//! of an exercise, the deterministic [`Scorecard`] against the definition the
//! command line found in the library (`crate::exercise::score`, the same as
//! `exercise score` and the after-action report), or, without a definition,
//! a line saying so; the facilitator's scores (`expectation_scored`) in both
//! cases. Every untrusted string passes through
//! [`printable_line`]/[`printable`].

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::keys::{Action, Binding, GLOBAL, Global, Help, Key, Table, ch, hint_line};
use super::terminal::{self, Interface};
use super::theme::{Look, Theme};
use crate::exercise::aar::card_lines;
use crate::exercise::{Outcome, Scorecard};
use crate::journal::Event;
use crate::lessons::TrackedLesson;
use crate::report::diff::Comparison;
use crate::report::{Row, Timeline, VersionRow, versions};
use crate::text::{printable, printable_line};

/// Which view fills the screen under the banner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Every entry, filtered, with the selected one in detail.
    Timeline,
    /// Runbook versions followed, each against HEAD.
    Versions,
    /// Exercise expectation scores.
    Scores,
}

/// What the timeline shows. Each field narrows it; all empty shows all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this actor's entries (by name).
    pub actor: Option<String>,
    /// Only entries about this runbook.
    pub runbook: Option<String>,
    /// Only this event type (`step_done`...).
    pub kind: Option<String>,
    /// Only decisions.
    pub decisions: bool,
    /// Only corrections and the entries they correct.
    pub corrections: bool,
}

impl Filter {
    fn keeps(&self, row: &Row) -> bool {
        let name = row.entry.actor.as_ref().map(|a| a.name.as_str());
        self.actor.as_deref().is_none_or(|a| name == Some(a))
            && self
                .runbook
                .as_deref()
                .is_none_or(|r| row.runbook() == Some(r))
            && self.kind.as_deref().is_none_or(|k| row.kind() == k)
            && (!self.decisions || row.is_decision())
            && (!self.corrections || row.is_correction_related())
    }

    /// The active filters in words.
    fn describe(&self) -> String {
        let mut out = Vec::new();
        if let Some(a) = &self.actor {
            out.push(format!("actor {a}"));
        }
        if let Some(r) = &self.runbook {
            out.push(format!("runbook {r}"));
        }
        if let Some(k) = &self.kind {
            out.push(format!("type {k}"));
        }
        if self.decisions {
            out.push("decisions only".to_owned());
        }
        if self.corrections {
            out.push("corrections".to_owned());
        }
        if out.is_empty() {
            "none".to_owned()
        } else {
            out.join(", ")
        }
    }
}

/// What the Scores view knows of one exercise journal's definition.
#[derive(Debug, Clone)]
pub enum ExerciseScores {
    /// Scored against a definition found in the library.
    Scored {
        /// The scorecard.
        card: Box<Scorecard>,
        /// The definition's file, as shown.
        file: String,
        /// Its digest is the one the run recorded.
        same: bool,
    },
    /// No definition could be used: why.
    Unavailable(String),
}

/// The review screen's state.
pub struct Review {
    /// The journals, read.
    pub timeline: Timeline,
    /// Each runbook version followed, with how it compares with HEAD.
    pub versions: Vec<VersionRow>,
    /// Colours and symbols.
    pub theme: Theme,
    /// The view shown.
    pub view: View,
    /// The timeline's filters.
    pub filter: Filter,
    /// Selected entry, as an index into [`Review::visible`].
    pub selected: usize,
    /// Selected version in the versions view.
    pub version: usize,
    /// Lines scrolled in the diff.
    pub diff_scroll: u16,
    /// Lines scrolled in the scores.
    pub scores_scroll: u16,
    /// The furthest the scores can scroll, as last drawn (it depends on the
    /// width, so only drawing knows it): keeps PgDn from running past the end.
    scores_last: std::cell::Cell<u16>,
    /// Scores of the exercise journals, by index in `timeline.sources`.
    pub scores: Vec<(usize, ExerciseScores)>,
    /// The key list, when it is open.
    pub help: Option<Help>,
    /// Lessons of these journals past their due date, not closed.
    pub overdue_lessons: Vec<TrackedLesson>,
    /// The timeline is the first part of the journals only: the rest is
    /// still being read and checked ([`run_reading`]), so no verdict shows.
    pub reading: bool,
}

/// What a key does on the review screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Do {
    /// Leave.
    Quit,
    /// The keys.
    Help,
    /// The next view.
    View,
    /// Filter by the next actor.
    Actor,
    /// Filter by the next runbook.
    Runbook,
    /// Filter by the next event type.
    Kind,
    /// Decisions only, or not.
    Decisions,
    /// Corrections only, or not.
    Corrections,
    /// No filter.
    Clear,
    /// Move the selection (in the scores, scroll).
    Move,
    /// Scroll the diff (in the scores, scroll).
    Diff,
}

/// The review screen's keys.
pub const KEYS: Table<Do> = Table {
    title: "Review (read-only: nothing is ever written)",
    bindings: &[
        Binding {
            keys: &[Key::Is(KeyCode::Tab)],
            label: "Tab",
            hint: Some(("Tab", "view")),
            help: "timeline, runbook versions, exercise scores",
            command: Do::View,
        },
        Binding {
            keys: &[ch('a')],
            label: "a",
            hint: Some(("a/r/t", "actor/runbook/type")),
            help: "filter by actor (again: next actor, then all)",
            command: Do::Actor,
        },
        Binding {
            keys: &[ch('r')],
            label: "r",
            hint: None,
            help: "filter by runbook",
            command: Do::Runbook,
        },
        Binding {
            keys: &[ch('t')],
            label: "t",
            hint: None,
            help: "filter by event type",
            command: Do::Kind,
        },
        Binding {
            keys: &[ch('d')],
            label: "d",
            hint: Some(("d", "decisions")),
            help: "decisions only",
            command: Do::Decisions,
        },
        Binding {
            keys: &[ch('c')],
            label: "c",
            hint: Some(("c", "corrections")),
            help: "corrections and the entries they correct",
            command: Do::Corrections,
        },
        Binding {
            keys: &[ch('x')],
            label: "x",
            hint: Some(("x", "clear")),
            help: "clear the filters",
            command: Do::Clear,
        },
        Binding {
            keys: &[ch('?')],
            label: "?",
            hint: Some(("?", "keys")),
            help: "this help",
            command: Do::Help,
        },
        Binding {
            keys: &[ch('q'), Key::Is(KeyCode::Esc)],
            label: "q / Esc",
            hint: Some(("q", "quit")),
            help: "leave (nothing is ever written)",
            command: Do::Quit,
        },
        Binding {
            keys: &[
                Key::Is(KeyCode::Up),
                Key::Is(KeyCode::Down),
                ch('j'),
                ch('k'),
                Key::Is(KeyCode::PageUp),
                Key::Is(KeyCode::PageDown),
                Key::Is(KeyCode::Home),
                Key::Is(KeyCode::End),
                ch('g'),
                ch('G'),
            ],
            label: "Up/Down j/k",
            hint: None,
            help: "move; PgUp/PgDn, Home/End g/G",
            command: Do::Move,
        },
        Binding {
            keys: &[ch('J'), ch('K')],
            label: "J/K",
            hint: None,
            help: "scroll the diff (in scores: j/k, PgUp/PgDn)",
            command: Do::Diff,
        },
    ],
};

/// The next value in `values` after `current` (None after the last: all).
fn cycle(values: &[String], current: &Option<String>) -> Option<String> {
    match current {
        None => values.first().cloned(),
        Some(c) => values
            .iter()
            .position(|v| v == c)
            .and_then(|i| values.get(i + 1))
            .cloned(),
    }
}

/// Distinct values in first-seen order.
fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

impl Review {
    /// A review of `timeline` (with [`Timeline::head`] filled when a library
    /// was there to compare the versions followed with).
    pub fn new(timeline: Timeline, look: Look) -> Self {
        Self {
            versions: versions(&timeline),
            timeline,
            theme: Theme::new(look),
            view: View::Timeline,
            filter: Filter::default(),
            selected: 0,
            version: 0,
            diff_scroll: 0,
            scores_scroll: 0,
            scores_last: std::cell::Cell::new(u16::MAX),
            scores: Vec::new(),
            help: None,
            overdue_lessons: Vec::new(),
            reading: false,
        }
    }

    /// The review with the scores of its exercise journals, by source index.
    pub fn with_scores(mut self, scores: Vec<(usize, ExerciseScores)>) -> Self {
        self.scores = scores;
        self
    }

    /// The review with the lessons of its journals that are overdue.
    pub fn with_overdue_lessons(mut self, lessons: Vec<TrackedLesson>) -> Self {
        self.overdue_lessons = lessons;
        self
    }

    /// The rows the filters keep, in time order.
    pub fn visible(&self) -> Vec<&Row> {
        self.timeline
            .rows
            .iter()
            .filter(|r| self.filter.keeps(r))
            .collect()
    }

    fn set_filter(&mut self, change: impl FnOnce(&mut Filter)) {
        change(&mut self.filter);
        self.selected = 0;
    }

    /// Handles one key press: only the keys of [`KEYS`] do anything.
    pub fn handle_key(&mut self, key: KeyEvent) -> Action {
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
        let rows = &self.timeline.rows;
        match command {
            Do::Quit => return Action::Quit,
            Do::Help => self.help = Some(Help::new([KEYS.help(), GLOBAL.help()].concat())),
            Do::View => {
                self.view = match self.view {
                    View::Timeline => View::Versions,
                    View::Versions => View::Scores,
                    View::Scores => View::Timeline,
                };
            }
            Do::Actor => {
                let actors = distinct(
                    rows.iter()
                        .filter_map(|r| r.entry.actor.as_ref().map(|a| a.name.clone())),
                );
                self.set_filter(|f| f.actor = cycle(&actors, &f.actor));
            }
            Do::Runbook => {
                let runbooks = distinct(rows.iter().filter_map(|r| r.runbook().map(str::to_owned)));
                self.set_filter(|f| f.runbook = cycle(&runbooks, &f.runbook));
            }
            Do::Kind => {
                let kinds = distinct(rows.iter().map(|r| r.kind().to_owned()));
                self.set_filter(|f| f.kind = cycle(&kinds, &f.kind));
            }
            Do::Decisions => self.set_filter(|f| f.decisions = !f.decisions),
            Do::Corrections => self.set_filter(|f| f.corrections = !f.corrections),
            Do::Clear => self.set_filter(|f| *f = Filter::default()),
            Do::Move | Do::Diff => self.move_selection(key.code),
        }
        Action::Continue
    }

    fn move_selection(&mut self, code: KeyCode) {
        let (len, at) = match self.view {
            View::Timeline => (self.visible().len(), self.selected),
            View::Versions => (self.versions.len(), self.version),
            View::Scores => {
                self.scroll_scores(code);
                return;
            }
        };
        let last = len.saturating_sub(1);
        let to = match code {
            KeyCode::Down | KeyCode::Char('j') => (at + 1).min(last),
            KeyCode::Up | KeyCode::Char('k') => at.saturating_sub(1),
            KeyCode::PageDown => (at + 10).min(last),
            KeyCode::PageUp => at.saturating_sub(10),
            KeyCode::Home | KeyCode::Char('g') => 0,
            KeyCode::End | KeyCode::Char('G') => last,
            KeyCode::Char('J') => {
                self.diff_scroll = self.diff_scroll.saturating_add(5);
                return;
            }
            KeyCode::Char('K') => {
                self.diff_scroll = self.diff_scroll.saturating_sub(5);
                return;
            }
            _ => return,
        };
        match self.view {
            View::Timeline => self.selected = to,
            View::Versions => {
                if to != self.version {
                    self.diff_scroll = 0;
                }
                self.version = to;
            }
            View::Scores => {}
        }
    }
}

impl Review {
    fn scroll_scores(&mut self, code: KeyCode) {
        let at = self.scores_scroll;
        self.scores_scroll = match code {
            KeyCode::Down | KeyCode::Char('j' | 'J') => at.saturating_add(1),
            KeyCode::Up | KeyCode::Char('k' | 'K') => at.saturating_sub(1),
            KeyCode::PageDown => at.saturating_add(10),
            KeyCode::PageUp => at.saturating_sub(10),
            KeyCode::Home | KeyCode::Char('g') => 0,
            _ => at,
        }
        .min(self.scores_last.get());
    }
}

/// Draws the review screen.
pub fn draw(frame: &mut Frame<'_>, review: &Review) {
    let theme = &review.theme;
    let area = frame.area();
    frame.render_widget(Paragraph::new("").style(theme.text), area);
    let banner_lines = banner(review);
    // Wrapped height: each line takes as many rows as its width needs.
    let inner = usize::from(area.width.saturating_sub(2).max(1));
    let wrapped: usize = banner_lines
        .iter()
        .map(|l| l.width().div_ceil(inner).max(1))
        .sum();
    let banner_height = u16::try_from(wrapped + 2)
        .unwrap_or(u16::MAX)
        .min(area.height / 3)
        .max(3);
    let [top, tabs, main, hints] = Layout::vertical([
        Constraint::Length(banner_height),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(banner_lines)
            .wrap(Wrap { trim: false })
            .block(theme.block(" Integrity ")),
        top,
    );
    draw_tabs(frame, review, tabs);
    match review.view {
        View::Timeline => draw_timeline(frame, review, main),
        View::Versions => draw_versions(frame, review, main),
        View::Scores => draw_scores(frame, review, main),
    }
    frame.render_widget(
        Paragraph::new(hint_line(theme, &KEYS.hints(), hints.width)),
        hints,
    );
    if let Some(help) = &review.help {
        help.draw(frame, theme, 70);
    }
}

/// The integrity banner: per file, the verdict then its sentences.
fn banner(review: &Review) -> Vec<Line<'static>> {
    let theme = &review.theme;
    let mut out = Vec::new();
    if review.reading {
        // The part read so far says nothing of the rest: no verdict yet.
        out.push(Line::from(vec![
            Span::styled("READING", theme.warn.add_modifier(Modifier::BOLD)),
            Span::raw(
                " the first entries are shown; the rest is being read and checked, and the integrity verdict shows when it is in",
            ),
        ]));
        return out;
    }
    for file in &review.timeline.files {
        let (style, verdict) = if file.report.ok() {
            (theme.good, "VERIFIED")
        } else {
            (theme.bad, "FAILED")
        };
        let mut spans = vec![
            Span::styled(verdict, style.add_modifier(Modifier::BOLD)),
            Span::raw(format!(
                " {}: ",
                printable_line(&file.report.file.display().to_string())
            )),
        ];
        spans.push(Span::raw(
            printable_line(&file.lines().join(" ")).into_owned(),
        ));
        out.push(Line::from(spans));
    }
    for lesson in &review.overdue_lessons {
        out.push(Line::from(vec![
            Span::styled("LESSON OVERDUE", theme.bad.add_modifier(Modifier::BOLD)),
            Span::raw(
                printable_line(&format!(
                    " {}: {} (owner {}, due {})",
                    lesson.id,
                    lesson.text,
                    lesson.owner.as_deref().unwrap_or("none"),
                    lesson.due.map_or_else(String::new, |d| d.to_string())
                ))
                .into_owned(),
            ),
        ]));
    }
    // The registers as the journals left them: what is still to key back.
    for source in &review.timeline.sources {
        let state = &source.state;
        if state.cases.is_empty() {
            continue;
        }
        let end = crate::response::deadline_now(state, state.last_at.unwrap_or_default());
        let rows = crate::response::cases::register(state, None, end);
        let n = crate::response::cases::counts(&rows, end);
        let style = if n.missed > 0 || n.not_keyed > 0 {
            theme.warn
        } else {
            theme.good
        };
        out.push(Line::from(Span::styled(
            format!(
                "Cases: {}, {} missed a deadline, {} not keyed back",
                n.cases, n.missed, n.not_keyed
            ),
            style,
        )));
    }
    out
}

fn draw_tabs(frame: &mut Frame<'_>, review: &Review, area: Rect) {
    let theme = &review.theme;
    let mut spans = Vec::new();
    for (view, name) in [
        (View::Timeline, "Timeline"),
        (View::Versions, "Versions"),
        (View::Scores, "Scores"),
    ] {
        let style = if view == review.view {
            theme.selected
        } else {
            theme.dim
        };
        spans.push(Span::styled(format!(" {name} "), style));
        spans.push(Span::raw(" "));
    }
    if review.view == View::Timeline {
        let shown = review.visible().len();
        // While reading, the count is of the first part only.
        let so_far = if review.reading { " read so far" } else { "" };
        spans.push(Span::styled(
            format!(
                " {shown}/{} entries{so_far} {} filters: {}",
                review.timeline.rows.len(),
                theme.symbols.dot,
                printable_line(&review.filter.describe())
            ),
            theme.dim,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// One timeline row as a line: seq, local time, actor, event in words.
fn row_line(review: &Review, row: &Row, selected: bool) -> Line<'static> {
    let theme = &review.theme;
    let local = row.local();
    let time = local.get(11..19).unwrap_or(&local).to_owned();
    let mut spans = Vec::new();
    if review.timeline.merged() {
        let width = review
            .timeline
            .sources
            .iter()
            .map(|s| printable_line(&s.name).chars().count())
            .max()
            .unwrap_or(0);
        spans.push(Span::styled(
            format!(
                "{:<width$} ",
                printable_line(review.timeline.source_name(row))
            ),
            theme.accent,
        ));
    }
    spans.push(Span::styled(
        format!("{:>4} {time} ", row.entry.seq),
        theme.dim,
    ));
    let actor = row
        .entry
        .actor
        .as_ref()
        .map_or_else(String::new, |a| printable_line(&a.name).into_owned());
    spans.push(Span::raw(format!("{actor}: ")));
    // One line of the list: no terminal is wider than this.
    let text = printable_line(text_start(&row.text, ROW_CHARS).0).into_owned();
    let style = match &row.entry.event {
        _ if !row.corrected_by.is_empty() => theme.dim.add_modifier(Modifier::CROSSED_OUT),
        Some(Event::Decision { .. }) => theme.accent,
        Some(Event::Correction { .. }) => theme.warn,
        Some(Event::ClockBreached { .. }) => theme.bad,
        None => theme.dim,
        _ => theme.text,
    };
    spans.push(Span::styled(text, style));
    if !row.corrected_by.is_empty() {
        let by: Vec<String> = row
            .corrected_by
            .iter()
            .map(|(s, _)| format!("#{s}"))
            .collect();
        spans.push(Span::styled(
            format!(" (corrected by {})", by.join(", ")),
            theme.warn,
        ));
    }
    let line = Line::from(spans);
    if selected {
        line.style(theme.selected)
    } else {
        line
    }
}

fn draw_timeline(frame: &mut Frame<'_>, review: &Review, area: Rect) {
    let theme = &review.theme;
    let wide = area.width >= 110;
    let [list_area, detail_area] = if wide {
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area)
    } else {
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area)
    };
    let rows = review.visible();
    let height = list_area.height.saturating_sub(2) as usize;
    let selected = review.selected.min(rows.len().saturating_sub(1));
    let offset = (selected + 1).saturating_sub(height);
    let lines: Vec<Line<'static>> = if rows.is_empty() {
        vec![Line::styled(
            "No entry matches the filters (x clears them).",
            theme.dim,
        )]
    } else {
        rows.iter()
            .enumerate()
            .skip(offset)
            .take(height)
            .map(|(i, row)| row_line(review, row, i == selected))
            .collect()
    };
    frame.render_widget(
        Paragraph::new(lines).block(theme.block(" Timeline ")),
        list_area,
    );
    let detail = rows
        .get(selected)
        .map_or_else(Vec::new, |row| detail_lines(review, row));
    frame.render_widget(
        Paragraph::new(detail)
            .wrap(Wrap { trim: false })
            .block(theme.block(" Entry ")),
        detail_area,
    );
}

/// The selected entry in full.
fn detail_lines(review: &Review, row: &Row) -> Vec<Line<'static>> {
    let theme = &review.theme;
    let mut out = Vec::new();
    let label = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k}: "), theme.dim),
            Span::raw(printable_line(&v).into_owned()),
        ])
    };
    let mut head = format!("#{} {} ({})", row.entry.seq, row.local(), row.utc());
    if let Some(t) = row.ex_t() {
        head.push_str(&format!(" {t}"));
    }
    out.push(Line::styled(head, theme.accent));
    out.push(label("by", row.actor()));
    let mut what = row.kind().to_owned();
    if let Some(rb) = row.runbook() {
        what.push_str(&format!(" {} {rb}", theme.symbols.dot));
    }
    if review.timeline.merged() {
        what.push_str(&format!(
            " {} journal {}",
            theme.symbols.dot,
            review.timeline.source_name(row)
        ));
    }
    out.push(label("what", what));
    let (text, cut) = text_start(&row.text, SHOWN_CHARS);
    if row.corrected_by.is_empty() {
        for line in printable(text).lines() {
            out.push(Line::raw(line.to_owned()));
        }
    } else {
        out.push(Line::styled(
            "ORIGINAL (struck through, never erased):",
            theme.warn,
        ));
        for line in printable(text).lines() {
            out.push(Line::styled(
                line.to_owned(),
                theme.dim.add_modifier(Modifier::CROSSED_OUT),
            ));
        }
        for (seq, replacement) in &row.corrected_by {
            out.push(Line::from(vec![
                Span::styled(
                    format!("CORRECTED by #{seq} {} ", theme.symbols.arrow),
                    theme.good,
                ),
                Span::raw(printable_line(replacement).into_owned()),
            ]));
        }
    }
    if cut {
        out.push(Line::styled(
            format!(
                "… {} more bytes not shown here: `grabbag journal export` prints the whole entry",
                row.text.len() - text.len()
            ),
            theme.warn,
        ));
    }
    out.push(label("witness", row.witness()));
    out
}

/// At most this many characters of an entry's text are drawn in the entry
/// pane, which shows a screenful: wrapping a 50 MB note whole on every frame
/// cost 2.6 s and 1.8 GiB per key press.
const SHOWN_CHARS: usize = 16 * 1024;

/// At most this many characters of an entry's text make its timeline row.
const ROW_CHARS: usize = 512;

/// The start of `text`, at most `chars` characters, and whether it was cut.
fn text_start(text: &str, chars: usize) -> (&str, bool) {
    match text.char_indices().nth(chars) {
        Some((end, _)) => (&text[..end], true),
        None => (text, false),
    }
}

fn draw_versions(frame: &mut Frame<'_>, review: &Review, area: Rect) {
    let theme = &review.theme;
    let [list_area, diff_area] =
        Layout::vertical([Constraint::Length(6), Constraint::Min(3)]).areas(area);
    let lines: Vec<Line<'static>> = if review.versions.is_empty() {
        vec![Line::styled(
            "No runbook versions to compare (none opened, or no library given).",
            theme.dim,
        )]
    } else {
        let height = list_area.height.saturating_sub(2) as usize;
        let offset = (review.version + 1).saturating_sub(height);
        review
            .versions
            .iter()
            .enumerate()
            .skip(offset)
            .take(height)
            .map(|(i, v)| {
                let commit = v
                    .commit
                    .as_deref()
                    .map_or("uncommitted", crate::report::short_id);
                let blob = v.blob.as_deref().map_or("-", crate::report::short_id);
                let (state, style) = match &v.against_head {
                    Some(Comparison::Same) => ("same as HEAD", theme.good),
                    Some(Comparison::Changed(_)) => ("HEAD has CHANGED", theme.warn),
                    Some(Comparison::Unavailable(_)) | None => ("not compared", theme.dim),
                };
                let line = Line::from(vec![
                    Span::raw(format!(
                        "{} commit {} blob {} (seq {}) ",
                        printable_line(&v.runbook),
                        printable_line(commit),
                        printable_line(blob),
                        v.opened_seq
                    )),
                    Span::styled(state, style),
                ]);
                if i == review.version {
                    line.style(theme.selected)
                } else {
                    line
                }
            })
            .collect()
    };
    frame.render_widget(
        Paragraph::new(lines).block(theme.block(" Runbook versions followed ")),
        list_area,
    );
    let diff: Vec<Line<'static>> =
        match review.versions.get(review.version).map(|v| &v.against_head) {
            None => Vec::new(),
            Some(None) => vec![Line::styled(
                "Not compared: no library was given to compare with.",
                theme.dim,
            )],
            Some(Some(Comparison::Same)) => vec![Line::styled(
                "The version followed is the library's current HEAD.",
                theme.good,
            )],
            Some(Some(Comparison::Unavailable(why))) => {
                vec![Line::styled(printable_line(why).into_owned(), theme.dim)]
            }
            Some(Some(Comparison::Changed(lines))) => lines
                .iter()
                .map(|l| {
                    let style = if l.starts_with('+') {
                        theme.good
                    } else if l.starts_with('-') {
                        theme.bad
                    } else if l.starts_with("@@") {
                        theme.accent
                    } else {
                        theme.text
                    };
                    Line::styled(printable_line(l).into_owned(), style)
                })
                .collect(),
        };
    frame.render_widget(
        Paragraph::new(diff)
            .scroll((review.diff_scroll, 0))
            .block(theme.block(" Followed vs HEAD (J/K scroll) ")),
        diff_area,
    );
}

fn draw_scores(frame: &mut Frame<'_>, review: &Review, area: Rect) {
    let theme = &review.theme;
    let mut lines = Vec::new();
    for (index, source) in review.timeline.sources.iter().enumerate() {
        let state = &source.state;
        let Some(exercise) = state.exercise_id() else {
            continue;
        };
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(
            format!(
                "{}: exercise {}",
                printable_line(&source.name),
                printable_line(exercise)
            ),
            theme.accent,
        ));
        match review
            .scores
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, s)| s)
        {
            Some(ExerciseScores::Scored { card, file, same }) => {
                lines.push(Line::styled(
                    format!(
                        "  Scored against {}: {}",
                        printable_line(file),
                        printable_line(&card.title)
                    ),
                    theme.dim,
                ));
                if !same {
                    lines.push(Line::styled(
                        "  This definition DIFFERS from the one played (digest): scores may not match the run.",
                        theme.warn,
                    ));
                }
                for (outcome, text) in card_lines(card) {
                    let style = match outcome {
                        None => theme.text,
                        Some(Outcome::Met) => theme.good,
                        Some(Outcome::Late | Outcome::Partial) => theme.warn,
                        Some(Outcome::Missed) => theme.bad,
                        Some(Outcome::Unscored | Outcome::NotDelivered) => theme.dim,
                    };
                    lines.push(Line::styled(format!("  {}", printable_line(&text)), style));
                }
            }
            Some(ExerciseScores::Unavailable(why)) => {
                lines.push(Line::styled(
                    format!(
                        "  No exercise definition, so no scorecard: {}",
                        printable_line(why)
                    ),
                    theme.warn,
                ));
            }
            None => lines.push(Line::styled(
                "  No exercise definition available, so no scorecard.",
                theme.warn,
            )),
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled("  Facilitator's scores", theme.accent));
        if source.state.scores.is_empty() {
            lines.push(Line::styled("    none recorded", theme.dim));
        }
        for s in &source.state.scores {
            let style = match s.score.as_str() {
                "met" => theme.good,
                "late" | "partial" => theme.warn,
                _ => theme.bad,
            };
            lines.push(Line::from(vec![
                Span::raw(format!(
                    "    {} / {}: ",
                    printable_line(&s.inject),
                    printable_line(&s.expectation)
                )),
                Span::styled(printable_line(&s.score).into_owned(), style),
                Span::styled(
                    s.evidence
                        .map_or_else(String::new, |e| format!(" (evidence #{e})")),
                    theme.dim,
                ),
            ]));
        }
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            "Not an exercise: no scores to show.",
            theme.dim,
        ));
    }
    let block = theme.block(" Exercise scores (j/k scroll) ");
    let inner = block.inner(area);
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    // Scrolling stops with the last row at the bottom, counted after wrapping
    // (a long expectation takes several rows).
    let rows = paragraph.line_count(inner.width);
    let last = u16::try_from(rows.saturating_sub(usize::from(inner.height))).unwrap_or(u16::MAX);
    review.scores_last.set(last);
    frame.render_widget(
        paragraph
            .scroll((review.scores_scroll.min(last), 0))
            .block(block),
        area,
    );
}

/// The whole of the journals, read and checked on another thread, with
/// what the command line adds once it has them (scores, overdue lessons).
pub type Rest = std::sync::mpsc::Receiver<anyhow::Result<Timeline>>;

/// What the command line adds to a timeline: the scores of its exercise
/// journals and its overdue lessons.
pub type Extras = (Vec<(usize, ExerciseScores)>, Vec<TrackedLesson>);

/// Runs the review screen on `first` (the timeline of the first part of the
/// journals, [`Review::reading`] set) while `rest` is read; when it arrives,
/// `extras` completes it and it replaces the first part on screen, the view
/// and filters kept. Returns whether the whole timeline verified, when it
/// arrived before the reviewer left, else `rest` to wait on.
pub fn run_reading<'f>(
    first: Review,
    rest: Rest,
    extras: impl FnMut(&Timeline) -> Extras + 'f,
) -> anyhow::Result<Result<bool, Rest>> {
    use std::io::IsTerminal as _;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "the review needs a terminal: run it in one, or use `grabbag journal export` for a file"
        );
    }
    let mut screen = Reading {
        review: first,
        rest: Some(rest),
        extras,
    };
    terminal::run(&mut screen)?;
    Ok(match screen.rest {
        Some(rest) => Err(rest),
        None => Ok(screen.review.timeline.ok()),
    })
}

/// The review screen while the rest of the journals is read.
struct Reading<F> {
    review: Review,
    rest: Option<Rest>,
    extras: F,
}

impl<F: FnMut(&Timeline) -> Extras> Interface for Reading<F> {
    fn draw(&self, frame: &mut Frame<'_>) {
        draw(frame, &self.review);
    }

    fn poll(&mut self) -> anyhow::Result<(bool, Action)> {
        let Some(rest) = &self.rest else {
            return Ok((false, Action::Continue));
        };
        let timeline = match rest.try_recv() {
            Ok(timeline) => timeline?,
            Err(std::sync::mpsc::TryRecvError::Empty) => return Ok((false, Action::Continue)),
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                anyhow::bail!("reading the journals stopped before it finished")
            }
        };
        self.rest = None;
        let (scores, lessons) = (self.extras)(&timeline);
        let review = &mut self.review;
        review.versions = versions(&timeline);
        review.timeline = timeline;
        review.scores = scores;
        review.overdue_lessons = lessons;
        review.reading = false;
        review.selected = review
            .selected
            .min(review.visible().len().saturating_sub(1));
        Ok((true, Action::Continue))
    }

    fn wait(&self, until_tick: std::time::Duration) -> std::time::Duration {
        let most = if self.rest.is_some() { 20 } else { 250 };
        until_tick.min(std::time::Duration::from_millis(most))
    }

    fn key(&mut self, key: KeyEvent) -> Option<Action> {
        Some(self.review.handle_key(key))
    }

    fn tick(&mut self) -> bool {
        false
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::path::Path;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::KeyModifiers;

    use super::*;
    use crate::journal::entry::plaintext_journal;
    use crate::journal::verify::VerifyOptions;
    use crate::journal::{Actor, Event};
    use crate::report::Input;

    const SCRIPT: &str = "<script>alert('x')</script>";

    fn who(name: &str) -> Actor {
        Actor {
            name: name.to_owned(),
            role: "Incident Lead".to_owned(),
        }
    }

    /// A plaintext journal at fixed times: one entry a minute from `start`.
    fn journal(start: &str, events: Vec<(Actor, Event)>, exercise: bool) -> Vec<u8> {
        let start = chrono::DateTime::parse_from_rfc3339(start)
            .unwrap_or_default()
            .with_timezone(&chrono::Utc);
        let events = events
            .into_iter()
            .enumerate()
            .map(|(i, (actor, event))| (actor, event, exercise.then_some(60_000 * i as u64)))
            .collect();
        plaintext_journal(start, 60_000, "+01:00", events).unwrap_or_else(|e| panic!("{e}"))
    }

    fn start(incident: &str, exercise: Option<&str>) -> Event {
        Event::SessionStarted {
            library: None,
            grabbag: "0.1.0".to_owned(),
            host: "laptop".to_owned(),
            incident: Some(incident.to_owned()),
            exercise: exercise.map(str::to_owned),
            plaintext: true,
            resumed: false,
        }
    }

    fn note(text: &str) -> Event {
        Event::Note {
            text: text.to_owned(),
            happened_at: None,
        }
    }

    fn alice() -> Vec<u8> {
        let rb = || "cyber/ransomware".to_owned();
        journal(
            "2026-06-01T08:00:00Z",
            vec![
                (who("Alice"), start("Ransomware", None)),
                (
                    who("Alice"),
                    Event::RunbookOpened {
                        runbook: rb(),
                        title: format!("Ransomware {SCRIPT}"),
                        commit: Some("1a2b3c4d".repeat(5)),
                        blob: Some("0f1e2d3c".repeat(5)),
                        dirty: false,
                        unencrypted: false,
                        trust: "signed by ict".to_owned(),
                    },
                ),
                (
                    who("Alice"),
                    Event::StepDone {
                        runbook: rb(),
                        step: "isolate".to_owned(),
                    },
                ),
                (
                    who("Alice"),
                    Event::Decision {
                        runbook: rb(),
                        step: "personal-data".to_owned(),
                        option: "Yes, or unsure".to_owned(),
                        goto: "notify-dpo".to_owned(),
                        rationale: "HR share touched \u{1b}[31mred".to_owned(),
                    },
                ),
                (who("Alice"), note("Called NCSC, ref 1234")),
                (
                    who("Alice"),
                    Event::Correction {
                        of: 5,
                        replacement: "Called NCSC at 09:05, ref 1243".to_owned(),
                    },
                ),
            ],
            false,
        )
    }

    fn bob() -> Vec<u8> {
        journal(
            "2026-06-01T08:00:30Z",
            vec![
                (who("Bob"), start("Ransomware", None)),
                (who("Bob"), note("Switch room checked")),
                (who("Bob"), note(&format!("Backups offline {SCRIPT}"))),
            ],
            false,
        )
    }

    fn review(files: &[(&str, Vec<u8>)], look: Look) -> Review {
        let inputs: Vec<Input<'_>> = files
            .iter()
            .map(|(name, bytes)| Input {
                path: Path::new(name),
                bytes,
            })
            .collect();
        let timeline = Timeline::read(
            &inputs,
            &VerifyOptions::default(),
            None,
            &Vec::<crate::runbook::Runbook>::new(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        Review::new(timeline, look)
    }

    #[test]
    fn a_review_still_reading_shows_no_verdict_until_the_whole_is_in() {
        let mut first = review(&[("a.jsonl", alice())], Look::default());
        first.reading = true;
        first.selected = 3;
        let shown = screen(&first, 120, 30);
        assert!(shown.contains("READING"), "{shown}");
        assert!(
            !shown.contains("VERIFIED"),
            "a verdict on part of the journal: {shown}"
        );
        let (send, rest) = std::sync::mpsc::channel();
        let mut reading = Reading {
            review: first,
            rest: Some(rest),
            extras: |_: &Timeline| (Vec::new(), Vec::new()),
        };
        assert_eq!(
            reading.poll().ok(),
            Some((false, Action::Continue)),
            "nothing yet"
        );
        let whole = review(&[("a.jsonl", alice()), ("b.jsonl", bob())], Look::default());
        send.send(Ok(whole.timeline))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reading.poll().ok(), Some((true, Action::Continue)));
        assert!(reading.rest.is_none() && !reading.review.reading);
        let shown = screen(&reading.review, 120, 30);
        assert!(
            shown.contains("VERIFIED") && !shown.contains("READING"),
            "{shown}"
        );
        assert!(
            shown.contains("Switch room checked"),
            "the whole timeline: {shown}"
        );
        // The place in the timeline is kept.
        assert_eq!(reading.review.selected, 3);
    }

    fn screen(review: &Review, w: u16, h: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("{e}"));
        terminal
            .draw(|f| draw(f, review))
            .unwrap_or_else(|e| panic!("{e}"));
        let buf = terminal.backend().buffer().clone();
        let mut out = String::new();
        for y in 0..h {
            let mut line = String::new();
            for x in 0..w {
                let symbol = buf[(x, y)].symbol();
                assert!(
                    !symbol.chars().any(char::is_control),
                    "a control character reached the buffer"
                );
                line.push_str(symbol);
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    fn snapshot(name: &str, review: &Review, w: u16, h: u16) {
        let text = screen(review, w, h);
        let mut settings = insta::Settings::clone_current();
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!(name, text));
    }

    fn key(review: &mut Review, c: char) {
        review.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }

    /// A review of a sample journal with its help open, drawn `w`×`h`.
    pub(in crate::tui) fn shown_with_help(w: u16, h: u16) -> String {
        let mut r = review(&[("alice.jsonl", alice())], Look::default());
        key(&mut r, '?');
        screen(&r, w, h)
    }

    #[test]
    fn review_screen_shows_integrity_timeline_and_struck_corrections() {
        let mut r = review(&[("alice.jsonl", alice())], Look::default());
        snapshot("review_120x40", &r, 120, 40);
        // Select the corrected note: the detail shows it struck through.
        for _ in 0..4 {
            r.handle_key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
        }
        snapshot("review_corrected_80x24", &r, 80, 24);
        let text = screen(&r, 80, 24);
        assert!(text.contains("ORIGINAL (struck through"), "{text}");
        assert!(text.contains("CORRECTED by #6"), "{text}");
    }

    #[test]
    fn an_overdue_lesson_is_flagged_in_the_banner() {
        let lesson = crate::lessons::TrackedLesson {
            id: "alice#9".to_owned(),
            category: crate::journal::LessonCategory::Action,
            text: "Print the call tree".to_owned(),
            source: "alice.jsonl".to_owned(),
            exercise: None,
            incident: Some("Ransomware".to_owned()),
            recorded: None,
            owner: Some("ICT Security Lead".to_owned()),
            due: chrono::NaiveDate::from_ymd_opt(2026, 7, 1),
            closure: None,
            status: crate::lessons::Status::Overdue,
            gaps: Vec::new(),
        };
        let r =
            review(&[("alice.jsonl", alice())], Look::default()).with_overdue_lessons(vec![lesson]);
        snapshot("review_overdue_lesson_100x24", &r, 100, 24);
        let text = screen(&r, 100, 24);
        assert!(
            text.contains("LESSON OVERDUE alice#9: Print the call tree (owner ICT Security Lead, due 2026-07-01)"),
            "{text}"
        );
    }

    #[test]
    fn the_banner_counts_cases_missed_and_not_keyed_back() {
        let rb = || "continuity/childrens-safeguarding".to_owned();
        let mut events = vec![
            (who("Alice"), start("Outage", None)),
            (
                who("Alice"),
                Event::RunbookOpened {
                    runbook: rb(),
                    title: "Referrals".to_owned(),
                    commit: None,
                    blob: None,
                    dirty: false,
                    unencrypted: true,
                    trust: "not checked".to_owned(),
                },
            ),
        ];
        for reference in ["R-1", "R-2"] {
            events.push((
                who("Alice"),
                Event::CaseAdded {
                    runbook: rb(),
                    kind: "referral".to_owned(),
                    reference: reference.to_owned(),
                    received_at: "2026-06-01T08:00:00Z".to_owned(),
                    fields: Default::default(),
                },
            ));
        }
        events.push((
            who("Alice"),
            Event::CaseKeyed {
                reference: "R-1".to_owned(),
            },
        ));
        let r = review(
            &[(
                "alice.jsonl",
                journal("2026-06-01T08:00:00Z", events, false),
            )],
            Look::default(),
        );
        let text = screen(&r, 100, 30);
        assert!(
            text.contains("Cases: 2, 0 missed a deadline, 1 not keyed back"),
            "{text}"
        );
    }

    #[test]
    fn filters_narrow_the_timeline() {
        let mut r = review(&[("alice.jsonl", alice())], Look::default());
        key(&mut r, 'd');
        assert_eq!(r.visible().len(), 1);
        assert!(r.visible()[0].is_decision());
        key(&mut r, 'd');
        key(&mut r, 'c');
        let seqs: Vec<u64> = r.visible().iter().map(|row| row.entry.seq).collect();
        assert_eq!(seqs, [5, 6], "the corrected note and its correction");
        key(&mut r, 'x');
        key(&mut r, 't');
        assert_eq!(r.filter.kind.as_deref(), Some("session_started"));
        key(&mut r, 'x');
        key(&mut r, 'r');
        assert_eq!(r.visible().len(), 3, "runbook opened, step done, decision");
        snapshot("review_filtered_80x24", &r, 80, 24);
    }

    #[test]
    fn two_responders_on_one_merged_timeline() {
        let mut r = review(
            &[("alice.jsonl", alice()), ("bob.jsonl", bob())],
            Look {
                no_color: true,
                high_contrast: false,
                ascii: true,
            },
        );
        let order: Vec<(usize, u64)> = r
            .visible()
            .iter()
            .map(|row| (row.source, row.entry.seq))
            .collect();
        assert_eq!(
            order,
            [
                (0, 1),
                (1, 1),
                (0, 2),
                (1, 2),
                (0, 3),
                (1, 3),
                (0, 4),
                (0, 5),
                (0, 6)
            ]
        );
        snapshot("review_merged_ascii_120x40", &r, 120, 40);
        key(&mut r, 'a');
        key(&mut r, 'a');
        assert_eq!(r.filter.actor.as_deref(), Some("Bob"));
        assert!(r.visible().iter().all(|row| row.source == 1));
    }

    #[test]
    fn versions_and_scores_views() {
        let mut r = review(&[("alice.jsonl", alice())], Look::default());
        r.timeline.head = vec![Comparison::Changed(vec![
            "--- followed (0f1e2d3c)".to_owned(),
            "+++ HEAD (99aa88bb)".to_owned(),
            "@@ -3,3 +3,3 @@".to_owned(),
            " [[steps]]".to_owned(),
            format!("-title = \"Isolate {SCRIPT}\""),
            "+title = \"Isolate affected devices\"".to_owned(),
        ])];
        r.versions = versions(&r.timeline);
        r.handle_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
        assert_eq!(r.view, View::Versions);
        snapshot("review_versions_80x24", &r, 80, 24);
        let exercise = journal(
            "2026-06-01T08:00:00Z",
            vec![
                (
                    who("Facilitator"),
                    start("Drill", Some("ransomware-friday")),
                ),
                (
                    who("Facilitator"),
                    Event::ExpectationScored {
                        inject: "ransom-note".to_owned(),
                        expectation: "declare".to_owned(),
                        score: "met".to_owned(),
                        evidence: Some(1),
                        comment: None,
                    },
                ),
                (
                    who("Facilitator"),
                    Event::ExpectationScored {
                        inject: "ico".to_owned(),
                        expectation: "report".to_owned(),
                        score: "missed".to_owned(),
                        evidence: None,
                        comment: None,
                    },
                ),
            ],
            true,
        );
        let mut r = review(&[("drill.jsonl", exercise)], Look::default());
        r.handle_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
        r.handle_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
        snapshot("review_scores_80x24", &r, 80, 24);
        assert_eq!(
            r.handle_key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE)),
            Action::Quit
        );
    }

    /// A sample run and its exercise, embedded at build time.
    fn sample(name: &str) -> &'static str {
        crate::samples::SAMPLE_RUNS
            .iter()
            .chain(crate::samples::SAMPLE_EXERCISES)
            .find(|(n, _)| *n == name)
            .map(|(_, text)| *text)
            .unwrap_or_else(|| panic!("no sample {name}"))
    }

    #[test]
    fn scores_view_shows_the_deterministic_scorecard() {
        let run = sample("ransomware-friday.jsonl");
        let text = sample("ransomware-friday.toml");
        let r = review(
            &[("ransomware-friday.jsonl", run.as_bytes().to_vec())],
            Look::default(),
        );
        let checked = crate::exercise::check("ransomware-friday.toml", text, "x", None);
        let definition = checked
            .exercise
            .unwrap_or_else(|| panic!("{:?}", checked.diagnostics));
        let state = &r.timeline.sources[0].state;
        let card = crate::exercise::score(&definition, state);
        assert_eq!(card.overall.percent, Some(84), "the sample's known figure");
        let same = state
            .exercise_start
            .as_ref()
            .is_some_and(|s| s.digest == crate::exercise::digest(text));
        assert!(same, "the sample run played this definition");
        let mut r = r.with_scores(vec![(
            0,
            ExerciseScores::Scored {
                card: Box::new(card),
                file: "exercises/ransomware-friday.toml".to_owned(),
                same,
            },
        )]);
        r.handle_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
        r.handle_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
        assert_eq!(r.view, View::Scores);
        snapshot("review_scorecard_100x40", &r, 100, 40);
        let shown = screen(&r, 100, 40);
        assert!(shown.contains("Overall 84%"), "{shown}");
        assert!(shown.contains("first action 60s later (seq 5)"), "{shown}");
        // Scrolled down to the facilitator's own scores.
        for _ in 0..3 {
            r.handle_key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE));
        }
        snapshot("review_scorecard_scrolled_100x40", &r, 100, 40);
        let shown = screen(&r, 100, 40);
        assert!(shown.contains("Facilitator's scores"), "{shown}");
        // Past the end, one PgUp still moves back up.
        for _ in 0..5 {
            r.handle_key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE));
        }
        assert_eq!(screen(&r, 100, 40), shown, "the end stays the end");
        r.handle_key(KeyEvent::new(KeyCode::PageUp, KeyModifiers::NONE));
        assert_ne!(screen(&r, 100, 40), shown, "PgUp moves at once");

        // Without a definition: said so, then the facilitator's scores.
        let mut r = review(
            &[("ransomware-friday.jsonl", run.as_bytes().to_vec())],
            Look::default(),
        )
        .with_scores(vec![(
            0,
            ExerciseScores::Unavailable(
                "exercise `ransomware-friday` not found in lib/exercises".to_owned(),
            ),
        )]);
        r.view = View::Scores;
        let shown = screen(&r, 100, 40);
        assert!(
            shown.contains("No exercise definition, so no scorecard: exercise"),
            "{shown}"
        );
        assert!(shown.contains("Facilitator's scores"), "{shown}");
    }

    #[test]
    fn hostile_version_ids_draw_without_panicking() {
        let opened = Event::RunbookOpened {
            runbook: "cyber/\u{1b}[2Jx".to_owned(),
            title: SCRIPT.to_owned(),
            commit: Some("é\u{1b}é".repeat(5)),
            blob: Some("日本".repeat(5)),
            dirty: true,
            unencrypted: true,
            trust: "\u{202e}evil".to_owned(),
        };
        let bytes = journal(
            "2026-06-01T08:00:00Z",
            vec![(who("Eve"), start("x", None)), (who("Eve"), opened)],
            false,
        );
        let mut r = review(&[("eve.jsonl", bytes)], Look::default());
        r.handle_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
        let shown = screen(&r, 80, 24);
        assert!(shown.contains("commit é\\u{1b}é"), "{shown}");
        assert!(shown.contains("Not compared"), "{shown}");
    }

    #[test]
    fn a_tampered_journal_says_where_it_breaks() {
        let text = String::from_utf8(alice()).unwrap_or_default();
        let bad = text.replacen("ref 1234", "ref 9999", 1).into_bytes();
        let mut r = review(&[("alice.jsonl", bad)], Look::default());
        let shown = screen(&r, 80, 24);
        assert!(shown.contains("FAILED"), "{shown}");
        assert!(shown.contains("Chain BROKEN at seq 5"), "{shown}");
        assert_eq!(r.visible().len(), 4, "entries before the break only");
        key(&mut r, '?');
        snapshot("review_help_80x24", &r, 80, 24);
    }

    /// Issue 25 item 12: selecting a 50 MB note cost 2.6 s and 1.8 GiB per
    /// key press: its whole text was made printable, split and wrapped on
    /// every frame. Only what a pane can show is drawn now, with a marker.
    #[test]
    fn a_huge_note_draws_only_what_the_panes_show() {
        let huge = format!("{}\n", "lorem ipsum ".repeat(100)).repeat(2_000);
        let bytes = journal(
            "2026-06-01T08:00:00Z",
            vec![
                (who("Alice"), start("Big", None)),
                (who("Alice"), note(&huge)),
            ],
            false,
        );
        let review = review(&[("big.jsonl", bytes)], Look::default());
        let rows = review.visible();
        let row = rows.iter().find(|r| r.text.len() > huge.len() / 2).unwrap();
        let detail = detail_lines(&review, row);
        let drawn: usize = detail.iter().map(Line::width).sum();
        assert!(drawn < 2 * SHOWN_CHARS, "{drawn} characters drawn");
        assert!(
            detail
                .iter()
                .any(|l| l.to_string().contains("more bytes not shown here")),
        );
        let listed = row_line(&review, row, false).width();
        assert!(listed < 2 * ROW_CHARS, "{listed} characters in the row");
    }
}
