//! `grabbag exercise run` and `grabbag replay` as a facilitator uses them:
//! the real binary in tmux on a demo library, at 80x24. A two-minute
//! exercise opens on its brief at T+0; two teams and an observer sign in
//! (offered the exercise's roles and teams, an unknown role refused); it
//! is played at 60x on its own clock, with an inject aimed at a team, a NO
//! DUTY stop and resume, ended (asked first), a player's action after ENDEX
//! refused at the key, and debriefed; the after-action report (Markdown
//! and HTML) keeps facilitator, observer and player apart, scores only
//! what was played before ENDEX and shows the aids and the evidence of
//! each outcome. A recorded run replays read-only.
//! Skipped (with a printed reason) where tmux is missing.

use grabbag::journal::{ClockChange, Event, Journal};

use crate::harness::{grabbag, have, run};
use crate::tui::demo;

/// Three injects over 90 seconds of exercise time (1.5 s at 60x).
const DRILL: &str = r#"format = 1
id = "drill"
title = "Two-minute drill"
brief = "Files are being renamed in Revenues."
audience = "Incident team"
duration = "2m"
runbooks = ["cyber/ransomware"]
lessons_prompts = ["What slowed us down?"]
teams = ["Team A", "Team B"]

[[objectives]]
id = "declare"
text = "Declare the incident quickly"

[[participants]]
role = "Incident lead"

[[participants]]
role = "Observer"
kind = "observer"

[[injects]]
id = "first"
at = "0m"
from = "Service desk"
channel = "phone"
text = "Files in the Revenues share have a new extension."

[injects.aids]
watch = "Who calls it an incident, and when"
good = "An incident declared within ten minutes"

[[injects.expect]]
id = "declared"
kind = "step_done"
runbook = "cyber/ransomware"
step = "confirm-and-declare"
description = "Ransomware confirmed and an incident declared"
within = "10m"
objectives = ["declare"]

[[injects]]
id = "second"
at = "1m"
from = "Revenues team leader"
channel = "walk-in"
to = "Team B"
text = "A ransom note is on three screens."

[[injects]]
id = "third"
after = "second"
delay = "30s"
from = "Press office"
channel = "email"
text = "A journalist is asking about an attack."
"#;

