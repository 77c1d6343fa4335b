//! Streaming audit events to a real syslog daemon (Debian's rsyslog, started
//! here on a free port, over TLS and UDP) and to a loopback HTTPS receiver that
//! checks every body's signature. Each sink must receive every event exactly
//! once, in order, across a sink outage and a restart of Motto.

use crate::db_test;
use crate::helpers::{free_port, json, Backend, TestApp};
use hmac::{Hmac, Mac};
use motto::server::{
    db::audit::{self, AuditContext, NewEvent, Outcome},
    services::audit_checkpoints,
};
use sha2::Sha256;
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::{
    self,
    pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer},
};

const SINK_SECRET: &str = "f3a9c1e7b5d2086a4c1e9f7b3d5a2c8e6b4f0d9a7c5e3b1f";

async fn append(app: &TestApp, n: i64) {
    for i in 0..n {
        audit::record_now(
            &app.state.db,
            &AuditContext::default(),
            NewEvent::new("test.stream", Outcome::Success).details(serde_json::json!({ "i": i })),
        )
        .await
        .unwrap();
    }
}

async fn head(app: &TestApp) -> i64 {
    audit::event_count(&app.state.db).await.unwrap()
}

/// A test CA and a server certificate it issued for 127.0.0.1 / localhost,
/// made by openssl: (CA, certificate, key).
fn certificate(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    const SCRIPT: &str = r#"set -e
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
openssl req -x509 $ec -days 2 -subj "/CN=Motto test CA" -keyout ca-key.pem -out ca.pem
openssl req $ec -subj /CN=localhost -keyout key.pem -out cert.csr
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > cert.ext
openssl x509 -req -in cert.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile cert.ext -out cert.pem
"#;
    let out = Command::new("sh")
        .args(["-c", SCRIPT])
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    )
}

async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

/// Every event from 1 to `head` exactly once, in order.
fn assert_exactly_once(received: &[i64], head: i64) {
    let expected: Vec<i64> = (1..=head).collect();
    assert_eq!(
        received,
        expected.as_slice(),
        "received ids (in arrival order)"
    );
}

// --- HTTPS ---------------------------------------------------------------

#[derive(Default)]
struct Received {
    ids: Vec<i64>,
    bad_signatures: usize,
    refused: usize,
}

struct Receiver {
    port: u16,
    received: Arc<Mutex<Received>>,
    failing: Arc<AtomicBool>,
}

impl Receiver {
    fn ids(&self) -> Vec<i64> {
        self.received.lock().unwrap().ids.clone()
    }
}

/// An HTTPS endpoint on loopback that checks each delivery's signature the way
/// a SIEM would (HMAC-SHA-256 of "<t>.<body>"), answers 500 while `failing`.
async fn https_receiver(cert: &Path, key: &Path) -> Receiver {
    let certs: Vec<_> = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Received::default()));
    let failing = Arc::new(AtomicBool::new(false));
    let (r, f) = (received.clone(), failing.clone());
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, r, f) = (acceptor.clone(), r.clone(), f.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Some((headers, body)) = read_request(&mut tls).await else {
                    return;
                };
                let status = if f.load(Ordering::SeqCst) {
                    r.lock().unwrap().refused += 1;
                    "500 Internal Server Error"
                } else {
                    let mut got = r.lock().unwrap();
                    if !signature_holds(&headers, &body) {
                        got.bad_signatures += 1;
                    }
                    for line in String::from_utf8_lossy(&body).lines() {
                        let event: serde_json::Value = serde_json::from_str(line).unwrap();
                        got.ids.push(event["id"].as_i64().unwrap());
                    }
                    "200 OK"
                };
                let reply =
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    Receiver {
        port,
        received,
        failing,
    }
}

