//! `duroxide replay`: histories recorded by tests/fixtures/replay/orders.mjs replay against it
//! (every instance ok, nothing written) and fail against orders_changed.mjs, naming the
//! difference and the line; from the store (SQLite and PostgreSQL) and from `history --json` files.

use crate::support::{fixture, run, run_in, Store, TempDir};

const CHANGED: &str = "tests/fixtures/replay/orders_changed.mjs";

fn module(name: &str) -> String {
    fixture(&format!("replay/{name}")).display().to_string()
}

/// `duroxide --store ... ARGS` against `store`.
fn cli(store: &Store, dir: &TempDir, args: &[&str]) -> crate::support::Run {
    let mut all: Vec<String> = store.cli_args(dir.path());
    all.extend(args.iter().map(|a| a.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    run_in(store, &all)
}

/// A completed order, continue-as-new chains (one with a sub-orchestration, one carrying its status and
/// reading a value and a GUID), and an approval still waiting.
fn record(store: &Store, dir: &TempDir) {
    let orders = module("orders.mjs");
    let order = cli(store, dir, &["run", &orders, "--start", "Order", "--id", "o1", "--input", r#"{"id":"o1","amount":5}"#]);
    assert_eq!(order.code, 0, "{}", order.stderr);
    let chain = cli(store, dir, &["run", &orders, "--start", "Loop", "--id", "l1", "--input", "0"]);
    assert_eq!(chain.code, 0, "{}", chain.stderr);
    let carry = cli(store, dir, &["run", &orders, "--start", "Carry", "--id", "c1", "--input", "0"]);
    assert_eq!(carry.code, 0, "{}", carry.stderr);
    let waiting = cli(store, dir, &["run", &orders, "--start", "Approval", "--id", "a1", "--timeout", "1s"]);
    assert!(waiting.stderr.contains("still Running"), "{}", waiting.stderr);
}

fn o1_changed_line() -> String {
    format!(
        r#"o1: nondeterministic: history has activity 'Ship' with input {{"id":"o1","amount":5}} vs code yields activity 'Ship' with input {{"id":"o1","amount":5,"express":true}} at {CHANGED}:11"#
    )
}

store_tests! {
    fn unchanged_code_replays_every_instance_and_writes_nothing(store) {
        let dir = TempDir::new("replay-same");
        record(store, &dir);
        let before = (cli(store, &dir, &["list", "--json"]).stdout, cli(store, &dir, &["history", "a1", "--json"]).stdout);
        let r = cli(store, &dir, &["replay", &module("orders.mjs"), "--all"]);
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        let lines: Vec<&str> = r.stdout.lines().collect();
        assert_eq!(lines[..3], ["a1: ok", "c1: ok", "l1: ok"], "{}", r.stdout);
        assert!(lines[3].starts_with("l1::sub::") && lines[3].ends_with(": ok"), "the chain's child: {}", r.stdout);
        assert_eq!(lines[4..], ["o1: ok", "5 replayed: 5 ok, 0 nondeterministic"], "{}", r.stdout);
        let after = (cli(store, &dir, &["list", "--json"]).stdout, cli(store, &dir, &["history", "a1", "--json"]).stdout);
        assert_eq!(before, after, "a replay must not change the store");
        let status: serde_json::Value = serde_json::from_str(&cli(store, &dir, &["status", "a1", "--json"]).stdout).unwrap();
        assert_eq!(status["status"], "Running");
    }

    fn changed_code_fails_naming_the_difference_and_the_line(store) {
        let dir = TempDir::new("replay-changed");
        record(store, &dir);
        let r = cli(store, &dir, &["replay", CHANGED, "--id", "o1"]);
        assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
        assert_eq!(r.stdout, format!("{}\n1 replayed: 0 ok, 1 nondeterministic\n", o1_changed_line()));
        let waiting = cli(store, &dir, &["replay", CHANGED, "--id", "a1"]);
        assert_eq!(waiting.code, 1);
        assert_eq!(
            waiting.stdout.lines().next(),
            Some(&*format!(r#"a1: nondeterministic: history has a wait for event 'Approve' vs code yields activity 'Note' with input "asked" at {CHANGED}:15"#))
        );
        let running = cli(store, &dir, &["replay", CHANGED, "--all", "--status", "Running"]);
        assert_eq!(running.code, 1);
        let lines: Vec<&str> = running.stdout.lines().collect();
        assert!(lines.len() == 2 && lines[0].starts_with("a1: nondeterministic: "), "only the waiting approval:\n{}", running.stdout);
        assert_eq!(lines[1], "1 replayed: 0 ok, 1 nondeterministic");
        let json = cli(store, &dir, &["replay", CHANGED, "--id", "o1", "--json"]);
        assert_eq!(json.code, 1);
        let answers: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        assert_eq!(
            answers,
            serde_json::json!([{"instanceId": "o1", "executionId": 1, "ok": false, "outcome": "nondeterministic", "line": o1_changed_line()}])
        );
        let chain = cli(store, &dir, &["replay", CHANGED, "--id", "l1"]);
        assert_eq!((chain.code, chain.stdout.lines().next()), (0, Some("l1: ok")), "the loop did not change:\n{}", chain.stdout);
    }

    fn history_files_replay_without_the_store(store) {
        let dir = TempDir::new("replay-file");
        record(store, &dir);
        for id in ["o1", "l1", "c1"] {
            let document = cli(store, &dir, &["history", id, "--json", "--all-executions"]);
            assert_eq!(document.code, 0, "{}", document.stderr);
            dir.write(&format!("{id}.json"), &document.stdout);
        }
        let chain: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("l1.json")).unwrap()).unwrap();
        assert_eq!(chain["instanceId"], "l1");
        let executions: Vec<u64> = chain["executions"].as_array().unwrap().iter().map(|e| e["executionId"].as_u64().unwrap()).collect();
        assert_eq!(executions, [1, 2, 3]);
        assert_eq!(chain["executions"][0]["events"][0]["kind"], "OrchestrationStarted");

        let (o1, l1) = (dir.path().join("o1.json").display().to_string(), dir.path().join("l1.json").display().to_string());
        let same = run(&["replay", &module("orders.mjs"), "--history", &o1]);
        assert_eq!((same.code, same.stdout.as_str()), (0, "o1: ok\n1 replayed: 1 ok, 0 nondeterministic\n"), "{}", same.stderr);
        let chained = run(&["replay", &module("orders.mjs"), "--history", &l1]);
        assert_eq!((chained.code, chained.stdout.lines().next()), (0, Some("l1: ok")), "{}", chained.stderr);
        let changed = run(&["replay", CHANGED, "--history", &o1]);
        assert_eq!((changed.code, changed.stdout.lines().next()), (1, Some(&*o1_changed_line())));
        // The status carried over continue-as-new, a value read back and a GUID come back from the file as stored.
        let c1 = dir.path().join("c1.json").display().to_string();
        let carried = run(&["replay", &module("orders.mjs"), "--history", &c1]);
        assert_eq!((carried.code, carried.stdout.lines().next()), (0, Some("c1: ok")), "{}", carried.stderr);
        let latest = cli(store, &dir, &["history", "c1", "--json"]);
        let latest = dir.write("c1.latest.json", &latest.stdout).display().to_string();
        let second = run(&["replay", &module("orders.mjs"), "--history", &latest, "--id", "c1", "--execution", "2"]);
        assert_eq!((second.code, second.stdout.lines().next()), (0, Some("c1: ok")), "{}", second.stderr);
        let first = run(&["replay", &module("orders.mjs"), "--history", &latest, "--id", "c1"]);
        assert!(first.stdout.starts_with("c1: nondeterministic: history has activity 'Note' with input \"2 round 0 r1 36\""), "{}", first.stdout);

        // One execution's bare events (`history ID --json`): the file's name says whose.
        let bare = cli(store, &dir, &["history", "o1", "--json"]);
        let bare = dir.write("o1.events.json", &bare.stdout).display().to_string();
        let named = run(&["replay", CHANGED, "--history", &bare, "--id", "o1"]);
        assert_eq!(named.stdout.lines().next(), Some(&*o1_changed_line()));
        let by_stem = run(&["replay", &module("orders.mjs"), "--history", &bare]);
        assert_eq!(by_stem.stdout.lines().next(), Some("o1.events: ok"), "{}", by_stem.stderr);
    }
}

#[test]
fn mistakes_are_one_line_each() {
    let dir = TempDir::new("replay-errors");
    let store = format!("sqlite:{}/r.db", dir.path().display());
    let orders = module("orders.mjs");
    let recorded = run(&["--store", &store, "run", &orders, "--start", "Order", "--id", "o1", "--input", r#"{"id":"o1","amount":5}"#]);
    assert_eq!(recorded.code, 0, "{}", recorded.stderr);

    let cases: Vec<(Vec<String>, i32, String)> = vec![
        (
            vec!["replay".into(), orders.clone()],
            2,
            "error: say what to replay: --id ID or --all (from the store), or --history FILE".into(),
        ),
        (vec!["replay".into(), orders.clone(), "--id".into(), "nope".into()], 1, "error: instance 'nope' not found".into()),
        (
            vec!["replay".into(), "missing.mjs".into(), "--all".into()],
            2,
            "error: cannot replay missing.mjs: No such file or directory (os error 2)".into(),
        ),
        (
            vec!["replay".into(), dir.write("script.js", "console.log('a script');").display().to_string(), "--all".into()],
            2,
            format!(
                "error: {} exports no orchestrations to replay: export const orchestrations = {{ Name: function* (ctx, input) {{ ... }} }}",
                dir.path().join("script.js").display()
            ),
        ),
        (
            vec!["replay".into(), orders.clone(), "--history".into(), dir.write("bad.json", "{nope").display().to_string()],
            2,
            format!("error: {} is not JSON: key must be a string at line 1 column 2", dir.path().join("bad.json").display()),
        ),
        (
            vec![
                "replay".into(),
                orders.clone(),
                "--history".into(),
                dir.write("odd.json", r#"[{"eventId":1,"kind":"Bogus"}]"#).display().to_string(),
            ],
            2,
            format!("error: {}: event 1 of 'odd' execution 1: unknown kind 'Bogus'", dir.path().join("odd.json").display()),
        ),
    ];
    for (args, code, message) in cases {
        let mut all = vec!["--store", &store];
        all.extend(args.iter().map(String::as_str));
        let r = run(&all);
        assert_eq!((r.code, r.stderr.trim_end()), (code, message.as_str()), "{args:?}\nstdout: {}", r.stdout);
    }

    let other = dir.write("other.mjs", "export const orchestrations = { Other: function* () { return 1; } };");
    let r = run(&["--store", &store, "replay", &other.display().to_string(), "--id", "o1"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stdout,
        "o1: not replayed: the module has no orchestration 'Order'\n1 replayed: 0 ok, 0 nondeterministic, 1 not replayed\n"
    );
    let versioned = dir.write("versioned.mjs", "export const orchestrations = { Order: { '2.0.0': function* () { return 1; } } };");
    let r = run(&["--store", &store, "replay", &versioned.display().to_string(), "--id", "o1"]);
    assert_eq!(r.stdout.lines().next(), Some("o1: not replayed: the module has orchestration 'Order' only in version(s) 2.0.0, not 1.0.0"));
    let doc = dir.write("o1.json", &run(&["--store", &store, "history", "o1", "--json", "--all-executions"]).stdout);
    let picked = run(&["replay", &orders, "--history", &doc.display().to_string(), "--id", "o2"]);
    assert_eq!((picked.code, picked.stderr.trim_end()), (2, &*format!("error: {} holds no history of instance 'o2'", doc.display())));
    let empty = dir.write("empty.json", r#"{"instanceId":"x","executions":[]}"#);
    let r = run(&["replay", &orders, "--history", &empty.display().to_string()]);
    assert_eq!((r.code, r.stderr.trim_end()), (2, &*format!("error: {}: the history holds no events", empty.display())));
    let stray = run(&["--store", &store, "replay", &orders, "--id", "o1", "--execution", "2"]);
    assert_eq!(stray.code, 2, "--execution goes with --history: {}", stray.stderr);
    let conflicting = run(&["--store", &store, "replay", &orders, "--all", "--id", "o1"]);
    assert_eq!(conflicting.code, 2, "{}", conflicting.stderr);
    let lonely = run(&["--store", &store, "history", "o1", "--all-executions"]);
    assert_eq!(lonely.code, 2, "--all-executions needs --json: {}", lonely.stderr);
}

#[test]
fn a_test_file_replays_with_the_test_environment() {
    let r = run(&["test", &module("replay.test.mjs")]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.stdout.lines().last(), Some("6 passed, 0 failed"), "{}", r.stdout);
}
