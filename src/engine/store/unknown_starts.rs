//! Starts of an orchestration this runtime does not have, failed with a line
//! that says so. duroxide puts such a start back with a growing delay and,
//! after `max_attempts` tries (about 5 minutes), fails it as "poison", a
//! word that explains nothing. Here, once a start of an unknown name has
//! been tried [`TRIES_BEFORE_FAILING`] times (about 7 s: room for a worker
//! that has it, e.g. during a rolling deploy), the fetch reports it as
//! exhausted so duroxide fails it at once (history, parent notified), and
//! the failure it stores says what happened instead of "poison".

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use super::decorator::Decorator;
use duroxide::providers::{
    DispatcherCapabilityFilter, ExecutionMetadata, OrchestrationItem, Provider, ProviderError, ScheduledActivityIdentifier, WorkItem,
};
use duroxide::{AppErrorKind, ErrorDetails, Event, EventKind, ProviderRef};

/// Tries of a start whose name no worker that fetched it has, before it fails
/// (duroxide backs off 1, 2, 4 s between them).
pub const TRIES_BEFORE_FAILING: u32 = 4;

pub struct UnknownStarts {
    inner: ProviderRef,
    registered: HashSet<String>,
    max_attempts: u32,
    /// Lock tokens of starts being failed, with the reason to store.
    failing: Mutex<HashMap<String, String>>,
}

impl UnknownStarts {
    pub fn new(inner: ProviderRef, registered: impl IntoIterator<Item = String>, max_attempts: u32) -> UnknownStarts {
        UnknownStarts { inner, registered: registered.into_iter().collect(), max_attempts, failing: Mutex::default() }
    }

    /// Why the start in `item` fails, when it is a first start of a name this runtime lacks.
    fn unknown(&self, item: &OrchestrationItem) -> Option<String> {
        let starts = item.history.is_empty()
            && item.history_error.is_none()
            && item.messages.iter().any(|m| matches!(m, WorkItem::StartOrchestration { .. }));
        if !starts || self.registered.contains(&item.orchestration_name) {
            return None;
        }
        let mut known: Vec<&str> = self.registered.iter().map(String::as_str).collect();
        known.sort_unstable();
        Some(format!(
            "orchestration '{}' is not registered on the workers that tried to start it (they have: {})",
            item.orchestration_name,
            if known.is_empty() { "none".to_string() } else { known.join(", ") }
        ))
    }
}

/// The failure duroxide is about to store, said as `reason`.
fn reworded(details: &mut ErrorDetails, reason: &str) {
    if matches!(details, ErrorDetails::Poison { .. }) {
        *details = ErrorDetails::Application { kind: AppErrorKind::OrchestrationFailed, message: reason.to_string(), retryable: false };
    }
}

#[async_trait]
impl Decorator for UnknownStarts {
    fn inner(&self) -> &dyn Provider {
        &*self.inner
    }

    async fn fetch_orchestration_item(
        &self,
        lock_timeout: Duration,
        poll_timeout: Duration,
        filter: Option<&DispatcherCapabilityFilter>,
    ) -> Result<Option<(OrchestrationItem, String, u32)>, ProviderError> {
        let Some((item, token, attempts)) = self.inner.fetch_orchestration_item(lock_timeout, poll_timeout, filter).await? else {
            return Ok(None);
        };
        match self.unknown(&item) {
            Some(reason) if attempts >= TRIES_BEFORE_FAILING => {
                tracing::warn!(instance = %item.instance, "{reason}: failing it after {attempts} tries");
                self.failing.lock().unwrap_or_else(|e| e.into_inner()).insert(token.clone(), reason);
                Ok(Some((item, token, self.max_attempts.saturating_add(1).max(attempts))))
            }
            _ => Ok(Some((item, token, attempts))),
        }
    }

    async fn ack_orchestration_item(
        &self,
        lock_token: &str,
        execution_id: u64,
        mut history_delta: Vec<Event>,
        worker_items: Vec<WorkItem>,
        mut orchestrator_items: Vec<WorkItem>,
        mut metadata: ExecutionMetadata,
        cancelled_activities: Vec<ScheduledActivityIdentifier>,
    ) -> Result<(), ProviderError> {
        let reason = self.failing.lock().unwrap_or_else(|e| e.into_inner()).remove(lock_token);
        if let Some(reason) = &reason {
            for event in &mut history_delta {
                if let EventKind::OrchestrationFailed { details } = &mut event.kind {
                    reworded(details, reason);
                }
            }
            for item in &mut orchestrator_items {
                if let WorkItem::SubOrchFailed { details, .. } = item {
                    reworded(details, reason);
                }
            }
            if metadata.status.as_deref() == Some("Failed") {
                metadata.output = Some(reason.clone());
            }
        }
        self.inner
            .ack_orchestration_item(
                lock_token,
                execution_id,
                history_delta,
                worker_items,
                orchestrator_items,
                metadata,
                cancelled_activities,
            )
            .await
    }

    async fn abandon_orchestration_item(
        &self,
        lock_token: &str,
        delay: Option<Duration>,
        ignore_attempt: bool,
    ) -> Result<(), ProviderError> {
        self.failing.lock().unwrap_or_else(|e| e.into_inner()).remove(lock_token);
        self.inner.abandon_orchestration_item(lock_token, delay, ignore_attempt).await
    }
}
