//! The (guild, week) claim in `digests` that makes a digest post once: taken before anything is
//! posted, refreshed by every recorded message and while the run waits, and finished as
//! `posted`, `empty` or `failed`. A claim not refreshed for [`STALE_AFTER`] belongs to a run
//! that died, and the next run takes it over, continuing after the messages already recorded.
//!
//! Whether a claim can be taken is decided by [`sql::CLAIM_DIGEST`] in one atomic statement, so
//! two firings racing for one week cannot both win; this module builds the statements and reads
//! their answers.

use std::time::Duration;

use libsql_hrana::proto::{Stmt, Value};
use shiptrack_core::{
    sql,
    week::{DigestWindow, WeekKey},
};

use crate::hrana::{DbError, StmtResult, integer, statement, text};

/// How long a claim may go unrefreshed before another run may take it over. Short, because a
/// take-over re-sends the message a dead run may have posted without recording, and Discord
/// deduplicates its nonce only for "a few minutes".
pub const STALE_AFTER: Duration = Duration::from_secs(3 * 60);

/// A waiting run refreshes its claim at least this often, well inside [`STALE_AFTER`].
pub const REFRESH_EVERY: Duration = Duration::from_secs(60);

// A refresh that is late by a whole interval (a slow database) still lands before the claim is stale.
const _: () = assert!(2 * REFRESH_EVERY.as_secs() < STALE_AFTER.as_secs());

/// One guild's digest for one week, as the `digests` row names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestWeek {
    pub guild_id: u64,
    pub window: DigestWindow,
}

impl DigestWeek {
    pub fn key(&self) -> WeekKey {
        self.window.key()
    }

    fn guild(&self) -> Value {
        text(self.guild_id.to_string())
    }

    fn week_key(&self) -> Value {
        text(self.key().to_string())
    }
}

/// What a claim gave the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The run may post; `already_posted` are the ids an earlier run recorded, in order.
    Held { already_posted: Vec<String> },
    /// Another run holds the week, or it is finished: post nothing.
    Taken,
}

/// Whether a write to a claimed row found the claim still held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Held {
    Yes,
    /// Another run took the week over (this one was thought dead): stop posting.
    Lost,
}

/// How a finished digest ended well.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finished {
    Posted,
    /// Nothing shipped and the guild wants no quiet-week line.
    Empty,
}

/// Claims `week` for `claimer` (unique per run) at `now_ms`.
pub fn claim(week: &DigestWeek, claimer: &str, now_ms: i64) -> Stmt {
    statement(
        sql::CLAIM_DIGEST,
        [
            week.guild(),
            week.week_key(),
            integer(week.window.start().timestamp_millis()),
            integer(week.window.end().timestamp_millis()),
            text(claimer),
            integer(now_ms),
            integer(millis(STALE_AFTER)),
        ],
    )
}

/// Reads a [`claim`] result: a row when the run holds the week.
pub fn read_claim(result: &StmtResult) -> Result<Claim, DbError> {
    let Some(row) = result.rows.first() else {
        return Ok(Claim::Taken);
    };
    let ids = row
        .text(0)
        .ok_or_else(|| DbError::Protocol("digests.message_ids is not text".to_owned()))?;
    let already_posted = miniserde::json::from_str(ids).map_err(|_| {
        DbError::Protocol(format!(
            "digests.message_ids is not a JSON list of ids: {ids}"
        ))
    })?;
    Ok(Claim::Held { already_posted })
}

/// Appends a posted message's id and refreshes the claim.
pub fn record(week: &DigestWeek, claimer: &str, message_id: &str, now_ms: i64) -> Stmt {
    statement(
        sql::RECORD_DIGEST_MESSAGE,
        [
            week.guild(),
            week.week_key(),
            text(claimer),
            text(message_id),
            integer(now_ms),
        ],
    )
}

/// Refreshes the claim while the run waits.
pub fn refresh(week: &DigestWeek, claimer: &str, now_ms: i64) -> Stmt {
    statement(
        sql::REFRESH_DIGEST_CLAIM,
        [
            week.guild(),
            week.week_key(),
            text(claimer),
            integer(now_ms),
        ],
    )
}

