//! Issue 22's "done when" on the real binary: three responders write three
//! encrypted journals through `grabbag act` against the demo library, in one
//! shared folder; `board --json` shows them as one incident with their
//! deadlines in one list, a journal tampered with is flagged and not merged,
//! and the sitrep covers all three.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::harness::{Demo, run};
use crate::require_tools;
use crate::support::Sandbox;

/// Alters one character of entry `seq`'s sealed (encrypted) body in the
/// journal at `path`, as someone with the file but not the key could;
/// returns the bytes written.
fn tamper(path: &Path, seq: usize) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let line = &mut lines[seq - 1];
    let at = line.find("\"sealed\":\"").unwrap() + 20;
    let flipped = if &line[at..=at] == "A" { "B" } else { "A" };
    line.replace_range(at..=at, flipped);
    let bytes = (lines.join("\n") + "\n").into_bytes();
    std::fs::write(path, &bytes).unwrap();
    bytes
}

/// `grabbag act JOURNAL` by `who` (name, role), run by `cmd` (the binary
/// pointed at one laptop's library).
fn act(mut cmd: Command, journal: &Path, who: (&str, &str), args: &[&str]) {
    let out = run(cmd
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

/// Each journal on the board: its file, whether it was merged, and its
/// integrity state.
fn journal_rows(picture: &Value) -> Vec<(&str, bool, &str)> {
    picture["journals"]
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
        .collect()
}

/// `board --json` run by `cmd`, which exits 0, or 1 when a journal fails
/// verification.
fn board_json(mut cmd: Command, code: i32) -> Value {
    let out = run(cmd.args(["board", "--json"]));
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
    // Written on another laptop, then received where `journal pull` puts
    // it (grabbag refuses to write into `received/` itself).
    let bronze = demo.dir.join("bo-laptop/bronze.jsonl");
    std::fs::create_dir_all(bronze.parent().unwrap()).unwrap();
    let received = journals.join("received/bo/bronze.jsonl");
    let (g, s, b) = (
        ("Gita", "Strategic lead (Gold)"),
        ("Sam", "Incident lead (Silver)"),
        ("Bo", "ICT engineer (Bronze)"),
    );
    act(
        demo.grabbag(),
        &gold,
        g,
        &["deadline", "Brief the chief executive", "--after", "2h"],
    );
    act(demo.grabbag(), &silver, s, &["open", "cyber/ransomware"]);
    act(demo.grabbag(), &silver, s, &["done", "confirm-and-declare"]);
    act(
        demo.grabbag(),
        &silver,
        s,
        &["note", "Generator fuel ordered"],
    );
    act(demo.grabbag(), &bronze, b, &["open", "cyber/ransomware"]);
    act(demo.grabbag(), &bronze, b, &["done", "confirm-and-declare"]);
    act(
        demo.grabbag(),
        &bronze,
        b,
        &[
            "block",
            "isolate",
            "--reason",
            "waiting for the comms room keys",
        ],
    );

    std::fs::create_dir_all(received.parent().unwrap()).unwrap();
    std::fs::copy(&bronze, &received).unwrap();

    let picture = board_json(demo.grabbag(), 0);
    assert_eq!(picture["incident"], "Cyber outage");
    let files = journal_rows(&picture);
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

    // Silver's journal is tampered with on its laptop.
    let tampered = tamper(&silver, 3);
    let picture = board_json(demo.grabbag(), 1);
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
    assert_eq!(std::fs::read(&silver).unwrap(), tampered);
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

/// The same done-when when the journals travel by `journal push` / `pull`:
/// the demo library cloned to three laptops, each responder writing only
/// their own journal, a bare repository as the stick. One laptop pulls and
/// its board shows all three; a journal tampered with on one laptop and
/// forced onto the stick with the `git` CLI is refused by the pull, and a
/// tampered copy put where the board reads by hand is flagged, never merged.
#[test]
fn three_laptops_meet_through_a_stick_and_a_tampered_journal_never_reaches_the_board_merged() {
    require_tools!("git");
    let demo = Demo::build();
    let sb = Sandbox::new();
    let stick = sb.join("stick.git");
    let path = |p: &Path| p.to_str().expect("utf-8 temp path").to_owned();
    sb.git(sb.path(), &["init", "-q", "--bare", &path(&stick)]);
    let cells = [
        ("gold", ("Gita", "Strategic lead (Gold)")),
        ("silver", ("Sam", "Incident lead (Silver)")),
        ("bronze", ("Bo", "ICT engineer (Bronze)")),
    ];
    let laptops: Vec<PathBuf> = cells
        .iter()
        .map(|(name, _)| {
            let dir = sb.join(name);
            sb.git(
                sb.path(),
                &["clone", "-q", &path(&demo.library), &path(&dir)],
            );
            dir
        })
        .collect();
    // The binary on laptop `i`, run from inside its library.
    let laptop = |i: usize| {
        let mut cmd = demo.grabbag();
        cmd.env("GRABBAG_LIBRARY", &laptops[i])
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", sb.join(".gitconfig"))
            .current_dir(&laptops[i]);
        cmd
    };
    let journal = |i: usize| laptops[i].join(format!("journals/{}.jsonl", cells[i].0));
    let write = |i: usize, args: &[&str]| act(laptop(i), &journal(i), cells[i].1, args);
    let exchange = |i: usize, what: &str| {
        run(laptop(i)
            .args(["journal", what, &path(&stick), "--sender"])
            .arg(cells[i].0))
    };
    let (gold, silver, bronze) = (0, 1, 2);

    write(
        gold,
        &["deadline", "Brief the chief executive", "--after", "2h"],
    );
    write(silver, &["open", "cyber/ransomware"]);
    write(silver, &["done", "confirm-and-declare"]);
    write(
        bronze,
        &["deadline", "Payroll server back", "--after", "30m"],
    );
    write(bronze, &["open", "cyber/ransomware"]);
    write(
        bronze,
        &[
            "block",
            "isolate",
            "--reason",
            "waiting for the comms room keys",
        ],
    );
    for i in [gold, silver, bronze] {
        let out = exchange(i, "push");
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    }
    let out = exchange(gold, "pull");
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    for name in ["bronze/bronze.jsonl", "silver/silver.jsonl"] {
        assert!(
            out.stdout
                .contains(&format!("new       journals/received/{name}")),
            "{}",
            out.stdout
        );
    }

    // Gold's board: all three, merged, each in its cell.
    let picture = board_json(laptop(gold), 0);
    assert_eq!(picture["incident"], "Cyber outage");
    let files = journal_rows(&picture);
    assert_eq!(
        files,
        [
            ("gold.jsonl", true, "verified"),
            ("received/bronze/bronze.jsonl", true, "verified"),
            ("received/silver/silver.jsonl", true, "verified"),
        ]
    );
    let mut responders: Vec<(&str, &str)> = picture["responders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["cell"].as_str().unwrap()))
        .collect();
    responders.sort();
    assert_eq!(
        responders,
        [("Bo", "Bronze"), ("Gita", "Gold"), ("Sam", "Silver")]
    );
    // Every laptop's deadlines in one list by due: Bronze's 30 minutes,
    // Gold's 2 hours, the insurer's 24 hours from Silver's declaration.
    let deadlines = |picture: &Value| -> Vec<(String, String)> {
        let list = picture["deadlines"].as_array().unwrap();
        let due: Vec<&str> = list.iter().map(|d| d["due_at"].as_str().unwrap()).collect();
        assert!(due.windows(2).all(|w| w[0] <= w[1]), "{due:?}");
        list.iter()
            .map(|d| {
                (
                    d["label"].as_str().unwrap().to_owned(),
                    d["journal"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let all_three = deadlines(&picture);
    let labels: Vec<(&str, &str)> = all_three
        .iter()
        .map(|(l, j)| (l.as_str(), j.as_str()))
        .collect();
    assert_eq!(labels.len(), 3, "{labels:?}");
    assert_eq!(
        labels[..2],
        [
            ("Payroll server back", "received/bronze/bronze.jsonl"),
            ("Brief the chief executive", "gold.jsonl"),
        ]
    );
    assert_eq!(labels[2].1, "received/silver/silver.jsonl");

    // The sitrep on Gold's laptop covers all three.
    let sitrep = |code: i32| {
        let out = run(laptop(gold).args(["sitrep", "--since", "1h", "--format", "md"]));
        assert_eq!(out.code, code, "{}", out.stderr);
        out.stdout
    };
    let md = sitrep(0);
    for needle in [
        "# Situation report: Cyber outage",
        "Gita (Strategic lead (Gold))",
        "Sam (Incident lead (Silver))",
        "Bo (ICT engineer (Bronze))",
        "Payroll server back",
        "Brief the chief executive",
        "waiting for the comms room keys",
        "received/bronze/bronze.jsonl",
        "received/silver/silver.jsonl",
    ] {
        assert!(md.contains(needle), "{needle} missing:\n{md}");
    }

    // A note written later on Silver's laptop travels and shows.
    write(silver, &["note", "Generator fuel ordered"]);
    assert_eq!(exchange(silver, "push").code, 0);
    let out = exchange(gold, "pull");
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("grew"), "{}", out.stdout);
    let picture = board_json(laptop(gold), 0);
    let silver_view = picture["journals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["file"] == "received/silver/silver.jsonl")
        .unwrap();
    assert_eq!(silver_view["last"]["what"], "note: Generator fuel ordered");

    // Bronze's journal is tampered with on its laptop (its deadline's
    // entry). grabbag will not push it, so the attacker forces it onto the
    // stick with git, on top of what was there.
    let received = laptops[gold].join("journals/received/bronze/bronze.jsonl");
    let genuine = std::fs::read(&received).unwrap();
    let tampered = tamper(&journal(bronze), 2);
    let out = exchange(bronze, "push");
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("refused: bronze/bronze.jsonl: fails verification"),
        "{}",
        out.stderr
    );
    let sent = sb.git(&stick, &["rev-parse", "refs/grabbag/journals/bronze"]);
    let blob = sb.git(
        &laptops[bronze],
        &["hash-object", "-w", "journals/bronze.jsonl"],
    );
    let listing = format!("100644 blob {}\tbronze.jsonl\n", blob.trim());
    let tree = sb.run_with_stdin(&laptops[bronze], "git", &["mktree"], listing.as_bytes());
    assert!(tree.status.success());
    let tree = String::from_utf8_lossy(&tree.stdout).trim().to_owned();
    let forced = sb.git(
        &laptops[bronze],
        &["commit-tree", &tree, "-p", sent.trim(), "-m", "journals"],
    );
    sb.git(
        &laptops[bronze],
        &[
            "push",
            "-q",
            "--force",
            &path(&stick),
            &format!("{}:refs/grabbag/journals/bronze", forced.trim()),
        ],
    );
    assert_eq!(
        sb.git(
            &stick,
            &[
                "cat-file",
                "blob",
                "refs/grabbag/journals/bronze:bronze.jsonl"
            ]
        )
        .into_bytes(),
        tampered,
        "the stick holds the tampered journal"
    );

    // Gold, which holds the genuine copy, refuses it and keeps its own;
    // Silver, which never had Bronze's journal, stores nothing of it.
    for i in [gold, silver] {
        let out = exchange(i, "pull");
        assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.lines().any(|l| l
                .starts_with("refused: bronze/bronze.jsonl: fails verification")
                && l.contains("seq 2")),
            "{}",
            out.stderr
        );
    }
    assert_eq!(std::fs::read(&received).unwrap(), genuine);
    assert!(!laptops[silver].join("journals/received/bronze").exists());
    let picture = board_json(laptop(gold), 0);
    assert_eq!(deadlines(&picture), all_three);
    let picture = board_json(laptop(silver), 0);
    let files: Vec<&str> = picture["journals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["received/gold/gold.jsonl", "silver.jsonl"]);

    // Someone copies the stick's tampered journal onto Gold's laptop by
    // hand: the board flags it as failing and merges nothing of it.
    std::fs::write(&received, &tampered).unwrap();
    let picture = board_json(laptop(gold), 1);
    let bronze_view = picture["journals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["file"] == "received/bronze/bronze.jsonl")
        .unwrap();
    assert_eq!(bronze_view["merged"], false, "{bronze_view}");
    assert_eq!(bronze_view["integrity"]["state"], "failing");
    assert_eq!(bronze_view["integrity"]["seq"], 2);
    assert!(
        deadlines(&picture)
            .iter()
            .all(|(label, journal)| label != "Payroll server back"
                && journal != "received/bronze/bronze.jsonl"),
        "{picture}"
    );
    assert_eq!(deadlines(&picture).len(), 2);
    let md = sitrep(0);
    assert!(md.contains("FAILS at seq 2"), "{md}");
}
