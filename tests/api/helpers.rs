//! Test harness: the real app on port 0 against a fresh database.
//!
//! Every scenario runs on SQLite (a fresh file in a temporary directory) and, when
//! `TEST_DATABASE_URL` is set, on PostgreSQL (a uniquely named database created for
//! the test and dropped afterwards).

use motto::server::{config::Settings, db::Db, state::AppState};
use std::path::PathBuf;
use tokio::sync::watch;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declares one test per backend: `mod name { fn sqlite(); fn postgres(); }`.
#[macro_export]
macro_rules! db_test {
    ($name:ident, |$backend:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn scenario($backend: $crate::helpers::Backend) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                scenario($crate::helpers::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::postgres_admin_url().is_none() {
                    eprintln!("TEST_DATABASE_URL is not set: PostgreSQL variant skipped");
                    return;
                }
                scenario($crate::helpers::Backend::Postgres).await;
            }
        }
    };
}

pub fn postgres_admin_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// A fresh, empty database that removes itself when dropped.
pub struct TestDb {
    /// The owner's URL (PostgreSQL: the superuser of TEST_DATABASE_URL), as
    /// migrations, raw SQL in tests and the `motto` commands use it.
    pub url: String,
    /// PostgreSQL: the application role's URL the test app serves with.
    pub app_url: Option<String>,
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>, // (admin url, database name)
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}/motto.db", dir.path().display());
                TestDb {
                    url,
                    app_url: None,
                    dir,
                    pg: None,
                }
            }
            Backend::Postgres => {
                let admin = postgres_admin_url().expect("TEST_DATABASE_URL");
                let name = format!("motto_test_{}", uuid_like());
                let mut conn = pg_admin(&admin).await;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let mut url = url::Url::parse(&admin).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                ensure_app_role(&mut conn).await;
                let mut app_url = url.clone();
                app_url.set_username(APP_ROLE).expect("a role in the URL");
                app_url.set_password(None).expect("no password");
                TestDb {
                    url: url.to_string(),
                    app_url: Some(app_url.to_string()),
                    dir,
                    pg: Some((admin, name)),
                }
            }
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Make the database vanish under a running app: PostgreSQL drops it (ending
    /// its connections); SQLite has no server, so the app's pool is closed.
    pub async fn destroy(&self, db: &Db) {
        match &self.pg {
            Some((admin, name)) => {
                let mut conn = pg_admin(admin).await;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .expect("drop test database");
            }
            None => db.close().await,
        }
    }

    /// A connection as the owner (PostgreSQL) or to the file (SQLite), with the
    /// test audit keys: what someone holding the database credentials has.
    pub async fn owner(&self) -> Db {
        let settings =
            Settings::for_tests_with(&self.url, self.dir.path(), &[("SECRET_KEY", TEST_KEY)]);
        Db::connect(&settings.database)
            .await
            .expect("connect as owner")
    }

    /// Raw SQL, as an attacker with database access (or a test) would run it.
    pub async fn raw_execute(&self, sql: &str) {
        let db = Db::connect(&Settings::for_tests(&self.url, self.dir.path()).database)
            .await
            .expect("connect");
        motto::on_pool!(&db, pool => {
            sqlx::raw_sql(sql).execute(pool).await.expect("raw sql");
        });
        db.close().await;
    }
}

/// The role the test apps run as on PostgreSQL: it logs in, owns nothing, and
/// gets its rights from `motto migrate` (run as the owner) like a production one.
pub const APP_ROLE: &str = "motto_test_app";

async fn ensure_app_role(conn: &mut sqlx::PgConnection) {
    // Tests create databases concurrently: a role made meanwhile is fine.
    let sql = format!(
        "DO $$ BEGIN \
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN \
             CREATE ROLE {APP_ROLE} LOGIN; \
           END IF; \
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; \
         END $$"
    );
    sqlx::query(&sql)
        .execute(conn)
        .await
        .expect("create the application role");
}

async fn pg_admin(admin: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(admin)
        .await
        .expect("connect to TEST_DATABASE_URL")
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            // Drop runs outside async; use a private runtime on a plain thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    let mut conn = pg_admin(&admin).await;
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                });
            })
            .join();
        }
    }
}

