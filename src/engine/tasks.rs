//! Yielded descriptors (the `type` objects ctx methods return in js/) and the
//! duroxide futures they become. Every schedule call happens when the future
//! is built, in descriptor order, so replay sees the same sequence.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use duroxide::{BackoffStrategy, OrchestrationContext, RetryPolicy};
use serde::Deserialize;
use serde_json::Value;

/// Ok: the result as JSON text (or raw text from non-JS producers); Err: a message.
pub type Outcome = Result<String, String>;
type TaskFuture = Pin<Box<dyn Future<Output = Outcome> + Send>>;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Task {
    Activity { name: String, input: String, session_id: Option<String>, tag: Option<String> },
    ActivityWithRetry { name: String, input: String, retry: Retry, session_id: Option<String>, tag: Option<String> },
    Timer { delay_ms: f64 },
    WaitEvent { name: String },
    DequeueEvent { queue_name: String },
    GetValueFromInstance { instance_id: String, key: String },
    SubOrchestration { name: String, input: String },
    SubOrchestrationWithId { name: String, instance_id: String, input: String },
    SubOrchestrationVersioned { name: String, version: Option<String>, input: String },
    SubOrchestrationVersionedWithId { name: String, version: Option<String>, instance_id: String, input: String },
    Orchestration { name: String, instance_id: String, input: String },
    OrchestrationVersioned { name: String, version: Option<String>, instance_id: String, input: String },
    NewGuid,
    UtcNow,
    ContinueAsNew { input: String },
    ContinueAsNewVersioned { input: String, version: Option<String> },
    Join { tasks: Vec<Task> },
    Select { tasks: Vec<Task> },
}

impl Task {
    /// A short account for error messages, e.g. `activity 'Greet' with input "x"`.
    pub fn describe(&self) -> String {
        match self {
            Task::Activity { name, input, .. } | Task::ActivityWithRetry { name, input, .. } => {
                format!("activity '{name}' with input {input}")
            }
            Task::Timer { delay_ms } => format!("a timer of {delay_ms} ms"),
            Task::WaitEvent { name } => format!("a wait for event '{name}'"),
            Task::DequeueEvent { queue_name } => format!("a dequeue from '{queue_name}'"),
            Task::GetValueFromInstance { instance_id, key } => format!("a read of '{key}' from '{instance_id}'"),
            Task::SubOrchestration { name, input, .. }
            | Task::SubOrchestrationWithId { name, input, .. }
            | Task::SubOrchestrationVersioned { name, input, .. }
            | Task::SubOrchestrationVersionedWithId { name, input, .. } => {
                format!("sub-orchestration '{name}' with input {input}")
            }
            Task::Orchestration { name, instance_id, .. } | Task::OrchestrationVersioned { name, instance_id, .. } => {
                format!("a start of '{name}' as '{instance_id}'")
            }
            Task::NewGuid => "ctx.newGuid()".into(),
            Task::UtcNow => "ctx.utcNow()".into(),
            Task::ContinueAsNew { .. } | Task::ContinueAsNewVersioned { .. } => "ctx.continueAsNew(...)".into(),
            Task::Join { tasks } => format!("ctx.all of {} tasks", tasks.len()),
            Task::Select { tasks } => format!("ctx.race of {} tasks", tasks.len()),
        }
    }
}

