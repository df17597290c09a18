//! `PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me`: the bot reacts.
//! The emoji arrives URL-encoded (`%F0%9F%9A%80`) and is recorded decoded (`🚀`).
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::errors::ApiError;
use super::snowflake;
use crate::discord_sim::ids;
use crate::discord_sim::records::ReactionRecord;
use crate::discord_sim::state::Sim;

/// A Unicode emoji, or a custom one as `name:id`.
fn valid_emoji(emoji: &str) -> bool {
    match emoji.split_once(':') {
        None => {
            !emoji.is_empty()
                && !emoji
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_ascii_alphanumeric())
        }
        Some((name, id)) => !name.is_empty() && id.parse::<u64>().is_ok(),
    }
}

pub(crate) async fn put(
    State(sim): State<Arc<Sim>>,
    Path((channel, message, emoji)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let channel_id = snowflake("channel_id", &channel)?;
    let message_id = snowflake("message_id", &message)?;
    sim.update(|s| {
        s.world
            .channel(channel_id)
            .ok_or(ApiError::UnknownChannel)?;
        if s.world
            .message(message_id)
            .is_none_or(|m| m.channel_id != channel_id)
        {
            return Err(ApiError::UnknownMessage);
        }
        if !valid_emoji(&emoji) {
            return Err(ApiError::UnknownEmoji);
        }
        s.records.reactions.push(ReactionRecord {
            channel_id,
            message_id,
            emoji,
            at_ms: ids::now_ms(),
        });
        Ok(StatusCode::NO_CONTENT)
    })
}

#[cfg(test)]
mod tests {
    use super::valid_emoji;

    #[test]
    fn unicode_and_custom_emoji_are_valid_and_words_are_not() {
        assert!(valid_emoji("🚀"));
        assert!(valid_emoji("shipit:1246255702050078720"));
        assert!(!valid_emoji("rocket"));
        assert!(!valid_emoji("shipit:abc"));
        assert!(!valid_emoji(""));
    }
}
