//! Sync interop: libraries and sources made by the real `git` CLI and by
//! git2, synced from bare repositories and from `git bundle` files.

use std::path::{Path, PathBuf};

use grabbag::library::sync::{SyncError, SyncOptions, SyncReport, sync};
use grabbag::library::trust::Trust;

use crate::require_tools;
use crate::support::{Sandbox, public_key, write};

/// An upstream working repository (where runbooks are edited) and a laptop
/// library cloned from it, both made by the real git.
struct World {
    sb: Sandbox,
    upstream: PathBuf,
    library: PathBuf,
}

impl World {
    /// Upstream with a first commit of runbooks, and a library cloned from it.
    fn new() -> Self {
        let sb = Sandbox::new();
        let upstream = sb.git_init("upstream");
        write(
            &upstream,
            "cyber/ransomware.toml.age",
            "age ciphertext v1\n",
        );
        write(
            &upstream,
            "continuity/payments.toml",
            "title = 'payments'\n",
        );
        write(&upstream, "draft.toml", "title = 'draft'\n");
        write(&upstream, "journals/2026-01-01.toml", "not a runbook\n");
        write(&upstream, "README.md", "library\n");
        sb.git(&upstream, &["add", "-A"]);
        sb.git(&upstream, &["commit", "-q", "-m", "First runbooks"]);
        let library = sb.join("library");
        sb.git(
            sb.path(),
            &[
                "clone",
                "-q",
                upstream.to_str().unwrap(),
                library.to_str().unwrap(),
            ],
        );
        Self {
            sb,
            upstream,
            library,
        }
    }

    fn up(&self, args: &[&str]) -> String {
        self.sb.git(&self.upstream, args)
    }

    fn lib(&self, args: &[&str]) -> String {
        self.sb.git(&self.library, args)
    }

    /// A second upstream commit touching every kind of change.
    fn second_commit(&self) {
        write(
            &self.upstream,
            "cyber/ransomware.toml.age",
            "age ciphertext v2\n",
        );
        std::fs::remove_file(self.upstream.join("continuity/payments.toml")).unwrap();
        write(
            &self.upstream,
            "cyber/phishing.toml.age",
            "age ciphertext\n",
        );
        // Sealing a draft: same id, new extension.
        std::fs::remove_file(self.upstream.join("draft.toml")).unwrap();
        write(&self.upstream, "draft.toml.age", "sealed\n");
        write(&self.upstream, "exercises/tabletop.toml", "not a runbook\n");
        write(&self.upstream, "README.md", "library, edited\n");
        self.up(&["add", "-A"]);
        self.up(&["commit", "-q", "-m", "Second round of runbooks"]);
    }

    /// `git clone --bare` upstream onto the "USB stick".
    fn bare(&self, name: &str) -> PathBuf {
        let dest = self.sb.join(name);
        self.sb.git(
            self.sb.path(),
            &[
                "clone",
                "-q",
                "--bare",
                self.upstream.to_str().unwrap(),
                dest.to_str().unwrap(),
            ],
        );
        dest
    }

    /// `git bundle create` in upstream with extra arguments.
    fn bundle(&self, name: &str, args: &[&str]) -> PathBuf {
        let dest = self.sb.join(name);
        let dest_str = dest.to_str().unwrap().to_owned();
        // `git bundle create [-q] [--version=N] FILE REVS`: options first.
        let (opts, revs): (Vec<&str>, Vec<&str>) =
            args.iter().partition(|a| a.starts_with("--version"));
        let mut cmd = vec!["bundle", "create", "-q"];
        cmd.extend(opts);
        cmd.push(&dest_str);
        cmd.extend(revs);
        self.up(&cmd);
        dest
    }

    fn head(dir: &Path, sb: &Sandbox) -> String {
        sb.git(dir, &["rev-parse", "HEAD"]).trim().to_owned()
    }

    fn upstream_head(&self) -> String {
        Self::head(&self.upstream, &self.sb)
    }

