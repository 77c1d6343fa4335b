//! The conversations themselves: create, read, list, rename, trash, restore, purge.

use super::citations::citations_of;
use crate::server::adapters::markdown;
use crate::server::services::TrashOp;
use crate::{
    domain::conversation::{
        Citation, CitationState, CitationView, ConversationPage, ConversationSummary,
        ConversationView, MessageStatus, MessageView, Role, ScopedDocument, SharedSpace,
        UsageTotals, DEFAULT_TITLE, PAGE_SIZE,
    },
    domain::text::ConversationTitle,
    error::AppError,
    server::{
        db::{
            audit::{self, AuditContext, NewEvent, Outcome},
            conversations::{self as db, MessageRow},
        },
        state::AppState,
    },
};
pub(super) fn validate_title(title: &str) -> Result<String, AppError> {
    ConversationTitle::parse(title)
        .map(ConversationTitle::into_inner)
        .map_err(|message| AppError::field("title", message))
}

pub(super) fn event(action: &'static str, id: i64) -> NewEvent {
    NewEvent::new(action, Outcome::Success).target("conversation", id)
}

/// A title from the first message: its first line, shortened at a word.
pub(super) fn title_from(message: &str) -> String {
    let line = message.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let line: String = line.trim().chars().filter(|c| !c.is_control()).collect();
    if line.chars().count() <= 60 {
        return line;
    }
    let cut: String = line.chars().take(60).collect();
    let cut = cut.rsplit_once(' ').map(|(a, _)| a).unwrap_or(&cut);
    format!("{}…", cut.trim_end())
}

