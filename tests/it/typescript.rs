//! TypeScript runs without a build step (issue 13): types stripped, lines kept.

use crate::support::{fixture, run};

fn ts(name: &str) -> String {
    fixture(&format!("ts/{name}")).to_str().unwrap().to_string()
}

#[test]
fn a_typescript_workflow_module_runs_as_a_job() {
    let dir = crate::support::TempDir::new("ts-job");
    let store = format!("sqlite:{}", dir.path().join("ts.db").display());
    let r = run(&["--store", &store, "run", &ts("workflows.ts"), "--start", "Hello", "--input", "\"Ann\"", "--id", "ts-1"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "{\"text\":\"HELLO, ANN!\"}\n"), "{}", r.stderr);
}

#[test]
fn an_uncaught_error_points_at_the_typescript_line() {
    let r = run(&["run", &ts("throws.ts")]);
    assert_eq!(r.code, 1);
    let mut lines = r.stderr.lines();
    assert_eq!(lines.next(), Some("error: Uncaught Error: bad point 1,2"));
    assert_eq!(lines.next().map(str::trim), Some(format!("at fail ({}:7:9)", ts("throws.ts")).as_str()), "{}", r.stderr);
}

#[test]
fn a_typescript_syntax_error_names_file_line_and_column() {
    let r = run(&["run", &ts("broken.ts")]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr.trim(), format!("error: SyntaxError: Expression expected at {}:2:24", ts("broken.ts")));
}

#[test]
fn an_es_module_imports_typescript() {
    let dir = crate::support::TempDir::new("ts-import");
    let main = dir.write("main.mjs", &format!("import {{ shout }} from '{}';\nconsole.log(shout('quiet'));\n", ts("lib.ts")));
    let r = run(&["run", main.to_str().unwrap()]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "QUIET\n"), "{}", r.stderr);
}

#[test]
fn typescript_5_decorators_and_namespaces_run() {
    let r = run(&["run", &ts("decorated.ts")]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "calling elapsed\n5 ms\n"), "{}", r.stderr);
}
