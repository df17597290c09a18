//! Body checks Discord makes before acting: message bodies (content ≤ 2000 characters, at most
//! 10 embeds of ≤ 6000 characters in all, `nonce` ≤ 25, `allowed_mentions`) and command
//! registrations (names, descriptions, option types and order), answered with 50035 and the
//! per-field errors in Discord's shape.
use std::collections::HashSet;

use serde_json::Value;

use super::errors::{ApiError, FormErrors};

pub(crate) const MAX_CONTENT_CHARS: usize = 2000;
const MAX_EMBEDS: usize = 10;
const MAX_EMBED_TOTAL_CHARS: usize = 6000;
const MAX_NONCE_CHARS: usize = 25;

/// The parts of a message body the simulator keeps.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct MessageBody {
    pub content: Option<String>,
    pub embeds: Option<Vec<Value>>,
    pub nonce: Option<Value>,
    pub enforce_nonce: bool,
    pub allowed_mentions: Option<Value>,
}

/// Where a message body comes from decides which fields it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MessageUse {
    /// Create message, execute webhook: must not be empty.
    Create,
    /// Edit: every field optional.
    Edit,
}

fn char_len(text: &str) -> usize {
    text.chars().count()
}

fn string_len(value: &Value) -> usize {
    value.as_str().map_or(0, char_len)
}

/// Characters counted toward the 6000-character embed total.
fn embed_chars(embed: &Value) -> usize {
    let fields = embed["fields"].as_array().map_or(0, |fields| {
        fields
            .iter()
            .map(|f| string_len(&f["name"]) + string_len(&f["value"]))
            .sum()
    });
    string_len(&embed["title"])
        + string_len(&embed["description"])
        + string_len(&embed["footer"]["text"])
        + string_len(&embed["author"]["name"])
        + fields
}

pub(crate) fn message_body(body: &Value, usage: MessageUse) -> Result<MessageBody, ApiError> {
    let mut errors = FormErrors::default();
    let Some(object) = body.as_object() else {
        errors.add(
            &[],
            "DICT_TYPE_CONVERT",
            "Only dictionaries may be used in a DictType",
        );
        return Err(ApiError::InvalidForm(errors));
    };
    let mut parsed = MessageBody::default();
    match object.get("content") {
        None | Some(Value::Null) => {}
        Some(Value::String(content)) if char_len(content) > MAX_CONTENT_CHARS => {
            errors.add(
                &["content"],
                "BASE_TYPE_MAX_LENGTH",
                format!("Must be {MAX_CONTENT_CHARS} or fewer in length."),
            );
        }
        Some(Value::String(content)) => parsed.content = Some(content.clone()),
        Some(other) => errors.add(
            &["content"],
            "BASE_TYPE_STRING",
            format!("Could not interpret \"{other}\" as string."),
        ),
    }
    match object.get("embeds") {
        None | Some(Value::Null) => {}
        Some(Value::Array(embeds)) if embeds.len() > MAX_EMBEDS => {
            errors.add(
                &["embeds"],
                "BASE_TYPE_MAX_LENGTH",
                format!("Must be {MAX_EMBEDS} or fewer in length."),
            );
        }
        Some(Value::Array(embeds))
            if embeds.iter().map(embed_chars).sum::<usize>() > MAX_EMBED_TOTAL_CHARS =>
        {
            errors.add(
                &["embeds"],
                "MAX_EMBED_SIZE_EXCEEDED",
                format!("Embed size exceeds maximum size of {MAX_EMBED_TOTAL_CHARS}"),
            );
        }
        Some(Value::Array(embeds)) => parsed.embeds = Some(embeds.clone()),
        Some(_) => errors.add(
            &["embeds"],
            "LIST_TYPE_CONVERT",
            "Only iterables may be used in a ListType",
        ),
    }
    match object.get("nonce") {
        None | Some(Value::Null) => {}
        Some(Value::String(nonce)) if char_len(nonce) > MAX_NONCE_CHARS => {
            errors.add(
                &["nonce"],
                "BASE_TYPE_MAX_LENGTH",
                format!("Must be {MAX_NONCE_CHARS} or fewer in length."),
            );
        }
        Some(nonce @ (Value::String(_) | Value::Number(_))) => parsed.nonce = Some(nonce.clone()),
        Some(_) => errors.add(
            &["nonce"],
            "BASE_TYPE_STRING",
            "Could not interpret nonce as string or integer.",
        ),
    }
    match object.get("enforce_nonce") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(enforce)) => parsed.enforce_nonce = *enforce,
        Some(_) => errors.add(
            &["enforce_nonce"],
            "BASE_TYPE_BOOLEAN",
            "Must be either true or false.",
        ),
    }
    if let Some(mentions) = object.get("allowed_mentions").filter(|m| !m.is_null()) {
        let mut nested = FormErrors::default();
        allowed_mentions(mentions, &mut nested);
        if nested.is_empty() {
            parsed.allowed_mentions = Some(mentions.clone());
        }
        errors.extend_under(&["allowed_mentions"], nested);
    }
    errors.into_result()?;
    let has_content = parsed.content.as_deref().is_some_and(|c| !c.is_empty())
        || parsed.embeds.as_ref().is_some_and(|e| !e.is_empty())
        || ["components", "sticker_ids", "attachments", "poll"]
            .iter()
            .any(|k| {
                object
                    .get(*k)
                    .is_some_and(|v| v.as_array().is_none_or(|a| !a.is_empty()) && !v.is_null())
            });
    if usage == MessageUse::Create && !has_content {
        return Err(ApiError::EmptyMessage);
    }
    Ok(parsed)
}

