//! REST rate limits as Discord applies and announces them: a fixed window per route bucket and
//! top-level resource, a global per-second cap on bot requests, the `X-RateLimit-*` headers on
//! every answer, and the 429 body with `retry_after`.
use std::collections::HashMap;
use std::time::Duration;

use axum::Json;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::time::Instant;

use crate::discord_sim::config::{RateLimitRule, RateLimits};
use crate::discord_sim::ids;

/// The routes the simulator serves, grouped as Discord groups them into rate-limit buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum RouteFamily {
    GatewayBot,
    CreateMessage,
    CreateReaction,
    Webhook,
    GlobalCommands,
    GuildCommands,
}

impl RouteFamily {
    /// Webhook routes authenticate with the token in the path, and are outside the bot's global limit.
    pub fn bot_authenticated(self) -> bool {
        self != Self::Webhook
    }

    /// The bucket as it stands when it is spent for `reset_after`.
    pub fn spent_quota(self, limits: &RateLimits, reset_after: Duration) -> Quota {
        Quota {
            limit: self.rule(limits).limit,
            remaining: 0,
            reset_after,
            bucket: self.bucket_hash(),
        }
    }

    /// `X-RateLimit-Bucket`: an opaque id per bucket, shaped like Discord's.
    fn bucket_hash(self) -> &'static str {
        match self {
            Self::GatewayBot => "41f9cd5d28af77da04563bcb1d67fdfd",
            Self::CreateMessage => "80c17d2f203122d936070c88c8d10f33",
            Self::CreateReaction => "c8ca2e63d0a34d8d6b4e4bc9dc7e2ea9",
            Self::Webhook => "d1e8ca3bb8b3de5f8bb16dc7d8c4ab4e",
            Self::GlobalCommands | Self::GuildCommands => "f2ad1b9c0ae47a7f40e1fb39d2e2b3f1",
        }
    }

    fn rule(self, limits: &RateLimits) -> RateLimitRule {
        match self {
            Self::GatewayBot => limits.gateway_bot,
            Self::CreateMessage => limits.create_message,
            Self::CreateReaction => limits.create_reaction,
            Self::Webhook => limits.webhook,
            Self::GlobalCommands | Self::GuildCommands => limits.commands,
        }
    }
}

/// A bucket's state as the headers tell it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Quota {
    pub limit: u32,
    pub remaining: u32,
    pub reset_after: Duration,
    pub bucket: &'static str,
}

#[derive(Debug, PartialEq)]
pub(crate) enum Verdict {
    /// Limits are off: no headers.
    Unlimited,
    Allowed(Quota),
    /// Refused; `quota` is the route's bucket (Discord sends its headers on a 429 too).
    Limited {
        quota: Quota,
        global: bool,
        retry_after: Duration,
    },
}

#[derive(Debug)]
struct Window {
    count: u32,
    reset_at: Instant,
}

impl Window {
    fn current(&mut self, period: Duration, now: Instant) -> &mut Self {
        if now >= self.reset_at {
            self.count = 0;
            self.reset_at = now + period;
        }
        self
    }
}

#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    global: Option<Window>,
    buckets: HashMap<(RouteFamily, String), Window>,
}

impl RateLimiter {
    /// Decides one request of `family` on the top-level resource `major`, counting it if allowed.
    pub fn acquire(
        &mut self,
        limits: &RateLimits,
        family: RouteFamily,
        major: &str,
        now: Instant,
    ) -> Verdict {
        if !limits.enabled {
            return Verdict::Unlimited;
        }
        let rule = family.rule(limits);
        let fresh = || Window {
            count: 0,
            reset_at: now + rule.window,
        };
        let bucket = self
            .buckets
            .entry((family, major.to_owned()))
            .or_insert_with(fresh)
            .current(rule.window, now);
        let quota = |count: u32, reset_at: Instant| Quota {
            limit: rule.limit,
            remaining: rule.limit.saturating_sub(count),
            reset_after: reset_at.saturating_duration_since(now),
            bucket: family.bucket_hash(),
        };
        if bucket.count >= rule.limit {
            let quota = quota(bucket.count, bucket.reset_at);
            let retry_after = quota.reset_after;
            return Verdict::Limited {
                quota,
                global: false,
                retry_after,
            };
        }
        if family.bot_authenticated() {
            let second = Duration::from_secs(1);
            let global = self
                .global
                .get_or_insert_with(|| Window {
                    count: 0,
                    reset_at: now + second,
                })
                .current(second, now);
            if global.count >= limits.global_per_second {
                let retry_after = global.reset_at.saturating_duration_since(now);
                let bucket = &self.buckets[&(family, major.to_owned())];
                return Verdict::Limited {
                    quota: quota(bucket.count, bucket.reset_at),
                    global: true,
                    retry_after,
                };
            }
            global.count += 1;
        }
        let bucket = self
            .buckets
            .get_mut(&(family, major.to_owned()))
            .expect("bucket inserted above");
        bucket.count += 1;
        Verdict::Allowed(quota(bucket.count, bucket.reset_at))
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64())
}

