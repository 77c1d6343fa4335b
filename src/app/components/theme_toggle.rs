use crate::{app::request_theme, domain::theme::Theme};
use leptos::prelude::*;

/// Cycles the colour theme: system → light → dark. The choice is kept in a cookie so
/// the server renders the next page in the same theme (no flash).
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let (theme, set_theme) = signal(request_theme());
    let on_click = move |_| {
        let next = theme.get_untracked().next();
        set_theme.set(next);
        apply_theme(next);
    };
    view! {
        <button
            type="button"
            on:click=on_click
            title="Change the colour theme"
            class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:border-slate-700 dark:hover:bg-slate-800"
        >
            {move || format!("Theme: {}", theme.get().label())}
        </button>
    }
}

#[cfg(feature = "hydrate")]
fn apply_theme(theme: Theme) {
    use wasm_bindgen::JsCast;
    let doc = document();
    if let Some(root) = doc.document_element() {
        let classes = root.class_list();
        let _ = classes.remove_2("light", "dark");
        if !theme.html_class().is_empty() {
            let _ = classes.add_1(theme.html_class());
        }
        let _ = root.set_attribute("data-theme", theme.as_str());
    }
    let secure = if window().location().protocol().as_deref() == Ok("https:") {
        "; Secure"
    } else {
        ""
    };
    if let Ok(html_doc) = doc.dyn_into::<web_sys::HtmlDocument>() {
        let _ = html_doc.set_cookie(&format!(
            "{}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
            crate::domain::theme::THEME_COOKIE,
            theme.as_str()
        ));
    }
}

#[cfg(not(feature = "hydrate"))]
fn apply_theme(_theme: Theme) {}
