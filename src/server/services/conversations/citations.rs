//! Citations: which passages an answer quotes, and what became of them since.

use crate::server::services::assistant::Passage;
use crate::{domain::conversation::Citation, server::db::conversations::MessageRow};
pub(super) fn citations_of(row: &MessageRow) -> Vec<Citation> {
    serde_json::from_str(&row.citations).unwrap_or_default()
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
pub(super) fn citations_for(text: &str, passages: &[Passage], complete: bool) -> Vec<Citation> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cited_numbers_are_read_in_order_and_bounded() {
        assert_eq!(cited_numbers("a [2] b [1] c [2] [9] [x] [", 3), vec![2, 1]);
        assert_eq!(cited_numbers("none", 3), Vec::<usize>::new());
    }
}
