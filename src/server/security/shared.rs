//! The security state each instance keeps (in the shared application state): the
//! rate-limit and throttle counts, audit de-duplication, the cached two-factor
//! policy, and the checks of secrets running now. A leaf of the state: it uses no
//! middleware and no service.

use super::store;

/// Bounded audit noise: one event per key per minute.
#[derive(Default)]
pub struct Dedupe {
    seen: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
}

impl Dedupe {
    pub fn should_record(&self, key: &str) -> bool {
        let now = std::time::Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() > 100_000 {
            seen.retain(|_, t| now.duration_since(*t).as_secs() < 60);
        }
        match seen.get(key) {
            Some(t) if now.duration_since(*t).as_secs() < 60 => false,
            _ => {
                seen.insert(key.to_string(), now);
                true
            }
        }
    }
}

/// Shared, per-instance security state.
pub struct SecurityState {
    /// Rate-limit counts and login throttling, in memory, PostgreSQL or Redis.
    pub limits: store::Limits,
    pub dedupe: Dedupe,
    /// Who must use two-factor authentication, as last read from the database and
    /// when (read again after a few seconds, so every instance follows a change).
    pub two_factor_policy: std::sync::Mutex<
        Option<(
            std::time::Instant,
            crate::domain::two_factor::TwoFactorPolicy,
        )>,
    >,
    /// Throttle keys with a password or code check running on this instance.
    verifying: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// Held while one password or code check runs for a throttle key; dropped when it
/// has been checked and recorded (see `services::credentials::throttled_check`).
pub struct VerificationGuard {
    security: std::sync::Arc<SecurityState>,
    key: String,
}

impl Drop for VerificationGuard {
    fn drop(&mut self) {
        self.security
            .verifying
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.key);
    }
}

/// Claim the right to check a secret for `key` now: `None` while another check
/// for the same key runs here, so a burst of attempts cannot all pass the
/// throttle before the first failure is recorded.
pub fn claim_verification(
    security: &std::sync::Arc<SecurityState>,
    key: &str,
) -> Option<VerificationGuard> {
    let fresh = security
        .verifying
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key.to_string());
    fresh.then(|| VerificationGuard {
        security: security.clone(),
        key: key.to_string(),
    })
}

impl SecurityState {
    pub fn new(limits: store::Limits) -> SecurityState {
        SecurityState {
            limits,
            dedupe: Dedupe::default(),
            two_factor_policy: std::sync::Mutex::new(None),
            verifying: Default::default(),
        }
    }
}
