//! Documents: each lives in a space and is reached only by its space's members
//! (the SQL filter of `db::spaces::allowed`), revised on every save, trashed
//! before they are deleted. Each change writes its audit event in the same transaction.

use super::TrashOp;
use crate::server::adapters::markdown;
use crate::{
    domain::document::{
        Author, DocSort, DocumentPage, DocumentSummary, DocumentView, RevisionSummary, SearchHit,
        BODY_MAX,
    },
    domain::space::{allows, SpaceAction},
    domain::text::DocumentTitle,
    error::{AppError, FieldError},
    server::{
        db::{
            audit::{self, AuditContext, NewEvent, Outcome},
            documents::{self as db, DocumentRow},
            spaces,
        },
        state::AppState,
    },
};

fn validate(title: &str, body: &str) -> Result<String, AppError> {
    let mut errors = Vec::new();
    let title = DocumentTitle::parse(title).map_err(|message| {
        errors.push(FieldError {
            field: "title".into(),
            message,
        })
    });
    if body.len() > BODY_MAX {
        errors.push(FieldError {
            field: "body".into(),
            message: format!("The text is too long: at most {} KiB.", BODY_MAX / 1024),
        });
    } else if body.contains('\0') {
        // PostgreSQL cannot store NUL in text; no editor produces it.
        errors.push(FieldError {
            field: "body".into(),
            message: "The text cannot contain NUL characters.".into(),
        });
    }
    match title {
        Ok(title) if errors.is_empty() => Ok(title.into_inner()),
        _ => Err(AppError::Validation(errors)),
    }
}

/// A document as `user` sees it: with its space and whether they may change it.
async fn view(state: &AppState, user: i64, row: DocumentRow) -> Result<DocumentView, AppError> {
    let role = spaces::role_of(&state.db, user, row.space_id).await?;
    let can_edit = role.is_some_and(|(kind, role)| allows(kind, role, SpaceAction::Write));
    let place = db::placement(&state.db, row.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(DocumentView {
        html: markdown::render(&row.body),
        id: row.id,
        title: row.title,
        body: row.body,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        space_id: row.space_id,
        space_name: place.space_name,
        can_edit,
        // Only in shared spaces: in a personal space it is always its owner.
        created_by: place.shared.then_some(match place.author {
            Some(name) => Author::Person(name),
            None => Author::DeletedAccount,
        }),
    })
}

fn event(action: &'static str, id: i64) -> NewEvent {
    NewEvent::new(action, Outcome::Success).target("document", id)
}

pub async fn create(
    state: &AppState,
    owner: i64,
    title: &str,
    body: &str,
    ctx: &AuditContext,
) -> Result<i64, AppError> {
    let title = validate(title, body)?;
    let mut tx = state.db.begin().await?;
    let size = body.len() as i64;
    super::quotas::reserve_storage(state, &mut tx, owner, size).await?;
    let id = db::insert(&mut tx, owner, &title, body).await?;
    audit::record(&mut tx, ctx, event("document.create", id)).await?;
    tx.commit().await?;
    Ok(id)
}

/// A live (not trashed) document the caller may read; anyone else gets
/// NotFound. With `AUDIT_LEVEL=access`, reading one in a shared space is an
/// audit event (and is refused when the event cannot be written).
pub async fn get(
    state: &AppState,
    owner: i64,
    id: i64,
    ctx: &AuditContext,
) -> Result<DocumentView, AppError> {
    let view = load(state, owner, id).await?;
    if state.settings.audit.access_events && view.created_by.is_some() {
        let event = NewEvent::new("document.read", Outcome::Success)
            .target("document", id)
            .details(serde_json::json!({ "space": view.space_id }));
        audit::record_now(&state.db, ctx, event).await?;
    }
    Ok(view)
}

/// [`get`] without the access event (for the revision pages' own checks).
async fn load(state: &AppState, owner: i64, id: i64) -> Result<DocumentView, AppError> {
    match db::get(&state.db, owner, id).await? {
        Some(row) if row.deleted_at.is_none() => view(state, owner, row).await,
        _ => Err(AppError::NotFound),
    }
}

/// How long a "has it open" signal lasts: the editor page repeats it every
/// 20 seconds, so one missed beat does not make someone vanish.
const PRESENCE_FRESH: chrono::Duration = chrono::Duration::seconds(50);

/// Say that `user` has document `id` open in the editor, and learn who else
/// has (a light signal: no merging, the version check on save still decides).
pub async fn presence(state: &AppState, user: i64, id: i64) -> Result<Vec<String>, AppError> {
    // Only someone who may edit it says they have it open, or learns who has.
    let row = match db::get(&state.db, user, id).await? {
        Some(row) if row.deleted_at.is_none() => row,
        _ => return Err(AppError::NotFound),
    };
    let role = spaces::role_of(&state.db, user, row.space_id).await?;
    if !role.is_some_and(|(kind, role)| allows(kind, role, SpaceAction::Write)) {
        return Err(AppError::Forbidden);
    }
    let now = chrono::Utc::now();
    Ok(db::presence(
        &state.db,
        user,
        id,
        now - PRESENCE_FRESH,
        now - chrono::Duration::minutes(10),
    )
    .await?)
}

/// A save: the new text and the version it was based on.
pub struct Edit<'a> {
    pub base_version: i64,
    pub title: &'a str,
    pub body: &'a str,
    /// Set when the text comes from an earlier revision.
    pub restored_from: Option<i64>,
}

