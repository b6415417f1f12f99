//! No import circle between the modules of `src/tui/` (issue 15): each file
//! is a node, and `use super::x`, `super::x::...`, `crate::tui::x` (and, in
//! `mod.rs`, `x::...` for a child `x`) are its edges. A circle means two
//! screens that cannot be read, changed or tested apart.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The modules each module of the folder imports, by file stem (`mod` for
/// `mod.rs`). Comments are skipped; nested `mod tests` blocks count as their
/// file, which only adds edges, never hides one.
fn imports(files: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let names: BTreeSet<&str> = files.keys().map(String::as_str).collect();
    let mut graph = BTreeMap::new();
    for (name, text) in files {
        let mut to = BTreeSet::new();
        // An inline `mod tests { use super::*; }` names its own file.
        let own = text
            .lines()
            .map(str::trim_start)
            .take_while(|l| !(l.starts_with("mod tests {") || l.contains(" mod tests {")));
        for line in own {
            if line.starts_with("//") || line.starts_with("mod ") || line.starts_with("pub mod ") {
                continue;
            }
            let mut targets: Vec<String> = Vec::new();
            for prefix in ["super::", "crate::tui::"] {
                let mut rest = line;
                while let Some(at) = rest.find(prefix) {
                    rest = &rest[at + prefix.len()..];
                    if let Some(group) = rest.strip_prefix('{') {
                        let inside = group.split('}').next().unwrap_or("");
                        targets.extend(inside.split(',').map(|p| word(p.trim())));
                    } else {
                        targets.push(word(rest));
                    }
                }
            }
            if name == "mod" {
                targets.extend(
                    names
                        .iter()
                        .filter(|child| names_path(line, child))
                        .map(|c| (*c).to_owned()),
                );
            }
            for target in targets {
                if target == *name {
                    continue;
                }
                if names.contains(target.as_str()) {
                    to.insert(target);
                } else if name != "mod" && line.contains("super::") && !target.is_empty() {
                    // `super::Item`: something `mod.rs` itself defines.
                    to.insert("mod".to_owned());
                }
            }
        }
        graph.insert(name.clone(), to);
    }
    graph
}

/// Whether `line` has a path starting with `child::` (not `other_child::`).
fn names_path(line: &str, child: &str) -> bool {
    let needle = format!("{child}::");
    line.match_indices(&needle).any(|(at, _)| {
        !line[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
    })
}

fn word(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// A circle in `graph`, as the path round it, if there is one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut round = path[at..].to_vec();
            round.push(node.to_owned());
            return Some(round);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn tui_sources(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            files.insert(stem, std::fs::read_to_string(&path).unwrap());
        }
    }
    files
}

#[test]
fn the_tui_modules_import_each_other_in_one_direction() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui");
    let files = tui_sources(&dir);
    assert!(files.len() > 5, "no sources in {}", dir.display());
    let graph = imports(&files);
    // The reading is not vacuous: the screens are seen importing what they use.
    assert!(graph["app"].contains("dialog"), "{graph:?}");
    assert!(graph["mod"].contains("app"), "{graph:?}");
    if let Some(round) = circle(&graph) {
        panic!(
            "import circle in src/tui: {}\n{graph:#?}",
            round.join(" -> ")
        );
    }
}

/// The circle the screens had before they were split (app, dialog, exercise
/// and replay importing each other) is found by the same reading.
#[test]
fn the_reading_finds_a_circle_like_the_old_one() {
    let files: BTreeMap<String, String> = [
        ("mod", "pub mod app;\npub use app::App;\n"),
        ("app", "use super::dialog::{Dialog, list_cursor};\n"),
        ("dialog", "use super::{app::App, exercise};\n"),
        ("exercise", "use super::app::{Action, App};\n"),
        ("theme", "// use super::app::App; a comment\n"),
    ]
    .into_iter()
    .map(|(n, t)| (n.to_owned(), t.to_owned()))
    .collect();
    let graph = imports(&files);
    assert!(
        graph["theme"].is_empty(),
        "comments are not imports: {graph:?}"
    );
    let round = circle(&graph).expect("the circle is found");
    assert!(
        round.contains(&"app".to_owned()) && round.contains(&"dialog".to_owned()),
        "{round:?}"
    );
}
