//! The after-action report of an exercise run, as Markdown or as one
//! self-contained HTML page (`grabbag exercise report --format md|html`).
//!
//! Both formats render one document model built here from
//! [`AfterActionReport`] ([`sections`]): every fact is worded once, as raw
//! text, and each renderer only escapes and lays it out, so the Markdown and
//! the HTML cannot say different things. Text from runbooks, injects, notes
//! and lessons is untrusted: the Markdown goes through
//! [`super::markdown::escape`] (no links, images, emphasis or raw HTML; a
//! leading list or heading marker is escaped too, since report lines start
//! with untrusted text here), the HTML through [`super::html`]'s escaping and
//! page scaffolding (inline CSS, print stylesheet, no script).

use std::fmt::Write as _;

use super::html;
use super::markdown;
use crate::exercise::aar::{AfterActionReport, Moment, minutes, percent, t_plus};
use crate::exercise::score::Outcome;

/// One line of a list, with a verdict when it states one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The text, raw.
    pub text: String,
    /// `Some(true)` for a good verdict, `Some(false)` for a bad one.
    pub ok: Option<bool>,
}

/// A piece of a section, its text raw (each renderer escapes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A paragraph.
    Para(String),
    /// A bulleted list.
    List(Vec<Item>),
    /// A table: column heads and rows of cells.
    Table(&'static [&'static str], Vec<Vec<String>>),
    /// A sub-heading.
    Sub(&'static str),
}

/// A titled section of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Heading.
    pub title: &'static str,
    /// Content, in order.
    pub blocks: Vec<Block>,
}

const OBJECTIVE_HEAD: [&str; 6] = ["Objective", "Score", "Met", "Late", "Partial", "Missed"];
const VERSION_HEAD: [&str; 6] = ["Runbook", "Title", "Commit", "Blob", "Trust", "Seq"];
const INJECT_HEAD: [&str; 8] = [
    "Inject",
    "Delivered",
    "First action",
    "Expectation",
    "Outcome",
    "Evidence",
    "Time taken",
    "Allowed",
];
const ACTION_HEAD: [&str; 4] = ["Action", "Owner", "Due", "Seq"];

fn plain(lines: impl IntoIterator<Item = String>) -> Block {
    Block::List(
        lines
            .into_iter()
            .map(|text| Item { text, ok: None })
            .collect(),
    )
}

/// A list of moments, or "None recorded." when there is none.
fn moments(list: &[Moment]) -> Block {
    if list.is_empty() {
        return Block::Para("None recorded.".to_owned());
    }
    plain(list.iter().map(|m| {
        // The capacity first, so a facilitator's or observer's entry is
        // never read as a player's.
        let capacity = m
            .capacity
            .map(|c| format!("[{}] ", c.as_str()))
            .unwrap_or_default();
        format!(
            "{} (seq {}) {capacity}{}: {}",
            t_plus(m.ex_t),
            m.seq,
            m.who.as_deref().unwrap_or_default(),
            m.what
        )
    }))
}

/// The report's title line.
pub fn title(r: &AfterActionReport) -> String {
    format!("After-action report: {}", r.scope.title)
}

/// The line under the title: exercise, start, planned and played time.
fn summary(r: &AfterActionReport) -> String {
    let s = &r.scope;
    format!(
        "Exercise {}; started {}; planned {}, played to {}.",
        s.id,
        s.started_at
            .map_or_else(|| "(not recorded)".to_owned(), |t| t.to_rfc3339()),
        s.planned,
        t_plus(s.played_ms)
    )
}

fn integrity(r: &AfterActionReport) -> Section {
    let j = &r.journal;
    let mut items = vec![Item {
        text: format!(
            "Journal: {}, {} entries, {}{}",
            j.file,
            j.entries,
            if j.encrypted {
                "encrypted"
            } else {
                "plaintext"
            },
            j.witness
                .as_ref()
                .map(|w| format!(", head witness {w}"))
                .unwrap_or_default()
        ),
        ok: None,
    }];
    items.push(Item {
        text: if j.ok {
            "Hash chain: verified, no problem found".to_owned()
        } else {
            format!("Hash chain: FAILED ({} problems)", j.problems.len())
        },
        ok: Some(j.ok),
    });
    items.extend(j.problems.iter().map(|p| Item {
        text: format!("Problem: {p}"),
        ok: Some(false),
    }));
    let d = &r.definition;
    items.push(Item {
        text: if d.same {
            format!("Exercise definition: the one played (sha256 {})", d.scored)
        } else {
            format!(
                "Exercise definition: DIFFERS from the one played (played {}, scored against {})",
                d.played.as_deref().unwrap_or("not recorded"),
                d.scored
            )
        },
        ok: Some(d.same),
    });
    Section {
        title: "Integrity",
        blocks: vec![Block::List(items)],
    }
}

