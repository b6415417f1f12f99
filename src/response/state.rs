//! The state of a response, built only by folding journal entries.
//!
//! Principle 7 ("the log is the state"): there is no other way to build a
//! [`ResponseState`] than [`ResponseState::apply`] on entries in journal
//! order, so resuming after a crash, replaying to a moment for a debrief,
//! scoring an exercise and an auditor's review all see the same state for the
//! same entries. The state owns all it holds (no borrows into the journal), so a
//! screen can keep it while the journal grows.
//!
//! A journal is outside input: it may come from another machine, be merged by
//! hand or have been written by an older grabbag. Folding never fails and never
//! panics. Entries that cannot be read (encrypted, no key) are counted as
//! unreadable; events that make no sense here (a step of a runbook never
//! opened, a block lifted that was never set) become [`Anomaly`]s with the seq
//! that caused them. Step states move as the journal says, even through a
//! transition [`decide`](super::decide) would have refused (the anomaly says
//! so); clock facts (started, met, breached) happen once, so the first entry
//! stating each one wins and a repeat is only an anomaly.
//!
//! A correction never changes what it corrects: like a line struck through on a
//! paper log, the corrected entry stays and the state marks it corrected
//! ([`ResponseState::corrections`]).
//!
//! The notes, the one part of a state that grows with every entry of a long
//! journal, are held behind [`Arc`]: a clone of the state (a replay's seek
//! checkpoints, issue 24) shares them instead of copying each note's text
//! and author, so a few checkpoints of a 300,000-entry journal cost pointers,
//! not copies.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::journal::{Actor, ClockAnchor, ClockChange, Entry, Event, LessonCategory};
use crate::runbook::AWARENESS;

/// The entry that recorded something: when, by whom, at what exercise time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// The entry's seq.
    pub seq: u64,
    /// Its wall-clock time (UTC).
    #[serde(deserialize_with = "utc_time")]
    pub at: DateTime<Utc>,
    /// Its exercise time (ms since T+0), in exercises.
    pub ex_t: Option<u64>,
    /// Who was at the keyboard.
    pub actor: Option<Actor>,
}

impl Stamp {
    fn of(entry: &Entry) -> Self {
        Self {
            seq: entry.seq,
            at: entry.at,
            ex_t: entry.ex_t,
            actor: entry.actor.clone(),
        }
    }
}

/// Where a step stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StepStatus {
    /// Nothing recorded yet.
    #[default]
    Todo,
    /// Work began.
    Started,
    /// Completed (for a decision step: the decision was taken).
    Done,
    /// Passed over, with the reason.
    Skipped {
        /// Why.
        reason: String,
    },
    /// Cannot proceed, with the reason; unblocking returns to `before`.
    Blocked {
        /// What it waits for.
        reason: String,
        /// The status it had when blocked (never itself `Blocked`).
        before: Box<StepStatus>,
    },
}

impl StepStatus {
    /// A word for lists: `todo`, `started`, `done`, `skipped`, `blocked`.
    pub fn label(&self) -> &'static str {
        match self {
            StepStatus::Todo => "todo",
            StepStatus::Started => "started",
            StepStatus::Done => "done",
            StepStatus::Skipped { .. } => "skipped",
            StepStatus::Blocked { .. } => "blocked",
        }
    }

    /// True when the step needs no more work (done or skipped).
    pub fn is_finished(&self) -> bool {
        matches!(self, StepStatus::Done | StepStatus::Skipped { .. })
    }
}

/// The status every step has until the journal says otherwise.
static TODO: StepStatus = StepStatus::Todo;

/// A ticked check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tick {
    /// The check's text when ticked.
    pub text: String,
    /// The entry that ticked it.
    pub stamp: Stamp,
}

/// A decision taken at a decision step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionTaken {
    /// The option's label.
    pub option: String,
    /// Where it leads: a step id or `end`.
    pub goto: String,
    /// Why.
    pub rationale: String,
    /// The entry that recorded it.
    pub stamp: Stamp,
}

/// What the journal says about one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepState {
    /// Where it stands.
    pub status: StepStatus,
    /// The entry that last changed `status`.
    pub changed: Stamp,
    /// The first `step_started`, if any (for overrun against `expect_within`).
    pub started: Option<Stamp>,
    /// Ticked checks by index in the step.
    pub ticked: BTreeMap<usize, Tick>,
    /// The decision taken, for a decision step.
    pub decision: Option<DecisionTaken>,
    /// The first entry about this step.
    pub first_seq: u64,
}

impl StepState {
    fn new(stamp: Stamp) -> Self {
        Self {
            status: StepStatus::Todo,
            first_seq: stamp.seq,
            changed: stamp,
            started: None,
            ticked: BTreeMap::new(),
            decision: None,
        }
    }

    fn set(&mut self, status: StepStatus, stamp: &Stamp) {
        self.status = status;
        self.changed = stamp.clone();
    }
}

/// The version of a runbook followed, as `runbook_opened` recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunbookVersion {
    /// Its title then.
    pub title: String,
    /// The last commit that changed the file.
    pub commit: Option<String>,
    /// The blob id at HEAD.
    pub blob: Option<String>,
    /// The file differed from HEAD.
    pub dirty: bool,
    /// The file was a plaintext draft.
    pub unencrypted: bool,
    /// Trust, as text.
    pub trust: String,
    /// The entry that opened it.
    pub stamp: Stamp,
}

/// A runbook opened in this response, with its steps' states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenedRunbook {
    /// Runbook id.
    pub id: String,
    /// The version followed now (the latest `runbook_opened`).
    pub version: RunbookVersion,
    /// Versions opened before it, oldest first (a runbook updated mid-response).
    pub earlier: Vec<RunbookVersion>,
    /// Steps the journal mentions, by step id; others are to do.
    pub steps: BTreeMap<String, StepState>,
}

impl OpenedRunbook {
    /// The entry that first opened it.
    pub fn opened(&self) -> &Stamp {
        self.earlier
            .first()
            .map_or(&self.version.stamp, |v| &v.stamp)
    }
}

/// A deadline of a runbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockState {
    /// Runbook id.
    pub runbook: String,
    /// Clock id in the runbook.
    pub clock: String,
    /// What must happen by then.
    pub label: String,
    /// When it falls due.
    #[serde(deserialize_with = "utc_time")]
    pub due_at: DateTime<Utc>,
    /// The entry that started it.
    pub started: Stamp,
    /// The entry that met it.
    pub met: Option<Stamp>,
    /// The entry that recorded its breach.
    pub breached: Option<Stamp>,
    /// What it counts from, when not the entry that started it.
    pub anchor: Option<ClockAnchor>,
    /// Breaches recorded against an earlier due time, withdrawn when a
    /// correction of the time of awareness moved the deadline past them.
    pub withdrawn: Vec<Stamp>,
    /// The case whose clock this is; none for the response's own clocks.
    pub case: Option<String>,
    /// What an ad-hoc deadline rests on.
    pub basis: Option<String>,
}

/// The runbook id of the response's own deadlines, added during the
/// incident rather than declared by a runbook (`grabbag act deadline`).
pub const AD_HOC: &str = "";

/// A case on a runbook's register: a referral, a household, a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseState {
    /// The runbook whose register it is on.
    pub runbook: String,
    /// The case kind, as the runbook declares it.
    pub kind: String,
    /// Its reference, unique in the journal.
    pub reference: String,
    /// When it was received (its clocks count from then).
    #[serde(deserialize_with = "utc_time")]
    pub received_at: DateTime<Utc>,
    /// The fields given, by name.
    pub fields: BTreeMap<String, String>,
    /// The entry that added it (its actor is the case's owner).
    pub added: Stamp,
    /// Checklist items done, by id.
    pub done: BTreeMap<String, Stamp>,
    /// The entry that marked it keyed back into the line-of-business system.
    pub keyed: Option<Stamp>,
}

/// Where a clock stands at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStatus {
    /// Not yet due.
    Running,
    /// Past due, and no breach journaled yet (see [`due_breaches`](super::due_breaches)).
    Overdue,
    /// Past due and journaled as breached.
    Breached,
    /// Met; `late` when met after the due time.
    Met {
        /// Met after `due_at`.
        late: bool,
    },
}

impl ClockStatus {
    /// The word reports and `--json` use: `running`, `overdue`, `breached`,
    /// `met` or `met_late`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockStatus::Running => "running",
            ClockStatus::Overdue => "overdue",
            ClockStatus::Breached => "breached",
            ClockStatus::Met { late: false } => "met",
            ClockStatus::Met { late: true } => "met_late",
        }
    }
}

impl ClockState {
    /// Where the clock stands at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> ClockStatus {
        match (&self.met, &self.breached) {
            (Some(met), _) => ClockStatus::Met {
                late: met.at > self.due_at,
            },
            (None, Some(_)) => ClockStatus::Breached,
            (None, None) if now > self.due_at => ClockStatus::Overdue,
            (None, None) => ClockStatus::Running,
        }
    }
}

