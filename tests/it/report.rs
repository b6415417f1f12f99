//! Reports through the real binary: `journal export` in every format against
//! golden files, hostile text inert in each (HTML checked by a real HTML
//! parser, CSV by a real CSV reader), encrypted and merged journals.
//!
//! The golden journal is crafted with the library API at fixed times, so the
//! exports are byte-stable. `tests/data/exports/journal.FORMAT` holds each
//! expected export; run with `GRABBAG_BLESS=1` to rewrite them after a
//! deliberate change, then review the diff.

use std::path::{Path, PathBuf};

use grabbag::journal::entry::plaintext_journal;
use grabbag::journal::{Actor, Event};

use crate::harness::{Run, TestLibrary, grabbag, run, runbook_text};

/// Text a hostile runbook author or note writer might use.
pub const SCRIPT: &str = "<script>alert('x')</script>";
pub const FORMULA: &str = "=HYPERLINK(\"http://x\",\"click\")";
pub const ESCAPES: &str = "red \u{1b}[31malert\u{1b}[0m \u{1b}]0;title\u{7}";

fn actor(name: &str, role: &str) -> Actor {
    Actor {
        name: name.to_owned(),
        role: role.to_owned(),
    }
}

/// A plaintext journal at fixed times (90 s apart, local offset +01:00),
/// from `events` (actor, event, ex_t).
fn crafted(start: &str, events: Vec<(Actor, Event, Option<u64>)>) -> Vec<u8> {
    let start = chrono::DateTime::parse_from_rfc3339(start)
        .expect("start time")
        .with_timezone(&chrono::Utc);
    plaintext_journal(start, 90_000, "+01:00", events).expect("journal serialises")
}

fn session(incident: &str) -> Event {
    Event::SessionStarted {
        library: None,
        grabbag: "0.1.0".to_owned(),
        host: "laptop-7".to_owned(),
        incident: Some(incident.to_owned()),
        exercise: None,
        plaintext: true,
        resumed: false,
    }
}

/// The golden journal: every kind of hostile text, a decision, a correction.
fn golden_journal() -> Vec<u8> {
    let sam = actor("Sam Patel", "Incident Lead (Silver)");
    let rb = "cyber/ransomware".to_owned();
    let step = |s: &str| s.to_owned();
    crafted(
        "2026-06-01T08:00:00Z",
        vec![
            (sam.clone(), session("Ransomware, \"Town Hall\""), None),
            (
                sam.clone(),
                Event::RunbookOpened {
                    runbook: rb.clone(),
                    title: format!("Ransomware {SCRIPT}"),
                    commit: Some("1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d".to_owned()),
                    blob: Some("0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c".to_owned()),
                    dirty: false,
                    unencrypted: false,
                    trust: "signed by ict-security@council.example".to_owned(),
                },
                Some(0),
            ),
            (
                sam.clone(),
                Event::StepStarted {
                    runbook: rb.clone(),
                    step: step("isolate"),
                },
                Some(90_000),
            ),
            (
                sam.clone(),
                Event::CheckTicked {
                    runbook: rb.clone(),
                    step: step("isolate"),
                    check: 0,
                    text: FORMULA.to_owned(),
                },
                Some(180_000),
            ),
            (
                sam.clone(),
                Event::StepDone {
                    runbook: rb.clone(),
                    step: step("isolate"),
                },
                Some(270_000),
            ),
            (
                sam.clone(),
                Event::Decision {
                    runbook: rb.clone(),
                    step: step("personal-data"),
                    option: "Yes, or \"unsure\"".to_owned(),
                    goto: "notify-dpo".to_owned(),
                    rationale: format!("HR share touched; {ESCAPES}"),
                },
                Some(360_000),
            ),
            (
                actor("Jo <b>Bloggs</b>", "Loggist"),
                Event::Note {
                    text: "@SUM(1,2) called NCSC, ref 1234\nsecond line, with a comma".to_owned(),
                    happened_at: None,
                },
                Some(450_000),
            ),
            (
                sam.clone(),
                Event::Correction {
                    of: 7,
                    replacement: "-called NCSC at 09:05, ref 1243 <i>typo</i>".to_owned(),
                },
                Some(540_000),
            ),
            (sam, Event::SessionEnded { reason: None }, Some(630_000)),
        ],
    )
}

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

