"""Export the warehouse contract tables to Parquet, one file per table: ``DIR/<table>.parquet``.

That layout is what the Spark engine reads (``spark+local://DIR``, ``spark+connect://...?path=
DIR``) and what any other engine (DuckDB, Trino, pandas) can read too. The export is
all-or-nothing: files are written into ``DIR/.exporting`` and moved into place only when every
table is written, so a failed export never leaves a mix of old and new tables.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tools.errors import WarehouseError
from tools.warehouse.schema import CONTRACT_TABLES

FORMATS = ("parquet",)


def export_parquet(engine: Engine, directory: Path, *, replace: bool = False) -> dict:
    """Write every contract table of ``engine`` to ``directory/<table>.parquet``; returns the
    row count per table, the directory and the elapsed seconds."""
    started = time.perf_counter()
    directory = Path(directory)
    existing = [t for t in CONTRACT_TABLES if (directory / f"{t}.parquet").exists()]
    if existing and not replace:
        raise WarehouseError(
            f"{directory} already holds {', '.join(t + '.parquet' for t in existing)}. "
            "Pass --replace to overwrite them, or choose another directory."
        )
    missing = [t for t in CONTRACT_TABLES if not sa.inspect(engine).has_table(t)]
    if missing:
        raise WarehouseError(
            f"The warehouse has no {', '.join(missing)} table(s). Build it with "
            "`servicepilot demo-data` or `servicepilot warehouse init` and an import first."
        )
    staging = directory / ".exporting"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    counts: dict[str, int] = {}
    try:
        with engine.connect() as conn:
            for table in CONTRACT_TABLES:
                counts[table] = _write_table(conn, table, staging / f"{table}.parquet")
        for table in CONTRACT_TABLES:
            os.replace(staging / f"{table}.parquet", directory / f"{table}.parquet")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {
        "directory": str(directory),
        "format": "parquet",
        "rows": counts,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _write_table(conn: sa.Connection, table: str, path: Path) -> int:
    # Table names come from CONTRACT_TABLES only, so interpolating them is safe.
    if conn.dialect.name == "duckdb":
        # DuckDB writes Parquet itself, streaming, without materialising the table in Python.
        target = str(path).replace("'", "''")
        raw = conn.connection.driver_connection
        raw.execute(f"COPY (SELECT * FROM \"{table}\") TO '{target}' (FORMAT parquet)")
        return raw.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    import pandas as pd

    frame = pd.read_sql_table(table, conn)
    frame.to_parquet(path, index=False)
    return len(frame)
