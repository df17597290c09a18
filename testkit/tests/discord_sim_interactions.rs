//! Signed interactions: the sim's signatures (ed25519-dalek) verify with `ed25519-compact`, the
//! implementation the edge uses, and every deliberately bad one does not; each interaction kind
//! deserialises as a `twilight-model` Interaction; delivery reports what an endpoint answered and
//! whether Discord would accept it.
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use shiptrack_testkit::discord_sim::config::permissions;
use shiptrack_testkit::discord_sim::{
    DiscordSim, InteractionKind, RunningSim, SignatureFault, SimConfig, ids,
};
use twilight_model::application::interaction::{
    Interaction, InteractionContextType, InteractionData, InteractionType,
};

/// The edge's check, written against `ed25519-compact`: hex signature of timestamp + body, and a
/// timestamp within five minutes.
fn verifies(public_key_hex: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(signature), Some(timestamp)) = (
        header("x-signature-ed25519"),
        header("x-signature-timestamp"),
    ) else {
        return false;
    };
    let Ok(sent_at) = timestamp.parse::<u64>() else {
        return false;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if now.abs_diff(sent_at) > 300 {
        return false;
    }
    let key =
        ed25519_compact::PublicKey::from_slice(&hex::decode(public_key_hex).unwrap()).unwrap();
    let Ok(signature) = hex::decode(signature)
        .map_err(|_| ())
        .and_then(|s| ed25519_compact::Signature::from_slice(&s).map_err(|_| ()))
    else {
        return false;
    };
    let mut message = timestamp.as_bytes().to_vec();
    message.extend_from_slice(body);
    key.verify(message, &signature).is_ok()
}

