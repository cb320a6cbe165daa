//! TypeScript runs without a build step (issue 13): types stripped, lines kept.

use crate::support::{command, fixture, run, run_cmd, TempDir};

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

/// Runs tests/fixtures/ts/failures.ts in `mode` on `db`; its last line.
fn failure(db: &std::path::Path, mode: &str) -> serde_json::Value {
    let r = run(&["run", &ts("failures.ts"), db.to_str().unwrap(), mode]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()
}

#[test]
fn a_failed_activity_keeps_its_typescript_stack_and_the_code_sees_its_message() {
    let dir = TempDir::new("ts-activity-failure");
    let v = failure(&dir.path().join("a.db"), "activity");
    let at = format!("    at charge ({}:14:34)", ts("failures.ts"));
    assert_eq!(v["status"], "Failed");
    assert_eq!(v["activityFailed"], format!("card of Ann declined\n{at}"), "the history keeps the stack");
    assert_eq!(v["error"], format!("Error: card of Ann declined\n{at}"), "uncaught, the failure names the activity's line");
    let seen: serde_json::Value = serde_json::from_str(v["customStatus"].as_str().unwrap()).unwrap();
    assert_eq!(seen, serde_json::json!({"caught": "card of Ann declined", "all": [{"err": "card of Ann declined"}]}));
}

#[test]
fn orchestration_failures_and_guard_messages_name_typescript_lines() {
    let dir = TempDir::new("ts-orchestration-failure");
    let thrown = failure(&dir.path().join("o.db"), "orchestration");
    let error = thrown["error"].as_str().unwrap();
    let expected = format!("RangeError: holder Ann too short\n    at orchestration ({}:32:43)", ts("failures.ts"));
    assert!(error.starts_with(&expected), "{error}");
    let guarded = failure(&dir.path().join("g.db"), "guard");
    let error = guarded["error"].as_str().unwrap();
    assert!(error.starts_with("Error: Date.now() is not allowed in an orchestration"), "{error}");
    assert!(error.contains(&format!("(at {}:36:34)", ts("failures.ts"))), "{error}");
}

#[test]
fn a_nondeterminism_failure_names_the_typescript_yield() {
    let dir = TempDir::new("ts-nondeterminism");
    let db = dir.path().join("n.db");
    let r = run(&["run", &ts("failures.ts"), db.to_str().unwrap(), "before"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "waiting\n"), "{}", r.stderr);
    let after = failure(&db, "after");
    let error = after["error"].as_str().unwrap();
    assert!(error.starts_with("nondeterministic: schedule mismatch"), "{error}");
    // Line 44 is `yield ctx.scheduleTimer(5)` in the changed generator.
    assert!(error.contains(&format!("replay diverged at the yield at {}:44:", ts("failures.ts"))), "{error}");
}

#[test]
fn a_typescript_syntax_error_names_file_line_and_column() {
    let r = run(&["run", &ts("broken.ts")]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr.trim(), format!("error: SyntaxError: Expression expected at {}:2:24", ts("broken.ts")));
}

/// The second run takes the code from the cache without parsing (an entry
/// edited behind its back shows through), keeps mapping lines through the
/// cached source map, and an edited file misses.
#[test]
fn transpiled_code_is_cached_and_an_edited_file_misses() {
    let dir = TempDir::new("ts-cache");
    let file = dir.write("greet.ts", "const who: string = 'cache';\nconsole.log(`hello ${who}`);\nthrow new Error('stop');\n");
    let cache = dir.path().join("cache");
    let run_it = || {
        let mut cmd = command(&["run", file.to_str().unwrap()]);
        cmd.env("DUROXIDE_CACHE_DIR", &cache);
        run_cmd(cmd)
    };
    let entries = || -> Vec<std::path::PathBuf> {
        let mut found: Vec<_> = std::fs::read_dir(cache.join("typescript")).unwrap().map(|e| e.unwrap().path()).collect();
        found.sort();
        found
    };
    let at_line_3 = format!("({}:3:7)", file.display());
    let first = run_it();
    assert_eq!((first.code, first.stdout.as_str()), (1, "hello cache\n"), "{}", first.stderr);
    assert!(first.stderr.contains(&at_line_3), "{}", first.stderr);
    let [entry] = &entries()[..] else { panic!("one entry: {:?}", entries()) };
    let cached = std::fs::read(entry).unwrap();
    let edited = String::from_utf8(cached).unwrap().replace("hello", "HELLO");
    std::fs::write(entry, edited).unwrap();

    let second = run_it();
    assert_eq!(second.stdout, "HELLO cache\n", "served from the cache: {}", second.stderr);
    assert!(second.stderr.contains(&at_line_3), "the cached map still maps: {}", second.stderr);

    std::fs::write(&file, "const who: string = 'edit';\nconsole.log(`hello ${who}`);\n").unwrap();
    let third = run_it();
    assert_eq!((third.code, third.stdout.as_str()), (0, "hello edit\n"), "{}", third.stderr);
    assert_eq!(entries().len(), 2);
}

/// V8 finds some errors the TypeScript parser lets through (a name declared
/// twice); their place is mapped from the transpiled code too, in both kinds.
#[test]
fn errors_v8_finds_at_compile_time_name_the_typescript_line() {
    let dir = TempDir::new("ts-v8-syntax");
    let body = "interface A {\n  x: number;\n}\nlet b = 1;\nlet b = 2;\n";
    for (name, text) in [("esm.ts", format!("export const a: number = 1;\n{body}")), ("cjs.ts", format!("const a: number = 1;\n{body}"))] {
        let file = dir.write(name, &text);
        let r = run(&["run", file.to_str().unwrap()]);
        assert_eq!(r.code, 1);
        let expected = format!("error: Uncaught SyntaxError: Identifier 'b' has already been declared at {}:6:5", file.display());
        assert_eq!(r.stderr.trim(), expected);
    }
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

#[test]
fn commonjs_typescript_requires_cts_and_ts_files() {
    let r = run(&["run", &ts("script.ts")]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "42 OK\n"), "{}", r.stderr);
}

#[test]
fn an_error_in_a_required_cts_file_points_at_its_line() {
    let r = run(&["run", &ts("script.ts"), "fail"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let mut lines = r.stderr.lines();
    assert_eq!(lines.next(), Some("error: Uncaught Error: cts failure"));
    assert_eq!(lines.next().map(str::trim), Some(format!("at fails ({}:3:9)", ts("lib.cts")).as_str()), "{}", r.stderr);
}

fn declarations() -> String {
    let r = run(&["types"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout
}

#[test]
fn duroxide_types_declares_every_export_of_the_module() {
    let types = declarations();
    assert!(types.contains("declare module \"duroxide\" {"), "{types}");
    let sdk = std::fs::read_to_string(crate::support::repo().join("js/sdk.js")).unwrap();
    let exported: Vec<&str> = sdk
        .split("export {")
        .skip(1)
        .flat_map(|list| list.split('}').next().unwrap().split(','))
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .collect();
    assert!(exported.len() >= 11, "{exported:?}");
    for name in exported {
        let declared = ["class", "function", "const"].iter().any(|kind| types.contains(&format!("export {kind} {name}")));
        assert!(declared, "`{name}` is exported by the module but not declared");
    }
}

/// tsc --strict on code written against `duroxide types`: typed code passes,
/// a misspelt ctx method and a missing argument are errors.
#[test]
#[cfg_attr(not(ts_tools), ignore = "needs `npm ci` in tests/typecheck")]
fn the_declarations_type_check_sdk_code_under_tsc_strict() {
    let dir = crate::support::TempDir::new("tsc");
    dir.write("duroxide.d.ts", &declarations());
    for name in ["good.ts", "bad.ts", "good_test.ts"] {
        std::fs::copy(fixture(&format!("ts/typecheck/{name}")), dir.path().join(name)).unwrap();
    }
    let tsc = crate::support::repo().join("tests/typecheck/node_modules/.bin/tsc");
    let check = |file: &str| {
        let options = ["--strict", "--noEmit", "--target", "ES2022", "--module", "ES2022", "--moduleResolution", "bundler"];
        let out = std::process::Command::new(&tsc)
            .args(options)
            .args(["--lib", "ES2022,DOM", "--isolatedModules", file, "duroxide.d.ts"])
            .current_dir(dir.path())
            .output();
        let out = out.unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    assert_eq!(check("good.ts"), (Some(0), String::new()));
    assert_eq!(check("good_test.ts"), (Some(0), String::new()), "duroxide/test's declarations");
    let (code, said) = check("bad.ts");
    assert_eq!(code, Some(2), "{said}");
    assert!(
        said.contains("Property 'scheduleActivty' does not exist on type 'OrchestrationContext'. Did you mean 'scheduleActivity'?"),
        "{said}"
    );
    assert!(said.contains("bad.ts(5,13): error TS2554: Expected 1 arguments, but got 0."), "{said}");
}

/// A child process killed when the test ends, passed or not.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn init_creates_a_project_that_serves_at_once_and_is_not_overwritten() {
    use std::io::{BufRead, BufReader};
    let dir = crate::support::TempDir::new("init");
    let project = dir.path().join("shop");
    let r = run(&["init", project.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with(&format!("created workflows.ts, tsconfig.json, duroxide.d.ts in {}\n", project.display())),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("duroxide run workflows.ts") && r.stdout.contains("duroxide start Checkout"), "{}", r.stdout);
    // Both commands run in the project folder, where the store (./duroxide.db) is.
    let cd = format!("cd {} && ", project.display());
    assert!(
        r.stdout.contains(&format!("{cd}duroxide run workflows.ts")) && r.stdout.contains(&format!("{cd}duroxide start Checkout")),
        "{}",
        r.stdout
    );

    let again = run(&["init", project.to_str().unwrap()]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.starts_with(&format!("error: {}/workflows.ts, ", project.display())), "{}", again.stderr);

    let store = format!("sqlite:{}", dir.path().join("shop.db").display());
    let mut worker = Killed(
        crate::support::command(&["--store", &store, "run", "workflows.ts"])
            .current_dir(&project)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut banner = String::new();
    BufReader::new(worker.0.stderr.take().unwrap()).read_line(&mut banner).unwrap();
    assert!(banner.starts_with("duroxide: serving 1 orchestration(s) and 1 activity"), "{banner}");
    let cli = |args: &[&str]| {
        let mut all = vec!["--store", store.as_str()];
        all.extend_from_slice(args);
        run(&all)
    };
    assert_eq!(cli(&["start", "Checkout", "--input", r#"{"id":"o-1","amount":42}"#, "--id", "o-1"]).code, 0);
    // An event raised before the orchestration waits for it would be dropped.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !cli(&["status", "o-1", "--json"]).stdout.contains("waiting for approval") {
        assert!(std::time::Instant::now() < deadline, "Checkout never waited for its approval");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(cli(&["raise", "o-1", "Approve"]).code, 0);
    let outcome = cli(&["wait", "o-1", "--timeout", "30s"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_eq!(outcome.stdout.trim(), r#"{"order":"o-1","status":"charged","receipt":"receipt-o-1"}"#);
}

#[test]
#[cfg_attr(not(ts_tools), ignore = "needs `npm ci` in tests/typecheck")]
fn the_project_init_creates_type_checks_under_tsc_strict() {
    let dir = crate::support::TempDir::new("init-tsc");
    assert_eq!(run(&["init", dir.path().to_str().unwrap()]).code, 0);
    let tsc = crate::support::repo().join("tests/typecheck/node_modules/.bin/tsc");
    let out = std::process::Command::new(tsc).args(["-p", "."]).current_dir(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn imports_without_an_extension_or_with_js_for_a_ts_file_resolve() {
    let r = run(&["run", &ts("imports.mts")]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "AB\n"), "{}", r.stderr);
}

#[test]
fn the_watchdog_names_the_typescript_line() {
    let dir = crate::support::TempDir::new("ts-spin");
    let store = format!("sqlite:{}", dir.path().join("spin.db").display());
    let r = run(&["--store", &store, "run", "--js-block-limit", "1s", &ts("spin.ts"), "--start", "Spin", "--id", "s-1"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let said = format!("orchestration 'Spin' ran 1 s without yielding (an infinite loop?) at {}:12:", ts("spin.ts"));
    assert!(r.stderr.contains(&said), "{}", r.stderr);
}
