use crate::app::components::style::LINK;
use crate::{
    api::{
        account::{
            get_preferences, list_sessions, my_quotas, sso_status, ChangeIdentity, ChangePassword,
            DeleteAccount, EndOtherSessions, EndSession, SavePreferences, SsoUnlink,
        },
        conversations::conversation_usage,
    },
    app::{
        auth::use_auth,
        components::{
            form::{field_error, form_error, Checkbox, Field, FormError, PASSWORD_HINT},
            quota::QuotaList,
            time::LocalTime,
        },
    },
    domain::user::CurrentUser,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

const SAVE: &str = "rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";
const QUIET: &str = "rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-50 dark:border-slate-700 dark:hover:bg-slate-900";
const SECTION: &str = "mt-10 border-t border-slate-200 pt-8 dark:border-slate-800";

/// The signed-in person's account. The server redirects anonymous page loads to
/// the login page; this redirect covers navigation inside the app.
#[component]
pub fn AccountPage() -> impl IntoView {
    let user = use_auth().user;
    // Made here, outside the part that re-renders when the user reloads after a
    // change, so their results ("Saved.") survive it.
    let identity = ServerAction::<ChangeIdentity>::new();
    let password = ServerAction::<ChangePassword>::new();
    // The header shows the new name once it is saved.
    Effect::new(move |_| {
        if matches!(identity.value().get(), Some(Ok(_))) {
            user.refetch();
        }
    });
    view! {
        <Title text="Your account" />
        <div class="mx-auto max-w-2xl py-12">
            <h1 class="text-2xl font-semibold tracking-tight">"Your account"</h1>
            <Suspense fallback=|| view! { <p class="mt-6 text-sm">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(u)) => view! { <Account u identity password /> }.into_any(),
                        _ => view! { <Redirect path="/login?next=%2Faccount" /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// "Saved." beside a form once its action succeeded.
fn saved(
    value: Signal<Option<Result<(), crate::error::AppError>>>,
    text: &'static str,
) -> impl IntoView {
    move || {
        matches!(value.get(), Some(Ok(()))).then(|| {
            view! { <p role="status" class="text-sm text-emerald-700 dark:text-emerald-400">{text}</p> }
        })
    }
}

#[component]
fn Account(
    u: CurrentUser,
    identity: ServerAction<ChangeIdentity>,
    password: ServerAction<ChangePassword>,
) -> impl IntoView {
    let identity_value = Signal::derive(move || identity.value().get().map(|r| r.map(|_| ())));
    // The address a confirmation link just went to, if the email changed.
    let sent_to = Signal::derive(move || identity.value().get().and_then(|r| r.ok()).flatten());
    let password_value = Signal::derive(move || password.value().get());
    let usage = Resource::new(|| (), |_| conversation_usage());
    let quotas = Resource::new(|| (), |_| my_quotas());
    view! {
        <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
            {if u.is_admin() { "Administrator" } else { "User" }}
            " · "
            <a href="/account/api-keys" class=LINK>"API keys"</a>
            " for the REST API"
        </p>

        <section aria-labelledby="profile-heading" class="mt-8">
            <h2 id="profile-heading" class="text-lg font-semibold">"Username and email"</h2>
            <ActionForm action=identity attr:class="mt-4 space-y-4">
                <FormError error=form_error(identity_value) />
                <Field label="Username" name="username" autocomplete="username" value=u.username.clone() error=field_error(identity_value, "username") />
                <Field label="Email" name="email" input_type="email" autocomplete="email" value=u.email.clone() error=field_error(identity_value, "email") />
                <Field
                    label="Your password, to confirm"
                    name="password"
                    input_type="password"
                    autocomplete="current-password"
                    error=field_error(identity_value, "password")
                />
                <div class="flex items-center gap-4">
                    <button type="submit" class=SAVE>"Save username and email"</button>
                    {saved(identity_value, "Saved.")}
                </div>
                {move || sent_to.get().map(|to| view! {
                    <p role="status" class="text-sm">
                        {format!("We sent a link to {to}. Your account uses the new address once you open it (within 24 hours).")}
                    </p>
                })}
            </ActionForm>
            <EmailState changed=identity.version() />
        </section>

        <PreferencesSection />

        <section aria-labelledby="password-heading" class=SECTION>
            <h2 id="password-heading" class="text-lg font-semibold">"Password"</h2>
            <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
                "Changing it signs you out everywhere else and ends your REST access and refresh tokens; this browser stays signed in. API keys keep working unless you tick the box."
            </p>
            <ActionForm action=password attr:class="mt-4 space-y-4">
                <FormError error=form_error(password_value) />
                <Field label="Current password" name="current_password" input_type="password" autocomplete="current-password" error=field_error(password_value, "current_password") />
                <Field label="New password" name="new_password" input_type="password" autocomplete="new-password" hint=PASSWORD_HINT error=field_error(password_value, "new_password") />
                <Field label="Repeat the new password" name="new_password_confirm" input_type="password" autocomplete="new-password" error=field_error(password_value, "new_password_confirm") />
                <Checkbox id="password-revoke-keys" name="revoke_keys" label="Also revoke my API keys" />
                <div class="flex items-center gap-4">
                    <button type="submit" class=SAVE>"Change password"</button>
                    {saved(password_value, "Password changed. Other sessions were signed out.")}
                </div>
            </ActionForm>
        </section>

        <section aria-labelledby="two-factor-heading" class=SECTION>
            <h2 id="two-factor-heading" class="text-lg font-semibold">"Two-factor authentication"</h2>
            <p class="mt-1 text-sm">
                {if u.two_factor { "On: logging in needs a code from your authenticator app. " } else { "Off. " }}
                <a href="/account/two-factor" class=LINK>
                    {if u.two_factor { "Manage two-factor authentication" } else { "Set up two-factor authentication" }}
                </a>
            </p>
        </section>

        <SingleSignOn />

        <Sessions password_version=password.version() />

        <YourData />

        <section aria-labelledby="limits-heading" class=SECTION>
            <h2 id="limits-heading" class="text-lg font-semibold">"Your limits"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    quotas.await.ok().map(|q| view! { <QuotaList q=q /> })
                })}
            </Suspense>
        </section>

        <section aria-labelledby="usage-heading" class=SECTION>
            <h2 id="usage-heading" class="text-lg font-semibold">"Assistant usage"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    usage.await.ok().map(|t| view! {
                        <dl class="mt-3 grid grid-cols-3 gap-4 text-sm">
                            <div><dt class="text-slate-600 dark:text-slate-400">"Answers"</dt><dd class="text-lg font-semibold">{t.assistant_messages}</dd></div>
                            <div><dt class="text-slate-600 dark:text-slate-400">"Prompt tokens"</dt><dd class="text-lg font-semibold">{t.prompt_tokens}</dd></div>
                            <div><dt class="text-slate-600 dark:text-slate-400">"Completion tokens"</dt><dd class="text-lg font-semibold">{t.completion_tokens}</dd></div>
                        </dl>
                        {(t.estimated_messages > 0).then(|| view! {
                            <p class="mt-2 text-xs text-slate-600 dark:text-slate-400">{format!("{} of these answers came from the retrieval assistant, whose counts are estimates (about one token per four bytes of text).", t.estimated_messages)}</p>
                        })}
                    })
                })}
            </Suspense>
        </section>
    }
}

