//! Delivering audit events to systems outside Motto: syslog (RFC 5424 messages
//! over UDP, TCP or TLS) and HTTPS (JSON lines with an HMAC-SHA-256 signature).
//! Each event travels as the same JSON line `motto export-audit` writes, so a
//! receiver holds everything needed to check the chain.

use crate::server::{
    audit_chain::AuditRow,
    config::{Sink, SyslogTransport},
    crypto::hmac_sha256,
};
use chrono::{SecondsFormat, Utc};
use futures::FutureExt;
use secrecy::{ExposeSecret, SecretString};
use std::{path::Path, sync::Arc, time::Duration};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpStream, UdpSocket},
};
use tokio_rustls::{
    client::TlsStream,
    rustls::{
        self,
        pki_types::{pem::PemObject, CertificateDer, ServerName},
    },
    TlsConnector,
};

const TIMEOUT: Duration = Duration::from_secs(10);
/// RFC 5424 facility 13, "log audit".
const FACILITY: u8 = 13;
/// The HTTP header carrying `t=<unix seconds>,v1=<hex HMAC>`.
pub const SIGNATURE_HEADER: &str = "motto-signature";
/// The HTTP header naming the first and last event of a delivery (`12-40`).
pub const EVENTS_HEADER: &str = "motto-events";

/// One destination, with its connection kept between deliveries.
pub enum Destination {
    Syslog(Box<Syslog>),
    Https(Https),
}

impl Destination {
    pub fn new(sink: &Sink) -> anyhow::Result<Destination> {
        Ok(match sink {
            Sink::Syslog {
                transport,
                host,
                port,
                ca_file,
            } => Destination::Syslog(Box::new(Syslog::new(
                *transport,
                host,
                *port,
                ca_file.as_deref(),
            )?)),
            Sink::Https {
                url,
                secret,
                ca_file,
            } => Destination::Https(Https::new(url.clone(), secret.clone(), ca_file.as_deref())?),
        })
    }

    /// Deliver `rows` (in order). An error is a sentence for the admin page and
    /// the log; the rows are then sent again later.
    pub async fn send(&mut self, rows: &[AuditRow]) -> Result<(), String> {
        match self {
            Destination::Syslog(s) => s.send(rows).await,
            Destination::Https(h) => h.send(rows).await,
        }
    }
}

fn load_roots(ca_file: Option<&Path>) -> anyhow::Result<rustls::RootCertStore> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(path) => {
            for cert in CertificateDer::pem_file_iter(path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?
            {
                let cert =
                    cert.map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                roots.add(cert)?;
            }
            anyhow::ensure!(
                !roots.is_empty(),
                "{} holds no PEM certificate",
                path.display()
            );
        }
    }
    Ok(roots)
}

/// The event as one RFC 5424 message: facility "log audit", severity notice
/// (success) or warning (failure, denied), the event's time, the action as
/// MSGID, the event id as `meta sequenceId`, and the event's JSON line as MSG.
pub fn syslog_message(row: &AuditRow, hostname: &str, procid: &str) -> String {
    let severity = if row.outcome == "success" { 5 } else { 4 };
    let msgid: String = row
        .action
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(32)
        .collect();
    let msgid = if msgid.is_empty() { "-".into() } else { msgid };
    let json = serde_json::to_string(row).unwrap_or_default();
    format!(
        "<{}>1 {} {hostname} motto {procid} {msgid} [meta sequenceId=\"{}\"] {json}",
        FACILITY * 8 + severity,
        row.occurred_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        row.id,
    )
}

/// This machine's name as RFC 5424 wants it (printable ASCII, at most 255).
fn hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let name: String = name
        .trim()
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(255)
        .collect();
    if name.is_empty() {
        "-".into()
    } else {
        name
    }
}

