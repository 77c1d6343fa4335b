//! Per-person quotas (ASVS 2.4.1, 15.2.2): storage for document text, the
//! assistant's tokens per day, working API keys. Each is refused where it is
//! spent, with a message that says what is used and what to do; nothing is
//! stored by a refused write; an administrator can set other limits, audited.

use crate::admin::admin;
use crate::conversations::{ask, conversation, llm_app_with, Mode};
use crate::db_test;
use crate::helpers::{json, signed_up, TestApp};
use crate::rest::key;

async fn quotas(app: &TestApp, c: &reqwest::Client) -> serde_json::Value {
    let res = app.call(c, "account/quotas", &[]).await;
    assert_eq!(res.status(), 200);
    json(res).await
}

db_test!(
    asvs_2_4_1_storage_quota_refuses_what_does_not_fit_and_purging_frees_room,
    |backend| {
        let app = TestApp::on(backend)
            .settings(|s| s.quota_storage_bytes = Some(1_000))
            .spawn()
            .await;
        let alice = signed_up(&app, "alice").await;

        let first = app
            .documents(&alice)
            .try_create("Notes", &"a".repeat(600))
            .await;
        assert_eq!(first.status(), 200);
        let id = json(first).await.as_i64().unwrap();
        let q = quotas(&app, &alice).await;
        assert_eq!(q["storage_bytes"], 600);
        assert_eq!(q["storage_limit"], 1_000);

        // A second one does not fit: refused, with what is used and what to do.
        let res = app
            .documents(&alice)
            .try_create("Notes", &"b".repeat(600))
            .await;
        assert_eq!(res.status(), 422);
        let text = res.text().await.unwrap();
        assert!(
            text.contains(
                "Your storage is full: 600 bytes of 1000 bytes used, and this needs 600 bytes more"
            ),
            "{text}"
        );
        assert!(text.contains("empty the trash"), "{text}");
        assert_eq!(app.count("documents").await, 1, "nothing stored");

        // An edit adds its new text (the old one is kept as a version).
        let edit = |version: i64, body: String| {
            let alice = alice.clone();
            let app = &app;
            async move {
                app.call(
                    &alice,
                    "documents/update",
                    &[
                        ("id", id.to_string().as_str()),
                        ("version", version.to_string().as_str()),
                        ("title", "Notes"),
                        ("body", body.as_str()),
                    ],
                )
                .await
            }
        };
        assert_eq!(edit(1, "c".repeat(300)).await.status(), 200);
        assert_eq!(quotas(&app, &alice).await["storage_bytes"], 900);
        let res = edit(2, "d".repeat(200)).await;
        assert_eq!(res.status(), 422, "900 + 200 > 1000");
        let doc = json(
            app.call(&alice, "documents/get", &[("id", &id.to_string())])
                .await,
        )
        .await;
        assert_eq!(doc["version"], 2, "the refused edit changed nothing");

        // The trash still counts; deleting for good gives every version's room back.
        let idf = [("id", id.to_string())];
        let idf: Vec<(&str, &str)> = idf.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            app.call(&alice, "documents/delete", &idf).await.status(),
            200
        );
        assert_eq!(quotas(&app, &alice).await["storage_bytes"], 900);
        assert_eq!(
            app.call(&alice, "documents/purge", &idf).await.status(),
            200
        );
        assert_eq!(quotas(&app, &alice).await["storage_bytes"], 0);
        assert_eq!(
            app.documents(&alice)
                .try_create("Notes", &"e".repeat(600))
                .await
                .status(),
            200
        );

        // Someone else's room is their own.
        let bob = signed_up(&app, "bob").await;
        assert_eq!(
            app.documents(&bob)
                .try_create("Notes", &"f".repeat(900))
                .await
                .status(),
            200
        );
    }
);

db_test!(storage_quota_holds_under_concurrent_writes, |backend| {
    // A small pool, as on a busy server: more writers than connections.
    let app = TestApp::on(backend)
        .vars(&[
            ("DATABASE_MAX_CONNECTIONS", "2"),
            ("SQLITE_BUSY_TIMEOUT_MS", "2000"),
        ])
        .settings(|s| s.quota_storage_bytes = Some(1_000))
        .spawn()
        .await;
    let alice = signed_up(&app, "alice").await;
    // Ten writes of 300 bytes at once: three fit, never four, and the others
    // are told why (never a 500 from writers waiting on each other).
    let body = "x".repeat(300);
    let docs = app.documents(&alice);
    let writes = (0..10).map(|_| docs.try_create("Notes", &body));
    let results = futures::future::join_all(writes).await;
    let statuses: Vec<_> = results.iter().map(|r| r.status().as_u16()).collect();
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(ok, 3, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 422),
        "{statuses:?}"
    );
    assert_eq!(quotas(&app, &alice).await["storage_bytes"], 900);
});

