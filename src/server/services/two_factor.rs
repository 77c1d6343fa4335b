//! Two-factor authentication with TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second
//! steps, one step of clock skew either way). Secrets are encrypted at rest with
//! XChaCha20-Poly1305 under a key derived from SECRET_KEY, bound to the user id; a
//! code is never accepted twice; recovery codes are single use and kept as SHA-256.

use super::profile::reauthenticate;
use crate::{
    domain::two_factor::{Enrolment, TwoFactorPolicy, TwoFactorStatus, RECOVERY_CODES},
    error::AppError,
    server::{
        crypto::derive_key,
        db::{
            audit::{self, AuditContext, NewEvent, Outcome},
            two_factor as db,
            users::{self, UserRow},
        },
        state::AppState,
    },
};
use rand::RngCore;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

const STEP_SECS: i64 = 30;
const ISSUER: &str = "Motto";
const POLICY_KEY: &str = "two_factor_required";
/// How long the policy read from the database is trusted before reading again.
const POLICY_TTL: std::time::Duration = std::time::Duration::from_secs(5);
const WRONG_CODE: &str =
    "That code is not right. Use the current 6-digit code from your app, or a recovery code.";

fn totp_key(state: &AppState) -> Vec<u8> {
    derive_key(state.settings.secret_key_bytes(), b"motto/totp-secret/v1")
}

/// Encrypt a secret for `user` (hex of nonce and ciphertext).
fn seal(state: &AppState, user: i64, secret: &[u8]) -> anyhow::Result<String> {
    let sealed = crate::server::crypto::seal(&totp_key(state), &user.to_be_bytes(), secret)
        .map_err(|_| anyhow::anyhow!("could not encrypt a TOTP secret"))?;
    Ok(hex::encode(sealed))
}

fn open(state: &AppState, user: i64, sealed: &str) -> anyhow::Result<Vec<u8>> {
    let bytes = hex::decode(sealed)?;
    crate::server::crypto::unseal(&totp_key(state), &user.to_be_bytes(), &bytes)
        .map_err(|_| anyhow::anyhow!("a TOTP secret does not decrypt (SECRET_KEY changed?)"))
}

/// The code for a time step, computed by `totp-rs` (RFC 6238 over RFC 4226's
/// dynamic truncation); the test vectors of RFC 6238 appendix B check it below.
pub fn code_at(secret: &[u8], step: i64) -> u32 {
    let totp = totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        0,
        STEP_SECS as u64,
        secret.to_vec(),
    );
    // Six ASCII digits: always a number.
    totp.generate(step.max(0) as u64 * STEP_SECS as u64)
        .parse()
        .unwrap_or_default()
}

pub fn step_now() -> i64 {
    chrono::Utc::now().timestamp().div_euclid(STEP_SECS)
}

/// The step a code matches, within one step of `now` either way.
fn matching_step(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut found = None;
    // Every candidate is computed and compared, so timing says nothing about which matched.
    for step in [now - 1, now, now + 1] {
        let expected = format!("{:06}", code_at(secret, step));
        let same = expected
            .bytes()
            .zip(code.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
        if same && found.is_none() {
            found = Some(step);
        }
    }
    found
}

fn recovery_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

/// Ten new recovery codes: 16 characters of base32 (80 bits) each, `XXXX-XXXX-XXXX-XXXX`.
fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let raw = data_encoding::BASE32_NOPAD.encode(&bytes);
            raw.as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// Who must use two-factor authentication (read from the database, cached briefly).
pub async fn policy(state: &AppState) -> TwoFactorPolicy {
    if let Some((at, p)) = *state
        .security
        .two_factor_policy
        .lock()
        .unwrap_or_else(|e| e.into_inner())
    {
        if at.elapsed() < POLICY_TTL {
            return p;
        }
    }
    let p = match db::setting(&state.db, POLICY_KEY).await {
        Ok(v) => v
            .as_deref()
            .and_then(TwoFactorPolicy::parse)
            .unwrap_or_default(),
        Err(e) => {
            tracing::error!(error = %e, "could not read the two-factor policy");
            // Keep the last known value on a database hiccup.
            return state
                .security
                .two_factor_policy
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .map(|(_, p)| p)
                .unwrap_or_default();
        }
    };
    *state
        .security
        .two_factor_policy
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some((std::time::Instant::now(), p));
    p
}

/// Change who must use two-factor authentication (admins only; checked by the caller).
pub async fn set_policy(
    state: &AppState,
    policy: TwoFactorPolicy,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    let mut tx = state.db.begin().await?;
    db::set_setting(&mut tx, POLICY_KEY, policy.as_str()).await?;
    audit::record(
        &mut tx,
        ctx,
        NewEvent::new("admin.settings.two_factor", Outcome::Success)
            .details(serde_json::json!({ "required_for": policy.as_str() })),
    )
    .await?;
    tx.commit().await?;
    *state
        .security
        .two_factor_policy
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some((std::time::Instant::now(), policy));
    Ok(())
}

async fn user(state: &AppState, id: i64) -> Result<UserRow, AppError> {
    users::find_by_id(&state.db, id)
        .await?
        .filter(|u| !u.disabled)
        .ok_or(AppError::Unauthorized)
}

pub async fn status(state: &AppState, id: i64) -> Result<TwoFactorStatus, AppError> {
    let u = user(state, id).await?;
    let row = db::get(&state.db, id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(TwoFactorStatus {
        enabled: u.two_factor,
        enabled_at: row.totp_enabled_at,
        recovery_codes_left: db::recovery_codes_left(&state.db, id).await?,
        required: policy(state).await.requires(u.role()),
    })
}

/// Start enrolling: a new secret (kept pending until a code confirms it).
pub async fn begin(state: &AppState, id: i64) -> Result<Enrolment, AppError> {
    let u = user(state, id).await?;
    if u.two_factor {
        return Err(AppError::form("Two-factor authentication is already on."));
    }
    let mut secret = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let sealed = seal(state, id, &secret)?;
    db::set_pending(&state.db, id, &sealed).await?;
    let b32 = data_encoding::BASE32_NOPAD.encode(&secret);
    let label: String =
        url::form_urlencoded::byte_serialize(format!("{ISSUER}:{}", u.username).as_bytes())
            .collect();
    let uri = format!(
        "otpauth://totp/{label}?secret={b32}&issuer={ISSUER}&algorithm=SHA1&digits=6&period={STEP_SECS}"
    );
    let qr_svg = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| AppError::from(anyhow::anyhow!("QR code: {e}")))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    let grouped = b32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Enrolment {
        secret: grouped,
        uri,
        qr_svg,
    })
}

