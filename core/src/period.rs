//! The periods `/leaderboard` ranks over, and the span of time each one covers.
//!
//! Periods are rolling (the last 7, 30 or 90 days up to now) rather than calendar weeks,
//! months or quarters: a leaderboard asked for on the 1st of a month is not empty, and every
//! member sees the same span whatever their time zone.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// A leaderboard period, as offered by the `/leaderboard period` option.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Week,
    Month,
    Quarter,
    All,
}

impl Period {
    /// The earliest launch time this period counts, for a leaderboard asked for at `now`;
    /// `None` means every launch ever.
    pub fn since(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // A span reaching past chrono's earliest time covers everything there is.
        self.days()
            .and_then(|days| now.checked_sub_signed(TimeDelta::days(days)))
    }

    /// How a reply names this period, e.g. "Leaderboard — last 30 days".
    pub fn label(self) -> &'static str {
        match self {
            Period::Week => "last 7 days",
            Period::Month => "last 30 days",
            Period::Quarter => "last 90 days",
            Period::All => "all time",
        }
    }

    fn days(self) -> Option<i64> {
        match self {
            Period::Week => Some(7),
            Period::Month => Some(30),
            Period::Quarter => Some(90),
            Period::All => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PERIODS: [Period; 4] = [Period::Week, Period::Month, Period::Quarter, Period::All];

    fn at(rfc3339: &str) -> DateTime<Utc> {
        crate::week::parse_instant(rfc3339).expect("test times are valid RFC 3339")
    }

    #[test]
    fn periods_reach_back_7_30_and_90_days_from_now() {
        let now = at("2026-03-01T12:00:00Z");
        assert_eq!(Period::Week.since(now), Some(at("2026-02-22T12:00:00Z")));
        assert_eq!(Period::Month.since(now), Some(at("2026-01-30T12:00:00Z")));
        assert_eq!(Period::Quarter.since(now), Some(at("2025-12-01T12:00:00Z")));
    }

    #[test]
    fn all_time_has_no_start() {
        assert_eq!(Period::All.since(at("2026-03-01T12:00:00Z")), None);
    }

    #[test]
    fn a_span_reaching_past_the_earliest_time_counts_everything() {
        assert_eq!(Period::Week.since(DateTime::<Utc>::MIN_UTC), None);
    }

    #[test]
    fn each_label_states_the_span_that_since_covers() {
        let now = at("2026-03-01T12:00:00Z");
        for period in PERIODS {
            let expected = match period.since(now) {
                Some(start) => format!("last {} days", (now - start).num_days()),
                None => "all time".to_string(),
            };
            assert_eq!(period.label(), expected);
        }
    }

    #[test]
    fn periods_read_the_command_option_values() {
        for (value, period) in [
            ("week", Period::Week),
            ("month", Period::Month),
            ("quarter", Period::Quarter),
            ("all", Period::All),
        ] {
            assert_eq!(
                serde_json::from_value::<Period>(serde_json::json!(value)).ok(),
                Some(period)
            );
        }
    }

    proptest! {
        #[test]
        fn longer_periods_start_no_later_and_never_after_now(seconds in 946_684_800i64..4_102_444_800) {
            let now = DateTime::from_timestamp(seconds, 0).expect("in chrono's range");
            let starts: Vec<_> = PERIODS.iter().map(|period| period.since(now)).collect();
            prop_assert!(starts.iter().flatten().all(|&start| start < now));
            prop_assert!(starts[0] > starts[1] && starts[1] > starts[2]);
        }
    }
}
