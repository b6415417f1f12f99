//! Lint: the checks that need the whole exercise and the runbooks it plays.
//!
//! An expectation or trigger naming a runbook, step or decision option that
//! does not exist is an error (the exercise could not be scored), reported at
//! its line and column like runbook lint, with "did you mean". So are
//! duplicate ids, an `after` naming an unknown inject or forming a loop, and an
//! expectation naming an unknown objective, and an inject aimed (`to`) at a
//! team or role the exercise does not declare (once it declares any). Warnings: an objective no
//! expectation evidences, an inject planned after the planned end, a note
//! expected from a role nobody plays.

use std::collections::HashMap;

use super::{Exercise, Expected, Happening, Trigger};
use crate::diagnostic::{Diagnostic, Source, did_you_mean};
use crate::runbook::Runbook;
use crate::runbook::lint::duplicates;
use crate::runbook::parse::Spans;

pub(super) fn lint(
    source: &Source<'_>,
    exercise: &Exercise,
    spans: &Spans,
    runbooks: Option<&[&Runbook]>,
    out: &mut Vec<Diagnostic>,
) {
    let ids = |it: &mut dyn Iterator<Item = &str>| it.map(str::to_owned).collect::<Vec<_>>();
    let objective_ids = ids(&mut exercise.objectives.iter().map(|o| o.id.as_str()));
    let inject_ids = ids(&mut exercise.injects.iter().map(|i| i.id.as_str()));
    duplicates(
        source,
        spans,
        "objectives",
        objective_ids.iter().map(String::as_str),
        out,
    );
    duplicates(
        source,
        spans,
        "injects",
        inject_ids.iter().map(String::as_str),
        out,
    );
    let mut lint = Lint {
        source,
        spans,
        out,
        runbooks,
        exercise,
    };
    if runbooks.is_some() {
        lint.listed_runbooks();
    }
    for (i, inject) in exercise.injects.iter().enumerate() {
        let path = format!("injects.{i}");
        duplicates(
            source,
            spans,
            &format!("{path}.expect"),
            inject.expectations.iter().map(|e| e.id.as_str()),
            lint.out,
        );
        match &inject.trigger {
            Trigger::After { inject: other, .. } => lint.after(&path, &inject.id, other),
            Trigger::On { happening, .. } => lint.happening(&path, happening),
            Trigger::At { offset } => {
                if *offset > exercise.duration {
                    let d = source
                        .warning(
                            spans.at(&format!("{path}.at")),
                            format!(
                                "inject `{}` is planned at {offset}, after the planned duration ({})",
                                inject.id, exercise.duration
                            ),
                        )
                        .with_help("lengthen `duration` or bring the inject forward");
                    lint.out.push(d);
                }
            }
        }
        if let Err(unknown) = exercise.audience(inject.to.as_deref()) {
            let known: Vec<&str> = unknown.known.iter().map(String::as_str).collect();
            let d = lint
                .error(
                    &format!("{path}.to"),
                    format!(
                        "inject `{}` is aimed at `{}`, which is not a team or role of this exercise",
                        inject.id, unknown.given
                    ),
                    did_you_mean(&unknown.given, &known),
                )
                .with_help("aim it at a name in `teams` or a `[[participants]]` role");
            lint.out.push(d);
        }
        for (j, e) in inject.expectations.iter().enumerate() {
            let path = format!("{path}.expect.{j}");
            match &e.expected {
                Expected::Happening(h) => lint.happening(&path, h),
                Expected::AnyOf { any_of } => {
                    for (k, h) in any_of.iter().enumerate() {
                        // The first is the expectation's own `runbook` and
                        // `step`; the others are `or.0`, `or.1`...
                        let at = match k {
                            0 => path.clone(),
                            k => format!("{path}.or.{}", k - 1),
                        };
                        lint.happening(&at, h);
                    }
                }
                Expected::Note { role, contains } => {
                    lint.note_role(&path, role);
                    // One word is a keyword: the easiest to meet by saying
                    // the opposite. A phrase is the author's judgement.
                    if let Some(word) = contains.as_ref().filter(|c| !c.trim().contains(' ')) {
                        lint.keyword_note(&path, word);
                    }
                }
                Expected::Manual => {}
            }
            for (k, objective) in e.objectives.iter().enumerate() {
                if exercise.objective(objective).is_none() {
                    let names: Vec<&str> = objective_ids.iter().map(String::as_str).collect();
                    let d = lint.error(
                        &format!("{path}.objectives.{k}"),
                        format!("unknown objective `{objective}`"),
                        did_you_mean(objective, &names),
                    );
                    lint.out.push(d);
                }
            }
        }
    }
    lint.loops();
    lint.uncovered_objectives();
}

