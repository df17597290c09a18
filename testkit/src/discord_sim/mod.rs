//! A Discord simulator: the gateway, the REST routes ShipTrack uses, and signed interactions,
//! faithful to Discord's documented protocol, so a client that passes against it works against
//! Discord. It is the peer of every end-to-end test and of the local sandbox.
//!
//! # Starting it
//! In process: `let sim = DiscordSim::start(SimConfig::default()).await?;` then
//! `sim.api_base()` (for `DISCORD_API_BASE`), `sim.gateway_url()`, `sim.resume_gateway_url()`,
//! `sim.control_url()`, `sim.public_key_hex()` (for `DISCORD_PUBLIC_KEY`),
//! `sim.application_id()`, `sim.bot_token()`, `sim.local_addr()`, `sim.config()`,
//! `sim.control()`, and `sim.shutdown().await` (dropping it also stops it). As a process:
//! `testkit discord-sim --listen 127.0.0.1:0 [--public-key-seed HEX] [--heartbeat-interval-ms N]
//! [--shards N] [--guilds N] [--max-concurrency N] [--interactions-url URL] [--no-rate-limits] …`
//! prints `discord-sim KEY=VALUE` lines (`listen`, `port`, `api_base`, `gateway_url`,
//! `control_url`, `public_key`, `application_id`, `bot_token`, `guild_id`, `ship_channel_id`,
//! `announcements_channel_id`), then `discord-sim ready`.
//!
//! The default world ([`ids`]): guild [`ids::GUILD`] "ShipTrack Community" with `#i-shipped`
//! ([`ids::I_SHIPPED`]), `#announcements` ([`ids::ANNOUNCEMENTS`]) and `#general`; Alice, Bob and
//! Carol, Maya (a moderator with Manage Server), and Helper Bot (another app's bot); the bot user
//! is the application, [`ids::APPLICATION`]. `SimConfig::with_guilds(n)` adds communities, guild
//! `i` landing on shard `i % shards`.
//!
//! # `SimControl` (in process)
//! - Community: `post_message(channel, author, content) -> id`, `edit_message(id, content)`,
//!   `delete_message(id)`, `stream_messages(channel, n, StreamMix) -> StreamSummary`, and for
//!   benchmarks `prepare_messages(channel, n, StreamMix).await -> PreparedBurst` (encoded ahead,
//!   written on `release()`; `summary()`).
//! - Read back: `reactions()`, `posted_messages(channel)`, `all_posted_messages()`,
//!   `webhook_edits()`, `webhook_posts()`, `identifies()`, `ready_identifies()`, `resumes()`,
//!   `close_codes_received()`, `closes_sent()`, `heartbeats()`, `rest_calls()`,
//!   `command_registrations()`, `connections()`, `live_connections()`, `interactions()`,
//!   `session_start_limit()`, `token_revoked()`.
//! - Gateway faults (each returns how many open connections of the shard it reached):
//!   `send_reconnect(shard)`, `send_invalid_session(shard, resumable)`, `set_zombie(shard, on)`,
//!   `drop_tcp(shard)`, `close(shard, code)`, `request_heartbeat(shard)`; and
//!   `restart(keep_sessions)`, `refuse_gateway(on)`, `refuse_resume_url(on)`,
//!   `set_session_start_remaining(n)`.
//! - REST faults: `rest_fault(RestFault::rate_limited(prefix, retry_after, global).times(n))`,
//!   `RestFault::server_error(prefix, 503).for_duration(d)`, `RestFault::missing_access(prefix)`,
//!   `.only_method("POST")`, `clear_rest_faults()`,
//!   `slow_rest(delay)`.
//! - Interactions: `interaction(InteractionKind::Ship { .. }).by(user).in_channel(c)
//!   .with_permissions(p).with_locale(l).in_dm().build()` or `.send().await`; `build_interaction(&spec)`,
//!   `deliver(&i)`, `deliver_to(url, &i, fault)`, `deliver_with_fault(&i, SignatureFault::…)`,
//!   `endpoint_check(url)`, `sign(body, timestamp)`, `public_key_hex()`,
//!   `set_interactions_url(url)`.
//! - Waiting: `wait_until(|c| …, timeout)`, `wait_for_shard(shard, timeout)`,
//!   `wait_for_reactions(n, timeout)`, `wait_for_posted_messages(channel, n, timeout)`.
//!
//! # HTTP control API (same port, JSON, snowflakes as strings)
//! | route | body / answer |
//! | --- | --- |
//! | `GET /_sim/info` | URLs, public key, application id, token, guilds and channels, users |
//! | `POST /_sim/messages` | `{channel_id, author_id, content}` → `{id}` |
//! | `PATCH /_sim/messages/{id}` | `{content}` → 204 |
//! | `DELETE /_sim/messages/{id}` | 204 |
//! | `POST /_sim/messages/stream` | `{channel_id, count, launch_percent?, bot_percent?}` → summary |
//! | `GET /_sim/records/{kind}[?channel_id=]` | kind: `reactions`, `posted-messages`, `webhook-edits`, `webhook-posts`, `identifies`, `ready-identifies`, `resumes`, `closes-received`, `closes-sent`, `heartbeats`, `rest-calls`, `command-registrations`, `connections`, `live-connections`, `interactions` |
//! | `POST /_sim/wait` | `{record, count, timeout_ms, channel_id?}` → the records once there are `count`, or 408 |
//! | `GET`/`POST /_sim/session-start-limit` | the budget (and `token_revoked`) / `{remaining}` |
//! | `POST /_sim/shards/{id}/{fault}` | fault: `reconnect`, `invalid-session` `{resumable}`, `zombie` `{on}`, `drop-tcp`, `close` `{code}`, `request-heartbeat` → `{affected}` |
//! | `POST /_sim/restart` | `{keep_sessions}` |
//! | `POST /_sim/gateway/refuse` | `{main?, resume?}`: 503 on upgrades while true |
//! | `POST`/`DELETE /_sim/rest-faults` | a `RestFault`: `{route_prefix, method?, kind: {type: "rate_limited", retry_after_ms, global} \| {type: "server_error", status} \| {type: "missing_access"}, lasts: {count: n} \| {for_ms: n}}` / clear all |
//! | `POST /_sim/slow-rest` | `{delay_ms}` |
//! | `POST /_sim/interactions` | `{kind: "ship", text, url?, user_id?, channel_id?, in_dm?, permissions?, url?, signature_fault?}` (kinds: `ping`, `ship`, `profile`, `leaderboard`, `unship`, `unship_autocomplete`, `digest_preview`, `log_as_launch`, `command`) → `{interaction, reply}` |
//! | `POST /_sim/endpoint-check` | `{url?}` → Discord's save-time check |
//! | `POST /_sim/sign` | `{body, timestamp}` → `{signature}` |
//!
//! # Protocol choices, where Discord's docs leave room
//! - An identify that comes less than 5 s after another of its `shard_id % max_concurrency`
//!   bucket is answered op 9 `d: false` (gateway.mdx, "Rate Limiting"), spends nothing, and is
//!   recorded as `ConcurrencyLimited`. One past `remaining` does what Discord documents for
//!   overspending: every session ends, every connection is closed with 4004, and the token is
//!   refused (gateway and REST) until `set_session_start_remaining`.
//! - A client that does not heartbeat within `heartbeat_interval + heartbeat_grace` is closed with
//!   4000 and its session stays resumable ("you will be forced to Resume").
//! - Payloads over 4096 bytes close with 4002; the 121st payload in any 60 s closes with 4008.
//! - A zombie connection sends nothing at all (half-open); a resume replays what it withheld.
//! - While a prepared burst is held, a connection writes nothing, heartbeat ACKs included: what
//!   it encodes meanwhile waits behind the burst, in order, and is written after it.
//! - Closing with 1000/1001 (or a code Discord says needs a new session: 4004, 4007, 4009–4014)
//!   ends the session; any other close, or none, leaves it resumable for `session_ttl`.
//! - A resume of a session still attached elsewhere takes it over; the old connection is closed
//!   with 4000 and the resume is recorded with `took_over`.
//! - Not simulated: ETF encoding, zstd-stream, payload compression, voice, presences and member
//!   requests (accepted, unanswered), MESSAGE_CREATE for interaction responses, DMs to the bot.
//!
//! Tests of this module: `cargo test -p shiptrack-testkit --lib discord_sim` and the
//! `discord_sim_*` integration tests.
pub mod config;
pub mod ids;

