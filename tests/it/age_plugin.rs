//! age plugins, end to end: a real plugin binary (`age-plugin-gbtest`, the
//! example built by `cargo test`, which keeps its key in a file and may ask
//! for a PIN) speaking the real protocol to the real grabbag binary and to
//! the Go `age` CLI, on the same files. Mixed recipient lists (X25519 and
//! plugin) through seal, edit, rekey, journals and the demo; every failure
//! (plugin missing, token absent, crash, hang, wrong PIN) a clear error with
//! nothing half-written; prompts on the terminal and in the interface (tmux).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{TestLibrary, have, run, runbook_text};

const PLUGIN: &str = "age-plugin-gbtest";

/// The test plugin on a PATH of its own (the folder holds only a link to
/// it), with the PATH to give commands.
struct PluginPath {
    _dir: tempfile::TempDir,
    path: OsString,
}

/// The plugin, or `None` with the reason printed: `cargo test` builds it;
/// a run of one test target (`cargo test --test it`) may not have.
fn plugin(test: &str) -> Option<PluginPath> {
    let built = Path::new(env!("CARGO_BIN_EXE_grabbag"))
        .parent()?
        .join("examples")
        .join(PLUGIN);
    if !built.exists() {
        eprintln!(
            "SKIPPED {test}: {} is not built (`cargo test` builds it; or `cargo build --example {PLUGIN}`)",
            built.display()
        );
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    std::os::unix::fs::symlink(&built, dir.path().join(PLUGIN)).expect("link the plugin");
    let mut path = OsString::from(dir.path());
    if let Some(rest) = std::env::var_os("PATH") {
        path.push(":");
        path.push(rest);
    }
    Some(PluginPath { _dir: dir, path })
}

/// A token made by the plugin: its identity file and recipient.
struct Token {
    key: PathBuf,
    identity: PathBuf,
    recipient: String,
}

fn token(plugin: &PluginPath, home: &Path, name: &str, pin: Option<&str>) -> Token {
    let key = home.join(format!("{name}.key"));
    let mut cmd = Command::new(PLUGIN);
    cmd.env("PATH", &plugin.path).arg("--generate").arg(&key);
    if let Some(pin) = pin {
        cmd.args(["--pin", pin]);
    }
    let out = cmd.output().expect("the plugin runs");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let recipient = text
        .lines()
        .find_map(|l| l.strip_prefix("# recipient: "))
        .expect("a recipient line")
        .to_owned();
    let identity = home.join(format!("{name}-identity.txt"));
    std::fs::write(&identity, text).expect("identity written");
    Token {
        key,
        identity,
        recipient,
    }
}

/// A library sealed to its X25519 key and rekeyed (with the real binary) to
/// the token's recipient as well.
fn mixed_library(plugin: &PluginPath, pin: Option<&str>) -> (TestLibrary, Token) {
    let lib = TestLibrary::with(&[
        ("cyber/alpha.toml", &runbook_text("cyber/alpha", "Alpha")),
        ("cyber/bravo.toml", &runbook_text("cyber/bravo", "Bravo")),
    ]);
    let token = token(plugin, lib.home.path(), "token", pin);
    let recipients = lib.root.join(".grabbag/recipients");
    let mut text = std::fs::read_to_string(&recipients).unwrap();
    text.push_str(&format!("{}\n", token.recipient));
    std::fs::write(&recipients, text).unwrap();
    let out = run(lib
        .grabbag()
        .env("PATH", &plugin.path)
        .args(["rekey", "--include-untrusted"]));
    assert_eq!(out.code, 0, "{out:?}");
    (lib, token)
}

fn git_head(root: &Path) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "HEAD"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The binary with the token's identity and the plugin on PATH.
fn as_token(lib: &TestLibrary, plugin: &PluginPath, token: &Token) -> Command {
    let mut cmd = lib.grabbag();
    cmd.env("PATH", &plugin.path)
        .env("GRABBAG_IDENTITY", &token.identity);
    cmd
}

#[test]
fn a_library_rekeyed_to_a_plugin_recipient_is_used_with_the_plugin_identity() {
    let test = "a_library_rekeyed_to_a_plugin_recipient_is_used_with_the_plugin_identity";
    let Some(plugin) = plugin(test) else { return };
    let (lib, token) = mixed_library(&plugin, None);

    // Loaded with the plugin identity alone.
    let out = run(as_token(&lib, &plugin, &token).arg("list"));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Alpha"), "{out:?}");

    // Sealed by the binary to both: each identity opens it.
    std::fs::write(
        lib.root.join("cyber/gamma.toml"),
        runbook_text("cyber/gamma", "Gamma sealed to both"),
    )
    .unwrap();
    let out = run(as_token(&lib, &plugin, &token)
        .args(["seal", "-m", "Add gamma"])
        .arg(lib.root.join("cyber/gamma.toml")));
    assert_eq!(out.code, 0, "{out:?}");
    for identity in [&lib.identity_path, &token.identity] {
        let out = run(lib
            .grabbag()
            .env("PATH", &plugin.path)
            .env("GRABBAG_IDENTITY", identity)
            .args(["show", "cyber/gamma"]));
        assert_eq!(out.code, 0, "{out:?}");
        assert!(out.stdout.contains("Gamma sealed to both"), "{out:?}");
    }

    // Edited with the plugin identity: re-sealed to both.
    let editor = lib.home.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nsed -i 's/^title = .*/title = \"Alpha, edited with a token\"/' \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = run(as_token(&lib, &plugin, &token)
        .env("EDITOR", &editor)
        .args(["edit", "cyber/alpha"]));
    assert_eq!(out.code, 0, "{out:?}");
    let out = run(lib.grabbag().args(["show", "cyber/alpha"]));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Alpha, edited with a token"), "{out:?}");

    // A journal begun with the token reads with either identity.
    let journal = lib.root.join("journals/incident.jsonl");
    let out = run(as_token(&lib, &plugin, &token)
        .arg("note")
        .arg(&journal)
        .arg("written by the token holder"));
    assert_eq!(out.code, 0, "{out:?}");
    let out = run(lib
        .grabbag()
        .arg("note")
        .arg(&journal)
        .arg("written by the X25519 holder"));
    assert_eq!(out.code, 0, "{out:?}");
    for identity in [&lib.identity_path, &token.identity] {
        let out = run(lib
            .grabbag()
            .env("PATH", &plugin.path)
            .env("GRABBAG_IDENTITY", identity)
            .args(["journal", "export", "--format", "csv"])
            .arg(&journal));
        assert_eq!(out.code, 0, "{out:?}");
        assert!(
            out.stdout.contains("written by the token holder")
                && out.stdout.contains("written by the X25519 holder"),
            "{out:?}"
        );
    }
}

#[test]
fn files_go_both_ways_between_grabbag_and_the_age_cli_through_the_plugin() {
    let test = "files_go_both_ways_between_grabbag_and_the_age_cli_through_the_plugin";
    if !have("age", test) {
        return;
    }
    let Some(plugin) = plugin(test) else { return };
    let (lib, token) = mixed_library(&plugin, None);

    // grabbag sealed it (rekey): `age -d -i` and the same plugin open it.
    let out = Command::new("age")
        .env("PATH", &plugin.path)
        .arg("-d")
        .arg("-i")
        .arg(&token.identity)
        .arg(lib.root.join("cyber/alpha.toml.age"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        runbook_text("cyber/alpha", "Alpha")
    );

    // `age` sealed it to the plugin recipient alone: grabbag opens it with
    // the plugin identity.
    let plain = lib.home.path().join("beta.toml");
    std::fs::write(&plain, runbook_text("cyber/beta", "Beta from age")).unwrap();
    let out = Command::new("age")
        .env("PATH", &plugin.path)
        .arg("-r")
        .arg(&token.recipient)
        .arg("-o")
        .arg(lib.root.join("cyber/beta.toml.age"))
        .arg(&plain)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = run(as_token(&lib, &plugin, &token).args(["show", "cyber/beta"]));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Beta from age"), "{out:?}");

    // A journal's key, wrapped by grabbag to the library's recipients (the
    // X25519 holder began it), unwraps with `age -d` and the plugin.
    let journal = lib.root.join("journals/incident.jsonl");
    let out = run(lib
        .grabbag()
        .env("PATH", &plugin.path)
        .arg("note")
        .arg(&journal)
        .arg("begun by the X25519 holder"));
    assert_eq!(out.code, 0, "{out:?}");
    let first: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&journal)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let wrapped = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        first["journal_key"].as_str().expect("an encrypted journal"),
    )
    .unwrap();
    let sealed_key = lib.home.path().join("journal-key.age");
    std::fs::write(&sealed_key, wrapped).unwrap();
    let out = Command::new("age")
        .env("PATH", &plugin.path)
        .arg("-d")
        .arg("-i")
        .arg(&token.identity)
        .arg(&sealed_key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout.len(), 32, "a 256-bit journal key");
}

