//! Shared by the `shard_*` tests: a Discord simulator with short heartbeats, and one shard
//! task (`run_shard`, keeping every dispatch raw) against it whose events the test reads in
//! order.
#![allow(dead_code)] // Each test file uses its own part of this module.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use shiptrack_gateway_worker::gateway::{
    BackoffConfig, Compression, FatalError, IdentifyQueue, KeepRaw, LocalIdentifyQueue,
    RawDispatch, ResumeState, ShardConfig, ShardEvent, ShardExit, ShardId, ShardStatus, Timeouts,
    Token, UnreadableDispatch, run_shard,
};
use shiptrack_testkit::discord_sim::{DiscordSim, RunningSim, SimConfig, SimControl, ids};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use twilight_model::gateway::SessionStartLimit;

/// Long enough for anything a test waits for; short enough that a hang fails fast.
pub const WAIT: Duration = Duration::from_secs(15);

/// The simulator with a 1 s heartbeat, so zombies and heartbeats show within seconds.
pub fn sim_config() -> SimConfig {
    SimConfig {
        heartbeat_interval: Duration::from_secs(1),
        heartbeat_grace: Duration::from_millis(500),
        ..SimConfig::default()
    }
}

pub async fn start_sim(config: SimConfig) -> RunningSim {
    DiscordSim::start(config)
        .await
        .expect("the simulator starts")
}

/// The identify queue a worker builds from the sim's `GET /gateway/bot`.
pub fn local_queue(sim: &RunningSim) -> Arc<dyn IdentifyQueue> {
    let limit = sim.control().session_start_limit();
    Arc::new(LocalIdentifyQueue::new(&SessionStartLimit {
        max_concurrency: limit.max_concurrency as u16,
        remaining: limit.remaining,
        reset_after: limit.reset_after.as_millis() as u64,
        total: limit.total,
    }))
}

/// Shard `number` of `total` against `sim`, with quick timeouts and backoff.
pub fn shard_config(
    sim: &RunningSim,
    number: u32,
    total: u32,
    queue: Arc<dyn IdentifyQueue>,
) -> ShardConfig {
    let mut config = ShardConfig::new(
        Token::new(sim.bot_token()),
        sim.gateway_url(),
        ShardId { number, total },
        queue,
    );
    config.timeouts = Timeouts {
        connect: Duration::from_secs(2),
        hello: Duration::from_secs(2),
        ready: Duration::from_secs(5),
    };
    config.backoff = BackoffConfig {
        initial: Duration::from_millis(100),
        max: Duration::from_secs(1),
        healthy_after: Duration::from_secs(60),
    };
    config
}

/// A running shard task and the test's ends of its channels.
pub struct Shard {
    pub id: ShardId,
    pub status: Arc<ShardStatus>,
    events: UnboundedReceiver<ShardEvent>,
    shutdown: CancellationToken,
    task: JoinHandle<Result<ShardExit, FatalError>>,
}

impl Shard {
    pub fn start(config: ShardConfig) -> Self {
        let (sender, events) = unbounded_channel();
        let status = Arc::new(ShardStatus::new());
        let shutdown = CancellationToken::new();
        let id = config.shard;
        let task = tokio::spawn(run_shard(
            config,
            KeepRaw,
            sender,
            Arc::clone(&status),
            shutdown.clone(),
        ));
        Self {
            id,
            status,
            events,
            shutdown,
            task,
        }
    }

    /// The next event, failing the test if none comes within [`WAIT`].
    pub async fn next_event(&mut self) -> ShardEvent {
        tokio::time::timeout(WAIT, self.events.recv())
            .await
            .expect("the shard sends an event in time")
            .expect("the shard is still running")
    }

    /// Events up to READY, which must come within [`WAIT`]; returns the new session.
    pub async fn ready(&mut self) -> ResumeState {
        self.within_wait("READY", async |shard| {
            loop {
                if let ShardEvent::Ready { session, .. } = shard.next_event().await {
                    return session;
                }
            }
        })
        .await
    }

