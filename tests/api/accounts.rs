//! Accounts and sessions: register, log in, log out, timeouts, the first admin.

use crate::db_test;
use crate::helpers::{motto_cli_stdin, TestApp, GOOD_PASSWORD, TEST_KEY};
use motto::server::db::audit;

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("motto_session="))
        .map(|c| c.split(';').next().unwrap().to_string())
}

fn cookie_names(res: &reqwest::Response) -> Vec<String> {
    let mut names: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|c| c.split('=').next().unwrap().to_string())
        .collect();
    names.sort();
    names
}

async fn json(res: reqwest::Response) -> serde_json::Value {
    res.json().await.expect("JSON body")
}

/// The message for `field` in a server function's validation error.
fn field_message(body: &serde_json::Value, field: &str) -> Option<String> {
    body["Validation"]
        .as_array()?
        .iter()
        .find(|e| e["field"] == field)
        .and_then(|e| e["message"].as_str())
        .map(str::to_string)
}

async fn account_status(app: &TestApp, client: &reqwest::Client) -> (u16, Option<String>) {
    let res = client
        .get(format!("{}/account", app.url))
        .send()
        .await
        .unwrap();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (res.status().as_u16(), location)
}

db_test!(register_login_logout_round_trip, |backend| {
    let app = TestApp::spawn(backend).await;
    // Anonymous: the protected page sends the visitor to log in, and comes back after.
    assert_eq!(
        account_status(&app, &app.client).await,
        (303, Some("/login?next=%2Faccount".to_string()))
    );

    let res = app
        .register("alice", "alice@example.com", GOOD_PASSWORD)
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    // Registration signs the new person in.
    let page = app.get("/account").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("alice@example.com"));

    assert_eq!(app.logout().await.status(), 200);
    assert_eq!(account_status(&app, &app.client).await.0, 303);

    let res = app.login("ALICE", GOOD_PASSWORD).await;
    assert_eq!(res.status(), 200);
    assert_eq!(account_status(&app, &app.client).await.0, 200);
    // Email works as the login name too, once confirmed.
    crate::helpers::confirm_email(&app, "alice@example.com").await;
    let other = app.new_client();
    assert_eq!(
        app.login_with(&other, "Alice@Example.com", GOOD_PASSWORD)
            .await
            .status(),
        200
    );

    let me: serde_json::Value = json(app.call(&app.client, "me", &[]).await).await;
    assert_eq!(me["username"], "alice");
    assert_eq!(me["role"], "user");
    assert!(me.get("password_hash").is_none());

    let actions = app.audit_actions().await;
    for expected in ["auth.register", "auth.logout", "auth.login.success"] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} missing: {actions:?}"
        );
    }
    assert!(audit::verify(&app.state.db).await.unwrap().is_intact());
    app.stop().await;
});

db_test!(asvs_7_2_4_session_id_changes_at_login, |backend| {
    let app = TestApp::spawn(backend).await;
    let res = app.register("bob", "bob@example.com", GOOD_PASSWORD).await;
    let first = session_cookie(&res).expect("session cookie after registration");
    let res = app.login("bob", GOOD_PASSWORD).await;
    let second = session_cookie(&res).expect("session cookie after login");
    assert_ne!(first, second, "session id not rotated at login");
    // The old id is worth nothing now.
    let stale = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = stale
        .get(format!("{}/account", app.url))
        .header("cookie", &first)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    app.stop().await;
});

