//! Stored-XSS payloads (tags, handlers, URL schemes, SVG/MathML, broken markup), shared
//! with the Chromium tests: `tests/fixtures/xss-payloads.txt`, one per line.

pub fn payloads() -> Vec<&'static str> {
    include_str!("../fixtures/xss-payloads.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("# "))
        .collect()
}