#[test]
fn tmux_a_short_exercise_at_60x_runs_to_the_end_and_scores() {
    if !have(
        "tmux",
        "tmux_a_short_exercise_at_60x_runs_to_the_end_and_scores",
    ) {
        return;
    }
    let d = demo("drill");
    std::fs::write(d.library.join("exercises/drill.toml"), DRILL).expect("drill written");
    let t = &d.tmux;
    t.start(
        &d.library,
        &d.identity,
        "exercise run drill --speed 60 --plaintext",
    );
    // At 80x24, as in a meeting room: the brief, with the clock standing
    // at T+0 until Enter.
    t.resize(80, 24);
    t.wait_for("Enter starts the clock");
    t.wait_for("T+00:00:00 60x PAUSED");
    // The form offers the exercise's roles; one it does not declare is
    // refused, the form kept.
    t.keys(&["S"]);
    t.wait_for("Sign in");
    t.text("Zed");
    t.keys(&["Tab"]);
    t.wait_for("Role: Left/Right choose one of");
    t.text("Chief Wizard");
    t.keys(&["Tab", "Tab", "Enter"]);
    t.wait_for("\"Chief Wizard\" is not a role of this exercise");
    t.keys(&["Escape"]);
    // Closed (the hint bar is back): an Esc and the next key sent together
    // would read as Alt and that key.
    t.wait_for("? keys");
    // Two teams and an observer sign in: Alex's role chosen from the
    // offer (Right), the others typed in any case.
    for (name, role, team, capacity) in [
        ("Alex", None, "Team A", "player"),
        ("Sam", Some("incident lead"), "team b", "player"),
        ("Olu", Some("Observer"), "", "observer"),
    ] {
        t.keys(&["S"]);
        t.wait_for("Sign in");
        t.text(name);
        t.keys(&["Tab"]);
        match role {
            Some(role) => t.text(role),
            None => t.keys(&["Right"]),
        }
        t.keys(&["Tab"]);
        if !team.is_empty() {
            t.text(team);
        }
        t.keys(&["Tab"]);
        t.keys(&["C-u"]);
        t.text(capacity);
        t.keys(&["Enter"]);
        // Signed in (journaled), the screen goes back to the brief.
        let signed = || {
            Journal::read(&d.journal(), None)
                .unwrap_or_default()
                .iter()
                .any(|e| matches!(&e.event, Some(Event::SignedIn { name: who, .. }) if who == name))
        };
        for _ in 0..100 {
            if signed() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert!(signed(), "{name} not signed in:\n{}", t.screen());
    }
    // The brief lists who signed in; Enter on it starts the clock.
    t.wait_for("Olu");
    t.wait_for("Enter starts the clock");
    t.keys(&["Enter"]);
    t.wait_for("INJECT (phone, from Service desk)");
    // A real incident: NO DUTY stops play; a step is refused at its key,
    // whole on the status rows; `p` takes play up again.
    t.keys(&["N"]);
    t.wait_for("NO DUTY: play suspended");
    t.keys(&["d"]);
    t.wait_for("only resuming,");
    t.wait_for("corrections are recorded");
    t.keys(&["p"]);
    t.wait_for("play resumed after NO DUTY");
    // The player declares; the clock delivers the rest on its own, the
    // second to team B.
    t.done_anyway();
    t.wait_for("all 3 injects delivered");
    t.keys(&["w"]);
    t.text("Team B declared without asking Gold");
    t.keys(&["C-s"]);
    t.wait_for("observer note saved");
    // ENDEX asks first.
    t.keys(&["E"]);
    t.wait_for("ENDEX?");
    t.keys(&["y"]);
    t.wait_for("ENDED");
    // After ENDEX a player's action is refused at the key.
    t.keys(&["d"]);
    t.wait_for("ENDEX is final");
    t.keys(&["L"]);
    t.wait_for("Lesson learned");
    t.keys(&["C-u"]);
    t.text("action");
    t.keys(&["Tab"]);
    t.text("Put the paper pack in the Revenues office");
    t.keys(&["Tab"]);
    t.text("Head of Revenues");
    t.keys(&["Enter", "Enter"]);
    t.wait_for("lesson saved");
    t.quit_response();
    d.verify();

    let journal = d.journal();
    let entries = Journal::read(&journal, None).expect("a plaintext journal");
    let started = entries
        .iter()
        .position(|e| matches!(e.event, Some(Event::ExerciseStarted { .. })))
        .expect("exercise_started");
    assert!(
        entries[started..].iter().all(|e| e.ex_t.is_some()),
        "every entry from T+0 carries exercise time"
    );
    let delivered: Vec<&str> = entries
        .iter()
        .filter_map(|e| match &e.event {
            Some(Event::InjectDelivered { inject, .. }) => Some(inject.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(delivered, ["first", "second", "third"]);
    // Nothing reached the players while the brief was read: the first
    // inject (due at T+0) came once the facilitator started the clock.
    let position = |wanted: &dyn Fn(&Event) -> bool| {
        entries
            .iter()
            .position(|e| e.event.as_ref().is_some_and(wanted))
    };
    let resumed = position(
        &|e| matches!(e, Event::ExerciseClock { change, .. } if *change == ClockChange::Resumed),
    );
    let first = position(&|e| matches!(e, Event::InjectDelivered { .. }));
    assert!(
        resumed.is_some() && first > resumed,
        "{resumed:?} {first:?}"
    );
    // The third inject came 30 s of exercise time after the second, on the
    // clock (a tick is 1 s of wall time, 60 s of exercise time).
    let at = |id: &str| {
        entries.iter().find_map(|e| match &e.event {
            Some(Event::InjectDelivered { inject, .. }) if inject == id => e.ex_t,
            _ => None,
        })
    };
    let (second, third) = (at("second").unwrap_or(0), at("third").unwrap_or(0));
    assert!(
        second >= 60_000 && third >= 90_000 && third >= second,
        "{second} {third}"
    );

    let out = run(grabbag(t.home.as_path())
        .env("GRABBAG_LIBRARY", &d.library)
        .env("GRABBAG_IDENTITY", &d.identity)
        .args(["exercise", "score", "--json"])
        .arg(&journal));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let card: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON scorecard");
    let declared = &card["injects"][0]["expectations"][0];
    assert_eq!(declared["id"], "declared");
    assert_eq!(declared["outcome"], "met", "{declared}");
    assert!(declared["evidence"].as_u64().is_some());

    // The after-action report carries the lesson with its owner.
    let out = run(grabbag(t.home.as_path())
        .env("GRABBAG_LIBRARY", &d.library)
        .env("GRABBAG_IDENTITY", &d.identity)
        .args(["exercise", "report"])
        .arg(&journal));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("Put the paper pack in the Revenues office")
    );
    assert!(out.stdout.contains("Head of Revenues"));
    // Facilitator, observer and players apart, teams named as the
    // exercise spells them; the NO DUTY stop and the aimed inject told.
    for line in [
        "Sam (Incident lead, team Team B): signed in as player",
        "Alex (Incident lead, team Team A): signed in as player",
        "Olu (Observer): signed in as observer",
        "\\[observer\\] Olu (Observer): Team B declared without asking Gold",
        "\\[player\\] Sam (Incident lead): step cyber/ransomware#confirm-and-declare done",
        "\\[facilitator\\] Facilitator (Facilitator): inject first",
        "\\[facilitator\\] Facilitator (Facilitator): clock stopped for NO DUTY",
        "inject second (walk-in from Revenues team leader, to Team B)",
        "## Evidence for each outcome",
        "first/declared met: seq ",
        "## Facilitator aids",
        "Watch for: Who calls it an incident, and when",
        "Good looks like: An incident declared within ten minutes",
    ] {
        assert!(out.stdout.contains(line), "{line} missing:\n{}", out.stdout);
    }
    // Only play before ENDEX: nothing after it but the lesson and the
    // session's end, and the evidence comes before it.
    let endex = position(
        &|e| matches!(e, Event::ExerciseClock { change, .. } if *change == ClockChange::Ended),
    )
    .expect("ENDEX journaled");
    assert!(
        entries[endex + 1..].iter().all(|e| matches!(
            e.event,
            Some(Event::LessonRecorded { .. } | Event::SessionEnded { .. })
        )),
        "{:?}",
        &entries[endex + 1..]
    );
    let evidence = declared["evidence"].as_u64().unwrap_or(u64::MAX);
    assert!(evidence < entries[endex].seq, "{evidence}");
    // The same report as one HTML page.
    let out = run(grabbag(t.home.as_path())
        .env("GRABBAG_LIBRARY", &d.library)
        .env("GRABBAG_IDENTITY", &d.identity)
        .args(["exercise", "report", "--format", "html"])
        .arg(&journal));
    assert_eq!(out.code, 0, "{}", out.stderr);
    for text in [
        "<h2>Evidence for each outcome</h2>",
        "<h2>Facilitator aids</h2>",
        "[observer] Olu (Observer): Team B declared without asking Gold",
        "Watch for: Who calls it an incident, and when",
    ] {
        assert!(out.stdout.contains(text), "{text} missing:\n{}", out.stdout);
    }
}

#[test]
fn tmux_a_recorded_run_replays_read_only() {
    if !have("tmux", "tmux_a_recorded_run_replays_read_only") {
        return;
    }
    let d = demo("replay");
    let journal = d.library.join("exercises/runs/ransomware-friday.jsonl");
    let before = std::fs::read(&journal).expect("the demo's recorded run");
    let t = &d.tmux;
    t.start(
        &d.library,
        &d.identity,
        &format!("replay '{}' --speed 600", journal.display()),
    );
    t.wait_for("REPLAY ransomware-friday.jsonl");
    t.keys(&["g"]);
    t.wait_for("Go to T+");
    t.text("45:00");
    t.keys(&["Enter"]);
    t.wait_for("T+00:45:00");
    // Play to the end: 88 minutes at 600x is under 10 s.
    t.keys(&["Space"]);
    t.wait_for("end of the journal");
    assert!(t.screen().contains("ENDED"), "{}", t.screen());
    t.keys(&["d"]);
    t.wait_for("read-only");
    t.keys(&["q"]);
    t.wait_gone();
    assert_eq!(std::fs::read(&journal).expect("still there"), before);
    let lock = journal.with_extension("jsonl.lock");
    assert!(!lock.exists(), "a replay takes no lock");
}

#[test]
fn an_exercise_that_names_a_missing_step_is_not_played() {
    let d = demo("broken-drill");
    let broken = DRILL.replace("confirm-and-declare", "no-such-step");
    std::fs::write(d.library.join("exercises/drill.toml"), broken).expect("written");
    let out = run(grabbag(d.tmux.home.as_path())
        .env("GRABBAG_LIBRARY", &d.library)
        .env("GRABBAG_IDENTITY", &d.identity)
        .args(["exercise", "run", "drill"]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("no-such-step"), "{}", out.stderr);
    assert!(out.stderr.contains("drill.toml"), "{}", out.stderr);
    let out = run(grabbag(d.tmux.home.as_path())
        .env("GRABBAG_LIBRARY", &d.library)
        .env("GRABBAG_IDENTITY", &d.identity)
        .args(["exercise", "run", "nope"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("drill"),
        "lists what is there: {}",
        out.stderr
    );
}
