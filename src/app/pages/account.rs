use crate::{api::conversations::conversation_usage, app::auth::use_auth};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

/// The signed-in person's account. The server redirects anonymous page loads to
/// the login page; this redirect covers navigation inside the app.
#[component]
pub fn AccountPage() -> impl IntoView {
    let user = use_auth().user;
    let usage = Resource::new(|| (), |_| conversation_usage());
    view! {
        <Title text="Your account" />
        <div class="mx-auto max-w-2xl py-12">
            <h1 class="text-2xl font-semibold tracking-tight">"Your account"</h1>
            <Suspense fallback=|| view! { <p class="mt-6 text-sm">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(u)) => {
                            view! {
                                <dl class="mt-6 divide-y divide-slate-200 rounded-lg border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
                                    <div class="grid grid-cols-3 gap-4 px-4 py-3">
                                        <dt class="text-sm font-medium text-slate-500">"Username"</dt>
                                        <dd class="col-span-2 text-sm">{u.username.clone()}</dd>
                                    </div>
                                    <div class="grid grid-cols-3 gap-4 px-4 py-3">
                                        <dt class="text-sm font-medium text-slate-500">"Email"</dt>
                                        <dd class="col-span-2 text-sm">{u.email.clone()}</dd>
                                    </div>
                                    <div class="grid grid-cols-3 gap-4 px-4 py-3">
                                        <dt class="text-sm font-medium text-slate-500">"Role"</dt>
                                        <dd class="col-span-2 text-sm">
                                            {if u.is_admin() { "Administrator" } else { "User" }}
                                        </dd>
                                    </div>
                                </dl>
                                <p class="mt-6 text-sm">
                                    <a href="/account/api-keys" class="text-indigo-700 hover:underline dark:text-indigo-300">"API keys"</a>
                                    " · use the REST API from scripts"
                                </p>
                                <section aria-labelledby="usage-heading" class="mt-8">
                                    <h2 id="usage-heading" class="text-lg font-semibold">"Assistant usage"</h2>
                                    <Suspense fallback=|| ()>
                                        {move || Suspend::new(async move {
                                            usage.await.ok().map(|t| view! {
                                                <dl class="mt-3 grid grid-cols-3 gap-4 text-sm">
                                                    <div><dt class="text-slate-500">"Answers"</dt><dd class="text-lg font-semibold">{t.assistant_messages}</dd></div>
                                                    <div><dt class="text-slate-500">"Prompt tokens"</dt><dd class="text-lg font-semibold">{t.prompt_tokens}</dd></div>
                                                    <div><dt class="text-slate-500">"Completion tokens"</dt><dd class="text-lg font-semibold">{t.completion_tokens}</dd></div>
                                                </dl>
                                                {(t.estimated_messages > 0).then(|| view! {
                                                    <p class="mt-2 text-xs text-slate-500">{format!("{} of these answers came from the retrieval assistant, whose counts are estimates (about one token per four bytes of text).", t.estimated_messages)}</p>
                                                })}
                                            })
                                        })}
                                    </Suspense>
                                </section>
                            }
                                .into_any()
                        }
                        _ => view! { <Redirect path="/login?next=%2Faccount" /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}
