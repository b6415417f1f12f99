//! `grabbag journal verify|sign|witness|merge|commit` on journals made by the
//! real binary (`grabbag note`): every kind of tampering pinpointed by seq and
//! byte offset, witness codes, SSH signatures checked by the real
//! `ssh-keygen`, merged timelines whose sources re-verify, commits into the
//! library, and the auditor's scripts from docs/journal-format.md.

use std::path::{Path, PathBuf};
use std::process::Command;

use grabbag::journal::entry::{GENESIS, StoredEntry};
use grabbag::journal::{Actor, Event};
use grabbag::signing::Signer;

use crate::harness::{Run, TestLibrary, grabbag, have, run};
use crate::support::Sandbox;

const ALICE: &str = "alice@council.example";

/// Appends a note with the real binary (creating a plaintext journal if
/// needed) and returns the witness code it printed.
fn note(home: &Path, journal: &Path, actor: &str, text: &str) -> String {
    let out = run(grabbag(home)
        .args(["note", "--plaintext", "--actor", actor])
        .arg(journal)
        .arg(text));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    witness_from_note(&out)
}

fn witness_from_note(out: &Run) -> String {
    out.stdout
        .trim()
        .rsplit(' ')
        .next()
        .expect("note prints its witness")
        .to_owned()
}

/// A plaintext journal of `notes` notes (`notes + 1` entries) and its head witness.
fn plain_journal(home: &Path, name: &str, notes: usize) -> (PathBuf, String) {
    let path = home.join(name);
    let mut head = String::new();
    for i in 0..notes {
        head = note(home, &path, "Sam Patel", &format!("note number {i}"));
    }
    (path, head)
}

fn journal_cmd(home: &Path, args: &[&str], files: &[&Path]) -> Run {
    journal_with(grabbag(home), args, files)
}

/// `grabbag journal ARGS FILES` from a prepared command (e.g. one pointed at a library).
fn journal_with(mut cmd: Command, args: &[&str], files: &[&Path]) -> Run {
    cmd.arg("journal").args(args);
    for f in files {
        cmd.arg(f);
    }
    run(&mut cmd)
}

fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// Byte offset of line `n` (0-based).
fn offset_of(bytes: &[u8], n: usize) -> usize {
    lines(bytes)[..n].iter().map(Vec::len).sum()
}

/// Rewrites entry `seq`'s note text and recomputes every later hash: a chain
/// that is consistent again, so only a witness or a signature can tell.
fn edit_and_rehash(bytes: &[u8], seq: u64, text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prev = GENESIS.to_owned();
    for line in lines(bytes) {
        let mut entry: StoredEntry = serde_json::from_slice(&line).unwrap();
        if entry.seq == seq {
            entry.event = Some(Event::Note {
                text: text.to_owned(),
                happened_at: None,
            });
        }
        entry.prev = prev;
        let (line, hash) = entry.to_line().unwrap();
        out.extend_from_slice(&line);
        prev = hash;
    }
    out
}

