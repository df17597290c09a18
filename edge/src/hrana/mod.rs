//! The database, spoken to as Hrana v3 over HTTP with the protocol types of `libsql-hrana`.
//!
//! Requests are built from `libsql-hrana`'s types; answers are read by [`response`]'s lean
//! structs, which cost the Worker far less than decoding `libsql-hrana`'s tagged enums.
//! Every operation is one `POST {url}/v3/pipeline` carrying its statements followed by a
//! `close`, so it costs one round trip and leaves no stream open on the server (DESIGN.md
//! explains why not the `libsql` crate's Workers backend). Building the request and reading
//! the answer are plain functions, tested natively; [`http`] sends them from the Worker.

use std::sync::Arc;

use libsql_hrana::proto::{
    CloseStreamReq, ExecuteStreamReq, PipelineReqBody, Stmt, StreamRequest, Value,
};
use thiserror::Error;

pub use response::{ColumnValue, Row, StmtResult};
use response::{PipelineResponse, StreamResponse};

#[cfg(target_arch = "wasm32")]
pub mod http;
mod response;

/// Why an operation did not complete. Any of them means nothing can be assumed saved.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DbError {
    #[error("the database could not be reached: {0}")]
    Unreachable(String),
    #[error("the database answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("the database's answer was not a Hrana pipeline response: {0}")]
    Protocol(String),
    #[error("statement {index} failed: {message}")]
    Statement { index: usize, message: String },
}

/// A statement with positional arguments, built from `shiptrack_core::sql` text.
pub fn statement(sql: &str, args: impl IntoIterator<Item = Value>) -> Stmt {
    let mut stmt = Stmt::new(sql, true);
    stmt.args = args.into_iter().collect();
    stmt
}

pub fn text(value: impl AsRef<str>) -> Value {
    Value::Text {
        value: Arc::from(value.as_ref()),
    }
}

pub fn integer(value: i64) -> Value {
    Value::Integer { value }
}

pub fn optional_text(value: Option<impl AsRef<str>>) -> Value {
    value.map_or(Value::Null, text)
}

/// The pipeline for one operation: each statement in order, then `close`.
pub fn pipeline_request(statements: Vec<Stmt>) -> PipelineReqBody {
    let mut requests: Vec<StreamRequest> = statements
        .into_iter()
        .map(|stmt| StreamRequest::Execute(ExecuteStreamReq { stmt }))
        .collect();
    requests.push(StreamRequest::Close(CloseStreamReq {}));
    PipelineReqBody {
        baton: None,
        requests,
    }
}

/// Reads the results of the `statements` executes of [`pipeline_request`]; the first
/// failed statement fails the operation.
pub fn read_pipeline_response(body: &[u8], statements: usize) -> Result<Vec<StmtResult>, DbError> {
    let response: PipelineResponse = std::str::from_utf8(body)
        .ok()
        .and_then(|text| miniserde::json::from_str(text).ok())
        // miniserde's error says nothing more, so the answer's start tells what came back.
        .ok_or_else(|| {
            DbError::Protocol(String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned())
        })?;
    if response.results.len() != statements + 1 {
        return Err(DbError::Protocol(format!(
            "expected {} results, got {}",
            statements + 1,
            response.results.len()
        )));
    }
    response
        .results
        .into_iter()
        .take(statements)
        .enumerate()
        .map(
            |(index, result)| match (result.kind.as_str(), result.response, result.error) {
                (
                    "ok",
                    Some(StreamResponse {
                        kind,
                        result: Some(result),
                    }),
                    _,
                ) if kind == "execute" => Ok(result),
                ("error", _, Some(error)) => Err(DbError::Statement {
                    index,
                    message: error.message,
                }),
                (kind, ..) => Err(DbError::Protocol(format!(
                    "statement {index}: unexpected {kind:?} result"
                ))),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_operation_is_its_statements_then_close_in_one_pipeline() {
        let request = pipeline_request(vec![statement(
            "SELECT ?1, ?2, ?3",
            [text("a"), integer(7), optional_text(None::<&str>)],
        )]);
        let body = serde_json::to_value(&request).unwrap();
        assert_eq!(body["baton"], json!(null));
        assert_eq!(body["requests"][0]["type"], "execute");
        assert_eq!(body["requests"][0]["stmt"]["sql"], "SELECT ?1, ?2, ?3");
        assert_eq!(
            body["requests"][0]["stmt"]["args"],
            json!([
                {"type": "text", "value": "a"},
                {"type": "integer", "value": "7"},
                {"type": "null"},
            ])
        );
        assert_eq!(body["requests"][1], json!({"type": "close"}));
        assert_eq!(body["requests"].as_array().unwrap().len(), 2);
    }

    fn execute_ok(rows: serde_json::Value) -> serde_json::Value {
        json!({"type": "ok", "response": {"type": "execute", "result": {
            "cols": [{"name": "id", "decltype": "INTEGER"}],
            "rows": rows,
            "affected_row_count": 1,
            "last_insert_rowid": "1",
        }}})
    }

    #[test]
    fn rows_are_read_by_column_position() {
        let body = json!({"baton": null, "base_url": null, "results": [
            execute_ok(json!([[{"type": "integer", "value": "42"}, {"type": "text", "value": "hi"}]])),
            {"type": "ok", "response": {"type": "close"}},
        ]});
        let results = read_pipeline_response(body.to_string().as_bytes(), 1).unwrap();
        let row = &results[0].rows[0];
        assert_eq!(row.integer(0), Some(42));
        assert_eq!(row.text(1), Some("hi"));
        assert_eq!(row.text(0), None);
        assert_eq!(row.integer(2), None);
    }

    #[test]
    fn a_failed_statement_fails_the_operation_with_its_message() {
        let body = json!({"baton": null, "base_url": null, "results": [
            execute_ok(json!([])),
            {"type": "error", "error": {"message": "no such table: launches", "code": "SQLITE_ERROR"}},
            {"type": "ok", "response": {"type": "close"}},
        ]});
        let error = read_pipeline_response(body.to_string().as_bytes(), 2).unwrap_err();
        assert_eq!(
            error,
            DbError::Statement {
                index: 1,
                message: "no such table: launches".to_owned()
            }
        );
    }

    #[test]
    fn a_short_or_foreign_answer_is_a_protocol_error() {
        let short = json!({"baton": null, "base_url": null, "results": [execute_ok(json!([]))]});
        assert!(matches!(
            read_pipeline_response(short.to_string().as_bytes(), 1),
            Err(DbError::Protocol(_))
        ));
        assert!(matches!(
            read_pipeline_response(b"<html>502 Bad Gateway</html>", 1),
            Err(DbError::Protocol(_))
        ));
    }
}