/// Marks the week finished; it is never claimed again.
pub fn finish(week: &DigestWeek, claimer: &str, finished: Finished, now_ms: i64) -> Stmt {
    let status = match finished {
        Finished::Posted => "posted",
        Finished::Empty => "empty",
    };
    statement(
        sql::FINISH_DIGEST,
        [
            week.guild(),
            week.week_key(),
            text(claimer),
            text(status),
            integer(now_ms),
        ],
    )
}

/// Records why the digest could not be posted, with Discord's words.
pub fn fail(week: &DigestWeek, claimer: &str, error: &str) -> Stmt {
    statement(
        sql::FAIL_DIGEST,
        [week.guild(), week.week_key(), text(claimer), text(error)],
    )
}

/// Reads the result of [`record`], [`refresh`], [`finish`] or [`fail`]: they change the row
/// only while this run holds the claim.
pub fn held(result: &StmtResult) -> Held {
    if result.affected_row_count > 0 {
        Held::Yes
    } else {
        Held::Lost
    }
}

/// Whether a run that last refreshed its claim `since_refresh` ago must refresh it before
/// waiting `wait` more: it must never sit unrefreshed for [`REFRESH_EVERY`].
pub fn must_refresh(since_refresh: Duration, wait: Duration) -> bool {
    since_refresh + wait >= REFRESH_EVERY
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::test_support::{affected, rows, txt};
    use serde_json::json;
    use shiptrack_core::week::parse_instant;

    fn week() -> DigestWeek {
        DigestWeek {
            guild_id: 42,
            window: DigestWindow::before(parse_instant("2026-11-30T09:00:00Z").unwrap()),
        }
    }

    #[test]
    fn a_claim_names_the_iso_week_its_window_and_the_stale_age() {
        let claim = serde_json::to_value(claim(&week(), "run-1", 5)).unwrap();
        assert_eq!(claim["sql"], sql::CLAIM_DIGEST);
        assert_eq!(
            claim["args"],
            json!([
                {"type": "text", "value": "42"},
                {"type": "text", "value": "2026-W48"},
                {"type": "integer", "value": "1795424400000"},
                {"type": "integer", "value": "1796029200000"},
                {"type": "text", "value": "run-1"},
                {"type": "integer", "value": "5"},
                {"type": "integer", "value": "180000"},
            ])
        );
    }

    #[test]
    fn a_claim_with_a_row_is_held_with_the_ids_already_posted() {
        assert_eq!(
            read_claim(&rows(vec![vec![txt("[]")]])),
            Ok(Claim::Held {
                already_posted: vec![]
            })
        );
        assert_eq!(
            read_claim(&rows(vec![vec![txt(r#"["11","12"]"#)]])),
            Ok(Claim::Held {
                already_posted: vec!["11".to_owned(), "12".to_owned()]
            })
        );
    }

    #[test]
    fn a_claim_without_a_row_is_taken() {
        assert_eq!(read_claim(&rows(vec![])), Ok(Claim::Taken));
    }

    #[test]
    fn corrupt_message_ids_are_a_protocol_error() {
        assert!(matches!(
            read_claim(&rows(vec![vec![txt("11,12")]])),
            Err(DbError::Protocol(_))
        ));
    }

    #[test]
    fn a_write_that_changed_no_row_means_the_claim_was_lost() {
        assert_eq!(held(&affected(1)), Held::Yes);
        assert_eq!(held(&affected(0)), Held::Lost);
    }

    #[test]
    fn finishing_writes_the_status_the_schema_allows() {
        let posted = serde_json::to_value(finish(&week(), "run-1", Finished::Posted, 9)).unwrap();
        let empty = serde_json::to_value(finish(&week(), "run-1", Finished::Empty, 9)).unwrap();
        assert_eq!(
            posted["args"][3],
            json!({"type": "text", "value": "posted"})
        );
        assert_eq!(empty["args"][3], json!({"type": "text", "value": "empty"}));
    }

    #[test]
    fn a_run_refreshes_before_a_wait_that_would_leave_its_claim_unrefreshed_for_a_minute() {
        let second = Duration::from_secs(1);
        assert!(!must_refresh(Duration::ZERO, 5 * second));
        assert!(!must_refresh(50 * second, 9 * second));
        assert!(must_refresh(50 * second, 10 * second));
        assert!(must_refresh(Duration::ZERO, REFRESH_EVERY));
    }
}
