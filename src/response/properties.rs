//! Property tests of the fold, on seeded pseudo-random journals (no extra
//! crate: a SplitMix64 generator, so every failure names a seed that replays it).
//!
//! - Folding is incremental: for any split of any entry list, folding the
//!   whole equals folding the first part and applying the rest. This is what
//!   makes resume (fold what was read, then apply each new entry) and replay
//!   (fold up to a moment) the same code path as review. A fold snapshot
//!   (`session::fold_cache`) written at the split reads back into the same
//!   state and folds the rest the same.
//! - Folding is deterministic, down to its JSON form.
//! - Journals written only through `decide` never fold into an anomaly, and
//!   the current step is never one that is finished.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

use super::testkit::{Sim, entry, session, t0};
use super::{
    Command, ResponseState, RunbookPin, StepRef, StepStatus, current_step, decide,
    definition_anomalies, due_breaches,
};
use crate::journal::{ClockChange, Entry, Event, LessonCategory};
use crate::testrng::Rng;

/// Words for journals, from the shared seeded generator.
trait Words {
    fn text(&mut self) -> String;
    fn reason(&mut self) -> String;
}

impl Words for Rng {
    fn text(&mut self) -> String {
        (*self.pick(&["", " ", "x", "Waiting for Gold", "DPO says yes"])).to_owned()
    }

    /// A reason or rationale: usually given, sometimes blank.
    fn reason(&mut self) -> String {
        if self.chance(15) {
            " ".to_owned()
        } else {
            "Agreed with Silver".to_owned()
        }
    }
}

/// Any event at all, over a small universe of ids so that events collide.
fn any_event(rng: &mut Rng, at: DateTime<Utc>) -> Event {
    let runbook = (*rng.pick(&["a", "b", "c"])).to_owned();
    let step = (*rng.pick(&["s1", "s2", "s3"])).to_owned();
    let clock = (*rng.pick(&["c1", "c2"])).to_owned();
    match rng.below(28) {
        0 => session(rng.chance(50)),
        1 => Event::RunbookOpened {
            runbook,
            title: rng.text(),
            commit: rng.chance(50).then(|| "c0ffee".to_owned()),
            blob: rng.chance(50).then(|| "b10b".to_owned()),
            dirty: rng.chance(20),
            unencrypted: rng.chance(20),
            trust: rng.text(),
        },
        2 => Event::StepStarted { runbook, step },
        3 => Event::StepDone { runbook, step },
        4 => Event::StepSkipped {
            runbook,
            step,
            reason: rng.text(),
        },
        5 => Event::StepBlocked {
            runbook,
            step,
            reason: rng.text(),
        },
        6 => Event::StepUnblocked { runbook, step },
        7 => Event::CheckTicked {
            runbook,
            step,
            check: rng.below(3),
            text: rng.text(),
        },
        8 => Event::Decision {
            runbook,
            step,
            option: rng.text(),
            goto: (*rng.pick(&["s1", "end", "gone"])).to_owned(),
            rationale: rng.text(),
        },
        9 => Event::Note {
            text: rng.text(),
            happened_at: match rng.below(3) {
                0 => None,
                1 => Some("yesterday".to_owned()),
                _ => Some(at.to_rfc3339()),
            },
        },
        10 => Event::ClockStarted {
            runbook,
            clock,
            label: rng.text(),
            due_at: if rng.chance(10) {
                "soon".to_owned()
            } else {
                (at + TimeDelta::minutes(rng.below(180) as i64))
                    .to_rfc3339_opts(SecondsFormat::Millis, true)
            },
            anchor: rng.chance(3).then(|| crate::journal::ClockAnchor {
                from: crate::runbook::AWARENESS.to_owned(),
                after_s: rng.below(300_000) as u64,
            }),
            case: None,
            basis: None,
        },
        11 => Event::ClockMet {
            runbook,
            clock,
            case: None,
        },
        12 => Event::ClockBreached {
            runbook,
            clock,
            case: None,
        },
        13 => Event::ActorChanged {
            name: rng.text(),
            role: rng.text(),
        },
        14 => Event::Correction {
            of: rng.below(40) as u64,
            replacement: rng.text(),
        },
        15 => Event::InjectDelivered {
            inject: rng.text(),
            from: rng.text(),
            channel: rng.text(),
            text: rng.text(),
            to: None,
        },
        16 => Event::ExpectationScored {
            inject: rng.text(),
            expectation: rng.text(),
            score: rng.text(),
            evidence: rng.chance(50).then(|| rng.below(40) as u64),
            comment: None,
        },
        17 => Event::ExerciseStarted {
            exercise: rng.text(),
            title: rng.text(),
            digest: rng.text(),
            speed: rng.below(70) as u32,
            manual: rng.chance(30),
        },
        18 => Event::ExerciseClock {
            change: *rng.pick(&[
                ClockChange::Paused,
                ClockChange::Resumed,
                ClockChange::Speed,
                ClockChange::Mode,
                ClockChange::Jumped,
                ClockChange::Ended,
            ]),
            ex_t: rng.below(10_000) as u64,
            speed: rng.below(70) as u32,
            manual: rng.chance(30),
        },
        19 => Event::LessonRecorded {
            category: *rng.pick(&[
                LessonCategory::WentWell,
                LessonCategory::DidNotGoWell,
                LessonCategory::Action,
            ]),
            text: rng.text(),
            owner: rng.chance(50).then(|| rng.text()),
            due: None,
        },
        21 => Event::Awareness {
            at: if rng.chance(10) {
                "before".to_owned()
            } else {
                (at - TimeDelta::minutes(rng.below(600) as i64)).to_rfc3339()
            },
            reason: rng.chance(50).then(|| rng.text()),
        },
        22 => Event::CaseAdded {
            runbook,
            kind: (*rng.pick(&["referral", "household"])).to_owned(),
            reference: (*rng.pick(&["R1", "R2"])).to_owned(),
            received_at: if rng.chance(10) {
                "yesterday".to_owned()
            } else {
                (at - TimeDelta::minutes(rng.below(600) as i64))
                    .to_rfc3339_opts(SecondsFormat::AutoSi, true)
            },
            fields: [("child".to_owned(), rng.text())].into(),
        },
        23 => Event::CaseStepDone {
            reference: (*rng.pick(&["R1", "R2", "R3"])).to_owned(),
            step,
        },
        24 => Event::CaseKeyed {
            reference: (*rng.pick(&["R1", "R2", "R3"])).to_owned(),
        },
        25 => Event::SignedIn {
            name: rng.text(),
            role: rng.text(),
            team: rng.chance(50).then(|| rng.text()),
            capacity: rng.text(),
        },
        26 => Event::CheckUnticked {
            runbook,
            step,
            check: rng.below(3),
        },
        _ => Event::SessionEnded {
            reason: rng.chance(50).then(|| rng.text()),
        },
    }
}

