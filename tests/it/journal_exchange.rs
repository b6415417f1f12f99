//! `grabbag journal push` / `pull` (docs/journal-exchange.md): three laptops,
//! each a real clone of one library, exchange journals written by the real
//! binary through a bare repository on a path (the "stick"), and through the
//! system's `git` with a `file://` URL. Attackers craft the stick's refs and
//! trees with the real `git` plumbing.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{self, Run, TestLibrary, run};
use crate::require_tools;
use crate::support::Sandbox;

/// One library, three laptops cloned from it, and a bare repository stick.
struct Room {
    lib: TestLibrary,
    sb: Sandbox,
    stick: PathBuf,
    laptops: Vec<PathBuf>,
}

impl Room {
    fn new() -> Self {
        Self::with_signer(None)
    }

    /// A room whose library allows `signer` (a public key line) to sign
    /// journals, in a commit the laptops clone.
    fn with_signer(signer: Option<&str>) -> Self {
        let lib = TestLibrary::with(&[(
            "cyber/ransomware",
            &harness::runbook_text("cyber/ransomware", "Ransomware"),
        )]);
        let sb = Sandbox::new();
        let stick = sb.join("stick.git");
        let root = lib.root.to_str().expect("utf-8 temp path").to_owned();
        if let Some(key) = signer {
            crate::support::write(
                &lib.root,
                ".grabbag/allowed_signers",
                &format!("responder@council.example namespaces=\"grabbag-journal\" {key}\n"),
            );
            sb.git(&lib.root, &["add", ".grabbag/allowed_signers"]);
            sb.git(&lib.root, &["commit", "-q", "-m", "Allow a journal signer"]);
        }
        sb.git(
            sb.path(),
            &["init", "-q", "--bare", stick.to_str().expect("utf-8")],
        );
        // The library's branch is on the stick too: push and pull must
        // leave it alone.
        sb.git(
            &lib.root,
            &[
                "push",
                "-q",
                stick.to_str().expect("utf-8"),
                "HEAD:refs/heads/main",
            ],
        );
        let laptops = (0..3)
            .map(|i| {
                let dir = sb.join(&format!("laptop{i}"));
                sb.git(
                    sb.path(),
                    &["clone", "-q", &root, dir.to_str().expect("utf-8")],
                );
                dir
            })
            .collect();
        Self {
            lib,
            sb,
            stick,
            laptops,
        }
    }

