"""Live-ingest benchmark: events/s through the whole path while reader threads run
certified metric queries, query p50/p95 idle vs during ingest (same run), and event -> visible
(posted -> counted by a query on the published snapshot) p50/p95.

    .venv/bin/python benchmarks/bench_ingest.py                  # builds a 20k-ticket demo copy
    .venv/bin/python benchmarks/bench_ingest.py --db data/warehouse.duckdb --batch 100 --json

``--via http`` (default): client threads POST pre-encoded JSON batches of ``--batch`` events
(keep-alive) to the server's real endpoint (``benchmarks/ingest_endpoint.py``: API key,
validation, durable inbox; ``--server-workers`` uvicorn workers, as ``serve`` starts 2) while
the writer process (``servicepilot ingest run``) applies and publishes; the rate is events
posted / (first post -> inbox empty after the last). Then a paced feed of ``--feed-rate``
events/s for ``--feed-seconds`` with the readers querying (query p95 at a sustained rate) and
one marker ticket a second timed from post to visible. ``--via inbox``: the batches are stored in
the inbox before the writer starts (the writer's own rate, no HTTP). Everything runs on this
machine: the client, the server workers, the writer and the readers share its cores.
The warehouse is copied to a temp dir first (never changed). Goals (issue 17): >= 5,000
events/s with query p95 <= 1.5x idle; event -> visible p95 <= 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from semantic_layer.executor import execute  # noqa: E402
from semantic_layer.query import MetricQuery, TimeRange  # noqa: E402
from tools.ingest.keys import key_hash  # noqa: E402
from tools.ingest.writer import Inbox  # noqa: E402
from tools.warehouse.engine import make_engine  # noqa: E402


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def p95(values: list[float]) -> float:
    return quantile(values, 0.95)


class Readers:
    """``threads`` loops of a certified metric query; latencies in ms."""

    def __init__(self, url: str, threads: int, today: date) -> None:
        self.engine = make_engine(url, read_only=True)
        self.query = MetricQuery(
            metrics=("ticket_volume", "sla_compliance"),
            dimensions=("region",),
            time_range=TimeRange(start=today - timedelta(days=90), end=today + timedelta(1)),
        )
        self.threads = threads
        self.samples: list[tuple[float, float]] = []  # (time.monotonic() at start, ms)
        self.stop = threading.Event()
        self._workers: list[threading.Thread] = []

    def _loop(self) -> None:
        while not self.stop.is_set():
            at, started = time.monotonic(), time.perf_counter()
            execute(self.query, self.engine)
            self.samples.append((at, (time.perf_counter() - started) * 1000))

    def run_for(self, seconds: float) -> list[float]:
        self.start()
        time.sleep(seconds)
        return self.finish()

    def start(self) -> None:
        self.samples, self.stop = [], threading.Event()
        # daemon: a failed run must not leave them querying forever (a run whose client failed
        # once never ended that way)
        self._workers = [
            threading.Thread(target=self._loop, daemon=True) for _ in range(self.threads)
        ]
        for worker in self._workers:
            worker.start()

    def finish(self) -> list[float]:
        self.stop.set()
        for worker in self._workers:
            worker.join()
        return [ms for _, ms in self.samples]


def count_ids(engine: sa.Engine, ids: list[str]) -> set[str]:
    with engine.connect() as conn:
        found = conn.execute(
            sa.text("SELECT ticket_id FROM tickets WHERE ticket_id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": ids},
        )
        return {r[0] for r in found}


class Feeder:
    """The posting client (``benchmarks/ingest_feeder.py``) in its own process, so its JSON and
    HTTP work never compete for this process's GIL with the reader threads timed here. It
    encodes its bodies before ``go()``; ``wait()`` returns its report."""

    def __init__(self, via: str, ingest_dir: Path, port: int, key: str, clients: int,
                 per_post: int, nice: int, env: dict) -> None:  # fmt: skip
        target = (
            ["--port", str(port), "--key", key] if via == "http" else ["--inbox", str(ingest_dir)]
        )
        self.base = [
            sys.executable, "-m", "benchmarks.ingest_feeder", *target,
            "--clients", str(clients), "--batch", str(per_post), "--nice", str(nice),
        ]  # fmt: skip
        self.env = {**env, "PYTHONPATH": f"{ROOT}:{env['PYTHONPATH']}"}
        self.process: subprocess.Popen | None = None

    def prepare(self, *mode: str) -> Feeder:
        self.process = subprocess.Popen(
            [*self.base, *mode], env=self.env, cwd=ROOT, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise SystemExit(f"the feeder did not start: {self.process.wait()}")
        return self

    def go(self) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait(self) -> dict:
        assert self.process is not None and self.process.stdout is not None
        report = json.loads(self.process.stdout.readline())
        self.process.wait()
        if report["errors"]:
            raise SystemExit(f"ingest endpoint refused a post: {report['errors'][0]}")
        return report

    def run(self, *mode: str) -> dict:
        self.prepare(*mode).go()
        return self.wait()


def cpu_seconds(root_pid: int) -> float:
    """User + system CPU seconds of a process and its descendants so far (Linux /proc). CPU
    per event does not depend on how loaded the shared machine is, wall-clock rates do."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    family, total = {root_pid}, 0.0
    changed = True
    while changed:
        grown = {pid for pid, (ppid, _) in stats.items() if ppid in family} | family
        changed, family = grown != family, grown
    for pid in family:
        total += stats.get(pid, (0, 0.0))[1]
    return total


