//! Screens drawn on a `TestBackend` and compared with insta snapshots, at
//! 80×24 and 120×40, with colour, `NO_COLOR` and ASCII. A real (plaintext)
//! journal in a temporary folder backs every response: the screen shows the
//! fold of what is on disk, as in the product. Times, witness codes and the
//! temporary path are filtered, so snapshots do not depend on the clock.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate, Offset as _, TimeZone as _, Timelike as _, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;

use super::app::{Action, App, Screen, Setup, handle_key};
use super::dialog::Dialog;
use super::theme::Look;
use super::view::draw;
use crate::config::LastSession;
use crate::journal::Journal;
use crate::library::trust::Trust;
use crate::library::{LoadFailure, LoadReport, LoadedRunbook, Version};
use crate::response::{Command, ResponseState};
use crate::runbook::Runbook;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default()
}

pub(super) fn loaded(runbook: Runbook) -> LoadedRunbook {
    LoadedRunbook {
        file: PathBuf::from(format!("{}.toml.age", runbook.id)),
        runbook,
        encrypted: true,
        version: Version {
            commit: Some("c0ffee00".repeat(5)),
            blob: Some("b10b0000".repeat(5)),
            dirty: false,
        },
        trust: Trust::Trusted {
            signer: "ict-security".to_owned(),
        },
        warnings: Vec::new(),
    }
}

pub(super) fn samples() -> Vec<LoadedRunbook> {
    crate::samples::parsed_runbooks()
        .into_iter()
        .map(loaded)
        .collect()
}

pub(super) fn app(look: Look, runbooks: Vec<LoadedRunbook>, root: &Path) -> App<'static> {
    let report = LoadReport {
        runbooks,
        failures: vec![LoadFailure {
            file: PathBuf::from("cyber/broken.toml.age"),
            diagnostics: vec![crate::diagnostic::Diagnostic::file_level(
                crate::diagnostic::Level::Error,
                "cyber/broken.toml.age",
                "no identity can decrypt this file",
            )],
        }],
        notices: Vec::new(),
        calendar: Default::default(),
    };
    let mut app = App::new(
        Setup {
            root: root.to_owned(),
            report,
            recipients: None,
            identities: None,
            today: today(),
            look,
            last: LastSession {
                incident: "Test incident".to_owned(),
                name: "Alice".to_owned(),
                role: "Incident lead".to_owned(),
            },
            last_path: None,
        },
        Utc.with_ymd_and_hms(2026, 11, 29, 9, 0, 0)
            .single()
            .unwrap_or_default(),
    );
    app.shared.zone = Some(midday_zone(Utc::now()));
    app
}

/// A zone in which `now` reads between 12:00 and 12:59, so that a dialog
/// covering all but the first digit of a logged time leaves the same "1"
/// visible whenever the tests run (the filters mask whole times only).
fn midday_zone(now: DateTime<Utc>) -> FixedOffset {
    let hours = 12 - i32::try_from(now.hour()).unwrap_or(0);
    FixedOffset::east_opt(hours * 3600).unwrap_or(Utc.fix())
}

/// The journal a response writes to.
pub(super) fn path_of(response: &super::shared::Response) -> PathBuf {
    response
        .session
        .as_ref()
        .map(|s| s.journal().path().to_owned())
        .unwrap_or_default()
}

pub(super) fn colour() -> Look {
    Look::default()
}

pub(super) fn press(app: &mut App<'_>, code: KeyCode) -> Action {
    handle_key(app, KeyEvent::new(code, KeyModifiers::NONE))
}

/// `d`, answering "done anyway" when the step has checks not ticked.
pub(super) fn done(app: &mut App<'_>) {
    press(app, KeyCode::Char('d'));
    if matches!(
        app.shared.dialogs.last(),
        Some(super::dialog::Dialog::ConfirmDone { .. })
    ) {
        press(app, KeyCode::Char('y'));
    }
}

pub(super) fn ctrl(app: &mut App<'_>, c: char) -> Action {
    handle_key(app, KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// What an entry records, by its kind name.
pub(super) fn kind(entry: &crate::journal::Entry) -> &'static str {
    entry.event.as_ref().map_or("?", |ev| ev.kind())
}

/// The kinds of `entries`, in order.
pub(super) fn kinds(entries: &[crate::journal::Entry]) -> Vec<&'static str> {
    entries.iter().map(kind).collect()
}

pub(super) fn typed(app: &mut App<'_>, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

/// Starts a response on ransomware through the keys a responder uses.
pub(super) fn started(app: &mut App<'_>) {
    typed(app, "ransom");
    press(app, KeyCode::Enter);
    assert!(matches!(
        app.shared.dialogs.last(),
        Some(Dialog::Form { .. })
    ));
    for _ in 0..3 {
        press(app, KeyCode::Enter);
    }
    assert_eq!(
        app.shared.screen,
        Screen::Run,
        "status: {:?}",
        app.shared.status
    );
    // Show times relative to the journal's own first entry.
    if let Some(first) = app.shared.response.as_ref().and_then(|r| r.state.first_at) {
        app.shared.now = first;
    }
}

fn buffer(app: &App<'_>, w: u16, h: u16) -> ratatui::buffer::Buffer {
    let mut terminal = match Terminal::new(TestBackend::new(w, h)) {
        Ok(t) => t,
        Err(e) => panic!("test backend: {e}"),
    };
    if let Err(e) = terminal.draw(|f| draw(f, app)) {
        panic!("draw: {e}");
    }
    terminal.backend().buffer().clone()
}

pub(super) fn text(app: &App<'_>, w: u16, h: u16) -> String {
    let buf = buffer(app, w, h);
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub(super) fn snapshot(name: &str, app: &App<'_>, w: u16, h: u16) {
    assert_screen(name, text(app, w, h));
}

/// Compares a drawn screen with its snapshot, times and witness codes masked.
fn assert_screen(name: &str, screen: String) {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d{2}:\d{2}:\d{2}", "HH:MM:SS");
    // What is left of a deadline (`calendar::time_left`) moves with the clock.
    settings.add_filter(r"(\d+d \d+h|\d+h \d{2}m|\d+m|\d+s) left", "TIME left");
    settings.add_filter(
        r"overdue by (\d+d \d+h|\d+h \d{2}m|\d+m|\d+s)",
        "overdue by TIME",
    );
    settings.add_filter(
        r"witness \d+:[0-9A-Z]{5}-[0-9A-Z]{5}",
        "witness N:XXXXX-XXXXX",
    );
    settings.add_filter(
        r"witness code: \d+:[0-9A-Z]{5}-[0-9A-Z]{5}",
        "witness code: N:XXXXX-XXXXX",
    );
    settings.add_filter(r"/\S*/\.tmp\w+", "[TMP]");
    // A new journal is named by the local date, which the machine's zone sets.
    settings.add_filter(r"journals/\d{4}-\d{2}-\d{2}-", "journals/DATE-");
    // The tail of a witness code peeking out beside an overlay's corner.
    settings.add_filter(r"(─┘)[0-9A-Z:-]+\n", "$1X\n");
    settings.add_filter(
        r"[A-Z][a-z]{2} \d{2} [A-Z][a-z]{2} \d{2}:\d{2}",
        "DDD DD MMM HH:MM",
    );
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, screen));
}

