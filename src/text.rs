//! Safe display of untrusted text.
//!
//! Runbooks, notes and file names come from people we do not fully trust (a careless
//! or malicious author, a tampered USB stick). Anything printed to a terminal goes
//! through [`printable`] first, so an escape sequence in a runbook can never move
//! the cursor, retitle the window or hide text: control characters are replaced by
//! visible placeholders such as `\u{1b}`. Bidirectional controls and the Unicode
//! line and paragraph separators are treated the same way, because they can make
//! text read differently from what it is ("Trojan Source").

use std::borrow::Cow;

/// True for characters that must never reach a terminal as they are:
/// controls (C0, DEL, C1) but newline and tab; every character with the
/// Unicode `Bidi_Control` property (U+061C, U+200E, U+200F, U+202A..U+202E,
/// U+2066..U+2069), which reorder what follows; the line and paragraph
/// separators U+2028 and U+2029, which break a line where a terminal or an
/// editor may not show one; and the interlinear annotation marks
/// U+FFF9..U+FFFB, which some renderers use to hide the text between them.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// Replaces control characters (except newline and tab) and bidirectional
/// overrides by a visible `\u{..}` placeholder. Borrowed when nothing changes.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`printable`] for a single line: newlines and tabs become placeholders too,
/// so one field can never break a one-line layout.
pub fn printable_line(text: &str) -> Cow<'_, str> {
    let safe = printable(text);
    if !safe.contains(['\n', '\t', '\r']) {
        return safe;
    }
    Cow::Owned(safe.replace('\n', "\\n").replace('\t', "\\t"))
}

/// JSON text with every character that [`printable`] would replace written
/// as a `\uXXXX` escape instead: the same JSON value for a parser, but inert
/// on a terminal. serde_json escapes only U+0000..U+001F; C1 controls such as
/// U+009B (a one-character CSI on some terminals) and bidi overrides would
/// otherwise reach the screen raw. Newlines and tabs outside strings (pretty
/// printing) are left alone; inside strings serde_json has escaped them.
pub fn json_safe(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_unsafe) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if is_unsafe(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The text after a list marker (`- `, `* ` or `12. `) that starts `line`
/// (leading spaces allowed), with the number for a numbered item; `None`
/// when the line is not a list item.
pub fn list_item(line: &str) -> Option<(Option<u32>, &str)> {
    let trimmed = line.trim_start();
    if let Some(rest) = trimmed
        .strip_prefix("- ")
        .or_else(|| trimmed.strip_prefix("* "))
    {
        return Some((None, rest));
    }
    let (n, rest) = trimmed.split_once(". ")?;
    if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((n.parse().ok(), rest))
}

/// Prose reflowed by its meaning, not its source line breaks: the lines of a
/// paragraph are joined with a space, while a blank line (a new paragraph)
/// and a list item keep their breaks. Runbook text is written in TOML with
/// hard line breaks wherever the author's editor wrapped; a screen or a page
/// wraps it again to its own width, so the author's breaks would leave
/// orphan words. The TUI and the printed pages both read prose through this.
///
/// A line that is not indented, after a list item that ends a sentence,
/// ends the list rather than continuing the item: authors write "3. Main
/// switchboard." and then "Record each divert." on the next line.
pub fn reflow(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // The line being built is a list item.
    let mut in_item = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let item = list_item(line).is_some();
        let ends_list =
            in_item && trimmed.len() == line.len() && out.trim_end().ends_with(['.', '!', '?']);
        if out.is_empty() {
            out.push_str(line);
        } else if trimmed.is_empty() || item || ends_list || out.ends_with('\n') {
            out.push('\n');
            out.push_str(line);
        } else {
            out.push(' ');
            out.push_str(trimmed);
        }
        if trimmed.is_empty() {
            out.push('\n');
            in_item = false;
        } else if item || ends_list {
            in_item = item;
        }
    }
    out
}

/// Prose for a page of fixed width (the text pack, `grabbag show`):
/// reflowed by its meaning ([`reflow`]), then each paragraph and list item
/// filled to `width` columns, breaking only at spaces. The first line starts
/// with `first`, every other with `rest`, and a list item's own lines line
/// up after its marker. A break never falls inside a phone number (between
/// two groups of digits), so a number on paper is one that can be dialled;
/// a single word longer than the line is left whole. Runs of blank lines
/// become one.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut prefix = first;
    let mut blank = false;
    for line in reflow(text.trim()).lines() {
        if line.trim().is_empty() {
            if !out.is_empty() {
                blank = true;
            }
            continue;
        }
        if blank {
            out.push('\n');
            blank = false;
        }
        let marker = list_item(line).map_or(0, |(_, text)| {
            line.trim_start().chars().count() - text.chars().count()
        });
        let hanging = format!("{rest}{}", " ".repeat(marker));
        fill(&mut out, line.trim(), width, prefix, &hanging);
        prefix = rest;
    }
    out
}

