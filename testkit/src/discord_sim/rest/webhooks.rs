//! The interaction webhook: `POST /webhooks/{app}/{token}` (a follow-up) and
//! `PATCH /webhooks/{app}/{token}/messages/{@original|id}` (finishing a deferred response, or
//! editing). No bot auth: the token in the path is the credential, and it must be one the sim
//! issued in an interaction it sent, younger than 15 minutes.
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::Value;
use tokio::time::Instant;

use super::errors::ApiError;
use super::validate::{self, MessageUse};
use super::{json_body, snowflake};
use crate::discord_sim::config::SimConfig;
use crate::discord_sim::ids;
use crate::discord_sim::interactions::IssuedToken;
use crate::discord_sim::payloads;
use crate::discord_sim::records::{WebhookCall, WebhookTarget};
use crate::discord_sim::state::{Sim, State as SimState};
use crate::discord_sim::world::StoredMessage;

fn issued(
    state: &SimState,
    config: &SimConfig,
    application: &str,
    token: &str,
    now: Instant,
) -> Result<IssuedToken, ApiError> {
    if snowflake("webhook_id", application)? != config.application_id {
        return Err(ApiError::UnknownWebhook);
    }
    let issued = state
        .interactions
        .tokens
        .get(token)
        .ok_or(ApiError::InvalidWebhookToken)?;
    if now.duration_since(issued.issued_at) >= config.interaction_token_ttl {
        return Err(ApiError::InvalidWebhookToken);
    }
    Ok(issued.clone())
}

pub(crate) async fn execute(
    State(sim): State<Arc<Sim>>,
    Path((application, token)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let now = Instant::now();
    sim.update(|s| {
        let issued = issued(s, &sim.config, &application, &token, now)?;
        let value = json_body(&body)?;
        let parsed = validate::message_body(&value, MessageUse::Create)?;
        let message = StoredMessage {
            id: s.ids.fresh(),
            channel_id: issued.channel_id,
            guild_id: issued.guild_id,
            author_id: s.world.bot.id,
            content: parsed.content.unwrap_or_default(),
            embeds: parsed.embeds.unwrap_or_default(),
            nonce: None,
            edited_ms: None,
            webhook_id: Some(sim.config.application_id),
        };
        if let Some(token) = s.interactions.tokens.get_mut(&token) {
            token.followups.push(message.id);
        }
        let call = WebhookCall {
            method: "POST".to_owned(),
            target: WebhookTarget::FollowUp,
            interaction_id: issued.interaction_id,
            token,
            message_id: message.id,
            body: value,
            at_ms: ids::now_ms(),
        };
        s.records.webhook_calls.push(call);
        let answer = payloads::message(&s.world, &message, true);
        s.interactions.webhook_messages.insert(message.id, message);
        Ok(Json(answer))
    })
}

pub(crate) async fn edit(
    State(sim): State<Arc<Sim>>,
    Path((application, token, message)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let now = Instant::now();
    sim.update(|s| {
        let issued = issued(s, &sim.config, &application, &token, now)?;
        let (target, message_id) = if message == "@original" {
            (WebhookTarget::Original, issued.original_message_id)
        } else {
            let id = snowflake("message_id", &message)?;
            if !issued.followups.contains(&id) {
                return Err(ApiError::UnknownMessage);
            }
            (WebhookTarget::EditFollowUp, id)
        };
        let value = json_body(&body)?;
        let parsed = validate::message_body(&value, MessageUse::Edit)?;
        let bot_id = s.world.bot.id;
        let stored = s
            .interactions
            .webhook_messages
            .entry(message_id)
            .or_insert_with(|| StoredMessage {
                id: message_id,
                channel_id: issued.channel_id,
                guild_id: issued.guild_id,
                author_id: bot_id,
                content: String::new(),
                embeds: Vec::new(),
                nonce: None,
                edited_ms: None,
                webhook_id: Some(sim.config.application_id),
            });
        if let Some(content) = parsed.content {
            stored.content = content;
        }
        if let Some(embeds) = parsed.embeds {
            stored.embeds = embeds;
        }
        stored.edited_ms = Some(ids::now_ms());
        let stored = stored.clone();
        let call = WebhookCall {
            method: "PATCH".to_owned(),
            target,
            interaction_id: issued.interaction_id,
            token,
            message_id,
            body: value,
            at_ms: ids::now_ms(),
        };
        s.records.webhook_calls.push(call);
        Ok(Json(payloads::message(&s.world, &stored, true)))
    })
}
