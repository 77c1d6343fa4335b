use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="" />
        <section class="mx-auto max-w-3xl py-12 sm:py-20">
            <h1 class="text-4xl font-semibold tracking-tight sm:text-5xl">
                "Your documents and conversations, on your own server."
            </h1>
            <p class="mt-6 text-lg leading-8 text-slate-600 dark:text-slate-300">
                "Motto keeps your notes and files in one private place, finds them by what they say, "
                "and answers questions about them with citations you can check. Every security-relevant "
                "action lands in a tamper-evident audit log."
            </p>
        </section>
        <section aria-labelledby="features-heading" class="mx-auto max-w-5xl pb-16">
            <h2 id="features-heading" class="sr-only">"What Motto does"</h2>
            <ul class="grid gap-6 sm:grid-cols-3">
                <Feature
                    title="Documents"
                    text="Write in Markdown or upload files, search everything you keep, and go back to any earlier revision."
                />
                <Feature
                    title="Conversations"
                    text="Ask questions about your own documents and get answers that cite the passages they came from."
                />
                <Feature
                    title="Audit log"
                    text="Sign-ins, changes and admin actions are recorded in a hash-chained log that shows any tampering."
                />
            </ul>
        </section>
    }
}

#[component]
fn Feature(title: &'static str, text: &'static str) -> impl IntoView {
    view! {
        <li class="rounded-xl border border-slate-200 p-6 dark:border-slate-800">
            <h3 class="text-base font-semibold">{title}</h3>
            <p class="mt-2 text-sm leading-6 text-slate-600 dark:text-slate-400">{text}</p>
        </li>
    }
}
