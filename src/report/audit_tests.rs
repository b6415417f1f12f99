//! Tests of the audit: the printed coverage's shape and the golden files of
//! its three formats, on an audit built by hand (every state of every part).

use super::*;

fn audit(exercises: usize) -> Audit {
    Audit {
        library: "lib".to_owned(),
        today: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap_or_default(),
        runbooks: vec![RunbookStatus {
            id: "cyber/ransomware".to_owned(),
            title: "Ransomware".to_owned(),
            kind: Kind::Cyber,
            owner: "ICT Security Lead".to_owned(),
            file: PathBuf::from("cyber/ransomware.toml.age"),
            version: "abc1234".to_owned(),
            review_due: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default(),
            review_overdue: false,
            signed: true,
            trust: "signed".to_owned(),
            dirty: false,
            unencrypted: false,
            planned_in: Vec::new(),
            last_exercised: None,
            used_in_responses: 0,
        }],
        failures: Vec::new(),
        notices: Vec::new(),
        exercises: (0..exercises)
            .map(|n| ExerciseStatus {
                def: ExerciseDef {
                    id: format!("exercise-{n}"),
                    title: None,
                    file: PathBuf::from(format!("exercises/exercise-{n}.toml")),
                    runbooks: vec!["cyber/ransomware".to_owned()],
                },
                runs: 0,
                last_run: None,
                overdue: false,
            })
            .collect(),
        exercise_problems: Vec::new(),
        journals: Vec::new(),
        grab_bag: Coverage::of([]),
        runs: Vec::new(),
        lessons: Vec::new(),
        lessons_problem: None,
        caf_version: caf::CAF_VERSION,
        objective_d: Vec::new(),
        questions: Vec::new(),
        findings: Vec::new(),
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    day(y, m, d)
        .and_hms_opt(10, 0, 0)
        .unwrap_or_default()
        .and_utc()
}

/// An audit with a continuity runbook, two runs of one exercise six
/// months apart, an incident journal, and lessons in every state.
fn rich() -> Audit {
    let mut a = audit(1);
    a.runbooks[0].last_exercised = Some(at(2026, 11, 20));
    a.runbooks.push(RunbookStatus {
        id: "continuity/payments".to_owned(),
        title: "Paying suppliers without the finance system".to_owned(),
        kind: Kind::Continuity,
        owner: "Section 151 officer".to_owned(),
        file: PathBuf::from("continuity/payments.toml.age"),
        version: "def5678".to_owned(),
        review_due: day(2026, 10, 1),
        review_overdue: true,
        signed: false,
        trust: "untrusted: unsigned".to_owned(),
        dirty: false,
        unencrypted: false,
        planned_in: vec!["exercise-0".to_owned()],
        last_exercised: None,
        used_in_responses: 1,
    });
    a.exercises[0].runs = 2;
    a.exercises[0].last_run = Some(at(2026, 11, 20));
    let journal = |file: &str, exercise: Option<&str>, started, verified| JournalStatus {
        file: PathBuf::from(file),
        verified,
        entries: 40,
        encrypted: true,
        readable: true,
        signature: if verified { "valid" } else { "none" }.to_owned(),
        head: None,
        incident: exercise.is_none().then(|| "Invoice fraud".to_owned()),
        exercise: exercise.map(str::to_owned),
        started: Some(started),
        runbooks: vec!["cyber/ransomware".to_owned()],
        summary: String::new(),
    };
    a.journals = vec![
        journal(
            "exercises/runs/may.jsonl",
            Some("exercise-0"),
            at(2025, 5, 20),
            true,
        ),
        journal(
            "exercises/runs/nov.jsonl",
            Some("exercise-0"),
            at(2026, 11, 20),
            true,
        ),
        journal(
            "journals/committed/fraud.jsonl",
            None,
            at(2026, 8, 3),
            false,
        ),
    ];
    let run = |file: &str, started, overall, isolate| RunScore {
        file: file.to_owned(),
        exercise: "exercise-0".to_owned(),
        started: Some(started),
        overall: Some(overall),
        objectives: vec![("isolate".to_owned(), Some(isolate))],
        runbooks: vec![("cyber/ransomware".to_owned(), Some(overall))],
        versions: vec![("cyber/ransomware".to_owned(), "abc1234".to_owned())],
        definition_changed: false,
        this_run: false,
    };
    a.runs = vec![
        run("exercises/runs/may.jsonl", at(2025, 5, 20), 55, 40),
        run("exercises/runs/nov.jsonl", at(2026, 11, 20), 85, 100),
    ];
    let lesson = |id: &str, status, owner: Option<&str>, due| TrackedLesson {
        id: id.to_owned(),
        category: crate::journal::LessonCategory::Action,
        text: format!("Lesson {id}"),
        source: "exercises/runs/may.jsonl".to_owned(),
        exercise: Some("exercise-0".to_owned()),
        incident: None,
        recorded: Some(at(2025, 5, 20)),
        owner: owner.map(str::to_owned),
        due,
        closure: None,
        status,
        gaps: if owner.is_none() {
            vec!["no owner".to_owned()]
        } else {
            Vec::new()
        },
    };
    let mut closed = lesson("may#41", Status::Closed, Some("ICT"), Some(day(2026, 7, 1)));
    closed.closure = Some(crate::lessons::ClosureCheck {
        by: "Sam Patel".to_owned(),
        on: day(2026, 6, 30),
        evidence: "commit 0a1b2c3d (2026-06-30, trusted (signed by sam@example.org)) changed cyber/ransomware.toml.age".to_owned(),
        proven: true,
    });
    a.lessons = vec![
        closed,
        lesson(
            "may#42",
            Status::Overdue,
            Some("Head of Finance"),
            Some(day(2026, 9, 30)),
        ),
        lesson("nov#30", Status::Open, None, Some(day(2027, 2, 28))),
    ];
    a.objective_d = caf::objective_d(&a);
    a.questions = caf::questions(&a);
    a.findings = a.find();
    a
}

/// Golden files of the three formats: what an assessor files.
#[test]
fn the_audit_in_every_format_matches_its_golden_file() {
    let a = rich();
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::assert_snapshot!("audit_text", a.text());
        insta::assert_snapshot!(
            "audit_json",
            serde_json::to_string_pretty(&a).unwrap_or_default()
        );
        insta::assert_snapshot!("audit_html", a.html());
    });
    // What the goldens must hold, said outright.
    let text = a.text();
    assert!(text.contains("Lessons OVERDUE (1): may#42"), "{text}");
    assert!(text.contains("2025-05-20 55% → 2026-11-20 85%"), "{text}");
    // A run older than a year is in the trend, not in the first page's answer.
    let first_page = text.split("NCSC CAF").next().unwrap_or_default();
    assert!(
        !first_page.contains("may.jsonl") && first_page.contains("nov.jsonl"),
        "{first_page}"
    );
    assert!(
        first_page.contains("in 1 exercise run in that time"),
        "{first_page}"
    );
    assert!(
        text.contains("grabbag's rule: partially achieved"),
        "{text}"
    );
}

#[test]
fn printed_coverage_is_a_matrix_while_it_fits_across_a4_then_a_list() {
    let few = audit(MATRIX_MAX_COLUMNS).html();
    assert!(few.contains("<th>exercise-5</th>"), "{few}");
    let many = audit(MATRIX_MAX_COLUMNS + 1).html();
    assert!(!many.contains("<th>exercise-0</th>"), "{many}");
    assert!(many.contains("<th>Planned in, not yet run</th>"), "{many}");
    assert!(
        many.contains("<td>exercise-0, exercise-1, exercise-2, exercise-3, exercise-4, exercise-5, exercise-6</td>"),
        "{many}"
    );
}
