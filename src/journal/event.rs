//! What a journal records: typed events and who did them.
//!
//! Events are facts, in the past tense: a step was done, a decision was taken
//! with this rationale. A response's state is the fold of these events (see
//! `crate::response`), so every field a screen or a report needs must be here.
//! Serialised as JSON objects tagged by `type` in snake case; new variants may
//! be added, existing ones never change meaning. An event of a type (or with
//! fields) this version does not know reads as [`Event::Unknown`], never as
//! an error: see `docs/journal-format.md`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Who is at the keyboard (or whom a loggist writes for).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Person's name.
    pub name: String,
    /// Their role in the response, e.g. "Incident Lead (Silver)".
    pub role: String,
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// A session began (first entry, and each resume).
    SessionStarted {
        /// The library in use, if any.
        library: Option<String>,
        /// grabbag's version.
        grabbag: String,
        /// The machine's host name.
        host: String,
        /// The incident's name, as the responder gave it.
        incident: Option<String>,
        /// The exercise id, when this is an exercise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exercise: Option<String>,
        /// True when the journal was explicitly created unencrypted (`--plaintext`).
        plaintext: bool,
        /// True when this session resumes an existing journal.
        resumed: bool,
    },
    /// A runbook was opened, pinned to the version followed.
    RunbookOpened {
        /// Runbook id.
        runbook: String,
        /// Title at the time.
        title: String,
        /// Last commit that changed the file.
        commit: Option<String>,
        /// Blob id at HEAD.
        blob: Option<String>,
        /// The file differed from HEAD.
        dirty: bool,
        /// The file was a plaintext draft.
        unencrypted: bool,
        /// Trust, as text ("signed by …", "UNTRUSTED: …", "not checked").
        trust: String,
    },
    /// Work began on a step.
    StepStarted {
        /// Runbook id.
        runbook: String,
        /// Step id.
        step: String,
    },
    /// A step was completed.
    StepDone {
        /// Runbook id.
        runbook: String,
        /// Step id.
        step: String,
    },
    /// A step was skipped, with the reason.
    StepSkipped {
        /// Runbook id.
        runbook: String,
        /// Step id.
        step: String,
        /// Why (required).
        reason: String,
    },
    /// A step cannot proceed, with the reason.
    StepBlocked {
        /// Runbook id.
        runbook: String,
        /// Step id.
        step: String,
        /// What it is waiting for.
        reason: String,
    },
    /// A blocked step can proceed again.
    StepUnblocked {
        /// Runbook id.
        runbook: String,
        /// Step id.
        step: String,
    },
    /// A check of a step was ticked.
    CheckTicked {
        /// Runbook id.
        runbook: String,
        /// Step id.
        step: String,
        /// Index of the check in the step.
        check: usize,
        /// Its text at the time.
        text: String,
    },
    /// A tick given by mistake was taken back (the tick stays in the
    /// journal, as a struck-through line stays on paper).
    CheckUnticked {
        /// Runbook id.
        runbook: String,
        /// Step id.
        step: String,
        /// Index of the check in the step.
        check: usize,
    },
    /// A decision was taken, with the option chosen and why.
    Decision {
        /// Runbook id.
        runbook: String,
        /// The decision step.
        step: String,
        /// The option's label.
        option: String,
        /// Where it leads (step id or "end").
        goto: String,
        /// Why (required).
        rationale: String,
    },
    /// Free text, optionally about an earlier moment.
    Note {
        /// The note.
        text: String,
        /// When it happened, if not now (RFC 3339).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        happened_at: Option<String>,
    },
    /// A deadline started.
    ClockStarted {
        /// Runbook id.
        runbook: String,
        /// Clock id.
        clock: String,
        /// What must happen by then.
        label: String,
        /// Due time, RFC 3339 UTC.
        due_at: String,
        /// What the deadline counts from when it is not this entry (the
        /// time of awareness): a correction of that time moves it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        anchor: Option<ClockAnchor>,
        /// The case whose clock this is (each case's clocks run on their
        /// own); none for the response's clocks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        case: Option<String>,
        /// What an ad-hoc deadline rests on (a runbook's clock says it in
        /// the runbook).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        basis: Option<String>,
    },
    /// When the council became aware of the incident, given or corrected:
    /// deadlines that count from awareness (the ICO's 72 hours) count from
    /// the latest such entry, and the journal keeps every earlier one.
    Awareness {
        /// The time of awareness, RFC 3339 with the offset it was given in.
        at: String,
        /// Why this time (who said so, or that it is a correction).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A deadline was met.
    ClockMet {
        /// Runbook id.
        runbook: String,
        /// Clock id.
        clock: String,
        /// The case, for a case's clock.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        case: Option<String>,
    },
    /// A deadline passed unmet.
    ClockBreached {
        /// Runbook id.
        runbook: String,
        /// Clock id.
        clock: String,
        /// The case, for a case's clock.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        case: Option<String>,
    },
    /// A case arrived (a referral, a household, a request): its fields are
    /// encrypted with the rest of the entry.
    CaseAdded {
        /// The runbook whose register it joins.
        runbook: String,
        /// The case kind the runbook declares.
        kind: String,
        /// The case's reference, unique in the journal.
        reference: String,
        /// When it was received, RFC 3339 (its clocks count from then).
        received_at: String,
        /// The fields given, by name.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        fields: BTreeMap<String, String>,
    },
    /// An item of a case's checklist was done.
    CaseStepDone {
        /// The case's reference.
        reference: String,
        /// The checklist item's id.
        step: String,
    },
    /// A case was keyed back into the line-of-business system.
    CaseKeyed {
        /// The case's reference.
        reference: String,
    },
    /// Someone else took the keyboard.
    ActorChanged {
        /// The new actor.
        name: String,
        /// Their role.
        role: String,
    },
    /// An earlier entry is corrected: never erased, only corrected.
    Correction {
        /// The seq of the entry corrected.
        of: u64,
        /// What it should have said, and why.
        replacement: String,
    },
    /// Someone signed in to an exercise: who they are, the role they play
    /// or watch, their team, and in which capacity (so no facilitator's or
    /// observer's entry is ever read as a player's).
    SignedIn {
        /// Person's name.
        name: String,
        /// The role, as the exercise lists it.
        role: String,
        /// Their team, if play is by teams.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        team: Option<String>,
        /// player, facilitator or observer.
        capacity: String,
    },
    /// An exercise inject was delivered to the players.
    InjectDelivered {
        /// Inject id ("" for an unscripted one).
        inject: String,
        /// Where it came from.
        from: String,
        /// How: phone, email, walk-in, press...
        channel: String,
        /// What it said.
        text: String,
        /// The team or role it was aimed at; everyone when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
    },
    /// An exercise expectation was scored.
    ExpectationScored {
        /// Inject id.
        inject: String,
        /// Expectation id or index.
        expectation: String,
        /// met, late, missed or partial.
        score: String,
        /// The entry that proves it, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        evidence: Option<u64>,
        /// What the facilitator saw, in words (required of new scores).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// An exercise began: T+0, with the definition played (its digest pins
    /// the version, as `runbook_opened` pins a runbook's).
    ExerciseStarted {
        /// Exercise id.
        exercise: String,
        /// Its title at the time.
        title: String,
        /// SHA-256 (hex) of the exercise file's text.
        digest: String,
        /// Speed the clock starts at (1 to 60; 1 is real time).
        speed: u32,
        /// True when injects are released by hand only.
        manual: bool,
    },
    /// The exercise clock was paused, resumed, changed speed or mode, or
    /// stopped: enough to rebuild the clock at any point of the journal.
    ExerciseClock {
        /// What changed.
        change: ClockChange,
        /// Exercise time at the change, ms since T+0.
        ex_t: u64,
        /// Speed after the change (1 to 60).
        speed: u32,
        /// True when the clock is in manual mode after the change.
        manual: bool,
    },
    /// A lesson learned, recorded at the hot debrief.
    LessonRecorded {
        /// went_well, did_not_go_well or action.
        category: LessonCategory,
        /// The lesson, or the action to take.
        text: String,
        /// Who owns the action (actions only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<String>,
        /// When the action is due, as written (actions only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<String>,
    },
    /// The session ended normally.
    SessionEnded {
        /// Why, if given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// An event this version does not know: a type added by a newer grabbag,
    /// or a known type with fields this version does not have. Journals
    /// travel between laptops running different versions, so such an entry
    /// is kept exactly as stored (the chain is over its bytes), shown as
    /// "unknown event (newer version)", and changes nothing in the state.
    /// Untagged and last: serde tries every known variant first.
    #[serde(untagged)]
    Unknown(UnknownEvent),
}

/// The fields of an event this version does not know, as stored, `type`
/// included; written back as the same JSON value (e.g. in a JSON export).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "serde_json::Map<String, serde_json::Value>")]
pub struct UnknownEvent {
    #[serde(flatten)]
    fields: serde_json::Map<String, serde_json::Value>,
}

impl TryFrom<serde_json::Map<String, serde_json::Value>> for UnknownEvent {
    type Error = &'static str;

    /// Only an object with a `type` string is an event at all.
    fn try_from(fields: serde_json::Map<String, serde_json::Value>) -> Result<Self, Self::Error> {
        if fields.get("type").is_some_and(serde_json::Value::is_string) {
            Ok(Self { fields })
        } else {
            Err("an event needs a `type`")
        }
    }
}

impl UnknownEvent {
    /// The event's type as stored.
    pub fn type_name(&self) -> &str {
        self.fields
            .get("type")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
    }
}

/// How the exercise clock changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockChange {
    /// Stopped: exercise time stands still.
    Paused,
    /// Running again.
    Resumed,
    /// Now runs at another speed.
    Speed,
    /// Switched to manual mode (time moves only when the facilitator moves it)
    /// or back to running (`manual` false).
    Mode,
    /// Moved forward by hand (manual mode: the facilitator fired an inject early).
    Jumped,
    /// Play ended (lessons learned follow).
    Ended,
    /// NO DUTY: play suspended because a real incident needs the players;
    /// `resumed` takes it up again where it stood.
    NoDuty,
}

impl ClockChange {
    /// The word stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockChange::Paused => "paused",
            ClockChange::Resumed => "resumed",
            ClockChange::Speed => "speed",
            ClockChange::Mode => "mode",
            ClockChange::Jumped => "jumped",
            ClockChange::Ended => "ended",
            ClockChange::NoDuty => "no_duty",
        }
    }

    /// The change in words, as the journal pane and the report say it
    /// ("ended" is ENDEX, "no_duty" is NO DUTY, as the room calls them).
    pub fn words(self) -> &'static str {
        match self {
            ClockChange::Ended => "ended at ENDEX",
            ClockChange::NoDuty => "stopped for NO DUTY",
            other => other.as_str(),
        }
    }
}

