//! The admin console: the audit log (filters, keyset pages, an event's detail,
//! export, integrity) and user management. The server answers 404 to anyone who
//! is not an administrator.

use super::documents::{param_id, set_status};
use crate::app::components::pager::Pager;
use crate::app::components::style::LINK;
use crate::app::components::style::{BUTTON, DANGER, INPUT, SECONDARY};
use crate::{
    api::admin::{
        admin_user, admin_users, audit_event, audit_events, audit_integrity, audit_sealing,
        AdminUserAction, VerifyAuditChain,
    },
    app::components::{
        form::{Checkbox, FormError},
        loaded::Loaded,
        time::LocalTime,
    },
    domain::admin::{
        encode, AuditEventView, AuditQuery, CheckpointStatus, IntegrityCheck, SinkStatus,
        UserAction,
    },
    domain::user::Role,
    error::AppError,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

pub(super) const TH: &str =
    "px-3 py-2 text-left text-xs font-semibold uppercase text-slate-600 dark:text-slate-400";
pub(super) const TD: &str = "px-3 py-2 align-top";

/// What someone who is not an administrator sees on an admin page: the same
/// "Not found" as for a page that does not exist.
pub(super) fn not_found(e: AppError) -> AnyView {
    view! { <NotFoundView e=e /> }.into_any()
}

#[component]
fn NotFoundView(e: AppError) -> impl IntoView {
    set_status(&e);
    view! {
        <Title text="Not found" />
        <h1 class="text-2xl font-semibold">"Not found"</h1>
        <p class="mt-2 text-sm">{e.to_string()}</p>
    }
}

#[component]
pub(super) fn AdminNav() -> impl IntoView {
    // Auditors see the audit log only; the rest is for administrators.
    let user = crate::app::auth::use_auth().user;
    view! {
        <nav aria-label="Admin" class="mt-2 flex gap-4 text-sm">
            <a href="/admin/audit" class=LINK>"Audit log"</a>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let admin = matches!(user.await, Ok(Some(u)) if u.is_admin());
                    admin.then(|| view! {
                        <a href="/admin/users" class=LINK>"Users"</a>
                        <a href="/admin/groups" class=LINK>"Groups"</a>
                        <a href="/admin/spaces" class=LINK>"Spaces"</a>
                        <a href="/admin/share-links" class=LINK>"Share links"</a>
                    })
                })}
            </Transition>
        </nav>
    }
}

#[component]
pub fn AdminHomePage() -> impl IntoView {
    // Loads something admin-only, so the server answers 404 to anyone else.
    let check = Resource::new(|| (), |_| audit_integrity());
    view! {
        <div class="py-8">
            <Loaded resource=check error=not_found let:_ok>
                <Title text="Admin" />
                <h1 class="text-2xl font-semibold tracking-tight">"Admin"</h1>
                <AdminNav />
            </Loaded>
        </div>
    }
}

fn query_from_url() -> Memo<(AuditQuery, Option<i64>)> {
    let q = use_query_map();
    Memo::new(move |_| {
        let q = q.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        (
            AuditQuery {
                actor: get("actor"),
                action: get("action"),
                outcome: get("outcome"),
                source_ip: get("source_ip"),
                from: get("from"),
                to: get("to"),
                text: get("text"),
            },
            q.get("before").and_then(|b| b.parse().ok()),
        )
    })
}

