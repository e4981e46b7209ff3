//! Authentication: OAuth clients and accounts, the password and refresh grants (API.md §2),
//! lock-out after repeated failures, and resolving bearer tokens (with a short memory cache).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use license_core::ports::{Account, LoginFailures, PortError, StoredToken};
use sha2::{Digest, Sha256};

use crate::config::Lockout;

/// Argon2id hash (PHC string) of a password or client secret.
pub fn hash_secret(secret: &str) -> Result<String, PortError> {
    Argon2::default()
        .hash_password(secret.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PortError::Unavailable(format!("hashing: {e}")))
}

/// Whether a secret matches its stored hash (constant-time inside argon2).
pub fn verify_secret(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &h)
            .is_ok()
    })
}

/// SHA-256 of a token or grant id, hex: what is stored instead of the value.
pub fn digest(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// A fresh opaque token (random UUID, API.md §2).
pub fn new_token() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Whether a username is locked at `now`.
pub fn locked(f: Option<&LoginFailures>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    f.and_then(|f| f.locked_until).filter(|until| *until > now)
}

/// The record after one more failure at `now`.
pub fn after_failure(
    f: Option<LoginFailures>,
    now: DateTime<Utc>,
    policy: &Lockout,
) -> LoginFailures {
    let mut f = match f {
        Some(f) if now - f.window_start <= policy.window => f,
        _ => LoginFailures {
            count: 0,
            window_start: now,
            locked_until: None,
        },
    };
    f.count += 1;
    if f.count >= policy.max_failures {
        f.locked_until = Some(now + policy.lock_for);
    }
    f
}

/// A resolved token: its record and the account behind it.
#[derive(Debug, Clone)]
pub struct Session {
    /// The token's record.
    pub token: StoredToken,
    /// The account.
    pub account: Account,
}

/// Resolved tokens remembered for a short time, so hot paths skip two queries.
#[derive(Debug, Default)]
pub struct SessionCache {
    entries: Mutex<HashMap<String, (Instant, Arc<Session>)>>,
}

impl SessionCache {
    /// A remembered session, if younger than `ttl`.
    pub fn get(&self, digest: &str, ttl: std::time::Duration) -> Option<Arc<Session>> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(digest)
            .filter(|(at, _)| at.elapsed() < ttl)
            .map(|(_, s)| s.clone())
    }

    /// Remembers a session.
    pub fn put(&self, digest: String, session: Arc<Session>) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 50_000 {
            map.clear();
        }
        map.insert(digest, (Instant::now(), session));
    }

    /// Forgets every session of an account (disabled, or its tokens revoked).
    pub fn forget_account(&self, username: &str) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (_, s)| s.account.username != username);
    }

    /// Forgets one token.
    pub fn forget(&self, digest: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(digest);
    }
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

    #[test]
    fn lockout_counts_within_the_window() {
        let p = Lockout {
            max_failures: 3,
            window: chrono::Duration::minutes(10),
            lock_for: chrono::Duration::minutes(5),
        };
        let t0 = DateTime::<Utc>::from_timestamp(1_000_000, 0).unwrap();
        let f1 = after_failure(None, t0, &p);
        let f2 = after_failure(Some(f1), t0 + chrono::Duration::minutes(1), &p);
        assert_eq!(locked(Some(&f2), t0), None);
        let f3 = after_failure(Some(f2), t0 + chrono::Duration::minutes(2), &p);
        assert!(locked(Some(&f3), t0 + chrono::Duration::minutes(3)).is_some());
        assert!(locked(Some(&f3), t0 + chrono::Duration::minutes(8)).is_none());
        // A failure after the window starts a new count.
        let late = after_failure(Some(f2), t0 + chrono::Duration::minutes(30), &p);
        assert_eq!(late.count, 1);
    }
}
