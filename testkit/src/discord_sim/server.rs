//! Starting and stopping a simulator: one port for REST (`/api/v10`), both gateway URLs and the
//! control API (`/_sim`).
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::config::SimConfig;
use super::control::SimControl;
use super::error::SimError;
use super::gateway::{self, GatewayState};
use super::ids::SnowflakeGen;
use super::interactions::{InteractionState, Signer};
use super::records::Records;
use super::rest::{self, API_PREFIX, RestState};
use super::state::{Sim, State, Urls};
use super::world::World;
use super::{control_http, ids};

/// Entry point: `DiscordSim::start(SimConfig::default()).await?`.
pub struct DiscordSim;

/// A simulator serving on its port until `shutdown` (or drop).
pub struct RunningSim {
    sim: Arc<Sim>,
    local_addr: SocketAddr,
    server: Option<JoinHandle<()>>,
}

fn check(config: &SimConfig) -> Result<(), SimError> {
    let problem = if config.guilds.is_empty() {
        Some("at least one guild is needed")
    } else if config.heartbeat_interval.is_zero() {
        Some("heartbeat_interval must be above zero")
    } else if config.recommended_shards == 0 {
        Some("recommended_shards must be at least 1")
    } else if config.session_start_limit.max_concurrency == 0 {
        Some("session_start_limit.max_concurrency must be at least 1")
    } else if config.session_start_limit.remaining > config.session_start_limit.total {
        Some("session_start_limit.remaining cannot exceed total")
    } else {
        None
    };
    problem.map_or(Ok(()), |p| Err(SimError::Config(p.to_owned())))
}

impl DiscordSim {
    pub async fn start(config: SimConfig) -> Result<RunningSim, SimError> {
        check(&config)?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| SimError::Bind {
                addr: config.listen,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
        // A wildcard listener is still reached on loopback by local clients.
        let host = match local_addr.ip() {
            ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            ip => ip,
        };
        let authority = SocketAddr::new(host, local_addr.port());
        let urls = Urls {
            api_base: format!("http://{authority}{API_PREFIX}"),
            gateway: format!("ws://{authority}{}", gateway::MAIN_PATH),
            resume_gateway: format!("ws://{authority}{}", gateway::RESUME_PATH),
            control: format!("http://{authority}{}", control_http::PREFIX),
        };
        let state = State {
            world: World::new(&config)?,
            gateway: GatewayState::new(&config),
            rest: RestState::default(),
            interactions: InteractionState::new(config.interactions_url.clone()),
            records: Records::default(),
            ids: SnowflakeGen::default(),
        };
        let signer = Signer::new(config.public_key_seed);
        let sim = Arc::new(Sim::new(config, urls, signer, state));
        let app = rest::router(&sim)
            .merge(gateway::router())
            .merge(control_http::router())
            .with_state(Arc::clone(&sim));
        let mut stopping = sim.shutdown.subscribe();
        let server = tokio::spawn(async move {
            let stopped = async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            };
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await
            {
                tracing::error!(%error, "the Discord simulator stopped serving");
            }
        });
        tracing::debug!(%local_addr, "Discord simulator listening");
        Ok(RunningSim {
            sim,
            local_addr,
            server: Some(server),
        })
    }
}

impl RunningSim {
    /// `http://127.0.0.1:PORT/api/v10`: what `DISCORD_API_BASE` should be.
    pub fn api_base(&self) -> &str {
        &self.sim.urls.api_base
    }

    /// The URL `GET /gateway/bot` gives.
    pub fn gateway_url(&self) -> &str {
        &self.sim.urls.gateway
    }

    /// The `resume_gateway_url` READY gives.
    pub fn resume_gateway_url(&self) -> &str {
        &self.sim.urls.resume_gateway
    }

    /// `http://127.0.0.1:PORT/_sim`: the HTTP control API.
    pub fn control_url(&self) -> &str {
        &self.sim.urls.control
    }

    pub fn control(&self) -> SimControl {
        SimControl {
            sim: Arc::clone(&self.sim),
        }
    }

    /// The value for the edge's `DISCORD_PUBLIC_KEY`.
    pub fn public_key_hex(&self) -> String {
        self.sim.signer.public_key_hex()
    }

    pub fn application_id(&self) -> u64 {
        self.sim.config.application_id
    }

    pub fn bot_token(&self) -> &str {
        &self.sim.config.bot_token
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn config(&self) -> &SimConfig {
        &self.sim.config
    }

    /// Drops every connection and stops serving.
    pub async fn shutdown(mut self) {
        self.sim.shutdown.send_replace(true);
        if let Some(mut server) = self.server.take() {
            // Long-polling control requests (`/_sim/wait`) must not hold the shutdown up.
            if tokio::time::timeout(Duration::from_secs(2), &mut server)
                .await
                .is_err()
            {
                server.abort();
            }
        }
        tracing::debug!(at_ms = ids::now_ms(), "Discord simulator stopped");
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.sim.shutdown.send_replace(true);
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}
