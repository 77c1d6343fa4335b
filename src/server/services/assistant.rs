//! The assistant behind conversations: one trait, two implementations.
//!
//! - [`Retrieval`] (the default, no network): quotes the best passages of the
//!   person's own documents, each cited, and says plainly when nothing matched.
//! - [`crate::server::adapters::llm::OpenAiCompatible`]: the same passages go into the prompt of any
//!   server speaking the chat-completions API, and the answer streams back.
//!
//! Finding the passages is shared ([`passages`]): both assistants answer from the
//! same evidence, so citations mean the same thing whichever one is configured.

use crate::{
    domain::conversation::{estimate_tokens, Role},
    server::db::{conversations as db, documents, Db, DbError},
};
use std::time::Duration;
use tokio::sync::mpsc;

/// A piece of one of the person's documents that may answer the question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Passage {
    pub document_id: i64,
    pub version: i64,
    pub title: String,
    pub text: String,
}

/// Everything an assistant may use to answer.
#[derive(Clone, Debug)]
pub struct Prompt {
    pub question: String,
    /// Earlier turns of the conversation, oldest first.
    pub history: Vec<(Role, String)>,
    /// Numbered from 1 in this order; answers cite them as `[n]`.
    pub passages: Vec<Passage>,
    /// How many documents the conversation is limited to (0: all).
    pub scope_size: usize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    /// Our estimate ([`estimate_tokens`]) rather than the provider's figures.
    pub estimated: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AssistantError {
    /// The reader went away or pressed Stop.
    #[error("stopped")]
    Stopped,
    #[error("The language model server did not answer within {} s. Try again, or ask an administrator to check it.", .0.as_secs())]
    Timeout(Duration),
    #[error("The language model server could not be reached. Try again later.")]
    Unreachable(String),
    /// `detail` (the provider's own words, which can quote a masked key or the
    /// request) goes to the log only.
    #[error("The language model server refused the request ({status}). Try again later; if it keeps happening, an administrator can find the reason in Motto's log.")]
    Upstream { status: u16, detail: String },
    #[error("The language model server sent an answer Motto could not read.")]
    Protocol(String),
    /// Motto's own search for passages failed before the model was asked (the
    /// cause is logged where it happened).
    #[error("Motto could not search your documents for this question. Try again.")]
    SearchFailed,
}

/// Answers a prompt, sending the text as it is written to `out`. A send that fails
/// means nobody is reading any more: stop and return [`AssistantError::Stopped`].
#[async_trait::async_trait]
pub trait Assistant: Send + Sync {
    /// Shown beside each answer and stored with it: "retrieval" or the model name.
    fn name(&self) -> String;

    async fn answer(
        &self,
        prompt: &Prompt,
        out: &mpsc::Sender<String>,
    ) -> Result<Usage, AssistantError>;
}

/// The default assistant: deterministic, offline, fast.
pub struct Retrieval;

pub const RETRIEVAL: &str = "retrieval";

#[async_trait::async_trait]
impl Assistant for Retrieval {
    fn name(&self) -> String {
        RETRIEVAL.into()
    }

    async fn answer(
        &self,
        prompt: &Prompt,
        out: &mpsc::Sender<String>,
    ) -> Result<Usage, AssistantError> {
        let mut written = String::new();
        for part in retrieval_answer(prompt) {
            written.push_str(&part);
            out.send(part).await.map_err(|_| AssistantError::Stopped)?;
        }
        let read: usize = prompt.question.len()
            + prompt
                .passages
                .iter()
                .map(|p| p.text.len() + p.title.len())
                .sum::<usize>();
        Ok(Usage {
            prompt_tokens: (read as i64 + 3) / 4,
            completion_tokens: estimate_tokens(&written),
            estimated: true,
        })
    }
}

/// The retrieval assistant's answer, in the pieces it is streamed in.
pub fn retrieval_answer(prompt: &Prompt) -> Vec<String> {
    if prompt.passages.is_empty() {
        let question: String = prompt.question.chars().take(120).collect();
        let mut text = format!(
            "I could not find anything about “{}” in your documents.",
            md_escape(question.trim())
        );
        if prompt.scope_size > 0 {
            text.push_str(&format!(
                " This conversation is limited to {} document{}: ask about {} or start a conversation over all your documents.",
                prompt.scope_size,
                if prompt.scope_size == 1 { "" } else { "s" },
                if prompt.scope_size == 1 { "it" } else { "them" },
            ));
        } else {
            text.push_str(" Try other words, or add a document that covers it.");
        }
        return vec![text];
    }
    let mut parts = vec![format!(
        "Here is what your documents say ({} passage{}):\n\n",
        prompt.passages.len(),
        if prompt.passages.len() == 1 { "" } else { "s" }
    )];
    for (i, p) in prompt.passages.iter().enumerate() {
        let quoted = p
            .text
            .lines()
            .map(|l| format!("> {}", md_escape(l)))
            .collect::<Vec<_>>()
            .join("\n");
        parts.push(format!(
            "**{}** [{}]\n\n{}\n\n",
            md_escape(&p.title),
            i + 1,
            quoted
        ));
    }
    parts
}

/// Text shown literally inside Markdown (the renderer sanitises HTML anyway; this
/// keeps a title like `*draft*` from turning into emphasis).
pub fn md_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "after",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "before",
    "being",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "for",
    "from",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "him",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "me",
    "more",
    "most",
    "my",
    "no",
    "nor",
    "not",
    "of",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "out",
    "over",
    "please",
    "she",
    "should",
    "so",
    "some",
    "such",
    "tell",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "to",
    "too",
    "under",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "know",
    "find",
    "show",
    "give",
    "explain",
    "describe",
    "say",
    "says",
    "said",
    "document",
    "documents",
    "note",
    "notes",
    "mine",
];

