//! Lint rules, one test vector each, pinned by running the real binary.
//!
//! Each `tests/data/lint/NAME.toml` has a `NAME.expected` holding the exit code
//! and exactly what `grabbag lint` prints. Run with `GRABBAG_BLESS=1` to rewrite
//! the expected files after a deliberate change, then review the diff.

use std::path::Path;

use crate::harness::{grabbag, run};

fn check_vector(name: &str) {
    let home = tempfile::tempdir().expect("temp dir");
    let file = format!("tests/data/lint/{name}.toml");
    let out = run(grabbag(home.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["lint", &file]));
    let actual = format!("exit: {}\n{}", out.code, out.stdout);
    let expected_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/lint/{name}.expected"));
    if std::env::var_os("GRABBAG_BLESS").is_some() {
        std::fs::write(&expected_path, &actual).expect("expected file written");
        return;
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run with GRABBAG_BLESS=1",
            expected_path.display()
        )
    });
    assert_eq!(actual, expected, "lint output for {file} changed");
}

macro_rules! vectors {
    ($($test:ident => $name:literal),* $(,)?) => {
        $( #[test] fn $test() { check_vector($name); } )*
    };
}

vectors! {
    valid_runbook_has_no_findings => "valid",
    toml_syntax_errors => "syntax",
    unknown_fields_suggest_a_fix => "unknown-field",
    missing_required_fields => "missing-required",
    duplicate_ids => "duplicate-ids",
    goto_and_clock_name_missing_steps => "missing-target",
    unreachable_steps => "unreachable",
    decision_cycles => "cycle",
    unknown_contacts => "unknown-contact",
    empty_runbook => "empty",
    overdue_review_is_a_warning => "review-overdue",
    wrong_types_and_values => "wrong-types",
    hostile_text_is_neutralised => "hostile",
    raw_control_characters_are_neutralised => "hostile-raw",
    grab_bag_themes_and_stages_are_known_words_given_together => "grab-bag",
    periods_in_working_days_and_months_but_not_from_awareness => "periods",
}

#[test]
fn every_vector_has_a_test() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lint");
    let count = std::fs::read_dir(dir)
        .expect("vectors folder")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .count();
    assert_eq!(
        count, 16,
        "a lint vector was added or removed: update the list above"
    );
}

#[test]
fn json_output_lists_findings_for_tools() {
    let home = tempfile::tempdir().expect("temp dir");
    let out = run(grabbag(home.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "lint",
            "--json",
            "tests/data/lint/unknown-contact.toml",
            "tests/data/lint/valid.toml",
        ]));
    assert_eq!(out.code, 1);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("lint --json prints JSON");
    assert_eq!(v["files"], 2);
    assert_eq!(v["errors"], 2);
    let first = &v["diagnostics"][0];
    assert_eq!(first["file"], "tests/data/lint/unknown-contact.toml");
    assert_eq!(first["line"], 17);
    assert_eq!(first["level"], "error");
    assert_eq!(first["message"], "unknown contact `nscs`");
}

#[test]
fn sample_runbooks_pass_lint() {
    let home = tempfile::tempdir().expect("temp dir");
    let out = run(grabbag(home.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["lint", "runbooks"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("23 files checked, 0 errors, 0 warnings"),
        "{}",
        out.stdout
    );
}

#[test]
fn documented_example_passes_lint() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/runbook-format.md"),
    )
    .expect("docs/runbook-format.md");
    let start = doc.find("```toml\n").expect("a toml example") + "```toml\n".len();
    let end = start + doc[start..].find("```").expect("closed example");
    let home = tempfile::tempdir().expect("temp dir");
    let file = home.path().join("example.toml");
    std::fs::write(&file, &doc[start..end]).expect("example written");
    let out = run(grabbag(home.path()).arg("lint").arg(&file));
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout
            .ends_with("1 file checked, 0 errors, 0 warnings\n"),
        "{}",
        out.stdout
    );
}
