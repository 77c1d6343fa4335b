//! Two-factor authentication: enrolment, the login's second step, replay and skew,
//! recovery codes, the REST token exchange, turning it off, and enforcement.

use crate::db_test;
use crate::helpers::{json, signed_up, TestApp, GOOD_PASSWORD};
use motto::server::services::two_factor::{code_at, step_now};

/// The raw secret behind the grouped base32 key the page shows.
fn secret_of(grouped: &str) -> Vec<u8> {
    let b32: String = grouped.split_whitespace().collect();
    data_encoding::BASE32_NOPAD.decode(b32.as_bytes()).unwrap()
}

fn code(secret: &[u8], step: i64) -> String {
    format!("{:06}", code_at(secret, step))
}

/// Turn two-factor on for this client's user: (secret, recovery codes, the time
/// step whose code confirmed it).
pub(crate) async fn enrol(app: &TestApp, c: &reqwest::Client) -> (Vec<u8>, Vec<String>, i64) {
    let e = json(app.call(c, "two_factor/begin", &[]).await).await;
    assert!(
        e["qr_svg"].as_str().unwrap().starts_with("<?xml")
            || e["qr_svg"].as_str().unwrap().contains("<svg")
    );
    assert!(e["uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/Motto%3A"));
    let secret = secret_of(e["secret"].as_str().unwrap());
    assert_eq!(secret.len(), 20);
    let step = step_now();
    let res = app
        .call(c, "two_factor/confirm", &[("code", &code(&secret, step))])
        .await;
    assert_eq!(res.status(), 200);
    let codes: Vec<String> = serde_json::from_value(json(res).await).unwrap();
    (secret, codes, step)
}

