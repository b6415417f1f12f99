//! Scoring: each expectation met, late, partial or missed, with the seq of the
//! entry that proves it; totals per objective and overall; time to first
//! action per inject.
//!
//! Scoring reads only the journal's fold ([`ResponseState`]), never the raw
//! events, so it agrees with the screen and with replay by construction. The
//! rules (also in `docs/exercise-format.md`):
//!
//! - The window opens when the inject is first delivered (its entry's exercise
//!   time). An inject never delivered scores its expectations `not_delivered`,
//!   left out of the totals.
//! - `step_done`: met when the step is done within `within` of delivery (the
//!   boundary itself is met), late after that; a step done before the inject
//!   arrived is met (elapsed 0). Partial when the step was started, ticked,
//!   skipped or blocked but never done. Missed otherwise.
//! - `decision`: met or late as above when taken with the expected option (or
//!   any option if none is named); partial when taken with another option or
//!   the step was only started. Missed otherwise.
//! - `note`: the first note at or after delivery by the role (without case)
//!   containing the phrase (if any), met or late as above; partial when only a
//!   note by another role has the phrase, or the role wrote a note without it.
//! - `manual`: the facilitator's latest `expectation_scored` for it;
//!   `unscored` (left out of the totals) when there is none.
//! - A facilitator's `expectation_scored` for any expectation overrides the
//!   computed outcome (the report marks it).
//!
//! Points: met 2, late 1, partial 1, missed 0 (halves), times the weight.

use std::collections::HashMap;

use serde::Serialize;

use super::{Exercise, Expectation, Expected, Happening, ParticipantKind, capacity_of, ex_time};
use crate::response::{ResponseState, Stamp, StepStatus};

/// How an expectation went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done within the time allowed.
    Met,
    /// Done, but after the time allowed.
    Late,
    /// Begun, or done differently.
    Partial,
    /// Not done.
    Missed,
    /// A manual expectation the facilitator has not scored.
    Unscored,
    /// Its inject was never delivered.
    NotDelivered,
}

impl Outcome {
    /// The word used in journals and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Met => "met",
            Outcome::Late => "late",
            Outcome::Partial => "partial",
            Outcome::Missed => "missed",
            Outcome::Unscored => "unscored",
            Outcome::NotDelivered => "not_delivered",
        }
    }

    /// Reads a facilitator's score (`met`, `late`, `partial`, `missed`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "met" => Some(Outcome::Met),
            "late" => Some(Outcome::Late),
            "partial" => Some(Outcome::Partial),
            "missed" => Some(Outcome::Missed),
            _ => None,
        }
    }

    /// Points in halves (met 2, late and partial 1, missed 0); `None` when
    /// left out of the totals.
    pub fn halves(self) -> Option<u64> {
        match self {
            Outcome::Met => Some(2),
            Outcome::Late | Outcome::Partial => Some(1),
            Outcome::Missed => Some(0),
            Outcome::Unscored | Outcome::NotDelivered => None,
        }
    }
}

/// The score of one expectation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectationResult {
    /// Expectation id.
    pub id: String,
    /// What was expected, in words.
    pub description: String,
    /// The outcome.
    pub outcome: Outcome,
    /// The seq of the entry that proves it.
    pub evidence: Option<u64>,
    /// Exercise time from delivery to the evidence (ms).
    pub elapsed_ms: Option<u64>,
    /// Time allowed (ms).
    pub within_ms: Option<u64>,
    /// Weight.
    pub weight: u32,
    /// Objectives it evidences.
    pub objectives: Vec<String>,
    /// The facilitator scored it (a manual expectation, or an override).
    pub by_facilitator: bool,
}

/// The scores of one inject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InjectResult {
    /// Inject id.
    pub id: String,
    /// The `inject_delivered` entry.
    pub delivered_seq: Option<u64>,
    /// Its exercise time (ms).
    pub delivered_at: Option<u64>,
    /// The first player action after delivery: its seq.
    pub first_action_seq: Option<u64>,
    /// Exercise time from delivery to that action (ms).
    pub first_action_ms: Option<u64>,
    /// Its expectations.
    pub expectations: Vec<ExpectationResult>,
}

