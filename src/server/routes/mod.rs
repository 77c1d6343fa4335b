//! Plain axum routes (outside Leptos): operations endpoints for now.

pub mod ops;
