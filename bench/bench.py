#!/usr/bin/env python3
"""Benchmarks duroxide (JS on the embedded runtime) against the duroxide crate
used directly from Rust and against duroxide-node (Node.js + the SDK's native
addon), same workloads, same options, same store type, one run.

    python3 bench/bench.py            full run (several minutes), prints Markdown tables
    python3 bench/bench.py --smoke    tiny counts, checks the harness works
    python3 bench/bench.py --no-build use the binaries already in target/release
    python3 bench/bench.py --no-node  leave out the duroxide-node column
    python3 bench/bench.py --compare OTHER/duroxide
                                      adds a column for another build of duroxide
                                      (e.g. before a change), measured in the same run
"""
import argparse, http.server, json, os, shutil, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
# Where cargo put the release binaries (DUROXIDE_BENCH_BIN_DIR overrides).
BIN = os.environ.get("DUROXIDE_BENCH_BIN_DIR") or os.path.join(TARGET, "release")
WORKLOADS = os.path.join(ROOT, "bench/workloads.js")
# duroxide-node: the SDK's native addon from npm, driven by bench/node/duroxide
# (the SDK's own JS package is not on the registry reachable here).
NODE_ADDON = "duroxide-linux-x64-gnu@0.1.29"
NODE_PREFIX = os.path.join(TARGET, "bench-node")

JS, BUILT_IN, RUST, NODE, OTHER = ("duroxide (JS)", "duroxide (JS), duroxide's built-in SQLite provider", "pure Rust duroxide",
                                   "duroxide-node", "other duroxide (--compare)")
COMMANDS = {
    JS: ([os.path.join(BIN, "duroxide"), "run", WORKLOADS], {}),
    BUILT_IN: ([os.path.join(BIN, "duroxide"), "run", WORKLOADS], {}),
    RUST: ([os.path.join(BIN, "duroxide-baseline")], {}),
    NODE: (["node", WORKLOADS],
           {"NODE_PATH": os.pathsep.join([os.path.join(ROOT, "bench/node"), os.path.join(NODE_PREFIX, "node_modules")])}),
}

FULL = [("hello", 200, "throughput"), ("seq10", 200, "throughput"), ("fan100", 20, "throughput"),
        ("timer", 200, "throughput"), ("replay1000", 1, "throughput"), ("hello", 50, "latency"),
        ("hello", 1, "cold"), ("hello", 1000, "memory")]
SMOKE = [("hello", 3, "throughput"), ("seq10", 2, "throughput"), ("fan100", 1, "throughput"),
         ("timer", 2, "throughput"), ("replay1000", 1, "throughput"), ("hello", 3, "latency"),
         ("hello", 1, "cold"), ("hello", 5, "memory")]
# A backlog: every hello queued before the runtime starts (one worker). The built-in provider's 10,000 would take
# ~5 minutes, so it runs the smaller ones only.
BACKLOG_FULL = [1000, 10000]
BACKLOG_SMOKE = [20, 100]
BACKLOG_BUILT_IN_MAX = 3000
# The store a side opens its file through (a prefix of the path).
STORE_SCHEME = {BUILT_IN: "sqlite+sqlx:"}
# What the generator cache buys: the JS side with it (default) and without it.
CACHE_FULL = [("replay1000", 1), ("seq10", 200), ("fan100", 20)]
CACHE_SMOKE = [("replay1000", 1)]

FAILURES = []

FETCH_SCRIPT = os.path.join(ROOT, "bench/fetch_to_disk.js")


def serve_bytes(size):
    """A loopback HTTP server that answers every GET with `size` bytes; (url, server)."""
    block = bytes(range(256)) * 4096  # 1 MiB

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("content-type", "application/octet-stream")
            self.send_header("content-length", str(size))
            self.end_headers()
            sent = 0
            while sent < size:
                part = block[: min(len(block), size - sent)]
                self.wfile.write(part)
                sent += len(part)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/blob", server


