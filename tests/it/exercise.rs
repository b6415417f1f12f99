//! Tabletop exercises through the real binary: the sample runs score to known
//! figures, `exercise check` passes on the samples and finds drift once a
//! runbook step is renamed, lint reports like runbook lint, the after-action
//! report carries integrity and versions, and encrypted journals need the key.

use std::path::{Path, PathBuf};

use crate::harness::{TestLibrary, grabbag, run};
use grabbag::samples::{SAMPLE_EXERCISES, SAMPLE_RUNBOOKS, SAMPLE_RUNS};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies a sample run and its exercise into `dir` (so the repository gets
/// no lock files) and returns the run's path.
fn copy_run(dir: &Path, id: &str) -> PathBuf {
    let runs = dir.join("exercises/runs");
    std::fs::create_dir_all(&runs).expect("runs dir");
    let run = runs.join(format!("{id}.jsonl"));
    std::fs::copy(repo().join(format!("exercises/runs/{id}.jsonl")), &run).expect("run copied");
    std::fs::copy(
        repo().join(format!("exercises/{id}.toml")),
        dir.join(format!("exercises/{id}.toml")),
    )
    .expect("exercise copied");
    run
}

#[test]
fn each_sample_run_scores_to_its_known_figures() {
    // (exercise, overall %, met, late, partial, missed, unscored)
    let expected = [
        ("ransomware-friday", 84, 13, 2, 2, 1, 0),
        ("phishing-data-breach", 92, 14, 0, 1, 1, 0),
        ("total-it-loss", 89, 19, 2, 1, 1, 0),
        ("compromised-supplier", 82, 9, 3, 2, 0, 1),
        ("electoral-system-lost", 80, 9, 2, 2, 0, 0),
        ("faulty-update", 93, 11, 0, 1, 1, 0),
    ];
    let home = tempfile::tempdir().expect("temp dir");
    for (id, percent, met, late, partial, missed, unscored) in expected {
        let journal = copy_run(home.path(), id);
        let out = run(grabbag(home.path())
            .args(["exercise", "score", "--json"])
            .arg(&journal));
        assert_eq!(out.code, 0, "{id}: {}", out.stderr);
        let card: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
        assert_eq!(card["overall"]["percent"], percent, "{id}");
        let counts: Vec<(String, u64)> = card["counts"]
            .as_array()
            .expect("counts")
            .iter()
            .map(|c| {
                (
                    c[0].as_str().unwrap_or("").to_owned(),
                    c[1].as_u64().unwrap_or(0),
                )
            })
            .collect();
        let n = |o: &str| counts.iter().find(|(k, _)| k == o).map_or(0, |(_, n)| *n);
        assert_eq!(
            (
                n("met"),
                n("late"),
                n("partial"),
                n("missed"),
                n("unscored"),
                n("not_delivered")
            ),
            (met, late, partial, missed, unscored, 0),
            "{id}"
        );
    }
    // A known answer in detail: the ransom demand was never handled, and the
    // ICO report came 24 minutes after the DPO's inject (20 allowed).
    let journal = home.path().join("exercises/runs/ransomware-friday.jsonl");
    let out = run(grabbag(home.path())
        .args(["exercise", "score"])
        .arg(&journal));
    assert!(
        out.stdout.contains("missed        no-payment\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("late          ico-reported (seq 58) in 24m00s of 20m00s"),
        "{}",
        out.stdout
    );
}

#[test]
fn the_report_carries_integrity_versions_scores_and_owned_actions() {
    let home = tempfile::tempdir().expect("temp dir");
    let journal = copy_run(home.path(), "ransomware-friday");
    let out = run(grabbag(home.path())
        .args(["exercise", "report", "--format", "md"])
        .arg(&journal));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let md = out.stdout;
    for part in [
        "# After-action report: Ransomware on a Friday afternoon in Revenues and Benefits",
        "- Hash chain: verified, no problem found",
        "- Exercise definition: the one played",
        "## Objectives",
        "## Runbook versions used",
        "| cyber/ransomware |",
        "## Timeline",
        "## Observations",
        "## Lessons learned",
        "| Add the backup team to the ransomware call tree and print it | ICT Security Lead | 2027-01-31 |",
    ] {
        assert!(md.contains(part), "missing {part:?} in:\n{md}");
    }

    // A tampered journal says so in the report.
    let text = std::fs::read_to_string(&journal).expect("read");
    std::fs::write(
        &journal,
        text.replacen("Holding statement", "Holding Statement", 1),
    )
    .expect("tampered");
    let out = run(grabbag(home.path())
        .args(["exercise", "report", "--format", "json"])
        .arg(&journal)
        .arg("--exercise")
        .arg(home.path().join("exercises/ransomware-friday.toml")));
    // Opening refuses a broken chain before any report is made.
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains("ransomware-friday.jsonl"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_html_report_is_one_page_with_the_same_sections_as_the_markdown() {
    let home = tempfile::tempdir().expect("temp dir");
    copy_run(home.path(), "ransomware-friday");
    // A relative path, so the journal's name in the report is stable.
    let report = |format: &str| {
        let out = run(grabbag(home.path()).current_dir(home.path()).args([
            "exercise",
            "report",
            "exercises/runs/ransomware-friday.jsonl",
            "--format",
            format,
        ]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout
    };
    let html = report("html");
    crate::report::check_golden("aar.html", &html);
    // Written to a file, the report says where it went, as `journal export` does.
    let out = run(grabbag(home.path()).current_dir(home.path()).args([
        "exercise",
        "report",
        "exercises/runs/ransomware-friday.jsonl",
        "-o",
        "aar.md",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("Wrote aar.md (the after-action report of "),
        "{}",
        out.stderr
    );
    let text = crate::report::check_html(&html);
    let doc = scraper::Html::parse_document(&html);
    let select = |css: &str| {
        let selector = scraper::Selector::parse(css).expect("selector");
        doc.select(&selector)
            .map(|e| e.text().collect::<String>())
            .collect::<Vec<_>>()
    };
    // The Markdown's headings, in its order, are the HTML's.
    let md = report("md");
    let md_headings: Vec<&str> = md.lines().filter_map(|l| l.strip_prefix("## ")).collect();
    assert_eq!(select("section > h2"), md_headings);
    assert!(!md_headings.contains(&"Compared with earlier runs"));
    for wanted in [
        "Integrity",
        "Scope",
        "Objectives",
        "Participants",
        "Runbook versions used",
        "Scores by inject",
        "Trend: every recorded run of this exercise, oldest to newest",
        "Timeline",
        "Observations",
        "Evidence for each outcome",
        "Facilitator aids",
        "Lessons learned",
        "Recommendations",
    ] {
        assert!(md_headings.contains(&wanted), "{wanted} in {md_headings:?}");
    }
    assert_eq!(select("h1").len(), 1);
    assert!(select("style")[0].contains("@media print"));
    assert!(select("li.ok")[0].starts_with("Hash chain: verified"));
    let actions = select("section:last-of-type tbody tr");
    assert!(
        actions.iter().any(|row| row.contains("ICT Security Lead")),
        "{actions:?}"
    );
    // Runbook versions: one row per runbook opened.
    let versions = select("section:nth-of-type(5) tbody tr");
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert!(text.contains("Overall: 84%"), "{text}");
}

#[test]
fn hostile_notes_and_lessons_stay_inert_in_the_report() {
    use grabbag::journal::entry::plaintext_journal;
    use grabbag::journal::{Actor, Event, LessonCategory};

    const SCRIPT: &str = "<script>alert('x')</script>";
    const ESCAPES: &str = "red \u{1b}[31malert\u{1b}[0m \u{1b}]0;title\u{7}";
    let home = tempfile::tempdir().expect("temp dir");
    let exercise = repo().join("exercises/ransomware-friday.toml");
    let evil = Actor {
        name: format!("Eve \"{SCRIPT}"),
        role: "Observer".to_owned(),
    };
    let lesson = |category, text: String, owner: Option<String>| Event::LessonRecorded {
        category,
        text,
        owner,
        due: Some(format!("'soon' {SCRIPT}")),
    };
    let events = vec![
        Event::SessionStarted {
            library: None,
            grabbag: "0.1.0".to_owned(),
            host: "laptop".to_owned(),
            incident: None,
            exercise: Some("ransomware-friday".to_owned()),
            plaintext: true,
            resumed: false,
        },
        Event::ExerciseStarted {
            exercise: "ransomware-friday".to_owned(),
            title: format!("Drill {SCRIPT}"),
            digest: "0".repeat(64),
            speed: 1,
            manual: true,
        },
        Event::InjectDelivered {
            inject: "first-call".to_owned(),
            from: format!("\"caller\" {SCRIPT}"),
            channel: "phone".to_owned(),
            text: format!("- # files renamed {ESCAPES}"),
            to: None,
        },
        Event::Note {
            text: format!("![img](http://x) [link](http://x) {SCRIPT} {ESCAPES}"),
            happened_at: None,
        },
        lesson(
            LessonCategory::WentWell,
            format!("<b>bold</b> \"quoted\" {ESCAPES}"),
            None,
        ),
        lesson(LessonCategory::DidNotGoWell, format!("1. {SCRIPT}"), None),
        lesson(
            LessonCategory::Action,
            format!("Fix {SCRIPT}"),
            Some(format!("<img src=x onerror=alert(1)> {ESCAPES}")),
        ),
    ];
    let start = chrono::DateTime::parse_from_rfc3339("2026-06-01T08:00:00Z")
        .expect("time")
        .with_timezone(&chrono::Utc);
    let bytes = plaintext_journal(
        start,
        60_000,
        "+01:00",
        events
            .into_iter()
            .enumerate()
            .map(|(i, e)| (evil.clone(), e, Some(60_000 * i as u64)))
            .collect(),
    )
    .expect("journal");
    let journal = home.path().join("hostile.jsonl");
    std::fs::write(&journal, bytes).expect("written");
    let report = |format: &str| {
        let out = run(grabbag(home.path())
            .args(["exercise", "report", "--format", format])
            .arg(&journal)
            .arg("--exercise")
            .arg(&exercise));
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout
    };
    for (format, text) in [("html", report("html")), ("md", report("md"))] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{format}: a control character got through"
        );
        assert!(!text.contains("<script"), "{format}: raw script");
        assert!(!text.contains("<img"), "{format}: raw img");
        assert!(!text.contains("<b>"), "{format}: raw markup");
    }
    let html = report("html");
    let text = crate::report::check_html(&html);
    // Shown as text, exactly, with the escapes made visible.
    assert!(text.contains(SCRIPT), "{text}");
    assert!(text.contains("<img src=x onerror=alert(1)>"), "{text}");
    assert!(text.contains("\"quoted\""), "{text}");
    assert!(text.contains("\\u{1b}[31m"), "{text}");
    let md = report("md");
    assert!(
        !md.contains("[link](http") && !md.contains("[img](http"),
        "a link survived: {md}"
    );
    assert!(
        md.contains("\\!\\[img\\]") || md.contains("!\\[img\\]"),
        "{md}"
    );
    assert!(
        !md.lines()
            .any(|l| l.starts_with("- - ") || l.starts_with("- 1. ")),
        "{md}"
    );
}

/// A library holding every sample runbook, exercise and run.
fn sample_library() -> TestLibrary {
    let runbooks: Vec<(String, &str)> = SAMPLE_RUNBOOKS
        .iter()
        .map(|(name, text)| (name.to_string(), *text))
        .collect();
    let refs: Vec<(&str, &str)> = runbooks.iter().map(|(n, t)| (n.as_str(), *t)).collect();
    let lib = TestLibrary::with(&refs);
    let dir = lib.root.join("exercises/runs");
    std::fs::create_dir_all(&dir).expect("dirs");
    for (name, text) in SAMPLE_EXERCISES {
        std::fs::write(lib.root.join("exercises").join(name), text).expect("exercise");
    }
    for (name, text) in SAMPLE_RUNS {
        std::fs::write(dir.join(name), text).expect("run");
    }
    lib
}

#[test]
fn check_passes_on_the_samples_and_finds_drift_after_a_step_is_renamed() {
    let lib = sample_library();
    let out = run(lib.grabbag().args(["exercise", "check"]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("6 exercise(s), 6 run(s): no drift"),
        "{}",
        out.stdout
    );

    // Rename the ransomware runbook's `isolate` step.
    let text = SAMPLE_RUNBOOKS
        .iter()
        .find(|(n, _)| *n == "cyber/ransomware.toml")
        .map(|(_, t)| t.replace("id = \"isolate\"", "id = \"isolate-devices\""))
        .expect("ransomware runbook");
    let path = Path::new("cyber/ransomware.toml.age");
    lib.library
        .write_encrypted(path, text.as_bytes(), &lib.identities)
        .expect("sealed");
    lib.library.stage(&[path]).expect("staged");
    lib.library
        .commit("Rename isolate", None)
        .expect("committed");

    let out = run(lib.grabbag().args(["exercise", "check"]));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("error: runbook `cyber/ransomware` has no step `isolate`"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("ransomware-friday.toml:"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("did you mean `isolate-devices`?"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("ransomware-friday.jsonl: DRIFT"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("phishing-data-breach.jsonl: as recorded"),
        "{}",
        out.stdout
    );

    // A changed expectation changes a recorded score: drift until blessed.
    let ex = lib.root.join("exercises/phishing-data-breach.toml");
    let text = std::fs::read_to_string(&ex).expect("read");
    std::fs::write(&ex, text.replacen("within = \"10m\"", "within = \"1m\"", 1)).expect("write");
    let out = run(lib.grabbag().args(["exercise", "check", "--json"]));
    assert_eq!(out.code, 1);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let phishing = report["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .find(|r| r["exercise"] == "phishing-data-breach")
        .expect("phishing run");
    assert_eq!(phishing["drift"][0], "report/triaged: was met, now late");
    let out = run(lib.grabbag().args(["exercise", "check", "--bless"]));
    assert_eq!(out.code, 1, "the renamed step still breaks one exercise");
    let out = run(lib.grabbag().args(["exercise", "check", "--json"]));
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert!(
        report["runs"]
            .as_array()
            .expect("runs")
            .iter()
            .all(|r| r["exercise"] == "ransomware-friday"
                || r["drift"].as_array().is_some_and(Vec::is_empty))
    );
}

#[test]
fn lint_reports_exercise_mistakes_like_runbook_lint() {
    let lib = sample_library();
    let bad = lib.home.path().join("bad.toml");
    let text = SAMPLE_EXERCISES
        .iter()
        .find(|(n, _)| *n == "compromised-supplier.toml")
        .map(|(_, t)| {
            t.replace("step = \"cut-access\"", "step = \"cut-acess\"")
                .replace("after = \"notice\"", "after = \"notic\"")
                .replacen("kind = \"step_done\"", "kind = \"step-done\"", 1)
        })
        .expect("sample");
    std::fs::write(&bad, text).expect("write");
    // Encrypted exercises are read too (in memory); a second file with an
    // id already taken is an error.
    let sealed = Path::new("exercises/copy.toml.age");
    let copy = SAMPLE_EXERCISES
        .iter()
        .find(|(n, _)| *n == "total-it-loss.toml")
        .map(|(_, t)| *t)
        .expect("sample");
    lib.library
        .write_encrypted(sealed, copy.as_bytes(), &lib.identities)
        .expect("sealed");
    let out = run(lib.grabbag().args(["exercise", "lint"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("copy.toml.age\nerror: duplicate exercise id `total-it-loss`")
            || out.stdout.contains("duplicate exercise id `total-it-loss`"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("exercise lint: 7 files checked, 1 error, 0 warnings"),
        "{}",
        out.stdout
    );

    let out = run(lib.grabbag().args(["exercise", "lint"]).arg(&bad));
    assert_eq!(out.code, 1, "{}", out.stdout);
    let shown = bad.display().to_string();
    for expected in [
        format!(
            "error: runbook `cyber/compromised-supplier` has no step `cut-acess`\n   --> {shown}:134:8"
        ),
        "did you mean `cut-access`?".to_owned(),
        "error: `after` names inject `notic`, which does not exist".to_owned(),
        "did you mean `notice`?".to_owned(),
        "error: `kind` must be one of: step_done, decision, note, manual".to_owned(),
        "exercise lint: 1 file checked, 3 errors, 0 warnings".to_owned(),
    ] {
        assert!(
            out.stdout.contains(&expected),
            "missing {expected:?} in:\n{}",
            out.stdout
        );
    }
}

#[test]
fn lint_checks_the_library_exercises_with_its_runbooks() {
    let lib = sample_library();
    let out = run(lib.grabbag().args(["lint"]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    let runbooks = SAMPLE_RUNBOOKS.len();
    let exercises = SAMPLE_EXERCISES.len();
    assert!(
        out.stdout.contains(&format!(
            "lint: {} files checked, 0 errors",
            runbooks + exercises
        )),
        "{}",
        out.stdout
    );

    // An expectation naming a step the runbook does not have.
    let text = SAMPLE_EXERCISES
        .iter()
        .find(|(n, _)| *n == "compromised-supplier.toml")
        .map(|(_, t)| t.replace("step = \"cut-access\"", "step = \"cut-acess\""))
        .expect("sample");
    let bad = lib.root.join("exercises/compromised-supplier.toml");
    std::fs::write(&bad, &text).expect("write");
    let error = format!(
        "error: runbook `cyber/compromised-supplier` has no step `cut-acess`\n   --> {}:134:8",
        bad.display()
    );
    let out = run(lib.grabbag().args(["lint"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains(&error), "{}", out.stdout);
    assert!(out.stdout.contains("1 error"), "{}", out.stdout);

    // Given as a file, it is checked against the library's runbooks.
    let out = run(lib.grabbag().args(["lint"]).arg(&bad));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains(&error), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("lint: 1 file checked, 1 error, 0 warnings"),
        "{}",
        out.stdout
    );
    let out = run(lib.grabbag().args(["lint", "--json"]).arg(&bad));
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(json["diagnostics"][0]["line"], 134);
    assert_eq!(json["diagnostics"][0]["file"], bad.display().to_string());
}

#[test]
fn an_encrypted_journal_scores_only_with_the_identity() {
    let lib = sample_library();
    let journal = lib.root.join("journals/drill.jsonl");
    let out = run(lib.grabbag().arg("note").arg(&journal).args([
        "Players are reading the brief",
        "--actor",
        "Sam",
        "--role",
        "Observer",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let exercise = lib.root.join("exercises/ransomware-friday.toml");
    let out = run(lib
        .grabbag()
        .args(["exercise", "score", "--json", "--exercise"])
        .arg(&exercise)
        .arg(&journal));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let card: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(card["counts"][5], serde_json::json!(["not_delivered", 18]));
    assert_eq!(card["entries"], 2);

    let mut without = lib.grabbag();
    without.env_remove("GRABBAG_IDENTITY");
    let out = run(without
        .args(["exercise", "score", "--exercise"])
        .arg(&exercise)
        .arg(&journal));
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains("could not be decrypted"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_demo_library_holds_encrypted_exercises_and_runs_that_check_clean() {
    let home = tempfile::tempdir().expect("temp dir");
    let dir = home.path().join("demo");
    let out = run(grabbag(home.path())
        .args(["demo", "--no-tui", "--dir"])
        .arg(&dir));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let library = dir.join("library");
    assert!(
        library
            .join("exercises/ransomware-friday.toml.age")
            .is_file()
    );
    let demo = || {
        let mut cmd = grabbag(home.path());
        cmd.env("GRABBAG_LIBRARY", &library)
            .env("GRABBAG_IDENTITY", dir.join("keys/demo-identity.txt"));
        cmd
    };
    let out = run(demo().args(["exercise", "check"]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("6 exercise(s), 6 run(s): no drift"),
        "{}",
        out.stdout
    );
    let out = run(demo()
        .args(["exercise", "score"])
        .arg(library.join("exercises/runs/total-it-loss.jsonl")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Overall 89% "), "{}", out.stdout);
    assert!(
        out.stdout.contains("1 unscripted inject(s)"),
        "{}",
        out.stdout
    );
}

#[test]
fn every_recorded_run_signs_in_a_facilitator_an_observer_and_two_teams() {
    use grabbag::journal::{Event, Journal};
    use grabbag::response::ResponseState;
    let lib = sample_library();
    let runs: Vec<&str> = SAMPLE_RUNS
        .iter()
        .map(|(name, _)| *name)
        .filter(|n| n.ends_with(".jsonl"))
        .collect();
    assert_eq!(runs.len(), SAMPLE_EXERCISES.len(), "{runs:?}");
    for name in runs {
        let path = lib.root.join("exercises/runs").join(name);
        let entries = Journal::read(&path, None).expect("a plaintext sample run");
        let state = ResponseState::fold(&entries);
        let count = |capacity: &str| {
            state
                .signed_in
                .iter()
                .filter(|s| s.capacity == capacity)
                .count()
        };
        assert_eq!(count("facilitator"), 1, "{name}");
        assert_eq!(count("observer"), 1, "{name}");
        let mut teams: Vec<&str> = state
            .signed_in
            .iter()
            .filter(|s| s.capacity == "player")
            .filter_map(|s| s.team.as_deref())
            .collect();
        teams.dedup();
        teams.sort_unstable();
        teams.dedup();
        assert_eq!(teams.len(), 2, "{name}: {teams:?}");
        // Everyone who wrote had signed in; the facilitator's actions are
        // the facilitator's, and nobody else's.
        for entry in &entries {
            let (Some(actor), Some(event)) = (&entry.actor, &entry.event) else {
                continue;
            };
            if matches!(event, Event::SessionStarted { .. } | Event::SignedIn { .. }) {
                continue;
            }
            let capacity = state
                .signed_in_as(actor)
                .map(|s| s.capacity.as_str())
                .unwrap_or_else(|| panic!("{name}: seq {} by {actor:?} not signed in", entry.seq));
            let facilitators = matches!(
                event,
                Event::ExerciseStarted { .. }
                    | Event::InjectDelivered { .. }
                    | Event::ExerciseClock { .. }
                    | Event::ExpectationScored { .. }
                    | Event::LessonRecorded { .. }
                    | Event::SessionEnded { .. }
            );
            assert_eq!(
                capacity == "facilitator",
                facilitators,
                "{name}: seq {} {event:?} by {actor:?} as {capacity}",
                entry.seq
            );
        }
    }
}
