//! Keys derived from `SECRET_KEY`: one secret to manage, never used directly, and a
//! leak of one derived key reveals nothing of the others. A leaf module: it uses
//! no other part of the server.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// A key of its own for `purpose` (e.g. `b"motto/totp-secret/v1"`), derived from
/// the server's secret key.
pub fn derive_key(secret_key: &[u8], purpose: &[u8]) -> Vec<u8> {
    hmac_sha256(secret_key, purpose)
}

/// Encrypt and authenticate `msg` under a 32-byte `key` (XChaCha20-Poly1305 with
/// a random nonce), bound to `aad`: the nonce followed by the ciphertext.
pub fn seal(key: &[u8], aad: &[u8], msg: &[u8]) -> Result<Vec<u8>, SealError> {
    use chacha20poly1305::{
        aead::{Aead, KeyInit, Payload},
        XChaCha20Poly1305, XNonce,
    };
    use rand::RngCore;
    let cipher = XChaCha20Poly1305::new_from_slice(key).map_err(|_| SealError)?;
    let mut nonce = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg, aad })
        .map_err(|_| SealError)?;
    Ok([nonce.as_slice(), &ct].concat())
}

/// The message [`seal`]ed into `sealed` under `key` and `aad`, or an error when
/// it was made under another key or bound to something else, or altered.
pub fn unseal(key: &[u8], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, SealError> {
    use chacha20poly1305::{
        aead::{Aead, KeyInit, Payload},
        XChaCha20Poly1305, XNonce,
    };
    if sealed.len() <= 24 {
        return Err(SealError);
    }
    let (nonce, msg) = sealed.split_at(24);
    XChaCha20Poly1305::new_from_slice(key)
        .map_err(|_| SealError)?
        .decrypt(XNonce::from_slice(nonce), Payload { msg, aad })
        .map_err(|_| SealError)
}

/// Sealing failed, or a sealed value did not open.
#[derive(Debug)]
pub struct SealError;

impl std::fmt::Display for SealError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a sealed value did not open (altered, or sealed under another key)")
    }
}

impl std::error::Error for SealError {}

/// A 32-byte key held in memory: cheap to clone, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyBytes(std::sync::Arc<[u8; 32]>);

impl KeyBytes {
    pub fn new(bytes: [u8; 32]) -> Self {
        KeyBytes(std::sync::Arc::new(bytes))
    }

    /// The first 32 bytes of [`derive_key`] for `purpose`.
    pub fn derived(secret: &[u8], purpose: &[u8]) -> Self {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&derive_key(secret, purpose)[..32]);
        KeyBytes::new(bytes)
    }

    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// What every database connection needs to write and check the audit chain:
/// the chain's MAC key and the public half of the checkpoint signing key.
#[derive(Clone, Debug)]
pub struct AuditKeys {
    pub mac: KeyBytes,
    pub checkpoint_public: ed25519_dalek::VerifyingKey,
}

impl AuditKeys {
    /// The keys for a checkpoint signing seed (its public half is computed).
    pub fn new(mac: KeyBytes, signing_seed: &KeyBytes) -> Self {
        AuditKeys {
            mac,
            checkpoint_public: ed25519_dalek::SigningKey::from_bytes(signing_seed.expose())
                .verifying_key(),
        }
    }

    /// Keys made from one test seed: for tests and tools that open a database
    /// whose audit chain they will not check.
    pub fn unchecked() -> Self {
        let k = KeyBytes::new([7; 32]);
        AuditKeys::new(k.clone(), &k)
    }
}