fn no_controls(buf: &ratatui::buffer::Buffer) {
    for cell in buf.content() {
        assert!(
            !cell.symbol().chars().any(|c| c.is_control()),
            "a control character reached the buffer: {:?}",
            cell.symbol()
        );
    }
}

#[test]
fn library_screen() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let app = app(colour(), samples(), dir.path());
    snapshot("library_80x24", &app, 80, 24);
    snapshot("library_120x40", &app, 120, 40);
}

#[test]
fn library_search_finds_ransomware_in_two_keys() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), samples(), dir.path());
    typed(&mut app, "ra");
    let first = app.highlighted().map(|r| r.runbook.id.clone());
    assert_eq!(first.as_deref(), Some("cyber/ransomware"));
    snapshot("library_search_80x24", &app, 80, 24);
}

#[test]
fn run_screen_with_a_step_done() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), samples(), dir.path());
    started(&mut app);
    done(&mut app);
    assert_eq!(app.shared.status, None);
    snapshot("run_done_80x24", &app, 80, 24);
    snapshot("run_done_120x40", &app, 120, 40);
    snapshot("run_done_200x60", &app, 200, 60);
}

#[test]
fn done_with_checks_not_ticked_is_asked_once_and_a_held_d_does_nothing_more() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), samples(), dir.path());
    started(&mut app);
    let entries = |app: &App<'_>| app.shared.response.as_ref().map_or(0, |r| r.state.entries);
    let before = entries(&app);
    press(&mut app, KeyCode::Char('d'));
    snapshot("confirm_done_80x24", &app, 80, 24);
    // A held `d` keeps asking; `n` goes back with nothing written.
    for _ in 0..5 {
        press(&mut app, KeyCode::Char('d'));
    }
    assert!(matches!(
        app.shared.dialogs.last(),
        Some(super::dialog::Dialog::ConfirmDone {
            unticked: 4,
            checks: 4,
            ..
        })
    ));
    press(&mut app, KeyCode::Char('n'));
    assert!(app.shared.dialogs.is_empty());
    assert_eq!(entries(&app), before);
    // Every check ticked: done at once, no question.
    for n in ['1', '2', '3', '4'] {
        press(&mut app, KeyCode::Char(n));
    }
    press(&mut app, KeyCode::Char('d'));
    assert!(app.shared.dialogs.is_empty(), "{:?}", app.shared.status);
    let Some(response) = app.shared.response.as_ref() else {
        panic!("no response");
    };
    let (_, written, _) = Journal::open(&path_of(response), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        kinds(&written)[before as usize..],
        [
            "check_ticked",
            "check_ticked",
            "check_ticked",
            "check_ticked",
            "step_done",
            "clock_started"
        ]
    );
}

#[test]
fn every_action_is_on_disk_and_folds_to_the_screen_state() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), samples(), dir.path());
    started(&mut app);
    done(&mut app);
    // Skip: the reason is required; an empty one is refused and kept open.
    press(&mut app, KeyCode::Char('s'));
    press(&mut app, KeyCode::Enter);
    assert!(matches!(
        app.shared.status,
        Some(super::app::Status::Error(_))
    ));
    assert!(matches!(
        app.shared.dialogs.last(),
        Some(Dialog::Prompt { .. })
    ));
    typed(&mut app, "no laptops on site");
    press(&mut app, KeyCode::Enter);
    assert!(app.shared.dialogs.is_empty());
    // Decide: option 1, rationale required.
    press(&mut app, KeyCode::Char('D'));
    press(&mut app, KeyCode::Enter);
    ctrl(&mut app, 's');
    assert!(matches!(
        app.shared.dialogs.last(),
        Some(Dialog::Editor { .. })
    ));
    typed(&mut app, "it is spreading");
    ctrl(&mut app, 's');
    assert!(
        app.shared.dialogs.is_empty(),
        "status: {:?}",
        app.shared.status
    );
    // Note, two lines.
    press(&mut app, KeyCode::Char('n'));
    typed(&mut app, "first line");
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "second line");
    ctrl(&mut app, 'd');
    assert!(app.shared.dialogs.is_empty());
    // Leaving ends the session and shows its witness code until a key.
    assert_eq!(press(&mut app, KeyCode::Char('q')), Action::Continue);
    snapshot("closing_80x24", &app, 80, 24);
    let Some(closing) = app.shared.closing.clone() else {
        panic!("no closing code");
    };
    assert_eq!(press(&mut app, KeyCode::Char('x')), Action::Quit);

    let Some(response) = app.shared.response.take() else {
        panic!("no response");
    };
    let path = path_of(&response);
    let (_, entries, _) = Journal::open(&path, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(closing.path, path);
    assert_eq!(
        entries.last().map(|e| e.witness()),
        Some(closing.witness.clone())
    );
    let kinds = kinds(&entries);
    assert_eq!(
        kinds,
        [
            "session_started",
            "runbook_opened",
            "step_done",
            "clock_started",
            "step_skipped",
            "decision",
            "note",
            "session_ended"
        ]
    );
    assert_eq!(ResponseState::fold(&entries), response.state);
}

#[test]
fn decision_dialog_and_note_editor() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), samples(), dir.path());
    started(&mut app);
    done(&mut app);
    done(&mut app);
    press(&mut app, KeyCode::Char('D'));
    snapshot("decision_80x24", &app, 80, 24);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('n'));
    typed(&mut app, "Spoke to the DPO.");
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "They will call back at noon.");
    snapshot("note_editor_80x24", &app, 80, 24);
}

#[test]
fn help_overlay() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), samples(), dir.path());
    started(&mut app);
    press(&mut app, KeyCode::Char('?'));
    snapshot("help_80x24", &app, 80, 24);
    press(&mut app, KeyCode::Char('x'));
    assert!(app.shared.dialogs.is_empty());
}

#[test]
fn ascii_mode_draws_only_ascii() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let look = Look {
        ascii: true,
        ..Look::default()
    };
    let mut app = app(look, samples(), dir.path());
    let library = text(&app, 80, 24);
    assert!(library.is_ascii(), "{library}");
    started(&mut app);
    done(&mut app);
    let run = text(&app, 80, 24);
    assert!(run.is_ascii(), "{run}");
    snapshot("run_done_ascii_80x24", &app, 80, 24);
}

