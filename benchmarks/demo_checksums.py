"""Per-table content checksums of a demo warehouse, to prove a generator change kept the rows.

    PYTHONPATH=. .venv/bin/python benchmarks/demo_checksums.py --tickets 20000 200000

Each size is generated into a temporary DuckDB file (seed 42, end 2026-10-31 unless given);
every contract table is then exported sorted by its primary key as CSV and hashed, so the
checksum depends on the rows only, not on how the generator chunked or wrote them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from datetime import date
from pathlib import Path

import duckdb

from tools.demo_data.generator import generate_demo_warehouse
from tools.warehouse.schema import CONTRACT_TABLES

SORT_KEYS = {
    "customers": "customer_id",
    "tickets": "ticket_id",
    "surveys": "survey_id",
    "orders": "order_id",
    "agents": "agent_id",
    "products": "product_id",
}


def table_checksums(path: Path, workdir: Path) -> dict[str, str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        sums = {}
        for table in CONTRACT_TABLES:
            out = workdir / f"{table}.csv"
            key = SORT_KEYS.get(table, "1")
            con.execute(f"COPY (SELECT * FROM \"{table}\" ORDER BY {key}) TO '{out}' (HEADER)")
            digest = hashlib.sha256()
            with out.open("rb") as handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
            sums[table] = digest.hexdigest()[:16]
            out.unlink()
        return sums
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end", default="2026-10-31")
    args = parser.parse_args()
    result = {}
    for tickets in args.tickets:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "w.duckdb"
            summary = generate_demo_warehouse(
                f"duckdb:///{path}",
                tickets=tickets,
                seed=args.seed,
                end=date.fromisoformat(args.end),
            )
            result[tickets] = {
                "generator_checksum": summary["checksum"][:16],
                "tables": table_checksums(path, Path(tmp)),
            }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
