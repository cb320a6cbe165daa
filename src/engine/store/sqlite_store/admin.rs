//! Management queries and deletes (duroxide's `ProviderAdmin`), as the
//! built-in provider answers them (docs/sqlite-store-research.md §3), except
//! that times are real: the schema keeps `created_at`/`updated_at`/`started_at`
//! as SQLite text, which the built-in provider reads back as 0.

use duroxide::providers::{
    DeleteInstanceResult, ExecutionInfo, InstanceFilter, InstanceInfo, ProviderError, PruneOptions, PruneResult, QueueDepths, SystemMetrics,
};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

use super::rows::classify;

use super::schema::ms_of as ms;

fn strings(c: &Connection, sql: &str, values: Vec<Value>, op: &str) -> Result<Vec<String>, ProviderError> {
    c.prepare_cached(sql).and_then(|mut s| s.query_map(params_from_iter(values), |r| r.get(0))?.collect()).map_err(|e| classify(op, e))
}

pub fn list_instances(c: &Connection) -> Result<Vec<String>, ProviderError> {
    strings(c, "SELECT instance_id FROM instances ORDER BY created_at DESC, rowid DESC", vec![], "list_instances")
}

pub fn list_instances_by_status(c: &Connection, status: &str) -> Result<Vec<String>, ProviderError> {
    strings(
        c,
        "SELECT i.instance_id FROM instances i
         JOIN executions e ON i.instance_id = e.instance_id AND i.current_execution_id = e.execution_id
         WHERE e.status = ?1 ORDER BY i.created_at DESC, i.rowid DESC",
        vec![Value::Text(status.into())],
        "list_instances_by_status",
    )
}

pub fn list_executions(c: &Connection, instance: &str) -> Result<Vec<u64>, ProviderError> {
    c.prepare_cached("SELECT execution_id FROM executions WHERE instance_id = ?1 ORDER BY execution_id")
        .and_then(|mut s| s.query_map([instance], |r| r.get::<_, i64>(0))?.map(|r| r.map(|n| n as u64)).collect())
        .map_err(|e| classify("list_executions", e))
}

pub fn latest_execution_id(c: &Connection, instance: &str) -> Result<u64, ProviderError> {
    super::rows::latest_execution(c, instance).map(|n| n as u64).map_err(|e| classify("latest_execution_id", e))
}

pub fn instance_info(c: &Connection, instance: &str) -> Result<InstanceInfo, ProviderError> {
    let op = "get_instance_info";
    let sql = format!(
        "SELECT i.instance_id, i.orchestration_name, i.orchestration_version, i.current_execution_id, {}, {}, i.parent_instance_id,
                COALESCE(e.status, 'Running'), e.output
         FROM instances i LEFT JOIN executions e ON i.instance_id = e.instance_id AND i.current_execution_id = e.execution_id
         WHERE i.instance_id = ?1",
        ms("i.created_at"),
        ms("i.updated_at")
    );
    c.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_row([instance], |r| {
                Ok(InstanceInfo {
                    instance_id: r.get(0)?,
                    orchestration_name: r.get(1)?,
                    orchestration_version: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    current_execution_id: r.get::<_, i64>(3)? as u64,
                    created_at: r.get::<_, Option<i64>>(4)?.unwrap_or(0) as u64,
                    updated_at: r.get::<_, Option<i64>>(5)?.unwrap_or(0) as u64,
                    parent_instance_id: r.get(6)?,
                    status: r.get(7)?,
                    output: r.get(8)?,
                })
            })
            .optional()
        })
        .map_err(|e| classify(op, e))?
        .ok_or_else(|| ProviderError::permanent(op, format!("Instance {instance} not found")))
}

pub fn execution_info(c: &Connection, instance: &str, execution: u64) -> Result<ExecutionInfo, ProviderError> {
    let op = "get_execution_info";
    let sql = format!(
        "SELECT e.execution_id, e.status, e.output, {}, e.completed_at,
                (SELECT COUNT(*) FROM history h WHERE h.instance_id = e.instance_id AND h.execution_id = e.execution_id)
         FROM executions e WHERE e.instance_id = ?1 AND e.execution_id = ?2",
        ms("e.started_at")
    );
    c.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_row(params![instance, execution as i64], |r| {
                Ok(ExecutionInfo {
                    execution_id: r.get::<_, i64>(0)? as u64,
                    status: r.get(1)?,
                    output: r.get(2)?,
                    started_at: r.get::<_, Option<i64>>(3)?.unwrap_or(0) as u64,
                    completed_at: r.get::<_, Option<i64>>(4)?.map(|n| n as u64),
                    event_count: r.get::<_, i64>(5)? as usize,
                })
            })
            .optional()
        })
        .map_err(|e| classify(op, e))?
        .ok_or_else(|| ProviderError::permanent(op, format!("Execution {execution} not found for instance {instance}")))
}

