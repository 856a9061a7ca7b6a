"""Calendar arithmetic, in one place: every part that moves dates by months, finds the period a
comparison runs against, or starts a week or month calls these (the compiler's comparisons,
the planners, the agent tools, the API's "why" and the cockpit's default period).

Periods are half-open ``[start, end)`` like ``TimeRange``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from semantic_layer.query import CompareTo, TimeRange

__all__ = [
    "Shift",
    "add_months",
    "comparison_range",
    "comparison_shift_for",
    "last_full_month",
    "month_start",
    "quarter_start",
    "week_start",
]


def add_months(d: date, months: int) -> date:
    """``d`` moved by ``months`` calendar months, the day clamped to the month's length
    (2026-03-31 - 1 month = 2026-02-28)."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def month_start(d: date, months: int = 0) -> date:
    """The first day of ``d``'s month, moved by ``months`` months."""
    return add_months(d.replace(day=1), months)


def quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def week_start(d: date, first_weekday: int = 0) -> date:
    """The day the week holding ``d`` starts (``first_weekday`` 0 = Monday, 6 = Sunday)."""
    return d - timedelta(days=(d.weekday() - first_weekday) % 7)


def last_full_month(today: date) -> TimeRange:
    """The last complete calendar month before ``today`` (the default period)."""
    first = today.replace(day=1)
    return TimeRange(start=add_months(first, -1), end=first)


@dataclass(frozen=True)
class Shift:
    """How far back a comparison period lies: whole months, or days."""

    months: int = 0
    days: int = 0

    def back(self, d: date) -> date:
        return add_months(d, -self.months) - timedelta(days=self.days)


def comparison_shift_for(period: TimeRange, compare: CompareTo) -> Shift:
    """The shift from ``period`` to the period it is compared with.

    Whole months compare with the previous N calendar months; month-to-date (Nov 1..Nov 23)
    with the same days of the month before (Oct 1..Oct 23), as readers of 环比 expect; any
    other range with the same number of days just before it."""
    if compare == "same_period_last_year":
        return Shift(months=12)
    start, end = period.start, period.end
    if start.day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month + (end.day > 1)
        return Shift(months=months)
    return Shift(days=(end - start).days)


def comparison_range(period: TimeRange, compare: CompareTo = "previous_period") -> TimeRange:
    """The period ``period`` is compared with: the same rule as the compiler's comparisons,
    so a "why" or a tool call compares with the very period a metric answer shows."""
    shift = comparison_shift_for(period, compare)
    return TimeRange(start=shift.back(period.start), end=shift.back(period.end))
