//! Per-instance key/value state, in the built-in provider's two tables:
//! `kv_store` holds what finished executions left, `kv_delta` what the running
//! one changed (a NULL value is a removal); the delta is merged into the store
//! when an execution ends.

use std::collections::HashMap;

use duroxide::{Event, EventKind};
use rusqlite::{params, Connection, OptionalExtension};

/// Records the KV events of a turn in the delta, in order.
pub fn apply_delta(c: &Connection, instance: &str, delta: &[Event], now: i64) -> rusqlite::Result<()> {
    for event in delta {
        match &event.kind {
            EventKind::KeyValueSet { key, value, last_updated_at_ms } => {
                c.prepare_cached(
                    "INSERT INTO kv_delta (instance_id, key, value, last_updated_at_ms) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(instance_id, key) DO UPDATE SET value = excluded.value, last_updated_at_ms = excluded.last_updated_at_ms",
                )?
                .execute(params![instance, key, value, *last_updated_at_ms as i64])?;
            }
            EventKind::KeyValueCleared { key } => {
                c.prepare_cached(
                    "INSERT INTO kv_delta (instance_id, key, value, last_updated_at_ms) VALUES (?1, ?2, NULL, ?3)
                     ON CONFLICT(instance_id, key) DO UPDATE SET value = NULL, last_updated_at_ms = excluded.last_updated_at_ms",
                )?
                .execute(params![instance, key, now])?;
            }
            EventKind::KeyValuesCleared => {
                c.prepare_cached("UPDATE kv_delta SET value = NULL, last_updated_at_ms = ?2 WHERE instance_id = ?1")?
                    .execute(params![instance, now])?;
                c.prepare_cached(
                    "INSERT OR IGNORE INTO kv_delta (instance_id, key, value, last_updated_at_ms)
                     SELECT instance_id, key, NULL, ?2 FROM kv_store WHERE instance_id = ?1",
                )?
                .execute(params![instance, now])?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Folds the delta into the store when an execution ends.
pub fn merge(c: &Connection, instance: &str) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO kv_store (instance_id, key, value, last_updated_at_ms)
         SELECT instance_id, key, value, last_updated_at_ms FROM kv_delta WHERE instance_id = ?1 AND value IS NOT NULL
         ON CONFLICT(instance_id, key) DO UPDATE SET value = excluded.value, last_updated_at_ms = excluded.last_updated_at_ms",
    )?
    .execute([instance])?;
    c.prepare_cached(
        "DELETE FROM kv_store WHERE instance_id = ?1 AND key IN (SELECT key FROM kv_delta WHERE instance_id = ?1 AND value IS NULL)",
    )?
    .execute([instance])?;
    c.prepare_cached("DELETE FROM kv_delta WHERE instance_id = ?1")?.execute([instance])?;
    Ok(())
}

/// A key's live value: the delta's (a removal hides the store's), else the store's.
pub fn value(c: &Connection, instance: &str, key: &str) -> rusqlite::Result<Option<String>> {
    let in_delta: Option<Option<String>> = c
        .prepare_cached("SELECT value FROM kv_delta WHERE instance_id = ?1 AND key = ?2")?
        .query_row(params![instance, key], |r| r.get(0))
        .optional()?;
    match in_delta {
        Some(value) => Ok(value),
        None => c
            .prepare_cached("SELECT value FROM kv_store WHERE instance_id = ?1 AND key = ?2")?
            .query_row(params![instance, key], |r| r.get(0))
            .optional(),
    }
}

/// Every live key and value.
pub fn values(c: &Connection, instance: &str) -> rusqlite::Result<HashMap<String, String>> {
    let mut all: HashMap<String, String> = c
        .prepare_cached("SELECT key, value FROM kv_store WHERE instance_id = ?1")?
        .query_map([instance], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let delta: Vec<(String, Option<String>)> = c
        .prepare_cached("SELECT key, value FROM kv_delta WHERE instance_id = ?1")?
        .query_map([instance], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (key, value) in delta {
        match value {
            Some(v) => all.insert(key, v),
            None => all.remove(&key),
        };
    }
    Ok(all)
}
