//! Single sign-on (#20) against a real, certified OpenID Provider: panva's
//! `oidc-provider` from npm, started on loopback by `end2end/oidc/provider.mjs`
//! (one process for the whole test run; each test registers its own client by
//! dynamic registration and its own people). The provider's own pages are
//! driven as a browser would: one cookie jar, its redirects followed, up to the
//! moment it sends the browser back to Motto.

use crate::admin::admin;
use crate::db_test;
use crate::helpers::{json, signed_up, uuid_like, TestApp, TestAppBuilder, GOOD_PASSWORD};
use motto::api::account::{SsoStatus, SsoUnlink};
use motto::api::admin::{AdminLinkSso, AdminUserSso};
use motto::api::auth::{GetCurrentUser, LoginOptions};
use motto::api::documents::GetDocument;
use motto::api::spaces::{AddGroupMember, CreateGroup, CreateSpace, MoveDocument, SetSpaceGroup};
use serde_json::json;
use std::io::BufRead;
use std::sync::OnceLock;

struct OpenIdProvider {
    issuer: String,
    /// Kept so the provider's standard input stays open: it exits when the
    /// test process does.
    _child: std::sync::Mutex<std::process::Child>,
}

/// The provider, started on first use.
fn provider() -> &'static OpenIdProvider {
    static PROVIDER: OnceLock<OpenIdProvider> = OnceLock::new();
    PROVIDER.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/end2end");
        assert!(
            std::path::Path::new(dir)
                .join("node_modules/oidc-provider")
                .exists(),
            "oidc-provider is not installed: run scripts/setup.sh --test (the test command does)"
        );
        let mut child = std::process::Command::new("node")
            .arg("oidc/provider.mjs")
            .args(["0", "--exit-with-stdin"])
            .current_dir(dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start node end2end/oidc/provider.mjs");
        let stdout = child.stdout.take().expect("provider stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let issuer = loop {
            let line = lines
                .next()
                .expect("the provider exited before it was ready")
                .expect("provider output");
            if let Some(issuer) = line.strip_prefix("READY ") {
                break issuer.trim().to_string();
            }
        };
        OpenIdProvider {
            issuer,
            _child: std::sync::Mutex::new(child),
        }
    })
}

/// Motto's client at the provider, registered for one test.
struct Client {
    id: String,
    secret: String,
}

async fn register_client() -> Client {
    register_client_with(json!({})).await
}

/// A client registered with `extra` metadata (e.g. its authentication method).
async fn register_client_with(extra: serde_json::Value) -> Client {
    // Motto's redirect URI is built from PUBLIC_URL, which tests leave at its
    // default; the browser below carries the answer to the test app's real port.
    let mut metadata = json!({
        "redirect_uris": ["http://127.0.0.1:3000/auth/oidc/callback"],
        "post_logout_redirect_uris": ["http://127.0.0.1:3000/login"],
    });
    for (k, v) in extra.as_object().unwrap() {
        metadata[k] = v.clone();
    }
    let res = reqwest::Client::new()
        .post(format!("{}/reg", provider().issuer))
        .json(&metadata)
        .send()
        .await
        .expect("register a client");
    assert_eq!(res.status(), 201, "client registration");
    let body: serde_json::Value = res.json().await.unwrap();
    Client {
        id: body["client_id"].as_str().unwrap().to_string(),
        secret: body["client_secret"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    }
}

async fn control(path: &str, body: serde_json::Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/__test/{path}", provider().issuer))
        .json(&body)
        .send()
        .await
        .expect("provider control");
    assert_eq!(res.status(), 204, "{path}");
}

/// A person at the provider (replaced if the subject exists), with a unique subject.
async fn person(name: &str, email: &str, groups: &[&str]) -> String {
    let sub = format!("{name}-{}", uuid_like());
    set_person(&sub, name, email, groups).await;
    sub
}

async fn set_person(sub: &str, name: &str, email: &str, groups: &[&str]) {
    control(
        "accounts",
        json!({
            "sub": sub,
            "email": email,
            "email_verified": true,
            "name": name,
            "preferred_username": name,
            "groups": groups,
        }),
    )
    .await;
}

async fn tamper(client: &Client, mode: &str) {
    control("tamper", json!({ "client_id": client.id, "mode": mode })).await;
}

/// An app that signs people in through the provider with `client`.
fn with_sso(builder: TestAppBuilder, client: &Client, extra: &[(&str, &str)]) -> TestAppBuilder {
    let issuer = provider().issuer.clone();
    builder
        .vars(&[
            ("OIDC_ISSUER", issuer.as_str()),
            ("OIDC_CLIENT_ID", client.id.as_str()),
            ("OIDC_CLIENT_SECRET", client.secret.as_str()),
            ("OIDC_SCOPES", "openid email profile groups"),
            ("OIDC_DISPLAY_NAME", "Acme"),
            ("OIDC_GROUPS_CLAIM", "groups"),
        ])
        .vars(extra)
}

async fn sso_app(backend: crate::helpers::Backend, extra: &[(&str, &str)]) -> (TestApp, Client) {
    let client = register_client().await;
    let app = with_sso(TestApp::on(backend), &client, extra).spawn().await;
    (app, client)
}

/// A browser: one cookie jar for Motto and the provider, following redirects
/// to the provider (and within it) but stopping at any redirect to Motto, so
/// the test sees Motto's answers as they are.
fn browser() -> reqwest::Client {
    let issuer = provider().issuer.clone();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.url().as_str().starts_with(&issuer) && attempt.previous().len() < 20 {
                attempt.follow()
            } else {
                attempt.stop()
            }
        }))
        .build()
        .unwrap()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// Someone with a Motto account and password, signed in on a [`browser`].