#[test]
fn the_demo_takes_a_plugin_recipient() {
    let test = "the_demo_takes_a_plugin_recipient";
    let Some(plugin) = plugin(test) else { return };
    let home = tempfile::tempdir().unwrap();
    let token = token(&plugin, home.path(), "token", None);
    let dir = home.path().join("demo");
    let out = run(crate::harness::grabbag(home.path())
        .env("PATH", &plugin.path)
        .args(["demo", "--no-tui", "--recipient", &token.recipient, "--dir"])
        .arg(&dir));
    assert_eq!(out.code, 0, "{out:?}");
    let out = run(crate::harness::grabbag(home.path())
        .env("PATH", &plugin.path)
        .env("GRABBAG_LIBRARY", dir.join("library"))
        .env("GRABBAG_IDENTITY", &token.identity)
        .args(["list", "--json"]));
    assert_eq!(out.code, 0, "{out:?}");
    let listed: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let count = listed
        .as_array()
        .or_else(|| listed["runbooks"].as_array())
        .map_or(0, Vec::len);
    assert_eq!(count, grabbag::samples::SAMPLE_RUNBOOKS.len(), "{out:?}");
}

#[test]
fn plugin_failures_are_clear_errors_and_nothing_is_half_written() {
    let test = "plugin_failures_are_clear_errors_and_nothing_is_half_written";
    if !have("git", test) {
        return;
    }
    let Some(plugin) = plugin(test) else { return };
    let (lib, token) = mixed_library(&plugin, None);
    let show = |cmd: &mut Command| run(cmd.args(["show", "cyber/alpha"]));

    // Not installed: PATH without it.
    let out = show(lib.grabbag().env("GRABBAG_IDENTITY", &token.identity));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("age-plugin-gbtest not found on PATH; install it or use another identity"),
        "{out:?}"
    );
    // Not installed where a runbook is sealed: it cannot be encrypted to
    // the token's recipient, and says so.
    let plain = lib.root.join("cyber/echo.toml");
    std::fs::write(&plain, runbook_text("cyber/echo", "Echo")).unwrap();
    let out = run(lib.grabbag().args(["seal"]).arg(&plain));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("age-plugin-gbtest not found on PATH: it is needed to encrypt to the library's age1gbtest1... recipient(s)"),
        "{out:?}"
    );
    assert!(plain.exists() && !lib.root.join("cyber/echo.toml.age").exists());
    std::fs::remove_file(&plain).unwrap();
    // Crashes.
    let out = show(as_token(&lib, &plugin, &token).env("AGE_PLUGIN_GBTEST_FAULT", "crash"));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("age-plugin-gbtest stopped without answering"),
        "{out:?}"
    );
    // Hangs: given up after the (configured) time-out.
    let out = show(
        as_token(&lib, &plugin, &token)
            .env("AGE_PLUGIN_GBTEST_FAULT", "hang")
            .env("GRABBAG_PLUGIN_TIMEOUT", "1"),
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("age-plugin-gbtest did not answer within 1 s"),
        "{out:?}"
    );

    // Sealing with a plugin recipient whose plugin crashes: the plaintext
    // stays, no sealed file, nothing staged or committed.
    let head = git_head(&lib.root);
    let plain = lib.root.join("cyber/delta.toml");
    std::fs::write(&plain, runbook_text("cyber/delta", "Delta")).unwrap();
    let out = run(lib
        .grabbag()
        .env("PATH", &plugin.path)
        .env("AGE_PLUGIN_GBTEST_FAULT", "crash")
        .args(["seal", "-m", "Add delta"])
        .arg(&plain));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("age-plugin-gbtest stopped without answering"),
        "{out:?}"
    );
    assert!(plain.exists());
    assert!(!lib.root.join("cyber/delta.toml.age").exists());
    assert_eq!(git_head(&lib.root), head);
    let status = Command::new("git")
        .arg("-C")
        .arg(&lib.root)
        .args(["status", "--porcelain"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&status.stdout).trim(),
        "?? cyber/delta.toml"
    );

    // A journal cannot begin when its key cannot be sealed to a plugin
    // recipient: no journal file is left.
    let journal = lib.root.join("journals/failed.jsonl");
    let out = run(lib
        .grabbag()
        .env("AGE_PLUGIN_GBTEST_FAULT", "crash")
        .env("PATH", &plugin.path)
        .arg("note")
        .arg(&journal)
        .arg("never written"));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(!journal.exists(), "{out:?}");
}