/// A list of entries with any events, some unreadable, some out of order.
fn any_entries(rng: &mut Rng) -> Vec<Entry> {
    let len = rng.below(60);
    let mut at = t0();
    let mut seq = 0u64;
    (0..len)
        .map(|_| {
            seq = if rng.chance(5) {
                seq.saturating_sub(rng.below(3) as u64)
            } else {
                seq + 1
            };
            at += TimeDelta::seconds(rng.below(600) as i64);
            let event = (!rng.chance(5)).then(|| any_event(rng, at));
            let mut e = entry(seq, at, event);
            e.ex_t = rng.chance(30).then(|| rng.next() % 10_000_000);
            e
        })
        .collect()
}

fn json(state: &ResponseState) -> String {
    match serde_json::to_string(state) {
        Ok(s) => s,
        Err(e) => panic!("state does not serialise: {e}"),
    }
}

/// Every part of `state` as a fold snapshot keeps it, with `clock_parts`
/// runs of clocks.
fn snapshot(seed: u64, state: &ResponseState, clock_parts: usize) -> Vec<Vec<u8>> {
    (0..state.snapshot_parts(clock_parts))
        .map(|i| {
            state
                .snapshot_part(i, clock_parts)
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"))
        })
        .collect()
}

/// Checks that folding `entries` at any split equals the whole fold.
fn check_incremental(seed: u64, entries: &[Entry]) -> ResponseState {
    let whole = ResponseState::fold(entries);
    assert_eq!(
        whole,
        ResponseState::fold(entries),
        "seed {seed}: not deterministic"
    );
    assert_eq!(
        json(&whole),
        json(&ResponseState::fold(entries)),
        "seed {seed}"
    );
    for split in [0, entries.len() / 3, entries.len() / 2, entries.len()] {
        let (a, b) = entries.split_at(split);
        let mut state = ResponseState::fold(a);
        // A fold snapshot stands for the fold it was written from, and
        // folds on exactly as it would.
        let parts = snapshot(seed, &state, split % 3 + 1);
        let clocks = parts[1..]
            .iter()
            .map(|p| ResponseState::clocks_from_snapshot(p).unwrap());
        let mut back = ResponseState::from_snapshot(&parts[0])
            .unwrap_or_else(|| panic!("seed {seed}: the snapshot at {split} does not read"))
            .with_clocks(clocks);
        assert_eq!(back, state, "seed {seed}: snapshot at split {split}");
        for e in b {
            state.apply(e);
            back.apply(e);
        }
        assert_eq!(
            state, whole,
            "seed {seed}: fold(a ++ b) differs at split {split}"
        );
        assert_eq!(back, whole, "seed {seed}: snapshot at {split}, then b");
    }
    whole
}

