//! How long to wait before the next connection, so a Discord that is down (or a connection that
//! closes as soon as it opens) never sees a reconnect storm.
//!
//! Every reconnect waits, exponentially longer with each attempt and jittered so that many
//! shards spread out. The attempt count goes back to zero only after a connection stayed up
//! for a healthy period: a connection that reached READY and then closed at once still counts
//! as a failed attempt.

use std::time::Duration;

/// The reconnect policy of a shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackoffConfig {
    /// The ceiling of the first wait; the wait is jittered within the upper half of the ceiling.
    pub initial: Duration,
    /// The ceiling never grows past this.
    pub max: Duration,
    /// A connection up this long resets the attempt count.
    pub healthy_after: Duration,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            healthy_after: Duration::from_secs(60),
        }
    }
}

#[derive(Debug)]
pub struct Backoff {
    config: BackoffConfig,
    attempt: u32,
}

impl Backoff {
    pub fn new(config: BackoffConfig) -> Self {
        Self { config, attempt: 0 }
    }

    /// A connection ended after being up for `uptime` (zero if it never got that far).
    /// Returns the wait before the next one, given a `jitter` in [0, 1).
    pub fn next_delay(&mut self, uptime: Duration, jitter: f64) -> Duration {
        if uptime >= self.config.healthy_after {
            self.attempt = 0;
        }
        self.attempt = self.attempt.saturating_add(1);
        // The same doubling and "equal jitter" as every other retry loop in the worker.
        crate::backoff::Backoff::new(self.config.initial, self.config.max)
            .delay_with(self.attempt, jitter)
    }
}

/// Op 9 (Invalid Session): Discord asks for a random wait of 1 to 5 seconds before the next
/// IDENTIFY or RESUME, given a `jitter` in [0, 1).
pub fn invalid_session_delay(jitter: f64) -> Duration {
    Duration::from_secs(1) + Duration::from_secs(4).mul_f64(jitter.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: BackoffConfig = BackoffConfig {
        initial: Duration::from_secs(1),
        max: Duration::from_secs(60),
        healthy_after: Duration::from_secs(60),
    };

    #[test]
    fn waits_double_with_each_failed_attempt() {
        let mut backoff = Backoff::new(CONFIG);
        let ceilings: Vec<_> = (0..5)
            .map(|_| backoff.next_delay(Duration::ZERO, 0.999_999))
            .collect();
        let secs: Vec<_> = ceilings
            .iter()
            .map(|d| d.as_secs_f64().round() as u64)
            .collect();
        assert_eq!(secs, [1, 2, 4, 8, 16]);
    }

    #[test]
    fn every_wait_is_between_half_and_all_of_its_ceiling() {
        for jitter in [0.0, 0.3, 0.7, 0.999] {
            let mut backoff = Backoff::new(CONFIG);
            for attempt in 0..10 {
                let ceiling = (CONFIG.initial * 2u32.pow(attempt)).min(CONFIG.max);
                let delay = backoff.next_delay(Duration::ZERO, jitter);
                assert!(
                    delay >= ceiling / 2 && delay <= ceiling,
                    "{delay:?} vs {ceiling:?}"
                );
            }
        }
    }

    #[test]
    fn the_wait_never_exceeds_the_maximum() {
        let mut backoff = Backoff::new(CONFIG);
        for _ in 0..100 {
            assert!(backoff.next_delay(Duration::ZERO, 0.999) <= CONFIG.max);
        }
    }

    #[test]
    fn even_the_first_reconnect_waits() {
        let mut backoff = Backoff::new(CONFIG);
        assert!(backoff.next_delay(Duration::from_secs(3600), 0.0) >= CONFIG.initial / 2);
    }

    #[test]
    fn a_connection_that_closed_at_once_keeps_backing_off() {
        let mut backoff = Backoff::new(CONFIG);
        backoff.next_delay(Duration::ZERO, 0.0);
        backoff.next_delay(Duration::ZERO, 0.0);
        let after_short_uptime = backoff.next_delay(Duration::from_secs(5), 0.0);
        assert_eq!(after_short_uptime, Duration::from_secs(2));
    }

    #[test]
    fn a_healthy_connection_resets_the_backoff() {
        let mut backoff = Backoff::new(CONFIG);
        for _ in 0..6 {
            backoff.next_delay(Duration::ZERO, 0.0);
        }
        assert_eq!(
            backoff.next_delay(CONFIG.healthy_after, 0.0),
            CONFIG.initial / 2
        );
    }

    #[test]
    fn an_invalid_session_waits_one_to_five_seconds() {
        assert_eq!(invalid_session_delay(0.0), Duration::from_secs(1));
        assert_eq!(invalid_session_delay(0.5), Duration::from_secs(3));
        assert!(invalid_session_delay(0.999_999) < Duration::from_secs(5));
    }
}
