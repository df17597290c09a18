//! The Discord REST routes ShipTrack calls, each with its method, path and rate-limit key.

use std::fmt;

use reqwest::Method;
use twilight_model::id::{
    Id,
    marker::{ApplicationMarker, ChannelMarker, GuildMarker, MessageMarker},
};

/// One request target. The path is relative to `DISCORD_API_BASE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `GET /gateway/bot`: the gateway URL, recommended shards and `session_start_limit`.
    GatewayBot,
    /// `PUT /channels/{channel}/messages/{message}/reactions/{emoji}/@me`.
    AddReaction {
        channel: Id<ChannelMarker>,
        message: Id<MessageMarker>,
        emoji: String,
    },
    /// `PUT /applications/{application}/commands`: bulk overwrite of the global commands.
    SetGlobalCommands { application: Id<ApplicationMarker> },
    /// `PUT /applications/{application}/guilds/{guild}/commands`: instant, for one guild.
    SetGuildCommands {
        application: Id<ApplicationMarker>,
        guild: Id<GuildMarker>,
    },
}

impl Route {
    pub fn method(&self) -> Method {
        match self {
            Self::GatewayBot => Method::GET,
            Self::AddReaction { .. }
            | Self::SetGlobalCommands { .. }
            | Self::SetGuildCommands { .. } => Method::PUT,
        }
    }

    pub fn path(&self) -> String {
        match self {
            Self::GatewayBot => "/gateway/bot".to_owned(),
            Self::AddReaction {
                channel,
                message,
                emoji,
            } => {
                format!(
                    "/channels/{channel}/messages/{message}/reactions/{}/@me",
                    encode_path_segment(emoji)
                )
            }
            Self::SetGlobalCommands { application } => {
                format!("/applications/{application}/commands")
            }
            Self::SetGuildCommands { application, guild } => {
                format!("/applications/{application}/guilds/{guild}/commands")
            }
        }
    }

    /// The key of the route's rate limit before Discord names its bucket: the method, the
    /// path template and the top-level ("major") id. Discord limits reactions per channel,
    /// whichever message they are on, so the message id and the emoji are left out.
    pub fn rate_limit_key(&self) -> String {
        match self {
            Self::GatewayBot => "GET /gateway/bot".to_owned(),
            Self::AddReaction { channel, .. } => {
                format!("PUT /channels/{channel}/messages/:id/reactions")
            }
            Self::SetGlobalCommands { application } => {
                format!("PUT /applications/{application}/commands")
            }
            Self::SetGuildCommands { application, guild } => {
                format!("PUT /applications/{application}/guilds/{guild}/commands")
            }
        }
    }

    /// The top-level id that splits one Discord bucket into independent limits.
    pub fn major_parameter(&self) -> String {
        match self {
            Self::GatewayBot => String::new(),
            Self::AddReaction { channel, .. } => channel.to_string(),
            Self::SetGlobalCommands { application } => application.to_string(),
            Self::SetGuildCommands { guild, .. } => guild.to_string(),
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method(), self.path())
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so an emoji such as 🚀
/// travels as `%F0%9F%9A%80`, which is how Discord expects it in the path.
fn encode_path_segment(segment: &str) -> String {
    let mut encoded = String::with_capacity(segment.len() * 3);
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reaction(channel: u64, message: u64) -> Route {
        Route::AddReaction {
            channel: Id::new(channel),
            message: Id::new(message),
            emoji: "🚀".to_owned(),
        }
    }

    #[test]
    fn the_rocket_is_percent_encoded_in_the_reaction_path() {
        assert_eq!(
            reaction(10, 20).path(),
            "/channels/10/messages/20/reactions/%F0%9F%9A%80/@me"
        );
        assert_eq!(reaction(10, 20).method(), Method::PUT);
    }

    #[test]
    fn reactions_in_one_channel_share_a_rate_limit_key_and_other_channels_do_not() {
        assert_eq!(
            reaction(10, 20).rate_limit_key(),
            reaction(10, 21).rate_limit_key()
        );
        assert_ne!(
            reaction(10, 20).rate_limit_key(),
            reaction(11, 20).rate_limit_key()
        );
        assert_eq!(reaction(10, 20).major_parameter(), "10");
    }

    #[test]
    fn command_routes_point_at_the_global_or_guild_list() {
        let global = Route::SetGlobalCommands {
            application: Id::new(5),
        };
        let guild = Route::SetGuildCommands {
            application: Id::new(5),
            guild: Id::new(7),
        };
        assert_eq!(global.path(), "/applications/5/commands");
        assert_eq!(guild.path(), "/applications/5/guilds/7/commands");
        assert_eq!(guild.to_string(), "PUT /applications/5/guilds/7/commands");
    }

    #[test]
    fn unreserved_characters_are_kept_and_others_encoded() {
        assert_eq!(encode_path_segment("name:123"), "name%3A123");
        assert_eq!(encode_path_segment("a-b_c.d~e"), "a-b_c.d~e");
    }
}