#[test]
fn folding_any_journal_is_incremental_and_deterministic() {
    for seed in 0..300 {
        let mut rng = Rng(seed);
        let entries = any_entries(&mut rng);
        let state = check_incremental(seed, &entries);
        assert_eq!(state.entries, entries.len() as u64, "seed {seed}");
        let unreadable = entries.iter().filter(|e| e.event.is_none()).count();
        assert_eq!(state.unreadable, unreadable as u64, "seed {seed}");
        assert_eq!(state.last_seq, entries.last().map(|e| e.seq), "seed {seed}");
    }
}

/// What seeded journals fold into, as fold snapshots hold it, is pinned
/// with [`SNAPSHOT_FORMAT`]: a change to the fold or the state that changes
/// it fails here until the format is bumped (so that snapshots kept by the
/// older fold are not read as the newer one's) and the digest pinned again.
#[test]
fn what_fold_snapshots_hold_is_pinned_to_their_format() {
    use sha2::{Digest as _, Sha256};
    let mut digest = Sha256::new();
    for seed in 0..100 {
        let state = ResponseState::fold(&any_entries(&mut Rng(seed)));
        for part in snapshot(seed, &state, 3) {
            digest.update(&part);
        }
    }
    let digest = crate::journal::digest_hex(&digest.finalize());
    assert_eq!(
        (super::SNAPSHOT_FORMAT, digest.as_str()),
        (
            1,
            "183f535e4cb14f67961ab32ff6c0017e4c5410a83e27ba7ddef07726df4a3f81"
        ),
        "the fold or the state changed: bump SNAPSHOT_FORMAT and pin the new digest"
    );
}

/// A random command, mostly about runbooks and steps that exist.
fn any_command(rng: &mut Rng, sim: &Sim, ids: &[String]) -> Command {
    let runbook = rng.pick(ids).clone();
    let rb = sim.runbooks.iter().find(|r| r.id == runbook);
    let step = match rb {
        Some(rb) if !rb.steps.is_empty() && !rng.chance(3) => {
            // Favour the current step, as a responder would.
            match current_step(&sim.state, rb) {
                Some(s) if rng.chance(60) => s.id.clone(),
                _ => rng.pick(&rb.steps).id.clone(),
            }
        }
        _ => "missing".to_owned(),
    };
    let at = StepRef::new(runbook.clone(), step);
    match rng.below(14) {
        0 => Command::OpenRunbook {
            runbook,
            pin: RunbookPin {
                blob: Some(format!("blob-{}", rng.below(2))),
                trust: "not checked".to_owned(),
                ..RunbookPin::default()
            },
        },
        1 => Command::Start(at),
        2..=4 => Command::Done(at),
        5 => Command::Skip {
            step: at,
            reason: rng.reason(),
        },
        6 => {
            let checks = rb
                .and_then(|r| r.step(&at.step))
                .map_or(0, |s| s.checks.len());
            Command::Tick {
                step: at,
                check: rng.below(checks + 1),
            }
        }
        7 | 8 => {
            // Mostly a decision step, as a screen would offer.
            let decisions: Vec<&str> = rb
                .map(|r| {
                    r.steps
                        .iter()
                        .filter(|s| s.decision.is_some())
                        .map(|s| s.id.as_str())
                        .collect()
                })
                .unwrap_or_default();
            let step = match decisions.is_empty() || rng.chance(20) {
                true => at,
                false => StepRef::new(at.runbook, *rng.pick(&decisions)),
            };
            Command::Decide {
                step,
                option: rng.below(3),
                rationale: rng.reason(),
            }
        }
        9 => Command::Block {
            step: at,
            reason: rng.reason(),
        },
        10 => Command::Unblock(at),
        11 => Command::Note {
            text: rng.text(),
            happened_at: rng
                .chance(30)
                .then(|| (sim.now + TimeDelta::minutes(rng.below(120) as i64 - 90)).fixed_offset()),
        },
        12 => Command::Correct {
            of: rng.below(sim.entries.len() + 2) as u64,
            replacement: rng.text(),
        },
        _ => {
            if rng.chance(10) {
                Command::EndSession { reason: None }
            } else {
                Command::ChangeActor {
                    name: (*rng.pick(&["Sam", "Alex", ""])).to_owned(),
                    role: "Incident Lead".to_owned(),
                }
            }
        }
    }
}