/// A journal written with the library API at chosen times and mono clocks.
fn crafted(entries: &[(u32, &str, u64)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prev = GENESIS.to_owned();
    for (i, (session, at, mono_ms)) in entries.iter().enumerate() {
        let entry = StoredEntry {
            seq: i as u64 + 1,
            session: *session,
            at: (*at).to_owned(),
            offset: "+00:00".to_owned(),
            mono_ms: *mono_ms,
            ex_t: None,
            encrypted_to: None,
            journal_key: None,
            actor: Some(Actor {
                name: "Sam Patel".to_owned(),
                role: "Incident Lead".to_owned(),
            }),
            event: Some(Event::Note {
                text: format!("entry {i}"),
                happened_at: None,
            }),
            sealed: None,
            prev,
            hash: String::new(),
        };
        let (line, hash) = entry.to_line().unwrap();
        out.extend_from_slice(&line);
        prev = hash;
    }
    out
}

fn json(out: &Run) -> serde_json::Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

#[test]
fn intact_journals_verify_plaintext_and_encrypted_without_a_key() {
    let home = tempfile::tempdir().unwrap();
    let (path, head) = plain_journal(home.path(), "plain.jsonl", 3);
    let out = journal_cmd(home.path(), &["verify"], &[&path]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.starts_with(&format!(
            "{}: OK: journal, 4 entries, PLAINTEXT; head {head} (",
            path.display()
        )),
        "{}",
        out.stdout
    );
    let out = journal_cmd(home.path(), &["witness"], &[&path]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout
            .starts_with(&format!("{head}  (seq 4, written 20")),
        "{}",
        out.stdout
    );

    let lib = TestLibrary::with(&[]);
    let enc = lib.home.path().join("enc.jsonl");
    for text in ["ransom note found", "revenues server isolated"] {
        let out = run(lib
            .grabbag()
            .args(["note", "--actor", "Sam"])
            .arg(&enc)
            .arg(text));
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    assert!(!String::from_utf8_lossy(&std::fs::read(&enc).unwrap()).contains("ransom"));
    // An auditor with no library and no identity.
    let auditor = tempfile::tempdir().unwrap();
    let out = journal_cmd(auditor.path(), &["verify"], &[&enc]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains(": OK: journal, 3 entries, encrypted; head 3:"),
        "{}",
        out.stdout
    );
    // Several files at once; a missing one is an environment error.
    let out = journal_cmd(auditor.path(), &["verify"], &[&path, &enc]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout.matches(": OK: ").count(), 2);
    let missing = home.path().join("missing.jsonl");
    let out = journal_cmd(auditor.path(), &["verify"], &[&path, &missing]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("missing.jsonl"), "{}", out.stderr);
}

#[test]
fn each_tampering_is_pinpointed_by_seq_and_byte_offset() {
    let home = tempfile::tempdir().unwrap();
    let (path, head) = plain_journal(home.path(), "j.jsonl", 4);
    let original = std::fs::read(&path).unwrap();
    let check = |name: &str, bytes: &[u8], extra: &[&str], code: i32, expected: &str| {
        let file = home.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let out = journal_cmd(home.path(), &[&["verify"], extra].concat(), &[&file]);
        assert_eq!(out.code, code, "{name}: {}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains(expected), "{name}: {}", out.stdout);
        // Verify never changes the file.
        assert_eq!(std::fs::read(&file).unwrap(), bytes, "{name}");
    };

    // A flipped byte in entry 3's text (still valid JSON: only the hash can tell).
    let mut flipped = original.clone();
    let at = offset_of(&original, 2)
        + String::from_utf8_lossy(&lines(&original)[2])
            .find("note number 1")
            .unwrap()
        + 2;
    flipped[at] ^= 0x1e;
    check(
        "flipped.jsonl",
        &flipped,
        &[],
        1,
        &format!(
            "first bad entry: seq 3 at byte {}: content does not match its hash: the entry was altered",
            offset_of(&original, 2)
        ),
    );

    // A deleted line: entry 4 no longer follows entry 2.
    let all = lines(&original);
    let deleted: Vec<u8> = [&all[..2], &all[3..]].concat().concat();
    check(
        "deleted.jsonl",
        &deleted,
        &[],
        1,
        &format!(
            "first bad entry: seq 4 at byte {}: prev does not match the hash of seq 2",
            offset_of(&original, 2)
        ),
    );

    // Two lines swapped.
    let mut swapped = all.clone();
    swapped.swap(1, 2);
    check(
        "swapped.jsonl",
        &swapped.concat(),
        &[],
        1,
        &format!(
            "first bad entry: seq 3 at byte {}: prev does not match the hash of seq 1",
            offset_of(&original, 1)
        ),
    );

    // Truncated inside the last line: a torn tail, reported, never moved.
    let cut = offset_of(&original, 4) + 40;
    check(
        "torn.jsonl",
        &original[..cut],
        &[],
        1,
        &format!(
            "first bad entry: seq 5 at byte {}: a torn tail: the last 40 bytes",
            offset_of(&original, 4)
        ),
    );
    assert!(!home.path().join("torn.jsonl.torn").exists());

    // Truncated cleanly at a line boundary: the chain cannot tell, the witness can.
    let short = &original[..offset_of(&original, 4)];
    check("short.jsonl", short, &[], 0, "OK: journal, 4 entries");
    check(
        "short.jsonl",
        short,
        &["--witness", &head],
        1,
        "MISMATCH: the journal ends at seq 4, before seq 5: it was truncated or rewritten",
    );

    // Entry 3 edited and every later hash recomputed: a consistent chain...
    let rehashed = edit_and_rehash(&original, 3, "nothing happened");
    check(
        "rehashed.jsonl",
        &rehashed,
        &[],
        0,
        "OK: journal, 5 entries",
    );
    // ...caught by the head's witness code, while an earlier code still holds.
    check(
        "rehashed.jsonl",
        &rehashed,
        &["--witness", &head],
        1,
        "MISMATCH: seq 5 has witness code",
    );
    let seq2 = note_witness_of(&original, 2);
    check(
        "rehashed.jsonl",
        &rehashed,
        &["--witness", &seq2],
        0,
        &format!("witness {seq2}: matched"),
    );
}

/// The witness code of entry `seq` as grabbag computes it.
fn note_witness_of(bytes: &[u8], seq: usize) -> String {
    let entry: StoredEntry = serde_json::from_slice(&lines(bytes)[seq - 1]).unwrap();
    grabbag::journal::witness_code(entry.seq, &entry.hash)
}

#[test]
fn wall_clock_backwards_warns_but_monotonic_backwards_fails() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("clock.jsonl");
    let bytes = crafted(&[
        (1, "2026-11-29T10:00:00.000Z", 0),
        (1, "2026-11-29T10:05:00.000Z", 300_000),
        (1, "2026-11-29T09:05:00.000Z", 360_000),
    ]);
    std::fs::write(&path, &bytes).unwrap();
    let out = journal_cmd(home.path(), &["verify"], &[&path]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!(
            "warning: seq 3 at byte {}: wall-clock time went backwards (2026-11-29T09:05:00.000Z after 2026-11-29T10:05:00.000Z)",
            offset_of(&bytes, 2)
        )),
        "{}",
        out.stdout
    );
    let bytes = crafted(&[
        (1, "2026-11-29T10:00:00.000Z", 5_000),
        (1, "2026-11-29T10:05:00.000Z", 4_000),
    ]);
    std::fs::write(&path, &bytes).unwrap();
    let out = journal_cmd(home.path(), &["verify"], &[&path]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!(
            "first bad entry: seq 2 at byte {}: monotonic time went backwards within session 1",
            offset_of(&bytes, 1)
        )),
        "{}",
        out.stdout
    );
}

