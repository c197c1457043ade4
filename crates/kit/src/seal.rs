//! Secrets at rest, sealed with XChaCha20-Poly1305 under a service key (32 bytes, given as 64
//! hex digits or base64). Each sealed value is bound to its place by associated data (a row id,
//! a tenant), so a value copied elsewhere does not open. The sealed form is the random 192-bit
//! nonce followed by the ciphertext; services choose how they store it (bytes or text).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};

/// Length of the nonce in front of every sealed value.
pub const NONCE_LEN: usize = 24;
/// Length of the authentication tag at its end.
const TAG_LEN: usize = 16;

/// Why a secret could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The key is not 32 bytes of hex or base64.
    #[error("must be 32 bytes as 64 hex digits or base64")]
    BadKey,
    /// The sealed value is not ours: wrong key, tampered with, or moved to another place.
    #[error("sealed value cannot be opened (wrong key, tampered, or moved)")]
    Open,
}

/// A service key that seals and opens secrets.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

impl Sealer {
    /// A sealer from a 32-byte key given as 64 hex digits or base64 (standard or URL-safe).
    pub fn from_key(key: &SecretString) -> Result<Sealer, SealError> {
        let text = key.expose_secret().trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|_| SealError::BadKey)?
        } else {
            STANDARD.decode(text).or_else(|_| URL_SAFE_NO_PAD.decode(text)).map_err(|_| SealError::BadKey)?
        };
        if bytes.len() != 32 {
            return Err(SealError::BadKey);
        }
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| SealError::BadKey)?;
        Ok(Sealer { cipher })
    }

    /// Seals `plain` for the place named `aad`: nonce followed by ciphertext.
    pub fn seal(&self, plain: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad })
            .map_err(|_| SealError::Open)?;
        Ok([nonce.as_slice(), sealed.as_slice()].concat())
    }

    /// Opens what [`Sealer::seal`] produced for the same `aad`.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<SecretString, SealError> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Open);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let plain =
            self.cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad }).map_err(|_| SealError::Open)?;
        String::from_utf8(plain).map(SecretString::from).map_err(|_| SealError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_its_place() {
        let s = Sealer::from_key(&SecretString::from(HEX)).unwrap();
        let sealed = s.seal(b"s-priv-secret", b"row:1").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(s.open(&sealed, b"row:1").unwrap().expose_secret(), "s-priv-secret");
        assert_eq!(s.open(&sealed, b"row:2").unwrap_err(), SealError::Open);
        let other = Sealer::from_key(&SecretString::from(HEX.replace('0', "1"))).unwrap();
        assert_eq!(other.open(&sealed, b"row:1").unwrap_err(), SealError::Open);
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(s.open(&tampered, b"row:1").unwrap_err(), SealError::Open);
        assert_eq!(s.open(&sealed[..10], b"row:1").unwrap_err(), SealError::Open);
        // The same plain text seals differently every time (random nonce).
        assert_ne!(s.seal(b"x", b"a").unwrap(), s.seal(b"x", b"a").unwrap());
    }

    #[test]
    fn keys_are_32_bytes_of_hex_or_base64() {
        let b64 = STANDARD.encode([7u8; 32]);
        let url = URL_SAFE_NO_PAD.encode([0xfbu8; 32]);
        for ok in [HEX, b64.as_str(), url.as_str()] {
            assert!(Sealer::from_key(&SecretString::from(ok)).is_ok(), "{ok}");
        }
        let short = STANDARD.encode([7u8; 16]);
        for bad in ["", "zz", short.as_str(), &HEX[..62]] {
            assert_eq!(Sealer::from_key(&SecretString::from(bad)).unwrap_err(), SealError::BadKey, "{bad}");
        }
    }
}