fn scope(r: &AfterActionReport) -> Section {
    let s = &r.scope;
    let mut blocks = vec![
        Block::Para(s.brief.clone()),
        plain(
            std::iter::once(format!("Audience: {}", s.audience)).chain(
                s.runbooks
                    .iter()
                    .map(|rb| format!("Runbook in scope: {rb}")),
            ),
        ),
    ];
    if !s.lessons_prompts.is_empty() {
        blocks.push(Block::Sub("Debrief prompts"));
        blocks.push(plain(s.lessons_prompts.iter().cloned()));
    }
    Section {
        title: "Scope",
        blocks,
    }
}

fn objectives(r: &AfterActionReport) -> Section {
    let rows = r
        .scores
        .objectives
        .iter()
        .map(|o| {
            let n = |outcome: Outcome| {
                o.counts
                    .iter()
                    .find(|(x, _)| *x == outcome)
                    .map_or(0, |(_, n)| *n)
                    .to_string()
            };
            vec![
                o.text.clone(),
                percent(o.total.percent),
                n(Outcome::Met),
                n(Outcome::Late),
                n(Outcome::Partial),
                n(Outcome::Missed),
            ]
        })
        .collect();
    let overall = &r.scores.overall;
    Section {
        title: "Objectives",
        blocks: vec![
            Block::Table(&OBJECTIVE_HEAD, rows),
            Block::Para(format!(
                "Overall: {} ({} of {} points).",
                overall
                    .percent
                    .map_or_else(|| "not scorable".to_owned(), |p| format!("{p}%")),
                overall.earned_halves as f64 / 2.0,
                overall.possible_halves as f64 / 2.0
            )),
        ],
    }
}

fn participants(r: &AfterActionReport) -> Section {
    Section {
        title: "Participants",
        blocks: vec![
            plain(r.participants.iter().map(|p| {
                format!(
                    "{} ({}){}",
                    p.role,
                    p.kind.as_str(),
                    p.who
                        .as_deref()
                        .map(|w| format!(": {w}"))
                        .unwrap_or_default()
                )
            })),
            Block::Para("Signed in, or seen in the journal:".to_owned()),
            plain(r.people.iter().map(|p| {
                let team = p
                    .team
                    .as_deref()
                    .map(|t| format!(", team {t}"))
                    .unwrap_or_default();
                let how = if p.signed_in {
                    "signed in as"
                } else {
                    "not signed in; acted as"
                };
                format!(
                    "{} ({}{team}): {how} {}",
                    p.name,
                    p.role,
                    p.capacity.as_str()
                )
            })),
        ],
    }
}

/// Each outcome with the entry it rests on: who, in which capacity, what.
fn evidence(r: &AfterActionReport) -> Section {
    let lines: Vec<String> = r
        .evidence
        .iter()
        .map(|e| {
            let entry = e.entry.as_ref().map_or_else(
                || {
                    match e.outcome {
                        Outcome::Missed => "nothing in the journal met it in time",
                        Outcome::Unscored => "not scored yet by the facilitator",
                        _ => "no entry cited",
                    }
                    .to_owned()
                },
                |m| {
                    let capacity = m
                        .capacity
                        .map(|c| format!("[{}] ", c.as_str()))
                        .unwrap_or_default();
                    format!(
                        "seq {} {capacity}{}: {}",
                        m.seq,
                        m.who.as_deref().unwrap_or("(no one recorded)"),
                        m.what
                    )
                },
            );
            let comment = e
                .comment
                .as_deref()
                .map(|c| format!("; the facilitator: {c}"))
                .unwrap_or_default();
            format!(
                "{}/{} {}: {entry}{comment}",
                e.inject,
                e.expectation,
                e.outcome.as_str()
            )
        })
        .collect();
    Section {
        title: "Evidence for each outcome",
        blocks: vec![if lines.is_empty() {
            Block::Para("None recorded.".to_owned())
        } else {
            plain(lines)
        }],
    }
}

/// What the facilitator was to watch for, ask and expect, inject by inject:
/// the yardstick the observations and scores were read against.
fn aids(r: &AfterActionReport) -> Section {
    let mut blocks = Vec::new();
    for a in &r.aids {
        let mut lines = Vec::new();
        if !a.delivered {
            lines.push("Not delivered in this run.".to_owned());
        }
        lines.extend(a.aids.watch.iter().map(|w| format!("Watch for: {w}")));
        lines.extend(a.aids.questions.iter().map(|q| format!("Ask: {q}")));
        lines.extend(a.aids.good.iter().map(|g| format!("Good looks like: {g}")));
        blocks.push(Block::Para(format!("Inject {}", a.inject)));
        blocks.push(plain(lines));
    }
    if blocks.is_empty() {
        blocks.push(Block::Para("None in the exercise.".to_owned()));
    }
    Section {
        title: "Facilitator aids",
        blocks,
    }
}

