//! The real binary killed, redeployed and doubled: a restart resumes (the simulator sees a
//! RESUME, not an IDENTIFY), nothing posted meanwhile is lost or logged twice, a 🚀 that
//! could not go out before a kill is sent once by the next start, and two processes for one
//! shard never hold its session at once.

mod worker_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use shiptrack_testkit::discord_sim::{Closer, RestFault, ResumeOutcome};
use worker_support::*;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_then_restart_resumes_and_loses_or_doubles_nothing() {
    let stack = Stack::start(sim_config()).await;
    let mut first = stack.spawn_worker("first", &[]);
    first.wait_healthy(WAIT).await;
    let before = stack
        .launch_and_wait_for_rocket("shipped https://one.dev", WAIT)
        .await;
    // A kill before the first session save leaves nothing to resume.
    stack.wait_for_stored_sequence(0, WAIT).await;

    first.kill9();
    let while_down = [
        stack.post(I_SHIPPED, ALICE, "launched https://two.dev"),
        stack.post(I_SHIPPED, ALICE, "chatter while the bot is down"),
        stack.post(I_SHIPPED, ALICE, "released https://three.dev"),
    ];

    let restarted_at = Instant::now();
    let second = stack.spawn_worker("second", &[]);
    second.wait_healthy(Duration::from_secs(30)).await;
    let reconnected_in = restarted_at.elapsed();
    stack.wait_for_launches(3, WAIT).await;
    eventually("three rockets", WAIT, || async {
        stack.reaction_count() == 3
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert!(
        reconnected_in < Duration::from_secs(30),
        "reconnected in {reconnected_in:?}"
    );
    assert_eq!(
        stack.launches().await,
        [
            (before, false),
            (while_down[0], false),
            (while_down[2], false)
        ]
    );
    for message in [before, while_down[0], while_down[2]] {
        assert_eq!(stack.rockets_on(message), 1);
    }
    assert_eq!(
        stack.ready_identifies(),
        1,
        "the restart resumed instead of identifying"
    );
    let resume = stack.sim.control().resumes().pop().expect("a resume");
    assert!(
        matches!(resume.outcome, ResumeOutcome::Resumed { replayed } if replayed >= 3),
        "{resume:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rocket_discord_kept_failing_before_a_kill_9_is_sent_once_by_the_next_start() {
    let stack = Stack::start(sim_config()).await;
    let mut first = stack.spawn_worker("first", &[]);
    first.wait_healthy(WAIT).await;
    stack.wait_for_stored_sequence(0, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, sequence_before) = stack.stored_session().await.unwrap();
    // Every 🚀 fails for longer than the worker retries, and still fails when it is killed.
    stack.sim.control().rest_fault(
        RestFault::server_error(&format!("/channels/{I_SHIPPED}/messages/"), 503)
            .only_method("put")
            .for_duration(Duration::from_secs(300)),
    );
    let launch = stack.post(I_SHIPPED, ALICE, "shipped https://one.dev");
    stack.wait_for_launches(1, WAIT).await;
    eventually("a failed PUT of the rocket", WAIT, || async {
        stack.failed_reaction_puts(launch) >= 1
    })
    .await;
    // The stored sequence passes the launch, so the restart gets no replay of it.
    eventually("the stored sequence past the launch", WAIT, || async {
        stack
            .stored_session()
            .await
            .is_some_and(|(_, sequence)| sequence > sequence_before)
    })
    .await;
    assert_eq!(
        stack.reaction_state(launch).await.as_deref(),
        Some("pending")
    );

    first.kill9();
    stack.sim.control().clear_rest_faults();
    assert_eq!(stack.rockets_on(launch), 0, "{}", first.log());
    let second = stack.spawn_worker("second", &[]);
    second.wait_healthy(WAIT).await;
    eventually("the rocket", WAIT, || async {
        stack.rockets_on(launch) == 1
    })
    .await;
    eventually("the rocket recorded as done", WAIT, || async {
        stack.reaction_state(launch).await.as_deref() == Some("done")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    assert_eq!(stack.rockets_on(launch), 1, "exactly one 🚀");
    assert_eq!(stack.reaction_count(), 1);
    assert_eq!(stack.launches().await, [(launch, false)]);
    let resume = stack.sim.control().resumes().pop().expect("a resume");
    assert!(
        matches!(resume.outcome, ResumeOutcome::Resumed { replayed: 0 }),
        "the launch came from the sweep, not a replay: {resume:?}"
    );
    assert!(
        second.log().contains("still owed"),
        "the sweep says what it queued:\n{}",
        second.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_0_stores_the_session_closes_with_4000_and_the_next_start_resumes() {
    let stack = Stack::start(sim_config()).await;
    let mut first = stack.spawn_worker("first", &[]);
    first.wait_healthy(WAIT).await;
    let before = stack
        .launch_and_wait_for_rocket("shipped https://one.dev", WAIT)
        .await;

    first.sigterm();
    let status = first.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "log:\n{}", first.log());
    let closes = stack.sim.control().close_codes_received();
    assert!(
        closes
            .iter()
            .any(|close| close.by == Closer::Client && close.code == Some(4000)),
        "the sim saw {closes:?}"
    );
    let ready = stack.sim.control().ready_identifies().pop().unwrap();
    let (session_id, sequence) = stack.stored_session().await.expect("a stored session");
    assert_eq!(Some(session_id), ready.session_id);
    assert!(sequence >= 2, "the stored sequence covers the launch");

    let while_down = stack.post(I_SHIPPED, ALICE, "launched https://two.dev");
    let restarted_at = Instant::now();
    let second = stack.spawn_worker("second", &[]);
    second.wait_healthy(WAIT).await;
    assert!(
        restarted_at.elapsed() < Duration::from_secs(10),
        "the released lease let the next start in at once"
    );
    stack.wait_for_launches(2, WAIT).await;
    eventually("two rockets", WAIT, || async {
        stack.reaction_count() == 2
    })
    .await;

    assert_eq!(
        stack.launches().await,
        [(before, false), (while_down, false)]
    );
    assert_eq!(stack.ready_identifies(), 1);
    let resume = stack.sim.control().resumes().pop().expect("a resume");
    assert_eq!(resume.seq, sequence);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_for_the_same_shard_waits_and_takes_over_when_the_holder_dies() {
    let stack = Stack::start(sim_config()).await;
    let mut holder = stack.spawn_worker("holder", &[]);
    holder.wait_healthy(WAIT).await;

    // Sample the simulator's open gateway connections for the whole test.
    let most_connected = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let control = stack.sim.control();
        let most_connected = most_connected.clone();
        tokio::spawn(async move {
            loop {
                most_connected.fetch_max(control.live_connections().len(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };

    let standby = stack.spawn_worker("standby", &[]);
    // Longer than a lease: a standby that did not wait would have connected by now.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        stack.sim.control().connections().len(),
        1,
        "only the holder connected"
    );
    let (status, body) = standby
        .health_get("/healthz")
        .await
        .expect("the standby serves /healthz");
    assert_eq!(
        (status, body.as_str()),
        (200, "ok: standby, holding no shard\n")
    );
    let before = stack.post(I_SHIPPED, ALICE, "shipped https://one.dev");
    stack.wait_for_launches(1, WAIT).await;

    holder.kill9();
    let died_at = Instant::now();
    standby.wait_healthy(Duration::from_secs(60)).await;
    let took_over_in = died_at.elapsed();
    let after = stack.post(I_SHIPPED, ALICE, "launched https://two.dev");
    stack.wait_for_launches(2, WAIT).await;
    eventually("two rockets", WAIT, || async {
        stack.reaction_count() == 2
    })
    .await;
    sampler.abort();

    assert!(
        took_over_in < Duration::from_secs(60),
        "took over in {took_over_in:?}"
    );
    assert_eq!(
        most_connected.load(Ordering::Relaxed),
        1,
        "never two connections at once"
    );
    assert_eq!(stack.launches().await, [(before, false), (after, false)]);
    assert_eq!(
        stack.ready_identifies(),
        1,
        "the standby resumed the holder's session"
    );
    let resume = stack
        .sim
        .control()
        .resumes()
        .pop()
        .expect("the standby resumed");
    assert!(
        !resume.took_over,
        "the session was free when the standby resumed it"
    );
    assert!(standby.log().contains("standing by"), "{}", standby.log());
}
