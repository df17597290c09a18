//! Accepting a WebSocket on either gateway URL: the query (`v`, `encoding`, `compress`), the
//! scripted outages, and the connection record.
use std::sync::Arc;

use axum::extract::{Query, State, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::connection::{self, ConnectionParams};
use crate::discord_sim::ids;
use crate::discord_sim::records::{ConnectionRecord, Endpoint};
use crate::discord_sim::state::Sim;

#[derive(Debug, Deserialize)]
pub(crate) struct GatewayQuery {
    v: Option<String>,
    encoding: Option<String>,
    compress: Option<String>,
}

pub(crate) async fn main_endpoint(
    State(sim): State<Arc<Sim>>,
    Query(query): Query<GatewayQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    accept(sim, query, ws, Endpoint::Main)
}

pub(crate) async fn resume_endpoint(
    State(sim): State<Arc<Sim>>,
    Query(query): Query<GatewayQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    accept(sim, query, ws, Endpoint::Resume)
}

fn accept(
    sim: Arc<Sim>,
    query: GatewayQuery,
    ws: WebSocketUpgrade,
    endpoint: Endpoint,
) -> Response {
    let compressed = match query.compress.as_deref() {
        None => false,
        Some("zlib-stream") => true,
        Some(other) => {
            let message = format!(
                "compress={other} is not simulated; use compress=zlib-stream or leave it out"
            );
            return (StatusCode::BAD_REQUEST, message).into_response();
        }
    };
    if query.encoding.as_deref().is_some_and(|e| e != "json") {
        return (
            StatusCode::BAD_REQUEST,
            "the simulator speaks encoding=json only",
        )
            .into_response();
    }
    // Discord serves v9 and v10; anything else is closed with 4012 once connected.
    let version_ok = query.v.as_deref().is_none_or(|v| v == "9" || v == "10");
    let (id, refused) = sim.update(|s| {
        let id = s.gateway.next_connection_id();
        let refused = match endpoint {
            Endpoint::Main => s.gateway.refuse_main,
            Endpoint::Resume => s.gateway.refuse_resume,
        };
        s.records.connections.push(ConnectionRecord {
            id,
            endpoint,
            compressed,
            refused,
            at_ms: ids::now_ms(),
        });
        (id, refused)
    });
    if refused {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "gateway unavailable (scripted outage)",
        )
            .into_response();
    }
    let params = ConnectionParams {
        id,
        endpoint,
        compressed,
        version_ok,
    };
    ws.on_upgrade(move |socket| connection::run(sim, socket, params))
}