    /// Reads events until RESUMED; returns the dispatches read on the way, in order.
    pub async fn resumed(&mut self) -> Vec<Dispatch> {
        self.within_wait("RESUMED", async |shard| {
            let mut dispatches = Vec::new();
            loop {
                match shard.next_event().await {
                    ShardEvent::Resumed { .. } => return dispatches,
                    ShardEvent::Ready { .. } => panic!("expected a resume, got a new session"),
                    ShardEvent::Dispatch { sequence, data, .. } => {
                        dispatches.push(Dispatch::new(sequence, data));
                    }
                    ShardEvent::Disconnected { .. } => {}
                }
            }
        })
        .await
    }

    /// Reads events until `count` MESSAGE_CREATE dispatches arrived; returns every dispatch.
    pub async fn messages(&mut self, count: usize) -> Vec<Dispatch> {
        self.within_wait("MESSAGE_CREATE", async |shard| {
            let mut dispatches = Vec::new();
            while dispatches
                .iter()
                .filter(|d: &&Dispatch| d.is_message())
                .count()
                < count
            {
                if let ShardEvent::Dispatch { sequence, data, .. } = shard.next_event().await {
                    dispatches.push(Dispatch::new(sequence, data));
                }
            }
            dispatches
        })
        .await
    }

    /// Fails the test if `read` does not finish within [`WAIT`], however many events arrive.
    async fn within_wait<T>(&mut self, what: &str, read: impl AsyncFnOnce(&mut Self) -> T) -> T {
        tokio::time::timeout(WAIT, read(self))
            .await
            .unwrap_or_else(|_| panic!("no {what} within {WAIT:?}"))
    }

    /// Shuts the shard down and returns how it ended.
    pub async fn stop(self) -> ShardExit {
        self.shutdown.cancel();
        self.finished()
            .await
            .expect("a shut-down shard exits cleanly")
    }

    /// Waits for the shard task to end on its own.
    pub async fn finished(self) -> Result<ShardExit, FatalError> {
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("the shard task ends in time")
            .expect("the shard task does not panic")
    }

    /// Whatever events are waiting, without blocking.
    pub fn drain(&mut self) -> Vec<ShardEvent> {
        std::iter::from_fn(|| self.events.try_recv().ok()).collect()
    }
}

/// A dispatch as the consumer saw it.
#[derive(Clone, Debug, PartialEq)]
pub struct Dispatch {
    pub sequence: u64,
    pub event_type: String,
    pub data: Value,
}

impl Dispatch {
    fn new(sequence: u64, read: Result<RawDispatch, UnreadableDispatch>) -> Self {
        let RawDispatch { event_type, data } = read.expect("every dispatch reads as raw JSON");
        Self {
            sequence,
            event_type,
            data: serde_json::from_str(data.get()).expect("dispatch data is JSON"),
        }
    }

    pub fn is_message(&self) -> bool {
        self.event_type == "MESSAGE_CREATE"
    }

    /// The message id of a MESSAGE_CREATE.
    pub fn message_id(&self) -> u64 {
        self.data["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("a message id")
    }
}

/// Posts `count` messages in `#i-shipped`; returns their ids.
pub fn post_messages(control: &SimControl, count: usize) -> Vec<u64> {
    (0..count)
        .map(|i| {
            control
                .post_message(ids::I_SHIPPED, ids::ALICE, &format!("message {i}"))
                .expect("the sim takes the message")
        })
        .collect()
}

/// The message ids of the MESSAGE_CREATE dispatches, in the order they arrived.
pub fn message_ids(dispatches: &[Dispatch]) -> Vec<u64> {
    dispatches
        .iter()
        .filter(|d| d.is_message())
        .map(Dispatch::message_id)
        .collect()
}

/// Every dispatch's sequence is one more than the one before it.
pub fn assert_continuous(first: u64, dispatches: &[Dispatch]) {
    let sequences: Vec<u64> = dispatches.iter().map(|d| d.sequence).collect();
    let expected: Vec<u64> = (first..first + sequences.len() as u64).collect();
    assert_eq!(sequences, expected, "sequence numbers are continuous");
}

/// Waits until `condition` holds on the sim, failing the test after [`WAIT`].
pub async fn wait_for(control: &SimControl, what: &str, condition: impl Fn(&SimControl) -> bool) {
    control
        .wait_until(condition, WAIT)
        .await
        .unwrap_or_else(|error| panic!("waiting for {what}: {error}"));
}

pub fn with_compression(mut config: ShardConfig, compression: Compression) -> ShardConfig {
    config.compression = compression;
    config
}
