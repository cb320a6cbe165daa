//! The JSON documents the command line's `--json` prints and the HTTP API
//! answers with, built in one place so both say the same thing.

use serde::Serialize;
use serde_json::{json, Value};

use super::client::Client;
use super::history::HistoryEvent;
use super::shapes::{parse_loose, QueuedStart, Status};

/// Why a document could not be built: the instance (or execution) is not
/// there, or the store could not be read.
#[derive(Debug, PartialEq)]
pub enum Lookup {
    Missing(String),
    Failed(String),
}

impl Lookup {
    pub fn message(&self) -> &str {
        match self {
            Lookup::Missing(m) | Lookup::Failed(m) => m,
        }
    }
}

/// A status, instance or execution as JSON, its `output` parsed from the
/// JSON text it is stored as, as the JS API returns it.
pub fn with_parsed_output<T: Serialize>(answer: &T) -> Value {
    let mut value = serde_json::to_value(answer).unwrap_or_default();
    if let Some(Value::String(raw)) = value.get("output") {
        value["output"] = parse_loose(raw);
    }
    value
}

/// `{instanceId, status, output?, ...}` with the output parsed.
pub fn status_json(id: &str, status: &Status) -> Value {
    let mut v = json!({ "instanceId": id });
    if let (Some(target), Value::Object(source)) = (v.as_object_mut(), with_parsed_output(status)) {
        target.extend(source);
    }
    v
}

/// The instance's status, `Pending` while its start waits for a worker.
pub async fn found_status(client: &Client, id: &str) -> Result<Status, Lookup> {
    let status = client.status_or_pending(id).await.map_err(Lookup::Failed)?;
    if !status.is_found() {
        return Err(Lookup::Missing(format!("instance '{id}' not found")));
    }
    Ok(status)
}

/// What a pending start is waiting for.
pub fn queued_note(start: &QueuedStart) -> String {
    match start.attempts {
        0 => "waiting for a worker to take the start".to_string(),
        n => format!("taken by a worker {n} time(s) and put back: is orchestration '{}' registered on a worker?", start.orchestration_name),
    }
}

/// The status of an instance that has a history (a pending start has none yet).
pub async fn started_status(client: &Client, id: &str) -> Result<Status, Lookup> {
    let status = found_status(client, id).await?;
    match &status.queued {
        Some(start) => Err(Lookup::Missing(format!("instance '{id}' has not started yet: {}", queued_note(start)))),
        None => Ok(status),
    }
}

/// `duroxide status ID --json`: the status, and the orchestration and execution once a worker took the start.
pub async fn status_document(client: &Client, id: &str) -> Result<(Status, Value), Lookup> {
    let status = found_status(client, id).await?;
    let mut document = status_json(id, &status);
    if status.queued.is_none() {
        if let Ok(info) = client.instance(id).await {
            document["orchestrationName"] = info.orchestration_name.into();
            document["orchestrationVersion"] = info.orchestration_version.into();
            document["executionId"] = info.current_execution_id.into();
        }
    }
    Ok((status, document))
}

/// An execution's events (the latest execution unless `execution` says which), with its number.
pub async fn history(client: &Client, id: &str, execution: Option<u64>) -> Result<(u64, Vec<HistoryEvent>), Lookup> {
    started_status(client, id).await?;
    let execution = match execution {
        Some(n) => n,
        None => client.executions(id).await.map_err(Lookup::Failed)?.into_iter().max().unwrap_or(1),
    };
    Ok((execution, execution_history(client, id, execution).await?))
}

/// The events of execution `execution` of an instance known to have started.
pub async fn execution_history(client: &Client, id: &str, execution: u64) -> Result<Vec<HistoryEvent>, Lookup> {
    let events = client.history(id, execution).await.map_err(|e| Lookup::Failed(format!("execution {execution} of '{id}': {e}")))?;
    if events.is_empty() {
        return Err(Lookup::Missing(format!("instance '{id}' has no execution {execution}")));
    }
    Ok(events)
}
