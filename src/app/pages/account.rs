use crate::app::auth::use_auth;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

/// The signed-in person's account. The server redirects anonymous page loads to
/// the login page; this redirect covers navigation inside the app.
#[component]
pub fn AccountPage() -> impl IntoView {
    let user = use_auth().user;
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
