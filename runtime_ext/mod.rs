//! The deno_core extension: ops the JS layer calls (stores, client, runtime,
//! orchestration and activity contexts, CommonJS, process), and the JS that
//! calls them (bootstrap.js here, the SDK in ../js).

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::OnceLock;

use deno_core::{op2, v8};
use deno_error::JsErrorBox;
use serde_json::Value;

use crate::engine::{activity, client, orchestration, runtimes, stores};
use crate::host;

/// Granted to deno_web for `performance.now()` precision.
pub struct TimerPermissions;

impl deno_web::TimersPermission for TimerPermissions {
    fn allow_hrtime(&mut self) -> bool {
        true
    }
}

deno_core::extension!(
    duroxide_ext,
    deps = [deno_webidl, deno_console, deno_url, deno_web],
    ops = [
        op_host_set_hooks,
        op_process_info,
        op_process_exit,
        op_console_write,
        op_cjs_resolve,
        op_cjs_compile,
        op_read_text_file,
        op_random_bytes,
        op_store_open_sqlite,
        op_store_in_memory,
        op_store_open_postgres,
        op_client,
        op_runtime_create,
        op_runtime_register,
        op_runtime_start,
        op_runtime_shutdown,
        op_runtime_metrics,
        op_logging_configure,
        op_orch_call,
        op_activity_settle,
        op_activity_call,
    ],
    esm_entry_point = "ext:duroxide/bootstrap.js",
    esm = [
        "ext:duroxide/bootstrap.js" = "runtime_ext/bootstrap.js",
        "ext:duroxide/json.js" = "js/json.js",
        "ext:duroxide/orchestration_context.js" = "js/orchestration_context.js",
        "ext:duroxide/activity_context.js" = "js/activity_context.js",
        "ext:duroxide/guard.js" = "js/guard.js",
        "ext:duroxide/driver.js" = "js/driver.js",
        "ext:duroxide/sdk.js" = "js/duroxide.js",
        "ext:duroxide/workflow_module.js" = "js/workflow_module.js",
    ],
    state = |state| {
        state.put(TimerPermissions);
    },
);

/// `process.argv` for the script: like Node, `[binary, script, ...args]`.
pub static SCRIPT_ARGV: OnceLock<Vec<String>> = OnceLock::new();

fn err(message: impl Into<String>) -> JsErrorBox {
    JsErrorBox::generic(message.into())
}

fn type_err(message: impl Into<String>) -> JsErrorBox {
    JsErrorBox::type_error(message.into())
}

// ── host ─────────────────────────────────────────────────────────

#[op2(fast)]
fn op_host_set_hooks(scope: &mut v8::HandleScope, hooks: v8::Local<v8::Value>) -> Result<(), JsErrorBox> {
    let hooks = v8::Local::<v8::Object>::try_from(hooks).map_err(|_| type_err("hooks must be an object"))?;
    let mut get = |name: &str| -> Result<v8::Global<v8::Function>, JsErrorBox> {
        let key = v8::String::new(scope, name).ok_or_else(|| err("bad hook name"))?;
        let value = hooks.get(scope, key.into()).ok_or_else(|| err(format!("missing hook {name}")))?;
        let f = v8::Local::<v8::Function>::try_from(value).map_err(|_| type_err(format!("hook {name} is not a function")))?;
        Ok(v8::Global::new(scope, f))
    };
    host::set_hooks(host::Hooks {
        create_generator: get("createGenerator")?,
        step_generator: get("stepGenerator")?,
        dispose_generator: get("disposeGenerator")?,
        run_activity: get("runActivity")?,
        yield_site: get("yieldSite")?,
        run_main_commonjs: get("runMainCommonJs")?,
        read_exit_code: get("readExitCode")?,
        set_main_namespace: get("setMainNamespace")?,
        workflow_exports: get("workflowExports")?,
        serve_workflows: get("serveWorkflows")?,
    });
    Ok(())
}

