//! A thread that watches how long JavaScript runs without giving control
//! back. Every entry into the isolate is bracketed by `enter`/`leave` (a
//! "stretch"); one longer than half the limit gets a warning naming the
//! place it is at, one longer than the limit is terminated
//! (`TerminateExecution`) when it belongs to an orchestration step or an
//! activity, so that one fails and the worker carries on. Code that belongs
//! to neither (a script's own work) is only warned about: a script may
//! legitimately compute for a long time.
//!
//! What a stretch is doing (where, for which activity) can only be read on
//! the isolate's own thread, so the watchdog asks V8 for an interrupt and
//! decides there. An interrupt that arrives after its stretch ended is
//! ignored (it would otherwise hit the next, innocent stretch).

use std::ffi::c_void;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use deno_core::v8;

/// Whose JavaScript a stretch runs, as far as the caller knows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Owner {
    /// A generator step of an orchestration.
    Orchestration,
    /// The synchronous start of activity call `n`.
    Activity(u32),
    /// The event loop or the script: the running continuation's tag decides.
    Unknown,
}

/// What a terminated stretch was doing.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockReport {
    /// `path:line:column` of the innermost user frame, if any.
    pub site: Option<String>,
    /// Who the stretch belonged to when it was stopped.
    pub owner: Owner,
    pub cause: Cause,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cause {
    /// Ran longer than the limit.
    Blocked(Duration),
    /// Filled the heap; the limit in MB.
    Heap(usize),
}

impl BlockReport {
    /// "ran 10 s without yielding (an infinite loop?) at flow.js:12:5"
    pub fn describe(&self) -> String {
        let at = self.site.as_deref().map(|s| format!(" at {s}")).unwrap_or_default();
        match self.cause {
            Cause::Blocked(limit) => format!("ran {} without yielding (an infinite loop?){at}", human(limit)),
            Cause::Heap(mb) => format!("exceeded the JavaScript heap limit ({mb} MB){at}"),
        }
    }
}

/// A duration as people write it: "300 ms", "1.5 s", "5 min", "6 h".
pub fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if secs < 60 {
        let s = d.as_secs_f64();
        if s.fract() == 0.0 {
            format!("{s:.0} s")
        } else {
            format!("{s:.1} s")
        }
    } else if secs < 3600 {
        match secs % 60 {
            0 => format!("{} min", secs / 60),
            rest => format!("{} min {rest} s", secs / 60),
        }
    } else {
        match secs % 3600 / 60 {
            0 => format!("{} h", secs / 3600),
            rest => format!("{} h {rest} min", secs / 3600),
        }
    }
}

/// The key under which runtime_ext/activity.js tags an activity's async
/// continuations (V8's continuation-preserved embedder data) with its call id.
const ACTIVITY_TAG: &str = "duroxideActivity";

/// The context interrupts read the stack and the activity tag in (an isolate slot).
struct WatchedContext(v8::Global<v8::Context>);

#[derive(Default)]
struct State {
    depth: u32,
    /// Increases with every stretch; interrupts carry the one they were asked for.
    stretch: u64,
    owner: Option<Owner>,
    entered: Option<Instant>,
    warned: bool,
    /// The limit was handled for this stretch (terminated, or found unstoppable).
    handled: bool,
    report: Option<BlockReport>,
    stop: bool,
}

struct Shared {
    limit: Duration,
    handle: v8::IsolateHandle,
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct Watchdog {
    shared: Arc<Shared>,
}

/// What an interrupt is for.
#[derive(Clone, Copy, PartialEq)]
enum Ask {
    Warn,
    Stop(Cause),
}

impl Watchdog {
    /// Watches the isolate whose JavaScript runs in `context`.
    pub fn start(isolate: &mut v8::Isolate, context: v8::Global<v8::Context>, limit: Duration) -> Watchdog {
        isolate.set_slot(WatchedContext(context));
        let shared =
            Arc::new(Shared { limit, handle: isolate.thread_safe_handle(), state: Mutex::new(State::default()), changed: Condvar::new() });
        let watched = shared.clone();
        std::thread::Builder::new()
            .name("duroxide-watchdog".into())
            .spawn(move || watch(&watched))
            .expect("cannot start the watchdog thread");
        Watchdog { shared }
    }

    /// JavaScript starts running for `owner` (nested entries belong to the outermost).
    pub fn enter(&self, owner: Owner) {
        let mut state = self.shared.state();
        state.depth += 1;
        if state.depth == 1 {
            state.stretch += 1;
            state.owner = Some(owner);
            state.entered = Some(Instant::now());
            state.warned = false;
            state.handled = false;
            self.shared.changed.notify_all();
        }
    }

    /// JavaScript gave control back.
    pub fn leave(&self) {
        let mut state = self.shared.state();
        state.depth = state.depth.saturating_sub(1);
        if state.depth == 0 {
            state.entered = None;
            state.owner = None;
        }
    }

    /// The report of the stretch that was stopped, once.
    pub fn take_report(&self) -> Option<BlockReport> {
        self.shared.state().report.take()
    }

