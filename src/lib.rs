//! Motto: a self-hosted, secure document-and-conversation workspace.
//!
//! One crate, two builds: `ssr` is the axum server binary, `hydrate` the WASM
//! bundle that makes the server-rendered pages interactive.

#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod domain;
pub mod error;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