async fn local_browser(app: &TestApp, name: &str) -> reqwest::Client {
    signed_up(app, name).await;
    let b = browser();
    assert_eq!(app.login_with(&b, name, GOOD_PASSWORD).await.status(), 200);
    b
}

/// Start at Motto, arrive at the provider's sign-in page: its URL. Linking
/// starts with a form's POST, signing in with a link.
async fn begin(app: &TestApp, b: &reqwest::Client, path: &str) -> String {
    let url = format!("{}{path}", app.url);
    let res = if path == "/auth/oidc/link" {
        b.post(url).send().await.unwrap()
    } else {
        b.get(url).send().await.unwrap()
    };
    assert_eq!(res.status(), 200, "the provider's sign-in page");
    let url = res.url().to_string();
    assert!(url.contains("/interaction/"), "{url}");
    url
}

/// Sign in at the provider as `sub` (or cancel): the callback URL it sends the
/// browser to, carried to the test app's port.
async fn at_provider(
    app: &TestApp,
    b: &reqwest::Client,
    interaction: &str,
    sub: Option<&str>,
) -> String {
    let res = match sub {
        Some(sub) => b
            .post(format!("{interaction}/login"))
            .form(&[("login", sub)])
            .send()
            .await
            .unwrap(),
        None => b.post(format!("{interaction}/abort")).send().await.unwrap(),
    };
    let to = location(&res);
    assert!(to.contains("/auth/oidc/callback"), "{} {to}", res.status());
    to.replace("http://127.0.0.1:3000", &app.url)
}

/// Motto's answer to the callback.
async fn back_at_motto(b: &reqwest::Client, callback: &str) -> reqwest::Response {
    b.get(callback).send().await.unwrap()
}

/// The whole sign-in; Motto's answer to the callback.
async fn sign_in(app: &TestApp, b: &reqwest::Client, sub: &str) -> reqwest::Response {
    let interaction = begin(app, b, "/auth/oidc/start?next=/documents").await;
    let callback = at_provider(app, b, &interaction, Some(sub)).await;
    back_at_motto(b, &callback).await
}

async fn me(app: &TestApp, b: &reqwest::Client) -> serde_json::Value {
    json(app.invoke(b, GetCurrentUser {}).await).await
}

/// The reasons of refused single sign-ons in the audit log, oldest first.
async fn refusals(app: &TestApp) -> Vec<String> {
    let rows: Vec<(String,)> = motto::on_pool!(&app.state.db, pool => sqlx::query_as(
        "SELECT details FROM audit_events WHERE action = 'auth.sso.login.failure' ORDER BY id")
        .fetch_all(pool)
        .await)
    .unwrap();
    rows.into_iter()
        .map(|(d,)| {
            let v: serde_json::Value = serde_json::from_str(&d).unwrap();
            v["reason"].as_str().unwrap().to_string()
        })
        .collect()
}

