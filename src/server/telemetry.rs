//! Logging: pretty in development, JSON lines in production; and error reporting
//! to Sentry when `SENTRY_DSN` is set (off otherwise).

use super::config::{LogFormat, Settings};
use secrecy::ExposeSecret;
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

/// Install the global subscriber once (later calls, in tests, are ignored) and,
/// with `SENTRY_DSN`, the Sentry client. Events logged at error level (internal
/// errors, with their request id) and panics are reported; warnings and info
/// travel with them as breadcrumbs. Nothing personal is sent by default: no
/// request bodies, cookies or addresses (our logs carry none of these anyway).
///
/// Keep the returned guard alive for the life of the process: dropping it
/// flushes what is still queued.
#[must_use]
pub fn init(settings: &Settings) -> Option<sentry::ClientInitGuard> {
    let sentry = settings.sentry_dsn.as_ref().map(|dsn| {
        let mut options = sentry::ClientOptions::new()
            .maybe_release(sentry::release_name!())
            .environment(settings.environment.to_string())
            .send_default_pii(false);
        // Checked when the settings were read.
        options.dsn = dsn.expose_secret().parse().ok();
        sentry::init(options)
    });
    let sentry_layers = sentry.as_ref().map(|_| {
        use sentry::integrations::tracing::{BreadcrumbLayer, ErrorLayer};
        use tracing_subscriber::filter::LevelFilter;
        ErrorLayer::new()
            .with_filter(LevelFilter::ERROR)
            .and_then(BreadcrumbLayer::new().with_filter(LevelFilter::INFO))
    });

    let filter =
        EnvFilter::try_new(&settings.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(sentry_layers);
    let _ = match settings.log_format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .try_init(),
        LogFormat::Pretty => registry.with(fmt::layer().compact()).try_init(),
    };
    if sentry.is_some() {
        tracing::info!("error reporting to Sentry is on");
    }
    sentry
}