#[test]
fn witness_codes_are_read_forgivingly_and_checked_strictly() {
    let home = tempfile::tempdir().unwrap();
    let (path, head) = plain_journal(home.path(), "j.jsonl", 2);
    // As someone might copy it from a paper log.
    let scribbled = head.to_lowercase().replace('-', " ").replace('0', "o");
    let out = journal_cmd(home.path(), &["verify", "--witness", &scribbled], &[&path]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!("witness {head}: matched")),
        "{}",
        out.stdout
    );
    // A wrong code for an existing seq.
    let (seq, code) = head.split_once(':').unwrap();
    let wrong = format!("{seq}:{}", code.chars().rev().collect::<String>());
    let out = journal_cmd(home.path(), &["verify", "--witness", &wrong], &[&path]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("MISMATCH"), "{}", out.stdout);
    // Malformed codes and ambiguous use are usage errors.
    let out = journal_cmd(home.path(), &["verify", "--witness", "3:ABC"], &[&path]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("expected SEQ:CODE"), "{}", out.stderr);
    let out = journal_cmd(
        home.path(),
        &["verify", "--witness", &head],
        &[&path, &path],
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("one FILE at a time"), "{}", out.stderr);
}

/// An Ed25519 key in OpenSSH files and an allowed_signers file naming it `ALICE`.
fn alice_key(dir: &Path) -> (Signer, PathBuf, PathBuf) {
    let signer = Signer::generate_ed25519(ALICE).unwrap();
    let key = dir.join("alice_key");
    signer.write_openssh_files(&key).unwrap();
    let allowed = dir.join("allowed_signers");
    std::fs::write(
        &allowed,
        format!("{}\n", signer.allowed_signers_line(ALICE)),
    )
    .unwrap();
    (signer, key, allowed)
}

