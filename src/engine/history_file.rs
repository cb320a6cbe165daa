//! Histories written by `duroxide history ID --json [--all-executions]` (or
//! read in JS with `readExecutionHistory`) turned back into duroxide's events,
//! for replays away from the store. Payloads come back as the JSON text the
//! SDK writes (compact, keys in their order); failures as their message, which
//! is all an orchestration ever sees of them.

use std::collections::HashSet;

use duroxide::{AppErrorKind, ConfigErrorKind, ErrorDetails, Event, EventKind};
use serde::Serialize;
use serde_json::Value;

use super::history::HistoryEvent;

/// One execution's events, the unit a replay works on.
#[derive(Debug)]
pub struct ExecutionHistory {
    pub instance: String,
    pub execution: u64,
    pub events: Vec<Event>,
}

/// `history --json --all-executions`: an instance with every execution.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceDocument {
    pub instance_id: String,
    pub executions: Vec<ExecutionDocument>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionDocument {
    pub execution_id: u64,
    /// The duroxide version that started the execution: it pins replay rules (race cancellation).
    pub duroxide_version: String,
    pub events: Vec<HistoryEvent>,
}

impl InstanceDocument {
    pub fn new(instance: &str, executions: Vec<(u64, Vec<Event>)>) -> InstanceDocument {
        let executions = executions
            .into_iter()
            .map(|(execution_id, events)| ExecutionDocument {
                execution_id,
                duroxide_version: events.first().map(|e| e.duroxide_version.clone()).unwrap_or_default(),
                events: events.iter().map(HistoryEvent::from).collect(),
            })
            .collect();
        InstanceDocument { instance_id: instance.to_string(), executions }
    }
}

/// What the caller knows of a bare event array, which names neither its
/// instance nor its execution.
pub struct BareEvents<'a> {
    pub instance: &'a str,
    pub execution: u64,
}

/// Accepts an instance document, an array of them, or one execution's bare event array.
pub fn parse(document: &Value, bare: &BareEvents) -> Result<Vec<ExecutionHistory>, String> {
    let histories = match document {
        Value::Array(items) if items.first().is_some_and(|i| i.get("instanceId").is_some()) => {
            let mut all = Vec::new();
            for item in items {
                all.extend(instance_document(item)?);
            }
            all
        }
        Value::Array(events) => vec![execution(bare.instance, bare.execution, None, events)?],
        Value::Object(_) if document.get("executions").is_some() => instance_document(document)?,
        _ => {
            return Err("a history is the output of `duroxide history ID --json` (an array of events) or of `--all-executions` \
                        (an object with instanceId and executions)"
                .to_string())
        }
    };
    if histories.iter().all(|h| h.events.is_empty()) {
        return Err("the history holds no events".to_string());
    }
    Ok(histories)
}

fn instance_document(document: &Value) -> Result<Vec<ExecutionHistory>, String> {
    let instance = document["instanceId"].as_str().ok_or("the history names no instanceId")?;
    let executions = document["executions"].as_array().ok_or_else(|| format!("the history of '{instance}' has no executions array"))?;
    executions
        .iter()
        .map(|e| {
            let id = e["executionId"].as_u64().ok_or_else(|| format!("an execution of '{instance}' has no executionId"))?;
            let events = e["events"].as_array().ok_or_else(|| format!("execution {id} of '{instance}' has no events array"))?;
            execution(instance, id, e["duroxideVersion"].as_str(), events)
        })
        .collect()
}

/// duroxide's own activities (ctx.utcNow, ctx.newGuid...) take plain text, not JSON.
const SYSCALL_PREFIX: &str = "__duroxide_syscall:";
/// Those of them that also answer plain text (a GUID; a number reads the same either way).
const PLAIN_ANSWERS: [&str; 2] = ["__duroxide_syscall:new_guid", "__duroxide_syscall:utc_now_ms"];

