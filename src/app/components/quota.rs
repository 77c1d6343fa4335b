//! What a person uses of their quotas, as the account page and the admin's user
//! page show it.

use crate::domain::quota::{format_bytes, of, QuotaView};
use leptos::prelude::*;

#[component]
pub fn QuotaList(q: QuotaView) -> impl IntoView {
    let storage = of(
        format_bytes(q.storage_bytes),
        q.storage_limit.map(format_bytes),
    );
    let tokens = of(
        q.tokens_today.to_string(),
        q.tokens_limit.map(|n| n.to_string()),
    );
    let keys = of(
        q.api_keys.to_string(),
        q.api_keys_limit.map(|n| n.to_string()),
    );
    view! {
        <dl class="mt-3 grid grid-cols-1 gap-4 text-sm sm:grid-cols-3">
            <div>
                <dt class="text-slate-600 dark:text-slate-400">"Storage (every version, trash included)"</dt>
                <dd class="font-semibold">{storage}</dd>
            </div>
            <div>
                <dt class="text-slate-600 dark:text-slate-400">"Assistant tokens today (UTC)"</dt>
                <dd class="font-semibold">{tokens}</dd>
            </div>
            <div>
                <dt class="text-slate-600 dark:text-slate-400">"Working API keys"</dt>
                <dd class="font-semibold">{keys}</dd>
            </div>
        </dl>
    }
}