#[test]
fn no_color_draws_no_colour() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let look = Look {
        no_color: true,
        ..Look::default()
    };
    let mut app = app(look, samples(), dir.path());
    started(&mut app);
    done(&mut app);
    for buf in [buffer(&app, 80, 24), buffer(&app, 120, 40)] {
        for cell in buf.content() {
            assert_eq!(cell.fg, Color::Reset);
            assert_eq!(cell.bg, Color::Reset);
        }
    }
    // Colour does use colour, and high contrast too.
    let coloured = |look| {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let app = self::app(look, samples(), dir.path());
        buffer(&app, 80, 24)
            .content()
            .iter()
            .any(|c| c.fg != Color::Reset || c.bg != Color::Reset)
    };
    assert!(coloured(Look::default()));
    assert!(coloured(Look {
        high_contrast: true,
        ..Look::default()
    }));
}

#[test]
fn hostile_runbook_text_never_reaches_the_buffer_raw() {
    let source = format!(
        r#"format = 1
id = "cyber/hostile"
title = "Evil\u001b]0;pwned\u0007 title\u001b[2J"
kind = "cyber"
severity = "high"
owner = "Mallory\u009b31m"
reviewed = 2026-11-01
review_every_months = 12
summary = "Bidi \u202e reversed \u202c and a bell \u0007."

[[steps]]
id = "one"
title = "Step\u001b[31m red"
do = "Line with escape \u001b[H and a long one: {}"
checks = ["tick\u001b[5m blink"]
"#,
        "x".repeat(10_000)
    );
    let checked = crate::runbook::check("hostile.toml", &source, "cyber/hostile", today());
    let Some(runbook) = checked.runbook else {
        panic!("hostile sample did not parse: {:?}", checked.diagnostics);
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), vec![loaded(runbook)], dir.path());
    no_controls(&buffer(&app, 80, 24));
    snapshot("hostile_library_80x24", &app, 80, 24);
    press(&mut app, KeyCode::Enter);
    for _ in 0..3 {
        press(&mut app, KeyCode::Enter);
    }
    assert_eq!(
        app.shared.screen,
        Screen::Run,
        "status: {:?}",
        app.shared.status
    );
    if let Some(first) = app.shared.response.as_ref().and_then(|r| r.state.first_at) {
        app.shared.now = first;
    }
    for (w, h) in [(80, 24), (120, 40), (20, 5)] {
        no_controls(&buffer(&app, w, h));
    }
    snapshot("hostile_run_80x24", &app, 80, 24);
}

#[test]
fn resume_shows_the_state_before() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut first = app(colour(), samples(), dir.path());
    started(&mut first);
    done(&mut first);
    let Some(before) = first.shared.response.take() else {
        panic!("no response");
    };
    // "Killed": no session end. A new start offers the journal.
    let mut second = app(colour(), samples(), dir.path());
    let offered = super::unfinished_journals(&second);
    assert_eq!(offered.len(), 1);
    assert_eq!(offered[0].0, path_of(&before));
    second.shared.dialogs.push(Dialog::Resume {
        path: offered[0].0.clone(),
        incident: offered[0].1.clone(),
    });
    press(&mut second, KeyCode::Char('y'));
    assert_eq!(second.shared.screen, Screen::Run);
    let Some(after) = second.shared.response.as_ref() else {
        panic!("not resumed: {:?}", second.shared.status);
    };
    assert_eq!(after.state.runbooks, before.state.runbooks);
    assert_eq!(after.state.sessions.count, 2);
    assert_eq!(after.state.sessions.interrupted, 1);
    // The same step is current.
    let focus = |a: &App<'_>| a.shared.focus().map(|(r, i)| (r.id.clone(), i));
    first.shared.response = Some(before);
    assert_eq!(focus(&second), focus(&first));
}

/// The journal of a response started in `dir` with a step done, then
/// "killed" (no session end), for a later app to resume.
fn killed_after_a_step(dir: &Path) -> PathBuf {
    let mut first = app(colour(), samples(), dir);
    started(&mut first);
    done(&mut first);
    first
        .shared
        .response
        .take()
        .map(|r| path_of(&r))
        .unwrap_or_else(|| panic!("no response"))
}

