//! Running the built binary on fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_duroxide")
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!("duroxide-it-{tag}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        let line = self.stdout.lines().last().unwrap_or_else(|| panic!("no output; stderr:\n{}", self.stderr));
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}\nstderr:\n{}", self.stderr))
    }
}

pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(binary());
    // Transpiled TypeScript goes to the target directory, not the user's ~/.cache.
    let typescript_cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("duroxide-cache");
    cmd.args(args).env_remove("RUST_LOG").env("DUROXIDE_CACHE_DIR", typescript_cache).stdin(Stdio::null());
    cmd
}

/// Runs the binary to completion (killed after 60 s, which fails the test).
pub fn run_cmd(mut cmd: Command) -> Run {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn duroxide");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("duroxide did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out: Output = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn run(args: &[&str]) -> Run {
    run_cmd(command(args))
}

/// Which store a store test runs against; fixtures read it through
/// tests/fixtures/lib/store.js.
pub enum Store {
    Sqlite,
    Postgres { url: String, schema: String },
}

impl Store {
    /// The PostgreSQL store of one test (its own schema). Only tests that are
    /// `#[ignore]`d without DUROXIDE_TEST_PG_URL call this (see build.rs).
    pub fn postgres(test: &str) -> Store {
        let url = std::env::var("DUROXIDE_TEST_PG_URL")
            .ok()
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| panic!("{test} needs DUROXIDE_TEST_PG_URL (start a server: eval \"$(scripts/pg-test-server.sh start)\")"));
        static N: AtomicU32 = AtomicU32::new(0);
        let short: String = test.rsplit("::").next().unwrap_or(test).chars().take(40).collect();
        let schema = format!("t{}_{}_{short}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
        Store::Postgres { url, schema }
    }

    /// `--store ... [--schema ...]` for the command line; SQLite lives in `dir`.
    pub fn cli_args(&self, dir: &Path) -> Vec<String> {
        match self {
            Store::Sqlite => vec!["--store".into(), format!("sqlite:{}/cli.db", dir.display())],
            Store::Postgres { url, schema } => vec!["--store".into(), url.clone(), "--schema".into(), schema.clone()],
        }
    }

    pub fn apply(&self, cmd: &mut Command) {
        if let Store::Postgres { url, schema } = self {
            cmd.env("DUROXIDE_TEST_STORE", url).env("DUROXIDE_TEST_SCHEMA", schema);
        }
    }
}

/// The first port of the PostgreSQL servers tests start of their own (this one and the next two). Below
/// Linux's ephemeral range (32768-60999): a port in it can be held by some client connection's
/// TIME-WAIT (one to the shared server on 55432, say), and the server then cannot bind it.
pub const OWN_PORTS: u16 = 25439;

/// A PostgreSQL server of the test's own (scripts/pg-test-server.sh), stopped when the test ends.
pub struct OwnServer {
    env: Vec<(&'static str, String)>,
}

impl OwnServer {
    /// Starts a server of its own on `port`; returns it with a store on it.
    pub fn start(port: u16, schema: &str) -> (OwnServer, Store) {
        Self::start_with(port, schema, &[])
    }

    /// Like `start`, with more settings for the script (e.g. `DUROXIDE_PG_TLS=1`).
    pub fn start_with(port: u16, schema: &str, settings: &[(&'static str, &str)]) -> (OwnServer, Store) {
        let mut env = vec![("DUROXIDE_PG_PORT", port.to_string()), ("DUROXIDE_PG_DIR", OwnServer::dir_of(port))];
        env.extend(settings.iter().map(|(k, v)| (*k, v.to_string())));
        let server = OwnServer { env };
        let started = server.command("start").output().unwrap();
        assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
        let url = String::from_utf8_lossy(&started.stdout).trim().trim_start_matches("export DUROXIDE_TEST_PG_URL=").to_string();
        (server, Store::Postgres { url, schema: schema.into() })
    }

    /// The server's directory (its data in `data/`).
    pub fn dir_of(port: u16) -> String {
        format!("/tmp/duroxide-pg-{port}-{}", std::process::id())
    }

    pub fn command(&self, verb: &str) -> Command {
        let mut cmd = Command::new(repo().join("scripts/pg-test-server.sh"));
        cmd.arg(verb).envs(self.env.iter().map(|(k, v)| (*k, v.as_str())));
        cmd
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.command("stop").output();
    }
}

pub fn run_in(store: &Store, args: &[&str]) -> Run {
    let mut cmd = command(args);
    store.apply(&mut cmd);
    run_cmd(cmd)
}

/// Runs a fixture scenario (`duroxide run tests/fixtures/<file> <scenario> [options]`), expected to succeed.
pub fn scenario_of(store: &Store, file: &str, args: &[&str]) -> serde_json::Value {
    let script = fixture(file);
    let mut all = vec!["run", script.to_str().unwrap()];
    all.extend_from_slice(args);
    let r = run_in(store, &all);
    assert_eq!(r.code, 0, "{file} {args:?} failed:\nstdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    r.json()
}

/// `duroxide run tests/fixtures/api.js <scenario>`.
pub fn scenario(store: &Store, name: &str) -> serde_json::Value {
    scenario_of(store, "api.js", &[name])
}
