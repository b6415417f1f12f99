//! One response or exercise run: its journal, the fold of it, and the
//! runbooks it runs against. The only door a front end has to a response.
//!
//! Principle 9: the TUI, `grabbag act` / `grabbag status` and the tests drive
//! a response through the same [`Session`] and the same validated
//! [`Command`]s; no front end builds a journal event. [`Session::execute`]
//! holds the journal's lock while it reads what other processes appended
//! (a colleague's `grabbag note`), folds it, runs [`decide`] on that
//! caught-up state, and writes the events (each synced before it is folded).
//! So a rule is never judged on a stale state, the state never skips a seq,
//! and the entries it hands back are every entry that reached the file since
//! the caller last looked: others' first, in file order, then its own.
//!
//! Exercise time is the journal's: each entry of an exercise carries the
//! time the recorded clock reads ([`PlayClock`]), so a second terminal's
//! entry during a 60x exercise lands where it was played.

use std::path::Path;

use chrono::{DateTime, Utc};

pub use fold_cache::FoldCache;

use crate::calendar::Calendar;
use crate::crypto::Identities;
use crate::journal::{
    Actor, Entry, Event, Journal, JournalError, NewJournal, Planned, Quarantined,
};
use crate::library::LoadedRunbook;
use crate::response::{
    Command, CommandError, OnCalendar, PlayClock, ResponseState, RunbookPin, check_capacity, decide,
};
use crate::runbook::Runbook;

/// Why an action did not go into the journal.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The core refused it: the reason is written to be shown as it is.
    #[error(transparent)]
    Refused(#[from] CommandError),
    /// The journal could not be read or written.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// A session opened by [`Session::open_for_notes`] holds the clocks,
    /// not the whole fold, so it judges notes only.
    #[error(
        "this session was opened for notes only: open the journal in full for any other action"
    )]
    NotesOnly,
}

/// A journal left with a session open, as [`Session::left_open`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOpen {
    /// The incident it names.
    pub incident: Option<String>,
}

/// A response or exercise run in progress.
pub struct Session {
    journal: Journal,
    state: ResponseState,
    runbooks: Vec<Runbook>,
    /// The working days deadlines count on (the library's settings).
    calendar: Calendar,
    /// Entries folded but not yet handed to the caller.
    unseen: Vec<Entry>,
    /// Opened by [`Session::open_for_notes`]: the state is the fold of the
    /// entries that set the clocks and the last one, not of all.
    notes_only: bool,
}

impl Session {
    /// Starts a new journal at `path`; its first entry (the session start)
    /// is folded and waits in [`Session::take_unseen`].
    pub fn start(
        path: &Path,
        new: &NewJournal<'_>,
        actor: &Actor,
        runbooks: Vec<Runbook>,
    ) -> Result<Self, JournalError> {
        let (journal, first) = Journal::create_with_entry(path, new, actor)?;
        Ok(Self::folded(journal, vec![first], runbooks))
    }

    /// Opens an existing journal and folds every entry (all of them wait in
    /// [`Session::take_unseen`]), with any torn tail that was moved aside.
    /// Writes nothing yet: [`Session::begin`] starts a writer session, and
    /// [`Session::one_shot`] makes this a one-shot writer instead.
    pub fn open(
        path: &Path,
        identities: Option<&Identities>,
        runbooks: Vec<Runbook>,
    ) -> Result<(Self, Option<Quarantined>), JournalError> {
        let (journal, entries, quarantined) = Journal::open(path, identities)?;
        Ok((Self::folded(journal, entries, runbooks), quarantined))
    }

    /// Opens an existing journal to be read and folded in steps
    /// ([`Opening::step`]), so a screen can draw what is read so far instead
    /// of waiting for all of it (a resume of a 100,000-entry journal).
    /// Nothing is written until [`Opening::finish`] hands over the session,
    /// whose state is then the fold of every entry, as [`Session::open`]'s.
    pub fn opening(path: &Path, runbooks: Vec<Runbook>) -> Result<Opening, JournalError> {
        Ok(Opening {
            journal: Journal::open_in_steps(path)?,
            state: ResponseState::new(),
            runbooks,
            quarantined: None,
            done: false,
        })
    }

