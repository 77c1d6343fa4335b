//! Plain axum routes (outside Leptos): operations endpoints and file uploads.

pub mod ops;
pub mod upload;
