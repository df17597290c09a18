//! Sends a Hrana pipeline from the Worker with `fetch`.

use libsql_hrana::proto::Stmt;

use super::{DbError, StmtResult, pipeline_request, read_pipeline_response};
use crate::config::DatabaseTarget;
use crate::fetch;

/// Runs `statements` as one pipeline: one round trip, results in statement order.
pub async fn run(
    target: &DatabaseTarget,
    statements: Vec<Stmt>,
) -> Result<Vec<StmtResult>, DbError> {
    let count = statements.len();
    let body = serde_json::to_string(&pipeline_request(statements))
        .map_err(|error| DbError::Protocol(error.to_string()))?;

    let bearer = target
        .auth_token
        .as_ref()
        .map(|token| format!("Bearer {token}"));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer));
    }
    let reply = fetch::send("POST", &target.pipeline_url, &headers, &body)
        .await
        .map_err(DbError::Unreachable)?;
    if reply.status != 200 {
        return Err(DbError::Status {
            status: reply.status,
            body: reply.body.chars().take(500).collect(),
        });
    }
    read_pipeline_response(reply.body.as_bytes(), count)
}
