//! Runaway user code (issue 12, items 2 and 3): JavaScript that never yields
//! or fills the heap fails its orchestration or activity with one line that
//! says what and where, while the rest of the worker carries on; a worker
//! busy in such code still stops on SIGTERM, and at once on a second signal.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{command, fixture, run, run_cmd, TempDir};

/// `duroxide run <limits> runaway.js <scenario>`: how the runaway and the canaries ended, and stderr.
fn runaway(scenario: &str, limits: &[&str]) -> (Value, String) {
    let script = fixture("runaway.js");
    let mut args = vec!["run"];
    args.extend_from_slice(limits);
    args.extend_from_slice(&[script.to_str().unwrap(), scenario]);
    let r = run(&args);
    assert_eq!(r.code, 0, "{scenario}: stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    (r.json(), r.stderr)
}

/// Asserts the runaway failed with `message` at a line of runaway.js, and the canaries completed.
fn assert_stopped(result: &Value, message: &str, line: u32) {
    let error = result["runaway"]["error"].as_str().unwrap_or_else(|| panic!("no error: {result}"));
    assert_eq!(result["runaway"]["status"], "Failed", "{result}");
    let (said, at) = error.split_once(" at ").unwrap_or_else(|| panic!("no place in: {error}"));
    assert_eq!(said, message, "{result}");
    assert!(at.contains(&format!("runaway.js:{line}:")), "wrong place {at}: {result}");
    assert_eq!(result["canary"], "Completed", "the canary on the same worker: {result}");
    assert_eq!(result["after"], "Completed", "an instance started afterwards: {result}");
}

#[test]
fn an_orchestration_that_never_yields_fails_and_the_worker_carries_on() {
    let (result, stderr) = runaway("spin-orchestration", &["--js-block-limit", "1s"]);
    assert_stopped(&result, "orchestration 'Runaway' ran 1 s without yielding (an infinite loop?)", 14);
    assert!(
        stderr.contains("JavaScript of an orchestration has run 500 ms without yielding at ")
            && stderr.contains("it will be stopped at 1 s (--js-block-limit)"),
        "no warning at half the limit:\n{stderr}"
    );
}

#[test]
fn an_activity_that_never_returns_fails_and_the_worker_carries_on() {
    let (result, _) = runaway("spin-activity", &["--js-block-limit", "1s"]);
    assert_stopped(&result, "Error: activity 'SpinNow' ran 1 s without yielding (an infinite loop?)", 39);
}

#[test]
fn an_activity_that_spins_after_an_await_is_found_and_fails() {
    let (result, _) = runaway("spin-activity-later", &["--js-block-limit", "1s"]);
    assert_stopped(&result, "Error: activity 'SpinLater' ran 1 s without yielding (an infinite loop?)", 40);
}

#[test]
fn an_activity_that_spins_in_its_timer_callback_is_found_and_fails() {
    let (result, _) = runaway("spin-activity-timer", &["--js-block-limit", "1s"]);
    assert_stopped(&result, "Error: activity 'SpinInTimer' ran 1 s without yielding (an infinite loop?)", 41);
}

#[test]
fn an_activity_that_fills_the_heap_fails_and_the_worker_lives() {
    let (result, _) = runaway("heap-activity", &["--max-heap-mb", "64"]);
    assert_stopped(&result, "Error: activity 'Hoard' exceeded the JavaScript heap limit (64 MB)", 47);
}

#[test]
fn an_orchestration_that_fills_the_heap_fails_and_the_worker_lives() {
    let (result, _) = runaway("heap-orchestration", &["--max-heap-mb", "64"]);
    assert_stopped(&result, "orchestration 'Runaway' exceeded the JavaScript heap limit (64 MB)", 29);
}

#[test]
fn an_activity_that_never_settles_times_out_and_frees_its_slot() {
    let (result, stderr) = runaway("never-settles", &["--activity-timeout", "2s", "--activity-warn-after", "1s"]);
    let message = "activity 'Never' timed out after 2 s (--activity-timeout)";
    assert_eq!(result["runaway"]["status"], "Failed", "{result}");
    assert_eq!(result["runaway"]["error"], format!("Error: {message}"), "{result}");
    assert_eq!(result["aborted"], message, "ctx.signal was not aborted: {result}");
    // One worker slot: the canaries could only run once it was freed.
    assert_eq!((&result["canary"], &result["after"]), (&Value::from("Completed"), &Value::from("Completed")), "{result}");
    assert!(
        stderr.contains("activity 'Never' has run for 1 s (it fails at 2 s: --activity-timeout)") && stderr.contains("instance=runaway"),
        "no warning naming it:\n{stderr}"
    );
}

#[test]
fn a_script_may_compute_longer_than_the_limit_with_a_warning() {
    let dir = TempDir::new("long-compute");
    let script = dir.write("compute.js", "const t = Date.now();\nwhile (Date.now() - t < 1500) {}\nconsole.log('done');\n");
    let r = run(&["run", "--js-block-limit", "500ms", script.to_str().unwrap()]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "done\n"), "stderr:\n{}", r.stderr);
    assert!(
        r.stderr.contains("it belongs to no orchestration or activity and is not stopped"),
        "no warning:\n{}",
        r.stderr
    );
}

