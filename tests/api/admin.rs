//! The admin console: audit filters and keyset pages, streamed export, user
//! management with the last-admin rule, and 404 for everyone who is not an admin.

use crate::db_test;
use crate::helpers::{json, TestApp, GOOD_PASSWORD};
use motto::server::{
    db::audit::{self, AuditContext, NewEvent, Outcome},
    services::accounts::{self, NewAccount},
};
use serde_json::Value;

/// An administrator made as `motto create-admin` would, signed in.
pub(crate) async fn admin(app: &TestApp, name: &str) -> (reqwest::Client, i64) {
    let input = NewAccount {
        username: name.into(),
        email: format!("{name}@example.com"),
        password: GOOD_PASSWORD.to_string().into(),
        password_confirm: GOOD_PASSWORD.to_string().into(),
    };
    let row = accounts::create_admin(&app.state, &input, &AuditContext::default())
        .await
        .expect("admin created");
    let client = app.new_client();
    let res = app.login_with(&client, name, GOOD_PASSWORD).await;
    assert_eq!(res.status(), 200);
    (client, row.id)
}

async fn user(app: &TestApp, name: &str) -> (reqwest::Client, i64) {
    let client = crate::helpers::signed_up(app, name).await;
    let me = json(app.call(&client, "me", &[]).await).await;
    (client, me["id"].as_i64().unwrap())
}

