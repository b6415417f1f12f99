//! CACAO 2.0 import and export through the real binary: every SOARCA example
//! imports (or is refused with its JSON path), the result lints, a runbook
//! exported from a real encrypted library validates against the official
//! schemas (and, where Python's jsonschema is installed, against an
//! independent validator too) and imports back to the same runbook.

use std::path::{Path, PathBuf};

use grabbag::runbook::{self, Runbook};

use crate::harness::{TestLibrary, grabbag, run};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/cacao")
        .join(name)
}

fn parse(path: &Path) -> Runbook {
    let text = std::fs::read_to_string(path).expect("runbook written");
    let checked = runbook::check("t.toml", &text, "t", chrono::NaiveDate::MIN);
    checked
        .runbook
        .unwrap_or_else(|| panic!("{}: {:?}", path.display(), checked.diagnostics))
}

#[test]
fn every_soarca_example_imports_and_lints_or_is_refused_clearly() {
    let home = tempfile::tempdir().unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(data("soarca")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        seen += 1;
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let out = home.path().join(format!("{name}.toml"));
        let import = run(grabbag(home.path())
            .args(["import", "cacao"])
            .arg(&path)
            .arg("-o")
            .arg(&out));
        match name.as_str() {
            "invalid_playbook" => {
                assert_eq!(import.code, 1, "{import:?}");
                assert!(
                    import.stderr.contains(
                        "error: /agent_definitions/http-api--7e9174ec-a293-43df-a72d-471c79e276bf/type"
                    ),
                    "{}",
                    import.stderr
                );
                assert!(import.stderr.contains("invalid_playbook.json"));
                assert!(!out.exists());
            }
            "infinite_playbook" => {
                assert_eq!(import.code, 1, "{import:?}");
                assert!(
                    import.stderr.contains(
                        "error: /workflow/action--6b23c237-ade8-4d00-9aa1-75999738d557/on_completion: loop with no exit"
                    ),
                    "{}",
                    import.stderr
                );
                assert!(!out.exists());
            }
            _ => {
                assert_eq!(import.code, 0, "{name}: {import:?}");
                assert!(import.stdout.contains("step(s)"), "{import:?}");
                let lint = run(grabbag(home.path()).arg("lint").arg(&out));
                assert_eq!(lint.code, 0, "{name}: {lint:?}");
                assert!(lint.stdout.contains("0 errors"), "{lint:?}");
                assert!(!parse(&out).steps.is_empty());
            }
        }
    }
    assert_eq!(seen, 8);
}

#[test]
fn check_validates_and_names_the_json_path() {
    let home = tempfile::tempdir().unwrap();
    let ok = run(grabbag(home.path())
        .args(["import", "cacao", "--check"])
        .arg(data("soarca/ssh-playbook.json")));
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(ok.stdout.contains("a valid CACAO 2.0 playbook"), "{ok:?}");

    let bad = run(grabbag(home.path())
        .args(["import", "cacao", "--check"])
        .arg(data("soarca/invalid_playbook.json")));
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(bad.stdout.contains("1 error(s)"), "{bad:?}");
    assert!(
        bad.stderr
            .contains("/agent_definitions/http-api--7e9174ec-a293-43df-a72d-471c79e276bf/type"),
        "{bad:?}"
    );
    let json = run(grabbag(home.path())
        .args(["import", "cacao", "--check", "--json"])
        .arg(data("soarca/invalid_playbook.json")));
    assert_eq!(json.code, 1, "{json:?}");
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["errors"], 1);
    assert_eq!(
        report["findings"][0]["path"],
        "/agent_definitions/http-api--7e9174ec-a293-43df-a72d-471c79e276bf/type"
    );
    assert_eq!(report["findings"][0]["level"], "error");

    // A dangling reference is named by the property that holds it.
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data("every-step-type.json")).unwrap())
            .unwrap();
    value["workflow"]["if-condition--5e1f0000-0000-4000-8000-000000000003"]["on_false"] =
        "end--5e1f0000-0000-4000-8000-0000000000ff".into();
    let dangling = home.path().join("dangling.json");
    std::fs::write(&dangling, value.to_string()).unwrap();
    let r = run(grabbag(home.path())
        .args(["import", "cacao", "--check"])
        .arg(&dangling));
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains(
            "error: /workflow/if-condition--5e1f0000-0000-4000-8000-000000000003/on_false: names step"
        ),
        "{r:?}"
    );
    assert!(r.stderr.contains("dangling.json"));

    let not_json = home.path().join("broken.json");
    std::fs::write(&not_json, "{\"type\": ").unwrap();
    let r = run(grabbag(home.path())
        .args(["import", "cacao"])
        .arg(&not_json));
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("not JSON"), "{r:?}");
    let missing = run(grabbag(home.path())
        .args(["import", "cacao"])
        .arg(home.path().join("nope.json")));
    assert_eq!(missing.code, 2, "{missing:?}");
}

/// Validates with Python's jsonschema when it is installed.
fn python_validates(file: &Path) -> Option<bool> {
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cacao/schemas");
    let out = std::process::Command::new("python3")
        .arg(data("validate.py"))
        .arg(schemas)
        .arg(file)
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("ModuleNotFoundError") {
        return None;
    }
    if !out.status.success() {
        eprintln!("{}{stderr}", String::from_utf8_lossy(&out.stdout));
    }
    Some(out.status.success())
}

