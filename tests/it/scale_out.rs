//! Several processes on one store (issue 4, items 4 and 5).

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Stdio};
use std::time::{Duration, Instant};

use crate::support::{command, fixture, run_in, scenario_of, OwnServer, Store, TempDir, OWN_PORTS};

/// Child processes killed when the test ends, however it ends.
struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A started worker and the rest of its output (kept open: a worker must not
/// die of a closed pipe when it prints).
fn spawn_worker(store: &Store, db: &str, node: &str) -> (Child, BufReader<ChildStdout>) {
    let script = fixture("scale.js");
    let mut cmd = command(&["run", script.to_str().unwrap(), "worker", db, node]);
    store.apply(&mut cmd);
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert_eq!(first.trim(), "ready", "worker {node} did not start");
    (child, out)
}

fn scale(store: &Store, args: &[&str]) -> String {
    let script = fixture("scale.js");
    let mut all = vec!["run", script.to_str().unwrap()];
    all.extend_from_slice(args);
    let r = run_in(store, &all);
    assert_eq!(r.code, 0, "scale.js {args:?}: {}", r.stderr);
    r.stdout.trim().to_string()
}

fn wait_for_progress(store: &Store, db: &str, count: &str, at_least: u32) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while scale(store, &["progress", db, count]).parse::<u32>().unwrap() < at_least {
        assert!(Instant::now() < deadline, "fewer than {at_least} instances completed within 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

store_tests! {
    fn two_workers_share_the_work_and_one_finishes_after_the_other_is_killed(store) {
        let dir = TempDir::new("scale");
        let db = dir.path().join("scale.db");
        let db = db.to_str().unwrap();
        let ((a, _a_out), (b, _b_out)) = (spawn_worker(store, db, "a"), spawn_worker(store, db, "b"));
        let mut workers = Workers(vec![a, b]);
        assert_eq!(scale(store, &["start", db, "200"]), "started");
        wait_for_progress(store, db, "200", 60);
        let b = &mut workers.0[1];
        b.kill().unwrap(); // SIGKILL in the middle of the work
        b.wait().unwrap();
        let summary = scenario_of(store, "scale.js", &["wait", db, "200"]);
        assert_eq!(summary["completed"], 200, "{summary}");
        assert_eq!(summary["correct"], true, "{summary}");
        let (a, b) = (summary["nodes"]["a"].as_u64().unwrap_or(0), summary["nodes"]["b"].as_u64().unwrap_or(0));
        assert!(a > 0 && b > 0, "both workers must have completed some instances: {summary}");
        assert_eq!(a + b, 200);
    }

    // Turns of one instance taken by either process: kept generators go
    // stale in the other process and must still resume correctly.
    fn two_workers_taking_turns_of_the_same_instances_lose_and_repeat_nothing(store) {
        let dir = TempDir::new("chains");
        let db = dir.path().join("chains.db");
        let db = db.to_str().unwrap();
        let ((a, a_out), (b, b_out)) = (spawn_worker(store, db, "a"), spawn_worker(store, db, "b"));
        let workers = Workers(vec![a, b]);
        assert_eq!(scale(store, &["chains", db, "20"]), "started");
        let summary = scenario_of(store, "scale.js", &["wait-chains", db, "20"]);
        assert_eq!(summary["completed"], 20, "{summary}");
        assert_eq!(summary["correct"], true, "{summary}");
        assert!(summary["sharedByBoth"].as_u64().unwrap() > 0, "no instance had steps on both workers: {summary}");
        drop(workers); // killed: their output ends
        let mut ran: Vec<String> = Vec::new();
        for out in [a_out, b_out] {
            ran.extend(out.lines().map_while(Result::ok).filter(|l| l.starts_with("ran ")));
        }
        assert_eq!(ran.len(), 160, "every step must run exactly once: {ran:?}");
        ran.sort();
        ran.dedup();
        assert_eq!(ran.len(), 160, "a step ran twice");
    }
}

/// duroxide creates the schema when a store is opened; processes doing that
/// at once on a new file used to fail with "duplicate column name".
#[test]
fn workers_started_together_on_a_new_sqlite_file_all_start() {
    let dir = TempDir::new("together");
    let script = fixture("scale.js");
    let mut workers = Workers(Vec::new());
    for db in 0..6 {
        let db = dir.path().join(format!("new-{db}.db"));
        for node in 0..4 {
            let mut cmd = command(&["run", script.to_str().unwrap(), "worker", db.to_str().unwrap(), &node.to_string()]);
            workers.0.push(cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap());
        }
    }
    for child in &mut workers.0 {
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        if first.trim() != "ready" {
            let _ = child.kill();
            let mut why = String::new();
            let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut why);
            panic!("a worker did not start: {why}");
        }
    }
}

#[test]
#[cfg_attr(not(pg_tests), ignore = "needs DUROXIDE_TEST_PG_URL")]
fn postgres_worker_survives_the_server_going_away_and_coming_back() {
    let (server, store) = OwnServer::start(OWN_PORTS, "restart");
    let (worker, _output) = spawn_worker(&store, "-", "a");
    let _workers = Workers(vec![worker]);
    assert_eq!(scale(&store, &["start", "-", "40"]), "started");
    wait_for_progress(&store, "-", "40", 5);
    assert!(server.command("pause").status().unwrap().success());
    std::thread::sleep(Duration::from_secs(3));
    assert!(server.command("resume").status().unwrap().success());
    let summary = scenario_of(&store, "scale.js", &["wait", "-", "40"]);
    assert_eq!(summary["completed"], 40, "{summary}");
    assert_eq!(summary["correct"], true, "{summary}");
}

/// An operator's `pg_ctl restart -m fast` terminates every connection with
/// SQLSTATE 57P01, also those committing a turn: such errors are retried, and an
/// ack whose outcome is unknown is resolved (it committed, or it is redone),
/// never turned into a failed instance.
#[test]
#[cfg_attr(not(pg_tests), ignore = "needs DUROXIDE_TEST_PG_URL")]
fn postgres_restarted_twice_under_load_fails_no_instance() {
    let (server, store) = OwnServer::start(OWN_PORTS + 1, "restarts");
    let (a, _a_out) = spawn_worker(&store, "-", "a");
    let (b, _b_out) = spawn_worker(&store, "-", "b");
    let _workers = Workers(vec![a, b]);
    assert_eq!(scale(&store, &["chains", "-", "50"]), "started");
    for _ in 0..2 {
        std::thread::sleep(Duration::from_millis(700));
        let restarted = server.command("restart").output().unwrap();
        assert!(restarted.status.success(), "{}", String::from_utf8_lossy(&restarted.stderr));
    }
    let summary = scenario_of(&store, "scale.js", &["wait-chains", "-", "50"]);
    assert_eq!(summary["failed"], serde_json::json!([]), "{summary}");
    assert_eq!(summary["completed"], 50, "{summary}");
    assert_eq!(summary["correct"], true, "{summary}");
}
