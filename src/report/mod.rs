//! Reports: what an auditor, an insurer or a council files, rendered from the
//! journal and the library, never drawn on a screen.
//!
//! [`Timeline`] is the one reading of one or more journals (or merged
//! timelines) that every export and the review screen share: the integrity
//! verdict of each file (from [`crate::journal::verify()`]), then every entry in
//! time order with its seq, local and UTC time, exercise time, actor, the
//! event in words, and the corrections later entries made to it. Each format
//! has its own file and escapes all text for that format:
//!
//! - [`markdown`]: Markdown, with HTML special characters as entities.
//! - [`html`]: a self-contained HTML page (inline CSS, a print stylesheet for
//!   A4, no script), built with the shared writer in [`html`] that the paper
//!   pack and the audit use too.
//! - [`csv`](mod@csv): RFC 4180, with cells a spreadsheet would run as a formula
//!   neutralised.
//! - [`json`]: the documented `grabbag-export` JSON (docs/exports.md).
//! - [`timesketch`]: JSON Lines for Timesketch.
//! - [`pack`]: the paper pack of runbooks and blank decision-log sheets.
//! - [`diff`]: each runbook version followed against the library's HEAD.
//! - [`audit`]: the one-page library audit, with [`coverage`]: the LGA
//!   grab-bag themes by stage.
//! - [`aar`]: an exercise run's after-action report, Markdown or HTML.
//! - [`sitrep`]: the situation report from a board's picture, Markdown or HTML.

pub mod aar;
pub mod audit;
pub mod caf;
pub mod cases;
pub mod coverage;
pub mod csv;
pub mod diff;
pub mod html;
pub mod json;
pub mod markdown;
pub mod pack;
pub mod sitrep;
pub mod timesketch;

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde::Serialize;

use crate::crypto::Identities;
use crate::journal::verify::{
    Format, SignatureStatus, VerifyError, VerifyOptions, VerifyReport, verify_bytes,
};
use crate::journal::{Actor, Entry, Event, JournalError, merge, witness_code};
use crate::response::{ResponseState, Runbooks, describe};

/// Why a timeline could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Verification could not read a file.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A journal could not be decrypted or decoded.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// A merged timeline whose sources cannot be taken out.
    #[error("{0}: not a readable merged timeline (run `grabbag journal verify` on it)")]
    Merged(PathBuf),
}

/// One file given to a report: a journal or a merged timeline, as read once.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// Where it was read from (shown as given).
    pub path: &'a Path,
    /// Its bytes.
    pub bytes: &'a [u8],
}

/// The integrity of one file, as `journal verify` found it.
#[derive(Debug, Clone)]
pub struct Integrity {
    /// The verification report.
    pub report: VerifyReport,
    /// Every body could be read (plaintext, or the key was opened).
    pub readable: bool,
}

impl Integrity {
    /// The verdict in sentences, most important first: chain, signature,
    /// encryption, witness codes, then each problem and warning. Raw text:
    /// each renderer escapes it.
    pub fn lines(&self) -> Vec<String> {
        let r = &self.report;
        let what = match r.format {
            Format::Journal => "entries",
            Format::Merge => "merged lines",
        };
        let mut out = Vec::new();
        let head = r
            .head
            .as_ref()
            .map_or_else(String::new, |h| format!(", head {}", h.witness));
        out.push(match r.problems.first() {
            None => format!("Chain intact: {} {what}{head}.", r.entries),
            Some(p) => {
                let place = p
                    .seq
                    .map_or_else(|| format!("byte {}", p.offset), |s| format!("seq {s}"));
                let message = p
                    .message
                    .strip_prefix(&format!("{place}: "))
                    .unwrap_or(&p.message);
                format!(
                    "Chain BROKEN at {place}: {message} (only the {} {what} before it are shown).",
                    r.entries
                )
            }
        });
        out.push(match &r.signature {
            None => "Unsigned: no signature file.".to_owned(),
            Some(sig) => {
                let status = match (sig.status, sig.whole_file) {
                    (SignatureStatus::Valid, true) => "Signed",
                    (SignatureStatus::Valid, false) => "Signed, PARTIALLY",
                    (SignatureStatus::Unchecked, _) => "Signature UNCHECKED",
                    (SignatureStatus::UnknownSigner, _) => "Signed by a key not in allowed_signers",
                    (SignatureStatus::Invalid, _) => "Signature INVALID",
                };
                // "Signed" + "signed by X; ..." reads as "Signed by X; ...".
                let message = sig.message.trim_end_matches('.');
                match message.strip_prefix(&status.to_lowercase()) {
                    Some(rest) => format!("{status}{rest}."),
                    None => format!("{status}: {message}."),
                }
            }
        });
        out.push(match (r.encrypted, self.readable) {
            (true, true) => "Encrypted at rest; read with the identity given.".to_owned(),
            (true, false) => {
                "Encrypted at rest; no identity could open it, so events are not shown.".to_owned()
            }
            (false, _) => "PLAINTEXT: not encrypted at rest.".to_owned(),
        });
        for s in &r.sources {
            out.push(format!("{}.", s.describe()));
        }
        for w in &r.witnesses {
            out.push(format!(
                "Witness {}: {}: {}",
                w.witness,
                if w.matched { "matched" } else { "MISMATCH" },
                w.message
            ));
        }
        for p in r.problems.iter().skip(1) {
            out.push(format!("Problem at byte {}: {}", p.offset, p.message));
        }
        for w in &r.warnings {
            out.push(format!("Warning at byte {}: {}", w.offset, w.message));
        }
        out
    }

