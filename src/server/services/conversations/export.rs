//! A conversation as a file to download: Markdown to read, JSON to process.

use super::crud::{event, get};
use crate::{
    domain::conversation::{CitationState, ConversationView, MessageStatus, Role},
    error::AppError,
    server::{
        db::audit::{self, AuditContext},
        state::AppState,
    },
};

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
        let names: Vec<String> = c
            .scope
            .iter()
            .map(|s| {
                if s.access {
                    s.title.clone()
                } else {
                    "(no access)".to_string()
                }
            })
            .collect();
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
                    None if cv.state == CitationState::NoAccess => {
                        out.push_str(&format!("{}. (no access)\n", c.n))
                    }
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
    let c = get(state, owner, id).await?;
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
                body: serde_json::to_string_pretty(&doc).map_err(crate::error::report)?,
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
    .await?;
    Ok(export)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_tame() {
        assert_eq!(file_stem("Trip: Paris/Rome 2026!"), "trip-paris-rome-2026");
        assert_eq!(file_stem("…"), "conversation");
    }
}
