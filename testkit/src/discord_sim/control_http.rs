//! The control API over HTTP, under `/_sim` on the simulator's port: the same actions and
//! read-backs as `SimControl`, JSON in and out, snowflakes as strings. The route table is in the
//! module documentation of `discord_sim`.
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::community::StreamMix;
use super::control::SimControl;
use super::error::SimError;
use super::interactions::{InteractionSpec, SignatureFault};
use super::rest::faults::RestFault;
use super::state::Sim;

pub(crate) const PREFIX: &str = "/_sim";

pub(crate) fn router() -> Router<Arc<Sim>> {
    let routes = Router::new()
        .route("/info", get(info))
        .route("/messages", post(post_message))
        .route(
            "/messages/{message_id}",
            patch(edit_message).delete(delete_message),
        )
        .route("/messages/stream", post(stream_messages))
        .route("/records/{kind}", get(records))
        .route(
            "/session-start-limit",
            get(session_start_limit).post(set_session_start_remaining),
        )
        .route("/shards/{shard_id}/{fault}", post(shard_fault))
        .route("/restart", post(restart))
        .route("/gateway/refuse", post(refuse))
        .route(
            "/rest-faults",
            post(add_rest_fault).delete(clear_rest_faults),
        )
        .route("/slow-rest", post(slow_rest))
        .route("/interactions", post(send_interaction))
        .route("/endpoint-check", post(endpoint_check))
        .route("/sign", post(sign))
        .route("/wait", post(wait));
    Router::new().nest(PREFIX, routes)
}

fn control(sim: Arc<Sim>) -> SimControl {
    SimControl { sim }
}

impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::UnknownChannel(_) | Self::UnknownUser(_) | Self::UnknownMessage(_) => {
                StatusCode::NOT_FOUND
            }
            Self::Config(_) | Self::NoInteractionsUrl => StatusCode::BAD_REQUEST,
            Self::Delivery { .. } => StatusCode::BAD_GATEWAY,
            Self::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Bind { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(json!({"error": self.to_string()}))).into_response()
    }
}

async fn info(State(sim): State<Arc<Sim>>) -> Json<Value> {
    let world = sim.read(|s| {
        let guilds: Vec<Value> = s
            .world
            .guilds
            .iter()
            .map(|g| json!({"id": g.id.to_string(), "name": g.name, "channels": g.channels.iter().map(|c| json!({"id": c.id.to_string(), "name": c.name})).collect::<Vec<_>>()}))
            .collect();
        let users: Vec<Value> = s.world.users.iter().map(|u| json!({"id": u.id.to_string(), "username": u.username, "bot": u.bot, "moderator": u.moderator})).collect();
        json!({"guilds": guilds, "users": users})
    });
    Json(json!({
        "api_base": sim.urls.api_base,
        "gateway_url": sim.urls.gateway,
        "resume_gateway_url": sim.urls.resume_gateway,
        "control_url": sim.urls.control,
        "public_key": sim.signer.public_key_hex(),
        "application_id": sim.config.application_id.to_string(),
        "bot_token": sim.config.bot_token,
        "guilds": world["guilds"],
        "users": world["users"],
    }))
}

#[derive(Deserialize)]
struct PostMessage {
    #[serde(with = "super::snowflake_json")]
    channel_id: u64,
    #[serde(with = "super::snowflake_json")]
    author_id: u64,
    content: String,
}

#[derive(Serialize)]
struct Created {
    #[serde(with = "super::snowflake_json")]
    id: u64,
}

async fn post_message(
    State(sim): State<Arc<Sim>>,
    Json(request): Json<PostMessage>,
) -> Result<Json<Created>, SimError> {
    let id = control(sim).post_message(request.channel_id, request.author_id, &request.content)?;
    Ok(Json(Created { id }))
}

#[derive(Deserialize)]
struct EditMessage {
    content: String,
}

fn message_id(raw: &str) -> Result<u64, SimError> {
    raw.parse()
        .map_err(|_| SimError::Config(format!("\"{raw}\" is not a message id")))
}

