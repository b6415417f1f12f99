//! Markdown exports through a real GitHub Flavored Markdown renderer
//! (comrak, with GFM's table, strikethrough and autolink extensions): the
//! golden export and hostile notes render with no link and no HTML element
//! that came from the text.

use grabbag::report::markdown::escape;

/// `markdown` rendered as GitHub does (the extensions that can make links
/// or markup out of plain text), raw HTML kept so any that leaked shows.
fn gfm(markdown: &str) -> String {
    let mut options = comrak::Options::default();
    options.extension.autolink = true;
    options.extension.table = true;
    options.extension.strikethrough = true;
    options.render.r#unsafe = true;
    comrak::markdown_to_html(markdown, &options)
}

const HOSTILE: &[&str] = &[
    "https://x",
    "see https://evil.example/login now",
    "www.x.com",
    "WWW.X.COM and www.evil.example/path",
    "a@b.com",
    "mail dpo@council.example today",
    "mailto:a@b.com",
    "xmpp:a@b.com",
    "ftp://h/p",
    "<https://x>",
    "[x](https://x)",
    "![i](https://x/i.png)",
    "<a href=\"https://x\">x</a>",
];

#[test]
fn the_check_is_real_bare_urls_do_link_when_not_escaped() {
    for text in ["https://x", "www.x.com", "a@b.com"] {
        assert!(gfm(text).contains("<a "), "{text}: {}", gfm(text));
    }
}

#[test]
fn escaped_text_never_becomes_a_link_or_markup_in_gfm() {
    for text in HOSTILE {
        let html = gfm(&format!(
            "| a |\n|---|\n| {} |\n\nnote: {}\n",
            escape(text),
            escape(text)
        ));
        assert!(!html.contains("<a "), "{text}: {html}");
        assert!(!html.contains("<img"), "{text}: {html}");
    }
    // The text reads as written: every backslash is an escape GFM removes.
    assert!(
        gfm(&escape("see https://evil.example/login now"))
            .contains("see https://evil.example/login now")
    );
    assert!(
        gfm(&escape("mail dpo@council.example today")).contains("mail dpo@council.example today")
    );
}

#[test]
fn the_golden_markdown_export_renders_without_links() {
    let golden = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/exports/journal.md"),
    )
    .unwrap();
    let html = gfm(&golden);
    assert!(html.contains("<table>"), "{html}");
    assert!(!html.contains("<a "), "{html}");
    assert!(html.contains("ict-security@council.example"), "{html}");
}
