//! Interaction payloads as Discord POSTs them: PING, each ShipTrack command, `/unship`
//! autocomplete and the "Log as launch" message command, in a guild (with `member` and its
//! permissions) or in a DM with the bot (with `user`). Each gets a fresh snowflake and a token
//! that the webhook routes then accept.
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::IssuedToken;
use crate::discord_sim::config::{ChannelSpec, GuildSpec, UserSpec, permissions};
use crate::discord_sim::error::SimError;
use crate::discord_sim::payloads;
use crate::discord_sim::state::State;
use crate::discord_sim::world::World;

/// What the user did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InteractionKind {
    /// Type 1: Discord checking the endpoint.
    Ping,
    /// `/ship text [url]`
    Ship { text: String, url: Option<String> },
    /// `/profile [user]`
    Profile {
        #[serde(with = "crate::discord_sim::snowflake_json::option", default)]
        user_id: Option<u64>,
    },
    /// `/leaderboard [period]`
    Leaderboard { period: Option<String> },
    /// `/unship launch`
    Unship { launch: String },
    /// Type 4: typing into `/unship`'s `launch` option.
    UnshipAutocomplete { partial: String },
    /// `/digest preview`
    DigestPreview,
    /// The "Log as launch" message command on a message in the sim.
    LogAsLaunch {
        #[serde(with = "crate::discord_sim::snowflake_json")]
        message_id: u64,
    },
    /// Any other chat input command, options as Discord sends them (`[{"name", "type", "value"}]`).
    Command { name: String, options: Vec<Value> },
}

/// Who, where, and the kind: everything an interaction is built from. Unset fields default to
/// Alice (the first person) in the first channel of the first guild.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InteractionSpec {
    #[serde(flatten)]
    pub kind: InteractionKind,
    #[serde(with = "crate::discord_sim::snowflake_json::option", default)]
    pub user_id: Option<u64>,
    #[serde(with = "crate::discord_sim::snowflake_json::option", default)]
    pub channel_id: Option<u64>,
    /// In a DM with the bot instead of a guild channel.
    #[serde(default)]
    pub in_dm: bool,
    /// Overrides `member.permissions` (e.g. to drop Manage Server).
    #[serde(with = "crate::discord_sim::snowflake_json::option", default)]
    pub permissions: Option<u64>,
    #[serde(default)]
    pub locale: Option<String>,
}

impl InteractionSpec {
    pub fn new(kind: InteractionKind) -> Self {
        Self {
            kind,
            user_id: None,
            channel_id: None,
            in_dm: false,
            permissions: None,
            locale: None,
        }
    }
}

/// A built interaction: its id, webhook token, and the exact body that is signed and sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    #[serde(with = "crate::discord_sim::snowflake_json")]
    pub id: u64,
    pub token: String,
    /// 1 PING, 2 application command, 4 autocomplete.
    pub kind: u8,
    /// The command's name, if it is one.
    pub name: Option<String>,
    pub body: String,
}

impl Interaction {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the sim builds valid JSON")
    }
}

/// Discord's default upload limit, `attachment_size_limit`.
const ATTACHMENT_SIZE_LIMIT: u64 = 10 * 1024 * 1024;

fn string_option(name: &str, value: &str) -> Value {
    json!({"name": name, "type": 3, "value": value})
}

