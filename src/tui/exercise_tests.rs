//! The exercise and replay screens on a `TestBackend`: the facilitator's
//! keys end up in the journal with exercise time, and a replay shows the
//! fold of the journal up to the moment it is at (the same fold, no second
//! code path). Times of day are masked in snapshots; exercise times (T+) are
//! checked as text, in manual mode so they do not move.

use std::path::Path;

use ratatui::crossterm::event::KeyCode;

use super::app::App;
use super::dialog::Dialog;
use super::replay::Replay;
use super::tests::{app, colour, done, kinds, path_of, press, samples, snapshot, text, typed};
use crate::exercise::{self, Exercise, Speed, score};
use crate::journal::{Entry, Event, Journal};
use crate::response::ResponseState;
use crate::runbook::Runbook;

/// A sample exercise, checked against the sample runbooks.
fn sample(id: &str) -> (Exercise, String) {
    let runbooks: Vec<Runbook> = samples().into_iter().map(|l| l.runbook).collect();
    let refs: Vec<&Runbook> = runbooks.iter().collect();
    let name = format!("{id}.toml");
    let Some((_, text)) = crate::samples::SAMPLE_EXERCISES
        .iter()
        .find(|(n, _)| *n == name)
    else {
        panic!("no sample exercise {id}");
    };
    let checked = exercise::check(&name, text, id, Some(&refs));
    match checked.exercise {
        Some(e) => (e, (*text).to_owned()),
        None => panic!("{:?}", checked.diagnostics),
    }
}

/// The facilitator's name.
const FRAN: &str = "Fran";

/// An exercise started in manual mode (time moves only when fired).
pub(super) fn playing(root: &Path) -> App<'static> {
    let mut app = app(colour(), samples(), root);
    let (ex, text) = sample("ransomware-friday");
    let speed = Speed::new(60).unwrap_or(Speed::REAL_TIME);
    app.start_exercise(ex, &text, speed, true, FRAN);
    assert!(
        app.shared.exercise.is_some(),
        "status: {:?}",
        app.shared.status
    );
    // The brief is up with the clock at T+0; Enter starts play.
    assert!(matches!(
        app.shared.dialogs.last(),
        Some(Dialog::Reading {
            before_play: true,
            ..
        })
    ));
    press(&mut app, KeyCode::Enter);
    // Show wall times relative to the journal's own first entry.
    if let Some(first) = app.shared.response.as_ref().and_then(|r| r.state.first_at) {
        app.shared.now = first;
    }
    app
}

/// Signs someone in through the `S` form.
fn sign_in(app: &mut App<'_>, name: &str, role: &str, team: &str, capacity: &str) {
    press(app, KeyCode::Char('S'));
    for value in [name, role, team] {
        typed(app, value);
        press(app, KeyCode::Tab);
    }
    super::tests::ctrl(app, 'u');
    typed(app, capacity);
    press(app, KeyCode::Enter);
    assert!(
        app.shared.dialogs.is_empty(),
        "status: {:?}",
        app.shared.status
    );
}

fn entries(app: &App<'_>) -> Vec<Entry> {
    let Some(response) = app.shared.response.as_ref() else {
        panic!("no response");
    };
    Journal::read(&path_of(response), None).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn an_exercise_starts_with_its_runbooks_and_first_inject() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let app = playing(dir.path());
    let screen = text(&app, 120, 40);
    assert!(screen.contains("T+00:00:00 60x MANUAL"), "{screen}");
    assert!(screen.contains("next: spreading at T+00:10:00"), "{screen}");
    let state = app.shared.response.as_ref().map(|r| &r.state);
    let opened: Vec<_> = state
        .map(|s| s.runbooks.iter().map(|r| r.id.clone()).collect())
        .unwrap_or_default();
    assert_eq!(opened, ["cyber/ransomware", "continuity/payments"]);
    snapshot("exercise_80x24", &app, 80, 24);
    snapshot("exercise_120x40", &app, 120, 40);
}

