//! Spaces: create a shared space, manage its members, move documents between
//! spaces. Who may do what is `domain::space::allows`, asked through [`can`];
//! every change writes its audit event in the same transaction, and a refused
//! attempt writes `authz.denied` (at most one a minute per person).

use crate::{
    domain::{
        document::DocumentSummary,
        space::{
            allows, SpaceAction, SpaceCreation, SpaceKind, SpaceMember, SpaceOverview, SpaceRole,
            SpaceSummary, DESCRIPTION_MAX,
        },
        text::SpaceName,
        user::Role,
    },
    error::AppError,
    server::{
        db::{
            audit::{self, AuditContext, NewEvent, Outcome},
            documents, groups as db_groups, spaces as db, two_factor, users,
        },
        services::{accounts, groups},
        state::AppState,
    },
};

/// The `app_settings` key of who may create shared spaces.
const CREATION_SETTING: &str = "spaces.creation";

/// Whether `user` may do `action` in `space`: Ok with the space's kind and the
/// caller's role there, else NotFound when they may not even read it (its
/// existence is not revealed) or Forbidden when they may read but not do this.
/// Refusals are audited.
pub async fn can(
    state: &AppState,
    user: i64,
    action: SpaceAction,
    space: i64,
    ctx: &AuditContext,
) -> Result<(SpaceKind, SpaceRole), AppError> {
    let Some((kind, role)) = db::role_of(&state.db, user, space).await? else {
        return Err(AppError::NotFound);
    };
    if let Some(role) = role.filter(|_| allows(kind, role, action)) {
        return Ok((kind, role));
    }
    denied(state, user, space, action, ctx).await;
    if allows(kind, role, SpaceAction::Read) {
        Err(AppError::Forbidden)
    } else {
        Err(AppError::NotFound)
    }
}

async fn denied(state: &AppState, user: i64, space: i64, action: SpaceAction, ctx: &AuditContext) {
    if state
        .security
        .dedupe
        .should_record(&format!("authz:user:{user}"))
    {
        let event = NewEvent::new("authz.denied", Outcome::Denied)
            .target("space", space)
            .details(serde_json::json!({ "action": format!("{action:?}").to_lowercase() }));
        if let Err(e) = audit::record_now(&state.db, ctx, event).await {
            tracing::error!(error = %e, "could not record a refused space action");
        }
    }
}

/// Who may create shared spaces now.
pub async fn creation_policy(state: &AppState) -> Result<SpaceCreation, AppError> {
    Ok(two_factor::setting(&state.db, CREATION_SETTING)
        .await?
        .as_deref()
        .and_then(SpaceCreation::parse)
        .unwrap_or_default())
}

/// Set who may create shared spaces (administrators only: the caller checks).
pub async fn set_creation_policy(
    state: &AppState,
    policy: SpaceCreation,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    let mut tx = state.db.begin().await?;
    two_factor::set_setting(&mut tx, CREATION_SETTING, policy.as_str()).await?;
    let event = NewEvent::new("settings.space_creation", Outcome::Success)
        .details(serde_json::json!({ "allowed": policy.as_str() }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Create a shared space; its creator is its first owner.
pub async fn create(
    state: &AppState,
    user: i64,
    name: &str,
    description: &str,
    ctx: &AuditContext,
) -> Result<i64, AppError> {
    if creation_policy(state).await? == SpaceCreation::Admins {
        let admin = users::find_by_id(&state.db, user)
            .await?
            .is_some_and(|u| u.role() == Role::Admin);
        if !admin {
            return Err(AppError::Forbidden);
        }
    }
    let name = SpaceName::parse(name).map_err(|m| AppError::field("name", m))?;
    let description = self::description(description)?;
    let mut tx = state.db.begin().await?;
    let id = db::create_shared(&mut tx, user, &name.into_inner(), description).await?;
    let event = NewEvent::new("space.create", Outcome::Success).target("space", id);
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(id)
}

/// The spaces `user` belongs to, with their role in each.
pub async fn list(state: &AppState, user: i64) -> Result<Vec<SpaceSummary>, AppError> {
    let rows = db::list_for(&state.db, user).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, kind, name, description, rank)| {
            Some(SpaceSummary {
                id,
                kind: SpaceKind::parse(&kind)?,
                name,
                description,
                role: db::role_of_rank(rank)?,
            })
        })
        .collect())
}

/// One space as `user` sees it (they must be able to read it).
pub async fn get(
    state: &AppState,
    user: i64,
    space: i64,
    ctx: &AuditContext,
) -> Result<SpaceSummary, AppError> {
    let (kind, role) = can(state, user, SpaceAction::Read, space, ctx).await?;
    let (name, description) = db::get(&state.db, space).await?.ok_or(AppError::NotFound)?;
    Ok(SpaceSummary {
        id: space,
        kind,
        name,
        description,
        role,
    })
}

