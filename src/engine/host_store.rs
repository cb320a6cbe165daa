//! The store as this process's runtimes see it: the real provider plus
//! - a gate that lets one call at a time reach SQLite. SQLite has a single
//!   writer anyway; without the gate a dozen dispatchers race for it and lose
//!   with "database is locked" (WAL) or "deadlocked" (shared-cache memory),
//!   each loss costing a 200 ms back-off and a warning. Other processes on the
//!   same file still use SQLite's own locks.
//! - wake-ups: when this process queues work (a start, an activity, its
//!   completion, a timer), the dispatchers waiting for that queue fetch at
//!   once instead of sleeping out the poll interval. Empty fetches wait for
//!   such a wake-up (duroxide's long-poll contract), but never longer than
//!   the poll interval, so work queued by other processes is still seen in time.
//! - writes (fetches included: they lock what they take) that lost SQLite's
//!   lock to another process are tried again:
//!   duroxide's provider opens deferred transactions, which SQLite answers
//!   with an immediate "database is locked" when two processes upgrade to
//!   writers at once, and duroxide fails an instance whose turn cannot be
//!   stored after five quick tries.
//! - the JS line behind a nondeterminism failure: duroxide detects the
//!   mismatch after the handler ran, so the failure is annotated on its way
//!   into history with the place of the yield that made the mismatching call.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use duroxide::providers::{
    DispatcherCapabilityFilter, ExecutionMetadata, OrchestrationItem, Provider, ProviderAdmin, ProviderError,
    ScheduledActivityIdentifier, SessionFetchConfig, TagFilter, WorkItem,
};
use duroxide::{ConfigErrorKind, ErrorDetails, Event, EventKind, ProviderRef, SystemStats};
use tokio::sync::{Mutex, MutexGuard, Notify};

pub struct HostStore {
    inner: ProviderRef,
    /// Some for SQLite; PostgreSQL handles concurrent writers itself.
    gate: Option<Mutex<()>>,
    orchestrator_work: Arc<Notify>,
    worker_work: Arc<Notify>,
    /// Client waits by instance, signalled when this process stores the
    /// instance's final event (one signal and a use count per instance).
    endings: std::sync::Mutex<HashMap<String, (Arc<Notify>, usize)>>,
    /// Instances this process started and has not seen end (bounded).
    started_here: std::sync::Mutex<RecentSet>,
    wake_ups: bool,
}

/// A set that forgets its oldest members beyond a size.
#[derive(Default)]
struct RecentSet {
    members: std::collections::HashSet<String>,
    order: std::collections::VecDeque<String>,
}

impl RecentSet {
    const SIZE: usize = 4096;

    fn insert(&mut self, id: &str) {
        if self.members.insert(id.to_string()) {
            self.order.push_back(id.to_string());
        }
        while self.order.len() > Self::SIZE {
            if let Some(old) = self.order.pop_front() {
                self.members.remove(&old);
            }
        }
    }

    fn remove(&mut self, id: &str) {
        // Left in `order` until it ages out; `members` decides.
        self.members.remove(id);
    }
}

/// A client's interest in one instance's end; see [`HostStore::watch_end`].
pub struct EndWatch<'a> {
    store: &'a HostStore,
    instance: String,
    signal: Arc<Notify>,
}

impl EndWatch<'_> {
    pub fn signal(&self) -> &Notify {
        &self.signal
    }
}

impl Drop for EndWatch<'_> {
    fn drop(&mut self) {
        let mut endings = self.store.endings.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, users)) = endings.get_mut(&self.instance) {
            *users -= 1;
            if *users == 0 {
                endings.remove(&self.instance);
            }
        }
    }
}

/// `DUROXIDE_NO_WAKEUPS=1` turns wake-ups off (for benchmarks: what they buy).
fn wake_ups_enabled() -> bool {
    std::env::var_os("DUROXIDE_NO_WAKEUPS").is_none_or(|v| v.is_empty() || v == "0")
}