/// Points earned out of points possible.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Total {
    /// Earned, in half points.
    pub earned_halves: u64,
    /// Possible, in half points.
    pub possible_halves: u64,
    /// Earned as a whole percentage of possible (rounded half up); `None` when
    /// nothing was scorable.
    pub percent: Option<u64>,
}

impl Total {
    pub(crate) fn add(&mut self, outcome: Outcome, weight: u32) {
        if let Some(h) = outcome.halves() {
            self.earned_halves += h * u64::from(weight);
            self.possible_halves += 2 * u64::from(weight);
        }
        self.percent = (self.possible_halves > 0).then(|| {
            (self.earned_halves * 200 + self.possible_halves) / (2 * self.possible_halves)
        });
    }
}

/// The score of one objective.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectiveResult {
    /// Objective id.
    pub id: String,
    /// What it tests.
    pub text: String,
    /// Its points.
    pub total: Total,
    /// Expectations behind it, by outcome.
    pub counts: Vec<(Outcome, usize)>,
}

/// Everything scoring found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scorecard {
    /// Exercise id.
    pub exercise: String,
    /// Its title.
    pub title: String,
    /// Per inject, in file order.
    pub injects: Vec<InjectResult>,
    /// Per objective, in file order.
    pub objectives: Vec<ObjectiveResult>,
    /// Overall.
    pub overall: Total,
    /// Expectations by outcome (every outcome listed, in order).
    pub counts: Vec<(Outcome, usize)>,
    /// Injects delivered that the exercise does not define (unscripted).
    pub unscripted_injects: usize,
    /// Entries scored (the fold's count).
    pub entries: u64,
    /// The last seq folded.
    pub last_seq: Option<u64>,
    /// Why this score may be wrong: the fold's anomalies (exercise time
    /// going backwards, evidence that is no earlier entry...) and the
    /// facilitator's scores that count for nothing. Empty for a sound run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Scorecard {
    /// The result of one expectation.
    pub fn expectation(&self, inject: &str, id: &str) -> Option<&ExpectationResult> {
        self.injects
            .iter()
            .find(|i| i.id == inject)?
            .expectations
            .iter()
            .find(|e| e.id == id)
    }
}

const OUTCOMES: [Outcome; 6] = [
    Outcome::Met,
    Outcome::Late,
    Outcome::Partial,
    Outcome::Missed,
    Outcome::Unscored,
    Outcome::NotDelivered,
];

fn counts<'a>(outcomes: impl Iterator<Item = &'a Outcome>) -> Vec<(Outcome, usize)> {
    let mut n: HashMap<Outcome, usize> = HashMap::new();
    for o in outcomes {
        *n.entry(*o).or_default() += 1;
    }
    OUTCOMES
        .iter()
        .map(|o| (*o, n.get(o).copied().unwrap_or(0)))
        .collect()
}

/// What scoring reads from the fold, indexed once.
struct Index<'s> {
    state: &'s ResponseState,
    /// Notes as (exercise time, seq, role lower case, text lower case), in
    /// time order.
    notes: Vec<(u64, u64, String, String)>,
    /// Player actions as (exercise time, seq), sorted.
    actions: Vec<(u64, u64)>,
    /// The facilitator's latest score per (inject, expectation).
    judged: HashMap<(&'s str, &'s str), (Outcome, Option<u64>)>,
}

