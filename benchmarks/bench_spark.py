"""Benchmark: the same certified queries on DuckDB and on Spark, as ratios to hand-written SQL.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_spark.py --tickets 1000000 --runs 5
    ... --spark-url spark+connect://127.0.0.1:15002?path=data/bench/bench_1000000_parquet

Without --spark-url, Spark runs in this process (spark+local://, 2 cores). The warehouse is
generated once per size into --dir (DuckDB file + Parquet layout) and reused. Spark reads the
Parquet files; DuckDB its own file. Each query is run once to warm up, then --runs times.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date
from pathlib import Path

import sqlglot

from semantic_layer.catalog_loader import default_catalog
from semantic_layer.executor import execute
from semantic_layer.query import MetricQuery, TimeRange
from semantic_layer.spark_engine import open_spark

RANGE = TimeRange(start=date(2025, 11, 1), end=date(2026, 11, 1))
# (name, certified query, hand-written DuckDB SQL computing the same numbers)
QUERIES = [
    (
        "csat by region x month",
        MetricQuery(
            metrics=("csat",), dimensions=("region",), time_grain="month", time_range=RANGE
        ),
        """
        SELECT CAST(date_trunc('month', s.responded_at) AS DATE) AS period, t.region,
               100.0 * count(CASE WHEN s.csat >= 4 THEN 1 END) / nullif(count(s.csat), 0),
               count(s.csat)
        FROM surveys s LEFT JOIN tickets t ON s.ticket_id = t.ticket_id
        WHERE s.responded_at >= TIMESTAMP '2025-11-01' AND s.responded_at < TIMESTAMP '2026-11-01'
        GROUP BY 1, 2
        """,
    ),
    (
        "first response p90 by channel",
        MetricQuery(
            metrics=("first_response_time_p90",), dimensions=("channel",), time_range=RANGE
        ),
        """
        SELECT channel,
               quantile_cont((epoch(first_response_at) - epoch(created_at)) / 3600.0, 0.9),
               count(first_response_at)
        FROM tickets
        WHERE created_at >= TIMESTAMP '2025-11-01' AND created_at < TIMESTAMP '2026-11-01'
        GROUP BY 1
        """,
    ),
]


def timed(fn, runs: int) -> tuple[float, float]:
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.95 * len(samples)))]


def ensure_data(directory: Path, tickets: int) -> tuple[Path, Path]:
    from tools.demo_data.generator import generate_demo_warehouse
    from tools.warehouse.engine import make_engine
    from tools.warehouse.export import export_parquet

    db = directory / f"bench_{tickets}.duckdb"
    parquet = directory / f"bench_{tickets}_parquet"
    if not db.exists():
        directory.mkdir(parents=True, exist_ok=True)
        generate_demo_warehouse(f"duckdb:///{db}", tickets=tickets, seed=7, end=date(2026, 10, 31))
    if not (parquet / "tickets.parquet").exists():
        engine = make_engine(f"duckdb:///{db}", read_only=True)
        export_parquet(engine, parquet, replace=True)
        engine.dispose()
    return db, parquet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path("data/bench"))
    parser.add_argument("--spark-url", default=None)
    args = parser.parse_args()

    from tools.warehouse.engine import make_engine

    db, parquet = ensure_data(args.dir, args.tickets)
    spark_url = args.spark_url or f"spark+local://{parquet.resolve()}"
    duck = make_engine(f"duckdb:///{db}", read_only=True)
    raw = duck.raw_connection().driver_connection
    spark = open_spark(spark_url, default_catalog())
    print(f"tickets={args.tickets:,} runs={args.runs} spark={spark_url}")
    print(f"{'engine':<7}{'query':<32}{'p50 ms':>10}{'p95 ms':>10}{'hand p50':>10}{'ratio':>7}")
    for name, query, hand in QUERIES:
        hand_spark = sqlglot.parse_one(hand, read="duckdb").sql(dialect="spark")
        rows = {
            "duckdb": (
                timed(lambda q=query: execute(q, duck, timeout_s=600), args.runs),
                timed(lambda h=hand: raw.execute(h).fetchall(), args.runs),
            ),
            "spark": (
                timed(lambda q=query: execute(q, spark, timeout_s=600), args.runs),
                timed(lambda h=hand_spark: spark.session.sql(h).collect(), args.runs),
            ),
        }
        for engine, ((p50, p95), (h50, _)) in rows.items():
            print(f"{engine:<7}{name:<32}{p50:>10.0f}{p95:>10.0f}{h50:>10.0f}{p50 / h50:>7.2f}")
    duck.dispose()


if __name__ == "__main__":
    main()
