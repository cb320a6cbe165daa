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
pub mod watchdog;

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::task::Waker;
use std::time::Duration;

use deno_core::{v8, Extension, JsRuntime, ModuleSpecifier, OpState, RuntimeOptions};

pub use callbacks::{CallError, Callbacks};
use js_error::format_core_error;
use modules::typescript::SourceMaps;
use modules::{Resolver, UserModuleLoader};
use watchdog::{BlockReport, Cause, Owner, Watchdog};

/// The isolate and the JS functions the host calls by name.
pub struct Host {
    runtime: JsRuntime,
    callbacks: Callbacks,
    watchdog: Watchdog,
    /// The heap limit V8 returns to after a stretch that filled the heap was stopped.
    heap_limit: usize,
}

/// Told about a stopped stretch that belongs to an activity other than the
/// caller's (its continuation was running); true when it took care of it.
pub type StopListener = Rc<dyn Fn(&BlockReport) -> bool>;

/// This thread's host, in separate cells so the op state and the loop's
/// waker stay reachable while the isolate itself is borrowed.
struct Current {
    host: RefCell<Option<Host>>,
    op_state: RefCell<Option<Rc<RefCell<OpState>>>>,
    loop_waker: RefCell<Option<Waker>>,
    stop_listener: RefCell<Option<StopListener>>,
}

thread_local! {
    static CURRENT: Current = const {
        Current {
            host: RefCell::new(None),
            op_state: RefCell::new(None),
            loop_waker: RefCell::new(None),
            stop_listener: RefCell::new(None),
        }
    };
}

pub struct BootOptions {
    pub extensions: Vec<Extension>,
    /// Bare module names served by extension modules, e.g. `duroxide`.
    pub builtins: &'static [(&'static str, &'static str)],
    pub limits: Limits,
}

/// What user JavaScript may take before it is stopped.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Longest synchronous stretch of an orchestration step or activity.
    pub js_block: Duration,
    /// The V8 heap limit in MB (None: V8's default for this machine).
    pub max_heap_mb: Option<usize>,
}

const MB: usize = 1024 * 1024;

/// Creates the isolate on this thread and runs the extensions' bootstrap.
pub fn boot(options: BootOptions) -> Result<(), String> {
    let resolver = Resolver::new(options.builtins);
    let source_maps = SourceMaps::default();
    let create_params = options.limits.max_heap_mb.map(|mb| v8::CreateParams::default().heap_limits(0, mb * MB));
    let mut runtime = JsRuntime::try_new(RuntimeOptions {
        module_loader: Some(Rc::new(UserModuleLoader::new(resolver.clone(), source_maps.clone()))),
        extensions: options.extensions,
        create_params,
        ..Default::default()
    })
    .map_err(|e| format!("cannot start the JavaScript engine: {}", format_core_error(&e)))?;
    // Also in an isolate slot: the watchdog reads frames inside an interrupt, where OpState may be borrowed.
    runtime.v8_isolate().set_slot(source_maps.clone());
    let op_state = runtime.op_state();
    op_state.borrow_mut().put(resolver);
    op_state.borrow_mut().put(source_maps);
    let callbacks = Callbacks::take_from_global(&mut runtime)?;
    let context = runtime.main_context();
    let watchdog = Watchdog::start(runtime.v8_isolate(), context, options.limits.js_block);
    let mut host = Host { runtime, callbacks, watchdog, heap_limit: 0 };
    host.heap_limit = host.heap_usage().1;
    host.watch_heap();
    CURRENT.with(|c| {
        *c.op_state.borrow_mut() = Some(op_state);
        *c.host.borrow_mut() = Some(host);
    });
    Ok(())
}

/// Source positions computed when a function is compiled, not when a stack
/// trace first needs them: a trace taken at a stack overflow has no room left
/// to compute them and would point every frame at line 1, column 1. V8 freezes
/// its flags when its platform starts: call this in `main`, before `init_platform`.
pub fn set_v8_flags() {
    let unknown = deno_core::v8_set_flags(vec!["duroxide".into(), "--no-enable-lazy-source-positions".into()]);
    debug_assert_eq!(unknown, vec!["duroxide".to_string()], "V8 did not take every flag");
}

