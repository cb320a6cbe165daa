//! Histories this process has read or written, kept parsed between an
//! instance's turns: reading and deserializing the whole history on every
//! fetch was most of the writer's time for long instances (`fan100`).
//!
//! An entry is only a guess: a fetch uses it when the stored history still
//! has as many events and the same last event (its JSON, byte for byte) as the
//! entry, which another process's turn, a delete and a re-creation, or a
//! rolled-back commit all change (events carry their creation time in ms).
//! Pure bookkeeping; the SQL is the caller's.

use std::collections::{HashMap, VecDeque};

use duroxide::Event;

type Key = (String, i64);

pub struct HistoryCache {
    entries: HashMap<Key, Entry>,
    /// Keys in insertion order with the serial they were inserted under: the oldest goes first when full.
    order: VecDeque<(Key, u64)>,
    events: usize,
    serial: u64,
    most_entries: usize,
    most_events: usize,
}

struct Entry {
    history: Vec<Event>,
    /// The stored JSON of the last event.
    last: String,
    serial: u64,
}

impl HistoryCache {
    pub fn new(most_entries: usize, most_events: usize) -> HistoryCache {
        HistoryCache { entries: HashMap::new(), order: VecDeque::new(), events: 0, serial: 0, most_entries, most_events }
    }

    /// The history of an execution, if the one kept has `count` events and ends with `last`.
    pub fn get(&self, instance: &str, execution: i64, count: usize, last: &str) -> Option<Vec<Event>> {
        let entry = self.entries.get(&(instance.to_string(), execution))?;
        (entry.history.len() == count && entry.last == last).then(|| entry.history.clone())
    }

    /// Keeps `history` (whose last event is stored as `last`).
    pub fn put(&mut self, instance: &str, execution: i64, history: Vec<Event>, last: String) {
        self.forget(instance, execution);
        if history.is_empty() || history.len() > self.most_events {
            return;
        }
        self.serial += 1;
        let key = (instance.to_string(), execution);
        self.events += history.len();
        self.order.push_back((key.clone(), self.serial));
        self.entries.insert(key, Entry { history, last, serial: self.serial });
        while self.entries.len() > self.most_entries || self.events > self.most_events {
            let Some((key, serial)) = self.order.pop_front() else { break };
            if self.entries.get(&key).is_some_and(|e| e.serial == serial) {
                self.forget(&key.0, key.1);
            }
        }
    }

    /// Adds events just appended to an execution (the last stored as `last`); an execution not kept is kept
    /// from its first event on, and events that do not follow the kept ones drop the entry.
    pub fn append(&mut self, instance: &str, execution: i64, delta: &[Event], last: String) {
        let Some(first) = delta.first() else { return };
        match self.entries.get_mut(&(instance.to_string(), execution)) {
            Some(entry) if entry.history.last().is_some_and(|e| e.event_id + 1 == first.event_id) => {
                entry.history.extend_from_slice(delta);
                entry.last = last;
                self.events += delta.len();
                if self.events > self.most_events {
                    self.forget(instance, execution);
                }
            }
            None if first.event_id == 1 => self.put(instance, execution, delta.to_vec(), last),
            _ => self.forget(instance, execution),
        }
    }

    pub fn forget(&mut self, instance: &str, execution: i64) {
        if let Some(entry) = self.entries.remove(&(instance.to_string(), execution)) {
            self.events -= entry.history.len();
        }
        // The key's place in `order` goes when it reaches the front (its serial no longer matches).
        if self.order.len() > 2 * self.most_entries.max(16) {
            let entries = &self.entries;
            self.order.retain(|(key, serial)| entries.get(key).is_some_and(|e| e.serial == *serial));
        }
    }

    #[cfg(test)]
    fn kept(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use duroxide::EventKind;

    fn event(id: u64) -> Event {
        Event {
            event_id: id,
            source_event_id: None,
            instance_id: "i".into(),
            execution_id: 1,
            timestamp_ms: id,
            duroxide_version: "0.1.32".into(),
            kind: EventKind::TimerCreated { fire_at_ms: id },
        }
    }

    fn history(ids: std::ops::RangeInclusive<u64>) -> Vec<Event> {
        ids.map(event).collect()
    }

    #[test]
    fn a_kept_history_is_used_only_while_the_store_still_ends_the_same_way() {
        let mut cache = HistoryCache::new(10, 1000);
        cache.put("i", 1, history(1..=3), "third".into());
        assert_eq!(cache.get("i", 1, 3, "third"), Some(history(1..=3)));
        assert_eq!(cache.get("i", 1, 4, "third"), None, "another process appended");
        assert_eq!(cache.get("i", 1, 3, "other"), None, "deleted and made again");
        assert_eq!(cache.get("i", 2, 3, "third"), None, "another execution");
    }

    #[test]
    fn appended_events_extend_the_history_only_when_they_follow_it() {
        let mut cache = HistoryCache::new(10, 1000);
        cache.append("i", 1, &history(1..=2), "two".into());
        cache.append("i", 1, &history(3..=4), "four".into());
        assert_eq!(cache.get("i", 1, 4, "four"), Some(history(1..=4)));
        cache.append("i", 1, &history(6..=6), "six".into());
        assert_eq!(cache.kept(), 0, "a gap: what is stored is not known");
        cache.append("j", 1, &history(5..=5), "five".into());
        assert_eq!(cache.kept(), 0, "the start of j's history is not known");
    }

    #[test]
    fn the_oldest_entries_go_when_it_is_full() {
        let mut cache = HistoryCache::new(2, 5);
        cache.put("a", 1, history(1..=2), "a".into());
        cache.put("b", 1, history(1..=2), "b".into());
        cache.put("c", 1, history(1..=2), "c".into());
        assert!(cache.get("a", 1, 2, "a").is_none(), "five events at most: the oldest went");
        assert!(cache.get("b", 1, 2, "b").is_some() && cache.get("c", 1, 2, "c").is_some());
        cache.put("big", 1, history(1..=6), "big".into());
        assert!(cache.get("big", 1, 6, "big").is_none(), "larger than the whole cache");
        cache.put("c", 1, history(1..=3), "c3".into());
        cache.put("d", 1, history(1..=2), "d".into());
        assert!(cache.get("c", 1, 3, "c3").is_some() && cache.get("d", 1, 2, "d").is_some(), "re-putting c kept one entry for it");
        assert!(cache.get("b", 1, 2, "b").is_none(), "two entries at most");
    }
}
