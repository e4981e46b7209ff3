//! Fixed one-minute windows counted per key in this process: the per-account limit on holder
//! searches (how personal data gets harvested) and the per-address throttle of the token
//! endpoint.

use std::collections::HashMap;
use std::sync::Mutex;

/// Fixed one-minute windows per account.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl RateLimiter {
    /// Counts one call of `account` at `now_secs` against `per_minute`; `Err(seconds)` to wait
    /// when over the limit.
    pub fn check(&self, account: &str, per_minute: u32, now_secs: i64) -> Result<(), u32> {
        let minute = now_secs.div_euclid(60);
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (m, _)| *m == minute);
        }
        let entry = map.entry(account.to_owned()).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        if entry.1 >= per_minute {
            return Err((60 - now_secs.rem_euclid(60)).max(1) as u32);
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_account_and_minute() {
        let r = RateLimiter::default();
        assert!(r.check("a", 2, 60).is_ok());
        assert!(r.check("a", 2, 61).is_ok());
        assert_eq!(r.check("a", 2, 70), Err(50));
        assert!(r.check("b", 2, 70).is_ok());
        assert!(r.check("a", 2, 120).is_ok(), "a new minute");
    }
}
