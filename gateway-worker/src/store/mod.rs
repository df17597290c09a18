//! Typed access to ShipTrack's tables over a `libsql::Connection`, running the statements of
//! [`shiptrack_core::sql`] (the same text the edge sends over Hrana), so callers handle values
//! and never SQL.
//!
//! Discord ids travel as `u64` here and as TEXT in the database; times are Unix milliseconds.
//! Every function takes the time it should record as an argument, so tests control the clock.

pub mod digests;
pub mod gateway;
pub mod launches;
pub mod settings;

use thiserror::Error;

/// A store call failed.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] libsql::Error),
    /// The row holds something our own writes never store: the database was edited by hand
    /// or by an incompatible version.
    #[error("column {column} holds {value:?}, which is not {expected}: fix or remove that row")]
    Corrupt {
        column: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("{what} {value} does not fit in a database integer")]
    TooLarge { what: &'static str, value: u64 },
}

/// A Discord id stored as TEXT.
fn snowflake(row: &libsql::Row, index: i32, column: &'static str) -> Result<u64, StoreError> {
    let text: String = row.get(index)?;
    text.parse().map_err(|_| StoreError::Corrupt {
        column,
        value: text,
        expected: "a Discord id",
    })
}

/// A nullable Discord id stored as TEXT.
fn optional_snowflake(
    row: &libsql::Row,
    index: i32,
    column: &'static str,
) -> Result<Option<u64>, StoreError> {
    match row.get::<Option<String>>(index)? {
        None => Ok(None),
        Some(_) => snowflake(row, index, column).map(Some),
    }
}

/// A 0/1 flag column.
fn flag(row: &libsql::Row, index: i32) -> Result<bool, StoreError> {
    Ok(row.get::<i64>(index)? != 0)
}

/// Every row of a query, decoded.
async fn collect<T>(
    mut rows: libsql::Rows,
    decode: impl Fn(&libsql::Row) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut decoded = Vec::new();
    while let Some(row) = rows.next().await? {
        decoded.push(decode(&row)?);
    }
    Ok(decoded)
}
