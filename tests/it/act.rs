//! `grabbag act` and `grabbag status` on real journals (real age, real git
//! libraries, the real binary): a responder's whole run done by `act` and
//! read back by `status --json`; refusals exit 1 and write nothing; ENDEX is
//! final; a second writer during a fast exercise is stamped on its clock;
//! writers in many processes at once all land, folded with no gap.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::{Demo, Run, TestLibrary, run};

/// A runbook with checks, a decision and a deadline.
const RUNBOOK: &str = r#"
id = "cyber/outage"
title = "Network outage"
kind = "cyber"
severity = "high"
owner = "ICT Security Lead"
reviewed = 2026-09-01
review_every_months = 120
summary = "Test runbook."

[[clocks]]
id = "report"
label = "Report to the board"
due_after = "4h"
starts_on = "triage"
met_by = "report"

[[steps]]
id = "triage"
title = "Triage the outage"
do = "Find out what is down."
checks = ["Scope written down", "Service desk told"]

[[steps]]
id = "cause"
title = "Is it an attack?"
[steps.decision]
question = "Could this be an attack?"
options = [
  { label = "Yes or unsure", goto = "report" },
  { label = "No", goto = "end" },
]

[[steps]]
id = "report"
title = "Report to the board"
do = "Write to the board."

[[steps]]
id = "tidy"
title = "Tidy up"
do = "Later."
"#;

fn act(lib: &TestLibrary, journal: &Path, args: &[&str]) -> Run {
    run(lib.grabbag().arg("act").arg(journal).args(args).args([
        "--actor",
        "Sam Lee",
        "--role",
        "ICT on-call",
    ]))
}