fn versions(r: &AfterActionReport) -> Section {
    let rows = r
        .runbook_versions
        .iter()
        .map(|v| {
            vec![
                v.id.clone(),
                v.title.clone(),
                v.commit.clone().unwrap_or_else(|| "–".to_owned()),
                v.blob.clone().unwrap_or_else(|| "–".to_owned()),
                format!("{}{}", v.trust, if v.dirty { " (DIRTY)" } else { "" }),
                v.seq.to_string(),
            ]
        })
        .collect();
    Section {
        title: "Runbook versions used",
        blocks: vec![Block::Table(&VERSION_HEAD, rows)],
    }
}

fn scores(r: &AfterActionReport) -> Section {
    let mut rows = Vec::new();
    for i in &r.scores.injects {
        for (n, e) in i.expectations.iter().enumerate() {
            // The inject's own cells only on its first row, like a report
            // on paper.
            let (inject, delivered, first) = if n == 0 {
                (
                    i.id.clone(),
                    i.delivered_at
                        .map_or_else(|| "not delivered".to_owned(), t_plus),
                    match i.first_action_seq {
                        Some(seq) => format!("{} (seq {seq})", minutes(i.first_action_ms)),
                        None => minutes(None),
                    },
                )
            } else {
                Default::default()
            };
            rows.push(vec![
                inject,
                delivered,
                first,
                if e.description.is_empty() {
                    e.id.clone()
                } else {
                    e.description.clone()
                },
                format!(
                    "{}{}",
                    e.outcome.as_str(),
                    if e.by_facilitator {
                        " (facilitator)"
                    } else {
                        ""
                    }
                ),
                e.evidence
                    .map_or_else(|| "–".to_owned(), |s| format!("seq {s}")),
                minutes(e.elapsed_ms),
                minutes(e.within_ms),
            ]);
        }
    }
    let mut blocks = vec![Block::Table(&INJECT_HEAD, rows)];
    if r.scores.unscripted_injects > 0 {
        blocks.push(Block::Para(format!(
            "{} unscripted inject(s) were added during play.",
            r.scores.unscripted_injects
        )));
    }
    Section {
        title: SCORES_TITLE,
        blocks,
    }
}

fn recommendations(r: &AfterActionReport) -> Section {
    let rows = r
        .recommendations
        .iter()
        .map(|a| {
            vec![
                a.text.clone(),
                a.owner.clone().unwrap_or_else(|| "NO OWNER".to_owned()),
                a.due.clone().unwrap_or_else(|| "–".to_owned()),
                a.seq.to_string(),
            ]
        })
        .collect();
    Section {
        title: "Recommendations",
        blocks: vec![Block::Table(&ACTION_HEAD, rows)],
    }
}

/// The report as sections, in reading order.
pub fn sections(r: &AfterActionReport) -> Vec<Section> {
    let mut out = Vec::new();
    // First, before any score is read as proof.
    if !r.anomalies.is_empty() {
        out.push(Section {
            title: "Warnings: this run has anomalies, its scores may be wrong",
            blocks: vec![plain(r.anomalies.iter().cloned())],
        });
    }
    out.extend([
        integrity(r),
        scope(r),
        objectives(r),
        participants(r),
        versions(r),
        scores(r),
    ]);
    // Only a run that kept a register says so.
    if r.cases.cases > 0 {
        out.push(Section {
            title: "Cases",
            blocks: vec![Block::Para(format!(
                "{} cases on the registers; {} missed a deadline; {} not yet keyed back.",
                r.cases.cases, r.cases.missed, r.cases.not_keyed
            ))],
        });
    }
    out.extend([
        Section {
            title: "Timeline",
            blocks: vec![moments(&r.timeline)],
        },
        Section {
            title: "Observations",
            blocks: vec![moments(&r.observations)],
        },
        evidence(r),
        aids(r),
        Section {
            title: "Lessons learned",
            blocks: vec![
                Block::Sub("Went well"),
                moments(&r.went_well),
                Block::Sub("Did not go well"),
                moments(&r.did_not_go_well),
            ],
        },
        recommendations(r),
    ]);
    // Beside this run's scores, the runs before it.
    if !r.trend.is_empty()
        && let Some(at) = out.iter().position(|s| s.title == SCORES_TITLE)
    {
        out.insert(at + 1, trend(r));
    }
    out
}

