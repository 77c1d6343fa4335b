//! Two-factor state: encrypted TOTP secrets, recovery codes, and the setting that
//! says who must use it.

use super::{Db, DbError, Tx};
use crate::{on_pool, on_tx};
use chrono::{DateTime, Utc};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TotpRow {
    pub totp_secret: Option<String>,
    pub totp_pending: Option<String>,
    pub totp_last_step: Option<i64>,
    pub totp_enabled_at: Option<DateTime<Utc>>,
}

pub async fn get(db: &Db, user: i64) -> Result<Option<TotpRow>, DbError> {
    let sql = "SELECT totp_secret, totp_pending, totp_last_step, totp_enabled_at FROM users WHERE id = $1";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(user).fetch_optional(pool).await)?)
}

pub async fn set_pending(db: &Db, user: i64, sealed: &str) -> Result<(), DbError> {
    let sql = "UPDATE users SET totp_pending = $1 WHERE id = $2";
    on_pool!(db, pool => sqlx::query(sql).bind(sealed).bind(user).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Turn two-factor on with the pending secret, which becomes the secret.
pub async fn enable(tx: &mut Tx, user: i64, sealed: &str, step: i64) -> Result<(), DbError> {
    let sql = "UPDATE users SET totp_secret = $1, totp_pending = NULL, totp_last_step = $2, \
               totp_enabled_at = $3 WHERE id = $4";
    on_tx!(tx, conn => sqlx::query(sql).bind(sealed).bind(step).bind(Utc::now()).bind(user).execute(&mut *conn).await.map(|_| ()))?;
    Ok(())
}

pub async fn disable(tx: &mut Tx, user: i64) -> Result<(), DbError> {
    let sql = "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL, \
               totp_enabled_at = NULL WHERE id = $1";
    on_tx!(tx, conn => sqlx::query(sql).bind(user).execute(&mut *conn).await.map(|_| ()))?;
    on_tx!(tx, conn => sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user).execute(&mut *conn).await.map(|_| ()))?;
    Ok(())
}

/// Record `step` as used; false when it (or a later one) already was: one
/// statement, so two logins racing with the same code cannot both pass.
pub async fn accept_step(db: &Db, user: i64, step: i64) -> Result<bool, DbError> {
    let sql = "UPDATE users SET totp_last_step = $1 \
               WHERE id = $2 AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $1)";
    let n = on_pool!(db, pool => sqlx::query(sql).bind(step).bind(user).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Replace the user's recovery codes.
pub async fn set_recovery_codes(tx: &mut Tx, user: i64, hashes: &[String]) -> Result<(), DbError> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user).execute(&mut *conn).await.map(|_| ()))?;
    for h in hashes {
        on_tx!(tx, conn => sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user)
            .bind(h)
            .execute(&mut *conn)
            .await
            .map(|_| ()))?;
    }
    Ok(())
}

/// Spend a recovery code; false when there is no such unused code.
pub async fn spend_recovery_code(db: &Db, user: i64, hash: &str) -> Result<bool, DbError> {
    let sql = "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL";
    let n = on_pool!(db, pool => sqlx::query(sql).bind(Utc::now()).bind(user).bind(hash).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n >= 1)
}

pub async fn recovery_codes_left(db: &Db, user: i64) -> Result<i64, DbError> {
    let sql = "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL";
    Ok(on_pool!(db, pool => sqlx::query_scalar(sql).bind(user).fetch_one(pool).await)?)
}

pub async fn setting(db: &Db, key: &str) -> Result<Option<String>, DbError> {
    let sql = "SELECT value FROM app_settings WHERE key = $1";
    Ok(on_pool!(db, pool => sqlx::query_scalar(sql).bind(key).fetch_optional(pool).await)?)
}

pub async fn set_setting(tx: &mut Tx, key: &str, value: &str) -> Result<(), DbError> {
    let sql = "INSERT INTO app_settings (key, value, updated_at) VALUES ($1, $2, $3) \
               ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";
    on_tx!(tx, conn => sqlx::query(sql).bind(key).bind(value).bind(Utc::now()).execute(&mut *conn).await.map(|_| ()))?;
    Ok(())
}
