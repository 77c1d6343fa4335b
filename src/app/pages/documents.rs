//! Documents: list and search, view, write and edit with a live preview,
//! revisions, and the trash.

use crate::app::components::style::LINK;
use crate::app::components::{loaded::Loaded, pager::Pager, time::LocalTime};
use crate::{
    api::documents::{
        get_document, get_revision, list_documents, list_revisions, preview_markdown,
        search_documents, CreateDocument, DeleteDocument, PurgeDocument, RestoreDocument,
        RestoreRevision, UpdateDocument,
    },
    app::components::form::{field_error, form_error, Field, FormError},
    app::components::style::{BUTTON, DANGER, INPUT, SECONDARY},
    domain::{
        document::{snippet_runs, DocumentView},
        text::DocumentTitle,
    },
    error::AppError,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

pub(crate) use crate::error::answer_page_with as set_status;

pub(crate) fn param_id() -> Memo<i64> {
    let params = use_params_map();
    Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    })
}

#[component]
pub fn DocumentsPage() -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let sort = Memo::new(move |_| query.read().get("sort").unwrap_or_else(|| "updated".into()));
    let page = Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
    });
    let per_page = Memo::new(move |_| {
        crate::domain::document::page_size(
            query
                .read()
                .get("per_page")
                .and_then(|p| p.parse::<u32>().ok()),
        )
    });
    // One space, or (absent) every space the person can read.
    let space = Memo::new(move |_| {
        query
            .read()
            .get("space")
            .and_then(|s| s.parse::<i64>().ok())
    });
    let docs = Resource::new(
        move || (sort.get(), page.get(), per_page.get(), space.get()),
        |(sort, page, per_page, space)| list_documents(sort, page, Some(per_page), false, space),
    );
    let hits = Resource::new(
        move || (q.get(), space.get()),
        |(q, space)| async move {
            if q.trim().is_empty() {
                Ok(None)
            } else {
                search_documents(q, space).await.map(Some)
            }
        },
    );
    view! {
        <Title text="Documents" />
        <div class="py-8">
            <div class="flex flex-wrap items-center justify-between gap-4">
                <h1 class="text-2xl font-semibold tracking-tight">"Documents"</h1>
                <div class="flex gap-2">
                    <a href="/documents/trash" class=SECONDARY>"Trash"</a>
                    <a href="/documents/upload" class=SECONDARY>"Upload"</a>
                    <a href="/documents/new" class=BUTTON>"New document"</a>
                </div>
            </div>
            <div class="mt-6 flex flex-wrap items-end gap-4">
                <form method="get" action="/documents" role="search" class="flex flex-1 gap-2">
                    <label for="doc-search" class="sr-only">"Search documents"</label>
                    // `value`, not `prop:value`: hydration must not wipe what someone typed while
                    // the page was loading.
                    <input id="doc-search" type="search" name="q" placeholder="Search your documents" value=q.get_untracked() class=INPUT />
                    {move || space.get().map(|id| view! { <input type="hidden" name="space" value=id /> })}
                    <button type="submit" class=SECONDARY>"Search"</button>
                </form>
                <SpaceFilter space=space q=q action="/documents" />
            </div>
            <Loaded resource=hits keep=true let:found>
                {match found {
                    Some(hits) => view! { <SearchResults hits=hits q=q.get_untracked() /> }.into_any(),
                    None => view! { <DocumentList docs=docs sort=sort space=space /> }.into_any(),
                }}
            </Loaded>
        </div>
    }
}

