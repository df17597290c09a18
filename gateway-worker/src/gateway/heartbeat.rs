//! Heartbeating: when the next beat is due, whether the connection is a zombie, and latency.
//!
//! Discord closes a connection that stops beating, and a connection that stops answering
//! looks alive until we notice the missing ACK. The rules (DESIGN.md): the first beat waits
//! `interval * jitter` with jitter in [0, 1), so shards that reconnect together do not beat
//! together; then one beat per interval; an op 1 from Discord asks for a beat now; a beat that
//! finds the previous one still unacknowledged means a zombie, to be closed and resumed.

use std::time::Duration;

use tokio::time::Instant;

/// A random jitter in [0, 1) for the first beat.
pub fn jitter() -> f64 {
    rand::random::<f64>()
}

/// How long the first beat waits after Hello.
pub fn first_beat_delay(interval: Duration, jitter: f64) -> Duration {
    interval.mul_f64(jitter.clamp(0.0, 1.0))
}

/// What to do when the heartbeat timer fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// The interval's beat.
    Scheduled,
    /// A beat Discord asked for with op 1.
    Requested,
    /// No ACK arrived since the last beat: close with a resumable code and resume.
    Zombie,
}

/// The heartbeat state of one connection.
#[derive(Debug)]
pub struct Heartbeat {
    interval: Duration,
    scheduled: Instant,
    /// Discord asked for a beat (op 1) that has not gone out yet.
    requested: bool,
    /// When the oldest unacknowledged beat went out.
    unacked_since: Option<Instant>,
}

impl Heartbeat {
    /// After Hello: the first beat waits `interval * jitter`.
    pub fn new(interval: Duration, jitter: f64, now: Instant) -> Self {
        Self {
            interval,
            scheduled: now + first_beat_delay(interval, jitter),
            requested: false,
            unacked_since: None,
        }
    }

    /// When the interval's next beat is due.
    pub fn next_beat(&self) -> Instant {
        self.scheduled
    }

    /// The timer fired. A beat Discord asked for proves the connection alive, so only a
    /// scheduled beat checks for the missing ACK.
    pub fn due(&self) -> Due {
        match (self.requested, self.unacked_since) {
            (true, _) => Due::Requested,
            (false, Some(_)) => Due::Zombie,
            (false, None) => Due::Scheduled,
        }
    }

    /// Op 1 from Discord: beat now, without waiting for the rest of the interval.
    pub fn request(&mut self) {
        self.requested = true;
    }

    /// A requested beat cannot go out (the send limit is full): the scheduled beat still will.
    pub fn decline_request(&mut self) {
        self.requested = false;
    }

    /// A beat went out; the next one is a full interval later, so a requested beat is never
    /// followed at once by a scheduled one that would find it unacknowledged.
    pub fn sent(&mut self, now: Instant) {
        self.requested = false;
        self.scheduled = now + self.interval;
        self.unacked_since.get_or_insert(now);
    }

    /// Op 11 arrived: returns the round trip, or `None` for an ACK nothing asked for.
    pub fn acknowledged(&mut self, now: Instant) -> Option<Duration> {
        self.unacked_since.take().map(|sent| now - sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_millis(41_250);

    #[test]
    fn jitter_is_in_zero_to_one() {
        for _ in 0..10_000 {
            let jitter = jitter();
            assert!((0.0..1.0).contains(&jitter), "{jitter}");
        }
    }

    #[test]
    fn the_first_beat_waits_interval_times_jitter() {
        assert_eq!(first_beat_delay(INTERVAL, 0.0), Duration::ZERO);
        assert_eq!(first_beat_delay(INTERVAL, 0.5), INTERVAL / 2);
        assert!(first_beat_delay(INTERVAL, 0.999_999) < INTERVAL);
    }

    #[test]
    fn beats_follow_every_interval_after_the_first() {
        let start = Instant::now();
        let mut heartbeat = Heartbeat::new(INTERVAL, 0.25, start);
        assert_eq!(heartbeat.next_beat(), start + INTERVAL / 4);
        let first = heartbeat.next_beat();
        heartbeat.sent(first);
        assert_eq!(heartbeat.next_beat(), first + INTERVAL);
    }

    #[test]
    fn a_beat_after_an_ack_is_a_beat() {
        let now = Instant::now();
        let mut heartbeat = Heartbeat::new(INTERVAL, 0.0, now);
        assert_eq!(heartbeat.due(), Due::Scheduled);
        heartbeat.sent(now);
        heartbeat.acknowledged(now + Duration::from_millis(30));
        assert_eq!(heartbeat.due(), Due::Scheduled);
    }

    #[test]
    fn a_beat_without_an_ack_since_the_last_is_a_zombie() {
        let now = Instant::now();
        let mut heartbeat = Heartbeat::new(INTERVAL, 0.0, now);
        heartbeat.sent(now);
        assert_eq!(heartbeat.due(), Due::Zombie);
    }

    #[test]
    fn a_requested_beat_goes_out_now_even_while_an_ack_is_outstanding() {
        let now = Instant::now();
        let mut heartbeat = Heartbeat::new(INTERVAL, 0.0, now);
        heartbeat.sent(now);
        let later = now + Duration::from_secs(5);
        heartbeat.request();
        assert_eq!(heartbeat.due(), Due::Requested);
        heartbeat.sent(later);
        assert_eq!(heartbeat.next_beat(), later + INTERVAL);
    }

    #[test]
    fn a_declined_request_leaves_the_scheduled_beat_in_place() {
        let now = Instant::now();
        let mut heartbeat = Heartbeat::new(INTERVAL, 0.0, now);
        heartbeat.sent(now);
        heartbeat.acknowledged(now);
        heartbeat.request();
        heartbeat.decline_request();
        assert_eq!(heartbeat.next_beat(), now + INTERVAL);
        assert_eq!(heartbeat.due(), Due::Scheduled);
    }

    #[test]
    fn latency_is_measured_from_the_oldest_unacknowledged_beat() {
        let now = Instant::now();
        let mut heartbeat = Heartbeat::new(INTERVAL, 0.0, now);
        heartbeat.sent(now);
        heartbeat.request();
        heartbeat.sent(now + Duration::from_millis(10));
        let latency = heartbeat.acknowledged(now + Duration::from_millis(50));
        assert_eq!(latency, Some(Duration::from_millis(50)));
    }

    #[test]
    fn an_ack_nothing_asked_for_has_no_latency() {
        let now = Instant::now();
        let mut heartbeat = Heartbeat::new(INTERVAL, 0.0, now);
        assert_eq!(heartbeat.acknowledged(now), None);
    }
}
