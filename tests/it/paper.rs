//! Paper: every HTML output of the sample library printed on A4 by a real
//! browser (headless Chromium), then read back from the PDF with poppler's
//! `pdftotext` and `pdfinfo`. Chromium clips whatever is wider than the
//! page, and pdftotext does not report clipped text, so a value that is in
//! the HTML but not in the PDF text was cut off the paper.
//!
//! The cell values are compared with the PDF's text in drawing order
//! (`pdftotext -raw`, which keeps a wrapped cell's lines together, where
//! `-layout` interleaves the lines of neighbouring cells) with all
//! whitespace removed, so a value wrapped over several lines still matches;
//! phone numbers are looked for on one line of the `-layout` text, since a
//! number broken over two lines is one nobody can dial.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::Demo;
use crate::harness::{have, run};

/// The test's name, for the skip messages.
const TEST: &str = "every_html_output_of_the_samples_prints_on_a4_with_nothing_cut";

/// A4 in PostScript points, as pdfinfo prints it.
const A4: &str = "594.96 x 841.92 pts (A4)";

/// Text with every whitespace character removed.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Runs a tool and returns its stdout, failing the test with its stderr.
fn tool(cmd: &mut Command) -> String {
    let out = cmd.output().expect("the tool starts");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Prints `html` to a PDF beside it with headless Chromium.
fn print_pdf(html: &Path, profile: &Path) -> PathBuf {
    let pdf = html.with_extension("pdf");
    tool(
        Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-pdf-header-footer",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--print-to-pdf={}", pdf.display()))
            .arg(html),
    );
    pdf
}

/// The text of every element `selector` picks, whitespace as in the source.
fn texts(doc: &scraper::Html, selector: &str) -> Vec<String> {
    let selector = scraper::Selector::parse(selector).expect("selector");
    doc.select(&selector)
        .map(|e| e.text().collect::<String>())
        .filter(|t| !t.trim().is_empty())
        .collect()
}

/// Checks one printed output; returns how many values and how many phone
/// numbers it found on paper.
fn check_printed(html: &Path, profile: &Path) -> (usize, usize) {
    let name = html.display();
    let source = std::fs::read_to_string(html).expect("the HTML was written");
    let pdf = print_pdf(html, profile);

    let info = tool(Command::new("pdfinfo").arg(&pdf));
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo names the page count");
    let sizes = tool(
        Command::new("pdfinfo")
            .args(["-f", "1", "-l", &pages.to_string()])
            .arg(&pdf),
    );
    let sizes: Vec<&str> = sizes
        .lines()
        .filter(|l| l.starts_with("Page ") && l.contains(" size: "))
        .collect();
    assert_eq!(sizes.len(), pages, "{name}: a size for every page");
    for size in sizes {
        assert!(size.ends_with(A4), "{name}: not A4 portrait: {size}");
    }

    let raw = squeezed(&tool(
        Command::new("pdftotext").arg("-raw").arg(&pdf).arg("-"),
    ));
    let layout = tool(Command::new("pdftotext").arg("-layout").arg(&pdf).arg("-"));
    let doc = scraper::Html::parse_document(&source);
    let mut found = 0;
    for value in texts(&doc, "th")
        .into_iter()
        .chain(texts(&doc, "td"))
        .chain(texts(&doc, "div.step h3"))
    {
        assert!(
            raw.contains(&squeezed(&value)),
            "{name}: {value:?} is in the HTML but not on paper"
        );
        found += 1;
    }
    let lines: Vec<String> = layout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let phones = texts(&doc, "span.tel");
    for phone in &phones {
        let phone = phone.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            lines.iter().any(|l| l.contains(&phone)),
            "{name}: the phone number {phone:?} is not on one line on paper"
        );
    }
    // The running header: the document's title on every page.
    let title = texts(&doc, "title").concat();
    let headed = layout
        .split('\u{c}')
        .filter(|page| !page.trim().is_empty())
        .filter(|page| page.contains(title.trim()))
        .count();
    assert_eq!(
        headed, pages,
        "{name}: the title {title:?} is not on every page"
    );
    assert!(
        layout.contains(&format!("Page {pages} of {pages}")),
        "{name}: no page numbers"
    );
    (found, phones.len())
}

