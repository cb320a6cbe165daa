//! History on a SQLite file survives a crash (issue 2, item 6).

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::support::{command, fixture, run, run_in, TempDir};

#[test]
fn sqlite_open_creates_missing_parent_folders() {
    let dir = TempDir::new("folders");
    let db = dir.path().join("a/b/c/app.db");
    let r = run(&["run", fixture("durable_job.js").to_str().unwrap(), db.to_str().unwrap(), "j"]);
    assert_eq!(r.code, 0, "stderr:\n{}", r.stderr);
    assert!(db.is_file());
    assert_eq!(r.stdout.lines().last(), Some("result Completed 360"));
}

store_tests! {
    fn sigkilled_script_resumes_on_rerun_with_the_same_result(store) {
        let dir = TempDir::new("durable");
        let db = dir.path().join("state/job.db");
        let (db, job) = (db.to_str().unwrap(), fixture("durable_job.js"));

        let mut first = command(&["run", job.to_str().unwrap(), db, "job-1"]);
        store.apply(&mut first);
        let mut child = first.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let mut seen = Vec::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            seen.push(line.clone());
            if line == "step 3 done" {
                break;
            }
        }
        child.kill().unwrap(); // SIGKILL: no cleanup of any kind
        child.wait().unwrap();
        assert!(seen.contains(&"started".to_string()), "{seen:?}");
        assert!(seen.contains(&"step 3 done".to_string()), "first run never got to step 3: {seen:?}");

        let second = run_in(store, &["run", job.to_str().unwrap(), db, "job-1"]);
        assert_eq!(second.code, 0, "stderr:\n{}", second.stderr);
        let lines: Vec<&str> = second.stdout.lines().collect();
        assert_eq!(lines.first(), Some(&"resumed from Running"));
        assert_eq!(lines.last(), Some(&"result Completed 360"));
        for finished_before_the_kill in ["step 0 start", "step 1 start", "step 2 start"] {
            assert!(!lines.contains(&finished_before_the_kill), "completed step ran again: {lines:?}");
        }
        assert!(lines.contains(&"step 7 done"), "{lines:?}");
    }
}
