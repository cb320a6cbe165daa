//! What `--store` may say, and what is shown of it (issue 12, items 8-10):
//! unknown schemes and mistyped URLs are refused (exit 2) instead of becoming
//! SQLite files, no password is ever printed, a corrupted SQLite file and a
//! closed PostgreSQL port fail at once with the real cause.

use std::process::Stdio;

use crate::support::{command, fixture, run, run_cmd, TempDir};

/// Every verb that opens a store, with the arguments it needs.
const VERBS: &[&[&str]] = &[
    &["status", "x"],
    &["wait", "x", "--timeout", "1s"],
    &["list"],
    &["history", "x"],
    &["start", "Hello", "--id", "x"],
    &["raise", "x", "e"],
    &["cancel", "x"],
    &["delete", "x"],
    &["metrics"],
];

/// Runs every verb and a worker in a fresh directory with `--store store`; each must exit 2
/// with a line that says `says` and shows no `secret`, and leave no file behind.
fn refused_everywhere(store: &str, says: &str, secret: &str) {
    let dir = TempDir::new("bad-store");
    let workflows = fixture("workflows.mjs");
    let mut all: Vec<Vec<&str>> = VERBS.iter().map(|v| v.to_vec()).collect();
    all.push(vec!["run", workflows.to_str().unwrap()]);
    for verb in all {
        let mut args = vec!["--store", store];
        args.extend_from_slice(&verb);
        let mut cmd = command(&args);
        cmd.current_dir(dir.path());
        let r = run_cmd(cmd);
        assert_eq!(r.code, 2, "{verb:?}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{verb:?}: {}", r.stderr);
        assert!(!r.stderr.contains(secret) && !r.stdout.contains(secret), "{verb:?} leaked the password: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{verb:?}: {}", r.stderr);
    }
    let left: Vec<_> = walk(dir.path());
    assert!(left.is_empty(), "files were created: {left:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        found.push(entry.path());
        if entry.path().is_dir() {
            found.extend(walk(&entry.path()));
        }
    }
    found
}

#[test]
fn an_unknown_scheme_is_refused_without_showing_the_password() {
    refused_everywhere(
        "mysql://root:hunter2@db/x",
        "error: unknown store 'mysql://root:***@db/x': 'mysql' is not a store duroxide knows",
        "hunter2",
    );
}

#[test]
fn a_mistyped_postgres_url_is_refused_without_showing_the_password() {
    refused_everywhere(
        "postgres//user:hunter2@host/db",
        "error: the store 'postgres//user:***@host/db' looks like a mistyped URL",
        "hunter2",
    );
}