/// The words of a question worth searching for: lower-cased, letters and digits
/// only, without common words, at most 12, first occurrence order.
pub fn keywords(question: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in question
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let w = word.to_lowercase();
        if (w.chars().count() < 2 && !w.chars().all(|c| c.is_ascii_digit()))
            || STOPWORDS.contains(&w.as_str())
            || out.contains(&w)
        {
            continue;
        }
        out.push(w);
        if out.len() == 12 {
            break;
        }
    }
    out
}

/// A crude stem, enough to match "boiling" with "boils" inside a passage (the
/// database search itself uses the real stemmers of FTS5 and PostgreSQL).
fn root(term: &str) -> String {
    for suffix in ["ing", "ed", "es", "ly", "s"] {
        if let Some(stripped) = term.strip_suffix(suffix) {
            if stripped.chars().count() >= 3 {
                return stripped.to_string();
            }
        }
    }
    term.to_string()
}

/// Markdown source as plain prose: headings, quotes, list marks, emphasis and code
/// fences dropped, whitespace collapsed.
fn plain(markdown: &str) -> String {
    let mut out = String::new();
    for line in markdown.lines() {
        let line = line.trim();
        if line.starts_with("```") || line.starts_with("~~~") {
            continue;
        }
        let line = line.trim_start_matches(['#', '>', '-', '*', '+', ' ']);
        let line: String = line.chars().filter(|c| !matches!(c, '*' | '`')).collect();
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(line.trim());
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

const PASSAGE_MAX: usize = 480;

/// The best passage of `body` for the question's `terms`, and its score (how many
/// distinct terms it holds, then how many hits); None when no term occurs.
pub fn best_passage(body: &str, terms: &[String]) -> Option<(String, usize, usize)> {
    let roots: Vec<String> = terms.iter().map(|t| root(t)).collect();
    let mut best: Option<(String, usize, usize)> = None;
    for block in body.split("\n\n") {
        let text = plain(block);
        if text.is_empty() {
            continue;
        }
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let mut distinct = 0;
        let mut hits = 0;
        for r in &roots {
            let n = words.iter().filter(|w| w.starts_with(r.as_str())).count();
            if n > 0 {
                distinct += 1;
                hits += n;
            }
        }
        if distinct == 0 {
            continue;
        }
        let better = match &best {
            None => true,
            Some((_, d, h)) => (distinct, hits) > (*d, *h),
        };
        if better {
            best = Some((clip(&text, &roots), distinct, hits));
        }
    }
    best
}

/// At most `PASSAGE_MAX` bytes of `text`, around its first hit, cut at spaces.
fn clip(text: &str, roots: &[String]) -> String {
    if text.len() <= PASSAGE_MAX {
        return text.to_string();
    }
    let lower = text.to_lowercase();
    let first = roots
        .iter()
        .filter_map(|r| lower.find(r.as_str()))
        .min()
        .unwrap_or(0)
        .min(text.len());
    // Start a little before the hit, at a word boundary.
    let mut start = first.saturating_sub(PASSAGE_MAX / 4);
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    if start > 0 {
        start = text[start..]
            .find(' ')
            .map(|i| start + i + 1)
            .unwrap_or(start);
    }
    let mut end = (start + PASSAGE_MAX).min(text.len());
    while end < text.len() && !text.is_char_boundary(end) {
        end -= 1;
    }
    if end < text.len() {
        end = text[start..end]
            .rfind(' ')
            .map(|i| start + i)
            .unwrap_or(end);
    }
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(text[start..end].trim());
    if end < text.len() {
        out.push('…');
    }
    out
}

/// How much of each document is searched for a passage (bytes).
const SCAN_MAX: usize = 1024 * 1024;

/// At most `max` bytes of `text`, cut at a character boundary.
fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// How many documents to quote from.
const DOCUMENTS: i64 = 4;

/// The passages that best answer `question` among the owner's live documents
/// (limited to `scope` when it is not empty): one per document, best first.
pub async fn passages(
    db: &Db,
    owner: i64,
    question: &str,
    scope: &[i64],
) -> Result<Vec<Passage>, DbError> {
    let terms = keywords(question);
    let ids = db::search_any(db, owner, &terms, scope, DOCUMENTS * 2).await?;
    let mut docs = Vec::new();
    for (rank, id) in ids.into_iter().enumerate() {
        let Some(doc) = documents::get(db, owner, id).await? else {
            continue;
        };
        if doc.deleted_at.is_none() {
            docs.push((rank, doc));
        }
    }
    // Scanning up to eight documents of up to 10 MB is seconds of CPU: it runs
    // off the async workers, and reads only the start of each long document.
    let scan_terms = terms.clone();
    let mut found: Vec<(Passage, usize, usize, usize)> = tokio::task::spawn_blocking(move || {
        docs.into_iter()
            .filter_map(|(rank, doc)| {
                let source = format!("{}\n\n{}", doc.title, prefix(&doc.body, SCAN_MAX));
                let (text, distinct, hits) = best_passage(&source, &scan_terms)?;
                Some((
                    Passage {
                        document_id: doc.id,
                        version: doc.version,
                        title: doc.title,
                        text,
                    },
                    distinct,
                    hits,
                    rank,
                ))
            })
            .collect()
    })
    .await
    .unwrap_or_default();
    // The database ranks documents; within that, prefer passages that hold more of
    // the question's words.
    found.sort_by(|a, b| (b.1, b.2, a.3).cmp(&(a.1, a.2, b.3)));
    // A passage holding far fewer of the question's words than the best one is
    // noise ("watering" for a question about boiling water): keep those with at
    // least two thirds of the best count.
    let best = found.first().map(|f| f.1).unwrap_or(0);
    let threshold = (2 * best).div_ceil(3);
    Ok(found
        .into_iter()
        .filter(|f| f.1 >= threshold)
        .take(DOCUMENTS as usize)
        .map(|f| f.0)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_drop_common_words_and_punctuation() {
        assert_eq!(
            keywords("What is the boiling point of water?"),
            vec!["boiling", "point", "water"]
        );
        assert_eq!(keywords("  ?? "), Vec::<String>::new());
        assert_eq!(keywords("Rust rust RUST 2024"), vec!["rust", "2024"]);
    }

    #[test]
    fn the_passage_with_most_question_words_wins() {
        let body =
            "# Kitchen\n\nWater boils at 100 degrees at sea level.\n\nBread needs water and flour.";
        let terms = keywords("when does water boil");
        let (p, distinct, _) = best_passage(body, &terms).unwrap();
        assert_eq!(p, "Water boils at 100 degrees at sea level.");
        assert_eq!(distinct, 2);
        assert!(best_passage(body, &keywords("quantum chromodynamics")).is_none());
    }

    #[test]
    fn long_passages_are_clipped_around_the_hit() {
        let filler = "lorem ipsum dolor ".repeat(60);
        let body = format!("{filler} the secret ingredient is cardamom {filler}");
        let (p, _, _) = best_passage(&body, &keywords("secret ingredient")).unwrap();
        assert!(p.len() <= PASSAGE_MAX + 8, "{}", p.len());
        assert!(p.contains("secret ingredient is cardamom"), "{p}");
        assert!(p.starts_with('…') && p.ends_with('…'));
    }

    #[test]
    fn no_passage_means_a_plain_no() {
        let prompt = Prompt {
            question: "where are the *keys*".into(),
            history: vec![],
            passages: vec![],
            scope_size: 2,
        };
        let text = retrieval_answer(&prompt).concat();
        assert!(text.starts_with("I could not find anything about"));
        assert!(text.contains("\\*keys\\*"));
        assert!(text.contains("limited to 2 documents"));
    }

    #[test]
    fn each_passage_is_quoted_and_numbered() {
        let prompt = Prompt {
            question: "q".into(),
            history: vec![],
            passages: vec![
                Passage {
                    document_id: 1,
                    version: 1,
                    title: "A".into(),
                    text: "first".into(),
                },
                Passage {
                    document_id: 2,
                    version: 3,
                    title: "B".into(),
                    text: "second".into(),
                },
            ],
            scope_size: 0,
        };
        let text = retrieval_answer(&prompt).concat();
        assert!(text.contains("**A** [1]\n\n> first"));
        assert!(text.contains("**B** [2]\n\n> second"));
    }
}