fn ok(out: &Run) {
    assert_eq!(
        out.code, 0,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
}

fn status_json(mut cmd: Command, journal: &Path) -> Value {
    let out = run(cmd.arg("status").arg(journal).arg("--json"));
    ok(&out);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

fn lines(journal: &Path) -> usize {
    std::fs::read_to_string(journal).unwrap().lines().count()
}

#[test]
fn a_responders_whole_run_by_act_is_what_status_reports() {
    let lib = TestLibrary::with(&[("cyber/outage.toml", RUNBOOK)]);
    let journal = lib.root.join("journals/outage.jsonl");
    ok(&act(
        &lib,
        &journal,
        &["open", "cyber/outage", "--incident", "Outage"],
    ));
    ok(&act(&lib, &journal, &["start", "triage"]));
    ok(&act(&lib, &journal, &["tick", "triage", "1"]));
    ok(&act(&lib, &journal, &["tick", "cyber/outage#triage", "2"]));
    ok(&act(&lib, &journal, &["untick", "triage", "2"]));
    ok(&act(&lib, &journal, &["done", "triage"]));
    ok(&act(
        &lib,
        &journal,
        &[
            "decide",
            "cause",
            "--option",
            "yes or unsure",
            "--rationale",
            "Odd logins at 02:00",
        ],
    ));
    ok(&act(
        &lib,
        &journal,
        &["block", "report", "--reason", "Board secretary away"],
    ));
    ok(&act(&lib, &journal, &["unblock", "report"]));
    ok(&act(&lib, &journal, &["done", "report"]));
    ok(&act(
        &lib,
        &journal,
        &["skip", "tidy", "--reason", "Not needed"],
    ));
    let noted = act(
        &lib,
        &journal,
        &[
            "note",
            "Called the supplier",
            "--at",
            "2026-11-29T09:15:00Z",
        ],
    );
    ok(&noted);
    let seq: u64 = noted
        .stdout
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{}", noted.stdout));
    ok(&act(
        &lib,
        &journal,
        &["correct", &seq.to_string(), "Called the supplier's NOC"],
    ));
    ok(&act(
        &lib,
        &journal,
        &[
            "aware",
            "--at",
            "2026-11-29T08:00:00Z",
            "--reason",
            "Service desk call",
        ],
    ));
    ok(&act(&lib, &journal, &["end"]));

    // Encrypted to the library's recipients, as `note` makes it.
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(!text.contains("Called the supplier"), "{text}");

    let status = status_json(lib.grabbag(), &journal);
    assert_eq!(status["incident"], "Outage");
    assert_eq!(status["session_open"], false);
    assert_eq!(status["awareness"]["at"], "2026-11-29T08:00:00Z");
    assert_eq!(status["anomalies"], Value::Array(Vec::new()));
    let steps = &status["runbooks"][0]["steps"];
    let step = |id: &str| {
        steps
            .as_array()
            .and_then(|s| s.iter().find(|s| s["id"] == id))
            .unwrap_or_else(|| panic!("no step {id} in {steps}"))
            .clone()
    };
    let triage = step("triage");
    assert_eq!(triage["status"], "done");
    assert_eq!(triage["by"]["actor"]["name"], "Sam Lee");
    assert_eq!(triage["by"]["actor"]["role"], "ICT on-call");
    assert!(triage["checks"][0]["ticked"].is_object(), "{triage}");
    assert!(triage["checks"][1]["ticked"].is_null(), "{triage}");
    let cause = step("cause");
    assert_eq!(cause["status"], "done");
    assert_eq!(cause["decision"]["option"], "Yes or unsure");
    assert_eq!(cause["decision"]["rationale"], "Odd logins at 02:00");
    assert_eq!(step("report")["status"], "done");
    assert_eq!(step("tidy")["status"], "skipped");
    assert_eq!(step("tidy")["reason"], "Not needed");
    let clock = &status["clocks"][0];
    assert_eq!(clock["clock"], "report");
    assert_eq!(clock["state"], "met");
    assert!(clock["remaining_s"].is_null());
    assert!(status["exercise_clock"].is_null());
    // The chain verifies.
    let verified = run(lib.grabbag().args(["journal", "verify"]).arg(&journal));
    ok(&verified);
}

#[test]
fn a_refused_action_exits_1_with_the_reason_and_writes_nothing() {
    let lib = TestLibrary::with(&[("cyber/outage.toml", RUNBOOK)]);
    let journal = lib.root.join("journals/outage.jsonl");
    ok(&act(&lib, &journal, &["open", "cyber/outage"]));
    ok(&act(&lib, &journal, &["done", "triage"]));
    let before = lines(&journal);
    for (args, reason) in [
        (
            &["done", "triage"][..],
            "step `triage` is already done (seq 3)",
        ),
        (
            &["skip", "tidy", "--reason", " "],
            "a reason is required to skip a step",
        ),
        (
            &["decide", "cause", "--option", "Maybe", "--rationale", "x"],
            "has no option \"Maybe\"",
        ),
        (&["untick", "triage", "1"], "is not ticked"),
        (&["start", "nope"], "has no step `nope`"),
        (&["open", "cyber/missing"], "is not in the library"),
        (&["pause"], "not an exercise"),
    ] {
        let out = act(&lib, &journal, args);
        assert_eq!(out.code, 1, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(reason), "{args:?}: {}", out.stderr);
    }
    // Usage errors are 2: an --at on a verb that takes none, check 0.
    for args in [
        &["done", "triage", "--at", "2026-11-29T09:15:00Z"][..],
        &["tick", "triage", "0"],
    ] {
        let out = act(&lib, &journal, args);
        assert_eq!(out.code, 2, "{args:?}: {}{}", out.stdout, out.stderr);
    }
    assert_eq!(lines(&journal), before);
}

#[test]
fn after_endex_act_is_refused_and_nothing_is_journaled() {
    let demo = Demo::build();
    let journal = demo.library.join("journals/drill.jsonl");
    let act = |args: &[&str]| {
        run(demo.grabbag().arg("act").arg(&journal).args(args).args([
            "--actor",
            "Fran",
            "--role",
            "Facilitator",
        ]))
    };
    ok(&act(&["exercise-start", "ransomware-friday", "--manual"]));
    ok(&act(&["open", "cyber/ransomware"]));
    ok(&act(&["inject", "spreading"]));
    // A second terminal's note is stamped on the exercise clock as the
    // journal records it: the facilitator jumped to T+20:00.
    ok(&act(&["jump", "20m"]));
    let note = run(demo
        .grabbag()
        .arg("note")
        .arg(&journal)
        .arg("ICT are on their way"));
    ok(&note);
    let entries = grabbag::journal::Journal::read(&journal, Some(&identities(&demo))).unwrap();
    assert_eq!(entries.last().and_then(|e| e.ex_t), Some(20 * 60_000));
    ok(&act(&["endex"]));
    let before = lines(&journal);
    for args in [
        &["done", "confirm-and-declare"][..],
        &["note", "after the end"],
        &["score", "spreading", "isolate-fast", "met"],
        &["inject", "--text", "One more"],
        &["resume"],
        &["endex"],
    ] {
        let out = act(args);
        assert_eq!(out.code, 1, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("ENDEX is final"),
            "{args:?}: {}",
            out.stderr
        );
    }
    let note = run(demo.grabbag().arg("note").arg(&journal).arg("late note"));
    assert_eq!(note.code, 1, "{}", note.stderr);
    assert_eq!(lines(&journal), before);
    // Lessons learned are the debrief: still recorded.
    ok(&act(&[
        "lesson",
        "action",
        "Print the call tree",
        "--owner",
        "ICT",
    ]));
    let status = status_json(demo.grabbag(), &journal);
    assert_eq!(status["exercise"], "ransomware-friday");
    assert_eq!(status["exercise_clock"]["state"], "ended");
    assert_eq!(status["exercise_clock"]["t_ms"], 20 * 60_000);
}

#[test]
fn an_exercise_by_act_opens_paused_signs_in_teams_and_no_duty_suspends_play() {
    let demo = Demo::build();
    let journal = demo.library.join("journals/teams.jsonl");
    let act = |args: &[&str], name: &str, role: &str| {
        run(demo
            .grabbag()
            .arg("act")
            .arg(&journal)
            .args(args)
            .args(["--actor", name, "--role", role]))
    };
    let fran = |args: &[&str]| act(args, "Fran", "Facilitator");
    ok(&fran(&["exercise-start", "ransomware-friday", "--paused"]));
    let status = status_json(demo.grabbag(), &journal);
    assert_eq!(status["exercise_clock"]["state"], "paused");
    assert_eq!(status["exercise_clock"]["t_ms"], 0);
    ok(&fran(&["sign-in", "--as", "facilitator"]));
    for (name, team) in [("Priya", "ICT"), ("Sam", "Business")] {
        ok(&act(
            &["sign-in", "--team", team],
            name,
            "Incident Lead (Silver)",
        ));
    }
    let olu = |args: &[&str]| act(args, "Olu", "Observer");
    let wrong = olu(&["sign-in", "--as", "watcher"]);
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);
    assert!(wrong.stderr.contains("not a capacity"), "{}", wrong.stderr);
    ok(&olu(&["sign-in", "--as", "observer"]));
    ok(&fran(&["resume"]));
    ok(&fran(&[
        "inject",
        "--text",
        "Call the DPO",
        "--to",
        "business",
    ]));
    ok(&act(
        &["open", "cyber/ransomware"],
        "Sam",
        "Incident Lead (Silver)",
    ));
    // A real incident: play stops, nothing is played until it resumes.
    ok(&fran(&["no-duty"]));
    let status = status_json(demo.grabbag(), &journal);
    assert_eq!(status["exercise_clock"]["state"], "no_duty");
    let before = lines(&journal);
    let refused = act(
        &["done", "confirm-and-declare"],
        "Sam",
        "Incident Lead (Silver)",
    );
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("NO DUTY"), "{}", refused.stderr);
    assert_eq!(lines(&journal), before);
    ok(&fran(&["resume"]));
    ok(&act(
        &["done", "confirm-and-declare"],
        "Sam",
        "Incident Lead (Silver)",
    ));
    let status = status_json(demo.grabbag(), &journal);
    let signed: Vec<(String, String, String)> = status["signed_in"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let text = |k: &str| p[k].as_str().unwrap_or("-").to_owned();
            (text("name"), text("team"), text("capacity"))
        })
        .collect();
    let owned = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        signed,
        [
            owned("Fran", "-", "facilitator"),
            owned("Priya", "ICT", "player"),
            owned("Sam", "Business", "player"),
            owned("Olu", "-", "observer"),
        ]
    );
    let entries = grabbag::journal::Journal::read(&journal, Some(&identities(&demo))).unwrap();
    let aimed = entries.iter().find_map(|e| match &e.event {
        Some(grabbag::journal::Event::InjectDelivered { to, .. }) => to.clone(),
        _ => None,
    });
    assert_eq!(aimed.as_deref(), Some("Business"));
}

