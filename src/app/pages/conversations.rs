//! Conversations: the list (with search), a new conversation (optionally limited to
//! some documents), the conversation itself with its streaming composer, and the
//! trash.

use super::documents::{param_id, set_status};
use crate::app::components::style::LINK;
use crate::app::components::style::{BUTTON, DANGER, INPUT, SECONDARY};
use crate::app::components::{loaded::Loaded, pager::Pager, time::LocalTime};
use crate::{
    api::conversations::{
        document_choices, get_conversation, list_conversations, stop_reply, CreateConversation,
        DeleteConversation, PurgeConversation, RenameConversation, RestoreConversation,
        ShareConversation, UnshareConversation,
    },
    app::components::form::{field_error, form_error, FormError},
    domain::conversation::{
        CitationState, ConversationPage, ConversationView, MessageStatus, MessageView, Role,
        MESSAGE_MAX,
    },
    error::AppError,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ConversationsPage() -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let page = Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
    });
    let list = Resource::new(
        move || (q.get(), page.get()),
        |(q, page)| list_conversations(q, page, false),
    );
    view! {
        <Title text="Conversations" />
        <div class="py-8">
            <div class="flex flex-wrap items-center justify-between gap-4">
                <h1 class="text-2xl font-semibold tracking-tight">"Conversations"</h1>
                <div class="flex gap-2">
                    <a href="/conversations/trash" class=SECONDARY>"Trash"</a>
                    <a href="/conversations/new" class=BUTTON>"New conversation"</a>
                </div>
            </div>
            <form method="get" action="/conversations" role="search" class="mt-6 flex gap-2">
                <label for="conversation-search" class="sr-only">"Search conversations"</label>
                <input id="conversation-search" type="search" name="q" placeholder="Search titles and messages" value=q.get_untracked() class=INPUT />
                <button type="submit" class=SECONDARY>"Search"</button>
            </form>
            <Loaded resource=list keep=true let:p>
                {view! { <ConversationList page=p q=q.get_untracked() /> }.into_any()}
            </Loaded>
        </div>
    }
}

#[component]
fn ConversationList(page: ConversationPage, q: String) -> impl IntoView {
    if page.total == 0 {
        return if q.trim().is_empty() {
            view! {
                <div class="mt-10 rounded-lg border border-dashed border-slate-300 p-10 text-center dark:border-slate-700">
                    <h2 class="text-lg font-medium">"No conversations yet"</h2>
                    <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                        "Ask a question about your documents: the assistant answers from them and shows where each answer comes from."
                    </p>
                    <a href="/conversations/new" class=format!("mt-4 {BUTTON}")>"Start a conversation"</a>
                </div>
            }
            .into_any()
        } else {
            view! {
                <p class="mt-6 text-sm">
                    {format!("No conversation mentions “{q}”. ")}
                    <a href="/conversations" class=LINK>"Show all conversations"</a>
                </p>
            }
            .into_any()
        };
    }
    let pages = page.pages();
    let current = page.page;
    let qs: String = crate::app::url_encode(&q);
    view! {
        {(!q.trim().is_empty()).then(|| view! {
            <p class="mt-6 text-sm text-slate-600 dark:text-slate-400">
                {format!("{} conversation{} mention “{q}”. ", page.total, if page.total == 1 { "" } else { "s" })}
                <a href="/conversations" class=LINK>"Show all conversations"</a>
            </p>
        })}
        <ul class="mt-4 divide-y divide-slate-200 rounded-lg border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
            {page.items.into_iter().map(|c| view! {
                <li class="flex flex-wrap items-baseline justify-between gap-2 p-4">
                    <a href=format!("/conversations/{}", c.id) class=format!("font-medium {LINK}")>{c.title}</a>
                    <span class="text-xs text-slate-600 dark:text-slate-400">
                        {format!("{} message{} · last ", c.message_count, if c.message_count == 1 { "" } else { "s" })}<LocalTime at=c.updated_at />
                    </span>
                </li>
            }).collect_view()}
        </ul>
        <Pager current=current pages=pages total=page.total noun="conversations" href=move |n| format!("/conversations?q={qs}&page={n}") />
    }
    .into_any()
}

