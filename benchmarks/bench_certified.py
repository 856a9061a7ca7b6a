"""Benchmark: every certified metric through `execute()` on one warehouse, with the process's
peak memory; meant for the large sizes (10M tickets) where memory, not overhead, is the risk.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_certified.py --db /work/data10m/warehouse.duckdb

Per certified metric, the query users ask most: the metric by month over the last 12 months of
the data, by region. Each round runs every query once in a fresh random order (one warm-up
round first); p50/p95 are over rounds. Two queries are checked against hand-written SQL first
(CSAT by region and month; ticket volume by region and month): a disagreement stops the run.
The peak RSS is this process's (DuckDB runs in it), read from the kernel at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import time
from datetime import date
from pathlib import Path

from benchmarks.bench_execute import HAND_WRITTEN, percentile
from semantic_layer.catalog_loader import default_catalog
from semantic_layer.compiler import CompileCache
from semantic_layer.executor import execute
from semantic_layer.query import MetricQuery, TimeRange

START, END = date(2025, 11, 1), date(2026, 11, 1)
RANGE = TimeRange(start=START, end=END)
HAND_VOLUME = """
SELECT CAST(date_trunc('month', created_at) AS DATE) AS period, region, count(*)
FROM tickets
WHERE created_at >= TIMESTAMP '{start}' AND created_at < TIMESTAMP '{end}'
GROUP BY 1, 2 ORDER BY 1, 2
"""


def certified_queries() -> dict[str, MetricQuery]:
    catalog = default_catalog()
    return {
        m.name: MetricQuery(
            metrics=(m.name,), dimensions=("region",), time_grain="month", time_range=RANGE
        )
        for m in catalog.metrics.values()
        if m.certified
    }


def check_against_hand_sql(engine, raw) -> None:
    """The compiler's numbers equal hand-written SQL's, on this warehouse, before timing."""
    for metric, hand in (("csat", HAND_WRITTEN), ("ticket_volume", HAND_VOLUME)):
        query = MetricQuery(
            metrics=(metric,), dimensions=("region",), time_grain="month", time_range=RANGE
        )
        frame = execute(query, engine, timeout_s=600).data
        got = sorted(
            (r[0], r[1], round(float(r[2]), 9))
            for r in frame[["period", "region", metric]].itertuples(index=False)
        )
        want = sorted(
            (r[0], r[1], round(float(r[2]), 9))
            for r in raw.execute(hand.format(start=START, end=END)).fetchall()
        )
        if got != want:
            raise SystemExit(f"{metric}: execute() and hand-written SQL disagree")


def measure(db: Path, rounds: int) -> dict:
    """Check two queries against hand-written SQL, then time every certified query."""
    from tools.warehouse.engine import make_engine

    catalog = default_catalog()
    engine = make_engine(f"duckdb:///{db}", read_only=True)
    raw_connection = engine.raw_connection()
    raw = raw_connection.driver_connection._ConnectionWrapper__c.cursor()
    started = time.perf_counter()
    try:
        check_against_hand_sql(engine, raw)
        tickets = raw.execute("SELECT count(*) FROM tickets").fetchone()[0]
        queries = certified_queries()
        cache = CompileCache(catalog)
        times: dict[str, list[float]] = {name: [] for name in queries}
        rng = random.Random(0)
        for round_index in range(rounds + 1):  # round 0 warms up
            order = list(queries)
            rng.shuffle(order)
            for name in order:
                query = queries[name]
                compiled = cache.compile(query)
                t = time.perf_counter()
                execute(query, engine, catalog=catalog, compiled=compiled, timeout_s=600)
                if round_index:
                    times[name].append((time.perf_counter() - t) * 1000)
    finally:
        raw.close()
        raw_connection.close()
        engine.dispose()
    every = [s for samples in times.values() for s in samples]
    return {
        "db": str(db),
        "tickets": tickets,
        "rounds": rounds,
        "queries": len(queries),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "seconds": round(time.perf_counter() - started, 1),
        "all_p50_ms": round(statistics.median(every), 1),
        "all_p95_ms": round(percentile(every, 0.95), 1),
        "per_query": {
            name: {
                "p50_ms": round(statistics.median(s), 1),
                "p95_ms": round(percentile(s, 0.95), 1),
            }
            for name, s in times.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a demo warehouse (DuckDB file)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = measure(args.db, args.rounds)
    tickets, queries = results["tickets"], results["queries"]
    print(f"{args.db} ({tickets:,} tickets): {queries} certified queries x {args.rounds}")
    print("rounds, interleaved; csat and ticket_volume agree with hand-written SQL")
    for name, r in sorted(results["per_query"].items(), key=lambda kv: -kv[1]["p95_ms"]):
        print(f"  {name:<34} p50 {r['p50_ms']:9.1f} ms  p95 {r['p95_ms']:9.1f} ms")
    print(
        f"all queries: p50 {results['all_p50_ms']} ms, p95 {results['all_p95_ms']} ms; "
        f"peak RSS {results['peak_rss_mb']} MB"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
