//! ShipTrack's application commands as data: the body of Discord's bulk overwrite
//! (`PUT /applications/{id}/commands`) and the names the interaction parser dispatches on.
//!
//! Registration serialises [`COMMANDS`]; the parser matches on [`CommandName`] and the
//! option-name constants below, so a command cannot be registered under one name and parsed
//! under another. Plain serde structs rather than twilight's `Command` keep the body to
//! exactly the documented registration fields (twilight's adds `version`, which only
//! Discord assigns).

use serde::Serialize;
use twilight_model::{
    application::{
        command::{CommandOptionType, CommandType},
        interaction::InteractionContextType,
    },
    guild::Permissions,
    oauth::ApplicationIntegrationType,
};

use crate::period::Period;

/// Discord's cap on a string option's length; `/ship text` is held to a tighter one.
pub const DISCORD_STRING_OPTION_MAX: usize = 6000;
/// Longest `/ship text` accepted, in characters.
pub const SHIP_TEXT_MAX: usize = 1000;

/// Option names, shared by the definitions and the parser.
pub mod option {
    pub const TEXT: &str = "text";
    pub const URL: &str = "url";
    pub const USER: &str = "user";
    pub const PERIOD: &str = "period";
    pub const LAUNCH: &str = "launch";
    /// The one subcommand of `/digest`.
    pub const PREVIEW: &str = "preview";
}

/// Every command ShipTrack registers, by the name Discord sends back in an interaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommandName {
    Ship,
    Profile,
    Leaderboard,
    Unship,
    Digest,
    LogAsLaunch,
}

impl CommandName {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ship => "ship",
            Self::Profile => "profile",
            Self::Leaderboard => "leaderboard",
            Self::Unship => "unship",
            Self::Digest => "digest",
            // Message commands are named as the context menu shows them.
            Self::LogAsLaunch => "Log as launch",
        }
    }

    /// The command registered under `name` with type `kind`; names are unique per type only,
    /// so both must match.
    pub fn find(name: &str, kind: CommandType) -> Option<Self> {
        COMMANDS
            .iter()
            .find(|definition| definition.name.as_str() == name && definition.kind == kind)
            .map(|definition| definition.name)
    }
}

impl Serialize for CommandName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The `/leaderboard period` choices, in the order the menu shows them.
pub const PERIOD_CHOICES: [(&str, Period); 4] = [
    ("week", Period::Week),
    ("month", Period::Month),
    ("quarter", Period::Quarter),
    ("all", Period::All),
];

/// The period `/leaderboard` ranks over when the member picks none.
pub const DEFAULT_PERIOD: Period = Period::Week;

/// One application command, as Discord's registration body describes it.
#[derive(Clone, Debug, Serialize)]
pub struct CommandDefinition {
    pub name: CommandName,
    #[serde(rename = "type")]
    pub kind: CommandType,
    /// Empty for message commands, as Discord requires.
    pub description: &'static str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub options: &'static [OptionDefinition],
    /// `None` serialises as `null`: every member may use the command.
    pub default_member_permissions: Option<Permissions>,
    pub integration_types: &'static [ApplicationIntegrationType],
    pub contexts: &'static [InteractionContextType],
    /// Discord's older spelling of `contexts`, kept in agreement with it.
    pub dm_permission: bool,
}

/// One option (or subcommand) of a command.
#[derive(Clone, Debug, Serialize)]
pub struct OptionDefinition {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub kind: CommandOptionType,
    pub description: &'static str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u16>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub choices: &'static [ChoiceDefinition],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub autocomplete: bool,
}

/// A fixed choice of a string option.
#[derive(Clone, Debug, Serialize)]
pub struct ChoiceDefinition {
    pub name: &'static str,
    pub value: &'static str,
}

const IN_SERVERS: &[InteractionContextType] = &[InteractionContextType::Guild];
/// `/ship` is offered in the bot's DMs too, so a member who tries it there is told where it
/// works instead of finding no command at all.
const IN_SERVERS_AND_BOT_DMS: &[InteractionContextType] =
    &[InteractionContextType::Guild, InteractionContextType::BotDm];
const GUILD_INSTALL: &[ApplicationIntegrationType] = &[ApplicationIntegrationType::GuildInstall];

/// An optional option; required ones override `required`.
const fn optional(
    name: &'static str,
    kind: CommandOptionType,
    description: &'static str,
) -> OptionDefinition {
    OptionDefinition {
        name,
        kind,
        description,
        required: false,
        max_length: None,
        choices: &[],
        autocomplete: false,
    }
}

/// A guild-only command any member may use; the definitions below override what differs.
const fn command(
    name: CommandName,
    kind: CommandType,
    description: &'static str,
    options: &'static [OptionDefinition],
) -> CommandDefinition {
    CommandDefinition {
        name,
        kind,
        description,
        options,
        default_member_permissions: None,
        integration_types: GUILD_INSTALL,
        contexts: IN_SERVERS,
        dm_permission: false,
    }
}

