"""Periods as people write them, in Chinese or English: 2026年10月 / October 2026, 2026年第3季度
/ Q3 2026, 2026-09-28当周 / the week of 2026-09-28. One definition for answers, tables, charts
and the planner's own interpretation lines."""

from __future__ import annotations

from datetime import date, timedelta

from semantic_layer.periods import add_months

ONE_DAY = timedelta(days=1)

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_period(value: object, grain: str | None, language: str = "en") -> str:
    """A period as people write it: 2026年10月 / October 2026, 2026年第3季度 / Q3 2026."""
    if not isinstance(value, date):
        return str(value)
    zh = language == "zh"
    if grain == "month":
        month = _MONTHS_EN[value.month - 1]
        return f"{value.year}年{value.month}月" if zh else f"{month} {value.year}"
    if grain == "quarter":
        quarter = (value.month - 1) // 3 + 1
        return f"{value.year}年第{quarter}季度" if zh else f"Q{quarter} {value.year}"
    if grain == "year":
        return f"{value.year}年" if zh else str(value.year)
    if grain == "week":
        return f"{value.isoformat()}当周" if zh else f"the week of {value.isoformat()}"
    return value.isoformat()


def calendar_grain(start: date, end: date) -> str | None:
    """ "month" / "quarter" / "year" when ``[start, end)`` is one whole calendar unit of it."""
    for grain, months in (("month", 1), ("quarter", 3), ("year", 12)):
        if start.day == 1 and end == add_months(start, months) and (start.month - 1) % months == 0:
            return grain
    return None


def period_label(start: date, end: date, language: str) -> str:
    """A range (end exclusive) as people say it: 2026年10月 / October 2026 for a whole month
    (also quarters and years), else both days inclusive (2026-10-05 ~ 2026-10-11)."""
    grain = calendar_grain(start, end)
    if grain is not None:
        return format_period(start, grain, language)
    last = end - ONE_DAY
    if language == "zh":
        return f"{start.isoformat()} ~ {last.isoformat()}"
    return f"{start.isoformat()} to {last.isoformat()}"
