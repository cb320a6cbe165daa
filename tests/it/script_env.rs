//! What `duroxide run` gives a script (issue 2, item 2).

use serde_json::json;

use crate::support::{command, fixture, run, run_cmd, TempDir};

#[test]
fn commonjs_script_gets_node_globals_requires_and_exit_code() {
    let mut cmd = command(&["run", fixture("globals.js").to_str().unwrap(), "one", "--two"]);
    cmd.env("DUROXIDE_TEST_VALUE", "from-env");
    let r = run_cmd(cmd);
    assert_eq!(r.code, 3, "process.exitCode decides the exit code; stderr:\n{}", r.stderr);
    let v = r.json();
    assert_eq!(v["order"], json!(["sync", "microtask", "timeout"]));
    assert_eq!(v["ticks"], 3);
    assert_eq!(v["cloneIsDate"], true);
    assert_eq!(v["cloneMap"], "one");
    assert_eq!(v["bytes"], json!([104, 195, 169]));
    assert_eq!(v["decoded"], "hé");
    assert_eq!(v["urlQuery"], "1");
    assert_eq!(v["urlPath"], "/a/b");
    assert_eq!(v["argv"], json!(["one", "--two"]));
    assert_eq!(v["argv1IsScript"], true);
    assert_eq!(v["env"], "from-env");
    assert_eq!(v["helper"], "HI!");
    assert_eq!(v["data"], json!({"answer": 42}));
    assert_eq!(v["dirname"], true);
}

#[test]
fn es_module_imports_duroxide_and_relative_files() {
    let r = run(&["run", fixture("module.mjs").to_str().unwrap()]);
    assert_eq!(r.code, 0, "stderr:\n{}", r.stderr);
    assert_eq!(r.json(), json!({"output": 42, "defaultExport": "function"}));
}

#[test]
fn js_file_with_import_and_export_runs_as_an_es_module() {
    let r = run(&["run", fixture("module_in_js.js").to_str().unwrap()]);
    assert_eq!(r.code, 0, "stderr:\n{}", r.stderr);
    assert_eq!(r.json(), json!({"output": 8, "url": true, "require": "undefined"}));
}

#[test]
fn process_exit_stops_at_once_with_its_code() {
    let r = run(&["run", fixture("exit.js").to_str().unwrap()]);
    assert_eq!(r.code, 7);
    assert_eq!(r.stdout, "before exit\n");
}

#[test]
fn process_memory_usage_reports_the_resident_set_and_the_heap() {
    let dir = TempDir::new("memory");
    let script = dir.write(
        "memory.js",
        "const before = process.memoryUsage();\n\
         const kept = Array.from({ length: 200000 }, (_, i) => ({ i }));\n\
         const after = process.memoryUsage();\n\
         console.log(JSON.stringify({ before, after, rss: process.memoryUsage.rss(), kept: kept.length }));\n",
    );
    let r = run(&["run", script.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let usage: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    let mb = |v: &serde_json::Value| v.as_f64().unwrap() / 1e6;
    assert!(mb(&usage["before"]["rss"]) > 10.0, "{usage}");
    assert!(mb(&usage["rss"]) >= mb(&usage["before"]["rss"]), "{usage}");
    assert!(mb(&usage["after"]["heapUsed"]) > mb(&usage["before"]["heapUsed"]) + 4.0, "200,000 objects: {usage}");
    assert!(usage["after"]["heapUsed"].as_f64() <= usage["after"]["heapTotal"].as_f64(), "{usage}");
}
