"""semantic_layer.periods: the one home of calendar arithmetic."""

from __future__ import annotations

from datetime import date

import pytest

from semantic_layer.periods import (
    add_months,
    comparison_range,
    last_full_month,
    month_start,
    quarter_start,
    week_start,
)
from semantic_layer.plan import comparison_shift
from semantic_layer.query import MetricQuery, TimeRange


def test_add_months_clamps_the_day_and_crosses_years() -> None:
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 1, 15), -1) == date(2025, 12, 15)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_month_quarter_and_week_starts() -> None:
    assert month_start(date(2026, 11, 23)) == date(2026, 11, 1)
    assert month_start(date(2026, 1, 23), -3) == date(2025, 10, 1)
    assert quarter_start(date(2026, 11, 23)) == date(2026, 10, 1)
    assert week_start(date(2026, 11, 22)) == date(2026, 11, 16)  # a Sunday -> Monday
    assert week_start(date(2026, 11, 22), first_weekday=6) == date(2026, 11, 22)


def test_last_full_month() -> None:
    assert last_full_month(date(2026, 1, 5)) == TimeRange(
        start=date(2025, 12, 1), end=date(2026, 1, 1)
    )


@pytest.mark.parametrize(
    ("start", "end", "compare", "expected"),
    [
        # a whole month compares with the previous calendar month (31 vs 30 days)
        ((2026, 10, 1), (2026, 11, 1), "previous_period", ((2026, 9, 1), (2026, 10, 1))),
        # month to date compares with the same days of the month before
        ((2026, 11, 1), (2026, 11, 23), "previous_period", ((2026, 10, 1), (2026, 10, 23))),
        # any other range: the same number of days just before
        ((2026, 11, 10), (2026, 11, 17), "previous_period", ((2026, 11, 3), (2026, 11, 10))),
        ((2026, 10, 1), (2026, 11, 1), "same_period_last_year", ((2025, 10, 1), (2025, 11, 1))),
    ],
)
def test_comparison_range_matches_the_compilers_shift(start, end, compare, expected) -> None:
    period = TimeRange(start=date(*start), end=date(*end))
    before = comparison_range(period, compare)
    assert (before.start, before.end) == (date(*expected[0]), date(*expected[1]))
    shift = comparison_shift(MetricQuery(metrics=("csat",), time_range=period, compare_to=compare))
    assert shift is not None
    assert (shift.back(period.start), shift.back(period.end)) == (before.start, before.end)
