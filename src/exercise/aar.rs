//! After-action report data: what NIST SP 800-84 and ISO 22301 (8.5) expect a
//! post-exercise report to hold (scope, objectives, participants, timeline,
//! observations, scores, lessons learned, recommendations with owners), plus
//! the journal's integrity and the exact runbook versions played.
//!
//! Built from the exercise, the journal's fold and its verification report:
//! a plain serialisable struct, so the Markdown and HTML renderers
//! (`crate::report::aar`) and `--json` all print the same facts.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::score::{Outcome, Scorecard, score};
use super::{Aids, Exercise, Objective, Participant, ParticipantKind, capacity_of, ex_time};
use crate::journal::{Actor, LessonCategory, VerifyReport};
use crate::response::{ResponseState, Stamp};

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct AfterActionReport {
    /// Scope: what was exercised, for whom, against which plans.
    pub scope: Scope,
    /// The exercise definition played, against the one scored.
    pub definition: Definition,
    /// The journal and its integrity.
    pub journal: JournalIntegrity,
    /// Roles planned.
    pub participants: Vec<Participant>,
    /// Everyone who signed in or wrote an entry, with the capacity they
    /// acted in, in order of first appearance.
    pub people: Vec<Person>,
    /// The runbook versions played (every `runbook_opened`).
    pub runbook_versions: Vec<RunbookUsed>,
    /// What happened, in journal order.
    pub timeline: Vec<Moment>,
    /// Notes by observers and the facilitator.
    pub observations: Vec<Moment>,
    /// The facilitator's aids of every inject that has some, in file order.
    pub aids: Vec<InjectAids>,
    /// What each scored outcome rests on, in the scorecard's order.
    pub evidence: Vec<Evidence>,
    /// Scores.
    pub scores: Scorecard,
    /// Lessons: went well.
    pub went_well: Vec<Moment>,
    /// Lessons: did not go well.
    pub did_not_go_well: Vec<Moment>,
    /// Recommendations: actions with owners.
    pub recommendations: Vec<Recommendation>,
    /// Every recorded run of this exercise the caller found, this one
    /// included, scored and oldest first: is practice making it better?
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trend: Vec<super::trend::RunScore>,
    /// Why the scores may be wrong: what the journal held that made no sense
    /// (from the fold) and facilitator scores that count for nothing (the
    /// scorecard's warnings).
    pub anomalies: Vec<String>,
    /// Cases on the registers at the end of play: how many, how many
    /// missed a deadline, how many are not keyed back.
    pub cases: crate::response::cases::CaseCounts,
}

/// What the exercise covered.
#[derive(Debug, Clone, Serialize)]
pub struct Scope {
    /// Exercise id.
    pub id: String,
    /// Title.
    pub title: String,
    /// The scenario.
    pub brief: String,
    /// Who it was for.
    pub audience: String,
    /// Planned duration, as written (`90m`).
    pub planned: String,
    /// Exercise time reached (ms).
    pub played_ms: u64,
    /// When it started (UTC).
    pub started_at: Option<DateTime<Utc>>,
    /// Runbooks in scope.
    pub runbooks: Vec<String>,
    /// Objectives.
    pub objectives: Vec<Objective>,
    /// Debrief prompts.
    pub lessons_prompts: Vec<String>,
}

/// The definition's identity.
#[derive(Debug, Clone, Serialize)]
pub struct Definition {
    /// Digest recorded at the start of the run.
    pub played: Option<String>,
    /// Digest of the definition scored against.
    pub scored: String,
    /// The two are the same.
    pub same: bool,
}

/// The journal's integrity, from `crate::journal::verify`.
#[derive(Debug, Clone, Serialize)]
pub struct JournalIntegrity {
    /// The file.
    pub file: String,
    /// The chain verified with no problem.
    pub ok: bool,
    /// Entries.
    pub entries: u64,
    /// The head's witness code.
    pub witness: Option<String>,
    /// Bodies are encrypted at rest.
    pub encrypted: bool,
    /// Problems found, one line each.
    pub problems: Vec<String>,
}