#[component]
fn SearchResults(hits: Vec<crate::domain::document::SearchHit>, q: String) -> impl IntoView {
    let count = hits.len();
    view! {
        <section aria-label="Search results" class="mt-6">
            <p class="text-sm text-slate-600 dark:text-slate-400">
                {format!("{count} result{} for “{q}”. ", if count == 1 { "" } else { "s" })}
                <a href="/documents" class=LINK>"Show all documents"</a>
            </p>
            <ul class="mt-4 space-y-3">
                {hits
                    .into_iter()
                    .map(|h| {
                        view! {
                            <li class="rounded-lg border border-slate-200 p-4 dark:border-slate-800">
                                <a href=format!("/documents/{}", h.id) class=LINK>
                                    {h.title}
                                </a>
                                <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
                                    {snippet_runs(&h.snippet)
                                        .into_iter()
                                        .map(|(text, hit)| if hit {
                                            view! { <mark class="rounded bg-yellow-200 px-0.5 dark:bg-yellow-700">{text}</mark> }.into_any()
                                        } else {
                                            text.into_any()
                                        })
                                        .collect_view()}
                                </p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

/// Choose one space to list and search, or all of them. A plain GET form: it
/// works before (and without) the WASM bundle.
#[component]
fn SpaceFilter(
    space: Memo<Option<i64>>,
    q: Memo<String>,
    /// The page it filters: the documents or the trash.
    action: &'static str,
) -> impl IntoView {
    use crate::api::spaces::list_spaces;
    let spaces = Resource::new(|| (), |_| list_spaces());
    view! {
        <form method="get" action=action class="flex items-center gap-2 text-sm">
            {move || (!q.get().is_empty()).then(|| view! { <input type="hidden" name="q" value=q.get() /> })}
            <label for="space-filter" class="font-medium">"Space"</label>
            <Transition fallback=|| view! { <select id="space-filter" name="space" class=INPUT disabled=true><option>"All spaces"</option></select> }>
                {move || Suspend::new(async move {
                    let list = spaces.await.unwrap_or_default();
                    let current = space.get_untracked();
                    view! {
                        <select id="space-filter" name="space" class=INPUT>
                            <option value="" selected=current.is_none()>"All spaces"</option>
                            {list.into_iter().map(|s| view! {
                                <option value=s.id selected=current == Some(s.id)>{s.name}</option>
                            }).collect_view()}
                        </select>
                    }
                })}
            </Transition>
            <button type="submit" class=SECONDARY>"Filter"</button>
        </form>
    }
}

#[component]
fn DocumentList(
    docs: Resource<Result<crate::domain::document::DocumentPage, AppError>>,
    sort: Memo<String>,
    space: Memo<Option<i64>>,
) -> impl IntoView {
    // Links keep the chosen space.
    let in_space = move || {
        space
            .get_untracked()
            .map(|id| format!("&space={id}"))
            .unwrap_or_default()
    };
    view! {
        <Loaded resource=docs let:page>
                {match page {
                    page if page.total == 0 && space.get_untracked().is_some() => view! {
                        <p class="mt-10 text-center text-sm text-slate-600 dark:text-slate-400">
                            "No documents in this space yet. "
                            <a href="/documents" class=LINK>"Show all documents"</a>
                        </p>
                    }.into_any(),
                    page if page.total == 0 => view! {
                        <div class="mt-10 rounded-lg border border-dashed border-slate-300 p-10 text-center dark:border-slate-700">
                            <h2 class="text-lg font-medium">"No documents yet"</h2>
                            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                                "Write your first note in Markdown. You can search it, revise it and ask questions about it later."
                            </p>
                            <a href="/documents/new" class=format!("mt-4 {BUTTON}")>"Write a document"</a>
                        </div>
                    }.into_any(),
                    page => {
                        let pages = page.pages();
                        let current = page.page;
                        let s = sort.get_untracked();
                        let size = page.per_page;
                        // Page links keep the chosen size; the default one stays out of the URL.
                        let sized = if size == crate::domain::document::PAGE_SIZE {
                            String::new()
                        } else {
                            format!("&per_page={size}")
                        };
                        let s2 = s.clone();
                        let sp = in_space();
                        let sp2 = sp.clone();
                        view! {
                            <nav aria-label="Sort" class="mt-6 flex gap-3 text-sm">
                                "Sort by: "
                                <a href=format!("/documents?sort=updated{sp}") aria-current=(s != "title").then_some("true") class="aria-[current=true]:font-semibold hover:underline">"Last updated"</a>
                                <a href=format!("/documents?sort=title{sp}") aria-current=(s == "title").then_some("true") class="aria-[current=true]:font-semibold hover:underline">"Title"</a>
                            </nav>
                            <ul class="mt-4 divide-y divide-slate-200 rounded-lg border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
                                {page.items.into_iter().map(|d| view! {
                                    <li class="p-4">
                                        <a href=format!("/documents/{}", d.id) class=LINK>{d.title}</a>
                                        <p class="mt-1 line-clamp-2 text-sm text-slate-600 dark:text-slate-400">{d.excerpt}</p>
                                        <p class="mt-1 text-xs text-slate-600 dark:text-slate-400">"Updated " <LocalTime at=d.updated_at /></p>
                                    </li>
                                }).collect_view()}
                            </ul>
                            <Pager current=current pages=pages total=page.total noun="documents" href=move |n| format!("/documents?sort={s2}&page={n}{sized}{sp2}") />
                            // A plain GET form: works before (and without) the WASM bundle.
                            <form method="get" action="/documents" class="mt-3 flex items-center justify-end gap-2 text-sm">
                                <input type="hidden" name="sort" value=s.clone() />
                                {space.get_untracked().map(|id| view! { <input type="hidden" name="space" value=id /> })}
                                <label for="per-page">"Documents per page"</label>
                                <select id="per-page" name="per_page" class="rounded-md border border-slate-300 bg-white px-2 py-1 dark:border-slate-700 dark:bg-slate-900">
                                    {crate::domain::document::PAGE_SIZES.into_iter().map(|n| view! {
                                        <option value=n.to_string() selected={n == size}>{n.to_string()}</option>
                                    }).collect_view()}
                                </select>
                                <button type="submit" class=SECONDARY>"Show"</button>
                            </form>
                        }.into_any()
                    }
                }}
        </Loaded>
    }
}

/// Title and Markdown fields with a live preview rendered by the server.
#[component]
fn Editor(
    title: String,
    body: String,
    title_error: Signal<Option<String>>,
    body_error: Signal<Option<String>>,
) -> impl IntoView {
    let text = RwSignal::new(body.clone());
    let settled = RwSignal::new(body.clone());
    // Ask for a preview half a second after typing stops.
    let on_input = move |value: String| {
        text.set(value.clone());
        set_timeout(
            // The editor may be gone by then (the person saved or left).
            move || {
                if text.try_get_untracked().as_ref() == Some(&value) {
                    let _ = settled.try_set(value);
                }
            },
            std::time::Duration::from_millis(500),
        );
    };
    let preview = Resource::new(move || settled.get(), preview_markdown);
    view! {
        <Field label="Title" name="title" value=title error=title_error
            check=|s: &str| DocumentTitle::parse(s).err() />
        <div class="grid gap-4 lg:grid-cols-2">
            <Field label="Text (Markdown)" name="body" value=body error=body_error
                rows=18 monospace=true on_input=on_input />
            <section aria-label="Preview" class="space-y-1">
                <h2 class="text-sm font-medium">"Preview"</h2>
                <Transition fallback=|| view! { <p class="text-sm">"Rendering…"</p> }>
                    {move || Suspend::new(async move {
                        let html = preview.await.unwrap_or_default();
                        view! { <div class="markdown min-h-40 rounded-md border border-slate-200 p-4 dark:border-slate-800" inner_html=html></div> }
                    })}
                </Transition>
            </section>
        </div>
    }
}

#[component]
pub fn NewDocumentPage() -> impl IntoView {
    let action = ServerAction::<CreateDocument>::new();
    let value = Signal::derive(move || action.value().get().map(|r| r.map(|_| ())));
    view! {
        <Title text="New document" />
        <div class="py-8">
            <h1 class="text-2xl font-semibold tracking-tight">"New document"</h1>
            <ActionForm action=action>
                <div class="mt-6 space-y-4">
                    <Editor title=String::new() body=String::new()
                        title_error=field_error(value, "title") body_error=field_error(value, "body") />
                    <FormError error=form_error(value) />
                    <div class="flex gap-2">
                        <button type="submit" class=BUTTON>{move || if action.pending().get() { "Saving…" } else { "Save document" }}</button>
                        <a href="/documents" class=SECONDARY>"Cancel"</a>
                    </div>
                </div>
            </ActionForm>
        </div>
    }
}

/// Who else has this document open in the editor, heard every 20 seconds.
#[component]
fn Presence(id: i64) -> impl IntoView {
    use crate::api::documents::document_presence;
    let beat = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || beat.update(|b| *b += 1),
            std::time::Duration::from_secs(20),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    let others = Resource::new(move || beat.get(), move |_| document_presence(id));
    view! {
        <p role="status" class="mt-2 min-h-5 text-sm text-amber-800 dark:text-amber-300">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let names = others.await.unwrap_or_default();
                    match names.len() {
                        0 => String::new(),
                        1 => format!("{} also has this document open. If you both save, the second save is stopped and keeps its text for you to merge.", names[0]),
                        _ => format!("{} also have this document open. If you both save, the second save is stopped and keeps its text for you to merge.", names.join(", ")),
                    }
                })}
            </Transition>
        </p>
    }
}

#[component]
pub fn EditDocumentPage() -> impl IntoView {
    let id = param_id();
    let doc = Resource::new(move || id.get(), get_document);
    let action = ServerAction::<UpdateDocument>::new();
    let value = Signal::derive(move || action.value().get().map(|r| r.map(|_| ())));
    view! {
        <Title text="Edit document" />
        <div class="py-8">
            <h1 class="text-2xl font-semibold tracking-tight">"Edit document"</h1>
            <Loaded resource=doc let:d>
                {if !d.can_edit {
                    view! {
                        <p class="mt-6 text-sm">
                            "You can read this document but not edit it: you are a viewer of its space. "
                            <a href=format!("/documents/{}", d.id) class=LINK>"Back to the document"</a>
                        </p>
                    }.into_any()
                } else {
                    view! {
                        <Presence id=d.id />
                        <ActionForm action=action>
                            <div class="mt-6 space-y-4">
                                <input type="hidden" name="id" value=d.id />
                                <input type="hidden" name="version" value=d.version />
                                <Editor title=d.title body=d.body
                                    title_error=field_error(value, "title") body_error=field_error(value, "body") />
                                <FormError error=form_error(value) />
                                <div class="flex gap-2">
                                    <button type="submit" class=BUTTON>{move || if action.pending().get() { "Saving…" } else { "Save changes" }}</button>
                                    <a href=format!("/documents/{}", d.id) class=SECONDARY>"Cancel"</a>
                                </div>
                            </div>
                        </ActionForm>
                    }.into_any()
                }}
            </Loaded>
        </div>
    }
}

#[component]
fn Rendered(doc: DocumentView) -> impl IntoView {
    view! {
        <article class="markdown mt-6" inner_html=doc.html></article>
    }
}

#[component]
pub fn DocumentPage() -> impl IntoView {
    let id = param_id();
    let restore = ServerAction::<RestoreRevision>::new();
    let delete = ServerAction::<DeleteDocument>::new();
    let doc = Resource::new(
        move || (id.get(), restore.version().get()),
        |(id, _)| get_document(id),
    );
    let revisions = Resource::new(
        move || (id.get(), restore.version().get()),
        |(id, _)| list_revisions(id),
    );
    let confirm = RwSignal::new(false);
    view! {
        <div class="py-8">
            <Suspense fallback=|| view! { <p class="text-sm">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match doc.await {
                        Ok(d) => {
                            let id = d.id;
                            let version = d.version;
                            let can_edit = d.can_edit;
                            view! {
                                <Title text=d.title.clone() />
                                <div class="flex flex-wrap items-start justify-between gap-4">
                                    <div>
                                        <h1 class="text-3xl font-semibold tracking-tight">{d.title.clone()}</h1>
                                        <p class="mt-1 text-xs text-slate-600 dark:text-slate-400">
                                            {format!("Version {} · updated ", d.version)}<LocalTime at=d.updated_at />
                                            {(!can_edit).then_some(" · read only")}
                                        </p>
                                        <p class="mt-1 text-xs text-slate-600 dark:text-slate-400">
                                            "In " <a href=format!("/spaces/{}", d.space_id) class=LINK>{d.space_name.clone()}</a>
                                            {d.created_by.clone().map(|a| format!(" · created by {a}"))}
                                        </p>
                                    </div>
                                    {can_edit.then(|| view! {
                                        <div class="flex gap-2">
                                            <a href=format!("/documents/{id}/edit") class=SECONDARY>"Edit"</a>
                                            <button type="button" class=SECONDARY on:click=move |_| confirm.set(true)>"Move to trash"</button>
                                        </div>
                                    })}
                                </div>
                                <Show when=move || confirm.get()>
                                    <div role="alertdialog" aria-labelledby="confirm-title" class="mt-4 rounded-md border border-red-200 bg-red-50 p-4 dark:border-red-900 dark:bg-red-950">
                                        <p id="confirm-title" class="text-sm">"Move this document to the trash? You can restore it from the trash for 30 days."</p>
                                        <div class="mt-3 flex gap-2">
                                            <ActionForm action=delete>
                                                <input type="hidden" name="id" value=id />
                                                <button type="submit" class=DANGER>"Yes, move to trash"</button>
                                            </ActionForm>
                                            <button type="button" class=SECONDARY on:click=move |_| confirm.set(false)>"Keep it"</button>
                                        </div>
                                    </div>
                                </Show>
                                <Rendered doc=d />
                                {can_edit.then(|| view! {
                                    <super::spaces::MoveTo id=id />
                                    <super::share_links::ShareLinks id=id />
                                })}
                                <section aria-labelledby="revisions-heading" class="mt-10">
                                    <h2 id="revisions-heading" class="text-lg font-semibold">"Revisions"</h2>
                                    <Transition fallback=|| ()>
                                        {move || Suspend::new(async move {
                                            let revs = revisions.await.unwrap_or_default();
                                            if revs.is_empty() {
                                                view! { <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">"No earlier versions yet: each save keeps the one it replaces."</p> }.into_any()
                                            } else {
                                                view! {
                                                    <ul class="mt-2 divide-y divide-slate-200 text-sm dark:divide-slate-800">
                                                        {revs.into_iter().map(|r| view! {
                                                            <li class="flex flex-wrap items-center justify-between gap-2 py-2">
                                                                <span>{format!("Version {} · ", r.version)}<LocalTime at=r.created_at />{format!(" · {} bytes ({:+})", r.size, r.size_change)}</span>
                                                                <span class="flex gap-2">
                                                                    <a class=SECONDARY href=format!("/documents/{id}/revisions/{}", r.version) aria-label=format!("View version {}", r.version)>"View"</a>
                                                                    {can_edit.then(|| view! {
                                                                        <ActionForm action=restore>
                                                                            <input type="hidden" name="id" value=id />
                                                                            <input type="hidden" name="version" value=r.version />
                                                                            <input type="hidden" name="base_version" value=version />
                                                                            <button type="submit" class=SECONDARY aria-label=format!("Restore version {}", r.version)>"Restore"</button>
                                                                        </ActionForm>
                                                                    })}
                                                                </span>
                                                            </li>
                                                        }).collect_view()}
                                                    </ul>
                                                }.into_any()
                                            }
                                        })}
                                    </Transition>
                                    <FormError error=Signal::derive(move || restore.value().get().and_then(|r| r.err()).and_then(|e| e.for_form())) />
                                </section>
                            }.into_any()
                        }
                        Err(e) => {
                            set_status(&e);
                            view! {
                            <Title text="Document not found" />
                            <h1 class="text-2xl font-semibold">"Document not found"</h1>
                            <p class="mt-2 text-sm">{e.to_string()} " " <a href="/documents" class=LINK>"Back to your documents"</a></p>
                        }.into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
pub fn RevisionPage() -> impl IntoView {
    let id = param_id();
    let params = use_params_map();
    let version = Memo::new(move |_| {
        params
            .read()
            .get("version")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    });
    let rev = Resource::new(
        move || (id.get(), version.get()),
        |(id, v)| get_revision(id, v),
    );
    view! {
        <div class="py-8">
            <Suspense fallback=|| view! { <p class="text-sm">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match rev.await {
                        Ok(r) => view! {
                            <Title text=format!("{} (version {})", r.title, r.version) />
                            <p class="text-sm"><a href=format!("/documents/{}", r.id) class=LINK>"← Current version"</a></p>
                            <h1 class="mt-2 text-3xl font-semibold tracking-tight">{r.title.clone()}</h1>
                            <p class="mt-1 text-xs text-slate-600 dark:text-slate-400">{format!("Version {} · saved ", r.version)}<LocalTime at=r.updated_at /></p>
                            <Rendered doc=r />
                        }.into_any(),
                        Err(e) => {
                            set_status(&e);
                            view! { <p role="alert">{e.to_string()}</p> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
pub fn TrashPage() -> impl IntoView {
    let restore = ServerAction::<RestoreDocument>::new();
    let purge = ServerAction::<PurgeDocument>::new();
    let query = use_query_map();
    // One space's trash, or (absent) that of every space the person may restore in.
    let space = Memo::new(move |_| {
        query
            .read()
            .get("space")
            .and_then(|s| s.parse::<i64>().ok())
    });
    let page_no = Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
    });
    let no_search = Memo::new(|_| String::new());
    let docs = Resource::new(
        move || {
            (
                restore.version().get(),
                purge.version().get(),
                space.get(),
                page_no.get(),
            )
        },
        |(_, _, space, page)| list_documents("updated".into(), page, None, true, space),
    );
    view! {
        <Title text="Trash" />
        <div class="py-8">
            <div class="flex flex-wrap items-end justify-between gap-4">
                <div>
                    <h1 class="text-2xl font-semibold tracking-tight">"Trash"</h1>
                    <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">"Documents here are deleted for good after 30 days."</p>
                </div>
                <SpaceFilter space=space q=no_search action="/documents/trash" />
            </div>
            <Loaded resource=docs keep=true let:page>
                {match page {
                        page if page.items.is_empty() && space.get_untracked().is_some() => view! {
                            <p class="mt-6 text-sm">"Nothing from this space is in the trash. "
                                <a href="/documents/trash" class=LINK>"Show the whole trash"</a></p>
                        }.into_any(),
                        page if page.items.is_empty() => view! { <p class="mt-6 text-sm">"The trash is empty."</p> }.into_any(),
                        page => {
                        let pages = page.pages();
                        let current = page.page;
                        let total = page.total;
                        let sp = space.get_untracked().map(|id| format!("&space={id}")).unwrap_or_default();
                        view! {
                            <ul class="mt-6 divide-y divide-slate-200 rounded-lg border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
                                {page.items.into_iter().map(|d| {
                                    let restore_label = format!("Restore {}", d.title);
                                    let purge_label = format!("Delete {} for good", d.title);
                                    view! {
                                    <li class="flex flex-wrap items-center justify-between gap-2 p-4">
                                        <span class="font-medium">{d.title.clone()}</span>
                                        <span class="flex gap-2">
                                            <ActionForm action=restore>
                                                <input type="hidden" name="id" value=d.id />
                                                <button type="submit" class=SECONDARY aria-label=restore_label>"Restore"</button>
                                            </ActionForm>
                                            <ActionForm action=purge>
                                                <input type="hidden" name="id" value=d.id />
                                                <button type="submit" class=DANGER aria-label=purge_label>"Delete for good"</button>
                                            </ActionForm>
                                        </span>
                                    </li>
                                }}).collect_view()}
                            </ul>
                            <Pager current=current pages=pages total=total noun="documents" href=move |n| format!("/documents/trash?page={n}{sp}") />
                        }.into_any()
                        }
                }}
            </Loaded>
            <p class="mt-6 text-sm"><a href="/documents" class=LINK>"← Back to your documents"</a></p>
        </div>
    }
}

/// Upload a Markdown, text or PDF file. A plain form: it works before the page
/// has hydrated, and the server answers with a redirect.
#[component]
pub fn UploadPage() -> impl IntoView {
    let query = use_query_map();
    // A code from the server's redirect, never text from the URL itself.
    let error = Signal::derive(move || {
        query
            .read()
            .get("error")
            .and_then(|code| crate::domain::notice::FormNotice::parse(&code))
            .map(|n| n.message().to_string())
    });
    view! {
        <Title text="Upload a document" />
        <div class="mx-auto max-w-xl py-8">
            <h1 class="text-2xl font-semibold tracking-tight">"Upload a document"</h1>
            <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
                "Markdown (.md), text (.txt) or PDF (.pdf), up to 10 MB. Text is taken from PDFs on the server."
            </p>
            <form method="post" action="/documents/upload" enctype="multipart/form-data" class="mt-6 space-y-4">
                <div class="space-y-1">
                    <label for="upload-file" class="block text-sm font-medium">"File"</label>
                    <input id="upload-file" type="file" name="file" required=true accept=".md,.markdown,.txt,.pdf"
                        aria-invalid=move || error.get().is_some().then_some("true")
                        aria-describedby=move || error.get().is_some().then_some("upload-file-error")
                        class="block w-full text-sm" />
                    <Show when=move || error.get().is_some()>
                        <p id="upload-file-error" class="text-sm text-red-600 dark:text-red-400">{move || error.get()}</p>
                    </Show>
                </div>
                <Field label="Title (optional)" name="title" optional=true
                    hint="Without one, the file name is used." error=Signal::stored(None::<String>)
                    check=|s: &str| {
                        (!s.trim().is_empty()).then(|| DocumentTitle::parse(s).err()).flatten()
                    } />
                <div class="flex gap-2">
                    <button type="submit" class=BUTTON>"Upload"</button>
                    <a href="/documents" class=SECONDARY>"Cancel"</a>
                </div>
            </form>
        </div>
    }
}
