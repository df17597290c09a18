//! Discord's limits on what a client sends: 120 payloads per connection in any 60 seconds
//! (past that: close 4008), and 4096 bytes per payload (past that: close 4002).
//!
//! The window slides: a client that spends 120 at the end of one minute and 120 at the start of
//! the next has sent 240 in a few seconds, and Discord disconnects for that.
use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

pub(crate) const MAX_PAYLOAD_BYTES: usize = 4096;
const LIMIT: usize = 120;
const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub(crate) struct SendLimit {
    sent: VecDeque<Instant>,
}

impl SendLimit {
    /// Counts one payload; false when it is one too many.
    pub fn allow(&mut self, now: Instant) -> bool {
        while self
            .sent
            .front()
            .is_some_and(|&at| now.duration_since(at) >= WINDOW)
        {
            self.sent.pop_front();
        }
        if self.sent.len() >= LIMIT {
            return false;
        }
        self.sent.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_121st_payload_within_a_minute_is_refused() {
        let start = Instant::now();
        let mut limit = SendLimit::default();
        for i in 0..120 {
            assert!(limit.allow(start + Duration::from_millis(i)));
        }
        assert!(!limit.allow(start + Duration::from_secs(59)));
    }

    #[test]
    fn payloads_older_than_a_minute_no_longer_count() {
        let start = Instant::now();
        let mut limit = SendLimit::default();
        for _ in 0..120 {
            assert!(limit.allow(start));
        }
        assert!(limit.allow(start + WINDOW));
    }
}
