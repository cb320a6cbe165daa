//! The client of a store, typed: what the SDK's `Client` and the management
//! verbs both call. Answers come in the shapes of [`super::shapes`]; errors
//! are sentences that name the call and the instance.

use std::collections::BTreeMap;
use std::time::Duration;

use duroxide::{ClientError, OrchestrationStatus};

use super::history::{self, HistoryEvent};
use super::shapes::{Deleted, Execution, Filter, InFlight, Instance, Metrics, Prune, Pruned, QueuedStart, Queues, Stats, Status, Tree};
use super::store::{Store, WakeUps};

pub struct Client {
    store: Store,
    inner: duroxide::Client,
}

/// Status checks for completions stored by other processes (which wake
/// nobody here) start this often and slow down to `CROSS_PROCESS_CHECK_MAX`,
/// so many concurrent waits do not flood the store with reads.
const CROSS_PROCESS_CHECK: Duration = Duration::from_millis(50);
const CROSS_PROCESS_CHECK_MAX: Duration = Duration::from_millis(250);
/// How long a wait for an instance this process just started lets the work
/// run before its first status read (a read then only competes with it for
/// the store: 0.5 ms of a 4 ms `hello`).
const FIRST_LOOK_AFTER: Duration = Duration::from_millis(25);

fn failed(what: &str, id: &str, e: ClientError) -> String {
    format!("{what}('{id}') failed: {e}")
}

fn management(what: &'static str) -> impl Fn(ClientError) -> String {
    move |e| format!("{what} failed: {e}")
}

/// A waiting call's result; a timeout gets its own message.
fn waited<T>(result: Result<T, ClientError>, what: &str, id: &str, on_timeout: impl FnOnce() -> String) -> Result<T, String> {
    match result {
        Ok(value) => Ok(value),
        Err(ClientError::Timeout) => Err(on_timeout()),
        Err(e) => Err(failed(what, id, e)),
    }
}

/// `NAME-` and eight random hex digits: the id of a start that names none.
pub fn generated_id(name: &str) -> String {
    let mut bytes = [0u8; 4];
    let _ = getrandom::fill(&mut bytes);
    format!("{name}-{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("instance id must not be empty".into());
    }
    Ok(())
}

pub fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("orchestration name must not be empty".into());
    }
    Ok(())
}

/// What a start needs before it reaches the store: an id, a name, and a
/// semantic version if one is given.
pub fn check_start(id: &str, name: &str, version: Option<&str>) -> Result<(), String> {
    check_id(id)?;
    check_name(name)?;
    if let Some(version) = version {
        semver::Version::parse(version).map_err(|e| format!("version '{version}' is not a semantic version like 1.2.0 ({e})"))?;
    }
    Ok(())
}

impl Client {
    pub fn new(store: &Store) -> Client {
        Client { store: store.clone(), inner: duroxide::Client::new(store.provider()) }
    }

    /// Starts `name` (at `version`, or the latest registered) with `input` as JSON text.
    pub async fn start(&self, id: &str, name: &str, input: String, version: Option<&str>) -> Result<(), String> {
        check_start(id, name, version)?;
        let started = match version {
            Some(version) => self.inner.start_orchestration_versioned(id, name, version, input).await,
            None => self.inner.start_orchestration(id, name, input).await,
        };
        started.map_err(|e| format!("cannot start orchestration '{id}': {e}"))
    }

    pub async fn status(&self, id: &str) -> Result<Status, String> {
        check_id(id)?;
        let status = self.inner.get_orchestration_status(id).await.map_err(|e| failed("getStatus", id, e))?;
        Ok(status.into())
    }

    /// Like [`Client::status`], but a start no worker has taken yet is
    /// `Pending` instead of `NotFound` (the command line's view; the SDK's
    /// getStatus keeps duroxide-node's answer).
    pub async fn status_or_pending(&self, id: &str) -> Result<Status, String> {
        check_id(id)?;
        // The queue first: a worker that takes the start between the two reads
        // then shows as found, never as a start that vanished.
        let queued = self.store.peek().queued_start(id).await?;
        let status = self.status(id).await?;
        Ok(match queued {
            Some(start) if !status.is_found() => Status::pending(start),
            _ => status,
        })
    }

