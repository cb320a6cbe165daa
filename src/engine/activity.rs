//! Activities: duroxide runs each as a tokio task on the host thread; the task
//! starts the JS function through a hook and sleeps on a oneshot that the JS
//! side completes (op_activity_settle) when the promise settles.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use duroxide::ActivityContext;
use tokio::sync::oneshot;

use crate::host::{self, Arg};

struct Pending {
    reply: oneshot::Sender<Result<String, String>>,
    ctx: ActivityContext,
}

thread_local! {
    static PENDING: RefCell<HashMap<u32, Pending>> = RefCell::new(HashMap::new());
}

static NEXT_CALL: AtomicU32 = AtomicU32::new(1);

/// Forgets the call if duroxide drops the activity (timeout, shutdown), so a
/// late settlement from JS is ignored.
struct PendingGuard(u32);

impl Drop for PendingGuard {
    fn drop(&mut self) {
        PENDING.with(|p| p.borrow_mut().remove(&self.0));
    }
}

pub async fn invoke(runtime: u32, ctx: ActivityContext, input: String) -> Result<String, String> {
    let call = NEXT_CALL.fetch_add(1, Ordering::Relaxed);
    let (reply, settled) = oneshot::channel();
    let info = serde_json::json!({
        "instanceId": ctx.instance_id(),
        "executionId": ctx.execution_id(),
        "orchestrationName": ctx.orchestration_name(),
        "orchestrationVersion": ctx.orchestration_version(),
        "activityName": ctx.activity_name(),
        "workerId": ctx.worker_id(),
        "sessionId": ctx.session_id(),
        "tag": ctx.tag(),
    })
    .to_string();
    let name = ctx.activity_name().to_string();
    PENDING.with(|p| p.borrow_mut().insert(call, Pending { reply, ctx }));
    let _guard = PendingGuard(call);
    host::call_hook(
        |h| &h.run_activity,
        &[Arg::Num(runtime as f64), Arg::Str(&info), Arg::Str(&input), Arg::Num(call as f64)],
    )
    .map_err(|e| format!("activity '{name}' could not start: {e}"))?;
    match settled.await {
        Ok(result) => result,
        Err(_) => Err(format!("activity '{name}' was abandoned: the JavaScript engine stopped")),
    }
}

/// Completes a call; unknown ids (already timed out or dropped) are ignored.
pub fn settle(call: u32, result: Result<String, String>) {
    if let Some(pending) = PENDING.with(|p| p.borrow_mut().remove(&call)) {
        let _ = pending.reply.send(result);
    }
}

/// Runs `f` with the context of a call still in flight.
pub fn with_context<R>(call: u32, f: impl FnOnce(&ActivityContext) -> R) -> Option<R> {
    PENDING.with(|p| p.borrow().get(&call).map(|pending| f(&pending.ctx)))
}