/// When the council became aware of the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Awareness {
    /// The time of awareness in force (the latest given).
    pub at: DateTime<Utc>,
    /// The same time in the offset it was given in, for showing it as written.
    pub given: DateTime<FixedOffset>,
    /// Why this time.
    pub reason: Option<String>,
    /// The entry that gave it.
    pub stamp: Stamp,
    /// Earlier times given, superseded, in journal order: (time, entry).
    pub earlier: Vec<(DateTime<Utc>, Stamp)>,
}

/// A note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// The entry that recorded it.
    pub stamp: Stamp,
    /// The text.
    pub text: String,
    /// When it happened, if the writer said it was not when written.
    pub happened_at: Option<DateTime<Utc>>,
}

/// A correction of an earlier entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// The correcting entry.
    pub stamp: Stamp,
    /// What the corrected entry should have said, and why.
    pub replacement: String,
}

/// An exercise inject delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InjectDelivery {
    /// The entry.
    pub stamp: Stamp,
    /// Inject id ("" when unscripted).
    pub inject: String,
    /// Where it came from.
    pub from: String,
    /// How it arrived.
    pub channel: String,
    /// What it said.
    pub text: String,
    /// The team or role it was aimed at; everyone when `None`.
    pub to: Option<String>,
}

/// Someone signed in to an exercise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    /// The entry.
    pub stamp: Stamp,
    /// Their name.
    pub name: String,
    /// The role they play or watch.
    pub role: String,
    /// Their team, if any.
    pub team: Option<String>,
    /// player, facilitator or observer.
    pub capacity: String,
}

/// An exercise expectation scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectationScore {
    /// The entry.
    pub stamp: Stamp,
    /// Inject id.
    pub inject: String,
    /// Expectation id or index.
    pub expectation: String,
    /// met, late, missed or partial.
    pub score: String,
    /// The entry that proves it.
    pub evidence: Option<u64>,
    /// What the facilitator saw, in words.
    pub comment: Option<String>,
}

/// The start of an exercise (T+0), as `exercise_started` recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseStart {
    /// The entry.
    pub stamp: Stamp,
    /// Exercise id.
    pub exercise: String,
    /// Its title then.
    pub title: String,
    /// SHA-256 of the definition played.
    pub digest: String,
    /// Speed at the start.
    pub speed: u32,
    /// Manual mode at the start.
    pub manual: bool,
}

/// A change of the exercise clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockControl {
    /// The entry.
    pub stamp: Stamp,
    /// What changed.
    pub change: ClockChange,
    /// Exercise time at the change (ms).
    pub ex_t: u64,
    /// Speed after it.
    pub speed: u32,
    /// Manual mode after it.
    pub manual: bool,
}

/// A lesson learned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lesson {
    /// The entry.
    pub stamp: Stamp,
    /// Went well, did not go well, or an action.
    pub category: LessonCategory,
    /// The text.
    pub text: String,
    /// Who owns it (actions).
    pub owner: Option<String>,
    /// When it is due, as written (actions).
    pub due: Option<String>,
}

/// Writer sessions seen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sessions {
    /// `session_started` entries.
    pub count: u32,
    /// Of those, resumes.
    pub resumed: u32,
    /// `session_ended` entries.
    pub ended: u32,
    /// Sessions that started while the one before was still open: it was
    /// killed, crashed or lost power.
    pub interrupted: u32,
    /// A session is open (started, not ended).
    pub open: bool,
    /// The entry that started the latest session.
    pub current: Option<Stamp>,
}

/// Something in the journal that does not make sense here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    /// The entry that caused it.
    pub seq: u64,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seq {}: {}", self.seq, self.message)
    }
}

/// Everything a response is, as folded from its journal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseState {
    /// The incident's name (the first one given).
    pub incident: Option<String>,
    /// The exercise id, in an exercise (the first one given).
    pub exercise: Option<String>,
    /// The library, as the latest session named it.
    pub library: Option<String>,
    /// The first session recorded an explicit choice of a plaintext journal.
    pub plaintext: bool,
    /// Who is at the keyboard: the latest `actor_changed`, or whoever started
    /// the latest session. One-shot writers (`grabbag note`) do not change it.
    pub actor: Option<Actor>,
    /// Writer sessions.
    pub sessions: Sessions,
    /// Runbooks in the order first opened.
    pub runbooks: Vec<OpenedRunbook>,
    /// Clocks in the order started (cases' clocks among them). Left out
    /// of the state's serde form: a fold snapshot keeps them in parts of
    /// their own ([`ResponseState::snapshot_part`]).
    #[serde(skip)]
    pub clocks: Vec<ClockState>,
    /// Cases, in the order added.
    pub cases: Vec<CaseState>,
    /// When the council became aware of the incident, once given.
    pub awareness: Option<Awareness>,
    /// Notes, in journal order (shared by clones of the state: see the
    /// module docs).
    pub notes: Vec<Arc<Note>>,
    /// Corrections by the seq they correct, each list in journal order.
    pub corrections: BTreeMap<u64, Vec<Correction>>,
    /// Exercise injects delivered, in journal order.
    pub injects: Vec<InjectDelivery>,
    /// Exercise sign-ins, in journal order.
    pub signed_in: Vec<SignIn>,
    /// Exercise expectation scores, in journal order.
    pub scores: Vec<ExpectationScore>,
    /// The exercise's start (the first `exercise_started`).
    pub exercise_start: Option<ExerciseStart>,
    /// Exercise clock changes, in journal order.
    pub exercise_clock: Vec<ClockControl>,
    /// Lessons learned, in journal order.
    pub lessons: Vec<Lesson>,
    /// Entries folded.
    pub entries: u64,
    /// Entries whose body could not be read (encrypted, no key): counted, skipped.
    pub unreadable: u64,
    /// What did not make sense, in journal order.
    pub anomalies: Vec<Anomaly>,
    /// Time of the first entry: the response began.
    pub first_at: Option<DateTime<Utc>>,
    /// Time of the last entry.
    pub last_at: Option<DateTime<Utc>>,
    /// Seq of the last entry.
    pub last_seq: Option<u64>,
    /// Hash of the last entry.
    pub last_hash: Option<String>,
    /// The latest exercise time seen (entries from one-shot writers may lack it).
    pub ex_t: Option<u64>,
    /// Event kind of each seq folded (`None`: unreadable), to check corrections.
    #[serde(skip)]
    kinds: Kinds,
    /// Index of `clocks` by runbook, case and clock: a register of
    /// thousands of cases folds in linear time.
    #[serde(skip)]
    clock_index: Index,
    /// Index of `cases` by reference.
    #[serde(skip)]
    case_index: Index,
}

/// An index by name into one of the state's lists. Hashed with foldhash
/// (seeded per process, as hashbrown's own default): SipHash was a twentieth
/// of folding a register of 10,000 cases.
type Index = HashMap<String, usize, foldhash::fast::RandomState>;

/// The event kind of each seq folded, in order of seq: a journal's seqs
/// arrive in order, so this is a push per entry and a binary search per
/// look-up, where a map paid a tree insertion per entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Kinds(Vec<(u64, Option<&'static str>)>);

impl Kinds {
    fn insert(&mut self, seq: u64, kind: Option<&'static str>) {
        match self.0.last() {
            Some(&(last, _)) if last >= seq => match self.0.binary_search_by_key(&seq, |k| k.0) {
                Ok(i) => self.0[i].1 = kind,
                Err(i) => self.0.insert(i, (seq, kind)),
            },
            _ => self.0.push((seq, kind)),
        }
    }

    fn get(&self, seq: u64) -> Option<Option<&'static str>> {
        let i = self.0.binary_search_by_key(&seq, |k| k.0).ok()?;
        Some(self.0[i].1)
    }
}

/// The form of the state a fold snapshot holds, and of the fold that made
/// it: a snapshot of another form is not read. Bump it whenever the same
/// entries would fold into a different state, or the state's fields change
/// (a test pins the snapshots of seeded journals to it, so such a change
/// fails until it is bumped).
pub const SNAPSHOT_FORMAT: u32 = 1;

/// A state as a fold snapshot keeps it ([`ResponseState::snapshot_part`]):
/// every public field, and the event kind of each seq as its place in
/// [`Event::KINDS`] (`None`: unreadable). The indexes are rebuilt.
#[derive(Serialize)]
struct SnapshotOut<'a> {
    state: &'a ResponseState,
    kinds: Vec<(u64, Option<u8>)>,
}

/// [`SnapshotOut`] as read back.
#[derive(Deserialize)]
struct SnapshotIn {
    state: ResponseState,
    kinds: Vec<(u64, Option<u8>)>,
}

