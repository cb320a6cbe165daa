//! The orchestration and activity contexts (issue 2, item 3).

use serde_json::json;

use crate::support::scenario;

store_tests! {
    fn activity_result_round_trips_as_json(store) {
        let r = scenario(store, "activity");
        assert_eq!(r["status"], "Completed");
        assert_eq!(r["output"], json!({"hello": "world", "n": [1, 2]}));
    }

    fn failed_activity_throws_an_error_with_its_message(store) {
        let r = scenario(store, "activity-failure");
        assert_eq!(r["output"], json!({"isError": true, "message": "disk full"}));
    }

    fn retry_succeeds_after_failed_attempts(store) {
        // Flaky succeeds on the third attempt; the output is the attempt number.
        assert_eq!(scenario(store, "retry")["output"], 3);
    }

    fn retry_throws_the_last_error_when_attempts_run_out(store) {
        assert_eq!(scenario(store, "retry-exhausted")["output"], "always");
    }

    fn retry_timeout_fails_a_slow_attempt(store) {
        let out = scenario(store, "retry-timeout")["output"].as_str().unwrap().to_string();
        assert!(out.contains("timeout"), "{out}");
    }

    fn timer_yields_null_after_the_delay(store) {
        assert_eq!(scenario(store, "timer")["output"], json!({"value": null, "waited": true}));
    }

    fn wait_for_event_receives_raised_data(store) {
        assert_eq!(scenario(store, "event")["output"], json!({"approved": true, "by": "ann"}));
    }

    fn sub_orchestrations_return_output_and_throw_child_failures(store) {
        let out = &scenario(store, "sub-orchestration")["output"];
        assert_eq!(out["a"], "child:a:sub-orchestration::sub::2");
        assert_eq!(out["b"], "child:b:sub-orchestration-kid");
        let failure = out["failure"].as_str().unwrap();
        assert!(failure.contains("child failed on purpose"), "{failure}");
    }

    fn start_orchestration_is_fire_and_forget(store) {
        let r = scenario(store, "fire-and-forget");
        assert_eq!(r["parent"]["status"], "Completed");
        assert_eq!(r["parent"]["output"], json!(null));
        assert_eq!(r["child"]["output"], "child:d:detached-1");
    }

    fn all_returns_ok_or_err_per_task_in_input_order(store) {
        assert_eq!(
            scenario(store, "all")["output"],
            json!([{"ok": 1}, {"err": "nope"}, {"ok": null}, {"ok": {"k": "v"}}])
        );
    }

    fn race_returns_index_and_value_of_the_winner(store) {
        assert_eq!(scenario(store, "race")["output"], json!({"index": 1, "value": "fast"}));
        assert_eq!(scenario(store, "race-timer")["output"], json!({"index": 1, "value": null}));
    }

    fn utc_now_is_epoch_ms_and_new_guid_is_36_chars(store) {
        let out = &scenario(store, "deterministic")["output"];
        assert_eq!(out["nowIsNumber"], true);
        assert_eq!(out["recent"], true);
        assert_eq!(out["guid"].as_str().unwrap().len(), 36);
    }

    fn continue_as_new_starts_a_new_execution_with_new_input(store) {
        assert_eq!(scenario(store, "continue-as-new")["output"], json!({"n": 3, "executionId": 4}));
    }

    fn contexts_expose_instance_execution_name_version(store) {
        let out = &scenario(store, "properties")["output"];
        assert_eq!(out["instanceId"], "properties");
        assert_eq!(out["executionId"], 1);
        assert_eq!(out["orchestrationName"], "Props");
        assert_eq!(out["orchestrationVersion"], "1.0.0");
        assert_eq!(
            out["act"],
            json!({"instanceId": "properties", "executionId": 1, "orchestrationName": "Props",
                   "orchestrationVersion": "1.0.0", "activityName": "Info", "workerIdType": "string", "sessionId": null})
        );
    }

    fn uncaught_throw_fails_with_message_and_stack(store) {
        let r = scenario(store, "uncaught");
        assert_eq!(r["status"], "Failed");
        let error = r["error"].as_str().unwrap();
        assert!(error.starts_with("Error: orchestration exploded"), "{error}");
        assert!(error.contains("tests/fixtures/api.js:"), "stack should name the fixture: {error}");
    }
}
