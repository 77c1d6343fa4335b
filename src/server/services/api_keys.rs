//! API keys (ASVS 11.5.1, 14.2.1): `motto_` + 8 characters of public id + 32 of
//! secret (base62 from the OS CSPRNG: about 238 bits in all) + a 6-character
//! checksum, so a mistyped or truncated key is refused without a database look-up
//! and secret scanners can recognise leaked keys. Shown once; stored as SHA-256;
//! scoped; expiring; revocable; accepted only in the `Authorization` header.

use crate::{
    domain::api_key::{ApiKeyView, CreatedKey, KeyStatus, NAME_MAX, SCOPES},
    error::AppError,
    server::{
        db::{
            api_keys::{self as db, KeyRow, NewKey},
            audit::{self, AuditContext, NewEvent, Outcome},
            users,
        },
        state::AppState,
    },
};
use chrono::Utc;
use sha2::{Digest, Sha256};

const PREFIX: &str = "motto_";
const ID_LEN: usize = 8;
const SECRET_LEN: usize = 32;
const CHECK_LEN: usize = 6;
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn random_base62(n: usize) -> String {
    use rand::RngCore;
    let mut out = String::with_capacity(n);
    let mut rng = rand::rngs::OsRng;
    while out.len() < n {
        let mut b = [0u8; 1];
        rng.fill_bytes(&mut b);
        // Rejection sampling keeps every character equally likely.
        if (b[0] as usize) < 62 * 4 {
            out.push(BASE62[b[0] as usize % 62] as char);
        }
    }
    out
}

fn checksum(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let mut n = u64::from_be_bytes([
        digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
    ]);
    let mut out = String::new();
    for _ in 0..CHECK_LEN {
        out.push(BASE62[(n % 62) as usize] as char);
        n /= 62;
    }
    out
}

/// A fresh key.
pub fn generate() -> String {
    let body = format!(
        "{PREFIX}{}{}",
        random_base62(ID_LEN),
        random_base62(SECRET_LEN)
    );
    let check = checksum(&body);
    format!("{body}{check}")
}

/// Whether `key` has the shape and checksum of one of ours.
pub fn well_formed(key: &str) -> bool {
    let len = PREFIX.len() + ID_LEN + SECRET_LEN + CHECK_LEN;
    if key.len() != len || !key.starts_with(PREFIX) {
        return false;
    }
    if !key[PREFIX.len()..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric())
    {
        return false;
    }
    let (body, check) = key.split_at(len - CHECK_LEN);
    checksum(body) == check
}

pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn status(row: &KeyRow) -> KeyStatus {
    if row.revoked_at.is_some() {
        KeyStatus::Revoked
    } else if row.expires_at <= Utc::now() {
        KeyStatus::Expired
    } else {
        KeyStatus::Active
    }
}

fn view(row: KeyRow) -> ApiKeyView {
    ApiKeyView {
        status: status(&row),
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        scopes: row.scopes.split_whitespace().map(str::to_string).collect(),
        created_at: row.created_at,
        expires_at: row.expires_at,
        last_used_at: row.last_used_at,
    }
}

