//! Our own SQLite store (issue 14, what `sqlite:` opens) next to duroxide's built-in
//! provider (`sqlite+sqlx:`, also what duroxide-node writes): one file, either of them.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{command, fixture, run, run_cmd, TempDir};

/// A worker on our store takes a start another process wrote through duroxide's provider while
/// it idles. It did not when opening the file had closed a descriptor of it
/// after SQLite's connections existed: the POSIX locks went with it, the other process deleted
/// the WAL on exit, and the worker read a stale snapshot forever.
#[test]
fn a_worker_on_our_store_takes_work_another_process_queues_while_it_idles() {
    let dir = TempDir::new("own-store-worker");
    let module = dir.write("w.js", "exports.orchestrations = { Hi: function* (ctx, x) { return yield ctx.scheduleActivity('A', x); } };\nexports.activities = { A: async (ctx, x) => `hi ${x}` };\n");
    let store = format!("sqlite:{}", dir.path().join("w.db").display());
    let mut worker = command(&["run", module.to_str().unwrap(), "--store", &store]);
    worker.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped());
    let worker = worker.spawn().unwrap();
    let ready = Instant::now();
    while !dir.path().join("w.db").exists() && ready.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    hi_queued_by_another_process_is_done(worker, &store.replace("sqlite:", "sqlite+sqlx:"), &store);
}

/// After the idle `worker` (serving `Hi`) settles, another process queues `Hi` through `start_store`;
/// it must be done within 10 s (waited for through `store`). Kills the worker.
fn hi_queued_by_another_process_is_done(mut worker: std::process::Child, start_store: &str, store: &str) {
    std::thread::sleep(Duration::from_millis(300));
    let started = run_cmd(command(&["start", "Hi", "--input", "1", "--id", "h1", "--store", start_store]));
    assert_eq!(started.code, 0, "{}", started.stderr);
    let waited = run_cmd(command(&["wait", "h1", "--timeout", "10s", "--store", store]));
    let _ = worker.kill();
    let _ = worker.wait();
    assert_eq!((waited.code, waited.stdout.trim()), (0, "\"hi 1\""), "{}", waited.stderr);
}

/// Runs durable_job.js on `db` until its step 3 is done, then kills it (SIGKILL).
fn kill_after_step_3(db: &str, id: &str) {
    let mut child = command(&["run", fixture("durable_job.js").to_str().unwrap(), db, id])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines: Vec<String> =
        BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok).take_while(|l| l != "step 3 done").collect();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(lines.first().map(String::as_str), Some("started"), "{lines:?}");
}

