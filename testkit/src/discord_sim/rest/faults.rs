//! Scripted REST misbehaviour: routes that answer 429 or 5xx for a number of calls or a while,
//! so a client's retry, backoff and `retry_after` handling can be watched.
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// A fault on every route whose path (below the API base) starts with `route_prefix`, e.g.
/// `/channels` or `/channels/123/messages`, optionally only for one HTTP method.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RestFault {
    pub route_prefix: String,
    #[serde(default)]
    pub method: Option<String>,
    pub kind: FaultKind,
    pub lasts: FaultLasts,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FaultKind {
    /// A 429 with `retry_after`; `global` makes it the global limit (`X-RateLimit-Global`).
    RateLimited { retry_after_ms: u64, global: bool },
    /// A 5xx with Discord's error body.
    ServerError { status: u16 },
    /// 403 `{"code": 50001, "message": "Missing Access"}`: a permanent failure, as when the bot
    /// lost access to a channel.
    MissingAccess,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultLasts {
    /// The next this-many matching calls.
    Count(u32),
    /// Every matching call for this long from now.
    ForMs(u64),
}

impl RestFault {
    /// A 429 with this `retry_after` on the next matching call.
    pub fn rate_limited(route_prefix: &str, retry_after: Duration, global: bool) -> Self {
        let retry_after_ms = u64::try_from(retry_after.as_millis()).unwrap_or(u64::MAX);
        Self::new(
            route_prefix,
            FaultKind::RateLimited {
                retry_after_ms,
                global,
            },
        )
    }

    /// A 5xx (500, 502, 503…) on the next matching call.
    pub fn server_error(route_prefix: &str, status: u16) -> Self {
        Self::new(route_prefix, FaultKind::ServerError { status })
    }

    /// A 403 Missing Access on the next matching call.
    pub fn missing_access(route_prefix: &str) -> Self {
        Self::new(route_prefix, FaultKind::MissingAccess)
    }

    fn new(route_prefix: &str, kind: FaultKind) -> Self {
        Self {
            route_prefix: route_prefix.to_owned(),
            method: None,
            kind,
            lasts: FaultLasts::Count(1),
        }
    }

    pub fn times(mut self, count: u32) -> Self {
        self.lasts = FaultLasts::Count(count);
        self
    }

    pub fn for_duration(mut self, duration: Duration) -> Self {
        self.lasts = FaultLasts::ForMs(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX));
        self
    }

    pub fn only_method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }
}

#[derive(Debug)]
struct Active {
    fault: RestFault,
    remaining: Option<u32>,
    until: Option<Instant>,
}

#[derive(Debug, Default)]
pub(crate) struct Faults {
    active: Vec<Active>,
}

impl Faults {
    pub fn add(&mut self, fault: RestFault, now: Instant) {
        let (remaining, until) = match fault.lasts {
            FaultLasts::Count(count) => (Some(count), None),
            FaultLasts::ForMs(ms) => (None, Some(now + Duration::from_millis(ms))),
        };
        self.active.push(Active {
            fault,
            remaining,
            until,
        });
    }

    pub fn clear(&mut self) {
        self.active.clear();
    }

    /// The fault this call runs into, if any, spending one of its count.
    pub fn take(&mut self, method: &str, path: &str, now: Instant) -> Option<FaultKind> {
        self.active
            .retain(|a| a.remaining != Some(0) && a.until.is_none_or(|until| now < until));
        let active = self.active.iter_mut().find(|a| {
            path.starts_with(&a.fault.route_prefix)
                && a.fault
                    .method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
        })?;
        if let Some(remaining) = &mut active.remaining {
            *remaining -= 1;
        }
        Some(active.fault.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counted_fault_hits_exactly_that_many_matching_calls() {
        let now = Instant::now();
        let mut faults = Faults::default();
        faults.add(RestFault::server_error("/channels", 503).times(2), now);
        assert_eq!(faults.take("PUT", "/gateway/bot", now), None);
        assert!(faults.take("POST", "/channels/1/messages", now).is_some());
        assert!(faults.take("POST", "/channels/1/messages", now).is_some());
        assert_eq!(faults.take("POST", "/channels/1/messages", now), None);
    }

    #[test]
    fn a_timed_fault_ends_when_its_time_is_up() {
        let now = Instant::now();
        let mut faults = Faults::default();
        faults.add(
            RestFault::rate_limited("/", Duration::from_millis(100), true)
                .for_duration(Duration::from_secs(1)),
            now,
        );
        assert!(
            faults
                .take("GET", "/gateway/bot", now + Duration::from_millis(999))
                .is_some()
        );
        assert_eq!(
            faults.take("GET", "/gateway/bot", now + Duration::from_secs(1)),
            None
        );
    }

    #[test]
    fn a_method_bound_fault_spares_other_methods() {
        let now = Instant::now();
        let mut faults = Faults::default();
        faults.add(
            RestFault::server_error("/channels", 500).only_method("put"),
            now,
        );
        assert_eq!(faults.take("POST", "/channels/1/messages", now), None);
        assert!(
            faults
                .take("PUT", "/channels/1/messages/2/reactions/x/@me", now)
                .is_some()
        );
    }
}
