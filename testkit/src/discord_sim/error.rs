//! What can go wrong when starting or driving the simulator.
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}; pick another address or port 0")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the simulator configuration is not usable: {0}")]
    Config(String),
    #[error("channel {0} is not one of the simulator's channels; use an id from SimConfig::guilds")]
    UnknownChannel(u64),
    #[error("user {0} is not one of the simulator's users; use an id from SimConfig::users")]
    UnknownUser(u64),
    #[error("message {0} does not exist in the simulator (never posted, or deleted)")]
    UnknownMessage(u64),
    #[error("no interactions URL: set SimConfig::interactions_url or pass one")]
    NoInteractionsUrl,
    #[error("posting the interaction to {url} failed: {source}")]
    Delivery { url: String, source: reqwest::Error },
    #[error("the condition did not hold within {0:?}")]
    Timeout(Duration),
}
