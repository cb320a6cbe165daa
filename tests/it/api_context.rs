//! The orchestration and activity contexts (issue 2, item 3).

use serde_json::json;

use crate::support::scenario;

#[test]
fn activity_result_round_trips_as_json() {
    let r = scenario("activity");
    assert_eq!(r["status"], "Completed");
    assert_eq!(r["output"], json!({"hello": "world", "n": [1, 2]}));
}

#[test]
fn failed_activity_throws_an_error_with_its_message() {
    let r = scenario("activity-failure");
    assert_eq!(r["output"], json!({"isError": true, "message": "disk full"}));
}

#[test]
fn retry_succeeds_after_failed_attempts() {
    // Flaky succeeds on the third attempt; the output is the attempt number.
    assert_eq!(scenario("retry")["output"], 3);
}

#[test]
fn retry_throws_the_last_error_when_attempts_run_out() {
    assert_eq!(scenario("retry-exhausted")["output"], "always");
}

#[test]
fn retry_timeout_fails_a_slow_attempt() {
    let out = scenario("retry-timeout")["output"].as_str().unwrap().to_string();
    assert!(out.contains("timeout"), "{out}");
}

#[test]
fn timer_yields_null_after_the_delay() {
    assert_eq!(scenario("timer")["output"], json!({"value": null, "waited": true}));
}

#[test]
fn wait_for_event_receives_raised_data() {
    assert_eq!(scenario("event")["output"], json!({"approved": true, "by": "ann"}));
}

#[test]
fn sub_orchestrations_return_output_and_throw_child_failures() {
    let out = &scenario("sub-orchestration")["output"];
    assert_eq!(out["a"], "child:a:sub-orchestration::sub::2");
    assert_eq!(out["b"], "child:b:sub-orchestration-kid");
    let failure = out["failure"].as_str().unwrap();
    assert!(failure.contains("child failed on purpose"), "{failure}");
}

#[test]
fn start_orchestration_is_fire_and_forget() {
    let r = scenario("fire-and-forget");
    assert_eq!(r["parent"]["status"], "Completed");
    assert_eq!(r["parent"]["output"], json!(null));
    assert_eq!(r["child"]["output"], "child:d:detached-1");
}

#[test]
fn all_returns_ok_or_err_per_task_in_input_order() {
    assert_eq!(
        scenario("all")["output"],
        json!([{"ok": 1}, {"err": "nope"}, {"ok": null}, {"ok": {"k": "v"}}])
    );
}

#[test]
fn race_returns_index_and_value_of_the_winner() {
    assert_eq!(scenario("race")["output"], json!({"index": 1, "value": "fast"}));
    assert_eq!(scenario("race-timer")["output"], json!({"index": 1, "value": null}));
}

#[test]
fn utc_now_is_epoch_ms_and_new_guid_is_36_chars() {
    let out = &scenario("deterministic")["output"];
    assert_eq!(out["nowIsNumber"], true);
    assert_eq!(out["recent"], true);
    assert_eq!(out["guid"].as_str().unwrap().len(), 36);
}

#[test]
fn continue_as_new_starts_a_new_execution_with_new_input() {
    assert_eq!(scenario("continue-as-new")["output"], json!({"n": 3, "executionId": 4}));
}

#[test]
fn contexts_expose_instance_execution_name_version() {
    let out = &scenario("properties")["output"];
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

#[test]
fn uncaught_throw_fails_with_message_and_stack() {
    let r = scenario("uncaught");
    assert_eq!(r["status"], "Failed");
    let error = r["error"].as_str().unwrap();
    assert!(error.starts_with("Error: orchestration exploded"), "{error}");
    assert!(error.contains("tests/fixtures/api.js:"), "stack should name the fixture: {error}");
}
