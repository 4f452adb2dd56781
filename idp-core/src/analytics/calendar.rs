//! UTC calendar days and months, the units analytics are rolled up in.
//!
//! A [`Day`] is a count of days since 1970-01-01 (UTC), so a roll-up row
//! is keyed by one integer and a range is a span of integers; a [`Month`]
//! is `year * 12 + (month - 1)`. Both print and parse as ISO 8601
//! calendar dates (`2026-12-05`, `2026-12`). Only years 1970 to 9999 are
//! accepted from input: nothing happened before, and a bigger year does not
//! fit the four digits of the format.

use crate::clock::{UnixTime, civil_from_days, days_from_civil, days_in_month};
use std::fmt;

/// Seconds in a day (UTC has no leap seconds in Unix time).
pub const SECONDS_PER_DAY: i64 = 86_400;

/// The last year accepted from input (four digits).
const MAX_YEAR: i64 = 9999;

/// One UTC calendar day (default: 1970-01-01).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i64);

impl Day {
    /// The day with this number (days since 1970-01-01).
    pub const fn from_number(n: i64) -> Self {
        Self(n)
    }

    /// Days since 1970-01-01: what stores key roll-ups by.
    pub const fn number(self) -> i64 {
        self.0
    }

    /// The day `time` falls on.
    pub fn of(time: UnixTime) -> Self {
        Self(time.div_euclid(SECONDS_PER_DAY))
    }

    /// Its first second.
    pub fn start(self) -> UnixTime {
        self.0 * SECONDS_PER_DAY
    }

    /// The first second of the next day (the end, exclusive).
    pub fn end(self) -> UnixTime {
        self.start() + SECONDS_PER_DAY
    }

    /// `n` days later (earlier if negative).
    pub fn plus(self, n: i64) -> Self {
        Self(self.0 + n)
    }

    /// The month it is in.
    pub fn month(self) -> Month {
        let (y, m, _) = civil_from_days(self.0);
        Month(y * 12 + m - 1)
    }

    /// Parses `YYYY-MM-DD` (a real date of 1970 to 9999).
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if !text.is_ascii() || b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year = digits(&text[0..4])?;
        let month = digits(&text[5..7])?;
        let day = digits(&text[8..10])?;
        if !(1970..=MAX_YEAR).contains(&year)
            || !(1..=12).contains(&month)
            || !(1..=days_in_month(year, month)).contains(&day)
        {
            return None;
        }
        Some(Self(days_from_civil(year, month, day)))
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(self.0);
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// One UTC calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(i64);

impl Month {
    /// The month with this number (`year * 12 + month - 1`).
    pub const fn from_number(n: i64) -> Self {
        Self(n)
    }

    /// `year * 12 + month - 1`: what stores key monthly roll-ups by.
    pub const fn number(self) -> i64 {
        self.0
    }

    /// The month `time` falls in.
    pub fn of(time: UnixTime) -> Self {
        Day::of(time).month()
    }

    /// Its first day.
    pub fn first_day(self) -> Day {
        let (y, m) = (self.0.div_euclid(12), self.0.rem_euclid(12) + 1);
        Day(days_from_civil(y, m, 1))
    }

    /// The next month.
    pub fn next(self) -> Self {
        Self(self.0 + 1)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}",
            self.0.div_euclid(12),
            self.0.rem_euclid(12) + 1
        )
    }
}

/// A run of ASCII digits as a number.
fn digits(text: &str) -> Option<i64> {
    if text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_parse_print_and_bound_their_seconds() {
        let d = Day::parse("2026-12-05").map(|d| d.number());
        assert_eq!(d, Some(20_792));
        let day = Day::from_number(20_792);
        assert_eq!(day.to_string(), "2026-12-05");
        assert_eq!(Day::of(day.start()), day);
        assert_eq!(Day::of(day.end() - 1), day);
        assert_eq!(Day::of(day.end()), day.plus(1));
        assert_eq!(
            Day::parse("2024-02-29").map(|d| d.to_string()),
            Some("2024-02-29".into())
        );
        for bad in [
            "2025-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-10",
            "1969-12-31",
            "2026-12-05T00",
            "+026-12-05",
            "２026-12-05",
            "",
        ] {
            assert_eq!(Day::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn months_follow_days() {
        let day = Day::parse("2026-12-31").unwrap_or(Day(0));
        assert_eq!(day.month().to_string(), "2026-12");
        assert_eq!(day.plus(1).month().to_string(), "2027-01");
        assert_eq!(day.month().next().first_day(), day.plus(1));
        assert_eq!(Month::of(0).to_string(), "1970-01");
        assert_eq!(Month::of(0).first_day(), Day(0));
    }
}
