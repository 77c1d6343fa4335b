//! Login throttling under bursts, through the REST token endpoints and the second
//! factor (ASVS 6.3.1, 2.4.1), and the state and audit rows an attacker can cost.

use crate::db_test;
use crate::helpers::{signed_up, TestApp, GOOD_PASSWORD};
use futures::future::join_all;

/// `auth.login.failure` events with this reason.
async fn failures(app: &TestApp, reason: &str) -> i64 {
    let sql = format!(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'auth.login.failure' AND details LIKE '%\"{reason}\"%'"
    );
    motto::on_pool!(&app.state.db, pool => {
        sqlx::query_scalar::<_, i64>(&sql).fetch_one(pool).await.unwrap()
    })
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM audit_events WHERE action = '{action}'");
    motto::on_pool!(&app.state.db, pool => {
        sqlx::query_scalar::<_, i64>(&sql).fetch_one(pool).await.unwrap()
    })
}

/// POST /api/v1/auth/token as if from `address` (behind the trusted proxy).
async fn token(app: &TestApp, address: &str, body: serde_json::Value) -> reqwest::StatusCode {
    app.new_client()
        .post(format!("{}/api/v1/auth/token", app.url))
        .header("x-forwarded-for", address)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
}

db_test!(
    asvs_6_3_1_a_burst_of_token_requests_gets_no_more_than_the_free_attempts,
    |backend| {
        // Only the throttle stands in the way (the per-address limit is off): 300
        // wrong passwords for one account at once from one address.
        let app = TestApp::on(backend)
            .vars(&[("RATE_LIMIT_LOGIN", "off")])
            .spawn()
            .await;
        signed_up(&app, "alice").await;
        let answers = join_all((0..300).map(|_| {
            token(
                &app,
                "203.0.113.7",
                serde_json::json!({"username": "alice", "password": "not her password at all"}),
            )
        }))
        .await;
        let refused = answers.iter().filter(|s| s.as_u16() == 429).count();
        let checked = failures(&app, "bad_password").await;
        // LOGIN_THROTTLE_FREE_ATTEMPTS = 5: before this, all 300 passed the check
        // before the first failure was recorded.
        assert!(checked <= 5, "{checked} passwords were checked");
        assert!(refused >= 295, "{refused} refused");
        app.stop().await;
    }
);

db_test!(
    asvs_2_4_1_a_login_burst_from_one_address_cannot_starve_another,
    |backend| {
        let app = TestApp::on(backend)
            .vars(&[
                ("TRUSTED_PROXIES", "127.0.0.1"),
                // Bob waits behind at most the 20 hashes the limit lets through;
                // on a loaded 2-core machine those can take more than 5 s.
                ("REQUEST_TIMEOUT_SECS", "30"),
            ])
            .spawn()
            .await;
        signed_up(&app, "bob").await;
        // 200 logins for made-up accounts at once from one address, each costing a
        // hash; meanwhile Bob logs in from another.
        let burst = join_all((0..200).map(|i| {
            token(
                &app,
                "198.51.100.66",
                serde_json::json!({"username": format!("nobody{i}"), "password": "guess guess guess"}),
            )
        }));
        let bob = async {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            token(
                &app,
                "203.0.113.20",
                serde_json::json!({"username": "bob", "password": GOOD_PASSWORD}),
            )
            .await
        };
        let (answers, bob) = tokio::join!(burst, bob);
        assert_eq!(bob.as_u16(), 200, "Bob's login");
        // The burst is limited per address (RATE_LIMIT_LOGIN, 20/min), not hashed.
        let hashed = failures(&app, "unknown_user").await;
        assert!(hashed <= 20, "{hashed} made-up logins were checked");
        assert!(answers.iter().filter(|s| s.as_u16() == 429).count() >= 180);
        app.stop().await;
    }
);

db_test!(
    asvs_2_4_1_made_up_bearers_leave_no_limiter_state_behind,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let client = app.new_client();
        for chunk in 0..100 {
            let calls = (0..100).map(|i| {
                client
                    .get(format!("{}/api/v1/me", app.url))
                    .bearer_auth(format!("junk-{chunk}-{i}"))
                    .send()
            });
            for res in join_all(calls).await {
                assert!(matches!(res.unwrap().status().as_u16(), 401 | 429));
            }
        }
        // 10,000 bearers: one counter, for the address they came from.
        match app.state.security.limits.memory_counters() {
            Some(n) => assert!(n <= 3, "{n} counters"),
            None => {
                let rows: i64 = motto::on_pool!(&app.state.db, pool => {
                    sqlx::query_scalar("SELECT COUNT(*) FROM rate_windows").fetch_one(pool).await.unwrap()
                });
                assert!(rows <= 3, "{rows} rows");
            }
        }
        app.stop().await;
    }
);

db_test!(
    asvs_2_4_1_a_throttled_address_cannot_write_an_audit_row_per_username,
    |backend| {
        let app = TestApp::on(backend)
            .vars(&[
                ("RATE_LIMIT_LOGIN", "off"),
                ("LOGIN_THROTTLE_SOURCE_FREE_ATTEMPTS", "2"),
            ])
            .spawn()
            .await;
        for i in 0..3 {
            app.login(&format!("first{i}"), "guess guess guess").await;
        }
        let before = audit_count(&app, "security.rate_limited").await;
        for i in 0..50 {
            let res = app.login(&format!("random{i}"), "guess guess guess").await;
            assert_eq!(res.status(), 429);
        }
        let written = audit_count(&app, "security.rate_limited").await - before;
        assert!(
            written <= 1,
            "{written} audit rows for 50 throttled attempts"
        );
        app.stop().await;
    }
);

db_test!(
    asvs_6_3_1_the_second_factor_has_an_account_cap_a_right_password_never_clears,
    |backend| {
        // An attacker who has the password guesses codes from a few addresses,
        // each time with the password first (it used to clear the delay and make
        // the address "known", exempt from the account's cap).
        let app = TestApp::on(backend)
            .vars(&[
                ("TRUSTED_PROXIES", "127.0.0.1"),
                ("LOGIN_ACCOUNT_MAX_FAILURES_PER_HOUR", "10"),
            ])
            .spawn()
            .await;
        let alice = signed_up(&app, "alice").await;
        crate::two_factor::enrol(&app, &alice).await;
        let mut answers = Vec::new();
        for i in 0..40 {
            let address = format!("10.0.0.{}", i % 4 + 1);
            answers.push(
                token(
                    &app,
                    &address,
                    serde_json::json!({"username": "alice", "password": GOOD_PASSWORD, "otp": "000000"}),
                )
                .await
                .as_u16(),
            );
        }
        let guessed = failures(&app, "bad_second_factor").await;
        assert!(guessed <= 10, "{guessed} codes were checked");
        assert!(answers[20..].iter().all(|s| *s == 429), "{answers:?}");
        app.stop().await;
    }
);

db_test!(asvs_6_3_1_username_and_email_share_one_budget, |backend| {
    let app = TestApp::on(backend)
        .vars(&[("RATE_LIMIT_LOGIN", "off")])
        .spawn()
        .await;
    signed_up(&app, "carol").await;
    for _ in 0..5 {
        assert_eq!(app.login("carol", "not the password!!").await.status(), 422);
    }
    // The sixth try, by email, is throttled like the sixth by name.
    let res = app.login("carol@example.com", "not the password!!").await;
    assert_eq!(res.status(), 429);
    app.stop().await;
});
