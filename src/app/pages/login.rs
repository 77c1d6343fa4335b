use crate::app::components::style::LINK;
use crate::app::{
    auth::use_auth,
    components::form::{field_error, form_error, Field, FormError, SubmitButton},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = use_auth().login;
    let value = Signal::derive(move || action.value().get());
    let next = move || use_query_map().read().get("next").unwrap_or_default();
    view! {
        <Title text="Log in" />
        <div class="mx-auto max-w-sm py-12">
            <h1 class="text-2xl font-semibold tracking-tight">"Log in"</h1>
            <ActionForm action=action>
                <div class="mt-6 space-y-4">
                    <input type="hidden" name="next" prop:value=next />
                    <Field
                        label="Username or email"
                        name="login"
                        autocomplete="username"
                        error=field_error(value, "login")
                    />
                    <Field
                        label="Password"
                        name="password"
                        input_type="password"
                        autocomplete="current-password"
                        error=field_error(value, "password")
                    />
                    <p class="text-sm">
                        <a href="/forgot-password" class=LINK>"Forgot password?"</a>
                    </p>
                    <FormError error=form_error(value) />
                    <SubmitButton label="Log in" pending_label="Logging in…" pending=action.pending() />
                </div>
            </ActionForm>
            <p class="mt-6 text-sm text-slate-600 dark:text-slate-400">
                "New to Motto? "
                <a href="/register" class=LINK>
                    "Create an account"
                </a>
            </p>
        </div>
    }
}