    fn library_head(&self) -> String {
        Self::head(&self.library, &self.sb)
    }
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn assert_second_commit_report(report: &SyncReport) {
    assert_eq!(report.added, ids(&["cyber/phishing"]));
    assert_eq!(report.changed, ids(&["cyber/ransomware", "draft"]));
    assert_eq!(report.removed, ids(&["continuity/payments"]));
    assert!(!report.up_to_date);
    assert_eq!(report.new_commits, 1);
    assert_eq!(report.tip_trust, Trust::NotChecked);
}

fn assert_clean(world: &World) {
    let status = world.lib(&["status", "--porcelain", "--untracked-files=no"]);
    assert_eq!(status, "", "library not clean after sync");
}

#[test]
fn bare_repository_fast_forwards_and_reports_runbooks() {
    require_tools!("git");
    let world = World::new();
    let before = world.library_head();
    world.second_commit();
    let usb = world.bare("usb.git");

    let report = sync(&world.library, &usb, &SyncOptions::default()).unwrap();
    assert_second_commit_report(&report);
    assert_eq!(report.from.as_deref(), Some(before.as_str()));
    assert_eq!(report.to, world.upstream_head());
    assert_eq!(world.library_head(), world.upstream_head());
    // Files on disk match the new tree.
    let lib = &world.library;
    assert_eq!(
        std::fs::read_to_string(lib.join("cyber/ransomware.toml.age")).unwrap(),
        "age ciphertext v2\n"
    );
    assert!(lib.join("cyber/phishing.toml.age").exists());
    assert!(!lib.join("continuity/payments.toml").exists());
    assert!(!lib.join("draft.toml").exists());
    assert!(lib.join("draft.toml.age").exists());
    assert_clean(&world);
    // No temporary ref is left behind.
    assert_eq!(world.lib(&["for-each-ref", "refs/grabbag"]), "");

    // Again: up to date, nothing changes.
    let again = sync(&world.library, &usb, &SyncOptions::default()).unwrap();
    assert!(again.up_to_date);
    assert!(!again.source_behind);
    assert!(again.added.is_empty() && again.changed.is_empty() && again.removed.is_empty());
    assert_eq!(again.to, world.upstream_head());
}

#[test]
fn empty_git2_library_takes_everything() {
    require_tools!("git");
    let world = World::new();
    let usb = world.bare("usb.git");
    // A fresh library made by git2, HEAD unborn on main.
    let fresh = world.sb.join("fresh");
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    git2::Repository::init_opts(&fresh, &opts).unwrap();

    let report = sync(&fresh, &usb, &SyncOptions::default()).unwrap();
    assert_eq!(report.from, None);
    assert_eq!(
        report.added,
        ids(&["continuity/payments", "cyber/ransomware", "draft"])
    );
    assert!(report.changed.is_empty() && report.removed.is_empty());
    assert!(fresh.join("cyber/ransomware.toml.age").exists());
    assert!(fresh.join("journals/2026-01-01.toml").exists());
    let repo = git2::Repository::open(&fresh).unwrap();
    assert_eq!(repo.head().unwrap().name(), Ok("refs/heads/main"));
    assert_eq!(
        repo.head().unwrap().target().unwrap().to_string(),
        world.upstream_head()
    );
    assert!(repo.statuses(None).unwrap().is_empty());
}

#[test]
fn full_bundles_v2_and_v3() {
    require_tools!("git");
    for version in ["--version=2", "--version=3"] {
        let world = World::new();
        world.second_commit();
        let bundle = world.bundle("full.bundle", &[version, "main"]);
        let first_line = std::fs::read(&bundle).unwrap();
        assert!(first_line.starts_with(format!("# v{} git bundle\n", &version[10..]).as_bytes()));

        // Into an empty library...
        let fresh = world.sb.join("fresh");
        world.sb.git(
            world.sb.path(),
            &["init", "-q", "-b", "main", fresh.to_str().unwrap()],
        );
        let report = sync(&fresh, &bundle, &SyncOptions::default()).unwrap();
        assert_eq!(report.to, world.upstream_head());
        assert_eq!(
            report.added,
            ids(&["cyber/phishing", "cyber/ransomware", "draft"])
        );
        assert_eq!(report.new_commits, 2);

        // ...and into the library at the first commit.
        let report = sync(&world.library, &bundle, &SyncOptions::default()).unwrap();
        assert_second_commit_report(&report);
        assert_eq!(world.library_head(), world.upstream_head());
        assert_clean(&world);
    }
}

#[test]
fn incremental_bundle_with_prerequisite() {
    require_tools!("git");
    let world = World::new();
    let base = world.upstream_head();
    world.second_commit();
    let range = format!("{base}..main");
    let bundle = world.bundle("inc.bundle", &[&range]);
    let header = std::fs::read(&bundle).unwrap();
    assert!(
        header
            .windows(41)
            .any(|w| w == format!("-{base}").as_bytes())
    );

    let report = sync(&world.library, &bundle, &SyncOptions::default()).unwrap();
    assert_second_commit_report(&report);
    assert_eq!(world.library_head(), world.upstream_head());
    assert_clean(&world);
    world.lib(&["fsck", "--no-dangling"]);
}

#[test]
fn missing_prerequisite_is_refused() {
    require_tools!("git");
    let world = World::new();
    let base = world.upstream_head();
    world.second_commit();
    let mid = world.upstream_head();
    write(&world.upstream, "cyber/ddos.toml.age", "x\n");
    world.up(&["add", "-A"]);
    world.up(&["commit", "-q", "-m", "Third"]);
    // Needs `mid`, which the library (at `base`) does not have.
    let range = format!("{mid}..main");
    let bundle = world.bundle("inc.bundle", &["--version=3", &range]);

    let err = sync(&world.library, &bundle, &SyncOptions::default()).unwrap_err();
    assert!(
        matches!(err, SyncError::MissingPrerequisites { .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(text.contains(&mid), "{text}");
    assert!(text.contains("inc.bundle"), "{text}");
    assert_eq!(world.library_head(), base);
}

#[test]
fn diverged_library_is_refused() {
    require_tools!("git");
    let world = World::new();
    world.second_commit();
    let usb = world.bare("usb.git");
    write(&world.library, "local/notes.toml", "local edit\n");
    world.lib(&["add", "-A"]);
    world.lib(&["commit", "-q", "-m", "Local change on the laptop"]);
    let local = world.library_head();

    let err = sync(&world.library, &usb, &SyncOptions::default()).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, SyncError::Diverged { .. }), "{text}");
    assert!(
        text.contains("'s main has diverged from the library"),
        "{text}"
    );
    assert!(
        text.contains(&format!("local commit {}", &local[..10])),
        "{text}"
    );
    assert!(text.contains("Local change on the laptop"), "{text}");
    assert!(text.contains("refuses to merge"), "{text}");
    assert_eq!(world.library_head(), local);
    assert!(world.library.join("local/notes.toml").exists());
}

#[test]
fn source_behind_library_is_up_to_date() {
    require_tools!("git");
    let world = World::new();
    let usb = world.bare("usb.git");
    write(&world.library, "cyber/new.toml", "x\n");
    world.lib(&["add", "-A"]);
    world.lib(&["commit", "-q", "-m", "Newer on the laptop"]);
    let local = world.library_head();
    let report = sync(&world.library, &usb, &SyncOptions::default()).unwrap();
    assert!(report.up_to_date);
    assert!(report.source_behind);
    assert_eq!(report.to, local);
    assert_eq!(world.library_head(), local);
}

#[test]
fn dirty_working_tree_is_refused() {
    require_tools!("git");
    let world = World::new();
    world.second_commit();
    let usb = world.bare("usb.git");
    let before = world.library_head();

    write(
        &world.library,
        "continuity/payments.toml",
        "edited, not committed\n",
    );
    let err = sync(&world.library, &usb, &SyncOptions::default()).unwrap_err();
    assert!(matches!(err, SyncError::DirtyWorkTree { .. }), "{err}");
    assert!(
        err.to_string().contains("continuity/payments.toml"),
        "{err}"
    );
    assert_eq!(world.library_head(), before);
    world.lib(&["checkout", "--", "."]);

    // Staged changes count too.
    write(&world.library, "staged.toml", "x\n");
    world.lib(&["add", "staged.toml"]);
    let err = sync(&world.library, &usb, &SyncOptions::default()).unwrap_err();
    assert!(matches!(err, SyncError::DirtyWorkTree { .. }), "{err}");
    world.lib(&["reset", "-q"]);
    std::fs::remove_file(world.library.join("staged.toml")).unwrap();

    // An untracked file in the way of an incoming one is not overwritten.
    write(&world.library, "cyber/phishing.toml.age", "my own draft\n");
    write(&world.library, "unrelated.txt", "fine\n");
    let err = sync(&world.library, &usb, &SyncOptions::default()).unwrap_err();
    assert!(matches!(err, SyncError::InTheWay { .. }), "{err}");
    assert!(err.to_string().contains("cyber/phishing.toml.age"), "{err}");
    assert_eq!(
        std::fs::read_to_string(world.library.join("cyber/phishing.toml.age")).unwrap(),
        "my own draft\n"
    );
    assert_eq!(world.library_head(), before);
    assert_clean(&world);

    // Moved aside, the sync goes through and untracked files stay.
    std::fs::remove_file(world.library.join("cyber/phishing.toml.age")).unwrap();
    sync(&world.library, &usb, &SyncOptions::default()).unwrap();
    assert!(world.library.join("unrelated.txt").exists());
}

#[test]
fn garbage_and_truncated_bundles_are_errors() {
    require_tools!("git");
    let world = World::new();
    world.second_commit();
    let bundle = world.bundle("good.bundle", &["main"]);
    let good = std::fs::read(&bundle).unwrap();
    let pack_at = good.windows(4).position(|w| w == b"PACK").unwrap();
    let before = world.library_head();

    let mut flipped = good.clone();
    let middle = pack_at + (good.len() - pack_at) / 2;
    flipped[middle] ^= 0xff;
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        (
            "garbage",
            (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect(),
        ),
        ("pack only", good[pack_at..].to_vec()),
        ("flipped byte in pack", flipped),
        ("header cut", good[..pack_at / 2].to_vec()),
        ("header only", good[..pack_at].to_vec()),
        ("pack cut", good[..middle].to_vec()),
        ("last byte cut", good[..good.len() - 1].to_vec()),
    ];
    cases.push(("long line", {
        let mut v = b"# v2 git bundle\n".to_vec();
        v.extend(std::iter::repeat_n(b'a', 1 << 20));
        v
    }));
    for (name, bytes) in cases {
        let path = world.sb.join(&format!("{}.bundle", name.replace(' ', "-")));
        std::fs::write(&path, &bytes).unwrap();
        let err = sync(&world.library, &path, &SyncOptions::default()).unwrap_err();
        let text = err.to_string();
        eprintln!("{name}: {text}");
        assert!(
            text.contains(path.file_name().unwrap().to_str().unwrap()),
            "{name}: {text}"
        );
        assert_eq!(world.library_head(), before, "{name}");
    }
    assert_clean(&world);
    // The good bundle still works afterwards.
    sync(&world.library, &bundle, &SyncOptions::default()).unwrap();
    assert_eq!(world.library_head(), world.upstream_head());
}

#[test]
fn missing_source_and_branch_are_explained() {
    require_tools!("git");
    let world = World::new();
    let usb = world.bare("usb.git");
    let err = sync(
        &world.library,
        &world.sb.join("nope"),
        &SyncOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, SyncError::SourceMissing { .. }), "{err}");
    let options = SyncOptions {
        branch: Some("release".into()),
        ..SyncOptions::default()
    };
    let err = sync(&world.library, &usb, &options).unwrap_err();
    assert!(matches!(err, SyncError::BranchNotFound { .. }), "{err}");
    assert!(err.to_string().contains("it has: main"), "{err}");
    let not_repo = world.sb.join("empty-folder");
    std::fs::create_dir(&not_repo).unwrap();
    let err = sync(&world.library, &not_repo, &SyncOptions::default()).unwrap_err();
    assert!(
        matches!(err, SyncError::SourceNotRepository { .. }),
        "{err}"
    );
}

/// Upstream and library whose history is signed by alice, with the library's
/// allowed_signers listing alice.
fn signed_world() -> (World, PathBuf) {
    let world = World::new();
    let key = world.sb.ssh_keygen("alice", "alice");
    for dir in [&world.upstream, &world.library] {
        world.sb.git(dir, &["config", "gpg.format", "ssh"]);
        world
            .sb
            .git(dir, &["config", "user.signingkey", key.to_str().unwrap()]);
    }
    write(
        &world.upstream,
        ".grabbag/allowed_signers",
        &format!(
            "alice@council.example namespaces=\"git\" {}\n",
            public_key(&key)
        ),
    );
    world.up(&["add", "-A"]);
    world.up(&["commit", "-q", "-S", "-m", "Trust alice"]);
    let usb = world.bare("signed.git");
    sync(&world.library, &usb, &SyncOptions::default()).unwrap();
    (world, key)
}

#[test]
fn untrusted_commits_are_refused_when_signatures_are_required() {
    require_tools!("git", "ssh-keygen");
    let (world, _key) = signed_world();
    let required = SyncOptions {
        require_signed: true,
        branch: None,
    };
    let before = world.library_head();

    // A signed commit passes.
    write(&world.upstream, "cyber/phishing.toml.age", "x\n");
    world.up(&["add", "-A"]);
    world.up(&["commit", "-q", "-S", "-m", "Signed phishing runbook"]);
    // Then an unsigned one on top.
    write(&world.upstream, "cyber/ransomware.toml.age", "tampered\n");
    world.up(&["add", "-A"]);
    world.up(&["commit", "-q", "-m", "Unsigned edit"]);
    let usb = world.bare("usb.git");

    let err = sync(&world.library, &usb, &required).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, SyncError::Untrusted { .. }), "{text}");
    assert!(
        text.contains("Unsigned edit") && text.contains("unsigned"),
        "{text}"
    );
    assert_eq!(world.library_head(), before);

    // Not required: it goes through, marked untrusted.
    let report = sync(&world.library, &usb, &SyncOptions::default()).unwrap();
    assert_eq!(report.new_commits, 2);
    assert!(matches!(report.tip_trust, Trust::Untrusted { .. }));
    assert_eq!(report.untrusted_commits.len(), 1);
    assert_eq!(report.untrusted_commits[0].summary, "Unsigned edit");
    assert_eq!(report.added, ids(&["cyber/phishing"]));
    assert_eq!(report.changed, ids(&["cyber/ransomware"]));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["tip_trust"]["status"], "untrusted");
}

