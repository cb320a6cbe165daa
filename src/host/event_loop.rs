//! Driving the event loop with short borrows, so duroxide's tasks can enter
//! the isolate between polls. Whether an idle loop means "done" is for the
//! caller to say: `keep_alive` looks at the op state (e.g. a runtime started
//! by the script is still running).

use std::future::Future;
use std::task::{Context, Poll};

use deno_core::OpState;

use super::js_error::format_core_error;
use super::CallError;

/// Polls the event loop once; Err when it failed (an uncaught exception).
/// A stretch the watchdog stopped fails the activity it belonged to, and the
/// loop carries on.
fn poll_loop(cx: &mut Context) -> Result<Poll<()>, String> {
    super::set_loop_waker(cx.waker());
    let (polled, stopped) = super::with(|h| h.poll_event_loop(cx))?;
    if let Some(report) = stopped {
        if super::tell_stop_listener(&report) {
            cx.waker().wake_by_ref();
            return Ok(Poll::Pending);
        }
        return Err(CallError::Stopped(report).into());
    }
    match polled {
        Poll::Ready(Err(e)) => Err(format_core_error(&e)),
        Poll::Ready(Ok(())) => Ok(Poll::Ready(())),
        Poll::Pending => Ok(Poll::Pending),
    }
}

fn kept_alive(keep_alive: &dyn Fn(&OpState) -> bool) -> bool {
    super::op_state().map(|state| keep_alive(&state.borrow())).unwrap_or(false)
}

/// Drives the event loop until it is idle and `keep_alive` says nothing else will come.
pub async fn drive_to_idle(keep_alive: &dyn Fn(&OpState) -> bool) -> Result<(), String> {
    std::future::poll_fn(|cx| match poll_loop(cx) {
        Err(e) => Poll::Ready(Err(e)),
        Ok(Poll::Ready(())) if !kept_alive(keep_alive) => Poll::Ready(Ok(())),
        Ok(_) => Poll::Pending,
    })
    .await
}

/// Drives the event loop until `until` completes. With `stuck`, an idle loop
/// that nothing keeps alive while `until` is pending is that error.
pub async fn drive_until<F: Future>(until: F, keep_alive: &dyn Fn(&OpState) -> bool, stuck: Option<&str>) -> Result<F::Output, String> {
    let mut until = std::pin::pin!(until);
    std::future::poll_fn(|cx| {
        let polled = match poll_loop(cx) {
            Ok(p) => p,
            Err(e) => return Poll::Ready(Err(e)),
        };
        if let Poll::Ready(output) = until.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match stuck {
            Some(message) if polled.is_ready() && !kept_alive(keep_alive) => Poll::Ready(Err(message.to_string())),
            _ => Poll::Pending,
        }
    })
    .await
}
