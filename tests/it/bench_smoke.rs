//! The benchmark harness runs (tiny counts; no timing is asserted).

use std::process::Command;

use crate::support::repo;

/// Runs a harness under bench/ with python3 on the built binaries; its output, once it succeeded.
fn harness(args: &[&str]) -> String {
    let bin_dir = std::path::Path::new(crate::support::binary()).parent().unwrap().to_path_buf();
    let out = Command::new("python3").args(args).env("DUROXIDE_BENCH_BIN_DIR", &bin_dir).current_dir(repo()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{}\n{}", stdout, String::from_utf8_lossy(&out.stderr));
    stdout
}

#[test]
fn benchmark_harness_smoke_run_prints_the_comparison_table() {
    let built =
        Command::new(env!("CARGO")).args(["build", "--release", "-q", "-p", "duroxide-baseline"]).current_dir(repo()).status().unwrap();
    assert!(built.success(), "building the pure-Rust baseline failed");
    let stdout = harness(&["bench/bench.py", "--smoke", "--no-build"]);
    // duroxide-node joins when node and its addon can be installed; the harness says why not otherwise.
    let columns = "| workload | metric | duroxide (JS) | duroxide (JS), duroxide's built-in SQLite provider | pure Rust duroxide |";
    let with_node = format!("{columns} duroxide-node | JS / built-in | JS / Rust | JS / Node |");
    let without_node = format!("{columns} JS / built-in | JS / Rust |");
    assert!(stdout.starts_with(&with_node) || (stdout.starts_with(&without_node) && stdout.contains("\nduroxide-node: ")), "{stdout}");
    for row in [
        "| hello ×3 | orchestrations/s |",
        "| seq10 ×2 | activities/s |",
        "| fan100 ×1 |",
        "| timer ×2 |",
        "| replay1000 ×1 |",
        "p50 latency ms",
        "p95 latency ms",
        "cold start",
        "peak RSS MB",
    ] {
        assert!(stdout.contains(row), "missing {row}:\n{stdout}");
    }
    assert!(stdout.contains("| duroxide (JS) | metric | generator cache on | cache off | on / off |"), "{stdout}");
    assert!(stdout.contains("| disk limit (its rows in groups of 50, rusqlite) |"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("| duroxide (JS) | ") && l.ends_with("% |")), "{stdout}");
    assert!(
        stdout.contains(
            "| hello backlog, one worker | metric | duroxide (JS) | duroxide (JS), duroxide's built-in SQLite provider | ours / built-in |"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("| 100 queued | first completion, ms after start |"), "{stdout}");
    assert!(stdout.contains("100 queued keep "), "{stdout}");
    assert!(stdout.contains("| fetch 4 MB from loopback to disk (streams) | metric | duroxide (JS) |"), "{stdout}");
    assert!(stdout.contains("| 4 MB | MB/s |") && stdout.contains("| 4 MB | peak RSS MB |"), "{stdout}");
}

#[test]
fn soak_harness_smoke_run_prints_rounds_and_memory() {
    let stdout = harness(&["bench/soak.py", "--smoke", "--stores", "sqlite"]);
    assert!(stdout.starts_with("| store | round | instances | first done, s | all done, s |"), "{stdout}");
    let rounds: Vec<&str> = stdout.lines().filter(|l| l.starts_with("| SQLite | ")).collect();
    assert_eq!(rounds.len(), 2, "{stdout}");
    assert!(rounds.iter().all(|r| r.contains("| 20 |") && r.contains("| 0 |")), "20 instances, none failed:\n{stdout}");
    assert!(stdout.contains("SQLite: worker peak RSS "), "{stdout}");
}

#[test]
fn typescript_cold_start_benchmark_smoke_run_prints_its_table() {
    let stdout = harness(&["bench/ts_cold_start.py", "--runs", "1", "--lines", "60", "--binary", crate::support::binary()]);
    for row in ["| same code as .mjs (no TypeScript) |", "| .ts, cache off", "| .ts, empty cache", "| .ts, warm cache |"] {
        assert!(stdout.contains(row), "missing {row}:\n{stdout}");
    }
}

#[test]
fn dashboard_harness_smoke_run_prints_page_times_and_the_worker_comparison() {
    let stdout = harness(&["bench/dashboard.py", "--smoke"]);
    assert!(stdout.starts_with("| 300 instances in the store (our SQLite) | server ms p50 | server ms p95 |"), "{stdout}");
    for row in ["| list page (HTML), first page |", "| API list, first 50 |", "| instance live fragment |", "| metrics (API) |"] {
        assert!(stdout.contains(row), "missing {row}:\n{stdout}");
    }
    let worker = stdout.lines().find(|l| l.starts_with("| x20 (median of 1) |")).unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(worker.matches('%').count(), 2, "{worker}");
}
