//! The orchestrator queue and instance locks, in the schema and with the
//! semantics of duroxide 0.1.32's SQLite provider (docs/sqlite-store-research.md
//! §2.1-2.4, §2.6, §5.1-5.2): each function is one step of the writer thread,
//! on its connection, inside the transaction of its group.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use duroxide::providers::{
    DispatcherCapabilityFilter, ExecutionMetadata, KvEntry, OrchestrationItem, ProviderError, ScheduledActivityIdentifier, WorkItem,
};
use duroxide::{Event, EventKind};
use rusqlite::{params, Connection, OptionalExtension};

use super::history_cache::HistoryCache;
use super::rows::{
    cached_history_of, classify, history_of, latest_execution, lock_token, millis, now_ms, now_text, queue_instance, undo_to,
    with_savepoint,
};
use super::schema::NOT_A_START;

type Fetched = Option<(OrchestrationItem, String, u32)>;

/// Which message a fetch looks for first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Order {
    /// The oldest visible message.
    Oldest,
    /// The oldest visible message that is not a start (an activity's result, a timer, an event of a running
    /// instance), else the oldest. Alternated with `Oldest` by the store: with thousands of starts queued, the
    /// instances already begun still finish soon, and new ones are still taken.
    RunningFirst,
}

/// The first visible message in `order` of an instance nobody holds, its
/// instance locked and all its visible messages tagged with the lock's token.
pub fn fetch(
    c: &Connection,
    lock_timeout: Duration,
    filter: Option<&DispatcherCapabilityFilter>,
    order: Order,
    histories: &Mutex<HistoryCache>,
) -> Result<Fetched, ProviderError> {
    let now = now_ms();
    let versions = match filter.map(|f| f.supported_duroxide_versions.first()) {
        // Only the first range counts, as in the built-in provider (tested by the validation suite).
        Some(Some(range)) => Some((packed(&range.min), packed(&range.max))),
        Some(None) => return Ok(None),
        None => None,
    };
    let op = "fetch_orchestration_item";
    // Instances whose messages cannot be served yet (an event for one that never started): passed over, so
    // they do not hold up the queue behind them (the built-in provider answers None to every fetch instead).
    let mut passed_over: Vec<String> = Vec::new();
    loop {
        let skip = serde_json::to_string(&passed_over).unwrap_or_else(|_| "[]".into());
        let running_first = match order {
            Order::RunningFirst => candidate(c, now, versions, true, &skip).map_err(|e| classify(op, e))?,
            Order::Oldest => None,
        };
        let instance = match running_first {
            Some(instance) => instance,
            None => match candidate(c, now, versions, false, &skip).map_err(|e| classify(op, e))? {
                Some(instance) => instance,
                None => return Ok(None),
            },
        };
        match take(c, &instance, now, lock_timeout, histories, op)? {
            Some(found) => return Ok(Some(found)),
            None if passed_over.len() < MOST_PASSED_OVER => passed_over.push(instance),
            None => return Ok(None),
        }
    }
}

/// How many unservable instances one fetch passes over before it answers None.
const MOST_PASSED_OVER: usize = 32;

