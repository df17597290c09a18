//! Whose turn it is to IDENTIFY. Every shard of a token shares Discord's session start limit:
//! at most `max_concurrency` identifies per 5 seconds (one per bucket `shard_id % max_concurrency`),
//! and at most `remaining` until `reset_after`. Going past `remaining` is how a reconnect loop
//! gets a bot's token reset, so the queue waits for the reset instead and says so in the log.
//!
//! Two queues: [`LocalIdentifyQueue`] for the shards of one process, and [`HttpIdentifyQueue`]
//! for shards spread over several processes, which asks the gateway-queue service
//! (`GET {url}?shard={id}`, answered when the shard may identify).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::{Instant, sleep, sleep_until};
use twilight_model::gateway::SessionStartLimit;

use super::ShardId;

/// Discord's window for `max_concurrency` identifies, plus a margin: two identifies paced
/// exactly 5 s apart here can arrive a hair under 5 s apart at Discord.
const IDENTIFY_INTERVAL: Duration = Duration::from_millis(5_100);
/// How often the session start budget refills after its first reset.
const BUDGET_PERIOD: Duration = Duration::from_secs(24 * 60 * 60);
/// `reset_after` comes in whole milliseconds and was measured on Discord's clock when it
/// answered; waiting a second longer keeps a waiting shard from arriving a hair early.
const RESET_MARGIN: Duration = Duration::from_secs(1);

/// Waits for a shard's turn to IDENTIFY, so all shards of a token share Discord's limit.
#[async_trait::async_trait]
pub trait IdentifyQueue: Send + Sync {
    /// Returns when `shard` may send IDENTIFY; the caller sends it at once.
    async fn wait_turn(&self, shard: ShardId);
}

/// The session starts left, as `GET /gateway/bot` reported them.
#[derive(Debug)]
struct Budget {
    total: u32,
    remaining: u32,
    resets_at: Instant,
}

impl Budget {
    /// Takes one session start, or says when the next one is available.
    fn take(&mut self, now: Instant) -> Result<(), Instant> {
        if now >= self.resets_at {
            self.remaining = self.total;
            self.resets_at = now + BUDGET_PERIOD;
        }
        match self.remaining.checked_sub(1) {
            Some(left) => {
                self.remaining = left;
                Ok(())
            }
            None => Err(self.resets_at),
        }
    }
}

/// The identify queue of one process: per-bucket pacing and the daily budget, in memory.
#[derive(Debug)]
pub struct LocalIdentifyQueue {
    /// Per bucket, when its last identify went out. Held across the wait, so the shards of a
    /// bucket take their turns one at a time.
    buckets: Vec<tokio::sync::Mutex<Option<Instant>>>,
    budget: Mutex<Budget>,
}

impl LocalIdentifyQueue {
    /// A queue for `session_start_limit` from `GET /gateway/bot`.
    pub fn new(limit: &SessionStartLimit) -> Self {
        let buckets = usize::from(limit.max_concurrency.max(1));
        Self {
            buckets: (0..buckets)
                .map(|_| tokio::sync::Mutex::new(None))
                .collect(),
            budget: Mutex::new(Budget {
                total: limit.total,
                remaining: limit.remaining,
                resets_at: Instant::now() + Duration::from_millis(limit.reset_after) + RESET_MARGIN,
            }),
        }
    }
}

#[async_trait::async_trait]
impl IdentifyQueue for LocalIdentifyQueue {
    async fn wait_turn(&self, shard: ShardId) {
        let bucket = shard.number as usize % self.buckets.len();
        let mut last_identify = self.buckets[bucket].lock().await;
        if let Some(last) = *last_identify {
            sleep_until(last + IDENTIFY_INTERVAL).await;
        }
        loop {
            let taken = self
                .budget
                .lock()
                .expect("budget lock poisoned")
                .take(Instant::now());
            let Err(resets_at) = taken else { break };
            let wait = resets_at - Instant::now();
            tracing::warn!(
                shard = %shard,
                wait_secs = wait.as_secs(),
                "identify budget used up: no session starts left until Discord's limit resets; \
                 waiting instead of identifying (going past it resets the bot token)"
            );
            sleep_until(resets_at).await;
        }
        *last_identify = Some(Instant::now());
    }
}

/// Shards in many processes share one budget through the gateway-queue HTTP service.
#[derive(Debug)]
pub struct HttpIdentifyQueue {
    url: String,
    client: reqwest::Client,
}

impl HttpIdentifyQueue {
    /// `url` is `GATEWAY_QUEUE_URL`, e.g. `http://queue:8000/`.
    pub fn new(url: impl Into<String>) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .expect("a default HTTP client builds");
        Self {
            url: url.into(),
            client,
        }
    }

    fn turn_url(&self, shard: ShardId) -> String {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{separator}shard={}", self.url, shard.number)
    }
}

