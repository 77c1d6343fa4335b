//! Conversations: private to their owner, trashed before they are deleted, answered
//! by the configured assistant from the owner's documents.
//!
//! Sending a message stores it first (so nothing the person wrote can be lost),
//! then a background task writes the reply: it streams to whoever is reading and
//! is stored when complete, stopped or failed, whatever happens to the reader.

use super::TrashOp;
use super::{
    accounts::internal,
    assistant::{self, Assistant, AssistantError, Passage, Prompt},
    markdown,
};
use crate::{
    domain::conversation::{
        estimate_tokens, Citation, CitationState, CitationView, ConversationPage,
        ConversationSummary, ConversationView, MessageStatus, MessageView, Role, ScopedDocument,
        StreamEvent, UsageTotals, DEFAULT_TITLE, MESSAGE_MAX, PAGE_SIZE, TITLE_MAX,
    },
    error::AppError,
    server::{
        db::{
            audit::{self, AuditContext, NewEvent, Outcome},
            conversations::{self as db, Finished, MessageRow},
        },
        state::AppState,
    },
};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Replies being written by this instance, so Stop can reach them.
#[derive(Default)]
pub struct Replies {
    active: Mutex<HashMap<i64, Active>>,
}

struct Active {
    owner: i64,
    conversation: i64,
    cancel: CancellationToken,
}

impl Replies {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Active>> {
        // A panic while holding this lock cannot leave the map inconsistent.
        self.active.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn busy(&self, conversation: i64) -> bool {
        self.lock().values().any(|a| a.conversation == conversation)
    }

    fn cancel(&self, owner: i64, reply: i64) -> bool {
        match self.lock().get(&reply) {
            Some(a) if a.owner == owner => {
                a.cancel.cancel();
                true
            }
            _ => false,
        }
    }
}

/// Removes a reply from [`Replies`] when its task ends, however it ends.
struct Registration {
    replies: Arc<Replies>,
    reply: i64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.replies.lock().remove(&self.reply);
    }
}

fn validate_title(title: &str) -> Result<String, AppError> {
    let title = title.trim();
    if title.chars().count() > TITLE_MAX {
        return Err(AppError::field(
            "title",
            format!("Use at most {TITLE_MAX} characters."),
        ));
    }
    if title.chars().any(char::is_control) {
        return Err(AppError::field(
            "title",
            "The title cannot contain line breaks or control characters.",
        ));
    }
    Ok(title.to_string())
}

fn event(action: &'static str, id: i64) -> NewEvent {
    NewEvent::new(action, Outcome::Success).target("conversation", id)
}

/// A title from the first message: its first line, shortened at a word.
fn title_from(message: &str) -> String {
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
    let mut tx = state.db.begin().await.map_err(|e| internal(ctx, e))?;
    let id = db::insert(&mut tx, owner, &title)
        .await
        .map_err(|e| internal(ctx, e))?;
    let added = db::add_scope(&mut tx, owner, id, &scope)
        .await
        .map_err(|e| internal(ctx, e))?;
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
    .await
    .map_err(|e| internal(ctx, e))?;
    tx.commit().await.map_err(|e| internal(ctx, e))?;
    Ok(id)
}

async fn live(
    state: &AppState,
    owner: i64,
    id: i64,
    ctx: &AuditContext,
) -> Result<db::ConversationRow, AppError> {
    match db::get(&state.db, owner, id)
        .await
        .map_err(|e| internal(ctx, e))?
    {
        Some(row) if row.deleted_at.is_none() => Ok(row),
        _ => Err(AppError::NotFound),
    }
}

fn citations_of(row: &MessageRow) -> Vec<Citation> {
    serde_json::from_str(&row.citations).unwrap_or_default()
}

/// The whole conversation: messages with the present state of every citation.
pub async fn get(
    state: &AppState,
    owner: i64,
    id: i64,
    ctx: &AuditContext,
) -> Result<ConversationView, AppError> {
    let row = live(state, owner, id, ctx).await?;
    let messages = db::messages(&state.db, id)
        .await
        .map_err(|e| internal(ctx, e))?;
    let scope = db::scope(&state.db, id)
        .await
        .map_err(|e| internal(ctx, e))?;
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
    let versions = db::live_versions(&state.db, owner, &cited)
        .await
        .map_err(|e| internal(ctx, e))?;
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
                    .map(|c| {
                        let state = match versions.get(&c.document_id) {
                            None => CitationState::Removed,
                            Some(v) if *v == c.version => CitationState::Current,
                            Some(_) => CitationState::Revised,
                        };
                        CitationView { citation: c, state }
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
                title: s.title,
                available: s.deleted_at.is_none(),
            })
            .collect(),
        messages,
        assistant: state.assistant.name(),
    })
}

