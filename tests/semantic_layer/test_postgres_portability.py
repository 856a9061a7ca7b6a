"""The same compiled queries give the same numbers on DuckDB and on a real PostgreSQL."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from semantic_layer.catalog_loader import default_catalog
from semantic_layer.executor import execute
from semantic_layer.query import Filter, MetricQuery, TimeRange

pytestmark = pytest.mark.postgres

CERTIFIED = tuple(m.name for m in default_catalog().spec.metrics if m.certified)
RANGE = TimeRange(start=date(2026, 1, 1), end=date(2026, 7, 1))


@pytest.fixture(scope="module")
def pg_engine(postgres_url, demo_tables_raw, demo_engine):
    from tools.customers.segments import build_customer_segments
    from tools.warehouse.engine import create_schema, make_engine, write_frame
    from tools.warehouse.schema import metadata

    def _duck_segments_as_of():
        from sqlalchemy import text

        with demo_engine.connect() as conn:
            return conn.execute(text("SELECT max(as_of) FROM customer_segments")).scalar_one()

    engine = make_engine(postgres_url)
    # The session's server is shared (test_demo_data builds demo data in it too): start empty.
    metadata.drop_all(engine)
    create_schema(engine)
    with engine.begin() as conn:
        for name, frame in demo_tables_raw.items():
            ints = [c for c in ("csat", "nps", "ces") if c in frame.columns]
            # pandas reads nullable SMALLINT as float; COPY wants "5", not "5.0".
            write_frame(conn, name, frame.astype({c: "Int64" for c in ints}))
    # Customer segments computed by PostgreSQL itself (the one definition), as of DuckDB's date.
    build_customer_segments(engine, _duck_segments_as_of())
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def demo_tables_raw(demo_engine):
    from tests.semantic_layer.reference import load_tables

    return load_tables(demo_engine)


QUERIES = [
    MetricQuery(metrics=CERTIFIED, time_range=RANGE),
    MetricQuery(
        metrics=tuple(
            m for m in CERTIFIED if m != "complaint_rate_per_1000_orders" and m != "order_count"
        ),
        dimensions=("region", "channel"),
        time_grain="month",
        time_range=RANGE,
    ),
    MetricQuery(
        metrics=("csat", "complaint_rate_per_1000_orders", "backlog"),
        dimensions=("customer.segment",),
        time_grain="week",
        time_range=RANGE,
        filters=(Filter(field="region", op="in", values=("east", "south")),),
        compare_to="same_period_last_year",
    ),
    # Customer segments (a table computed as of a date) as dimension and as filter.
    MetricQuery(
        metrics=("csat", "nps", "complaint_volume", "resolution_time_median"),
        dimensions=("value_tier",),
        time_range=RANGE,
        filters=(Filter(field="repeat_complainer", op="=", values=(False,)),),
    ),
    MetricQuery(
        metrics=("nps", "first_response_time_p90"),
        dimensions=("agent.team",),
        time_grain="quarter",
        time_range=RANGE,
        compare_to="previous_period",
    ),
]


@pytest.mark.parametrize("query", QUERIES, ids=[f"q{i}" for i in range(len(QUERIES))])
def test_same_numbers_on_duckdb_and_postgres(query, demo_engine, pg_engine):
    duck = execute(query, demo_engine).data
    pg = execute(query, pg_engine).data
    assert list(duck.columns) == list(pg.columns)
    assert len(duck) == len(pg) > 0
    for col in duck.columns:
        a, b = duck[col], pg[col]
        if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
            np.testing.assert_allclose(
                a.astype(float), b.astype(float), rtol=1e-9, atol=1e-9, err_msg=col
            )
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), col


def test_customer_segments_are_the_same_rows_on_both_engines(demo_engine, pg_engine):
    """tools/customers/rfm.py's one SQL definition, run by each warehouse, gives each
    customer the same scores, tier and tags (quintile ties are split by customer id)."""
    columns = "customer_id, as_of, value_tier, repeat_complainer, recent_low_csat, r, f, m"
    sql = f"SELECT {columns} FROM customer_segments ORDER BY customer_id"
    duck = pd.read_sql_query(sql, demo_engine)
    pg = pd.read_sql_query(sql, pg_engine)
    assert len(duck) == len(pg) > 1000
    pd.testing.assert_frame_equal(duck, pg, check_dtype=False)
