//! Users and setup tokens.

use super::{Db, DbError, Tx};
use crate::domain::user::Role;
use crate::{on_pool, on_tx};
use chrono::{DateTime, Utc};

#[derive(Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub disabled: bool,
    pub session_epoch: i64,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// Two-factor authentication is on.
    pub two_factor: bool,
    pub theme: String,
    pub time_zone: Option<String>,
    /// The account owns its email address (confirmed by a link, or from before
    /// confirmation existed).
    pub email_confirmed: bool,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

impl UserRow {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::User)
    }
}

const USER_COLUMNS: &str = "id, username, email, password_hash, role, disabled, session_epoch, \
                            created_at, last_login_at, (totp_secret IS NOT NULL) AS two_factor, \
                            theme, time_zone, (email_confirmed_at IS NOT NULL) AS email_confirmed";

pub struct NewUser<'a> {
    pub username: &'a str,
    pub username_key: &'a str,
    pub email: &'a str,
    pub email_key: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    /// Owned at once (made by an operator); else it waits for its link.
    pub email_confirmed: bool,
}

/// Create the account and its personal space.
pub async fn insert(tx: &mut Tx, user: &NewUser<'_>) -> Result<i64, DbError> {
    let now = Utc::now();
    let sql = "INSERT INTO users (username, username_key, email, email_key, password_hash, role, \
               created_at, updated_at, email_confirmed_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) RETURNING id";
    let id: i64 = on_tx!(tx, conn => sqlx::query_scalar(sql)
        .bind(user.username)
        .bind(user.username_key)
        .bind(user.email)
        .bind(user.email_key)
        .bind(user.password_hash)
        .bind(user.role.as_str())
        .bind(now)
        .bind(user.email_confirmed.then_some(now))
        .fetch_one(&mut *conn)
        .await)?;
    super::spaces::create_personal(tx, id, now).await?;
    Ok(id)
}

/// Find by the normalised username or email key.
pub async fn find_by_login(db: &Db, key: &str) -> Result<Option<UserRow>, DbError> {
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE username_key = $1 OR email_key = $1 \
         ORDER BY (username_key = $1) DESC LIMIT 1"
    );
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).bind(key).fetch_optional(pool).await)?)
}

pub async fn find_by_id(db: &Db, id: i64) -> Result<Option<UserRow>, DbError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?)
}

/// [`find_by_id`] inside a transaction (never a second pooled connection while
/// one holds SQLite's write lock).
pub async fn find_by_id_in(tx: &mut Tx, id: i64) -> Result<Option<UserRow>, DbError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    Ok(on_tx!(tx, conn => sqlx::query_as(&sql).bind(id).fetch_optional(&mut *conn).await)?)
}

/// Up to `limit` working accounts whose username starts with `prefix` (a
/// lower-case username key), in order.
pub async fn usernames_starting(db: &Db, prefix: &str, limit: i64) -> Result<Vec<String>, DbError> {
    let pattern = format!(
        "{}%",
        prefix
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let sql = "SELECT username FROM users WHERE username_key LIKE $1 ESCAPE '\\' \
               AND NOT disabled ORDER BY username_key LIMIT $2";
    Ok(
        on_pool!(db, pool => sqlx::query_scalar(sql).bind(&pattern).bind(limit).fetch_all(pool).await)?,
    )
}

/// Which of the two keys is taken, if any.
pub async fn taken(
    tx: &mut Tx,
    username_key: &str,
    email_key: &str,
) -> Result<(bool, bool), DbError> {
    let sql = "SELECT \
        EXISTS (SELECT 1 FROM users WHERE username_key = $1), \
        EXISTS (SELECT 1 FROM users WHERE email_key = $2)";
    Ok(on_tx!(tx, conn => sqlx::query_as::<_, (bool, bool)>(sql)
        .bind(username_key)
        .bind(email_key)
        .fetch_one(&mut *conn)
        .await)?)
}

pub async fn admin_exists(db: &Db) -> Result<bool, DbError> {
    let sql = "SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin')";
    Ok(on_pool!(db, pool => sqlx::query_scalar::<_, bool>(sql).fetch_one(pool).await)?)
}

pub async fn admin_exists_tx(tx: &mut Tx) -> Result<bool, DbError> {
    let sql = "SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin')";
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, bool>(sql).fetch_one(&mut *conn).await)?)
}

