//! The gateway's errors. Only [`FatalError`] leaves [`run_shard`](super::run_shard): every
//! other failure is a reason to reconnect, which the shard does on its own.

use super::ShardId;

/// Discord refused the shard for a reason no retry can fix, so the shard stopped instead of
/// looping (DESIGN.md: fatal close codes stop with a clear message, no retry loop).
#[derive(Debug, thiserror::Error)]
#[error("shard {shard}: the gateway closed with {code} {}", kind.meaning())]
pub struct FatalError {
    pub shard: ShardId,
    /// The close code Discord sent (or would send, for a shard id we refuse to identify with).
    pub code: u16,
    pub kind: FatalErrorKind,
}

/// The fatal close codes, 4004 and 4010 to 4014.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FatalErrorKind {
    AuthenticationFailed,
    InvalidShard,
    ShardingRequired,
    InvalidApiVersion,
    InvalidIntents,
    DisallowedIntents,
}

impl FatalErrorKind {
    pub fn close_code(self) -> u16 {
        match self {
            Self::AuthenticationFailed => 4004,
            Self::InvalidShard => 4010,
            Self::ShardingRequired => 4011,
            Self::InvalidApiVersion => 4012,
            Self::InvalidIntents => 4013,
            Self::DisallowedIntents => 4014,
        }
    }

    /// Discord's meaning of the code and what the operator does about it.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::AuthenticationFailed => {
                "Authentication failed: the token is wrong or was reset; put the bot's current token \
                 from the developer portal in DISCORD_BOT_TOKEN"
            }
            Self::InvalidShard => {
                "Invalid shard: the shard id must be below the shard count; fix SHARDS"
            }
            Self::ShardingRequired => {
                "Sharding required: the bot is in too many guilds for one shard; run more shards \
                 (SHARDS, or leave it unset for Discord's recommended count)"
            }
            Self::InvalidApiVersion => {
                "Invalid API version: Discord no longer accepts this gateway version; upgrade ShipTrack"
            }
            Self::InvalidIntents => {
                "Invalid intent(s): the intents value is not a valid bit set; this is a bug in ShipTrack"
            }
            Self::DisallowedIntents => {
                "Disallowed intent(s): enable the Message Content intent in the developer portal \
                 (Bot, Privileged Gateway Intents) or get it approved for the bot"
            }
        }
    }
}

/// Why a payload was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Discord closes the connection on a payload over 4096 bytes, so it is refused here.
    #[error("a {size}-byte gateway payload is over Discord's limit of {limit} bytes")]
    PayloadTooLarge { size: usize, limit: usize },
    #[error("shard {0} is not below its shard count, so it cannot identify")]
    InvalidShard(ShardId),
    #[error("a gateway payload could not be encoded")]
    Encode(#[from] serde_json::Error),
    #[error("the gateway connection failed while sending")]
    Socket(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("the gateway connection did not take a payload within {0:?}")]
    Timeout(std::time::Duration),
}