async fn audit_details(app: &TestApp, action: &str) -> Vec<serde_json::Value> {
    let rows: Vec<(String,)> = motto::on_pool!(&app.state.db, pool => sqlx::query_as(
        "SELECT details FROM audit_events WHERE action = $1 ORDER BY id")
        .bind(action)
        .fetch_all(pool)
        .await)
    .unwrap();
    rows.into_iter()
        .map(|(d,)| serde_json::from_str(&d).unwrap())
        .collect()
}

db_test!(
    a_first_sign_in_creates_the_account_and_the_next_finds_it,
    |backend| {
        let (app, _) = sso_app(backend, &[]).await;
        let options = json(app.invoke(&app.client, LoginOptions {}).await).await;
        assert_eq!(options["provider"], "Acme", "{options}");
        assert_eq!(options["local"], true);

        let sub = person("erin", "erin@acme.example", &[]).await;
        let b = browser();
        let res = sign_in(&app, &b, &sub).await;
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), "/documents");
        let who = me(&app, &b).await;
        assert_eq!(who["username"], "erin", "{who}");
        assert_eq!(who["email"], "erin@acme.example");
        assert_eq!(who["email_confirmed"], true);
        let users = app.count("users").await;

        // Another browser, the same person: the same account, nothing new.
        let again = browser();
        assert_eq!(sign_in(&app, &again, &sub).await.status(), 303);
        assert_eq!(me(&app, &again).await["id"], who["id"]);
        assert_eq!(app.count("users").await, users);
        let actions = app.audit_actions().await;
        assert_eq!(
            actions
                .iter()
                .filter(|a| *a == "auth.sso.login.success")
                .count(),
            2
        );
        assert_eq!(actions.iter().filter(|a| *a == "auth.sso.link").count(), 1);

        // Two-factor authentication required of everyone: the provider is trusted
        // for its own, so this session is not sent to set up Motto's.
        let (root, _) = admin(&app, "root").await;
        let res = app
            .call(
                &root,
                "admin/settings/two_factor/set",
                &[("required_for", "everyone")],
            )
            .await;
        assert_eq!(res.status(), 200);
        let res = b
            .get(format!("{}/documents", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "sent to {}", location(&res));

        // An account made this way has no password: it cannot unlink itself into
        // having no way in.
        let status = json(app.invoke(&b, SsoStatus {}).await).await;
        assert_eq!(status["has_password"], false, "{status}");
        assert!(status["linked_at"].is_string());
        assert_eq!(status["this_session"], true);
        assert_eq!(app.invoke(&b, SsoUnlink {}).await.status(), 422);

        // Logging out offers to sign out at the provider too.
        let res = app.call(&b, "logout", &[]).await;
        assert!(
            location(&res).contains("/login?signed_out=sso"),
            "{:?}",
            res.headers()
        );
        let res = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}/auth/oidc/logout", app.url))
            .send()
            .await
            .unwrap();
        let end = location(&res);
        assert!(
            end.starts_with(&format!("{}/session/end", provider().issuer)),
            "{end}"
        );
        assert!(end.contains("post_logout_redirect_uri="), "{end}");
        app.stop().await;
    }
);

