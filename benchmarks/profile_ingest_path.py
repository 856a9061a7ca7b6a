"""CPU per event of each stage of the live-ingest path, in-process (``time.process_time``, so
the figures do not depend on how loaded the machine is, unlike wall-clock rates):

    .venv/bin/python benchmarks/profile_ingest_path.py --db data/warehouse.duckdb

The endpoint's stages (parse the body, validate, store in the inbox) run on ``--posts`` posts
of ``--batch`` events (half new tickets, half first-response updates, as bench_ingest.py);
the writer then applies them as one backlog with the customer rules as its after-commit hook,
split into read, stage, fold and the rest of the step; then one publish. The warehouse is
copied to a temp dir first (never changed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="DuckDB warehouse to copy")
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--batch", type=int, default=1_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sp-profile-ingest-"))
    os.environ["SERVICEPILOT_DATA_DIR"] = str(work)  # the rules' ops store goes here

    import orjson

    import tools.ingest.writer as writer_module
    from assistant.commands.ingest import _rules_hook
    from benchmarks.ingest_feeder import batch
    from tools.ingest import store
    from tools.ingest.events import validate_batch
    from tools.ingest.writer import Inbox, IngestWriter

    cpu: dict[str, float] = {}

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*a: Any, **k: Any) -> Any:
            started = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                cpu[name] = cpu.get(name, 0.0) + time.process_time() - started

        return run

    warehouse = work / "warehouse.duckdb"
    shutil.copyfile(args.db, warehouse)
    now = datetime.now().replace(microsecond=0)
    bodies = [
        json.dumps(batch(f"P{i}", args.batch, now - timedelta(minutes=30))).encode()
        for i in range(args.posts)
    ]
    inbox = Inbox(work / "ingest")
    for body in bodies:
        raw = timed("endpoint: parse the body (orjson)", orjson.loads)(body)
        checked = timed("endpoint: validate", validate_batch)(raw)
        timed("endpoint: store in the inbox (fsync)", inbox.put)("bench", raw, validated=checked)

    store._stage_fresh_events = timed("writer: stage + anti-join", store._stage_fresh_events)
    store._refold = timed("writer: fold SQL", store._refold)
    writer_module.read_inbox_file = timed(
        "writer: read the inbox file", writer_module.read_inbox_file
    )
    hooks, _ = _rules_hook(None)
    rules = [timed("writer: customer rules (background thread)", hooks[0])]
    with IngestWriter(warehouse, work / "ingest", after_commit=rules) as writer:
        started = time.process_time()
        writer.step()
        step = time.process_time() - started
        writer.flush_hooks()
        inner = sum(v for k, v in cpu.items() if k.startswith("writer:") and "rules" not in k)
        cpu["writer: journal insert, commit, rest of the step"] = step - inner
        started, wall = time.process_time(), time.perf_counter()
        writer.publish()
        publish_cpu, publish_wall = time.process_time() - started, time.perf_counter() - wall
    events = args.posts * args.batch
    total = sum(cpu.values()) / events * 1e6
    for name, seconds in cpu.items():
        print(f"{name:<52} {seconds / events * 1e6:7.1f} µs/event")
    print(f"{'total':<52} {total:7.1f} µs/event = {1e6 / total:,.0f} events per CPU-second")
    print(f"publish: {publish_cpu:.2f} s CPU, {publish_wall:.2f} s wall per publish")
    print(f"load average (1 min): {os.getloadavg()[0]:.1f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
