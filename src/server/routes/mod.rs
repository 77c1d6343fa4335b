//! Plain axum routes (outside Leptos): operations endpoints, file uploads,
//! conversation replies and exports.

pub mod admin;
pub mod conversations;
pub mod ops;
pub mod upload;
