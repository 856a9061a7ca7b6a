"""Benchmark `servicepilot import` on a synthetic CFPB-shaped CSV of N rows.

The CSV is built by resampling the real sample (shared/data/cfpb) with new unique Complaint IDs,
then imported with the built-in ``cfpb`` mapping into a fresh DuckDB file. Baseline, measured in
the same run: DuckDB's own ``read_csv`` + ``INSERT`` of the raw file into a table (no mapping,
no validation). Peak RSS (``resource.getrusage``) is reported for the import process.

    .venv/bin/python benchmarks/bench_import.py --rows 1000000
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.paths import CFPB_SAMPLE as SAMPLE  # noqa: E402
from tools.importers import import_file  # noqa: E402


def build_csv(rows: int, out: Path, seed: int = 7) -> None:
    """Resample the real sample to ``rows`` rows with unique Complaint IDs, written in blocks."""
    sample = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    block = 200_000
    for start in range(0, rows, block):
        size = min(block, rows - start)
        frame = sample.iloc[rng.integers(0, len(sample), size)].copy()
        frame["Complaint ID"] = [str(10_000_000 + i) for i in range(start, start + size)]
        frame.to_csv(out, mode="a" if start else "w", header=start == 0, index=False)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--build-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build_csv(args.rows, args.build_only)
        return
    with tempfile.TemporaryDirectory(prefix="sp-bench-") as tmp:
        csv = Path(tmp) / "complaints.csv"
        t0 = time.perf_counter()
        # Built in a child process so this process's peak RSS measures the import alone.
        subprocess.run(
            [sys.executable, __file__, "--rows", str(args.rows), "--build-only", str(csv)],
            check=True,
        )
        print(
            f"built {csv.name}: {args.rows:,} rows, {csv.stat().st_size / 1e6:.0f} MB "
            f"in {time.perf_counter() - t0:.1f} s"
        )

        db = Path(tmp) / "warehouse.duckdb"
        t0 = time.perf_counter()
        result = import_file(
            csv, "cfpb", f"duckdb:///{db}", quiet=False, chunk_rows=args.chunk_rows
        )
        import_s = time.perf_counter() - t0
        import_rss = peak_rss_mb()

        # Baseline: DuckDB reads the CSV itself and inserts the raw columns.
        base_db = Path(tmp) / "baseline.duckdb"
        t0 = time.perf_counter()
        con = duckdb.connect(str(base_db))
        con.execute(
            "CREATE TABLE raw AS SELECT * FROM read_csv(?, all_varchar = true) LIMIT 0", [str(csv)]
        )
        con.execute("INSERT INTO raw SELECT * FROM read_csv(?, all_varchar = true)", [str(csv)])
        n_base = con.execute("SELECT count(*) FROM raw").fetchone()[0]
        con.close()
        base_s = time.perf_counter() - t0

        print(
            f"import:   {result.rows_read:,} rows in {import_s:.1f} s = "
            f"{result.rows_read / import_s:,.0f} rows/s; written {result.rows}"
        )
        print(f"peak RSS: {import_rss:,.0f} MB during the import (chunks of {args.chunk_rows:,})")
        print(
            f"baseline: DuckDB read_csv + INSERT of the raw file: {n_base:,} rows in "
            f"{base_s:.1f} s = {n_base / base_s:,.0f} rows/s "
            f"(peak RSS after it: {peak_rss_mb():,.0f} MB)"
        )
        print(f"ratio:    the import takes {import_s / base_s:.1f}x the baseline time")


if __name__ == "__main__":
    main()
