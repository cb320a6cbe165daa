//! Tracing through `tracing` with RUST_LOG (issue 2, item 5).

use crate::support::{command, fixture, run_cmd, run_in, Store};

fn traced(store: &Store, rust_log: Option<&str>) -> crate::support::Run {
    let mut cmd = command(&["run", fixture("api.js").to_str().unwrap(), "traced"]);
    store.apply(&mut cmd);
    if let Some(filter) = rust_log {
        cmd.env("RUST_LOG", filter);
    }
    let r = run_cmd(cmd);
    assert_eq!(r.code, 0, "stderr:\n{}", r.stderr);
    r
}

fn log_options(store: &Store, args: &[&str]) -> crate::support::Run {
    let script = fixture("log_options.js");
    let mut all = vec!["run", script.to_str().unwrap()];
    all.extend_from_slice(args);
    run_in(store, &all)
}

store_tests! {
    fn without_rust_log_only_warnings_and_errors_are_printed(store) {
        let r = traced(store, None);
        assert_eq!(r.stdout.trim(), r#"{"status":"Completed","output":"ok","customStatusVersion":0}"#);
        assert!(!r.stderr.contains("INFO"), "{}", r.stderr);
        assert!(!r.stderr.contains("trace-marker"), "{}", r.stderr);
    }

    fn orchestration_traces_go_to_their_target_and_are_silent_on_replay(store) {
        let r = traced(store, Some("duroxide::orchestration=info"));
        // The orchestration runs three turns; the trace is emitted on the first only.
        let lines: Vec<&str> = r.stderr.lines().filter(|l| l.contains("orchestration-trace-marker")).collect();
        assert_eq!(lines.len(), 1, "{}", r.stderr);
        assert!(lines[0].contains("INFO duroxide::orchestration"), "{}", lines[0]);
        assert!(!r.stderr.contains("activity-trace-marker"), "{}", r.stderr);
    }

    fn activity_traces_go_to_the_activity_target(store) {
        let r = traced(store, Some("duroxide::activity=info"));
        for n in [1, 2] {
            let marker = format!("activity-trace-marker {n}");
            let line = r.stderr.lines().find(|l| l.contains(&marker)).unwrap_or_else(|| panic!("no {marker}:\n{}", r.stderr));
            assert!(line.contains("INFO duroxide::activity"), "{line}");
        }
        assert!(!r.stderr.contains("orchestration-trace-marker"), "{}", r.stderr);
    }


    fn runtime_log_options_switch_to_json_at_info(store) {
        let r = log_options(store, &["runtime-json"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let line = r.stderr.lines().find(|l| l.contains("orchestration-marker")).expect("trace line");
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["level"], "INFO");
        assert_eq!(v["target"], "duroxide::orchestration");
        assert_eq!(v["fields"]["message"], "orchestration-marker");
        assert!(!r.stderr.contains("DEBUG"), "level info hides debug lines");
    }

    fn init_tracing_writes_to_a_log_file(store) {
        let dir = crate::support::TempDir::new("logfile");
        let file = dir.path().join("trace.log");
        let r = log_options(store, &["init-file", file.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("INFO duroxide::orchestration: orchestration-marker"), "{text}");
        assert!(text.contains("INFO duroxide::activity: activity-marker"), "{text}");
        assert!(!r.stderr.contains("marker"), "traces go to the file only: {}", r.stderr);
    }

    fn unknown_log_format_is_a_clear_error(store) {
        let r = log_options(store, &["bad-format"]);
        assert_eq!(r.code, 1);
        assert!(r.stderr.starts_with("error: Uncaught (in promise) TypeError: log format must be 'json', 'pretty' or 'compact', got 'xml'"), "{}", r.stderr);
    }
}
