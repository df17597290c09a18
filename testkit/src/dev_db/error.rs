//! How a Hrana request fails, at three depths, with the messages and codes sqld reports:
//!
//! - [`EndpointError`]: the whole HTTP request fails and its stream is gone (a spent baton, a
//!   reference to SQL that was never stored). A correct client never sees one, except for an
//!   expired stream.
//! - [`RequestError`]: one request of a pipeline fails; it becomes an `error` result and the
//!   pipeline goes on.
//! - [`StmtError`]: one statement fails; it is a `RequestError`, or a step error in a batch.

use axum::http::StatusCode;
use libsql_hrana::proto;

use super::sql_analysis::SqlTextError;
use super::stored_sql::MAX_SQL_BYTES;

/// A failure that ends the HTTP request: the client gets an HTTP error and must open a new
/// stream, as sqld does on a protocol error.
#[derive(Debug, thiserror::Error)]
pub(super) enum EndpointError {
    #[error("Cannot deserialize client message from JSON: {0}")]
    BadBody(String),
    #[error("Received an invalid baton")]
    BatonInvalid,
    #[error("The stream has expired due to inactivity")]
    StreamExpired,
    #[error("Stream for this baton was closed")]
    StreamClosed,
    #[error("Either `sql` or `sql_id` are required, but not both")]
    SqlIdAndSqlGiven,
    #[error("Either `sql` or `sql_id` are required")]
    SqlIdOrSqlNotGiven,
    #[error("SQL text {sql_id} not found")]
    SqlNotFound { sql_id: i32 },
    #[error("SQL text {sql_id} already exists")]
    SqlExists { sql_id: i32 },
    #[error("Invalid reference to step in a batch condition")]
    BatchCondBadStep,
    #[error("{what} is only supported in protocol version 3 and higher")]
    NeedsVersion3 { what: &'static str },
    #[error("Request, condition or value type not recognized")]
    UnrecognizedType,
    #[error("Could not open a connection to the database: {0}")]
    OpenStream(#[source] libsql::Error),
}

impl EndpointError {
    /// 400 for what the client did, 500 for what the server could not do.
    pub(super) fn status(&self) -> StatusCode {
        match self {
            Self::OpenStream(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    pub(super) fn code(&self) -> &'static str {
        match self {
            Self::BatonInvalid => "BATON_INVALID",
            // sqld's own code, the one error here a correct but slow client meets.
            Self::StreamExpired => "STREAM_EXPIRED",
            Self::OpenStream(_) => "INTERNAL",
            _ => "PROTOCOL_ERROR",
        }
    }
}

/// A failed request inside a pipeline: an `error` result; the rest of the pipeline runs.
#[derive(Debug, thiserror::Error)]
pub(super) enum RequestError {
    #[error(transparent)]
    Stmt(#[from] StmtError),
    #[error("The server already stores {count} SQL texts, it cannot store more")]
    SqlStoreTooMany { count: usize },
    #[error("The statement is too large to be stored: {size}/{MAX_SQL_BYTES} bytes")]
    SqlStoreTooLarge { size: usize },
}

impl RequestError {
    pub(super) fn to_wire(&self) -> proto::Error {
        let code = match self {
            Self::Stmt(err) => err.code(),
            Self::SqlStoreTooMany { .. } => "SQL_STORE_TOO_MANY",
            Self::SqlStoreTooLarge { .. } => "SQL_STORE_TOO_LARGE",
        };
        proto::Error {
            message: self.to_string(),
            code: code.into(),
        }
    }
}

/// A statement that could not run: refused before it reached the engine, or failed in it.
#[derive(Debug, thiserror::Error)]
pub(super) enum StmtError {
    #[error(transparent)]
    SqlText(#[from] SqlTextError),
    #[error("Arguments do not match SQL parameters: {0}")]
    ArgsInvalid(String),
    #[error("Specifying both positional and named arguments is not supported")]
    ArgsBothPositionalAndNamed,
    #[error("SQLite error: {message}")]
    Sqlite { code: i32, message: String },
    #[error("SQLite error: {0}")]
    Engine(String),
}

impl From<libsql::Error> for StmtError {
    fn from(err: libsql::Error) -> Self {
        match err {
            libsql::Error::SqliteFailure(code, message) => Self::Sqlite { code, message },
            other => Self::Engine(other.to_string()),
        }
    }
}

impl StmtError {
    pub(super) fn code(&self) -> &'static str {
        match self {
            Self::SqlText(SqlTextError::Parse(_)) => "SQL_PARSE_ERROR",
            Self::SqlText(SqlTextError::NoStatement) => "SQL_NO_STATEMENT",
            Self::SqlText(SqlTextError::ManyStatements) => "SQL_MANY_STATEMENTS",
            Self::ArgsInvalid(_) => "ARGS_INVALID",
            Self::ArgsBothPositionalAndNamed => "ARGS_BOTH_POSITIONAL_AND_NAMED",
            Self::Sqlite { code, .. } => sqlite_code_name(*code),
            Self::Engine(_) => "SQLITE_UNKNOWN",
        }
    }

    pub(super) fn to_wire(&self) -> proto::Error {
        proto::Error {
            message: self.to_string(),
            code: self.code().into(),
        }
    }
}

/// sqld's name for a SQLite result code; the engine reports extended codes, whose low byte is
/// the primary one. sqld names plain `SQLITE_ERROR` `SQLITE_UNKNOWN` (its rusqlite has no
/// variant for it), and so do we, so clients match the same strings on both.
fn sqlite_code_name(extended_code: i32) -> &'static str {
    use libsql::ffi;
    match extended_code & 0xff {
        ffi::SQLITE_INTERNAL => "SQLITE_INTERNAL",
        ffi::SQLITE_PERM => "SQLITE_PERM",
        ffi::SQLITE_ABORT => "SQLITE_ABORT",
        ffi::SQLITE_BUSY => "SQLITE_BUSY",
        ffi::SQLITE_LOCKED => "SQLITE_LOCKED",
        ffi::SQLITE_NOMEM => "SQLITE_NOMEM",
        ffi::SQLITE_READONLY => "SQLITE_READONLY",
        ffi::SQLITE_INTERRUPT => "SQLITE_INTERRUPT",
        ffi::SQLITE_IOERR => "SQLITE_IOERR",
        ffi::SQLITE_CORRUPT => "SQLITE_CORRUPT",
        ffi::SQLITE_NOTFOUND => "SQLITE_NOTFOUND",
        ffi::SQLITE_FULL => "SQLITE_FULL",
        ffi::SQLITE_CANTOPEN => "SQLITE_CANTOPEN",
        ffi::SQLITE_PROTOCOL => "SQLITE_PROTOCOL",
        ffi::SQLITE_SCHEMA => "SQLITE_SCHEMA",
        ffi::SQLITE_TOOBIG => "SQLITE_TOOBIG",
        ffi::SQLITE_CONSTRAINT => "SQLITE_CONSTRAINT",
        ffi::SQLITE_MISMATCH => "SQLITE_MISMATCH",
        ffi::SQLITE_MISUSE => "SQLITE_MISUSE",
        ffi::SQLITE_NOLFS => "SQLITE_NOLFS",
        ffi::SQLITE_AUTH => "SQLITE_AUTH",
        ffi::SQLITE_RANGE => "SQLITE_RANGE",
        ffi::SQLITE_NOTADB => "SQLITE_NOTADB",
        _ => "SQLITE_UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extended_constraint_code_is_reported_as_sqlite_constraint() {
        let unique_violation = libsql::ffi::SQLITE_CONSTRAINT | (8 << 8);
        let err = StmtError::Sqlite {
            code: unique_violation,
            message: "UNIQUE constraint failed: t.id".into(),
        };
        assert_eq!(err.code(), "SQLITE_CONSTRAINT");
        assert_eq!(
            err.to_wire().message,
            "SQLite error: UNIQUE constraint failed: t.id"
        );
    }

    #[test]
    fn a_plain_sqlite_error_is_named_as_sqld_names_it() {
        assert_eq!(
            sqlite_code_name(libsql::ffi::SQLITE_ERROR),
            "SQLITE_UNKNOWN"
        );
    }

    #[test]
    fn only_a_server_side_failure_is_a_500() {
        assert_eq!(
            EndpointError::BatonInvalid.status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            EndpointError::OpenStream(libsql::Error::ConnectionFailed("disk".into())).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
