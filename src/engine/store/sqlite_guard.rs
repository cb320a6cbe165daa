//! One call at a time into a SQLite store, management calls included.
//!
//! SQLite has a single writer anyway; without the gate a dozen dispatchers
//! race for it and lose with "database is locked" (WAL) or "deadlocked"
//! (shared-cache memory), each loss costing a 200 ms back-off and a warning.
//! Other processes on the same file still use SQLite's own locks: duroxide's
//! provider opens deferred transactions, which SQLite answers with an
//! immediate "database is locked" when two processes upgrade to writers at
//! once, and duroxide fails an instance whose turn cannot be stored after
//! five quick tries. So writes refused that way are tried again here for a
//! while (a refused attempt was rolled back, so another is safe).

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;

use super::decorator::Decorator;
use duroxide::providers::{
    DeleteInstanceResult, DispatcherCapabilityFilter, ExecutionInfo, ExecutionMetadata, InstanceFilter, InstanceInfo, InstanceTree,
    OrchestrationItem, Provider, ProviderAdmin, ProviderError, PruneOptions, PruneResult, QueueDepths, ScheduledActivityIdentifier,
    SessionFetchConfig, SystemMetrics, TagFilter, WorkItem,
};
use duroxide::{Event, ProviderRef, SystemStats};
use tokio::sync::{Mutex, MutexGuard};

pub struct SqliteGuard {
    inner: ProviderRef,
    gate: Mutex<()>,
}

/// How long a write refused by another process's lock is retried.
const LOCKED_RETRY_FOR: Duration = Duration::from_secs(10);

fn is_locked(e: &ProviderError) -> bool {
    let m = e.message.to_ascii_lowercase();
    m.contains("database is locked") || m.contains("database locked")
}

impl SqliteGuard {
    pub fn new(inner: ProviderRef) -> Self {
        SqliteGuard { inner, gate: Mutex::new(()) }
    }

    async fn enter(&self) -> MutexGuard<'_, ()> {
        self.gate.lock().await
    }

    /// Runs a write (fetches too: they lock what they take) under the gate,
    /// again while another process holds the database's write lock.
    async fn write<T, F, Fut>(&self, mut attempt: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ProviderError>>,
    {
        let _gate = self.enter().await;
        let mut backoff = Duration::from_millis(2);
        let give_up = tokio::time::Instant::now() + LOCKED_RETRY_FOR;
        loop {
            match attempt().await {
                Err(e) if is_locked(&e) && tokio::time::Instant::now() < give_up => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(100));
                }
                other => return other,
            }
        }
    }

    fn admin(&self) -> Result<&dyn ProviderAdmin, ProviderError> {
        self.inner
            .as_management_capability()
            .ok_or_else(|| ProviderError::permanent("management", "this store has no management capability"))
    }
}

#[async_trait]
impl Decorator for SqliteGuard {
    fn inner(&self) -> &dyn Provider {
        &*self.inner
    }

    async fn fetch_orchestration_item(
        &self,
        lock_timeout: Duration,
        poll_timeout: Duration,
        filter: Option<&DispatcherCapabilityFilter>,
    ) -> Result<Option<(OrchestrationItem, String, u32)>, ProviderError> {
        self.write(|| self.inner.fetch_orchestration_item(lock_timeout, poll_timeout, filter)).await
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
        self.write(|| {
            self.inner.ack_orchestration_item(
                lock_token,
                execution_id,
                history_delta.clone(),
                worker_items.clone(),
                orchestrator_items.clone(),
                metadata.clone(),
                cancelled_activities.clone(),
            )
        })
        .await
    }

    async fn abandon_orchestration_item(
        &self,
        lock_token: &str,
        delay: Option<Duration>,
        ignore_attempt: bool,
    ) -> Result<(), ProviderError> {
        self.write(|| self.inner.abandon_orchestration_item(lock_token, delay, ignore_attempt)).await
    }

    async fn read(&self, instance: &str) -> Result<Vec<Event>, ProviderError> {
        let _gate = self.enter().await;
        self.inner.read(instance).await
    }