/// Locks `instance` and reads its visible messages as an item; None (nothing
/// written) when they cannot be served.
fn take(
    c: &Connection,
    instance: &str,
    now: i64,
    lock_timeout: Duration,
    histories: &Mutex<HistoryCache>,
    op: &str,
) -> Result<Fetched, ProviderError> {
    with_savepoint(c, "fetch", |c| {
        let token = lock_token();
        let locked = c
            .prepare_cached(
                "INSERT INTO instance_locks (instance_id, lock_token, locked_until, locked_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(instance_id) DO UPDATE SET lock_token = ?2, locked_until = ?3, locked_at = ?4 WHERE locked_until <= ?4",
            )
            .and_then(|mut s| s.execute(params![instance, token, now + millis(lock_timeout), now]))
            .map_err(|e| classify(op, e))?;
        if locked == 0 {
            return Ok(None);
        }
        c.prepare_cached(
            "UPDATE orchestrator_queue SET lock_token = ?1, attempt_count = attempt_count + 1 WHERE instance_id = ?2 AND visible_at <= ?3",
        )
        .and_then(|mut s| s.execute(params![token, instance, now]))
        .map_err(|e| classify(op, e))?;
        let rows: Vec<(String, u32)> = c
            .prepare_cached("SELECT work_item, attempt_count FROM orchestrator_queue WHERE lock_token = ?1 ORDER BY id")
            .and_then(|mut s| s.query_map([&token], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .map_err(|e| classify(op, e))?;
        if rows.is_empty() {
            undo_to(c, "fetch");
            return Ok(None);
        }
        let attempts = rows.iter().map(|(_, n)| *n).max().unwrap_or(0);
        // An item that cannot be read is left out of the batch (and removed with it by the ack).
        let messages: Vec<WorkItem> = rows.iter().filter_map(|(json, _)| serde_json::from_str(json).ok()).collect();
        let Some(item) = item_of(c, instance, messages, &token, histories, op)? else { return Ok(None) };
        Ok(Some((item, token, attempts)))
    })
}

/// `major * 1e6 + minor * 1e3 + patch`, the packing the built-in provider compares pinned versions with.
fn packed(v: &semver::Version) -> i64 {
    (v.major * 1_000_000 + v.minor * 1_000 + v.patch) as i64
}

/// The instance of the oldest visible message (`not_a_start`: that is not a
/// start) whose instance is not locked nor in `skip` (a JSON array) and, with
/// a version range, whose current execution may run here. The queue is read
/// in `id` order, not sorted: `+visible_at` keeps the planner off the
/// visible_at index, whose order would need a sort of every visible row.
fn candidate(c: &Connection, now: i64, versions: Option<(i64, i64)>, not_a_start: bool, skip: &str) -> rusqlite::Result<Option<String>> {
    let (low, high) = versions.unwrap_or((i64::MIN, i64::MAX));
    let sql = if not_a_start { &*CANDIDATE_NOT_A_START } else { CANDIDATE };
    c.prepare_cached(sql)?.query_row(params![now, low, high, skip], |r| r.get(0)).optional()
}

static CANDIDATE_NOT_A_START: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    CANDIDATE
        .replace("WHERE +q.visible_at <= ?1", &format!("WHERE +q.visible_at <= ?1 AND {}", NOT_A_START.replace("work_item", "q.work_item")))
});

const CANDIDATE: &str = "SELECT q.instance_id FROM orchestrator_queue q
         WHERE +q.visible_at <= ?1
           AND q.instance_id NOT IN (SELECT value FROM json_each(?4))
           AND NOT EXISTS (SELECT 1 FROM instance_locks l WHERE l.instance_id = q.instance_id AND l.locked_until > ?1)
           AND NOT EXISTS (SELECT 1 FROM instances i
                 JOIN executions e ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id
                 WHERE i.instance_id = q.instance_id AND e.duroxide_version_major IS NOT NULL
                   AND (e.duroxide_version_major * 1000000 + e.duroxide_version_minor * 1000 + e.duroxide_version_patch)
                       NOT BETWEEN ?2 AND ?3)
         ORDER BY q.id LIMIT 1";

