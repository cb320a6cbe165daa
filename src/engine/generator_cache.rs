//! Generators kept alive between turns of the same orchestration execution.
//!
//! duroxide calls the handler afresh every turn and expects the whole schedule
//! sequence again. Instead of re-running the JavaScript from the start (work
//! quadratic in history), a turn that ends with the generator waiting leaves it
//! here together with the log of what it asked of its context; the next turn
//! re-issues the log to duroxide's new context in Rust, checks every outcome
//! against what the generator saw, and only then resumes the generator.
//! Anything kept may be dropped at any time (capacity, V8 heap pressure): the
//! fallback is the ordinary full replay.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde_json::Value;

use super::tasks::{Outcome, Task};
use crate::host::{self, Arg};

/// What a kept generator belongs to. A cached generator is reused only for
/// the very same execution of the very same start (an instance deleted and
/// started again under the same id is a different one).
#[derive(Clone, PartialEq)]
pub struct Identity {
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

pub struct Kept {
    pub token: u32,
    pub identity: Identity,
    /// Ends with the pending yield the generator is suspended at.
    pub log: Vec<Entry>,
}

type Key = (u32, String, u64);

struct Cache {
    by_key: HashMap<Key, (u64, Kept)>,
    /// Last use -> key; the first is the least recently used.
    by_age: BTreeMap<u64, Key>,
    clock: u64,
}

impl Cache {
    fn new() -> Cache {
        Cache { by_key: HashMap::new(), by_age: BTreeMap::new(), clock: 0 }
    }
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::new());
}

/// How many generators may be kept (`DUROXIDE_GENERATOR_CACHE`, 0 turns the cache off).
pub fn capacity() -> usize {
    static CAPACITY: OnceLock<usize> = OnceLock::new();
    *CAPACITY.get_or_init(|| {
        std::env::var("DUROXIDE_GENERATOR_CACHE").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(1000)
    })
}

/// `DUROXIDE_REPLAY_CHECK=1`: every resumed turn also replays the generator
/// from the start and checks it takes the path the kept one took, which
/// catches orchestrations steered by state outside the generator.
pub fn replay_check() -> bool {
    static CHECK: OnceLock<bool> = OnceLock::new();
    *CHECK.get_or_init(|| std::env::var("DUROXIDE_REPLAY_CHECK").is_ok_and(|v| !v.is_empty() && v != "0"))
}

/// Evict when the V8 heap is more than this share of its limit.
const HEAP_PRESSURE: f64 = 0.5;
/// Heap statistics are read every this many keeps.
const HEAP_CHECK_EVERY: u64 = 64;

fn key_of(identity: &Identity) -> Key {
    (identity.runtime, identity.instance.clone(), identity.execution)
}

/// Removes and returns the generator kept for `identity`, if any.
pub fn take(identity: &Identity) -> Option<Kept> {
    let (kept, stale) = CACHE.with(|c| c.borrow_mut().take(identity));
    stale.into_iter().for_each(dispose);
    kept
}

/// Keeps a suspended generator for the next turn of its execution.
pub fn keep(kept: Kept) {
    let (evicted, check_heap) = CACHE.with(|c| c.borrow_mut().keep(kept, capacity()));
    evicted.into_iter().for_each(dispose);
    if check_heap && heap_under_pressure() {
        let evicted = CACHE.with(|c| c.borrow_mut().evict_share(2));
        evicted.into_iter().for_each(dispose);
    }
}

/// Drops the generators kept for a runtime that has shut down.
pub fn forget_runtime(runtime: u32) {
    let evicted = CACHE.with(|c| c.borrow_mut().forget_runtime(runtime));
    evicted.into_iter().for_each(dispose);
}

/// The bookkeeping alone; callers dispose the generators of the tokens it returns.
impl Cache {
    /// The entry for `identity`'s execution, if it is that very start; a
    /// stale entry under the same key comes back as a token to dispose.
    fn take(&mut self, identity: &Identity) -> (Option<Kept>, Option<u32>) {
        let Some((age, kept)) = self.by_key.remove(&key_of(identity)) else { return (None, None) };
        self.by_age.remove(&age);
        if kept.identity == *identity {
            (Some(kept), None)
        } else {
            (None, Some(kept.token))
        }
    }

