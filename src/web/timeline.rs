//! An execution's history as bars, one per activity, timer, sub-orchestration
//! or wait for an event, from when it was scheduled to when it ended; then as
//! SVG. Pairing is by `sourceEventId` (completions name what they complete),
//! and by name, first come first served, for events that do not.

use serde_json::Value;

use super::html::{duration, esc, short_json, time_of_day};
use crate::engine::history::HistoryEvent;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Activity,
    Timer,
    SubOrchestration,
    Event,
    Queue,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Activity => "activity",
            Kind::Timer => "timer",
            Kind::SubOrchestration => "sub-orchestration",
            Kind::Event => "event",
            Kind::Queue => "queue",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Outcome {
    Completed,
    Failed,
    Cancelled,
    /// Not ended yet.
    Open,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub kind: Kind,
    pub name: String,
    /// 1, or one more than the bar of the same kind and name before it when that one failed (a retry).
    pub attempt: u32,
    pub start_ms: u64,
    pub end_ms: Option<u64>,
    /// A timer's due time.
    pub due_ms: Option<u64>,
    pub outcome: Outcome,
    /// The event id that scheduled it.
    pub event_id: u64,
    /// Input, result or error, shortened.
    pub detail: String,
}

fn data(event: &HistoryEvent) -> Value {
    event.data.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or(Value::Null)
}

