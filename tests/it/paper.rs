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
    if !have("chromium", TEST) || !have("pdftotext", TEST) || !have("pdfinfo", TEST) {
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
        if name == "pack" {
            assert!(
                phones > 100,
                "the pack's phone numbers: only {phones} checked"
            );
            placeholders_marked_once(&html);
        }
    }
}
