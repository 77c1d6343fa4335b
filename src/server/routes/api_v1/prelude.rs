//! What every resource file uses: `use super::prelude::*;`.

pub(super) use super::error::responses::{
    InsufficientScope, Invalid, NotFound, RateLimited, ServerError, Unauthorized,
};
pub(super) use super::error::{ApiError, ApiResult, ErrorBody};
pub(super) use super::extract::{body, created, Id, Params, Principal};
pub(super) use crate::{
    domain::{
        conversation::{ConversationPage, ConversationView, MessageView, StreamEvent},
        document::{DocSort, DocumentPage, DocumentView, SearchHit},
    },
    error::AppError,
    server::services::tokens::TokenPair,
    server::{
        caller::Caller,
        db::users,
        services::{conversations, documents, tokens},
        state::AppState,
    },
};
pub(super) use axum::{
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
pub(super) use serde::{Deserialize, Serialize};
pub(super) use utoipa::{IntoParams, ToSchema};
