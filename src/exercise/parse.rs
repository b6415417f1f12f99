//! From TOML text to an [`Exercise`], with the span of every value.
//!
//! The same hand walk over toml's spanned tree as runbooks use
//! (`runbook::parse`), so an author gets every problem at once, each
//! at its line and column, with "did you mean" on misspelt keys. The model is
//! best effort: what is missing gets a neutral value and an error.

use super::{
    Aids, Exercise, Expectation, Expected, FORMAT_VERSION, Happening, Inject, Objective,
    Participant, ParticipantKind, Trigger,
};
use crate::diagnostic::{Diagnostic, Source};
use crate::runbook::Duration;
use crate::runbook::parse::{Cx, Spans, Table, walk};

const TOP_KEYS: &[&str] = &[
    "format",
    "id",
    "title",
    "brief",
    "audience",
    "duration",
    "runbooks",
    "lessons_prompts",
    "objectives",
    "participants",
    "teams",
    "injects",
];
const OBJECTIVE_KEYS: &[&str] = &["id", "text"];
const PARTICIPANT_KEYS: &[&str] = &["role", "kind", "who"];
const INJECT_KEYS: &[&str] = &[
    "id", "at", "after", "on", "runbook", "step", "option", "delay", "from", "channel", "text",
    "to", "expect", "aids",
];
/// The keys of an inject's facilitator aids.
const AIDS_KEYS: &[&str] = &["watch", "questions", "good"];
/// The keys of one alternative in an expectation's `or`.
const OR_KEYS: &[&str] = &["runbook", "step", "option"];
const EXPECT_KEYS: &[&str] = &[
    "id",
    "kind",
    "runbook",
    "step",
    "option",
    "or",
    "role",
    "contains",
    "description",
    "within",
    "weight",
    "objectives",
];

pub use crate::response::CHANNELS;

/// Parses `source` into a best-effort exercise, the spans of its values and
/// the problems found. `None` only when the text is not TOML at all.
pub(super) fn parse(
    source: &Source<'_>,
    default_id: &str,
) -> (Option<Exercise>, Spans, Vec<Diagnostic>) {
    walk(source, |cx, root| read_exercise(cx, root, default_id))
}

fn read_exercise(cx: &mut Cx<'_>, root: &Table<'_, '_>, default_id: &str) -> Exercise {
    root.only(cx, TOP_KEYS);
    if let Some(version) = root.integer(cx, "format")
        && version != FORMAT_VERSION
    {
        let span = cx.spans.at("format");
        cx.error(
            span,
            format!(
                "unsupported exercise format {version}: this grabbag reads format {FORMAT_VERSION}"
            ),
        );
    }
    Exercise {
        id: root
            .string(cx, "id", false)
            .unwrap_or_else(|| default_id.to_owned()),
        title: root.string(cx, "title", true).unwrap_or_default(),
        brief: root.string(cx, "brief", true).unwrap_or_default(),
        audience: root.string(cx, "audience", true).unwrap_or_default(),
        duration: root
            .duration(cx, "duration", true)
            .unwrap_or(Duration::from_secs(0)),
        runbooks: root.strings(cx, "runbooks"),
        lessons_prompts: root.strings(cx, "lessons_prompts"),
        objectives: root
            .tables(cx, "objectives", true)
            .iter()
            .map(|t| {
                t.only(cx, OBJECTIVE_KEYS);
                Objective {
                    id: t.string(cx, "id", true).unwrap_or_default(),
                    text: t.string(cx, "text", true).unwrap_or_default(),
                }
            })
            .collect(),
        participants: root
            .tables(cx, "participants", false)
            .iter()
            .map(|t| {
                t.only(cx, PARTICIPANT_KEYS);
                Participant {
                    role: t.string(cx, "role", true).unwrap_or_default(),
                    kind: if t.table.contains_key("kind") {
                        t.choice(
                            cx,
                            "kind",
                            &[
                                ("player", ParticipantKind::Player),
                                ("facilitator", ParticipantKind::Facilitator),
                                ("observer", ParticipantKind::Observer),
                            ],
                        )
                        .unwrap_or(ParticipantKind::Player)
                    } else {
                        ParticipantKind::Player
                    },
                    who: t.string(cx, "who", false),
                }
            })
            .collect(),
        teams: root.strings(cx, "teams"),
        injects: root
            .tables(cx, "injects", true)
            .iter()
            .map(|t| read_inject(cx, t))
            .collect(),
    }
}

/// `runbook`, `step` and (for decisions) `option`, as a [`Happening`].
fn happening(cx: &mut Cx<'_>, t: &Table<'_, '_>, decision: bool) -> Happening {
    let runbook = t.string(cx, "runbook", true).unwrap_or_default();
    let step = t.string(cx, "step", true).unwrap_or_default();
    if decision {
        Happening::Decision {
            runbook,
            step,
            option: t.string(cx, "option", false),
        }
    } else {
        if t.table.contains_key("option") {
            let span = cx.spans.at(&t.child_path("option"));
            let span = if span == (0..0) {
                t.header_span(cx)
            } else {
                span
            };
            cx.error(span, "`option` applies to decisions only");
        }
        Happening::StepDone { runbook, step }
    }
}

