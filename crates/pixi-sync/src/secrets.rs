//! Secrets at rest: unzer private keys, pixi and SMTP passwords and webhook secrets are stored
//! encrypted with XChaCha20-Poly1305 (`kit::seal`) under the service key (`PIXI_SYNC_SECRET_KEY`, 32 bytes
//! as 64 hex digits or base64). Each ciphertext is bound to its place by associated data
//! (e.g. `payment_config:<id>:private_key`), so a ciphertext copied into another row does not
//! decrypt. The stored form is `v1:<base64(nonce ‖ ciphertext)>`; the random 192-bit nonce
//! makes reuse negligible. Tokens that only need checking (the error-page link) are stored as
//! SHA-256 hashes.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use kit::seal::Sealer;
use rand::RngCore;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

/// Why a secret could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The service key is not 32 bytes of hex or base64.
    #[error("must be 32 bytes as 64 hex digits or base64")]
    BadKey,
    /// The stored value is not ours, was tampered with, or belongs elsewhere.
    #[error("stored secret cannot be decrypted (wrong key, tampered, or moved)")]
    Undecryptable,
}

/// The service key ([`kit::seal::Sealer`]) with pixi-sync's stored form.
#[derive(Clone)]
pub struct SecretBox {
    sealer: Sealer,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

impl SecretBox {
    /// Parses the service key.
    pub fn from_key(key: &SecretString) -> Result<Self, SecretError> {
        Ok(SecretBox { sealer: Sealer::from_key(key).map_err(|_| SecretError::BadKey)? })
    }

    /// Encrypts `plain` for the place named `aad`.
    pub fn seal(&self, plain: &str, aad: &str) -> String {
        let sealed = self.sealer.seal(plain.as_bytes(), aad.as_bytes()).unwrap_or_default();
        format!("v1:{}", STANDARD.encode(sealed))
    }

    /// Decrypts a value sealed for `aad`.
    pub fn open(&self, stored: &str, aad: &str) -> Result<SecretString, SecretError> {
        let raw = stored.strip_prefix("v1:").ok_or(SecretError::Undecryptable)?;
        let bytes = STANDARD.decode(raw).map_err(|_| SecretError::Undecryptable)?;
        self.sealer.open(&bytes, aad.as_bytes()).map_err(|_| SecretError::Undecryptable)
    }
}

/// A fresh unguessable token (256 bits, URL-safe).
pub fn token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored hash of a token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn key() -> SecretBox {
        SecretBox::from_key(&SecretString::from("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"))
            .unwrap()
    }

    #[test]
    fn px_03_private_keys_are_stored_encrypted_and_bound_to_their_row() {
        let b = key();
        let sealed = b.seal("s-priv-secret", "payment_config:1:private_key");
        assert!(sealed.starts_with("v1:") && !sealed.contains("secret"));
        assert_ne!(sealed, b.seal("s-priv-secret", "payment_config:1:private_key"), "fresh nonce");
        assert_eq!(b.open(&sealed, "payment_config:1:private_key").unwrap().expose_secret(), "s-priv-secret");
        assert_eq!(b.open(&sealed, "payment_config:2:private_key").unwrap_err(), SecretError::Undecryptable);
        let other = SecretBox::from_key(&SecretString::from(STANDARD.encode([7u8; 32]))).unwrap();
        assert!(other.open(&sealed, "payment_config:1:private_key").is_err());
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push('A');
        assert!(b.open(&tampered, "payment_config:1:private_key").is_err());
        assert!(format!("{b:?}").contains("***"));
    }

    #[test]
    fn keys_must_be_32_bytes() {
        for bad in ["", "abc", "00112233", &STANDARD.encode([1u8; 31])] {
            assert_eq!(
                SecretBox::from_key(&SecretString::from(bad.to_owned())).unwrap_err(),
                SecretError::BadKey,
                "{bad}"
            );
        }
        let t = token();
        assert!(t.len() >= 43);
        assert_eq!(token_hash(&t), token_hash(&t));
        assert_ne!(token(), t);
    }
}
