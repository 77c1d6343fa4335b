use crate::app::{
    auth::use_auth,
    components::form::{field_error, form_error, AccountFields, Field, FormError, SubmitButton},
};
use leptos::prelude::*;
use leptos_meta::Title;

/// Create the first administrator with the one-time code Motto printed at start.
#[component]
pub fn SetupPage() -> impl IntoView {
    let action = use_auth().setup;
    let value = Signal::derive(move || action.value().get());
    view! {
        <Title text="Set up Motto" />
        <div class="mx-auto max-w-sm py-12">
            <h1 class="text-2xl font-semibold tracking-tight">"Set up Motto"</h1>
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-300">
                "Create the first administrator. The setup code is in the output of the server when it started; it works once, for an hour."
            </p>
            <ActionForm action=action>
                <div class="mt-6 space-y-4">
                    <Field
                        label="Setup code"
                        name="setup_code"
                        autocomplete="off"
                        error=field_error(value, "setup_code")
                    />
                    <AccountFields value=value />
                    <FormError error=form_error(value) />
                    <SubmitButton
                        label="Create administrator"
                        pending_label="Creating…"
                        pending=action.pending()
                    />
                </div>
            </ActionForm>
        </div>
    }
}
