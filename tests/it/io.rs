//! Activities that do real I/O (issue 11): fetch against a loopback server
//! the test starts, files in a scratch folder, real subprocesses, Node's
//! builtins, permissions, and I/O refused inside orchestrations.

use serde_json::{json, Value};

use crate::http_server::Server;
use crate::support::{command, fixture, run_cmd, Run, TempDir};

fn io(scenario: &str, flags: &[&str]) -> (Value, Run) {
    let server = Server::start();
    let scratch = TempDir::new("io");
    let script = fixture("io.js");
    let mut args = vec!["run"];
    args.extend_from_slice(flags);
    let base = server.url("");
    args.extend([script.to_str().unwrap(), scenario, &base, scratch.path().to_str().unwrap()]);
    let r = run_cmd(command(&args));
    assert_eq!(r.code, 0, "io.js {scenario}:\nstdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    (r.json(), r)
}

#[test]
fn fetch_gets_posts_follows_redirects_streams_and_reports_failures() {
    let (v, _) = io("fetch", &[]);
    assert_eq!(v["json"], json!({"hello": "world"}));
    assert_eq!(v["echo"], json!({"status": 200, "body": "ping", "type": "text/plain", "method": "POST"}));
    assert_eq!(v["redirected"], json!({"status": 200, "url": true, "redirected": true}));
    assert_eq!(v["missing"], json!({"status": 404, "ok": false, "body": "no such page"}));
    let expected_sum = (0..300000u64).map(|i| i % 251).sum::<u64>() % 1000003;
    assert_eq!(v["big"], json!({"bytes": 300000, "streamed": true, "sum": expected_sum}));
    assert_eq!(v["form"], true);
    assert_eq!(v["refused"]["name"], "TypeError", "{v}");
    assert!(v["refused"]["message"].as_str().unwrap().contains("Connection refused"), "{v}");
    assert_eq!(v["timeout"]["name"], "TimeoutError", "{v}");
    assert_eq!(v["aborted"]["name"], "AbortError", "{v}");
    assert_eq!(v["digest"], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

#[test]
fn fs_reads_writes_lists_streams_and_fails_with_node_codes() {
    let (v, _) = io("fs", &[]);
    assert_eq!(v["readBack"], "hello world!");
    assert_eq!((v["size"].clone(), v["isFile"].clone(), v["isDir"].clone(), v["mtime"].clone()), (json!(12), json!(true), json!(true), json!(true)));
    assert_eq!(v["entries"], json!(["a.txt", "c.txt", "x"]));
    assert_eq!(v["typed"], json!(["a.txt:file", "c.txt:file", "x:dir"]));
    assert_eq!(v["streamed"], 64 * 16384);
    assert_eq!(v["upper"], "HELLO WORLD!");
    assert_eq!(v["errors"]["eisdir"]["message"], "EISDIR: illegal operation on a directory, read");
    for (key, code, syscall) in [("enoent", "ENOENT", "open"), ("enoentAsync", "ENOENT", "open"), ("eexist", "EEXIST", "mkdir"),
        ("enotempty", "ENOTEMPTY", "rmdir")] {
        let e = &v["errors"][key];
        assert_eq!(e["code"], code, "{key}: {e}");
        assert!(e["message"].as_str().unwrap().starts_with(&format!("{code}: ")), "{key}: {e}");
        assert!(e["message"].as_str().unwrap().contains(&format!(", {syscall} '")), "{key}: {e}");
    }
    assert_eq!(v["exists"], json!([true, false]));
    assert_eq!(v["after"], json!(["a.txt", "big.bin", "c.txt", "upper.txt"]));
    assert_eq!(v["gone"], false);
}

#[test]
fn child_processes_run_with_exit_codes_signals_streams_and_input() {
    let (v, _) = io("child", &[]);
    assert_eq!(v["echoed"], json!({"stdout": "hello world\n", "stderr": ""}));
    assert_eq!(v["failed"]["code"], 3, "{v}");
    assert!(v["failed"]["message"].as_str().unwrap().starts_with("Command failed: sh -c echo oops >&2; exit 3\noops"), "{v}");
    assert_eq!(v["shell"], json!({"err": null, "stdout": "5\nhi there\n"}));
    assert_eq!(v["input"], "fed on stdin");
    assert_eq!(v["sync"], json!({"status": 4, "stdout": "out\n", "stderr": "err\n"}));
    assert_eq!(v["streamed"], json!({"lines": ["line1", "line2", "line3"], "code": 7, "signal": null, "pid": "number"}));
    assert_eq!(v["killed"], json!({"code": null, "signal": "SIGTERM", "killed": true}));
    assert_eq!(v["fed"], "piped input");
    assert_eq!(v["missing"], json!({"code": "ENOENT", "message": "spawn definitely-not-a-program-xyz ENOENT"}));
    assert_eq!(v["syncThrows"]["message"], "Command failed: sh -c exit 2", "{v}");
}

#[test]
fn nodes_small_builtins_behave_like_node() {
    let (v, _) = io("misc", &[]);
    assert_eq!(v["path"], json!(["/a/c/d.txt", "/x/z", "q.tar", ".json", "/a/b", "../../d", false, "file"]));
    assert_eq!(v["os"], json!({"tmpdir": "string", "platform": "linux", "eol": true, "cpus": true, "hostname": true, "homedir": "string"}));
    assert_eq!(v["util"], json!(["cart has 3 items: {\"a\":1}", "{ deep: { er: [ 1, 2 ] } }", true, true]));
    assert_eq!(v["events"], json!({"seen": [1, "once 1", 2], "readyValue": "go", "legacyHeard": true}));
    assert_eq!(v["buffer"], json!(["aMOpbGxv", "hello", 3, "ab", 515, true, "{\"type\":\"Buffer\",\"data\":[104,105]}"]));
    assert_eq!(
        v["crypto"],
        json!(["ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "ECkAtyt78QMe7Ha0gEtmBSN2iWs=",
            "187ef4436122d1cc2f40dc2b92f0eba0", 8, 36, true])
    );
    assert_eq!(v["url"], json!(["/tmp/a b.txt", "file:///tmp/a%20b.txt", "1"]));
    assert_eq!(v["decoded"], "€");
    assert_eq!(v["slept"], true);
    assert_eq!(v["assertion"], json!({"name": "AssertionError", "code": "ERR_ASSERTION"}));
    assert_eq!(v["querystring"], json!(["a=1&a=2&b=x%20y", {"a": ["1", "2"], "b": "x y"}]));
    assert_eq!(
        v["unavailable"],
        json!(["node:net is not available in duroxide", "node:zlib is not available in duroxide", "fs.watch is not available in duroxide"])
    );
}

#[test]
fn a_sandbox_denies_what_no_flag_allows_naming_the_flag() {
    let scratch = TempDir::new("sandbox");
    let server = Server::start();
    let allow_read = format!("--allow-read={}", scratch.path().display());
    let script = fixture("io.js");
    let base = server.url("");
    let r = run_cmd(command(&["run", "--sandbox", &allow_read, script.to_str().unwrap(), "denied", &base, scratch.path().to_str().unwrap()]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    let dir = scratch.path().display();
    let denied = |kind: &str, resource: &str, grant: &str| {
        json!({"name": "Error", "code": "ERR_ACCESS_DENIED",
            "message": format!("{kind} access to {resource} is denied: run with --allow-{kind}={grant} (sandbox)")})
    };
    assert_eq!(v["write"], denied("write", &format!("{dir}/out/result.csv"), &format!("{dir}/out")));
    assert_eq!(v["read"], denied("read", "/etc/hostname", "/etc"));
    let host = format!("127.0.0.1:{}", server.port);
    assert_eq!(v["fetch"], denied("net", &host, &host));
    assert_eq!(v["run"], denied("run", "echo", "echo"));
    assert_eq!(v["allowedRead"], true);
}

#[test]
fn a_sandbox_shows_only_the_environment_it_allows() {
    let dir = TempDir::new("env");
    let script = dir.write("env.js", "console.log(JSON.stringify([process.env.DUROXIDE_IT_A, process.env.DUROXIDE_IT_B]));\n");
    let mut cmd = command(&["run", "--sandbox", "--allow-env=DUROXIDE_IT_A", script.to_str().unwrap()]);
    cmd.env("DUROXIDE_IT_A", "a").env("DUROXIDE_IT_B", "b");
    let r = run_cmd(cmd);
    assert_eq!(r.json(), json!(["a", null]), "{}", r.stderr);
}

#[test]
fn allow_flags_need_the_sandbox() {
    let r = run_cmd(command(&["run", "--allow-net", fixture("exit.js").to_str().unwrap()]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--sandbox"), "{}", r.stderr);
}

fn signal(scenario: &str) -> Value {
    let server = Server::start();
    let base = server.url("");
    let r = run_cmd(command(&["run", fixture("signal.js").to_str().unwrap(), scenario, &base]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()
}

#[test]
fn an_activity_that_lost_a_race_sees_its_signal_abort_and_its_fetch_stops() {
    let v = signal("race");
    assert_eq!(v["output"], 1, "the timer won: {v}");
    assert_eq!(v["seen"], json!({"error": "AbortError", "reason": "the activity was cancelled", "aborted": true, "cancelled": true}));
}

#[test]
fn a_worker_that_stops_aborts_the_signals_of_its_activities() {
    let v = signal("shutdown");
    assert_eq!(v["seen"]["error"], "AbortError", "{v}");
    assert_eq!(v["seen"]["reason"], "the activity is no longer needed", "{v}");
}

/// `command` as a user without rights to root's files: as `nobody` when the tests run as root.
fn unprivileged(args: &[&str]) -> std::process::Command {
    // SAFETY: getuid cannot fail.
    if unsafe { libc::getuid() } != 0 {
        return command(args);
    }
    let mut cmd = std::process::Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", crate::support::binary()]).args(args);
    cmd.env_remove("RUST_LOG").stdin(std::process::Stdio::null());
    cmd
}

#[test]
fn reading_a_file_without_the_right_is_eacces() {
    let dir = TempDir::new("eacces");
    let secret = dir.write("secret.txt", "no");
    let script = dir.write(
        "read.js",
        "const fs = require('fs');\ntry { fs.readFileSync(process.argv[2]); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, errno: e.errno })); }\n",
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = run_cmd(unprivileged(&["run", script.to_str().unwrap(), secret.to_str().unwrap()]));
    assert_eq!(
        r.json(),
        json!({"code": "EACCES", "message": format!("EACCES: permission denied, open '{}'", secret.display()), "errno": -13}),
        "{}",
        r.stderr
    );
}
