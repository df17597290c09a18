//! Sends a Hrana pipeline from the Worker with `fetch`.

use libsql_hrana::proto::Stmt;
use worker::{Fetch, Headers, Method, Request, RequestInit};

use super::{DbError, StmtResult, pipeline_request, read_pipeline_response};
use crate::config::DatabaseTarget;

/// Runs `statements` as one pipeline: one round trip, results in statement order.
pub async fn run(
    target: &DatabaseTarget,
    statements: Vec<Stmt>,
) -> Result<Vec<StmtResult>, DbError> {
    let count = statements.len();
    let body = serde_json::to_string(&pipeline_request(statements))
        .map_err(|error| DbError::Protocol(error.to_string()))?;

    let unreachable = |error: worker::Error| DbError::Unreachable(error.to_string());
    let headers = Headers::new();
    headers
        .set("content-type", "application/json")
        .map_err(unreachable)?;
    if let Some(token) = &target.auth_token {
        headers
            .set("authorization", &format!("Bearer {token}"))
            .map_err(unreachable)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(body.into()));
    let request = Request::new_with_init(&target.pipeline_url, &init).map_err(unreachable)?;

    let mut response = Fetch::Request(request).send().await.map_err(unreachable)?;
    let bytes = response.bytes().await.map_err(unreachable)?;
    let status = response.status_code();
    if status != 200 {
        return Err(DbError::Status {
            status,
            body: String::from_utf8_lossy(&bytes).chars().take(500).collect(),
        });
    }
    read_pipeline_response(&bytes, count)
}
