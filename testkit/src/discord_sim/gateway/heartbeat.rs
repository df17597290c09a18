//! When a connection that stopped heartbeating is cut off. Discord's rule: after Hello the first
//! heartbeat comes within `interval * jitter`, then one every interval; a client late by more
//! than the tolerance is disconnected and must resume.
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub(crate) struct HeartbeatDeadline {
    allowance: Duration,
    last: Instant,
}

impl HeartbeatDeadline {
    /// Counting from Hello.
    pub fn new(interval: Duration, grace: Duration, hello_at: Instant) -> Self {
        Self {
            allowance: interval + grace,
            last: hello_at,
        }
    }

    pub fn beat(&mut self, now: Instant) {
        self.last = now;
    }

    /// The moment the connection is late.
    pub fn deadline(&self) -> Instant {
        self.last + self.allowance
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_heartbeat_moves_the_deadline_one_interval_plus_grace_on() {
        let start = Instant::now();
        let mut deadline =
            HeartbeatDeadline::new(Duration::from_millis(100), Duration::from_millis(20), start);
        assert_eq!(deadline.deadline(), start + Duration::from_millis(120));
        deadline.beat(start + Duration::from_millis(90));
        assert_eq!(deadline.deadline(), start + Duration::from_millis(210));
    }
}