#[async_trait::async_trait]
impl IdentifyQueue for HttpIdentifyQueue {
    async fn wait_turn(&self, shard: ShardId) {
        let url = self.turn_url(shard);
        let mut retry_in = Duration::from_secs(1);
        loop {
            // The service holds the request open until the shard's turn.
            let outcome = self
                .client
                .get(&url)
                .send()
                .await
                .and_then(|r| r.error_for_status());
            match outcome {
                Ok(_) => return,
                Err(error) => {
                    // Identifying without the queue could go past the shared limit: keep asking.
                    tracing::warn!(
                        shard = %shard,
                        %error,
                        retry_secs = retry_in.as_secs(),
                        "the gateway queue (GATEWAY_QUEUE_URL) did not answer; asking again"
                    );
                    sleep(retry_in).await;
                    retry_in = (retry_in * 2).min(Duration::from_secs(30));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn limit(max_concurrency: u16, remaining: u32, reset_after: Duration) -> SessionStartLimit {
        SessionStartLimit {
            max_concurrency,
            remaining,
            reset_after: reset_after.as_millis() as u64,
            total: 1000,
        }
    }

    fn shard(number: u32) -> ShardId {
        ShardId { number, total: 16 }
    }

    /// Runs `wait_turn` for each shard at once; returns when each got its turn, since the start.
    async fn turns(queue: LocalIdentifyQueue, shards: &[u32]) -> Vec<Duration> {
        let queue = Arc::new(queue);
        let start = Instant::now();
        let tasks: Vec<_> = shards
            .iter()
            .map(|&number| {
                let queue = Arc::clone(&queue);
                tokio::spawn(async move {
                    queue.wait_turn(shard(number)).await;
                    Instant::now() - start
                })
            })
            .collect();
        let mut times = Vec::new();
        for task in tasks {
            times.push(task.await.unwrap());
        }
        times
    }

    #[tokio::test(start_paused = true)]
    async fn shards_of_one_bucket_identify_five_seconds_apart() {
        let queue = LocalIdentifyQueue::new(&limit(1, 1000, Duration::ZERO));
        let mut times = turns(queue, &[0, 1, 2]).await;
        times.sort();
        assert_eq!(
            times,
            [Duration::ZERO, IDENTIFY_INTERVAL, IDENTIFY_INTERVAL * 2]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn different_buckets_identify_together() {
        let queue = LocalIdentifyQueue::new(&limit(4, 1000, Duration::ZERO));
        // 0..4 are four buckets; 4 shares bucket 0 with shard 0.
        let times = turns(queue, &[0, 1, 2, 3, 4]).await;
        assert_eq!(&times[..4], [Duration::ZERO; 4]);
        assert_eq!(times[4], IDENTIFY_INTERVAL);
    }

    #[tokio::test(start_paused = true)]
    async fn a_shard_identifying_again_waits_its_buckets_interval() {
        let queue = Arc::new(LocalIdentifyQueue::new(&limit(1, 1000, Duration::ZERO)));
        queue.wait_turn(shard(0)).await;
        let start = Instant::now();
        tokio::time::sleep(Duration::from_secs(2)).await;
        queue.wait_turn(shard(0)).await;
        assert_eq!(Instant::now() - start, IDENTIFY_INTERVAL);
    }

    #[tokio::test(start_paused = true)]
    async fn an_exhausted_budget_waits_for_the_reset_instead_of_identifying() {
        let reset_after = Duration::from_secs(3 * 60 * 60);
        let queue = LocalIdentifyQueue::new(&limit(1, 1, reset_after));
        let times = turns(queue, &[0, 1]).await;
        assert_eq!(times[0], Duration::ZERO);
        assert_eq!(times[1], reset_after + RESET_MARGIN);
    }

    #[tokio::test(start_paused = true)]
    async fn no_budget_at_all_means_no_identify_before_the_reset() {
        let reset_after = Duration::from_secs(60);
        let queue = LocalIdentifyQueue::new(&limit(1, 0, reset_after));
        assert_eq!(turns(queue, &[0]).await, [reset_after + RESET_MARGIN]);
    }

    #[test]
    fn the_budget_refills_to_total_at_the_reset() {
        let now = Instant::now();
        let mut budget = Budget {
            total: 2,
            remaining: 0,
            resets_at: now + Duration::from_secs(10),
        };
        assert_eq!(budget.take(now), Err(now + Duration::from_secs(10)));
        let reset = now + Duration::from_secs(10);
        assert_eq!(budget.take(reset), Ok(()));
        assert_eq!(budget.take(reset), Ok(()));
        assert_eq!(budget.take(reset), Err(reset + BUDGET_PERIOD));
    }

    #[test]
    fn the_http_queue_asks_for_the_shard_by_id() {
        assert_eq!(
            HttpIdentifyQueue::new("http://queue:8000/").turn_url(shard(3)),
            "http://queue:8000/?shard=3"
        );
        assert_eq!(
            HttpIdentifyQueue::new("http://queue/?k=v").turn_url(shard(3)),
            "http://queue/?k=v&shard=3"
        );
    }
}
