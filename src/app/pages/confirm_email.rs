//! "Confirm your email address": the page a confirmation link opens.

use crate::app::components::mailed_code::{code_from_fragment, CodeField};
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
    let token = code_from_fragment("/confirm-email");
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
                            <CodeField label="Confirmation code" value=token error=token_error />
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
