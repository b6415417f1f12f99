//! The lessons register: the library's record of who owns each lesson
//! learned, when it is due, and the evidence that closed it.
//!
//! One TOML file, [`REGISTER_FILE`], encrypted to the library's recipients
//! like a runbook (a lesson names a weakness) and committed, signed when the
//! library signs, like a runbook edit: git history says who changed which
//! lesson and when, and `age -d` plus any text editor reads it without
//! grabbag. A lesson recorded in a journal is only referred to here (by its
//! id, `<journal name>#<seq>`): its text stays in the journal. A lesson found
//! after the journal was closed (a post-incident review) is written here in
//! full. Unknown keys are refused rather than dropped, so a register written
//! by a newer grabbag is never silently cut down by an older one rewriting it.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::LessonsError;
use crate::crypto::Identities;
use crate::journal::LessonCategory;
use crate::library::{Library, inside};

/// Where the register lives, relative to the library root: beside the
/// recipients and the allowed signers, out of the runbook discovery's way.
pub const REGISTER_FILE: &str = ".grabbag/lessons.toml.age";

/// A register bigger than this is refused rather than read.
const MAX_REGISTER_BYTES: u64 = 4 * 1024 * 1024;

/// The whole register.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Register {
    /// Every lesson the register knows, in the order added.
    #[serde(default, rename = "lesson", skip_serializing_if = "Vec::is_empty")]
    pub lessons: Vec<Record>,
}

/// What the register holds about one lesson.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// `<journal name>#<seq>` for a lesson recorded in a journal, `R<n>` for
    /// one recorded here.
    pub id: String,
    /// The lesson (recorded here only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// What it is (recorded here only; `action` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<LessonCategory>,
    /// The journal of the incident or exercise it came from, if any
    /// (recorded here only), relative to the library.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// When it was recorded here (RFC 3339, to the second: a closing
    /// commit must be later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded: Option<DateTime<Utc>>,
    /// Who owns it: replaces the owner the journal gave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// When it is due: replaces the due date the journal gave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<NaiveDate>,
    /// How it was closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<Closure>,
}

