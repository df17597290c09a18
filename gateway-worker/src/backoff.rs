//! Exponential backoff with jitter, for every retry loop (REST 5xx, database writes, lease
//! polling, and the gateway's reconnects through `gateway::backoff`), so many processes
//! retrying after one outage spread out instead of arriving together.

use std::time::Duration;

use rand::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The delay before the first retry, before jitter.
    pub base: Duration,
    /// No delay grows past this, however many attempts failed.
    pub max: Duration,
}

impl Backoff {
    pub const fn new(base: Duration, max: Duration) -> Self {
        Self { base, max }
    }

    /// The ceiling for retry number `attempt` (1 for the first retry): `base * 2^(attempt-1)`,
    /// capped at `max`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.base.saturating_mul(factor).min(self.max)
    }

    /// A delay between half the ceiling and the ceiling: random enough to break up a herd,
    /// never so short that a failing dependency is hammered.
    pub fn delay(&self, attempt: u32) -> Duration {
        self.delay_with(attempt, rand::rng().random::<f64>())
    }

    /// [`Backoff::delay`] with the jitter (in [0, 1]) given, for callers that test their timing.
    pub fn delay_with(&self, attempt: u32, jitter: f64) -> Duration {
        let ceiling = self.ceiling(attempt);
        let half = ceiling / 2;
        half + (ceiling - half).mul_f64(jitter.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_doubles_per_attempt_up_to_the_maximum() {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(500));
        let ceilings: Vec<_> = (1..=5)
            .map(|attempt| backoff.ceiling(attempt).as_millis())
            .collect();
        assert_eq!(ceilings, [100, 200, 400, 500, 500]);
    }

    #[test]
    fn a_delay_lies_between_half_the_ceiling_and_the_ceiling() {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
        for attempt in 1..=8 {
            let ceiling = backoff.ceiling(attempt);
            for _ in 0..50 {
                let delay = backoff.delay(attempt);
                assert!(
                    delay >= ceiling / 2 && delay <= ceiling,
                    "{delay:?} for {ceiling:?}"
                );
            }
        }
    }

    #[test]
    fn huge_attempt_numbers_do_not_overflow() {
        let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        assert_eq!(backoff.ceiling(u32::MAX), Duration::from_secs(30));
    }
}