db_test!(without_creation_only_linked_accounts_get_in, |backend| {
    let (app, _) = sso_app(backend, &[("OIDC_CREATE_ACCOUNTS", "false")]).await;
    let sub = person("frank", "frank@acme.example", &[]).await;
    let users = app.count("users").await;
    let res = sign_in(&app, &browser(), &sub).await;
    assert_eq!(location(&res), "/login?sso_error=no_account");
    assert_eq!(app.count("users").await, users, "nothing half-created");
    assert_eq!(refusals(&app).await, ["no_account"]);

    // Frank has a Motto account: he signs in with his password and links Acme.
    let frank = local_browser(&app, "frank").await;
    let interaction = begin(&app, &frank, "/auth/oidc/link").await;
    let callback = at_provider(&app, &frank, &interaction, Some(&sub)).await;
    let res = back_at_motto(&frank, &callback).await;
    assert_eq!(location(&res), "/account?sso=linked");
    let b = browser();
    assert_eq!(sign_in(&app, &b, &sub).await.status(), 303);
    assert_eq!(me(&app, &b).await["username"], "frank");

    // An administrator links olivia's account to her subject at the provider.
    let (root, _) = admin(&app, "root").await;
    let olivia_local = signed_up(&app, "olivia").await;
    let olivia_id = me(&app, &olivia_local).await["id"].as_i64().unwrap();
    let olivia = person("olivia", "olivia@acme.example", &[]).await;
    let link = |subject: &str| AdminLinkSso {
        id: olivia_id,
        subject: subject.into(),
    };
    assert_eq!(app.invoke(&root, link("")).await.status(), 422);
    assert_eq!(
        app.invoke(&root, link(&sub)).await.status(),
        422,
        "frank's subject"
    );
    assert_eq!(app.invoke(&root, link(&olivia)).await.status(), 200);
    let view = json(app.invoke(&root, AdminUserSso { id: olivia_id }).await).await;
    assert_eq!(view["subject"], olivia.as_str(), "{view}");
    let b = browser();
    assert_eq!(sign_in(&app, &b, &olivia).await.status(), 303);
    assert_eq!(me(&app, &b).await["username"], "olivia");
    let details = audit_details(&app, "auth.sso.link").await;
    assert_eq!(details.last().unwrap()["by_admin"], true);

    // A disabled account does not get in through the provider either.
    let res = app
        .call(
            &root,
            "admin/user/act",
            &[("id", &olivia_id.to_string()), ("action", "disable")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let b = browser();
    assert_eq!(
        location(&sign_in(&app, &b, &olivia).await),
        "/login?sso_error=disabled"
    );
    assert!(me(&app, &b).await.is_null());
    assert_eq!(refusals(&app).await, ["no_account", "disabled"]);
    app.stop().await;
});

db_test!(
    asvs_10_5_2_an_email_match_alone_never_links_an_account,
    |backend| {
        let (app, _) = sso_app(backend, &[]).await;
        // grace has a local account; someone at the provider has her address.
        let grace = local_browser(&app, "grace").await;
        let email = me(&app, &grace).await["email"]
            .as_str()
            .unwrap()
            .to_string();
        let impostor = person("impostor", &email, &[]).await;
        let users = app.count("users").await;
        let b = browser();
        let res = sign_in(&app, &b, &impostor).await;
        assert_eq!(location(&res), "/login?sso_error=email_in_use");
        assert!(
            me(&app, &b).await.is_null(),
            "signed in as grace by email alone"
        );
        assert_eq!(app.count("users").await, users);
        assert_eq!(app.count("user_identities").await, 0);

        // Linking from her own session, then unlinking (she has a password).
        let real = person("grace", &email, &[]).await;
        let interaction = begin(&app, &grace, "/auth/oidc/link").await;
        let callback = at_provider(&app, &grace, &interaction, Some(&real)).await;
        assert_eq!(
            location(&back_at_motto(&grace, &callback).await),
            "/account?sso=linked"
        );
        // Another Motto account cannot take the same provider account.
        let heidi = local_browser(&app, "heidi").await;
        let interaction = begin(&app, &heidi, "/auth/oidc/link").await;
        let callback = at_provider(&app, &heidi, &interaction, Some(&real)).await;
        assert_eq!(
            location(&back_at_motto(&heidi, &callback).await),
            "/account?sso_error=already_linked"
        );
        assert_eq!(app.invoke(&grace, SsoUnlink {}).await.status(), 200);
        assert_eq!(app.count("user_identities").await, 0);
        let actions = app.audit_actions().await;
        assert!(actions.contains(&"auth.sso.unlink".to_string()));
        app.stop().await;
    }
);

db_test!(
    groups_from_the_provider_decide_what_a_person_reads,
    |backend| {
        let (app, _) = sso_app(backend, &[]).await;
        let (root, _) = admin(&app, "root").await;
        // Before anyone signs in, the administrator gives the provider's group
        // "engineering" a place in a space.
        let res = app
            .invoke(
                &root,
                CreateGroup {
                    name: "engineering".into(),
                },
            )
            .await;
        assert_eq!(res.status(), 200);
        let group = json(res).await.as_i64().unwrap();
        let res = app
            .invoke(
                &root,
                CreateSpace {
                    name: "Handbook".into(),
                    description: String::new(),
                },
            )
            .await;
        let space = json(res).await.as_i64().unwrap();
        let doc = app
            .documents(&root)
            .create("On-call", "Who answers the pager")
            .await;
        assert_eq!(
            app.invoke(&root, MoveDocument { id: doc, space })
                .await
                .status(),
            200
        );
        let res = app
            .invoke(
                &root,
                SetSpaceGroup {
                    space,
                    group: "engineering".into(),
                    role: "viewer".into(),
                },
            )
            .await;
        assert_eq!(res.status(), 200);

        let ivan = person("ivan", "ivan@acme.example", &["engineering", "everyone"]).await;
        let b = browser();
        assert_eq!(sign_in(&app, &b, &ivan).await.status(), 303);
        assert_eq!(app.invoke(&b, GetDocument { id: doc }).await.status(), 200);
        let sync = audit_details(&app, "auth.sso.group_sync").await;
        assert_eq!(
            sync[0]["added"],
            json!(["engineering", "everyone"]),
            "{sync:?}"
        );
        // The membership is the provider's: not editable here.
        let res = app
            .invoke(
                &root,
                AddGroupMember {
                    group,
                    username: "root".into(),
                },
            )
            .await;
        assert_eq!(res.status(), 422);

        // Removed from the group at the provider: gone at the next sign-in.
        set_person(&ivan, "ivan", "ivan@acme.example", &["everyone"]).await;
        let b = browser();
        assert_eq!(sign_in(&app, &b, &ivan).await.status(), 303);
        assert_ne!(app.invoke(&b, GetDocument { id: doc }).await.status(), 200);
        let sync = audit_details(&app, "auth.sso.group_sync").await;
        assert_eq!(sync[1]["removed"], json!(["engineering"]), "{sync:?}");
        app.stop().await;
    }
);

db_test!(the_administrator_role_follows_the_admin_group, |backend| {
    let (app, _) = sso_app(backend, &[("OIDC_ADMIN_GROUP", "motto-admins")]).await;
    let _root = admin(&app, "root").await;
    let judy = person("judy", "judy@acme.example", &["motto-admins"]).await;
    let b = browser();
    assert_eq!(sign_in(&app, &b, &judy).await.status(), 303);
    assert_eq!(me(&app, &b).await["role"], "admin");
    set_person(&judy, "judy", "judy@acme.example", &[]).await;
    let b = browser();
    assert_eq!(sign_in(&app, &b, &judy).await.status(), 303);
    assert_eq!(me(&app, &b).await["role"], "user");
    assert_eq!(audit_details(&app, "auth.sso.role_sync").await.len(), 2);
    app.stop().await;
});

db_test!(
    asvs_10_5_1_forged_id_tokens_are_refused_and_audited,
    |backend| {
        let (app, client) = sso_app(backend, &[]).await;
        let kim = person("kim", "kim@acme.example", &[]).await;
        let users = app.count("users").await;
        let mut expected = Vec::new();
        for (mode, reason) in [
            ("other_key", "invalid_token"),
            ("alg_none", "invalid_token"),
            ("expired", "token_expired"),
            ("wrong_nonce", "invalid_token"),
        ] {
            tamper(&client, mode).await;
            let b = browser();
            let res = sign_in(&app, &b, &kim).await;
            assert_eq!(
                location(&res),
                format!("/login?sso_error={reason}"),
                "{mode}"
            );
            assert!(me(&app, &b).await.is_null(), "{mode} signed someone in");
            expected.push(reason.to_string());
        }
        assert_eq!(
            app.count("users").await,
            users,
            "a forged token made an account"
        );

        // The provider rotates its signing key: Motto fetches the new key and accepts.
        tamper(&client, "rotated").await;
        let b = browser();
        assert_eq!(location(&sign_in(&app, &b, &kim).await), "/documents");
        tamper(&client, "none").await;
        assert_eq!(refusals(&app).await, expected);
        app.stop().await;
    }
);

db_test!(
    asvs_10_5_4_a_token_for_another_client_is_refused,
    |backend| {
        let (app, client) = sso_app(backend, &[]).await;
        let kim = person("kim", "kim@acme.example", &[]).await;
        tamper(&client, "wrong_audience").await;
        let b = browser();
        assert_eq!(
            location(&sign_in(&app, &b, &kim).await),
            "/login?sso_error=invalid_token"
        );
        assert!(me(&app, &b).await.is_null());
        let details = audit_details(&app, "auth.sso.login.failure").await;
        assert!(
            details[0]["detail"].as_str().unwrap().contains("audience"),
            "{details:?}"
        );
        app.stop().await;
    }
);

db_test!(
    asvs_10_1_2_an_answer_counts_once_and_only_in_the_browser_that_asked,
    |backend| {
        let (app, _) = sso_app(backend, &[]).await;
        let kim = person("kim", "kim@acme.example", &[]).await;

        // A state that is not this browser's.
        let b = browser();
        let interaction = begin(&app, &b, "/auth/oidc/start").await;
        let callback = at_provider(&app, &b, &interaction, Some(&kim)).await;
        let forged = with_state(&callback, "forged-state");
        assert_eq!(
            location(&back_at_motto(&b, &forged).await),
            "/login?sso_error=expired_state"
        );
        // The real answer, carried to another browser (which never started a flow).
        let elsewhere = browser();
        assert_eq!(
            location(&back_at_motto(&elsewhere, &callback).await),
            "/login?sso_error=expired_state"
        );
        assert!(me(&app, &elsewhere).await.is_null());

        // A good sign-in; the same answer again (its flow is over); its code with
        // a new flow's state (the provider refuses the used code).
        let b = browser();
        let interaction = begin(&app, &b, "/auth/oidc/start").await;
        let callback = at_provider(&app, &b, &interaction, Some(&kim)).await;
        assert_eq!(back_at_motto(&b, &callback).await.status(), 303);
        assert_eq!(me(&app, &b).await["username"], "kim");
        let replay = back_at_motto(&b, &callback).await;
        assert_eq!(location(&replay), "/login?sso_error=expired_state");
        let other = browser();
        let interaction = begin(&app, &other, "/auth/oidc/start").await;
        let fresh = at_provider(&app, &other, &interaction, Some(&kim)).await;
        let state = query_value(&fresh, "state");
        let stolen = with_state(&callback, &state);
        assert_eq!(
            location(&back_at_motto(&other, &stolen).await),
            "/login?sso_error=code_rejected"
        );
        assert_eq!(
            refusals(&app).await,
            [
                "expired_state",
                "expired_state",
                "expired_state",
                "code_rejected"
            ]
        );
        app.stop().await;
    }
);

db_test!(
    asvs_10_5_3_a_provider_that_names_itself_otherwise_is_refused,
    |backend| {
        // The metadata's issuer must be exactly the configured one: here the
        // configuration says ".../" and the provider says "..." (no slash).
        let client = register_client().await;
        let issuer = format!("{}/", provider().issuer);
        let app = TestApp::on(backend)
            .vars(&[
                ("OIDC_ISSUER", issuer.as_str()),
                ("OIDC_CLIENT_ID", client.id.as_str()),
                ("OIDC_CLIENT_SECRET", client.secret.as_str()),
            ])
            .spawn()
            .await;
        let res = app.get("/auth/oidc/start").await;
        assert_eq!(location(&res), "/login?sso_error=provider_error");
        assert_eq!(refusals(&app).await, ["provider_error"]);
        app.stop().await;
    }
);

db_test!(
    refusals_at_the_provider_and_a_provider_down_are_explained,
    |backend| {
        let (app, _) = sso_app(backend, &[]).await;
        let b = browser();
        let interaction = begin(&app, &b, "/auth/oidc/start").await;
        let callback = at_provider(&app, &b, &interaction, None).await;
        assert_eq!(
            location(&back_at_motto(&b, &callback).await),
            "/login?sso_error=access_denied"
        );

        // The login page explains the reason next to the button.
        let page = app
            .get("/login?sso_error=access_denied")
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("consent was refused"), "{page}");
        assert!(page.contains("Sign in with Acme"));

        // A provider nobody answers for.
        let down = crate::helpers::free_port();
        let client = Client {
            id: "motto".into(),
            secret: "secret".into(),
        };
        let issuer = format!("http://127.0.0.1:{down}");
        let app2 = TestApp::on(backend)
            .vars(&[
                ("OIDC_ISSUER", issuer.as_str()),
                ("OIDC_CLIENT_ID", client.id.as_str()),
                ("OIDC_CLIENT_SECRET", client.secret.as_str()),
            ])
            .spawn()
            .await;
        let res = app2.get("/auth/oidc/start").await;
        assert_eq!(location(&res), "/login?sso_error=provider_unreachable");
        assert_eq!(refusals(&app2).await, ["provider_unreachable"]);
        app2.stop().await;
        app.stop().await;
    }
);

db_test!(login_methods_decide_who_may_use_a_password, |backend| {
    // Only the provider: no password form, no password login, no registration.
    let (app, _) = sso_app(backend, &[("LOGIN_METHODS", "oidc")]).await;
    let options = json(app.invoke(&app.client, LoginOptions {}).await).await;
    assert_eq!(options["local"], false, "{options}");
    assert_eq!(options["registration_open"], false);
    let page = app.get("/login").await.text().await.unwrap();
    assert!(
        !page.contains("current-password"),
        "the password form is shown"
    );
    let res = app.login("root", GOOD_PASSWORD).await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Password login is turned off"));
    app.stop().await;

    // Break-glass: the password is for administrators only.
    let (app, _) = sso_app(
        backend,
        &[
            ("LOGIN_METHODS", "local,oidc"),
            ("LOCAL_LOGIN_ADMINS_ONLY", "true"),
        ],
    )
    .await;
    // `admin` signs the administrator in with the password: break-glass works.
    let _root = admin(&app, "root").await;
    // Someone who is not an administrator gets a wrong password's answer.
    let (_, mallory) = admin(&app, "mallory").await;
    motto::on_pool!(&app.state.db, pool => sqlx::query("UPDATE users SET role = 'user' WHERE id = $1")
        .bind(mallory)
        .execute(pool)
        .await
        .map(|_| ()))
    .unwrap();
    let res = app
        .login_with(&app.new_client(), "mallory", GOOD_PASSWORD)
        .await;
    assert_eq!(res.status(), 422);
    let options = json(app.invoke(&app.client, LoginOptions {}).await).await;
    assert_eq!(options["local_admins_only"], true);
    app.stop().await;
});

db_test!(
    motto_can_prove_itself_with_a_private_key_instead_of_a_secret,
    |backend| {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
        let public: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{fixtures}/oidc-client-key.pub.json")).unwrap(),
        )
        .unwrap();
        let client = register_client_with(json!({
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "RS256",
            "jwks": { "keys": [public] },
        }))
        .await;
        let issuer = provider().issuer.clone();
        let app_with_key = |key: &str| {
            let key = format!("{fixtures}/{key}.pem");
            TestApp::on(backend).vars(&[
                ("OIDC_ISSUER", issuer.as_str()),
                ("OIDC_CLIENT_ID", client.id.as_str()),
                ("OIDC_CLIENT_AUTH", "private_key_jwt"),
                ("OIDC_PRIVATE_KEY_FILE", key.as_str()),
                ("OIDC_PRIVATE_KEY_ID", "oidc-client-key"),
            ])
        };
        let app = app_with_key("oidc-client-key").spawn().await;
        let pat = person("pat", "pat@acme.example", &[]).await;
        let b = browser();
        assert_eq!(location(&sign_in(&app, &b, &pat).await), "/documents");
        assert_eq!(me(&app, &b).await["username"], "pat");
        app.stop().await;

        // Signed with a key the provider does not hold: refused, and said so.
        let app = app_with_key("oidc-stranger-key").spawn().await;
        let res = sign_in(&app, &browser(), &pat).await;
        assert_eq!(location(&res), "/login?sso_error=client_rejected");
        assert_eq!(refusals(&app).await, ["client_rejected"]);
        app.stop().await;
    }
);

fn query_value(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// `url` with its `state` parameter replaced.
fn with_state(url: &str, state: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                state.to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}
