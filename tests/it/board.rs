//! Issue 22's "done when" on the real binary: three responders write three
//! encrypted journals through `grabbag act` against the demo library, in one
//! shared folder; `board --json` shows them as one incident with their
//! deadlines in one list, a journal tampered with is flagged and not merged,
//! and the sitrep covers all three.

use std::path::Path;

use serde_json::Value;

use crate::harness::{Demo, run};

fn act(demo: &Demo, journal: &Path, who: (&str, &str), args: &[&str]) {
    let out = run(demo
        .grabbag()
        .arg("act")
        .arg(journal)
        .args([
            "--incident",
            "Cyber outage",
            "--actor",
            who.0,
            "--role",
            who.1,
        ])
        .args(args));
    assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
}

/// `board --json`, which exits 0, or 1 when a journal fails verification.
fn board_json(demo: &Demo, code: i32) -> Value {
    let out = run(demo.grabbag().args(["board", "--json"]));
    assert_eq!(out.code, code, "{}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn three_responders_in_one_folder_make_one_board_a_tampered_journal_is_flagged_and_the_sitrep_covers_all()
 {
    let demo = Demo::build();
    let journals = demo.library.join("journals");
    let gold = journals.join("gold.jsonl");
    let silver = journals.join("silver.jsonl");
    // Received from another laptop, where `journal pull` puts it.
    let bronze = journals.join("received/bo/bronze.jsonl");
    std::fs::create_dir_all(bronze.parent().unwrap()).unwrap();
    let (g, s, b) = (
        ("Gita", "Strategic lead (Gold)"),
        ("Sam", "Incident lead (Silver)"),
        ("Bo", "ICT engineer (Bronze)"),
    );
    act(
        &demo,
        &gold,
        g,
        &["deadline", "Brief the chief executive", "--after", "2h"],
    );
    act(&demo, &silver, s, &["open", "cyber/ransomware"]);
    act(&demo, &silver, s, &["done", "confirm-and-declare"]);
    act(&demo, &silver, s, &["note", "Generator fuel ordered"]);
    act(&demo, &bronze, b, &["open", "cyber/ransomware"]);
    act(&demo, &bronze, b, &["done", "confirm-and-declare"]);
    act(
        &demo,
        &bronze,
        b,
        &[
            "block",
            "isolate",
            "--reason",
            "waiting for the comms room keys",
        ],
    );

    let picture = board_json(&demo, 0);
    assert_eq!(picture["incident"], "Cyber outage");
    let files: Vec<(&str, bool, &str)> = picture["journals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["file"].as_str().unwrap(),
                j["merged"].as_bool().unwrap(),
                j["integrity"]["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        files,
        [
            ("gold.jsonl", true, "verified"),
            ("received/bo/bronze.jsonl", true, "verified"),
            ("silver.jsonl", true, "verified"),
        ]
    );
    let names: Vec<&str> = picture["responders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3);
    for who in ["Gita", "Sam", "Bo"] {
        assert!(names.contains(&who), "{names:?}");
    }
    // Every laptop's deadlines in one list, by due time: Gold's 2 hours,
    // then the insurer's 24 hours from each of the two declarations.
    let deadlines: Vec<(&str, &str)> = picture["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["label"].as_str().unwrap(), d["journal"].as_str().unwrap()))
        .collect();
    assert_eq!(deadlines.len(), 3, "{deadlines:?}");
    assert_eq!(deadlines[0], ("Brief the chief executive", "gold.jsonl"));
    let due: Vec<&str> = picture["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["due_at"].as_str().unwrap())
        .collect();
    assert!(due.windows(2).all(|w| w[0] <= w[1]), "{due:?}");
    // The same step done on two laptops shows both.
    let declare = picture["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "confirm-and-declare")
        .unwrap();
    assert_eq!(declare["by"].as_array().unwrap().len(), 2, "{declare}");

    // Silver's journal is tampered with on its laptop: one character of
    // seq 3's sealed body.
    let text = std::fs::read_to_string(&silver).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let at = lines[2].find("\"sealed\":\"").unwrap() + 20;
    let flipped = if &lines[2][at..=at] == "A" { "B" } else { "A" };
    lines[2].replace_range(at..=at, flipped);
    std::fs::write(&silver, lines.join("\n") + "\n").unwrap();
    let picture = board_json(&demo, 1);
    let silver_view = picture["journals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["file"] == "silver.jsonl")
        .unwrap();
    assert_eq!(silver_view["merged"], false);
    assert_eq!(silver_view["integrity"]["state"], "failing");
    assert_eq!(silver_view["integrity"]["seq"], 3);
    assert!(
        silver_view["not_merged"]
            .as_str()
            .unwrap()
            .starts_with("fails verification at seq 3"),
        "{silver_view}"
    );
    assert_eq!(picture["deadlines"].as_array().unwrap().len(), 2);

    // The sitrep names all three journals, the failing one as failing.
    let out = run(demo
        .grabbag()
        .args(["sitrep", "--since", "1h", "--format", "md"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let md = out.stdout;
    for needle in [
        "# Situation report: Cyber outage",
        "## What changed",
        "## Deadlines due",
        "## Blocked steps",
        "waiting for the comms room keys",
        "Brief the chief executive",
        "gold.jsonl",
        "received/bo/bronze.jsonl",
        "silver.jsonl",
        "FAILS at seq 3",
        "Gita (Strategic lead (Gold))",
    ] {
        assert!(md.contains(needle), "{needle} missing:\n{md}");
    }
    // A folder that is not there is a usage error.
    let out = run(demo.grabbag().args(["board", "--json", "no-such-folder"]));
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains("no-such-folder does not exist"),
        "{}",
        out.stderr
    );
    // Nothing the board or the sitrep read was written to.
    assert_eq!(
        std::fs::read_to_string(&silver).unwrap(),
        lines.join("\n") + "\n"
    );
}

/// The live board on the real binary in tmux at 80x24: three journals in
/// one folder, and a `grabbag note` written into one of them from another
/// shell appears on the running board.
#[test]
fn tmux_a_note_into_one_of_three_journals_appears_on_the_running_board() {
    if !crate::harness::have(
        "tmux",
        "tmux_a_note_into_one_of_three_journals_appears_on_the_running_board",
    ) {
        return;
    }
    let demo = crate::tui::demo("board");
    let journals = demo.library.join("journals");
    let grabbag = || {
        let mut cmd = crate::harness::grabbag(&demo.tmux.home);
        cmd.env("GRABBAG_LIBRARY", &demo.library)
            .env("GRABBAG_IDENTITY", &demo.identity);
        cmd
    };
    for (file, name, role) in [
        ("gold.jsonl", "Gita", "Strategic lead (Gold)"),
        ("silver.jsonl", "Sam", "Incident lead (Silver)"),
        ("bronze.jsonl", "Bo", "ICT engineer (Bronze)"),
    ] {
        let out = run(grabbag()
            .arg("act")
            .arg(journals.join(file))
            .args([
                "--incident",
                "Cyber outage",
                "--actor",
                name,
                "--role",
                role,
            ])
            .args(["deadline", &format!("{name}'s deadline"), "--after", "4h"]));
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let t = &demo.tmux;
    t.start(&demo.library, &demo.identity, "board");
    t.resize(80, 24);
    t.wait_for("Cyber outage");
    t.wait_for("3 journal(s)");
    t.wait_for("Bo's deadline");
    let out = run(grabbag()
        .arg("note")
        .arg(journals.join("silver.jsonl"))
        .args(["--actor", "Sam", "--role", "Incident lead (Silver)"])
        .arg("Generator fuel ordered"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    t.wait_for("note: Generator fuel ordered");
    t.keys(&["?"]);
    t.wait_for("focus the next section");
    t.keys(&["x", "q"]);
    t.wait_gone();
}
