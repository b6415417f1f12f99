//! Each screen's keys are declared once: every key its table lists is
//! reachable and shown in the `?` help (and the hint bar's entries come from
//! it), and a key its tables do not list changes nothing: no journal entry,
//! no dialog, no other screen, only a status line saying where the keys are.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Screen, handle_key};
use super::dialog::Dialog;
use super::exercise_tests::{playing, recorded};
use super::keys::{GLOBAL, Key, Table};
use super::replay::Replay;
use super::tests::{app, colour, path_of, samples, started, text};
use super::{board, exercise, library, replay, review, run};

/// Every key a responder could press: printable ASCII, the named keys and
/// Ctrl with each letter.
fn every_key() -> Vec<KeyEvent> {
    let plain = |code| KeyEvent::new(code, KeyModifiers::NONE);
    let mut keys: Vec<KeyEvent> = (' '..='~').map(|c| plain(KeyCode::Char(c))).collect();
    keys.extend(
        [
            KeyCode::Enter,
            KeyCode::Esc,
            KeyCode::Tab,
            KeyCode::BackTab,
            KeyCode::Backspace,
            KeyCode::Delete,
            KeyCode::Insert,
            KeyCode::Left,
            KeyCode::Right,
            KeyCode::Up,
            KeyCode::Down,
            KeyCode::Home,
            KeyCode::End,
            KeyCode::PageUp,
            KeyCode::PageDown,
        ]
        .map(plain),
    );
    keys.extend((1..=12).map(|n| plain(KeyCode::F(n))));
    keys.extend(('a'..='z').map(|c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)));
    keys
}

/// Every binding of `table` answers to the keys it lists: none is hidden
/// behind an earlier one (a family, typing or digits, to one key at least).
fn reachable<C: Copy + PartialEq + std::fmt::Debug>(table: &Table<C>) {
    for binding in table.bindings {
        for key in binding.keys {
            let examples = key.examples();
            let won = examples
                .iter()
                .filter(|e| table.binding(e).is_some_and(|b| std::ptr::eq(b, binding)))
                .count();
            match key {
                Key::Typing | Key::Digit => assert!(
                    won > 0,
                    "{}: `{}` is shadowed by earlier bindings",
                    table.title,
                    binding.label
                ),
                _ => assert_eq!(
                    won,
                    examples.len(),
                    "{}: `{}` ({key:?}) is shadowed by an earlier binding",
                    table.title,
                    binding.label
                ),
            }
        }
    }
}

#[test]
fn every_binding_of_every_table_is_reachable() {
    reachable(&library::KEYS);
    reachable(&run::KEYS);
    reachable(&exercise::KEYS);
    reachable(&replay::KEYS);
    reachable(&review::KEYS);
    reachable(&board::KEYS);
    reachable(&GLOBAL);
}

/// On the run screen of an exercise the facilitator's table is asked first,
/// and every screen asks the global one first: a key in two of them would
/// be dead in the second.
#[test]
fn layered_tables_share_no_key() {
    let keys = every_key();
    let clash = |a: &dyn Fn(&KeyEvent) -> bool, b: &dyn Fn(&KeyEvent) -> bool| {
        keys.iter().filter(|k| a(k) && b(k)).count()
    };
    let ex = |k: &KeyEvent| exercise::KEYS.command(k).is_some();
    let global = |k: &KeyEvent| GLOBAL.command(k).is_some();
    let runs = |k: &KeyEvent| run::KEYS.command(k).is_some();
    assert_eq!(clash(&ex, &runs), 0, "a facilitator key hides a run key");
    for screen in [
        &(|k: &KeyEvent| library::KEYS.command(k).is_some()) as &dyn Fn(&KeyEvent) -> bool,
        &runs,
        &ex,
        &|k: &KeyEvent| replay::KEYS.command(k).is_some(),
        &|k: &KeyEvent| review::KEYS.command(k).is_some(),
        &|k: &KeyEvent| board::KEYS.command(k).is_some(),
    ] {
        assert_eq!(clash(screen, &global), 0, "a screen binds Ctrl-C");
    }
}

/// What a screen looks like to a key: the journal's bytes, the screen and
/// whether a dialog is open.
fn looks(app: &App<'_>) -> (Vec<u8>, Screen, usize) {
    let journal = app
        .shared
        .response
        .as_ref()
        .map(path_of)
        .filter(|p| !p.as_os_str().is_empty())
        .and_then(|p| std::fs::read(p).ok())
        .unwrap_or_default();
    (journal, app.shared.screen, app.shared.dialogs.len())
}

/// Presses, one after another on `app`, every key no table of the screen
/// lists: each changes nothing but the status line.
fn unlisted_keys_do_nothing(name: &str, bound: impl Fn(&KeyEvent) -> bool, mut app: App<'_>) {
    let mut tried = 0;
    for key in every_key().into_iter().filter(|k| !bound(k)) {
        let before = looks(&app);
        app.shared.status = None;
        handle_key(&mut app, key);
        assert_eq!(looks(&app), before, "{name}: {key:?} changed something");
        let status = format!("{:?}", app.shared.status);
        assert!(
            status.contains("not a key here") || status.contains("read-only"),
            "{name}: {key:?} said nothing: {status}"
        );
        tried += 1;
    }
    assert!(tried > 0, "{name}: every key is bound?");
}

