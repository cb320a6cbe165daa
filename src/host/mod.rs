//! The JS host: one isolate owned by the current thread.
//!
//! duroxide polls an orchestration turn once with a no-op waker, so generator
//! steps must run synchronously inside that poll. The isolate therefore lives
//! in a thread-local that every caller on this thread borrows only for the
//! duration of one call: the event-loop driver, orchestration handlers and
//! activity handlers take turns, and nothing holds the borrow across an await.

pub mod js_error;
pub mod loader;
pub mod script;
pub mod worker;

use std::cell::RefCell;
use std::task::Waker;

use deno_core::v8;
use deno_core::JsRuntime;

/// JS functions the bootstrap hands to Rust (see runtime_ext/bootstrap.js).
pub struct Hooks {
    pub create_generator: v8::Global<v8::Function>,
    pub step_generator: v8::Global<v8::Function>,
    pub dispose_generator: v8::Global<v8::Function>,
    pub run_activity: v8::Global<v8::Function>,
    pub yield_site: v8::Global<v8::Function>,
    pub run_main_commonjs: v8::Global<v8::Function>,
    pub read_exit_code: v8::Global<v8::Function>,
    pub set_main_namespace: v8::Global<v8::Function>,
    pub workflow_exports: v8::Global<v8::Function>,
    pub serve_workflows: v8::Global<v8::Function>,
}

thread_local! {
    static RUNTIME: RefCell<Option<JsRuntime>> = const { RefCell::new(None) };
    static HOOKS: RefCell<Option<Hooks>> = const { RefCell::new(None) };
    static LOOP_WAKER: RefCell<Option<Waker>> = const { RefCell::new(None) };
}

pub fn install(runtime: JsRuntime) {
    RUNTIME.with(|r| *r.borrow_mut() = Some(runtime));
}

/// Takes the isolate out for calls that must hold it across an await
/// (module loading, before any duroxide runtime exists).
pub fn take() -> Result<JsRuntime, String> {
    RUNTIME.with(|r| r.try_borrow_mut().ok().and_then(|mut r| r.take()))
        .ok_or_else(|| "internal error: the JavaScript engine is not available".to_string())
}

/// Drops the isolate on the thread that created it.
pub fn uninstall() {
    HOOKS.with(|h| h.borrow_mut().take());
    let runtime = RUNTIME.with(|r| r.borrow_mut().take());
    drop(runtime);
}

pub fn set_hooks(hooks: Hooks) {
    HOOKS.with(|h| *h.borrow_mut() = Some(hooks));
}

/// Runs `f` with the isolate. Fails instead of panicking when the isolate is
/// already borrowed further up this thread's stack or is gone.
pub fn with_runtime<R>(f: impl FnOnce(&mut JsRuntime) -> R) -> Result<R, String> {
    RUNTIME.with(|cell| {
        let mut guard = cell
            .try_borrow_mut()
            .map_err(|_| "internal error: the JavaScript engine is busy (re-entrant call)".to_string())?;
        let runtime = guard
            .as_mut()
            .ok_or_else(|| "the JavaScript engine has shut down".to_string())?;
        Ok(f(runtime))
    })
}

pub fn set_loop_waker(waker: &Waker) {
    LOOP_WAKER.with(|w| {
        let mut w = w.borrow_mut();
        if !w.as_ref().is_some_and(|old| old.will_wake(waker)) {
            *w = Some(waker.clone());
        }
    });
}

/// JS run from outside the event loop may have queued ops, timers or promise
/// jobs; the event-loop task must look at them.
pub fn wake_loop() {
    LOOP_WAKER.with(|w| {
        if let Some(w) = w.borrow().as_ref() {
            w.wake_by_ref();
        }
    });
}

/// An argument for a hook call.
pub enum Arg<'a> {
    Str(&'a str),
    Num(f64),
    Bool(bool),
    Object(&'a v8::Global<v8::Object>),
}

/// Calls one of the bootstrap hooks synchronously and returns its result as a
/// string (hooks return JSON text or nothing). A throw becomes `Err`.
pub fn call_hook(pick: fn(&Hooks) -> &v8::Global<v8::Function>, args: &[Arg]) -> Result<String, String> {
    let result = with_runtime(|runtime| {
        let function = HOOKS.with(|h| h.borrow().as_ref().map(|hooks| pick(hooks).clone()));
        let Some(function) = function else {
            return Err("the JavaScript engine is not initialised".to_string());
        };
        let scope = &mut runtime.handle_scope();
        let function = v8::Local::new(scope, function);
        let mut values: Vec<v8::Local<v8::Value>> = Vec::with_capacity(args.len());
        for arg in args {
            values.push(match arg {
                Arg::Str(s) => v8::String::new(scope, s)
                    .ok_or_else(|| "string too long for the JavaScript engine".to_string())?
                    .into(),
                Arg::Num(n) => v8::Number::new(scope, *n).into(),
                Arg::Bool(b) => v8::Boolean::new(scope, *b).into(),
                Arg::Object(o) => v8::Local::new(scope, *o).into(),
            });
        }
        let scope = &mut v8::TryCatch::new(scope);
        let receiver = v8::undefined(scope).into();
        let out = function.call(scope, receiver, &values);
        let text = match out {
            Some(v) if v.is_string() => Ok(v.to_rust_string_lossy(scope)),
            Some(_) => Ok(String::new()),
            None => Err(js_error::describe_exception(scope)),
        };
        scope.perform_microtask_checkpoint();
        text
    })?;
    wake_loop();
    result
}
