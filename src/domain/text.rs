//! Validated text: a value of these types has passed its rule, so code that takes
//! one need not check again. The same `parse` runs in the browser (to answer a
//! form before it is sent) and on the server (which never trusts the browser);
//! an error is the message for the field, in the words the person reads.

use super::{
    conversation, document, space,
    user::{EMAIL_MAX, USERNAME_MAX, USERNAME_MIN},
};
use unicode_normalization::UnicodeNormalization;

/// A rule as a JSON Schema reader sees it (the REST API's OpenAPI document takes
/// it from here, so the published schema and `parse` cannot drift apart).
/// `pattern` accepts what `parse` accepts, before trimming.
pub struct Shape {
    pub min_length: Option<usize>,
    pub max_length: usize,
    pub pattern: &'static str,
    pub description: &'static str,
}

/// One line: no control characters (C0, DEL, C1).
const ONE_LINE: &str = r"^[^\u0000-\u001f\u007f-\u009f]*$";
/// One line with at least one character that is not a space.
const ONE_LINE_NOT_BLANK: &str = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$";
/// No NUL, and at least one character that is not a space.
const NOT_BLANK_NO_NUL: &str = r"^[^\u0000]*[^\s\u0000][^\u0000]*$";

/// What is wrong with a one-line text (`what`: "title", "name"), if anything.
fn one_line_problem(text: &str, max: usize, what: &str) -> Option<String> {
    if text.chars().count() > max {
        Some(format!("Use at most {max} characters."))
    } else if text.chars().any(char::is_control) {
        Some(format!(
            "The {what} cannot contain line breaks or control characters."
        ))
    } else {
        None
    }
}

/// A document's title: trimmed, not empty, at most
/// [`document::TITLE_MAX`] characters, on one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentTitle(String);

impl DocumentTitle {
    pub const SHAPE: Shape = Shape {
        min_length: Some(1),
        max_length: document::TITLE_MAX,
        pattern: ONE_LINE_NOT_BLANK,
        description: "1 to 200 characters, one line.",
    };

    pub fn parse(raw: &str) -> Result<Self, String> {
        let title = raw.trim();
        if title.is_empty() {
            return Err("Give the document a title.".into());
        }
        match one_line_problem(title, document::TITLE_MAX, "title") {
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

/// A group's name: trimmed, not empty, at most [`space::NAME_MAX`] characters,
/// on one line. Two groups cannot share a name in any letter case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupName {
    name: String,
    /// The name folded for comparison (unique among groups).
    pub key: String,
}

impl GroupName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("Give the group a name.".into());
        }
        match one_line_problem(name, space::NAME_MAX, "name") {
            Some(problem) => Err(problem),
            None => Ok(GroupName {
                name: name.to_string(),
                key: name.nfkc().collect::<String>().to_lowercase(),
            }),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }
}

/// A shared space's name: trimmed, not empty, at most [`space::NAME_MAX`]
/// characters, on one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpaceName(String);

impl SpaceName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("Give the space a name.".into());
        }
        match one_line_problem(name, space::NAME_MAX, "name") {
            Some(problem) => Err(problem),
            None => Ok(SpaceName(name.to_string())),
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
    pub const SHAPE: Shape = Shape {
        min_length: None,
        max_length: conversation::TITLE_MAX,
        pattern: ONE_LINE,
        description: "Optional; \"New conversation\" when empty. At most 200 characters, one line.",
    };

    pub fn parse(raw: &str) -> Result<Self, String> {
        let title = raw.trim();
        match one_line_problem(title, conversation::TITLE_MAX, "title") {
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
    pub const SHAPE: Shape = Shape {
        min_length: Some(1),
        max_length: conversation::MESSAGE_MAX,
        pattern: NOT_BLANK_NO_NUL,
        description: "1 to 8,000 characters, not only spaces, no NUL characters.",
    };

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

    /// The published pattern and length accept exactly what `parse` accepts (for
    /// text without surrounding spaces, which `parse` trims away).
    fn agrees(shape: &Shape, parse: fn(&str) -> bool, samples: &[&str]) {
        let pattern = regex::Regex::new(shape.pattern).expect("the pattern compiles");
        for sample in samples {
            let n = sample.chars().count();
            let published = pattern.is_match(sample)
                && n <= shape.max_length
                && shape.min_length.is_none_or(|min| n >= min);
            assert_eq!(published, parse(sample), "{sample:?}");
        }
    }

    #[test]
    fn the_published_schemas_say_what_parse_accepts() {
        let long_title = "t".repeat(document::TITLE_MAX + 1);
        let max_title = "t".repeat(document::TITLE_MAX);
        let titles = [
            "Plan",
            "",
            "a\nb",
            "tab\there",
            "bell\u{7}",
            "c1\u{85}x",
            "é ü ß",
            &long_title,
            &max_title,
        ];
        agrees(
            &DocumentTitle::SHAPE,
            |s| DocumentTitle::parse(s).is_ok(),
            &titles,
        );
        agrees(
            &ConversationTitle::SHAPE,
            |s| ConversationTitle::parse(s).is_ok(),
            &titles,
        );
        let long_message = "m".repeat(conversation::MESSAGE_MAX + 1);
        agrees(
            &MessageContent::SHAPE,
            |s| MessageContent::parse(s).is_ok(),
            &["Hello", "", "two\nlines", "nul\0", "\u{85}x", &long_message],
        );
        for shape in [&DocumentTitle::SHAPE, &ConversationTitle::SHAPE] {
            assert!(shape.description.contains(&shape.max_length.to_string()));
        }
    }

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