def download(side, url):
    """fetch_to_disk.js under one side: (MB/s, peak RSS MB)."""
    command = {JS: [os.path.join(BIN, "duroxide"), "run", FETCH_SCRIPT], NODE: ["node", FETCH_SCRIPT]}[side]
    folder = tempfile.mkdtemp(prefix="duroxide-bench-fetch-")
    try:
        out_path = os.path.join(folder, "out")
        with open(out_path, "w") as out_file:
            proc = subprocess.Popen(command + [url, os.path.join(folder, "blob")], stdout=out_file, stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"download benchmark failed under {side}")
        result = json.loads(open(out_path).read().strip().splitlines()[-1])
        return result["mbPerSec"], usage.ru_maxrss / 1024
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(side, workload, count, mode, replay, env=None):
    """One process on a fresh SQLite file: (result JSON, wall seconds, peak RSS in MB)."""
    command, side_env = COMMANDS[side]
    folder = tempfile.mkdtemp(prefix="duroxide-bench-")
    try:
        program_mode = mode if mode in ("latency", "backlog") else "throughput"
        db = STORE_SCHEME.get(side, "") + os.path.join(folder, "bench.db")
        args = command + [workload, str(count), program_mode, db, str(replay)]
        # Files, not pipes: a chatty child must never block on a full pipe.
        out_path, err_path = os.path.join(folder, "out"), os.path.join(folder, "err")
        with open(out_path, "w") as out_file, open(err_path, "w") as err_file:
            start = time.monotonic()
            proc = subprocess.Popen(args, stdout=out_file, stderr=err_file, cwd=folder,
                                    env={**os.environ, **side_env, **(env or {})})
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.monotonic() - start
        out, err = open(out_path).read(), open(err_path).read()
        if os.waitstatus_to_exitcode(status) != 0 or not out.strip():
            sys.exit(f"benchmark failed: {' '.join(args)}\n{out}\n{err[-3000:]}")
        result = json.loads(out.strip().splitlines()[-1])
        if result.get("failed"):
            FAILURES.append(f"{side}, {workload} ×{count} ({mode}): {result['failed']} instance(s) ended Failed")
        return result, wall, usage.ru_maxrss / 1024
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def metrics(workload, count, mode, result, wall, rss):
    """(row name, metric, value, which way is better) for one run."""
    if mode == "throughput":
        rows = [(f"{workload} ×{count}", "orchestrations/s", result["orchPerSec"], "higher")]
        if result["actPerSec"]:
            rows.append((f"{workload} ×{count}", "activities/s", result["actPerSec"], "higher"))
        return rows
    if mode == "latency":
        return [(f"{workload} ×{count}, one at a time", "p50 latency ms", result["p50Ms"], "lower"),
                (f"{workload} ×{count}, one at a time", "p95 latency ms", result["p95Ms"], "lower")]
    if mode == "cold":
        return [("cold start (fresh store)", "process start to first hello done, ms", result["firstDoneMs"], "lower"),
                ("cold start (fresh store)", "whole process, ms", wall * 1000, "lower")]
    return [(f"{workload} ×{count}", "peak RSS MB", rss, "lower")]


def measure(sides, workload, count, mode, replay):
    """Rows of (name, metric, better, [value per side])."""
    per_side = [metrics(workload, count, mode, *run(side, workload, count, mode, replay)) for side in sides]
    return [(name, metric, better, [rows[k][2] for rows in per_side])
            for k, (name, metric, _, better) in enumerate(per_side[0])]


def fmt(v):
    return "-" if v is None else (f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}")


def ratio_cell(a, b, better):
    if not a or not b:
        return "-"
    ratio = a / b
    note = " (better)" if (ratio > 1) == (better == "higher") and abs(ratio - 1) > 0.05 else ""
    return f"{fmt(ratio)}×{note}"


def table(title, columns, ratio_names, rows):
    """Columns of values, then each other column's ratio to the first."""
    print(f"| {title} | metric | " + " | ".join(columns + ratio_names) + " |")
    print("|---|---|" + "---:|" * (len(columns) + len(ratio_names)))
    for name, metric, better, values in rows:
        ratios = [ratio_cell(values[0], v, better) for v in values[1:]]
        print(f"| {name} | {metric} | " + " | ".join([fmt(v) for v in values] + ratios) + " |")


def backlog(counts):
    """One worker, `count` hellos queued before it starts: throughput and the first completion, ours and the
    built-in provider's, and how much of the smallest backlog's throughput the largest keeps."""
    rows = []
    for count in counts:
        print(f"  hello backlog of {count}...", file=sys.stderr, flush=True)
        results = [run(side, "hello", count, "backlog", 0)[0] if side == JS or count <= BACKLOG_BUILT_IN_MAX else None
                   for side in (JS, BUILT_IN)]
        rows += [(f"{count} queued", "orchestrations/s", "higher", [r and r["orchPerSec"] for r in results]),
                 (f"{count} queued", "first completion, ms after start", "lower", [r and r["firstDoneMs"] for r in results])]
    table("hello backlog, one worker", [JS, BUILT_IN], ["ours / built-in"], rows)
    speeds = [values[0] for name, metric, _, values in rows if metric == "orchestrations/s"]
    print(f"\n{counts[-1]} queued keep {100 * speeds[-1] / speeds[0]:.0f}% of the throughput with {counts[0]} queued (ours).")


