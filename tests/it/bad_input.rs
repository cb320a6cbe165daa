//! Every user mistake is one clear line and a non-zero exit (issue 2, item 7).

use crate::support::{command, fixture, run, run_cmd, run_in, TempDir};

fn assert_no_panic(stderr: &str) {
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "Rust panic leaked:\n{stderr}");
}

fn run_source(name: &str, source: &str) -> (TempDir, crate::support::Run) {
    let dir = TempDir::new("bad");
    let file = dir.write(name, source);
    let r = run(&["run", file.to_str().unwrap()]);
    assert_no_panic(&r.stderr);
    (dir, r)
}

const SETUP: &str = "const { SqliteProvider, Client, Runtime } = require('duroxide');\n";

#[test]
fn missing_file_is_a_usage_error() {
    let r = run(&["run", "/definitely/not/here.js"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.trim(), "error: cannot run /definitely/not/here.js: No such file or directory (os error 2)");
}

#[test]
fn environment_knobs_that_are_not_understood_are_reported() {
    for (name, value, expected) in [
        (
            "DUROXIDE_GENERATOR_CACHE",
            "lots",
            "error: DUROXIDE_GENERATOR_CACHE must be a number of generators to keep (0 turns the cache off), got 'lots'",
        ),
        ("DUROXIDE_REPLAY_CHECK", "maybe", "error: DUROXIDE_REPLAY_CHECK must be 1 or 0, got 'maybe'"),
    ] {
        let mut cmd = command(&["run", fixture("exit.js").to_str().unwrap()]);
        cmd.env(name, value);
        let r = run_cmd(cmd);
        assert_eq!((r.code, r.stderr.trim()), (2, expected), "stdout: {}", r.stdout);
    }
}

#[test]
fn syntax_error_in_commonjs_names_file_line_column() {
    let (dir, r) = run_source("broken.js", "const a = 1;\nconst b = ;\n");
    assert_eq!(r.code, 1);
    let expected = format!("error: Uncaught SyntaxError: Unexpected token ';' at {}/broken.js:2:11", dir.path().display());
    assert_eq!(r.stderr.trim(), expected);
}

#[test]
fn syntax_error_in_es_module_names_file_line_column() {
    let (dir, r) = run_source("broken.mjs", "import { Runtime } from 'duroxide';\n\nconst x = ;\n");
    assert_eq!(r.code, 1);
    let expected = format!("error: Uncaught SyntaxError: Unexpected token ';' at {}/broken.mjs:3:11", dir.path().display());
    assert_eq!(r.stderr.trim(), expected);
}

#[test]
fn uncaught_exception_shows_message_and_js_stack() {
    let (dir, r) = run_source("throws.js", "function main() {\n  throw new Error('top-level boom');\n}\nmain();\n");
    assert_eq!(r.code, 1);
    let mut lines = r.stderr.lines();
    assert_eq!(lines.next(), Some("error: Uncaught Error: top-level boom"));
    assert_eq!(lines.next().map(str::trim), Some(format!("at main ({}/throws.js:2:9)", dir.path().display()).as_str()));
}

#[test]
fn a_throw_at_the_top_of_an_es_module_is_uncaught_not_in_a_promise() {
    let (_dir, r) = run_source("throws.mjs", "throw 42;\n");
    assert_eq!((r.code, r.stderr.trim()), (1, "error: Uncaught 42"));
    let (dir, r) = run_source("awaits.mjs", "async function late() {\n  await null;\n  throw new Error('late');\n}\nawait late();\n");
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("error: Uncaught Error: late\n"), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("{}/awaits.mjs:3:9", dir.path().display())), "{}", r.stderr);
}

#[test]
fn a_stack_overflow_points_at_the_recursive_call() {
    let (dir, r) = run_source("deep.js", "function down(n) {\n  return down(n + 1) + 1;\n}\ndown(0);\n");
    assert_eq!(r.code, 1);
    let mut lines = r.stderr.lines();
    assert_eq!(lines.next(), Some("error: Uncaught RangeError: Maximum call stack size exceeded"));
    assert_eq!(lines.next().map(str::trim), Some(format!("at down ({}/deep.js:2:3)", dir.path().display()).as_str()));
}

#[test]
fn process_exit_with_a_code_that_is_not_an_integer_throws_as_node_does() {
    let (_dir, r) = run_source("exit_text.js", "process.exit('x');\n");
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("error: Uncaught TypeError: The \"code\" argument must be of type number. Received type string ('x')"),
        "{}",
        r.stderr
    );
    let (_dir, r) = run_source("exit_float.js", "process.exit(1.5);\n");
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("error: Uncaught RangeError: The value of \"code\" is out of range."), "{}", r.stderr);
    let (_dir, r) = run_source("exit_string.js", "process.exit('3');\n");
    assert_eq!((r.code, r.stderr.as_str()), (3, ""));
}

#[test]
fn unhandled_rejection_shows_message_and_js_stack() {
    let (dir, r) = run_source("rejects.js", "async function main() {\n  await null;\n  throw new Error('async boom');\n}\nmain();\n");
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("error: Uncaught (in promise) Error: async boom\n"), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("{}/rejects.js:3:9", dir.path().display())), "{}", r.stderr);
}