mod burst;
mod cli;
mod community;
mod control;
mod control_http;
mod error;
mod events;
mod gateway;
mod interactions;
mod payloads;
mod records;
mod rest;
mod server;
mod snowflake_json;
mod state;
mod world;

pub use burst::PreparedBurst;
pub use cli::{Args, run};
pub use community::{StreamMix, StreamSummary};
pub use config::{
    ChannelSpec, GuildSpec, RateLimitRule, RateLimits, RoleSpec, SessionStartLimit, SimConfig,
    UserSpec,
};
pub use control::{InteractionBuilder, SimControl};
pub use error::SimError;
pub use gateway::compression::{CompressionError, ZlibStream};
pub use gateway::registry::LiveConnection;
pub use interactions::{
    EndpointCheck, Interaction, InteractionKind, InteractionReply, InteractionSpec, SignatureFault,
};
pub use records::{
    AuthCheck, CloseRecord, Closer, CommandRegistration, ConnectionRecord, Endpoint,
    HeartbeatRecord, IdentifyOutcome, IdentifyRecord, InteractionRecord, PostedMessage,
    ReactionRecord, RestCall, ResumeOutcome, ResumeRecord, ShardId, WebhookCall, WebhookTarget,
};
pub use rest::faults::{FaultKind, FaultLasts, RestFault};
pub use server::{DiscordSim, RunningSim};