pub fn system_metrics(c: &Connection) -> Result<SystemMetrics, ProviderError> {
    let count = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|n| n as u64);
    let (total, running, completed, failed): (i64, i64, i64, i64) = c
        .query_row(
            "SELECT COUNT(*), COALESCE(SUM(e.status = 'Running'), 0), COALESCE(SUM(e.status = 'Completed'), 0),
                    COALESCE(SUM(e.status = 'Failed'), 0)
             FROM instances i LEFT JOIN executions e ON i.instance_id = e.instance_id AND i.current_execution_id = e.execution_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .map_err(|e| classify("get_system_metrics", e))?;
    Ok(SystemMetrics {
        total_instances: total as u64,
        total_executions: count("SELECT COUNT(*) FROM executions").map_err(|e| classify("get_system_metrics", e))?,
        running_instances: running as u64,
        completed_instances: completed as u64,
        failed_instances: failed as u64,
        total_events: count("SELECT COUNT(*) FROM history").map_err(|e| classify("get_system_metrics", e))?,
    })
}

/// Messages nobody has fetched yet (a fetched row keeps its token, as in the built-in provider).
pub fn queue_depths(c: &Connection) -> Result<QueueDepths, ProviderError> {
    let count = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|n| n as usize).map_err(|e| classify("get_queue_depths", e));
    Ok(QueueDepths {
        orchestrator_queue: count("SELECT COUNT(*) FROM orchestrator_queue WHERE lock_token IS NULL")?,
        worker_queue: count("SELECT COUNT(*) FROM worker_queue WHERE lock_token IS NULL")?,
        timer_queue: 0,
    })
}

pub fn children(c: &Connection, instance: &str) -> Result<Vec<String>, ProviderError> {
    strings(c, "SELECT instance_id FROM instances WHERE parent_instance_id = ?1", vec![Value::Text(instance.into())], "list_children")
}

pub fn parent(c: &Connection, instance: &str) -> Result<Option<String>, ProviderError> {
    let op = "get_parent_id";
    c.prepare_cached("SELECT parent_instance_id FROM instances WHERE instance_id = ?1")
        .and_then(|mut s| s.query_row([instance], |r| r.get::<_, Option<String>>(0)).optional())
        .map_err(|e| classify(op, e))?
        .ok_or_else(|| ProviderError::permanent(op, format!("Instance {instance} not found")))
}

/// An instance and its descendants, root first.
fn tree(c: &Connection, root: &str) -> Result<Vec<String>, ProviderError> {
    let mut all = vec![root.to_string()];
    let mut next = 0;
    while next < all.len() {
        let found = children(c, &all[next])?;
        all.extend(found);
        next += 1;
    }
    Ok(all)
}

fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

fn texts(ids: &[String]) -> Vec<Value> {
    ids.iter().map(|id| Value::Text(id.clone())).collect()
}

/// Deletes these instances and everything of theirs, in one transaction (the writer's).
pub fn delete_instances(c: &Connection, ids: &[String], force: bool) -> Result<DeleteInstanceResult, ProviderError> {
    let op = "delete_instances_atomic";
    let sql = |e| classify(op, e);
    if ids.is_empty() {
        return Ok(DeleteInstanceResult::default());
    }
    let listed = marks(ids.len());
    if !force {
        let running: Option<String> = c
            .prepare(&format!(
                "SELECT i.instance_id FROM instances i
                 JOIN executions e ON i.instance_id = e.instance_id AND i.current_execution_id = e.execution_id
                 WHERE i.instance_id IN ({listed}) AND e.status = 'Running' LIMIT 1"
            ))
            .and_then(|mut s| s.query_row(params_from_iter(texts(ids)), |r| r.get(0)).optional())
            .map_err(sql)?;
        if let Some(id) = running {
            return Err(ProviderError::permanent(
                op,
                format!("Instance {id} is still running. Use force=true to delete anyway, or cancel first."),
            ));
        }
    }
    let orphan: Option<(String, String)> = c
        .prepare(&format!(
            "SELECT parent_instance_id, instance_id FROM instances
             WHERE parent_instance_id IN ({listed}) AND instance_id NOT IN ({listed}) LIMIT 1"
        ))
        .and_then(|mut s| {
            s.query_row(params_from_iter(texts(ids).into_iter().chain(texts(ids))), |r| Ok((r.get(0)?, r.get(1)?))).optional()
        })
        .map_err(sql)?;
    if let Some((parent, child)) = orphan {
        return Err(ProviderError::permanent(
            op,
            format!(
                "Cannot delete: instance {parent} has child {child} that was created after tree traversal. Re-fetch the tree and retry."
            ),
        ));
    }
    let count = |table: &str| -> Result<u64, ProviderError> {
        c.query_row(&format!("SELECT COUNT(*) FROM {table} WHERE instance_id IN ({listed})"), params_from_iter(texts(ids)), |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| n as u64)
        .map_err(sql)
    };
    let result = DeleteInstanceResult {
        instances_deleted: ids.len() as u64,
        executions_deleted: count("executions")?,
        events_deleted: count("history")?,
        queue_messages_deleted: count("orchestrator_queue")? + count("worker_queue")?,
    };
    for table in ["history", "executions", "orchestrator_queue", "worker_queue", "instance_locks", "kv_store", "kv_delta", "instances"] {
        c.execute(&format!("DELETE FROM {table} WHERE instance_id IN ({listed})"), params_from_iter(texts(ids))).map_err(sql)?;
    }
    Ok(result)
}

