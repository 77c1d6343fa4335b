//! `/api/v1/documents`: Markdown documents, revised on every save.

use super::prelude::*;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DocumentListParams {
    /// Page number, from 1 (20 documents a page). Ignored with `q`.
    #[param(minimum = 1)]
    #[serde(default)]
    page: Option<u32>,
    /// Documents a page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[serde(default)]
    per_page: Option<u32>,
    /// Full-text search: the best 50 matches, with snippets, instead of a page.
    #[serde(default)]
    q: Option<String>,
    /// Order of a page: most recently updated first, or by title.
    #[param(inline)]
    #[serde(default)]
    sort: Option<SortParam>,
    /// Only the documents of this space (its id, as on the space's page); all the
    /// spaces the key's owner can read when absent. A space they cannot read
    /// gives an empty list.
    #[serde(default)]
    space: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum SortParam {
    Updated,
    Title,
}

/// The result of a search: the best matches first.
#[derive(Serialize, ToSchema)]
pub(super) struct SearchResults {
    /// The search as it was run.
    query: String,
    items: Vec<SearchHit>,
}

/// A page of documents, or search results when `q` was given.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub(super) enum DocumentList {
    Page(DocumentPage),
    Search(SearchResults),
}

#[utoipa::path(
    get, path = "/api/v1/documents", tag = "documents",
    summary = "List or search documents",
    params(DocumentListParams),
    responses(
        (status = 200, description = "A page, or the search results", body = DocumentList),
        Invalid, Unauthorized, InsufficientScope, RateLimited, ServerError,
    ),
    security(("bearer" = ["documents:read"])),
)]
pub(super) async fn list_documents(
    State(state): State<AppState>,
    p: Principal,
    Params(params): Params<DocumentListParams>,
) -> ApiResult {
    p.require("documents:read")?;
    if let Some(q) = params.q.filter(|q| !q.trim().is_empty()) {
        let items = documents::search(&state, p.user(), &q, params.space).await?;
        return Ok(Json(DocumentList::Search(SearchResults { query: q, items })).into_response());
    }
    let sort = match params.sort {
        Some(SortParam::Title) => DocSort::Title,
        _ => DocSort::Updated,
    };
    let per_page = params
        .per_page
        .unwrap_or(crate::domain::document::PAGE_SIZE);
    if !(1..=100).contains(&per_page) {
        return Err(ApiError(AppError::field("per_page", "Use 1 to 100.")));
    }
    let listing = documents::Listing {
        trashed: false,
        sort,
        space: params.space,
    };
    let page = documents::list(
        &state,
        p.user(),
        listing,
        params.page.unwrap_or(1).max(1),
        per_page,
    )
    .await?;
    Ok(Json(DocumentList::Page(page)).into_response())
}

#[utoipa::path(
    get, path = "/api/v1/documents/{id}", tag = "documents",
    summary = "Get a document",
    description = "The Markdown source, its sanitised HTML and the current version.",
    params(("id" = i64, Path, description = "Document id")),
    responses(
        (status = 200, description = "The document", body = DocumentView),
        Unauthorized, InsufficientScope, NotFound, RateLimited, ServerError,
    ),
    security(("bearer" = ["documents:read"])),
)]
pub(super) async fn get_document(
    State(state): State<AppState>,
    p: Principal,
    Id(id): Id,
) -> ApiResult {
    p.require("documents:read")?;
    let doc: DocumentView = documents::get(&state, p.user(), id, &p.caller.audit).await?;
    Ok(Json(doc).into_response())
}

#[derive(Deserialize, ToSchema)]
pub(super) struct NewDocument {
    #[schema(schema_with = super::schema::document_title)]
    title: String,
    /// Markdown, at most 10 MiB, no NUL characters.
    #[schema(pattern = r"^[^\u0000]*$")]
    #[serde(default)]
    body: String,
}

/// The id and version of a document after a change.
#[derive(Serialize, ToSchema)]
pub(super) struct DocumentRef {
    id: i64,
    version: i64,
}

#[utoipa::path(
    post, path = "/api/v1/documents", tag = "documents",
    summary = "Create a document",
    request_body = NewDocument,
    responses(
        (status = 201, description = "Created (version 1)", body = DocumentRef, headers(("location" = String, description = "The new document's URL"))),
        Invalid, Unauthorized, InsufficientScope, RateLimited, ServerError,
    ),
    security(("bearer" = ["documents:write"])),
)]
pub(super) async fn create_document(
    State(state): State<AppState>,
    p: Principal,
    input: Result<Json<NewDocument>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    p.require("documents:write")?;
    let input = body(input)?;
    let id =
        documents::create(&state, p.user(), &input.title, &input.body, &p.caller.audit).await?;
    Ok(created(
        format!("/api/v1/documents/{id}"),
        DocumentRef { id, version: 1 },
    ))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct DocumentUpdate {
    #[schema(schema_with = super::schema::document_title)]
    title: String,
    /// Markdown, at most 10 MiB, no NUL characters.
    #[schema(pattern = r"^[^\u0000]*$")]
    #[serde(default)]
    body: String,
    /// The version the change is based on; if the document has moved on since, the
    /// answer is 409 and nothing is changed.
    version: i64,
}

#[utoipa::path(
    put, path = "/api/v1/documents/{id}", tag = "documents",
    summary = "Save a new version of a document",
    params(("id" = i64, Path, description = "Document id")),
    request_body = DocumentUpdate,
    responses(
        (status = 200, description = "Saved as the returned version", body = DocumentRef),
        (status = 409, description = "The document changed since `version`: fetch it, merge, retry.", body = ErrorBody),
        Invalid, Unauthorized, InsufficientScope, NotFound, RateLimited, ServerError,
    ),
    security(("bearer" = ["documents:write"])),
)]
pub(super) async fn update_document(
    State(state): State<AppState>,
    p: Principal,
    Id(id): Id,
    input: Result<Json<DocumentUpdate>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    p.require("documents:write")?;
    let input = body(input)?;
    let edit = documents::Edit {
        base_version: input.version,
        title: &input.title,
        body: &input.body,
        restored_from: None,
    };
    let version = documents::update(&state, p.user(), id, edit, &p.caller.audit).await?;
    Ok(Json(DocumentRef { id, version }).into_response())
}

#[utoipa::path(
    delete, path = "/api/v1/documents/{id}", tag = "documents",
    summary = "Move a document to the trash",
    description = "It can be restored from the trash in the UI until it is purged.",
    params(("id" = i64, Path, description = "Document id")),
    responses(
        (status = 204, description = "Moved to the trash"),
        Unauthorized, InsufficientScope, NotFound, RateLimited, ServerError,
    ),
    security(("bearer" = ["documents:write"])),
)]
pub(super) async fn delete_document(
    State(state): State<AppState>,
    p: Principal,
    Id(id): Id,
) -> ApiResult {
    p.require("documents:write")?;
    documents::trash(&state, p.user(), id, &p.caller.audit).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
