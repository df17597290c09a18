//! Discord's REST rate limits as the responses describe them: per bucket
//! (`X-RateLimit-Bucket`, `-Remaining`, `-Reset-After`) and global (`X-RateLimit-Global`).
//!
//! Requests in one bucket are sent one at a time, so when a bucket is exhausted or answers 429
//! every waiting request waits with it instead of each finding out on its own (no retry storm).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::Deserialize;
use shiptrack_core::seconds;
use tokio::time::Instant;

/// What one response said about its rate limit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RateLimitHeaders {
    pub bucket: Option<String>,
    pub remaining: Option<u32>,
    pub reset_after: Option<Duration>,
    pub global: bool,
}

impl RateLimitHeaders {
    pub fn parse(headers: &HeaderMap) -> Self {
        let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        Self {
            bucket: text("x-ratelimit-bucket").map(str::to_owned),
            remaining: text("x-ratelimit-remaining").and_then(|value| value.parse().ok()),
            reset_after: text("x-ratelimit-reset-after").and_then(seconds::parse),
            global: text("x-ratelimit-global")
                .is_some_and(|value| value.eq_ignore_ascii_case("true")),
        }
    }
}

/// The body of a 429: `retry_after` is in seconds, with a fraction.
#[derive(Debug, Deserialize)]
struct TooManyRequestsBody {
    retry_after: f64,
    #[serde(default)]
    global: bool,
}

/// How long a 429 asks us to wait, and whether the whole token is limited.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryAfter {
    pub wait: Duration,
    pub global: bool,
}

impl RetryAfter {
    /// Reads the body's `retry_after` first (Discord's precise value), then the `Retry-After`
    /// and `X-RateLimit-Reset-After` headers; a 429 with none of them waits one second.
    pub fn from_response(
        headers: &RateLimitHeaders,
        retry_after_header: Option<&str>,
        body: &[u8],
    ) -> Self {
        let parsed = serde_json::from_slice::<TooManyRequestsBody>(body).ok();
        let wait = parsed
            .as_ref()
            .and_then(|body| Duration::try_from_secs_f64(body.retry_after).ok())
            .or_else(|| retry_after_header.and_then(seconds::parse))
            .or(headers.reset_after)
            .unwrap_or(Duration::from_secs(1));
        let global = headers.global || parsed.is_some_and(|body| body.global);
        Self { wait, global }
    }
}

/// One bucket's budget as last reported.
#[derive(Debug, Default)]
pub struct Bucket {
    remaining: Option<u32>,
    reset_at: Option<Instant>,
}

impl Bucket {
    /// How long to hold the next request: until the reset when nothing remains.
    pub fn delay(&self, now: Instant) -> Option<Duration> {
        match (self.remaining, self.reset_at) {
            (Some(0), Some(reset_at)) if reset_at > now => Some(reset_at - now),
            _ => None,
        }
    }

    pub fn record(&mut self, headers: &RateLimitHeaders, now: Instant) {
        if let Some(remaining) = headers.remaining {
            self.remaining = Some(remaining);
        }
        if let Some(reset_after) = headers.reset_after {
            self.reset_at = Some(now + reset_after);
        }
    }

    /// A 429 on this bucket: nothing may be sent until `wait` has passed.
    pub fn block_for(&mut self, wait: Duration, now: Instant) {
        self.remaining = Some(0);
        self.reset_at = Some(now + wait);
    }
}

/// All buckets of one token, and the token's global limit.
#[derive(Debug, Default)]
pub struct RateLimiter {
    global_until: Mutex<Option<Instant>>,
    /// Route key → the bucket hash Discord named for it.
    bucket_names: Mutex<HashMap<String, String>>,
    /// Bucket hash (or route key, until Discord names it) plus major parameter → its state.
    buckets: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Bucket>>>>,
}

impl RateLimiter {
    /// The bucket a route's next request waits on. Routes Discord puts in one bucket share it.
    pub fn bucket(
        &self,
        route_key: &str,
        major_parameter: &str,
    ) -> Arc<tokio::sync::Mutex<Bucket>> {
        let name = lock(&self.bucket_names)
            .get(route_key)
            .cloned()
            .unwrap_or_else(|| route_key.to_owned());
        lock(&self.buckets)
            .entry(format!("{name}:{major_parameter}"))
            .or_default()
            .clone()
    }

    /// Remembers which bucket Discord said a route belongs to.
    pub fn learn_bucket(
        &self,
        route_key: &str,
        major_parameter: &str,
        bucket: &str,
        state: &Arc<tokio::sync::Mutex<Bucket>>,
    ) {
        let mut names = lock(&self.bucket_names);
        if names.get(route_key).is_some_and(|known| known == bucket) {
            return;
        }
        names.insert(route_key.to_owned(), bucket.to_owned());
        // Later requests find the state they already share under the bucket's own name.
        lock(&self.buckets)
            .entry(format!("{bucket}:{major_parameter}"))
            .or_insert_with(|| state.clone());
    }

