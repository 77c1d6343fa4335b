//! The `motto` command line: serve (default), generate-key, init, migrate, the
//! audit log's verify-audit, audit-key, export-audit and verify-export, backup,
//! restore, seed, create-admin.

use super::{
    config::{self, Settings},
    db::{audit, Db},
    startup_io, telemetry,
};
use clap::{Parser, Subcommand};
use std::{path::Path, process::ExitCode};

/// Exit code for configuration the server refuses to start with.
pub const EXIT_CONFIG: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "motto",
    version,
    about = "Motto: a self-hosted, secure document-and-conversation workspace.",
    long_about = "Motto: a self-hosted, secure document-and-conversation workspace.\n\n\
        Configuration comes from the environment and from a .env file in the working \
        directory (see .env.example). Without a command, `motto` runs the server."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
enum Command {
    /// Run the web server (the default). Applies pending migrations first.
    Serve,
    /// Print a new random SECRET_KEY (96 hex characters from the OS CSPRNG).
    GenerateKey,
    /// Create the database if needed and apply all migrations. Safe to run again.
    Init,
    /// Apply pending migrations to the configured database.
    Migrate,
    /// Check the audit log: every link, every MAC and every signed checkpoint;
    /// exits 1 and names the first event that cannot be trusted.
    VerifyAudit {
        /// Check against the checkpoints kept outside the database: a directory
        /// (AUDIT_CHECKPOINT_DIR, or a copy of it), a file of JSON lines, or an
        /// http(s) URL serving them. Without it, the database's own copies are used.
        #[arg(long, value_name = "DIR|FILE|URL")]
        checkpoints: Option<String>,
    },
    /// Print the public key that signs audit checkpoints, for auditors
    /// (`--new`: print a new private key for AUDIT_SIGNING_KEY instead).
    AuditKey {
        /// Make a new signing key (64 hex characters) and print it with its public key.
        #[arg(long)]
        new: bool,
    },
    /// Write the whole audit log, oldest first, as JSON lines with every field and
    /// link: what `motto verify-export` checks.
    ExportAudit {
        /// The new export file (never overwritten); `-` for standard output.
        path: std::path::PathBuf,
    },
    /// Check an audit export against signed checkpoints with nothing but the
    /// public key: no database, no configuration, no secret. For auditors.
    VerifyExport {
        /// The export written by `motto export-audit` (or the admin console);
        /// after a retention prune, the archive(s) first, then the export.
        #[arg(required = true, num_args = 1..)]
        export: Vec<std::path::PathBuf>,
        /// The checkpoints: a directory, a file of JSON lines or an http(s) URL.
        #[arg(long, value_name = "DIR|FILE|URL")]
        checkpoints: String,
        /// The signing key's public half, as `motto audit-key` prints it.
        #[arg(long, value_name = "HEX")]
        public_key: String,
    },
    /// SQLite: write a consistent copy of the database to PATH while Motto runs,
    /// and check it (integrity and audit chain). PostgreSQL: use pg_dump.
    Backup {
        /// The new backup file (never overwritten).
        path: std::path::PathBuf,
    },
    /// SQLite: replace the database with a checked backup. Motto must be stopped;
    /// the current database is kept beside it.
    Restore {
        /// The backup file to restore.
        path: std::path::PathBuf,
        /// Replace an existing database without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Add realistic generated data: users (`seed-admin`, `seed-user-N`), documents
    /// with revisions, conversations, audit events. For trying Motto out, load tests
    /// and benchmarks; refused in production. The accounts' shared password is read
    /// from a prompt, or from standard input when it is not a terminal.
    Seed {
        /// Accounts to create (plus `seed-admin` the first time).
        #[arg(long, default_value_t = 10)]
        users: usize,
        /// Documents per account.
        #[arg(long, default_value_t = 50)]
        documents: usize,
        /// Earlier versions kept for each document.
        #[arg(long, default_value_t = 2)]
        revisions: usize,
        /// Conversations per account.
        #[arg(long, default_value_t = 5)]
        conversations: usize,
        /// Messages per conversation.
        #[arg(long, default_value_t = 6)]
        messages: usize,
        /// Audit events, spread over the last year (hash-chained).
        #[arg(long, default_value_t = 10_000)]
        audit_events: usize,
        /// Shared spaces, each owned by one of the new accounts with a group as
        /// viewer (none by default).
        #[arg(long, default_value_t = 0)]
        spaces: usize,
        /// Groups of three of the new accounts.
        #[arg(long, default_value_t = 0)]
        groups: usize,
        /// Documents spread over the shared spaces.
        #[arg(long, default_value_t = 0)]
        shared_documents: usize,
        /// How many shared spaces `seed-user-1` belongs to (half directly, half
        /// through a group).
        #[arg(long, default_value_t = 0)]
        member_of: usize,
    },
    /// Internal: read a PDF on standard input and write its text to standard
    /// output, within hard limits (the server runs this for uploads).
    #[command(hide = true)]
    ExtractPdf {
        /// The most text to write; longer ends with exit code 3.
        #[arg(long)]
        max_bytes: usize,
    },
    /// Create an administrator. The password is read from a prompt, or from standard
    /// input when it is not a terminal (never from the command line).
    CreateAdmin {
        /// The administrator's username.
        #[arg(long)]
        username: String,
        /// The administrator's email address.
        #[arg(long)]
        email: String,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);

    // The PDF extractor needs no configuration: it must not read .env or settings.
    if let Command::ExtractPdf { max_bytes } = command {
        return super::pdf::child_main(max_bytes);
    }
    if matches!(command, Command::GenerateKey) {
        println!("{}", config::generate_secret_key());
        return ExitCode::SUCCESS;
    }
    if matches!(command, Command::AuditKey { new: true }) {
        new_audit_key();
        return ExitCode::SUCCESS;
    }
    // An auditor's check needs no configuration: it must not read .env or settings.
    if let Command::VerifyExport {
        export,
        checkpoints,
        public_key,
    } = &command
    {
        return verify_export(export, checkpoints, public_key);
    }

    let env_file = startup_io::absolute(Path::new(".env"));
    if let Err(e) = load_dotenv(&env_file) {
        match &e {
            dotenvy::Error::Io(io) => eprintln!(
                "Motto cannot start: {}",
                startup_io::StartupIoError::new(
                    env_file.display().to_string(),
                    "read",
                    io,
                    "make it readable by the user running Motto, or remove it"
                )
            ),
            other => eprintln!(
                "Motto cannot start: {}: {other} — fix the line it names, or remove the file.",
                env_file.display()
            ),
        }
        return ExitCode::from(EXIT_CONFIG);
    }
    match config::ensure_dev_secret_key(&env_file) {
        Ok(true) => eprintln!(
            "No SECRET_KEY was set, so Motto generated one and saved it to .env (mode 0600). \
             Development only: in production set SECRET_KEY yourself (`motto generate-key`)."
        ),
        Ok(false) => {}
        Err(e) => {
            eprintln!(
                "No SECRET_KEY is set and Motto could not save a generated one: {}",
                startup_io::StartupIoError::new(
                    env_file.display().to_string(),
                    "write",
                    &e,
                    "run `motto generate-key` and set SECRET_KEY, or start Motto from a directory it can write in"
                )
            );
            return ExitCode::from(EXIT_CONFIG);
        }
    }

    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let _sentry = telemetry::init(&settings);
    // Before anything opens a file there: `serve` takes a lock file beside the
    // database first thing, and a fresh clone has no `data/` yet.
    if let Err(e) = prepare_directories(&settings) {
        eprintln!("Motto cannot start: {e}");
        return ExitCode::from(EXIT_CONFIG);
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Motto cannot start its async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let result = match command {
            Command::Serve => serve(settings).await,
            Command::Init | Command::Migrate => init(&settings, &command).await,
            Command::VerifyAudit { checkpoints } => {
                verify_audit(&settings, checkpoints.as_deref()).await
            }
            Command::AuditKey { .. } => {
                audit_key(&settings);
                Ok(ExitCode::SUCCESS)
            }
            Command::ExportAudit { path } => export_audit(&settings, &path).await,
            Command::Backup { path } => super::backup::backup(&settings, &path).await,
            Command::Restore { path, yes } => super::backup::restore(&settings, &path, yes).await,
            Command::Seed {
                users,
                documents,
                revisions,
                conversations,
                messages,
                audit_events,
                spaces,
                groups,
                shared_documents,
                member_of,
            } => {
                let plan = super::seed::Plan {
                    users,
                    documents_per_user: documents,
                    revisions,
                    conversations_per_user: conversations,
                    messages_per_conversation: messages,
                    audit_events,
                    teams: super::seed::Teams {
                        spaces,
                        groups,
                        documents: shared_documents,
                        member_of,
                    },
                };
                seed(&settings, &plan).await
            }
            Command::CreateAdmin { username, email } => {
                create_admin(settings, &username, &email).await
            }
            Command::GenerateKey | Command::ExtractPdf { .. } | Command::VerifyExport { .. } => {
                unreachable!("handled above")
            }
        };
        match result {
            Ok(code) => code,
            Err(e) => {
                eprintln!("{e:#}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Create the directory the SQLite database lives in (by default `DATA_DIR`) and
/// check that it is writable. PostgreSQL needs no directory today.
fn prepare_directories(settings: &Settings) -> Result<(), startup_io::StartupIoError> {
    if !settings.database.is_sqlite() {
        return Ok(());
    }
    let Ok(file) = super::backup::sqlite_file(settings) else {
        // A malformed URL is reported, with its fix, when the database is opened.
        return Ok(());
    };
    if file.as_os_str() == ":memory:" {
        return Ok(());
    }
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let setting = if dir == settings.data_dir {
        "DATA_DIR"
    } else {
        "DATABASE_URL"
    };
    startup_io::ensure_writable_dir(setting, &dir)
}

fn load_dotenv(path: &Path) -> Result<(), dotenvy::Error> {
    match dotenvy::from_path(path) {
        Ok(()) => Ok(()),
        Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

async fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    let addr = settings.listen_addr;
    let public_url = settings.public_url.clone();
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            anyhow::bail!(
                "Motto cannot listen on {addr} ({e}). Another program may be using the port: \
                 stop it, or set LISTEN_ADDR to a free address such as 127.0.0.1:3100."
            );
        }
    };
    tracing::info!(
        database = %settings.database.redacted_url(),
        environment = %settings.environment,
        "starting"
    );
    // One server per SQLite database, and `motto restore` waits for it to stop.
    let _instance_lock = super::backup::take_instance_lock(&settings)?;
    let pkg = settings.site_root.join("pkg");
    if !pkg.is_dir() {
        // Pages still render, but without styles and scripts: say why, once.
        eprintln!(
            "warning: {}: the compiled site is not there, so pages will have no styles or \
             scripts — build it with `cargo leptos build --release` (scripts/run.sh does), \
             or point LEPTOS_SITE_ROOT at the directory that holds pkg/.",
            startup_io::setting_subject("LEPTOS_SITE_ROOT", &settings.site_root)
        );
    }
    let state = super::prepare(settings).await?;
    match crate::server::services::accounts::issue_setup_code_if_no_admin(&state).await {
        Ok(Some(code)) => println!(
            "\nNo administrator exists yet. Within the next hour, open {}setup and enter this \
             one-time setup code to create one:\n\n    {code}\n\n(Or run `motto create-admin`.)\n",
            public_url
        ),
        Ok(None) => {}
        Err(e) => tracing::error!(error = ?e, "could not create a setup code"),
    }
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        super::shutdown_signal().await;
        let _ = tx.send(true);
    });
    println!("Motto is running at {public_url} (listening on {addr}). Press Ctrl-C to stop.");
    super::serve_on(listener, state.clone(), rx).await?;
    state.db.close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn init(settings: &Settings, command: &Command) -> anyhow::Result<ExitCode> {
    let db = Db::connect(&settings.database).await?;
    super::migrate_schema(&settings.database, &db).await?;
    db.close().await;
    let verb = if *command == Command::Init {
        "initialised"
    } else {
        "migrated"
    };
    println!(
        "Database {verb} ({}): {}",
        db.backend(),
        settings.database.redacted_url()
    );
    Ok(ExitCode::SUCCESS)
}

async fn verify_audit(settings: &Settings, checkpoints: Option<&str>) -> anyhow::Result<ExitCode> {
    let db = Db::connect(&settings.database).await?;
    let report = match checkpoints {
        None => audit::verify(&db).await?,
        Some(source) => match super::adapters::checkpoints::load(source).await {
            Ok(list) => audit::verify_against(&db, list).await?,
            Err(e) => {
                db.close().await;
                eprintln!("{e}");
                return Ok(ExitCode::from(EXIT_CONFIG));
            }
        },
    };
    // The admin page shows the last check, whoever ran it.
    let check = crate::server::db::admin::CheckRow::from_report(&report);
    if let Err(e) = crate::server::db::admin::insert_check(&db, &check).await {
        eprintln!("note: the result could not be recorded for the admin page ({e})");
    }
    db.close().await;
    let from = checkpoints.unwrap_or("the database");
    match report.first_broken {
        None => {
            println!(
                "OK: the audit chain verifies ({} events). {}{}",
                report.rows,
                sealed_summary(report.checkpoints, report.sealed_to, report.last_id(), from),
                pruned_summary(report.pruned_to)
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(broken) => {
            println!(
                "BROKEN: the audit log fails at event {}: {}. {} events before it verify.",
                broken.id,
                broken.reason,
                (broken.id - 1).max(0)
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// What an OK says about events removed by retention.
fn pruned_summary(pruned_to: i64) -> String {
    if pruned_to == 0 {
        return String::new();
    }
    format!(
        " Events 1–{pruned_to} were pruned by retention after being archived; the chain verifies from the checkpoint that sealed them (check the archive with `motto verify-export ARCHIVE EXPORT`)."
    )
}

/// `rows` is the id of the last event checked.
fn sealed_summary(checkpoints: usize, sealed_to: i64, rows: i64, from: &str) -> String {
    if checkpoints == 0 {
        return format!("No signed checkpoint from {from} seals any of them yet.");
    }
    let tail = if sealed_to < rows {
        format!(
            " Events {}–{rows} are newer than the last checkpoint.",
            sealed_to + 1
        )
    } else {
        String::new()
    };
    format!("{checkpoints} signed checkpoints from {from} seal events 1–{sealed_to}.{tail}")
}

fn audit_key(settings: &Settings) {
    use super::audit_chain::{encode_public_key, key_id, CheckpointSigner};
    let public = CheckpointSigner::from_seed(&settings.audit.signing_seed).public_key();
    println!("{}", encode_public_key(&public));
    let origin = if settings.audit.signing_key_configured {
        "AUDIT_SIGNING_KEY"
    } else {
        "derived from SECRET_KEY; set AUDIT_SIGNING_KEY to keep it when SECRET_KEY changes"
    };
    eprintln!(
        "The Ed25519 public key that signs audit checkpoints (key id {}, {origin}). Give it to auditors: `motto verify-export --public-key <it>` checks an export with it.",
        key_id(&public)
    );
}

fn new_audit_key() {
    use super::audit_chain::{encode_public_key, CheckpointSigner};
    use rand::RngCore;
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let public = CheckpointSigner::from_seed(&super::crypto::KeyBytes::new(seed)).public_key();
    println!("AUDIT_SIGNING_KEY={}", hex::encode(seed));
    eprintln!(
        "Keep the line above secret, in Motto's environment. Its public key, for auditors: {}",
        encode_public_key(&public)
    );
}

async fn export_audit(settings: &Settings, path: &Path) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let db = Db::connect(&settings.database).await?;
    let mut out: Box<dyn Write> = if path.as_os_str() == "-" {
        Box::new(std::io::BufWriter::new(std::io::stdout().lock()))
    } else {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| {
                anyhow::anyhow!(
                    "{}",
                    startup_io::StartupIoError::new(
                        startup_io::absolute(path).display().to_string(),
                        "create the export",
                        &e,
                        "choose a new file name in a directory you can write in (an export never overwrites)"
                    )
                )
            })?;
        Box::new(std::io::BufWriter::new(file))
    };
    let mut from = 1;
    let mut rows = 0;
    loop {
        let batch = audit::chain_batch(&db, from, 5000).await?;
        for row in &batch {
            serde_json::to_writer(&mut out, row)?;
            out.write_all(b"\n")?;
        }
        rows += batch.len();
        match batch.last() {
            Some(last) if batch.len() == 5000 => from = last.id + 1,
            _ => break,
        }
    }
    out.flush()?;
    db.close().await;
    if path.as_os_str() != "-" {
        println!("Exported {rows} audit events to {}.", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `motto verify-export`: the export's public hash chain, checked against the
/// signed checkpoints, with only the public key.
fn verify_export(exports: &[std::path::PathBuf], checkpoints: &str, public_key: &str) -> ExitCode {
    use super::audit_chain::{check_checkpoints, parse_public_key, AuditRow, Walker};
    use std::io::BufRead;
    let fail = |message: String| {
        eprintln!("{message}");
        ExitCode::from(EXIT_CONFIG)
    };
    let key = match parse_public_key(public_key) {
        Ok(k) => k,
        Err(e) => return fail(format!("--public-key: {e}")),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start: {e}")),
    };
    let list = match runtime.block_on(super::adapters::checkpoints::load(checkpoints)) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let broken = |id: i64, reason: &str, rows: i64| {
        println!(
            "BROKEN: the audit export fails at event {id}: {reason}. {rows} events before it verify."
        );
        ExitCode::FAILURE
    };
    let list = match check_checkpoints(list, &key) {
        Ok(l) => l,
        Err(link) => return broken(link.id, &link.reason, 0),
    };
    let Some(keyed_from) = list.first().map(|c| c.body.keyed_from) else {
        return fail(format!(
            "{checkpoints} holds no checkpoint: nothing to verify the export against"
        ));
    };
    // The files in order, as one log: an archive of pruned events, then the
    // export of what followed. A log that starts after event 1 must start
    // where a checkpoint ended (events before it were pruned).
    let mut walker: Option<Walker> = None;
    for export in exports {
        let file = match std::fs::File::open(export) {
            Ok(f) => f,
            Err(e) => return fail(format!("cannot read {}: {e}", export.display())),
        };
        for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = match line {
                Ok(l) => l,
                Err(e) => return fail(format!("cannot read {}: {e}", export.display())),
            };
            if line.trim().is_empty() {
                continue;
            }
            let row: AuditRow = match serde_json::from_str(&line) {
                Ok(r) => r,
                Err(e) => {
                    return fail(format!(
                        "{}, line {}: not an audit event ({e})",
                        export.display(),
                        n + 1
                    ))
                }
            };
            let w = match walker.as_mut() {
                Some(w) => w,
                None => match Walker::after_prune(None, keyed_from, &list, row.id) {
                    Ok(w) => walker.insert(w),
                    Err(link) => return broken(link.id, &link.reason, 0),
                },
            };
            if let Err(link) = w.push(&row) {
                return broken(link.id, &link.reason, w.rows);
            }
        }
    }
    let walker = walker.unwrap_or_else(|| Walker::new(None, keyed_from, &list));
    if let Err(link) = walker.finish() {
        return broken(link.id, &link.reason, walker.rows);
    }
    let sealed_to = list.last().map_or(0, |c| c.body.last_id);
    println!(
        "OK: the audit export verifies ({} events). {}{}",
        walker.rows,
        sealed_summary(list.len(), sealed_to, walker.last_id(), checkpoints),
        pruned_summary(walker.pruned_to())
    );
    ExitCode::SUCCESS
}

/// Read a password without echo from the terminal, or a line from standard input.
fn read_password(prompt: &str) -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        Ok(rpassword::prompt_password(prompt)?)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

async fn seed(settings: &Settings, plan: &super::seed::Plan) -> anyhow::Result<ExitCode> {
    if settings.environment == config::Environment::Production {
        eprintln!(
            "motto seed adds accounts with a shared password and made-up data: it is refused in production (ENVIRONMENT=production)."
        );
        return Ok(ExitCode::from(EXIT_CONFIG));
    }
    let password = read_password("Password for the seeded accounts: ")?;
    if password.chars().count() < 8 {
        eprintln!("password: use at least 8 characters.");
        return Ok(ExitCode::from(EXIT_CONFIG));
    }
    let db = Db::connect(&settings.database).await?;
    super::migrate_schema(&settings.database, &db).await?;
    let report = super::seed::seed(&db, plan, &password.into()).await;
    db.close().await;
    let r = report?;
    println!(
        "Seeded {} accounts, {} documents ({} earlier revisions), {} conversations ({} messages), {} audit events, {} shared spaces and {} groups in {:.1} s ({}).",
        r.users,
        r.documents,
        r.revisions,
        r.conversations,
        r.messages,
        r.audit_events,
        r.spaces,
        r.groups,
        r.seconds,
        settings.database.redacted_url()
    );
    Ok(ExitCode::SUCCESS)
}

async fn create_admin(settings: Settings, username: &str, email: &str) -> anyhow::Result<ExitCode> {
    use crate::server::{db::audit::AuditContext, services::accounts};
    use std::io::IsTerminal;
    let password = read_password("Password for the new administrator: ")?;
    let confirm = if std::io::stdin().is_terminal() {
        read_password("Repeat the password: ")?
    } else {
        password.clone()
    };
    let state = super::open(settings).await?;
    let input = accounts::NewAccount {
        username: username.to_string(),
        email: email.to_string(),
        password: password.into(),
        password_confirm: confirm.into(),
    };
    let ctx = AuditContext {
        user_agent: Some("motto create-admin".into()),
        ..Default::default()
    };
    let result = accounts::create_admin(&state, &input, &ctx).await;
    state.db.close().await;
    match result {
        Ok(user) => {
            println!("Administrator {} created (id {}).", user.username, user.id);
            Ok(ExitCode::SUCCESS)
        }
        Err(crate::error::AppError::Validation(errors)) => {
            for e in errors {
                let field = if e.field.is_empty() {
                    "error"
                } else {
                    e.field.as_str()
                };
                eprintln!("{field}: {}", e.message);
            }
            Ok(ExitCode::from(EXIT_CONFIG))
        }
        Err(e) => anyhow::bail!("{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_subcommand_means_serve() {
        let cli = Cli::try_parse_from(["motto"]).unwrap();
        assert_eq!(cli.command, None);
        let cli = Cli::try_parse_from(["motto", "verify-audit"]).unwrap();
        assert_eq!(
            cli.command,
            Some(Command::VerifyAudit { checkpoints: None })
        );
    }

    #[test]
    fn unknown_subcommand_is_rejected() {
        assert!(Cli::try_parse_from(["motto", "drop-everything"]).is_err());
    }
}
