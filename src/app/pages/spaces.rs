//! Spaces: the list of mine with a form to make a shared one; a space's page
//! with its documents and members, where owners add people, change their role
//! and remove them.

use super::documents::param_id;
use crate::{
    api::spaces::{
        get_space, group_names, list_spaces, space_conversations, space_documents, space_members,
        space_people, CreateSpace, DeleteSpace, LeaveSpace, MoveDocument, RemoveSpaceGroup,
        RemoveSpaceMember, SetSpaceGroup, SetSpaceMember, UpdateSpace,
    },
    app::components::{
        form::{field_error, form_error, Field, FormError},
        loaded::Loaded,
        style::{BUTTON, DANGER_OUTLINE, INPUT, LINK, SECONDARY},
        time::LocalTime,
    },
    domain::{
        space::{SpaceKind, SpaceRole},
        text::SpaceName,
    },
};
use leptos::prelude::*;
use leptos_meta::Title;

fn role_label(role: SpaceRole) -> &'static str {
    match role {
        SpaceRole::Viewer => "Viewer",
        SpaceRole::Editor => "Editor",
        SpaceRole::Owner => "Owner",
    }
}

#[component]
pub fn SpacesPage() -> impl IntoView {
    let create = ServerAction::<CreateSpace>::new();
    let spaces = Resource::new(move || create.version().get(), |_| list_spaces());
    let value = Signal::derive(move || create.value().get().map(|r| r.map(|_| ())));
    view! {
        <Title text="Spaces" />
        <div class="mx-auto max-w-3xl py-8">
            <h1 class="text-2xl font-semibold tracking-tight">"Spaces"</h1>
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                "Documents live in spaces. Your personal space is yours alone; a shared space has members, each a viewer (reads and asks the assistant), an editor (also writes) or an owner (also manages members)."
            </p>
            <Loaded resource=spaces keep=true let:list>
                <ul class="mt-6 divide-y divide-slate-200 rounded-lg border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
                    {list.into_iter().map(|s| view! {
                        <li class="flex items-start justify-between gap-4 p-4">
                            <div>
                                <a href=format!("/spaces/{}", s.id) class=LINK>{s.name.clone()}</a>
                                <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">{s.description.clone()}</p>
                            </div>
                            <span class="shrink-0 text-xs text-slate-600 dark:text-slate-400">
                                {match s.kind {
                                    SpaceKind::Personal => "Personal".to_string(),
                                    SpaceKind::Shared => role_label(s.role).to_string(),
                                }}
                            </span>
                        </li>
                    }).collect_view()}
                </ul>
            </Loaded>
            <section aria-labelledby="new-space-heading" class="mt-10">
                <h2 id="new-space-heading" class="text-lg font-semibold">"New shared space"</h2>
                <ActionForm action=create attr:class="mt-3 space-y-4">
                    <FormError error=form_error(value) />
                    <Field label="Name" name="name" error=field_error(value, "name")
                        check=|s: &str| SpaceName::parse(s).err() />
                    <Field label="Description" name="description" optional=true rows=3
                        hint="What the space is for (optional)." error=field_error(value, "description") />
                    <button type="submit" class=BUTTON>
                        {move || if create.pending().get() { "Creating…" } else { "Create space" }}
                    </button>
                </ActionForm>
            </section>
        </div>
    }
}

