//! Shared state, handed to handlers by axum and to server functions by context.

use super::{auth::password::Hasher, config::Settings, db::Db};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub leptos_options: LeptosOptions,
    pub hasher: Hasher,
    pub security: Arc<super::security::SecurityState>,
    /// Answers messages in conversations (retrieval, or an LLM when configured).
    pub assistant: Arc<dyn super::services::assistant::Assistant>,
    /// Replies this instance is writing, so Stop can reach them.
    pub replies: Arc<super::services::conversations::Replies>,
    /// Outgoing mail (SMTP, or the development outbox).
    pub mailer: Arc<super::services::mail::Mailer>,
    /// Prometheus counters and histograms (`/metrics`).
    pub metrics: Arc<super::metrics::Metrics>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