    /// One line: the verdict and the chain sentence.
    pub fn summary(&self) -> String {
        let verdict = if self.report.ok() {
            "VERIFIED"
        } else {
            "FAILED"
        };
        let lines = self.lines();
        format!("{verdict}: {}", lines.join(" "))
    }
}

/// One entry on the timeline.
#[derive(Debug, Clone)]
pub struct Row {
    /// Index of its journal in [`Timeline::sources`].
    pub source: usize,
    /// The entry as read (actor and event absent when encrypted and unread).
    pub entry: Entry,
    /// The event in words.
    pub text: String,
    /// Later entries of the same journal that correct this one: (seq, replacement).
    pub corrected_by: Vec<(u64, String)>,
}

impl Row {
    /// UTC time, RFC 3339 with milliseconds.
    pub fn utc(&self) -> String {
        self.entry.at.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// The writer's local time, `YYYY-MM-DD HH:MM:SS +01:00` (from the offset
    /// recorded in the entry, not the reader's time zone).
    pub fn local(&self) -> String {
        local_time(self.entry.at, &self.entry.offset)
    }

    /// Exercise time as `T+HH:MM:SS`, when recorded.
    pub fn ex_t(&self) -> Option<String> {
        self.entry.ex_t.map(exercise_time)
    }

    /// The event type as stored (`step_done`...), or `encrypted`.
    pub fn kind(&self) -> &'static str {
        self.entry.event.as_ref().map_or("encrypted", Event::kind)
    }

    /// `Name (Role)`, or empty when unread.
    pub fn actor(&self) -> String {
        self.entry.actor.as_ref().map_or_else(String::new, actor)
    }

    /// The runbook the event is about, if any.
    pub fn runbook(&self) -> Option<&str> {
        self.entry.event.as_ref().and_then(event_runbook)
    }

    /// The entry's witness code.
    pub fn witness(&self) -> String {
        witness_code(self.entry.seq, &self.entry.hash)
    }

    /// True for a decision.
    pub fn is_decision(&self) -> bool {
        matches!(self.entry.event, Some(Event::Decision { .. }))
    }

    /// True for a correction, or an entry a correction names.
    pub fn is_correction_related(&self) -> bool {
        !self.corrected_by.is_empty() || matches!(self.entry.event, Some(Event::Correction { .. }))
    }
}

/// The first 8 characters of an id (a commit, a blob), safe on any text: a
/// journal's ids are untrusted and may not be hex at all.
pub fn short_id(id: &str) -> &str {
    id.char_indices().nth(8).map_or(id, |(i, _)| &id[..i])
}

/// `Name (Role)`.
pub fn actor(a: &Actor) -> String {
    if a.role.is_empty() {
        a.name.clone()
    } else {
        format!("{} ({})", a.name, a.role)
    }
}

/// `YYYY-MM-DD HH:MM:SS +01:00` in the given offset (UTC when it does not parse).
pub fn local_time(at: DateTime<Utc>, offset: &str) -> String {
    let zone = offset
        .parse::<FixedOffset>()
        .ok()
        .or_else(|| FixedOffset::east_opt(0));
    match zone {
        Some(zone) => at
            .with_timezone(&zone)
            .format("%Y-%m-%d %H:%M:%S %:z")
            .to_string(),
        None => at.format("%Y-%m-%d %H:%M:%S +00:00").to_string(),
    }
}

