//! `motto backup` and `motto restore`: an online backup taken under a write load is
//! consistent and checked, and restores; bad files and a running server are refused.

use crate::db_test;
use crate::helpers::{motto_cli, signed_up, text, Backend, TestApp, TEST_KEY};
use std::sync::{
    atomic::{AtomicBool, AtomicUsize, Ordering},
    Arc,
};

async fn count(file: &std::path::Path, sql: &str) -> i64 {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", file.display()))
        .await
        .unwrap();
    let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

async fn cli(
    dir: &std::path::Path,
    args: Vec<String>,
    vars: Vec<(String, String)>,
) -> std::process::Output {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        motto_cli(&dir, &args, &vars)
    })
    .await
    .unwrap()
}

db_test!(
    an_online_backup_is_consistent_checked_and_restores,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let dir = app.db.dir.path().to_path_buf();
        let vars = vec![
            ("DATABASE_URL".to_string(), app.db.url.clone()),
            ("SECRET_KEY".to_string(), TEST_KEY.to_string()),
        ];
        let dest = dir.join("backup.db");
        let dest_arg = dest.display().to_string();
        if backend == Backend::Postgres {
            let out = cli(&dir, vec!["backup".into(), dest_arg], vars).await;
            assert_eq!(out.status.code(), Some(2), "{}", text(&out));
            assert!(text(&out).contains("pg_dump"), "{}", text(&out));
            return;
        }
        signed_up(&app, "alice").await;
        let token = crate::helpers::access_token(&app.url, "alice").await;
        // Documents are written the whole time the backup runs.
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicUsize::new(0));
        let writer = {
            let (stop, written, url) = (stop.clone(), written.clone(), app.url.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                while !stop.load(Ordering::Relaxed) {
                    let res = client
                    .post(format!("{url}/api/v1/documents"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"title": "load", "body": "written during the backup"}))
                    .send()
                    .await
                    .unwrap();
                    assert_eq!(res.status(), 201);
                    written.fetch_add(1, Ordering::Relaxed);
                }
            })
        };
        while written.load(Ordering::Relaxed) < 5 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let out = cli(&dir, vec!["backup".into(), dest_arg.clone()], vars.clone()).await;
        let during = written.load(Ordering::Relaxed);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        stop.store(true, Ordering::Relaxed);
        writer.await.unwrap();
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            text(&out).contains("integrity ok, audit chain verifies"),
            "{}",
            text(&out)
        );
        let in_backup = count(&dest, "SELECT COUNT(*) FROM documents").await;
        let live = app.count("documents").await;
        assert!(
            in_backup >= 5 && in_backup <= during as i64 && in_backup < live,
            "{in_backup} of {live}"
        );
        assert!(app
            .audit_actions()
            .await
            .contains(&"system.backup".to_string()));
        // It holds everyone's data: readable by its owner only.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "backup mode {mode:o}");
        }
        // Never overwrites.
        let out = cli(&dir, vec!["backup".into(), dest_arg.clone()], vars.clone()).await;
        assert!(!out.status.success());
        assert!(text(&out).contains("already exists"), "{}", text(&out));

        // Restore: refused without --yes, then the database is the backup again.
        let _db = app.stop_keeping_db().await;
        let out = cli(&dir, vec!["restore".into(), dest_arg.clone()], vars.clone()).await;
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let out = cli(
            &dir,
            vec!["restore".into(), dest_arg.clone(), "--yes".into()],
            vars.clone(),
        )
        .await;
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            text(&out).contains("previous database is kept"),
            "{}",
            text(&out)
        );
        let db_file = dir.join("motto.db");
        assert_eq!(
            count(&db_file, "SELECT COUNT(*) FROM documents").await,
            in_backup
        );
        assert!(std::fs::read_dir(&dir).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("motto.db.before-restore-")));
        let out = cli(&dir, vec!["verify-audit".into()], vars.clone()).await;
        assert!(out.status.success(), "{}", text(&out));

        // Files that are not good backups are refused, and nothing changes.
        let garbage = dir.join("garbage.db");
        std::fs::write(&garbage, b"this is not a database at all, not even close").unwrap();
        let other = dir.join("other.db");
        count(&other, "SELECT 0").await; // an empty SQLite file, not Motto's
        for bad in [&garbage, &other] {
            let out = cli(
                &dir,
                vec!["restore".into(), bad.display().to_string(), "--yes".into()],
                vars.clone(),
            )
            .await;
            assert!(!out.status.success(), "{}", text(&out));
            assert_eq!(
                count(&db_file, "SELECT COUNT(*) FROM documents").await,
                in_backup
            );
        }
    }
);

/// SQLite only: restore is SQLite's (PostgreSQL gets the pg_dump hint above).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_waits_for_the_server_to_stop() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/motto.db", dir.path().display());
    let port = crate::helpers::free_port();
    let mut server = crate::helpers::serve_process(dir.path(), &url, port, &[]).await;
    let vars = vec![
        ("DATABASE_URL".to_string(), url.clone()),
        ("SECRET_KEY".to_string(), TEST_KEY.to_string()),
    ];
    let backup = dir.path().join("b.db");
    let out = cli(
        dir.path(),
        vec!["backup".into(), backup.display().to_string()],
        vars.clone(),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let out = cli(
        dir.path(),
        vec![
            "restore".into(),
            backup.display().to_string(),
            "--yes".into(),
        ],
        vars.clone(),
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("stop Motto before restoring"),
        "{}",
        text(&out)
    );
    // A second server on the same file is refused too.
    let out = cli(dir.path(), vec!["serve".into()], {
        let mut v = vars.clone();
        v.push(("LISTEN_ADDR".into(), "127.0.0.1:0".into()));
        v
    })
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("another Motto is already using"),
        "{}",
        text(&out)
    );
    server.kill().unwrap();
    server.wait().unwrap();
    let out = cli(
        dir.path(),
        vec![
            "restore".into(),
            backup.display().to_string(),
            "--yes".into(),
        ],
        vars,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
}