    /// Opens an existing journal for a one-shot writer of notes (`grabbag
    /// note`) without reading it all ([`Journal::open_tail`]): the state is
    /// the fold of the first entry, the entries that set the clocks, the
    /// last that carries an exercise time and the last entry, which is all a
    /// note is judged by (whether play has ended, what the exercise clock
    /// reads), so a note costs the same at 100,000 entries as at 10. Nothing
    /// waits in [`Session::take_unseen`] (what was read is a selection);
    /// [`Session::execute`] refuses any other command.
    pub fn open_for_notes(
        path: &Path,
        identities: Option<&Identities>,
    ) -> Result<(Self, Option<Quarantined>), JournalError> {
        let (journal, entries, quarantined) = Journal::open_tail(path, identities)?;
        let mut session = Self::folded(journal, entries, Vec::new());
        // A selection of the journal, not news to hand out.
        session.unseen.clear();
        session.notes_only = true;
        session.one_shot();
        Ok((session, quarantined))
    }

    /// The state of the journal at `path` without opening it for writing:
    /// no lock, no `.lock` written, a torn tail left where it is (to offer
    /// a journal for resuming, where merely looking must change no file).
    pub fn peek(
        path: &Path,
        identities: Option<&Identities>,
    ) -> Result<ResponseState, JournalError> {
        read_folded(path, identities, None).map(|(state, _)| state)
    }

    /// Whether the journal at `path` was left with a session open (a crash,
    /// a kill, a laptop closed), read from its end
    /// ([`read_ending`](crate::journal::ending::read_ending)): the newest
    /// session start or end decides, as in the fold, so a finished journal
    /// costs a read of its last entries, not a fold of all of them. `Some`
    /// with the incident it names (from the first entry; folded only when
    /// that names none) when it was left open. Read-only, like
    /// [`Session::peek`]; the chain is checked when the journal is opened.
    pub fn left_open(
        path: &Path,
        identities: Option<&Identities>,
    ) -> Result<Option<LeftOpen>, JournalError> {
        let ending = crate::journal::ending::read_ending(path, identities, |event| {
            matches!(
                event,
                Event::SessionStarted { .. } | Event::SessionEnded { .. }
            )
        })?;
        let open = matches!(
            ending.newest.and_then(|e| e.event),
            Some(Event::SessionStarted { .. })
        );
        if !open {
            return Ok(None);
        }
        let incident = match ending.first.event {
            Some(Event::SessionStarted {
                incident: Some(incident),
                ..
            }) => Some(incident),
            _ => Self::peek(path, identities)?.incident,
        };
        Ok(Some(LeftOpen { incident }))
    }

    fn folded(journal: Journal, entries: Vec<Entry>, runbooks: Vec<Runbook>) -> Self {
        Self {
            journal,
            state: ResponseState::fold(&entries),
            runbooks,
            calendar: Calendar::default(),
            unseen: entries,
            notes_only: false,
        }
    }

    /// Starts a new writer session on an opened journal (a resume), under
    /// `actor`, naming the library in use.
    pub fn begin(&mut self, actor: &Actor, library: Option<String>) -> Result<(), JournalError> {
        let new = NewJournal {
            // The journal records whether it is encrypted itself.
            recipients: None,
            library,
            incident: self.state.incident.clone(),
            exercise: self.state.exercise.clone(),
        };
        let mut seen = Vec::new();
        let started = self.journal.start_session_seen(actor, &new, &mut seen);
        self.take_in(seen);
        self.take_in(vec![started?]);
        Ok(())
    }

    /// Makes this process a one-shot writer (session 0, no monotonic clock),
    /// as `grabbag act` is: it does not claim a session's clock.
    pub fn one_shot(&mut self) {
        self.journal.one_shot();
    }