/// (lower-cased header lines, body) of one HTTP/1.1 request.
async fn read_request<S: AsyncReadExt + Unpin>(s: &mut S) -> Option<(Vec<String>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let split = loop {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..split]).to_ascii_lowercase();
    let headers: Vec<String> = head.lines().map(str::to_string).collect();
    let length: usize = headers
        .iter()
        .find_map(|h| h.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())?;
    let mut body = buf[split + 4..].to_vec();
    while body.len() < length {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((headers, body))
}

fn signature_holds(headers: &[String], body: &[u8]) -> bool {
    let Some(value) = headers
        .iter()
        .find_map(|h| h.strip_prefix("motto-signature:"))
    else {
        return false;
    };
    let mut t = None;
    let mut v1 = None;
    for part in value.trim().split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = Some(x.to_string()),
            Some(("v1", x)) => v1 = Some(x.to_string()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(SINK_SECRET.as_bytes()).unwrap();
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&hex::decode(v1).unwrap_or_default())
        .is_ok()
}

fn https_vars(receiver: &Receiver, ca: &Path) -> Vec<(String, String)> {
    vec![
        (
            "AUDIT_HTTPS_URL".into(),
            format!("https://127.0.0.1:{}/siem/audit", receiver.port),
        ),
        ("AUDIT_HTTPS_SECRET".into(), SINK_SECRET.into()),
        ("AUDIT_HTTPS_CA_FILE".into(), ca.display().to_string()),
    ]
}

