//! npm packages from node_modules (issue 11, item 3), and a duroxide-node
//! script using fs, fetch, child_process and a package, checked against Node.

use std::process::Command;

use serde_json::{json, Value};

use crate::http_server::Server;
use crate::support::{command, fixture, repo, run, run_cmd, TempDir};

fn app(file: &str) -> String {
    fixture("npm_app").join(file).to_str().unwrap().to_string()
}

#[test]
fn require_finds_packages_by_main_conditions_and_type() {
    let r = run(&["run", &app("resolution.js")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["csv"], json!([["a", "b,c"], ["1", "2"]]));
    assert_eq!(v["version"], "1.0.0");
    assert_eq!(v["dual"], json!(["require", 3]), "the require condition of exports");
    assert_eq!(v["esm"], json!([6, "esm default"]), "require of an ES module package gives its namespace");
    let dir = fixture("npm_app");
    assert_eq!(
        v["missing"],
        format!("Cannot find module 'left-pad' (required from {0}/resolution.js): no package 'left-pad' in node_modules above {0} (run npm install?)", dir.display())
    );
    assert_eq!(
        v["hidden"],
        format!("Cannot find module 'esm-only/lib/index.js' (required from {0}/resolution.js): subpath './lib/index.js' is not exported by {0}/node_modules/esm-only/package.json", dir.display())
    );
    assert_eq!(
        v["native"],
        format!("'native-thing' is a native addon ({}/node_modules/native-thing/build/addon.node), which duroxide cannot load: use a package written in JavaScript", dir.display())
    );
}

#[test]
fn import_finds_packages_and_names_in_commonjs_ones() {
    let r = run(&["run", &app("resolution.mjs")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.json(),
        json!({"csv": "x,y\n\"q\"\"uote\",2\n", "version": "1.0.0", "kind": "import", "esm": ["esm default", 9, "on"],
            "pkg": "npm-app", "hash": "11f6ad8ec52a2984abaafd7c3b516503785c2072"})
    );
}

/// The job under `duroxide run`, or under Node with the SDK's native addon when both are present.
fn job(node: bool) -> Option<Value> {
    let server = Server::start();
    let scratch = TempDir::new("npm-job");
    let db = scratch.path().join("job.db");
    let out = scratch.path().join("out");
    let base = server.url("");
    let args = [app("job.js"), base, db.display().to_string(), out.display().to_string()];
    let r = if node {
        let addon = repo().join("target/bench-node/node_modules");
        if Command::new("node").arg("--version").output().is_err() || !addon.join("duroxide-linux-x64-gnu").is_dir() {
            eprintln!("note: Node or the duroxide-node addon (target/bench-node, installed by the benchmark) is missing: compared with expected values only");
            return None;
        }
        let mut cmd = Command::new("node");
        cmd.args(&args).env("NODE_PATH", format!("{}:{}", repo().join("bench/node").display(), addon.display()));
        run_cmd(cmd)
    } else {
        let mut all = vec!["run".to_string()];
        all.extend(args);
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        run_cmd(command(&all))
    };
    assert_eq!(r.code, 0, "node={node}\nstdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    Some(r.json())
}

#[test]
fn a_duroxide_node_script_with_fetch_fs_subprocesses_and_a_package_runs_unmodified() {
    let ours = job(false).unwrap();
    let report = "items,total\nwidget;gadget, deluxe;bolt,20.00\n";
    assert_eq!(ours["status"], "Completed", "{ours}");
    assert_eq!(ours["report"], report.replace("widget;gadget, deluxe;bolt,20.00", "\"widget;gadget, deluxe;bolt\",20.00"));
    assert_eq!(ours["output"]["summary"], json!({"columns": ["item", "qty", "price"], "items": ["widget", "gadget, deluxe", "bolt"], "total": 20}));
    assert_eq!(ours["output"]["file"], "report.csv");
    assert_eq!(ours["output"]["checksum"].as_str().unwrap().len(), 64);
    if let Some(node) = job(true) {
        assert_eq!(node, ours, "the same script under Node 20 gives the same results");
    }
}
