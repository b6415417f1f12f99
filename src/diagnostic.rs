//! Diagnostics: problems found in a file, located by line and column and rendered
//! the way cargo reports errors, so that a runbook author (or an editor jumping to
//! `file:line:column`) can go straight to the mistake.
//!
//! The runbook and exercise parsers both produce [`Diagnostic`]s; the CLI renders
//! them as text or JSON. Excerpts are untrusted text and pass through
//! [`crate::text::printable`] before rendering.

use std::fmt::Write as _;
use std::ops::Range;

use serde::Serialize;

use crate::text::printable_line;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Must be fixed: the file is refused.
    Error,
    /// Worth fixing, but the file still loads (e.g. a review is overdue).
    Warning,
}

/// One problem, optionally located in a source text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub level: Level,
    /// What is wrong, in one line.
    pub message: String,
    /// The file, as the user named it.
    pub file: String,
    /// 1-based line, when the problem has a place.
    pub line: Option<usize>,
    /// 1-based column in characters, when the problem has a place.
    pub column: Option<usize>,
    /// The source line holding the problem (sanitised when rendered).
    pub excerpt: Option<String>,
    /// Width of the underlined part of the excerpt, in characters.
    #[serde(skip)]
    pub width: usize,
    /// A note under the underline, e.g. "did you mean `title`?".
    pub label: Option<String>,
    /// A hint on how to fix it.
    pub help: Option<String>,
}

/// A source text being checked, with its display name.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// File name as shown to the user.
    pub name: &'a str,
    /// The whole text (decrypted, for an encrypted file).
    pub text: &'a str,
}

impl<'a> Source<'a> {
    /// Wraps a text and its display name.
    pub fn new(name: &'a str, text: &'a str) -> Self {
        Self { name, text }
    }

    /// An error located at `span` (byte offsets into the text).
    pub fn error(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        self.diagnostic(Level::Error, Some(span), message)
    }

    /// A warning located at `span`.
    pub fn warning(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        self.diagnostic(Level::Warning, Some(span), message)
    }

    /// A diagnostic at an optional place.
    pub fn diagnostic(
        &self,
        level: Level,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let mut d = Diagnostic::file_level(level, self.name, message);
        if let Some(span) = span {
            let start = floor_char_boundary(self.text, span.start.min(self.text.len()));
            let end = floor_char_boundary(self.text, span.end.clamp(start, self.text.len()));
            let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = self.text[start..]
                .find('\n')
                .map_or(self.text.len(), |i| start + i);
            let line_text = self.text[line_start..line_end].trim_end_matches('\r');
            d.line = Some(self.text[..start].matches('\n').count() + 1);
            d.column = Some(self.text[line_start..start].chars().count() + 1);
            d.width = self.text[start..end.min(line_end).max(start)]
                .chars()
                .count()
                .max(1);
            d.excerpt = Some(line_text.to_owned());
        }
        d
    }
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl Diagnostic {
    /// A diagnostic about a whole file (it could not be read or decrypted, say).
    pub fn file_level(level: Level, file: &str, message: impl Into<String>) -> Self {
        Self {
            level,
            message: message.into(),
            file: file.to_owned(),
            line: None,
            column: None,
            excerpt: None,
            width: 0,
            label: None,
            help: None,
        }
    }

    /// Adds a note shown under the underline.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds a hint on how to fix the problem.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }

    /// `file:line:column`, or just the file when there is no place.
    pub fn location(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", printable_line(&self.file)),
            _ => printable_line(&self.file).into_owned(),
        }
    }

    /// Renders like rustc/cargo:
    ///
    /// ```text
    /// error: unknown field `titel`
    ///   --> cyber/ransomware.toml:3:1
    ///    |
    ///  3 | titel = "Ransomware"
    ///    | ^^^^^ did you mean `title`?
    /// ```
    pub fn render(&self) -> String {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        let mut out = format!("{level}: {}\n", printable_line(&self.message));
        let gutter = self.line.map_or(1, |l| l.to_string().len());
        let pad = " ".repeat(gutter);
        let _ = writeln!(out, "{pad}--> {}", self.location());
        if let (Some(line), Some(column), Some(excerpt)) = (self.line, self.column, &self.excerpt) {
            // Sanitise before measuring, so the caret lines up with what is shown.
            let before: String = excerpt.chars().take(column - 1).collect();
            let shown_before = printable_line(&before).chars().count();
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{line} | {}", printable_line(excerpt));
            let label = self
                .label
                .as_deref()
                .map(|l| format!(" {}", printable_line(l)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{pad} | {}{}{label}",
                " ".repeat(shown_before),
                "^".repeat(self.width.max(1))
            );
        } else if let Some(label) = &self.label {
            let _ = writeln!(out, "{pad} = note: {}", printable_line(label));
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{pad} = help: {}", printable_line(help));
        }
        out
    }
}

/// The closest candidate to `word` among `candidates`, if it is close enough to
/// be a likely typo (used for "did you mean" hints).
pub fn did_you_mean<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_line_and_column() {
        let text = "a = 1\ntitel = \"x\"\n";
        let src = Source::new("f.toml", text);
        let d = src
            .error(6..11, "unknown field `titel`")
            .with_label("did you mean `title`?");
        assert_eq!(d.location(), "f.toml:2:1");
        assert_eq!(
            d.render(),
            "error: unknown field `titel`\n --> f.toml:2:1\n  |\n2 | titel = \"x\"\n  | ^^^^^ did you mean `title`?\n"
        );
    }

    #[test]
    fn hostile_excerpt_is_neutralised() {
        let text = "title = \"\u{1b}]0;pwned\u{7}\"";
        let d = Source::new("f.toml", text).error(8..9, "bad");
        assert!(!d.render().contains('\u{1b}'));
        assert!(d.render().contains("\\u{1b}"));
    }

    #[test]
    fn suggests_close_words_only() {
        assert_eq!(did_you_mean("titel", &["title", "tags"]), Some("title"));
        assert_eq!(did_you_mean("zzz", &["title", "tags"]), None);
    }
}
