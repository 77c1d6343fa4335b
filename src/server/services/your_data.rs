//! "Your data": everything a person owns as one archive, and deleting the account.

use super::{accounts::internal, profile::reauthenticate};
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

/// The archive (a zip file) and its file name. Audited.
pub async fn export(
    state: &AppState,
    user: i64,
    ctx: &AuditContext,
) -> Result<(String, Vec<u8>), AppError> {
    let u = users::find_by_id(&state.db, user)
        .await
        .map_err(|e| internal(ctx, e))?
        .ok_or(AppError::Unauthorized)?;
    let fail = |e| internal(ctx, e);
    let documents = db::documents(&state.db, user).await.map_err(fail)?;
    let revisions = db::revisions(&state.db, user).await.map_err(fail)?;
    let conversations = db::conversations(&state.db, user).await.map_err(fail)?;
    let messages = db::messages(&state.db, user).await.map_err(fail)?;
    let keys = db::api_keys(&state.db, user).await.map_err(fail)?;

    let mut files: Vec<(String, Vec<u8>)> = vec![("README.txt".into(), README.as_bytes().to_vec())];
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
    files.push((
        "account.json".into(),
        serde_json::to_vec_pretty(&account).map_err(|e| internal(ctx, e))?,
    ));
    for d in &documents {
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
        files.push((
            format!("{dir}document.json"),
            serde_json::to_vec_pretty(&meta).map_err(|e| internal(ctx, e))?,
        ));
        for r in earlier {
            files.push((
                format!("{dir}v{}.md", r.version),
                r.body.as_bytes().to_vec(),
            ));
        }
        files.push((
            format!("{dir}v{}.md", d.version),
            d.body.as_bytes().to_vec(),
        ));
    }
    for c in &conversations {
        let msgs: Vec<_> = messages
            .iter()
            .filter(|m| m.conversation_id == c.id)
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
        files.push((
            format!("conversations/{}.json", c.id),
            serde_json::to_vec_pretty(&conv).map_err(|e| internal(ctx, e))?,
        ));
    }
    let bytes = zip_files(files).map_err(|e| internal(ctx, e))?;
    audit::record_now(
        &state.db,
        ctx,
        NewEvent::new("account.export", Outcome::Success)
            .target("user", user)
            .details(json!({ "documents": documents.len(), "conversations": conversations.len(), "bytes": bytes.len() })),
    )
    .await
    .map_err(|e| internal(ctx, e))?;
    let name = format!(
        "motto-{}-{}.zip",
        u.username,
        chrono::Utc::now().format("%Y%m%d")
    );
    Ok((name, bytes))
}

fn zip_files(files: Vec<(String, Vec<u8>)>) -> anyhow::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in files {
        zip.start_file(name, options)?;
        zip.write_all(&content)?;
    }
    Ok(zip.finish()?.into_inner())
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
        .await
        .map_err(|e| internal(ctx, e))?
        .ok_or(AppError::Unauthorized)?;
    if confirm_username.trim() != u.username {
        return Err(AppError::field(
            "confirm_username",
            "Type your username exactly as shown to confirm.",
        ));
    }
    reauthenticate(state, &u, password, "password", ctx).await?;
    let mut tx = state.db.begin().await.map_err(|e| internal(ctx, e))?;
    if u.role() == crate::domain::user::Role::Admin {
        let admins = admin_db::enabled_admins(&mut tx)
            .await
            .map_err(|e| internal(ctx, e))?;
        if admins.iter().all(|id| *id == u.id) {
            return Err(AppError::form(
                "You are the only administrator: make someone else an administrator first.",
            ));
        }
    }
    audit::record(
        &mut tx,
        ctx,
        NewEvent::new("account.delete", Outcome::Success).target("user", u.id),
    )
    .await
    .map_err(|e| internal(ctx, e))?;
    db::delete_user(&mut tx, u.id)
        .await
        .map_err(|e| internal(ctx, e))?;
    tx.commit().await.map_err(|e| internal(ctx, e))?;
    Ok(())
}
