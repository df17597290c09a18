//! A guild's launches in a digest window, read from [`sql::DIGEST_LAUNCHES`] into the values
//! `shiptrack_core::digest::render` takes; the cron and `/digest preview` share it, so both
//! show the same launches.

use chrono::DateTime;
use libsql_hrana::proto::Stmt;
use shiptrack_core::{digest::DigestLaunch, sql, week::DigestWindow};

use crate::hrana::{DbError, StmtResult, integer, statement, text};

/// The guild's live launches in `window`, oldest first (deleted ones are left out by the query).
pub fn statement_for(guild_id: u64, window: &DigestWindow) -> Stmt {
    statement(
        sql::DIGEST_LAUNCHES,
        [
            text(guild_id.to_string()),
            integer(window.start().timestamp_millis()),
            integer(window.end().timestamp_millis()),
        ],
    )
}

/// Rows `id, author_id, author_name, text, url, created_at` as the renderer's launches.
pub fn read(result: &StmtResult) -> Result<Vec<DigestLaunch>, DbError> {
    result
        .rows
        .iter()
        .map(|row| {
            let url = if row.is_null(4) {
                None
            } else {
                Some(row.text(4).ok_or_else(|| unexpected("url"))?.to_owned())
            };
            Ok(DigestLaunch {
                id: row.integer(0).ok_or_else(|| unexpected("id"))?,
                author_id: row
                    .text(1)
                    .and_then(|id| id.parse().ok())
                    .ok_or_else(|| unexpected("author_id"))?,
                text: row.text(3).ok_or_else(|| unexpected("text"))?.to_owned(),
                url,
                created_at: row
                    .integer(5)
                    .and_then(DateTime::from_timestamp_millis)
                    .ok_or_else(|| unexpected("created_at"))?,
            })
        })
        .collect()
}

fn unexpected(column: &str) -> DbError {
    DbError::Protocol(format!(
        "launches.{column} does not read as DIGEST_LAUNCHES documents"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::test_support::{int, null, rows, txt};
    use serde_json::json;
    use shiptrack_core::week::parse_instant;

    #[test]
    fn the_query_asks_for_the_guilds_window_in_unix_milliseconds() {
        let window = DigestWindow::before(parse_instant("2026-11-30T09:00:00Z").unwrap());
        let statement = serde_json::to_value(statement_for(42, &window)).unwrap();
        assert_eq!(statement["sql"], sql::DIGEST_LAUNCHES);
        assert_eq!(
            statement["args"],
            json!([
                {"type": "text", "value": "42"},
                {"type": "integer", "value": "1795424400000"},
                {"type": "integer", "value": "1796029200000"},
            ])
        );
    }

    #[test]
    fn rows_become_the_renderers_launches() {
        let result = rows(vec![
            vec![
                int(7),
                txt("11"),
                txt("Ada"),
                txt("ShipTrack"),
                txt("https://x.dev"),
                int(1_795_500_000_000),
            ],
            vec![
                int(8),
                txt("12"),
                txt("Bo"),
                txt("no link"),
                null(),
                int(1_795_600_000_000),
            ],
        ]);
        let launches = read(&result).unwrap();
        assert_eq!(
            launches,
            vec![
                DigestLaunch {
                    id: 7,
                    author_id: 11,
                    text: "ShipTrack".to_owned(),
                    url: Some("https://x.dev".to_owned()),
                    created_at: DateTime::from_timestamp_millis(1_795_500_000_000).unwrap(),
                },
                DigestLaunch {
                    id: 8,
                    author_id: 12,
                    text: "no link".to_owned(),
                    url: None,
                    created_at: DateTime::from_timestamp_millis(1_795_600_000_000).unwrap(),
                },
            ]
        );
    }

    #[test]
    fn a_row_that_does_not_read_as_documented_is_a_protocol_error() {
        let bad_author = rows(vec![vec![
            int(7),
            txt("ada"),
            txt("Ada"),
            txt("t"),
            null(),
            int(1),
        ]]);
        assert!(matches!(read(&bad_author), Err(DbError::Protocol(_))));
        let missing_time = rows(vec![vec![
            int(7),
            txt("11"),
            txt("Ada"),
            txt("t"),
            null(),
            null(),
        ]]);
        assert!(matches!(read(&missing_time), Err(DbError::Protocol(_))));
    }
}
