//! Ed25519 verification in Rust (`ed25519-compact`): the native implementation, and the
//! Worker's fallback when its runtime offers no Ed25519 in WebCrypto.

use ed25519_compact::{PublicKey, Signature};

use super::VerifyError;

/// Checks `signature` over `timestamp ‖ body`, hashing the two parts in turn rather than
/// copying a body of up to 64 KiB into one buffer.
pub fn check(
    key: &PublicKey,
    signature: &[u8; 64],
    timestamp: &str,
    body: &[u8],
) -> Result<(), VerifyError> {
    let mut state = key
        .verify_incremental(&Signature::new(*signature))
        .map_err(|_| VerifyError::Mismatch)?;
    state.absorb(timestamp.as_bytes());
    state.absorb(body);
    state.verify().map_err(|_| VerifyError::Mismatch)
}
