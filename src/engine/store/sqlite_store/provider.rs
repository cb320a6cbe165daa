//! duroxide's `Provider` on our SQLite store: every call is a step of the
//! writer thread (so calls that arrive together share one commit).

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use duroxide::providers::{
    DeleteInstanceResult, DispatcherCapabilityFilter, ExecutionInfo, ExecutionMetadata, InstanceFilter, InstanceInfo, OrchestrationItem,
    Provider, ProviderAdmin, ProviderError, PruneOptions, PruneResult, QueueDepths, ScheduledActivityIdentifier, SessionFetchConfig,
    SystemMetrics, TagFilter, WorkItem,
};
use duroxide::{Event, EventKind, SystemStats};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use tokio::sync::Notify;

use super::history_cache::HistoryCache;
use super::open_files::{self, OpenFile};
use super::rows::{self, append_history, classify, history_of};
use super::writer::{Durability, Failed, Writer};
use super::{activities, admin, kv, orchestrations};

pub struct SqliteStore {
    writer: Writer,
    /// Woken when this process queues work, so a waiting fetch takes it at once.
    orchestrator_work: Notify,
    worker_work: Notify,
    /// Counts orchestration fetches: every other one prefers instances already running (`orchestrations::fetch`).
    fetches: AtomicU64,
    /// Histories kept parsed between turns (only the writer thread's steps use it).
    histories: Arc<Mutex<HistoryCache>>,
    /// The file counted open while the writer's connection is (declared after `writer`: dropped after it).
    file: Option<OpenFile>,
}

/// How many executions' histories are kept parsed, and how many events in all.
const HISTORIES_KEPT: usize = 1000;
const HISTORY_EVENTS_KEPT: usize = 200_000;

/// How long a waiting fetch goes without looking: what other processes queue is seen this late at most.
const RECHECK: Duration = Duration::from_secs(1);

impl SqliteStore {
    /// Opens the file at `path`; a new file gets duroxide's own schema first
    /// (see `schema`), unless a store of this process has it open (see `open_files`).
    pub async fn open(path: &Path, durability: Durability) -> Result<SqliteStore, String> {
        if !open_files::is_open(path) {
            super::schema::ensure(path).await?;
        }
        let connection = Connection::open(path).map_err(|e| format!("cannot open SQLite database {}: {e}", path.display()))?;
        let mut store = SqliteStore::over(connection, durability, &path.display().to_string()).await?;
        store.file = Some(OpenFile::new(path));
        Ok(store)
    }

    /// A new in-memory database named `name`, alive as long as the store.
    pub async fn in_memory(name: &str, durability: Durability) -> Result<SqliteStore, String> {
        let uri = super::super::memory_database_uri(name);
        let fail = |e: String| format!("cannot create in-memory SQLite database: {e}");
        let built_in = super::schema::create_in_memory(&uri).await.map_err(fail)?;
        let connection = Connection::open_with_flags(&uri, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_URI)
            .map_err(|e| fail(e.to_string()))?;
        // Ours is now the only connection: a shared-cache database has table locks that no busy timeout waits on.
        built_in.close().await;
        SqliteStore::over(connection, durability, "the in-memory database").await
    }

    /// A fresh in-memory store for unit tests of readers.
    #[cfg(test)]
    pub async fn open_in_memory_for_tests() -> std::sync::Arc<SqliteStore> {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        std::sync::Arc::new(SqliteStore::in_memory(&format!("unit-{}-{n}", std::process::id()), Durability::Normal).await.unwrap())
    }

    async fn over(connection: Connection, durability: Durability, shown: &str) -> Result<SqliteStore, String> {
        let writer = Writer::open(connection, durability, shown)?;
        writer.write(super::schema::add_our_indexes).await.map_err(|failed| format!("cannot set up {shown}: {}", said(failed)))?;
        Ok(SqliteStore {
            writer,
            orchestrator_work: Notify::new(),
            worker_work: Notify::new(),
            fetches: AtomicU64::new(0),
            histories: Arc::new(Mutex::new(HistoryCache::new(HISTORIES_KEPT, HISTORY_EVENTS_KEPT))),
            file: None,
        })
    }

