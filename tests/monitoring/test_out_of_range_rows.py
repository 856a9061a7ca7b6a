"""Rows dated 9999-12-31 or year 1 already in a warehouse (planted with SQL, as an older import
or another loader could have left them) must not break forecasts, alerts or data freshness."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from semantic_layer.catalog_loader import default_catalog
from semantic_layer.executor import execute
from semantic_layer.query import MetricQuery, TimeRange
from tools.monitoring.alerts import detect_alerts
from tools.monitoring.forecast import forecast_volume

PLANT = """
INSERT INTO tickets SELECT * REPLACE ('{id}' AS ticket_id, TIMESTAMP '{at}' AS created_at,
    TIMESTAMP '{at}' AS sla_due_at, NULL AS first_response_at, NULL AS resolved_at,
    NULL AS closed_at)
FROM tickets WHERE ticket_type = 'complaint' LIMIT 1
"""


@pytest.fixture(scope="module")
def planted(demo_warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("planted") / "warehouse.duckdb"
    shutil.copy(demo_warehouse_path, path)
    con = duckdb.connect(str(path))
    try:
        con.execute(PLANT.format(id="bad-future", at="9999-12-31 00:00:00"))
        con.execute(PLANT.format(id="bad-ancient", at="0001-01-01 00:00:00"))
        assert con.execute("SELECT max(created_at) FROM tickets").fetchone()[0] == datetime(
            9999, 12, 31
        )
    finally:
        con.close()
    return f"duckdb:///{path}"


def test_freshness_ignores_the_future_and_says_so(planted: str, demo_warehouse_url: str) -> None:
    query = MetricQuery(
        metrics=("complaint_volume",),
        time_grain="month",
        time_range=TimeRange(start=date(2026, 9, 1), end=date(2026, 11, 1)),
    )
    clean = execute(query, demo_warehouse_url)
    result = execute(query, planted)
    assert result.data_freshness == clean.data_freshness
    assert result.data_freshness.date() == date(2026, 10, 31)
    future = [w for w in result.warnings if "in the future" in w]
    assert len(future) == 1 and future[0].startswith("1 row(s) have tickets.created_at after ")
    assert not [w for w in clean.warnings if "in the future" in w]
    assert result.data.equals(clean.data)


def test_forecast_survives_out_of_range_rows(planted: str, demo_warehouse_url: str) -> None:
    kwargs = {
        "weeks": 2,
        "today": date(2026, 11, 1),
        "with_backtest": False,
        "catalog": default_catalog(),
    }
    clean = forecast_volume(demo_warehouse_url, **kwargs)
    result = forecast_volume(planted, **kwargs)
    assert result.history_end == clean.history_end == date(2026, 10, 26)
    assert result.to_dict()["weeks"] == clean.to_dict()["weeks"]
    assert len(result.to_dict()["weeks"]) == 2


def test_alerts_survive_out_of_range_rows(planted: str, demo_warehouse_url: str) -> None:
    window = (date(2026, 9, 1), date(2026, 11, 1))
    clean = detect_alerts(demo_warehouse_url, *window, catalog=default_catalog(), explain=False)
    result = detect_alerts(planted, *window, catalog=default_catalog(), explain=False)
    assert clean  # the demo warehouse has alerts in this window
    assert [(a.rule, a.scope, a.period_start, a.observed) for a in result] == [
        (a.rule, a.scope, a.period_start, a.observed) for a in clean
    ]