    /// The binary on laptop `i`, run from inside its library.
    fn grabbag(&self, i: usize) -> Command {
        let mut cmd = harness::grabbag(self.lib.home.path());
        cmd.env("GRABBAG_LIBRARY", &self.laptops[i])
            .env("GRABBAG_IDENTITY", &self.lib.identity_path)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.sb.join(".gitconfig"))
            .current_dir(&self.laptops[i]);
        cmd
    }

    fn journal(&self, i: usize) -> PathBuf {
        self.laptops[i].join(format!("journals/incident-{i}.jsonl"))
    }

    fn note(&self, i: usize, text: &str) {
        let out = run(self
            .grabbag(i)
            .args(["note", "--actor", &format!("Responder {i}")])
            .arg(self.journal(i))
            .arg(text));
        assert_eq!(out.code, 0, "{}", out.stderr);
    }

    fn exchange(&self, i: usize, what: &str, remote: &str) -> Run {
        run(self
            .grabbag(i)
            .args(["journal", what, remote, "--sender"])
            .arg(format!("laptop-{i}")))
    }

    fn push(&self, i: usize) -> Run {
        self.exchange(i, "push", self.stick.to_str().expect("utf-8"))
    }

    fn pull(&self, i: usize) -> Run {
        self.exchange(i, "pull", self.stick.to_str().expect("utf-8"))
    }

    fn received(&self, i: usize, sender: &str, name: &str) -> PathBuf {
        self.laptops[i]
            .join("journals/received")
            .join(sender)
            .join(name)
    }

    fn stick_git(&self, args: &[&str]) -> String {
        self.sb.git(&self.stick, args)
    }

    /// Writes `bytes` as a blob on the stick; returns its id.
    fn stick_blob(&self, bytes: &[u8]) -> String {
        let out =
            self.sb
                .run_with_stdin(&self.stick, "git", &["hash-object", "-w", "--stdin"], bytes);
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// A commit on the stick whose tree has exactly `entries` (mode, type,
    /// id, name), made by `git mktree` (which takes any name), set as
    /// `refs/grabbag/journals/<sender>`.
    fn stick_commit(&self, sender: &str, entries: &[(&str, &str, &str, &[u8])]) -> String {
        let mut listing = Vec::new();
        for (mode, kind, id, name) in entries {
            listing.extend_from_slice(format!("{mode} {kind} {id}\t").as_bytes());
            listing.extend_from_slice(name);
            listing.push(0);
        }
        let out =
            self.sb
                .run_with_stdin(&self.stick, "git", &["mktree", "-z", "--missing"], &listing);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tree = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let commit = self
            .stick_git(&["commit-tree", &tree, "-m", "crafted"])
            .trim()
            .to_owned();
        self.stick_git(&[
            "update-ref",
            &format!("refs/grabbag/journals/{sender}"),
            &commit,
        ]);
        commit
    }

    fn stick_ref(&self, sender: &str) -> String {
        self.stick_git(&["rev-parse", &format!("refs/grabbag/journals/{sender}")])
            .trim()
            .to_owned()
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn three_laptops_meet_on_a_stick_and_pull_twice_changes_nothing() {
    require_tools!("git");
    let room = Room::new();
    let main_before = room.stick_git(&["rev-parse", "refs/heads/main"]);
    for i in 0..3 {
        room.note(i, &format!("first note from laptop {i}"));
        room.note(i, &format!("second note from laptop {i}"));
    }
    // Laptop 1's journal has a `.key` for later readers: it travels too.
    let out = run(room
        .grabbag(1)
        .args(["journal", "rekey"])
        .arg(room.journal(1)));
    assert_eq!(out.code, 0, "{}", out.stderr);
    for i in 0..2 {
        let out = room.push(i);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        assert!(
            out.stdout
                .contains(&format!("incident-{i}.jsonl: 3 entries")),
            "{}",
            out.stdout
        );
    }

    let out = room.pull(2);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    for i in 0..2 {
        let stored = room.received(2, &format!("laptop-{i}"), &format!("incident-{i}.jsonl"));
        assert_eq!(
            read(&stored),
            read(&room.journal(i)),
            "laptop {i}'s journal arrives whole"
        );
        let verify = run(room.grabbag(2).args(["journal", "verify"]).arg(&stored));
        assert_eq!(verify.code, 0, "{}", verify.stdout);
    }
    assert_eq!(
        read(&room.received(2, "laptop-1", "incident-1.jsonl.key")),
        read(&room.laptops[1].join("journals/incident-1.jsonl.key"))
    );
    // Its own journal is not pulled back, and the received ones stay out of
    // git status (and so out of a sync's way).
    assert!(!room.laptops[2].join("journals/received/laptop-2").exists());
    let status = room.sb.git(
        &room.laptops[2],
        &["status", "--porcelain", "--untracked-files=all"],
    );
    assert_eq!(status, "", "received journals are untracked and ignored");

    // Pulling again changes nothing and says so.
    let before: Vec<Vec<u8>> = (0..2)
        .map(|i| read(&room.received(2, &format!("laptop-{i}"), &format!("incident-{i}.jsonl"))))
        .collect();
    let again = room.pull(2);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        again.stdout.matches("unchanged").count(),
        2,
        "{}",
        again.stdout
    );
    let json = run(room
        .grabbag(2)
        .args(["journal", "pull", "--json", "--sender", "laptop-2"])
        .arg(&room.stick));
    assert_eq!(json.code, 0, "{}", json.stderr);
    let report: serde_json::Value =
        serde_json::from_str(&json.stdout).expect("pull --json is JSON");
    assert_eq!(report["sender"], "laptop-2");
    assert_eq!(report["refused"], serde_json::json!([]));
    let received = report["received"].as_array().expect("received");
    assert_eq!(received.len(), 2, "{report}");
    assert_eq!(
        received[0]["stored"],
        "journals/received/laptop-0/incident-0.jsonl"
    );
    assert_eq!(received[0]["arrival"], "unchanged");
    assert_eq!(received[0]["entries"], 3);
    for (i, bytes) in before.iter().enumerate() {
        assert_eq!(
            &read(&room.received(2, &format!("laptop-{i}"), &format!("incident-{i}.jsonl"))),
            bytes
        );
    }

    // A journal that grows travels again: only as a fast-forward of the
    // sender's own ref, one commit per push holding only its journals.
    let first = room.stick_ref("laptop-0");
    room.note(0, "third note");
    let out = room.push(0);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let second = room.stick_ref("laptop-0");
    assert_eq!(
        room.stick_git(&["rev-parse", &format!("{second}^")]).trim(),
        first
    );
    assert_eq!(
        room.stick_git(&["ls-tree", "--name-only", &second]),
        "incident-0.jsonl\n"
    );
    let out = room.pull(2);
    assert!(out.stdout.contains("grew"), "{}", out.stdout);
    assert_eq!(
        read(&room.received(2, "laptop-0", "incident-0.jsonl")),
        read(&room.journal(0))
    );

    // A received journal is another laptop's: never appended to or resumed here.
    let stored = room.received(2, "laptop-0", "incident-0.jsonl");
    let before = read(&stored);
    let out = run(room
        .grabbag(2)
        .args(["note"])
        .arg(&stored)
        .arg("not mine to write"));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("received from another laptop"),
        "{}",
        out.stderr
    );
    let out = run(room.grabbag(2).args(["run", "--journal"]).arg(&stored));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("received from another laptop"),
        "{}",
        out.stderr
    );
    assert_eq!(read(&stored), before);

    // What grabbag wrote on the stick is sound to git itself.
    room.stick_git(&["fsck", "--strict", "--no-dangling"]);

    // The library's branch on the stick, and the laptops' runbooks, are untouched.
    assert_eq!(
        room.stick_git(&["rev-parse", "refs/heads/main"]),
        main_before
    );
    let refs = room.stick_git(&["for-each-ref", "--format=%(refname)"]);
    assert_eq!(
        refs,
        "refs/grabbag/journals/laptop-0\nrefs/grabbag/journals/laptop-1\nrefs/heads/main\n"
    );
}

