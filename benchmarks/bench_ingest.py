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
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
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


def ticket(ticket_id: str, at: datetime) -> dict:
    stamp = at.isoformat(timespec="seconds")
    return {
        "kind": "ticket",
        "id": ticket_id,
        "event_time": stamp,
        "data": {
            "customer_id": f"C-bench-{ticket_id}",  # one customer each: no repeat-contact rule
            "channel": "phone",
            "ticket_type": "complaint",
            "category": "quality",
            "priority": "normal",
            "status": "open",
            "region": "east",
            "created_at": stamp,
            "sla_due_at": (at + timedelta(days=1)).isoformat(timespec="seconds"),
        },
    }


def batch(prefix: str, size: int, at: datetime) -> list[dict]:
    """Half new tickets, half first-response updates of them (a realistic mix)."""
    half = size // 2
    events = [ticket(f"{prefix}-{i}", at) for i in range(half)]
    events += [
        {
            "kind": "ticket_update",
            "id": f"{prefix}-{i}",
            "change": "first_response",
            "event_time": (at + timedelta(minutes=5)).isoformat(timespec="seconds"),
        }
        for i in range(half)
    ]
    return events


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
        self.latencies: list[float] = []
        self.stop = threading.Event()
        self._workers: list[threading.Thread] = []

    def _loop(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            execute(self.query, self.engine)
            self.latencies.append((time.perf_counter() - started) * 1000)

    def run_for(self, seconds: float) -> list[float]:
        self.start()
        time.sleep(seconds)
        return self.finish()

    def start(self) -> None:
        self.latencies, self.stop = [], threading.Event()
        self._workers = [threading.Thread(target=self._loop) for _ in range(self.threads)]
        for worker in self._workers:
            worker.start()

    def finish(self) -> list[float]:
        self.stop.set()
        for worker in self._workers:
            worker.join()
        return self.latencies


def count_ids(engine: sa.Engine, ids: list[str]) -> set[str]:
    with engine.connect() as conn:
        found = conn.execute(
            sa.text("SELECT ticket_id FROM tickets WHERE ticket_id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": ids},
        )
        return {r[0] for r in found}


class Poster:
    """Posts batches to the ingest endpoint (``port``) or stores them in the inbox directly."""

    def __init__(self, via: str, inbox: Inbox, port: int, key: str, clients: int) -> None:
        self.via, self.inbox, self.port, self.key, self.clients = via, inbox, port, key, clients

    def post_all(self, batches: list[list[dict]]) -> None:
        """Post every batch (``clients`` keep-alive connections in parallel); bodies are encoded
        beforehand so the client's own JSON work is not timed as the server's."""
        if self.via == "inbox":
            for events in batches:
                self.inbox.put("bench", events)
            return
        bodies = [json.dumps(events).encode() for events in batches]
        slices = [bodies[i :: self.clients] for i in range(self.clients)]
        errors: list[str] = []
        threads = [
            threading.Thread(target=self._post_slice, args=(part, errors)) for part in slices
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise SystemExit(f"ingest endpoint refused a post: {errors[0]}")

    def _post_slice(self, bodies: list[bytes], errors: list[str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        for body in bodies:
            conn.request("POST", "/ingest/events", body=body, headers=headers)
            answer = conn.getresponse()
            text = answer.read()
            if answer.status != 202:
                errors.append(f"{answer.status} {text[:300]!r}")
                return
        conn.close()


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


def wait_drained(inbox: Inbox) -> None:
    while inbox.pending():
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
    now = datetime.now().replace(microsecond=0)
    server = None
    port = free_port()
    if args.via == "http":
        server = start_endpoint(env, port, args.server_workers)
    poster = Poster(args.via, inbox, port, key, args.clients)
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
    idle = readers.run_for(15)

    def burst(prefix: str, minutes_ago: int) -> list[list[dict]]:
        at = now - timedelta(minutes=minutes_ago)
        return [batch(f"{prefix}{b}", args.batch, at) for b in range(batches)]

    writer_cmd = [
        sys.executable, "-m", "assistant.cli", "ingest", "run", "--db", str(warehouse),
        "--publish-every", str(args.publish_every), *(["--no-rules"] if args.no_rules else []),
    ]  # fmt: skip
    # 1. Burst while readers query. --via inbox: stored first, then the writer starts.
    # --via http: the writer runs while the clients post.
    burst_b = burst("B", 30)
    if args.via == "inbox":
        poster.post_all(burst_b)
    writer = subprocess.Popen(writer_cmd, env=env, stderr=subprocess.DEVNULL)
    try:
        if args.via == "http":
            time.sleep(5)  # the writer's start-up (imports, open) is not ingest time
        readers.start()
        server_cpu = cpu_seconds(server.pid) if server else 0.0
        writer_cpu = cpu_seconds(writer.pid)
        started = time.perf_counter()
        if args.via == "http":
            poster.post_all(burst_b)
        posted_s = time.perf_counter() - started
        wait_drained(inbox)
        burst_s = time.perf_counter() - started
        busy = readers.finish()
        events_per_s = events_total / burst_s
        server_cpu = cpu_seconds(server.pid) - server_cpu if server else 0.0
        writer_cpu = settled_cpu(writer.pid) - writer_cpu

        # 1b. The same burst with no queries running: the whole path's own rate here.
        burst_a = burst("A", 20)
        started = time.perf_counter()
        poster.post_all(burst_a)
        wait_drained(inbox)
        alone_per_s = events_total / (time.perf_counter() - started)

        # 2. Freshness: a sustained --feed-rate events/s feed with one marker ticket a second.
        markers: dict[str, float] = {}
        visible: dict[str, float] = {}
        engine = make_engine(url, read_only=True)
        per_second = max(2, args.feed_rate)
        # The readers query during the paced feed too: query p95 at a sustained rate (the
        # bursts above run ingest flat out, which no source does for long).
        readers.start()
        fed, feed_started = 0, time.perf_counter()
        for second in range(args.feed_seconds):
            tick = time.perf_counter()
            marker = f"M-{second}"
            stamp = datetime.now().replace(microsecond=0)
            events = [*batch(f"F{second}", per_second, stamp), ticket(marker, stamp)]
            chunks = [events[i : i + args.batch] for i in range(0, len(events), args.batch)]
            poster.post_all(chunks)
            fed += len(events)
            markers[marker] = time.monotonic()
            waiting = [m for m in markers if m not in visible]
            for found in count_ids(engine, waiting):
                visible[found] = time.monotonic()
            time.sleep(max(0.0, 1.0 - (time.perf_counter() - tick)))
        feed_s = time.perf_counter() - feed_started
        paced = readers.finish()
        deadline = time.monotonic() + 120
        while len(visible) < len(markers) and time.monotonic() < deadline:
            for found in count_ids(engine, [m for m in markers if m not in visible]):
                visible[found] = time.monotonic()
            time.sleep(0.2)
        engine.dispose()
    finally:
        writer.terminate()
        writer.wait()
        if server is not None:
            server.terminate()
            server.wait()
        readers.engine.dispose()
    lags = [visible[m] - markers[m] for m in visible]
    result = {
        "code": str(code),
        "via": args.via,
        "events_per_post": args.batch,
        "events": events_total,
        "burst_seconds": round(burst_s, 2),
        "posting_seconds": round(posted_s, 2),
        "events_per_s": round(events_per_s),
        "events_per_s_no_queries": round(alone_per_s),
        # CPU per event of the burst (endpoint: HTTP + JSON + validation + inbox; writer:
        # read, stage, fold, commit, publish, and the rules it ran after the inbox emptied)
        "endpoint_cpu_us_per_event": round(server_cpu / events_total * 1e6, 1),
        "writer_cpu_us_per_event": round(writer_cpu / events_total * 1e6, 1),
        "events_per_cpu_s": round(events_total / max(server_cpu + writer_cpu, 1e-9)),
        "cores": os.cpu_count(),
        "query_p50_idle_ms": round(quantile(idle, 0.5), 1),
        "query_p95_idle_ms": round(p95(idle), 1),
        "query_p50_during_ingest_ms": round(quantile(busy, 0.5), 1),
        "query_p95_during_ingest_ms": round(p95(busy), 1),
        "query_p95_ratio": round(p95(busy) / p95(idle), 2),
        "queries_idle": len(idle),
        "queries_during_ingest": len(busy),
        "reader_threads": args.readers,
        "publish_every_s": args.publish_every,
        "feed_events_per_s": round(fed / feed_s),
        "query_p95_during_feed_ms": round(p95(paced), 1),
        "query_p95_feed_ratio": round(p95(paced) / p95(idle), 2),
        "visible_p50_s": round(quantile(lags, 0.5), 2),
        "visible_p95_s": round(p95(lags), 2),
        "markers_visible": f"{len(visible)}/{len(markers)}",
        "rules_per_batch": not args.no_rules,
        "load_avg_1min_start_end": (round(load_before, 1), round(os.getloadavg()[0], 1)),
    }
    shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for key_name, value in result.items():
        print(f"{key_name:<28} {value}")


if __name__ == "__main__":
    main()
