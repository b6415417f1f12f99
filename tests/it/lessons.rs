//! Lessons as tracked items and the audit in NCSC CAF terms, through the
//! real binary: a lesson past its due date is flagged by `audit`, evidence
//! that does not stand is refused, and closing it with a later commit that
//! changed a runbook (made by the real `git`) removes the flag.

use std::path::Path;

use serde_json::Value;

use crate::harness::{Demo, TestLibrary, have, run, runbook_text};

fn audit_json(cmd: &mut std::process::Command) -> (i32, Value) {
    let out = run(cmd.args(["audit", "--json"]));
    let json = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stderr));
    (out.code, json)
}

fn lesson<'a>(audit: &'a Value, id: &str) -> &'a Value {
    audit["lessons"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["id"] == id))
        .unwrap_or_else(|| panic!("no lesson {id} in {audit}"))
}

fn findings(audit: &Value) -> Vec<String> {
    audit["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn an_overdue_lesson_is_flagged_until_a_later_runbook_commit_closes_it() {
    if !have(
        "git",
        "an_overdue_lesson_is_flagged_until_a_later_runbook_commit_closes_it",
    ) {
        return;
    }
    let lib = TestLibrary::with(&[("cyber/a.toml", &runbook_text("cyber/a", "A"))]);
    let added = run(lib.grabbag().args([
        "lesson",
        "add",
        "Print the supplier contact list",
        "--owner",
        "ICT Security Lead",
        "--due",
        "2020-01-31",
    ]));
    assert_eq!(added.code, 0, "{}", added.stderr);
    let (code, audit) = audit_json(&mut lib.grabbag());
    assert_eq!(code, 1);
    assert_eq!(lesson(&audit, "R1")["status"], "overdue");
    assert!(
        findings(&audit).contains(&"Lessons OVERDUE (1): R1".to_owned()),
        "{audit}"
    );
    let d2b = &audit["objective_d"][4];
    assert_eq!(d2b["id"], "D2.b");
    assert_eq!(d2b["grabbag_rule"]["verdict"], "partially_achieved");

    // HEAD is the register's own commit: it changed no runbook.
    let refused = run(lib
        .grabbag()
        .args(["lesson", "close", "R1", "--commit", "HEAD"]));
    assert_eq!(refused.code, 2, "{}", refused.stdout);
    assert!(
        refused.stderr.contains("changed no runbook"),
        "{}",
        refused.stderr
    );
    // The runbook's first commit is older than the lesson.
    let refused = run(lib
        .grabbag()
        .args(["lesson", "close", "R1", "--commit", "HEAD~1"]));
    assert!(
        refused.stderr.contains("is not later than the lesson"),
        "{}",
        refused.stderr
    );
    let (_, audit) = audit_json(&mut lib.grabbag());
    assert_eq!(lesson(&audit, "R1")["status"], "overdue");

    // A runbook change, committed by git itself a minute after the lesson
    // was recorded (a fixed date, so no clock decides the test).
    let recorded = lesson(&audit, "R1")["recorded"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .expect("recorded time");
    let later = format!("@{} +0000", recorded.timestamp() + 60);
    let text = runbook_text("cyber/a", "A, with the supplier list printed");
    lib.library
        .write_encrypted(
            Path::new("cyber/a.toml.age"),
            text.as_bytes(),
            &lib.identities,
        )
        .expect("sealed");
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(&lib.root)
            .env("GIT_COMMITTER_DATE", &later)
            .env("GIT_AUTHOR_DATE", &later)
            .args(["-c", "user.name=Tester", "-c", "user.email=t@example.org"])
            .args(args)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["add", "cyber/a.toml.age"]);
    git(&["commit", "-q", "-m", "Print the supplier list"]);
    let closed = run(lib
        .grabbag()
        .args(["lesson", "close", "R1", "--commit", "HEAD"]));
    assert_eq!(closed.code, 0, "{}", closed.stderr);
    assert!(
        closed.stdout.contains("changed cyber/a.toml.age"),
        "{}",
        closed.stdout
    );

    let (_, audit) = audit_json(&mut lib.grabbag());
    let r1 = lesson(&audit, "R1");
    assert_eq!(r1["status"], "closed");
    assert_eq!(r1["closure"]["proven"], true);
    assert!(
        !findings(&audit).iter().any(|f| f.contains("OVERDUE")),
        "{audit}"
    );
    // Hostile text in a lesson stays text in every format.
    let hostile = format!("{} {}", crate::report::SCRIPT, crate::report::ESCAPES);
    let added = run(lib.grabbag().args([
        "lesson",
        "add",
        &hostile,
        "--owner",
        "x",
        "--due",
        "2030-01-01",
    ]));
    assert_eq!(added.code, 0, "{}", added.stderr);
    let text = run(lib.grabbag().arg("audit")).stdout;
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text}"
    );
    let html = run(lib.grabbag().args(["audit", "--html"])).stdout;
    assert!(crate::report::check_html(&html).contains(crate::report::SCRIPT));
    let json = run(lib.grabbag().args(["audit", "--json"])).stdout;
    assert!(
        !json.contains('\u{1b}') && json.contains("\\u001b"),
        "{json}"
    );

    // Readable without grabbag: the register is an age file of TOML.
    if have(
        "age",
        "an_overdue_lesson_is_flagged_until_a_later_runbook_commit_closes_it",
    ) {
        let out = std::process::Command::new("age")
            .args(["-d", "-i"])
            .arg(&lib.identity_path)
            .arg(lib.root.join(".grabbag/lessons.toml.age"))
            .output()
            .expect("age runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("[lesson.closed]") && text.contains("id = \"R1\""),
            "{text}"
        );
    }
}

