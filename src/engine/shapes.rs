//! What the client answers, in the SDK's shapes: the one definition of the
//! JSON that JavaScript receives and `--json` prints. Payloads (outputs,
//! event data) stay JSON text here; readers parse them where they show them.

use duroxide::providers::{
    DeleteInstanceResult, ExecutionInfo, InstanceFilter, InstanceInfo, InstanceTree, PruneOptions, PruneResult,
    QueueDepths, SystemMetrics,
};
use duroxide::{OrchestrationStatus, SystemStats};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::store::{InFlight, QueuedStart};

/// `{status, output?, error?, customStatus?, customStatusVersion}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// `NotFound`, `Running`, `Completed` or `Failed` (or `Pending`, see [`Status::pending`]).
    pub status: String,
    /// JSON text of the result, when Completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_status: Option<String>,
    pub custom_status_version: u64,
    /// For `Pending` (the command line's view only): the start waiting in the queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queued: Option<QueuedStart>,
}

impl Status {
    /// A start no worker has taken yet: the instance does not exist before one does.
    pub fn pending(start: QueuedStart) -> Status {
        Status {
            status: "Pending".into(),
            output: None,
            error: None,
            custom_status: None,
            custom_status_version: 0,
            queued: Some(start),
        }
    }

    pub fn is_found(&self) -> bool {
        self.status != "NotFound"
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self.status.as_str(), "Completed" | "Failed")
    }

    pub fn is_failed(&self) -> bool {
        self.status == "Failed"
    }
}

impl From<OrchestrationStatus> for Status {
    fn from(status: OrchestrationStatus) -> Status {
        let plain = |name: &str| Status {
            status: name.to_string(),
            output: None,
            error: None,
            custom_status: None,
            custom_status_version: 0,
            queued: None,
        };
        match status {
            OrchestrationStatus::NotFound => plain("NotFound"),
            OrchestrationStatus::Running { custom_status, custom_status_version } => {
                Status { custom_status, custom_status_version, ..plain("Running") }
            }
            OrchestrationStatus::Completed { output, custom_status, custom_status_version } => {
                Status { output: Some(output), custom_status, custom_status_version, ..plain("Completed") }
            }
            OrchestrationStatus::Failed { details, custom_status, custom_status_version } => Status {
                error: Some(details.display_message()),
                custom_status,
                custom_status_version,
                ..plain("Failed")
            },
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Instance {
    pub instance_id: String,
    pub orchestration_name: String,
    pub orchestration_version: String,
    pub current_execution_id: u64,
    pub status: String,
    /// JSON text of the output, or the error.
    pub output: Option<String>,
    pub created_at: u64,
    pub updated_at: u64,
    pub parent_instance_id: Option<String>,
}

impl From<InstanceInfo> for Instance {
    fn from(i: InstanceInfo) -> Instance {
        Instance {
            instance_id: i.instance_id,
            orchestration_name: i.orchestration_name,
            orchestration_version: i.orchestration_version,
            current_execution_id: i.current_execution_id,
            status: i.status,
            output: i.output,
            created_at: i.created_at,
            updated_at: i.updated_at,
            parent_instance_id: i.parent_instance_id,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Execution {
    pub execution_id: u64,
    pub status: String,
    pub output: Option<String>,
    pub started_at: u64,
    pub completed_at: Option<u64>,
    pub event_count: usize,
}

impl From<ExecutionInfo> for Execution {
    fn from(e: ExecutionInfo) -> Execution {
        Execution {
            execution_id: e.execution_id,
            status: e.status,
            output: e.output,
            started_at: e.started_at,
            completed_at: e.completed_at,
            event_count: e.event_count,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    pub total_instances: u64,
    pub total_executions: u64,
    pub running_instances: u64,
    pub completed_instances: u64,
    pub failed_instances: u64,
    pub total_events: u64,
}

impl From<SystemMetrics> for Metrics {
    fn from(m: SystemMetrics) -> Metrics {
        Metrics {
            total_instances: m.total_instances,
            total_executions: m.total_executions,
            running_instances: m.running_instances,
            completed_instances: m.completed_instances,
            failed_instances: m.failed_instances,
            total_events: m.total_events,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Queues {
    pub orchestrator_queue: usize,
    pub worker_queue: usize,
    pub timer_queue: usize,
}

impl From<QueueDepths> for Queues {
    fn from(d: QueueDepths) -> Queues {
        Queues { orchestrator_queue: d.orchestrator_queue, worker_queue: d.worker_queue, timer_queue: d.timer_queue }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub history_event_count: u64,
    pub history_size_bytes: u64,
    pub queue_pending_count: u64,
    pub kv_user_key_count: u64,
    pub kv_total_value_bytes: u64,
}

impl From<SystemStats> for Stats {
    fn from(s: SystemStats) -> Stats {
        Stats {
            history_event_count: s.history_event_count,
            history_size_bytes: s.history_size_bytes,
            queue_pending_count: s.queue_pending_count,
            kv_user_key_count: s.kv_user_key_count,
            kv_total_value_bytes: s.kv_total_value_bytes,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tree {
    pub root_id: String,
    pub all_ids: Vec<String>,
    pub size: usize,
}

impl From<InstanceTree> for Tree {
    fn from(t: InstanceTree) -> Tree {
        let size = t.size();
        Tree { root_id: t.root_id, all_ids: t.all_ids, size }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deleted {
    pub instances_deleted: u64,
    pub executions_deleted: u64,
    pub events_deleted: u64,
    pub queue_messages_deleted: u64,
}

impl From<DeleteInstanceResult> for Deleted {
    fn from(r: DeleteInstanceResult) -> Deleted {
        Deleted {
            instances_deleted: r.instances_deleted,
            executions_deleted: r.executions_deleted,
            events_deleted: r.events_deleted,
            queue_messages_deleted: r.queue_messages_deleted,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pruned {
    pub instances_processed: u64,
    pub executions_deleted: u64,
    pub events_deleted: u64,
}

impl From<PruneResult> for Pruned {
    fn from(r: PruneResult) -> Pruned {
        Pruned {
            instances_processed: r.instances_processed,
            executions_deleted: r.executions_deleted,
            events_deleted: r.events_deleted,
        }
    }
}

/// `{instanceIds?, completedBefore?, limit?}`
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    pub instance_ids: Option<Vec<String>>,
    pub completed_before: Option<u64>,
    pub limit: Option<u32>,
}

impl From<Filter> for InstanceFilter {
    fn from(f: Filter) -> InstanceFilter {
        InstanceFilter { instance_ids: f.instance_ids, completed_before: f.completed_before, limit: f.limit }
    }
}

/// `{keepLast?, completedBefore?}`
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Prune {
    pub keep_last: Option<u32>,
    pub completed_before: Option<u64>,
}

impl From<Prune> for PruneOptions {
    fn from(p: Prune) -> PruneOptions {
        PruneOptions { keep_last: p.keep_last, completed_before: p.completed_before }
    }
}

/// JSON when the text is JSON, the text itself otherwise (events raised by
/// other clients may carry plain text).
pub fn parse_loose(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}
