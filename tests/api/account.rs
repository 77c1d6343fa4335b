//! Self-service on one's own account: username and email, password, sessions.

use crate::db_test;
use crate::helpers::{json, signed_up, TestApp, GOOD_PASSWORD};

const NEW_PASSWORD: &str = "copper meadow ribbon slowly";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// A client of its own (cookies, user agent), signed in as `login`.
async fn browser(app: &TestApp, login: &str, password: &str, ua: &str) -> reqwest::Client {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .user_agent(ua)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = app.login_with(&c, login, password).await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "login {login}: {}",
        res.status()
    );
    c
}

/// The signed-in user's name as the server sees this client, or None.
async fn who(app: &TestApp, c: &reqwest::Client) -> Option<String> {
    let v = json(app.call(c, "me", &[]).await).await;
    v["username"].as_str().map(str::to_string)
}

db_test!(username_and_email_change_with_the_password, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = signed_up(&app, "alice").await;
    signed_up(&app, "bob").await;
    let change = |username: &'static str, email: &'static str, password: &'static str| {
        let app = &app;
        let alice = &alice;
        async move {
            app.call(
                alice,
                "account/identity",
                &[
                    ("username", username),
                    ("email", email),
                    ("password", password),
                ],
            )
            .await
        }
    };
    // Wrong password: refused beside the field, nothing changed, audited.
    let res = change("alicia", "alicia@example.com", "not my password at all").await;
    assert_eq!(res.status(), 422);
    let e = json(res).await.to_string();
    assert!(e.contains("That is not your current password."), "{e}");
    assert_eq!(who(&app, &alice).await.as_deref(), Some("alice"));
    assert!(app
        .audit_actions()
        .await
        .contains(&"account.reauth.failure".to_string()));
    // Taken (in any case) and malformed values: field errors.
    let e = json(change("BOB", "alice@example.com", GOOD_PASSWORD).await)
        .await
        .to_string();
    assert!(e.contains("This username is taken"), "{e}");
    // Another account's address: the same answer as a free one (ASVS 6.3.8); the
    // address's owner hears of the try, and nothing changes.
    let res = change("alice", "bob@example.com", GOOD_PASSWORD).await;
    assert_eq!(res.status(), 200);
    assert_eq!(json(res).await, "bob@example.com");
    let me = json(app.call(&alice, "me", &[]).await).await;
    assert_eq!(me["email"], "alice@example.com");
    crate::email::wait_for_mail(&app, "bob@example.com", "already in use").await;
    let e = json(change("a", "not-an-email", GOOD_PASSWORD).await)
        .await
        .to_string();
    assert!(e.contains("\"username\"") && e.contains("\"email\""), "{e}");
    // The change itself: the session follows, the new name logs in, the old does not.
    let res = change("alicia", "alicia@example.com", GOOD_PASSWORD).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(who(&app, &alice).await.as_deref(), Some("alicia"));
    // The new address is the account's once its link is opened.
    crate::helpers::confirm_email(&app, "alicia@example.com").await;
    let fresh = app.new_client();
    assert!(!app
        .login_with(&fresh, "alicia@example.com", GOOD_PASSWORD)
        .await
        .status()
        .is_client_error());
    assert_eq!(who(&app, &fresh).await.as_deref(), Some("alicia"));
    let stale = app.new_client();
    assert!(app
        .login_with(&stale, "alice", GOOD_PASSWORD)
        .await
        .status()
        .is_client_error());
    assert!(app
        .audit_actions()
        .await
        .contains(&"account.profile.change".to_string()));
    // Visitors cannot.
    let res = app
        .call(
            &app.new_client(),
            "account/identity",
            &[
                ("username", "x"),
                ("email", "x@example.com"),
                ("password", GOOD_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 401);
});

db_test!(
    asvs_7_4_3_changing_the_password_ends_the_other_sessions_and_keeps_this_one,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = signed_up(&app, "alice").await;
        let laptop = browser(&app, "alice", GOOD_PASSWORD, FIREFOX).await;
        let token = crate::helpers::access_token(&app.url, "alice").await;
        let me_with_token = || async {
            reqwest::Client::new()
                .get(format!("{}/api/v1/me", app.url))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status()
        };
        assert_eq!(me_with_token().await, 200);
        let change = |current: &'static str, new: &'static str, confirm: &'static str| {
            let app = &app;
            let alice = &alice;
            async move {
                app.call(
                    alice,
                    "account/password",
                    &[
                        ("current_password", current),
                        ("new_password", new),
                        ("new_password_confirm", confirm),
                    ],
                )
                .await
            }
        };
        // Refusals, each beside its field; nothing changes. Without the current
        // password there is no change (asvs_6_2_3).
        let e = json(change("wrong wrong wrong wrong", NEW_PASSWORD, NEW_PASSWORD).await)
            .await
            .to_string();
        assert!(
            e.contains("current_password") && e.contains("not your current password"),
            "{e}"
        );
        let e = json(change(GOOD_PASSWORD, "password123", "password123").await)
            .await
            .to_string();
        assert!(e.contains("new_password"), "{e}");
        let e = json(change(GOOD_PASSWORD, NEW_PASSWORD, "copper meadow ribbon").await)
            .await
            .to_string();
        assert!(e.contains("new_password_confirm"), "{e}");
        assert_eq!(who(&app, &laptop).await.as_deref(), Some("alice"));
        // The change.
        let res = change(GOOD_PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        assert_eq!(
            who(&app, &alice).await.as_deref(),
            Some("alice"),
            "this session stays"
        );
        assert_eq!(who(&app, &laptop).await, None, "the other session ended");
        assert_eq!(me_with_token().await, 401, "access tokens end too");
        let sessions = json(app.call(&alice, "account/sessions", &[]).await).await;
        assert_eq!(sessions.as_array().unwrap().len(), 1, "{sessions}");
        assert_eq!(sessions[0]["current"], true);
        assert!(app
            .login_with(&app.new_client(), "alice", GOOD_PASSWORD)
            .await
            .status()
            .is_client_error());
        let again = browser(&app, "alice", NEW_PASSWORD, FIREFOX).await;
        assert_eq!(who(&app, &again).await.as_deref(), Some("alice"));
        let actions = app.audit_actions().await;
        assert!(
            actions.contains(&"account.password.change".to_string()),
            "{actions:?}"
        );
    }
);

