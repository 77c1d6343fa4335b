//! `motto seed`: the data it makes is real data (counted, searchable, signed in
//! to, cited), its audit events extend the hash chain, and it is refused in
//! production.

use crate::db_test;
use crate::helpers::{json, motto_cli_stdin, text, TestApp, TestDb, GOOD_PASSWORD, TEST_KEY};

async fn count(app: &TestApp, sql: &str) -> i64 {
    motto::on_pool!(&app.state.db, pool => {
        sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap()
    })
}

db_test!(seeded_data_is_complete_searchable_and_chained, |backend| {
    let app = TestApp::spawn(backend).await;
    // Something already in the audit log: the seed must chain onto it.
    let before = count(&app, "SELECT COUNT(*) FROM audit_events").await;
    assert!(before > 0);
    let plan = motto::server::seed::Plan {
        users: 3,
        documents_per_user: 7,
        revisions: 2,
        conversations_per_user: 2,
        messages_per_conversation: 5,
        audit_events: 1_234,
        teams: Default::default(),
    };
    let report = motto::server::seed::seed(&app.state.db, &plan, &GOOD_PASSWORD.to_string().into())
        .await
        .unwrap();
    assert_eq!(report.users, 4, "three people and seed-admin");
    assert_eq!(report.documents, 28);
    assert_eq!(report.revisions, 56);
    assert_eq!(report.conversations, 8);
    assert_eq!(report.messages, 40);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users").await, 4);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM users WHERE role = 'admin'").await,
        1
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM documents").await, 28);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM document_revisions").await,
        56
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM messages").await, 40);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_events").await,
        before + 1_234
    );
    let report = motto::server::db::audit::verify(&app.state.db)
        .await
        .unwrap();
    assert!(report.is_intact(), "the seeded events break the chain");

    // A seeded person signs in with the password and finds their documents by
    // a word of their titles.
    let res = app.login("seed-user-1", GOOD_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let (id, title): (i64, String) = motto::on_pool!(&app.state.db, pool => {
        sqlx::query_as("SELECT d.id, d.title FROM documents d JOIN users u ON u.id = d.owner_id \
                        WHERE u.username = 'seed-user-1' ORDER BY d.id LIMIT 1")
            .fetch_one(pool).await.unwrap()
    });
    let word = title
        .split_whitespace()
        .max_by_key(|w| w.len())
        .unwrap()
        .to_lowercase();
    let hits = crate::helpers::json(
        app.call(&app.client, "documents/search", &[("query", word.as_str())])
            .await,
    )
    .await;
    assert!(
        hits.as_array().unwrap().iter().any(|h| h["id"] == id),
        "searching {word:?} does not find {title:?}: {hits}"
    );
    // Their list page shows 50 a page when asked.
    let page = app
        .client
        .get(format!("{}/documents?per_page=50", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Page 1 of 1 · 7 documents"), "{page}");

    // Seeding again adds more people, numbered on.
    let again = motto::server::seed::Plan {
        users: 1,
        documents_per_user: 1,
        revisions: 0,
        conversations_per_user: 0,
        messages_per_conversation: 0,
        audit_events: 10,
        teams: Default::default(),
    };
    motto::server::seed::seed(&app.state.db, &again, &GOOD_PASSWORD.to_string().into())
        .await
        .unwrap();
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM users WHERE username = 'seed-user-4'"
        )
        .await,
        1
    );
    assert!(motto::server::db::audit::verify(&app.state.db)
        .await
        .unwrap()
        .is_intact());
});

db_test!(
    the_seed_command_reads_the_password_and_is_refused_in_production,
    |backend| {
        let db = TestDb::new(backend).await;
        let vars = [("DATABASE_URL", db.url.as_str()), ("SECRET_KEY", TEST_KEY)];
        let args = [
            "seed",
            "--users",
            "2",
            "--documents",
            "3",
            "--audit-events",
            "50",
        ];
        let out = motto_cli_stdin(db.dir.path(), &args, &vars, &format!("{GOOD_PASSWORD}\n"));
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            text(&out).contains("Seeded 3 accounts, 9 documents"),
            "{}",
            text(&out)
        );
        assert!(
            !text(&out).contains(GOOD_PASSWORD),
            "the password was echoed"
        );

        let prod = [
            ("DATABASE_URL", db.url.as_str()),
            ("SECRET_KEY", TEST_KEY),
            ("ENVIRONMENT", "production"),
            ("PUBLIC_URL", "https://motto.example.com"),
        ];
        let out = motto_cli_stdin(db.dir.path(), &args, &prod, &format!("{GOOD_PASSWORD}\n"));
        assert!(!out.status.success());
        assert!(
            text(&out).contains("refused in production"),
            "{}",
            text(&out)
        );
    }
);

db_test!(
    seeded_teams_put_the_measured_account_in_the_asked_spaces,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let plan = motto::server::seed::Plan {
            users: 4,
            documents_per_user: 0,
            revisions: 0,
            conversations_per_user: 0,
            messages_per_conversation: 0,
            audit_events: 0,
            teams: motto::server::seed::Teams {
                spaces: 10,
                groups: 4,
                documents: 105,
                member_of: 4,
            },
        };
        let report =
            motto::server::seed::seed(&app.state.db, &plan, &GOOD_PASSWORD.to_string().into())
                .await
                .unwrap();
        assert_eq!(
            (report.spaces, report.groups, report.documents),
            (10, 5, 105)
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM spaces WHERE kind = 'shared'").await,
            10
        );
        // seed-user-1: editor of two spaces directly, viewer of two through its group.
        let c = app.new_client();
        assert_eq!(
            app.login_with(&c, "seed-user-1", GOOD_PASSWORD)
                .await
                .status(),
            200
        );
        let spaces = json(app.invoke(&c, motto::api::spaces::ListSpaces {}).await).await;
        let roles: Vec<_> = spaces
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["role"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(roles, ["owner", "editor", "editor", "viewer", "viewer"]);
        let listed = json(app.documents(&c).list(false).await).await;
        // 105 over 10 spaces: the first five hold 11 each.
        assert_eq!(listed["total"], 4 * 11, "{listed}");
        app.stop().await;
    }
);
