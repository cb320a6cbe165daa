//! V8 only, no duroxide: the one owner of the isolate ([`Host`]) and the JS
//! callbacks the bootstrap hands it, booting, evaluating the main file,
//! driving the event loop, module resolution and JS error text.
//!
//! duroxide polls an orchestration turn once with a no-op waker and its
//! handlers must be `Send`, so generator steps run synchronously inside that
//! poll and reach the isolate through this thread, not through a handle they
//! carry. The host therefore lives in a thread-local that every caller
//! borrows only for the duration of one call: the event-loop driver,
//! orchestration handlers and activity handlers take turns, and nothing holds
//! the borrow across an await (see src/globals.rs).

mod callbacks;
pub mod event_loop;
pub mod js_error;
pub mod modules;

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::task::Waker;

use deno_core::{v8, Extension, JsRuntime, ModuleSpecifier, OpState, RuntimeOptions};

pub use callbacks::Callbacks;
use js_error::format_core_error;
use modules::{Resolver, UserModuleLoader};

/// The isolate and the JS functions the host calls by name.
pub struct Host {
    runtime: JsRuntime,
    callbacks: Callbacks,
}

/// This thread's host, in separate cells so the op state and the loop's
/// waker stay reachable while the isolate itself is borrowed.
struct Current {
    host: RefCell<Option<Host>>,
    op_state: RefCell<Option<Rc<RefCell<OpState>>>>,
    loop_waker: RefCell<Option<Waker>>,
}

thread_local! {
    static CURRENT: Current = const {
        Current { host: RefCell::new(None), op_state: RefCell::new(None), loop_waker: RefCell::new(None) }
    };
}

pub struct BootOptions {
    pub extensions: Vec<Extension>,
    /// Bare module names served by extension modules, e.g. `duroxide`.
    pub builtins: &'static [(&'static str, &'static str)],
}

/// Creates the isolate on this thread and runs the extensions' bootstrap.
pub fn boot(options: BootOptions) -> Result<(), String> {
    let resolver = Resolver::new(options.builtins);
    let mut runtime = JsRuntime::try_new(RuntimeOptions {
        module_loader: Some(Rc::new(UserModuleLoader::new(resolver.clone()))),
        extensions: options.extensions,
        ..Default::default()
    })
    .map_err(|e| format!("cannot start the JavaScript engine: {}", format_core_error(&e)))?;
    let op_state = runtime.op_state();
    op_state.borrow_mut().put(resolver);
    let callbacks = Callbacks::take_from_global(&mut runtime)?;
    CURRENT.with(|c| {
        *c.op_state.borrow_mut() = Some(op_state);
        *c.host.borrow_mut() = Some(Host { runtime, callbacks });
    });
    Ok(())
}

/// Drops the isolate on the thread that created it.
pub fn shut_down() {
    let host = CURRENT.with(|c| {
        c.op_state.borrow_mut().take();
        c.loop_waker.borrow_mut().take();
        c.host.borrow_mut().take()
    });
    drop(host);
}

/// Runs `f` with the host. Fails instead of panicking when the host is
/// already borrowed further up this thread's stack or is gone.
pub fn with<R>(f: impl FnOnce(&mut Host) -> R) -> Result<R, String> {
    CURRENT.with(|c| {
        let mut guard = c
            .host
            .try_borrow_mut()
            .map_err(|_| "internal error: the JavaScript engine is busy (re-entrant call)".to_string())?;
        let host = guard.as_mut().ok_or_else(|| "the JavaScript engine has shut down".to_string())?;
        Ok(f(host))
    })
}

/// The isolate's op state, where extensions keep per-isolate state.
pub fn op_state() -> Result<Rc<RefCell<OpState>>, String> {
    CURRENT.with(|c| c.op_state.borrow().clone()).ok_or_else(|| "the JavaScript engine has shut down".to_string())
}

/// Takes the host out for calls that hold the isolate across an await
/// (module loading, before anything else runs on this thread).
fn take() -> Result<Host, String> {
    CURRENT
        .with(|c| c.host.try_borrow_mut().ok().and_then(|mut h| h.take()))
        .ok_or_else(|| "internal error: the JavaScript engine is not available".to_string())
}

fn put_back(host: Host) {
    CURRENT.with(|c| *c.host.borrow_mut() = Some(host));
}

fn set_loop_waker(waker: &Waker) {
    CURRENT.with(|c| {
        let mut w = c.loop_waker.borrow_mut();
        if !w.as_ref().is_some_and(|old| old.will_wake(waker)) {
            *w = Some(waker.clone());
        }
    });
}

/// JS run from outside the event loop may have queued ops, timers or promise
/// jobs; the event-loop task must look at them.
fn wake_loop() {
    CURRENT.with(|c| {
        if let Some(w) = c.loop_waker.borrow().as_ref() {
            w.wake_by_ref();
        }
    });
}

impl Host {
    /// (used, limit) of the V8 heap in bytes.
    pub fn heap_usage(&mut self) -> (usize, usize) {
        let mut stats = v8::HeapStatistics::default();
        self.runtime.v8_isolate().get_heap_statistics(&mut stats);
        (stats.used_heap_size(), stats.heap_size_limit())
    }
}

/// Runs the main file: CommonJS synchronously, an ES module until its
/// evaluation (top-level await included) has finished. `keep_alive` says
/// whether something outside the loop (a started runtime) may still settle
/// a pending top-level await.
pub async fn evaluate_main(path: &Path, keep_alive: &dyn Fn(&OpState) -> bool) -> Result<(), String> {
    let esm_by_name = path.extension().is_some_and(|e| e == "mjs");
    let esm = esm_by_name || with(|h| h.run_main_commonjs(&path.display().to_string()))?? == "esm";
    if !esm {
        return Ok(());
    }
    let url = ModuleSpecifier::from_file_path(path).map_err(|_| format!("cannot turn {} into a module URL", path.display()))?;
    let mut host = take()?;
    let loaded = host.runtime.load_main_es_module(&url).await.map(|id| (id, host.runtime.mod_evaluate(id)));
    put_back(host);
    let (id, evaluation) = loaded.map_err(|e| format_core_error(&e))?;
    let evaluated = event_loop::drive_until(
        evaluation,
        keep_alive,
        Some("the module's top-level await never finished: it waits for something nothing will deliver"),
    )
    .await?;
    evaluated.map_err(|e| format_core_error(&e))?;
    let namespace = with(|h| h.runtime.get_module_namespace(id))?.map_err(|e| format_core_error(&e))?;
    with(|h| h.set_main_namespace(&namespace))?
}