#[test]
fn facilitator_keys_are_journaled_with_exercise_time() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = playing(dir.path());
    // A player of team A signs in and takes the keyboard.
    sign_in(&mut app, "Priya", "ICT Security Lead", "ICT", "player");
    // Fire the next inject: the clock jumps to T+10:00 and it is delivered.
    press(&mut app, KeyCode::Char('f'));
    let screen = text(&app, 120, 40);
    assert!(screen.contains("T+00:10:00"), "{screen}");
    // Step timers run on exercise time, as its expectations are scored.
    assert!(screen.contains("00:10:00 of 00:15:00 expected"), "{screen}");
    // A player marks the current step done.
    done(&mut app);
    // Slow down, pause, leave manual mode (paused, so time stays put).
    press(&mut app, KeyCode::Char('-'));
    press(&mut app, KeyCode::Char('p'));
    press(&mut app, KeyCode::Char('M'));
    assert!(text(&app, 120, 40).contains("30x PAUSED"));
    // An unscripted inject: the form's From and Channel are filled in.
    press(&mut app, KeyCode::Char('i'));
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "The press are at reception");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    assert!(
        app.shared.dialogs.is_empty(),
        "status: {:?}",
        app.shared.status
    );
    // An observer note, refused until an observer signs in.
    press(&mut app, KeyCode::Char('w'));
    typed(&mut app, "Silver slow to call Gold");
    super::tests::ctrl(&mut app, 's');
    assert!(matches!(
        app.shared.dialogs.last(),
        Some(Dialog::Editor { .. })
    ));
    press(&mut app, KeyCode::Esc);
    sign_in(&mut app, "Olu", "Observer", "", "observer");
    press(&mut app, KeyCode::Char('w'));
    typed(&mut app, "Silver slow to call Gold");
    super::tests::ctrl(&mut app, 's');
    assert!(
        app.shared.dialogs.is_empty(),
        "status: {:?}",
        app.shared.status
    );
    // Nothing manual is out yet: the picker says so rather than opening.
    press(&mut app, KeyCode::Char('m'));
    assert!(app.shared.dialogs.is_empty());
    // ENDEX asks first: anything but `y` leaves play going.
    press(&mut app, KeyCode::Char('E'));
    press(&mut app, KeyCode::Enter);
    assert!(!text(&app, 120, 40).contains("ENDED"));
    press(&mut app, KeyCode::Char('E'));
    press(&mut app, KeyCode::Char('y'));
    // The hint bar now offers the debrief's keys, and no key of play.
    let screen = text(&app, 80, 24);
    let bar = screen.lines().last().unwrap_or_default();
    assert!(
        bar.contains("L lesson") && bar.contains("I injects") && !bar.contains("d done"),
        "{bar}"
    );
    // Then a lesson; a kind that is not one is refused, kept open.
    press(&mut app, KeyCode::Char('L'));
    super::tests::ctrl(&mut app, 'u');
    typed(&mut app, "xyz");
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "Print the paper pack");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    assert!(matches!(
        app.shared.dialogs.last(),
        Some(Dialog::Form { .. })
    ));
    press(&mut app, KeyCode::Tab);
    super::tests::ctrl(&mut app, 'u');
    typed(&mut app, "action");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "Head of Revenues");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    assert!(
        app.shared.dialogs.is_empty(),
        "status: {:?}",
        app.shared.status
    );
    snapshot("exercise_ended_80x24", &app, 80, 24);

    let entries = entries(&app);
    let kinds = kinds(&entries);
    assert_eq!(
        kinds,
        [
            "session_started",
            "exercise_started",
            "exercise_clock",
            "signed_in",
            "runbook_opened",
            "runbook_opened",
            "exercise_clock",
            "inject_delivered",
            "signed_in",
            "actor_changed",
            "exercise_clock",
            "inject_delivered",
            "step_done",
            "clock_started",
            "exercise_clock",
            "exercise_clock",
            "exercise_clock",
            "inject_delivered",
            "signed_in",
            "note",
            "exercise_clock",
            "lesson_recorded",
        ]
    );
    // Every entry from T+0 on carries exercise time; the fired inject and
    // everything after it are at T+10:00 (the clock never ran).
    assert!(entries[1..].iter().all(|e| e.ex_t.is_some()));
    assert_eq!(entries[10].ex_t, Some(600_000));
    assert!(entries[10..].iter().all(|e| e.ex_t == Some(600_000)));
    // Who did what, in which capacity: the facilitator's keys as Fran the
    // facilitator, the note as Olu the observer, the step as the player.
    let who = |i: usize| {
        entries[i]
            .actor
            .as_ref()
            .map(|a| (a.name.clone(), a.role.clone()))
            .unwrap_or_default()
    };
    let fran = (FRAN.to_owned(), "Facilitator".to_owned());
    for i in [6, 7, 10, 11, 14, 15, 16, 17, 20, 21] {
        assert_eq!(who(i), fran, "entry {i}");
    }
    let priya = ("Priya".to_owned(), "ICT Security Lead".to_owned());
    for i in [8, 9, 12] {
        assert_eq!(who(i), priya, "entry {i}");
    }
    assert_eq!(who(19), ("Olu".to_owned(), "Observer".to_owned()));
    let state = app.shared.response.as_ref().map(|r| &r.state);
    let teams: Vec<_> = state
        .map(|s| {
            s.signed_in
                .iter()
                .map(|s| (s.capacity.clone(), s.team.clone()))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        teams,
        [
            ("facilitator".to_owned(), None),
            ("player".to_owned(), Some("ICT".to_owned())),
            ("observer".to_owned(), None)
        ]
    );
    match &entries[17].event {
        Some(Event::InjectDelivered {
            inject,
            from,
            channel,
            text,
            ..
        }) => {
            assert_eq!(
                (inject.as_str(), from.as_str(), channel.as_str()),
                ("", "Facilitator", "phone")
            );
            assert_eq!(text, "The press are at reception");
        }
        other => panic!("{other:?}"),
    }
    match &entries[21].event {
        Some(Event::LessonRecorded { owner, due, .. }) => {
            assert_eq!(owner.as_deref(), Some("Head of Revenues"));
            assert_eq!(due, &None);
        }
        other => panic!("{other:?}"),
    }
    // Scored from the journal alone: the step done at T+10:00 meets the
    // first inject's "declared" expectation late (allowed 10 minutes from
    // T+0, done at exactly T+10:00 is within; see the scoring rules).
    let (ex, _) = sample("ransomware-friday");
    let card = score(&ex, &ResponseState::fold(&entries));
    let declared = card.expectation("first-call", "declared");
    assert!(declared.is_some_and(|d| d.evidence == Some(entries[12].seq)));
}