impl<'s> Index<'s> {
    fn new(exercise: &Exercise, state: &'s ResponseState) -> Self {
        let player = |stamp: &Stamp| {
            stamp
                .actor
                .as_ref()
                .is_none_or(|a| capacity_of(exercise, state, a) == ParticipantKind::Player)
        };
        let mut notes: Vec<(u64, u64, String, String)> = state
            .notes
            .iter()
            .map(|n| {
                let role = n.stamp.actor.as_ref().map(|a| a.role.to_lowercase());
                (
                    ex_time(&n.stamp, state),
                    n.stamp.seq,
                    role.unwrap_or_default(),
                    n.text.to_lowercase(),
                )
            })
            .collect();
        notes.sort_unstable();
        let mut actions: Vec<(u64, u64)> = Vec::new();
        let mut act = |stamp: &Stamp| {
            if player(stamp) {
                actions.push((ex_time(stamp, state), stamp.seq));
            }
        };
        for runbook in &state.runbooks {
            for step in runbook.steps.values() {
                if let Some(s) = &step.started {
                    act(s);
                }
                if step.status != StepStatus::Todo {
                    act(&step.changed);
                }
                step.ticked.values().for_each(|t| act(&t.stamp));
                if let Some(d) = &step.decision {
                    act(&d.stamp);
                }
            }
        }
        state.notes.iter().for_each(|n| act(&n.stamp));
        actions.sort_unstable();
        actions.dedup();
        let mut judged = HashMap::new();
        for s in &state.scores {
            if let Some(outcome) = Outcome::parse(&s.score) {
                // Evidence that is no earlier entry proves nothing (the fold
                // flags it): never print it as proof.
                let evidence = s.evidence.filter(|e| *e != 0 && *e < s.stamp.seq);
                judged.insert(
                    (s.inject.as_str(), s.expectation.as_str()),
                    (outcome, evidence),
                );
            }
        }
        Self {
            state,
            notes,
            actions,
            judged,
        }
    }

    /// The first player action at or after (`ex_t`, after seq `seq`).
    fn first_action(&self, ex_t: u64, seq: u64) -> Option<(u64, u64)> {
        let start = self.actions.partition_point(|(t, _)| *t < ex_t);
        self.actions[start..]
            .iter()
            .find(|(_, s)| *s > seq)
            .copied()
    }

    /// Met or late for evidence at `t`, given delivery at `from`.
    fn timed(&self, e: &Expectation, from: u64, t: u64, seq: u64) -> Computed {
        let elapsed = t.saturating_sub(from);
        let late = e.within.is_some_and(|w| elapsed > w.as_secs() * 1000);
        Computed {
            outcome: if late { Outcome::Late } else { Outcome::Met },
            evidence: Some(seq),
            elapsed: Some(elapsed),
        }
    }

    /// How far `h` (a step done or a decision taken) happened, for `e`
    /// delivered at `from`.
    fn happened(&self, e: &Expectation, h: &Happening, from: u64) -> Computed {
        let state = self.state;
        let (missed, partial) = (Computed::missed(), Computed::partial);
        let (runbook, step) = h.step_ref();
        let Some(s) = state.step(runbook, step) else {
            return missed;
        };
        if let Happening::Decision { option, .. } = h
            && let Some(d) = &s.decision
        {
            return if option.as_ref().is_none_or(|o| *o == d.option) {
                self.timed(e, from, ex_time(&d.stamp, state), d.stamp.seq)
            } else {
                partial(d.stamp.seq)
            };
        }
        if matches!(h, Happening::StepDone { .. }) && s.status == StepStatus::Done {
            return self.timed(e, from, ex_time(&s.changed, state), s.changed.seq);
        }
        let last_tick = s.ticked.values().map(|t| t.stamp.seq).max();
        match (&s.status, last_tick) {
            (StepStatus::Todo, None) => missed,
            (StepStatus::Todo, Some(seq)) => partial(seq),
            _ => partial(s.changed.seq),
        }
    }