db_test!(
    asvs_7_5_2_people_see_their_sessions_and_sign_them_out,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = signed_up(&app, "alice").await;
        let laptop = browser(&app, "alice", GOOD_PASSWORD, FIREFOX).await;
        let phone = browser(&app, "alice", GOOD_PASSWORD, "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36").await;
        let bob = signed_up(&app, "bob").await;

        let list = json(app.call(&laptop, "account/sessions", &[]).await).await;
        let list = list.as_array().unwrap().clone();
        assert_eq!(list.len(), 3, "{list:?}");
        let current: Vec<_> = list.iter().filter(|s| s["current"] == true).collect();
        assert_eq!(current.len(), 1);
        assert_eq!(current[0]["device"], "Firefox 128 on Linux");
        assert_eq!(current[0]["source_ip"], "127.0.0.1");
        let phone_id = list
            .iter()
            .find(|s| s["device"] == "Chrome 131 on Android")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let own_id = current[0]["id"].as_str().unwrap().to_string();

        // Not someone else's, not this one.
        let res = app
            .call(&bob, "account/sessions/end", &[("id", &phone_id)])
            .await;
        assert_eq!(res.status(), 404);
        assert_eq!(who(&app, &phone).await.as_deref(), Some("alice"));
        let res = app
            .call(&laptop, "account/sessions/end", &[("id", &own_id)])
            .await;
        assert_eq!(res.status(), 422);
        // The phone is signed out on its very next request.
        let res = app
            .call(&laptop, "account/sessions/end", &[("id", &phone_id)])
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(who(&app, &phone).await, None);
        assert_eq!(who(&app, &laptop).await.as_deref(), Some("alice"));
        assert_eq!(
            json(app.call(&laptop, "account/sessions", &[]).await)
                .await
                .as_array()
                .unwrap()
                .len(),
            2
        );
        // All others: the first browser goes too, this one stays.
        let n = json(app.call(&laptop, "account/sessions/end_others", &[]).await).await;
        assert_eq!(n, 1);
        assert_eq!(who(&app, &alice).await, None);
        assert_eq!(who(&app, &laptop).await.as_deref(), Some("alice"));
        assert_eq!(
            who(&app, &bob).await.as_deref(),
            Some("bob"),
            "nobody else's session"
        );
        let actions = app.audit_actions().await;
        assert!(actions.contains(&"account.session.end".to_string()));
        assert!(actions.contains(&"account.session.end_others".to_string()));
    }
);

db_test!(preferences_follow_the_person_to_any_browser, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = signed_up(&app, "alice").await;
    let set = |theme: &'static str, zone: &'static str| {
        let app = &app;
        let alice = &alice;
        async move {
            app.call(
                alice,
                "account/preferences/set",
                &[("theme", theme), ("time_zone", zone)],
            )
            .await
        }
    };
    let e = json(set("purple", "Mars/Olympus").await).await.to_string();
    assert!(
        e.contains("\"theme\"") && e.contains("\"time_zone\""),
        "{e}"
    );
    let res = set("dark", "Europe/Paris").await;
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("motto_theme=dark;"), "{cookie}");
    let prefs = json(app.call(&alice, "account/preferences", &[]).await).await;
    assert_eq!(prefs["theme"], "Dark");
    assert_eq!(prefs["time_zone"], "Europe/Paris");
    assert!(prefs["zones"].as_array().unwrap().len() > 300);
    // Another browser gets the theme at login, and the zone with the user.
    let other = app.new_client();
    let res = app.login_with(&other, "alice", GOOD_PASSWORD).await;
    let cookies: Vec<_> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("motto_theme=dark;")),
        "{cookies:?}"
    );
    let page = other
        .get(format!("{}/account", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("data-theme=\"dark\""),
        "the page renders dark"
    );
    assert_eq!(
        json(app.call(&other, "me", &[]).await).await["time_zone"],
        "Europe/Paris"
    );
    // Back to the browser's zone.
    assert_eq!(set("system", "").await.status(), 200);
    assert!(json(app.call(&alice, "me", &[]).await).await["time_zone"].is_null());
    assert!(app
        .audit_actions()
        .await
        .contains(&"account.preferences.change".to_string()));
});
