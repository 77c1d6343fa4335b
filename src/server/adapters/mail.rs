//! Outgoing mail. With `SMTP_URL`, through that relay (lettre); in development
//! without it, into an in-memory outbox shown at `/dev/outbox` and in the log; in
//! production without it, nowhere (logged as not sent).

use crate::{domain::account::OutboxMail, server::config::Settings};
use lettre::{
    message::{header::ContentType, Mailbox},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use secrecy::ExposeSecret;
use std::{collections::VecDeque, sync::Mutex};

/// How many mails the development outbox keeps.
const OUTBOX_SIZE: usize = 50;

pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Outbox(Mutex<VecDeque<OutboxMail>>),
    Off,
}

impl Mailer {
    pub fn new(settings: &Settings) -> anyhow::Result<Mailer> {
        Ok(match &settings.smtp {
            Some(smtp) => Mailer::Smtp {
                transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp.url.expose_secret())
                    .map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .build(),
                from: settings
                    .mail_from
                    .parse()
                    .map_err(|e| anyhow::anyhow!("SMTP_FROM: {e}"))?,
            },
            None if settings.environment.is_production() => Mailer::Off,
            None => Mailer::Outbox(Mutex::new(VecDeque::new())),
        })
    }

    /// Send a plain-text mail. Errors are for the caller to log: a person who asked
    /// for a reset link must not learn from the answer whether mail went out.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> anyhow::Result<()> {
        match self {
            Mailer::Smtp { transport, from } => {
                let message = Message::builder()
                    .from(from.clone())
                    .to(to.parse()?)
                    .subject(subject)
                    .header(ContentType::TEXT_PLAIN)
                    .body(body.to_string())?;
                transport.send(message).await?;
                Ok(())
            }
            Mailer::Outbox(outbox) => {
                // Development only: the log is where a developer looks first.
                tracing::info!(
                    to,
                    subject,
                    body,
                    "mail kept in the development outbox (no SMTP_URL)"
                );
                let mut outbox = outbox.lock().unwrap_or_else(|e| e.into_inner());
                if outbox.len() == OUTBOX_SIZE {
                    outbox.pop_back();
                }
                outbox.push_front(OutboxMail {
                    to: to.to_string(),
                    subject: subject.to_string(),
                    body: body.to_string(),
                    sent_at: chrono::Utc::now(),
                });
                Ok(())
            }
            Mailer::Off => {
                anyhow::bail!("no SMTP_URL is configured, so Motto cannot send mail")
            }
        }
    }

    /// The development outbox, newest first; `None` when there is none.
    pub fn outbox(&self) -> Option<Vec<OutboxMail>> {
        match self {
            Mailer::Outbox(outbox) => Some(
                outbox
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter()
                    .cloned()
                    .collect(),
            ),
            _ => None,
        }
    }
}