/// The closing of a lesson, with the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    /// The day it was closed.
    pub on: NaiveDate,
    /// Who closed it.
    pub by: String,
    /// A commit that changed a runbook (full id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// A later exercise run (journal, relative to the library)...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// ...and the expectation (`inject/expectation`) it met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expectation: Option<String>,
    /// Anything the closer wants the auditor to know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Register {
    /// The record of lesson `id`, if the register has one.
    pub fn get(&self, id: &str) -> Option<&Record> {
        self.lessons.iter().find(|r| r.id == id)
    }

    /// The record of lesson `id`, added empty when missing.
    pub fn entry(&mut self, id: &str) -> &mut Record {
        let at = match self.lessons.iter().position(|r| r.id == id) {
            Some(at) => at,
            None => {
                self.lessons.push(Record {
                    id: id.to_owned(),
                    ..Record::default()
                });
                self.lessons.len() - 1
            }
        };
        &mut self.lessons[at]
    }

    /// The id for the next lesson recorded here: `R` and one more than the
    /// highest used.
    pub fn next_id(&self) -> String {
        let highest = self
            .lessons
            .iter()
            .filter_map(|r| r.id.strip_prefix('R')?.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        format!("R{}", highest + 1)
    }

    /// Parses the register's text; errors name `file` and the place.
    pub fn parse(text: &str, file: &Path) -> Result<Self, LessonsError> {
        toml::from_str(text).map_err(|e| LessonsError::Parse {
            file: file.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })
    }

    /// The register as TOML, with a header saying what the file is.
    pub fn to_text(&self) -> Result<String, LessonsError> {
        let body = toml::to_string(self).map_err(|e| LessonsError::Write(e.to_string()))?;
        Ok(format!(
            "# grabbag lessons register (docs/lessons.md): owners, due dates and closures.\n\n{body}"
        ))
    }

    /// Reads the register of the library at `root`: empty when there is
    /// none yet; an error when it cannot be read, decrypted or parsed.
    pub fn read(root: &Path, identities: Option<&Identities>) -> Result<Self, LessonsError> {
        let path = register_path(root)?;
        let io = |source| LessonsError::Io {
            path: path.clone(),
            source,
        };
        let size = match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_file() => meta.len(),
            Ok(_) => return Err(LessonsError::NotAFile(path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(io(e)),
        };
        if size > MAX_REGISTER_BYTES {
            return Err(LessonsError::TooBig {
                path,
                limit: MAX_REGISTER_BYTES,
            });
        }
        let bytes = std::fs::read(&path).map_err(io)?;
        let Some(identities) = identities else {
            return Err(LessonsError::NeedsIdentity(path));
        };
        let plain = identities
            .decrypt(&bytes)
            .map_err(|source| LessonsError::Decrypt {
                path: path.clone(),
                source,
            })?;
        let text =
            Zeroizing::new(
                String::from_utf8(plain.to_vec()).map_err(|_| LessonsError::Parse {
                    file: path.clone(),
                    message: "not UTF-8 text".to_owned(),
                })?,
            );
        Self::parse(&text, Path::new(REGISTER_FILE))
    }

    /// The register's text, when the library has one, for re-encrypting it
    /// to new recipients (`rekey`).
    pub fn sealed_text(
        root: &Path,
        identities: &Identities,
    ) -> Result<Option<Zeroizing<String>>, LessonsError> {
        if !register_path(root)?.exists() {
            return Ok(None);
        }
        Ok(Some(Zeroizing::new(
            Self::read(root, Some(identities))?.to_text()?,
        )))
    }

    /// Encrypts the register to the library's recipients (checked to open
    /// again with `identities`), writes it atomically, and commits it with
    /// `message`, signed when the library is set up to sign. Returns the
    /// commit id. The caller holds the library's change lock.
    pub fn save(
        &self,
        library: &Library,
        identities: &Identities,
        message: &str,
    ) -> Result<git2::Oid, LessonsError> {
        let text = Zeroizing::new(self.to_text()?);
        let file = Path::new(REGISTER_FILE);
        library.write_encrypted(file, text.as_bytes(), identities)?;
        library.stage(&[file])?;
        let signer = library.configured_signer()?;
        Ok(library.commit(message, signer.as_ref())?)
    }
}

/// The register's path under `root`, refused when a link leads out.
fn register_path(root: &Path) -> Result<PathBuf, LessonsError> {
    Ok(inside(root, Path::new(REGISTER_FILE))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_register_reads_back_as_written_and_numbers_its_own_lessons() {
        let mut register = Register::default();
        assert_eq!(register.next_id(), "R1");
        let record = register.entry("R1");
        record.text = Some("Print the supplier list".to_owned());
        record.due = NaiveDate::from_ymd_opt(2027, 1, 31);
        register.entry("ransomware-friday#36").closed = Some(Closure {
            on: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap_or_default(),
            by: "Sam".to_owned(),
            commit: Some("abc".to_owned()),
            run: None,
            expectation: None,
            note: None,
        });
        let text = register.to_text().unwrap();
        assert_eq!(Register::parse(&text, Path::new("r")).unwrap(), register);
        assert_eq!(register.next_id(), "R2");
    }

    #[cfg(unix)]
    #[test]
    fn a_register_that_is_a_link_or_needs_an_identity_is_an_error_not_an_empty_register() {
        let dir = tempfile::tempdir().unwrap();
        let settings = dir.path().join(".grabbag");
        std::fs::create_dir_all(&settings).unwrap();
        // No register yet: empty, not an error.
        assert_eq!(
            Register::read(dir.path(), None).unwrap(),
            Register::default()
        );
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "age-encryption.org/v1\n").unwrap();
        std::os::unix::fs::symlink(&target, settings.join("lessons.toml.age")).unwrap();
        let err = Register::read(dir.path(), None).unwrap_err().to_string();
        assert!(err.contains("is not a regular file"), "{err}");
        std::fs::remove_file(settings.join("lessons.toml.age")).unwrap();
        std::fs::rename(&target, settings.join("lessons.toml.age")).unwrap();
        let err = Register::read(dir.path(), None).unwrap_err().to_string();
        assert!(err.contains("an identity is needed"), "{err}");
    }

    #[test]
    fn a_key_this_version_does_not_know_is_refused_naming_the_file_and_line() {
        let err = Register::parse("[[lesson]]\nid = \"R1\"\nsevrity = 3\n", Path::new("reg"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("reg") && err.contains("line 3"), "{err}");
    }
}