fn allowed_mentions(mentions: &Value, errors: &mut FormErrors) {
    let Some(object) = mentions.as_object() else {
        errors.add(
            &[],
            "DICT_TYPE_CONVERT",
            "Only dictionaries may be used in a DictType",
        );
        return;
    };
    let parse: Vec<&str> = object
        .get("parse")
        .and_then(Value::as_array)
        .map(|p| p.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(values) = object.get("parse").and_then(Value::as_array) {
        for (i, value) in values.iter().enumerate() {
            if !value
                .as_str()
                .is_some_and(|v| ["roles", "users", "everyone"].contains(&v))
            {
                errors.add(
                    &["parse", &i.to_string()],
                    "ENUM_TYPE_COERCE",
                    format!("Value \"{value}\" is not a valid enum value."),
                );
            }
        }
    }
    for kind in ["users", "roles"] {
        let listed = object
            .get(kind)
            .and_then(Value::as_array)
            .is_some_and(|ids| !ids.is_empty());
        if object
            .get(kind)
            .and_then(Value::as_array)
            .is_some_and(|ids| ids.len() > 100)
        {
            errors.add(
                &[kind],
                "BASE_TYPE_MAX_LENGTH",
                "Must be 100 or fewer in length.",
            );
        }
        if listed && parse.contains(&kind) {
            errors.add(
                &[],
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                format!("parse:[\"{kind}\"] and {kind}: [ids...] are mutually exclusive."),
            );
        }
    }
}

/// Checks a bulk-overwrite body: an array of application commands.
pub(crate) fn commands(body: &Value) -> Result<Vec<Value>, ApiError> {
    let mut errors = FormErrors::default();
    let Some(commands) = body.as_array() else {
        errors.add(
            &[],
            "LIST_TYPE_CONVERT",
            "Only iterables may be used in a ListType",
        );
        return Err(ApiError::InvalidForm(errors));
    };
    let mut seen = HashSet::new();
    for (index, command) in commands.iter().enumerate() {
        let mut nested = FormErrors::default();
        let kind = command["type"].as_u64().unwrap_or(1);
        if command.get("type").is_some_and(|t| !t.is_null()) && !(1..=4).contains(&kind) {
            nested.add(
                &["type"],
                "ENUM_TYPE_COERCE",
                format!("Value \"{}\" is not a valid enum value.", command["type"]),
            );
        }
        let name = command["name"].as_str().unwrap_or_default();
        check_name(command, kind == 1, &mut nested);
        if !seen.insert((kind, name.to_owned())) {
            nested.add(
                &["name"],
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                format!("Application command names must be unique ({name})"),
            );
        }
        check_description(command, kind == 1, &mut nested);
        if let Some(permissions) = command
            .get("default_member_permissions")
            .filter(|p| !p.is_null())
            && !permissions
                .as_str()
                .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            nested.add(
                &["default_member_permissions"],
                "BASE_TYPE_STRING",
                "Must be a string of a permission bit set.",
            );
        }
        if kind == 1 {
            check_options(command, 0, &mut nested);
        } else if command["options"].as_array().is_some_and(|o| !o.is_empty()) {
            nested.add(
                &["options"],
                "APPLICATION_COMMAND_OPTIONS_FOR_NON_CHAT_INPUT",
                "Only chat input commands can have options",
            );
        }
        errors.extend_under(&[&index.to_string()], nested);
    }
    let chat_inputs = commands
        .iter()
        .filter(|c| c["type"].as_u64().unwrap_or(1) == 1)
        .count();
    if chat_inputs > 100 {
        errors.add(
            &[],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 100 or fewer in length.",
        );
    }
    errors.into_result()?;
    Ok(commands.clone())
}