#[test]
fn a_rewritten_journal_is_refused_on_push_and_on_pull() {
    require_tools!("git");
    let room = Room::new();
    room.note(0, "the real first note");
    room.note(0, "the real second note");
    assert_eq!(room.push(0).code, 0);
    assert_eq!(room.pull(2).code, 0);
    let sent = room.stick_ref("laptop-0");

    // Laptop 0 starts its journal again under the same name: valid, but
    // not an extension of what travelled.
    let original = read(&room.journal(0));
    std::fs::remove_file(room.journal(0)).expect("journal removed");
    room.note(0, "a different story");
    let out = room.push(0);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("laptop-0/incident-0.jsonl") && out.stderr.contains("does not extend"),
        "{}",
        out.stderr
    );
    assert_eq!(room.stick_ref("laptop-0"), sent, "nothing was pushed");

    // Someone force-writes the rewritten journal onto the stick by hand:
    // the laptop that received the first version refuses it and keeps it.
    let rewritten = room.stick_blob(&read(&room.journal(0)));
    room.stick_commit(
        "laptop-0",
        &[("100644", "blob", &rewritten, b"incident-0.jsonl")],
    );
    let out = room.pull(2);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("laptop-0/incident-0.jsonl") && out.stderr.contains("rewritten"),
        "{}",
        out.stderr
    );
    assert_eq!(
        read(&room.received(2, "laptop-0", "incident-0.jsonl")),
        original
    );

    // A stick that holds less than was received (an older copy of it) is
    // behind: said so, and the copy here is kept.
    let first_line = original
        .iter()
        .position(|&b| b == b'\n')
        .map(|end| original[..=end].to_vec())
        .expect("a whole first entry");
    let older = room.stick_blob(&first_line);
    room.stick_commit(
        "laptop-0",
        &[("100644", "blob", &older, b"incident-0.jsonl")],
    );
    let out = room.pull(2);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("BEHIND"), "{}", out.stdout);
    assert_eq!(
        read(&room.received(2, "laptop-0", "incident-0.jsonl")),
        original
    );
}

