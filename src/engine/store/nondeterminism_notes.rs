//! The JS line behind a nondeterminism failure. duroxide detects the mismatch
//! after the handler ran and fails the instance with its own words; on its way
//! into history the failure gets the place of the yield that made the
//! mismatching call, from whatever recorded it (the bridge, which knows JS).

use std::sync::Arc;

use async_trait::async_trait;

use super::decorator::Decorator;
use duroxide::providers::{ExecutionMetadata, Provider, ProviderError, ScheduledActivityIdentifier, WorkItem};
use duroxide::{ConfigErrorKind, ErrorDetails, Event, EventKind, ProviderRef};

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
            let Some(site) = self.sites.last_yield_site(&event.instance_id) else {
                continue;
            };
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
impl Decorator for NondeterminismNotes {
    fn inner(&self) -> &dyn Provider {
        &*self.inner
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
                ErrorDetails::Application { kind: duroxide::AppErrorKind::OrchestrationFailed, message: "boom".into(), retryable: false },
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
