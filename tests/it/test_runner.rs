//! `duroxide test`: the runner on fixture test files (tests/fixtures/test_runner/), its output lines, the
//! summary, the exit code, --filter and the JUnit reporter.

use crate::support::{fixture, run, TempDir};

fn runner(args: &[&str]) -> crate::support::Run {
    let mut all = vec!["test"];
    all.extend_from_slice(args);
    run(&all)
}

fn file(name: &str) -> String {
    fixture(&format!("test_runner/{name}")).display().to_string()
}

#[test]
fn a_failing_assertion_shows_its_message_expected_actual_and_line() {
    let r = runner(&[&file("math.test.js")]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("ok 1 - ") && lines[0].ends_with("math.test.js > math > adds (0 ms)"), "{}", r.stdout);
    let failed = lines.iter().position(|l| l.starts_with("not ok 2 - ")).unwrap_or_else(|| panic!("{}", r.stdout));
    assert!(lines[failed].ends_with("math.test.js > math > compares objects"), "{}", lines[failed]);
    assert_eq!(
        lines[failed + 1],
        "    Expected values to be strictly deep-equal: { a: 1, b: [ 1, 2 ] } should equal { a: 1, b: [ 1, 3 ] }"
    );
    assert_eq!(lines[failed + 2], "    expected: { a: 1, b: [ 1, 3 ] }");
    assert_eq!(lines[failed + 3], "    actual:   { a: 1, b: [ 1, 2 ] }");
    assert!(lines[failed + 4].starts_with("    at ") && lines[failed + 4].ends_with("math.test.js:9"), "{}", lines[failed + 4]);
    assert!(r.stdout.contains("math > skipped one # SKIP"), "{}", r.stdout);
    assert!(r.stdout.contains("math > async ("), "{}", r.stdout);
    assert!(r.stdout.contains("> hooks ran ("), "{}", r.stdout);
    assert_eq!(lines.last().copied(), Some("3 passed, 1 failed, 1 skipped"), "the summary comes last:\n{}", r.stdout);
}

#[test]
fn only_hooks_and_typescript_pass_and_exit_zero() {
    let r = runner(&[&file("only.test.mjs"), &file("hooks.test.mjs"), &file("typed.test.ts")]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("only.test.mjs > not this # SKIP"), "{}", r.stdout);
    assert!(r.stdout.contains("only.test.mjs > only this ("), "{}", r.stdout);
    assert!(r.stdout.contains("hooks.test.mjs > outer > inner > second ("), "{}", r.stdout);
    assert!(r.stdout.contains("hooks.test.mjs > saw every hook in order ("), "{}", r.stdout);
    assert!(r.stdout.contains("hooks.test.mjs > a skipped suite > is not run # SKIP"), "{}", r.stdout);
    assert!(r.stdout.contains("typed.test.ts > typed ("), "{}", r.stdout);
    assert_eq!(r.stdout.lines().last(), Some("5 passed, 0 failed, 2 skipped"), "{}", r.stdout);
}

#[test]
fn a_folder_is_searched_without_node_modules_and_a_file_that_cannot_load_fails() {
    let r = runner(&[&fixture("test_runner").display().to_string()]);
    assert_eq!(r.code, 1);
    assert!(!r.stdout.contains("ignored.test.js") && !r.stderr.contains("must not run"), "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("broken.test.js > (the file itself)"), "{}", r.stdout);
    assert!(r.stdout.contains("the file stopped with exit code 1 (its error is above)"), "{}", r.stdout);
    assert!(r.stderr.contains("broken at load time"), "{}", r.stderr);
    let order: Vec<usize> = ["broken.test.js", "hooks.test.mjs", "math.test.js", "only.test.mjs", "typed.test.ts"]
        .iter()
        .map(|f| r.stdout.find(f).unwrap_or_else(|| panic!("{f} ran:\n{}", r.stdout)))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "files in name order:\n{}", r.stdout);
    assert_eq!(r.stdout.lines().last(), Some("8 passed, 2 failed, 3 skipped"), "{}", r.stdout);
}