#[test]
fn the_sample_library_audit_answers_the_two_questions_and_maps_objective_d() {
    let demo = Demo::build();
    let (_, audit) = audit_json(&mut demo.grabbag());
    assert_eq!(audit["caf_version"], "3.2");
    let ids: Vec<&str> = audit["objective_d"]
        .as_array()
        .expect("objective D")
        .iter()
        .map(|c| {
            assert!(
                c["evidence"].as_array().is_some_and(|e| !e.is_empty()),
                "{c}"
            );
            c["id"].as_str().unwrap_or_default()
        })
        .collect();
    assert_eq!(ids, ["D1.a", "D1.b", "D1.c", "D2.a", "D2.b"]);
    // Only D1.c and D2.b have a mechanical rule; the rest is evidence.
    let ruled: Vec<bool> = audit["objective_d"]
        .as_array()
        .expect("objective D")
        .iter()
        .map(|c| !c["grabbag_rule"].is_null())
        .collect();
    assert_eq!(ruled, [false, false, true, false, true]);
    // Samples record lessons with and without owners: the gap is named.
    let d2b_gaps = audit["objective_d"][4]["gaps"].to_string();
    assert!(d2b_gaps.contains("no owner or no due date"), "{d2b_gaps}");
    let questions = audit["questions"].as_array().expect("questions");
    assert_eq!(questions.len(), 2);
    assert!(
        questions[1]["answer"]
            .as_str()
            .is_some_and(|a| a.contains("continuity runbooks say how services carry on with no IT")),
        "{}",
        questions[1]
    );
    // Every recorded run is in the trend, scored.
    assert!(
        audit["runs"]
            .as_array()
            .is_some_and(|r| r.len() >= 4 && r.iter().all(|r| r["overall"].is_u64()))
    );
    // The text's first lines are the questions.
    let text = run(demo.grabbag().arg("audit")).stdout;
    let first = text.find("THE STRATEGY'S TWO QUESTIONS");
    let findings = text.find("FINDINGS");
    assert!(first.is_some() && first < findings, "{text}");
}

#[test]
fn a_lesson_closes_on_a_later_run_that_met_the_expectation_and_not_on_one_that_missed_it() {
    use grabbag::crypto::Identities;
    use grabbag::lessons::Register;
    use grabbag::library::Library;

    let demo = Demo::build();
    // A lesson from a review held before the recorded run (written with the
    // library's own code: `lesson add` would stamp it now, after the run).
    let identities =
        Identities::load(&demo.identity, &mut |_| panic!("no passphrase")).expect("demo identity");
    let (library, lock) = Library::open_for_change(&demo.library).expect("library");
    let mut register = Register::default();
    let record = register.entry("R1");
    record.text = Some("Declare the incident sooner".to_owned());
    record.recorded = chrono::DateTime::parse_from_rfc3339("2026-01-05T09:00:00Z")
        .ok()
        .map(|t| t.to_utc());
    record.owner = Some("Emergency Planning Manager".to_owned());
    record.due = chrono::NaiveDate::from_ymd_opt(2026, 6, 30);
    register
        .save(&library, &identities, "lessons: R1 from the January review")
        .expect("register saved");
    drop(lock);
    let run_file = "exercises/runs/ransomware-friday.jsonl";

    // The run missed this expectation: refused, and the lesson stays overdue.
    let missed = run(demo.grabbag().args([
        "lesson",
        "close",
        "R1",
        "--run",
        run_file,
        "--expectation",
        "ransom-email/no-payment",
    ]));
    assert_eq!(missed.code, 2);
    assert!(
        missed.stderr.contains("was missed, not met"),
        "{}",
        missed.stderr
    );
    let (_, audit) = audit_json(&mut demo.grabbag());
    assert_eq!(lesson(&audit, "R1")["status"], "overdue");

    // The same run met another: closed, and the audit shows the evidence.
    // Named by its full path this time: stored as the audit names it.
    let met = run(demo
        .grabbag()
        .args(["lesson", "close", "R1", "--run"])
        .arg(demo.library.join(run_file))
        .args(["--expectation", "first-call/declared"]));
    assert_eq!(met.code, 0, "{}", met.stderr);
    let (_, audit) = audit_json(&mut demo.grabbag());
    let r1 = lesson(&audit, "R1");
    assert_eq!(r1["status"], "closed");
    assert!(
        r1["closure"]["evidence"]
            .as_str()
            .is_some_and(|e| e.contains("expectation first-call/declared met")),
        "{r1}"
    );

    // A journal's lesson with no owner gets one (and a due date) in the
    // register; the journal is left as it was.
    let journal = demo.library.join(run_file);
    let before = std::fs::read(&journal).expect("run");
    let (_, audit) = audit_json(&mut demo.grabbag());
    assert_eq!(lesson(&audit, "ransomware-friday#63")["owner"], Value::Null);
    let assigned = run(demo.grabbag().args([
        "lesson",
        "assign",
        "ransomware-friday#63",
        "--owner",
        "Backup Manager",
        "--due",
        "2027-01-10",
    ]));
    assert_eq!(assigned.code, 0, "{}", assigned.stderr);
    let (_, audit) = audit_json(&mut demo.grabbag());
    let l63 = lesson(&audit, "ransomware-friday#63");
    assert_eq!(
        (&l63["owner"], &l63["due"]),
        (&Value::from("Backup Manager"), &Value::from("2027-01-10"))
    );
    assert_eq!(l63["gaps"], Value::Array(Vec::new()));
    assert_eq!(std::fs::read(&journal).expect("run"), before);

    // A lesson recorded in that very run cannot be closed by it.
    let same = run(demo.grabbag().args([
        "lesson",
        "close",
        "ransomware-friday#63",
        "--run",
        run_file,
        "--expectation",
        "first-call/declared",
    ]));
    assert_eq!(same.code, 2);
    assert!(
        same.stderr.contains("before the lesson was recorded"),
        "{}",
        same.stderr
    );
}