pub fn uuid_like() -> String {
    use rand::RngCore;
    let mut b = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// The running app, its state and an HTTP client with a cookie jar.
pub struct TestApp {
    pub url: String,
    pub state: AppState,
    pub client: reqwest::Client,
    pub db: TestDb,
    shutdown: watch::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// A change to validated settings, applied before the app starts.
type SettingsEdit = Box<dyn FnOnce(&mut Settings)>;

/// How a [`TestApp`] is made: `TestApp::on(backend)`, then any of `.vars(..)`
/// (environment variables, read and validated like the real ones),
/// `.settings(..)` (a change to the validated settings), `.routes(..)` (extra
/// routes behind the same layers, to inject faults), then `.spawn()`.
pub struct TestAppBuilder {
    backend: Backend,
    vars: Vec<(String, String)>,
    edits: Vec<SettingsEdit>,
    routes: axum::Router<AppState>,
}

impl TestAppBuilder {
    pub fn vars(mut self, vars: &[(&str, &str)]) -> Self {
        self.vars
            .extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self
    }

    pub fn settings(mut self, edit: impl FnOnce(&mut Settings) + 'static) -> Self {
        self.edits.push(Box::new(edit));
        self
    }

    pub fn routes(mut self, routes: axum::Router<AppState>) -> Self {
        self.routes = routes;
        self
    }

    pub async fn spawn(self) -> TestApp {
        let db = TestDb::new(self.backend).await;
        self.spawn_on(db).await
    }

    /// Start on a database an earlier app left (`stop_keeping_db`): a restart.
    pub async fn spawn_on(self, db: TestDb) -> TestApp {
        let mut vars: Vec<(&str, &str)> = self
            .vars
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        // The key the `motto` commands in tests run with, so they can check the
        // audit chain's MACs and checkpoints the app wrote.
        if !vars.iter().any(|(k, _)| *k == "SECRET_KEY") {
            vars.push(("SECRET_KEY", TEST_KEY));
        }
        // PostgreSQL: serve as the application role, migrate as the owner.
        let url = db.app_url.clone().unwrap_or_else(|| db.url.clone());
        if db.app_url.is_some() {
            vars.push(("DATABASE_OWNER_URL", db.url.as_str()));
        }
        let mut settings = Settings::for_tests_with(&url, &db.data_dir(), &vars);
        for edit in self.edits {
            edit(&mut settings);
        }
        TestApp::start(db, settings, self.routes).await
    }
}

impl TestApp {
    /// The app with default test settings.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::on(backend).spawn().await
    }

    /// An app to be configured before it starts (see [`TestAppBuilder`]).
    pub fn on(backend: Backend) -> TestAppBuilder {
        TestAppBuilder {
            backend,
            vars: Vec::new(),
            edits: Vec::new(),
            routes: axum::Router::new(),
        }
    }

    /// Start the app on an existing database with these settings.
    pub async fn start(
        db: TestDb,
        mut settings: Settings,
        extra: axum::Router<AppState>,
    ) -> TestApp {
        // PDFs are read by `motto extract-pdf`; this process is the test runner.
        settings.pdf_extractor = env!("CARGO_BIN_EXE_motto").into();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let addr = listener.local_addr().unwrap();
        let state = motto::server::prepare(settings).await.expect("app starts");
        let (shutdown, rx) = watch::channel(false);
        let router = motto::server::build_router_with(state.clone(), extra);
        let server = tokio::spawn(motto::server::serve_app(
            listener,
            state.clone(),
            router,
            rx,
        ));
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            url: format!("http://{addr}"),
            state,
            client,
            db,
            shutdown,
            server,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("request")
    }

    pub fn new_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// Call a server function by its own argument type, as a browser's fetch
    /// would: the path and the field names come from the function itself, so a
    /// renamed endpoint or argument breaks the build, not the test run.
    pub async fn invoke<F>(&self, client: &reqwest::Client, args: F) -> reqwest::Response
    where
        F: leptos::server_fn::ServerFn + serde::Serialize,
    {
        client
            .post(format!("{}{}", self.url, F::PATH))
            .form(&args)
            .send()
            .await
            .unwrap_or_else(|e| panic!("server fn {}: {e:?}", F::PATH))
    }

    /// The documents of the person signed in on `client`.
    pub fn documents<'a>(&'a self, client: &'a reqwest::Client) -> Documents<'a> {
        Documents { app: self, client }
    }

    /// POST a form to a server function by its endpoint name (for requests a
    /// browser would not make: missing or malformed fields).
    pub async fn call(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(format!("{}/api/{endpoint}", self.url))
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| {
                let fields: Vec<&str> = form.iter().map(|(k, _)| *k).collect();
                panic!("server fn {endpoint} {fields:?}: {e:?}")
            })
    }

    pub async fn register(&self, username: &str, email: &str, password: &str) -> reqwest::Response {
        self.call(
            &self.client,
            "register",
            &[
                ("username", username),
                ("email", email),
                ("password", password),
                ("password_confirm", password),
            ],
        )
        .await
    }

    pub async fn login_with(
        &self,
        client: &reqwest::Client,
        login: &str,
        password: &str,
    ) -> reqwest::Response {
        self.call(client, "login", &[("login", login), ("password", password)])
            .await
    }

    pub async fn login(&self, login: &str, password: &str) -> reqwest::Response {
        self.login_with(&self.client, login, password).await
    }

    pub async fn logout(&self) -> reqwest::Response {
        self.call(&self.client, "logout", &[]).await
    }

    /// Actions in the audit log, oldest first.
    pub async fn audit_actions(&self) -> Vec<String> {
        motto::on_pool!(&self.state.db, pool => {
            sqlx::query_scalar::<_, String>("SELECT action FROM audit_events ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap()
        })
    }

    pub async fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        motto::on_pool!(&self.state.db, pool => {
            sqlx::query_scalar::<_, i64>(&sql).fetch_one(pool).await.unwrap()
        })
    }

    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.server.await;
    }

    /// Stop the server and close its pool, keeping the database and its directory.
    pub async fn stop_keeping_db(self) -> TestDb {
        let _ = self.shutdown.send(true);
        let _ = self.server.await;
        self.state.db.close().await;
        self.db
    }
}

