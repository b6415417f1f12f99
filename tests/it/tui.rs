//! The real binary in tmux on a demo library: a responder's keys in, the
//! journal checked after. Skipped (with a printed reason) where tmux is
//! missing. Waiting for the screen is bounded (a liveness limit, never a
//! timing assertion).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use grabbag::crypto::{self, Identities};
use grabbag::journal::Journal;
use grabbag::response::ResponseState;

use crate::harness::{grabbag, have, run};

/// A tmux server of our own (its own socket), running grabbag in one pane.
pub(crate) struct Tmux {
    pub(crate) socket: String,
    pub(crate) home: PathBuf,
}

impl Tmux {
    fn command(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &self.socket]);
        cmd
    }

    /// Starts `grabbag ARGS` in a 100×30 pane, through a script that sets
    /// the isolated environment the harness would.
    pub(crate) fn start(&self, library: &Path, identity: &Path, args: &str) {
        self.start_shell(
            library,
            identity,
            &format!("exec '{}' {args}", env!("CARGO_BIN_EXE_grabbag")),
        );
    }

    /// Runs the shell `line` in a 100×30 pane, in the environment of
    /// [`Tmux::start`]; `$GRABBAG` names the binary.
    pub(crate) fn start_shell(&self, library: &Path, identity: &Path, line: &str) {
        let probe = grabbag(&self.home);
        let mut script = String::from("#!/bin/sh\n");
        for (k, v) in probe.get_envs() {
            if let Some(v) = v {
                script.push_str(&format!(
                    "export {}='{}'\n",
                    k.to_string_lossy(),
                    v.to_string_lossy()
                ));
            }
        }
        script.push_str(&format!(
            "unset NO_COLOR\nexport TERM=xterm-256color GRABBAG_LIBRARY='{}' GRABBAG_IDENTITY='{}' GRABBAG='{}'\n{line}\n",
            library.display(),
            identity.display(),
            env!("CARGO_BIN_EXE_grabbag"),
        ));
        let path = self.home.join("start.sh");
        std::fs::write(&path, script).expect("write script");
        // After a kill the old server may still be exiting: try again for
        // a while rather than race it.
        let start = Instant::now();
        loop {
            let out = self
                .command()
                .args([
                    "new-session",
                    "-d",
                    "-s",
                    "g",
                    "-x",
                    "100",
                    "-y",
                    "30",
                    "sh",
                ])
                .arg(&path)
                .output()
                .expect("tmux runs");
            if out.status.success() {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Resizes the window (the app redraws at the new size).
    pub(crate) fn resize(&self, width: u16, height: u16) {
        let out = self
            .command()
            .args(["resize-window", "-t", "g", "-x"])
            .arg(width.to_string())
            .arg("-y")
            .arg(height.to_string())
            .output()
            .expect("tmux runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub(crate) fn screen(&self) -> String {
        let out = self
            .command()
            .args(["capture-pane", "-p", "-t", "g"])
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(crate) fn alive(&self) -> bool {
        self.command()
            .args(["has-session", "-t", "g"])
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// Waits until the screen shows `text`.
    pub(crate) fn wait_for(&self, text: &str) {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "never showed {text:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn keys(&self, keys: &[&str]) {
        let out = self
            .command()
            .args(["send-keys", "-t", "g"])
            .args(keys)
            .output()
            .expect("tmux runs");
        assert!(out.status.success());
    }

    /// Literal text.
    pub(crate) fn text(&self, text: &str) {
        self.keys(&["-l", text]);
    }

    /// Quits a response with `q`: the closing witness code is shown (and
    /// returned) until a key is pressed, then grabbag is gone.
    pub(crate) fn quit_response(&self) -> String {
        let code = self.quit_response_to_shell();
        self.wait_gone();
        code
    }

    /// [`Tmux::quit_response`] for a grabbag started by a shell that stays.
    pub(crate) fn quit_response_to_shell(&self) -> String {
        self.keys(&["q"]);
        self.wait_for("Closing witness code: ");
        let screen = self.screen();
        let code = screen
            .split("Closing witness code: ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_default()
            .to_owned();
        self.keys(&["Enter"]);
        code
    }

    /// `d` on a step whose checks are not ticked: the question, then `y`.
    pub(crate) fn done_anyway(&self) {
        self.keys(&["d"]);
        self.wait_for("checks are not ticked");
        self.keys(&["y"]);
    }

    pub(crate) fn wait_gone(&self) {
        let start = Instant::now();
        while self.alive() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "grabbag did not quit: {}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn pid(&self) -> String {
        let out = self
            .command()
            .args(["display-message", "-p", "-t", "g", "#{pane_pid}"])
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").output();
    }
}

pub(crate) struct Demo {
    _home: tempfile::TempDir,
    pub(crate) tmux: Tmux,
    pub(crate) library: PathBuf,
    pub(crate) identity: PathBuf,
}

pub(crate) fn demo(name: &str) -> Demo {
    let built = crate::harness::Demo::build();
    Demo {
        tmux: Tmux {
            socket: format!("grabbag-test-{name}-{}", std::process::id()),
            home: built.home.path().to_owned(),
        },
        library: built.library,
        identity: built.identity,
        _home: built.home,
    }
}

impl Demo {
    pub(crate) fn journal(&self) -> PathBuf {
        let journals = grabbag::journal::store::journals_in(&self.library.join("journals"));
        assert_eq!(journals.len(), 1, "{journals:?}");
        journals[0].clone()
    }

    pub(crate) fn entries(&self) -> Vec<grabbag::journal::Entry> {
        let ids = Identities::load(&self.identity, &mut crypto::passphrase_from_env_or_tty)
            .expect("identity");
        let (_, entries, torn) = Journal::open(&self.journal(), Some(&ids)).expect("journal");
        assert!(torn.is_none());
        entries
    }

    pub(crate) fn verify(&self) {
        let out = run(grabbag(self.tmux.home.as_path())
            .env("GRABBAG_LIBRARY", &self.library)
            .env("GRABBAG_IDENTITY", &self.identity)
            .args(["journal", "verify"])
            .arg(self.journal()));
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    }

    /// From the library screen: search, start a response on ransomware.
    pub(crate) fn start_ransomware(&self) {
        let t = &self.tmux;
        t.wait_for("type to search");
        t.text("ransom");
        t.wait_for("search: ransom");
        t.keys(&["Enter"]);
        t.wait_for("Start a response");
        t.text("Smoke test");
        t.keys(&["Enter"]);
        t.text("Alice");
        t.keys(&["Enter"]);
        t.text("Incident lead");
        t.keys(&["Enter"]);
        t.wait_for("at keyboard: Alice (Incident lead)");
    }
}

fn kinds(entries: &[grabbag::journal::Entry]) -> Vec<&'static str> {
    entries
        .iter()
        .map(|e| e.event.as_ref().map_or("?", |ev| ev.kind()))
        .collect()
}

#[test]
fn tmux_a_response_worked_with_keys_is_in_the_journal() {
    if !have("tmux", "tmux_a_response_worked_with_keys_is_in_the_journal") {
        return;
    }
    let demo = demo("work");
    let t = &demo.tmux;
    t.start(&demo.library, &demo.identity, "run");
    demo.start_ransomware();
    t.done_anyway();
    t.wait_for("done: Confirm the signs");
    t.keys(&["s"]);
    t.wait_for("Why skip this step?");
    t.text("no laptops on site");
    t.keys(&["Enter"]);
    t.wait_for("skipped: Isolate affected devices");
    t.keys(&["D"]);
    t.wait_for(" Decision ");
    t.keys(&["Enter"]);
    t.wait_for("rationale, required");
    t.text("files on the shares are still changing");
    t.keys(&["C-s"]);
    t.wait_for("decided: Yes");
    t.keys(&["n"]);
    t.wait_for(" Note ");
    t.text("Called the DPO");
    t.keys(&["C-s"]);
    t.wait_for("note: Called the DPO");
    let closing = t.quit_response();

    let entries = demo.entries();
    // The code shown on leaving is the session end's, for the paper log.
    assert_eq!(
        entries.last().map(|e| e.witness()).as_deref(),
        Some(closing.as_str())
    );
    assert_eq!(
        kinds(&entries),
        [
            "session_started",
            "runbook_opened",
            "step_done",
            "clock_started",
            "step_skipped",
            "decision",
            "note",
            "session_ended"
        ]
    );
    demo.verify();
}

#[test]
fn tmux_killed_mid_response_resumes_where_it_was() {
    if !have("tmux", "tmux_killed_mid_response_resumes_where_it_was") {
        return;
    }
    let demo = demo("kill");
    let t = &demo.tmux;
    t.start(&demo.library, &demo.identity, "run");
    demo.start_ransomware();
    t.done_anyway();
    t.wait_for("done: Confirm the signs");
    let before = ResponseState::fold(&demo.entries());
    let killed = Command::new("kill")
        .args(["-KILL", &t.pid()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    t.wait_gone();
    // The start form's answers were remembered when it was sent, so the
    // kill did not lose them.
    let last = std::fs::read_to_string(t.home.join("config/last-session.toml"))
        .expect("last-session.toml written at the start, before the kill");
    for answer in ["Smoke test", "Alice", "Incident lead"] {
        assert!(last.contains(answer), "{answer}: {last}");
    }

    t.start(&demo.library, &demo.identity, "run");
    t.wait_for("resume it?");
    t.wait_for("Smoke test");
    t.keys(&["y"]);
    t.wait_for("session resumed");
    let screen = t.screen();
    assert!(
        screen.contains("Isolate affected devices  [todo]"),
        "{screen}"
    );
    t.quit_response();

    let entries = demo.entries();
    let after = ResponseState::fold(&entries);
    assert_eq!(after.runbooks, before.runbooks);
    assert_eq!(after.sessions.interrupted, 1);
    assert_eq!(
        kinds(&entries)[before.entries as usize..],
        ["session_started", "session_ended"]
    );
    demo.verify();
}

#[test]
fn without_a_terminal_the_interface_says_so() {
    let demo = demo("notty");
    let out = run(grabbag(demo.tmux.home.as_path())
        .env("GRABBAG_LIBRARY", &demo.library)
        .env("GRABBAG_IDENTITY", &demo.identity)
        .stdin(std::process::Stdio::null()));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("needs a terminal"), "{}", out.stderr);
    assert!(!demo.library.join("journals").exists());
}

#[test]
fn tmux_review_shows_a_worked_response_read_only() {
    if !have("tmux", "tmux_review_shows_a_worked_response_read_only") {
        return;
    }
    let demo = demo("review");
    let t = &demo.tmux;
    t.start(&demo.library, &demo.identity, "run");
    demo.start_ransomware();
    t.done_anyway();
    t.wait_for("done: Confirm the signs");
    t.quit_response();
    let journal = demo.journal();
    let before = std::fs::read(&journal).expect("journal");
    t.start(
        &demo.library,
        &demo.identity,
        &format!("review '{}'", journal.display()),
    );
    t.wait_for("VERIFIED");
    t.wait_for("Encrypted at rest");
    t.wait_for("done: Confirm the signs");
    t.keys(&["d"]);
    t.wait_for("0/5 entries");
    t.keys(&["x", "Tab"]);
    t.wait_for("same as HEAD");
    t.keys(&["q"]);
    t.wait_gone();
    assert_eq!(
        std::fs::read(&journal).expect("journal"),
        before,
        "review wrote nothing"
    );
}

/// Issue 15 item 4: a key the run screen's table does not list does nothing
/// but say so, on the real binary in a real terminal, and `?` shows the keys
/// the table does list.
#[test]
fn tmux_a_key_the_screen_does_not_use_does_nothing_but_say_so() {
    if !have(
        "tmux",
        "tmux_a_key_the_screen_does_not_use_does_nothing_but_say_so",
    ) {
        return;
    }
    let demo = demo("unbound");
    let t = &demo.tmux;
    t.start(&demo.library, &demo.identity, "run");
    demo.start_ransomware();
    let journal = demo.journal();
    let before = std::fs::read(&journal).expect("journal");
    t.keys(&["x"]);
    t.wait_for("x is not a key here: ? lists the keys");
    t.keys(&["F5"]);
    t.wait_for("F5 is not a key here");
    assert_eq!(
        std::fs::read(&journal).expect("journal"),
        before,
        "a key the screen does not use journaled something"
    );
    t.keys(&["?"]);
    t.wait_for("quit (the journal records the end of the session)");
    // Any key closes the help, and only closes it.
    t.keys(&["d"]);
    t.wait_for("? keys g go d done");
    assert!(
        !t.screen().contains("Keys (any key closes)"),
        "{}",
        t.screen()
    );
    assert_eq!(
        std::fs::read(&journal).expect("journal"),
        before,
        "the key that closed the help did more"
    );
    t.quit_response();
}

#[test]
fn tmux_a_panic_restores_the_terminal() {
    if !have("tmux", "tmux_a_panic_restores_the_terminal") {
        return;
    }
    // The panic is compiled into debug builds only.
    if !cfg!(debug_assertions) {
        eprintln!("SKIPPED tmux_a_panic_restores_the_terminal: a release build has no test panic");
        return;
    }
    let demo = demo("panic");
    let t = &demo.tmux;
    let after = t.home.join("after-panic.txt");
    // The shell stays after grabbag, to report the terminal it was left.
    t.start_shell(
        &demo.library,
        &demo.identity,
        &format!(
            "GRABBAG_TEST_PANIC=1 \"$GRABBAG\" run; echo \"exit $?\"; stty -a > '{}.tmp'; mv '{0}.tmp' '{0}'; sleep 600",
            after.display()
        ),
    );
    t.wait_for("deliberate panic");
    let start = Instant::now();
    while !after.exists() {
        assert!(start.elapsed() < Duration::from_secs(30), "{}", t.screen());
        std::thread::sleep(Duration::from_millis(50));
    }
    let screen = t.screen();
    // The panic's report is on the normal screen, the library screen gone.
    assert!(screen.contains("exit 101"), "{screen}");
    assert!(!screen.contains("type to search"), "{screen}");
    let out = t
        .command()
        .args([
            "display-message",
            "-p",
            "-t",
            "g",
            "#{alternate_on} #{cursor_flag}",
        ])
        .output()
        .expect("tmux runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "0 1",
        "alternate screen off, cursor shown"
    );
    // Raw mode is off: the line discipline echoes and edits lines again.
    let stty = std::fs::read_to_string(&after).expect("stty output");
    let flags: Vec<&str> = stty.split_whitespace().collect();
    for flag in ["icanon", "echo", "isig"] {
        assert!(flags.contains(&flag), "{flag} not set: {stty}");
    }
}

#[test]
fn tmux_with_the_wrong_identity_the_screen_says_why_and_the_exit_status_is_1() {
    if !have(
        "tmux",
        "tmux_with_the_wrong_identity_the_screen_says_why_and_the_exit_status_is_1",
    ) {
        return;
    }
    let demo = demo("wrong-identity");
    let t = &demo.tmux;
    let other = t.home.join("other-identity.txt");
    let made = run(grabbag(&t.home).args(["keygen", "-o"]).arg(&other));
    assert_eq!(made.code, 0, "{}", made.stderr);
    let after = t.home.join("after.txt");
    t.start_shell(
        &demo.library,
        &other,
        &format!(
            "\"$GRABBAG\" run 2> '{0}.err'; echo \"exit $?\" > '{0}.tmp'; mv '{0}.tmp' '{0}'; sleep 600",
            after.display()
        ),
    );
    t.wait_for("no runbook could be loaded: why below");
    let screen = t.screen();
    for said in [
        "23 files: cannot decrypt",
        "no identity can decrypt this file",
        "cyber/ransomware.toml.age",
    ] {
        assert!(screen.contains(said), "{said:?} in\n{screen}");
    }
    t.keys(&["Escape"]);
    let start = Instant::now();
    while !after.exists() {
        assert!(start.elapsed() < Duration::from_secs(30), "{}", t.screen());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(std::fs::read_to_string(&after).unwrap().trim(), "exit 1");
    let err = std::fs::read_to_string(after.with_extension("txt.err")).unwrap();
    assert_eq!(
        err.matches("did not load").count(),
        1,
        "said once for its cause: {err}"
    );
    assert!(
        err.contains("warning: 23 files did not load: cannot decrypt"),
        "{err}"
    );
}

#[test]
fn tmux_a_typed_id_starts_that_runbook_and_leaving_prints_the_witness_code() {
    if !have(
        "tmux",
        "tmux_a_typed_id_starts_that_runbook_and_leaving_prints_the_witness_code",
    ) {
        return;
    }
    let demo = demo("search");
    let t = &demo.tmux;
    t.start_shell(
        &demo.library,
        &demo.identity,
        "\"$GRABBAG\" run; echo \"exit $?\"; sleep 600",
    );
    t.wait_for("type to search");
    // An id once opened a cyber runbook: every runbook matches through its
    // summary, and the list was sorted by kind first.
    t.text("payments");
    t.wait_for("search: payments");
    t.keys(&["Enter"]);
    t.wait_for("Start a response");
    let form = t.screen();
    assert!(form.contains("Runbook: Paying suppliers"), "{form}");
    assert!(form.contains("continuity/payments"), "{form}");
    t.text("Payroll run");
    t.keys(&["Enter"]);
    t.text("Alice");
    t.keys(&["Enter"]);
    t.text("Finance lead");
    t.keys(&["Enter"]);
    t.wait_for("opened runbook: Paying suppliers");
    let code = t.quit_response_to_shell();
    t.wait_for("exit 0");
    let screen = t.screen();
    assert!(
        screen.contains(&format!(
            "Closing witness code {code}: write it on the paper log"
        )),
        "{screen}"
    );
    assert!(screen.contains("journals/"), "{screen}");
}
