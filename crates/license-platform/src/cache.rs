//! The memory caches of hot reads: values by key, each trusted for one time-to-live.

use std::time::Duration;

/// Most entries one cache keeps; past it the least used go first.
const MAX_ENTRIES: u64 = 100_000;

/// Values by key, trusted for the time-to-live the cache was made with; a zero time-to-live
/// keeps nothing.
#[derive(Debug)]
pub(crate) struct TtlCache<V: Clone + Send + Sync + 'static>(Option<moka::sync::Cache<String, V>>);

impl<V: Clone + Send + Sync + 'static> TtlCache<V> {
    /// A cache whose entries live `ttl`.
    pub(crate) fn new(ttl: Duration) -> Self {
        TtlCache((!ttl.is_zero()).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(MAX_ENTRIES)
                .time_to_live(ttl)
                .support_invalidation_closures()
                .build()
        }))
    }

    /// The value remembered under `key`, if still alive.
    pub(crate) fn get(&self, key: &str) -> Option<V> {
        self.0.as_ref()?.get(key)
    }

    /// Remembers a value.
    pub(crate) fn put(&self, key: String, value: V) {
        if let Some(c) = &self.0 {
            c.insert(key, value);
        }
    }

    /// Forgets one key.
    pub(crate) fn forget(&self, key: &str) {
        if let Some(c) = &self.0 {
            c.invalidate(key);
        }
    }

    /// Forgets every value `doomed` picks.
    pub(crate) fn forget_if(&self, doomed: impl Fn(&V) -> bool + Send + Sync + 'static) {
        if let Some(c) = &self.0 {
            // Fails only without `support_invalidation_closures`, which `new` sets.
            let _ = c.invalidate_entries_if(move |_, v| doomed(v));
        }
    }

    /// Forgets everything.
    pub(crate) fn clear(&self) {
        if let Some(c) = &self.0 {
            c.invalidate_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_live_their_ttl_and_can_be_forgotten() {
        let c = TtlCache::new(Duration::from_millis(200));
        c.put("a".into(), 1);
        c.put("b".into(), 2);
        c.put("c".into(), 3);
        assert_eq!(c.get("a"), Some(1));
        c.forget("a");
        assert_eq!(c.get("a"), None);
        c.forget_if(|v| *v == 2);
        assert_eq!(c.get("b"), None);
        assert_eq!(c.get("c"), Some(3));
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(c.get("c"), None, "past its time-to-live");
        let none = TtlCache::new(Duration::ZERO);
        none.put("a".into(), 1);
        assert_eq!(none.get("a"), None, "a zero ttl keeps nothing");
    }
}
