//! Password reset by mail, through a real SMTP conversation with a sink on loopback.

use crate::db_test;
use crate::helpers::{json, signed_up, TestApp, GOOD_PASSWORD};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const NEW_PASSWORD: &str = "copper meadow ribbon slowly";

/// A minimal SMTP server (RFC 5321 commands lettre uses, no TLS) that keeps every
/// message it is given.
struct SmtpSink {
    port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    async fn start() -> SmtpSink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages: Arc<Mutex<Vec<String>>> = Arc::default();
        let store = messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                    let mut data: Option<String> = None;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if let Some(body) = data.as_mut() {
                            if line == "." {
                                store.lock().unwrap().push(data.take().unwrap());
                                write.write_all(b"250 2.0.0 queued\r\n").await.unwrap();
                            } else {
                                body.push_str(line.strip_prefix('.').unwrap_or(&line));
                                body.push('\n');
                            }
                            continue;
                        }
                        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                            "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 2.0.0 ok\r\n",
                            "DATA" => {
                                data = Some(String::new());
                                b"354 end with <CRLF>.<CRLF>\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 2.0.0 bye\r\n").await;
                                break;
                            }
                            _ => b"502 5.5.2 not implemented\r\n",
                        };
                        write.write_all(reply).await.unwrap();
                    }
                });
            }
        });
        SmtpSink { port, messages }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn count(&self) -> usize {
        self.messages.lock().unwrap().len()
    }

    /// The `n`th message (from 1), waiting for it to arrive.
    async fn message(&self, n: usize) -> String {
        for _ in 0..200 {
            if let Some(m) = self.messages.lock().unwrap().get(n - 1) {
                return m.clone();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no message {n} arrived at the SMTP sink");
    }
}

/// A quoted-printable body as text (soft line breaks joined, `=XX` decoded).
fn unquote(mail: &str) -> String {
    let joined = mail.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// The reset link in a mail, and the code in it.
fn link_and_code(mail: &str) -> (String, String) {
    let mail = unquote(mail);
    let link = mail
        .lines()
        .find(|l| l.contains("/reset-password#token="))
        .unwrap_or_else(|| panic!("no link in {mail}"))
        .trim()
        .to_string();
    let code = link.split("#token=").nth(1).unwrap().to_string();
    (link, code)
}

/// Signed up, with the address confirmed through the link mailed to the sink;
/// the sink is then emptied, so the tests count their own mails.
async fn confirmed(app: &TestApp, sink: &SmtpSink, name: &str) -> reqwest::Client {
    let client = signed_up(app, name).await;
    let mail = unquote(&sink.message(1).await);
    let code = crate::helpers::confirmation_code(&mail).unwrap_or_else(|| panic!("{mail}"));
    let res = app
        .call(
            &app.new_client(),
            "account/email/confirm",
            &[("token", code.as_str())],
        )
        .await;
    assert_eq!(res.status(), 200);
    sink.messages.lock().unwrap().clear();
    client
}

async fn spawn(backend: crate::helpers::Backend, sink: &SmtpSink) -> TestApp {
    TestApp::on(backend)
        .vars(&[
            ("SMTP_URL", &sink.url()),
            ("RATE_LIMIT_PASSWORD_RESET", "off"),
        ])
        .spawn()
        .await
}

async fn ask(app: &TestApp, email: &str) -> reqwest::Response {
    app.call(
        &app.new_client(),
        "password_reset/request",
        &[("email", email)],
    )
    .await
}

async fn reset(app: &TestApp, code: &str, password: &str) -> reqwest::Response {
    app.call(
        &app.new_client(),
        "password_reset/complete",
        &[
            ("token", code),
            ("new_password", password),
            ("new_password_confirm", password),
        ],
    )
    .await
}

db_test!(
    a_forgotten_password_is_reset_through_the_mailed_link,
    |backend| {
        let sink = SmtpSink::start().await;
        let app = spawn(backend, &sink).await;
        let alice = confirmed(&app, &sink, "alice").await;
        let res = ask(&app, "alice@example.com").await;
        assert_eq!(res.status(), 200);
        let mail = sink.message(1).await;
        assert!(mail.contains("To: alice@example.com"), "{mail}");
        assert!(
            mail.contains("Subject: Reset your Motto password"),
            "{mail}"
        );
        let (link, code) = link_and_code(&mail);
        assert!(
            link.starts_with(&app.state.settings.public_origin()),
            "{link}"
        );
        assert_eq!(code.len(), 64);
        // Only a hash is stored.
        let stored: Vec<String> = motto::on_pool!(&app.state.db, pool => {
            sqlx::query_scalar("SELECT token_hash FROM password_resets").fetch_all(pool).await.unwrap()
        });
        assert_eq!(stored.len(), 1);
        assert_ne!(stored[0], code);
        // The link's page is served (the code travels in the fragment, not to us).
        assert_eq!(app.get("/reset-password").await.status(), 200);
        // A weak password is refused and leaves the code usable.
        let res = reset(&app, &code, "password1234").await;
        assert_eq!(res.status(), 422);
        assert!(json(res).await.to_string().contains("new_password"));
        let res = reset(&app, &code, NEW_PASSWORD).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        // Every session ended; the new password works, the old one does not.
        let me = json(app.call(&alice, "me", &[]).await).await;
        assert!(me.is_null(), "{me}");
        assert!(app
            .login_with(&app.new_client(), "alice", GOOD_PASSWORD)
            .await
            .status()
            .is_client_error());
        assert!(!app
            .login_with(&app.new_client(), "alice", NEW_PASSWORD)
            .await
            .status()
            .is_client_error());
        // Single use.
        let res = reset(&app, &code, "another fine phrase of words").await;
        assert_eq!(res.status(), 422);
        assert!(json(res).await.to_string().contains("not valid"));
        let actions = app.audit_actions().await;
        assert!(actions.contains(&"auth.password_reset.request".to_string()));
        assert!(actions.contains(&"auth.password_reset.complete".to_string()));
    }
);

db_test!(
    unknown_addresses_get_the_same_answer_and_no_mail,
    |backend| {
        let sink = SmtpSink::start().await;
        let app = spawn(backend, &sink).await;
        confirmed(&app, &sink, "alice").await;
        let known = ask(&app, "alice@example.com").await;
        let unknown = ask(&app, "nobody@example.com").await;
        assert_eq!(known.status(), unknown.status());
        let (known, unknown) = (known.text().await.unwrap(), unknown.text().await.unwrap());
        assert_eq!(known, unknown);
        // A username is not an address.
        assert_eq!(ask(&app, "alice").await.status(), 422);
        sink.message(1).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(sink.count(), 1, "mail only for the real account");
        let actions = app.audit_actions().await;
        assert_eq!(
            actions
                .iter()
                .filter(|a| *a == "auth.password_reset.request")
                .count(),
            2,
            "both requests audited (the unknown one as a failure)"
        );
    }
);

db_test!(only_the_newest_unexpired_code_works, |backend| {
    let sink = SmtpSink::start().await;
    let app = spawn(backend, &sink).await;
    confirmed(&app, &sink, "alice").await;
    ask(&app, "alice@example.com").await;
    let (_, first) = link_and_code(&sink.message(1).await);
    ask(&app, "alice@example.com").await;
    let (_, second) = link_and_code(&sink.message(2).await);
    assert_ne!(first, second);
    assert_eq!(
        reset(&app, &first, NEW_PASSWORD).await.status(),
        422,
        "replaced by a newer one"
    );
    // Expired: move the newest code's expiry into the past.
    app.db
        .raw_execute(&format!(
            "UPDATE password_resets SET expires_at = {} WHERE used_at IS NULL",
            match backend {
                crate::helpers::Backend::Sqlite => "'2000-01-01T00:00:00Z'",
                crate::helpers::Backend::Postgres => "now() - interval '1 minute'",
            }
        ))
        .await;
    assert_eq!(
        reset(&app, &second, NEW_PASSWORD).await.status(),
        422,
        "expired"
    );
    ask(&app, "alice@example.com").await;
    let (_, third) = link_and_code(&sink.message(3).await);
    assert_eq!(reset(&app, &third, NEW_PASSWORD).await.status(), 200);
    assert_eq!(reset(&app, "0000", NEW_PASSWORD).await.status(), 422);
});
