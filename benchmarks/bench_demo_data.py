"""Demo-data generator throughput and peak memory, against a storage-only baseline.

    .venv/bin/python benchmarks/bench_demo_data.py --tickets 1000000

The generator runs in a child process so its peak RSS is measured alone. The baseline, in
the same run, copies the finished tables into a fresh DuckDB file (pure storage cost); the
ratio says how much simulation and text composition add on top of writing the rows.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

CHILD = """
import json, sys, time
from datetime import date
from tools.demo_data.generator import generate_demo_warehouse
summary = generate_demo_warehouse(sys.argv[1], tickets=int(sys.argv[2]), seed=42,
                                  end=date(2026, 10, 31))
print(json.dumps(summary))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, f"duckdb:///{path}", str(args.tickets)],
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
        )
        gen_seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        summary = json.loads(out.stdout.strip().splitlines()[-1])
        total_rows = sum(summary["rows"].values())

        copy_path = Path(tmp) / "copy.duckdb"
        started = time.perf_counter()
        con = duckdb.connect(str(copy_path))
        con.execute(f"ATTACH '{path}' AS src (READ_ONLY)")
        for table in summary["rows"]:
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM src.{table}")
        con.execute("CHECKPOINT")
        con.close()
        copy_seconds = time.perf_counter() - started
        size_mb = path.stat().st_size / 1e6

    report = {
        "tickets": args.tickets,
        "rows_all_tables": total_rows,
        "generate_seconds": round(gen_seconds, 1),
        "tickets_per_second": round(args.tickets / gen_seconds),
        "rows_per_second": round(total_rows / gen_seconds),
        "peak_rss_mb": round(peak_mb),
        "file_mb": round(size_mb),
        "baseline_copy_seconds": round(copy_seconds, 1),
        "ratio_generate_vs_copy": round(gen_seconds / copy_seconds, 1),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