#[test]
fn a_long_journal_resumes_in_steps_with_keys_held_off_until_all_is_in() {
    // A journal longer than one step (big notes): the run screen comes up on
    // its first part, keys say they wait and write nothing, and the steps end
    // in the state of the whole journal folded, then the writer session.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = killed_after_a_step(dir.path());
    let big = "x".repeat(200_000);
    let (mut journal, _, _) = Journal::open(&path, None).unwrap_or_else(|e| panic!("{e}"));
    journal.one_shot();
    for _ in 0..15 {
        let note = crate::journal::Event::Note {
            text: big.clone(),
            happened_at: None,
        };
        journal
            .append(&crate::response::testkit::actor("Kim"), note, None)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    drop(journal);
    let whole = ResponseState::fold(&Journal::read(&path, None).unwrap_or_else(|e| panic!("{e}")));
    let length = std::fs::metadata(&path).map(|m| m.len()).ok();

    let mut second = app(colour(), samples(), dir.path());
    second.resume(&path);
    assert_eq!(second.shared.screen, Screen::Run);
    assert!(second.shared.opening.is_some(), "read in one step");
    let text = format!("{:?}", buffer(&second, 120, 40));
    assert!(text.contains("reading the journal"), "{text}");
    press(&mut second, KeyCode::Char('d'));
    press(&mut second, KeyCode::Char('n'));
    assert!(
        second.shared.dialogs.is_empty(),
        "a key acted on part of the journal"
    );
    assert_eq!(std::fs::metadata(&path).map(|m| m.len()).ok(), length);
    let mut steps = 1;
    while second.shared.resume_step() {
        steps += 1;
    }
    assert!(steps > 1 && second.shared.opening.is_none());
    let Some(after) = second.shared.response.as_ref() else {
        panic!("not resumed: {:?}", second.shared.status);
    };
    assert!(after.session.is_some(), "no writer session");
    // The whole journal folded, then the session started on resuming.
    let mut expected = whole;
    let folded = expected.last_seq.unwrap_or(0);
    let tail = Journal::read(&path, None).unwrap_or_else(|e| panic!("{e}"));
    for entry in tail.iter().filter(|e| e.seq > folded) {
        expected.apply(entry);
    }
    assert_eq!(after.state, expected);
}

#[test]
fn a_journal_is_read_while_the_runbooks_load_and_its_session_starts_when_they_arrive() {
    // `grabbag run --journal` starts reading at once: the run screen shows
    // the journal's state before the runbooks are in; the session waits for
    // them (its commands are judged against them), and the log is worded
    // with their titles once they arrive.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = killed_after_a_step(dir.path());
    let whole = ResponseState::fold(&Journal::read(&path, None).unwrap_or_else(|e| panic!("{e}")));

    let mut second = app(colour(), Vec::new(), dir.path());
    second.library.loading = true;
    second.shared.runbooks_pending = true;
    let (send, pending) = std::sync::mpsc::channel();
    let mut start = super::Start {
        pending: Some(pending),
        prepare: Some(|app: &mut App<'_>| app.resume(&path)),
        early: true,
        held: Vec::new(),
    };
    assert!(matches!(
        start.poll(&mut second),
        Ok((true, Action::Continue))
    ));
    assert_eq!(second.shared.screen, Screen::Run);
    while second.shared.resume_step() {}
    let Some(reading) = second.shared.response.as_ref() else {
        panic!("no response: {:?}", second.shared.status);
    };
    assert_eq!(reading.state, whole, "all of it read before the runbooks");
    let step_title = samples()
        .into_iter()
        .find(|l| l.runbook.id == "cyber/ransomware")
        .and_then(|l| l.runbook.steps.first().map(|s| s.title.clone()))
        .unwrap_or_else(|| panic!("no ransomware sample"));
    assert!(
        !reading.log.iter().any(|l| l.text.contains(&step_title)),
        "no titles without the runbooks: {:?}",
        reading.log
    );
    assert!(reading.session.is_none(), "no session without the runbooks");
    assert!(second.shared.opening.is_some());
    let waiting = format!("{:?}", buffer(&second, 120, 40));
    assert!(waiting.contains("loading the runbooks"), "{waiting}");
    assert!(waiting.contains("is loading"), "{waiting}");
    assert!(!waiting.contains("not in the library"), "{waiting}");
    press(&mut second, KeyCode::Char('d'));
    assert_eq!(
        second.shared.response.as_ref().map(|r| r.state.entries),
        Some(whole.entries),
        "a key acted before the runbooks were in"
    );
    // Keys are answered by the read ("they wait"; Ctrl-C quits), not held
    // to be replayed (and refused) once the runbooks are in.
    assert!(!start.hold(&second, KeyCode::Down.into()));

    let report = LoadReport {
        runbooks: samples(),
        failures: Vec::new(),
        notices: Vec::new(),
        calendar: Default::default(),
    };
    if send.send(Ok(report)).is_err() {
        panic!("the receiver is alive");
    }
    assert!(matches!(
        start.poll(&mut second),
        Ok((true, Action::Continue))
    ));
    while second.shared.resume_step() {}
    let Some(after) = second.shared.response.as_ref() else {
        panic!("not resumed: {:?}", second.shared.status);
    };
    assert!(after.session.is_some(), "no writer session");
    assert!(second.shared.opening.is_none());
    // Worded with the step's title, as a resume after the load is.
    assert!(
        after.log.iter().any(|l| l.text.contains(&step_title)),
        "{:?}",
        after.log
    );
}

#[test]
fn tiny_and_resized_terminals_do_not_panic() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), samples(), dir.path());
    for (w, h) in [(1, 1), (10, 3), (40, 10), (200, 60)] {
        let _ = buffer(&app, w, h);
    }
    started(&mut app);
    press(&mut app, KeyCode::Char('?'));
    for (w, h) in [(1, 1), (10, 3), (40, 10), (200, 60)] {
        let _ = buffer(&app, w, h);
    }
}

#[test]
fn tick_block_correct_actor_and_a_second_runbook() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), samples(), dir.path());
    started(&mut app);
    // Tick the first check, then check number 2.
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Char('2'));
    // Block with a reason, then unblock.
    press(&mut app, KeyCode::Char('b'));
    typed(&mut app, "waiting for the on-call engineer");
    press(&mut app, KeyCode::Enter);
    // The flow moves on past a blocked step; go back up to lift the block.
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Char('b'));
    // Correct the latest entry (the unblock).
    press(&mut app, KeyCode::Char('c'));
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "unblocked at 09:10, not now");
    ctrl(&mut app, 's');
    // Someone else takes the keyboard.
    press(&mut app, KeyCode::Char('a'));
    ctrl(&mut app, 'u');
    typed(&mut app, "Bob");
    press(&mut app, KeyCode::Tab);
    ctrl(&mut app, 'u');
    typed(&mut app, "Loggist");
    press(&mut app, KeyCode::Enter);
    // A second runbook in the same response, and back.
    press(&mut app, KeyCode::Char('o'));
    assert_eq!(app.shared.screen, Screen::Library);
    typed(&mut app, "personal data");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.shared.screen, Screen::Run);
    press(&mut app, KeyCode::Tab);
    assert!(
        app.shared.dialogs.is_empty(),
        "status: {:?}",
        app.shared.status
    );

    let Some(response) = app.shared.response.as_ref() else {
        panic!("no response");
    };
    assert_eq!(response.active, 0);
    assert_eq!(response.state.runbooks.len(), 2);
    assert_eq!(
        response.state.actor.as_ref().map(|a| a.name.as_str()),
        Some("Bob")
    );
    let (_, entries, _) = Journal::open(&path_of(response), None).unwrap_or_else(|e| panic!("{e}"));
    let kinds = kinds(&entries);
    assert_eq!(
        kinds,
        [
            "session_started",
            "runbook_opened",
            "check_ticked",
            "check_ticked",
            "step_blocked",
            "step_unblocked",
            "correction",
            "actor_changed",
            "runbook_opened"
        ]
    );
    assert_eq!(ResponseState::fold(&entries), response.state);
    snapshot("two_runbooks_80x24", &app, 80, 24);
}

#[test]
fn a_deadline_passing_is_journaled_on_the_tick() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), samples(), dir.path());
    started(&mut app);
    done(&mut app);
    let Some(due) = app
        .shared
        .response
        .as_ref()
        .and_then(|r| r.state.clocks.first())
        .map(|c| c.due_at)
    else {
        panic!("no clock started");
    };
    app.tick(due + chrono::TimeDelta::seconds(1));
    let Some(response) = app.shared.response.as_ref() else {
        panic!("no response");
    };
    assert!(response.state.clocks[0].breached.is_some());
    assert!(
        response
            .log
            .iter()
            .any(|l| l.text.starts_with("DEADLINE MISSED"))
    );
    snapshot("deadline_missed_80x24", &app, 80, 24);
}

#[test]
fn entries_from_another_process_appear_on_the_tick() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), samples(), dir.path());
    started(&mut app);
    let Some(path) = app.shared.response.as_ref().map(path_of) else {
        panic!("no response");
    };
    // What `grabbag note` does from a second terminal.
    let (mut other, _, _) = Journal::open(&path, None).unwrap_or_else(|e| panic!("{e}"));
    other.one_shot();
    let actor = crate::journal::Actor {
        name: "Priya".to_owned(),
        role: "Loggist".to_owned(),
    };
    let note = crate::journal::Event::Note {
        text: "Phoned from the depot".to_owned(),
        happened_at: None,
    };
    if let Err(e) = other.append(&actor, note, None) {
        panic!("{e}");
    }
    let now = app.shared.now;
    app.tick(now);
    let Some(response) = app.shared.response.as_ref() else {
        panic!("no response");
    };
    assert_eq!(response.state.notes.len(), 1);
    assert!(
        response
            .log
            .iter()
            .any(|l| l.text == "note: Phoned from the depot")
    );
}

