//! Attacks on trust, as an attacker with a USB stick would make them: hostile
//! commits signed with real `ssh-keygen` keys by the real `git`, carried in
//! `git bundle` files, synced into a library built by the real `grabbag demo`,
//! then read back with the real binary (`list`, `show --require-signed`, `log`,
//! `sync`, `audit`). Nothing untrusted may ever read as trusted.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{Run, grabbag, run, runbook_text};
use crate::require_tools;
use crate::support::{Sandbox, public_key, write};

/// The demo's signer, as its allowed_signers names it.
const DEMO_SIGNER: &str = "demo-signer@grabbag.example";

/// A demo library on the laptop, and the attacker's clone of it ("upstream")
/// where hostile commits are made and bundled.
struct World {
    sb: Sandbox,
    library: PathBuf,
    identity: PathBuf,
    demo_key: PathBuf,
    upstream: PathBuf,
}

impl World {
    fn new() -> Self {
        let sb = Sandbox::new();
        let demo = sb.join("demo");
        let made = run(grabbag(sb.path())
            .args(["demo", "--no-tui", "--dir"])
            .arg(&demo));
        assert_eq!(made.code, 0, "{made:?}");
        let library = demo.join("library");
        let upstream = sb.join("upstream");
        sb.git(
            sb.path(),
            &[
                "clone",
                "-q",
                library.to_str().unwrap(),
                upstream.to_str().unwrap(),
            ],
        );
        sb.git(&upstream, &["config", "gpg.format", "ssh"]);
        Self {
            library,
            identity: demo.join("keys/demo-identity.txt"),
            demo_key: demo.join("keys/demo-signing-ed25519"),
            upstream,
            sb,
        }
    }

    /// The real binary on the laptop's library.
    fn grabbag(&self, args: &[&str]) -> Run {
        run(grabbag(self.sb.path())
            .env("GRABBAG_LIBRARY", &self.library)
            .env("GRABBAG_IDENTITY", &self.identity)
            .args(args))
    }

    /// git in upstream.
    fn up(&self, args: &[&str]) -> String {
        self.sb.git(&self.upstream, args)
    }

    /// Sign the next upstream commits with `key` (None: unsigned).
    fn sign_with(&self, key: Option<&Path>) {
        match key {
            Some(key) => {
                self.up(&["config", "user.signingkey", key.to_str().unwrap()]);
                self.up(&["config", "commit.gpgsign", "true"]);
            }
            None => {
                self.up(&["config", "commit.gpgsign", "false"]);
            }
        }
    }