#[component]
fn Integrity(check: Option<IntegrityCheck>, sealing: Option<CheckpointStatus>) -> impl IntoView {
    let verify = ServerAction::<VerifyAuditChain>::new();
    let latest = Signal::derive(move || match verify.value().get() {
        Some(Ok(c)) => Some(c),
        _ => check.clone(),
    });
    let error = Signal::derive(move || {
        verify
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    });
    view! {
        <section aria-labelledby="integrity-heading" class="mt-6 rounded-lg border border-slate-200 p-4 dark:border-slate-800">
            <h2 id="integrity-heading" class="text-sm font-semibold">"Integrity"</h2>
            <div role="status" class="mt-1 text-sm">
                {move || match latest.get() {
                    None => view! { <p>"The hash chain has not been checked yet."</p> }.into_any(),
                    Some(c) if c.intact => view! {
                        <p class="text-green-700 dark:text-green-400">
                            {format!("The hash chain verifies: {} events, none edited, missing or removed. Checked ", c.events)}
                            <LocalTime at=c.checked_at />"."
                        </p>
                    }.into_any(),
                    Some(c) => view! {
                        <p class="font-semibold text-red-700 dark:text-red-400">
                            {format!("The hash chain is BROKEN at event {}: {}. Checked ", c.first_broken_id.unwrap_or(0), c.reason.clone().unwrap_or_default())}
                            <LocalTime at=c.checked_at />"."
                        </p>
                        {c.first_broken_id.map(|id| view! { <a class=LINK href=format!("/admin/audit/{id}")>"Open the first broken event"</a> })}
                    }.into_any(),
                }}
            </div>
            <ActionForm action=verify attr:class="mt-2">
                <button type="submit" class=SECONDARY>{move || if verify.pending().get() { "Verifying…" } else { "Verify now" }}</button>
            </ActionForm>
            <FormError error=error />
            {sealing.map(|status| view! { <Sealing status=status /> })}
        </section>
    }
}

/// The signed checkpoints that seal the log, and where they are kept.
#[component]
fn Sealing(status: CheckpointStatus) -> impl IntoView {
    let lag = status.directory_lag();
    let last = match (status.last_seq, status.last_event, status.last_at) {
        (Some(seq), Some(event), Some(at)) => view! {
            <p>
                {format!("Last checkpoint: #{seq}, sealing events up to {event}, signed ")}
                <LocalTime at=at />
                {format!(". {} events since.", status.unsealed_events)}
            </p>
        }
        .into_any(),
        _ => view! { <p>"No checkpoint has been signed yet."</p> }.into_any(),
    };
    let directory = match (&status.directory, lag) {
        (None, _) => view! {
            <p class="text-amber-700 dark:text-amber-400">
                "Checkpoints are kept only in the database (AUDIT_CHECKPOINT_DIR=off): someone with the database credentials could remove them with the events."
            </p>
        }
        .into_any(),
        (Some(dir), Some(0)) => view! {
            <p>{format!("Checkpoint directory {dir}: up to date.")}</p>
        }
        .into_any(),
        (Some(dir), lag) => view! {
            <p class="font-semibold text-red-700 dark:text-red-400">
                {format!(
                    "Checkpoint directory {dir}: {} checkpoints not written yet (Motto retries; see the server log).",
                    lag.unwrap_or(0)
                )}
            </p>
        }
        .into_any(),
    };
    view! {
        <div class="mt-3 space-y-1 text-sm" data-testid="sealing">
            <h3 class="font-semibold">"Signed checkpoints"</h3>
            {last}
            {directory}
            <p>
                {format!(
                    "A checkpoint every {} events or {} seconds. Auditors check an export with the public key ",
                    status.every_events, status.every_seconds
                )}
                <code class="break-all">{status.public_key.clone()}</code>
                {format!(" (key id {}", status.key_id)}
                {(!status.signing_key_configured).then_some(", derived from SECRET_KEY")}
                "): "
                <code>"motto verify-export"</code>"."
            </p>
            <Sinks sinks=status.sinks.clone() />
            <p data-testid="retention">
                {match status.retention_days {
                    None => "Retention: every event is kept (AUDIT_RETENTION_DAYS is not set).".to_string(),
                    Some(days) => format!("Retention: events older than {days} days are archived and then removed, a sealed run at a time."),
                }}
                {status.pruned.map(|(upto, at)| view! {
                    {format!(" Events 1–{upto} were pruned ")}
                    <LocalTime at=at />"."
                })}
            </p>
            {status.writes_refused.clone().map(|reason| view! {
                <p role="alert" class="font-semibold text-red-700 dark:text-red-400">
                    {format!("State changes are refused until the audit trail can be delivered (AUDIT_FAIL_CLOSED): {reason}.")}
                </p>
            })}
        </div>
    }
}

