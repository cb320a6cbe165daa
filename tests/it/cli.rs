//! The command line: worker mode, --start jobs, management verbs (issue 5).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{command, fixture, run, run_cmd, Run, Store, TempDir};

/// A store for one test and the commands that use it.
struct Cli {
    dir: TempDir,
    store: Vec<String>,
}

/// A `duroxide run workflows.mjs` worker; its stderr lines are collected.
struct Worker {
    child: Child,
    stderr: Arc<Mutex<Vec<String>>>,
    /// Reads stderr until EOF; joined once the process has exited, so no line is missed.
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Worker {
    fn terminate(&mut self) -> i32 {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                if let Some(reader) = self.reader.take() {
                    let _ = reader.join();
                }
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "worker did not stop after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }
}

impl Cli {
    fn new(store: &Store) -> Self {
        let dir = TempDir::new("cli");
        let store = store.cli_args(dir.path());
        Cli { dir, store }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut all: Vec<&str> = self.store.iter().map(String::as_str).collect();
        all.extend_from_slice(args);
        let mut cmd = command(&all);
        cmd.current_dir(self.dir.path());
        cmd
    }

    fn run(&self, args: &[&str]) -> Run {
        run_cmd(self.cmd(args))
    }

    fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(r.code, 0, "duroxide {args:?} failed:\n{}\n{}", r.stdout, r.stderr);
        r.stdout
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    fn worker(&self) -> Worker {
        self.worker_for(&fixture("workflows.mjs"))
    }

    fn worker_for(&self, script: &std::path::Path) -> Worker {
        self.worker_with(script, &[])
    }

    fn worker_with(&self, script: &std::path::Path, flags: &[&str]) -> Worker {
        let mut args = vec!["run", script.to_str().unwrap(), "--poll-interval-ms", "10"];
        args.extend_from_slice(flags);
        let mut child = self
            .cmd(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = BufReader::new(child.stderr.take().unwrap());
        let sink = lines.clone();
        let reader = std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                if line.starts_with("duroxide: serving") {
                    let _ = tx.send(());
                }
                sink.lock().unwrap().push(line);
            }
        });
        rx.recv_timeout(Duration::from_secs(30)).expect("worker never said it was serving");
        Worker { child, stderr: lines, reader: Some(reader) }
    }

    /// Creates the store (management verbs refuse a SQLite file that does not exist).
    fn seed(&self) {
        self.ok(&["run", &script(), "--start", "Hello", "--input", "\"seed\"", "--id", "seed"]);
    }

    fn start(&self, name: &str, id: &str, input: &str) {
        assert_eq!(self.ok(&["start", name, "--id", id, "--input", input]).trim(), id);
    }
}

fn script() -> String {
    fixture("workflows.mjs").to_str().unwrap().to_string()
}

