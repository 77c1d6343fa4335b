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