    /// Starts no worker has taken yet.
    pub async fn queued_starts(&self) -> Result<Vec<QueuedStart>, String> {
        self.store.peek().queued_starts(None).await
    }

    /// Activities locked by a worker now.
    pub async fn in_flight(&self) -> Result<Vec<InFlight>, String> {
        self.store.peek().in_flight().await
    }

    /// Removes a start no worker has taken yet (with anything queued for its
    /// instance), so it never runs. False when there was none.
    pub async fn delete_pending(&self, id: &str) -> Result<bool, String> {
        check_id(id)?;
        if self.store.peek().queued_start(id).await?.is_none() {
            return Ok(false);
        }
        let provider = self.store.provider();
        let admin = provider.as_management_capability().ok_or("this store cannot delete instances")?;
        let deleted =
            admin.delete_instances_atomic(&[id.to_string()], false).await.map_err(|e| format!("deleteInstance('{id}') failed: {e}"))?;
        Ok(deleted.queue_messages_deleted > 0)
    }

    /// Waits until the instance completes or fails.
    pub async fn wait(&self, id: &str, timeout: Duration) -> Result<Status, String> {
        check_id(id)?;
        let waited_for = match self.store.wake_ups() {
            Some(wake_ups) => self.wait_with_wake_ups(wake_ups, id, timeout).await,
            None => self.inner.wait_for_orchestration(id, timeout).await,
        };
        let status = waited(waited_for, "waitForOrchestration", id, || {
            format!("timed out after {} ms waiting for orchestration '{id}' to finish", timeout.as_millis())
        })?;
        Ok(status.into())
    }

