//! Password hashing (argon2id, ASVS 11.4.2) and the password policy (ASVS 6.2.x).
//!
//! Hashing is CPU-heavy by design, so it runs on threads of its own, half as many
//! as there are cores (at least one), at a lower CPU priority (nice 10): a login
//! flood queues up there and can take at most half the machine, and when hashing
//! and page rendering compete for a core the kernel favours the pages. A fixed
//! set of threads also bounds the memory argon2 takes (19 MiB per hash in
//! flight). bench/RESULTS.md has page latency during a login flood.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, SaltString},
    Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version,
};
use secrecy::{ExposeSecret, SecretString};
use std::sync::{mpsc, Arc, Mutex};

use crate::domain::user::{PASSWORD_MAX, PASSWORD_MIN};

/// argon2id with the OWASP minimum: m = 19456 KiB, t = 2, p = 1.
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::DEFAULT)
}

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Hashes that may wait per hashing thread. Past that a new one is refused at
/// once (the caller answers 503 with `Retry-After`) instead of queueing without
/// end: at ~50 ms a hash, 32 waiting is under two seconds.
const QUEUE_PER_THREAD: usize = 32;

/// The hashing queue is full: try again shortly.
#[derive(Debug, thiserror::Error)]
#[error("the password hashing queue is full")]
pub struct Busy;

/// The hashing threads. They end when the last [`Hasher`] clone is dropped.
struct HashThreads {
    jobs: mpsc::Sender<Job>,
    /// Jobs queued or running, and how many may be.
    pending: Arc<std::sync::atomic::AtomicUsize>,
    capacity: usize,
}

impl HashThreads {
    fn start(threads: usize) -> HashThreads {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("motto-hash-{i}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        match job {
                            Ok(job) => {
                                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                            }
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password hashing thread");
            }
        }
        HashThreads {
            jobs,
            pending: Arc::default(),
            capacity: threads * QUEUE_PER_THREAD,
        }
    }

    /// Run `f` on a hashing thread. A job once queued runs to its end even if
    /// the caller stops waiting (a request cut by its time limit still gets its
    /// attempt recorded by whoever awaits the result).
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        use std::sync::atomic::Ordering;
        let claimed = self
            .pending
            .try_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.capacity).then_some(n + 1)
            });
        if claimed.is_err() {
            return Err(Busy.into());
        }
        let pending = self.pending.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sent = self.jobs.send(Box::new(move || {
            let result = f();
            pending.fetch_sub(1, Ordering::AcqRel);
            let _ = tx.send(result);
        }));
        if sent.is_err() {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            anyhow::bail!("the password hashing threads have stopped");
        }
        rx.await
            .map_err(|_| anyhow::anyhow!("a password hashing job failed"))
    }
}

/// Nice 10 for the calling thread (Linux applies nice values per thread).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: setpriority only reads its integer arguments; with `who` = 0 it
        // changes the calling thread's nice value and touches no memory of ours.
        let result = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) };
        if result != 0 {
            tracing::warn!("could not lower the priority of a password hashing thread");
        }
    }
}

#[derive(Clone)]
pub struct Hasher {
    threads: Arc<HashThreads>,
    /// A real hash of a random password, verified when the account does not exist
    /// so that unknown users cost the same time as wrong passwords (ASVS 6.3.8).
    dummy_hash: Arc<String>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher").finish_non_exhaustive()
    }
}

impl Hasher {
    pub fn new() -> Hasher {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let random = crate::server::config::generate_secret_key();
        let salt = SaltString::generate(&mut OsRng);
        let dummy = argon2()
            .hash_password(random.as_bytes(), &salt)
            .expect("hashing a random password works")
            .to_string();
        Hasher {
            threads: Arc::new(HashThreads::start((cores / 2).max(1))),
            dummy_hash: Arc::new(dummy),
        }
    }

    pub async fn hash(&self, password: &SecretString) -> anyhow::Result<String> {
        let password = password.clone();
        self.threads
            .run(move || {
                let salt = SaltString::generate(&mut OsRng);
                argon2()
                    .hash_password(password.expose_secret().as_bytes(), &salt)
                    .map(|h| h.to_string())
                    .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
            })
            .await?
    }

    /// Verify against `stored`, or against the dummy hash when there is no account.
    /// Returns false for the dummy, whatever the password; [`Busy`] (in the error's
    /// chain) when the hashing queue is full.
    pub async fn check(&self, password: &SecretString, stored: Option<&str>) -> Result<bool, Busy> {
        let is_real = stored.is_some();
        let hash = stored
            .map(str::to_string)
            .unwrap_or_else(|| self.dummy_hash.as_str().to_string());
        let password = password.clone();
        let ok = match self
            .threads
            .run(move || {
                PasswordHash::new(&hash)
                    .map(|parsed| {
                        argon2()
                            .verify_password(password.expose_secret().as_bytes(), &parsed)
                            .is_ok()
                    })
                    .unwrap_or(false)
            })
            .await
        {
            Ok(ok) => ok,
            Err(e) if e.is::<Busy>() => return Err(Busy),
            Err(_) => false,
        };
        Ok(ok && is_real)
    }
}