/// The batch as an item: the instance's name, version and current history;
/// for an instance not yet stored, what its history or its messages say.
fn item_of(
    c: &Connection,
    instance: &str,
    messages: Vec<WorkItem>,
    token: &str,
    histories: &Mutex<HistoryCache>,
    op: &str,
) -> Result<Option<OrchestrationItem>, ProviderError> {
    let stored: Option<(String, Option<String>, i64)> = c
        .prepare_cached("SELECT orchestration_name, orchestration_version, current_execution_id FROM instances WHERE instance_id = ?1")
        .and_then(|mut s| s.query_row([instance], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional())
        .map_err(|e| classify(op, e))?;
    let mut item = OrchestrationItem {
        instance: instance.to_string(),
        orchestration_name: String::new(),
        execution_id: 1,
        version: String::new(),
        history: Vec::new(),
        messages,
        history_error: None,
        kv_snapshot: HashMap::new(),
    };
    if let Some((name, version, execution)) = stored {
        item.orchestration_name = name;
        item.version = version.unwrap_or_else(|| "unknown".into());
        item.execution_id = execution as u64;
        match cached_history_of(c, histories, instance, execution) {
            Ok(history) => item.history = history,
            // The lock stays (committed): the runtime fails the instance with this text.
            Err(e) => {
                item.history_error = Some(format!("Failed to deserialize history: {e}"));
                return Ok(Some(item));
            }
        }
    } else {
        let history = history_of(c, instance, latest_execution(c, instance).map_err(|e| classify(op, e))?).unwrap_or_default();
        let started = history.iter().find_map(|e| match &e.kind {
            EventKind::OrchestrationStarted { name, version, .. } => Some((name.clone(), version.clone())),
            _ => None,
        });
        let starting = item.messages.iter().find_map(|m| match m {
            WorkItem::StartOrchestration { orchestration, version, .. } | WorkItem::ContinueAsNew { orchestration, version, .. } => {
                Some((orchestration.clone(), version.clone().unwrap_or_else(|| "unknown".into())))
            }
            _ => None,
        });
        if let Some((name, version)) = started {
            (item.orchestration_name, item.version, item.history) = (name, version, history);
        } else if let Some((name, version)) = starting {
            (item.orchestration_name, item.version) = (name, version);
        } else if item.messages.iter().all(|m| matches!(m, WorkItem::QueueMessage { .. })) {
            // Queue messages for an instance that never started are dropped.
            c.execute("DELETE FROM orchestrator_queue WHERE lock_token = ?1", [token]).map_err(|e| classify(op, e))?;
            c.execute("DELETE FROM instance_locks WHERE lock_token = ?1", [token]).map_err(|e| classify(op, e))?;
            return Ok(None);
        } else {
            undo_to(c, "fetch");
            return Ok(None);
        }
    }
    let mut kv =
        c.prepare_cached("SELECT key, value, last_updated_at_ms FROM kv_store WHERE instance_id = ?1").map_err(|e| classify(op, e))?;
    let entries = kv
        .query_map([instance], |r| {
            Ok((r.get::<_, String>(0)?, KvEntry { value: r.get(1)?, last_updated_at_ms: r.get::<_, i64>(2)? as u64 }))
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(|e| classify(op, e))?;
    item.kv_snapshot = entries.into_iter().collect();
    Ok(Some(item))
}

/// Everything a turn produced, as one unit: history appended, metadata,
/// new messages for both queues, cancelled activities removed, the batch
/// deleted and the lock released; nothing of it when the lock is not held.
#[allow(clippy::too_many_arguments)]
pub fn ack(
    c: &Connection,
    token: &str,
    execution_id: u64,
    delta: &[Event],
    worker_items: &[WorkItem],
    orchestrator_items: &[WorkItem],
    metadata: &ExecutionMetadata,
    cancelled: &[ScheduledActivityIdentifier],
    histories: &Mutex<HistoryCache>,
) -> Result<(), ProviderError> {
    let op = "ack_orchestration_item";
    let now = now_ms();
    let sql = |e| classify(op, e);
    let instance: String = c
        .prepare_cached("SELECT instance_id FROM instance_locks WHERE lock_token = ?1")
        .and_then(|mut s| s.query_row([token], |r| r.get(0)).optional())
        .map_err(sql)?
        .ok_or_else(|| ProviderError::permanent(op, "Invalid lock token"))?;
    let execution = execution_id as i64;
    c.prepare_cached("DELETE FROM orchestrator_queue WHERE lock_token = ?1").and_then(|mut s| s.execute([token])).map_err(sql)?;
    if let (Some(name), Some(version)) = (&metadata.orchestration_name, &metadata.orchestration_version) {
        c.prepare_cached(
            concat!(
                "INSERT OR IGNORE INTO instances
                     (instance_id, orchestration_name, orchestration_version, current_execution_id, parent_instance_id, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ",
                now_text!(),
                ", ",
                now_text!(),
                ")"
            ),
        )
        .and_then(|mut s| s.execute(params![instance, name, version, execution, metadata.parent_instance_id]))
        .map_err(sql)?;
        c.prepare_cached("UPDATE instances SET orchestration_name = ?2, orchestration_version = ?3 WHERE instance_id = ?1")
            .and_then(|mut s| s.execute(params![instance, name, version]))
            .map_err(sql)?;
    }
    c.prepare_cached(concat!(
        "INSERT OR IGNORE INTO executions (instance_id, execution_id, status, started_at) VALUES (?1, ?2, 'Running', ",
        now_text!(),
        ")"
    ))
    .and_then(|mut s| s.execute(params![instance, execution]))
    .map_err(sql)?;
    if let Some(v) = &metadata.pinned_duroxide_version {
        c.prepare_cached(
            "UPDATE executions SET duroxide_version_major = ?3, duroxide_version_minor = ?4, duroxide_version_patch = ?5
             WHERE instance_id = ?1 AND execution_id = ?2",
        )
        .and_then(|mut s| s.execute(params![instance, execution, v.major as i64, v.minor as i64, v.patch as i64]))
        .map_err(sql)?;
    }
    // updated_at: the built-in provider never moves it; `duroxide list` shows it. Ours have milliseconds (the
    // built-in's CURRENT_TIMESTAMP has whole seconds), in the same UTC text format.
    c.prepare_cached(concat!(
        "UPDATE instances SET current_execution_id = MAX(current_execution_id, ?2), updated_at = ",
        now_text!(),
        " WHERE instance_id = ?1"
    ))
    .and_then(|mut s| s.execute(params![instance, execution]))
    .map_err(sql)?;
    let last = super::rows::append_history(c, &instance, execution, delta)
        .map_err(|e| ProviderError::permanent(op, format!("Failed to append history: {e}")))?;
    // Kept for the instance's next turn (checked against the file then: this group may still fail to commit).
    let mut kept = histories.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match (&metadata.status, last) {
        (Some(_), _) => kept.forget(&instance, execution),
        (None, Some(last)) => kept.append(&instance, execution, delta, last),
        (None, None) => {}
    }
    drop(kept);
    if let Some(status) = &metadata.status {
        c.prepare_cached("UPDATE executions SET status = ?3, output = ?4, completed_at = ?5 WHERE instance_id = ?1 AND execution_id = ?2")
            .and_then(|mut s| s.execute(params![instance, execution, status, metadata.output, now]))
            .map_err(sql)?;
    }
    let custom_status = delta.iter().rev().find_map(|e| match &e.kind {
        EventKind::CustomStatusUpdated { status } => Some(status.clone()),
        _ => None,
    });
    if let Some(status) = custom_status {
        c.prepare_cached(
            "UPDATE instances SET custom_status = ?2, custom_status_version = custom_status_version + 1 WHERE instance_id = ?1",
        )
        .and_then(|mut s| s.execute(params![instance, status]))
        .map_err(sql)?;
    }
    super::kv::apply_delta(c, &instance, delta, now).map_err(sql)?;
    if matches!(metadata.status.as_deref(), Some("Completed" | "ContinuedAsNew" | "Failed")) {
        super::kv::merge(c, &instance).map_err(sql)?;
    }
    for item in worker_items {
        super::activities::insert(c, item, now).map_err(sql)?;
    }
    for gone in cancelled {
        c.prepare_cached("DELETE FROM worker_queue WHERE instance_id = ?1 AND execution_id = ?2 AND activity_id = ?3")
            .and_then(|mut s| s.execute(params![gone.instance, gone.execution_id as i64, gone.activity_id as i64]))
            .map_err(sql)?;
    }
    for item in orchestrator_items {
        let visible = match item {
            WorkItem::TimerFired { fire_at_ms, .. } => *fire_at_ms as i64,
            _ => now,
        };
        if let Some(to) = queue_instance(item) {
            insert(c, to, item, visible).map_err(sql)?;
        }
    }
    let held: i64 = c
        .prepare_cached("SELECT COUNT(*) FROM instance_locks WHERE instance_id = ?1 AND lock_token = ?2 AND locked_until > ?3")
        .and_then(|mut s| s.query_row(params![instance, token, now], |r| r.get(0)))
        .map_err(sql)?;
    if held == 0 {
        return Err(ProviderError::permanent(op, "Instance lock expired"));
    }
    c.prepare_cached("DELETE FROM instance_locks WHERE instance_id = ?1 AND lock_token = ?2")
        .and_then(|mut s| s.execute(params![instance, token]))
        .map_err(sql)?;
    Ok(())
}

/// Queues `item` for `instance`'s orchestration, visible from `visible_at` (ms).
pub fn insert(c: &Connection, instance: &str, item: &WorkItem, visible_at: i64) -> rusqlite::Result<()> {
    let json = serde_json::to_string(item).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    c.prepare_cached("INSERT INTO orchestrator_queue (instance_id, work_item, visible_at) VALUES (?1, ?2, ?3)")?
        .execute(params![instance, json, visible_at])?;
    Ok(())
}

/// A message from outside a turn (start, event, cancel), visible after `delay`.
pub fn enqueue(c: &Connection, item: &WorkItem, delay: Option<Duration>) -> Result<(), ProviderError> {
    let op = "enqueue_for_orchestrator";
    let instance = queue_instance(item).ok_or_else(|| ProviderError::permanent(op, "Invalid work item type"))?;
    let visible = now_ms().saturating_add(delay.map(millis).unwrap_or(0));
    insert(c, instance, item, visible).map_err(|e| classify(op, e))
}

/// Lets go of a batch: its messages visible again (after `delay`), their attempt not counted if asked.
pub fn abandon(c: &Connection, token: &str, delay: Option<Duration>, ignore_attempt: bool) -> Result<(), ProviderError> {
    let op = "abandon_orchestration_item";
    let sql = |e| classify(op, e);
    let released = c.execute("DELETE FROM instance_locks WHERE lock_token = ?1", [token]).map_err(sql)?;
    if released == 0 {
        return Err(ProviderError::permanent(op, "Invalid lock token"));
    }
    if ignore_attempt {
        c.execute("UPDATE orchestrator_queue SET attempt_count = MAX(0, attempt_count - 1) WHERE lock_token = ?1", [token]).map_err(sql)?;
    }
    if let Some(delay) = delay {
        let visible = now_ms().saturating_add(millis(delay));
        c.execute("UPDATE orchestrator_queue SET visible_at = ?1 WHERE lock_token = ?2", params![visible, token]).map_err(sql)?;
    }
    Ok(())
}

pub fn renew(c: &Connection, token: &str, extend_for: Duration) -> Result<(), ProviderError> {
    let op = "renew_orchestration_item_lock";
    let now = now_ms();
    let renewed = c
        .execute(
            "UPDATE instance_locks SET locked_until = ?1 WHERE lock_token = ?2 AND locked_until > ?3",
            params![now.saturating_add(millis(extend_for)), token, now],
        )
        .map_err(|e| classify(op, e))?;
    if renewed == 0 {
        return Err(ProviderError::permanent(op, "Lock token invalid, expired, or already acked"));
    }
    Ok(())
}