/// What a command printed, standard output then standard error.
/// Typed calls on one person's documents (`app.documents(&alice).create(..)`).
pub struct Documents<'a> {
    app: &'a TestApp,
    client: &'a reqwest::Client,
}

impl Documents<'_> {
    /// Create a document; it must succeed. Returns its id.
    pub async fn create(&self, title: &str, body: &str) -> i64 {
        let res = self.try_create(title, body).await;
        assert_eq!(res.status(), 200, "creating {title:?}");
        json(res).await.as_i64().expect("the new document's id")
    }

    pub async fn try_create(&self, title: &str, body: &str) -> reqwest::Response {
        self.app
            .invoke(
                self.client,
                motto::api::documents::CreateDocument {
                    title: title.into(),
                    body: body.into(),
                },
            )
            .await
    }

    pub async fn get(&self, id: i64) -> reqwest::Response {
        self.app
            .invoke(self.client, motto::api::documents::GetDocument { id })
            .await
    }

    pub async fn update(
        &self,
        id: i64,
        version: i64,
        title: &str,
        body: &str,
    ) -> reqwest::Response {
        self.app
            .invoke(
                self.client,
                motto::api::documents::UpdateDocument {
                    id,
                    version,
                    title: title.into(),
                    body: body.into(),
                },
            )
            .await
    }

    /// Search in one space.
    pub async fn search_in(&self, query: &str, space: i64) -> reqwest::Response {
        self.app
            .invoke(
                self.client,
                motto::api::documents::SearchDocuments {
                    query: query.into(),
                    space: Some(space),
                },
            )
            .await
    }

    /// The live documents of one space.
    pub async fn list_in(&self, space: i64) -> reqwest::Response {
        self.app
            .invoke(
                self.client,
                motto::api::documents::ListDocuments {
                    sort: "updated".into(),
                    page: 1,
                    per_page: None,
                    trashed: false,
                    space: Some(space),
                },
            )
            .await
    }

    pub async fn search(&self, query: &str) -> reqwest::Response {
        self.app
            .invoke(
                self.client,
                motto::api::documents::SearchDocuments {
                    query: query.into(),
                    space: None,
                },
            )
            .await
    }

    pub async fn delete(&self, id: i64) -> reqwest::Response {
        self.app
            .invoke(self.client, motto::api::documents::DeleteDocument { id })
            .await
    }

    pub async fn restore(&self, id: i64) -> reqwest::Response {
        self.app
            .invoke(self.client, motto::api::documents::RestoreDocument { id })
            .await
    }

    /// The first page of the live documents, or of the trash.
    pub async fn list(&self, trashed: bool) -> reqwest::Response {
        self.app
            .invoke(
                self.client,
                motto::api::documents::ListDocuments {
                    sort: "updated".into(),
                    page: 1,
                    per_page: None,
                    trashed,
                    space: None,
                },
            )
            .await
    }

    pub async fn revisions(&self, id: i64) -> reqwest::Response {
        self.app
            .invoke(self.client, motto::api::documents::ListRevisions { id })
            .await
    }

    pub async fn revision(&self, id: i64, version: i64) -> reqwest::Response {
        self.app
            .invoke(
                self.client,
                motto::api::documents::GetRevision { id, version },
            )
            .await
    }

    pub async fn restore_revision(
        &self,
        id: i64,
        version: i64,
        base_version: i64,
    ) -> reqwest::Response {
        self.app
            .invoke(
                self.client,
                motto::api::documents::RestoreRevision {
                    id,
                    version,
                    base_version,
                },
            )
            .await
    }

    pub async fn purge(&self, id: i64) -> reqwest::Response {
        self.app
            .invoke(self.client, motto::api::documents::PurgeDocument { id })
            .await
    }
}