#[test]
fn signed_tip_is_trusted_and_attacker_keys_are_not() {
    require_tools!("git", "ssh-keygen");
    let (world, _key) = signed_world();
    let required = SyncOptions {
        require_signed: true,
        branch: None,
    };
    write(&world.upstream, "cyber/phishing.toml.age", "x\n");
    world.up(&["add", "-A"]);
    world.up(&["commit", "-q", "-S", "-m", "Signed"]);
    let bundle = world.bundle("signed.bundle", &["main"]);
    let report = sync(&world.library, &bundle, &required).unwrap();
    assert_eq!(
        report.tip_trust,
        Trust::Trusted {
            signer: "alice@council.example".into()
        }
    );
    assert!(report.untrusted_commits.is_empty());

    // Mallory's stick adds Mallory to allowed_signers in a commit signed by
    // Mallory: the library's current signers do not know Mallory.
    let before = world.library_head();
    let mallory = world.sb.ssh_keygen("mallory", "mallory");
    world.up(&["config", "user.signingkey", mallory.to_str().unwrap()]);
    let signers = std::fs::read_to_string(world.upstream.join(".grabbag/allowed_signers")).unwrap();
    write(
        &world.upstream,
        ".grabbag/allowed_signers",
        &format!("{signers}mallory@evil.example {}\n", public_key(&mallory)),
    );
    write(
        &world.upstream,
        "cyber/ransomware.toml.age",
        "pay the ransom\n",
    );
    world.up(&["add", "-A"]);
    world.up(&["commit", "-q", "-S", "-m", "Trust mallory"]);
    let bundle = world.bundle("evil.bundle", &["main"]);
    let err = sync(&world.library, &bundle, &required).unwrap_err();
    assert!(matches!(err, SyncError::Untrusted { .. }), "{err}");
    assert!(err.to_string().contains("unknown key"), "{err}");
    assert_eq!(world.library_head(), before);
}