fn as_refs(vars: &[(String, String)]) -> Vec<(&str, &str)> {
    vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

async fn sink_status(app: &TestApp) -> motto::domain::admin::SinkStatus {
    let status = audit_checkpoints::status(&app.state).await.unwrap();
    assert_eq!(status.sinks.len(), 1, "{:?}", status.sinks);
    status.sinks[0].clone()
}

db_test!(
    asvs_16_4_3_the_https_sink_gets_every_event_once_across_an_outage_and_a_restart,
    |backend| {
        let tls = tempfile::tempdir().unwrap();
        let (ca, cert, key) = certificate(tls.path());
        let receiver = https_receiver(&cert, &key).await;
        let vars = https_vars(&receiver, &ca);
        let app = TestApp::on(backend).vars(&as_refs(&vars)).spawn().await;

        append(&app, 20).await;
        let n = head(&app).await;
        eventually("the receiver has the first events", || async {
            receiver.ids().len() as i64 >= n
        })
        .await;

        // The SIEM fails: events wait, the admin page shows the lag and why.
        receiver.failing.store(true, Ordering::SeqCst);
        append(&app, 15).await;
        eventually("the sink reports its failures", || async {
            let s = sink_status(&app).await;
            s.failures >= 1 && s.lag >= 15
        })
        .await;
        let s = sink_status(&app).await;
        assert_eq!(s.kind, "https");
        assert_eq!(
            s.name,
            format!("https https://127.0.0.1:{}/siem/audit", receiver.port)
        );
        assert!(
            s.last_error.as_deref().unwrap().contains("HTTP 500"),
            "{s:?}"
        );
        assert!(s.failing_since.is_some());
        // Administrators see the same through the admin API.
        let (admin, _) = crate::admin::admin(&app, "root").await;
        let sealing = json(app.call(&admin, "admin/audit/sealing", &[]).await).await;
        assert!(
            sealing["sinks"][0]["lag"].as_i64().unwrap() >= 15,
            "{sealing}"
        );

        // It recovers: everything arrives, once.
        receiver.failing.store(false, Ordering::SeqCst);
        let n = head(&app).await;
        eventually("the backlog is delivered", || async {
            receiver.ids().len() as i64 >= n
        })
        .await;
        eventually("the sink is healthy again", || async {
            let s = sink_status(&app).await;
            s.failures == 0 && s.last_error.is_none()
        })
        .await;

        // Down again, and Motto restarts while events wait.
        receiver.failing.store(true, Ordering::SeqCst);
        append(&app, 10).await;
        eventually("the outage is noticed", || async {
            sink_status(&app).await.failures >= 1
        })
        .await;
        let db = app.stop_keeping_db().await;
        receiver.failing.store(false, Ordering::SeqCst);
        let app = TestApp::on(backend)
            .vars(&as_refs(&vars))
            .spawn_on(db)
            .await;
        append(&app, 5).await;
        let n = head(&app).await;
        eventually("everything is delivered after the restart", || async {
            receiver.ids().len() as i64 >= n
        })
        .await;
        // A moment for any duplicate to show up.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let n = head(&app).await;
        let (refused, bad_signatures) = {
            let got = receiver.received.lock().unwrap();
            (got.refused, got.bad_signatures)
        };
        assert!(refused > 0, "the outage was real");
        assert_eq!(bad_signatures, 0);
        assert_exactly_once(&receiver.ids(), n);
        assert_eq!(sink_status(&app).await.lag, 0);
        app.stop().await;
    }
);

db_test!(
    a_receiver_with_a_certificate_motto_does_not_trust_gets_nothing,
    |backend| {
        let tls = tempfile::tempdir().unwrap();
        let (_, cert, key) = certificate(tls.path());
        let other = tempfile::tempdir().unwrap();
        let (other_ca, _, _) = certificate(other.path());
        let receiver = https_receiver(&cert, &key).await;
        let vars = https_vars(&receiver, &other_ca);
        let app = TestApp::on(backend).vars(&as_refs(&vars)).spawn().await;
        append(&app, 3).await;
        eventually("the TLS failure is reported", || async {
            sink_status(&app).await.failures >= 1
        })
        .await;
        let s = sink_status(&app).await;
        assert!(s.lag >= 3, "{s:?}");
        assert!(receiver.ids().is_empty());
        assert!(
            s.last_error.as_deref().unwrap().contains("certificate"),
            "{s:?}"
        );
        app.stop().await;
    }
);

// --- syslog --------------------------------------------------------------

/// Debian's rsyslogd on a free port, writing each message it gets as one line.
struct Rsyslog {
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Rsyslog {
    fn start(dir: &Path, port: u16, conf: &str) -> Rsyslog {
        let rsyslogd = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("rsyslogd is installed (scripts/setup.sh --test installs Debian's rsyslog)");
        let conf_path = dir.join("rsyslog.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new(rsyslogd)
            .arg("-n")
            .arg("-f")
            .arg(&conf_path)
            .arg("-i")
            .arg(dir.join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("rsyslogd.err")).unwrap())
            .spawn()
            .expect("rsyslogd starts");
        let mut r = Rsyslog {
            dir: dir.to_path_buf(),
            port,
            child: Some(child),
        };
        r.wait_listening();
        r
    }

    fn wait_listening(&mut self) {
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "rsyslogd exited ({status}): {}",
                    std::fs::read_to_string(self.dir.join("rsyslogd.err")).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("rsyslogd does not listen on {}", self.port);
    }

    /// SIGTERM, as an operator stopping the daemon would, and wait for it.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            unsafe {
                libc::kill(child.id() as i32, libc::SIGTERM);
            }
            child.wait().unwrap();
        }
    }

    /// The `sequenceId`s of the messages written so far, in order.
    fn ids(&self) -> Vec<i64> {
        messages(&self.dir).iter().map(|m| sequence_id(m)).collect()
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn messages(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("received.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn sequence_id(message: &str) -> i64 {
    let start = message.find("sequenceId=\"").expect("a meta sequenceId") + 12;
    let end = start + message[start..].find('"').unwrap();
    message[start..end].parse().unwrap()
}

/// rsyslog's own configuration: a TLS listener (RFC 5425) on `port`, every
/// message written raw to `received.log`.
fn tls_conf(dir: &Path, port: u16, ca: &Path, cert: &Path, key: &Path) -> String {
    format!(
        r#"global(workDirectory="{dir}"
  DefaultNetstreamDriver="gtls"
  DefaultNetstreamDriverCAFile="{ca}"
  DefaultNetstreamDriverCertFile="{cert}"
  DefaultNetstreamDriverKeyFile="{key}")
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
input(type="imtcp" port="{port}")
template(name="raw" type="string" string="%rawmsg%\n")
action(type="omfile" file="{dir}/received.log" template="raw")
"#,
        dir = dir.display(),
        ca = ca.display(),
        cert = cert.display(),
        key = key.display(),
    )
}

db_test!(
    asvs_16_4_3_rsyslog_over_tls_gets_every_event_once_across_an_outage_and_a_restart,
    |backend| {
        let dir = tempfile::tempdir().unwrap();
        let (ca, cert, key) = certificate(dir.path());
        let port = free_port();
        let conf = tls_conf(dir.path(), port, &ca, &cert, &key);
        let mut rsyslog = Rsyslog::start(dir.path(), port, &conf);
        let vars = vec![
            (
                "AUDIT_SYSLOG".to_string(),
                format!("tls://127.0.0.1:{port}"),
            ),
            ("AUDIT_SYSLOG_CA_FILE".to_string(), ca.display().to_string()),
        ];
        let app = TestApp::on(backend).vars(&as_refs(&vars)).spawn().await;
        append(&app, 20).await;
        let n = head(&app).await;
        eventually("rsyslog has the first events", || async {
            rsyslog.ids().len() as i64 >= n
        })
        .await;
        // The messages are RFC 5424, facility "log audit", carrying the event.
        let first = &messages(dir.path())[0];
        assert!(first.starts_with("<109>1 "), "{first}");
        assert!(first.contains(" motto "), "{first}");
        let json: serde_json::Value =
            serde_json::from_str(first.split_once("] ").unwrap().1).unwrap();
        assert_eq!(json["id"], 1);
        assert_eq!(json["hash"].as_str().unwrap().len(), 64);

        // The daemon stops: events wait and the lag shows.
        rsyslog.stop();
        append(&app, 15).await;
        eventually("the outage is reported", || async {
            let s = sink_status(&app).await;
            s.failures >= 1 && s.lag >= 15
        })
        .await;
        let s = sink_status(&app).await;
        assert_eq!(s.name, format!("syslog tls://127.0.0.1:{port}"));
        assert!(s.last_error.is_some(), "{s:?}");

        // It comes back: the backlog arrives.
        let mut rsyslog = Rsyslog::start(dir.path(), port, &conf);
        let n = head(&app).await;
        eventually("the backlog reaches rsyslog", || async {
            rsyslog.ids().len() as i64 >= n
        })
        .await;

        // Down again while Motto restarts.
        rsyslog.stop();
        append(&app, 10).await;
        eventually("the second outage is noticed", || async {
            sink_status(&app).await.failures >= 1
        })
        .await;
        let db = app.stop_keeping_db().await;
        let rsyslog = Rsyslog::start(dir.path(), port, &conf);
        let app = TestApp::on(backend)
            .vars(&as_refs(&vars))
            .spawn_on(db)
            .await;
        append(&app, 5).await;
        let n = head(&app).await;
        eventually("everything reaches rsyslog after the restart", || async {
            rsyslog.ids().len() as i64 >= n
        })
        .await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let n = head(&app).await;
        assert_exactly_once(&rsyslog.ids(), n);
        assert_eq!(sink_status(&app).await.lag, 0);
        app.stop().await;
    }
);

db_test!(events_reach_rsyslog_over_udp, |backend| {
    let dir = tempfile::tempdir().unwrap();
    let (tcp, udp) = (free_port(), free_port());
    // A plain TCP listener beside UDP only so the test can tell it is up.
    let conf = format!(
        r#"global(workDirectory="{dir}")
module(load="imudp")
input(type="imudp" port="{udp}" address="127.0.0.1")
module(load="imtcp")
input(type="imtcp" port="{tcp}" address="127.0.0.1")
template(name="raw" type="string" string="%rawmsg%\n")
action(type="omfile" file="{dir}/received.log" template="raw")
"#,
        dir = dir.path().display(),
    );
    let rsyslog = Rsyslog::start(dir.path(), tcp, &conf);
    let app = TestApp::on(backend)
        .vars(&[("AUDIT_SYSLOG", &format!("udp://127.0.0.1:{udp}"))])
        .spawn()
        .await;
    append(&app, 10).await;
    let n = head(&app).await;
    eventually("rsyslog has the events over UDP", || async {
        rsyslog.ids().len() as i64 >= n
    })
    .await;
    assert_exactly_once(&rsyslog.ids(), n);
    app.stop().await;
});

// --- fail closed ---------------------------------------------------------

db_test!(
    an_audit_log_that_cannot_be_written_refuses_the_change_with_503,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let client = crate::helpers::signed_up(&app, "ann").await;
        let docs = app.documents(&client);
        docs.create("Before", "written and audited").await;
        // Someone (or a full disk, a revoked grant) stops audit inserts.
        app.db
            .raw_execute(match backend {
                Backend::Sqlite => {
                    "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events \
                     BEGIN SELECT RAISE(ABORT, 'audit inserts refused'); END;"
                }
                Backend::Postgres => {
                    "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS \
                     $$BEGIN RAISE EXCEPTION 'audit inserts refused'; END$$; \
                     CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events \
                     FOR EACH ROW EXECUTE FUNCTION refuse_audit();"
                }
            })
            .await;
        let before = app.count("documents").await;
        let res = docs.try_create("Unaudited", "must not be kept").await;
        assert_eq!(res.status(), 503, "the change is refused as unavailable");
        assert!(res.headers().contains_key("retry-after"));
        assert_eq!(app.count("documents").await, before, "nothing was written");
        // Reading goes on.
        assert_eq!(docs.list(false).await.status(), 200);
        app.stop().await;
    }
);

