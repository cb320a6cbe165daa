//! The JS line behind a nondeterminism failure. duroxide detects the mismatch
//! after the handler ran and fails the instance with its own words; on its way
//! into history the failure gets the place of the yield that made the
//! mismatching call, from whatever recorded it (the bridge, which knows JS).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use duroxide::providers::{
    DispatcherCapabilityFilter, ExecutionMetadata, OrchestrationItem, Provider, ProviderAdmin, ProviderError,
    ScheduledActivityIdentifier, SessionFetchConfig, TagFilter, WorkItem,
};
use duroxide::{ConfigErrorKind, ErrorDetails, Event, EventKind, ProviderRef, SystemStats};

/// Where each instance's code last yielded, as `path:line:column`.
pub trait YieldSites: Send + Sync {
    fn last_yield_site(&self, instance: &str) -> Option<String>;
}

pub struct NondeterminismNotes {
    inner: ProviderRef,
    sites: Arc<dyn YieldSites>,
}

impl NondeterminismNotes {
    pub fn new(inner: ProviderRef, sites: Arc<dyn YieldSites>) -> Self {
        NondeterminismNotes { inner, sites }
    }

    /// Appends the place of the last yield to a nondeterminism failure.
    fn annotate(&self, delta: &mut [Event], metadata: &mut ExecutionMetadata) {
        for event in delta.iter_mut() {
            let EventKind::OrchestrationFailed {
                details: ErrorDetails::Configuration { kind: ConfigErrorKind::Nondeterminism, message, .. },
            } = &mut event.kind
            else {
                continue;
            };
            let Some(site) = self.sites.last_yield_site(&event.instance_id) else { continue };
            let text = format!(
                "{} (replay diverged at the yield at {site}: the code now makes a different call there than the one recorded in history)",
                message.as_deref().unwrap_or("history does not match the code")
            );
            *message = Some(text);
            if metadata.status.as_deref() == Some("Failed") {
                metadata.output = Some(
                    ErrorDetails::Configuration {
                        kind: ConfigErrorKind::Nondeterminism,
                        resource: String::new(),
                        message: message.clone(),
                    }
                    .display_message(),
                );
            }
        }
    }
}

#[async_trait]
impl Provider for NondeterminismNotes {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn version(&self) -> &str {
        self.inner.version()
    }

