//! Per-person quotas: storage, the assistant's tokens per day, API keys. The
//! defaults come from configuration (`QUOTA_*`); an administrator can set other
//! limits for a person. Checked where the thing is spent, with a message that
//! says what is used, what the limit is and what to do.

use crate::{
    domain::quota::{format_bytes, QuotaView},
    error::AppError,
    server::{
        db::{
            audit::{self, AuditContext, NewEvent, Outcome},
            quotas as db, Tx,
        },
        state::AppState,
    },
};

/// A person's limit: theirs when set (0 meaning none), else the default.
fn resolve(own: Option<i64>, default: Option<i64>) -> Option<i64> {
    match own {
        Some(0) => None,
        Some(n) => Some(n),
        None => default,
    }
}

struct Limits {
    storage: Option<i64>,
    tokens: Option<i64>,
    keys: Option<i64>,
    own: db::Overrides,
}

async fn limits(state: &AppState, user: i64) -> Result<Limits, AppError> {
    let own = db::overrides(&state.db, user).await?;
    Ok(limits_from(own, state))
}

fn limits_from(own: db::Overrides, state: &AppState) -> Limits {
    let s = &state.settings;
    Limits {
        storage: resolve(own.quota_storage_bytes, s.quota_storage_bytes),
        tokens: resolve(own.quota_tokens_per_day, s.quota_tokens_per_day),
        keys: resolve(own.quota_api_keys, s.quota_api_keys),
        own,
    }
}

fn midnight_utc() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_else(chrono::Utc::now)
}

/// Count `adding` more bytes of text against the person's storage, inside the
/// writing transaction, or refuse with what is used and what to do.
pub async fn reserve_storage(
    state: &AppState,
    tx: &mut Tx,
    user: i64,
    adding: i64,
) -> Result<(), AppError> {
    // Everything through the transaction's own connection: on SQLite it holds
    // the write lock, and asking the pool for a second one can wait for ever
    // on writers that are themselves waiting for the lock.
    let limit = limits_from(db::overrides_in(tx, user).await?, state).storage;
    if db::reserve_storage(tx, user, adding, limit).await? {
        return Ok(());
    }
    let used = db::storage_in(tx, user).await?;
    Err(AppError::form(format!(
        "Your storage is full: {} of {} used, and this needs {} more. Delete documents you no longer need and empty the trash (earlier versions count too), or ask an administrator for more room.",
        format_bytes(used),
        format_bytes(limit.unwrap_or(0)),
        format_bytes(adding)
    )))
}

/// The assistant may answer: today's tokens are not used up.
pub async fn check_tokens(state: &AppState, user: i64) -> Result<(), AppError> {
    let Some(limit) = limits(state, user).await?.tokens else {
        return Ok(());
    };
    let used = db::tokens_since(&state.db, user, midnight_utc()).await?;
    if used >= limit {
        return Err(AppError::form(format!(
            "You have used today's {limit} tokens for the assistant ({used} used). It can answer again after midnight UTC, or an administrator can raise your limit."
        )));
    }
    Ok(())
}

/// One more API key fits.
pub async fn check_api_keys(state: &AppState, user: i64) -> Result<(), AppError> {
    let Some(limit) = limits(state, user).await?.keys else {
        return Ok(());
    };
    let live = db::live_api_keys(&state.db, user).await?;
    if live >= limit {
        return Err(AppError::form(format!(
            "You have {live} working API keys, the most you may have. Revoke one you no longer use first."
        )));
    }
    Ok(())
}

/// What the person uses and may use.
pub async fn view(state: &AppState, user: i64) -> Result<QuotaView, AppError> {
    let l = limits(state, user).await?;
    Ok(QuotaView {
        storage_bytes: db::storage(&state.db, user).await?,
        storage_limit: l.storage,
        tokens_today: db::tokens_since(&state.db, user, midnight_utc()).await?,
        tokens_limit: l.tokens,
        api_keys: db::live_api_keys(&state.db, user).await?,
        api_keys_limit: l.keys,
        storage_mb_override: l.own.quota_storage_bytes.map(|b| b / (1024 * 1024)),
        tokens_override: l.own.quota_tokens_per_day,
        api_keys_override: l.own.quota_api_keys,
    })
}

/// One limit as an administrator typed it: empty for the default, a whole
/// number otherwise (0: no limit).
fn parse_limit(field: &'static str, raw: &str) -> Result<Option<i64>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<i64>() {
        Ok(n) if (0..=1_000_000_000_000).contains(&n) => Ok(Some(n)),
        _ => Err(AppError::field(
            field,
            "Enter a whole number (0 for no limit), or leave it empty for the default.",
        )),
    }
}

/// An administrator sets a person's limits. Audited (`admin.user.quota`).
pub async fn set(
    state: &AppState,
    target: i64,
    storage_mb: &str,
    tokens_per_day: &str,
    api_keys: &str,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    let storage = parse_limit("storage_mb", storage_mb)?;
    let tokens = parse_limit("tokens_per_day", tokens_per_day)?;
    let keys = parse_limit("api_keys", api_keys)?;
    let o = db::Overrides {
        quota_storage_bytes: storage.map(|mb| mb.saturating_mul(1024 * 1024)),
        quota_tokens_per_day: tokens,
        quota_api_keys: keys,
    };
    let mut tx = state.db.begin().await?;
    if !db::set_overrides(&mut tx, target, &o).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &mut tx,
        ctx,
        NewEvent::new("admin.user.quota", Outcome::Success)
            .target("user", target)
            .details(serde_json::json!({
                "storage_mb": storage,
                "tokens_per_day": tokens,
                "api_keys": keys,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_limits_win_and_zero_means_none() {
        assert_eq!(resolve(None, Some(5)), Some(5));
        assert_eq!(resolve(Some(7), Some(5)), Some(7));
        assert_eq!(resolve(Some(0), Some(5)), None);
        assert_eq!(resolve(None, None), None);
    }

    #[test]
    fn limits_are_typed_as_whole_numbers_or_left_empty() {
        assert_eq!(parse_limit("x", " ").unwrap(), None);
        assert_eq!(parse_limit("x", "0").unwrap(), Some(0));
        assert_eq!(parse_limit("x", "250").unwrap(), Some(250));
        assert!(parse_limit("x", "-1").is_err());
        assert!(parse_limit("x", "lots").is_err());
    }
}
