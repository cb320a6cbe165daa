//! Activities: duroxide runs each as a tokio task on the host thread; the task
//! starts the JS function and sleeps on a oneshot that the JS side completes
//! (through an op) when the function's promise settles.

use std::collections::HashMap;
use std::time::Duration;

use deno_core::{v8, OpState};
use duroxide::ActivityContext;
use tokio::sync::oneshot;

use super::{runtimes, with_state};
use crate::engine::tasks::Outcome;
use crate::host::watchdog::{human, BlockReport, Owner};
use crate::host::{self, CallError};

/// How long an activity may run: past `warn_after` it is named in a warning,
/// past `timeout` it fails and its `ctx.signal` aborts, freeing its slot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    pub timeout: Duration,
    pub warn_after: Duration,
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(6 * 3600);
pub const DEFAULT_WARN_AFTER: Duration = Duration::from_secs(5 * 60);

impl Default for Limits {
    fn default() -> Limits {
        Limits { timeout: DEFAULT_TIMEOUT, warn_after: DEFAULT_WARN_AFTER }
    }
}

struct Pending {
    name: String,
    reply: oneshot::Sender<Outcome>,
    ctx: ActivityContext,
    /// Aborts the activity's `ctx.signal` (JS).
    abort: Option<v8::Global<v8::Function>>,
}

/// Activities in flight, by call id (per isolate, in its op state).
#[derive(Default)]
pub struct Activities {
    next_call: u32,
    pending: HashMap<u32, Pending>,
}

impl Activities {
    fn add(&mut self, pending: Pending) -> u32 {
        self.next_call += 1;
        self.pending.insert(self.next_call, pending);
        self.next_call
    }
}

/// Forgets the call if duroxide drops the activity (timeout, shutdown), so a
/// late settlement from JS is ignored, and aborts its `ctx.signal` so the
/// work in flight (a fetch, a subprocess) stops.
struct PendingGuard(u32);

impl Drop for PendingGuard {
    fn drop(&mut self) {
        let pending = with_state(|s| s.borrow_mut::<Activities>().pending.remove(&self.0)).ok().flatten();
        if let Some(abort) = pending.and_then(|p| p.abort) {
            let _ = host::with(|h| h.call_with_reason(&abort, "the activity is no longer needed"));
        }
    }
}

/// Aborts the `ctx.signal` of call `call`, if it is still in flight.
fn abort(call: u32, reason: &str) {
    let abort = with_state(|s| s.borrow_mut::<Activities>().pending.get_mut(&call).and_then(|p| p.abort.take()))
        .ok()
        .flatten();
    if let Some(abort) = abort {
        let _ = host::with(|h| h.call_with_reason(&abort, reason));
    }
}

/// The activity handler of runtime resource `runtime`.
pub async fn invoke(runtime: u32, ctx: ActivityContext, input: String) -> Result<String, String> {
    let name = ctx.activity_name().to_string();
    let info = serde_json::json!({
        "instanceId": ctx.instance_id(),
        "executionId": ctx.execution_id(),
        "orchestrationName": ctx.orchestration_name(),
        "orchestrationVersion": ctx.orchestration_version(),
        "activityName": ctx.activity_name(),
        "workerId": ctx.worker_id(),
        "sessionId": ctx.session_id(),
        "tag": ctx.tag(),
    });
    let (reply, settled) = oneshot::channel();
    let watch = ctx.clone();
    // The function handle is not Send: it must be gone before the await.
    let guard = {
        let (function, store) = with_state(|s| runtimes::activity_function(s, runtime, &name))?
            .ok_or_else(|| format!("activity '{name}' is not registered"))?;
        let mut info = info;
        info["store"] = store.into();
        let call = with_state(|s| s.borrow_mut::<Activities>().add(Pending { name: name.clone(), reply, ctx, abort: None }))?;
        let guard = PendingGuard(call);
        let abort = host::with(|h| h.run_activity(&function, &info.to_string(), &input, call))?.map_err(|e| match e {
            CallError::Threw(text) => format!("activity '{name}' could not start: {text}"),
            stopped => stopped.of(&format!("activity '{name}'")),
        })?;
        with_state(|s| s.borrow_mut::<Activities>().pending.get_mut(&call).map(|p| p.abort = abort))?;
        guard
    };
    let limits = with_state(|s| *s.borrow::<Limits>())?;
    let settled = {
        tokio::pin!(settled);
        let timeout = tokio::time::sleep(limits.timeout);
        let warning = tokio::time::sleep(limits.warn_after);
        tokio::pin!(timeout, warning);
        let (mut cancelled, mut warned) = (false, false);
        loop {
            tokio::select! {
                result = &mut settled => break result,
                () = watch.cancelled(), if !cancelled => {
                    cancelled = true;
                    abort(guard.0, "the activity was cancelled");
                }
                () = &mut warning, if !warned => {
                    warned = true;
                    tracing::warn!(
                        instance = %watch.instance_id(),
                        "activity '{name}' has run for {} (it fails at {}: --activity-timeout)",
                        human(limits.warn_after),
                        human(limits.timeout)
                    );
                }
                () = &mut timeout => {
                    let message = format!("activity '{name}' timed out after {} (--activity-timeout)", human(limits.timeout));
                    abort(guard.0, &message);
                    return Err(message);
                }
            }
        }
    };
    match settled {
        Ok(result) => result,
        Err(_) => Err(format!("activity '{name}' was abandoned: the JavaScript engine stopped")),
    }
}

/// Completes a call; unknown ids (already timed out or dropped) are ignored.
pub fn settle(state: &mut OpState, call: u32, result: Outcome) {
    if let Some(pending) = state.borrow_mut::<Activities>().pending.remove(&call) {
        let _ = pending.reply.send(result);
    }
}

/// Fails the activity whose JavaScript the watchdog stopped (it was running
/// a continuation of the activity, so its promise will never settle).
pub fn stopped(report: &BlockReport) -> bool {
    let Owner::Activity(call) = report.owner else { return false };
    let pending = with_state(|s| s.borrow_mut::<Activities>().pending.remove(&call)).ok().flatten();
    match pending {
        Some(pending) => {
            let _ = pending.reply.send(Err(format!("activity '{}' {}", pending.name, report.describe())));
            true
        }
        None => false,
    }
}

/// Runs `f` with the context of a call still in flight.
pub fn with_context<R>(state: &OpState, call: u32, f: impl FnOnce(&ActivityContext) -> R) -> Option<R> {
    state.borrow::<Activities>().pending.get(&call).map(|pending| f(&pending.ctx))
}
