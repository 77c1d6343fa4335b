//! The admin console's server functions. Each one checks the caller is an
//! administrator first; anyone else gets NotFound and an `authz.denied` event.

use crate::{
    domain::admin::{
        AuditEventView, AuditPage, AuditQuery, CheckpointStatus, IntegrityCheck, UserDetail,
        UserPage,
    },
    error::AppError,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::auth::ctx;

/// The admin's id, or NotFound (after recording the refusal).
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

/// Administrators and auditors: the audit console only.
#[cfg(feature = "ssr")]
async fn auditor(call: &ctx::Call, resource: &str) -> Result<i64, AppError> {
    crate::server::services::admin::require_auditor(
        &call.state,
        call.auth.user.as_ref(),
        resource,
        &call.caller.audit,
    )
    .await
}

#[server(prefix = "/api", endpoint = "admin/audit")]
pub async fn audit_events(query: AuditQuery, before: Option<i64>) -> Result<AuditPage, AppError> {
    use crate::server::services::admin as svc;
    let call = ctx::call().await?;
    auditor(&call, "admin/audit").await?;
    svc::audit_page(&call.state, &query, before).await
}

#[server(prefix = "/api", endpoint = "admin/audit/event")]
pub async fn audit_event(id: i64) -> Result<AuditEventView, AppError> {
    use crate::server::services::admin as svc;
    let call = ctx::call().await?;
    auditor(&call, "admin/audit/event").await?;
    svc::audit_event(&call.state, id).await
}

/// The last integrity check of the audit chain, if any ran yet.
#[server(prefix = "/api", endpoint = "admin/audit/integrity")]
pub async fn audit_integrity() -> Result<Option<IntegrityCheck>, AppError> {
    use crate::server::services::admin as svc;
    let call = ctx::call().await?;
    auditor(&call, "admin/audit/integrity").await?;
    svc::latest_check(&call.state).await
}

/// How the audit log is sealed: the signing key, the last checkpoint and the
/// checkpoint directory.
#[server(prefix = "/api", endpoint = "admin/audit/sealing")]
pub async fn audit_sealing() -> Result<CheckpointStatus, AppError> {
    use crate::server::services::audit_checkpoints as svc;
    let call = ctx::call().await?;
    auditor(&call, "admin/audit/sealing").await?;
    svc::status(&call.state).await.map_err(crate::error::report)
}

/// Verify the whole chain now.
#[server(prefix = "/api", endpoint = "admin/audit/verify")]
pub async fn verify_audit_chain() -> Result<IntegrityCheck, AppError> {
    use crate::server::services::admin as svc;
    let call = ctx::call().await?;
    auditor(&call, "admin/audit/verify").await?;
    svc::verify_chain(&call.state)
        .await
        .map_err(crate::error::report)
}

#[server(prefix = "/api", endpoint = "admin/users")]
pub async fn admin_users(search: String, page: u32) -> Result<UserPage, AppError> {
    use crate::server::services::admin as svc;
    let call = ctx::call().await?;
    admin(&call, "admin/users").await?;
    svc::users(&call.state, &search, page).await
}

#[server(prefix = "/api", endpoint = "admin/user")]
pub async fn admin_user(id: i64) -> Result<UserDetail, AppError> {
    use crate::server::services::admin as svc;
    let call = ctx::call().await?;
    admin(&call, "admin/user").await?;
    svc::user(&call.state, id).await
}

/// The person's link to the identity provider (`None` when single sign-on is off).
#[server(prefix = "/api", endpoint = "admin/user/sso")]
pub async fn admin_user_sso(id: i64) -> Result<Option<crate::domain::sso::AdminSso>, AppError> {
    let call = ctx::call().await?;
    admin(&call, "admin/user/sso").await?;
    crate::server::services::sso::admin_view(&call.state, id).await
}

/// Link the person to the provider's `subject` (their `sub` claim).
#[server(prefix = "/api", endpoint = "admin/user/sso/link")]
pub async fn admin_link_sso(id: i64, subject: String) -> Result<(), AppError> {
    let call = ctx::call().await?;
    admin(&call, "admin/user/sso/link").await?;
    crate::server::services::sso::admin_link(&call.state, id, &subject, &call.caller.audit).await
}

/// Unlink the person from the provider.
#[server(prefix = "/api", endpoint = "admin/user/sso/unlink")]
pub async fn admin_unlink_sso(id: i64) -> Result<(), AppError> {
    let call = ctx::call().await?;
    admin(&call, "admin/user/sso/unlink").await?;
    crate::server::services::sso::admin_unlink(&call.state, id, &call.caller.audit).await
}

/// `action`: disable, enable, promote, demote or end_sessions; `revoke_keys`
/// (a checkbox) also revokes the person's API keys when ending their sessions.
#[server(prefix = "/api", endpoint = "admin/user/act")]
pub async fn admin_user_action(
    id: i64,
    action: String,
    #[server(default)] revoke_keys: Option<String>,
) -> Result<(), AppError> {
    use crate::{domain::admin::UserAction, server::services::admin as svc};
    let call = ctx::call().await?;
    let me = admin(&call, "admin/user/act").await?;
    let action =
        UserAction::parse(&action).ok_or_else(|| AppError::field("action", "Unknown action."))?;
    svc::act(
        &call.state,
        me,
        id,
        action,
        revoke_keys.is_some(),
        &call.caller.audit,
    )
    .await
}

/// Who must use two-factor authentication.
#[server(prefix = "/api", endpoint = "admin/settings/two_factor")]
pub async fn two_factor_policy() -> Result<crate::domain::two_factor::TwoFactorPolicy, AppError> {
    let call = ctx::call().await?;
    admin(&call, "admin/settings").await?;
    Ok(crate::server::services::two_factor::policy(&call.state).await)
}

#[server(prefix = "/api", endpoint = "admin/settings/two_factor/set")]
pub async fn set_two_factor_policy(required_for: String) -> Result<(), AppError> {
    use crate::{domain::two_factor::TwoFactorPolicy, server::services::two_factor};
    let call = ctx::call().await?;
    admin(&call, "admin/settings").await?;
    let policy = TwoFactorPolicy::parse(&required_for).ok_or_else(|| {
        AppError::field("required_for", "Choose nobody, administrators or everyone.")
    })?;
    two_factor::set_policy(&call.state, policy, &call.caller.audit).await
}

/// A person's usage and limits, for their admin page.
#[server(prefix = "/api", endpoint = "admin/user/quotas")]
pub async fn admin_user_quotas(id: i64) -> Result<crate::domain::quota::QuotaView, AppError> {
    let call = ctx::call().await?;
    admin(&call, "admin/user/quotas").await?;
    crate::server::services::quotas::view(&call.state, id).await
}

/// Set a person's limits: empty for the default, 0 for none, else the limit
/// (storage in MB).
#[server(prefix = "/api", endpoint = "admin/user/quotas/set")]
pub async fn set_admin_user_quotas(
    id: i64,
    storage_mb: String,
    tokens_per_day: String,
    api_keys: String,
) -> Result<(), AppError> {
    let call = ctx::call().await?;
    admin(&call, "admin/user/quotas").await?;
    crate::server::services::quotas::set(
        &call.state,
        id,
        &storage_mb,
        &tokens_per_day,
        &api_keys,
        &call.caller.audit,
    )
    .await
}
