"""Live-ingest benchmark: sustained events/s of the writer process while 4 reader threads run
certified metric queries, query p95 idle vs during ingest (same run), and event -> visible
(posted to the inbox -> counted by a query on the published snapshot) p95.

    .venv/bin/python benchmarks/bench_ingest.py                 # builds a 20k-ticket demo copy
    .venv/bin/python benchmarks/bench_ingest.py --db data/warehouse.duckdb --json

The warehouse is copied to a temp dir first (never changed). Goals (issue 17): >= 5,000
events/s with query p95 <= 1.5x idle; event -> visible p95 <= 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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
from tools.ingest.writer import Inbox  # noqa: E402
from tools.warehouse.engine import make_engine  # noqa: E402


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else float("nan")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="DuckDB warehouse to copy (default: build 20k)")
    parser.add_argument("--events", type=int, default=60_000, help="events in the burst")
    parser.add_argument("--batch", type=int, default=2_000, help="events per posted batch")
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--publish-every", type=float, default=5.0)
    parser.add_argument(
        "--no-rules", action="store_true", help="writer without the customer rules per batch"
    )
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
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SERVICEPILOT_DATA_DIR": str(work)}
    inbox = Inbox(work / "ingest")
    now = datetime.now().replace(microsecond=0)

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

    # 1. Burst: the inbox holds --events events; the writer applies them while readers query.
    for b in range(args.events // args.batch):
        inbox.put("bench", batch(f"B{b}", args.batch, now - timedelta(minutes=30)))
    writer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "assistant.cli",
            "ingest",
            "run",
            "--db",
            str(warehouse),
            "--publish-every",
            str(args.publish_every),
            *(["--no-rules"] if args.no_rules else []),
        ],  # fmt: skip
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        readers.start()
        started = time.perf_counter()
        while inbox.pending():
            time.sleep(0.05)
        burst_s = time.perf_counter() - started
        busy = readers.finish()
        events_per_s = args.events / burst_s

        # 1b. The same burst with no queries running: the writer's own rate on this machine.
        for b in range(args.events // args.batch):
            inbox.put("bench", batch(f"A{b}", args.batch, now - timedelta(minutes=20)))
        started = time.perf_counter()
        while inbox.pending():
            time.sleep(0.05)
        alone_per_s = args.events / (time.perf_counter() - started)

        # 2. Freshness: a sustained 500 events/s feed with one marker ticket per second.
        markers: dict[str, float] = {}
        visible: dict[str, float] = {}
        engine = make_engine(url, read_only=True)
        for second in range(40):
            tick = time.perf_counter()
            marker = f"M-{second}"
            events = batch(f"F{second}", 500, datetime.now().replace(microsecond=0))
            inbox.put("bench", [*events, ticket(marker, datetime.now().replace(microsecond=0))])
            markers[marker] = time.monotonic()
            waiting = [m for m in markers if m not in visible]
            for found in count_ids(engine, waiting):
                visible[found] = time.monotonic()
            time.sleep(max(0.0, 1.0 - (time.perf_counter() - tick)))
        deadline = time.monotonic() + 120
        while len(visible) < len(markers) and time.monotonic() < deadline:
            for found in count_ids(engine, [m for m in markers if m not in visible]):
                visible[found] = time.monotonic()
            time.sleep(0.2)
        engine.dispose()
    finally:
        writer.terminate()
        writer.wait()
        readers.engine.dispose()
    lags = [visible[m] - markers[m] for m in visible]
    result = {
        "events": args.events,
        "burst_seconds": round(burst_s, 2),
        "events_per_s": round(events_per_s),
        "events_per_s_no_queries": round(alone_per_s),
        "query_p95_idle_ms": round(p95(idle), 1),
        "query_p95_during_ingest_ms": round(p95(busy), 1),
        "query_p95_ratio": round(p95(busy) / p95(idle), 2),
        "queries_idle": len(idle),
        "queries_during_ingest": len(busy),
        "publish_every_s": args.publish_every,
        "visible_p95_s": round(p95(lags), 2),
        "markers_visible": f"{len(visible)}/{len(markers)}",
        "rules_per_batch": not args.no_rules,
        "load_avg_1min_start_end": (round(load_before, 1), round(os.getloadavg()[0], 1)),
    }
    shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        print(f"{key:<28} {value}")


if __name__ == "__main__":
    main()
