//! `POST /channels/{channel_id}/messages`: the bot posts a message. Validated as Discord does,
//! deduplicated by `nonce` with `enforce_nonce` (the same nonce from the same author within the
//! window returns the first message instead of a second one), recorded, and dispatched to the
//! gateway as MESSAGE_CREATE like any other message.
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::Value;
use tokio::time::Instant;

use super::errors::ApiError;
use super::validate::{self, MessageBody, MessageUse};
use super::{json_body, snowflake};
use crate::discord_sim::config::SimConfig;
use crate::discord_sim::events::{self, MessageEvent};
use crate::discord_sim::gateway::sessions::Delivery;
use crate::discord_sim::ids;
use crate::discord_sim::payloads;
use crate::discord_sim::records::PostedMessage;
use crate::discord_sim::state::{Sim, State as SimState};
use crate::discord_sim::world::StoredMessage;

pub(crate) async fn create(
    State(sim): State<Arc<Sim>>,
    Path(channel): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let channel_id = snowflake("channel_id", &channel)?;
    let body = validate::message_body(&json_body(&body)?, MessageUse::Create)?;
    let now = Instant::now();
    sim.update(|s| create_message(s, &sim.config, channel_id, body, now))
        .map(Json)
}

fn create_message(
    state: &mut SimState,
    config: &SimConfig,
    channel_id: u64,
    body: MessageBody,
    now: Instant,
) -> Result<Value, ApiError> {
    let guild_id = state
        .world
        .channel(channel_id)
        .ok_or(ApiError::UnknownChannel)?
        .0
        .id;
    let author_id = state.world.bot.id;
    let nonce_key = match (&body.nonce, body.enforce_nonce) {
        (Some(nonce), true) => Some(format!("{author_id}:{nonce}")),
        _ => None,
    };
    if let Some(key) = &nonce_key
        && let Some((id, at)) = state.rest.nonces.get(key)
        && now.duration_since(*at) < config.nonce_window
        && let Some(existing) = state.world.message(*id)
    {
        return Ok(payloads::message(&state.world, existing, true));
    }
    let message = StoredMessage {
        id: state.ids.fresh(),
        channel_id,
        guild_id: Some(guild_id),
        author_id,
        content: body.content.unwrap_or_default(),
        embeds: body.embeds.unwrap_or_default(),
        nonce: body.nonce.clone(),
        edited_ms: None,
        webhook_id: None,
    };
    if let Some(key) = nonce_key {
        state.rest.nonces.insert(key, (message.id, now));
    }
    state.records.posted_messages.push(PostedMessage {
        id: message.id,
        channel_id,
        content: message.content.clone(),
        embeds: message.embeds.clone(),
        allowed_mentions: body.allowed_mentions,
        nonce: body.nonce,
        enforce_nonce: body.enforce_nonce,
        at_ms: ids::now_ms(),
    });
    events::message_changed(state, &message, MessageEvent::Create, Delivery::Now, now);
    let answer = payloads::message(&state.world, &message, true);
    state.world.insert_message(message);
    Ok(answer)
}
