//! Shared looks, so a kind of element looks the same on every page.

/// A link inside running text: underlined as well as coloured, so it is told apart
/// without relying on colour (WCAG 1.4.1; axe's `link-in-text-block`).
pub const LINK: &str = "font-medium text-indigo-700 underline decoration-1 underline-offset-2 hover:decoration-2 dark:text-indigo-300";

/// The main action of a form or page.
pub const BUTTON: &str = "inline-flex items-center rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";
/// A second action beside the main one, and page links styled as buttons.
pub const SECONDARY: &str = "inline-flex items-center rounded-md border border-slate-300 px-3 py-2 text-sm font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800";
/// An action that destroys something.
pub const DANGER: &str = "inline-flex items-center rounded-md bg-red-600 px-3 py-2 text-sm font-semibold text-white hover:bg-red-700";
/// An action that destroys something, when it is not the main one on the page.
pub const DANGER_OUTLINE: &str = "rounded-md border border-red-300 px-4 py-2 text-sm font-semibold text-red-700 hover:bg-red-50 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950";
/// A text input, select or text area.
pub const INPUT: &str = "block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500 dark:border-slate-700 dark:bg-slate-900";