/// Chat input names: 1 to 32 lowercase letters, digits, `-`, `_` or `'`. Menu commands: any 1 to 32 characters.
fn check_name(object: &Value, chat_input: bool, errors: &mut FormErrors) {
    let Some(name) = object["name"].as_str() else {
        errors.add(&["name"], "BASE_TYPE_REQUIRED", "This field is required");
        return;
    };
    let length = char_len(name);
    if !(1..=32).contains(&length) {
        errors.add(
            &["name"],
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 32 in length.",
        );
    } else if chat_input
        && !name
            .chars()
            .all(|c| (c.is_alphanumeric() && !c.is_uppercase()) || matches!(c, '-' | '_' | '\''))
    {
        errors.add(
            &["name"],
            "APPLICATION_COMMAND_INVALID_NAME",
            format!("Command name is invalid: {name}"),
        );
    }
}

fn check_description(object: &Value, required: bool, errors: &mut FormErrors) {
    let description = object["description"].as_str().unwrap_or_default();
    if required && !(1..=100).contains(&char_len(description)) {
        errors.add(
            &["description"],
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 100 in length.",
        );
    } else if !required && !description.is_empty() {
        errors.add(
            &["description"],
            "APPLICATION_COMMAND_DESCRIPTION_FOR_NON_CHAT_INPUT",
            "Only chat input commands can have a description",
        );
    }
}

