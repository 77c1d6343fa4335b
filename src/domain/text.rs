//! Validated text: a value of these types has passed its rule, so code that takes
//! one need not check again. The same `parse` runs in the browser (to answer a
//! form before it is sent) and on the server (which never trusts the browser);
//! an error is the message for the field, in the words the person reads.

use super::{
    conversation, document,
    user::{EMAIL_MAX, USERNAME_MAX, USERNAME_MIN},
};
use unicode_normalization::UnicodeNormalization;

/// What is wrong with a title, for any kind of title.
fn title_problem(title: &str, max: usize) -> Option<String> {
    if title.chars().count() > max {
        Some(format!("Use at most {max} characters."))
    } else if title.chars().any(char::is_control) {
        Some("The title cannot contain line breaks or control characters.".into())
    } else {
        None
    }
}

/// A document's title: trimmed, not empty, at most
/// [`document::TITLE_MAX`] characters, on one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentTitle(String);

impl DocumentTitle {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let title = raw.trim();
        if title.is_empty() {
            return Err("Give the document a title.".into());
        }
        match title_problem(title, document::TITLE_MAX) {
            Some(problem) => Err(problem),
            None => Ok(DocumentTitle(title.to_string())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A conversation's title: like a document's, but it may be empty (the
/// conversation is then named after its first message).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationTitle(String);

impl ConversationTitle {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let title = raw.trim();
        match title_problem(title, conversation::TITLE_MAX) {
            Some(problem) => Err(problem),
            None => Ok(ConversationTitle(title.to_string())),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A message to the assistant: trimmed, not empty, at most
/// [`conversation::MESSAGE_MAX`] characters, without NUL (which PostgreSQL
/// cannot store and no keyboard types).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageContent(String);

impl MessageContent {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let content = raw.trim();
        if content.is_empty() {
            return Err("Write a message first.".into());
        }
        let max = conversation::MESSAGE_MAX;
        if content.chars().count() > max {
            return Err(format!("A message can be at most {max} characters."));
        }
        if content.contains('\0') {
            return Err("A message cannot contain NUL characters.".into());
        }
        Ok(MessageContent(content.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Unicode compatibility normalisation (NFKC), trimmed: full-width and other
/// look-alike forms become their plain characters before any rule is checked.
pub fn nfkc(raw: &str) -> String {
    raw.trim().nfkc().collect()
}

/// A username: NFKC-normalised, then ASCII letters, digits, `.`, `_`, `-` only, so
/// look-alike characters from other scripts cannot impersonate an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username {
    /// As the person wrote it (after normalisation).
    pub display: String,
    /// What makes it unique: lower case.
    pub key: String,
}

impl Username {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() > USERNAME_MAX * 8 {
            return Err(format!("Use at most {USERNAME_MAX} characters."));
        }
        let name = nfkc(raw);
        let len = name.chars().count();
        if len == 0 {
            return Err("Enter a username.".into());
        }
        if len < USERNAME_MIN {
            return Err(format!("Use at least {USERNAME_MIN} characters."));
        }
        if len > USERNAME_MAX {
            return Err(format!("Use at most {USERNAME_MAX} characters."));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err("Use letters a–z, digits, dots, dashes and underscores only.".into());
        }
        if !name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        {
            return Err("Start with a letter or a digit.".into());
        }
        let key = name.to_ascii_lowercase();
        Ok(Username { display: name, key })
    }
}

/// An email address: NFKC-normalised, one `@`, a dotted domain, no spaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    /// As entered (after normalisation).
    pub address: String,
    /// What makes it unique: lower case.
    pub key: String,
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() > EMAIL_MAX * 4 {
            return Err(format!("Use at most {EMAIL_MAX} characters."));
        }
        let email = nfkc(raw);
        if email.is_empty() {
            return Err("Enter your email address.".into());
        }
        if email.chars().count() > EMAIL_MAX {
            return Err(format!("Use at most {EMAIL_MAX} characters."));
        }
        let invalid = || "Enter an email address like name@example.com.".to_string();
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let valid = !local.is_empty()
            && local.chars().count() <= 64
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@')
            && !email
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ','));
        if !valid {
            return Err(invalid());
        }
        let key = email.to_lowercase();
        Ok(Email {
            address: email,
            key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_titles_are_trimmed_and_bounded() {
        assert_eq!(DocumentTitle::parse("  Plans ").unwrap().as_str(), "Plans");
        assert_eq!(
            DocumentTitle::parse("   ").unwrap_err(),
            "Give the document a title."
        );
        assert!(DocumentTitle::parse(&"é".repeat(200)).is_ok());
        assert!(DocumentTitle::parse(&"é".repeat(201))
            .unwrap_err()
            .contains("at most 200"));
        assert!(DocumentTitle::parse("two\nlines")
            .unwrap_err()
            .contains("line breaks"));
    }

    #[test]
    fn conversation_titles_may_be_empty() {
        assert!(ConversationTitle::parse("  ").unwrap().is_empty());
        assert!(ConversationTitle::parse("a\u{7}b").is_err());
    }

    #[test]
    fn messages_need_text_without_nul() {
        assert_eq!(MessageContent::parse(" hi ").unwrap().as_str(), "hi");
        assert_eq!(
            MessageContent::parse("\n").unwrap_err(),
            "Write a message first."
        );
        assert!(MessageContent::parse("a\0b").is_err());
        assert!(MessageContent::parse(&"x".repeat(8_001)).is_err());
    }
}
