#!/usr/bin/env python3
"""Soak: one worker (`duroxide run bench/soak/workflows.mjs`) serves rounds of
10,000 instances (two activities and a timer each) that another process starts
all at once (bench/soak/drive.js). Per round: time to the first completion,
time until all are done, and the worker's resident memory after the round; and
the worker's peak. A leak shows as memory growing round after round.

    python3 bench/soak.py                       SQLite, and PostgreSQL if DUROXIDE_TEST_PG_URL is set
    python3 bench/soak.py --rounds 3 --count 10000 --pg URL
    python3 bench/soak.py --stores postgres     one store only (sqlite, postgres)
    python3 bench/soak.py --smoke               tiny counts, checks the harness works
"""
import argparse, json, os, signal, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
BINARY = os.path.join(os.environ.get("DUROXIDE_BENCH_BIN_DIR") or os.path.join(TARGET, "release"), "duroxide")
WORKFLOWS = os.path.join(ROOT, "bench/soak/workflows.mjs")
DRIVE = os.path.join(ROOT, "bench/soak/drive.js")


def rss_mb(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def store_mb(store):
    """The SQLite file with its WAL, in MB; None for PostgreSQL."""
    if not store.startswith("sqlite:"):
        return None
    path = store[len("sqlite:"):]
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p)) / 1e6


class Worker:
    """The worker process, with its stderr in a file and 'serving' awaited."""

    def __init__(self, store, schema, folder):
        args = [BINARY, "run", WORKFLOWS, "--store", store]
        if schema:
            args += ["--schema", schema]
        self.log = open(os.path.join(folder, "worker.log"), "w+")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.log, cwd=folder)
        deadline = time.monotonic() + 60
        while "duroxide: serving" not in open(self.log.name).read():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"the worker did not start:\n{open(self.log.name).read()[-2000:]}")
            time.sleep(0.05)

    def stop(self):
        peak = rss_mb(self.proc.pid, "VmHWM")
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        return peak


def soak(label, store, schema, rounds, count, folder):
    worker = Worker(store, schema, folder)
    rows = []
    try:
        for round_ in range(1, rounds + 1):
            print(f"  {label}: round {round_} of {rounds}, {count} instances...", file=sys.stderr, flush=True)
            drive = subprocess.run([BINARY, "run", DRIVE, store, schema or "-", str(round_), str(count)],
                                   capture_output=True, text=True, cwd=folder)
            if drive.returncode != 0:
                sys.exit(f"the round failed:\n{drive.stdout}\n{drive.stderr[-3000:]}")
            result = json.loads(drive.stdout.strip().splitlines()[-1])
            result["rss"] = rss_mb(worker.proc.pid)
            result["size"] = store_mb(store)
            rows.append(result)
    finally:
        peak = worker.stop()
    return rows, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--pg", default=os.environ.get("DUROXIDE_TEST_PG_URL"), help="PostgreSQL URL (default: DUROXIDE_TEST_PG_URL)")
    parser.add_argument("--stores", default="sqlite,postgres", help="which stores, comma-separated (default: both)")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.rounds, args.count = 2, 20
    wanted = args.stores.split(",")
    stores = ([("SQLite", None)] if "sqlite" in wanted else []) + ([("PostgreSQL", args.pg)] if args.pg and "postgres" in wanted else [])
    print(f"| store | round | instances | first done, s | all done, s | instances/s | failed | worker RSS after, MB | SQLite file, MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    summaries = []
    for label, url in stores:
        with tempfile.TemporaryDirectory(prefix="duroxide-soak-") as folder:
            store = url or "sqlite:" + os.path.join(folder, "soak.db")
            schema = f"soak_{os.getpid()}" if url else None
            rows, peak = soak(label, store, schema, args.rounds, args.count, folder)
        for r in rows:
            print(f"| {label} | {r['round']} | {r['count']} | {r['firstDoneMs'] / 1000:.2f} | {r['allDoneMs'] / 1000:.1f} "
                  f"| {r['count'] / (r['allDoneMs'] / 1000):.0f} | {r['failed']} | {r['rss']:.0f} "
                  f"| {'-' if r['size'] is None else format(r['size'], '.0f')} |")
        summaries.append(f"{label}: worker peak RSS {peak:.0f} MB; RSS after round {args.rounds} minus after round 1: "
                         f"{rows[-1]['rss'] - rows[0]['rss']:+.0f} MB")
    print()
    for line in summaries:
        print(line)


if __name__ == "__main__":
    main()