#[test]
fn signatures_verify_with_ssh_keygen_and_grabbag_and_catch_rewrites() {
    let home = tempfile::tempdir().unwrap();
    let (path, _) = plain_journal(home.path(), "j.jsonl", 3);
    let (_, key, allowed) = alice_key(home.path());
    let sig = home.path().join("j.jsonl.sig");
    let sign = |extra: &[&str]| {
        let mut cmd = grabbag(home.path());
        cmd.args(["journal", "sign"])
            .arg(&path)
            .arg("--key")
            .arg(&key)
            .arg("--allowed-signers")
            .arg(&allowed)
            .args(extra);
        run(&mut cmd)
    };
    let out = sign(&[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "  ssh-keygen -Y verify -f {} -I {ALICE} -n grabbag-journal -s {} < {}\n",
            allowed.display(),
            sig.display(),
            path.display()
        )),
        "{}",
        out.stdout
    );
    let out = sign(&[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("already exists: pass --force"),
        "{}",
        out.stderr
    );
    assert_eq!(sign(&["--force"]).code, 0);

    // Stock OpenSSH agrees, reading the journal on standard input as printed.
    if have(
        "ssh-keygen",
        "signatures_verify_with_ssh_keygen (ssh-keygen part)",
    ) {
        let sandbox = Sandbox::new();
        let output = sandbox.run_with_stdin(
            home.path(),
            "ssh-keygen",
            &[
                "-Y",
                "verify",
                "-f",
                allowed.to_str().unwrap(),
                "-I",
                ALICE,
                "-n",
                "grabbag-journal",
                "-s",
                sig.to_str().unwrap(),
            ],
            &std::fs::read(&path).unwrap(),
        );
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{said}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            said.contains("Good \"grabbag-journal\" signature for alice@council.example"),
            "{said}"
        );
    }

    let verify = |file: &Path, extra: &[&str]| {
        journal_cmd(home.path(), &[&["verify"], extra].concat(), &[file])
    };
    let with_signers = ["--allowed-signers", allowed.to_str().unwrap()];
    let out = verify(&path, &with_signers);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout
            .contains(": valid: signed by alice@council.example; it covers the whole file"),
        "{}",
        out.stdout
    );
    // Without allowed signers the signature is checked against the file but nobody is named.
    let out = verify(&path, &[]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains(": UNCHECKED: intact, by key SHA256:"),
        "{}",
        out.stdout
    );
    // Allowed signers that do not list the key (a responder signed with their
    // own key): the signature is valid, only its owner is unnamed, so the
    // journal verifies; failing it takes --require-known-signer.
    let other = tempfile::tempdir().unwrap();
    let (_, _, bob_allowed) = alice_key(other.path());
    let bob = bob_allowed.to_str().unwrap();
    let out = verify(&path, &["--allowed-signers", bob]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout
            .contains(": valid, signer not in allowed_signers: valid signature by key SHA256:"),
        "{}",
        out.stdout
    );
    let out = verify(&path, &["--allowed-signers", bob, "--require-known-signer"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains(": INVALID: signed by unknown key"),
        "{}",
        out.stdout
    );

    // Edited and re-hashed, signature copied along: the chain holds, the signature does not.
    let rewritten = home.path().join("rewritten.jsonl");
    std::fs::write(
        &rewritten,
        edit_and_rehash(&std::fs::read(&path).unwrap(), 2, "x"),
    )
    .unwrap();
    std::fs::copy(&sig, home.path().join("rewritten.jsonl.sig")).unwrap();
    let out = verify(&rewritten, &with_signers);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout
            .contains(": FAILED: journal, 4 entries, PLAINTEXT"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            ": INVALID: the signature does not match the file, nor any earlier state of it"
        ),
        "{}",
        out.stdout
    );

    // The journal grows after signing: the signed prefix is found and named.
    note(home.path(), &path, "Sam Patel", "after signing");
    let out = verify(&path, &with_signers);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "valid, PARTIAL: signed by alice@council.example; signature covers seq 1..4; entries after 4 are unsigned"
        ),
        "{}",
        out.stdout
    );

    // A broken journal is never signed.
    let broken = home.path().join("broken.jsonl");
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() - 100;
    bytes[at] ^= 1;
    std::fs::write(&broken, &bytes).unwrap();
    let out = journal_cmd(
        home.path(),
        &["sign", "--key", key.to_str().unwrap()],
        &[&broken],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("refusing to sign"), "{}", out.stderr);
    assert!(!home.path().join("broken.jsonl.sig").exists());
}