pub async fn create(
    state: &AppState,
    owner: i64,
    name: &str,
    scopes: &[String],
    days: u32,
    ctx: &AuditContext,
) -> Result<CreatedKey, AppError> {
    super::quotas::check_api_keys(state, owner).await?;
    let mut errors = Vec::new();
    let name = name.trim();
    if name.is_empty() {
        errors.push((
            "name",
            "Give the key a name, such as the script that uses it.".to_string(),
        ));
    } else if name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        errors.push((
            "name",
            format!("Use at most {NAME_MAX} characters, on one line."),
        ));
    }
    let mut chosen: Vec<&str> = Vec::new();
    for s in scopes {
        match SCOPES.iter().find(|(k, _)| k == s) {
            Some((k, _)) if !chosen.contains(k) => chosen.push(k),
            Some(_) => {}
            None => errors.push(("scopes", format!("{s:?} is not a scope."))),
        }
    }
    if chosen.is_empty() && errors.iter().all(|(f, _)| *f != "scopes") {
        errors.push(("scopes", "Choose at least one scope.".to_string()));
    }
    let max = state.settings.api_key_max_days;
    if days == 0 || days > max {
        errors.push(("days", format!("Choose between 1 and {max} days.")));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(
            errors
                .into_iter()
                .map(|(field, message)| crate::error::FieldError {
                    field: field.into(),
                    message,
                })
                .collect(),
        ));
    }
    let key = generate();
    let prefix = key[..PREFIX.len() + ID_LEN].to_string();
    let expires_at = Utc::now() + chrono::Duration::days(days as i64);
    let scopes_text = chosen.join(" ");
    let mut tx = state.db.begin().await?;
    let row = db::insert(
        &mut tx,
        &NewKey {
            user_id: owner,
            name,
            prefix: &prefix,
            key_hash: &hash(&key),
            scopes: &scopes_text,
            expires_at,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        ctx,
        NewEvent::new("apikey.create", Outcome::Success)
            .target("api_key", row.id)
            .details(serde_json::json!({
                "name": name, "prefix": prefix, "scopes": chosen, "expires_at": expires_at,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedKey {
        key,
        view: view(row),
    })
}

pub async fn list(state: &AppState, owner: i64) -> Result<Vec<ApiKeyView>, AppError> {
    Ok(db::list(&state.db, owner)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

pub async fn revoke(
    state: &AppState,
    owner: i64,
    id: i64,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    let mut tx = state.db.begin().await?;
    if !db::revoke(&mut tx, owner, id).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &mut tx,
        ctx,
        NewEvent::new("apikey.revoke", Outcome::Success).target("api_key", id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Who a request with this key acts as.
#[derive(Clone, Debug)]
pub struct KeyPrincipal {
    pub user_id: i64,
    pub key_id: i64,
    pub scopes: Vec<String>,
}

impl KeyPrincipal {
    pub fn allows(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Check a presented key. Every refusal is the same 401 to the caller; a known key
/// that is revoked or expired, or whose account is disabled, is recorded as
/// `apikey.denied` (once a minute per key).
pub async fn authenticate(
    state: &AppState,
    key: &str,
    ctx: &AuditContext,
) -> Result<KeyPrincipal, AppError> {
    if !well_formed(key) {
        return Err(AppError::Unauthorized);
    }
    let row = db::by_hash(&state.db, &hash(key))
        .await?
        .ok_or(AppError::Unauthorized)?;
    let user = users::find_by_id(&state.db, row.user_id).await?;
    let reason = match (status(&row), &user) {
        (KeyStatus::Revoked, _) => Some("revoked"),
        (KeyStatus::Expired, _) => Some("expired"),
        (_, Some(u)) if u.disabled => Some("account disabled"),
        (_, None) => Some("account deleted"),
        _ => None,
    };
    if let Some(reason) = reason {
        if state
            .security
            .dedupe
            .should_record(&format!("apikey:{}", row.id))
        {
            let mut ctx = ctx.clone();
            ctx.actor_user_id = Some(row.user_id);
            ctx.actor_api_key_id = Some(row.id);
            let event = NewEvent::new("apikey.denied", Outcome::Denied)
                .target("api_key", row.id)
                .details(serde_json::json!({ "reason": reason }));
            if let Err(e) = audit::record_now(&state.db, &ctx, event).await {
                tracing::error!(error = %e, "could not record a refused API key");
            }
        }
        return Err(AppError::Unauthorized);
    }
    if let Err(e) = db::touch(&state.db, row.id).await {
        tracing::warn!(error = %e, "could not record API key use");
    }
    Ok(KeyPrincipal {
        user_id: row.user_id,
        key_id: row.id,
        scopes: row.scopes.split_whitespace().map(str::to_string).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_documented_shape_and_checksum() {
        let k = generate();
        assert!(k.starts_with("motto_"));
        assert_eq!(k.len(), 6 + 8 + 32 + 6);
        assert!(well_formed(&k));
        assert_ne!(generate(), k);
        // One changed character breaks the checksum.
        let mut broken: Vec<char> = k.chars().collect();
        broken[10] = if broken[10] == 'a' { 'b' } else { 'a' };
        assert!(!well_formed(&broken.into_iter().collect::<String>()));
        assert!(!well_formed(&k[..k.len() - 1]));
        assert!(!well_formed("Bearer nonsense"));
    }

    #[test]
    fn keys_are_stored_as_sha256() {
        let k = generate();
        let h = hash(&k);
        assert_eq!(h.len(), 64);
        assert!(!h.contains(&k[6..14]));
    }
}
