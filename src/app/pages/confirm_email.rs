//! "Confirm your email address": the page a confirmation link opens.

use crate::app::components::style::LINK;
use crate::{
    api::account::ConfirmEmail,
    app::components::form::{field_error, form_error, FormError, SubmitButton},
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let action = ServerAction::<ConfirmEmail>::new();
    let value = Signal::derive(move || action.value().get());
    // The code arrives in the link's fragment, which never reaches a server.
    let token = RwSignal::new(String::new());
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            let hash = window().location().hash().unwrap_or_default();
            if let Some(t) = hash.strip_prefix("#token=") {
                token.set(t.to_string());
                // Out of the address bar and history once read.
                if let Ok(history) = window().history() {
                    let _ = history.replace_state_with_url(
                        &wasm_bindgen::JsValue::NULL,
                        "",
                        Some("/confirm-email"),
                    );
                }
            }
        }
    });
    let token_error = field_error(value, "token");
    view! {
        <Title text="Confirm your email address" />
        <div class="mx-auto max-w-sm py-12">
            <h1 class="text-2xl font-semibold tracking-tight">"Confirm your email address"</h1>
            <Show
                when=move || matches!(value.get(), Some(Ok(())))
                fallback=move || view! {
                    <ActionForm action=action>
                        <div class="mt-6 space-y-4">
                            <div class="space-y-1">
                                <label for="field-token" class="block text-sm font-medium">"Confirmation code"</label>
                                <input id="field-token" name="token" type="text" required autocomplete="off" spellcheck="false"
                                    prop:value=move || token.get()
                                    aria-invalid=move || token_error.get().is_some().then_some("true")
                                    aria-describedby="field-token-hint field-token-error"
                                    class="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm shadow-sm dark:border-slate-700 dark:bg-slate-900" />
                                <p id="field-token-hint" class="text-xs text-slate-500 dark:text-slate-400">"Filled in when you open the link from the mail; or paste the code from it."</p>
                                <p id="field-token-error" class="text-sm text-red-600 dark:text-red-400">{move || token_error.get()}</p>
                            </div>
                            <FormError error=form_error(value) />
                            <SubmitButton label="Confirm this address" pending_label="Confirming…" pending=action.pending() />
                        </div>
                    </ActionForm>
                }
            >
                <p role="status" class="mt-6 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm dark:border-emerald-900 dark:bg-emerald-950">
                    "Your email address is confirmed: you can log in with it, and password reset mail reaches it. "
                    <a href="/" class=LINK>"Continue"</a>
                </p>
            </Show>
        </div>
    }
}
