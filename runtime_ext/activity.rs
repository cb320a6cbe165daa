//! The activity side (activity.js): settling a call, and
//! the context's traces and cancellation flag.

use deno_core::{op2, OpState};

use crate::bridge::activity;

deno_core::extension!(
    duroxide_activity,
    ops = [op_activity_settle, op_activity_trace, op_activity_is_cancelled],
    esm = ["ext:duroxide/activity.js" = "runtime_ext/activity.js"],
);

#[op2(fast)]
fn op_activity_settle(state: &mut OpState, #[smi] call: u32, ok: bool, #[string] payload: String) {
    activity::settle(state, call, if ok { Ok(payload) } else { Err(payload) });
}

/// A trace of a call in flight; one that already finished traces nowhere.
#[op2(fast)]
fn op_activity_trace(state: &mut OpState, #[smi] call: u32, #[string] level: &str, #[string] message: &str) {
    activity::with_context(state, call, |ctx| match level {
        "WARN" => ctx.trace_warn(message),
        "ERROR" => ctx.trace_error(message),
        "DEBUG" => ctx.trace_debug(message),
        _ => ctx.trace_info(message),
    });
}

/// A call that already finished (or timed out) counts as cancelled.
#[op2(fast)]
fn op_activity_is_cancelled(state: &mut OpState, #[smi] call: u32) -> bool {
    activity::with_context(state, call, |ctx| ctx.is_cancelled()).unwrap_or(true)
}
