//! The identify budget against the Discord simulator: identifies paced per
//! `shard_id % max_concurrency` bucket, never past `remaining`, and, with the gateway-queue
//! HTTP service, only when the service says so.

mod shard_support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use shard_support::*;
use shiptrack_gateway_worker::gateway::HttpIdentifyQueue;
use shiptrack_testkit::discord_sim::{IdentifyOutcome, SessionStartLimit, SimConfig};

fn sim_with_limit(limit: SessionStartLimit) -> SimConfig {
    SimConfig {
        session_start_limit: limit,
        recommended_shards: 4,
        ..sim_config()
    }
}

/// Starts `shards` of `total` on one queue; returns them once every one is READY.
async fn ready_shards(
    sim: &shiptrack_testkit::discord_sim::RunningSim,
    shards: &[u32],
    total: u32,
) -> Vec<Shard> {
    let queue = local_queue(sim);
    let mut started: Vec<Shard> = shards
        .iter()
        .map(|&n| Shard::start(shard_config(sim, n, total, Arc::clone(&queue))))
        .collect();
    for shard in &mut started {
        shard.ready().await;
    }
    started
}

/// When each shard's accepted identify reached the sim, in ms since the epoch.
fn identify_times(control: &shiptrack_testkit::discord_sim::SimControl) -> Vec<(u32, u64)> {
    control
        .ready_identifies()
        .iter()
        .map(|i| (i.shard.id, i.at_ms))
        .collect()
}

#[tokio::test]
async fn shards_of_one_bucket_identify_at_least_five_seconds_apart() {
    let sim = start_sim(sim_with_limit(SessionStartLimit {
        max_concurrency: 1,
        ..Default::default()
    }))
    .await;
    let control = sim.control();
    let shards = ready_shards(&sim, &[0, 1], 2).await;
    let times = identify_times(&control);
    assert_eq!(times.len(), 2);
    assert!(times[1].1 - times[0].1 >= 5_000, "{times:?}");
    assert!(
        control
            .identifies()
            .iter()
            .all(|i| i.outcome == IdentifyOutcome::Ready),
        "never too soon"
    );
    for shard in shards {
        shard.stop().await;
    }
}

#[tokio::test]
async fn each_max_concurrency_bucket_identifies_at_once() {
    let sim = start_sim(sim_with_limit(SessionStartLimit {
        max_concurrency: 2,
        ..Default::default()
    }))
    .await;
    let control = sim.control();
    let shards = ready_shards(&sim, &[0, 1, 2, 3], 4).await;
    let at = |shard: u32| {
        identify_times(&control)
            .iter()
            .find(|(s, _)| *s == shard)
            .unwrap()
            .1
    };
    assert!(at(0).abs_diff(at(1)) < 1_000, "buckets 0 and 1 go together");
    assert!(
        at(2) - at(0) >= 5_000 && at(3) - at(1) >= 5_000,
        "the next of each bucket waits"
    );
    assert!(
        control
            .identifies()
            .iter()
            .all(|i| i.outcome == IdentifyOutcome::Ready)
    );
    for shard in shards {
        shard.stop().await;
    }
}

#[tokio::test]
async fn an_exhausted_identify_budget_waits_for_the_reset_instead_of_identifying() {
    let limit = SessionStartLimit {
        total: 5,
        remaining: 1,
        reset_after: Duration::from_secs(3),
        max_concurrency: 1,
    };
    let sim = start_sim(SimConfig {
        identify_window: Duration::from_millis(1),
        ..sim_with_limit(limit)
    })
    .await;
    let control = sim.control();
    let started = Instant::now();
    let mut shard = Shard::start(shard_config(&sim, 0, 1, local_queue(&sim)));
    shard.ready().await;
    // The session is gone and the budget is spent: the next identify has to wait for the reset.
    control.send_invalid_session(0, false);
    shard.ready().await;
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "identified only after the reset"
    );
    assert!(!control.token_revoked(), "the budget was never overspent");
    assert!(
        control
            .identifies()
            .iter()
            .all(|i| i.outcome == IdentifyOutcome::Ready)
    );
    assert_eq!(shard.status.identifies(), 2);
    shard.stop().await;
}

/// A stand-in for the gateway-queue service: answers `GET /?shard=N` after a delay.
#[derive(Clone, Default)]
struct QueueService {
    asked: Arc<Mutex<Vec<(u32, Instant)>>>,
}

#[derive(serde::Deserialize)]
struct TurnQuery {
    shard: u32,
}

async fn start_queue_service(answer_after: Duration) -> (String, QueueService) {
    let service = QueueService::default();
    let app = Router::new()
        .route(
            "/",
            get(move |State(service): State<QueueService>, Query(query): Query<TurnQuery>| async move {
                tokio::time::sleep(answer_after).await;
                service.asked.lock().unwrap().push((query.shard, Instant::now()));
                "ok"
            }),
        )
        .with_state(service.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, service)
}

#[tokio::test]
async fn with_the_http_queue_each_identify_waits_for_the_services_answer() {
    let sim = start_sim(sim_config()).await;
    let control = sim.control();
    let (url, service) = start_queue_service(Duration::from_millis(800)).await;
    let started = Instant::now();
    let mut shard = Shard::start(shard_config(
        &sim,
        0,
        1,
        Arc::new(HttpIdentifyQueue::new(url)),
    ));
    shard.ready().await;
    let asked = service.asked.lock().unwrap().clone();
    assert_eq!(
        asked.iter().map(|(shard, _)| *shard).collect::<Vec<_>>(),
        [0]
    );
    assert!(started.elapsed() >= Duration::from_millis(800));
    assert_eq!(control.identifies().len(), 1);
    shard.stop().await;
}