/// Where events are streamed (syslog, HTTPS) and how far behind each is.
#[component]
fn Sinks(sinks: Vec<SinkStatus>) -> impl IntoView {
    if sinks.is_empty() {
        return view! {
            <p data-testid="sinks">"Events are not streamed to another system (AUDIT_SYSLOG and AUDIT_HTTPS_URL are not set)."</p>
        }
        .into_any();
    }
    let rows = sinks
        .into_iter()
        .map(|s| {
            let state = match (s.lag, &s.last_error, s.failing_since) {
                (0, _, _) => view! { <span>"up to date"</span> }.into_any(),
                (lag, Some(error), Some(since)) => view! {
                    <span class="font-semibold text-red-700 dark:text-red-400">
                        {format!("{lag} events waiting; failing since ")}
                        <LocalTime at=since />
                        {format!(" ({} attempts, retrying): {error}", s.failures)}
                    </span>
                }
                .into_any(),
                (lag, _, _) => {
                    view! { <span>{format!("{lag} events on their way")}</span> }.into_any()
                }
            };
            view! {
                <li>
                    <code class="break-all">{s.name}</code>
                    {format!(": delivered up to event {}, ", s.delivered_id)}
                    {state}
                </li>
            }
        })
        .collect_view();
    view! {
        <div data-testid="sinks">
            <h3 class="mt-2 font-semibold">"Streaming"</h3>
            <ul class="list-disc pl-5">{rows}</ul>
        </div>
    }
    .into_any()
}

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    let query = query_from_url();
    let page = Resource::new(move || query.get(), |(q, before)| audit_events(q, before));
    let check = Resource::new(|| (), |_| audit_integrity());
    let sealing = Resource::new(|| (), |_| audit_sealing());
    view! {
        <div class="py-8">
            <Suspense fallback=|| view! { <p class="text-sm">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let check = match check.await {
                        Ok(c) => c,
                        Err(e) => return view! { <NotFoundView e=e /> }.into_any(),
                    };
                    let sealing = sealing.await.ok();
                    let (q, before) = query.get_untracked();
                    let qs = q.to_query_string();
                    let result = page.await;
                    view! {
                        <Title text="Audit log" />
                        <h1 class="text-2xl font-semibold tracking-tight">"Audit log"</h1>
                        <AdminNav />
                        <Integrity check=check sealing=sealing />
                        <AuditFilters q=q.clone() />
                        <div class="mt-4 flex flex-wrap gap-2 text-sm">
                            <a class=SECONDARY href=format!("/admin/audit/export?format=csv&{qs}") download="">"Export CSV"</a>
                            <a class=SECONDARY href=format!("/admin/audit/export?format=jsonl&{qs}") download="">"Export JSON lines"</a>
                            <a class=SECONDARY href="/admin/audit/export?format=chain" download="">"Export for auditors"</a>
                            {before.map(|_| view! { <a class=SECONDARY href=format!("/admin/audit?{qs}")>"Newest events"</a> })}
                        </div>
                        {match result {
                            Ok(p) => {
                                let next = p.next_before;
                                view! {
                                    <AuditTable events=p.events />
                                    {next.map(|b| view! {
                                        <nav aria-label="Pages" class="mt-4">
                                            <a class=SECONDARY href=format!("/admin/audit?{qs}&before={b}")>"Older events"</a>
                                        </nav>
                                    })}
                                }.into_any()
                            }
                            Err(e) => view! { <p role="alert" class="mt-4 text-sm text-red-600">{e.to_string()}</p> }.into_any(),
                        }}
                    }.into_any()
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn AuditFilters(q: AuditQuery) -> impl IntoView {
    let field = |id: &'static str,
                 label: &'static str,
                 value: String,
                 kind: &'static str,
                 hint: &'static str| {
        view! {
            <div class="space-y-1">
                <label for=format!("filter-{id}") class="block text-xs font-medium">{label}</label>
                <input id=format!("filter-{id}") name=id type=kind value=value placeholder=hint class=INPUT />
            </div>
        }
    };
    let outcome = q.outcome.clone();
    view! {
        <form method="get" action="/admin/audit" role="search" aria-label="Filter events" class="mt-6 grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
            {field("actor", "Actor", q.actor, "text", "username or #id")}
            {field("action", "Action (prefix)", q.action, "text", "auth.")}
            <div class="space-y-1">
                <label for="filter-outcome" class="block text-xs font-medium">"Outcome"</label>
                <select id="filter-outcome" name="outcome" class=INPUT>
                    {["", "success", "failure", "denied"].into_iter().map(|o| {
                        let label = if o.is_empty() { "Any" } else { o };
                        view! { <option value=o selected=outcome == o>{label}</option> }
                    }).collect_view()}
                </select>
            </div>
            {field("source_ip", "Source address", q.source_ip, "text", "203.0.113.7")}
            {field("from", "From (UTC)", q.from, "datetime-local", "")}
            {field("to", "To (UTC)", q.to, "datetime-local", "")}
            {field("text", "Text", q.text, "search", "in details, target, agent, request id")}
            <div class="flex items-end gap-2">
                <button type="submit" class=BUTTON>"Filter"</button>
                <a href="/admin/audit" class=SECONDARY>"Clear"</a>
            </div>
        </form>
    }
}

fn outcome_class(outcome: &str) -> &'static str {
    match outcome {
        "success" => "text-green-700 dark:text-green-400",
        "denied" => "font-semibold text-red-700 dark:text-red-400",
        _ => "text-amber-700 dark:text-amber-400",
    }
}

