//! Types shared by the server and the browser.

pub mod account;
pub mod admin;
pub mod api_docs;
pub mod api_key;
pub mod conversation;
pub mod document;
pub mod notice;
pub mod quota;
pub mod share;
pub mod space;
pub mod sso;
pub mod text;
pub mod theme;
pub mod two_factor;
pub mod user;
pub mod user_agent;
