//! What a message event means for ShipTrack's launches, decided from the event alone:
//! a launch to log, launches to remove, or nothing. No I/O here; [`record`] applies the
//! decision to the database.
//!
//! A message in a ship channel, from a person (not a bot or a webhook), that `core` calls a
//! launch is logged, keyed by the message id, so a replayed MESSAGE_CREATE, or an edit of a
//! message already logged, finds the row and changes nothing.

pub mod record;
mod rules;

use std::borrow::Cow;
use std::sync::Arc;

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize};
use tokio::sync::watch;
use twilight_model::id::{
    Id,
    marker::{ChannelMarker, GuildMarker, MessageMarker, UserMarker},
};
use twilight_model::util::Timestamp;

pub use rules::{LaunchRules, keep_fresh};

use crate::gateway::DispatchReader;

/// A launch seen in a message, ready to be stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageLaunch {
    pub guild_id: Id<GuildMarker>,
    pub channel_id: Id<ChannelMarker>,
    pub message_id: Id<MessageMarker>,
    pub author_id: Id<UserMarker>,
    pub author_name: String,
    pub text: String,
    pub url: String,
    /// The message's own time (Unix ms), so a launch replayed after an outage still lands
    /// in the week it was posted.
    pub created_at: i64,
}

/// What to do about one dispatch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    /// Nothing to store; the event only moves the session's sequence on.
    Nothing,
    /// Log this launch (if its message was not logged yet) and react to it.
    Log(MessageLaunch),
    /// These messages were deleted: soft-delete the launches they produced, if any.
    Remove(Vec<Id<MessageMarker>>),
}

/// The fields of a message that the rules read. MESSAGE_UPDATE may carry only part of a
/// message (always its id and channel), so every other field is optional here and an update
/// without content or author is simply not a launch. Text borrows from the payload where it
/// can: most messages are not launches, and those need no copy of anything.
#[derive(Deserialize)]
struct MessageFields<'a> {
    id: Id<MessageMarker>,
    channel_id: Id<ChannelMarker>,
    guild_id: Option<Id<GuildMarker>>,
    #[serde(borrow)]
    author: Option<Author<'a>>,
    #[serde(borrow)]
    member: Option<Member<'a>>,
    #[serde(borrow)]
    content: Option<Cow<'a, str>>,
    timestamp: Option<Timestamp>,
    webhook_id: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct Author<'a> {
    id: Id<UserMarker>,
    #[serde(borrow)]
    username: Cow<'a, str>,
    #[serde(borrow)]
    global_name: Option<Cow<'a, str>>,
    #[serde(default)]
    bot: bool,
}

#[derive(Deserialize)]
struct Member<'a> {
    #[serde(borrow)]
    nick: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Deleted {
    id: Id<MessageMarker>,
}

#[derive(Deserialize)]
struct DeletedBulk {
    ids: Vec<Id<MessageMarker>>,
}

/// Discord's epoch (2015-01-01) in Unix ms: a snowflake's top 42 bits count from it.
const DISCORD_EPOCH_MS: i64 = 1_420_070_400_000;

impl LaunchRules {
    /// Decides what a dispatch means, reading its `d` from `data` (the payload's parser, in
    /// the shard). Data that does not parse is an error for the caller to log; it never
    /// stops the stream.
    pub fn decide<'de, D: Deserializer<'de>>(
        &self,
        event_type: &str,
        data: D,
    ) -> Result<Effect, D::Error> {
        match event_type {
            "MESSAGE_CREATE" | "MESSAGE_UPDATE" => {
                let message = MessageFields::deserialize(data)?;
                if !self.is_ship_channel(message.channel_id) {
                    return Ok(Effect::Nothing);
                }
                Ok(self.launch_in(message).map_or(Effect::Nothing, Effect::Log))
            }
            // A launch can come from any channel through "Log as launch", so deletions in
            // every channel are passed on; the update finds nothing for most of them.
            "MESSAGE_DELETE" => Ok(Effect::Remove(vec![Deleted::deserialize(data)?.id])),
            "MESSAGE_DELETE_BULK" => Ok(Effect::Remove(DeletedBulk::deserialize(data)?.ids)),
            // Skipped without building anything (GUILD_CREATE can be megabytes).
            _ => {
                data.deserialize_ignored_any(IgnoredAny)?;
                Ok(Effect::Nothing)
            }
        }
    }

    fn launch_in(&self, message: MessageFields) -> Option<MessageLaunch> {
        let guild_id = message.guild_id?;
        let author = message.author?;
        if author.bot || message.webhook_id.is_some() {
            return None;
        }
        let text = message.content?;
        let url = self.words_for(guild_id).launch_url(&text)?.to_owned();
        let created_at = message.timestamp.map_or_else(
            || snowflake_time_ms(message.id),
            |timestamp| timestamp.as_micros() / 1000,
        );
        let author_name = message
            .member
            .and_then(|member| member.nick)
            .or(author.global_name)
            .unwrap_or(author.username);
        Some(MessageLaunch {
            guild_id,
            channel_id: message.channel_id,
            message_id: message.id,
            author_id: author.id,
            author_name: author_name.into_owned(),
            text: text.into_owned(),
            url,
            created_at,
        })
    }
}

/// The shard's [`DispatchReader`]: every dispatch becomes its [`Effect`] under the rules of
/// the moment, read straight from the received payload.
pub struct LaunchReader {
    rules: watch::Receiver<Arc<LaunchRules>>,
}

impl LaunchReader {
    pub fn new(rules: watch::Receiver<Arc<LaunchRules>>) -> Self {
        Self { rules }
    }
}

impl DispatchReader for LaunchReader {
    type Data = Effect;

    fn read<'de, D: Deserializer<'de>>(
        &self,
        event_type: &str,
        data: D,
    ) -> Result<Effect, D::Error> {
        self.rules.borrow().decide(event_type, data)
    }
}

/// When a Discord object was created, from its id.
fn snowflake_time_ms(id: Id<MessageMarker>) -> i64 {
    (id.get() >> 22) as i64 + DISCORD_EPOCH_MS
}

#[cfg(test)]
mod tests;
