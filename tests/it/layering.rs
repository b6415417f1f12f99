//! The core never imports a front end: DESIGN.md's dependency direction,
//! held by reading the sources (one crate, so the compiler cannot).

use std::path::{Path, PathBuf};

/// Core modules, and what each must never import besides `tui` and `cli`.
const CORE: &[(&str, &[&str])] = &[
    ("runbook", &["crypto", "library", "journal", "signing"]),
    ("calendar", &["runbook", "library", "journal", "response"]),
    ("crypto", &["library", "journal"]),
    ("signing", &["library", "journal"]),
    ("library", &[]),
    ("journal", &["library"]),
    ("response", &["library"]),
    ("session", &[]),
    ("exercise", &[]),
    ("report", &[]),
    ("lessons", &[]),
    ("cacao", &[]),
    ("board", &["library"]),
];

fn sources(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for entry in entries {
            sources(&entry, out);
        }
    } else if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_owned());
    }
}

#[test]
fn core_modules_import_no_front_end() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut broken = Vec::new();
    for (module, also) in CORE {
        let mut files = Vec::new();
        let dir = src.join(module);
        sources(&dir, &mut files);
        sources(&src.join(format!("{module}.rs")), &mut files);
        assert!(!files.is_empty(), "no sources for core module {module}");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for banned in ["tui", "cli"].iter().chain(also.iter()) {
                let path = format!("crate::{banned}");
                if text.lines().any(|l| {
                    let l = l.trim_start();
                    !l.starts_with("//")
                        && (l.contains(&format!("{path}::"))
                            || l.contains(&format!("{path};"))
                            || l.contains(&format!("{path}::{{")))
                }) {
                    broken.push(format!("{} imports {path}", file.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
