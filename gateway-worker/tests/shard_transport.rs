//! The wire against the Discord simulator: zlib-stream and plain JSON, and the send limit.

mod shard_support;

use std::time::Duration;

use shard_support::*;
use shiptrack_gateway_worker::gateway::{Compression, ShardState};
use shiptrack_testkit::discord_sim::Closer;

#[tokio::test]
async fn zlib_stream_and_plain_json_carry_the_same_events_across_a_resume() {
    for compression in [Compression::ZlibStream, Compression::None] {
        let sim = start_sim(sim_config()).await;
        let control = sim.control();
        let config = with_compression(shard_config(&sim, 0, 1, local_queue(&sim)), compression);
        let mut shard = Shard::start(config);
        shard.ready().await;
        let mut posted = post_messages(&control, 200);
        let mut seen = shard.messages(200).await;
        // A new connection needs a new zlib context.
        control.send_reconnect(0);
        posted.extend(post_messages(&control, 50));
        seen.extend(shard.resumed().await);
        let missing = posted.len() - message_ids(&seen).len();
        seen.extend(shard.messages(missing).await);
        assert_eq!(message_ids(&seen), posted, "{compression:?}");
        let expect_compressed = compression == Compression::ZlibStream;
        assert!(
            control
                .connections()
                .iter()
                .all(|c| c.compressed == expect_compressed),
            "{compression:?}"
        );
        shard.stop().await;
    }
}

#[tokio::test]
async fn an_op_1_flood_never_pushes_the_connection_past_120_sends_a_minute() {
    let sim = start_sim(sim_config()).await;
    let control = sim.control();
    let mut shard = Shard::start(shard_config(&sim, 0, 1, local_queue(&sim)));
    shard.ready().await;
    for _ in 0..150 {
        control.request_heartbeat(0);
    }
    // The scheduled beats (1 s interval) keep their reserve through the flood.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let flood_end = shiptrack_testkit::discord_sim::ids::now_ms();
    wait_for(&control, "an acknowledged beat after the flood", |c| {
        c.heartbeats()
            .iter()
            .any(|beat| beat.at_ms > flood_end && beat.acked)
    })
    .await;
    assert!(
        control.closes_sent().iter().all(|c| c.code != Some(4008)),
        "never rate limited"
    );
    assert!(
        control
            .close_codes_received()
            .iter()
            .all(|c| c.by != Closer::Client)
    );
    // 120 a minute, less 61 kept for 1 s beats, less the IDENTIFY: 58 answers to op 1 at most.
    let beats = control.heartbeats().len();
    assert!(
        (58..75).contains(&beats),
        "{beats} heartbeats: the flood was answered up to the limit"
    );
    assert_eq!(shard.status.reconnects(), 0);
    assert_eq!(shard.status.state(), ShardState::Connected);
    shard.stop().await;
}