fn execution(instance: &str, execution: u64, version: Option<&str>, events: &[Value]) -> Result<ExecutionHistory, String> {
    let mut parsed = Vec::with_capacity(events.len());
    let mut syscalls = HashSet::new();
    for (n, value) in events.iter().enumerate() {
        let (mut event, data) =
            event(instance, execution, value).map_err(|e| format!("event {} of '{instance}' execution {execution}: {e}", n + 1))?;
        if let Some(version) = version.filter(|v| !v.is_empty()) {
            event.duroxide_version = version.to_string();
        }
        match &mut event.kind {
            EventKind::ActivityScheduled { name, input, .. } if name.starts_with(SYSCALL_PREFIX) => {
                if PLAIN_ANSWERS.contains(&name.as_str()) {
                    syscalls.insert(event.event_id);
                }
                *input = plain(&data["input"]);
            }
            EventKind::ActivityCompleted { result } if event.source_event_id.is_some_and(|s| syscalls.contains(&s)) => {
                *result = plain(&data);
            }
            _ => {}
        }
        parsed.push(event);
    }
    Ok(ExecutionHistory { instance: instance.to_string(), execution, events: parsed })
}

/// The event and its payload.
fn event(instance: &str, execution: u64, value: &Value) -> Result<(Event, Value), String> {
    let kind_name = value["kind"].as_str().ok_or("it has no kind")?;
    let event_id = value["eventId"].as_u64().ok_or("it has no eventId")?;
    let data: Value = match &value["data"] {
        Value::String(text) => serde_json::from_str(text).map_err(|e| format!("its data is not JSON: {e}"))?,
        other => other.clone(),
    };
    let mut event = Event::with_event_id(event_id, instance, execution, value["sourceEventId"].as_u64(), kind(kind_name, &data)?);
    event.timestamp_ms = value["timestampMs"].as_u64().unwrap_or(0);
    if let EventKind::KeyValueSet { last_updated_at_ms, .. } = &mut event.kind {
        *last_updated_at_ms = event.timestamp_ms;
    }
    Ok((event, data))
}

/// Text that was stored as is (history shows text that is not JSON as a string).
fn plain(value: &Value) -> String {
    value.as_str().map(str::to_string).unwrap_or_else(|| text(value))
}

/// JSON text as the SDK writes it.
fn text(value: &Value) -> String {
    value.to_string()
}

fn string(data: &Value, key: &str) -> String {
    data[key].as_str().unwrap_or_default().to_string()
}

fn optional(data: &Value, key: &str) -> Option<String> {
    data[key].as_str().map(str::to_string)
}

/// What the code saw of a failure: its message.
fn failure(data: &Value) -> ErrorDetails {
    let message = string(data, "error");
    ErrorDetails::Application { kind: AppErrorKind::ActivityFailed, message, retryable: false }
}

/// An orchestration's own end, sorted back into the kinds that matter to a
/// replay: cancelled, nondeterministic, a system failure, or the code's own.
fn orchestration_failure(data: &Value) -> ErrorDetails {
    let message = string(data, "error");
    if let Some(reason) = message.strip_prefix("canceled: ") {
        return ErrorDetails::Application { kind: AppErrorKind::Cancelled { reason: reason.to_string() }, message, retryable: false };
    }
    if let Some(rest) = message.strip_prefix("nondeterministic") {
        let text = rest.trim_start_matches(':').trim_start().to_string();
        return ErrorDetails::Configuration { kind: ConfigErrorKind::Nondeterminism, resource: String::new(), message: Some(text) };
    }
    if message.starts_with("poison:") || message.starts_with("infrastructure:") {
        return ErrorDetails::Infrastructure { operation: "replay".into(), message, retryable: false };
    }
    ErrorDetails::Application { kind: AppErrorKind::OrchestrationFailed, message, retryable: false }
}

