//! The identify budget: `session_start_limit` (a daily `total`, of which `remaining` are left
//! until `reset_after`) and `max_concurrency` (each `shard_id % max_concurrency` bucket may
//! identify once per window, Discord's 5 seconds).
//!
//! Discord answers an identify that comes too soon with op 9 Invalid Session (gateway.mdx, "Rate
//! Limiting"); an identify past the daily budget makes Discord end every session and reset the
//! token, which the caller simulates.
use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use crate::discord_sim::config::SessionStartLimit;

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum IdentifyVerdict {
    Allowed,
    /// The bucket identified less than a window ago.
    TooSoon,
    /// `remaining` is 0.
    Exhausted,
}

#[derive(Debug)]
pub(crate) struct IdentifyLimiter {
    total: u32,
    remaining: u32,
    max_concurrency: u32,
    reset_period: Duration,
    reset_at: Instant,
    window: Duration,
    last_by_bucket: HashMap<u32, Instant>,
}

impl IdentifyLimiter {
    pub fn new(limit: SessionStartLimit, window: Duration, now: Instant) -> Self {
        Self {
            total: limit.total,
            remaining: limit.remaining,
            max_concurrency: limit.max_concurrency.max(1),
            reset_period: limit.reset_after,
            reset_at: now + limit.reset_after,
            window,
            last_by_bucket: HashMap::new(),
        }
    }

    /// Decides one identify of `shard_id`, spending budget when it is allowed.
    pub fn check(&mut self, shard_id: u32, now: Instant) -> IdentifyVerdict {
        self.refill(now);
        if self.remaining == 0 {
            return IdentifyVerdict::Exhausted;
        }
        let bucket = shard_id % self.max_concurrency;
        if self
            .last_by_bucket
            .get(&bucket)
            .is_some_and(|&last| now.duration_since(last) < self.window)
        {
            return IdentifyVerdict::TooSoon;
        }
        self.last_by_bucket.insert(bucket, now);
        self.remaining -= 1;
        IdentifyVerdict::Allowed
    }

    pub fn set_remaining(&mut self, remaining: u32) {
        self.remaining = remaining.min(self.total);
    }

    /// The limit as `GET /gateway/bot` reports it now.
    pub fn snapshot(&mut self, now: Instant) -> SessionStartLimit {
        self.refill(now);
        SessionStartLimit {
            total: self.total,
            remaining: self.remaining,
            reset_after: self.reset_at.saturating_duration_since(now),
            max_concurrency: self.max_concurrency,
        }
    }

    fn refill(&mut self, now: Instant) {
        if now >= self.reset_at {
            self.remaining = self.total;
            self.reset_at = now + self.reset_period;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(remaining: u32, max_concurrency: u32, now: Instant) -> IdentifyLimiter {
        let limit = SessionStartLimit {
            total: 1000,
            remaining,
            reset_after: Duration::from_secs(3600),
            max_concurrency,
        };
        IdentifyLimiter::new(limit, Duration::from_secs(5), now)
    }

    #[test]
    fn one_identify_per_bucket_per_window() {
        let now = Instant::now();
        let mut limit = limiter(1000, 2, now);
        assert_eq!(limit.check(0, now), IdentifyVerdict::Allowed);
        assert_eq!(
            limit.check(1, now),
            IdentifyVerdict::Allowed,
            "shard 1 is in another bucket"
        );
        assert_eq!(
            limit.check(2, now + Duration::from_secs(4)),
            IdentifyVerdict::TooSoon,
            "shard 2 shares bucket 0"
        );
        assert_eq!(
            limit.check(2, now + Duration::from_secs(5)),
            IdentifyVerdict::Allowed
        );
    }

    #[test]
    fn each_allowed_identify_spends_one_of_remaining() {
        let now = Instant::now();
        let mut limit = limiter(2, 16, now);
        assert_eq!(limit.check(0, now), IdentifyVerdict::Allowed);
        assert_eq!(limit.check(1, now), IdentifyVerdict::Allowed);
        assert_eq!(limit.snapshot(now).remaining, 0);
        assert_eq!(limit.check(2, now), IdentifyVerdict::Exhausted);
    }

    #[test]
    fn a_refused_identify_spends_nothing() {
        let now = Instant::now();
        let mut limit = limiter(5, 1, now);
        limit.check(0, now);
        assert_eq!(limit.check(0, now), IdentifyVerdict::TooSoon);
        assert_eq!(limit.snapshot(now).remaining, 4);
    }

    #[test]
    fn remaining_refills_to_total_after_reset_after() {
        let now = Instant::now();
        let mut limit = limiter(0, 1, now);
        assert_eq!(limit.check(0, now), IdentifyVerdict::Exhausted);
        let later = now + Duration::from_secs(3600);
        assert_eq!(limit.check(0, later), IdentifyVerdict::Allowed);
        assert_eq!(limit.snapshot(later).remaining, 999);
        assert_eq!(limit.snapshot(later).reset_after, Duration::from_secs(3600));
    }
}