#[test]
fn async_function_orchestration_is_rejected_at_registration() {
    let src = format!("{SETUP}SqliteProvider.inMemory().then((p) => new Runtime(p).registerOrchestration('Work', async function (ctx) {{}}));\n");
    let (_dir, r) = run_source("async.js", &src);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("registerOrchestration('Work'): orchestrations must be generator functions (function*), not async functions"), "{}", r.stderr);
}

#[test]
fn async_generator_orchestration_is_rejected_at_registration() {
    let src = format!("{SETUP}SqliteProvider.inMemory().then((p) => new Runtime(p).registerOrchestration('Work', async function* (ctx) {{}}));\n");
    let (_dir, r) = run_source("asyncgen.js", &src);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("must be generator functions (function*)"), "{}", r.stderr);
}

#[test]
fn unwritable_sqlite_path_is_one_clear_error() {
    let src = format!("{SETUP}SqliteProvider.open('sqlite:/etc/hostname/nested/app.db');\n");
    let (_dir, r) = run_source("unwritable.js", &src);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("error: Uncaught (in promise) Error: cannot open SQLite database /etc/hostname/nested/app.db: cannot create folder /etc/hostname/nested: Not a directory"),
        "{}",
        r.stderr
    );
}

#[test]
fn directory_instead_of_file_is_a_usage_error() {
    let dir = TempDir::new("dir");
    let r = run(&["run", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("it is a directory, not a JavaScript file"), "{}", r.stderr);
}

#[test]
fn unknown_verb_is_a_usage_error() {
    let r = run(&["frobnicate"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unrecognized subcommand 'frobnicate'"), "{}", r.stderr);
}

store_tests! {
    fn yielding_a_non_descriptor_fails_the_orchestration_naming_it(store) {
        let r = crate::support::scenario(store, "yields-promise");
        assert_eq!(r["status"], "Failed");
        assert!(
            r["error"].as_str().unwrap().starts_with("TypeError: orchestration 'YieldsPromise' yielded a Promise, which is not a durable task"),
            "{r}"
        );
    }

    fn values_json_cannot_carry_fail_with_a_clear_message(store) {
        let r = run_in(store, &["run", fixture("unserializable.js").to_str().unwrap()]);
        assert_no_panic(&r.stderr);
        let lines: Vec<serde_json::Value> = r.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines[0]["error"], "the return value of orchestration 'ReturnsBigInt' cannot be stored as JSON: Do not know how to serialize a BigInt");
        assert!(lines[1]["error"].as_str().unwrap().contains("the result of activity 'BigActivity' cannot be stored as JSON: Do not know how to serialize a BigInt"));
        assert!(lines[2]["error"].as_str().unwrap().starts_with("TypeError: input of activity 'BigActivity' cannot be stored as JSON: Converting circular structure to JSON"));
        // Passing a cycle to the client rejects; unhandled, it ends the script.
        assert_eq!(r.code, 1);
        assert!(r.stderr.starts_with("error: Uncaught (in promise) TypeError: orchestration input cannot be stored as JSON: Converting circular structure to JSON"), "{}", r.stderr);
    }
}

fn pg_connect(url: &str) -> crate::support::Run {
    let dir = TempDir::new("pg");
    let file = dir.write("connect.js", "const { PostgresProvider } = require('duroxide');\nPostgresProvider.connect(process.argv[2]);\n");
    let r = run(&["run", file.to_str().unwrap(), url]);
    assert_no_panic(&r.stderr);
    r
}

#[test]
fn unreachable_postgres_fails_fast_naming_the_url_without_password() {
    let r = pg_connect("postgres://app:s3cret@127.0.0.1:1/orders");
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("error: Uncaught (in promise) Error: cannot connect to PostgreSQL at postgres://app:***@127.0.0.1:1/orders: "),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("s3cret"), "password leaked: {}", r.stderr);
}

#[test]
fn malformed_postgres_url_is_one_clear_line() {
    let r = pg_connect("postgres://app:s3cret@/orders");
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("error: Uncaught (in promise) Error: invalid PostgreSQL URL 'postgres://app:***@/orders': empty host"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("s3cret"), "password leaked: {}", r.stderr);
}

#[test]
#[cfg_attr(not(pg_tests), ignore = "needs DUROXIDE_TEST_PG_URL")]
fn wrong_postgres_password_is_reported_without_the_password() {
    let crate::support::Store::Postgres { url, .. } = crate::support::Store::postgres("wrong_postgres_password") else {
        unreachable!("a PostgreSQL store");
    };
    let mut parsed = url_parts(&url);
    parsed.1 = "not-the-password".into();
    let wrong = format!("postgres://{}:{}@{}", parsed.0, parsed.1, parsed.2);
    let r = pg_connect(&wrong);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("password authentication failed"), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("postgres://{}:***@", parsed.0)), "{}", r.stderr);
    assert!(!r.stderr.contains("not-the-password"), "password leaked: {}", r.stderr);
}

/// (user, password, rest) of `postgres://user:password@rest`.
fn url_parts(url: &str) -> (String, String, String) {
    let rest = url.split_once("://").unwrap().1;
    let (auth, host) = rest.split_once('@').unwrap();
    let (user, password) = auth.split_once(':').unwrap();
    (user.into(), password.into(), host.into())
}
