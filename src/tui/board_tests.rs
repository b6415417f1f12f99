//! The board screen on a `TestBackend`: three responders' journals, one of
//! them tampered with, drawn at 80x24 and 120x40 and compared with insta
//! snapshots; its keys, and a refresh that picks up an appended entry.

use std::io::Write as _;
use std::path::Path;

use chrono::TimeDelta;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use ratatui::text::{Line, Span};

use super::board::{BoardScreen, hang};
use super::keys::Action;
use super::tests::colour;
use crate::board::Board;
use crate::board::tests::{actor, clock, done, journal, note, opened, start, t0};
use crate::journal::Event;

/// Three journals in `dir`: Gold's, Silver's (a decision and a blocked
/// step) and Bronze's, tampered with at its second entry.
fn incident(dir: &Path) {
    let gold = actor("Gita", "Strategic lead (Gold)");
    let silver = actor("Sam", "Incident lead (Silver)");
    let bronze = actor("Bo", "ICT engineer (Bronze)");
    std::fs::write(
        dir.join("gold.jsonl"),
        journal(
            &gold,
            vec![start("Outage"), clock("press", t0() + TimeDelta::hours(4))],
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("silver.jsonl"),
        journal(
            &silver,
            vec![
                start("Outage"),
                opened(),
                done("triage"),
                Event::Decision {
                    runbook: "cyber/outage".to_owned(),
                    step: "pay".to_owned(),
                    option: "Do not pay".to_owned(),
                    goto: "restore".to_owned(),
                    rationale: "backups are intact".to_owned(),
                },
                Event::StepBlocked {
                    runbook: "cyber/outage".to_owned(),
                    step: "restore".to_owned(),
                    reason: "waiting for the supplier".to_owned(),
                },
                clock("ico", t0() + TimeDelta::hours(72)),
            ],
        ),
    )
    .unwrap();
    let bronze = String::from_utf8(journal(
        &bronze,
        vec![start("Outage"), note("<script> \u{1b}[31mred"), note("two")],
    ))
    .unwrap();
    std::fs::write(dir.join("bronze.jsonl"), bronze.replacen("two", "TWO", 1)).unwrap();
}

fn screen(dir: &Path) -> BoardScreen<'static> {
    let mut board = Board::new(vec![dir.to_owned()]);
    board.refresh(None);
    BoardScreen::new(
        board,
        None,
        Vec::new(),
        colour(),
        t0() + TimeDelta::hours(5),
    )
}

fn drawn(screen: &BoardScreen<'_>, dir: &Path, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| super::terminal::Interface::draw(screen, f))
        .unwrap();
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let line: String = (0..w).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    // Files are shown by their path below the folder, never the folder's.
    assert!(!out.contains(&dir.display().to_string()), "{out}");
    out
}

fn press(screen: &mut BoardScreen<'_>, code: KeyCode) -> Option<Action> {
    super::terminal::Interface::key(screen, KeyEvent::new(code, KeyModifiers::NONE))
}

#[test]
fn the_board_at_80x24_and_120x40() {
    let dir = tempfile::tempdir().unwrap();
    incident(dir.path());
    let mut screen = screen(dir.path());
    let small = drawn(&screen, dir.path(), 80, 24);
    // The tampered journal is flagged with its seq, never merged; the
    // overdue deadline is marked; escape sequences are shown, not run.
    assert!(small.contains("bronze.jsonl"), "{small}");
    assert!(
        small.contains("not merged: fails verification at seq 3"),
        "{small}"
    );
    assert!(!small.contains('\u{1b}'));
    insta::assert_snapshot!("board_80x24", small);
    press(&mut screen, KeyCode::Tab);
    insta::assert_snapshot!(
        "board_120x40_deadlines",
        drawn(&screen, dir.path(), 120, 40)
    );
    assert_eq!(
        press(&mut screen, KeyCode::Char('?')),
        Some(Action::Continue)
    );
    let help = drawn(&screen, dir.path(), 80, 24);
    assert!(help.contains("focus the next section"), "{help}");
    press(&mut screen, KeyCode::Char('x'));
    assert_eq!(press(&mut screen, KeyCode::Char('q')), Some(Action::Quit));
}

#[test]
fn an_entry_appended_to_one_journal_shows_at_the_next_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let sam = actor("Sam", "Incident lead (Silver)");
    let whole = journal(
        &sam,
        vec![start("Outage"), note("first"), note("fuel ordered")],
    );
    let lines: Vec<&[u8]> = whole.split_inclusive(|b| *b == b'\n').collect();
    let path = dir.path().join("sam.jsonl");
    std::fs::write(&path, lines[..2].concat()).unwrap();
    let mut screen = screen(dir.path());
    assert!(!drawn(&screen, dir.path(), 80, 24).contains("fuel ordered"));
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(lines[2])
        .unwrap();
    screen.refresh(t0() + TimeDelta::hours(5));
    let after = drawn(&screen, dir.path(), 80, 24);
    assert!(after.contains("note: fuel ordered"), "{after}");
}

#[test]
fn a_line_that_wraps_hangs_under_its_own_indent() {
    let line = Line::from(vec![
        Span::raw("    "),
        Span::styled("Sam Lee", ratatui::style::Style::new().bold()),
        Span::raw(" (Duty manager) 3m ago: decided to move the rest centre to the leisure centre"),
    ]);
    let lines = hang(line, 40);
    let text: Vec<String> = lines
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    assert_eq!(
        text,
        [
            "    Sam Lee (Duty manager) 3m ago:",
            "      decided to move the rest centre to",
            "      the leisure centre",
        ]
    );
    assert!(lines.iter().all(|l| l.width() <= 40));
    // The name keeps its style across the break.
    assert!(lines[0].spans.iter().any(|s| {
        s.content == "Sam "
            && s.style
                .add_modifier
                .contains(ratatui::style::Modifier::BOLD)
    }));
    // A first word too long to fit after the indent stays on the first row
    // (the paragraph wraps it), never leaving that row blank.
    let long = Line::from(vec![
        Span::raw("    "),
        Span::raw("https://intranet.example.gov.uk/outage/rest-centres x"),
    ]);
    let rows: Vec<String> = hang(long, 30)
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    assert_eq!(
        rows,
        [
            "    https://intranet.example.gov.uk/outage/rest-centres",
            "      x"
        ]
    );
    // A marked item hangs as far as an unmarked one.
    let marked = Line::from(vec![
        Span::raw("! "),
        Span::raw("05 Dec 13:00 OVERDUE 1h00m deadline press release"),
    ]);
    let unmarked = Line::from(vec![
        Span::raw("  "),
        Span::raw("05 Dec 13:00 OVERDUE 1h00m deadline press release"),
    ]);
    let second_row = |line: Line<'static>| -> String {
        hang(line, 30)[1]
            .spans
            .iter()
            .map(|s| s.content.as_ref())
            .collect()
    };
    assert_eq!(second_row(marked), second_row(unmarked.clone()));
    assert!(second_row(unmarked).starts_with("    "));
    // A line that fits, or a width too narrow to indent in, is left as it is.
    let short = Line::from("  07 Dec 10:00 Report to the ICO");
    assert_eq!(hang(short.clone(), 80), std::slice::from_ref(&short));
    assert_eq!(hang(short.clone(), 8), [short]);
}