fn field(value: &Value, key: &str) -> String {
    value.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

/// The bars of one execution, in the order they were scheduled.
pub fn bars(events: &[HistoryEvent]) -> Vec<Bar> {
    let mut bars: Vec<Bar> = Vec::new();
    // Queue messages delivered before a wait for them: (queue, when, detail).
    let mut early: Vec<(String, u64, String)> = Vec::new();
    let open = |bars: &[Bar], kind: Kind, source: Option<u64>, name: &str| -> Option<usize> {
        if let Some(source) = source {
            if let Some(i) = bars.iter().position(|b| b.event_id == source && b.outcome == Outcome::Open) {
                return Some(i);
            }
        }
        bars.iter().position(|b| b.kind == kind && b.outcome == Outcome::Open && b.name == name)
    };
    for event in events {
        let d = data(event);
        let scheduled = match event.kind.as_str() {
            "ActivityScheduled" => Some((Kind::Activity, field(&d, "name"), format!("input {}", short_json(&d["input"], 120)), None)),
            "TimerCreated" => {
                let due = d.get("fireAtMs").and_then(Value::as_u64);
                Some((Kind::Timer, "timer".to_string(), format!("due {}", due.map(time_of_day).unwrap_or_default()), due))
            }
            "SubOrchestrationScheduled" => {
                Some((Kind::SubOrchestration, field(&d, "name"), format!("instance {}", field(&d, "instance")), None))
            }
            "ExternalSubscribed" => Some((Kind::Event, field(&d, "name"), String::new(), None)),
            "QueueSubscribed" => Some((Kind::Queue, field(&d, "name"), String::new(), None)),
            _ => None,
        };
        if let Some((kind, name, detail, due_ms)) = scheduled {
            let previous = bars.iter().rev().find(|b| b.kind == kind && b.name == name);
            let attempt = previous.filter(|b| b.outcome == Outcome::Failed).map_or(1, |b| b.attempt + 1);
            let mut bar = Bar {
                kind,
                name,
                attempt,
                start_ms: event.timestamp_ms,
                end_ms: None,
                due_ms,
                outcome: Outcome::Open,
                event_id: event.event_id,
                detail,
            };
            if kind == Kind::Queue {
                if let Some(i) = early.iter().position(|(queue, _, _)| *queue == bar.name) {
                    let (_, _, detail) = early.remove(i);
                    bar.end_ms = Some(event.timestamp_ms);
                    bar.outcome = Outcome::Completed;
                    bar.detail = format!("{detail} (waiting when the wait began)");
                }
            }
            bars.push(bar);
            continue;
        }
        let ended = match event.kind.as_str() {
            "ActivityCompleted" => Some((Kind::Activity, Outcome::Completed, format!("result {}", short_json(&d, 120)))),
            "ActivityFailed" => Some((Kind::Activity, Outcome::Failed, format!("error {}", field(&d, "error")))),
            "TimerFired" => Some((Kind::Timer, Outcome::Completed, String::new())),
            "SubOrchestrationCompleted" => Some((Kind::SubOrchestration, Outcome::Completed, format!("result {}", short_json(&d, 120)))),
            "SubOrchestrationFailed" => Some((Kind::SubOrchestration, Outcome::Failed, format!("error {}", field(&d, "error")))),
            "ExternalEvent" => Some((Kind::Event, Outcome::Completed, format!("data {}", short_json(&d["data"], 120)))),
            "QueueEventDelivered" => Some((Kind::Queue, Outcome::Completed, format!("message {}", short_json(&d["data"], 120)))),
            "ActivityCancelRequested" => Some((Kind::Activity, Outcome::Cancelled, format!("cancelled: {}", field(&d, "reason")))),
            "SubOrchestrationCancelRequested" => {
                Some((Kind::SubOrchestration, Outcome::Cancelled, format!("cancelled: {}", field(&d, "reason"))))
            }
            "QueueSubscriptionCancelled" => Some((Kind::Queue, Outcome::Cancelled, format!("cancelled: {}", field(&d, "reason")))),
            // A wait that lost a race: closed by its id, so the next event of that name goes to the next wait.
            "ExternalSubscribedCancelled" => Some((Kind::Event, Outcome::Cancelled, "not needed (lost a race)".to_string())),
            _ => None,
        };
        if matches!(event.kind.as_str(), "OrchestrationCompleted" | "OrchestrationFailed" | "OrchestrationContinuedAsNew") {
            // What is still open was not needed (a race's loser) or was dropped with the execution.
            for bar in bars.iter_mut().filter(|b| b.outcome == Outcome::Open) {
                bar.end_ms = Some(event.timestamp_ms);
                bar.outcome = Outcome::Cancelled;
                bar.detail = format!("{} (still open when the execution ended)", bar.detail).trim_start().to_string();
            }
            continue;
        }
        if let Some((kind, outcome, detail)) = ended {
            let name = if matches!(kind, Kind::Event | Kind::Queue) { field(&d, "name") } else { String::new() };
            let source = event.source_event_id;
            let target = if matches!(event.kind.as_str(), "ExternalSubscribedCancelled") {
                source.and_then(|s| bars.iter().position(|b| b.event_id == s && b.outcome == Outcome::Open))
            } else {
                open(&bars, kind, source, &name)
            };
            if target.is_none() && kind == Kind::Queue && outcome == Outcome::Completed {
                // A queue keeps messages that come before anyone waits: the next wait takes it at once.
                early.push((name, event.timestamp_ms, detail));
                continue;
            }
            if let Some(i) = target {
                let bar = &mut bars[i];
                bar.end_ms = Some(event.timestamp_ms);
                bar.outcome = outcome;
                if !detail.is_empty() {
                    bar.detail = if bar.detail.is_empty() { detail } else { format!("{}; {detail}", bar.detail) };
                }
            }
        }
    }
    bars
}

const WIDTH: f64 = 960.0;
const LABELS: f64 = 230.0;
const ROW: f64 = 22.0;
const AXIS: f64 = 24.0;

fn outcome_class(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Completed => "ok",
        Outcome::Failed => "failed",
        Outcome::Cancelled => "cancelled",
        Outcome::Open => "open",
    }
}