    /// Checks `command` against the journal as it is on disk now and appends
    /// its events as `actor`. Returns every entry that reached the file since
    /// the last look: other processes' first, in file order, then this one's.
    /// When it is refused (or fails), nothing of it is written, and the
    /// entries read meanwhile are folded and wait in
    /// [`Session::take_unseen`].
    pub fn execute(
        &mut self,
        actor: &Actor,
        command: &Command,
        now: DateTime<Utc>,
    ) -> Result<Vec<Entry>, SessionError> {
        if self.notes_only && !matches!(command, Command::Note { .. }) {
            return Err(SessionError::NotesOnly);
        }
        let mut written = Vec::new();
        let Self {
            journal,
            state,
            runbooks,
            calendar,
            unseen,
            ..
        } = self;
        let rules = OnCalendar {
            runbooks: runbooks.as_slice(),
            calendar,
        };
        let result = journal.append_planned(
            |others| {
                fold_into(state, unseen, others);
                let events = decide(state, &rules, command, now)?;
                check_capacity(state, actor, command)?;
                let ex_now = PlayClock::of(state).at(now);
                Ok::<_, SessionError>(
                    events
                        .into_iter()
                        .map(|event| Planned {
                            actor: actor.clone(),
                            ex_t: exercise_time(&event, ex_now),
                            event,
                        })
                        .collect(),
                )
            },
            &mut written,
        );
        // What reached the disk is folded even when a later write failed.
        self.take_in(written);
        result?;
        Ok(self.take_unseen())
    }

    /// Takes in what other processes appended since the last look, and
    /// returns every entry not yet handed out.
    pub fn refresh(&mut self) -> Result<Vec<Entry>, SessionError> {
        let Self {
            journal,
            state,
            unseen,
            ..
        } = self;
        journal.append_planned(
            |others| {
                fold_into(state, unseen, others);
                Ok::<_, SessionError>(Vec::new())
            },
            &mut Vec::new(),
        )?;
        Ok(self.take_unseen())
    }

    /// Entries folded but not yet handed out (those read before a refusal),
    /// in file order.
    pub fn take_unseen(&mut self) -> Vec<Entry> {
        std::mem::take(&mut self.unseen)
    }

    fn take_in(&mut self, entries: Vec<Entry>) {
        fold_into(&mut self.state, &mut self.unseen, entries);
    }

    /// The response as the journal says it is.
    pub fn state(&self) -> &ResponseState {
        &self.state
    }

    /// The runbooks commands are checked against.
    pub fn runbooks(&self) -> &[Runbook] {
        &self.runbooks
    }

    /// Replaces the runbooks (the library finished loading, or changed).
    pub fn set_runbooks(&mut self, runbooks: Vec<Runbook>) {
        self.runbooks = runbooks;
    }

    /// Counts deadlines on the library's calendar (England and Wales' bank
    /// holidays until this is called).
    pub fn set_calendar(&mut self, calendar: Calendar) {
        self.calendar = calendar;
    }

    /// The working days deadlines count on.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// The open journal (path, head, witness code).
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The exercise time the journal's clock reads at `now`; `None` outside
    /// an exercise.
    pub fn exercise_time(&self, now: DateTime<Utc>) -> Option<u64> {
        PlayClock::of(&self.state).at(now)
    }
}

/// A journal being opened in steps by [`Session::opening`].
pub struct Opening {
    journal: Journal,
    state: ResponseState,
    runbooks: Vec<Runbook>,
    quarantined: Option<Quarantined>,
    done: bool,
}

impl Opening {
    /// Reads, checks, decodes and folds the next part of the journal
    /// (keys from `identities`), and returns its entries (in file order).
    pub fn step(&mut self, identities: Option<&Identities>) -> Result<Vec<Entry>, JournalError> {
        self.step_of(identities, crate::journal::STEP_BYTES)
    }

    /// [`Opening::step`] reading about `max` bytes.
    fn step_of(
        &mut self,
        identities: Option<&Identities>,
        max: u64,
    ) -> Result<Vec<Entry>, JournalError> {
        if self.done {
            return Ok(Vec::new());
        }
        let step = self.journal.open_step(identities, max)?;
        for entry in &step.entries {
            self.state.apply(entry);
        }
        self.done = step.done;
        if step.quarantined.is_some() {
            self.quarantined = step.quarantined;
        }
        Ok(step.entries)
    }

    /// The whole journal has been read.
    pub fn done(&self) -> bool {
        self.done
    }

    /// The share of the journal read so far, in percent.
    pub fn percent(&self) -> u8 {
        let (read, len) = self.journal.read_so_far();
        if len == 0 {
            return 100;
        }
        u8::try_from(read.saturating_mul(100) / len).unwrap_or(100)
    }

    /// The state folded so far.
    pub fn state(&self) -> &ResponseState {
        &self.state
    }

