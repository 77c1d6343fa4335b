//! Documents: how long the trash keeps them, how large an upload may be, and the
//! program that extracts text from PDFs.

use super::reader::Reader;
use std::path::PathBuf;

pub(super) fn read(r: &mut Reader) -> (u32, usize, PathBuf) {
    let trash_days: u32 = r.parse("DOCUMENT_TRASH_DAYS", 30, "a whole number of days, e.g. 30");
    if trash_days == 0 {
        r.error("DOCUMENT_TRASH_DAYS", "must be at least 1");
    }

    let upload_max_bytes: usize = r.parse(
        "UPLOAD_MAX_BYTES",
        10 * 1024 * 1024,
        "a whole number of bytes, e.g. 10485760",
    );

    let pdf_extractor = r
        .raw("PDF_EXTRACTOR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_exe().ok())
        .unwrap_or_else(|| PathBuf::from("motto"));
    (trash_days, upload_max_bytes, pdf_extractor)
}
