//! The audit's LGA grab-bag coverage (themes by stage), through the real
//! binary: a library that maps itself gets its empty cells named and a
//! finding per missing theme; the demo library of the samples has none.

use crate::harness::{Demo, TestLibrary, run, runbook_text};

#[test]
fn the_audit_names_empty_cells_and_reports_themes_no_runbook_serves() {
    let mapped = runbook_text("cyber/mapped", "Mapped").replace(
        "summary = \"Test runbook.\"\n",
        "summary = \"Test runbook.\"\nthemes = [\"protecting-data\", \"elected-members\"]\nstages = [\"identify\"]\n",
    );
    let lib = TestLibrary::with(&[
        ("cyber/mapped.toml", &mapped),
        ("cyber/plain.toml", &runbook_text("cyber/plain", "Plain")),
    ]);
    let out = run(lib.grabbag().args(["audit"]));
    assert_eq!(out.code, 1, "findings exit 1: {}", out.stderr);
    let text = out.stdout;
    assert!(
        text.contains(
            "Grab-bag themes no runbook serves (5): healthy-teaming, delivering-services, \
             restoring-systems, government-and-law-enforcement, informing-and-supporting"
        ),
        "{text}"
    );
    let table = text
        .split("GRAB-BAG THEMES BY STAGE")
        .nth(1)
        .expect("the coverage table");
    let row = |theme: &str| {
        table
            .lines()
            .find(|l| l.trim_start().starts_with(theme))
            .unwrap_or_else(|| panic!("no row {theme} in {table}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        row("Protecting data"),
        "Protecting data 1 (0 exercised) EMPTY EMPTY EMPTY"
    );
    assert_eq!(
        row("Healthy teaming"),
        "Healthy teaming EMPTY EMPTY EMPTY EMPTY"
    );
    assert!(
        table.contains("Empty cells (26): healthy-teaming at identify,"),
        "{table}"
    );
    assert!(
        table.contains("Runbooks that declare no theme (1): cyber/plain"),
        "{table}"
    );
    assert!(table.contains("cyber/mapped (never)"), "{table}");

    // `show` says what a runbook serves.
    let out = run(lib.grabbag().args(["show", "cyber/mapped"]));
    assert!(
        out.stdout
            .contains("LGA grab bag: protecting-data, elected-members at identify"),
        "{}",
        out.stdout
    );

    let out = run(lib.grabbag().args(["audit", "--json"]));
    let audit: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let grab_bag = &audit["grab_bag"];
    assert_eq!(grab_bag["empty_cells"].as_array().map(Vec::len), Some(26));
    assert_eq!(grab_bag["empty_themes"][0], "healthy-teaming");
    assert_eq!(grab_bag["cells"][12]["theme"], "protecting-data");
    assert_eq!(grab_bag["cells"][12]["stage"], "identify");
    assert_eq!(
        grab_bag["cells"][12]["runbooks"][0]["runbook"],
        "cyber/mapped"
    );
}

#[test]
fn the_demo_library_serves_every_theme_with_exercised_dates() {
    let demo = Demo::build();
    let out = run(demo.grabbag().args(["audit", "--json"]));
    let audit: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let grab_bag = &audit["grab_bag"];
    assert_eq!(
        grab_bag["empty_themes"],
        serde_json::json!([]),
        "{grab_bag}"
    );
    assert_eq!(grab_bag["undeclared"], serde_json::json!([]), "{grab_bag}");
    // The recorded runs opened cyber/ransomware: its cells carry the date.
    let ransomware = grab_bag["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .flat_map(|c| c["runbooks"].as_array().cloned().unwrap_or_default())
        .find(|s| s["runbook"] == "cyber/ransomware")
        .expect("ransomware in a cell");
    assert!(ransomware["last_exercised"].is_string(), "{ransomware}");
    let findings = audit["findings"].to_string();
    assert!(!findings.contains("Grab-bag"), "{findings}");
}
