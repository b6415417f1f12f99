//! A bounded fuzz run inside `cargo test`: every target in
//! `grabbag::fuzz::TARGETS` gets its seed files and a few thousand
//! deterministic mutations of them (a xorshift generator with a fixed seed, so
//! a failure reproduces exactly). The checks are the fuzzer's own: no panic,
//! errors that say where, nothing that acts on a terminal. The long runs are
//! cargo-fuzz's (`fuzz/`, docs/SECURITY.md).

use std::path::{Path, PathBuf};

use grabbag::fuzz::{TARGETS, Target};

/// Mutated inputs per target.
const CASES: usize = 3000;

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Fragments that matter to the parsers: TOML and JSON syntax, journal and
/// bundle keywords, terminal escapes, bidi overrides, odd numbers.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"'''",
    b"\"\"\"",
    b"[[steps]]\n",
    b"[steps.decision]\n",
    b"goto = \"end\"",
    b"= ",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\n",
    b"\r\n",
    b"\\u0000",
    b"\x1b[2J",
    b"\x1b]0;pwned\x07",
    b"\xe2\x80\xae",
    b"\xff\xfe",
    b"\0",
    b"#",
    b"-",
    b"@",
    b"*",
    b"!",
    b"=\"",
    b"99999999999999999999",
    b"-1",
    b"1e999",
    b"2026-02-30",
    b"\"seq\":",
    b"\"hash\":\"",
    b"\"prev\":\"",
    b"0000000000000000000000000000000000000000000000000000000000000000",
    b"# v3 git bundle\n",
    b"@object-format=sha256\n",
    b"gpgsig ",
    b"-----BEGIN SSH SIGNATURE-----\n",
    b"namespaces=\"",
    b"valid-before=\"",
    b"cert-authority ",
    b"age1",
    b"[[injects]]\n",
    b"[[injects.expect]]\n",
    b"after = \"",
    b"on = \"decision\"",
    b"\"on_completion\": \"",
    b"\"workflow_start\": \"",
    b"\"type\": \"end\"",
    b"\"next_steps\": [",
    b"<script>",
];

/// One mutation of `input`, sometimes spliced with `other`.
fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(7) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 if !out.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(out.len());
                out.drain(at.min(end)..end);
            }
            2 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, token.iter().copied());
            }
            3 if !out.is_empty() => {
                let start = rng.below(out.len());
                let end = (start + 1 + rng.below(64)).min(out.len());
                let copy = out[start..end].to_vec();
                out.splice(at..at, copy);
            }
            4 if !other.is_empty() => {
                let start = rng.below(other.len());
                out.truncate(at);
                out.extend_from_slice(&other[start..]);
            }
            5 => out.truncate(at),
            _ => out.insert(at, rng.next() as u8),
        }
    }
    out
}

fn seeds(target: &Target) -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in target.seeds {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("seed folder {dir}: {e}"))
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        entries.sort();
        for path in entries {
            let bytes = std::fs::read(&path).expect("seed readable");
            out.push((path, bytes));
        }
    }
    out
}

/// Runs one target on its seeds and `CASES` mutations; a panic names the
/// case so it can be replayed.
fn run(target: &Target) {
    let seeds = seeds(target);
    assert!(!seeds.is_empty(), "{} has no seeds", target.name);
    for (path, bytes) in &seeds {
        let outcome = std::panic::catch_unwind(|| (target.run)(bytes));
        assert!(
            outcome.is_ok(),
            "{} failed on seed {}",
            target.name,
            path.display()
        );
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ target.name.len() as u64);
    for case in 0..CASES {
        let (_, input) = &seeds[rng.below(seeds.len())];
        let (_, other) = &seeds[rng.below(seeds.len())];
        let mutated = mutate(&mut rng, input, other);
        let outcome = std::panic::catch_unwind(|| (target.run)(&mutated));
        assert!(
            outcome.is_ok(),
            "{} failed on mutation {case}: {:?}",
            target.name,
            String::from_utf8_lossy(&mutated)
        );
    }
}

fn target(name: &str) -> &'static Target {
    TARGETS
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no fuzz target {name}"))
}

#[test]
fn runbook_parser_survives_mutations() {
    run(target("runbook"));
}

#[test]
fn journal_reader_survives_mutations() {
    run(target("journal"));
}

#[test]
fn recipients_parser_survives_mutations() {
    run(target("recipients"));
}

#[test]
fn allowed_signers_parser_survives_mutations() {
    run(target("allowed_signers"));
}

#[test]
fn commit_signature_check_survives_mutations() {
    run(target("signed_commit"));
}

#[test]
fn bundle_header_reader_survives_mutations() {
    run(target("bundle_header"));
}

#[test]
fn config_parser_survives_mutations() {
    run(target("config"));
}

#[test]
fn exercise_checker_survives_mutations() {
    run(target("exercise"));
}

#[test]
fn cacao_import_survives_mutations() {
    run(target("cacao"));
}

#[test]
fn every_target_has_a_test_here_and_a_cargo_fuzz_file() {
    let here = include_str!("fuzz.rs");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for t in TARGETS {
        assert!(
            here.contains(&format!("run(target(\"{}\"))", t.name)),
            "{} has no test in tests/it/fuzz.rs",
            t.name
        );
        let file = root.join(format!("fuzz/fuzz_targets/{}.rs", t.name));
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            text.contains(&format!("grabbag::fuzz::{}(data)", t.name)),
            "{}",
            file.display()
        );
    }
}
