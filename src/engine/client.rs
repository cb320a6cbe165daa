//! Client calls from JS: one entry point that maps a method name and its
//! JSON arguments onto duroxide's `Client`.

use std::time::Duration;

use duroxide::providers::{DeleteInstanceResult, InstanceFilter, PruneOptions, PruneResult};
use duroxide::{Client, ClientError, OrchestrationStatus, ProviderRef};
use serde_json::{json, Value};

/// Client methods that go straight to the provider's admin side, past the
/// store gate; the gate is taken around them here instead.
const ADMIN_METHODS: &[&str] = &[
    "listAllInstances", "listInstancesByStatus", "getInstanceInfo", "getExecutionInfo", "listExecutions",
    "readExecutionHistory", "getSystemMetrics", "getQueueDepths", "getInstanceTree", "deleteInstance",
    "deleteInstanceBulk", "pruneExecutions", "pruneExecutionsBulk",
];

pub async fn call(store: ProviderRef, method: &str, args: &[Value]) -> Result<Value, String> {
    let gate_owner = store.clone();
    let _gate = match super::host_store::of(&gate_owner) {
        Some(host) if ADMIN_METHODS.contains(&method) => host.enter().await,
        _ => None,
    };
    let client = Client::new(store);
    let a = Args(args);
    match method {
        "startOrchestration" => {
            let (id, name) = (a.id(0)?, a.str(1, "orchestration name")?);
            client.start_orchestration(id, name, a.str(2, "input")?).await.map_err(|e| start_error(id, e))?;
            Ok(Value::Null)
        }
        "startOrchestrationVersioned" => {
            let (id, name) = (a.id(0)?, a.str(1, "orchestration name")?);
            let version = a.str(3, "version")?;
            semver::Version::parse(version)
                .map_err(|e| format!("version '{version}' is not a semantic version like 1.2.0 ({e})"))?;
            client
                .start_orchestration_versioned(id, name, version, a.str(2, "input")?)
                .await
                .map_err(|e| start_error(id, e))?;
            Ok(Value::Null)
        }
        "getStatus" => {
            let id = a.id(0)?;
            let status = client.get_orchestration_status(id).await.map_err(|e| failed("getStatus", id, e))?;
            Ok(status_json(status))
        }
        "waitForOrchestration" => {
            let id = a.id(0)?;
            let timeout = a.millis(1, 30_000)?;
            let waited_for = match super::host_store::of(&gate_owner).filter(|h| h.wakes()) {
                Some(host) => wait_with_wake_ups(&client, host, id, timeout).await,
                None => client.wait_for_orchestration(id, timeout).await,
            };
            let status = waited(waited_for, "waitForOrchestration", id, || {
                format!("timed out after {} ms waiting for orchestration '{id}' to finish", timeout.as_millis())
            })?;
            Ok(status_json(status))
        }
        "raiseEvent" => {
            let id = a.id(0)?;
            client
                .raise_event(id, a.str(1, "event name")?, a.str(2, "data")?)
                .await
                .map_err(|e| failed("raiseEvent", id, e))?;
            Ok(Value::Null)
        }
        "enqueueEvent" => {
            let id = a.id(0)?;
            client
                .enqueue_event(id, a.str(1, "queue name")?, a.str(2, "data")?)
                .await
                .map_err(|e| failed("enqueueEvent", id, e))?;
            Ok(Value::Null)
        }
        "cancelInstance" => {
            let id = a.id(0)?;
            let reason = a.0.get(1).and_then(Value::as_str).unwrap_or("cancelled").to_string();
            client.cancel_instance(id, reason).await.map_err(|e| failed("cancelInstance", id, e))?;
            Ok(Value::Null)
        }
        "waitForStatusChange" => {
            let id = a.id(0)?;
            let last_seen = a.count(1)?.unwrap_or(0);
            let poll = a.millis(2, 500)?;
            let timeout = a.millis(3, 30_000)?;
            let status = waited(client.wait_for_status_change(id, last_seen, poll, timeout).await, "waitForStatusChange", id, || {
                format!(
                    "timed out after {} ms waiting for the custom status of '{id}' to change from version {last_seen}",
                    timeout.as_millis()
                )
            })?;
            Ok(status_json(status))
        }
        "getValue" => {
            let id = a.id(0)?;
            let value = client.get_kv_value(id, a.str(1, "key")?).await.map_err(|e| failed("getValue", id, e))?;
            Ok(value.map(Value::String).unwrap_or(Value::Null))
        }
        "waitForValue" => {
            let (id, key) = (a.id(0)?, a.str(1, "key")?);
            let timeout = a.millis(2, 30_000)?;
            let value = waited(client.wait_for_kv_value(id, key, timeout).await, "waitForValue", id, || {
                format!("timed out after {} ms waiting for value '{key}' on instance '{id}'", timeout.as_millis())
            })?;
            Ok(Value::String(value))
        }
        "getKvAllValues" => {
            let id = a.id(0)?;
            let values = client.get_kv_all_values(id).await.map_err(|e| failed("getKvAllValues", id, e))?;
            let mut sorted: Vec<(String, String)> = values.into_iter().collect();
            sorted.sort();
            Ok(Value::Object(sorted.into_iter().map(|(k, v)| (k, Value::String(v))).collect()))
        }
        "getSystemMetrics" => {
            let m = client.get_system_metrics().await.map_err(management("getSystemMetrics"))?;
            Ok(json!({
                "totalInstances": m.total_instances, "totalExecutions": m.total_executions,
                "runningInstances": m.running_instances, "completedInstances": m.completed_instances,
                "failedInstances": m.failed_instances, "totalEvents": m.total_events,
            }))
        }
        "getQueueDepths" => {
            let d = client.get_queue_depths().await.map_err(management("getQueueDepths"))?;
            Ok(json!({"orchestratorQueue": d.orchestrator_queue, "workerQueue": d.worker_queue, "timerQueue": d.timer_queue}))
        }
        "getOrchestrationStats" => {
            let id = a.id(0)?;
            let stats = client.get_orchestration_stats(id).await.map_err(|e| failed("getOrchestrationStats", id, e))?;
            Ok(stats.map_or(Value::Null, |s| {
                json!({
                    "historyEventCount": s.history_event_count, "historySizeBytes": s.history_size_bytes,
                    "queuePendingCount": s.queue_pending_count, "kvUserKeyCount": s.kv_user_key_count,
                    "kvTotalValueBytes": s.kv_total_value_bytes,
                })
            }))
        }
        "listAllInstances" => Ok(json!(client.list_all_instances().await.map_err(management("listAllInstances"))?)),
        "listInstancesByStatus" => {
            let status = a.str(0, "status")?;
            Ok(json!(client.list_instances_by_status(status).await.map_err(management("listInstancesByStatus"))?))
        }
        "getInstanceInfo" => {
            let id = a.id(0)?;
            let i = client.get_instance_info(id).await.map_err(|e| failed("getInstanceInfo", id, e))?;
            Ok(json!({
                "instanceId": i.instance_id, "orchestrationName": i.orchestration_name,
                "orchestrationVersion": i.orchestration_version, "currentExecutionId": i.current_execution_id,
                "status": i.status, "output": i.output, "createdAt": i.created_at, "updatedAt": i.updated_at,
                "parentInstanceId": i.parent_instance_id,
            }))
        }
        "getExecutionInfo" => {
            let id = a.id(0)?;
            let execution = a.count(1)?.ok_or("executionId must be a number")?;
            let e = client.get_execution_info(id, execution).await.map_err(|e| failed("getExecutionInfo", id, e))?;
            Ok(json!({
                "executionId": e.execution_id, "status": e.status, "output": e.output, "startedAt": e.started_at,
                "completedAt": e.completed_at, "eventCount": e.event_count,
            }))
        }
        "listExecutions" => {
            let id = a.id(0)?;
            Ok(json!(client.list_executions(id).await.map_err(|e| failed("listExecutions", id, e))?))
        }
        "readExecutionHistory" => {
            let id = a.id(0)?;
            let execution = a.count(1)?.ok_or("executionId must be a number")?;
            let events = client.read_execution_history(id, execution).await.map_err(|e| failed("readExecutionHistory", id, e))?;
            Ok(Value::Array(events.iter().map(super::history::event_json).collect()))
        }
        "getInstanceTree" => {
            let id = a.id(0)?;
            let tree = client.get_instance_tree(id).await.map_err(|e| failed("getInstanceTree", id, e))?;
            let size = tree.size();
            Ok(json!({"rootId": tree.root_id, "allIds": tree.all_ids, "size": size}))
        }
        "deleteInstance" => {
            let id = a.id(0)?;
            let force = a.0.get(1).and_then(Value::as_bool).unwrap_or(false);
            let r = client.delete_instance(id, force).await.map_err(|e| failed("deleteInstance", id, e))?;
            Ok(delete_json(r))
        }
        "deleteInstanceBulk" => {
            let r = client.delete_instance_bulk(a.filter(0)?).await.map_err(management("deleteInstanceBulk"))?;
            Ok(delete_json(r))
        }
        "pruneExecutions" => {
            let id = a.id(0)?;
            let r = client.prune_executions(id, a.prune(1)?).await.map_err(|e| failed("pruneExecutions", id, e))?;
            Ok(prune_json(r))
        }
        "pruneExecutionsBulk" => {
            let r = client.prune_executions_bulk(a.filter(0)?, a.prune(1)?).await.map_err(management("pruneExecutionsBulk"))?;
            Ok(prune_json(r))
        }
        other => Err(format!("unknown client method '{other}'")),
    }
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

/// Like duroxide's wait, but returns as soon as this process stores the
/// instance's completion or failure instead of polling on a back-off.
async fn wait_with_wake_ups(
    client: &Client,
    host: &super::host_store::HostStore,
    id: &str,
    timeout: Duration,
) -> Result<OrchestrationStatus, ClientError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let watch = host.watch_end(id);
    let mut check_every = CROSS_PROCESS_CHECK;
    if host.started_here(id) {
        let _ = tokio::time::timeout(FIRST_LOOK_AFTER.min(timeout), watch.signal().notified()).await;
    }
    loop {
        let ended = watch.signal().notified();
        tokio::pin!(ended);
        ended.as_mut().enable();
        let status = client.get_orchestration_status(id).await?;
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

fn management(what: &'static str) -> impl Fn(ClientError) -> String {
    move |e| format!("{what} failed: {e}")
}

fn delete_json(r: DeleteInstanceResult) -> Value {
    json!({
        "instancesDeleted": r.instances_deleted, "executionsDeleted": r.executions_deleted,
        "eventsDeleted": r.events_deleted, "queueMessagesDeleted": r.queue_messages_deleted,
    })
}

fn prune_json(r: PruneResult) -> Value {
    json!({"instancesProcessed": r.instances_processed, "executionsDeleted": r.executions_deleted, "eventsDeleted": r.events_deleted})
}

struct Args<'a>(&'a [Value]);

impl<'a> Args<'a> {
    fn str(&self, i: usize, what: &str) -> Result<&'a str, String> {
        self.0
            .get(i)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{what} must be a string"))
    }

    fn id(&self, i: usize) -> Result<&'a str, String> {
        let id = self.str(i, "instance id")?;
        if id.is_empty() {
            return Err("instance id must not be empty".into());
        }
        Ok(id)
    }

    fn count(&self, i: usize) -> Result<Option<u64>, String> {
        match self.0.get(i) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_f64()
                .filter(|n| *n >= 0.0 && n.fract() == 0.0)
                .map(|n| Some(n as u64))
                .ok_or_else(|| format!("expected a non-negative integer, got {v}")),
        }
    }

    fn object(&self, i: usize) -> Result<serde_json::Map<String, Value>, String> {
        match self.0.get(i) {
            None | Some(Value::Null) => Ok(Default::default()),
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(v) => Err(format!("expected an options object, got {v}")),
        }
    }

    /// `{instanceIds?, completedBefore?, limit?}`
    fn filter(&self, i: usize) -> Result<InstanceFilter, String> {
        let m = self.object(i)?;
        let ids = match m.get("instanceIds") {
            None | Some(Value::Null) => None,
            Some(Value::Array(ids)) => Some(
                ids.iter()
                    .map(|v| v.as_str().map(String::from).ok_or("instanceIds must be strings"))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(_) => return Err("instanceIds must be an array of strings".into()),
        };
        let at = |key: &str| -> Result<Option<u64>, String> {
            m.get(key).map_or(Ok(None), |v| Args(std::slice::from_ref(v)).count(0))
        };
        Ok(InstanceFilter { instance_ids: ids, completed_before: at("completedBefore")?, limit: at("limit")?.map(|n| n as u32) })
    }

    /// `{keepLast?, completedBefore?}`
    fn prune(&self, i: usize) -> Result<PruneOptions, String> {
        let m = self.object(i)?;
        let at = |key: &str| -> Result<Option<u64>, String> {
            m.get(key).map_or(Ok(None), |v| Args(std::slice::from_ref(v)).count(0))
        };
        Ok(PruneOptions { keep_last: at("keepLast")?.map(|n| n as u32), completed_before: at("completedBefore")? })
    }

    fn millis(&self, i: usize, default: u64) -> Result<Duration, String> {
        match self.0.get(i) {
            None | Some(Value::Null) => Ok(Duration::from_millis(default)),
            Some(v) => v
                .as_f64()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .map(|n| Duration::from_millis(n as u64))
                .ok_or_else(|| format!("timeout must be a non-negative number of milliseconds, got {v}")),
        }
    }
}

