//! Spaces: list mine, create one, manage members, move a document.

use crate::{
    domain::{
        document::DocumentSummary,
        space::{SpaceMember, SpaceSummary},
    },
    error::AppError,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::auth::ctx;

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

/// Add a person to a space with a role, or change their role.
#[server(prefix = "/api", endpoint = "spaces/members/set")]
pub async fn set_space_member(space: i64, username: String, role: String) -> Result<(), AppError> {
    use crate::{domain::space::SpaceRole, server::services::spaces};
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    let role = SpaceRole::parse(&role)
        .ok_or_else(|| AppError::field("role", "Choose viewer, editor or owner."))?;
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
    use crate::{
        domain::space::SpaceCreation,
        server::services::{admin, spaces},
    };
    let call = ctx::call().await?;
    admin::require_admin(
        &call.state,
        call.auth.user.as_ref(),
        "admin/settings",
        &call.caller.audit,
    )
    .await?;
    let policy = SpaceCreation::parse(&allowed)
        .ok_or_else(|| AppError::field("allowed", "Choose everyone or admins."))?;
    spaces::set_creation_policy(&call.state, policy, &call.caller.audit).await
}
