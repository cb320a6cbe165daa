//! Generators kept alive between turns of the same orchestration execution.
//!
//! duroxide calls the handler afresh every turn and expects the whole schedule
//! sequence again. Instead of re-running the JavaScript from the start (work
//! quadratic in history), a turn that ends with the generator waiting leaves it
//! here together with the log of what it asked of its context; the next turn
//! re-issues the log to duroxide's new context in Rust, checks every outcome
//! against what the generator saw, and only then resumes the generator.
//! Anything kept may be dropped at any time (capacity, V8 heap pressure): the
//! fallback is the ordinary full replay. Dropping an entry drops its
//! generator: the JS side holds no reference of its own.

use std::collections::{BTreeMap, HashMap};

use deno_core::v8;
use serde_json::Value;

use crate::engine::tasks::{Outcome, Task};

/// What a kept generator belongs to. A cached generator is reused only for
/// the very same execution of the very same start (an instance deleted and
/// started again under the same id is a different one).
#[derive(Clone, PartialEq)]
pub struct Identity {
    /// The runtime resource that ran it.
    pub runtime: u32,
    pub instance: String,
    pub execution: u64,
    pub name: String,
    pub version: String,
    pub input: String,
}

/// One thing a generator did, in order.
pub enum Entry {
    /// A synchronous ctx call and what it returned.
    Call { method: String, args: Vec<Value>, result: Value },
    /// A yielded task and its outcome; `None` while it is pending.
    Yield { task: Task, outcome: Option<Outcome> },
}

/// A suspended generator; `G` is its JS holder (a plain value in unit tests).
pub struct Kept<G = v8::Global<v8::Object>> {
    /// The token its JS ctx object calls back with.
    pub token: u32,
    pub identity: Identity,
    /// Ends with the pending yield the generator is suspended at.
    pub log: Vec<Entry>,
    pub generator: G,
}

type Key = (u32, String, u64);

/// The kept generators of one isolate, least recently used evicted first.
pub struct GeneratorCache<G = v8::Global<v8::Object>> {
    capacity: usize,
    replay_check: bool,
    by_key: HashMap<Key, (u64, Kept<G>)>,
    /// Last use -> key; the first is the least recently used.
    by_age: BTreeMap<u64, Key>,
    clock: u64,
}

/// Evict when the V8 heap is more than this share of its limit.
pub const HEAP_PRESSURE: f64 = 0.5;
/// Heap statistics are read every this many keeps.
const HEAP_CHECK_EVERY: u64 = 64;

fn key_of(identity: &Identity) -> Key {
    (identity.runtime, identity.instance.clone(), identity.execution)
}

impl<G> GeneratorCache<G> {
    /// `capacity` 0 keeps nothing; `replay_check` replays every resumed turn
    /// from the start too, to catch generators steered by outside state.
    pub fn new(capacity: usize, replay_check: bool) -> Self {
        GeneratorCache { capacity, replay_check, by_key: HashMap::new(), by_age: BTreeMap::new(), clock: 0 }
    }

    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    pub fn replay_check(&self) -> bool {
        self.replay_check
    }

    /// The entry for `identity`'s execution, if it is that very start; a
    /// stale entry under the same key is dropped.
    pub fn take(&mut self, identity: &Identity) -> Option<Kept<G>> {
        let (age, kept) = self.by_key.remove(&key_of(identity))?;
        self.by_age.remove(&age);
        (kept.identity == *identity).then_some(kept)
    }

    /// Inserts as the most recently used; returns the entries pushed out and
    /// whether it is time to look at the heap.
    pub fn keep(&mut self, kept: Kept<G>) -> (Vec<Kept<G>>, bool) {
        if self.capacity == 0 {
            return (vec![kept], false);
        }
        self.clock += 1;
        let age = self.clock;
        let key = key_of(&kept.identity);
        let mut evicted = Vec::new();
        if let Some((old_age, old)) = self.by_key.insert(key.clone(), (age, kept)) {
            self.by_age.remove(&old_age);
            evicted.push(old);
        }
        self.by_age.insert(age, key);
        while self.by_key.len() > self.capacity {
            evicted.extend(self.pop_oldest());
        }
        (evicted, age % HEAP_CHECK_EVERY == 0)
    }