/// The account at the identity provider: linked or not, link and unlink. Shown
/// only when single sign-on is set up.
#[component]
fn SingleSignOn() -> impl IntoView {
    let unlink = ServerAction::<SsoUnlink>::new();
    let status = Resource::new(move || unlink.version().get(), |_| sso_status());
    let unlink_error = Signal::derive(move || {
        unlink
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    });
    let query = leptos_router::hooks::use_query_map();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let Some(s) = status.await.ok().flatten() else {
                    return ().into_any();
                };
                let provider = s.provider.clone();
                let notice = query
                    .read()
                    .get("sso_error")
                    .map(|reason| crate::domain::sso::failure_message(&reason, &provider))
                    .or_else(|| {
                        (query.read().get("sso").as_deref() == Some("linked"))
                            .then(|| format!("Your {provider} account is now linked."))
                    });
                view! {
                    <section aria-labelledby="sso-heading" class=SECTION>
                        <h2 id="sso-heading" class="text-lg font-semibold">{format!("Sign-in with {provider}")}</h2>
                        {notice.map(|n| view! { <p role="status" class="mt-2 text-sm font-medium">{n}</p> })}
                        {match s.linked_at {
                            Some(at) => view! {
                                <p class="mt-1 text-sm">
                                    {format!("Your {provider} account is linked (since ")}
                                    <LocalTime at=at />
                                    "). "
                                    {if s.this_session {
                                        format!("You signed in through {provider} in this browser: it asks for your second factor, not Motto.")
                                    } else {
                                        String::new()
                                    }}
                                </p>
                                <FormError error=unlink_error />
                                {s.has_password.then(|| view! {
                                    <ActionForm action=unlink attr:class="mt-3">
                                        <button type="submit" class=QUIET>{format!("Unlink my {provider} account")}</button>
                                    </ActionForm>
                                })}
                            }.into_any(),
                            None => view! {
                                <p class="mt-1 text-sm">
                                    {format!("Link your {provider} account to sign in with it. You confirm at {provider}; your password keeps working.")}
                                </p>
                                // A full page load to the provider and back.
                                <form method="post" action="/auth/oidc/link" class="mt-3">
                                    <button type="submit" class=QUIET>{format!("Link my {provider} account")}</button>
                                </form>
                            }.into_any(),
                        }}
                    </section>
                }
                    .into_any()
            })}
        </Transition>
    }
}

