//! The real binary when its dependencies misbehave: the database gone for a minute, and
//! Discord's identify budget running out.

mod worker_support;

use std::time::{Duration, Instant};

use shiptrack_testkit::dev_db::{DevDb, DevDbConfig};
use shiptrack_testkit::discord_sim::{IdentifyOutcome, SessionStartLimit, SimConfig};
use worker_support::*;

const WAIT: Duration = Duration::from_secs(20);
const OUTAGE: Duration = Duration::from_secs(60);

/// A metric's value for shard 0/1 from `/metrics`.
async fn shard_metric(worker: &Worker, name: &str) -> Option<u64> {
    let (_, text) = worker.health_get("/metrics").await?;
    let prefix = format!("{name}{{shard=\"0\",shard_count=\"1\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|value| value.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_60_second_database_outage_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("served.db");
    let server = DevDb::start(DevDbConfig::new(&db_path)).await.unwrap();
    let addr = server.addr();
    let stack = Stack::with_database(sim_config(), dir, server.url()).await;
    // The lease outlasts the outage, so the shard stays connected and the events it receives
    // meanwhile go to the spool (two in memory, the rest on disk).
    let worker = stack.spawn_worker(
        "w",
        &[
            ("LEASE_TTL_MS", "120000"),
            ("LEASE_RENEW_MS", "500"),
            ("SPOOL_MEMORY_EVENTS", "2"),
        ],
    );
    worker.wait_healthy(WAIT).await;
    let before = stack
        .launch_and_wait_for_rocket("shipped https://before.dev", WAIT)
        .await;
    let sequence_before = stack.wait_for_stored_sequence(2, WAIT).await;

    server.shutdown().await.unwrap();
    let outage_started = Instant::now();
    let mut during = Vec::new();
    for round in 0..3 {
        during.push(stack.post(
            I_SHIPPED,
            ALICE,
            &format!("launched https://during-{round}.dev"),
        ));
        stack.post(I_SHIPPED, ALICE, &format!("just chatting, round {round}"));
        during.push(stack.post(
            I_SHIPPED,
            ALICE,
            &format!("it is live https://also-{round}.dev"),
        ));
        tokio::time::sleep(Duration::from_secs(15)).await;
    }
    let depth = shard_metric(&worker, "shiptrack_spool_depth")
        .await
        .unwrap();
    let on_disk = shard_metric(&worker, "shiptrack_spool_on_disk")
        .await
        .unwrap();
    assert!(
        depth >= 6,
        "the events waiting for the database are kept: depth {depth}"
    );
    assert!(
        on_disk >= 4,
        "beyond the memory bound they are on disk: {on_disk}"
    );
    assert_eq!(
        stack.reaction_count(),
        1,
        "nothing is confirmed before it is stored"
    );
    tokio::time::sleep(OUTAGE.saturating_sub(outage_started.elapsed())).await;

    let server = DevDb::start(DevDbConfig {
        listen: addr,
        ..DevDbConfig::new(&db_path)
    })
    .await
    .unwrap();
    stack.wait_for_launches(7, Duration::from_secs(30)).await;
    eventually("seven rockets", WAIT, || async {
        stack.reaction_count() == 7
    })
    .await;
    eventually("an empty spool", WAIT, || async {
        shard_metric(&worker, "shiptrack_spool_depth").await == Some(0)
    })
    .await;
    eventually("the stored sequence to pass the outage", WAIT, || async {
        stack
            .stored_session()
            .await
            .is_some_and(|(_, sequence)| sequence >= sequence_before + 9)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut expected = vec![(before, false)];
    expected.extend(during.iter().map(|message| (*message, false)));
    assert_eq!(
        stack.launches().await,
        expected,
        "every launch once, in order"
    );
    for message in during {
        assert_eq!(stack.rockets_on(message), 1);
    }
    assert_eq!(
        stack.ready_identifies(),
        1,
        "the shard stayed connected throughout"
    );
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_during_an_outage_is_replaced_by_one_that_resumes_before_the_unstored_events()
 {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("served.db");
    let server = DevDb::start(DevDbConfig::new(&db_path)).await.unwrap();
    let addr = server.addr();
    let stack = Stack::with_database(sim_config(), dir, server.url()).await;
    let mut first = stack.spawn_worker("first", &[]);
    first.wait_healthy(WAIT).await;
    let before = stack
        .launch_and_wait_for_rocket("shipped https://before.dev", WAIT)
        .await;
    let sequence_before = stack.wait_for_stored_sequence(2, WAIT).await;

    server.shutdown().await.unwrap();
    let during = [
        stack.post(I_SHIPPED, ALICE, "launched https://during-1.dev"),
        stack.post(I_SHIPPED, ALICE, "it is live https://during-2.dev"),
    ];
    eventually("the first worker to keep both launches", WAIT, || async {
        shard_metric(&first, "shiptrack_spool_depth").await == Some(2)
    })
    .await;
    first.kill9();

    // The replacement has its own spool folder, as a standby on another machine would: only
    // Discord's replay can bring the two launches back, and only if the stored sequence
    // stayed before them.
    let server = DevDb::start(DevDbConfig {
        listen: addr,
        ..DevDbConfig::new(&db_path)
    })
    .await
    .unwrap();
    // What the first worker stored before the outage: `sequence_before`, or later when an
    // event from before the outage was stored after the wait above returned (it waits for 2,
    // GUILD_CREATE, and the "before" message comes next). Nothing stored can be from the
    // outage: the database was down.
    let (_, stored_sequence) = stack.stored_session().await.expect("a stored session");
    assert!(stored_sequence >= sequence_before);
    let second = stack.spawn_worker("second", &[]);
    second.wait_healthy(Duration::from_secs(30)).await;
    stack.wait_for_launches(3, WAIT).await;
    eventually("three rockets", WAIT, || async {
        stack.reaction_count() == 3
    })
    .await;

    assert_eq!(
        stack.launches().await,
        [(before, false), (during[0], false), (during[1], false)]
    );
    assert_eq!(stack.ready_identifies(), 1);
    let resume = stack
        .sim
        .control()
        .resumes()
        .pop()
        .expect("the second worker resumed");
    // Resuming from the stored sequence is what brought the two launches back (the replacement
    // never saw the first worker's spool): it never passed the unstored launches.
    assert_eq!(
        resume.seq, stored_sequence,
        "the replacement resumed from the stored sequence"
    );
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_identify_budget_is_waited_for_never_overspent() {
    let config = SimConfig {
        recommended_shards: 2,
        session_start_limit: SessionStartLimit {
            total: 1000,
            remaining: 1,
            reset_after: Duration::from_secs(3600),
            max_concurrency: 1,
        },
        ..sim_config()
    }
    .with_guilds(2);
    let stack = Stack::start(config).await;
    // No SHARDS: both of the recommended shards, but there is one session start left.
    let worker = stack.spawn_worker("w", &[]);
    eventually("one shard to identify", WAIT, || async {
        stack.ready_identifies() == 1
    })
    .await;
    eventually("the budget warning", WAIT, || async {
        worker.log().contains("identify budget used up")
    })
    .await;
    // Longer than Discord's 5 s identify window: the second shard still must not identify.
    tokio::time::sleep(Duration::from_secs(7)).await;

    let identifies = stack.sim.control().identifies();
    assert_eq!(identifies.len(), 1, "{identifies:?}");
    assert_eq!(identifies[0].outcome, IdentifyOutcome::Ready);
    assert!(!stack.sim.control().token_revoked());
    // Whichever shard got the last session start is connected; the other waits, and says so.
    let waiting = 1 - identifies[0].shard.id;
    let (status, body) = worker.health_get("/healthz").await.unwrap();
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body,
        format!("unhealthy: shard {waiting}/2 is identifying\n")
    );
}
