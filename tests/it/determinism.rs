//! The determinism guard and nondeterminism reports (issue 3, item 6).

use crate::support::{fixture, run_in, scenario_of, Store, TempDir};

fn guard(store: &Store) -> serde_json::Value {
    scenario_of(store, "guard.js", &[])
}

/// The fixture line that uses `global` (its entry in the `uses` table).
fn line_of(global: &str) -> usize {
    let text = std::fs::read_to_string(fixture("guard.js")).unwrap();
    let entry = format!("  '{global}':");
    text.lines().position(|l| l.starts_with(&entry)).expect("global listed in guard.js") + 1
}

fn refused(store: &Store, global: &str, replacement: &str) {
    let line = line_of(global);
    let v = guard(store);
    let message = v["inOrchestration"][global].as_str().unwrap().to_string();
    let expected = format!(
        "Error: {global}() is not allowed in an orchestration: it would give a different result when the orchestration replays; use {replacement} instead (at {}:{line}:",
        fixture("guard.js").display()
    );
    assert!(message.starts_with(&expected), "{message}\nexpected to start with\n{expected}");
}

store_tests! {
    fn date_now_is_refused_in_orchestrations(store) {
        refused(store, "Date.now", "yield ctx.utcNow()");
    }

    fn new_date_without_arguments_is_refused(store) {
        let v = guard(store);
        let message = v["inOrchestration"]["new Date"].as_str().unwrap();
        assert!(message.starts_with("Error: new Date() is not allowed in an orchestration"), "{message}");
        assert!(message.contains("use yield ctx.utcNow() and new Date(ms) instead"), "{message}");
        assert!(message.contains(&format!("{}:{}:", fixture("guard.js").display(), line_of("new Date"))), "{message}");
        assert_eq!(v["dateOfMs"], true, "new Date(ms) stays allowed");
    }

    fn math_random_is_refused(store) {
        refused(store, "Math.random", "yield ctx.newGuid() or an activity");
    }

    fn crypto_get_random_values_is_refused(store) {
        refused(store, "crypto.getRandomValues", "yield ctx.newGuid() or an activity");
    }

    fn crypto_random_uuid_is_refused(store) {
        refused(store, "crypto.randomUUID", "yield ctx.newGuid()");
    }

    fn set_timeout_is_refused(store) {
        refused(store, "setTimeout", "yield ctx.scheduleTimer(ms)");
    }

    fn set_interval_is_refused(store) {
        refused(store, "setInterval", "yield ctx.scheduleTimer(ms) in a loop");
    }

    fn fetch_is_refused(store) {
        refused(store, "fetch", "an activity that does the request");
    }

    fn file_access_is_refused_in_orchestrations(store) {
        refused(store, "fs.readFileSync", "an activity");
        refused(store, "fs.promises.writeFile", "an activity");
        assert!(!std::path::Path::new("/tmp/never-written-by-duroxide-tests").exists());
    }

    fn subprocesses_are_refused_in_orchestrations(store) {
        refused(store, "child_process.execSync", "an activity");
    }

    fn environment_writes_are_refused_in_orchestrations(store) {
        let v = guard(store);
        let message = v["inOrchestration"]["process.env.MODE = ..."].as_str().unwrap();
        assert!(
            message.starts_with("Error: process.env.MODE = ... is not allowed in an orchestration: it would give a different result when the orchestration replays; use an activity, or pass the value in the orchestration's input instead (at "),
            "{message}"
        );
    }

    fn guarded_globals_work_in_activities_and_top_level_code(store) {
        let v = guard(store);
        assert_eq!(v["inActivity"], serde_json::json!({"now": "number", "random": "number", "uuid": 36, "bytes": 8}));
        assert_eq!(
            v["topLevel"],
            serde_json::json!({"now": "number", "date": true, "random": "number", "uuid": 36, "dateOfMs": "1970-01-01T00:00:00.000Z"})
        );
    }

    fn nondeterminism_failure_names_the_diverging_yield(store) {
        let dir = TempDir::new("nondet");
        let db = dir.path().join("nd.db");
        let script = fixture("nondeterminism.js");
        let before = run_in(store, &["run", script.to_str().unwrap(), db.to_str().unwrap(), "before"]);
        assert_eq!(before.stdout.trim(), "waiting", "{}", before.stderr);
        let after = run_in(store, &["run", script.to_str().unwrap(), db.to_str().unwrap(), "after"]);
        assert_eq!(after.code, 0, "{}", after.stderr);
        let status = after.json();
        assert_eq!(status["status"], "Failed");
        let error = status["error"].as_str().unwrap();
        assert!(error.starts_with("nondeterministic: schedule mismatch"), "{error}");
        // Line 13 is `yield ctx.scheduleActivity('B')` in the changed generator.
        assert!(
            error.contains(&format!("replay diverged at the yield at {}:13:", script.display())),
            "{error}"
        );
    }
}
