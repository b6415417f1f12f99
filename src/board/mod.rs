//! The command-room board: every responder's journal of one incident folded
//! into one picture, refreshed as the journals grow.
//!
//! Each responder writes only their own journal; the journals meet in a
//! folder (a share, a stick, `journals/received/` after a pull). A [`Board`]
//! follows every `*.jsonl` below the folders it is given
//! ([`journal::follow`](crate::journal::follow): only appended bytes are read
//! on a refresh) and keeps each journal's own fold
//! ([`ResponseState`](crate::response::ResponseState), the same fold as
//! resume, replay and review). The [`Picture`] is then built from those
//! folds: nothing is merged into one journal, so two responders who did the
//! same step on two laptops both show, and nothing one writes can overwrite
//! what another wrote.
//!
//! The board is read-only: it never locks, writes, or moves a torn tail of a
//! journal it reads. What it cannot trust it shows and does not merge: a
//! journal that fails verification (with the seq and the reason), one it
//! cannot decrypt, a second copy of the same journal, a journal of another
//! incident. Folders are walked without following symbolic links; a link
//! where a journal would be is listed as refused.

mod picture;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

pub use picture::{
    Change, Deadline, DecisionRow, Integrity, JournalView, LastEntry, OpenDecision, Picture,
    RefusedView, Responder, RunbookOpen, StepBy, StepRow,
};

use crate::crypto::Identities;
use crate::journal::follow::{Follower, Health};
use crate::journal::{Actor, Entry};
use crate::response::{ResponseState, Runbooks};

/// How deep below a folder journals are looked for (`journals/received/
/// <sender>/` is two levels): deep enough for any layout people make, short
/// of a hostile tree that would make every refresh slow.
const MAX_DEPTH: usize = 6;

/// The most journal files followed: far above a command room's laptops.
const MAX_FILES: usize = 1000;

/// Someone who wrote in a journal, and their latest entry there.
#[derive(Debug, Clone)]
struct Seen {
    actor: Actor,
    last_seq: u64,
    last_at: DateTime<Utc>,
}

/// One journal file followed, with its fold.
struct Tracked {
    /// The file as shown: its path below the folder it was found in.
    shown: String,
    follower: Follower,
    state: ResponseState,
    last: Option<Entry>,
    /// Everyone who wrote in it, in order of first entry.
    actors: Vec<Seen>,
    /// The file was rewritten under the board at some refresh.
    rewritten: bool,
    /// Why the file could not be read at the last refresh.
    error: Option<String>,
}

impl Tracked {
    fn new(path: &Path, shown: String) -> Self {
        Self {
            shown,
            follower: Follower::new(path),
            state: ResponseState::new(),
            last: None,
            actors: Vec::new(),
            rewritten: false,
            error: None,
        }
    }

    /// Reads what was appended and folds it; true when anything changed.
    fn refresh(&mut self, identities: Option<&Identities>) -> bool {
        let polled = match self.follower.poll(identities) {
            Ok(polled) => polled,
            Err(e) => {
                let changed = self.error.as_deref() != Some(&e.to_string());
                self.error = Some(e.to_string());
                return changed;
            }
        };
        let was_error = self.error.take().is_some();
        if polled.rewritten {
            self.rewritten = true;
            self.state = ResponseState::new();
            self.actors.clear();
            self.last = None;
        }
        for entry in &polled.entries {
            self.state.apply(entry);
            if let Some(actor) = &entry.actor {
                match self.actors.iter_mut().find(|s| s.actor == *actor) {
                    Some(seen) => {
                        seen.last_seq = entry.seq;
                        seen.last_at = entry.at;
                    }
                    None => self.actors.push(Seen {
                        actor: actor.clone(),
                        last_seq: entry.seq,
                        last_at: entry.at,
                    }),
                }
            }
        }
        let changed = was_error || polled.rewritten || !polled.entries.is_empty();
        if let Some(last) = polled.entries.into_iter().last() {
            self.last = Some(last);
        }
        changed
    }
}

/// A path found where a journal would be that is not read, and why.
#[derive(Debug, Clone)]
struct Refused {
    path: PathBuf,
    reason: String,
}

/// Journals followed from some folders (or files); see the module docs.
pub struct Board {
    roots: Vec<PathBuf>,
    files: BTreeMap<PathBuf, Tracked>,
    refused: Vec<Refused>,
    /// The incident to show; by default the most recently active one.
    incident: Option<String>,
}

impl Board {
    /// A board over `roots`: folders searched for `*.jsonl` (recursively,
    /// links not followed) or journal files named directly. Nothing is read
    /// until [`Board::refresh`].
    pub fn new(roots: Vec<PathBuf>) -> Self {
        Self {
            roots,
            files: BTreeMap::new(),
            refused: Vec::new(),
            incident: None,
        }
    }