#[test]
fn require_signed_without_allowed_signers_is_refused() {
    require_tools!("git");
    let world = World::new();
    world.second_commit();
    let usb = world.bare("usb.git");
    let options = SyncOptions {
        require_signed: true,
        branch: None,
    };
    let err = sync(&world.library, &usb, &options).unwrap_err();
    assert!(matches!(err, SyncError::NoAllowedSigners), "{err}");
    assert!(
        err.to_string().contains(".grabbag/allowed_signers"),
        "{err}"
    );
}

#[test]
fn thin_incremental_bundle_is_completed_from_the_library() {
    require_tools!("git");
    let world = World::new();
    // A large, incompressible runbook, then a one-line edit to it: git makes
    // the incremental bundle's pack thin (a delta against the library's copy).
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut big = String::new();
    for _ in 0..4000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        big.push_str(&format!("{x:016x}\n"));
    }
    write(&world.upstream, "cyber/big.toml.age", &big);
    world.up(&["add", "-A"]);
    world.up(&["commit", "-q", "-m", "Big runbook"]);
    let base = world.upstream_head();
    sync(
        &world.library,
        &world.bare("usb.git"),
        &SyncOptions::default(),
    )
    .unwrap();
    assert_eq!(world.library_head(), base);

    write(
        &world.upstream,
        "cyber/big.toml.age",
        &big.replacen('a', "b", 1),
    );
    world.up(&["add", "-A"]);
    world.up(&["commit", "-q", "-m", "Small edit"]);
    let range = format!("{base}..main");
    let bundle = world.bundle("thin.bundle", &[&range]);
    let size = std::fs::metadata(&bundle).unwrap().len();
    assert!(size < 4096, "expected a thin pack, bundle is {size} bytes");

    let report = sync(&world.library, &bundle, &SyncOptions::default()).unwrap();
    assert_eq!(report.changed, ids(&["cyber/big"]));
    assert_eq!(world.library_head(), world.upstream_head());
    assert_eq!(
        std::fs::read_to_string(world.library.join("cyber/big.toml.age")).unwrap(),
        big.replacen('a', "b", 1)
    );
    world.lib(&["fsck", "--no-dangling"]);
}