struct Lint<'a, 's> {
    source: &'a Source<'s>,
    spans: &'a Spans,
    out: &'a mut Vec<Diagnostic>,
    runbooks: Option<&'a [&'a Runbook]>,
    exercise: &'a Exercise,
}

impl Lint<'_, '_> {
    /// An error at `path`, with a "did you mean" label when a close name exists.
    fn error(&self, path: &str, message: String, close: Option<&str>) -> Diagnostic {
        let mut d = self.source.error(self.spans.at(path), message);
        d.label = close.map(|c| format!("did you mean `{c}`?"));
        d
    }

    fn runbook(&self, id: &str) -> Option<&Runbook> {
        self.runbooks?.iter().copied().find(|r| r.id == id)
    }

    /// Every runbook in `runbooks` must exist.
    fn listed_runbooks(&mut self) {
        let known: Vec<&str> = self
            .runbooks
            .unwrap_or_default()
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        for (i, id) in self.exercise.runbooks.iter().enumerate() {
            if self.runbook(id).is_none() {
                let d = self.error(
                    &format!("runbooks.{i}"),
                    format!("runbook `{id}` is not in the library"),
                    did_you_mean(id, &known),
                );
                self.out.push(d);
            }
        }
    }

    /// A step (and option) that must exist in a runbook the exercise lists.
    fn happening(&mut self, path: &str, happening: &Happening) {
        if self.runbooks.is_none() {
            return;
        }
        let (runbook_id, step_id) = happening.step_ref();
        let listed: Vec<&str> = self.exercise.runbooks.iter().map(String::as_str).collect();
        if !listed.contains(&runbook_id) {
            let d = self
                .error(
                    &format!("{path}.runbook"),
                    format!("runbook `{runbook_id}` is not listed in `runbooks`"),
                    did_you_mean(runbook_id, &listed),
                )
                .with_help("add it to the exercise's `runbooks`");
            self.out.push(d);
            return;
        }
        let Some(runbook) = self.runbook(runbook_id) else {
            // Reported once, where `runbooks` lists it.
            return;
        };
        let Some(step) = runbook.step(step_id) else {
            let steps: Vec<&str> = runbook.steps.iter().map(|s| s.id.as_str()).collect();
            let d = self.error(
                &format!("{path}.step"),
                format!("runbook `{runbook_id}` has no step `{step_id}`"),
                did_you_mean(step_id, &steps),
            );
            self.out.push(d);
            return;
        };
        let Happening::Decision { option, .. } = happening else {
            return;
        };
        let Some(decision) = &step.decision else {
            let d = self.error(
                &format!("{path}.step"),
                format!("step `{step_id}` of runbook `{runbook_id}` is not a decision"),
                None,
            );
            self.out.push(d);
            return;
        };
        if let Some(option) = option {
            let labels: Vec<&str> = decision.options.iter().map(|o| o.label.as_str()).collect();
            if !labels.contains(&option.as_str()) {
                let mut d = self.error(
                    &format!("{path}.option"),
                    format!(
                        "decision `{step_id}` of runbook `{runbook_id}` has no option {option:?}"
                    ),
                    did_you_mean(option, &labels),
                );
                if d.label.is_none() {
                    d.help = Some(format!("its options are: {}", labels.join(" | ")));
                }
                self.out.push(d);
            }
        }
    }

    fn after(&mut self, path: &str, id: &str, other: &str) {
        if other == id {
            let d = self.error(
                &format!("{path}.after"),
                format!("inject `{id}` comes after itself"),
                None,
            );
            self.out.push(d);
        } else if self.exercise.inject(other).is_none() {
            let ids: Vec<&str> = self
                .exercise
                .injects
                .iter()
                .map(|i| i.id.as_str())
                .collect();
            let d = self.error(
                &format!("{path}.after"),
                format!("`after` names inject `{other}`, which does not exist"),
                did_you_mean(other, &ids),
            );
            self.out.push(d);
        }
    }

