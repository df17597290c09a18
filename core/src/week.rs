//! The digest's week: which seven days a digest covers, and the key that names them.
//!
//! Everything is computed from the Cron Trigger's *scheduled* time, never from the clock when
//! the run happens, so a late or repeated firing covers the same launches and claims the same
//! `digests` row as the first.

use chrono::{DateTime, Datelike, NaiveTime, TimeDelta, Utc, Weekday};
use std::fmt;

/// How long a digest window is.
pub const WINDOW_DAYS: i64 = 7;

/// The day of the week the digest is posted, as in `wrangler.toml`'s cron `0 9 * * 1`.
pub const DIGEST_WEEKDAY: Weekday = Weekday::Mon;

/// The hour (UTC) the digest is posted, as in `wrangler.toml`'s cron `0 9 * * 1`.
pub const DIGEST_HOUR: u32 = 9;

/// The span of time one digest covers: `[start, end)`, in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DigestWindow {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl DigestWindow {
    /// The seven days before a trigger's scheduled time: `[scheduled - 7 days, scheduled)`.
    ///
    /// Within a week of chrono's earliest representable time (hundreds of millennia before any
    /// real trigger) the window starts at that earliest time instead.
    pub fn before(scheduled: DateTime<Utc>) -> Self {
        let start = scheduled
            .checked_sub_signed(TimeDelta::days(WINDOW_DAYS))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        Self {
            start,
            end: scheduled,
        }
    }

    /// The first instant in the window.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// The first instant after the window: the trigger's scheduled time.
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// Whether `time` falls in `[start, end)`.
    pub fn contains(&self, time: DateTime<Utc>) -> bool {
        self.start <= time && time < self.end
    }

    /// The key that names this window in the `digests` table: the ISO week of its start.
    ///
    /// For the Monday 09:00 schedule that is the ISO week the launches were shipped in (six of
    /// the window's seven days lie in it), and it is the week *before* the scheduled time's ISO
    /// week, so every scheduled time from Monday 00:00 to Sunday 24:00 of one week gives the same
    /// key. A trigger that fires late, a retry, or a manual `--at` a few hours off therefore
    /// claims the same row and cannot post the week again. (A key built from the scheduled time
    /// to the minute would not survive a late firing; one built from the calendar day would split
    /// at midnight.)
    pub fn key(&self) -> WeekKey {
        let week = self.start.iso_week();
        WeekKey {
            year: week.year(),
            week: week.week(),
        }
    }
}

/// An ISO 8601 week, written `2026-W48`; ordered by time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WeekKey {
    year: i32,
    week: u32,
}

impl fmt::Display for WeekKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

/// The first digest time (Monday 09:00 UTC) strictly after `now`. Its window is the one that
/// contains `now`, so a preview without `--at` shows the digest that is still being gathered.
pub fn next_digest_at(now: DateTime<Utc>) -> DateTime<Utc> {
    let days_into_week = now.weekday().days_since(DIGEST_WEEKDAY);
    let this_week = (now.date_naive() - TimeDelta::days(i64::from(days_into_week)))
        .and_time(NaiveTime::MIN)
        .and_utc()
        + TimeDelta::hours(i64::from(DIGEST_HOUR));
    if this_week > now {
        this_week
    } else {
        this_week + TimeDelta::days(WINDOW_DAYS)
    }
}

/// A time given on a command line (`--at 2026-11-30T09:00:00Z`), in RFC 3339 with any offset,
/// converted to UTC.
pub fn parse_instant(input: &str) -> Result<DateTime<Utc>, InstantError> {
    DateTime::parse_from_rfc3339(input.trim())
        .map(|time| time.with_timezone(&Utc))
        .map_err(|reason| InstantError {
            input: input.to_string(),
            reason,
        })
}

