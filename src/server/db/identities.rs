//! Accounts at an OpenID Provider linked to Motto accounts, named by the
//! provider's (issuer, subject).

use super::{Db, DbError, Tx};
use crate::{on_pool, on_tx};
use chrono::{DateTime, Utc};

/// The account linked to the provider's `subject`, if any.
pub async fn user_for(tx: &mut Tx, issuer: &str, subject: &str) -> Result<Option<i64>, DbError> {
    let sql = "SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2";
    Ok(on_tx!(tx, conn => sqlx::query_scalar(sql)
        .bind(issuer)
        .bind(subject)
        .fetch_optional(&mut *conn)
        .await)?)
}

/// `user`'s account at `issuer`, if linked: (subject, linked at, last used).
pub async fn of_user(
    db: &Db,
    user: i64,
    issuer: &str,
) -> Result<Option<(String, DateTime<Utc>, Option<DateTime<Utc>>)>, DbError> {
    let sql = "SELECT subject, linked_at, last_login_at FROM user_identities \
               WHERE user_id = $1 AND issuer = $2";
    Ok(on_pool!(db, pool => sqlx::query_as(sql)
        .bind(user)
        .bind(issuer)
        .fetch_optional(pool)
        .await)?)
}

/// Whether `user` has an account at `issuer` linked (inside a transaction).
pub async fn linked_in(tx: &mut Tx, user: i64, issuer: &str) -> Result<bool, DbError> {
    let sql = "SELECT COUNT(*) FROM user_identities WHERE user_id = $1 AND issuer = $2";
    let n: i64 = on_tx!(tx, conn => sqlx::query_scalar(sql)
        .bind(user)
        .bind(issuer)
        .fetch_one(&mut *conn)
        .await)?;
    Ok(n > 0)
}

/// Link `subject` at `issuer` to `user`; a conflict when either is linked already.
pub async fn link(tx: &mut Tx, user: i64, issuer: &str, subject: &str) -> Result<(), DbError> {
    let sql =
        "INSERT INTO user_identities (user_id, issuer, subject, linked_at) VALUES ($1, $2, $3, $4)";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(user)
        .bind(issuer)
        .bind(subject)
        .bind(Utc::now())
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Unlink `user`'s account at `issuer`; false when none was linked.
pub async fn unlink(tx: &mut Tx, user: i64, issuer: &str) -> Result<bool, DbError> {
    let sql = "DELETE FROM user_identities WHERE user_id = $1 AND issuer = $2";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(user)
        .bind(issuer)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Record a sign-in through the provider.
pub async fn touch(tx: &mut Tx, issuer: &str, subject: &str) -> Result<(), DbError> {
    let sql = "UPDATE user_identities SET last_login_at = $1 WHERE issuer = $2 AND subject = $3";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(Utc::now())
        .bind(issuer)
        .bind(subject)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    Ok(())
}
