//! A library's own settings, `.grabbag/settings.toml`: today, the calendar
//! its deadlines count working days on.
//!
//! ```toml
//! [calendar]
//! bank_holidays = "scotland"        # england-and-wales (default), scotland, northern-ireland
//! holidays = [                      # days of the library's own, added to the list
//!   { date = 2026-12-29, name = "Council closure" },
//! ]
//! ```
//!
//! The file is optional: without it a library counts England and Wales' bank
//! holidays. A file that does not read is a load failure naming the file,
//! line and column (the runbooks still load, on the default calendar), so a
//! typo is seen in `grabbag list` and on the library screen, never guessed at.
//!
//! The settings move every deadline, so they are trust-bearing like the
//! runbooks and allowed_signers: they are read from history, never from the
//! working tree a sync or a hand edit has just written ([`in_force`]). The
//! version in force is the newest change on HEAD's first-parent line that
//! signed history trusts (in a library that checks no signatures: HEAD's);
//! an untrusted change, or a working-tree copy that differs, is named in a
//! notice and not used.

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use super::git::{self, ReadBlob};
use super::signed_history::SignedHistory;
use super::trust::Trust;
use super::{LibraryError, LoadFailure};
use crate::calendar::{Calendar, Jurisdiction};
use crate::diagnostic::{Diagnostic, Level, Source};

/// The settings file, relative to the library root.
pub const SETTINGS_FILE: &str = ".grabbag/settings.toml";
/// The most a settings file may hold.
pub const MAX_BYTES: u64 = 64 * 1024;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    #[serde(default)]
    calendar: CalendarSettings,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarSettings {
    bank_holidays: Option<toml::Spanned<String>>,
    #[serde(default)]
    holidays: Vec<Holiday>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Holiday {
    date: toml::Spanned<toml::value::Datetime>,
    name: String,
}

/// The settings in force and what was found on the way.
#[derive(Debug, Default)]
pub struct InForce {
    /// The calendar deadlines count on.
    pub calendar: Calendar,
    /// A settings file that did not read (the calendar is then the default).
    pub failures: Vec<LoadFailure>,
    /// Versions that were found but not used (untrusted, uncommitted).
    pub notices: Vec<Diagnostic>,
}

/// The settings in force in the library at `root`: the newest version of
/// [`SETTINGS_FILE`] on HEAD's first-parent line whose commit `history`
/// trusts (or does not check), never the working tree's copy; every newer
/// untrusted change and a working-tree copy that differs become notices.
pub(super) fn in_force(
    root: &Path,
    repo: &git2::Repository,
    history: &mut SignedHistory<'_>,
) -> Result<InForce, LibraryError> {
    let file = Path::new(SETTINGS_FILE);
    let mut out = InForce::default();
    let changes = git::history(repo, file, history)?;
    let mut used = None;
    for change in &changes {
        match &change.trust {
            Trust::Untrusted { reason } => out.notices.push(notice(format!(
                "changed by commit {}, which is untrusted ({reason}): that change is not used",
                short(&change.commit)
            ))),
            Trust::Trusted { .. } | Trust::NotChecked => {
                used = Some(change);
                break;
            }
        }
    }
    let committed = match used {
        Some(change) => match committed_text(repo, &change.commit) {
            Ok(text) => text,
            Err(why) => {
                out.failures.push(failure(format!(
                    "in commit {}: {why}",
                    short(&change.commit)
                )));
                None
            }
        },
        None => None,
    };
    match calendar(committed.as_deref()) {
        Ok(calendar) => out.calendar = calendar,
        Err(failure) => out.failures.push(*failure),
    }
    let basis = match (used, &committed) {
        (Some(change), Some(_)) => format!("the settings of commit {}", short(&change.commit)),
        _ => "England and Wales' bank holidays".to_owned(),
    };
    if let Some(first) = out.notices.first_mut() {
        first
            .message
            .push_str(&format!("; deadlines count on {basis}"));
    }
    // The working tree's copy is only compared with HEAD's, never used: a
    // link or a huge file there is refused by name as before.
    let on_disk = super::inside(root, file).and_then(|path| {
        match crate::fsutil::read_regular(&path, MAX_BYTES) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(super::io_err(&path)(e)),
        }
    });
    let head_blob = changes.first().and_then(|c| c.blob.as_deref());
    match on_disk {
        Err(e) => out.failures.push(failure(format!(
            "{e} (the working tree's copy is not used; deadlines count on {basis})"
        ))),
        Ok(None) if head_blob.is_some() => out.notices.push(notice(format!(
            "is deleted in the working tree only, which is not used; deadlines count on {basis}"
        ))),
        Ok(None) => {}
        Ok(Some(bytes)) => {
            let read = ReadBlob::of(&bytes)?;
            let same = |id: git2::Oid| head_blob == Some(id.to_string().as_str());
            if !(same(read.exact) || read.lf.is_some_and(same)) {
                out.notices.push(notice(format!(
                    "the working tree's copy is not committed and is not used; deadlines count on {basis} (commit the change, signed where the library checks signatures, to use it)"
                )));
            }
        }
    }
    Ok(out)
}

