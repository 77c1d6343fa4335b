//! API keys: create one (shown once, with a copy button), see them all, revoke.

use crate::app::components::loaded::Loaded;
use crate::app::components::style::LINK;
use crate::app::components::style::{BUTTON, DANGER, INPUT, SECONDARY};
use crate::{
    api::api_keys::{list_api_keys, CreateApiKey, RevokeApiKey},
    app::components::{
        form::{field_error, form_error, Field, FormError},
        time::LocalTime,
    },
    domain::api_key::{KeyStatus, DEFAULT_DAYS, SCOPES},
};
use leptos::prelude::*;
use leptos_meta::Title;

const TH: &str =
    "px-3 py-2 text-left text-xs font-semibold uppercase text-slate-600 dark:text-slate-400";
const TD: &str = "px-3 py-2 align-top";

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_keys(),
    );
    let value = Signal::derive(move || create.value().get().map(|r| r.map(|_| ())));
    let created = Signal::derive(move || create.value().get().and_then(|r| r.ok()));
    let confirm = RwSignal::new(None::<(i64, String)>);
    let copied = RwSignal::new(false);
    Effect::new(move |_| {
        if revoke.value().get().is_some() {
            confirm.set(None);
        }
    });
    view! {
        <Title text="API keys" />
        <div class="mx-auto max-w-4xl py-8">
            <h1 class="text-2xl font-semibold tracking-tight">"API keys"</h1>
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                "Keys let scripts use the REST API under /api/v1 as you, limited to the scopes you choose. Send one as "
                <code>"Authorization: Bearer <key>"</code>". See the "
                <a href="/docs/api" class=LINK>"API reference"</a>"."
            </p>
            {move || created.get().map(|c| {
                let key = c.key.clone();
                view! {
                    <section aria-labelledby="new-key-heading" class="mt-6 rounded-lg border border-amber-300 bg-amber-50 p-4 dark:border-amber-800 dark:bg-amber-950">
                        <h2 id="new-key-heading" class="text-sm font-semibold">{format!("Your new key “{}”", c.view.name)}</h2>
                        <p class="mt-1 text-sm">"Copy it now: it is shown only this once. Motto keeps only a hash of it."</p>
                        <div class="mt-2 flex gap-2">
                            <label for="new-key" class="sr-only">"New API key"</label>
                            <input id="new-key" type="text" readonly value=key.clone() class=format!("{INPUT} font-mono") />
                            <button type="button" class=SECONDARY on:click=move |_| {
                                #[cfg(feature = "hydrate")]
                                {
                                    if let Some(w) = web_sys::window() {
                                        let _ = w.navigator().clipboard().write_text(&key);
                                        copied.set(true);
                                    }
                                }
                            }>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
                        </div>
                    </section>
                }
            })}
            <section aria-labelledby="create-heading" class="mt-6">
                <h2 id="create-heading" class="text-lg font-semibold">"Create a key"</h2>
                <ActionForm action=create attr:class="mt-3 space-y-4">
                    <FormError error=form_error(value) />
                    <div class="space-y-1">
                        <label for="field-name" class="block text-sm font-medium">"Name"</label>
                        <input id="field-name" name="name" type="text" required maxlength="100" class=INPUT placeholder="e.g. backup script" aria-describedby="field-name-error" />
                        <p id="field-name-error" class="text-sm text-red-600 dark:text-red-400">{move || field_error(value, "name").get()}</p>
                    </div>
                    <fieldset class="space-y-1">
                        <legend class="text-sm font-medium">"Scopes"</legend>
                        {SCOPES.iter().map(|(scope, label)| {
                            let id = format!("scope-{}", scope.replace(':', "-"));
                            view! {
                                <div class="flex items-center gap-2">
                                    <input type="checkbox" id=id.clone() name="scopes[]" value=*scope class="h-4 w-4" />
                                    <label for=id class="text-sm">{format!("{label} ({scope})")}</label>
                                </div>
                            }
                        }).collect_view()}
                        <p class="text-sm text-red-600 dark:text-red-400">{move || field_error(value, "scopes").get()}</p>
                    </fieldset>
                    <div class="space-y-1">
                        <label for="field-days" class="block text-sm font-medium">"Expires after (days)"</label>
                        <input id="field-days" name="days" type="number" min="1" max="365" value=DEFAULT_DAYS class=format!("{INPUT} max-w-xs") aria-describedby="field-days-error" />
                        <p id="field-days-error" class="text-sm text-red-600 dark:text-red-400">{move || field_error(value, "days").get()}</p>
                    </div>
                    <Field label="Your password" name="password" input_type="password" autocomplete="current-password" optional=true
                        hint="Asked if you signed in more than a few minutes ago: a key can act as you for months."
                        error=field_error(value, "password") />
                    <button type="submit" class=BUTTON>{move || if create.pending().get() { "Creating…" } else { "Create key" }}</button>
                </ActionForm>
            </section>
            <section aria-labelledby="keys-heading" class="mt-10">
                <h2 id="keys-heading" class="text-lg font-semibold">"Your keys"</h2>
                <Loaded resource=keys keep=true let:list>
                    {match list {
                            list if list.is_empty() => view! { <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">"No keys yet."</p> }.into_any(),
                            list => view! {
                                <div class="mt-3 overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-800">
                                    <table class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                                        <caption class="sr-only">"Your API keys"</caption>
                                        <thead><tr>
                                            <th scope="col" class=TH>"Name"</th>
                                            <th scope="col" class=TH>"Key"</th>
                                            <th scope="col" class=TH>"Scopes"</th>
                                            <th scope="col" class=TH>"Created"</th>
                                            <th scope="col" class=TH>"Last used"</th>
                                            <th scope="col" class=TH>"Expires"</th>
                                            <th scope="col" class=TH>"Status"</th>
                                            <th scope="col" class=TH><span class="sr-only">"Actions"</span></th>
                                        </tr></thead>
                                        <tbody class="divide-y divide-slate-100 dark:divide-slate-900">
                                            {list.into_iter().map(|k| {
                                                let (id, name) = (k.id, k.name.clone());
                                                let status = match k.status { KeyStatus::Active => "active", KeyStatus::Expired => "expired", KeyStatus::Revoked => "revoked" };
                                                view! {
                                                    <tr>
                                                        <td class=TD>{k.name.clone()}</td>
                                                        <td class=format!("{TD} font-mono")>{format!("{}…", k.prefix)}</td>
                                                        <td class=TD>{k.scopes.join(", ")}</td>
                                                        <td class=TD><LocalTime at=k.created_at /></td>
                                                        <td class=TD>{match k.last_used_at { Some(t) => view! { <LocalTime at=t /> }.into_any(), None => "never".into_any() }}</td>
                                                        <td class=TD><LocalTime at=k.expires_at /></td>
                                                        <td class=TD>{status}</td>
                                                        <td class=TD>{(k.status == KeyStatus::Active).then(|| view! {
                                                            <button type="button" class=SECONDARY aria-label=format!("Revoke {}", k.name) on:click=move |_| confirm.set(Some((id, name.clone())))>"Revoke"</button>
                                                        })}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }.into_any(),
                    }}
                </Loaded>
                {move || confirm.get().map(|(id, name)| view! {
                    <div role="alertdialog" aria-labelledby="confirm-revoke" class="mt-4 rounded-md border border-red-200 bg-red-50 p-4 dark:border-red-900 dark:bg-red-950">
                        <p id="confirm-revoke" class="text-sm">{format!("Revoke “{name}”? Anything using it stops working at its next request.")}</p>
                        <div class="mt-3 flex gap-2">
                            <ActionForm action=revoke>
                                <input type="hidden" name="id" value=id />
                                <button type="submit" class=DANGER>"Yes, revoke"</button>
                            </ActionForm>
                            <button type="button" class=SECONDARY on:click=move |_| confirm.set(None)>"Cancel"</button>
                        </div>
                    </div>
                })}
            </section>
        </div>
    }
}
