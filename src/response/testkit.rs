//! Test helpers: a small runbook with every kind of flow, and a simulated
//! journal in memory that decides commands and folds what they become, as the
//! screen will (but with made-up seqs and hashes, and a clock that only moves
//! when told).

use chrono::{DateTime, TimeDelta, TimeZone as _, Utc};

use super::{Command, CommandError, ResponseState, RunbookPin, decide};
use crate::journal::{Actor, Entry, Event};
use crate::runbook::Runbook;

/// A runbook whose flow has a decision, a `next`, a branch to the end and
/// three clocks (one starting on a decision, one met by a step that may be
/// done before the clock starts).
pub const FLOW: &str = r#"
format = 1
id = "t/flow"
title = "Test flow"
kind = "cyber"
severity = "high"
owner = "ICT Security Lead"
reviewed = 2026-01-01
review_every_months = 120
summary = "A small flow for the response tests."

[[clocks]]
id = "ico"
label = "Report to the ICO"
due_after = "72h"
starts_on = "assess"
met_by = "report"

[[clocks]]
id = "callback"
label = "Call the reporter back"
due_after = "1h"
starts_on = "triage"
met_by = "notify"

[[clocks]]
id = "after"
label = "Confirm triage in writing"
due_after = "2h"
starts_on = "notify"
met_by = "triage"

[[steps]]
id = "triage"
title = "Triage"
do = "Look at it."
checks = ["Seen", "Written down"]
expect_within = "15m"

[[steps]]
id = "assess"
title = "Is personal data affected?"
[steps.decision]
question = "Could personal data be affected?"
options = [
  { label = "Yes or unsure", goto = "notify" },
  { label = "No", goto = "end" },
]

[[steps]]
id = "notify"
title = "Tell the DPO"
do = "Call the DPO."
checks = ["DPO told"]

[[steps]]
id = "report"
title = "Report to the ICO"
do = "Report."
next = "wrap"

[[steps]]
id = "wrap"
title = "Wrap up"
do = "Debrief."
"#;

/// The id of [`FLOW`].
pub const RB: &str = "t/flow";

/// Parses a runbook text that must be valid.
pub fn parse(text: &str, id: &str) -> Runbook {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 6).unwrap();
    let checked = crate::runbook::check("test.toml", text, id, today);
    match checked.runbook {
        Some(r) => r,
        None => panic!("invalid test runbook: {:#?}", checked.diagnostics),
    }
}

/// [`FLOW`], parsed.
pub fn flow() -> Runbook {
    parse(FLOW, RB)
}

/// 2026-03-06 14:00 UTC, a Friday afternoon.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 6, 14, 0, 0).unwrap()
}

/// An actor.
pub fn actor(name: &str) -> Actor {
    Actor {
        name: name.to_owned(),
        role: "Incident Lead".to_owned(),
    }
}

/// An entry as a journal would hand it back.
pub fn entry(seq: u64, at: DateTime<Utc>, event: Option<Event>) -> Entry {
    Entry {
        seq,
        session: 1,
        at,
        offset: "+00:00".to_owned(),
        mono_ms: seq * 1000,
        ex_t: None,
        actor: event.as_ref().map(|_| actor("Sam")),
        event,
        hash: format!("{seq:064x}"),
        byte_offset: seq * 100,
    }
}

/// A session start.
pub fn session(resumed: bool) -> Event {
    Event::SessionStarted {
        library: Some("/lib".to_owned()),
        grabbag: "0.1.0".to_owned(),
        host: "laptop".to_owned(),
        incident: Some("Ransomware in revenues".to_owned()),
        exercise: None,
        plaintext: true,
        resumed,
    }
}

/// A journal in memory.
pub struct Sim {
    /// The runbooks commands are checked against.
    pub runbooks: Vec<Runbook>,
    /// Every entry so far.
    pub entries: Vec<Entry>,
    /// The fold of `entries`, kept up to date entry by entry.
    pub state: ResponseState,
    /// The clock: one minute passes per entry.
    pub now: DateTime<Utc>,
}

impl Sim {
    /// A journal whose first session has started, with [`FLOW`] available.
    pub fn new() -> Self {
        Self::with(vec![flow()])
    }

    /// A journal whose first session has started, with these runbooks.
    pub fn with(runbooks: Vec<Runbook>) -> Self {
        let mut sim = Self {
            runbooks,
            entries: Vec::new(),
            state: ResponseState::new(),
            now: t0(),
        };
        sim.push(session(false));
        sim
    }

    /// [`Sim::new`] with [`FLOW`] opened.
    pub fn opened() -> Self {
        let mut sim = Self::new();
        sim.run(&open(RB)).unwrap();
        sim
    }

    /// Appends an event; returns its seq.
    pub fn push(&mut self, event: Event) -> u64 {
        self.push_entry(Some(event))
    }

    /// Appends an entry with this body (`None`: unreadable).
    pub fn push_entry(&mut self, event: Option<Event>) -> u64 {
        let seq = self.entries.len() as u64 + 1;
        let e = entry(seq, self.now, event);
        self.state.apply(&e);
        self.entries.push(e);
        self.now += TimeDelta::minutes(1);
        seq
    }

    /// Decides a command and appends what it becomes; returns those events.
    pub fn run(&mut self, command: &Command) -> Result<Vec<Event>, CommandError> {
        let events = decide(&self.state, &self.runbooks, command, self.now)?;
        for e in &events {
            self.push(e.clone());
        }
        Ok(events)
    }

    /// The message of a refused command (panics if accepted).
    pub fn refuse(&mut self, command: &Command) -> String {
        match decide(&self.state, &self.runbooks, command, self.now) {
            Ok(events) => panic!("accepted {command:?}: {events:?}"),
            Err(e) => e.to_string(),
        }
    }
}

/// Opening a runbook at a fixed version.
pub fn open(id: &str) -> Command {
    Command::OpenRunbook {
        runbook: id.to_owned(),
        pin: RunbookPin {
            commit: Some("c0ffee".to_owned()),
            blob: Some("b10b".to_owned()),
            dirty: false,
            unencrypted: false,
            trust: "signed by ict-security".to_owned(),
        },
    }
}
