//! Share links: make, list and revoke a document's public read-only links;
//! allow them per space (owners) and everywhere (administrators).

use crate::{
    domain::share::{NewShareLink, ShareLinkView},
    error::AppError,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::auth::ctx;

#[cfg(feature = "ssr")]
async fn admin(call: &ctx::Call) -> Result<i64, AppError> {
    crate::server::services::admin::require_admin(
        &call.state,
        call.auth.user.as_ref(),
        "admin/share_links",
        &call.caller.audit,
    )
    .await
}

/// A document's links (its editors).
#[server(prefix = "/api", endpoint = "documents/share_links")]
pub async fn share_links(id: i64) -> Result<Vec<ShareLinkView>, AppError> {
    use crate::server::services::share_links;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    share_links::for_document(&call.state, user, id, &call.caller.audit).await
}

/// Make a link; its address is in the answer, and only there.
#[server(prefix = "/api", endpoint = "documents/share_links/create")]
pub async fn create_share_link(
    id: i64,
    #[server(default)] password: String,
    #[server(default)] expires_in_days: u32,
) -> Result<NewShareLink, AppError> {
    use crate::server::services::share_links;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    share_links::create(
        &call.state,
        user,
        id,
        &password,
        expires_in_days,
        &call.caller.audit,
    )
    .await
}

#[server(prefix = "/api", endpoint = "documents/share_links/revoke")]
pub async fn revoke_share_link(link: i64) -> Result<(), AppError> {
    use crate::server::services::share_links;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    share_links::revoke(&call.state, user, link, false, &call.caller.audit).await
}

/// Whether a space's documents may be shared by link.
#[server(prefix = "/api", endpoint = "spaces/share_links")]
pub async fn space_share_links(space: i64) -> Result<bool, AppError> {
    use crate::server::services::share_links;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    share_links::allowed_in(&call.state, user, space, &call.caller.audit).await
}

/// Allow (`allowed` present, as a ticked checkbox sends it) or forbid links to
/// a space's documents (its owners).
#[server(prefix = "/api", endpoint = "spaces/share_links/set")]
pub async fn set_space_share_links(
    space: i64,
    #[server(default)] allowed: Option<String>,
) -> Result<(), AppError> {
    use crate::server::services::share_links;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    share_links::set_allowed_in(
        &call.state,
        user,
        space,
        allowed.is_some(),
        &call.caller.audit,
    )
    .await
}

/// Every link (administrators).
#[server(prefix = "/api", endpoint = "admin/share_links")]
pub async fn admin_share_links() -> Result<(bool, Vec<ShareLinkView>), AppError> {
    use crate::server::services::share_links;
    let call = ctx::call().await?;
    admin(&call).await?;
    Ok((
        share_links::enabled(&call.state).await?,
        share_links::all(&call.state).await?,
    ))
}

#[server(prefix = "/api", endpoint = "admin/share_links/revoke")]
pub async fn admin_revoke_share_link(link: i64) -> Result<(), AppError> {
    use crate::server::services::share_links;
    let call = ctx::call().await?;
    let admin_id = admin(&call).await?;
    share_links::revoke(&call.state, admin_id, link, true, &call.caller.audit).await
}

/// The administrators' switch: share links allowed on this server or not.
#[server(prefix = "/api", endpoint = "admin/settings/share_links/set")]
pub async fn set_share_links_enabled(
    #[server(default)] enabled: Option<String>,
) -> Result<(), AppError> {
    use crate::server::services::share_links;
    let call = ctx::call().await?;
    admin(&call).await?;
    share_links::set_enabled(&call.state, enabled.is_some(), &call.caller.audit).await
}