pub fn check_golden(name: &str, actual: &str) {
    let path = data(&format!("tests/data/exports/{name}"));
    if std::env::var_os("GRABBAG_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, actual).expect("golden written");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing: run with GRABBAG_BLESS=1", path.display()));
    assert_eq!(
        actual, expected,
        "{name} changed (GRABBAG_BLESS=1 to accept)"
    );
}

/// Writes the golden journal into a temp dir and exports it in `format`.
fn export(dir: &Path, file: &str, format: &str) -> Run {
    run(grabbag(dir)
        .current_dir(dir)
        .args(["journal", "export", file, "--format", format]))
}

fn assert_inert_everywhere(text: &str, format: &str) {
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{format}: a raw control character got through"
    );
}

#[test]
fn exports_match_golden_files_and_hostile_text_is_inert() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("journal.jsonl"), golden_journal()).expect("journal written");
    for (format, ext) in [
        ("md", "md"),
        ("html", "html"),
        ("csv", "csv"),
        ("json", "json"),
        ("timesketch", "jsonl"),
    ] {
        let out = export(dir.path(), "journal.jsonl", format);
        assert_eq!(out.code, 0, "{format}: {}", out.stderr);
        check_golden(&format!("journal.{ext}"), &out.stdout);
        assert_inert_everywhere(&out.stdout, format);
    }
}

#[test]
fn html_export_is_well_formed_script_free_and_hostile_text_is_only_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("journal.jsonl"), golden_journal()).expect("journal written");
    let out = export(dir.path(), "journal.jsonl", "html");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = check_html(&out.stdout);
    assert!(text.contains(SCRIPT), "the runbook title is shown as text");
    assert!(
        text.contains("Jo <b>Bloggs</b>"),
        "the actor is shown as text"
    );
    assert!(text.contains("Chain intact: 9 entries"), "{text}");
    // The corrected note is struck through beside its replacement.
    let doc = scraper::Html::parse_document(&out.stdout);
    let del = scraper::Selector::parse("tr.corrected del").expect("selector");
    let ins = scraper::Selector::parse("tr.corrected ins").expect("selector");
    let struck: String = doc.select(&del).flat_map(|e| e.text()).collect();
    let replaced: String = doc.select(&ins).flat_map(|e| e.text()).collect();
    assert!(struck.contains("@SUM(1,2) called NCSC"), "{struck}");
    assert!(replaced.contains("ref 1243 <i>typo</i>"), "{replaced}");
    assert!(
        out.stdout.contains("@page{size:A4"),
        "a print stylesheet for A4"
    );
}

/// Parses `html` with a real HTML parser and checks it is a complete page
/// with no parse errors, no script, no event handler, and only our own
/// elements; returns its text.
pub fn check_html(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    assert!(
        doc.errors.is_empty(),
        "the HTML has parse errors: {:?}",
        doc.errors
    );
    let allowed = [
        "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "section", "p", "ul",
        "li", "table", "thead", "tbody", "tr", "th", "td", "span", "del", "ins", "br", "div",
        "strong", "pre", "ol", "wbr",
    ];
    for node in doc.tree.nodes() {
        if let Some(el) = node.value().as_element() {
            assert!(
                allowed.contains(&el.name()),
                "unexpected element <{}> in the HTML",
                el.name()
            );
            for (name, _) in el.attrs() {
                assert!(
                    !name.starts_with("on") && name != "href" && name != "src",
                    "unexpected attribute {name} on <{}>",
                    el.name()
                );
            }
        }
    }
    doc.root_element().text().collect()
}