/// Save a new version based on `base_version`. A save over a newer version is
/// refused, so nobody's edit is silently lost.
pub async fn update(
    state: &AppState,
    owner: i64,
    id: i64,
    edit: Edit<'_>,
    ctx: &AuditContext,
) -> Result<i64, AppError> {
    let Edit {
        base_version,
        title,
        body,
        restored_from,
    } = edit;
    let title = validate(title, body)?;
    let mut tx = state.db.begin().await?;
    let current = db::get_for_update(&mut tx, owner, id)
        .await?
        .filter(|d| d.deleted_at.is_none())
        .ok_or(AppError::NotFound)?;
    if current.version != base_version {
        return Err(AppError::Conflict(format!(
            "This document was changed since you opened it (it is now at version {}). Your text is still here: copy it, reload the document and merge your changes.",
            current.version
        )));
    }
    if current.title == title && current.body == body && restored_from.is_none() {
        return Ok(current.version);
    }
    // The text it replaces is kept as a revision: the new text is all that is added.
    let size = body.len() as i64;
    super::quotas::reserve_storage(state, &mut tx, owner, size).await?;
    db::save_revision(&mut tx, &current).await?;
    if !db::update(&mut tx, owner, id, base_version, &title, body).await? {
        return Err(AppError::Conflict(
            "This document was changed at the same moment. Reload and try again.".into(),
        ));
    }
    let details = match restored_from {
        Some(v) => serde_json::json!({ "version": base_version + 1, "restored_from": v }),
        None => serde_json::json!({ "version": base_version + 1 }),
    };
    audit::record(&mut tx, ctx, event("document.update", id).details(details)).await?;
    tx.commit().await?;
    Ok(base_version + 1)
}

async fn change(
    state: &AppState,
    owner: i64,
    id: i64,
    ctx: &AuditContext,
    op: TrashOp,
) -> Result<(), AppError> {
    let action = match op {
        TrashOp::Delete => "document.delete",
        TrashOp::Restore => "document.restore",
        TrashOp::Purge => "document.purge",
    };
    let mut tx = state.db.begin().await?;
    let changed = match op {
        TrashOp::Delete => db::set_trashed(&mut tx, owner, id, true).await,
        TrashOp::Restore => db::set_trashed(&mut tx, owner, id, false).await,
        TrashOp::Purge => {
            // Deleting for good gives back the room of every version, to its
            // author (who may not be the editor purging it).
            let bytes = crate::server::db::quotas::document_bytes(&mut tx, id).await?;
            let author = db::author_of(&mut tx, id).await?;
            let purged = db::purge(&mut tx, owner, id).await;
            if let (Ok(true), Some(author)) = (&purged, author) {
                crate::server::db::quotas::add_storage(&mut tx, author, -bytes).await?;
            }
            purged
        }
    }?;
    if !changed {
        return Err(AppError::NotFound);
    }
    audit::record(&mut tx, ctx, event(action, id)).await?;
    tx.commit().await?;
    Ok(())
}

/// Move to the trash (restorable for the trash period).
pub async fn trash(
    state: &AppState,
    owner: i64,
    id: i64,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    change(state, owner, id, ctx, TrashOp::Delete).await
}

pub async fn restore(
    state: &AppState,
    owner: i64,
    id: i64,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    change(state, owner, id, ctx, TrashOp::Restore).await
}

/// Delete for good, from the trash only.
pub async fn purge(
    state: &AppState,
    owner: i64,
    id: i64,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    change(state, owner, id, ctx, TrashOp::Purge).await
}

/// Which documents a list or search covers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Listing {
    pub trashed: bool,
    pub sort: DocSort,
    /// One space, or every space the caller can read.
    pub space: Option<i64>,
}

