//! Whether code replayed over a recorded execution did what the history
//! says, and if not, the first difference in words. duroxide's replay engine
//! decides that schedules diverged; this pairs what the code emitted with the
//! history's decisions to name the difference, and also judges the ending,
//! which duroxide does not check (a history that completed while the code
//! now yields more, or fails, or waits).

use duroxide::runtime::replay_engine::TurnResult;
use duroxide::{Action, AppErrorKind, ConfigErrorKind, ErrorDetails, Event, EventKind};

#[derive(Debug, PartialEq)]
pub struct Divergence {
    /// What the history has at the first difference.
    pub history: String,
    /// What the code does there instead.
    pub code: String,
    /// The code's action at the difference (an index into what it emitted), when it made one.
    pub action: Option<usize>,
}

impl Divergence {
    pub fn sentence(&self) -> String {
        format!("history has {} vs code {}", self.history, self.code)
    }
}

/// Events recording a decision of the code, in the order it made them.
fn is_decision(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::ActivityScheduled { .. }
            | EventKind::TimerCreated { .. }
            | EventKind::ExternalSubscribed { .. }
            | EventKind::QueueSubscribed { .. }
            | EventKind::SubOrchestrationScheduled { .. }
            | EventKind::OrchestrationChained { .. }
            | EventKind::CustomStatusUpdated { .. }
            | EventKind::KeyValueSet { .. }
            | EventKind::KeyValueCleared { .. }
            | EventKind::KeyValuesCleared
            | EventKind::OrchestrationContinuedAsNew { .. }
    )
}

/// Whether the event ends its execution.
pub fn is_terminal(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::OrchestrationCompleted { .. } | EventKind::OrchestrationFailed { .. } | EventKind::OrchestrationContinuedAsNew { .. }
    )
}

/// The recorded end of an execution, if it ended.
fn terminal(events: &[Event]) -> Option<&EventKind> {
    events.iter().map(|e| &e.kind).find(|k| is_terminal(k))
}

/// The same comparison duroxide makes (timers match by position).
fn same(action: &Action, kind: &EventKind) -> bool {
    match (action, kind) {
        (
            Action::CallActivity { name, input, session_id, tag, .. },
            EventKind::ActivityScheduled { name: n, input: i, session_id: s, tag: t },
        ) => name == n && input == i && session_id == s && tag == t,
        (Action::CreateTimer { .. }, EventKind::TimerCreated { .. }) => true,
        (Action::WaitExternal { name, .. }, EventKind::ExternalSubscribed { name: n }) => name == n,
        (Action::DequeueEvent { name, .. }, EventKind::QueueSubscribed { name: n }) => name == n,
        (Action::StartSubOrchestration { name, input, .. }, EventKind::SubOrchestrationScheduled { name: n, input: i, .. }) => {
            name == n && input == i
        }
        (
            Action::StartOrchestrationDetached { name, instance, input, .. },
            EventKind::OrchestrationChained { name: n, instance: d, input: i },
        ) => name == n && instance == d && input == i,
        // duroxide lets the text of a status change between versions of the code.
        (Action::UpdateCustomStatus { .. }, EventKind::CustomStatusUpdated { .. }) => true,
        (Action::SetKeyValue { key, value, .. }, EventKind::KeyValueSet { key: k, value: v, .. }) => key == k && value == v,
        (Action::ClearKeyValue { key }, EventKind::KeyValueCleared { key: k }) => key == k,
        (Action::ClearKeyValues, EventKind::KeyValuesCleared) => true,
        // The next execution's input is that execution's to replay.
        (Action::ContinueAsNew { .. }, EventKind::OrchestrationContinuedAsNew { .. }) => true,
        _ => false,
    }
}

const SHOWN: usize = 60;

fn short(text: &str) -> String {
    let first_line = text.lines().next().unwrap_or("");
    if first_line.chars().count() <= SHOWN && first_line.len() == text.len() {
        return text.to_string();
    }
    format!("{}...", first_line.chars().take(SHOWN).collect::<String>())
}