#[test]
fn a_last_line_still_being_written_is_held_back() {
    require_tools!("git");
    let room = Room::new();
    room.note(1, "a whole entry");
    let whole = read(&room.journal(1));
    let mut torn = whole.clone();
    torn.extend_from_slice(b"{\"seq\":3,\"at\":\"2026-");
    std::fs::write(room.journal(1), &torn).expect("torn tail written");
    let out = room.push(1);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("held back 20 bytes"), "{}", out.stdout);
    let sent = room.stick_git(&[
        "cat-file",
        "blob",
        "refs/grabbag/journals/laptop-1:incident-1.jsonl",
    ]);
    assert_eq!(
        sent.as_bytes(),
        whole.as_slice(),
        "only complete entries travel"
    );
    assert_eq!(
        read(&room.journal(1)),
        torn,
        "the journal itself is not touched"
    );
}

#[test]
fn the_system_git_path_carries_journals_by_url() {
    require_tools!("git");
    let room = Room::new();
    room.note(0, "sent through git");
    let url = format!("file://{}", room.stick.display());
    let out = room.exchange(0, "push", &url);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // An exported GIT_DIR (a hook, a shell left in another repository) does
    // not send the fetch elsewhere.
    let decoy = room.sb.join("decoy.git");
    room.sb.git(
        room.sb.path(),
        &["init", "-q", "--bare", decoy.to_str().expect("utf-8")],
    );
    let out = run(room
        .grabbag(1)
        .env("GIT_DIR", &decoy)
        .args(["journal", "pull", &url, "--sender", "laptop-1"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        read(&room.received(1, "laptop-0", "incident-0.jsonl")),
        read(&room.journal(0))
    );
    assert_eq!(
        room.sb.git(&decoy, &["for-each-ref"]),
        "",
        "nothing went to GIT_DIR"
    );
    // A rewrite is refused by the remote's own fast-forward rule too.
    let sent = room.stick_ref("laptop-0");
    std::fs::remove_file(room.journal(0)).expect("journal removed");
    room.note(0, "another story");
    let out = room.exchange(0, "push", &url);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(room.stick_ref("laptop-0"), sent);
}

#[test]
fn hostile_refs_and_trees_are_refused_by_name_and_never_followed() {
    require_tools!("git");
    let room = Room::new();
    room.note(0, "genuine");
    let genuine = read(&room.journal(0));
    let good = room.stick_blob(&genuine);
    let mut altered = genuine.clone();
    let at = altered.len() - 10;
    altered[at] ^= 1;
    let tampered = room.stick_blob(&altered);
    let passwd = room.stick_blob(b"/etc/passwd");
    let big = room.stick_blob(&vec![b'k'; 2 << 20]);
    let notes = room.stick_blob(b"just notes\n");
    let empty_tree = room.stick_git(&["mktree"]).trim().to_owned();
    let submodule = "0123456789012345678901234567890123456789";
    room.stick_commit(
        "mallory",
        &[
            ("100644", "blob", &good, b"good.jsonl"),
            ("100644", "blob", &tampered, b"tampered.jsonl"),
            ("120000", "blob", &passwd, b"link.jsonl"),
            ("160000", "commit", submodule, b"module.jsonl"),
            ("040000", "tree", &empty_tree, b"folder.jsonl"),
            ("100644", "blob", &notes, b"notes.md"),
            ("100644", "blob", &good, b"..jsonl"),
            ("100644", "blob", &good, b"esc\x1b[31mred.jsonl"),
            ("100644", "blob", &big, b"good.jsonl.key"),
            ("100644", "blob", &notes, b"orphan.jsonl.sig"),
        ],
    );
    // Refs whose names are no sender: upper case, nested, a device name, a blob.
    let commit = room.stick_ref("mallory");
    for name in ["Mallory", "a/b", "nul"] {
        room.stick_git(&[
            "update-ref",
            &format!("refs/grabbag/journals/{name}"),
            &commit,
        ]);
    }
    room.stick_git(&["update-ref", "refs/grabbag/journals/blobby", &good]);
    // Too many files: refused unread.
    let many: Vec<(String, Vec<u8>)> = (0..1001)
        .map(|n| (good.clone(), format!("j{n:04}.jsonl").into_bytes()))
        .collect();
    let entries: Vec<(&str, &str, &str, &[u8])> = many
        .iter()
        .map(|(id, name)| ("100644", "blob", id.as_str(), name.as_slice()))
        .collect();
    room.stick_commit("crowd", &entries);

    let out = room.pull(2);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let err = &out.stderr;
    assert!(
        !err.contains('\u{1b}') && !out.stdout.contains('\u{1b}'),
        "no raw escape printed"
    );
    for (who, why) in [
        ("mallory/tampered.jsonl", "fails verification"),
        ("mallory/link.jsonl", "symbolic link"),
        ("mallory/module.jsonl", "submodule"),
        ("mallory/folder.jsonl", "folder"),
        ("mallory/notes.md", "not a journal"),
        ("mallory/..jsonl", "its name is refused"),
        ("mallory/esc", "its name is refused"),
        ("mallory/good.jsonl.key", "more than the 1048576 allowed"),
        ("mallory/orphan.jsonl", "without its journal"),
        ("Mallory", "names no sender"),
        ("a/b", "names no sender"),
        ("nul", "names no sender"),
        ("blobby", "not a commit"),
        ("crowd", "1001 files"),
    ] {
        assert!(
            err.lines().any(|l| l.contains(who) && l.contains(why)),
            "{who}: {why} missing from:\n{err}"
        );
    }
    // Only the genuine journal is stored, nothing else of the attacker's.
    let received = room.laptops[2].join("journals/received");
    let mut stored: Vec<String> = walk(&received);
    stored.sort();
    assert_eq!(stored, ["mallory/good.jsonl"], "{stored:?}");
    assert_eq!(read(&received.join("mallory/good.jsonl")), genuine);
    // The oversized file was refused on the stick, never copied into the
    // library (a pull through the system's git, below, copies first).
    let copied = std::process::Command::new("git")
        .arg("-C")
        .arg(&room.laptops[2])
        .args(["cat-file", "-e", &big])
        .status()
        .expect("git runs");
    assert!(!copied.success(), "the 2 MiB file reached the library");

    // Through the system's git (a file:// URL) the same things are refused.
    let url = format!("file://{}", room.stick.display());
    let by_url = room.exchange(1, "pull", &url);
    assert_eq!(by_url.code, 1, "{}{}", by_url.stdout, by_url.stderr);
    // What is refused: a stick is judged before its objects are copied,
    // a URL after, so the words may differ, never the sender or file.
    let refusals = |text: &str| -> Vec<String> {
        let mut who: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("refused: "))
            .filter_map(|l| l.split_once(": ").map(|(who, _)| who.to_owned()))
            .collect();
        who.sort();
        who
    };
    assert_eq!(refusals(&by_url.stderr), refusals(err));
    assert_eq!(refusals(err).len(), 14, "{err}");

    // A push cannot build on its own ref when the stick holds it in a form
    // a pull would not read: it says why and pushes nothing.
    room.stick_commit("laptop-0", &entries);
    let held = room.stick_ref("laptop-0");
    let out = room.push(0);
    assert_ne!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("nothing was pushed") && out.stderr.contains("1001 files"),
        "{}",
        out.stderr
    );
    assert_eq!(room.stick_ref("laptop-0"), held);
    assert_eq!(
        walk(&room.laptops[1].join("journals/received")),
        ["mallory/good.jsonl"]
    );
}

