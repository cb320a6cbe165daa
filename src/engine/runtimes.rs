//! JS `Runtime` objects on the Rust side: options, the names registered
//! before `start()`, and the running duroxide runtime.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use duroxide::runtime::registry::ActivityRegistry;
use duroxide::runtime::Runtime;
use duroxide::providers::TagFilter;
use duroxide::runtime::limits::{MAX_TAG_NAME_BYTES, MAX_WORKER_TAGS};
use duroxide::{OrchestrationRegistry, ProviderRef, RuntimeOptions};
use serde_json::Value;

use super::{activity, orchestration};

struct Slot {
    store: ProviderRef,
    options: RuntimeOptions,
    activities: Vec<String>,
    orchestrations: Vec<(String, semver::Version)>,
    state: State,
}

enum State {
    Configuring,
    Starting,
    Running(Arc<Runtime>),
    Stopped,
}

static SLOTS: Mutex<Option<HashMap<u32, Slot>>> = Mutex::new(None);
static NEXT_ID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

fn with_slots<R>(f: impl FnOnce(&mut HashMap<u32, Slot>) -> R) -> R {
    let mut guard = SLOTS.lock().unwrap_or_else(|e| e.into_inner());
    f(guard.get_or_insert_with(HashMap::new))
}

fn with_slot<R>(id: u32, f: impl FnOnce(&mut Slot) -> Result<R, String>) -> Result<R, String> {
    with_slots(|slots| match slots.get_mut(&id) {
        Some(slot) => f(slot),
        None => Err(format!("unknown runtime handle {id}")),
    })
}

pub fn create(store: ProviderRef, options: &Value) -> Result<u32, String> {
    let options = parse_options(options)?;
    let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    with_slots(|slots| {
        slots.insert(
            id,
            Slot { store, options, activities: Vec::new(), orchestrations: Vec::new(), state: State::Configuring },
        )
    });
    Ok(id)
}

pub fn register_activity(id: u32, name: &str) -> Result<(), String> {
    with_slot(id, |slot| {
        ensure_configuring(slot, "registerActivity")?;
        if slot.activities.iter().any(|n| n == name) {
            return Err(format!("activity '{name}' is already registered on this runtime"));
        }
        slot.activities.push(name.to_string());
        Ok(())
    })
}

pub fn register_orchestration(id: u32, name: &str, version: &str) -> Result<(), String> {
    let parsed = semver::Version::parse(version)
        .map_err(|e| format!("orchestration '{name}': version '{version}' is not a semantic version like 1.2.0 ({e})"))?;
    with_slot(id, |slot| {
        ensure_configuring(slot, "registerOrchestration")?;
        if slot.orchestrations.iter().any(|(n, v)| n == name && *v == parsed) {
            return Err(format!("orchestration '{name}' version {parsed} is already registered on this runtime"));
        }
        slot.orchestrations.push((name.to_string(), parsed));
        Ok(())
    })
}

fn ensure_configuring(slot: &Slot, what: &str) -> Result<(), String> {
    match slot.state {
        State::Configuring => Ok(()),
        _ => Err(format!("{what} must be called before runtime.start()")),
    }
}

pub async fn start(id: u32) -> Result<(), String> {
    let (store, options, activities, mut orchestrations) = with_slot(id, |slot| {
        match slot.state {
            State::Configuring => {}
            State::Stopped => return Err("this runtime was shut down; create a new Runtime to start again".into()),
            _ => return Err("runtime.start() was already called".into()),
        }
        slot.state = State::Starting;
        Ok((slot.store.clone(), slot.options.clone(), slot.activities.clone(), slot.orchestrations.clone()))
    })?;

    let mut activity_builder = ActivityRegistry::builder();
    for name in activities {
        activity_builder = activity_builder.register(name, move |ctx, input| activity::invoke(id, ctx, input));
    }
    // duroxide requires each name's versions to be registered in ascending order.
    orchestrations.sort();
    let mut orchestration_builder = OrchestrationRegistry::builder();
    for (name, version) in orchestrations {
        orchestration_builder = orchestration_builder.register_versioned(name, version.to_string(), move |ctx, input| {
            orchestration::invoke(id, ctx, input)
        });
    }
    let runtime = Runtime::start_with_options(
        store,
        activity_builder.build_result()?,
        orchestration_builder.build_result()?,
        options,
    )
    .await;
    with_slot(id, |slot| {
        slot.state = State::Running(runtime);
        Ok(())
    })
}