#[test]
fn merged_timeline_verifies_and_each_source_reverifies() {
    let lib = TestLibrary::with(&[]);
    let home = lib.home.path();
    let alice = home.join("alice.jsonl");
    let bob = home.join("bob.jsonl");
    // Alice plaintext, Bob encrypted, writing in turns.
    note(home, &alice, "Alice", "phones down in the contact centre");
    let bob_note = |text: &str| {
        let out = run(lib
            .grabbag()
            .args(["note", "--actor", "Bob"])
            .arg(&bob)
            .arg(text));
        assert_eq!(out.code, 0, "{}", out.stderr);
        witness_from_note(&out)
    };
    bob_note("switch room checked");
    note(home, &alice, "Alice", "manual call log started");
    let bob_head = bob_note("ISP fault reference taken");

    let out = run(grabbag(home)
        .args(["journal", "merge"])
        .arg(&alice)
        .arg(&bob)
        .arg("-o")
        .arg(home.join("timeline.jsonl")));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.starts_with("Merged 2 journals into"),
        "{}",
        out.stdout
    );
    let timeline = home.join("timeline.jsonl");
    let merged = std::fs::read(&timeline).unwrap();
    // One timeline, in order of writing.
    let order: Vec<u64> = lines(&merged)[1..]
        .iter()
        .map(|l| {
            serde_json::from_slice::<serde_json::Value>(l).unwrap()["source"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(order, [0, 0, 1, 1, 0, 1]);

    let out = journal_cmd(home, &["verify", "--witness", &bob_head], &[&timeline]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains(": OK: merged timeline, 6 lines, PLAINTEXT; head 6:"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("  source 0 alice.jsonl: 3 entries, head "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("  source 1 bob.jsonl: 3 entries, head "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!("witness {bob_head}: matched")),
        "{}",
        out.stdout
    );
    let out = journal_cmd(
        home,
        &["verify", "--json", "--witness", &bob_head],
        &[&timeline],
    );
    let report = &json(&out)[0];
    assert_eq!(report["format"], "merge");
    assert_eq!(report["witnesses"][0]["source"], "bob.jsonl");
    assert_eq!(report["sources"][1]["encrypted"], true);
    assert_eq!(report["sources"][0]["encrypted"], false);

    // Each source comes back byte for byte, and verifies on its own.
    let sources = grabbag::journal::merge::sources(&merged).unwrap();
    assert_eq!(
        sources[0],
        ("alice.jsonl".to_owned(), std::fs::read(&alice).unwrap())
    );
    assert_eq!(
        sources[1],
        ("bob.jsonl".to_owned(), std::fs::read(&bob).unwrap())
    );
    let rebuilt = home.join("rebuilt-bob.jsonl");
    std::fs::write(&rebuilt, &sources[1].1).unwrap();
    assert_eq!(journal_cmd(home, &["verify"], &[&rebuilt]).code, 0);

    // A changed merged line is pinpointed.
    let mut tampered = merged.clone();
    let at = offset_of(&merged, 3) + 40;
    tampered[at] ^= 1;
    let bad = home.join("bad-timeline.jsonl");
    std::fs::write(&bad, &tampered).unwrap();
    let out = journal_cmd(home, &["verify"], &[&bad]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!(
            "first problem: byte {}: merged line 3: content does not match its hash",
            offset_of(&merged, 3)
        )),
        "{}",
        out.stdout
    );

    // Refusals: an existing output, a broken source, the same journal twice.
    let out = run(grabbag(home)
        .args(["journal", "merge"])
        .arg(&alice)
        .arg(&bob)
        .arg("-o")
        .arg(&timeline));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("already exists: pass --force"),
        "{}",
        out.stderr
    );
    let broken = home.join("broken.jsonl");
    let mut bytes = std::fs::read(&alice).unwrap();
    let at = bytes.len() - 100;
    bytes[at] ^= 1;
    std::fs::write(&broken, &bytes).unwrap();
    let out = run(grabbag(home)
        .args(["journal", "merge"])
        .arg(&broken)
        .arg(&bob)
        .arg("-o")
        .arg(home.join("t2.jsonl")));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("refusing to merge"), "{}", out.stderr);
    assert!(out.stderr.contains("broken.jsonl"), "{}", out.stderr);
    assert!(!home.join("t2.jsonl").exists());
    let copy = home.join("alice-copy.jsonl");
    std::fs::copy(&alice, &copy).unwrap();
    let out = run(grabbag(home)
        .args(["journal", "merge"])
        .arg(&alice)
        .arg(&copy)
        .arg("-o")
        .arg(home.join("t3.jsonl")));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("copies of the same journal"),
        "{}",
        out.stderr
    );
}