/// The `type` names of every descriptor, read from the enum's own
/// deserializer, so the JS side checks yields against this one list.
pub fn type_names() -> &'static [&'static str] {
    use serde::de::value::MapDeserializer;

    /// An error that keeps the variant list serde offers for an unknown tag.
    #[derive(Debug)]
    struct Probe(&'static [&'static str]);

    impl std::fmt::Display for Probe {
        fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("probe")
        }
    }

    impl std::error::Error for Probe {}

    impl serde::de::Error for Probe {
        fn custom<T: std::fmt::Display>(_: T) -> Self {
            Probe(&[])
        }

        fn unknown_variant(_: &str, expected: &'static [&'static str]) -> Self {
            Probe(expected)
        }
    }

    let tagged = MapDeserializer::<_, Probe>::new(std::iter::once(("type", "\u{0}")));
    match Task::deserialize(tagged) {
        Err(Probe(names)) => names,
        Ok(_) => &[],
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Retry {
    pub max_attempts: Option<f64>,
    pub timeout_ms: Option<f64>,
    pub total_timeout_ms: Option<f64>,
    pub backoff: Option<String>,
}

/// Backoff names as the SDK maps them: exponential 100 ms ×2 up to 30 s,
/// fixed 1 s, anything else linear from 100 ms up to 30 s.
pub fn retry_policy(retry: &Retry) -> Result<RetryPolicy, String> {
    let attempts = retry.max_attempts.unwrap_or(3.0);
    if !(attempts >= 1.0 && attempts.fract() == 0.0 && attempts <= u32::MAX as f64) {
        return Err(format!("retry maxAttempts must be a whole number of at least 1, got {attempts}"));
    }
    let mut policy = RetryPolicy::new(attempts as u32);
    if let Some(ms) = retry.timeout_ms.or(retry.total_timeout_ms) {
        policy = policy.with_timeout(millis(ms));
    }
    if let Some(backoff) = &retry.backoff {
        policy = policy.with_backoff(match backoff.as_str() {
            "exponential" => {
                BackoffStrategy::Exponential { base: Duration::from_millis(100), multiplier: 2.0, max: Duration::from_secs(30) }
            }
            "fixed" => BackoffStrategy::Fixed { delay: Duration::from_secs(1) },
            _ => BackoffStrategy::Linear { base: Duration::from_millis(100), max: Duration::from_secs(30) },
        });
    }
    Ok(policy)
}

fn millis(ms: f64) -> Duration {
    Duration::from_millis(if ms.is_finite() && ms > 0.0 { ms.round() as u64 } else { 0 })
}

/// What an orchestration's code sees of a failed activity: the message, as
/// with duroxide-node. The history keeps the whole text, which ends with the
/// activity's stack frames (`    at f (/app/flow.ts:3:9)`, runtime_ext/activity.js);
/// runtime_ext/driver.js splits it the same way for an activity yielded alone.
fn message_of_activity_failure(text: String) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let frames = lines.iter().rev().take_while(|line| line.starts_with("    at ")).count();
    if frames == 0 || frames == lines.len() {
        return text;
    }
    lines[..lines.len() - frames].join("\n")
}

/// Runs one yielded task to its outcome.
pub async fn run(ctx: &OrchestrationContext, task: Task) -> Outcome {
    match task {
        Task::ContinueAsNew { input } => ctx.continue_as_new(input).await.map(|_| "null".into()),
        Task::ContinueAsNewVersioned { input, version: Some(version) } => {
            ctx.continue_as_new_versioned(version, input).await.map(|_| "null".into())
        }
        Task::ContinueAsNewVersioned { input, version: None } => ctx.continue_as_new(input).await.map(|_| "null".into()),
        // Yielded on its own: the driver gives the code the message and keeps the stack for the failure text.
        activity @ (Task::Activity { .. } | Task::ActivityWithRetry { .. }) => schedule_activity(ctx, activity).await,
        other => build(ctx, other).await,
    }
}

/// Schedules an activity; a failure keeps its whole text (stack included).
fn schedule_activity(ctx: &OrchestrationContext, task: Task) -> TaskFuture {
    match task {
        Task::Activity { name, input, session_id, tag } => {
            let mut future = match session_id {
                Some(session) => ctx.schedule_activity_on_session(name, input, session),
                None => ctx.schedule_activity(name, input),
            };
            if let Some(tag) = tag {
                future = future.with_tag(tag);
            }
            Box::pin(future)
        }
        Task::ActivityWithRetry { name, input, retry, session_id, tag: _ } => {
            let policy = match retry_policy(&retry) {
                Ok(p) => p,
                Err(e) => return Box::pin(std::future::ready(Err(e))),
            };
            let ctx = ctx.clone();
            Box::pin(async move {
                match session_id {
                    Some(session) => ctx.schedule_activity_with_retry_on_session(name, input, policy, session).await,
                    None => ctx.schedule_activity_with_retry(name, input, policy).await,
                }
            })
        }
        other => Box::pin(std::future::ready(Err(format!("internal error: {other:?} scheduled as an activity")))),
    }
}