    async fn read_with_execution(&self, instance: &str, execution_id: u64) -> Result<Vec<Event>, ProviderError> {
        let _gate = self.enter().await;
        self.inner.read_with_execution(instance, execution_id).await
    }

    async fn append_with_execution(&self, instance: &str, execution_id: u64, new_events: Vec<Event>) -> Result<(), ProviderError> {
        self.write(|| self.inner.append_with_execution(instance, execution_id, new_events.clone())).await
    }

    async fn enqueue_for_worker(&self, item: WorkItem) -> Result<(), ProviderError> {
        self.write(|| self.inner.enqueue_for_worker(item.clone())).await
    }

    async fn fetch_work_item(
        &self,
        lock_timeout: Duration,
        poll_timeout: Duration,
        session: Option<&SessionFetchConfig>,
        tag_filter: &TagFilter,
    ) -> Result<Option<(WorkItem, String, u32)>, ProviderError> {
        self.write(|| self.inner.fetch_work_item(lock_timeout, poll_timeout, session, tag_filter)).await
    }

    async fn ack_work_item(&self, token: &str, completion: Option<WorkItem>) -> Result<(), ProviderError> {
        self.write(|| self.inner.ack_work_item(token, completion.clone())).await
    }

    async fn renew_work_item_lock(&self, token: &str, extend_for: Duration) -> Result<(), ProviderError> {
        self.write(|| self.inner.renew_work_item_lock(token, extend_for)).await
    }

    async fn renew_session_lock(&self, owner_ids: &[&str], extend_for: Duration, idle_timeout: Duration) -> Result<usize, ProviderError> {
        self.write(|| self.inner.renew_session_lock(owner_ids, extend_for, idle_timeout)).await
    }

    async fn cleanup_orphaned_sessions(&self, idle_timeout: Duration) -> Result<usize, ProviderError> {
        self.write(|| self.inner.cleanup_orphaned_sessions(idle_timeout)).await
    }

    async fn abandon_work_item(&self, token: &str, delay: Option<Duration>, ignore_attempt: bool) -> Result<(), ProviderError> {
        self.write(|| self.inner.abandon_work_item(token, delay, ignore_attempt)).await
    }

    async fn renew_orchestration_item_lock(&self, token: &str, extend_for: Duration) -> Result<(), ProviderError> {
        self.write(|| self.inner.renew_orchestration_item_lock(token, extend_for)).await
    }

    async fn enqueue_for_orchestrator(&self, item: WorkItem, delay: Option<Duration>) -> Result<(), ProviderError> {
        self.write(|| self.inner.enqueue_for_orchestrator(item.clone(), delay)).await
    }

    /// Management calls go through the gate too.
    fn as_management_capability(&self) -> Option<&dyn ProviderAdmin> {
        self.inner.as_management_capability().map(|_| self as &dyn ProviderAdmin)
    }

    async fn get_custom_status(&self, instance: &str, last_seen_version: u64) -> Result<Option<(Option<String>, u64)>, ProviderError> {
        let _gate = self.enter().await;
        self.inner.get_custom_status(instance, last_seen_version).await
    }

    async fn get_kv_value(&self, instance: &str, key: &str) -> Result<Option<String>, ProviderError> {
        let _gate = self.enter().await;
        self.inner.get_kv_value(instance, key).await
    }

    async fn get_kv_all_values(&self, instance: &str) -> Result<HashMap<String, String>, ProviderError> {
        let _gate = self.enter().await;
        self.inner.get_kv_all_values(instance).await
    }

    async fn get_instance_stats(&self, instance: &str) -> Result<Option<SystemStats>, ProviderError> {
        let _gate = self.enter().await;
        self.inner.get_instance_stats(instance).await
    }
}

#[async_trait]
impl ProviderAdmin for SqliteGuard {
    async fn list_instances(&self) -> Result<Vec<String>, ProviderError> {
        let _gate = self.enter().await;
        self.admin()?.list_instances().await
    }

    async fn list_instances_by_status(&self, status: &str) -> Result<Vec<String>, ProviderError> {
        let _gate = self.enter().await;
        self.admin()?.list_instances_by_status(status).await
    }

