//! Against a scripted gateway, what the Discord simulator cannot play: timeouts on connect,
//! Hello and READY/RESUMED (it always answers), the fall back to IDENTIFY after three resumes
//! that never finished, and a READY larger than tungstenite's default frame limit.

mod shard_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use shard_support::{Shard, WAIT};
use shiptrack_gateway_worker::gateway::{
    BackoffConfig, Compression, IdentifyQueue, ResumeState, ShardConfig, ShardEvent, ShardId,
    Timeouts, Token,
};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// What the scripted gateway does.
#[derive(Clone, Copy)]
enum Script {
    /// Accepts TCP and never answers the WebSocket upgrade.
    BeforeUpgrade,
    /// Upgrades, then never sends Hello.
    BeforeHello,
    /// Sends Hello, then reads everything and answers nothing but heartbeats.
    QuietAfterHello,
    /// Answers IDENTIFY with a READY of this many bytes, in one frame.
    ReadyOf(usize),
}

/// A scripted gateway; records the opcode of each connection's first command.
struct ScriptedGateway {
    url: String,
    first_commands: Arc<Mutex<Vec<u64>>>,
    connections: Arc<Mutex<usize>>,
}

async fn scripted_gateway(script: Script) -> ScriptedGateway {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/gateway", listener.local_addr().unwrap());
    let first_commands = Arc::new(Mutex::new(Vec::new()));
    let connections = Arc::new(Mutex::new(0));
    let (commands, count) = (Arc::clone(&first_commands), Arc::clone(&connections));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            *count.lock().unwrap() += 1;
            let commands = Arc::clone(&commands);
            tokio::spawn(async move {
                if let Script::BeforeUpgrade = script {
                    tokio::time::sleep(WAIT).await;
                    return drop(tcp);
                }
                let Ok(mut socket) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                if let Script::BeforeHello = script {
                    while socket.next().await.is_some() {}
                    return;
                }
                let hello = r#"{"op":10,"d":{"heartbeat_interval":10000},"s":null,"t":null}"#;
                if socket.send(Message::text(hello)).await.is_err() {
                    return;
                }
                let mut first = true;
                while let Some(Ok(message)) = socket.next().await {
                    let Message::Text(text) = message else {
                        continue;
                    };
                    let payload: serde_json::Value = serde_json::from_str(&text).unwrap();
                    let op = payload["op"].as_u64().unwrap();
                    if op == 1 {
                        let _ = socket.send(Message::text(r#"{"op":11}"#)).await;
                        continue;
                    }
                    if std::mem::take(&mut first) {
                        commands.lock().unwrap().push(op);
                    }
                    if let (Script::ReadyOf(size), 2) = (script, op) {
                        let _ = socket.send(Message::text(ready_of(size))).await;
                    }
                }
            });
        }
    });
    ScriptedGateway {
        url,
        first_commands,
        connections,
    }
}

/// A READY dispatch padded to `size` bytes.
fn ready_of(size: usize) -> String {
    let head = r#"{"op":0,"s":1,"t":"READY","d":{"session_id":"big","resume_gateway_url":"ws://127.0.0.1:1","guilds":""#;
    let tail = r#""}}"#;
    format!("{head}{}{tail}", "x".repeat(size - head.len() - tail.len()))
}

struct NoWait;

#[async_trait::async_trait]
impl IdentifyQueue for NoWait {
    async fn wait_turn(&self, _shard: ShardId) {}
}

fn config(gateway: &ScriptedGateway) -> ShardConfig {
    let mut config = ShardConfig::new(
        Token::new("token"),
        gateway.url.clone(),
        ShardId {
            number: 0,
            total: 1,
        },
        Arc::new(NoWait),
    );
    config.compression = Compression::None;
    config.timeouts = Timeouts {
        connect: Duration::from_millis(300),
        hello: Duration::from_millis(300),
        ready: Duration::from_millis(300),
    };
    config.backoff = BackoffConfig {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(100),
        healthy_after: Duration::from_secs(60),
    };
    config
}

/// The reason of the next Disconnected event.
async fn next_disconnect(shard: &mut Shard) -> String {
    loop {
        if let ShardEvent::Disconnected { reason, .. } = shard.next_event().await {
            return reason;
        }
    }
}

#[tokio::test]
async fn a_connect_that_never_completes_times_out_and_is_retried() {
    let gateway = scripted_gateway(Script::BeforeUpgrade).await;
    let mut shard = Shard::start(config(&gateway));
    let reason = next_disconnect(&mut shard).await;
    assert!(
        reason.contains("could not connect to the gateway within"),
        "{reason}"
    );
    next_disconnect(&mut shard).await;
    assert!(*gateway.connections.lock().unwrap() >= 2);
    shard.stop().await;
}

#[tokio::test]
async fn a_connection_without_hello_times_out_and_is_retried() {
    let gateway = scripted_gateway(Script::BeforeHello).await;
    let mut shard = Shard::start(config(&gateway));
    assert_eq!(next_disconnect(&mut shard).await, "no Hello in time");
    next_disconnect(&mut shard).await;
    assert!(*gateway.connections.lock().unwrap() >= 2);
    shard.stop().await;
}

#[tokio::test]
async fn an_identify_without_ready_times_out() {
    let gateway = scripted_gateway(Script::QuietAfterHello).await;
    let mut shard = Shard::start(config(&gateway));
    assert_eq!(next_disconnect(&mut shard).await, "no READY in time");
    assert_eq!(gateway.first_commands.lock().unwrap()[0], 2, "IDENTIFY");
    shard.stop().await;
}

#[tokio::test]
async fn three_resumes_without_resumed_fall_back_to_identify() {
    let gateway = scripted_gateway(Script::QuietAfterHello).await;
    let mut config = config(&gateway);
    config.initial_session = Some(ResumeState {
        session_id: "stored".into(),
        resume_gateway_url: gateway.url.clone(),
        sequence: 41,
    });
    let mut shard = Shard::start(config);
    for _ in 0..3 {
        assert_eq!(next_disconnect(&mut shard).await, "no RESUMED in time");
    }
    assert_eq!(next_disconnect(&mut shard).await, "no READY in time");
    assert_eq!(
        *gateway.first_commands.lock().unwrap(),
        [6, 6, 6, 2],
        "RESUME ×3, then IDENTIFY"
    );
    shard.stop().await;
}

#[tokio::test]
async fn a_ready_larger_than_tungstenites_default_frame_limit_is_received() {
    let gateway = scripted_gateway(Script::ReadyOf(20 << 20)).await;
    let mut shard = Shard::start(config(&gateway));
    let session = shard.ready().await;
    assert_eq!(session.session_id, "big");
    shard.stop().await;
}