pub fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Run the `motto` binary with a clean environment plus `vars`, in `cwd`.
pub fn motto_cli(
    cwd: &std::path::Path,
    args: &[&str],
    vars: &[(&str, &str)],
) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_motto"));
    cmd.args(args).current_dir(cwd).env_clear();
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().expect("run motto")
}

/// Run the `motto` binary with `stdin` as its standard input.
pub fn motto_cli_stdin(
    cwd: &std::path::Path,
    args: &[&str],
    vars: &[(&str, &str)],
    stdin: &str,
) -> std::process::Output {
    use std::io::Write;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_motto"));
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run motto");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().expect("motto output")
}

/// The body as JSON, or a panic that shows the status and the text.
pub async fn json(res: reqwest::Response) -> serde_json::Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: {text}"))
}

/// A new person, registered through the form: their signed-in client.
pub async fn signed_up(app: &TestApp, name: &str) -> reqwest::Client {
    let client = app.new_client();
    let res = app
        .call(
            &client,
            "register",
            &[
                ("username", name),
                ("email", &format!("{name}@example.com")),
                ("password", GOOD_PASSWORD),
                ("password_confirm", GOOD_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "register {name}");
    // As a person would: open the confirmation link from the development outbox
    // (apps sending through SMTP confirm from their sink themselves).
    if app.state.mailer.outbox().is_some() {
        confirm_email(app, &format!("{name}@example.com")).await;
    }
    client
}

/// The code of a confirmation link in a mail body.
pub fn confirmation_code(body: &str) -> Option<String> {
    body.lines().find_map(|l| {
        l.trim()
            .split("/confirm-email#token=")
            .nth(1)
            .map(|t| t.trim().to_string())
    })
}

/// Open the newest confirmation link mailed to `email` (development outbox).
pub async fn confirm_email(app: &TestApp, email: &str) {
    for _ in 0..200 {
        let code = app
            .state
            .mailer
            .outbox()
            .unwrap_or_default()
            .into_iter()
            .find(|m| m.to == email)
            .and_then(|m| confirmation_code(&m.body));
        if let Some(code) = code {
            let res = app
                .call(
                    &app.new_client(),
                    "account/email/confirm",
                    &[("token", code.as_str())],
                )
                .await;
            assert_eq!(res.status(), 200, "confirm {email}");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("no confirmation mail to {email} in the outbox");
}

/// An access token for `username` (password `GOOD_PASSWORD`) from the REST API.
pub async fn access_token(base_url: &str, username: &str) -> String {
    let res = reqwest::Client::new()
        .post(format!("{base_url}/api/v1/auth/token"))
        .json(&serde_json::json!({"username": username, "password": GOOD_PASSWORD}))
        .send()
        .await
        .unwrap();
    json(res).await["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A real `motto serve` process on SQLite file `url` and `port`, with extra
/// variables, started in `dir` and answering `/health` before this returns.
pub async fn serve_process(
    dir: &std::path::Path,
    url: &str,
    port: u16,
    vars: &[(&str, &str)],
) -> std::process::Child {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_motto"));
    cmd.arg("serve")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", url)
        .env("SECRET_KEY", TEST_KEY)
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("DATA_DIR", dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut up = false;
    for _ in 0..150 {
        if reqwest::get(format!("http://127.0.0.1:{port}/health"))
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if !up {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the server did not start");
    }
    child
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A password the policy accepts.
pub const GOOD_PASSWORD: &str = "violet ferry lantern quietly";

/// A `Db` over `pool` with the audit keys of [`TEST_KEY`].
pub fn test_key_db(pool: motto::server::db::Pool) -> Db {
    let settings = Settings::for_tests_with(
        "sqlite::memory:",
        std::path::Path::new("."),
        &[("SECRET_KEY", TEST_KEY)],
    );
    Db::from_pool(pool, settings.database.audit_keys)
}

pub const TEST_KEY: &str = "9c1e7a5f3b8d2e6a4c0f9b7d5e3a1c8f6b4d2e0a9c7f5b3d";