impl Default for Hasher {
    fn default() -> Self {
        Self::new()
    }
}

/// Words that make a password guessable in this context (ASVS 6.2.11).
const PRODUCT_WORDS: &[&str] = &["motto", "mottoapp", "motto workspace"];

/// Check a new password against the policy: 12 to 128 characters, any characters,
/// no composition rules, not common, not built from context words (ASVS 6.2.1,
/// 6.2.4, 6.2.9, 6.2.11). Returns the message to show next to the field.
pub fn check_policy(password: &str, username: &str, email: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < PASSWORD_MIN {
        return Err(format!(
            "Use at least {PASSWORD_MIN} characters (this one has {len}). A few unrelated words work well."
        ));
    }
    if len > PASSWORD_MAX {
        return Err(format!("Use at most {PASSWORD_MAX} characters."));
    }
    let lowered = password.to_lowercase();
    let username = username.trim().to_lowercase();
    if username.chars().count() >= 3 && lowered.contains(&username) {
        return Err("Don't use your username in your password.".into());
    }
    let email_local = email.split('@').next().unwrap_or("").trim().to_lowercase();
    if email_local.chars().count() >= 3 && lowered.contains(&email_local) {
        return Err("Don't use your email address in your password.".into());
    }
    let mut inputs: Vec<&str> = PRODUCT_WORDS.to_vec();
    inputs.push(&username);
    inputs.push(&email_local);
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if (estimate.score() as u8) < 3 {
        let reason = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| format!(" ({w})"))
            .unwrap_or_default();
        return Err(format!(
            "This password is too common or too easy to guess{reason}. Try a longer phrase of unrelated words."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_hashing_queue_refuses_at_once_and_frees_up_again() {
        let threads = Arc::new(HashThreads::start(1));
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = Arc::new(Mutex::new(gate));
        // Fill every place: one job running (held at the gate), the rest waiting.
        let mut waiting = Vec::new();
        for _ in 0..QUEUE_PER_THREAD {
            let (threads, gate) = (threads.clone(), gate.clone());
            waiting.push(tokio::spawn(async move {
                threads
                    .run(move || {
                        let _ = gate.lock().unwrap().recv();
                    })
                    .await
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let refused = threads.run(|| ()).await.unwrap_err();
        assert!(refused.is::<Busy>(), "{refused}");
        for _ in 0..QUEUE_PER_THREAD {
            release.send(()).unwrap();
        }
        for job in waiting {
            job.await.unwrap().unwrap();
        }
        // Every place is free again.
        threads.run(|| ()).await.unwrap();
    }

    #[test]
    fn asvs_6_2_1_short_password_rejected() {
        assert!(check_policy("short pass", "alice", "alice@example.com").is_err());
        assert!(check_policy("elevenchars", "alice", "alice@example.com").is_err());
    }

    #[test]
    fn asvs_6_2_9_long_passwords_up_to_128_accepted_and_longer_rejected() {
        let long: String = "correct horse battery staple "
            .repeat(5)
            .chars()
            .take(128)
            .collect();
        assert_eq!(long.chars().count(), 128);
        assert!(check_policy(&long, "alice", "alice@example.com").is_ok());
        let too_long = format!("{long}x");
        assert!(check_policy(&too_long, "alice", "alice@example.com").is_err());
    }

    #[test]
    fn asvs_6_2_5_no_composition_rules() {
        // Lower-case letters and spaces only, no digits or symbols: fine if not guessable.
        assert!(check_policy("violet ferry lantern quietly", "alice", "alice@example.com").is_ok());
    }

    #[test]
    fn asvs_6_2_4_common_password_rejected() {
        for common in [
            "password1234",
            "123456789012",
            "qwertyuiop123",
            "iloveyou1234",
            "passwordpassword",
        ] {
            assert!(
                check_policy(common, "someone", "someone@example.com").is_err(),
                "{common} accepted"
            );
        }
    }

    #[test]
    fn asvs_6_2_11_context_words_rejected() {
        assert!(check_policy("alice-in-wonderland-2026", "alice", "x@example.com").is_err());
        assert!(check_policy("bob.builder rocks!!", "someone", "bob.builder@example.com").is_err());
        assert!(check_policy("mottomotto2026", "someone", "someone@example.com").is_err());
    }

    #[test]
    fn unicode_passwords_count_characters_not_bytes() {
        // 12 characters, more than 12 bytes.
        assert!(check_policy("ÿøü ßñç ęłą", "alice", "a@example.com").is_err());
        assert!(check_policy("ÿøü ßñç ęłą žčř", "alice", "a@example.com").is_ok());
    }

    #[tokio::test]
    async fn asvs_11_4_2_hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let h = Hasher::new();
        let pw = SecretString::from("violet ferry lantern quietly".to_string());
        let hash = h.hash(&pw).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(h.check(&pw, Some(&hash)).await.unwrap());
        let wrong = SecretString::from("violet ferry lantern quietlY".to_string());
        assert!(!h.check(&wrong, Some(&hash)).await.unwrap());
        // The dummy never verifies.
        assert!(!h.check(&pw, None).await.unwrap());
    }
}
