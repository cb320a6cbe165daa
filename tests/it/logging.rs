//! Tracing through `tracing` with RUST_LOG (issue 2, item 5).

use crate::support::{command, fixture, run_cmd};

fn traced(rust_log: Option<&str>) -> crate::support::Run {
    let mut cmd = command(&["run", fixture("api.js").to_str().unwrap(), "traced"]);
    if let Some(filter) = rust_log {
        cmd.env("RUST_LOG", filter);
    }
    let r = run_cmd(cmd);
    assert_eq!(r.code, 0, "stderr:\n{}", r.stderr);
    r
}

#[test]
fn without_rust_log_only_warnings_and_errors_are_printed() {
    let r = traced(None);
    assert_eq!(r.stdout.trim(), r#"{"status":"Completed","output":"ok","customStatusVersion":0}"#);
    assert!(!r.stderr.contains("INFO"), "{}", r.stderr);
    assert!(!r.stderr.contains("trace-marker"), "{}", r.stderr);
}

#[test]
fn orchestration_traces_go_to_their_target_and_are_silent_on_replay() {
    let r = traced(Some("duroxide::orchestration=info"));
    // The orchestration runs three turns; the trace is emitted on the first only.
    let lines: Vec<&str> = r.stderr.lines().filter(|l| l.contains("orchestration-trace-marker")).collect();
    assert_eq!(lines.len(), 1, "{}", r.stderr);
    assert!(lines[0].contains("INFO duroxide::orchestration"), "{}", lines[0]);
    assert!(!r.stderr.contains("activity-trace-marker"), "{}", r.stderr);
}

#[test]
fn activity_traces_go_to_the_activity_target() {
    let r = traced(Some("duroxide::activity=info"));
    for n in [1, 2] {
        let marker = format!("activity-trace-marker {n}");
        let line = r.stderr.lines().find(|l| l.contains(&marker)).unwrap_or_else(|| panic!("no {marker}:\n{}", r.stderr));
        assert!(line.contains("INFO duroxide::activity"), "{line}");
    }
    assert!(!r.stderr.contains("orchestration-trace-marker"), "{}", r.stderr);
}