#[test]
fn rekey_re_encrypts_the_lessons_register_to_the_new_recipients() {
    let lib = TestLibrary::with(&[("cyber/a.toml", &runbook_text("cyber/a", "A"))]);
    let added = run(lib.grabbag().args([
        "lesson",
        "add",
        "Keep a printed call tree",
        "--owner",
        "ICT",
        "--due",
        "2027-01-31",
    ]));
    assert_eq!(added.code, 0, "{}", added.stderr);
    let newcomer = grabbag::crypto::Identity::generate();
    let newcomer_path = lib.home.path().join("newcomer.txt");
    newcomer
        .write(&newcomer_path, None)
        .expect("identity written");
    let recipients = lib.root.join(".grabbag/recipients");
    let mut text = std::fs::read_to_string(&recipients).expect("recipients");
    text.push_str(&format!("{}\n", newcomer.public_key()));
    std::fs::write(&recipients, text).expect("recipients written");
    let out = run(lib.grabbag().arg("rekey"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let listed = run(lib
        .grabbag()
        .env("GRABBAG_IDENTITY", &newcomer_path)
        .args(["lesson", "list", "--json"]));
    assert_eq!(
        listed.code, 0,
        "the newcomer reads the register: {}",
        listed.stderr
    );
    assert!(
        listed.stdout.contains("Keep a printed call tree"),
        "{}",
        listed.stdout
    );
}

#[test]
fn an_incident_lesson_from_a_review_names_its_journal_and_fills_the_d2a_gap() {
    let lib = TestLibrary::with(&[("cyber/a.toml", &runbook_text("cyber/a", "A"))]);
    let journal = lib.root.join("journals/fraud.jsonl");
    let noted = run(lib.grabbag().arg("note").arg(&journal).args([
        "Bank details change request looks forged",
        "--incident",
        "Invoice fraud",
    ]));
    assert_eq!(noted.code, 0, "{}", noted.stderr);
    let d2a_gaps = |audit: &Value| audit["objective_d"][3]["gaps"].to_string();
    let (_, audit) = audit_json(&mut lib.grabbag());
    assert_eq!(audit["objective_d"][3]["id"], "D2.a");
    assert!(
        d2a_gaps(&audit).contains("no lesson to act on (1): journals/fraud.jsonl"),
        "{audit}"
    );
    let outside = run(lib.grabbag().args([
        "lesson",
        "add",
        "x",
        "--owner",
        "x",
        "--due",
        "2027-01-31",
        "--source",
        "/etc/hostname",
    ]));
    assert_eq!(outside.code, 2);
    assert!(
        outside.stderr.contains("is not a file in the library"),
        "{}",
        outside.stderr
    );
    let added = run(lib
        .grabbag()
        .args([
            "lesson",
            "add",
            "Check every bank detail change by phoning a known number",
            "--owner",
            "Head of Finance",
            "--due",
            "2027-01-31",
            "--source",
        ])
        .arg(&journal));
    assert_eq!(added.code, 0, "{}", added.stderr);
    let (_, audit) = audit_json(&mut lib.grabbag());
    assert_eq!(lesson(&audit, "R1")["source"], "journals/fraud.jsonl");
    assert!(!d2a_gaps(&audit).contains("no lesson to act on"), "{audit}");
}
