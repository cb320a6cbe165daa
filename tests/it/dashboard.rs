//! The HTTP API and the dashboard's pages, through a real server: `duroxide run
//! MODULE --ui` (a worker with the dashboard beside it) and `duroxide ui`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{command, fixture, run, Store, TempDir};
use crate::web_http::{get, request, send, Response};

/// A running `duroxide` with a dashboard; killed on drop.
pub struct Served {
    child: Child,
    pub port: u16,
    pub store_args: Vec<String>,
    /// Kept alive with the server: its SQLite file lives there.
    _dir: Option<TempDir>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the child's output until the `dashboard: URL` line, keeps draining it after.
fn port_from(child: &mut Child, on_stdout: bool) -> u16 {
    let (tx, rx) = mpsc::channel();
    let reader: Box<dyn std::io::Read + Send> =
        if on_stdout { Box::new(child.stdout.take().unwrap()) } else { Box::new(child.stderr.take().unwrap()) };
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("dashboard: http://") {
                let port = rest.split(['/', ' ']).next().and_then(|a| a.rsplit(':').next()).and_then(|p| p.parse::<u16>().ok());
                let _ = tx.send(port);
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(30)).ok().flatten().expect("the dashboard printed its URL")
}

impl Served {
    /// `duroxide run tests/fixtures/dashboard.mjs --ui 127.0.0.1:0` on `store`, plus `extra` flags.
    pub fn worker(store: &Store, extra: &[&str]) -> Served {
        let dir = TempDir::new("dashboard");
        let store_args = store.cli_args(dir.path());
        let mut served = Served::worker_on(store_args, extra);
        served._dir = Some(dir);
        served
    }

    /// The same on the store that `store_args` (`--store ...`) name.
    pub fn worker_on(store_args: Vec<String>, extra: &[&str]) -> Served {
        let module = fixture("dashboard.mjs");
        let mut args: Vec<&str> = store_args.iter().map(String::as_str).collect();
        args.extend(["run", "--ui=127.0.0.1:0"]);
        args.extend_from_slice(extra);
        args.push(module.to_str().unwrap());
        let mut cmd = command(&args);
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn duroxide run --ui");
        let port = port_from(&mut child, false);
        Served { child, port, store_args, _dir: None }
    }

    /// `duroxide ui --listen 127.0.0.1:0` on the store at `store_args`, plus `extra` flags.
    pub fn ui(store_args: &[String], extra: &[&str]) -> Served {
        let mut args: Vec<&str> = store_args.iter().map(String::as_str).collect();
        args.extend(["ui", "--listen", "127.0.0.1:0"]);
        args.extend_from_slice(extra);
        let mut cmd = command(&args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = cmd.spawn().expect("spawn duroxide ui");
        let port = port_from(&mut child, true);
        Served { child, port, store_args: store_args.to_vec(), _dir: None }
    }

    pub fn cli(&self, args: &[&str]) -> crate::support::Run {
        let mut all: Vec<&str> = self.store_args.iter().map(String::as_str).collect();
        all.extend_from_slice(args);
        run(&all)
    }

    pub fn start(&self, name: &str, id: &str, input: Value) {
        let r = send(self.port, "POST", "/api/instances", &json!({"name": name, "id": id, "input": input}).to_string());
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.json(), json!({"id": id}));
    }

    /// A start through the API of a dashboard that has a token.
    pub fn start_with_token(&self, name: &str, id: &str, token: &str) {
        let body = json!({"name": name, "id": id}).to_string();
        let auth = format!("Bearer {token}");
        let headers = [("Content-Type", "application/json"), ("Authorization", auth.as_str())];
        let r = request(self.port, "POST", "/api/instances", &headers, Some(body.as_bytes()));
        assert_eq!(r.status, 201, "{}", r.body);
    }

