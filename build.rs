//! Embeds the sample runbooks and exercises, so `grabbag demo` works from the
//! binary alone, with no source tree beside it.

use std::fmt::Write as _;
use std::path::Path;

fn collect(dir: &Path, base: &Path, suffixes: &[&str], out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, base, suffixes, out);
        } else if path
            .file_name()
            .is_some_and(|n| suffixes.iter().any(|s| n.to_string_lossy().ends_with(s)))
        {
            let relative = path.strip_prefix(base).unwrap_or(&path);
            let name = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((name, path.display().to_string()));
        }
    }
}

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_owned());
    let mut code = String::new();
    for (konst, folder, suffixes) in [
        ("SAMPLE_RUNBOOKS", "runbooks", &[".toml"][..]),
        ("SAMPLE_EXERCISES", "exercises", &[".toml"][..]),
        (
            "SAMPLE_RUNS",
            "exercises/runs",
            &[".jsonl", ".baseline.json", "README.md"][..],
        ),
    ] {
        let base = Path::new(&root).join(folder);
        // A path that does not exist makes cargo rerun this script (and so
        // rebuild the crate) on every build: only watch folders that exist.
        if base.is_dir() {
            println!("cargo:rerun-if-changed={}", base.display());
        }
        let mut files = Vec::new();
        collect(&base, &base, suffixes, &mut files);
        files.sort();
        let _ = writeln!(code, "/// `{folder}/` as (relative path, text).");
        let _ = writeln!(code, "pub const {konst}: &[(&str, &str)] = &[");
        for (name, path) in &files {
            println!("cargo:rerun-if-changed={path}");
            let _ = writeln!(code, "    ({name:?}, include_str!({path:?})),");
        }
        let _ = writeln!(code, "];");
    }
    let out = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".to_owned());
    if let Err(e) = std::fs::write(Path::new(&out).join("samples.rs"), code) {
        panic!("cannot write samples.rs: {e}");
    }
}
