//! Runtime options in the SDK's camelCase form, checked and turned into
//! duroxide's, and the runtime's counters in the SDK's shape.

use std::time::Duration;

use duroxide::providers::TagFilter;
use duroxide::runtime::limits::{MAX_TAG_NAME_BYTES, MAX_WORKER_TAGS};
use duroxide::RuntimeOptions;
use serde::Serialize;
use serde_json::Value;

/// `{orchestrationConcurrency, workerConcurrency, dispatcherPollIntervalMs, ...}`; null means the defaults.
pub fn parse_options(value: &Value) -> Result<RuntimeOptions, String> {
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

/// `metricsSnapshot()`: the counters of a running runtime.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeMetrics {
    pub orch_starts: u64,
    pub orch_completions: u64,
    pub orch_failures: u64,
    pub orch_application_errors: u64,
    pub orch_infrastructure_errors: u64,
    pub orch_configuration_errors: u64,
    pub orch_poison: u64,
    pub activity_success: u64,
    pub activity_app_errors: u64,
    pub activity_infra_errors: u64,
    pub activity_config_errors: u64,
    pub activity_poison: u64,
    pub orch_dispatcher_items_fetched: u64,
    pub worker_dispatcher_items_fetched: u64,
    pub orch_continue_as_new: u64,
    pub suborchestration_calls: u64,
    pub provider_errors: u64,
}

impl From<duroxide::runtime::observability::MetricsSnapshot> for RuntimeMetrics {
    fn from(m: duroxide::runtime::observability::MetricsSnapshot) -> RuntimeMetrics {
        RuntimeMetrics {
            orch_starts: m.orch_starts,
            orch_completions: m.orch_completions,
            orch_failures: m.orch_failures,
            orch_application_errors: m.orch_application_errors,
            orch_infrastructure_errors: m.orch_infrastructure_errors,
            orch_configuration_errors: m.orch_configuration_errors,
            orch_poison: m.orch_poison,
            activity_success: m.activity_success,
            activity_app_errors: m.activity_app_errors,
            activity_infra_errors: m.activity_infra_errors,
            activity_config_errors: m.activity_config_errors,
            activity_poison: m.activity_poison,
            orch_dispatcher_items_fetched: m.orch_dispatcher_items_fetched,
            worker_dispatcher_items_fetched: m.worker_dispatcher_items_fetched,
            orch_continue_as_new: m.orch_continue_as_new,
            suborchestration_calls: m.suborchestration_calls,
            provider_errors: m.provider_errors,
        }
    }
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
