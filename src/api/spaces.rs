//! Spaces: list mine, create one, manage members, move a document.

use crate::{
    domain::{
        document::DocumentSummary,
        space::{
            GroupDetail, GroupSummary, SpaceCreation, SpaceMember, SpaceOverview, SpaceSummary,
        },
    },
    error::AppError,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::auth::ctx;

/// The caller's id when they are an administrator, else NotFound (after
/// recording the refusal).
#[cfg(feature = "ssr")]
async fn admin(call: &ctx::Call, resource: &str) -> Result<i64, AppError> {
    crate::server::services::admin::require_admin(
        &call.state,
        call.auth.user.as_ref(),
        resource,
        &call.caller.audit,
    )
    .await
}

#[cfg(feature = "ssr")]
fn parse_role(role: &str) -> Result<crate::domain::space::SpaceRole, AppError> {
    crate::domain::space::SpaceRole::parse(role)
        .ok_or_else(|| AppError::field("role", "Choose viewer, editor or owner."))
}

#[server(prefix = "/api", endpoint = "spaces/list")]
pub async fn list_spaces() -> Result<Vec<SpaceSummary>, AppError> {
    use crate::server::services::spaces;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    spaces::list(&call.state, user).await
}

#[server(prefix = "/api", endpoint = "spaces/create")]
pub async fn create_space(name: String, description: String) -> Result<i64, AppError> {
    use crate::server::services::spaces;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    let id = spaces::create(&call.state, user, &name, &description, &call.caller.audit).await?;
    leptos_axum::redirect(&format!("/spaces/{id}"));
    Ok(id)
}

#[server(prefix = "/api", endpoint = "spaces/get")]
pub async fn get_space(space: i64) -> Result<SpaceSummary, AppError> {
    use crate::server::services::spaces;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    spaces::get(&call.state, user, space, &call.caller.audit).await
}

#[server(prefix = "/api", endpoint = "spaces/documents")]
pub async fn space_documents(space: i64) -> Result<Vec<DocumentSummary>, AppError> {
    use crate::server::services::spaces;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    spaces::documents(&call.state, user, space, &call.caller.audit).await
}

#[server(prefix = "/api", endpoint = "spaces/members")]
pub async fn space_members(space: i64) -> Result<Vec<SpaceMember>, AppError> {
    use crate::server::services::spaces;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    spaces::members(&call.state, user, space, &call.caller.audit).await
}

/// Usernames starting with `typed`, to add to the space (its owners only).
#[server(prefix = "/api", endpoint = "spaces/people")]
pub async fn space_people(space: i64, typed: String) -> Result<Vec<String>, AppError> {
    use crate::server::services::spaces;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    spaces::people(&call.state, user, space, &typed, &call.caller.audit).await
}

/// Add a person to a space with a role, or change their role.
#[server(prefix = "/api", endpoint = "spaces/members/set")]
pub async fn set_space_member(space: i64, username: String, role: String) -> Result<(), AppError> {
    use crate::server::services::spaces;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    let role = parse_role(&role)?;
    spaces::set_member(
        &call.state,
        user,
        space,
        &username,
        role,
        &call.caller.audit,
    )
    .await
}

#[server(prefix = "/api", endpoint = "spaces/members/remove")]
pub async fn remove_space_member(space: i64, username: String) -> Result<(), AppError> {
    use crate::server::services::spaces;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    spaces::remove_member(&call.state, user, space, &username, &call.caller.audit).await
}

#[server(prefix = "/api", endpoint = "spaces/leave")]
pub async fn leave_space(space: i64) -> Result<(), AppError> {
    use crate::server::services::spaces;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    spaces::leave(&call.state, user, space, &call.caller.audit).await?;
    leptos_axum::redirect("/spaces");
    Ok(())
}

#[server(prefix = "/api", endpoint = "documents/move")]
pub async fn move_document(id: i64, space: i64) -> Result<(), AppError> {
    use crate::server::services::spaces;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    spaces::move_document(&call.state, user, id, space, &call.caller.audit).await
}

/// Who may create shared spaces (administrators only).
#[server(prefix = "/api", endpoint = "admin/settings/space_creation/set")]
pub async fn set_space_creation(allowed: String) -> Result<(), AppError> {
    use crate::server::services::spaces;
    let call = ctx::call().await?;
    admin(&call, "admin/settings").await?;
    let policy = SpaceCreation::parse(&allowed)
        .ok_or_else(|| AppError::field("allowed", "Choose everyone or admins."))?;
    spaces::set_creation_policy(&call.state, policy, &call.caller.audit).await
}

/// Who may create shared spaces now (administrators only).
#[server(prefix = "/api", endpoint = "admin/settings/space_creation")]
pub async fn space_creation_policy() -> Result<SpaceCreation, AppError> {
    use crate::server::services::spaces;
    let call = ctx::call().await?;
    admin(&call, "admin/settings").await?;
    spaces::creation_policy(&call.state).await
}

/// Make a group a member of a space with a role, or change its role (owners).
#[server(prefix = "/api", endpoint = "spaces/groups/set")]
pub async fn set_space_group(space: i64, group: String, role: String) -> Result<(), AppError> {
    use crate::server::services::spaces;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    let role = parse_role(&role)?;
    spaces::set_group(&call.state, user, space, &group, role, &call.caller.audit).await
}

#[server(prefix = "/api", endpoint = "spaces/groups/remove")]
pub async fn remove_space_group(space: i64, group: String) -> Result<(), AppError> {
    use crate::server::services::spaces;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    spaces::remove_group(&call.state, user, space, &group, &call.caller.audit).await
}

/// Rename or describe a shared space (owners).
#[server(prefix = "/api", endpoint = "spaces/update")]
pub async fn update_space(space: i64, name: String, description: String) -> Result<(), AppError> {
    use crate::server::services::spaces;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    spaces::update(
        &call.state,
        user,
        space,
        &name,
        &description,
        &call.caller.audit,
    )
    .await
}

/// Delete an empty shared space (owners).
#[server(prefix = "/api", endpoint = "spaces/delete")]
pub async fn delete_space(space: i64) -> Result<(), AppError> {
    use crate::server::services::spaces;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    spaces::delete(&call.state, user, space, &call.caller.audit).await?;
    leptos_axum::redirect("/spaces");
    Ok(())
}

/// The names of the groups there are, to add one to a space: for people who
/// own a shared space (nobody else has a use for them).
#[server(prefix = "/api", endpoint = "groups/names")]
pub async fn group_names() -> Result<Vec<String>, AppError> {
    use crate::{
        domain::space::{SpaceKind, SpaceRole},
        server::services::{groups, spaces},
    };
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    let owns_shared = spaces::list(&call.state, user)
        .await?
        .iter()
        .any(|s| s.kind == SpaceKind::Shared && s.role == SpaceRole::Owner);
    if !owns_shared {
        return Err(AppError::Forbidden);
    }
    groups::names(&call.state).await
}

#[server(prefix = "/api", endpoint = "admin/spaces")]
pub async fn admin_spaces() -> Result<Vec<SpaceOverview>, AppError> {
    use crate::server::services::spaces;
    let call = ctx::call().await?;
    admin(&call, "admin/spaces").await?;
    spaces::overview(&call.state).await
}

#[server(prefix = "/api", endpoint = "admin/groups")]
pub async fn admin_groups() -> Result<Vec<GroupSummary>, AppError> {
    use crate::server::services::groups;
    let call = ctx::call().await?;
    admin(&call, "admin/groups").await?;
    groups::list(&call.state).await
}

#[server(prefix = "/api", endpoint = "admin/groups/get")]
pub async fn admin_group(id: i64) -> Result<GroupDetail, AppError> {
    use crate::server::services::groups;
    let call = ctx::call().await?;
    admin(&call, "admin/groups").await?;
    groups::get(&call.state, id).await
}

#[server(prefix = "/api", endpoint = "admin/groups/create")]
pub async fn create_group(name: String) -> Result<i64, AppError> {
    use crate::server::services::groups;
    let call = ctx::call().await?;
    admin(&call, "admin/groups").await?;
    let id = groups::create(&call.state, &name, &call.caller.audit).await?;
    leptos_axum::redirect(&format!("/admin/groups/{id}"));
    Ok(id)
}

#[server(prefix = "/api", endpoint = "admin/groups/delete")]
pub async fn delete_group(id: i64) -> Result<(), AppError> {
    use crate::server::services::groups;
    let call = ctx::call().await?;
    admin(&call, "admin/groups").await?;
    groups::delete(&call.state, id, &call.caller.audit).await?;
    leptos_axum::redirect("/admin/groups");
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/groups/members/add")]
pub async fn add_group_member(group: i64, username: String) -> Result<(), AppError> {
    use crate::server::services::groups;
    let call = ctx::call().await?;
    admin(&call, "admin/groups").await?;
    groups::add_member(&call.state, group, &username, &call.caller.audit).await
}

#[server(prefix = "/api", endpoint = "admin/groups/members/remove")]
pub async fn remove_group_member(group: i64, username: String) -> Result<(), AppError> {
    use crate::server::services::groups;
    let call = ctx::call().await?;
    admin(&call, "admin/groups").await?;
    groups::remove_member(&call.state, group, &username, &call.caller.audit).await
}

/// The conversations shared with a space (anyone who may read the space).
#[server(prefix = "/api", endpoint = "spaces/conversations")]
pub async fn space_conversations(
    space: i64,
) -> Result<Vec<crate::domain::conversation::SharedConversation>, AppError> {
    use crate::server::services::conversations;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    conversations::shared_in(&call.state, user, space, &call.caller.audit).await
}
