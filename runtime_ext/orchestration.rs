//! The orchestration side (orchestration_context.js, driver.js): the
//! synchronous ctx calls a generator makes between yields, the names of the
//! descriptors it may yield, and the permissions in force during a step.

use deno_core::{op2, OpState};
use deno_error::JsErrorBox;

use super::{err, permissions};
use crate::bridge::orchestration;
use crate::engine::tasks;

deno_core::extension!(
    duroxide_orchestration,
    ops = [op_orch_call, op_task_types, op_step_permissions],
    esm = [
        "ext:duroxide/orchestration_context.js" = "runtime_ext/orchestration_context.js",
        "ext:duroxide/driver.js" = "runtime_ext/driver.js",
    ],
);

#[op2]
#[serde]
fn op_orch_call(state: &mut OpState, #[smi] token: u32, #[string] method: &str, #[serde] args: Vec<serde_json::Value>) -> Result<serde_json::Value, JsErrorBox> {
    orchestration::context_call(state, token, method, args).map_err(err)
}

/// The `type` of every durable task descriptor.
#[op2]
#[serde]
fn op_task_types() -> Vec<&'static str> {
    tasks::type_names().to_vec()
}

/// While a generator step runs, no I/O at all: the deny-all permission set is
/// in force (the backstop behind the determinism guard's messages).
#[op2(fast)]
fn op_step_permissions(state: &mut OpState, stepping: bool) {
    if stepping {
        permissions::enter_step(state)
    } else {
        permissions::leave_step(state)
    }
}