#[test]
fn empty_library_bootstraps_trust_from_its_own_allowed_signers() {
    require_tools!("git", "ssh-keygen");
    let (world, _key) = signed_world();
    // Alice signed "Trust alice"; the first commit is unsigned, so a brand
    // new laptop library with alice's allowed_signers refuses the history...
    let usb = world.bare("usb.git");
    let fresh = world.sb.join("fresh");
    world.sb.git(
        world.sb.path(),
        &["init", "-q", "-b", "main", fresh.to_str().unwrap()],
    );
    let signers = std::fs::read_to_string(world.upstream.join(".grabbag/allowed_signers")).unwrap();
    write(&fresh, ".grabbag/allowed_signers", &signers);
    let required = SyncOptions {
        require_signed: true,
        branch: None,
    };
    let err = sync(&fresh, &usb, &required).unwrap_err();
    assert!(err.to_string().contains("First runbooks"), "{err}");
    // ...but takes it when signatures are not required, even though the
    // incoming tree has the same allowed_signers as the untracked one here.
    let report = sync(&fresh, &usb, &SyncOptions::default()).unwrap();
    assert_eq!(report.untrusted_commits.len(), 1);
    assert!(report.tip_trust.is_trusted());
}

#[test]
fn bundle_ref_choice() {
    require_tools!("git");
    let world = World::new();
    world.second_commit();
    // A bundle of HEAD alone is taken whatever the branch is called.
    let head_only = world.bundle("head.bundle", &["HEAD"]);
    let report = sync(&world.library, &head_only, &SyncOptions::default()).unwrap();
    assert_eq!(report.to, world.upstream_head());

    // A bundle without the library's branch is refused, naming what it has.
    world.up(&["branch", "release"]);
    let other = world.bundle("other.bundle", &["release"]);
    let fresh = world.sb.join("fresh");
    world.sb.git(
        world.sb.path(),
        &["init", "-q", "-b", "main", fresh.to_str().unwrap()],
    );
    let err = sync(&fresh, &other, &SyncOptions::default()).unwrap_err();
    assert!(matches!(err, SyncError::BranchNotFound { .. }), "{err}");
    assert!(err.to_string().contains("refs/heads/release"), "{err}");
    // Asking for that branch takes it onto the library's current branch.
    let options = SyncOptions {
        branch: Some("release".into()),
        ..SyncOptions::default()
    };
    let report = sync(&fresh, &other, &options).unwrap();
    assert_eq!(report.to, world.upstream_head());
    let repo = git2::Repository::open(&fresh).unwrap();
    assert_eq!(repo.head().unwrap().name(), Ok("refs/heads/main"));
}

