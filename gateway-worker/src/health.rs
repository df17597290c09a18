//! The operator's view on `HEALTH_ADDR`: `GET /healthz` answers 200 only when every shard
//! this process holds is connected and its heartbeats are being acknowledged, and
//! `GET /metrics` serves the Prometheus text of [`Registry`].
//!
//! A standby (holding no shard) is healthy: it is doing its job by waiting.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::gateway::ShardState;
use crate::lease::now_ms;
use crate::metrics::{Registry, ShardSlot};

#[derive(Debug, thiserror::Error)]
#[error(
    "cannot listen on HEALTH_ADDR {addr}: {source}; set HEALTH_ADDR to a free address and port"
)]
pub struct HealthError {
    addr: SocketAddr,
    #[source]
    source: std::io::Error,
}

/// Binds `HEALTH_ADDR` at start-up, so a taken port fails the start instead of a later task.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, HealthError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| HealthError { addr, source })
}

/// Serves until `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    registry: Arc<Registry>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(registry);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

async fn healthz(State(registry): State<Arc<Registry>>) -> impl IntoResponse {
    match verdict(&registry.slots, now_ms()) {
        Ok(summary) => (StatusCode::OK, summary),
        Err(problem) => (StatusCode::SERVICE_UNAVAILABLE, problem),
    }
}

async fn metrics(State(registry): State<Arc<Registry>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        registry.render(),
    )
}

/// Healthy when each held shard is connected with an ACK within two heartbeat intervals
/// (one late beat is tolerated; two mean the connection is a zombie or gone).
pub fn verdict(slots: &[Arc<ShardSlot>], now_ms: i64) -> Result<String, String> {
    let held: Vec<_> = slots.iter().filter(|slot| slot.holding()).collect();
    if held.is_empty() {
        return Ok("ok: standby, holding no shard\n".to_owned());
    }
    let mut problems = Vec::new();
    for slot in &held {
        let status = &slot.status;
        let state = status.state();
        if state != ShardState::Connected {
            problems.push(format!("shard {} is {}", slot.shard, state.as_str()));
            continue;
        }
        let allowed = status
            .heartbeat_interval()
            .map_or(Duration::ZERO, |interval| {
                interval * 2 + Duration::from_secs(1)
            });
        let since_ack = status
            .last_ack_unix_ms()
            .map(|ack| now_ms.saturating_sub(ack as i64).max(0) as u64);
        match since_ack {
            Some(since) if since <= allowed.as_millis() as u64 => {}
            Some(since) => problems.push(format!(
                "shard {} has had no heartbeat ACK for {since} ms",
                slot.shard
            )),
            None => problems.push(format!("shard {} has no heartbeat ACK yet", slot.shard)),
        }
    }
    if problems.is_empty() {
        Ok(format!("ok: {} shard(s) connected\n", held.len()))
    } else {
        Err(format!("unhealthy: {}\n", problems.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::ShardId;

    fn slot(state: ShardState, holding: bool) -> Arc<ShardSlot> {
        let slot = Arc::new(ShardSlot::new(ShardId {
            number: 0,
            total: 1,
        }));
        slot.status.set_state(state);
        slot.status
            .set_heartbeat_interval(Duration::from_millis(500));
        slot.set_holding(holding);
        slot
    }

    #[test]
    fn a_connected_shard_with_a_fresh_ack_is_healthy() {
        let slot = slot(ShardState::Connected, true);
        slot.status.record_ack(Duration::from_millis(3));
        assert!(verdict(&[slot], now_ms()).is_ok());
    }

    #[test]
    fn a_held_shard_that_is_not_connected_is_unhealthy() {
        let slot = slot(ShardState::Resuming, true);
        let problem = verdict(&[slot], now_ms()).unwrap_err();
        assert!(problem.contains("resuming"), "{problem}");
    }

    #[test]
    fn a_connected_shard_without_recent_acks_is_unhealthy() {
        let slot = slot(ShardState::Connected, true);
        assert!(
            verdict(std::slice::from_ref(&slot), now_ms())
                .unwrap_err()
                .contains("no heartbeat ACK yet")
        );
        slot.status.record_ack(Duration::from_millis(3));
        assert!(
            verdict(&[slot], now_ms() + 5_000)
                .unwrap_err()
                .contains("no heartbeat ACK for")
        );
    }

    #[test]
    fn a_standby_holding_nothing_is_healthy() {
        assert!(verdict(&[slot(ShardState::Stopped, false)], now_ms()).is_ok());
    }
}