pub async fn list(
    state: &AppState,
    owner: i64,
    trashed: bool,
    search: &str,
    page: u32,
    ctx: &AuditContext,
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
    .await
    .map_err(|e| internal(ctx, e))?;
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
    let mut tx = state.db.begin().await.map_err(|e| internal(ctx, e))?;
    if !db::rename(&mut tx, owner, id, &title)
        .await
        .map_err(|e| internal(ctx, e))?
    {
        return Err(AppError::NotFound);
    }
    audit::record(&mut tx, ctx, event("conversation.rename", id))
        .await
        .map_err(|e| internal(ctx, e))?;
    tx.commit().await.map_err(|e| internal(ctx, e))?;
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
    let mut tx = state.db.begin().await.map_err(|e| internal(ctx, e))?;
    let changed = match op {
        TrashOp::Delete => db::set_trashed(&mut tx, owner, id, true).await,
        TrashOp::Restore => db::set_trashed(&mut tx, owner, id, false).await,
        TrashOp::Purge => db::purge(&mut tx, owner, id).await,
    }
    .map_err(|e| internal(ctx, e))?;
    if !changed {
        return Err(AppError::NotFound);
    }
    audit::record(&mut tx, ctx, event(action, id))
        .await
        .map_err(|e| internal(ctx, e))?;
    tx.commit().await.map_err(|e| internal(ctx, e))?;
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

pub async fn usage(
    state: &AppState,
    owner: i64,
    ctx: &AuditContext,
) -> Result<UsageTotals, AppError> {
    let (assistant_messages, prompt_tokens, completion_tokens, estimated_messages) =
        db::usage(&state.db, owner)
            .await
            .map_err(|e| internal(ctx, e))?;
    Ok(UsageTotals {
        assistant_messages,
        prompt_tokens,
        completion_tokens,
        estimated_messages,
    })
}

/// A message on its way: the stored ids and the reply as it is written.
pub struct Sending {
    pub message_id: i64,
    pub reply_id: i64,
    pub events: mpsc::Receiver<StreamEvent>,
}

/// Store the person's message and start the reply.
pub async fn send(
    state: &AppState,
    owner: i64,
    id: i64,
    content: &str,
    ctx: &AuditContext,
) -> Result<Sending, AppError> {
    let content = content.trim();
    if content.is_empty() {
        return Err(AppError::field("content", "Write a message first."));
    }
    if content.chars().count() > MESSAGE_MAX {
        return Err(AppError::field(
            "content",
            format!("A message can be at most {MESSAGE_MAX} characters."),
        ));
    }
    if content.contains('\0') {
        return Err(AppError::field(
            "content",
            "A message cannot contain NUL characters.",
        ));
    }
    live(state, owner, id, ctx).await?;
    super::quotas::check_tokens(state, owner, ctx).await?;
    if state.replies.busy(id) {
        return Err(AppError::Conflict(
            "The assistant is still answering in this conversation. Wait for it, or press Stop."
                .into(),
        ));
    }
    let history: Vec<(Role, String)> = db::messages(&state.db, id)
        .await
        .map_err(|e| internal(ctx, e))?
        .into_iter()
        .filter(|m| !m.content.is_empty() && m.status != "failed")
        .map(|m| (Role::parse(&m.role), m.content))
        .collect();
    let scope_rows = db::scope(&state.db, id)
        .await
        .map_err(|e| internal(ctx, e))?;
    // Limited to documents that are all in the trash now: search nothing.
    let scoped_but_empty =
        !scope_rows.is_empty() && scope_rows.iter().all(|s| s.deleted_at.is_some());
    let scope_size = scope_rows.len();
    let scope: Vec<i64> = scope_rows
        .into_iter()
        .filter(|s| s.deleted_at.is_none())
        .map(|s| s.id)
        .collect();
    let assistant = state.assistant.clone();
    let mut tx = state.db.begin().await.map_err(|e| internal(ctx, e))?;
    let message_id = db::insert_message(&mut tx, id, "user", content, "complete", None)
        .await
        .map_err(|e| internal(ctx, e))?;
    db::title_if_default(&mut tx, id, DEFAULT_TITLE, &title_from(content))
        .await
        .map_err(|e| internal(ctx, e))?;
    let reply_id = db::insert_message(
        &mut tx,
        id,
        "assistant",
        "",
        "pending",
        Some(&assistant.name()),
    )
    .await
    .map_err(|e| internal(ctx, e))?;
    tx.commit().await.map_err(|e| internal(ctx, e))?;

    let cancel = CancellationToken::new();
    state.replies.lock().insert(
        reply_id,
        Active {
            owner,
            conversation: id,
            cancel: cancel.clone(),
        },
    );
    let registration = Registration {
        replies: state.replies.clone(),
        reply: reply_id,
    };
    let (events_tx, events) = mpsc::channel(64);
    let _ = events_tx
        .send(StreamEvent::Started {
            message_id,
            reply_id,
        })
        .await;
    let job = Job {
        state: state.clone(),
        owner,
        reply_id,
        question: content.to_string(),
        history,
        scope,
        scope_size,
        scoped_but_empty,
        assistant,
        events: events_tx,
        cancel,
        request_id: ctx.request_id.clone(),
    };
    tokio::spawn(async move {
        let _registration = registration;
        job.run().await;
    });
    Ok(Sending {
        message_id,
        reply_id,
        events,
    })
}

/// Wait for the end of a reply; its last event (Done or Error).
pub async fn wait(sending: Sending) -> Option<StreamEvent> {
    let mut events = sending.events;
    let mut last = None;
    while let Some(e) = events.recv().await {
        if matches!(e, StreamEvent::Done { .. } | StreamEvent::Error { .. }) {
            last = Some(e);
        }
    }
    last
}

/// Stop a reply being written. Idempotent: a finished reply stays as it is.
pub async fn stop(
    state: &AppState,
    owner: i64,
    conversation: i64,
    reply: i64,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    live(state, owner, conversation, ctx).await?;
    let row = db::message(&state.db, conversation, reply)
        .await
        .map_err(|e| internal(ctx, e))?
        .ok_or(AppError::NotFound)?;
    if state.replies.cancel(owner, reply) || row.status != "pending" {
        return Ok(());
    }
    // Pending but written by no task here: another instance, or one that stopped
    // (a restart). Mark it stopped with what it has.
    db::finish_message(
        &state.db,
        reply,
        &Finished {
            content: &row.content,
            status: "stopped",
            error: None,
            citations: &row.citations,
            prompt_tokens: row.prompt_tokens,
            completion_tokens: row.completion_tokens,
            tokens_estimated: true,
        },
    )
    .await
    .map_err(|e| internal(ctx, e))?;
    Ok(())
}

/// The numbers `[n]` an answer cites, in order of first use, within `1..=max`.
pub fn cited_numbers(text: &str, max: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'[' {
            let digits: String = text[i + 1..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            let after = i + 1 + digits.len();
            if !digits.is_empty() && bytes.get(after) == Some(&b']') {
                if let Ok(n) = digits.parse::<usize>() {
                    if (1..=max).contains(&n) && !out.contains(&n) {
                        out.push(n);
                    }
                }
            }
        }
        i += 1;
    }
    out
}

/// The citations an answer keeps: the passages it cites by number or, when it
/// cites none, every passage it was given (the evidence it had).
fn citations_for(text: &str, passages: &[Passage], complete: bool) -> Vec<Citation> {
    let numbers = cited_numbers(text, passages.len());
    let keep: Vec<usize> = if numbers.is_empty() && complete {
        (1..=passages.len()).collect()
    } else {
        let mut n = numbers;
        n.sort_unstable();
        n
    };
    keep.into_iter()
        .map(|n| {
            let p = &passages[n - 1];
            Citation {
                n: n as u32,
                document_id: p.document_id,
                version: p.version,
                title: p.title.clone(),
                passage: p.text.clone(),
            }
        })
        .collect()
}

struct Job {
    state: AppState,
    owner: i64,
    reply_id: i64,
    question: String,
    history: Vec<(Role, String)>,
    scope: Vec<i64>,
    scope_size: usize,
    scoped_but_empty: bool,
    assistant: Arc<dyn Assistant>,
    events: mpsc::Sender<StreamEvent>,
    cancel: CancellationToken,
    request_id: Option<String>,
}

impl Job {
    async fn run(self) {
        let passages = if self.scoped_but_empty {
            Ok(Vec::new())
        } else {
            assistant::passages(&self.state.db, self.owner, &self.question, &self.scope).await
        };
        let (text, result, passages) = match passages {
            Ok(passages) => {
                let prompt = Prompt {
                    question: self.question.clone(),
                    history: self.history.clone(),
                    passages,
                    scope_size: self.scope_size,
                };
                let (text, result) = self.write(&prompt).await;
                (text, result, prompt.passages)
            }
            Err(e) => {
                tracing::error!(request_id = ?self.request_id, error = ?e, "could not search documents for a reply");
                (
                    String::new(),
                    Err(AssistantError::Unreachable("search failed".into())),
                    Vec::new(),
                )
            }
        };
        let (status, error, usage) = match &result {
            Ok(usage) => (MessageStatus::Complete, None, *usage),
            Err(AssistantError::Stopped) => (
                MessageStatus::Stopped,
                None,
                assistant::Usage {
                    prompt_tokens: estimate_tokens(&self.question),
                    completion_tokens: estimate_tokens(&text),
                    estimated: true,
                },
            ),
            Err(e) => {
                match e {
                    AssistantError::Unreachable(d) | AssistantError::Protocol(d) => {
                        tracing::warn!(request_id = ?self.request_id, detail = %d, "the assistant failed")
                    }
                    AssistantError::Upstream { status, detail } => {
                        tracing::warn!(request_id = ?self.request_id, status, detail = ?detail, "the language model server refused the request")
                    }
                    other => {
                        tracing::warn!(request_id = ?self.request_id, error = %other, "the assistant failed")
                    }
                }
                let message = if matches!(e, AssistantError::Unreachable(d) if d == "search failed")
                {
                    "Motto could not search your documents for this question. Try again."
                        .to_string()
                } else {
                    e.to_string()
                };
                (
                    MessageStatus::Failed,
                    Some(message),
                    assistant::Usage {
                        prompt_tokens: 0,
                        completion_tokens: estimate_tokens(&text),
                        estimated: true,
                    },
                )
            }
        };
        let citations = citations_for(&text, &passages, status == MessageStatus::Complete);
        let citations_json = serde_json::to_string(&citations).unwrap_or_else(|_| "[]".into());
        let stored = db::finish_message(
            &self.state.db,
            self.reply_id,
            &Finished {
                content: &text,
                status: status.as_str(),
                error: error.as_deref(),
                citations: &citations_json,
                prompt_tokens: usage.prompt_tokens,
                completion_tokens: usage.completion_tokens,
                tokens_estimated: usage.estimated,
            },
        )
        .await;
        if let Err(e) = &stored {
            tracing::error!(request_id = ?self.request_id, error = ?e, "could not store a reply");
        }
        // Free the conversation before telling the reader: a next message sent the
        // moment this one is done must not be refused as busy.
        self.state.replies.lock().remove(&self.reply_id);
        let last = match (error, stored) {
            (_, Err(_)) => StreamEvent::Error {
                message: "The reply could not be stored. Your message is kept; try again.".into(),
            },
            (Some(message), _) => StreamEvent::Error { message },
            (None, Ok(_)) => StreamEvent::Done {
                status,
                prompt_tokens: usage.prompt_tokens,
                completion_tokens: usage.completion_tokens,
            },
        };
        let _ = self.events.send(last).await;
    }

    /// Run the assistant, passing its text on as it comes. Returns everything it
    /// wrote and how it ended.
    async fn write(&self, prompt: &Prompt) -> (String, Result<assistant::Usage, AssistantError>) {
        let (tx, mut rx) = mpsc::channel::<String>(32);
        let mut text = String::new();
        let result = {
            let answer = self.assistant.answer(prompt, &tx);
            tokio::pin!(answer);
            loop {
                tokio::select! {
                    biased;
                    _ = self.cancel.cancelled() => break Err(AssistantError::Stopped),
                    _ = self.events.closed() => break Err(AssistantError::Stopped),
                    Some(piece) = rx.recv() => {
                        text.push_str(&piece);
                        if self.events.send(StreamEvent::Delta { text: piece }).await.is_err() {
                            break Err(AssistantError::Stopped);
                        }
                    }
                    r = &mut answer => break r,
                }
            }
        };
        // Text the assistant wrote that was not passed on yet.
        while let Ok(piece) = rx.try_recv() {
            text.push_str(&piece);
            let _ = self.events.send(StreamEvent::Delta { text: piece }).await;
        }
        (text, result)
    }
}

/// A conversation as a download.
pub struct Export {
    pub filename: String,
    pub content_type: &'static str,
    pub body: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Markdown,
    Json,
}

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A file name from a title: letters, digits and dashes only.
fn file_stem(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 60 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "conversation".into()
    } else {
        out
    }
}