/// The bars as an SVG Gantt chart, from the execution's first event to `now_ms`
/// (or the last end); each bar carries its details in a `<title>` (shown on hover).
pub fn svg(events: &[HistoryEvent], bars: &[Bar], now_ms: u64) -> String {
    if bars.is_empty() {
        return "<p class=\"muted\">Nothing scheduled in this execution.</p>".to_string();
    }
    let start = events.first().map(|e| e.timestamp_ms).unwrap_or(0).min(bars[0].start_ms);
    let last_event = events.last().map(|e| e.timestamp_ms).unwrap_or(start);
    let any_open = bars.iter().any(|b| b.end_ms.is_none());
    let end = bars.iter().map(|b| b.end_ms.unwrap_or(if any_open { now_ms } else { last_event })).fold(last_event, u64::max);
    let span = (end.saturating_sub(start)).max(1) as f64;
    let x_of = |ms: u64| LABELS + (ms.saturating_sub(start) as f64 / span) * (WIDTH - LABELS - 10.0);
    let height = AXIS + ROW * bars.len() as f64 + 6.0;
    let mut out = format!(
        "<svg class=\"timeline\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"timeline\">"
    );
    out.push_str(&format!(
        "<text class=\"axis\" x=\"{LABELS}\" y=\"14\">0</text><text class=\"axis\" x=\"{}\" y=\"14\" text-anchor=\"end\">{}</text>",
        WIDTH - 10.0,
        esc(&duration(end.saturating_sub(start)))
    ));
    for (i, bar) in bars.iter().enumerate() {
        let y = AXIS + ROW * i as f64;
        let bar_end = bar.end_ms.unwrap_or(now_ms.max(bar.start_ms));
        let x = x_of(bar.start_ms);
        let w = (x_of(bar_end) - x).max(3.0);
        let label = if bar.attempt > 1 { format!("{} (retry {})", bar.name, bar.attempt - 1) } else { bar.name.clone() };
        let took = bar.end_ms.map(|e| duration(e.saturating_sub(bar.start_ms))).unwrap_or_else(|| "still open".into());
        let tip = format!("{} {} (event {}): {:?}, {took}. {}", bar.kind.name(), label, bar.event_id, bar.outcome, bar.detail);
        out.push_str(&format!(
            "<g class=\"bar {}\" data-kind=\"{}\" data-outcome=\"{}\"><title>{}</title>\
             <text class=\"label\" x=\"4\" y=\"{:.1}\">{}</text>\
             <rect class=\"k-{}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" rx=\"3\"></rect></g>",
            outcome_class(bar.outcome),
            bar.kind.name(),
            outcome_class(bar.outcome),
            esc(&tip),
            y + 15.0,
            esc(&format!("{} {}", kind_mark(bar.kind), label)),
            bar.kind.name(),
            y + 4.0,
            ROW - 8.0,
        ));
    }
    out.push_str("</svg>");
    out
}