/// Two long texts, each cut to show where they first differ.
fn around_difference(a: &str, b: &str) -> (String, String) {
    let (a_chars, b_chars): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a_chars.len() <= SHOWN && b_chars.len() <= SHOWN {
        return (a.to_string(), b.to_string());
    }
    let first = a_chars.iter().zip(&b_chars).position(|(x, y)| x != y).unwrap_or(a_chars.len().min(b_chars.len()));
    let start = first.saturating_sub(SHOWN / 3);
    let window = |chars: &[char]| {
        let end = (start + SHOWN).min(chars.len());
        let lead = if start > 0 { "..." } else { "" };
        let tail = if end < chars.len() { "..." } else { "" };
        format!("{lead}{}{tail}", chars[start.min(chars.len())..end].iter().collect::<String>())
    };
    (window(&a_chars), window(&b_chars))
}

/// Both sides of a difference in words; inputs of the same call are cut where they differ.
fn describe_pair(kind: &EventKind, action: &Action) -> (String, String) {
    let pair = match (kind, action) {
        (EventKind::ActivityScheduled { name, input, .. }, Action::CallActivity { name: n, input: i, .. }) if name == n => {
            Some(("activity", name, input, i))
        }
        (EventKind::SubOrchestrationScheduled { name, input, .. }, Action::StartSubOrchestration { name: n, input: i, .. })
            if name == n =>
        {
            Some(("sub-orchestration", name, input, i))
        }
        _ => None,
    };
    match pair {
        Some((what, name, recorded, now)) => {
            let (recorded, now) = around_difference(recorded, now);
            (format!("{what} '{name}' with input {recorded}"), format!("{what} '{name}' with input {now}"))
        }
        None => (describe_event(kind), describe_action(action)),
    }
}

fn with_input(what: &str, name: &str, input: &str) -> String {
    format!("{what} '{name}' with input {}", short(input))
}

fn describe_action(action: &Action) -> String {
    match action {
        Action::CallActivity { name, input, .. } => with_input("activity", name, input),
        Action::CreateTimer { .. } => "a timer".into(),
        Action::WaitExternal { name, .. } => format!("a wait for event '{name}'"),
        Action::DequeueEvent { name, .. } => format!("a dequeue from '{name}'"),
        Action::StartSubOrchestration { name, input, .. } => with_input("sub-orchestration", name, input),
        Action::StartOrchestrationDetached { name, input, .. } => with_input("detached orchestration", name, input),
        Action::ContinueAsNew { input, .. } => format!("continue-as-new with input {}", short(input)),
        Action::UpdateCustomStatus { status: Some(status) } => format!("custom status {}", short(status)),
        Action::UpdateCustomStatus { status: None } => "custom status cleared".into(),
        Action::SetKeyValue { key, value, .. } => format!("value '{key}' set to {}", short(value)),
        Action::ClearKeyValue { key } => format!("value '{key}' cleared"),
        Action::ClearKeyValues => "all values cleared".into(),
        #[allow(unreachable_patterns)]
        _ => "an action of another kind".into(),
    }
}

fn describe_event(kind: &EventKind) -> String {
    match kind {
        EventKind::ActivityScheduled { name, input, .. } => with_input("activity", name, input),
        EventKind::TimerCreated { .. } => "a timer".into(),
        EventKind::ExternalSubscribed { name } => format!("a wait for event '{name}'"),
        EventKind::QueueSubscribed { name } => format!("a dequeue from '{name}'"),
        EventKind::SubOrchestrationScheduled { name, input, .. } => with_input("sub-orchestration", name, input),
        EventKind::OrchestrationChained { name, input, .. } => with_input("detached orchestration", name, input),
        EventKind::CustomStatusUpdated { status: Some(status) } => format!("custom status {}", short(status)),
        EventKind::CustomStatusUpdated { status: None } => "custom status cleared".into(),
        EventKind::KeyValueSet { key, value, .. } => format!("value '{key}' set to {}", short(value)),
        EventKind::KeyValueCleared { key } => format!("value '{key}' cleared"),
        EventKind::KeyValuesCleared => "all values cleared".into(),
        EventKind::OrchestrationCompleted { output } => format!("a return of {}", short(output)),
        EventKind::OrchestrationFailed { details } => format!("a failure ({})", short(&details.display_message())),
        EventKind::OrchestrationContinuedAsNew { input } => format!("continue-as-new with input {}", short(input)),
        other => format!("{other:?}"),
    }
}