#[test]
fn a_note_from_another_process_just_before_a_key_shows_in_its_place() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), samples(), dir.path());
    started(&mut app);
    let Some(path) = app.shared.response.as_ref().map(path_of) else {
        panic!("no response");
    };
    let (mut other, _, _) = Journal::open(&path, None).unwrap_or_else(|e| panic!("{e}"));
    other.one_shot();
    let actor = crate::journal::Actor {
        name: "Priya".to_owned(),
        role: "Loggist".to_owned(),
    };
    let note = crate::journal::Event::Note {
        text: "Phoned from the depot".to_owned(),
        happened_at: None,
    };
    let written = other
        .append(&actor, note, None)
        .unwrap_or_else(|e| panic!("{e}"));
    // No tick: the key's own append brings the note in, before its entry.
    press(&mut app, KeyCode::Char('g'));
    let Some(response) = app.shared.response.as_ref() else {
        panic!("no response");
    };
    let seqs: Vec<u64> = response.log.iter().map(|l| l.seq).collect();
    let expected: Vec<u64> = (1..=written.seq + 1).collect();
    assert_eq!(seqs, expected, "{:?}", response.log);
    let at = seqs.iter().position(|s| *s == written.seq).unwrap_or(0);
    assert_eq!(response.log[at].text, "note: Phoned from the depot");
    assert!(response.log[at + 1].text.starts_with("started: "));
    assert!(response.state.anomalies.is_empty());
    assert!(text(&app, 120, 40).contains("Phoned from the depot"));
}

#[test]
fn ascii_mode_dialogs_are_ascii_too() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let look = Look {
        ascii: true,
        ..Look::default()
    };
    let mut app = app(look, samples(), dir.path());
    press(&mut app, KeyCode::Char('?'));
    assert!(text(&app, 80, 24).is_ascii());
    press(&mut app, KeyCode::Esc);
    started(&mut app);
    for key in ['s', 'n', 'c', 'a', '?'] {
        press(&mut app, KeyCode::Char(key));
        let screen = text(&app, 80, 24);
        assert!(screen.is_ascii(), "{key}: {screen}");
        press(&mut app, KeyCode::Esc);
    }
    done(&mut app);
    done(&mut app);
    press(&mut app, KeyCode::Char('D'));
    let screen = text(&app, 80, 24);
    assert!(screen.is_ascii(), "{screen}");
}

#[test]
fn a_long_decision_shows_every_option_at_80x24() {
    // The faulty-update sample asks a three-line question with a two-line
    // first option: a box sized for one line each hid the second option.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), samples(), dir.path());
    typed(&mut app, "faulty update");
    press(&mut app, KeyCode::Enter);
    for _ in 0..3 {
        press(&mut app, KeyCode::Enter);
    }
    assert_eq!(
        app.shared.screen,
        Screen::Run,
        "status: {:?}",
        app.shared.status
    );
    done(&mut app);
    press(&mut app, KeyCode::Char('D'));
    let screen = text(&app, 80, 24);
    for shown in [
        "not match a known faulty update?",
        " 1. No: the crashes match a known faulty update",
        " 2. Yes, or we cannot tell",
        "Esc cancels",
    ] {
        assert!(screen.contains(shown), "{shown:?} not shown in\n{screen}");
    }
}

/// A response started on ransomware, in its own temporary library folder.
fn started_app() -> (tempfile::TempDir, App<'static>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), samples(), dir.path());
    started(&mut app);
    (dir, app)
}

/// Opens another runbook in the response, found by `search`.
fn open_another(app: &mut App<'_>, search: &str) {
    press(app, KeyCode::Char('o'));
    typed(app, search);
    press(app, KeyCode::Enter);
    assert_eq!(
        app.shared.screen,
        Screen::Run,
        "status: {:?}",
        app.shared.status
    );
}

