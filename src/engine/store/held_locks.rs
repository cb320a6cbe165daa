//! The locks one runtime holds, so a shutdown can hand them back.
//!
//! duroxide's shutdown drops work that is still running after the grace but
//! leaves its locks to expire (30 s for activities by default), so no other
//! worker can take that work meanwhile. This decorator remembers every lock
//! a fetch took until it is acked or abandoned; [`HeldLocks::release_all`]
//! abandons the rest once the runtime has stopped, making the work visible
//! at once. It is put around the store per runtime: releasing must never
//! touch the locks of another runtime in the same process.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use super::decorator::Decorator;
use duroxide::providers::{
    DispatcherCapabilityFilter, ExecutionMetadata, OrchestrationItem, Provider, ProviderError, ScheduledActivityIdentifier,
    SessionFetchConfig, TagFilter, WorkItem,
};
use duroxide::{Event, ProviderRef};

pub struct HeldLocks {
    inner: ProviderRef,
    work: Mutex<HashSet<String>>,
    orchestration: Mutex<HashSet<String>>,
}

/// Locks given back by [`HeldLocks::release_all`].
#[derive(Debug, Default, PartialEq)]
pub struct Released {
    pub activities: usize,
    pub orchestrations: usize,
}

fn hold(set: &Mutex<HashSet<String>>, token: &str) {
    set.lock().unwrap_or_else(|e| e.into_inner()).insert(token.to_string());
}

/// A lock is gone once its ack or abandon succeeded or failed for good; a
/// transient failure may be retried by the caller, so the lock is still held.
fn settle<T>(set: &Mutex<HashSet<String>>, token: &str, result: &Result<T, ProviderError>) {
    if result.as_ref().map_or_else(|e| !e.is_retryable(), |_| true) {
        set.lock().unwrap_or_else(|e| e.into_inner()).remove(token);
    }
}

fn take(set: &Mutex<HashSet<String>>) -> Vec<String> {
    set.lock().unwrap_or_else(|e| e.into_inner()).drain().collect()
}

impl HeldLocks {
    pub fn new(inner: ProviderRef) -> HeldLocks {
        HeldLocks { inner, work: Mutex::default(), orchestration: Mutex::default() }
    }

    /// Abandons every lock still held, without counting it as an attempt
    /// (a shutdown is not the work's fault). Call only once the runtime has
    /// stopped: a task still running could otherwise ack after the release.
    pub async fn release_all(&self) -> Released {
        let mut released = Released::default();
        for token in take(&self.work) {
            if self.inner.abandon_work_item(&token, None, true).await.is_ok() {
                released.activities += 1;
            }
        }
        for token in take(&self.orchestration) {
            if self.inner.abandon_orchestration_item(&token, None, true).await.is_ok() {
                released.orchestrations += 1;
            }
        }
        released
    }
}

#[async_trait]
impl Decorator for HeldLocks {
    fn inner(&self) -> &dyn Provider {
        &*self.inner
    }

    async fn fetch_orchestration_item(
        &self,
        lock_timeout: Duration,
        poll_timeout: Duration,
        filter: Option<&DispatcherCapabilityFilter>,
    ) -> Result<Option<(OrchestrationItem, String, u32)>, ProviderError> {
        let fetched = self.inner.fetch_orchestration_item(lock_timeout, poll_timeout, filter).await?;
        if let Some((_, token, _)) = &fetched {
            hold(&self.orchestration, token);
        }
        Ok(fetched)
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
        let acked = self
            .inner
            .ack_orchestration_item(
                lock_token,
                execution_id,
                history_delta,
                worker_items,
                orchestrator_items,
                metadata,
                cancelled_activities,
            )
            .await;
        settle(&self.orchestration, lock_token, &acked);
        acked
    }

    async fn abandon_orchestration_item(
        &self,
        lock_token: &str,
        delay: Option<Duration>,
        ignore_attempt: bool,
    ) -> Result<(), ProviderError> {
        let abandoned = self.inner.abandon_orchestration_item(lock_token, delay, ignore_attempt).await;
        settle(&self.orchestration, lock_token, &abandoned);
        abandoned
    }

    async fn fetch_work_item(
        &self,
        lock_timeout: Duration,
        poll_timeout: Duration,
        session: Option<&SessionFetchConfig>,
        tag_filter: &TagFilter,
    ) -> Result<Option<(WorkItem, String, u32)>, ProviderError> {
        let fetched = self.inner.fetch_work_item(lock_timeout, poll_timeout, session, tag_filter).await?;
        if let Some((_, token, _)) = &fetched {
            hold(&self.work, token);
        }
        Ok(fetched)
    }

    async fn ack_work_item(&self, token: &str, completion: Option<WorkItem>) -> Result<(), ProviderError> {
        let acked = self.inner.ack_work_item(token, completion).await;
        settle(&self.work, token, &acked);
        acked
    }

    async fn abandon_work_item(&self, token: &str, delay: Option<Duration>, ignore_attempt: bool) -> Result<(), ProviderError> {
        let abandoned = self.inner.abandon_work_item(token, delay, ignore_attempt).await;
        settle(&self.work, token, &abandoned);
        abandoned
    }
}
