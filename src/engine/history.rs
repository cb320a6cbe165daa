//! History events as JS sees them: `{eventId, kind, sourceEventId?, timestampMs, data?}`,
//! `data` being JSON text of the event's payload (as in the SDK).

use duroxide::{Event, EventKind};
use serde_json::{json, Value};

/// The variant name, e.g. `ActivityScheduled`.
pub fn kind_name(kind: &EventKind) -> String {
    let debug = format!("{kind:?}");
    debug.split([' ', '{', '(']).next().unwrap_or("Unknown").to_string()
}

/// Embeds payload text as JSON when it is JSON, as a string otherwise.
fn payload(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

pub fn event_data(kind: &EventKind) -> Option<Value> {
    Some(match kind {
        EventKind::OrchestrationStarted { name, version, input, .. } => {
            json!({"name": name, "version": version, "input": payload(input)})
        }
        EventKind::OrchestrationCompleted { output } => payload(output),
        EventKind::OrchestrationFailed { details }
        | EventKind::ActivityFailed { details }
        | EventKind::SubOrchestrationFailed { details } => json!({"error": details.display_message()}),
        EventKind::ActivityScheduled { name, input, session_id, tag } => {
            json!({"name": name, "input": payload(input), "sessionId": session_id, "tag": tag})
        }
        EventKind::ActivityCompleted { result } | EventKind::SubOrchestrationCompleted { result } => payload(result),
        EventKind::TimerCreated { fire_at_ms } | EventKind::TimerFired { fire_at_ms } => json!({"fireAtMs": fire_at_ms}),
        EventKind::ExternalSubscribed { name } | EventKind::QueueSubscribed { name } => json!({"name": name}),
        EventKind::ExternalEvent { name, data } | EventKind::QueueEventDelivered { name, data } => {
            json!({"name": name, "data": payload(data)})
        }
        EventKind::SubOrchestrationScheduled { name, instance, input }
        | EventKind::OrchestrationChained { name, instance, input } => {
            json!({"name": name, "instance": instance, "input": payload(input)})
        }
        EventKind::OrchestrationContinuedAsNew { input } => json!({"input": payload(input)}),
        EventKind::ActivityCancelRequested { reason }
        | EventKind::SubOrchestrationCancelRequested { reason }
        | EventKind::OrchestrationCancelRequested { reason }
        | EventKind::QueueSubscriptionCancelled { reason } => json!({"reason": reason}),
        EventKind::CustomStatusUpdated { status } => json!({"status": status}),
        EventKind::KeyValueSet { key, value, .. } => json!({"key": key, "value": value}),
        EventKind::KeyValueCleared { key } => json!({"key": key}),
        _ => return None,
    })
}

pub fn event_json(event: &Event) -> Value {
    let mut v = json!({
        "eventId": event.event_id(),
        "kind": kind_name(&event.kind),
        "timestampMs": event.timestamp_ms,
    });
    if let Some(source) = event.source_event_id {
        v["sourceEventId"] = json!(source);
    }
    if let Some(data) = event_data(&event.kind) {
        v["data"] = Value::String(data.to_string());
    }
    v
}
