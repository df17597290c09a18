//! The simulator's REST API seen through `reqwest`, as the gateway worker and the edge see it:
//! auth, validation with Discord's error shapes, nonce idempotency, reactions, webhooks, command
//! registration, rate-limit headers and 429s, scripted faults, and the record of every call.
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use shiptrack_testkit::discord_sim::{
    AuthCheck, DiscordSim, InteractionKind, RateLimitRule, RateLimits, RestFault, RunningSim,
    SimConfig, WebhookTarget, ids,
};

const TOKEN: &str = "Bot sim-bot-token";

async fn start(config: SimConfig) -> (RunningSim, Client) {
    (
        DiscordSim::start(config).await.expect("sim starts"),
        Client::new(),
    )
}

async fn unlimited() -> (RunningSim, Client) {
    start(SimConfig {
        rate_limits: RateLimits::disabled(),
        ..SimConfig::default()
    })
    .await
}

async fn post_message(
    client: &Client,
    sim: &RunningSim,
    channel: u64,
    body: Value,
) -> reqwest::Response {
    client
        .post(format!("{}/channels/{channel}/messages", sim.api_base()))
        .header("authorization", TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn gateway_bot_gives_the_gateway_url_shards_and_session_start_limit() {
    let (sim, client) = start(SimConfig {
        recommended_shards: 4,
        ..SimConfig::default()
    })
    .await;
    let response = client
        .get(format!("{}/gateway/bot", sim.api_base()))
        .header("authorization", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["url"], sim.gateway_url());
    assert_eq!(body["shards"], 4);
    let limit = &body["session_start_limit"];
    assert_eq!(
        (
            limit["total"].as_u64(),
            limit["remaining"].as_u64(),
            limit["max_concurrency"].as_u64()
        ),
        (Some(1000), Some(1000), Some(1))
    );
    assert!(limit["reset_after"].as_u64().unwrap() > 86_000_000);
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_401_with_discords_body_and_is_recorded() {
    let (sim, client) = unlimited().await;
    let url = format!("{}/gateway/bot", sim.api_base());
    let missing = client.get(&url).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        missing.json::<Value>().await.unwrap(),
        json!({"code": 0, "message": "401: Unauthorized"})
    );
    let wrong = client
        .get(&url)
        .header("authorization", "Bot nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let bare = client
        .get(&url)
        .header("authorization", "sim-bot-token")
        .send()
        .await
        .unwrap();
    assert_eq!(
        bare.status(),
        StatusCode::UNAUTHORIZED,
        "the Bot prefix is required"
    );
    let auths: Vec<AuthCheck> = sim.control().rest_calls().iter().map(|c| c.auth).collect();
    assert_eq!(
        auths,
        [AuthCheck::Missing, AuthCheck::Invalid, AuthCheck::Invalid]
    );
}

#[tokio::test]
async fn posting_a_message_records_content_allowed_mentions_and_answers_a_message_object() {
    let (sim, client) = unlimited().await;
    let body = json!({"content": "This week we shipped: <@1> @everyone", "allowed_mentions": {"parse": []}});
    let response = post_message(&client, &sim, ids::ANNOUNCEMENTS, body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let message: twilight_model::channel::Message = response.json().await.unwrap();
    assert_eq!(message.channel_id.get(), ids::ANNOUNCEMENTS);
    assert!(message.author.bot);
    let posted = sim.control().posted_messages(ids::ANNOUNCEMENTS);
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].id, message.id.get());
    assert_eq!(posted[0].allowed_mentions, Some(json!({"parse": []})));
    assert!(sim.control().posted_messages(ids::I_SHIPPED).is_empty());
}

#[tokio::test]
async fn content_over_2000_characters_is_a_50035_and_creates_nothing() {
    let (sim, client) = unlimited().await;
    let response = post_message(
        &client,
        &sim,
        ids::ANNOUNCEMENTS,
        json!({"content": "x".repeat(2001)}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], 50035);
    assert_eq!(body["message"], "Invalid Form Body");
    assert_eq!(
        body["errors"]["content"]["_errors"][0]["code"],
        "BASE_TYPE_MAX_LENGTH"
    );
    assert!(sim.control().all_posted_messages().is_empty());
    assert_eq!(sim.control().rest_calls()[0].status, 400);
}

#[tokio::test]
async fn unknown_channels_invalid_json_and_empty_messages_get_discords_codes() {
    let (sim, client) = unlimited().await;
    let unknown = post_message(&client, &sim, 42, json!({"content": "hi"})).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(unknown.json::<Value>().await.unwrap()["code"], 10003);
    let broken = client
        .post(format!(
            "{}/channels/{}/messages",
            sim.api_base(),
            ids::ANNOUNCEMENTS
        ))
        .header("authorization", TOKEN)
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.json::<Value>().await.unwrap()["code"], 50109);
    let empty = post_message(&client, &sim, ids::ANNOUNCEMENTS, json!({"content": ""})).await;
    assert_eq!(empty.json::<Value>().await.unwrap()["code"], 50006);
    let not_a_snowflake = client
        .post(format!("{}/channels/general/messages", sim.api_base()))
        .header("authorization", TOKEN)
        .json(&json!({"content": "x"}))
        .send()
        .await
        .unwrap();
    let body: Value = not_a_snowflake.json().await.unwrap();
    assert_eq!(
        body["errors"]["channel_id"]["_errors"][0]["code"],
        "NUMBER_TYPE_COERCE"
    );
}

#[tokio::test]
async fn the_same_nonce_with_enforce_nonce_returns_the_first_message_instead_of_a_second() {
    let (sim, client) = unlimited().await;
    let body =
        json!({"content": "digest part 1", "nonce": "digest-2026-48-1", "enforce_nonce": true});
    let first: Value = post_message(&client, &sim, ids::ANNOUNCEMENTS, body.clone())
        .await
        .json()
        .await
        .unwrap();
    let retry: Value = post_message(&client, &sim, ids::ANNOUNCEMENTS, body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["id"], retry["id"]);
    assert_eq!(first["nonce"], "digest-2026-48-1");
    assert_eq!(sim.control().posted_messages(ids::ANNOUNCEMENTS).len(), 1);
    let unenforced = json!({"content": "digest part 1", "nonce": "digest-2026-48-1"});
    let third: Value = post_message(&client, &sim, ids::ANNOUNCEMENTS, unenforced)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(
        third["id"], first["id"],
        "without enforce_nonce the nonce does not deduplicate"
    );
}

#[tokio::test]
async fn a_reaction_with_a_url_encoded_emoji_is_recorded_decoded() {
    let (sim, client) = unlimited().await;
    let control = sim.control();
    let message = control
        .post_message(ids::I_SHIPPED, ids::ALICE, "shipped https://x.dev")
        .unwrap();
    let url = format!(
        "{}/channels/{}/messages/{message}/reactions/%F0%9F%9A%80/@me",
        sim.api_base(),
        ids::I_SHIPPED
    );
    let response = client
        .put(&url)
        .header("authorization", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let reactions = control.reactions();
    assert_eq!(reactions.len(), 1);
    assert_eq!(
        (
            reactions[0].channel_id,
            reactions[0].message_id,
            reactions[0].emoji.as_str()
        ),
        (ids::I_SHIPPED, message, "🚀")
    );
    let unknown = client
        .put(format!(
            "{}/channels/{}/messages/1/reactions/%F0%9F%9A%80/@me",
            sim.api_base(),
            ids::I_SHIPPED
        ))
        .header("authorization", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.json::<Value>().await.unwrap()["code"], 10008);
    assert_eq!(control.reactions().len(), 1);
}

#[tokio::test]
async fn message_routes_carry_discords_rate_limit_headers_and_answer_429_past_the_limit() {
    let limits = RateLimits {
        create_message: RateLimitRule::new(2, Duration::from_secs(2)),
        ..RateLimits::default()
    };
    let (sim, client) = start(SimConfig {
        rate_limits: limits,
        ..SimConfig::default()
    })
    .await;
    let first = post_message(&client, &sim, ids::ANNOUNCEMENTS, json!({"content": "1"})).await;
    let headers = first.headers();
    assert_eq!(headers["x-ratelimit-limit"], "2");
    assert_eq!(headers["x-ratelimit-remaining"], "1");
    assert!(
        headers["x-ratelimit-reset-after"]
            .to_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
            > 1.5
    );
    assert!(
        headers["x-ratelimit-reset"]
            .to_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
            > 1.7e9
    );
    let bucket = headers["x-ratelimit-bucket"].clone();
    post_message(&client, &sim, ids::ANNOUNCEMENTS, json!({"content": "2"})).await;
    let limited = post_message(&client, &sim, ids::ANNOUNCEMENTS, json!({"content": "3"})).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()["x-ratelimit-bucket"], bucket);
    assert_eq!(limited.headers()["x-ratelimit-remaining"], "0");
    assert_eq!(limited.headers()["x-ratelimit-scope"], "user");
    assert_eq!(limited.headers()["retry-after"], "2");
    assert!(limited.headers().get("x-ratelimit-global").is_none());
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["message"], "You are being rate limited.");
    assert_eq!(body["global"], false);
    let retry_after = body["retry_after"].as_f64().unwrap();
    assert!(retry_after > 1.0 && retry_after <= 2.0);
    assert_eq!(sim.control().posted_messages(ids::ANNOUNCEMENTS).len(), 2);

    let other_channel =
        post_message(&client, &sim, ids::GENERAL, json!({"content": "elsewhere"})).await;
    assert_eq!(
        other_channel.status(),
        StatusCode::OK,
        "buckets are per channel"
    );

    tokio::time::sleep(Duration::from_secs_f64(retry_after)).await;
    assert_eq!(
        post_message(&client, &sim, ids::ANNOUNCEMENTS, json!({"content": "3"}))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_global_limit_answers_429_with_the_global_headers() {
    let limits = RateLimits {
        global_per_second: 3,
        ..RateLimits::disabled()
    };
    let limits = RateLimits {
        enabled: true,
        create_message: RateLimitRule::new(100, Duration::from_secs(1)),
        ..limits
    };
    let (sim, client) = start(SimConfig {
        rate_limits: limits,
        ..SimConfig::default()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses
            .push(post_message(&client, &sim, ids::ANNOUNCEMENTS, json!({"content": "x"})).await);
    }
    let limited = statuses.pop().unwrap();
    assert!(statuses.iter().all(|r| r.status() == StatusCode::OK));
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()["x-ratelimit-global"], "true");
    assert_eq!(limited.headers()["x-ratelimit-scope"], "global");
    assert_eq!(limited.json::<Value>().await.unwrap()["global"], true);
}

#[tokio::test]
async fn scripted_429s_and_5xx_hit_exactly_the_matching_calls() {
    let (sim, client) = unlimited().await;
    let control = sim.control();
    control.rest_fault(
        RestFault::rate_limited("/channels", Duration::from_millis(1500), true).times(1),
    );
    control.rest_fault(RestFault::server_error("/channels", 502).times(1));
    control.rest_fault(RestFault::missing_access("/channels").only_method("POST"));
    let limited = post_message(&client, &sim, ids::ANNOUNCEMENTS, json!({"content": "x"})).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()["retry-after"], "2");
    assert_eq!(limited.headers()["x-ratelimit-global"], "true");
    assert_eq!(
        limited.json::<Value>().await.unwrap(),
        json!({"message": "You are being rate limited.", "retry_after": 1.5, "global": true})
    );
    let failed = post_message(&client, &sim, ids::ANNOUNCEMENTS, json!({"content": "x"})).await;
    assert_eq!(failed.status(), StatusCode::BAD_GATEWAY);
    let forbidden = post_message(&client, &sim, ids::ANNOUNCEMENTS, json!({"content": "x"})).await;
    assert_eq!(
        forbidden.json::<Value>().await.unwrap(),
        json!({"code": 50001, "message": "Missing Access"})
    );
    let ok = post_message(&client, &sim, ids::ANNOUNCEMENTS, json!({"content": "x"})).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let statuses: Vec<u16> = control.rest_calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, [429, 502, 403, 200]);
    assert_eq!(control.posted_messages(ids::ANNOUNCEMENTS).len(), 1);
}

