//! Shared looks, so a kind of element looks the same on every page.

/// A link inside running text: underlined as well as coloured, so it is told apart
/// without relying on colour (WCAG 1.4.1; axe's `link-in-text-block`).
pub const LINK: &str = "font-medium text-indigo-700 underline decoration-1 underline-offset-2 hover:decoration-2 dark:text-indigo-300";