    async fn list_executions(&self, instance: &str) -> Result<Vec<u64>, ProviderError> {
        let _gate = self.enter().await;
        self.admin()?.list_executions(instance).await
    }

    async fn read_history_with_execution_id(&self, instance: &str, execution_id: u64) -> Result<Vec<Event>, ProviderError> {
        let _gate = self.enter().await;
        self.admin()?.read_history_with_execution_id(instance, execution_id).await
    }

    async fn read_history(&self, instance: &str) -> Result<Vec<Event>, ProviderError> {
        let _gate = self.enter().await;
        self.admin()?.read_history(instance).await
    }

    async fn latest_execution_id(&self, instance: &str) -> Result<u64, ProviderError> {
        let _gate = self.enter().await;
        self.admin()?.latest_execution_id(instance).await
    }

    async fn get_instance_info(&self, instance: &str) -> Result<InstanceInfo, ProviderError> {
        let _gate = self.enter().await;
        self.admin()?.get_instance_info(instance).await
    }

    async fn get_execution_info(&self, instance: &str, execution_id: u64) -> Result<ExecutionInfo, ProviderError> {
        let _gate = self.enter().await;
        self.admin()?.get_execution_info(instance, execution_id).await
    }

    async fn get_system_metrics(&self) -> Result<SystemMetrics, ProviderError> {
        let _gate = self.enter().await;
        self.admin()?.get_system_metrics().await
    }

    async fn get_queue_depths(&self) -> Result<QueueDepths, ProviderError> {
        let _gate = self.enter().await;
        self.admin()?.get_queue_depths().await
    }

    async fn list_children(&self, instance_id: &str) -> Result<Vec<String>, ProviderError> {
        let _gate = self.enter().await;
        self.admin()?.list_children(instance_id).await
    }

    async fn get_parent_id(&self, instance_id: &str) -> Result<Option<String>, ProviderError> {
        let _gate = self.enter().await;
        self.admin()?.get_parent_id(instance_id).await
    }

    async fn get_instance_tree(&self, instance_id: &str) -> Result<InstanceTree, ProviderError> {
        let _gate = self.enter().await;
        self.admin()?.get_instance_tree(instance_id).await
    }

    async fn delete_instances_atomic(&self, ids: &[String], force: bool) -> Result<DeleteInstanceResult, ProviderError> {
        let admin = self.admin()?;
        self.write(|| admin.delete_instances_atomic(ids, force)).await
    }

    async fn delete_instance(&self, instance_id: &str, force: bool) -> Result<DeleteInstanceResult, ProviderError> {
        let admin = self.admin()?;
        self.write(|| admin.delete_instance(instance_id, force)).await
    }

    async fn delete_instance_bulk(&self, filter: InstanceFilter) -> Result<DeleteInstanceResult, ProviderError> {
        let admin = self.admin()?;
        self.write(|| admin.delete_instance_bulk(filter.clone())).await
    }

    async fn prune_executions(&self, instance_id: &str, options: PruneOptions) -> Result<PruneResult, ProviderError> {
        let admin = self.admin()?;
        self.write(|| admin.prune_executions(instance_id, options.clone())).await
    }

    async fn prune_executions_bulk(&self, filter: InstanceFilter, options: PruneOptions) -> Result<PruneResult, ProviderError> {
        let admin = self.admin()?;
        self.write(|| admin.prune_executions_bulk(filter.clone(), options.clone())).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::store::decorated;

    #[tokio::test]
    async fn management_calls_wait_for_the_gate() {
        let inner: ProviderRef = Arc::new(duroxide::providers::sqlite::SqliteProvider::new_in_memory().await.unwrap());
        let guard = decorated(SqliteGuard::new(inner));
        let provider: ProviderRef = guard.clone();
        let admin = provider.as_management_capability().expect("SQLite has management calls");
        let held = guard.enter().await;
        let listed = tokio::time::timeout(Duration::from_millis(100), admin.list_instances()).await;
        assert!(listed.is_err(), "a management call ran while another call held the gate");
        drop(held);
        assert_eq!(admin.list_instances().await.unwrap(), Vec::<String>::new());
    }
}
