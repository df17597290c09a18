//! The HTTP surface, the routes sqld serves that our clients use: the Hrana pipelines
//! (`/v2/pipeline`, `/v3/pipeline`), the v3 cursor, the version probes and `/health`.
//! `/v3-protobuf` is not served, so a client that probes it falls back to JSON.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use libsql_hrana::proto;
use serde::de::DeserializeOwned;
use tokio::task::JoinError;

use super::auth;
use super::error::EndpointError;
use super::stream::Version;
use super::streams::Streams;

/// Large migrations and batches fit; axum's default (2 MB) would refuse some.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

pub(super) struct AppState {
    pub(super) streams: Streams,
    pub(super) auth_token: Option<String>,
}

pub(super) fn router(state: Arc<AppState>) -> Router {
    let hrana = Router::new()
        .route("/v2/pipeline", post(pipeline_v2))
        .route("/v3/pipeline", post(pipeline_v3))
        .route("/v3/cursor", post(cursor))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    // As in sqld, probes and health answer without a token.
    Router::new()
        .route("/health", get(|| async { StatusCode::OK }))
        .route(
            "/v2",
            get(|| async { "Hello, this is HTTP API v2 (Hrana over HTTP)" }),
        )
        .route(
            "/v3",
            get(|| async { "Hello, this is HTTP API v3 (Hrana over HTTP)" }),
        )
        .merge(hrana)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn require_token(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let authorization = request.headers().get(header::AUTHORIZATION);
    if auth::is_authorized(state.auth_token.as_deref(), authorization) {
        next.run(request).await
    } else {
        HttpError::Unauthorized.into_response()
    }
}

async fn pipeline_v2(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Response, HttpError> {
    pipeline(state, Version::V2, body).await
}

async fn pipeline_v3(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Response, HttpError> {
    pipeline(state, Version::V3, body).await
}

async fn pipeline(
    state: Arc<AppState>,
    version: Version,
    body: Bytes,
) -> Result<Response, HttpError> {
    let request: proto::PipelineReqBody = decode(&body)?;
    let response =
        on_blocking_thread(async move { state.streams.pipeline(request, version).await }).await??;
    Ok(axum::Json(response).into_response())
}

/// The cursor's body is JSON lines: the head (baton), then one entry per line. The whole run
/// is finished before the first byte goes out; clients read it line by line all the same.
async fn cursor(State(state): State<Arc<AppState>>, body: Bytes) -> Result<Response, HttpError> {
    let request: proto::CursorReqBody = decode(&body)?;
    let (head, entries) =
        on_blocking_thread(async move { state.streams.cursor(request).await }).await??;
    let mut lines = json_line(&head)?;
    for entry in &entries {
        lines.extend(json_line(entry)?);
    }
    // sqld's content type for the JSON cursor.
    Ok(([(header::CONTENT_TYPE, "text/plain")], lines).into_response())
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, EndpointError> {
    serde_json::from_slice(body).map_err(|err| EndpointError::BadBody(err.to_string()))
}

fn json_line<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, HttpError> {
    let mut line = serde_json::to_vec(value).map_err(|err| HttpError::Internal(err.to_string()))?;
    line.push(b'\n');
    Ok(line)
}

/// Runs engine work off the async workers: SQLite blocks while it waits for a lock held by
/// another stream, and an async worker stuck there could be the one that would serve the
/// request that releases it.
async fn on_blocking_thread<T: Send + 'static>(
    work: impl Future<Output = T> + Send + 'static,
) -> Result<T, JoinError> {
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || runtime.block_on(work)).await
}

/// An HTTP error response, its body a Hrana `Error` (`{"message", "code"}`) that both clients
/// parse into their error types.
#[derive(Debug)]
enum HttpError {
    Unauthorized,
    Endpoint(EndpointError),
    Internal(String),
}

impl From<EndpointError> for HttpError {
    fn from(err: EndpointError) -> Self {
        Self::Endpoint(err)
    }
}

impl From<JoinError> for HttpError {
    fn from(err: JoinError) -> Self {
        Self::Internal(format!("the request's worker failed: {err}"))
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let (status, message, code) = match self {
            Self::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "Unauthorized: send `Authorization: Bearer <token>` with the token dev-db was \
                 started with (--auth-token)"
                    .to_owned(),
                "UNAUTHORIZED",
            ),
            Self::Endpoint(err) => (err.status(), err.to_string(), err.code()),
            Self::Internal(message) => (StatusCode::INTERNAL_SERVER_ERROR, message, "INTERNAL"),
        };
        if status.is_server_error() {
            tracing::error!(%message, "dev-db request failed");
        }
        let body = proto::Error {
            message,
            code: code.to_owned(),
        };
        (status, axum::Json(body)).into_response()
    }
}