    /// Evicts the least recently used `1/divisor` of the entries.
    pub fn evict_share(&mut self, divisor: usize) -> Vec<Kept<G>> {
        let count = self.by_key.len().div_ceil(divisor);
        (0..count).filter_map(|_| self.pop_oldest()).collect()
    }

    /// Drops what a runtime that has shut down left here.
    pub fn forget_runtime(&mut self, runtime: u32) -> Vec<Kept<G>> {
        let keys: Vec<Key> = self.by_key.keys().filter(|k| k.0 == runtime).cloned().collect();
        let mut forgotten = Vec::new();
        for key in keys {
            if let Some((age, kept)) = self.by_key.remove(&key) {
                self.by_age.remove(&age);
                forgotten.push(kept);
            }
        }
        forgotten
    }

    fn pop_oldest(&mut self) -> Option<Kept<G>> {
        let (_, key) = self.by_age.pop_first()?;
        self.by_key.remove(&key).map(|(_, kept)| kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(token: u32, instance: &str, input: &str) -> Kept<()> {
        let identity = Identity {
            runtime: 1,
            instance: instance.into(),
            execution: 1,
            name: "Flow".into(),
            version: "1.0.0".into(),
            input: input.into(),
        };
        Kept { token, identity, log: Vec::new(), generator: () }
    }

    fn tokens(entries: Vec<Kept<()>>) -> Vec<u32> {
        entries.into_iter().map(|k| k.token).collect()
    }

    #[test]
    fn the_least_recently_kept_generator_is_evicted_first() {
        let mut cache = GeneratorCache::new(2, false);
        assert_eq!(tokens(cache.keep(kept(1, "a", "x")).0), Vec::<u32>::new());
        assert_eq!(tokens(cache.keep(kept(2, "b", "x")).0), Vec::<u32>::new());
        // "a" is used again (taken and kept after its turn): "b" is now the oldest.
        let a = cache.take(&kept(1, "a", "x").identity).unwrap();
        cache.keep(a);
        assert_eq!(tokens(cache.keep(kept(3, "c", "x")).0), vec![2]);
        assert!(cache.take(&kept(0, "b", "x").identity).is_none());
        assert_eq!(cache.take(&kept(0, "c", "x").identity).map(|k| k.token), Some(3));
    }

    #[test]
    fn another_start_under_the_same_id_gets_nothing_and_the_stale_one_is_dropped() {
        let mut cache = GeneratorCache::new(10, false);
        cache.keep(kept(7, "a", "\"old\""));
        assert!(cache.take(&kept(0, "a", "\"new\"").identity).is_none());
        assert!(cache.take(&kept(0, "a", "\"old\"").identity).is_none());
    }

    #[test]
    fn capacity_zero_keeps_nothing_and_heap_pressure_evicts_the_older_half() {
        let mut off = GeneratorCache::new(0, false);
        assert!(!off.enabled());
        assert_eq!(tokens(off.keep(kept(1, "a", "x")).0), vec![1]);
        let mut cache = GeneratorCache::new(10, false);
        for (token, id) in [(1, "a"), (2, "b"), (3, "c"), (4, "d")] {
            cache.keep(kept(token, id, "x"));
        }
        assert_eq!(tokens(cache.evict_share(2)), vec![1, 2]);
        assert_eq!(cache.by_key.len(), 2);
    }

    #[test]
    fn a_runtime_that_shut_down_leaves_nothing_kept() {
        let mut cache = GeneratorCache::new(10, false);
        cache.keep(kept(1, "a", "x"));
        let mut other = kept(2, "b", "x");
        other.identity.runtime = 2;
        cache.keep(other);
        assert_eq!(tokens(cache.forget_runtime(1)), vec![1]);
        assert_eq!(cache.by_key.len(), 1);
        assert_eq!(cache.by_age.len(), 1);
    }
}