pub(crate) fn build(
    state: &mut State,
    spec: &InteractionSpec,
    now: Instant,
) -> Result<Interaction, SimError> {
    let world = &state.world;
    let user = match spec.user_id {
        Some(id) => world.user(id).ok_or(SimError::UnknownUser(id))?,
        None => world
            .users
            .iter()
            .find(|u| !u.bot)
            .ok_or_else(|| SimError::Config("no people configured".to_owned()))?,
    }
    .clone();
    let place = if spec.in_dm {
        None
    } else {
        let channel_id = match spec.channel_id {
            Some(id) => id,
            None => world
                .guilds
                .first()
                .and_then(|g| g.channels.first())
                .map(|c| c.id)
                .ok_or_else(|| SimError::Config("no guild channels configured".to_owned()))?,
        };
        let (guild, channel) = world
            .channel(channel_id)
            .ok_or(SimError::UnknownChannel(channel_id))?;
        Some((guild.clone(), channel.clone()))
    };
    let guild_id = place.as_ref().map(|(g, _)| g.id);
    // A DM channel with the bot: one per user, at a fixed id beside the user's.
    let channel_id = place.as_ref().map_or(user.id + 1, |(_, c)| c.id);

    let (kind, name, options) = invocation(&spec.kind);
    let data = match name {
        Some(name) => Some(command_data(
            state,
            spec,
            name,
            options,
            place.as_ref().map(|(g, _)| g),
        )?),
        None => None,
    };

    let id = state.ids.fresh();
    let token = format!(
        "aW50ZXJhY3Rpb246{id}:{}",
        hex::encode(rand::random::<[u8; 48]>())
    );
    let world = &state.world;
    let mut body = Map::new();
    body.insert("id".into(), json!(id.to_string()));
    body.insert("application_id".into(), json!(world.bot.id.to_string()));
    body.insert("type".into(), json!(kind));
    body.insert("token".into(), json!(token));
    body.insert("version".into(), json!(1));
    body.insert("entitlements".into(), json!([]));
    body.insert("attachment_size_limit".into(), json!(ATTACHMENT_SIZE_LIMIT));
    if kind == 1 {
        // A PING comes from Discord itself, from no place and no one.
        body.insert("authorizing_integration_owners".into(), json!({}));
    } else {
        let locale = spec.locale.clone().unwrap_or_else(|| "en-US".to_owned());
        body.insert("locale".into(), json!(locale));
        body.insert("channel_id".into(), json!(channel_id.to_string()));
        body.extend(match &place {
            Some((guild, channel)) => guild_context(world, guild, channel, &user, spec.permissions),
            None => dm_context(channel_id, &user),
        });
    }
    if let Some(data) = data {
        body.insert("data".into(), data);
    }

    let original_message_id = state.ids.fresh();
    state.interactions.tokens.insert(
        token.clone(),
        IssuedToken {
            interaction_id: id,
            channel_id,
            guild_id,
            issued_at: now,
            original_message_id,
            followups: Vec::new(),
        },
    );
    Ok(Interaction {
        id,
        token,
        kind,
        name: name.map(str::to_owned),
        body: Value::Object(body).to_string(),
    })
}

/// The interaction type, command name and options of what the user did.
fn invocation(kind: &InteractionKind) -> (u8, Option<&str>, Vec<Value>) {
    match kind {
        InteractionKind::Ping => (1, None, Vec::new()),
        InteractionKind::Ship { text, url } => {
            let mut options = vec![string_option("text", text)];
            options.extend(url.iter().map(|u| string_option("url", u)));
            (2, Some("ship"), options)
        }
        InteractionKind::Profile { user_id } => {
            let options = user_id
                .iter()
                .map(|id| json!({"name": "user", "type": 6, "value": id.to_string()}));
            (2, Some("profile"), options.collect())
        }
        InteractionKind::Leaderboard { period } => (
            2,
            Some("leaderboard"),
            period.iter().map(|p| string_option("period", p)).collect(),
        ),
        InteractionKind::Unship { launch } => {
            (2, Some("unship"), vec![string_option("launch", launch)])
        }
        InteractionKind::UnshipAutocomplete { partial } => {
            let mut option = string_option("launch", partial);
            option["focused"] = json!(true);
            (4, Some("unship"), vec![option])
        }
        InteractionKind::DigestPreview => (
            2,
            Some("digest"),
            vec![json!({"name": "preview", "type": 1, "options": []})],
        ),
        InteractionKind::LogAsLaunch { .. } => (2, Some("Log as launch"), Vec::new()),
        InteractionKind::Command { name, options } => (2, Some(name.as_str()), options.clone()),
    }
}

