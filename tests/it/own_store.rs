//! Our own SQLite store (issue 14) under a real worker, while it is not the default
//! (`DUROXIDE_SQLITE_STORE=own`).

use std::time::{Duration, Instant};

use crate::support::{command, run_cmd, TempDir};

/// A worker on our store takes a start another process wrote (through duroxide's provider: both
/// use one schema) while it idles. It did not when opening the file had closed a descriptor of it
/// after SQLite's connections existed: the POSIX locks went with it, the other process deleted
/// the WAL on exit, and the worker read a stale snapshot forever.
#[test]
fn a_worker_on_our_store_takes_work_another_process_queues_while_it_idles() {
    let dir = TempDir::new("own-store-worker");
    let module = dir.write("w.js", "exports.orchestrations = { Hi: function* (ctx, x) { return yield ctx.scheduleActivity('A', x); } };\nexports.activities = { A: async (ctx, x) => `hi ${x}` };\n");
    let store = format!("sqlite:{}", dir.path().join("w.db").display());
    let mut worker = command(&["run", module.to_str().unwrap(), "--store", &store]);
    worker.env("DUROXIDE_SQLITE_STORE", "own").stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped());
    let mut worker = worker.spawn().unwrap();
    let ready = Instant::now();
    while !dir.path().join("w.db").exists() && ready.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let started = run_cmd(command(&["start", "Hi", "--input", "1", "--id", "h1", "--store", &store]));
    assert_eq!(started.code, 0, "{}", started.stderr);
    let waited = run_cmd(command(&["wait", "h1", "--timeout", "10s", "--store", &store]));
    let _ = worker.kill();
    let _ = worker.wait();
    assert_eq!((waited.code, waited.stdout.trim()), (0, "\"hi 1\""), "{}", waited.stderr);
}
