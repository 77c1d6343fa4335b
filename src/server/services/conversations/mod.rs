//! Conversations: private to their owner, trashed before they are deleted, answered
//! by the configured assistant from the owner's documents.
//!
//! Sending a message stores it first (so nothing the person wrote can be lost),
//! then a background task writes the reply: it streams to whoever is reading and
//! is stored when complete, stopped or failed, whatever happens to the reader.
//!
//! `crud` holds the conversations themselves (create, read, list, rename, trash);
//! `replies` writes the assistant's answers, `citations` ties answers to the
//! passages they quote, `export` turns a conversation into a file, `sharing`
//! shares one read-only with a space.

mod citations;
mod crud;
mod export;
mod replies;
mod sharing;

pub use crate::server::replies::Replies;
pub use citations::cited_numbers;
pub use crud::{create, get, list, purge, purge_expired, rename, restore, trash, usage};
pub use export::{export, to_markdown, Export, ExportFormat};
pub use replies::{send, stop, wait, Sending};
pub use sharing::{share, shared_in, unshare};
