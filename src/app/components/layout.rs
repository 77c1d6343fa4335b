use super::theme_toggle::ThemeToggle;
use leptos::prelude::*;

/// Header with the product name and navigation, the page, and a footer.
/// Navigation entries appear here as features land.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <a
            href="#main"
            class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:text-slate-900"
        >
            "Skip to content"
        </a>
        <header class="border-b border-slate-200 dark:border-slate-800">
            <div class="mx-auto flex max-w-6xl items-center justify-between gap-4 px-4 py-3">
                <a href="/" class="flex items-center gap-2 text-lg font-semibold tracking-tight">
                    <span aria-hidden="true" class="inline-block h-6 w-6 rounded-md bg-indigo-600"></span>
                    "Motto"
                </a>
                <nav aria-label="Main" class="flex items-center gap-4 text-sm">
                    <ThemeToggle />
                </nav>
            </div>
        </header>
        <main id="main" class="mx-auto max-w-6xl px-4">
            {children()}
        </main>
        <footer class="mx-auto max-w-6xl px-4 py-8 text-xs text-slate-500 dark:text-slate-400">
            "Motto · self-hosted"
        </footer>
    }
}