    async fn fetch_orchestration_item(
        &self,
        lock_timeout: Duration,
        poll_timeout: Duration,
        filter: Option<&DispatcherCapabilityFilter>,
    ) -> Result<Option<(OrchestrationItem, String, u32)>, ProviderError> {
        self.inner.fetch_orchestration_item(lock_timeout, poll_timeout, filter).await
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
        let (mut history_delta, mut metadata) = (history_delta, metadata);
        self.annotate(&mut history_delta, &mut metadata);
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

    async fn abandon_orchestration_item(&self, lock_token: &str, delay: Option<Duration>, ignore_attempt: bool) -> Result<(), ProviderError> {
        self.inner.abandon_orchestration_item(lock_token, delay, ignore_attempt).await
    }

    async fn read(&self, instance: &str) -> Result<Vec<Event>, ProviderError> {
        self.inner.read(instance).await
    }

    async fn read_with_execution(&self, instance: &str, execution_id: u64) -> Result<Vec<Event>, ProviderError> {
        self.inner.read_with_execution(instance, execution_id).await
    }

    async fn append_with_execution(&self, instance: &str, execution_id: u64, new_events: Vec<Event>) -> Result<(), ProviderError> {
        self.inner.append_with_execution(instance, execution_id, new_events).await
    }

    async fn enqueue_for_worker(&self, item: WorkItem) -> Result<(), ProviderError> {
        self.inner.enqueue_for_worker(item).await
    }

    async fn fetch_work_item(
        &self,
        lock_timeout: Duration,
        poll_timeout: Duration,
        session: Option<&SessionFetchConfig>,
        tag_filter: &TagFilter,
    ) -> Result<Option<(WorkItem, String, u32)>, ProviderError> {
        self.inner.fetch_work_item(lock_timeout, poll_timeout, session, tag_filter).await
    }

    async fn ack_work_item(&self, token: &str, completion: Option<WorkItem>) -> Result<(), ProviderError> {
        self.inner.ack_work_item(token, completion).await
    }

    async fn renew_work_item_lock(&self, token: &str, extend_for: Duration) -> Result<(), ProviderError> {
        self.inner.renew_work_item_lock(token, extend_for).await
    }

    async fn renew_session_lock(&self, owner_ids: &[&str], extend_for: Duration, idle_timeout: Duration) -> Result<usize, ProviderError> {
        self.inner.renew_session_lock(owner_ids, extend_for, idle_timeout).await
    }

    async fn cleanup_orphaned_sessions(&self, idle_timeout: Duration) -> Result<usize, ProviderError> {
        self.inner.cleanup_orphaned_sessions(idle_timeout).await
    }

    async fn abandon_work_item(&self, token: &str, delay: Option<Duration>, ignore_attempt: bool) -> Result<(), ProviderError> {
        self.inner.abandon_work_item(token, delay, ignore_attempt).await
    }

    async fn renew_orchestration_item_lock(&self, token: &str, extend_for: Duration) -> Result<(), ProviderError> {
        self.inner.renew_orchestration_item_lock(token, extend_for).await
    }

    async fn enqueue_for_orchestrator(&self, item: WorkItem, delay: Option<Duration>) -> Result<(), ProviderError> {
        self.inner.enqueue_for_orchestrator(item, delay).await
    }

    fn as_management_capability(&self) -> Option<&dyn ProviderAdmin> {
        self.inner.as_management_capability()
    }

    async fn get_custom_status(&self, instance: &str, last_seen_version: u64) -> Result<Option<(Option<String>, u64)>, ProviderError> {
        self.inner.get_custom_status(instance, last_seen_version).await
    }

    async fn get_kv_value(&self, instance: &str, key: &str) -> Result<Option<String>, ProviderError> {
        self.inner.get_kv_value(instance, key).await
    }

    async fn get_kv_all_values(&self, instance: &str) -> Result<HashMap<String, String>, ProviderError> {
        self.inner.get_kv_all_values(instance).await
    }

    async fn get_instance_stats(&self, instance: &str) -> Result<Option<SystemStats>, ProviderError> {
        self.inner.get_instance_stats(instance).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct OneSite;

    impl YieldSites for OneSite {
        fn last_yield_site(&self, instance: &str) -> Option<String> {
            (instance == "known").then(|| "/w/flow.js:13:20".to_string())
        }
    }

    fn failed(instance: &str, details: ErrorDetails) -> Event {
        Event::with_event_id(5, instance, 1, None, EventKind::OrchestrationFailed { details })
    }

    fn nondeterminism() -> ErrorDetails {
        ErrorDetails::Configuration {
            kind: ConfigErrorKind::Nondeterminism,
            resource: String::new(),
            message: Some("schedule mismatch".into()),
        }
    }

    fn message(event: &Event) -> String {
        match &event.kind {
            EventKind::OrchestrationFailed { details } => details.display_message(),
            other => panic!("not a failure: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_nondeterminism_failure_gets_the_yield_site_and_others_do_not() {
        let inner: ProviderRef = Arc::new(duroxide::providers::sqlite::SqliteProvider::new_in_memory().await.unwrap());
        let notes = NondeterminismNotes::new(inner, Arc::new(OneSite));
        let mut delta = vec![
            failed("known", nondeterminism()),
            failed("unknown", nondeterminism()),
            failed(
                "known",
                ErrorDetails::Application {
                    kind: duroxide::AppErrorKind::OrchestrationFailed,
                    message: "boom".into(),
                    retryable: false,
                },
            ),
        ];
        let mut metadata = ExecutionMetadata { status: Some("Failed".into()), ..Default::default() };
        notes.annotate(&mut delta, &mut metadata);
        assert!(message(&delta[0]).ends_with(
            "schedule mismatch (replay diverged at the yield at /w/flow.js:13:20: the code now makes a different call there than the one recorded in history)"
        ));
        assert!(metadata.output.as_deref().unwrap().contains("/w/flow.js:13:20"));
        assert!(!message(&delta[1]).contains("replay diverged"));
        assert!(!message(&delta[2]).contains("replay diverged"));
    }
}