#[test]
fn keys_no_table_lists_change_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path();
    let global = |k: &KeyEvent| GLOBAL.command(k).is_some();
    unlisted_keys_do_nothing(
        "library",
        |k| global(k) || library::KEYS.command(k).is_some(),
        app(colour(), samples(), root),
    );
    let mut responding = app(colour(), samples(), root);
    started(&mut responding);
    unlisted_keys_do_nothing(
        "run",
        |k| global(k) || run::KEYS.command(k).is_some(),
        responding,
    );
    unlisted_keys_do_nothing(
        "exercise",
        |k| global(k) || run::KEYS.command(k).is_some() || exercise::KEYS.command(k).is_some(),
        playing(root),
    );
    let mut replaying = app(colour(), samples(), root);
    let entries = recorded(root, "ransomware-friday.jsonl");
    replaying.start_replay(Replay::new(entries, 10, None, "r".to_owned()));
    unlisted_keys_do_nothing(
        "replay",
        |k| global(k) || replay::KEYS.command(k).is_some(),
        replaying,
    );
}

/// The help opened with `?` on a screen, drawn tall enough to show it all.
fn help_shown(app: &mut App<'_>) -> String {
    handle_key(app, KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE));
    assert!(matches!(app.shared.dialogs.last(), Some(Dialog::Help(_))));
    text(app, 120, 60)
}

/// Every binding of `table` is in the help as written in the table, and
/// every hint is in the bar when there is room.
fn documented<C>(screen: &str, shown: &str, table: &Table<C>) {
    assert!(
        shown.contains(table.title),
        "{screen}: no `{}` heading",
        table.title
    );
    for b in table.bindings {
        assert!(
            shown.contains(&format!("{:<12}{}", b.label, b.help))
                || shown.contains(&format!("{} {}", b.label, b.help)),
            "{screen}: `{}` ({}) is not in the help:\n{shown}",
            b.label,
            b.help
        );
    }
}

fn hinted<C>(screen: &str, bar: &str, table: &Table<C>) {
    for (key, word) in table.hints() {
        assert!(
            bar.contains(&format!("{key} {word}")),
            "{screen}: hint `{key} {word}` is not in the bar: {bar}"
        );
    }
}

/// The last line of a screen drawn 200 columns wide: the hint bar.
fn bar(app: &App<'_>) -> String {
    text(app, 200, 40)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn the_help_and_the_hint_bar_show_every_key_of_the_screen() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut lib = app(colour(), samples(), dir.path());
    hinted("library", &bar(&lib), &library::KEYS);
    let shown = help_shown(&mut lib);
    documented("library", &shown, &library::KEYS);
    documented("library", &shown, &GLOBAL);

    let mut run = app(colour(), samples(), dir.path());
    started(&mut run);
    hinted("run", &bar(&run), &run::KEYS);
    let shown = help_shown(&mut run);
    documented("run", &shown, &run::KEYS);
    documented("run", &shown, &GLOBAL);

    let mut ex = playing(dir.path());
    hinted("exercise", &bar(&ex), &exercise::KEYS);
    handle_key(
        &mut ex,
        KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE),
    );
    // Taller than any terminal: the exercise's help scrolls at 80x24.
    let shown = text(&ex, 120, 60);
    documented("exercise", &shown, &exercise::KEYS);
    documented("exercise", &shown, &run::KEYS);

    let entries = recorded(dir.path(), "ransomware-friday.jsonl");
    let mut rep = app(colour(), samples(), dir.path());
    rep.start_replay(Replay::new(entries, 10, None, "r".to_owned()));
    hinted("replay", &bar(&rep), &replay::KEYS);
    let shown = help_shown(&mut rep);
    documented("replay", &shown, &replay::KEYS);
}

#[test]
fn the_review_help_and_hint_bar_show_every_review_key() {
    let shown = review::tests::shown_with_help(200, 60);
    let bar = shown.lines().last().unwrap_or_default().to_owned();
    hinted("review", &bar, &review::KEYS);
    documented("review", &shown, &review::KEYS);
    documented("review", &shown, &GLOBAL);
}

/// A help taller than the screen scrolls to its last row and no further.
#[test]
fn a_help_too_tall_for_the_screen_scrolls_to_its_end() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut ex = playing(dir.path());
    handle_key(
        &mut ex,
        KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE),
    );
    let top = text(&ex, 80, 24);
    assert!(top.contains("Up/Down scroll"), "{top}");
    assert!(!top.contains("quit, even from a dialog"), "{top}");
    for _ in 0..10 {
        handle_key(
            &mut ex,
            KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE),
        );
    }
    let end = text(&ex, 80, 24);
    assert!(end.contains("quit, even from a dialog"), "{end}");
    // Any other key closes it, and does nothing else.
    handle_key(
        &mut ex,
        KeyEvent::new(KeyCode::Char('d'), KeyModifiers::NONE),
    );
    assert!(ex.shared.dialogs.is_empty());
}