/// How the code ended its turn, when it made no further decision.
fn describe_end(result: &TurnResult) -> String {
    match result {
        TurnResult::Continue => "waits for what it already yielded".into(),
        TurnResult::Completed(output) => format!("returns {}", short(output)),
        TurnResult::Failed(ErrorDetails::Configuration { kind: ConfigErrorKind::Nondeterminism, message, .. }) => {
            format!("diverges (duroxide: {})", short(message.as_deref().unwrap_or("no detail")))
        }
        TurnResult::Failed(details) => format!("throws: {}", short(&details.display_message())),
        TurnResult::ContinueAsNew { input, .. } => format!("continues as new with input {}", short(input)),
        TurnResult::Cancelled(reason) => format!("is cancelled: {}", short(reason)),
    }
}

fn describe_history_end(terminal: Option<&EventKind>) -> String {
    match terminal {
        None => "nothing more (the instance waits there)".into(),
        Some(kind) => describe_event(kind),
    }
}

/// Whether an ended history's end is one the code is answerable for: not
/// a failure of the system (poison, infrastructure, a size limit duroxide
/// enforced on what the turn produced) or a nondeterminism failure recorded
/// earlier, which a fixed code need not repeat.
fn code_made_this_end(kind: &EventKind) -> bool {
    match kind {
        EventKind::OrchestrationFailed { details: ErrorDetails::Application { message, .. } } => !message.contains(") exceeds limit ("),
        EventKind::OrchestrationFailed { .. } => false,
        _ => true,
    }
}

fn ends_alike(recorded: &EventKind, result: &TurnResult) -> bool {
    match (recorded, result) {
        (EventKind::OrchestrationCompleted { .. }, TurnResult::Completed(_)) => true,
        (EventKind::OrchestrationContinuedAsNew { .. }, TurnResult::ContinueAsNew { .. }) => true,
        (
            EventKind::OrchestrationFailed { details: ErrorDetails::Application { kind: AppErrorKind::Cancelled { .. }, .. } },
            TurnResult::Cancelled(_),
        ) => true,
        (
            EventKind::OrchestrationFailed { details: ErrorDetails::Application { kind, .. } },
            TurnResult::Failed(ErrorDetails::Application { .. }),
        ) => !matches!(kind, AppErrorKind::Cancelled { .. }),
        _ => false,
    }
}