/// The printed audit: its first page answers the strategy's two questions
/// (objective D starts on a page of its own after them), and every
/// evidence and gap item (list items, not table cells) is on paper.
fn audit_pages(html: &Path) {
    let pdf = html.with_extension("pdf");
    let first = tool(
        Command::new("pdftotext")
            .args(["-layout", "-f", "1", "-l", "1"])
            .arg(&pdf)
            .arg("-"),
    );
    let first = first.split_whitespace().collect::<Vec<_>>().join(" ");
    for words in [
        "The strategy's two questions",
        "What are the response, recovery and continuity plans for cyber incidents?",
        "How would the council deliver services if, following a cyber incident, it had no access to IT?",
    ] {
        assert!(
            first.contains(words),
            "audit page 1 lacks {words:?}: {first}"
        );
    }
    assert!(!first.contains("NCSC CAF objective D"), "{first}");
    let raw = squeezed(&tool(
        Command::new("pdftotext").arg("-raw").arg(&pdf).arg("-"),
    ));
    assert!(raw.contains(&squeezed("NCSC CAF objective D")));
    let source = std::fs::read_to_string(html).expect("the audit was written");
    let items = texts(&scraper::Html::parse_document(&source), "li");
    assert!(items.len() > 10, "only {} evidence items", items.len());
    for item in items {
        assert!(
            raw.contains(&squeezed(&item)),
            "audit: {item:?} is in the HTML but not on paper"
        );
    }
}

/// Every page of a PDF rendered in grey at 72 dpi (one pixel per point):
/// (width, height, pixels), read from pdftoppm's PGM files.
fn grey_pages(pdf: &Path) -> Vec<(usize, usize, Vec<u8>)> {
    let prefix = pdf.with_extension("grey");
    tool(
        Command::new("pdftoppm")
            .args(["-gray", "-r", "72"])
            .arg(pdf)
            .arg(&prefix),
    );
    let dir = pdf.parent().expect("a folder");
    let stem = prefix
        .file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "pgm")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&stem))
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| {
            let bytes = std::fs::read(file).expect("a PGM");
            // "P5\nW H\n255\n" then one byte per pixel.
            let mut fields = Vec::new();
            let mut at = 0;
            while fields.len() < 4 {
                let end = at
                    + bytes[at..]
                        .iter()
                        .position(|b| b.is_ascii_whitespace())
                        .expect("PGM header");
                fields.push(String::from_utf8_lossy(&bytes[at..end]).into_owned());
                at = end + 1;
            }
            let (w, h) = (
                fields[1].parse().expect("width"),
                fields[2].parse().expect("height"),
            );
            (w, h, bytes[at..].to_vec())
        })
        .collect()
}

/// Every table reaches across the page with both borders drawn: on each
/// page with ruled lines (a vertical run of 40 or more dark pixels), the
/// rightmost line is as far from the right edge as the leftmost is from the
/// left. Chromium clips what lies past the page's margin, so a border half
/// outside it was silently not printed.
fn right_borders_on_paper(name: &str, pdf: &Path) -> usize {
    let mut ruled = 0;
    for (n, (w, h, pixels)) in grey_pages(pdf).iter().enumerate() {
        let long_run = |x: usize| {
            let (mut run, mut best) = (0, 0);
            for y in 0..*h {
                if pixels[y * w + x] < 232 {
                    run += 1;
                    best = best.max(run);
                } else {
                    run = 0;
                }
            }
            best >= 40
        };
        let lines: Vec<usize> = (0..*w).filter(|x| long_run(*x)).collect();
        let (Some(left), Some(right)) = (lines.first(), lines.last()) else {
            continue;
        };
        ruled += 1;
        assert!(
            right + left + 3 >= *w,
            "{name} page {}: the rightmost ruled line is at x={right} of {w}, the leftmost at x={left}: a right-hand border or column is cut off",
            n + 1
        );
    }
    ruled
}

