//! In-process wake-ups: when this process queues work (a start, an activity,
//! its completion, a timer), the dispatchers waiting for that queue fetch at
//! once instead of sleeping out the poll interval, and a client waiting for an
//! instance is told when this process stores its end. Empty fetches wait for
//! a wake-up (duroxide's long-poll contract), but never longer than the poll
//! interval, so work queued by other processes is still seen in time.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::decorator::Decorator;
use duroxide::providers::{
    DispatcherCapabilityFilter, ExecutionMetadata, OrchestrationItem, Provider, ProviderError, ScheduledActivityIdentifier,
    SessionFetchConfig, TagFilter, WorkItem,
};
use duroxide::{Event, EventKind, ProviderRef};
use tokio::sync::Notify;

pub struct WakeUps {
    inner: ProviderRef,
    orchestrator_work: Arc<Notify>,
    worker_work: Arc<Notify>,
    /// Client waits by instance: one signal and a use count per instance.
    endings: std::sync::Mutex<HashMap<String, (Arc<Notify>, usize)>>,
    /// Instances this process started and has not seen end (bounded).
    started_here: std::sync::Mutex<RecentSet>,
}

/// A set that forgets its oldest members beyond a size.
#[derive(Default)]
struct RecentSet {
    members: HashSet<String>,
    order: VecDeque<String>,
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

/// A client's interest in one instance's end; see [`WakeUps::watch_end`].
pub struct EndWatch<'a> {
    wake_ups: &'a WakeUps,
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
        let mut endings = self.wake_ups.endings.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, users)) = endings.get_mut(&self.instance) {
            *users -= 1;
            if *users == 0 {
                endings.remove(&self.instance);
            }
        }
    }
}

/// The instances whose completion or failure `events` record.
fn ended_instances(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::OrchestrationCompleted { .. } | EventKind::OrchestrationFailed { .. }))
        .map(|e| e.instance_id.clone())
        .collect()
}

/// The longest an empty fetch waits before looking again, woken or not.
const QUIET_RECHECK: Duration = Duration::from_secs(1);

/// Delayed work is announced this much after its time, so the store already counts it visible.
const DELAY_SLACK: Duration = Duration::from_millis(5);

impl WakeUps {
    pub fn new(inner: ProviderRef) -> Self {
        WakeUps {
            inner,
            orchestrator_work: Arc::new(Notify::new()),
            worker_work: Arc::new(Notify::new()),
            endings: std::sync::Mutex::new(HashMap::new()),
            started_here: std::sync::Mutex::new(RecentSet::default()),
        }
    }

    /// A signal notified when this process stores `instance`'s completion or failure.
    pub fn watch_end(&self, instance: &str) -> EndWatch<'_> {
        let mut endings = self.endings.lock().unwrap_or_else(|e| e.into_inner());
        let (signal, users) = endings.entry(instance.to_string()).or_insert_with(|| (Arc::new(Notify::new()), 0));
        *users += 1;
        EndWatch { wake_ups: self, instance: instance.to_string(), signal: signal.clone() }
    }

    /// Whether this process started `instance` and has not stored its end:
    /// a wait for it is most likely a wait for work about to run here.
    pub fn started_here(&self, instance: &str) -> bool {
        self.started_here.lock().unwrap_or_else(|e| e.into_inner()).members.contains(instance)
    }

    /// Wakes the client waits of `ended` instances.
    fn signal_ends(&self, ended: &[String]) {
        if ended.is_empty() {
            return;
        }
        let endings = self.endings.lock().unwrap_or_else(|e| e.into_inner());
        let mut started_here = self.started_here.lock().unwrap_or_else(|e| e.into_inner());
        for instance in ended {
            started_here.remove(instance);
            if let Some((signal, _)) = endings.get(instance) {
                signal.notify_waiters();
            }
        }
    }

    /// Wakes one waiting dispatcher of `queue` per queued item, now or when a
    /// delayed item becomes visible. (Waking them all for every item made a
    /// herd that queued on the SQLite gate to find nothing, and cost throughput.)
    fn wake_n(&self, queue: &Arc<Notify>, items: usize, delay: Option<Duration>) {
        if items == 0 {
            return;
        }
        match delay.filter(|d| !d.is_zero()) {
            None => (0..items).for_each(|_| queue.notify_one()),
            Some(delay) => {
                let queue = queue.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay + DELAY_SLACK).await;
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
    /// `poll_timeout`) and tries again. No wait is longer than `QUIET_RECHECK`:
    /// a wake-up for delayed work can come a moment before the store counts
    /// it visible, and the caller's poll timeout may be long (duroxide's
    /// default is 30 s).
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
            let found = fetch().await?;
            if found.is_some() {
                return Ok(found);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let _ = tokio::time::timeout_at(deadline.min(now + QUIET_RECHECK), woken).await;
        }
    }
}

