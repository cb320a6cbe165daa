//! The disk limit for `hello`: the rows one `hello` must persist in duroxide's SQLite schema (its instance,
//! its execution, its 4 history events, the final status), written through prepared statements in
//! transactions of 50 hellos, WAL with synchronous=NORMAL (the store's own settings), on a fresh file.
//! No queues, no locks, no reads: what any store of these rows cannot beat on this disk.
//!
//!     duroxide-disk-limit [COUNT] [FOLDER]      prints {"hellosPerSec": N, "count": COUNT}

use std::time::Instant;

use rusqlite::{params, Connection};

const GROUP: usize = 50;

const SCHEMA: &str = "
    CREATE TABLE instances (instance_id TEXT PRIMARY KEY, orchestration_name TEXT NOT NULL,
        orchestration_version TEXT NOT NULL, current_execution_id INTEGER NOT NULL DEFAULT 1,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
    CREATE TABLE executions (instance_id TEXT NOT NULL, execution_id INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'Running', output TEXT, started_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        completed_at TIMESTAMP, PRIMARY KEY (instance_id, execution_id));
    CREATE TABLE history (instance_id TEXT NOT NULL, execution_id INTEGER NOT NULL, event_id INTEGER NOT NULL,
        event_type TEXT NOT NULL, event_data TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        PRIMARY KEY (instance_id, execution_id, event_id));";

/// The history of a `hello` (one activity) as duroxide 0.1.32 stores it: 4 events (the issue counted 6;
/// `duroxide history` of bench/workloads.js's hello shows these 4).
const EVENTS: [(&str, &str); 4] = [
    ("OrchestrationStarted", r#""name":"hello","version":"1.0.0","input":"\"World\"","parent_instance":null,"parent_id":null"#),
    ("ActivityScheduled", r#""name":"Work","input":"\"World\"""#),
    ("ActivityCompleted", r#""result":"\"Hello, World!\"""#),
    ("OrchestrationCompleted", r#""output":"\"Hello, World!\"""#),
];

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let folder = args.next().map(std::path::PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let path = folder.join(format!("duroxide-disk-limit-{}.db", std::process::id()));
    let result = measure(&path, count);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    match result {
        Ok(per_second) => println!("{{\"hellosPerSec\": {per_second:.1}, \"count\": {count}}}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}

fn measure(path: &std::path::Path, count: usize) -> rusqlite::Result<f64> {
    let mut db = Connection::open(path)?;
    db.pragma_update(None, "journal_mode", "WAL")?;
    db.pragma_update(None, "synchronous", "NORMAL")?;
    db.execute_batch(SCHEMA)?;
    let start = Instant::now();
    for group in 0..count.div_ceil(GROUP) {
        let tx = db.transaction()?;
        {
            let mut instance = tx.prepare_cached(
                "INSERT INTO instances (instance_id, orchestration_name, orchestration_version) VALUES (?1, 'Hello', '1.0.0')",
            )?;
            let mut execution = tx.prepare_cached("INSERT INTO executions (instance_id, execution_id) VALUES (?1, 1)")?;
            let mut event = tx.prepare_cached(
                "INSERT INTO history (instance_id, execution_id, event_id, event_type, event_data) VALUES (?1, 1, ?2, ?3, ?4)",
            )?;
            let mut done = tx.prepare_cached(
                "UPDATE executions SET status = 'Completed', output = ?2, completed_at = ?3 WHERE instance_id = ?1 AND execution_id = 1",
            )?;
            for n in group * GROUP..((group + 1) * GROUP).min(count) {
                let id = format!("hello-{n}");
                instance.execute(params![id])?;
                execution.execute(params![id])?;
                for (k, (kind, fields)) in EVENTS.iter().enumerate() {
                    let data = format!(
                        "{{\"event_id\":{},\"source_event_id\":null,\"instance_id\":\"{id}\",\"execution_id\":1,\"timestamp_ms\":1796000000000,\"duroxide_version\":\"0.1.32\",\"type\":\"{kind}\",{fields}}}",
                        k + 1
                    );
                    event.execute(params![id, k as i64 + 1, kind, data])?;
                }
                done.execute(params![id, "\"Hello, World!\"", 1_796_000_000_000_i64])?;
            }
        }
        tx.commit()?;
    }
    Ok(count as f64 / start.elapsed().as_secs_f64())
}
