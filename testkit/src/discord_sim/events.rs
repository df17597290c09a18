//! Turning a change to a message into the gateway dispatch Discord sends for it, with the
//! MESSAGE_CONTENT rule: an app without the intent gets empty content fields, except for its own
//! messages and messages that mention it.
use tokio::time::Instant;

use super::config::intents;
use super::gateway::sessions::{Delivery, DispatchEvent};
use super::payloads;
use super::state::State;
use super::world::StoredMessage;

#[derive(Clone, Copy, Debug)]
pub(crate) enum MessageEvent {
    Create,
    Update,
}

/// Dispatches MESSAGE_CREATE or MESSAGE_UPDATE for a stored message; how many sessions got it.
pub(crate) fn message_changed(
    state: &mut State,
    message: &StoredMessage,
    kind: MessageEvent,
    delivery: Delivery,
    now: Instant,
) -> usize {
    let world = &state.world;
    let data = payloads::message(world, message, true).to_string();
    let readable_without_intent = message.content.is_empty()
        || message.author_id == world.bot.id
        || payloads::mentions_user(&message.content, world.bot.id)
        || !state.gateway.sessions.any_without(intents::MESSAGE_CONTENT);
    let hidden =
        (!readable_without_intent).then(|| payloads::message(world, message, false).to_string());
    let name = match kind {
        MessageEvent::Create => "MESSAGE_CREATE",
        MessageEvent::Update => "MESSAGE_UPDATE",
    };
    let event = DispatchEvent {
        name,
        guild_id: message.guild_id,
        intent: intents::GUILD_MESSAGES,
        data: &data,
        data_without_content: hidden.as_deref(),
        delivery,
    };
    state.gateway.sessions.dispatch(&event, now)
}

/// Dispatches MESSAGE_DELETE.
pub(crate) fn message_deleted(state: &mut State, message: &StoredMessage, now: Instant) -> usize {
    let data = payloads::message_delete(message).to_string();
    let event = DispatchEvent {
        name: "MESSAGE_DELETE",
        guild_id: message.guild_id,
        intent: intents::GUILD_MESSAGES,
        data: &data,
        data_without_content: None,
        delivery: Delivery::Now,
    };
    state.gateway.sessions.dispatch(&event, now)
}