#[component]
fn Sessions(password_version: RwSignal<usize>) -> impl IntoView {
    let end = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let sessions = Resource::new(
        move || {
            (
                end.version().get(),
                end_others.version().get(),
                password_version.get(),
            )
        },
        |_| list_sessions(),
    );
    let end_error = Signal::derive(move || {
        end.value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| end_others.value().get().and_then(|r| r.err()))
            .map(|e| e.to_string())
    });
    view! {
        <section aria-labelledby="sessions-heading" class=SECTION>
            <h2 id="sessions-heading" class="text-lg font-semibold">"Where you're signed in"</h2>
            <FormError error=end_error />
            <Transition fallback=|| view! { <p class="mt-3 text-sm">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let list = sessions.await.unwrap_or_default();
                    let others = list.iter().filter(|s| !s.current).count();
                    view! {
                        <ul class="mt-4 divide-y divide-slate-200 rounded-lg border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
                            {list.into_iter().map(|s| {
                                let label = format!("{}{}", s.device, if s.current { " (this browser)" } else { "" });
                                let id = s.id.clone();
                                view! {
                                    <li class="flex items-center justify-between gap-4 px-4 py-3" aria-label=label.clone()>
                                        <div class="text-sm">
                                            <p class="font-medium">
                                                {s.device.clone()}
                                                {s.current.then(|| view! { <span class="ml-2 rounded bg-emerald-100 px-1.5 py-0.5 text-xs font-medium text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100">"This browser"</span> })}
                                            </p>
                                            <p class="text-slate-600 dark:text-slate-400">
                                                {s.source_ip.clone().unwrap_or_else(|| "unknown address".into())}
                                                " · signed in "<LocalTime at=s.created_at />
                                                " · last active "<LocalTime at=s.last_seen_at />
                                            </p>
                                        </div>
                                        {(!s.current).then(|| view! {
                                            <ActionForm action=end>
                                                <input type="hidden" name="id" value=id.clone() />
                                                <button type="submit" class=QUIET aria-label=format!("Sign out {}", s.device)>"Sign out"</button>
                                            </ActionForm>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        <ActionForm action=end_others attr:class="mt-4 space-y-3">
                            <p class="text-sm text-slate-600 dark:text-slate-400">
                                {if others > 0 { "Signing out everywhere else ends the other sessions above" } else { "Signing out everywhere else ends" }}
                                " and every REST access and refresh token; this browser stays signed in. API keys keep working unless you tick the box."
                            </p>
                            <Checkbox id="sessions-revoke-keys" name="revoke_keys" label="Also revoke my API keys" />
                            <button type="submit" class=QUIET>"Sign out everywhere else"</button>
                        </ActionForm>
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn YourData() -> impl IntoView {
    let delete = ServerAction::<DeleteAccount>::new();
    let value = Signal::derive(move || delete.value().get());
    // Gone: load the home page afresh, signed out.
    Effect::new(move |_| {
        if matches!(delete.value().get(), Some(Ok(()))) {
            #[cfg(feature = "hydrate")]
            {
                let _ = window().location().set_href("/?account=deleted");
            }
        }
    });
    view! {
        <section aria-labelledby="data-heading" class=SECTION>
            <h2 id="data-heading" class="text-lg font-semibold">"Your data"</h2>
            <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
                "One zip file with every document (all versions, trash included), every conversation with its messages, and your account and API key details (never the keys)."
            </p>
            <form method="post" action="/account/export" class="mt-3">
                <button type="submit" class=QUIET>"Download your data"</button>
            </form>
            <h3 class="mt-8 font-semibold text-red-700 dark:text-red-400">"Delete your account"</h3>
            <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
                "Deletes your personal space with its documents, your conversations, API keys and sessions for good. Documents you wrote in shared spaces stay with their teams, shown as created by a deleted account (move them to your personal space first to take them with you). The security log keeps its records of what was done, under your account's number only, not your name."
            </p>
            <ActionForm action=delete attr:class="mt-3 space-y-4">
                <FormError error=form_error(value) />
                <Field label="Type your username to confirm" name="confirm_username" autocomplete="off" hint="Exactly as it appears in the header." error=field_error(value, "confirm_username") />
                <Field label="Your password" name="password" input_type="password" autocomplete="current-password" error=field_error(value, "password") />
                <button type="submit" class="rounded-md border border-red-300 px-4 py-2 text-sm font-semibold text-red-700 hover:bg-red-50 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950">"Delete my account"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn PreferencesSection() -> impl IntoView {
    use crate::domain::theme::Theme;
    let save = ServerAction::<SavePreferences>::new();
    let value = Signal::derive(move || save.value().get());
    let prefs = Resource::new(|| (), |_| get_preferences());
    // Everything on the page (theme, times, the header) follows: load it afresh.
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(()))) {
            #[cfg(feature = "hydrate")]
            {
                let _ = window().location().reload();
            }
        }
    });
    view! {
        <section aria-labelledby="preferences-heading" class=SECTION>
            <h2 id="preferences-heading" class="text-lg font-semibold">"Preferences"</h2>
            <Suspense fallback=|| view! { <p class="mt-3 text-sm">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let Ok(p) = prefs.await else { return ().into_any() };
                    let zone = p.time_zone.clone().unwrap_or_default();
                    view! {
                        <ActionForm action=save attr:class="mt-4 space-y-4">
                            <FormError error=form_error(value) />
                            <fieldset>
                                <legend class="text-sm font-medium">"Theme"</legend>
                                <div class="mt-1 flex gap-4">
                                    {[Theme::System, Theme::Light, Theme::Dark].into_iter().map(|t| {
                                        let id = format!("theme-{}", t.as_str());
                                        view! {
                                            <div class="flex items-center gap-2 text-sm">
                                                <input type="radio" id=id.clone() name="theme" value=t.as_str() checked=p.theme == t class="h-4 w-4" />
                                                <label for=id>{t.label()}</label>
                                            </div>
                                        }
                                    }).collect_view()}
                                </div>
                                <p class="mt-1 text-xs text-slate-500 dark:text-slate-400">"Used in every browser you log in from; the Theme button in the header changes only this browser."</p>
                            </fieldset>
                            <div class="space-y-1">
                                <label for="field-time_zone" class="block text-sm font-medium">"Time zone"</label>
                                <select id="field-time_zone" name="time_zone" class="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm dark:border-slate-700 dark:bg-slate-900" aria-describedby="field-time_zone-error">
                                    <option value="" selected=zone.is_empty()>"This browser's time zone"</option>
                                    {p.zones.iter().map(|z| view! { <option value=z.clone() selected=*z == zone>{z.clone()}</option> }).collect_view()}
                                </select>
                                <p id="field-time_zone-error" class="text-sm text-red-600 dark:text-red-400">{move || field_error(value, "time_zone").get()}</p>
                            </div>
                            <button type="submit" class=SAVE>"Save preferences"</button>
                        </ActionForm>
                    }.into_any()
                })}
            </Suspense>
        </section>
    }
}

/// Whether the address is confirmed, and a new one waiting for its link, with a
/// way to send the link again.
#[component]
fn EmailState(changed: RwSignal<usize>) -> impl IntoView {
    use crate::api::account::{email_status, ResendEmailConfirmation};
    let resend = ServerAction::<ResendEmailConfirmation>::new();
    let status = Resource::new(move || changed.get(), |_| email_status());
    let error = Signal::derive(move || {
        resend
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.for_form().unwrap_or_else(|| e.to_string()))
    });
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let s = status.await.ok()?;
                let waiting = s.pending.clone().or_else(|| (!s.confirmed).then(|| s.email.clone()))?;
                Some(view! {
                    <div class="mt-4 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm dark:border-amber-800 dark:bg-amber-950">
                        <p>{format!("{waiting} is waiting for confirmation: open the link we sent to it.")}</p>
                        <ActionForm action=resend attr:class="mt-2 flex flex-wrap items-center gap-3">
                            <button type="submit" class=SAVE>"Send the link again"</button>
                            {move || resend.value().get().and_then(|r| r.ok()).map(|to| view! {
                                <span role="status">{format!("Sent to {to}.")}</span>
                            })}
                        </ActionForm>
                        <FormError error=error />
                    </div>
                })
            })}
        </Suspense>
    }
}
