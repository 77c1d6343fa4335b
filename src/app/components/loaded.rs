//! A resource on a page: "Loading…" while it loads, its error (said next to where
//! the content would be, with the error's HTTP status on the server render) if it
//! fails, else the content made from its value.

use crate::error::AppError;
use leptos::prelude::*;

/// `children` makes the content from the loaded value. `error` replaces the
/// default alert, e.g. with a "Not found" page. With `keep`, the content on
/// screen stays while the resource loads again (a list being re-sorted or
/// searched); otherwise "Loading…" replaces it (a page for another id).
///
/// Pages that treat a failed load as a state of their own (signed out, so
/// redirect; registration closed) keep their own `Suspense`.
#[component]
pub fn Loaded<T, F, V>(
    resource: Resource<Result<T, AppError>>,
    children: F,
    #[prop(optional, into)] error: Option<Callback<AppError, AnyView>>,
    #[prop(optional)] keep: bool,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let content = move || {
        let children = children.clone();
        Suspend::new(async move {
            match resource.await {
                Ok(value) => children(value).into_any(),
                Err(e) => match error {
                    Some(show) => show.run(e),
                    None => {
                        crate::error::answer_page_with(&e);
                        view! { <p role="alert" class="mt-6 text-sm text-red-600">{e.to_string()}</p> }
                            .into_any()
                    }
                },
            }
        })
    };
    let loading = || view! { <p class="mt-6 text-sm">"Loading…"</p> };
    if keep {
        view! { <Transition fallback=loading>{content}</Transition> }.into_any()
    } else {
        view! { <Suspense fallback=loading>{content}</Suspense> }.into_any()
    }
}
