use crate::db_test;
use crate::helpers::{motto_cli, text, Backend, TestDb, TEST_KEY};

db_test!(init_twice_is_harmless, |backend| {
    let db = TestDb::new(backend).await;
    let vars = [("DATABASE_URL", db.url.as_str()), ("SECRET_KEY", TEST_KEY)];
    for round in 1..=2 {
        let out = motto_cli(db.dir.path(), &["init"], &vars);
        assert!(out.status.success(), "round {round}: {}", text(&out));
        assert!(
            text(&out).contains("Database initialised"),
            "{}",
            text(&out)
        );
    }
    let out = motto_cli(db.dir.path(), &["migrate"], &vars);
    assert!(out.status.success(), "{}", text(&out));
    let out = motto_cli(db.dir.path(), &["verify-audit"], &vars);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("(0 events)"), "{}", text(&out));
});

db_test!(
    a_failed_migration_leaves_no_half_applied_schema,
    |backend| {
        let db = TestDb::new(backend).await;
        // A table in the way makes the first migration fail part-way through.
        if backend == Backend::Sqlite {
            std::fs::create_dir_all(db.dir.path()).unwrap();
        }
        db.raw_execute("CREATE TABLE audit_events (x INTEGER)")
            .await;
        let vars = [("DATABASE_URL", db.url.as_str()), ("SECRET_KEY", TEST_KEY)];
        let out = motto_cli(db.dir.path(), &["init"], &vars);
        assert!(!out.status.success());
        let msg = text(&out);
        assert!(msg.contains("migration failed"), "{msg}");
        assert!(
            msg.contains("Nothing of the failed migration was kept"),
            "{msg}"
        );
        // audit_chain_head is created before audit_events in that migration: it must be gone.
        let conn_db = motto::server::db::Db::connect(
            &motto::server::config::Settings::for_tests(&db.url, db.dir.path()).database,
        )
        .await
        .unwrap();
        let head_exists = motto::on_pool!(&conn_db, pool => {
            sqlx::query("SELECT 1 FROM audit_chain_head").fetch_optional(pool).await.is_ok()
        });
        assert!(!head_exists, "half-applied schema left behind");
        conn_db.close().await;
    }
);

#[test]
fn help_lists_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = motto_cli(dir.path(), &["--help"], &[]);
    assert!(out.status.success());
    let help = text(&out);
    for cmd in ["serve", "generate-key", "init", "migrate", "verify-audit"] {
        assert!(help.contains(cmd), "{cmd} missing from --help: {help}");
    }
    for cmd in ["serve", "generate-key", "init", "migrate", "verify-audit"] {
        let out = motto_cli(dir.path(), &[cmd, "--help"], &[]);
        assert!(out.status.success(), "{cmd} --help: {}", text(&out));
    }
}

#[test]
fn generate_key_prints_a_fresh_valid_key() {
    let dir = tempfile::tempdir().unwrap();
    let a = motto_cli(dir.path(), &["generate-key"], &[]);
    let b = motto_cli(dir.path(), &["generate-key"], &[]);
    let (a, b) = (text(&a), text(&b));
    assert_eq!(a.trim().len(), 96);
    assert_ne!(a, b);
    assert_eq!(motto::server::config::secret_key_problem(a.trim()), None);
}

#[test]
fn unparsable_database_url_exits_2_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let out = motto_cli(
        dir.path(),
        &["init"],
        &[
            ("DATABASE_URL", "mysql://u:pw@h/db"),
            ("SECRET_KEY", TEST_KEY),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let msg = text(&out);
    assert!(msg.contains("DATABASE_URL"), "{msg}");
    assert!(!msg.contains(":pw@"), "password echoed: {msg}");
}

#[test]
fn unreachable_postgres_fails_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = motto_cli(
        dir.path(),
        &["init"],
        &[
            ("DATABASE_URL", "postgres://motto:hunter2@127.0.0.1:1/motto"),
            ("SECRET_KEY", TEST_KEY),
            ("DATABASE_ACQUIRE_TIMEOUT_SECS", "2"),
        ],
    );
    assert!(!out.status.success());
    let msg = text(&out);
    assert!(msg.contains("Cannot connect to the database"), "{msg}");
    assert!(msg.contains("127.0.0.1:1"), "{msg}");
    assert!(!msg.contains("hunter2"), "password echoed: {msg}");
}

