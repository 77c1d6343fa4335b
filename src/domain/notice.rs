//! Errors a form sent without JavaScript is redirected back with. They travel as
//! a code in the URL (`?error=file_too_large`), never as text: the page shows the
//! message it knows for that code and nothing for any other, so a link someone
//! sends cannot put words of its own on Motto's pages.

/// One error a page can show after a plain form post.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormNotice {
    NoFile,
    EmptyFile,
    FileTooLarge,
    UploadInterrupted,
    FileType,
    NotAPdf,
    PdfNotNamedPdf,
    NotUtf8,
    BinaryFile,
    PdfNoText,
    PdfUnreadable,
    PdfTooLong,
    Title,
    MessageEmpty,
    MessageTooLong,
    MessageNul,
    TooManyRequests,
    Unavailable,
    NotFound,
    Failed,
}

const ALL: [FormNotice; 20] = [
    FormNotice::NoFile,
    FormNotice::EmptyFile,
    FormNotice::FileTooLarge,
    FormNotice::UploadInterrupted,
    FormNotice::FileType,
    FormNotice::NotAPdf,
    FormNotice::PdfNotNamedPdf,
    FormNotice::NotUtf8,
    FormNotice::BinaryFile,
    FormNotice::PdfNoText,
    FormNotice::PdfUnreadable,
    FormNotice::PdfTooLong,
    FormNotice::Title,
    FormNotice::MessageEmpty,
    FormNotice::MessageTooLong,
    FormNotice::MessageNul,
    FormNotice::TooManyRequests,
    FormNotice::Unavailable,
    FormNotice::NotFound,
    FormNotice::Failed,
];

impl FormNotice {
    pub fn code(self) -> &'static str {
        match self {
            FormNotice::NoFile => "no_file",
            FormNotice::EmptyFile => "empty_file",
            FormNotice::FileTooLarge => "file_too_large",
            FormNotice::UploadInterrupted => "upload_interrupted",
            FormNotice::FileType => "file_type",
            FormNotice::NotAPdf => "not_a_pdf",
            FormNotice::PdfNotNamedPdf => "pdf_not_named_pdf",
            FormNotice::NotUtf8 => "not_utf8",
            FormNotice::BinaryFile => "binary_file",
            FormNotice::PdfNoText => "pdf_no_text",
            FormNotice::PdfUnreadable => "pdf_unreadable",
            FormNotice::PdfTooLong => "pdf_too_long",
            FormNotice::Title => "title",
            FormNotice::MessageEmpty => "message_empty",
            FormNotice::MessageTooLong => "message_too_long",
            FormNotice::MessageNul => "message_nul",
            FormNotice::TooManyRequests => "too_many_requests",
            FormNotice::Unavailable => "unavailable",
            FormNotice::NotFound => "not_found",
            FormNotice::Failed => "failed",
        }
    }

    /// The notice a code names; `None` for anything else.
    pub fn parse(code: &str) -> Option<FormNotice> {
        ALL.into_iter().find(|n| n.code() == code)
    }

    /// What the page says.
    pub fn message(self) -> &'static str {
        match self {
            FormNotice::NoFile => "Choose a file to upload.",
            FormNotice::EmptyFile => "This file is empty.",
            FormNotice::FileTooLarge => "The file is larger than this server accepts.",
            FormNotice::UploadInterrupted => "The upload was interrupted. Try again.",
            FormNotice::FileType => "Motto takes Markdown (.md), text (.txt) and PDF (.pdf) files.",
            FormNotice::NotAPdf => "This file is named .pdf but is not a PDF.",
            FormNotice::PdfNotNamedPdf => "This file is a PDF: rename it to .pdf to upload it.",
            FormNotice::NotUtf8 => "This file is not UTF-8 text.",
            FormNotice::BinaryFile => "This file is binary, not text.",
            FormNotice::PdfNoText => {
                "This PDF has no text to extract (scanned pages are not supported)."
            }
            FormNotice::PdfUnreadable => "This PDF could not be read.",
            FormNotice::PdfTooLong => "This PDF holds more text than a document can.",
            FormNotice::Title => "Check the title: one line of at most 200 characters, not empty.",
            FormNotice::MessageEmpty => "Write a message first.",
            FormNotice::MessageTooLong => "This message is too long.",
            FormNotice::MessageNul => "A message cannot contain NUL characters.",
            FormNotice::TooManyRequests => "Too many requests: wait a moment and try again.",
            FormNotice::Unavailable => {
                "Motto is busy or its database is out of reach. Try again shortly."
            }
            FormNotice::NotFound => "Not found.",
            FormNotice::Failed => "That did not work. Try again.",
        }
    }

    /// The notice for an error a form got: its message for `field` (or the form)
    /// when that is one of ours, else one by the kind of error.
    pub fn for_app_error(e: &crate::error::AppError, field: &str) -> FormNotice {
        use crate::error::AppError;
        if let Some(message) = e.for_field(field).or_else(|| e.for_form()) {
            if let Some(n) = FormNotice::for_message(&message) {
                return n;
            }
            if message.starts_with("The file is too large") {
                return FormNotice::FileTooLarge;
            }
            if message.starts_with("A message can be at most") {
                return FormNotice::MessageTooLong;
            }
        }
        match e {
            AppError::RateLimited { .. } => FormNotice::TooManyRequests,
            AppError::Unavailable { .. } => FormNotice::Unavailable,
            AppError::NotFound => FormNotice::NotFound,
            _ => FormNotice::Failed,
        }
    }

    /// The notice whose message is exactly `message`, if there is one.
    pub fn for_message(message: &str) -> Option<FormNotice> {
        ALL.into_iter().find(|n| n.message() == message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        for n in ALL {
            assert_eq!(FormNotice::parse(n.code()), Some(n));
            assert_eq!(ALL.iter().filter(|m| m.code() == n.code()).count(), 1);
        }
    }

    #[test]
    fn anything_but_a_code_shows_nothing() {
        assert_eq!(
            FormNotice::parse("Your session expired. Call +1 555 0100."),
            None
        );
        assert_eq!(FormNotice::parse(""), None);
        assert_eq!(FormNotice::parse("FILE_TYPE"), None);
    }
}
