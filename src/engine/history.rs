//! History events as JS sees them: `{eventId, kind, sourceEventId?, timestampMs, data?}`,
//! `data` being JSON text of the event's payload (as in the SDK).

use duroxide::{Event, EventKind};
use serde::Serialize;
use serde_json::{json, Value};

use super::shapes::parse_loose as payload;

/// The variant name, e.g. `ActivityScheduled`.
pub fn kind_name(kind: &EventKind) -> String {
    let debug = format!("{kind:?}");
    debug.split([' ', '{', '(']).next().unwrap_or("Unknown").to_string()
}

pub fn event_data(kind: &EventKind) -> Option<Value> {
    Some(match kind {
        EventKind::OrchestrationStarted { name, version, input, initial_custom_status, .. } => {
            let mut data = json!({"name": name, "version": version, "input": payload(input)});
            // Carried over continue-as-new: what ctx.getCustomStatus() reads first (replays from files need it).
            if let Some(status) = initial_custom_status {
                data["initialCustomStatus"] = json!(status);
            }
            data
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
        EventKind::SubOrchestrationScheduled { name, instance, input } | EventKind::OrchestrationChained { name, instance, input } => {
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

/// One event as the SDK's `readExecutionHistory` returns it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEvent {
    pub event_id: u64,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_event_id: Option<u64>,
    pub timestamp_ms: u64,
    /// JSON text of the event's payload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

impl From<&Event> for HistoryEvent {
    fn from(event: &Event) -> HistoryEvent {
        HistoryEvent {
            event_id: event.event_id(),
            kind: kind_name(&event.kind),
            source_event_id: event.source_event_id,
            timestamp_ms: event.timestamp_ms,
            data: event_data(&event.kind).map(|d| d.to_string()),
        }
    }
}
