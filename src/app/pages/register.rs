use crate::app::components::style::LINK;
use crate::{
    api::auth::registration_open,
    app::{
        auth::use_auth,
        components::form::{form_error, AccountFields, FormError, SubmitButton},
    },
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = use_auth().register;
    let value = Signal::derive(move || action.value().get());
    let open = Resource::new(|| (), |_| registration_open());
    view! {
        <Title text="Create an account" />
        <div class="mx-auto max-w-sm py-12">
            <h1 class="text-2xl font-semibold tracking-tight">"Create an account"</h1>
            <Suspense fallback=|| view! { <p class="mt-6 text-sm">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    if open.await.unwrap_or(true) {
                        view! {
                            <ActionForm action=action>
                                <div class="mt-6 space-y-4">
                                    <AccountFields value=value />
                                    <FormError error=form_error(value) />
                                    <SubmitButton
                                        label="Create account"
                                        pending_label="Creating account…"
                                        pending=action.pending()
                                    />
                                </div>
                            </ActionForm>
                        }
                            .into_any()
                    } else {
                        view! {
                            <p class="mt-6 text-sm text-slate-600 dark:text-slate-300">
                                "Registration is closed on this server. Ask an administrator for an account."
                            </p>
                        }
                            .into_any()
                    }
                })}
            </Suspense>
            <p class="mt-6 text-sm text-slate-600 dark:text-slate-400">
                "Already have an account? "
                <a href="/login" class=LINK>
                    "Log in"
                </a>
            </p>
        </div>
    }
}