pub async fn shutdown(id: u32, timeout_ms: Option<u64>) -> Result<(), String> {
    let runtime = with_slot(id, |slot| match std::mem::replace(&mut slot.state, State::Stopped) {
        State::Running(rt) => Ok(Some(rt)),
        State::Starting => {
            slot.state = State::Starting;
            Err("runtime.shutdown() was called while runtime.start() is still in progress; await start() first".into())
        }
        _ => Ok(None),
    })?;
    if let Some(runtime) = runtime {
        runtime.shutdown(Some(timeout_ms.unwrap_or(DEFAULT_SHUTDOWN_MS))).await;
        // No later turn of this runtime can resume them.
        super::generator_cache::forget_runtime(id);
    }
    Ok(())
}

/// Longest graceful wait for in-flight work; `shutdown` returns earlier once drained.
const DEFAULT_SHUTDOWN_MS: u64 = 5_000;

/// How many runtimes are started and not shut down (they keep a script alive).
pub fn active_count() -> usize {
    with_slots(|slots| slots.values().filter(|s| matches!(s.state, State::Starting | State::Running(_))).count())
}

/// Running duroxide runtimes, for a final shutdown when the script exits.
pub fn take_all_running() -> Vec<Arc<Runtime>> {
    with_slots(|slots| {
        slots
            .values_mut()
            .filter_map(|slot| match std::mem::replace(&mut slot.state, State::Stopped) {
                State::Running(rt) => Some(rt),
                _ => None,
            })
            .collect()
    })
}

fn parse_options(value: &Value) -> Result<RuntimeOptions, String> {
    let mut options = RuntimeOptions {
        orchestration_concurrency: 4,
        worker_concurrency: 8,
        ..RuntimeOptions::default()
    };
    let Some(map) = value.as_object() else {
        if value.is_null() {
            return Ok(options);
        }
        return Err("Runtime options must be an object".into());
    };
    let count = |key: &str| -> Result<Option<u64>, String> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_f64()
                .filter(|n| *n >= 0.0 && n.fract() == 0.0 && *n <= 9.0e15)
                .map(|n| Some(n as u64))
                .ok_or_else(|| format!("Runtime option {key} must be a non-negative integer, got {v}")),
        }
    };
    if let Some(n) = count("orchestrationConcurrency")? {
        options.orchestration_concurrency = n as usize;
    }
    if let Some(n) = count("workerConcurrency")? {
        options.worker_concurrency = n as usize;
    }
    if let Some(ms) = count("dispatcherPollIntervalMs")? {
        options.dispatcher_min_poll_interval = Duration::from_millis(ms.max(1));
    }
    // Our store wrapper long-polls for local wake-ups; capping the wait at the
    // poll interval keeps work queued by other processes visible in time.
    options.dispatcher_long_poll_timeout = options.dispatcher_min_poll_interval;
    if let Some(ms) = count("workerLockTimeoutMs")? {
        if ms < 1000 {
            return Err(format!("Runtime option workerLockTimeoutMs must be at least 1000, got {ms}"));
        }
        options.worker_lock_timeout = Duration::from_millis(ms);
    }
    if let Some(ms) = count("sessionIdleTimeoutMs")? {
        options.session_idle_timeout = Duration::from_millis(ms);
    }
    if let Some(n) = count("maxSessionsPerRuntime")? {
        options.max_sessions_per_runtime = n as usize;
    }
    if let Some(Value::String(node)) = map.get("workerNodeId") {
        options.worker_node_id = Some(node.clone());
    }
    if let Some(filter) = map.get("workerTagFilter").filter(|v| !v.is_null()) {
        options.worker_tag_filter = parse_tag_filter(filter)?;
    }
    // duroxide panics on this combination; say it in words instead.
    let renewal = options
        .worker_lock_timeout
        .checked_sub(options.worker_lock_renewal_buffer)
        .unwrap_or(Duration::from_secs(1));
    if options.session_idle_timeout <= renewal {
        return Err(format!(
            "Runtime option sessionIdleTimeoutMs ({} ms) must be greater than workerLockTimeoutMs minus 5000 ({} ms)",
            options.session_idle_timeout.as_millis(),
            renewal.as_millis()
        ));
    }
    Ok(options)
}

