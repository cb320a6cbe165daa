//! The only code that sees both V8 and duroxide: orchestration sessions and
//! the generator cache, the activity bridge, synchronous ctx calls, the
//! stores and runtimes JS creates, as resources of the isolate, and replays
//! of recorded histories through a runtime's orchestrations.
//!
//! Per-isolate state lives in the isolate's `OpState`, put there once by
//! [`install`] when the isolate boots:
//!
//! | state | module | holds |
//! |---|---|---|
//! | `Sessions` | orchestration | the turns running now: duroxide ctx, log, JS generator, by token |
//! | `GeneratorCache` | generator_cache | generators suspended between turns (LRU, heap-bounded) |
//! | `Activities` | activity | activities in flight: the reply channel and duroxide ctx, by call id |
//! | `activity::Limits` | activity | how long an activity may run before it is warned about, then failed |
//! | `Arc<SiteBook>` | yield_sites | where each instance last yielded (shared with the stores' notes) |
//! | `ReplaySites` | replay | during a replay check, the yield each emitted action came from |
//! | `StoreOptions` | engine::store | how stores opened here are decorated |
//! | resources `duroxideStore`, `duroxideRuntime` | stores, runtimes | what JS providers and runtimes hold by id |
//!
//! duroxide's handlers must be `Send`, so they carry ids, not handles, and
//! reach this state through the host's thread ([`with_state`]); ops get it
//! from deno directly. Neither may call into JS while holding it borrowed:
//! JS calls ops, and ops borrow it again.

pub mod activity;
pub mod context_calls;
pub mod generator_cache;
pub mod orchestration;
pub mod replay;
pub mod runtimes;
pub mod stores;
pub mod yield_sites;

use std::sync::Arc;

use deno_core::OpState;

use crate::engine::store::StoreOptions;
use crate::host;

/// Knobs of the bridge, read once at the edge (see src/settings.rs).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Generators kept between turns; 0 turns the cache off.
    pub generator_cache: usize,
    /// Replay every resumed turn from the start too, and fail on divergence.
    pub replay_check: bool,
    /// No in-process wake-ups (only to measure what they buy).
    pub no_wake_ups: bool,
    /// How durable commits to SQLite files are (`--sqlite-sync`, set by the CLI).
    pub sqlite_sync: crate::engine::store::Durability,
    /// How long activities may run.
    pub activity_limits: activity::Limits,
}

/// Puts the bridge's per-isolate state into a new isolate's op state.
pub fn install(state: &mut OpState, settings: &Settings) {
    let sites = Arc::new(yield_sites::SiteBook::default());
    state.put(StoreOptions { no_wake_ups: settings.no_wake_ups, sqlite_sync: settings.sqlite_sync, yield_sites: Some(sites.clone()) });
    state.put(sites);
    state.put(orchestration::Sessions::default());
    state.put(replay::ReplaySites::default());
    state.put(activity::Activities::default());
    state.put(settings.activity_limits);
    host::set_stop_listener(std::rc::Rc::new(activity::stopped));
    state.put(generator_cache::GeneratorCache::<deno_core::v8::Global<deno_core::v8::Object>>::new(
        settings.generator_cache,
        settings.replay_check,
    ));
}

/// Runs `f` with this thread's isolate's op state, from code that is not
/// an op (duroxide's handlers). Never call into JS inside `f`.
fn with_state<R>(f: impl FnOnce(&mut OpState) -> R) -> Result<R, String> {
    let state = host::op_state()?;
    let mut state =
        state.try_borrow_mut().map_err(|_| "internal error: the JavaScript engine's state is busy (re-entrant call)".to_string())?;
    Ok(f(&mut state))
}
