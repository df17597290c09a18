//! Discord's JSON objects as the simulator sends them: users, members, channels, roles, guilds,
//! messages, READY. Field sets follow the API reference (message, guild, user resources), so a
//! client that parses these parses Discord's.
use chrono::{DateTime, SecondsFormat};
use serde_json::{Value, json};

use super::config::{ChannelSpec, GuildSpec, RoleSpec, UserSpec};
use super::ids;
use super::world::{StoredMessage, World};

/// Discord's timestamp format, e.g. `2024-06-01T00:15:13.680000+00:00`.
pub(crate) fn timestamp(ms: u64) -> String {
    let ms = i64::try_from(ms).unwrap_or(i64::MAX);
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Micros, false)
}

pub(crate) fn user(user: &UserSpec) -> Value {
    json!({
        "id": user.id.to_string(),
        "username": user.username,
        "discriminator": "0",
        "global_name": user.global_name,
        "avatar": null,
        "avatar_decoration_data": null,
        "banner": null,
        "accent_color": null,
        "bot": user.bot,
        "public_flags": 0,
        "flags": 0,
        "primary_guild": null,
    })
}

/// The bot's own user in READY (a "current user", with the private fields).
fn current_user(bot: &UserSpec) -> Value {
    json!({
        "id": bot.id.to_string(),
        "username": bot.username,
        "discriminator": "0",
        "global_name": null,
        "avatar": null,
        "banner": null,
        "accent_color": null,
        "bot": true,
        "verified": true,
        "mfa_enabled": false,
        "email": null,
        "flags": 0,
        "public_flags": 0,
        "locale": "en-US",
        "premium_type": 0,
    })
}

/// A guild member; `with_user` adds the `user` object (GUILD_CREATE, interactions), which
/// MESSAGE_CREATE leaves out because the author is beside it.
pub(crate) fn member(
    world: &World,
    guild: &GuildSpec,
    user_spec: &UserSpec,
    with_user: bool,
) -> Value {
    let mut member = json!({
        "avatar": null,
        "banner": null,
        "communication_disabled_until": null,
        "deaf": false,
        "flags": 0,
        "joined_at": timestamp(world.joined_at_ms),
        "mute": false,
        "nick": null,
        "pending": false,
        "premium_since": null,
        "roles": world.roles_of(user_spec, guild).iter().map(u64::to_string).collect::<Vec<_>>(),
    });
    if with_user {
        member["user"] = user(user_spec);
    }
    member
}

fn text_channel(guild: &GuildSpec, id: u64, name: &str, position: usize) -> Value {
    json!({
        "id": id.to_string(),
        "type": 0,
        "guild_id": guild.id.to_string(),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "topic": null,
        "nsfw": false,
        "last_message_id": null,
        "rate_limit_per_user": 0,
        "parent_id": null,
        "flags": 0,
    })
}

/// A channel as interactions carry it (`channel`), with the app's permissions there.
pub(crate) fn interaction_channel(
    guild: &GuildSpec,
    channel: &ChannelSpec,
    position: usize,
    permissions: u64,
) -> Value {
    let mut value = text_channel(guild, channel.id, &channel.name, position);
    value["permissions"] = json!(permissions.to_string());
    value
}

fn role(id: u64, name: &str, permissions: u64, position: usize) -> Value {
    json!({
        "id": id.to_string(),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": position,
        "permissions": permissions.to_string(),
        "managed": false,
        "mentionable": position > 0,
        "flags": 0,
    })
}

fn roles(guild: &GuildSpec) -> Vec<Value> {
    let everyone = role(
        guild.id,
        "@everyone",
        super::config::permissions::EVERYONE,
        0,
    );
    let others = guild.roles.iter().enumerate().map(
        |(
            i,
            RoleSpec {
                id,
                name,
                permissions,
            },
        )| role(*id, name, *permissions, i + 1),
    );
    std::iter::once(everyone).chain(others).collect()
}

/// GUILD_CREATE: the guild object plus the gateway-only fields (joined_at, members, channels…).
pub(crate) fn guild_create(world: &World, guild: &GuildSpec) -> Value {
    let named = guild
        .channels
        .iter()
        .enumerate()
        .map(|(i, c)| text_channel(guild, c.id, &c.name, i));
    let filler = (0..guild.filler_channels).map(|i| {
        let id = ids::fixed(1_000_000 + i as u64) | ((guild.id >> 22) & 0xFFF);
        text_channel(guild, id, &format!("filler-{i}"), guild.channels.len() + i)
    });
    let channels: Vec<Value> = named.chain(filler).collect();
    let people = std::iter::once(&world.bot)
        .chain(&world.users)
        .map(|u| member(world, guild, u, true));
    let filler_members = (0..guild.filler_members).map(|i| {
        let spec = UserSpec {
            id: ids::fixed(2_000_000 + i as u64),
            username: format!("member{i}"),
            global_name: Some(format!("Member {i}")),
            bot: false,
            moderator: false,
        };
        member(world, guild, &spec, true)
    });
    let members: Vec<Value> = people.chain(filler_members).collect();
    let owner = world
        .users
        .iter()
        .find(|u| u.moderator)
        .map_or(world.bot.id, |u| u.id);
    let mut guild_value = json!({
        "id": guild.id.to_string(),
        "name": guild.name,
        "icon": null,
        "splash": null,
        "discovery_splash": null,
        "banner": null,
        "description": null,
        "owner_id": owner.to_string(),
        "afk_channel_id": null,
        "afk_timeout": 300,
        "widget_enabled": false,
        "widget_channel_id": null,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "roles": roles(guild),
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": null,
        "system_channel_id": guild.channels.first().map(|c| c.id.to_string()),
        "system_channel_flags": 0,
        "rules_channel_id": null,
        "public_updates_channel_id": null,
        "safety_alerts_channel_id": null,
        "max_members": 500_000,
        "max_presences": null,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "vanity_url_code": null,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "premium_progress_bar_enabled": false,
        "nsfw_level": 0,
    });
    // The gateway-only fields of GUILD_CREATE (in a second object: one json! of all is too deep).
    let gateway_fields = json!({
        "joined_at": timestamp(world.joined_at_ms),
        "large": members.len() > 250,
        "unavailable": false,
        "member_count": members.len(),
        "lazy": true,
        "voice_states": [],
        "members": members,
        "channels": channels,
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    });
    if let (Value::Object(fields), Value::Object(extra)) = (&mut guild_value, gateway_fields) {
        fields.extend(extra);
    }
    guild_value
}

