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

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use super::LoadFailure;
use crate::calendar::{Calendar, Jurisdiction};
use crate::diagnostic::Source;

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
