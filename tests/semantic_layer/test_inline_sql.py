"""Statements on DuckDB run with their values inlined (semantic_layer.inline_sql), so DuckDB's
client never imports pandas for a CLI question. Inlined, every metric must give exactly the
rows the same statement gives with bound parameters, and hostile text must stay data."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from semantic_layer.catalog_loader import default_catalog
from semantic_layer.compiler import compile_query
from semantic_layer.inline_sql import has_column, inline_sql, run
from semantic_layer.query import MetricQuery, TimeRange
from tools.warehouse.engine import make_engine

ROOT = Path(__file__).resolve().parents[2]
OCTOBER = TimeRange(start=date(2026, 10, 1), end=date(2026, 11, 1))
SUMMER = TimeRange(start=date(2026, 6, 1), end=date(2026, 9, 1))
HOSTILE = ["it's", "a\\b", "\\'", "'); drop table tickets; --", "😀 华东", "?", "%s :x $1"]


def _queries() -> list[MetricQuery]:
    out = []
    for metric in default_catalog().metrics:
        out.append(MetricQuery(metrics=(metric,), dimensions=("region",), time_range=OCTOBER))
    out += [
        MetricQuery(
            metrics=("csat", "first_response_time_median", "cost_per_ticket"),
            dimensions=("channel",),
            time_grain="month",
            time_range=SUMMER,
            compare_to="previous_period",
        ),
        MetricQuery(
            metrics=("complaint_volume", "sla_breach_rate"),
            dimensions=("region", "priority"),
            time_range=OCTOBER,
            filters=(
                {"field": "channel", "op": "in", "values": ("wechat", "phone", "app")},
                {"field": "region", "op": "!=", "values": ("south",)},
            ),
            metric_filters=({"metric": "complaint_volume", "op": ">", "values": (12.5,)},),
            order_by=({"field": "complaint_volume", "descending": True},),
            limit=9,
        ),
        MetricQuery(
            metrics=("nps", "resolution_time_p90"),
            time_grain="week",
            time_range=OCTOBER,
            compare_to="same_period_last_year",
        ),
    ]
    return out


@pytest.mark.parametrize("query", _queries(), ids=lambda q: "+".join(q.metrics)[:40])
def test_inlined_values_give_the_rows_bound_parameters_give(
    query: MetricQuery, demo_warehouse_url: str
) -> None:
    engine = make_engine(demo_warehouse_url, read_only=True)
    try:
        compiled = compile_query(query, default_catalog(), dialect="duckdb")
        sql, params = compiled.runnable(engine.dialect, 1000)
        assert params is None  # the values are in the text
        with engine.connect() as conn:
            inlined = conn.exec_driver_sql(sql).all()
            bound = conn.execute(compiled.statement.limit(1000)).all()
        assert inlined == bound and [type(v) for r in inlined for v in r] == [
            type(v) for r in bound for v in r
        ]
    finally:
        engine.dispose()


def test_hostile_text_stays_data(tmp_path: Path) -> None:
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'x.duckdb'}")
    table = sa.table("notes", sa.column("id", sa.Integer), sa.column("body", sa.Text))
    texts = [*HOSTILE, "x" * 1_000_000, "nul\x00inside"]
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (id INTEGER, body TEXT)")
        for i, text in enumerate(texts):
            run(conn, sa.insert(table).values(id=i, body=text))
        for i, text in enumerate(texts):
            found = run(conn, sa.select(table.c.id).where(table.c.body == text)).all()
            assert found == [(i,)], repr(text[:40])
        assert has_column(conn, "notes", "body") and not has_column(conn, "notes", "nobody")
        assert not has_column(conn, "notes'); drop table notes; --")
        assert has_column(conn, "notes")
    # NUL cannot be a DuckDB literal: that statement alone binds its values
    assert inline_sql(sa.select(sa.literal("a\x00b")), engine.dialect) is None
    engine.dispose()


def test_no_pandas_for_inlined_statements(tmp_path: Path) -> None:
    """The reason for all this, checked in a fresh interpreter: a DuckDB statement with bound
    values imports pandas; the same statement inlined does not."""
    code = (
        "import sys, sqlalchemy as sa\n"
        "from semantic_layer.inline_sql import run\n"
        f"e = sa.create_engine('duckdb:///{tmp_path / 'y.duckdb'}')\n"
        "t = sa.table('t', sa.column('a', sa.Text))\n"
        "with e.begin() as c:\n"
        "    c.exec_driver_sql('CREATE TABLE t (a TEXT)')\n"
        '    run(c, sa.insert(t).values(a="it\'s"))\n'
        '    assert run(c, sa.select(t.c.a).where(t.c.a == "it\'s")).all() == [("it\'s",)]\n'
        "    print('pandas' in sys.modules)\n"
        "    c.execute(sa.select(t.c.a).where(t.c.a == 'x')).all()\n"
        "    print('pandas' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False", "True"]