    /// Long polling: tries `fetch` until it finds something or `poll_timeout`
    /// has passed, waking when this process queues work (`wake`), when the
    /// next delayed message (a timer) becomes visible, or every RECHECK.
    async fn wait_for<T: Send + 'static>(
        &self,
        wake: &Notify,
        poll_timeout: Duration,
        queue: &'static str,
        fetch: impl Fn(&Connection) -> Result<Option<T>, ProviderError> + Send + Sync + Clone + 'static,
    ) -> Result<Option<T>, ProviderError> {
        let deadline = tokio::time::Instant::now() + poll_timeout;
        loop {
            let woken = wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let attempt = fetch.clone();
            let (found, next_visible) = self
                .step("fetch", move |c| {
                    let found = attempt(c)?;
                    let next = if found.is_none() { rows::next_visible(c, queue).map_err(|e| classify("fetch", e))? } else { None };
                    Ok((found, next))
                })
                .await?;
            let now = tokio::time::Instant::now();
            if found.is_some() || now >= deadline {
                return Ok(found);
            }
            let until_visible = next_visible.map(|at| Duration::from_millis(at.saturating_sub(rows::now_ms()).max(1) as u64));
            let nap = [Some(deadline - now), Some(RECHECK), until_visible].into_iter().flatten().min().unwrap_or(RECHECK);
            tokio::select! {
                _ = woken => {}
                _ = tokio::time::sleep(nap) => {}
            }
        }
    }

    /// Time skipping for tests (`timers`): with `by_ms` None, when nothing can run, fires the next
    /// timer and answers how far time jumped (None when busy or no timer waits); with Some(ms), fires
    /// what is due within ms and answers Some(ms) when something can run now, None when idle.
    pub async fn skip_time(&self, by_ms: Option<i64>) -> Result<Option<i64>, String> {
        let now = rows::now_ms();
        let stepped = self
            .query(move |c| match by_ms {
                None => super::timers::skip_to_next_timer(c, now),
                Some(ms) => super::timers::advance(c, now, ms).map(|busy| busy.then_some(ms)),
            })
            .await?;
        // Fetches asleep until the old due time must look again now.
        self.orchestrator_work.notify_waiters();
        Ok(stepped)
    }

    /// A query of this process's own (`QueuePeek`), run in the writer's next group.
    pub async fn query<R: Send + 'static>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<R> + Send + 'static,
    ) -> Result<R, String> {
        self.writer.write(read).await.map_err(said)
    }

    async fn step<R: Send + 'static>(
        &self,
        operation: &'static str,
        step: impl FnOnce(&Connection) -> Result<R, ProviderError> + Send + 'static,
    ) -> Result<R, ProviderError> {
        self.writer.write(step).await.map_err(|failed| match failed {
            Failed::Call(e) => e,
            Failed::Commit(why) => ProviderError::retryable(operation, why),
            Failed::Stopped => ProviderError::permanent(operation, "the store is closed"),
        })
    }
}

/// Why a call of ours (not duroxide's) did not happen, as a sentence.
fn said(failed: Failed<rusqlite::Error>) -> String {
    match failed {
        Failed::Call(e) => e.to_string(),
        Failed::Commit(why) => why,
        Failed::Stopped => "the store is closed".into(),
    }
}

fn read_latest(c: &Connection, instance: &str, op: &str) -> Result<Vec<Event>, ProviderError> {
    let execution = rows::latest_execution(c, instance).map_err(|e| classify(op, e))?;
    history_of(c, instance, execution).map_err(|e| ProviderError::permanent(op, format!("Failed to deserialize event: {e}")))
}

#[async_trait]
impl Provider for SqliteStore {
    fn name(&self) -> &str {
        "sqlite"
    }

    fn version(&self) -> &str {
        env!("CARGO_PKG_VERSION")
    }

    async fn fetch_orchestration_item(
        &self,
        lock_timeout: Duration,
        poll_timeout: Duration,
        filter: Option<&DispatcherCapabilityFilter>,
    ) -> Result<Option<(OrchestrationItem, String, u32)>, ProviderError> {
        let filter = filter.cloned();
        let order = match self.fetches.fetch_add(1, Ordering::Relaxed) % 2 {
            0 => orchestrations::Order::RunningFirst,
            _ => orchestrations::Order::Oldest,
        };
        let histories = self.histories.clone();
        let fetch = move |c: &Connection| orchestrations::fetch(c, lock_timeout, filter.as_ref(), order, &histories);
        self.wait_for(&self.orchestrator_work, poll_timeout, "orchestrator_queue", fetch).await
    }