/// Confirm the enrolment with a code from the app: two-factor is on, and the
/// answer holds the recovery codes (shown this once).
pub async fn confirm(
    state: &AppState,
    id: i64,
    code: &str,
    ctx: &AuditContext,
) -> Result<Vec<String>, AppError> {
    let row = db::get(&state.db, id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if row.totp_secret.is_some() {
        return Err(AppError::form("Two-factor authentication is already on."));
    }
    let Some(pending) = row.totp_pending else {
        return Err(AppError::form("Start the set-up first."));
    };
    let secret = open(state, id, &pending)?;
    let Some(step) = matching_step(&secret, code.trim(), step_now()) else {
        return Err(AppError::field("code", "That code does not match. Check the time on your phone, and type the code your app shows now."));
    };
    let codes = new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(c)).collect();
    let mut tx = state.db.begin().await?;
    db::enable(&mut tx, id, &pending, step).await?;
    db::set_recovery_codes(&mut tx, id, &hashes).await?;
    audit::record(
        &mut tx,
        ctx,
        NewEvent::new("account.2fa.enable", Outcome::Success).target("user", id),
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

/// Check a second factor: a current TOTP code (each accepted once) or an unused
/// recovery code. The method used, or a field error on `code`.
pub async fn verify(state: &AppState, u: &UserRow, code: &str) -> Result<&'static str, AppError> {
    let code = code.trim();
    if code.is_empty() {
        return Err(AppError::field("code", "Enter the code from your app."));
    }
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        let row = db::get(&state.db, u.id)
            .await?
            .ok_or(AppError::Unauthorized)?;
        let Some(sealed) = row.totp_secret else {
            return Err(AppError::field("code", WRONG_CODE));
        };
        let secret = open(state, u.id, &sealed)?;
        if let Some(step) = matching_step(&secret, &digits, step_now()) {
            // The same code (or an older one) never works twice.
            if db::accept_step(&state.db, u.id, step).await? {
                return Ok("totp");
            }
        }
        return Err(AppError::field("code", WRONG_CODE));
    }
    if db::spend_recovery_code(&state.db, u.id, &recovery_hash(code)).await? {
        return Ok("recovery_code");
    }
    Err(AppError::field("code", WRONG_CODE))
}

/// Turn two-factor off: the password and a code (or recovery code) are needed.
pub async fn disable(
    state: &AppState,
    id: i64,
    password: &SecretString,
    code: &str,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    let u = user(state, id).await?;
    if !u.two_factor {
        return Err(AppError::form("Two-factor authentication is already off."));
    }
    if policy(state).await.requires(u.role()) {
        return Err(AppError::form(
            "An administrator requires two-factor authentication for your account, so it cannot be turned off.",
        ));
    }
    reauthenticate(state, &u, password, "password", ctx).await?;
    verify(state, &u, code).await?;
    let mut tx = state.db.begin().await?;
    db::disable(&mut tx, id).await?;
    audit::record(
        &mut tx,
        ctx,
        NewEvent::new("account.2fa.disable", Outcome::Success).target("user", id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_test_vectors_for_sha1() {
        // RFC 6238 appendix B, truncated to 6 digits.
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59, 287082),
            (1_111_111_109, 81804),
            (1_111_111_111, 50471),
            (1_234_567_890, 5924),
            (2_000_000_000, 279037),
        ] {
            assert_eq!(code_at(secret, time / 30), code, "t={time}");
        }
    }

    #[test]
    fn one_step_of_skew_either_way_and_no_more() {
        let secret = b"12345678901234567890";
        let now = 1_000_000;
        for (step, ok) in [
            (now - 2, false),
            (now - 1, true),
            (now, true),
            (now + 1, true),
            (now + 2, false),
        ] {
            let code = format!("{:06}", code_at(secret, step));
            assert_eq!(
                matching_step(secret, &code, now).is_some(),
                ok,
                "step {step}"
            );
        }
        assert_eq!(matching_step(secret, "12345", now), None);
        assert_eq!(matching_step(secret, "abcdef", now), None);
    }

    #[test]
    fn recovery_codes_are_long_random_and_forgiving_to_type() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert_eq!(codes[0].len(), 19);
        assert_ne!(codes[0], codes[1]);
        let lower = codes[0].to_lowercase().replace('-', " ");
        assert_eq!(recovery_hash(&codes[0]), recovery_hash(&lower));
    }
}
