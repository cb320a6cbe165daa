//! `process` and `console` (process.js): the script's argv (startup data),
//! environment, exit and output.

use std::io::{IsTerminal, Write};

use deno_core::{op2, OpState};
use deno_error::JsErrorBox;
use serde_json::Value;

/// `process.argv`, given when the isolate starts.
struct ScriptArgv(Vec<String>);

deno_core::extension!(
    duroxide_process,
    ops = [op_process_info, op_process_exit, op_console_write, op_set_raw, op_process_rss],
    esm = ["ext:duroxide/process.js" = "runtime_ext/process.js"],
    options = { argv: Vec<String> },
    state = |state, options| {
        state.put(ScriptArgv(options.argv));
    },
);

#[op2]
#[serde]
fn op_process_info(state: &mut OpState) -> serde_json::Value {
    // In a sandbox, only the variables --allow-env grants.
    let mut permissions = state.borrow::<deno_permissions::PermissionsContainer>().clone();
    let env: serde_json::Map<String, Value> =
        std::env::vars().filter(|(k, _)| permissions.check_env(k).is_ok()).map(|(k, v)| (k, Value::String(v))).collect();
    serde_json::json!({
        "argv": state.borrow::<ScriptArgv>().0,
        "env": env,
        "platform": std::env::consts::OS,
        "target": env!("TARGET"),
        "version": env!("CARGO_PKG_VERSION"),
        "v8": deno_core::v8::VERSION_STRING,
        "arch": match std::env::consts::ARCH { "x86_64" => "x64", "aarch64" => "arm64", other => other },
        // SAFETY: getuid/getgid cannot fail.
        "uid": unsafe { libc::getuid() },
        "gid": unsafe { libc::getgid() },
        "pid": std::process::id(),
        "cwd": std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_default(),
        // deno_process refuses LD_*/DYLD_* variables to children unless every program may run.
        "runAll": permissions.query_run_all("process"),
        // Children of a sandbox find their programs on the real PATH even when the script may not read it.
        "path": std::env::var("PATH").unwrap_or_default(),
        "stdoutIsTty": std::io::stdout().is_terminal(),
        "stderrIsTty": std::io::stderr().is_terminal(),
    })
}

/// Leaves at once, as Node does. `_exit` skips thread-local destructors: the
/// isolate must not be dropped from inside the JS call that asked to exit.
/// The resident set of `process.memoryUsage()` (its heap figures come from deno_core's op_memory_usage).
#[op2(fast)]
#[number]
fn op_process_rss() -> u64 {
    resident_bytes()
}

/// Resident pages from /proc/self/statm (its second field) in bytes; 0 where there is none.
fn resident_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    // SAFETY: sysconf only reads a system constant.
    let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * u64::try_from(page_size).unwrap_or(4096)
}

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

/// deno_io and deno_fs import this terminal op, which deno keeps in its own
/// runtime; jobs have no terminal to put in raw mode.
#[op2(fast)]
fn op_set_raw(#[smi] _rid: u32, _is_raw: bool, _cbreak: bool) -> Result<(), JsErrorBox> {
    Err(JsErrorBox::new("NotSupported", "raw terminal mode is not available in duroxide"))
}
