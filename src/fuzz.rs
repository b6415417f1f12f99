//! One entry point per parser that reads outside input, for fuzzing.
//!
//! Everything grabbag reads from a file someone else could have written goes
//! through a parser here: runbooks (from any author), journals and merged
//! timelines (from any laptop), the library's recipients and allowed_signers
//! files and its commits' signatures (from a USB stick), git bundle headers,
//! the user's config file, exercise definitions (from any facilitator) and
//! CACAO playbooks (from partners and vendors). Each function below feeds one parser arbitrary
//! bytes and panics only when the parser breaks a promise: it panicked itself,
//! or an error does not say where the problem is, or a diagnostic would put a
//! raw control character on the terminal.
//!
//! The same functions serve two runners, so what the fuzzer checks and what
//! the test suite checks cannot drift apart:
//! - `fuzz/` (cargo-fuzz, libFuzzer): one target file per entry of
//!   [`TARGETS`], each one line long; see `docs/SECURITY.md` for how to run
//!   them and what they found.
//! - `tests/it/fuzz.rs`: a bounded, deterministic mutation run over the seed
//!   files of every target, inside `cargo test`.
//!
//! Adding a parser: write a function here, add it to [`TARGETS`] with its
//! seed folders, and add `fuzz/fuzz_targets/NAME.rs` plus its `[[bin]]` in
//! `fuzz/Cargo.toml`.

use std::io::Cursor;
use std::path::Path;

use crate::config::Config;
use crate::crypto::Recipients;
use crate::journal::{self, VerifyOptions};
use crate::library::sync::{HeaderError, read_bundle_header};
use crate::library::trust::split_signed_commit;
use crate::signing::{AllowedSigners, GIT_NAMESPACE};

/// A parser to fuzz: its name (also the cargo-fuzz target's), the function
/// that exercises it, and the folders (relative to the crate root) whose files
/// seed it.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// The target's name.
    pub name: &'static str,
    /// Feeds the parser one input; panics when a promise is broken.
    pub run: fn(&[u8]),
    /// Seed folders, relative to the crate root.
    pub seeds: &'static [&'static str],
}

/// Every fuzz target.
pub const TARGETS: &[Target] = &[
    Target {
        name: "runbook",
        run: runbook,
        seeds: &["runbooks/cyber", "runbooks/continuity", "tests/data/lint"],
    },
    Target {
        name: "journal",
        run: journal,
        seeds: &["tests/data/fuzz/journal"],
    },
    Target {
        name: "recipients",
        run: recipients,
        seeds: &["tests/data/fuzz/recipients"],
    },
    Target {
        name: "allowed_signers",
        run: allowed_signers,
        seeds: &["tests/data/fuzz/allowed_signers"],
    },
    Target {
        name: "signed_commit",
        run: signed_commit,
        seeds: &["tests/data/fuzz/signed_commit"],
    },
    Target {
        name: "bundle_header",
        run: bundle_header,
        seeds: &["tests/data/fuzz/bundle_header"],
    },
    Target {
        name: "config",
        run: config,
        seeds: &["tests/data/fuzz/config"],
    },
    Target {
        name: "exercise",
        run: exercise,
        seeds: &["exercises", "tests/data/fuzz/exercise"],
    },
    Target {
        name: "cacao",
        run: cacao,
        seeds: &[
            "tests/data/cacao",
            "tests/data/cacao/soarca",
            "tests/data/fuzz/cacao",
        ],
    },
];

/// The name every fuzzed input is reported under.
const ORIGIN: &str = "fuzzed/input.txt";

/// Panics if `text` holds a character that would act on a terminal.
fn assert_inert(text: &str, what: &str) {
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{what} would put a control character on the terminal: {text:?}"
    );
}

/// Panics unless an error message names the input file.
fn assert_names_origin(message: &str) {
    assert!(
        message.contains(ORIGIN),
        "error does not name the file: {message}"
    );
}

/// Runbook TOML: [`crate::runbook::check`]. Every diagnostic names the file;
/// a located one points inside the text; rendering is inert; a runbook comes
/// back exactly when there is no error.
pub fn runbook(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return; // the library refuses non-UTF-8 before parsing
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
    let checked = crate::runbook::check(ORIGIN, text, "fuzzed/input", today);
    assert_located(&checked.diagnostics, text);
    assert_eq!(checked.runbook.is_some(), !checked.has_errors());
}