#[tokio::test]
async fn a_scripted_bucket_429_carries_the_routes_spent_bucket_headers() {
    let (sim, client) = unlimited().await;
    sim.control().rest_fault(RestFault::rate_limited(
        "/channels",
        Duration::from_millis(700),
        false,
    ));
    let message = sim
        .control()
        .post_message(ids::I_SHIPPED, ids::ALICE, "x")
        .unwrap();
    let url = format!(
        "{}/channels/{}/messages/{message}/reactions/%F0%9F%9A%80/@me",
        sim.api_base(),
        ids::I_SHIPPED
    );
    let limited = client
        .put(&url)
        .header("authorization", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let headers = limited.headers();
    assert_eq!(headers["x-ratelimit-remaining"], "0");
    assert_eq!(headers["x-ratelimit-reset-after"], "0.700");
    assert_eq!(headers["x-ratelimit-scope"], "user");
    assert!(
        headers.contains_key("x-ratelimit-bucket") && !headers.contains_key("x-ratelimit-global")
    );
    assert_eq!(limited.json::<Value>().await.unwrap()["retry_after"], 0.7);
    assert!(sim.control().reactions().is_empty());
}

#[tokio::test]
async fn a_timed_fault_lasts_its_duration_and_slow_rest_delays_answers() {
    let (sim, client) = unlimited().await;
    let control = sim.control();
    control.rest_fault(
        RestFault::server_error("/gateway", 503).for_duration(Duration::from_millis(300)),
    );
    let url = format!("{}/gateway/bot", sim.api_base());
    assert_eq!(
        client
            .get(&url)
            .header("authorization", TOKEN)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        client
            .get(&url)
            .header("authorization", TOKEN)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        client
            .get(&url)
            .header("authorization", TOKEN)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    control.slow_rest(Duration::from_millis(250));
    let started = Instant::now();
    client
        .get(&url)
        .header("authorization", TOKEN)
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn webhooks_accept_only_tokens_the_sim_issued_and_record_edits_and_follow_ups() {
    let (sim, client) = unlimited().await;
    let control = sim.control();
    let interaction = control
        .interaction(InteractionKind::Ship {
            text: "shipped".into(),
            url: None,
        })
        .build()
        .unwrap();
    let base = format!(
        "{}/webhooks/{}/{}",
        sim.api_base(),
        sim.application_id(),
        interaction.token
    );

    let edit = client
        .patch(format!("{base}/messages/@original"))
        .json(&json!({"content": "🚀 Logged your ship, Alice!", "allowed_mentions": {"parse": []}}))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), StatusCode::OK);
    let edited: Value = edit.json().await.unwrap();
    assert_eq!(edited["content"], "🚀 Logged your ship, Alice!");
    let follow_up: Value = client
        .post(&base)
        .json(&json!({"content": "and one more", "flags": 64}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let follow_up_id = follow_up["id"].as_str().unwrap();
    let edit_follow_up = client
        .patch(format!("{base}/messages/{follow_up_id}"))
        .json(&json!({"content": "edited"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edit_follow_up.status(), StatusCode::OK);

    let edits = control.webhook_edits();
    assert_eq!(
        edits.iter().map(|e| e.target).collect::<Vec<_>>(),
        [WebhookTarget::Original, WebhookTarget::EditFollowUp]
    );
    assert_eq!(edits[0].interaction_id, interaction.id);
    assert_eq!(edits[0].body["allowed_mentions"], json!({"parse": []}));
    assert_eq!(control.webhook_posts().len(), 1);
    assert!(
        control
            .rest_calls()
            .iter()
            .all(|c| c.auth == AuthCheck::NotRequired)
    );

    let forged = client
        .patch(format!(
            "{}/webhooks/{}/not-issued/messages/@original",
            sim.api_base(),
            sim.application_id()
        ))
        .json(&json!({"content": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(forged.json::<Value>().await.unwrap()["code"], 50027);
    let other_app = client
        .patch(format!(
            "{}/webhooks/1/{}/messages/@original",
            sim.api_base(),
            interaction.token
        ))
        .json(&json!({"content": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(other_app.status(), StatusCode::NOT_FOUND);
    let too_long = client
        .patch(format!("{base}/messages/@original"))
        .json(&json!({"content": "x".repeat(2001)}))
        .send()
        .await
        .unwrap();
    assert_eq!(too_long.status(), StatusCode::BAD_REQUEST);
    assert_eq!(control.webhook_edits().len(), 2);
}

#[tokio::test]
async fn an_interaction_token_expires_for_the_webhook() {
    let (sim, client) = start(SimConfig {
        interaction_token_ttl: Duration::from_millis(100),
        rate_limits: RateLimits::disabled(),
        ..SimConfig::default()
    })
    .await;
    let interaction = sim
        .control()
        .interaction(InteractionKind::DigestPreview)
        .build()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let url = format!(
        "{}/webhooks/{}/{}/messages/@original",
        sim.api_base(),
        sim.application_id(),
        interaction.token
    );
    let late = client
        .patch(url)
        .json(&json!({"content": "too late"}))
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn command_registration_is_validated_recorded_and_keeps_ids_across_overwrites() {
    let (sim, client) = unlimited().await;
    let commands = json!([
        {"name": "ship", "description": "Log a launch", "options": [{"type": 3, "name": "text", "description": "What", "required": true}]},
        {"type": 3, "name": "Log as launch"}
    ]);
    let url = format!(
        "{}/applications/{}/guilds/{}/commands",
        sim.api_base(),
        sim.application_id(),
        ids::GUILD
    );
    let first: Vec<twilight_model::application::command::Command> = client
        .put(&url)
        .header("authorization", TOKEN)
        .json(&commands)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(first[0].guild_id.map(|g| g.get()), Some(ids::GUILD));
    let again: Vec<Value> = client
        .put(&url)
        .header("authorization", TOKEN)
        .json(&commands)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        again[0]["id"],
        first[0].id.unwrap().to_string(),
        "same name, same id"
    );

    let registrations = sim.control().command_registrations();
    assert_eq!(registrations.len(), 2);
    assert_eq!(registrations[0].guild_id, Some(ids::GUILD));
    assert_eq!(registrations[0].commands, commands);

    let interaction = sim
        .control()
        .interaction(InteractionKind::Ship {
            text: "x".into(),
            url: None,
        })
        .build()
        .unwrap();
    assert_eq!(
        interaction.json()["data"]["id"],
        again[0]["id"],
        "invocations carry the registered id"
    );

    let global = format!(
        "{}/applications/{}/commands",
        sim.api_base(),
        sim.application_id()
    );
    let invalid = client
        .put(&global)
        .header("authorization", TOKEN)
        .json(&json!([{"name": "Ship It", "description": "x"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
    assert!(invalid.json::<Value>().await.unwrap()["errors"]["0"]["name"]["_errors"].is_array());
    let wrong_app = client
        .put(format!("{}/applications/1/commands", sim.api_base()))
        .header("authorization", TOKEN)
        .json(&json!([]))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_app.status(), StatusCode::FORBIDDEN);
    assert_eq!(sim.control().command_registrations().len(), 2);
}

#[tokio::test]
async fn unknown_routes_are_recorded_and_answered_404_and_wrong_methods_405() {
    let (sim, client) = unlimited().await;
    let unknown = client
        .get(format!("{}/users/@me", sim.api_base()))
        .header("authorization", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.json::<Value>().await.unwrap(),
        json!({"code": 0, "message": "404: Not Found"})
    );
    let wrong_method = client
        .delete(format!(
            "{}/channels/{}/messages",
            sim.api_base(),
            ids::GENERAL
        ))
        .header("authorization", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    let calls = sim.control().rest_calls();
    assert_eq!(calls[0].path, "/users/@me");
    assert_eq!(calls[0].status, 404);
}

#[tokio::test]
async fn every_call_is_recorded_with_method_path_body_and_user_agent() {
    let (sim, client) = unlimited().await;
    client
        .post(format!(
            "{}/channels/{}/messages",
            sim.api_base(),
            ids::ANNOUNCEMENTS
        ))
        .header("authorization", TOKEN)
        .header(
            "user-agent",
            "DiscordBot (https://github.com/shiptrack/shiptrack, 0.1.0)",
        )
        .json(&json!({"content": "hello"}))
        .send()
        .await
        .unwrap();
    let call = &sim.control().rest_calls()[0];
    assert_eq!(
        (call.method.as_str(), call.path.as_str(), call.status),
        (
            "POST",
            format!("/channels/{}/messages", ids::ANNOUNCEMENTS).as_str(),
            200
        )
    );
    assert_eq!(call.body, Some(json!({"content": "hello"})));
    assert_eq!(call.auth, AuthCheck::Valid);
    assert_eq!(
        call.user_agent.as_deref(),
        Some("DiscordBot (https://github.com/shiptrack/shiptrack, 0.1.0)")
    );
}
