//! Time as the law counts it: durations, working days, calendar months and
//! the UK's bank holidays.
//!
//! A deadline in a runbook is rarely "72 hours" alone. A children's services
//! referral is decided within one working day, a freedom of information
//! request answered within 20 working days, a subject access request within
//! one month, and a bank holiday weekend moves all of them. [`Period`] is such
//! a length of time as a runbook writes it (`72h`, `1 working day`,
//! `20 working days`, `1 month`), and [`Period::due`] turns a start time into
//! the time it falls due on a [`Calendar`] of working days.
//!
//! The conventions, the ones UK guidance uses (ICO on FOI and subject access
//! requests, the Children Act statutory guidance on referrals):
//! - an exact duration (`72h`, `5d`) runs around the clock, weekends and
//!   nights included, as the ICO's 72 hours do;
//! - `N working days` are whole days: the day something arrives is day zero,
//!   and it is due by the end of the Nth working day after it; something that
//!   arrives on a weekend or a bank holiday counts from the next working day;
//! - `N months` end on the same day of the month N months on (the last day of
//!   a shorter month), at the end of that day, or of the next working day when
//!   that day is not one.
//!
//! The bank holidays for England and Wales, Scotland and Northern Ireland,
//! 2018 to 2030, are data (`uk-bank-holidays.txt`), transcribed from the
//! official lists; a library can add days of its own.

mod duration;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Days, FixedOffset, Months, NaiveDate, NaiveTime, Offset, TimeZone, Utc,
    Weekday,
};
use serde::Serialize;

pub use duration::{Duration, due_date};

/// The official list, one holiday a line: jurisdiction, date, name.
const UK_BANK_HOLIDAYS: &str = include_str!("uk-bank-holidays.txt");

/// Whose bank holidays a calendar keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Jurisdiction {
    /// England and Wales.
    EnglandAndWales,
    /// Scotland.
    Scotland,
    /// Northern Ireland.
    NorthernIreland,
}

impl Jurisdiction {
    /// Every jurisdiction, in the order the lists give them.
    pub const ALL: [Jurisdiction; 3] = [
        Jurisdiction::EnglandAndWales,
        Jurisdiction::Scotland,
        Jurisdiction::NorthernIreland,
    ];

    /// The name used in settings and in the data file.
    pub fn as_str(self) -> &'static str {
        match self {
            Jurisdiction::EnglandAndWales => "england-and-wales",
            Jurisdiction::Scotland => "scotland",
            Jurisdiction::NorthernIreland => "northern-ireland",
        }
    }
}

impl FromStr for Jurisdiction {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|j| j.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "unknown bank holiday list {text:?}: expected england-and-wales, scotland or northern-ireland"
                )
            })
    }
}

/// Working days: Monday to Friday, less bank holidays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    jurisdiction: Jurisdiction,
    holidays: BTreeMap<NaiveDate, String>,
}

/// England and Wales, the list most councils count on.
impl Default for Calendar {
    fn default() -> Self {
        Self::uk(Jurisdiction::EnglandAndWales)
    }
}

impl Calendar {
    /// The bank holidays of one UK jurisdiction, 2018 to 2030.
    pub fn uk(jurisdiction: Jurisdiction) -> Self {
        let holidays = UK_BANK_HOLIDAYS
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .filter_map(|line| {
                let mut parts = line.splitn(3, ' ');
                let (who, date, name) = (parts.next()?, parts.next()?, parts.next()?);
                (who == jurisdiction.as_str())
                    .then(|| NaiveDate::parse_from_str(date, "%Y-%m-%d").ok())
                    .flatten()
                    .map(|date| (date, name.to_owned()))
            })
            .collect();
        Self {
            jurisdiction,
            holidays,
        }
    }

    /// Adds holidays of the library's own (a day proclaimed after this build,
    /// a local closure), each with its name.
    pub fn with_holidays(mut self, extra: impl IntoIterator<Item = (NaiveDate, String)>) -> Self {
        self.holidays.extend(extra);
        self
    }

    /// Whose bank holidays these are.
    pub fn jurisdiction(&self) -> Jurisdiction {
        self.jurisdiction
    }

    /// The bank holiday on `date`, by name.
    pub fn holiday(&self, date: NaiveDate) -> Option<&str> {
        self.holidays.get(&date).map(String::as_str)
    }

    /// Whether the calendar knows the bank holidays of `year` (a year past
    /// the table counts only weekends, which a caller should say).
    pub fn covers(&self, year: i32) -> bool {
        self.holidays.keys().any(|d| d.year() == year)
    }

