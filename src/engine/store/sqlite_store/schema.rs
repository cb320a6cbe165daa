//! The schema is whatever duroxide 0.1.32's own provider creates and migrates:
//! opening a file with it first (damage check, folder lock, migrations) keeps
//! our files and the built-in provider's (and duroxide-node's) interchangeable
//! without a second copy of its DDL.

use std::path::Path;

pub async fn ensure(path: &Path) -> Result<(), String> {
    let built_in = super::super::sqlite_file(path).await?;
    built_in.get_pool().close().await;
    Ok(())
}

/// Creates the schema in the shared-cache in-memory database `uri`; the
/// database lives while the returned pool (or any other connection) is open.
pub async fn create_in_memory(uri: &str) -> Result<sqlx::SqlitePool, String> {
    let built_in = duroxide::providers::sqlite::SqliteProvider::new(&format!("sqlite:{uri}"), None).await.map_err(|e| e.to_string())?;
    Ok(built_in.get_pool().clone())
}

/// Indexes of ours, beside duroxide's (which ignores them): the running
/// instances' messages in queue order, so a fetch can prefer them without
/// reading past a backlog of starts (`orchestrations::Order::RunningFirst`), and the
/// instances by creation time, so a page of the dashboard's list is an index walk
/// (`store::instance_pages`).
pub fn add_our_indexes(c: &rusqlite::Connection) -> rusqlite::Result<()> {
    c.execute_batch(&format!(
        "CREATE INDEX IF NOT EXISTS duroxide_js_orch_running ON orchestrator_queue(id, visible_at, instance_id) WHERE {NOT_A_START};
         CREATE INDEX IF NOT EXISTS duroxide_js_instances_created ON instances(created_at, instance_id);"
    ))
}

/// Milliseconds since the epoch of a time column: UTC text, `CURRENT_TIMESTAMP`'s (the built-in provider's
/// rows, whole seconds) or `rows::now_text!`'s (ours, with milliseconds).
pub fn ms_of(column: &str) -> String {
    format!("CAST(ROUND((julianday({column}) - 2440587.5) * 86400000) AS INTEGER)")
}

/// True for a queued message that is not a start: the term a query repeats to use the index above.
pub const NOT_A_START: &str = "substr(work_item, 1, 22) <> '{\"StartOrchestration\":'";