/// Judges a replay of `events` (the whole execution as recorded) in which
/// the code emitted `emitted` and the engine answered `result`.
pub fn judge(events: &[Event], emitted: &[Action], result: &TurnResult) -> Result<(), Divergence> {
    let decisions: Vec<&EventKind> = events.iter().map(|e| &e.kind).filter(|k| is_decision(k)).collect();
    let actions: Vec<&Action> = emitted.iter().collect();
    let ended = terminal(events);
    let first_difference = decisions.iter().zip(&actions).position(|(kind, action)| !same(action, kind));
    if let Some(at) = first_difference {
        let (history, code) = describe_pair(decisions[at], actions[at]);
        return Err(Divergence { history, code: format!("yields {code}"), action: Some(at) });
    }
    if decisions.len() > actions.len() {
        return Err(Divergence { history: describe_event(decisions[actions.len()]), code: describe_end(result), action: None });
    }
    if actions.len() > decisions.len() {
        if ended.is_some_and(|k| !code_made_this_end(k)) {
            return Ok(());
        }
        let at = decisions.len();
        return Err(Divergence {
            history: describe_history_end(ended),
            code: format!("yields {}", describe_action(actions[at])),
            action: Some(at),
        });
    }
    if let TurnResult::Failed(ErrorDetails::Configuration { kind: ConfigErrorKind::Nondeterminism, message, .. }) = result {
        return Err(Divergence {
            history: "a different sequence".into(),
            code: format!("does not match it ({})", message.as_deref().unwrap_or("duroxide gave no detail")),
            action: None,
        });
    }
    match ended {
        None if matches!(result, TurnResult::Continue) => Ok(()),
        Some(kind) if !code_made_this_end(kind) || ends_alike(kind, result) => Ok(()),
        _ => Err(Divergence { history: describe_history_end(ended), code: describe_end(result), action: None }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(kinds: Vec<EventKind>) -> Vec<Event> {
        let started = EventKind::OrchestrationStarted {
            name: "O".into(),
            version: "1.0.0".into(),
            input: "null".into(),
            parent_instance: None,
            parent_id: None,
            parent_execution_id: None,
            carry_forward_events: None,
            initial_custom_status: None,
        };
        std::iter::once(started).chain(kinds).enumerate().map(|(n, k)| Event::with_event_id(n as u64 + 1, "i", 1, None, k)).collect()
    }

    fn scheduled(name: &str) -> EventKind {
        EventKind::ActivityScheduled { name: name.into(), input: "5".into(), session_id: None, tag: None }
    }

    fn call(name: &str) -> Action {
        Action::CallActivity { scheduling_event_id: 0, name: name.into(), input: "5".into(), session_id: None, tag: None }
    }

    fn completed() -> EventKind {
        EventKind::OrchestrationCompleted { output: "\"done\"".into() }
    }

    fn nondeterminism() -> TurnResult {
        TurnResult::Failed(ErrorDetails::Configuration {
            kind: ConfigErrorKind::Nondeterminism,
            resource: String::new(),
            message: Some("schedule mismatch".into()),
        })
    }

    #[test]
    fn the_same_calls_and_end_pass() {
        let history = events(vec![scheduled("A"), EventKind::ActivityCompleted { result: "1".into() }, completed()]);
        assert_eq!(judge(&history, &[call("A")], &TurnResult::Completed("\"done\"".into())), Ok(()));
        let running = events(vec![scheduled("A")]);
        assert_eq!(judge(&running, &[call("A")], &TurnResult::Continue), Ok(()));
    }

    #[test]
    fn a_different_activity_is_named_on_both_sides() {
        let history = events(vec![scheduled("Charge"), completed()]);
        let divergence = judge(&history, &[call("Refund")], &nondeterminism()).unwrap_err();
        assert_eq!(divergence.sentence(), "history has activity 'Charge' with input 5 vs code yields activity 'Refund' with input 5");
    }

    #[test]
    fn code_that_stops_early_or_goes_on_is_a_divergence() {
        let history = events(vec![scheduled("A"), scheduled("B"), completed()]);
        let early = judge(&history, &[call("A")], &TurnResult::Completed("1".into())).unwrap_err();
        assert_eq!(early.sentence(), "history has activity 'B' with input 5 vs code returns 1");
        let done = events(vec![scheduled("A"), completed()]);
        let more = judge(&done, &[call("A"), call("Audit")], &TurnResult::Continue).unwrap_err();
        assert_eq!(more.sentence(), "history has a return of \"done\" vs code yields activity 'Audit' with input 5");
        let waiting = events(vec![scheduled("A")]);
        let extra = judge(&waiting, &[call("A"), call("B")], &TurnResult::Continue).unwrap_err();
        assert_eq!((extra.history.as_str(), extra.action), ("nothing more (the instance waits there)", Some(1)));
        assert_eq!(early.action, None);
    }

    #[test]
    fn the_end_must_be_of_the_same_kind() {
        let history = events(vec![completed()]);
        let failed = TurnResult::Failed(ErrorDetails::Application {
            kind: AppErrorKind::OrchestrationFailed,
            message: "boom".into(),
            retryable: false,
        });
        assert_eq!(judge(&history, &[], &failed).unwrap_err().sentence(), "history has a return of \"done\" vs code throws: boom");
        let threw = events(vec![EventKind::OrchestrationFailed {
            details: ErrorDetails::Application { kind: AppErrorKind::OrchestrationFailed, message: "boom".into(), retryable: false },
        }]);
        assert_eq!(judge(&threw, &[], &failed), Ok(()));
        assert!(judge(&threw, &[], &TurnResult::Completed("1".into())).is_err());
    }

    #[test]
    fn a_system_failure_leaves_only_the_decisions_to_compare() {
        let poisoned = events(vec![
            scheduled("A"),
            EventKind::OrchestrationFailed {
                details: ErrorDetails::Infrastructure { operation: "x".into(), message: "poison: too many".into(), retryable: false },
            },
        ]);
        assert_eq!(judge(&poisoned, &[call("A")], &TurnResult::Continue), Ok(()));
        assert!(judge(&poisoned, &[call("B")], &nondeterminism()).is_err());
    }

    #[test]
    fn a_step_left_out_before_continue_as_new_is_named() {
        let history = events(vec![
            EventKind::CustomStatusUpdated { status: Some("done".into()) },
            EventKind::OrchestrationContinuedAsNew { input: "1".into() },
        ]);
        let can = Action::ContinueAsNew { input: "1".into(), version: None };
        let divergence = judge(&history, &[can.clone()], &nondeterminism()).unwrap_err();
        assert_eq!(divergence.sentence(), "history has custom status done vs code yields continue-as-new with input 1");
        let status = Action::UpdateCustomStatus { status: Some("done".into()) };
        let continued = TurnResult::ContinueAsNew { input: "1".into(), version: None, unconsumed_queue_arrivals: None };
        assert_eq!(judge(&history, &[status, can], &continued), Ok(()));
    }

    #[test]
    fn long_inputs_are_shown_where_they_differ_and_errors_by_their_first_line() {
        let long = |tail: &str| format!(r#"{{"customer":"someone@example.com","address":"1 Long Street, Springfield","zip":"{tail}"}}"#);
        let kind = EventKind::ActivityScheduled { name: "Ship".into(), input: long("12345"), session_id: None, tag: None };
        let action =
            Action::CallActivity { scheduling_event_id: 0, name: "Ship".into(), input: long("54321"), session_id: None, tag: None };
        let (recorded, now) = describe_pair(&kind, &action);
        assert!(recorded.contains(r#""zip":"12345"}"#) && recorded.contains("with input ..."), "{recorded}");
        assert!(now.contains(r#""zip":"54321"}"#), "{now}");
        let threw = TurnResult::Failed(ErrorDetails::Application {
            kind: AppErrorKind::OrchestrationFailed,
            message: "Error: no input\n    at A (/w/f.mjs:3:10)".into(),
            retryable: false,
        });
        assert_eq!(describe_end(&threw), "throws: Error: no input...");
    }

    #[test]
    fn a_status_text_may_change_and_a_size_limit_is_not_the_code() {
        let history = events(vec![EventKind::CustomStatusUpdated { status: Some("starting".into()) }]);
        let status = Action::UpdateCustomStatus { status: Some("starting up".into()) };
        assert_eq!(judge(&history, &[status], &TurnResult::Continue), Ok(()));
        let limited = events(vec![EventKind::OrchestrationFailed {
            details: ErrorDetails::Application {
                kind: AppErrorKind::OrchestrationFailed,
                message: "KV value for key 'k' (70000 bytes) exceeds limit (65536 bytes)".into(),
                retryable: false,
            },
        }]);
        let set = Action::SetKeyValue { key: "k".into(), value: "x".into(), last_updated_at_ms: 0 };
        assert_eq!(judge(&limited, &[set], &TurnResult::Continue), Ok(()));
    }

    #[test]
    fn a_mismatch_only_duroxide_sees_keeps_its_words() {
        let history = events(vec![scheduled("A")]);
        let divergence = judge(&history, &[call("A")], &nondeterminism()).unwrap_err();
        assert!(divergence.code.contains("schedule mismatch"), "{divergence:?}");
    }
}