/// The newest live documents of one space (at most 200), for its page.
pub async fn documents(
    state: &AppState,
    user: i64,
    space: i64,
    ctx: &AuditContext,
) -> Result<Vec<DocumentSummary>, AppError> {
    can(state, user, SpaceAction::Read, space, ctx).await?;
    let rows = db::documents(&state.db, user, space, 200).await?;
    Ok(rows
        .into_iter()
        .map(|(id, title, excerpt, updated_at)| DocumentSummary {
            id,
            title,
            excerpt,
            updated_at,
        })
        .collect())
}

/// A space's members, for anyone who may read the space.
pub async fn members(
    state: &AppState,
    user: i64,
    space: i64,
    ctx: &AuditContext,
) -> Result<Vec<SpaceMember>, AppError> {
    can(state, user, SpaceAction::Read, space, ctx).await?;
    let rows = db::members(&state.db, space).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(name, is_group, role)| {
            Some(SpaceMember {
                name,
                is_group,
                role: SpaceRole::parse(&role)?,
            })
        })
        .collect())
}

/// Usernames that start with what an owner typed, to add to `space`: owners of
/// the space only, from two characters on, at most eight (enough to pick from,
/// too few to list everyone).
pub async fn people(
    state: &AppState,
    user: i64,
    space: i64,
    typed: &str,
    ctx: &AuditContext,
) -> Result<Vec<String>, AppError> {
    can(state, user, SpaceAction::Manage, space, ctx).await?;
    let prefix = typed.trim().to_ascii_lowercase();
    let usable = prefix
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if prefix.len() < 2 || prefix.len() > crate::domain::user::USERNAME_MAX || !usable {
        return Ok(Vec::new());
    }
    let mut names = users::usernames_starting(&state.db, &prefix, 8).await?;
    // One order on both databases (PostgreSQL's collation may differ).
    names.sort_by_key(|n| n.to_ascii_lowercase());
    Ok(names)
}

fn last_owner() -> AppError {
    AppError::field(
        "role",
        "A space needs at least one owner: make someone else an owner first.",
    )
}

