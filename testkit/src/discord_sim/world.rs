//! The community as the simulator holds it: guilds, channels, people, and the messages in them.
use std::collections::HashMap;

use serde_json::Value;

use super::config::{ChannelSpec, GuildSpec, SimConfig, UserSpec};
use super::error::SimError;
use super::ids;

/// A message in one of the sim's channels, from a person or from the bot.
#[derive(Clone, Debug)]
pub(crate) struct StoredMessage {
    pub id: u64,
    pub channel_id: u64,
    /// `None` in a DM.
    pub guild_id: Option<u64>,
    pub author_id: u64,
    pub content: String,
    pub embeds: Vec<Value>,
    pub nonce: Option<Value>,
    pub edited_ms: Option<u64>,
    /// Set on interaction responses and follow-ups (the application id).
    pub webhook_id: Option<u64>,
}

pub(crate) struct World {
    pub bot: UserSpec,
    pub guilds: Vec<GuildSpec>,
    pub users: Vec<UserSpec>,
    /// When the bot and every user joined each guild.
    pub joined_at_ms: u64,
    channels: HashMap<u64, usize>,
    messages: HashMap<u64, StoredMessage>,
}

impl World {
    pub fn new(config: &SimConfig) -> Result<Self, SimError> {
        let bot = UserSpec {
            id: config.application_id,
            username: config.bot_username.clone(),
            global_name: None,
            bot: true,
            moderator: false,
        };
        let mut channels = HashMap::new();
        for (index, guild) in config.guilds.iter().enumerate() {
            for channel in &guild.channels {
                if channels.insert(channel.id, index).is_some() {
                    return Err(SimError::Config(format!(
                        "channel id {} appears twice",
                        channel.id
                    )));
                }
            }
        }
        Ok(Self {
            bot,
            guilds: config.guilds.clone(),
            users: config.users.clone(),
            joined_at_ms: ids::timestamp_ms(ids::fixed(1_000)),
            channels,
            messages: HashMap::new(),
        })
    }

    /// The guild a channel belongs to, and the channel.
    pub fn channel(&self, id: u64) -> Option<(&GuildSpec, &ChannelSpec)> {
        let guild = &self.guilds[*self.channels.get(&id)?];
        guild
            .channels
            .iter()
            .find(|c| c.id == id)
            .map(|c| (guild, c))
    }

    pub fn guild(&self, id: u64) -> Option<&GuildSpec> {
        self.guilds.iter().find(|g| g.id == id)
    }

    /// A person, another bot, or the sim's own bot user.
    pub fn user(&self, id: u64) -> Option<&UserSpec> {
        if id == self.bot.id {
            Some(&self.bot)
        } else {
            self.users.iter().find(|u| u.id == id)
        }
    }

    pub fn message(&self, id: u64) -> Option<&StoredMessage> {
        self.messages.get(&id)
    }

    pub fn message_mut(&mut self, id: u64) -> Option<&mut StoredMessage> {
        self.messages.get_mut(&id)
    }

    pub fn insert_message(&mut self, message: StoredMessage) {
        self.messages.insert(message.id, message);
    }

    pub fn remove_message(&mut self, id: u64) -> Option<StoredMessage> {
        self.messages.remove(&id)
    }

    /// Permissions of a user in a guild: `@everyone`, plus the Moderators role where held.
    pub fn permissions(&self, user: &UserSpec, guild: &GuildSpec) -> u64 {
        let everyone = super::config::permissions::EVERYONE;
        if user.moderator {
            guild.roles.iter().fold(everyone, |p, r| p | r.permissions)
        } else {
            everyone
        }
    }

    /// Role ids a user holds in a guild (not counting `@everyone`).
    pub fn roles_of(&self, user: &UserSpec, guild: &GuildSpec) -> Vec<u64> {
        if user.moderator {
            guild.roles.iter().map(|r| r.id).collect()
        } else {
            Vec::new()
        }
    }
}
