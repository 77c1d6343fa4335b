use crate::db_test;
use crate::helpers::{motto_cli, Backend, TestApp, TEST_KEY};
use motto::server::db::audit::{self, AuditContext, NewEvent, Outcome};
use std::sync::Arc;

async fn actions(app: &TestApp) -> Vec<(i64, String)> {
    motto::on_pool!(&app.state.db, pool => {
        sqlx::query_as::<_, (i64, String)>("SELECT id, action FROM audit_events ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap()
    })
}

fn ctx(i: i64) -> AuditContext {
    AuditContext {
        actor_user_id: Some(i),
        source_ip: Some("127.0.0.1".into()),
        user_agent: Some("integration-test".into()),
        request_id: Some(format!("req-{i}")),
        ..Default::default()
    }
}

db_test!(server_start_is_recorded, |backend| {
    let app = TestApp::spawn(backend).await;
    let events = actions(&app).await;
    assert_eq!(events, vec![(1, "system.start".to_string())]);
    app.stop().await;
});

db_test!(
    chain_stays_linear_and_verifies_after_200_concurrent_appends,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let db = Arc::new(app.state.db.clone());
        let mut tasks = Vec::new();
        for i in 0..200 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                audit::record_now(
                    &db,
                    &ctx(i),
                    NewEvent::new("test.append", Outcome::Success)
                        .target("thing", i)
                        .details(serde_json::json!({ "i": i })),
                )
                .await
            }));
        }
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await.unwrap().expect("append succeeds"));
        }
        ids.sort();
        assert_eq!(
            ids,
            (2..=201).collect::<Vec<i64>>(),
            "ids are unique and gap-free"
        );

        let report = audit::verify(&app.state.db).await.unwrap();
        assert!(report.is_intact(), "{report:?}");
        assert_eq!(report.rows, 201);
        app.stop().await;
    }
);

db_test!(
    verifying_while_others_write_finds_the_chain_intact,
    |backend| {
        // A server verifies while its users keep working: writers append the
        // whole time, and several verifications (each recording its result, as
        // the admin page's "Verify now" does) overlap them and each other.
        let app = TestApp::spawn(backend).await;
        let state = Arc::new(app.state.clone());
        let mut writers = Vec::new();
        for w in 0..4i64 {
            let db = app.state.db.clone();
            writers.push(tokio::spawn(async move {
                for i in 0..60 {
                    audit::record_now(
                        &db,
                        &ctx(w * 1000 + i),
                        NewEvent::new("test.append", Outcome::Success),
                    )
                    .await
                    .expect("append succeeds");
                }
            }));
        }
        let mut verifiers = Vec::new();
        for _ in 0..3 {
            let state = state.clone();
            verifiers.push(tokio::spawn(async move {
                let mut broken = Vec::new();
                for _ in 0..8 {
                    let check = motto::server::services::admin::verify_chain(&state)
                        .await
                        .expect("verification runs");
                    if !check.intact {
                        broken.push((check.first_broken_id, check.reason));
                    }
                }
                broken
            }));
        }
        for w in writers {
            w.await.unwrap();
        }
        for v in verifiers {
            let broken = v.await.unwrap();
            assert!(
                broken.is_empty(),
                "a sound chain was reported broken: {broken:?}"
            );
        }
        let report = audit::verify(&app.state.db).await.unwrap();
        assert!(report.is_intact(), "{report:?}");
        assert_eq!(report.rows, 241);
        app.stop().await;
    }
);