pub async fn list(
    state: &AppState,
    owner: i64,
    listing: Listing,
    page: u32,
    per_page: u32,
) -> Result<DocumentPage, AppError> {
    let page = page.max(1);
    let per_page = per_page.clamp(1, 100);
    let (rows, total) = db::list(
        &state.db,
        owner,
        listing.trashed,
        listing.sort,
        listing.space,
        i64::from(per_page),
        (i64::from(page) - 1) * i64::from(per_page),
    )
    .await?;
    Ok(DocumentPage {
        items: rows
            .into_iter()
            .map(|r| DocumentSummary {
                id: r.id,
                title: r.title,
                excerpt: r.excerpt,
                updated_at: r.updated_at,
            })
            .collect(),
        total,
        page,
        per_page,
    })
}

pub async fn search(
    state: &AppState,
    owner: i64,
    text: &str,
    space: Option<i64>,
) -> Result<Vec<SearchHit>, AppError> {
    // NUL cannot reach a PostgreSQL query; it cannot match anything either.
    let text: String = text.chars().filter(|c| *c != '\0').take(200).collect();
    let rows = db::search(&state.db, owner, &text, space, 50).await?;
    Ok(rows
        .into_iter()
        .map(|r| SearchHit {
            id: r.id,
            title: r.title,
            snippet: r.snippet,
            updated_at: r.updated_at,
        })
        .collect())
}

/// Up to 1,000 of the owner's live documents by title: (id, title).
pub async fn titles(state: &AppState, owner: i64) -> Result<Vec<(i64, String)>, AppError> {
    db::titles(&state.db, owner, 1000)
        .await
        .map_err(AppError::from)
}

pub async fn revisions(
    state: &AppState,
    owner: i64,
    id: i64,
) -> Result<Vec<RevisionSummary>, AppError> {
    let current = load(state, owner, id).await?;
    let rows = db::revisions(&state.db, id).await?;
    // Sizes: each revision compared with the one before it (rows are newest first).
    let sizes: Vec<i64> = rows.iter().map(|r| r.size).collect();
    Ok(rows
        .iter()
        .enumerate()
        .map(|(i, r)| RevisionSummary {
            version: r.version,
            title: r.title.clone(),
            created_at: r.created_at,
            size: sizes[i],
            size_change: sizes[i] - sizes.get(i + 1).copied().unwrap_or(0),
        })
        .filter(|r| r.version < current.version)
        .collect())
}

pub async fn revision(
    state: &AppState,
    owner: i64,
    id: i64,
    version: i64,
) -> Result<DocumentView, AppError> {
    let current = load(state, owner, id).await?;
    let rev = db::revision(&state.db, id, version)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(DocumentView {
        id,
        html: markdown::render(&rev.body),
        title: rev.title,
        body: rev.body,
        version: rev.version,
        updated_at: rev.created_at,
        ..current
    })
}

/// Restoring an old version is itself a new version.
pub async fn restore_revision(
    state: &AppState,
    owner: i64,
    id: i64,
    version: i64,
    base_version: i64,
    ctx: &AuditContext,
) -> Result<i64, AppError> {
    let rev = revision(state, owner, id, version).await?;
    let edit = Edit {
        base_version,
        title: &rev.title,
        body: &rev.body,
        restored_from: Some(version),
    };
    update(state, owner, id, edit, ctx).await
}

/// Delete for good what has been in the trash more than `days` (at most 500 a
/// pass): whoever trashed it and whatever their access is now, each with its
/// audit event (`document.purge`, `expired`) and the room it took given back to
/// its author. Returns how many went.
pub async fn purge_expired(state: &AppState, days: u32) -> Result<usize, AppError> {
    let before = chrono::Utc::now() - chrono::Duration::days(days as i64);
    let ctx = AuditContext {
        user_agent: Some("motto trash purge".into()),
        ..Default::default()
    };
    let mut purged = 0;
    for id in db::expired_trash(&state.db, before).await? {
        let mut tx = state.db.begin().await?;
        let bytes = crate::server::db::quotas::document_bytes(&mut tx, id).await?;
        let author = db::author_of(&mut tx, id).await?;
        if !db::purge_expired(&mut tx, id, before).await? {
            continue;
        }
        if let Some(author) = author {
            crate::server::db::quotas::add_storage(&mut tx, author, -bytes).await?;
        }
        let event = event("document.purge", id).details(serde_json::json!({ "expired": true }));
        audit::record(&mut tx, &ctx, event).await?;
        tx.commit().await?;
        purged += 1;
    }
    Ok(purged)
}

/// Empty trash older than `days`, every hour (and keep SQLite's planner
/// statistics fresh at the same beat).
pub fn spawn_trash_purge(state: AppState, days: u32) {
    crate::server::request::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = state.db.optimize().await {
                tracing::warn!(error = %e, "could not refresh the planner's statistics");
            }
            if let Err(e) = purge_expired(&state, days).await {
                tracing::warn!(error = %e, "could not empty the expired trash");
            }
            super::conversations::purge_expired(&state, days).await;
        }
    });
}
