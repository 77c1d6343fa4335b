//! Spaces, their members, groups. The one place that answers "what is this
//! person's role in this space" ([`role_of`]); the rule for what a role may do is
//! `domain::space::allows`.

use super::{Db, DbError, Pool, Tx, TxConn};
use crate::domain::space::{allows, SpaceAction, SpaceKind, SpaceRole};
use crate::{on_pool, on_tx};
use chrono::{DateTime, Utc};

/// Create `user`'s personal space, owned by them, in the transaction that
/// creates the account.
pub async fn create_personal(tx: &mut Tx, user: i64, at: DateTime<Utc>) -> Result<i64, DbError> {
    let sql = "INSERT INTO spaces (kind, personal_user_id, name, created_at, updated_at) \
               VALUES ('personal', $1, 'Personal', $2, $2) RETURNING id";
    let space: i64 = on_tx!(tx, conn => sqlx::query_scalar(sql)
        .bind(user)
        .bind(at)
        .fetch_one(&mut *conn)
        .await)?;
    let sql = "INSERT INTO space_members (space_id, user_id, role, added_at) \
               VALUES ($1, $2, 'owner', $3)";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(space)
        .bind(user)
        .bind(at)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    Ok(space)
}

/// Give every account that has none its personal space (accounts written in
/// bulk, as the seeder does).
pub async fn create_missing_personal(tx: &mut Tx) -> Result<u64, DbError> {
    let spaces = "INSERT INTO spaces (kind, personal_user_id, name, created_at, updated_at) \
                  SELECT 'personal', u.id, 'Personal', u.created_at, u.created_at FROM users u \
                  WHERE NOT EXISTS (SELECT 1 FROM spaces s WHERE s.personal_user_id = u.id)";
    let members = "INSERT INTO space_members (space_id, user_id, role, added_at) \
                   SELECT s.id, s.personal_user_id, 'owner', s.created_at FROM spaces s \
                   WHERE s.kind = 'personal' AND NOT EXISTS \
                   (SELECT 1 FROM space_members m WHERE m.space_id = s.id)";
    let n = on_tx!(tx, conn => sqlx::query(spaces)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    on_tx!(tx, conn => sqlx::query(members).execute(&mut *conn).await.map(|_| ()))?;
    Ok(n)
}

/// The id of `user`'s personal space.
pub async fn personal(db: &Db, user: i64) -> Result<Option<i64>, DbError> {
    let sql = "SELECT id FROM spaces WHERE personal_user_id = $1";
    Ok(on_pool!(db, pool => sqlx::query_scalar(sql).bind(user).fetch_optional(pool).await)?)
}

/// SQL for the ids of the spaces where person `$n` may do `action` to documents,
/// through a membership of their own or of one of their groups. Every query that
/// reads or changes documents filters by it, so a search, a list or a retrieval
/// can never reach a document its caller may not. The roles come from
/// `domain::space` (the one rule table).
pub fn allowed(action: SpaceAction, n: usize) -> String {
    let roles = SpaceRole::ALL
        .into_iter()
        .filter(|&r| allows(SpaceKind::Shared, Some(r), action))
        .map(|r| format!("'{}'", r.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT m.space_id FROM space_members m WHERE m.user_id = ${n} AND m.role IN ({roles}) \
         UNION SELECT m.space_id FROM space_members m \
         JOIN group_members g ON g.group_id = m.group_id \
         WHERE g.user_id = ${n} AND m.role IN ({roles})"
    )
}

/// The kind of `space` and `user`'s highest role in it (`None`: not a member),
/// or `None` when there is no such space. Read at each request, never cached: a
/// removed member loses access on their very next request.
pub async fn role_of(
    db: &Db,
    user: i64,
    space: i64,
) -> Result<Option<(SpaceKind, Option<SpaceRole>)>, DbError> {
    let sql = "SELECT s.kind, CAST((SELECT MAX(CASE m.role WHEN 'owner' THEN 3 \
               WHEN 'editor' THEN 2 WHEN 'viewer' THEN 1 END) FROM space_members m \
               WHERE m.space_id = s.id AND (m.user_id = $1 OR m.group_id IN \
               (SELECT g.group_id FROM group_members g WHERE g.user_id = $1))) AS BIGINT) \
               FROM spaces s WHERE s.id = $2";
    let row: Option<(String, Option<i64>)> = on_pool!(db, pool => sqlx::query_as(sql)
        .bind(user)
        .bind(space)
        .fetch_optional(pool)
        .await)?;
    let Some((kind, rank)) = row else {
        return Ok(None);
    };
    let kind = SpaceKind::parse(&kind)
        .ok_or_else(|| DbError::Other(anyhow::anyhow!("space {space} has kind {kind:?}")))?;
    Ok(Some((kind, rank.and_then(role_of_rank))))
}

/// The role a query ranked 1 (viewer), 2 (editor) or 3 (owner).
pub fn role_of_rank(rank: i64) -> Option<SpaceRole> {
    match rank {
        3 => Some(SpaceRole::Owner),
        2 => Some(SpaceRole::Editor),
        1 => Some(SpaceRole::Viewer),
        _ => None,
    }
}

/// Create a shared space with `owner` as its first owner.
pub async fn create_shared(
    tx: &mut Tx,
    owner: i64,
    name: &str,
    description: &str,
) -> Result<i64, DbError> {
    let now = Utc::now();
    let sql = "INSERT INTO spaces (kind, name, description, created_at, updated_at) \
               VALUES ('shared', $1, $2, $3, $3) RETURNING id";
    let space: i64 = on_tx!(tx, conn => sqlx::query_scalar(sql)
        .bind(name)
        .bind(description)
        .bind(now)
        .fetch_one(&mut *conn)
        .await)?;
    set_member(tx, space, owner, SpaceRole::Owner).await?;
    Ok(space)
}

/// A space's name and description.
pub async fn get(db: &Db, space: i64) -> Result<Option<(String, String)>, DbError> {
    let sql = "SELECT name, description FROM spaces WHERE id = $1";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(space).fetch_optional(pool).await)?)
}

