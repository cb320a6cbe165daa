//! Runtime options and lifecycle (issue 2, item 3).

use serde_json::json;

use crate::support::{fixture, run, TempDir};

fn concurrency(options: &str) -> serde_json::Value {
    let r = run(&["run", fixture("concurrency.js").to_str().unwrap(), options]);
    assert_eq!(r.code, 0, "stderr:\n{}", r.stderr);
    r.json()
}

#[test]
fn worker_concurrency_caps_parallel_activities() {
    assert_eq!(concurrency(r#"{"workerConcurrency": 2}"#), json!({"status": "Completed", "most": 2}));
}

#[test]
fn default_worker_concurrency_runs_activities_in_parallel() {
    let most = concurrency("{}")["most"].as_i64().unwrap();
    assert!(most > 2, "6 parallel activities with 8 workers ran at most {most} at once");
}

#[test]
fn orchestration_concurrency_zero_makes_a_worker_only_runtime() {
    let r = run(&["run", fixture("worker_only.js").to_str().unwrap()]);
    assert_eq!(r.code, 0, "stderr:\n{}", r.stderr);
    assert_eq!(r.json(), json!({"before": "NotFound", "after": "Completed", "output": "hi"}));
}

#[test]
fn shutdown_waits_for_in_flight_work_then_returns() {
    let r = run(&["run", fixture("shutdown_drains.js").to_str().unwrap()]);
    assert_eq!(r.code, 0, "stderr:\n{}", r.stderr);
    assert_eq!(
        r.json(),
        json!({"events": ["activity started", "activity finished", "shutdown returned"], "underDefaultTimeout": true})
    );
}

#[test]
fn invalid_runtime_option_is_a_clear_error() {
    let dir = TempDir::new("opts");
    let file = dir.write(
        "opts.js",
        "const { SqliteProvider, Runtime } = require('duroxide');\nSqliteProvider.inMemory().then((p) => new Runtime(p, { workerConcurrency: -1 }));\n",
    );
    let r = run(&["run", file.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("error: Uncaught (in promise) TypeError: Runtime option workerConcurrency must be a non-negative integer, got -1"),
        "{}",
        r.stderr
    );
}
