#!/usr/bin/env python3
"""The dashboard's costs, measured in one run (issue 15):

1. Server time per page of the instance list with 10,000 instances in the store (our SQLite store),
   p50/p95 of the `Server-Timing` header the dashboard sets, per kind of page.
2. What an open dashboard costs a worker: hello x200 (and x2000) with `--ui` and a client polling the list
   and the metrics once a second (and ten times), against the same worker without a dashboard, rounds
   interleaved, every run on a store with one finished instance (the dashboard needs a file to open).

    python3 bench/dashboard.py            full run (about two minutes), prints Markdown tables
    python3 bench/dashboard.py --smoke    tiny counts, checks the harness works
"""
import argparse, http.client, json, os, re, shutil, socket, statistics, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
BIN = os.path.join(os.environ.get("DUROXIDE_BENCH_BIN_DIR") or os.path.join(TARGET, "release"), "duroxide")
WORKLOADS = os.path.join(ROOT, "bench/workloads.js")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_ms(conn, path):
    """One GET on a kept-alive connection: (status, body, server time in ms)."""
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    timing = re.search(r"dur=([0-9.]+)", r.getheader("server-timing") or "")
    return r.status, body, float(timing.group(1)) if timing else None


def fill(db, count):
    """`count` hellos run to completion in a fresh store at `db`."""
    done = subprocess.run([BIN, "run", WORKLOADS, "hello", str(count), "throughput", db, "0"], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"filling the store failed: {done.stderr[-2000:]}")


def wait_listening(port, proc):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the dashboard exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("the dashboard did not listen")


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def page_times(instances, requests):
    folder = tempfile.mkdtemp(prefix="duroxide-dash-bench-")
    try:
        db = os.path.join(folder, "list.db")
        print(f"  filling a store with {instances} instances...", file=sys.stderr, flush=True)
        fill(db, instances)
        port = free_port()
        proc = subprocess.Popen([BIN, "--store", f"sqlite:{db}", "ui", "--listen", f"127.0.0.1:{port}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            wait_listening(port, proc)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            # A cursor deep in the list: walk the API's pages to the middle.
            cursor, depth = None, max(1, instances // 100)
            for _ in range(depth):
                _, body, _ = server_ms(conn, "/api/instances?limit=50" + (f"&cursor={cursor}" if cursor else ""))
                cursor = json.loads(body)["next"] or cursor
            kinds = [
                ("list page (HTML), first page", "/"),
                (f"list page (HTML), page {depth + 1} by cursor", f"/?cursor={cursor}"),
                ("API list, first 50", "/api/instances"),
                ("API list, status=Completed", "/api/instances?status=Completed"),
                ("API list, name=hello", "/api/instances?name=hello"),
                ("API list, id search q=-77", "/api/instances?q=-77"),
                ("instance page (HTML)", "/instances/hello-7"),
                ("instance live fragment", "/instances/hello-7/live"),
                ("metrics (API)", "/api/metrics"),
            ]
            rows = []
            for name, path in kinds:
                times = []
                for _ in range(requests):
                    status, _, ms = server_ms(conn, path)
                    if status != 200:
                        sys.exit(f"{path}: HTTP {status}")
                    times.append(ms)
                rows.append((name, pct(times, 0.5), pct(times, 0.95)))
            return rows
        finally:
            proc.terminate()
            proc.wait()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def poll(port, stop, every):
    """An open dashboard: the list and the metrics fragment, every `every` seconds, from the start of the run."""
    conn = None
    while not stop.is_set():
        try:
            conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            for path in ("/", "/metrics/live"):
                server_ms(conn, path)
        except OSError:
            conn = None
        stop.wait(every)


def hello_run(count, with_ui, every=1.0):
    folder = tempfile.mkdtemp(prefix="duroxide-dash-bench-")
    try:
        db = os.path.join(folder, "w.db")
        command = [BIN, "--store", f"sqlite:{db}", "run"]
        port = None
        # Both sides start from the same store: one finished instance (the dashboard needs a file to open).
        fill(db, 1)
        if with_ui:
            port = free_port()
            command.append(f"--ui=127.0.0.1:{port}")
        command += [WORKLOADS, "hello", str(count), "throughput", db, "0"]
        stop = threading.Event()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        poller = None
        if with_ui:
            wait_listening(port, proc)
            poller = threading.Thread(target=poll, args=(port, stop, every), daemon=True)
            poller.start()
        out, _ = proc.communicate()
        stop.set()
        if poller:
            poller.join()
        if proc.returncode != 0:
            sys.exit(f"hello x{count} failed")
        return json.loads(out.strip().splitlines()[-1])["orchPerSec"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    # A hello x200 run lasts ~0.15 s, so its rounds vary by +-10%: many of them.
    instances, requests, counts = (300, 5, [(20, 1)]) if args.smoke else (10000, 200, [(200, 15), (2000, 7)])
    rows = page_times(instances, requests)
    print(f"| {instances} instances in the store (our SQLite) | server ms p50 | server ms p95 |\n|---|---:|---:|")
    for name, p50, p95 in rows:
        print(f"| {name} | {p50:.2f} | {p95:.2f} |")
    print()
    print("| worker, hello | without dashboard, orch/s | dashboard polled 1/s | 10/s | 1/s / without | 10/s / without |")
    print("|---|---:|---:|---:|---:|---:|")
    sides = [(False, None), (True, 1.0), (True, 0.1)]
    for count, rounds in counts:
        results = [[] for _ in sides]
        for round_ in range(rounds):
            print(f"  hello x{count}: a round without, with a dashboard polled 1/s, 10/s...", file=sys.stderr, flush=True)
            # Each round starts with another side, so none always runs first or last.
            for k in range(len(sides)):
                side = (round_ + k) % len(sides)
                with_ui, every = sides[side]
                results[side].append(hello_run(count, with_ui, every or 1.0))
        a, b, c = (statistics.median(r) for r in results)
        print(f"| x{count} (median of {rounds}) | {a:.0f} | {b:.0f} | {c:.0f} | {100 * b / a:.0f}% | {100 * c / a:.0f}% |")


if __name__ == "__main__":
    main()
