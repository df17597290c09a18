//! What the bot did, as the simulator saw it: every REST call, reaction, message, webhook call,
//! identify, resume, heartbeat, close and connection, in arrival order. Tests and scripts read
//! these back (in process through `SimControl`, or as JSON from the control API).
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A gateway shard as `[id, count]` in Identify.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ShardId {
    pub id: u32,
    pub count: u32,
}

/// How a REST call's `Authorization` header fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthCheck {
    Valid,
    Missing,
    Invalid,
    /// Webhook routes take the interaction token in the path instead.
    NotRequired,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RestCall {
    pub method: String,
    /// Below the API base, e.g. `/channels/123/messages`.
    pub path: String,
    pub query: Option<String>,
    /// The body as JSON, when it was JSON.
    pub body: Option<Value>,
    pub raw_body: String,
    pub auth: AuthCheck,
    pub user_agent: Option<String>,
    pub status: u16,
    pub at_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionRecord {
    #[serde(with = "crate::discord_sim::snowflake_json")]
    pub channel_id: u64,
    #[serde(with = "crate::discord_sim::snowflake_json")]
    pub message_id: u64,
    /// Decoded from the path, e.g. `🚀` or `name:123`.
    pub emoji: String,
    pub at_ms: u64,
}

/// A message the bot created with `POST /channels/{c}/messages`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostedMessage {
    #[serde(with = "crate::discord_sim::snowflake_json")]
    pub id: u64,
    #[serde(with = "crate::discord_sim::snowflake_json")]
    pub channel_id: u64,
    pub content: String,
    pub embeds: Vec<Value>,
    pub allowed_mentions: Option<Value>,
    pub nonce: Option<Value>,
    pub enforce_nonce: bool,
    pub at_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookTarget {
    /// `PATCH .../messages/@original`: the interaction's first response.
    Original,
    /// `POST /webhooks/{app}/{token}`.
    FollowUp,
    /// `PATCH .../messages/{id}` of an earlier follow-up.
    EditFollowUp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookCall {
    pub method: String,
    pub target: WebhookTarget,
    #[serde(with = "crate::discord_sim::snowflake_json")]
    pub interaction_id: u64,
    pub token: String,
    #[serde(with = "crate::discord_sim::snowflake_json")]
    pub message_id: u64,
    pub body: Value,
    pub at_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifyOutcome {
    /// READY sent for a new session.
    Ready,
    /// Another identify of the same `shard_id % max_concurrency` bucket came less than the
    /// identify window ago: answered with op 9 `d: false`, as Discord documents.
    ConcurrencyLimited,
    /// `remaining` was 0: Discord resets the token and ends every session; the sim closes every
    /// connection with 4004 and refuses the token until `SimControl::set_session_start_remaining`.
    BudgetExhausted,
    /// Closed with this code (4004, 4005, 4010, 4013, 4014).
    Rejected(u16),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentifyRecord {
    pub connection_id: u64,
    pub shard: ShardId,
    pub intents: u64,
    pub outcome: IdentifyOutcome,
    pub session_id: Option<String>,
    pub at_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResumeOutcome {
    /// Replayed this many dispatches, then RESUMED.
    Resumed { replayed: u64 },
    /// Unknown, expired, or ended session, or a seq older than the replay buffer: op 9 `d: false`.
    InvalidSession,
    /// Closed with this code (4004 wrong token, 4005 already identified, 4007 seq ahead of the session).
    Rejected(u16),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeRecord {
    pub connection_id: u64,
    pub session_id: String,
    pub seq: u64,
    pub shard: Option<ShardId>,
    pub outcome: ResumeOutcome,
    /// Came in on `resume_gateway_url` rather than the main gateway URL.
    pub via_resume_url: bool,
    /// The session was still attached to another open connection, which the sim then closed:
    /// two processes fighting over one session.
    pub took_over: bool,
    pub at_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatRecord {
    pub connection_id: u64,
    pub shard: Option<ShardId>,
    pub seq: Option<u64>,
    /// False while the connection is a zombie.
    pub acked: bool,
    pub at_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Closer {
    Client,
    Sim,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseRecord {
    pub connection_id: u64,
    pub shard: Option<ShardId>,
    pub by: Closer,
    /// `None`: the connection ended without a close frame.
    pub code: Option<u16>,
    pub reason: String,
    pub at_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// The URL from `GET /gateway/bot`.
    Main,
    /// The `resume_gateway_url` from READY.
    Resume,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionRecord {
    pub id: u64,
    pub endpoint: Endpoint,
    pub compressed: bool,
    /// Refused during a scripted outage (HTTP 503 on the upgrade).
    pub refused: bool,
    pub at_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandRegistration {
    /// `None` for global commands.
    #[serde(with = "crate::discord_sim::snowflake_json::option", default)]
    pub guild_id: Option<u64>,
    pub commands: Value,
    pub at_ms: u64,
}

/// An interaction the sim POSTed and what came back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InteractionRecord {
    #[serde(with = "crate::discord_sim::snowflake_json")]
    pub id: u64,
    pub kind: u8,
    pub name: Option<String>,
    pub url: String,
    pub signature_fault: Option<super::interactions::SignatureFault>,
    /// `None` when the request failed before an HTTP response.
    pub status: Option<u16>,
    pub response: Option<Value>,
    pub elapsed_ms: u64,
    pub at_ms: u64,
}

/// Every record, in arrival order.
#[derive(Debug, Default)]
pub(crate) struct Records {
    pub rest_calls: Vec<RestCall>,
    pub reactions: Vec<ReactionRecord>,
    pub posted_messages: Vec<PostedMessage>,
    pub webhook_calls: Vec<WebhookCall>,
    pub identifies: Vec<IdentifyRecord>,
    pub resumes: Vec<ResumeRecord>,
    pub heartbeats: Vec<HeartbeatRecord>,
    pub closes: Vec<CloseRecord>,
    pub connections: Vec<ConnectionRecord>,
    pub command_registrations: Vec<CommandRegistration>,
    pub interactions: Vec<InteractionRecord>,
}
