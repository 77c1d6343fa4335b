//! The OpenAI-compatible assistant: any server speaking the chat-completions API
//! with streaming (OpenAI, vLLM, llama.cpp's server, Ollama's /v1, ...).
//!
//! The request asks for `stream: true` and usage in the last chunk; the answer is
//! read as server-sent events (`data: {json}` lines, ending with `data: [DONE]`).
//! `LLM_TIMEOUT_SECS` bounds the wait for the response and for every chunk after
//! it, so a stalled server ends in a clear error rather than a hanging page.

use crate::server::services::assistant::{Assistant, AssistantError, Prompt, Usage};
use crate::{
    domain::conversation::{estimate_tokens, Role},
    server::config::LlmSettings,
};
use futures::StreamExt;
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use tokio::{sync::mpsc, time::timeout};

pub struct OpenAiCompatible {
    client: reqwest::Client,
    settings: LlmSettings,
}

impl OpenAiCompatible {
    pub fn new(settings: LlmSettings) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(settings.timeout)
            .user_agent(concat!("motto/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(OpenAiCompatible { client, settings })
    }

    fn endpoint(&self) -> String {
        format!(
            "{}/chat/completions",
            self.settings.base_url.as_str().trim_end_matches('/')
        )
    }
}

const SYSTEM: &str = "You are the assistant of Motto, a private workspace. Answer the user's \
question from the numbered passages of their own documents given below. After each statement \
that relies on a passage, cite it by its number in square brackets, like [1]. If the passages do \
not answer the question, say so plainly instead of guessing. Be concise.";

/// How many earlier turns go into the prompt, and how much of each.
const HISTORY_TURNS: usize = 10;
const HISTORY_CHARS: usize = 2_000;

/// The chat messages for a prompt: instructions with the passages, recent history,
/// then the question.
pub fn chat_messages(prompt: &Prompt) -> Vec<Value> {
    let mut system = SYSTEM.to_string();
    if prompt.passages.is_empty() {
        system.push_str("\n\nNo passage of the user's documents matched this question.");
    } else {
        system.push_str("\n\nPassages:");
        for (i, p) in prompt.passages.iter().enumerate() {
            system.push_str(&format!("\n\n[{}] {}\n{}", i + 1, p.title, p.text));
        }
    }
    let mut messages = vec![json!({ "role": "system", "content": system })];
    let skip = prompt.history.len().saturating_sub(HISTORY_TURNS);
    for (role, text) in prompt.history.iter().skip(skip) {
        let text: String = text.chars().take(HISTORY_CHARS).collect();
        let role = match role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        messages.push(json!({ "role": role, "content": text }));
    }
    messages.push(json!({ "role": "user", "content": prompt.question }));
    messages
}

/// What one server-sent event line carries.
#[derive(Debug, PartialEq)]
pub enum Event {
    Text(String),
    Usage(i64, i64),
    Done,
    Failed(String),
    Nothing,
}

/// Read one line of the event stream.
pub fn parse_line(line: &str) -> Result<Vec<Event>, AssistantError> {
    let line = line.trim_end_matches('\r');
    let Some(data) = line.strip_prefix("data:") else {
        // Comments (`: keep-alive`), `event:`/`id:` fields and blank separators.
        return Ok(vec![Event::Nothing]);
    };
    let data = data.trim();
    if data == "[DONE]" {
        return Ok(vec![Event::Done]);
    }
    if data.is_empty() {
        return Ok(vec![Event::Nothing]);
    }
    let v: Value = serde_json::from_str(data)
        .map_err(|e| AssistantError::Protocol(format!("not JSON: {e}")))?;
    let mut events = Vec::new();
    if let Some(err) = v.get("error") {
        let message = err
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("unknown error")
            .to_string();
        events.push(Event::Failed(message));
        return Ok(events);
    }
    if let Some(text) = v
        .pointer("/choices/0/delta/content")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    {
        events.push(Event::Text(text.to_string()));
    }
    if let Some(usage) = v.get("usage").filter(|u| u.is_object()) {
        let n = |k: &str| usage.get(k).and_then(Value::as_i64).unwrap_or(0);
        events.push(Event::Usage(n("prompt_tokens"), n("completion_tokens")));
    }
    Ok(events)
}

/// A short, safe description of an error body (the `error.message` of the usual
/// JSON shape, else nothing: raw bodies can be large or carry echoed secrets).
fn error_detail(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(Value::as_str)
                .map(|m| m.chars().take(200).collect::<String>())
        })
        .unwrap_or_default()
}

#[async_trait::async_trait]
impl Assistant for OpenAiCompatible {
    fn name(&self) -> String {
        self.settings.model.clone()
    }

