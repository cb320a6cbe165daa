//! The worker queue (activities) and sessions, with the built-in provider's
//! semantics (docs/sqlite-store-research.md §2.7-2.12, §5.4-5.5): a row is
//! locked by its own token until `locked_until`; a session belongs to one
//! owner while its lock lasts.

use std::time::Duration;

use duroxide::providers::{ProviderError, SessionFetchConfig, TagFilter, WorkItem};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

use super::rows::{classify, lock_token, millis, now_ms, queue_instance, undo_to, with_savepoint};

/// Queues an activity (or, from an ack, any worker item) visible now.
pub fn insert(c: &Connection, item: &WorkItem, now: i64) -> rusqlite::Result<()> {
    let json = serde_json::to_string(item).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let (instance, execution, activity, session, tag) = match item {
        WorkItem::ActivityExecute { instance, execution_id, id, session_id, tag, .. } => {
            (Some(instance.as_str()), Some(*execution_id as i64), Some(*id as i64), session_id.as_deref(), tag.as_deref())
        }
        _ => (None, None, None, None, None),
    };
    c.prepare_cached(
        "INSERT INTO worker_queue (work_item, visible_at, instance_id, execution_id, activity_id, session_id, tag)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![json, now, instance, execution, activity, session, tag])?;
    Ok(())
}

pub fn enqueue(c: &Connection, item: &WorkItem) -> Result<(), ProviderError> {
    insert(c, item, now_ms()).map_err(|e| classify("enqueue_for_worker", e))
}

/// The SQL condition on `q.tag` for a filter, and its values.
fn tag_condition(filter: &TagFilter) -> (String, Vec<Value>) {
    let listed = |tags: &std::collections::HashSet<String>| {
        let mut sorted: Vec<&String> = tags.iter().collect();
        sorted.sort();
        let marks = vec!["?"; sorted.len()].join(", ");
        (marks, sorted.into_iter().map(|t| Value::Text(t.clone())).collect::<Vec<_>>())
    };
    match filter {
        TagFilter::DefaultOnly => ("q.tag IS NULL".into(), vec![]),
        TagFilter::Tags(tags) => {
            let (marks, values) = listed(tags);
            (format!("q.tag IN ({marks})"), values)
        }
        TagFilter::DefaultAnd(tags) => {
            let (marks, values) = listed(tags);
            (format!("(q.tag IS NULL OR q.tag IN ({marks}))"), values)
        }
        TagFilter::Any => ("1".into(), vec![]),
        TagFilter::None => ("0".into(), vec![]),
    }
}

/// The oldest visible, unlocked item this worker may take, locked for it
/// (`TagFilter::None` takes nothing; the provider answers it without a step).
pub fn fetch(
    c: &Connection,
    lock_timeout: Duration,
    session: Option<&SessionFetchConfig>,
    tags: &TagFilter,
) -> Result<Option<(WorkItem, String, u32)>, ProviderError> {
    let op = "fetch_work_item";
    let now = now_ms();
    let (tag_sql, tag_values) = tag_condition(tags);
    let mut values = vec![Value::Integer(now)];
    let sessions = match session {
        Some(config) => {
            values.push(Value::Text(config.owner_id.clone()));
            "(q.session_id IS NULL OR NOT EXISTS (SELECT 1 FROM sessions s WHERE s.session_id = q.session_id AND s.locked_until > ?1)
              OR EXISTS (SELECT 1 FROM sessions s WHERE s.session_id = q.session_id AND s.locked_until > ?1 AND s.worker_id = ?2))"
        }
        None => "q.session_id IS NULL",
    };
    // Positional `?` after the numbered ones take the next numbers.
    values.extend(tag_values);
    let sql = format!(
        "SELECT q.id, q.work_item, q.attempt_count, q.session_id FROM worker_queue q
         WHERE q.visible_at <= ?1 AND (q.lock_token IS NULL OR q.locked_until <= ?1) AND {sessions} AND {tag_sql}
         ORDER BY q.id LIMIT 1"
    );
    let found: Option<(i64, String, u32, Option<String>)> = c
        .prepare_cached(&sql)
        .and_then(|mut s| s.query_row(params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).optional())
        .map_err(|e| classify(op, e))?;
    let Some((id, json, attempts, session_id)) = found else { return Ok(None) };
    with_savepoint(c, "work", |c| {
        let token = lock_token();
        c.prepare_cached("UPDATE worker_queue SET lock_token = ?1, locked_until = ?2, attempt_count = attempt_count + 1 WHERE id = ?3")
            .and_then(|mut s| s.execute(params![token, now.saturating_add(millis(lock_timeout)), id]))
            .map_err(|e| classify(op, e))?;
        if let (Some(session_id), Some(config)) = (&session_id, session) {
            let claimed = c
                .prepare_cached(
                    "INSERT INTO sessions (session_id, worker_id, locked_until, last_activity_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (session_id) DO UPDATE SET worker_id = ?2, locked_until = ?3, last_activity_at = ?4
                     WHERE sessions.locked_until <= ?4 OR sessions.worker_id = ?2",
                )
                .and_then(|mut s| s.execute(params![session_id, config.owner_id, now.saturating_add(millis(config.lock_timeout)), now]))
                .map_err(|e| classify(op, e))?;
            if claimed == 0 {
                undo_to(c, "work");
                return Ok(None);
            }
        }
        let item: WorkItem =
            serde_json::from_str(&json).map_err(|e| ProviderError::permanent(op, format!("Deserialization error: {e}")))?;
        Ok(Some((item, token, attempts + 1)))
    })
}