#[test]
fn a_password_in_the_query_string_is_never_shown() {
    // Port 1 on loopback: refused at once, so the error quotes the location.
    let r = run(&["--store", "postgres://app@127.0.0.1:1/db?password=hunter2&sslmode=disable", "list"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("postgres://app@127.0.0.1:1/db?password=***&sslmode=disable"), "{}", r.stderr);
    assert!(!r.stderr.contains("hunter2"), "{}", r.stderr);
}

#[test]
fn a_closed_postgres_port_is_connection_refused_at_once() {
    let r = run(&["--store", "postgres://app:pw@127.0.0.1:1/db", "list"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stderr.trim(),
        "error: cannot connect to PostgreSQL at postgres://app:***@127.0.0.1:1/db: \
         connection refused (is PostgreSQL running and listening on 127.0.0.1:1?)"
    );
}

#[test]
#[cfg_attr(not(pg_tests), ignore = "needs DUROXIDE_TEST_PG_URL")]
fn a_refused_login_says_why_once() {
    let mut url = url::Url::parse(&std::env::var("DUROXIDE_TEST_PG_URL").unwrap()).unwrap();
    url.set_password(Some("not-the-password")).unwrap();
    let r = run(&["--store", url.as_str(), "list"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let why = "password authentication failed for user";
    assert_eq!(r.stderr.matches(why).count(), 1, "{}", r.stderr);
    assert!(!r.stderr.contains("not-the-password"), "{}", r.stderr);
}

#[test]
fn a_directory_as_the_store_says_so() {
    let dir = TempDir::new("dir-store");
    let r = run(&["--store", dir.path().to_str().unwrap(), "list"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.trim(), format!("error: the store {} is a directory, not a SQLite database file", dir.path().display()));
}

/// The worker banner shows the store without its password (PostgreSQL with `?password=`).
#[test]
#[cfg_attr(not(pg_tests), ignore = "needs DUROXIDE_TEST_PG_URL")]
fn the_worker_banner_hides_a_query_password() {
    let url = url::Url::parse(&std::env::var("DUROXIDE_TEST_PG_URL").unwrap()).unwrap();
    let password = url.password().unwrap().to_string();
    let mut bare = url.clone();
    bare.set_password(None).unwrap();
    let store = format!("{bare}?password={password}");
    let workflows = fixture("workflows.mjs");
    let schema = format!("banner_{}", std::process::id());
    let mut child =
        command(&["--store", &store, "--schema", &schema, "run", workflows.to_str().unwrap()]).stderr(Stdio::piped()).spawn().unwrap();
    let mut banner = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stderr.take().unwrap()), &mut banner).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(banner.starts_with("duroxide: serving "), "{banner}");
    assert!(banner.contains("?password=***"), "{banner}");
    assert!(!banner.contains(&format!("password={password}")), "{banner}");
}

/// Every verb on `db` fails at once with `says` (the pool would wait 30 s).
fn damage_is_said_by_every_verb(db: &std::path::Path, says: &str) {
    let store = format!("sqlite:{}", db.display());
    let workflows = fixture("workflows.mjs");
    let mut all: Vec<Vec<&str>> = VERBS.iter().map(|v| v.to_vec()).collect();
    all.push(vec!["run", workflows.to_str().unwrap()]);
    for verb in all {
        let mut args = vec!["--store", store.as_str()];
        args.extend_from_slice(&verb);
        let r = run(&args);
        assert_ne!(r.code, 0, "{verb:?}");
        assert_eq!(
            r.stderr.trim(),
            format!("error: the SQLite database {} is damaged: {says} (restore it from a backup)", db.display()),
            "{verb:?}"
        );
    }
}

#[test]
fn a_file_that_is_not_a_database_is_said_at_once() {
    let dir = TempDir::new("not-a-db");
    let db = dir.write("notes.db", &"this is not a database\n".repeat(400));
    damage_is_said_by_every_verb(&db, "file is not a database");
}

#[test]
fn a_database_with_damaged_pages_is_said_at_once() {
    let dir = TempDir::new("malformed");
    let db = dir.path().join("app.db");
    let store = format!("sqlite:{}", db.display());
    let workflows = fixture("workflows.mjs");
    let job = run(&["--store", &store, "run", workflows.to_str().unwrap(), "--start", "LongJob", "--input", "3", "--id", "j"]);
    assert_eq!(job.code, 0, "{}", job.stderr);
    // Everything into the main file, then pages 2-5 (where the tables start) overwritten.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        use sqlx::{ConnectOptions, Connection};
        let mut c = sqlx::sqlite::SqliteConnectOptions::new().filename(&db).connect().await.unwrap();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut c).await.unwrap();
        c.close().await.unwrap();
    });
    let mut bytes = std::fs::read(&db).unwrap();
    let page = 4096;
    assert!(bytes.len() >= 6 * page, "database unexpectedly small: {}", bytes.len());
    bytes[page..5 * page].fill(7);
    std::fs::write(&db, bytes).unwrap();
    damage_is_said_by_every_verb(&db, "database disk image is malformed");
}

/// `--sqlite-sync full` runs like the default; a value it does not know is one line and exit 2.
#[test]
fn sqlite_sync_is_normal_or_full() {
    let dir = TempDir::new("sqlite-sync");
    let store = format!("sqlite:{}", dir.path().join("app.db").display());
    let workflows = fixture("workflows.mjs");
    let job = run(&[
        "--store",
        &store,
        "--sqlite-sync",
        "full",
        "run",
        workflows.to_str().unwrap(),
        "--start",
        "LongJob",
        "--input",
        "2",
        "--id",
        "j",
    ]);
    assert_eq!(job.code, 0, "{}", job.stderr);
    let listed = run(&["--store", &store, "list"]);
    assert!(listed.stdout.contains("Completed"), "{}", listed.stdout);
    let r = run(&["--store", &store, "--sqlite-sync", "sometimes", "list"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.starts_with("error: invalid value 'sometimes' for '--sqlite-sync <SQLITE_SYNC>'"), "{}", r.stderr);
}