/// Scores of every recorded run of the exercise, oldest to newest, by
/// runbook and by objective (the audit's tables, for this exercise only).
fn trend(r: &AfterActionReport) -> Section {
    let runs = r
        .trend
        .iter()
        .map(|run| {
            vec![
                run.started
                    .map_or_else(|| "undated".to_owned(), |t| t.date_naive().to_string()),
                if run.this_run {
                    format!("{} (this run)", run.file)
                } else {
                    run.file.clone()
                },
                crate::exercise::trend::percent(run.overall),
            ]
        })
        .collect();
    let mut blocks = vec![Block::Table(&TREND_RUN_HEAD, runs)];
    for (what, rows) in crate::exercise::trend::tables(&r.trend) {
        blocks.push(Block::Sub(match what {
            "by runbook" => "By runbook",
            _ => "By objective",
        }));
        blocks.push(Block::Table(&crate::exercise::trend::HEAD, rows));
    }
    Section {
        title: "Trend: every recorded run of this exercise, oldest to newest",
        blocks,
    }
}

/// The scores section's heading: the trend follows it.
const SCORES_TITLE: &str = "Scores by inject";

const TREND_RUN_HEAD: [&str; 3] = ["Run", "Journal", "Overall"];

/// Untrusted text that starts a Markdown line: escaped, and a leading list,
/// heading or block-quote marker made literal.
fn md_line(text: &str) -> String {
    let e = markdown::escape(text);
    let digits = e.chars().take_while(char::is_ascii_digit).count();
    let marker = e.starts_with(['-', '+', '=', '#', '>'])
        || (digits > 0 && e[digits..].starts_with(['.', ')']));
    match (marker, digits) {
        (true, 0) => format!("\\{e}"),
        (true, d) => format!("{}\\{}", &e[..d], &e[d..]),
        _ => e,
    }
}

/// The report as Markdown.
pub fn markdown(r: &AfterActionReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {}\n\n{}\n",
        md_line(&title(r)),
        md_line(&summary(r))
    );
    for s in sections(r) {
        let _ = writeln!(out, "## {}\n", s.title);
        for b in &s.blocks {
            match b {
                Block::Para(text) => {
                    let _ = writeln!(out, "{}\n", md_line(text));
                }
                Block::List(items) => {
                    for i in items {
                        let _ = writeln!(out, "- {}", md_line(&i.text));
                    }
                    out.push('\n');
                }
                Block::Table(head, rows) => {
                    markdown::table(&mut out, head, rows);
                    out.push('\n');
                }
                Block::Sub(title) => {
                    let _ = writeln!(out, "### {title}\n");
                }
            }
        }
    }
    // One final newline, not a blank line.
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The report as one self-contained HTML page (inline CSS, print stylesheet
/// for A4, no script).
pub fn html(r: &AfterActionReport) -> String {
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h1>{}</h1>\n<p class=\"muted\">{}</p>",
        html::escape(&title(r)),
        html::escape(&summary(r))
    );
    for s in sections(r) {
        let _ = writeln!(body, "<section>\n<h2>{}</h2>", s.title);
        for b in &s.blocks {
            match b {
                Block::Para(text) => {
                    let _ = writeln!(body, "<p>{}</p>", html::escape_lines(text));
                }
                Block::List(items) => {
                    body.push_str("<ul>\n");
                    for i in items {
                        let class = match i.ok {
                            Some(true) => " class=\"ok\"",
                            Some(false) => " class=\"bad\"",
                            None => "",
                        };
                        let _ = writeln!(body, "<li{class}>{}</li>", html::escape_lines(&i.text));
                    }
                    body.push_str("</ul>\n");
                }
                Block::Table(head, rows) => html::table(&mut body, head, rows),
                Block::Sub(title) => {
                    let _ = writeln!(body, "<h3>{title}</h3>");
                }
            }
        }
        body.push_str("</section>\n");
    }
    html::document(&title(r), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_of_hostile_text_cannot_become_markdown_or_html() {
        let e = md_line("![x](http://evil) <script>| # \u{1b}[2J\nnext");
        assert!(e.starts_with("!\\[x\\](http"), "{e}");
        assert!(e.contains("&lt;script&gt;\\|"), "{e}");
        assert!(!e.contains('\u{1b}'));
        assert!(!e.contains('\n'));
        assert_eq!(md_line("- not a list"), "\\- not a list");
        assert_eq!(md_line("# not a heading"), "\\# not a heading");
        assert_eq!(
            md_line("12. not a list, 3.5 stays"),
            "12\\. not a list, 3.5 stays"
        );
        assert_eq!(md_line("2026 stays"), "2026 stays");
    }
}
