//! What every store decorator shares: passing on the calls it does not change.
//!
//! A decorator implements [`Decorator`] and overrides only the calls it has
//! a job in; every other call goes to [`Decorator::inner`]. [`Decorated`]
//! makes it a duroxide `Provider` (a wrapper, because the orphan rule forbids
//! implementing duroxide's trait for every `Decorator` directly). The calls
//! are listed once, below, for both.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use duroxide::providers::{
    DispatcherCapabilityFilter, ExecutionMetadata, OrchestrationItem, Provider, ProviderAdmin, ProviderError, ScheduledActivityIdentifier,
    SessionFetchConfig, TagFilter, WorkItem,
};
use duroxide::{Event, SystemStats};

/// A decorator as a duroxide `Provider`; derefs to the decorator for its own methods.
pub struct Decorated<D>(pub D);

impl<D> Deref for Decorated<D> {
    type Target = D;
    fn deref(&self) -> &D {
        &self.0
    }
}

/// `Arc::new(Decorated(decorator))`, ready to use as a `ProviderRef`.
pub fn decorated<D: Decorator>(decorator: D) -> Arc<Decorated<D>> {
    Arc::new(Decorated(decorator))
}

macro_rules! calls {
    ($( fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )*) => {
        #[async_trait]
        pub trait Decorator: Send + Sync + 'static {
            /// The store this decorator stands in front of.
            fn inner(&self) -> &dyn Provider;

            fn as_management_capability(&self) -> Option<&dyn ProviderAdmin> {
                self.inner().as_management_capability()
            }

            $( async fn $name(&self $(, $arg: $ty)*) -> $ret { self.inner().$name($($arg),*).await } )*
        }

        #[async_trait]
        impl<D: Decorator> Provider for Decorated<D> {
            fn name(&self) -> &str {
                self.0.inner().name()
            }

            fn version(&self) -> &str {
                self.0.inner().version()
            }

            fn as_management_capability(&self) -> Option<&dyn ProviderAdmin> {
                self.0.as_management_capability()
            }

            $( async fn $name(&self $(, $arg: $ty)*) -> $ret { self.0.$name($($arg),*).await } )*
        }
    };
}

calls! {
    fn fetch_orchestration_item(&self, lock_timeout: Duration, poll_timeout: Duration, filter: Option<&DispatcherCapabilityFilter>)
        -> Result<Option<(OrchestrationItem, String, u32)>, ProviderError>;
    fn ack_orchestration_item(&self, lock_token: &str, execution_id: u64, history_delta: Vec<Event>, worker_items: Vec<WorkItem>,
        orchestrator_items: Vec<WorkItem>, metadata: ExecutionMetadata, cancelled_activities: Vec<ScheduledActivityIdentifier>)
        -> Result<(), ProviderError>;
    fn abandon_orchestration_item(&self, lock_token: &str, delay: Option<Duration>, ignore_attempt: bool) -> Result<(), ProviderError>;
    fn renew_orchestration_item_lock(&self, token: &str, extend_for: Duration) -> Result<(), ProviderError>;
    fn enqueue_for_orchestrator(&self, item: WorkItem, delay: Option<Duration>) -> Result<(), ProviderError>;
    fn read(&self, instance: &str) -> Result<Vec<Event>, ProviderError>;
    fn read_with_execution(&self, instance: &str, execution_id: u64) -> Result<Vec<Event>, ProviderError>;
    fn append_with_execution(&self, instance: &str, execution_id: u64, new_events: Vec<Event>) -> Result<(), ProviderError>;
    fn enqueue_for_worker(&self, item: WorkItem) -> Result<(), ProviderError>;
    fn fetch_work_item(&self, lock_timeout: Duration, poll_timeout: Duration, session: Option<&SessionFetchConfig>, tag_filter: &TagFilter)
        -> Result<Option<(WorkItem, String, u32)>, ProviderError>;
    fn ack_work_item(&self, token: &str, completion: Option<WorkItem>) -> Result<(), ProviderError>;
    fn renew_work_item_lock(&self, token: &str, extend_for: Duration) -> Result<(), ProviderError>;
    fn abandon_work_item(&self, token: &str, delay: Option<Duration>, ignore_attempt: bool) -> Result<(), ProviderError>;
    fn renew_session_lock(&self, owner_ids: &[&str], extend_for: Duration, idle_timeout: Duration) -> Result<usize, ProviderError>;
    fn cleanup_orphaned_sessions(&self, idle_timeout: Duration) -> Result<usize, ProviderError>;
    fn get_custom_status(&self, instance: &str, last_seen_version: u64) -> Result<Option<(Option<String>, u64)>, ProviderError>;
    fn get_kv_value(&self, instance: &str, key: &str) -> Result<Option<String>, ProviderError>;
    fn get_kv_all_values(&self, instance: &str) -> Result<HashMap<String, String>, ProviderError>;
    fn get_instance_stats(&self, instance: &str) -> Result<Option<SystemStats>, ProviderError>;
}
