//! `grabbag completions SHELL` and `grabbag man`, through the real binary:
//! every subcommand (nested ones included) is in what they produce.

use clap::CommandFactory as _;

use crate::harness::{grabbag, run};

/// Every subcommand path, e.g. `["journal", "verify"]`.
fn subcommands() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands() {
            let mut path = prefix.to_vec();
            path.push(sub.get_name().to_owned());
            walk(sub, &path, out);
            out.push(path);
        }
    }
    let mut out = Vec::new();
    walk(&grabbag::cli::Cli::command(), &[], &mut out);
    out
}

#[test]
fn completions_name_every_subcommand_in_every_shell() {
    let home = tempfile::tempdir().unwrap();
    let all = subcommands();
    assert!(all.len() > 15, "{all:?}");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run(grabbag(home.path()).args(["completions", shell]));
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        for path in &all {
            let name = path.last().unwrap();
            assert!(
                out.stdout.contains(name.as_str()),
                "{shell} completions lack `{}`",
                path.join(" ")
            );
        }
        // Flags are completed too.
        assert!(out.stdout.contains("require-signed"), "{shell}");
    }
    let bad = run(grabbag(home.path()).args(["completions", "tcsh"]));
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn man_page_lists_every_subcommand_and_pages_per_subcommand() {
    let home = tempfile::tempdir().unwrap();
    let out = run(grabbag(home.path()).arg("man"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with(".ie"), "roff: {}", &out.stdout[..40]);
    assert!(out.stdout.contains(".TH grabbag 1"), "{}", out.stdout);
    for path in subcommands().iter().filter(|p| p.len() == 1) {
        assert!(
            out.stdout.contains(&format!("grabbag\\-{}(1)", path[0])),
            "the main page does not list `{}`",
            path[0]
        );
    }
    let dir = home.path().join("man1");
    let out = run(grabbag(home.path()).arg("man").arg("-o").arg(&dir));
    assert_eq!(out.code, 0, "{}", out.stderr);
    for path in subcommands() {
        let page = dir.join(format!("grabbag-{}.1", path.join("-")));
        let text =
            std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        assert!(text.contains(".SH SYNOPSIS"), "{}", page.display());
    }
    assert!(dir.join("grabbag.1").is_file());
    // A link planted at a page's name is refused, never written through.
    #[cfg(unix)]
    {
        let precious = home.path().join("precious.txt");
        std::fs::write(&precious, "keep me").unwrap();
        std::fs::remove_file(dir.join("grabbag.1")).unwrap();
        std::os::unix::fs::symlink(&precious, dir.join("grabbag.1")).unwrap();
        let out = run(grabbag(home.path()).arg("man").arg("-o").arg(&dir));
        assert_eq!(out.code, 2, "{}", out.stdout);
        assert!(out.stderr.contains("is a symbolic link"), "{}", out.stderr);
        assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
    }
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    // `grabbag completions bash | head -c 10`: the bash script is larger than
    // a pipe's buffer, so printing fails once the reader has gone.
    use std::io::Read as _;
    let home = tempfile::tempdir().expect("temp dir");
    let mut child = grabbag(home.path())
        .args(["completions", "bash"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("grabbag starts");
    let mut first = [0u8; 10];
    child
        .stdout
        .take()
        .expect("stdout piped")
        .read_exact(&mut first)
        .expect("some output");
    let out = child.wait_with_output().expect("grabbag ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