db_test!(
    with_fail_closed_a_sink_down_too_long_refuses_state_changes_until_it_is_back,
    |backend| {
        let tls = tempfile::tempdir().unwrap();
        let (ca, cert, key) = certificate(tls.path());
        let receiver = https_receiver(&cert, &key).await;
        let mut vars = https_vars(&receiver, &ca);
        vars.push(("AUDIT_FAIL_CLOSED".into(), "on".into()));
        vars.push(("AUDIT_FAIL_CLOSED_SECONDS".into(), "1".into()));
        let app = TestApp::on(backend).vars(&as_refs(&vars)).spawn().await;
        let client = crate::helpers::signed_up(&app, "ann").await;
        let docs = app.documents(&client);
        docs.create("Before", "accepted while the SIEM takes events")
            .await;

        receiver.failing.store(true, Ordering::SeqCst);
        append(&app, 1).await;
        eventually("state changes are refused", || async {
            docs.try_create("During", "perhaps refused").await.status() == 503
        })
        .await;
        let before = app.count("documents").await;
        assert_eq!(docs.try_create("During", "refused").await.status(), 503);
        assert_eq!(app.count("documents").await, before);
        assert_eq!(docs.list(false).await.status(), 200, "reads go on");
        let status = audit_checkpoints::status(&app.state).await.unwrap();
        let reason = status.writes_refused.expect("the admin page says why");
        assert!(reason.contains("HTTP 500"), "{reason}");

        receiver.failing.store(false, Ordering::SeqCst);
        eventually("state changes are accepted again", || async {
            docs.try_create("After", "accepted").await.status() == 200
        })
        .await;
        assert!(audit_checkpoints::status(&app.state)
            .await
            .unwrap()
            .writes_refused
            .is_none());
        app.stop().await;
    }
);