    /// `after` chains that loop (a after b, b after a) never fire.
    fn loops(&mut self) {
        let after: HashMap<&str, &str> = self
            .exercise
            .injects
            .iter()
            .filter_map(|i| match &i.trigger {
                Trigger::After { inject, .. } if *inject != i.id => {
                    Some((i.id.as_str(), inject.as_str()))
                }
                _ => None,
            })
            .collect();
        for (i, inject) in self.exercise.injects.iter().enumerate() {
            let mut at = inject.id.as_str();
            for _ in 0..=after.len() {
                match after.get(at) {
                    Some(&next) if next == inject.id => {
                        let d = self.error(
                            &format!("injects.{i}.after"),
                            format!(
                                "inject `{}` waits for itself through a loop of `after`",
                                inject.id
                            ),
                            None,
                        );
                        self.out.push(d);
                        break;
                    }
                    Some(&next) => at = next,
                    None => break,
                }
            }
        }
    }

    fn note_role(&mut self, path: &str, role: &str) {
        let roles: Vec<&str> = self
            .exercise
            .participants
            .iter()
            .map(|p| p.role.as_str())
            .collect();
        if !roles.is_empty() && !roles.iter().any(|r| r.eq_ignore_ascii_case(role)) {
            let mut d = self.source.warning(
                self.spans.at(&format!("{path}.role")),
                format!("no participant plays `{role}`"),
            );
            d.label = did_you_mean(role, &roles).map(|c| format!("did you mean `{c}`?"));
            self.out.push(d);
        }
    }

    /// A note expectation met by a keyword is met by a note that says the
    /// opposite ("not aware yet" contains "aware"): scoring cannot tell, so
    /// the author is told to expect what shows the work instead.
    fn keyword_note(&mut self, path: &str, phrase: &str) {
        let d = self
            .source
            .warning(
                self.spans.at(&format!("{path}.contains")),
                format!(
                    "a note containing `{phrase}` meets this even when it says the opposite (\"not {phrase}\")"
                ),
            )
            .with_help(
                "expect the step or the decision (with its option) that shows the work, or make it `manual` for the facilitator to judge",
            );
        self.out.push(d);
    }