#[test]
fn a_token_not_plugged_in_is_asked_for_and_skipping_it_is_a_clear_error() {
    let test = "a_token_not_plugged_in_is_asked_for_and_skipping_it_is_a_clear_error";
    if !have("tmux", test) {
        return;
    }
    let Some(plugin) = plugin(test) else { return };
    let (lib, token) = mixed_library(&plugin, None);
    let key = std::fs::read(&token.key).unwrap();
    std::fs::remove_file(&token.key).unwrap();
    let tmux = tmux_with_token(
        &lib,
        &plugin,
        &token,
        "absent",
        "\"$GRABBAG\" show cyber/alpha; echo \"skipped exit $?\"; \"$GRABBAG\" show cyber/alpha; echo \"inserted exit $?\"; exec sleep 600",
    );
    // Skipped: the command fails and says the token is not there.
    tmux.wait_for("Insert the gbtest token, then choose Done [Done/Skip]");
    tmux.text("Skip");
    tmux.keys(&["Enter"]);
    tmux.wait_for("skipped exit 2");
    // (A long line wraps at the pane's edge: read it whole.)
    let screen = tmux.screen();
    assert!(
        screen
            .replace('\n', "")
            .contains("gbtest token not present"),
        "{screen}"
    );
    // Plugged in when asked: the runbook opens.
    wait_until(&tmux, |screen| {
        screen.matches("Insert the gbtest token").count() == 2
    });
    std::fs::write(&token.key, key).unwrap();
    tmux.text("Done");
    tmux.keys(&["Enter"]);
    tmux.wait_for("inserted exit 0");
    assert!(tmux.screen().contains("Alpha"), "{}", tmux.screen());
}

