//! How Motto meets the network: the environment, the address it listens on, the
//! address people type, the proxies and hosts it trusts, CORS, request limits.

use super::{reader::Reader, CorsOrigins, Environment};
use std::{net::SocketAddr, path::PathBuf, time::Duration};
use url::Url;

/// `ENVIRONMENT`: development (the default) or production, which refuses unsafe
/// settings.
pub(super) fn read_environment(r: &mut Reader) -> Environment {
    match r.raw("ENVIRONMENT").map(|v| v.to_ascii_lowercase()) {
        None => Environment::Development,
        Some(v) if v == "development" || v == "dev" => Environment::Development,
        Some(v) if v == "production" || v == "prod" => Environment::Production,
        Some(v) => {
            r.error(
                "ENVIRONMENT",
                format!("{v:?} is not valid; use development or production"),
            );
            Environment::Development
        }
    }
}

pub(super) struct Web {
    pub listen_addr: SocketAddr,
    pub public_url: Url,
    pub cors_origins: CorsOrigins,
    pub allow_http: bool,
    pub shutdown_grace: Duration,
    pub site_root: PathBuf,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub allowed_hosts: Vec<String>,
    pub request_timeout: Duration,
    pub body_limit_bytes: usize,
}

pub(super) fn read(r: &mut Reader, prod: bool) -> Web {
    let listen_addr: SocketAddr = r.parse(
        "LISTEN_ADDR",
        SocketAddr::from(([127, 0, 0, 1], 3000)),
        "an address and port such as 127.0.0.1:3000 or 0.0.0.0:8080",
    );

    let public_url = match r.raw("PUBLIC_URL") {
        None => {
            let host = if listen_addr.ip().is_unspecified() {
                "localhost".to_string()
            } else if listen_addr.is_ipv6() {
                format!("[{}]", listen_addr.ip())
            } else {
                listen_addr.ip().to_string()
            };
            Url::parse(&format!("http://{host}:{}/", listen_addr.port()))
                .expect("a socket address forms a valid URL")
        }
        Some(v) => match Url::parse(&v) {
            Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host().is_some() => u,
            _ => {
                r.error(
                        "PUBLIC_URL",
                        format!(
                            "{v:?} is not an http(s) URL; use the address people type, e.g. https://motto.example.com"
                        ),
                    );
                Url::parse("http://localhost:3000/").expect("static URL")
            }
        },
    };

    let cors_origins = match r.raw("CORS_ORIGINS") {
        None => CorsOrigins::List(Vec::new()),
        Some(v) if v == "*" => {
            if prod {
                r.error(
                        "CORS_ORIGINS",
                        "a wildcard (*) is refused in production; list the exact origins, e.g. https://app.example.com",
                    );
            }
            CorsOrigins::Any
        }
        Some(v) => {
            let mut origins = Vec::new();
            for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                if item == "*" {
                    r.error(
                        "CORS_ORIGINS",
                        "a wildcard cannot be mixed with other origins; list the exact origins",
                    );
                    continue;
                }
                if item.eq_ignore_ascii_case("null") {
                    r.error("CORS_ORIGINS", "the null origin is never allowed");
                    continue;
                }
                match Url::parse(item) {
                        Ok(u)
                            if (u.scheme() == "http" || u.scheme() == "https")
                                && u.host().is_some()
                                && u.path() == "/"
                                && u.query().is_none() =>
                        {
                            origins.push(u.origin().ascii_serialization());
                        }
                        _ => r.error(
                            "CORS_ORIGINS",
                            format!(
                                "{item:?} is not an origin; use scheme://host[:port] such as https://app.example.com"
                            ),
                        ),
                    }
            }
            CorsOrigins::List(origins)
        }
    };

    let allow_http = r.boolean("ALLOW_HTTP", false);
    if prod && public_url.scheme() != "https" && !allow_http {
        r.error(
                "PUBLIC_URL",
                "must be https in production so cookies are Secure; if TLS ends at a proxy in front of Motto, set PUBLIC_URL to the https address, or set ALLOW_HTTP=true to accept plain http knowingly",
            );
    }

    let shutdown_grace = Duration::from_secs(r.parse(
        "SHUTDOWN_GRACE_SECS",
        30,
        "a whole number of seconds, e.g. 30",
    ));
    let site_root = PathBuf::from(
        r.raw("LEPTOS_SITE_ROOT")
            .unwrap_or_else(|| "target/site".to_string()),
    );

    let mut trusted_proxies = Vec::new();
    if let Some(v) = r.raw("TRUSTED_PROXIES") {
        for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let parsed = item
                .parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from));
            match parsed {
                    // Every address on the internet as a "proxy" lets any client
                    // choose its own address for rate limits and the audit log.
                    Ok(net) if prod && net.prefix_len() == 0 => r.error(
                        "TRUSTED_PROXIES",
                        format!("{item:?} trusts every address on the internet to name the client; list your proxies' addresses or ranges (refused in production)"),
                    ),
                    Ok(net) => trusted_proxies.push(net),
                    Err(_) => r.error(
                        "TRUSTED_PROXIES",
                        format!("{item:?} is not an IP address or CIDR range such as 10.0.0.0/8"),
                    ),
                }
        }
    }
    let mut allowed_hosts = Vec::new();
    if let Some(v) = r.raw("ALLOWED_HOSTS") {
        for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match host_name(item) {
                Some(host) => allowed_hosts.push(host),
                None => r.error(
                    "ALLOWED_HOSTS",
                    format!("{item:?} is not a host name such as wiki.example.com"),
                ),
            }
        }
    }
    let request_timeout = Duration::from_secs(r.parse(
        "REQUEST_TIMEOUT_SECS",
        30,
        "a whole number of seconds, e.g. 30",
    ));
    let body_limit_bytes: usize = r.parse(
        "REQUEST_BODY_LIMIT_BYTES",
        2 * 1024 * 1024,
        "a whole number of bytes, e.g. 2097152",
    );

    Web {
        listen_addr,
        public_url,
        cors_origins,
        allow_http,
        shutdown_grace,
        site_root,
        trusted_proxies,
        allowed_hosts,
        request_timeout,
        body_limit_bytes,
    }
}

/// The host name of a `Host` header value or an `ALLOWED_HOSTS` entry: lower case,
/// without the port; `None` when it is not a host name or IP address.
pub fn host_name(value: &str) -> Option<String> {
    let value = value.trim();
    let host = if let Some(rest) = value.strip_prefix('[') {
        // [v6]:port
        let end = rest.find(']')?;
        let inner = &rest[..end];
        inner.parse::<std::net::Ipv6Addr>().ok()?;
        return Some(format!("[{}]", inner.to_ascii_lowercase()));
    } else {
        match value.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
            _ => value,
        }
    };
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    ok.then(|| host.trim_end_matches('.').to_ascii_lowercase())
}