    /// How long every request must still wait because of a global 429.
    pub fn global_delay(&self, now: Instant) -> Option<Duration> {
        lock(&self.global_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    pub fn block_globally(&self, wait: Duration, now: Instant) {
        let mut until = lock(&self.global_until);
        let candidate = now + wait;
        if until.is_none_or(|current| current < candidate) {
            *until = Some(candidate);
        }
    }
}

/// These maps are only touched for a few instructions at a time and never across an await,
/// so a poisoned lock (a panic elsewhere while holding it) still holds consistent data.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn headers_give_bucket_remaining_and_reset() {
        let parsed = RateLimitHeaders::parse(&headers(&[
            ("x-ratelimit-bucket", "abc"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset-after", "1.250"),
        ]));
        assert_eq!(parsed.bucket.as_deref(), Some("abc"));
        assert_eq!(parsed.remaining, Some(0));
        assert_eq!(parsed.reset_after, Some(Duration::from_millis(1250)));
        assert!(!parsed.global);
    }

    #[test]
    fn an_exhausted_bucket_holds_requests_until_its_reset() {
        let now = Instant::now();
        let mut bucket = Bucket::default();
        bucket.record(
            &RateLimitHeaders {
                remaining: Some(0),
                reset_after: Some(Duration::from_secs(2)),
                ..Default::default()
            },
            now,
        );
        assert_eq!(bucket.delay(now), Some(Duration::from_secs(2)));
        assert_eq!(bucket.delay(now + Duration::from_secs(3)), None);
    }

    #[test]
    fn a_bucket_with_requests_left_sends_at_once() {
        let now = Instant::now();
        let mut bucket = Bucket::default();
        bucket.record(
            &RateLimitHeaders {
                remaining: Some(3),
                reset_after: Some(Duration::from_secs(2)),
                ..Default::default()
            },
            now,
        );
        assert_eq!(bucket.delay(now), None);
    }

    #[test]
    fn retry_after_comes_from_the_body_first() {
        let wait = RetryAfter::from_response(
            &RateLimitHeaders {
                reset_after: Some(Duration::from_secs(9)),
                ..Default::default()
            },
            Some("5"),
            br#"{"message":"You are being rate limited.","retry_after":0.75,"global":false}"#,
        );
        assert_eq!(
            wait,
            RetryAfter {
                wait: Duration::from_millis(750),
                global: false
            }
        );
    }

    #[test]
    fn retry_after_falls_back_to_the_headers_then_one_second() {
        let none = RateLimitHeaders::default();
        assert_eq!(
            RetryAfter::from_response(&none, Some("2"), b"").wait,
            Duration::from_secs(2)
        );
        let reset = RateLimitHeaders {
            reset_after: Some(Duration::from_secs(3)),
            ..Default::default()
        };
        assert_eq!(
            RetryAfter::from_response(&reset, None, b"not json").wait,
            Duration::from_secs(3)
        );
        assert_eq!(
            RetryAfter::from_response(&none, None, b"").wait,
            Duration::from_secs(1)
        );
    }

    #[test]
    fn a_global_429_is_recognised_from_the_body_or_the_header() {
        let body = br#"{"retry_after":1.0,"global":true}"#;
        assert!(RetryAfter::from_response(&RateLimitHeaders::default(), None, body).global);
        let header = RateLimitHeaders::parse(&headers(&[("x-ratelimit-global", "true")]));
        assert!(RetryAfter::from_response(&header, None, br#"{"retry_after":1.0}"#).global);
    }

    #[test]
    fn a_global_block_delays_every_request_and_never_shrinks() {
        let limiter = RateLimiter::default();
        let now = Instant::now();
        limiter.block_globally(Duration::from_secs(5), now);
        limiter.block_globally(Duration::from_secs(1), now);
        assert_eq!(limiter.global_delay(now), Some(Duration::from_secs(5)));
        assert_eq!(limiter.global_delay(now + Duration::from_secs(6)), None);
    }

    #[test]
    fn routes_discord_puts_in_one_bucket_share_its_state() {
        let limiter = RateLimiter::default();
        let first = limiter.bucket("route-a", "1");
        limiter.learn_bucket("route-a", "1", "shared", &first);
        let second = limiter.bucket("route-b", "1");
        limiter.learn_bucket("route-b", "1", "shared", &second);
        assert!(Arc::ptr_eq(
            &limiter.bucket("route-a", "1"),
            &limiter.bucket("route-b", "1")
        ));
        assert!(!Arc::ptr_eq(
            &limiter.bucket("route-a", "1"),
            &limiter.bucket("route-a", "2")
        ));
    }
}
