//! Deadlines as the law counts them, through the real binary on the demo
//! library (real age, real git): the ICO's 72 hours from the time of
//! awareness, moved by a correction; referrals on the Friday before a bank
//! holiday each due on the Tuesday; `grabbag cases` for keying back; bad
//! input refused by name with nothing journaled. Issue 17's "Done when".

use std::path::Path;

use serde_json::Value;

use crate::harness::{Demo, Run, run};

fn act(demo: &Demo, journal: &Path, args: &[&str]) -> Run {
    run(demo.grabbag().arg("act").arg(journal).args(args).args([
        "--actor",
        "Priya Shah",
        "--role",
        "Incident Lead (Silver)",
    ]))
}

fn ok(out: &Run) {
    assert_eq!(
        out.code, 0,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
}

fn status(demo: &Demo, journal: &Path) -> Value {
    let out = run(demo.grabbag().arg("status").arg(journal).arg("--json"));
    ok(&out);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

fn clock<'v>(status: &'v Value, case: Option<&str>, id: &str) -> &'v Value {
    status["clocks"]
        .as_array()
        .and_then(|clocks| {
            clocks
                .iter()
                .find(|c| c["clock"] == id && c["case"].as_str() == case)
        })
        .unwrap_or_else(|| panic!("no clock {id} ({case:?}) in {status}"))
}

fn lines(journal: &Path) -> usize {
    std::fs::read_to_string(journal).map_or(0, |t| t.lines().count())
}

