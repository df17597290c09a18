//! Posting one digest message through `POST /channels/{id}/messages`: the body Discord gets,
//! what its answer means (posted, try again later, or refused for good), and how long to wait
//! before trying again.
//!
//! Every message pings nobody (`allowed_mentions: {"parse": []}`) whatever its text says, and
//! carries a nonce made from the guild, the week and the message's place in the digest, with
//! `enforce_nonce`: Discord then answers a repeat within a few minutes with the message it
//! already created instead of posting a second one. That covers the moment between Discord
//! accepting a message and the run recording its id: a retry, or a run that takes the week
//! over from one that died there, sends the same nonce and gets the same message back.

use std::fmt;
use std::time::Duration;

use miniserde::Deserialize;
use serde::Serialize;
use shiptrack_core::{seconds, week::WeekKey};

/// The route a message is posted to, below `DISCORD_API_BASE`.
pub fn path(channel_id: u64) -> String {
    format!("/channels/{channel_id}/messages")
}

/// The JSON body of one digest message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewMessage {
    pub content: String,
    allowed_mentions: AllowedMentions,
    pub nonce: String,
    enforce_nonce: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
struct AllowedMentions {
    parse: [&'static str; 0],
}

impl NewMessage {
    /// Part `part` (from 0) of `guild_id`'s digest for `week`.
    pub fn new(content: &str, guild_id: u64, week: WeekKey, part: usize) -> Self {
        Self {
            content: content.to_owned(),
            allowed_mentions: AllowedMentions { parse: [] },
            nonce: nonce(guild_id, week, part),
            enforce_nonce: true,
        }
    }
}

/// Discord's limit on a nonce's length.
pub const NONCE_MAX_CHARS: usize = 25;

/// `202648.27kkxy8aselr.0`: the week's ISO year and number (six digits), the guild in base 36,
/// the part in base 36. The fields cannot run into each other, so no two digest messages share
/// a nonce, and it stays within Discord's 25 characters for any guild and up to 36⁴ parts.
fn nonce(guild_id: u64, week: WeekKey, part: usize) -> String {
    let week: String = week
        .to_string()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    format!(
        "{week}.{}.{}",
        base36(guild_id as u128),
        base36(part as u128)
    )
}

fn base36(mut value: u128) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut digits = Vec::new();
    loop {
        digits.push(DIGITS[(value % 36) as usize]);
        value /= 36;
        if value == 0 {
            break;
        }
    }
    digits.reverse();
    String::from_utf8(digits).expect("base-36 digits are ASCII")
}

/// Discord's answer to one post, as far as the digest reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub status: u16,
    /// `X-RateLimit-Remaining`: posts left in the channel's bucket.
    pub remaining: Option<u32>,
    /// `X-RateLimit-Reset-After`: when the bucket refills.
    pub reset_after: Option<Duration>,
    /// `Retry-After`, in whole seconds; the 429 body's `retry_after` is more precise.
    pub retry_after: Option<Duration>,
    pub body: String,
}

impl Reply {
    /// Reads the headers through `header` (names in lower case).
    pub fn read(status: u16, header: impl Fn(&str) -> Option<String>, body: String) -> Self {
        let seconds = |name: &str| header(name).and_then(|value| seconds::parse(&value));
        Self {
            status,
            remaining: header("x-ratelimit-remaining").and_then(|value| value.trim().parse().ok()),
            reset_after: seconds("x-ratelimit-reset-after"),
            retry_after: seconds("retry-after"),
            body,
        }
    }
}

/// What one post came to.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Posted (or, for a repeated nonce, found already posted). `pause`: the channel's bucket is
    /// empty, so wait this long before the next post instead of provoking a 429.
    Posted {
        message_id: String,
        pause: Option<Duration>,
    },
    /// Not posted this time; the same message may be sent again.
    Transient(Transient),
    /// Discord will not take this message however often it is sent.
    Refused(Refusal),
}