/// The fields of an interaction from a guild channel: `member` (with permissions), `guild`,
/// `channel` and what the app may do there.
fn guild_context(
    world: &World,
    guild: &GuildSpec,
    channel: &ChannelSpec,
    user: &UserSpec,
    permissions: Option<u64>,
) -> Map<String, Value> {
    let bot_permissions = world.permissions(&world.bot, guild);
    let position = guild
        .channels
        .iter()
        .position(|c| c.id == channel.id)
        .unwrap_or(0);
    let mut member = payloads::member(world, guild, user, true);
    member["permissions"] = json!(
        permissions
            .unwrap_or_else(|| world.permissions(user, guild))
            .to_string()
    );
    member["unusual_dm_activity_until"] = Value::Null;
    let fields = json!({
        "app_permissions": bot_permissions.to_string(),
        "authorizing_integration_owners": {"0": guild.id.to_string()},
        "context": 0,
        "channel": payloads::interaction_channel(guild, channel, position, bot_permissions),
        "guild": {"id": guild.id.to_string(), "locale": "en-US", "features": []},
        "guild_id": guild.id.to_string(),
        "guild_locale": "en-US",
        "member": member,
    });
    into_map(fields)
}

/// The fields of an interaction from a DM with the bot: `user` instead of `member`, no guild.
fn dm_context(channel_id: u64, user: &UserSpec) -> Map<String, Value> {
    let fields = json!({
        "app_permissions": permissions::BOT_DM.to_string(),
        "authorizing_integration_owners": {"0": "0"},
        "context": 1,
        "channel": {"id": channel_id.to_string(), "type": 1, "flags": 0, "last_message_id": null, "recipients": [payloads::user(user)]},
        "user": payloads::user(user),
    });
    into_map(fields)
}

fn into_map(value: Value) -> Map<String, Value> {
    let Value::Object(map) = value else {
        unreachable!("built from an object literal")
    };
    map
}

/// `data` of an application command or autocomplete interaction.
fn command_data(
    state: &mut State,
    spec: &InteractionSpec,
    name: &str,
    options: Vec<Value>,
    guild: Option<&GuildSpec>,
) -> Result<Value, SimError> {
    let command_type = if matches!(spec.kind, InteractionKind::LogAsLaunch { .. }) {
        3
    } else {
        1
    };
    let guild_id = guild.map(|g| g.id);
    let (command_id, guild_scoped) =
        state
            .interactions
            .command_id_for_use(guild_id, command_type, name, || state.ids.fresh());
    let mut data = json!({"id": command_id.to_string(), "name": name, "type": command_type});
    if guild_scoped && let Some(guild_id) = guild_id {
        data["guild_id"] = json!(guild_id.to_string());
    }
    if !options.is_empty() {
        data["options"] = Value::Array(options);
    }
    let world = &state.world;
    if let InteractionKind::Profile {
        user_id: Some(target),
    } = spec.kind
    {
        let target_user = world.user(target).ok_or(SimError::UnknownUser(target))?;
        let mut resolved = json!({"users": {target.to_string(): payloads::user(target_user)}});
        if let Some(guild) = guild {
            let mut member = payloads::member(world, guild, target_user, false);
            member["permissions"] = json!(world.permissions(target_user, guild).to_string());
            resolved["members"] = json!({target.to_string(): member});
        }
        data["resolved"] = resolved;
    }
    if let InteractionKind::LogAsLaunch { message_id } = spec.kind {
        let message = world
            .message(message_id)
            .ok_or(SimError::UnknownMessage(message_id))?;
        // The target message's content is always included, with or without MESSAGE_CONTENT.
        data["target_id"] = json!(message_id.to_string());
        data["resolved"] =
            json!({"messages": {message_id.to_string(): payloads::message(world, message, true)}});
    }
    Ok(data)
}