/// Every command, in registration order.
pub static COMMANDS: [CommandDefinition; 6] = [
    CommandDefinition {
        contexts: IN_SERVERS_AND_BOT_DMS,
        dm_permission: true,
        ..command(
            CommandName::Ship,
            CommandType::ChatInput,
            "Log something you shipped",
            &[
                OptionDefinition {
                    required: true,
                    max_length: Some(SHIP_TEXT_MAX as u16),
                    ..optional(
                        option::TEXT,
                        CommandOptionType::String,
                        "What did you ship?",
                    )
                },
                optional(
                    option::URL,
                    CommandOptionType::String,
                    "A link to it (http or https)",
                ),
            ],
        )
    },
    command(
        CommandName::Profile,
        CommandType::ChatInput,
        "Show a member's launches",
        &[optional(
            option::USER,
            CommandOptionType::User,
            "Whose launches (default: yours)",
        )],
    ),
    command(
        CommandName::Leaderboard,
        CommandType::ChatInput,
        "The most active shippers",
        &[OptionDefinition {
            choices: &[
                ChoiceDefinition {
                    name: "Last 7 days",
                    value: PERIOD_CHOICES[0].0,
                },
                ChoiceDefinition {
                    name: "Last 30 days",
                    value: PERIOD_CHOICES[1].0,
                },
                ChoiceDefinition {
                    name: "Last 90 days",
                    value: PERIOD_CHOICES[2].0,
                },
                ChoiceDefinition {
                    name: "All time",
                    value: PERIOD_CHOICES[3].0,
                },
            ],
            ..optional(
                option::PERIOD,
                CommandOptionType::String,
                "Which period (default: last 7 days)",
            )
        }],
    ),
    command(
        CommandName::Unship,
        CommandType::ChatInput,
        "Remove a launch you logged",
        &[OptionDefinition {
            required: true,
            autocomplete: true,
            ..optional(
                option::LAUNCH,
                CommandOptionType::String,
                "The launch to remove",
            )
        }],
    ),
    CommandDefinition {
        default_member_permissions: Some(Permissions::MANAGE_GUILD),
        ..command(
            CommandName::Digest,
            CommandType::ChatInput,
            "The weekly digest",
            &[optional(
                option::PREVIEW,
                CommandOptionType::SubCommand,
                "Preview this week's digest (only you see it)",
            )],
        )
    },
    command(CommandName::LogAsLaunch, CommandType::Message, "", &[]),
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use twilight_model::application::command::Command;

    const ALL_NAMES: [CommandName; 6] = [
        CommandName::Ship,
        CommandName::Profile,
        CommandName::Leaderboard,
        CommandName::Unship,
        CommandName::Digest,
        CommandName::LogAsLaunch,
    ];

    #[test]
    fn registration_body_matches_discords_documented_shape() {
        let body = serde_json::to_value(&COMMANDS).unwrap();
        let guild_only = json!({"integration_types": [0], "contexts": [0], "dm_permission": false});
        let with = |command: serde_json::Value, extra: &serde_json::Value| {
            let mut command = command;
            for (key, value) in extra.as_object().unwrap() {
                command[key] = value.clone();
            }
            command
        };
        let expected = json!([
            {
                "name": "ship", "type": 1, "description": "Log something you shipped",
                "options": [
                    {"name": "text", "type": 3, "description": "What did you ship?", "required": true, "max_length": 1000},
                    {"name": "url", "type": 3, "description": "A link to it (http or https)"}
                ],
                "default_member_permissions": null,
                "integration_types": [0], "contexts": [0, 1], "dm_permission": true
            },
            with(json!({
                "name": "profile", "type": 1, "description": "Show a member's launches",
                "options": [{"name": "user", "type": 6, "description": "Whose launches (default: yours)"}],
                "default_member_permissions": null
            }), &guild_only),
            with(json!({
                "name": "leaderboard", "type": 1, "description": "The most active shippers",
                "options": [{
                    "name": "period", "type": 3, "description": "Which period (default: last 7 days)",
                    "choices": [
                        {"name": "Last 7 days", "value": "week"},
                        {"name": "Last 30 days", "value": "month"},
                        {"name": "Last 90 days", "value": "quarter"},
                        {"name": "All time", "value": "all"}
                    ]
                }],
                "default_member_permissions": null
            }), &guild_only),
            with(json!({
                "name": "unship", "type": 1, "description": "Remove a launch you logged",
                "options": [{"name": "launch", "type": 3, "description": "The launch to remove", "required": true, "autocomplete": true}],
                "default_member_permissions": null
            }), &guild_only),
            with(json!({
                "name": "digest", "type": 1, "description": "The weekly digest",
                "options": [{"name": "preview", "type": 1, "description": "Preview this week's digest (only you see it)"}],
                "default_member_permissions": "32"
            }), &guild_only),
            with(json!({
                "name": "Log as launch", "type": 3, "description": "",
                "default_member_permissions": null
            }), &guild_only),
        ]);
        assert_eq!(body, expected);
    }

    #[test]
    fn registration_body_reads_back_as_twilight_commands() {
        // Discord answers the PUT with each command plus the ids and version it assigned;
        // adding those lets twilight's own model read our body as Discord would echo it.
        let mut body = serde_json::to_value(&COMMANDS).unwrap();
        for (index, command) in body.as_array_mut().unwrap().iter_mut().enumerate() {
            command["id"] = json!((1000 + index).to_string());
            command["application_id"] = json!("999");
            command["version"] = json!("1");
        }
        let commands: Vec<Command> = serde_json::from_value(body).unwrap();

        assert_eq!(commands.len(), COMMANDS.len());
        let ship = &commands[0];
        assert_eq!(ship.name, "ship");
        assert_eq!(ship.options[0].max_length, Some(1000));
        assert_eq!(ship.options[0].required, Some(true));
        assert_eq!(commands[3].options[0].autocomplete, Some(true));
        assert_eq!(
            commands[4].default_member_permissions,
            Some(Permissions::MANAGE_GUILD)
        );
        assert_eq!(commands[4].options[0].kind, CommandOptionType::SubCommand);
        assert_eq!(commands[5].kind, CommandType::Message);
        assert_eq!(
            commands[5].contexts,
            Some(vec![InteractionContextType::Guild])
        );
    }

    #[test]
    fn every_command_name_has_exactly_one_definition() {
        for name in ALL_NAMES {
            let count = COMMANDS
                .iter()
                .filter(|definition| definition.name == name)
                .count();
            assert_eq!(count, 1, "{name:?}");
        }
        assert_eq!(COMMANDS.len(), ALL_NAMES.len());
    }

    #[test]
    fn names_are_found_by_name_and_type() {
        assert_eq!(
            CommandName::find("ship", CommandType::ChatInput),
            Some(CommandName::Ship)
        );
        assert_eq!(
            CommandName::find("Log as launch", CommandType::Message),
            Some(CommandName::LogAsLaunch)
        );
        assert_eq!(CommandName::find("ship", CommandType::Message), None);
        assert_eq!(CommandName::find("Ship", CommandType::ChatInput), None);
        assert_eq!(CommandName::find("deploy", CommandType::ChatInput), None);
    }

    #[test]
    fn definitions_respect_discords_registration_limits() {
        for command in &COMMANDS {
            let name = command.name.as_str();
            assert!((1..=32).contains(&name.chars().count()), "{name}");
            if command.kind == CommandType::ChatInput {
                // Chat command and option names: lowercase, `-` or `_`, no spaces.
                assert!(
                    name.chars()
                        .all(|c| c.is_ascii_lowercase() || c == '-' || c == '_'),
                    "{name}"
                );
                assert!(
                    (1..=100).contains(&command.description.chars().count()),
                    "{name}"
                );
            } else {
                assert!(command.description.is_empty(), "{name}");
                assert!(command.options.is_empty(), "{name}");
            }
            assert_eq!(
                command.dm_permission,
                command.contexts.contains(&InteractionContextType::BotDm),
                "{name}: dm_permission and contexts disagree"
            );
            for option in command.options {
                assert!(
                    option.name.chars().all(|c| c.is_ascii_lowercase()),
                    "{}",
                    option.name
                );
                assert!((1..=100).contains(&option.description.chars().count()));
                // Discord refuses an option with both autocomplete and fixed choices.
                assert!(!option.autocomplete || option.choices.is_empty());
                assert!(
                    option
                        .max_length
                        .is_none_or(|max| usize::from(max) <= DISCORD_STRING_OPTION_MAX)
                );
            }
        }
    }

    #[test]
    fn period_choices_cover_every_period_in_serde_spelling() {
        for (value, period) in PERIOD_CHOICES {
            assert_eq!(serde_json::to_value(period).unwrap(), json!(value));
        }
    }

    #[test]
    fn period_menu_shows_each_periods_own_label() {
        let leaderboard = COMMANDS
            .iter()
            .find(|definition| definition.name == CommandName::Leaderboard)
            .unwrap();
        let shown = leaderboard.options[0].choices;
        assert_eq!(shown.len(), PERIOD_CHOICES.len());
        for (choice, (value, period)) in shown.iter().zip(PERIOD_CHOICES) {
            assert_eq!(choice.value, value);
            assert!(
                choice.name.eq_ignore_ascii_case(period.label()),
                "{}",
                choice.name
            );
        }
    }
}
