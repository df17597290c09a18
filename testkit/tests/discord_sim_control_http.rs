//! The HTTP control API under `/_sim`, as scripts drive it: JSON in and out, snowflakes as
//! strings, the same effects as `SimControl`.
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use shiptrack_testkit::discord_sim::{DiscordSim, RunningSim, SimConfig, ids};

async fn start() -> (RunningSim, Client) {
    (
        DiscordSim::start(SimConfig::default()).await.unwrap(),
        Client::new(),
    )
}

async fn call(
    client: &Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = client.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        },
    )
}

#[tokio::test]
async fn info_gives_urls_key_and_the_world_with_ids_as_strings() {
    let (sim, client) = start().await;
    let (status, info) = call(
        &client,
        reqwest::Method::GET,
        format!("{}/info", sim.control_url()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["api_base"], sim.api_base());
    assert_eq!(info["gateway_url"], sim.gateway_url());
    assert_ne!(info["resume_gateway_url"], info["gateway_url"]);
    assert_eq!(info["public_key"], sim.public_key_hex());
    assert_eq!(info["application_id"], ids::APPLICATION.to_string());
    assert_eq!(info["guilds"][0]["id"], ids::GUILD.to_string());
    assert_eq!(
        info["guilds"][0]["channels"][0],
        json!({"id": ids::I_SHIPPED.to_string(), "name": "i-shipped"})
    );
    assert!(
        info["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["bot"] == true)
    );
}

#[tokio::test]
async fn messages_can_be_posted_edited_and_deleted_and_unknown_ids_are_404() {
    let (sim, client) = start().await;
    let base = sim.control_url();
    let body = json!({"channel_id": ids::I_SHIPPED.to_string(), "author_id": ids::ALICE.to_string(), "content": "shipped https://a.dev"});
    let (status, created) = call(
        &client,
        reqwest::Method::POST,
        format!("{base}/messages"),
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &client,
        reqwest::Method::PATCH,
        format!("{base}/messages/{id}"),
        Some(json!({"content": "edited"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(
        &client,
        reqwest::Method::DELETE,
        format!("{base}/messages/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, error) = call(
        &client,
        reqwest::Method::DELETE,
        format!("{base}/messages/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(error["error"].as_str().unwrap().contains(&id));
    let numeric = json!({"channel_id": 5, "author_id": ids::ALICE, "content": "x"});
    let (status, _) = call(
        &client,
        reqwest::Method::POST,
        format!("{base}/messages"),
        Some(numeric),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "numeric ids are read too; channel 5 does not exist"
    );
}

#[tokio::test]
async fn records_are_listed_by_kind_and_unknown_kinds_are_refused() {
    let (sim, client) = start().await;
    let control = sim.control();
    let message = control
        .post_message(ids::I_SHIPPED, ids::ALICE, "x")
        .unwrap();
    let put = format!(
        "{}/channels/{}/messages/{message}/reactions/%F0%9F%9A%80/@me",
        sim.api_base(),
        ids::I_SHIPPED
    );
    client
        .put(put)
        .header("authorization", "Bot sim-bot-token")
        .send()
        .await
        .unwrap();
    let (status, reactions) = call(
        &client,
        reqwest::Method::GET,
        format!("{}/records/reactions", sim.control_url()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reactions[0]["message_id"], message.to_string());
    assert_eq!(reactions[0]["emoji"], "🚀");
    let (_, calls) = call(
        &client,
        reqwest::Method::GET,
        format!("{}/records/rest-calls", sim.control_url()),
        None,
    )
    .await;
    assert_eq!(calls[0]["auth"], "valid");
    let (status, _) = call(
        &client,
        reqwest::Method::GET,
        format!("{}/records/everything", sim.control_url()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn wait_answers_once_enough_records_exist_or_408_after_the_timeout() {
    let (sim, client) = start().await;
    let url = format!("{}/wait", sim.control_url());
    let waiting = tokio::spawn({
        let client = client.clone();
        let url = url.clone();
        async move {
            call(
                &client,
                reqwest::Method::POST,
                url,
                Some(json!({"record": "posted-messages", "count": 1, "timeout_ms": 5000})),
            )
            .await
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    client
        .post(format!(
            "{}/channels/{}/messages",
            sim.api_base(),
            ids::ANNOUNCEMENTS
        ))
        .header("authorization", "Bot sim-bot-token")
        .json(&json!({"content": "digest"}))
        .send()
        .await
        .unwrap();
    let (status, posted) = waiting.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(posted[0]["content"], "digest");
    let (status, _) = call(
        &client,
        reqwest::Method::POST,
        url,
        Some(json!({"record": "reactions", "count": 1, "timeout_ms": 50})),
    )
    .await;
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
}

#[tokio::test]
async fn rest_faults_and_slow_rest_are_scripted_over_http() {
    let (sim, client) = start().await;
    let fault = json!({"route_prefix": "/gateway", "kind": {"type": "rate_limited", "retry_after_ms": 500, "global": false}, "lasts": {"count": 1}});
    let (status, _) = call(
        &client,
        reqwest::Method::POST,
        format!("{}/rest-faults", sim.control_url()),
        Some(fault),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let gateway_bot = format!("{}/gateway/bot", sim.api_base());
    let limited = client
        .get(&gateway_bot)
        .header("authorization", "Bot sim-bot-token")
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.json::<Value>().await.unwrap()["retry_after"], 0.5);
    let timed = json!({"route_prefix": "/", "kind": {"type": "server_error", "status": 500}, "lasts": {"for_ms": 60000}});
    call(
        &client,
        reqwest::Method::POST,
        format!("{}/rest-faults", sim.control_url()),
        Some(timed),
    )
    .await;
    assert_eq!(
        client
            .get(&gateway_bot)
            .header("authorization", "Bot sim-bot-token")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    call(
        &client,
        reqwest::Method::DELETE,
        format!("{}/rest-faults", sim.control_url()),
        None,
    )
    .await;
    assert_eq!(
        client
            .get(&gateway_bot)
            .header("authorization", "Bot sim-bot-token")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    call(
        &client,
        reqwest::Method::POST,
        format!("{}/slow-rest", sim.control_url()),
        Some(json!({"delay_ms": 200})),
    )
    .await;
    let started = std::time::Instant::now();
    client
        .get(&gateway_bot)
        .header("authorization", "Bot sim-bot-token")
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn shard_faults_report_how_many_connections_they_reached_and_need_their_fields() {
    let (sim, client) = start().await;
    let base = sim.control_url();
    let (status, affected) = call(
        &client,
        reqwest::Method::POST,
        format!("{base}/shards/0/reconnect"),
        None,
    )
    .await;
    assert_eq!((status, affected), (StatusCode::OK, json!({"affected": 0})));
    let (status, _) = call(
        &client,
        reqwest::Method::POST,
        format!("{base}/shards/0/close"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(
        &client,
        reqwest::Method::POST,
        format!("{base}/shards/0/explode"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(
        &client,
        reqwest::Method::POST,
        format!("{base}/restart"),
        Some(json!({"keep_sessions": true})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn the_session_start_limit_can_be_read_and_set() {
    let (sim, client) = start().await;
    let url = format!("{}/session-start-limit", sim.control_url());
    call(
        &client,
        reqwest::Method::POST,
        url.clone(),
        Some(json!({"remaining": 3})),
    )
    .await;
    let (_, limit) = call(&client, reqwest::Method::GET, url, None).await;
    assert_eq!(limit["remaining"], 3);
    assert_eq!(limit["token_revoked"], false);
}

#[tokio::test]
async fn interactions_are_sent_and_signatures_made_over_http() {
    let (sim, client) = start().await;
    let app = Router::new().route(
        "/interactions",
        post(|| async { axum::Json(json!({"type": 1})) }),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let endpoint = format!("http://{}/interactions", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let (status, error) = call(
        &client,
        reqwest::Method::POST,
        format!("{}/interactions", sim.control_url()),
        Some(json!({"kind": "ping"})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "no interactions URL yet: {error}"
    );
    let request = json!({"kind": "ping", "url": endpoint});
    let (status, sent) = call(
        &client,
        reqwest::Method::POST,
        format!("{}/interactions", sim.control_url()),
        Some(request),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sent["reply"]["status"], 200);
    assert_eq!(sent["reply"]["problems"], json!([]));
    assert!(sent["interaction"]["id"].is_string());
    let ship = json!({"kind": "ship", "text": "shipped", "user_id": ids::BOB.to_string(), "in_dm": true, "url": endpoint, "signature_fault": "wrong_key"});
    let (_, sent) = call(
        &client,
        reqwest::Method::POST,
        format!("{}/interactions", sim.control_url()),
        Some(ship),
    )
    .await;
    let body: Value = serde_json::from_str(sent["interaction"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["user"]["id"], ids::BOB.to_string());
    assert_eq!(
        sent["reply"]["problems"].as_array().unwrap().len(),
        1,
        "the endpoint took a bad signature"
    );

    let (_, signed) = call(
        &client,
        reqwest::Method::POST,
        format!("{}/sign", sim.control_url()),
        Some(json!({"body": "{}", "timestamp": "1700000000"})),
    )
    .await;
    assert_eq!(signed["signature"], sim.control().sign(b"{}", "1700000000"));
}