/// What a lesson learned is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LessonCategory {
    /// Went well: keep doing it.
    WentWell,
    /// Did not go well.
    DidNotGoWell,
    /// An action to take, with an owner.
    Action,
}

impl LessonCategory {
    /// The kind a facilitator wrote: `went well`, `did not go well` or
    /// `action` (case and underscores aside); `None` for anything else,
    /// a misspelling included, so nothing is filed under a guess.
    pub fn parse(text: &str) -> Option<Self> {
        let words = text.trim().to_lowercase().replace(['_', '-'], " ");
        let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
        [Self::WentWell, Self::DidNotGoWell, Self::Action]
            .into_iter()
            .find(|c| c.as_str().replace('_', " ") == words)
    }

    /// The word stored.
    pub fn as_str(self) -> &'static str {
        match self {
            LessonCategory::WentWell => "went_well",
            LessonCategory::DidNotGoWell => "did_not_go_well",
            LessonCategory::Action => "action",
        }
    }
}

/// What a deadline counts from, other than the entry that started it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockAnchor {
    /// The moment: `awareness`, the incident's time of awareness.
    pub from: String,
    /// Seconds allowed after it.
    pub after_s: u64,
}

impl Event {
    /// True for the events that set the clocks a one-shot writer is judged
    /// by: session starts (a resume holds the exercise clock) and the
    /// exercise's start and clock changes. The `.tail` record keeps these.
    pub fn sets_clocks(&self) -> bool {
        matches!(
            self,
            Event::SessionStarted { .. }
                | Event::ExerciseStarted { .. }
                | Event::ExerciseClock { .. }
        )
    }

