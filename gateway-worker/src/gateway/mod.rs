//! Our own Discord gateway client: one task per shard holds the WebSocket, keeps the session
//! alive (heartbeats, resumes, reconnects with backoff) and hands every dispatch to the consumer
//! in order.
//!
//! The consumer sees [`ShardEvent`]s, with each dispatch read by its own [`DispatchReader`],
//! the [`ResumeState`] to store, and [`ShardStatus`] for health; the protocol (DESIGN.md, the
//! gateway section) stays behind [`run_shard`]. One file per concept: the state machine is
//! `connection.rs`; the decisions it makes are functions of data in `session.rs`,
//! `heartbeat.rs`, `close_code.rs`, `backoff.rs`, `ratelimiter.rs` and `identify_queue.rs`; the
//! wire is `url.rs`, `compression.rs`, `envelope.rs`, `dispatch.rs` and `command.rs`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;
use twilight_model::gateway::Intents;

pub use backoff::BackoffConfig;
pub use dispatch::{DispatchReader, KeepRaw, RawDispatch, UnreadableDispatch};
pub use error::{FatalError, FatalErrorKind, SendError};
pub use identify_queue::{HttpIdentifyQueue, IdentifyQueue, LocalIdentifyQueue};
pub use session::ResumeState;
pub use status::{ShardState, ShardStatus};

mod backoff;
mod close_code;
mod command;
mod compression;
mod connection;
mod dispatch;
mod envelope;
mod error;
mod heartbeat;
mod identify_queue;
mod ratelimiter;
mod session;
mod status;
mod url;

/// One shard of the bot: `number` of `total`, as sent in IDENTIFY's `shard` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ShardId {
    pub number: u32,
    pub total: u32,
}

impl fmt::Display for ShardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.number, self.total)
    }
}

/// The bot token. Its `Debug` is redacted, so no log line or error can carry it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token itself, for the payloads that need it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Transport compression of the gateway connection (`GATEWAY_COMPRESSION`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compression {
    /// `compress=zlib-stream`: one zlib stream for the whole connection.
    #[default]
    ZlibStream,
    None,
}

/// Everything one shard task needs.
#[derive(Clone)]
pub struct ShardConfig {
    pub token: Token,
    /// The `url` from `GET /gateway/bot`: identifies connect here, and resumes when the
    /// session's resume URL cannot be reached.
    pub gateway_url: String,
    pub shard: ShardId,
    pub intents: Intents,
    pub compression: Compression,
    pub identify_queue: Arc<dyn IdentifyQueue>,
    /// A stored session to resume on the first connect.
    pub initial_session: Option<ResumeState>,
    pub timeouts: Timeouts,
    pub backoff: BackoffConfig,
}

impl ShardConfig {
    /// A shard with the intents ShipTrack needs (GUILDS, GUILD_MESSAGES, MESSAGE_CONTENT),
    /// zlib-stream, no stored session, and the default timeouts and backoff.
    pub fn new(
        token: Token,
        gateway_url: impl Into<String>,
        shard: ShardId,
        identify_queue: Arc<dyn IdentifyQueue>,
    ) -> Self {
        Self {
            token,
            gateway_url: gateway_url.into(),
            shard,
            intents: Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT,
            compression: Compression::ZlibStream,
            identify_queue,
            initial_session: None,
            timeouts: Timeouts::default(),
            backoff: BackoffConfig::default(),
        }
    }
}

impl fmt::Debug for ShardConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShardConfig")
            .field("token", &self.token)
            .field("gateway_url", &self.gateway_url)
            .field("shard", &self.shard)
            .field("intents", &self.intents)
            .field("compression", &self.compression)
            .field("initial_session", &self.initial_session)
            .field("timeouts", &self.timeouts)
            .field("backoff", &self.backoff)
            .finish_non_exhaustive()
    }
}

/// How long each step of a connection may take before the shard gives up on it and reconnects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP, TLS and the WebSocket upgrade.
    pub connect: Duration,
    /// From the upgrade to Hello (op 10).
    pub hello: Duration,
    /// From IDENTIFY to READY; from RESUME to RESUMED, restarted by every replayed dispatch.
    pub ready: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            hello: Duration::from_secs(10),
            ready: Duration::from_secs(30),
        }
    }
}

/// What a shard tells its consumer; `T` is what its [`DispatchReader`] makes of a dispatch.
#[derive(Debug)]
pub enum ShardEvent<T = RawDispatch> {
    /// A new session after IDENTIFY; everything before it is gone.
    Ready {
        shard: ShardId,
        session: ResumeState,
    },
    /// The session was resumed; the replayed dispatches came before this, in order.
    Resumed { shard: ShardId },
    /// A dispatch, in order, as the consumer's reader read it.
    Dispatch {
        shard: ShardId,
        sequence: u64,
        data: Result<T, UnreadableDispatch>,
    },
    /// A connection ended; unless the shard stopped, it reconnects on its own.
    Disconnected { shard: ShardId, reason: String },
}

/// How a shard ended without a fatal error: it was asked to shut down (or its consumer went away).
#[derive(Debug)]
pub struct ShardExit {
    /// The session to store: the connection was closed with 4000, so it stays resumable.
    pub resume: Option<ResumeState>,
}

/// Runs one shard until `shutdown` is cancelled or Discord refuses it with a fatal close code.
///
/// `reader` reads each dispatch's `d` while the payload is parsed (once, straight from the
/// received text). `events` is unbounded on purpose: the shard must never stop reading the
/// socket or heartbeating because its consumer is slow.
pub async fn run_shard<R: DispatchReader>(
    config: ShardConfig,
    reader: R,
    events: UnboundedSender<ShardEvent<R::Data>>,
    status: Arc<ShardStatus>,
    shutdown: CancellationToken,
) -> Result<ShardExit, FatalError> {
    connection::run(config, reader, events, status, shutdown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoQueue;

    #[async_trait::async_trait]
    impl IdentifyQueue for NoQueue {
        async fn wait_turn(&self, _shard: ShardId) {}
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let config = ShardConfig::new(
            Token::new("MTA.secret.token"),
            "wss://gateway.discord.gg",
            ShardId {
                number: 0,
                total: 1,
            },
            Arc::new(NoQueue),
        );
        let printed = format!("{config:?}");
        assert!(!printed.contains("secret"), "{printed}");
        assert!(printed.contains("<redacted>"));
    }

    #[test]
    fn the_default_intents_are_guilds_messages_and_content() {
        let config = ShardConfig::new(
            Token::new("t"),
            "wss://g",
            ShardId {
                number: 0,
                total: 1,
            },
            Arc::new(NoQueue),
        );
        assert_eq!(config.intents.bits(), 1 | 1 << 9 | 1 << 15);
    }
}
