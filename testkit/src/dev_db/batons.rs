//! Batons: the tokens that tie stateless HTTP requests to a stream. Each response hands out a
//! fresh, unguessable baton and the request that presents it spends it, so requests on a
//! stream are serial and a replayed or forged baton finds nothing, as sqld ensures with its
//! signed sequence numbers.
//!
//! A client that vanishes never says so over HTTP; a stream idle longer than the timeout is
//! taken back (sqld uses 10 seconds) and its baton then reports "expired" for a while, so the
//! client learns why rather than getting "invalid".

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long an expired baton is remembered as expired (sqld: 5 minutes).
const EXPIRED_MEMORY: Duration = Duration::from_secs(300);

/// Why a baton found no stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BatonRefusal {
    /// Never issued, already spent, or forgotten.
    Unknown,
    /// Its stream sat idle too long and was closed.
    Expired,
}

/// The streams between requests, each under the baton that will fetch it.
pub(super) struct Batons<S> {
    idle_timeout: Duration,
    parked: HashMap<String, Parked<S>>,
    expired: HashMap<String, Instant>,
}

struct Parked<S> {
    stream: S,
    since: Instant,
}

impl<S> Batons<S> {
    pub(super) fn new(idle_timeout: Duration) -> Self {
        Self {
            idle_timeout,
            parked: HashMap::new(),
            expired: HashMap::new(),
        }
    }

    /// Parks a stream until its next request and returns the baton for it.
    pub(super) fn park(&mut self, stream: S, now: Instant) -> String {
        let baton = format!("{:032x}", rand::random::<u128>());
        self.parked
            .insert(baton.clone(), Parked { stream, since: now });
        baton
    }

    /// Takes the stream a baton names; the baton is spent.
    pub(super) fn take(&mut self, baton: &str) -> Result<S, BatonRefusal> {
        if let Some(parked) = self.parked.remove(baton) {
            return Ok(parked.stream);
        }
        if self.expired.contains_key(baton) {
            return Err(BatonRefusal::Expired);
        }
        Err(BatonRefusal::Unknown)
    }

    /// Takes back the streams idle for the timeout or longer and returns them for the caller
    /// to close; forgets batons that expired long ago.
    pub(super) fn expire(&mut self, now: Instant) -> Vec<S> {
        self.expired
            .retain(|_, at| now.saturating_duration_since(*at) < EXPIRED_MEMORY);
        let stale: Vec<String> = self
            .parked
            .iter()
            .filter(|(_, parked)| now.saturating_duration_since(parked.since) >= self.idle_timeout)
            .map(|(baton, _)| baton.clone())
            .collect();
        stale
            .into_iter()
            .filter_map(|baton| {
                let parked = self.parked.remove(&baton)?;
                self.expired.insert(baton, now);
                Some(parked.stream)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(10);

    #[test]
    fn a_parked_stream_comes_back_once_with_its_baton() {
        let mut batons = Batons::new(TIMEOUT);
        let baton = batons.park("stream", Instant::now());
        assert_eq!(batons.take(&baton), Ok("stream"));
        assert_eq!(batons.take(&baton), Err(BatonRefusal::Unknown));
    }

    #[test]
    fn a_baton_never_issued_is_unknown() {
        let mut batons: Batons<()> = Batons::new(TIMEOUT);
        assert_eq!(batons.take("forged"), Err(BatonRefusal::Unknown));
    }

    #[test]
    fn every_park_issues_a_new_baton() {
        let mut batons = Batons::new(TIMEOUT);
        let now = Instant::now();
        let first = batons.park(1, now);
        let stream = batons.take(&first).expect("parked");
        let second = batons.park(stream, now);
        assert_ne!(first, second);
        assert_eq!(first.len(), 32);
    }

    #[test]
    fn a_stream_idle_for_the_timeout_is_taken_back_and_its_baton_reports_expired() {
        let mut batons = Batons::new(TIMEOUT);
        let start = Instant::now();
        let baton = batons.park("stream", start);
        assert!(
            batons
                .expire(start + TIMEOUT - Duration::from_millis(1))
                .is_empty()
        );
        assert_eq!(batons.expire(start + TIMEOUT), vec!["stream"]);
        assert_eq!(batons.take(&baton), Err(BatonRefusal::Expired));
    }

    #[test]
    fn an_expired_baton_is_forgotten_after_five_minutes() {
        let mut batons = Batons::new(TIMEOUT);
        let start = Instant::now();
        let baton = batons.park((), start);
        batons.expire(start + TIMEOUT);
        batons.expire(start + TIMEOUT + EXPIRED_MEMORY);
        assert_eq!(batons.take(&baton), Err(BatonRefusal::Unknown));
    }

    #[test]
    fn only_idle_streams_expire() {
        let mut batons = Batons::new(TIMEOUT);
        let start = Instant::now();
        batons.park("old", start);
        let recent = batons.park("recent", start + Duration::from_secs(5));
        assert_eq!(batons.expire(start + TIMEOUT), vec!["old"]);
        assert_eq!(batons.take(&recent), Ok("recent"));
    }
}
