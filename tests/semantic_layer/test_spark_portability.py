"""The certified metrics give the same numbers on Spark (through Spark Connect) as on DuckDB.

One Spark Connect server for the session (tests/spark_server.py) reads the shared demo warehouse
exported to Parquet by ``export_parquet`` — the path a user takes with
``servicepilot warehouse export --format parquet DIR``.

Tolerance: every value equal within 1e-9, except the duration percentiles (median, p90), equal
within 1e-6 hours (3.6 ms), and their % change within 0.001 percentage points. Both engines
compute the same exact, linearly interpolated percentile (DuckDB quantile_cont, Spark
PERCENTILE); the difference is in the input: DuckDB divides the integer epoch difference by
3600.0 in DECIMAL, rounding each duration to 6 decimal places of an hour, Spark in DOUBLE.
"""

from __future__ import annotations

import time
from datetime import date

import numpy as np
import pandas as pd
import pytest

from semantic_layer.catalog_loader import default_catalog
from semantic_layer.errors import ExecutionError
from semantic_layer.executor import execute
from semantic_layer.policy import AccessPolicy
from semantic_layer.query import Filter, MetricQuery, TimeRange
from semantic_layer.spark_engine import parse_spark_url

pytestmark = pytest.mark.spark

CATALOG = default_catalog()
CERTIFIED = tuple(m.name for m in CATALOG.spec.metrics if m.certified)
PERCENTILES = {m.name for m in CATALOG.spec.metrics if m.type == "percentile"}
RANGE = TimeRange(start=date(2026, 1, 1), end=date(2026, 7, 1))
# Metrics with a ticket's channel (the order-based ones have none).
TICKET_METRICS = tuple(
    m for m in CERTIFIED if m not in ("complaint_rate_per_1000_orders", "order_count")
)
# Spark answers in seconds, not milliseconds (a job per CTE on 2 shared cores): the equality
# tests must not hit the default 30 s time limit, which test_time_limit_on_spark checks.
SLOW_OK = 600.0


@pytest.fixture(scope="module")
def parquet_dir(demo_engine, tmp_path_factory):
    from tools.warehouse.export import export_parquet

    directory = tmp_path_factory.mktemp("parquet")
    summary = export_parquet(demo_engine, directory)
    assert summary["rows"]["tickets"] == 40_000
    return directory


@pytest.fixture(scope="module")
def spark_url(spark_connect_remote, parquet_dir) -> str:
    return f"spark+connect://{spark_connect_remote}?path={parquet_dir}"


QUERIES = [
    MetricQuery(metrics=CERTIFIED, time_range=RANGE, compare_to="previous_period"),
    MetricQuery(
        metrics=TICKET_METRICS,
        dimensions=("region", "channel"),
        time_grain="month",
        time_range=RANGE,
    ),
    MetricQuery(
        metrics=("csat", "complaint_rate_per_1000_orders", "backlog", "resolution_time_p90"),
        dimensions=("customer.segment",),
        time_grain="week",
        time_range=RANGE,
        filters=(Filter(field="region", op="in", values=("east", "south")),),
        compare_to="same_period_last_year",
    ),
    MetricQuery(
        metrics=("nps", "first_response_time_p90", "first_response_time_median"),
        dimensions=("agent.team",),
        time_grain="quarter",
        time_range=RANGE,
        compare_to="previous_period",
    ),
]


def assert_same(duck: pd.DataFrame, spark: pd.DataFrame) -> None:
    assert list(duck.columns) == list(spark.columns)
    assert len(duck) == len(spark) > 0
    for col in duck.columns:
        a, b = duck[col], spark[col]
        if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
            atol = 1e-9
            if col.split("__")[0] in PERCENTILES:
                atol = 1e-3 if col.endswith("__change_pct") else 1e-6
            np.testing.assert_allclose(
                a.astype(float), b.astype(float), rtol=1e-9, atol=atol, err_msg=col
            )
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), col


@pytest.mark.parametrize("query", QUERIES, ids=[f"q{i}" for i in range(len(QUERIES))])
def test_same_numbers_on_duckdb_and_spark(query, demo_engine, spark_url):
    duck = execute(query, demo_engine)
    spark = execute(query, spark_url, timeout_s=SLOW_OK)
    assert spark.dialect == "spark"
    assert_same(duck.data, spark.data)
    assert spark.freshness == duck.freshness
    assert spark.warnings == duck.warnings
    assert {k: vars(v) for k, v in spark.sample_sizes.items()} == {
        k: vars(v) for k, v in duck.sample_sizes.items()
    }


def test_every_certified_metric_is_compared():
    covered = set(QUERIES[0].metrics)
    assert covered == set(CERTIFIED)


def test_row_level_security_is_injected_on_spark(demo_engine, spark_url):
    east = AccessPolicy(row_filters={"region": ["east"]}, name="east")
    query = MetricQuery(
        metrics=("csat", "ticket_volume", "first_response_time_p90"),
        dimensions=("region",),
        time_range=RANGE,
    )
    spark = execute(query, spark_url, policy=east, timeout_s=SLOW_OK)
    assert spark.data["region"].tolist() == ["east"]
    assert "'east'" in spark.sql
    assert_same(execute(query, demo_engine, policy=east).data, spark.data)


def test_row_limit_on_spark(spark_url):
    query = MetricQuery(
        metrics=("ticket_volume",), dimensions=("region",), time_grain="day", time_range=RANGE
    )
    result = execute(query, spark_url, row_limit=10, timeout_s=SLOW_OK)
    assert len(result.data) == 10
    assert result.truncated
    assert any("Only the first 10 rows" in w for w in result.warnings)


def test_time_limit_on_spark(spark_url):
    query = MetricQuery(
        metrics=TICKET_METRICS,
        dimensions=("region", "channel", "agent.team"),
        time_grain="day",
        time_range=RANGE,
    )
    started = time.perf_counter()
    with pytest.raises(ExecutionError, match=r"ran longer than 0.2s and was stopped"):
        execute(query, spark_url, timeout_s=0.2)
    assert time.perf_counter() - started < 30


def test_missing_tables_say_how_to_export(spark_connect_remote, tmp_path):
    url = f"spark+connect://{spark_connect_remote}?path={tmp_path}"
    with pytest.raises(ExecutionError, match=r"warehouse export --format parquet"):
        execute(MetricQuery(metrics=("csat",), time_range=RANGE), url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("spark+connect://127.0.0.1?path=/d", "needs a host and port"),
        ("spark+connect://127.0.0.1:15002", "neither where the tables are"),
        ("spark+connect://127.0.0.1:15002?path=/d&user=x", "Unknown option(s) user"),
        ("spark+local://", "names no directory"),
    ],
)
def test_bad_spark_urls_say_what_to_write(url, message):
    with pytest.raises(ExecutionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_spark_url(url)


def test_spark_urls_parse():
    assert parse_spark_url("spark+connect://h:15002?path=/data/wh").remote == "sc://h:15002"
    assert parse_spark_url("spark+connect://h:15002/sales").database == "sales"
    local = parse_spark_url("spark+local:///data/wh")
    assert (local.remote, local.path) == ("local[2]", "/data/wh")


def test_missing_pyspark_says_what_to_install(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # import fails as if not installed
    with pytest.raises(ExecutionError, match=r"pyspark is missing\. Install the Spark extra"):
        execute(MetricQuery(metrics=("csat",), time_range=RANGE), f"spark+local://{tmp_path}/x")
