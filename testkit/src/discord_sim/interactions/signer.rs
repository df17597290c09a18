//! The application's Ed25519 key pair, which signs every interaction the sim sends: the
//! signature is over the timestamp's bytes followed by the raw body, as Discord signs.
//!
//! This uses `ed25519-dalek`, deliberately not the `ed25519-compact` the edge verifies with, so
//! a test that passes proves two independent implementations agree.
use ed25519_dalek::{Signer as _, SigningKey};

pub(crate) struct Signer {
    key: SigningKey,
}

impl Signer {
    /// From a seed (reproducible public key), or a fresh random one.
    pub fn new(seed: Option<[u8; 32]>) -> Self {
        Self {
            key: SigningKey::from_bytes(&seed.unwrap_or_else(rand::random)),
        }
    }

    /// The value for the edge's `DISCORD_PUBLIC_KEY`: 32 bytes, hex.
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    /// `X-Signature-Ed25519` for this timestamp and body: 64 bytes, hex.
    pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
        let mut message = Vec::with_capacity(timestamp.len() + body.len());
        message.extend_from_slice(timestamp.as_bytes());
        message.extend_from_slice(body);
        hex::encode(self.key.sign(&message).to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_fixes_the_public_key_and_signatures_are_deterministic() {
        let a = Signer::new(Some([7; 32]));
        let b = Signer::new(Some([7; 32]));
        assert_eq!(a.public_key_hex(), b.public_key_hex());
        assert_eq!(a.public_key_hex().len(), 64);
        assert_eq!(a.sign("1700000000", b"{}"), b.sign("1700000000", b"{}"));
        assert_eq!(a.sign("1700000000", b"{}").len(), 128);
        assert_ne!(a.sign("1700000000", b"{}"), a.sign("1700000001", b"{}"));
    }
}