#[test]
fn a_received_folder_that_is_a_link_is_never_written_through() {
    require_tools!("git");
    let room = Room::new();
    room.note(0, "to be received");
    assert_eq!(room.push(0).code, 0);
    let outside = room.sb.join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");
    let received = room.laptops[2].join("journals/received");
    std::fs::create_dir_all(&received).expect("mkdir");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, received.join("laptop-0")).expect("symlink");
    #[cfg(not(unix))]
    return;
    let out = room.pull(2);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("laptop-0/incident-0.jsonl"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_dir(&outside).expect("read outside").count(),
        0
    );
}

#[test]
fn a_signature_travels_and_a_forged_one_is_refused() {
    require_tools!("git", "ssh-keygen");
    let keys = Sandbox::new();
    let key = keys.ssh_keygen("responder", "responder@council.example");
    let room = Room::with_signer(Some(&crate::support::public_key(&key)));
    room.note(0, "signed note");
    let out = run(room
        .grabbag(0)
        .args(["journal", "sign"])
        .arg(room.journal(0))
        .arg("--key")
        .arg(&key));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(room.push(0).code, 0);
    let out = room.pull(2);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("signature valid"), "{}", out.stdout);
    let sig = room.received(2, "laptop-0", "incident-0.jsonl.sig");
    let good_sig = read(&sig);

    // The same journal with a signature over other bytes, by the same key.
    std::fs::write(keys.join("other"), b"other bytes\n").expect("write");
    let forged = keys.ssh_sign(&key, "grabbag-journal", "other");
    let journal = room.stick_blob(&read(&room.journal(0)));
    let forged = room.stick_blob(forged.as_bytes());
    room.stick_commit(
        "laptop-0",
        &[
            ("100644", "blob", &journal, b"incident-0.jsonl"),
            ("100644", "blob", &forged, b"incident-0.jsonl.sig"),
        ],
    );
    let out = room.pull(2);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("laptop-0/incident-0.jsonl") && out.stderr.contains("signature"),
        "{}",
        out.stderr
    );
    assert_eq!(read(&sig), good_sig, "the good signature stays");
}

