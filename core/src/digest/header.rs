//! The words around the launch lines: the header with counts and dates, the quiet-week line,
//! and the marker that opens each continuation message.

use chrono::{Datelike, NaiveDate, TimeDelta};

use crate::week::DigestWindow;

/// The longest header or continuation marker can be, in characters: counts of up to 20 digits
/// each and the longest date range (held to this by a test).
pub(super) const MAX_CHARS: usize = 110;

const TITLE: &str = "**🚀 This week we shipped**";

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// "**🚀 This week we shipped** — 12 launches from 5 builders (Nov 23 – Nov 30)".
pub(super) fn summary(launches: usize, builders: usize, window: &DigestWindow) -> String {
    format!(
        "{TITLE} — {} from {} ({})",
        counted(launches, "launch", "launches"),
        counted(builders, "builder", "builders"),
        date_range(window)
    )
}

/// The one line a quiet week gets when the guild asks for it.
pub(super) fn quiet(window: &DigestWindow) -> String {
    format!(
        "{TITLE} — nothing this time ({}). Shipped something? Log it with /ship.",
        date_range(window)
    )
}

/// "(continued 2/3)": opens message `number` of `total`, so a message read alone is still
/// recognisably part of the digest.
pub(super) fn continuation(number: usize, total: usize) -> String {
    format!("(continued {number}/{total})")
}

fn counted(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// "Nov 23 – Nov 30": the day the window starts and the day of its last instant (the end itself
/// is excluded, so a window ending at midnight does not name the following day).
fn date_range(window: &DigestWindow) -> String {
    let last = window
        .end()
        .checked_sub_signed(TimeDelta::nanoseconds(1))
        .unwrap_or(window.start());
    format!(
        "{} – {}",
        day(window.start().date_naive()),
        day(last.date_naive())
    )
}

fn day(date: NaiveDate) -> String {
    format!("{} {}", MONTHS[date.month0() as usize], date.day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::week::parse_instant;

    fn window_before(rfc3339: &str) -> DigestWindow {
        DigestWindow::before(parse_instant(rfc3339).expect("valid test time"))
    }

    #[test]
    fn the_header_counts_launches_and_builders_and_names_the_dates() {
        assert_eq!(
            summary(12, 5, &window_before("2026-11-30T09:00:00Z")),
            "**🚀 This week we shipped** — 12 launches from 5 builders (Nov 23 – Nov 30)"
        );
    }

    #[test]
    fn one_launch_and_one_builder_are_singular() {
        assert_eq!(
            summary(1, 1, &window_before("2026-11-30T09:00:00Z")),
            "**🚀 This week we shipped** — 1 launch from 1 builder (Nov 23 – Nov 30)"
        );
    }

    #[test]
    fn a_window_ending_at_midnight_names_its_last_day_not_the_next() {
        assert_eq!(
            summary(2, 1, &window_before("2027-01-04T00:00:00Z")),
            "**🚀 This week we shipped** — 2 launches from 1 builder (Dec 28 – Jan 3)"
        );
    }

    #[test]
    fn the_quiet_week_line_says_how_to_log_a_launch() {
        assert_eq!(
            quiet(&window_before("2026-11-30T09:00:00Z")),
            "**🚀 This week we shipped** — nothing this time (Nov 23 – Nov 30). Shipped something? Log it with /ship."
        );
    }

    #[test]
    fn the_longest_header_and_marker_fit_their_budget() {
        let longest_dates = window_before("2026-10-01T09:00:00Z");
        for text in [
            summary(usize::MAX, usize::MAX, &longest_dates),
            quiet(&longest_dates),
            continuation(usize::MAX, usize::MAX),
        ] {
            assert!(
                text.chars().count() <= MAX_CHARS,
                "{} chars: {text}",
                text.chars().count()
            );
        }
    }
}
