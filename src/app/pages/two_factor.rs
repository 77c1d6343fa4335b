//! Two-factor authentication: the second step of a login, and setting it up.

use crate::app::components::style::LINK;
use crate::{
    api::two_factor::{get_two_factor_status, BeginTwoFactor, ConfirmTwoFactor, DisableTwoFactor},
    app::{
        auth::use_auth,
        components::{
            form::{field_error, form_error, Field, FormError, SubmitButton},
            time::LocalTime,
        },
    },
    error::AppError,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::app::components::style::{BUTTON, DANGER_OUTLINE as DANGER};

#[component]
pub fn TwoFactorLoginPage() -> impl IntoView {
    let action = use_auth().second_factor;
    let value = Signal::derive(move || action.value().get());
    let next = move || use_query_map().read().get("next").unwrap_or_default();
    view! {
        <Title text="Two-factor authentication" />
        <div class="mx-auto max-w-sm py-12">
            <h1 class="text-2xl font-semibold tracking-tight">"Two-factor authentication"</h1>
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                "Enter the 6-digit code your authenticator app shows for Motto, or one of your recovery codes."
            </p>
            <ActionForm action=action>
                <div class="mt-6 space-y-4">
                    <input type="hidden" name="next" prop:value=next />
                    <Field label="Authentication code" name="code" autocomplete="one-time-code" error=field_error(value, "code") />
                    <FormError error=form_error(value) />
                    <SubmitButton label="Verify" pending_label="Checking…" pending=action.pending() />
                </div>
            </ActionForm>
            <p class="mt-6 text-sm"><a href="/login" class=LINK>"Start again"</a></p>
        </div>
    }
}

fn result_of<T: Clone + Send + Sync + 'static>(
    action: ServerAction<
        impl leptos::server_fn::ServerFn<Output = T, Error = AppError> + Clone + Sync + 'static,
    >,
) -> Signal<Option<Result<(), AppError>>> {
    Signal::derive(move || action.value().get().map(|r| r.map(|_| ())))
}

#[component]
pub fn TwoFactorPage() -> impl IntoView {
    let auth = use_auth();
    let begin = ServerAction::<BeginTwoFactor>::new();
    let confirm = ServerAction::<ConfirmTwoFactor>::new();
    let disable = ServerAction::<DisableTwoFactor>::new();
    let status = Resource::new(
        move || (confirm.version().get(), disable.version().get()),
        |_| get_two_factor_status(),
    );
    // The header and the account page follow.
    Effect::new(move |_| {
        if matches!(confirm.value().get(), Some(Ok(_)))
            || matches!(disable.value().get(), Some(Ok(())))
        {
            auth.user.refetch();
        }
    });
    let begin_value = result_of(begin);
    let confirm_value = result_of(confirm);
    let disable_value = Signal::derive(move || disable.value().get());
    let codes = Signal::derive(move || confirm.value().get().and_then(|r| r.ok()));
    view! {
        <Title text="Two-factor authentication" />
        <div class="mx-auto max-w-2xl py-12">
            <p class="text-sm"><a href="/account" class=LINK>"← Your account"</a></p>
            <h1 class="mt-2 text-2xl font-semibold tracking-tight">"Two-factor authentication"</h1>
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                "With it on, logging in needs a code from an authenticator app on your phone (any TOTP app) after your password."
            </p>
            {move || codes.get().map(|codes| view! {
                <section aria-labelledby="codes-heading" class="mt-6 rounded-lg border border-amber-300 bg-amber-50 p-4 dark:border-amber-800 dark:bg-amber-950">
                    <h2 id="codes-heading" class="font-semibold">"Your recovery codes"</h2>
                    <p class="mt-1 text-sm">"Two-factor authentication is on. Keep these codes somewhere safe: each one logs you in once if you lose your phone. They are shown only now."</p>
                    <ul aria-label="Recovery codes" class="mt-3 grid grid-cols-2 gap-2 font-mono text-sm">
                        {codes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}
                    </ul>
                </section>
            })}
            <Suspense fallback=|| view! { <p class="mt-6 text-sm">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let Ok(s) = status.await else {
                        return view! { <p class="mt-6 text-sm">"Log in to manage two-factor authentication."</p> }.into_any();
                    };
                    if s.enabled {
                        view! {
                            <section aria-labelledby="on-heading" class="mt-8">
                                <h2 id="on-heading" class="text-lg font-semibold">"On"</h2>
                                <p class="mt-1 text-sm">
                                    {s.enabled_at.map(|at| view! { "Since " <LocalTime at /> ". " })}
                                    {format!("{} of 10 recovery codes left.", s.recovery_codes_left)}
                                </p>
                                {if s.required {
                                    view! { <p class="mt-4 text-sm">"An administrator requires two-factor authentication for your account, so it cannot be turned off."</p> }.into_any()
                                } else {
                                    view! {
                                        <h3 class="mt-6 font-semibold">"Turn it off"</h3>
                                        <ActionForm action=disable attr:class="mt-3 space-y-4">
                                            <FormError error=form_error(disable_value) />
                                            <Field label="Your password" name="password" input_type="password" autocomplete="current-password" error=field_error(disable_value, "password") />
                                            <Field label="Code from your app" name="code" autocomplete="one-time-code" error=field_error(disable_value, "code") />
                                            <button type="submit" class=DANGER>"Turn off two-factor authentication"</button>
                                        </ActionForm>
                                    }.into_any()
                                }}
                            </section>
                        }.into_any()
                    } else {
                        view! {
                            <section aria-labelledby="setup-heading" class="mt-8">
                                <h2 id="setup-heading" class="text-lg font-semibold">"Set it up"</h2>
                                {s.required.then(|| view! {
                                    <p role="alert" class="mt-2 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm dark:border-amber-800 dark:bg-amber-950">
                                        "An administrator requires two-factor authentication for your account. Set it up to continue."
                                    </p>
                                })}
                                <FormError error=form_error(begin_value) />
                                {move || match begin.value().get() {
                                    Some(Ok(e)) => view! {
                                        <ol class="mt-4 list-decimal space-y-4 pl-5 text-sm">
                                            <li>
                                                "Scan this code with your authenticator app:"
                                                <div class="mt-2 w-52 rounded bg-white p-2" role="img" aria-label="QR code for your authenticator app" inner_html=e.qr_svg.clone()></div>
                                                <p class="mt-2">"Or type this key into it: "<code data-testid="totp-secret" class="font-mono">{e.secret.clone()}</code></p>
                                            </li>
                                            <li>
                                                "Enter the 6-digit code the app shows:"
                                                <ActionForm action=confirm attr:class="mt-2 space-y-4">
                                                    <FormError error=form_error(confirm_value) />
                                                    <Field label="Code from your app" name="code" autocomplete="one-time-code" error=field_error(confirm_value, "code") />
                                                    <button type="submit" class=BUTTON>"Turn on"</button>
                                                </ActionForm>
                                            </li>
                                        </ol>
                                    }.into_any(),
                                    _ => view! {
                                        <ActionForm action=begin attr:class="mt-4 max-w-sm space-y-4">
                                            <Field label="Your password" name="password" input_type="password" autocomplete="current-password" optional=true
                                                hint="Asked if you signed in more than a few minutes ago."
                                                error=field_error(begin_value, "password") />
                                            <button type="submit" class=BUTTON>"Set up two-factor authentication"</button>
                                        </ActionForm>
                                    }.into_any(),
                                }}
                            </section>
                        }.into_any()
                    }
                })}
            </Suspense>
        </div>
    }
}
