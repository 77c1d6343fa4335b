//! Business rules. Every state change writes its audit event here, in the same
//! transaction as the change.

pub mod accounts;
pub mod admin;
pub mod api_docs;
pub mod api_keys;
pub mod assistant;
pub mod audit_checkpoints;
pub mod audit_retention;
pub mod audit_stream;
pub mod conversations;
pub mod credentials;
pub mod documents;
pub mod email_confirmation;
pub mod groups;
pub mod password_reset;
pub mod profile;
pub mod quotas;
pub mod sessions;
pub mod share_links;
pub mod spaces;
pub mod sso;
pub mod tokens;
pub mod two_factor;
pub mod your_data;

/// What a trash action on a document or conversation does. Matched exhaustively,
/// so no unknown operation can fall into deleting for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrashOp {
    /// Move to the trash (restorable).
    Delete,
    /// Back out of the trash.
    Restore,
    /// Delete for good (from the trash only).
    Purge,
}