/// Events as the page gets them: filters as `query[...]` fields.
async fn events(
    app: &TestApp,
    c: &reqwest::Client,
    filters: &[(&str, &str)],
    before: Option<i64>,
) -> Value {
    let mut form: Vec<(String, String)> = filters
        .iter()
        .map(|(k, v)| (format!("query[{k}]"), v.to_string()))
        .collect();
    if form.is_empty() {
        form.push(("query[text]".into(), String::new()));
    }
    if let Some(b) = before {
        form.push(("before".into(), b.to_string()));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let res = app.call(c, "admin/audit", &form).await;
    assert_eq!(res.status(), 200);
    json(res).await
}

/// An administrator's action on an account (`promote`, `disable`, ...).
async fn act_on(app: &TestApp, c: &reqwest::Client, id: i64, action: &str) -> reqwest::Response {
    let id = id.to_string();
    app.call(
        c,
        "admin/user/act",
        &[("id", id.as_str()), ("action", action)],
    )
    .await
}

fn ids(page: &Value) -> Vec<i64> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

async fn record(
    app: &TestApp,
    actor: Option<i64>,
    ip: &str,
    action: &'static str,
    outcome: Outcome,
    details: Value,
) -> i64 {
    let ctx = AuditContext {
        actor_user_id: actor,
        source_ip: Some(ip.into()),
        user_agent: Some("test-agent".into()),
        ..Default::default()
    };
    audit::record_now(
        &app.state.db,
        &ctx,
        NewEvent::new(action, outcome).details(details),
    )
    .await
    .unwrap()
}

db_test!(asvs_16_3_1_filters_combine, |backend| {
    let app = TestApp::spawn(backend).await;
    let (root, _) = admin(&app, "root").await;
    let (_, alice) = user(&app, "alice").await;
    let (_, bob) = user(&app, "bob").await;
    let a1 = record(
        &app,
        Some(alice),
        "203.0.113.7",
        "auth.login.failure",
        Outcome::Failure,
        serde_json::json!({"why": "bad password"}),
    )
    .await;
    let a2 = record(
        &app,
        Some(alice),
        "198.51.100.2",
        "auth.login.success",
        Outcome::Success,
        serde_json::json!({}),
    )
    .await;
    let b1 = record(
        &app,
        Some(bob),
        "203.0.113.7",
        "auth.login.failure",
        Outcome::Failure,
        serde_json::json!({}),
    )
    .await;
    let b2 = record(
        &app,
        Some(bob),
        "203.0.113.7",
        "document.create",
        Outcome::Success,
        serde_json::json!({"note": "quarterly 50% plan"}),
    )
    .await;

    let page = events(&app, &root, &[("actor", "alice")], None).await;
    let got = ids(&page);
    assert!(
        got.contains(&a1) && got.contains(&a2) && !got.contains(&b1),
        "{got:?}"
    );
    assert!(page["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor_username"] == "alice"));
    assert_eq!(
        ids(&events(
            &app,
            &root,
            &[("actor", "ALICE"), ("action", "auth.login.f")],
            None
        )
        .await),
        vec![a1]
    );
    assert_eq!(
        ids(&events(
            &app,
            &root,
            &[("action", "auth."), ("source_ip", "203.0.113.7")],
            None
        )
        .await),
        vec![b1, a1]
    );
    assert_eq!(
        ids(&events(
            &app,
            &root,
            &[("outcome", "failure"), ("actor", &format!("#{bob}"))],
            None
        )
        .await),
        vec![b1]
    );
    assert_eq!(
        ids(&events(&app, &root, &[("text", "50%")], None).await),
        vec![b2]
    );
    assert_eq!(
        ids(&events(&app, &root, &[("text", "BAD PASSWORD")], None).await),
        vec![a1]
    );
    assert!(ids(&events(&app, &root, &[("actor", "nobody-here")], None).await).is_empty());
    // Time range: everything so far is before a minute from now, nothing after.
    let later = (chrono::Utc::now() + chrono::Duration::minutes(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    assert!(ids(&events(&app, &root, &[("from", &later)], None).await).is_empty());
    let got = ids(&events(&app, &root, &[("to", &later), ("actor", "bob")], None).await);
    assert_eq!(
        got,
        ids(&events(&app, &root, &[("actor", "bob")], None).await)
    );
    assert!(got.starts_with(&[b2, b1]), "{got:?}");
    // Bad filters are refused beside their field.
    let res = app
        .call(&root, "admin/audit", &[("query[outcome]", "maybe")])
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .call(&root, "admin/audit", &[("query[from]", "yesterday")])
        .await;
    assert_eq!(res.status(), 422);
});

db_test!(keyset_pages_never_repeat_or_skip, |backend| {
    let app = TestApp::spawn(backend).await;
    let (root, _) = admin(&app, "root").await;
    for i in 0..120 {
        record(
            &app,
            None,
            "192.0.2.1",
            "test.seed",
            Outcome::Success,
            serde_json::json!({ "i": i }),
        )
        .await;
    }
    let mut seen: Vec<i64> = Vec::new();
    let mut before = None;
    let mut pages = 0;
    loop {
        let page = events(&app, &root, &[("action", "test.")], before).await;
        seen.extend(ids(&page));
        pages += 1;
        // New events arrive between page loads.
        for _ in 0..7 {
            record(
                &app,
                None,
                "192.0.2.1",
                "test.seed",
                Outcome::Success,
                serde_json::json!({ "late": true }),
            )
            .await;
        }
        match page["next_before"].as_i64() {
            Some(b) => before = Some(b),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 120, "every original event exactly once");
    let mut sorted = seen.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!(sorted, seen, "strictly newest first, no repeats");
});

db_test!(exports_arrive_whole_when_compressed, |backend| {
    // The compression layer polls a body once more after its last chunk; the
    // export's stream panicked when polled again, cutting the download short.
    let app = TestApp::spawn(backend).await;
    let (root, _) = admin(&app, "root").await;
    for format in ["csv", "jsonl"] {
        let res = root
            .get(format!("{}/admin/audit/export?format={format}", app.url))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-encoding"], "gzip", "{format}");
        let body = res.bytes().await.expect("the whole body arrives");
        // gzip's trailer: the stream was finished, not cut.
        assert!(body.len() > 18 && body[..2] == [0x1f, 0x8b], "{format}");
    }
    app.stop().await;
});

db_test!(csv_export_matches_the_filter_and_is_safe, |backend| {
    let app = TestApp::spawn(backend).await;
    let (root, _) = admin(&app, "root").await;
    let (_, alice) = user(&app, "alice").await;
    record(
        &app,
        Some(alice),
        "203.0.113.9",
        "evil.test",
        Outcome::Denied,
        serde_json::json!({"v": "=HYPERLINK(\"http://x\"), \"quoted\"\nline"}),
    )
    .await;
    record(
        &app,
        Some(alice),
        "203.0.113.9",
        "evil.other",
        Outcome::Denied,
        serde_json::json!({}),
    )
    .await;
    // A user agent that starts like a formula.
    let ctx = AuditContext {
        actor_user_id: Some(alice),
        user_agent: Some("@SUM(1+1)".into()),
        ..Default::default()
    };
    audit::record_now(
        &app.state.db,
        &ctx,
        NewEvent::new("evil.agent", Outcome::Success),
    )
    .await
    .unwrap();

    let res = root
        .get(format!(
            "{}/admin/audit/export?format=csv&action=evil.",
            app.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"motto-audit-"));
    let csv = res.text().await.unwrap();
    let expected = ids(&events(&app, &root, &[("action", "evil.")], None).await);
    assert_eq!(expected.len(), 3);
    // Records: the header, then one per event (a quoted cell may hold a newline).
    let mut records = Vec::new();
    let (mut current, mut quoted) = (String::new(), false);
    for c in csv.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if c == '\n' && !quoted {
            records.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    assert!(records[0].starts_with("\"id\",\"occurred_at\",\"actor_user_id\",\"actor_username\""));
    // Every cell is quoted (a spreadsheet splitting on ';' cannot cut one in two).
    let exported: Vec<i64> = records[1..]
        .iter()
        .map(|r| {
            let first = r.split(',').next().unwrap();
            assert!(first.starts_with('"') && first.ends_with('"'), "{r}");
            first.trim_matches('"').parse().unwrap()
        })
        .collect();
    assert_eq!(exported, expected);
    // Commas, quotes and newlines are quoted; formulas start with a quote mark.
    assert!(
        csv.contains(
            "\"{\"\"v\"\":\"\"=HYPERLINK(\\\"\"http://x\\\"\"), \\\"\"quoted\\\"\"\\nline\"\"}\""
        ),
        "{csv}"
    );
    assert!(csv.contains(",\"'@SUM(1+1)\","), "{csv}");
    assert!(!csv.contains("\"@SUM"), "{csv}");

    // JSON lines carry the same events.
    let res = root
        .get(format!(
            "{}/admin/audit/export?format=jsonl&action=evil.",
            app.url
        ))
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines
            .iter()
            .map(|l| l["id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(
        lines.last().unwrap()["details"]["v"],
        "=HYPERLINK(\"http://x\"), \"quoted\"\nline"
    );

    let exports: Vec<String> = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|a| a == "admin.audit.export")
        .collect();
    assert_eq!(exports.len(), 2);
});

db_test!(the_last_admin_cannot_be_demoted_or_disabled, |backend| {
    let app = TestApp::spawn(backend).await;
    let (root, root_id) = admin(&app, "root").await;
    let (_, alice) = user(&app, "alice").await;
    let act = |c: &reqwest::Client, id: i64, action: &str| {
        let (app, c, action) = (&app, c.clone(), action.to_string());
        async move { act_on(app, &c, id, &action).await }
    };
    // Not even by themselves.
    assert_eq!(act(&root, root_id, "demote").await.status(), 409);
    assert_eq!(act(&root, root_id, "disable").await.status(), 409);
    // Promote alice; now alice can demote root, but not herself when she is the last.
    assert_eq!(act(&root, alice, "promote").await.status(), 200);
    let alice_client = app.new_client();
    app.login_with(&alice_client, "alice", GOOD_PASSWORD).await;
    assert_eq!(act(&alice_client, root_id, "demote").await.status(), 200);
    // root is no admin any more: the console is gone for them.
    assert_eq!(
        app.call(&root, "admin/users", &[("search", ""), ("page", "1")])
            .await
            .status(),
        404
    );
    assert_eq!(act(&alice_client, alice, "demote").await.status(), 409);
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"admin.user.promote".to_string()));
    assert!(actions.contains(&"admin.user.demote".to_string()));
    // The admin who acted is recorded as the actor.
    let page = events(
        &app,
        &alice_client,
        &[("action", "admin.user.demote")],
        None,
    )
    .await;
    assert_eq!(page["events"][0]["actor_username"], "alice");
    assert_eq!(page["events"][0]["target_id"], root_id.to_string());
});

db_test!(
    asvs_7_4_5_an_admin_disabling_or_ending_sessions_ends_them_at_once,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let (root, _) = admin(&app, "root").await;
        let (alice_client, alice) = user(&app, "alice").await;
        let second = app.new_client();
        app.login_with(&second, "alice", GOOD_PASSWORD).await;
        let detail = json(
            app.call(&root, "admin/user", &[("id", &alice.to_string())])
                .await,
        )
        .await;
        assert_eq!(detail["user"]["active_sessions"], 2, "{detail}");
        assert_eq!(detail["sessions"].as_array().unwrap().len(), 2);

        let res = app
            .call(
                &root,
                "admin/user/act",
                &[("id", &alice.to_string()), ("action", "disable")],
            )
            .await;
        assert_eq!(res.status(), 200);
        for c in [&alice_client, &second] {
            let me = json(app.call(c, "me", &[]).await).await;
            assert!(me.is_null(), "session survived: {me}");
        }
        let refused = app
            .login_with(&app.new_client(), "alice", GOOD_PASSWORD)
            .await
            .status();
        assert!(
            refused.is_client_error(),
            "a disabled account logged in: {refused}"
        );
        let detail = json(
            app.call(&root, "admin/user", &[("id", &alice.to_string())])
                .await,
        )
        .await;
        assert_eq!(detail["user"]["disabled"], true);
        assert_eq!(detail["user"]["active_sessions"], 0);

        let res = app
            .call(
                &root,
                "admin/user/act",
                &[("id", &alice.to_string()), ("action", "enable")],
            )
            .await;
        assert_eq!(res.status(), 200);
        let again = app.new_client();
        assert_eq!(
            app.login_with(&again, "alice", GOOD_PASSWORD)
                .await
                .status(),
            200
        );
        // End all sessions: the new session dies too.
        let res = app
            .call(
                &root,
                "admin/user/act",
                &[("id", &alice.to_string()), ("action", "end_sessions")],
            )
            .await;
        assert_eq!(res.status(), 200);
        assert!(json(app.call(&again, "me", &[]).await).await.is_null());
        let list = json(
            app.call(&root, "admin/users", &[("search", "ALI"), ("page", "1")])
                .await,
        )
        .await;
        assert_eq!(list["total"], 1);
        assert_eq!(list["items"][0]["username"], "alice");
        for action in [
            "admin.user.disable",
            "admin.user.enable",
            "admin.user.end_sessions",
        ] {
            assert!(
                app.audit_actions().await.contains(&action.to_string()),
                "{action}"
            );
        }
    }
);

db_test!(
    asvs_8_2_1_admin_routes_refuse_users_and_visitors,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let (root, root_id) = admin(&app, "root").await;
        let (alice_client, _) = user(&app, "alice").await;
        let (_, carol) = user(&app, "carol").await;
        let anon = app.new_client();
        let rid = root_id.to_string();
        let cid = carol.to_string();
        let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
            ("admin/audit", vec![("query[text]", "")]),
            ("admin/audit/event", vec![("id", "1")]),
            ("admin/audit/integrity", vec![]),
            ("admin/audit/verify", vec![]),
            ("admin/users", vec![("search", ""), ("page", "1")]),
            ("admin/user", vec![("id", rid.as_str())]),
            (
                "admin/user/act",
                vec![("id", cid.as_str()), ("action", "enable")],
            ),
        ];
        for (endpoint, form) in &calls {
            assert_eq!(
                app.call(&root, endpoint, form).await.status().as_u16() / 100,
                2,
                "admin {endpoint}"
            );
        }
        for (endpoint, form) in &calls {
            for (who, c) in [("alice", &alice_client), ("anonymous", &anon)] {
                let res = app.call(c, endpoint, form).await;
                assert_eq!(res.status(), 404, "{who} {endpoint}");
            }
        }
        for path in [
            "/admin",
            "/admin/audit",
            "/admin/audit/1",
            "/admin/users",
            &format!("/admin/users/{root_id}"),
            "/admin/audit/export?format=csv",
        ] {
            for (who, c) in [("alice", &alice_client), ("anonymous", &anon)] {
                let res = c.get(format!("{}{path}", app.url)).send().await.unwrap();
                assert_eq!(res.status(), 404, "{who} GET {path}");
            }
            let res = root.get(format!("{}{path}", app.url)).send().await.unwrap();
            assert_eq!(res.status(), 200, "admin GET {path}");
        }
        let denied = app
            .audit_actions()
            .await
            .into_iter()
            .filter(|a| a == "authz.denied")
            .count();
        assert!(denied >= 2, "{denied}");
        // Still an admin, still enabled.
        let me = json(app.call(&root, "me", &[]).await).await;
        assert_eq!(me["role"], "admin");
    }
);

