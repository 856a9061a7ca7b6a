"""Bounded load test of the web server on 127.0.0.1: N chat sessions, one vs several workers.

For each ``--workers`` value (e.g. ``0,2``: 0 answers in the server process, 2 in two
worker processes behind it) it starts ``servicepilot serve`` on a free 127.0.0.1 port over a
demo warehouse (``--db``; default: a 40k-ticket one built in a temp dir, with a small
similar-case index), runs ``--sessions`` concurrent chat sessions (one ``gradio_client.Client``
each — the browser's API — signed in as the demo users of four roles) for ``--duration``
seconds, and stops the server by PID. Each session asks, in a rotating order, metric questions
in zh and en, a why, and a similar-case search. The first ``--warmup`` seconds are not timed.
Variants run in a random order per ``--rounds`` round; the load average is printed around
each, as the machine may be shared. Baseline, measured in the same run: the same questions
answered in-process by ``Assistant.ask``, one at a time.

The server's per-user rate limit (SERVICEPILOT_RATE_LIMIT_PER_MINUTE) is set to 100000 for
this test; a real deployment keeps its own limit.

    .venv/bin/python benchmarks/bench_load.py --sessions 20 --duration 300 --workers 0,2
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TODAY = "2026-11-22"
RATE_LIMIT = "100000"
INDEX_CASES = 500
USERS = (
    ("exec", "exec-demo"),
    ("analyst", "analyst-demo"),
    ("east", "east-demo"),
    ("north", "north-demo"),
)
ROLES = {
    "exec": "executive",
    "analyst": "analyst",
    "east": "east_manager",
    "north": "north_manager",
}
# (kind, question): what a service team asks in a day, both languages.
QUESTIONS = (
    ("metric", "上个月华东区的客户满意度是多少？"),
    ("metric", "What was CSAT by region last month?"),
    ("metric", "上个月各渠道的工单量"),
    ("metric", "Which channels breached SLA most last quarter?"),
    ("why", "为什么上个月投诉量上升了？"),
    ("metric", "近30天的投诉量按大区"),
    ("metric", "What was NPS last month compared with the previous month?"),
    ("cases", "有没有类似的案例：快递一直没到，物流太慢"),
    ("metric", "上个月首次响应时长中位数是多少？"),
    ("metric", "What was the complaint volume by category last month?"),
    ("why", "Why did complaints rise last month?"),
    ("metric", "上季度华北区的一次解决率"),
    ("cases", "similar cases: the washing machine leaks water after installation"),
    ("metric", "What was ticket volume by week last month?"),
)
INDEX_SCRIPT = """
import itertools, sys
from tools.cases.indexer import index_cases
from tools.cases.sources import warehouse_records
from tools.cases.store import open_store
store = open_store(None, create=True)
index_cases(store, itertools.islice(warehouse_records(sys.argv[1]), int(sys.argv[2])))
"""
REQUEST_TIMEOUT_S = 120  # a slow answer is measured, not turned into an error
READY = re.compile(r"ServicePilot ready in ([\d.]+)s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def server_env(tmp: Path, chroma: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SERVICEPILOT_DATA_DIR=str(tmp / "data"),
        SERVICEPILOT_CHROMA_DIR=str(chroma),
        SERVICEPILOT_RATE_LIMIT_PER_MINUTE=RATE_LIMIT,
        SERVICEPILOT_TOOL_RATE_LIMIT_PER_MINUTE=RATE_LIMIT,
        SERVICEPILOT_TODAY=TODAY,
        GRADIO_ANALYTICS_ENABLED="False",
        HF_HUB_OFFLINE="1",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
    )
    return env


def build_demo(tmp: Path) -> str:
    from tools.demo_data.generator import generate_demo_warehouse

    path = tmp / "warehouse.duckdb"
    t0 = time.perf_counter()
    generate_demo_warehouse(f"duckdb:///{path}", tickets=40_000, seed=7, end=date(2026, 10, 31))
    print(f"built demo warehouse (40,000 tickets) in {time.perf_counter() - t0:.1f} s")
    return str(path)


def build_index(db: str, tmp: Path, chroma: Path) -> None:
    if chroma.is_dir() and any(chroma.iterdir()):
        print(f"similar-case index: {chroma} (kept)")
        return
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", INDEX_SCRIPT, f"duckdb:///{db}", str(INDEX_CASES)],
        env=server_env(tmp, chroma),
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    print(f"indexed {INDEX_CASES:,} cases in {time.perf_counter() - t0:.1f} s")


def start_server(
    db: str, tmp: Path, chroma: Path, workers: int
) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    log = tmp / f"serve-{workers}-{port}.log"
    cmd = [
        sys.executable,
        "-m",
        "assistant.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--db",
        db,
        "--today",
        TODAY,
        "--workers",
        str(workers),
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd, env=server_env(tmp, chroma), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while True:
        try:
            with urllib.request.urlopen(url + "/config", timeout=2):
                break
        except urllib.error.HTTPError:  # 401 before login: up
            break
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop(proc)
                raise SystemExit(f"server did not start:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.25)
    return proc, url, log


def wait_warm(proc: subprocess.Popen, log: Path, workers: int, timeout_s: float = 300) -> str:
    """Wait for the server's background warm-ups (the alert scan; the case index and model in
    the server or in each worker), so the timed load does not share the cores with them."""
    from assistant.commands.serve import WARMED

    want = 1 + max(1, workers)
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s and proc.poll() is None:
        if log.read_text().count(WARMED) >= want:
            return f"warm-ups done {time.monotonic() - t0:.1f} s after ready"
        time.sleep(0.5)
    return f"warm-ups NOT all done after {time.monotonic() - t0:.0f} s (timed anyway)"


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its live children (Linux /proc):
    the server's cost of the load, whatever share of the cores the machine gave it."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pids = 0.0, [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            pids += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def check_answer(kind: str, got: object) -> str | None:
    """None when ``got`` is a real answer of the asked kind, else what is wrong."""
    if not isinstance(got, dict) or not got.get("answer"):
        return f"bad answer: {str(got)[:120]}"
    want = {"metric": "metric", "why": "root_cause", "cases": "case_search"}[kind]
    if got.get("kind") != want:
        return f"{kind}: answered as {got.get('kind')}: {str(got.get('answer'))[:80]}"
    return None


def run_load(url: str, pid: int, sessions: int, duration: float, warmup: float, cap: int) -> dict:
    from gradio_client import Client

    latencies: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    lock, connecting = threading.Lock(), threading.Lock()
    window = [0.0, 0.0]  # timed from, until
    active: set[int] = set()  # sessions that asked in the timed window

    def open_window() -> None:  # runs once, before any session is released
        t0 = time.monotonic()
        window[0], window[1] = t0 + warmup, t0 + warmup + duration

    start_barrier = threading.Barrier(sessions + 1, action=open_window)

    def session(n: int) -> None:
        user, password = USERS[n % len(USERS)]
        try:
            with connecting:  # sign in one at a time, as users arrive; not timed
                client = Client(
                    url,
                    auth=(user, password),
                    verbose=False,
                    httpx_kwargs={"timeout": REQUEST_TIMEOUT_S},
                )
        except Exception as exc:
            with lock:
                errors[f"connect: {type(exc).__name__}: {str(exc)[:120]}"] += 1
            start_barrier.wait()
            return
        start_barrier.wait()
        i = n
        for _ in range(cap):  # bounded
            if time.monotonic() >= window[1]:
                break
            kind, question = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            t0 = time.perf_counter()
            began = time.monotonic()
            try:
                problem = check_answer(kind, client.predict(question, "", api_name="/ask"))
            except Exception as exc:
                problem = f"{type(exc).__name__}: {str(exc)[:120]}"
            elapsed = time.perf_counter() - t0
            if began < window[0]:  # warm-up: not timed, but an error still counts
                if problem:
                    with lock:
                        errors[f"(warm-up) {problem}"] += 1
                continue
            with lock:
                active.add(n)
                latencies[kind].append(elapsed)
                if problem:
                    errors[problem] += 1

    threads = [threading.Thread(target=session, args=(n,), daemon=True) for n in range(sessions)]
    for t in threads:
        t.start()
    start_barrier.wait()
    time.sleep(max(0.0, window[0] - time.monotonic()))
    cpu0 = tree_cpu_s(pid)
    for t in threads:
        t.join(timeout=duration + 180)
    cpu = tree_cpu_s(pid) - cpu0
    wall = max(1e-9, time.monotonic() - window[0])
    return {
        "latencies": latencies,
        "errors": errors,
        "wall": wall,
        "cpu_s": cpu,
        "active": len(active),
    }


def baseline(db: str, rounds: int) -> list[float]:
    from assistant.app import build_app
    from assistant.planning.plans import ConversationState

    app = build_app(None, "bench", warehouse=db)
    assistant = app.assistant
    today = date.fromisoformat(TODAY)
    out = []
    try:
        for r in range(rounds):
            for n, (_, question) in enumerate(QUESTIONS):
                role = ROLES[USERS[(n + r) % len(USERS)][0]]
                t0 = time.perf_counter()
                assistant.ask(question, state=ConversationState(today=today, role=role, user="b"))
                if r > 0:  # the first round warms caches
                    out.append(time.perf_counter() - t0)
    finally:
        app.close()
    return out


def report(name: str, load: dict, loads: tuple[tuple[float, ...], tuple[float, ...]]) -> dict:
    every = [x for values in load["latencies"].values() for x in values]
    n_err = sum(v for k, v in load["errors"].items())
    print(f"\n== {name}")
    print(
        f"sessions asking {load['active']}, requests {len(every)}, errors {n_err}, "
        f"throughput {len(every) / load['wall']:.1f} "
        f"req/s over {load['wall']:.0f} s; load average before {loads[0][0]:.1f}, "
        f"after (1/5/15 min) {' / '.join(f'{x:.1f}' for x in loads[1])}"
    )
    print(f"  {'kind':<8}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for kind, values in [("all", every), *sorted(load["latencies"].items())]:
        print(
            f"  {kind:<8}{len(values):>6}{percentile(values, 0.5) * 1000:>10.0f}"
            f"{percentile(values, 0.95) * 1000:>10.0f}{percentile(values, 0.99) * 1000:>10.0f}"
            f"{(max(values) if values else float('nan')) * 1000:>10.0f}"
        )
    cpu_ms = load["cpu_s"] * 1000 / max(1, len(every))
    print(
        f"  server CPU (server + workers) {load['cpu_s']:.0f} s = {cpu_ms:.0f} ms per request "
        f"({load['cpu_s'] / load['wall']:.2f} cores used on average)"
    )
    for problem, count in load["errors"].most_common(8):
        print(f"  error x{count}: {problem}")
    return {
        "p50": percentile(every, 0.5),
        "p95": percentile(every, 0.95),
        "p99": percentile(every, 0.99),
        "load": (loads[0][0], loads[1][0]),
        "errors": n_err,
        "rps": len(every) / load["wall"],
        "cpu_ms": cpu_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="DuckDB file (default: build a 40k demo)")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--duration", type=float, default=300.0, help="timed seconds")
    parser.add_argument("--warmup", type=float, default=20.0, help="untimed seconds first")
    parser.add_argument(
        "--workers", default=f"0,{os.cpu_count() or 2}", help="comma list of --workers values"
    )
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--max-requests", type=int, default=100_000, help="per session cap")
    parser.add_argument("--baseline-rounds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=None, help="order of the variants")
    parser.add_argument(
        "--index-dir", type=Path, default=None, help="similar-case index to use or build (kept)"
    )
    args = parser.parse_args()
    variants = [int(w) for w in args.workers.split(",")]
    rng = random.Random(args.seed)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    print(
        f"{args.sessions} sessions x {args.duration:.0f} s (+{args.warmup:.0f} s warm-up), "
        f"{len(QUESTIONS)} questions rotating (metric zh/en, why, case search); "
        f"{os.cpu_count()} cores; workers variants {variants}, {args.rounds} round(s)"
    )
    results: dict[int, list[dict]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="sp-load-") as tmp_name:
        tmp = Path(tmp_name)
        db = str(Path(args.db).resolve()) if args.db else build_demo(tmp)
        chroma = args.index_dir.resolve() if args.index_dir else tmp / "chroma"
        build_index(db, tmp, chroma)
        for r in range(args.rounds):
            order = rng.sample(variants, len(variants))
            for workers in order:
                proc, url, log = start_server(db, tmp, chroma, workers)
                ready = READY.search(log.read_text())
                try:
                    warm = wait_warm(proc, log, workers)
                    print(
                        f"\nround {r + 1}: --workers {workers}: server pid {proc.pid} on {url} "
                        f"(ready in {ready.group(1) if ready else '?'} s; {warm})"
                    )
                    before = os.getloadavg()
                    load = run_load(
                        url,
                        proc.pid,
                        args.sessions,
                        args.duration,
                        args.warmup,
                        args.max_requests,
                    )
                finally:
                    stop(proc)
                name = f"--workers {workers} (round {r + 1}, server exit {proc.returncode})"
                results[workers].append(report(name, load, (before, os.getloadavg())))
        base = baseline(f"duckdb:///{db}", args.baseline_rounds)

    b50, b95 = percentile(base, 0.50), percentile(base, 0.95)
    print(
        f"\nbaseline (in-process Assistant.ask, one at a time, {len(base)} asks): "
        f"p50 {b50 * 1000:.0f} ms, p95 {b95 * 1000:.0f} ms"
    )
    first = variants[0]
    print(
        "summary — CPU ms/req: CPU of the server and its workers per answered request; "
        "load: 1-min load average before -> after the timed window (2 cores: above 2 the "
        "machine was shared, and latencies are pessimistic)"
    )
    print(
        f"{'workers':<9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>8}{'errors':>8}"
        f"{'p95/base':>10}{f'p95 vs {first}':>12}{'CPU ms/req':>12}{'load':>13}"
    )
    ref95 = min(x["p95"] for x in results[first])
    for workers in variants:
        for res in results[workers]:
            load = f"{res['load'][0]:.1f} -> {res['load'][1]:.1f}"
            print(
                f"{workers:<9}{res['p50'] * 1000:>9.0f}{res['p95'] * 1000:>9.0f}"
                f"{res['p99'] * 1000:>9.0f}{res['rps']:>8.1f}{res['errors']:>8}"
                f"{res['p95'] / b95:>10.1f}{res['p95'] / ref95:>12.2f}{res['cpu_ms']:>12.0f}"
                f"{load:>13}"
            )
    for workers in variants:
        met = all(x["errors"] == 0 and x["p95"] <= 2.0 for x in results[workers])
        print(
            f"goal (0 errors, p95 <= 2 s) with --workers {workers}: {'met' if met else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