#[test]
fn a_library_runbook_exports_validates_and_imports_back() {
    let ransomware = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/cyber/ransomware.toml"),
    )
    .unwrap();
    let lib = TestLibrary::with(&[("cyber/ransomware.toml", &ransomware)]);
    let out = lib.home.path().join("ransomware.json");
    let export = run(lib
        .grabbag()
        .args(["export", "cacao", "cyber/ransomware", "-o"])
        .arg(&out));
    assert_eq!(export.code, 0, "{export:?}");
    assert!(export.stdout.contains("valid against the official schemas"));
    let text = std::fs::read_to_string(&out).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["spec_version"], "cacao-2.0");
    assert_eq!(
        value["name"],
        "Ransomware: files encrypted or ransom note found"
    );

    // Valid by the embedded schemas, through the binary and the library...
    let check = run(lib.grabbag().args(["import", "cacao", "--check"]).arg(&out));
    assert_eq!(check.code, 0, "{check:?}");
    let findings = grabbag::cacao::check_json(&text);
    assert!(!findings.iter().any(|f| f.is_error()), "{findings:?}");
    // ...and by an independent validator where there is one.
    match python_validates(&out) {
        Some(valid) => assert!(valid, "python jsonschema refused the export"),
        None => eprintln!("SKIPPED python cross-check: python3 jsonschema is not installed"),
    }

    // Stable: a second export gives the same bytes; no silent overwrite.
    let again = run(lib.grabbag().args(["export", "cacao", "cyber/ransomware"]));
    assert_eq!(again.code, 0);
    assert_eq!(again.stdout, text);
    let refused = run(lib
        .grabbag()
        .args(["export", "cacao", "cyber/ransomware", "-o"])
        .arg(&out));
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("--force"), "{refused:?}");

    // Round trip: the same runbook comes back (ids, text, decisions, contacts, clocks).
    let back = lib.home.path().join("back.toml");
    let import = run(lib
        .grabbag()
        .args(["import", "cacao"])
        .arg(&out)
        .arg("-o")
        .arg(&back));
    assert_eq!(import.code, 0, "{import:?}");
    assert_eq!(import.stderr, "", "an export imports with no warnings");
    let original = runbook::check(
        "r.toml",
        &ransomware,
        "cyber/ransomware",
        chrono::NaiveDate::MIN,
    )
    .runbook
    .unwrap();
    let returned = parse(&back);
    assert_eq!(returned.id, "cyber/ransomware");
    assert!(!original.clocks.is_empty());
    assert_eq!(
        grabbag::cacao::differences(&original, &returned),
        Vec::<String>::new()
    );
    let unknown = run(lib.grabbag().args(["export", "cacao", "cyber/nope"]));
    assert_eq!(unknown.code, 2, "{unknown:?}");
    assert!(unknown.stderr.contains("no runbook with id"));
}

#[test]
fn a_playbook_with_every_step_type_round_trips_through_the_library() {
    let home = tempfile::tempdir().unwrap();
    let first = home.path().join("first.toml");
    let r = run(grabbag(home.path())
        .args(["import", "cacao"])
        .arg(data("every-step-type.json"))
        .arg("-o")
        .arg(&first));
    assert_eq!(r.code, 0, "{r:?}");
    for warned in ["/playbook_variables", "step_variables", "never runs them"] {
        assert!(r.stderr.contains(warned), "{warned}: {}", r.stderr);
    }
    let text = std::fs::read_to_string(&first).unwrap();
    let lib = TestLibrary::with(&[("cyber/mailbox.toml", &text)]);
    let out = lib.home.path().join("mailbox.json");
    let export = run(lib
        .grabbag()
        .args(["export", "cacao", "cyber/mailbox", "-o"])
        .arg(&out));
    assert_eq!(export.code, 0, "{export:?}");
    if let Some(valid) = python_validates(&out) {
        assert!(valid);
    }
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let kinds: Vec<&str> = value["workflow"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|s| s["type"].as_str())
        .collect();
    for kind in ["start", "end", "action", "if-condition", "switch-condition"] {
        assert!(kinds.contains(&kind), "{kind}: {kinds:?}");
    }
    let second = lib.home.path().join("second.toml");
    let r = run(lib
        .grabbag()
        .args(["import", "cacao"])
        .arg(&out)
        .arg("-o")
        .arg(&second));
    assert_eq!(r.code, 0, "{r:?}");
    let (a, b) = (parse(&first), parse(&second));
    assert_eq!(b.id, "cyber/mailbox");
    let mut a = a;
    a.id = b.id.clone();
    assert_eq!(grabbag::cacao::differences(&a, &b), Vec::<String>::new());
}

#[test]
fn hostile_text_never_reaches_the_terminal_raw() {
    let home = tempfile::tempdir().unwrap();
    let mut value: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data("soarca/manual-playbook.json")).unwrap(),
    )
    .unwrap();
    let evil = format!(
        "\u{1b}[2J\u{1b}]0;pwned\u{7}<b>bold</b>\u{202e}{}",
        "y".repeat(10_000)
    );
    value["name"] = evil.clone().into();
    value["description"] = evil.clone().into();
    value[evil.clone()] = "unknown property".into();
    let file = home.path().join("evil.json");
    std::fs::write(&file, value.to_string()).unwrap();
    let r = run(grabbag(home.path()).args(["import", "cacao"]).arg(&file));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for out in [&r.stdout, &r.stderr] {
        assert!(!out.contains('\u{1b}'));
        assert!(!out.contains('\u{7}'));
        assert!(!out.contains('\u{202e}'));
    }
    assert!(r.stdout.contains("\\u001B[2J"), "escaped in the TOML");
    assert!(r.stderr.contains("\\u{1b}"), "escaped in the warnings");
}
