"""The execute() path: the SQL is compiled once per compiled query, data freshness is cached
per DuckDB file state (and re-read after a write), intervals are computed column-wise."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from semantic_layer.catalog_loader import default_catalog
from semantic_layer.compiler import CompileCache
from semantic_layer.executor import execute
from semantic_layer.query import MetricQuery, TimeRange
from semantic_layer.stats import wilson_interval, wilson_intervals
from tools.warehouse.engine import make_engine

ROOT = Path(__file__).resolve().parents[2]

QUERY = MetricQuery(
    metrics=("csat", "complaint_volume"),
    dimensions=("region",),
    time_grain="month",
    time_range=TimeRange(start=date(2026, 9, 1), end=date(2026, 11, 1)),
)


def test_wilson_intervals_match_the_scalar_formula() -> None:
    p = np.array([0.0, 0.5, 0.93, 1.0, math.nan, 0.4])
    n = np.array([10, 3, 250, 7, 12, 0])
    lows, highs = wilson_intervals(p, n)
    for i in range(4):
        assert (lows[i], highs[i]) == wilson_interval(float(p[i]), int(n[i]))
    assert math.isnan(lows[4]) and math.isnan(highs[5])


def test_freshness_is_cached_until_the_file_changes(
    demo_warehouse_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse_path, path)
    engine = make_engine(f"duckdb:///{path}")  # writable: the test writes through it
    catalog = default_catalog()
    cache = CompileCache(catalog)
    try:
        first = execute(QUERY, engine, catalog=catalog, compiled=cache.compile(QUERY))
        again = execute(QUERY, engine, catalog=catalog, compiled=cache.compile(QUERY))
        assert again.freshness == first.freshness
        assert first.data_freshness.date() == date(2026, 10, 31)
        assert again.data.equals(first.data)
        # the compiled query keeps its runnable SQL: reused, not compiled again
        compiled = cache.compile(QUERY)
        assert len([k for k in compiled._derived if k != "sql"]) == 1

        newer = datetime(2026, 11, 3, 9, 30)
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO tickets SELECT * REPLACE ('fresh-1' AS ticket_id, "
                    ":at AS created_at) FROM tickets LIMIT 1"
                ),
                {"at": newer},
            )
        after = execute(QUERY, engine, catalog=catalog, compiled=cache.compile(QUERY))
        assert after.freshness["tickets.created_at"] == newer
        assert after.data_freshness == newer
    finally:
        engine.dispose()


def test_provenance_sql_is_rendered_on_demand_and_matches_the_run(
    demo_warehouse_url: str,
) -> None:
    engine = make_engine(demo_warehouse_url, read_only=True)
    try:
        result = execute(QUERY, engine)
    finally:
        engine.dispose()
    assert "sql" not in result.compiled._derived  # not rendered until read
    assert result.sql.startswith(("SELECT", "WITH"))
    assert "2026-09-01" in result.sql
    payload = result.to_dict()
    assert payload["sql"] == result.sql
    assert set(result.data.columns) >= {"csat__ci_low", "csat__ci_high", "csat__n"}
    rows = result.data[result.data["csat__n"] > 0]
    assert ((rows["csat__ci_low"] <= rows["csat"]) & (rows["csat"] <= rows["csat__ci_high"])).all()


def test_each_query_rolls_back_once_and_returns_periods_as_dates(demo_warehouse_url: str) -> None:
    """The pool sees the transaction already ended (no second rollback on check-in, which on
    DuckDB raises 'no transaction is active' inside the driver)."""
    engine = make_engine(demo_warehouse_url, read_only=True)
    resets: list[bool] = []
    sa.event.listen(
        engine,
        "reset",
        lambda dbapi_conn, record, state: resets.append(state.transaction_was_reset),
    )
    try:
        for _ in range(3):
            result = execute(QUERY, engine)
    finally:
        engine.dispose()
    assert resets == [True, True, True]
    assert {type(v) for v in result.data["period"]} == {date}


# One process's answer, with every statement it sent to the warehouse (as a CLI call would).
_ONE_PROCESS = """
import json, sys
import sqlalchemy as sa
from datetime import date
from semantic_layer.executor import execute
from semantic_layer.query import MetricQuery, TimeRange
from tools.warehouse.engine import make_engine

engine = make_engine(sys.argv[1], read_only=True)
statements = []
sa.event.listen(engine, "before_cursor_execute", lambda c, cur, sql, *a: statements.append(sql))
query = MetricQuery(
    metrics=("complaint_volume",),
    time_range=TimeRange(start=date(2026, 10, 1), end=date(2026, 11, 1)),
)
result = execute(query, engine)
print(json.dumps({
    "statements": statements,
    "freshness": result.to_dict()["data_freshness"],
    "by_source": result.to_dict()["source_freshness"],
}))
"""


def _ask_in_new_process(url: str, cache: Path) -> dict:
    env = {**os.environ, "SERVICEPILOT_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _ONE_PROCESS, url],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_new_process_reads_freshness_from_the_user_cache_until_a_write(
    demo_warehouse_path: Path, tmp_path: Path
) -> None:
    """Freshness (overall and per source) is kept in the user's cache under the DuckDB file's
    data version: a second process on unchanged data sends only the metric SQL; after an INSERT
    the next process asks again and shows the new latest value."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse_path, path)
    url, cache = f"duckdb:///{path}", tmp_path / "cache"

    first = _ask_in_new_process(url, cache)
    asked = [s for s in first["statements"] if "max(" in s.lower()]
    assert len(asked) == 1  # overall and per source in one statement
    assert "group by" in asked[0].lower()
    assert first["freshness"].startswith("2026-10-31")
    assert first["by_source"] and max(first["by_source"].values()) == first["freshness"]
    assert list(cache.glob("freshness-*.pickle"))

    second = _ask_in_new_process(url, cache)
    assert len(second["statements"]) == 1  # the metric SQL alone
    assert "max(" not in second["statements"][0].lower()
    assert "information_schema" not in second["statements"][0].lower()
    assert (second["freshness"], second["by_source"]) == (first["freshness"], first["by_source"])

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO tickets SELECT * REPLACE ('fresh-1' AS ticket_id, "
                    ":at AS created_at) FROM tickets WHERE source IS NOT NULL LIMIT 1"
                ),
                {"at": datetime(2026, 11, 3, 9, 30)},
            )
    finally:
        engine.dispose()
    after = _ask_in_new_process(url, cache)
    assert any("max(" in s.lower() for s in after["statements"])
    assert after["freshness"] == "2026-11-03T09:30:00"
    assert "2026-11-03T09:30:00" in after["by_source"].values()


def test_the_disk_freshness_readings_are_bounded(tmp_path, monkeypatch):
    import time

    from semantic_layer import executor

    monkeypatch.setattr(executor, "_DISK_FRESHNESS_KEPT", 3)
    for i in range(5):
        (tmp_path / f"freshness-{i}.pickle").write_bytes(b"x")
        os.utime(tmp_path / f"freshness-{i}.pickle", (time.time() + i, time.time() + i))
    (tmp_path / "catalog-x.pickle").write_bytes(b"y")  # other caches are not touched
    executor._prune_disk_freshness(tmp_path)
    assert sorted(f.name for f in tmp_path.iterdir()) == [
        "catalog-x.pickle",
        "freshness-2.pickle",
        "freshness-3.pickle",
        "freshness-4.pickle",
    ]
