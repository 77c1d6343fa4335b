//! The assistant's replies: sending stores the person's message first (so nothing
//! they wrote can be lost), then a background task writes the reply. It streams
//! to whoever is reading and is stored when complete, stopped or failed, whatever
//! happens to the reader.

use super::{
    citations::citations_for,
    crud::{live, title_from},
};
use crate::server::services::assistant::{self, Assistant, AssistantError, Prompt};
use crate::{
    domain::conversation::{estimate_tokens, MessageStatus, Role, StreamEvent, DEFAULT_TITLE},
    domain::text::MessageContent,
    error::AppError,
    server::{
        db::{
            audit::{self, AuditContext, NewEvent, Outcome},
            conversations::{self as db, Finished},
        },
        state::AppState,
    },
};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

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
    let content = MessageContent::parse(content).map_err(|m| AppError::field("content", m))?;
    let content = content.as_str();
    live(state, owner, id).await?;
    crate::server::services::quotas::check_tokens(state, owner).await?;
    if state.replies.busy(id) {
        return Err(AppError::Conflict(
            "The assistant is still answering in this conversation. Wait for it, or press Stop."
                .into(),
        ));
    }
    let history: Vec<(Role, String)> = db::messages(&state.db, id)
        .await?
        .into_iter()
        .filter(|m| !m.content.is_empty() && m.status != "failed")
        .map(|m| (Role::parse(&m.role), m.content))
        .collect();
    let scope_rows = db::scope(&state.db, owner, id).await?;
    // Limited to documents that are all in the trash or out of reach now: search
    // nothing. (Retrieval filters by the spaces the asker may read in any case.)
    let usable = |s: &db::ScopeRow| s.readable && s.deleted_at.is_none();
    let scoped_but_empty = !scope_rows.is_empty() && !scope_rows.iter().any(usable);
    let scope_size = scope_rows.len();
    let scope: Vec<i64> = scope_rows
        .into_iter()
        .filter(usable)
        .map(|s| s.id)
        .collect();
    let assistant = state.assistant.clone();
    let mut tx = state.db.begin().await?;
    let message_id = db::insert_message(&mut tx, id, "user", content, "complete", None).await?;
    db::title_if_default(&mut tx, id, DEFAULT_TITLE, &title_from(content)).await?;
    let reply_id = db::insert_message(
        &mut tx,
        id,
        "assistant",
        "",
        "pending",
        Some(&assistant.name()),
    )
    .await?;
    if state.settings.audit.access_events {
        let question = if state.settings.audit.question_text {
            serde_json::json!({ "question": content })
        } else {
            use sha2::Digest;
            serde_json::json!({ "question_sha256": hex::encode(sha2::Sha256::digest(content.as_bytes())) })
        };
        let mut details = serde_json::json!({ "message": message_id, "scope": scope_size });
        if let (Some(d), Some(q)) = (details.as_object_mut(), question.as_object()) {
            d.extend(q.clone());
        }
        let event = NewEvent::new("assistant.query", Outcome::Success)
            .target("conversation", id)
            .details(details);
        audit::record(&mut tx, ctx, event).await?;
    }
    tx.commit().await?;

    let cancel = CancellationToken::new();
    let registration = state.replies.register(owner, id, reply_id, cancel.clone());
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
    crate::server::request::spawn(async move {
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
) -> Result<(), AppError> {
    live(state, owner, conversation).await?;
    let row = db::message(&state.db, conversation, reply)
        .await?
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
    .await?;
    Ok(())
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
                (String::new(), Err(AssistantError::SearchFailed), Vec::new())
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
                    AssistantError::SearchFailed => {}
                    other => {
                        tracing::warn!(request_id = ?self.request_id, error = %other, "the assistant failed")
                    }
                }
                let message = e.to_string();
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
        self.state.replies.finish(self.reply_id);
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