pub async fn create(
    state: &AppState,
    owner: i64,
    title: &str,
    scope: &[i64],
    ctx: &AuditContext,
) -> Result<i64, AppError> {
    let title = validate_title(title)?;
    let title = if title.is_empty() {
        DEFAULT_TITLE.to_string()
    } else {
        title
    };
    if scope.len() > 500 {
        return Err(AppError::field(
            "scope",
            "Choose at most 500 documents, or none to use all of them.",
        ));
    }
    let mut scope = scope.to_vec();
    scope.sort_unstable();
    scope.dedup();
    let mut tx = state.db.begin().await?;
    let id = db::insert(&mut tx, owner, &title).await?;
    let added = db::add_scope(&mut tx, owner, id, &scope).await?;
    if added as usize != scope.len() {
        // Someone else's document, a trashed one, or one that does not exist: say
        // so without telling which (and without creating anything).
        let _ = tx.rollback().await;
        return Err(AppError::field(
            "scope",
            "Some of the chosen documents are not available any more. Reload the page and choose again.",
        ));
    }
    audit::record(
        &mut tx,
        ctx,
        event("conversation.create", id).details(serde_json::json!({ "scope": scope.len() })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub(super) async fn live(
    state: &AppState,
    owner: i64,
    id: i64,
) -> Result<db::ConversationRow, AppError> {
    match db::get(&state.db, owner, id).await? {
        Some(row) if row.deleted_at.is_none() => Ok(row),
        _ => Err(AppError::NotFound),
    }
}

/// The whole conversation, for its owner or (read only) a member of a space it
/// is shared with: messages with the present state of every citation as
/// `owner` (the reader) may see it.
pub async fn get(state: &AppState, owner: i64, id: i64) -> Result<ConversationView, AppError> {
    let (row, shared_by) = match db::get(&state.db, owner, id).await? {
        Some(row) if row.deleted_at.is_none() => (row, None),
        _ => {
            let row = db::get_shared(&state.db, owner, id)
                .await?
                .ok_or(AppError::NotFound)?;
            (row, db::owner_name(&state.db, id).await?)
        }
    };
    let shared_with = if shared_by.is_none() {
        db::shares_of(&state.db, id)
            .await?
            .into_iter()
            .map(|(id, name)| SharedSpace { id, name })
            .collect()
    } else {
        Vec::new()
    };
    let messages = db::messages(&state.db, id).await?;
    let scope = db::scope(&state.db, owner, id).await?;
    let parsed: Vec<(MessageRow, Vec<Citation>)> = messages
        .into_iter()
        .map(|m| {
            let c = citations_of(&m);
            (m, c)
        })
        .collect();
    let mut cited: Vec<i64> = parsed
        .iter()
        .flat_map(|(_, c)| c.iter().map(|c| c.document_id))
        .collect();
    cited.sort_unstable();
    cited.dedup();
    let readable = db::cited(&state.db, owner, &cited).await?;
    let origin = state.settings.public_origin();
    let messages = parsed
        .into_iter()
        .map(|(m, citations)| {
            let role = Role::parse(&m.role);
            // The assistant's words came from a prompt that held document text:
            // shown (and exported) without images or links elsewhere.
            let content = match role {
                Role::Assistant => markdown::defang_untrusted(&m.content, &origin),
                Role::User => m.content,
            };
            MessageView {
                id: m.id,
                html: match role {
                    Role::Assistant => markdown::render(&content),
                    Role::User => String::new(),
                },
                role,
                status: MessageStatus::parse(&m.status),
                error: m.error,
                citations: citations
                    .into_iter()
                    .map(|c| match readable.get(&c.document_id) {
                        None => CitationView {
                            // Nothing of a document the reader may not read.
                            citation: Citation {
                                title: String::new(),
                                passage: String::new(),
                                ..c
                            },
                            state: CitationState::NoAccess,
                        },
                        Some((_, false)) => CitationView {
                            citation: c,
                            state: CitationState::Removed,
                        },
                        Some((v, true)) => CitationView {
                            state: if *v == c.version {
                                CitationState::Current
                            } else {
                                CitationState::Revised
                            },
                            citation: c,
                        },
                    })
                    .collect(),
                content,
                prompt_tokens: m.prompt_tokens,
                completion_tokens: m.completion_tokens,
                tokens_estimated: m.tokens_estimated,
                created_at: m.created_at,
            }
        })
        .collect();
    Ok(ConversationView {
        id: row.id,
        title: row.title,
        created_at: row.created_at,
        updated_at: row.updated_at,
        scope: scope
            .into_iter()
            .map(|s| ScopedDocument {
                id: s.id,
                title: if s.readable { s.title } else { String::new() },
                available: s.readable && s.deleted_at.is_none(),
                access: s.readable,
            })
            .collect(),
        messages,
        assistant: state.assistant.name(),
        shared_by,
        shared_with,
    })
}

pub async fn list(
    state: &AppState,
    owner: i64,
    trashed: bool,
    search: &str,
    page: u32,
) -> Result<ConversationPage, AppError> {
    let page = page.max(1);
    let search: String = search
        .trim()
        .chars()
        .filter(|c| *c != '\0')
        .take(200)
        .collect();
    let (rows, total) = db::list(
        &state.db,
        owner,
        trashed,
        (!search.is_empty()).then_some(search.as_str()),
        PAGE_SIZE as i64,
        (i64::from(page) - 1) * i64::from(PAGE_SIZE),
    )
    .await?;
    Ok(ConversationPage {
        items: rows
            .into_iter()
            .map(|r| ConversationSummary {
                id: r.id,
                title: r.title,
                updated_at: r.updated_at,
                message_count: r.message_count,
                deleted_at: r.deleted_at,
            })
            .collect(),
        total,
        page,
        per_page: PAGE_SIZE,
    })
}

pub async fn rename(
    state: &AppState,
    owner: i64,
    id: i64,
    title: &str,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    let title = validate_title(title)?;
    if title.is_empty() {
        return Err(AppError::field("title", "Give the conversation a title."));
    }
    let mut tx = state.db.begin().await?;
    if !db::rename(&mut tx, owner, id, &title).await? {
        return Err(AppError::NotFound);
    }
    audit::record(&mut tx, ctx, event("conversation.rename", id)).await?;
    tx.commit().await?;
    Ok(())
}

async fn change(
    state: &AppState,
    owner: i64,
    id: i64,
    ctx: &AuditContext,
    op: TrashOp,
) -> Result<(), AppError> {
    let action = match op {
        TrashOp::Delete => "conversation.delete",
        TrashOp::Restore => "conversation.restore",
        TrashOp::Purge => "conversation.purge",
    };
    let mut tx = state.db.begin().await?;
    let changed = match op {
        TrashOp::Delete => db::set_trashed(&mut tx, owner, id, true).await,
        TrashOp::Restore => db::set_trashed(&mut tx, owner, id, false).await,
        TrashOp::Purge => db::purge(&mut tx, owner, id).await,
    }?;
    if !changed {
        return Err(AppError::NotFound);
    }
    audit::record(&mut tx, ctx, event(action, id)).await?;
    tx.commit().await?;
    Ok(())
}

/// Move to the trash (restorable for `DOCUMENT_TRASH_DAYS`).
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

/// Empty conversations that have been in the trash for `days` (the documents'
/// purge job calls this on the same schedule).
pub async fn purge_expired(state: &AppState, days: u32) {
    let before = chrono::Utc::now() - chrono::Duration::days(days as i64);
    match db::expired_trash(&state.db, before).await {
        Ok(expired) => {
            for (owner, id) in expired {
                let ctx = AuditContext {
                    user_agent: Some("motto trash purge".into()),
                    ..Default::default()
                };
                if let Err(e) = purge(state, owner, id, &ctx).await {
                    tracing::warn!(error = %e, conversation = id, "could not purge from the trash");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not list expired conversations"),
    }
}

pub async fn usage(state: &AppState, owner: i64) -> Result<UsageTotals, AppError> {
    let (assistant_messages, prompt_tokens, completion_tokens, estimated_messages) =
        db::usage(&state.db, owner).await?;
    Ok(UsageTotals {
        assistant_messages,
        prompt_tokens,
        completion_tokens,
        estimated_messages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_the_first_line() {
        assert_eq!(title_from("\n  Hello there\nsecond"), "Hello there");
        let long = "word ".repeat(30);
        let t = title_from(&long);
        assert!(t.ends_with('…') && t.chars().count() <= 61, "{t}");
    }
}
