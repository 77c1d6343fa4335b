//! Groups of people and their memberships of spaces. A membership records who
//! made it (`local`: Motto; `external`: an identity provider's claims), so the
//! sign-in that keeps external ones in step never touches the local ones.

use super::{Db, DbError, Tx};
use crate::domain::space::SpaceRole;
use crate::{on_pool, on_tx};
use chrono::Utc;

/// (id, name, source, people, spaces).
pub type GroupRow = (i64, String, String, i64, i64);

const SUMMARY: &str = "SELECT g.id, g.name, g.source, \
     (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) AS people, \
     (SELECT COUNT(*) FROM space_members s WHERE s.group_id = g.id) AS spaces \
     FROM groups g";

/// Create a group made in Motto; `None` when one has that name already.
pub async fn create(tx: &mut Tx, name: &str, key: &str) -> Result<Option<i64>, DbError> {
    let sql = "INSERT INTO groups (name, name_key, source, created_at) \
               VALUES ($1, $2, 'local', $3) ON CONFLICT (name_key) DO NOTHING RETURNING id";
    Ok(on_tx!(tx, conn => sqlx::query_scalar(sql)
        .bind(name)
        .bind(key)
        .bind(Utc::now())
        .fetch_optional(&mut *conn)
        .await)?)
}

/// Delete a group: its people lose what it gave them, at once.
pub async fn delete(tx: &mut Tx, id: i64) -> Result<bool, DbError> {
    let n = on_tx!(tx, conn => sqlx::query("DELETE FROM groups WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Every group, by name.
pub async fn list(db: &Db) -> Result<Vec<GroupRow>, DbError> {
    let sql = format!("{SUMMARY} ORDER BY g.name_key, g.id");
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).fetch_all(pool).await)?)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<GroupRow>, DbError> {
    let sql = format!("{SUMMARY} WHERE g.id = $1");
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?)
}

/// The group called `key` (its folded name).
pub async fn find(db: &Db, key: &str) -> Result<Option<i64>, DbError> {
    let sql = "SELECT id FROM groups WHERE name_key = $1";
    Ok(on_pool!(db, pool => sqlx::query_scalar(sql).bind(key).fetch_optional(pool).await)?)
}

/// A group's people: (username, source), by username.
pub async fn members(db: &Db, id: i64) -> Result<Vec<(String, String)>, DbError> {
    let sql = "SELECT u.username, m.source FROM group_members m JOIN users u ON u.id = m.user_id \
               WHERE m.group_id = $1 ORDER BY u.username_key";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(id).fetch_all(pool).await)?)
}

/// The spaces a group is a member of: (space name, role), by name.
pub async fn spaces(db: &Db, id: i64) -> Result<Vec<(String, String)>, DbError> {
    let sql = "SELECT s.name, m.role FROM space_members m JOIN spaces s ON s.id = m.space_id \
               WHERE m.group_id = $1 ORDER BY lower(s.name), s.id";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(id).fetch_all(pool).await)?)
}

/// The group the identity provider calls `external_id`. On first sight, a
/// Motto group of the same name becomes it (so administrators can give a
/// provider's group a place in spaces before anyone signs in); otherwise one is
/// made (told apart by a suffix when another provider group has the name).
pub async fn external(
    tx: &mut Tx,
    external_id: &str,
    name: &str,
    key: &str,
) -> Result<i64, DbError> {
    let found: Option<i64> = on_tx!(tx, conn => sqlx::query_scalar(
        "SELECT id FROM groups WHERE external_id = $1")
        .bind(external_id)
        .fetch_optional(&mut *conn)
        .await)?;
    if let Some(id) = found {
        return Ok(id);
    }
    let adopted: Option<i64> = on_tx!(tx, conn => sqlx::query_scalar(
        "UPDATE groups SET source = 'external', external_id = $1 \
         WHERE name_key = $2 AND external_id IS NULL RETURNING id")
        .bind(external_id)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await)?;
    if let Some(id) = adopted {
        return Ok(id);
    }
    let sql = "INSERT INTO groups (name, name_key, source, external_id, created_at) \
               VALUES ($1, $2, 'external', $3, $4) ON CONFLICT (name_key) DO NOTHING RETURNING id";
    for (n, (name, key)) in [
        (name.to_string(), key.to_string()),
        (format!("{name} (SSO)"), format!("{key} (sso)")),
    ]
    .into_iter()
    .enumerate()
    {
        let id: Option<i64> = on_tx!(tx, conn => sqlx::query_scalar(sql)
            .bind(&name)
            .bind(&key)
            .bind(external_id)
            .bind(Utc::now())
            .fetch_optional(&mut *conn)
            .await)?;
        match id {
            Some(id) => return Ok(id),
            None if n == 0 => continue,
            None => {}
        }
    }
    Err(DbError::Conflict(format!("group name for {external_id:?}")))
}