/// Done: the item leaves the queue and its completion (if any) goes to the orchestration, together.
pub fn ack(c: &Connection, token: &str, completion: Option<&WorkItem>) -> Result<(), ProviderError> {
    let op = "ack_work_item";
    let now = now_ms();
    let session: Option<Option<String>> = c
        .prepare_cached("DELETE FROM worker_queue WHERE lock_token = ?1 AND locked_until > ?2 RETURNING session_id")
        .and_then(|mut s| s.query_row(params![token, now], |r| r.get(0)).optional())
        .map_err(|e| classify(op, e))?;
    let Some(session) = session else {
        return Err(ProviderError::permanent(op, "Activity was cancelled or lock expired (worker queue row not found or lock invalid)"));
    };
    touch_session(c, session.as_deref(), now);
    let Some(completion) = completion else { return Ok(()) };
    let instance = match completion {
        WorkItem::ActivityCompleted { .. } | WorkItem::ActivityFailed { .. } => queue_instance(completion),
        _ => None,
    }
    .ok_or_else(|| ProviderError::permanent(op, "Invalid completion type for worker ack"))?;
    super::orchestrations::insert(c, instance, completion, now).map_err(|e| classify(op, e))
}

/// A session in use stays its owner's.
fn touch_session(c: &Connection, session: Option<&str>, now: i64) {
    if let Some(session) = session {
        let _ = c
            .prepare_cached("UPDATE sessions SET last_activity_at = ?1 WHERE session_id = ?2 AND locked_until > ?1")
            .and_then(|mut s| s.execute(params![now, session]));
    }
}

pub fn renew(c: &Connection, token: &str, extend_for: Duration) -> Result<(), ProviderError> {
    let op = "renew_work_item_lock";
    let now = now_ms();
    let session: Option<Option<String>> = c
        .prepare_cached("UPDATE worker_queue SET locked_until = ?1 WHERE lock_token = ?2 AND locked_until > ?3 RETURNING session_id")
        .and_then(|mut s| s.query_row(params![now.saturating_add(millis(extend_for)), token, now], |r| r.get(0)).optional())
        .map_err(|e| classify(op, e))?;
    let Some(session) = session else {
        return Err(ProviderError::permanent(op, "Lock renewal failed - activity was cancelled or lock expired"));
    };
    touch_session(c, session.as_deref(), now);
    Ok(())
}

pub fn abandon(c: &Connection, token: &str, delay: Option<Duration>, ignore_attempt: bool) -> Result<(), ProviderError> {
    let op = "abandon_work_item";
    let visible = now_ms().saturating_add(delay.map(millis).unwrap_or(0));
    let attempt = if ignore_attempt { ", attempt_count = MAX(0, attempt_count - 1)" } else { "" };
    let released = c
        .execute(
            &format!("UPDATE worker_queue SET lock_token = NULL, locked_until = NULL, visible_at = ?1{attempt} WHERE lock_token = ?2"),
            params![visible, token],
        )
        .map_err(|e| classify(op, e))?;
    if released == 0 {
        return Err(ProviderError::permanent(op, "Invalid lock token or already acked"));
    }
    Ok(())
}

/// Extends the sessions of these owners that are still in use; how many.
pub fn renew_sessions(c: &Connection, owners: &[String], extend_for: Duration, idle_timeout: Duration) -> Result<usize, ProviderError> {
    if owners.is_empty() {
        return Ok(0);
    }
    let now = now_ms();
    let marks = vec!["?"; owners.len()].join(", ");
    let mut values = vec![
        Value::Integer(now.saturating_add(millis(extend_for))),
        Value::Integer(now),
        Value::Integer(now.saturating_sub(millis(idle_timeout))),
    ];
    values.extend(owners.iter().map(|o| Value::Text(o.clone())));
    c.execute(
        &format!("UPDATE sessions SET locked_until = ?1 WHERE locked_until > ?2 AND last_activity_at > ?3 AND worker_id IN ({marks})"),
        params_from_iter(values),
    )
    .map_err(|e| classify("renew_session_lock", e))
}

/// Removes expired sessions no queued item refers to; how many.
pub fn cleanup_sessions(c: &Connection) -> Result<usize, ProviderError> {
    c.execute(
        "DELETE FROM sessions WHERE locked_until < ?1
         AND NOT EXISTS (SELECT 1 FROM worker_queue WHERE worker_queue.session_id = sessions.session_id)",
        [now_ms()],
    )
    .map_err(|e| classify("cleanup_orphaned_sessions", e))
}
