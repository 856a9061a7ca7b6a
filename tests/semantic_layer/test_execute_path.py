"""The execute() path: the SQL is compiled once per compiled query, data freshness is cached
per DuckDB file state (and re-read after a write), intervals are computed column-wise."""

from __future__ import annotations

import math
import shutil
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