#[test]
fn after_endex_the_core_refuses_players_and_scores_from_the_screen() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = playing(dir.path());
    press(&mut app, KeyCode::Char('E'));
    press(&mut app, KeyCode::Char('y'));
    let before = entries(&app).len();
    // A player's `d`, `g` and a note, and the facilitator's inject: refused.
    done(&mut app);
    let refused = format!("{:?}", app.shared.status);
    assert!(refused.contains("ENDEX is final"), "{refused}");
    press(&mut app, KeyCode::Char('g'));
    assert!(format!("{:?}", app.shared.status).contains("ENDEX is final"));
    press(&mut app, KeyCode::Char('f'));
    assert_eq!(entries(&app).len(), before, "{:?}", app.shared.status);
    // The debrief's lessons still go in.
    press(&mut app, KeyCode::Char('L'));
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "Print the call tree");
    for _ in 0..3 {
        press(&mut app, KeyCode::Enter);
    }
    assert!(
        app.shared.dialogs.is_empty(),
        "status: {:?}",
        app.shared.status
    );
    let after = entries(&app);
    assert_eq!(after.len(), before + 1, "{:?}", app.shared.status);
    assert_eq!(
        after.last().map(super::tests::kind),
        Some("lesson_recorded")
    );
}

#[test]
fn a_manual_expectation_is_scored_by_the_facilitator() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = playing(dir.path());
    // gold-briefing (with the manual "gold-aim") comes 5 minutes after
    // the players stand up command: step 6 of the ransomware runbook.
    for _ in 0..5 {
        press(&mut app, KeyCode::Down);
    }
    // The facilitator at the keyboard does no player's work.
    done(&mut app);
    let refused = format!("{:?}", app.shared.status);
    assert!(refused.contains("signed in as facilitator"), "{refused}");
    sign_in(&mut app, "Priya", "Incident Lead (Silver)", "", "player");
    done(&mut app);
    assert!(app.shared.manual_items().is_empty());
    press(&mut app, KeyCode::Char('f'));
    let items = app.shared.manual_items();
    assert_eq!(
        items
            .first()
            .map(|i| (i.inject.as_str(), i.expectation.as_str())),
        Some(("gold-briefing", "gold-aim")),
        "status: {:?}",
        app.shared.status
    );
    press(&mut app, KeyCode::Char('m'));
    assert!(matches!(
        app.shared.dialogs.last(),
        Some(Dialog::Score { .. })
    ));
    snapshot("exercise_score_80x24", &app, 80, 24);
    press(&mut app, KeyCode::Char('3'));
    // A score takes its grounds: with none, the core refuses and the
    // prompt stays.
    press(&mut app, KeyCode::Enter);
    assert!(matches!(
        app.shared.dialogs.last(),
        Some(Dialog::Prompt { .. })
    ));
    assert!(format!("{:?}", app.shared.status).contains("a score needs a comment"));
    typed(&mut app, "Aim given, no decision logged");
    press(&mut app, KeyCode::Enter);
    assert!(
        app.shared.dialogs.is_empty(),
        "status: {:?}",
        app.shared.status
    );
    let entries = entries(&app);
    let scored = entries.iter().rev().find_map(|e| match &e.event {
        Some(Event::ExpectationScored {
            inject,
            expectation,
            score,
            comment,
            ..
        }) => Some((
            inject.clone(),
            expectation.clone(),
            score.clone(),
            comment.clone(),
        )),
        _ => None,
    });
    assert_eq!(
        scored,
        Some((
            items[0].inject.clone(),
            items[0].expectation.clone(),
            "partial".to_owned(),
            Some("Aim given, no decision logged".to_owned())
        ))
    );
}

