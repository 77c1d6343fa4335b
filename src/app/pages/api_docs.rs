//! The REST API reference, rendered on the server from the OpenAPI document the
//! handlers generate: readable without JavaScript, no third-party assets.

use crate::app::components::style::LINK;
use crate::{
    api::api_docs::get_api_reference,
    domain::api_docs::{ApiField, ApiOperation, ApiReference, ApiSchema},
};
use leptos::prelude::*;
use leptos_meta::Title;

const TH: &str =
    "px-3 py-2 text-left text-xs font-semibold uppercase text-slate-600 dark:text-slate-400";
const TD: &str = "px-3 py-2 align-top";
const CODE: &str = "rounded bg-slate-100 px-1 py-0.5 font-mono text-sm dark:bg-slate-800";

#[component]
pub fn ApiDocsPage() -> impl IntoView {
    let reference = Resource::new(|| (), |_| get_api_reference());
    view! {
        <Title text="API reference" />
        <div class="mx-auto max-w-4xl py-8">
            <Suspense fallback=|| view! { <p>"Loading the reference…"</p> }>
                {move || Suspend::new(async move {
                    match reference.await {
                        Ok(r) => view! { <Reference r /> }.into_any(),
                        Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn Reference(r: ApiReference) -> impl IntoView {
    let contents = r
        .tags
        .iter()
        .map(|t| {
            let ops = t
                .operations
                .iter()
                .map(|o| {
                    view! {
                        <li>
                            <a href=format!("#{}", o.anchor) class="hover:underline">
                                <span class="font-mono text-xs">{o.method.clone()}</span>
                                " "
                                {o.path.clone()}
                            </a>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <li>
                    <a href=format!("#tag-{}", t.name) class="font-medium hover:underline">{t.name.clone()}</a>
                    <ul class="ml-4 mt-1 space-y-0.5">{ops}</ul>
                </li>
            }
        })
        .collect_view();
    view! {
        <h1 class="text-2xl font-semibold tracking-tight">{format!("{} reference", r.title)}</h1>
        <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">{format!("Version {}", r.version)}</p>
        <p class="mt-4 text-sm leading-6">{rich(r.description.clone())}</p>
        <p class="mt-4 text-sm">
            "The machine-readable description (OpenAPI 3.1): "
            <a href="/api/v1/openapi.json" class=LINK>"/api/v1/openapi.json"</a>
            ". Make a key under "
            <a href="/account/api-keys" class=LINK>"Account → API keys"</a>
            ", then for example:"
        </p>
        <pre class="mt-2 overflow-x-auto rounded-md bg-slate-100 p-3 text-xs dark:bg-slate-900"><code>"curl -H \"Authorization: Bearer $MOTTO_KEY\" \\\n     "{move || origin()}"/api/v1/documents"</code></pre>
        <nav aria-label="API contents" class="mt-6 rounded-lg border border-slate-200 p-4 text-sm dark:border-slate-800">
            <h2 class="font-semibold">"Contents"</h2>
            <ul class="mt-2 space-y-2">
                {contents}
                <li><a href="#schemas" class="font-medium hover:underline">"Schemas"</a></li>
            </ul>
        </nav>
        {r.tags.into_iter().map(|t| view! {
            <section aria-labelledby=format!("tag-{}", t.name) class="mt-10">
                <h2 id=format!("tag-{}", t.name) class="text-xl font-semibold capitalize">{t.name.clone()}</h2>
                <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">{t.description.clone()}</p>
                {t.operations.into_iter().map(|o| view! { <Operation o /> }).collect_view()}
            </section>
        }).collect_view()}
        <section aria-labelledby="schemas" class="mt-12">
            <h2 id="schemas" class="text-xl font-semibold">"Schemas"</h2>
            {r.schemas.into_iter().map(|s| view! { <Schema s /> }).collect_view()}
        </section>
    }
}

/// The address this page was served from, for the example (the server's own in
/// the HTML, the browser's once hydrated: they are the same).
fn origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        window().location().origin().unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        use_context::<crate::server::state::AppState>()
            .map(|s| s.settings.public_origin())
            .unwrap_or_default()
    }
}

/// Text from the spec with its `code spans` shown as code (the rest stays text).
fn rich(text: String) -> impl IntoView {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            let part = part.to_string();
            if i % 2 == 1 {
                view! { <code class=CODE>{part}</code> }.into_any()
            } else {
                part.into_any()
            }
        })
        .collect_view()
}

fn method_class(method: &str) -> &'static str {
    match method {
        "GET" => "bg-emerald-100 text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100",
        "POST" => "bg-indigo-100 text-indigo-900 dark:bg-indigo-900 dark:text-indigo-100",
        "PUT" | "PATCH" => "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100",
        _ => "bg-red-100 text-red-900 dark:bg-red-900 dark:text-red-100",
    }
}

fn type_view(kind: String, link: Option<String>) -> AnyView {
    match link {
        Some(name) => view! {
            <a href=format!("#schema-{name}") class="font-mono text-xs text-indigo-700 hover:underline dark:text-indigo-300">{kind}</a>
        }
        .into_any(),
        None => view! { <span class="font-mono text-xs">{kind}</span> }.into_any(),
    }
}

#[component]
fn Fields(fields: Vec<ApiField>, #[prop(optional)] params: bool) -> impl IntoView {
    view! {
        <table class="mt-2 w-full text-sm">
            <thead>
                <tr>
                    <th scope="col" class=TH>"Name"</th>
                    {params.then(|| view! { <th scope="col" class=TH>"In"</th> })}
                    <th scope="col" class=TH>"Type"</th>
                    <th scope="col" class=TH>"Description"</th>
                </tr>
            </thead>
            <tbody class="divide-y divide-slate-100 dark:divide-slate-800">
                {fields.into_iter().map(|f| view! {
                    <tr>
                        <td class=TD>
                            <code class="font-mono text-xs">{f.name}</code>
                            {f.required.then(|| view! { <span class="ml-1 text-xs text-red-700 dark:text-red-400">"required"</span> })}
                        </td>
                        {params.then(|| view! { <td class=TD>{f.location.clone()}</td> })}
                        <td class=TD>{type_view(f.kind, f.link)}</td>
                        <td class=TD>{rich(f.description)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Operation(o: ApiOperation) -> impl IntoView {
    let heading = format!("{}-heading", o.anchor);
    let labelled_by = heading.clone();
    let auth = match &o.scopes {
        None => "No credential needed.".to_string(),
        Some(s) if s.is_empty() => "Needs an API key or access token.".to_string(),
        Some(s) => format!(
            "Needs an API key with the scope {} (or an access token).",
            s.join(", ")
        ),
    };
    view! {
        <article id=o.anchor.clone() aria-labelledby=labelled_by class="mt-6 rounded-lg border border-slate-200 p-4 dark:border-slate-800">
            <h3 id=heading class="flex flex-wrap items-center gap-2 text-base font-semibold">
                <span class=format!("rounded px-2 py-0.5 font-mono text-xs {}", method_class(&o.method))>{o.method.clone()}</span>
                " "
                <code class="font-mono text-sm">{o.path.clone()}</code>
                " "
                <span class="font-normal text-slate-600 dark:text-slate-400">{o.summary.clone()}</span>
            </h3>
            {(!o.description.is_empty()).then(|| view! { <p class="mt-2 text-sm">{rich(o.description.clone())}</p> })}
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">{auth}</p>
            {(!o.params.is_empty()).then(|| view! {
                <h4 class="mt-3 text-sm font-semibold">"Parameters"</h4>
                <Fields fields=o.params.clone() params=true />
            })}
            {o.request.clone().map(|r| view! {
                <p class="mt-3 text-sm"><span class="font-semibold">"Request body: "</span>
                    <a href=format!("#schema-{r}") class=format!("{CODE} text-indigo-700 hover:underline dark:text-indigo-300")>{r.clone()}</a>
                    " (JSON)"
                </p>
            })}
            <h4 class="mt-3 text-sm font-semibold">"Responses"</h4>
            <table class="mt-2 w-full text-sm">
                <thead>
                    <tr>
                        <th scope="col" class=TH>"Status"</th>
                        <th scope="col" class=TH>"Meaning"</th>
                        <th scope="col" class=TH>"Body"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100 dark:divide-slate-800">
                    {o.responses.into_iter().map(|r| view! {
                        <tr>
                            <td class=format!("{TD} font-mono")>{r.status}</td>
                            <td class=TD>{rich(r.description)}</td>
                            <td class=TD>{r.schema.map(|s| type_view(s.clone(), Some(s).filter(|s| !s.contains(' '))))}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </article>
    }
}

#[component]
fn Schema(s: ApiSchema) -> impl IntoView {
    let id = format!("schema-{}", s.name);
    let labelled_by = id.clone();
    view! {
        <article aria-labelledby=labelled_by class="mt-6">
            <h3 id=id class="font-mono text-base font-semibold">{s.name.clone()}</h3>
            {(!s.description.is_empty()).then(|| view! { <p class="mt-1 text-sm">{rich(s.description.clone())}</p> })}
            {if s.fields.is_empty() {
                view! { <p class="mt-1 text-sm"><span class="font-mono text-xs">{s.kind.clone()}</span></p> }.into_any()
            } else {
                view! { <Fields fields=s.fields /> }.into_any()
            }}
        </article>
    }
}