fn kind(name: &str, data: &Value) -> Result<EventKind, String> {
    let reason = || string(data, "reason");
    Ok(match name {
        "OrchestrationStarted" => EventKind::OrchestrationStarted {
            name: string(data, "name"),
            version: string(data, "version"),
            input: text(&data["input"]),
            parent_instance: None,
            parent_id: None,
            parent_execution_id: None,
            carry_forward_events: None,
            initial_custom_status: optional(data, "initialCustomStatus"),
        },
        "OrchestrationCompleted" => EventKind::OrchestrationCompleted { output: text(data) },
        "OrchestrationFailed" => EventKind::OrchestrationFailed { details: orchestration_failure(data) },
        "ActivityScheduled" => EventKind::ActivityScheduled {
            name: string(data, "name"),
            input: text(&data["input"]),
            session_id: optional(data, "sessionId"),
            tag: optional(data, "tag"),
        },
        "ActivityCompleted" => EventKind::ActivityCompleted { result: text(data) },
        "ActivityFailed" => EventKind::ActivityFailed { details: failure(data) },
        "ActivityCancelRequested" => EventKind::ActivityCancelRequested { reason: reason() },
        "TimerCreated" => EventKind::TimerCreated { fire_at_ms: data["fireAtMs"].as_u64().unwrap_or(0) },
        "TimerFired" => EventKind::TimerFired { fire_at_ms: data["fireAtMs"].as_u64().unwrap_or(0) },
        "ExternalSubscribed" => EventKind::ExternalSubscribed { name: string(data, "name") },
        "ExternalEvent" => EventKind::ExternalEvent { name: string(data, "name"), data: text(&data["data"]) },
        "OrchestrationChained" => {
            EventKind::OrchestrationChained { name: string(data, "name"), instance: string(data, "instance"), input: text(&data["input"]) }
        }
        "SubOrchestrationScheduled" => EventKind::SubOrchestrationScheduled {
            name: string(data, "name"),
            instance: string(data, "instance"),
            input: text(&data["input"]),
        },
        "SubOrchestrationCompleted" => EventKind::SubOrchestrationCompleted { result: text(data) },
        "SubOrchestrationFailed" => EventKind::SubOrchestrationFailed { details: failure(data) },
        "SubOrchestrationCancelRequested" => EventKind::SubOrchestrationCancelRequested { reason: reason() },
        "OrchestrationContinuedAsNew" => EventKind::OrchestrationContinuedAsNew { input: text(&data["input"]) },
        "OrchestrationCancelRequested" => EventKind::OrchestrationCancelRequested { reason: reason() },
        "ExternalSubscribedCancelled" => EventKind::ExternalSubscribedCancelled { reason: reason() },
        "QueueSubscribed" => EventKind::QueueSubscribed { name: string(data, "name") },
        "QueueEventDelivered" => EventKind::QueueEventDelivered { name: string(data, "name"), data: text(&data["data"]) },
        "QueueSubscriptionCancelled" => EventKind::QueueSubscriptionCancelled { reason: reason() },
        "CustomStatusUpdated" => EventKind::CustomStatusUpdated { status: optional(data, "status") },
        "KeyValueSet" => EventKind::KeyValueSet { key: string(data, "key"), value: string(data, "value"), last_updated_at_ms: 0 },
        "KeyValueCleared" => EventKind::KeyValueCleared { key: string(data, "key") },
        "KeyValuesCleared" => EventKind::KeyValuesCleared,
        other => return Err(format!("unknown kind '{other}'")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document_value(instance: &str, executions: Vec<(u64, Vec<Event>)>) -> Value {
        json!(InstanceDocument::new(instance, executions))
    }

    fn sample(instance: &str) -> Vec<Event> {
        let kinds = vec![
            (
                None,
                EventKind::OrchestrationStarted {
                    name: "Order".into(),
                    version: "1.0.0".into(),
                    input: r#"{"id":7,"items":["b","a"]}"#.into(),
                    parent_instance: None,
                    parent_id: None,
                    parent_execution_id: None,
                    carry_forward_events: None,
                    initial_custom_status: None,
                },
            ),
            (
                None,
                EventKind::ActivityScheduled {
                    name: "Charge".into(),
                    input: r#"{"z":1,"a":2.5}"#.into(),
                    session_id: None,
                    tag: Some("gpu".into()),
                },
            ),
            (
                Some(2),
                EventKind::ActivityFailed {
                    details: ErrorDetails::Application {
                        kind: AppErrorKind::ActivityFailed,
                        message: "card declined".into(),
                        retryable: false,
                    },
                },
            ),
            (None, EventKind::TimerCreated { fire_at_ms: 1_700_000_000_000 }),
            (Some(4), EventKind::TimerFired { fire_at_ms: 1_700_000_000_000 }),
            (None, EventKind::ExternalSubscribed { name: "Approval".into() }),
            (None, EventKind::ExternalEvent { name: "Approval".into(), data: r#"{"ok":true}"#.into() }),
            (None, EventKind::QueueSubscribed { name: "orders".into() }),
            (None, EventKind::QueueEventDelivered { name: "orders".into(), data: "5".into() }),
            (None, EventKind::SubOrchestrationScheduled { name: "Ship".into(), instance: "sub::10".into(), input: "null".into() }),
            (Some(10), EventKind::SubOrchestrationCompleted { result: r#""shipped""#.into() }),
            (None, EventKind::CustomStatusUpdated { status: Some("half".into()) }),
            (None, EventKind::KeyValueSet { key: "k".into(), value: "v".into(), last_updated_at_ms: 0 }),
            (None, EventKind::KeyValueCleared { key: "k".into() }),
            (None, EventKind::KeyValuesCleared),
            (
                None,
                EventKind::ActivityScheduled { name: "__duroxide_syscall:new_guid".into(), input: "".into(), session_id: None, tag: None },
            ),
            (Some(16), EventKind::ActivityCompleted { result: "0b6c4bd4-5bd1-4c2e-9e0f-6f1d4b0b7a11".into() }),
            (
                None,
                EventKind::ActivityScheduled {
                    name: "__duroxide_syscall:get_kv_value".into(),
                    input: r#"{"instance_id":"x","key":"k"}"#.into(),
                    session_id: None,
                    tag: None,
                },
            ),
            (Some(18), EventKind::ActivityCompleted { result: r#""1""#.into() }),
            (None, EventKind::OrchestrationCompleted { output: r#"{"done":true}"#.into() }),
        ];
        kinds.into_iter().enumerate().map(|(n, (source, kind))| Event::with_event_id(n as u64 + 1, instance, 1, source, kind)).collect()
    }

    #[test]
    fn a_document_of_history_json_gives_back_the_events_the_store_had() {
        let mut events = sample("o-1");
        let document = document_value("o-1", vec![(1, events.clone())]);
        let text = serde_json::to_string(&document).unwrap();
        let parsed = parse(&serde_json::from_str(&text).unwrap(), &BareEvents { instance: "ignored", execution: 1 }).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!((parsed[0].instance.as_str(), parsed[0].execution), ("o-1", 1));
        for event in &mut events {
            if let EventKind::KeyValueSet { last_updated_at_ms, .. } = &mut event.kind {
                *last_updated_at_ms = event.timestamp_ms;
            }
        }
        assert_eq!(parsed[0].events, events);
    }

    #[test]
    fn a_bare_event_array_belongs_to_the_instance_the_caller_names() {
        let events: Vec<Value> = sample("x").iter().map(|e| json!(HistoryEvent::from(e))).collect();
        let parsed = parse(&Value::Array(events), &BareEvents { instance: "order-9", execution: 3 }).unwrap();
        assert_eq!((parsed[0].instance.as_str(), parsed[0].execution), ("order-9", 3));
        assert!(parsed[0].events.iter().all(|e| e.instance_id == "order-9" && e.execution_id == 3));
    }

    #[test]
    fn an_orchestration_failure_keeps_what_kind_of_end_it_was() {
        let cancelled = orchestration_failure(&json!({"error": "canceled: by user"}));
        assert!(matches!(cancelled, ErrorDetails::Application { kind: AppErrorKind::Cancelled { ref reason }, .. } if reason == "by user"));
        let diverged = orchestration_failure(&json!({"error": "nondeterministic: schedule mismatch"}));
        assert_eq!(diverged.display_message(), "nondeterministic: schedule mismatch");
        assert_eq!(orchestration_failure(&json!({"error": "boom"})).display_message(), "boom");
    }

    #[test]
    fn what_is_not_a_history_is_refused_in_a_sentence() {
        let bare = BareEvents { instance: "x", execution: 1 };
        assert!(parse(&json!({"a": 1}), &bare).unwrap_err().contains("duroxide history ID --json"));
        let err = parse(&json!([{"eventId": 1, "kind": "Bogus"}]), &bare).unwrap_err();
        assert_eq!(err, "event 1 of 'x' execution 1: unknown kind 'Bogus'");
        assert_eq!(parse(&json!({"instanceId": "x", "executions": []}), &bare).unwrap_err(), "the history holds no events");
        assert_eq!(parse(&json!([]), &bare).unwrap_err(), "the history holds no events");
    }
}