db_test!(asvs_7_4_1_old_cookie_is_dead_after_logout, |backend| {
    let app = TestApp::spawn(backend).await;
    let res = app
        .register("carol", "carol@example.com", GOOD_PASSWORD)
        .await;
    let cookie = session_cookie(&res).unwrap();
    app.logout().await;
    let res = app
        .new_client()
        .get(format!("{}/account", app.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "a logged-out session still works");
    app.stop().await;
});

fn raw_session_cookie(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie"))
        .to_string()
}

db_test!(asvs_3_3_4_session_cookie_is_httponly, |backend| {
    let app = TestApp::spawn(backend).await;
    let res = app
        .register("dave", "dave@example.com", GOOD_PASSWORD)
        .await;
    let raw = raw_session_cookie(&res, "motto_session");
    assert!(raw.contains("HttpOnly"), "{raw}");
    assert!(raw.contains("Path=/"), "{raw}");
    app.stop().await;
});

db_test!(asvs_3_3_2_session_cookie_is_samesite_lax, |backend| {
    let app = TestApp::spawn(backend).await;
    let res = app
        .register("dana", "dana@example.com", GOOD_PASSWORD)
        .await;
    let raw = raw_session_cookie(&res, "motto_session");
    assert!(raw.contains("SameSite=Lax"), "{raw}");
    app.stop().await;
});

db_test!(
    asvs_3_3_3_host_prefix_and_secure_when_served_over_https,
    |backend| {
        let app = TestApp::on(backend)
            .vars(&[("PUBLIC_URL", "https://motto.example.com")])
            .spawn()
            .await;
        let res = app
            .register("dora", "dora@example.com", GOOD_PASSWORD)
            .await;
        let raw = raw_session_cookie(&res, "__Host-motto_session");
        assert!(raw.contains("Secure"), "{raw}");
        assert!(raw.contains("Path=/"), "{raw}");
        assert!(!raw.to_ascii_lowercase().contains("domain="), "{raw}");
        app.stop().await;
    }
);

db_test!(asvs_7_2_3_session_ids_are_long_and_random, |backend| {
    let app = TestApp::spawn(backend).await;
    app.register("dina", "dina@example.com", GOOD_PASSWORD)
        .await;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..3 {
        let res = app
            .login_with(&app.new_client(), "dina", GOOD_PASSWORD)
            .await;
        let cookie = session_cookie(&res).unwrap();
        let value = cookie.split('=').nth(1).unwrap().to_string();
        // 128 bits, base64: at least 22 characters.
        assert!(value.len() >= 22, "{value}");
        assert!(seen.insert(value), "session id repeated");
    }
    app.stop().await;
});

db_test!(asvs_7_2_1_a_forged_session_id_is_refused, |backend| {
    let app = TestApp::spawn(backend).await;
    let res = app
        .new_client()
        .get(format!("{}/account", app.url))
        .header("cookie", "motto_session=AAAAAAAAAAAAAAAAAAAAAA")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    app.stop().await;
});

db_test!(
    asvs_6_2_8_password_is_compared_exactly_as_typed,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let password = "Violet Ferry Lantern Quietly";
        assert_eq!(
            app.register("eddy", "eddy@example.com", password)
                .await
                .status(),
            200
        );
        for variant in [
            "violet ferry lantern quietly",
            "Violet Ferry Lantern Quietly ",
            "Violet Ferry Lantern Quietl",
        ] {
            let res = app.login_with(&app.new_client(), "eddy", variant).await;
            assert_eq!(res.status(), 422, "{variant:?} accepted");
        }
        assert_eq!(
            app.login_with(&app.new_client(), "eddy", password)
                .await
                .status(),
            200
        );
        app.stop().await;
    }
);