#[test]
fn csv_export_reads_back_with_formulas_neutralised() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("journal.jsonl"), golden_journal()).expect("journal written");
    let out = export(dir.path(), "journal.jsonl", "csv");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let body = out.stdout.strip_prefix('\u{FEFF}').expect("a UTF-8 BOM");
    let mut reader = csv::ReaderBuilder::new().from_reader(body.as_bytes());
    let head = reader.headers().expect("header row").clone();
    assert_eq!(&head[1], "seq");
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("every record parses");
    assert_eq!(rows.len(), 1 + 9, "integrity row, then nine entries");
    assert_eq!(&rows[0][6], "integrity");
    assert!(rows[0][8].starts_with("VERIFIED"), "{}", &rows[0][8]);
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a cell a spreadsheet would run: {cell:?}"
            );
        }
    }
    assert!(rows.iter().any(|r| r[8] == format!("ticked: {FORMULA}")));
    assert!(rows.iter().any(|r| r[10].starts_with("'-called NCSC")));
    assert!(rows.iter().any(|r| r[8].starts_with("note: @SUM(1,2)")));
}

#[test]
fn json_and_timesketch_exports_parse_and_carry_what_is_documented() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("journal.jsonl"), golden_journal()).expect("journal written");
    let out = export(dir.path(), "journal.jsonl", "json");
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(doc["format"], "grabbag-export");
    assert_eq!(doc["verified"], true);
    assert_eq!(doc["files"][0]["entries"], 9);
    assert_eq!(doc["entries"][6]["corrected_by"][0]["seq"], 8);
    assert_eq!(
        doc["runbook_versions"][0]["commit"],
        "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
    );
    let out = export(dir.path(), "journal.jsonl", "timesketch");
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 9);
    for line in &lines {
        for key in ["message", "datetime", "timestamp_desc"] {
            assert!(line[key].is_string(), "{key} missing in {line}");
        }
        chrono::DateTime::parse_from_rfc3339(line["datetime"].as_str().unwrap_or_default())
            .expect("datetime is ISO 8601");
    }
    assert_eq!(lines[5]["event_type"], "decision");
    assert_eq!(lines[5]["runbook"], "cyber/ransomware");
}

#[test]
fn a_tampered_journal_exports_with_its_failure_at_the_top_and_exit_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = golden_journal();
    let text = String::from_utf8(good).expect("utf-8");
    let bad = text.replacen("ref 1234", "ref 9999", 1);
    std::fs::write(dir.path().join("bad.jsonl"), bad).expect("journal written");
    let out = export(dir.path(), "bad.jsonl", "md");
    assert_eq!(out.code, 1, "{}", out.stderr);
    let integrity = out.stdout.split("## Timeline").next().unwrap_or_default();
    assert!(
        integrity.contains("FAILED") && integrity.contains("Chain BROKEN at seq 7"),
        "{integrity}"
    );
    assert!(out.stderr.contains("FAILED"), "{}", out.stderr);
}