#[component]
pub fn SpacePage() -> impl IntoView {
    let id = param_id();
    let set = ServerAction::<SetSpaceMember>::new();
    let remove = ServerAction::<RemoveSpaceMember>::new();
    let set_group = ServerAction::<SetSpaceGroup>::new();
    let remove_group = ServerAction::<RemoveSpaceGroup>::new();
    let leave = ServerAction::<LeaveSpace>::new();
    let leave_value = Signal::derive(move || leave.value().get());
    let update = ServerAction::<UpdateSpace>::new();
    let space = Resource::new(
        move || (id.get(), update.version().get()),
        |(id, _)| get_space(id),
    );
    let docs = Resource::new(move || id.get(), space_documents);
    let conversations = Resource::new(move || id.get(), space_conversations);
    let members = Resource::new(
        move || {
            (
                id.get(),
                set.version().get(),
                remove.version().get(),
                set_group.version().get(),
                remove_group.version().get(),
            )
        },
        |(id, ..)| space_members(id),
    );
    let set_value = Signal::derive(move || set.value().get());
    let remove_value = Signal::derive(move || remove.value().get());
    let set_group_value = Signal::derive(move || set_group.value().get());
    let remove_group_value = Signal::derive(move || remove_group.value().get());
    view! {
        <div class="mx-auto max-w-3xl py-8">
            <p class="text-sm"><a href="/spaces" class=LINK>"← All spaces"</a></p>
            <Loaded resource=space keep=true let:s>
                <Title text=s.name.clone() />
                <h1 class="mt-2 text-2xl font-semibold tracking-tight">{s.name.clone()}</h1>
                <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">{s.description.clone()}</p>
                <p class="mt-1 text-xs text-slate-600 dark:text-slate-400">
                    {match s.kind {
                        SpaceKind::Personal => "Your personal space: only you can see it.".to_string(),
                        SpaceKind::Shared => format!("Your role: {}", role_label(s.role)),
                    }}
                </p>
                <section aria-labelledby="space-docs-heading" class="mt-8">
                    <h2 id="space-docs-heading" class="text-lg font-semibold">"Documents"</h2>
                    <Loaded resource=docs let:list>
                        {if list.is_empty() {
                            view! { <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">"No documents here yet."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="mt-3 divide-y divide-slate-200 rounded-lg border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
                                    {list.into_iter().map(|d| view! {
                                        <li class="p-3">
                                            <a href=format!("/documents/{}", d.id) class=LINK>{d.title}</a>
                                            <span class="ml-2 text-xs text-slate-600 dark:text-slate-400">"changed " <LocalTime at=d.updated_at /></span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    </Loaded>
                </section>
                {(s.kind == SpaceKind::Shared).then(|| view! {
                    <section aria-labelledby="space-conversations-heading" class="mt-8">
                        <h2 id="space-conversations-heading" class="text-lg font-semibold">"Conversations shared here"</h2>
                        <Loaded resource=conversations let:list>
                            {if list.is_empty() {
                                view! { <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">"None yet: a member can share one of their conversations with this space from its page."</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="mt-3 divide-y divide-slate-200 rounded-lg border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
                                        {list.into_iter().map(|c| view! {
                                            <li class="p-3">
                                                <a href=format!("/conversations/{}", c.id) class=LINK>{c.title}</a>
                                                <span class="ml-2 text-xs text-slate-600 dark:text-slate-400">{format!("by {} · ", c.by)}<LocalTime at=c.updated_at /></span>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        </Loaded>
                    </section>
                })}
                {(s.kind == SpaceKind::Shared).then(|| {
                    let owner = s.role == SpaceRole::Owner;
                    let space_id = s.id;
                    view! {
                        <section aria-labelledby="members-heading" class="mt-8">
                            <h2 id="members-heading" class="text-lg font-semibold">"Members"</h2>
                            <FormError error=form_error(remove_value) />
                            <FormError error=form_error(remove_group_value) />
                            <Loaded resource=members keep=true let:list>
                                <ul class="mt-3 divide-y divide-slate-200 rounded-lg border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
                                    {list.into_iter().map(|m| {
                                        let name = m.name.clone();
                                        let label = format!("Remove {}", m.name);
                                        view! {
                                            <li class="flex items-center justify-between gap-4 p-3">
                                                <span>
                                                    <span class="font-medium">{m.name.clone()}</span>
                                                    {m.is_group.then(|| view! { <span class="ml-1 text-xs">"(group)"</span> })}
                                                    <span class="ml-2 text-xs text-slate-600 dark:text-slate-400">{role_label(m.role)}</span>
                                                </span>
                                                {owner.then(|| if m.is_group {
                                                    view! {
                                                        <ActionForm action=remove_group>
                                                            <input type="hidden" name="space" value=space_id />
                                                            <input type="hidden" name="group" value=name />
                                                            <button type="submit" class=DANGER_OUTLINE aria-label=label>"Remove"</button>
                                                        </ActionForm>
                                                    }.into_any()
                                                } else {
                                                    view! {
                                                        <ActionForm action=remove>
                                                            <input type="hidden" name="space" value=space_id />
                                                            <input type="hidden" name="username" value=name />
                                                            <button type="submit" class=DANGER_OUTLINE aria-label=label>"Remove"</button>
                                                        </ActionForm>
                                                    }.into_any()
                                                })}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </Loaded>
                            {(!owner).then(|| view! {
                                <ActionForm action=leave attr:class="mt-4">
                                    <input type="hidden" name="space" value=space_id />
                                    <FormError error=form_error(leave_value) />
                                    <button type="submit" class=DANGER_OUTLINE>"Leave this space"</button>
                                </ActionForm>
                            })}
                            {owner.then(|| view! {
                                <MemberForm action=set value=set_value space_id=space_id />
                                <GroupForm action=set_group value=set_group_value space_id=space_id />
                            })}
                        </section>
                        {owner.then(|| view! {
                            <SpaceSettings action=update space_id=space_id name=s.name.clone() description=s.description.clone() />
                        })}
                    }
                })}
            </Loaded>
        </div>
    }
}

/// Add a person to a space, or change their role (owners), with usernames
/// suggested as the owner types.
#[component]
fn MemberForm(
    action: ServerAction<SetSpaceMember>,
    value: Signal<Option<Result<(), crate::error::AppError>>>,
    space_id: i64,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let people = Resource::new(
        move || typed.get(),
        move |t| async move {
            if t.trim().len() < 2 {
                return Vec::new();
            }
            space_people(space_id, t).await.unwrap_or_default()
        },
    );
    view! {
        <ActionForm action=action attr:class="mt-6 space-y-4">
            <h3 class="font-semibold">"Add someone or change their role"</h3>
            <FormError error=form_error(value) />
            <input type="hidden" name="space" value=space_id />
            <Field label="Username" name="username" autocomplete="off" list="people-names"
                hint="Type two letters or more to see matching people."
                on_input=Callback::new(move |t: String| typed.set(t))
                error=field_error(value, "username") />
            <datalist id="people-names">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        people.await.into_iter()
                            .map(|n| view! { <option value=n></option> })
                            .collect_view()
                    })}
                </Transition>
            </datalist>
            <RoleSelect id="member-role" label="Role" value=value explained=true />
            <button type="submit" class=BUTTON>"Save member"</button>
        </ActionForm>
    }
}

/// The role picker of the member and group forms, with the server's error for
/// `role` below it; `explained` adds what each role may do.
#[component]
fn RoleSelect(
    id: &'static str,
    label: &'static str,
    value: Signal<Option<Result<(), crate::error::AppError>>>,
    explained: bool,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let option = move |role: SpaceRole, what: &'static str| {
        let text = if explained {
            format!("{}: {what}", role_label(role))
        } else {
            role_label(role).to_string()
        };
        view! { <option value=role.as_str()>{text}</option> }
    };
    view! {
        <div class="space-y-1">
            <label for=id class="block text-sm font-medium">{label}</label>
            <select id=id name="role" class=format!("{INPUT} max-w-xs") aria-describedby=error_id.clone()>
                {option(SpaceRole::Viewer, "reads, searches, asks the assistant")}
                {option(SpaceRole::Editor, "also writes, moves and trashes documents")}
                {option(SpaceRole::Owner, "also manages members")}
            </select>
            <p id=error_id class="text-sm text-red-600 dark:text-red-400">
                {move || field_error(value, "role").get()}
            </p>
        </div>
    }
}

/// Add a group to a space, or change its role (owners).
#[component]
fn GroupForm(
    action: ServerAction<SetSpaceGroup>,
    value: Signal<Option<Result<(), crate::error::AppError>>>,
    space_id: i64,
) -> impl IntoView {
    let names = Resource::new(|| (), |_| group_names());
    view! {
        <ActionForm action=action attr:class="mt-6 space-y-4">
            <h3 class="font-semibold">"Add a group or change its role"</h3>
            <p class="text-sm text-slate-600 dark:text-slate-400">"Everyone in the group gets at least this role. Administrators manage groups."</p>
            <FormError error=form_error(value) />
            <input type="hidden" name="space" value=space_id />
            <Field label="Group" name="group" autocomplete="off" list="group-names"
                error=field_error(value, "group") />
            <datalist id="group-names">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        names.await.unwrap_or_default().into_iter()
                            .map(|n| view! { <option value=n></option> })
                            .collect_view()
                    })}
                </Transition>
            </datalist>
            <RoleSelect id="group-role" label="Role of the group" value=value explained=false />
            <button type="submit" class=BUTTON>"Save group"</button>
        </ActionForm>
    }
}

/// Rename, describe or delete a shared space (owners).
#[component]
fn SpaceSettings(
    action: ServerAction<UpdateSpace>,
    space_id: i64,
    name: String,
    description: String,
) -> impl IntoView {
    let delete = ServerAction::<DeleteSpace>::new();
    let value = Signal::derive(move || action.value().get());
    let delete_value = Signal::derive(move || delete.value().get());
    let confirming = RwSignal::new(false);
    view! {
        <section aria-labelledby="settings-heading" class="mt-10">
            <h2 id="settings-heading" class="text-lg font-semibold">"Settings"</h2>
            <ActionForm action=action attr:class="mt-3 space-y-4">
                <FormError error=form_error(value) />
                <input type="hidden" name="space" value=space_id />
                <Field label="Name" name="name" value=name error=field_error(value, "name")
                    check=|s: &str| SpaceName::parse(s).err() />
                <Field label="Description" name="description" optional=true rows=3 value=description
                    error=field_error(value, "description") />
                <button type="submit" class=SECONDARY>"Save settings"</button>
                {move || matches!(value.get(), Some(Ok(()))).then(|| view! {
                    <span role="status" class="ml-3 text-sm text-emerald-700 dark:text-emerald-400">"Saved."</span>
                })}
            </ActionForm>
            <super::share_links::SpaceShareLinks space=space_id />
            <ActionForm action=delete attr:class="mt-6 space-y-2">
                <input type="hidden" name="space" value=space_id />
                <FormError error=form_error(delete_value) />
                <Show
                    when=move || confirming.get()
                    fallback=move || view! {
                        <button type="button" class=DANGER_OUTLINE on:click=move |_| confirming.set(true)>"Delete this space…"</button>
                    }
                >
                    <p class="text-sm">"Delete this space for everyone? Only an empty space can be deleted."</p>
                    <button type="submit" class=DANGER_OUTLINE>"Yes, delete the space"</button>
                    <button type="button" class="ml-2 text-sm underline" on:click=move |_| confirming.set(false)>"Keep it"</button>
                </Show>
            </ActionForm>
        </section>
    }
}

/// "Move to…" on a document's page: the spaces where the person may write.
#[component]
pub fn MoveTo(id: i64) -> impl IntoView {
    let act = ServerAction::<MoveDocument>::new();
    let spaces = Resource::new(|| (), |_| list_spaces());
    let value = Signal::derive(move || act.value().get());
    view! {
        <section aria-labelledby="move-heading" class="mt-8">
            <h2 id="move-heading" class="text-lg font-semibold">"Space"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let writable: Vec<_> = spaces
                        .await
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|s| s.role >= SpaceRole::Editor)
                        .collect();
                    view! {
                        <ActionForm action=act attr:class="mt-2 flex flex-wrap items-end gap-2">
                            <input type="hidden" name="id" value=id />
                            <div class="space-y-1">
                                <label for="move-space" class="block text-sm font-medium">"Move to"</label>
                                <select id="move-space" name="space" class=INPUT>
                                    {writable.into_iter().map(|s| view! {
                                        <option value=s.id>{s.name}</option>
                                    }).collect_view()}
                                </select>
                            </div>
                            <button type="submit" class=SECONDARY>"Move"</button>
                        </ActionForm>
                    }
                })}
            </Transition>
            <FormError error=form_error(value) />
            {move || matches!(value.get(), Some(Ok(()))).then(|| view! {
                <p role="status" class="mt-2 text-sm text-emerald-700 dark:text-emerald-400">"Moved."</p>
            })}
        </section>
    }
}