db_test!(
    asvs_16_2_1_audit_events_say_who_what_when_where,
    |backend| {
        let app = TestApp::spawn(backend).await;
        app.register("fred", "fred@example.com", GOOD_PASSWORD)
            .await;
        let res = app
            .new_client()
            .post(format!("{}/api/login", app.url))
            .header("user-agent", "audit-test-agent")
            .form(&[("login", "fred"), ("password", GOOD_PASSWORD)])
            .send()
            .await
            .unwrap();
        let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
        type Row = (
            Option<i64>,
            Option<String>,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let row: Row = motto::on_pool!(&app.state.db, pool => {
            sqlx::query_as(
                "SELECT actor_user_id, target_id, outcome, source_ip, user_agent, request_id \
                 FROM audit_events WHERE action = 'auth.login.success'",
            )
            .fetch_one(pool)
            .await
            .unwrap()
        });
        assert!(row.0.is_some());
        assert_eq!(row.1, row.0.map(|id| id.to_string()));
        assert_eq!(row.2, "success");
        assert_eq!(row.3.as_deref(), Some("127.0.0.1"));
        assert_eq!(row.4.as_deref(), Some("audit-test-agent"));
        assert_eq!(row.5.as_deref(), Some(request_id.as_str()));
        app.stop().await;
    }
);

db_test!(asvs_16_2_5_no_password_reaches_the_audit_log, |backend| {
    let app = TestApp::spawn(backend).await;
    app.register("gwen", "gwen@example.com", GOOD_PASSWORD)
        .await;
    app.login_with(&app.new_client(), "gwen", "violet ferry lantern typo!")
        .await;
    app.login_with(&app.new_client(), "gwen", GOOD_PASSWORD)
        .await;
    let dump: Vec<String> = motto::on_pool!(&app.state.db, pool => {
        sqlx::query_scalar(
            "SELECT details || COALESCE(user_agent, '') || COALESCE(target_id, '') FROM audit_events",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    });
    let all = dump.join("\n");
    assert!(!all.contains("violet"), "{all}");
    let hashes: Vec<String> = motto::on_pool!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT password_hash FROM users").fetch_all(pool).await.unwrap()
    });
    assert!(hashes
        .iter()
        .all(|h| h.starts_with("$argon2id$") && !h.contains("violet")));
    app.stop().await;
});

db_test!(asvs_15_3_1_the_current_user_carries_no_secrets, |backend| {
    let app = TestApp::spawn(backend).await;
    app.register("hugo", "hugo@example.com", GOOD_PASSWORD)
        .await;
    let me: serde_json::Value = json(app.call(&app.client, "me", &[]).await).await;
    let mut keys: Vec<&String> = me.as_object().unwrap().keys().collect();
    keys.sort();
    // Whether two-factor is on and the chosen zone are not secrets; the secret,
    // hashes and epoch are never here.
    assert_eq!(
        keys,
        [
            "email",
            "email_confirmed",
            "id",
            "role",
            "time_zone",
            "two_factor",
            "username"
        ]
    );
    app.stop().await;
});

