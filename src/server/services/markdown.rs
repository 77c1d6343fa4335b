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
    ammonia::Builder::default()
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
        .to_string()
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
