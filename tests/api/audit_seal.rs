//! The keyed chain and its signed checkpoints, attacked as someone holding the
//! database credentials would: each attack is done for real on the database
//! (SQLite's file, PostgreSQL's server) and must be caught by `motto
//! verify-audit --checkpoints` and, without any secret, by `motto verify-export`.

use crate::audit::drop_guards_sql;
use crate::db_test;
use crate::helpers::{motto_cli, Backend, TestApp, TEST_KEY};
use motto::server::{
    audit_chain::{chain_hash, AuditRow},
    db::audit::{self, AuditContext, NewEvent, Outcome},
    services::audit_checkpoints,
};
use std::path::{Path, PathBuf};

async fn append(app: &TestApp, n: i64) {
    for i in 0..n {
        audit::record_now(
            &app.state.db,
            &AuditContext {
                actor_user_id: Some(i),
                ..Default::default()
            },
            NewEvent::new("test.append", Outcome::Success).details(serde_json::json!({ "i": i })),
        )
        .await
        .unwrap();
    }
}

fn checkpoint_dir(app: &TestApp) -> PathBuf {
    app.db.data_dir().join("audit-checkpoints")
}

/// Append `n` events and seal them with a checkpoint, `rounds` times.
async fn sealed_rounds(app: &TestApp, rounds: usize, n: i64) {
    for _ in 0..rounds {
        append(app, n).await;
        audit_checkpoints::seal_and_ship(&app.state).await;
    }
}

struct Run {
    ok: bool,
    text: String,
}

