use crate::app::components::style::{BUTTON, LINK};
use crate::{
    api::auth::login_options,
    app::{
        auth::use_auth,
        components::form::{field_error, form_error, Field, FormError, SubmitButton},
    },
    domain::sso::{failure_message, LoginOptions},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let options = Resource::new(|| (), |_| login_options());
    view! {
        <Title text="Log in" />
        <div class="mx-auto max-w-sm py-12">
            <h1 class="text-2xl font-semibold tracking-tight">"Log in"</h1>
            <Suspense fallback=|| view! { <p class="mt-6 text-sm">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let options = options
                        .await
                        .unwrap_or(LoginOptions {
                            local: true,
                            local_admins_only: false,
                            provider: None,
                            registration_open: false,
                        });
                    view! { <LoginChoices options=options /> }
                })}
            </Suspense>
        </div>
    }
}

/// The ways in this server offers: the provider's button, the password form, or both.
#[component]
fn LoginChoices(options: LoginOptions) -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let sso_error = move || query.read().get("sso_error");
    let signed_out = move || query.read().get("signed_out").as_deref() == Some("sso");
    let provider = options.provider.clone();
    let sso = provider.clone().map(|name| {
        let start = move || {
            let next: String = crate::app::url_encode(&next());
            format!("/auth/oidc/start?next={next}")
        };
        let label = format!("Sign in with {name}");
        let error_name = name.clone();
        view! {
            <div class="mt-6 space-y-3">
                {move || {
                    sso_error()
                        .map(|reason| {
                            view! {
                                <p
                                    id="sso-error"
                                    role="alert"
                                    class="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200"
                                >
                                    {failure_message(&reason, &error_name)}
                                </p>
                            }
                        })
                }}
                // A full page load: the provider's page is not part of this app.
                <a href=start rel="external" class=format!("{BUTTON} w-full justify-center")>
                    {label}
                </a>
            </div>
        }
    });
    let signed_out_notice = provider.clone().map(|name| {
        view! {
            <Show when=signed_out>
                <p role="status" class="mt-6 rounded-md border border-slate-300 p-3 text-sm dark:border-slate-700">
                    "You are signed out of Motto. "
                    <a href="/auth/oidc/logout" rel="external" class=LINK>
                        {format!("Also sign out of {name}")}
                    </a>
                </p>
            </Show>
        }
    });
    let password = options.local.then(|| {
        view! {
            <PasswordForm
                admins_only=options.local_admins_only
                with_sso=provider.is_some()
            />
        }
    });
    let register = options.registration_open.then(|| {
        view! {
            <p class="mt-6 text-sm text-slate-600 dark:text-slate-400">
                "New to Motto? "
                <a href="/register" class=LINK>
                    "Create an account"
                </a>
            </p>
        }
    });
    view! {
        {signed_out_notice}
        {sso}
        {password}
        {register}
    }
}

#[component]
fn PasswordForm(admins_only: bool, with_sso: bool) -> impl IntoView {
    let action = use_auth().login;
    let value = Signal::derive(move || action.value().get());
    let next = move || use_query_map().read().get("next").unwrap_or_default();
    let heading = match (admins_only, with_sso) {
        (true, _) => Some("Administrators: sign in with a password"),
        (false, true) => Some("Or sign in with a password"),
        _ => None,
    };
    view! {
        {heading
            .map(|h| {
                view! {
                    <h2 class="mt-8 text-sm font-semibold text-slate-700 dark:text-slate-300">{h}</h2>
                }
            })}
        <ActionForm action=action>
            <div class="mt-4 space-y-4">
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
    }
}
