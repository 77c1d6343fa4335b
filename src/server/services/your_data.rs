//! "Your data": everything a person owns as one archive, and deleting the account.

use super::profile::reauthenticate;
use crate::{
    error::AppError,
    server::{
        db::{
            admin as admin_db,
            audit::{self, AuditContext, NewEvent, Outcome},
            export as db, users,
        },
        state::AppState,
    },
};
use secrecy::SecretString;
use serde_json::json;
use std::io::Write;

const README: &str = "Your data from Motto\n\
====================\n\n\
account.json            your profile and your API keys (names, scopes, dates; never the keys)\n\
documents/<id>/document.json   each document's title, dates and whether it is in the trash\n\
documents/<id>/v<N>.md  every version of the document's Markdown, oldest first\n\
conversations/<id>.json each conversation with all its messages and their citations\n";

/// A chunk of the archive, or the error that cut it short.
pub type Chunk = Result<axum::body::Bytes, std::io::Error>;

/// The archive as it is written, and its file name.
pub struct Export {
    pub filename: String,
    pub chunks: tokio::sync::mpsc::Receiver<Chunk>,
}

/// The archive (a zip file), written as it is sent: a blocking task reads one
/// document (or version) at a time and zips it into a bounded channel, so memory
/// stays flat however much the person owns, and the async workers never compress.
/// One export per person at a time. Audited when it starts.
pub async fn export(state: &AppState, user: i64, ctx: &AuditContext) -> Result<Export, AppError> {
    let u = users::find_by_id(&state.db, user)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let Some(guard) = crate::server::security::claim_verification(
        &state.security,
        &format!("export:user:{user}"),
    ) else {
        return Err(AppError::RateLimited {
            retry_after_secs: 10,
        });
    };
    let documents = db::documents(&state.db, user).await?;
    let revisions = db::revisions(&state.db, user).await?;
    let conversations = db::conversations(&state.db, user).await?;
    let keys = db::api_keys(&state.db, user).await?;
    audit::record_now(
        &state.db,
        ctx,
        NewEvent::new("account.export", Outcome::Success)
            .target("user", user)
            .details(json!({ "documents": documents.len(), "conversations": conversations.len() })),
    )
    .await?;

    let account = json!({
        "username": u.username,
        "email": u.email,
        "role": u.role().as_str(),
        "created_at": u.created_at,
        "two_factor": u.two_factor,
        "exported_at": chrono::Utc::now(),
        "api_keys": keys.iter().map(|k| json!({
            "name": k.name,
            "prefix": k.prefix,
            "scopes": k.scopes.split_whitespace().collect::<Vec<_>>(),
            "created_at": k.created_at,
            "expires_at": k.expires_at,
            "last_used_at": k.last_used_at,
            "revoked_at": k.revoked_at,
        })).collect::<Vec<_>>(),
    });
    let (tx, chunks) = tokio::sync::mpsc::channel::<Chunk>(4);
    let runtime = tokio::runtime::Handle::current();
    let (db, request_id) = (state.db.clone(), ctx.request_id.clone());
    tokio::task::spawn_blocking(move || {
        let _one_at_a_time = guard;
        let sink = ChannelWriter::new(tx.clone());
        let written = write_archive(
            sink,
            &runtime,
            &db,
            user,
            &account,
            &documents,
            &revisions,
            &conversations,
        );
        if let Err(e) = written {
            tracing::warn!(request_id = ?request_id, error = %e, "a data export stopped");
            let _ = tx.blocking_send(Err(std::io::Error::other("the export failed")));
        }
    });
    Ok(Export {
        filename: format!(
            "motto-{}-{}.zip",
            u.username,
            chrono::Utc::now().format("%Y%m%d")
        ),
        chunks,
    })
}

