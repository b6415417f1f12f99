//! Faults in the middle of work: every command that changes a library is
//! stopped before each of its writes in turn (`GRABBAG_FAULT_AT=N`, see
//! `src/fault.rs`: an abort, as `kill -9` or a power cut, or a failed write,
//! as a full disk), then the library must be a consistent repository whose
//! runbooks all decrypt, with no plaintext left, and re-running the command
//! must finish the job. Then the races: an edit while a sync lands, notes
//! while syncs and journal commits run, git locks left by dead processes.
//! All with the real binary, real git and real age.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use grabbag::library::Library;

use crate::harness::{Run, TestLibrary, grabbag, have, run, runbook_text};

const FAULT_MARK: &str = "fault injection: stopping before write";

/// The binary pointed at `root` with `lib`'s identity and home.
fn at(lib: &TestLibrary, root: &Path) -> Command {
    let mut cmd = grabbag(lib.home.path());
    cmd.env("GRABBAG_LIBRARY", root)
        .env("GRABBAG_IDENTITY", &lib.identity_path);
    cmd
}

/// The real git, isolated from the user's configuration.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@council.example",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A copy of the library folder (working tree and git directory).
fn copy_of(root: &Path, name: &str) -> PathBuf {
    let dest = root.with_file_name(name);
    let _ = std::fs::remove_dir_all(&dest);
    let ok = Command::new("cp")
        .arg("-a")
        .arg(root)
        .arg(&dest)
        .status()
        .expect("cp runs");
    assert!(ok.success());
    dest
}

