//! The launch rules on realistic dispatch payloads.

use std::collections::BTreeSet;

use serde_json::json;

use super::*;
use shiptrack_core::launch::ShipWords;

const SHIP_CHANNEL: u64 = 100;
const OTHER_CHANNEL: u64 = 200;
const GUILD: u64 = 10;

fn rules() -> LaunchRules {
    LaunchRules::new(
        &BTreeSet::from([Id::new(SHIP_CHANNEL)]),
        ShipWords::default(),
    )
}

fn message(channel: u64, content: &str) -> serde_json::Value {
    json!({
        "id": "1300000000000000001",
        "channel_id": channel.to_string(),
        "guild_id": GUILD.to_string(),
        "author": {"id": "42", "username": "ada", "global_name": "Ada L", "discriminator": "0", "avatar": null},
        "member": {"nick": null, "roles": [], "joined_at": "2025-01-01T00:00:00.000000+00:00", "deaf": false, "mute": false},
        "content": content,
        "timestamp": "2026-11-02T10:15:30.250000+00:00",
        "edited_timestamp": null,
        "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [],
        "attachments": [], "embeds": [], "pinned": false, "type": 0
    })
}

fn decide(event: &str, payload: &serde_json::Value) -> Effect {
    decide_json(&rules(), event, &payload.to_string()).unwrap()
}

/// What `rules` make of a dispatch's `d`, read as the shard reads it.
fn decide_json(rules: &LaunchRules, event: &str, json: &str) -> Result<Effect, serde_json::Error> {
    rules.decide(event, &mut serde_json::Deserializer::from_str(json))
}

#[test]
fn a_launch_in_a_ship_channel_is_logged_with_the_messages_own_time() {
    let Effect::Log(launch) = decide(
        "MESSAGE_CREATE",
        &message(SHIP_CHANNEL, "shipped https://ada.dev today"),
    ) else {
        panic!("not logged")
    };
    assert_eq!(launch.message_id, Id::new(1_300_000_000_000_000_001));
    assert_eq!(
        (
            launch.guild_id.get(),
            launch.channel_id.get(),
            launch.author_id.get()
        ),
        (GUILD, SHIP_CHANNEL, 42)
    );
    assert_eq!(launch.author_name, "Ada L");
    assert_eq!(launch.url, "https://ada.dev");
    assert_eq!(launch.text, "shipped https://ada.dev today");
    assert_eq!(launch.created_at, 1_793_614_530_250);
}

#[test]
fn the_member_nickname_is_preferred_then_the_global_name_then_the_username() {
    let mut payload = message(SHIP_CHANNEL, "live https://x.io");
    payload["member"]["nick"] = json!("Countess");
    let Effect::Log(launch) = decide("MESSAGE_CREATE", &payload) else {
        panic!()
    };
    assert_eq!(launch.author_name, "Countess");

    let mut payload = message(SHIP_CHANNEL, "live https://x.io");
    payload["author"]["global_name"] = json!(null);
    let Effect::Log(launch) = decide("MESSAGE_CREATE", &payload) else {
        panic!()
    };
    assert_eq!(launch.author_name, "ada");
}

#[test]
fn a_message_that_is_not_launch_shaped_is_ignored() {
    assert_eq!(
        decide("MESSAGE_CREATE", &message(SHIP_CHANNEL, "good morning")),
        Effect::Nothing
    );
    assert_eq!(
        decide("MESSAGE_CREATE", &message(SHIP_CHANNEL, "see https://x.io")),
        Effect::Nothing
    );
}

#[test]
fn a_launch_outside_the_ship_channels_is_ignored() {
    assert_eq!(
        decide(
            "MESSAGE_CREATE",
            &message(OTHER_CHANNEL, "shipped https://x.io")
        ),
        Effect::Nothing
    );
}