#[test]
fn the_brief_opens_at_t0_and_every_inject_stays_readable() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), samples(), dir.path());
    let (ex, text_of) = sample("ransomware-friday");
    app.start_exercise(ex, &text_of, Speed::REAL_TIME, true, FRAN);
    let brief = text(&app, 80, 24);
    for shown in [
        "T+00:00:00 1x PAUSED",
        "Friday, 14:30",
        "Enter starts the clock",
    ] {
        assert!(brief.contains(shown), "{shown} missing:\n{brief}");
    }
    snapshot("exercise_brief_80x24", &app, 80, 24);
    // Nothing is delivered while the brief is read, whatever the clock says.
    app.shared.deliver_due_injects();
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('f'));
    let state = app.shared.response.as_ref().map(|r| r.state.injects.len());
    assert_eq!(state, Some(0));
    press(&mut app, KeyCode::Char('p'));
    // Three injects fall due in one tick: the status line says so.
    assert!(app.shared.facilitate(
        &crate::response::Command::Clock(crate::response::ClockRequest::JumpTo(30 * 60_000)),
        ""
    ));
    app.shared.deliver_due_injects();
    let status = format!("{:?}", app.shared.status);
    assert!(
        status.contains("4 injects arrived (I reads them all)"),
        "{status}"
    );
    // `I` shows every one of them, wrapped, newest first.
    press(&mut app, KeyCode::Char('I'));
    let all = text(&app, 80, 24);
    assert!(all.contains("ransom-email"), "{all}");
    assert!(all.contains("have 180 GB of your residents"), "{all}");
    snapshot("exercise_injects_80x24", &app, 80, 24);
}

#[test]
fn an_ended_exercise_opens_read_only() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut first = playing(dir.path());
    press(&mut first, KeyCode::Char('E'));
    press(&mut first, KeyCode::Char('y'));
    // "Killed" after ENDEX: the session never ended, so it is offered.
    let journal = first.shared.response.as_ref().map(path_of);
    let before = std::fs::read(journal.as_ref().unwrap()).unwrap();
    drop(first);
    let mut second = super::tests::app(colour(), samples(), dir.path());
    let offered = super::unfinished_journals(&second);
    assert_eq!(offered.first().map(|o| &o.0), journal.as_ref());
    second.shared.resume(&offered[0].0);
    let status = format!("{:?}", second.shared.status);
    assert!(status.contains("opened read-only"), "{status}");
    assert!(text(&second, 80, 24).contains("ENDED"));
    // Nothing is appended: no session starts, and a key of play goes nowhere.
    done(&mut second);
    press(&mut second, KeyCode::Char('L'));
    typed(&mut second, "x");
    assert_eq!(std::fs::read(journal.as_ref().unwrap()).unwrap(), before);
}

#[test]
fn the_exercise_help_lists_the_facilitator_keys_at_80x24() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = playing(dir.path());
    press(&mut app, KeyCode::Char('?'));
    let screen = text(&app, 80, 24);
    for key in [
        "fire the next inject",
        "observer note",
        "manual expectation",
    ] {
        assert!(screen.contains(key), "{key} missing:\n{screen}");
    }
    snapshot("exercise_help_80x24", &app, 80, 24);
}

