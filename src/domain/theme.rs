//! The colour theme a person picked: follow the system, or force light or dark.

use serde::{Deserialize, Serialize};

/// Name of the (non-secret, script-readable) cookie that remembers the choice.
pub const THEME_COOKIE: &str = "motto_theme";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub fn parse(value: &str) -> Theme {
        match value.trim() {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::System,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "System",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }

    /// The cycle a toggle button walks: system → light → dark → system.
    pub fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }

    /// Class for `<html>`: the CSS follows `prefers-color-scheme` unless told otherwise.
    pub fn html_class(self) -> &'static str {
        match self {
            Theme::System => "",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// The theme stored in a `Cookie:` header, if any.
    pub fn from_cookie_header(header: &str) -> Theme {
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == THEME_COOKIE)
            .map(|(_, value)| Theme::parse(value))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggle_cycles_through_all_three() {
        assert_eq!(Theme::System.next(), Theme::Light);
        assert_eq!(Theme::Light.next(), Theme::Dark);
        assert_eq!(Theme::Dark.next(), Theme::System);
    }

    #[test]
    fn theme_is_read_from_the_cookie_header() {
        assert_eq!(
            Theme::from_cookie_header("a=b; motto_theme=dark"),
            Theme::Dark
        );
        assert_eq!(Theme::from_cookie_header("motto_theme=light"), Theme::Light);
        assert_eq!(
            Theme::from_cookie_header("x_motto_theme=dark"),
            Theme::System
        );
        assert_eq!(
            Theme::from_cookie_header("motto_theme=<script>"),
            Theme::System
        );
        assert_eq!(Theme::from_cookie_header(""), Theme::System);
    }
}