/// Fills one paragraph's words into lines of at most `width` columns.
fn fill(out: &mut String, paragraph: &str, width: usize, first: &str, rest: &str) {
    let mut units: Vec<String> = Vec::new();
    for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
        // A group of digits after a group of digits is one phone number
        // ("0161 496 0500"), kept on one line.
        match units.last_mut() {
            Some(last)
                if last.ends_with(|c: char| c.is_ascii_digit())
                    && word.starts_with(|c: char| c.is_ascii_digit()) =>
            {
                last.push(' ');
                last.push_str(word);
            }
            _ => units.push(word.to_owned()),
        }
    }
    let mut line = String::from(first);
    let mut filled = 0;
    for unit in units {
        let len = unit.chars().count();
        if filled > 0 && line.chars().count() + 1 + len > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(rest);
            filled = 0;
        }
        if filled > 0 {
            line.push(' ');
        }
        line.push_str(&unit);
        filled += 1;
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_prose_fills_lines_and_never_breaks_a_phone_number() {
        let source = "Call the duty officer on\n0161 496 0500 or the\nsecurity lead now.\n\n\n- one item that\n  goes on and on\n- two";
        let out = wrap(source, 30, "   ", "   ");
        assert_eq!(
            out,
            "   Call the duty officer on\n   0161 496 0500 or the\n   security lead now.\n\n   - one item that goes on and\n     on\n   - two\n"
        );
        let out = wrap("a 020 7946 0100 b", 12, "[ ] ", "    ");
        assert_eq!(
            out, "[ ] a\n    020 7946 0100\n    b\n",
            "one number, one line"
        );
        assert_eq!(wrap("x", 10, "call: ", "      "), "call: x\n");
        let long = "https://www.ncsc.gov.uk/collection/incident-management";
        assert_eq!(wrap(long, 20, "", ""), format!("{long}\n"), "left whole");
    }

    #[test]
    fn prose_is_joined_but_paragraphs_and_items_keep_their_breaks() {
        let text = "Tell the teams\nwho need it.\n\nThen:\n- call the DPO\n  today\n2. log it";
        let flowed = reflow(text);
        let lines: Vec<&str> = flowed.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(
            lines,
            [
                "Tell the teams who need it.",
                "Then:",
                "- call the DPO today",
                "2. log it"
            ]
        );
        assert!(
            flowed.contains("it.\n\n"),
            "the paragraph break stays: {flowed:?}"
        );
        assert_eq!(
            reflow("1. one,\nstill one.\n2. two.\nAfter the list.\n- item\n  goes on."),
            "1. one, still one.\n2. two.\nAfter the list.\n- item goes on."
        );
        assert_eq!(list_item("  - a"), Some((None, "a")));
        assert_eq!(list_item("12. b"), Some((Some(12), "b")));
        assert_eq!(list_item("1.5 c"), None);
        assert_eq!(list_item("-x"), None);
    }

    #[test]
    fn json_stays_the_same_value_but_inert() {
        let value = serde_json::json!({"t": "a\u{9b}6n\u{202e}b\u{1b}[2J", "n": 1});
        let json = serde_json::to_string_pretty(&value).unwrap();
        let safe = json_safe(&json);
        assert!(!safe.contains(['\u{9b}', '\u{202e}', '\u{1b}']), "{safe}");
        assert!(safe.contains("\\u009b"), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
        assert!(matches!(json_safe("{\n  \"a\": 1\n}"), Cow::Borrowed(_)));
    }

    #[test]
    fn escapes_become_visible() {
        assert_eq!(printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(printable("x\u{7}y\u{9b}z"), "x\\u{7}y\\u{9b}z");
        assert_eq!(printable("rtl\u{202E}txt"), "rtl\\u{202e}txt");
    }

    #[test]
    fn every_bidi_control_and_separator_is_visible() {
        // The Bidi_Control list of Unicode's PropList.txt, then Zl and Zp.
        let listed = [
            0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068,
            0x2069, 0x2028, 0x2029, 0xFFF9, 0xFFFA, 0xFFFB,
        ];
        for code in listed {
            let c = char::from_u32(code).unwrap();
            let shown = printable(&format!("a{c}b")).into_owned();
            assert_eq!(shown, format!("a\\u{{{code:x}}}b"), "U+{code:04X}");
            assert!(!json_safe(&format!("\"{c}\"")).contains(c), "U+{code:04X}");
        }
    }

    #[test]
    fn ordinary_text_is_borrowed() {
        assert!(matches!(
            printable("Isolate: 15m\n\tok £ é 日本"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn single_line_has_no_breaks() {
        assert_eq!(printable_line("a\nb\tc"), "a\\nb\\tc");
    }
}
