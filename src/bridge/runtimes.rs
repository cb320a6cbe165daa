//! JS `Runtime` objects: resources in the isolate's table, each an engine
//! runtime plus the JS functions registered on it. The duroxide handlers
//! capture only the resource id (they must be `Send`) and look the function
//! up here when they run.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use deno_core::{v8, OpState, Resource, ResourceId};

use super::generator_cache::GeneratorCache;
use super::{activity, orchestration, stores};
use crate::engine::options::{parse_options, RuntimeMetrics};
use crate::engine::runtime::{ActivityHandler, OrchestrationHandler, Runtime, DEFAULT_SHUTDOWN_MS};
use crate::engine::store::Released;

pub struct RuntimeResource {
    runtime: RefCell<Runtime>,
    store: ResourceId,
    /// By (name, version as duroxide reports it).
    orchestrations: RefCell<HashMap<(String, String), v8::Global<v8::Function>>>,
    activities: RefCell<HashMap<String, v8::Global<v8::Function>>>,
}

const RESOURCE_NAME: &str = "duroxideRuntime";

impl Resource for RuntimeResource {
    fn name(&self) -> Cow<'_, str> {
        RESOURCE_NAME.into()
    }
}

fn get(state: &OpState, rid: ResourceId) -> Result<Rc<RuntimeResource>, String> {
    state.resource_table.get::<RuntimeResource>(rid).map_err(|_| format!("unknown runtime handle {rid}"))
}

/// A runtime on the store resource `store`, configured by SDK options.
pub fn create(state: &mut OpState, store: ResourceId, options: &serde_json::Value) -> Result<ResourceId, String> {
    let opened = stores::get(state, store)?;
    let runtime = Runtime::new(opened, parse_options(options)?);
    Ok(state.resource_table.add(RuntimeResource {
        runtime: RefCell::new(runtime),
        store,
        orchestrations: RefCell::default(),
        activities: RefCell::default(),
    }))
}

pub fn register_activity(state: &OpState, rid: ResourceId, name: &str, function: v8::Global<v8::Function>) -> Result<(), String> {
    let resource = get(state, rid)?;
    resource.runtime.borrow_mut().register_activity(name)?;
    resource.activities.borrow_mut().insert(name.to_string(), function);
    Ok(())
}

pub fn register_orchestration(
    state: &OpState,
    rid: ResourceId,
    name: &str,
    version: &str,
    function: v8::Global<v8::Function>,
) -> Result<(), String> {
    let resource = get(state, rid)?;
    let version = resource.runtime.borrow_mut().register_orchestration(name, version)?;
    resource.orchestrations.borrow_mut().insert((name.to_string(), version), function);
    Ok(())
}

/// The JS function for a turn of `name` at `version`.
pub fn orchestration_function(state: &OpState, rid: ResourceId, name: &str, version: &str) -> Option<v8::Global<v8::Function>> {
    let resource = get(state, rid).ok()?;
    let functions = resource.orchestrations.borrow();
    functions.get(&(name.to_string(), version.to_string())).cloned()
}

/// The versions of orchestration `name` registered on the runtime, sorted.
pub fn orchestration_versions(state: &OpState, rid: ResourceId, name: &str) -> Vec<String> {
    let Ok(resource) = get(state, rid) else { return Vec::new() };
    let mut versions: Vec<String> = resource.orchestrations.borrow().keys().filter(|(n, _)| n == name).map(|(_, v)| v.clone()).collect();
    versions.sort();
    versions
}

/// The JS function of activity `name`, and the store resource its context's client uses.
pub fn activity_function(state: &OpState, rid: ResourceId, name: &str) -> Option<(v8::Global<v8::Function>, ResourceId)> {
    let resource = get(state, rid).ok()?;
    let function = resource.activities.borrow().get(name).cloned()?;
    Some((function, resource.store))
}

pub async fn start(state: Rc<RefCell<OpState>>, rid: ResourceId) -> Result<(), String> {
    let resource = get(&state.borrow(), rid)?;
    let plan = resource.runtime.borrow_mut().begin_start()?;
    let activity: ActivityHandler = Arc::new(move |ctx, input| Box::pin(activity::invoke(rid, ctx, input)));
    let orchestration: OrchestrationHandler = Arc::new(move |ctx, input| Box::pin(orchestration::invoke(rid, ctx, input)));
    let started = plan.start(activity, orchestration).await;
    let result = resource.runtime.borrow_mut().started(started);
    result
}

/// Graceful: returns once in-flight work drained, or after `timeout_ms`
/// (default 5 s) with the work cut off released to other workers.
pub async fn shutdown(state: Rc<RefCell<OpState>>, rid: ResourceId, timeout_ms: Option<u64>) -> Result<Released, String> {
    let resource = get(&state.borrow(), rid)?;
    let running = resource.runtime.borrow_mut().begin_shutdown()?;
    let Some(running) = running else { return Ok(Released::default()) };
    let released = running.shutdown(timeout_ms.unwrap_or(DEFAULT_SHUTDOWN_MS)).await;
    // No later turn of this runtime can resume them.
    let forgotten = state.borrow_mut().borrow_mut::<GeneratorCache>().forget_runtime(rid);
    drop(forgotten);
    Ok(released)
}

pub fn metrics(state: &OpState, rid: ResourceId) -> Result<Option<RuntimeMetrics>, String> {
    Ok(get(state, rid)?.runtime.borrow().metrics())
}

fn all(state: &OpState) -> Vec<(ResourceId, Rc<RuntimeResource>)> {
    let rids: Vec<ResourceId> = state.resource_table.names().filter(|(_, name)| name == RESOURCE_NAME).map(|(rid, _)| rid).collect();
    rids.into_iter().filter_map(|rid| get(state, rid).ok().map(|r| (rid, r))).collect()
}

/// Whether a runtime is started and not shut down (it keeps a script alive).
pub fn any_active(state: &OpState) -> bool {
    all(state).iter().any(|(_, r)| r.runtime.borrow().is_active())
}

/// Shuts down every runtime still running, e.g. when the script has ended.
pub async fn shut_down_all(state: Rc<RefCell<OpState>>, timeout_ms: Option<u64>) {
    let rids: Vec<ResourceId> = all(&state.borrow()).into_iter().map(|(rid, _)| rid).collect();
    for rid in rids {
        let _ = shutdown(state.clone(), rid, timeout_ms).await;
    }
}