#[test]
fn five_long_tabs_fit_at_80_columns_with_the_current_one_shown() {
    let (_dir, mut app) = started_app();
    for search in ["personal data", "payments", "adult social", "supplier"] {
        open_another(&mut app, search);
    }
    let titles = |app: &App<'_>| -> Vec<String> {
        app.shared
            .response
            .as_ref()
            .map(|r| {
                r.state
                    .runbooks
                    .iter()
                    .map(|o| o.version.title.clone())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(titles(&app).len(), 5);
    snapshot("five_tabs_80x24", &app, 80, 24);
    // Whichever tab is current, its number and the start of its title show
    // on the tab row, which stays inside 80 columns.
    for _ in 0..5 {
        press(&mut app, KeyCode::Tab);
        let Some(active) = app.shared.response.as_ref().map(|r| r.active) else {
            panic!("no response");
        };
        let row = text(&app, 80, 24)
            .lines()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let title: String = titles(&app)[active].chars().take(12).collect();
        assert!(
            row.contains(&format!(" {} {title}", active + 1)),
            "tab {active}: {row}"
        );
        assert!(row.contains('…'), "{row}");
    }
    // Too narrow for every number: the current tab and an ellipsis for the
    // ones left out.
    let Some(active) = app.shared.response.as_ref().map(|r| r.active) else {
        panic!("no response");
    };
    let row: String = super::run::tabs(&app.shared, &titles(&app), active, 12)
        .iter()
        .map(|s| s.content.as_ref())
        .collect();
    assert!(row.contains(&format!(" {} ", active + 1)), "{row}");
    assert!(row.contains('…'), "{row}");
    // The whole screen at that width says it is too small instead.
    let screen = text(&app, 24, 24);
    assert!(screen.contains("This terminal is 24x24"), "{screen}");
}

#[test]
fn g_starts_the_selected_step() {
    let (_dir, mut app) = started_app();
    // Look at the third step and start it out of order.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(app.shared.status, None);
    let Some(response) = app.shared.response.as_ref() else {
        panic!("no response");
    };
    assert_eq!(response.selected, Some(2), "the started step stays in view");
    let Some((runbook, step)) = app
        .shared
        .focus()
        .and_then(|(r, i)| Some((r.id.clone(), r.steps.get(i?)?.id.clone())))
    else {
        panic!("no focus");
    };
    assert_eq!(
        response.state.status(&runbook, &step),
        &crate::response::StepStatus::Started
    );
    assert!(response.log.iter().any(|l| l.text.starts_with("started: ")));
    // Starting it again is refused, with the reason on the status line.
    press(&mut app, KeyCode::Char('g'));
    assert!(matches!(
        app.shared.status,
        Some(super::app::Status::Error(_))
    ));
    let hints = text(&app, 80, 24);
    assert!(hints.contains("g go"), "{hints}");
}

#[test]
fn a_note_can_say_when_it_happened() {
    let (_dir, mut app) = started_app();
    let now = app.shared.local(app.shared.now);
    press(&mut app, KeyCode::Char('n'));
    typed(&mut app, "Called the ICO");
    ctrl(&mut app, 't');
    typed(&mut app, "quarter past");
    // An unreadable time is refused and nothing typed is lost.
    ctrl(&mut app, 's');
    assert!(matches!(
        app.shared.status,
        Some(super::app::Status::Error(_))
    ));
    assert!(matches!(
        app.shared.dialogs.last(),
        Some(Dialog::Editor { .. })
    ));
    for _ in 0.."quarter past".len() {
        press(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "08:30");
    snapshot("note_happened_at_80x24", &app, 80, 24);
    ctrl(&mut app, 's');
    assert!(
        app.shared.dialogs.is_empty(),
        "status: {:?}",
        app.shared.status
    );
    // The screen's zone puts now at 12:xx, so 08:30 is this morning, and
    // 13:30 (later than now) is yesterday's.
    press(&mut app, KeyCode::Char('n'));
    typed(&mut app, "Server room door found open");
    ctrl(&mut app, 't');
    typed(&mut app, "13:30");
    press(&mut app, KeyCode::Enter);
    typed(&mut app, " overnight");
    ctrl(&mut app, 's');
    assert!(
        app.shared.dialogs.is_empty(),
        "status: {:?}",
        app.shared.status
    );
    let Some(response) = app.shared.response.as_ref() else {
        panic!("no response");
    };
    let notes = &response.state.notes;
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[1].text, "Server room door found open overnight");
    let local = |n: usize| {
        notes[n]
            .happened_at
            .map(|t| app.shared.local(t).naive_local())
    };
    let today = now.date_naive();
    let at = |date: NaiveDate, h, m| date.and_hms_opt(h, m, 0);
    assert_eq!(local(0), at(today, 8, 30));
    assert_eq!(local(1), at(today.pred_opt().unwrap_or(today), 13, 30));
    assert!(
        response
            .log
            .iter()
            .any(|l| l.text.starts_with("note (happened ") && l.text.ends_with("): Called the ICO"))
    );
}

#[test]
fn resuming_a_journal_whose_runbook_left_the_library() {
    let (dir, mut first) = started_app();
    done(&mut first);
    press(&mut first, KeyCode::Char('s'));
    typed(&mut first, "no laptops on site");
    press(&mut first, KeyCode::Enter);
    let Some(before) = first.shared.response.take() else {
        panic!("no response");
    };
    // "Killed"; the library then loses the ransomware runbook.
    let without: Vec<_> = samples()
        .into_iter()
        .filter(|r| r.runbook.id != "cyber/ransomware")
        .collect();
    let mut second = app(colour(), without, dir.path());
    second.resume(&path_of(&before));
    assert_eq!(second.shared.screen, Screen::Run);
    let Some(status) = &second.shared.status else {
        panic!("no message");
    };
    assert!(
        matches!(status, super::app::Status::Error(m) if m.contains("cyber/ransomware")),
        "{status:?}"
    );
    let Some(after) = second.shared.response.as_ref() else {
        panic!("not resumed");
    };
    assert_eq!(after.state.runbooks, before.state.runbooks);
    if let Some(first) = after.state.first_at {
        second.shared.now = first;
    }
    for (w, h) in [(80, 24), (120, 40), (20, 5)] {
        let _ = buffer(&second, w, h);
    }
    snapshot("resume_missing_runbook_80x24", &second, 80, 24);
    // Step keys say why they cannot act; everything else works.
    for key in ['d', 'g', ' ', 'D'] {
        press(&mut second, KeyCode::Char(key));
        assert!(second.shared.dialogs.is_empty());
        assert_eq!(second.shared.screen, Screen::Run);
    }
    press(&mut second, KeyCode::Char('n'));
    typed(&mut second, "Runbook missing: working from the paper pack");
    ctrl(&mut second, 's');
    assert!(
        second.shared.dialogs.is_empty(),
        "status: {:?}",
        second.shared.status
    );
    assert_eq!(press(&mut second, KeyCode::Char('q')), Action::Continue);
    assert_eq!(press(&mut second, KeyCode::Char('q')), Action::Quit);
    let (_, entries, _) = Journal::open(&path_of(&before), None).unwrap_or_else(|e| panic!("{e}"));
    let kinds: Vec<_> = entries
        .iter()
        .skip(before.state.entries as usize)
        .map(kind)
        .collect();
    assert_eq!(kinds, ["session_started", "note", "session_ended"]);
}

#[test]
fn start_form_answers_are_remembered_when_sent() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), samples(), dir.path());
    let path = dir.path().join("config/last-session.toml");
    app.shared.last_path = Some(path.clone());
    typed(&mut app, "ransom");
    press(&mut app, KeyCode::Enter);
    for answer in ["Payroll outage", "Priya", "Loggist"] {
        ctrl(&mut app, 'u');
        typed(&mut app, answer);
        press(&mut app, KeyCode::Enter);
    }
    assert_eq!(
        app.shared.screen,
        Screen::Run,
        "status: {:?}",
        app.shared.status
    );
    // On disk now, while the response runs: a crash keeps them.
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let saved: LastSession = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        saved,
        LastSession {
            incident: "Payroll outage".to_owned(),
            name: "Priya".to_owned(),
            role: "Loggist".to_owned(),
        }
    );
}

/// Presses a key the way the event loop does while a load may be pending.
fn press_while_loading<P: FnOnce(&mut App<'_>)>(
    app: &mut App<'_>,
    start: &mut super::Start<P>,
    code: KeyCode,
) {
    let key = KeyEvent::new(code, KeyModifiers::NONE);
    if !start.hold(app, key) {
        handle_key(app, key);
    }
}

/// The library screen comes up before the runbooks are decrypted: a search
/// typed meanwhile shows at once, Enter and the keys after it wait, and when
/// the load arrives they act in the order typed, as if it had been instant.
#[test]
fn keys_typed_while_the_library_loads_act_in_order_when_it_arrives() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), Vec::new(), dir.path());
    app.library_loaded(LoadReport::default());
    app.library.loading = true;
    let (send, pending) = std::sync::mpsc::channel();
    let mut start = super::Start {
        pending: Some(pending),
        prepare: Some(super::offer_resume),
        early: false,
        held: Vec::new(),
    };
    for c in "ransom".chars() {
        press_while_loading(&mut app, &mut start, KeyCode::Char(c));
    }
    press_while_loading(&mut app, &mut start, KeyCode::Enter);
    for code in [KeyCode::Backspace, KeyCode::Char('X')] {
        press_while_loading(&mut app, &mut start, code);
    }
    assert_eq!(
        app.library.search(),
        "ransom",
        "keys after Enter wait for it"
    );
    assert!(app.shared.dialogs.is_empty());
    snapshot("library_loading_80x24", &app, 80, 24);
    assert!(matches!(
        start.poll(&mut app),
        Ok((false, Action::Continue))
    ));

    let report = LoadReport {
        runbooks: samples(),
        failures: Vec::new(),
        notices: Vec::new(),
        calendar: Default::default(),
    };
    if send.send(Ok(report)).is_err() {
        panic!("the receiver is alive");
    }
    assert!(matches!(start.poll(&mut app), Ok((true, Action::Continue))));
    assert!(!app.library.loading);
    match app.shared.dialogs.last() {
        Some(Dialog::Form {
            purpose: super::dialog::FormPurpose::Start(id),
            fields,
            ..
        }) => {
            assert_eq!(id, "cyber/ransomware");
            // Backspace and X went to the form, after Enter opened it.
            assert_eq!(fields[0].1, "Test incidenX");
        }
        _ => panic!("expected the start form"),
    }
    // Once loaded, nothing is held.
    press_while_loading(&mut app, &mut start, KeyCode::Esc);
    assert!(app.shared.dialogs.is_empty());
}