#[component]
fn Actor(e: AuditEventView) -> impl IntoView {
    match (e.actor_user_id, e.actor_username) {
        (Some(id), Some(name)) => {
            view! { <a class=LINK href=format!("/admin/users/{id}")>{name}</a> }.into_any()
        }
        (Some(id), None) => view! { <span>{format!("#{id} (deleted)")}</span> }.into_any(),
        _ => view! { <span class="text-slate-600 dark:text-slate-400">"system / anonymous"</span> }
            .into_any(),
    }
}

#[component]
fn AuditTable(events: Vec<AuditEventView>) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="mt-6 text-sm">"No event matches these filters."</p> }.into_any();
    }
    view! {
        <div class="mt-4 overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-800">
            <table class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                <caption class="sr-only">"Audit events, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col" class=TH>"Time"</th>
                        <th scope="col" class=TH>"Actor"</th>
                        <th scope="col" class=TH>"Action"</th>
                        <th scope="col" class=TH>"Target"</th>
                        <th scope="col" class=TH>"Outcome"</th>
                        <th scope="col" class=TH>"Source"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100 dark:divide-slate-900">
                    {events.into_iter().map(|e| {
                        let target = match (e.target_type.clone(), e.target_id.clone()) {
                            (Some(t), Some(id)) => format!("{t} {id}"),
                            (Some(t), None) => t,
                            _ => String::new(),
                        };
                        let href = e.target_href();
                        view! {
                            <tr>
                                <td class=TD><LocalTime at=e.occurred_at /></td>
                                <td class=TD><Actor e=e.clone() /></td>
                                <td class=TD><a class=LINK href=format!("/admin/audit/{}", e.id)>{e.action.clone()}</a></td>
                                <td class=TD>{match href {
                                    Some(h) => view! { <a class=LINK href=h>{target}</a> }.into_any(),
                                    None => view! { <span>{target}</span> }.into_any(),
                                }}</td>
                                <td class=format!("{TD} {}", outcome_class(&e.outcome))>{e.outcome.clone()}</td>
                                <td class=TD>{e.source_ip.clone().unwrap_or_default()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
pub fn AdminAuditEventPage() -> impl IntoView {
    let id = param_id();
    let event = Resource::new(move || id.get(), audit_event);
    view! {
        <div class="py-8">
            <Loaded resource=event error=not_found let:e>
                {
                            let href = e.target_href();
                            let target = format!("{} {}", e.target_type.clone().unwrap_or_default(), e.target_id.clone().unwrap_or_default());
                            let row = |label: &'static str, value: AnyView| view! {
                                <div class="grid grid-cols-3 gap-4 px-4 py-2">
                                    <dt class="text-sm font-medium text-slate-600 dark:text-slate-400">{label}</dt>
                                    <dd class="col-span-2 break-all text-sm">{value}</dd>
                                </div>
                            };
                            view! {
                                <Title text=format!("Audit event {}", e.id) />
                                <h1 class="text-2xl font-semibold tracking-tight">{format!("Event {}: {}", e.id, e.action)}</h1>
                                <AdminNav />
                                <dl class="mt-6 divide-y divide-slate-200 rounded-lg border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
                                    {row("Time", view! { <LocalTime at=e.occurred_at /> }.into_any())}
                                    {row("Actor", view! { <Actor e=e.clone() /> }.into_any())}
                                    {row("Action", e.action.clone().into_any())}
                                    {row("Target", match href {
                                        Some(h) => view! { <a class=LINK href=h>{target}</a> }.into_any(),
                                        None => target.into_any(),
                                    })}
                                    {row("Outcome", e.outcome.clone().into_any())}
                                    {row("Source address", e.source_ip.clone().unwrap_or_default().into_any())}
                                    {row("User agent", e.user_agent.clone().unwrap_or_default().into_any())}
                                    {row("Request id", e.request_id.clone().unwrap_or_default().into_any())}
                                    {row("Hash", view! { <code class="text-xs">{e.hash.clone()}</code> }.into_any())}
                                </dl>
                                <h2 class="mt-6 text-lg font-semibold">"Details"</h2>
                                <pre class="mt-2 overflow-x-auto rounded-md bg-slate-100 p-3 text-xs dark:bg-slate-900">{e.details.clone()}</pre>
                                <p class="mt-4"><a class=LINK href="/admin/audit">"Back to the audit log"</a></p>
                            }.into_any()
                        }
            </Loaded>
        </div>
    }
}

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let page = Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
    });
    let users = Resource::new(move || (q.get(), page.get()), |(q, p)| admin_users(q, p));
    view! {
        <div class="py-8">
            <Loaded resource=users error=not_found let:p>
                {
                            let pages = p.pages();
                            let current = p.page;
                            let qs = encode(&q.get_untracked());
                            view! {
                                <Title text="Users" />
                                <h1 class="text-2xl font-semibold tracking-tight">"Users"</h1>
                                <AdminNav />
                                <form method="get" action="/admin/users" role="search" class="mt-6 flex gap-2">
                                    <label for="user-search" class="sr-only">"Search users"</label>
                                    <input id="user-search" type="search" name="q" placeholder="Username or email" value=q.get_untracked() class=INPUT />
                                    <button type="submit" class=SECONDARY>"Search"</button>
                                </form>
                                <div class="mt-4 overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-800">
                                    <table class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                                        <caption class="sr-only">"Users"</caption>
                                        <thead><tr>
                                            <th scope="col" class=TH>"Username"</th>
                                            <th scope="col" class=TH>"Email"</th>
                                            <th scope="col" class=TH>"Role"</th>
                                            <th scope="col" class=TH>"Status"</th>
                                            <th scope="col" class=TH>"Created"</th>
                                            <th scope="col" class=TH>"Last login"</th>
                                            <th scope="col" class=TH>"Active sessions"</th>
                                            <th scope="col" class=TH>"Storage"</th>
                                        </tr></thead>
                                        <tbody class="divide-y divide-slate-100 dark:divide-slate-900">
                                            {p.items.into_iter().map(|u| view! {
                                                <tr>
                                                    <td class=TD><a class=LINK href=format!("/admin/users/{}", u.id)>{u.username}</a></td>
                                                    <td class=TD>{u.email}</td>
                                                    <td class=TD>{u.role.as_str()}</td>
                                                    <td class=TD>{if u.disabled { "disabled" } else { "active" }}</td>
                                                    <td class=TD><LocalTime at=u.created_at /></td>
                                                    <td class=TD>{match u.last_login_at {
                                                        Some(t) => view! { <LocalTime at=t /> }.into_any(),
                                                        None => "never".into_any(),
                                                    }}</td>
                                                    <td class=TD>{u.active_sessions}</td>
                                                    <td class=TD>{crate::domain::quota::format_bytes(u.storage_bytes)}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                <Pager current=current pages=pages total=p.total noun="users" href=move |n| format!("/admin/users?q={qs}&page={n}") />
                                <TwoFactorSetting />
                            }.into_any()
                        }
            </Loaded>
        </div>
    }
}

/// Who must use two-factor authentication.
#[component]
fn TwoFactorSetting() -> impl IntoView {
    use crate::{
        api::admin::{two_factor_policy, SetTwoFactorPolicy},
        domain::two_factor::TwoFactorPolicy,
    };
    let set = ServerAction::<SetTwoFactorPolicy>::new();
    let current = Resource::new(move || set.version().get(), |_| two_factor_policy());
    let value = Signal::derive(move || set.value().get());
    view! {
        <section aria-labelledby="two-factor-policy-heading" class="mt-10">
            <h2 id="two-factor-policy-heading" class="text-lg font-semibold">"Two-factor authentication"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let now = current.await.unwrap_or_default();
                    view! {
                        <ActionForm action=set attr:class="mt-3 space-y-3">
                            <fieldset>
                                <legend class="text-sm font-medium">"Required for"</legend>
                                {[(TwoFactorPolicy::Nobody, "Nobody (each person chooses)"), (TwoFactorPolicy::Admins, "Administrators"), (TwoFactorPolicy::Everyone, "Everyone")]
                                    .into_iter()
                                    .map(|(p, label)| {
                                        let id = format!("two-factor-{}", p.as_str());
                                        view! {
                                            <div class="flex items-center gap-2 text-sm">
                                                <input type="radio" id=id.clone() name="required_for" value=p.as_str() checked=now == p class="h-4 w-4" />
                                                <label for=id>{label}</label>
                                            </div>
                                        }
                                    })
                                    .collect_view()}
                            </fieldset>
                            <p class="text-xs text-slate-500 dark:text-slate-400">"People who must use it and have not set it up are sent to set it up after they log in."</p>
                            <p class="text-sm text-red-600 dark:text-red-400">{move || crate::app::components::form::field_error(value, "required_for").get()}</p>
                            <button type="submit" class=SECONDARY>"Save"</button>
                            {move || matches!(value.get(), Some(Ok(()))).then(|| view! { <span role="status" class="ml-3 text-sm text-emerald-700 dark:text-emerald-400">"Saved."</span> })}
                        </ActionForm>
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn AdminUserPage() -> impl IntoView {
    let id = param_id();
    let act = ServerAction::<AdminUserAction>::new();
    let user = Resource::new(
        move || (id.get(), act.version().get()),
        |(id, _)| admin_user(id),
    );
    // The action waiting for confirmation.
    let pending = RwSignal::new(None::<UserAction>);
    let error = Signal::derive(move || {
        act.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.for_form().unwrap_or_else(|| e.to_string()))
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = act.value().get() {
            pending.set(None);
        }
    });
    view! {
        <div class="py-8">
            <Loaded resource=user error=not_found let:d>
                {
                            let u = d.user.clone();
                            let uid = u.id;
                            let mut actions = vec![];
                            if u.disabled { actions.push((UserAction::Enable, "Enable account")) } else { actions.push((UserAction::Disable, "Disable account")) }
                            match u.role {
                                Role::Admin => actions.push((UserAction::Demote, "Remove admin role")),
                                Role::Auditor => {
                                    actions.push((UserAction::Promote, "Make admin"));
                                    actions.push((UserAction::Demote, "Remove auditor role"));
                                }
                                Role::User => {
                                    actions.push((UserAction::Promote, "Make admin"));
                                    actions.push((UserAction::MakeAuditor, "Make auditor"));
                                }
                            }
                            let role = u.role.as_str();
                            actions.push((UserAction::EndSessions, "End all sessions"));
                            if u.two_factor { actions.push((UserAction::ResetTwoFactor, "Reset two-factor authentication")) }
                            let name = u.username.clone();
                            view! {
                                <Title text=format!("User {}", u.username) />
                                <h1 class="text-2xl font-semibold tracking-tight">{u.username.clone()}</h1>
                                <AdminNav />
                                <dl class="mt-6 grid grid-cols-2 gap-4 text-sm sm:grid-cols-4">
                                    <div><dt class="text-slate-600 dark:text-slate-400">"Email"</dt><dd>{u.email.clone()}</dd></div>
                                    <div><dt class="text-slate-600 dark:text-slate-400">"Role"</dt><dd>{role}</dd></div>
                                    <div><dt class="text-slate-600 dark:text-slate-400">"Status"</dt><dd>{if u.disabled { "disabled" } else { "active" }}</dd></div>
                                    <div><dt class="text-slate-600 dark:text-slate-400">"Active sessions"</dt><dd>{u.active_sessions}</dd></div>
                                    <div><dt class="text-slate-600 dark:text-slate-400">"Two-factor"</dt><dd>{if u.two_factor { "on" } else { "off" }}</dd></div>
                                    <div><dt class="text-slate-600 dark:text-slate-400">"Created"</dt><dd><LocalTime at=u.created_at /></dd></div>
                                    <div><dt class="text-slate-600 dark:text-slate-400">"Last login"</dt><dd>{match u.last_login_at { Some(t) => view! { <LocalTime at=t /> }.into_any(), None => "never".into_any() }}</dd></div>
                                </dl>
                                <p class="mt-4"><a class=LINK href=format!("/admin/audit?actor=%23{uid}")>"Events by this user"</a></p>
                                <div class="mt-6 flex flex-wrap gap-2">
                                    {actions.into_iter().map(|(a, label)| view! {
                                        <button type="button" class=SECONDARY on:click=move |_| pending.set(Some(a))>{label}</button>
                                    }).collect_view()}
                                </div>
                                <FormError error=error />
                                {move || pending.get().map(|a| {
                                    let question = match a {
                                        UserAction::Disable => format!("Disable {name}? They are signed out everywhere at once, their REST tokens end and their API keys are revoked (enabling the account later does not bring the keys back). They cannot log in until enabled."),
                                        UserAction::Enable => format!("Enable {name}? They can log in again."),
                                        UserAction::Promote => format!("Make {name} an administrator? They will see the audit log and manage users."),
                                        UserAction::Demote => format!("Remove the {role} role from {name}? They become an ordinary user."),
                                        UserAction::MakeAuditor => format!("Make {name} an auditor? They can read the audit log, verify it and download its exports; nothing else of the administration."),
                                        UserAction::EndSessions => format!("End every session and REST token of {name}? They must log in again. Their API keys keep working unless you tick the box."),
                                        UserAction::ResetTwoFactor => format!("Turn off two-factor authentication for {name}? Do this only after making sure it is them (they lost their authenticator and recovery codes). Their sessions and REST tokens end; they log in with the password alone and set it up again."),
                                    };
                                    view! {
                                        <div role="alertdialog" aria-labelledby="confirm-action" class="mt-4 rounded-md border border-red-200 bg-red-50 p-4 dark:border-red-900 dark:bg-red-950">
                                            <p id="confirm-action" class="text-sm">{question}</p>
                                            <div class="mt-3 flex gap-2">
                                                <ActionForm action=act attr:class="flex flex-wrap items-center gap-3">
                                                    <input type="hidden" name="id" value=uid />
                                                    <input type="hidden" name="action" value=a.as_str() />
                                                    {(a == UserAction::EndSessions).then(|| view! {
                                                        <Checkbox id="admin-revoke-keys" name="revoke_keys" label="Also revoke their API keys" />
                                                    })}
                                                    <button type="submit" class=DANGER>"Confirm"</button>
                                                </ActionForm>
                                                <button type="button" class=SECONDARY on:click=move |_| pending.set(None)>"Cancel"</button>
                                            </div>
                                        </div>
                                    }
                                })}
                                <UserQuotas id=uid />
                                <UserSso id=uid />
                                <h2 class="mt-8 text-lg font-semibold">"Active sessions"</h2>
                                {if d.sessions.is_empty() {
                                    view! { <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">"No active session."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="mt-2 divide-y divide-slate-200 text-sm dark:divide-slate-800">
                                            {d.sessions.into_iter().map(|s| view! {
                                                <li class="py-2">
                                                    {format!("{} · {} · started ", s.source_ip.unwrap_or_default(), s.device)}
                                                    <LocalTime at=s.created_at />
                                                    " · last seen "
                                                    <LocalTime at=s.last_seen_at />
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            }.into_any()
                        }
            </Loaded>
        </div>
    }
}

/// The person's link to the identity provider: link them by their subject (so
/// they can sign in through it where first sign-ins create no accounts), or
/// unlink them. Shown only when single sign-on is set up.
#[component]
fn UserSso(id: i64) -> impl IntoView {
    use crate::{
        api::admin::{admin_user_sso, AdminLinkSso, AdminUnlinkSso},
        app::components::form::{field_error, form_error, Field, FormError},
    };
    let link = ServerAction::<AdminLinkSso>::new();
    let unlink = ServerAction::<AdminUnlinkSso>::new();
    let sso = Resource::new(
        move || (link.version().get(), unlink.version().get()),
        move |_| admin_user_sso(id),
    );
    let link_value = Signal::derive(move || link.value().get());
    let unlink_error = Signal::derive(move || {
        unlink
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    });
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let Some(s) = sso.await.ok().flatten() else {
                    return ().into_any();
                };
                let provider = s.provider.clone();
                view! {
                    <section aria-labelledby="admin-sso-heading" class="mt-8">
                        <h2 id="admin-sso-heading" class="text-lg font-semibold">{format!("Sign-in with {provider}")}</h2>
                        {match s.subject.clone() {
                            Some(subject) => view! {
                                <p class="mt-2 text-sm">
                                    {format!("Linked to the {provider} account with subject ")}
                                    <code>{subject}</code>
                                    {s.linked_at.map(|at| view! { " since " <LocalTime at=at /> })}
                                    "."
                                </p>
                                <FormError error=unlink_error />
                                <ActionForm action=unlink attr:class="mt-3">
                                    <input type="hidden" name="id" value=id />
                                    <button type="submit" class=SECONDARY>{format!("Unlink from {provider}")}</button>
                                </ActionForm>
                            }.into_any(),
                            None => view! {
                                <p class="mt-2 text-sm">
                                    {format!("Not linked. Enter the person's subject identifier at {provider} (the sub claim, from its console) to let them sign in through it.")}
                                </p>
                                <ActionForm action=link attr:class="mt-3 max-w-md space-y-3">
                                    <input type="hidden" name="id" value=id />
                                    <Field label="Subject (sub)" name="subject" error=field_error(link_value, "subject") />
                                    <FormError error=form_error(link_value) />
                                    <button type="submit" class=SECONDARY>{format!("Link to {provider}")}</button>
                                </ActionForm>
                            }.into_any(),
                        }}
                    </section>
                }
                    .into_any()
            })}
        </Transition>
    }
}

/// A person's usage and the limits an administrator can set for them.
#[component]
fn UserQuotas(id: i64) -> impl IntoView {
    use crate::{
        api::admin::{admin_user_quotas, SetAdminUserQuotas},
        app::components::{form::field_error, quota::QuotaList},
    };
    let set = ServerAction::<SetAdminUserQuotas>::new();
    let quotas = Resource::new(move || set.version().get(), move |_| admin_user_quotas(id));
    let value = Signal::derive(move || set.value().get());
    let field = move |name: &'static str,
                      label: &'static str,
                      hint: &'static str,
                      now: Option<i64>| {
        let input_id = format!("quota-{name}");
        let error_id = format!("{input_id}-error");
        let hint_id = format!("{input_id}-hint");
        let error = field_error(value, name);
        let described = {
            let (h, e) = (hint_id.clone(), error_id.clone());
            move || {
                if error.get().is_some() {
                    format!("{h} {e}")
                } else {
                    h.clone()
                }
            }
        };
        view! {
            <div class="space-y-1">
                <label for=input_id.clone() class="block text-sm font-medium">{label}</label>
                <input id=input_id name=name type="text" inputmode="numeric" value=now.map(|n| n.to_string()) class=INPUT
                    aria-invalid=move || error.get().is_some().then_some("true")
                    aria-describedby=described />
                <p id=hint_id class="text-xs text-slate-500 dark:text-slate-400">{hint}</p>
                <p id=error_id class="text-sm text-red-600 dark:text-red-400">{move || error.get()}</p>
            </div>
        }
    };
    view! {
        <section aria-labelledby="quota-heading" class="mt-8">
            <h2 id="quota-heading" class="text-lg font-semibold">"Usage and limits"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    quotas.await.ok().map(|q| view! {
                        <QuotaList q=q.clone() />
                        <ActionForm action=set attr:class="mt-4 grid max-w-3xl grid-cols-1 gap-4 sm:grid-cols-3">
                            <input type="hidden" name="id" value=id />
                            {field("storage_mb", "Storage (MB)", "Empty: the default. 0: no limit.", q.storage_mb_override)}
                            {field("tokens_per_day", "Assistant tokens per day", "Empty: the default. 0: no limit.", q.tokens_override)}
                            {field("api_keys", "Working API keys", "Empty: the default. 0: no limit.", q.api_keys_override)}
                            <div class="sm:col-span-3">
                                <button type="submit" class=SECONDARY>"Save limits"</button>
                                {move || matches!(value.get(), Some(Ok(()))).then(|| view! { <span role="status" class="ml-3 text-sm text-emerald-700 dark:text-emerald-400">"Saved."</span> })}
                            </div>
                        </ActionForm>
                    })
                })}
            </Suspense>
        </section>
    }
}