pub fn to_markdown(c: &ConversationView, base: &str) -> String {
    let mut out = format!("# {}\n\n", c.title);
    out.push_str(&format!(
        "Exported from Motto on {} · started {} · {} messages\n",
        when(chrono::Utc::now()),
        when(c.created_at),
        c.messages.len()
    ));
    if !c.scope.is_empty() {
        let names: Vec<String> = c.scope.iter().map(|s| s.title.clone()).collect();
        out.push_str(&format!("Limited to: {}\n", names.join(", ")));
    }
    for m in &c.messages {
        let who = match m.role {
            Role::User => "You".to_string(),
            Role::Assistant => "Assistant".to_string(),
        };
        out.push_str(&format!("\n## {who} · {}\n\n", when(m.created_at)));
        out.push_str(m.content.trim_end());
        out.push('\n');
        match m.status {
            MessageStatus::Stopped => out.push_str("\n*(stopped)*\n"),
            MessageStatus::Failed => out.push_str(&format!(
                "\n*(failed: {})*\n",
                m.error.clone().unwrap_or_default()
            )),
            MessageStatus::Pending => out.push_str("\n*(still being written)*\n"),
            MessageStatus::Complete => {}
        }
        if !m.citations.is_empty() {
            out.push_str("\nSources:\n");
            for cv in &m.citations {
                let c = &cv.citation;
                match cv.href() {
                    Some(href) => out.push_str(&format!(
                        "{}. [{}]({base}{href}) (version {})\n",
                        c.n, c.title, c.version
                    )),
                    None => out.push_str(&format!("{}. {} (removed)\n", c.n, c.title)),
                }
            }
        }
    }
    out
}