/// A tmux pane running `line` in the library's environment, with the
/// plugin on PATH and the token's identity.
fn tmux_with_token(
    lib: &TestLibrary,
    plugin: &PluginPath,
    token: &Token,
    name: &str,
    line: &str,
) -> crate::tui::Tmux {
    let tmux = crate::tui::Tmux {
        socket: format!("grabbag-plugin-{name}-{}", std::process::id()),
        home: lib.home.path().to_owned(),
    };
    tmux.start_shell(
        &lib.root,
        &token.identity,
        &format!("export PATH='{}'\n{line}", plugin.path.to_string_lossy()),
    );
    tmux
}

#[test]
fn a_pin_is_asked_once_per_process_on_the_terminal_and_a_wrong_one_is_refused() {
    let test = "a_pin_is_asked_once_per_process_on_the_terminal_and_a_wrong_one_is_refused";
    if !have("tmux", test) {
        return;
    }
    let Some(plugin) = plugin(test) else { return };
    let (lib, token) = mixed_library(&plugin, Some("4321"));
    let tmux = tmux_with_token(
        &lib,
        &plugin,
        &token,
        "pin",
        "\"$GRABBAG\" list; echo \"list exit $?\"; \"$GRABBAG\" show cyber/alpha; echo \"show exit $?\"; exec sleep 600",
    );
    tmux.wait_for("Enter the PIN of the gbtest token");
    tmux.text("4321");
    tmux.keys(&["Enter"]);
    tmux.wait_for("list exit 0");
    let screen = tmux.screen();
    let (list, _) = screen.split_once("list exit 0").unwrap_or_default();
    // Two runbooks, one prompt: the answer is kept for the process.
    assert_eq!(list.matches("Enter the PIN").count(), 1, "{screen}");
    assert!(list.contains("Alpha") && list.contains("Bravo"), "{screen}");
    // A new process asks again; a wrong PIN is refused, and said so.
    wait_until(&tmux, |screen| screen.matches("Enter the PIN").count() == 2);
    tmux.text("0000");
    tmux.keys(&["Enter"]);
    tmux.wait_for("show exit 2");
    let screen = tmux.screen();
    assert!(
        screen.contains("age-plugin-gbtest: couldn't use an identity: wrong PIN"),
        "{screen}"
    );
}

