//! Durations as written in runbooks: `15m`, `72h`, `1h30m`, `5d`.

use std::fmt;

use serde::Serialize;

/// A length of time with whole-second precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    seconds: u64,
}

impl Duration {
    /// From a number of seconds.
    pub fn from_secs(seconds: u64) -> Self {
        Self { seconds }
    }

    /// The number of seconds.
    pub fn as_secs(self) -> u64 {
        self.seconds
    }

    /// Parses `1h30m`-style text: one or more `<number><unit>` groups with units
    /// `d`, `h`, `m`, `s`, each unit at most once and largest first.
    pub fn parse(text: &str) -> Result<Self, String> {
        const UNITS: [(char, u64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];
        let expected = "expected a duration such as `15m`, `2h`, `1h30m` or `5d`";
        if text.is_empty() {
            return Err(expected.to_owned());
        }
        let mut seconds: u64 = 0;
        let mut number = String::new();
        let mut last_unit = 0;
        for c in text.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let Some(pos) = UNITS.iter().position(|(u, _)| *u == c) else {
                return Err(format!("unexpected `{c}`: {expected}"));
            };
            if number.is_empty() || pos < last_unit {
                return Err(expected.to_owned());
            }
            let n: u64 = number.parse().map_err(|_| "number too large".to_owned())?;
            seconds = n
                .checked_mul(UNITS[pos].1)
                .and_then(|s| seconds.checked_add(s))
                .ok_or_else(|| "duration too large".to_owned())?;
            number.clear();
            last_unit = pos + 1;
        }
        if !number.is_empty() {
            return Err(format!("`{number}` has no unit: {expected}"));
        }
        Ok(Self { seconds })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.seconds == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.seconds;
        // Up to three days read better in hours: deadlines are spoken of as "72 hours".
        let units: &[(&str, u64)] = if rest >= 4 * 86_400 {
            &[("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)]
        } else {
            &[("h", 3_600), ("m", 60), ("s", 1)]
        };
        for &(unit, size) in units {
            if rest >= size {
                write!(f, "{}{unit}", rest / size)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

/// A due date as a person writes it: a date (`2027-03-31`), or a time
/// from `from` (`14d`, `36h`). `Err` gives the text back when it is neither.
pub fn due_date(
    written: &str,
    from: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::NaiveDate, String> {
    let written = written.trim();
    if let Ok(date) = chrono::NaiveDate::parse_from_str(written, "%Y-%m-%d") {
        return Ok(date);
    }
    Duration::parse(written)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .and_then(|s| from.checked_add_signed(chrono::TimeDelta::seconds(s)))
        .map(|t| t.date_naive())
        .ok_or_else(|| written.to_owned())
}

impl Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for (text, secs) in [
            ("15m", 900),
            ("72h", 259_200),
            ("1h30m", 5_400),
            ("5d", 432_000),
        ] {
            let d = Duration::parse(text).unwrap();
            assert_eq!(d.as_secs(), secs);
            assert_eq!(d.to_string(), text);
        }
    }

    #[test]
    fn rejects_nonsense() {
        for text in [
            "",
            "15",
            "m",
            "1x",
            "30m1h",
            "1h1h",
            "99999999999999999999d",
            "1.5h",
        ] {
            assert!(Duration::parse(text).is_err(), "{text}");
        }
    }
}