/// The groups `user` is in because the identity provider says so: (id, provider's name).
pub async fn external_memberships(tx: &mut Tx, user: i64) -> Result<Vec<(i64, String)>, DbError> {
    let sql = "SELECT g.id, COALESCE(g.external_id, g.name) FROM group_members m \
               JOIN groups g ON g.id = m.group_id WHERE m.user_id = $1 AND m.source = 'external' \
               ORDER BY g.id";
    Ok(on_tx!(tx, conn => sqlx::query_as(sql).bind(user).fetch_all(&mut *conn).await)?)
}

/// Where `user`'s membership of `group` came from, if they are in it.
pub async fn membership(tx: &mut Tx, group: i64, user: i64) -> Result<Option<String>, DbError> {
    let sql = "SELECT source FROM group_members WHERE group_id = $1 AND user_id = $2";
    Ok(on_tx!(tx, conn => sqlx::query_scalar(sql)
        .bind(group)
        .bind(user)
        .fetch_optional(&mut *conn)
        .await)?)
}

/// Put `user` in `group`, made by `source`; false when they were in it already.
pub async fn add_member(tx: &mut Tx, group: i64, user: i64, source: &str) -> Result<bool, DbError> {
    let sql = "INSERT INTO group_members (group_id, user_id, source, added_at) \
               VALUES ($1, $2, $3, $4) ON CONFLICT (group_id, user_id) DO NOTHING";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(group)
        .bind(user)
        .bind(source)
        .bind(Utc::now())
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Take `user` out of `group`; true when they were in it.
pub async fn remove_member(tx: &mut Tx, group: i64, user: i64) -> Result<bool, DbError> {
    let sql = "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(group)
        .bind(user)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// `group`'s role in `space`, if it is a member.
pub async fn role_in(tx: &mut Tx, space: i64, group: i64) -> Result<Option<SpaceRole>, DbError> {
    let sql = "SELECT role FROM space_members WHERE space_id = $1 AND group_id = $2";
    let role: Option<String> = on_tx!(tx, conn => sqlx::query_scalar(sql)
        .bind(space)
        .bind(group)
        .fetch_optional(&mut *conn)
        .await)?;
    Ok(role.as_deref().and_then(SpaceRole::parse))
}

/// Make `group` a member of `space` with `role`, or change its role.
pub async fn set_in_space(
    tx: &mut Tx,
    space: i64,
    group: i64,
    role: SpaceRole,
) -> Result<(), DbError> {
    let sql =
        "INSERT INTO space_members (space_id, group_id, role, added_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (space_id, group_id) DO UPDATE SET role = excluded.role";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(space)
        .bind(group)
        .bind(role.as_str())
        .bind(Utc::now())
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Take `group` out of `space`; true when it was a member.
pub async fn remove_from_space(tx: &mut Tx, space: i64, group: i64) -> Result<bool, DbError> {
    let sql = "DELETE FROM space_members WHERE space_id = $1 AND group_id = $2";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(space)
        .bind(group)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