/// Add `username` to `space` with `role`, or change their role (owners only).
pub async fn set_member(
    state: &AppState,
    user: i64,
    space: i64,
    username: &str,
    role: SpaceRole,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    can(state, user, SpaceAction::Manage, space, ctx).await?;
    let member = accounts::id_of(state, username).await?;
    let mut tx = state.db.begin().await?;
    let before = db::direct_role(&mut tx, space, member).await?;
    if before == Some(SpaceRole::Owner)
        && role != SpaceRole::Owner
        && db::direct_owners(&mut tx, space).await? <= 1
    {
        return Err(last_owner());
    }
    db::set_member(&mut tx, space, member, role).await?;
    let action = if before.is_some() {
        "space.member.role"
    } else {
        "space.member.add"
    };
    let event = NewEvent::new(action, Outcome::Success)
        .target("space", space)
        .details(serde_json::json!({
            "user_id": member,
            "role": role.as_str(),
            "before": before.map(SpaceRole::as_str),
        }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Take `username` out of `space` (owners only, or anyone leaving).
pub async fn remove_member(
    state: &AppState,
    user: i64,
    space: i64,
    username: &str,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    let member = accounts::id_of(state, username).await?;
    remove(state, user, space, member, ctx).await
}

/// Leave a shared space (not a personal one; not as its last owner).
pub async fn leave(
    state: &AppState,
    user: i64,
    space: i64,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    remove(state, user, space, user, ctx).await
}

async fn remove(
    state: &AppState,
    user: i64,
    space: i64,
    member: i64,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    if member != user {
        can(state, user, SpaceAction::Manage, space, ctx).await?;
    } else if can(state, user, SpaceAction::Read, space, ctx).await?.0 == SpaceKind::Personal {
        return Err(AppError::Forbidden);
    }
    let mut tx = state.db.begin().await?;
    let before = db::direct_role(&mut tx, space, member).await?;
    if before == Some(SpaceRole::Owner) && db::direct_owners(&mut tx, space).await? <= 1 {
        return Err(last_owner());
    }
    if !db::remove_member(&mut tx, space, member).await? {
        return Err(AppError::field(
            "username",
            "That person is not a member of this space (a group may be).",
        ));
    }
    let event = NewEvent::new("space.member.remove", Outcome::Success)
        .target("space", space)
        .details(serde_json::json!({ "user_id": member, "left": member == user }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Move a document to another space: editor (or owner) of both. Its revisions
/// go with it.
pub async fn move_document(
    state: &AppState,
    user: i64,
    document: i64,
    to: i64,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    can(state, user, SpaceAction::Write, to, ctx).await?;
    let mut tx = state.db.begin().await?;
    // Only a document the caller may change is found here.
    let row = documents::get_for_update(&mut tx, user, document)
        .await?
        .ok_or(AppError::NotFound)?;
    let from = documents::space_of(&mut tx, row.id).await?;
    if from == to {
        return Ok(());
    }
    db::move_document(&mut tx, row.id, to).await?;
    let event = NewEvent::new("document.move", Outcome::Success)
        .target("document", row.id)
        .details(serde_json::json!({ "from_space": from, "to_space": to }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Make the group called `group` a member of `space` with `role`, or change its
/// role (owners only). Everyone in the group then has at least that role.
pub async fn set_group(
    state: &AppState,
    user: i64,
    space: i64,
    group: &str,
    role: SpaceRole,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    let (kind, _) = can(state, user, SpaceAction::Manage, space, ctx).await?;
    debug_assert_eq!(kind, SpaceKind::Shared);
    let group = groups::find(state, group, "group").await?;
    let mut tx = state.db.begin().await?;
    let before = db_groups::role_in(&mut tx, space, group).await?;
    db_groups::set_in_space(&mut tx, space, group, role).await?;
    let action = if before.is_some() {
        "space.member.role"
    } else {
        "space.member.add"
    };
    let event = NewEvent::new(action, Outcome::Success)
        .target("space", space)
        .details(serde_json::json!({
            "group_id": group,
            "role": role.as_str(),
            "before": before.map(SpaceRole::as_str),
        }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Take the group called `group` out of `space` (owners only).
pub async fn remove_group(
    state: &AppState,
    user: i64,
    space: i64,
    group: &str,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    can(state, user, SpaceAction::Manage, space, ctx).await?;
    let group = groups::find(state, group, "group").await?;
    let mut tx = state.db.begin().await?;
    if !db_groups::remove_from_space(&mut tx, space, group).await? {
        return Err(AppError::field(
            "group",
            "That group is not a member of this space.",
        ));
    }
    let event = NewEvent::new("space.member.remove", Outcome::Success)
        .target("space", space)
        .details(serde_json::json!({ "group_id": group }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(())
}

fn description(raw: &str) -> Result<&str, AppError> {
    let description = raw.trim();
    if description.chars().count() > DESCRIPTION_MAX {
        return Err(AppError::field(
            "description",
            format!("Use at most {DESCRIPTION_MAX} characters."),
        ));
    }
    if description.contains('\0') {
        return Err(AppError::field(
            "description",
            "The description cannot contain NUL characters.",
        ));
    }
    Ok(description)
}

/// Rename or describe a shared space (owners only).
pub async fn update(
    state: &AppState,
    user: i64,
    space: i64,
    name: &str,
    description_text: &str,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    can(state, user, SpaceAction::Manage, space, ctx).await?;
    let name = SpaceName::parse(name).map_err(|m| AppError::field("name", m))?;
    let description = description(description_text)?;
    let (before, _) = db::get(&state.db, space).await?.ok_or(AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    db::update(&mut tx, space, name.as_str(), description).await?;
    let event = NewEvent::new("space.update", Outcome::Success)
        .target("space", space)
        .details(serde_json::json!({ "name": name.as_str(), "name_before": before }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Delete a shared space (owners only). Refused while it holds documents, live
/// or in the trash: they are moved or deleted first, so nothing is lost by a
/// click.
pub async fn delete(
    state: &AppState,
    user: i64,
    space: i64,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    can(state, user, SpaceAction::Delete, space, ctx).await?;
    let (name, _) = db::get(&state.db, space).await?.ok_or(AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    let held = db::document_count(&mut tx, space).await?;
    if held > 0 {
        return Err(AppError::form(format!(
            "This space still holds {held} document{} (the trash included): move or delete {} first.",
            if held == 1 { "" } else { "s" },
            if held == 1 { "it" } else { "them" },
        )));
    }
    db::delete(&mut tx, space).await?;
    let event = NewEvent::new("space.delete", Outcome::Success)
        .target("space", space)
        .details(serde_json::json!({ "name": name }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Every shared space, for the admin console (the caller checked the admin role).
pub async fn overview(state: &AppState) -> Result<Vec<SpaceOverview>, AppError> {
    Ok(db::overview(&state.db)
        .await?
        .into_iter()
        .map(|(id, name, owners, members, documents, created_at)| {
            let mut owners: Vec<String> = owners
                .unwrap_or_default()
                .lines()
                .map(str::to_string)
                .collect();
            owners.sort_by_key(|o| o.to_lowercase());
            SpaceOverview {
                id,
                name,
                owners,
                members,
                documents,
                created_at,
            }
        })
        .collect())
}
