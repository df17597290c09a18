//! One Hrana stream: a connection of its own to the database file (so a transaction begun in
//! one HTTP request is still open in the next), the SQL texts stored on it, and what each
//! pipeline request does to it.

use std::time::Duration;

use libsql_hrana::proto::{self, StreamRequest, StreamResponse, StreamResult};

use super::batch;
use super::error::{EndpointError, RequestError};
use super::statement::{self, PlannedStmt};
use super::stored_sql::{StoreRefusal, StoredSql};

/// How long a writer waits for another stream's write transaction before `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The Hrana version an endpoint speaks: `/v2/…` or `/v3/…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Version {
    V2,
    V3,
}

pub(super) struct Stream {
    /// `None` once the client sent `close`: the connection is gone, its transaction rolled back.
    conn: Option<libsql::Connection>,
    stored: StoredSql,
}

impl Stream {
    pub(super) fn open(db: &libsql::Database) -> Result<Self, EndpointError> {
        let conn = db.connect().map_err(EndpointError::OpenStream)?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(EndpointError::OpenStream)?;
        Ok(Self {
            conn: Some(conn),
            stored: StoredSql::default(),
        })
    }

    pub(super) fn is_closed(&self) -> bool {
        self.conn.is_none()
    }

    /// Runs one request of a pipeline. `Ok` carries its result, an error result included;
    /// `Err` fails the whole HTTP request.
    pub(super) async fn handle(
        &mut self,
        request: StreamRequest,
        version: Version,
    ) -> Result<StreamResult, EndpointError> {
        let response = match request {
            StreamRequest::None => return Err(EndpointError::UnrecognizedType),
            StreamRequest::Close(_) => {
                self.conn = None;
                Ok(StreamResponse::Close(proto::CloseStreamResp {}))
            }
            StreamRequest::Execute(req) => {
                let conn = self.conn()?;
                let sql = self
                    .stored
                    .resolve(req.stmt.sql.as_deref(), req.stmt.sql_id)?;
                match PlannedStmt::new(sql, &req.stmt) {
                    Ok(planned) => statement::execute(conn, &planned).await,
                    Err(err) => Err(err),
                }
                .map(|result| StreamResponse::Execute(proto::ExecuteStreamResp { result }))
                .map_err(RequestError::from)
            }
            StreamRequest::Batch(req) => {
                let conn = self.conn()?;
                match batch::plan(&req.batch, &self.stored, version)? {
                    Ok(planned) => Ok(StreamResponse::Batch(proto::BatchStreamResp {
                        result: batch::to_batch_result(batch::run(conn, &planned).await),
                    })),
                    Err(err) => Err(err.into()),
                }
            }
            StreamRequest::Sequence(req) => {
                let conn = self.conn()?;
                let sql = self.stored.resolve(req.sql.as_deref(), req.sql_id)?;
                statement::sequence(conn, sql)
                    .await
                    .map(|()| StreamResponse::Sequence(proto::SequenceStreamResp {}))
                    .map_err(RequestError::from)
            }
            StreamRequest::Describe(req) => {
                let conn = self.conn()?;
                let sql = self.stored.resolve(req.sql.as_deref(), req.sql_id)?;
                statement::describe(conn, sql)
                    .await
                    .map(|result| StreamResponse::Describe(proto::DescribeStreamResp { result }))
                    .map_err(RequestError::from)
            }
            StreamRequest::StoreSql(req) => match self.stored.store(req.sql_id, req.sql) {
                Ok(()) => Ok(StreamResponse::StoreSql(proto::StoreSqlStreamResp {})),
                Err(StoreRefusal::IdInUse) => {
                    return Err(EndpointError::SqlExists { sql_id: req.sql_id });
                }
                Err(StoreRefusal::TooMany { count }) => {
                    Err(RequestError::SqlStoreTooMany { count })
                }
                Err(StoreRefusal::TooLarge { size }) => {
                    Err(RequestError::SqlStoreTooLarge { size })
                }
            },
            StreamRequest::CloseSql(req) => {
                self.stored.close(req.sql_id);
                Ok(StreamResponse::CloseSql(proto::CloseSqlStreamResp {}))
            }
            StreamRequest::GetAutocommit(_) => {
                if version == Version::V2 {
                    return Err(EndpointError::NeedsVersion3 {
                        what: "The `get_autocommit` request",
                    });
                }
                Ok(StreamResponse::GetAutocommit(
                    proto::GetAutocommitStreamResp {
                        is_autocommit: self.conn()?.is_autocommit(),
                    },
                ))
            }
        };
        Ok(match response {
            Ok(response) => StreamResult::Ok { response },
            Err(err) => StreamResult::Error {
                error: err.to_wire(),
            },
        })
    }

    /// Runs a batch for `/v3/cursor` and returns its entries; a batch whose statements cannot
    /// run is one `error` entry.
    pub(super) async fn cursor(
        &self,
        batch: &proto::Batch,
    ) -> Result<Vec<proto::CursorEntry>, EndpointError> {
        let conn = self.conn()?;
        Ok(match batch::plan(batch, &self.stored, Version::V3)? {
            Ok(planned) => batch::to_cursor_entries(batch::run(conn, &planned).await),
            Err(err) => vec![proto::CursorEntry::Error {
                error: err.to_wire(),
            }],
        })
    }

    fn conn(&self) -> Result<&libsql::Connection, EndpointError> {
        self.conn.as_ref().ok_or(EndpointError::StreamClosed)
    }
}
