//! Acts that end credentials end what a person would expect: signing out
//! elsewhere, changing or resetting the password, an administrator ending
//! sessions or disabling the account (ASVS 7.4.x).

use crate::db_test;
use crate::helpers::{json, signed_up, TestApp, GOOD_PASSWORD};
use crate::rest::{key, refresh, tokens};

/// What a person holds besides this browser: an API key, an access token and a
/// refresh token.
struct Held {
    key: String,
    access: String,
    refresh: String,
}

async fn hold(app: &TestApp, browser: &reqwest::Client, name: &str) -> Held {
    let (key, _) = key(app, browser, "automation", &["documents:read"]).await;
    let pair = json(tokens(app, name).await).await;
    Held {
        key,
        access: pair["access_token"].as_str().unwrap().to_string(),
        refresh: pair["refresh_token"].as_str().unwrap().to_string(),
    }
}

async fn me(app: &TestApp, bearer: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/api/v1/me", app.url))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn signed_in(app: &TestApp, browser: &reqwest::Client) -> bool {
    !json(app.call(browser, "me", &[]).await).await.is_null()
}

db_test!(
    asvs_7_4_5_signing_out_elsewhere_ends_tokens_and_optionally_keys,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let here = signed_up(&app, "alice").await;
        let held = hold(&app, &here, "alice").await;
        let res = app.call(&here, "account/sessions/end_others", &[]).await;
        assert_eq!(res.status(), 200);
        assert_eq!(me(&app, &held.access).await, 401, "access token");
        assert_eq!(
            refresh(&app, &held.refresh).await.status(),
            401,
            "refresh token"
        );
        assert_eq!(
            me(&app, &held.key).await,
            200,
            "the key survives unless asked"
        );
        assert!(signed_in(&app, &here).await, "this browser stays");

        let res = app
            .call(
                &here,
                "account/sessions/end_others",
                &[("revoke_keys", "on")],
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(me(&app, &held.key).await, 401, "the key was revoked");
        assert!(signed_in(&app, &here).await);
        app.stop().await;
    }
);

