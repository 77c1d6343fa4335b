//! The server: router, start-up and shutdown. Compiled only with the `ssr` feature.

pub mod adapters;
pub mod audit_chain;
pub mod auth;
pub mod backup;
pub mod caller;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod db;
mod drain;
pub mod metrics;
pub mod pdf;
pub mod replies;
pub mod request;
pub mod routes;
pub mod security;
pub mod seed;
pub mod services;
pub mod site;
pub mod startup_io;
pub mod state;
pub mod telemetry;

use crate::app::{shell, App};
use axum::{body::Body, extract::Request, middleware, routing::get, Router};
use config::{Environment, Settings};
use db::{
    audit::{self, AuditContext, NewEvent, Outcome},
    Db,
};
use leptos::config::{Env, LeptosOptions};
use leptos_axum::{generate_route_list, LeptosRoutes};
use request::RequestId;
use state::AppState;
use std::{net::SocketAddr, sync::Arc};
use tokio::{net::TcpListener, sync::watch};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// Leptos options derived from our settings, so the binary needs neither Cargo.toml
/// nor cargo-leptos's environment at run time.
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("motto")
        .site_root(settings.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(settings.listen_addr)
        .env(match settings.environment {
            Environment::Production => Env::PROD,
            Environment::Development => Env::DEV,
        })
        .build()
}

pub fn build_router(state: AppState) -> Router {
    build_router_with(state, Router::new())
}

/// The app's router with `extra` routes merged in behind the same layers (tests use
/// this to inject faults).
pub fn build_router_with(state: AppState, extra: Router<AppState>) -> Router {
    // Generated once per process: generating runs the app with resource loading
    // suppressed process-wide, which would stall any page rendering at that moment
    // (leptos issue #4773) if several routers were built while serving.
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| generate_route_list(App)).clone();
    let shell_options = state.leptos_options.clone();
    let log_bodies = state.settings.log_request_bodies;
    let router = Router::new()
        .route("/health", get(routes::ops::health))
        .route("/ready", get(routes::ops::ready))
        .route(
            routes::upload::PATH,
            axum::routing::post(routes::upload::upload).layer(
                axum::extract::DefaultBodyLimit::max(state.settings.upload_max_bytes),
            ),
        )
        .merge(routes::api_v1::router())
        .route(routes::admin::EXPORT_PATH, get(routes::admin::export))
        .route("/metrics", get(routes::ops::scrape))
        .route(
            routes::account::EXPORT_PATH,
            axum::routing::post(routes::account::export),
        )
        .route(
            routes::conversations::SEND_PATH,
            axum::routing::post(routes::conversations::send),
        )
        .route(
            routes::conversations::EXPORT_PATH,
            get(routes::conversations::export),
        )
        .route(services::sso::START_PATH, get(routes::sso::start))
        .route(
            services::sso::LINK_PATH,
            axum::routing::post(routes::sso::link),
        )
        .route(services::sso::CALLBACK_PATH, get(routes::sso::callback))
        .route(services::sso::LOGOUT_PATH, get(routes::sso::logout))
        .route(
            routes::share::PATH,
            get(routes::share::get).post(routes::share::post),
        )
        .leptos_routes_with_context(&state, routes, security::provide_csp_nonce, move || {
            shell(shell_options.clone())
        })
        .merge(extra)
        // Static assets are served here, not by Leptos's fallback: that one sets the
        // status from whatever `ResponseOptions` its fresh reactive owner finds, and
        // under concurrency it found another request's (a 404 or a server function's
        // error status), so a CSS or WASM file now and then came back as 404 with its
        // full content, and the page never hydrated.
        .merge(site::router(&state.site))
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(security::provide_csp_nonce, shell))
        // Innermost: a page is rendered to its end even when its reader leaves.
        .layer(middleware::from_fn(drain::finish_abandoned_pages));
    // Development aid only: configuration refuses it in production.
    let router = if log_bodies {
        router.layer(middleware::from_fn(log_request_body))
    } else {
        router
    };
    let backend = auth::Backend::new(state.db.clone(), &state.settings);
    let sessions = auth::session_layer(auth::Store::new(&state.db), &state.settings);
    let settings = state.settings.clone();
    let router = router
        .layer(middleware::from_fn(auth::guard_protected_pages))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::two_factor_gate::enforce_two_factor,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::enforce_timeouts,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::limits::rate_limit,
        ))
        .layer(axum_login::AuthManagerLayerBuilder::new(backend, sessions).build())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::session_outage,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::csrf,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            security::panic_response,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            settings.request_timeout,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), body_limit))
        .layer(middleware::from_fn(routes::api_v1::error_shape));
    let router = match security::cors_layer(&settings) {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router
        .layer(site::compression())
        .layer(middleware::from_fn(site::no_compression_cross_site))
        .layer(middleware::from_fn_with_state(state.clone(), routes::ops::track))
        .layer(middleware::from_fn_with_state(state.clone(), security::headers))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::client_ip,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::allowed_host,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<Body>| {
                    let id = req
                        .extensions()
                        .get::<RequestId>()
                        .map(|r| r.0.as_str())
                        .unwrap_or("");
                    // The path only: query strings may carry user input.
                    tracing::info_span!("http", method = %req.method(), path = %request::loggable_path(req.uri().path()), request_id = %id)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(middleware::from_fn(request::assign))
        .with_state(state)
}

const MAX_LOGGED_BODY: usize = 64 * 1024;

/// Request bodies over the limit get 413: `REQUEST_BODY_LIMIT_BYTES`, or
/// `UPLOAD_MAX_BYTES` (plus room for the form around the file) for uploads.
async fn body_limit(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let limit = if req.uri().path() == routes::upload::PATH {
        state.settings.upload_max_bytes + 64 * 1024
    } else {
        state.settings.body_limit_bytes
    };
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return (
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            axum::Json(crate::error::AppError::field(
                "",
                format!("The request is too large (limit {} KiB).", limit / 1024),
            )),
        )
            .into_response();
    }
    next.run(req.map(|b| Body::new(http_body_util::Limited::new(b, limit))))
        .await
}