async fn edit_message(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    Json(request): Json<EditMessage>,
) -> Result<StatusCode, SimError> {
    control(sim).edit_message(message_id(&id)?, &request.content)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_message(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
) -> Result<StatusCode, SimError> {
    control(sim).delete_message(message_id(&id)?)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct StreamRequest {
    #[serde(with = "super::snowflake_json")]
    channel_id: u64,
    count: u64,
    #[serde(default)]
    launch_percent: Option<u8>,
    #[serde(default)]
    bot_percent: Option<u8>,
}

async fn stream_messages(
    State(sim): State<Arc<Sim>>,
    Json(request): Json<StreamRequest>,
) -> Result<Response, SimError> {
    let defaults = StreamMix::default();
    let mix = StreamMix {
        launch_percent: request.launch_percent.unwrap_or(defaults.launch_percent),
        bot_percent: request.bot_percent.unwrap_or(defaults.bot_percent),
    };
    // Streams can be long; the lock is taken in chunks, off the async workers.
    let summary = tokio::task::spawn_blocking(move || {
        control(sim).stream_messages(request.channel_id, request.count, mix)
    })
    .await
    .map_err(|e| SimError::Config(format!("the stream stopped: {e}")))??;
    Ok(Json(summary).into_response())
}

/// The records, by the name used in URLs.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum RecordKind {
    Reactions,
    PostedMessages,
    WebhookEdits,
    WebhookPosts,
    Identifies,
    ReadyIdentifies,
    Resumes,
    ClosesReceived,
    ClosesSent,
    Heartbeats,
    RestCalls,
    CommandRegistrations,
    Connections,
    LiveConnections,
    Interactions,
}

#[derive(Deserialize)]
struct RecordQuery {
    #[serde(with = "super::snowflake_json::option", default)]
    channel_id: Option<u64>,
}

fn record_values(control: &SimControl, kind: RecordKind, channel_id: Option<u64>) -> Vec<Value> {
    fn values<T: Serialize>(items: Vec<T>) -> Vec<Value> {
        items
            .into_iter()
            .map(|item| serde_json::to_value(item).unwrap_or(Value::Null))
            .collect()
    }
    match kind {
        RecordKind::Reactions => values(control.reactions()),
        RecordKind::PostedMessages => values(match channel_id {
            Some(channel) => control.posted_messages(channel),
            None => control.all_posted_messages(),
        }),
        RecordKind::WebhookEdits => values(control.webhook_edits()),
        RecordKind::WebhookPosts => values(control.webhook_posts()),
        RecordKind::Identifies => values(control.identifies()),
        RecordKind::ReadyIdentifies => values(control.ready_identifies()),
        RecordKind::Resumes => values(control.resumes()),
        RecordKind::ClosesReceived => values(control.close_codes_received()),
        RecordKind::ClosesSent => values(control.closes_sent()),
        RecordKind::Heartbeats => values(control.heartbeats()),
        RecordKind::RestCalls => values(control.rest_calls()),
        RecordKind::CommandRegistrations => values(control.command_registrations()),
        RecordKind::Connections => values(control.connections()),
        RecordKind::LiveConnections => values(control.live_connections()),
        RecordKind::Interactions => values(control.interactions()),
    }
}

fn record_kind(raw: &str) -> Result<RecordKind, SimError> {
    serde_json::from_value(Value::String(raw.to_owned()))
        .map_err(|_| SimError::Config(format!("no records called \"{raw}\"")))
}

async fn records(
    State(sim): State<Arc<Sim>>,
    Path(kind): Path<String>,
    Query(query): Query<RecordQuery>,
) -> Result<Json<Vec<Value>>, SimError> {
    Ok(Json(record_values(
        &control(sim),
        record_kind(&kind)?,
        query.channel_id,
    )))
}

async fn session_start_limit(State(sim): State<Arc<Sim>>) -> Json<Value> {
    let limit = control(Arc::clone(&sim)).session_start_limit();
    Json(json!({
        "total": limit.total,
        "remaining": limit.remaining,
        "reset_after": limit.reset_after.as_millis(),
        "max_concurrency": limit.max_concurrency,
        "token_revoked": control(sim).token_revoked(),
    }))
}

#[derive(Deserialize)]
struct Remaining {
    remaining: u32,
}

async fn set_session_start_remaining(
    State(sim): State<Arc<Sim>>,
    Json(request): Json<Remaining>,
) -> StatusCode {
    control(sim).set_session_start_remaining(request.remaining);
    StatusCode::NO_CONTENT
}

/// Body of `/shards/{id}/{fault}`; each fault reads only its own field.
#[derive(Default, Deserialize)]
struct ShardFault {
    resumable: Option<bool>,
    on: Option<bool>,
    code: Option<u16>,
}

async fn shard_fault(
    State(sim): State<Arc<Sim>>,
    Path((shard_id, fault)): Path<(u32, String)>,
    body: Option<Json<ShardFault>>,
) -> Result<Json<Value>, SimError> {
    let request = body.map(|Json(b)| b).unwrap_or_default();
    let control = control(sim);
    let missing = |field: &str| SimError::Config(format!("/{fault} needs \"{field}\" in the body"));
    let affected = match fault.as_str() {
        "reconnect" => control.send_reconnect(shard_id),
        "invalid-session" => control.send_invalid_session(
            shard_id,
            request.resumable.ok_or_else(|| missing("resumable"))?,
        ),
        "zombie" => control.set_zombie(shard_id, request.on.ok_or_else(|| missing("on"))?),
        "drop-tcp" => control.drop_tcp(shard_id),
        "close" => control.close(shard_id, request.code.ok_or_else(|| missing("code"))?),
        "request-heartbeat" => control.request_heartbeat(shard_id),
        other => {
            return Err(SimError::Config(format!(
                "no shard fault called \"{other}\""
            )));
        }
    };
    Ok(Json(json!({"affected": affected})))
}

#[derive(Deserialize)]
struct Restart {
    keep_sessions: bool,
}

async fn restart(State(sim): State<Arc<Sim>>, Json(request): Json<Restart>) -> StatusCode {
    control(sim).restart(request.keep_sessions);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Refuse {
    main: Option<bool>,
    resume: Option<bool>,
}

async fn refuse(State(sim): State<Arc<Sim>>, Json(request): Json<Refuse>) -> StatusCode {
    let control = control(sim);
    if let Some(on) = request.main {
        control.refuse_gateway(on);
    }
    if let Some(on) = request.resume {
        control.refuse_resume_url(on);
    }
    StatusCode::NO_CONTENT
}

async fn add_rest_fault(State(sim): State<Arc<Sim>>, Json(fault): Json<RestFault>) -> StatusCode {
    control(sim).rest_fault(fault);
    StatusCode::NO_CONTENT
}

async fn clear_rest_faults(State(sim): State<Arc<Sim>>) -> StatusCode {
    control(sim).clear_rest_faults();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Slow {
    delay_ms: u64,
}

async fn slow_rest(State(sim): State<Arc<Sim>>, Json(request): Json<Slow>) -> StatusCode {
    control(sim).slow_rest(Duration::from_millis(request.delay_ms));
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct InteractionRequest {
    #[serde(flatten)]
    spec: InteractionSpec,
    url: Option<String>,
    signature_fault: Option<SignatureFault>,
}

async fn send_interaction(
    State(sim): State<Arc<Sim>>,
    Json(request): Json<InteractionRequest>,
) -> Result<Json<Value>, SimError> {
    let control = control(sim);
    let interaction = control.build_interaction(&request.spec)?;
    let reply = match request.url {
        Some(url) => {
            control
                .deliver_to(&url, &interaction, request.signature_fault)
                .await?
        }
        None => match request.signature_fault {
            Some(fault) => control.deliver_with_fault(&interaction, fault).await?,
            None => control.deliver(&interaction).await?,
        },
    };
    Ok(Json(json!({"interaction": interaction, "reply": reply})))
}

#[derive(Deserialize)]
struct EndpointCheckRequest {
    url: Option<String>,
}

async fn endpoint_check(
    State(sim): State<Arc<Sim>>,
    Json(request): Json<EndpointCheckRequest>,
) -> Result<Json<Value>, SimError> {
    let url = match request.url {
        Some(url) => url,
        None => sim
            .read(|s| s.interactions.url.clone())
            .ok_or(SimError::NoInteractionsUrl)?,
    };
    let check = control(sim).endpoint_check(&url).await?;
    Ok(Json(serde_json::to_value(check).unwrap_or(Value::Null)))
}

#[derive(Deserialize)]
struct SignRequest {
    body: String,
    timestamp: String,
}

async fn sign(State(sim): State<Arc<Sim>>, Json(request): Json<SignRequest>) -> Json<Value> {
    Json(json!({"signature": control(sim).sign(request.body.as_bytes(), &request.timestamp)}))
}

/// `{"record": "reactions", "count": 2, "timeout_ms": 5000}`: answers once there are at least
/// `count` such records (200, with them), or 408 after the timeout.
#[derive(Deserialize)]
struct WaitRequest {
    record: String,
    count: usize,
    timeout_ms: u64,
    #[serde(with = "super::snowflake_json::option", default)]
    channel_id: Option<u64>,
}

async fn wait(
    State(sim): State<Arc<Sim>>,
    Json(request): Json<WaitRequest>,
) -> Result<Json<Vec<Value>>, SimError> {
    let kind = record_kind(&request.record)?;
    let control = control(sim);
    let enough = |c: &SimControl| record_values(c, kind, request.channel_id).len() >= request.count;
    control
        .wait_until(enough, Duration::from_millis(request.timeout_ms))
        .await?;
    Ok(Json(record_values(&control, kind, request.channel_id)))
}