/// A failure worth another try.
#[derive(Clone, Debug, PartialEq)]
pub enum Transient {
    /// 429: try again after `retry_after`.
    RateLimited { retry_after: Duration },
    /// A 5xx, no answer at all, or an answer that cannot be read: back off and try again.
    Unavailable { reason: String },
}

impl fmt::Display for Transient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RateLimited { retry_after } => {
                // Rounded to the millisecond in integers: formatting an `f64` would compile
                // about 14 KB of float printing into the Worker for this one log line.
                let millis = retry_after.as_secs() * 1000
                    + u64::from((retry_after.subsec_nanos() + 500_000) / 1_000_000);
                write!(
                    f,
                    "Discord rate-limited the post for {}.{:03} s",
                    millis / 1000,
                    millis % 1000
                )
            }
            Self::Unavailable { reason } => write!(f, "Discord did not take the post: {reason}"),
        }
    }
}

/// A permanent refusal with Discord's own words, e.g. 403 `50001 Missing Access` (the bot
/// cannot see the channel) or 404 `10003 Unknown Channel`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub code: Option<u64>,
    pub message: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Discord refused the message: {} (HTTP {}",
            self.message, self.status
        )?;
        if let Some(code) = self.code {
            write!(f, ", code {code}")?;
        }
        write!(f, ")")
    }
}

/// The parts of Discord's JSON answers the digest reads.
#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Deserialize)]
struct RateLimited {
    retry_after: f64,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: Option<u64>,
    message: Option<String>,
}

/// What Discord's answer means.
pub fn classify(reply: &Reply) -> Outcome {
    match reply.status {
        200..=299 => match miniserde::json::from_str::<Created>(&reply.body) {
            Ok(created) => Outcome::Posted {
                message_id: created.id,
                pause: reply.reset_after.filter(|_| reply.remaining == Some(0)),
            },
            // Posted, but the id is unreadable: the same nonce brings the same message back.
            Err(_) => Outcome::Transient(Transient::Unavailable {
                reason: format!("HTTP {} without a message id", reply.status),
            }),
        },
        429 => {
            let precise = miniserde::json::from_str::<RateLimited>(&reply.body)
                .ok()
                .and_then(|body| Duration::try_from_secs_f64(body.retry_after).ok());
            Outcome::Transient(Transient::RateLimited {
                retry_after: precise
                    .or(reply.retry_after)
                    .unwrap_or(Duration::from_secs(1)),
            })
        }
        500..=599 => Outcome::Transient(Transient::Unavailable {
            reason: format!("HTTP {}", reply.status),
        }),
        status => {
            let body = miniserde::json::from_str::<ErrorBody>(&reply.body).ok();
            Outcome::Refused(Refusal {
                status,
                code: body.as_ref().and_then(|body| body.code),
                message: body
                    .and_then(|body| body.message)
                    .unwrap_or_else(|| reply.body.chars().take(200).collect()),
            })
        }
    }
}