def settled_cpu(pid: int, quiet_s: float = 2.0, limit_s: float = 90.0) -> float:
    """CPU seconds of ``pid`` once it has gone quiet (< 5 % of a core over ``quiet_s``): the
    writer's rules thread and its last publish finish after the inbox is empty, and belong to
    the burst's cost."""
    last, deadline = cpu_seconds(pid), time.monotonic() + limit_s
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = cpu_seconds(pid)
        if now - last < 0.05 * quiet_s:
            return now
        last = now
    return last


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_endpoint(env: dict, port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "benchmarks.ingest_endpoint:app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],  # fmt: skip
        env=env,
        cwd=env["PYTHONPATH"].split(":")[0],
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("the ingest endpoint did not start within 180 s")


def inbox_empty(inbox: Inbox) -> bool:
    """No batch waits (stops at the first file: the inbox may hold tens of thousands)."""
    try:
        with os.scandir(inbox.new) as entries:
            return not any(entry.name.endswith(".json") for entry in entries)
    except FileNotFoundError:
        return True


def wait_drained(inbox: Inbox) -> None:
    while not inbox_empty(inbox):
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="DuckDB warehouse to copy (default: build 20k)")
    parser.add_argument("--events", type=int, default=60_000, help="events in the burst")
    parser.add_argument("--batch", type=int, default=1_000, help="events per posted batch")
    parser.add_argument("--via", choices=("http", "inbox"), default="http")
    parser.add_argument("--clients", type=int, default=2, help="posting connections (http)")
    parser.add_argument("--server-workers", type=int, default=2)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--publish-every", type=float, default=5.0)
    parser.add_argument("--feed-rate", type=int, default=500, help="events/s, freshness phase")
    parser.add_argument("--feed-seconds", type=int, default=40, help="freshness phase length")
    parser.add_argument(
        "--idle-seconds", type=int, default=15, help="each idle window (before and after)"
    )
    parser.add_argument("--no-burst", action="store_true", help="only the paced feed")
    parser.add_argument(
        "--pause-every",
        type=int,
        default=0,
        help="paced feed in windows: after this many seconds of feed, pause as long with the "
        "writer stopped (idle windows interleaved under the same outside load)",
    )
    parser.add_argument(
        "--feeder-nice", type=int, default=0, help="os.nice() of the posting client process"
    )
    parser.add_argument(
        "--no-rules", action="store_true", help="writer without the customer rules per batch"
    )
    parser.add_argument("--code", type=Path, help="source tree of the endpoint and writer")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]

    work = Path(tempfile.mkdtemp(prefix="sp-bench-ingest-"))
    warehouse = work / "warehouse.duckdb"
    if args.db:
        shutil.copyfile(args.db, warehouse)
    else:
        from tools.demo_data.generator import generate_demo_warehouse

        generate_demo_warehouse(
            f"duckdb:///{warehouse}", tickets=20_000, seed=42, end=date.today() - timedelta(1)
        )
    url = f"duckdb:///{warehouse}"
    # --code: the tree whose endpoint and writer run (an older checkout for a before/after);
    # this tree follows it on the path for benchmarks/ingest_endpoint.py.
    code = args.code.resolve() if args.code else ROOT
    env = {**os.environ, "PYTHONPATH": f"{code}:{ROOT}", "SERVICEPILOT_DATA_DIR": str(work)}
    inbox = Inbox(work / "ingest")
    key = "spk_bench-" + os.urandom(8).hex()
    inbox.new.parent.mkdir(parents=True, exist_ok=True)
    (work / "ingest" / "keys.yml").write_text(
        f"sources:\n  bench: {{key_sha256: {key_hash(key)}}}\n"
    )
    server = None
    port = free_port()
    if args.via == "http":
        server = start_endpoint(env, port, args.server_workers)
    feeder = Feeder(
        args.via, work / "ingest", port, key, args.clients, args.batch, args.feeder_nice, env
    )
    batches = max(1, args.events // args.batch)
    events_total = batches * args.batch

    # A first publish turns the file into the link + snapshot layout before measuring.
    subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ingest", "run", "--once", "--db", str(warehouse)],
        env=env,
        check=True,
        capture_output=True,
    )
    readers = Readers(url, args.readers, date.today())
    readers.run_for(3)  # warm-up
    idle = readers.run_for(args.idle_seconds)

    def burst(prefix: str, minutes_ago: int) -> list[str]:
        return ["burst", "--prefix", prefix, "--events", str(events_total),
                "--minutes-ago", str(minutes_ago)]  # fmt: skip

    writer_cmd = [
        sys.executable, "-m", "assistant.cli", "ingest", "run", "--db", str(warehouse),
        "--publish-every", str(args.publish_every), *(["--no-rules"] if args.no_rules else []),
    ]  # fmt: skip
    result: dict = {"code": str(code), "via": args.via, "events_per_post": args.batch}
    # 1. Burst while readers query. --via inbox: stored first, then the writer starts.
    # --via http: the writer runs while the client posts.
    if args.via == "inbox" and not args.no_burst:
        feeder.run(*burst("B", 30))
    writer = subprocess.Popen(writer_cmd, env=env, stderr=subprocess.DEVNULL)
    try:
        time.sleep(5)  # the writer's start-up (imports, open) is not ingest time
        if not args.no_burst:
            if args.via == "http":
                feeder.prepare(*burst("B", 30))
            readers.start()
            server_cpu = cpu_seconds(server.pid) if server else 0.0
            writer_cpu = cpu_seconds(writer.pid)
            started = time.perf_counter()
            if args.via == "http":
                feeder.go()
                posted_s = feeder.wait()["posting_s"]
            else:
                posted_s = 0.0
            wait_drained(inbox)
            burst_s = time.perf_counter() - started
            busy = readers.finish()
            server_cpu = cpu_seconds(server.pid) - server_cpu if server else 0.0
            writer_cpu = settled_cpu(writer.pid) - writer_cpu

            # 1b. The same burst with no queries running: the whole path's own rate here.
            feeder.prepare(*burst("A", 20))
            started = time.perf_counter()
            feeder.go()
            feeder.wait()
            wait_drained(inbox)
            alone_per_s = events_total / (time.perf_counter() - started)
            settled_cpu(writer.pid)
            result |= {
                "events": events_total,
                "burst_seconds": round(burst_s, 2),
                "posting_seconds": round(posted_s, 2),
                "events_per_s": round(events_total / burst_s),
                "events_per_s_no_queries": round(alone_per_s),
                # CPU per event of the burst (endpoint: HTTP + JSON + validation + inbox;
                # writer: read, stage, fold, commit, publish, and the rules it ran after the
                # inbox emptied)
                "endpoint_cpu_us_per_event": round(server_cpu / events_total * 1e6, 1),
                "writer_cpu_us_per_event": round(writer_cpu / events_total * 1e6, 1),
                "events_per_cpu_s": round(events_total / max(server_cpu + writer_cpu, 1e-9)),
                "query_p50_during_ingest_ms": round(quantile(busy, 0.5), 1),
                "query_p95_during_ingest_ms": round(p95(busy), 1),
                "queries_during_ingest": len(busy),
            }

        # 2. A paced --feed-rate events/s feed (posts spread over each second) with one marker
        # ticket a second, timed from its post's 202 to a query finding it; the readers query
        # throughout (query p95 at a sustained rate: no source posts flat out for long).
        visible: dict[str, float] = {}
        engine = make_engine(url, read_only=True)
        markers = [f"M-{second}" for second in range(args.feed_seconds)]

        def look() -> None:
            waiting = [m for m in markers if m not in visible]
            if waiting:
                for found in count_ids(engine, waiting):
                    visible[found] = time.time()

        pause = args.pause_every
        feeder.prepare(
            "paced", "--rate", str(args.feed_rate), "--seconds", str(args.feed_seconds),
            "--pause-every", str(pause),
        )  # fmt: skip
        readers.start()
        feed_started, go_at = time.perf_counter(), time.monotonic()
        feeder.go()
        # --pause-every: the feed pauses as long as it ran, and the writer is stopped
        # (SIGSTOP) meanwhile, so the readers see idle windows between ingest windows under
        # the same outside load; the writer catches up in the next ingest window.
        paused: list[tuple[float, float, float, float]] = []  # monotonic from, to; wall from, to
        stopped_at: tuple[float, float] | None = None
        last_look = 0.0
        while feeder.running():
            if time.monotonic() - last_look >= 0.25:
                look()
                last_look = time.monotonic()
            if pause:
                off = int((time.monotonic() - go_at) // pause) % 2 == 1
                if off and stopped_at is None:
                    os.kill(writer.pid, signal.SIGSTOP)
                    stopped_at = (time.monotonic(), time.time())
                elif not off and stopped_at is not None:
                    os.kill(writer.pid, signal.SIGCONT)
                    paused.append((stopped_at[0], time.monotonic(), stopped_at[1], time.time()))
                    stopped_at = None
            time.sleep(0.02)
        if stopped_at is not None:
            os.kill(writer.pid, signal.SIGCONT)
            paused.append((stopped_at[0], time.monotonic(), stopped_at[1], time.time()))
        report = feeder.wait()
        feed_s = time.perf_counter() - feed_started
        paced = readers.finish()
        in_pause = [any(a <= at < b for a, b, _, _ in paused) for at, _ in readers.samples]
        feed_off = [ms for (_, ms), off in zip(readers.samples, in_pause, strict=True) if off]
        feed_on = [ms for (_, ms), off in zip(readers.samples, in_pause, strict=True) if not off]
        deadline = time.monotonic() + 120
        while len(visible) < len(markers) and time.monotonic() < deadline:
            look()
            time.sleep(0.2)
        engine.dispose()
        # 3. Idle again once the writer has finished (applied, published, rules): the machine
        # is shared, so the ratio is taken against both idle windows.
        settled_cpu(writer.pid)
        idle_after = readers.run_for(args.idle_seconds)
    finally:
        readers.stop.set()
        os.kill(writer.pid, signal.SIGCONT)
        writer.terminate()
        writer.wait()
        if server is not None:
            server.terminate()
            server.wait()
        readers.engine.dispose()
    posted = report["markers"]

    def lag(marker: str) -> float:
        """Posted -> visible, less the time the writer was stopped meanwhile."""
        start, end = posted[marker], visible[marker]
        stopped = sum(max(0.0, min(end, b) - max(start, a)) for _, _, a, b in paused)
        return end - start - stopped

    lags = [lag(m) for m in visible if m in posted]
    feeding_s = report["posting_s"] - sum(b - a for a, b, _, _ in paused)
    both = idle + idle_after
    result |= {
        "cores": os.cpu_count(),
        "query_p50_idle_ms": round(quantile(both, 0.5), 1),
        "query_p95_idle_ms": round(p95(both), 1),
        "query_p95_idle_before_after_ms": (round(p95(idle), 1), round(p95(idle_after), 1)),
        "queries_idle": len(both),
        "reader_threads": args.readers,
        "publish_every_s": args.publish_every,
        "feed_events_per_s": round(report["events"] / max(feeding_s, args.feed_seconds)),
        "feed_seconds": round(feed_s, 1),
        "query_p50_during_feed_ms": round(quantile(paced, 0.5), 1),
        "query_p95_during_feed_ms": round(p95(paced), 1),
        "query_p95_feed_ratio": round(p95(paced) / p95(both), 2),
        **(
            {
                "pause_every_s": pause,
                "query_p50_p95_feed_windows_ms": (
                    round(quantile(feed_on, 0.5), 1),
                    round(p95(feed_on), 1),
                ),
                "query_p50_p95_paused_windows_ms": (
                    round(quantile(feed_off, 0.5), 1),
                    round(p95(feed_off), 1),
                ),
                "query_p95_feed_vs_paused_ratio": round(p95(feed_on) / p95(feed_off), 2),
                "queries_feed_paused_windows": (len(feed_on), len(feed_off)),
            }
            if pause
            else {}
        ),
        "queries_during_feed": len(paced),
        "visible_p50_s": round(quantile(lags, 0.5), 2),
        "visible_p95_s": round(p95(lags), 2),
        "markers_visible": f"{len(visible)}/{len(markers)}",
        "rules_per_batch": not args.no_rules,
        "load_avg_1min_start_end": (round(load_before, 1), round(os.getloadavg()[0], 1)),
    }
    if "query_p95_during_ingest_ms" in result:
        result["query_p95_ratio"] = round(result["query_p95_during_ingest_ms"] / p95(both), 2)
    shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for key_name, value in result.items():
        print(f"{key_name:<30} {value}")


if __name__ == "__main__":
    main()