#[test]
fn commit_puts_journals_in_the_library_and_refuses_broken_ones() {
    let lib = TestLibrary::with(&[]);
    let home = lib.home.path();
    let journal = home.join("response.jsonl");
    let out = run(lib
        .grabbag()
        .args(["note", "--actor", "Sam"])
        .arg(&journal)
        .arg("started"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (_, key, _) = alice_key(home);
    assert_eq!(
        journal_cmd(home, &["sign", "--key", key.to_str().unwrap()], &[&journal]).code,
        0
    );
    let repo = lib.library.repo();
    let head_before = repo.head().unwrap().target().unwrap();

    let out = journal_with(
        lib.grabbag(),
        &["commit", "-m", "Journal of the revenues response"],
        &[&journal],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.starts_with("Committed 1 journal to "),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("(unsigned)"), "{}", out.stdout);
    let copied = lib.root.join("journals/committed/response.jsonl");
    assert_eq!(
        std::fs::read(&copied).unwrap(),
        std::fs::read(&journal).unwrap()
    );
    assert!(
        lib.root
            .join("journals/committed/response.jsonl.sig")
            .exists()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copied).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let commit = repo.head().unwrap().peel_to_commit().unwrap();
    assert_ne!(commit.id(), head_before);
    assert_eq!(
        commit.message().ok().map(str::trim_end),
        Some("Journal of the revenues response")
    );
    let tree = commit.tree().unwrap();
    assert!(
        tree.get_path(Path::new("journals/committed/response.jsonl"))
            .is_ok()
    );
    assert!(
        tree.get_path(Path::new("journals/committed/response.jsonl.sig"))
            .is_ok()
    );

    // Nothing new: nothing committed.
    let out = journal_with(lib.grabbag(), &["commit"], &[&journal]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.starts_with("Nothing to commit"),
        "{}",
        out.stdout
    );

    // A journal started inside journals/ is live: what is committed is a
    // snapshot under journals/committed/ (signed when the repository is
    // configured to sign), and the live file stays out of git.
    let signing = Signer::generate_ed25519("librarian").unwrap();
    let signing_key = home.join("librarian_key");
    signing.write_openssh_files(&signing_key).unwrap();
    lib.library
        .configure_signing(&signing_key, "Librarian", "librarian@council.example")
        .unwrap();
    let inside = lib.root.join("journals/exercise.jsonl");
    let out = run(lib
        .grabbag()
        .args(["note", "--actor", "Jo"])
        .arg(&inside)
        .arg("inject 1 read out"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = journal_with(lib.grabbag(), &["commit"], &[&inside]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("(signed)"), "{}", out.stdout);
    let commit = repo.head().unwrap().peel_to_commit().unwrap();
    let message = commit.message().unwrap();
    assert!(
        message.starts_with("Add journal journals/committed/exercise.jsonl (2 entries, head 2:"),
        "{message}"
    );
    let tree = commit.tree().unwrap();
    assert!(tree.get_path(Path::new("journals/exercise.jsonl")).is_err());
    assert!(
        repo.extract_signature(&commit.id(), None).is_ok(),
        "a signed commit"
    );

    // A broken journal is refused and nothing is committed.
    let head_before = commit.id();
    let broken = home.join("broken.jsonl");
    let mut bytes = std::fs::read(&journal).unwrap();
    let at = bytes.len() - 100;
    bytes[at] ^= 1;
    std::fs::write(&broken, &bytes).unwrap();
    let out = journal_with(lib.grabbag(), &["commit"], &[&journal, &broken]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("refusing to commit"), "{}", out.stderr);
    assert!(!lib.root.join("journals/committed/broken.jsonl").exists());
    assert_eq!(repo.head().unwrap().target().unwrap(), head_before);

    // Another journal under a name already taken is never overwritten.
    let elsewhere = home.join("other");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let (clash, _) = plain_journal(&elsewhere, "response.jsonl", 1);
    let out = journal_with(lib.grabbag(), &["commit"], &[&clash]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("another journal has that name"),
        "{}",
        out.stderr
    );
}

#[test]
fn json_reports_have_a_stable_shape() {
    let home = tempfile::tempdir().unwrap();
    let (path, head) = plain_journal(home.path(), "j.jsonl", 2);
    let (_, key, allowed) = alice_key(home.path());
    assert_eq!(
        journal_cmd(
            home.path(),
            &["sign", "--key", key.to_str().unwrap()],
            &[&path]
        )
        .code,
        0
    );
    let original = std::fs::read(&path).unwrap();
    let mut bytes = original.clone();
    let at = offset_of(&original, 1) + 30;
    bytes[at] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let out = journal_cmd(
        home.path(),
        &[
            "verify",
            "--json",
            "--witness",
            &head,
            "--allowed-signers",
            allowed.to_str().unwrap(),
        ],
        &[&path],
    );
    assert_eq!(out.code, 1);
    let reports = json(&out);
    let r = &reports[0];
    assert_eq!(r["file"], path.to_str().unwrap());
    assert_eq!(r["format"], "journal");
    assert_eq!(r["ok"], false);
    assert_eq!(r["entries"], 1);
    assert_eq!(r["encrypted"], false);
    assert_eq!(r["head"]["seq"], 1);
    assert_eq!(r["problems"][0]["seq"], 2);
    assert_eq!(r["problems"][0]["offset"], offset_of(&original, 1));
    assert_eq!(r["witnesses"][0]["matched"], false);
    assert_eq!(r["witnesses"][0]["witness"], head.as_str());
    assert_eq!(r["signature"]["status"], "invalid");
    assert_eq!(r["torn"], serde_json::Value::Null);
    let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "bytes",
            "encrypted",
            "entries",
            "file",
            "format",
            "head",
            "ok",
            "problems",
            "signature",
            "torn",
            "warnings",
            "witnesses"
        ]
    );

    std::fs::write(&path, &original).unwrap();
    let out = journal_cmd(home.path(), &["witness", "--json"], &[&path]);
    assert_eq!(out.code, 0);
    let w = json(&out);
    assert_eq!(w["witness"], head.as_str());
    assert_eq!(w["seq"], 3);
    assert_eq!(w["hash"].as_str().unwrap().len(), 64);
    assert!(w["at"].as_str().unwrap().ends_with('Z'));
}

/// The fenced block of docs/journal-format.md that starts with ```lang and contains `marker`.
pub(crate) fn doc_block(lang: &str, marker: &str) -> String {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/journal-format.md"),
    )
    .expect("docs/journal-format.md");
    let fence = format!("```{lang}\n");
    doc.split(&fence)
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap_or_default())
        .find(|block| block.contains(marker))
        .unwrap_or_else(|| panic!("a ```{lang} block containing {marker:?}"))
        .to_owned()
}