#[test]
fn bots_and_webhooks_are_ignored() {
    let mut from_bot = message(SHIP_CHANNEL, "shipped https://x.io");
    from_bot["author"]["bot"] = json!(true);
    assert_eq!(decide("MESSAGE_CREATE", &from_bot), Effect::Nothing);

    let mut from_webhook = message(SHIP_CHANNEL, "shipped https://x.io");
    from_webhook["webhook_id"] = json!("777");
    assert_eq!(decide("MESSAGE_CREATE", &from_webhook), Effect::Nothing);
}

#[test]
fn a_direct_message_is_ignored() {
    let mut direct = message(SHIP_CHANNEL, "shipped https://x.io");
    direct.as_object_mut().unwrap().remove("guild_id");
    assert_eq!(decide("MESSAGE_CREATE", &direct), Effect::Nothing);
}

#[test]
fn an_edit_into_a_launch_is_logged() {
    let mut edited = message(SHIP_CHANNEL, "update: it is live https://x.io");
    edited["edited_timestamp"] = json!("2026-11-02T11:00:00.000000+00:00");
    assert!(matches!(decide("MESSAGE_UPDATE", &edited), Effect::Log(_)));
}

#[test]
fn a_partial_update_without_content_or_author_is_not_a_launch() {
    let partial = json!({"id": "1300000000000000001", "channel_id": SHIP_CHANNEL.to_string(), "guild_id": GUILD.to_string(), "embeds": []});
    assert_eq!(decide("MESSAGE_UPDATE", &partial), Effect::Nothing);
}

#[test]
fn an_update_without_a_timestamp_takes_the_time_from_the_message_id() {
    let mut payload = message(SHIP_CHANNEL, "shipped https://x.io");
    payload.as_object_mut().unwrap().remove("timestamp");
    let Effect::Log(launch) = decide("MESSAGE_UPDATE", &payload) else {
        panic!()
    };
    assert_eq!(
        launch.created_at,
        (1_300_000_000_000_000_001_i64 >> 22) + DISCORD_EPOCH_MS
    );
}

#[test]
fn deletions_remove_by_message_id_in_any_channel() {
    let deleted =
        json!({"id": "55", "channel_id": OTHER_CHANNEL.to_string(), "guild_id": GUILD.to_string()});
    assert_eq!(
        decide("MESSAGE_DELETE", &deleted),
        Effect::Remove(vec![Id::new(55)])
    );
    let bulk = json!({"ids": ["55", "56"], "channel_id": SHIP_CHANNEL.to_string(), "guild_id": GUILD.to_string()});
    assert_eq!(
        decide("MESSAGE_DELETE_BULK", &bulk),
        Effect::Remove(vec![Id::new(55), Id::new(56)])
    );
}

#[test]
fn other_events_change_nothing() {
    assert_eq!(
        decide("TYPING_START", &json!({"channel_id": "100"})),
        Effect::Nothing
    );
    assert_eq!(
        decide("GUILD_CREATE", &json!({"id": "10"})),
        Effect::Nothing
    );
}

#[test]
fn a_guild_with_its_own_words_uses_them() {
    let rules = rules().with_guild_words(Id::new(GUILD), "deployed".parse().unwrap());
    let deployed = message(SHIP_CHANNEL, "deployed https://x.io").to_string();
    let shipped = message(SHIP_CHANNEL, "shipped https://x.io").to_string();
    assert!(matches!(
        decide_json(&rules, "MESSAGE_CREATE", &deployed).unwrap(),
        Effect::Log(_)
    ));
    assert_eq!(
        decide_json(&rules, "MESSAGE_CREATE", &shipped).unwrap(),
        Effect::Nothing
    );
}

#[test]
fn a_malformed_message_event_is_an_error_not_a_launch() {
    assert!(decide_json(&rules(), "MESSAGE_CREATE", r#"{"channel_id": "not-an-id"}"#).is_err());
}

#[test]
fn effects_survive_a_round_trip_through_json_for_the_spool() {
    let effect = decide(
        "MESSAGE_CREATE",
        &message(SHIP_CHANNEL, "shipped https://x.io 🚀"),
    );
    let text = serde_json::to_string(&effect).unwrap();
    assert_eq!(serde_json::from_str::<Effect>(&text).unwrap(), effect);
}