/// One runbook version played.
#[derive(Debug, Clone, Serialize)]
pub struct RunbookUsed {
    /// Runbook id.
    pub id: String,
    /// Title then.
    pub title: String,
    /// Commit.
    pub commit: Option<String>,
    /// Blob.
    pub blob: Option<String>,
    /// Differed from the commit.
    pub dirty: bool,
    /// Trust, as text.
    pub trust: String,
    /// The `runbook_opened` entry.
    pub seq: u64,
}

/// What one outcome rests on: the entry that proves it (who made it, in
/// which capacity, what it says) and the facilitator's comment on a score
/// they gave.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// Inject id.
    pub inject: String,
    /// Expectation id.
    pub expectation: String,
    /// The outcome.
    pub outcome: Outcome,
    /// The proving entry, as the report's timeline shows it (the seq alone
    /// when the timeline does not list that kind of entry).
    pub entry: Option<Moment>,
    /// The facilitator's comment, when they scored it.
    pub comment: Option<String>,
}

/// The facilitator's aids of one inject.
#[derive(Debug, Clone, Serialize)]
pub struct InjectAids {
    /// Inject id.
    pub inject: String,
    /// It was delivered in this run.
    pub delivered: bool,
    /// The aids.
    pub aids: Aids,
}

/// Someone who took part, as the journal shows them.
#[derive(Debug, Clone, Serialize)]
pub struct Person {
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: String,
    /// Their team, when they signed in with one.
    pub team: Option<String>,
    /// Player, facilitator or observer ([`super::capacity_of`]).
    pub capacity: ParticipantKind,
    /// They signed in (else they were only seen writing entries).
    pub signed_in: bool,
}

/// One moment of the exercise.
#[derive(Debug, Clone, Serialize)]
pub struct Moment {
    /// Entry.
    pub seq: u64,
    /// Exercise time (ms).
    pub ex_t: u64,
    /// Who, as `name (role)`.
    pub who: Option<String>,
    /// In which capacity they acted.
    pub capacity: Option<ParticipantKind>,
    /// What, in words.
    pub what: String,
}

/// An action to take.
#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    /// The action.
    pub text: String,
    /// Who owns it.
    pub owner: Option<String>,
    /// When it is due, as written.
    pub due: Option<String>,
    /// The entry that recorded it.
    pub seq: u64,
}