    /// Every type name [`Event::kind`] gives, `unknown` included.
    pub const KINDS: [&'static str; 28] = [
        "session_started",
        "runbook_opened",
        "step_started",
        "step_done",
        "step_skipped",
        "step_blocked",
        "step_unblocked",
        "check_ticked",
        "check_unticked",
        "decision",
        "note",
        "clock_started",
        "awareness",
        "clock_met",
        "clock_breached",
        "case_added",
        "case_step_done",
        "case_keyed",
        "actor_changed",
        "correction",
        "signed_in",
        "inject_delivered",
        "expectation_scored",
        "exercise_started",
        "exercise_clock",
        "lesson_recorded",
        "session_ended",
        "unknown",
    ];

    /// The event's type name as stored (`step_done`...).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::SessionStarted { .. } => "session_started",
            Event::RunbookOpened { .. } => "runbook_opened",
            Event::StepStarted { .. } => "step_started",
            Event::StepDone { .. } => "step_done",
            Event::StepSkipped { .. } => "step_skipped",
            Event::StepBlocked { .. } => "step_blocked",
            Event::StepUnblocked { .. } => "step_unblocked",
            Event::CheckTicked { .. } => "check_ticked",
            Event::CheckUnticked { .. } => "check_unticked",
            Event::Decision { .. } => "decision",
            Event::Note { .. } => "note",
            Event::ClockStarted { .. } => "clock_started",
            Event::Awareness { .. } => "awareness",
            Event::ClockMet { .. } => "clock_met",
            Event::ClockBreached { .. } => "clock_breached",
            Event::CaseAdded { .. } => "case_added",
            Event::CaseStepDone { .. } => "case_step_done",
            Event::CaseKeyed { .. } => "case_keyed",
            Event::ActorChanged { .. } => "actor_changed",
            Event::Correction { .. } => "correction",
            Event::SignedIn { .. } => "signed_in",
            Event::InjectDelivered { .. } => "inject_delivered",
            Event::ExpectationScored { .. } => "expectation_scored",
            Event::ExerciseStarted { .. } => "exercise_started",
            Event::ExerciseClock { .. } => "exercise_clock",
            Event::LessonRecorded { .. } => "lesson_recorded",
            Event::SessionEnded { .. } => "session_ended",
            Event::Unknown(_) => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lesson_kind_is_one_of_three_as_written_never_a_guess() {
        for (text, kind) in [
            ("went well", Some(LessonCategory::WentWell)),
            (" Went_Well ", Some(LessonCategory::WentWell)),
            ("did not go well", Some(LessonCategory::DidNotGoWell)),
            ("did_not_go_well", Some(LessonCategory::DidNotGoWell)),
            ("ACTION", Some(LessonCategory::Action)),
            ("wnet well", None),
            ("w", None),
            ("actions", None),
            ("", None),
        ] {
            assert_eq!(LessonCategory::parse(text), kind, "{text:?}");
        }
    }

