//! Plain axum routes (outside Leptos): operations endpoints, file uploads,
//! conversation replies and exports, shared documents' public pages.

pub mod account;
pub mod admin;
pub mod api_v1;
pub mod conversations;
pub mod ops;
pub mod share;
pub mod sso;
pub mod upload;