enum Connection {
    Udp(UdpSocket),
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

pub struct Syslog {
    transport: SyslogTransport,
    host: String,
    port: u16,
    tls: Option<TlsConnector>,
    hostname: String,
    procid: String,
    connection: Option<Connection>,
}

impl Syslog {
    fn new(
        transport: SyslogTransport,
        host: &str,
        port: u16,
        ca_file: Option<&Path>,
    ) -> anyhow::Result<Syslog> {
        let tls = match transport {
            SyslogTransport::Tls => {
                let provider = Arc::new(rustls::crypto::ring::default_provider());
                let config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()?
                    .with_root_certificates(load_roots(ca_file)?)
                    .with_no_client_auth();
                Some(TlsConnector::from(Arc::new(config)))
            }
            _ => None,
        };
        Ok(Syslog {
            transport,
            host: host.to_string(),
            port,
            tls,
            hostname: hostname(),
            procid: std::process::id().to_string(),
            connection: None,
        })
    }

    async fn connect(&self) -> Result<Connection, String> {
        let target = format!("{}:{}", self.host, self.port);
        let fail = |e: std::io::Error| format!("cannot reach {target}: {e}");
        let connect = async {
            match self.transport {
                SyslogTransport::Udp => {
                    let addr = tokio::net::lookup_host((self.host.as_str(), self.port))
                        .await
                        .map_err(fail)?
                        .next()
                        .ok_or_else(|| format!("{} has no address", self.host))?;
                    let local = if addr.is_ipv4() {
                        "0.0.0.0:0"
                    } else {
                        "[::]:0"
                    };
                    let socket = UdpSocket::bind(local).await.map_err(fail)?;
                    socket.connect(addr).await.map_err(fail)?;
                    Ok(Connection::Udp(socket))
                }
                SyslogTransport::Tcp => {
                    let tcp = TcpStream::connect((self.host.as_str(), self.port))
                        .await
                        .map_err(fail)?;
                    Ok(Connection::Tcp(tcp))
                }
                SyslogTransport::Tls => {
                    let tcp = TcpStream::connect((self.host.as_str(), self.port))
                        .await
                        .map_err(fail)?;
                    let name = ServerName::try_from(self.host.clone())
                        .map_err(|e| format!("{} is not a TLS server name: {e}", self.host))?;
                    let connector = self.tls.as_ref().ok_or("TLS is not set up")?;
                    let tls = connector
                        .connect(name, tcp)
                        .await
                        .map_err(|e| format!("TLS with {target} failed: {e}"))?;
                    Ok(Connection::Tls(Box::new(tls)))
                }
            }
        };
        tokio::time::timeout(TIMEOUT, connect)
            .await
            .map_err(|_| format!("no answer from {target} within {}s", TIMEOUT.as_secs()))?
    }

    /// Whether the receiver has closed the stream since the last delivery
    /// (it says so with end-of-stream or an error; a live one sends nothing).
    /// Catching that before writing keeps the next batch from going into a
    /// socket whose peer is gone.
    fn closed_by_peer(connection: &mut Connection) -> bool {
        let mut byte = [0u8; 1];
        let outcome = match connection {
            Connection::Udp(_) => return false,
            Connection::Tcp(s) => s.read(&mut byte).now_or_never(),
            Connection::Tls(s) => s.read(&mut byte).now_or_never(),
        };
        matches!(outcome, Some(Ok(0)) | Some(Err(_)))
    }

    async fn send(&mut self, rows: &[AuditRow]) -> Result<(), String> {
        if let Some(c) = self.connection.as_mut() {
            if Self::closed_by_peer(c) {
                self.connection = None;
            }
        }
        let mut connection = match self.connection.take() {
            Some(c) => c,
            None => self.connect().await?,
        };
        let messages: Vec<String> = rows
            .iter()
            .map(|r| syslog_message(r, &self.hostname, &self.procid))
            .collect();
        let written = tokio::time::timeout(TIMEOUT, async {
            match &mut connection {
                Connection::Udp(socket) => {
                    for m in &messages {
                        socket.send(m.as_bytes()).await?;
                    }
                    Ok(())
                }
                Connection::Tcp(s) => write_framed(s, &messages).await,
                Connection::Tls(s) => write_framed(s.as_mut(), &messages).await,
            }
        })
        .await;
        match written {
            Ok(Ok(())) => {
                self.connection = Some(connection);
                Ok(())
            }
            Ok(Err(e)) => Err(format!(
                "sending to {}:{} failed: {e}",
                self.host, self.port
            )),
            Err(_) => Err(format!(
                "sending to {}:{} took longer than {}s",
                self.host,
                self.port,
                TIMEOUT.as_secs()
            )),
        }
    }
}

/// RFC 6587 octet counting: `LEN SP MSG` per message.
async fn write_framed<W: AsyncWriteExt + Unpin>(
    w: &mut W,
    messages: &[String],
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(messages.iter().map(|m| m.len() + 8).sum());
    for m in messages {
        buf.extend_from_slice(format!("{} ", m.len()).as_bytes());
        buf.extend_from_slice(m.as_bytes());
    }
    w.write_all(&buf).await?;
    w.flush().await
}

/// The signature header's value for `body` sent at `timestamp` (Unix seconds):
/// `t=<timestamp>,v1=<hex HMAC-SHA-256 of "<timestamp>.<body>">`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(hmac_sha256(secret, &signed))
    )
}

