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

    #[test]
    fn every_image_has_alternative_text() {
        assert_eq!(render("<img src=\"x\">"), "<img src=\"x\" alt=\"\">");
        let md = render(
            "![A cat on a mat](https://example.com/c.png) and <img title=\"a>b\" src=\"y\">",
        );
        assert!(md.contains("alt=\"A cat on a mat\""), "{md}");
        assert!(md.contains("title=\"a>b\" src=\"y\" alt=\"\">"), "{md}");
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