    /// Like duroxide's wait, but returns as soon as this process stores the
    /// instance's completion or failure instead of polling on a back-off.
    async fn wait_with_wake_ups(&self, wake_ups: &WakeUps, id: &str, timeout: Duration) -> Result<OrchestrationStatus, ClientError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let watch = wake_ups.watch_end(id);
        let mut check_every = CROSS_PROCESS_CHECK;
        if wake_ups.started_here(id) {
            let _ = tokio::time::timeout(FIRST_LOOK_AFTER.min(timeout), watch.signal().notified()).await;
        }
        loop {
            let ended = watch.signal().notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            let status = self.inner.get_orchestration_status(id).await?;
            if matches!(status, OrchestrationStatus::Completed { .. } | OrchestrationStatus::Failed { .. }) {
                return Ok(status);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(ClientError::Timeout);
            }
            let _ = tokio::time::timeout((deadline - now).min(check_every), ended).await;
            check_every = (check_every * 3 / 2).min(CROSS_PROCESS_CHECK_MAX);
        }
    }

    pub async fn raise_event(&self, id: &str, name: &str, data: String) -> Result<(), String> {
        check_id(id)?;
        self.inner.raise_event(id, name, data).await.map_err(|e| failed("raiseEvent", id, e))
    }

    pub async fn enqueue_event(&self, id: &str, queue: &str, data: String) -> Result<(), String> {
        check_id(id)?;
        self.inner.enqueue_event(id, queue, data).await.map_err(|e| failed("enqueueEvent", id, e))
    }

    pub async fn cancel(&self, id: &str, reason: &str) -> Result<(), String> {
        check_id(id)?;
        self.inner.cancel_instance(id, reason).await.map_err(|e| failed("cancelInstance", id, e))
    }

    pub async fn wait_for_status_change(&self, id: &str, last_seen: u64, poll: Duration, timeout: Duration) -> Result<Status, String> {
        check_id(id)?;
        let changed = self.inner.wait_for_status_change(id, last_seen, poll, timeout).await;
        let status = waited(changed, "waitForStatusChange", id, || {
            format!("timed out after {} ms waiting for the custom status of '{id}' to change from version {last_seen}", timeout.as_millis())
        })?;
        Ok(status.into())
    }

    pub async fn value(&self, id: &str, key: &str) -> Result<Option<String>, String> {
        check_id(id)?;
        self.inner.get_kv_value(id, key).await.map_err(|e| failed("getValue", id, e))
    }

    pub async fn wait_for_value(&self, id: &str, key: &str, timeout: Duration) -> Result<String, String> {
        check_id(id)?;
        waited(self.inner.wait_for_kv_value(id, key, timeout).await, "waitForValue", id, || {
            format!("timed out after {} ms waiting for value '{key}' on instance '{id}'", timeout.as_millis())
        })
    }

    pub async fn values(&self, id: &str) -> Result<BTreeMap<String, String>, String> {
        check_id(id)?;
        let values = self.inner.get_kv_all_values(id).await.map_err(|e| failed("getKvAllValues", id, e))?;
        Ok(values.into_iter().collect())
    }

    pub async fn system_metrics(&self) -> Result<Metrics, String> {
        Ok(self.inner.get_system_metrics().await.map_err(management("getSystemMetrics"))?.into())
    }

    pub async fn queue_depths(&self) -> Result<Queues, String> {
        Ok(self.inner.get_queue_depths().await.map_err(management("getQueueDepths"))?.into())
    }

    pub async fn stats(&self, id: &str) -> Result<Option<Stats>, String> {
        check_id(id)?;
        let stats = self.inner.get_orchestration_stats(id).await.map_err(|e| failed("getOrchestrationStats", id, e))?;
        Ok(stats.map(Stats::from))
    }

    /// Instance ids, all or those with `status` (Running, Completed, Failed, ContinuedAsNew).
    pub async fn instances(&self, status: Option<&str>) -> Result<Vec<String>, String> {
        match status {
            Some(status) => self.inner.list_instances_by_status(status).await.map_err(management("listInstancesByStatus")),
            None => self.inner.list_all_instances().await.map_err(management("listAllInstances")),
        }
    }

    pub async fn instance(&self, id: &str) -> Result<Instance, String> {
        check_id(id)?;
        Ok(self.inner.get_instance_info(id).await.map_err(|e| failed("getInstanceInfo", id, e))?.into())
    }

    pub async fn execution(&self, id: &str, execution: u64) -> Result<Execution, String> {
        check_id(id)?;
        Ok(self.inner.get_execution_info(id, execution).await.map_err(|e| failed("getExecutionInfo", id, e))?.into())
    }

    pub async fn executions(&self, id: &str) -> Result<Vec<u64>, String> {
        check_id(id)?;
        self.inner.list_executions(id).await.map_err(|e| failed("listExecutions", id, e))
    }

    pub async fn history(&self, id: &str, execution: u64) -> Result<Vec<HistoryEvent>, String> {
        Ok(self.events(id, execution).await?.iter().map(history::HistoryEvent::from).collect())
    }

    /// An execution's events as duroxide stores them (what replays need).
    pub async fn events(&self, id: &str, execution: u64) -> Result<Vec<duroxide::Event>, String> {
        check_id(id)?;
        self.inner.read_execution_history(id, execution).await.map_err(|e| failed("readExecutionHistory", id, e))
    }

    /// Every execution of an instance, oldest first, with its events.
    pub async fn all_events(&self, id: &str) -> Result<Vec<(u64, Vec<duroxide::Event>)>, String> {
        let mut executions = self.executions(id).await?;
        executions.sort_unstable();
        let mut all = Vec::with_capacity(executions.len());
        for execution in executions {
            all.push((execution, self.events(id, execution).await?));
        }
        Ok(all)
    }

    pub async fn tree(&self, id: &str) -> Result<Tree, String> {
        check_id(id)?;
        Ok(self.inner.get_instance_tree(id).await.map_err(|e| failed("getInstanceTree", id, e))?.into())
    }

    pub async fn delete(&self, id: &str, force: bool) -> Result<Deleted, String> {
        check_id(id)?;
        Ok(self.inner.delete_instance(id, force).await.map_err(|e| failed("deleteInstance", id, e))?.into())
    }

    pub async fn delete_bulk(&self, filter: Filter) -> Result<Deleted, String> {
        Ok(self.inner.delete_instance_bulk(filter.into()).await.map_err(management("deleteInstanceBulk"))?.into())
    }

    pub async fn prune(&self, id: &str, options: Prune) -> Result<Pruned, String> {
        check_id(id)?;
        Ok(self.inner.prune_executions(id, options.into()).await.map_err(|e| failed("pruneExecutions", id, e))?.into())
    }

    pub async fn prune_bulk(&self, filter: Filter, options: Prune) -> Result<Pruned, String> {
        let pruned = self.inner.prune_executions_bulk(filter.into(), options.into()).await;
        Ok(pruned.map_err(management("pruneExecutionsBulk"))?.into())
    }
}
