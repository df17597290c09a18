//! The client against a scripted HTTP server: what it sends, and how it waits and retries.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::*;

const TOKEN: &str = "test-token.secret";

#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    path: String,
    headers: HeaderMap,
    at: Instant,
}

/// A scripted answer: status, headers, body.
type Answer = (StatusCode, Vec<(&'static str, &'static str)>, &'static str);

/// Answers requests from a script (the last answer repeats) and records each one.
#[derive(Clone, Default)]
struct Script {
    answers: Arc<Mutex<VecDeque<Answer>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Script {
    fn new(answers: Vec<Answer>) -> Self {
        Self {
            answers: Arc::new(Mutex::new(answers.into())),
            seen: Arc::default(),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    async fn serve(self) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let app =
            axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap| {
                let script = self.clone();
                async move {
                    script.seen.lock().unwrap().push(Seen {
                        method,
                        path: uri.path().to_owned(),
                        headers,
                        at: Instant::now(),
                    });
                    let mut answers = script.answers.lock().unwrap();
                    let (status, headers, body) = if answers.len() > 1 {
                        answers.pop_front().unwrap()
                    } else {
                        answers[0].clone()
                    };
                    let mut response: Response = (status, body).into_response();
                    for (name, value) in headers {
                        response
                            .headers_mut()
                            .insert(name, HeaderValue::from_static(value));
                    }
                    response
                }
            });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        address
    }
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        server_error_retries: 2,
        rate_limit_retries: 3,
        backoff: Backoff::new(Duration::from_millis(20), Duration::from_millis(50)),
        request_timeout: Duration::from_secs(5),
    }
}

async fn client_for(script: &Script) -> RestClient {
    let address = script.clone().serve().await;
    RestClient::new(
        &format!("http://{address}/api/v10/"),
        &Token::new(TOKEN),
        fast_policy(),
    )
    .unwrap()
}

fn ok() -> Answer {
    (StatusCode::NO_CONTENT, vec![], "")
}

#[tokio::test]
async fn a_reaction_carries_the_bot_token_and_discords_user_agent() {
    let script = Script::new(vec![ok()]);
    let client = client_for(&script).await;
    client
        .add_reaction(Id::new(10), Id::new(20), "🚀")
        .await
        .unwrap();

    let seen = script.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, Method::PUT);
    assert_eq!(
        seen[0].path,
        "/api/v10/channels/10/messages/20/reactions/%F0%9F%9A%80/@me"
    );
    assert_eq!(
        seen[0].headers["authorization"],
        format!("Bot {TOKEN}").as_str()
    );
    assert_eq!(seen[0].headers["user-agent"], USER_AGENT);
    assert!(USER_AGENT.starts_with("DiscordBot (https://github.com/shiptrack/shiptrack, "));
}

#[tokio::test]
async fn a_429_waits_retry_after_then_succeeds_with_one_more_call() {
    let script = Script::new(vec![
        (
            StatusCode::TOO_MANY_REQUESTS,
            vec![],
            r#"{"message":"You are being rate limited.","retry_after":0.3,"global":false}"#,
        ),
        ok(),
    ]);
    let client = client_for(&script).await;
    client
        .add_reaction(Id::new(10), Id::new(20), "🚀")
        .await
        .unwrap();

    let seen = script.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(300));
    assert_eq!(client.rate_limit_hits(), 1);
}

#[tokio::test]
async fn an_endless_429_gives_up_after_the_bounded_retries() {
    let script = Script::new(vec![(
        StatusCode::TOO_MANY_REQUESTS,
        vec![],
        r#"{"retry_after":0.05}"#,
    )]);
    let client = client_for(&script).await;
    let error = client
        .add_reaction(Id::new(10), Id::new(20), "🚀")
        .await
        .unwrap_err();

    assert!(
        matches!(error, RestError::RateLimited { attempts: 4, .. }),
        "{error}"
    );
    assert_eq!(script.seen().len(), 4);
}

#[tokio::test]
async fn an_exhausted_bucket_holds_the_next_request_until_the_reset() {
    let script = Script::new(vec![(
        StatusCode::NO_CONTENT,
        vec![
            ("x-ratelimit-bucket", "reactions"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset-after", "0.4"),
        ],
        "",
    )]);
    let client = client_for(&script).await;
    client
        .add_reaction(Id::new(10), Id::new(20), "🚀")
        .await
        .unwrap();
    client
        .add_reaction(Id::new(10), Id::new(21), "🚀")
        .await
        .unwrap();

    let seen = script.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(400));
}

