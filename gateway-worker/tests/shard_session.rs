//! The session across connections, against the Discord simulator: identify, then every way a
//! connection ends (op 7, op 9, a zombie, a dropped TCP connection, close codes, shutdown),
//! each followed by a resume that loses and duplicates nothing, or by a new session.

mod shard_support;

use std::time::{Duration, Instant};

use shard_support::*;
use shiptrack_gateway_worker::gateway::{ShardEvent, ShardState};
use shiptrack_testkit::discord_sim::{Closer, Endpoint, IdentifyOutcome, ResumeOutcome};

/// A sim, one shard of one that is READY, and the messages it received before anything else.
async fn ready_shard() -> (shiptrack_testkit::discord_sim::RunningSim, Shard) {
    let sim = start_sim(sim_config()).await;
    let mut shard = Shard::start(shard_config(&sim, 0, 1, local_queue(&sim)));
    shard.ready().await;
    (sim, shard)
}

#[tokio::test]
async fn identify_then_dispatches_arrive_in_order_with_continuous_sequences() {
    let sim = start_sim(sim_config()).await;
    let control = sim.control();
    let mut shard = Shard::start(shard_config(&sim, 0, 1, local_queue(&sim)));
    let session = shard.ready().await;
    assert_eq!(session.resume_gateway_url, sim.resume_gateway_url());

    let posted = post_messages(&control, 5);
    let dispatches = shard.messages(5).await;
    assert_eq!(message_ids(&dispatches), posted);
    assert_continuous(session.sequence + 1, &dispatches);

    let identifies = control.identifies();
    assert_eq!(identifies.len(), 1);
    assert_eq!(identifies[0].outcome, IdentifyOutcome::Ready);
    assert_eq!(
        identifies[0].intents,
        1 | 1 << 9 | 1 << 15,
        "GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT"
    );
    assert_eq!(shard.status.state(), ShardState::Connected);
    assert_eq!(shard.status.identifies(), 1);
    shard.stop().await;
}

#[tokio::test]
async fn heartbeats_carry_the_last_sequence_and_are_acknowledged() {
    let (sim, mut shard) = ready_shard().await;
    let control = sim.control();
    post_messages(&control, 3);
    let last = shard.messages(3).await.last().unwrap().sequence;
    wait_for(&control, "a heartbeat with the last sequence", |c| {
        c.heartbeats()
            .iter()
            .any(|beat| beat.seq == Some(last) && beat.acked)
    })
    .await;
    wait_for(&control, "the ACK to be recorded", |_| {
        shard.status.heartbeat_latency().is_some()
    })
    .await;
    assert!(shard.status.last_ack_unix_ms().is_some());
    shard.stop().await;
}

#[tokio::test]
async fn op_7_reconnect_resumes_and_replays_without_loss_or_duplicates() {
    let (sim, mut shard) = ready_shard().await;
    let control = sim.control();
    let mut posted = post_messages(&control, 3);
    let mut seen = shard.messages(3).await;

    control.send_reconnect(0);
    // Sent while the shard reconnects: Discord replays them after RESUME.
    posted.extend(post_messages(&control, 4));
    seen.extend(shard.resumed().await);
    let replayed_up_to = seen.last().unwrap().sequence;
    posted.extend(post_messages(&control, 2));
    let after = shard
        .messages(posted.len() - message_ids(&seen).len())
        .await;

    // RESUMED itself takes the sequence number between the replay and what follows.
    assert_continuous(seen[0].sequence, &seen);
    assert_eq!(after[0].sequence, replayed_up_to + 2);
    assert_continuous(after[0].sequence, &after);
    seen.extend(after);
    assert_eq!(message_ids(&seen), posted, "every message once, in order");
    let resumes = control.resumes();
    assert_eq!(resumes.len(), 1);
    assert!(matches!(resumes[0].outcome, ResumeOutcome::Resumed { .. }));
    assert!(
        resumes[0].via_resume_url,
        "a resume goes to resume_gateway_url"
    );
    let ours: Vec<_> = control
        .close_codes_received()
        .into_iter()
        .filter(|c| c.by == Closer::Client)
        .collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].code, Some(4000), "closed resumably, never 1000");
    assert_eq!(control.identifies().len(), 1);
    assert_eq!(shard.status.resumes(), 1);
    shard.stop().await;
}

#[tokio::test]
async fn op_9_resumable_waits_then_resumes_the_same_session() {
    let (sim, mut shard) = ready_shard().await;
    let control = sim.control();
    let started = Instant::now();
    control.send_invalid_session(0, true);
    shard.resumed().await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited 1 to 5 s first"
    );
    assert_eq!(control.identifies().len(), 1);
    assert_eq!(control.resumes().len(), 1);
    shard.stop().await;
}

#[tokio::test]
async fn op_9_not_resumable_waits_then_identifies_a_new_session() {
    let sim = start_sim(sim_config()).await;
    let control = sim.control();
    let mut shard = Shard::start(shard_config(&sim, 0, 1, local_queue(&sim)));
    let first = shard.ready().await;
    // The identify queue paces identifies 5 s apart; the wait is part of the rule.
    let started = Instant::now();
    control.send_invalid_session(0, false);
    let second = shard.ready().await;
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_ne!(first.session_id, second.session_id);
    assert!(
        control.resumes().is_empty(),
        "an invalidated session is not resumed"
    );
    assert_eq!(control.ready_identifies().len(), 2);
    shard.stop().await;
}

