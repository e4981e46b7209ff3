//! A small time-bounded memory cache for hot reads.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most entries kept before the cache starts over.
const MAX_ENTRIES: usize = 100_000;

/// Values by key, each trusted for a time-to-live chosen at read time.
#[derive(Debug)]
pub(crate) struct TtlCache<V> {
    entries: Mutex<HashMap<String, (Instant, V)>>,
}

impl<V> Default for TtlCache<V> {
    fn default() -> Self {
        TtlCache {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Clone> TtlCache<V> {
    /// A value younger than `ttl`.
    pub(crate) fn get(&self, key: &str, ttl: Duration) -> Option<V> {
        if ttl.is_zero() {
            return None;
        }
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .filter(|(at, _)| at.elapsed() < ttl)
            .map(|(_, v)| v.clone())
    }

    /// Remembers a value.
    pub(crate) fn put(&self, key: String, value: V) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (Instant::now(), value));
    }

    /// Forgets everything.
    pub(crate) fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}