    /// What V8's near-heap-limit callback calls: stops the running stretch
    /// because the heap is full. No JS may run inside that callback, so the
    /// stop happens at the next interrupt check.
    pub fn heap_alarm(&self) -> impl Fn(usize) + 'static {
        let shared = self.shared.clone();
        move |limit_mb| {
            let stretch = {
                let mut state = shared.state();
                state.handled = true;
                state.stretch
            };
            interrupt(&shared, stretch, Ask::Stop(Cause::Heap(limit_mb)));
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared.state().stop = true;
        self.shared.changed.notify_all();
    }
}

fn watch(shared: &Arc<Shared>) {
    let half = shared.limit / 2;
    let mut state = shared.state();
    loop {
        if state.stop {
            return;
        }
        let pending = state.entered.filter(|_| !state.handled);
        let Some(entered) = pending else {
            state = shared.changed.wait(state).unwrap_or_else(|e| e.into_inner());
            continue;
        };
        let elapsed = entered.elapsed();
        let stretch = state.stretch;
        let next = if elapsed >= shared.limit {
            state.handled = true;
            interrupt(shared, stretch, Ask::Stop(Cause::Blocked(shared.limit)));
            continue;
        } else if elapsed >= half && !state.warned {
            state.warned = true;
            interrupt(shared, stretch, Ask::Warn);
            shared.limit - elapsed
        } else if elapsed < half {
            half - elapsed
        } else {
            shared.limit - elapsed
        };
        state = shared.changed.wait_timeout(state, next).unwrap_or_else(|e| e.into_inner()).0;
    }
}

type Request = (Arc<Shared>, u64, Ask);

fn interrupt(shared: &Arc<Shared>, stretch: u64, ask: Ask) {
    let data = Box::into_raw(Box::new((shared.clone(), stretch, ask) as Request)).cast::<c_void>();
    if !shared.handle.request_interrupt(on_interrupt, data) {
        // SAFETY: V8 refused it (the isolate is gone), so the box is still ours.
        drop(unsafe { Box::from_raw(data.cast::<Request>()) });
    }
}

extern "C" fn on_interrupt(isolate: &mut v8::Isolate, data: *mut c_void) {
    // SAFETY: `interrupt` boxed exactly this type, and V8 calls back once.
    let (shared, stretch, ask) = *unsafe { Box::from_raw(data.cast::<Request>()) };
    let owner = {
        let state = shared.state();
        match state.owner {
            Some(owner) if state.stretch == stretch && state.depth > 0 => owner,
            _ => return,
        }
    };
    let (site, tagged) = locate(isolate);
    let owner = match (tagged, owner) {
        (Some(call), _) => Owner::Activity(call),
        (None, owner) => owner,
    };
    match ask {
        Ask::Warn => {
            let at = site.as_deref().map(|s| format!(" at {s}")).unwrap_or_default();
            tracing::warn!(
                "JavaScript {} has run {} without yielding{at}; {}",
                whose(owner),
                human(shared.limit / 2),
                if owner == Owner::Unknown {
                    "it belongs to no orchestration or activity, so it will not be stopped".to_string()
                } else {
                    format!("it will be stopped at {} (--js-block-limit)", human(shared.limit))
                }
            );
        }
        Ask::Stop(Cause::Blocked(_)) if owner == Owner::Unknown => {
            let at = site.as_deref().map(|s| format!(" at {s}")).unwrap_or_default();
            tracing::warn!(
                "JavaScript has run {} without yielding{at}; it belongs to no orchestration or activity and is not stopped",
                human(shared.limit)
            );
        }
        Ask::Stop(cause) => {
            shared.state().report = Some(BlockReport { site, owner, cause });
            isolate.terminate_execution();
        }
    }
}

fn whose(owner: Owner) -> &'static str {
    match owner {
        Owner::Orchestration => "of an orchestration",
        Owner::Activity(_) => "of an activity",
        Owner::Unknown => "",
    }
}

/// The innermost user frame, and the activity tag of the running continuation.
fn locate(isolate: &mut v8::Isolate) -> (Option<String>, Option<u32>) {
    let Some(context) = isolate.get_slot::<WatchedContext>().map(|c| c.0.clone()) else {
        return (None, None);
    };
    // SAFETY: interrupts run on the isolate's thread while it executes JS.
    let scope = &mut unsafe { v8::CallbackScope::new(isolate) };
    let scope = &mut v8::HandleScope::new(scope);
    let context = v8::Local::new(scope, context);
    let scope = &mut v8::ContextScope::new(scope, context);
    let site = v8::StackTrace::current_stack_trace(scope, 32).and_then(|trace| super::js_error::first_user_frame(scope, trace));
    let data = scope.get_continuation_preserved_embedder_data();
    let activity = v8::Local::<v8::Object>::try_from(data).ok().and_then(|object| {
        let key = v8::String::new(scope, ACTIVITY_TAG)?;
        let value = object.get(scope, key.into())?;
        value.is_number().then(|| value.number_value(scope).unwrap_or(0.0) as u32)
    });
    (site, activity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_read_as_sentences() {
        let report =
            BlockReport { site: Some("flow.js:12:5".into()), owner: Owner::Orchestration, cause: Cause::Blocked(Duration::from_secs(10)) };
        assert_eq!(report.describe(), "ran 10 s without yielding (an infinite loop?) at flow.js:12:5");
        let report = BlockReport { site: None, owner: Owner::Activity(3), cause: Cause::Heap(64) };
        assert_eq!(report.describe(), "exceeded the JavaScript heap limit (64 MB)");
        assert_eq!(human(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(human(Duration::from_millis(300)), "300 ms");
        assert_eq!(human(Duration::from_secs(300)), "5 min");
        assert_eq!(human(Duration::from_secs(90)), "1 min 30 s");
        assert_eq!(human(Duration::from_secs(6 * 3600)), "6 h");
        assert_eq!(human(Duration::from_secs(5400)), "1 h 30 min");
    }
}