#[test]
fn filter_runs_only_matching_names() {
    let r = runner(&["--filter", "outer > inner", &file("hooks.test.mjs"), &file("math.test.js")]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("outer > inner > second"), "{}", r.stdout);
    assert_eq!(r.stdout.lines().last(), Some("1 passed, 0 failed"), "{}", r.stdout);
}

#[test]
fn junit_xml_for_ci() {
    let r = runner(&["--reporter", "junit", &file("math.test.js"), &file("only.test.mjs")]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"duroxide test\" tests=\"7\" failures=\"1\" skipped=\"2\">"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("<testcase classname=\"") && r.stdout.contains("name=\"math &gt; compares objects\""), "{}", r.stdout);
    assert!(r.stdout.contains("<failure message=\"Expected values to be strictly deep-equal:"), "{}", r.stdout);
    assert!(r.stdout.contains("name=\"not this\" time=\"0.000\"><skipped/></testcase>"), "{}", r.stdout);
    assert!(r.stdout.trim_end().ends_with("</testsuites>"), "{}", r.stdout);
    assert!(r.stderr.contains("4 passed, 1 failed, 2 skipped"), "{}", r.stderr);
}

#[test]
fn no_test_files_is_a_usage_error() {
    let dir = TempDir::new("no-tests");
    dir.write("app.js", "console.log('not a test')");
    let r = runner(&[&dir.path().display().to_string()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("error: no test files (*.test.js, *.test.mjs, *.test.ts) in "), "{}", r.stderr);
    let r = runner(&["/nonexistent/tests"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("error: cannot read /nonexistent/tests:"), "{}", r.stderr);
}

#[test]
fn a_test_environment_runs_a_module_with_mocked_activities_on_an_in_memory_store() {
    let dir = fixture("test_env");
    let mut cmd = crate::support::command(&["test", "order.test.mjs"]);
    cmd.current_dir(&dir);
    let r = crate::support::run_cmd(cmd);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("ok 1 - order.test.mjs > an approved order ships, with a mocked charge ("), "{}", r.stdout);
    assert!(r.stdout.contains("ok 2 - order.test.mjs > the real activity fails the instance, and result() throws ("), "{}", r.stdout);
    assert!(r.stdout.contains("ok 3 - order.test.mjs > real time when asked: a timer takes its time ("), "{}", r.stdout);
    assert_eq!(r.stdout.lines().last(), Some("3 passed, 0 failed"), "{}", r.stdout);
    assert!(!dir.join("duroxide.db").exists(), "the environment's store is in memory");
}

/// The project's own examples have tests, run the way a user would: `duroxide test examples/`.
#[test]
fn the_examples_tests_pass() {
    let mut cmd = crate::support::command(&["test", "examples/"]);
    cmd.current_dir(crate::support::repo());
    let r = crate::support::run_cmd(cmd);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("examples/workflows.test.mjs > workflows.mjs > Trip: with a mocked hotel ("), "{}", r.stdout);
    assert_eq!(r.stdout.lines().last(), Some("8 passed, 0 failed"), "{}", r.stdout);
}

/// Time skipping: a 30-day timer and a 3-day deadline pass in milliseconds of wall time, `sleep` moves the
/// clock by hand, and ctx.utcNow() follows the clock.
#[test]
fn timers_of_days_fire_at_once_and_sleep_moves_the_clock() {
    let dir = fixture("test_env");
    let mut cmd = crate::support::command(&["test", "clock.test.mjs"]);
    cmd.current_dir(&dir);
    let started = std::time::Instant::now();
    let r = crate::support::run_cmd(cmd);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for name in ["a 30-day timer fires at once", "no approval: the 3-day deadline passes", "an approval after 2 days beats the deadline"] {
        assert!(r.stdout.contains(&format!("clock.test.mjs > {name} (")), "{name}:\n{}", r.stdout);
    }
    assert_eq!(r.stdout.lines().last(), Some("3 passed, 0 failed"), "{}", r.stdout);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
}