#[test]
fn sign_in_refuses_a_role_or_team_the_exercise_does_not_declare() {
    let demo = Demo::build();
    let journal = demo.library.join("journals/roster.jsonl");
    let act = |args: &[&str], name: &str, role: &str| {
        run(demo
            .grabbag()
            .arg("act")
            .arg(&journal)
            .args(args)
            .args(["--actor", name, "--role", role]))
    };
    ok(&act(
        &["exercise-start", "ransomware-friday", "--paused"],
        "Fran",
        "Facilitator",
    ));
    let before = lines(&journal);
    // ransomware-friday declares its roles and two teams: a role it does
    // not know is refused with the list, exit 1, nothing written.
    let role = act(&["sign-in"], "Priya", "Incident Lead");
    assert_eq!(role.code, 1, "{}", role.stderr);
    assert!(
        role.stderr.contains(
            "\"Incident Lead\" is not a role of this exercise: choose one of \"Incident Lead (Silver)\", \"ICT Security Lead\""
        ),
        "{}",
        role.stderr
    );
    let team = act(
        &["sign-in", "--team", "Team A"],
        "Priya",
        "Incident Lead (Silver)",
    );
    assert_eq!(team.code, 1, "{}", team.stderr);
    assert!(
        team.stderr.contains(
            "\"Team A\" is not a team of this exercise: choose one of \"ICT\", \"Business\""
        ),
        "{}",
        team.stderr
    );
    let to = act(
        &["inject", "--text", "Call the DPO", "--to", "Gold"],
        "Fran",
        "Facilitator",
    );
    assert_eq!(to.code, 1, "{}", to.stderr);
    assert!(to.stderr.contains("not a team or role"), "{}", to.stderr);
    assert_eq!(lines(&journal), before);
    // Named in any case, journaled as the exercise spells it; the player
    // then acts under that role.
    ok(&act(
        &["sign-in", "--team", "business"],
        "Priya",
        "incident lead (silver)",
    ));
    let status = status_json(demo.grabbag(), &journal);
    assert_eq!(status["signed_in"][0]["role"], "Incident Lead (Silver)");
    assert_eq!(status["signed_in"][0]["team"], "Business");
    assert_eq!(status["signed_in"][0]["capacity"], "player");
}