/// Who hears about stopped stretches that belong to activities in flight.
pub fn set_stop_listener(listener: StopListener) {
    CURRENT.with(|c| *c.stop_listener.borrow_mut() = Some(listener));
}

/// Hands a stopped stretch to the listener; false when nobody took it.
fn tell_stop_listener(report: &BlockReport) -> bool {
    let listener = CURRENT.with(|c| c.stop_listener.borrow().clone());
    listener.is_some_and(|listen| listen(report))
}

/// Drops the isolate on the thread that created it.
pub fn shut_down() {
    let host = CURRENT.with(|c| {
        c.op_state.borrow_mut().take();
        c.loop_waker.borrow_mut().take();
        c.stop_listener.borrow_mut().take();
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

    /// Near the heap limit, the stretch that is allocating is stopped, and V8
    /// gets room to unwind it instead of dying with "out of memory".
    fn watch_heap(&mut self) {
        let alarm = self.watchdog.heap_alarm();
        let mb = self.heap_limit / MB;
        self.runtime.add_near_heap_limit_callback(move |current, _initial| {
            alarm(mb);
            current + (current / 2).max(64 * MB)
        });
    }

    /// After a stop for heap: collect what the stopped code held and go back to the limit.
    fn recover_heap(&mut self) {
        self.runtime.v8_isolate().low_memory_notification();
        self.runtime.remove_near_heap_limit_callback(self.heap_limit);
        self.watch_heap();
    }

    /// Polls the event loop once, under the watchdog.
    fn poll_event_loop(&mut self, cx: &mut std::task::Context) -> (std::task::Poll<Result<(), deno_core::error::CoreError>>, Option<BlockReport>) {
        self.watchdog.enter(Owner::Unknown);
        let polled = self.runtime.poll_event_loop(cx, deno_core::PollEventLoopOptions::default());
        self.runtime.v8_isolate().cancel_terminate_execution();
        self.watchdog.leave();
        let stopped = self.stopped();
        if stopped.is_some() {
            self.after_stop();
        }
        (polled, stopped)
    }

    /// The stretch stopped since the last look, if any (the heap recovered).
    fn stopped(&mut self) -> Option<BlockReport> {
        let report = self.watchdog.take_report()?;
        if matches!(report.cause, Cause::Heap(_)) {
            self.recover_heap();
        }
        Some(report)
    }
}

/// Runs the main file: CommonJS synchronously, an ES module until its
/// evaluation (top-level await included) has finished. `keep_alive` says
/// whether something outside the loop (a started runtime) may still settle
/// a pending top-level await.
pub async fn evaluate_main(path: &Path, keep_alive: &dyn Fn(&OpState) -> bool) -> Result<(), String> {
    let esm_by_name = path.extension().is_some_and(|e| e == "mjs")
        || (modules::typescript::is_typescript(path) && modules::typescript::kind_of(path) == modules::typescript::Kind::EsModule);
    let esm = esm_by_name || with(|h| h.run_main_commonjs(&path.display().to_string()))?? == "esm";
    if !esm {
        return Ok(());
    }
    let url = ModuleSpecifier::from_file_path(path).map_err(|_| format!("cannot turn {} into a module URL", path.display()))?;
    let mut host = take()?;
    let loaded = host.runtime.load_main_es_module(&url).await.map(|id| (id, host.runtime.mod_evaluate(id)));
    put_back(host);
    let (id, evaluation) = loaded.map_err(|e| format_core_error(&e))?;
    // The evaluation is a promise (deno_core reports its rejection as one), but
    // what it rejected with was thrown by the module's own code, as in Node.
    let thrown = |e: String| e.replacen("Uncaught (in promise) ", "Uncaught ", 1);
    let evaluated = event_loop::drive_until(
        evaluation,
        keep_alive,
        Some("the module's top-level await never finished: it waits for something nothing will deliver"),
    )
    .await
    .map_err(thrown)?;
    evaluated.map_err(|e| thrown(format_core_error(&e)))?;
    let namespace = with(|h| h.runtime.get_module_namespace(id))?.map_err(|e| format_core_error(&e))?;
    with(|h| h.set_main_namespace(&namespace))?
}
