//! Activities: duroxide runs each as a tokio task on the host thread; the task
//! starts the JS function and sleeps on a oneshot that the JS side completes
//! (through an op) when the function's promise settles.

use std::collections::HashMap;

use deno_core::OpState;
use duroxide::ActivityContext;
use tokio::sync::oneshot;

use super::{runtimes, with_state};
use crate::engine::tasks::Outcome;
use crate::host;

struct Pending {
    reply: oneshot::Sender<Outcome>,
    ctx: ActivityContext,
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
/// late settlement from JS is ignored.
struct PendingGuard(u32);

impl Drop for PendingGuard {
    fn drop(&mut self) {
        let _ = with_state(|s| s.borrow_mut::<Activities>().pending.remove(&self.0));
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
    // The function handle is not Send: it must be gone before the await.
    let _guard = {
        let (function, store) = with_state(|s| runtimes::activity_function(s, runtime, &name))?
            .ok_or_else(|| format!("activity '{name}' is not registered"))?;
        let mut info = info;
        info["store"] = store.into();
        let call = with_state(|s| s.borrow_mut::<Activities>().add(Pending { reply, ctx }))?;
        let guard = PendingGuard(call);
        host::with(|h| h.run_activity(&function, &info.to_string(), &input, call))?
            .map_err(|e| format!("activity '{name}' could not start: {e}"))?;
        guard
    };
    match settled.await {
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

/// Runs `f` with the context of a call still in flight.
pub fn with_context<R>(state: &OpState, call: u32, f: impl FnOnce(&ActivityContext) -> R) -> Option<R> {
    state.borrow::<Activities>().pending.get(&call).map(|pending| f(&pending.ctx))
}