    fn compute(&self, e: &Expectation, from: u64) -> Computed {
        let (missed, partial) = (Computed::missed(), Computed::partial);
        match &e.expected {
            Expected::Manual => Computed {
                outcome: Outcome::Unscored,
                evidence: None,
                elapsed: None,
            },
            Expected::Happening(h) => self.happened(e, h, from),
            // The best of the alternatives: met before late before partial
            // before missed, and between two of a kind the sooner.
            Expected::AnyOf { any_of } => any_of
                .iter()
                .map(|h| self.happened(e, h, from))
                .min_by_key(|c| (c.outcome, c.elapsed.unwrap_or(u64::MAX)))
                .unwrap_or(missed),
            Expected::Note { role, contains } => {
                let role = role.to_lowercase();
                let phrase = contains.as_ref().map(|c| c.to_lowercase());
                let has = |text: &str| phrase.as_ref().is_none_or(|p| text.contains(p.as_str()));
                let start = self.notes.partition_point(|n| n.0 < from);
                let after = self.notes[start..].iter();
                let mut partial_seq = None;
                for (t, seq, by, text) in after {
                    match (*by == role, has(text)) {
                        (true, true) => return self.timed(e, from, *t, *seq),
                        (true, false) | (false, true) if partial_seq.is_none() => {
                            partial_seq = Some(*seq);
                        }
                        _ => {}
                    }
                }
                partial_seq.map_or(missed, partial)
            }
        }
    }
}

struct Computed {
    outcome: Outcome,
    evidence: Option<u64>,
    elapsed: Option<u64>,
}

impl Computed {
    fn missed() -> Self {
        Self {
            outcome: Outcome::Missed,
            evidence: None,
            elapsed: None,
        }
    }

    fn partial(seq: u64) -> Self {
        Self {
            outcome: Outcome::Partial,
            evidence: Some(seq),
            elapsed: None,
        }
    }
}

