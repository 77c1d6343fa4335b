//! Page links under a list: where you are, how many there are, Previous and Next.
//! Plain links, so they work before (and without) the WASM bundle.

use super::style::SECONDARY;
use leptos::prelude::*;

/// `href(n)` gives the address of page `n` (with the list's other parameters);
/// `noun` is what the list holds, in the plural ("documents").
#[component]
pub fn Pager(
    current: u32,
    pages: u32,
    total: i64,
    noun: &'static str,
    href: impl Fn(u32) -> String + 'static,
) -> impl IntoView {
    let previous = (current > 1).then(|| href(current - 1));
    let next = (current < pages).then(|| href(current + 1));
    view! {
        <nav aria-label="Pages" class="mt-4 flex items-center justify-between text-sm">
            <span>{format!("Page {current} of {pages} · {total} {noun}")}</span>
            <span class="flex gap-2">
                {previous.map(|h| view! { <a class=SECONDARY href=h>"Previous"</a> })}
                {next.map(|h| view! { <a class=SECONDARY href=h>"Next"</a> })}
            </span>
        </nav>
    }
}
