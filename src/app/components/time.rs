//! Times in the viewer's time zone. The server renders UTC (it cannot know the
//! zone); once hydrated, the browser rewrites the text in its own zone, and the
//! `datetime` attribute and the tooltip keep the exact UTC instant.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

#[component]
pub fn LocalTime(at: DateTime<Utc>) -> impl IntoView {
    let utc = at.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    let text = RwSignal::new(utc.clone());
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
                at.timestamp_millis() as f64
            ));
            let local: String = date
                .to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED)
                .into();
            text.set(local);
        }
    });
    view! {
        <time datetime=at.to_rfc3339() title=utc>
            {move || text.get()}
        </time>
    }
}
