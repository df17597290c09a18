//! Interaction responses as JSON-ready values: the HTTP answer to an interaction, and the body
//! that finishes a deferred one through `PATCH /webhooks/{app}/{token}/messages/@original`.
//!
//! Every message built here carries `allowed_mentions: {"parse": []}`, so text that contains
//! `@everyone`, a role or a user mention can never ping anyone, and is held to Discord's
//! 2000-character limit, so Discord never refuses an answer for its length.

use serde::Serialize;
use thiserror::Error;
use twilight_model::{channel::message::MessageFlags, http::interaction::InteractionResponseType};

use crate::markdown::truncate_chars;

/// Discord's limit on a message's content, in characters.
pub const MESSAGE_CONTENT_MAX: usize = 2000;
/// Discord's limit on autocomplete suggestions per answer.
pub const AUTOCOMPLETE_CHOICES_MAX: usize = 25;
/// Discord's limit on an autocomplete suggestion's name and value, in characters.
pub const CHOICE_TEXT_MAX: usize = 100;

/// Who sees a reply: the whole channel, or only the member who ran the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Ephemeral,
}

/// The answer to an interaction, serialised as the HTTP response body.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InteractionResponse {
    #[serde(rename = "type")]
    kind: InteractionResponseType,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<ResponseData>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
enum ResponseData {
    Message(MessageData),
    Choices { choices: Vec<AutocompleteChoice> },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
struct MessageData {
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_mentions: Option<AllowedMentions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flags: Option<MessageFlags>,
}

/// `{"parse": []}`: Discord pings nobody, whatever the content says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
struct AllowedMentions {
    parse: [&'static str; 0],
}

const PING_NOBODY: AllowedMentions = AllowedMentions { parse: [] };

impl InteractionResponse {
    /// The answer to Discord's PING: `{"type":1}`.
    pub fn pong() -> Self {
        Self {
            kind: InteractionResponseType::Pong,
            data: None,
        }
    }

    /// A message in reply to the command (type 4), cut to [`MESSAGE_CONTENT_MAX`] characters.
    pub fn message(content: &str, visibility: Visibility) -> Self {
        Self {
            kind: InteractionResponseType::ChannelMessageWithSource,
            data: Some(ResponseData::Message(MessageData {
                content: Some(fit_message(content)),
                allowed_mentions: Some(PING_NOBODY),
                flags: flags(visibility),
            })),
        }
    }

    /// "ShipTrack is thinking…" (type 5); the reply follows as a [`WebhookEdit`]. The
    /// visibility chosen here is the reply's: an edit cannot change it.
    pub fn deferred(visibility: Visibility) -> Self {
        Self {
            kind: InteractionResponseType::DeferredChannelMessageWithSource,
            data: flags(visibility).map(|flags| {
                ResponseData::Message(MessageData {
                    content: None,
                    allowed_mentions: None,
                    flags: Some(flags),
                })
            }),
        }
    }

    /// Autocomplete suggestions (type 8); only the first [`AUTOCOMPLETE_CHOICES_MAX`] are sent.
    pub fn autocomplete(choices: impl IntoIterator<Item = AutocompleteChoice>) -> Self {
        Self {
            kind: InteractionResponseType::ApplicationCommandAutocompleteResult,
            data: Some(ResponseData::Choices {
                choices: choices.into_iter().take(AUTOCOMPLETE_CHOICES_MAX).collect(),
            }),
        }
    }
}

fn flags(visibility: Visibility) -> Option<MessageFlags> {
    match visibility {
        Visibility::Public => None,
        Visibility::Ephemeral => Some(MessageFlags::EPHEMERAL),
    }
}

/// The last guard on length: replies are written to fit, so a cut here means a reply
/// outgrew its budget, and a shortened answer is better than one Discord refuses.
fn fit_message(content: &str) -> String {
    truncate_chars(content, MESSAGE_CONTENT_MAX).into_owned()
}

/// The body of `PATCH /webhooks/{application_id}/{token}/messages/@original`, which replaces a
/// deferred answer's "thinking…" with the reply.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WebhookEdit {
    content: String,
    allowed_mentions: AllowedMentions,
}

impl WebhookEdit {
    /// The reply, cut to [`MESSAGE_CONTENT_MAX`] characters.
    pub fn new(content: &str) -> Self {
        Self {
            content: fit_message(content),
            allowed_mentions: PING_NOBODY,
        }
    }
}

/// One autocomplete suggestion: `name` is shown, `value` comes back as the option's value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AutocompleteChoice {
    name: String,
    value: String,
}

/// Why an autocomplete suggestion could not be built.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ChoiceError {
    #[error("an autocomplete suggestion needs a name to show")]
    EmptyName,
    /// A value is never shortened: a cut value would name a different launch.
    #[error("an autocomplete value must be 1 to {CHOICE_TEXT_MAX} characters, not {chars}")]
    ValueLength { chars: usize },
}