/// Zip everything into `sink`, reading texts one at a time through `runtime`.
#[allow(clippy::too_many_arguments)]
fn write_archive(
    sink: ChannelWriter,
    runtime: &tokio::runtime::Handle,
    db: &crate::server::db::Db,
    user: i64,
    account: &serde_json::Value,
    documents: &[db::DocumentMeta],
    revisions: &[db::RevisionMeta],
    conversations: &[db::ConversationRow],
) -> anyhow::Result<()> {
    let mut zip = zip::ZipWriter::new_stream(sink);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let file = |zip: &mut zip::ZipWriter<_>, name: String, content: &[u8]| -> anyhow::Result<()> {
        zip.start_file(name, options)?;
        zip.write_all(content)?;
        Ok(())
    };
    file(&mut zip, "README.txt".into(), README.as_bytes())?;
    file(
        &mut zip,
        "account.json".into(),
        &serde_json::to_vec_pretty(account)?,
    )?;
    for d in documents {
        let earlier: Vec<_> = revisions.iter().filter(|r| r.document_id == d.id).collect();
        let meta = json!({
            "id": d.id,
            "title": d.title,
            "version": d.version,
            "created_at": d.created_at,
            "updated_at": d.updated_at,
            "in_trash_since": d.deleted_at,
            "versions": earlier.iter().map(|r| json!({"version": r.version, "title": r.title, "saved_at": r.created_at}))
                .chain(std::iter::once(json!({"version": d.version, "title": d.title, "saved_at": d.updated_at})))
                .collect::<Vec<_>>(),
        });
        let dir = format!("documents/{}/", d.id);
        file(
            &mut zip,
            format!("{dir}document.json"),
            &serde_json::to_vec_pretty(&meta)?,
        )?;
        for r in earlier {
            let body = runtime
                .block_on(db::revision_body(db, user, d.id, r.version))?
                .unwrap_or_default();
            file(&mut zip, format!("{dir}v{}.md", r.version), body.as_bytes())?;
        }
        let body = runtime
            .block_on(db::document_body(db, user, d.id))?
            .unwrap_or_default();
        file(&mut zip, format!("{dir}v{}.md", d.version), body.as_bytes())?;
    }
    for c in conversations {
        let msgs: Vec<_> = runtime
            .block_on(db::conversation_messages(db, user, c.id))?
            .iter()
            .map(|m| json!({
                "role": m.role,
                "content": m.content,
                "status": m.status,
                "citations": serde_json::from_str::<serde_json::Value>(&m.citations).unwrap_or_else(|_| json!([])),
                "created_at": m.created_at,
            }))
            .collect();
        let conv = json!({
            "id": c.id,
            "title": c.title,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
            "in_trash_since": c.deleted_at,
            "messages": msgs,
        });
        file(
            &mut zip,
            format!("conversations/{}.json", c.id),
            &serde_json::to_vec_pretty(&conv)?,
        )?;
    }
    let mut sink = zip.finish()?.into_inner();
    sink.flush()?;
    Ok(())
}

/// `Write` into the response: 64 KiB at a time through a bounded channel, waiting
/// when the client reads slowly. A client gone away ends the writing.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Chunk>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl ChannelWriter {
    fn new(tx: tokio::sync::mpsc::Sender<Chunk>) -> ChannelWriter {
        ChannelWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        }
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk =
            axum::body::Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// Delete the account for good, after the password and the username typed as
/// confirmation. Content goes; audit events stay, under the account's number only.
pub async fn delete_account(
    state: &AppState,
    user: i64,
    password: &SecretString,
    confirm_username: &str,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    let u = users::find_by_id(&state.db, user)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if confirm_username.trim() != u.username {
        return Err(AppError::field(
            "confirm_username",
            "Type your username exactly as shown to confirm.",
        ));
    }
    reauthenticate(state, &u, password, "password", ctx).await?;
    let mut tx = state.db.begin().await?;
    if u.role() == crate::domain::user::Role::Admin {
        let admins = admin_db::enabled_admins(&mut tx).await?;
        if admins.iter().all(|id| *id == u.id) {
            return Err(AppError::form(
                "You are the only administrator: make someone else an administrator first.",
            ));
        }
    }
    // Shared spaces outlive their members: an account's deletion never takes a
    // team's space with it. The documents the person wrote there stay, shown as
    // created by a deleted account; their personal space goes with them.
    if crate::server::db::spaces::sole_owned_shared(&mut tx, u.id).await? > 0 {
        return Err(AppError::form(
            "You are the only owner of a shared space: make someone else an owner first (on the space's page).",
        ));
    }
    audit::record(
        &mut tx,
        ctx,
        NewEvent::new("account.delete", Outcome::Success).target("user", u.id),
    )
    .await?;
    db::delete_user(&mut tx, u.id).await?;
    tx.commit().await?;
    Ok(())
}
