//! The user interface: rendered on the server, hydrated in the browser. No sqlx here.

pub mod auth;
pub mod components;
pub mod pages;

use crate::domain::theme::Theme;
use components::layout::Layout;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};
use pages::{
    account::AccountPage,
    admin::{AdminAuditEventPage, AdminAuditPage, AdminHomePage, AdminUserPage, AdminUsersPage},
    admin_spaces::{AdminGroupPage, AdminGroupsPage, AdminSpacesPage},
    api_docs::ApiDocsPage,
    api_keys::ApiKeysPage,
    confirm_email::ConfirmEmailPage,
    conversations::{
        ConversationPage, ConversationTrashPage, ConversationsPage, NewConversationPage,
    },
    documents::{
        DocumentPage, DocumentsPage, EditDocumentPage, NewDocumentPage, RevisionPage, TrashPage,
        UploadPage,
    },
    home::HomePage,
    login::LoginPage,
    not_found::NotFound,
    password_reset::{DevOutboxPage, ForgotPasswordPage, ResetPasswordPage},
    register::RegisterPage,
    setup::SetupPage,
    share_links::AdminShareLinksPage,
    spaces::{SpacePage, SpacesPage},
    two_factor::{TwoFactorLoginPage, TwoFactorPage},
};

/// The HTML document around the app. Runs on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let theme = request_theme();
    let (asset_root, stylesheet) = site_urls();
    view! {
        <!DOCTYPE html>
        <html lang="en" class=theme.html_class() data-theme=theme.as_str()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <meta name="description" content="Motto: your documents and conversations, on your own server." />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="stylesheet" id="leptos" href=stylesheet />
                <HydrationScripts options root=asset_root />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-white text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
                <App />
            </body>
        </html>
    }
}

/// Where the page loads the compiled site from, and its stylesheet: content-hashed
/// URLs that browsers may cache for good (see `server::site`).
#[cfg(feature = "ssr")]
fn site_urls() -> (String, String) {
    match use_context::<crate::server::state::AppState>() {
        Some(state) => (state.site.asset_root(), state.site.stylesheet()),
        None => (String::new(), "/pkg/motto.css".into()),
    }
}

/// The shell is rendered on the server only.
#[cfg(not(feature = "ssr"))]
fn site_urls() -> (String, String) {
    (String::new(), "/pkg/motto.css".into())
}

/// The theme the request's cookie asks for (server side).
#[cfg(feature = "ssr")]
pub fn request_theme() -> Theme {
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get(http::header::COOKIE)
                .and_then(|v| v.to_str().ok())
                .map(Theme::from_cookie_header)
        })
        .unwrap_or_default()
}

/// The theme the server rendered into `<html data-theme>` (browser side).
#[cfg(not(feature = "ssr"))]
pub fn request_theme() -> Theme {
    document()
        .document_element()
        .and_then(|el| el.get_attribute("data-theme"))
        .map(|v| Theme::parse(&v))
        .unwrap_or_default()
}

/// The `<title>` text. leptos_meta writes it into the server's HTML unescaped, so a
/// title such as `</title><script>` would end the element and inject markup: escape
/// it there. In the browser it is set as text, which must stay as typed.
pub fn title_text(text: String) -> String {
    #[cfg(feature = "ssr")]
    {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }
    #[cfg(not(feature = "ssr"))]
    {
        text
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    auth::provide_auth();

    // Runs only in the browser, once hydration is done: end-to-end tests wait for
    // this mark before they click, because clicks before hydration do nothing.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        // The empty text at the bottom of the title stack keeps "Motto" in the tab
        // while a page's own title is between pages (a page waiting for its data).
        <Title text="" formatter=|text: String| {
            title_text(if text.is_empty() { "Motto".to_string() } else { format!("{text} · Motto") })
        } />
        <Router>
            <Layout>
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("") view=HomePage />
                    <Route path=path!("login") view=LoginPage />
                    <Route path=path!("login/two-factor") view=TwoFactorLoginPage />
                    <Route path=path!("account/two-factor") view=TwoFactorPage />
                    <Route path=path!("forgot-password") view=ForgotPasswordPage />
                    <Route path=path!("reset-password") view=ResetPasswordPage />
                    <Route path=path!("confirm-email") view=ConfirmEmailPage />
                    <Route path=path!("dev/outbox") view=DevOutboxPage ssr=SsrMode::Async />
                    <Route path=path!("register") view=RegisterPage />
                    <Route path=path!("setup") view=SetupPage />
                    <Route path=path!("account") view=AccountPage />
                    <Route path=path!("account/api-keys") view=ApiKeysPage />
                    <Route path=path!("docs/api") view=ApiDocsPage ssr=SsrMode::Async />
                    // Async: a non-admin gets the 404 status before the first byte.
                    <Route path=path!("admin") view=AdminHomePage ssr=SsrMode::Async />
                    <Route path=path!("admin/audit") view=AdminAuditPage ssr=SsrMode::Async />
                    <Route path=path!("admin/audit/:id") view=AdminAuditEventPage ssr=SsrMode::Async />
                    <Route path=path!("admin/users") view=AdminUsersPage ssr=SsrMode::Async />
                    <Route path=path!("admin/users/:id") view=AdminUserPage ssr=SsrMode::Async />
                    <Route path=path!("admin/groups") view=AdminGroupsPage ssr=SsrMode::Async />
                    <Route path=path!("admin/groups/:id") view=AdminGroupPage ssr=SsrMode::Async />
                    <Route path=path!("admin/spaces") view=AdminSpacesPage ssr=SsrMode::Async />
                    <Route path=path!("admin/share-links") view=AdminShareLinksPage ssr=SsrMode::Async />
                    <Route path=path!("conversations") view=ConversationsPage />
                    <Route path=path!("conversations/new") view=NewConversationPage />
                    <Route path=path!("conversations/trash") view=ConversationTrashPage />
                    <Route path=path!("conversations/:id") view=ConversationPage ssr=SsrMode::Async />
                    <Route path=path!("spaces") view=SpacesPage />
                    <Route path=path!("spaces/:id") view=SpacePage ssr=SsrMode::Async />
                    <Route path=path!("documents") view=DocumentsPage />
                    <Route path=path!("documents/new") view=NewDocumentPage />
                    <Route path=path!("documents/trash") view=TrashPage />
                    <Route path=path!("documents/upload") view=UploadPage />
                    // Async: the status (404 for a document that is not yours) is known
                    // before the first byte is sent.
                    <Route path=path!("documents/:id") view=DocumentPage ssr=SsrMode::Async />
                    <Route path=path!("documents/:id/edit") view=EditDocumentPage ssr=SsrMode::Async />
                    <Route
                        path=path!("documents/:id/revisions/:version")
                        view=RevisionPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </Layout>
        </Router>
    }
}

/// `s` percent-encoded for a URL's query (everything but RFC 3986's unreserved
/// characters).
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
