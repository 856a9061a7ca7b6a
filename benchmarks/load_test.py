"""Bounded load test of the web server's `/ask` API on 127.0.0.1.

Starts `servicepilot serve` on a free 127.0.0.1 port over a demo warehouse (``--db``; default:
a 40k-ticket one built in a temp dir), then runs ``--sessions`` concurrent chat sessions (one
``gradio_client.Client`` each, logged in as the demo users) for ``--duration`` seconds, each
asking a rotating mix of zh/en questions. Every latency and error is recorded. The server is
stopped by PID. Baseline, measured in the same run: the same questions answered in-process by
``Assistant.ask``, sequentially.

The server's per-user rate limit (SERVICEPILOT_RATE_LIMIT_PER_MINUTE) is set to 100000 in the
server's environment for this test; a real deployment keeps its own limit.

    .venv/bin/python benchmarks/load_test.py --duration 300 --sessions 20
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TODAY = "2026-11-22"
RATE_LIMIT = "100000"
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
QUESTIONS = (
    "上个月华东区的客户满意度是多少？",
    "What was CSAT by region last month?",
    "上个月各渠道的工单量",
    "Which channels breached SLA most last quarter?",
    "近30天的投诉量按大区",
    "What was NPS last month compared with the previous month?",
    "上个月首次响应时长中位数是多少？",
    "What was the complaint volume by category last month?",
    "上季度华北区的一次解决率",
    "What was ticket volume by week last month?",
)


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


def build_demo(tmp: Path) -> str:
    from tools.demo_data.generator import generate_demo_warehouse

    path = tmp / "warehouse.duckdb"
    t0 = time.perf_counter()
    generate_demo_warehouse(f"duckdb:///{path}", tickets=40_000, seed=7, end=date(2026, 10, 31))
    print(f"built demo warehouse (40,000 tickets) in {time.perf_counter() - t0:.1f} s")
    return str(path)


def start_server(db: str, tmp: Path, port: int) -> tuple[subprocess.Popen, Path]:
    env = dict(os.environ)
    env.update(
        SERVICEPILOT_DATA_DIR=str(tmp / "data"),
        SERVICEPILOT_CHROMA_DIR=str(tmp / "chroma"),
        SERVICEPILOT_RATE_LIMIT_PER_MINUTE=RATE_LIMIT,
        SERVICEPILOT_TODAY=TODAY,
        GRADIO_ANALYTICS_ENABLED="False",
        HF_HUB_OFFLINE="1",
        PYTHONUNBUFFERED="1",
    )
    log = tmp / "serve.log"
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
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
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
    return proc, log


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


def run_load(url: str, sessions: int, duration: float, max_requests: int) -> dict:
    from gradio_client import Client

    latencies: list[float] = []
    errors: Counter[str] = Counter()
    lock = threading.Lock()
    start_barrier = threading.Barrier(sessions + 1)
    end_at: list[float] = [0.0]

    def session(n: int) -> None:
        user, password = USERS[n % len(USERS)]
        try:
            client = Client(url, auth=(user, password), verbose=False)
        except Exception as exc:
            with lock:
                errors[f"connect: {type(exc).__name__}: {str(exc)[:120]}"] += 1
            start_barrier.wait()
            return
        start_barrier.wait()
        i = n
        for _ in range(max_requests):  # bounded
            if time.monotonic() >= end_at[0]:
                break
            question = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            t0 = time.perf_counter()
            try:
                got = client.predict(question, "", api_name="/ask")
                ok = isinstance(got, dict) and bool(got.get("answer"))
                problem = None if ok else f"bad answer: {str(got)[:120]}"
            except Exception as exc:
                problem = f"{type(exc).__name__}: {str(exc)[:120]}"
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                if problem:
                    errors[problem] += 1

    threads = [threading.Thread(target=session, args=(n,), daemon=True) for n in range(sessions)]
    for t in threads:
        t.start()
    start_barrier.wait()
    t0 = time.monotonic()
    end_at[0] = t0 + duration
    for t in threads:
        t.join(timeout=duration + 120)
    wall = time.monotonic() - t0
    return {"latencies": latencies, "errors": errors, "wall": wall}


def baseline(db: str, rounds: int) -> list[float]:
    from assistant.app import build_app
    from assistant.planning.plans import ConversationState

    app = build_app(None, "bench", warehouse=db)
    assistant = app.assistant
    today = date.fromisoformat(TODAY)
    out = []
    try:
        for r in range(rounds):
            for n, question in enumerate(QUESTIONS):
                role = ROLES[USERS[(n + r) % len(USERS)][0]]
                t0 = time.perf_counter()
                assistant.ask(question, state=ConversationState(today=today, role=role, user="b"))
                out.append(time.perf_counter() - t0)
    finally:
        app.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="DuckDB file (default: build a 40k demo)")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--duration", type=float, default=300.0, help="seconds")
    parser.add_argument("--max-requests", type=int, default=100_000, help="per session cap")
    parser.add_argument("--baseline-rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    with tempfile.TemporaryDirectory(prefix="sp-load-") as tmp_name:
        tmp = Path(tmp_name)
        db = str(Path(args.db).resolve()) if args.db else build_demo(tmp)
        port = free_port()
        t0 = time.perf_counter()
        proc, log = start_server(db, tmp, port)
        print(
            f"server pid {proc.pid} on http://127.0.0.1:{port} "
            f"(up in {time.perf_counter() - t0:.1f} s; rate limit {RATE_LIMIT}/min/user)"
        )
        try:
            load = run_load(
                f"http://127.0.0.1:{port}", args.sessions, args.duration, args.max_requests
            )
        finally:
            stop(proc)
            print(f"server stopped (exit {proc.returncode})")
        base = baseline(f"duckdb:///{db}", args.baseline_rounds)

    lat, errors = load["latencies"], load["errors"]
    total, n_err = len(lat), sum(errors.values())
    print(
        f"\nload: {args.sessions} sessions x {args.duration:.0f} s, {len(QUESTIONS)} zh/en "
        f"questions rotating"
    )
    print(
        f"requests {total}, errors {n_err}, throughput {total / load['wall']:.1f} req/s "
        f"over {load['wall']:.1f} s"
    )
    for name, q in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99)):
        print(f"  {name} {percentile(lat, q) * 1000:8.1f} ms")
    if lat:
        print(f"  max {max(lat) * 1000:8.1f} ms, mean {statistics.mean(lat) * 1000:.1f} ms")
    for problem, count in errors.most_common(10):
        print(f"  error x{count}: {problem}")
    b50, b95 = percentile(base, 0.50), percentile(base, 0.95)
    print(
        f"baseline (in-process Assistant.ask, sequential, {len(base)} asks): "
        f"p50 {b50 * 1000:.1f} ms, p95 {b95 * 1000:.1f} ms, "
        f"{len(base) / sum(base):.1f} asks/s"
    )
    if lat:
        print(
            f"ratio under load / baseline: p50 {percentile(lat, 0.5) / b50:.1f}x, "
            f"p95 {percentile(lat, 0.95) / b95:.1f}x"
        )
    goal = n_err == 0 and percentile(lat, 0.95) <= 2.0
    print(f"goal (0 errors, p95 <= 2 s): {'met' if goal else 'NOT met'}")


if __name__ == "__main__":
    main()