/// Schedules `task` now and returns the future of its outcome.
fn build(ctx: &OrchestrationContext, task: Task) -> TaskFuture {
    match task {
        // Inside ctx.all / ctx.race the outcome is a value the code reads: the message only.
        activity @ (Task::Activity { .. } | Task::ActivityWithRetry { .. }) => {
            let future = schedule_activity(ctx, activity);
            Box::pin(async move { future.await.map_err(message_of_activity_failure) })
        }
        Task::Timer { delay_ms } => {
            let timer = ctx.schedule_timer(millis(delay_ms));
            Box::pin(async move {
                timer.await;
                Ok("null".to_string())
            })
        }
        Task::WaitEvent { name } => {
            let wait = ctx.schedule_wait(name);
            Box::pin(async move { Ok(wait.await) })
        }
        Task::DequeueEvent { queue_name } => {
            let next = ctx.dequeue_event(queue_name);
            Box::pin(async move { Ok(next.await) })
        }
        Task::GetValueFromInstance { instance_id, key } => {
            let read = ctx.get_kv_value_from_instance(instance_id, key);
            Box::pin(async move {
                read.await.map(|v| match v {
                    Some(s) => Value::String(s).to_string(),
                    None => "null".to_string(),
                })
            })
        }
        Task::SubOrchestration { name, input } => Box::pin(ctx.schedule_sub_orchestration(name, input)),
        Task::SubOrchestrationWithId { name, instance_id, input } => {
            Box::pin(ctx.schedule_sub_orchestration_with_id(name, instance_id, input))
        }
        Task::SubOrchestrationVersioned { name, version, input } => {
            Box::pin(ctx.schedule_sub_orchestration_versioned(name, version, input))
        }
        Task::SubOrchestrationVersionedWithId { name, version, instance_id, input } => {
            Box::pin(ctx.schedule_sub_orchestration_versioned_with_id(name, version, instance_id, input))
        }
        Task::Orchestration { name, instance_id, input } => {
            ctx.schedule_orchestration(name, instance_id, input);
            Box::pin(std::future::ready(Ok("null".to_string())))
        }
        Task::OrchestrationVersioned { name, version, instance_id, input } => {
            ctx.schedule_orchestration_versioned(name, version, instance_id, input);
            Box::pin(std::future::ready(Ok("null".to_string())))
        }
        // These borrow the context, so they schedule at first poll; futures are
        // first polled in descriptor order, which keeps the schedule order.
        Task::NewGuid => {
            let ctx = ctx.clone();
            Box::pin(async move { ctx.new_guid().await.map(|g| Value::String(g).to_string()) })
        }
        Task::UtcNow => {
            let ctx = ctx.clone();
            Box::pin(async move {
                ctx.utc_now().await.map(|t| t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis().to_string())
            })
        }
        Task::ContinueAsNew { .. } | Task::ContinueAsNewVersioned { .. } => {
            Box::pin(std::future::ready(Err("continueAsNew cannot be used inside ctx.all or ctx.race; yield it on its own".to_string())))
        }
        Task::Join { tasks } => {
            let children: Vec<TaskFuture> = tasks.into_iter().map(|t| build(ctx, t)).collect();
            let ctx = ctx.clone();
            Box::pin(async move {
                let outcomes = ctx.join(children).await;
                let items: Vec<Value> = outcomes
                    .into_iter()
                    .map(|o| match o {
                        Ok(v) => serde_json::json!({ "ok": parse_loose(v) }),
                        Err(e) => serde_json::json!({ "err": parse_loose(e) }),
                    })
                    .collect();
                Ok(Value::Array(items).to_string())
            })
        }
        Task::Select { tasks } => {
            if tasks.is_empty() {
                return Box::pin(std::future::ready(Err("ctx.race needs at least one task".to_string())));
            }
            let children: Vec<TaskFuture> = tasks.into_iter().map(|t| build(ctx, t)).collect();
            Box::pin(async move {
                let (index, outcome) = first_of(children).await;
                // As in the SDK, a failed winner's message is its value.
                let value = match outcome {
                    Ok(v) | Err(v) => parse_loose(v),
                };
                Ok(serde_json::json!({ "index": index, "value": value }).to_string())
            })
        }
    }
}

