use crate::{domain::api_docs::ApiReference, error::AppError};
use leptos::prelude::*;

/// The REST API's reference (public: it describes the API, it holds no data).
#[server(prefix = "/api", endpoint = "docs/reference")]
pub async fn get_api_reference() -> Result<ApiReference, AppError> {
    use crate::server::{routes::api_v1, services::api_docs};
    let call = super::auth::ctx::call().await?;
    let spec = serde_json::to_value(api_v1::spec(&call.state)).map_err(crate::error::report)?;
    Ok(api_docs::reference(&spec))
}