/// A load that fails, or a loading thread that dies, ends the interface with
/// an error rather than leaving an empty library on screen.
#[test]
fn a_failed_background_load_is_an_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), Vec::new(), dir.path());
    let (send, pending) = std::sync::mpsc::channel();
    let mut start = super::Start {
        pending: Some(pending),
        prepare: Some(|_: &mut App<'_>| {}),
        early: false,
        held: Vec::new(),
    };
    let refused = crate::library::LibraryError::Refused("allowed_signers: bad line 3".into());
    if send.send(Err(refused)).is_err() {
        panic!("the receiver is alive");
    }
    match start.poll(&mut app) {
        Err(e) => assert!(e.to_string().contains("bad line 3"), "{e}"),
        Ok(_) => panic!("a failed load must end the interface"),
    }

    let (send, pending) = std::sync::mpsc::channel();
    drop(send);
    start.pending = Some(pending);
    match start.poll(&mut app) {
        Err(e) => assert!(e.to_string().contains("stopped"), "{e}"),
        Ok(_) => panic!("a dead loader must end the interface"),
    }
}

/// The library and run screens with their styles: the buffer's debug form
/// lists each run of cells with its colours and modifiers, so a theme change
/// shows in review. Colour, `NO_COLOR` and high contrast.
#[test]
fn screens_with_styles_in_each_look() {
    let looks = [
        ("colour", colour()),
        (
            "no_color",
            Look {
                no_color: true,
                ..Look::default()
            },
        ),
        (
            "high_contrast",
            Look {
                high_contrast: true,
                ..Look::default()
            },
        ),
    ];
    for (name, look) in looks {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut app = app(look, samples(), dir.path());
        styled_snapshot(&format!("styled_library_{name}_80x24"), &app);
        started(&mut app);
        done(&mut app);
        styled_snapshot(&format!("styled_run_{name}_80x24"), &app);
    }
}

fn styled_snapshot(name: &str, app: &App<'_>) {
    assert_screen(name, format!("{:#?}", buffer(app, 80, 24)));
}

#[test]
fn list_cursor_stays_on_the_list() {
    use super::dialog::list_cursor;
    assert_eq!(list_cursor(0, 3, KeyCode::Up), 0);
    assert_eq!(list_cursor(0, 3, KeyCode::Down), 1);
    assert_eq!(list_cursor(2, 3, KeyCode::Down), 2);
    assert_eq!(list_cursor(2, 3, KeyCode::Up), 1);
    assert_eq!(list_cursor(0, 0, KeyCode::Down), 0);
    assert_eq!(list_cursor(1, 3, KeyCode::Enter), 1);
}

#[test]
fn a_runbook_with_deadlines_from_awareness_asks_for_the_time_first() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let flow = crate::response::testkit::FLOW
        .replace(r#"starts_on = "assess""#, r#"starts_on = "awareness""#);
    let runbook = crate::response::testkit::parse(&flow, crate::response::testkit::RB);
    let mut app = app(colour(), vec![loaded(runbook)], dir.path());
    app.shared.zone = chrono::FixedOffset::east_opt(0);
    typed(&mut app, "test flow");
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "Ransomware");
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "Alice");
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "Incident lead");
    press(&mut app, KeyCode::Enter);
    // Before the runbook opens: when did the council become aware?
    assert!(
        matches!(
            app.shared.dialogs.last(),
            Some(super::dialog::Dialog::Form {
                purpose: super::dialog::FormPurpose::Awareness(Some(_)),
                ..
            })
        ),
        "{:?}",
        app.shared.status
    );
    let aware = app
        .shared
        .local(app.shared.now - chrono::TimeDelta::hours(8));
    typed(&mut app, &aware.format("%Y-%m-%d %H:%M").to_string());
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "ransom note seen");
    press(&mut app, KeyCode::Enter);
    assert!(app.shared.dialogs.is_empty(), "{:?}", app.shared.status);
    let Some(response) = app.shared.response.as_ref() else {
        panic!("no response");
    };
    let due = response.state.clock("t/flow", "ico").map(|c| c.due_at);
    let expected = aware.with_timezone(&chrono::Utc) + chrono::TimeDelta::hours(72);
    assert_eq!(
        due.map(|d| d.format("%F %H:%M").to_string()),
        Some(expected.format("%F %H:%M").to_string())
    );
    let screen = text(&app, 100, 30);
    assert!(screen.contains("(from awareness"), "{screen}");
    // At 80 columns the deadline still says what it is: the time of
    // awareness gives way before the label does.
    let narrow = text(&app, 80, 24);
    assert!(narrow.contains("Report to the ICO: due "), "{narrow}");
    assert!(narrow.contains("left (from awareness)"), "{narrow}");
    // A corrects it; the deadline moves.
    press(&mut app, KeyCode::Char('A'));
    for _ in 0..16 {
        press(&mut app, KeyCode::Backspace);
    }
    let earlier = aware - chrono::TimeDelta::minutes(30);
    typed(&mut app, &earlier.format("%Y-%m-%d %H:%M").to_string());
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "the note was photographed earlier");
    press(&mut app, KeyCode::Enter);
    let Some(response) = app.shared.response.as_ref() else {
        panic!("no response");
    };
    let moved = response.state.clock("t/flow", "ico").map(|c| c.due_at);
    assert_eq!(
        moved.map(|d| d.format("%F %H:%M").to_string()),
        Some(
            (expected - chrono::TimeDelta::minutes(30))
                .format("%F %H:%M")
                .to_string()
        )
    );
}

#[test]
fn the_start_form_names_the_runbook_in_full_at_80x24() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), samples(), dir.path());
    typed(&mut app, "ransom");
    press(&mut app, KeyCode::Enter);
    let screen = text(&app, 80, 24);
    assert!(
        screen.contains("Runbook: Ransomware: files encrypted or ransom note found"),
        "{screen}"
    );
    snapshot("start_form_80x24", &app, 80, 24);
}