/// The live documents of one space that `user` may read, most recently changed
/// first (empty when they may not read the space).
pub async fn documents(
    db: &Db,
    user: i64,
    space: i64,
    limit: i64,
) -> Result<Vec<(i64, String, String, DateTime<Utc>)>, DbError> {
    let sql = format!(
        "SELECT id, title, substr(body, 1, 240) AS excerpt, updated_at FROM documents \
         WHERE space_id = $2 AND space_id IN ({}) AND deleted_at IS NULL \
         ORDER BY updated_at DESC, id DESC LIMIT $3",
        allowed(SpaceAction::Read, 1)
    );
    Ok(
        on_pool!(db, pool => sqlx::query_as(&sql).bind(user).bind(space).bind(limit).fetch_all(pool).await)?,
    )
}

/// Every space `user` is a member of (directly or through a group), with their
/// highest role there; the personal space first, then by name.
pub async fn list_for(
    db: &Db,
    user: i64,
) -> Result<Vec<(i64, String, String, String, i64)>, DbError> {
    let sql = "SELECT s.id, s.kind, s.name, s.description, CAST(MAX(CASE m.role \
               WHEN 'owner' THEN 3 WHEN 'editor' THEN 2 ELSE 1 END) AS BIGINT) AS rank \
               FROM spaces s JOIN space_members m ON m.space_id = s.id \
               WHERE m.user_id = $1 OR m.group_id IN \
               (SELECT g.group_id FROM group_members g WHERE g.user_id = $1) \
               GROUP BY s.id, s.kind, s.name, s.description \
               ORDER BY CASE WHEN s.kind = 'personal' THEN 0 ELSE 1 END, lower(s.name), s.id";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(user).fetch_all(pool).await)?)
}

/// A space's members: (name, is a group, role), people first, then groups.
pub async fn members(db: &Db, space: i64) -> Result<Vec<(String, bool, String)>, DbError> {
    let sql = "SELECT COALESCE(u.username, g.name) AS name, m.group_id IS NOT NULL AS is_group, \
               m.role FROM space_members m \
               LEFT JOIN users u ON u.id = m.user_id LEFT JOIN groups g ON g.id = m.group_id \
               WHERE m.space_id = $1 \
               ORDER BY CASE WHEN m.group_id IS NULL THEN 0 ELSE 1 END, \
               lower(COALESCE(u.username, g.name))";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(space).fetch_all(pool).await)?)
}

/// `user`'s direct role in `space`, if any (not through a group).
pub async fn direct_role(tx: &mut Tx, space: i64, user: i64) -> Result<Option<SpaceRole>, DbError> {
    let sql = "SELECT role FROM space_members WHERE space_id = $1 AND user_id = $2";
    let role: Option<String> = on_tx!(tx, conn => sqlx::query_scalar(sql)
        .bind(space)
        .bind(user)
        .fetch_optional(&mut *conn)
        .await)?;
    Ok(role.as_deref().and_then(SpaceRole::parse))
}