/// A waiting call's result; a timeout gets its own message.
fn waited<T>(result: Result<T, ClientError>, method: &str, id: &str, on_timeout: impl FnOnce() -> String) -> Result<T, String> {
    match result {
        Ok(value) => Ok(value),
        Err(ClientError::Timeout) => Err(on_timeout()),
        Err(e) => Err(failed(method, id, e)),
    }
}

fn start_error(id: &str, e: ClientError) -> String {
    format!("cannot start orchestration '{id}': {e}")
}

fn failed(what: &str, id: &str, e: ClientError) -> String {
    format!("{what}('{id}') failed: {e}")
}

/// `{status, output?, error?, customStatus?, customStatusVersion}`; output is
/// still JSON text here, the JS side parses it.
pub fn status_json(status: OrchestrationStatus) -> Value {
    match status {
        OrchestrationStatus::NotFound => json!({ "status": "NotFound", "customStatusVersion": 0 }),
        OrchestrationStatus::Running { custom_status, custom_status_version } => {
            with_custom(json!({ "status": "Running" }), custom_status, custom_status_version)
        }
        OrchestrationStatus::Completed { output, custom_status, custom_status_version } => {
            with_custom(json!({ "status": "Completed", "output": output }), custom_status, custom_status_version)
        }
        OrchestrationStatus::Failed { details, custom_status, custom_status_version } => with_custom(
            json!({ "status": "Failed", "error": details.display_message() }),
            custom_status,
            custom_status_version,
        ),
    }
}

fn with_custom(mut v: Value, custom_status: Option<String>, version: u64) -> Value {
    if let Some(s) = custom_status {
        v["customStatus"] = Value::String(s);
    }
    v["customStatusVersion"] = json!(version);
    v
}
