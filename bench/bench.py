#!/usr/bin/env python3
"""Benchmarks duroxide (JS on the embedded runtime) against the duroxide crate
used directly from Rust, same workloads, same options, same store type, one run.

    python3 bench/bench.py            full run (a few minutes), prints a Markdown table
    python3 bench/bench.py --smoke    tiny counts, checks the harness works
    python3 bench/bench.py --no-build use the binaries already in target/release
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where cargo put the release binaries (DUROXIDE_BENCH_BIN_DIR overrides).
BIN = os.environ.get("DUROXIDE_BENCH_BIN_DIR") or os.path.join(
    os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "release")
JS = [os.path.join(BIN, "duroxide"), "run", os.path.join(ROOT, "bench/workloads.js")]
RUST = [os.path.join(BIN, "duroxide-baseline")]

FULL = [("hello", 200, "throughput"), ("seq10", 200, "throughput"), ("fan100", 20, "throughput"),
        ("timer", 200, "throughput"), ("replay1000", 1, "throughput"), ("hello", 50, "latency"),
        ("hello", 1, "cold"), ("hello", 1000, "memory")]
SMOKE = [("hello", 3, "throughput"), ("seq10", 2, "throughput"), ("fan100", 1, "throughput"),
         ("timer", 2, "throughput"), ("replay1000", 1, "throughput"), ("hello", 3, "latency"),
         ("hello", 1, "cold"), ("hello", 5, "memory")]


def run(command, workload, count, mode, replay):
    """One process on a fresh SQLite file: (result JSON, wall seconds, peak RSS in MB)."""
    folder = tempfile.mkdtemp(prefix="duroxide-bench-")
    try:
        program_mode = "latency" if mode == "latency" else "throughput"
        args = command + [workload, str(count), program_mode, os.path.join(folder, "bench.db"), str(replay)]
        # Files, not pipes: a chatty child must never block on a full pipe.
        out_path, err_path = os.path.join(folder, "out"), os.path.join(folder, "err")
        with open(out_path, "w") as out_file, open(err_path, "w") as err_file:
            start = time.monotonic()
            proc = subprocess.Popen(args, stdout=out_file, stderr=err_file, cwd=folder)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.monotonic() - start
        out, err = open(out_path).read(), open(err_path).read()
        if os.waitstatus_to_exitcode(status) != 0 or not out.strip():
            sys.exit(f"benchmark failed: {' '.join(args)}\n{out}\n{err}")
        return json.loads(out.strip().splitlines()[-1]), wall, usage.ru_maxrss / 1024
    finally:
        shutil.rmtree(folder, ignore_errors=True)


FAILURES = []


def measure(workload, count, mode, replay):
    js, js_wall, js_rss = run(JS, workload, count, mode, replay)
    rs, rs_wall, rs_rss = run(RUST, workload, count, mode, replay)
    for side, result in (("duroxide (JS)", js), ("pure Rust duroxide", rs)):
        if result.get("failed"):
            FAILURES.append(f"{side}, {workload} ×{count} ({mode}): {result['failed']} instance(s) ended Failed")
    if mode == "throughput":
        rows = [(f"{workload} ×{count}", "orchestrations/s", js["orchPerSec"], rs["orchPerSec"], "higher")]
        if js["actPerSec"]:
            rows.append((f"{workload} ×{count}", "activities/s", js["actPerSec"], rs["actPerSec"], "higher"))
        return rows
    if mode == "latency":
        return [(f"{workload} ×{count}, one at a time", "p50 latency ms", js["p50Ms"], rs["p50Ms"], "lower"),
                (f"{workload} ×{count}, one at a time", "p95 latency ms", js["p95Ms"], rs["p95Ms"], "lower")]
    if mode == "cold":
        return [("cold start (fresh store)", "process start to first hello done, ms", js["firstDoneMs"], rs["firstDoneMs"], "lower"),
                ("cold start (fresh store)", "whole process, ms", js_wall * 1000, rs_wall * 1000, "lower")]
    return [(f"{workload} ×{count}", "peak RSS MB", js_rss, rs_rss, "lower")]


def fmt(v):
    return "-" if v is None else (f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--workspace", "-q"], cwd=ROOT, check=True)
    plan, replay = (SMOKE, 20) if args.smoke else (FULL, 1000)
    rows = []
    for workload, count, mode in plan:
        print(f"  {workload} ×{count} ({mode})...", file=sys.stderr, flush=True)
        rows += measure(workload, count, mode, replay)
    print("| workload | metric | duroxide (JS) | pure Rust duroxide | JS / Rust |")
    print("|---|---|---:|---:|---:|")
    for name, metric, js, rs, better in rows:
        ratio = js / rs if js and rs else None
        note = "" if ratio is None else (" (better)" if (ratio > 1) == (better == "higher") and abs(ratio - 1) > 0.05 else "")
        print(f"| {name} | {metric} | {fmt(js)} | {fmt(rs)} | {fmt(ratio)}×{note} |")
    for failure in FAILURES:
        print(f"\nFailed instances: {failure}")


if __name__ == "__main__":
    main()