#[op2]
#[serde]
fn op_process_info() -> serde_json::Value {
    let argv = SCRIPT_ARGV.get().cloned().unwrap_or_default();
    let env: serde_json::Map<String, Value> = std::env::vars().map(|(k, v)| (k, Value::String(v))).collect();
    serde_json::json!({
        "argv": argv,
        "env": env,
        "platform": std::env::consts::OS,
        "pid": std::process::id(),
        "cwd": std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_default(),
        "stdoutIsTty": std::io::stdout().is_terminal(),
        "stderrIsTty": std::io::stderr().is_terminal(),
    })
}

/// Leaves at once, as Node does. `_exit` skips thread-local destructors: the
/// isolate must not be dropped from inside the JS call that asked to exit.
#[op2(fast)]
fn op_process_exit(code: i32) {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: _exit has no preconditions; it ends the process without returning.
    unsafe { libc::_exit(code) }
}

/// console output; a closed pipe (`| head`) is not an error worth a crash.
#[op2(fast)]
fn op_console_write(#[string] text: &str, to_stderr: bool) {
    let _ = if to_stderr {
        std::io::stderr().write_all(text.as_bytes())
    } else {
        let mut out = std::io::stdout();
        out.write_all(text.as_bytes()).and_then(|_| out.flush())
    };
}

#[op2]
#[buffer]
fn op_random_bytes(#[smi] length: u32) -> Result<Vec<u8>, JsErrorBox> {
    let mut bytes = vec![0u8; length as usize];
    getrandom::fill(&mut bytes).map_err(|e| err(format!("no randomness available: {e}")))?;
    Ok(bytes)
}

// ── CommonJS ─────────────────────────────────────────────────────

#[op2]
#[string]
fn op_cjs_resolve(#[string] specifier: String, #[string] from_file: String) -> Result<String, JsErrorBox> {
    crate::host::script::resolve_require(&specifier, Path::new(&from_file))
        .map(|p| p.display().to_string())
        .map_err(type_err)
}

#[op2]
#[string]
fn op_read_text_file(#[string] path: String) -> Result<String, JsErrorBox> {
    std::fs::read_to_string(&path).map_err(|e| err(format!("cannot read {path}: {e}")))
}

/// Compiles a CommonJS file into `function (exports, require, module,
/// __filename, __dirname)` with the file's own name and line numbers.
#[op2]
fn op_cjs_compile<'s>(
    scope: &mut v8::HandleScope<'s>,
    #[string] path: String,
) -> Result<v8::Local<'s, v8::Function>, JsErrorBox> {
    let code = std::fs::read_to_string(&path).map_err(|e| err(format!("cannot read {path}: {e}")))?;
    let code = code.strip_prefix("#!").map(|rest| format!("//{rest}")).unwrap_or(code);
    let source = v8::String::new(scope, &code).ok_or_else(|| err(format!("{path} is too large")))?;
    let name = v8::String::new(scope, &path).ok_or_else(|| err("path too long"))?;
    let origin = v8::ScriptOrigin::new(scope, name.into(), 0, 0, false, 0, None, false, false, false, None);
    let mut source = v8::script_compiler::Source::new(source, Some(&origin));
    let params: Vec<v8::Local<v8::String>> = ["exports", "require", "module", "__filename", "__dirname"]
        .iter()
        .map(|p| v8::String::new(scope, p).unwrap())
        .collect();
    let tc = &mut v8::TryCatch::new(scope);
    let compiled = v8::script_compiler::compile_function(
        tc,
        &mut source,
        &params,
        &[],
        v8::script_compiler::CompileOptions::NoCompileOptions,
        v8::script_compiler::NoCacheReason::NoReason,
    );
    match compiled {
        Some(f) => Ok(f),
        None => {
            let (text, location) = match tc.message() {
                Some(m) => {
                    let text = m.get(tc).to_rust_string_lossy(tc);
                    let line = m.get_line_number(tc).unwrap_or(0);
                    let column = m.get_start_column() + 1;
                    (text, format!("{path}:{line}:{column}"))
                }
                None => ("SyntaxError".to_string(), path.clone()),
            };
            let text = text.strip_prefix("Uncaught ").unwrap_or(&text);
            let text = text.strip_prefix("SyntaxError: ").unwrap_or(text);
            Err(JsErrorBox::new("SyntaxError", format!("{text} at {location}")))
        }
    }
}

// ── stores and client ────────────────────────────────────────────