/// Each runbook's pages in the pack name it at their head ("3 · Title"),
/// in the order of the contents, so a reader finds by leafing through what
/// the contents names by number.
fn pages_name_their_runbook(pack: &Path) {
    let source = std::fs::read_to_string(pack).expect("the pack was written");
    let doc = scraper::Html::parse_document(&source);
    let titles = texts(&doc, "section.runbook > h2");
    assert!(titles.len() > 10, "{titles:?}");
    let layout = tool(
        Command::new("pdftotext")
            .arg("-layout")
            .arg(pack.with_extension("pdf"))
            .arg("-"),
    );
    let mut seen = vec![0usize; titles.len()];
    let mut last = 0;
    for (p, page) in layout.split('\u{c}').enumerate().skip(1) {
        let Some(head) = page.lines().map(str::trim).find(|l| !l.is_empty()) else {
            continue;
        };
        let number: usize = head
            .split_once(" · ")
            .and_then(|(n, _)| n.parse().ok())
            .unwrap_or_else(|| panic!("page {}: no runbook number at its head: {head:?}", p + 1));
        assert!(
            number >= last,
            "page {}: runbook {number} after {last}",
            p + 1
        );
        let title = &titles[number - 1];
        let (_, words) = title.split_once(". ").expect("N. Title");
        assert_eq!(
            squeezed(head),
            squeezed(&format!("{number} · {words}")),
            "page {}: the head does not name runbook {title:?}",
            p + 1
        );
        seen[number - 1] += 1;
        last = number;
    }
    for (i, pages) in seen.iter().enumerate() {
        // The runbook, then its decision-log sheets: at least three pages.
        assert!(*pages >= 3, "runbook {}: only {pages} pages name it", i + 1);
    }
}