/// A file duroxide's built-in provider wrote, with an instance in the middle of its work, opens
/// in our store and the instance carries on from where it was (and the other way round).
#[test]
fn running_instances_of_a_file_the_built_in_provider_wrote_continue_in_ours_and_back() {
    let dir = TempDir::new("own-store-compat");
    let path = dir.path().join("job.db");
    let (built_in, ours) = (format!("sqlite+sqlx:{}", path.display()), format!("sqlite:{}", path.display()));
    let job = fixture("durable_job.js");
    for (first, then, id) in [(&built_in, &ours, "from-built-in"), (&ours, &built_in, "from-ours")] {
        kill_after_step_3(first, id);
        let second = run(&["run", job.to_str().unwrap(), then, id]);
        assert_eq!(second.code, 0, "{id}: {}", second.stderr);
        let lines: Vec<&str> = second.stdout.lines().collect();
        assert_eq!((lines.first(), lines.last()), (Some(&"resumed from Running"), Some(&"result Completed 360")), "{id}: {lines:?}");
        for finished_before_the_kill in ["step 0 start", "step 1 start", "step 2 start"] {
            assert!(!lines.contains(&finished_before_the_kill), "{id}: a completed step ran again: {lines:?}");
        }
    }
    let listed = run(&["list", "--store", &ours]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert_eq!(listed.stdout.matches("Completed").count(), 2, "{}", listed.stdout);
}

/// Starts (unless they exist) and waits for `n` instances whose activity says `ran ID`; prints
/// `Completed ID` as the client learns each is done.
const LOAD: &str = r#"
const { Client, Runtime, SqliteProvider } = require('duroxide');
const [db, n] = process.argv.slice(2);
(async () => {
  const provider = await SqliteProvider.open(db);
  const client = new Client(provider);
  const runtime = new Runtime(provider, { dispatcherPollIntervalMs: 10, workerLockTimeoutMs: 2000 });
  runtime.registerActivity('Note', async (ctx, id) => { console.log(`ran ${id}`); return id; });
  runtime.registerOrchestration('Load', function* (ctx, id) { return yield ctx.scheduleActivity('Note', id); });
  await runtime.start();
  const ids = Array.from({ length: Number(n) }, (_, i) => `load-${i}`);
  for (const id of ids) if ((await client.getStatus(id)).status === 'NotFound') await client.startOrchestration(id, 'Load', id);
  await Promise.all(ids.map(async (id) => console.log(`${(await client.waitForOrchestration(id, 60000)).status} ${id}`)));
  await runtime.shutdown();
})();
"#;

/// kill -9 in the middle of a burst: every completion a client was told of before the kill is
/// still there after it (its activity does not run again), and the rest finish on the rerun.
#[test]
fn kill_9_under_load_loses_no_acknowledged_completion() {
    let dir = TempDir::new("own-store-kill");
    let script = dir.write("load.js", LOAD);
    let db = format!("sqlite:{}", dir.path().join("load.db").display());
    let mut child = command(&["run", script.to_str().unwrap(), &db, "400"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut acknowledged = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok) {
        if let Some(id) = line.strip_prefix("Completed ") {
            acknowledged.push(id.to_string());
            if acknowledged.len() == 100 {
                break;
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(acknowledged.len(), 100, "the first run was killed before 100 completions");
    let listed = run(&["list", "--status", "Completed", "--store", &db]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let missing: Vec<&String> = acknowledged.iter().filter(|id| !listed.stdout.split_whitespace().any(|w| w == id.as_str())).collect();
    assert!(missing.is_empty(), "completions told to the client are not in the store after the kill: {missing:?}");

    let rerun = run(&["run", script.to_str().unwrap(), &db, "400"]);
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    assert_eq!(rerun.stdout.lines().filter(|l| l.starts_with("Completed load-")).count(), 400, "{}", rerun.stdout);
    let ran_again: Vec<&String> = acknowledged.iter().filter(|id| rerun.stdout.lines().any(|l| l == format!("ran {id}"))).collect();
    assert!(ran_again.is_empty(), "completions told to the client were lost: {ran_again:?}");
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

/// Instances carry the real times of their creation and last turn (duroxide's provider says 0, and
/// `list` showed `-`), to the millisecond.
#[test]
fn list_shows_when_instances_were_created_and_last_updated() {
    let dir = TempDir::new("own-store-times");
    let store = format!("sqlite:{}", dir.path().join("t.db").display());
    let before = now_ms();
    let job =
        run(&["--store", &store, "run", fixture("workflows.mjs").to_str().unwrap(), "--start", "LongJob", "--input", "2", "--id", "t"]);
    assert_eq!(job.code, 0, "{}", job.stderr);
    let after = now_ms();
    let listed = run(&["--store", &store, "list", "--json"]);
    let info: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    let (created, updated) = (info[0]["createdAt"].as_u64().unwrap(), info[0]["updatedAt"].as_u64().unwrap());
    assert!(before <= created && created <= updated && updated <= after, "{before} {created} {updated} {after}");
    assert!((250..5000).contains(&(updated - created)), "two steps of 150 ms between creation and the end: {created} {updated}");
    assert!(created % 1000 != 0 || updated % 1000 != 0, "milliseconds, not whole seconds: {created} {updated}");
    let text = run(&["--store", &store, "list"]).stdout;
    let row = text.lines().nth(1).unwrap_or_default();
    assert!(row.starts_with("t ") && !row.ends_with(" -"), "{text}");
}

/// A script that opens its file twice, then serves `Hi` until killed.
const TWO_OPENS: &str = r#"
const { SqliteProvider, Runtime } = require('duroxide');
const [db] = process.argv.slice(2);
(async () => {
  const serving = await SqliteProvider.open(db);
  await SqliteProvider.open(db);
  const runtime = new Runtime(serving, { dispatcherPollIntervalMs: 10 });
  runtime.registerActivity('A', async (ctx, x) => `hi ${x}`);
  runtime.registerOrchestration('Hi', function* (ctx, x) { return yield ctx.scheduleActivity('A', x); });
  await runtime.start();
  console.log('ready');
  await new Promise((resolve) => setTimeout(resolve, 60000));
})();
"#;

/// Opening a file this process already has open must not drop the process's locks on it (closing
/// any descriptor of the file does, and another process then deleted the WAL under the worker's
/// connection, which never saw new work again).
#[test]
fn a_second_open_of_the_same_file_keeps_the_worker_seeing_other_processes_work() {
    let dir = TempDir::new("own-store-two-opens");
    let script = dir.write("two.js", TWO_OPENS);
    let store = format!("sqlite:{}", dir.path().join("two.db").display());
    let mut worker = command(&["run", script.to_str().unwrap(), &store]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut ready = String::new();
    BufReader::new(worker.stdout.take().unwrap()).read_line(&mut ready).unwrap();
    assert_eq!(ready.trim(), "ready");
    hi_queued_by_another_process_is_done(worker, &store, &store);
}