#[op2(async)]
async fn op_store_open_sqlite(#[string] path: String) -> Result<u32, JsErrorBox> {
    let store = stores::open_sqlite(&path).await.map_err(err)?;
    Ok(stores::add(store))
}

#[op2(async)]
async fn op_store_open_postgres(#[string] url: String, #[string] schema: Option<String>) -> Result<u32, JsErrorBox> {
    let store = stores::open_postgres(&url, schema.as_deref()).await.map_err(err)?;
    Ok(stores::add(store))
}

#[op2(async)]
async fn op_store_in_memory() -> Result<u32, JsErrorBox> {
    let store = stores::open_in_memory().await.map_err(err)?;
    Ok(stores::add(store))
}

#[op2(async)]
#[serde]
async fn op_client(#[smi] store: u32, #[string] method: String, #[serde] args: Vec<serde_json::Value>) -> Result<serde_json::Value, JsErrorBox> {
    let store = stores::get(store).map_err(type_err)?;
    client::call(store, &method, &args).await.map_err(err)
}

// ── runtime ──────────────────────────────────────────────────────

#[op2]
#[smi]
fn op_runtime_create(#[smi] store: u32, #[serde] options: serde_json::Value) -> Result<u32, JsErrorBox> {
    let store = stores::get(store).map_err(type_err)?;
    runtimes::create(store, &options).map_err(type_err)
}

#[op2]
fn op_runtime_register(
    #[smi] runtime: u32,
    #[string] kind: &str,
    #[string] name: &str,
    #[string] version: Option<String>,
) -> Result<(), JsErrorBox> {
    match kind {
        "activity" => runtimes::register_activity(runtime, name),
        _ => runtimes::register_orchestration(runtime, name, version.as_deref().unwrap_or("1.0.0")),
    }
    .map_err(err)
}

#[op2(async)]
async fn op_runtime_start(#[smi] runtime: u32) -> Result<(), JsErrorBox> {
    runtimes::start(runtime).await.map_err(err)
}

#[op2(async)]
async fn op_runtime_shutdown(#[smi] runtime: u32, timeout_ms: f64) -> Result<(), JsErrorBox> {
    let timeout = (timeout_ms >= 0.0).then_some(timeout_ms as u64);
    runtimes::shutdown(runtime, timeout).await.map_err(err)
}

#[op2]
#[serde]
fn op_runtime_metrics(#[smi] runtime: u32) -> Result<serde_json::Value, JsErrorBox> {
    runtimes::metrics(runtime).map_err(err)
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

// ── contexts ─────────────────────────────────────────────────────

fn arg_str<'a>(args: &'a [Value], i: usize) -> &'a str {
    args.get(i).and_then(Value::as_str).unwrap_or("")
}

#[op2]
#[serde]
fn op_orch_call(#[smi] token: u32, #[string] method: &str, #[serde] args: Vec<serde_json::Value>) -> Result<serde_json::Value, JsErrorBox> {
    orchestration::context_call(token, method, args).map_err(err)
}

#[op2(fast)]
fn op_activity_settle(#[smi] call: u32, ok: bool, #[string] payload: String) {
    activity::settle(call, if ok { Ok(payload) } else { Err(payload) });
}

#[op2]
#[serde]
fn op_activity_call(#[smi] call: u32, #[string] method: &str, #[serde] args: Vec<serde_json::Value>) -> Result<serde_json::Value, JsErrorBox> {
    let result = activity::with_context(call, |ctx| match method {
        "trace" => {
            let message = arg_str(&args, 1);
            match arg_str(&args, 0) {
                "WARN" => ctx.trace_warn(message),
                "ERROR" => ctx.trace_error(message),
                "DEBUG" => ctx.trace_debug(message),
                _ => ctx.trace_info(message),
            }
            Ok(Value::Null)
        }
        "isCancelled" => Ok(Value::Bool(ctx.is_cancelled())),
        other => Err(format!("unknown activity context method '{other}'")),
    });
    match result {
        Some(r) => r.map_err(err),
        // The activity already finished (or timed out): traces go nowhere, and it is cancelled.
        None => Ok(if method == "isCancelled" { Value::Bool(true) } else { Value::Null }),
    }
}
