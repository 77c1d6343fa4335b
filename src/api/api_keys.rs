use crate::{
    domain::api_key::{ApiKeyView, CreatedKey},
    error::AppError,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::auth::ctx;

#[server(prefix = "/api", endpoint = "api_keys/list")]
pub async fn list_api_keys() -> Result<Vec<ApiKeyView>, AppError> {
    use crate::server::services::api_keys;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    api_keys::list(&call.state, user).await
}

/// Create a key; the answer holds its secret, shown this once.
#[server(prefix = "/api", endpoint = "api_keys/create")]
pub async fn create_api_key(
    name: String,
    #[server(default)] scopes: Vec<String>,
    days: u32,
    /// Asked when the login is more than a few minutes old.
    #[server(default)]
    password: Option<String>,
) -> Result<CreatedKey, AppError> {
    use crate::server::services::api_keys;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    ctx::fresh_identity(&call, password.as_deref()).await?;
    api_keys::create(&call.state, user, &name, &scopes, days, &call.caller.audit).await
}

#[server(prefix = "/api", endpoint = "api_keys/revoke")]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    use crate::server::services::api_keys;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    api_keys::revoke(&call.state, user, id, &call.caller.audit).await
}
