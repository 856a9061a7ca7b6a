"""Benchmark: monthly CSAT by region — compiled query vs hand-written DuckDB SQL vs pandas.

    .venv/bin/python benchmarks/bench_semantic.py --tickets 1000000 --runs 15

Goal: compiled ≤ 1.10× the hand-written SQL. Variants run one block after another here; for
numbers that hold on a shared machine use bench_execute.py (interleaved) and report.py.
The warehouse is generated once per size and seed into --dir and reused.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from semantic_layer.compiler import compile_query
from semantic_layer.query import MetricQuery, TimeRange

HAND_WRITTEN = """
SELECT CAST(date_trunc('month', s.responded_at) AS DATE) AS period, t.region,
       100.0 * count(*) FILTER (WHERE s.csat >= 4) / nullif(count(s.csat), 0) AS csat,
       count(s.csat) AS n
FROM surveys s LEFT JOIN tickets t ON s.ticket_id = t.ticket_id
WHERE s.responded_at >= TIMESTAMP '{start}' AND s.responded_at < TIMESTAMP '{end}'
GROUP BY 1, 2 ORDER BY 1, 2
"""


def timed(fn, runs: int) -> tuple[float, float]:
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.95 * len(samples)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--dir", type=Path, default=Path("data/bench"))
    args = parser.parse_args()

    path = args.dir / f"bench_{args.tickets}.duckdb"
    if not path.exists():
        from tools.demo_data.generator import generate_demo_warehouse

        args.dir.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        generate_demo_warehouse(
            f"duckdb:///{path}", tickets=args.tickets, seed=7, end=date(2026, 10, 31)
        )
        print(f"generated {args.tickets:,} tickets in {time.perf_counter() - t:.1f}s")

    start, end = date(2025, 11, 1), date(2026, 11, 1)
    query = MetricQuery(
        metrics=("csat",),
        dimensions=("region",),
        time_grain="month",
        time_range=TimeRange(start=start, end=end),
    )
    compiled_sql = compile_query(query).sql
    hand_sql = HAND_WRITTEN.format(start=start, end=end)
    con = duckdb.connect(str(path), read_only=True)

    compiled = timed(lambda: con.execute(compiled_sql).fetchall(), args.runs)
    hand = timed(lambda: con.execute(hand_sql).fetchall(), args.runs)

    surveys = con.execute("SELECT ticket_id, responded_at, csat FROM surveys").df()
    tickets = con.execute("SELECT ticket_id, region FROM tickets").df()

    def with_pandas() -> pd.DataFrame:
        s = surveys[
            (surveys.responded_at >= pd.Timestamp(start))
            & (surveys.responded_at < pd.Timestamp(end))
        ]
        s = s.merge(tickets, on="ticket_id", how="left")
        s = s.assign(period=s.responded_at.dt.to_period("M"), ok=s.csat >= 4, rated=s.csat.notna())
        g = s.groupby(["period", "region"])[["ok", "rated"]].sum()
        return 100 * g.ok / g.rated

    pandas_ = timed(with_pandas, max(3, args.runs // 3))

    def with_pandas_loading() -> pd.DataFrame:
        # What a pandas analysis costs end to end: pull the columns out of the warehouse first.
        nonlocal surveys, tickets
        surveys = con.execute("SELECT ticket_id, responded_at, csat FROM surveys").df()
        tickets = con.execute("SELECT ticket_id, region FROM tickets").df()
        return with_pandas()

    pandas_loading = timed(with_pandas_loading, max(3, args.runs // 5))
    check_a = sorted(con.execute(compiled_sql).fetchall())
    check_b = sorted(con.execute(hand_sql).fetchall())
    assert [(r[0], r[1], round(r[2], 9)) for r in check_a] == [
        (r[0], r[1], round(r[2], 9)) for r in check_b
    ], "compiled and hand-written disagree"
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"tickets={args.tickets:,} surveys={len(surveys):,} runs={args.runs}")
    rows = (
        ("compiled", compiled),
        ("hand-written", hand),
        ("pandas", pandas_),
        ("pandas+load", pandas_loading),
    )
    for name, (p50, p95) in rows:
        print(f"  {name:<13} p50 {p50:8.2f} ms   p95 {p95:8.2f} ms")
    print(f"  compiled / hand-written (p50): {compiled[0] / hand[0]:.2f}x  (goal <= 1.10x)")
    print(
        f"  pandas / compiled (p50):       {pandas_[0] / compiled[0]:.1f}x  "
        "(frames already in memory)"
    )
    print(
        f"  pandas+load / compiled (p50):  {pandas_loading[0] / compiled[0]:.1f}x  "
        "(reading the columns from the warehouse first)"
    )
    print(f"  peak RSS: {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
