//! Groups, managed by administrators (the server functions check that before
//! calling here): create, delete, add and remove people. A membership an
//! identity provider made (`external`) is not editable here: the next sign-in
//! would put it back. Every change writes its audit event in its transaction.

use crate::{
    domain::{
        space::{GroupDetail, GroupMember, GroupSummary, MembershipSource, SpaceRole},
        text::GroupName,
    },
    error::AppError,
    server::{
        db::{
            audit::{self, AuditContext, NewEvent, Outcome},
            groups as db,
        },
        state::AppState,
    },
};

fn summary((id, name, source, members, spaces): db::GroupRow) -> GroupSummary {
    GroupSummary {
        id,
        name,
        source: MembershipSource::parse(&source).unwrap_or(MembershipSource::Local),
        members,
        spaces,
    }
}

pub async fn list(state: &AppState) -> Result<Vec<GroupSummary>, AppError> {
    Ok(db::list(&state.db)
        .await?
        .into_iter()
        .map(summary)
        .collect())
}

/// The names of every group, for the "add a group" field of a space's page.
pub async fn names(state: &AppState) -> Result<Vec<String>, AppError> {
    Ok(db::list(&state.db)
        .await?
        .into_iter()
        .map(|g| g.1)
        .collect())
}

pub async fn get(state: &AppState, id: i64) -> Result<GroupDetail, AppError> {
    let group = db::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let members = db::members(&state.db, id)
        .await?
        .into_iter()
        .map(|(username, source)| GroupMember {
            username,
            source: MembershipSource::parse(&source).unwrap_or(MembershipSource::Local),
        })
        .collect();
    let spaces = db::spaces(&state.db, id)
        .await?
        .into_iter()
        .filter_map(|(name, role)| Some((name, SpaceRole::parse(&role)?)))
        .collect();
    Ok(GroupDetail {
        group: summary(group),
        members,
        spaces,
    })
}

/// The group called `name` (any letter case), or a field error on `field`.
pub async fn find(state: &AppState, name: &str, field: &str) -> Result<i64, AppError> {
    let name = GroupName::parse(name).map_err(|m| AppError::field(field, m))?;
    db::find(&state.db, &name.key)
        .await?
        .ok_or_else(|| AppError::field(field, "There is no group with that name."))
}

pub async fn create(state: &AppState, name: &str, ctx: &AuditContext) -> Result<i64, AppError> {
    let name = GroupName::parse(name).map_err(|m| AppError::field("name", m))?;
    let mut tx = state.db.begin().await?;
    let Some(id) = db::create(&mut tx, name.as_str(), &name.key).await? else {
        return Err(AppError::field(
            "name",
            "A group with that name exists already.",
        ));
    };
    let event = NewEvent::new("group.create", Outcome::Success)
        .target("group", id)
        .details(serde_json::json!({ "name": name.as_str() }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(id)
}

/// Delete a group: everyone in it loses what it gave them on their next request.
pub async fn delete(state: &AppState, id: i64, ctx: &AuditContext) -> Result<(), AppError> {
    let (_, name, ..) = db::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    if !db::delete(&mut tx, id).await? {
        return Err(AppError::NotFound);
    }
    let event = NewEvent::new("group.delete", Outcome::Success)
        .target("group", id)
        .details(serde_json::json!({ "name": name }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(())
}

fn external() -> AppError {
    AppError::field(
        "username",
        "That membership comes from the identity provider: change it there.",
    )
}

pub async fn add_member(
    state: &AppState,
    group: i64,
    username: &str,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    let (_, _, source, ..) = db::get(&state.db, group).await?.ok_or(AppError::NotFound)?;
    if source == "external" {
        return Err(AppError::field(
            "username",
            "This group is kept in step with the identity provider: add people to it there.",
        ));
    }
    let user = super::accounts::id_of(state, username).await?;
    let mut tx = state.db.begin().await?;
    if !db::add_member(&mut tx, group, user, MembershipSource::Local.as_str()).await? {
        return Err(AppError::field(
            "username",
            "They are in this group already.",
        ));
    }
    let event = NewEvent::new("group.member.add", Outcome::Success)
        .target("group", group)
        .details(serde_json::json!({ "user_id": user }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_member(
    state: &AppState,
    group: i64,
    username: &str,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    db::get(&state.db, group).await?.ok_or(AppError::NotFound)?;
    let user = super::accounts::id_of(state, username).await?;
    let mut tx = state.db.begin().await?;
    match db::membership(&mut tx, group, user).await?.as_deref() {
        None => return Err(AppError::field("username", "They are not in this group.")),
        Some("external") => return Err(external()),
        Some(_) => {}
    }
    db::remove_member(&mut tx, group, user).await?;
    let event = NewEvent::new("group.member.remove", Outcome::Success)
        .target("group", group)
        .details(serde_json::json!({ "user_id": user }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(())
}