/// Exercise milliseconds as `T+HH:MM:SS`.
pub fn exercise_time(ms: u64) -> String {
    let s = ms / 1000;
    format!("T+{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// The runbook an event is about.
pub fn event_runbook(event: &Event) -> Option<&str> {
    match event {
        Event::RunbookOpened { runbook, .. }
        | Event::StepStarted { runbook, .. }
        | Event::StepDone { runbook, .. }
        | Event::StepSkipped { runbook, .. }
        | Event::StepBlocked { runbook, .. }
        | Event::StepUnblocked { runbook, .. }
        | Event::CheckTicked { runbook, .. }
        | Event::CheckUnticked { runbook, .. }
        | Event::Decision { runbook, .. }
        | Event::ClockStarted { runbook, .. }
        | Event::ClockMet { runbook, .. }
        | Event::ClockBreached { runbook, .. } => Some(runbook),
        _ => None,
    }
}

/// Column heads of [`VersionRow::cells`].
pub const VERSION_HEAD: [&str; 9] = [
    "Journal",
    "Runbook",
    "Title",
    "Commit",
    "Blob",
    "Opened (seq)",
    "State",
    "Trust",
    "Against library HEAD",
];

/// A runbook version a journal opened: what an auditor needs to say which
/// version was followed.
#[derive(Debug, Clone, Serialize)]
pub struct VersionRow {
    /// The journal.
    pub journal: String,
    /// Runbook id.
    pub runbook: String,
    /// Its title then.
    pub title: String,
    /// The last commit that changed it.
    pub commit: Option<String>,
    /// Its blob id.
    pub blob: Option<String>,
    /// The entry that opened it.
    pub opened_seq: u64,
    /// It differed from the commit.
    pub dirty: bool,
    /// It was a plaintext draft.
    pub unencrypted: bool,
    /// Trust, as recorded.
    pub trust: String,
    /// How it compares with the library's HEAD (`None`: not compared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub against_head: Option<diff::Comparison>,
}

impl VersionRow {
    /// Table cells under [`VERSION_HEAD`].
    pub fn cells(&self) -> Vec<String> {
        let mut state = Vec::new();
        if self.dirty {
            state.push("DIRTY");
        }
        if self.unencrypted {
            state.push("UNENCRYPTED");
        }
        vec![
            self.journal.clone(),
            self.runbook.clone(),
            self.title.clone(),
            self.commit
                .clone()
                .unwrap_or_else(|| "(not committed)".to_owned()),
            self.blob.clone().unwrap_or_default(),
            self.opened_seq.to_string(),
            if state.is_empty() {
                "clean".to_owned()
            } else {
                state.join(", ")
            },
            self.trust.clone(),
            match &self.against_head {
                None => "not compared (no library)".to_owned(),
                Some(diff::Comparison::Same) => "same as HEAD".to_owned(),
                Some(diff::Comparison::Changed(_)) => "CHANGED at HEAD (diff below)".to_owned(),
                Some(diff::Comparison::Unavailable(why)) => format!("not compared: {why}"),
            },
        ]
    }
}

/// Every runbook version each journal opened, oldest first (per journal),
/// with [`Timeline::head`] where it was compared.
pub fn versions(timeline: &Timeline) -> Vec<VersionRow> {
    let mut rows = Vec::new();
    for source in &timeline.sources {
        for open in &source.state.runbooks {
            for v in open.earlier.iter().chain(std::iter::once(&open.version)) {
                rows.push(VersionRow {
                    journal: source.name.clone(),
                    runbook: open.id.clone(),
                    title: v.title.clone(),
                    commit: v.commit.clone(),
                    blob: v.blob.clone(),
                    opened_seq: v.stamp.seq,
                    dirty: v.dirty,
                    unencrypted: v.unencrypted,
                    trust: v.trust.clone(),
                    against_head: timeline.head.get(rows.len()).cloned(),
                });
            }
        }
    }
    rows
}

/// [`versions`] as table cells.
pub fn version_cells(timeline: &Timeline) -> Vec<Vec<String>> {
    versions(timeline).iter().map(VersionRow::cells).collect()
}

/// One journal on the timeline (a merged file contributes one per source).
#[derive(Debug, Clone)]
pub struct Source {
    /// Its name: the file name, or the source's name inside a merged file.
    pub name: String,
    /// Index in [`Timeline::files`] of the file it came from.
    pub file: usize,
    /// Its state, folded from its entries (runbook versions, scores...).
    pub state: ResponseState,
}

/// Several journals read together, in one time order.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// Each file given, with its integrity.
    pub files: Vec<Integrity>,
    /// Each journal, in the order given (sources of a merged file in its order).
    pub sources: Vec<Source>,
    /// Every readable-or-not good entry, interleaved by time like `journal merge`.
    pub rows: Vec<Row>,
    /// Each version of [`versions`], in its order, compared with the
    /// library's HEAD ([`diff::against_head`]); empty when not compared.
    pub head: Vec<diff::Comparison>,
}

impl Timeline {
    /// Reads `inputs`: verifies each (with `options`), decrypts with
    /// `identities` where it can, and interleaves the entries by time. Event
    /// words name steps and clocks from `runbooks` where it has them.
    pub fn read<R: Runbooks + ?Sized>(
        inputs: &[Input<'_>],
        options: &VerifyOptions<'_>,
        identities: Option<&Identities>,
        runbooks: &R,
    ) -> Result<Self, ReportError> {
        let mut files = Vec::new();
        let mut sources = Vec::new();
        let mut entries: Vec<Vec<Entry>> = Vec::new();
        for input in inputs {
            let report = verify_bytes(input.path, input.bytes, options)?;
            let mut readable = true;
            let mut read_one = |name: String, path: &Path, bytes: &[u8]| {
                let read = crate::journal::read_prefix(path, bytes, identities)?;
                readable &= read.readable;
                sources.push(Source {
                    name,
                    file: files.len(),
                    state: ResponseState::fold(&read.entries),
                });
                entries.push(read.entries);
                Ok::<_, ReportError>(())
            };
            if report.format == Format::Merge {
                let parts = merge::sources(input.bytes)
                    .ok_or_else(|| ReportError::Merged(input.path.to_owned()))?;
                for (name, bytes) in parts {
                    let path = input.path.join(&name);
                    read_one(name, &path, &bytes)?;
                }
            } else {
                let name = input.path.file_name().map_or_else(
                    || input.path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                read_one(name, input.path, input.bytes)?;
            }
            files.push(Integrity { report, readable });
        }
        let mut rows = Vec::new();
        for (source, index) in merge::interleave(&entries, |e| e.at) {
            let entry = entries[source][index].clone();
            let state = &sources[source].state;
            rows.push(Row {
                source,
                text: describe(entry.event.as_ref(), runbooks),
                corrected_by: state
                    .corrections_of(entry.seq)
                    .iter()
                    .map(|c| (c.stamp.seq, c.replacement.clone()))
                    .collect(),
                entry,
            });
        }
        Ok(Self {
            files,
            sources,
            rows,
            head: Vec::new(),
        })
    }

    /// True when there is more than one journal (rows name their source).
    pub fn merged(&self) -> bool {
        self.sources.len() > 1
    }

    /// The name shown for a row's journal.
    pub fn source_name(&self, row: &Row) -> &str {
        self.sources.get(row.source).map_or("", |s| s.name.as_str())
    }

    /// A title: the incident (or exercise) names, else the file names.
    pub fn title(&self) -> String {
        let names: Vec<String> = self
            .sources
            .iter()
            .map(|s| {
                s.state
                    .incident
                    .clone()
                    .or_else(|| s.state.exercise.clone().map(|e| format!("exercise {e}")))
                    .unwrap_or_else(|| s.name.clone())
            })
            .collect();
        let mut unique: Vec<String> = Vec::new();
        for n in names {
            if !unique.contains(&n) {
                unique.push(n);
            }
        }
        format!("Journal: {}", unique.join(", "))
    }

    /// Every file verified.
    pub fn ok(&self) -> bool {
        self.files.iter().all(|f| f.report.ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_uses_the_recorded_offset() {
        let at = DateTime::parse_from_rfc3339("2026-06-01T09:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(local_time(at, "+01:00"), "2026-06-01 10:00:00 +01:00");
        assert_eq!(local_time(at, "nonsense"), "2026-06-01 09:00:00 +00:00");
        assert_eq!(exercise_time(3_723_000), "T+01:02:03");
        assert_eq!(short_id("1a2b3c4d5e6f"), "1a2b3c4d");
        assert_eq!(short_id("ééééééééé"), "éééééééé");
        assert_eq!(short_id("ab"), "ab");
    }
}
