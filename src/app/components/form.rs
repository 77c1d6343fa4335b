//! Form pieces: every input has a visible label, and its error sits right below it,
//! tied to the input with `aria-describedby` so screen readers announce it.

use crate::{
    domain::text::{Email, Username},
    error::AppError,
};
use leptos::prelude::*;

/// The message for `field` in the latest result of an action, if any.
pub fn field_error(
    value: Signal<Option<Result<(), AppError>>>,
    field: &'static str,
) -> Signal<Option<String>> {
    Signal::derive(move || {
        value
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.for_field(field))
    })
}

/// The form-level message in the latest result of an action, if any.
pub fn form_error(value: Signal<Option<Result<(), AppError>>>) -> Signal<Option<String>> {
    Signal::derive(move || value.get().and_then(|r| r.err()).and_then(|e| e.for_form()))
}

/// A labelled input with its hint and error below it. With `rows` it is a
/// multi-line text area (the document editor's body); `on_input` hears every
/// keystroke.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    /// The value the input starts with.
    #[prop(optional, into)]
    value: Option<String>,
    #[prop(into)] error: Signal<Option<String>>,
    /// The field may be left empty (e.g. a password asked only sometimes).
    #[prop(optional)]
    optional: bool,
    /// Lines of a multi-line text area; a one-line input when absent.
    #[prop(optional)]
    rows: Option<u32>,
    /// Set in a fixed-width font (Markdown source).
    #[prop(optional)]
    monospace: bool,
    #[prop(optional, into)] on_input: Option<Callback<String>>,
    /// The field's rule from `domain::text` (e.g. `|s| DocumentTitle::parse(s).err()`),
    /// checked in the browser when the person leaves the field, and again at each
    /// keystroke while it fails; its message shows in place of the server's until
    /// the text passes. The server checks again.
    #[prop(optional)]
    check: Option<fn(&str) -> Option<String>>,
    /// The id of a `<datalist>` of suggestions (one-line inputs).
    #[prop(optional)]
    list: Option<&'static str>,
) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let error = Signal::derive(move || problem.get().or_else(|| error.get()));
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = hint.map(|_| format!("{id}-hint"));
    let described_by = {
        let error_id = error_id.clone();
        let hint_id = hint_id.clone();
        move || {
            let mut ids = Vec::new();
            if let Some(h) = &hint_id {
                ids.push(h.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let invalid = move || error.get().is_some().then_some("true");
    let class = format!(
        "{}{} aria-[invalid=true]:border-red-500",
        super::style::INPUT,
        if monospace { " font-mono" } else { "" }
    );
    let typed = move |ev| {
        let text = event_target_value(&ev);
        if let Some(check) = check.filter(|_| problem.get_untracked().is_some()) {
            problem.set(check(&text));
        }
        if let Some(cb) = on_input {
            cb.run(text);
        }
    };
    let left = move |ev| {
        if let Some(check) = check {
            problem.set(check(&event_target_value(&ev)));
        }
    };
    let control = match rows {
        Some(rows) => view! {
            <textarea
                id=id.clone()
                name=name
                rows=rows
                required=!optional
                aria-invalid=invalid
                aria-describedby=described_by
                on:input=typed
                on:change=left
                class=class
            >
                {value}
            </textarea>
        }
        .into_any(),
        None => view! {
            <input
                id=id.clone()
                name=name
                type=input_type
                autocomplete=autocomplete
                list=list
                value=value
                required=!optional
                aria-invalid=invalid
                aria-describedby=described_by
                on:input=typed
                on:change=left
                class=class
            />
        }
        .into_any(),
    };
    view! {
        <div class="space-y-1">
            <label for=id class="block text-sm font-medium">
                {label}
            </label>
            {control}
            {hint_id
                .map(|hid| {
                    view! {
                        <p id=hid class="text-xs text-slate-500 dark:text-slate-400">
                            {hint}
                        </p>
                    }
                })}
            <Show when=move || error.get().is_some()>
                <p id=error_id.clone() class="text-sm text-red-600 dark:text-red-400">
                    {move || error.get()}
                </p>
            </Show>
        </div>
    }
}

#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <div role="alert" aria-live="polite">
            <Show when=move || error.get().is_some()>
                <p class="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-700 dark:border-red-900 dark:bg-red-950 dark:text-red-300">
                    {move || error.get()}
                </p>
            </Show>
        </div>
    }
}

#[component]
pub fn SubmitButton(
    label: &'static str,
    pending_label: &'static str,
    #[prop(into)] pending: Signal<bool>,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            aria-disabled=move || pending.get().then_some("true")
            class="w-full rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 aria-disabled:opacity-60"
        >
            {move || if pending.get() { pending_label } else { label }}
        </button>
    }
}

pub const PASSWORD_HINT: &str =
    "12 to 128 characters, any you like. A phrase of a few unrelated words works well.";

/// Username, email, password and confirmation: the fields of a new account, shared
/// by registration and the first-admin setup.
#[component]
pub fn AccountFields(value: Signal<Option<Result<(), AppError>>>) -> impl IntoView {
    view! {
        <Field
            label="Username"
            name="username"
            autocomplete="username"
            hint="3 to 32 letters, digits, dots, dashes or underscores."
            error=field_error(value, "username")
            check=|s: &str| Username::parse(s).err()
        />
        <Field
            label="Email"
            name="email"
            input_type="email"
            autocomplete="email"
            error=field_error(value, "email")
            check=|s: &str| Email::parse(s).err()
        />
        <Field
            label="Password"
            name="password"
            input_type="password"
            autocomplete="new-password"
            hint=PASSWORD_HINT
            error=field_error(value, "password")
        />
        <Field
            label="Confirm password"
            name="password_confirm"
            input_type="password"
            autocomplete="new-password"
            error=field_error(value, "password_confirm")
        />
    }
}

/// A labelled checkbox sending `name=on` when ticked, with an optional hint tied
/// to it. `id` must be unique on the page.
#[component]
pub fn Checkbox(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] checked: bool,
) -> impl IntoView {
    let hint_id = hint.map(|_| format!("{id}-hint"));
    view! {
        <div class="flex items-start gap-2 text-sm">
            <input type="checkbox" id=id name=name checked=checked aria-describedby=hint_id.clone() class="mt-0.5 h-4 w-4" />
            <div>
                <label for=id class="font-medium">{label}</label>
                {hint.map(|h| view! { <p id=hint_id.clone() class="text-slate-600 dark:text-slate-400">{h}</p> })}
            </div>
        </div>
    }
}
