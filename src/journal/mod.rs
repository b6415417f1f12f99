//! The incident journal: timestamped, append-only, tamper-evident, crash-safe,
//! encrypted at rest.
//!
//! A journal is a JSON Lines file, one entry per line, each carrying the hash
//! of the line before it (see `docs/journal-format.md`). It is the product's
//! memory: a response is the fold of its events, so resuming after a crash,
//! replaying for a debrief and an auditor's review all read the same file.
//!
//! - [`event`]: what can be recorded.
//! - [`ending`]: the newest entry of a kind, read backwards from the end.
//! - [`follow`]: a journal read incrementally as others append to it.
//! - [`entry`]: one line's stored form, its hash, encryption of its body,
//!   witness codes.
//! - [`scan`](mod@scan): every check that needs no key (the auditor's view).
//! - `links`: the few fields of a line those checks read, taken without
//!   building its event (how `verify` streams a journal at hashing speed).
//! - [`store`]: the file itself: create, open with torn-tail recovery, append
//!   with fsync under an exclusive lock.
//! - [`tail`](mod@tail): the `<journal>.tail` record a one-shot writer
//!   appends from without reading the whole journal.
//! - [`verify`](mod@verify): the auditor's report: scan, witness codes, signatures.
//! - [`merge`]: one timeline from several responders' journals.

pub mod ending;
pub mod entry;
pub mod event;
pub mod follow;
mod links;
pub mod merge;
#[cfg(test)]
mod reference;
pub mod scan;
pub mod store;
pub mod tail;
pub mod verify;

pub use entry::{JournalKey, SealError, digest_hex, parse_witness, witness_code};
pub use event::{Actor, ClockAnchor, ClockChange, Event, LessonCategory, UnknownEvent};
pub use scan::{Finding, Scan, Torn, scan};
pub use store::{
    Entry, Journal, JournalError, NewJournal, OpenStep, Planned, Quarantined, ReadJournal,
    ReadMark, Reading, STEP_BYTES, read_prefix,
};
pub use verify::{VerifyOptions, VerifyReport, verify};