/// No column of a runbook's tables is printed empty, except the one left
/// blank to be written in ("Started at (time)").
fn no_empty_columns(pack: &Path) {
    let source = std::fs::read_to_string(pack).expect("the pack was written");
    let doc = scraper::Html::parse_document(&source);
    let tables = scraper::Selector::parse("section.runbook > table").expect("selector");
    let th = scraper::Selector::parse("th").expect("selector");
    let tr = scraper::Selector::parse("tbody tr").expect("selector");
    let td = scraper::Selector::parse("td").expect("selector");
    let mut checked = 0;
    for table in doc.select(&tables) {
        let head: Vec<String> = table.select(&th).map(|h| h.text().collect()).collect();
        for (i, name) in head.iter().enumerate() {
            if name == "Started at (time)" {
                continue;
            }
            let filled = table.select(&tr).any(|row| {
                row.select(&td)
                    .nth(i)
                    .is_some_and(|cell| !cell.text().collect::<String>().trim().is_empty())
            });
            assert!(filled, "a {name:?} column with nothing in it");
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} columns checked");
}

/// A placeholder contact is marked wherever it is named (the contacts table
/// and each step's "Call:" line), and only once.
fn placeholders_marked_once(pack: &Path) {
    let source = std::fs::read_to_string(pack).expect("the pack was written");
    let doc = scraper::Html::parse_document(&source);
    let calls: Vec<String> = texts(&doc, "p")
        .into_iter()
        .filter(|p| p.starts_with("Call: "))
        .collect();
    assert!(
        calls
            .iter()
            .any(|c| c.contains("(placeholder: replace before use)")),
        "no step's Call: line marks its placeholder contact"
    );
    for text in calls.iter().chain(&texts(&doc, "td")) {
        assert!(
            !text.contains("replace before use) (placeholder"),
            "a placeholder marked twice: {text}"
        );
    }
}

#[test]
fn every_html_output_of_the_samples_prints_on_a4_with_nothing_cut() {
    if !have("chromium", TEST)
        || !have("pdftotext", TEST)
        || !have("pdfinfo", TEST)
        || !have("pdftoppm", TEST)
    {
        return;
    }
    let demo = Demo::build();
    let out = demo.home.path().join("paper");
    std::fs::create_dir_all(&out).expect("mkdir");
    let profile = demo.home.path().join("chromium-profile");
    let journal = demo
        .library
        .join("exercises/runs/ransomware-friday.jsonl")
        .display()
        .to_string();
    let outputs: [(&str, Vec<&str>); 4] = [
        (
            "journal",
            vec!["journal", "export", &journal, "--format", "html"],
        ),
        (
            "aar",
            vec!["exercise", "report", &journal, "--format", "html"],
        ),
        ("audit", vec!["audit", "--html"]),
        ("pack", vec!["print", "--all", "--format", "html"]),
    ];
    for (name, args) in outputs {
        let html = out.join(format!("{name}.html"));
        let made = run(demo.grabbag().args(&args).arg("-o").arg(&html));
        // The audit exits 1 for its findings (never-exercised runbooks).
        assert!(made.code == 0 || made.code == 1, "{name}: {}", made.stderr);
        let (found, phones) = check_printed(&html, &profile);
        assert!(found > 10, "{name}: only {found} values checked");
        if name == "audit" {
            audit_pages(&html);
        }
        let ruled = right_borders_on_paper(name, &html.with_extension("pdf"));
        assert!(ruled > 0, "{name}: no page with a table");
        if name == "pack" {
            assert!(
                phones > 100,
                "the pack's phone numbers: only {phones} checked"
            );
            placeholders_marked_once(&html);
            pages_name_their_runbook(&html);
            no_empty_columns(&html);
        }
    }
}

/// Runbook ids and every contact's phone number, from `list --json`.
fn ids_and_phones(demo: &Demo) -> (Vec<String>, Vec<String>) {
    let out = run(demo.grabbag().args(["list", "--json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let list: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let runbooks = list["runbooks"].as_array().expect("runbooks");
    let ids = runbooks
        .iter()
        .filter_map(|r| r["runbook"]["id"].as_str().map(str::to_owned))
        .collect();
    let phones = runbooks
        .iter()
        .flat_map(|r| {
            r["runbook"]["contacts"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|c| c["phone"].as_str().map(str::to_owned))
        .collect();
    (ids, phones)
}

/// The first unbreakable piece of a line: its first word, with the digit
/// groups that follow it when it ends a number ("0161 496 0500").
fn first_unit(line: &str) -> usize {
    let mut words = line.split_whitespace();
    let Some(mut last) = words.next() else {
        return 0;
    };
    let mut len = last.chars().count();
    for word in words {
        let joined = last.ends_with(|c: char| c.is_ascii_digit())
            && word.starts_with(|c: char| c.is_ascii_digit());
        if !joined {
            break;
        }
        len += 1 + word.chars().count();
        last = word;
    }
    len
}

/// Whether a line starts a list item (`- `, `* `, `12. `).
fn starts_item(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("- ")
        || t.starts_with("* ")
        || t.split_once(". ")
            .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

#[test]
fn the_text_pack_and_show_set_prose_by_meaning_and_never_break_a_phone_number() {
    let demo = Demo::build();
    let (ids, phones) = ids_and_phones(&demo);
    assert!(ids.len() > 10 && phones.len() > 50, "{ids:?} {phones:?}");
    let pack = run(demo.grabbag().args(["print", "--all", "--format", "txt"]));
    assert_eq!(pack.code, 0, "{}", pack.stderr);
    for (n, line) in pack.stdout.lines().enumerate() {
        assert!(
            line.chars().count() <= 80,
            "text pack line {}: wider than 80 columns: {line:?}",
            n + 1
        );
    }
    assert!(pack.stdout.contains("(replace before use)"));
    assert!(
        !pack.stdout.contains("replace before use) (placeholder"),
        "a placeholder marked twice"
    );
    for (i, id) in ids.iter().enumerate() {
        let heading = format!("RUNBOOK {} OF {}", i + 1, ids.len());
        assert!(pack.stdout.contains(&heading), "{heading} for {id}");
    }
    // A number is never split over two lines: it is found as often in the
    // lines as in the text with its line breaks turned into spaces.
    let joined = pack
        .stdout
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    for phone in &phones {
        let whole: usize = pack
            .stdout
            .lines()
            .map(|l| l.matches(phone.as_str()).count())
            .sum();
        assert_eq!(
            whole,
            joined.matches(phone.as_str()).count(),
            "the phone number {phone:?} is broken over two lines"
        );
        assert!(whole > 0, "{phone:?} is in the pack");
    }
    // `show` sets each step's instructions as filled paragraphs: within a
    // paragraph a line ends only where the next word would not have fitted
    // (the TOML source's breaks left orphan words like "teams," alone).
    let mut checked = 0;
    for id in &ids {
        let out = run(demo.grabbag().args(["show", id]));
        assert_eq!(out.code, 0, "{id}: {}", out.stderr);
        let lines: Vec<&str> = out.stdout.lines().collect();
        for pair in lines.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            assert!(a.chars().count() <= 80, "{id}: {a:?} wider than 80 columns");
            // Instruction lines are indented by three spaces, and nothing
            // else there starts with a letter of prose.
            let prose = |l: &str| {
                l.starts_with("   ")
                    && !l.starts_with("    ")
                    && !["[ ]", "( )", "call:", "who:", "within:", "DECISION:", "→"]
                        .iter()
                        .any(|mark| l.trim_start().starts_with(mark))
            };
            if prose(a) && prose(b) && !starts_item(a) && !starts_item(b) {
                assert!(
                    a.chars().count() + 1 + first_unit(b) > 80,
                    "{id}: a line ends early, the source's line break kept:\n{a}\n{b}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "only {checked} line ends checked");
}

/// Issue 22: the sitrep from three responders' journals prints on A4 with
/// every table cell on paper, the title on every page and the tables' right
/// borders drawn.
#[test]
fn the_sitrep_prints_on_a4_with_nothing_cut() {
    const TEST: &str = "the_sitrep_prints_on_a4_with_nothing_cut";
    if !have("chromium", TEST)
        || !have("pdftotext", TEST)
        || !have("pdfinfo", TEST)
        || !have("pdftoppm", TEST)
    {
        return;
    }
    let demo = Demo::build();
    let journals = demo.library.join("journals");
    for (file, name, role, args) in [
        (
            "gold.jsonl",
            "Gita",
            "Strategic lead (Gold)",
            vec![
                "deadline",
                "Brief the chief executive and the leader of the council",
                "--after",
                "2h",
            ],
        ),
        (
            "silver.jsonl",
            "Sam",
            "Incident lead (Silver)",
            vec!["open", "cyber/ransomware"],
        ),
        (
            "silver.jsonl",
            "Sam",
            "Incident lead (Silver)",
            vec!["done", "confirm-and-declare"],
        ),
        (
            "bronze.jsonl",
            "Bo",
            "ICT engineer (Bronze)",
            vec!["open", "cyber/ransomware"],
        ),
        (
            "bronze.jsonl",
            "Bo",
            "ICT engineer (Bronze)",
            vec![
                "block",
                "isolate",
                "--reason",
                "waiting for the keys to the communications room on the second floor",
            ],
        ),
    ] {
        let made = run(demo
            .grabbag()
            .arg("act")
            .arg(journals.join(file))
            .args([
                "--incident",
                "Cyber outage",
                "--actor",
                name,
                "--role",
                role,
            ])
            .args(&args));
        assert_eq!(made.code, 0, "{}", made.stderr);
    }
    let out = demo.home.path().join("paper");
    std::fs::create_dir_all(&out).expect("mkdir");
    let html = out.join("sitrep.html");
    let made = run(demo
        .grabbag()
        .args(["sitrep", "--since", "1h", "--format", "html", "-o"])
        .arg(&html));
    assert_eq!(made.code, 0, "{}", made.stderr);
    let (found, _) = check_printed(&html, &demo.home.path().join("chromium-profile"));
    assert!(found > 30, "only {found} values checked");
    let ruled = right_borders_on_paper("sitrep", &html.with_extension("pdf"));
    assert!(ruled > 0, "no page with a table");
}
