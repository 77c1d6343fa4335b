//! Share links on a document's page (its editors), a space's setting for them,
//! and the admin console's list with the server-wide switch.

use super::admin::{not_found, AdminNav, TD, TH};
use crate::{
    api::share_links::{
        admin_share_links, share_links, space_share_links, AdminRevokeShareLink, CreateShareLink,
        RevokeShareLink, SetShareLinksEnabled, SetSpaceShareLinks,
    },
    app::components::{
        form::{field_error, form_error, Checkbox, Field, FormError},
        loaded::Loaded,
        style::{DANGER_OUTLINE, INPUT, SECONDARY},
        time::LocalTime,
    },
    domain::share::{password_problem, LinkStatus, ShareLinkView},
};
use leptos::prelude::*;
use leptos_meta::Title;

fn summary(l: &ShareLinkView) -> String {
    let mut parts = vec![l.status.label().to_string()];
    if l.has_password {
        parts.push("password".into());
    }
    parts.push(match l.views {
        1 => "1 view".into(),
        n => format!("{n} views"),
    });
    if let Some(by) = &l.created_by {
        parts.push(format!("made by {by}"));
    }
    parts.join(" · ")
}

/// The share links of one document, for its editors: make one (with an
/// optional password and expiry), see them, revoke them.
#[component]
pub fn ShareLinks(id: i64) -> impl IntoView {
    let create = ServerAction::<CreateShareLink>::new();
    let revoke = ServerAction::<RevokeShareLink>::new();
    let links = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        move |_| share_links(id),
    );
    let value = Signal::derive(move || create.value().get().map(|r| r.map(|_| ())));
    let made = Signal::derive(move || create.value().get().and_then(|r| r.ok()));
    let revoke_value = Signal::derive(move || revoke.value().get());
    view! {
        <section aria-labelledby="share-heading" class="mt-8">
            <h2 id="share-heading" class="text-lg font-semibold">"Share links"</h2>
            <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
                "Anyone with a link can read this document, without an account, until it expires or you revoke it."
            </p>
            <Loaded resource=links keep=true let:list>
                {(!list.is_empty()).then(|| view! {
                    <ul class="mt-3 divide-y divide-slate-200 rounded-lg border border-slate-200 text-sm dark:divide-slate-800 dark:border-slate-800">
                        {list.into_iter().map(|l| {
                            let label = format!("Revoke the link made {}", l.created_at.format("%Y-%m-%d %H:%M"));
                            let active = l.status == LinkStatus::Active;
                            view! {
                                <li class="flex flex-wrap items-center justify-between gap-2 p-3">
                                    <span>
                                        "Made " <LocalTime at=l.created_at />
                                        {l.expires_at.map(|t| view! { ", expires " <LocalTime at=t /> })}
                                        <span class="ml-2 text-xs text-slate-600 dark:text-slate-400">{summary(&l)}</span>
                                    </span>
                                    {active.then(|| view! {
                                        <ActionForm action=revoke>
                                            <input type="hidden" name="link" value=l.id />
                                            <button type="submit" class=DANGER_OUTLINE aria-label=label.clone()>"Revoke"</button>
                                        </ActionForm>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })}
            </Loaded>
            <FormError error=form_error(revoke_value) />
            <ActionForm action=create attr:class="mt-4 space-y-4 max-w-md">
                <input type="hidden" name="id" value=id />
                <FormError error=form_error(value) />
                <Field label="Password" name="password" input_type="password" optional=true
                    autocomplete="new-password" hint="Optional: visitors must enter it. At least 8 characters."
                    error=field_error(value, "password") check=password_problem />
                <div class="space-y-1">
                    <label for="share-expiry" class="block text-sm font-medium">"Expires"</label>
                    <select id="share-expiry" name="expires_in_days" class=format!("{INPUT} max-w-xs")
                        aria-describedby="share-expiry-error">
                        <option value="1">"In a day"</option>
                        <option value="7" selected=true>"In a week"</option>
                        <option value="30">"In 30 days"</option>
                        <option value="0">"Never"</option>
                    </select>
                    <p id="share-expiry-error" class="text-sm text-red-600 dark:text-red-400">
                        {move || field_error(value, "expires_in_days").get()}
                    </p>
                </div>
                <button type="submit" class=SECONDARY>"Make a share link"</button>
            </ActionForm>
            {move || made.get().map(|l| view! {
                <div role="status" class="mt-4 max-w-xl space-y-1">
                    <label for="new-share-link" class="block text-sm font-medium">"The new link: copy it now, it is shown only once"</label>
                    <input id="new-share-link" readonly=true value=l.url class=format!("{INPUT} font-mono") />
                </div>
            })}
        </section>
    }
}

/// A space's share-link setting (its owners).
#[component]
pub fn SpaceShareLinks(space: i64) -> impl IntoView {
    let set = ServerAction::<SetSpaceShareLinks>::new();
    let now = Resource::new(
        move || set.version().get(),
        move |_| space_share_links(space),
    );
    let value = Signal::derive(move || set.value().get());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let allowed = now.await.unwrap_or(false);
                view! {
                    <ActionForm action=set attr:class="mt-6 space-y-3">
                        <input type="hidden" name="space" value=space />
                        <Checkbox id="space-share-links" name="allowed" label="Allow share links"
                            hint="Editors can make public read-only links to this space's documents. Turning this off stops every existing link at once."
                            checked=allowed />
                        <FormError error=form_error(value) />
                        <button type="submit" class=SECONDARY>"Save"</button>
                        {move || matches!(value.get(), Some(Ok(()))).then(|| view! {
                            <span role="status" class="ml-3 text-sm text-emerald-700 dark:text-emerald-400">"Saved."</span>
                        })}
                    </ActionForm>
                }
            })}
        </Transition>
    }
}

#[component]
pub fn AdminShareLinksPage() -> impl IntoView {
    let revoke = ServerAction::<AdminRevokeShareLink>::new();
    let switch = ServerAction::<SetShareLinksEnabled>::new();
    let data = Resource::new(
        move || (revoke.version().get(), switch.version().get()),
        |_| admin_share_links(),
    );
    let switch_value = Signal::derive(move || switch.value().get());
    view! {
        <div class="py-8">
            <Loaded resource=data error=not_found keep=true let:d>
                <Title text="Share links" />
                <h1 class="text-2xl font-semibold tracking-tight">"Share links"</h1>
                <AdminNav />
                <ActionForm action=switch attr:class="mt-6 space-y-3">
                    <Checkbox id="share-links-enabled" name="enabled" label="Allow share links on this server"
                        hint="When off, nobody can make a link and every existing link stops working (they work again when it is turned back on, unless revoked)."
                        checked=d.0 />
                    <FormError error=form_error(switch_value) />
                    <button type="submit" class=SECONDARY>"Save"</button>
                </ActionForm>
                {if d.1.is_empty() {
                    view! { <p class="mt-6 text-sm">"Nobody has made a share link yet."</p> }.into_any()
                } else {
                    view! {
                        <div class="mt-6 overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-800">
                            <table class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                                <caption class="sr-only">"Share links"</caption>
                                <thead><tr>
                                    <th scope="col" class=TH>"Space"</th>
                                    <th scope="col" class=TH>"Document"</th>
                                    <th scope="col" class=TH>"Made"</th>
                                    <th scope="col" class=TH>"Expires"</th>
                                    <th scope="col" class=TH>"State"</th>
                                    <th scope="col" class=TH>"Revoke"</th>
                                </tr></thead>
                                <tbody class="divide-y divide-slate-100 dark:divide-slate-900">
                                    {d.1.into_iter().map(|l| {
                                        let label = format!("Revoke link {}", l.id);
                                        view! {
                                            <tr>
                                                <td class=TD>{l.space_name.clone()}</td>
                                                <td class=TD>{format!("#{}", l.document_id)}</td>
                                                <td class=TD><LocalTime at=l.created_at /></td>
                                                <td class=TD>{match l.expires_at {
                                                    Some(t) => view! { <LocalTime at=t /> }.into_any(),
                                                    None => "never".into_any(),
                                                }}</td>
                                                <td class=TD>{summary(&l)}</td>
                                                <td class=TD>{(l.status == LinkStatus::Active).then(|| view! {
                                                    <ActionForm action=revoke>
                                                        <input type="hidden" name="link" value=l.id />
                                                        <button type="submit" class=DANGER_OUTLINE aria-label=label.clone()>"Revoke"</button>
                                                    </ActionForm>
                                                })}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                }}
            </Loaded>
        </div>
    }
}