/// A time as chrono writes a `DateTime<Utc>` (`2026-12-05T06:30:54.917Z`,
/// up to nine digits of fraction), read without chrono's general parser:
/// a snapshot holds a time per clock and per stamp, and chrono's parser
/// was a fifth of reading one back. Anything else (a leap second, an
/// offset) goes to chrono, so the time read is always chrono's.
fn utc_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    struct Time;
    impl serde::de::Visitor<'_> for Time {
        type Value = DateTime<Utc>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an RFC 3339 time")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            match utc_fast(text.as_bytes()) {
                Some(time) => Ok(time),
                None => text.parse().map_err(E::custom),
            }
        }
    }
    d.deserialize_str(Time)
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, else `None`.
fn utc_fast(b: &[u8]) -> Option<DateTime<Utc>> {
    fn num(b: &[u8]) -> Option<u32> {
        b.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    }
    let (head, rest) = b.split_at_checked(19)?;
    if [head[4], head[7], head[10], head[13], head[16]] != *b"--T::" {
        return None;
    }
    let year = i32::try_from(num(&head[..4])?).ok()?;
    let (month, day) = (num(&head[5..7])?, num(&head[8..10])?);
    let (hour, minute, second) = (
        num(&head[11..13])?,
        num(&head[14..16])?,
        num(&head[17..19])?,
    );
    let nanos = match rest {
        [b'Z'] => 0,
        [b'.', digits @ .., b'Z'] if (1..=9).contains(&digits.len()) => {
            num(digits)? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    if second > 59 {
        return None; // a leap second: chrono's to read
    }
    let time = chrono::NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    Some(
        chrono::NaiveDate::from_ymd_opt(year, month, day)?
            .and_time(time)
            .and_utc(),
    )
}

/// A state read back from the first part of a fold snapshot
/// ([`ResponseState::from_snapshot`]), waiting for its clocks.
pub struct SnapshotStart(ResponseState);

impl SnapshotStart {
    /// The state, with the clocks of the snapshot's other parts, in order.
    pub fn with_clocks(self, runs: impl IntoIterator<Item = Vec<ClockState>>) -> ResponseState {
        let mut state = self.0;
        let runs: Vec<_> = runs.into_iter().collect();
        state.clocks = Vec::with_capacity(runs.iter().map(Vec::len).sum());
        for run in runs {
            state.clocks.extend(run);
        }
        state.clock_index.reserve(state.clocks.len());
        for (i, clock) in state.clocks.iter().enumerate() {
            let key = clock_key(&clock.runbook, clock.case.as_deref(), &clock.clock);
            state.clock_index.insert(key, i);
        }
        state
    }
}

/// The key of a clock in the index.
fn clock_key(runbook: &str, case: Option<&str>, clock: &str) -> String {
    let case = case.unwrap_or_default();
    // Built by hand, not `format!`: a key per clock of a 30,000-clock register.
    let mut key = String::with_capacity(runbook.len() + case.len() + clock.len() + 2);
    for (i, part) in [runbook, case, clock].into_iter().enumerate() {
        if i > 0 {
            key.push('\0');
        }
        key.push_str(part);
    }
    key
}

/// How a clock is named in anomalies.
fn clock_name(runbook: &str, case: Option<&str>, clock: &str) -> String {
    match case {
        Some(case) => format!("clock `{clock}` of case `{case}` (runbook `{runbook}`)"),
        None if runbook == AD_HOC => format!("deadline `{clock}`"),
        None => format!("clock `{clock}` of runbook `{runbook}`"),
    }
}

impl ResponseState {
    /// The state of an empty journal.
    pub fn new() -> Self {
        Self::default()
    }

    /// The capacity `actor` signed in with (the latest sign-in under that
    /// name and role): `None` when they never signed in.
    pub fn signed_in_as(&self, actor: &Actor) -> Option<&SignIn> {
        self.signed_in
            .iter()
            .rfind(|s| s.name == actor.name && s.role.eq_ignore_ascii_case(&actor.role))
    }

    /// The id of the exercise the journal records: the one started, else
    /// the one its session names.
    pub fn exercise_id(&self) -> Option<&str> {
        self.exercise_start
            .as_ref()
            .map(|s| s.exercise.as_str())
            .or(self.exercise.as_deref())
    }

    /// Folds entries, in order, into a new state: the only way state is built.
    pub fn fold<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Self {
        let mut state = Self::new();
        for entry in entries {
            state.apply(entry);
        }
        state
    }

    /// How many parts a fold snapshot of the state has
    /// ([`ResponseState::snapshot_part`]).
    pub fn snapshot_parts(&self, clock_parts: usize) -> usize {
        1 + self.clocks.chunks(self.clock_run(clock_parts)).len()
    }

    /// Part `i` of the state as a fold snapshot keeps it
    /// (`session::fold_cache`), made on its own so that parts can be made
    /// on several threads: part 0 is everything but the clocks, then the
    /// clocks in `clock_parts` runs, the bulk of a register's state. Read
    /// back ([`ResponseState::from_snapshot`], then
    /// [`SnapshotStart::with_clocks`]) they make an equal state that folds
    /// further entries exactly as this one would.
    pub fn snapshot_part(
        &self,
        i: usize,
        clock_parts: usize,
    ) -> Result<Vec<u8>, serde_json::Error> {
        let Some(run) = i.checked_sub(1) else {
            return serde_json::to_vec(&SnapshotOut {
                state: self,
                kinds: self.snapshot_kinds()?,
            });
        };
        let clocks = self.clocks.chunks(self.clock_run(clock_parts)).nth(run);
        serde_json::to_vec(clocks.unwrap_or_default())
    }

    /// How many clocks a run of a fold snapshot holds.
    fn clock_run(&self, clock_parts: usize) -> usize {
        self.clocks.len().div_ceil(clock_parts.max(1)).max(1)
    }

    /// The kind of each seq folded, as [`SnapshotOut`] keeps it.
    fn snapshot_kinds(&self) -> Result<Vec<(u64, Option<u8>)>, serde_json::Error> {
        let mut kinds = Vec::with_capacity(self.kinds.0.len());
        for &(seq, kind) in &self.kinds.0 {
            let place = match kind {
                Some(k) => Some(
                    Event::KINDS
                        .iter()
                        .position(|&known| known == k)
                        .and_then(|p| u8::try_from(p).ok())
                        .ok_or_else(|| {
                            <serde_json::Error as serde::ser::Error>::custom(format!(
                                "event kind `{k}` is not in Event::KINDS"
                            ))
                        })?,
                ),
                None => None,
            };
            kinds.push((seq, place));
        }
        Ok(kinds)
    }

    /// The clocks of one of a fold snapshot's clock parts.
    pub fn clocks_from_snapshot(part: &[u8]) -> Option<Vec<ClockState>> {
        serde_json::from_slice(part).ok()
    }

    /// The first part of a fold snapshot ([`ResponseState::snapshot_part`] 0), to
    /// be given its clocks; `None` when the bytes do not read as one (a
    /// snapshot of another version: the caller folds the journal instead).
    pub fn from_snapshot(first: &[u8]) -> Option<SnapshotStart> {
        let SnapshotIn { mut state, kinds } = serde_json::from_slice(first).ok()?;
        let mut restored = Vec::with_capacity(kinds.len());
        for (seq, place) in kinds {
            let kind = match place {
                Some(p) => Some(*Event::KINDS.get(usize::from(p))?),
                None => None,
            };
            restored.push((seq, kind));
        }
        state.kinds = Kinds(restored);
        for (i, case) in state.cases.iter().enumerate() {
            state.case_index.insert(case.reference.clone(), i);
        }
        Some(SnapshotStart(state))
    }

    /// The runbook opened with this id.
    pub fn runbook(&self, id: &str) -> Option<&OpenedRunbook> {
        self.runbooks.iter().find(|r| r.id == id)
    }

    /// What the journal says about a step (`None`: nothing yet).
    pub fn step(&self, runbook: &str, step: &str) -> Option<&StepState> {
        self.runbook(runbook)?.steps.get(step)
    }

    /// A step's status (to do when the journal says nothing of it).
    pub fn status(&self, runbook: &str, step: &str) -> &StepStatus {
        self.step(runbook, step).map_or(&TODO, |s| &s.status)
    }

    /// A clock of the response (not a case's), once started.
    pub fn clock(&self, runbook: &str, clock: &str) -> Option<&ClockState> {
        self.case_clock(runbook, None, clock)
    }

    /// A clock of a case (or, with `None`, of the response), once started.
    pub fn case_clock(
        &self,
        runbook: &str,
        case: Option<&str>,
        clock: &str,
    ) -> Option<&ClockState> {
        self.clock_index
            .get(&clock_key(runbook, case, clock))
            .and_then(|&i| self.clocks.get(i))
    }

    /// What a clock counts from, and when that was: `awareness` (the time
    /// of awareness in force), `case` (the case's receipt), `deadline` (an
    /// ad-hoc deadline, from when it was added) or `step` (the entry that
    /// started it, when a step was done).
    pub fn clock_start(&self, clock: &ClockState) -> (&'static str, DateTime<Utc>) {
        if let Some(case) = clock.case.as_deref().and_then(|c| self.case(c)) {
            return ("case", case.received_at);
        }
        if clock.anchor.as_ref().is_some_and(|a| a.from == AWARENESS)
            && let Some(aware) = &self.awareness
        {
            return ("awareness", aware.at);
        }
        if clock.runbook == AD_HOC {
            return ("deadline", clock.started.at);
        }
        ("step", clock.started.at)
    }

    /// The case with this reference.
    pub fn case(&self, reference: &str) -> Option<&CaseState> {
        self.case_index
            .get(reference)
            .and_then(|&i| self.cases.get(i))
    }

    /// True when a later entry corrects entry `seq`.
    pub fn is_corrected(&self, seq: u64) -> bool {
        self.corrections.contains_key(&seq)
    }

    /// The corrections of entry `seq`, oldest first.
    pub fn corrections_of(&self, seq: u64) -> &[Correction] {
        self.corrections.get(&seq).map_or(&[], Vec::as_slice)
    }

    /// Whether entry `seq` was folded: `None` if not, `Some(None)` if it was
    /// unreadable, else `Some(Some(kind))` with its event type (`step_done`...).
    pub fn entry_kind(&self, seq: u64) -> Option<Option<&'static str>> {
        self.kinds.get(seq)
    }

    fn anomaly(&mut self, seq: u64, message: String) {
        self.anomalies.push(Anomaly { seq, message });
    }

    /// Folds one more entry. Entries must come in journal order; one that does
    /// not follow the last seq is still applied and reported as an anomaly.
    pub fn apply(&mut self, entry: &Entry) {
        if let Some(last) = self.last_seq
            && entry.seq <= last
        {
            self.anomaly(
                entry.seq,
                format!("out of order: seq {} comes after seq {last}", entry.seq),
            );
        }
        self.entries += 1;
        self.first_at.get_or_insert(entry.at);
        self.last_at = Some(entry.at);
        self.last_seq = Some(entry.seq);
        // Reuses the string's memory: one allocation per fold, not per entry.
        self.last_hash
            .get_or_insert_default()
            .clone_from(&entry.hash);
        if let Some(now) = entry.ex_t {
            // The exercise clock never runs backwards (it refuses to): an
            // entry stamped earlier than the one before it would make a
            // decision look made before its inject, so scores built on it
            // are flagged.
            if let Some(before) = self.ex_t
                && now < before
            {
                self.anomaly(
                    entry.seq,
                    format!("exercise time went backwards: {} ms after {before} ms", now),
                );
            }
            self.ex_t = Some(now);
        }
        match &entry.event {
            Some(event) => self.apply_event(entry, event),
            None => self.unreadable += 1,
        }
        self.kinds
            .insert(entry.seq, entry.event.as_ref().map(Event::kind));
    }

    fn apply_event(&mut self, entry: &Entry, event: &Event) {
        let stamp = Stamp::of(entry);
        match event {
            Event::SessionStarted {
                library,
                incident,
                exercise,
                plaintext,
                resumed,
                ..
            } => {
                let sessions = &mut self.sessions;
                if sessions.count == 0 {
                    self.plaintext = *plaintext;
                }
                if sessions.open {
                    sessions.interrupted += 1;
                }
                sessions.count += 1;
                sessions.resumed += u32::from(*resumed);
                sessions.open = true;
                sessions.current = Some(stamp);
                if self.incident.is_none() {
                    self.incident.clone_from(incident);
                }
                if self.exercise.is_none() {
                    self.exercise.clone_from(exercise);
                }
                if library.is_some() {
                    self.library.clone_from(library);
                }
                if entry.actor.is_some() {
                    self.actor.clone_from(&entry.actor);
                }
            }
            // Written by a newer grabbag: kept and shown, but what it means
            // is unknown here, so it changes nothing in the state.
            Event::Unknown(_) => {}
            Event::SessionEnded { .. } => {
                if !self.sessions.open {
                    self.anomaly(stamp.seq, "a session ended, but none was open".to_owned());
                }
                self.sessions.ended += 1;
                self.sessions.open = false;
            }
            Event::RunbookOpened {
                runbook,
                title,
                commit,
                blob,
                dirty,
                unencrypted,
                trust,
            } => {
                let version = RunbookVersion {
                    title: title.clone(),
                    commit: commit.clone(),
                    blob: blob.clone(),
                    dirty: *dirty,
                    unencrypted: *unencrypted,
                    trust: trust.clone(),
                    stamp,
                };
                match self.runbooks.iter_mut().find(|r| &r.id == runbook) {
                    Some(open) => {
                        let before = std::mem::replace(&mut open.version, version);
                        open.earlier.push(before);
                    }
                    None => self.runbooks.push(OpenedRunbook {
                        id: runbook.clone(),
                        version,
                        earlier: Vec::new(),
                        steps: BTreeMap::new(),
                    }),
                }
            }
            Event::StepStarted { runbook, step } => {
                self.on_step(runbook, step, stamp, "step_started", |s, stamp| {
                    let odd = (s.status != StepStatus::Todo)
                        .then(|| format!("started again while {}", s.status.label()));
                    s.started.get_or_insert_with(|| stamp.clone());
                    s.set(StepStatus::Started, stamp);
                    odd
                });
            }
            Event::StepDone { runbook, step } => {
                self.on_step(runbook, step, stamp, "step_done", |s, stamp| {
                    let odd = matches!(s.status, StepStatus::Done | StepStatus::Blocked { .. })
                        .then(|| format!("done while {}", s.status.label()));
                    s.set(StepStatus::Done, stamp);
                    odd
                });
            }
            Event::StepSkipped {
                runbook,
                step,
                reason,
            } => {
                self.on_step(runbook, step, stamp, "step_skipped", |s, stamp| {
                    let odd = !matches!(s.status, StepStatus::Todo | StepStatus::Started);
                    let odd = odd.then(|| format!("skipped while {}", s.status.label()));
                    s.set(
                        StepStatus::Skipped {
                            reason: reason.clone(),
                        },
                        stamp,
                    );
                    odd
                });
            }
            Event::StepBlocked {
                runbook,
                step,
                reason,
            } => {
                self.on_step(runbook, step, stamp, "step_blocked", |s, stamp| {
                    let odd = !matches!(s.status, StepStatus::Todo | StepStatus::Started);
                    let odd = odd.then(|| format!("blocked while {}", s.status.label()));
                    let before = match std::mem::take(&mut s.status) {
                        StepStatus::Blocked { before, .. } => before,
                        other => Box::new(other),
                    };
                    s.set(
                        StepStatus::Blocked {
                            reason: reason.clone(),
                            before,
                        },
                        stamp,
                    );
                    odd
                });
            }
            Event::StepUnblocked { runbook, step } => {
                self.on_step(
                    runbook,
                    step,
                    stamp,
                    "step_unblocked",
                    |s, stamp| match std::mem::take(&mut s.status) {
                        StepStatus::Blocked { before, .. } => {
                            s.set(*before, stamp);
                            None
                        }
                        other => {
                            let odd = format!("unblocked while {}", other.label());
                            s.status = other;
                            Some(odd)
                        }
                    },
                );
            }
            Event::CheckTicked {
                runbook,
                step,
                check,
                text,
            } => {
                self.on_step(runbook, step, stamp, "check_ticked", |s, stamp| {
                    if let Some(earlier) = s.ticked.get(check) {
                        return Some(format!(
                            "had check {check} ticked again (first at seq {})",
                            earlier.stamp.seq
                        ));
                    }
                    s.ticked.insert(
                        *check,
                        Tick {
                            text: text.clone(),
                            stamp: stamp.clone(),
                        },
                    );
                    None
                });
            }
            Event::CheckUnticked {
                runbook,
                step,
                check,
            } => {
                self.on_step(runbook, step, stamp, "check_unticked", |s, _| {
                    s.ticked
                        .remove(check)
                        .is_none()
                        .then(|| format!("had check {check} unticked, but it was not ticked"))
                });
            }
            Event::Decision {
                runbook,
                step,
                option,
                goto,
                rationale,
            } => {
                self.on_step(runbook, step, stamp, "decision", |s, stamp| {
                    let odd = match (&s.decision, &s.status) {
                        (Some(earlier), _) => Some(format!(
                            "decided again (first at seq {})",
                            earlier.stamp.seq
                        )),
                        (None, StepStatus::Done | StepStatus::Blocked { .. }) => {
                            Some(format!("decided while {}", s.status.label()))
                        }
                        _ => None,
                    };
                    s.decision = Some(DecisionTaken {
                        option: option.clone(),
                        goto: goto.clone(),
                        rationale: rationale.clone(),
                        stamp: stamp.clone(),
                    });
                    s.set(StepStatus::Done, stamp);
                    odd
                });
            }
            Event::ClockStarted {
                runbook,
                clock,
                label,
                due_at,
                anchor,
                case,
                basis,
            } => self.clock_started(
                ClockState {
                    runbook: runbook.clone(),
                    clock: clock.clone(),
                    label: label.clone(),
                    due_at: DateTime::<Utc>::MIN_UTC,
                    started: stamp,
                    met: None,
                    breached: None,
                    anchor: anchor.clone(),
                    withdrawn: Vec::new(),
                    case: case.clone(),
                    basis: basis.clone(),
                },
                due_at,
            ),
            Event::Awareness { at, reason } => self.awareness(at, reason.as_deref(), stamp),
            Event::ClockMet {
                runbook,
                clock,
                case,
            } => {
                self.clock_fact(runbook, case.as_deref(), clock, stamp, "met", |c| {
                    &mut c.met
                });
            }
            Event::ClockBreached {
                runbook,
                clock,
                case,
            } => {
                let seq = stamp.seq;
                let case = case.as_deref();
                if self
                    .case_clock(runbook, case, clock)
                    .is_some_and(|c| c.met.is_some())
                {
                    let named = clock_name(runbook, case, clock);
                    self.anomaly(seq, format!("{named} breached after it was met"));
                }
                self.clock_fact(runbook, case, clock, stamp, "breached", |c| &mut c.breached);
            }
            Event::CaseAdded {
                runbook,
                kind,
                reference,
                received_at,
                fields,
            } => self.case_added(runbook, kind, reference, received_at, fields, stamp),
            Event::CaseStepDone { reference, step } => {
                let seq = stamp.seq;
                match self.case_mut(reference) {
                    None => self.anomaly(
                        seq,
                        format!("case `{reference}`: `{step}` done, but the case was never added"),
                    ),
                    Some(case) => {
                        if let Some(first) = case.done.get(step) {
                            let first = first.seq;
                            self.anomaly(
                                seq,
                                format!(
                                    "case `{reference}`: `{step}` done again (first at seq {first})"
                                ),
                            );
                        } else {
                            case.done.insert(step.clone(), stamp);
                        }
                    }
                }
            }
            Event::CaseKeyed { reference } => {
                let seq = stamp.seq;
                match self.case_mut(reference) {
                    None => self.anomaly(
                        seq,
                        format!("case `{reference}` keyed back, but it was never added"),
                    ),
                    Some(case) if case.keyed.is_some() => {
                        let first = case.keyed.as_ref().map_or(0, |k| k.seq);
                        self.anomaly(
                            seq,
                            format!("case `{reference}` keyed back again (first at seq {first})"),
                        );
                    }
                    Some(case) => case.keyed = Some(stamp),
                }
            }
            Event::ActorChanged { name, role } => {
                self.actor = Some(Actor {
                    name: name.clone(),
                    role: role.clone(),
                });
            }
            Event::Correction { of, replacement } => {
                match self.kinds.get(*of) {
                    None => self.anomaly(
                        stamp.seq,
                        format!("corrects seq {of}, which is not earlier in the journal"),
                    ),
                    Some(Some("session_started")) => self.anomaly(
                        stamp.seq,
                        format!("corrects seq {of}, which starts a session"),
                    ),
                    Some(_) => {}
                }
                self.corrections.entry(*of).or_default().push(Correction {
                    stamp,
                    replacement: replacement.clone(),
                });
            }
            Event::Note { text, happened_at } => {
                let happened_at = match happened_at {
                    None => None,
                    Some(t) => {
                        match DateTime::parse_from_rfc3339(t) {
                            Ok(t) => Some(t.with_timezone(&Utc)),
                            Err(_) => {
                                self.anomaly(
                                stamp.seq,
                                format!("note says it happened at {t:?}, which is not an RFC 3339 time"),
                            );
                                None
                            }
                        }
                    }
                };
                self.notes.push(Arc::new(Note {
                    stamp,
                    text: text.clone(),
                    happened_at,
                }));
            }
            Event::InjectDelivered {
                inject,
                from,
                channel,
                text,
                to,
            } => self.injects.push(InjectDelivery {
                stamp,
                inject: inject.clone(),
                from: from.clone(),
                channel: channel.clone(),
                text: text.clone(),
                to: to.clone(),
            }),
            Event::SignedIn {
                name,
                role,
                team,
                capacity,
            } => self.signed_in.push(SignIn {
                stamp,
                name: name.clone(),
                role: role.clone(),
                team: team.clone(),
                capacity: capacity.clone(),
            }),
            Event::ExpectationScored {
                inject,
                expectation,
                score,
                evidence,
                comment,
            } => {
                // Evidence is an entry written before the score: anything
                // else (a seq beyond the journal) proves nothing.
                if let Some(cited) = evidence
                    && (*cited == 0 || *cited >= stamp.seq)
                {
                    self.anomaly(
                        stamp.seq,
                        format!(
                            "the score of `{inject}`/`{expectation}` cites evidence seq {cited}, which is not an earlier entry"
                        ),
                    );
                }
                self.scores.push(ExpectationScore {
                    stamp,
                    inject: inject.clone(),
                    expectation: expectation.clone(),
                    score: score.clone(),
                    evidence: *evidence,
                    comment: comment.clone(),
                });
            }
            Event::ExerciseStarted {
                exercise,
                title,
                digest,
                speed,
                manual,
            } => {
                if let Some(first) = &self.exercise_start {
                    let first = first.stamp.seq;
                    return self.anomaly(
                        stamp.seq,
                        format!("the exercise started again (first at seq {first})"),
                    );
                }
                self.exercise_start = Some(ExerciseStart {
                    stamp,
                    exercise: exercise.clone(),
                    title: title.clone(),
                    digest: digest.clone(),
                    speed: *speed,
                    manual: *manual,
                });
            }
            Event::ExerciseClock {
                change,
                ex_t,
                speed,
                manual,
            } => {
                if self.exercise_start.is_none() {
                    self.anomaly(
                        stamp.seq,
                        format!(
                            "exercise clock {}, but no exercise started",
                            change.as_str()
                        ),
                    );
                }
                self.exercise_clock.push(ClockControl {
                    stamp,
                    change: *change,
                    ex_t: *ex_t,
                    speed: *speed,
                    manual: *manual,
                });
            }
            Event::LessonRecorded {
                category,
                text,
                owner,
                due,
            } => self.lessons.push(Lesson {
                stamp,
                category: *category,
                text: text.clone(),
                owner: owner.clone(),
                due: due.clone(),
            }),
        }
    }

    /// Applies `change` to a step of an opened runbook; `change` returns an
    /// anomaly message when the transition is one `decide` would refuse.
    fn on_step(
        &mut self,
        runbook: &str,
        step: &str,
        stamp: Stamp,
        kind: &str,
        change: impl FnOnce(&mut StepState, &Stamp) -> Option<String>,
    ) {
        let seq = stamp.seq;
        let Some(open) = self.runbooks.iter_mut().find(|r| r.id == runbook) else {
            self.anomaly(
                seq,
                format!("{kind} for step `{step}` of runbook `{runbook}`, which was not opened"),
            );
            return;
        };
        let state = open
            .steps
            .entry(step.to_owned())
            .or_insert_with(|| StepState::new(stamp.clone()));
        if let Some(odd) = change(state, &stamp) {
            self.anomaly(seq, format!("step `{step}` of runbook `{runbook}` {odd}"));
        }
    }

    /// A clock started (`clock.due_at` is set here from `due_at`).
    fn clock_started(&mut self, mut clock: ClockState, due_at: &str) {
        let seq = clock.started.seq;
        let (runbook, case) = (clock.runbook.as_str(), clock.case.as_deref());
        // Named only for an anomaly: a register folds 30,000 clocks.
        let named = || clock_name(runbook, case, &clock.clock);
        if runbook != AD_HOC && self.runbook(runbook).is_none() {
            return self.anomaly(
                seq,
                format!("{} started, but the runbook was not opened", named()),
            );
        }
        if let Some(case) = case
            && self.case(case).is_none()
        {
            return self.anomaly(
                seq,
                format!("{} started, but the case was never added", named()),
            );
        }
        if let Some(first) = self.case_clock(runbook, case, &clock.clock) {
            let first = first.started.seq;
            return self.anomaly(
                seq,
                format!("{} started again (first at seq {first})", named()),
            );
        }
        let Ok(due) = DateTime::parse_from_rfc3339(due_at) else {
            return self.anomaly(
                seq,
                format!(
                    "{} started with due time {due_at:?}, which is not an RFC 3339 time",
                    named()
                ),
            );
        };
        clock.due_at = due.with_timezone(&Utc);
        self.clock_index
            .insert(clock_key(runbook, case, &clock.clock), self.clocks.len());
        self.clocks.push(clock);
    }

    fn case_mut(&mut self, reference: &str) -> Option<&mut CaseState> {
        self.case_index
            .get(reference)
            .copied()
            .and_then(|i| self.cases.get_mut(i))
    }

    fn case_added(
        &mut self,
        runbook: &str,
        kind: &str,
        reference: &str,
        received_at: &str,
        fields: &BTreeMap<String, String>,
        stamp: Stamp,
    ) {
        let seq = stamp.seq;
        if self.runbook(runbook).is_none() {
            return self.anomaly(
                seq,
                format!("case `{reference}` added to runbook `{runbook}`, which was not opened"),
            );
        }
        if let Some(first) = self.case(reference) {
            let first = first.added.seq;
            return self.anomaly(
                seq,
                format!("case `{reference}` added again (first at seq {first})"),
            );
        }
        let Ok(received) = DateTime::parse_from_rfc3339(received_at) else {
            return self.anomaly(
                seq,
                format!(
                    "case `{reference}` received at {received_at:?}, which is not an RFC 3339 time"
                ),
            );
        };
        self.case_index
            .insert(reference.to_owned(), self.cases.len());
        self.cases.push(CaseState {
            runbook: runbook.to_owned(),
            kind: kind.to_owned(),
            reference: reference.to_owned(),
            received_at: received.with_timezone(&Utc),
            fields: fields.clone(),
            added: stamp,
            done: BTreeMap::new(),
            keyed: None,
        });
    }

    /// A time of awareness given or corrected: every deadline that counts
    /// from awareness is due anew from it, and a breach recorded before the
    /// new due time no longer stands (it stays in `withdrawn`).
    fn awareness(&mut self, at: &str, reason: Option<&str>, stamp: Stamp) {
        let Ok(given) = DateTime::parse_from_rfc3339(at) else {
            return self.anomaly(
                stamp.seq,
                format!("time of awareness {at:?} is not an RFC 3339 time"),
            );
        };
        let at = given.with_timezone(&Utc);
        if at > stamp.at {
            self.anomaly(
                stamp.seq,
                format!("time of awareness {given} is later than the entry that gives it"),
            );
        }
        let earlier = match self.awareness.take() {
            Some(old) => {
                let mut earlier = old.earlier;
                earlier.push((old.at, old.stamp));
                earlier
            }
            None => Vec::new(),
        };
        for clock in &mut self.clocks {
            let Some(anchor) = clock.anchor.as_ref().filter(|a| a.from == AWARENESS) else {
                continue;
            };
            let after = i64::try_from(anchor.after_s)
                .ok()
                .and_then(chrono::TimeDelta::try_seconds);
            let Some(due) = after.and_then(|d| at.checked_add_signed(d)) else {
                continue;
            };
            clock.due_at = due;
            if clock.breached.as_ref().is_some_and(|b| b.at <= due) {
                clock.withdrawn.extend(clock.breached.take());
            }
        }
        self.awareness = Some(Awareness {
            at,
            given,
            reason: reason.map(str::to_owned),
            stamp,
            earlier,
        });
    }

    /// Records a once-only clock fact (met, breached): the first entry wins.
    fn clock_fact(
        &mut self,
        runbook: &str,
        case: Option<&str>,
        clock: &str,
        stamp: Stamp,
        what: &str,
        field: impl FnOnce(&mut ClockState) -> &mut Option<Stamp>,
    ) {
        let seq = stamp.seq;
        let named = || clock_name(runbook, case, clock);
        let Some(state) = self
            .clock_index
            .get(&clock_key(runbook, case, clock))
            .copied()
            .and_then(|i| self.clocks.get_mut(i))
        else {
            return self.anomaly(seq, format!("{} {what}, but it never started", named()));
        };
        let slot = field(state);
        if let Some(first) = slot {
            let first = first.seq;
            return self.anomaly(
                seq,
                format!("{} {what} again (first at seq {first})", named()),
            );
        }
        *slot = Some(stamp);
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::response::testkit::{RB, Sim, actor, entry, session, t0};

    /// The fast reading of a snapshot's times is chrono's reading, for
    /// every way chrono writes a UTC time, and leaves the rest to chrono.
    #[test]
    fn times_read_fast_are_the_times_chrono_reads() {
        use chrono::SecondsFormat::{AutoSi, Micros, Millis, Nanos, Secs};
        let mut rng = crate::testrng::Rng(7);
        for _ in 0..20_000 {
            let secs = (rng.next() % 8_000_000_000) as i64 - 1_000_000_000;
            let nanos = match rng.below(4) {
                0 => 0,
                1 => (rng.next() % 1000) as u32 * 1_000_000,
                _ => (rng.next() % 1_000_000_000) as u32,
            };
            let Some(time) = DateTime::from_timestamp(secs, nanos) else {
                continue;
            };
            for format in [AutoSi, Secs, Millis, Micros, Nanos] {
                let text = time.to_rfc3339_opts(format, true);
                let chrono: DateTime<Utc> = text.parse().unwrap();
                assert_eq!(utc_fast(text.as_bytes()), Some(chrono), "{text}");
            }
        }
        for other in [
            "2016-12-31T23:59:60Z",
            "2016-12-31T23:59:60.5Z",
            "2026-12-05T06:30:54+01:00",
            "2026-12-05T06:30:54.1234567891Z",
            "2026-12-05T06:30:54.Z",
            "2026-02-30T00:00:00Z",
            "2026-12-05 06:30:54Z",
            "+12026-12-05T06:30:54Z",
            "2026-1a-05T06:30:54Z",
            "",
        ] {
            assert_eq!(utc_fast(other.as_bytes()), None, "{other}");
        }
        let snapshot = r#""2016-12-31T23:59:60.5Z""#;
        let mut json = serde_json::Deserializer::from_str(snapshot);
        let leap = utc_time(&mut json).unwrap();
        assert_eq!(
            leap,
            "2016-12-31T23:59:60.5Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    fn step(runbook: &str, step: &str) -> (String, String) {
        (runbook.to_owned(), step.to_owned())
    }

    fn done(s: &str) -> Event {
        let (runbook, step) = step(RB, s);
        Event::StepDone { runbook, step }
    }

    fn messages(state: &ResponseState) -> Vec<String> {
        state.anomalies.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn empty_journal_is_the_default_state() {
        assert_eq!(ResponseState::fold([]), ResponseState::default());
    }

    #[test]
    fn session_start_names_the_incident_and_who_is_at_the_keyboard() {
        let sim = Sim::new();
        let s = &sim.state;
        assert_eq!(s.incident.as_deref(), Some("Ransomware in revenues"));
        assert_eq!(s.library.as_deref(), Some("/lib"));
        assert!(s.plaintext);
        assert_eq!(s.actor, Some(actor("Sam")));
        assert_eq!(s.sessions.count, 1);
        assert_eq!(s.sessions.resumed, 0);
        assert!(s.sessions.open);
        assert_eq!(s.sessions.current.as_ref().map(|c| c.seq), Some(1));
        assert_eq!(s.first_at, Some(t0()));
        assert_eq!(s.entries, 1);
        assert_eq!(s.last_seq, Some(1));
        assert_eq!(s.last_hash.as_deref(), Some(format!("{:064x}", 1).as_str()));
        assert!(s.anomalies.is_empty());
    }

    #[test]
    fn a_resume_after_a_kill_counts_as_interrupted_and_a_clean_end_does_not() {
        let mut sim = Sim::new();
        sim.push(session(true));
        assert_eq!(sim.state.sessions.count, 2);
        assert_eq!(sim.state.sessions.resumed, 1);
        assert_eq!(sim.state.sessions.interrupted, 1);
        sim.push(Event::SessionEnded { reason: None });
        assert!(!sim.state.sessions.open);
        sim.push(session(true));
        assert_eq!(sim.state.sessions.interrupted, 1);
        assert_eq!(sim.state.sessions.ended, 1);
        assert_eq!(sim.state.sessions.current.as_ref().map(|c| c.seq), Some(4));
    }

    #[test]
    fn a_later_incident_name_does_not_replace_the_first() {
        let mut sim = Sim::new();
        sim.push(Event::SessionStarted {
            library: Some("/other".to_owned()),
            grabbag: "0.2.0".to_owned(),
            host: "spare-laptop".to_owned(),
            incident: Some("Renamed".to_owned()),
            exercise: Some("ex-1".to_owned()),
            plaintext: false,
            resumed: true,
        });
        assert_eq!(
            sim.state.incident.as_deref(),
            Some("Ransomware in revenues")
        );
        assert_eq!(sim.state.exercise.as_deref(), Some("ex-1"));
        assert_eq!(sim.state.library.as_deref(), Some("/other"));
        assert!(sim.state.plaintext, "the first session's choice stands");
    }

    #[test]
    fn ending_with_no_open_session_is_an_anomaly() {
        let mut sim = Sim::new();
        sim.push(Event::SessionEnded { reason: None });
        sim.push(Event::SessionEnded {
            reason: Some("again".to_owned()),
        });
        assert_eq!(
            messages(&sim.state),
            ["seq 3: a session ended, but none was open"]
        );
    }

    #[test]
    fn unreadable_entries_are_counted_and_skipped() {
        let mut sim = Sim::new();
        sim.push_entry(None);
        sim.push_entry(None);
        let s = &sim.state;
        assert_eq!(s.unreadable, 2);
        assert_eq!(s.entries, 3);
        assert_eq!(s.last_seq, Some(3));
        assert_eq!(s.entry_kind(2), Some(None));
        assert_eq!(s.entry_kind(1), Some(Some("session_started")));
        assert_eq!(s.entry_kind(9), None);
        assert!(s.anomalies.is_empty());
    }

    #[test]
    fn runbook_opened_pins_the_version_and_a_newer_version_keeps_the_earlier() {
        let mut sim = Sim::opened();
        let open = sim.state.runbook(RB).unwrap();
        assert_eq!(open.version.title, "Test flow");
        assert_eq!(open.version.commit.as_deref(), Some("c0ffee"));
        assert_eq!(open.version.trust, "signed by ict-security");
        assert_eq!(open.opened().seq, 2);
        sim.push(Event::RunbookOpened {
            runbook: RB.to_owned(),
            title: "Test flow v2".to_owned(),
            commit: Some("beef".to_owned()),
            blob: None,
            dirty: true,
            unencrypted: true,
            trust: "not checked".to_owned(),
        });
        let open = sim.state.runbook(RB).unwrap();
        assert_eq!(open.version.title, "Test flow v2");
        assert!(open.version.dirty && open.version.unencrypted);
        assert_eq!(open.earlier.len(), 1);
        assert_eq!(open.opened().seq, 2);
        assert_eq!(sim.state.runbooks.len(), 1);
    }

    #[test]
    fn steps_move_through_started_done_skipped() {
        let mut sim = Sim::opened();
        assert_eq!(sim.state.status(RB, "triage"), &StepStatus::Todo);
        assert!(sim.state.step(RB, "triage").is_none());
        sim.push(Event::StepStarted {
            runbook: RB.to_owned(),
            step: "triage".to_owned(),
        });
        assert_eq!(sim.state.status(RB, "triage"), &StepStatus::Started);
        let seq = sim.push(done("triage"));
        let st = sim.state.step(RB, "triage").unwrap();
        assert_eq!(st.status, StepStatus::Done);
        assert_eq!(st.changed.seq, seq);
        assert_eq!(st.changed.at, t0() + TimeDelta::minutes(3));
        assert_eq!(st.started.as_ref().map(|s| s.seq), Some(3));
        assert_eq!(st.first_seq, 3);
        sim.push(Event::StepSkipped {
            runbook: RB.to_owned(),
            step: "report".to_owned(),
            reason: "ICO already told by the DPO".to_owned(),
        });
        assert_eq!(
            sim.state.status(RB, "report"),
            &StepStatus::Skipped {
                reason: "ICO already told by the DPO".to_owned()
            }
        );
        assert!(sim.state.status(RB, "report").is_finished());
        assert!(sim.state.anomalies.is_empty());
    }

    #[test]
    fn a_block_remembers_what_it_interrupted_and_unblock_restores_it() {
        let mut sim = Sim::opened();
        let (runbook, step) = step(RB, "notify");
        sim.push(Event::StepStarted {
            runbook: runbook.clone(),
            step: step.clone(),
        });
        sim.push(Event::StepBlocked {
            runbook: runbook.clone(),
            step: step.clone(),
            reason: "DPO on leave".to_owned(),
        });
        assert_eq!(
            sim.state.status(RB, "notify"),
            &StepStatus::Blocked {
                reason: "DPO on leave".to_owned(),
                before: Box::new(StepStatus::Started)
            }
        );
        // Blocked again (anomalous): the original status is still remembered.
        sim.push(Event::StepBlocked {
            runbook: runbook.clone(),
            step: step.clone(),
            reason: "deputy DPO unreachable".to_owned(),
        });
        let seq = sim.push(Event::StepUnblocked { runbook, step });
        let st = sim.state.step(RB, "notify").unwrap();
        assert_eq!(st.status, StepStatus::Started);
        assert_eq!(st.changed.seq, seq);
        assert_eq!(
            messages(&sim.state),
            ["seq 5: step `notify` of runbook `t/flow` blocked while blocked"]
        );
    }

    #[test]
    fn a_decision_completes_its_step_and_records_the_branch() {
        let mut sim = Sim::opened();
        let seq = sim.push(Event::Decision {
            runbook: RB.to_owned(),
            step: "assess".to_owned(),
            option: "No".to_owned(),
            goto: "wrap".to_owned(),
            rationale: "Only the public website was hit".to_owned(),
        });
        let st = sim.state.step(RB, "assess").unwrap();
        assert_eq!(st.status, StepStatus::Done);
        let d = st.decision.as_ref().unwrap();
        assert_eq!(
            (d.option.as_str(), d.goto.as_str(), d.stamp.seq),
            ("No", "wrap", seq)
        );
        assert_eq!(d.rationale, "Only the public website was hit");
        assert_eq!(d.stamp.actor, Some(actor("Sam")));
    }

    #[test]
    fn ticks_are_kept_by_index_with_their_text() {
        let mut sim = Sim::opened();
        for check in [1, 0, 1] {
            sim.push(Event::CheckTicked {
                runbook: RB.to_owned(),
                step: "triage".to_owned(),
                check,
                text: format!("check {check}"),
            });
        }
        let st = sim.state.step(RB, "triage").unwrap();
        assert_eq!(st.ticked.keys().copied().collect::<Vec<_>>(), [0, 1]);
        assert_eq!(st.ticked[&1].stamp.seq, 3);
        assert_eq!(st.status, StepStatus::Todo, "ticking does not start a step");
        assert_eq!(
            messages(&sim.state),
            ["seq 5: step `triage` of runbook `t/flow` had check 1 ticked again (first at seq 3)"]
        );
    }

    #[test]
    fn transitions_decide_would_refuse_are_applied_and_reported() {
        let mut sim = Sim::opened();
        sim.push(done("triage"));
        sim.push(done("triage"));
        sim.push(Event::StepStarted {
            runbook: RB.to_owned(),
            step: "triage".to_owned(),
        });
        sim.push(Event::StepUnblocked {
            runbook: RB.to_owned(),
            step: "wrap".to_owned(),
        });
        sim.push(Event::StepSkipped {
            runbook: RB.to_owned(),
            step: "triage".to_owned(),
            reason: "x".to_owned(),
        });
        sim.push(Event::Decision {
            runbook: RB.to_owned(),
            step: "assess".to_owned(),
            option: "No".to_owned(),
            goto: "wrap".to_owned(),
            rationale: "r".to_owned(),
        });
        sim.push(Event::Decision {
            runbook: RB.to_owned(),
            step: "assess".to_owned(),
            option: "Yes or unsure".to_owned(),
            goto: "notify".to_owned(),
            rationale: "r2".to_owned(),
        });
        assert_eq!(
            messages(&sim.state),
            [
                "seq 4: step `triage` of runbook `t/flow` done while done",
                "seq 5: step `triage` of runbook `t/flow` started again while done",
                "seq 6: step `wrap` of runbook `t/flow` unblocked while todo",
                "seq 9: step `assess` of runbook `t/flow` decided again (first at seq 8)",
            ]
        );
        // The journal's last word stands.
        assert_eq!(sim.state.status(RB, "wrap"), &StepStatus::Todo);
        let d = sim
            .state
            .step(RB, "assess")
            .unwrap()
            .decision
            .as_ref()
            .unwrap();
        assert_eq!(d.option, "Yes or unsure");
    }

    #[test]
    fn events_for_a_runbook_never_opened_are_anomalies_and_change_nothing() {
        let mut sim = Sim::new();
        sim.push(done("triage"));
        sim.push(Event::ClockStarted {
            runbook: RB.to_owned(),
            clock: "ico".to_owned(),
            label: "Report".to_owned(),
            due_at: "2026-03-09T14:00:00.000Z".to_owned(),
            anchor: None,
            case: None,
            basis: None,
        });
        assert!(sim.state.runbooks.is_empty());
        assert!(sim.state.clocks.is_empty());
        assert_eq!(
            messages(&sim.state),
            [
                "seq 2: step_done for step `triage` of runbook `t/flow`, which was not opened",
                "seq 3: clock `ico` of runbook `t/flow` started, but the runbook was not opened",
            ]
        );
    }

    fn clock_started(due_at: &str) -> Event {
        Event::ClockStarted {
            runbook: RB.to_owned(),
            clock: "ico".to_owned(),
            label: "Report to the ICO".to_owned(),
            due_at: due_at.to_owned(),
            anchor: None,
            case: None,
            basis: None,
        }
    }

    fn clock_event(met: bool) -> Event {
        let (runbook, clock) = (RB.to_owned(), "ico".to_owned());
        if met {
            Event::ClockMet {
                runbook,
                clock,
                case: None,
            }
        } else {
            Event::ClockBreached {
                runbook,
                clock,
                case: None,
            }
        }
    }

    #[test]
    fn clocks_start_and_are_met_once() {
        let mut sim = Sim::opened();
        sim.push(clock_event(true));
        sim.push(clock_started("2026-03-09T14:00:00.000+00:00"));
        sim.push(clock_started("2026-03-10T14:00:00.000Z"));
        sim.push(clock_event(true));
        sim.push(clock_event(true));
        sim.push(clock_event(false));
        let c = sim.state.clock(RB, "ico").unwrap();
        assert_eq!(c.label, "Report to the ICO");
        assert_eq!(
            c.due_at,
            t0() + TimeDelta::hours(72),
            "the first start stands"
        );
        assert_eq!(c.started.seq, 4);
        assert_eq!(c.met.as_ref().map(|m| m.seq), Some(6));
        assert_eq!(c.breached.as_ref().map(|m| m.seq), Some(8));
        assert_eq!(
            messages(&sim.state),
            [
                "seq 3: clock `ico` of runbook `t/flow` met, but it never started",
                "seq 5: clock `ico` of runbook `t/flow` started again (first at seq 4)",
                "seq 7: clock `ico` of runbook `t/flow` met again (first at seq 6)",
                "seq 8: clock `ico` of runbook `t/flow` breached after it was met",
            ]
        );
    }

    #[test]
    fn a_clock_with_an_unreadable_due_time_is_reported_not_guessed() {
        let mut sim = Sim::opened();
        sim.push(clock_started("Friday teatime"));
        assert!(sim.state.clocks.is_empty());
        assert_eq!(
            messages(&sim.state),
            [
                "seq 3: clock `ico` of runbook `t/flow` started with due time \"Friday teatime\", which is not an RFC 3339 time"
            ]
        );
    }

    #[test]
    fn clock_status_at_a_moment() {
        let mut sim = Sim::opened();
        sim.push(clock_started("2026-03-06T15:00:00Z"));
        let at = |m: i64| t0() + TimeDelta::minutes(m);
        let c = sim.state.clock(RB, "ico").unwrap().clone();
        assert_eq!(c.status(at(60)), ClockStatus::Running);
        assert_eq!(c.status(at(61)), ClockStatus::Overdue);
        let mut breached = c.clone();
        breached.breached = Some(c.started.clone());
        assert_eq!(breached.status(at(61)), ClockStatus::Breached);
        let mut met = breached.clone();
        met.met = Some(Stamp {
            at: at(90),
            ..c.started.clone()
        });
        assert_eq!(met.status(at(61)), ClockStatus::Met { late: true });
        met.met = Some(Stamp {
            at: at(60),
            ..c.started.clone()
        });
        assert_eq!(met.status(at(600)), ClockStatus::Met { late: false });
    }

    #[test]
    fn actor_changes_and_one_shot_writers_do_not_take_the_keyboard() {
        let mut sim = Sim::new();
        sim.push(Event::ActorChanged {
            name: "Alex".to_owned(),
            role: "Loggist".to_owned(),
        });
        let mut e = entry(
            3,
            t0(),
            Some(Event::Note {
                text: "from a second terminal".to_owned(),
                happened_at: None,
            }),
        );
        e.actor = Some(actor("Jo"));
        e.session = 0;
        sim.state.apply(&e);
        assert_eq!(
            sim.state.actor,
            Some(Actor {
                name: "Alex".to_owned(),
                role: "Loggist".to_owned()
            })
        );
        assert_eq!(sim.state.notes[0].stamp.actor, Some(actor("Jo")));
    }

    #[test]
    fn notes_keep_when_it_happened() {
        let mut sim = Sim::new();
        sim.push(Event::Note {
            text: "Ransom note found on the printer".to_owned(),
            happened_at: Some("2026-03-06T14:15:00+01:00".to_owned()),
        });
        sim.push(Event::Note {
            text: "Typo'd time".to_owned(),
            happened_at: Some("quarter past".to_owned()),
        });
        let n = &sim.state.notes;
        assert_eq!(n[0].happened_at, Some(t0() - TimeDelta::minutes(45)));
        assert_eq!(n[0].text, "Ransom note found on the printer");
        assert_eq!(n[1].happened_at, None);
        assert_eq!(n[1].text, "Typo'd time");
        assert_eq!(
            messages(&sim.state),
            ["seq 3: note says it happened at \"quarter past\", which is not an RFC 3339 time"]
        );
    }

    #[test]
    fn corrections_mark_the_entry_and_never_remove_it() {
        let mut sim = Sim::new();
        let wrong = sim.push(Event::Note {
            text: "Ransomware on the HR share".to_owned(),
            happened_at: None,
        });
        for text in ["It was the payroll share", "Payroll *and* HR"] {
            sim.push(Event::Correction {
                of: wrong,
                replacement: text.to_owned(),
            });
        }
        assert_eq!(sim.state.notes.len(), 1, "the corrected note stays");
        assert_eq!(sim.state.notes[0].text, "Ransomware on the HR share");
        assert!(sim.state.is_corrected(wrong));
        assert!(!sim.state.is_corrected(1));
        let c = sim.state.corrections_of(wrong);
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].stamp.seq, c[0].replacement.as_str()),
            (3, "It was the payroll share")
        );
        assert_eq!(c[1].stamp.seq, 4);
        assert!(sim.state.corrections_of(1).is_empty());
        assert!(sim.state.anomalies.is_empty());
    }

    #[test]
    fn odd_corrections_are_kept_and_reported() {
        let mut sim = Sim::new();
        sim.push(Event::Correction {
            of: 1,
            replacement: "Not a ransomware incident".to_owned(),
        });
        sim.push(Event::Correction {
            of: 3,
            replacement: "myself".to_owned(),
        });
        sim.push(Event::Correction {
            of: 40,
            replacement: "the future".to_owned(),
        });
        assert_eq!(sim.state.corrections.len(), 3);
        assert_eq!(
            messages(&sim.state),
            [
                "seq 2: corrects seq 1, which starts a session",
                "seq 3: corrects seq 3, which is not earlier in the journal",
                "seq 4: corrects seq 40, which is not earlier in the journal",
            ]
        );
    }

    #[test]
    fn injects_and_scores_are_kept_for_the_exercise_module() {
        let mut sim = Sim::new();
        let mut e = entry(
            2,
            t0(),
            Some(Event::InjectDelivered {
                inject: "i1".to_owned(),
                from: "Service desk".to_owned(),
                channel: "phone".to_owned(),
                text: "Files renamed .lock".to_owned(),
                to: None,
            }),
        );
        e.ex_t = Some(60_000);
        sim.state.apply(&e);
        let mut e = entry(
            3,
            t0(),
            Some(Event::ExpectationScored {
                inject: "i1".to_owned(),
                expectation: "0".to_owned(),
                score: "met".to_owned(),
                evidence: Some(2),
                comment: None,
            }),
        );
        e.ex_t = None;
        sim.state.apply(&e);
        let s = &sim.state;
        assert_eq!(s.injects.len(), 1);
        assert_eq!(s.injects[0].stamp.ex_t, Some(60_000));
        assert_eq!(s.injects[0].channel, "phone");
        assert_eq!(s.scores[0].evidence, Some(2));
        assert_eq!(
            s.ex_t,
            Some(60_000),
            "an entry without T+ keeps the last one"
        );
    }

    #[test]
    fn an_entry_out_of_order_is_applied_and_reported() {
        let mut sim = Sim::new();
        sim.state.apply(&entry(1, t0(), Some(session(true))));
        assert_eq!(sim.state.sessions.count, 2);
        assert_eq!(
            messages(&sim.state),
            ["seq 1: out of order: seq 1 comes after seq 1"]
        );
    }

    #[test]
    fn exercise_start_clock_changes_and_lessons_are_folded() {
        let mut sim = Sim::new();
        sim.push(Event::ExerciseClock {
            change: ClockChange::Paused,
            ex_t: 0,
            speed: 1,
            manual: false,
        });
        let start = |title: &str| Event::ExerciseStarted {
            exercise: "ex/ransomware".to_owned(),
            title: title.to_owned(),
            digest: "d1".to_owned(),
            speed: 10,
            manual: false,
        };
        sim.push(start("First"));
        sim.push(start("Again"));
        sim.push(Event::ExerciseClock {
            change: ClockChange::Speed,
            ex_t: 60_000,
            speed: 30,
            manual: false,
        });
        sim.push(Event::LessonRecorded {
            category: LessonCategory::Action,
            text: "Print the call tree".to_owned(),
            owner: Some("Emergency Planning".to_owned()),
            due: None,
        });
        let s = &sim.state;
        let started = s.exercise_start.as_ref().unwrap();
        assert_eq!((started.title.as_str(), started.stamp.seq), ("First", 3));
        assert_eq!(s.exercise_clock.len(), 2);
        assert_eq!(s.exercise_clock[1].speed, 30);
        assert_eq!(s.exercise_clock[1].change, ClockChange::Speed);
        assert_eq!(s.lessons[0].owner.as_deref(), Some("Emergency Planning"));
        assert_eq!(
            messages(s),
            [
                "seq 2: exercise clock paused, but no exercise started",
                "seq 4: the exercise started again (first at seq 3)"
            ]
        );
    }

    #[test]
    fn status_labels() {
        let labels = [
            StepStatus::Todo,
            StepStatus::Started,
            StepStatus::Done,
            StepStatus::Skipped {
                reason: String::new(),
            },
            StepStatus::Blocked {
                reason: String::new(),
                before: Box::default(),
            },
        ]
        .map(|s| s.label());
        assert_eq!(labels, ["todo", "started", "done", "skipped", "blocked"]);
    }
}