/// Make `user` a direct member of `space` with `role`, or change their role.
pub async fn set_member(
    tx: &mut Tx,
    space: i64,
    user: i64,
    role: SpaceRole,
) -> Result<(), DbError> {
    let sql =
        "INSERT INTO space_members (space_id, user_id, role, added_at) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (space_id, user_id) DO UPDATE SET role = excluded.role";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(space)
        .bind(user)
        .bind(role.as_str())
        .bind(Utc::now())
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// End `user`'s direct membership of `space`; true when there was one.
pub async fn remove_member(tx: &mut Tx, space: i64, user: i64) -> Result<bool, DbError> {
    let sql = "DELETE FROM space_members WHERE space_id = $1 AND user_id = $2";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(space)
        .bind(user)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// How many people own `space` directly. PostgreSQL locks the space's row first,
/// so two owners leaving at once cannot both pass the last-owner check.
pub async fn direct_owners(tx: &mut Tx, space: i64) -> Result<i64, DbError> {
    if let TxConn::Postgres(t) = tx.conn_mut() {
        sqlx::query("SELECT id FROM spaces WHERE id = $1 FOR UPDATE")
            .bind(space)
            .execute(&mut **t)
            .await?;
    }
    let sql = "SELECT COUNT(*) FROM space_members \
               WHERE space_id = $1 AND user_id IS NOT NULL AND role = 'owner'";
    Ok(on_tx!(tx, conn => sqlx::query_scalar(sql).bind(space).fetch_one(&mut *conn).await)?)
}

/// Shared spaces `user` alone owns directly: deleting their account would
/// leave them without an owner.
pub async fn sole_owned_shared(tx: &mut Tx, user: i64) -> Result<i64, DbError> {
    let sql = "SELECT COUNT(*) FROM space_members m JOIN spaces s ON s.id = m.space_id \
               WHERE m.user_id = $1 AND m.role = 'owner' AND s.kind = 'shared' \
               AND NOT EXISTS (SELECT 1 FROM space_members o WHERE o.space_id = m.space_id \
               AND o.role = 'owner' AND o.user_id IS NOT NULL AND o.user_id <> $1)";
    Ok(on_tx!(tx, conn => sqlx::query_scalar(sql).bind(user).fetch_one(&mut *conn).await)?)
}

/// Put a document in another space; its revisions go with it (they hang off the
/// document).
pub async fn move_document(tx: &mut Tx, document: i64, space: i64) -> Result<(), DbError> {
    let sql = "UPDATE documents SET space_id = $1 WHERE id = $2";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(space)
        .bind(document)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Rename and describe a space.
pub async fn update(tx: &mut Tx, space: i64, name: &str, description: &str) -> Result<(), DbError> {
    let sql = "UPDATE spaces SET name = $1, description = $2, updated_at = $3 WHERE id = $4";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(name)
        .bind(description)
        .bind(Utc::now())
        .bind(space)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// How many documents a space holds, the trash included. PostgreSQL locks the
/// space's row first, so a document moved in meanwhile waits for the delete and
/// then fails, rather than being deleted with the space.
pub async fn document_count(tx: &mut Tx, space: i64) -> Result<i64, DbError> {
    if let TxConn::Postgres(t) = tx.conn_mut() {
        sqlx::query("SELECT id FROM spaces WHERE id = $1 FOR UPDATE")
            .bind(space)
            .execute(&mut **t)
            .await?;
    }
    let sql = "SELECT COUNT(*) FROM documents WHERE space_id = $1";
    Ok(on_tx!(tx, conn => sqlx::query_scalar(sql).bind(space).fetch_one(&mut *conn).await)?)
}

/// Delete a space and its memberships (the caller has made sure it is empty).
pub async fn delete(tx: &mut Tx, space: i64) -> Result<(), DbError> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM spaces WHERE id = $1 AND kind = 'shared'")
        .bind(space)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Every shared space for the admin console: (id, name, owners' usernames
/// separated by newlines, members, live documents, created), by name.
pub async fn overview(
    db: &Db,
) -> Result<Vec<(i64, String, Option<String>, i64, i64, DateTime<Utc>)>, DbError> {
    let owners = match db.pool() {
        Pool::Sqlite(_) => "SELECT group_concat(u.username, char(10)) FROM space_members m \
                          JOIN users u ON u.id = m.user_id WHERE m.space_id = s.id AND m.role = 'owner'",
        Pool::Postgres(_) => "SELECT string_agg(u.username, chr(10) ORDER BY u.username_key) \
                            FROM space_members m JOIN users u ON u.id = m.user_id \
                            WHERE m.space_id = s.id AND m.role = 'owner'",
    };
    let sql = format!(
        "SELECT s.id, s.name, ({owners}) AS owners, \
         (SELECT COUNT(*) FROM space_members m WHERE m.space_id = s.id) AS members, \
         (SELECT COUNT(*) FROM documents d WHERE d.space_id = s.id AND d.deleted_at IS NULL) AS docs, \
         s.created_at FROM spaces s WHERE s.kind = 'shared' ORDER BY lower(s.name), s.id"
    );
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).fetch_all(pool).await)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_filters_follow_the_rule_table() {
        assert!(allowed(SpaceAction::Read, 2).contains("m.role IN ('viewer', 'editor', 'owner')"));
        assert!(allowed(SpaceAction::Write, 2).contains("m.role IN ('editor', 'owner')"));
        assert!(allowed(SpaceAction::Purge, 2).contains("m.user_id = $2"));
        assert!(!allowed(SpaceAction::Write, 2).contains("viewer"));
    }
}