#[test]
fn unwritable_data_directory_fails_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "file").unwrap();
    let data_dir = blocker.join("data");
    let out = motto_cli(
        dir.path(),
        &["init"],
        &[
            ("DATA_DIR", data_dir.to_str().unwrap()),
            ("SECRET_KEY", TEST_KEY),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let msg = text(&out);
    // The setting, the absolute path, what went wrong in words, and the fix.
    let expected = format!(
        "DATA_DIR={}: cannot create: a part of the path is a file, not a directory — choose a writable directory",
        data_dir.display()
    );
    assert!(msg.contains(&expected), "{msg}");
    assert!(!msg.contains("os error"), "{msg}");
}

/// The first thing a new person does: `motto serve` in a directory with no `data/`
/// and no settings but a key. It used to stop at once with "No such file or
/// directory (os error 2)": the lock file beside the database was opened before
/// the directory existed.
#[tokio::test]
async fn serve_creates_the_default_data_directory_in_a_fresh_directory() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::helpers::free_port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_motto"))
        .arg("serve")
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SECRET_KEY", TEST_KEY)
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut up = false;
    for _ in 0..150 {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            panic!("motto serve exited with {status}: {err}");
        }
        if reqwest::get(format!("http://127.0.0.1:{port}/health"))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(up, "the server did not answer /health");
    assert!(dir.path().join("data/motto.db").is_file());
    assert!(dir.path().join("data/motto.db.lock").is_file());
}

#[test]
fn an_unreadable_env_file_is_named_with_a_fix() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be: reading it fails on any machine, as root too.
    std::fs::create_dir(dir.path().join(".env")).unwrap();
    let out = motto_cli(dir.path(), &["init"], &[("SECRET_KEY", TEST_KEY)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let msg = text(&out);
    let expected = format!(
        "{}: cannot read: it is a directory, not a file — make it readable",
        dir.path().join(".env").display()
    );
    assert!(msg.contains(&expected), "{msg}");
    assert!(!msg.contains("os error"), "{msg}");
}

#[test]
fn production_refuses_to_start_with_weak_settings() {
    let dir = tempfile::tempdir().unwrap();
    let out = motto_cli(
        dir.path(),
        &["serve"],
        &[
            ("ENVIRONMENT", "production"),
            ("SECRET_KEY", "changeme"),
            ("CORS_ORIGINS", "*"),
            ("PUBLIC_URL", "https://motto.example.com"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let msg = text(&out);
    assert!(
        msg.contains("SECRET_KEY") && msg.contains("CORS_ORIGINS"),
        "{msg}"
    );
    assert!(
        !dir.path().join(".env").exists(),
        "production must not write keys"
    );
}

#[test]
fn development_generates_a_secret_key_once_into_a_private_env_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let vars = [("DATA_DIR", data.to_str().unwrap())];
    let first = motto_cli(dir.path(), &["init"], &vars);
    assert!(first.status.success(), "{}", text(&first));
    assert!(text(&first).contains("generated one and saved it to .env"));
    let env_file = dir.path().join(".env");
    let content = std::fs::read_to_string(&env_file).unwrap();
    let key_line = content
        .lines()
        .find(|l| l.starts_with("SECRET_KEY="))
        .unwrap();
    assert_eq!(key_line.len(), "SECRET_KEY=".len() + 96);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&env_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // The second run reads the key from .env and says nothing about generating one.
    let second = motto_cli(dir.path(), &["init"], &vars);
    assert!(second.status.success(), "{}", text(&second));
    assert!(!text(&second).contains("generated"), "{}", text(&second));
    assert_eq!(std::fs::read_to_string(&env_file).unwrap(), content);
}