#[test]
fn first_allowed_signers_synced_in_is_named_as_the_new_trust_anchor() {
    require_tools!("git", "ssh-keygen");
    let world = World::new();
    let key = world.sb.ssh_keygen("alice", "alice");
    world.up(&["config", "gpg.format", "ssh"]);
    world.up(&["config", "user.signingkey", key.to_str().unwrap()]);
    write(
        &world.upstream,
        ".grabbag/allowed_signers",
        &format!("alice@council.example {}\n", public_key(&key)),
    );
    world.up(&["add", "-A"]);
    world.up(&["commit", "-q", "-S", "-m", "Trust alice"]);
    let usb = world.bare("usb.git");
    // Nothing on the laptop could vouch for alice: with signatures required
    // the sync is refused, without it the new anchor is named.
    let required = SyncOptions {
        require_signed: true,
        branch: None,
    };
    let err = sync(&world.library, &usb, &required).unwrap_err();
    assert!(matches!(err, SyncError::NoAllowedSigners), "{err}");
    let report = sync(&world.library, &usb, &SyncOptions::default()).unwrap();
    assert_eq!(
        report.trust_anchor_set_by.as_deref(),
        Some(world.upstream_head().as_str())
    );
    // Before the sync, the library had nothing to check: no anchor is named
    // for a library that already has one.
    write(&world.upstream, "cyber/phishing.toml.age", "x\n");
    world.up(&["add", "-A"]);
    world.up(&["commit", "-q", "-S", "-m", "Signed"]);
    let report = sync(&world.library, &world.bare("usb2.git"), &required).unwrap();
    assert_eq!(report.trust_anchor_set_by, None);
    assert!(report.tip_trust.is_trusted());
}