#[component]
pub fn NewConversationPage() -> impl IntoView {
    let create = ServerAction::<CreateConversation>::new();
    let value = Signal::derive(move || create.value().get().map(|r| r.map(|_| ())));
    let docs = Resource::new(|| (), |_| document_choices());
    view! {
        <Title text="New conversation" />
        <div class="mx-auto max-w-2xl py-8">
            <h1 class="text-2xl font-semibold tracking-tight">"New conversation"</h1>
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                "The assistant answers from your own documents and cites the passages it used."
            </p>
            <ActionForm action=create attr:class="mt-6 space-y-6">
                <FormError error=form_error(value) />
                <div class="space-y-1">
                    <label for="field-title" class="block text-sm font-medium">"Title (optional)"</label>
                    <input id="field-title" name="title" type="text" maxlength="200" class=INPUT
                        placeholder="Named after your first question if left empty"
                        aria-describedby="field-title-error" />
                    <p id="field-title-error" class="text-sm text-red-600 dark:text-red-400">{move || field_error(value, "title").get()}</p>
                </div>
                <fieldset class="space-y-2">
                    <legend class="text-sm font-medium">"Limit to these documents (optional)"</legend>
                    <p class="text-xs text-slate-600 dark:text-slate-400">"Choose none to let the assistant use all your documents."</p>
                    <Suspense fallback=|| view! { <p class="text-sm">"Loading your documents…"</p> }>
                        {move || Suspend::new(async move {
                            match docs.await {
                                Ok(list) if list.is_empty() => view! {
                                    <p class="text-sm">"You have no documents yet. " <a href="/documents/new" class=LINK>"Write one"</a> " first, so the assistant has something to answer from."</p>
                                }.into_any(),
                                Ok(list) => view! {
                                    <div class="max-h-72 space-y-1 overflow-y-auto rounded-md border border-slate-200 p-3 dark:border-slate-800">
                                        {list.into_iter().map(|d| {
                                            let id = format!("scope-{}", d.id);
                                            view! {
                                                <div class="flex items-center gap-2">
                                                    <input type="checkbox" id=id.clone() name="scope[]" value=d.id class="h-4 w-4" />
                                                    <label for=id class="text-sm">{d.title}</label>
                                                </div>
                                            }
                                        }).collect_view()}
                                    </div>
                                }.into_any(),
                                Err(e) => view! { <p role="alert" class="text-sm text-red-600">{e.to_string()}</p> }.into_any(),
                            }
                        })}
                    </Suspense>
                    <p class="text-sm text-red-600 dark:text-red-400">{move || field_error(value, "scope").get()}</p>
                </fieldset>
                <div class="flex gap-2">
                    <button type="submit" class=BUTTON>{move || if create.pending().get() { "Starting…" } else { "Start conversation" }}</button>
                    <a href="/conversations" class=SECONDARY>"Cancel"</a>
                </div>
            </ActionForm>
        </div>
    }
}

/// The reply being written, shown until the stored one replaces it.
#[derive(Clone, Debug, Default, PartialEq)]
struct Live {
    question: String,
    text: String,
    reply_id: Option<i64>,
}

