//! Fatal close codes stop the shard with Discord's meaning and no retry loop, against the
//! Discord simulator.

mod shard_support;

use std::time::Duration;

use shard_support::*;
use shiptrack_gateway_worker::gateway::{FatalErrorKind, ShardEvent, ShardId, ShardState, Token};
use shiptrack_testkit::discord_sim::SimConfig;

/// The sim without its 5 s identify window, so each case can identify at once.
fn quick_identify_sim() -> SimConfig {
    SimConfig {
        identify_window: Duration::from_millis(1),
        ..sim_config()
    }
}

/// Waits a moment and checks the stopped shard opened no further connection.
async fn assert_no_retry(
    control: &shiptrack_testkit::discord_sim::SimControl,
    connections_before: usize,
) {
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        control.connections().len(),
        connections_before,
        "a fatal close is not retried"
    );
}

#[tokio::test]
async fn each_fatal_close_code_stops_the_shard_with_its_meaning() {
    let sim = start_sim(quick_identify_sim()).await;
    let control = sim.control();
    let cases = [
        (
            4004,
            FatalErrorKind::AuthenticationFailed,
            "DISCORD_BOT_TOKEN",
        ),
        (4010, FatalErrorKind::InvalidShard, "SHARDS"),
        (4011, FatalErrorKind::ShardingRequired, "more shards"),
        (4012, FatalErrorKind::InvalidApiVersion, "upgrade ShipTrack"),
        (4013, FatalErrorKind::InvalidIntents, "bug in ShipTrack"),
        (
            4014,
            FatalErrorKind::DisallowedIntents,
            "Message Content intent",
        ),
    ];
    for (code, kind, advice) in cases {
        let mut shard = Shard::start(shard_config(&sim, 0, 1, local_queue(&sim)));
        shard.ready().await;
        control.close(0, code);
        let status = std::sync::Arc::clone(&shard.status);
        let mut events = Vec::new();
        let error = loop {
            match shard.next_event().await {
                ShardEvent::Disconnected { reason, .. } => {
                    events.push(reason);
                    break shard
                        .finished()
                        .await
                        .expect_err("a fatal close code ends the shard");
                }
                _ => continue,
            }
        };
        assert_eq!((error.code, error.kind), (code, kind));
        let message = error.to_string();
        assert!(
            message.contains(&code.to_string()) && message.contains(advice),
            "{message}"
        );
        assert_eq!(events, [message]);
        assert_eq!(status.state(), ShardState::Stopped);
        assert_no_retry(&control, control.connections().len()).await;
    }
}

#[tokio::test]
async fn a_wrong_token_fails_once_with_authentication_failed() {
    let sim = start_sim(quick_identify_sim()).await;
    let control = sim.control();
    let mut config = shard_config(&sim, 0, 1, local_queue(&sim));
    config.token = Token::new("not-the-token");
    let shard = Shard::start(config);
    let error = shard
        .finished()
        .await
        .expect_err("Discord refuses the token");
    assert_eq!(error.kind, FatalErrorKind::AuthenticationFailed);
    assert!(
        !error.to_string().contains("not-the-token"),
        "the token never appears in errors"
    );
    assert_eq!(control.identifies().len(), 1, "no retry loop");
    assert_no_retry(&control, 1).await;
}

#[tokio::test]
async fn an_application_without_the_message_content_intent_stops_with_disallowed_intents() {
    let sim = start_sim(SimConfig {
        privileged_intents: 0,
        ..quick_identify_sim()
    })
    .await;
    let shard = Shard::start(shard_config(&sim, 0, 1, local_queue(&sim)));
    let error = shard
        .finished()
        .await
        .expect_err("Discord refuses the privileged intent");
    assert_eq!(
        (error.code, error.kind),
        (4014, FatalErrorKind::DisallowedIntents)
    );
}

#[tokio::test]
async fn a_shard_id_outside_the_count_stops_without_connecting() {
    let sim = start_sim(sim_config()).await;
    let mut config = shard_config(&sim, 0, 1, local_queue(&sim));
    config.shard = ShardId {
        number: 2,
        total: 2,
    };
    let error = Shard::start(config)
        .finished()
        .await
        .expect_err("shard 2 of 2 cannot exist");
    assert_eq!(
        (error.code, error.kind),
        (4010, FatalErrorKind::InvalidShard)
    );
    assert!(sim.control().connections().is_empty());
}
