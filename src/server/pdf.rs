//! Text from uploaded PDFs, extracted in a child process with hard limits.
//!
//! pdf-extract has no limits of its own: a Form XObject that draws itself
//! recurses until the stack overflows (an abort no thread can catch), and a Flate
//! stream can inflate to gigabytes. So the server never parses a PDF itself: it
//! runs `motto extract-pdf` (this same binary), hands it the file on standard
//! input and reads the text from standard output. The child limits its own
//! address space, CPU time and output before it reads a byte; the server adds a
//! wall-clock limit and kills it when that passes. Whatever goes wrong in there,
//! the server answers "This PDF could not be read" and keeps serving.

use std::{
    io::{Read, Write},
    path::PathBuf,
    process::{ExitCode, Stdio},
    time::Duration,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Memory the child may map (pdf-extract keeps the whole document and its
/// decoded streams in memory).
const ADDRESS_SPACE: u64 = 1024 * 1024 * 1024;
/// CPU seconds the child may use.
const CPU_SECONDS: u64 = 20;
/// How long the server waits for the child, in all.
const WALL_CLOCK: Duration = Duration::from_secs(30);
/// Exit code of the child when the text is longer than a document may be.
const EXIT_TOO_LONG: u8 = 3;

/// Why no text came out.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PdfError {
    /// Damaged, hostile, too big to unpack within the limits, or took too long.
    #[error("This PDF could not be read.")]
    Unreadable,
    /// Read, but with no text on its pages (scans).
    #[error("This PDF has no text to extract (scanned pages are not supported).")]
    NoText,
    /// More text than a document can hold.
    #[error("This PDF holds more text than a document can.")]
    TooLong,
}

/// Extract the text of `pdf` with `extractor` (the `motto` binary), within the
/// limits above. `max_text` is the most text (bytes) a document may hold.
pub async fn extract(
    extractor: &PathBuf,
    pdf: Vec<u8>,
    max_text: usize,
) -> Result<String, PdfError> {
    let mut child = tokio::process::Command::new(extractor)
        .arg("extract-pdf")
        .arg("--max-bytes")
        .arg(max_text.to_string())
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            tracing::error!(error = %e, extractor = %extractor.display(), "cannot start the PDF extractor");
            PdfError::Unreadable
        })?;
    let mut stdin = child.stdin.take().ok_or(PdfError::Unreadable)?;
    let mut stdout = child.stdout.take().ok_or(PdfError::Unreadable)?;
    let work = async move {
        // Feed and read at once: a child that writes before it has read
        // everything must not deadlock against us.
        let feed = async move {
            let _ = stdin.write_all(&pdf).await;
            drop(stdin);
        };
        let read = async {
            let mut text = Vec::new();
            // One byte over the limit tells "too long" without reading more.
            let _ = (&mut stdout)
                .take(max_text as u64 + 1)
                .read_to_end(&mut text)
                .await;
            text
        };
        let ((), text) = tokio::join!(feed, read);
        if text.len() > max_text {
            let _ = child.kill().await;
            return Err(PdfError::TooLong);
        }
        let status = child.wait().await.map_err(|_| PdfError::Unreadable)?;
        Ok((status, text))
    };
    let (status, text) = tokio::time::timeout(WALL_CLOCK, work).await.map_err(|_| {
        tracing::warn!("a PDF took too long to read: its extractor was stopped");
        PdfError::Unreadable
    })??;
    if status.code() == Some(EXIT_TOO_LONG.into()) {
        return Err(PdfError::TooLong);
    }
    if !status.success() {
        tracing::warn!(status = %status, "the PDF extractor failed");
        return Err(PdfError::Unreadable);
    }
    let text = String::from_utf8(text).map_err(|_| PdfError::Unreadable)?;
    if text.trim().is_empty() {
        return Err(PdfError::NoText);
    }
    Ok(text)
}

/// `motto extract-pdf`: the child's side. A PDF on standard input, its text on
/// standard output; limits first, then parsing.
pub fn child_main(max_bytes: usize) -> ExitCode {
    limit_self();
    let mut pdf = Vec::new();
    if std::io::stdin().read_to_end(&mut pdf).is_err() {
        return ExitCode::FAILURE;
    }
    let text = match pdf_extract::extract_text_from_mem(&pdf) {
        Ok(t) => t,
        Err(_) => return ExitCode::FAILURE,
    };
    if text.len() > max_bytes {
        return ExitCode::from(EXIT_TOO_LONG);
    }
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Address space and CPU time for this process (Linux and other Unixes).
fn limit_self() {
    #[cfg(unix)]
    {
        let set = |resource, value: u64| {
            let limit = libc::rlimit {
                rlim_cur: value as libc::rlim_t,
                rlim_max: value as libc::rlim_t,
            };
            // SAFETY: setrlimit reads the struct we pass and changes only this
            // process's limits.
            unsafe { libc::setrlimit(resource, &limit) }
        };
        set(libc::RLIMIT_AS, ADDRESS_SPACE);
        set(libc::RLIMIT_CPU, CPU_SECONDS);
        // No core files from a PDF that crashes the parser.
        set(libc::RLIMIT_CORE, 0);
    }
}