#[async_trait]
impl Decorator for WakeUps {
    fn inner(&self) -> &dyn Provider {
        &*self.inner
    }

    async fn fetch_orchestration_item(
        &self,
        lock_timeout: Duration,
        poll_timeout: Duration,
        filter: Option<&DispatcherCapabilityFilter>,
    ) -> Result<Option<(OrchestrationItem, String, u32)>, ProviderError> {
        self.long_poll(&self.orchestrator_work, poll_timeout, || self.inner.fetch_orchestration_item(lock_timeout, poll_timeout, filter))
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
        let ended = ended_instances(&history_delta);
        let (worker_wakes, orchestrator_wakes) = (worker_items.len(), orchestrator_items.clone());
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
            .await?;
        self.wake_n(&self.worker_work, worker_wakes, None);
        self.wake_orchestrator_for(&orchestrator_wakes);
        self.signal_ends(&ended);
        Ok(())
    }

    async fn abandon_orchestration_item(
        &self,
        lock_token: &str,
        delay: Option<Duration>,
        ignore_attempt: bool,
    ) -> Result<(), ProviderError> {
        self.inner.abandon_orchestration_item(lock_token, delay, ignore_attempt).await?;
        self.wake(&self.orchestrator_work, delay);
        Ok(())
    }

    async fn append_with_execution(&self, instance: &str, execution_id: u64, new_events: Vec<Event>) -> Result<(), ProviderError> {
        let ended = ended_instances(&new_events);
        self.inner.append_with_execution(instance, execution_id, new_events).await?;
        self.signal_ends(&ended);
        Ok(())
    }

    async fn enqueue_for_worker(&self, item: WorkItem) -> Result<(), ProviderError> {
        self.inner.enqueue_for_worker(item).await?;
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
        self.long_poll(&self.worker_work, poll_timeout, || self.inner.fetch_work_item(lock_timeout, poll_timeout, session, tag_filter))
            .await
    }

    async fn ack_work_item(&self, token: &str, completion: Option<WorkItem>) -> Result<(), ProviderError> {
        let completes = completion.is_some();
        self.inner.ack_work_item(token, completion).await?;
        if completes {
            self.wake(&self.orchestrator_work, None);
        }
        Ok(())
    }

    async fn abandon_work_item(&self, token: &str, delay: Option<Duration>, ignore_attempt: bool) -> Result<(), ProviderError> {
        self.inner.abandon_work_item(token, delay, ignore_attempt).await?;
        self.wake(&self.worker_work, delay);
        Ok(())
    }

    async fn enqueue_for_orchestrator(&self, item: WorkItem, delay: Option<Duration>) -> Result<(), ProviderError> {
        let timer = matches!(item, WorkItem::TimerFired { .. }).then(|| item.clone());
        if let WorkItem::StartOrchestration { instance, .. } = &item {
            self.started_here.lock().unwrap_or_else(|e| e.into_inner()).insert(instance);
        }
        self.inner.enqueue_for_orchestrator(item, delay).await?;
        match timer {
            Some(timer) if delay.is_none() => self.wake_orchestrator_for(&[timer]),
            _ => self.wake(&self.orchestrator_work, delay),
        }
        Ok(())
    }
}