/// `Library::sync` leaves the history cache built for the new head (issue
/// 24: the first load after a long history arrives is not the slow one),
/// and the cache changes no answer: `log` with it equals `log` without, and
/// reading it for the new head neither rebuilds nor rewrites it.
#[cfg(unix)]
#[test]
fn sync_leaves_the_history_cache_built_for_the_new_head() {
    use std::os::unix::fs::MetadataExt;

    use grabbag::library::Library;

    require_tools!("git");
    let world = World::new();
    // A library is a folder with `.grabbag`; nothing in it is tracked here.
    std::fs::create_dir(world.library.join(".grabbag")).unwrap();
    for n in 0..6 {
        write(
            &world.upstream,
            "cyber/ransomware.toml.age",
            &format!("age ciphertext v{n}\n"),
        );
        world.up(&["commit", "-q", "-am", &format!("Revise ransomware {n}")]);
    }
    let usb = world.bare("usb.git");
    let config = world.sb.join("config");
    let cache = world.library.join(".git/grabbag-cache/history");
    assert!(!cache.exists());

    let library = Library::open(&world.library)
        .unwrap()
        .with_history_cache(&config);
    let report = library.sync(&usb, &SyncOptions::default()).unwrap();
    assert_eq!(report.new_commits, 6);
    assert_eq!(report.to, world.upstream_head());
    let built = std::fs::metadata(&cache).expect("sync leaves the history cache");

    let log = |library: &Library, path: &str| -> Vec<(String, Option<String>)> {
        library
            .history(Path::new(path))
            .unwrap()
            .into_iter()
            .map(|e| (e.commit, e.blob))
            .collect()
    };
    let plain = Library::open(&world.library).unwrap();
    let cached = Library::open(&world.library)
        .unwrap()
        .with_history_cache(&config);
    for path in [
        "cyber/ransomware.toml.age",
        "cyber/phishing.toml.age",
        "README.md",
    ] {
        assert_eq!(log(&cached, path), log(&plain, path), "log of {path}");
    }
    assert_eq!(log(&cached, "cyber/ransomware.toml.age").len(), 7);
    // Current and authentic: read as it is, not rebuilt and written again.
    let after = std::fs::metadata(&cache).unwrap();
    assert_eq!(
        (after.ino(), after.mtime_nsec(), after.len()),
        (built.ino(), built.mtime_nsec(), built.len())
    );
}