    /// Polls the API until the instance has `status`.
    pub fn wait_for(&self, id: &str, status: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let r = get(self.port, &format!("/api/instances/{id}"));
            if r.status == 200 && r.json()["status"] == status {
                return r.json();
            }
            assert!(Instant::now() < deadline, "{id} never became {status}: {} {}", r.status, r.body);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn error_of(r: &Response, status: u16) -> String {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"), "{}", r.body);
    let message = r.json()["error"].as_str().unwrap_or_else(|| panic!("no error field: {}", r.body)).to_string();
    assert!(!message.contains('\n'), "one line: {message}");
    message
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn ids(r: &Response) -> Vec<String> {
    r.json()["instances"].as_array().unwrap().iter().map(|i| i["instanceId"].as_str().unwrap().to_string()).collect()
}

store_tests! {
    fn the_api_answers_what_the_command_line_answers(store) {
        let served = Served::worker(store, &[]);
        let port = served.port;
        served.start("Steps", "steps-1", json!({"n": 1}));
        served.wait_for("steps-1", "Completed");

        // GET /api/instances/{id} and .../history are `status --json` and `history --json`.
        let cli_status = served.cli(&["status", "steps-1", "--json"]);
        let cli_status: Value = serde_json::from_str(&cli_status.stdout).unwrap();
        assert_eq!(get(port, "/api/instances/steps-1").json(), cli_status);
        assert_eq!(cli_status["output"], json!({"input": {"n": 1}, "done": ["step 1 done", "step 2 done", "step 3 done"]}));
        let cli_history: Value = serde_json::from_str(&served.cli(&["history", "steps-1", "--json"]).stdout).unwrap();
        assert_eq!(get(port, "/api/instances/steps-1/history").json(), cli_history);
        assert_eq!(get(port, "/api/instances/steps-1/history?execution=1").json(), cli_history);
        assert!(error_of(&get(port, "/api/instances/steps-1/history?execution=7"), 404).contains("has no execution 7"));
        assert!(error_of(&get(port, "/api/instances/steps-1/history?execution=x"), 400).contains("not a number"));

        // A start without an id gets one; the input is any JSON.
        let r = send(port, "POST", "/api/instances", r#"{"name": "Hello", "input": "Ann"}"#);
        assert_eq!(r.status, 201, "{}", r.body);
        let generated = r.json()["id"].as_str().unwrap().to_string();
        assert!(generated.starts_with("Hello-"), "{generated}");
        assert_eq!(served.wait_for(&generated, "Completed")["output"], "Hello, Ann!");

        // Events, queue messages, sub-orchestrations.
        served.start("WaitFor", "wait-1", json!("waiting for go"));
        served.start("Inbox", "inbox-1", Value::Null);
        served.start("Parent", "parent-1", json!("Bo"));
        assert_eq!(served.wait_for("wait-1", "Running")["customStatus"], "waiting for go");
        let r = send(port, "POST", "/api/instances/wait-1/events/go", r#"{"by": "ann"}"#);
        assert_eq!(r.status, 202, "{}", r.body);
        assert_eq!(served.wait_for("wait-1", "Completed")["output"], json!({"got": {"by": "ann"}}));
        let r = send(port, "POST", "/api/instances/inbox-1/queues/inbox", r#"[1, 2]"#);
        assert_eq!(r.status, 202, "{}", r.body);
        assert_eq!(served.wait_for("inbox-1", "Completed")["output"], json!({"message": [1, 2]}));
        assert_eq!(served.wait_for("parent-1", "Completed")["output"], "Hello, Bo!");
        let children = ids(&get(port, "/api/instances?q=parent-1%3A%3A"));
        assert_eq!(children.len(), 1, "{children:?}");
        let child = children[0].replace(':', "%3A");
        let refused = error_of(&request(port, "DELETE", &format!("/api/instances/{child}"), &[], None), 409);
        assert!(refused.contains("is a sub-orchestration of 'parent-1'"), "{refused}");

        // Cancel, then delete: running needs force.
        served.start("WaitFor", "wait-2", json!("never"));
        served.wait_for("wait-2", "Running");
        assert!(error_of(&request(port, "DELETE", "/api/instances/wait-2", &[], None), 409).contains("force=true"));
        let r = send(port, "POST", "/api/instances/wait-2/cancel", r#"{"reason": "changed my mind"}"#);
        assert_eq!(r.status, 202, "{}", r.body);
        let cancelled = served.wait_for("wait-2", "Failed");
        assert!(cancelled["error"].as_str().unwrap().contains("changed my mind"), "{cancelled}");
        assert!(error_of(&send(port, "POST", "/api/instances/wait-2/cancel", ""), 409).contains("already ended"));
        served.start("WaitFor", "wait-3", json!("deleted while running"));
        served.wait_for("wait-3", "Running");
        let r = request(port, "DELETE", "/api/instances/wait-3?force=true", &[], None);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["instancesDeleted"], 1);
        let r = request(port, "DELETE", "/api/instances/wait-2", &[], None);
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.json()["eventsDeleted"].as_u64().unwrap() > 0, "{}", r.body);
        error_of(&get(port, "/api/instances/wait-2"), 404);

        // The list: filters, search, pages that cover everything once.
        let all = ids(&get(port, "/api/instances"));
        assert_eq!(all.len(), 6, "{all:?}");
        assert_eq!(all.last().unwrap(), "steps-1", "newest first: {all:?}");
        assert_eq!(ids(&get(port, "/api/instances?status=Completed&name=WaitFor")), ["wait-1"]);
        assert_eq!(ids(&get(port, "/api/instances?q=box")), ["inbox-1"]);
        let mut walked = Vec::new();
        let mut path = "/api/instances?limit=4".to_string();
        loop {
            let page = get(port, &path).json();
            walked.extend(page["instances"].as_array().unwrap().iter().map(|i| i["instanceId"].as_str().unwrap().to_string()));
            match page["next"].as_str() {
                Some(next) => path = format!("/api/instances?limit=4&cursor={next}"),
                None => break,
            }
        }
        assert_eq!(walked, all);
        let first = &get(port, "/api/instances?limit=1").json()["instances"][0];
        for key in ["instanceId", "orchestrationName", "orchestrationVersion", "status", "customStatus", "createdAt", "updatedAt"] {
            assert!(first.get(key).is_some(), "{key} in {first}");
        }

        let metrics = get(port, "/api/metrics").json();
        // parent-1's child is an instance too.
        assert_eq!(metrics["counts"]["Completed"], 6, "{metrics}");
        assert_eq!(metrics["counts"]["Running"], 0, "{metrics}");
        assert_eq!(metrics["completionsPerMinute"].as_array().unwrap().len(), 15);
        let completed: u64 = metrics["completionsPerMinute"].as_array().unwrap().iter().map(|m| m["completed"].as_u64().unwrap()).sum();
        assert!(completed >= 6, "{metrics}");
        for key in ["orchestratorQueue", "workerQueue", "timerQueue"] {
            assert!(metrics["queues"][key].is_u64(), "{metrics}");
        }
    }

    fn bad_requests_are_400_404_409_with_one_line(store) {
        let served = Served::worker(store, &[]);
        let port = served.port;
        served.start("Hello", "hi-1", json!("Ann"));
        served.wait_for("hi-1", "Completed");
        let cases: Vec<(Response, u16, &str)> = vec![
            (send(port, "POST", "/api/instances", "{not json"), 400, "not valid JSON"),
            (send(port, "POST", "/api/instances", "[1]"), 400, "must be a JSON object"),
            (send(port, "POST", "/api/instances", r#"{"input": 1}"#), 400, "\"name\" is missing"),
            (send(port, "POST", "/api/instances", r#"{"name": "  "}"#), 400, "orchestration name must not be empty"),
            (send(port, "POST", "/api/instances", r#"{"name": "Hello", "version": "one"}"#), 400, "not a semantic version"),
            (send(port, "POST", "/api/instances", r#"{"name": 7}"#), 400, "\"name\" must be a string"),
            (send(port, "POST", "/api/instances", r#"{"name": "Hello", "id": "hi-1"}"#), 409, "already exists"),
            (get(port, "/api/instances?status=Sleeping"), 400, "status 'Sleeping' is not one of"),
            (get(port, "/api/instances?limit=0"), 400, "limit '0'"),
            (get(port, "/api/instances?cursor=zz"), 400, "not one this server handed out"),
            (get(port, "/api/instances/nope"), 404, "instance 'nope' not found"),
            (get(port, "/api/instances/nope/history"), 404, "instance 'nope' not found"),
            (send(port, "POST", "/api/instances/nope/events/go", "1"), 404, "not found"),
            (send(port, "POST", "/api/instances/nope/queues/q", "1"), 404, "not found"),
            (send(port, "POST", "/api/instances/nope/cancel", ""), 404, "not found"),
            (request(port, "DELETE", "/api/instances/nope", &[], None), 404, "not found"),
            (send(port, "POST", "/api/instances/hi-1/events/go", "{oops"), 400, "not valid JSON"),
            (request(port, "DELETE", "/api/instances/hi-1?force=maybe", &[], None), 400, "force 'maybe'"),
            (get(port, "/api/nothing/here"), 404, "no such API route"),
            (get(port, &format!("/api/instances?cursor={}", hex("2026-13-45 99:00:00\nhi-1"))), 400, "not one this server handed out"),
            (get(port, "/api/instances/hi-1/cancel"), 405, "does not take that method"),
            (get(port, "/api/instances/%FF"), 400, "UTF-8"),
        ];
        for (r, status, text) in cases {
            let message = error_of(&r, status);
            assert!(message.contains(text), "{status} {text:?}: {message}");
        }
        // A body over the limit (1 MiB) is refused as JSON, not read.
        let big = format!("\"{}\"", "x".repeat(2 << 20));
        let message = error_of(&send(port, "POST", "/api/instances/hi-1/events/go", &big), 413);
        assert!(message.contains("request body"), "{message}");
    }
}

#[test]
fn pages_of_the_built_in_sqlite_provider_s_store_too() {
    let dir = TempDir::new("dashboard-sqlx");
    let served = Served::worker_on(vec!["--store".into(), format!("sqlite+sqlx:{}/b.db", dir.path().display())], &[]);
    for i in 1..=5 {
        served.start(if i % 2 == 0 { "Hello" } else { "Steps" }, &format!("b-{i}"), json!(i));
    }
    for i in 1..=5 {
        served.wait_for(&format!("b-{i}"), "Completed");
    }
    let first = get(served.port, "/api/instances?limit=3").json();
    let next = first["next"].as_str().expect("a second page").to_string();
    let second = get(served.port, &format!("/api/instances?limit=3&cursor={next}"));
    let mut walked: Vec<String> =
        first["instances"].as_array().unwrap().iter().map(|i| i["instanceId"].as_str().unwrap().to_string()).collect();
    walked.extend(ids(&second));
    walked.sort();
    assert_eq!(walked, ["b-1", "b-2", "b-3", "b-4", "b-5"]);
    assert_eq!(ids(&get(served.port, "/api/instances?name=Hello")).len(), 2);
    assert_eq!(get(served.port, "/api/metrics").json()["counts"]["Completed"], 5);
}

#[test]
fn user_strings_are_escaped_in_every_page() {
    let served = Served::worker(&Store::Sqlite, &[]);
    let port = served.port;
    let payload = r#"<script>window.hacked=1</script><img src=x onerror="window.hacked=2">"#;
    served.start("WaitFor", "xss-<b>1</b>", json!(payload));
    served.wait_for("xss-%3Cb%3E1%3C%2Fb%3E", "Running");
    for path in ["/", "/instances/xss-%3Cb%3E1%3C%2Fb%3E", "/instances/xss-%3Cb%3E1%3C%2Fb%3E/live", "/metrics"] {
        let page = get(port, path);
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(!page.body.contains("<script>window"), "{path} has the raw payload:\n{}", page.body);
        assert!(!page.body.contains("<img src=x"), "{path}");
        assert!(!page.body.contains("xss-<b>1</b>"), "{path}");
        let csp = page.header("content-security-policy").unwrap_or("");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
    }
    let page = get(port, "/instances/xss-%3Cb%3E1%3C%2Fb%3E").body;
    assert!(page.contains("&lt;script&gt;window.hacked=1&lt;/script&gt;"), "{page}");
    assert!(page.contains("xss-&lt;b&gt;1&lt;/b&gt;"));
}

#[test]
fn a_token_guards_every_page_and_call_and_other_sites_change_nothing() {
    let worker = Served::worker(&Store::Sqlite, &[]);
    worker.start("WaitFor", "t-1", json!("waiting"));
    worker.wait_for("t-1", "Running");
    let served = Served::ui(&worker.store_args, &["--token", "s3cret"]);
    let port = served.port;

    let message = error_of(&get(port, "/api/instances"), 401);
    assert!(message.contains("Authorization: Bearer"), "{message}");
    error_of(&request(port, "GET", "/api/instances", &[("Authorization", "Bearer wrong")], None), 401);
    error_of(&request(port, "POST", "/api/instances", &[("Content-Type", "application/json")], Some(br#"{"name":"Hello"}"#)), 401);
    let ok = request(port, "GET", "/api/instances", &[("Authorization", "Bearer s3cret")], None);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ids(&ok), ["t-1"]);

    // Pages send people to the login form; the form sets an HttpOnly, SameSite=Strict cookie.
    let page = get(port, "/instances/t-1");
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), Some("/login?next=%2Finstances%2Ft-1"));
    assert_eq!(get(port, "/login").status, 200);
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let wrong = request(port, "POST", "/login", &form, Some(b"token=nope&next=%2F"));
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("not this dashboard's token"));
    let good = request(port, "POST", "/login", &form, Some(b"token=s3cret&next=%2Finstances%2Ft-1"));
    assert_eq!(good.status, 303, "{}", good.body);
    assert_eq!(good.header("location"), Some("/instances/t-1"));
    let cookie = good.header("set-cookie").unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(!cookie.contains("s3cret"), "the cookie is not the token: {cookie}");
    let session = cookie.split(';').next().unwrap();
    let page = request(port, "GET", "/instances/t-1", &[("Cookie", session)], None);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("waiting"), "{}", page.body);
    let open_redirect = request(port, "POST", "/login", &form, Some(b"token=s3cret&next=%2F%2Fevil.example%2F"));
    assert_eq!(open_redirect.header("location"), Some("/"));

    // Changes from another site's page are refused even with the cookie.
    let auth = ("Authorization", "Bearer s3cret");
    let json_type = ("Content-Type", "application/json");
    let from_evil =
        request(port, "POST", "/api/instances", &[auth, json_type, ("Origin", "http://evil.example")], Some(br#"{"name":"Hello"}"#));
    assert!(error_of(&from_evil, 403).contains("cross-site"));
    let sibling = request(port, "DELETE", "/api/instances/t-1", &[("Cookie", session), ("Sec-Fetch-Site", "same-site")], None);
    assert!(error_of(&sibling, 403).contains("Sec-Fetch-Site"));
    let own = format!("http://127.0.0.1:{port}");
    let same = request(
        port,
        "POST",
        "/api/instances",
        &[auth, json_type, ("Origin", &own), ("Sec-Fetch-Site", "same-origin")],
        Some(br#"{"name":"Hello","id":"t-2"}"#),
    );
    assert_eq!(same.status, 201, "{}", same.body);
}

#[test]
fn without_a_token_only_loopback_names_are_answered() {
    let served = Served::worker(&Store::Sqlite, &[]);
    let rebound = request(served.port, "GET", "/api/instances", &[("Host", "evil.example:8233")], None);
    assert!(error_of(&rebound, 403).contains("Host 'evil.example:8233' is not this dashboard's"));
    let page = request(served.port, "GET", "/", &[("Host", "evil.example")], None);
    assert_eq!(page.status, 403);
    for host in ["localhost:8233", "127.0.0.1"] {
        assert_eq!(request(served.port, "GET", "/api/metrics", &[("Host", host)], None).status, 200, "{host}");
    }
}

#[test]
fn listening_beyond_loopback_needs_a_token() {
    let dir = TempDir::new("dashboard-expose");
    let db = format!("sqlite:{}/e.db", dir.path().display());
    let r = run(&["--store", &db, "ui", "--listen", "0.0.0.0:0"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("--token") && r.stderr.contains("0.0.0.0"), "{}", r.stderr);
    let mut cmd = command(&["--store", &db, "ui", "--listen", "0.0.0.0:0"]);
    cmd.env("DUROXIDE_UI_TOKEN", "");
    let r = crate::support::run_cmd(cmd);
    assert_eq!(r.code, 2, "an empty token is no token: {}", r.stderr);
    let module = fixture("dashboard.mjs");
    let r = run(&["--store", &db, "run", "--ui=0.0.0.0:0", module.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--token"), "{}", r.stderr);
}

#[test]
fn dashboard_start_errors_are_one_line() {
    let dir = TempDir::new("dashboard-errors");
    let missing = format!("sqlite:{}/missing.db", dir.path().display());
    let r = run(&["--store", &missing, "ui"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.starts_with("error: no store at"), "{}", r.stderr);
    let db = format!("sqlite:{}/d.db", dir.path().display());
    let r = run(&["--store", &db, "ui", "--listen", "nowhere"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("error: cannot listen on 'nowhere'"), "{}", r.stderr);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let r = run(&["--store", &db, "ui", "--listen", &address]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("the dashboard cannot listen on {address}")), "{}", r.stderr);
    let module = fixture("dashboard.mjs");
    let r = run(&["--store", "sqlite::memory:", "run", "--ui", module.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--ui needs a store it can open beside the worker"), "{}", r.stderr);
}
