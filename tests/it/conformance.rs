//! Scripts written for duroxide-node run unmodified (../shared/conformance).

use crate::support::{command, repo, run_cmd, TempDir};

fn quickstart_in_fresh_dir(script: std::path::PathBuf) {
    assert!(script.is_file(), "missing {}", script.display());
    let dir = TempDir::new("quickstart");
    let mut cmd = command(&["run", script.to_str().unwrap()]);
    cmd.current_dir(dir.path());
    let r = run_cmd(cmd);
    assert_eq!(r.code, 0, "stderr:\n{}", r.stderr);
    assert_eq!(r.stdout, "Hello, World!\n");
    assert_eq!(r.stderr, "", "nothing but the script's output by default");
    assert!(dir.path().join("myapp.db").is_file(), "the SQLite file is created in the working directory");
}

#[test]
fn conformance_quickstart_prints_hello_world() {
    quickstart_in_fresh_dir(repo().join("../shared/conformance/quickstart.js"));
}

#[test]
fn example_quickstart_prints_hello_world() {
    quickstart_in_fresh_dir(repo().join("examples/quickstart.js"));
}