db_test!(integrity_is_shown_and_breaks_are_found, |backend| {
    let app = TestApp::spawn(backend).await;
    let (root, _) = admin(&app, "root").await;
    let none = json(app.call(&root, "admin/audit/integrity", &[]).await).await;
    assert!(none.is_null());
    let ok = json(app.call(&root, "admin/audit/verify", &[]).await).await;
    assert_eq!(ok["intact"], true);
    assert!(ok["events"].as_i64().unwrap() >= 2);
    let last = json(app.call(&root, "admin/audit/integrity", &[]).await).await;
    assert_eq!(last["intact"], true);
    // Someone edits an event behind Motto's back.
    app.db
        .raw_execute(crate::audit::drop_guards_sql(backend))
        .await;
    app.db
        .raw_execute("UPDATE audit_events SET action = 'nothing.to.see' WHERE id = 2")
        .await;
    let broken = json(app.call(&root, "admin/audit/verify", &[]).await).await;
    assert_eq!(broken["intact"], false, "{broken}");
    assert_eq!(broken["first_broken_id"], 2);
    let page = root
        .get(format!("{}/admin/audit", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("BROKEN at event 2"),
        "the page shows the break"
    );
});

db_test!(
    an_auditor_reads_the_audit_console_and_its_exports_and_nothing_else,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let (root, root_id) = admin(&app, "root").await;
        let (iris, iris_id) = user(&app, "iris").await;
        let (_, bob) = user(&app, "bob").await;
        let act = |c: &reqwest::Client, id: i64, action: &str| {
            let (app, c, action) = (&app, c.clone(), action.to_string());
            async move { act_on(app, &c, id, &action).await.status() }
        };
        let audit = |c: &reqwest::Client| {
            let (app, c) = (&app, c.clone());
            async move {
                app.call(&c, "admin/audit", &[("query[text]", "")])
                    .await
                    .status()
            }
        };
        assert_eq!(audit(&iris).await, 404, "not before the role");
        assert_eq!(act(&root, iris_id, "make_auditor").await, 200);
        assert!(app
            .audit_actions()
            .await
            .contains(&"admin.user.make_auditor".to_string()));

        // The audit console: events, one event, integrity, sealing, verifying.
        assert_eq!(audit(&iris).await, 200);
        let page = events(&app, &iris, &[("action", "admin.user.make_auditor")], None).await;
        let event_id = page["events"][0]["id"].as_i64().unwrap();
        for (endpoint, args) in [
            ("admin/audit/event", vec![("id", event_id.to_string())]),
            ("admin/audit/integrity", vec![]),
            ("admin/audit/sealing", vec![]),
            ("admin/audit/verify", vec![]),
        ] {
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            assert_eq!(
                app.call(&iris, endpoint, &args).await.status(),
                200,
                "{endpoint}"
            );
        }
        // Its exports, the auditors' chain included.
        for format in ["csv", "jsonl", "chain"] {
            let res = iris
                .get(format!("{}/admin/audit/export?format={format}", app.url))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{format}");
            assert!(!res.text().await.unwrap().is_empty());
        }
        assert_eq!(
            iris.get(format!("{}/admin/audit", app.url))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );

        // Nothing else of the administration: reading or changing.
        let bob_id = bob.to_string();
        for (endpoint, args) in [
            ("admin/users", vec![("search", ""), ("page", "1")]),
            ("admin/user", vec![("id", bob_id.as_str())]),
            ("admin/settings/two_factor", vec![]),
            ("admin/user/quotas", vec![("id", bob_id.as_str())]),
        ] {
            assert_eq!(
                app.call(&iris, endpoint, &args).await.status(),
                404,
                "{endpoint}"
            );
        }
        assert_eq!(act(&iris, bob, "disable").await, 404);
        assert_eq!(act(&iris, iris_id, "promote").await, 404);
        assert_eq!(
            iris.get(format!("{}/admin/users", app.url))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );

        // The last administrator cannot make themselves an auditor.
        assert_eq!(act(&root, root_id, "make_auditor").await, 409);
        // Back to an ordinary user: the console is gone at once.
        assert_eq!(act(&root, iris_id, "demote").await, 200);
        assert_eq!(audit(&iris).await, 404);
    }
);