def disk_limit(rows, count):
    """How close `hello` comes to what the disk allows: the rows a hello must persist, written in transactions
    of 50 by bench/baseline/src/disk_limit.rs (rusqlite, WAL, synchronous=NORMAL)."""
    print(f"  disk limit ({count} hellos)...", file=sys.stderr, flush=True)
    done = subprocess.run([os.path.join(BIN, "duroxide-disk-limit"), str(count)], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"duroxide-disk-limit failed: {done.stderr}")
    limit = json.loads(done.stdout.strip().splitlines()[-1])["hellosPerSec"]
    hello = next(values[0] for name, metric, _, values in rows if name.startswith("hello ×") and metric == "orchestrations/s")
    print("| hello | orchestrations/s | % of the disk limit |\n|---|---:|---:|")
    print(f"| disk limit (its rows in groups of 50, rusqlite) | {fmt(limit)} | 100% |")
    print(f"| duroxide (JS) | {fmt(hello)} | {100 * hello / limit:.1f}% |")


def node_available():
    """Installs the duroxide-node addon once; None when it can be used, else why not."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm not installed"
    if not os.path.isdir(os.path.join(NODE_PREFIX, "node_modules", NODE_ADDON.split("@")[0])):
        done = subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix", NODE_PREFIX, NODE_ADDON],
                              capture_output=True, text=True)
        if done.returncode != 0:
            return f"npm install {NODE_ADDON} failed: {done.stderr.strip().splitlines()[-1:]}"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--no-node", action="store_true")
    parser.add_argument("--compare", metavar="BIN", help="another duroxide binary to measure beside this one")
    args = parser.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--workspace", "-q"], cwd=ROOT, check=True)
    sides = [JS, BUILT_IN, RUST]
    no_node = "left out (--no-node)" if args.no_node else node_available()
    if no_node is None:
        sides.append(NODE)
    if args.compare:
        COMMANDS[OTHER] = ([os.path.abspath(args.compare), "run", WORKLOADS], {})
        sides.append(OTHER)
    plan, cache_plan, replay = (SMOKE, CACHE_SMOKE, 20) if args.smoke else (FULL, CACHE_FULL, 1000)
    rows = []
    for workload, count, mode in plan:
        print(f"  {workload} ×{count} ({mode})...", file=sys.stderr, flush=True)
        rows += measure(sides, workload, count, mode, replay)
    cache_rows = []
    for workload, count in cache_plan:
        print(f"  {workload} ×{count} (generator cache on/off)...", file=sys.stderr, flush=True)
        on, _, on_rss = run(JS, workload, count, "throughput", replay)
        off, _, off_rss = run(JS, workload, count, "throughput", replay, {"DUROXIDE_GENERATOR_CACHE": "0"})
        cache_rows += [(f"{workload} ×{count}", "activities/s", "higher", [on["actPerSec"], off["actPerSec"]]),
                       (f"{workload} ×{count}", "peak RSS MB", "lower", [on_rss, off_rss])]
    short = {BUILT_IN: "built-in", RUST: "Rust", NODE: "Node", OTHER: "other"}
    table("workload", sides, [f"JS / {short[s]}" for s in sides[1:]], rows)
    if no_node:
        print(f"\nduroxide-node: {no_node}")
    print()
    disk_limit(rows, 500 if args.smoke else 20000)
    print()
    backlog(BACKLOG_SMOKE if args.smoke else BACKLOG_FULL)
    print()
    table("duroxide (JS)", ["generator cache on", "cache off"], ["on / off"], cache_rows)
    size = (4 if args.smoke else 100) * 1000 * 1000
    url, server = serve_bytes(size)
    fetch_sides = [JS] + ([NODE] if NODE in sides else [])
    print(f"  fetch {size // 1000000} MB to disk...", file=sys.stderr, flush=True)
    measured = [download(side, url) for side in fetch_sides]
    server.shutdown()
    print()
    table(f"fetch {size // 1000000} MB from loopback to disk (streams)", fetch_sides,
          [f"JS / Node"] if len(fetch_sides) > 1 else [],
          [(f"{size // 1000000} MB", "MB/s", "higher", [m[0] for m in measured]),
           (f"{size // 1000000} MB", "peak RSS MB", "lower", [m[1] for m in measured])])
    for failure in FAILURES:
        print(f"\nFailed instances: {failure}")


if __name__ == "__main__":
    main()
