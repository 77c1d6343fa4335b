//! The replies this instance is writing, so Stop can reach them and a
//! conversation answers one question at a time. Lives in the shared state; a leaf
//! module.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};
use tokio_util::sync::CancellationToken;

#[derive(Default)]
pub struct Replies {
    active: Mutex<HashMap<i64, Active>>,
}

struct Active {
    owner: i64,
    conversation: i64,
    cancel: CancellationToken,
}

impl Replies {
    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Active>> {
        // A panic while holding this lock cannot leave the map inconsistent.
        self.active.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a reply is being written in `conversation`.
    pub fn busy(&self, conversation: i64) -> bool {
        self.lock().values().any(|a| a.conversation == conversation)
    }

    /// Stop `owner`'s reply `reply`, if it is being written here.
    pub fn cancel(&self, owner: i64, reply: i64) -> bool {
        match self.lock().get(&reply) {
            Some(a) if a.owner == owner => {
                a.cancel.cancel();
                true
            }
            _ => false,
        }
    }

    /// Record a reply being written; it is forgotten when the returned
    /// registration is dropped (however its task ends) or by [`Replies::finish`].
    pub fn register(
        self: &Arc<Self>,
        owner: i64,
        conversation: i64,
        reply: i64,
        cancel: CancellationToken,
    ) -> Registration {
        self.lock().insert(
            reply,
            Active {
                owner,
                conversation,
                cancel,
            },
        );
        Registration {
            replies: self.clone(),
            reply,
        }
    }

    /// Forget a reply now (it is written), freeing its conversation.
    pub fn finish(&self, reply: i64) {
        self.lock().remove(&reply);
    }
}

/// Removes a reply from [`Replies`] when its task ends, however it ends.
pub struct Registration {
    replies: Arc<Replies>,
    reply: i64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.replies.finish(self.reply);
    }
}
