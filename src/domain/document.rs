//! Documents as the UI sees them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const TITLE_MAX: usize = 200;
/// Markdown source size limit (bytes).
pub const BODY_MAX: usize = 10 * 1024 * 1024;
pub const PAGE_SIZE: u32 = 20;
/// The page sizes a person can choose on the documents list.
pub const PAGE_SIZES: [u32; 3] = [20, 50, 100];

/// The page size to use for a requested one: one of [`PAGE_SIZES`], the default
/// when none (or another number) is asked for.
pub fn page_size(requested: Option<u32>) -> u32 {
    requested
        .filter(|n| PAGE_SIZES.contains(n))
        .unwrap_or(PAGE_SIZE)
}
/// Marks the start and end of a search match inside a snippet (Unicode private use
/// characters: they cannot come from HTML and the UI turns them into `<mark>`).
pub const MATCH_START: char = '\u{E000}';
pub const MATCH_END: char = '\u{E001}';

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocSort {
    #[default]
    Updated,
    Title,
}

impl DocSort {
    pub fn parse(s: &str) -> DocSort {
        if s == "title" {
            DocSort::Title
        } else {
            DocSort::Updated
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DocSort::Updated => "updated",
            DocSort::Title => "title",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DocumentSummary {
    pub id: i64,
    pub title: String,
    pub excerpt: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DocumentPage {
    pub items: Vec<DocumentSummary>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl DocumentPage {
    pub fn pages(&self) -> u32 {
        ((self.total.max(0) as u32).div_ceil(self.per_page)).max(1)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DocumentView {
    pub id: i64,
    pub title: String,
    /// The Markdown source.
    pub body: String,
    /// Rendered and sanitised HTML.
    pub html: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The space it lives in.
    pub space_id: i64,
    pub space_name: String,
    /// Whether the caller may edit, move and trash it (editor or owner of its space).
    pub can_edit: bool,
    /// Who created it, for a document in a shared space (None in a personal one).
    pub created_by: Option<Author>,
}

/// The person who created a document, or the trace of one whose account is gone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Author {
    Person(String),
    DeletedAccount,
}

impl std::fmt::Display for Author {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Author::Person(name) => f.write_str(name),
            Author::DeletedAccount => f.write_str("a deleted account"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionSummary {
    pub version: i64,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub size: i64,
    /// Bytes added (+) or removed (-) compared with the version before it.
    pub size_change: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SearchHit {
    pub id: i64,
    pub title: String,
    /// Plain text with `MATCH_START` / `MATCH_END` around the matched words.
    pub snippet: String,
    pub updated_at: DateTime<Utc>,
}

/// Split a snippet into (text, is_match) runs.
pub fn snippet_runs(snippet: &str) -> Vec<(String, bool)> {
    let mut runs = Vec::new();
    let mut current = String::new();
    let mut in_match = false;
    for c in snippet.chars() {
        if c == MATCH_START || c == MATCH_END {
            if !current.is_empty() {
                runs.push((std::mem::take(&mut current), in_match));
            }
            in_match = c == MATCH_START;
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        runs.push((current, in_match));
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_split_into_marked_runs() {
        let s = format!("a {MATCH_START}b{MATCH_END} c");
        assert_eq!(
            snippet_runs(&s),
            vec![
                ("a ".into(), false),
                ("b".into(), true),
                (" c".into(), false)
            ]
        );
    }
}