/// JSON when it parses, the raw text otherwise (events raised by non-JS clients).
fn parse_loose(text: String) -> Value {
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

/// Polls in index order and returns the first ready outcome; dropping the
/// others cancels them durably, as a race's losers should be.
async fn first_of(mut futures: Vec<TaskFuture>) -> (usize, Outcome) {
    std::future::poll_fn(move |cx| {
        for (i, f) in futures.iter_mut().enumerate() {
            if let Poll::Ready(outcome) = f.as_mut().poll(cx) {
                return Poll::Ready((i, outcome));
            }
        }
        Poll::Pending
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_sees_an_activity_failure_without_its_stack() {
        let text = "card declined\nretry later\n    at charge (/app/flow.ts:3:9)\n    at async run (/app/flow.ts:9:3)".to_string();
        assert_eq!(message_of_activity_failure(text), "card declined\nretry later");
        assert_eq!(message_of_activity_failure("no frames".into()), "no frames");
        assert_eq!(message_of_activity_failure("    at only-a-frame".into()), "    at only-a-frame");
        assert_eq!(message_of_activity_failure("{\"code\":7}".into()), "{\"code\":7}");
    }

    #[test]
    fn descriptors_parse_as_the_js_side_writes_them() {
        let t: Task = serde_json::from_str(r#"{"type":"activity","name":"Greet","input":"\"x\"","sessionId":"s1"}"#).unwrap();
        assert_eq!(t, Task::Activity { name: "Greet".into(), input: "\"x\"".into(), session_id: Some("s1".into()), tag: None });
        let t: Task = serde_json::from_str(
            r#"{"type":"select","tasks":[{"type":"timer","delayMs":5},{"type":"join","tasks":[{"type":"newGuid"}]}]}"#,
        )
        .unwrap();
        assert_eq!(t, Task::Select { tasks: vec![Task::Timer { delay_ms: 5.0 }, Task::Join { tasks: vec![Task::NewGuid] }] });
    }

    #[test]
    fn type_names_are_the_enum_variants() {
        let names = type_names();
        assert_eq!(names.len(), 18, "{names:?}");
        assert!(names.contains(&"activity") && names.contains(&"subOrchestrationVersionedWithId") && names.contains(&"select"));
        for name in names {
            let err = serde_json::from_str::<Task>(&format!(r#"{{"type":"{name}"}}"#)).err().map(|e| e.to_string());
            assert!(err.as_deref().is_none_or(|e| !e.contains("unknown variant")), "{name}: {err:?}");
        }
    }

    #[test]
    fn retry_policies_map_like_the_sdk() {
        let r = Retry { max_attempts: Some(4.0), timeout_ms: Some(250.0), total_timeout_ms: None, backoff: Some("fixed".into()) };
        let p = retry_policy(&r).unwrap();
        assert_eq!(p.max_attempts, 4);
        assert_eq!(p.timeout, Some(Duration::from_millis(250)));
        assert_eq!(p.delay_for_attempt(2), Duration::from_secs(1));
        let zero = Retry { max_attempts: Some(0.0), timeout_ms: None, total_timeout_ms: None, backoff: None };
        assert!(retry_policy(&zero).unwrap_err().contains("maxAttempts"));
    }
}