fn read_inject(cx: &mut Cx<'_>, t: &Table<'_, '_>) -> Inject {
    t.only(cx, INJECT_KEYS);
    let id = t.string(cx, "id", true).unwrap_or_default();
    let given: Vec<&str> = ["at", "after", "on"]
        .into_iter()
        .filter(|k| t.table.contains_key(*k))
        .collect();
    if given.len() != 1 {
        let span = t.header_span(cx);
        let message = if given.is_empty() {
            format!("inject `{id}` needs one of `at`, `after` or `on`")
        } else {
            format!(
                "inject `{id}` has {}: give exactly one of `at`, `after` or `on`",
                given
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )
        };
        cx.error(span, message);
    }
    let delay = t
        .duration(cx, "delay", false)
        .unwrap_or(Duration::from_secs(0));
    let trigger = match given.first().copied() {
        Some("after") => Trigger::After {
            inject: t.string(cx, "after", true).unwrap_or_default(),
            delay,
        },
        Some("on") => {
            let on = t.choice(cx, "on", &[("step_done", false), ("decision", true)]);
            Trigger::On {
                happening: happening(cx, t, on.unwrap_or(false)),
                delay,
            }
        }
        _ => {
            if t.table.contains_key("delay") {
                let span = cx.spans.at(&t.child_path("delay"));
                cx.error(span, "`delay` applies to `after` and `on` only")
                    .help = Some("with `at`, write the whole offset in `at`".to_owned());
            }
            Trigger::At {
                offset: t
                    .duration(cx, "at", false)
                    .unwrap_or(Duration::from_secs(0)),
            }
        }
    };
    if !matches!(trigger, Trigger::On { .. }) {
        for key in ["runbook", "step", "option"] {
            if t.table.contains_key(key) {
                let span = cx.spans.at(&t.child_path(key));
                let span = if span == (0..0) {
                    t.header_span(cx)
                } else {
                    span
                };
                cx.error(span, format!("`{key}` in an inject applies to `on` only"));
            }
        }
    }
    let channel = t.string(cx, "channel", true).unwrap_or_default();
    if !channel.is_empty() && !CHANNELS.contains(&channel.as_str()) {
        let span = cx.spans.at(&t.child_path("channel"));
        let d = cx.error(
            span,
            format!("`channel` must be one of: {}", CHANNELS.join(", ")),
        );
        if let Some(close) = crate::diagnostic::did_you_mean(&channel, CHANNELS) {
            d.label = Some(format!("did you mean `{close}`?"));
        }
    }
    Inject {
        id,
        trigger,
        from: t.string(cx, "from", true).unwrap_or_default(),
        channel,
        text: t.string(cx, "text", true).unwrap_or_default(),
        to: t.string(cx, "to", false),
        expectations: t
            .tables(cx, "expect", false)
            .iter()
            .map(|e| read_expectation(cx, e))
            .collect(),
        aids: t
            .table(cx, "aids")
            .map(|a| {
                a.only(cx, AIDS_KEYS);
                Aids {
                    watch: a.string(cx, "watch", false),
                    questions: a.strings(cx, "questions"),
                    good: a.string(cx, "good", false),
                }
            })
            .unwrap_or_default(),
    }
}

fn read_expectation(cx: &mut Cx<'_>, t: &Table<'_, '_>) -> Expectation {
    t.only(cx, EXPECT_KEYS);
    #[derive(Clone, Copy)]
    enum Kind {
        StepDone,
        Decision,
        Note,
        Manual,
    }
    let kind = t.choice(
        cx,
        "kind",
        &[
            ("step_done", Kind::StepDone),
            ("decision", Kind::Decision),
            ("note", Kind::Note),
            ("manual", Kind::Manual),
        ],
    );
    let happened = |cx: &mut Cx<'_>, decision: bool| {
        let first = happening(cx, t, decision);
        let others: Vec<Happening> = t
            .tables(cx, "or", false)
            .iter()
            .map(|o| {
                o.only(cx, OR_KEYS);
                happening(cx, o, decision)
            })
            .collect();
        if others.is_empty() {
            Expected::Happening(first)
        } else {
            Expected::AnyOf {
                any_of: std::iter::once(first).chain(others).collect(),
            }
        }
    };
    if !matches!(kind, Some(Kind::StepDone | Kind::Decision)) && t.table.contains_key("or") {
        let span = cx.spans.at(&t.child_path("or"));
        cx.error(
            span,
            "`or` applies to `step_done` and `decision` expectations only",
        );
    }
    let expected = match kind {
        Some(Kind::StepDone) => happened(cx, false),
        Some(Kind::Decision) => happened(cx, true),
        Some(Kind::Note) => Expected::Note {
            role: t.string(cx, "role", true).unwrap_or_default(),
            contains: t.string(cx, "contains", false),
        },
        Some(Kind::Manual) | None => Expected::Manual,
    };
    let description = t.string(cx, "description", matches!(kind, Some(Kind::Manual)));
    let weight = match t.integer(cx, "weight") {
        Some(n) if (1..=100).contains(&n) => n as u32,
        Some(_) => {
            let span = cx.spans.at(&t.child_path("weight"));
            cx.error(span, "`weight` must be between 1 and 100");
            1
        }
        None => 1,
    };
    Expectation {
        id: t.string(cx, "id", true).unwrap_or_default(),
        expected,
        description: description.unwrap_or_default(),
        within: t.duration(cx, "within", false),
        weight,
        objectives: t.strings(cx, "objectives"),
    }
}