db_test!(asvs_2_4_1_api_key_quota_counts_working_keys, |backend| {
    let app = TestApp::on(backend)
        .vars(&[("QUOTA_API_KEYS", "2")])
        .spawn()
        .await;
    let alice = signed_up(&app, "alice").await;
    let (_, first) = key(&app, &alice, "one", &["documents:read"]).await;
    key(&app, &alice, "two", &["documents:read"]).await;
    let res = app
        .call(
            &alice,
            "api_keys/create",
            &[
                ("name", "three"),
                ("days", "90"),
                ("scopes[]", "documents:read"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let text = res.text().await.unwrap();
    assert!(
        text.contains("You have 2 working API keys, the most you may have. Revoke one"),
        "{text}"
    );
    assert_eq!(app.count("api_keys").await, 2);
    // A revoked key no longer counts.
    let res = app
        .call(&alice, "api_keys/revoke", &[("id", &first.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    key(&app, &alice, "three", &["documents:read"]).await;
    assert_eq!(quotas(&app, &alice).await["api_keys"], 2);
});

db_test!(
    asvs_2_4_1_token_quota_stops_the_assistant_for_the_day,
    |backend| {
        // The fake provider reports 321 + 7 tokens per answer.
        let (app, _fake) =
            llm_app_with(backend, Mode::Answer, &[("QUOTA_TOKENS_PER_DAY", "300")]).await;
        let alice = signed_up(&app, "alice").await;
        app.documents(&alice)
            .create("Kettle", "Water boils at 100 degrees.")
            .await;
        let id = conversation(&app, &alice, "", &[]).await;
        let (status, body) = ask(&app, &alice, id, "When does water boil?").await;
        assert_eq!(status, 201, "{body}");
        let q = quotas(&app, &alice).await;
        assert_eq!(q["tokens_today"], 328);
        assert_eq!(q["tokens_limit"], 300);

        let (status, body) = ask(&app, &alice, id, "And at altitude?").await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body.to_string()
                .contains("You have used today's 300 tokens for the assistant (328 used)"),
            "{body}"
        );
        let messages: i64 = app.count("messages").await;
        assert_eq!(messages, 2, "the refused question was not stored");
    }
);

db_test!(asvs_2_4_1_an_administrator_sets_limits_audited, |backend| {
    let app = TestApp::spawn(backend).await;
    let (root, _) = admin(&app, "root").await;
    let alice = signed_up(&app, "alice").await;
    let me = json(app.call(&alice, "me", &[]).await).await;
    let alice_id = me["id"].as_i64().unwrap().to_string();

    // The defaults: 1 GB, 200,000 tokens, 20 keys.
    let q = quotas(&app, &alice).await;
    assert_eq!(q["storage_limit"], 1024_i64 * 1024 * 1024);
    assert_eq!(q["tokens_limit"], 200_000);
    assert_eq!(q["api_keys_limit"], 20);

    let set = |storage: &'static str, tokens: &'static str, keys: &'static str| {
        let id = alice_id.clone();
        let root = root.clone();
        let app = &app;
        async move {
            app.call(
                &root,
                "admin/user/quotas/set",
                &[
                    ("id", id.as_str()),
                    ("storage_mb", storage),
                    ("tokens_per_day", tokens),
                    ("api_keys", keys),
                ],
            )
            .await
        }
    };
    // Bad input is refused beside its field, and changes nothing.
    let res = set("lots", "", "").await;
    assert_eq!(res.status(), 422);
    let err = json(res).await.to_string();
    assert!(err.contains("storage_mb"), "{err}");
    assert!(err.contains("Enter a whole number"), "{err}");

    assert_eq!(set("1", "0", "").await.status(), 200);
    let q = quotas(&app, &alice).await;
    assert_eq!(q["storage_limit"], 1024 * 1024);
    assert!(q["tokens_limit"].is_null(), "0 is no limit: {q}");
    assert_eq!(q["api_keys_limit"], 20, "empty is the default");
    let res = app
        .call(&root, "admin/user/quotas", &[("id", alice_id.as_str())])
        .await;
    let seen = json(res).await;
    assert_eq!(seen["storage_mb_override"], 1);
    assert_eq!(seen["tokens_override"], 0);
    assert!(seen["api_keys_override"].is_null());
    assert!(app
        .audit_actions()
        .await
        .contains(&"admin.user.quota".to_string()));

    // Not an administrator: the endpoint does not exist for them.
    let res = app
        .call(
            &alice,
            "admin/user/quotas/set",
            &[
                ("id", alice_id.as_str()),
                ("storage_mb", "0"),
                ("tokens_per_day", "0"),
                ("api_keys", "0"),
            ],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(quotas(&app, &alice).await["storage_limit"], 1024 * 1024);
});
