//! The community's side: people posting, editing and deleting messages, one at a time or as a
//! benchmark's stream (sent at once, or prepared as a burst, see `burst`), each becoming the
//! gateway dispatch Discord would send.
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::error::SimError;
use super::events::{self, MessageEvent};
use super::gateway::sessions::Delivery;
use super::ids;
use super::state::State;
use super::world::{StoredMessage, World};

pub(crate) fn post_message(
    state: &mut State,
    channel_id: u64,
    author_id: u64,
    content: &str,
    delivery: Delivery,
    now: Instant,
) -> Result<u64, SimError> {
    let guild_id = state
        .world
        .channel(channel_id)
        .ok_or(SimError::UnknownChannel(channel_id))?
        .0
        .id;
    state
        .world
        .user(author_id)
        .ok_or(SimError::UnknownUser(author_id))?;
    let message = StoredMessage {
        id: state.ids.fresh(),
        channel_id,
        guild_id: Some(guild_id),
        author_id,
        content: content.to_owned(),
        embeds: Vec::new(),
        nonce: None,
        edited_ms: None,
        webhook_id: None,
    };
    let id = message.id;
    events::message_changed(state, &message, MessageEvent::Create, delivery, now);
    state.world.insert_message(message);
    Ok(id)
}

pub(crate) fn edit_message(
    state: &mut State,
    message_id: u64,
    content: &str,
    now: Instant,
) -> Result<(), SimError> {
    let message = state
        .world
        .message_mut(message_id)
        .ok_or(SimError::UnknownMessage(message_id))?;
    message.content = content.to_owned();
    message.edited_ms = Some(ids::now_ms());
    let message = message.clone();
    events::message_changed(state, &message, MessageEvent::Update, Delivery::Now, now);
    Ok(())
}

pub(crate) fn delete_message(
    state: &mut State,
    message_id: u64,
    now: Instant,
) -> Result<(), SimError> {
    let message = state
        .world
        .remove_message(message_id)
        .ok_or(SimError::UnknownMessage(message_id))?;
    events::message_deleted(state, &message, now);
    Ok(())
}

/// The make-up of a benchmark stream, in percent of messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamMix {
    /// Launch-shaped messages from people (a URL and a ship word).
    pub launch_percent: u8,
    /// Messages from another bot (launch-shaped, so a detector must check the author).
    pub bot_percent: u8,
}

impl Default for StreamMix {
    /// One launch in ten, one bot message in twenty; the rest chatter, some of it with links or
    /// ship words but not both.
    fn default() -> Self {
        Self {
            launch_percent: 10,
            bot_percent: 5,
        }
    }
}

/// What a stream sent, by the sim's own account of what it wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamSummary {
    pub count: u64,
    /// Launch-shaped messages from people: what a launch detector should log.
    pub launches: u64,
    pub bot_messages: u64,
    /// Ids of the launch-shaped messages from people.
    pub launch_ids: Vec<String>,
}

