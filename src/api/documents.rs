use crate::{
    domain::document::{DocumentPage, DocumentView, RevisionSummary, SearchHit},
    error::AppError,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::auth::ctx;

/// A page of the documents the caller can read: in one `space`, or in all.
#[server(prefix = "/api", endpoint = "documents/list")]
pub async fn list_documents(
    sort: String,
    page: u32,
    per_page: Option<u32>,
    trashed: bool,
    #[server(default)] space: Option<i64>,
) -> Result<DocumentPage, AppError> {
    use crate::{
        domain::document::{page_size, DocSort},
        server::services::documents::{self, Listing},
    };
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    let listing = Listing {
        trashed,
        sort: DocSort::parse(&sort),
        space,
    };
    documents::list(&call.state, user, listing, page, page_size(per_page)).await
}

#[server(prefix = "/api", endpoint = "documents/search")]
pub async fn search_documents(
    query: String,
    #[server(default)] space: Option<i64>,
) -> Result<Vec<SearchHit>, AppError> {
    use crate::server::services::documents;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    documents::search(&call.state, user, &query, space).await
}

#[server(prefix = "/api", endpoint = "documents/get")]
pub async fn get_document(id: i64) -> Result<DocumentView, AppError> {
    use crate::server::services::documents;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    documents::get(&call.state, user, id, &call.caller.audit).await
}

/// "I have this document open in the editor": answers who else has.
#[server(prefix = "/api", endpoint = "documents/presence")]
pub async fn document_presence(id: i64) -> Result<Vec<String>, AppError> {
    use crate::server::services::documents;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    documents::presence(&call.state, user, id).await
}

#[server(prefix = "/api", endpoint = "documents/create")]
pub async fn create_document(title: String, body: String) -> Result<i64, AppError> {
    use crate::server::services::documents;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    let id = documents::create(&call.state, user, &title, &body, &call.caller.audit).await?;
    leptos_axum::redirect(&format!("/documents/{id}"));
    Ok(id)
}

#[server(prefix = "/api", endpoint = "documents/update")]
pub async fn update_document(
    id: i64,
    version: i64,
    title: String,
    body: String,
) -> Result<i64, AppError> {
    use crate::server::services::documents::{self, Edit};
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    let edit = Edit {
        base_version: version,
        title: &title,
        body: &body,
        restored_from: None,
    };
    let version = documents::update(&call.state, user, id, edit, &call.caller.audit).await?;
    leptos_axum::redirect(&format!("/documents/{id}"));
    Ok(version)
}

#[server(prefix = "/api", endpoint = "documents/delete")]
pub async fn delete_document(id: i64) -> Result<(), AppError> {
    use crate::server::services::documents;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    documents::trash(&call.state, user, id, &call.caller.audit).await?;
    leptos_axum::redirect("/documents");
    Ok(())
}

#[server(prefix = "/api", endpoint = "documents/restore")]
pub async fn restore_document(id: i64) -> Result<(), AppError> {
    use crate::server::services::documents;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    documents::restore(&call.state, user, id, &call.caller.audit).await
}

#[server(prefix = "/api", endpoint = "documents/purge")]
pub async fn purge_document(id: i64) -> Result<(), AppError> {
    use crate::server::services::documents;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    documents::purge(&call.state, user, id, &call.caller.audit).await
}

#[server(prefix = "/api", endpoint = "documents/revisions")]
pub async fn list_revisions(id: i64) -> Result<Vec<RevisionSummary>, AppError> {
    use crate::server::services::documents;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    documents::revisions(&call.state, user, id).await
}

#[server(prefix = "/api", endpoint = "documents/revision")]
pub async fn get_revision(id: i64, version: i64) -> Result<DocumentView, AppError> {
    use crate::server::services::documents;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    documents::revision(&call.state, user, id, version).await
}

#[server(prefix = "/api", endpoint = "documents/restore_revision")]
pub async fn restore_revision(id: i64, version: i64, base_version: i64) -> Result<i64, AppError> {
    use crate::server::services::documents;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    let v = documents::restore_revision(
        &call.state,
        user,
        id,
        version,
        base_version,
        &call.caller.audit,
    )
    .await?;
    leptos_axum::redirect(&format!("/documents/{id}"));
    Ok(v)
}

/// Markdown rendered and sanitised exactly as the document page will show it.
#[server(prefix = "/api", endpoint = "documents/preview")]
pub async fn preview_markdown(body: String) -> Result<String, AppError> {
    let call = ctx::call().await?;
    call.caller.user()?;
    if body.len() > crate::domain::document::BODY_MAX {
        return Err(AppError::field("body", "The text is too long to preview."));
    }
    Ok(crate::server::adapters::markdown::render(&body))
}