pub async fn touch_last_login(tx: &mut Tx, id: i64) -> Result<(), DbError> {
    on_tx!(tx, conn => sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(Utc::now())
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// End every session of the user at once: sessions are bound to the epoch.
/// Whether another account already has this username or email key.
pub async fn taken_by_other(
    tx: &mut Tx,
    id: i64,
    username_key: &str,
    email_key: &str,
) -> Result<(bool, bool), DbError> {
    let sql = "SELECT \
        EXISTS (SELECT 1 FROM users WHERE username_key = $1 AND id <> $3), \
        EXISTS (SELECT 1 FROM users WHERE email_key = $2 AND id <> $3)";
    Ok(on_tx!(tx, conn => sqlx::query_as::<_, (bool, bool)>(sql)
        .bind(username_key)
        .bind(email_key)
        .bind(id)
        .fetch_one(&mut *conn)
        .await)?)
}

pub struct Identity<'a> {
    pub username: &'a str,
    pub username_key: &'a str,
    pub email: &'a str,
    pub email_key: &'a str,
}

pub async fn set_identity(tx: &mut Tx, id: i64, who: &Identity<'_>) -> Result<(), DbError> {
    let sql = "UPDATE users SET username = $1, username_key = $2, email = $3, email_key = $4, \
               updated_at = $5 WHERE id = $6";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(who.username)
        .bind(who.username_key)
        .bind(who.email)
        .bind(who.email_key)
        .bind(Utc::now())
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// A new password hash; the session epoch moves on with it, so every session and
/// access token made with the old password ends.
pub async fn set_password(tx: &mut Tx, id: i64, hash: &str) -> Result<(), DbError> {
    let sql = "UPDATE users SET password_hash = $1, session_epoch = session_epoch + 1, \
               updated_at = $2 WHERE id = $3";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(hash)
        .bind(Utc::now())
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

pub async fn set_preferences(
    tx: &mut Tx,
    id: i64,
    theme: &str,
    time_zone: Option<&str>,
) -> Result<(), DbError> {
    let sql = "UPDATE users SET theme = $1, time_zone = $2, updated_at = $3 WHERE id = $4";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(theme)
        .bind(time_zone)
        .bind(Utc::now())
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

pub async fn bump_session_epoch(tx: &mut Tx, id: i64) -> Result<(), DbError> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE users SET session_epoch = session_epoch + 1, updated_at = $1 WHERE id = $2",
    )
    .bind(Utc::now())
    .bind(id)
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

pub async fn insert_setup_token(
    tx: &mut Tx,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), DbError> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(token_hash)
    .bind(Utc::now())
    .bind(expires_at)
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Mark a setup token used if it is valid; true when it was.
pub async fn consume_setup_token(tx: &mut Tx, token_hash: &str) -> Result<bool, DbError> {
    let now = Utc::now();
    let result = on_tx!(tx, conn => sqlx::query(
        "UPDATE setup_tokens SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(token_hash)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(result == 1)
}

/// A new email address from the identity provider, owned at once when the
/// provider has verified it.
pub async fn set_email(
    tx: &mut Tx,
    id: i64,
    email: &str,
    key: &str,
    verified: bool,
) -> Result<(), DbError> {
    let now = Utc::now();
    let sql = "UPDATE users SET email = $1, email_key = $2, updated_at = $3, \
               email_confirmed_at = CASE WHEN $4 THEN $3 ELSE NULL END WHERE id = $5";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(email)
        .bind(key)
        .bind(now)
        .bind(verified)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    Ok(())
}
