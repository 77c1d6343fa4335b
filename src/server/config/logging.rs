//! What Motto logs and how: the format, the filter, and what production refuses.

use super::{reader::Reader, LogFormat};

pub(super) fn read(r: &mut Reader, prod: bool) -> (LogFormat, String, bool) {
    let log_format = match r.raw("LOG_FORMAT").map(|v| v.to_ascii_lowercase()) {
        None if prod => LogFormat::Json,
        None => LogFormat::Pretty,
        Some(v) if v == "json" => LogFormat::Json,
        Some(v) if v == "pretty" || v == "text" => LogFormat::Pretty,
        Some(v) => {
            r.error(
                "LOG_FORMAT",
                format!("{v:?} is not valid; use pretty or json"),
            );
            LogFormat::Pretty
        }
    };
    let log_filter = r
        .raw("LOG_LEVEL")
        .unwrap_or_else(|| "info,sqlx=warn,tower_http=info,html5ever=error".to_string());
    if let Err(e) = tracing_subscriber::EnvFilter::try_new(&log_filter) {
        r.error(
            "LOG_LEVEL",
            format!("is not a valid filter ({e}); use e.g. info or motto=debug,info"),
        );
    }
    let log_request_bodies = r.boolean("LOG_REQUEST_BODIES", false);
    if prod && log_request_bodies {
        r.error(
            "LOG_REQUEST_BODIES",
            "must be false in production: request bodies carry passwords and documents",
        );
    }
    if prod
        && (log_filter.contains("debug") || log_filter.contains("trace"))
        && !r.boolean("ALLOW_DEBUG_LOGS_IN_PRODUCTION", false)
    {
        r.error(
                "LOG_LEVEL",
                "debug or trace logging is refused in production; use info (or set ALLOW_DEBUG_LOGS_IN_PRODUCTION=true for a short investigation)",
            );
    }

    (log_format, log_filter, log_request_bodies)
}