/// Log in with the password: where the server sends the browser next.
async fn password_step(app: &TestApp, c: &reqwest::Client, login: &str) -> String {
    let res = app
        .call(
            c,
            "login",
            &[
                ("login", login),
                ("password", GOOD_PASSWORD),
                ("next", "/documents"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    res.headers()["location"].to_str().unwrap().to_string()
}

async fn second_step(app: &TestApp, c: &reqwest::Client, code: &str) -> reqwest::StatusCode {
    app.call(
        c,
        "login/two_factor",
        &[("code", code), ("next", "/documents")],
    )
    .await
    .status()
}

async fn signed_in(app: &TestApp, c: &reqwest::Client) -> bool {
    !json(app.call(c, "me", &[]).await).await.is_null()
}

db_test!(two_factor_from_enrolment_to_login_to_recovery, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = signed_up(&app, "alice").await;
    let status = json(app.call(&alice, "two_factor/status", &[]).await).await;
    assert_eq!(status["enabled"], false);

    // A wrong confirmation code turns nothing on.
    app.call(&alice, "two_factor/begin", &[]).await;
    let res = app
        .call(&alice, "two_factor/confirm", &[("code", "000000")])
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        json(app.call(&alice, "two_factor/status", &[]).await).await["enabled"],
        false
    );

    let (secret, codes, step0) = enrol(&app, &alice).await;
    assert_eq!(codes.len(), 10);
    let status = json(app.call(&alice, "two_factor/status", &[]).await).await;
    assert_eq!(status["enabled"], true);
    assert_eq!(status["recovery_codes_left"], 10);
    // At rest: the secret is encrypted and the recovery codes are hashes.
    let stored: String = motto::on_pool!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT totp_secret FROM users WHERE username = 'alice'").fetch_one(pool).await.unwrap()
    });
    assert!(!stored.contains(&hex::encode(&secret)));
    assert!(!stored.contains(&data_encoding::BASE32_NOPAD.encode(&secret)));
    let hashes: Vec<String> = motto::on_pool!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT code_hash FROM recovery_codes").fetch_all(pool).await.unwrap()
    });
    assert_eq!(hashes.len(), 10);
    assert!(codes.iter().all(|c| !hashes.contains(c)));

    // The password alone does not sign in.
    let c = app.new_client();
    assert!(password_step(&app, &c, "alice")
        .await
        .starts_with("/login/two-factor?next=%2Fdocuments"));
    assert!(!signed_in(&app, &c).await);
    // A browser signed in as someone else is nobody's between the two steps.
    let bob = signed_up(&app, "bob").await;
    password_step(&app, &bob, "alice").await;
    assert!(!signed_in(&app, &bob).await);
    // The code used to confirm is spent (replay), a wrong one fails.
    assert_eq!(second_step(&app, &c, &code(&secret, step0)).await, 422);
    assert_eq!(second_step(&app, &c, "123456").await, 422);
    assert!(!signed_in(&app, &c).await);
    // The next step's code is accepted (within one step of skew of the clock)...
    assert_eq!(second_step(&app, &c, &code(&secret, step0 + 1)).await, 200);
    assert!(signed_in(&app, &c).await);
    // ...and then nothing older or equal works again.
    let c = app.new_client();
    password_step(&app, &c, "alice").await;
    assert_eq!(
        second_step(&app, &c, &code(&secret, step0 + 1)).await,
        422,
        "replayed"
    );
    assert_eq!(
        second_step(&app, &c, &code(&secret, step0)).await,
        422,
        "older"
    );
    // A recovery code works once, typed any way.
    assert_eq!(second_step(&app, &c, &codes[0].to_lowercase()).await, 200);
    assert!(signed_in(&app, &c).await);
    let c = app.new_client();
    password_step(&app, &c, "alice").await;
    assert_eq!(
        second_step(&app, &c, &codes[0]).await,
        422,
        "recovery codes are single use"
    );
    // Without the password step first, a code is refused.
    let fresh = app.new_client();
    assert_eq!(second_step(&app, &fresh, &codes[1]).await, 422);
    assert!(!signed_in(&app, &fresh).await);

    // The REST API asks for the code too.
    let token = |otp: Option<&str>| {
        let mut body = serde_json::json!({"username": "alice", "password": GOOD_PASSWORD});
        if let Some(o) = otp {
            body["otp"] = o.into();
        }
        let url = format!("{}/api/v1/auth/token", app.url);
        async move {
            reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let res = token(None).await;
    assert_eq!(res.status(), 422);
    assert!(json(res).await.to_string().contains("otp"));
    assert_eq!(token(Some("000000")).await.status(), 422);
    assert_eq!(token(Some(&codes[2])).await.status(), 200);

    // Turning it off needs the password and a code.
    let res = app
        .call(
            &alice,
            "two_factor/disable",
            &[("password", "wrong wrong wrong"), ("code", &codes[3])],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .call(
            &alice,
            "two_factor/disable",
            &[("password", GOOD_PASSWORD), ("code", "999999")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .call(
            &alice,
            "two_factor/disable",
            &[("password", GOOD_PASSWORD), ("code", &codes[4])],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        json(app.call(&alice, "two_factor/status", &[]).await).await["enabled"],
        false
    );
    let c = app.new_client();
    assert_eq!(password_step(&app, &c, "alice").await, "/documents");

    let actions = app.audit_actions().await;
    for a in [
        "account.2fa.enable",
        "auth.login.password",
        "account.2fa.disable",
    ] {
        assert!(actions.contains(&a.to_string()), "{a} missing: {actions:?}");
    }
    assert!(
        actions
            .iter()
            .filter(|a| *a == "auth.login.failure")
            .count()
            >= 3
    );
});

db_test!(enforced_two_factor_cannot_be_skipped, |backend| {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = crate::admin::admin(&app, "root").await;
    let bob = signed_up(&app, "bob").await;
    // Only admins change the setting.
    let res = app
        .call(
            &bob,
            "admin/settings/two_factor/set",
            &[("required_for", "everyone")],
        )
        .await;
    assert_eq!(res.status(), 404);
    let res = app
        .call(
            &admin,
            "admin/settings/two_factor/set",
            &[("required_for", "sometimes")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .call(
            &admin,
            "admin/settings/two_factor/set",
            &[("required_for", "everyone")],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(app
        .audit_actions()
        .await
        .contains(&"admin.settings.two_factor".to_string()));

    // Bob is signed in but without 2FA: pages send him to set it up, server
    // functions refuse, the REST token exchange refuses.
    let res = bob
        .get(format!("{}/documents", app.url))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/account/two-factor");
    let res = bob
        .get(format!("{}/admin/audit", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/account/two-factor");
    let res = app
        .call(
            &bob,
            "documents/list",
            &[("sort", "updated"), ("page", "1"), ("trashed", "false")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .call(
            &bob,
            "api_keys/create",
            &[("name", "x"), ("scopes[]", "documents:read"), ("days", "9")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/token", app.url))
        .json(&serde_json::json!({"username": "bob", "password": GOOD_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    // What he needs still works: the set-up page and its server functions, logout.
    let res = bob
        .get(format!("{}/account/two-factor", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        json(app.call(&bob, "two_factor/status", &[]).await).await["required"],
        true
    );
    let (secret, _, _) = enrol(&app, &bob).await;
    let res = bob
        .get(format!("{}/documents", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.call(
            &bob,
            "documents/list",
            &[("sort", "updated"), ("page", "1"), ("trashed", "false")]
        )
        .await
        .status(),
        200
    );
    // Required: it cannot be turned off.
    let res = app
        .call(
            &bob,
            "two_factor/disable",
            &[
                ("password", GOOD_PASSWORD),
                ("code", &code(&secret, step_now() + 1)),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(json(res)
        .await
        .to_string()
        .contains("administrator requires"));
    // The admin, without 2FA, is held to it as well.
    let res = admin
        .get(format!("{}/admin/audit", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/account/two-factor");
});