/// READY for a new session.
pub(crate) fn ready(
    world: &World,
    session_id: &str,
    resume_gateway_url: &str,
    shard: [u32; 2],
    guild_ids: &[u64],
    application_flags: u64,
) -> Value {
    json!({
        "v": 10,
        "user": current_user(&world.bot),
        "guilds": guild_ids.iter().map(|id| json!({"id": id.to_string(), "unavailable": true})).collect::<Vec<_>>(),
        "session_id": session_id,
        "resume_gateway_url": resume_gateway_url,
        "shard": shard,
        "application": {"id": world.bot.id.to_string(), "flags": application_flags},
        "user_settings": {},
        "private_channels": [],
        "presences": [],
        "relationships": [],
        "guild_join_requests": [],
        "session_type": "normal",
        "auth": {},
        "_trace": ["[\"shiptrack-discord-sim\",{\"micros\":0}]"],
    })
}

/// `<@id>` and `<@!id>` user mentions in a text.
fn mentioned_users(content: &str) -> Vec<u64> {
    mention_ids(content, "<@").into_iter().collect()
}

fn mention_ids(content: &str, prefix: &str) -> Vec<u64> {
    let mut found = Vec::new();
    for (start, _) in content.match_indices(prefix) {
        let rest = content[start + prefix.len()..].trim_start_matches('!');
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if rest[digits.len()..].starts_with('>')
            && let Ok(id) = digits.parse()
            && !found.contains(&id)
        {
            found.push(id);
        }
    }
    found
}

/// Does this message name the bot (which lets an app without MESSAGE_CONTENT read it)?
pub(crate) fn mentions_user(content: &str, user_id: u64) -> bool {
    mentioned_users(content).contains(&user_id)
}

/// A message object as MESSAGE_CREATE/MESSAGE_UPDATE carry it (with `guild_id` and `member`);
/// without `content_visible` the content fields are empty, as for an app without MESSAGE_CONTENT.
pub(crate) fn message(world: &World, message: &StoredMessage, content_visible: bool) -> Value {
    let author = world
        .user(message.author_id)
        .cloned()
        .unwrap_or_else(|| UserSpec {
            id: message.author_id,
            username: "Deleted User".to_owned(),
            global_name: None,
            bot: false,
            moderator: false,
        });
    let guild = message.guild_id.and_then(|id| world.guild(id));
    let mentions: Vec<Value> = mentioned_users(&message.content)
        .into_iter()
        .filter_map(|id| world.user(id))
        .map(|u| {
            let mut mention = user(u);
            if let Some(guild) = guild {
                mention["member"] = member(world, guild, u, false);
            }
            mention
        })
        .collect();
    let mention_roles: Vec<String> = mention_ids(&message.content, "<@&")
        .iter()
        .map(u64::to_string)
        .collect();
    let (content, embeds) = if content_visible {
        (message.content.as_str(), message.embeds.clone())
    } else {
        ("", Vec::new())
    };
    let mut value = json!({
        "id": message.id.to_string(),
        "type": 0,
        "channel_id": message.channel_id.to_string(),
        "author": user(&author),
        "content": content,
        "timestamp": timestamp(ids::timestamp_ms(message.id)),
        "edited_timestamp": message.edited_ms.map(timestamp),
        "tts": false,
        "mention_everyone": message.content.contains("@everyone") || message.content.contains("@here"),
        "mentions": mentions,
        "mention_roles": mention_roles,
        "attachments": [],
        "embeds": embeds,
        "components": [],
        "pinned": false,
        "flags": 0,
        "channel_type": if guild.is_some() { 0 } else { 1 },
    });
    if let Some(guild) = guild {
        value["guild_id"] = json!(guild.id.to_string());
        if message.webhook_id.is_none() {
            value["member"] = member(world, guild, &author, false);
        }
    }
    if let Some(nonce) = &message.nonce {
        value["nonce"] = nonce.clone();
    }
    if let Some(webhook_id) = message.webhook_id {
        value["webhook_id"] = json!(webhook_id.to_string());
        value["application_id"] = json!(webhook_id.to_string());
    }
    value
}

/// MESSAGE_DELETE.
pub(crate) fn message_delete(message: &StoredMessage) -> Value {
    let mut value =
        json!({"id": message.id.to_string(), "channel_id": message.channel_id.to_string()});
    if let Some(guild_id) = message.guild_id {
        value["guild_id"] = json!(guild_id.to_string());
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_mentions_are_found_with_and_without_the_nickname_bang() {
        assert_eq!(
            mentioned_users("hi <@12> and <@!34>, not <@&56> or <@x>"),
            vec![12, 34]
        );
        assert_eq!(mention_ids("ping <@&56>", "<@&"), vec![56]);
    }

    #[test]
    fn timestamps_use_discords_offset_format() {
        assert_eq!(
            timestamp(1_717_200_913_680),
            "2024-06-01T00:15:13.680000+00:00"
        );
    }
}