/// `X-RateLimit-Limit`, `-Remaining`, `-Reset` (epoch seconds), `-Reset-After`, `-Bucket`.
pub(crate) fn quota_headers(quota: &Quota) -> HeaderMap {
    let reset_at = ids::now_ms() as f64 / 1000.0 + quota.reset_after.as_secs_f64();
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    put("x-ratelimit-limit", quota.limit.to_string());
    put("x-ratelimit-remaining", quota.remaining.to_string());
    put("x-ratelimit-reset", format!("{reset_at:.3}"));
    put("x-ratelimit-reset-after", seconds(quota.reset_after));
    put("x-ratelimit-bucket", quota.bucket.to_owned());
    headers
}

/// A 429 as Discord sends it: the body, `Retry-After` (whole seconds, rounded up), the bucket's
/// headers when there is one, `X-RateLimit-Scope`, and `X-RateLimit-Global` for the global limit.
pub(crate) fn too_many_requests(
    quota: Option<&Quota>,
    global: bool,
    retry_after: Duration,
) -> Response {
    let mut headers = quota.map(quota_headers).unwrap_or_default();
    let retry_after_secs = (retry_after.as_secs_f64() * 1000.0).round() / 1000.0;
    let header_secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
    headers.insert("retry-after", HeaderValue::from(header_secs));
    headers.insert(
        "x-ratelimit-scope",
        HeaderValue::from_static(if global { "global" } else { "user" }),
    );
    if global {
        headers.insert("x-ratelimit-global", HeaderValue::from_static("true"));
    }
    let body = json!({"message": "You are being rate limited.", "retry_after": retry_after_secs, "global": global});
    (StatusCode::TOO_MANY_REQUESTS, headers, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> RateLimits {
        RateLimits {
            create_message: RateLimitRule::new(2, Duration::from_secs(5)),
            global_per_second: 3,
            ..RateLimits::default()
        }
    }

    #[test]
    fn a_bucket_refuses_past_its_limit_until_its_window_resets() {
        let now = Instant::now();
        let mut limiter = RateLimiter::default();
        let limits = limits();
        let Verdict::Allowed(first) =
            limiter.acquire(&limits, RouteFamily::CreateMessage, "1", now)
        else {
            panic!("first refused")
        };
        assert_eq!((first.limit, first.remaining), (2, 1));
        limiter.acquire(&limits, RouteFamily::CreateMessage, "1", now);
        let later = now + Duration::from_secs(2);
        match limiter.acquire(&limits, RouteFamily::CreateMessage, "1", later) {
            Verdict::Limited {
                global: false,
                retry_after,
                quota,
            } => {
                assert_eq!(retry_after, Duration::from_secs(3));
                assert_eq!(quota.remaining, 0);
            }
            other => panic!("expected a bucket 429, got {other:?}"),
        }
        assert!(matches!(
            limiter.acquire(
                &limits,
                RouteFamily::CreateMessage,
                "1",
                now + Duration::from_secs(5)
            ),
            Verdict::Allowed(_)
        ));
    }

    #[test]
    fn each_channel_has_its_own_bucket() {
        let now = Instant::now();
        let mut limiter = RateLimiter::default();
        let limits = limits();
        limiter.acquire(&limits, RouteFamily::CreateMessage, "1", now);
        limiter.acquire(&limits, RouteFamily::CreateMessage, "1", now);
        assert!(matches!(
            limiter.acquire(&limits, RouteFamily::CreateMessage, "2", now),
            Verdict::Allowed(_)
        ));
    }

    #[test]
    fn the_global_limit_caps_bot_requests_across_buckets_but_not_webhooks() {
        let now = Instant::now();
        let mut limiter = RateLimiter::default();
        let limits = limits();
        for channel in ["1", "2", "3"] {
            assert!(matches!(
                limiter.acquire(&limits, RouteFamily::CreateMessage, channel, now),
                Verdict::Allowed(_)
            ));
        }
        assert!(matches!(
            limiter.acquire(&limits, RouteFamily::CreateMessage, "4", now),
            Verdict::Limited { global: true, .. }
        ));
        assert!(matches!(
            limiter.acquire(&limits, RouteFamily::Webhook, "app/token", now),
            Verdict::Allowed(_)
        ));
    }

    #[test]
    fn disabled_limits_never_refuse() {
        let mut limiter = RateLimiter::default();
        let limits = RateLimits::disabled();
        for _ in 0..1000 {
            assert_eq!(
                limiter.acquire(&limits, RouteFamily::CreateReaction, "1", Instant::now()),
                Verdict::Unlimited
            );
        }
    }
}
