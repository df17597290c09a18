//! Interactions shaped like Discord's documented examples, and Hrana results, for the
//! command tests.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use shiptrack_core::{interaction::parse_json, replies, response::Visibility};

use super::{Answer, Plan, Query, plan};
use crate::hrana::{ColumnValue, DbError, Row, StmtResult};

pub const GUILD: &str = "290926798626357999";
pub const CHANNEL: &str = "645027906669510667";
pub const USER: &str = "53908232506183680";
pub const INTERACTION: &str = "786008729715212338";
pub const NOW_MS: i64 = 1_764_000_000_000;
/// Manage Server (0x20) and nothing else.
pub const MANAGE_GUILD: &str = "32";

pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(NOW_MS).unwrap()
}

fn user(id: &str, username: &str, global_name: Option<&str>) -> Value {
    json!({"id": id, "username": username, "global_name": global_name, "avatar": null, "discriminator": "0"})
}

/// A guild interaction of `kind` by member Ada (no permissions) with `data`.
pub fn guild_interaction(kind: u8, data: Value) -> Value {
    json!({
        "type": kind,
        "token": "A_UNIQUE_TOKEN",
        "member": {
            "user": user(USER, "ada", Some("Ada")),
            "roles": [],
            "permissions": "0",
            "nick": null,
            "mute": false,
            "deaf": false,
            "joined_at": "2017-03-13T19:19:14.040000+00:00",
            "flags": 0
        },
        "id": INTERACTION,
        "application_id": "775799577604522054",
        "guild_id": GUILD,
        "channel_id": CHANNEL,
        "channel": {"id": CHANNEL, "type": 0, "name": "launches", "guild_id": GUILD},
        "data": data,
        "locale": "en-US",
        "app_permissions": "442368",
        "authorizing_integration_owners": {"0": GUILD},
        "context": 0,
        "entitlements": [],
        "attachment_size_limit": 10485760,
        "version": 1
    })
}

pub fn slash(name: &str, options: Value) -> Value {
    guild_interaction(
        2,
        json!({"id": "771825006014889984", "name": name, "type": 1, "options": options}),
    )
}

pub fn string_options(options: &[(&str, &str)]) -> Value {
    options
        .iter()
        .map(|(name, value)| json!({"type": 3, "name": name, "value": value}))
        .collect()
}

pub fn ship(options: &[(&str, &str)]) -> Value {
    slash("ship", string_options(options))
}

pub fn with_permissions(mut interaction: Value, permissions: &str) -> Value {
    interaction["member"]["permissions"] = json!(permissions);
    interaction
}

/// The same interaction sent from a DM: `user` instead of `member`, no guild.
pub fn in_dm(mut interaction: Value) -> Value {
    let object = interaction.as_object_mut().unwrap();
    object.remove("member");
    object.remove("guild_id");
    object.insert("user".into(), user(USER, "ada", Some("Ada")));
    object.insert("channel".into(), json!({"id": CHANNEL, "type": 1}));
    interaction
}

pub fn plan_command(interaction: Value) -> Plan {
    plan(parse_json(interaction.to_string().as_bytes()), now()).expect("a plan")
}

pub fn expect_query(plan: Plan) -> Query {
    match plan {
        Plan::Query(query) => query,
        Plan::Reply(response) => panic!("expected a query, got the reply {response:?}"),
    }
}

pub fn expect_reply(plan: Plan) -> Value {
    match plan {
        Plan::Reply(response) => serde_json::to_value(&response).unwrap(),
        Plan::Query(query) => panic!("expected a reply, got the query {query:?}"),
    }
}

pub fn statement_json(query: &Query, index: usize) -> Value {
    serde_json::to_value(&query.statements[index]).unwrap()
}

pub fn rows(rows: Vec<Vec<ColumnValue>>) -> StmtResult {
    StmtResult {
        rows: rows.into_iter().map(|values| Row { values }).collect(),
        affected_row_count: 0,
    }
}

pub fn int(value: i64) -> ColumnValue {
    ColumnValue::Integer(value)
}

pub fn txt(value: &str) -> ColumnValue {
    ColumnValue::Text(value.to_owned())
}

pub fn null() -> ColumnValue {
    ColumnValue::Null
}

pub fn unreachable() -> DbError {
    DbError::Unreachable("connection refused".to_owned())
}

pub fn database_error_answer() -> Answer {
    Answer::Message {
        content: replies::database_error(),
        visibility: Visibility::Ephemeral,
    }
}

/// A message answer's text and visibility; any other answer fails the test.
pub fn message_of(answer: Answer) -> (String, Visibility) {
    match answer {
        Answer::Message {
            content,
            visibility,
        } => (content, visibility),
        Answer::Choices(choices) => panic!("expected a message, got {choices:?}"),
    }
}