db_test!(
    asvs_6_3_8_unknown_user_and_wrong_password_look_the_same,
    |backend| {
        let app = TestApp::spawn(backend).await;
        app.register("erin", "erin@example.com", GOOD_PASSWORD)
            .await;

        let a = app
            .login_with(&app.new_client(), "nobody-here", GOOD_PASSWORD)
            .await;
        let b = app
            .login_with(&app.new_client(), "erin", "violet ferry lantern loudly")
            .await;
        assert_eq!(a.status(), b.status());
        assert_eq!(a.status(), 422);
        assert_eq!(cookie_names(&a), cookie_names(&b));
        let (a, b) = (a.text().await.unwrap(), b.text().await.unwrap());
        assert_eq!(a, b);
        assert!(a.contains("Wrong username, email or password."), "{a}");

        // The reason is kept server-side, in the audit log.
        let reasons: Vec<String> = motto::on_pool!(&app.state.db, pool => {
            sqlx::query_scalar("SELECT details FROM audit_events WHERE action = 'auth.login.failure' ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap()
        });
        assert_eq!(reasons.len(), 2);
        assert!(reasons[0].contains("unknown_user"));
        assert!(reasons[1].contains("bad_password"));
        app.stop().await;
    }
);

db_test!(weak_common_and_overlong_passwords_are_refused, |backend| {
    let app = TestApp::spawn(backend).await;
    let too_long = "x".repeat(129);
    for (password, expect) in [
        ("short", "at least 12"),
        ("password1234", "too common"),
        ("frank-is-the-best-2026", "username"),
        (too_long.as_str(), "at most 128"),
    ] {
        let res = app.register("frank", "frank@example.com", password).await;
        assert_eq!(res.status(), 422, "{password}");
        let body = json(res).await;
        let message = field_message(&body, "password").unwrap_or_default();
        assert!(message.contains(expect), "{password}: {message}");
    }
    assert_eq!(app.count("users").await, 0);
    app.stop().await;
});

db_test!(mismatched_confirmation_is_refused, |backend| {
    let app = TestApp::spawn(backend).await;
    let res = app
        .call(
            &app.client,
            "register",
            &[
                ("username", "gina"),
                ("email", "gina@example.com"),
                ("password", GOOD_PASSWORD),
                ("password_confirm", "violet ferry lantern quiet"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(field_message(&json(res).await, "password_confirm").is_some());
    assert_eq!(app.count("users").await, 0);
    app.stop().await;
});

db_test!(
    duplicate_username_or_email_in_any_case_is_refused,
    |backend| {
        let app = TestApp::spawn(backend).await;
        assert_eq!(
            app.register("Henry", "henry@example.com", GOOD_PASSWORD)
                .await
                .status(),
            200
        );
        crate::helpers::confirm_email(&app, "henry@example.com").await;
        let other = TestApp::new_client(&app);

        let register = |username: &'static str, email: &'static str| {
            let app = &app;
            let other = other.clone();
            async move {
                app.call(
                    &other,
                    "register",
                    &[
                        ("username", username),
                        ("email", email),
                        ("password", GOOD_PASSWORD),
                        ("password_confirm", GOOD_PASSWORD),
                    ],
                )
                .await
            }
        };
        let body = json(register("HENRY", "someone@example.com").await).await;
        assert!(field_message(&body, "username").unwrap().contains("taken"));
        // Full-width letters normalise (NFKC) to the same name.
        let body = json(register("ｈｅｎｒｙ", "someone@example.com").await).await;
        assert!(field_message(&body, "username").unwrap().contains("taken"));
        assert_eq!(app.count("users").await, 1);
        // An owned address is not refused (that would say an account exists): the
        // account is made unconfirmed and the address's owner gets a note
        // (tests/api/email.rs).
        let res = register("henry2", "HENRY@example.COM").await;
        assert_eq!(res.status(), 200);
        let me = json(app.call(&other, "me", &[]).await).await;
        assert_eq!(me["email_confirmed"], false);
        crate::email::wait_for_mail(&app, "HENRY@example.COM", "already in use").await;
        app.stop().await;
    }
);

db_test!(bad_input_gets_field_errors_and_stores_nothing, |backend| {
    let app = TestApp::spawn(backend).await;
    let res = app.register("", "", "").await;
    assert_eq!(res.status(), 422);
    let body = json(res).await;
    for field in ["username", "email", "password"] {
        assert!(field_message(&body, field).is_some(), "{field}: {body}");
    }
    let res = app.register("ivan", "not-an-email", GOOD_PASSWORD).await;
    assert!(field_message(&json(res).await, "email").is_some());

    let huge = "a".repeat(1024 * 1024);
    let res = app
        .call(
            &app.new_client(),
            "register",
            &[
                ("username", huge.as_str()),
                ("email", "ivan@example.com"),
                ("password", GOOD_PASSWORD),
                ("password_confirm", GOOD_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(field_message(&json(res).await, "username").is_some());

    // Over the 2 MiB body limit: 413, or the connection closed while the client was
    // still sending (the server answers before reading the whole body).
    let larger_than_limit = "a".repeat(3 * 1024 * 1024);
    let res = app
        .new_client()
        .post(format!("{}/api/register", app.url))
        .form(&[
            ("username", "ivan"),
            ("password", larger_than_limit.as_str()),
        ])
        .send()
        .await;
    match res {
        Ok(res) => assert_eq!(res.status(), 413),
        Err(e) => assert!(e.is_request(), "{e}"),
    }

    // A missing field is a clear error, not a crash.
    let res = app
        .call(&app.client, "register", &[("username", "ivan")])
        .await;
    assert!(res.status().is_client_error() || res.status().is_server_error());
    assert_ne!(res.status(), 200);
    assert_eq!(app.count("users").await, 0);
    assert_eq!(app.get("/health").await.status(), 200);
    app.stop().await;
});

db_test!(next_parameter_only_allows_local_paths, |backend| {
    let app = TestApp::spawn(backend).await;
    app.register("judy", "judy@example.com", GOOD_PASSWORD)
        .await;
    for (next, expected) in [
        ("https://evil.example", "/"),
        ("//evil.example/x", "/"),
        ("/account", "/account"),
    ] {
        let res = app
            .call(
                &app.new_client(),
                "login",
                &[
                    ("login", "judy"),
                    ("password", GOOD_PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
        let location = res.headers().get("location").unwrap().to_str().unwrap();
        assert_eq!(location, expected, "next={next}");
    }
    app.stop().await;
});

db_test!(asvs_7_3_1_idle_timeout_ends_the_session, |backend| {
    let app = TestApp::on(backend)
        .vars(&[
            ("SESSION_IDLE_TIMEOUT_SECS", "2"),
            ("SESSION_ABSOLUTE_TIMEOUT_SECS", "60"),
        ])
        .spawn()
        .await;
    app.register("kate", "kate@example.com", GOOD_PASSWORD)
        .await;
    assert_eq!(account_status(&app, &app.client).await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    assert_eq!(account_status(&app, &app.client).await.0, 303);
    app.stop().await;
});

db_test!(
    asvs_7_3_2_absolute_timeout_ends_an_active_session,
    |backend| {
        let app = TestApp::on(backend)
            .vars(&[
                // Times are kept in whole seconds: a second of slack before the
                // absolute timeout, or a loaded machine fires it inside the loop.
                ("SESSION_IDLE_TIMEOUT_SECS", "3"),
                ("SESSION_ABSOLUTE_TIMEOUT_SECS", "5"),
            ])
            .spawn()
            .await;
        app.register("liam", "liam@example.com", GOOD_PASSWORD)
            .await;
        // Stay active: a request every second keeps the idle timer from firing.
        for _ in 0..3 {
            tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
            assert_eq!(account_status(&app, &app.client).await.0, 200);
        }
        tokio::time::sleep(std::time::Duration::from_millis(2000)).await;
        assert_eq!(account_status(&app, &app.client).await.0, 303);
        let actions = app.audit_actions().await;
        assert!(
            actions.iter().any(|a| a == "auth.session.expired"),
            "{actions:?}"
        );
        app.stop().await;
    }
);

db_test!(bumping_the_session_epoch_ends_every_session, |backend| {
    let app = TestApp::spawn(backend).await;
    app.register("mia", "mia@example.com", GOOD_PASSWORD).await;
    let second = app.new_client();
    app.login_with(&second, "mia", GOOD_PASSWORD).await;
    assert_eq!(account_status(&app, &app.client).await.0, 200);
    assert_eq!(account_status(&app, &second).await.0, 200);

    let mut tx = app.state.db.begin().await.unwrap();
    let id: i64 = motto::on_pool!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT id FROM users WHERE username_key = 'mia'").fetch_one(pool).await.unwrap()
    });
    motto::server::db::users::bump_session_epoch(&mut tx, id)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    assert_eq!(account_status(&app, &app.client).await.0, 303);
    assert_eq!(account_status(&app, &second).await.0, 303);
    app.stop().await;
});

db_test!(
    asvs_7_4_2_a_disabled_account_cannot_log_in_and_its_sessions_end,
    |backend| {
        let app = TestApp::spawn(backend).await;
        app.register("noah", "noah@example.com", GOOD_PASSWORD)
            .await;
        app.db.raw_execute("UPDATE users SET disabled = TRUE").await;
        // Existing sessions end too.
        assert_eq!(account_status(&app, &app.client).await.0, 303);
        let res = app
            .login_with(&app.new_client(), "noah", GOOD_PASSWORD)
            .await;
        assert_eq!(res.status(), 422);
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("Wrong username, email or password."));
        app.stop().await;
    }
);

db_test!(registration_can_be_closed, |backend| {
    let app = TestApp::on(backend)
        .vars(&[("REGISTRATION", "closed")])
        .spawn()
        .await;
    let res = app
        .register("olga", "olga@example.com", GOOD_PASSWORD)
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Registration is closed"));
    assert_eq!(app.count("users").await, 0);
    let open: bool = json(app.call(&app.client, "registration_open", &[]).await)
        .await
        .as_bool()
        .unwrap();
    assert!(!open);
    app.stop().await;
});

db_test!(
    asvs_6_3_2_first_admin_comes_from_a_one_time_setup_code,
    |backend| {
        use motto::server::services::accounts::issue_setup_code_if_no_admin;
        let app = TestApp::spawn(backend).await;
        let code = issue_setup_code_if_no_admin(&app.state)
            .await
            .unwrap()
            .expect("a code");
        // Stored hashed only.
        let stored: String = motto::on_pool!(&app.state.db, pool => {
            sqlx::query_scalar("SELECT token_hash FROM setup_tokens").fetch_one(pool).await.unwrap()
        });
        assert!(!stored.contains(&code.replace('-', "")));

        let setup = |code: String| {
            let app = &app;
            async move {
                app.call(
                    &app.new_client(),
                    "setup",
                    &[
                        ("setup_code", code.as_str()),
                        ("username", "root-admin"),
                        ("email", "admin@example.com"),
                        ("password", GOOD_PASSWORD),
                        ("password_confirm", GOOD_PASSWORD),
                    ],
                )
                .await
            }
        };
        let res = setup("0000-0000-0000-0000-0000-0000-0000-0000".into()).await;
        assert_eq!(res.status(), 422);
        assert!(field_message(&json(res).await, "setup_code").is_some());
        assert_eq!(app.count("users").await, 0);

        let res = setup(code.to_uppercase()).await;
        assert_eq!(res.status(), 200, "{:?}", res.text().await);
        let role: String = motto::on_pool!(&app.state.db, pool => {
            sqlx::query_scalar("SELECT role FROM users").fetch_one(pool).await.unwrap()
        });
        assert_eq!(role, "admin");

        // Single use, and no new code once an admin exists.
        let res = setup(code.clone()).await;
        assert_eq!(res.status(), 422);
        assert!(issue_setup_code_if_no_admin(&app.state)
            .await
            .unwrap()
            .is_none());
        assert!(app
            .audit_actions()
            .await
            .iter()
            .any(|a| a == "admin.bootstrap"));
        app.stop().await;
    }
);

db_test!(create_admin_reads_the_password_from_stdin, |backend| {
    let app = TestApp::spawn(backend).await;
    let vars = [
        ("DATABASE_URL", app.db.url.as_str()),
        ("SECRET_KEY", TEST_KEY),
    ];
    let out = motto_cli_stdin(
        app.db.dir.path(),
        &[
            "create-admin",
            "--username",
            "ops",
            "--email",
            "ops@example.com",
        ],
        &vars,
        &format!("{GOOD_PASSWORD}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let res = app.login("ops", GOOD_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let me: serde_json::Value = json(app.call(&app.client, "me", &[]).await).await;
    assert_eq!(me["role"], "admin");

    // A weak password is refused with the policy's message and exit code 2.
    let out = motto_cli_stdin(
        app.db.dir.path(),
        &[
            "create-admin",
            "--username",
            "ops2",
            "--email",
            "ops2@example.com",
        ],
        &vars,
        "password1234\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));
    app.stop().await;
});