/// Logs each request body at debug level (`LOG_REQUEST_BODIES=true`, development only).
async fn log_request_body(req: Request, next: middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, MAX_LOGGED_BODY).await {
        Ok(bytes) => {
            // Debug formatting escapes newlines and control characters (ASVS 16.4.1).
            tracing::debug!(body = ?String::from_utf8_lossy(&bytes), "request body");
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => (
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large to log (LOG_REQUEST_BODIES is on)",
        )
            .into_response(),
    }
}

/// Apply migrations (ours and the session store's), as the owner role when
/// `DATABASE_OWNER_URL` is set — then grant the application role its rights —
/// else on `db` itself.
pub async fn migrate_schema(settings: &config::DatabaseSettings, db: &Db) -> anyhow::Result<()> {
    let owner = match settings.owner() {
        Some(o) => Some(Db::connect(&o).await?),
        None => None,
    };
    let target = owner.as_ref().unwrap_or(db);
    let lock = target.startup_lock().await?;
    target.migrate().await?;
    auth::Store::new(target)
        .migrate()
        .await
        .map_err(|e| db::StartError::Migrate {
            cause: format!("session table: {e}"),
        })?;
    if let (Some(owner), Some(role)) = (&owner, settings.app_role()) {
        owner.grant_app_role(&role).await?;
    }
    lock.release().await;
    if let Some(owner) = owner {
        owner.close().await;
    }
    Ok(())
}

/// Open the database and apply migrations (ours and the session store's).
pub async fn open(settings: Settings) -> anyhow::Result<AppState> {
    let db = Db::connect(&settings.database).await?;
    migrate_schema(&settings.database, &db).await?;
    let assistant: Arc<dyn services::assistant::Assistant> = match &settings.llm {
        Some(llm) => Arc::new(
            adapters::llm::OpenAiCompatible::new(llm.clone())
                .map_err(|e| anyhow::anyhow!("cannot set up the LLM client: {e}"))?,
        ),
        None => Arc::new(services::assistant::Retrieval),
    };
    let mailer = Arc::new(adapters::mail::Mailer::new(&settings)?);
    let limits = security::store::Limits::connect(&settings, &db).await?;
    tracing::info!(store = limits.kind(), "rate limits and login throttling");
    Ok(AppState::new(state::AppStateInner {
        mailer,
        audit_stream: Arc::default(),
        metrics: Arc::default(),
        assistant,
        replies: Arc::default(),
        leptos_options: leptos_options(&settings),
        site: site::Site::open(&settings.site_root),
        sso: adapters::oidc::Provider::from_settings(&settings),
        settings: Arc::new(settings),
        hasher: auth::password::Hasher::new(),
        security: Arc::new(security::SecurityState::new(limits)),
        db,
    }))
}

/// Open the database, start background jobs and record the start. Shared by
/// `serve` and the integration tests.
pub async fn prepare(settings: Settings) -> anyhow::Result<AppState> {
    let state = open(settings).await?;
    auth::spawn_expired_cleanup(
        auth::Store::new(&state.db),
        std::time::Duration::from_secs(300),
    );
    services::documents::spawn_trash_purge(state.clone(), state.settings.trash_days);
    services::admin::spawn_chain_checks(state.clone(), std::time::Duration::from_secs(3600));
    // Old rate-limit and throttle rows (PostgreSQL; memory and Redis forget by themselves).
    {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                tick.tick().await;
                state.security.limits.purge().await;
            }
        });
    }
    audit::record_now(
        &state.db,
        &AuditContext::default(),
        NewEvent::new("system.start", Outcome::Success).details(serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "backend": state.db.backend().to_string(),
            "environment": state.settings.environment.to_string(),
        })),
    )
    .await?;
    // Seal what is there (after an upgrade: the whole unkeyed chain), then on
    // schedule.
    services::audit_checkpoints::seal_and_ship(&state).await;
    services::audit_checkpoints::spawn_schedule(state.clone());
    services::audit_stream::start(&state)?;
    Ok(state)
}

/// Serve until `shutdown` flips to true, then let in-flight requests finish
/// (at most `SHUTDOWN_GRACE_SECS`).
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let router = build_router(state.clone());
    serve_app(listener, state, router, shutdown).await
}

/// Serve `router` (the app's, perhaps with more routes) as [`serve_on`] does,
/// and seal the last audit events once the requests are done.
pub async fn serve_app(
    listener: TcpListener,
    state: AppState,
    router: Router,
    shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let grace = state.settings.shutdown_grace;
    let result = serve_router(listener, router, grace, shutdown).await;
    // The sinks finish the delivery in flight; what is left waits in the
    // database for the next start.
    services::audit_stream::stop(&state).await;
    // The last events get their checkpoint before the process goes.
    services::audit_checkpoints::seal_and_ship(&state).await;
    result
}

/// Serve `app` until `shutdown` flips to true, with a grace period for in-flight requests.
pub async fn serve_router(
    listener: TcpListener,
    app: Router,
    grace: std::time::Duration,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    // Without TCP_NODELAY, streamed pages wait ~40 ms on delayed ACKs.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let mut stop = shutdown.clone();
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = stop.wait_for(|s| *s).await;
    });
    tokio::select! {
        result = server => result,
        _ = async {
            let _ = shutdown.wait_for(|s| *s).await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(grace_secs = grace.as_secs(), "requests still running after the grace period; stopping anyway");
            Ok(())
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