/// The first wait after Discord was unavailable; each further failure doubles it.
const BACKOFF_FIRST: Duration = Duration::from_secs(1);
/// The longest wait between two tries while Discord is unavailable.
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// How long to wait before try number `attempt + 1` after `failure` (the `attempt`th in a row),
/// or `None` when that wait does not fit in `time_left`: a rate limit waits exactly what Discord
/// asked, an outage backs off exponentially, with `jitter` (in [0, 1)) taking up to half of
/// each wait off so that many runs do not retry in step.
pub fn next_wait(
    failure: &Transient,
    attempt: u32,
    jitter: f64,
    time_left: Duration,
) -> Option<Duration> {
    let wait = match failure {
        Transient::RateLimited { retry_after } => *retry_after,
        Transient::Unavailable { .. } => {
            let doubled = BACKOFF_FIRST.saturating_mul(1 << attempt.saturating_sub(1).min(16));
            doubled
                .min(BACKOFF_MAX)
                .mul_f64(1.0 - jitter.clamp(0.0, 1.0) / 2.0)
        }
    };
    (wait <= time_left).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use shiptrack_core::week::{DigestWindow, parse_instant};

    fn week() -> WeekKey {
        DigestWindow::before(parse_instant("2026-11-30T09:00:00Z").unwrap()).key()
    }

    fn reply(status: u16, body: serde_json::Value) -> Reply {
        Reply {
            status,
            remaining: Some(4),
            reset_after: Some(Duration::from_secs(5)),
            retry_after: None,
            body: body.to_string(),
        }
    }

    #[test]
    fn a_message_pings_nobody_and_enforces_its_nonce() {
        let message = NewMessage::new(
            "• <@1> shipped: @everyone",
            290_926_798_626_357_999,
            week(),
            2,
        );
        assert_eq!(
            serde_json::to_value(&message).unwrap(),
            json!({
                "content": "• <@1> shipped: @everyone",
                "allowed_mentions": {"parse": []},
                "nonce": "202648.27kkxy8aselr.2",
                "enforce_nonce": true,
            })
        );
    }

    #[test]
    fn the_nonce_is_the_same_for_the_same_part_of_the_same_digest() {
        assert_eq!(nonce(7, week(), 3), nonce(7, week(), 3));
    }

    #[test]
    fn every_part_guild_and_week_has_its_own_nonce() {
        let next_week = DigestWindow::before(parse_instant("2026-12-07T09:00:00Z").unwrap()).key();
        let nonces = [
            nonce(7, week(), 0),
            nonce(7, week(), 1),
            nonce(8, week(), 0),
            nonce(7, next_week, 0),
            // Base 36 digits of one field never pass for another's.
            nonce(36, week(), 0),
            nonce(1, week(), 0),
        ];
        for (index, one) in nonces.iter().enumerate() {
            for other in &nonces[index + 1..] {
                assert_ne!(one, other);
            }
        }
    }

    #[test]
    fn the_nonce_fits_discords_limit_for_any_guild() {
        let longest = nonce(u64::MAX, week(), 36usize.pow(4) - 1);
        assert_eq!(longest, "202648.3w5e11264sgsf.zzzz");
        assert_eq!(longest.len(), NONCE_MAX_CHARS);
    }

    #[test]
    fn headers_are_read_as_discord_sends_them() {
        let headers = [
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset-after", "4.250"),
            ("retry-after", "5"),
        ];
        let reply = Reply::read(
            429,
            |name| {
                headers
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            },
            String::new(),
        );
        assert_eq!(reply.remaining, Some(0));
        assert_eq!(reply.reset_after, Some(Duration::from_millis(4250)));
        assert_eq!(reply.retry_after, Some(Duration::from_secs(5)));
        let bare = Reply::read(200, |_| None, String::new());
        assert_eq!(
            (bare.remaining, bare.reset_after, bare.retry_after),
            (None, None, None)
        );
    }

    #[test]
    fn a_created_message_gives_its_id() {
        assert_eq!(
            classify(&reply(
                200,
                json!({"id": "1300000000000000001", "content": "x"})
            )),
            Outcome::Posted {
                message_id: "1300000000000000001".to_owned(),
                pause: None
            }
        );
    }

    #[test]
    fn the_last_post_a_bucket_allows_pauses_until_it_refills() {
        let mut last = reply(200, json!({"id": "1"}));
        last.remaining = Some(0);
        assert_eq!(
            classify(&last),
            Outcome::Posted {
                message_id: "1".to_owned(),
                pause: Some(Duration::from_secs(5))
            }
        );
    }

    #[test]
    fn a_success_without_an_id_is_tried_again_under_the_same_nonce() {
        assert!(matches!(
            classify(&reply(200, json!({"ok": true}))),
            Outcome::Transient(Transient::Unavailable { .. })
        ));
    }

    #[test]
    fn a_429_waits_the_precise_retry_after_of_its_body() {
        let mut limited = reply(
            429,
            json!({"message": "You are being rate limited.", "retry_after": 1.337, "global": false}),
        );
        limited.retry_after = Some(Duration::from_secs(2));
        assert_eq!(
            classify(&limited),
            Outcome::Transient(Transient::RateLimited {
                retry_after: Duration::from_millis(1337)
            })
        );
        let mut header_only = reply(429, json!({}));
        header_only.retry_after = Some(Duration::from_secs(2));
        assert_eq!(
            classify(&header_only),
            Outcome::Transient(Transient::RateLimited {
                retry_after: Duration::from_secs(2)
            })
        );
    }

    #[test]
    fn server_errors_are_transient() {
        for status in [500, 502, 503, 504] {
            assert!(
                matches!(
                    classify(&reply(status, json!({}))),
                    Outcome::Transient(Transient::Unavailable { .. })
                ),
                "{status}"
            );
        }
    }

    #[test]
    fn missing_access_and_unknown_channel_are_refused_with_discords_words() {
        let refused = classify(&reply(
            403,
            json!({"code": 50001, "message": "Missing Access"}),
        ));
        assert_eq!(
            refused,
            Outcome::Refused(Refusal {
                status: 403,
                code: Some(50001),
                message: "Missing Access".to_owned()
            })
        );
        let Outcome::Refused(unknown) = classify(&reply(
            404,
            json!({"code": 10003, "message": "Unknown Channel"}),
        )) else {
            panic!("404 is permanent");
        };
        assert_eq!(
            unknown.to_string(),
            "Discord refused the message: Unknown Channel (HTTP 404, code 10003)"
        );
    }

    #[test]
    fn a_rate_limit_reads_in_seconds_to_the_millisecond() {
        let limited = |nanos| Transient::RateLimited {
            retry_after: Duration::from_nanos(nanos),
        };
        assert_eq!(
            limited(2_500_000_000).to_string(),
            "Discord rate-limited the post for 2.500 s"
        );
        assert_eq!(
            limited(64_570_400_000).to_string(),
            "Discord rate-limited the post for 64.570 s"
        );
        assert_eq!(
            limited(999_600_000).to_string(),
            "Discord rate-limited the post for 1.000 s"
        );
    }

    #[test]
    fn a_rate_limit_waits_what_discord_asked_when_it_fits() {
        let limited = Transient::RateLimited {
            retry_after: Duration::from_millis(2500),
        };
        let minute = Duration::from_secs(60);
        assert_eq!(
            next_wait(&limited, 1, 0.9, minute),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(next_wait(&limited, 1, 0.0, Duration::from_secs(2)), None);
    }

    #[test]
    fn an_outage_backs_off_doubling_up_to_thirty_seconds() {
        let down = Transient::Unavailable {
            reason: "HTTP 503".to_owned(),
        };
        let hour = Duration::from_secs(3600);
        let waits: Vec<u64> = (1..=7)
            .map(|attempt| next_wait(&down, attempt, 0.0, hour).unwrap().as_secs())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(next_wait(&down, 40, 0.0, hour), Some(BACKOFF_MAX));
    }

    #[test]
    fn jitter_takes_up_to_half_a_backoff_off() {
        let down = Transient::Unavailable {
            reason: "HTTP 502".to_owned(),
        };
        let hour = Duration::from_secs(3600);
        assert_eq!(next_wait(&down, 3, 0.5, hour), Some(Duration::from_secs(3)));
        assert!(next_wait(&down, 3, 0.999, hour).unwrap() > Duration::from_secs(2));
    }

    #[test]
    fn an_outage_longer_than_the_time_left_is_given_up() {
        let down = Transient::Unavailable {
            reason: "HTTP 503".to_owned(),
        };
        assert_eq!(next_wait(&down, 5, 0.0, Duration::from_secs(15)), None);
    }
}