/// Options of a command (`depth` 0), a subcommand group (1) or a subcommand (2).
fn check_options(parent: &Value, depth: u8, errors: &mut FormErrors) {
    let Some(options) = parent.get("options").filter(|o| !o.is_null()) else {
        return;
    };
    let Some(options) = options.as_array() else {
        errors.add(
            &["options"],
            "LIST_TYPE_CONVERT",
            "Only iterables may be used in a ListType",
        );
        return;
    };
    if options.len() > 25 {
        errors.add(
            &["options"],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 25 or fewer in length.",
        );
    }
    let mut names = HashSet::new();
    let mut optional_seen = false;
    for (index, option) in options.iter().enumerate() {
        let mut nested = FormErrors::default();
        let kind = option["type"].as_u64().unwrap_or(0);
        let nesting = kind == 1 || kind == 2;
        if !(1..=11).contains(&kind) {
            nested.add(
                &["type"],
                "ENUM_TYPE_COERCE",
                format!("Value \"{}\" is not a valid enum value.", option["type"]),
            );
        } else if (kind == 2 && depth > 0) || (kind == 1 && depth > 1) || (depth == 1 && kind != 1)
        {
            nested.add(
                &["type"],
                "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                "Subcommands nest only as command > group > subcommand",
            );
        }
        check_name(option, true, &mut nested);
        check_description(option, true, &mut nested);
        if !names.insert(option["name"].as_str().unwrap_or_default().to_owned()) {
            nested.add(
                &["name"],
                "APPLICATION_COMMAND_OPTIONS_DUPLICATE_NAME",
                "Option names must be unique",
            );
        }
        let required = option["required"].as_bool().unwrap_or(false);
        if required && optional_seen {
            nested.add(
                &["required"],
                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                "Required options must be placed before non-required options",
            );
        }
        optional_seen |= !required && !nesting;
        if let Some(choices) = option["choices"].as_array() {
            if ![3, 4, 10].contains(&kind) {
                nested.add(
                    &["choices"],
                    "APPLICATION_COMMAND_OPTION_CHOICES_INVALID",
                    "Only string, integer and number options can have choices",
                );
            }
            if choices.len() > 25 {
                nested.add(
                    &["choices"],
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 25 or fewer in length.",
                );
            }
            if option["autocomplete"].as_bool() == Some(true) && !choices.is_empty() {
                nested.add(
                    &["autocomplete"],
                    "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                    "Autocomplete cannot be set with choices",
                );
            }
            for (c, choice) in choices.iter().enumerate() {
                if !(1..=100).contains(&string_len(&choice["name"])) {
                    nested.add(
                        &["choices", &c.to_string(), "name"],
                        "BASE_TYPE_BAD_LENGTH",
                        "Must be between 1 and 100 in length.",
                    );
                }
            }
        }
        for bound in ["min_length", "max_length"] {
            if option[bound].as_u64().is_some_and(|n| n > 6000) {
                nested.add(
                    &[bound],
                    "NUMBER_TYPE_MAX",
                    "int value should be less than or equal to 6000.",
                );
            }
        }
        if nesting {
            check_options(option, if kind == 2 { 1 } else { 2 }, &mut nested);
        }
        errors.extend_under(&["options", &index.to_string()], nested);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form_errors(result: Result<impl std::fmt::Debug, ApiError>) -> String {
        match result {
            Err(ApiError::InvalidForm(errors)) => format!("{errors:?}"),
            other => panic!("expected a 50035, got {other:?}"),
        }
    }

    #[test]
    fn content_of_2000_characters_passes_and_2001_does_not() {
        let ok = message_body(&json!({"content": "é".repeat(2000)}), MessageUse::Create).unwrap();
        assert_eq!(ok.content.unwrap().chars().count(), 2000);
        assert!(
            form_errors(message_body(
                &json!({"content": "a".repeat(2001)}),
                MessageUse::Create
            ))
            .contains("BASE_TYPE_MAX_LENGTH")
        );
    }

    #[test]
    fn an_empty_create_is_refused_but_an_empty_edit_is_not() {
        assert_eq!(
            message_body(&json!({"content": ""}), MessageUse::Create),
            Err(ApiError::EmptyMessage)
        );
        assert!(message_body(&json!({}), MessageUse::Edit).is_ok());
    }

    #[test]
    fn nonce_is_kept_with_enforce_nonce_and_capped_at_25() {
        let body = message_body(
            &json!({"content": "x", "nonce": "digest-2026-w48-1", "enforce_nonce": true}),
            MessageUse::Create,
        )
        .unwrap();
        assert_eq!(body.nonce, Some(json!("digest-2026-w48-1")));
        assert!(body.enforce_nonce);
        assert!(
            form_errors(message_body(
                &json!({"content": "x", "nonce": "n".repeat(26)}),
                MessageUse::Create
            ))
            .contains("nonce")
        );
    }

    #[test]
    fn allowed_mentions_rejects_unknown_parse_values_and_exclusive_lists() {
        let body = message_body(
            &json!({"content": "x", "allowed_mentions": {"parse": []}}),
            MessageUse::Create,
        )
        .unwrap();
        assert_eq!(body.allowed_mentions, Some(json!({"parse": []})));
        assert!(
            form_errors(message_body(
                &json!({"content": "x", "allowed_mentions": {"parse": ["all"]}}),
                MessageUse::Create
            ))
            .contains("ENUM_TYPE_COERCE")
        );
        let exclusive =
            json!({"content": "x", "allowed_mentions": {"parse": ["users"], "users": ["1"]}});
        assert!(form_errors(message_body(&exclusive, MessageUse::Create)).contains("EXCLUSIVE"));
    }

    #[test]
    fn more_than_ten_embeds_or_6000_embed_characters_are_refused() {
        let eleven: Vec<Value> = (0..11).map(|_| json!({"title": "t"})).collect();
        assert!(
            form_errors(message_body(&json!({"embeds": eleven}), MessageUse::Create))
                .contains("BASE_TYPE_MAX_LENGTH")
        );
        let big = json!({"embeds": [{"description": "d".repeat(4000)}, {"description": "d".repeat(2001)}]});
        assert!(
            form_errors(message_body(&big, MessageUse::Create)).contains("MAX_EMBED_SIZE_EXCEEDED")
        );
    }

    #[test]
    fn well_formed_commands_pass() {
        let body = json!([
            {"name": "ship", "description": "Log a launch", "options": [
                {"type": 3, "name": "text", "description": "What shipped", "required": true, "max_length": 6000},
                {"type": 3, "name": "url", "description": "Link"}
            ]},
            {"name": "digest", "description": "Digest tools", "options": [
                {"type": 1, "name": "preview", "description": "Preview this week's digest"}
            ]},
            {"name": "leaderboard", "description": "Top shippers", "options": [
                {"type": 3, "name": "period", "description": "Period", "choices": [{"name": "This week", "value": "week"}]}
            ]},
            {"type": 3, "name": "Log as launch"}
        ]);
        assert_eq!(commands(&body).unwrap().len(), 4);
    }

    #[test]
    fn bad_command_names_descriptions_and_option_order_are_refused() {
        assert!(
            form_errors(commands(&json!([{"name": "Ship", "description": "x"}])))
                .contains("APPLICATION_COMMAND_INVALID_NAME")
        );
        assert!(
            form_errors(commands(&json!([{"name": "ship", "description": ""}])))
                .contains("BASE_TYPE_BAD_LENGTH")
        );
        assert!(
            form_errors(commands(
                &json!([{"type": 3, "name": "Log as launch", "description": "no"}])
            ))
            .contains("NON_CHAT_INPUT")
        );
        let order = json!([{"name": "ship", "description": "x", "options": [
            {"type": 3, "name": "url", "description": "u"},
            {"type": 3, "name": "text", "description": "t", "required": true}
        ]}]);
        assert!(form_errors(commands(&order)).contains("REQUIRED_INVALID"));
        assert!(form_errors(commands(&json!([{"name": "x", "description": "x", "options": [{"type": 12, "name": "o", "description": "o"}]}]))).contains("ENUM_TYPE_COERCE"));
    }
}
