//! Server functions: parse input, call a service, return a DTO. Nothing else.
//! Server-only imports stay inside the function bodies so the WASM bundle never
//! pulls in sqlx or argon2.

pub mod account;
pub mod admin;
pub mod api_docs;
pub mod api_keys;
pub mod auth;
pub mod conversations;
pub mod documents;
pub mod password_reset;
pub mod share_links;
pub mod spaces;
pub mod two_factor;