#[test]
fn a_script_that_fills_the_heap_ends_with_one_line() {
    let dir = TempDir::new("heap-script");
    let script = dir.write("hoard.js", "const all = [];\nfor (;;) all.push(new Array(1e5).fill(1));\n");
    let r = run(&["run", "--max-heap-mb", "64", script.to_str().unwrap()]);
    assert_eq!(r.code, 1, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    let line = r.stderr.trim();
    assert!(line.starts_with("error: the script exceeded the JavaScript heap limit (64 MB) at "), "{line}");
    assert!(line.contains("hoard.js:2:"), "{line}");
    assert_eq!(line.lines().count(), 1, "{line}");
}

#[test]
fn limits_that_make_no_sense_are_usage_errors() {
    let hello = fixture("exit.js");
    for (flag, value, says) in [
        ("--js-block-limit", "10ms", "is too short: at least 100ms"),
        ("--js-block-limit", "forever", "invalid duration 'forever'"),
        ("--max-heap-mb", "4", "4 is not in 16.."),
    ] {
        let r = run(&["run", flag, value, hello.to_str().unwrap()]);
        assert_eq!(r.code, 2, "{flag} {value}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{flag} {value}: {}", r.stderr);
    }
}

/// Starts the spinning worker and waits until its activity spins.
fn spinning_worker(dir: &TempDir, grace: &str) -> std::process::Child {
    let db = format!("sqlite:{}/spin.db", dir.path().display());
    let module = fixture("spin_worker.mjs");
    let mut cmd = command(&[
        "run", "--store", &db, "--js-block-limit", "60s", "--shutdown-grace", grace,
        module.to_str().unwrap(), "--start", "Spin", "--id", "s1",
    ]);
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert_eq!(line, "spinning\n");
    child
}

fn signal(child: &std::process::Child, signal: i32) {
    // SAFETY: sends a signal to our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
}

/// Waits for the child's end; its exit code, stderr and how long it took.
fn ended(child: std::process::Child, since: Instant) -> (i32, String, Duration) {
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned(), since.elapsed())
}

#[test]
fn sigterm_stops_a_worker_stuck_in_javascript_after_the_grace() {
    let dir = TempDir::new("sigterm-spin");
    let child = spinning_worker(&dir, "1s");
    let sent = Instant::now();
    signal(&child, libc::SIGTERM);
    let (code, stderr, took) = ended(child, sent);
    assert_eq!(code, 143, "stderr:\n{stderr}");
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert!(
        stderr.contains("duroxide: stopped at once (in-flight work did not stop within 3 s); unfinished work is retried once its lock expires"),
        "{stderr}"
    );
}

#[test]
fn a_second_ctrl_c_stops_at_once() {
    let dir = TempDir::new("second-int");
    let child = spinning_worker(&dir, "60s");
    let sent = Instant::now();
    signal(&child, libc::SIGINT);
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, libc::SIGINT);
    let (code, stderr, took) = ended(child, sent);
    assert_eq!(code, 130, "stderr:\n{stderr}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(stderr.contains("duroxide: stopped at once (second signal)"), "{stderr}");
}

#[test]
fn a_stuck_instance_does_not_freeze_the_worker_again_after_a_restart() {
    // The runaway is failed durably: a rerun finds it ended instead of spinning again.
    let dir = TempDir::new("spin-restart");
    let db = format!("sqlite:{}/spin.db", dir.path().display());
    let module = fixture("spin_worker.mjs");
    let args = ["run", "--store", &db, "--js-block-limit", "1s", module.to_str().unwrap(), "--start", "Spin", "--id", "s1", "--json"];
    let first = run_cmd(command(&args));
    assert_eq!(first.code, 1, "stderr:\n{}", first.stderr);
    let json = |stdout: &str| -> Value {
        let start = stdout.find('{').unwrap_or_else(|| panic!("no JSON in {stdout}"));
        serde_json::from_str(&stdout[start..]).unwrap()
    };
    let status = json(&first.stdout);
    assert_eq!(status["status"], "Failed");
    assert_eq!(
        status["error"].as_str().unwrap().split(" at ").next(),
        Some("Error: activity 'Spin' ran 1 s without yielding (an infinite loop?)")
    );
    let again = run_cmd(command(&args));
    assert_eq!(again.code, 1, "stderr:\n{}", again.stderr);
    assert!(!again.stdout.contains("spinning"), "ran again: {}", again.stdout);
    assert_eq!(json(&again.stdout)["error"], status["error"]);
}
