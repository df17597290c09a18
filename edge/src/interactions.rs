//! `POST /interactions`: the checks Discord requires before a request body is trusted.
//!
//! In order: the method, the body's size, the signature headers, the timestamp's age, the
//! Ed25519 signature over timestamp and body, and only then the JSON. Every signature
//! problem is a `401`: Discord sends deliberately bad signatures when the endpoint is saved
//! and drops endpoints that accept them.

use ed25519_compact::PublicKey;
use thiserror::Error;

use crate::verify::{self, VerifyError};

pub const PATH: &str = "/interactions";
/// Discord's interactions are a few KiB; the cap keeps a hostile body from costing memory
/// and CPU before its signature is even checked.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// A signed request older (or newer) than this is refused as a replay.
pub const MAX_CLOCK_SKEW_SECS: i64 = 5 * 60;

pub const SIGNATURE_HEADER: &str = "x-signature-ed25519";
pub const TIMESTAMP_HEADER: &str = "x-signature-timestamp";

/// Why a request to the interactions endpoint was refused before any command ran.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum Rejection {
    #[error("only POST is accepted here")]
    MethodNotAllowed,
    #[error("the body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    #[error("the timestamp header is not a Unix time in seconds")]
    MalformedTimestamp,
    #[error("the timestamp is more than {MAX_CLOCK_SKEW_SECS} seconds from now")]
    Replay,
    #[error(transparent)]
    Signature(#[from] VerifyError),
    #[error("{0}")]
    MalformedBody(String),
}

impl Rejection {
    pub fn status(&self) -> u16 {
        match self {
            Self::MethodNotAllowed => 405,
            Self::TooLarge => 413,
            Self::MissingHeader(_)
            | Self::MalformedTimestamp
            | Self::Replay
            | Self::Signature(VerifyError::MalformedSignature | VerifyError::Mismatch) => 401,
            Self::Signature(VerifyError::NoVerifier) => 500,
            Self::MalformedBody(_) => 400,
        }
    }
}

/// The path of a request URL (`https://host/path?query` → `/path`), read without a URL parser:
/// the `url` crate's IDNA tables would cost the Worker tens of kilobytes for one slice.
pub fn request_path(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(url, |at| &url[at + 3..]);
    let path = after_scheme.find('/').map_or("/", |at| &after_scheme[at..]);
    path.split(['?', '#']).next().unwrap_or("/")
}

/// Refuses a body before it is read when its declared length is already over the cap.
pub fn check_declared_length(content_length: Option<&str>) -> Result<(), Rejection> {
    match content_length.and_then(|value| value.trim().parse::<u64>().ok()) {
        Some(length) if length > MAX_BODY_BYTES as u64 => Err(Rejection::TooLarge),
        _ => Ok(()),
    }
}

/// Decides whether a body came from Discord: size, headers, freshness, then the signature.
pub async fn authenticate(
    key: &PublicKey,
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<(), Rejection> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Rejection::TooLarge);
    }
    let signature = signature.ok_or(Rejection::MissingHeader(SIGNATURE_HEADER))?;
    let timestamp = timestamp.ok_or(Rejection::MissingHeader(TIMESTAMP_HEADER))?;
    check_freshness(timestamp, now_secs)?;
    verify::verify(key, signature, timestamp, body).await?;
    Ok(())
}