pub struct Https {
    client: reqwest::Client,
    url: url::Url,
    secret: SecretString,
}

impl Https {
    fn new(url: url::Url, secret: SecretString, ca_file: Option<&Path>) -> anyhow::Result<Https> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .user_agent(concat!("motto/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            builder = builder.tls_built_in_root_certs(false);
            for cert in reqwest::Certificate::from_pem_bundle(&pem)? {
                builder = builder.add_root_certificate(cert);
            }
        }
        Ok(Https {
            client: builder.build()?,
            url,
            secret,
        })
    }

    async fn send(&mut self, rows: &[AuditRow]) -> Result<(), String> {
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return Ok(());
        };
        let mut body = Vec::new();
        for row in rows {
            serde_json::to_writer(&mut body, row).map_err(|e| e.to_string())?;
            body.push(b'\n');
        }
        let signature = signature(
            self.secret.expose_secret().as_bytes(),
            Utc::now().timestamp(),
            &body,
        );
        let response = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/x-ndjson")
            .header(SIGNATURE_HEADER, signature)
            .header(EVENTS_HEADER, format!("{}-{}", first.id, last.id))
            .body(body)
            .send()
            .await
            .map_err(|e| format!("cannot deliver to {}: {}", self.url, error_chain(&e)))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("{} answered HTTP {status}", self.url))
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, action: &str, outcome: &str) -> AuditRow {
        AuditRow {
            id,
            occurred_at: chrono::DateTime::parse_from_rfc3339("2026-12-02T10:00:00.123456Z")
                .unwrap()
                .with_timezone(&Utc),
            actor_user_id: Some(3),
            actor_api_key_id: None,
            action: action.into(),
            target_type: None,
            target_id: None,
            outcome: outcome.into(),
            source_ip: None,
            user_agent: None,
            request_id: None,
            details: "{}".into(),
            prev_hash: "0".repeat(64),
            hash: "1".repeat(64),
            mac: None,
        }
    }

    #[test]
    fn a_syslog_message_follows_rfc_5424() {
        let m = syslog_message(&row(7, "auth.login", "success"), "web-1", "42");
        assert!(
            m.starts_with(
                "<109>1 2026-12-02T10:00:00.123456Z web-1 motto 42 auth.login [meta sequenceId=\"7\"] {"
            ),
            "{m}"
        );
        let json: serde_json::Value = serde_json::from_str(m.split_once("] ").unwrap().1).unwrap();
        assert_eq!(json["id"], 7);
        // Failures and refusals are warnings (13 * 8 + 4).
        assert!(syslog_message(&row(8, "auth.login", "failure"), "h", "1").starts_with("<108>1 "));
        // MSGID: printable ASCII, at most 32 characters.
        let long = syslog_message(&row(9, &"a b".repeat(20), "denied"), "h", "1");
        assert!(
            long.contains(&format!(" 1 {} [meta", "ab".repeat(16))),
            "{long}"
        );
    }

    #[test]
    fn the_signature_covers_the_time_and_the_body() {
        let s = signature(b"secret", 1_700_000_000, b"{\"id\":1}\n");
        assert!(s.starts_with("t=1700000000,v1="));
        assert_eq!(s.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(s, signature(b"secret", 1_700_000_001, b"{\"id\":1}\n"));
        assert_ne!(s, signature(b"secret", 1_700_000_000, b"{\"id\":2}\n"));
        assert_ne!(s, signature(b"other", 1_700_000_000, b"{\"id\":1}\n"));
    }
}