fn run(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let out = motto_cli(dir, args, vars);
    Run {
        ok: out.status.success(),
        text: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

fn verify_audit(app: &TestApp, checkpoints: &Path) -> Run {
    run(
        app.db.dir.path(),
        &[
            "verify-audit",
            "--checkpoints",
            checkpoints.to_str().unwrap(),
        ],
        &[("DATABASE_URL", &app.db.url), ("SECRET_KEY", TEST_KEY)],
    )
}

/// The public key, as an administrator would hand it to an auditor.
fn public_key(app: &TestApp) -> String {
    let r = run(
        app.db.dir.path(),
        &["audit-key"],
        &[("DATABASE_URL", &app.db.url), ("SECRET_KEY", TEST_KEY)],
    );
    assert!(r.ok, "{}", r.text);
    r.text.lines().next().unwrap().trim().to_string()
}

/// Export the log, then check it as an outsider: no database, no secret, an
/// empty environment.
fn export_and_verify(app: &TestApp, name: &str, key: &str, checkpoints: &Path) -> Run {
    let export = app.db.dir.path().join(name);
    let r = run(
        app.db.dir.path(),
        &["export-audit", export.to_str().unwrap()],
        &[("DATABASE_URL", &app.db.url), ("SECRET_KEY", TEST_KEY)],
    );
    assert!(r.ok, "{}", r.text);
    let auditor = tempfile::tempdir().unwrap();
    run(
        auditor.path(),
        &[
            "verify-export",
            export.to_str().unwrap(),
            "--checkpoints",
            checkpoints.to_str().unwrap(),
            "--public-key",
            key,
        ],
        &[],
    )
}

/// SQL as someone holding the credentials, on one connection.
async fn as_owner(app: &TestApp, statements: &[String]) {
    let owner = app.db.owner().await;
    motto::on_pool!(&owner, pool => {
        let mut conn = pool.acquire().await.unwrap();
        for sql in statements {
            sqlx::raw_sql(sql)
                .execute(&mut *conn)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    });
    owner.close().await;
}

async fn rows(app: &TestApp) -> Vec<AuditRow> {
    audit::chain_batch(&app.state.db, 1, 100_000).await.unwrap()
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Edit event `k` and recompute every public hash after it, then make the head
/// agree: the chain's SHA-256 links all hold again.
async fn rewrite_from(app: &TestApp, backend: Backend, k: i64) {
    let mut all = rows(app).await;
    let mut prev = all[(k - 2) as usize].hash.clone();
    let mut sql = vec![drop_guards_sql(backend).to_string()];
    for r in all.iter_mut().skip((k - 1) as usize) {
        if r.id == k {
            r.details = r#"{"i":"forged"}"#.into();
        }
        r.prev_hash = prev.clone();
        r.hash = chain_hash(&prev, r);
        prev = r.hash.clone();
        sql.push(format!(
            "UPDATE audit_events SET details = {}, prev_hash = {}, hash = {} WHERE id = {}",
            quote(&r.details),
            quote(&r.prev_hash),
            quote(&r.hash),
            r.id
        ));
    }
    sql.push(format!(
        "UPDATE audit_chain_head SET last_hash = {} WHERE id = 1",
        quote(&prev)
    ));
    as_owner(app, &sql).await;
}

db_test!(
    asvs_16_4_2_a_rewritten_event_with_recomputed_hashes_is_caught,
    |backend| {
        let app = TestApp::spawn(backend).await;
        sealed_rounds(&app, 3, 5).await; // events 1–16, checkpoints 1–4
        let dir = checkpoint_dir(&app);
        let key = public_key(&app);
        let before = verify_audit(&app, &dir);
        assert!(before.ok, "{}", before.text);
        assert!(
            before
                .text
                .contains("OK: the audit chain verifies (16 events)"),
            "{}",
            before.text
        );
        assert!(
            before.text.contains("4 signed checkpoints"),
            "{}",
            before.text
        );
        let clean = export_and_verify(&app, "clean.jsonl", &key, &dir);
        assert!(clean.ok, "{}", clean.text);

        rewrite_from(&app, backend, 9).await;

        // With the key, the MAC names the very event.
        let r = verify_audit(&app, &dir);
        assert!(!r.ok, "{}", r.text);
        assert!(r.text.contains("fails at event 9"), "{}", r.text);
        assert!(r.text.contains("MAC does not verify"), "{}", r.text);
        // Without it, the checkpoint that sealed events 7–11 does.
        let r = export_and_verify(&app, "rewritten.jsonl", &key, &dir);
        assert!(!r.ok, "{}", r.text);
        assert!(r.text.contains("fails at event 7"), "{}", r.text);
        assert!(
            r.text.contains("events 7–11 do not match checkpoint 3"),
            "{}",
            r.text
        );
        app.stop().await;
    }
);

db_test!(
    asvs_16_4_2_a_cut_tail_is_caught_by_the_checkpoints_kept_outside,
    |backend| {
        let app = TestApp::spawn(backend).await;
        sealed_rounds(&app, 3, 5).await;
        let dir = checkpoint_dir(&app);
        let key = public_key(&app);
        // The thorough attacker: remove events 12–16, the checkpoints in the
        // database that mention them, and make the head agree.
        let last = rows(&app).await[10].clone();
        let mut sql = vec![drop_guards_sql(backend).to_string()];
        sql.push(match backend {
            Backend::Sqlite => "DROP TRIGGER audit_checkpoints_no_delete".into(),
            Backend::Postgres => {
                "DROP TRIGGER audit_checkpoints_no_update_delete ON audit_checkpoints".into()
            }
        });
        sql.push("DELETE FROM audit_events WHERE id > 11".into());
        sql.push("DELETE FROM audit_checkpoints WHERE last_id > 11".into());
        sql.push(format!(
            "UPDATE audit_chain_head SET seq = 11, last_hash = {}, last_mac = {} WHERE id = 1",
            quote(&last.hash),
            quote(last.mac.as_deref().unwrap())
        ));
        as_owner(&app, &sql).await;

        // The database alone now looks whole...
        let inside = audit::verify(&app.state.db).await.unwrap();
        assert!(inside.is_intact(), "{inside:?}");
        // ...the checkpoints outside it do not agree.
        let r = verify_audit(&app, &dir);
        assert!(!r.ok, "{}", r.text);
        assert!(r.text.contains("fails at event 12"), "{}", r.text);
        assert!(
            r.text
                .contains("checkpoint 4 sealed events up to 16, but the log ends at event 11"),
            "{}",
            r.text
        );
        let r = export_and_verify(&app, "cut.jsonl", &key, &dir);
        assert!(
            !r.ok && r.text.contains("events at the end were removed"),
            "{}",
            r.text
        );
        app.stop().await;
    }
);

db_test!(
    a_forged_a_deleted_checkpoint_and_a_reordered_event_are_caught,
    |backend| {
        let app = TestApp::spawn(backend).await;
        sealed_rounds(&app, 3, 5).await;
        let dir = checkpoint_dir(&app);
        let key = public_key(&app);

        // A forged checkpoint: its range edited in the file (the file is
        // read-only, as the owner of the directory can still replace it).
        let forged_dir = app.db.dir.path().join("forged");
        copy_dir(&dir, &forged_dir);
        let file = forged_dir.join("checkpoint-000000002.json");
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::remove_file(&file).unwrap();
        std::fs::write(
            &file,
            text.replace("\"last_id\":6", "\"last_id\":5")
                .replace("\"count\":5", "\"count\":4"),
        )
        .unwrap();
        let r = verify_audit(&app, &forged_dir);
        assert!(!r.ok, "{}", r.text);
        assert!(
            r.text
                .contains("checkpoint 2 does not carry a valid signature"),
            "{}",
            r.text
        );

        // A deleted checkpoint file.
        let gap_dir = app.db.dir.path().join("gap");
        copy_dir(&dir, &gap_dir);
        std::fs::remove_file(gap_dir.join("checkpoint-000000003.json")).unwrap();
        let r = verify_audit(&app, &gap_dir);
        assert!(!r.ok, "{}", r.text);
        assert!(r.text.contains("checkpoint 3 is missing"), "{}", r.text);
        let r = export_and_verify(&app, "gap.jsonl", &key, &gap_dir);
        assert!(
            !r.ok && r.text.contains("checkpoint 3 is missing"),
            "{}",
            r.text
        );

        // The last checkpoint file deleted: the database's copy says so.
        let tail_dir = app.db.dir.path().join("tail");
        copy_dir(&dir, &tail_dir);
        std::fs::remove_file(tail_dir.join("checkpoint-000000004.json")).unwrap();
        let r = verify_audit(&app, &tail_dir);
        assert!(!r.ok, "{}", r.text);
        assert!(
            r.text
                .contains("checkpoint 4 (events 12–16) is in the database but missing"),
            "{}",
            r.text
        );

        // Two events swapped in place (ids exchanged).
        as_owner(
            &app,
            &[
                drop_guards_sql(backend).to_string(),
                "UPDATE audit_events SET id = -1 WHERE id = 13".into(),
                "UPDATE audit_events SET id = 13 WHERE id = 14".into(),
                "UPDATE audit_events SET id = 14 WHERE id = -1".into(),
            ],
        )
        .await;
        let r = verify_audit(&app, &dir);
        assert!(!r.ok, "{}", r.text);
        assert!(r.text.contains("fails at event 13"), "{}", r.text);
        let r = export_and_verify(&app, "swapped.jsonl", &key, &dir);
        assert!(!r.ok && r.text.contains("fails at event 13"), "{}", r.text);
        app.stop().await;
    }
);

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

db_test!(
    an_untouched_log_verifies_for_an_auditor_with_only_the_public_key,
    |backend| {
        let app = TestApp::spawn(backend).await;
        sealed_rounds(&app, 2, 4).await;
        append(&app, 2).await; // not sealed yet
        let dir = checkpoint_dir(&app);
        let key = public_key(&app);
        assert_eq!(key.len(), 64, "{key}");
        let r = export_and_verify(&app, "export.jsonl", &key, &dir);
        assert!(r.ok, "{}", r.text);
        assert!(
            r.text.contains("OK: the audit export verifies (11 events)"),
            "{}",
            r.text
        );
        assert!(
            r.text.contains("seal events 1–9. Events 10–11 are newer"),
            "{}",
            r.text
        );

        // Someone else's public key proves nothing.
        let other = run(app.db.dir.path(), &["audit-key", "--new"], &[]);
        let stranger_public = other.text.rsplit(": ").next().unwrap().trim().to_string();
        let r = export_and_verify(&app, "export2.jsonl", &stranger_public, &dir);
        assert!(
            !r.ok && r.text.contains("does not carry a valid signature"),
            "{}",
            r.text
        );

        // The admin console's export is the same file.
        let (admin, _) = crate::admin::admin(&app, "root").await;
        let body = admin
            .get(format!("{}/admin/audit/export?format=chain", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let first: AuditRow = serde_json::from_str(body.lines().next().unwrap()).unwrap();
        assert_eq!((first.id, first.action.as_str()), (1, "system.start"));
        assert!(body.lines().count() >= 11);
        app.stop().await;
    }
);

db_test!(
    checkpoints_follow_the_schedule_and_reach_the_directory_after_an_outage,
    |backend| {
        let blocked = tempfile::tempdir().unwrap();
        let blocker = blocked.path().join("not-a-directory");
        std::fs::write(&blocker, "a file where the directory should be").unwrap();
        let target = blocker.join("checkpoints");
        let app = TestApp::on(backend)
            .vars(&[
                ("AUDIT_CHECKPOINT_EVENTS", "3"),
                ("AUDIT_CHECKPOINT_DIR", target.to_str().unwrap()),
            ])
            .spawn()
            .await;
        append(&app, 6).await;
        // Sealed by the schedule, though the directory cannot take them.
        let sealed = wait_for(|| async {
            audit::latest_checkpoint(&app.state.db)
                .await
                .unwrap()
                .is_some_and(|c| c.body.last_id >= 7)
        })
        .await;
        assert!(sealed, "no checkpoint within 20 s");
        let status = audit_checkpoints::status(&app.state).await.unwrap();
        assert!(status.directory_lag().unwrap() >= 2, "{status:?}");

        // The directory comes back: every missed checkpoint arrives, in order.
        std::fs::remove_file(&blocker).unwrap();
        append(&app, 3).await;
        let caught_up = wait_for(|| async {
            audit_checkpoints::status(&app.state)
                .await
                .unwrap()
                .directory_lag()
                == Some(0)
        })
        .await;
        assert!(caught_up, "the directory did not catch up");
        let names: Vec<String> = {
            let mut v: Vec<String> = std::fs::read_dir(&target)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect();
            v.sort();
            v
        };
        assert!(names.len() >= 3, "{names:?}");
        assert_eq!(names[0], "checkpoint-000000001.json");

        // At shutdown the last events are sealed too.
        append(&app, 1).await;
        let db = app.stop_keeping_db().await;
        let r = run(
            db.dir.path(),
            &["verify-audit", "--checkpoints", target.to_str().unwrap()],
            &[("DATABASE_URL", &db.url), ("SECRET_KEY", TEST_KEY)],
        );
        assert!(r.ok, "{}", r.text);
        assert!(
            !r.text.contains("newer than the last checkpoint"),
            "{}",
            r.text
        );
    }
);

async fn wait_for<F, Fut>(check: F) -> bool
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    false
}

db_test!(
    a_changed_audit_key_is_named_as_the_likely_cause,
    |backend| {
        let app = TestApp::spawn(backend).await;
        append(&app, 3).await;
        let r = run(
            app.db.dir.path(),
            &["verify-audit"],
            &[
                ("DATABASE_URL", &app.db.url),
                ("SECRET_KEY", TEST_KEY),
                ("AUDIT_KEY", "an-entirely-different-audit-key-0123456789"),
            ],
        );
        assert!(!r.ok, "{}", r.text);
        assert!(r.text.contains("fails at event 1"), "{}", r.text);
        assert!(r.text.contains("AUDIT_KEY / SECRET_KEY"), "{}", r.text);
        app.stop().await;
    }
);

// What the server's own connection may do to the audit log. On PostgreSQL it is
// the application role: every rewrite is refused by the database itself, and
// the head moves only forward, onto an event that exists. On SQLite whoever can
// write the file can do anything (docs/audit.md says so); the other tests show
// what the checkpoints still catch there.
db_test!(
    asvs_16_4_2_the_application_role_cannot_rewrite_the_audit_log,
    |backend| {
        let app = TestApp::spawn(backend).await;
        append(&app, 3).await;
        let motto::server::db::Pool::Postgres(pool) = app.state.db.pool().clone() else {
            app.stop().await;
            return;
        };
        let attempts = [
            "UPDATE audit_events SET outcome = 'failure' WHERE id = 2",
            "DELETE FROM audit_events WHERE id = 4",
            "TRUNCATE audit_events",
            "ALTER TABLE audit_events DISABLE TRIGGER USER",
            "DROP TRIGGER audit_events_no_update_delete ON audit_events",
            "UPDATE audit_chain_head SET seq = 2 WHERE id = 1",
            "DELETE FROM audit_checkpoints",
            "UPDATE audit_checkpoints SET line = '{}'",
            "ALTER TABLE audit_checkpoints DISABLE TRIGGER USER",
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (999, 'x', true, '\\x00', 0)",
        ];
        for sql in attempts {
            let err = sqlx::raw_sql(sql).execute(&pool).await.expect_err(sql);
            let code = err
                .as_database_error()
                .and_then(|e| e.code())
                .map(|c| c.to_string());
            // 42501: insufficient privilege (including "must be owner").
            assert_eq!(code.as_deref(), Some("42501"), "{sql}: {err}");
        }
        // The head's functions refuse to move it anywhere but onto a real tip.
        let err = sqlx::query("SELECT audit_link(2, 'forged', NULL)")
            .execute(&pool)
            .await
            .expect_err("link to an old event");
        assert!(err.to_string().contains("is not the reserved tip"), "{err}");
        let err = sqlx::query(
            "SELECT audit_append(2, now(), NULL, NULL, 'forged', NULL, NULL, 'success', \
             NULL, NULL, NULL, '{}', 'x', 'forged', NULL)",
        )
        .execute(&pool)
        .await
        .expect_err("append over an old event");
        assert!(err.to_string().contains("is not the reserved tip"), "{err}");
        let err = sqlx::query("SELECT * FROM audit_reserve(0)")
            .fetch_all(&pool)
            .await
            .expect_err("reserve nothing");
        assert!(err.to_string().contains("at least one"), "{err}");
        // And the server goes on appending, sealing and verifying as that role.
        append(&app, 2).await;
        audit_checkpoints::seal_and_ship(&app.state).await;
        let report = audit::verify(&app.state.db).await.unwrap();
        assert!(report.is_intact(), "{report:?}");
        assert_eq!(report.rows, 6);
        let role: String = sqlx::query_scalar("SELECT current_user::text")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(role, crate::helpers::APP_ROLE);
        app.stop().await;
    }
);

db_test!(
    retention_prunes_only_sealed_archived_runs_and_the_log_still_verifies,
    |backend| {
        use motto::server::services::audit_retention::prune_older_than;
        let app = TestApp::spawn(backend).await;
        let dir = checkpoint_dir(&app);
        let key = public_key(&app);
        sealed_rounds(&app, 2, 5).await;
        let sealed = audit::latest_checkpoint(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .body
            .last_id;
        append(&app, 4).await; // not sealed: must survive any cut-off
        let later = chrono::Utc::now() + chrono::Duration::days(1);

        // Nothing is old enough yet.
        let now = chrono::Utc::now() - chrono::Duration::days(1);
        assert!(prune_older_than(&app.state, now).await.unwrap().is_none());

        // Everything is "old": only the sealed run goes, after its archive.
        let pruned = prune_older_than(&app.state, later).await.unwrap().unwrap();
        assert_eq!((pruned.first, pruned.last), (1, sealed));
        assert_eq!(pruned.removed, sealed);
        let archived = std::fs::read_to_string(&pruned.archive).unwrap();
        let ids: Vec<i64> = archived
            .lines()
            .map(|l| serde_json::from_str::<AuditRow>(l).unwrap().id)
            .collect();
        assert_eq!(ids, (1..=sealed).collect::<Vec<_>>());
        let left = rows(&app).await;
        assert_eq!(
            left.first().unwrap().id,
            sealed + 1,
            "the unsealed events stay"
        );
        assert!(left.iter().any(
            |r| r.action == "audit.prune" && r.details.contains(&format!("\"last\":{sealed}"))
        ));
        // The next round has nothing sealed to take until a checkpoint comes.
        assert!(prune_older_than(&app.state, later).await.unwrap().is_none());

        // The database's own check and the outside checkpoints agree it is whole.
        assert!(audit::verify(&app.state.db).await.unwrap().is_intact());
        let r = verify_audit(&app, &dir);
        assert!(r.ok, "{}", r.text);
        assert!(
            r.text.contains(&format!("Events 1–{sealed} were pruned")),
            "{}",
            r.text
        );
        // An auditor: the export alone (it starts at the seal) and the archive
        // followed by the export both verify.
        audit_checkpoints::seal_and_ship(&app.state).await;
        let r = export_and_verify(&app, "after.jsonl", &key, &dir);
        assert!(r.ok, "{}", r.text);
        let export = app.db.dir.path().join("after.jsonl");
        let auditor = tempfile::tempdir().unwrap();
        let args = [
            "verify-export",
            pruned.archive.to_str().unwrap(),
            export.to_str().unwrap(),
            "--checkpoints",
            dir.to_str().unwrap(),
            "--public-key",
            &key,
        ];
        let r = run(auditor.path(), &args, &[]);
        assert!(r.ok, "{}", r.text);

        // Deleting more, beyond the prune, is still refused...
        let refused = match backend {
            Backend::Sqlite => {
                let owner = app.db.owner().await;
                let e = motto::on_pool!(&owner, pool => sqlx::query("DELETE FROM audit_events WHERE id = $1")
                    .bind(sealed + 1)
                    .execute(pool)
                    .await
                    .map(|_| ()));
                owner.close().await;
                e.is_err()
            }
            Backend::Postgres => true, // the application role's grants: asvs_16_4_2 test
        };
        assert!(refused);
        // ...and done behind Motto's back — triggers dropped, a prune row
        // forged at a real checkpoint's end, but no audit.prune event in the
        // keyed chain — it is caught.
        let upto = audit::latest_checkpoint(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .body;
        let attack = vec![
            drop_guards_sql(backend).to_string(),
            format!(
                "INSERT INTO audit_prunes (upto_id, checkpoint_seq, archive, archive_sha256, pruned_at) \
                 VALUES ({}, {}, 'x', '{}', '2026-01-01T00:00:00+00:00')",
                upto.last_id,
                upto.seq,
                "0".repeat(64)
            ),
            format!("DELETE FROM audit_events WHERE id <= {}", upto.last_id),
        ];
        as_owner(&app, &attack).await;
        let r = verify_audit(&app, &dir);
        assert!(!r.ok, "{}", r.text);
        assert!(
            r.text
                .contains("no audit.prune event records their removal"),
            "{}",
            r.text
        );
    }
);
