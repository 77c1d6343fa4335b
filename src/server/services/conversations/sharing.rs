//! Sharing a conversation read-only with a space: its owner shares it with a
//! space they can read and stops sharing it; the space's members read it (each
//! citation as their own access allows) and never write in it.

use super::crud::{event, live};
use crate::{
    domain::{conversation::SharedConversation, space::SpaceAction},
    error::AppError,
    server::{
        db::{
            audit::{self, AuditContext},
            conversations as db,
        },
        services::spaces,
        state::AppState,
    },
};

/// Share `id` (the owner's) with `space`, which they must be able to read.
pub async fn share(
    state: &AppState,
    owner: i64,
    id: i64,
    space: i64,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    live(state, owner, id).await?;
    let (kind, _) = spaces::can(state, owner, SpaceAction::Read, space, ctx).await?;
    if kind == crate::domain::space::SpaceKind::Personal {
        return Err(AppError::field(
            "space",
            "Choose a shared space: your personal space is yours alone.",
        ));
    }
    let mut tx = state.db.begin().await?;
    if db::share(&mut tx, id, space).await? {
        let details = serde_json::json!({ "space_id": space });
        audit::record(
            &mut tx,
            ctx,
            event("conversation.share", id).details(details),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Stop sharing `id` (the owner's) with `space`.
pub async fn unshare(
    state: &AppState,
    owner: i64,
    id: i64,
    space: i64,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    live(state, owner, id).await?;
    let mut tx = state.db.begin().await?;
    if db::unshare(&mut tx, id, space).await? {
        let details = serde_json::json!({ "space_id": space });
        audit::record(
            &mut tx,
            ctx,
            event("conversation.unshare", id).details(details),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The conversations shared with a space, for anyone who may read the space.
pub async fn shared_in(
    state: &AppState,
    user: i64,
    space: i64,
    ctx: &AuditContext,
) -> Result<Vec<SharedConversation>, AppError> {
    spaces::can(state, user, SpaceAction::Read, space, ctx).await?;
    Ok(db::shared_in(&state.db, space)
        .await?
        .into_iter()
        .map(|(id, title, by, updated_at)| SharedConversation {
            id,
            title,
            by,
            updated_at,
        })
        .collect())
}
