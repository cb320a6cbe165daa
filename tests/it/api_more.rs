//! The rest of the duroxide-node API (issue 3, items 1-4).

use serde_json::json;

use crate::support::{fixture, run_in, scenario_of, Store, TempDir};

fn more(store: &Store, name: &str) -> serde_json::Value {
    scenario_of(store, "api_more.js", &[name])
}

store_tests! {
    fn activities_on_one_session_share_session_id_and_worker(store) {
        let r = more(store, "sessions");
        assert_eq!(r["a"]["sessionId"], "session-1");
        assert_eq!(r["b"]["sessionId"], "session-1");
        assert_eq!(r["a"]["workerId"], r["b"]["workerId"], "session affinity: {r}");
        assert_eq!(r["d"]["sessionId"], "session-1", "retry on a session keeps the session");
        assert_eq!(r["a"]["workerId"], r["d"]["workerId"], "session affinity with retry: {r}");
        assert_eq!(r["c"]["sessionId"], json!(null));
    }

    fn dequeue_event_is_fifo_across_continue_as_new(store) {
        assert_eq!(more(store, "queue-fifo"), json!({"got": ["m1", "m2", "m3", "m4"], "executionId": 2}));
    }

    fn kv_read_modify_write_across_turns_and_client_reads(store) {
        assert_eq!(
            more(store, "kv"),
            json!({
                "out": {"count": "3", "keys": ["count"], "all": {"count": "3"}, "before": 2, "after": 1},
                "all": {"count": "3"}, "value": "3", "waited": "3", "cleared": 0
            })
        );
    }

    fn custom_status_progress_is_seen_through_wait_for_status_change(store) {
        assert_eq!(
            more(store, "custom-status"),
            json!({"first": ["Running", "step 1", 1], "second": ["step 2", 2],
                   "output": {"previous": "step 1", "afterReset": null}})
        );
    }

    fn running_instance_keeps_its_version_until_continue_as_new(store) {
        assert_eq!(
            more(store, "versions"),
            json!({
                "runningVersion": "1.0.0",
                "upgraded": {"version": "2.0.0", "n": 2},
                "fresh": {"version": "2.0.0", "n": 10},
                "pinned": {"version": "1.0.0", "n": 1}
            })
        );
    }

    fn versioned_sub_orchestrations_and_detached_starts_pin_versions(store) {
        assert_eq!(
            more(store, "versioned-children"),
            json!({"child": {"version": "2.0.0", "n": 5}, "childWithId": {"version": "1.0.0", "n": 7},
                   "detached": {"version": "2.0.0", "n": 9}})
        );
    }

    fn admin_calls_report_history_info_trees_and_metrics(store) {
        let r = more(store, "admin");
        assert_eq!(r["kinds"], json!(["OrchestrationStarted", "ActivityScheduled", "ActivityCompleted", "OrchestrationCompleted"]));
        assert_eq!(r["eventIds"], json!([1, 2, 3, 4]));
        assert_eq!(r["completedSource"], 2);
        assert_eq!(r["scheduledData"], json!({"name": "Echo", "input": "hi ann", "sessionId": null, "tag": null}));
        assert_eq!(r["timestamps"], true);
        assert_eq!(r["info"], json!(["h1", "Hello", "1.0.0", "Completed", "hi ann", 1]));
        assert_eq!(r["exec"], json!([1, "Completed", "hi ann", 4]));
        assert_eq!(r["executions"], json!([1]));
        assert_eq!(r["tree"], json!({"rootId": "p1", "allIds": ["p1", "p1-child"], "size": 2}));
        assert_eq!(r["all"], json!(["f1", "h1", "p1", "p1-child"]));
        assert_eq!(r["completed"], json!(["h1", "p1", "p1-child"]));
        assert_eq!(r["failed"], json!(["f1"]));
        assert_eq!(r["metrics"]["totalInstances"], 4);
        assert_eq!(r["metrics"]["failedInstances"], 1);
        assert_eq!(r["depths"], json!({"orchestratorQueue": 0, "workerQueue": 0, "timerQueue": 0}));
        assert_eq!(r["stats"]["historyEventCount"], 4);
        assert_eq!(r["typedOutput"], "hi ann");
        assert!(r["typedFailure"].as_str().unwrap().starts_with("Error: typed failure"), "{r}");
    }

    fn delete_and_prune_report_counts(store) {
        let r = more(store, "delete-prune");
        assert_eq!(r["executions"], json!([1, 2, 3, 4]));
        assert_eq!(r["pruned"], json!({"instancesProcessed": 1, "executionsDeleted": 3, "eventsDeleted": 6}));
        assert_eq!(r["after"], json!([4]));
        assert_eq!(r["prunedBulk"]["executionsDeleted"], 2);
        assert_eq!(r["deleted"], json!({"instancesDeleted": 1, "executionsDeleted": 1, "eventsDeleted": 4, "queueMessagesDeleted": 0}));
        assert!(r["childDelete"].as_str().unwrap().contains("Cannot delete sub-orchestration del-2-child directly"), "{r}");
        assert_eq!(r["bulk"]["instancesDeleted"], 3, "del-2, its child and again: {r}");
        assert_eq!(r["remaining"], json!(["again-2"]));
        assert_eq!(r["gone"], "NotFound");
    }

    fn activity_that_lost_a_race_sees_is_cancelled(store) {
        assert_eq!(more(store, "cancelled"), json!({"out": {"index": 1, "value": null}, "activitySawCancel": true}));
    }

    fn activity_get_client_starts_and_waits_for_an_orchestration(store) {
        assert_eq!(more(store, "get-client"), json!("leaf:from-activity"));
    }

    fn with_tag_reaches_the_activity_context(store) {
        assert_eq!(more(store, "tag")["tag"], "gpu");
    }

    fn get_value_from_instance_reads_another_instances_kv(store) {
        assert_eq!(more(store, "value-from-instance"), json!({"color": "blue", "missing": null}));
    }

    fn typed_variants_parse_results_once_more(store) {
        assert_eq!(
            more(store, "typed"),
            json!({"one": {"a": 1}, "plain": "{\"a\":1}", "all": [{"ok": [1]}], "race": {"index": 0, "value": {"w": true}}})
        );
    }

    fn metrics_snapshot_counts_work_and_is_null_before_start(store) {
        let r = more(store, "metrics");
        assert_eq!(r["before"], json!(null));
        assert_eq!(r["orchCompletions"], 1);
        assert!(r["activitySuccess"].as_u64().unwrap() >= 1, "{r}");
        assert_eq!(r["keys"], 17);
    }

    fn module_exports_the_limit_constants(store) {
        assert_eq!(
            more(store, "constants"),
            json!({"MAX_WORKER_TAGS": 5, "MAX_TAG_NAME_BYTES": 256, "MAX_KV_KEYS": 150, "MAX_KV_VALUE_BYTES": 65536,
                   "classes": ["function", "function", "function", "function"]})
        );
    }

    fn worker_node_id_names_the_workers(store) {
        let r = run_in(store, &["run", fixture("api_more.js").to_str().unwrap(), "tag", r#"{"workerNodeId": "node-a"}"#]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.json()["workerId"].as_str().unwrap().ends_with("-node-a"), "{}", r.stdout);
    }

    fn tag_filters_route_activities_between_runtimes_on_one_file(store) {
        let dir = TempDir::new("tags");
        let db = dir.path().join("tags.db");
        let r = run_in(store, &["run", fixture("tags.js").to_str().unwrap(), db.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let nodes = |key: &str| -> Vec<String> {
            r.json()[key].as_array().unwrap().iter().map(|a| a["node"].as_str().unwrap().to_string()).collect()
        };
        // defaultOnly takes untagged work, {tags:[gpu]} only gpu.
        assert_eq!(nodes("first"), ["cpu", "gpu", "cpu"]);
        // 'none' runs no activities; {defaultAnd:[video]} takes untagged and video.
        assert_eq!(nodes("second"), ["mixed", "mixed", "gpu"]);
    }
}