pub(crate) fn python(script: &Path, args: &[&Path]) -> Run {
    let mut cmd = Command::new("python3");
    cmd.arg(script).args(args);
    run(&mut cmd)
}

#[test]
fn documented_example_and_auditor_script_agree_with_grabbag() {
    let home = tempfile::tempdir().unwrap();
    // The example journal is exactly what grabbag writes, and verifies.
    let example = doc_block("jsonl", "session_started");
    for line in example.lines() {
        let entry: StoredEntry = serde_json::from_str(line).unwrap();
        let (again, _) = entry.to_line().unwrap();
        assert_eq!(String::from_utf8(again).unwrap(), format!("{line}\n"));
    }
    let example_path = home.path().join("example.jsonl");
    std::fs::write(&example_path, &example).unwrap();
    let out = journal_cmd(home.path(), &["witness"], &[&example_path]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let code = out.stdout.split_whitespace().next().unwrap().to_owned();
    assert_eq!(code, "3:6ZMAV-DQ7RP", "the doc states this code");

    if !have(
        "python3",
        "documented_example_and_auditor_script_agree_with_grabbag",
    ) {
        return;
    }
    let script = doc_block("python", "hashlib");
    assert!(
        script.lines().count() <= 30,
        "the auditor's script stays short"
    );
    let script_path = home.path().join("check_journal.py");
    std::fs::write(&script_path, &script).unwrap();

    let out = python(&script_path, &[&example_path]);
    assert_eq!(
        out.stdout,
        format!("OK: 3 entries, head {code}\n"),
        "{}",
        out.stderr
    );

    // A journal from the real binary, plaintext and encrypted.
    let (plain, head) = plain_journal(home.path(), "plain.jsonl", 3);
    let out = python(&script_path, &[&plain]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, format!("OK: 4 entries, head {head}\n"));
    let lib = TestLibrary::with(&[]);
    let enc = lib.home.path().join("enc.jsonl");
    let out = run(lib
        .grabbag()
        .args(["note", "--actor", "Sam"])
        .arg(&enc)
        .arg("ransom note found"));
    let enc_head = witness_from_note(&out);
    let out = python(&script_path, &[&enc]);
    assert_eq!(
        out.stdout,
        format!("OK: 2 entries, head {enc_head}\n"),
        "{}",
        out.stderr
    );

    // A tampered copy fails at the same seq and byte as grabbag says.
    let original = std::fs::read(&plain).unwrap();
    let mut bytes = original.clone();
    let at = offset_of(&original, 2) + 200;
    bytes[at] ^= 1;
    let tampered = home.path().join("tampered.jsonl");
    std::fs::write(&tampered, &bytes).unwrap();
    let out = python(&script_path, &[&tampered]);
    assert_eq!(out.code, 1);
    let place = format!("seq 3 at byte {}", offset_of(&original, 2));
    assert!(
        out.stderr.starts_with(&format!("FAILED: {place}: ")),
        "{}",
        out.stderr
    );
    let out = journal_cmd(home.path(), &["verify"], &[&tampered]);
    assert!(
        out.stdout.contains(&format!("first bad entry: {place}: ")),
        "{}",
        out.stdout
    );
    // And a torn tail.
    let cut = offset_of(&original, 3) + 10;
    std::fs::write(&tampered, &original[..cut]).unwrap();
    let out = python(&script_path, &[&tampered]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.starts_with(&format!(
            "FAILED: seq 4 at byte {}: ",
            offset_of(&original, 3)
        )),
        "{}",
        out.stderr
    );

    // The decryption recipe reads the encrypted journal with stock tools.
    let has_crypto = Command::new("python3")
        .args(["-c", "import cryptography"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_crypto {
        eprintln!("SKIPPED decryption recipe: python3 has no `cryptography` package");
        return;
    }
    if !have("age", "documented decryption recipe") {
        return;
    }
    let decrypt = home.path().join("decrypt.py");
    std::fs::write(&decrypt, doc_block("python", "ChaCha20Poly1305")).unwrap();
    let out = python(&decrypt, &[&enc, &lib.identity_path]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("\"text\":\"ransom note found\""),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("\"name\":\"Sam\""), "{}", out.stdout);
}

/// Issue 24: `note` appends from the `<journal>.tail` record, reading the
/// first entry, the clock-setting entries and the last one, not the whole
/// journal; checking the whole chain is `journal verify`'s job. An entry
/// altered in the middle does not stop a responder's note from being
/// recorded, and verify still names the altered entry by seq and byte.
#[test]
fn a_note_appends_from_the_tail_and_verify_still_catches_tampering_in_the_middle() {
    let home = tempfile::tempdir().unwrap();
    let (path, _) = plain_journal(home.path(), "j.jsonl", 6);
    let tail = home.path().join("j.jsonl.tail");
    assert!(tail.is_file(), "each note leaves the record for the next");
    let original = std::fs::read(&path).unwrap();
    let at = offset_of(&original, 2)
        + String::from_utf8_lossy(&lines(&original)[2])
            .find("note number 1")
            .unwrap()
        + 2;
    let mut altered = original.clone();
    altered[at] ^= 0x1e;
    std::fs::write(&path, &altered).unwrap();

    let witness = note(home.path(), &path, "Kim Lee", "Recorded after the damage");
    assert!(witness.starts_with("8:"), "{witness}");
    let out = journal_cmd(home.path(), &["verify"], &[&path]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "first bad entry: seq 3 at byte {}: content does not match its hash: the entry was altered",
            offset_of(&original, 2)
        )),
        "{}",
        out.stdout
    );

    // A record that no longer matches the journal (here: the last entry
    // altered, which the record holds a copy of) is not used: the note
    // reads the journal the full way and refuses the broken chain, as
    // before.
    let now = std::fs::read(&path).unwrap();
    let last = offset_of(&now, 7);
    let mut head_altered = now.clone();
    let text_at = last
        + String::from_utf8_lossy(&lines(&now)[7])
            .find("Recorded")
            .unwrap();
    head_altered[text_at] ^= 0x01;
    std::fs::write(&path, &head_altered).unwrap();
    let out = run(grabbag(home.path())
        .args(["note", "--plaintext"])
        .arg(&path)
        .arg("refused"));
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("NOT recorded"), "{}", out.stderr);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        head_altered,
        "nothing appended"
    );
}