#[cfg(unix)]
#[test]
fn a_journal_that_is_a_link_is_never_sent() {
    require_tools!("git");
    let room = Room::new();
    room.note(0, "a real journal");
    // A link planted among the live journals, to a valid journal elsewhere.
    let elsewhere = room.sb.join("elsewhere.jsonl");
    std::fs::copy(room.journal(0), &elsewhere).expect("copy");
    std::os::unix::fs::symlink(&elsewhere, room.laptops[0].join("journals/linked.jsonl"))
        .expect("symlink");
    let out = room.push(0);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("laptop-0/linked.jsonl") && out.stderr.contains("symbolic link"),
        "{}",
        out.stderr
    );
    let refs = room.stick_git(&["for-each-ref", "refs/grabbag"]);
    assert_eq!(refs, "", "nothing was pushed");
}

#[test]
fn a_push_other_laptops_would_refuse_for_its_size_is_not_made() {
    require_tools!("git");
    let room = Room::new();
    room.note(0, "copied many times");
    for n in 0..1000 {
        std::fs::copy(
            room.journal(0),
            room.laptops[0].join(format!("journals/copy-{n:04}.jsonl")),
        )
        .expect("copy");
    }
    let out = room.push(0);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("1001 files"), "{}", out.stderr);
    assert_eq!(room.stick_git(&["for-each-ref", "refs/grabbag"]), "");
}

/// Every file below `dir`, relative to it.
fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            let name = entry.file_name().to_string_lossy().into_owned();
            out.extend(walk(&path).into_iter().map(|p| format!("{name}/{p}")));
        } else {
            out.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    out
}