#[tokio::test]
async fn a_global_429_holds_requests_in_every_bucket() {
    let script = Script::new(vec![
        (
            StatusCode::TOO_MANY_REQUESTS,
            vec![("x-ratelimit-global", "true")],
            r#"{"retry_after":0.3,"global":true}"#,
        ),
        ok(),
    ]);
    let client = Arc::new(client_for(&script).await);
    client
        .add_reaction(Id::new(10), Id::new(20), "🚀")
        .await
        .unwrap();
    client
        .add_reaction(Id::new(99), Id::new(20), "🚀")
        .await
        .unwrap();

    let seen = script.seen();
    assert_eq!(seen.len(), 3);
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(300));
}

#[tokio::test]
async fn server_errors_are_retried_a_bounded_number_of_times() {
    let script = Script::new(vec![(StatusCode::BAD_GATEWAY, vec![], "")]);
    let client = client_for(&script).await;
    let error = client
        .add_reaction(Id::new(10), Id::new(20), "🚀")
        .await
        .unwrap_err();

    assert!(
        matches!(error, RestError::ServerError { attempts: 3, .. }),
        "{error}"
    );
    assert_eq!(script.seen().len(), 3);
}

#[tokio::test]
async fn a_server_error_then_success_counts_as_success() {
    let script = Script::new(vec![(StatusCode::INTERNAL_SERVER_ERROR, vec![], ""), ok()]);
    let client = client_for(&script).await;
    client
        .add_reaction(Id::new(10), Id::new(20), "🚀")
        .await
        .unwrap();
    assert_eq!(script.seen().len(), 2);
}

#[tokio::test]
async fn a_refusal_is_not_retried_and_says_what_to_do() {
    let script = Script::new(vec![(
        StatusCode::FORBIDDEN,
        vec![],
        r#"{"message":"Missing Permissions","code":50013}"#,
    )]);
    let client = client_for(&script).await;
    let error = client
        .add_reaction(Id::new(10), Id::new(20), "🚀")
        .await
        .unwrap_err();

    assert_eq!(script.seen().len(), 1);
    let text = error.to_string();
    assert!(
        text.contains("Missing Permissions") && text.contains("Add Reactions"),
        "{text}"
    );
    assert!(!text.contains(TOKEN));
}

#[tokio::test]
async fn gateway_bot_reads_the_url_shards_and_identify_budget() {
    let script = Script::new(vec![(
        StatusCode::OK,
        vec![("content-type", "application/json")],
        r#"{"url":"wss://gateway.example","shards":2,"session_start_limit":{"total":1000,"remaining":999,"reset_after":1000,"max_concurrency":1}}"#,
    )]);
    let client = client_for(&script).await;
    let info = client.gateway_bot().await.unwrap();
    assert_eq!(
        (
            info.url.as_str(),
            info.shards,
            info.session_start_limit.remaining
        ),
        ("wss://gateway.example", 2, 999)
    );
    assert_eq!(script.seen()[0].path, "/api/v10/gateway/bot");
}

#[tokio::test]
async fn commands_are_put_to_the_guild_or_global_list() {
    let script = Script::new(vec![(
        StatusCode::OK,
        vec![],
        r#"[{"name":"ship"},{"name":"profile"}]"#,
    )]);
    let client = client_for(&script).await;
    let body = serde_json::json!([{"name":"ship"},{"name":"profile"}]);
    assert_eq!(
        client
            .set_commands(Id::new(5), Some(Id::new(7)), &body)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        client.set_commands(Id::new(5), None, &body).await.unwrap(),
        2
    );

    let paths: Vec<_> = script
        .seen()
        .into_iter()
        .map(|seen| (seen.method, seen.path))
        .collect();
    assert_eq!(
        paths,
        [
            (
                Method::PUT,
                "/api/v10/applications/5/guilds/7/commands".to_owned()
            ),
            (Method::PUT, "/api/v10/applications/5/commands".to_owned()),
        ]
    );
}
