//! The edge's per-request work, natively: verify the signature (ed25519-compact), parse the
//! interaction, plan the answer, and serialise the response (for /ship also the Hrana
//! pipeline, and reading a canned result). Prints per-request times against the 1 ms budget
//! (Cloudflare's free plan allows 10 ms of CPU per request). `cargo bench -p shiptrack-edge`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::DateTime;
use ed25519_compact::{KeyPair, Seed};
use serde_json::json;
use shiptrack_core::interaction::parse_json;
use shiptrack_edge::commands::{self, Plan};
use shiptrack_edge::hrana::{ColumnValue, Row, StmtResult, pipeline_request};
use shiptrack_edge::interactions::authenticate;

const ITERATIONS: usize = 20_000;
const TIMESTAMP: &str = "1764000000";

fn ship_body() -> String {
    let guild = "290926798626357999";
    let channel = "645027906669510667";
    json!({
        "type": 2, "id": "786008729715212338", "application_id": "775799577604522054",
        "token": "A_UNIQUE_TOKEN", "version": 1, "guild_id": guild, "channel_id": channel,
        "channel": {"id": channel, "type": 0, "name": "launches", "guild_id": guild},
        "member": {
            "user": {"id": "53908232506183680", "username": "ada", "global_name": "Ada", "avatar": null, "discriminator": "0"},
            "roles": [], "permissions": "0", "nick": null, "mute": false, "deaf": false,
            "joined_at": "2017-03-13T19:19:14.040000+00:00", "flags": 0
        },
        "data": {"id": "771825006014889984", "name": "ship", "type": 1, "options": [
            {"type": 3, "name": "text", "value": "we launched v2 https://example.com/v2"}
        ]},
        "locale": "en-US", "app_permissions": "442368", "authorizing_integration_owners": {"0": guild},
        "context": 0, "entitlements": [], "attachment_size_limit": 10485760
    })
    .to_string()
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => unreachable!("the native path never waits"),
    }
}

/// One request's work, as the Worker does it; returns the response body's length.
fn handle(pair: &KeyPair, signature: &str, body: &str, inserted: &StmtResult) -> usize {
    let now = DateTime::from_timestamp(1_764_000_000, 0).unwrap();
    block_on(authenticate(
        &pair.pk,
        Some(signature),
        Some(TIMESTAMP),
        body.as_bytes(),
        1_764_000_000,
    ))
    .unwrap();
    let response = match commands::plan(parse_json(body.as_bytes()), now).unwrap() {
        Plan::Reply(response) => response,
        Plan::Query(query) => {
            let pipeline = serde_json::to_vec(&pipeline_request(query.statements.clone())).unwrap();
            black_box(pipeline);
            query.answer(Ok(vec![inserted.clone()])).into_response()
        }
    };
    serde_json::to_string(&response).unwrap().len()
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |p: usize| samples[(samples.len() * p / 100).min(samples.len() - 1)];
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{name:<40} mean {:>7.1} µs  p50 {:>7.1} µs  p99 {:>7.1} µs  (budget 1000 µs)",
        mean.as_secs_f64() * 1e6,
        at(50).as_secs_f64() * 1e6,
        at(99).as_secs_f64() * 1e6,
    );
}

fn bench(name: &str, pair: &KeyPair, body: &str, inserted: &StmtResult) {
    let signature = hex::encode(
        *pair
            .sk
            .sign([TIMESTAMP.as_bytes(), body.as_bytes()].concat(), None),
    );
    for _ in 0..ITERATIONS / 10 {
        black_box(handle(pair, &signature, body, inserted));
    }
    let samples = (0..ITERATIONS)
        .map(|_| {
            let started = Instant::now();
            black_box(handle(pair, &signature, black_box(body), inserted));
            started.elapsed()
        })
        .collect();
    report(name, samples);
}

fn main() {
    // `cargo test --benches` runs bench targets with --test: a quick run proves it still works.
    if std::env::args().any(|arg| arg == "--test") {
        let pair = KeyPair::from_seed(Seed::new([5; 32]));
        let signature = hex::encode(*pair.sk.sign([TIMESTAMP, r#"{"type":1}"#].concat(), None));
        assert_eq!(
            handle(&pair, &signature, r#"{"type":1}"#, &inserted()),
            r#"{"type":1}"#.len()
        );
        return;
    }
    let pair = KeyPair::from_seed(Seed::new([5; 32]));
    let ping = json!({"type": 1, "id": "1", "application_id": "775799577604522054", "token": "t", "version": 1}).to_string();
    println!("verify + parse + respond, natively, {ITERATIONS} iterations each");
    bench("signed PING", &pair, &ping, &inserted());
    bench(
        "signed /ship (pipeline built, result read)",
        &pair,
        &ship_body(),
        &inserted(),
    );
}

fn inserted() -> StmtResult {
    StmtResult {
        rows: vec![Row {
            values: vec![ColumnValue::Integer(1)],
        }],
        affected_row_count: 1,
    }
}