/// `'defaultOnly' | 'any' | 'none' | {tags: [...]} | {defaultAnd: [...]}`
fn parse_tag_filter(value: &Value) -> Result<TagFilter, String> {
    let tags = |list: &Value, key: &str| -> Result<Vec<String>, String> {
        let items = list.as_array().ok_or_else(|| format!("workerTagFilter.{key} must be an array of strings"))?;
        if items.is_empty() || items.len() > MAX_WORKER_TAGS {
            return Err(format!("workerTagFilter.{key} must list 1 to {MAX_WORKER_TAGS} tags, got {}", items.len()));
        }
        items
            .iter()
            .map(|t| match t.as_str() {
                Some(s) if !s.is_empty() && s.len() <= MAX_TAG_NAME_BYTES => Ok(s.to_string()),
                _ => Err(format!("workerTagFilter.{key}: each tag must be a non-empty string of at most {MAX_TAG_NAME_BYTES} bytes, got {t}")),
            })
            .collect()
    };
    match value {
        Value::String(s) if s == "defaultOnly" => Ok(TagFilter::DefaultOnly),
        Value::String(s) if s == "any" => Ok(TagFilter::Any),
        Value::String(s) if s == "none" => Ok(TagFilter::None),
        Value::Object(m) if m.contains_key("tags") => Ok(TagFilter::tags(tags(&m["tags"], "tags")?)),
        Value::Object(m) if m.contains_key("defaultAnd") => Ok(TagFilter::default_and(tags(&m["defaultAnd"], "defaultAnd")?)),
        other => Err(format!(
            "Runtime option workerTagFilter must be 'defaultOnly', 'any', 'none', {{tags: [...]}} or {{defaultAnd: [...]}}, got {other}"
        )),
    }
}

/// The runtime's counters, or null before start and after shutdown.
pub fn metrics(id: u32) -> Result<Value, String> {
    with_slot(id, |slot| {
        let State::Running(rt) = &slot.state else { return Ok(Value::Null) };
        Ok(rt.metrics_snapshot().map_or(Value::Null, |m| {
            serde_json::json!({
                "orchStarts": m.orch_starts, "orchCompletions": m.orch_completions, "orchFailures": m.orch_failures,
                "orchApplicationErrors": m.orch_application_errors,
                "orchInfrastructureErrors": m.orch_infrastructure_errors,
                "orchConfigurationErrors": m.orch_configuration_errors, "orchPoison": m.orch_poison,
                "activitySuccess": m.activity_success, "activityAppErrors": m.activity_app_errors,
                "activityInfraErrors": m.activity_infra_errors, "activityConfigErrors": m.activity_config_errors,
                "activityPoison": m.activity_poison, "orchDispatcherItemsFetched": m.orch_dispatcher_items_fetched,
                "workerDispatcherItemsFetched": m.worker_dispatcher_items_fetched,
                "orchContinueAsNew": m.orch_continue_as_new, "suborchestrationCalls": m.suborchestration_calls,
                "providerErrors": m.provider_errors,
            })
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::parse_options;
    use serde_json::json;

    #[test]
    fn defaults_follow_the_sdk() {
        let o = parse_options(&json!({})).unwrap();
        assert_eq!((o.orchestration_concurrency, o.worker_concurrency), (4, 8));
        assert_eq!(o.dispatcher_min_poll_interval.as_millis(), 100);
    }

    #[test]
    fn options_are_honoured_and_checked() {
        let o = parse_options(&json!({"orchestrationConcurrency": 0, "workerConcurrency": 3,
            "dispatcherPollIntervalMs": 10, "workerLockTimeoutMs": 5000})).unwrap();
        assert_eq!((o.orchestration_concurrency, o.worker_concurrency), (0, 3));
        assert_eq!(o.dispatcher_min_poll_interval.as_millis(), 10);
        assert_eq!(o.worker_lock_timeout.as_millis(), 5000);
        assert!(parse_options(&json!({"workerConcurrency": -1})).unwrap_err().contains("workerConcurrency"));
        assert!(parse_options(&json!({"workerConcurrency": "many"})).is_err());
        assert!(parse_options(&json!({"workerTagFilter": {"tags": []}})).unwrap_err().contains("1 to 5 tags"));
        assert!(parse_options(&json!({"workerTagFilter": "gpu"})).unwrap_err().contains("workerTagFilter must be"));
        assert!(parse_options(&json!({"workerTagFilter": {"defaultAnd": ["gpu"]}})).is_ok());
        assert!(parse_options(&json!({"workerLockTimeoutMs": 600000, "sessionIdleTimeoutMs": 1000}))
            .unwrap_err()
            .contains("sessionIdleTimeoutMs"));
    }
}