/// The recorded run of a sample exercise, as entries.
pub(super) fn recorded(dir: &Path, name: &str) -> Vec<Entry> {
    let Some((_, text)) = crate::samples::SAMPLE_RUNS.iter().find(|(n, _)| *n == name) else {
        panic!("no recorded run {name}");
    };
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    Journal::read(&path, None).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn replay_shows_the_fold_of_the_journal_up_to_the_moment() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let all = recorded(dir.path(), "ransomware-friday.jsonl");
    let (ex, _) = sample("ransomware-friday");
    let mut app = app(colour(), samples(), dir.path());
    app.start_replay(Replay::new(
        all.clone(),
        10,
        Some(ex),
        "run.jsonl".to_owned(),
    ));
    let fold_upto = |n: usize| ResponseState::fold(&all[..n]);
    let shown = |app: &App<'_>| app.shared.response.as_ref().map(|r| r.state.clone());
    // It opens on the first runbook opened.
    let first = all
        .iter()
        .position(|e| matches!(e.event, Some(Event::RunbookOpened { .. })))
        .map_or(0, |i| i + 1);
    assert_eq!(shown(&app), Some(fold_upto(first)));
    // Seek to T+45:00: every entry up to that exercise time, no more.
    assert_eq!(app.seek_to_text("45:00"), Ok(()));
    let upto = all
        .iter()
        .take_while(|e| e.ex_t.unwrap_or(0) <= 2_700_000)
        .count();
    assert_eq!(shown(&app), Some(fold_upto(upto)));
    let screen = text(&app, 120, 40);
    assert!(screen.contains("T+00:45:00"), "{screen}");
    assert!(screen.contains(&format!("entry {upto}/{}", all.len())));
    snapshot("replay_45m_120x40", &app, 120, 40);
    // Step forward and back by one entry.
    press(&mut app, KeyCode::Right);
    assert_eq!(shown(&app), Some(fold_upto(upto + 1)));
    press(&mut app, KeyCode::Left);
    press(&mut app, KeyCode::Left);
    assert_eq!(shown(&app), Some(fold_upto(upto - 1)));
    // A bad time is refused with the prompt kept.
    press(&mut app, KeyCode::Char('g'));
    typed(&mut app, "half past");
    press(&mut app, KeyCode::Enter);
    assert!(matches!(
        app.shared.dialogs.last(),
        Some(Dialog::Prompt { .. })
    ));
    press(&mut app, KeyCode::Esc);
    // The end: the whole journal, the lessons and the clock ended.
    press(&mut app, KeyCode::End);
    assert_eq!(shown(&app), Some(fold_upto(all.len())));
    assert!(text(&app, 80, 24).contains("ENDED"));
    snapshot("replay_end_80x24", &app, 80, 24);
    // Writing keys write nothing: there is no journal to write to.
    press(&mut app, KeyCode::Char('d'));
    assert!(
        app.shared
            .response
            .as_ref()
            .is_some_and(|r| r.session.is_none())
    );
    assert_eq!(shown(&app), Some(fold_upto(all.len())));
    assert_eq!(
        press(&mut app, KeyCode::Char('q')),
        super::app::Action::Quit
    );
}

#[test]
fn the_exercise_screen_in_ascii_mode_is_ascii() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(
        super::theme::Look {
            ascii: true,
            ..colour()
        },
        samples(),
        dir.path(),
    );
    let (ex, text) = sample("ransomware-friday");
    app.start_exercise(ex, &text, Speed::REAL_TIME, true, FRAN);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('f'));
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = super::tests::text(&app, w, h);
        assert!(screen.is_ascii(), "{screen}");
        assert!(screen.contains("spreading, phone from"), "{screen}");
    }
}

#[test]
fn a_response_that_is_not_an_exercise_replays_on_wall_time() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut live = app(colour(), samples(), dir.path());
    super::tests::started(&mut live);
    done(&mut live);
    press(&mut live, KeyCode::Char('n'));
    typed(&mut live, "Called the NCSC");
    super::tests::ctrl(&mut live, 's');
    let all = entries(&live);
    let mut app = app(colour(), samples(), dir.path());
    app.start_replay(Replay::new(
        all.clone(),
        10,
        None,
        "response.jsonl".to_owned(),
    ));
    press(&mut app, KeyCode::End);
    assert_eq!(
        app.shared.response.as_ref().map(|r| r.state.clone()),
        Some(ResponseState::fold(&all))
    );
    let screen = text(&app, 80, 24);
    assert!(
        !screen.contains("Injects"),
        "no exercise, no feed:\n{screen}"
    );
    assert!(screen.contains("note: Called the NCSC"), "{screen}");
    // Wall-clock T+ since the first entry; the entries are a moment apart.
    assert!(screen.contains("T+00:00:0"), "{screen}");
}

