//! The gateway: WebSocket connections (`connection`) and what they hold back for a prepared
//! burst (`outbox`), the Identify/Resume handshake (`handshake`), sessions with replay buffers
//! (`sessions`), and the protocol's limits (`heartbeat`, `send_limit`, `identify_limit`) and
//! transport compression (`compression`).
use std::sync::Arc;

use axum::Router;
use axum::routing::any;
use tokio::time::Instant;

use super::config::SimConfig;
use super::state::Sim;

pub(crate) mod compression;
pub(crate) mod connection;
pub(crate) mod handshake;
pub(crate) mod heartbeat;
pub(crate) mod identify_limit;
pub(crate) mod outbox;
pub(crate) mod protocol;
pub(crate) mod registry;
pub(crate) mod send_limit;
pub(crate) mod sessions;
pub(crate) mod upgrade;

use identify_limit::IdentifyLimiter;
use registry::Registry;
use sessions::SessionStore;

/// Paths of the two gateway URLs. Clients append `/?v=10&encoding=json…` or `?v=10…`, so both
/// spellings are served.
pub(crate) const MAIN_PATH: &str = "/gateway";
pub(crate) const RESUME_PATH: &str = "/gateway-resume";

pub(crate) struct GatewayState {
    pub sessions: SessionStore,
    pub connections: Registry,
    pub identify: IdentifyLimiter,
    /// Discord resets the token when the identify budget is overspent; until
    /// `set_session_start_remaining`, every Identify, Resume and REST call with it fails.
    pub token_revoked: bool,
    /// Scripted outages: upgrades to the main or the resume URL answer 503.
    pub refuse_main: bool,
    pub refuse_resume: bool,
    next_connection_id: u64,
}

impl GatewayState {
    pub fn new(config: &SimConfig) -> Self {
        Self {
            sessions: SessionStore::new(config.session_ttl, config.replay_buffer),
            connections: Registry::default(),
            identify: IdentifyLimiter::new(
                config.session_start_limit,
                config.identify_window,
                Instant::now(),
            ),
            token_revoked: false,
            refuse_main: false,
            refuse_resume: false,
            next_connection_id: 1,
        }
    }

    pub fn next_connection_id(&mut self) -> u64 {
        let id = self.next_connection_id;
        self.next_connection_id += 1;
        id
    }
}

pub(crate) fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route(MAIN_PATH, any(upgrade::main_endpoint))
        .route(&format!("{MAIN_PATH}/"), any(upgrade::main_endpoint))
        .route(RESUME_PATH, any(upgrade::resume_endpoint))
        .route(&format!("{RESUME_PATH}/"), any(upgrade::resume_endpoint))
}
