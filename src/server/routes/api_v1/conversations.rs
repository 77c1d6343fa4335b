//! `/api/v1/conversations`: questions answered from the caller's documents.

use super::prelude::*;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ConversationListParams {
    /// Page number, from 1 (30 conversations a page).
    #[param(minimum = 1)]
    #[serde(default)]
    page: Option<u32>,
    /// Only conversations whose title or messages contain this text.
    #[serde(default)]
    q: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/conversations", tag = "conversations",
    summary = "List conversations",
    description = "Most recently active first.",
    params(ConversationListParams),
    responses(
        (status = 200, description = "A page of conversations", body = ConversationPage),
        Invalid, Unauthorized, InsufficientScope, RateLimited, ServerError,
    ),
    security(("bearer" = ["conversations:read"])),
)]
pub(super) async fn list_conversations(
    State(state): State<AppState>,
    p: Principal,
    Params(params): Params<ConversationListParams>,
) -> ApiResult {
    p.require("conversations:read")?;
    let q = params.q.unwrap_or_default();
    let page =
        conversations::list(&state, p.user(), false, &q, params.page.unwrap_or(1).max(1)).await?;
    Ok(Json(page).into_response())
}

#[utoipa::path(
    get, path = "/api/v1/conversations/{id}", tag = "conversations",
    summary = "Get a conversation with its messages",
    params(("id" = i64, Path, description = "Conversation id")),
    responses(
        (status = 200, description = "The conversation", body = ConversationView),
        Unauthorized, InsufficientScope, NotFound, RateLimited, ServerError,
    ),
    security(("bearer" = ["conversations:read"])),
)]
pub(super) async fn get_conversation(
    State(state): State<AppState>,
    p: Principal,
    Id(id): Id,
) -> ApiResult {
    p.require("conversations:read")?;
    let c = conversations::get(&state, p.user(), id).await?;
    Ok(Json(c).into_response())
}

#[derive(Deserialize, ToSchema)]
pub(super) struct NewConversation {
    #[schema(schema_with = super::schema::conversation_title)]
    #[serde(default)]
    title: String,
    /// Document ids the assistant may answer from; empty means all of yours.
    #[serde(default)]
    scope: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
pub(super) struct ConversationRef {
    id: i64,
}

#[utoipa::path(
    post, path = "/api/v1/conversations", tag = "conversations",
    summary = "Start a conversation",
    request_body = NewConversation,
    responses(
        (status = 201, description = "Created", body = ConversationRef, headers(("location" = String, description = "The new conversation's URL"))),
        Invalid, Unauthorized, InsufficientScope, RateLimited, ServerError,
    ),
    security(("bearer" = ["conversations:write"])),
)]
pub(super) async fn create_conversation(
    State(state): State<AppState>,
    p: Principal,
    input: Result<Json<NewConversation>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    p.require("conversations:write")?;
    let input = body(input)?;
    let id = conversations::create(
        &state,
        p.user(),
        &input.title,
        &input.scope,
        &p.caller.audit,
    )
    .await?;
    Ok(created(
        format!("/api/v1/conversations/{id}"),
        ConversationRef { id },
    ))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct NewMessage {
    #[schema(schema_with = super::schema::message_content)]
    content: String,
}

/// The stored message and the assistant's reply.
#[derive(Serialize, ToSchema)]
pub(super) struct MessageReply {
    message_id: i64,
    reply: Option<MessageView>,
}

#[utoipa::path(
    post, path = "/api/v1/conversations/{id}/messages", tag = "conversations",
    summary = "Send a message and wait for the reply",
    description = "The message is stored first; the answer comes back when the assistant \
                   has finished (it cites the passages of your documents it used).",
    params(("id" = i64, Path, description = "Conversation id")),
    request_body = NewMessage,
    responses(
        (status = 201, description = "Stored and answered", body = MessageReply),
        (status = 409, description = "The previous message is still being answered.", body = ErrorBody),
        (status = 502, description = "The assistant failed; the reply says why. Your message is kept.", body = MessageReply),
        Invalid, Unauthorized, InsufficientScope, NotFound, RateLimited, ServerError,
    ),
    security(("bearer" = ["conversations:write"])),
)]
pub(super) async fn post_message(
    State(state): State<AppState>,
    p: Principal,
    Id(id): Id,
    input: Result<Json<NewMessage>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    p.require("conversations:write")?;
    let input = body(input)?;
    let sending =
        conversations::send(&state, p.user(), id, &input.content, &p.caller.audit).await?;
    let (message_id, reply_id) = (sending.message_id, sending.reply_id);
    let last = conversations::wait(sending).await;
    let view = conversations::get(&state, p.user(), id).await?;
    let reply = view.messages.into_iter().find(|m| m.id == reply_id);
    let status = match last {
        Some(StreamEvent::Done { .. }) => StatusCode::CREATED,
        _ => StatusCode::BAD_GATEWAY,
    };
    Ok((status, Json(MessageReply { message_id, reply })).into_response())
}