/// The instances `select` (over `instances i` joined to its current execution `e`) finds within the
/// filter: its ids (an empty list selects none), completed before a time, at most `limit` (1000).
fn filtered(c: &Connection, select: &str, filter: &InstanceFilter, op: &str) -> Result<Vec<String>, ProviderError> {
    let mut sql = select.to_string();
    let mut values = Vec::new();
    if let Some(ids) = &filter.instance_ids {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        sql += &format!(" AND i.instance_id IN ({})", marks(ids.len()));
        values.extend(texts(ids));
    }
    if let Some(before) = filter.completed_before {
        sql += " AND e.completed_at < ?";
        values.push(Value::Integer(before as i64));
    }
    sql += &format!(" LIMIT {}", filter.limit.unwrap_or(1000));
    strings(c, &sql, values, op)
}

/// Finished root instances (and their trees) that match the filter.
pub fn delete_bulk(c: &Connection, filter: &InstanceFilter) -> Result<DeleteInstanceResult, ProviderError> {
    let op = "delete_instance_bulk";
    let finished_roots = "SELECT i.instance_id FROM instances i
         JOIN executions e ON i.instance_id = e.instance_id AND i.current_execution_id = e.execution_id
         WHERE i.parent_instance_id IS NULL AND e.status IN ('Completed', 'Failed', 'ContinuedAsNew')";
    let roots = filtered(c, finished_roots, filter, op)?;
    let mut total = DeleteInstanceResult::default();
    for root in roots {
        let ids = tree(c, &root)?;
        let deleted = delete_instances(c, &ids, true)?;
        total.instances_deleted += deleted.instances_deleted;
        total.executions_deleted += deleted.executions_deleted;
        total.events_deleted += deleted.events_deleted;
        total.queue_messages_deleted += deleted.queue_messages_deleted;
    }
    Ok(total)
}

/// Old executions of one instance (never its current one, never a running one); KV is not touched.
pub fn prune(c: &Connection, instance: &str, options: &PruneOptions) -> Result<PruneResult, ProviderError> {
    let op = "prune_executions";
    let sql = |e| classify(op, e);
    let current: i64 = c
        .prepare_cached("SELECT current_execution_id FROM instances WHERE instance_id = ?1")
        .and_then(|mut s| s.query_row([instance], |r| r.get(0)).optional())
        .map_err(sql)?
        .ok_or_else(|| ProviderError::permanent(op, format!("Instance {instance} not found")))?;
    let mut query = "SELECT execution_id FROM executions WHERE instance_id = ?1 AND execution_id != ?2 AND status != 'Running'".to_string();
    let mut values = vec![Value::Text(instance.into()), Value::Integer(current)];
    if let Some(keep) = options.keep_last {
        query += &format!(
            " AND execution_id NOT IN (SELECT execution_id FROM executions WHERE instance_id = ?1 ORDER BY execution_id DESC LIMIT {keep})"
        );
    }
    if let Some(before) = options.completed_before {
        query += " AND completed_at < ?3";
        values.push(Value::Integer(before as i64));
    }
    let executions: Vec<i64> =
        c.prepare(&query).and_then(|mut s| s.query_map(params_from_iter(values), |r| r.get(0))?.collect()).map_err(sql)?;
    let mut result = PruneResult { instances_processed: 1, ..Default::default() };
    for execution in executions {
        let events =
            c.execute("DELETE FROM history WHERE instance_id = ?1 AND execution_id = ?2", params![instance, execution]).map_err(sql)?;
        c.execute("DELETE FROM executions WHERE instance_id = ?1 AND execution_id = ?2", params![instance, execution]).map_err(sql)?;
        result.events_deleted += events as u64;
        result.executions_deleted += 1;
    }
    Ok(result)
}

pub fn prune_bulk(c: &Connection, filter: &InstanceFilter, options: &PruneOptions) -> Result<PruneResult, ProviderError> {
    let every = "SELECT i.instance_id FROM instances i
         LEFT JOIN executions e ON i.instance_id = e.instance_id AND i.current_execution_id = e.execution_id WHERE 1 = 1";
    let mut total = PruneResult::default();
    for instance in filtered(c, every, filter, "prune_executions_bulk")? {
        let pruned = prune(c, &instance, options)?;
        total.instances_processed += pruned.instances_processed;
        total.executions_deleted += pruned.executions_deleted;
        total.events_deleted += pruned.events_deleted;
    }
    Ok(total)
}