/// A time that [`parse_instant`] could not read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{input}` is not a time like 2026-11-30T09:00:00Z (RFC 3339, with a Z or an offset such as +01:00): {reason}"
)]
pub struct InstantError {
    /// What was given.
    pub input: String,
    /// Why chrono refused it.
    pub reason: chrono::ParseError,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        parse_instant(rfc3339).expect("test times are valid RFC 3339")
    }

    /// Any time from 2000 to 2100, to the nanosecond.
    fn any_time() -> impl Strategy<Value = DateTime<Utc>> {
        (946_684_800i64..4_102_444_800, 0u32..1_000_000_000).prop_map(|(seconds, nanos)| {
            DateTime::from_timestamp(seconds, nanos).expect("in chrono's range")
        })
    }

    #[test]
    fn the_window_is_the_seven_days_before_the_scheduled_time() {
        let window = DigestWindow::before(at("2026-11-30T09:00:00Z"));
        assert_eq!(window.start(), at("2026-11-23T09:00:00Z"));
        assert_eq!(window.end(), at("2026-11-30T09:00:00Z"));
    }

    #[test]
    fn the_window_includes_its_start_and_excludes_its_end() {
        let window = DigestWindow::before(at("2026-11-30T09:00:00Z"));
        assert!(window.contains(at("2026-11-23T09:00:00Z")));
        assert!(window.contains(at("2026-11-30T08:59:59.999Z")));
        assert!(!window.contains(at("2026-11-30T09:00:00Z")));
        assert!(!window.contains(at("2026-11-23T08:59:59.999Z")));
    }

    #[test]
    fn the_key_is_the_iso_week_the_launches_were_shipped_in() {
        let window = DigestWindow::before(at("2026-11-30T09:00:00Z"));
        assert_eq!(window.key().to_string(), "2026-W48");
    }

    #[test]
    fn a_firing_hours_late_gets_the_same_key() {
        let on_time = DigestWindow::before(at("2026-11-30T09:00:00Z")).key();
        let late = DigestWindow::before(at("2026-11-30T13:27:04Z")).key();
        let a_day_late = DigestWindow::before(at("2026-12-01T09:00:00Z")).key();
        assert_eq!(on_time, late);
        assert_eq!(on_time, a_day_late);
    }

    #[test]
    fn the_key_uses_the_iso_week_year_across_new_year() {
        // 2026 has 53 ISO weeks; 2027-01-04 is the first Monday of 2027-W01.
        assert_eq!(
            DigestWindow::before(at("2027-01-04T09:00:00Z"))
                .key()
                .to_string(),
            "2026-W53"
        );
        assert_eq!(
            DigestWindow::before(at("2027-01-11T09:00:00Z"))
                .key()
                .to_string(),
            "2027-W01"
        );
        // 2025-12-29 is a Monday that belongs to 2026-W01.
        assert_eq!(
            DigestWindow::before(at("2026-01-05T09:00:00Z"))
                .key()
                .to_string(),
            "2026-W01"
        );
    }

    #[test]
    fn the_next_digest_is_the_coming_monday_at_nine() {
        assert_eq!(
            next_digest_at(at("2026-11-25T15:00:00Z")),
            at("2026-11-30T09:00:00Z")
        );
        assert_eq!(
            next_digest_at(at("2026-11-30T08:59:59Z")),
            at("2026-11-30T09:00:00Z")
        );
        assert_eq!(
            next_digest_at(at("2026-11-30T09:00:00Z")),
            at("2026-12-07T09:00:00Z")
        );
        // 05:00 in New York is already past 09:00 UTC.
        assert_eq!(
            next_digest_at(at("2026-11-30T05:00:00-05:00")),
            at("2026-12-07T09:00:00Z")
        );
    }

    #[test]
    fn instants_with_an_offset_are_converted_to_utc() {
        assert_eq!(at("2026-11-30T10:00:00+01:00"), at("2026-11-30T09:00:00Z"));
        assert_eq!(at(" 2026-11-30T09:00:00Z\n"), at("2026-11-30T09:00:00Z"));
    }

    #[test]
    fn an_instant_without_a_zone_is_refused_with_an_example() {
        let error = parse_instant("2026-11-30T09:00:00").expect_err("no offset");
        assert_eq!(error.input, "2026-11-30T09:00:00");
        assert!(
            error.to_string().contains("2026-11-30T09:00:00Z"),
            "{error}"
        );
        assert!(parse_instant("next monday").is_err());
    }

    proptest! {
        #[test]
        fn a_window_is_exactly_seven_days_ending_at_the_scheduled_time(scheduled in any_time()) {
            let window = DigestWindow::before(scheduled);
            prop_assert_eq!(window.end(), scheduled);
            prop_assert_eq!(window.end() - window.start(), TimeDelta::days(7));
        }

        #[test]
        fn every_scheduled_time_in_one_iso_week_gives_one_key(
            scheduled in any_time(),
            later_seconds in 0i64..7 * 86_400,
        ) {
            let other = scheduled + TimeDelta::seconds(later_seconds);
            let same_iso_week = scheduled.iso_week() == other.iso_week();
            prop_assert_eq!(
                DigestWindow::before(scheduled).key() == DigestWindow::before(other).key(),
                same_iso_week
            );
        }

        #[test]
        fn consecutive_digests_tile_time_and_their_keys_increase(now in any_time()) {
            let this = DigestWindow::before(next_digest_at(now));
            let next = DigestWindow::before(this.end() + TimeDelta::days(7));
            prop_assert_eq!(this.end(), next.start());
            prop_assert!(this.key() < next.key());
        }

        #[test]
        fn the_next_digest_window_contains_now(now in any_time()) {
            let scheduled = next_digest_at(now);
            prop_assert!(scheduled > now);
            prop_assert_eq!(scheduled.weekday(), Weekday::Mon);
            prop_assert_eq!(scheduled.time(), NaiveTime::from_hms_opt(9, 0, 0).expect("valid"));
            prop_assert!(DigestWindow::before(scheduled).contains(now));
        }

        #[test]
        fn an_instant_round_trips_through_rfc3339(time in any_time()) {
            prop_assert_eq!(parse_instant(&time.to_rfc3339()), Ok(time));
        }
    }
}