/// The text of the settings file in `commit`, `None` when it has none; a
/// link, a folder, a huge or non-UTF-8 file is refused with why.
fn committed_text(repo: &git2::Repository, commit: &str) -> Result<Option<String>, String> {
    let read = || -> Result<Option<String>, git2::Error> {
        let commit = repo.find_commit(git2::Oid::from_str(commit)?)?;
        let entry = match commit.tree()?.get_path(Path::new(SETTINGS_FILE)) {
            Ok(entry) => entry,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mode = entry.filemode();
        if mode != i32::from(git2::FileMode::Blob)
            && mode != i32::from(git2::FileMode::BlobExecutable)
        {
            return Err(git2::Error::from_str(
                "is not a regular file (a symbolic link or a folder): refused",
            ));
        }
        let blob = repo.find_blob(entry.id())?;
        if blob.size() as u64 > MAX_BYTES {
            return Err(git2::Error::from_str(&format!(
                "is larger than {MAX_BYTES} bytes: refused"
            )));
        }
        String::from_utf8(blob.content().to_vec())
            .map(Some)
            .map_err(|_| git2::Error::from_str("is not UTF-8 text"))
    };
    read().map_err(|e| e.message().to_owned())
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

fn notice(message: String) -> Diagnostic {
    Diagnostic::file_level(Level::Warning, SETTINGS_FILE, message)
}

fn failure(message: String) -> LoadFailure {
    LoadFailure::new(Path::new(SETTINGS_FILE), message)
}

/// The calendar a library's settings choose, from the text of its settings
/// file (`None`: there is none); a file that does not read is a failure.
pub fn calendar(text: Option<&str>) -> Result<Calendar, Box<LoadFailure>> {
    let Some(text) = text else {
        return Ok(Calendar::uk(Jurisdiction::EnglandAndWales));
    };
    let source = Source::new(SETTINGS_FILE, text);
    let failure = |span: Option<std::ops::Range<usize>>, message: String| {
        Box::new(LoadFailure {
            file: Path::new(SETTINGS_FILE).to_owned(),
            diagnostics: vec![source.diagnostic(
                crate::diagnostic::Level::Error,
                span,
                format!(
                    "{message} (deadlines count England and Wales' bank holidays until it is fixed)"
                ),
            )],
        })
    };
    let settings: SettingsFile =
        toml::from_str(text).map_err(|e| failure(e.span(), e.message().trim().to_owned()))?;
    let jurisdiction = match &settings.calendar.bank_holidays {
        Some(name) => name
            .get_ref()
            .parse()
            .map_err(|why| failure(Some(name.span()), why))?,
        None => Jurisdiction::EnglandAndWales,
    };
    let mut extra = Vec::new();
    for holiday in settings.calendar.holidays {
        let date = holiday
            .date
            .get_ref()
            .date
            .filter(|_| holiday.date.get_ref().time.is_none())
            .and_then(|d| NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into()))
            .ok_or_else(|| {
                failure(
                    Some(holiday.date.span()),
                    "a holiday's `date` is a day, such as 2026-12-29".to_owned(),
                )
            })?;
        extra.push((date, holiday.name));
    }
    Ok(Calendar::uk(jurisdiction).with_holidays(extra))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn no_file_is_england_and_wales() {
        let calendar = calendar(None).unwrap_or_else(|e| panic!("{}", e.summary()));
        assert_eq!(calendar.jurisdiction(), Jurisdiction::EnglandAndWales);
    }

    #[test]
    fn a_library_chooses_its_list_and_adds_its_own_days() {
        let text = r#"
[calendar]
bank_holidays = "scotland"
holidays = [{ date = 2026-12-29, name = "Council closure" }]
"#;
        let calendar = calendar(Some(text)).unwrap_or_else(|e| panic!("{}", e.summary()));
        assert_eq!(calendar.jurisdiction(), Jurisdiction::Scotland);
        assert_eq!(calendar.holiday(day("2026-11-30")), Some("St Andrew's Day"));
        assert_eq!(calendar.holiday(day("2026-12-29")), Some("Council closure"));
    }

    #[test]
    fn a_bad_file_is_a_failure_naming_the_place() {
        for (text, line, says) in [
            (
                "[calendar]\nbank_holidays = \"wales\"\n",
                2,
                "unknown bank holiday list \"wales\"",
            ),
            (
                "[calendar]\nholidays = [{ date = 2026-12-29T10:00:00, name = \"x\" }]\n",
                2,
                "a holiday's `date` is a day",
            ),
            (
                "[calendar]\nbank_holiday = \"scotland\"\n",
                2,
                "unknown field",
            ),
            ("[calendar\n", 1, ""),
        ] {
            let Err(failure) = calendar(Some(text)) else {
                panic!("{text:?} read");
            };
            assert_eq!(failure.file, Path::new(SETTINGS_FILE));
            assert_eq!(failure.diagnostics[0].line, Some(line), "{text:?}");
            assert!(failure.cause().contains(says), "{}", failure.cause());
        }
    }
}