#[test]
fn t_adds_a_deadline_of_the_responses_own() {
    let (_dir, mut app) = started_app();
    app.shared.zone = chrono::FixedOffset::east_opt(0);
    press(&mut app, KeyCode::Char('T'));
    typed(&mut app, "Brief the Leader of the council");
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "3 weeks");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Enter);
    // A due that is neither a time nor a period is refused by name.
    let refused = format!("{:?}", app.shared.status);
    assert!(refused.contains("3 weeks"), "{refused}");
    assert!(!app.shared.dialogs.is_empty(), "the form stays open");
    press(&mut app, KeyCode::Up);
    for _ in 0..7 {
        press(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "2h");
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "Chief Executive's instruction");
    press(&mut app, KeyCode::Enter);
    assert!(app.shared.dialogs.is_empty(), "{:?}", app.shared.status);
    let Some(response) = app.shared.response.as_ref() else {
        panic!("no response");
    };
    let clock = response.state.clock(crate::response::AD_HOC, "deadline-1");
    let clock = clock.unwrap_or_else(|| panic!("{:?}", response.state.clocks));
    let off = (clock.due_at - clock.started.at - chrono::TimeDelta::hours(2)).abs();
    assert!(off < chrono::TimeDelta::seconds(1), "{clock:?}");
    assert_eq!(
        clock.basis.as_deref(),
        Some("Chief Executive's instruction")
    );
    let screen = text(&app, 100, 30);
    assert!(screen.contains("Brief the Leader"), "{screen}");
}

/// A response on the children's safeguarding runbook on Tuesday 1 September
/// 2026, 12:00 UTC, with two referrals added by `C`: one from Friday
/// afternoon (due the end of today, after the bank holiday), one from
/// Thursday (due Friday: missed), the later one added first.
fn two_referrals() -> (tempfile::TempDir, App<'static>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), samples(), dir.path());
    app.shared.zone = chrono::FixedOffset::east_opt(0);
    typed(&mut app, "safeguarding");
    press(&mut app, KeyCode::Enter);
    for _ in 0..3 {
        press(&mut app, KeyCode::Enter);
    }
    assert_eq!(app.shared.screen, Screen::Run, "{:?}", app.shared.status);
    let now = chrono::Utc
        .with_ymd_and_hms(2026, 9, 1, 12, 0, 0)
        .single()
        .unwrap_or_else(|| panic!("a time"));
    app.shared.now = now;
    for (reference, hours_ago, child) in [("CS-002", 92, "C.D."), ("CS-001", 120, "A.B.")] {
        press(&mut app, KeyCode::Char('C'));
        typed(&mut app, reference);
        press(&mut app, KeyCode::Tab);
        let received = app.shared.local(now - chrono::TimeDelta::hours(hours_ago));
        typed(&mut app, &received.format("%Y-%m-%d %H:%M").to_string());
        press(&mut app, KeyCode::Tab);
        typed(&mut app, child);
        press(&mut app, KeyCode::Tab);
        press(&mut app, KeyCode::Tab);
        typed(&mut app, "School, 07700 900000");
        // Up past the reference's field is the last field: Enter saves.
        for _ in 0..5 {
            press(&mut app, KeyCode::Up);
        }
        press(&mut app, KeyCode::Enter);
        assert!(app.shared.dialogs.is_empty(), "{:?}", app.shared.status);
    }
    (dir, app)
}

#[test]
fn r_shows_the_register_of_cases_by_next_due() {
    let (_dir, mut app) = two_referrals();
    let cases = app.shared.response.as_ref().map(|r| r.state.cases.len());
    assert_eq!(cases, Some(2));
    let steps = text(&app, 80, 24);
    assert!(steps.contains("cases: 2, 1 missed"), "{steps}");
    press(&mut app, KeyCode::Char('R'));
    let screen = text(&app, 80, 24);
    let first = screen.find("CS-001");
    let second = screen.find("CS-002");
    assert!(
        first.is_some() && second.is_some() && first < second,
        "{screen}"
    );
    assert!(screen.contains("Register: 2 cases"), "{screen}");
    // Friday's referral is due at the end of Tuesday (22:59 UTC in summer
    // time); Thursday's was due on Friday, and says by how much it is late.
    assert!(
        screen.contains("CS-002      Fri 28 Aug")
            && screen.contains("OPEN    Tue 01 Sep 22:59 10h 59m left"),
        "{screen}"
    );
    assert!(
        screen.contains("OVERDUE Fri 28 Aug 22:59 overdue by 3d 13h"),
        "{screen}"
    );
    press(&mut app, KeyCode::Char('R'));
    assert!(!text(&app, 80, 24).contains("Register: 2 cases"));
}

/// The register's cursor picks a case; its keys tick the checklist and mark
/// it keyed back, and `X` meets a deadline of the response's own: each a
/// journaled command, as `act case done`, `act case keyed` and `act met`.
#[test]
fn the_register_picks_a_case_ticks_its_checklist_and_marks_it_keyed() {
    let (_dir, mut app) = two_referrals();
    press(&mut app, KeyCode::Char('R'));
    // The overdue referral is on top and picked; j picks Friday's.
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Char('4'));
    press(&mut app, KeyCode::Char('K'));
    let Some(response) = app.shared.response.as_ref() else {
        panic!("no response");
    };
    let case = response.state.case("CS-002");
    let case = case.unwrap_or_else(|| panic!("{:?}", response.state.cases));
    let done: Vec<&str> = case.done.keys().map(String::as_str).collect();
    assert_eq!(done, ["decided", "recorded"], "{:?}", app.shared.status);
    assert!(case.keyed.is_some(), "{:?}", app.shared.status);
    assert!(
        response
            .state
            .case("CS-001")
            .is_some_and(|c| c.done.is_empty())
    );
    let entries = Journal::read(&path_of(response), None).unwrap_or_else(|e| panic!("{e}"));
    let tail: Vec<&str> = entries.iter().rev().take(3).rev().map(kind).collect();
    assert!(tail.contains(&"case_keyed"), "{tail:?}");
    let screen = text(&app, 80, 24);
    assert!(
        screen.contains("[x] 1 Paper form") && screen.contains("keyed back"),
        "{screen}"
    );
    snapshot("register_cursor_80x24", &app, 80, 24);
    // A deadline of the response's own, crossed off with X.
    assert!(app.shared.execute(&Command::AddDeadline {
        label: "Brief the Leader".to_owned(),
        due: crate::response::DeadlineDue::After(
            crate::calendar::Period::parse("2h").unwrap_or_else(|e| panic!("{e}"))
        ),
        basis: None,
    }));
    press(&mut app, KeyCode::Char('X'));
    press(&mut app, KeyCode::Enter);
    let met = app
        .shared
        .response
        .as_ref()
        .and_then(|r| r.state.clock(crate::response::AD_HOC, "deadline-1"))
        .and_then(|c| c.met.as_ref());
    assert!(met.is_some(), "{:?}", app.shared.status);
}
