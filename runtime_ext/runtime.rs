//! The SDK's `Runtime` and `initTracing` (runtime.js): runtimes as resources
//! of the isolate, log settings, and the SDK's limit constants.

use std::cell::RefCell;
use std::rc::Rc;

use deno_core::{op2, v8, OpState, ResourceId};
use deno_error::JsErrorBox;
use duroxide::runtime::limits;
use serde_json::Value;

use super::{err, type_err};
use crate::bridge::{replay, runtimes};
use crate::engine::history_file;
use crate::engine::options::RuntimeMetrics;

deno_core::extension!(
    duroxide_runtime,
    ops = [
        op_runtime_create,
        op_runtime_register_activity,
        op_runtime_register_orchestration,
        op_runtime_start,
        op_runtime_shutdown,
        op_runtime_metrics,
        op_runtime_replay,
        op_logging_configure,
        op_sdk_limits,
    ],
    esm = ["ext:duroxide/runtime.js" = "runtime_ext/runtime.js"],
);

#[op2]
#[smi]
fn op_runtime_create(state: &mut OpState, #[smi] store: ResourceId, #[serde] options: serde_json::Value) -> Result<ResourceId, JsErrorBox> {
    runtimes::create(state, store, &options).map_err(type_err)
}

#[op2]
fn op_runtime_register_activity(
    state: &mut OpState,
    #[smi] runtime: ResourceId,
    #[string] name: &str,
    #[global] function: v8::Global<v8::Function>,
) -> Result<(), JsErrorBox> {
    runtimes::register_activity(state, runtime, name, function).map_err(err)
}

#[op2]
fn op_runtime_register_orchestration(
    state: &mut OpState,
    #[smi] runtime: ResourceId,
    #[string] name: &str,
    #[string] version: &str,
    #[global] function: v8::Global<v8::Function>,
) -> Result<(), JsErrorBox> {
    runtimes::register_orchestration(state, runtime, name, version, function).map_err(err)
}

#[op2(async)]
async fn op_runtime_start(state: Rc<RefCell<OpState>>, #[smi] runtime: ResourceId) -> Result<(), JsErrorBox> {
    runtimes::start(state, runtime).await.map_err(err)
}

/// A negative timeout means the default.
#[op2(async)]
async fn op_runtime_shutdown(state: Rc<RefCell<OpState>>, #[smi] runtime: ResourceId, timeout_ms: f64) -> Result<(), JsErrorBox> {
    let timeout = (timeout_ms >= 0.0).then_some(timeout_ms as u64);
    runtimes::shutdown(state, runtime, timeout).await.map(drop).map_err(err)
}

#[op2]
#[serde]
fn op_runtime_metrics(state: &mut OpState, #[smi] runtime: ResourceId) -> Result<Option<RuntimeMetrics>, JsErrorBox> {
    runtimes::metrics(state, runtime).map_err(err)
}

/// Replays a history (what `duroxide history ID --json [--all-executions]` prints, or an
/// execution's events, which are execution `execution` of `instance`) through the runtime's orchestrations:
/// one `InstanceReplay::document` per instance. The engine steps generators synchronously, which
/// it cannot do while ops are polled, so the replay runs as a task of its own.
#[op2(async)]
#[serde]
async fn op_runtime_replay(
    #[smi] runtime: ResourceId,
    #[serde] history: serde_json::Value,
    #[string] instance: String,
    execution: f64,
) -> Result<Vec<Value>, JsErrorBox> {
    let bare = history_file::BareEvents { instance: &instance, execution: execution.max(1.0) as u64 };
    let histories = history_file::parse(&history, &bare).map_err(type_err)?;
    let task = tokio::spawn(async move {
        let mut answers = Vec::new();
        for executions in replay::group_by_instance(histories) {
            let replayed = replay::replay_instance(runtime, &executions)?;
            answers.push(replayed.document());
        }
        Ok::<_, String>(answers)
    });
    task.await.map_err(|e| err(format!("the replay stopped: {e}")))?.map_err(err)
}

/// `{logFormat?, logLevel?, logFile?}` from Runtime options or initTracing.
#[op2]
fn op_logging_configure(#[serde] options: serde_json::Value) -> Result<(), JsErrorBox> {
    use crate::logging::{configure, parse_format, parse_level, Format, Settings};
    let text = |key: &str| options.get(key).and_then(Value::as_str);
    let settings = Settings {
        format: text("logFormat").map(parse_format).transpose().map_err(type_err)?.unwrap_or(Format::Full),
        level: text("logLevel").map(parse_level).transpose().map_err(type_err)?,
        file: text("logFile").map(std::path::PathBuf::from),
    };
    configure(&settings).map_err(err)
}

/// The limits the SDK exports, from duroxide's own constants.
#[op2]
#[serde]
fn op_sdk_limits() -> serde_json::Value {
    serde_json::json!({
        "MAX_WORKER_TAGS": limits::MAX_WORKER_TAGS,
        "MAX_TAG_NAME_BYTES": limits::MAX_TAG_NAME_BYTES,
        "MAX_KV_KEYS": limits::MAX_KV_KEYS,
        "MAX_KV_VALUE_BYTES": limits::MAX_KV_VALUE_BYTES,
    })
}
