"""Audit-log appends under concurrency: one transaction per row vs grouped commits.

Every answer appends a row to the operations store (``tools.audit.OpsStore``). On the default
DuckDB file a write opens and closes the file, so with one transaction per row concurrent
answers queue behind each other's writes. ``OpsStore.insert`` groups the rows that arrive
during a write into the next transaction. This runs ``--threads`` threads, each appending
``--rows`` audit rows, both ways (random order per round), on a fresh store per variant, and
prints wall time per row and the ratio per-row ÷ grouped.

    .venv/bin/python benchmarks/bench_audit_write.py --threads 1,8,20 --rows 10 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.audit import AUDIT, OpsStore  # noqa: E402


def audit_row() -> dict:
    return {
        "audit_id": uuid.uuid4().hex,
        "asked_at": datetime.now(),
        "username": "bench",
        "role": "executive",
        "surface": "ui",
        "question": "上个月华东区的客户满意度是多少？",
        "language": "zh",
        "plan_kind": "metric",
        "plan_json": '{"kind": "metric", "query": {"metrics": ["csat"]}}',
        "sql": "SELECT 1",
        "result_rows": 1,
        "latency_ms": 40.0,
        "planner": "offline",
        "notices": "[]",
        "answer": "上个月华东区的客户满意度为 4.21。",
    }


def per_row(store: OpsStore, row: dict) -> None:
    """What every append did before grouping: its own connection and transaction."""

    def write() -> None:
        with store.engine.begin() as conn:
            conn.execute(AUDIT.insert().values(**row))

    with store.lock:
        store.run(write)


def grouped(store: OpsStore, row: dict) -> None:
    store.insert(AUDIT, row)


def run(variant, threads: int, rows: int, folder: Path) -> tuple[float, int]:
    """Seconds of wall time per appended row, and how many transactions committed them."""
    store = OpsStore(f"duckdb:///{folder / f'ops-{uuid.uuid4().hex}.duckdb'}")
    commits = [0]
    from sqlalchemy import event

    event.listen(store.engine, "commit", lambda conn: commits.__setitem__(0, commits[0] + 1))
    start = threading.Barrier(threads + 1)

    def append_rows() -> None:
        start.wait()
        for _ in range(rows):
            variant(store, audit_row())

    workers = [threading.Thread(target=append_rows) for _ in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    t0 = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - t0
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT count(*) FROM sp_audit").scalar()
    store.close()
    assert stored == threads * rows, f"{stored} rows stored of {threads * rows}"
    return elapsed / (threads * rows), commits[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,8,20", help="comma list of thread counts")
    parser.add_argument("--rows", type=int, default=10, help="rows per thread")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    variants = {"per-row": per_row, "grouped": grouped}
    counts = [int(x) for x in args.threads.split(",")]
    print(
        f"{args.rows} audit rows per thread, threads {counts}, {args.rounds} rounds; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    results: dict[tuple[str, int], list[tuple[float, int]]] = {}
    with tempfile.TemporaryDirectory(prefix="sp-audit-bench-") as tmp:
        for _ in range(args.rounds):
            for threads in counts:
                for name in rng.sample(list(variants), len(variants)):
                    out = run(variants[name], threads, args.rows, Path(tmp))
                    results.setdefault((name, threads), []).append(out)
    print(f"{'threads':<9}{'variant':<10}{'ms/row':>9}{'commits/round':>15}{'per-row/grouped':>17}")
    for threads in counts:
        base = statistics.median(x for x, _ in results[("grouped", threads)])
        for name in variants:
            values = results[(name, threads)]
            ms = statistics.median(x for x, _ in values)
            commits = statistics.median(c for _, c in values)
            ratio = f"{ms / base:.1f}" if name == "per-row" else ""
            print(f"{threads:<9}{name:<10}{ms * 1000:>9.1f}{commits:>15.0f}{ratio:>17}")
    print(f"load average after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