    /// `at` as a clock in the UK reads it: GMT, or BST (UTC+1) from 01:00
    /// UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
    /// October. Working days are the local calendar's, so a referral at
    /// 00:30 on a Saturday in summer arrives on the Saturday, not on the
    /// Friday its UTC time names.
    pub fn local(&self, at: DateTime<Utc>) -> DateTime<FixedOffset> {
        let last_sunday = |month: u32| {
            let first_of_next = NaiveDate::from_ymd_opt(at.year(), month + 1, 1);
            first_of_next.and_then(|d| d.pred_opt()).map(|mut d| {
                while d.weekday() != Weekday::Sun {
                    d = d.pred_opt().unwrap_or(d);
                }
                d.and_hms_opt(1, 0, 0).unwrap_or_default().and_utc()
            })
        };
        let summer = match (last_sunday(3), last_sunday(10)) {
            (Some(from), Some(to)) => at >= from && at < to,
            _ => false,
        };
        let offset = FixedOffset::east_opt(if summer { 3600 } else { 0 }).unwrap_or(Utc.fix());
        at.with_timezone(&offset)
    }

    /// When `period` from `start` falls due, counted on this calendar in UK
    /// local time; `None` beyond what a date can hold.
    pub fn due(&self, period: Period, start: DateTime<Utc>) -> Option<DateTime<Utc>> {
        period
            .due(self.local(start), self)
            .map(|due| due.with_timezone(&Utc))
    }

    /// A weekday that is not a bank holiday.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        date.weekday().num_days_from_monday() < 5 && !self.holidays.contains_key(&date)
    }

    /// `date` if it is a working day, else the next one.
    pub fn this_or_next_working_day(&self, mut date: NaiveDate) -> NaiveDate {
        while !self.is_working_day(date) {
            match date.succ_opt() {
                Some(next) => date = next,
                None => return date,
            }
        }
        date
    }

    /// The `n`th working day after `date` (the day of receipt being day zero;
    /// a non-working day counts from the next working day).
    pub fn working_days_after(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut day = self.this_or_next_working_day(date);
        for _ in 0..n {
            day = self.this_or_next_working_day(day.succ_opt().unwrap_or(day));
        }
        day
    }
}

/// A length of time as a runbook writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// Around the clock: `72h`, `1h30m`, `5d`.
    Exact(Duration),
    /// `1 working day`, `20 working days`.
    WorkingDays(u32),
    /// `1 month`, `3 months`.
    Months(u32),
}

impl Period {
    /// Parses `72h`-style durations, `N working day(s)` and `N month(s)`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let count = |n: &str| {
            n.parse::<u32>()
                .map_err(|_| format!("{n:?} is not a whole number"))
        };
        match words.as_slice() {
            [n, "working", "day" | "days"] => Ok(Period::WorkingDays(count(n)?)),
            [n, "month" | "months"] => Ok(Period::Months(count(n)?)),
            [one] => Duration::parse(one).map(Period::Exact).map_err(|e| {
                format!("{e}, or a count of working days or months (`1 working day`, `1 month`)")
            }),
            _ => Err(format!(
                "{text:?} is not a period: expected a duration such as `72h` or `1h30m`, `N working days` or `N months`"
            )),
        }
    }

    /// When something that started at `start` falls due, on `calendar`'s
    /// working days, in `start`'s offset; `None` beyond what a date can hold.
    pub fn due(
        self,
        start: DateTime<FixedOffset>,
        calendar: &Calendar,
    ) -> Option<DateTime<FixedOffset>> {
        let end_of = |date: NaiveDate| {
            let end = date.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN));
            start
                .offset()
                .from_local_datetime(&end)
                .single()
                .unwrap_or(start)
        };
        let day = start.date_naive();
        match self {
            Period::Exact(d) => i64::try_from(d.as_secs())
                .ok()
                .and_then(chrono::TimeDelta::try_seconds)
                .and_then(|d| start.checked_add_signed(d)),
            Period::WorkingDays(n) => Some(end_of(calendar.working_days_after(day, n))),
            Period::Months(n) => {
                let same = day
                    .checked_add_months(Months::new(n))
                    .or_else(|| day.checked_add_days(Days::new(31 * u64::from(n))))?;
                Some(end_of(calendar.this_or_next_working_day(same)))
            }
        }
    }
}