impl HostStore {
    fn new(inner: ProviderRef, gate: Option<Mutex<()>>) -> Self {
        Self {
            inner,
            gate,
            orchestrator_work: Arc::new(Notify::new()),
            worker_work: Arc::new(Notify::new()),
            endings: std::sync::Mutex::new(HashMap::new()),
            started_here: std::sync::Mutex::new(RecentSet::default()),
            wake_ups: wake_ups_enabled(),
        }
    }

    /// Whether waiting on [`HostStore::watch_end`] is worth it (wake-ups are on).
    pub fn wakes(&self) -> bool {
        self.wake_ups
    }

    /// A signal notified when this process stores `instance`'s completion or failure.
    pub fn watch_end(&self, instance: &str) -> EndWatch<'_> {
        let mut endings = self.endings.lock().unwrap_or_else(|e| e.into_inner());
        let (signal, users) = endings.entry(instance.to_string()).or_insert_with(|| (Arc::new(Notify::new()), 0));
        *users += 1;
        EndWatch { store: self, instance: instance.to_string(), signal: signal.clone() }
    }

    /// Whether this process started `instance` and has not stored its end:
    /// a wait for it is most likely a wait for work about to run here.
    pub fn started_here(&self, instance: &str) -> bool {
        self.started_here.lock().unwrap_or_else(|e| e.into_inner()).members.contains(instance)
    }

    /// Wakes the client waits of the instances that `events` end.
    fn signal_ends(&self, events: &[Event]) {
        let ended = events.iter().filter(|e| {
            matches!(e.kind, EventKind::OrchestrationCompleted { .. } | EventKind::OrchestrationFailed { .. })
        });
        let endings = self.endings.lock().unwrap_or_else(|e| e.into_inner());
        let mut started_here = self.started_here.lock().unwrap_or_else(|e| e.into_inner());
        for event in ended {
            started_here.remove(&event.instance_id);
            if let Some((signal, _)) = endings.get(&event.instance_id) {
                signal.notify_waiters();
            }
        }
    }

    pub fn serialized(inner: ProviderRef) -> Self {
        Self::new(inner, Some(Mutex::new(())))
    }

    pub fn concurrent(inner: ProviderRef) -> Self {
        Self::new(inner, None)
    }

    /// Wakes one waiting dispatcher of `queue` per queued item, now or when a
    /// delayed item becomes visible. (Waking them all for every item made a
    /// herd that queued on the gate to find nothing, and cost throughput.)
    fn wake_n(&self, queue: &Arc<Notify>, items: usize, delay: Option<Duration>) {
        if items == 0 {
            return;
        }
        match delay.filter(|d| !d.is_zero()) {
            None => (0..items).for_each(|_| queue.notify_one()),
            Some(delay) => {
                let queue = queue.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    (0..items).for_each(|_| queue.notify_one());
                });
            }
        }
    }

    fn wake(&self, queue: &Arc<Notify>, delay: Option<Duration>) {
        self.wake_n(queue, 1, delay);
    }

    /// Timers become visible at their fire time; other orchestrator items at once.
    fn wake_orchestrator_for(&self, items: &[WorkItem]) {
        let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis() as u64;
        let mut now = 0;
        for item in items {
            match item {
                WorkItem::TimerFired { fire_at_ms, .. } if *fire_at_ms > now_ms => {
                    self.wake(&self.orchestrator_work, Some(Duration::from_millis(fire_at_ms - now_ms)));
                }
                _ => now += 1,
            }
        }
        self.wake_n(&self.orchestrator_work, now, None);
    }

    /// Fetches; when nothing is there, waits for a wake-up (at most
    /// `poll_timeout`) and tries again.
    async fn long_poll<T, F, Fut>(&self, queue: &Notify, poll_timeout: Duration, mut fetch: F) -> Result<Option<T>, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>, ProviderError>>,
    {
        let deadline = tokio::time::Instant::now() + poll_timeout;
        loop {
            // Registered before fetching, so a wake-up during the fetch is not lost.
            let woken = queue.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            // A fetch locks what it finds, so it is a write too.
            let found = self.write(&mut fetch).await?;
            if found.is_some() || !self.wake_ups {
                return Ok(found);
            }
            if tokio::time::timeout_at(deadline, woken).await.is_err() {
                return Ok(None);
            }
        }
    }

    /// Runs a write under the gate; on SQLite, a write refused because
    /// another process holds the lock is tried again for a few seconds
    /// (a failed attempt was rolled back, so another is safe).
    async fn write<T, F, Fut>(&self, mut attempt: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ProviderError>>,
    {
        let _g = self.enter().await;
        let mut backoff = Duration::from_millis(2);
        let give_up = tokio::time::Instant::now() + LOCKED_RETRY_FOR;
        loop {
            match attempt().await {
                Err(e) if self.gate.is_some() && is_locked(&e) && tokio::time::Instant::now() < give_up => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(100));
                }
                other => return other,
            }
        }
    }

    /// Held around every call into a SQLite store, including the management
    /// calls the client makes straight on the inner provider's admin side.
    pub async fn enter(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.gate {
            Some(gate) => Some(gate.lock().await),
            None => None,
        }
    }
}