    /// Inserts as the most recently used; returns the tokens pushed out and
    /// whether it is time to look at the heap.
    fn keep(&mut self, kept: Kept, capacity: usize) -> (Vec<u32>, bool) {
        if capacity == 0 {
            return (vec![kept.token], false);
        }
        self.clock += 1;
        let age = self.clock;
        let key = key_of(&kept.identity);
        let mut evicted = Vec::new();
        if let Some((old_age, old)) = self.by_key.insert(key.clone(), (age, kept)) {
            self.by_age.remove(&old_age);
            evicted.push(old.token);
        }
        self.by_age.insert(age, key);
        while self.by_key.len() > capacity {
            evicted.extend(self.pop_oldest());
        }
        (evicted, age % HEAP_CHECK_EVERY == 0)
    }

    /// Evicts the least recently used `1/divisor` of the entries.
    fn evict_share(&mut self, divisor: usize) -> Vec<u32> {
        let count = self.by_key.len().div_ceil(divisor);
        (0..count).filter_map(|_| self.pop_oldest()).collect()
    }

    fn forget_runtime(&mut self, runtime: u32) -> Vec<u32> {
        let keys: Vec<Key> = self.by_key.keys().filter(|k| k.0 == runtime).cloned().collect();
        let mut tokens = Vec::new();
        for key in keys {
            if let Some((age, kept)) = self.by_key.remove(&key) {
                self.by_age.remove(&age);
                tokens.push(kept.token);
            }
        }
        tokens
    }

    fn pop_oldest(&mut self) -> Option<u32> {
        let (_, key) = self.by_age.pop_first()?;
        self.by_key.remove(&key).map(|(_, kept)| kept.token)
    }
}

fn heap_under_pressure() -> bool {
    host::with_runtime(|runtime| {
        let mut stats = deno_core::v8::HeapStatistics::default();
        runtime.v8_isolate().get_heap_statistics(&mut stats);
        stats.used_heap_size() as f64 > stats.heap_size_limit() as f64 * HEAP_PRESSURE
    })
    .unwrap_or(false)
}

/// Lets js/driver.js drop the generator (it lives there under its token).
pub fn dispose(token: u32) {
    let _ = host::call_hook(|h| &h.dispose_generator, &[Arg::Num(token as f64)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(token: u32, instance: &str, input: &str) -> Kept {
        let identity = Identity {
            runtime: 1,
            instance: instance.into(),
            execution: 1,
            name: "Flow".into(),
            version: "1.0.0".into(),
            input: input.into(),
        };
        Kept { token, identity, log: Vec::new() }
    }

    #[test]
    fn the_least_recently_kept_generator_is_evicted_first() {
        let mut cache = Cache::new();
        assert_eq!(cache.keep(kept(1, "a", "x"), 2).0, Vec::<u32>::new());
        assert_eq!(cache.keep(kept(2, "b", "x"), 2).0, Vec::<u32>::new());
        // "a" is used again (taken and kept after its turn): "b" is now the oldest.
        let a = cache.take(&kept(1, "a", "x").identity).0.unwrap();
        cache.keep(a, 2);
        assert_eq!(cache.keep(kept(3, "c", "x"), 2).0, vec![2]);
        assert!(cache.take(&kept(0, "b", "x").identity).0.is_none());
        assert_eq!(cache.take(&kept(0, "c", "x").identity).0.map(|k| k.token), Some(3));
    }

    #[test]
    fn another_start_under_the_same_id_gets_nothing_and_the_stale_one_is_disposed() {
        let mut cache = Cache::new();
        cache.keep(kept(7, "a", "\"old\""), 10);
        let (found, stale) = cache.take(&kept(0, "a", "\"new\"").identity);
        assert!(found.is_none());
        assert_eq!(stale, Some(7));
        assert_eq!(cache.take(&kept(0, "a", "\"old\"").identity).0.map(|k| k.token), None);
    }

    #[test]
    fn capacity_zero_keeps_nothing_and_heap_pressure_evicts_the_older_half() {
        let mut cache = Cache::new();
        assert_eq!(cache.keep(kept(1, "a", "x"), 0).0, vec![1]);
        for (token, id) in [(1, "a"), (2, "b"), (3, "c"), (4, "d")] {
            cache.keep(kept(token, id, "x"), 10);
        }
        assert_eq!(cache.evict_share(2), vec![1, 2]);
        assert_eq!(cache.by_key.len(), 2);
    }

    #[test]
    fn a_runtime_that_shut_down_leaves_nothing_kept() {
        let mut cache = Cache::new();
        cache.keep(kept(1, "a", "x"), 10);
        let mut other = kept(2, "b", "x");
        other.identity.runtime = 2;
        cache.keep(other, 10);
        assert_eq!(cache.forget_runtime(1), vec![1]);
        assert_eq!(cache.by_key.len(), 1);
        assert_eq!(cache.by_age.len(), 1);
    }
}