fn identities(demo: &Demo) -> grabbag::crypto::Identities {
    grabbag::crypto::Identities::load(
        &demo.identity,
        &mut grabbag::crypto::passphrase_from_env_or_tty,
    )
    .unwrap()
}

#[test]
fn writers_in_many_processes_at_once_all_land_in_order() {
    let lib = TestLibrary::with(&[("cyber/outage.toml", RUNBOOK)]);
    let journal = lib.root.join("journals/busy.jsonl");
    ok(&act(&lib, &journal, &["open", "cyber/outage"]));
    // Eight processes at once: four `act note`, four `note`; each waits
    // for the lock, catches up and chains onto the others.
    let children: Vec<_> = (0..8)
        .map(|i| {
            let mut cmd = lib.grabbag();
            if i % 2 == 0 {
                cmd.arg("act")
                    .arg(&journal)
                    .args(["note", &format!("act {i}")]);
            } else {
                cmd.arg("note").arg(&journal).arg(format!("note {i}"));
            }
            cmd.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let status = status_json(lib.grabbag(), &journal);
    assert_eq!(status["entries"], 10);
    assert_eq!(status["head"]["seq"], 10);
    assert_eq!(status["anomalies"], Value::Array(Vec::new()));
    ok(&run(lib
        .grabbag()
        .args(["journal", "verify"])
        .arg(&journal)));
}

#[test]
fn status_text_output() {
    let lib = TestLibrary::with(&[("cyber/outage.toml", RUNBOOK)]);
    let journal = lib.root.join("journals/outage.jsonl");
    ok(&act(
        &lib,
        &journal,
        &["open", "cyber/outage", "--incident", "Outage"],
    ));
    ok(&act(&lib, &journal, &["tick", "triage", "1"]));
    ok(&act(&lib, &journal, &["done", "triage"]));
    ok(&act(
        &lib,
        &journal,
        &[
            "decide",
            "cause",
            "--option",
            "2",
            "--rationale",
            "Power cut",
        ],
    ));
    ok(&act(
        &lib,
        &journal,
        &["block", "report", "--reason", "Board away"],
    ));
    let out = run(lib.grabbag().arg("status").arg(&journal));
    ok(&out);
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z", "TIME");
    settings.add_filter(
        r"witness \d+:[0-9A-Z]{5}-[0-9A-Z]{5}",
        "witness N:XXXXX-XXXXX",
    );
    settings.add_filter(r"commit [0-9a-f]{12}", "commit COMMIT");
    settings.add_filter(r"(\d+d \d+h|\d+h \d{2}m|\d+m|\d+s) left", "Hh MMm left");
    settings.add_filter(r"Journal \S+", "Journal [JOURNAL]");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("status_text", out.stdout));
}

#[test]
fn tmux_a_note_from_a_second_shell_shows_on_the_screen_after_the_next_key() {
    if !crate::harness::have(
        "tmux",
        "tmux_a_note_from_a_second_shell_shows_on_the_screen_after_the_next_key",
    ) {
        return;
    }
    let demo = crate::tui::demo("second-shell");
    let t = &demo.tmux;
    t.start(&demo.library, &demo.identity, "run");
    demo.start_ransomware();
    // The second shell: `grabbag note` while the screen is open.
    let note = run(crate::harness::grabbag(&t.home)
        .env("GRABBAG_LIBRARY", &demo.library)
        .env("GRABBAG_IDENTITY", &demo.identity)
        .arg("note")
        .arg(demo.journal())
        .arg("Called NCSC from the car")
        .args(["--actor", "Priya", "--role", "Loggist"]));
    ok(&note);
    // The next key that records something brings it in, in its place.
    t.keys(&["g"]);
    t.wait_for("note: Called NCSC from the car");
    let screen = t.screen();
    let note_at = screen.find("note: Called NCSC from the car");
    let started_at = screen.find("started: Confirm the signs");
    assert!(
        note_at.is_some() && started_at.is_some() && note_at < started_at,
        "{screen}"
    );
    t.quit_response();
    let kinds: Vec<&str> = demo
        .entries()
        .iter()
        .map(|e| e.event.as_ref().map_or("?", |ev| ev.kind()))
        .collect();
    assert_eq!(
        kinds,
        [
            "session_started",
            "runbook_opened",
            "note",
            "step_started",
            "session_ended"
        ]
    );
    demo.verify();
}

#[test]
fn exercise_keep_refuses_a_run_it_cannot_keep_with_1_and_a_usage_error_with_2() {
    let demo = Demo::build();
    let journal = demo.library.join("journals/monday.jsonl");
    let fran = |args: &[&str]| {
        run(demo.grabbag().arg("act").arg(&journal).args(args).args([
            "--actor",
            "Fran",
            "--role",
            "Facilitator",
        ]))
    };
    ok(&fran(&["exercise-start", "ransomware-friday", "--manual"]));
    ok(&fran(&["endex"]));
    let keep = |journal: &Path, more: &[&str]| {
        run(demo
            .grabbag()
            .args(["exercise", "keep"])
            .arg(journal)
            .args(more))
    };
    let runs = demo.library.join("exercises/runs");
    let kept_before = std::fs::read_dir(&runs).unwrap().count();
    let refused = |out: &Run, why: &str| {
        assert_eq!(out.code, 1, "{why}: {}", out.stderr);
        assert!(
            out.stderr.starts_with("refused: ") && out.stderr.contains(why),
            "{why}: {}",
            out.stderr
        );
        assert_eq!(std::fs::read_dir(&runs).unwrap().count(), kept_before);
    };
    // Not an exercise run.
    let notes = demo.library.join("journals/notes.jsonl");
    ok(&run(demo.grabbag().arg("note").arg(&notes).args([
        "Kettle on",
        "--actor",
        "Sam",
        "--role",
        "Loggist",
    ])));
    refused(&keep(&notes, &[]), "records no exercise");
    // Another exercise's definition.
    let other = std::fs::read_dir(demo.library.join("exercises"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("phishing-data-breach"))
        .expect("the demo's phishing exercise");
    let other = other.to_string_lossy().into_owned();
    refused(
        &keep(&journal, &["--exercise", &other]),
        "is a run of exercise `ransomware-friday`, not of `phishing-data-breach`",
    );
    // A copy whose chain is broken.
    let text = std::fs::read_to_string(&journal).unwrap();
    let last = text.trim_end().rfind("\"hash\":\"").expect("a hash") + 8;
    let flipped = if &text[last..=last] == "0" { "1" } else { "0" };
    let broken = demo.library.join("journals/broken.jsonl");
    std::fs::write(
        &broken,
        format!("{}{flipped}{}", &text[..last], &text[last + 1..]),
    )
    .unwrap();
    refused(&keep(&broken, &[]), "does not verify");
    // Usage errors stay 2: a name that leaves runs/, a journal not there.
    let bad = keep(&journal, &["--name", "../escape"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("plain file name"), "{}", bad.stderr);
    let missing = keep(&demo.library.join("journals/none.jsonl"), &[]);
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    // Kept once, under any name.
    ok(&keep(&journal, &[]));
    let kept_before = std::fs::read_dir(&runs).unwrap().count();
    let again = keep(&journal, &["--name", "monday-again"]);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(
        again.stderr.contains("is already kept, as ")
            && again.stderr.contains("monday.jsonl: a run is kept once"),
        "{}",
        again.stderr
    );
    assert_eq!(std::fs::read_dir(&runs).unwrap().count(), kept_before);
}

#[test]
fn a_finished_run_is_kept_with_its_baseline_and_shown_once_in_the_trend() {
    let demo = Demo::build();
    let journal = demo.library.join("journals/friday.jsonl");
    let fran = |args: &[&str]| {
        run(demo.grabbag().arg("act").arg(&journal).args(args).args([
            "--actor",
            "Fran",
            "--role",
            "Facilitator",
        ]))
    };
    ok(&fran(&["exercise-start", "ransomware-friday", "--manual"]));
    ok(&fran(&["inject", "first-call"]));
    ok(&run(demo.grabbag().arg("act").arg(&journal).args([
        "open",
        "cyber/ransomware",
        "--actor",
        "Priya",
        "--role",
        "Incident Lead (Silver)",
    ])));
    let keep = || run(demo.grabbag().args(["exercise", "keep"]).arg(&journal));
    // Only a finished run is kept.
    let early = keep();
    assert_eq!(early.code, 1, "{}", early.stderr);
    assert!(early.stderr.contains("no ENDEX"), "{}", early.stderr);
    ok(&fran(&["endex"]));
    let kept = keep();
    ok(&kept);
    let runs = demo.library.join("exercises/runs");
    assert!(runs.join("friday.jsonl").is_file());
    assert!(runs.join("friday.baseline.json").is_file());
    // Never replaced.
    let again = keep();
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(again.stderr.contains("already kept"), "{}", again.stderr);
    // exercise check guards it from now on, beside the sample runs.
    let check = run(demo.grabbag().args(["exercise", "check"]));
    ok(&check);
    assert!(
        check.stdout.contains("friday.jsonl: as recorded"),
        "{}",
        check.stdout
    );
    // The report's trend shows this run beside the earlier sample run, per
    // objective, and not a second time as its own kept copy.
    let report = run(demo.grabbag().args(["exercise", "report"]).arg(&journal));
    ok(&report);
    assert!(
        !report.stdout.contains("Compared with earlier runs"),
        "one comparison over time: {}",
        report.stdout
    );
    let trend = report
        .stdout
        .split("## Trend: every recorded run of this exercise, oldest to newest")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap_or_default();
    assert!(
        trend.contains("| ransomware-friday.jsonl |")
            && trend.contains("| friday.jsonl (this run) |"),
        "{trend}"
    );
    assert_eq!(
        trend.matches("friday.jsonl (this run)").count(),
        1,
        "{trend}"
    );
    assert_eq!(
        trend.matches("| friday.jsonl").count(),
        1,
        "the kept copy is the same run: {trend}"
    );
    assert!(trend.contains("ransomware-friday / declare"), "{trend}");
    // So does the audit's trend: the live journal and its kept copy are one
    // run (beside the sample run of the same exercise).
    let audit = run(demo.grabbag().args(["audit", "--json"]));
    let audit: serde_json::Value = serde_json::from_str(&audit.stdout).unwrap();
    let friday: Vec<&serde_json::Value> = audit["runs"]
        .as_array()
        .unwrap_or_else(|| panic!("no runs in the audit: {audit}"))
        .iter()
        .filter(|r| {
            r["file"]
                .as_str()
                .is_some_and(|j| j.ends_with("friday.jsonl"))
        })
        .filter(|r| {
            !r["file"]
                .as_str()
                .is_some_and(|j| j.ends_with("ransomware-friday.jsonl"))
        })
        .collect();
    assert_eq!(friday.len(), 1, "{friday:?}");
    // And the exercise's run count: the sample run and this one.
    let exercise = audit["exercises"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["id"] == "ransomware-friday"))
        .unwrap_or_else(|| panic!("no ransomware-friday in the audit: {audit}"));
    assert_eq!(exercise["runs"], 2, "{exercise}");
}

#[test]
fn act_without_actor_writes_as_the_journals_keyboard_holder_not_the_laptops_last_user() {
    let lib = TestLibrary::with(&[("cyber/outage.toml", RUNBOOK)]);
    let journal = lib.root.join("journals/outage.jsonl");
    // Priya holds the keyboard of this response...
    ok(&run(lib
        .grabbag()
        .arg("act")
        .arg(&journal)
        .args(["open", "cyber/outage", "--incident", "Outage"])
        .args([
            "--actor",
            "Priya Shah",
            "--role",
            "Incident Lead",
        ])));
    // ...while this laptop last started a response as someone else.
    crate::support::write(
        lib.home.path(),
        "config/last-session.toml",
        "incident = \"Another day\"\nname = \"Alex Old\"\nrole = \"Loggist\"\n",
    );
    ok(&run(lib
        .grabbag()
        .arg("act")
        .arg(&journal)
        .args(["note", "from a second terminal"])));
    let status = status_json(lib.grabbag(), &journal);
    assert_eq!(status["actor"]["name"], "Priya Shah", "{status}");
    let entries = grabbag::journal::Journal::read(&journal, Some(&lib.identities))
        .unwrap_or_else(|e| panic!("{e}"));
    let note = entries.last().and_then(|e| e.actor.clone());
    assert_eq!(
        note.map(|a| (a.name, a.role)),
        Some(("Priya Shah".to_owned(), "Incident Lead".to_owned())),
        "the note is the keyboard holder's"
    );
    // A name given in the command, or in this shell, still wins.
    ok(&run(lib
        .grabbag()
        .env("GRABBAG_ACTOR_NAME", "Sam Lee")
        .arg("act")
        .arg(&journal)
        .args(["note", "Sam's note"])));
    let entries = grabbag::journal::Journal::read(&journal, Some(&lib.identities))
        .unwrap_or_else(|e| panic!("{e}"));
    let note = entries.last().and_then(|e| e.actor.clone());
    assert_eq!(note.map(|a| a.name), Some("Sam Lee".to_owned()));
}

/// `status --json` without what moves with the clock.
fn status_at_rest(home: &Path, journal: &Path) -> Value {
    let mut status = status_json(crate::harness::grabbag(home), journal);
    status["deadline_now"] = Value::Null;
    for clock in status["clocks"].as_array_mut().into_iter().flatten() {
        clock["remaining_s"] = Value::Null;
    }
    status
}

/// A register past a megabyte gets a fold snapshot from its first
/// `status`; the next `status` (and `cases`) answers the same from it, with
/// what was appended since folded on, and a journal altered under it is
/// refused as without one.
#[test]
fn a_long_registers_status_reads_the_same_from_its_fold_snapshot() {
    use grabbag::journal::entry::plaintext_journal;
    use grabbag::journal::{Actor, Event};
    let home = tempfile::tempdir().unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let journal = home.path().join("register.jsonl");
    let runbook = "continuity/referrals".to_owned();
    let sam = Actor {
        name: "Sam Lee".to_owned(),
        role: "Duty social worker".to_owned(),
    };
    let mut events = vec![(
        sam.clone(),
        Event::RunbookOpened {
            runbook: runbook.clone(),
            title: "Referrals".to_owned(),
            commit: None,
            blob: None,
            dirty: false,
            unencrypted: false,
            trust: String::new(),
        },
        None,
    )];
    for n in 0..2_400 {
        let reference = format!("CS-{n:05}");
        events.push((
            sam.clone(),
            Event::CaseAdded {
                runbook: runbook.clone(),
                kind: "referral".to_owned(),
                reference: reference.clone(),
                received_at: "2026-12-04T10:00:00Z".to_owned(),
                fields: [("child".to_owned(), format!("Child {n}"))].into(),
            },
            None,
        ));
        for (clock, due) in [
            ("decision", "2026-12-07T23:59:59Z"),
            ("visit", "2026-12-11T23:59:59Z"),
        ] {
            events.push((
                sam.clone(),
                Event::ClockStarted {
                    runbook: runbook.clone(),
                    clock: clock.to_owned(),
                    label: clock.to_owned(),
                    due_at: due.to_owned(),
                    anchor: None,
                    case: Some(reference.clone()),
                    basis: None,
                },
                None,
            ));
        }
    }
    let start = "2026-12-04T10:00:00Z".parse().unwrap();
    let write = |events: Vec<(Actor, Event, Option<u64>)>| {
        let bytes = plaintext_journal(start, 1_000, "+00:00", events).unwrap();
        std::fs::write(&journal, &bytes).unwrap();
        bytes
    };
    let bytes = write(events[..events.len() - 30].to_vec());
    assert!(bytes.len() > 1 << 20, "{} bytes", bytes.len());
    let snapshots = home.path().join("config/fold-cache");

    let first = status_at_rest(home.path(), &journal);
    assert_eq!(std::fs::read_dir(&snapshots).unwrap().count(), 1);
    assert_eq!(status_at_rest(home.path(), &journal), first);
    assert_eq!(status_at_rest(fresh.path(), &journal), first);
    assert_eq!(first["cases"].as_array().unwrap().len(), 2_390);

    // Appended to since: folded on from the snapshot.
    write(events.clone());
    let grown = status_at_rest(home.path(), &journal);
    assert_eq!(grown, status_at_rest(fresh.path(), &journal));
    assert_eq!(grown["cases"].as_array().unwrap().len(), 2_400);
    assert_eq!(grown["clocks"].as_array().unwrap().len(), 4_800);
    let cases = |home: &Path| {
        run(crate::harness::grabbag(home)
            .args(["cases", "--format", "csv"])
            .arg(&journal))
    };
    assert_eq!(cases(home.path()).stdout, cases(fresh.path()).stdout);

    // One letter changed in an entry the snapshot covers.
    let mut altered = std::fs::read(&journal).unwrap();
    let at = altered.len() / 3;
    let at = at
        + altered[at..]
            .windows(6)
            .position(|w| w == b"Child ")
            .unwrap();
    altered[at] = b'c';
    std::fs::write(&journal, &altered).unwrap();
    let status = |home: &Path| run(crate::harness::grabbag(home).arg("status").arg(&journal));
    let (with, without) = (
        status(home.path()),
        status(tempfile::tempdir().unwrap().path()),
    );
    assert_ne!(with.code, 0, "{}", with.stdout);
    assert_eq!((with.code, &with.stderr), (without.code, &without.stderr));
    assert!(with.stderr.contains("seq"), "{}", with.stderr);
}
