//! "Forgot password?", "Reset your password", and the development outbox.

use crate::app::components::mailed_code::{code_from_fragment, CodeField};
use crate::app::components::style::LINK;
use crate::{
    api::password_reset::{dev_outbox, RequestPasswordReset, ResetPassword},
    app::components::{
        form::{field_error, form_error, Checkbox, Field, FormError, SubmitButton, PASSWORD_HINT},
        time::LocalTime,
    },
    domain::account::RESET_MINUTES,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let value = Signal::derive(move || action.value().get());
    view! {
        <Title text="Forgot password" />
        <div class="mx-auto max-w-sm py-12">
            <h1 class="text-2xl font-semibold tracking-tight">"Forgot your password?"</h1>
            <Show
                when=move || matches!(value.get(), Some(Ok(())))
                fallback=move || view! {
                    <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                        {format!("Enter the email address of your account. We'll mail you a link to choose a new password; it works for {RESET_MINUTES} minutes.")}
                    </p>
                    <ActionForm action=action>
                        <div class="mt-6 space-y-4">
                            <Field label="Email" name="email" input_type="email" autocomplete="email" error=field_error(value, "email") />
                            <FormError error=form_error(value) />
                            <SubmitButton label="Send the link" pending_label="Sending…" pending=action.pending() />
                        </div>
                    </ActionForm>
                }
            >
                <p role="status" class="mt-6 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm dark:border-emerald-900 dark:bg-emerald-950">
                    {format!("If an account uses this address, a link to reset its password is on its way. It works once, for {RESET_MINUTES} minutes. Check your spam folder if nothing arrives.")}
                </p>
            </Show>
            <p class="mt-6 text-sm"><a href="/reset-password" class=LINK>"I have a reset code"</a>" · "<a href="/login" class=LINK>"Back to log in"</a></p>
        </div>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let value = Signal::derive(move || action.value().get());
    let token = code_from_fragment("/reset-password");
    let token_error = field_error(value, "token");
    view! {
        <Title text="Reset your password" />
        <div class="mx-auto max-w-sm py-12">
            <h1 class="text-2xl font-semibold tracking-tight">"Reset your password"</h1>
            <Show
                when=move || matches!(value.get(), Some(Ok(())))
                fallback=move || view! {
                    <ActionForm action=action>
                        <div class="mt-6 space-y-4">
                            <CodeField label="Reset code" value=token error=token_error />
                            <Field label="New password" name="new_password" input_type="password" autocomplete="new-password" hint=PASSWORD_HINT error=field_error(value, "new_password") />
                            <Field label="Repeat the new password" name="new_password_confirm" input_type="password" autocomplete="new-password" error=field_error(value, "new_password_confirm") />
                            <Checkbox id="reset-revoke-keys" name="revoke_keys" checked=true
                                label="Also revoke my API keys"
                                hint="Every session and REST token of your account ends in any case. Keep this ticked if someone else may have used your account." />
                            <FormError error=form_error(value) />
                            <SubmitButton label="Set the new password" pending_label="Saving…" pending=action.pending() />
                        </div>
                    </ActionForm>
                }
            >
                <p role="status" class="mt-6 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm dark:border-emerald-900 dark:bg-emerald-950">
                    "Your password is changed, and every session of your account was signed out. "
                    <a href="/login" class=LINK>"Log in"</a>" with the new password."
                </p>
            </Show>
            <p class="mt-6 text-sm"><a href="/forgot-password" class=LINK>"Ask for a new link"</a></p>
        </div>
    }
}

/// Development only: the mails Motto would have sent (no `SMTP_URL`).
#[component]
pub fn DevOutboxPage() -> impl IntoView {
    let mails = Resource::new(|| (), |_| dev_outbox());
    view! {
        <Title text="Outbox (development)" />
        <div class="mx-auto max-w-3xl py-8">
            <h1 class="text-2xl font-semibold tracking-tight">"Outbox"</h1>
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                "Development only: without SMTP_URL, mail stays here (and in the log) instead of being sent. Newest first."
            </p>
            <Suspense fallback=|| view! { <p class="mt-4 text-sm">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match mails.await {
                        Ok(list) if list.is_empty() => view! { <p class="mt-6 text-sm">"No mail yet."</p> }.into_any(),
                        Ok(list) => list.into_iter().map(|m| view! {
                            <article class="mt-6 rounded-lg border border-slate-200 p-4 dark:border-slate-800" aria-label=format!("Mail to {}: {}", m.to, m.subject)>
                                <h2 class="font-semibold">{m.subject.clone()}</h2>
                                <p class="text-sm text-slate-600 dark:text-slate-400">"To "{m.to.clone()}" · "<LocalTime at=m.sent_at /></p>
                                <pre class="mt-3 whitespace-pre-wrap text-sm">{m.body.clone()}</pre>
                            </article>
                        }).collect_view().into_any(),
                        Err(_) => view! { <p class="mt-6 text-sm">"There is no outbox: this server sends mail, or runs in production."</p> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}
