"""Golden SQL per certified metric (DuckDB, PostgreSQL, and Trino/Spark via sqlglot).

A change in generated SQL must be reviewed: regenerate with SERVICEPILOT_UPDATE_GOLDEN=1 and
read the diff.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from semantic_layer.catalog_loader import default_catalog
from semantic_layer.compiler import compile_query
from semantic_layer.query import MetricQuery, TimeRange
from semantic_layer.transpile import transpile

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SERVICEPILOT_UPDATE_GOLDEN") == "1"
CERTIFIED = [m.name for m in default_catalog().spec.metrics if m.certified]
RANGE = TimeRange(start=date(2026, 1, 1), end=date(2026, 4, 1))


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        if not UPDATE and os.environ.get("CI"):
            pytest.fail(f"missing golden file {path}; run with SERVICEPILOT_UPDATE_GOLDEN=1")
        path.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == path.read_text(encoding="utf-8"), (
        f"{name} changed; review and regenerate with SERVICEPILOT_UPDATE_GOLDEN=1"
    )


def _query(metric: str) -> MetricQuery:
    dims = ("region",) if metric != "complaint_rate_per_1000_orders" else ("customer.segment",)
    return MetricQuery(metrics=(metric,), dimensions=dims, time_grain="month", time_range=RANGE)


@pytest.mark.parametrize("metric", CERTIFIED)
def test_golden_sql_duckdb_and_postgres(metric):
    for dialect in ("duckdb", "postgresql"):
        check(f"{metric}.{dialect}.sql", compile_query(_query(metric), dialect=dialect).sql)


@pytest.mark.parametrize("target", ["trino", "spark"])
def test_golden_sql_transpiled(target):
    query = MetricQuery(
        metrics=("csat", "first_response_time_p90", "backlog"),
        dimensions=("region",),
        time_grain="month",
        time_range=RANGE,
        compare_to="previous_period",
    )
    check(f"_multi.{target}.sql", transpile(compile_query(query), target))


def test_golden_sql_customer_segments():
    """A segment dimension and a tag filter: two many-to-one hops (survey -> customer ->
    customer_segments), never a fan-out."""
    query = MetricQuery(
        metrics=("csat", "nps"),
        dimensions=("value_tier",),
        time_grain="month",
        time_range=RANGE,
        filters=({"field": "repeat_complainer", "op": "=", "values": [True]},),
    )
    for dialect in ("duckdb", "postgresql"):
        check(f"_customer_segments.{dialect}.sql", compile_query(query, dialect=dialect).sql)