/// Scores the journal's fold against the exercise.
pub fn score(exercise: &Exercise, state: &ResponseState) -> Scorecard {
    let index = Index::new(exercise, state);
    let mut injects = Vec::with_capacity(exercise.injects.len());
    let mut delivered: HashMap<&str, (u64, u64)> = HashMap::new();
    for d in &state.injects {
        delivered
            .entry(d.inject.as_str())
            .or_insert_with(|| (d.stamp.seq, ex_time(&d.stamp, state)));
    }
    for inject in &exercise.injects {
        let delivery = delivered.get(inject.id.as_str()).copied();
        let first = delivery.and_then(|(seq, t)| index.first_action(t, seq));
        let expectations = inject
            .expectations
            .iter()
            .map(|e| {
                let computed = match delivery {
                    None => Computed {
                        outcome: Outcome::NotDelivered,
                        evidence: None,
                        elapsed: None,
                    },
                    Some((_, from)) => index.compute(e, from),
                };
                let judged = index
                    .judged
                    .get(&(inject.id.as_str(), e.id.as_str()))
                    .filter(|_| delivery.is_some());
                let (outcome, evidence, by_facilitator) = match judged {
                    Some((o, ev)) => (*o, ev.or(computed.evidence), true),
                    None => (computed.outcome, computed.evidence, false),
                };
                ExpectationResult {
                    id: e.id.clone(),
                    description: e.description.clone(),
                    outcome,
                    evidence,
                    elapsed_ms: computed.elapsed,
                    within_ms: e.within.map(|w| w.as_secs() * 1000),
                    weight: e.weight,
                    objectives: e.objectives.clone(),
                    by_facilitator,
                }
            })
            .collect();
        injects.push(InjectResult {
            id: inject.id.clone(),
            delivered_seq: delivery.map(|d| d.0),
            delivered_at: delivery.map(|d| d.1),
            first_action_seq: first.map(|f| f.1),
            first_action_ms: first
                .and_then(|(t, _)| delivery.map(|(_, from)| t.saturating_sub(from))),
            expectations,
        });
    }
    let all = || injects.iter().flat_map(|i: &InjectResult| &i.expectations);
    let mut overall = Total::default();
    for e in all() {
        overall.add(e.outcome, e.weight);
    }
    let objectives = exercise
        .objectives
        .iter()
        .map(|o| {
            let mine: Vec<&ExpectationResult> =
                all().filter(|e| e.objectives.contains(&o.id)).collect();
            let mut total = Total::default();
            for e in &mine {
                total.add(e.outcome, e.weight);
            }
            ObjectiveResult {
                id: o.id.clone(),
                text: o.text.clone(),
                total,
                counts: counts(mine.iter().map(|e| &e.outcome)),
            }
        })
        .collect();
    let unscripted_injects = state
        .injects
        .iter()
        .filter(|d| exercise.inject(&d.inject).is_none())
        .count();
    let mut warnings: Vec<String> = state.anomalies.iter().map(ToString::to_string).collect();
    for s in &state.scores {
        let defined = exercise
            .inject(&s.inject)
            .is_some_and(|i| i.expectations.iter().any(|e| e.id == s.expectation));
        if !defined {
            warnings.push(format!(
                "seq {}: the facilitator scored `{}`/`{}`, which this exercise does not define: not counted",
                s.stamp.seq, s.inject, s.expectation
            ));
        }
    }
    Scorecard {
        warnings,
        exercise: exercise.id.clone(),
        title: exercise.title.clone(),
        counts: counts(all().map(|e| &e.outcome)),
        injects,
        objectives,
        overall,
        unscripted_injects,
        entries: state.entries,
        last_seq: state.last_seq,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercise::testkit::{Run, exercise};
    use crate::journal::Event;

    const MIN: u64 = 60_000;

    fn outcome(run: &Run, inject: &str, id: &str) -> (Outcome, Option<u64>) {
        let card = score(&exercise(), &run.state);
        let e = card.expectation(inject, id).unwrap();
        (e.outcome, e.evidence)
    }

    #[test]
    fn step_done_on_the_boundary_is_met_and_one_ms_later_is_late() {
        let mut run = Run::new();
        run.deliver("open", MIN);
        let seq = run.step_done("triage", 16 * MIN);
        assert_eq!(outcome(&run, "open", "triaged"), (Outcome::Met, Some(seq)));

        let mut run = Run::new();
        run.deliver("open", MIN);
        let seq = run.step_done("triage", 16 * MIN + 1);
        assert_eq!(outcome(&run, "open", "triaged"), (Outcome::Late, Some(seq)));
    }

    #[test]
    fn an_expectation_with_alternatives_takes_the_best_of_them() {
        // `triaged` met by `triage` or, as an alternative, `notify`.
        let text = crate::exercise::testkit::EXERCISE.replacen(
            "step = \"triage\"\nwithin",
            "step = \"triage\"\nor = [{ runbook = \"t/flow\", step = \"notify\" }]\nwithin",
            1,
        );
        let checked = crate::exercise::check("drill.toml", &text, "t/drill", None);
        let ex = checked.exercise.expect("valid");
        let outcome = |run: &Run| {
            let card = score(&ex, &run.state);
            let e = card.expectation("open", "triaged").unwrap();
            (e.outcome, e.evidence)
        };
        // Through the alternative alone.
        let mut run = Run::new();
        run.deliver("open", MIN);
        let seq = run.step_done("notify", 5 * MIN);
        assert_eq!(outcome(&run), (Outcome::Met, Some(seq)));
        // Late through one beats partial through the other.
        let mut run = Run::new();
        run.deliver("open", MIN);
        run.step_started("triage", 2 * MIN);
        let seq = run.step_done("notify", 20 * MIN);
        assert_eq!(outcome(&run), (Outcome::Late, Some(seq)));
        // Both met: the sooner is the evidence.
        let mut run = Run::new();
        run.deliver("open", MIN);
        let sooner = run.step_done("notify", 3 * MIN);
        run.step_done("triage", 10 * MIN);
        assert_eq!(outcome(&run), (Outcome::Met, Some(sooner)));
        // Neither: missed.
        let mut run = Run::new();
        run.deliver("open", MIN);
        assert_eq!(outcome(&run), (Outcome::Missed, None));
    }

    #[test]
    fn a_step_started_but_not_done_is_partial_and_untouched_is_missed() {
        let mut run = Run::new();
        run.deliver("open", 0);
        assert_eq!(outcome(&run, "open", "triaged"), (Outcome::Missed, None));
        let seq = run.step_started("triage", MIN);
        assert_eq!(
            outcome(&run, "open", "triaged"),
            (Outcome::Partial, Some(seq))
        );
    }

    #[test]
    fn a_step_done_before_the_inject_arrived_is_met() {
        let mut run = Run::new();
        let seq = run.step_done("triage", MIN);
        run.deliver("open", 10 * MIN);
        let card = score(&exercise(), &run.state);
        let e = card.expectation("open", "triaged").unwrap();
        assert_eq!(
            (e.outcome, e.evidence, e.elapsed_ms),
            (Outcome::Met, Some(seq), Some(0))
        );
    }

    #[test]
    fn the_other_option_of_a_decision_is_partial() {
        let mut run = Run::new();
        run.deliver("open", 0);
        let seq = run.decide("No", 5 * MIN);
        assert_eq!(
            outcome(&run, "open", "assessed"),
            (Outcome::Partial, Some(seq))
        );
        let mut run = Run::new();
        run.deliver("open", 0);
        let seq = run.decide("Yes or unsure", 31 * MIN);
        assert_eq!(
            outcome(&run, "open", "assessed"),
            (Outcome::Late, Some(seq))
        );
    }

    #[test]
    fn notes_need_the_role_and_the_phrase_after_delivery() {
        let mut run = Run::new();
        run.deliver("open", 0);
        run.note("Comms", "holding statement drafted early", MIN);
        run.deliver("call", 5 * MIN);
        assert_eq!(outcome(&run, "call", "holding"), (Outcome::Missed, None));
        let seq = run.note(
            "Incident Lead",
            "Asked comms for a holding statement",
            6 * MIN,
        );
        assert_eq!(
            outcome(&run, "call", "holding"),
            (Outcome::Partial, Some(seq))
        );
        let seq = run.note("comms", "Holding statement agreed with Gold", 15 * MIN);
        assert_eq!(outcome(&run, "call", "holding"), (Outcome::Met, Some(seq)));
    }

    #[test]
    fn manual_expectations_wait_for_the_facilitator_and_undelivered_count_nothing() {
        let mut run = Run::new();
        assert_eq!(
            outcome(&run, "press", "judged"),
            (Outcome::NotDelivered, None)
        );
        run.deliver("press", 15 * MIN);
        assert_eq!(outcome(&run, "press", "judged"), (Outcome::Unscored, None));
        let note = run.note("Observer", "Spokesperson briefed well", 20 * MIN);
        run.push(
            "Facilitator",
            21 * MIN,
            Event::ExpectationScored {
                inject: "press".to_owned(),
                expectation: "judged".to_owned(),
                score: "partial".to_owned(),
                evidence: Some(note),
                comment: None,
            },
        );
        assert_eq!(
            outcome(&run, "press", "judged"),
            (Outcome::Partial, Some(note))
        );
    }

    #[test]
    fn totals_weights_objectives_and_first_action() {
        let mut run = Run::new();
        let open = run.deliver("open", 0);
        run.note("Observer", "they are reading the runbook", MIN);
        let first = run.step_started("triage", 2 * MIN);
        run.step_done("triage", 10 * MIN); // met, weight 2
        run.decide("No", 12 * MIN); // partial, weight 1
        let card = score(&exercise(), &run.state);
        let i = &card.injects[0];
        assert_eq!(i.delivered_seq, Some(open));
        // The observer's note is not a player action.
        assert_eq!(
            (i.first_action_seq, i.first_action_ms),
            (Some(first), Some(2 * MIN))
        );
        // met×2 = 4 halves, partial×1 = 1 half, of 6; the rest not delivered.
        assert_eq!(
            card.overall,
            Total {
                earned_halves: 5,
                possible_halves: 6,
                percent: Some(83)
            }
        );
        assert_eq!(card.objectives[0].total.percent, Some(100));
        assert_eq!(card.objectives[1].total.percent, Some(50));
        assert_eq!(card.counts[0], (Outcome::Met, 1));
        assert_eq!(card.counts[5], (Outcome::NotDelivered, 2));
    }
}