    async fn ack_orchestration_item(
        &self,
        lock_token: &str,
        execution_id: u64,
        history_delta: Vec<Event>,
        worker_items: Vec<WorkItem>,
        orchestrator_items: Vec<WorkItem>,
        metadata: ExecutionMetadata,
        cancelled_activities: Vec<ScheduledActivityIdentifier>,
    ) -> Result<(), ProviderError> {
        let token = lock_token.to_string();
        let (to_workers, to_orchestrations) = (!worker_items.is_empty(), !orchestrator_items.is_empty());
        let histories = self.histories.clone();
        self.step("ack_orchestration_item", move |c| {
            orchestrations::ack(
                c,
                &token,
                execution_id,
                &history_delta,
                &worker_items,
                &orchestrator_items,
                &metadata,
                &cancelled_activities,
                &histories,
            )
        })
        .await?;
        if to_workers {
            self.worker_work.notify_waiters();
        }
        if to_orchestrations {
            self.orchestrator_work.notify_waiters();
        }
        Ok(())
    }

    async fn abandon_orchestration_item(
        &self,
        lock_token: &str,
        delay: Option<Duration>,
        ignore_attempt: bool,
    ) -> Result<(), ProviderError> {
        let token = lock_token.to_string();
        self.step("abandon_orchestration_item", move |c| orchestrations::abandon(c, &token, delay, ignore_attempt)).await?;
        self.orchestrator_work.notify_waiters();
        Ok(())
    }

    async fn read(&self, instance: &str) -> Result<Vec<Event>, ProviderError> {
        let instance = instance.to_string();
        self.step("read", move |c| read_latest(c, &instance, "read")).await
    }

    async fn read_with_execution(&self, instance: &str, execution_id: u64) -> Result<Vec<Event>, ProviderError> {
        let instance = instance.to_string();
        self.step("read_with_execution", move |c| {
            history_of(c, &instance, execution_id as i64)
                .map_err(|e| ProviderError::permanent("read_with_execution", format!("Failed to deserialize event: {e}")))
        })
        .await
    }

    async fn append_with_execution(&self, instance: &str, execution_id: u64, new_events: Vec<Event>) -> Result<(), ProviderError> {
        let instance = instance.to_string();
        self.step("append_with_execution", move |c| {
            append_history(c, &instance, execution_id as i64, &new_events)
                .map(drop)
                .map_err(|e| ProviderError::permanent("append_with_execution", format!("Failed to append history: {e}")))
        })
        .await
    }

    async fn enqueue_for_worker(&self, item: WorkItem) -> Result<(), ProviderError> {
        self.step("enqueue_for_worker", move |c| activities::enqueue(c, &item)).await?;
        self.worker_work.notify_waiters();
        Ok(())
    }

    async fn fetch_work_item(
        &self,
        lock_timeout: Duration,
        poll_timeout: Duration,
        session: Option<&SessionFetchConfig>,
        tag_filter: &TagFilter,
    ) -> Result<Option<(WorkItem, String, u32)>, ProviderError> {
        let (session, tags) = (session.cloned(), tag_filter.clone());
        if tags == TagFilter::None {
            return Ok(None);
        }
        let fetch = move |c: &Connection| activities::fetch(c, lock_timeout, session.as_ref(), &tags);
        self.wait_for(&self.worker_work, poll_timeout, "worker_queue", fetch).await
    }

    async fn ack_work_item(&self, token: &str, completion: Option<WorkItem>) -> Result<(), ProviderError> {
        let token = token.to_string();
        let completes = completion.is_some();
        self.step("ack_work_item", move |c| activities::ack(c, &token, completion.as_ref())).await?;
        if completes {
            self.orchestrator_work.notify_waiters();
        }
        Ok(())
    }

    async fn renew_work_item_lock(&self, token: &str, extend_for: Duration) -> Result<(), ProviderError> {
        let token = token.to_string();
        self.step("renew_work_item_lock", move |c| activities::renew(c, &token, extend_for)).await
    }

