use crate::{
    domain::conversation::{ConversationPage, ConversationView, UsageTotals},
    error::AppError,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::auth::ctx;

/// A document that a new conversation can be limited to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentChoice {
    pub id: i64,
    pub title: String,
}

#[server(prefix = "/api", endpoint = "conversations/list")]
pub async fn list_conversations(
    search: String,
    page: u32,
    trashed: bool,
) -> Result<ConversationPage, AppError> {
    use crate::server::services::conversations;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    conversations::list(&call.state, user, trashed, &search, page).await
}

#[server(prefix = "/api", endpoint = "conversations/get")]
pub async fn get_conversation(id: i64) -> Result<ConversationView, AppError> {
    use crate::server::services::conversations;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    conversations::get(&call.state, user, id).await
}

/// `scope` holds the ids of the documents to limit the conversation to (none: all).
#[server(prefix = "/api", endpoint = "conversations/create")]
pub async fn create_conversation(
    title: String,
    #[server(default)] scope: Vec<i64>,
) -> Result<i64, AppError> {
    use crate::server::services::conversations;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    let id = conversations::create(&call.state, user, &title, &scope, &call.caller.audit).await?;
    leptos_axum::redirect(&format!("/conversations/{id}"));
    Ok(id)
}

#[server(prefix = "/api", endpoint = "conversations/rename")]
pub async fn rename_conversation(id: i64, title: String) -> Result<(), AppError> {
    use crate::server::services::conversations;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    conversations::rename(&call.state, user, id, &title, &call.caller.audit).await
}

#[server(prefix = "/api", endpoint = "conversations/delete")]
pub async fn delete_conversation(id: i64) -> Result<(), AppError> {
    use crate::server::services::conversations;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    conversations::trash(&call.state, user, id, &call.caller.audit).await?;
    leptos_axum::redirect("/conversations");
    Ok(())
}

#[server(prefix = "/api", endpoint = "conversations/restore")]
pub async fn restore_conversation(id: i64) -> Result<(), AppError> {
    use crate::server::services::conversations;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    conversations::restore(&call.state, user, id, &call.caller.audit).await
}

#[server(prefix = "/api", endpoint = "conversations/purge")]
pub async fn purge_conversation(id: i64) -> Result<(), AppError> {
    use crate::server::services::conversations;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    conversations::purge(&call.state, user, id, &call.caller.audit).await
}

/// Stop the reply `reply` of conversation `id`; what was written so far is kept.
#[server(prefix = "/api", endpoint = "conversations/stop")]
pub async fn stop_reply(id: i64, reply: i64) -> Result<(), AppError> {
    use crate::server::services::conversations;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    conversations::stop(&call.state, user, id, reply).await
}

#[server(prefix = "/api", endpoint = "conversations/usage")]
pub async fn conversation_usage() -> Result<UsageTotals, AppError> {
    use crate::server::services::conversations;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    conversations::usage(&call.state, user).await
}

/// The user's live documents by title, to choose a conversation's scope from.
#[server(prefix = "/api", endpoint = "conversations/document_choices")]
pub async fn document_choices() -> Result<Vec<DocumentChoice>, AppError> {
    use crate::server::services::documents;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    let titles = documents::titles(&call.state, user).await?;
    Ok(titles
        .into_iter()
        .map(|(id, title)| DocumentChoice { id, title })
        .collect())
}

/// Share one of my conversations read-only with a space I can read.
#[server(prefix = "/api", endpoint = "conversations/share")]
pub async fn share_conversation(id: i64, space: i64) -> Result<(), AppError> {
    use crate::server::services::conversations;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    conversations::share(&call.state, user, id, space, &call.caller.audit).await
}

#[server(prefix = "/api", endpoint = "conversations/unshare")]
pub async fn unshare_conversation(id: i64, space: i64) -> Result<(), AppError> {
    use crate::server::services::conversations;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    conversations::unshare(&call.state, user, id, space, &call.caller.audit).await
}