#[tokio::test]
async fn a_zombie_connection_is_closed_with_4000_and_resumed_without_loss() {
    let (sim, mut shard) = ready_shard().await;
    let control = sim.control();
    control.set_zombie(0, true);
    // Withheld by the zombie, replayed on resume.
    let posted = post_messages(&control, 3);
    let mut seen = shard.resumed().await;
    if message_ids(&seen).len() < 3 {
        seen.extend(shard.messages(3 - message_ids(&seen).len()).await);
    }
    assert_eq!(message_ids(&seen), posted);
    let ours: Vec<_> = control
        .close_codes_received()
        .into_iter()
        .filter(|c| c.by == Closer::Client)
        .collect();
    assert_eq!(ours.first().and_then(|c| c.code), Some(4000));
    assert_eq!(control.identifies().len(), 1);
    shard.stop().await;
}

#[tokio::test]
async fn a_dropped_tcp_connection_is_resumed_without_loss() {
    let (sim, mut shard) = ready_shard().await;
    let control = sim.control();
    control.drop_tcp(0);
    let posted = post_messages(&control, 3);
    let mut seen = shard.resumed().await;
    if message_ids(&seen).len() < 3 {
        seen.extend(shard.messages(3 - message_ids(&seen).len()).await);
    }
    assert_eq!(message_ids(&seen), posted);
    assert_eq!(control.identifies().len(), 1);
    shard.stop().await;
}

#[tokio::test]
async fn reconnectable_close_codes_resume_the_session() {
    let (sim, mut shard) = ready_shard().await;
    let control = sim.control();
    for code in [4000, 4001, 4002, 4003, 4005, 4008] {
        control.close(0, code);
        shard.resumed().await;
    }
    assert_eq!(
        control.identifies().len(),
        1,
        "no close code here needed a new session"
    );
    assert_eq!(control.resumes().len(), 6);
    shard.stop().await;
}

#[tokio::test]
async fn close_codes_4007_and_4009_start_a_new_session() {
    let (sim, mut shard) = ready_shard().await;
    let control = sim.control();
    for code in [4007, 4009] {
        control.close(0, code);
        let ready = shard.ready().await;
        assert_eq!(
            Some(ready.session_id),
            control
                .ready_identifies()
                .last()
                .unwrap()
                .session_id
                .clone()
        );
    }
    assert!(control.resumes().is_empty());
    assert_eq!(control.ready_identifies().len(), 3);
    shard.stop().await;
}

#[tokio::test]
async fn shutdown_closes_with_4000_and_a_stored_session_resumes_in_the_next_process() {
    let sim = start_sim(sim_config()).await;
    let control = sim.control();
    let mut first = Shard::start(shard_config(&sim, 0, 1, local_queue(&sim)));
    first.ready().await;
    let mut posted = post_messages(&control, 2);
    let mut seen = first.messages(2).await;
    let exit = first.stop().await;
    let stored = exit.resume.expect("the session to store");
    assert_eq!(stored.sequence, seen.last().unwrap().sequence);
    let ours: Vec<_> = control
        .close_codes_received()
        .into_iter()
        .filter(|c| c.by == Closer::Client)
        .collect();
    assert_eq!(
        ours[0].code,
        Some(4000),
        "a redeploy keeps the session resumable"
    );

    // Sent while no process is connected.
    posted.extend(post_messages(&control, 3));
    let mut config = shard_config(&sim, 0, 1, local_queue(&sim));
    config.initial_session = Some(stored);
    let mut second = Shard::start(config);
    seen.extend(second.resumed().await);
    assert_eq!(message_ids(&seen), posted);
    assert_continuous(seen[0].sequence, &seen);
    assert_eq!(
        control.identifies().len(),
        1,
        "the restart resumed instead of identifying"
    );
    second.stop().await;
}

#[tokio::test]
async fn an_unreachable_resume_url_falls_back_to_the_main_url() {
    let (sim, mut shard) = ready_shard().await;
    let control = sim.control();
    control.refuse_resume_url(true);
    control.drop_tcp(0);
    shard.resumed().await;
    let connections = control.connections();
    assert!(
        connections
            .iter()
            .any(|c| c.endpoint == Endpoint::Resume && c.refused)
    );
    let resumes = control.resumes();
    assert_eq!(resumes.len(), 1);
    assert!(!resumes[0].via_resume_url, "resumed on the main URL");
    shard.stop().await;
}

#[tokio::test]
async fn a_stored_session_discord_no_longer_knows_falls_back_to_identify() {
    let sim = start_sim(sim_config()).await;
    let control = sim.control();
    let mut config = shard_config(&sim, 0, 1, local_queue(&sim));
    config.initial_session = Some(shiptrack_gateway_worker::gateway::ResumeState {
        session_id: "expired".into(),
        resume_gateway_url: sim.resume_gateway_url().into(),
        sequence: 7,
    });
    let mut shard = Shard::start(config);
    shard.ready().await;
    assert_eq!(control.resumes()[0].outcome, ResumeOutcome::InvalidSession);
    assert_eq!(control.ready_identifies().len(), 1);
    shard.stop().await;
}

#[tokio::test]
async fn a_down_gateway_sees_backed_off_reconnects_not_a_storm() {
    let (sim, mut shard) = ready_shard().await;
    let control = sim.control();
    control.refuse_gateway(true);
    control.refuse_resume_url(true);
    control.drop_tcp(0);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let refused = control.connections().iter().filter(|c| c.refused).count();
    // 100 ms doubling to a 1 s ceiling, each wait at least half its ceiling: at most 8 in 3 s.
    assert!(
        (2..=8).contains(&refused),
        "{refused} connection attempts in 3 s"
    );
    assert_eq!(shard.status.state(), ShardState::BackingOff);
    control.refuse_gateway(false);
    control.refuse_resume_url(false);
    shard.resumed().await;
    assert!(
        shard
            .drain()
            .iter()
            .all(|e| !matches!(e, ShardEvent::Ready { .. }))
    );
    shard.stop().await;
}
