//! Discord's request signature: Ed25519 over the `X-Signature-Timestamp` header followed by
//! the raw body, under the application's public key.
//!
//! [`verify`] is the one function that decides. In the Worker it asks the runtime's own
//! Ed25519 (WebCrypto), which is about four times faster than Ed25519 compiled to wasm;
//! natively it uses [`portable`] (`ed25519-compact`). The end-to-end suite holds the two to
//! the same answers, WebCrypto inside workerd against `portable` natively, over valid,
//! tampered, malformed, non-canonical and small-order-R signatures.
//!
//! The Worker carries no Ed25519 code of its own by default: workerd and Cloudflare's
//! runtime both have Ed25519 in WebCrypto, and the portable code would add about 10 KB
//! (gzipped) to the Worker's download and start-up. For a runtime without it, build the Worker with the
//! `portable-fallback` feature; without that feature such a runtime answers every
//! interaction with a 500 whose log line says so, rather than refusing them as forgeries.
//!
//! Where they would differ, the input never reaches them: workerd's WebCrypto accepts forged
//! signatures under a small-order public key, so `config` refuses such keys. (The other known
//! difference, a signature whose R is off by a small-order point, is one only the holder of
//! the private key, Discord, could make; `ed25519-compact` accepts it, WebCrypto does not.)

use ed25519_compact::PublicKey;
use thiserror::Error;

#[cfg(any(not(target_arch = "wasm32"), feature = "portable-fallback"))]
pub mod portable;
#[cfg(target_arch = "wasm32")]
pub mod webcrypto;

/// Ed25519 signatures are 64 bytes, sent as 128 hex characters.
pub const SIGNATURE_HEX_LEN: usize = 128;

/// Why a request's signature was not accepted.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("the signature header is not 128 hex characters")]
    MalformedSignature,
    #[error("the signature does not match the timestamp and body")]
    Mismatch,
    /// Not the request's fault: this Worker was built without `portable-fallback` and its
    /// runtime has no Ed25519 in WebCrypto (or refused the key), so nothing can be checked.
    #[error(
        "this runtime has no Ed25519 in WebCrypto; build the Worker with the `portable-fallback` feature"
    )]
    NoVerifier,
}

/// Checks that `signature_hex` signs `timestamp ‖ body` under `key`.
pub async fn verify(
    key: &PublicKey,
    signature_hex: &str,
    timestamp: &str,
    body: &[u8],
) -> Result<(), VerifyError> {
    let signature = decode_signature(signature_hex)?;
    #[cfg(target_arch = "wasm32")]
    if let Ok(answer) = webcrypto::check(key, &signature, timestamp, body).await {
        return answer;
    }
    #[cfg(any(not(target_arch = "wasm32"), feature = "portable-fallback"))]
    return portable::check(key, &signature, timestamp, body);
    #[cfg(all(target_arch = "wasm32", not(feature = "portable-fallback")))]
    return Err(VerifyError::NoVerifier);
}

/// Decodes the header; exactly 128 hex characters (either case), nothing else.
pub fn decode_signature(signature_hex: &str) -> Result<[u8; 64], VerifyError> {
    let mut signature = [0u8; 64];
    if signature_hex.len() != SIGNATURE_HEX_LEN {
        return Err(VerifyError::MalformedSignature);
    }
    hex::decode_to_slice(signature_hex, &mut signature)
        .map_err(|_| VerifyError::MalformedSignature)?;
    Ok(signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_compact::{KeyPair, Seed};

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        // `verify` never awaits natively: the portable check is synchronous.
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(output) => output,
            std::task::Poll::Pending => panic!("verify awaited natively"),
        }
    }

    fn signed(timestamp: &str, body: &[u8]) -> (KeyPair, String) {
        let pair = KeyPair::from_seed(Seed::new([3; 32]));
        let message = [timestamp.as_bytes(), body].concat();
        (pair.clone(), hex::encode(*pair.sk.sign(message, None)))
    }

    #[test]
    fn accepts_a_signature_over_timestamp_then_body() {
        let (pair, signature) = signed("1700000000", br#"{"type":1}"#);
        let answer = block_on(verify(&pair.pk, &signature, "1700000000", br#"{"type":1}"#));
        assert_eq!(answer, Ok(()));
    }

    #[test]
    fn accepts_uppercase_hex() {
        let (pair, signature) = signed("1700000000", b"{}");
        let answer = block_on(verify(
            &pair.pk,
            &signature.to_uppercase(),
            "1700000000",
            b"{}",
        ));
        assert_eq!(answer, Ok(()));
    }

    #[test]
    fn refuses_a_tampered_body_or_timestamp() {
        let (pair, signature) = signed("1700000000", br#"{"type":1}"#);
        let tampered_body = block_on(verify(&pair.pk, &signature, "1700000000", br#"{"type":2}"#));
        let tampered_time = block_on(verify(&pair.pk, &signature, "1700000001", br#"{"type":1}"#));
        assert_eq!(tampered_body, Err(VerifyError::Mismatch));
        assert_eq!(tampered_time, Err(VerifyError::Mismatch));
    }

    #[test]
    fn refuses_another_key() {
        let (_, signature) = signed("1700000000", b"{}");
        let other = KeyPair::from_seed(Seed::new([4; 32]));
        let answer = block_on(verify(&other.pk, &signature, "1700000000", b"{}"));
        assert_eq!(answer, Err(VerifyError::Mismatch));
    }

    #[test]
    fn refuses_short_long_and_non_hex_headers_before_any_curve_work() {
        let (pair, signature) = signed("1700000000", b"{}");
        for header in [
            String::new(),
            signature[..126].to_owned(),
            format!("{signature}00"),
            format!("{}zz", &signature[..126]),
            format!("{} ", &signature[..127]),
        ] {
            let answer = block_on(verify(&pair.pk, &header, "1700000000", b"{}"));
            assert_eq!(answer, Err(VerifyError::MalformedSignature), "{header:?}");
        }
    }
}