pub async fn export(
    state: &AppState,
    owner: i64,
    id: i64,
    format: ExportFormat,
    ctx: &AuditContext,
) -> Result<Export, AppError> {
    let c = get(state, owner, id, ctx).await?;
    let stem = file_stem(&c.title);
    let export = match format {
        ExportFormat::Markdown => Export {
            filename: format!("{stem}.md"),
            content_type: "text/markdown; charset=utf-8",
            body: to_markdown(&c, state.settings.public_origin().trim_end_matches('/')),
        },
        ExportFormat::Json => {
            let messages: Vec<serde_json::Value> = c
                .messages
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "id": m.id,
                        "role": m.role,
                        "content": m.content,
                        "status": m.status,
                        "error": m.error,
                        "citations": m.citations,
                        "prompt_tokens": m.prompt_tokens,
                        "completion_tokens": m.completion_tokens,
                        "tokens_estimated": m.tokens_estimated,
                        "created_at": m.created_at,
                    })
                })
                .collect();
            let doc = serde_json::json!({
                "format": "motto.conversation.v1",
                "exported_at": chrono::Utc::now(),
                "id": c.id,
                "title": c.title,
                "created_at": c.created_at,
                "updated_at": c.updated_at,
                "scope": c.scope,
                "messages": messages,
            });
            Export {
                filename: format!("{stem}.json"),
                content_type: "application/json",
                body: serde_json::to_string_pretty(&doc).map_err(|e| internal(ctx, e))?,
            }
        }
    };
    let format_name = match format {
        ExportFormat::Markdown => "markdown",
        ExportFormat::Json => "json",
    };
    audit::record_now(
        &state.db,
        ctx,
        event("conversation.export", id).details(serde_json::json!({ "format": format_name })),
    )
    .await
    .map_err(|e| internal(ctx, e))?;
    Ok(export)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cited_numbers_are_read_in_order_and_bounded() {
        assert_eq!(cited_numbers("a [2] b [1] c [2] [9] [x] [", 3), vec![2, 1]);
        assert_eq!(cited_numbers("none", 3), Vec::<usize>::new());
    }

    #[test]
    fn titles_come_from_the_first_line() {
        assert_eq!(title_from("\n  Hello there\nsecond"), "Hello there");
        let long = "word ".repeat(30);
        let t = title_from(&long);
        assert!(t.ends_with('…') && t.chars().count() <= 61, "{t}");
    }

    #[test]
    fn file_names_are_tame() {
        assert_eq!(file_stem("Trip: Paris/Rome 2026!"), "trip-paris-rome-2026");
        assert_eq!(file_stem("…"), "conversation");
    }
}