/// Journal and merged-timeline lines: [`journal::scan()`], the auditor's
/// [`journal::verify::verify_bytes`] and [`journal::merge::sources`]. Every
/// finding is placed at a byte offset inside the file; accepted entries tile
/// the file in order; a torn tail runs to its end.
pub fn journal(data: &[u8]) {
    let len = data.len() as u64;
    let scan = journal::scan(data);
    let mut end = 0;
    for scanned in &scan.entries {
        assert!(scanned.offset >= end, "entries overlap");
        end = scanned.offset + scanned.len;
        assert!(end <= len, "entry past the end");
    }
    for finding in scan.problems.iter().chain(&scan.warnings) {
        assert!(finding.offset <= len, "finding past the end: {finding:?}");
        assert!(!finding.message.is_empty());
    }
    if let Some(torn) = scan.torn {
        assert_eq!(torn.offset + torn.len, len, "a torn tail ends the file");
    }
    let path = Path::new("/nonexistent-grabbag-fuzz/input.jsonl");
    match journal::verify::verify_bytes(path, data, &VerifyOptions::default()) {
        Ok(report) => {
            for finding in &report.problems {
                assert!(finding.offset <= len, "{finding:?}");
            }
        }
        Err(e) => panic!("in-memory verify failed on I/O: {e}"),
    }
    if let Some(sources) = journal::merge::sources(data) {
        let total: usize = sources.iter().map(|(_, bytes)| bytes.len()).sum();
        assert!(total <= data.len(), "sources larger than the merged file");
    }
}

/// A library's `.grabbag/recipients`: [`Recipients::parse`]. Errors name
/// the file (and the line, for a bad key).
pub fn recipients(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return; // `Recipients::load` refuses non-UTF-8 with the file's name
    };
    match Recipients::parse(text, Path::new(ORIGIN)) {
        Ok(r) => assert!(!r.keys().is_empty()),
        Err(e) => assert_names_origin(&e.to_string()),
    }
}

/// A library's `.grabbag/allowed_signers`: [`AllowedSigners::parse`].
/// Errors name the file and line.
pub fn allowed_signers(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match AllowedSigners::parse(text, Path::new(ORIGIN)) {
        Ok(signers) => {
            for note in signers.notes() {
                assert_names_origin(note);
            }
        }
        Err(e) => {
            let said = e.to_string();
            assert_names_origin(&said);
            assert!(said.starts_with(&format!("{ORIGIN}:")), "{said}");
        }
    }
}

/// An allowed signer whose private key was thrown away: nothing the fuzzer
/// makes can carry its valid signature.
const FUZZ_SIGNER: &str = "fuzz@grabbag.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC9SXCx4BOE8x1O9HATwt0Zf1Up51ohO5jyAAaOLbxmN";

/// A raw commit object from a synced library: the `gpgsig` split and the
/// SSHSIG check behind commit trust. Never trusted (the key is gone).
pub fn signed_commit(data: &[u8]) {
    let Ok(signers) = AllowedSigners::parse(FUZZ_SIGNER, Path::new("allowed_signers")) else {
        panic!("the fuzz signer line parses");
    };
    let Ok(Some(signed)) = split_signed_commit(data) else {
        return;
    };
    let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
    let verdict = signers.verify_at(&signed.payload, &signed.signature, GIT_NAMESPACE, at);
    assert!(verdict.is_err(), "a forged signature was accepted");
}

/// The header of a `git bundle` file from a USB stick: the bounded reader in
/// [`crate::library::sync`]. Errors say what is wrong with the bundle.
pub fn bundle_header(data: &[u8]) {
    match read_bundle_header(&mut Cursor::new(data)) {
        Ok(header) => assert!(!header.refs.is_empty()),
        Err(HeaderError::Bad(message)) => assert!(message.contains("bundle"), "{message}"),
        Err(HeaderError::Io(e)) => panic!("reading memory failed: {e}"),
    }
}

/// The user's `config.toml`: [`Config::parse`]. Errors name the file, and
/// the line and column when the problem has a place; they are inert.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = Config::parse(text, Path::new(ORIGIN)) {
        let said = e.to_string();
        assert_names_origin(&said);
        assert_inert(&said, "a config error");
    }
}