    /// The runbooks the session will run against, when they arrive after
    /// the read began (the interface starts reading while they load).
    pub fn set_runbooks(&mut self, runbooks: Vec<Runbook>) {
        self.runbooks = runbooks;
    }

    /// The session, once [`Opening::done`] (`None` before), with any torn
    /// tail that was moved aside. Its entries were handed out by the steps:
    /// none wait in [`Session::take_unseen`].
    pub fn finish(self) -> Option<(Session, Option<Quarantined>)> {
        if !self.done {
            return None;
        }
        let session = Session {
            journal: self.journal,
            state: self.state,
            runbooks: self.runbooks,
            calendar: Calendar::default(),
            unseen: Vec::new(),
            notes_only: false,
        };
        Some((session, self.quarantined))
    }
}

/// Folds entries, in file order, and keeps them to hand out.
fn fold_into(state: &mut ResponseState, unseen: &mut Vec<Entry>, entries: Vec<Entry>) {
    for entry in entries {
        state.apply(&entry);
        unseen.push(entry);
    }
}

/// The version of a loaded runbook, as opening it records it.
pub fn pin(loaded: &LoadedRunbook) -> RunbookPin {
    RunbookPin {
        commit: loaded.version.commit.clone(),
        blob: loaded.version.blob.clone(),
        dirty: loaded.version.dirty,
        unencrypted: !loaded.encrypted,
        trust: loaded.trust.to_string(),
    }
}

/// The exercise time an entry carries: its own for a change of the
/// exercise clock (a jump lands at the time jumped to) and for the start
/// (T+0), else the clock's reading now.
fn exercise_time(event: &Event, now: Option<u64>) -> Option<u64> {
    match event {
        Event::ExerciseClock { ex_t, .. } => Some(*ex_t),
        Event::ExerciseStarted { .. } => Some(0),
        _ => now,
    }
}

pub mod fold_cache;
#[cfg(test)]
mod tests;

/// How much of a journal [`read_folded`] reads at a time.
const FOLD_PART: u64 = 1 << 20;

/// The fold of the journal at `path` and its last entry, read as
/// [`Journal::read`] reads it (the whole chain checked, bodies opened with
/// `identities`) and folded as [`ResponseState::fold`] folds, without a lock
/// or a write to the journal, like [`Session::peek`].
///
/// For the one-shot readers (`status`, `cases`): one thread reads, checks
/// and decodes the journal a part at a time while this one folds the part
/// before, so a long journal costs the longer of the two rather than their
/// sum, and no more than a few parts' entries are held at once (at 10,000
/// cases, 40,000 entries, every entry held took more time in memory
/// allocation than in folding: docs/PERFORMANCE.md). With `cache`, a fold
/// snapshot of a long journal ([`fold_cache`]) stands for the entries it
/// covers, and is kept for the next read.
pub fn read_folded(
    path: &Path,
    identities: Option<&Identities>,
    cache: Option<&FoldCache>,
) -> Result<(ResponseState, Option<Entry>), JournalError> {
    let mut reading = Journal::read_in_steps(path)?;
    let mut state = ResponseState::new();
    let mut head = None;
    let mut from = 0;
    if let Some(cache) = cache {
        match cache.load(path, &mut reading, identities) {
            Some(found) => (state, head, from) = (found.state, Some(found.head), found.end),
            None => {
                // A miss may have moved the read on: start it again.
                if reading.mark().is_some() {
                    reading = reading.start_again()?;
                }
                if cache.would_keep(reading.file_len()) {
                    reading.keep_digest(Default::default());
                }
            }
        }
    }
    let (parts, received) = std::sync::mpsc::sync_channel(2);
    let reader = &mut reading;
    std::thread::scope(|scope| {
        scope.spawn(move || {
            loop {
                let part = reader.step(identities, FOLD_PART);
                let last = part.is_err() || reader.done();
                // The folder stopped (an error): nothing more is wanted.
                if parts.send(part).is_err() || last {
                    break;
                }
            }
        });
        for part in received {
            let part = part?;
            for entry in &part {
                state.apply(entry);
            }
            if let Some(last) = part.into_iter().next_back() {
                head = Some(last);
            }
        }
        Ok::<_, JournalError>(())
    })?;
    if let Some(cache) = cache {
        cache.store(path, &reading, &state, from);
    }
    Ok((state, head))
}
