//! The real binary against the simulator: which messages become launches, and that each
//! gets exactly one row and one 🚀 however the events arrive.

mod worker_support;

use std::time::Duration;

use shiptrack_testkit::discord_sim::{RestFault, ResumeOutcome};
use worker_support::*;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_launch_in_a_ship_channel_is_logged_once_with_one_rocket() {
    let stack = Stack::start(sim_config()).await;
    let worker = stack.spawn_worker("w", &[]);
    worker.wait_healthy(WAIT).await;

    let message = stack.post(I_SHIPPED, ALICE, "Just shipped my app: https://ada.dev 🎉");
    stack.wait_for_launches(1, WAIT).await;
    eventually("the rocket", WAIT, || async {
        stack.rockets_on(message) == 1
    })
    .await;

    assert_eq!(stack.launches().await, [(message, false)]);
    assert_eq!(stack.reaction_count(), 1);
    assert_eq!(stack.ready_identifies(), 1);
    assert!(worker.log().contains("launch logged"), "{}", worker.log());
    assert!(
        !worker.log().contains(stack.sim.bot_token()),
        "the token must never be logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chatter_other_channels_and_bots_are_ignored() {
    let stack = Stack::start(sim_config()).await;
    let worker = stack.spawn_worker("w", &[]);
    worker.wait_healthy(WAIT).await;

    stack.post(
        I_SHIPPED,
        ALICE,
        "good morning, working on the release notes",
    );
    stack.post(I_SHIPPED, ALICE, "look at https://example.com");
    stack.post(GENERAL, ALICE, "shipped https://wrong-channel.dev");
    stack.post(I_SHIPPED, HELPER_BOT, "shipped https://bot.dev");
    // Events arrive in order, so once this one is logged every one above was looked at.
    let marker = stack.post(I_SHIPPED, ALICE, "launched https://marker.dev");
    stack.wait_for_launches(1, WAIT).await;
    eventually("the rocket", WAIT, || async {
        stack.rockets_on(marker) == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert_eq!(stack.launches().await, [(marker, false)]);
    assert_eq!(stack.reaction_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_that_makes_a_message_a_launch_logs_it_once() {
    let stack = Stack::start(sim_config()).await;
    let worker = stack.spawn_worker("w", &[]);
    worker.wait_healthy(WAIT).await;

    let message = stack.post(I_SHIPPED, ALICE, "almost there…");
    stack
        .sim
        .control()
        .edit_message(message, "it is live: https://ada.dev")
        .unwrap();
    stack
        .sim
        .control()
        .edit_message(message, "it is live: https://ada.dev (v1.0.1)")
        .unwrap();
    let marker = stack.post(I_SHIPPED, ALICE, "released https://marker.dev");
    stack.wait_for_launches(2, WAIT).await;
    eventually("both rockets", WAIT, || async {
        stack.reaction_count() == 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert_eq!(stack.launches().await, [(message, false), (marker, false)]);
    assert_eq!(stack.rockets_on(message), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_launch_message_soft_deletes_its_launch() {
    let stack = Stack::start(sim_config()).await;
    let worker = stack.spawn_worker("w", &[]);
    worker.wait_healthy(WAIT).await;

    let message = stack.post(I_SHIPPED, ALICE, "shipped https://ada.dev");
    stack.wait_for_launches(1, WAIT).await;
    stack.sim.control().delete_message(message).unwrap();
    eventually("the soft delete", WAIT, || async {
        stack.launches().await == [(message, true)]
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_event_changes_nothing() {
    let stack = Stack::start(sim_config()).await;
    // A first run stores a session and exits cleanly.
    let mut first = stack.spawn_worker("first", &[]);
    first.wait_healthy(WAIT).await;
    first.sigterm();
    assert!(first.wait_exit(WAIT).await.success());
    let (_, stored_before) = stack.stored_session().await.expect("a stored session");

    // The second run saves its session too rarely to record the launch's sequence before it
    // is killed, so the third run resumes from before the launch and Discord replays it.
    let mut second = stack.spawn_worker("second", &[("SESSION_SAVE_MS", "600000")]);
    second.wait_healthy(WAIT).await;
    let message = stack.post(I_SHIPPED, ALICE, "shipped https://ada.dev");
    stack.wait_for_launches(1, WAIT).await;
    eventually("the rocket", WAIT, || async {
        stack.rockets_on(message) == 1
    })
    .await;
    second.kill9();
    assert_eq!(stack.stored_session().await.unwrap().1, stored_before);

    let third = stack.spawn_worker("third", &[]);
    third.wait_healthy(WAIT).await;
    eventually(
        "the stored sequence to pass the replayed launch",
        WAIT,
        || async { stack.stored_session().await.unwrap().1 > stored_before },
    )
    .await;
    let last_resume = stack
        .sim
        .control()
        .resumes()
        .pop()
        .expect("the third run resumed");
    let ResumeOutcome::Resumed { replayed } = last_resume.outcome else {
        panic!("{last_resume:?}")
    };
    assert_eq!(last_resume.seq, stored_before);
    assert!(replayed >= 1, "the launch was replayed");
    assert_eq!(stack.launches().await, [(message, false)]);
    assert_eq!(stack.rockets_on(message), 1);
    assert_eq!(stack.ready_identifies(), 1, "every later start resumed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_on_reactions_is_waited_out_without_a_retry_storm() {
    let stack = Stack::start(sim_config()).await;
    let worker = stack.spawn_worker("w", &[]);
    worker.wait_healthy(WAIT).await;
    let retry_after = Duration::from_millis(700);
    stack
        .sim
        .control()
        .rest_fault(RestFault::rate_limited("/channels", retry_after, false).times(3));

    let message = stack.post(I_SHIPPED, ALICE, "shipped https://ada.dev");
    eventually("the rocket after the storm", WAIT, || async {
        stack.rockets_on(message) == 1
    })
    .await;

    let calls: Vec<_> = stack
        .sim
        .control()
        .rest_calls()
        .into_iter()
        .filter(|call| call.path.contains("/reactions/"))
        .collect();
    assert_eq!(
        calls.iter().map(|call| call.status).collect::<Vec<_>>(),
        [429, 429, 429, 204]
    );
    for pair in calls.windows(2) {
        let waited = pair[1].at_ms - pair[0].at_ms;
        assert!(
            waited >= retry_after.as_millis() as u64 - 20,
            "retried after {waited} ms"
        );
    }
    assert_eq!(stack.launches().await, [(message, false)]);
    let (_, metrics) = worker.health_get("/metrics").await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|line| line == "shiptrack_rest_rate_limited_total 3"),
        "{metrics}"
    );
    assert!(
        !worker.log().contains(stack.sim.bot_token()),
        "the token must never be logged"
    );
}