store_tests! {
    fn run_start_prints_the_output_as_json(store) {
        let cli = Cli::new(store);
        let r = cli.run(&["run", &script(), "--start", "Hello", "--input", "\"Ann\"", "--id", "h1"]);
        assert_eq!((r.code, r.stdout.as_str()), (0, "\"Hello, Ann!\"\n"), "{}", r.stderr);
    }

    fn run_start_of_a_failing_job_exits_1_with_the_error(store) {
        let cli = Cli::new(store);
        let r = cli.run(&["run", &script(), "--start", "Fails", "--id", "f1"]);
        assert_eq!(r.code, 1);
        assert_eq!(r.stdout, "");
        assert!(r.stderr.starts_with("error: instance 'f1' failed: Error: job failed on purpose"), "{}", r.stderr);
    }

    fn run_start_without_id_generates_one(store) {
        let cli = Cli::new(store);
        let r = cli.run(&["run", &script(), "--start", "Hello", "--input", "\"Bo\""]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let id = r.stderr.lines().find_map(|l| l.strip_prefix("instance id: ")).expect("id on stderr").to_string();
        assert!(id.starts_with("Hello-"), "{id}");
        assert_eq!(cli.json(&["status", &id, "--json"])["output"], "Hello, Bo!");
    }

    fn run_start_with_an_existing_id_attaches(store) {
        let cli = Cli::new(store);
        cli.ok(&["run", &script(), "--start", "Hello", "--input", "\"Cy\"", "--id", "same"]);
        let r = cli.run(&["run", &script(), "--start", "Hello", "--input", "\"ignored\"", "--id", "same"]);
        assert_eq!((r.code, r.stdout.as_str()), (0, "\"Hello, Cy!\"\n"));
        assert!(r.stderr.contains("attaching to existing instance 'same' (Completed)"), "{}", r.stderr);
    }

    fn killed_start_job_resumes_when_rerun_with_the_same_id(store) {
        let cli = Cli::new(store);
        let mut first = cli
            .cmd(&["run", &script(), "--start", "LongJob", "--input", "8", "--id", "long-1"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut seen = Vec::new();
        for line in BufReader::new(first.stderr.take().unwrap()).lines().map_while(Result::ok) {
            seen.push(line.clone());
            if line == "step 3 done" {
                break;
            }
        }
        first.kill().unwrap();
        first.wait().unwrap();
        assert!(seen.contains(&"step 3 done".to_string()), "{seen:?}");
        let r = cli.run(&["run", &script(), "--start", "LongJob", "--input", "8", "--id", "long-1", "--worker-lock-timeout-ms", "2000"]);
        assert_eq!((r.code, r.stdout.as_str()), (0, "360\n"), "{}", r.stderr);
        assert!(r.stderr.contains("attaching to existing instance 'long-1' (Running)"), "{}", r.stderr);
        for done_before in ["step 0 start", "step 1 start", "step 2 start"] {
            assert!(!r.stderr.lines().any(|l| l == done_before), "{done_before} ran again:\n{}", r.stderr);
        }
    }

    fn worker_serves_until_sigterm_and_verbs_drive_it(store) {
        let cli = Cli::new(store);
        let mut worker = cli.worker();
        cli.start("Hello", "w1", "\"Di\"");
        assert_eq!(cli.ok(&["wait", "w1", "--timeout", "30s"]), "\"Hello, Di!\"\n");
        assert_eq!(worker.terminate(), 0);
        assert!(worker.stderr().iter().any(|l| l.contains("stopping: finishing in-flight work")), "{:?}", worker.stderr());
    }

    fn sigterm_lets_in_flight_work_finish_and_a_new_worker_completes_it(store) {
        let cli = Cli::new(store);
        let mut worker = cli.worker();
        cli.start("LongJob", "lj", "4");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !worker.stderr().iter().any(|l| l == "step 1 start") {
            assert!(Instant::now() < deadline, "job never started");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(worker.terminate(), 0);
        assert!(worker.stderr().iter().any(|l| l == "step 1 done"), "the in-flight step finished: {:?}", worker.stderr());
        let _again = cli.worker();
        assert_eq!(cli.ok(&["wait", "lj", "--timeout", "30s"]), "100\n");
    }

    fn work_cut_off_by_the_grace_is_released_to_the_next_worker_at_once(store) {
        let cli = Cli::new(store);
        let mut worker = cli.worker_with(&fixture("workflows.mjs"), &["--shutdown-grace", "300ms"]);
        cli.start("Lingers", "lg", "2000");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !worker.stderr().iter().any(|l| l == "linger start") {
            assert!(Instant::now() < deadline, "the activity never started");
            std::thread::sleep(Duration::from_millis(10));
        }
        let running = cli.json(&["metrics", "--json"])["inFlight"].clone();
        assert_eq!((&running[0]["activityName"], &running[0]["instanceId"], &running[0]["attempt"]), (&json!("Linger"), &json!("lg"), &json!(1)), "{running}");
        let text = cli.ok(&["metrics"]);
        assert!(text.contains("activities running:  1") || text.lines().any(|l| l.starts_with("activities running") && l.ends_with(" 1")), "{text}");
        assert!(text.contains("  Linger of lg (attempt 1, lock held "), "{text}");
        assert_eq!(worker.terminate(), 0);
        let said = "duroxide: released 1 activity and 0 orchestration turn(s) cut off by the 300 ms grace: other workers take them now";
        assert!(worker.stderr().iter().any(|l| l == said), "{:?}", worker.stderr());
        // Visible in the queue at once (a locked item is not counted), not after its 30 s lock.
        assert_eq!(cli.json(&["metrics", "--json"])["queues"]["workerQueue"], 1);
        let _next = cli.worker();
        assert_eq!(cli.ok(&["wait", "lg", "--timeout", "20s"]), "2000\n");
    }

    fn verbs_end_quietly_when_their_reader_goes_away(store) {
        let cli = Cli::new(store);
        cli.ok(&["run", &script(), "--start", "LongJob", "--input", "3", "--id", "p1"]);
        for verb in [&["list"][..], &["history", "p1"], &["status", "p1", "--json"], &["wait", "p1"], &["metrics"]] {
            // The reading end is closed before the verb writes anything: `duroxide list | true`.
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            let out = cli.cmd(verb).stdout(writer).stderr(Stdio::piped()).output().unwrap();
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{verb:?}: {:?}", out.status);
            assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{verb:?}");
        }
        // A job's output to a closed pipe: the job still completes and the worker stops cleanly.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let job = ["run", &script(), "--start", "Hello", "--input", "\"x\"", "--id", "p2"];
        let out = cli.cmd(&job).stdout(writer).stderr(Stdio::piped()).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(cli.json(&["status", "p2", "--json"])["output"], "Hello, x!");
    }

    fn a_start_no_worker_has_taken_is_pending_and_wait_waits_for_it(store) {
        let cli = Cli::new(store);
        cli.seed();
        cli.start("Hello", "p1", "\"Ann\"");
        let text = cli.ok(&["status", "p1"]);
        assert!(text.contains("status:         Pending"), "{text}");
        assert!(text.contains("queued:         waiting for a worker to take the start"), "{text}");
        let v = cli.json(&["status", "p1", "--json"]);
        assert_eq!((&v["status"], &v["queued"]["orchestrationName"]), (&json!("Pending"), &json!("Hello")), "{v}");
        let listed = cli.ok(&["list"]);
        assert!(listed.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["p1", "Hello", "latest", "Pending", "-", "-"]), "{listed}");
        assert_eq!(cli.json(&["list", "--status", "Pending", "--json"])[0]["instanceId"], "p1");
        // `wait` waits for a worker (none runs yet) instead of saying "not found".
        let waiting = cli.cmd(&["wait", "p1", "--timeout", "60s"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        let _worker = cli.worker();
        let out = waiting.wait_with_output().unwrap();
        assert_eq!(
            (out.status.code(), String::from_utf8_lossy(&out.stdout).as_ref()),
            (Some(0), "\"Hello, Ann!\"\n"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn deleting_a_pending_start_means_it_never_runs(store) {
        let cli = Cli::new(store);
        cli.seed();
        cli.start("Hello", "gone", "\"x\"");
        assert_eq!(cli.ok(&["delete", "gone"]), "deleted the pending start of 'gone': it will not run\n");
        let _worker = cli.worker();
        cli.start("Hello", "after", "\"y\"");
        assert_eq!(cli.ok(&["wait", "after", "--timeout", "30s"]), "\"Hello, y!\"\n");
        let r = cli.run(&["status", "gone"]);
        assert_eq!((r.code, r.stderr.trim()), (1, "error: instance 'gone' not found"));
    }

    fn a_misspelt_orchestration_fails_with_a_line_that_says_so(store) {
        let cli = Cli::new(store);
        let _worker = cli.worker();
        cli.start("Helo", "typo", "null");
        let r = cli.run(&["wait", "typo", "--timeout", "60s"]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(
            r.stderr.starts_with(
                "error: instance 'typo' failed: orchestration 'Helo' is not registered on the workers that tried to start it (they have: "
            ) && r.stderr.contains(" Hello, "),
            "{}",
            r.stderr
        );
    }

    fn events_for_a_finished_instance_are_refused(store) {
        let cli = Cli::new(store);
        cli.ok(&["run", &script(), "--start", "Hello", "--input", "\"z\"", "--id", "done"]);
        for (verb, what) in [("raise", "an event"), ("enqueue", "a message")] {
            let r = cli.run(&[verb, "done", "anything", "--data", "1"]);
            assert_eq!(r.code, 1, "{verb}: {}", r.stderr);
            assert_eq!(
                r.stderr.trim(),
                format!("error: instance 'done' has already completed: {what} sent now would be dropped, so none was sent")
            );
        }
    }

    fn status_shows_text_and_json(store) {
        let cli = Cli::new(store);
        let _worker = cli.worker();
        cli.start("Approval", "a1", "null");
        cli.wait_for_custom_status("a1");
        let text = cli.ok(&["status", "a1"]);
        assert!(text.contains("status:         Running"), "{text}");
        assert!(text.contains("orchestration:  Approval 1.0.0"), "{text}");
        assert!(text.contains("custom status:  waiting for approval (version 1)"), "{text}");
        let v = cli.json(&["status", "a1", "--json"]);
        assert_eq!(v["instanceId"], "a1");
        assert_eq!(v["status"], "Running");
        assert_eq!(v["customStatus"], "waiting for approval");
        assert_eq!(v["orchestrationName"], "Approval");
    }

    fn raise_delivers_an_event(store) {
        let cli = Cli::new(store);
        let _worker = cli.worker();
        cli.start("Approval", "a2", "null");
        cli.wait_for_custom_status("a2");
        assert_eq!(cli.ok(&["raise", "a2", "approve", "--data", r#"{"by":"ann"}"#]), "raised 'approve' on a2\n");
        assert_eq!(cli.json(&["wait", "a2", "--timeout", "30s", "--json"])["output"], json!({"approvedBy": "ann"}));
    }

    fn enqueue_delivers_a_queue_message(store) {
        let cli = Cli::new(store);
        let _worker = cli.worker();
        cli.start("Mailbox", "m1", "null");
        cli.wait_for_status("m1", "Running");
        let v = cli.json(&["enqueue", "m1", "inbox", "--data", "\"hello\"", "--json"]);
        assert_eq!(v, json!({"instanceId": "m1", "queue": "inbox", "data": "hello"}));
        assert_eq!(cli.ok(&["wait", "m1", "--timeout", "30s"]), "\"hello\"\n");
    }

    fn cancel_fails_the_instance_with_the_reason(store) {
        let cli = Cli::new(store);
        let _worker = cli.worker();
        cli.start("Approval", "c1", "null");
        cli.wait_for_status("c1", "Running");
        assert_eq!(cli.ok(&["cancel", "c1", "--reason", "no longer needed"]), "cancellation requested for c1\n");
        let r = cli.run(&["wait", "c1", "--timeout", "30s"]);
        assert_eq!(r.code, 1);
        assert!(r.stderr.contains("no longer needed"), "{}", r.stderr);
        let again = cli.run(&["cancel", "c1"]);
        assert_eq!(again.code, 1);
        assert_eq!(again.stderr.trim(), "error: instance 'c1' already finished (Failed)");
    }

    fn wait_exits_1_for_a_failed_instance(store) {
        let cli = Cli::new(store);
        let _worker = cli.worker();
        cli.start("Fails", "wf", "null");
        let r = cli.run(&["wait", "wf", "--timeout", "30s"]);
        assert_eq!(r.code, 1);
        assert!(r.stderr.starts_with("error: instance 'wf' failed: Error: job failed on purpose"), "{}", r.stderr);
    }

    fn list_shows_instances_with_filters_and_json(store) {
        let cli = Cli::new(store);
        let _worker = cli.worker();
        cli.start("Hello", "l-ok", "\"x\"");
        cli.start("Fails", "l-bad", "null");
        cli.run(&["wait", "l-ok", "--timeout", "30s"]);
        cli.run(&["wait", "l-bad", "--timeout", "30s"]);
        let text = cli.ok(&["list"]);
        assert!(text.starts_with("INSTANCE  ORCHESTRATION  VERSION  STATUS     EXECUTION  UPDATED\n"), "{text}");
        assert!(text.contains("l-ok      Hello          1.0.0    Completed  1"), "{text}");
        let failed = cli.json(&["list", "--status", "Failed", "--json"]);
        assert_eq!(failed.as_array().unwrap().len(), 1);
        assert_eq!(failed[0]["instanceId"], "l-bad");
    }

    fn history_shows_a_timeline_and_json(store) {
        let cli = Cli::new(store);
        let _worker = cli.worker();
        cli.start("Hello", "hist", "\"Ed\"");
        cli.ok(&["wait", "hist", "--timeout", "30s"]);
        let text = cli.ok(&["history", "hist"]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "hist execution 1");
        assert!(lines[1].starts_with("EVENT  TIME"), "{text}");
        assert!(lines[3].contains("ActivityScheduled") && lines[3].contains("Greet") && lines[3].ends_with("Ed"), "{text}");
        assert!(lines[4].starts_with("3 <-2") && lines[4].ends_with("Hello, Ed!"), "{text}");
        let kinds: Vec<Value> = cli.json(&["history", "hist", "--json"]).as_array().unwrap().iter().map(|e| e["kind"].clone()).collect();
        assert_eq!(kinds, [json!("OrchestrationStarted"), json!("ActivityScheduled"), json!("ActivityCompleted"), json!("OrchestrationCompleted")]);
    }

    fn tree_shows_sub_orchestrations(store) {
        let cli = Cli::new(store);
        let _worker = cli.worker();
        cli.start("Parent", "tp", "null");
        cli.ok(&["wait", "tp", "--timeout", "30s"]);
        let text = cli.ok(&["tree", "tp"]);
        assert_eq!(text, "tp  Parent  Completed\n└─ tp::sub::2  Hello  Completed\n");
        assert_eq!(cli.json(&["tree", "tp", "--json"])["size"], 2);
    }

    fn delete_reports_counts_and_refuses_running_without_force(store) {
        let cli = Cli::new(store);
        let _worker = cli.worker();
        cli.start("Hello", "d1", "\"x\"");
        cli.ok(&["wait", "d1", "--timeout", "30s"]);
        assert_eq!(cli.ok(&["delete", "d1"]), "deleted 1 instance(s), 1 execution(s), 4 event(s), 0 queued message(s)\n");
        assert_eq!(cli.run(&["status", "d1"]).code, 1);
        cli.start("Approval", "d2", "null");
        cli.wait_for_status("d2", "Running");
        let refused = cli.run(&["delete", "d2"]);
        assert_eq!(refused.code, 1);
        assert_eq!(refused.stderr.trim(), "error: instance 'd2' is still running; add --force to delete it anyway");
        assert_eq!(cli.json(&["delete", "d2", "--force", "--json"])["instancesDeleted"], 1);
    }

    fn prune_reports_counts(store) {
        let cli = Cli::new(store);
        let _worker = cli.worker();
        cli.start("Again", "p1", "0");
        assert_eq!(cli.ok(&["wait", "p1", "--timeout", "30s"]), "3\n");
        assert_eq!(cli.ok(&["prune", "p1", "--keep-last", "1"]), "pruned 3 execution(s) (6 event(s)) from 1 instance(s)\n");
        assert_eq!(cli.json(&["history", "p1", "--json"]).as_array().unwrap()[0]["kind"], "OrchestrationStarted");
    }

    fn metrics_shows_counts_and_queues(store) {
        let cli = Cli::new(store);
        let _worker = cli.worker();
        cli.start("Hello", "m-1", "\"x\"");
        cli.ok(&["wait", "m-1", "--timeout", "30s"]);
        let text = cli.ok(&["metrics"]);
        assert!(text.contains("instances:           1"), "{text}");
        assert!(text.contains("completed:           1"), "{text}");
        let v = cli.json(&["metrics", "--json"]);
        assert_eq!(v["system"]["completedInstances"], 1);
        assert_eq!(v["queues"]["workerQueue"], 0);
    }

    fn start_refuses_an_existing_id_and_bad_json(store) {
        let cli = Cli::new(store);
        let _worker = cli.worker();
        cli.start("Hello", "dup", "\"x\"");
        cli.ok(&["wait", "dup", "--timeout", "30s"]);
        let r = cli.run(&["start", "Hello", "--id", "dup"]);
        assert_eq!((r.code, r.stderr.trim()), (1, "error: instance 'dup' already exists (Completed)"));
        let bad = cli.run(&["start", "Hello", "--input", "not json"]);
        assert_eq!(bad.code, 2);
        assert!(bad.stderr.starts_with("error: --input is not valid JSON"), "{}", bad.stderr);
    }

    fn start_with_a_version_pins_it(store) {
        let cli = Cli::new(store);
        let _worker = cli.worker();
        assert_eq!(cli.json(&["start", "Versioned", "--id", "v1", "--input", "5", "--version", "1.0.0", "--json"])["version"], "1.0.0");
        cli.start("Versioned", "v2", "5");
        assert_eq!(cli.ok(&["wait", "v1", "--timeout", "30s"]), "\"v1:5\"\n");
        assert_eq!(cli.ok(&["wait", "v2", "--timeout", "30s"]), "\"v2:5\"\n");
    }

    fn unknown_instance_is_not_found_for_every_verb(store) {
        let cli = Cli::new(store);
        let _worker = cli.worker(); // creates the store
        for verb in [vec!["status", "nope"], vec!["wait", "nope"], vec!["raise", "nope", "e"], vec!["enqueue", "nope", "q"],
                     vec!["cancel", "nope"], vec!["history", "nope"], vec!["tree", "nope"], vec!["delete", "nope"], vec!["prune", "nope", "--keep-last", "1"]] {
            let r = cli.run(&verb);
            assert_eq!((r.code, r.stderr.trim()), (1, "error: instance 'nope' not found"), "{verb:?}");
        }
    }
}

impl Cli {
    /// Polls `status ID --json` until `ready` holds for it (30 s at most).
    fn wait_until(&self, id: &str, what: &str, ready: impl Fn(&Value) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let r = self.run(&["status", id, "--json"]);
            if r.code == 0 && ready(&serde_json::from_str(&r.stdout).unwrap_or(Value::Null)) {
                return;
            }
            assert!(Instant::now() < deadline, "{id} never {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_for_status(&self, id: &str, want: &str) {
        self.wait_until(id, &format!("reached {want}"), |s| s["status"] == want);
    }

    fn wait_for_custom_status(&self, id: &str) {
        self.wait_until(id, "set a custom status", |s| s.get("customStatus").is_some());
    }
}

#[test]
fn run_start_of_a_module_without_exports_is_a_usage_error() {
    let cli = Cli::new(&Store::Sqlite);
    let file = fixture("exports_nothing.mjs");
    let r = cli.run(&["run", file.to_str().unwrap(), "--start", "Anything"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with(&format!("error: {} exports no orchestrations or activities to run", file.display())), "{}", r.stderr);
}

#[test]
fn empty_workflow_exports_are_a_usage_error() {
    let cli = Cli::new(&Store::Sqlite);
    let file = fixture("exports_empty.js");
    let r = cli.run(&["run", file.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("the exported orchestrations and activities are empty: there is nothing to run"), "{}", r.stderr);
}

#[test]
fn run_start_of_an_unknown_orchestration_names_the_exports() {
    let cli = Cli::new(&Store::Sqlite);
    let r = cli.run(&["run", &script(), "--start", "Nope"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("exports no orchestration 'Nope' (it exports: "), "{}", r.stderr);
    assert!(r.stderr.contains("Hello"), "{}", r.stderr);
}

#[test]
fn management_verbs_refuse_a_missing_sqlite_store() {
    let dir = TempDir::new("nostore");
    let db = format!("sqlite:{}/missing.db", dir.path().display());
    let r = run(&["--store", &db, "status", "x"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with(&format!("error: no store at {}/missing.db", dir.path().display())), "{}", r.stderr);
    assert!(!dir.path().join("missing.db").exists(), "a management verb must not create a store");
}

#[test]
fn unreachable_postgres_store_is_a_usage_error() {
    let r = run(&["--store", "postgres://app:s3cret@127.0.0.1:1/db", "list"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("error: cannot connect to PostgreSQL at postgres://app:***@127.0.0.1:1/db"), "{}", r.stderr);
    assert!(!r.stderr.contains("s3cret"));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let r = run(&["status", "x", "--frobnicate"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unexpected argument '--frobnicate'"), "{}", r.stderr);
}

#[test]
fn invalid_input_json_for_run_start_is_a_usage_error() {
    let r = run(&["run", &script(), "--start", "Hello", "--input", "{oops"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("error: --input is not valid JSON"), "{}", r.stderr);
}

#[test]
fn every_verb_has_help_with_an_example() {
    for verb in ["run", "start", "status", "wait", "raise", "enqueue", "cancel", "list", "history", "tree", "delete", "prune", "metrics", "completions"] {
        let r = run(&[verb, "--help"]);
        assert_eq!(r.code, 0, "{verb}");
        assert!(r.stdout.contains("Example"), "{verb} --help has no example:\n{}", r.stdout);
        assert!(r.stdout.contains(&format!("duroxide {verb}")), "{verb} --help example does not use the verb");
    }
    let top = run(&["--help"]);
    assert!(top.stdout.contains("Examples:") && top.stdout.contains("duroxide run app.js"), "{}", top.stdout);
}

#[test]
fn version_and_completions() {
    let v = run(&["--version"]);
    assert!(v.stdout.starts_with(&format!("duroxide {} (duroxide ", env!("CARGO_PKG_VERSION"))), "{}", v.stdout);
    for (shell, marker) in [("bash", "complete -F"), ("zsh", "#compdef duroxide"), ("fish", "complete -c duroxide")] {
        let r = run(&["completions", shell]);
        assert_eq!(r.code, 0);
        assert!(r.stdout.contains(marker), "{shell} completions lack {marker}");
        assert!(r.stdout.contains("history"), "{shell} completions lack the verbs");
    }
}

#[test]
fn wait_on_a_terminal_shows_status_and_custom_status_but_not_in_pipes() {
    let cli = Cli::new(&Store::Sqlite);
    let _worker = cli.worker();
    cli.start("Approval", "tty", "null");
    cli.wait_for_custom_status("tty");
    let mut line = cli.store.join(" ");
    line.push_str(" wait tty --timeout 1s");
    // `script` gives the command a terminal.
    let tty = Command::new("script")
        .args(["-qec", &format!("{} {line}", crate::support::binary()), "/dev/null"])
        .current_dir(cli.dir.path())
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&tty.stdout);
    assert!(screen.contains("tty: Running (waiting for approval)"), "{screen}");
    let piped = cli.run(&["wait", "tty", "--timeout", "1s"]);
    assert_eq!(piped.stdout, "", "nothing extra when stdout is not a terminal");
    assert!(!piped.stderr.contains("waiting for approval"), "{}", piped.stderr);
}

fn example(name: &str) -> std::path::PathBuf {
    crate::support::repo().join("examples").join(name)
}

#[test]
fn example_workflow_module_serves_fan_out_approval_saga_and_monitor() {
    let cli = Cli::new(&Store::Sqlite);
    let _worker = cli.worker_for(&example("workflows.mjs"));
    cli.start("Hello", "hello-1", "\"Ann\"");
    cli.start("Thumbnails", "th", r#"["a.png", "b.png"]"#);
    cli.start("Approval", "ap", r#"{"item": "laptop", "timeoutMs": 100}"#);
    cli.start("Trip", "trip", r#"{"to": "Oslo", "nights": 20}"#);
    cli.start("Monitor", "mon", r#"{"url": "http://svc", "every": 20, "stopAfter": 3}"#);
    let out = |id: &str| cli.json(&["wait", id, "--timeout", "30s", "--json"])["output"].clone();
    assert_eq!(out("hello-1"), json!("Hello, Ann!"));
    assert_eq!(out("th"), json!([{"image": "a.png", "width": 320}, {"image": "b.png", "width": 320}]));
    assert_eq!(out("ap"), json!({"item": "laptop", "approved": false, "reason": "timed out"}));
    assert_eq!(out("trip"), json!({"failed": "no hotel in Oslo takes 20 nights", "compensation": "cancelled flight-Oslo"}));
    assert_eq!(out("mon"), json!({"checks": 3}));
    assert_eq!(cli.json(&["status", "mon", "--json"])["executionId"], 3, "the monitor continued as new twice");
}

#[test]
fn example_long_job_mirrors_files_checksums_packs_and_writes_a_manifest() {
    let server = crate::http_server::Server::start();
    let scratch = crate::support::TempDir::new("mirror");
    let out = scratch.path().join("mirror");
    let input = json!({"base": server.url("/files"), "files": ["a.txt", "b.txt"], "out": out}).to_string();
    let cli = Cli::new(&Store::Sqlite);
    let file = example("long_job.mjs");
    let r = cli.run(&["run", file.to_str().unwrap(), "--start", "Mirror", "--input", &input, "--id", "mirror-1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let file_bytes = 16384 / "file a.txt\n".len() * "file a.txt\n".len();
    assert_eq!(r.json(), json!({"files": 2, "bytes": 2 * file_bytes, "archive": "mirror.tar.gz"}));
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["files"][1]["file"], "b.txt");
    assert_eq!(manifest["files"][1]["sha256"].as_str().unwrap().len(), 64);
    let listing = std::process::Command::new("tar").args(["tzf", "mirror.tar.gz"]).current_dir(&out).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&listing.stdout), "a.txt\nb.txt\n");
}

#[test]
fn example_long_job_killed_mid_way_resumes_without_fetching_again() {
    let server = crate::http_server::Server::start();
    let scratch = crate::support::TempDir::new("mirror-kill");
    let out = scratch.path().join("mirror");
    let files = ["f1.txt", "f2.txt", "f3.txt", "f4.txt"];
    let input = json!({"base": server.url("/files"), "files": files, "out": out}).to_string();
    let cli = Cli::new(&Store::Sqlite);
    let file = example("long_job.mjs");
    let args = ["run", file.to_str().unwrap(), "--start", "Mirror", "--input", &input, "--id", "mirror-k"];
    let mut first = cli.cmd(&args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while server.hits("/files/f3.txt") == 0 {
        assert!(std::time::Instant::now() < deadline, "the job never reached its third file");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    first.kill().unwrap(); // SIGKILL, mid-download of f3
    first.wait().unwrap();
    let r = cli.run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["files"], 4);
    assert!(r.stderr.contains("attaching to existing instance 'mirror-k'"), "{}", r.stderr);
    assert_eq!((server.hits("/files/f1.txt"), server.hits("/files/f2.txt")), (1, 1), "finished downloads are not repeated");
    assert_eq!(server.hits("/files/f4.txt"), 1);
}

#[test]
#[cfg_attr(not(etl_deps), ignore = "needs `npm install` in examples/etl")]
fn example_etl_uses_an_npm_package_to_report_on_csv_exports() {
    let server = crate::http_server::Server::start();
    let scratch = crate::support::TempDir::new("etl");
    let out = scratch.path().join("report");
    let input = json!({"sources": [server.url("/sales/eu.csv"), server.url("/sales/us.csv")], "out": out}).to_string();
    let cli = Cli::new(&Store::Sqlite);
    let file = example("etl/etl.mjs");
    let r = cli.run(&["run", file.to_str().unwrap(), "--start", "Etl", "--input", &input, "--id", "etl-1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json(), json!({"regions": 2, "revenue": 58, "files": 3}));
    assert_eq!(std::fs::read_to_string(out.join("report.csv")).unwrap(), "region,rows,revenue\r\neu,3,20.00\r\nus,1,38.00\n");
    let eu: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("eu.json")).unwrap()).unwrap();
    assert_eq!(eu["byProduct"], json!({"widget": 10, "gadget": 10}));
}

#[test]
fn a_large_input_comes_from_a_file_or_standard_input_and_a_bad_one_is_cut_in_the_error() {
    let cli = Cli::new(&Store::Sqlite);
    // Larger than one command-line argument may be (128 KiB on Linux).
    let name = "x".repeat(200_000);
    let file = cli.dir.write("input.json", &format!("\"{name}\""));
    let from_file = format!("@{}", file.display());
    let finished = |mut cmd: Command, stdin: &[u8]| {
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, stdout, stderr) = finished(cli.cmd(&["run", &script(), "--start", "Hello", "--input", &from_file, "--id", "big"]), b"");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.trim(), format!("\"Hello, {name}!\""));
    let (code, stdout, stderr) = finished(cli.cmd(&["run", &script(), "--start", "Hello", "--input", "-", "--id", "piped"]), b"\"Stdin\"");
    assert_eq!((code, stdout.as_str()), (Some(0), "\"Hello, Stdin!\"\n"), "{stderr}");

    let bad = format!("{{\"name\": \"{}\"", &name[..100_000]);
    let r = cli.run(&["start", "Hello", "--input", &bad]);
    assert_eq!(r.code, 2);
    let first = r.stderr.lines().next().unwrap();
    assert!(first.starts_with("error: --input is not valid JSON (EOF while parsing an object"), "{first}");
    assert!(first.ends_with("... (100011 bytes in all)") && first.len() < 250, "{first}");

    let r = cli.run(&["start", "Hello", "--input", "@/no/such/input.json"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.trim(), "error: --input @/no/such/input.json: cannot read /no/such/input.json: No such file or directory (os error 2)");
}

#[test]
fn empty_names_and_ids_and_versions_that_are_not_semver_are_usage_errors() {
    let cli = Cli::new(&Store::Sqlite);
    std::fs::copy(fixture("workflows.mjs"), cli.dir.path().join("workflows.mjs")).unwrap();
    for (args, expected) in [
        (vec!["start", ""], "error: orchestration name must not be empty"),
        (vec!["start", "Hello", "--id", ""], "error: instance id must not be empty"),
        (
            vec!["start", "Hello", "--version", "not-semver"],
            "error: version 'not-semver' is not a semantic version like 1.2.0 (unexpected character 'n' while parsing major version number)",
        ),
        (vec!["run", "workflows.mjs", "--start", ""], "error: orchestration name must not be empty"),
    ] {
        let r = cli.run(&args);
        assert_eq!((r.code, r.stderr.trim()), (2, expected), "{args:?}");
    }
}

#[test]
fn arguments_after_a_workflow_module_are_refused_naming_the_flag_meant() {
    let cli = Cli::new(&Store::Sqlite);
    std::fs::copy(fixture("workflows.mjs"), cli.dir.path().join("workflows.mjs")).unwrap();
    for (args, expected) in [
        (
            vec!["run", "workflows.mjs", "--worker-concurency", "16"],
            "error: workflows.mjs is a workflow module and takes no arguments (got '--worker-concurency 16'): \
             --worker-concurency is not a flag of run (did you mean --worker-concurrency?)",
        ),
        (
            vec!["run", "workflows.mjs", "--", "--worker-concurrency", "16"],
            "error: workflows.mjs is a workflow module and takes no arguments (got '--worker-concurrency 16'): \
             flags of run go before the file: duroxide run --worker-concurrency 16 workflows.mjs",
        ),
        (vec!["run", "workflows.mjs", "extra"], "error: workflows.mjs is a workflow module and takes no arguments (got 'extra')"),
    ] {
        let r = cli.run(&args);
        assert_eq!((r.code, r.stderr.trim()), (2, expected), "{args:?}");
    }
}