    fn uncovered_objectives(&mut self) {
        for (i, objective) in self.exercise.objectives.iter().enumerate() {
            let covered = self.exercise.injects.iter().any(|inject| {
                inject
                    .expectations
                    .iter()
                    .any(|e| e.objectives.contains(&objective.id))
            });
            if !covered {
                let d = self
                    .source
                    .warning(
                        self.spans.at(&format!("objectives.{i}.id")),
                        format!(
                            "objective `{}` is not evidenced by any expectation",
                            objective.id
                        ),
                    )
                    .with_help("name it in an expectation's `objectives`");
                self.out.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::exercise::check;
    use crate::exercise::testkit::EXERCISE;
    use crate::response::testkit::flow;

    /// The messages (with line) of checking `text` against `t/flow`.
    fn findings(text: &str) -> Vec<String> {
        let rb = flow();
        let checked = check("drill.toml", text, "t/drill", Some(&[&rb]));
        checked
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.line.unwrap_or(0), d.message))
            .collect()
    }

    #[test]
    fn each_alternative_in_or_is_checked_at_its_own_line() {
        let text = EXERCISE.replacen(
            "step = \"triage\"\nwithin",
            "step = \"triage\"\nor = [\n  { runbook = \"t/flow\", step = \"notify\" },\n  { runbook = \"t/flow\", step = \"notfy\", colour = 1 },\n]\nwithin",
            1,
        );
        let found = findings(&text);
        assert!(
            found.iter().any(|f| f.contains("unknown field `colour`")),
            "{found:#?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.ends_with("runbook `t/flow` has no step `notfy`")),
            "{found:#?}"
        );
        let line = |needle: &str| text[..text.find(needle).unwrap_or(0)].lines().count();
        assert!(
            found.contains(&format!(
                "{}: runbook `t/flow` has no step `notfy`",
                line("\"notfy\"")
            )),
            "{found:#?}"
        );
        // `or` on a note is refused.
        let text = EXERCISE.replacen(
            "contains = \"holding statement\"",
            "contains = \"holding statement\"\nor = [{ runbook = \"t/flow\", step = \"notify\" }]",
            1,
        );
        assert!(
            findings(&text).iter().any(
                |f| f.ends_with("`or` applies to `step_done` and `decision` expectations only")
            ),
            "{:#?}",
            findings(&text)
        );
    }

    #[test]
    fn the_test_exercise_is_clean_against_its_runbook() {
        assert_eq!(findings(EXERCISE), Vec::<String>::new());
    }

    #[test]
    fn references_to_steps_options_and_injects_are_checked() {
        let text = EXERCISE
            .replacen("step = \"triage\"", "step = \"triag\"", 1)
            .replace("step = \"assess\"", "step = \"notify\"")
            .replace("after = \"open\"", "after = \"dpo\"")
            .replace("on = \"step_done\"", "after = \"call\"\nrunbook_x = 1");
        let found = findings(&text);
        assert!(
            found
                .iter()
                .any(|f| f.ends_with("runbook `t/flow` has no step `triag`")),
            "{found:#?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.ends_with("step `notify` of runbook `t/flow` is not a decision")),
            "{found:#?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.ends_with("inject `call` waits for itself through a loop of `after`")),
            "{found:#?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.contains("unknown field `runbook_x`")),
            "{found:#?}"
        );
    }

    #[test]
    fn an_option_the_decision_lacks_and_an_unlisted_runbook_are_errors() {
        let text = EXERCISE
            .replace("option = \"Yes or unsure\"", "option = \"Yes, or unsure\"")
            .replace(
                "runbooks = [\"t/flow\"]",
                "runbooks = [\"t/flow\", \"t/gone\"]",
            )
            .replacen("runbook = \"t/flow\"", "runbook = \"t/other\"", 1);
        let found = findings(&text);
        assert!(
            found
                .iter()
                .any(|f| f.contains("has no option \"Yes, or unsure\"")),
            "{found:#?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.ends_with("runbook `t/gone` is not in the library")),
            "{found:#?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.ends_with("runbook `t/other` is not listed in `runbooks`")),
            "{found:#?}"
        );
    }

    #[test]
    fn an_inject_aimed_at_a_team_or_role_the_exercise_does_not_declare_is_an_error() {
        let aimed = |to: &str| {
            EXERCISE.replacen(
                "channel = \"phone\"",
                &format!("channel = \"phone\"\nto = \"{to}\""),
                1,
            )
        };
        let with_teams = |text: String| {
            text.replacen(
                "[[objectives]]",
                "teams = [\"Red\", \"Blue\"]\n\n[[objectives]]",
                1,
            )
        };
        // A declared team or role, in any case.
        assert_eq!(findings(&with_teams(aimed("blue"))), Vec::<String>::new());
        assert_eq!(findings(&aimed("comms")), Vec::<String>::new());
        let text = with_teams(aimed("Bleu"));
        let line = text[..text.find("to = \"Bleu\"").unwrap_or(0)]
            .lines()
            .count();
        assert_eq!(
            findings(&text),
            [format!(
                "{}: inject `open` is aimed at `Bleu`, which is not a team or role of this exercise",
                line + 1
            )]
        );
    }

    #[test]
    fn triggers_must_be_one_and_warnings_stay_warnings() {
        let text = EXERCISE
            .replace("at = \"15m\"", "at = \"2h\"")
            .replacen("delay = \"5m\"", "delay = \"5m\"\nat = \"1m\"", 1)
            .replace(
                "[[objectives]]\nid = \"report\"",
                "[[objectives]]\nid = \"unused\"",
            )
            .replace(
                "role = \"Comms\"\ncontains",
                "role = \"Press Office\"\ncontains",
            )
            .replace("\"holding statement\"", "\"statement\"");
        let rb = flow();
        let checked = check("drill.toml", &text, "t/drill", Some(&[&rb]));
        let messages: Vec<(bool, &str)> = checked
            .diagnostics
            .iter()
            .map(|d| (d.is_error(), d.message.as_str()))
            .collect();
        assert!(
            messages.contains(&(
                true,
                "inject `call` has `at` and `after`: give exactly one of `at`, `after` or `on`"
            )),
            "{messages:#?}"
        );
        assert!(
            messages.contains(&(
                false,
                "inject `press` is planned at 2h, after the planned duration (1h)"
            )),
            "{messages:#?}"
        );
        assert!(
            messages.contains(&(
                false,
                "objective `unused` is not evidenced by any expectation"
            )),
            "{messages:#?}"
        );
        assert!(
            messages.contains(&(false, "no participant plays `Press Office`")),
            "{messages:#?}"
        );
        assert!(
            messages.contains(&(
                false,
                "a note containing `statement` meets this even when it says the opposite (\"not statement\")"
            )),
            "{messages:#?}"
        );
        assert!(
            messages.contains(&(true, "unknown objective `report`")),
            "{messages:#?}"
        );
    }
}