impl AutocompleteChoice {
    /// A suggestion whose name is cut to [`CHOICE_TEXT_MAX`] characters.
    pub fn new(name: &str, value: impl Into<String>) -> Result<Self, ChoiceError> {
        let value = value.into();
        let chars = value.chars().count();
        if !(1..=CHOICE_TEXT_MAX).contains(&chars) {
            return Err(ChoiceError::ValueLength { chars });
        }
        let name = name.trim();
        if name.is_empty() {
            return Err(ChoiceError::EmptyName);
        }
        Ok(Self {
            name: truncate_chars(name, CHOICE_TEXT_MAX).into_owned(),
            value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn to_json(value: &impl Serialize) -> Value {
        serde_json::to_value(value).unwrap()
    }

    #[test]
    fn pong_is_type_1_alone() {
        assert_eq!(
            serde_json::to_string(&InteractionResponse::pong()).unwrap(),
            r#"{"type":1}"#
        );
    }

    #[test]
    fn a_public_message_pings_nobody() {
        assert_eq!(
            to_json(&InteractionResponse::message(
                "🚀 Logged @everyone",
                Visibility::Public
            )),
            json!({
                "type": 4,
                "data": {"content": "🚀 Logged @everyone", "allowed_mentions": {"parse": []}}
            })
        );
    }

    #[test]
    fn an_ephemeral_message_carries_flag_64() {
        assert_eq!(
            to_json(&InteractionResponse::message(
                "only you",
                Visibility::Ephemeral
            )),
            json!({
                "type": 4,
                "data": {"content": "only you", "allowed_mentions": {"parse": []}, "flags": 64}
            })
        );
    }

    #[test]
    fn a_deferred_answer_is_type_5_and_ephemeral_only_when_asked() {
        assert_eq!(
            to_json(&InteractionResponse::deferred(Visibility::Public)),
            json!({"type": 5})
        );
        assert_eq!(
            to_json(&InteractionResponse::deferred(Visibility::Ephemeral)),
            json!({"type": 5, "data": {"flags": 64}})
        );
    }

    #[test]
    fn a_webhook_edit_pings_nobody() {
        assert_eq!(
            to_json(&WebhookEdit::new("done <@&123>")),
            json!({"content": "done <@&123>", "allowed_mentions": {"parse": []}})
        );
    }

    #[test]
    fn autocomplete_answers_with_choices() {
        let choices = [
            AutocompleteChoice::new("Dashboard", "17").unwrap(),
            AutocompleteChoice::new("API v2", "18").unwrap(),
        ];
        assert_eq!(
            to_json(&InteractionResponse::autocomplete(choices)),
            json!({
                "type": 8,
                "data": {"choices": [
                    {"name": "Dashboard", "value": "17"},
                    {"name": "API v2", "value": "18"}
                ]}
            })
        );
    }

    #[test]
    fn autocomplete_with_nothing_to_offer_sends_an_empty_list() {
        assert_eq!(
            to_json(&InteractionResponse::autocomplete([])),
            json!({"type": 8, "data": {"choices": []}})
        );
    }

    #[test]
    fn autocomplete_sends_at_most_25_choices() {
        let choices = (0..40).map(|n| AutocompleteChoice::new("launch", n.to_string()).unwrap());
        let body = to_json(&InteractionResponse::autocomplete(choices));
        assert_eq!(body["data"]["choices"].as_array().unwrap().len(), 25);
        assert_eq!(body["data"]["choices"][24]["value"], "24");
    }

    #[test]
    fn a_long_choice_name_is_cut_at_100_characters() {
        let choice = AutocompleteChoice::new(&"ü".repeat(150), "1").unwrap();
        let name = to_json(&choice)["name"].as_str().unwrap().to_owned();
        assert_eq!(name.chars().count(), 100);
        assert!(name.ends_with('…'));
    }

    #[test]
    fn a_choice_value_outside_1_to_100_characters_is_refused() {
        assert_eq!(
            AutocompleteChoice::new("x", "7".repeat(101)),
            Err(ChoiceError::ValueLength { chars: 101 })
        );
        assert_eq!(
            AutocompleteChoice::new("x", ""),
            Err(ChoiceError::ValueLength { chars: 0 })
        );
        assert!(AutocompleteChoice::new("x", "7".repeat(100)).is_ok());
    }

    #[test]
    fn a_choice_without_a_name_is_refused() {
        assert_eq!(
            AutocompleteChoice::new("  ", "1"),
            Err(ChoiceError::EmptyName)
        );
    }

    #[test]
    fn a_message_of_exactly_2000_characters_is_sent_whole() {
        let content = "é".repeat(2000);
        let body = to_json(&InteractionResponse::message(&content, Visibility::Public));
        assert_eq!(body["data"]["content"], content);
    }

    proptest! {
        #[test]
        fn message_content_never_exceeds_2000_characters(content in ".{0,2600}") {
            for body in [
                to_json(&InteractionResponse::message(&content, Visibility::Public)),
                to_json(&InteractionResponse::message(&content, Visibility::Ephemeral)),
            ] {
                let sent = body["data"]["content"].as_str().unwrap();
                prop_assert!(sent.chars().count() <= MESSAGE_CONTENT_MAX);
                prop_assert!(content.starts_with(sent.trim_end_matches('…')));
            }
            let edit = to_json(&WebhookEdit::new(&content));
            prop_assert!(edit["content"].as_str().unwrap().chars().count() <= MESSAGE_CONTENT_MAX);
        }

        #[test]
        fn choice_names_never_exceed_100_characters(name in "\\PC{1,300}") {
            prop_assume!(!name.trim().is_empty());
            let choice = to_json(&AutocompleteChoice::new(&name, "1").unwrap());
            prop_assert!(choice["name"].as_str().unwrap().chars().count() <= CHOICE_TEXT_MAX);
        }
    }
}