db_test!(
    events_read_back_in_batches_are_exactly_what_the_driver_reads,
    |backend| {
        // SQLite hands long chains over as one JSON value per batch; what comes
        // back must be the stored values to the byte, awkward ones included.
        let app = TestApp::spawn(backend).await;
        let odd = "quote \" backslash \\ new\nline tab\t é 🚀 \u{2028} </script>";
        for i in 0..5 {
            let ctx = AuditContext {
                actor_user_id: (i % 2 == 0).then_some(i),
                source_ip: None,
                user_agent: Some(odd.to_string()),
                request_id: Some(format!("req-{i}")),
                ..Default::default()
            };
            audit::record_now(
                &app.state.db,
                &ctx,
                NewEvent::new("test.odd", Outcome::Denied)
                    .target("thing", odd)
                    .details(serde_json::json!({ "text": odd, "n": i, "big": i64::MAX })),
            )
            .await
            .unwrap();
        }
        let batched = audit::chain_batch(&app.state.db, 1, 100).await.unwrap();
        let by_row: Vec<audit::AuditRow> = motto::on_pool!(&app.state.db, pool => {
            sqlx::query_as(
                "SELECT id, occurred_at, actor_user_id, actor_api_key_id, action, target_type, \
                 target_id, outcome, source_ip, user_agent, request_id, details, prev_hash, hash, mac \
                 FROM audit_events ORDER BY id",
            )
            .fetch_all(pool)
            .await
            .unwrap()
        });
        assert_eq!(batched.len(), 6);
        assert_eq!(batched, by_row);
        assert!(audit::verify(&app.state.db).await.unwrap().is_intact());
        app.stop().await;
    }
);

db_test!(an_event_rolls_back_with_its_transaction, |backend| {
    let app = TestApp::spawn(backend).await;
    let mut tx = app.state.db.begin().await.unwrap();
    audit::record(
        &mut tx,
        &ctx(1),
        NewEvent::new("test.rolled_back", Outcome::Success),
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    audit::record_now(
        &app.state.db,
        &ctx(1),
        NewEvent::new("test.kept", Outcome::Success),
    )
    .await
    .unwrap();
    let events = actions(&app).await;
    assert_eq!(
        events,
        vec![
            (1, "system.start".to_string()),
            (2, "test.kept".to_string())
        ]
    );
    assert!(audit::verify(&app.state.db).await.unwrap().is_intact());
    app.stop().await;
});

db_test!(
    the_database_refuses_updates_and_deletes_of_events,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let refused = motto::on_pool!(&app.state.db, pool => {
            (
                sqlx::query("UPDATE audit_events SET action = 'x' WHERE id = 1").execute(pool).await.is_err(),
                sqlx::query("DELETE FROM audit_events WHERE id = 1").execute(pool).await.is_err(),
            )
        });
        assert_eq!(refused, (true, true));
        app.stop().await;
    }
);

async fn append_some(app: &TestApp, n: i64) {
    for i in 0..n {
        audit::record_now(
            &app.state.db,
            &ctx(i),
            NewEvent::new("test.append", Outcome::Success),
        )
        .await
        .unwrap();
    }
}

/// What an attacker with raw database access does first: remove the guard rails.
pub fn drop_guards_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;"
        }
        Backend::Postgres => "DROP TRIGGER audit_events_no_update_delete ON audit_events;",
    }
}

db_test!(
    asvs_16_4_2_an_edited_event_breaks_the_chain_at_that_event,
    |backend| {
        let app = TestApp::spawn(backend).await;
        append_some(&app, 5).await;
        assert!(audit::verify(&app.state.db).await.unwrap().is_intact());

        app.db.raw_execute(drop_guards_sql(backend)).await;
        app.db
            .raw_execute("UPDATE audit_events SET outcome = 'failure' WHERE id = 4")
            .await;

        let report = audit::verify(&app.state.db).await.unwrap();
        let broken = report.first_broken.expect("tampering detected");
        assert_eq!(broken.id, 4, "{broken:?}");
        assert_eq!(report.rows, 3);

        // The command-line check agrees, and exits non-zero.
        let out = motto_cli(
            app.db.dir.path(),
            &["verify-audit"],
            &[("DATABASE_URL", &app.db.url), ("SECRET_KEY", TEST_KEY)],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "{stdout}");
        assert!(stdout.contains("fails at event 4"), "{stdout}");
        app.stop().await;
    }
);

db_test!(a_deleted_event_breaks_the_chain, |backend| {
    let app = TestApp::spawn(backend).await;
    append_some(&app, 5).await;
    app.db.raw_execute(drop_guards_sql(backend)).await;
    app.db
        .raw_execute("DELETE FROM audit_events WHERE id = 3")
        .await;
    let broken = audit::verify(&app.state.db)
        .await
        .unwrap()
        .first_broken
        .unwrap();
    assert_eq!(broken.id, 3, "{broken:?}");
    assert!(broken.reason.contains("missing"), "{broken:?}");
    app.stop().await;
});

