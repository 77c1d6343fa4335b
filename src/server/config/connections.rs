//! The other servers Motto talks to: the language model server, the mail relay,
//! Redis (shared limits and sessions) and Sentry. Each is off unless configured;
//! in production none may receive secrets over plain text from another machine.

use super::{reader::Reader, secrets::redact_url, LlmSettings, SmtpSettings};
use secrecy::SecretString;
use std::time::Duration;
use url::Url;

pub(super) fn read_llm(r: &mut Reader, prod: bool) -> Option<LlmSettings> {
    {
        let base = r.raw("LLM_BASE_URL");
        let model = r.raw("LLM_MODEL");
        let api_key = r.raw("LLM_API_KEY").map(SecretString::from);
        let timeout = Duration::from_secs(r.parse(
            "LLM_TIMEOUT_SECS",
            60,
            "a whole number of seconds, e.g. 60",
        ));
        let max_tokens: u32 = r.parse(
            "LLM_MAX_TOKENS",
            1024,
            "a whole number of tokens, e.g. 1024",
        );
        if timeout.is_zero() {
            r.error("LLM_TIMEOUT_SECS", "must be at least 1");
        }
        match (base, model) {
            (None, None) => {
                if api_key.is_some() {
                    r.error(
                            "LLM_API_KEY",
                            "is set but LLM_BASE_URL and LLM_MODEL are not; set them too, or remove the key",
                        );
                }
                None
            }
            (Some(_), None) => {
                r.error("LLM_MODEL", "must be set with LLM_BASE_URL (the model name the server serves, e.g. gpt-4o-mini)");
                None
            }
            (None, Some(_)) => {
                r.error(
                    "LLM_BASE_URL",
                    "must be set with LLM_MODEL (the API root, e.g. https://api.openai.com/v1)",
                );
                None
            }
            (Some(base), Some(model)) => match Url::parse(&base) {
                Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host().is_some() => {
                    r.refuse_plaintext_to_remote(
                            prod,
                            "LLM_BASE_URL",
                            &u,
                            u.scheme() == "https",
                            "uses plain http to another machine in production: prompts (and the API key) would cross the network unencrypted; use https",
                        );
                    if !u.username().is_empty() || u.password().is_some() {
                        r.error(
                            "LLM_BASE_URL",
                            "must not carry credentials; put the key in LLM_API_KEY",
                        );
                    }
                    Some(LlmSettings {
                        base_url: u,
                        model,
                        api_key,
                        timeout,
                        max_tokens,
                    })
                }
                _ => {
                    r.error(
                            "LLM_BASE_URL",
                            format!("{:?} is not an http(s) URL; use the API root, e.g. https://api.openai.com/v1", redact_url(&base)),
                        );
                    None
                }
            },
        }
    }
}

/// The mail relay, and the sender address mail goes out with.
pub(super) fn read_smtp(
    r: &mut Reader,
    prod: bool,
    public_url: &Url,
) -> (Option<SmtpSettings>, String) {
    let smtp = r.raw("SMTP_URL").and_then(|raw| match Url::parse(&raw) {
            Ok(u) if (u.scheme() == "smtp" || u.scheme() == "smtps") && u.host().is_some() => {
                let tls_required = u.scheme() == "smtps"
                    || u.query_pairs().any(|(k, v)| k == "tls" && v == "required");
                r.refuse_plaintext_to_remote(
                    prod,
                    "SMTP_URL",
                    &u,
                    tls_required,
                    "sends mail (with reset links and the relay password) unencrypted to another machine in production; use smtps:// or add ?tls=required",
                );
                Some(SmtpSettings {
                    url: SecretString::from(raw),
                })
            }
            _ => {
                r.error(
                    "SMTP_URL",
                    format!(
                        "{:?} is not an SMTP URL; use e.g. smtps://user:password@mail.example.com:465",
                        redact_url(&raw)
                    ),
                );
                None
            }
        });
    let mail_from = r.raw("SMTP_FROM").unwrap_or_else(|| {
        format!(
            "Motto <motto@{}>",
            public_url.host_str().unwrap_or("localhost")
        )
    });
    if mail_from.parse::<lettre::message::Mailbox>().is_err() {
        r.error(
            "SMTP_FROM",
            "is not a mail address; use e.g. Motto <motto@example.com>",
        );
    }

    (smtp, mail_from)
}

/// Redis's URL and the prefix of Motto's keys there.
pub(super) fn read_redis(r: &mut Reader, prod: bool) -> (Option<SecretString>, String) {
    let redis_url = r.raw("REDIS_URL").and_then(|raw| match Url::parse(&raw) {
            Ok(u) if (u.scheme() == "redis" || u.scheme() == "rediss") && u.host().is_some() => {
                r.refuse_plaintext_to_remote(
                    prod,
                    "REDIS_URL",
                    &u,
                    u.scheme() == "rediss",
                    "talks to Redis (and sends its password) unencrypted to another machine in production; use rediss://",
                );
                Some(SecretString::from(raw))
            }
            _ => {
                r.error(
                    "REDIS_URL",
                    format!(
                        "{:?} is not a Redis URL; use e.g. redis://127.0.0.1:6379 or rediss://:password@redis.example.com:6380",
                        redact_url(&raw)
                    ),
                );
                None
            }
        });

    let redis_key_prefix = r.raw("REDIS_KEY_PREFIX").unwrap_or_else(|| "motto".into());
    if redis_key_prefix.is_empty()
        || redis_key_prefix.len() > 64
        || !redis_key_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        r.error(
            "REDIS_KEY_PREFIX",
            "must be 1 to 64 letters, digits, '-', '_' or '.', e.g. motto",
        );
    }

    (redis_url, redis_key_prefix)
}

pub(super) fn read_sentry(r: &mut Reader, prod: bool) -> Option<SecretString> {
    let sentry_dsn = r.raw("SENTRY_DSN").and_then(|raw| match Url::parse(&raw) {
            Ok(u) if raw.parse::<sentry::types::Dsn>().is_ok() => {
                r.refuse_plaintext_to_remote(
                    prod,
                    "SENTRY_DSN",
                    &u,
                    u.scheme() != "http",
                    "sends error reports unencrypted to another machine in production; use an https:// DSN",
                );
                Some(SecretString::from(raw))
            }
            _ => {
                r.error(
                    "SENTRY_DSN",
                    format!(
                        "{:?} is not a Sentry DSN; use the one your Sentry project shows, e.g. https://<key>@o0.ingest.sentry.io/<project id>",
                        redact_url(&raw)
                    ),
                );
                None
            }
        });
    sentry_dsn
}
