//! Reads of the stores' queues that duroxide's API does not offer: starts no
//! worker has taken yet (the instance does not exist until one does) and
//! activities locked by a worker right now. Plain SELECTs on the provider's
//! own connections; nothing here writes.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use sqlx::{PgPool, SqlitePool};

use super::sqlite_store::SqliteStore;

/// A start waiting in the orchestrator queue.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedStart {
    pub instance_id: String,
    pub orchestration_name: String,
    /// Pinned version, or None for the latest registered.
    pub orchestration_version: Option<String>,
    /// How many times a worker took it and put it back (an unregistered name does that).
    pub attempts: u32,
}

/// An activity a worker holds locked now.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InFlight {
    pub instance_id: String,
    pub activity_name: String,
    pub attempt: u32,
    /// Milliseconds until its lock runs out unless the worker renews it.
    pub lock_expires_in_ms: i64,
}

pub enum QueuePeek {
    /// Our SQLite store: the queries run on its writer thread.
    Own(Arc<SqliteStore>),
    /// duroxide's built-in SQLite provider's pool.
    Sqlite(SqlitePool),
    Postgres {
        pool: PgPool,
        schema: String,
    },
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn failed(e: impl std::fmt::Display) -> String {
    format!("reading the queues failed: {e}")
}

/// Every row of `sql`, as the four columns both queries have.
fn all_rows<A, B, C, D>(c: &rusqlite::Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<Vec<(A, B, C, D)>>
where
    A: rusqlite::types::FromSql,
    B: rusqlite::types::FromSql,
    C: rusqlite::types::FromSql,
    D: rusqlite::types::FromSql,
{
    let mut statement = c.prepare_cached(sql)?;
    let rows = statement.query_map(params, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    rows.collect()
}

const SQLITE_STARTS: &str = "
    SELECT q.instance_id,
           json_extract(q.work_item, '$.StartOrchestration.orchestration'),
           json_extract(q.work_item, '$.StartOrchestration.version'),
           q.attempt_count
    FROM orchestrator_queue q
    WHERE json_extract(q.work_item, '$.StartOrchestration') IS NOT NULL
      AND (?1 IS NULL OR q.instance_id = ?1)
      AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.instance_id = q.instance_id)
    ORDER BY q.id";

const SQLITE_IN_FLIGHT: &str = "
    SELECT instance_id, json_extract(work_item, '$.ActivityExecute.name'), attempt_count, locked_until
    FROM worker_queue
    WHERE lock_token IS NOT NULL AND locked_until > ?1
    ORDER BY id";

fn pg_starts(schema: &str) -> String {
    format!(
        "SELECT q.instance_id,
                q.work_item::jsonb -> 'StartOrchestration' ->> 'orchestration',
                q.work_item::jsonb -> 'StartOrchestration' ->> 'version',
                q.attempt_count::BIGINT
         FROM \"{schema}\".orchestrator_queue q
         WHERE q.work_item::jsonb ? 'StartOrchestration'
           AND ($1::TEXT IS NULL OR q.instance_id = $1)
           AND NOT EXISTS (SELECT 1 FROM \"{schema}\".instances i WHERE i.instance_id = q.instance_id)
         ORDER BY q.id"
    )
}

fn pg_in_flight(schema: &str) -> String {
    format!(
        "SELECT instance_id, work_item::jsonb -> 'ActivityExecute' ->> 'name', attempt_count::BIGINT, locked_until
         FROM \"{schema}\".worker_queue
         WHERE lock_token IS NOT NULL AND locked_until > $1
         ORDER BY id"
    )
}

impl QueuePeek {
    /// Queued starts of instances that do not exist yet (one per instance: the first).
    pub async fn queued_starts(&self, instance: Option<&str>) -> Result<Vec<QueuedStart>, String> {
        type Row = (String, Option<String>, Option<String>, i64);
        let rows: Vec<Row> = match self {
            QueuePeek::Own(store) => {
                let instance = instance.map(str::to_string);
                store.query(move |c| all_rows(c, SQLITE_STARTS, rusqlite::params![instance])).await.map_err(failed)?
            }
            QueuePeek::Sqlite(pool) => sqlx::query_as::<_, Row>(SQLITE_STARTS).bind(instance).fetch_all(pool).await.map_err(failed)?,
            QueuePeek::Postgres { pool, schema } => {
                sqlx::query_as::<_, Row>(&pg_starts(schema)).bind(instance).fetch_all(pool).await.map_err(failed)?
            }
        };
        let mut starts: Vec<QueuedStart> = Vec::new();
        for (instance_id, name, version, attempts) in rows {
            if starts.iter().any(|s| s.instance_id == instance_id) {
                continue;
            }
            starts.push(QueuedStart {
                instance_id,
                orchestration_name: name.unwrap_or_default(),
                orchestration_version: version,
                attempts: attempts.max(0) as u32,
            });
        }
        Ok(starts)
    }

    pub async fn queued_start(&self, instance: &str) -> Result<Option<QueuedStart>, String> {
        Ok(self.queued_starts(Some(instance)).await?.into_iter().next())
    }

    /// Activities locked by some worker now.
    pub async fn in_flight(&self) -> Result<Vec<InFlight>, String> {
        let now = now_ms();
        type Row = (Option<String>, Option<String>, i64, i64);
        let rows: Vec<Row> = match self {
            QueuePeek::Own(store) => store.query(move |c| all_rows(c, SQLITE_IN_FLIGHT, [now])).await.map_err(failed)?,
            QueuePeek::Sqlite(pool) => sqlx::query_as::<_, Row>(SQLITE_IN_FLIGHT).bind(now).fetch_all(pool).await.map_err(failed)?,
            QueuePeek::Postgres { pool, schema } => {
                sqlx::query_as::<_, Row>(&pg_in_flight(schema)).bind(now).fetch_all(pool).await.map_err(failed)?
            }
        };
        Ok(rows
            .into_iter()
            .map(|(instance, name, attempt, locked_until)| InFlight {
                instance_id: instance.unwrap_or_default(),
                activity_name: name.unwrap_or_default(),
                attempt: attempt.max(0) as u32,
                lock_expires_in_ms: locked_until - now,
            })
            .collect())
    }
}