#[test]
fn the_ico_deadline_counts_from_awareness_and_referrals_count_working_days() {
    let demo = Demo::build();
    let journal = demo.home.path().join("response.jsonl");

    // Ransomware: aware at 10:00; the DPO is told later (now).
    ok(&act(
        &demo,
        &journal,
        &["open", "cyber/ransomware", "--incident", "Ransomware"],
    ));
    ok(&act(
        &demo,
        &journal,
        &[
            "aware",
            "--at",
            "2026-08-28T10:00:00+01:00",
            "--reason",
            "ransom note seen",
        ],
    ));
    ok(&act(&demo, &journal, &["done", "notify-dpo"]));
    let s = status(&demo, &journal);
    let ico = clock(&s, None, "ico-72h");
    assert_eq!(ico["due_at"], "2026-08-31T09:00:00Z", "{ico}");
    assert_eq!(ico["anchor"], "awareness");
    assert_eq!(ico["start"], "2026-08-28T09:00:00Z");
    // Corrected to 09:30: it moves, and the journal keeps both times.
    ok(&act(
        &demo,
        &journal,
        &[
            "aware",
            "--at",
            "2026-08-28T09:30:00+01:00",
            "--reason",
            "the note was photographed at 09:30",
        ],
    ));
    let s = status(&demo, &journal);
    assert_eq!(clock(&s, None, "ico-72h")["due_at"], "2026-08-31T08:30:00Z");
    let text = run(demo.grabbag().arg("status").arg(&journal));
    ok(&text);
    assert!(
        text.stdout
            .contains("counts from awareness 2026-08-28 08:30:00Z")
            && text.stdout.contains("due 2026-08-31 08:30:00Z"),
        "{}",
        text.stdout
    );

    // Children's services: two referrals on Friday 28 August 2026; Monday
    // 31 August is a bank holiday in England and Wales.
    let rb = "continuity/childrens-safeguarding";
    ok(&act(&demo, &journal, &["open", rb]));
    for (reference, at, child) in [
        ("CS-0828-001", "2026-08-28T11:15:00+01:00", "A.B."),
        ("CS-0828-002", "2026-08-28T16:40:00+01:00", "C.D."),
    ] {
        ok(&act(
            &demo,
            &journal,
            &[
                "case",
                "add",
                rb,
                reference,
                "--at",
                at,
                "--field",
                &format!("child={child}"),
                "--field",
                "referrer=School, 07700 900000",
            ],
        ));
    }
    let s = status(&demo, &journal);
    for reference in ["CS-0828-001", "CS-0828-002"] {
        let decision = clock(&s, Some(reference), "decision");
        // The end of Tuesday 1 September, BST.
        assert_eq!(decision["due_at"], "2026-09-01T22:59:59Z", "{decision}");
        assert_eq!(decision["anchor"], "case");
    }
    assert_eq!(s["case_counts"]["cases"], 2);
    // Long past due: said in plain words, days and hours, never "-2257h57m
    // left"; a case's clocks are summed up on its line.
    let text = run(demo.grabbag().arg("status").arg(&journal));
    ok(&text);
    let case = text
        .stdout
        .lines()
        .find(|l| l.contains("CS-0828-002"))
        .unwrap_or_default();
    assert!(
        case.contains("next due 2026-09-01 22:59:59Z (overdue by ") && case.ends_with("h)"),
        "{}",
        text.stdout
    );
    let ico = text
        .stdout
        .lines()
        .find(|l| l.contains("#ico-72h"))
        .unwrap_or_default();
    assert!(ico.contains(", overdue by ") && ico.ends_with('h'), "{ico}");
    assert!(!text.stdout.contains(", -"), "{}", text.stdout);
    assert!(!text.stdout.contains("case CS-0828"), "{}", text.stdout);

    // `cases` lists both, formula-safe CSV with every field.
    let csv = run(demo
        .grabbag()
        .args(["cases"])
        .arg(&journal)
        .args(["--runbook", rb]));
    ok(&csv);
    assert!(csv.stdout.contains("\"CS-0828-001\""), "{}", csv.stdout);
    assert!(csv.stdout.contains("\"CS-0828-002\""), "{}", csv.stdout);
    assert!(csv.stdout.contains("\"field:child\""), "{}", csv.stdout);
    assert!(
        csv.stdout.contains("\"2026-09-01T22:59:59Z\""),
        "{}",
        csv.stdout
    );

    // One decided and keyed back: one left to key.
    ok(&act(
        &demo,
        &journal,
        &["case", "done", "CS-0828-001", "decided"],
    ));
    ok(&act(&demo, &journal, &["case", "keyed", "CS-0828-001"]));
    let s = status(&demo, &journal);
    assert_eq!(s["case_counts"]["not_keyed"], 1, "{}", s["case_counts"]);
    let out = demo.home.path().join("cases.json");
    ok(&run(demo
        .grabbag()
        .arg("cases")
        .arg(&journal)
        .args(["--format", "json", "-o"])
        .arg(&out)));
    let rows: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    let keyed: Vec<(&str, bool)> = rows
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    (
                        r["reference"].as_str().unwrap_or(""),
                        r["keyed_at"].is_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(keyed.contains(&("CS-0828-001", true)), "{rows}");
    assert!(keyed.contains(&("CS-0828-002", false)), "{rows}");
    let md = run(demo
        .grabbag()
        .arg("cases")
        .arg(&journal)
        .args(["--format", "md"]));
    ok(&md);
    assert!(md.stdout.contains("| CS-0828-002 |"), "{}", md.stdout);
}

#[test]
fn bad_deadlines_and_cases_are_refused_by_name_and_nothing_is_journaled() {
    let demo = Demo::build();
    let journal = demo.home.path().join("response.jsonl");
    let rb = "continuity/childrens-safeguarding";
    ok(&act(&demo, &journal, &["open", rb, "--incident", "Outage"]));
    ok(&act(
        &demo,
        &journal,
        &[
            "case",
            "add",
            rb,
            "R-1",
            "--field",
            "child=A",
            "--field",
            "referrer=GP",
        ],
    ));
    let before = lines(&journal);
    for (args, code, says) in [
        (
            vec!["deadline", "Brief Gold", "--after", "3 weeks"],
            2,
            "--after \"3 weeks\"",
        ),
        (
            vec!["deadline", "Brief Gold", "--due", "Friday teatime"],
            2,
            "--due \"Friday teatime\" is not an RFC 3339 time",
        ),
        (
            vec!["aware", "--at", "2999-01-01T00:00:00Z"],
            1,
            "is after now",
        ),
        (
            vec![
                "case",
                "add",
                rb,
                "R-1",
                "--field",
                "child=B",
                "--field",
                "referrer=GP",
            ],
            1,
            "case `R-1` is already on the register",
        ),
        (
            vec![
                "case",
                "add",
                rb,
                "R-2",
                "--kind",
                "household",
                "--field",
                "child=B",
            ],
            1,
            "has no kind of case `household`",
        ),
        (
            vec!["case", "add", rb, "R-2", "--field", "colour=red"],
            1,
            "a referral has no field `colour`",
        ),
        (
            vec![
                "case",
                "add",
                rb,
                "R-2",
                "--at",
                "2999-01-01T00:00:00Z",
                "--field",
                "child=B",
                "--field",
                "referrer=GP",
            ],
            1,
            "a case cannot be received at 2999-01-01",
        ),
        (
            vec!["case", "done", "R-1", "visit"],
            1,
            "has no checklist item `visit`",
        ),
    ] {
        let out = act(&demo, &journal, &args);
        assert_eq!(out.code, code, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        assert_eq!(lines(&journal), before, "{args:?} wrote to the journal");
    }
    // A good ad-hoc deadline lands, with its basis, in status.
    ok(&act(
        &demo,
        &journal,
        &[
            "deadline",
            "Brief the Leader",
            "--after",
            "1 working day",
            "--basis",
            "Chief Executive's instruction",
        ],
    ));
    let s = status(&demo, &journal);
    let brief = clock(&s, None, "deadline-1");
    assert_eq!(brief["anchor"], "deadline");
    assert_eq!(brief["basis"], "Chief Executive's instruction");
    ok(&act(&demo, &journal, &["met", "deadline-1"]));
    assert_eq!(
        clock(&status(&demo, &journal), None, "deadline-1")["state"],
        "met"
    );
}