/// Waits until the screen satisfies `done` (a hang fails after 30 s).
fn wait_until(tmux: &crate::tui::Tmux, done: impl Fn(&str) -> bool) {
    let start = std::time::Instant::now();
    loop {
        let screen = tmux.screen();
        if done(&screen) {
            return;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "never came; screen:\n{screen}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn in_the_interface_a_plugin_prompt_borrows_the_terminal_and_gives_it_back() {
    let test = "in_the_interface_a_plugin_prompt_borrows_the_terminal_and_gives_it_back";
    if !have("tmux", test) {
        return;
    }
    let Some(plugin) = plugin(test) else { return };
    let (lib, token) = mixed_library(&plugin, Some("4321"));
    let tmux = tmux_with_token(
        &lib,
        &plugin,
        &token,
        "tui",
        "\"$GRABBAG\" run; echo \"run exit $?\"; exec sleep 600",
    );
    // The library loads in the background: its first runbook asks for the
    // PIN on the plain terminal, the interface paused.
    tmux.wait_for("Enter the PIN of the gbtest token");
    assert!(
        tmux.screen()
            .contains("grabbag is paused while age-plugin-gbtest asks"),
        "{}",
        tmux.screen()
    );
    tmux.text("4321");
    tmux.keys(&["Enter"]);
    // The interface is back, drawn in full, with both runbooks.
    wait_until(&tmux, |screen| {
        screen.contains("Alpha") && screen.contains("Bravo") && !screen.contains("Enter the PIN")
    });
    tmux.keys(&["C-c"]);
    tmux.wait_for("run exit 0");
}

#[test]
fn in_the_interface_a_wrong_pin_or_a_hung_plugin_leaves_it_working() {
    let test = "in_the_interface_a_wrong_pin_or_a_hung_plugin_leaves_it_working";
    if !have("tmux", test) {
        return;
    }
    let Some(plugin) = plugin(test) else { return };
    let (lib, token) = mixed_library(&plugin, Some("4321"));
    let tmux = tmux_with_token(
        &lib,
        &plugin,
        &token,
        "tui-fail",
        "\"$GRABBAG\" run; echo \"run exit $?\"; read next; AGE_PLUGIN_GBTEST_FAULT=hang GRABBAG_PLUGIN_TIMEOUT=1 \"$GRABBAG\" run; echo \"hung exit $?\"; exec sleep 600",
    );
    tmux.wait_for("Enter the PIN of the gbtest token");
    tmux.text("0000");
    tmux.keys(&["Enter"]);
    // Asked once: the second runbook fails with the first one's reason
    // rather than try the wrong PIN again. The interface is back and works.
    wait_until(&tmux, |screen| {
        screen.contains("Runbooks") && !screen.contains("Enter the PIN")
    });
    tmux.keys(&["C-c"]);
    tmux.wait_for("run exit 1");
    let screen = tmux.screen();
    assert!(screen.contains("wrong PIN"), "{screen}");
    assert_eq!(screen.matches("Enter the PIN").count(), 1, "{screen}");

    // A plugin that never answers: the load gives up after the time-out,
    // and the interface still answers keys.
    tmux.keys(&["Enter"]);
    wait_until(&tmux, |screen| screen.contains("DID NOT LOAD"));
    tmux.keys(&["C-c"]);
    tmux.wait_for("hung exit 1");
    let screen = tmux.screen();
    assert!(
        screen.contains("age-plugin-gbtest did not answer within"),
        "{screen}"
    );
}
