//! Client calls (issue 2, item 3).

use serde_json::json;

use crate::support::scenario;

store_tests! {
    fn get_status_reports_not_found_running_completed_failed(store) {
        let r = scenario(store, "statuses");
        assert_eq!(r["notFound"], json!({"status": "NotFound", "customStatusVersion": 0}));
        assert_eq!(r["running"], "Running");
        assert_eq!(r["completed"], json!({"status": "Completed", "output": 7, "customStatusVersion": 0}));
        assert_eq!(r["failedStatus"], "Failed");
        assert_eq!(r["failedHasError"], "string");
    }

    fn cancel_instance_fails_it_with_the_reason(store) {
        let r = scenario(store, "cancel");
        assert_eq!(r["status"], "Failed");
        assert!(r["error"].as_str().unwrap().contains("operator said stop"), "{r}");
    }

    fn wait_for_orchestration_rejects_after_its_timeout(store) {
        let r = scenario(store, "wait-timeout");
        assert_eq!(r["rejected"], true);
        assert!(r["message"].as_str().unwrap().contains("timed out after 200 ms"), "{r}");
    }
}