db_test!(
    asvs_6_2_3_a_password_change_can_take_the_api_keys_along,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let here = signed_up(&app, "bob").await;
        let held = hold(&app, &here, "bob").await;
        let new = "amber orchard sailing slowly";
        let res = app
            .call(
                &here,
                "account/password",
                &[
                    ("current_password", GOOD_PASSWORD),
                    ("new_password", new),
                    ("new_password_confirm", new),
                    ("revoke_keys", "on"),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(me(&app, &held.access).await, 401);
        assert_eq!(me(&app, &held.key).await, 401);
        assert!(signed_in(&app, &here).await);
        app.stop().await;
    }
);

db_test!(
    asvs_7_4_1_a_password_reset_ends_sessions_tokens_and_keys,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let here = signed_up(&app, "carol").await;
        let held = hold(&app, &here, "carol").await;
        let res = app
            .call(
                &app.new_client(),
                "password_reset/request",
                &[("email", "carol@example.com")],
            )
            .await;
        assert_eq!(res.status(), 200);
        // The mail is sent after the answer: wait for it in the development outbox.
        let mut code = None;
        for _ in 0..50 {
            let mails = json(app.call(&app.new_client(), "dev/outbox", &[]).await).await;
            let reset = mails.as_array().unwrap().iter().find_map(|m| {
                m["body"]
                    .as_str()
                    .filter(|b| b.contains("/reset-password#token="))
            });
            if let Some(body) = reset {
                code = body
                    .split("#token=")
                    .nth(1)
                    .map(|rest| rest.split_whitespace().next().unwrap().to_string());
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let code = code.expect("a reset mail");
        let new = "amber orchard sailing slowly";
        let res = app
            .call(
                &app.new_client(),
                "password_reset/complete",
                &[
                    ("token", code.as_str()),
                    ("new_password", new),
                    ("new_password_confirm", new),
                    ("revoke_keys", "on"),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
        assert!(!signed_in(&app, &here).await);
        assert_eq!(me(&app, &held.access).await, 401);
        assert_eq!(refresh(&app, &held.refresh).await.status(), 401);
        assert_eq!(me(&app, &held.key).await, 401);
        app.stop().await;
    }
);

db_test!(
    asvs_7_4_2_an_administrator_ends_sessions_and_keys_and_enabling_revives_no_key,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let (root, _) = crate::admin::admin(&app, "root").await;
        let dave = signed_up(&app, "dave").await;
        let dave_id = json(app.call(&dave, "me", &[]).await).await["id"]
            .as_i64()
            .unwrap();
        let id = dave_id.to_string();
        let held = hold(&app, &dave, "dave").await;

        // End all sessions, keys kept: tokens end, the key works.
        let res = app
            .call(
                &root,
                "admin/user/act",
                &[("id", id.as_str()), ("action", "end_sessions")],
            )
            .await;
        assert_eq!(res.status(), 200);
        assert!(!signed_in(&app, &dave).await);
        assert_eq!(me(&app, &held.access).await, 401);
        assert_eq!(me(&app, &held.key).await, 200);

        // Disable: the key is revoked, and enabling does not bring it back.
        let res = app
            .call(
                &root,
                "admin/user/act",
                &[("id", id.as_str()), ("action", "disable")],
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(me(&app, &held.key).await, 401);
        let res = app
            .call(
                &root,
                "admin/user/act",
                &[("id", id.as_str()), ("action", "enable")],
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(me(&app, &held.key).await, 401, "revived by enabling");

        // End sessions with the keys: a new key dies too.
        let dave = app.new_client();
        assert_eq!(
            app.login_with(&dave, "dave", GOOD_PASSWORD).await.status(),
            200
        );
        let (fresh, _) = key(&app, &dave, "again", &["documents:read"]).await;
        let res = app
            .call(
                &root,
                "admin/user/act",
                &[
                    ("id", id.as_str()),
                    ("action", "end_sessions"),
                    ("revoke_keys", "on"),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(me(&app, &fresh).await, 401);
        app.stop().await;
    }
);

db_test!(
    asvs_7_5_1_a_new_api_key_or_second_factor_needs_a_fresh_login_or_the_password,
    |backend| {
        // A window long enough that sign-up and the first request fit in it on a
        // loaded machine (a 1 s window once failed there), short enough to wait out.
        let app = TestApp::on(backend)
            .vars(&[("REAUTH_WINDOW_SECS", "4")])
            .spawn()
            .await;
        let erin = signed_up(&app, "erin").await;
        // Right after the login: no password asked.
        let res = app
            .call(
                &erin,
                "api_keys/create",
                &[
                    ("name", "fresh"),
                    ("days", "30"),
                    ("scopes[]", "documents:read"),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
        // Later, a borrowed session cannot mint a key or start a second factor.
        tokio::time::sleep(std::time::Duration::from_millis(4200)).await;
        let form = |pw: &'static str| {
            vec![
                ("name", "later"),
                ("days", "30"),
                ("scopes[]", "documents:read"),
                ("password", pw),
            ]
        };
        for endpoint in ["api_keys/create", "two_factor/begin"] {
            let res = app.call(&erin, endpoint, &form("")).await;
            assert_eq!(res.status(), 422, "{endpoint} without the password");
            let body = json(res).await;
            assert!(body.to_string().contains("password"), "{body}");
            let res = app
                .call(&erin, endpoint, &form("not my password at all"))
                .await;
            assert_eq!(res.status(), 422, "{endpoint} with a wrong password");
        }
        assert!(app
            .audit_actions()
            .await
            .contains(&"account.reauth.failure".to_string()));
        // With it: done, and the proof is fresh for a while.
        let res = app
            .call(&erin, "api_keys/create", &form(GOOD_PASSWORD))
            .await;
        assert_eq!(res.status(), 200);
        let res = app.call(&erin, "two_factor/begin", &[]).await;
        assert_eq!(res.status(), 200);
        app.stop().await;
    }
);

db_test!(an_administrator_resets_a_lost_second_factor, |backend| {
    let app = TestApp::spawn(backend).await;
    let (root, _) = crate::admin::admin(&app, "root").await;
    let fay = signed_up(&app, "fay").await;
    crate::two_factor::enrol(&app, &fay).await;
    let id = json(app.call(&fay, "me", &[]).await).await["id"]
        .as_i64()
        .unwrap()
        .to_string();
    // Nobody else may.
    let other = signed_up(&app, "gus").await;
    let res = app
        .call(
            &other,
            "admin/user/act",
            &[("id", id.as_str()), ("action", "reset_two_factor")],
        )
        .await;
    assert_eq!(res.status(), 404);
    let res = app
        .call(
            &root,
            "admin/user/act",
            &[("id", id.as_str()), ("action", "reset_two_factor")],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(!signed_in(&app, &fay).await, "their sessions ended");
    // The password alone logs in now; the page shows two-factor off.
    let again = app.new_client();
    let res = app.login_with(&again, "fay", GOOD_PASSWORD).await;
    assert_eq!(res.status(), 200);
    assert!(signed_in(&app, &again).await);
    let status = json(app.call(&again, "two_factor/status", &[]).await).await;
    assert_eq!(status["enabled"], false);
    assert!(app
        .audit_actions()
        .await
        .contains(&"admin.user.reset_two_factor".to_string()));
    // Nothing to reset any more.
    let res = app
        .call(
            &root,
            "admin/user/act",
            &[("id", id.as_str()), ("action", "reset_two_factor")],
        )
        .await;
    assert_eq!(res.status(), 409);
    app.stop().await;
});