    async fn answer(
        &self,
        prompt: &Prompt,
        out: &mpsc::Sender<String>,
    ) -> Result<Usage, AssistantError> {
        let wait = self.settings.timeout;
        let messages = chat_messages(prompt);
        let body = json!({
            "model": self.settings.model,
            "messages": messages,
            "stream": true,
            "stream_options": { "include_usage": true },
            "max_tokens": self.settings.max_tokens,
        });
        let mut request = self.client.post(self.endpoint()).json(&body);
        if let Some(key) = &self.settings.api_key {
            request = request.bearer_auth(key.expose_secret());
        }
        let response = timeout(wait, request.send())
            .await
            .map_err(|_| AssistantError::Timeout(wait))?
            .map_err(|e| {
                if e.is_timeout() {
                    AssistantError::Timeout(wait)
                } else {
                    // reqwest errors name the URL, never the Authorization header.
                    AssistantError::Unreachable(e.to_string())
                }
            })?;
        let status = response.status();
        if !status.is_success() {
            let text = timeout(wait, response.text())
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default();
            return Err(AssistantError::Upstream {
                status: status.as_u16(),
                detail: error_detail(&text),
            });
        }
        let mut stream = response.bytes_stream();
        let mut buffer: Vec<u8> = Vec::new();
        let mut written = String::new();
        let mut usage: Option<(i64, i64)> = None;
        'read: loop {
            let chunk = timeout(wait, stream.next())
                .await
                .map_err(|_| AssistantError::Timeout(wait))?;
            let bytes = match chunk {
                None => break,
                Some(Ok(b)) => b,
                Some(Err(e)) => return Err(AssistantError::Unreachable(e.to_string())),
            };
            buffer.extend_from_slice(&bytes);
            while let Some(pos) = buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buffer.drain(..=pos).collect();
                let line = String::from_utf8(line)
                    .map_err(|_| AssistantError::Protocol("not UTF-8".into()))?;
                for event in parse_line(line.trim_end_matches('\n'))? {
                    match event {
                        Event::Text(t) => {
                            written.push_str(&t);
                            out.send(t).await.map_err(|_| AssistantError::Stopped)?;
                        }
                        Event::Usage(p, c) => usage = Some((p, c)),
                        Event::Done => break 'read,
                        Event::Failed(m) => {
                            return Err(AssistantError::Upstream {
                                status: 200,
                                detail: m.chars().take(200).collect(),
                            })
                        }
                        Event::Nothing => {}
                    }
                }
            }
        }
        Ok(match usage {
            Some((prompt_tokens, completion_tokens)) => Usage {
                prompt_tokens,
                completion_tokens,
                estimated: false,
            },
            None => Usage {
                prompt_tokens: estimate_tokens(
                    &serde_json::to_string(&messages).unwrap_or_default(),
                ),
                completion_tokens: estimate_tokens(&written),
                estimated: true,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::services::assistant::Passage;

    #[test]
    fn event_lines_give_text_usage_and_the_end() {
        assert_eq!(
            parse_line(r#"data: {"choices":[{"delta":{"content":"Hi"}}]}"#).unwrap(),
            vec![Event::Text("Hi".into())]
        );
        assert_eq!(
            parse_line(r#"data: {"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3}}"#)
                .unwrap(),
            vec![Event::Usage(9, 3)]
        );
        assert_eq!(parse_line("data: [DONE]").unwrap(), vec![Event::Done]);
        assert_eq!(parse_line(": keep-alive").unwrap(), vec![Event::Nothing]);
        assert_eq!(
            parse_line(r#"data: {"error":{"message":"overloaded"}}"#).unwrap(),
            vec![Event::Failed("overloaded".into())]
        );
        assert!(parse_line("data: {oops").is_err());
    }

    #[test]
    fn the_prompt_carries_numbered_passages_then_the_question() {
        let prompt = Prompt {
            question: "When?".into(),
            history: vec![(Role::User, "Hello".into()), (Role::Assistant, "Hi".into())],
            passages: vec![Passage {
                document_id: 3,
                version: 1,
                title: "Diary".into(),
                text: "We met on Tuesday.".into(),
            }],
            scope_size: 0,
        };
        let m = chat_messages(&prompt);
        assert_eq!(m.len(), 4);
        let system = m[0]["content"].as_str().unwrap();
        assert!(system.contains("[1] Diary\nWe met on Tuesday."));
        assert_eq!(m[1]["role"], "user");
        assert_eq!(m[2]["role"], "assistant");
        assert_eq!(m[3]["content"], "When?");
    }

    #[test]
    fn error_bodies_give_only_their_message() {
        assert_eq!(
            error_detail(r#"{"error":{"message":"model not found"}}"#),
            "model not found"
        );
        assert_eq!(error_detail("<html>502</html>"), "");
    }
}
