//! The REST API under `/api/v1`: JSON in and out, authenticated only by
//! `Authorization: Bearer <API key or access token>` (browser cookies are ignored
//! here, so there is no CSRF surface), scopes enforced per endpoint, owner-only like the UI, rate
//! limited per key. Errors always have the shape
//! `{"error": {"code": "...", "message": "...", "fields": [...], "request_id": "..."}}`.
//!
//! One file per resource, each with its handlers and their request and response
//! types; `error` holds the error shape and `extract` the caller and the input.
//! Every handler is registered once, in [`api`]: the router and the OpenAPI
//! document are both made from that list, so they cannot drift apart.

mod account;
mod auth;
mod conversations;
mod documents;
mod error;
mod extract;

pub use error::{error_shape, ApiError, ErrorBody, ErrorCode, ErrorDetail};
pub use extract::Principal;

mod prelude;
mod schema;

use crate::{error::AppError, server::state::AppState};
use axum::{
    extract::State,
    response::{IntoResponse, Response},
    Json, Router,
};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

async fn not_found() -> ApiError {
    ApiError(AppError::NotFound)
}

/// The OpenAPI document's frame: what the API is, how to authenticate, the tags.
/// The operations are added by [`api`], from the same list as the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Motto API",
        version = "1",
        description = "Script your documents and conversations. Authenticate every call with \
                       `Authorization: Bearer <key>`: an API key made under Account → API keys \
                       (its scopes limit what it may do), or an access token from \
                       `/api/v1/auth/token`. Cookies are never accepted here. Errors always \
                       have the shape `{\"error\": {\"code\", \"message\", \"fields\"?, \
                       \"request_id\"?}}`."
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "account", description = "Who is calling"),
        (name = "documents", description = "Markdown documents, revised on every save"),
        (name = "conversations", description = "Questions answered from your documents, with citations"),
        (name = "auth", description = "Access and refresh tokens for scripts that log in with a password"),
    ),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key (`motto_...`) or an access token from /api/v1/auth/token.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every operation, registered once: the router and the OpenAPI document are
/// both made from this list. Handlers on one path share a `routes!`.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(account::me))
        .routes(routes!(auth::token))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::revoke))
        .routes(routes!(
            documents::list_documents,
            documents::create_document
        ))
        .routes(routes!(
            documents::get_document,
            documents::update_document,
            documents::delete_document
        ))
        .routes(routes!(
            conversations::list_conversations,
            conversations::create_conversation
        ))
        .routes(routes!(conversations::get_conversation))
        .routes(routes!(conversations::post_message))
}

/// The spec, with the server this instance answers at.
pub fn spec(state: &AppState) -> utoipa::openapi::OpenApi {
    let (_, mut doc) = api().split_for_parts();
    doc.servers = Some(vec![utoipa::openapi::Server::new(
        state.settings.public_origin(),
    )]);
    doc
}

async fn openapi_json(State(state): State<AppState>) -> Response {
    Json(spec(&state)).into_response()
}

pub fn router() -> Router<AppState> {
    let (operations, _) = api().split_for_parts();
    operations
        .route("/api/v1/openapi.json", axum::routing::get(openapi_json))
        .route("/api/v1/{*rest}", axum::routing::any(not_found))
}