impl<'de> serde::Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Period::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Exact(d) => write!(f, "{d}"),
            Period::WorkingDays(1) => f.write_str("1 working day"),
            Period::WorkingDays(n) => write!(f, "{n} working days"),
            Period::Months(1) => f.write_str("1 month"),
            Period::Months(n) => write!(f, "{n} months"),
        }
    }
}

/// What is left of a deadline that falls due `left` from now, in the words
/// every view uses (run screen, register, `status`): `2d 4h left`,
/// `3h 05m left`, `12m left`, or once it has passed `overdue by 94d 1h`;
/// never thousands of hours or a minus sign.
pub fn time_left(left: chrono::TimeDelta) -> String {
    let secs = left.num_seconds();
    let abs = secs.unsigned_abs();
    let (d, h, m) = (abs / 86_400, abs / 3600 % 24, abs / 60 % 60);
    let amount = if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{abs}s")
    };
    if secs < 0 {
        format!("overdue by {amount}")
    } else {
        format!("{amount} left")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_says_overdue_in_days_and_hours_not_minus_hours() {
        let said = |secs: i64| time_left(chrono::TimeDelta::seconds(secs));
        // The review's case: 2257h57m overdue.
        assert_eq!(said(-(2257 * 3600 + 57 * 60)), "overdue by 94d 1h");
        assert_eq!(said(3 * 3600 + 5 * 60 + 40), "3h 05m left");
        assert_eq!(said(2 * 86_400 + 4 * 3600), "2d 4h left");
        assert_eq!(said(-12 * 60), "overdue by 12m");
        assert_eq!(said(30), "30s left");
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn at(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn the_table_covers_this_year_and_every_year_to_2030_for_each_list() {
        let this_year = chrono::Utc::now().year();
        for j in Jurisdiction::ALL {
            let calendar = Calendar::uk(j);
            assert!(
                calendar.covers(this_year),
                "{}: no bank holidays for {this_year}: update uk-bank-holidays.txt from the official list",
                j.as_str()
            );
            for year in 2018..=2030 {
                let count = calendar
                    .holidays
                    .keys()
                    .filter(|d| d.year() == year)
                    .count();
                let usual = match j {
                    Jurisdiction::EnglandAndWales => 8,
                    Jurisdiction::Scotland => 9,
                    Jurisdiction::NorthernIreland => 10,
                };
                // The one-off days: 2022 (Jubilee, State Funeral), 2023 (Coronation).
                let extra = match year {
                    2022 => 2,
                    2023 => 1,
                    _ => 0,
                };
                assert_eq!(count, usual + extra, "{} {year}", j.as_str());
            }
        }
    }

    #[test]
    fn known_days_from_the_official_lists() {
        let ew = Calendar::uk(Jurisdiction::EnglandAndWales);
        let sc = Calendar::uk(Jurisdiction::Scotland);
        let ni = Calendar::uk(Jurisdiction::NorthernIreland);
        for (calendar, day, name) in [
            (&ew, "2020-05-08", "Early May bank holiday (VE day)"),
            (&ew, "2022-06-03", "Platinum Jubilee bank holiday"),
            (
                &ew,
                "2022-09-19",
                "Bank Holiday for the State Funeral of Queen Elizabeth II",
            ),
            (
                &ew,
                "2023-05-08",
                "Bank holiday for the coronation of King Charles III",
            ),
            (&ew, "2024-03-29", "Good Friday"),
            (&ew, "2026-04-06", "Easter Monday"),
            (&ew, "2026-08-31", "Summer bank holiday"),
            (&ew, "2026-12-28", "Boxing Day (substitute day)"),
            (&sc, "2026-08-03", "Summer bank holiday"),
            (&sc, "2026-11-30", "St Andrew's Day"),
            (&sc, "2027-01-04", "2nd January (substitute day)"),
            (&ni, "2026-03-17", "St Patrick's Day"),
            (
                &ni,
                "2026-07-13",
                "Battle of the Boyne (Orangemen's Day) (substitute day)",
            ),
        ] {
            assert_eq!(calendar.holiday(date(day)), Some(name), "{day}");
        }
        // Scotland has no Easter Monday; England has no St Andrew's Day.
        assert!(sc.is_working_day(date("2026-04-06")));
        assert!(ew.is_working_day(date("2026-11-30")));
    }

    #[test]
    fn one_working_day_after_the_friday_before_a_bank_holiday_is_the_tuesday() {
        let ew = Calendar::uk(Jurisdiction::EnglandAndWales);
        // Friday 28 August 2026; Monday 31 August is the summer bank holiday.
        let due = Period::WorkingDays(1).due(at("2026-08-28T16:40:00+01:00"), &ew);
        assert_eq!(due, Some(at("2026-09-01T23:59:59+01:00")));
        // In Scotland that Monday is a working day.
        let sc = Calendar::uk(Jurisdiction::Scotland);
        let due = Period::WorkingDays(1).due(at("2026-08-28T16:40:00+01:00"), &sc);
        assert_eq!(due, Some(at("2026-08-31T23:59:59+01:00")));
    }

    #[test]
    fn working_days_count_from_the_next_working_day_when_received_on_a_holiday() {
        let ew = Calendar::uk(Jurisdiction::EnglandAndWales);
        // Received Christmas Day 2026 (Friday): counting starts Tuesday 29th
        // (Boxing Day's substitute is Monday 28th), so day 20 is 27 January.
        let due = Period::WorkingDays(20).due(at("2026-12-25T10:00:00Z"), &ew);
        assert_eq!(due.map(|d| d.date_naive()), Some(date("2027-01-27")));
    }

    #[test]
    fn a_month_ends_on_the_same_date_or_the_month_end_then_the_next_working_day() {
        let ew = Calendar::uk(Jurisdiction::EnglandAndWales);
        // 31 January + 1 month: 28 February 2027, a Sunday: due Monday 1 March.
        let due = Period::Months(1).due(at("2027-01-31T09:00:00Z"), &ew);
        assert_eq!(due, Some(at("2027-03-01T23:59:59Z")));
        let due = Period::Months(1).due(at("2026-11-04T09:00:00Z"), &ew);
        assert_eq!(due, Some(at("2026-12-04T23:59:59Z")));
    }

    #[test]
    fn exact_durations_run_around_the_clock() {
        let ew = Calendar::uk(Jurisdiction::EnglandAndWales);
        let due = Period::parse("72h")
            .map(|p| p.due(at("2026-08-28T18:10:00+01:00"), &ew))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(due, Some(at("2026-08-31T18:10:00+01:00")));
        assert_eq!(
            Period::Exact(Duration::from_secs(u64::MAX)).due(at("2026-08-28T18:10:00Z"), &ew),
            None
        );
    }

    #[test]
    fn periods_parse_and_print_back() {
        for text in [
            "72h",
            "1h30m",
            "1 working day",
            "20 working days",
            "1 month",
            "3 months",
        ] {
            let period = Period::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(period.to_string(), text);
        }
        for bad in [
            "",
            "1 working",
            "one month",
            "3 weeks",
            "-1 month",
            "5 working hours",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad:?} parsed");
        }
        assert_eq!(Period::parse("1 working days"), Ok(Period::WorkingDays(1)));
    }

    #[test]
    fn days_are_counted_in_uk_local_time() {
        let ew = Calendar::uk(Jurisdiction::EnglandAndWales);
        let utc = |t: &str| at(t).with_timezone(&Utc);
        // 2026: BST from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(
            ew.local(utc("2026-03-29T00:59:59Z"))
                .offset()
                .local_minus_utc(),
            0
        );
        assert_eq!(
            ew.local(utc("2026-03-29T01:00:00Z"))
                .offset()
                .local_minus_utc(),
            3600
        );
        assert_eq!(
            ew.local(utc("2026-10-25T01:00:00Z"))
                .offset()
                .local_minus_utc(),
            0
        );
        // 23:30 UTC on Friday 28 August is 00:30 on Saturday in London: a
        // referral then counts from Tuesday (Monday is a bank holiday), and
        // is due at the end of Wednesday, local time.
        let due = ew.due(Period::WorkingDays(1), utc("2026-08-28T23:30:00Z"));
        assert_eq!(due, Some(utc("2026-09-02T23:59:59+01:00")));
        // The same on Friday afternoon: due at the end of Tuesday.
        let due = ew.due(Period::WorkingDays(1), utc("2026-08-28T15:40:00Z"));
        assert_eq!(due, Some(utc("2026-09-01T23:59:59+01:00")));
    }

    #[test]
    fn a_library_adds_its_own_closures() {
        let calendar = Calendar::uk(Jurisdiction::EnglandAndWales)
            .with_holidays([(date("2026-12-29"), "Council closure".to_owned())]);
        assert!(!calendar.is_working_day(date("2026-12-29")));
        assert_eq!(
            calendar.holiday(date("2026-12-29")),
            Some("Council closure")
        );
        assert_eq!("scotland".parse(), Ok(Jurisdiction::Scotland));
        assert!("wales".parse::<Jurisdiction>().is_err());
    }
}
