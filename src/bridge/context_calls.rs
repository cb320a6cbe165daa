//! The synchronous `ctx` methods an orchestration calls between yields
//! (custom status, key-value state, traces), by name as js/ sends them.

use duroxide::OrchestrationContext;
use serde_json::Value;

fn arg_str(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or("")
}

/// Calls that leave nothing in history and whose results do not steer the
/// generator: not recorded for generator-cache replay.
pub fn is_trace(method: &str) -> bool {
    method == "trace"
}

pub fn dispatch(ctx: &OrchestrationContext, method: &str, args: &[Value]) -> Result<Value, String> {
    Ok(match method {
        "trace" => {
            ctx.trace(arg_str(args, 0), arg_str(args, 1));
            Value::Null
        }
        "setCustomStatus" => {
            ctx.set_custom_status(arg_str(args, 0));
            Value::Null
        }
        "resetCustomStatus" => {
            ctx.reset_custom_status();
            Value::Null
        }
        "getCustomStatus" => ctx.get_custom_status().map_or(Value::Null, Value::String),
        "setValue" => {
            ctx.set_kv_value(arg_str(args, 0), arg_str(args, 1));
            Value::Null
        }
        "getValue" => ctx.get_kv_value(arg_str(args, 0)).map_or(Value::Null, Value::String),
        "clearValue" => {
            ctx.clear_kv_value(arg_str(args, 0));
            Value::Null
        }
        "clearAllValues" => {
            ctx.clear_all_kv_values();
            Value::Null
        }
        "getKvAllValues" => {
            let mut all: Vec<(String, String)> = ctx.get_kv_all_values().into_iter().collect();
            all.sort();
            Value::Object(all.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
        }
        "getKvAllKeys" => serde_json::json!(ctx.get_kv_all_keys()),
        "getKvLength" => serde_json::json!(ctx.get_kv_length()),
        "pruneKvValuesUpdatedBefore" => {
            let cutoff = args.first().and_then(Value::as_f64).unwrap_or(0.0).max(0.0) as u64;
            serde_json::json!(ctx.prune_kv_values_updated_before(cutoff))
        }
        other => return Err(format!("unknown orchestration context method '{other}'")),
    })
}
