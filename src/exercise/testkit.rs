//! Test helpers: a small exercise on the response tests' runbook, and a run
//! built entry by entry with exercise times, folded as a journal would be.

use chrono::TimeDelta;

use super::Exercise;
use crate::journal::{Actor, Entry, Event};
use crate::response::ResponseState;
use crate::response::testkit::{RB, entry, flow, t0};

/// An exercise on `t/flow` with one inject of each trigger kind and one
/// expectation of each kind.
pub const EXERCISE: &str = r#"
format = 1
id = "t/drill"
title = "Drill"
brief = "Something odd on a Friday."
audience = "Silver"
duration = "60m"
runbooks = ["t/flow"]
lessons_prompts = ["What surprised you?"]

[[objectives]]
id = "triage"
text = "Triage quickly"

[[objectives]]
id = "report"
text = "Decide on reporting"

[[participants]]
role = "Incident Lead"

[[participants]]
role = "Comms"

[[participants]]
role = "Observer"
kind = "observer"

[[injects]]
id = "open"
at = "0m"
from = "Service desk"
channel = "phone"
text = "Screens are showing a ransom note."

[[injects.expect]]
id = "triaged"
kind = "step_done"
runbook = "t/flow"
step = "triage"
within = "15m"
weight = 2
objectives = ["triage"]

[[injects.expect]]
id = "assessed"
kind = "decision"
runbook = "t/flow"
step = "assess"
option = "Yes or unsure"
within = "30m"
objectives = ["report"]

[[injects]]
id = "call"
after = "open"
delay = "5m"
from = "Journalist"
channel = "press"
text = "Is it true?"

[[injects.expect]]
id = "holding"
kind = "note"
role = "Comms"
contains = "holding statement"
within = "10m"
objectives = ["report"]

[[injects]]
id = "press"
at = "15m"
from = "Local radio"
channel = "radio"
text = "We are going live at six."

[[injects.expect]]
id = "judged"
kind = "manual"
description = "Spokesperson briefed"

[[injects]]
id = "dpo"
on = "step_done"
runbook = "t/flow"
step = "triage"
delay = "2m"
from = "DPO"
channel = "email"
text = "Is personal data involved?"
"#;

/// [`EXERCISE`], parsed (without runbook checks).
pub fn exercise() -> Exercise {
    let checked = super::check("drill.toml", EXERCISE, "t/drill", None);
    match checked.exercise {
        Some(e) => e,
        None => panic!("invalid test exercise: {:#?}", checked.diagnostics),
    }
}

/// A run of [`EXERCISE`]: entries with exercise times, and their fold.
pub struct Run {
    /// Every entry so far.
    pub entries: Vec<Entry>,
    /// Their fold.
    pub state: ResponseState,
}

impl Run {
    /// A session started, the exercise started at T+0, `t/flow` opened.
    pub fn new() -> Self {
        let mut run = Self {
            entries: Vec::new(),
            state: ResponseState::new(),
        };
        run.push(
            "Incident Lead",
            0,
            Event::SessionStarted {
                library: None,
                grabbag: "0.1.0".to_owned(),
                host: "laptop".to_owned(),
                incident: None,
                exercise: Some("t/drill".to_owned()),
                plaintext: true,
                resumed: false,
            },
        );
        let ex = exercise();
        run.push(
            "Facilitator",
            0,
            super::clock::started_event(&ex, EXERCISE, super::Speed::REAL_TIME, false),
        );
        run.push(
            "Incident Lead",
            0,
            Event::RunbookOpened {
                runbook: RB.to_owned(),
                title: flow().title,
                commit: Some("c0ffee".to_owned()),
                blob: Some("b10b".to_owned()),
                dirty: false,
                unencrypted: true,
                trust: "not checked".to_owned(),
            },
        );
        run
    }

    /// Appends an event by someone in `role` at exercise time `ex_t`; returns its seq.
    pub fn push(&mut self, role: &str, ex_t: u64, event: Event) -> u64 {
        let seq = self.entries.len() as u64 + 1;
        let at = t0() + TimeDelta::milliseconds(i64::try_from(ex_t).unwrap_or(0));
        let mut e = entry(seq, at, Some(event));
        e.ex_t = Some(ex_t);
        e.actor = Some(Actor {
            name: format!("{role} player"),
            role: role.to_owned(),
        });
        self.state.apply(&e);
        self.entries.push(e);
        seq
    }

    /// The facilitator delivers inject `id`.
    pub fn deliver(&mut self, id: &str, ex_t: u64) -> u64 {
        self.push(
            "Facilitator",
            ex_t,
            Event::InjectDelivered {
                inject: id.to_owned(),
                from: "someone".to_owned(),
                channel: "phone".to_owned(),
                text: "text".to_owned(),
                to: None,
            },
        )
    }

    /// A step of `t/flow` started.
    pub fn step_started(&mut self, step: &str, ex_t: u64) -> u64 {
        let (runbook, step) = (RB.to_owned(), step.to_owned());
        self.push("Incident Lead", ex_t, Event::StepStarted { runbook, step })
    }

    /// A step of `t/flow` done.
    pub fn step_done(&mut self, step: &str, ex_t: u64) -> u64 {
        let (runbook, step) = (RB.to_owned(), step.to_owned());
        self.push("Incident Lead", ex_t, Event::StepDone { runbook, step })
    }

    /// The `assess` decision of `t/flow`.
    pub fn decide(&mut self, option: &str, ex_t: u64) -> u64 {
        self.push(
            "Incident Lead",
            ex_t,
            Event::Decision {
                runbook: RB.to_owned(),
                step: "assess".to_owned(),
                option: option.to_owned(),
                goto: "notify".to_owned(),
                rationale: "because".to_owned(),
            },
        )
    }

    /// A note by someone in `role`.
    pub fn note(&mut self, role: &str, text: &str, ex_t: u64) -> u64 {
        self.push(
            role,
            ex_t,
            Event::Note {
                text: text.to_owned(),
                happened_at: None,
            },
        )
    }
}
