//! A single-use code mailed as a link (password reset, email confirmation). The
//! code travels in the link's `#fragment`, which browsers never send to a server;
//! the page reads it once hydrated and takes it out of the address bar and history.

use leptos::prelude::*;

/// The code from `#token=…` in the address (empty until read, or if there is
/// none); the address becomes `path` once it is read.
pub fn code_from_fragment(path: &'static str) -> RwSignal<String> {
    let token = RwSignal::new(String::new());
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            let hash = window().location().hash().unwrap_or_default();
            if let Some(t) = hash.strip_prefix("#token=") {
                token.set(t.to_string());
                if let Ok(history) = window().history() {
                    let _ = history.replace_state_with_url(
                        &wasm_bindgen::JsValue::NULL,
                        "",
                        Some(path),
                    );
                }
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (path, token);
    });
    token
}

/// The labelled input for such a code (`name="token"`), filled from the link,
/// with its error beside it.
#[component]
pub fn CodeField(
    label: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <div class="space-y-1">
            <label for="field-token" class="block text-sm font-medium">{label}</label>
            <input id="field-token" name="token" type="text" required autocomplete="off" spellcheck="false"
                prop:value=move || value.get()
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby="field-token-hint field-token-error"
                class="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm shadow-sm dark:border-slate-700 dark:bg-slate-900" />
            <p id="field-token-hint" class="text-xs text-slate-500 dark:text-slate-400">"Filled in when you open the link from the mail; or paste the code from it."</p>
            <p id="field-token-error" class="text-sm text-red-600 dark:text-red-400">{move || error.get()}</p>
        </div>
    }
}