fn kind_mark(kind: Kind) -> &'static str {
    match kind {
        Kind::Activity => "▶",
        Kind::Timer => "◆",
        Kind::SubOrchestration => "↳",
        Kind::Event => "✉",
        Kind::Queue => "☰",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: u64, kind: &str, source: Option<u64>, at: u64, data: &str) -> HistoryEvent {
        HistoryEvent {
            event_id: id,
            kind: kind.into(),
            source_event_id: source,
            timestamp_ms: at,
            data: if data.is_empty() { None } else { Some(data.into()) },
        }
    }

    fn sample() -> Vec<HistoryEvent> {
        vec![
            event(1, "OrchestrationStarted", None, 1000, r#"{"name":"Order","input":1}"#),
            event(2, "ActivityScheduled", None, 1001, r#"{"name":"Charge","input":{"amount":5}}"#),
            event(3, "ActivityFailed", Some(2), 1050, r#"{"error":"card declined"}"#),
            event(4, "TimerCreated", None, 1051, r#"{"fireAtMs":2051}"#),
            event(5, "TimerFired", Some(4), 2060, r#"{"fireAtMs":2051}"#),
            event(6, "ActivityScheduled", None, 2061, r#"{"name":"Charge","input":{"amount":5}}"#),
            event(7, "ActivityCompleted", Some(6), 2100, r#""ok""#),
            event(8, "ExternalSubscribed", None, 2101, r#"{"name":"Approve"}"#),
            event(9, "SubOrchestrationScheduled", None, 2101, r#"{"name":"Ship","instance":"order-1::sub::9","input":null}"#),
            event(10, "ExternalEvent", None, 2500, r#"{"name":"Approve","data":{"by":"<b>ann</b>"}}"#),
            event(11, "ActivityScheduled", None, 2600, r#"{"name":"Charge","input":{"amount":1}}"#),
        ]
    }

    #[test]
    fn pairs_completions_with_what_they_complete_and_counts_retries() {
        let bars = bars(&sample());
        let summary: Vec<_> = bars.iter().map(|b| (b.kind, b.name.as_str(), b.attempt, b.start_ms, b.end_ms, b.outcome)).collect();
        assert_eq!(
            summary,
            [
                (Kind::Activity, "Charge", 1, 1001, Some(1050), Outcome::Failed),
                (Kind::Timer, "timer", 1, 1051, Some(2060), Outcome::Completed),
                (Kind::Activity, "Charge", 2, 2061, Some(2100), Outcome::Completed),
                (Kind::Event, "Approve", 1, 2101, Some(2500), Outcome::Completed),
                (Kind::SubOrchestration, "Ship", 1, 2101, None, Outcome::Open),
                (Kind::Activity, "Charge", 1, 2600, None, Outcome::Open),
            ]
        );
        assert!(bars[0].detail.contains("card declined"), "{}", bars[0].detail);
        assert_eq!(bars[1].due_ms, Some(2051));
    }

    #[test]
    fn svg_has_one_group_per_bar_and_escapes_what_users_wrote() {
        let events = sample();
        let bars = bars(&events);
        let svg = svg(&events, &bars, 3000);
        assert_eq!(svg.matches("<g class=\"bar").count(), 6);
        assert_eq!(svg.matches("data-kind=\"activity\"").count(), 3);
        assert!(svg.contains("data-outcome=\"failed\""));
        assert!(svg.contains("Charge (retry 1)"));
        assert!(!svg.contains("<b>ann</b>"), "user data must be escaped: {svg}");
        assert!(svg.contains("&lt;b&gt;ann&lt;/b&gt;"));
    }

    #[test]
    fn a_lost_wait_and_an_early_queue_message_pair_with_the_right_bars() {
        let events = vec![
            event(1, "OrchestrationStarted", None, 0, "{}"),
            event(2, "QueueEventDelivered", None, 5, r#"{"name":"inbox","data":1}"#),
            event(3, "ExternalSubscribed", None, 10, r#"{"name":"go"}"#),
            event(4, "ExternalSubscribedCancelled", Some(3), 20, ""),
            event(5, "ExternalSubscribed", None, 30, r#"{"name":"go"}"#),
            event(6, "ExternalEvent", None, 40, r#"{"name":"go","data":2}"#),
            event(7, "QueueSubscribed", None, 50, r#"{"name":"inbox"}"#),
        ];
        let summary: Vec<_> = bars(&events).iter().map(|b| (b.event_id, b.end_ms, b.outcome)).collect();
        assert_eq!(summary, [(3, Some(20), Outcome::Cancelled), (5, Some(40), Outcome::Completed), (7, Some(50), Outcome::Completed)]);
    }

    #[test]
    fn what_is_open_when_the_execution_ends_ends_with_it() {
        let mut events = sample();
        events.push(event(12, "OrchestrationCompleted", None, 2700, "1"));
        let bars = bars(&events);
        let open: Vec<_> = bars.iter().filter(|b| b.end_ms == Some(2700)).map(|b| (b.name.as_str(), b.outcome)).collect();
        assert_eq!(open, [("Ship", Outcome::Cancelled), ("Charge", Outcome::Cancelled)]);
        assert!(bars[4].detail.contains("still open when the execution ended"), "{}", bars[4].detail);
    }

    #[test]
    fn an_execution_with_nothing_scheduled_says_so() {
        let events = vec![event(1, "OrchestrationStarted", None, 5, "{}"), event(2, "OrchestrationCompleted", None, 6, "1")];
        assert!(svg(&events, &bars(&events), 10).contains("Nothing scheduled"));
    }
}
