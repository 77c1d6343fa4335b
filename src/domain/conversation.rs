//! Conversations with the assistant, as the UI and the API see them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const TITLE_MAX: usize = 200;
/// The longest message a person can send (characters).
pub const MESSAGE_MAX: usize = 8_000;
pub const PAGE_SIZE: u32 = 30;
pub const DEFAULT_TITLE: &str = "New conversation";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(as = MessageRole))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }

    pub fn parse(s: &str) -> Role {
        if s == "assistant" {
            Role::Assistant
        } else {
            Role::User
        }
    }
}

/// Where a message is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    /// The assistant is still writing it.
    Pending,
    Complete,
    /// The person pressed Stop (or left): what was written so far is kept.
    Stopped,
    /// The assistant could not answer; `error` says why.
    Failed,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Pending => "pending",
            MessageStatus::Complete => "complete",
            MessageStatus::Stopped => "stopped",
            MessageStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> MessageStatus {
        match s {
            "pending" => MessageStatus::Pending,
            "stopped" => MessageStatus::Stopped,
            "failed" => MessageStatus::Failed,
            _ => MessageStatus::Complete,
        }
    }
}

/// A passage an answer quotes or relies on, numbered as it is cited in the text
/// (`[1]`, `[2]`, ...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Citation {
    pub n: u32,
    pub document_id: i64,
    /// The document's version when it was cited.
    pub version: i64,
    pub title: String,
    pub passage: String,
}

/// What became of a cited document since.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum CitationState {
    /// The document is unchanged since the citation.
    Current,
    /// The document changed since: the link goes to the revision that was cited.
    Revised,
    /// The document was deleted (or moved to the trash).
    Removed,
    /// The reader may no longer read the document (they left its space, or it
    /// was moved, or deleted for good): its title and passage are withheld.
    #[serde(rename = "no_access")]
    NoAccess,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CitationView {
    #[serde(flatten)]
    pub citation: Citation,
    pub state: CitationState,
}

impl CitationView {
    /// Where the citation links: the document, or the revision it came from; none
    /// once the document is gone.
    pub fn href(&self) -> Option<String> {
        let c = &self.citation;
        match self.state {
            CitationState::Current => Some(format!("/documents/{}", c.document_id)),
            CitationState::Revised => Some(format!(
                "/documents/{}/revisions/{}",
                c.document_id, c.version
            )),
            CitationState::Removed | CitationState::NoAccess => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MessageView {
    pub id: i64,
    pub role: Role,
    pub content: String,
    /// Rendered and sanitised Markdown (assistant messages).
    pub html: String,
    pub status: MessageStatus,
    pub error: Option<String>,
    pub citations: Vec<CitationView>,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub tokens_estimated: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScopedDocument {
    pub id: i64,
    /// Empty when the reader may no longer read it.
    pub title: String,
    /// False once the document is in the trash, or no longer readable.
    pub available: bool,
    /// False when the reader may no longer read it (title withheld).
    pub access: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConversationView {
    pub id: i64,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Documents the conversation is limited to; empty means all of the owner's.
    pub scope: Vec<ScopedDocument>,
    pub messages: Vec<MessageView>,
    /// Which assistant answers new messages ("retrieval" or the model name).
    pub assistant: String,
    /// Whose conversation it is, when the reader is not its owner: it is shared
    /// with a space they can read, and read only to them.
    pub shared_by: Option<String>,
    /// The spaces it is shared with (shown to its owner only).
    pub shared_with: Vec<SharedSpace>,
}

/// A space a conversation is shared with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SharedSpace {
    pub id: i64,
    pub name: String,
}

/// A conversation shared with a space, as the space's page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedConversation {
    pub id: i64,
    pub title: String,
    /// The owner's username.
    pub by: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConversationSummary {
    pub id: i64,
    pub title: String,
    pub updated_at: DateTime<Utc>,
    pub message_count: i64,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConversationPage {
    pub items: Vec<ConversationSummary>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl ConversationPage {
    pub fn pages(&self) -> u32 {
        ((self.total.max(0) as u32).div_ceil(self.per_page)).max(1)
    }
}

/// Token counts over all of a user's conversations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageTotals {
    pub assistant_messages: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    /// How many of the counted messages carry estimated rather than provider figures.
    pub estimated_messages: i64,
}

/// One line of the reply stream (`application/x-ndjson`), shared by the server that
/// writes it and the page that reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The person's message is stored; the reply has an id.
    Started { message_id: i64, reply_id: i64 },
    /// More text of the reply.
    Delta { text: String },
    /// The reply is stored, complete or stopped.
    Done {
        status: MessageStatus,
        prompt_tokens: i64,
        completion_tokens: i64,
    },
    /// The assistant failed; the person's message is kept.
    Error { message: String },
}

/// A rough token count for text the retrieval assistant reads or writes: one token
/// per four bytes of UTF-8, rounded up (the usual rule of thumb for English with
/// BPE tokenisers).
pub fn estimate_tokens(text: &str) -> i64 {
    (text.len() as i64 + 3) / 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_events_are_tagged_json_lines() {
        let e = StreamEvent::Delta { text: "hi".into() };
        let line = serde_json::to_string(&e).unwrap();
        assert_eq!(line, r#"{"type":"delta","text":"hi"}"#);
        assert_eq!(serde_json::from_str::<StreamEvent>(&line).unwrap(), e);
    }

    #[test]
    fn token_estimate_rounds_up() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("abc"), 1);
        assert_eq!(estimate_tokens("abcde"), 2);
    }

    #[test]
    fn citations_link_to_the_cited_revision_or_nowhere() {
        let c = Citation {
            n: 1,
            document_id: 7,
            version: 2,
            title: "t".into(),
            passage: "p".into(),
        };
        let view = |state| CitationView {
            citation: c.clone(),
            state,
        };
        assert_eq!(
            view(CitationState::Current).href().as_deref(),
            Some("/documents/7")
        );
        assert_eq!(
            view(CitationState::Revised).href().as_deref(),
            Some("/documents/7/revisions/2")
        );
        assert_eq!(view(CitationState::Removed).href(), None);
    }
}