    /// Shows this incident (by the name its journals carry, case and
    /// surrounding spaces aside) rather than the most recently active one.
    pub fn with_incident(mut self, incident: Option<String>) -> Self {
        self.incident = incident;
        self
    }

    /// Looks for new journal files and reads what every journal appended;
    /// true when anything changed since the last refresh.
    pub fn refresh(&mut self, identities: Option<&Identities>) -> bool {
        let mut found = Vec::new();
        let mut refused = Vec::new();
        for root in &self.roots {
            walk(root, 0, true, &mut found, &mut refused);
        }
        let shown = |path: &Path| {
            self.roots
                .iter()
                .filter(|root| root.is_dir())
                .find_map(|root| path.strip_prefix(root).ok())
                .unwrap_or(path)
                .display()
                .to_string()
        };
        found.truncate(MAX_FILES);
        let mut changed = refused.len() != self.refused.len();
        self.refused = refused;
        // A file that went away is dropped: what the board shows is what
        // is in the folders now.
        let before = self.files.len();
        self.files.retain(|path, _| found.contains(path));
        changed |= self.files.len() != before;
        for path in found {
            self.files
                .entry(path)
                .or_insert_with_key(|path| Tracked::new(path, shown(path)));
        }
        // Journals are independent: read and fold them on every core (the
        // first board of a long incident is mostly hashing and decrypting).
        let mut tracked: Vec<&mut Tracked> = self.files.values_mut().collect();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = tracked.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            let workers: Vec<_> = tracked
                .chunks_mut(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter_mut()
                            .fold(false, |any, t| t.refresh(identities) | any)
                    })
                })
                .collect();
            for worker in workers {
                changed |= worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            }
        });
        changed
    }

    /// The picture at `now`: `since`, when given, lists what changed after
    /// it; `runbooks`, when the library is loaded, give step titles and
    /// which decisions are waiting to be taken.
    pub fn picture(
        &self,
        now: DateTime<Utc>,
        since: Option<DateTime<Utc>>,
        runbooks: Option<&dyn Runbooks>,
    ) -> Picture {
        picture::build(self, now, since, runbooks)
    }
}

/// Collects `*.jsonl` files below `path` (or `path` itself when it is a
/// file named directly), refusing links rather than following them.
fn walk(
    path: &Path,
    depth: usize,
    named: bool,
    found: &mut Vec<PathBuf>,
    refused: &mut Vec<Refused>,
) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        if named {
            refused.push(Refused {
                path: path.to_owned(),
                reason: "does not exist".to_owned(),
            });
        }
        return;
    };
    let journal_name = path.extension().is_some_and(|x| x == "jsonl");
    if meta.file_type().is_symlink() {
        // A folder given by the user may be a link they made; anything
        // below it that links away is refused by name.
        if named && std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
            walk_dir(path, depth, found, refused);
        } else if named || journal_name {
            refused.push(Refused {
                path: path.to_owned(),
                reason: "is a symbolic link: refused (the board never follows a link)".to_owned(),
            });
        }
    } else if meta.is_dir() {
        walk_dir(path, depth, found, refused);
    } else if meta.is_file() && (named || journal_name) {
        found.push(path.to_owned());
    }
}

fn walk_dir(dir: &Path, depth: usize, found: &mut Vec<PathBuf>, refused: &mut Vec<Refused>) {
    if depth >= MAX_DEPTH || found.len() >= MAX_FILES {
        return;
    }
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    let mut children: Vec<PathBuf> = read.filter_map(Result::ok).map(|e| e.path()).collect();
    children.sort();
    for child in children {
        walk(&child, depth + 1, false, found, refused);
    }
}

/// Where a followed journal stands, for the picture.
fn integrity(tracked: &Tracked) -> Integrity {
    if let Some(error) = &tracked.error {
        return Integrity::Unreadable {
            reason: error.clone(),
        };
    }
    let after = tracked.follower.head().map(|(seq, _)| seq);
    match tracked.follower.health() {
        Health::Good if after.is_none() => Integrity::Empty,
        Health::Good => Integrity::Verified,
        Health::Torn(torn) => Integrity::Torn {
            after_seq: after,
            offset: torn.offset,
            bytes: torn.len,
        },
        Health::Broken(finding) => Integrity::Failing {
            seq: finding.seq,
            offset: finding.offset,
            reason: finding.message.clone(),
        },
        Health::NoKey(reason) => Integrity::NoKey {
            reason: reason.clone(),
        },
    }
}

#[cfg(test)]
pub(crate) mod tests;
