//! Interaction parsing: turns the JSON Discord posts to the edge into typed requests, or into
//! a typed error that says which rule the request broke.
//!
//! Discord validates options against the registered definitions, but a stale registration, a
//! replayed request or a hand-made one can still carry anything, so every field is checked here
//! once and the edge only ever sees well-formed values.
//!
//! The body is read (with miniserde; [`wire`] says why) into the small structs of [`wire`],
//! which name only the fields ShipTrack uses, not into twilight-model's full `Interaction`: deserialising that (messages, channels,
//! members, components, all of it) was over half of the Worker's gzipped wasm, which every cold
//! start pays for. twilight-model still gives the ids, permissions and enum types (timestamps
//! are read by [`crate::timestamp`]), and the tests read Discord's documented payloads both
//! ways to hold the two to one answer.

use chrono::{DateTime, Utc};
use thiserror::Error;
use twilight_model::{
    application::{command::CommandOptionType, interaction::InteractionType},
    guild::Permissions,
    id::{
        Id,
        marker::{
            ApplicationMarker, ChannelMarker, GuildMarker, InteractionMarker, MessageMarker,
            UserMarker,
        },
    },
};

use crate::{
    commands::{
        CommandName, DEFAULT_PERIOD, DISCORD_STRING_OPTION_MAX, PERIOD_CHOICES, SHIP_TEXT_MAX,
        option,
    },
    launch,
    period::Period,
};

mod wire;

/// What an interaction asks of ShipTrack.
#[derive(Clone, Debug, PartialEq)]
pub enum Incoming {
    /// Discord checking the endpoint: answer `{"type":1}`.
    Ping,
    Command(CommandInvocation),
    Autocomplete(AutocompleteRequest),
}

/// A command a member ran, with everything needed to act on it and to answer it later.
#[derive(Clone, Debug, PartialEq)]
pub struct CommandInvocation {
    /// Also the key of a `/ship` launch, so a retried request never logs twice.
    pub id: Id<InteractionMarker>,
    pub application_id: Id<ApplicationMarker>,
    /// Finishes a deferred answer through the webhook; valid for 15 minutes.
    pub token: String,
    /// `None` in a DM, where the edge explains that ShipTrack works in servers.
    pub guild_id: Option<Id<GuildMarker>>,
    pub channel_id: Id<ChannelMarker>,
    pub invoker: Invoker,
    pub command: Command,
}

/// A request for `/unship launch` suggestions while the member types.
#[derive(Clone, Debug, PartialEq)]
pub struct AutocompleteRequest {
    pub command: CommandName,
    /// What the member has typed into the focused option so far.
    pub focused: String,
    pub invoker: Invoker,
    pub guild_id: Option<Id<GuildMarker>>,
}

/// The member (or, in a DM, the user) who ran the command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoker {
    pub id: Id<UserMarker>,
    /// Server nickname, else global display name, else username.
    pub display_name: String,
    /// The member's permissions in the channel; empty in a DM.
    pub permissions: Permissions,
}

impl Invoker {
    /// Whether the member may act for the server, e.g. remove someone else's launch.
    pub fn can_manage_guild(&self) -> bool {
        self.permissions
            .intersects(Permissions::MANAGE_GUILD | Permissions::ADMINISTRATOR)
    }
}

/// A Discord user with the name to show for them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedUser {
    pub id: Id<UserMarker>,
    pub display_name: String,
}

/// The command and its validated options.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// `/ship`: `text` is trimmed and non-empty; `url` is the `url` option when given, else
    /// the first link in `text`, if any.
    Ship { text: String, url: Option<String> },
    /// `/profile`: `None` means the invoker's own profile.
    Profile { user: Option<NamedUser> },
    /// `/leaderboard`: [`DEFAULT_PERIOD`] when the member picked none.
    Leaderboard { period: Period },
    /// `/unship`: the launch as the autocomplete offered it (its id), or whatever was typed.
    Unship { launch: String },
    /// The "Log as launch" message command.
    LogAsLaunch(TargetMessage),
    /// `/digest preview`.
    DigestPreview,
}

/// The message a "Log as launch" command points at.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetMessage {
    /// Also the key of the launch, shared with the gateway worker, so one message is logged
    /// once whichever side sees it first.
    pub id: Id<MessageMarker>,
    pub channel_id: Id<ChannelMarker>,
    pub author: NamedUser,
    pub author_is_bot: bool,
    pub content: String,
    /// When the message was posted.
    pub timestamp: DateTime<Utc>,
}