/// A minimal interactions endpoint: 401 unless the signature verifies, then a fitting response.
async fn endpoint(public_key: String, strict: bool) -> (String, tokio::task::JoinHandle<()>) {
    let app = Router::new().route(
        "/interactions",
        post(move |headers: HeaderMap, body: Bytes| {
            let public_key = public_key.clone();
            async move {
                if strict && !verifies(&public_key, &headers, &body) {
                    return (StatusCode::UNAUTHORIZED, "invalid request signature".to_owned());
                }
                let interaction: Value = serde_json::from_slice(&body).unwrap();
                let response = match interaction["type"].as_u64() {
                    Some(1) => json!({"type": 1}),
                    Some(4) => json!({"type": 8, "data": {"choices": [{"name": "rivet", "value": "1"}]}}),
                    _ => json!({"type": 4, "data": {"content": "ok", "allowed_mentions": {"parse": []}}}),
                };
                (StatusCode::OK, response.to_string())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url = format!("http://{}/interactions", listener.local_addr().unwrap());
    (
        url,
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() }),
    )
}

async fn sim() -> RunningSim {
    DiscordSim::start(SimConfig {
        public_key_seed: Some([9; 32]),
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

fn parse(body: &str) -> Interaction {
    serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("not a twilight Interaction ({e}): {body}"))
}

#[tokio::test]
async fn a_seeded_sim_has_a_fixed_public_key_and_its_signatures_verify_with_ed25519_compact() {
    let (a, b) = (sim().await, sim().await);
    assert_eq!(a.public_key_hex(), b.public_key_hex());
    let control = a.control();
    let body = br#"{"type":1}"#;
    let timestamp = (ids::now_ms() / 1000).to_string();
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-signature-ed25519",
        control.sign(body, &timestamp).parse().unwrap(),
    );
    headers.insert("x-signature-timestamp", timestamp.parse().unwrap());
    assert!(verifies(&a.public_key_hex(), &headers, body));
    assert!(!verifies(&a.public_key_hex(), &headers, br#"{"type":2}"#));
}

#[tokio::test]
async fn a_correctly_signed_interaction_passes_and_every_bad_signature_is_refused() {
    let sim = sim().await;
    let (url, _server) = endpoint(sim.public_key_hex(), true).await;
    let control = sim.control();
    control.set_interactions_url(&url);
    let interaction = control
        .interaction(InteractionKind::Ship {
            text: "shipped the thing".into(),
            url: None,
        })
        .build()
        .unwrap();
    let reply = control.deliver(&interaction).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.problems.is_empty(), "{:?}", reply.problems);
    for fault in SignatureFault::ALL {
        let reply = control
            .deliver_with_fault(&interaction, fault)
            .await
            .unwrap();
        assert_eq!(reply.status, 401, "{fault:?} was accepted");
        assert!(reply.problems.is_empty(), "{fault:?}: {:?}", reply.problems);
    }
    let records = control.interactions();
    assert_eq!(records.len(), 1 + SignatureFault::ALL.len());
    assert_eq!(records[1].signature_fault, Some(SignatureFault::ALL[0]));
}

#[tokio::test]
async fn an_endpoint_that_accepts_bad_signatures_fails_discords_save_check() {
    let sim = sim().await;
    let (strict_url, _strict) = endpoint(sim.public_key_hex(), true).await;
    let (lenient_url, _lenient) = endpoint(sim.public_key_hex(), false).await;
    let check = sim.control().endpoint_check(&strict_url).await.unwrap();
    assert!(check.accepted, "{check:?}");
    assert_eq!(check.valid_ping.json, Some(json!({"type": 1})));
    let check = sim.control().endpoint_check(&lenient_url).await.unwrap();
    assert!(!check.accepted);
    assert!(check.invalid_ping.problems[0].contains("401"));
}

#[tokio::test]
async fn a_wrong_answer_is_reported_as_a_problem() {
    let sim = sim().await;
    let (url, _server) = endpoint(sim.public_key_hex(), true).await;
    let control = sim.control();
    control.set_interactions_url(&url);
    let autocomplete = control
        .interaction(InteractionKind::UnshipAutocomplete {
            partial: "ri".into(),
        })
        .build()
        .unwrap();
    let reply = control.deliver(&autocomplete).await.unwrap();
    assert!(reply.problems.is_empty(), "{:?}", reply.problems);
    // Judged as a PING, the endpoint's answer to this command (a message) is wrong.
    let mut mislabelled = control
        .interaction(InteractionKind::Ship {
            text: "x".into(),
            url: None,
        })
        .build()
        .unwrap();
    mislabelled.kind = 1;
    let reply = control.deliver(&mislabelled).await.unwrap();
    assert_eq!(
        reply.problems.len(),
        1,
        "a message is no answer to a PING: {:?}",
        reply.problems
    );
}

#[tokio::test]
async fn delivering_without_an_interactions_url_is_a_clear_error() {
    let sim = sim().await;
    let error = sim
        .control()
        .interaction(InteractionKind::Ping)
        .send()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("interactions URL"));
}

#[tokio::test]
async fn ping_has_discords_envelope() {
    let sim = sim().await;
    let ping = sim
        .control()
        .interaction(InteractionKind::Ping)
        .build()
        .unwrap();
    let parsed = parse(&ping.body);
    assert_eq!(parsed.kind, InteractionType::Ping);
    assert_eq!(parsed.application_id.get(), ids::APPLICATION);
    assert_eq!(parsed.token, ping.token);
    let json = ping.json();
    assert_eq!(json["version"], 1);
    assert!(json.get("member").is_none() && json.get("data").is_none());
}

#[tokio::test]
async fn ship_in_a_guild_carries_member_permissions_channel_and_options() {
    let sim = sim().await;
    let ship = sim
        .control()
        .interaction(InteractionKind::Ship {
            text: "Launched rivet".into(),
            url: Some("https://rivet.dev".into()),
        })
        .build()
        .unwrap();
    let parsed = parse(&ship.body);
    assert_eq!(parsed.kind, InteractionType::ApplicationCommand);
    assert_eq!(parsed.id.get(), ship.id);
    assert_eq!(parsed.guild_id.map(|g| g.get()), Some(ids::GUILD));
    assert_eq!(parsed.context, Some(InteractionContextType::Guild));
    assert_eq!(
        parsed.channel.as_ref().map(|c| c.id.get()),
        Some(ids::I_SHIPPED)
    );
    assert_eq!(parsed.entitlements.len(), 0);
    assert!(parsed.app_permissions.is_some());
    assert!(parsed.user.is_none());
    let member = parsed.member.unwrap();
    assert_eq!(member.user.as_ref().map(|u| u.id.get()), Some(ids::ALICE));
    assert!(member.permissions.is_some());
    let Some(InteractionData::ApplicationCommand(data)) = parsed.data else {
        panic!("no command data")
    };
    assert_eq!(data.name, "ship");
    assert_eq!(
        data.options
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        ["text", "url"]
    );
    let json = ship.json();
    for field in [
        "locale",
        "guild_locale",
        "authorizing_integration_owners",
        "channel_id",
        "attachment_size_limit",
    ] {
        assert!(json.get(field).is_some(), "missing {field}");
    }
    assert_eq!(
        json["authorizing_integration_owners"]["0"],
        ids::GUILD.to_string()
    );
    assert!(
        ids::timestamp_ms(ship.id).abs_diff(ids::now_ms()) < 5_000,
        "interaction ids are fresh snowflakes"
    );
}

#[tokio::test]
async fn in_a_dm_the_user_is_top_level_and_there_is_no_guild() {
    let sim = sim().await;
    let ship = sim
        .control()
        .interaction(InteractionKind::Ship {
            text: "x".into(),
            url: None,
        })
        .by(ids::BOB)
        .in_dm()
        .build()
        .unwrap();
    let parsed = parse(&ship.body);
    assert_eq!(parsed.context, Some(InteractionContextType::BotDm));
    assert!(parsed.member.is_none() && parsed.guild_id.is_none());
    assert_eq!(parsed.user.map(|u| u.id.get()), Some(ids::BOB));
    assert_eq!(ship.json()["channel"]["type"], 1);
}

#[tokio::test]
async fn permissions_can_be_overridden_for_a_refusal_test() {
    let sim = sim().await;
    let control = sim.control();
    let moderator = control
        .interaction(InteractionKind::Unship { launch: "1".into() })
        .by(ids::MAYA)
        .build()
        .unwrap();
    let member_permissions = |body: &str| parse(body).member.unwrap().permissions.unwrap().bits();
    assert_ne!(
        member_permissions(&moderator.body) & permissions::MANAGE_GUILD,
        0
    );
    let member = control
        .interaction(InteractionKind::Unship { launch: "1".into() })
        .by(ids::BOB)
        .build()
        .unwrap();
    assert_eq!(
        member_permissions(&member.body) & permissions::MANAGE_GUILD,
        0
    );
    let stripped = control
        .interaction(InteractionKind::Unship { launch: "1".into() })
        .by(ids::MAYA)
        .with_permissions(0)
        .build()
        .unwrap();
    assert_eq!(member_permissions(&stripped.body), 0);
}

#[tokio::test]
async fn profile_resolves_the_user_and_member_it_names() {
    let sim = sim().await;
    let profile = sim
        .control()
        .interaction(InteractionKind::Profile {
            user_id: Some(ids::CAROL),
        })
        .build()
        .unwrap();
    let Some(InteractionData::ApplicationCommand(data)) = parse(&profile.body).data else {
        panic!("no command data")
    };
    let resolved = data.resolved.unwrap();
    assert!(resolved.users.keys().any(|id| id.get() == ids::CAROL));
    assert!(resolved.members.keys().any(|id| id.get() == ids::CAROL));
    let bare = sim
        .control()
        .interaction(InteractionKind::Profile { user_id: None })
        .build()
        .unwrap();
    assert!(bare.json()["data"].get("options").is_none());
}

#[tokio::test]
async fn leaderboard_unship_digest_and_autocomplete_have_their_options() {
    let sim = sim().await;
    let control = sim.control();
    let options = |kind: InteractionKind| {
        let interaction = control.interaction(kind).build().unwrap();
        parse(&interaction.body);
        interaction.json()["data"]["options"].clone()
    };
    assert_eq!(
        options(InteractionKind::Leaderboard {
            period: Some("month".into())
        }),
        json!([{"name": "period", "type": 3, "value": "month"}])
    );
    assert_eq!(
        options(InteractionKind::Unship {
            launch: "42".into()
        }),
        json!([{"name": "launch", "type": 3, "value": "42"}])
    );
    assert_eq!(
        options(InteractionKind::DigestPreview),
        json!([{"name": "preview", "type": 1, "options": []}])
    );
    assert_eq!(
        options(InteractionKind::UnshipAutocomplete {
            partial: "ri".into()
        }),
        json!([{"name": "launch", "type": 3, "value": "ri", "focused": true}])
    );
    let autocomplete = control
        .interaction(InteractionKind::UnshipAutocomplete {
            partial: "ri".into(),
        })
        .build()
        .unwrap();
    assert_eq!(
        parse(&autocomplete.body).kind,
        InteractionType::ApplicationCommandAutocomplete
    );
    let custom = control
        .interaction(InteractionKind::Command {
            name: "frobnicate".into(),
            options: vec![],
        })
        .build()
        .unwrap();
    assert_eq!(custom.json()["data"]["name"], "frobnicate");
}

#[tokio::test]
async fn log_as_launch_resolves_the_target_message_with_its_content() {
    let sim = sim().await;
    let control = sim.control();
    let message = control
        .post_message(
            ids::I_SHIPPED,
            ids::CAROL,
            "We launched quarry https://quarry.dev",
        )
        .unwrap();
    let command = control
        .interaction(InteractionKind::LogAsLaunch {
            message_id: message,
        })
        .by(ids::MAYA)
        .build()
        .unwrap();
    let Some(InteractionData::ApplicationCommand(data)) = parse(&command.body).data else {
        panic!("no command data")
    };
    assert_eq!(data.name, "Log as launch");
    assert_eq!(data.target_id.map(|t| t.get()), Some(message));
    let target = &data.resolved.unwrap().messages[&twilight_model::id::Id::new(message)];
    assert_eq!(target.content, "We launched quarry https://quarry.dev");
    assert_eq!(target.author.id.get(), ids::CAROL);
    let missing = control
        .interaction(InteractionKind::LogAsLaunch { message_id: 1 })
        .build();
    assert!(missing.is_err());
}

#[tokio::test]
async fn each_interaction_has_its_own_id_and_token_and_the_token_opens_the_webhook() {
    let sim = sim().await;
    let control = sim.control();
    let a = control
        .interaction(InteractionKind::DigestPreview)
        .by(ids::MAYA)
        .build()
        .unwrap();
    let b = control
        .interaction(InteractionKind::DigestPreview)
        .by(ids::MAYA)
        .build()
        .unwrap();
    assert_ne!(a.id, b.id);
    assert_ne!(a.token, b.token);
    let url = format!(
        "{}/webhooks/{}/{}/messages/@original",
        sim.api_base(),
        sim.application_id(),
        b.token
    );
    let response = reqwest::Client::new()
        .patch(url)
        .json(&json!({"content": "preview"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    sim.control()
        .wait_until(|c| c.webhook_edits().len() == 1, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(control.webhook_edits()[0].interaction_id, b.id);
}
