"""The text answer reads a result's plain columns (MetricResult.table), the UI and exports its
DataFrame (MetricResult.data, built on first read): both must say the same thing. The CLI's
table text is what pandas' ``to_string`` wrote, and ``to_dict`` gives the rows the DataFrame
gave, for real results of every shape a metric answer takes."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.answer.table import display_table, text_table
from assistant.planning.lexicon import Lexicon
from semantic_layer.catalog_loader import default_catalog
from semantic_layer.executor import execute
from semantic_layer.query import MetricQuery, TimeRange
from tools.warehouse.engine import make_engine

OCTOBER = TimeRange(start=date(2026, 10, 1), end=date(2026, 11, 1))
QUERIES = {
    "breakdown vs previous": MetricQuery(
        metrics=("csat",), dimensions=("region",), time_range=OCTOBER, compare_to="previous_period"
    ),
    "minutes": MetricQuery(
        metrics=("first_response_time_median", "ticket_volume"),
        dimensions=("channel",),
        time_range=OCTOBER,
    ),
    "weekly trend": MetricQuery(
        metrics=("complaint_volume",),
        time_grain="week",
        time_range=TimeRange(start=date(2026, 9, 3), end=date(2026, 11, 20)),
    ),
    "two dimensions, ordered": MetricQuery(
        metrics=("sla_breach_rate",),
        dimensions=("region", "priority"),
        time_range=OCTOBER,
        order_by=({"field": "sla_breach_rate", "descending": True},),
    ),
    "single number": MetricQuery(metrics=("nps", "backlog"), time_range=OCTOBER),
    "empty": MetricQuery(
        metrics=("csat",),
        dimensions=("region",),
        time_range=TimeRange(start=date(2030, 1, 1), end=date(2030, 2, 1)),
    ),
}


@pytest.fixture(scope="module")
def results(demo_warehouse_url):
    engine = make_engine(demo_warehouse_url, read_only=True)
    try:
        yield {name: execute(q, engine) for name, q in QUERIES.items()}
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", list(QUERIES))
@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_table_text_is_what_pandas_wrote(results, name, language) -> None:
    result = results[name]
    lexicon = Lexicon(default_catalog())
    if result.table.empty:
        assert result.data.empty and len(result.data.columns) == len(result.table.names)
        return
    expected = display_table(result, lexicon, language, max_rows=30).to_string(index=False)
    assert text_table(result, lexicon, language, max_rows=30) == expected


@pytest.mark.parametrize("name", list(QUERIES))
def test_rows_and_frame_agree(results, name) -> None:
    result = results[name]
    frame = result.data
    assert list(frame.columns) == result.table.names and len(frame) == len(result.table)
    expected = frame.astype(object).where(frame.notna(), None).to_dict("records")
    records = result.table.records()
    assert records == expected
    assert [[type(v) for v in r.values()] for r in records] == [
        [type(v) for v in r.values()] for r in expected
    ]
    for column in ("__n", "__small_n", "__ci_low"):
        for c in (c for c in frame.columns if c.endswith(column)):
            assert str(frame[c].dtype) == {"__n": "int64", "__small_n": "bool"}.get(
                column, "float64"
            )