db_test!(a_removed_tail_breaks_the_chain, |backend| {
    let app = TestApp::spawn(backend).await;
    append_some(&app, 5).await;
    app.db.raw_execute(drop_guards_sql(backend)).await;
    app.db
        .raw_execute("DELETE FROM audit_events WHERE id = 6")
        .await;
    let report = audit::verify(&app.state.db).await.unwrap();
    let broken = report.first_broken.expect("truncation detected");
    assert_eq!(broken.id, 6, "{broken:?}");
    app.stop().await;
});

db_test!(verify_audit_cli_reports_ok_with_the_count, |backend| {
    let app = TestApp::spawn(backend).await;
    append_some(&app, 2).await;
    let out = motto_cli(
        app.db.dir.path(),
        &["verify-audit"],
        &[("DATABASE_URL", &app.db.url), ("SECRET_KEY", TEST_KEY)],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("OK: the audit chain verifies (3 events)"),
        "{stdout}"
    );
    app.stop().await;
});

/// SQL run as someone holding the database credentials, on one connection.
async fn as_owner(app: &TestApp, statements: &[&str]) {
    let owner = app.db.owner().await;
    motto::on_pool!(&owner, pool => {
        let mut conn = pool.acquire().await.unwrap();
        for sql in statements {
            sqlx::query(sql)
                .execute(&mut *conn)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    });
    owner.close().await;
}

db_test!(
    a_chain_head_moved_back_over_events_still_stored_is_caught,
    |backend| {
        // The walk covers the chain up to the head it read first (events
        // appended meanwhile are not part of it). A head rewritten backwards,
        // with the later events left in place, must not shrink the chain
        // unnoticed.
        let app = TestApp::spawn(backend).await;
        append_some(&app, 5).await;
        as_owner(
            &app,
            &["UPDATE audit_chain_head SET seq = 4, \
               last_hash = (SELECT hash FROM audit_events WHERE id = 4), \
               last_mac = (SELECT mac FROM audit_events WHERE id = 4) WHERE id = 1"],
        )
        .await;
        let report = audit::verify(&app.state.db).await.unwrap();
        let broken = report.first_broken.expect("the rewritten head is caught");
        assert_eq!(broken.id, 5, "{broken:?}");
        assert!(
            broken.reason.contains("events up to 6 are stored"),
            "{broken:?}"
        );
        app.stop().await;
    }
);

db_test!(
    asvs_16_4_2_a_cut_tail_with_a_rewritten_head_is_caught_by_the_last_check,
    |backend| {
        let app = TestApp::spawn(backend).await;
        for i in 0..10 {
            audit::record_now(
                &app.state.db,
                &ctx(i),
                NewEvent::new("test.append", Outcome::Success),
            )
            .await
            .unwrap();
        }
        // A verification (the hourly one, the admin page's or the command's) runs.
        let vars = [
            ("DATABASE_URL", app.db.url.as_str()),
            ("SECRET_KEY", TEST_KEY),
        ];
        let dir = app.db.dir.path().to_path_buf();
        let out = motto_cli(&dir, &["verify-audit"], &vars);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );

        // Then someone with the credentials removes the last three events and
        // makes the chain head agree, with the guards switched off meanwhile.
        let head = "UPDATE audit_chain_head SET seq = 8, \
                    last_hash = (SELECT hash FROM audit_events WHERE id = 8) WHERE id = 1";
        if backend == Backend::Postgres {
            as_owner(
                &app,
                &[
                    "ALTER TABLE audit_events DISABLE TRIGGER USER",
                    "DELETE FROM audit_events WHERE id > 8",
                    head,
                    "ALTER TABLE audit_events ENABLE TRIGGER USER",
                ],
            )
            .await;
        } else {
            as_owner(
                &app,
                &[
                    "DROP TRIGGER audit_events_no_delete",
                    "DELETE FROM audit_events WHERE id > 8",
                    head,
                    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events \
                     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
                ],
            )
            .await;
        }
        // The chain alone still looks whole...
        let out = motto_cli(&dir, &["verify-audit"], &vars);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // ...but the last check saw 11 events (system.start and ten more).
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(
            text.contains("saw 11 events, but the log ends at event 8"),
            "{text}"
        );
        app.stop().await;
    }
);