/// Checks the diagnostics of a located parser: each names the file, a
/// located one points at a line of `text` and a column, and its rendering
/// names the file and is inert.
fn assert_located(diagnostics: &[crate::diagnostic::Diagnostic], text: &str) {
    let lines = text.split('\n').count();
    for d in diagnostics {
        assert_eq!(d.file, ORIGIN);
        if let Some(line) = d.line {
            assert!((1..=lines).contains(&line), "line {line} of {lines}: {d:?}");
            assert!(d.column.is_some_and(|c| c >= 1), "{d:?}");
        }
        let rendered = d.render();
        assert_inert(&rendered, "a diagnostic");
        assert!(rendered.contains(ORIGIN), "{rendered}");
    }
}

/// The runbooks the sample exercises play, so the fuzzer reaches the lint of
/// references to runbooks, steps and options, not only the parse.
fn exercise_runbooks() -> &'static [crate::runbook::Runbook] {
    static RUNBOOKS: std::sync::OnceLock<Vec<crate::runbook::Runbook>> = std::sync::OnceLock::new();
    RUNBOOKS.get_or_init(|| {
        let sources = [
            (
                "cyber/ransomware",
                include_str!("../runbooks/cyber/ransomware.toml"),
            ),
            (
                "continuity/payments",
                include_str!("../runbooks/continuity/payments.toml"),
            ),
            (
                "cyber/phishing-bec",
                include_str!("../runbooks/cyber/phishing-bec.toml"),
            ),
            (
                "cyber/personal-data-breach",
                include_str!("../runbooks/cyber/personal-data-breach.toml"),
            ),
        ];
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        sources
            .iter()
            .filter_map(|(id, text)| crate::runbook::check(id, text, id, today).runbook)
            .collect()
    })
}

/// Exercise TOML: [`crate::exercise::check`] (parse with spans, lint), once
/// with references to runbooks unchecked (as when scoring a recorded run)
/// and once against sample runbooks. Every diagnostic names the file; a
/// located one points inside the text; rendering is inert; an exercise comes
/// back exactly when there is no error, and its schedule can be asked for.
pub fn exercise(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return; // exercise files are read like runbooks: non-UTF-8 is refused first
    };
    let runbooks: Vec<&crate::runbook::Runbook> = exercise_runbooks().iter().collect();
    for against in [None, Some(runbooks.as_slice())] {
        let checked = crate::exercise::check(ORIGIN, text, "fuzzed/input", against);
        assert_located(&checked.diagnostics, text);
        assert_eq!(checked.exercise.is_some(), !checked.has_errors());
    }
}

/// A CACAO 2.0 playbook (JSON): the schema and workflow check behind `import
/// cacao --check` ([`crate::cacao::check_json`]) and the import itself
/// ([`crate::cacao::import_json`]). Findings are inert when rendered; the two
/// agree on whether the playbook is valid; an import always lints (an
/// importer that writes a runbook lint refuses is a bug, not bad input), and
/// the runbook it made exports to a valid playbook.
pub fn cacao(data: &[u8]) {
    use crate::cacao::{CacaoError, check_json, export, import_json};
    let Ok(text) = std::str::from_utf8(data) else {
        return; // `import cacao` refuses non-UTF-8 with the file's name
    };
    let findings = check_json(text);
    for finding in &findings {
        assert_inert(&finding.to_diagnostic(ORIGIN).render(), "a CACAO finding");
    }
    let valid = !findings.iter().any(crate::cacao::Finding::is_error);
    match import_json(text) {
        Ok(imported) => {
            assert!(valid, "imported a playbook the check refuses: {findings:?}");
            for warning in &imported.warnings {
                assert_inert(&warning.to_diagnostic(ORIGIN).render(), "an import warning");
            }
            if let Err(e) = export(&imported.runbook) {
                panic!("an imported runbook does not export: {e}");
            }
        }
        Err(CacaoError::Lint(diagnostics)) => {
            panic!("the importer wrote a runbook lint refuses: {diagnostics:?}")
        }
        Err(CacaoError::Export(findings)) => panic!("import ran the exporter: {findings:?}"),
        Err(CacaoError::Json(_) | CacaoError::Invalid(_)) => {
            assert!(!valid, "the check accepts what the import refuses");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_survives_empty_and_tiny_inputs() {
        for target in TARGETS {
            for input in [&b""[..], b"\n", b"\0", b"\xff", b"[", b"{"] {
                (target.run)(input);
            }
        }
    }
}
