//! The one shared simulator: its configuration and URLs, and all mutable state behind one lock,
//! with a change counter that `wait_until` sleeps on instead of polling blindly.
//!
//! One lock, held briefly and never across an await: a dispatch, the session buffers it lands in
//! and the records it makes change together, so a reader never sees half an event.
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

use super::config::SimConfig;
use super::gateway::GatewayState;
use super::ids::SnowflakeGen;
use super::interactions::{InteractionState, Signer};
use super::records::Records;
use super::rest::RestState;
use super::world::World;

/// Where the simulator answers.
#[derive(Clone, Debug)]
pub(crate) struct Urls {
    /// `http://HOST:PORT/api/v10`
    pub api_base: String,
    /// `ws://HOST:PORT/gateway`, as `GET /gateway/bot` gives it.
    pub gateway: String,
    /// `ws://HOST:PORT/gateway-resume`, as READY gives it.
    pub resume_gateway: String,
    /// `http://HOST:PORT/_sim`
    pub control: String,
}

pub(crate) struct State {
    pub world: World,
    pub gateway: GatewayState,
    pub rest: RestState,
    pub interactions: InteractionState,
    pub records: Records,
    pub ids: SnowflakeGen,
}

pub(crate) struct Sim {
    pub config: SimConfig,
    pub urls: Urls,
    pub signer: Signer,
    pub http: reqwest::Client,
    state: Mutex<State>,
    changes: watch::Sender<u64>,
    /// Set when the simulator shuts down; every connection task ends on it.
    pub shutdown: watch::Sender<bool>,
}

impl Sim {
    pub fn new(config: SimConfig, urls: Urls, signer: Signer, state: State) -> Self {
        Self {
            config,
            urls,
            signer,
            http: reqwest::Client::new(),
            state: Mutex::new(state),
            changes: watch::channel(0).0,
            shutdown: watch::channel(false).0,
        }
    }

    /// Changes state, then wakes everyone waiting for a change.
    pub fn update<R>(&self, change: impl FnOnce(&mut State) -> R) -> R {
        let result = change(&mut self.lock());
        self.changes.send_modify(|version| *version += 1);
        result
    }

    pub fn read<R>(&self, look: impl FnOnce(&State) -> R) -> R {
        look(&self.lock())
    }

    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves records behind, which are still worth reading.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