/// `journal merge` checks each source's signature in the same single read
/// that indexes it for merging (issue 24), and, having written the merged
/// file without reading it back, still says when a signature beside the
/// output no longer matches it.
#[test]
fn merge_checks_source_signatures_in_its_one_pass_and_flags_a_stale_output_signature() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let (alice, _) = plain_journal(home, "alice.jsonl", 2);
    let (bob, _) = plain_journal(home, "bob.jsonl", 2);
    let (_, key, allowed) = alice_key(home);
    let sign = |file: &Path| {
        let out = journal_with(
            grabbag(home),
            &["sign", "--key", key.to_str().unwrap()],
            &[file],
        );
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    };
    let timeline = home.join("timeline.jsonl");
    let merge = |sources: &[&Path]| {
        let mut cmd = grabbag(home);
        cmd.args(["journal", "merge", "--force", "--allowed-signers"])
            .arg(&allowed)
            .args(sources)
            .arg("-o")
            .arg(&timeline);
        run(&mut cmd)
    };
    // A source signed, then grown: its signature covers a prefix, still valid.
    sign(&alice);
    note(home, &alice, "Sam Patel", "after signing");
    let out = merge(&[&alice, &bob]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("Merged 2 journals into") && !out.stdout.contains("warning"),
        "{}",
        out.stdout
    );
    let first = std::fs::read(&timeline).unwrap();

    // The output signed, then merged again from the same sources: the same
    // bytes, so the signature still holds and nothing is said.
    sign(&timeline);
    let out = merge(&[&alice, &bob]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(std::fs::read(&timeline).unwrap(), first);
    assert!(!out.stdout.contains("warning"), "{}", out.stdout);
    // In another order the file differs: the old signature is called out.
    let out = merge(&[&bob, &alice]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("belonged to the file replaced and no longer matches"),
        "{}",
        out.stdout
    );

    // A source whose signature is another file's is refused, output untouched.
    let before = std::fs::read(&timeline).unwrap();
    sign(&bob);
    std::fs::copy(home.join("bob.jsonl.sig"), home.join("alice.jsonl.sig")).unwrap();
    let out = merge(&[&alice, &bob]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("alice.jsonl.sig: INVALID"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("refusing to merge") && out.stderr.contains("alice.jsonl"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(&timeline).unwrap(), before);
}