#[test]
fn speed_steps_along_the_ladder_and_stops_at_its_ends() {
    use super::exercise::step_speed;
    let ladder = [1, 2, 5, 10, 30, 60];
    assert_eq!(step_speed(&ladder, 10, '+'), 30);
    assert_eq!(step_speed(&ladder, 10, '='), 30);
    assert_eq!(step_speed(&ladder, 10, '-'), 5);
    assert_eq!(step_speed(&ladder, 60, '+'), 60);
    assert_eq!(step_speed(&ladder, 1, '-'), 1);
    // A speed between rungs steps from the rung above it.
    assert_eq!(step_speed(&ladder, 7, '+'), 30);
    assert_eq!(step_speed(&ladder, 7, '-'), 5);
}

#[test]
fn signing_in_from_the_brief_goes_back_to_it_and_enter_starts_the_clock() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(colour(), samples(), dir.path());
    let (ex, text_of) = sample("ransomware-friday");
    app.start_exercise(ex, &text_of, Speed::REAL_TIME, false, FRAN);
    press(&mut app, KeyCode::Char('S'));
    for value in ["Priya", "ICT Security Lead", "ICT"] {
        typed(&mut app, value);
        press(&mut app, KeyCode::Tab);
    }
    press(&mut app, KeyCode::Enter);
    // Back on the brief, not on the run screen where Enter does a step's work.
    assert!(
        matches!(
            app.shared.dialogs.last(),
            Some(Dialog::Reading {
                before_play: true,
                ..
            })
        ),
        "status: {:?}",
        app.shared.status
    );
    press(&mut app, KeyCode::Enter);
    assert!(app.shared.dialogs.is_empty(), "{:?}", app.shared.status);
    let screen = text(&app, 80, 24);
    assert!(!screen.contains("PAUSED"), "{screen}");
}

#[test]
fn the_sign_in_form_offers_the_declared_roles_and_refuses_others() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = playing(dir.path());
    press(&mut app, KeyCode::Char('S'));
    typed(&mut app, "Dee");
    press(&mut app, KeyCode::Tab);
    // On the role: the exercise's roles, Right steps through them.
    let screen = text(&app, 80, 24);
    assert!(
        screen.contains("Role: Left/Right choose one of"),
        "{screen}"
    );
    assert!(screen.contains("Incident Lead (Silver)"), "{screen}");
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Right);
    assert!(
        text(&app, 80, 24).contains("Role: ICT Security Lead_"),
        "{}",
        text(&app, 80, 24)
    );
    // A role the exercise does not declare is refused with the list, the
    // form kept as typed and nothing journaled.
    super::tests::ctrl(&mut app, 'u');
    typed(&mut app, "Chief Wizard");
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "ict");
    press(&mut app, KeyCode::Tab);
    let before = entries(&app).len();
    press(&mut app, KeyCode::Enter);
    assert!(matches!(
        app.shared.dialogs.last(),
        Some(Dialog::Form { .. })
    ));
    let status = match &app.shared.status {
        Some(super::shared::Status::Error(text)) => Some(text.clone()),
        _ => None,
    };
    assert!(
        status.as_deref().is_some_and(|s| s.starts_with(
            "\"Chief Wizard\" is not a role of this exercise: Left/Right on Role offers those it has"
        )),
        "{status:?}"
    );
    assert_eq!(entries(&app).len(), before);
    // Chosen from the list, and the team as the exercise spells it.
    press(&mut app, KeyCode::BackTab);
    press(&mut app, KeyCode::BackTab);
    super::tests::ctrl(&mut app, 'u');
    press(&mut app, KeyCode::Left);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Enter);
    assert!(app.shared.dialogs.is_empty(), "{:?}", app.shared.status);
    let signed = app
        .shared
        .response
        .as_ref()
        .and_then(|r| r.state.signed_in.last().cloned());
    let signed = signed.map(|s| (s.name, s.role, s.team, s.capacity));
    assert_eq!(
        signed,
        Some((
            "Dee".to_owned(),
            "Observer".to_owned(),
            Some("ICT".to_owned()),
            "player".to_owned()
        ))
    );
}