/// Why an interaction could not be turned into a request.
#[derive(Debug, Error)]
pub enum InteractionError {
    /// Answer 400: the body is not JSON at all.
    #[error("the request body is not valid JSON")]
    MalformedJson,
    /// Answer 400: valid JSON, but not shaped like a Discord interaction.
    #[error("the request body is not a Discord interaction")]
    NotAnInteraction,
    /// A component click or modal submit: ShipTrack sends neither, so none should arrive.
    #[error("ShipTrack does not handle {} interactions", .0.kind())]
    Unsupported(InteractionType),
    /// A command interaction that breaks a rule: answer with an ephemeral explanation.
    #[error("invalid command: {0}")]
    BadCommand(#[source] CommandError),
    /// An autocomplete request that breaks a rule: answer with no suggestions.
    #[error("invalid autocomplete request: {0}")]
    BadAutocomplete(#[source] CommandError),
}

/// The rule a command interaction broke.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum CommandError {
    #[error("the interaction names no user (neither `member.user` nor `user`)")]
    MissingUser,
    #[error("the interaction names no channel")]
    MissingChannel,
    #[error("the interaction carries no command data")]
    MissingData,
    #[error("no command is registered as {name:?}: re-register the commands")]
    UnknownCommand { name: String },
    #[error("the required option `{option}` is missing")]
    MissingOption { option: &'static str },
    #[error("option `{name}` is not one this command takes: re-register the commands")]
    UnknownOption { name: String },
    #[error("option `{option}` should be a {} value", .expected.kind())]
    WrongOptionType {
        option: &'static str,
        expected: CommandOptionType,
    },
    #[error("option `{option}` is empty")]
    EmptyOption { option: &'static str },
    #[error("option `{option}` has {chars} characters; at most {max} are allowed")]
    TooLong {
        option: &'static str,
        chars: usize,
        max: usize,
    },
    #[error("{value:?} is not a single http(s) link")]
    BadUrl { value: String },
    #[error("{value:?} is not a leaderboard period (week, month, quarter or all)")]
    UnknownPeriod { value: String },
    #[error("the chosen user {id} is missing from the resolved data")]
    MissingResolvedUser { id: Id<UserMarker> },
    #[error("the message the command points at is missing from the resolved data")]
    MissingTargetMessage,
    #[error("`{}` has no option that autocompletes", .command.as_str())]
    NotAutocompletable { command: CommandName },
    #[error("the autocomplete request has no focused option")]
    NoFocusedOption,
}

/// Parses a raw request body; a PING is recognised from its type alone.
pub fn parse_json(body: &[u8]) -> Result<Incoming, InteractionError> {
    let text = std::str::from_utf8(body).map_err(|_| InteractionError::MalformedJson)?;
    let wire::Envelope { kind } = read(text)?;
    match kind.0 {
        InteractionType::Ping => Ok(Incoming::Ping),
        InteractionType::ApplicationCommand => parse_command(read(text)?)
            .map(Incoming::Command)
            .map_err(InteractionError::BadCommand),
        InteractionType::ApplicationCommandAutocomplete => parse_autocomplete(read(text)?)
            .map(Incoming::Autocomplete)
            .map_err(InteractionError::BadAutocomplete),
        other => Err(InteractionError::Unsupported(other)),
    }
}

/// Reads `text` into one of the [`wire`] structs; when it does not fit, whether it is JSON
/// at all decides which `400` it is.
fn read<T: miniserde::Deserialize>(text: &str) -> Result<T, InteractionError> {
    miniserde::json::from_str(text).map_err(|_| {
        if wire::is_json(text) {
            InteractionError::NotAnInteraction
        } else {
            InteractionError::MalformedJson
        }
    })
}

fn parse_command(interaction: wire::Interaction) -> Result<CommandInvocation, CommandError> {
    let channel_id = interaction
        .channel
        .as_ref()
        .map(|channel| channel.id.0)
        .or(interaction.channel_id.as_ref().map(|id| id.0))
        .ok_or(CommandError::MissingChannel)?;
    let invoker = invoker(&interaction)?;
    let data = interaction.data.ok_or(CommandError::MissingData)?;
    let name =
        CommandName::find(&data.name, data.kind.0).ok_or_else(|| CommandError::UnknownCommand {
            name: data.name.clone(),
        })?;
    Ok(CommandInvocation {
        id: interaction.id.0,
        application_id: interaction.application_id.0,
        token: interaction.token,
        guild_id: interaction.guild_id.map(|id| id.0),
        channel_id,
        invoker,
        command: command(name, &data)?,
    })
}

fn parse_autocomplete(interaction: wire::Interaction) -> Result<AutocompleteRequest, CommandError> {
    let invoker = invoker(&interaction)?;
    let data = interaction.data.ok_or(CommandError::MissingData)?;
    let command =
        CommandName::find(&data.name, data.kind.0).ok_or_else(|| CommandError::UnknownCommand {
            name: data.name.clone(),
        })?;
    if command != CommandName::Unship {
        return Err(CommandError::NotAutocompletable { command });
    }
    let focused = data
        .options
        .into_iter()
        .flatten()
        .find(|option| option.focused == Some(true) && option.name == option::LAUNCH)
        .and_then(|option| match option.value {
            Some(wire::OptionValue::Text(typed)) => Some(typed),
            _ => None,
        })
        .ok_or(CommandError::NoFocusedOption)?;
    Ok(AutocompleteRequest {
        command,
        focused,
        invoker,
        guild_id: interaction.guild_id.map(|id| id.0),
    })
}

/// In a server the user is `member.user` and permissions come with the member; in a DM the
/// user is `user` and has no server permissions.
fn invoker(interaction: &wire::Interaction) -> Result<Invoker, CommandError> {
    let member = interaction.member.as_ref();
    let user = member
        .and_then(|member| member.user.as_ref())
        .or(interaction.user.as_ref())
        .ok_or(CommandError::MissingUser)?;
    Ok(Invoker {
        id: user.id.0,
        display_name: display_name(member.and_then(|member| member.nick.as_deref()), user),
        permissions: member
            .and_then(|member| member.permissions.as_ref())
            .map_or_else(Permissions::empty, |bits| bits.0),
    })
}

/// Server nickname, else global display name, else username: the name Discord shows.
fn display_name(nick: Option<&str>, user: &wire::User) -> String {
    [nick, user.global_name.as_deref()]
        .into_iter()
        .flatten()
        .find(|name| !name.trim().is_empty())
        .unwrap_or(&user.username)
        .to_owned()
}
fn command(name: CommandName, data: &wire::CommandData) -> Result<Command, CommandError> {
    let options = Options(data.options());
    match name {
        CommandName::Ship => {
            options.only(&[option::TEXT, option::URL])?;
            let text = options.required_string(option::TEXT)?.trim();
            if text.is_empty() {
                return Err(CommandError::EmptyOption {
                    option: option::TEXT,
                });
            }
            check_length(option::TEXT, text, SHIP_TEXT_MAX)?;
            let url =
                match options.string(option::URL)? {
                    Some(value) => Some(launch::whole_url(value.trim()).ok_or_else(|| {
                        CommandError::BadUrl {
                            value: value.to_owned(),
                        }
                    })?),
                    None => launch::first_url(text),
                };
            Ok(Command::Ship {
                text: text.to_owned(),
                url: url.map(str::to_owned),
            })
        }
        CommandName::Profile => {
            options.only(&[option::USER])?;
            let user = options
                .user(option::USER)?
                .map(|id| resolved_user(data.resolved.as_ref(), id))
                .transpose()?;
            Ok(Command::Profile { user })
        }
        CommandName::Leaderboard => {
            options.only(&[option::PERIOD])?;
            let period = match options.string(option::PERIOD)? {
                Some(value) => PERIOD_CHOICES
                    .iter()
                    .find(|(choice, _)| *choice == value)
                    .map(|(_, period)| *period)
                    .ok_or_else(|| CommandError::UnknownPeriod {
                        value: value.to_owned(),
                    })?,
                None => DEFAULT_PERIOD,
            };
            Ok(Command::Leaderboard { period })
        }
        CommandName::Unship => {
            options.only(&[option::LAUNCH])?;
            let launch = options.required_string(option::LAUNCH)?.trim();
            if launch.is_empty() {
                return Err(CommandError::EmptyOption {
                    option: option::LAUNCH,
                });
            }
            Ok(Command::Unship {
                launch: launch.to_owned(),
            })
        }
        CommandName::Digest => {
            options.only(&[option::PREVIEW])?;
            options.subcommand(option::PREVIEW)?;
            Ok(Command::DigestPreview)
        }
        CommandName::LogAsLaunch => target_message(data).map(Command::LogAsLaunch),
    }
}

fn target_message(data: &wire::CommandData) -> Result<TargetMessage, CommandError> {
    let id = data
        .target_id
        .as_ref()
        .ok_or(CommandError::MissingTargetMessage)?
        .0
        .cast::<MessageMarker>();
    let message = data
        .resolved
        .as_ref()
        .and_then(|resolved| resolved.messages.as_ref()?.get(id))
        .ok_or(CommandError::MissingTargetMessage)?;
    let nick = message
        .member
        .as_ref()
        .and_then(|member| member.nick.as_deref());
    Ok(TargetMessage {
        id,
        channel_id: message.channel_id.0,
        author: NamedUser {
            id: message.author.id.0,
            display_name: display_name(nick, &message.author),
        },
        author_is_bot: message.author.bot == Some(true),
        content: message.content.clone(),
        timestamp: message.timestamp.0,
    })
}

fn resolved_user(
    resolved: Option<&wire::Resolved>,
    id: Id<UserMarker>,
) -> Result<NamedUser, CommandError> {
    let user = resolved
        .and_then(|resolved| resolved.users.as_ref()?.get(id))
        .ok_or(CommandError::MissingResolvedUser { id })?;
    let nick = resolved
        .and_then(|resolved| resolved.members.as_ref()?.get(id))
        .and_then(|member| member.nick.as_deref());
    Ok(NamedUser {
        id,
        display_name: display_name(nick, user),
    })
}

fn check_length(option: &'static str, value: &str, max: usize) -> Result<(), CommandError> {
    let chars = value.chars().count();
    if chars > max {
        return Err(CommandError::TooLong { option, chars, max });
    }
    Ok(())
}

/// A command's options, looked up by the names in [`crate::commands::option`].
struct Options<'a>(&'a [wire::CommandOption]);

impl<'a> Options<'a> {
    /// Refuses options the definition does not have, so a stale registration is noticed.
    fn only(&self, known: &[&'static str]) -> Result<(), CommandError> {
        match self
            .0
            .iter()
            .find(|option| !known.contains(&option.name.as_str()))
        {
            Some(unknown) => Err(CommandError::UnknownOption {
                name: unknown.name.clone(),
            }),
            None => Ok(()),
        }
    }

    /// The option called `name`, if given, and its value when it is a string of the
    /// `expected` type; any other type or value is [`CommandError::WrongOptionType`].
    fn text(
        &self,
        name: &'static str,
        expected: CommandOptionType,
    ) -> Result<Option<&'a str>, CommandError> {
        let Some(given) = self.0.iter().find(|option| option.name == name) else {
            return Ok(None);
        };
        match &given.value {
            Some(wire::OptionValue::Text(value)) if given.kind.0 == expected => Ok(Some(value)),
            _ => Err(CommandError::WrongOptionType {
                option: name,
                expected,
            }),
        }
    }

    fn string(&self, name: &'static str) -> Result<Option<&'a str>, CommandError> {
        let value = self.text(name, CommandOptionType::String)?;
        if let Some(value) = value {
            check_length(name, value, DISCORD_STRING_OPTION_MAX)?;
        }
        Ok(value)
    }

    fn required_string(&self, name: &'static str) -> Result<&'a str, CommandError> {
        self.string(name)?
            .ok_or(CommandError::MissingOption { option: name })
    }

    fn user(&self, name: &'static str) -> Result<Option<Id<UserMarker>>, CommandError> {
        self.text(name, CommandOptionType::User)?
            .map(|id| {
                id.parse().map_err(|_| CommandError::WrongOptionType {
                    option: name,
                    expected: CommandOptionType::User,
                })
            })
            .transpose()
    }

    fn subcommand(&self, name: &'static str) -> Result<(), CommandError> {
        match self.0.iter().find(|option| option.name == name) {
            None => Err(CommandError::MissingOption { option: name }),
            Some(given) if given.kind.0 == CommandOptionType::SubCommand => {
                Options(given.options()).only(&[])
            }
            Some(_) => Err(CommandError::WrongOptionType {
                option: name,
                expected: CommandOptionType::SubCommand,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use twilight_model::application::interaction::{
        Interaction, InteractionData, application_command::CommandOptionValue,
    };
    use twilight_model::util::Timestamp;

    const GUILD: &str = "290926798626357999";
    const CHANNEL: &str = "645027906669510667";
    const MEMBER: &str = "53908232506183680";

    /// A user object as Discord documents it.
    fn user(id: &str, username: &str, global_name: Option<&str>) -> Value {
        json!({
            "id": id,
            "username": username,
            "global_name": global_name,
            "avatar": "a_d5efa99b3eeaa7dd43acca82f5692432",
            "discriminator": "0",
            "public_flags": 131141
        })
    }

    /// A guild interaction shaped like Discord's documented example, with `kind` and `data`.
    fn guild_interaction(kind: u8, data: Value) -> Value {
        json!({
            "type": kind,
            "token": "A_UNIQUE_TOKEN",
            "member": {
                "user": user(MEMBER, "mason", Some("Mason")),
                "roles": ["539082325061836999"],
                "premium_since": null,
                "permissions": "2147483647",
                "pending": false,
                "nick": null,
                "mute": false,
                "joined_at": "2017-03-13T19:19:14.040000+00:00",
                "is_pending": false,
                "deaf": false,
                "flags": 0
            },
            "id": "786008729715212338",
            "application_id": "775799577604522054",
            "guild_id": GUILD,
            "guild": {"id": GUILD, "locale": "en-US", "features": []},
            "app_permissions": "442368",
            "guild_locale": "en-US",
            "locale": "en-US",
            "data": data,
            "channel_id": CHANNEL,
            "channel": {"id": CHANNEL, "type": 0, "name": "launches", "guild_id": GUILD},
            "context": 0,
            "authorizing_integration_owners": {"0": GUILD},
            "entitlements": [],
            "attachment_size_limit": 10485760,
            "version": 1
        })
    }

    fn slash(name: &str, options: Value) -> Value {
        json!({"id": "771825006014889984", "name": name, "type": 1, "options": options})
    }

    fn string_option(name: &str, value: &str) -> Value {
        json!({"type": 3, "name": name, "value": value})
    }

    fn parse_value(value: &Value) -> Result<Incoming, InteractionError> {
        parse_json(value.to_string().as_bytes())
    }

    fn command_of(value: &Value) -> Command {
        match parse_value(value) {
            Ok(Incoming::Command(invocation)) => invocation.command,
            other => panic!("expected a command, got {other:?}"),
        }
    }

    fn command_error(value: &Value) -> CommandError {
        match parse_value(value) {
            Err(InteractionError::BadCommand(error)) => error,
            other => panic!("expected a bad command, got {other:?}"),
        }
    }

    fn ship(options: Value) -> Value {
        guild_interaction(2, slash("ship", options))
    }

    #[test]
    fn a_ping_parses_from_its_type_alone() {
        let ping = json!({"type": 1, "id": "1", "application_id": "2", "token": "t", "version": 1});
        assert!(matches!(parse_value(&ping), Ok(Incoming::Ping)));
    }

    #[test]
    fn bytes_that_are_not_json_are_malformed() {
        for body in [
            &b"{\"type\": 2,"[..],
            b"not json",
            b"",
            b"{\"type\":1} trailing",
        ] {
            assert!(
                matches!(parse_json(body), Err(InteractionError::MalformedJson)),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn json_that_is_not_an_interaction_is_told_apart_from_malformed_json() {
        for body in [
            json!({}),
            json!({"type": "ping"}),
            json!([1, 2]),
            json!([1]),
            json!({"type": 42}),
        ] {
            assert!(
                matches!(parse_value(&body), Err(InteractionError::NotAnInteraction)),
                "{body}"
            );
        }
        let mut no_token = ship(json!([string_option("text", "x")]));
        no_token.as_object_mut().unwrap().remove("token");
        assert!(matches!(
            parse_value(&no_token),
            Err(InteractionError::NotAnInteraction)
        ));
    }

    #[test]
    fn a_body_that_is_not_utf8_is_malformed() {
        assert!(matches!(
            parse_json(b"{\"type\": \"\xff\"}"),
            Err(InteractionError::MalformedJson)
        ));
    }

    #[test]
    fn ids_read_as_strings_or_numbers_but_never_zero_as_twilight_reads_them() {
        let mut value = ship(json!([string_option("text", "x")]));
        value["id"] = json!(786008729715212338_u64);
        let Ok(Incoming::Command(invocation)) = parse_value(&value) else {
            panic!("expected a command")
        };
        assert_eq!(invocation.id, full_reading(&value).id);
        for zero in [json!("0"), json!(0), json!(-1), json!("x")] {
            value["id"] = zero.clone();
            assert!(
                matches!(parse_value(&value), Err(InteractionError::NotAnInteraction)),
                "{zero}"
            );
        }
    }

    #[test]
    fn permissions_read_as_strings_or_numbers_as_twilight_reads_them() {
        let mut value = ship(json!([string_option("text", "x")]));
        value["member"]["permissions"] = json!(32);
        let Ok(Incoming::Command(invocation)) = parse_value(&value) else {
            panic!("expected a command")
        };
        assert!(invocation.invoker.can_manage_guild());
        value["member"]["permissions"] = json!("lots");
        assert!(matches!(
            parse_value(&value),
            Err(InteractionError::NotAnInteraction)
        ));
    }

    #[test]
    fn an_unknown_option_type_is_not_an_interaction() {
        let value = ship(json!([{"type": 12, "name": "text", "value": "x"}]));
        assert!(matches!(
            parse_value(&value),
            Err(InteractionError::NotAnInteraction)
        ));
    }

    #[test]
    fn components_and_modals_are_unsupported() {
        let click = guild_interaction(3, json!({"custom_id": "x", "component_type": 2}));
        assert!(matches!(
            parse_value(&click),
            Err(InteractionError::Unsupported(
                InteractionType::MessageComponent
            ))
        ));
    }

    #[test]
    fn a_guild_ship_command_parses_with_its_invoker_and_ids() {
        let value = ship(json!([
            string_option("text", "  Shipped the new dashboard  "),
            string_option("url", "https://example.com/dash"),
        ]));
        let Ok(Incoming::Command(invocation)) = parse_value(&value) else {
            panic!("expected a command");
        };
        assert_eq!(invocation.id, Id::new(786008729715212338));
        assert_eq!(invocation.application_id, Id::new(775799577604522054));
        assert_eq!(invocation.token, "A_UNIQUE_TOKEN");
        assert_eq!(invocation.guild_id, Some(Id::new(290926798626357999)));
        assert_eq!(invocation.channel_id, Id::new(645027906669510667));
        assert_eq!(invocation.invoker.id, Id::new(53908232506183680));
        assert_eq!(invocation.invoker.display_name, "Mason");
        assert!(invocation.invoker.can_manage_guild());
        assert_eq!(
            invocation.command,
            Command::Ship {
                text: "Shipped the new dashboard".to_owned(),
                url: Some("https://example.com/dash".to_owned()),
            }
        );
    }

    #[test]
    fn the_display_name_prefers_nick_then_global_name_then_username() {
        let mut value = ship(json!([string_option("text", "x")]));
        value["member"]["nick"] = json!("Mace");
        let Ok(Incoming::Command(invocation)) = parse_value(&value) else {
            panic!()
        };
        assert_eq!(invocation.invoker.display_name, "Mace");

        value["member"]["nick"] = json!(null);
        value["member"]["user"]["global_name"] = json!(null);
        let Ok(Incoming::Command(invocation)) = parse_value(&value) else {
            panic!()
        };
        assert_eq!(invocation.invoker.display_name, "mason");
    }

    #[test]
    fn a_member_without_manage_server_cannot_manage_the_guild() {
        let mut value = ship(json!([string_option("text", "x")]));
        value["member"]["permissions"] = json!("2048");
        let Ok(Incoming::Command(invocation)) = parse_value(&value) else {
            panic!()
        };
        assert!(!invocation.invoker.can_manage_guild());

        value["member"]["permissions"] = json!("32");
        let Ok(Incoming::Command(invocation)) = parse_value(&value) else {
            panic!()
        };
        assert!(invocation.invoker.can_manage_guild());
    }

    /// `value` as Discord sends it from a DM: `user` instead of `member`, no guild.
    fn in_a_dm(mut value: Value) -> Value {
        let object = value.as_object_mut().unwrap();
        object.remove("member");
        object.remove("guild_id");
        object.remove("guild");
        object.insert("user".into(), user("80351110224678912", "nelly", None));
        object.insert("context".into(), json!(1));
        object.insert("channel".into(), json!({"id": CHANNEL, "type": 1}));
        value
    }

    #[test]
    fn a_dm_command_takes_the_user_and_has_no_guild() {
        let value = in_a_dm(ship(json!([string_option("text", "shipped")])));
        let Ok(Incoming::Command(invocation)) = parse_value(&value) else {
            panic!()
        };
        assert_eq!(invocation.guild_id, None);
        assert_eq!(invocation.invoker.id, Id::new(80351110224678912));
        assert_eq!(invocation.invoker.display_name, "nelly");
        assert_eq!(invocation.invoker.permissions, Permissions::empty());
    }

    #[test]
    fn an_interaction_without_any_user_is_refused() {
        let mut value = ship(json!([string_option("text", "x")]));
        value.as_object_mut().unwrap().remove("member");
        assert_eq!(command_error(&value), CommandError::MissingUser);
    }

    #[test]
    fn an_interaction_without_a_channel_is_refused() {
        let mut value = ship(json!([string_option("text", "x")]));
        value.as_object_mut().unwrap().remove("channel");
        value.as_object_mut().unwrap().remove("channel_id");
        assert_eq!(command_error(&value), CommandError::MissingChannel);
    }

    #[test]
    fn ship_without_a_url_option_takes_the_first_link_in_the_text() {
        let value = ship(json!([string_option(
            "text",
            "new site (https://a.example) and more"
        )]));
        assert_eq!(
            command_of(&value),
            Command::Ship {
                text: "new site (https://a.example) and more".to_owned(),
                url: Some("https://a.example".to_owned()),
            }
        );
        let value = ship(json!([string_option("text", "no link yet")]));
        assert_eq!(
            command_of(&value),
            Command::Ship {
                text: "no link yet".to_owned(),
                url: None
            }
        );
    }

    #[test]
    fn ship_refuses_a_url_option_that_is_not_one_http_link() {
        for bad in [
            "ftp://example.com",
            "example.com",
            "javascript:alert(1)",
            "https://a.io b",
        ] {
            let value = ship(json!([
                string_option("text", "x"),
                string_option("url", bad)
            ]));
            assert_eq!(
                command_error(&value),
                CommandError::BadUrl {
                    value: bad.to_owned()
                }
            );
        }
    }

    #[test]
    fn ship_without_text_is_refused() {
        assert_eq!(
            command_error(&ship(json!([]))),
            CommandError::MissingOption { option: "text" }
        );
        assert_eq!(
            command_error(&ship(json!([string_option("text", "   ")]))),
            CommandError::EmptyOption { option: "text" }
        );
    }

    #[test]
    fn ship_text_over_1000_characters_is_refused_counting_characters_not_bytes() {
        let exactly = "é".repeat(1000);
        assert!(matches!(
            command_of(&ship(json!([string_option("text", &exactly)]))),
            Command::Ship { .. }
        ));
        let over = "é".repeat(1001);
        assert_eq!(
            command_error(&ship(json!([string_option("text", &over)]))),
            CommandError::TooLong {
                option: "text",
                chars: 1001,
                max: 1000
            }
        );
    }

    #[test]
    fn any_string_option_over_discords_6000_limit_is_refused() {
        let long = format!("https://example.com/{}", "a".repeat(6000));
        let value = ship(json!([
            string_option("text", "x"),
            string_option("url", &long)
        ]));
        assert_eq!(
            command_error(&value),
            CommandError::TooLong {
                option: "url",
                chars: long.chars().count(),
                max: 6000
            }
        );
    }

    #[test]
    fn an_option_of_the_wrong_type_is_refused() {
        let value = ship(json!([{"type": 4, "name": "text", "value": 7}]));
        assert_eq!(
            command_error(&value),
            CommandError::WrongOptionType {
                option: "text",
                expected: CommandOptionType::String
            }
        );
    }

    #[test]
    fn an_option_the_command_does_not_define_is_refused() {
        let value = ship(json!([
            string_option("text", "x"),
            string_option("colour", "red")
        ]));
        assert_eq!(
            command_error(&value),
            CommandError::UnknownOption {
                name: "colour".into()
            }
        );
    }

    #[test]
    fn an_unknown_command_name_is_refused() {
        let value = guild_interaction(2, slash("deploy", json!([])));
        assert_eq!(
            command_error(&value),
            CommandError::UnknownCommand {
                name: "deploy".into()
            }
        );
    }

    #[test]
    fn a_known_name_under_another_command_type_is_unknown() {
        let mut value = guild_interaction(2, slash("ship", json!([])));
        value["data"]["type"] = json!(2);
        assert_eq!(
            command_error(&value),
            CommandError::UnknownCommand {
                name: "ship".into()
            }
        );
    }

    /// `/profile user:ian`, with Ian resolved as Discord documents a user and a member.
    fn profile_of_ian() -> Value {
        guild_interaction(
            2,
            json!({
                "id": "771825006014889985", "name": "profile", "type": 1,
                "options": [{"type": 6, "name": "user", "value": "167348773423415296"}],
                "resolved": {
                    "users": {"167348773423415296": user("167348773423415296", "ian", Some("Ian"))},
                    "members": {"167348773423415296": {
                        "nick": "ian the builder", "roles": [], "joined_at": "2020-11-02T20:46:57.364000+00:00",
                        "premium_since": null, "pending": false, "permissions": "1024", "flags": 0,
                        "communication_disabled_until": null
                    }}
                }
            }),
        )
    }

    #[test]
    fn profile_resolves_the_chosen_member_name() {
        assert_eq!(
            command_of(&profile_of_ian()),
            Command::Profile {
                user: Some(NamedUser {
                    id: Id::new(167348773423415296),
                    display_name: "ian the builder".to_owned(),
                })
            }
        );
    }

    #[test]
    fn profile_without_a_user_means_the_invoker() {
        assert_eq!(
            command_of(&guild_interaction(2, slash("profile", json!([])))),
            Command::Profile { user: None }
        );
    }

    #[test]
    fn profile_with_a_user_missing_from_resolved_is_refused() {
        let data = slash(
            "profile",
            json!([{"type": 6, "name": "user", "value": "5"}]),
        );
        assert_eq!(
            command_error(&guild_interaction(2, data)),
            CommandError::MissingResolvedUser { id: Id::new(5) }
        );
    }

    #[test]
    fn leaderboard_reads_each_period_and_defaults_to_the_week() {
        for (value, period) in PERIOD_CHOICES {
            let data = slash("leaderboard", json!([string_option("period", value)]));
            assert_eq!(
                command_of(&guild_interaction(2, data)),
                Command::Leaderboard { period }
            );
        }
        assert_eq!(
            command_of(&guild_interaction(2, slash("leaderboard", json!([])))),
            Command::Leaderboard {
                period: Period::Week
            }
        );
    }

    #[test]
    fn leaderboard_refuses_an_unknown_period() {
        let data = slash("leaderboard", json!([string_option("period", "decade")]));
        assert_eq!(
            command_error(&guild_interaction(2, data)),
            CommandError::UnknownPeriod {
                value: "decade".into()
            }
        );
    }

    #[test]
    fn unship_carries_the_chosen_launch() {
        let data = slash("unship", json!([string_option("launch", "42")]));
        assert_eq!(
            command_of(&guild_interaction(2, data)),
            Command::Unship {
                launch: "42".to_owned()
            }
        );
        let data = slash("unship", json!([]));
        assert_eq!(
            command_error(&guild_interaction(2, data)),
            CommandError::MissingOption { option: "launch" }
        );
    }

    #[test]
    fn digest_preview_is_a_subcommand() {
        let data = slash(
            "digest",
            json!([{"type": 1, "name": "preview", "options": []}]),
        );
        assert_eq!(
            command_of(&guild_interaction(2, data)),
            Command::DigestPreview
        );
        let data = slash("digest", json!([]));
        assert_eq!(
            command_error(&guild_interaction(2, data)),
            CommandError::MissingOption { option: "preview" }
        );
        let data = slash(
            "digest",
            json!([{"type": 1, "name": "publish", "options": []}]),
        );
        assert_eq!(
            command_error(&guild_interaction(2, data)),
            CommandError::UnknownOption {
                name: "publish".into()
            }
        );
    }

    /// The message command example from Discord's documentation, renamed to ours.
    fn log_as_launch(resolved_messages: Value) -> Value {
        guild_interaction(
            2,
            json!({
                "id": "866818195033292851",
                "name": "Log as launch",
                "type": 3,
                "target_id": "867793854505943041",
                "resolved": {"messages": resolved_messages}
            }),
        )
    }

    fn documented_message(author: Value) -> Value {
        json!({
            "attachments": [],
            "author": author,
            "channel_id": "772908445358620702",
            "components": [],
            "content": "we just launched https://example.com 🚀",
            "edited_timestamp": null,
            "embeds": [],
            "flags": 0,
            "id": "867793854505943041",
            "mention_everyone": false,
            "mention_roles": [],
            "mentions": [],
            "pinned": false,
            "timestamp": "2021-07-22T15:42:57.744000+00:00",
            "tts": false,
            "type": 0
        })
    }

    #[test]
    fn log_as_launch_reads_the_target_message() {
        let value = log_as_launch(json!({
            "867793854505943041": documented_message(user("167348773423415296", "ian", Some("Ian")))
        }));
        assert_eq!(
            command_of(&value),
            Command::LogAsLaunch(TargetMessage {
                id: Id::new(867793854505943041),
                channel_id: Id::new(772908445358620702),
                author: NamedUser {
                    id: Id::new(167348773423415296),
                    display_name: "Ian".to_owned(),
                },
                author_is_bot: false,
                content: "we just launched https://example.com 🚀".to_owned(),
                timestamp: DateTime::from_timestamp_millis(1_626_968_577_744).unwrap(),
            })
        );
    }

    #[test]
    fn log_as_launch_reads_both_timestamp_forms_discord_sends_as_twilight_does() {
        for sent in [
            "2021-07-22T15:42:57.744000+00:00",
            "2021-07-22T15:42:57+00:00",
        ] {
            let mut message = documented_message(user("1", "ian", None));
            message["timestamp"] = json!(sent);
            let value = log_as_launch(json!({"867793854505943041": message}));
            let Command::LogAsLaunch(target) = command_of(&value) else {
                panic!()
            };
            assert_eq!(
                target.timestamp.timestamp_micros(),
                Timestamp::parse(sent).unwrap().as_micros(),
                "{sent}"
            );
        }
        let mut message = documented_message(user("1", "ian", None));
        message["timestamp"] = json!("last Tuesday");
        let value = log_as_launch(json!({"867793854505943041": message}));
        assert!(matches!(
            parse_value(&value),
            Err(InteractionError::NotAnInteraction)
        ));
    }

    #[test]
    fn log_as_launch_marks_a_bot_author() {
        let mut bot = user("1", "ci-bot", None);
        bot["bot"] = json!(true);
        let value = log_as_launch(json!({"867793854505943041": documented_message(bot)}));
        let Command::LogAsLaunch(target) = command_of(&value) else {
            panic!()
        };
        assert!(target.author_is_bot);
    }

    #[test]
    fn log_as_launch_without_the_resolved_message_is_refused() {
        assert_eq!(
            command_error(&log_as_launch(json!({}))),
            CommandError::MissingTargetMessage
        );
    }

    fn autocomplete(name: &str, options: Value) -> Value {
        guild_interaction(4, slash(name, options))
    }

    #[test]
    fn unship_autocomplete_carries_what_was_typed() {
        let value = autocomplete(
            "unship",
            json!([{"type": 3, "name": "launch", "value": "dash", "focused": true}]),
        );
        let Ok(Incoming::Autocomplete(request)) = parse_value(&value) else {
            panic!()
        };
        assert_eq!(request.command, CommandName::Unship);
        assert_eq!(request.focused, "dash");
        assert_eq!(request.invoker.id, Id::new(53908232506183680));
        assert_eq!(request.guild_id, Some(Id::new(290926798626357999)));
    }

    #[test]
    fn autocomplete_for_a_command_without_suggestions_is_refused() {
        let value = autocomplete(
            "ship",
            json!([{"type": 3, "name": "text", "value": "x", "focused": true}]),
        );
        assert!(matches!(
            parse_value(&value),
            Err(InteractionError::BadAutocomplete(
                CommandError::NotAutocompletable {
                    command: CommandName::Ship
                }
            ))
        ));
    }

    #[test]
    fn autocomplete_without_a_focused_option_is_refused() {
        let value = autocomplete("unship", json!([string_option("launch", "x")]));
        assert!(matches!(
            parse_value(&value),
            Err(InteractionError::BadAutocomplete(
                CommandError::NoFocusedOption
            ))
        ));
    }

    /// twilight-model's full reading of a payload: the reference the lean structs are held to.
    fn full_reading(value: &Value) -> Interaction {
        serde_json::from_value(value.clone()).expect("a payload twilight-model accepts")
    }

    #[test]
    fn the_lean_reading_agrees_with_twilight_models_full_interaction() {
        let mut nicknamed = ship(json!([string_option("text", "x")]));
        nicknamed["member"]["nick"] = json!("Mace");
        nicknamed["member"]["permissions"] = json!("2048");
        let log = log_as_launch(json!({
            "867793854505943041": documented_message(user("167348773423415296", "ian", Some("Ian")))
        }));
        for value in [
            ship(json!([string_option("text", "x")])),
            nicknamed,
            in_a_dm(ship(json!([string_option("text", "x")]))),
            profile_of_ian(),
            log,
        ] {
            let full = full_reading(&value);
            let Ok(Incoming::Command(lean)) = parse_value(&value) else {
                panic!("expected a command: {value}")
            };
            assert_eq!(lean.id, full.id);
            assert_eq!(lean.application_id, full.application_id);
            assert_eq!(lean.token, full.token);
            assert_eq!(lean.guild_id, full.guild_id);
            #[allow(deprecated, reason = "the lean reading falls back to `channel_id` too")]
            let full_channel = full
                .channel
                .as_ref()
                .map(|channel| channel.id)
                .or(full.channel_id);
            assert_eq!(Some(lean.channel_id), full_channel);
            let member = full.member.as_ref();
            let author = full.author().expect("an author");
            assert_eq!(lean.invoker.id, author.id);
            let full_name = member
                .and_then(|member| member.nick.clone())
                .or(author.global_name.clone())
                .unwrap_or(author.name.clone());
            assert_eq!(lean.invoker.display_name, full_name);
            assert_eq!(
                lean.invoker.permissions,
                member
                    .and_then(|member| member.permissions)
                    .unwrap_or_else(Permissions::empty)
            );
            let Some(InteractionData::ApplicationCommand(data)) = full.data else {
                panic!("expected command data")
            };
            let resolved = || data.resolved.as_ref().expect("resolved data");
            match lean.command {
                Command::Profile { user: Some(chosen) } => {
                    let full_user = &resolved().users[&chosen.id];
                    let nick = resolved().members[&chosen.id].nick.as_deref();
                    assert_eq!(Some(chosen.display_name.as_str()), nick);
                    assert_eq!(chosen.id, full_user.id);
                }
                Command::LogAsLaunch(target) => {
                    let message = &resolved().messages[&target.id];
                    assert_eq!(Some(target.id.cast()), data.target_id);
                    assert_eq!(target.channel_id, message.channel_id);
                    assert_eq!(target.author.id, message.author.id);
                    assert_eq!(
                        target.author.display_name,
                        message.author.global_name.clone().unwrap()
                    );
                    assert_eq!(target.author_is_bot, message.author.bot);
                    assert_eq!(target.content, message.content);
                    assert_eq!(
                        target.timestamp.timestamp_micros(),
                        message.timestamp.as_micros()
                    );
                }
                Command::Ship { .. } => {}
                other => panic!("unexpected command {other:?}"),
            }
        }
    }

    #[test]
    fn the_lean_reading_agrees_with_twilight_models_on_autocomplete() {
        let value = autocomplete(
            "unship",
            json!([{"type": 3, "name": "launch", "value": "dash", "focused": true}]),
        );
        let full = full_reading(&value);
        let Ok(Incoming::Autocomplete(lean)) = parse_value(&value) else {
            panic!("expected an autocomplete request")
        };
        assert_eq!(lean.guild_id, full.guild_id);
        assert_eq!(Some(lean.invoker.id), full.author_id());
        let Some(InteractionData::ApplicationCommand(data)) = full.data else {
            panic!("expected command data")
        };
        assert!(data.options.iter().any(|option| {
            option.value
                == CommandOptionValue::Focused(lean.focused.clone(), CommandOptionType::String)
        }));
    }
}