    async fn renew_session_lock(&self, owner_ids: &[&str], extend_for: Duration, idle_timeout: Duration) -> Result<usize, ProviderError> {
        let owners: Vec<String> = owner_ids.iter().map(|o| o.to_string()).collect();
        self.step("renew_session_lock", move |c| activities::renew_sessions(c, &owners, extend_for, idle_timeout)).await
    }

    async fn cleanup_orphaned_sessions(&self, _idle_timeout: Duration) -> Result<usize, ProviderError> {
        self.step("cleanup_orphaned_sessions", activities::cleanup_sessions).await
    }

    async fn abandon_work_item(&self, token: &str, delay: Option<Duration>, ignore_attempt: bool) -> Result<(), ProviderError> {
        let token = token.to_string();
        self.step("abandon_work_item", move |c| activities::abandon(c, &token, delay, ignore_attempt)).await?;
        self.worker_work.notify_waiters();
        Ok(())
    }

    async fn renew_orchestration_item_lock(&self, token: &str, extend_for: Duration) -> Result<(), ProviderError> {
        let token = token.to_string();
        self.step("renew_orchestration_item_lock", move |c| orchestrations::renew(c, &token, extend_for)).await
    }

    async fn enqueue_for_orchestrator(&self, item: WorkItem, delay: Option<Duration>) -> Result<(), ProviderError> {
        self.step("enqueue_for_orchestrator", move |c| orchestrations::enqueue(c, &item, delay)).await?;
        self.orchestrator_work.notify_waiters();
        Ok(())
    }

    async fn get_custom_status(&self, instance: &str, last_seen_version: u64) -> Result<Option<(Option<String>, u64)>, ProviderError> {
        let instance = instance.to_string();
        self.step("get_custom_status", move |c| {
            c.prepare_cached(
                "SELECT custom_status, custom_status_version FROM instances WHERE instance_id = ?1 AND custom_status_version > ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![instance, last_seen_version as i64], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))).optional()
            })
            .map_err(|e| classify("get_custom_status", e))
        })
        .await
    }

    async fn get_kv_value(&self, instance: &str, key: &str) -> Result<Option<String>, ProviderError> {
        let (instance, key) = (instance.to_string(), key.to_string());
        self.step("get_kv_value", move |c| kv::value(c, &instance, &key).map_err(|e| classify("get_kv_value", e))).await
    }

    async fn get_kv_all_values(&self, instance: &str) -> Result<HashMap<String, String>, ProviderError> {
        let instance = instance.to_string();
        self.step("get_kv_all_values", move |c| kv::values(c, &instance).map_err(|e| classify("get_kv_all_values", e))).await
    }

    async fn get_instance_stats(&self, instance: &str) -> Result<Option<SystemStats>, ProviderError> {
        let instance = instance.to_string();
        self.step("get_instance_stats", move |c| stats(c, &instance)).await
    }

    fn as_management_capability(&self) -> Option<&dyn ProviderAdmin> {
        Some(self)
    }
}

#[async_trait]
impl ProviderAdmin for SqliteStore {
    async fn list_instances(&self) -> Result<Vec<String>, ProviderError> {
        self.step("list_instances", admin::list_instances).await
    }

    async fn list_instances_by_status(&self, status: &str) -> Result<Vec<String>, ProviderError> {
        let status = status.to_string();
        self.step("list_instances_by_status", move |c| admin::list_instances_by_status(c, &status)).await
    }

    async fn list_executions(&self, instance: &str) -> Result<Vec<u64>, ProviderError> {
        let instance = instance.to_string();
        self.step("list_executions", move |c| admin::list_executions(c, &instance)).await
    }

    async fn read_history_with_execution_id(&self, instance: &str, execution_id: u64) -> Result<Vec<Event>, ProviderError> {
        self.read_with_execution(instance, execution_id).await
    }

    async fn read_history(&self, instance: &str) -> Result<Vec<Event>, ProviderError> {
        self.read(instance).await
    }

    async fn latest_execution_id(&self, instance: &str) -> Result<u64, ProviderError> {
        let instance = instance.to_string();
        self.step("latest_execution_id", move |c| admin::latest_execution_id(c, &instance)).await
    }