/// `T+01:05:09` for an exercise time in ms.
pub fn t_plus(ms: u64) -> String {
    let s = ms / 1000;
    format!("T+{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// `4m05s` for a span of exercise time in ms, `–` for none.
pub fn minutes(ms: Option<u64>) -> String {
    ms.map_or_else(
        || "–".to_owned(),
        |ms| format!("{}m{:02}s", ms / 60_000, (ms / 1000) % 60),
    )
}

/// A percentage, `–` when nothing was scorable.
pub fn percent(p: Option<u64>) -> String {
    p.map_or_else(|| "–".to_owned(), |p| format!("{p}%"))
}

/// A scorecard in lines of plain text, for `exercise score` and the review
/// screen: overall, each objective, each inject (delivery, time to first
/// action) and its expectations (outcome, proving seq, time taken), each
/// expectation line with its outcome so a screen can colour it. Text is raw:
/// the caller makes it printable.
pub fn card_lines(card: &Scorecard) -> Vec<(Option<Outcome>, String)> {
    let mut out = Vec::new();
    let mut line = |outcome: Option<Outcome>, text: String| out.push((outcome, text));
    let counts: Vec<String> = card
        .counts
        .iter()
        .map(|(o, n)| format!("{} {n}", o.as_str()))
        .collect();
    line(
        None,
        format!(
            "Overall {} ({} of {} points): {}",
            percent(card.overall.percent),
            card.overall.earned_halves as f64 / 2.0,
            card.overall.possible_halves as f64 / 2.0,
            counts.join(", ")
        ),
    );
    line(None, String::new());
    line(None, "Objectives".to_owned());
    for o in &card.objectives {
        line(
            None,
            format!("  {:>5}  {}  {}", percent(o.total.percent), o.id, o.text),
        );
    }
    line(None, String::new());
    line(None, "Injects".to_owned());
    for i in &card.injects {
        let when = i
            .delivered_at
            .map_or_else(|| "not delivered".to_owned(), t_plus);
        let first = match (i.first_action_seq, i.first_action_ms) {
            (Some(seq), Some(ms)) => format!(", first action {}s later (seq {seq})", ms / 1000),
            _ if i.delivered_seq.is_some() => ", no action after it".to_owned(),
            _ => String::new(),
        };
        let seq = i
            .delivered_seq
            .map(|s| format!(" (seq {s})"))
            .unwrap_or_default();
        line(None, format!("  {when}  {}{seq}{first}", i.id));
        for e in &i.expectations {
            let timing = match (e.elapsed_ms, e.within_ms) {
                (Some(_), Some(_)) => {
                    format!(" in {} of {}", minutes(e.elapsed_ms), minutes(e.within_ms))
                }
                (Some(_), None) => format!(" in {}", minutes(e.elapsed_ms)),
                _ => String::new(),
            };
            line(
                Some(e.outcome),
                format!(
                    "      {:<13} {}{}{timing}{}",
                    e.outcome.as_str(),
                    e.id,
                    e.evidence
                        .map(|s| format!(" (seq {s})"))
                        .unwrap_or_default(),
                    if e.by_facilitator {
                        " [facilitator]"
                    } else {
                        ""
                    }
                ),
            );
        }
    }
    if card.unscripted_injects > 0 {
        line(None, String::new());
        line(
            None,
            format!("{} unscripted inject(s)", card.unscripted_injects),
        );
    }
    if !card.warnings.is_empty() {
        line(None, String::new());
        line(
            None,
            format!(
                "WARNING: {} thing(s) in this run make the score unreliable:",
                card.warnings.len()
            ),
        );
        for w in &card.warnings {
            line(None, format!("  {w}"));
        }
    }
    out
}

fn moment(exercise: &Exercise, stamp: &Stamp, state: &ResponseState, what: String) -> Moment {
    Moment {
        capacity: stamp
            .actor
            .as_ref()
            .map(|a| capacity_of(exercise, state, a)),
        seq: stamp.seq,
        ex_t: ex_time(stamp, state),
        who: stamp
            .actor
            .as_ref()
            .map(|a| format!("{} ({})", a.name, a.role)),
        what,
    }
}

/// Builds the report. `text` is the exercise file's text (for its digest),
/// `verified` the journal's verification.
pub fn build(
    exercise: &Exercise,
    text: &str,
    state: &ResponseState,
    verified: &VerifyReport,
) -> AfterActionReport {
    let card = score(exercise, state);
    let moment =
        |stamp: &Stamp, state: &ResponseState, what: String| moment(exercise, stamp, state, what);
    let mut timeline = Vec::new();
    let mut observations = Vec::new();
    let mut actors: Vec<(u64, Actor)> = state
        .signed_in
        .iter()
        .map(|s| {
            let actor = Actor {
                name: s.name.clone(),
                role: s.role.clone(),
            };
            (s.stamp.seq, actor)
        })
        .collect();
    let mut seen = |stamp: &Stamp| {
        if let Some(a) = &stamp.actor
            && !actors.iter().any(|(_, b)| b == a)
        {
            actors.push((stamp.seq, a.clone()));
        }
    };
    if let Some(start) = &state.exercise_start {
        seen(&start.stamp);
        timeline.push(moment(
            &start.stamp,
            state,
            format!("exercise started: {}", start.title),
        ));
    }
    for d in &state.injects {
        seen(&d.stamp);
        let id = if d.inject.is_empty() {
            "unscripted"
        } else {
            &d.inject
        };
        let to =
            d.to.as_deref()
                .map(|t| format!(", to {t}"))
                .unwrap_or_default();
        timeline.push(moment(
            &d.stamp,
            state,
            format!(
                "inject {id} ({} from {}{to}): {}",
                d.channel, d.from, d.text
            ),
        ));
    }
    for s in &state.signed_in {
        let team = s
            .team
            .as_deref()
            .map(|t| format!(", team {t}"))
            .unwrap_or_default();
        timeline.push(moment(
            &s.stamp,
            state,
            format!("signed in as {}{team}", s.capacity),
        ));
    }
    for c in &state.exercise_clock {
        seen(&c.stamp);
        timeline.push(moment(
            &c.stamp,
            state,
            format!("clock {} (speed {}x)", c.change.words(), c.speed),
        ));
    }
    for r in &state.runbooks {
        for (id, step) in &r.steps {
            if let Some(d) = &step.decision {
                seen(&d.stamp);
                timeline.push(moment(
                    &d.stamp,
                    state,
                    format!(
                        "decision {}#{id}: {} (because {})",
                        r.id, d.option, d.rationale
                    ),
                ));
            } else if step.status.is_finished() {
                seen(&step.changed);
                timeline.push(moment(
                    &step.changed,
                    state,
                    format!("step {}#{id} {}", r.id, step.status.label()),
                ));
            }
        }
    }
    for n in &state.notes {
        seen(&n.stamp);
        let m = moment(&n.stamp, state, n.text.clone());
        let by_watcher = m.capacity.is_some_and(|c| c != ParticipantKind::Player);
        if by_watcher {
            observations.push(m);
        } else {
            timeline.push(Moment {
                what: format!("note: {}", m.what),
                ..m
            });
        }
    }
    timeline.sort_by_key(|m| m.seq);
    let evidence = card
        .injects
        .iter()
        .flat_map(|i| i.expectations.iter().map(move |e| (i, e)))
        // Every outcome of play: a miss too ("nothing met it" is what
        // the debrief needs to hear); an inject never delivered had none.
        .filter(|(_, e)| e.outcome != Outcome::NotDelivered)
        .map(|(i, e)| Evidence {
            inject: i.id.clone(),
            expectation: e.id.clone(),
            outcome: e.outcome,
            entry: e.evidence.map(|seq| {
                timeline
                    .iter()
                    .chain(&observations)
                    .find(|m| m.seq == seq)
                    .cloned()
                    .unwrap_or(Moment {
                        seq,
                        ex_t: 0,
                        who: None,
                        capacity: None,
                        what: "(an entry the timeline does not list: see the journal)".to_owned(),
                    })
            }),
            comment: e
                .by_facilitator
                .then(|| {
                    state
                        .scores
                        .iter()
                        .rev()
                        .find(|s| s.inject == i.id && s.expectation == e.id)
                        .and_then(|s| s.comment.clone())
                })
                .flatten(),
        })
        .collect();
    actors.sort_by_key(|(seq, _)| *seq);
    actors.dedup_by(|a, b| a.1 == b.1);
    let people = actors
        .into_iter()
        .map(|(_, a)| {
            let signed = state.signed_in_as(&a);
            Person {
                capacity: capacity_of(exercise, state, &a),
                team: signed.and_then(|s| s.team.clone()),
                signed_in: signed.is_some(),
                name: a.name,
                role: a.role,
            }
        })
        .collect();
    let lessons = |category: LessonCategory| {
        state
            .lessons
            .iter()
            .filter(|l| l.category == category)
            .map(|l| moment(&l.stamp, state, l.text.clone()))
            .collect::<Vec<_>>()
    };
    let scored = super::digest(text);
    let played = state.exercise_start.as_ref().map(|s| s.digest.clone());
    // Judged at the end of play, on exercise time.
    let end = crate::response::deadline_now(state, state.last_at.unwrap_or_default());
    let cases =
        crate::response::cases::counts(&crate::response::cases::register(state, None, end), end);
    AfterActionReport {
        cases,
        scope: Scope {
            id: exercise.id.clone(),
            title: exercise.title.clone(),
            brief: exercise.brief.clone(),
            audience: exercise.audience.clone(),
            planned: exercise.duration.to_string(),
            played_ms: state.ex_t.unwrap_or(0),
            started_at: state.exercise_start.as_ref().map(|s| s.stamp.at),
            runbooks: exercise.runbooks.clone(),
            objectives: exercise.objectives.clone(),
            lessons_prompts: exercise.lessons_prompts.clone(),
        },
        definition: Definition {
            same: played.as_deref() == Some(scored.as_str()),
            played,
            scored,
        },
        journal: JournalIntegrity {
            file: verified.file.display().to_string(),
            ok: verified.ok,
            entries: verified.entries,
            witness: verified.head.as_ref().map(|h| h.witness.clone()),
            encrypted: verified.encrypted,
            problems: verified
                .problems
                .iter()
                .map(|f| match f.seq {
                    Some(seq) => format!("seq {seq}: {}", f.message),
                    None => format!("byte {}: {}", f.offset, f.message),
                })
                .collect(),
        },
        participants: exercise.participants.clone(),
        people,
        runbook_versions: state
            .runbooks
            .iter()
            .flat_map(|r| {
                r.earlier
                    .iter()
                    .chain(std::iter::once(&r.version))
                    .map(|v| RunbookUsed {
                        id: r.id.clone(),
                        title: v.title.clone(),
                        commit: v.commit.clone(),
                        blob: v.blob.clone(),
                        dirty: v.dirty,
                        trust: v.trust.clone(),
                        seq: v.stamp.seq,
                    })
            })
            .collect(),
        timeline,
        observations,
        evidence,
        aids: exercise
            .injects
            .iter()
            .filter(|i| !i.aids.is_empty())
            .map(|i| InjectAids {
                inject: i.id.clone(),
                delivered: state.injects.iter().any(|d| d.inject == i.id),
                aids: i.aids.clone(),
            })
            .collect(),
        anomalies: card.warnings.clone(),
        scores: card,
        went_well: lessons(LessonCategory::WentWell),
        did_not_go_well: lessons(LessonCategory::DidNotGoWell),
        recommendations: state
            .lessons
            .iter()
            .filter(|l| l.category == LessonCategory::Action)
            .map(|l| Recommendation {
                text: l.text.clone(),
                owner: l.owner.clone(),
                due: l.due.clone(),
                seq: l.stamp.seq,
            })
            .collect(),
        trend: Vec::new(),
    }
}

impl AfterActionReport {
    /// The report with the trend of this exercise's recorded runs.
    pub fn with_trend(mut self, runs: Vec<super::trend::RunScore>) -> Self {
        self.trend = runs;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exercise_time_reads_as_t_plus() {
        assert_eq!(t_plus(3_723_000), "T+01:02:03");
        assert_eq!(minutes(Some(125_000)), "2m05s");
        assert_eq!(minutes(None), "–");
    }
}

#[cfg(test)]
mod case_tests {
    use super::*;
    use crate::exercise::testkit::{EXERCISE, Run, exercise};
    use crate::journal::Event;
    use crate::response::testkit::RB;

    #[test]
    fn the_report_counts_cases_missed_deadlines_and_cases_not_keyed_back() {
        let mut run = Run::new();
        for (reference, keyed) in [("R-1", true), ("R-2", false)] {
            run.push(
                "Incident Lead",
                60_000,
                Event::CaseAdded {
                    runbook: RB.to_owned(),
                    kind: "referral".to_owned(),
                    reference: reference.to_owned(),
                    received_at: "2026-03-06T14:00:00Z".to_owned(),
                    fields: Default::default(),
                },
            );
            run.push(
                "Incident Lead",
                60_000,
                Event::ClockStarted {
                    runbook: RB.to_owned(),
                    clock: "decision".to_owned(),
                    label: "Decide".to_owned(),
                    due_at: "2026-03-06T14:30:00Z".to_owned(),
                    anchor: None,
                    case: Some(reference.to_owned()),
                    basis: None,
                },
            );
            if keyed {
                run.push(
                    "Incident Lead",
                    60_000,
                    Event::CaseKeyed {
                        reference: reference.to_owned(),
                    },
                );
            }
        }
        // Play reaches T+1h: both decisions were due at T+30m.
        run.push(
            "Incident Lead",
            3_600_000,
            Event::Note {
                text: "end".to_owned(),
                happened_at: None,
            },
        );
        let verified = VerifyReport {
            file: "run.jsonl".into(),
            format: crate::journal::verify::Format::Journal,
            ok: true,
            bytes: 0,
            entries: run.entries.len() as u64,
            head: None,
            encrypted: false,
            problems: Vec::new(),
            warnings: Vec::new(),
            torn: None,
            witnesses: Vec::new(),
            signature: None,
            sources: Vec::new(),
        };
        let report = build(&exercise(), EXERCISE, &run.state, &verified);
        assert!(run.state.anomalies.is_empty(), "{:?}", run.state.anomalies);
        assert_eq!(
            report.cases,
            crate::response::cases::CaseCounts {
                cases: 2,
                missed: 2,
                not_keyed: 1
            }
        );
        let text = crate::report::aar::markdown(&report);
        assert!(
            text.contains("2 cases on the registers; 2 missed a deadline; 1 not yet keyed back."),
            "{text}"
        );
    }
}
