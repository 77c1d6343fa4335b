//! Times in the viewer's time zone: the one chosen in their preferences, else the
//! browser's. The server renders UTC; once hydrated, the browser rewrites the text
//! in the zone, and the `datetime` attribute and the tooltip keep the exact UTC
//! instant.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

#[component]
pub fn LocalTime(at: DateTime<Utc>) -> impl IntoView {
    let utc = at.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    let text = RwSignal::new(utc.clone());
    let user = use_context::<crate::app::auth::Auth>().map(|a| a.user);
    Effect::new(move |_| {
        let zone = user
            .and_then(|u| u.get())
            .and_then(|r| r.ok())
            .flatten()
            .and_then(|u| u.time_zone);
        #[cfg(feature = "hydrate")]
        {
            let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
                at.timestamp_millis() as f64
            ));
            let options = js_sys::Object::new();
            if let Some(zone) = zone {
                let _ = js_sys::Reflect::set(&options, &"timeZone".into(), &zone.into());
                let _ = js_sys::Reflect::set(&options, &"timeZoneName".into(), &"short".into());
            }
            let local: String = date.to_locale_string("default", &options).into();
            text.set(local);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = zone;
    });
    view! {
        <time datetime=at.to_rfc3339() title=utc>
            {move || text.get()}
        </time>
    }
}
