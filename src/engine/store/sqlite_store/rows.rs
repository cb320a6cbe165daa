//! What the store's steps share: the clock, lock tokens, errors as duroxide
//! classifies them, history rows, and savepoints inside a step.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use duroxide::providers::{ProviderError, WorkItem};
use duroxide::Event;
use rusqlite::{params, Connection};

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

/// Appends events to an execution; an event id already there (or 0) is an error, never an overwrite.
pub fn append_history(c: &Connection, instance: &str, execution: i64, events: &[Event]) -> Result<(), String> {
    let mut statement = c
        .prepare_cached("INSERT INTO history (instance_id, execution_id, event_id, event_type, event_data) VALUES (?1, ?2, ?3, ?4, ?5)")
        .map_err(|e| e.to_string())?;
    for event in events {
        if event.event_id == 0 {
            return Err("event_id must be set by the runtime (got 0)".into());
        }
        let json = serde_json::to_value(event).map_err(|e| e.to_string())?;
        let kind = json.get("type").and_then(|t| t.as_str()).unwrap_or("Unknown").to_string();
        statement.execute(params![instance, execution, event.event_id as i64, kind, json.to_string()]).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Runs `step` inside a savepoint of its own: an `Err` undoes what it wrote.
pub fn with_savepoint<T>(
    c: &Connection,
    name: &str,
    step: impl FnOnce(&Connection) -> Result<T, ProviderError>,
) -> Result<T, ProviderError> {
    c.execute_batch(&format!("SAVEPOINT {name}")).map_err(|e| classify("savepoint", e))?;
    let result = step(c);
    if result.is_err() {
        undo_to(c, name);
    }
    let _ = c.execute_batch(&format!("RELEASE {name}"));
    result
}

/// Undoes what was written since the savepoint `name` (which stays open).
pub fn undo_to(c: &Connection, name: &str) {
    let _ = c.execute_batch(&format!("ROLLBACK TO {name}"));
}

/// When the next message of `queue` that is not visible yet becomes visible (ms), if any.
pub fn next_visible(c: &Connection, queue: &str) -> rusqlite::Result<Option<i64>> {
    c.prepare_cached(&format!("SELECT MIN(visible_at) FROM {queue} WHERE visible_at > ?1"))?.query_row([now_ms()], |r| r.get(0))
}
