"""Benchmark: the same certified queries on DuckDB and on Spark, as ratios to hand-written SQL.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_spark.py --tickets 1000000,10000000 --runs 5
    ... --spark-url spark+connect://127.0.0.1:15002?path=data/bench/bench_1000000_parquet
    ... --engines duckdb          # DuckDB only (no Parquet export, no Spark)

Without --spark-url, Spark runs in this process (spark+local://, 2 cores). The warehouse is
generated once per size into --dir (DuckDB file + Parquet layout) and reused. Spark reads the
Parquet files; DuckDB its own file. Each query is run once per engine to warm up; then, --runs
times, the four variants (certified and hand-written SQL on each engine) run in a random order.
The ratio is the certified query's p50 over the hand-written SQL's p50 on the same engine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import date
from pathlib import Path

import sqlglot

from semantic_layer.catalog_loader import default_catalog
from semantic_layer.executor import execute
from semantic_layer.query import MetricQuery, TimeRange

RANGE = TimeRange(start=date(2025, 11, 1), end=date(2026, 11, 1))
# (name, certified query, hand-written DuckDB SQL computing the same numbers[, the same by hand
# in Spark SQL when sqlglot's translation of the DuckDB SQL does not run on Spark])
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
        """
        SELECT channel,
               percentile((unix_timestamp(first_response_at) - unix_timestamp(created_at))
                          / 3600.0, 0.9),
               count(first_response_at)
        FROM tickets
        WHERE created_at >= TIMESTAMP '2025-11-01' AND created_at < TIMESTAMP '2026-11-01'
        GROUP BY 1
        """,
    ),
    (
        "complaints by channel x month",
        MetricQuery(
            metrics=("complaint_volume",),
            dimensions=("channel",),
            time_grain="month",
            time_range=RANGE,
        ),
        """
        SELECT CAST(date_trunc('month', created_at) AS DATE) AS period, channel, count(*)
        FROM tickets
        WHERE ticket_type = 'complaint'
          AND created_at >= TIMESTAMP '2025-11-01' AND created_at < TIMESTAMP '2026-11-01'
        GROUP BY 1, 2
        """,
    ),
]


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def timed_once(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def ensure_data(directory: Path, tickets: int, parquet_too: bool) -> tuple[Path, Path]:
    from tools.demo_data.generator import generate_demo_warehouse
    from tools.warehouse.engine import make_engine
    from tools.warehouse.export import export_parquet

    db = directory / f"bench_{tickets}.duckdb"
    parquet = directory / f"bench_{tickets}_parquet"
    if not db.exists():
        directory.mkdir(parents=True, exist_ok=True)
        generate_demo_warehouse(f"duckdb:///{db}", tickets=tickets, seed=7, end=date(2026, 10, 31))
    if parquet_too and not (parquet / "tickets.parquet").exists():
        engine = make_engine(f"duckdb:///{db}", read_only=True)
        export_parquet(engine, parquet, replace=True)
        engine.dispose()
    return db, parquet


def bench_size(tickets: int, args: argparse.Namespace, rng: random.Random) -> None:
    from tools.warehouse.engine import make_engine

    engines = args.engines.split(",")
    db, parquet = ensure_data(args.dir, tickets, "spark" in engines)
    duck = make_engine(f"duckdb:///{db}", read_only=True)
    raw = duck.raw_connection().driver_connection
    spark = None
    if "spark" in engines:
        from semantic_layer.spark_engine import open_spark

        spark_url = args.spark_url or f"spark+local://{parquet.resolve()}"
        spark = open_spark(spark_url, default_catalog())
    print(
        f"\ntickets={tickets:,} runs={args.runs} engines={args.engines} "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'engine':<7}{'query':<32}{'p50 ms':>10}{'p95 ms':>10}"
        f"{'hand p50':>10}{'hand p95':>10}{'ratio':>7}"
    )
    for name, query, hand, *by_hand_spark in QUERIES:
        variants = {}
        if "duckdb" in engines:
            variants["duckdb", "certified"] = lambda q=query: execute(q, duck, timeout_s=1800)
            variants["duckdb", "hand"] = lambda h=hand: raw.execute(h).fetchall()
        if spark is not None:
            hand_spark = (
                by_hand_spark[0]
                if by_hand_spark
                else sqlglot.parse_one(hand, read="duckdb").sql(dialect="spark")
            )
            variants["spark", "certified"] = lambda q=query: execute(q, spark, timeout_s=1800)
            variants["spark", "hand"] = lambda h=hand_spark: spark.session.sql(h).collect()
        for fn in variants.values():
            fn()  # warm-up
        samples: dict[tuple[str, str], list[float]] = {key: [] for key in variants}
        for _ in range(args.runs):
            for key in rng.sample(list(variants), len(variants)):
                samples[key].append(timed_once(variants[key]))
        for engine in [e for e in engines if (e, "hand") in samples]:
            p50, p95 = summary(samples[engine, "certified"])
            h50, h95 = summary(samples[engine, "hand"])
            print(
                f"{engine:<7}{name:<32}{p50:>10.0f}{p95:>10.0f}{h50:>10.0f}{h95:>10.0f}"
                f"{p50 / h50:>7.2f}"
            )
    if spark is not None:
        spark.close()
    duck.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", default="1000000", help="comma list of sizes")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path("data/bench"))
    parser.add_argument("--spark-url", default=None)
    parser.add_argument("--engines", default="duckdb,spark", help="duckdb,spark or one of them")
    parser.add_argument("--seed", type=int, default=None, help="order of the variants")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    for tickets in [int(t) for t in args.tickets.split(",")]:
        bench_size(tickets, args, rng)


if __name__ == "__main__":
    main()
