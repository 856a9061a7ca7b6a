"""Five-field cron expressions (minute hour day-of-month month day-of-week), the subset every
cron reads: ``*``, numbers, ranges ``a-b``, steps ``*/n`` and ``a-b/n``, lists ``a,b``, month
and weekday names (``jan``, ``mon``), Sunday as 0 or 7. As in Vixie cron, when both
day-of-month and day-of-week are restricted a day matching either one fires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tools.errors import ServicePilotError

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name, low, high, names) per field
FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, MONTHS),
    ("day of week", 0, 7, DAYS),
)
LOOKBACK_DAYS = 366 * 4  # far enough back to find the last run of "29 Feb" expressions


class CronError(ServicePilotError, ValueError):
    """A cron expression that cannot be read; the message says which field and why."""


def _value(text: str, low: int, high: int, names: tuple[str, ...], field: str) -> int:
    lowered = text.lower()
    if lowered in names:
        return names.index(lowered) + (1 if names is MONTHS else 0)
    if not text.isdigit():
        raise CronError(f"{field}: '{text}' is not a number{' or a name' if names else ''}")
    value = int(text)
    if not low <= value <= high:
        raise CronError(f"{field}: {value} is outside {low}-{high}")
    return value


def _field(text: str, low: int, high: int, names: tuple[str, ...], field: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"{field}: step '{step_text}' must be a positive number")
            step = int(step_text)
        if body == "*":
            first, last = low, high
        elif "-" in body:
            a, _, b = body.partition("-")
            first, last = (_value(a, low, high, names, field), _value(b, low, high, names, field))
            if first > last:
                raise CronError(f"{field}: range '{body}' runs backwards")
        else:
            first = _value(body, low, high, names, field)
            last = high if step_text else first
        values.update(range(first, last + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool  # day of month is '*'
    any_weekday: bool  # day of week is '*'

    @classmethod
    def parse(cls, text: str) -> Cron:
        parts = text.split()
        if len(parts) != 5:
            raise CronError(
                f"'{text}' has {len(parts)} field(s); write 5: minute hour day-of-month month "
                "day-of-week, e.g. '0 8 * * mon' (Mondays 08:00)"
            )
        sets = [
            _field(p, lo, hi, names, name)
            for p, (name, lo, hi, names) in zip(parts, FIELDS, strict=True)
        ]
        weekdays = frozenset(d % 7 for d in sets[4])
        return cls(text, *sets[:4], weekdays, parts[2] == "*", parts[4] == "*")

    def _day_matches(self, day: datetime) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def matches(self, moment: datetime) -> bool:
        return (
            moment.minute in self.minutes
            and moment.hour in self.hours
            and self._day_matches(moment)
        )

    def latest(self, moment: datetime) -> datetime | None:
        """The last time at or before ``moment`` (to the minute) the expression fires."""
        moment = moment.replace(second=0, microsecond=0)
        day = moment.replace(hour=0, minute=0)
        for back in range(LOOKBACK_DAYS):
            current = day - timedelta(days=back)
            if not self._day_matches(current):
                continue
            for hour in sorted(self.hours, reverse=True):
                for minute in sorted(self.minutes, reverse=True):
                    candidate = current.replace(hour=hour, minute=minute)
                    if candidate <= moment:
                        return candidate
        return None