/// Which kind the `index`th message of a stream is. Spread by a stride coprime with 100, so every
/// run of 100 messages has the mix's exact counts without clumping.
fn stream_kind(index: u64, mix: StreamMix) -> StreamKind {
    let slot = (index * 37) % 100;
    if slot < u64::from(mix.launch_percent) {
        StreamKind::Launch
    } else if slot < u64::from(mix.launch_percent) + u64::from(mix.bot_percent) {
        StreamKind::Bot
    } else {
        StreamKind::Chatter
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StreamKind {
    Launch,
    Bot,
    Chatter,
}

const PROJECTS: [&str; 6] = ["rivet", "lumen", "tidepool", "quarry", "fennel", "orbit"];

fn stream_content(index: u64, kind: StreamKind) -> String {
    let project = PROJECTS[(index % PROJECTS.len() as u64) as usize];
    let variant = (index / PROJECTS.len() as u64) % 4;
    match (kind, variant) {
        (StreamKind::Launch, 0) => {
            format!("Just shipped {project} v{index}! https://{project}.example.com")
        }
        (StreamKind::Launch, 1) => {
            format!("We launched {project} today 🚀 https://example.com/{project}/{index}")
        }
        (StreamKind::Launch, 2) => format!("{project} is live: https://example.com/p/{index}"),
        (StreamKind::Launch, _) => format!(
            "Released {project} {index}.0, notes at https://example.com/{project}/releases/{index}"
        ),
        (StreamKind::Bot, _) => format!(
            "CI: released build {index} of {project} https://ci.example.com/{project}/{index}"
        ),
        (StreamKind::Chatter, 0) => {
            format!("anyone tried the new {project} API? https://docs.example.com/{project}")
        }
        (StreamKind::Chatter, 1) => {
            "I think we shipped it last week, not sure which version".to_owned()
        }
        (StreamKind::Chatter, 2) => format!("pushing a fix for {project} now, review welcome"),
        (StreamKind::Chatter, _) => {
            format!("design notes for {project}: https://example.com/doc/{index}")
        }
    }
}

/// Messages a stream posts per hold of the state lock, so the bot's REST calls are served
/// meanwhile.
pub(crate) const STREAM_CHUNK: u64 = 500;

/// A stream being posted: where, in what mix, delivered now or held for a prepared burst, by
/// whom (the authors looked up once, not per message), and what it sent so far.
pub(crate) struct Stream {
    channel_id: u64,
    mix: StreamMix,
    delivery: Delivery,
    people: Vec<u64>,
    bot: Option<u64>,
    next_index: u64,
    pub summary: StreamSummary,
}

impl Stream {
    pub fn new(world: &World, channel_id: u64, mix: StreamMix, delivery: Delivery) -> Self {
        Self {
            channel_id,
            mix,
            delivery,
            people: world
                .users
                .iter()
                .filter(|u| !u.bot)
                .map(|u| u.id)
                .collect(),
            bot: world.users.iter().find(|u| u.bot).map(|u| u.id),
            next_index: 0,
            summary: StreamSummary::default(),
        }
    }

    /// Posts the stream's next message and counts it in `summary`.
    pub fn post_next(&mut self, state: &mut State, now: Instant) -> Result<(), SimError> {
        let index = self.next_index;
        let kind = stream_kind(index, self.mix);
        let author = match kind {
            StreamKind::Bot => self.bot,
            _ => self
                .people
                .get((index % self.people.len().max(1) as u64) as usize)
                .copied(),
        }
        .ok_or_else(|| {
            SimError::Config(
                "a stream needs people (and a bot, for bot messages) in SimConfig::users"
                    .to_owned(),
            )
        })?;
        let content = stream_content(index, kind);
        let id = post_message(state, self.channel_id, author, &content, self.delivery, now)?;
        self.next_index += 1;
        let summary = &mut self.summary;
        summary.count += 1;
        match kind {
            StreamKind::Launch => {
                summary.launches += 1;
                summary.launch_ids.push(id.to_string());
            }
            StreamKind::Bot => summary.bot_messages += 1,
            StreamKind::Chatter => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hundred_stream_messages_hold_the_exact_mix() {
        let mix = StreamMix {
            launch_percent: 10,
            bot_percent: 5,
        };
        let kinds: Vec<StreamKind> = (0..100).map(|i| stream_kind(i, mix)).collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == StreamKind::Launch).count(),
            10
        );
        assert_eq!(kinds.iter().filter(|k| **k == StreamKind::Bot).count(), 5);
    }

    #[test]
    fn launch_texts_have_a_link_and_a_ship_word_and_chatter_never_both() {
        let words = ["shipped", "launched", "live", "released"];
        let has_word = |text: &str| {
            text.split(|c: char| !c.is_alphanumeric())
                .any(|w| words.contains(&w.to_lowercase().as_str()))
        };
        for index in 0..48 {
            let launch = stream_content(index, StreamKind::Launch);
            assert!(launch.contains("https://") && has_word(&launch), "{launch}");
            let chatter = stream_content(index, StreamKind::Chatter);
            assert!(
                !(chatter.contains("https://") && has_word(&chatter)),
                "{chatter}"
            );
        }
    }
}