    #[test]
    fn events_of_a_newer_version_read_as_unknown_and_write_back_unchanged() {
        let newer = r#"{"type":"photo_attached","sha256":"ab","caption":"door"}"#;
        let event: Event = serde_json::from_str(newer).unwrap();
        let Event::Unknown(unknown) = &event else {
            panic!("{event:?}")
        };
        assert_eq!(unknown.type_name(), "photo_attached");
        assert_eq!(event.kind(), "unknown");
        // The same value (keys may come back in another order).
        let back: serde_json::Value = serde_json::to_value(&event).unwrap();
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(newer).unwrap()
        );
        // A known type with a field this version lacks is unknown too: its
        // meaning may depend on the field.
        let extra: Event = serde_json::from_str(r#"{"type":"note","text":"x","tags":[]}"#).unwrap();
        assert!(matches!(&extra, Event::Unknown(u) if u.type_name() == "note"));
        // Known events still read as themselves.
        let note: Event = serde_json::from_str(r#"{"type":"note","text":"x"}"#).unwrap();
        assert!(matches!(note, Event::Note { .. }));
        // Without a `type` it is no event at all.
        assert!(serde_json::from_str::<Event>(r#"{"text":"x"}"#).is_err());
        assert!(serde_json::from_str::<Event>(r#"{"type":7}"#).is_err());
    }
}
