//! A small in-memory least-recently-used cache bounded by a total weight (bytes for thumbnails, one
//! per entry for creation times), shared by every clone of the connector.
use hashlink::LinkedHashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};

pub(crate) struct WeightedLru<K, V> {
    inner: Mutex<Inner<K, V>>,
    budget: usize,
}

struct Inner<K, V> {
    /// Oldest use at the front.
    entries: LinkedHashMap<K, (V, usize)>,
    total: usize,
}

impl<K: Hash + Eq, V: Clone> WeightedLru<K, V> {
    /// A cache holding at most `budget` in total weight.
    pub(crate) fn new(budget: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                entries: LinkedHashMap::new(),
                total: 0,
            }),
            budget,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<K, V>> {
        // A panic elsewhere cannot leave the map inconsistent in a way that matters for a cache.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value, marking it as just used.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        let mut inner = self.lock();
        inner.entries.to_back(key).map(|(v, _)| v.clone())
    }

    /// Stores `value`, evicting the least recently used entries until the total fits the budget. A
    /// value heavier than the whole budget is not stored.
    pub(crate) fn insert(&self, key: K, value: V, weight: usize) {
        if weight > self.budget {
            return;
        }
        let mut inner = self.lock();
        if let Some((_, old)) = inner.entries.insert(key, (value, weight)) {
            inner.total -= old;
        }
        inner.total += weight;
        while inner.total > self.budget {
            match inner.entries.pop_front() {
                Some((_, (_, w))) => inner.total -= w,
                None => break,
            }
        }
    }

    /// Drops every entry whose key matches.
    pub(crate) fn remove_where(&self, mut matches: impl FnMut(&K) -> bool) {
        let mut inner = self.lock();
        let mut dropped = 0;
        inner.entries.retain(|k, (_, w)| {
            let keep = !matches(k);
            if !keep {
                dropped += *w;
            }
            keep
        });
        inner.total -= dropped;
    }

    #[cfg(test)]
    fn total(&self) -> usize {
        self.lock().total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_entries_go_first_when_the_budget_is_exceeded() {
        let cache = WeightedLru::new(10);
        cache.insert("a", 1, 4);
        cache.insert("b", 2, 4);
        assert_eq!(cache.get(&"a"), Some(1), "a is now the most recently used");

        cache.insert("c", 3, 4);

        assert_eq!(cache.get(&"b"), None);
        assert_eq!((cache.get(&"a"), cache.get(&"c")), (Some(1), Some(3)));
        assert_eq!(cache.total(), 8);
    }

    #[test]
    fn replacing_and_removing_keep_the_total_right() {
        let cache = WeightedLru::new(100);
        cache.insert((1, "x"), "old", 30);
        cache.insert((1, "x"), "new", 10);
        cache.insert((2, "y"), "other", 20);
        assert_eq!(cache.total(), 30);

        cache.remove_where(|(id, _)| *id == 1);

        assert_eq!(cache.get(&(1, "x")), None);
        assert_eq!(cache.get(&(2, "y")), Some("other"));
        assert_eq!(cache.total(), 20);
    }

    #[test]
    fn a_value_heavier_than_the_budget_is_not_stored() {
        let cache = WeightedLru::new(5);
        cache.insert("big", (), 6);
        assert_eq!(cache.get(&"big"), None);
        assert_eq!(cache.total(), 0);
    }
}
