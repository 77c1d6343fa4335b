//! Shared state, handed to handlers by axum and to server functions by context.

use super::{auth::password::Hasher, config::Settings, db::Db};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// Cloned on every request by several layers, so a clone is one reference count:
/// the fields live behind one `Arc` and are reached through `Deref`.
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

impl AppState {
    pub fn new(inner: AppStateInner) -> AppState {
        AppState(Arc::new(inner))
    }
}

pub struct AppStateInner {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub leptos_options: LeptosOptions,
    /// The compiled site and the version its URLs carry.
    pub site: super::site::Site,
    pub hasher: Hasher,
    pub security: Arc<super::security::shared::SecurityState>,
    /// Answers messages in conversations (retrieval, or an LLM when configured).
    pub assistant: Arc<dyn super::services::assistant::Assistant>,
    /// Replies this instance is writing, so Stop can reach them.
    pub replies: Arc<super::replies::Replies>,
    /// Outgoing mail (SMTP, or the development outbox).
    pub mailer: Arc<super::adapters::mail::Mailer>,
    /// Prometheus counters and histograms (`/metrics`).
    pub metrics: Arc<super::metrics::Metrics>,
    /// The OpenID Provider people sign in through, when configured.
    pub sso: Option<Arc<super::adapters::oidc::Provider>>,
    /// The loops streaming audit events to syslog / HTTPS.
    pub audit_stream: Arc<Streams>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The running audit sink loops of one app (`services::audit_stream`), so
/// shutdown can stop them between deliveries.
pub struct Streams {
    pub(crate) stop: tokio::sync::watch::Sender<bool>,
    pub(crate) tasks: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// This instance's name on a sink's lease.
    pub(crate) owner: String,
}

impl Default for Streams {
    fn default() -> Self {
        Streams {
            stop: tokio::sync::watch::channel(false).0,
            tasks: std::sync::Mutex::default(),
            owner: uuid::Uuid::new_v4().simple().to_string(),
        }
    }
}
