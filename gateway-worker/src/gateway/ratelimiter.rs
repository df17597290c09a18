//! The gateway's send limit: at most 120 payloads per 60 seconds per connection, or Discord
//! closes it with 4008.
//!
//! A sliding-window log of send times, so no 60-second window ever holds more than 120. Other
//! payloads (IDENTIFY, RESUME, and the beats Discord asks for with op 1) may not use the slots
//! the interval's heartbeats need, because a heartbeat held back by the limit is how a healthy
//! connection dies: a flood of op 1 must not starve the scheduled beats.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

const PERIOD: Duration = Duration::from_secs(60);
const PERMITS: usize = 120;

/// What is being sent: the interval's heartbeats may use every permit, anything else all but
/// the heartbeats' reserve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sending {
    ScheduledHeartbeat,
    Other,
}

#[derive(Debug)]
pub struct CommandRatelimiter {
    /// Send times within the last period, oldest first.
    sent: VecDeque<Instant>,
    heartbeat_reserve: usize,
}

impl CommandRatelimiter {
    pub fn new(heartbeat_interval: Duration) -> Self {
        Self {
            sent: VecDeque::with_capacity(PERMITS),
            heartbeat_reserve: heartbeat_reserve(heartbeat_interval),
        }
    }

    /// When a payload of this kind may go out: `now` if it may go now.
    pub fn available_at(&mut self, sending: Sending, now: Instant) -> Instant {
        while self.sent.front().is_some_and(|&sent| sent + PERIOD <= now) {
            self.sent.pop_front();
        }
        let limit = match sending {
            Sending::ScheduledHeartbeat => PERMITS,
            Sending::Other => PERMITS - self.heartbeat_reserve,
        };
        match self.sent.len().checked_sub(limit) {
            // The window holds `limit` or more: wait until enough of them age out.
            Some(excess) => self.sent[excess] + PERIOD,
            None => now,
        }
    }

    pub fn record(&mut self, now: Instant) {
        self.sent.push_back(now);
    }
}

/// Permits kept for scheduled heartbeats in each period: one per interval, rounded up, plus one
/// for the first beat's jitter; at least one permit is always left for everything else.
fn heartbeat_reserve(interval: Duration) -> usize {
    let per_period = PERIOD.as_secs_f64() / interval.as_secs_f64().max(f64::EPSILON);
    (per_period.ceil().min(PERMITS as f64) as usize + 1).min(PERMITS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_millis(41_250);

    #[test]
    fn the_reserve_covers_a_periods_heartbeats() {
        assert_eq!(heartbeat_reserve(INTERVAL), 3);
        assert_eq!(heartbeat_reserve(Duration::from_secs(60)), 2);
        assert_eq!(heartbeat_reserve(Duration::from_secs(1)), 61);
    }

    #[test]
    fn a_tiny_interval_still_leaves_one_permit_for_everything_else() {
        assert_eq!(heartbeat_reserve(Duration::from_millis(100)), PERMITS - 1);
        assert_eq!(heartbeat_reserve(Duration::ZERO), PERMITS - 1);
    }

    #[test]
    fn other_payloads_stop_short_of_the_heartbeat_reserve() {
        let now = Instant::now();
        let mut limiter = CommandRatelimiter::new(INTERVAL);
        for _ in 0..117 {
            assert_eq!(limiter.available_at(Sending::Other, now), now);
            limiter.record(now);
        }
        assert_eq!(limiter.available_at(Sending::Other, now), now + PERIOD);
        assert_eq!(limiter.available_at(Sending::ScheduledHeartbeat, now), now);
    }

    #[test]
    fn scheduled_heartbeats_may_use_the_whole_window_but_not_more() {
        let now = Instant::now();
        let mut limiter = CommandRatelimiter::new(INTERVAL);
        for _ in 0..PERMITS {
            assert_eq!(limiter.available_at(Sending::ScheduledHeartbeat, now), now);
            limiter.record(now);
        }
        assert_eq!(
            limiter.available_at(Sending::ScheduledHeartbeat, now),
            now + PERIOD
        );
    }

    #[test]
    fn permits_come_back_as_their_sends_leave_the_window() {
        let start = Instant::now();
        let mut limiter = CommandRatelimiter::new(INTERVAL);
        for i in 0..PERMITS as u64 {
            limiter.record(start + Duration::from_millis(i * 100));
        }
        // The first send ages out one period after it went, freeing exactly one permit.
        let freed = start + PERIOD;
        assert_eq!(
            limiter.available_at(Sending::ScheduledHeartbeat, start + Duration::from_secs(30)),
            freed
        );
        assert_eq!(
            limiter.available_at(Sending::ScheduledHeartbeat, freed),
            freed
        );
        limiter.record(freed);
        assert_eq!(
            limiter.available_at(Sending::ScheduledHeartbeat, freed),
            start + Duration::from_millis(100) + PERIOD
        );
    }

    #[test]
    fn no_window_of_sixty_seconds_ever_holds_more_than_120() {
        let start = Instant::now();
        let mut limiter = CommandRatelimiter::new(INTERVAL);
        let mut sent = Vec::new();
        let mut now = start;
        // Send as fast as the limiter allows for three periods, mixing kinds.
        while now < start + PERIOD * 3 {
            let kind = if sent.len() % 5 == 0 {
                Sending::ScheduledHeartbeat
            } else {
                Sending::Other
            };
            now = limiter.available_at(kind, now);
            limiter.record(now);
            sent.push(now);
        }
        for (i, &first) in sent.iter().enumerate() {
            let in_window = sent[i..]
                .iter()
                .take_while(|&&t| t < first + PERIOD)
                .count();
            assert!(
                in_window <= PERMITS,
                "{in_window} sends in the window from {i}"
            );
        }
    }
}