/// How long a write refused by another process's lock is retried.
const LOCKED_RETRY_FOR: Duration = Duration::from_secs(10);

fn is_locked(e: &ProviderError) -> bool {
    let m = e.message.to_ascii_lowercase();
    m.contains("database is locked") || m.contains("database locked")
}

/// The gate of `store` when it is one of ours.
pub fn of(store: &ProviderRef) -> Option<&HostStore> {
    let any: &dyn std::any::Any = store.as_ref();
    any.downcast_ref::<HostStore>()
}

#[async_trait]
impl Provider for HostStore {
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
        self.long_poll(&self.orchestrator_work, poll_timeout, || {
            self.inner.fetch_orchestration_item(lock_timeout, poll_timeout, filter)
        })
        .await
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
        annotate_nondeterminism(&mut history_delta, &mut metadata);
        let (worker_wakes, orchestrator_wakes) = (worker_items.len(), orchestrator_items.clone());
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
        .await?;
        self.wake_n(&self.worker_work, worker_wakes, None);
        self.wake_orchestrator_for(&orchestrator_wakes);
        self.signal_ends(&history_delta);
        Ok(())
    }

    async fn abandon_orchestration_item(
        &self,
        lock_token: &str,
        delay: Option<Duration>,
        ignore_attempt: bool,
    ) -> Result<(), ProviderError> {
        self.write(|| self.inner.abandon_orchestration_item(lock_token, delay, ignore_attempt)).await?;
        self.wake(&self.orchestrator_work, delay);
        Ok(())
    }

    async fn read(&self, instance: &str) -> Result<Vec<Event>, ProviderError> {
        let _g = self.enter().await;
        self.inner.read(instance).await
    }

    async fn read_with_execution(&self, instance: &str, execution_id: u64) -> Result<Vec<Event>, ProviderError> {
        let _g = self.enter().await;
        self.inner.read_with_execution(instance, execution_id).await
    }

    async fn append_with_execution(
        &self,
        instance: &str,
        execution_id: u64,
        new_events: Vec<Event>,
    ) -> Result<(), ProviderError> {
        self.write(|| self.inner.append_with_execution(instance, execution_id, new_events.clone())).await?;
        self.signal_ends(&new_events);
        Ok(())
    }

    async fn enqueue_for_worker(&self, item: WorkItem) -> Result<(), ProviderError> {
        self.write(|| self.inner.enqueue_for_worker(item.clone())).await?;
        self.wake(&self.worker_work, None);
        Ok(())
    }

    async fn fetch_work_item(
        &self,
        lock_timeout: Duration,
        poll_timeout: Duration,
        session: Option<&SessionFetchConfig>,
        tag_filter: &TagFilter,
    ) -> Result<Option<(WorkItem, String, u32)>, ProviderError> {
        self.long_poll(&self.worker_work, poll_timeout, || {
            self.inner.fetch_work_item(lock_timeout, poll_timeout, session, tag_filter)
        })
        .await
    }

    async fn ack_work_item(&self, token: &str, completion: Option<WorkItem>) -> Result<(), ProviderError> {
        let completes = completion.is_some();
        self.write(|| self.inner.ack_work_item(token, completion.clone())).await?;
        if completes {
            self.wake(&self.orchestrator_work, None);
        }
        Ok(())
    }

    async fn renew_work_item_lock(&self, token: &str, extend_for: Duration) -> Result<(), ProviderError> {
        let _g = self.enter().await;
        self.inner.renew_work_item_lock(token, extend_for).await
    }

    async fn renew_session_lock(
        &self,
        owner_ids: &[&str],
        extend_for: Duration,
        idle_timeout: Duration,
    ) -> Result<usize, ProviderError> {
        let _g = self.enter().await;
        self.inner.renew_session_lock(owner_ids, extend_for, idle_timeout).await
    }

    async fn cleanup_orphaned_sessions(&self, idle_timeout: Duration) -> Result<usize, ProviderError> {
        let _g = self.enter().await;
        self.inner.cleanup_orphaned_sessions(idle_timeout).await
    }

    async fn abandon_work_item(
        &self,
        token: &str,
        delay: Option<Duration>,
        ignore_attempt: bool,
    ) -> Result<(), ProviderError> {
        self.write(|| self.inner.abandon_work_item(token, delay, ignore_attempt)).await?;
        self.wake(&self.worker_work, delay);
        Ok(())
    }

    async fn renew_orchestration_item_lock(&self, token: &str, extend_for: Duration) -> Result<(), ProviderError> {
        let _g = self.enter().await;
        self.inner.renew_orchestration_item_lock(token, extend_for).await
    }

    async fn enqueue_for_orchestrator(&self, item: WorkItem, delay: Option<Duration>) -> Result<(), ProviderError> {
        let timer = matches!(item, WorkItem::TimerFired { .. }).then(|| item.clone());
        if let WorkItem::StartOrchestration { instance, .. } = &item {
            self.started_here.lock().unwrap_or_else(|e| e.into_inner()).insert(instance);
        }
        self.write(|| self.inner.enqueue_for_orchestrator(item.clone(), delay)).await?;
        match timer {
            Some(timer) if delay.is_none() => self.wake_orchestrator_for(&[timer]),
            _ => self.wake(&self.orchestrator_work, delay),
        }
        Ok(())
    }

    fn as_management_capability(&self) -> Option<&dyn ProviderAdmin> {
        self.inner.as_management_capability()
    }

    async fn get_custom_status(
        &self,
        instance: &str,
        last_seen_version: u64,
    ) -> Result<Option<(Option<String>, u64)>, ProviderError> {
        let _g = self.enter().await;
        self.inner.get_custom_status(instance, last_seen_version).await
    }

    async fn get_kv_value(&self, instance: &str, key: &str) -> Result<Option<String>, ProviderError> {
        let _g = self.enter().await;
        self.inner.get_kv_value(instance, key).await
    }

    async fn get_kv_all_values(&self, instance: &str) -> Result<HashMap<String, String>, ProviderError> {
        let _g = self.enter().await;
        self.inner.get_kv_all_values(instance).await
    }

    async fn get_instance_stats(&self, instance: &str) -> Result<Option<SystemStats>, ProviderError> {
        let _g = self.enter().await;
        self.inner.get_instance_stats(instance).await
    }
}

/// Appends the JS location of the last yield to a nondeterminism failure.
fn annotate_nondeterminism(delta: &mut [Event], metadata: &mut ExecutionMetadata) {
    for event in delta.iter_mut() {
        let instance = event.instance_id.clone();
        let EventKind::OrchestrationFailed {
            details: ErrorDetails::Configuration { kind: ConfigErrorKind::Nondeterminism, message, .. },
        } = &mut event.kind
        else {
            continue;
        };
        let Some(site) = crate::engine::orchestration::last_yield_site(&instance) else { continue };
        let text = format!(
            "{} (replay diverged at the yield at {site}: the code now makes a different call there than the one recorded in history)",
            message.as_deref().unwrap_or("history does not match the code")
        );
        *message = Some(text);
        if metadata.status.as_deref() == Some("Failed") {
            metadata.output = Some(ErrorDetails::Configuration {
                kind: ConfigErrorKind::Nondeterminism,
                resource: String::new(),
                message: message.clone(),
            }
            .display_message());
        }
    }
}