#[test]
fn encrypted_journal_exports_with_the_identity_and_only_integrity_without() {
    let lib = TestLibrary::with(&[("cyber/test.toml", &runbook_text("cyber/test", "Test"))]);
    let journal = lib.home.path().join("enc.jsonl");
    let out = run(lib.grabbag().args([
        "note",
        "--actor",
        "Sam",
        journal.to_str().expect("utf-8"),
        &format!("secret {SCRIPT}"),
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(lib.grabbag().args([
        "journal",
        "export",
        journal.to_str().expect("utf-8"),
        "--format",
        "html",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = check_html(&out.stdout);
    assert!(text.contains(&format!("note: secret {SCRIPT}")), "{text}");
    assert!(text.contains("read with the identity given"), "{text}");
    // Without the identity: integrity, no content.
    let out = run(grabbag(lib.home.path()).args([
        "journal",
        "export",
        journal.to_str().expect("utf-8"),
        "--format",
        "md",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("secret"), "{}", out.stdout);
    assert!(
        out.stdout.contains("no identity could open it"),
        "{}",
        out.stdout
    );
}

#[test]
fn export_writes_a_file_and_will_not_overwrite_without_force() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("journal.jsonl"), golden_journal()).expect("journal written");
    let args = [
        "journal",
        "export",
        "journal.jsonl",
        "--format",
        "html",
        "-o",
        "out.html",
    ];
    let out = run(grabbag(dir.path()).current_dir(dir.path()).args(args));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let written = std::fs::read_to_string(dir.path().join("out.html")).expect("file written");
    check_html(&written);
    let again = run(grabbag(dir.path()).current_dir(dir.path()).args(args));
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
}

/// A runbook whose every field carries hostile text.
fn hostile_runbook() -> String {
    format!(
        r#"id = "cyber/hostile"
title = "Hostile {script} runbook"
kind = "cyber"
severity = "high"
owner = "Owner, \"quoted\""
reviewed = 2026-09-01
review_every_months = 120
summary = "Summary with {formula} and a comma, and \u001b[2J escapes."

[[contacts]]
id = "ncsc"
name = "NCSC <img src=x onerror=alert(1)>"
phone = "=1+1"
when = "Always, \"now\""

[[clocks]]
id = "ico"
label = "Report {script}"
due_after = "72h"
starts_on = "first"

[[steps]]
id = "first"
title = "{script} first"
do = "Type \u001b]0;owned\u0007 and {formula}"
checks = ["{formula}", "@SUM(1,2)", "-2+3"]
contacts = ["ncsc"]

[[steps]]
id = "second"
title = "Decide, \"now\""
[steps.decision]
question = "Which? {script}"
options = [
  {{ label = "{formula}", goto = "third" }},
  {{ label = "Stop", goto = "end" }},
]

[[steps]]
id = "third"
title = "-3 'single' quotes"
"#,
        script = SCRIPT.replace('"', "\\\""),
        formula = FORMULA.replace('"', "\\\""),
    )
}

/// Replaces what changes from run to run (paths, dates, commit ids).
fn normalise(text: &str, lib: &TestLibrary, id: &str) -> String {
    let out = run(lib.grabbag().args(["list", "--json"]));
    let list: serde_json::Value = serde_json::from_str(&out.stdout).expect("list --json");
    let mut text = text.replace(&lib.root.display().to_string(), "LIBRARY");
    let today = chrono::Local::now().date_naive().to_string();
    text = text.replace(&today, "TODAY");
    for r in list["runbooks"].as_array().expect("runbooks") {
        if r["runbook"]["id"] == id {
            for key in ["commit", "blob"] {
                if let Some(hex) = r["version"][key].as_str() {
                    text = text.replace(&hex[..8], &key.to_uppercase());
                }
            }
        }
    }
    text
}

#[test]
fn paper_pack_matches_golden_files_prints_on_a4_and_hostile_text_is_inert() {
    let lib = TestLibrary::with(&[
        ("cyber/hostile.toml", &hostile_runbook()),
        ("cyber/test.toml", &runbook_text("cyber/test", "Test")),
    ]);
    let out = run(lib
        .grabbag()
        .args(["print", "cyber/hostile", "--format", "txt"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_inert_everywhere(&out.stdout, "txt pack");
    assert!(out.stdout.contains("DECISION LOG 2/2"), "{}", out.stdout);
    check_golden("pack.txt", &normalise(&out.stdout, &lib, "cyber/hostile"));

    let pack = lib.home.path().join("pack.html");
    let out = run(lib
        .grabbag()
        .args(["print", "--all", "-o", pack.to_str().expect("utf-8")]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let html = std::fs::read_to_string(&pack).expect("pack written");
    assert_inert_everywhere(&html, "html pack");
    let text = check_html(&html);
    for hostile in [
        format!("Hostile {SCRIPT} runbook"),
        format!("{SCRIPT} first"),
        "NCSC <img src=x onerror=alert(1)>".to_owned(),
        FORMULA.to_owned(),
    ] {
        assert!(text.contains(&hostile), "{hostile} is shown as text");
    }
    let doc = scraper::Html::parse_document(&html);
    let count = |css: &str| {
        doc.select(&scraper::Selector::parse(css).expect("selector"))
            .count()
    };
    assert_eq!(count("section.runbook"), 2, "one section per runbook");
    assert_eq!(count("section.sheet"), 4, "two decision-log sheets each");
    assert!(html.contains("@page{size:A4") && html.contains("break-before:page"));
    // A single runbook, for the golden file.
    let out = run(lib.grabbag().args(["print", "cyber/hostile"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    check_golden("pack.html", &normalise(&out.stdout, &lib, "cyber/hostile"));

    let out = run(lib.grabbag().args(["print", "no/such"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("no runbook with id `no/such`"),
        "{}",
        out.stderr
    );
}

/// An exercise run (or response, with `exercise` None) that opened `runbooks`.
fn run_journal(start: &str, exercise: Option<&str>, runbooks: &[&str]) -> Vec<u8> {
    let sam = actor("Sam Patel", "Exercise lead");
    let mut events = vec![(
        sam.clone(),
        Event::SessionStarted {
            library: None,
            grabbag: "0.1.0".to_owned(),
            host: "laptop-7".to_owned(),
            incident: Some(format!("Drill {SCRIPT}")),
            exercise: exercise.map(str::to_owned),
            plaintext: true,
            resumed: false,
        },
        exercise.map(|_| 0),
    )];
    for id in runbooks {
        events.push((
            sam.clone(),
            Event::RunbookOpened {
                runbook: (*id).to_owned(),
                title: "t".to_owned(),
                commit: None,
                blob: None,
                dirty: false,
                unencrypted: false,
                trust: "not checked".to_owned(),
            },
            exercise.map(|_| 1000),
        ));
    }
    crafted(start, events)
}

/// A small valid exercise (format v1) playing `runbooks`, with one manual
/// expectation so it needs no step of theirs.
fn exercise_text(id: &str, title: &str, runbooks: &[&str]) -> String {
    let listed: Vec<String> = runbooks.iter().map(|r| format!("{r:?}")).collect();
    format!(
        "format = 1\nid = {id:?}\ntitle = {title:?}\nbrief = \"A drill.\"\naudience = \"Silver\"\n\
         duration = \"30m\"\nrunbooks = [{}]\n\n[[objectives]]\nid = \"o\"\ntext = \"Respond\"\n\n\
         [[injects]]\nid = \"call\"\nat = \"0m\"\nfrom = \"Service desk\"\nchannel = \"phone\"\n\
         text = \"Files renamed.\"\n\n[[injects.expect]]\nid = \"judged\"\nkind = \"manual\"\n\
         description = \"The lead responds\"\nobjectives = [\"o\"]\n",
        listed.join(", ")
    )
}

#[test]
fn audit_reports_reviews_signatures_exercises_coverage_and_journals() {
    let overdue = runbook_text("cyber/overdue", "Overdue")
        .replace("reviewed = 2026-09-01", "reviewed = 2020-01-01")
        .replace("review_every_months = 120", "review_every_months = 12");
    let lib = TestLibrary::with(&[
        ("cyber/overdue.toml", &overdue),
        (
            "cyber/drilled.toml",
            &runbook_text("cyber/drilled", "Drilled"),
        ),
        ("cyber/hostile.toml", &hostile_runbook()),
    ]);
    let root = &lib.root;
    // A plaintext draft, never committed.
    std::fs::write(
        root.join("cyber/draft.toml"),
        runbook_text("cyber/draft", "Draft"),
    )
    .expect("draft written");
    let write = |rel: &str, bytes: &[u8]| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("written");
    };
    write(
        "exercises/drill.toml",
        exercise_text("drill", "Friday drill", &["cyber/drilled", "cyber/overdue"]).as_bytes(),
    );
    write(
        "exercises/old.toml",
        exercise_text("old", "Old drill", &["cyber/hostile"]).as_bytes(),
    );
    // Read by the exercise module's reader: a file it refuses is a finding,
    // not a definition.
    write("exercises/broken.toml", b"format = 1\ntitel = \"typo\"\n");
    let now = chrono::Utc::now();
    let recent = (now - chrono::TimeDelta::days(30)).to_rfc3339();
    let long_ago = (now - chrono::TimeDelta::days(800)).to_rfc3339();
    write(
        "exercises/runs/drill.jsonl",
        &run_journal(&recent, Some("drill"), &["cyber/drilled"]),
    );
    write(
        "exercises/runs/old.jsonl",
        &run_journal(&long_ago, Some("old"), &["cyber/hostile"]),
    );
    write(
        "journals/2026-incident.jsonl",
        &run_journal(&recent, None, &["cyber/overdue"]),
    );
    let tampered = String::from_utf8(run_journal(&recent, None, &["cyber/drilled"]))
        .expect("utf-8")
        .replacen("laptop-7", "laptop-8", 1);
    write("journals/tampered.jsonl", tampered.as_bytes());

    let out = run(lib.grabbag().args(["audit", "--json"]));
    assert_eq!(out.code, 1, "findings exit 1: {}", out.stderr);
    let audit: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let findings: Vec<&str> = audit["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    let finding = |start: &str| {
        findings
            .iter()
            .find(|f| f.starts_with(start))
            .copied()
            .unwrap_or_else(|| panic!("no finding {start:?} in {findings:?}"))
    };
    assert_eq!(
        finding("Review overdue"),
        "Review overdue (1): cyber/overdue"
    );
    assert!(finding("UNENCRYPTED").contains("cyber/draft"));
    assert!(finding("Changed since their commit").contains("cyber/draft"));
    assert!(finding("Not signed").contains("cyber/drilled"));
    let never = finding("Never exercised");
    assert!(
        never.contains("cyber/overdue") && never.contains("cyber/draft"),
        "{never}"
    );
    assert!(
        !never.contains("cyber/drilled") && !never.contains("cyber/hostile"),
        "{never}"
    );
    assert_eq!(
        finding("Exercises not run"),
        "Exercises not run in the last 12 months (1): old"
    );
    assert_eq!(
        finding("Exercise files that could not be read"),
        "Exercise files that could not be read (1): exercises/broken.toml"
    );
    assert_eq!(audit["exercises"].as_array().expect("exercises").len(), 2);
    assert_eq!(audit["exercise_problems"][0][0], "exercises/broken.toml");
    assert_eq!(
        finding("Journals that FAIL"),
        "Journals that FAIL verification (1): journals/tampered.jsonl"
    );
    let drilled = audit["runbooks"]
        .as_array()
        .expect("runbooks")
        .iter()
        .find(|r| r["id"] == "cyber/drilled")
        .expect("drilled");
    assert_eq!(drilled["planned_in"][0], "drill");
    assert!(drilled["last_exercised"].is_string());

    // Text: the coverage matrix (planned but never run shows as planned).
    let out = run(lib.grabbag().args(["audit"]));
    assert_eq!(out.code, 1);
    assert_inert_everywhere(&out.stdout, "audit text");
    let matrix = out.stdout.split("\nCOVERAGE (").nth(1).expect("coverage");
    let line = |id: &str| {
        matrix
            .lines()
            .find(|l| l.trim_start().starts_with(id))
            .unwrap_or_else(|| panic!("{id} in {matrix}"))
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
    };
    assert_eq!(line("cyber/drilled"), ["run"]);
    assert_eq!(line("cyber/overdue"), ["planned"]);
    assert_eq!(line("cyber/hostile"), ["run"]);

    // HTML: one page, parsed, hostile runbook title and incident inert.
    let out = run(lib.grabbag().args(["audit", "--html"]));
    assert_eq!(out.code, 1);
    let text = check_html(&out.stdout);
    assert!(text.contains("Journals that FAIL verification"), "{text}");
    assert!(text.contains(&format!("Drill {SCRIPT}")), "{text}");
}

#[test]
fn versions_followed_are_compared_with_head_through_the_encrypted_blobs() {
    use grabbag::journal::verify::VerifyOptions;
    use grabbag::report::diff::{Comparison, against_head};
    use grabbag::report::{Input, Timeline};

    let v1 = runbook_text("cyber/test", "Test");
    let lib = TestLibrary::with(&[("cyber/test.toml", &v1)]);
    let path = Path::new("cyber/test.toml.age");
    let blob = lib
        .library
        .head_blob(path)
        .expect("head")
        .expect("committed");
    let journal = crafted(
        "2026-06-01T08:00:00Z",
        vec![
            (actor("Sam", "Lead"), session("Drill"), None),
            (
                actor("Sam", "Lead"),
                Event::RunbookOpened {
                    runbook: "cyber/test".to_owned(),
                    title: "Test".to_owned(),
                    commit: None,
                    blob: Some(blob.clone()),
                    dirty: false,
                    unencrypted: false,
                    trust: "not checked".to_owned(),
                },
                None,
            ),
        ],
    );
    let read = |library: &grabbag::library::Library| {
        let timeline = Timeline::read(
            &[Input {
                path: Path::new("j.jsonl"),
                bytes: &journal,
            }],
            &VerifyOptions::default(),
            None,
            &Vec::<grabbag::runbook::Runbook>::new(),
        )
        .expect("timeline");
        against_head(&timeline, library, Some(&lib.identities))
    };
    let same = read(&lib.library);
    assert_eq!(same.len(), 1);
    assert_eq!(same[0], Comparison::Same);
    // A new version at HEAD: the diff says what changed since.
    let v2 = v1.replace("First step", &format!("First step {SCRIPT}"));
    lib.library
        .write_encrypted(path, v2.as_bytes(), &lib.identities)
        .expect("sealed");
    lib.library.stage(&[path]).expect("staged");
    lib.library.commit("Change step", None).expect("committed");
    let changed = read(&lib.library);
    let Comparison::Changed(lines) = &changed[0] else {
        panic!("expected a diff, got {:?}", changed[0]);
    };
    assert!(
        lines.contains(&"-title = \"First step\"".to_owned()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&format!("+title = \"First step {SCRIPT}\"")),
        "{lines:?}"
    );
    // The export says so too, through the real binary, with the library.
    let file = lib.home.path().join("j.jsonl");
    std::fs::write(&file, &journal).expect("written");
    let file = file.to_str().expect("utf-8");
    let out = run(lib
        .grabbag()
        .args(["journal", "export", file, "--format", "html"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = check_html(&out.stdout);
    assert!(text.contains("CHANGED at HEAD"), "{text}");
    assert!(
        text.contains(&format!("+title = \"First step {SCRIPT}\"")),
        "{text}"
    );
    let out = run(lib
        .grabbag()
        .args(["journal", "export", file, "--format", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(
        doc["runbook_versions"][0]["against_head"]["status"],
        "changed"
    );
}

#[test]
fn a_merged_timeline_exports_as_one_timeline_of_its_sources() {
    let dir = tempfile::tempdir().expect("temp dir");
    let alice = crafted(
        "2026-06-01T08:00:00Z",
        vec![
            (actor("Alice", "Lead"), session("Outage"), None),
            (
                actor("Alice", "Lead"),
                Event::Note {
                    text: "phones down".to_owned(),
                    happened_at: None,
                },
                None,
            ),
        ],
    );
    let bob = crafted(
        "2026-06-01T08:00:45Z",
        vec![
            (actor("Bob", "ICT"), session("Outage"), None),
            (
                actor("Bob", "ICT"),
                Event::Note {
                    text: format!("switch room {SCRIPT}"),
                    happened_at: None,
                },
                None,
            ),
        ],
    );
    std::fs::write(dir.path().join("alice.jsonl"), alice).expect("written");
    std::fs::write(dir.path().join("bob.jsonl"), bob).expect("written");
    let out = run(grabbag(dir.path()).current_dir(dir.path()).args([
        "journal",
        "merge",
        "alice.jsonl",
        "bob.jsonl",
        "-o",
        "all.jsonl",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = export(dir.path(), "all.jsonl", "json");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(doc["files"][0]["format"], "merge");
    let order: Vec<(String, u64)> = doc["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["journal"].as_str().unwrap_or_default().to_owned(),
                e["seq"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    let expected: Vec<(String, u64)> = [
        ("alice.jsonl", 1),
        ("bob.jsonl", 1),
        ("alice.jsonl", 2),
        ("bob.jsonl", 2),
    ]
    .iter()
    .map(|(j, s)| ((*j).to_owned(), *s))
    .collect();
    assert_eq!(order, expected);
    let out = export(dir.path(), "all.jsonl", "html");
    let text = check_html(&out.stdout);
    assert!(text.contains("source 1 bob.jsonl: 2 entries"), "{text}");
    assert!(
        text.contains(&format!("note: switch room {SCRIPT}")),
        "{text}"
    );
}
