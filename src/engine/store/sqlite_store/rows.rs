//! What the store's steps share: the clock, lock tokens, errors as duroxide
//! classifies them, history rows, and savepoints inside a step.

/// SQL for the time now as UTC text with milliseconds: `CURRENT_TIMESTAMP`'s format (the built-in
/// provider's, whole seconds) plus `.SSS`, so both read back the same way (`admin::MS`).
macro_rules! now_text {
    () => {
        "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    };
}
pub(super) use now_text;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use duroxide::providers::{ProviderError, WorkItem};
use duroxide::Event;
use rusqlite::{params, Connection};

use super::history_cache::HistoryCache;
use super::writer::run_cached;

/// A duration in milliseconds, capped so that adding it to a time cannot overflow.
pub fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Unique across processes sharing a file: the process, its start and a count.
pub fn lock_token() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static START: std::sync::OnceLock<u128> = std::sync::OnceLock::new();
    let start = START.get_or_init(|| SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    format!("lock_{}_{start:x}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// As the built-in provider decides (its callers and the validation suite rely
/// on it): a busy database is worth another try, a broken constraint is not,
/// and anything else is tried again.
pub fn classify(operation: &str, e: rusqlite::Error) -> ProviderError {
    let text = e.to_string();
    if text.contains("database is locked") || text.contains("SQLITE_BUSY") {
        ProviderError::retryable(operation, format!("Database locked: {text}"))
    } else if text.contains("UNIQUE constraint") || text.contains("PRIMARY KEY") {
        ProviderError::permanent(operation, format!("Constraint violation: {text}"))
    } else {
        ProviderError::retryable(operation, text)
    }
}

/// The instance whose orchestrator queue a message goes to (None: not an orchestrator message).
pub fn queue_instance(item: &WorkItem) -> Option<&str> {
    match item {
        WorkItem::StartOrchestration { instance, .. }
        | WorkItem::ActivityCompleted { instance, .. }
        | WorkItem::ActivityFailed { instance, .. }
        | WorkItem::TimerFired { instance, .. }
        | WorkItem::ExternalRaised { instance, .. }
        | WorkItem::CancelInstance { instance, .. }
        | WorkItem::ContinueAsNew { instance, .. }
        | WorkItem::QueueMessage { instance, .. } => Some(instance),
        WorkItem::SubOrchCompleted { parent_instance, .. } | WorkItem::SubOrchFailed { parent_instance, .. } => Some(parent_instance),
        WorkItem::ActivityExecute { .. } => None,
    }
}

/// The newest execution of an instance (1 when it has none yet).
pub fn latest_execution(c: &Connection, instance: &str) -> rusqlite::Result<i64> {
    c.prepare_cached("SELECT COALESCE(MAX(execution_id), 1) FROM executions WHERE instance_id = ?1")?.query_row([instance], |r| r.get(0))
}

/// The events of one execution in order, from `cache` when it still holds
/// them; the first that cannot be read is an error.
pub fn cached_history_of(c: &Connection, cache: &Mutex<HistoryCache>, instance: &str, execution: i64) -> Result<Vec<Event>, String> {
    let (count, last): (i64, Option<String>) = c
        .prepare_cached(
            "SELECT COUNT(*), (SELECT event_data FROM history WHERE instance_id = ?1 AND execution_id = ?2 ORDER BY event_id DESC LIMIT 1)
             FROM history WHERE instance_id = ?1 AND execution_id = ?2",
        )
        .and_then(|mut s| s.query_row(params![instance, execution], |r| Ok((r.get(0)?, r.get(1)?))))
        .map_err(|e| e.to_string())?;
    let Some(last) = last else { return Ok(Vec::new()) };
    let mut cache = cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(history) = cache.get(instance, execution, count as usize, &last) {
        return Ok(history);
    }
    let history = history_of(c, instance, execution)?;
    cache.put(instance, execution, history.clone(), last);
    Ok(history)
}

/// The events of one execution in order; the first that cannot be read is an error.
pub fn history_of(c: &Connection, instance: &str, execution: i64) -> Result<Vec<Event>, String> {
    let mut statement = c
        .prepare_cached("SELECT event_data FROM history WHERE instance_id = ?1 AND execution_id = ?2 ORDER BY event_id")
        .map_err(|e| e.to_string())?;
    let rows: Vec<String> =
        statement.query_map(params![instance, execution], |r| r.get(0)).and_then(|rows| rows.collect()).map_err(|e| e.to_string())?;
    rows.iter()
        .enumerate()
        .map(|(position, json)| {
            serde_json::from_str(json).map_err(|e| {
                format!("Failed to deserialize history event at position {position} for instance '{instance}' execution {execution}: {e}")
            })
        })
        .collect()
}

/// Appends events to an execution; an event id already there (or 0) is an
/// error, never an overwrite. Answers the JSON stored for the last one.
pub fn append_history(c: &Connection, instance: &str, execution: i64, events: &[Event]) -> Result<Option<String>, String> {
    let mut statement = c
        .prepare_cached("INSERT INTO history (instance_id, execution_id, event_id, event_type, event_data) VALUES (?1, ?2, ?3, ?4, ?5)")
        .map_err(|e| e.to_string())?;
    let mut last = None;
    for event in events {
        if event.event_id == 0 {
            return Err("event_id must be set by the runtime (got 0)".into());
        }
        let json = serde_json::to_string(event).map_err(|e| e.to_string())?;
        statement.execute(params![instance, execution, event.event_id as i64, type_of(&json), json]).map_err(|e| e.to_string())?;
        last = Some(json);
    }
    Ok(last)
}

/// The `type` of an event's JSON (its kind's tag, the first key named so: inside a string every quote is
/// escaped, so `,"type":"` only appears as a key), without parsing it back.
fn type_of(json: &str) -> &str {
    const KEY: &str = ",\"type\":\"";
    json.find(KEY).map(|at| &json[at + KEY.len()..]).and_then(|rest| rest.split('"').next()).unwrap_or("Unknown")
}

/// Runs `step` inside a savepoint of its own: an `Err` undoes what it wrote.
pub fn with_savepoint<T>(
    c: &Connection,
    name: &str,
    step: impl FnOnce(&Connection) -> Result<T, ProviderError>,
) -> Result<T, ProviderError> {
    run_cached(c, &format!("SAVEPOINT {name}")).map_err(|e| classify("savepoint", e))?;
    let result = step(c);
    if result.is_err() {
        undo_to(c, name);
    }
    let _ = run_cached(c, &format!("RELEASE {name}"));
    result
}

/// Undoes what was written since the savepoint `name` (which stays open).
pub fn undo_to(c: &Connection, name: &str) {
    let _ = run_cached(c, &format!("ROLLBACK TO {name}"));
}

/// When the next message of `queue` that is not visible yet becomes visible (ms), if any.
pub fn next_visible(c: &Connection, queue: &str) -> rusqlite::Result<Option<i64>> {
    c.prepare_cached(&format!("SELECT MIN(visible_at) FROM {queue} WHERE visible_at > ?1"))?.query_row([now_ms()], |r| r.get(0))
}

#[cfg(test)]
mod tests {
    use duroxide::{Event, EventKind};

    /// The type column holds the kind's tag, as `serde_json::Value`'s `type` would say, even when a string
    /// before it looks like the key.
    #[test]
    fn the_type_of_an_event_is_its_kinds_tag() {
        let event = Event {
            event_id: 1,
            source_event_id: None,
            instance_id: r#"odd,"type":"Fake"#.into(),
            execution_id: 1,
            timestamp_ms: 5,
            duroxide_version: "0.1.32".into(),
            kind: EventKind::ExternalEvent { name: r#","type":"Nope"#.into(), data: "{}".into() },
        };
        let json = serde_json::to_string(&event).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(super::type_of(&json), value["type"].as_str().unwrap());
        assert_eq!(super::type_of(&json), "ExternalEvent");
    }
}