#[test]
fn any_journal_replays_to_any_seq_and_scores_without_panicking() {
    use crate::exercise::{ClockStatus, replay::Seeker, schedule, score, testkit::exercise};
    let ex = exercise();
    for seed in 0..200 {
        let mut rng = Rng(seed);
        let mut entries = any_entries(&mut rng);
        // Seeking assumes journal order; a journal is in seq order on disk.
        entries.sort_by_key(|e| e.seq);
        let seeker = Seeker::new(entries.clone(), 1 + rng.below(7));
        for seq in 0..=entries.len() as u64 + 1 {
            let direct = ResponseState::fold(entries.iter().filter(|e| e.seq <= seq));
            let state = seeker.at(seq);
            assert_eq!(state, direct, "seed {seed} seq {seq}");
            let status = ClockStatus::of(&state);
            assert!((1..=60).contains(&status.speed.get()), "seed {seed}");
            let card = score(&ex, &state);
            assert_eq!(card.injects.len(), ex.injects.len(), "seed {seed}");
            let _ = schedule::due(&ex, &state, u64::MAX);
        }
    }
}

#[test]
fn journals_written_through_decide_fold_without_anomalies() {
    let runbooks = crate::samples::parsed_runbooks();
    assert!(runbooks.len() >= 8, "the sample runbooks parse");
    let all: Vec<String> = runbooks.iter().map(|r| r.id.clone()).collect();
    let mut worked = 0;
    for seed in 0..48 {
        let mut rng = Rng(seed);
        let mut sim = Sim::with(runbooks.clone());
        // Three runbooks at a time, and one the library does not have.
        let mut ids: Vec<String> = (0..3).map(|_| rng.pick(&all).clone()).collect();
        ids.push("cyber/not-in-library".to_owned());
        for _ in 0..120 {
            sim.now += TimeDelta::minutes(rng.below(90) as i64);
            if rng.chance(15) {
                for e in due_breaches(&sim.state, sim.now) {
                    sim.push(e);
                }
                assert!(due_breaches(&sim.state, sim.now).is_empty(), "seed {seed}");
            }
            let command = any_command(&mut rng, &sim, &ids);
            match decide(&sim.state, &sim.runbooks, &command, sim.now) {
                Ok(events) => {
                    assert!(!events.is_empty(), "seed {seed}: {command:?} gave nothing");
                    for e in events {
                        sim.push(e);
                    }
                }
                Err(e) => assert!(!e.to_string().is_empty()),
            }
            if rng.chance(5) {
                // A resume: the process was killed and started again.
                sim.push(session(true));
            }
        }
        assert_eq!(
            sim.state.anomalies,
            [],
            "seed {seed}: decide wrote something the fold finds odd"
        );
        assert_eq!(
            definition_anomalies(&sim.state, &sim.runbooks),
            [],
            "seed {seed}"
        );
        let folded = check_incremental(seed, &sim.entries);
        assert_eq!(
            folded, sim.state,
            "seed {seed}: resume differs from the live state"
        );
        for open in &sim.state.runbooks {
            let Some(rb) = sim.runbooks.iter().find(|r| r.id == open.id) else {
                continue;
            };
            if let Some(step) = current_step(&sim.state, rb) {
                assert!(
                    !sim.state.status(&rb.id, &step.id).is_finished(),
                    "seed {seed}: current step `{}` is finished",
                    step.id
                );
            }
        }
        // Count runs where work was done: the generator is not stuck on refusals.
        worked += usize::from(
            sim.state
                .runbooks
                .iter()
                .any(|r| r.steps.values().any(|s| s.status == StepStatus::Done)),
        );
    }
    assert!(worked >= 40, "steps were done in only {worked} of 48 runs");
}