#[component]
pub fn ConversationPage() -> impl IntoView {
    let id = param_id();
    let query = use_query_map();
    let rename = ServerAction::<RenameConversation>::new();
    let delete = ServerAction::<DeleteConversation>::new();
    let share = ServerAction::<ShareConversation>::new();
    let unshare = ServerAction::<UnshareConversation>::new();
    let conv = Resource::new(
        move || {
            (
                id.get(),
                rename.version().get(),
                share.version().get(),
                unshare.version().get(),
            )
        },
        |(id, ..)| get_conversation(id),
    );
    // Someone else's conversation, shared with a space of theirs: read only.
    let read_only = Signal::derive(move || {
        conv.get()
            .and_then(|r| r.ok())
            .is_some_and(|c| c.shared_by.is_some())
    });
    // Composer state lives outside the Suspense, so reloading the conversation
    // after a reply does not reset it.
    let live = RwSignal::new(None::<Live>);
    let busy = RwSignal::new(false);
    // An error from the server redirect (no JavaScript) or from the stream.
    // A code from the server's redirect (no JavaScript), never text from the URL.
    let error = RwSignal::new(
        query
            .get_untracked()
            .get("error")
            .and_then(|code| crate::domain::notice::FormNotice::parse(&code))
            .map(|n| n.message().to_string()),
    );
    let draft_ref = NodeRef::<leptos::html::Textarea>::new();
    let confirm = RwSignal::new(false);
    let rename_value = Signal::derive(move || rename.value().get());

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        #[cfg(feature = "hydrate")]
        {
            ev.prevent_default();
            if busy.get_untracked() {
                return;
            }
            let Some(area) = draft_ref.get_untracked() else {
                return;
            };
            let content = area.value();
            if content.trim().is_empty() {
                error.set(Some("Write a message first.".into()));
                return;
            }
            error.set(None);
            area.set_value("");
            busy.set(true);
            live.set(Some(Live {
                question: content.clone(),
                ..Default::default()
            }));
            let conversation = id.get_untracked();
            leptos::task::spawn_local(async move {
                let result = client::send(conversation, &content, move |event| {
                    use crate::domain::conversation::StreamEvent;
                    match event {
                        StreamEvent::Started { reply_id, .. } => live.update(|l| {
                            if let Some(l) = l {
                                l.reply_id = Some(reply_id)
                            }
                        }),
                        StreamEvent::Delta { text } => live.update(|l| {
                            if let Some(l) = l {
                                l.text.push_str(&text)
                            }
                        }),
                        StreamEvent::Done { .. } => {}
                        StreamEvent::Error { message } => error.set(Some(format!(
                            "The assistant could not answer: {message} Your message is saved."
                        ))),
                    }
                })
                .await;
                let started = live
                    .try_get_untracked()
                    .flatten()
                    .and_then(|l| l.reply_id)
                    .is_some();
                if let Err(message) = result {
                    if started {
                        // The stream broke (Stop, or the network): the server keeps what
                        // was written.
                        if !message.is_empty() {
                            error.try_set(Some(message));
                        }
                    } else {
                        // Nothing was stored: give the text back.
                        if let Some(area) = draft_ref.get_untracked() {
                            area.set_value(&content);
                        }
                        live.try_set(None);
                        error.try_set(Some(message));
                    }
                }
                busy.try_set(false);
                conv.refetch();
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };

    let on_stop = move |_| {
        #[cfg(feature = "hydrate")]
        {
            client::abort();
            let reply = live.get_untracked().and_then(|l| l.reply_id);
            let conversation = id.get_untracked();
            if let Some(reply) = reply {
                leptos::task::spawn_local(async move {
                    let _ = stop_reply(conversation, reply).await;
                });
            }
        }
    };
    // Keep the import used in server builds too.
    let _ = stop_reply;

    view! {
        <div class="py-8">
            <Transition fallback=|| view! { <p class="text-sm">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match conv.await {
                        Ok(c) => {
                            let cid = c.id;
                            let stored: Vec<i64> = c.messages.iter().map(|m| m.id).collect();
                            view! {
                                <Title text=c.title.clone() />
                                <Header c=c.clone() rename=rename value=rename_value confirm=confirm />
                                {c.shared_by.is_none().then(|| view! {
                                    <Sharing id=cid shared_with=c.shared_with.clone() share=share unshare=unshare />
                                })}
                                <Show when=move || confirm.get()>
                                    <div role="alertdialog" aria-labelledby="confirm-title" class="mt-4 rounded-md border border-red-200 bg-red-50 p-4 dark:border-red-900 dark:bg-red-950">
                                        <p id="confirm-title" class="text-sm">"Move this conversation to the trash? You can restore it from the trash for 30 days."</p>
                                        <div class="mt-3 flex gap-2">
                                            <ActionForm action=delete>
                                                <input type="hidden" name="id" value=cid />
                                                <button type="submit" class=DANGER>"Yes, move to trash"</button>
                                            </ActionForm>
                                            <button type="button" class=SECONDARY on:click=move |_| confirm.set(false)>"Keep it"</button>
                                        </div>
                                    </div>
                                </Show>
                                <section aria-label="Messages" class="mt-6 space-y-4">
                                    {c.messages.is_empty().then(|| view! {
                                        <p class="text-sm text-slate-600 dark:text-slate-400">"Ask anything about your documents below."</p>
                                    })}
                                    {
                                        let asker = c.shared_by.clone().unwrap_or_else(|| "You".into());
                                        c.messages.into_iter().map(|m| view! { <Message m=m asker=asker.clone() /> }).collect_view()
                                    }
                                    {move || live.get().filter(|l| l.reply_id.is_none_or(|r| !stored.contains(&r))).map(|l| view! {
                                        <article aria-label="You" class="rounded-lg bg-slate-100 p-4 dark:bg-slate-800">
                                            <p class="text-xs font-semibold uppercase text-slate-600 dark:text-slate-400">"You"</p>
                                            <p class="mt-1 whitespace-pre-wrap text-sm">{l.question}</p>
                                        </article>
                                        <article aria-label="Assistant" aria-busy="true" class="rounded-lg border border-slate-200 p-4 dark:border-slate-800">
                                            <p class="text-xs font-semibold uppercase text-slate-600 dark:text-slate-400">"Assistant"</p>
                                            <p class="mt-1 whitespace-pre-wrap text-sm">{l.text}</p>
                                        </article>
                                    })}
                                </section>
                            }.into_any()
                        }
                        Err(e) => {
                            set_status(&e);
                            view! {
                                <Title text="Conversation not found" />
                                <h1 class="text-2xl font-semibold">"Conversation not found"</h1>
                                <p class="mt-2 text-sm">{e.to_string()} " " <a href="/conversations" class=LINK>"Back to your conversations"</a></p>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            <Show when=move || !read_only.get()>
            <form
                method="post"
                action=move || format!("/api/conversations/{}/messages", id.get())
                on:submit=on_submit
                class="mt-6 space-y-2"
            >
                <label for="field-content" class="block text-sm font-medium">"Your message"</label>
                <textarea
                    id="field-content"
                    name="content"
                    rows="3"
                    maxlength=MESSAGE_MAX
                    node_ref=draft_ref
                    aria-invalid=move || error.get().is_some().then_some("true")
                    aria-describedby="field-content-error"
                    class=INPUT
                    placeholder="Ask about your documents"
                ></textarea>
                <p id="field-content-error" role="alert" class="text-sm text-red-600 dark:text-red-400">{move || error.get()}</p>
                <div class="flex items-center gap-3">
                    <button type="submit" class=BUTTON aria-disabled=move || busy.get().then_some("true")>"Send"</button>
                    <Show when=move || busy.get()>
                        <button type="button" class=SECONDARY on:click=on_stop>"Stop"</button>
                        <p role="status" class="text-sm text-slate-600 dark:text-slate-400">
                            <span class="mr-2 inline-block h-2 w-2 animate-pulse rounded-full bg-indigo-500" aria-hidden="true"></span>
                            "The assistant is answering…"
                        </p>
                    </Show>
                </div>
            </form>
            </Show>
        </div>
    }
}

/// Share the conversation read-only with a shared space, or stop sharing it.
#[component]
fn Sharing(
    id: i64,
    shared_with: Vec<crate::domain::conversation::SharedSpace>,
    share: ServerAction<ShareConversation>,
    unshare: ServerAction<UnshareConversation>,
) -> impl IntoView {
    use crate::{api::spaces::list_spaces, domain::space::SpaceKind};
    let spaces = Resource::new(|| (), |_| list_spaces());
    let share_value = Signal::derive(move || share.value().get());
    let unshare_value = Signal::derive(move || unshare.value().get());
    let summary = if shared_with.is_empty() {
        "Share with a space".to_string()
    } else {
        format!(
            "Shared with {}",
            shared_with
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    view! {
        <details class="mt-3 text-sm">
            <summary class="cursor-pointer text-indigo-700 dark:text-indigo-300">{summary}</summary>
            <p class="mt-2 text-slate-600 dark:text-slate-400">
                "The space's members can read this conversation, questions and answers, including passages quoted from your documents; each source shows only if they may read it. Only you can write in it."
            </p>
            {(!shared_with.is_empty()).then(|| view! {
                <ul class="mt-2 space-y-1">
                    {shared_with.into_iter().map(|s| {
                        let label = format!("Stop sharing with {}", s.name);
                        view! {
                            <li class="flex items-center gap-2">
                                <span>{s.name.clone()}</span>
                                <ActionForm action=unshare>
                                    <input type="hidden" name="id" value=id />
                                    <input type="hidden" name="space" value=s.id />
                                    <button type="submit" class=SECONDARY aria-label=label>"Stop sharing"</button>
                                </ActionForm>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            <FormError error=form_error(unshare_value) />
            <ActionForm action=share attr:class="mt-2 flex flex-wrap items-end gap-2">
                <input type="hidden" name="id" value=id />
                <div class="space-y-1">
                    <label for="share-space" class="block text-sm font-medium">"Space"</label>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            let shared: Vec<_> = spaces
                                .await
                                .unwrap_or_default()
                                .into_iter()
                                .filter(|s| s.kind == SpaceKind::Shared)
                                .collect();
                            view! {
                                <select id="share-space" name="space" class=INPUT aria-describedby="share-space-error">
                                    {shared.into_iter().map(|s| view! { <option value=s.id>{s.name}</option> }).collect_view()}
                                </select>
                            }
                        })}
                    </Transition>
                </div>
                <button type="submit" class=SECONDARY>"Share"</button>
                <p id="share-space-error" class="w-full text-sm text-red-600 dark:text-red-400">{move || field_error(share_value, "space").get()}</p>
            </ActionForm>
            <FormError error=form_error(share_value) />
        </details>
    }
}

#[component]
fn Header(
    c: ConversationView,
    rename: ServerAction<RenameConversation>,
    value: Signal<Option<Result<(), AppError>>>,
    confirm: RwSignal<bool>,
) -> impl IntoView {
    let id = c.id;
    let scope = if c.scope.is_empty() {
        "Answers from all your documents".to_string()
    } else {
        let names: Vec<String> = c
            .scope
            .iter()
            .map(|s| {
                if !s.access {
                    "(no access)".to_string()
                } else if s.available {
                    s.title.clone()
                } else {
                    format!("{} (in the trash)", s.title)
                }
            })
            .collect();
        format!("Limited to: {}", names.join(", "))
    };
    let assistant = if c.assistant == "retrieval" {
        "retrieval assistant (answers with passages from your documents)".to_string()
    } else {
        format!("model {}", c.assistant)
    };
    if let Some(by) = c.shared_by.clone() {
        return view! {
            <div class="flex flex-wrap items-start justify-between gap-4">
                <div>
                    <h1 class="text-2xl font-semibold tracking-tight">{c.title.clone()}</h1>
                    <p class="mt-1 text-xs text-slate-600 dark:text-slate-400">
                        {format!("{by}'s conversation, shared with a space of yours · read only · {scope}")}
                    </p>
                </div>
                <div class="flex flex-wrap gap-2">
                    <a href=format!("/conversations/{id}/export?format=md") class=SECONDARY download="">"Export Markdown"</a>
                </div>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="flex flex-wrap items-start justify-between gap-4">
            <div>
                <h1 class="text-2xl font-semibold tracking-tight">{c.title.clone()}</h1>
                <p class="mt-1 text-xs text-slate-600 dark:text-slate-400">{format!("{scope} · {assistant}")}</p>
            </div>
            <div class="flex flex-wrap gap-2">
                <a href=format!("/conversations/{id}/export?format=md") class=SECONDARY download="">"Export Markdown"</a>
                <a href=format!("/conversations/{id}/export?format=json") class=SECONDARY download="">"Export JSON"</a>
                <button type="button" class=SECONDARY on:click=move |_| confirm.set(true)>"Delete"</button>
            </div>
        </div>
        <details class="mt-3 text-sm">
            <summary class="cursor-pointer text-indigo-700 dark:text-indigo-300">"Rename"</summary>
            <ActionForm action=rename attr:class="mt-2 flex flex-wrap items-end gap-2">
                <input type="hidden" name="id" value=id />
                <div class="space-y-1">
                    <label for="field-rename" class="block text-sm font-medium">"New title"</label>
                    <input id="field-rename" name="title" type="text" required maxlength="200" value=c.title class=INPUT aria-describedby="field-rename-error" />
                </div>
                <button type="submit" class=SECONDARY>"Save title"</button>
                <p id="field-rename-error" class="w-full text-sm text-red-600 dark:text-red-400">{move || field_error(value, "title").get()}</p>
            </ActionForm>
        </details>
    }
    .into_any()
}

#[component]
/// One message; `asker` names who asked ("You", or the owner of a conversation
/// shared with the reader).
fn Message(m: MessageView, asker: String) -> impl IntoView {
    let anchor = format!("message-{}", m.id);
    match m.role {
        Role::User => view! {
            <article id=anchor aria-label=asker.clone() class="rounded-lg bg-slate-100 p-4 dark:bg-slate-800">
                <p class="text-xs font-semibold uppercase text-slate-600 dark:text-slate-400">{format!("{asker} · ")} <LocalTime at=m.created_at /></p>
                <p class="mt-1 whitespace-pre-wrap text-sm">{m.content}</p>
            </article>
        }
        .into_any(),
        Role::Assistant => {
            let note = match m.status {
                MessageStatus::Complete => None,
                MessageStatus::Stopped => Some("Stopped: what was written before Stop is kept.".to_string()),
                MessageStatus::Pending => Some("Still being written… reload to see the rest.".to_string()),
                MessageStatus::Failed => Some(format!(
                    "The assistant could not answer: {}",
                    m.error.clone().unwrap_or_default()
                )),
            };
            let failed = m.status == MessageStatus::Failed;
            let usage = format!(
                "{} prompt + {} completion tokens{}",
                m.prompt_tokens,
                m.completion_tokens,
                if m.tokens_estimated { " (estimated)" } else { "" }
            );
            view! {
                <article id=anchor aria-label="Assistant" class="rounded-lg border border-slate-200 p-4 dark:border-slate-800">
                    <p class="text-xs font-semibold uppercase text-slate-600 dark:text-slate-400">"Assistant · " <LocalTime at=m.created_at /></p>
                    <div class="markdown mt-1 text-sm" inner_html=m.html></div>
                    {note.map(|n| view! {
                        <p class=if failed { "mt-2 text-sm text-red-600 dark:text-red-400" } else { "mt-2 text-sm italic text-slate-600 dark:text-slate-400" }>{n}</p>
                    })}
                    {(!m.citations.is_empty()).then(|| view! {
                        <h3 class="mt-3 text-xs font-semibold uppercase text-slate-600 dark:text-slate-400">"Sources"</h3>
                        <ol class="mt-1 space-y-1 text-sm">
                            {m.citations.into_iter().map(|c| {
                                let href = c.href();
                                let label = match c.state {
                                    CitationState::NoAccess => format!("[{}] (no access)", c.citation.n),
                                    _ => format!("[{}] {}", c.citation.n, c.citation.title),
                                };
                                let state = match c.state {
                                    CitationState::Current => "",
                                    CitationState::Revised => " (changed since: showing the cited version)",
                                    CitationState::Removed => " (removed)",
                                    CitationState::NoAccess => "",
                                };
                                view! {
                                    <li>
                                        {match href {
                                            Some(h) => view! { <a href=h class=LINK>{label}</a> }.into_any(),
                                            None => view! { <span class="text-slate-600 dark:text-slate-400 line-through">{label}</span> }.into_any(),
                                        }}
                                        <span class="text-xs text-slate-600 dark:text-slate-400">{state}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    })}
                    <p class="mt-2 text-xs text-slate-600 dark:text-slate-400">{usage}</p>
                </article>
            }
            .into_any()
        }
    }
}

#[component]
pub fn ConversationTrashPage() -> impl IntoView {
    let restore = ServerAction::<RestoreConversation>::new();
    let purge = ServerAction::<PurgeConversation>::new();
    let list = Resource::new(
        move || (restore.version().get(), purge.version().get()),
        |_| list_conversations(String::new(), 1, true),
    );
    view! {
        <Title text="Conversations trash" />
        <div class="py-8">
            <h1 class="text-2xl font-semibold tracking-tight">"Conversations trash"</h1>
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">"Deleted conversations stay here for 30 days, then they are deleted for good."</p>
            <Transition fallback=|| view! { <p class="mt-6 text-sm">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(p) if p.items.is_empty() => view! { <p class="mt-6 text-sm">"The trash is empty."</p> }.into_any(),
                        Ok(p) => view! {
                            <ul class="mt-6 divide-y divide-slate-200 rounded-lg border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
                                {p.items.into_iter().map(|c| {
                                    let restore_label = format!("Restore {}", c.title);
                                    let purge_label = format!("Delete {} for good", c.title);
                                    view! {
                                        <li class="flex flex-wrap items-center justify-between gap-2 p-4">
                                            <span>
                                                <span class="font-medium">{c.title.clone()}</span>
                                                <span class="ml-2 text-xs text-slate-600 dark:text-slate-400">{c.deleted_at.map(|d| view! { "deleted " <LocalTime at=d /> })}</span>
                                            </span>
                                            <span class="flex gap-2">
                                                <ActionForm action=restore>
                                                    <input type="hidden" name="id" value=c.id />
                                                    <button type="submit" class=SECONDARY aria-label=restore_label>"Restore"</button>
                                                </ActionForm>
                                                <ActionForm action=purge>
                                                    <input type="hidden" name="id" value=c.id />
                                                    <button type="submit" class=DANGER aria-label=purge_label>"Delete for good"</button>
                                                </ActionForm>
                                            </span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p role="alert" class="mt-6 text-sm text-red-600">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <p class="mt-6"><a href="/conversations" class=LINK>"Back to conversations"</a></p>
        </div>
    }
}

/// The browser side of sending a message: a `fetch` whose response body is read
/// as it arrives (one JSON event per line), and aborted by Stop.
#[cfg(feature = "hydrate")]
mod client {
    use crate::{domain::conversation::StreamEvent, error::AppError};
    use std::cell::RefCell;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    thread_local! {
        static CURRENT: RefCell<Option<web_sys::AbortController>> = const { RefCell::new(None) };
    }

    /// Stop reading the reply being streamed (the server then stores it as stopped).
    pub fn abort() {
        CURRENT.with(|c| {
            if let Some(controller) = c.borrow_mut().take() {
                controller.abort();
            }
        });
    }

    fn js_error(_: JsValue) -> String {
        "Could not reach Motto. Check your connection and try again.".to_string()
    }

    /// Send `content`; `on_event` sees every event. Err carries a message for the
    /// person (empty when they pressed Stop).
    pub async fn send(
        conversation: i64,
        content: &str,
        mut on_event: impl FnMut(StreamEvent),
    ) -> Result<(), String> {
        let controller = web_sys::AbortController::new().map_err(js_error)?;
        let signal = controller.signal();
        CURRENT.with(|c| *c.borrow_mut() = Some(controller));
        let result = read(conversation, content, &signal, &mut on_event).await;
        CURRENT.with(|c| c.borrow_mut().take());
        if signal.aborted() {
            return Err(String::new());
        }
        result
    }

    async fn read(
        conversation: i64,
        content: &str,
        signal: &web_sys::AbortSignal,
        on_event: &mut impl FnMut(StreamEvent),
    ) -> Result<(), String> {
        let params = web_sys::UrlSearchParams::new().map_err(js_error)?;
        params.append("content", content);
        let headers = web_sys::Headers::new().map_err(js_error)?;
        headers
            .set("Accept", "application/x-ndjson")
            .map_err(js_error)?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&params.into());
        init.set_headers(&headers.into());
        init.set_signal(Some(signal));
        let window = web_sys::window().ok_or_else(|| js_error(JsValue::NULL))?;
        let url = format!("/api/conversations/{conversation}/messages");
        let response: web_sys::Response =
            JsFuture::from(window.fetch_with_str_and_init(&url, &init))
                .await
                .map_err(js_error)?
                .unchecked_into();
        if !response.ok() {
            let text = JsFuture::from(response.text().map_err(js_error)?)
                .await
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            let message = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| serde_json::from_value::<AppError>(v.get("error")?.clone()).ok())
                .map(|e| {
                    e.for_field("content")
                        .or_else(|| e.for_form())
                        .unwrap_or_else(|| e.to_string())
                })
                .unwrap_or_else(|| format!("Motto answered {}.", response.status()));
            return Err(message);
        }
        let body = response.body().ok_or_else(|| js_error(JsValue::NULL))?;
        let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        let mut buffer: Vec<u8> = Vec::new();
        loop {
            let chunk = JsFuture::from(reader.read()).await.map_err(js_error)?;
            let done = js_sys::Reflect::get(&chunk, &JsValue::from_str("done"))
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(true);
            if done {
                break;
            }
            let value =
                js_sys::Reflect::get(&chunk, &JsValue::from_str("value")).map_err(js_error)?;
            buffer.extend(js_sys::Uint8Array::new(&value).to_vec());
            while let Some(pos) = buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buffer.drain(..=pos).collect();
                if let Ok(event) = serde_json::from_slice::<StreamEvent>(&line[..line.len() - 1]) {
                    on_event(event);
                }
            }
        }
        Ok(())
    }
}