    /// Commit everything in upstream with `message`; `env` sets e.g. dates.
    fn commit(&self, message: &str, env: &[(&str, &str)]) -> String {
        self.up(&["add", "-A"]);
        let mut cmd = self.sb.command("git");
        cmd.args(["commit", "-q", "-m", message])
            .current_dir(&self.upstream);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        self.up(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// Append a line for `key` to upstream's allowed_signers.
    fn allow(&self, principal: &str, options: &str, key: &Path) {
        let path = self.upstream.join(".grabbag/allowed_signers");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(&format!("{principal} {options} {}\n", public_key(key)));
        std::fs::write(path, text).unwrap();
    }

    /// Replace runbook `id` (an encrypted `.toml.age`) by a plaintext draft
    /// with another title, as an attacker without the age key would.
    fn replace_runbook(&self, id: &str, title: &str) {
        let sealed = self.upstream.join(format!("{id}.toml.age"));
        if sealed.exists() {
            std::fs::remove_file(sealed).unwrap();
        }
        write(
            &self.upstream,
            &format!("{id}.toml"),
            &runbook_text(id, title),
        );
    }

    /// `git bundle create` of upstream's main.
    fn bundle(&self, name: &str) -> PathBuf {
        let dest = self.sb.join(name);
        self.up(&["bundle", "create", "-q", dest.to_str().unwrap(), "main"]);
        dest
    }

    fn library_head(&self) -> String {
        self.sb
            .git(&self.library, &["rev-parse", "HEAD"])
            .trim()
            .to_owned()
    }

    /// `list --json`: the runbook with `id`.
    fn listed(&self, id: &str) -> Value {
        let out = self.grabbag(&["list", "--json"]);
        let list: Value = serde_json::from_str(&out.stdout).unwrap();
        list["runbooks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["runbook"]["id"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// What `list`, `show --require-signed`, `log` and `audit` say about
    /// runbook `id`: none may call it trusted.
    fn assert_untrusted_everywhere(&self, id: &str, title: &str) {
        let listed = self.listed(id);
        assert_eq!(listed["runbook"]["title"], title, "{listed}");
        assert_eq!(listed["trust"]["status"], "untrusted", "{listed}");
        let list = self.grabbag(&["list"]);
        let row = list.stdout.lines().find(|l| l.starts_with(id)).unwrap();
        assert!(
            row.contains("UNTRUSTED") && !row.contains("SIGNED"),
            "{row}"
        );
        let show = self.grabbag(&["show", id, "--require-signed"]);
        assert_ne!(show.code, 0, "{show:?}");
        assert!(
            show.stderr.contains("refused by --require-signed"),
            "{show:?}"
        );
        let log = self.grabbag(&["log", id, "--json"]);
        let log: Value = serde_json::from_str(&log.stdout).unwrap();
        assert_eq!(log[0]["trust"]["status"], "untrusted", "{log}");
        let audit = self.grabbag(&["audit", "--json"]);
        let audit: Value = serde_json::from_str(&audit.stdout).unwrap();
        let entry = audit["runbooks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap();
        assert_eq!(entry["signed"], false, "{entry}");
    }
}

#[test]
fn a_commit_cannot_trust_the_key_that_signs_it() {
    require_tools!("git", "ssh-keygen");
    let world = World::new();
    let mallory = world.sb.ssh_keygen("mallory", "mallory");
    // One commit, signed by Mallory, adds Mallory to allowed_signers and
    // rewrites the ransomware runbook; an unsigned commit follows.
    world.sign_with(Some(&mallory));
    world.allow("mallory@evil.example", "namespaces=\"git\"", &mallory);
    world.replace_runbook("cyber/ransomware", "Pay the ransom");
    let evil = world.commit("Trust mallory, update ransomware", &[]);
    world.sign_with(None);
    write(&world.upstream, "README.md", "nothing to see\n");
    let unsigned = world.commit("Tidy the readme", &[]);
    let bundle = world.bundle("evil.bundle");

    let sync = world.grabbag(&["sync", bundle.to_str().unwrap()]);
    assert_eq!(sync.code, 0, "{sync:?}");
    // Every untrusted commit is named with its summary and reason, not only the tip.
    for (id, summary, why) in [
        (&evil, "Trust mallory, update ransomware", "unknown key"),
        (&unsigned, "Tidy the readme", "unsigned"),
    ] {
        let line = sync
            .stdout
            .lines()
            .position(|l| l.contains(&id[..12]) && l.contains(summary))
            .unwrap_or_else(|| panic!("{id} not named: {}", sync.stdout));
        let reason = sync.stdout.lines().nth(line + 1).unwrap();
        assert!(reason.contains(why), "{reason}");
    }
    assert!(
        sync.stdout.contains("2 of 2 new commit(s) are UNTRUSTED"),
        "{}",
        sync.stdout
    );

    // The working tree now lists Mallory; trust does not.
    world.assert_untrusted_everywhere("cyber/ransomware", "Pay the ransom");
    let phishing = world.listed("cyber/phishing-bec");
    assert_eq!(phishing["trust"]["status"], "trusted", "{phishing}");

    // Mallory's next commit is refused by `sync --require-signed` as well.
    world.sign_with(Some(&mallory));
    world.replace_runbook("cyber/phishing-bec", "Click the link");
    world.commit("Update phishing", &[]);
    let bundle = world.bundle("evil2.bundle");
    let before = world.library_head();
    let refused = world.grabbag(&["sync", "--require-signed", bundle.to_str().unwrap()]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("not trusted"), "{refused:?}");
    assert_eq!(world.library_head(), before);
}

#[test]
fn a_trusted_signer_can_add_a_key_and_its_commits_are_trusted() {
    require_tools!("git", "ssh-keygen");
    let world = World::new();
    let bob = world.sb.ssh_keygen("bob", "bob");
    world.sign_with(Some(&world.demo_key));
    world.allow("bob@council.example", "namespaces=\"git\"", &bob);
    world.commit("Trust bob", &[]);
    world.sign_with(Some(&bob));
    world.replace_runbook("cyber/ransomware", "Ransomware, revised by Bob");
    world.commit("Bob revises ransomware", &[]);
    let bundle = world.bundle("good.bundle");
    let sync = world.grabbag(&["sync", "--require-signed", bundle.to_str().unwrap()]);
    assert_eq!(sync.code, 0, "{sync:?}");
    let listed = world.listed("cyber/ransomware");
    assert_eq!(listed["trust"]["signer"], "bob@council.example", "{listed}");
}

#[test]
fn a_history_that_starts_trust_elsewhere_is_refused() {
    require_tools!("git", "ssh-keygen");
    let world = World::new();
    let mallory = world.sb.ssh_keygen("mallory", "mallory");
    // A new root commit whose allowed_signers lists only Mallory, merged so
    // that it is the first parent and the library's history the second: the
    // bundle fast-forwards the library, but its first-parent line would make
    // Mallory's file the trust anchor.
    world.sign_with(Some(&mallory));
    world.up(&["checkout", "-q", "--orphan", "evil"]);
    write(
        &world.upstream,
        ".grabbag/allowed_signers",
        &format!("mallory@evil.example {}\n", public_key(&mallory)),
    );
    world.replace_runbook("cyber/ransomware", "Pay the ransom");
    world.commit("Mallory's root", &[]);
    world.up(&[
        "merge",
        "-q",
        "-s",
        "ours",
        "--allow-unrelated-histories",
        "-m",
        "Merge",
        "main",
    ]);
    world.up(&["branch", "-f", "main", "evil"]);
    let bundle = world.bundle("evil.bundle");
    let before = world.library_head();
    for args in [vec![], vec!["--require-signed"]] {
        let mut argv = vec!["sync"];
        argv.extend(args);
        argv.push(bundle.to_str().unwrap());
        let sync = world.grabbag(&argv);
        assert_eq!(sync.code, 1, "{sync:?}");
        assert!(sync.stderr.contains("trust anchor"), "{sync:?}");
        assert_eq!(world.library_head(), before);
    }
    let listed = world.listed("cyber/ransomware");
    assert_eq!(listed["trust"]["signer"], DEMO_SIGNER, "{listed}");
}

#[test]
fn a_backdated_commit_by_an_expired_key_is_untrusted() {
    require_tools!("git", "ssh-keygen");
    let world = World::new();
    let leaver = world.sb.ssh_keygen("leaver", "leaver");
    // The leaver's key was valid until 2020; the demo signer says so.
    world.sign_with(Some(&world.demo_key));
    world.allow(
        "leaver@council.example",
        "namespaces=\"git\",valid-before=\"20200101Z\"",
        &leaver,
    );
    world.commit("Record the leaver's key until 2020", &[]);
    // Signed "in 2019", on top of history made today.
    world.sign_with(Some(&leaver));
    world.replace_runbook("cyber/ransomware", "Backdated ransomware");
    let date = "2019-12-01T12:00:00Z";
    let backdated = world.commit(
        "Backdated edit",
        &[("GIT_COMMITTER_DATE", date), ("GIT_AUTHOR_DATE", date)],
    );
    let bundle = world.bundle("backdated.bundle");

    let before = world.library_head();
    let refused = world.grabbag(&["sync", "--require-signed", bundle.to_str().unwrap()]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("before its parent"), "{refused:?}");
    assert_eq!(world.library_head(), before);

    let sync = world.grabbag(&["sync", bundle.to_str().unwrap()]);
    assert_eq!(sync.code, 0, "{sync:?}");
    assert!(sync.stdout.contains(&backdated[..12]), "{}", sync.stdout);
    world.assert_untrusted_everywhere("cyber/ransomware", "Backdated ransomware");
    let log = world.grabbag(&["log", "cyber/ransomware"]);
    assert!(log.stdout.contains("dated 2019-12-01"), "{}", log.stdout);
}

#[test]
fn an_untrusted_file_cannot_take_a_signed_runbooks_id() {
    require_tools!("git", "ssh-keygen");
    let world = World::new();
    // `aaa.toml` sorts before `cyber/ransomware.toml.age` and claims its id.
    world.sign_with(None);
    write(
        &world.upstream,
        "aaa.toml",
        &runbook_text("cyber/ransomware", "Pay the ransom"),
    );
    world.commit("Add a runbook", &[]);
    let bundle = world.bundle("shadow.bundle");
    let sync = world.grabbag(&["sync", bundle.to_str().unwrap()]);
    assert_eq!(sync.code, 0, "{sync:?}");

    let listed = world.listed("cyber/ransomware");
    assert_eq!(listed["file"], "cyber/ransomware.toml.age", "{listed}");
    assert_eq!(listed["trust"]["status"], "trusted", "{listed}");
    let list = world.grabbag(&["list"]);
    assert_eq!(list.code, 1, "{list:?}");
    let warning = list
        .stderr
        .lines()
        .find(|l| l.contains("aaa.toml"))
        .unwrap_or_else(|| panic!("{list:?}"));
    assert!(
        warning.contains("duplicate runbook id `cyber/ransomware`")
            && warning.contains("cyber/ransomware.toml.age"),
        "{warning}"
    );
    let show = world.grabbag(&["show", "cyber/ransomware", "--require-signed"]);
    assert_eq!(show.code, 0, "{show:?}");
    assert!(!show.stdout.contains("Pay the ransom"), "{}", show.stdout);
    // Exercises are still checked against the genuine runbook's steps.
    let check = world.grabbag(&["exercise", "check"]);
    assert_eq!(check.code, 0, "{check:?}");
    assert!(!check.stderr.contains("has no step"), "{check:?}");
}

#[test]
fn an_untrusted_commit_cannot_switch_trust_checking_off() {
    require_tools!("git", "ssh-keygen");
    let world = World::new();
    // Deleting allowed_signers in an unsigned commit would, if the working
    // tree decided, turn every check off and hide the edit that rides along.
    world.sign_with(None);
    std::fs::remove_file(world.upstream.join(".grabbag/allowed_signers")).unwrap();
    world.replace_runbook("cyber/ransomware", "Pay the ransom");
    world.commit("Drop signing", &[]);
    let bundle = world.bundle("unsigned.bundle");
    let refused = world.grabbag(&["sync", "--require-signed", bundle.to_str().unwrap()]);
    assert_eq!(refused.code, 1, "{refused:?}");
    let sync = world.grabbag(&["sync", bundle.to_str().unwrap()]);
    assert_eq!(sync.code, 0, "{sync:?}");
    assert!(!world.library.join(".grabbag/allowed_signers").exists());
    world.assert_untrusted_everywhere("cyber/ransomware", "Pay the ransom");
    let phishing = world.listed("cyber/phishing-bec");
    assert_eq!(phishing["trust"]["signer"], DEMO_SIGNER, "{phishing}");
}

#[test]
fn duplicate_ids_without_allowed_signers_never_depend_on_file_order() {
    let lib = crate::harness::TestLibrary::with(&[(
        "cyber/ransomware.toml",
        &runbook_text("cyber/ransomware", "Genuine"),
    )]);
    // A file claiming the id from elsewhere loses to the file named after it.
    write(
        &lib.root,
        "aaa.toml",
        &runbook_text("cyber/ransomware", "Shadow"),
    );
    // Two files claiming an id neither is named after: neither loads.
    write(&lib.root, "b.toml", &runbook_text("cyber/other", "B"));
    write(&lib.root, "a.toml", &runbook_text("cyber/other", "A"));
    let out = run(lib.grabbag().args(["list", "--json"]));
    assert_eq!(out.code, 1, "{out:?}");
    let list: Value = serde_json::from_str(&out.stdout).unwrap();
    let ids: Vec<(&str, &str)> = list["runbooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["runbook"]["id"].as_str().unwrap(),
                r["runbook"]["title"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(ids, [("cyber/ransomware", "Genuine")]);
    let failed: Vec<&str> = list["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["a.toml", "aaa.toml", "b.toml"]);
    let text = run(lib.grabbag().arg("list"));
    let a = text
        .stderr
        .lines()
        .find(|l| l.starts_with("warning: a.toml "))
        .unwrap();
    assert!(a.contains("b.toml") && a.contains("none loads"), "{a}");
}

#[test]
fn a_signed_deletion_of_allowed_signers_leaves_nobody_trusted() {
    require_tools!("git", "ssh-keygen");
    let world = World::new();
    // The demo signer removes the file in a signed commit: from then on no
    // key is allowed, and checking stays on rather than switching off.
    world.sign_with(Some(&world.demo_key));
    std::fs::remove_file(world.upstream.join(".grabbag/allowed_signers")).unwrap();
    world.commit("Remove every signer", &[]);
    world.replace_runbook("cyber/ransomware", "Edited after the removal");
    world.commit("Edit signed by the removed key", &[]);
    let bundle = world.bundle("removed.bundle");
    let sync = world.grabbag(&["sync", bundle.to_str().unwrap()]);
    assert_eq!(sync.code, 0, "{sync:?}");
    assert!(
        sync.stdout.contains("1 of 2 new commit(s) are UNTRUSTED"),
        "{}",
        sync.stdout
    );
    world.assert_untrusted_everywhere("cyber/ransomware", "Edited after the removal");
    let phishing = world.listed("cyber/phishing-bec");
    assert_eq!(phishing["trust"]["signer"], DEMO_SIGNER, "{phishing}");
}

impl World {
    /// Remove `principal`'s line from upstream's allowed_signers.
    fn disallow(&self, principal: &str) {
        let path = self.upstream.join(".grabbag/allowed_signers");
        let text = std::fs::read_to_string(&path).unwrap();
        let kept: String = text
            .lines()
            .filter(|l| !l.starts_with(principal))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(path, kept).unwrap();
    }

    /// Replace runbook `id` in upstream by a sealed runbook with another
    /// title, as any recipient can (`grabbag seal` with the demo identity).
    fn seal_in_upstream(&self, id: &str, title: &str) {
        self.replace_runbook(id, title);
        let seal = run(grabbag(self.sb.path())
            .env("GRABBAG_LIBRARY", &self.upstream)
            .env("GRABBAG_IDENTITY", &self.identity)
            .arg("seal")
            .arg(self.upstream.join(format!("{id}.toml"))));
        assert_eq!(seal.code, 0, "{seal:?}");
    }

    /// Sync upstream's main into the library; it must succeed.
    fn sync_ok(&self, name: &str, args: &[&str]) -> Run {
        let bundle = self.bundle(name);
        let mut argv = vec!["sync"];
        argv.extend(args);
        argv.push(bundle.to_str().unwrap());
        let sync = self.grabbag(&argv);
        assert_eq!(sync.code, 0, "{sync:?}");
        sync
    }

    /// Sync upstream's main, with and without `--require-signed`: both are
    /// refused because the library's head is not on its first-parent line,
    /// and the library is left as it was.
    fn assert_refused_as_side_branch(&self, name: &str) {
        let bundle = self.bundle(name);
        let before = self.library_head();
        for args in [vec![], vec!["--require-signed"]] {
            let mut argv = vec!["sync"];
            argv.extend(args);
            argv.push(bundle.to_str().unwrap());
            let sync = self.grabbag(&argv);
            assert_eq!(sync.code, 1, "{sync:?}");
            assert!(sync.stderr.contains("only on a side branch"), "{sync:?}");
            assert_eq!(self.library_head(), before);
        }
    }
}

/// A merge commit on upstream's current branch with `other`, keeping this
/// branch's files (`-s ours`), signed when signing is on.
fn merge_ours(world: &World, other: &str, env: &[(&str, &str)]) {
    let mut cmd = world.sb.command("git");
    cmd.args(["merge", "-q", "-s", "ours", "-m", "Merge main", other])
        .current_dir(&world.upstream);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn a_removed_signer_cannot_come_back_through_a_merge() {
    require_tools!("git", "ssh-keygen");
    let world = World::new();
    let bob = world.sb.ssh_keygen("bob", "bob");
    world.sign_with(Some(&world.demo_key));
    world.allow("bob@council.example", "namespaces=\"git\"", &bob);
    let allowed = world.commit("Allow Bob", &[]);
    world.disallow("bob@council.example");
    world.commit("Remove Bob (leaver)", &[]);
    world.sync_ok("removal.bundle", &["--require-signed"]);

    // Bob forks where he was still allowed, edits, and merges the library's
    // head in as the second parent: along first parents he is never removed.
    world.up(&["checkout", "-q", "-b", "bob", &allowed]);
    world.sign_with(Some(&bob));
    world.replace_runbook("cyber/ransomware", "Pay the ransom");
    let edit = world.commit("Bob's edit", &[]);
    merge_ours(&world, "main", &[]);
    world.up(&["branch", "-f", "main", "bob"]);
    world.assert_refused_as_side_branch("bob-first.bundle");

    // The other parent order passes the first-parent rule, but the merge is
    // judged by the signers at the library's head, and Bob's edit too (a
    // side branch keeps only the signers still allowed where it is merged).
    world.up(&["checkout", "-q", "-B", "main", "origin/main"]);
    world.up(&["reset", "-q", "--hard", &world.library_head()]);
    world.up(&["branch", "-f", "bob", &edit]);
    let merge = world
        .sb
        .command("git")
        .args(["merge", "-q", "--no-ff", "-m", "Merge Bob", "bob"])
        .current_dir(&world.upstream)
        .output()
        .unwrap();
    assert!(merge.status.success(), "{merge:?}");
    let bundle = world.bundle("bob-second.bundle");
    let refused = world.grabbag(&["sync", "--require-signed", bundle.to_str().unwrap()]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains(&edit[..10]), "{refused:?}");
    let sync = world.sync_ok("bob-second.bundle", &[]);
    assert!(
        sync.stdout.contains("2 of 2 new commit(s) are UNTRUSTED"),
        "{}",
        sync.stdout
    );
    assert!(
        sync.stdout.contains("where its branch was merged"),
        "{}",
        sync.stdout
    );
    world.assert_untrusted_everywhere("cyber/ransomware", "Pay the ransom");
}

#[test]
fn a_keyless_merge_cannot_roll_the_library_back() {
    require_tools!("git", "ssh-keygen");
    let world = World::new();
    world.sign_with(Some(&world.demo_key));
    let old = world.up(&["rev-parse", "HEAD"]).trim().to_owned();
    world.replace_runbook("cyber/ransomware", "Ransomware v2");
    world.commit("Ransomware v2", &[]);
    world.sync_ok("v2.bundle", &["--require-signed"]);

    // No key at all: an unsigned merge whose first parent is the old signed
    // state and whose second is the library's head.
    world.sign_with(None);
    world.up(&["checkout", "-q", "-b", "eve", &old]);
    merge_ours(&world, "main", &[]);
    world.up(&["branch", "-f", "main", "eve"]);
    world.assert_refused_as_side_branch("rollback.bundle");
    let listed = world.listed("cyber/ransomware");
    assert_eq!(listed["runbook"]["title"], "Ransomware v2", "{listed}");
    assert_eq!(listed["trust"]["signer"], DEMO_SIGNER, "{listed}");
}

#[test]
fn an_expired_key_cannot_dodge_its_end_date_on_a_fork() {
    require_tools!("git", "ssh-keygen");
    let world = World::new();
    let carol = world.sb.ssh_keygen("carol", "carol");
    // Carol is allowed until 2030; the library's history moves past that.
    world.sign_with(Some(&world.demo_key));
    world.allow(
        "carol@council.example",
        "namespaces=\"git\",valid-before=\"20300101Z\"",
        &carol,
    );
    let allowed = world.commit("Allow Carol until 2030", &[]);
    let later = "2031-01-01T12:00:00Z";
    write(&world.upstream, "README.md", "2031\n");
    world.commit(
        "Made after Carol's end date",
        &[("GIT_COMMITTER_DATE", later), ("GIT_AUTHOR_DATE", later)],
    );
    world.sync_ok("carol-allowed.bundle", &["--require-signed"]);

    // Carol forks at "Allow Carol" and signs there, dated before her end
    // date and not before its parent; an unsigned merge puts the fork first.
    world.up(&["checkout", "-q", "-b", "carol", &allowed]);
    world.sign_with(Some(&carol));
    world.replace_runbook("cyber/ransomware", "Carol's ransomware");
    world.commit("Carol's edit", &[]);
    world.sign_with(None);
    merge_ours(
        &world,
        "main",
        &[("GIT_COMMITTER_DATE", later), ("GIT_AUTHOR_DATE", later)],
    );
    world.up(&["branch", "-f", "main", "carol"]);
    world.assert_refused_as_side_branch("carol.bundle");
    let listed = world.listed("cyber/ransomware");
    assert_eq!(listed["trust"]["signer"], DEMO_SIGNER, "{listed}");
}

/// The title `show` prints first for runbook `id`, and its exit code.
fn shown_title(world: &World, id: &str) -> (i32, String) {
    let show = world.grabbag(&["show", id, "--require-signed"]);
    let title = show.stdout.lines().next().unwrap_or_default().to_owned();
    (show.code, title)
}

#[test]
fn rekey_refuses_to_sign_an_untrusted_runbook() {
    require_tools!("git", "ssh-keygen");
    let world = World::new();
    // A recipient who is not a signer re-encrypts the ransomware runbook
    // and commits it unsigned.
    world.seal_in_upstream("cyber/ransomware", "Pay the ransom");
    world.sign_with(None);
    world.commit("Update ransomware", &[]);
    world.sync_ok("reencrypted.bundle", &[]);
    assert_eq!(
        world.listed("cyber/ransomware")["trust"]["status"],
        "untrusted"
    );

    // Editing it says that the edit's commit would vouch for all of it.
    let edit = run(grabbag(world.sb.path())
        .env("GRABBAG_LIBRARY", &world.library)
        .env("GRABBAG_IDENTITY", &world.identity)
        .env("EDITOR", "true")
        .args(["edit", "cyber/ransomware"]));
    assert_eq!(edit.code, 0, "{edit:?}");
    assert!(
        edit.stderr.contains("which is UNTRUSTED (unsigned)")
            && edit.stderr.contains("vouches for all of its text"),
        "{edit:?}"
    );

    let before = world.library_head();
    let rekey = world.grabbag(&["rekey"]);
    assert_eq!(rekey.code, 1, "{rekey:?}");
    let named = rekey
        .stderr
        .lines()
        .find(|l| l.contains("cyber/ransomware.toml.age"))
        .unwrap_or_else(|| panic!("{rekey:?}"));
    assert!(named.contains("untrusted: unsigned"), "{named}");
    assert_eq!(world.library_head(), before);
    world.assert_untrusted_everywhere("cyber/ransomware", "Pay the ransom");

    // Asked for explicitly, it is done, and the rekey commit then vouches.
    let forced = world.grabbag(&["rekey", "--include-untrusted"]);
    assert_eq!(forced.code, 0, "{forced:?}");
    assert_ne!(world.library_head(), before);
}

#[test]
fn a_planted_plaintext_beside_a_sealed_runbook_is_never_rekeyed_into_it() {
    require_tools!("git", "ssh-keygen");
    let world = World::new();
    let (_, genuine) = shown_title(&world, "cyber/ransomware");
    // `cyber/ransomware.toml` sorts before `cyber/ransomware.toml.age`.
    write(
        &world.upstream,
        "cyber/ransomware.toml",
        &runbook_text("cyber/ransomware", "Ransomware (EVE)"),
    );
    world.sign_with(None);
    world.commit("Add draft", &[]);
    world.sync_ok("planted.bundle", &[]);

    let rekey = world.grabbag(&["rekey"]);
    assert_eq!(rekey.code, 0, "{rekey:?}");
    let (code, title) = shown_title(&world, "cyber/ransomware");
    assert_eq!((code, title), (0, genuine));
    let listed = world.listed("cyber/ransomware");
    assert_eq!(listed["trust"]["signer"], DEMO_SIGNER, "{listed}");

    // Commands that take one file by id refuse rather than pick one.
    for args in [
        vec!["log", "cyber/ransomware"],
        vec!["edit", "cyber/ransomware"],
    ] {
        let out = world.grabbag(&args);
        assert_eq!(out.code, 2, "{out:?}");
        assert!(
            out.stderr.contains("names more than one file")
                && out.stderr.contains("cyber/ransomware.toml.age"),
            "{out:?}"
        );
    }
    // Sealing the planted draft is the user's explicit choice, but it says
    // where the text came from first.
    let seal = world.grabbag(&[
        "seal",
        world
            .library
            .join("cyber/ransomware.toml")
            .to_str()
            .unwrap(),
    ]);
    assert!(
        seal.stderr
            .contains("\"Add draft\", which is UNTRUSTED (unsigned)"),
        "{seal:?}"
    );
}

#[test]
fn index_flags_cannot_hide_an_edit_in_place() {
    require_tools!("git", "ssh-keygen");
    for flag in ["--assume-unchanged", "--skip-worktree"] {
        let world = World::new();
        world.seal_in_upstream("cyber/ransomware", "Pay the ransom");
        let path = "cyber/ransomware.toml.age";
        let head_blob = world.listed("cyber/ransomware")["version"]["blob"].clone();
        // Someone with the laptop tells git not to look, then swaps the file.
        world.sb.git(&world.library, &["update-index", flag, path]);
        std::fs::copy(world.upstream.join(path), world.library.join(path)).unwrap();
        let status = world.sb.git(&world.library, &["status", "--short"]);
        assert_eq!(status, "", "{flag}: git status is fooled too");

        let show = world.grabbag(&["show", "cyber/ransomware", "--require-signed"]);
        assert_ne!(show.code, 0, "{flag}: {show:?}");
        assert!(!show.stdout.contains("Pay the ransom"), "{flag}: {show:?}");
        let listed = world.listed("cyber/ransomware");
        assert_eq!(
            listed["runbook"]["title"], "Pay the ransom",
            "{flag}: {listed}"
        );
        assert_eq!(listed["trust"]["status"], "untrusted", "{flag}: {listed}");
        assert_eq!(listed["version"]["dirty"], true, "{flag}: {listed}");
        // What is pinned is the blob of the bytes read, not HEAD's.
        assert_ne!(listed["version"]["blob"], head_blob, "{flag}: {listed}");
        let read = world.sb.git(&world.library, &["hash-object", path]);
        assert_eq!(listed["version"]["blob"], read.trim(), "{flag}: {listed}");
    }
}

/// The decision deadline `act` gives a referral received on Friday 28
/// August 2026 (Monday 31 August is a bank holiday in England and Wales, not
/// in Scotland), in a fresh journal.
fn referral_due(world: &World, journal: &str) -> String {
    let journal = world.sb.join(journal);
    let journal = journal.to_str().unwrap();
    let rb = "continuity/childrens-safeguarding";
    let who = ["--actor", "Priya Shah", "--role", "Duty manager"];
    let open = world.grabbag(
        &[
            &["act", journal, "open", rb, "--incident", "Outage"][..],
            &who,
        ]
        .concat(),
    );
    assert_eq!(open.code, 0, "{open:?}");
    let add = world.grabbag(
        &[
            &[
                "act",
                journal,
                "case",
                "add",
                rb,
                "CS-1",
                "--at",
                "2026-08-28T11:15:00+01:00",
                "--field",
                "child=A.B.",
                "--field",
                "referrer=School",
            ][..],
            &who,
        ]
        .concat(),
    );
    assert_eq!(add.code, 0, "{add:?}");
    let status = world.grabbag(&["status", journal, "--json"]);
    let status: Value = serde_json::from_str(&status.stdout).unwrap();
    status["clocks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["case"] == "CS-1"))
        .map(|c| c["due_at"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_else(|| panic!("no case clock in {status}"))
}

#[test]
fn unsigned_or_uncommitted_settings_do_not_move_a_deadline() {
    require_tools!("git", "ssh-keygen");
    let world = World::new();
    let settings = ".grabbag/settings.toml";
    // The council's signed settings: a closure day on Tuesday 1 September,
    // so a referral of Friday 28 August is due at the end of Wednesday.
    world.sign_with(Some(&world.demo_key));
    write(
        &world.upstream,
        settings,
        "[calendar]\nholidays = [{ date = 2026-09-01, name = \"Council closure\" }]\n",
    );
    world.commit("Council closure day", &[]);
    // An unsigned commit on top moves the jurisdiction and drops the day.
    world.sign_with(None);
    write(
        &world.upstream,
        settings,
        "[calendar]\nbank_holidays = \"scotland\"\n",
    );
    let unsigned = world.commit("Calendar tidy", &[]);
    let bundle = world.bundle("calendar.bundle");
    let sync = world.grabbag(&["sync", bundle.to_str().unwrap()]);
    assert_eq!(sync.code, 0, "{sync:?}");
    assert_eq!(world.library_head(), unsigned);
    let signed_due = "2026-09-02T22:59:59Z";
    assert_eq!(referral_due(&world, "a.jsonl"), signed_due);
    let list = world.grabbag(&["list"]);
    assert!(
        list.stderr.contains(settings)
            && list
                .stderr
                .contains(&format!("changed by commit {}", &unsigned[..12]))
            && list.stderr.contains("untrusted"),
        "{list:?}"
    );

    // An edit in the working tree that adds a day is not used either.
    write(
        &world.library,
        settings,
        "[calendar]\nholidays = [{ date = 2026-09-01, name = \"x\" }, { date = 2026-09-02, name = \"y\" }]\n",
    );
    assert_eq!(referral_due(&world, "b.jsonl"), signed_due);
    let audit = world.grabbag(&["audit", "--json"]);
    let audit: Value = serde_json::from_str(&audit.stdout).unwrap();
    let findings = audit["findings"].to_string();
    assert!(
        findings.contains("Library files not in force")
            && findings.contains("working tree's copy is not committed"),
        "{findings}"
    );
}

/// A library folder whose git holds a file that rewrites commits' parents
/// (`info/grafts`, or a non-empty `shallow`), as a copied folder or a stick
/// may, is refused by name, never judged on the history the file makes up;
/// without the file the same library opens and its runbooks are trusted.
#[test]
fn a_library_whose_git_rewrites_parents_is_refused() {
    require_tools!("git", "ssh-keygen");
    let world = World::new();
    let head = world
        .sb
        .git(&world.library, &["rev-parse", "HEAD"])
        .trim()
        .to_owned();
    let git = world.library.join(".git");
    for name in ["info/grafts", "shallow"] {
        write(&git, name, &format!("{head}\n"));
        let out = world.grabbag(&["list"]);
        assert_eq!(out.code, 2, "{name}: {out:?}");
        assert!(
            out.stderr.contains(name) && out.stderr.contains("cannot be judged"),
            "{name}: {}",
            out.stderr
        );
        std::fs::remove_file(git.join(name)).unwrap();
    }
    // An empty `shallow` names no commit.
    write(&git, "shallow", "");
    let out = world.grabbag(&["list"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("[SIGNED]"), "{}", out.stdout);
}
