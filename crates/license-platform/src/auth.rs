//! Authentication helpers: secrets hashed and checked off the async workers, the token and
//! grant digests, and the lock-out of names that are no account. The grants themselves are in
//! `service.rs`; resolved tokens are remembered in `Platform::sessions` (`cache.rs`).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use license_core::ports::{Account, LoginAttempt, LoginFailures, PortError, StoredToken};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::config::Lockout;

/// Argon2id hash (PHC string) of a password or client secret. CPU-bound (tens of
/// milliseconds): async code calls [`hash_secret_off`].
pub fn hash_secret(secret: &str) -> Result<String, PortError> {
    Argon2::default()
        .hash_password(secret.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PortError::Unavailable(format!("hashing: {e}")))
}

/// Whether a secret matches its stored hash (constant-time inside argon2). CPU-bound: async
/// code calls [`check_secret`].
pub fn verify_secret(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &h)
            .is_ok()
    })
}

/// Hashing jobs that run at once: half the cores, at least one. Each runs on a blocking
/// thread, so that a flood of wrong secrets (the client id is public) queues here instead of
/// stalling the async workers that answer every other call.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    Semaphore::new(std::thread::available_parallelism().map_or(1, |n| n.get().div_ceil(2)))
});

/// A hash of a random secret that no caller knows: what an unknown client or user is checked
/// against, so that both take the time a known one takes.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_secret(&new_token()).unwrap_or_default());

/// Runs a hashing job on a blocking thread, within [`HASHING`]'s bound.
async fn off_workers<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    // The semaphore is never closed.
    let _permit = HASHING.acquire().await.ok();
    tokio::task::spawn_blocking(job).await.ok()
}

/// Whether `secret` matches `hash`, checked off the async workers. Without a hash (an unknown
/// client or user) the same work is done against a dummy hash and the answer is no, so that
/// the time taken does not tell a known name from an unknown one.
pub async fn check_secret(secret: String, hash: Option<String>) -> bool {
    off_workers(move || match hash {
        Some(h) => verify_secret(&secret, &h),
        None => {
            let _ = verify_secret(&secret, &DUMMY_HASH);
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// [`hash_secret`] off the async workers.
pub async fn hash_secret_off(secret: String) -> Result<String, PortError> {
    off_workers(move || hash_secret(&secret))
        .await
        .unwrap_or_else(|| Err(PortError::Unavailable("hashing stopped".into())))
}

/// SHA-256 of a token or grant id, hex: what is stored instead of the value.
pub fn digest(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// A fresh opaque token (random UUID, API.md §2).
pub fn new_token() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Most names that are no account remembered by [`UnknownLogins`]: past it, stale records
/// go, then all of them.
const UNKNOWN_NAMES_KEPT: usize = 100_000;

/// Lock-out of login names that are no account, in memory: they are throttled like accounts
/// (and answer alike, so that lock-out does not tell which names exist) without a database row
/// per invented name.
#[derive(Debug, Default)]
pub struct UnknownLogins {
    names: Mutex<HashMap<String, LoginFailures>>,
}

impl UnknownLogins {
    /// Counts one attempt of `name` at `now` (the rule of [`Lockout::after_attempt`]).
    pub fn attempt(&self, name: &str, now: DateTime<Utc>, policy: &Lockout) -> LoginAttempt {
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(until) = names
            .get(name)
            .and_then(|f| f.locked_until)
            .filter(|u| *u > now)
        {
            return LoginAttempt::Locked(until);
        }
        if names.len() >= UNKNOWN_NAMES_KEPT && !names.contains_key(name) {
            names.retain(|_, f| !policy.stale(f, now));
            if names.len() >= UNKNOWN_NAMES_KEPT {
                names.clear();
            }
        }
        let next = policy.after_attempt(names.get(name).copied(), now);
        names.insert(name.to_owned(), next);
        LoginAttempt::Allowed
    }
}

/// A resolved token: its record and the account behind it.
#[derive(Debug, Clone)]
pub struct Session {
    /// The token's record.
    pub token: StoredToken,
    /// The account.
    pub account: Account,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_hash_and_verify() {
        let h = hash_secret("s3cret!").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_secret("s3cret!", &h));
        assert!(!verify_secret("s3cret", &h));
        assert!(!verify_secret("x", "not a hash"));
        assert_eq!(digest("abc").len(), 64);
        assert_ne!(new_token(), new_token());
    }

    /// `max_failures` in 10 minutes lock for 5.
    fn policy(max_failures: u32) -> Lockout {
        Lockout {
            max_failures,
            window: chrono::Duration::minutes(10),
            lock_for: chrono::Duration::minutes(5),
        }
    }

    #[test]
    fn lockout_counts_within_the_window() {
        let p = policy(3);
        let t0 = DateTime::<Utc>::from_timestamp(1_000_000, 0).unwrap();
        let m = chrono::Duration::minutes;
        let f2 = p.after_attempt(Some(p.after_attempt(None, t0)), t0 + m(1));
        assert_eq!((f2.count, f2.locked_until), (2, None));
        let f3 = p.after_attempt(Some(f2), t0 + m(2));
        assert_eq!(f3.locked_until, Some(t0 + m(7)));
        assert!(!p.stale(&f3, t0 + m(6)));
        assert!(p.stale(&f3, t0 + m(7)), "the lock ended");
        // A failure after the window starts a new count.
        assert_eq!(p.after_attempt(Some(f2), t0 + m(30)).count, 1);
        assert_eq!(p.after_attempt(Some(f3), t0 + m(8)).count, 1);
    }

    #[test]
    fn unknown_names_lock_like_accounts() {
        let p = policy(2);
        let t0 = DateTime::<Utc>::from_timestamp(1_000_000, 0).unwrap();
        let u = UnknownLogins::default();
        assert_eq!(u.attempt("ghost", t0, &p), LoginAttempt::Allowed);
        assert_eq!(u.attempt("ghost", t0, &p), LoginAttempt::Allowed);
        assert!(matches!(
            u.attempt("ghost", t0, &p),
            LoginAttempt::Locked(_)
        ));
        assert_eq!(u.attempt("other", t0, &p), LoginAttempt::Allowed);
        let later = t0 + chrono::Duration::minutes(6);
        assert_eq!(u.attempt("ghost", later, &p), LoginAttempt::Allowed);
    }

    #[tokio::test]
    async fn checks_run_off_the_workers_and_unknown_names_cost_the_same() {
        let h = hash_secret_off("s3cret!".into()).await.unwrap();
        assert!(check_secret("s3cret!".into(), Some(h.clone())).await);
        assert!(!check_secret("s3cret".into(), Some(h)).await);
        assert!(!check_secret("s3cret!".into(), None).await);
        assert!(DUMMY_HASH.starts_with("$argon2id$"));
    }
}