    async fn get_instance_info(&self, instance: &str) -> Result<InstanceInfo, ProviderError> {
        let instance = instance.to_string();
        self.step("get_instance_info", move |c| admin::instance_info(c, &instance)).await
    }

    async fn get_execution_info(&self, instance: &str, execution_id: u64) -> Result<ExecutionInfo, ProviderError> {
        let instance = instance.to_string();
        self.step("get_execution_info", move |c| admin::execution_info(c, &instance, execution_id)).await
    }

    async fn get_system_metrics(&self) -> Result<SystemMetrics, ProviderError> {
        self.step("get_system_metrics", admin::system_metrics).await
    }

    async fn get_queue_depths(&self) -> Result<QueueDepths, ProviderError> {
        self.step("get_queue_depths", admin::queue_depths).await
    }

    async fn list_children(&self, instance_id: &str) -> Result<Vec<String>, ProviderError> {
        let instance = instance_id.to_string();
        self.step("list_children", move |c| admin::children(c, &instance)).await
    }

    async fn get_parent_id(&self, instance_id: &str) -> Result<Option<String>, ProviderError> {
        let instance = instance_id.to_string();
        self.step("get_parent_id", move |c| admin::parent(c, &instance)).await
    }

    async fn delete_instances_atomic(&self, ids: &[String], force: bool) -> Result<DeleteInstanceResult, ProviderError> {
        let ids = ids.to_vec();
        self.step("delete_instances_atomic", move |c| admin::delete_instances(c, &ids, force)).await
    }

    async fn delete_instance_bulk(&self, filter: InstanceFilter) -> Result<DeleteInstanceResult, ProviderError> {
        self.step("delete_instance_bulk", move |c| admin::delete_bulk(c, &filter)).await
    }

    async fn prune_executions(&self, instance_id: &str, options: PruneOptions) -> Result<PruneResult, ProviderError> {
        let instance = instance_id.to_string();
        self.step("prune_executions", move |c| admin::prune(c, &instance, &options)).await
    }

    async fn prune_executions_bulk(&self, filter: InstanceFilter, options: PruneOptions) -> Result<PruneResult, ProviderError> {
        self.step("prune_executions_bulk", move |c| admin::prune_bulk(c, &filter, &options)).await
    }
}

fn stats(c: &Connection, instance: &str) -> Result<Option<SystemStats>, ProviderError> {
    let op = "get_instance_stats";
    let sql = |e| classify(op, e);
    let execution: Option<i64> = c
        .prepare_cached("SELECT current_execution_id FROM instances WHERE instance_id = ?1")
        .and_then(|mut s| s.query_row([instance], |r| r.get(0)).optional())
        .map_err(sql)?;
    let Some(execution) = execution else { return Ok(None) };
    let (events, size): (i64, i64) = c
        .prepare_cached("SELECT COUNT(*), COALESCE(SUM(LENGTH(event_data)), 0) FROM history WHERE instance_id = ?1 AND execution_id = ?2")
        .and_then(|mut s| s.query_row(params![instance, execution], |r| Ok((r.get(0)?, r.get(1)?))))
        .map_err(sql)?;
    let live = kv::values(c, instance).map_err(sql)?;
    let first: Option<String> = c
        .prepare_cached("SELECT event_data FROM history WHERE instance_id = ?1 AND execution_id = ?2 AND event_id = 1")
        .and_then(|mut s| s.query_row(params![instance, execution], |r| r.get(0)).optional())
        .map_err(sql)?;
    let carried = match first {
        Some(json) => match serde_json::from_str::<Event>(&json).map_err(|e| ProviderError::permanent(op, e.to_string()))?.kind {
            EventKind::OrchestrationStarted { carry_forward_events: Some(events), .. } => events.len() as u64,
            _ => 0,
        },
        None => 0,
    };
    Ok(Some(SystemStats {
        history_event_count: events as u64,
        history_size_bytes: size as u64,
        queue_pending_count: carried,
        kv_user_key_count: live.len() as u64,
        kv_total_value_bytes: live.values().map(|v| v.chars().count() as u64).sum(),
    }))
}