/// The timestamp is decimal Unix seconds, within [`MAX_CLOCK_SKEW_SECS`] of now.
fn check_freshness(timestamp: &str, now_secs: i64) -> Result<(), Rejection> {
    if timestamp.is_empty() || !timestamp.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(Rejection::MalformedTimestamp);
    }
    let sent: i64 = timestamp
        .parse()
        .map_err(|_| Rejection::MalformedTimestamp)?;
    if (now_secs - sent).abs() > MAX_CLOCK_SKEW_SECS {
        return Err(Rejection::Replay);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_compact::{KeyPair, Seed};

    const NOW: i64 = 1_764_000_000;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(output) => output,
            std::task::Poll::Pending => panic!("authenticate awaited natively"),
        }
    }

    fn pair() -> KeyPair {
        KeyPair::from_seed(Seed::new([9; 32]))
    }

    fn sign(timestamp: &str, body: &[u8]) -> String {
        hex::encode(*pair().sk.sign([timestamp.as_bytes(), body].concat(), None))
    }

    fn check(
        signature: Option<&str>,
        timestamp: Option<&str>,
        body: &[u8],
    ) -> Result<(), Rejection> {
        block_on(authenticate(&pair().pk, signature, timestamp, body, NOW))
    }

    #[test]
    fn the_path_is_read_from_the_request_url() {
        assert_eq!(
            request_path("https://edge.example/interactions"),
            "/interactions"
        );
        assert_eq!(
            request_path("http://127.0.0.1:8787/interactions?x=1#f"),
            "/interactions"
        );
        assert_eq!(request_path("http://127.0.0.1:8787"), "/");
        assert_eq!(request_path("https://edge.example/"), "/");
    }

    #[test]
    fn a_fresh_signed_body_is_accepted() {
        let timestamp = NOW.to_string();
        let body = br#"{"type":1}"#;
        assert_eq!(
            check(Some(&sign(&timestamp, body)), Some(&timestamp), body),
            Ok(())
        );
    }

    #[test]
    fn missing_headers_are_unauthorized() {
        let timestamp = NOW.to_string();
        let signature = sign(&timestamp, b"{}");
        let no_signature = check(None, Some(&timestamp), b"{}").unwrap_err();
        let no_timestamp = check(Some(&signature), None, b"{}").unwrap_err();
        assert_eq!(no_signature, Rejection::MissingHeader(SIGNATURE_HEADER));
        assert_eq!(no_timestamp, Rejection::MissingHeader(TIMESTAMP_HEADER));
        assert_eq!(no_signature.status(), 401);
        assert_eq!(no_timestamp.status(), 401);
    }

    #[test]
    fn timestamps_older_or_newer_than_five_minutes_are_replays() {
        for sent in [NOW - MAX_CLOCK_SKEW_SECS - 1, NOW + MAX_CLOCK_SKEW_SECS + 1] {
            let timestamp = sent.to_string();
            let rejection = check(Some(&sign(&timestamp, b"{}")), Some(&timestamp), b"{}");
            assert_eq!(rejection, Err(Rejection::Replay), "sent at {sent}");
        }
        for sent in [NOW - MAX_CLOCK_SKEW_SECS, NOW + MAX_CLOCK_SKEW_SECS] {
            let timestamp = sent.to_string();
            let accepted = check(Some(&sign(&timestamp, b"{}")), Some(&timestamp), b"{}");
            assert_eq!(accepted, Ok(()), "sent at {sent}");
        }
    }

    #[test]
    fn non_numeric_timestamps_are_unauthorized() {
        for timestamp in [
            "",
            "soon",
            "-1700000000",
            "+1764000000",
            "1764000000.5",
            "99999999999999999999",
        ] {
            let rejection =
                check(Some(&sign(timestamp, b"{}")), Some(timestamp), b"{}").unwrap_err();
            assert_eq!(rejection, Rejection::MalformedTimestamp, "{timestamp:?}");
            assert_eq!(rejection.status(), 401);
        }
    }

    #[test]
    fn bad_signatures_are_unauthorized() {
        let timestamp = NOW.to_string();
        let signature = sign(&timestamp, b"{}");
        let wrong_body = check(Some(&signature), Some(&timestamp), b"{ }").unwrap_err();
        let not_hex = check(Some(&"zz".repeat(64)), Some(&timestamp), b"{}").unwrap_err();
        assert_eq!(wrong_body, Rejection::Signature(VerifyError::Mismatch));
        assert_eq!(
            not_hex,
            Rejection::Signature(VerifyError::MalformedSignature)
        );
        assert_eq!(wrong_body.status(), 401);
        assert_eq!(not_hex.status(), 401);
    }

    #[test]
    fn bodies_over_64_kib_are_too_large_whether_declared_or_sent() {
        let timestamp = NOW.to_string();
        let body = vec![b' '; MAX_BODY_BYTES + 1];
        let sent = check(Some(&sign(&timestamp, &body)), Some(&timestamp), &body).unwrap_err();
        assert_eq!(sent, Rejection::TooLarge);
        assert_eq!(sent.status(), 413);
        assert_eq!(
            check_declared_length(Some("65537")),
            Err(Rejection::TooLarge)
        );
        assert_eq!(check_declared_length(Some("65536")), Ok(()));
        assert_eq!(check_declared_length(None), Ok(()));
    }
}
