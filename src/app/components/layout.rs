use super::theme_toggle::ThemeToggle;
use crate::app::auth::use_auth;
use leptos::prelude::*;

/// Header with the product name and navigation, the page, and a footer.
/// Navigation entries appear here as features land.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <a
            href="#main"
            class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:text-slate-900"
        >
            "Skip to content"
        </a>
        <header class="border-b border-slate-200 dark:border-slate-800">
            <div class="mx-auto flex max-w-6xl items-center justify-between gap-4 px-4 py-3">
                <a href="/" class="flex items-center gap-2 text-lg font-semibold tracking-tight">
                    <span aria-hidden="true" class="inline-block h-6 w-6 rounded-md bg-indigo-600"></span>
                    "Motto"
                </a>
                <nav aria-label="Main" class="flex items-center gap-4 text-sm">
                    <ThemeToggle />
                    <UserMenu />
                </nav>
            </div>
        </header>
        <ConfirmEmailBanner />
        <main id="main" class="mx-auto max-w-6xl px-4">
            {children()}
        </main>
        <footer class="mx-auto max-w-6xl px-4 py-8 text-xs text-slate-500 dark:text-slate-400">
            "Motto · self-hosted · "
            <a href="/docs/api" class="hover:underline">"API reference"</a>
        </footer>
    }
}

/// For a signed-in person whose email address is not confirmed yet.
#[component]
fn ConfirmEmailBanner() -> impl IntoView {
    let user = use_auth().user;
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let u = user.await.ok().flatten().filter(|u| !u.email_confirmed)?;
                Some(view! {
                    <div role="region" aria-label="Confirm your email address" class="border-b border-amber-300 bg-amber-50 dark:border-amber-800 dark:bg-amber-950">
                        <p class="mx-auto max-w-6xl px-4 py-2 text-sm">
                            {format!("Confirm your email address: open the link we sent to {}. Until then, log in with your username; password reset mail cannot reach you. ", u.email)}
                            <a href="/account" class="font-medium underline underline-offset-2">"Send it again or change the address"</a>
                        </p>
                    </div>
                })
            })}
        </Transition>
    }
}

const LINK: &str = "rounded-md px-2 py-1.5 font-medium hover:bg-slate-100 dark:hover:bg-slate-800";

/// "Log in / Register" for visitors; the user's name and "Log out" once signed in.
#[component]
fn UserMenu() -> impl IntoView {
    let auth = use_auth();
    let user = auth.user;
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(u)) => {
                        view! {
                            <a href="/documents" class=LINK>
                                "Documents"
                            </a>
                            <a href="/conversations" class=LINK>
                                "Conversations"
                            </a>
                            <a href="/spaces" class=LINK>
                                "Spaces"
                            </a>
                            {u.is_admin().then(|| view! {
                                <a href="/admin/audit" class=LINK>
                                    "Admin"
                                </a>
                            })}
                            {(u.can_audit() && !u.is_admin()).then(|| view! {
                                <a href="/admin/audit" class=LINK>
                                    "Audit log"
                                </a>
                            })}
                            <a href="/account" class=LINK aria-label=format!("Account: {}", u.username)>
                                {u.username.clone()}
                            </a>
                            <ActionForm action=auth.logout>
                                <button type="submit" class=LINK>
                                    "Log out"
                                </button>
                            </ActionForm>
                        }
                            .into_any()
                    }
                    _ => {
                        view! {
                            <a href="/login" class=LINK>
                                "Log in"
                            </a>
                            <a href="/register" class=LINK>
                                "Register"
                            </a>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
