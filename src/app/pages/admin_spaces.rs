//! The admin console's groups and spaces: make groups and put people in them,
//! see every shared space with its owners and size, choose who may create
//! spaces. The server answers 404 to anyone who is not an administrator.

use super::admin::{not_found, AdminNav, TD, TH};
use super::documents::param_id;
use crate::{
    api::spaces::{
        admin_group, admin_groups, admin_spaces, space_creation_policy, AddGroupMember,
        CreateGroup, DeleteGroup, RemoveGroupMember, SetSpaceCreation,
    },
    app::components::{
        form::{field_error, form_error, Field, FormError},
        loaded::Loaded,
        style::{BUTTON, DANGER_OUTLINE, LINK, SECONDARY},
        time::LocalTime,
    },
    domain::{
        space::{MembershipSource, SpaceCreation, SpaceRole},
        text::GroupName,
    },
};
use leptos::prelude::*;
use leptos_meta::Title;

fn source_label(s: MembershipSource) -> &'static str {
    match s {
        MembershipSource::Local => "Motto",
        MembershipSource::External => "Identity provider",
    }
}

#[component]
pub fn AdminGroupsPage() -> impl IntoView {
    let create = ServerAction::<CreateGroup>::new();
    let groups = Resource::new(move || create.version().get(), |_| admin_groups());
    let value = Signal::derive(move || create.value().get().map(|r| r.map(|_| ())));
    view! {
        <div class="py-8">
            <Loaded resource=groups error=not_found keep=true let:list>
                <Title text="Groups" />
                <h1 class="text-2xl font-semibold tracking-tight">"Groups"</h1>
                <AdminNav />
                <p class="mt-4 max-w-2xl text-sm text-slate-600 dark:text-slate-400">
                    "A group can be a member of a space with a role: everyone in it gets that role there. Groups that come from the identity provider are kept in step at each sign-in."
                </p>
                {if list.is_empty() {
                    view! { <p class="mt-6 text-sm">"No groups yet."</p> }.into_any()
                } else {
                    view! {
                        <div class="mt-4 overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-800">
                            <table class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                                <caption class="sr-only">"Groups"</caption>
                                <thead><tr>
                                    <th scope="col" class=TH>"Name"</th>
                                    <th scope="col" class=TH>"Managed by"</th>
                                    <th scope="col" class=TH>"People"</th>
                                    <th scope="col" class=TH>"Spaces"</th>
                                </tr></thead>
                                <tbody class="divide-y divide-slate-100 dark:divide-slate-900">
                                    {list.into_iter().map(|g| view! {
                                        <tr>
                                            <td class=TD><a class=LINK href=format!("/admin/groups/{}", g.id)>{g.name}</a></td>
                                            <td class=TD>{source_label(g.source)}</td>
                                            <td class=TD>{g.members}</td>
                                            <td class=TD>{g.spaces}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                }}
                <section aria-labelledby="new-group-heading" class="mt-10 max-w-md">
                    <h2 id="new-group-heading" class="text-lg font-semibold">"New group"</h2>
                    <ActionForm action=create attr:class="mt-3 space-y-4">
                        <FormError error=form_error(value) />
                        <Field label="Name" name="name" error=field_error(value, "name")
                            check=|s: &str| GroupName::parse(s).err() />
                        <button type="submit" class=BUTTON>"Create group"</button>
                    </ActionForm>
                </section>
            </Loaded>
        </div>
    }
}

#[component]
pub fn AdminGroupPage() -> impl IntoView {
    let id = param_id();
    let add = ServerAction::<AddGroupMember>::new();
    let remove = ServerAction::<RemoveGroupMember>::new();
    let delete = ServerAction::<DeleteGroup>::new();
    let group = Resource::new(
        move || (id.get(), add.version().get(), remove.version().get()),
        |(id, ..)| admin_group(id),
    );
    let add_value = Signal::derive(move || add.value().get());
    let remove_value = Signal::derive(move || remove.value().get());
    let delete_value = Signal::derive(move || delete.value().get());
    let confirming = RwSignal::new(false);
    view! {
        <div class="py-8">
            <Loaded resource=group error=not_found keep=true let:d>
                <Title text=d.group.name.clone() />
                <p class="text-sm"><a href="/admin/groups" class=LINK>"← All groups"</a></p>
                <h1 class="mt-2 text-2xl font-semibold tracking-tight">{d.group.name.clone()}</h1>
                <AdminNav />
                <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                    {format!("Managed by {}.", source_label(d.group.source))}
                </p>
                <section aria-labelledby="people-heading" class="mt-8">
                    <h2 id="people-heading" class="text-lg font-semibold">"People"</h2>
                    <FormError error=form_error(remove_value) />
                    {if d.members.is_empty() {
                        view! { <p class="mt-2 text-sm">"Nobody is in this group yet."</p> }.into_any()
                    } else {
                        let group_id = d.group.id;
                        view! {
                            <ul class="mt-3 divide-y divide-slate-200 rounded-lg border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
                                {d.members.into_iter().map(|m| {
                                    let label = format!("Remove {} from the group", m.username);
                                    view! {
                                        <li class="flex items-center justify-between gap-4 p-3">
                                            <span>
                                                <span class="font-medium">{m.username.clone()}</span>
                                                {(m.source == MembershipSource::External).then(|| view! {
                                                    <span class="ml-2 text-xs text-slate-600 dark:text-slate-400">"from the identity provider"</span>
                                                })}
                                            </span>
                                            {(m.source == MembershipSource::Local).then(|| view! {
                                                <ActionForm action=remove>
                                                    <input type="hidden" name="group" value=group_id />
                                                    <input type="hidden" name="username" value=m.username.clone() />
                                                    <button type="submit" class=DANGER_OUTLINE aria-label=label.clone()>"Remove"</button>
                                                </ActionForm>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                    <ActionForm action=add attr:class="mt-4 max-w-md space-y-4">
                        <FormError error=form_error(add_value) />
                        <input type="hidden" name="group" value=d.group.id />
                        <Field label="Add a person (username)" name="username" autocomplete="off"
                            error=field_error(add_value, "username") />
                        <button type="submit" class=BUTTON>"Add to group"</button>
                    </ActionForm>
                </section>
                <section aria-labelledby="group-spaces-heading" class="mt-8">
                    <h2 id="group-spaces-heading" class="text-lg font-semibold">"Spaces"</h2>
                    {if d.spaces.is_empty() {
                        view! { <p class="mt-2 text-sm">"This group is not a member of any space. A space's owners add it on the space's page."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="mt-2 list-disc pl-6 text-sm">
                                {d.spaces.into_iter().map(|(name, role)| view! {
                                    <li>{format!("{name}: {}", match role {
                                        SpaceRole::Viewer => "viewer",
                                        SpaceRole::Editor => "editor",
                                        SpaceRole::Owner => "owner",
                                    })}</li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </section>
                <ActionForm action=delete attr:class="mt-10 space-y-2">
                    <input type="hidden" name="id" value=d.group.id />
                    <FormError error=form_error(delete_value) />
                    <Show
                        when=move || confirming.get()
                        fallback=move || view! {
                            <button type="button" class=DANGER_OUTLINE on:click=move |_| confirming.set(true)>"Delete this group…"</button>
                        }
                    >
                        <p class="text-sm">"Delete the group? Its people lose the access it gave them at once."</p>
                        <button type="submit" class=DANGER_OUTLINE>"Yes, delete the group"</button>
                        <button type="button" class="ml-2 text-sm underline" on:click=move |_| confirming.set(false)>"Keep it"</button>
                    </Show>
                </ActionForm>
            </Loaded>
        </div>
    }
}

#[component]
pub fn AdminSpacesPage() -> impl IntoView {
    let spaces = Resource::new(|| (), |_| admin_spaces());
    view! {
        <div class="py-8">
            <Loaded resource=spaces error=not_found let:list>
                <Title text="Spaces" />
                <h1 class="text-2xl font-semibold tracking-tight">"Spaces"</h1>
                <AdminNav />
                <p class="mt-4 max-w-2xl text-sm text-slate-600 dark:text-slate-400">
                    "Shared spaces. Administrators see their owners and size here; reading a space's documents needs membership, like anyone's. Personal spaces are not listed."
                </p>
                {if list.is_empty() {
                    view! { <p class="mt-6 text-sm">"No shared spaces yet."</p> }.into_any()
                } else {
                    view! {
                        <div class="mt-4 overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-800">
                            <table class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                                <caption class="sr-only">"Shared spaces"</caption>
                                <thead><tr>
                                    <th scope="col" class=TH>"Name"</th>
                                    <th scope="col" class=TH>"Owners"</th>
                                    <th scope="col" class=TH>"Members"</th>
                                    <th scope="col" class=TH>"Documents"</th>
                                    <th scope="col" class=TH>"Created"</th>
                                </tr></thead>
                                <tbody class="divide-y divide-slate-100 dark:divide-slate-900">
                                    {list.into_iter().map(|s| view! {
                                        <tr>
                                            <td class=TD>{s.name}</td>
                                            <td class=TD>{if s.owners.is_empty() { "none (groups only)".to_string() } else { s.owners.join(", ") }}</td>
                                            <td class=TD>{s.members}</td>
                                            <td class=TD>{s.documents}</td>
                                            <td class=TD><LocalTime at=s.created_at /></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                }}
                <CreationSetting />
            </Loaded>
        </div>
    }
}

/// Who may create shared spaces.
#[component]
fn CreationSetting() -> impl IntoView {
    let set = ServerAction::<SetSpaceCreation>::new();
    let current = Resource::new(move || set.version().get(), |_| space_creation_policy());
    let value = Signal::derive(move || set.value().get());
    view! {
        <section aria-labelledby="space-creation-heading" class="mt-10">
            <h2 id="space-creation-heading" class="text-lg font-semibold">"Who may create shared spaces"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let now = current.await.unwrap_or_default();
                    view! {
                        <ActionForm action=set attr:class="mt-3 space-y-3">
                            <fieldset>
                                <legend class="sr-only">"Who may create shared spaces"</legend>
                                {[(SpaceCreation::Everyone, "Everyone with an account"), (SpaceCreation::Admins, "Administrators only")]
                                    .into_iter()
                                    .map(|(p, label)| {
                                        let id = format!("space-creation-{}", p.as_str());
                                        view! {
                                            <div class="flex items-center gap-2 text-sm">
                                                <input type="radio" id=id.clone() name="allowed" value=p.as_str() checked=now == p class="h-4 w-4" />
                                                <label for=id>{label}</label>
                                            </div>
                                        }
                                    })
                                    .collect_view()}
                            </fieldset>
                            <p class="text-sm text-red-600 dark:text-red-400">{move || field_error(value, "allowed").get()}</p>
                            <button type="submit" class=SECONDARY>"Save"</button>
                            {move || matches!(value.get(), Some(Ok(()))).then(|| view! { <span role="status" class="ml-3 text-sm text-emerald-700 dark:text-emerald-400">"Saved."</span> })}
                        </ActionForm>
                    }
                })}
            </Suspense>
        </section>
    }
}