/// The library is a consistent repository (git fsck), every runbook and
/// exercise loads and decrypts, and no plaintext runbook is in the tree
/// except `allowed` (drafts the test put there itself; while a draft and its
/// sealed copy are both there, `list` rightly reports the duplicate id).
fn assert_consistent(lib: &TestLibrary, root: &Path, allowed: &[&str], step: &str) {
    let fsck = Command::new("git")
        .args(["fsck", "--no-dangling", "--no-progress"])
        .current_dir(root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git fsck runs");
    assert!(
        fsck.status.success(),
        "{step}: git fsck: {}",
        String::from_utf8_lossy(&fsck.stderr)
    );
    let list = run(at(lib, root).args(["list", "--json"]));
    let clean = list.code == 0 && !list.stdout.contains("\"failures\": [\n");
    let drafts_there = allowed.iter().any(|d| root.join(d).exists());
    assert!(
        clean || (drafts_there && list.stdout.contains("duplicate runbook id")),
        "{step}: list: {}{}",
        list.stdout,
        list.stderr
    );
    for file in walk(root) {
        let rel = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if rel.starts_with(".git/") {
            continue;
        }
        if rel.ends_with(".age") {
            let bytes = std::fs::read(&file).unwrap();
            assert!(
                lib.identities.decrypt(&bytes).is_ok(),
                "{step}: {rel} does not decrypt"
            );
        }
        if rel.ends_with(".toml") {
            assert!(
                allowed.contains(&rel.as_str()),
                "{step}: plaintext {rel} left"
            );
        }
    }
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                pending.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// `git status --porcelain` (untracked and ignored files left out).
fn status(root: &Path) -> String {
    git(root, &["status", "--porcelain", "--untracked-files=no"])
}

/// Runs `command` with the Nth write stopped, for N = 1, 2, ... until it
/// runs through; calls `after` with the stopped run each time. Returns how
/// many writes were stopped.
fn each_fault(
    mode: &str,
    mut command: impl FnMut(usize, &str) -> (PathBuf, Command),
    mut after: impl FnMut(usize, &Path, &Run),
) -> usize {
    each_fault_as(mode, &mut command, &mut after)
}

/// [`each_fault`] with both faults in turn, a kill and a full disk; returns
/// the fewer writes stopped.
fn each_fault_both(
    mut command: impl FnMut(usize, &str) -> (PathBuf, Command),
    mut after: impl FnMut(usize, &str, &Path, &Run),
) -> usize {
    ["abort", "enospc"]
        .into_iter()
        .map(|mode| {
            each_fault_as(mode, &mut command, &mut |n, root: &Path, out: &Run| {
                after(n, mode, root, out)
            })
        })
        .min()
        .unwrap_or(0)
}

fn each_fault_as(
    mode: &str,
    command: &mut dyn FnMut(usize, &str) -> (PathBuf, Command),
    after: &mut dyn FnMut(usize, &Path, &Run),
) -> usize {
    for n in 1..60 {
        let (root, mut cmd) = command(n, mode);
        cmd.env("GRABBAG_FAULT_AT", n.to_string())
            .env("GRABBAG_FAULT", mode);
        let out = run(&mut cmd);
        if !out.stderr.contains(FAULT_MARK) {
            assert_eq!(
                out.code, 0,
                "run {n} without a fault: {}{}",
                out.stdout, out.stderr
            );
            return n - 1;
        }
        if mode == "enospc" {
            assert_eq!(out.code, 2, "write {n}: {}", out.stderr);
            assert!(
                out.stderr.contains("no space left"),
                "write {n}: {}",
                out.stderr
            );
        }
        after(n, &root, &out);
    }
    panic!("more than 60 writes")
}

fn upstream_with_update(lib: &TestLibrary) -> PathBuf {
    let up = lib.home.path().join("upstream");
    git(
        lib.home.path(),
        &[
            "clone",
            "-q",
            lib.root.to_str().unwrap(),
            up.to_str().unwrap(),
        ],
    );
    let upstream = Library::open(&up).unwrap();
    for (path, title) in [
        ("cyber/alpha.toml.age", "Alpha v2"),
        ("cyber/beta.toml.age", "Beta v2"),
        ("cyber/gamma.toml.age", "Gamma"),
        ("continuity/delta.toml.age", "Delta"),
    ] {
        let id = path.trim_end_matches(".toml.age");
        upstream
            .write_encrypted(
                Path::new(path),
                runbook_text(id, title).as_bytes(),
                &lib.identities,
            )
            .unwrap();
        upstream.stage(&[Path::new(path)]).unwrap();
    }
    upstream.commit("Second round", None).unwrap();
    up
}

fn two_runbooks() -> TestLibrary {
    TestLibrary::with(&[
        ("cyber/alpha.toml", &runbook_text("cyber/alpha", "Alpha")),
        ("cyber/beta.toml", &runbook_text("cyber/beta", "Beta")),
    ])
}

#[test]
fn sync_stopped_at_any_write_is_finished_by_the_next_sync() {
    if !have(
        "git",
        "sync_stopped_at_any_write_is_finished_by_the_next_sync",
    ) {
        return;
    }
    let lib = two_runbooks();
    let up = upstream_with_update(&lib);
    let tip = git(&up, &["rev-parse", "HEAD"]);
    for mode in ["abort", "enospc"] {
        let points = each_fault(
            mode,
            |n, mode| {
                let root = copy_of(&lib.root, &format!("sync-{mode}-{n}"));
                let mut cmd = at(&lib, &root);
                cmd.arg("sync").arg(&up);
                (root, cmd)
            },
            |n, root, _| {
                let step = format!("sync stopped at write {n} ({mode})");
                assert_consistent(&lib, root, &[], &step);
                if root.join(".git/grabbag-sync").exists() {
                    let list = run(at(&lib, root).arg("list"));
                    assert!(
                        list.stderr.contains("a sync of this library was stopped"),
                        "{step}: {}",
                        list.stderr
                    );
                }
                let again = run(at(&lib, root).arg("sync").arg(&up));
                assert_eq!(again.code, 0, "{step}: re-run: {}", again.stderr);
                assert_eq!(git(root, &["rev-parse", "HEAD"]), tip, "{step}");
                assert_eq!(status(root), "", "{step}: clean after the re-run");
                let temps: Vec<PathBuf> = walk(root)
                    .into_iter()
                    .filter(|p| p.to_string_lossy().ends_with(".grabbag-sync"))
                    .collect();
                assert!(temps.is_empty(), "{step}: temporary files left: {temps:?}");
                assert_consistent(&lib, root, &[], &step);
                let list = run(at(&lib, root).arg("list"));
                assert!(!list.stdout.contains("DIRTY"), "{step}: {}", list.stdout);
                assert!(list.stdout.contains("Gamma"), "{step}: {}", list.stdout);
            },
        );
        // The marker, two removals or writes per file, the index, the branch.
        assert!(points >= 6, "{mode}: only {points} writes were interrupted");
    }
}

#[test]
fn seal_stopped_at_any_write_is_finished_by_running_it_again() {
    if !have(
        "git",
        "seal_stopped_at_any_write_is_finished_by_running_it_again",
    ) {
        return;
    }
    let lib = two_runbooks();
    let drafts = ["cyber/one.toml", "cyber/two.toml"];
    for name in drafts {
        std::fs::write(
            lib.root.join(name),
            runbook_text(&name.replace(".toml", ""), "Draft"),
        )
        .unwrap();
    }
    let seal = |cmd: &mut Command, root: &Path| {
        cmd.args(["seal", "-m", "Add drafts"])
            .args(drafts.iter().map(|d| root.join(d)));
    };
    let points = each_fault_both(
        |n, mode| {
            let root = copy_of(&lib.root, &format!("seal-{mode}-{n}"));
            let mut cmd = at(&lib, &root);
            seal(&mut cmd, &root);
            (root, cmd)
        },
        |n, mode, root, _| {
            let step = format!("seal stopped at write {n} ({mode})");
            assert_consistent(&lib, root, &drafts, &step);
            let mut again = at(&lib, root);
            seal(&mut again, root);
            let again = run(&mut again);
            assert_eq!(
                again.code, 0,
                "{step}: re-run: {}{}",
                again.stdout, again.stderr
            );
            assert_consistent(&lib, root, &[], &step);
            let head = Library::open(root).unwrap();
            for d in drafts {
                let sealed = format!("{d}.age");
                assert!(
                    head.head_blob(Path::new(&sealed)).unwrap().is_some(),
                    "{step}: {sealed} committed"
                );
            }
            assert_eq!(status(root), "", "{step}");
            // Once more: nothing left to do, and it says so.
            let mut third = at(&lib, root);
            seal(&mut third, root);
            let third = run(&mut third);
            assert_eq!(third.code, 0, "{step}: {}", third.stderr);
            assert!(
                third.stdout.contains("is already sealed"),
                "{step}: {}",
                third.stdout
            );
        },
    );
    assert!(points >= 5, "only {points} writes were interrupted");
}

#[test]
fn rekey_stopped_at_any_write_is_finished_and_commits_recipients_and_exercises() {
    if !have("git", "rekey_stopped_at_any_write_is_finished") {
        return;
    }
    let lib = two_runbooks();
    // An encrypted exercise, and a colleague added to the recipients.
    let exercise = "id = \"drill\"\ntitle = \"Drill\"\n";
    lib.library
        .write_encrypted(
            Path::new("exercises/drill.toml.age"),
            exercise.as_bytes(),
            &lib.identities,
        )
        .unwrap();
    lib.library
        .stage(&[Path::new("exercises/drill.toml.age")])
        .unwrap();
    lib.library.commit("Add a drill", None).unwrap();
    // A live journal and a committed one, written before the colleague came.
    for journal in ["live", "snap"] {
        let path = lib.root.join(format!("journals/{journal}.jsonl"));
        let out = run(lib.grabbag().arg("note").arg(&path).arg("Before"));
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let out = run(lib
        .grabbag()
        .args(["journal", "commit"])
        .arg(lib.root.join("journals/snap.jsonl")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let colleague = grabbag::crypto::Identity::generate();
    let colleague_key = colleague.public_key();
    let colleague_ids =
        grabbag::crypto::Identities::from_identity(colleague, Path::new("colleague"));
    let recipients = lib.root.join(".grabbag/recipients");
    let mut text = std::fs::read_to_string(&recipients).unwrap();
    text.push_str(&format!("{colleague_key}\n"));
    std::fs::write(&recipients, text).unwrap();

    let check = |root: &Path, step: &str| {
        assert_eq!(
            status(root),
            "",
            "{step}: recipients and every file committed"
        );
        for f in [
            "cyber/alpha.toml.age",
            "cyber/beta.toml.age",
            "exercises/drill.toml.age",
        ] {
            let bytes = std::fs::read(root.join(f)).unwrap();
            assert!(
                colleague_ids.decrypt(&bytes).is_ok(),
                "{step}: {f} opens for the colleague"
            );
        }
        for j in ["journals/live.jsonl", "journals/committed/snap.jsonl"] {
            let entries = grabbag::journal::Journal::read(&root.join(j), Some(&colleague_ids))
                .unwrap_or_else(|e| panic!("{step}: {j}: {e}"));
            assert!(
                entries.iter().all(|e| e.event.is_some()),
                "{step}: {j} reads for the colleague"
            );
        }
    };
    let points = each_fault_both(
        |n, mode| {
            let root = copy_of(&lib.root, &format!("rekey-{mode}-{n}"));
            let mut cmd = at(&lib, &root);
            cmd.arg("rekey");
            (root, cmd)
        },
        |n, mode, root, _| {
            let step = format!("rekey stopped at write {n} ({mode})");
            assert_consistent(&lib, root, &[], &step);
            let again = run(at(&lib, root).arg("rekey"));
            assert_eq!(again.code, 0, "{step}: re-run: {}", again.stderr);
            check(root, &step);
        },
    );
    assert!(points >= 5, "only {points} writes were interrupted");
    let out = run(lib.grabbag().arg("rekey"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("Rekey 2 runbook(s) and 1 exercise(s) to 2 recipient(s)"),
        "{}",
        out.stdout
    );
    check(&lib.root, "rekey");
}

#[test]
fn init_stopped_at_any_write_is_finished_by_running_it_again() {
    let home = tempfile::tempdir().unwrap();
    // Each try has a config folder of its own, so each saves its library.
    let init = |n: usize, mode: &str| {
        let mut cmd = grabbag(home.path());
        cmd.env("GRABBAG_IDENTITY", home.path().join("id.txt")).env(
            "GRABBAG_CONFIG_DIR",
            home.path().join(format!("config-{mode}-{n}")),
        );
        cmd
    };
    let points = each_fault_both(
        |n, mode| {
            let dir = home.path().join(format!("init-{mode}-{n}"));
            let mut cmd = init(n, mode);
            cmd.arg("init").arg(&dir);
            (dir, cmd)
        },
        |n, mode, dir, _| {
            let again = run(init(n, mode).arg("init").arg(dir));
            assert_eq!(
                again.code, 0,
                "init stopped at write {n}: re-run: {}",
                again.stderr
            );
            // The library and the config that names it are both there.
            let list = run(init(n, mode).arg("list"));
            assert_eq!(list.code, 0, "init stopped at write {n}: {}", list.stderr);
        },
    );
    assert!(points >= 5, "only {points} writes were interrupted");
}

#[test]
fn journal_commit_stopped_at_any_write_is_finished_by_running_it_again() {
    if !have("git", "journal_commit_stopped_at_any_write") {
        return;
    }
    let lib = two_runbooks();
    let live = lib.root.join("journals/2026-12-04-outage.jsonl");
    for text in ["first", "second"] {
        let out = run(lib
            .grabbag()
            .args(["note", "--actor", "Sam"])
            .arg(&live)
            .arg(text));
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let commit = |root: &Path| {
        let mut cmd = at(&lib, root);
        cmd.args(["journal", "commit"])
            .arg(root.join("journals/2026-12-04-outage.jsonl"));
        cmd
    };
    let points = each_fault_both(
        |n, mode| {
            let root = copy_of(&lib.root, &format!("jcommit-{mode}-{n}"));
            let cmd = commit(&root);
            (root, cmd)
        },
        |n, mode, root, _| {
            let step = format!("journal commit stopped at write {n} ({mode})");
            assert_consistent(&lib, root, &[], &step);
            let again = run(&mut commit(root));
            assert_eq!(again.code, 0, "{step}: re-run: {}", again.stderr);
            let head = Library::open(root).unwrap();
            assert!(
                head.head_blob(Path::new("journals/committed/2026-12-04-outage.jsonl"))
                    .unwrap()
                    .is_some(),
                "{step}"
            );
            assert_eq!(status(root), "", "{step}");
        },
    );
    assert!(points >= 4, "only {points} writes were interrupted");
}

/// An executable `sh` script `name` in `home` with `body` after the shebang,
/// to stand for the user's editor.
#[cfg(unix)]
fn editor_script(home: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let editor = home.join(name);
    std::fs::write(&editor, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    editor
}

#[cfg(unix)]
/// A RAM-backed runtime folder of the test's own (an edit in another test
/// would rightly wipe an abandoned scratch in a shared one).
fn ram_runtime() -> std::io::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("grabbag-faults-")
        .tempdir_in("/dev/shm")
}

/// An editor script that edits, says it has started, and waits for `go`.
#[cfg(unix)]
fn waiting_editor(home: &Path) -> PathBuf {
    editor_script(
        home,
        "slow-editor.sh",
        &format!(
            "sed -i 's/^title = .*/title = \"Alpha, edited here\"/' \"$1\"\ntouch '{0}/started'\nwhile [ ! -e '{0}/go' ]; do sleep 0.05; done\n",
            home.display()
        ),
    )
}

#[cfg(unix)]
fn wait_for(path: &Path) {
    while !path.exists() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[cfg(unix)]
#[test]
fn edit_never_overwrites_an_update_synced_while_the_editor_was_open() {
    if !have(
        "git",
        "edit_never_overwrites_an_update_synced_while_the_editor_was_open",
    ) {
        return;
    }
    let lib = two_runbooks();
    let up = upstream_with_update(&lib);
    let home = lib.home.path();
    let editor = waiting_editor(home);
    let child = lib
        .grabbag()
        .env("EDITOR", &editor)
        .args(["edit", "cyber/alpha"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&home.join("started"));
    let synced = run(lib.grabbag().arg("sync").arg(&up));
    assert_eq!(synced.code, 0, "{}", synced.stderr);
    std::fs::write(home.join("go"), "").unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("changed while the editor was open"),
        "{stderr}"
    );
    // The synced version stands, HEAD is the synced commit.
    assert_eq!(
        git(&lib.root, &["rev-parse", "HEAD"]),
        git(&up, &["rev-parse", "HEAD"])
    );
    let show = run(lib.grabbag().args(["show", "cyber/alpha"]));
    assert!(show.stdout.starts_with("Alpha v2\n"), "{}", show.stdout);
    // The edit is kept, sealed, and the next edit opens it on request.
    let kept = lib
        .root
        .join(".git/grabbag-kept-edits/cyber/alpha.toml.age");
    let sealed = std::fs::read(&kept).unwrap();
    assert!(!String::from_utf8_lossy(&sealed).contains("edited here"));
    assert!(lib.identities.decrypt(&sealed).is_ok());
    let out = run(lib
        .grabbag()
        .env("EDITOR", "true")
        .args(["edit", "cyber/alpha", "--kept"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let show = run(lib.grabbag().args(["show", "cyber/alpha"]));
    assert!(
        show.stdout.starts_with("Alpha, edited here\n"),
        "{}",
        show.stdout
    );
    assert!(!kept.exists(), "a saved kept edit is forgotten");
}

#[cfg(unix)]
#[test]
fn an_edit_saved_before_a_hang_up_is_kept_sealed_and_offered() {
    let lib = two_runbooks();
    let home = lib.home.path();
    // Saves, then the terminal hangs up: grabbag and the editor get SIGHUP.
    let editor = editor_script(
        home,
        "hangup-editor.sh",
        "sed -i 's/^title = .*/title = \"Alpha after hang-up\"/' \"$1\"\nkill -HUP $PPID\nkill -HUP $$\n",
    );
    let before = git(&lib.root, &["rev-parse", "HEAD"]);
    let out = run(lib
        .grabbag()
        .env("EDITOR", &editor)
        .args(["edit", "cyber/alpha"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("your edit is kept sealed at "),
        "{}",
        out.stderr
    );
    assert_eq!(
        git(&lib.root, &["rev-parse", "HEAD"]),
        before,
        "nothing committed"
    );
    let kept = lib
        .root
        .join(".git/grabbag-kept-edits/cyber/alpha.toml.age");
    let sealed = std::fs::read(&kept).unwrap();
    assert!(
        !String::from_utf8_lossy(&sealed).contains("hang-up"),
        "never plaintext"
    );
    // Offered by the next edit (without a terminal it says so and opens the
    // runbook as it is); `--kept` takes it.
    let out = run(lib
        .grabbag()
        .env("EDITOR", "true")
        .args(["edit", "cyber/alpha"]));
    assert!(
        out.stderr.contains("was not saved; it is kept sealed at"),
        "{}",
        out.stderr
    );
    let out = run(lib
        .grabbag()
        .env("EDITOR", "true")
        .args(["edit", "cyber/alpha", "--kept"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let show = run(lib.grabbag().args(["show", "cyber/alpha"]));
    assert!(
        show.stdout.starts_with("Alpha after hang-up\n"),
        "{}",
        show.stdout
    );
}

#[cfg(unix)]
#[test]
fn edit_stopped_at_any_write_loses_no_saved_text() {
    let lib = two_runbooks();
    let editor = editor_script(
        lib.home.path(),
        "editor.sh",
        &format!(
            "sed -i 's/^title = .*/title = \"Alpha edited\"/' \"$1\"\necho \"$1\" > '{}/scratch-path'\n",
            lib.home.path().display()
        ),
    );
    let runtime = ram_runtime().or_else(|_| tempfile::tempdir()).unwrap();
    let at = |lib: &TestLibrary, root: &Path| {
        let mut cmd = at(lib, root);
        cmd.env("XDG_RUNTIME_DIR", runtime.path());
        cmd
    };
    let points = each_fault_both(
        |n, mode| {
            let root = copy_of(&lib.root, &format!("edit-{mode}-{n}"));
            let mut cmd = at(&lib, &root);
            cmd.env("EDITOR", &editor).args(["edit", "cyber/alpha"]);
            (root, cmd)
        },
        |n, mode, root, _| {
            let step = format!("edit stopped ({mode}) at write {n}");
            assert_consistent(&lib, root, &[], &step);
            // Stopped while the editor's copy exists (the first write keeps
            // the edit sealed, the scratch goes right after), the scratch
            // folder stays: killed, or left in memory when the disk is full;
            // the next edit rescues its text, then wipes it.
            let scratch = std::fs::read_to_string(lib.home.path().join("scratch-path")).unwrap();
            let scratch = Path::new(scratch.trim()).parent().unwrap().to_owned();
            assert_eq!(
                scratch.exists(),
                n == 1,
                "{step}: kill -9 leaves the scratch"
            );
            let show = |root: &Path| run(at(&lib, root).args(["show", "cyber/alpha"])).stdout;
            if !show(root).starts_with("Alpha edited\n") {
                // Stopped before the commit: the saved text is kept (when the
                // stop came before keeping it, the next edit rescues it from
                // the abandoned scratch), and --kept finishes.
                let again = run(at(&lib, root).env("EDITOR", "true").args([
                    "edit",
                    "cyber/alpha",
                    "--kept",
                ]));
                assert_eq!(again.code, 0, "{step}: {}", again.stderr);
                assert!(show(root).starts_with("Alpha edited\n"), "{step}");
            }
            let again = run(at(&lib, root)
                .env("EDITOR", "true")
                .args(["edit", "cyber/beta"]));
            assert_eq!(again.code, 0, "{step}: {}", again.stderr);
            assert!(
                !scratch.exists(),
                "{step}: the next edit wiped the abandoned scratch"
            );
            assert_consistent(&lib, root, &[], &step);
        },
    );
    assert!(points >= 4, "only {points} writes were interrupted");
}

#[test]
fn live_journals_grow_through_syncs_and_commits() {
    if !have("git", "live_journals_grow_through_syncs_and_commits") {
        return;
    }
    let lib = two_runbooks();
    let live = lib.root.join("journals/2026-12-04-outage.jsonl");
    let note = |text: &str| {
        let out = run(lib
            .grabbag()
            .args(["note", "--actor", "Sam"])
            .arg(&live)
            .arg(text));
        assert_eq!(out.code, 0, "{}", out.stderr);
    };
    note("first");
    let out = run(lib.grabbag().args(["journal", "commit"]).arg(&live));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Upstream gets the snapshot, archives it away, and adds another journal.
    let up = lib.home.path().join("upstream");
    git(
        lib.home.path(),
        &[
            "clone",
            "-q",
            lib.root.to_str().unwrap(),
            up.to_str().unwrap(),
        ],
    );
    git(
        &up,
        &[
            "mv",
            "journals/committed/2026-12-04-outage.jsonl",
            "journals/committed/old.jsonl",
        ],
    );
    std::fs::write(up.join("journals/committed/other.jsonl"), "{}\n").unwrap();
    git(&up, &["add", "-A"]);
    git(&up, &["commit", "-q", "-m", "Archive"]);

    // Notes go on while syncs and journal commits run.
    let writer = {
        let mut cmd = lib.grabbag();
        cmd.args(["note", "--actor", "Jo"]).arg(&live);
        std::thread::spawn(move || {
            for i in 0..15 {
                let out = run(Command::new(cmd.get_program())
                    .args(cmd.get_args())
                    .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
                    .arg(format!("note {i}")));
                assert_eq!(out.code, 0, "{}", out.stderr);
            }
        })
    };
    let synced = run(lib.grabbag().arg("sync").arg(&up));
    assert_eq!(
        synced.code, 0,
        "a grown live journal does not block sync: {}",
        synced.stderr
    );
    let committed = run(lib.grabbag().args(["journal", "commit"]).arg(&live));
    assert_eq!(committed.code, 0, "{}", committed.stderr);
    writer.join().unwrap();
    note("last");
    let verify = run(lib.grabbag().args(["journal", "verify"]).arg(&live));
    assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);
    assert!(
        verify.stdout.contains("18 entries") || verify.stdout.contains("18"),
        "{}",
        verify.stdout
    );
    // The live file is never tracked; journals that arrive are owner-only.
    let tracked = git(&lib.root, &["ls-files", "journals"]);
    assert!(
        !tracked
            .lines()
            .any(|l| l == "journals/2026-12-04-outage.jsonl"),
        "{tracked}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| {
            std::fs::metadata(lib.root.join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("journals/committed/other.jsonl"), 0o600);
        assert_eq!(mode("journals/committed"), 0o700);
    }
}

#[test]
fn a_live_journal_an_older_version_tracked_is_never_removed_by_sync() {
    if !have(
        "git",
        "a_live_journal_an_older_version_tracked_is_never_removed_by_sync",
    ) {
        return;
    }
    let lib = two_runbooks();
    let live = lib.root.join("journals/2026-12-04-outage.jsonl");
    let note = |text: &str| {
        let out = run(lib
            .grabbag()
            .args(["note", "--actor", "Sam"])
            .arg(&live)
            .arg(text));
        assert_eq!(out.code, 0, "{}", out.stderr);
    };
    note("first");
    // Committed in place, as grabbag did before snapshots.
    git(
        &lib.root,
        &["add", "-f", "journals/2026-12-04-outage.jsonl"],
    );
    git(&lib.root, &["commit", "-q", "-m", "Journal in place"]);
    let up = lib.home.path().join("upstream");
    git(
        lib.home.path(),
        &[
            "clone",
            "-q",
            lib.root.to_str().unwrap(),
            up.to_str().unwrap(),
        ],
    );
    git(&up, &["rm", "-q", "journals/2026-12-04-outage.jsonl"]);
    git(&up, &["commit", "-q", "-m", "Archive the journal"]);
    note("written after the commit");
    let before = std::fs::read(&live).unwrap();
    let synced = run(lib.grabbag().arg("sync").arg(&up));
    assert_eq!(synced.code, 0, "{}", synced.stderr);
    assert!(
        synced
            .stdout
            .contains("kept     journals/2026-12-04-outage.jsonl"),
        "{}",
        synced.stdout
    );
    assert_eq!(
        std::fs::read(&live).unwrap(),
        before,
        "the live journal is untouched"
    );
    note("and after the sync");
    let verify = run(lib.grabbag().args(["journal", "verify"]).arg(&live));
    assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);
}

#[test]
fn stale_git_locks_are_cleared_and_live_ones_stop_before_any_change() {
    if !have(
        "git",
        "stale_git_locks_are_cleared_and_live_ones_stop_before_any_change",
    ) {
        return;
    }
    let lib = two_runbooks();
    let draft = lib.root.join("cyber/draft.toml");
    std::fs::write(&draft, runbook_text("cyber/draft", "Draft")).unwrap();
    // Left by a killed command: no process has it open.
    let lock = lib.root.join(".git/index.lock");
    std::fs::write(&lock, "").unwrap();
    let out = run(lib.grabbag().args(["seal", "-m", "Add draft"]).arg(&draft));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("index.lock, a git lock left by an interrupted command"),
        "{}",
        out.stderr
    );
    assert_eq!(status(&lib.root), "");

    // Held by a live process: refused before any file changes.
    if !cfg!(target_os = "linux") {
        return;
    }
    std::fs::write(&draft, runbook_text("cyber/draft2", "Draft")).unwrap();
    let draft2 = lib.root.join("cyber/draft2.toml");
    std::fs::rename(&draft, &draft2).unwrap();
    let ref_lock = lib.root.join(".git/refs/heads/main.lock");
    let mut holder = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "exec 3>'{}'; echo ready; read line",
            ref_lock.display()
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(holder.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
    }
    let out = run(lib
        .grabbag()
        .args(["seal", "-m", "Add draft 2"])
        .arg(&draft2));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("main.lock"), "{}", out.stderr);
    assert!(out.stderr.contains("Nothing was changed"), "{}", out.stderr);
    assert!(draft2.exists(), "the plaintext is still there");
    assert!(!lib.root.join("cyber/draft2.toml.age").exists());
    drop(holder.stdin.take());
    let _ = holder.wait();
    let _ = std::fs::remove_file(&ref_lock);
    let out = run(lib
        .grabbag()
        .args(["seal", "-m", "Add draft 2"])
        .arg(&draft2));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Commits are made durable: libgit2 syncs objects and refs under
    // grabbag's own config file, which the git CLI never reads (so it never
    // warns that the key is deprecated).
    let config = std::fs::read_to_string(lib.root.join(".git/grabbag.config")).unwrap();
    assert!(config.contains("fsyncObjectFiles = true"), "{config}");
    let status = Command::new("git")
        .args(["status", "--short"])
        .current_dir(&lib.root)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&status.stderr), "");
}

#[test]
fn sha256_repositories_and_unfinished_inits_are_named() {
    if !have("git", "sha256_repositories_and_unfinished_inits_are_named") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("sha");
    std::fs::create_dir_all(dir.join(".grabbag")).unwrap();
    git(&dir, &["init", "-q", "--object-format=sha256"]);
    let out = run(grabbag(home.path())
        .env("GRABBAG_LIBRARY", &dir)
        .arg("list"));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("SHA-256 git repository"),
        "{}",
        out.stderr
    );
    let half = home.path().join("half");
    std::fs::create_dir_all(half.join(".grabbag")).unwrap();
    let out = run(grabbag(home.path())
        .env("GRABBAG_LIBRARY", &half)
        .arg("list"));
    assert!(
        out.stderr.contains("interrupted; run `grabbag init"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_interrupted_sync_whose_files_changed_since_is_explained() {
    if !have(
        "git",
        "an_interrupted_sync_whose_files_changed_since_is_explained",
    ) {
        return;
    }
    let lib = two_runbooks();
    let up = upstream_with_update(&lib);
    // Stop the sync at each write in turn until one stops after a runbook
    // of the new version is in place.
    let (root, first) = (1..40)
        .find_map(|n| {
            let root = copy_of(&lib.root, &format!("interrupted-{n}"));
            let out = run(at(&lib, &root)
                .env("GRABBAG_FAULT_AT", n.to_string())
                .arg("sync")
                .arg(&up));
            assert!(out.stderr.contains(FAULT_MARK), "{}", out.stderr);
            let changed = git(&root, &["status", "--porcelain", "--untracked-files=all"]);
            let first = changed
                .lines()
                .filter_map(|l| l.get(3..))
                .find(|p| p.ends_with(".toml.age") && !p.contains("/."))?
                .to_owned();
            Some((root, first))
        })
        .expect("a sync stopped with a new runbook in place");
    std::fs::write(root.join(&first), "changed by hand\n").unwrap();
    let out = run(at(&lib, &root).arg("sync").arg(&up));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("an earlier sync was interrupted"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(&first), "{}", out.stderr);
}

#[test]
fn tmux_the_interface_keeps_writing_its_journal_through_commits_and_syncs() {
    if !have(
        "tmux",
        "tmux_the_interface_keeps_writing_its_journal_through_commits_and_syncs",
    ) || !have(
        "git",
        "tmux_the_interface_keeps_writing_its_journal_through_commits_and_syncs",
    ) {
        return;
    }
    let demo = crate::tui::demo("livesync");
    let t = &demo.tmux;
    t.start(&demo.library, &demo.identity, "run");
    demo.start_ransomware();
    let note = |text: &str| {
        t.keys(&["n"]);
        t.wait_for(" Note ");
        t.text(text);
        t.keys(&["C-s"]);
        t.wait_for(&format!("note: {text}"));
    };
    let cli = || {
        let mut cmd = grabbag(&t.home);
        cmd.env("GRABBAG_LIBRARY", &demo.library)
            .env("GRABBAG_IDENTITY", &demo.identity);
        cmd
    };
    note("before the commit");
    let journal = demo.journal();
    let out = run(cli().args(["journal", "commit"]).arg(&journal));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Upstream archives the committed journal away.
    let name = journal.file_name().unwrap().to_string_lossy().into_owned();
    let up = t.home.join("upstream");
    git(
        &t.home,
        &[
            "clone",
            "-q",
            demo.library.to_str().unwrap(),
            up.to_str().unwrap(),
        ],
    );
    git(&up, &["rm", "-q", &format!("journals/committed/{name}")]);
    git(&up, &["commit", "-q", "-m", "Archive the journal"]);
    note("after the commit");
    let out = run(cli().arg("sync").arg(&up));
    assert_eq!(
        out.code, 0,
        "a journal being written never blocks a sync: {}",
        out.stderr
    );
    note("after the sync");
    let out = run(cli().args(["journal", "commit"]).arg(&journal));
    assert_eq!(out.code, 0, "{}", out.stderr);
    note("after the second commit");
    t.quit_response();
    let notes: Vec<String> = demo
        .entries()
        .iter()
        .filter_map(|e| match &e.event {
            Some(grabbag::journal::Event::Note { text, .. }) => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        notes,
        [
            "before the commit",
            "after the commit",
            "after the sync",
            "after the second commit"
        ]
    );
    demo.verify();
}

#[test]
fn journal_commit_takes_a_live_journal_an_older_version_tracked_out_of_git() {
    if !have("git", "journal_commit_takes_a_live_journal_out_of_git") {
        return;
    }
    let lib = two_runbooks();
    let live = lib.root.join("journals/2026-12-04-outage.jsonl");
    let out = run(lib
        .grabbag()
        .args(["note", "--actor", "Sam"])
        .arg(&live)
        .arg("first"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // An older library: no ignore lines, the journal committed in place.
    std::fs::write(lib.root.join(".gitignore"), "*.lock\n").unwrap();
    git(
        &lib.root,
        &["add", ".gitignore", "journals/2026-12-04-outage.jsonl"],
    );
    git(&lib.root, &["commit", "-q", "-m", "Journal in place"]);
    let out = run(lib.grabbag().args(["journal", "commit"]).arg(&live));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let tracked = git(&lib.root, &["ls-files", "journals", ".gitignore"]);
    assert_eq!(
        tracked, ".gitignore\njournals/committed/2026-12-04-outage.jsonl\n",
        "the snapshot is tracked, the live file no longer"
    );
    assert!(live.exists(), "the live file stays");
    assert_eq!(status(&lib.root), "");
    let ignore = std::fs::read_to_string(lib.root.join(".gitignore")).unwrap();
    assert!(ignore.contains("/journals/*.jsonl\n"), "{ignore}");
}

#[cfg(unix)]
#[test]
fn an_edit_that_cannot_be_kept_on_a_full_disk_is_left_in_memory_not_lost() {
    let Ok(runtime) = ram_runtime() else {
        eprintln!("SKIPPED: no /dev/shm to act as a RAM-backed runtime folder");
        return;
    };
    let lib = two_runbooks();
    let editor = editor_script(
        lib.home.path(),
        "editor.sh",
        "sed -i 's/^title = .*/title = \"Alpha on a full disk\"/' \"$1\"\n",
    );
    // The first write of `edit` is keeping the edit sealed.
    let out = run(lib
        .grabbag()
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env("EDITOR", &editor)
        .env("GRABBAG_FAULT_AT", "1")
        .env("GRABBAG_FAULT", "enospc")
        .args(["edit", "cyber/alpha"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("no space left"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("it is left, owner-only and in memory, at "),
        "{}",
        out.stderr
    );
    let left = out
        .stderr
        .split("in memory, at ")
        .nth(1)
        .and_then(|rest| rest.split(". Copy").next())
        .unwrap()
        .to_owned();
    let text = std::fs::read_to_string(&left).unwrap();
    assert!(text.contains("Alpha on a full disk"), "{text}");
    // The next edit wipes it.
    let out = run(lib
        .grabbag()
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env("EDITOR", "true")
        .args(["edit", "cyber/beta"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!Path::new(&left).exists());
}

/// The one window `edit` cannot close by itself: killed outright after the
/// editor saved and before the edit was kept sealed. The saved text is still
/// in the (in-memory) scratch folder; the next `edit` of the library keeps it
/// sealed before that folder is wiped.
#[cfg(unix)]
#[test]
fn an_edit_saved_just_before_a_kill_is_rescued_by_the_next_edit() {
    let Ok(runtime) = ram_runtime() else {
        eprintln!("SKIPPED: no /dev/shm to act as a RAM-backed runtime folder");
        return;
    };
    let lib = two_runbooks();
    // Saves the edit, then kills `grabbag edit` (its parent) outright.
    let editor = editor_script(
        lib.home.path(),
        "editor.sh",
        "sed -i 's/^title = .*/title = \"Alpha saved before the kill\"/' \"$1\"\nkill -9 $PPID\n",
    );
    let out = run(lib
        .grabbag()
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env("EDITOR", &editor)
        .args(["edit", "cyber/alpha"]));
    assert_eq!(out.code, -1, "killed: {}", out.stderr);
    let kept = lib
        .root
        .join(".git/grabbag-kept-edits/cyber/alpha.toml.age");
    assert!(!kept.exists(), "nothing was kept before the kill");
    // The next edit (of another runbook) finds it and keeps it sealed.
    let out = run(lib
        .grabbag()
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env("EDITOR", "true")
        .args(["edit", "cyber/beta"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("was saved in the editor, but its `grabbag edit` was stopped"),
        "{}",
        out.stderr
    );
    let text = lib
        .identities
        .decrypt(&std::fs::read(&kept).unwrap())
        .unwrap();
    assert!(
        String::from_utf8_lossy(&text).contains("Alpha saved before the kill"),
        "the kept edit is the saved text"
    );
    // No plaintext is left in the runtime folder.
    let left: Vec<_> = std::fs::read_dir(runtime.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}
