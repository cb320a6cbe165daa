//! Runtime options and lifecycle (issue 2, item 3).

use serde_json::json;

use crate::support::{run, scenario_of, Store, TempDir};

fn concurrency(store: &Store, options: &str) -> serde_json::Value {
    scenario_of(store, "concurrency.js", &[options])
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

store_tests! {
    fn worker_concurrency_caps_parallel_activities(store) {
        assert_eq!(concurrency(store, r#"{"workerConcurrency": 2}"#), json!({"status": "Completed", "most": 2}));
    }

    fn default_worker_concurrency_runs_activities_in_parallel(store) {
        let most = concurrency(store, "{}")["most"].as_i64().unwrap();
        assert!(most > 2, "6 parallel activities with 8 workers ran at most {most} at once");
    }

    fn orchestration_concurrency_zero_makes_a_worker_only_runtime(store) {
        assert_eq!(scenario_of(store, "worker_only.js", &[]), json!({"before": "NotFound", "after": "Completed", "output": "hi"}));
    }

    fn shutdown_waits_for_in_flight_work_then_returns(store) {
        assert_eq!(
            scenario_of(store, "shutdown_drains.js", &[]),
            json!({"events": ["activity started", "activity finished", "shutdown returned"], "underDefaultTimeout": true})
        );
    }
}
