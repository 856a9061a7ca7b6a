"""Forecasts: intervals cover held-out weeks, and the model beats seasonal-naive."""

from __future__ import annotations

from datetime import date

import pytest

from semantic_layer.catalog_loader import default_catalog
from tools.monitoring.forecast import ForecastError, forecast_volume
from tools.warehouse.engine import make_engine


@pytest.fixture(scope="module")
def engine(demo_warehouse_url: str):
    eng = make_engine(demo_warehouse_url, read_only=True)
    yield eng
    eng.dispose()


def test_backtest_beats_seasonal_naive_and_covers(engine) -> None:
    result = forecast_volume(
        engine, "complaint_volume", 4, {}, date(2026, 11, 1), catalog=default_catalog()
    )
    b = result.backtest
    assert b is not None and b.origins >= 6
    assert b.mase <= b.baseline_mase and b.smape <= b.baseline_smape
    assert b.coverage_95 >= 0.8 and b.coverage_80 >= 0.6
    assert "ETS" in result.method and "seasonal-naive" in result.baseline


def test_forecast_knows_double_11_ahead(engine) -> None:
    result = forecast_volume(
        engine,
        "ticket_volume",
        4,
        {"region": "east"},
        date(2026, 11, 1),
        catalog=default_catalog(),
    )
    weeks = {w.week_start: w for w in result.weeks}
    assert result.history_end == date(2026, 10, 26)
    peak, before = weeks[date(2026, 11, 9)], weeks[date(2026, 11, 2)]
    assert "double_11" in peak.holidays and peak.forecast > 1.3 * before.forecast
    for w in result.weeks:
        assert w.low_95 <= w.low_80 <= w.forecast <= w.high_80 <= w.high_95
    assert result.total_low_95 < result.total < result.total_high_95


def test_unknown_metric_is_refused(engine) -> None:
    with pytest.raises(ForecastError, match="Cannot forecast 'csat'"):
        forecast_volume(engine, "csat", 4, None, date(2026, 11, 1), catalog=default_catalog())


def test_a_calendar_period_is_forecast_by_its_days(engine) -> None:
    """ "下个月" = the next calendar month: the weeks cover it, the total counts only its days."""
    result = forecast_volume(
        engine,
        "complaint_volume",
        4,
        {},
        date(2026, 11, 22),
        catalog=default_catalog(),
        period=(date(2026, 12, 1), date(2027, 1, 1)),
        with_backtest=False,
    )
    assert result.history_end == date(2026, 10, 26)  # the demo data ends 2026-10-31
    starts = [w.week_start for w in result.weeks]
    assert starts[0] == date(2026, 10, 26) and starts[-1] == date(2026, 12, 28)
    by_start = {w.week_start: w.forecast for w in result.weeks}
    # Dec 1-6 of the week of Nov 30, the full weeks of Dec 7-27, Dec 28-31 of the last week.
    expected = (
        by_start[date(2026, 11, 30)] * 6 / 7
        + sum(by_start[date(2026, 12, d)] for d in (7, 14, 21))
        + by_start[date(2026, 12, 28)] * 4 / 7
    )
    assert result.total == pytest.approx(expected)
    assert result.total_low_95 < result.total < result.total_high_95
    assert result.period == (date(2026, 12, 1), date(2027, 1, 1))
    assert len(result.history) == 26 and result.history[-1][0] == date(2026, 10, 19)


def test_a_period_too_far_ahead_is_refused_with_the_limit(engine) -> None:
    with pytest.raises(ForecastError, match="at most 26 weeks"):
        forecast_volume(
            engine,
            "complaint_volume",
            4,
            {},
            date(2026, 11, 22),
            catalog=default_catalog(),
            period=(date(2027, 6, 1), date(2027, 7, 1)),
            with_backtest=False,
        )
